/*
 * The guest's pageblock order (guest.pageblock_order): 9 for a kernel with
 * huge pages (x86-64), 10 for one without (user-mode Linux). The same
 * layout compacts differently under the two, as it does in Linux: a free
 * order-10 block above the fragmented memory is two pageblocks at order 9,
 * and the upper one, whose first page is not a buddy head, is a suitable
 * but empty target that doubles the free scanner's stride
 * (isolate_freepages()); at order 10 it is one pageblock under a free
 * block of pageblock order, never a target (suitable_migration_target()).
 */
#include <criterion/criterion.h>

#include "support/owner.h"
#include "support/testutil.h"
#include "xballoon/compaction.h"

/*
 * 16384 frames: [0, 8192) the classic pattern (a page at every pfn 0 mod
 * 4, the rest free), [8192, 16384) free, 8 blocks of order 10.
 */
#define NR_FRAMES 16384u
#define PATTERN	  8192u

struct world {
	struct xb_zone *z;
	struct xbt_owner o;
	struct xb_compactor c;
};

static void build(struct world *w, unsigned pageblock_order)
{
	w->z = xb_zone_create_pb(NR_FRAMES, pageblock_order);
	cr_assert_not_null(w->z);
	xb_zone_online_all(w->z);
	xbt_zone_nowmark(w->z);
	xbt_owner_init(&w->o, w->z, NR_FRAMES + 16);
	cr_assert_eq(xbt_owner_fill(&w->o), NR_FRAMES);
	xb_compactor_init(&w->c, w->z);
	for (xb_pfn_t p = 0; p < NR_FRAMES; p++) {
		const struct xb_frame *f = &w->z->frames[p];

		if (f->state == XB_FRAME_ALLOC && (p >= PATTERN || p % 4))
			xbt_owner_free(&w->o, f->next);
	}
	cr_assert_eq(xb_buddy_nr_free(&w->z->buddy, 10), 8);
	cr_assert(xb__zone_is_valid(w->z));
}

static void destroy(struct world *w)
{
	cr_assert(xb__zone_is_valid(w->z));
	cr_assert(xbt_owner_is_valid(&w->o));
	cr_assert(xb__compactor_is_valid(&w->c));
	xbt_owner_fini(&w->o);
	xb_zone_destroy(w->z);
}

Test(pageblock_order, a_zone_of_order_10_has_pageblocks_of_1024_frames)
{
	struct xb_zone *z = xb_zone_create_pb(5000, 10);

	cr_assert_not_null(z);
	cr_assert_eq(z->pb_pages, 1024);
	cr_assert_eq(z->nr_pageblocks, 5); /* 4 whole and a part */
	xb_zone_online_all(z);
	xb_zone_set_pageblock_mt(z, 2047, XB_MT_UNMOVABLE);
	cr_assert_eq(xb_zone_pageblock_mt(z, 1024), XB_MT_UNMOVABLE);
	cr_assert_eq(xb_zone_pageblock_mt(z, 1023), XB_MT_MOVABLE);
	cr_assert_eq(xb_zone_pageblock_mt(z, 2048), XB_MT_MOVABLE);
	cr_assert(xb_zone_isolate_pageblock(z, 1500));
	cr_assert_eq(xb_zone_pageblock_mt(z, 1024), XB_MT_ISOLATE);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_unisolate_pageblock(z, 1500, XB_MT_MOVABLE);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
	cr_assert_null(xb_zone_create_pb(5000, 8));
	cr_assert_null(xb_zone_create_pb(5000, 11));
}

/*
 * Order 9: the free scanner walks the 16 pageblocks of the free top half
 * downward; each upper half of an order-10 block yields nothing and
 * doubles the stride (512 + 256 + 128 + 64 + 32 + 3 x 16 steps), each
 * lower half is skipped. It enters the pattern at a stride of 32, where
 * every pfn it lands on (0 mod 32) holds a page: nothing is isolated, the
 * scanners meet and not one page moves.
 */
Test(pageblock_order, order_9_traps_the_free_scanner_above_the_pattern)
{
	struct world w;

	build(&w, 9);
	cr_assert_eq(xb_compact_zone_full(&w.c), XB_COMPACT_COMPLETE);
	cr_assert_eq(w.c.stats.pgmigrate_success, 0);
	/* The top half, then 16 steps in each pattern pageblock above the
	 * migrate scanner's block 0. */
	cr_assert_eq(w.c.stats.compact_free_scanned,
		     512 + 256 + 128 + 64 + 32 + 3 * 16 + 15 * 16);
	/* Block 0's first batch: 32 pages in 94 steps, put back. */
	cr_assert_eq(w.c.stats.compact_migrate_scanned, 94);
	cr_assert_eq(w.o.putback, 32);
	cr_assert_eq(xb_buddy_nr_free(&w.z->buddy, 10), 8);
	destroy(&w);
}

/*
 * Order 10: every pageblock of the free top half lies under a free block
 * of pageblock order and is no target; the scanner enters the pattern at
 * stride 1 and takes its free pages, and the pattern is compacted: at
 * least half of its 2048 pages move up, and at least its lower half
 * becomes free order-10 blocks.
 */
Test(pageblock_order, order_10_compacts_the_same_layout)
{
	struct world w;

	build(&w, 10);
	cr_assert_eq(xb_compact_zone_full(&w.c), XB_COMPACT_COMPLETE);
	cr_assert_geq(w.c.stats.pgmigrate_success, PATTERN / 4 / 2);
	cr_assert_geq(xb_buddy_nr_free(&w.z->buddy, 10), 8 + 4);
	destroy(&w);
}
