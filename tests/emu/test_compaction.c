/*
 * Compaction: the classic fragmentation pattern under full compaction, an
 * unmovable page that pins its pageblock, async pageblock skipping, direct
 * compaction through the zone's hook, deferral and proactive compaction,
 * all with counts derived from the pattern.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "support/owner.h"
#include "support/testutil.h"
#include "xballoon/compaction.h"

/*
 * The pattern: a zone of 16 pageblocks (8192 frames) filled with order-0
 * movable pages, then every page whose pfn is not 0 mod 4 freed. Each
 * 4-frame group is then [page, free order-0, free order-1]: 128 pages and
 * 384 free frames in every pageblock, no free block above order 1.
 */
#define NR_FRAMES 8192u
#define PB	  512u

static struct xb_zone *z;
static struct xbt_owner o;
static struct xb_compactor c;

static void setup(void)
{
	z = xbt_zone_online_nowmark(NR_FRAMES);
	xbt_owner_init(&o, z, NR_FRAMES + 16);
	cr_assert_eq(xbt_owner_fill(&o), NR_FRAMES);
	xb_compactor_init(&c, z);
}

static void teardown(void)
{
	xbt_owner_fini(&o);
	xb_zone_destroy(z);
}

/* Hand the page at pfn to an owner whose pages never move (a kernel
 * allocation); with `unmovable`, also make it and its pageblock
 * UNMOVABLE, as an unmovable allocation that stole the block would. */
static void pin_page(xb_pfn_t pfn, uint32_t kernel, bool unmovable)
{
	struct xb_frame *f = &z->frames[pfn];
	uint32_t slot = f->next;

	cr_assert_eq(o.slots[slot], pfn);
	o.slots[slot] = XB_NIL;
	o.nr_live--;
	f->owner = kernel;
	f->next = XB_NIL;
	if (unmovable) {
		f->type = XB_MT_UNMOVABLE;
		xb_zone_set_pageblock_mt(z, pfn, XB_MT_UNMOVABLE);
	}
}

/* From here on, freed pages wait on per-CPU lists the size of a 1 GiB
 * guest's (batch 63, high 1261, as zone_pcp_update() sets them for UML's
 * zone), where Linux's would be, instead of merging at once; compaction
 * drains them when it leaves an order-aligned block it migrated from. */
static void linux_pcp(void)
{
	z->pcp.batch = 63;
	z->pcp.high = 1261;
}

static void assert_consistent(void)
{
	cr_assert(xb__zone_is_valid(z));
	cr_assert(xbt_owner_is_valid(&o));
	cr_assert(xb__compactor_is_valid(&c));
	cr_assert_eq(z->nr_state[XB_FRAME_ISOLATED], 0);
}

TestSuite(compaction, .init = setup, .fini = teardown);

Test(compaction, pattern_leaves_no_block_above_order_1)
{
	xbt_owner_free_pattern(&o);
	cr_assert_eq(o.nr_live, NR_FRAMES / 4);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 0), NR_FRAMES / 4);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 1), NR_FRAMES / 4);
	cr_assert_float_eq(xb_zone_unusable_index(z, 9), 1.0, 1e-12);
	cr_assert_eq(xb_compact_fragmentation_score(&c), 100);
}

/*
 * Full compaction of the pattern, counted as Linux 6.1 counts. The migrate
 * scanner takes one step per 4-frame group member it lands on: the page,
 * the free order-0 head and the free order-1 head (which it jumps over),
 * 3 steps per group. A pageblock's 128 pages go in two batches: 32 (the
 * break after the page at offset 124: 31 * 3 + 1 = 94 steps), then, as
 * the next batch starts in the same pageblock (6.1's cc->rescan), the
 * other 96 in one go. The 32 freed sources have merged with their free
 * neighbours into a free order-7 block at the pageblock start (the model
 * has no per-cpu lists), so the second batch starts on 3 frames inside it,
 * one step each, then 96 groups: 3 + 288 = 291. 385 per pageblock.
 *
 * Targets: a refill runs until there are as many targets as the batch has
 * pages; from a group boundary that is 11 groups = 33 targets for 32 pages
 * and 32 groups = 96 for 96, so every pageblock moved leaves one more
 * target over: after pageblocks 0..10, 11 * 129 = 1419 targets were taken
 * and 11 are left. Pageblock 11's first batch takes 21 of them after a
 * refill of 33 (1452 taken: blocks 15..13 whole and 100 groups = 400
 * frames of block 12). Its second batch isolated offsets 128..508 and so
 * left the migrate scanner at the start of block 12; 6.1's free scanner
 * stops below pageblock_end(migrate_pfn) = the end of block 12, so after
 * the 12 targets left (sources at offsets 508..464: the batch is a list,
 * the page isolated last goes first) compaction_alloc() finds nothing:
 * -ENOMEM, one page failed, 84 put back. The scanners have met: COMPLETE.
 *
 * Counts: migrate scanned 12 * 385 = 4620; free scanned 3 * 512 + 400 =
 * 1936; isolated 12 * 128 sources + 1452 targets = 2988; migrated 1452.
 * Blocks 0..10 end free (5 order-10 + 1 order-9 blocks), block 11 keeps
 * 84 pages: Fu(9) = 512 / 6144 = 1/12.
 */
Test(compaction, full_compaction_of_the_classic_pattern)
{
	xbt_owner_free_pattern(&o);
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(c.stats.pgmigrate_success, 1452);
	cr_assert_eq(c.stats.pgmigrate_fail, 1);
	cr_assert_eq(c.stats.compact_migrate_scanned, 4620);
	cr_assert_eq(c.stats.compact_free_scanned, 1936);
	cr_assert_eq(c.stats.compact_isolated, 2988);
	cr_assert_eq(o.migrated, 1452);
	cr_assert_eq(o.putback, 84);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 5);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 9), 1);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], 6144);
	cr_assert_float_eq(xb_zone_unusable_index(z, 9), 1.0 / 12, 1e-12);
	/* Block 11 keeps offsets 128..460 (the batch's last 84 pages). */
	for (xb_pfn_t off = 0; off < PB; off += 4)
		cr_assert_eq(z->frames[11 * PB + off].state == XB_FRAME_ALLOC,
			     off >= 128 && off <= 460, "offset %u", off);
	/* Blocks 13..15 and the first 400 frames of block 12 are full. */
	for (xb_pfn_t p = 12 * PB; p < NR_FRAMES; p++)
		if (p >= 13 * PB || p < 12 * PB + 400)
			cr_assert_eq(z->frames[p].state, XB_FRAME_ALLOC,
				     "pfn %u", p);
	assert_consistent();
	/*
	 * A second run: the free scanner finds blocks 15..13 full and, as
	 * 6.1 does after a pageblock that yields nothing, doubles its stride
	 * each time (512 + 256 + 128 steps); in block 12 with a stride of 8
	 * it only lands on pages (64 steps): no target for block 11's first
	 * batch, which is put back (one page failed).
	 */
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(c.stats.pgmigrate_success, 1452);
	cr_assert_eq(c.stats.pgmigrate_fail, 2);
	cr_assert_eq(c.stats.compact_free_scanned, 1936 + 960);
	assert_consistent();
}

/*
 * Pageblock 0 is UNMOVABLE and its frame 0 belongs to the kernel. Sync
 * compaction still moves the block's 127 movable pages (Linux's sync mode
 * takes any pageblock), but the kernel page pins the block: it never
 * becomes one free order-9 block. Block 0 costs 385 steps as the others:
 * its first batch ends after the page at offset 128 (97 steps), its
 * second starts inside the order-2 block the freed page at 128 formed (3
 * frames) and walks the other 95 groups (3 + 285). The first refills now
 * go 33 for 32 and 96 for 95, so the last batch (block 11's 96 pages)
 * gets 13 targets before -ENOMEM: 1452 moved again, one failed, 83 put
 * back. Free afterwards: block 1 alone at order 9 (block 0 is pinned),
 * blocks 2..9 as 4 order-10 blocks, block 10 at order 9, so
 * Fu(9) = (6144 - 10 * 512) / 6144 = 1/6.
 */
Test(compaction, an_unmovable_page_pins_its_pageblock)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);

	pin_page(0, kernel, true);
	xbt_owner_free_pattern(&o);
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(c.stats.pgmigrate_success, 1452);
	cr_assert_eq(c.stats.pgmigrate_fail, 1);
	cr_assert_eq(o.putback, 83);
	cr_assert_eq(c.stats.compact_migrate_scanned, 4620);
	cr_assert_eq(c.stats.compact_free_scanned, 1936);
	cr_assert_eq(c.stats.compact_isolated, 12 * 128 - 1 + 1452);
	cr_assert_eq(z->frames[0].state, XB_FRAME_ALLOC);
	cr_assert_eq(z->frames[0].owner, kernel);
	cr_assert_eq(z->frames[256].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[256].order, 8);
	cr_assert_eq(z->frames[PB].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[PB].order, 9);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 9), 2);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 4);
	cr_assert_float_eq(xb_zone_unusable_index(z, 9), 1.0 / 6, 1e-12);
	assert_consistent();
}

/* Free the pattern's pages in [from, to): their frames merge with the
 * free ones around them. */
static void free_range(xb_pfn_t from, xb_pfn_t to)
{
	for (xb_pfn_t p = from; p < to; p++)
		if (z->frames[p].state == XB_FRAME_ALLOC &&
		    z->frames[p].owner == o.id)
			xbt_owner_free(&o, z->frames[p].next);
}

/*
 * The same zone, async direct compaction for order 9, and a free order-8
 * block at the top of the zone (pfns 7936..8191) that 6.1's
 * fast_isolate_freepages() finds on the free list. Pageblock 0 is not
 * movable, so the migrate scanner skips it unscanned; update_cached_migrate
 * puts the async restart point at pageblock_end_pfn(512) = 1024, one
 * pageblock further, as 6.1 does. The freed pages wait on per-CPU lists
 * (linux_pcp()). Migrate scanned: 1 free-list entry looked at by
 * fast_find_migrateblock() (the order-8 block, above the first half),
 * then block 1's first batch, 512..636 in 94 steps. That batch began (at
 * 6.1's iteration_start_pfn) in block 0, so the scanner has left the
 * order-aligned block it migrated from: compact_zone() drains the lists,
 * and the batch's pages merge with their free neighbours into one free
 * order-7 block, 512..639. The next batch starts at 637, inside that
 * block: an isolation failure (1 step), and async direct compaction gives
 * up block 1. Block 2: 1 list entry, a batch of 32 (94 steps), the rest in
 * a rescan (290); leaving it drains the lists, block 2 is a free order-9
 * block: success. 1 + 94 + 1 + 1 + 94 + 290 = 481 steps, 32 + 128 pages.
 * Free scanned: the fast search looks at 1 entry and takes its 256 pages
 * (256). The 160 pages land in 8032..8191, handed out highest first; the
 * 96 unused targets go back to the per-CPU lists, and finishing block 2
 * moved the restart point to 2048.
 */
Test(compaction, async_skips_an_unmovable_pageblock)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);

	pin_page(0, kernel, true);
	xbt_owner_free_pattern(&o);
	free_range(15 * PB + 256, NR_FRAMES);
	cr_assert_eq(z->frames[15 * PB + 256].order, 8);
	linux_pcp();
	cr_assert_eq(
	    xb_compact_direct(&c, 9, XB_MT_MOVABLE, XB_COMPACT_PRIO_ASYNC),
	    XB_COMPACT_SUCCESS);
	cr_assert_eq(c.stats.pgmigrate_success, 32 + 128);
	cr_assert_eq(c.stats.compact_migrate_scanned,
		     1 + 94 + 1 + 1 + 94 + 290);
	cr_assert_eq(c.stats.compact_free_scanned, 256);
	cr_assert_eq(c.stats.compact_isolated, 160 + 256);
	cr_assert_eq(c.stats.compact_stall, 1);
	cr_assert_eq(c.stats.compact_success, 1);
	cr_assert_eq(c.stats.compact_fail, 0);
	for (xb_pfn_t p = 4; p < PB; p += 4)
		cr_assert_eq(z->frames[p].owner, o.id, "pfn %u stayed", p);
	for (xb_pfn_t p = PB + 640; p < 2 * PB; p += 4)
		cr_assert_eq(z->frames[p].owner, o.id, "pfn %u stayed", p);
	for (xb_pfn_t p = NR_FRAMES - 160; p < NR_FRAMES; p++)
		cr_assert_eq(z->frames[p].state, XB_FRAME_ALLOC, "pfn %u", p);
	cr_assert_eq(z->frames[PB].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[PB].order, 7);
	cr_assert_eq(z->frames[2 * PB].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[2 * PB].order, 9);
	cr_assert_eq(z->pcp.count, 96);
	cr_assert_eq(c.cached_migrate_pfn[0], 4 * PB,
		     "6.1's restart point: one pageblock past block 2");
	assert_consistent();
}

/*
 * What the migrate scanner counts (6.1 isolate_migratepages_block():
 * one step per pfn it lands on). Nothing here can move: blocks 4..15 hold
 * kernel pages. Blocks 0..1 are one free order-10 block, block 2 one
 * order-9 page, block 3 two order-8 pages (the model's compound pages).
 * Block 0: the free block's head, 1 step (the jump ends past the
 * pageblock). Block 1 starts inside it: its frames are not buddy heads,
 * 512 steps. Block 2: a pageblock held by a huge page is not a source at
 * all (pageblock_skip_persistent), 0 steps. Block 3: 2 steps, one per
 * head. Blocks 4..14: 11 * 512 kernel pages. The scanner stops below the
 * free scanner's block 15. 1 + 512 + 0 + 2 + 5632 = 6147; counting every
 * frame, as the model did before, gave 15 * 512 = 7680.
 */
Test(compaction, migrate_scanner_counts_a_block_as_one_step)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);

	for (xb_pfn_t p = 4 * PB; p < NR_FRAMES; p++)
		pin_page(p, kernel, false);
	free_range(2 * PB, 3 * PB);
	cr_assert_eq(xbt_owner_alloc(&o, 9, 0), 2 * PB);
	free_range(3 * PB, 4 * PB);
	cr_assert_eq(xbt_owner_alloc(&o, 8, 0), 3 * PB);
	cr_assert_eq(xbt_owner_alloc(&o, 8, 0), 3 * PB + 256);
	free_range(0, 2 * PB);
	cr_assert_eq(z->frames[0].order, 10);
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(c.stats.compact_migrate_scanned, 1 + 512 + 0 + 2 + 5632);
	cr_assert_eq(c.stats.compact_free_scanned, 0);
	cr_assert_eq(c.stats.pgmigrate_success + c.stats.pgmigrate_fail, 0);
	assert_consistent();
}

/*
 * What the free scanner counts and where it looks (6.1
 * isolate_freepages() and isolate_freepages_block()). Sources: the 32
 * pages at pfns 0..31 (block 0's other frames are free); blocks 1..12
 * hold kernel pages; blocks 14..15 are one free order-10 block; block 13
 * has a page at offset 0 and free blocks of orders 0..8 at offsets 1, 2,
 * 4, ..., 256. Full compaction, so stride 1 to begin with:
 *  - block 15: its first frame is not a buddy head, so unlike block 14
 *    (an order-10 head: left whole) it is a suitable target; its 512
 *    frames are 512 steps and no target. A pageblock that yields nothing
 *    doubles the stride (6.1 does so in every mode): 2.
 *  - block 13 with stride 2: the page (1), the order-1 block at offset 2
 *    (2 steps, 2 targets); the next step lands stride - 1 past it, at
 *    offset 5, and from there only on odd offsets, all inside free
 *    blocks: 254 steps. 257 steps, 2 targets; stride back to 1.
 *  - blocks 12..1, kernel pages, strides 1, 2, 4, 8, 16, 32, 32...:
 *    512 + 256 + 128 + 64 + 32 + 16 + 6 * 16 steps.
 * 1873 steps. The 2 targets go highest first to the batch's last pages:
 * 31 -> offset 3, 30 -> offset 2; then -ENOMEM (the scanners have met):
 * one failure, 30 put back.
 */
Test(compaction, free_scanner_counts_and_strides_as_6_1_does)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);
	xb_pfn_t b13 = 13 * PB;

	for (xb_pfn_t p = PB; p < b13; p++)
		pin_page(p, kernel, false);
	free_range(32, PB);
	free_range(b13 + 1, b13 + PB);
	free_range(14 * PB, NR_FRAMES);
	cr_assert_eq(z->frames[14 * PB].order, 10);
	cr_assert_eq(z->frames[b13 + 2].order, 1);
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(c.stats.compact_free_scanned,
		     512 + 257 + 512 + 256 + 128 + 64 + 32 + 16 + 6 * 16);
	cr_assert_eq(c.stats.compact_migrate_scanned, 32);
	cr_assert_eq(c.stats.pgmigrate_success, 2);
	cr_assert_eq(c.stats.pgmigrate_fail, 1);
	cr_assert_eq(o.putback, 30);
	cr_assert_eq(z->frames[b13 + 3].owner, o.id);
	cr_assert_eq(o.slots[z->frames[b13 + 3].next], b13 + 3);
	/* 30 and 31 moved (a free order-1 block now), 0..29 stayed. */
	cr_assert_eq(z->frames[30].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[30].order, 1);
	cr_assert_eq(z->frames[29].owner, o.id);
	assert_consistent();
}

/*
 * Async runs step 32 frames at a time through a pageblock (6.1's stride
 * COMPACT_CLUSTER_MAX): on the pattern every such frame (pfn 0 mod 32) is
 * a page, so an async whole-zone run finds no target at all: 16 steps in
 * each of blocks 15..1 (240), then -ENOMEM with the scanners met, the
 * first batch (block 0, 94 steps) put back.
 */
Test(compaction, async_free_scanner_steps_32_frames)
{
	struct xb_compact_control cc = {
	    .zone = z,
	    .c = &c,
	    .order = -1,
	    .migratetype = XB_MT_MOVABLE,
	    .mode = XB_MIGRATE_ASYNC,
	    .whole_zone = true,
	    .ignore_skip_hint = true,
	};

	xbt_owner_free_pattern(&o);
	cr_assert_eq(xb_compact_zone(&cc), XB_COMPACT_COMPLETE);
	cr_assert_eq(c.stats.compact_free_scanned, 15 * 16);
	cr_assert_eq(c.stats.compact_migrate_scanned, 94);
	cr_assert_eq(c.stats.pgmigrate_success, 0);
	cr_assert_eq(c.stats.pgmigrate_fail, 1);
	cr_assert_eq(o.putback, 32);
	assert_consistent();
}

/*
 * skip_on_failure (6.1 isolate_migratepages_block(), async direct
 * compaction): an order-aligned block (here the pageblock, order 9) with a
 * page that cannot be isolated is given up at that page, and what was
 * isolated from it is put back. The pattern, a kernel page at pfn 256 in
 * the still-movable block 0, and a free order-8 block at the top for
 * targets (found by the fast free search: 1 entry + 256 pages). The
 * freed pages wait on per-CPU lists (linux_pcp()).
 *  - fast_find_migrateblock() looks at 1 entry (the order-8 block, not in
 *    the lower half): nothing; block 0's first batch: pfns 0..124, 94
 *    steps, migrated; its pages wait on the lists, unmerged.
 *  - the rescan of block 0: the free order-0 and order-1 blocks at 125
 *    and 126 (2 steps), pages 128..252 isolated (96 steps; a rescan has
 *    no 32-page limit), the kernel page (1 step): the 32 go back and the
 *    scanner jumps to the end of the block. 99 steps. Leaving block 0
 *    drains the lists.
 *  - fast_find_migrateblock() at 512: 1 entry; block 1 in 94 + 290.
 *    Leaving it drains the lists, block 1 is free: success.
 * 579 steps; 160 pages moved, 32 put back and still in place, and the
 * pages after the kernel page never looked at.
 */
Test(compaction, async_direct_gives_up_a_block_at_its_first_failure)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);

	pin_page(256, kernel, false);
	xbt_owner_free_pattern(&o);
	free_range(15 * PB + 256, NR_FRAMES);
	linux_pcp();
	cr_assert_eq(
	    xb_compact_direct(&c, 9, XB_MT_MOVABLE, XB_COMPACT_PRIO_ASYNC),
	    XB_COMPACT_SUCCESS);
	cr_assert_eq(c.stats.compact_migrate_scanned,
		     1 + 94 + 99 + 1 + 94 + 290);
	cr_assert_eq(c.stats.compact_free_scanned, 256);
	cr_assert_eq(c.stats.pgmigrate_success, 160);
	cr_assert_eq(c.stats.pgmigrate_fail, 0);
	cr_assert_eq(o.putback, 32);
	cr_assert_eq(c.stats.compact_isolated, 160 + 256);
	for (xb_pfn_t p = 128; p < PB; p += 4)
		if (p != 256)
			cr_assert_eq(z->frames[p].owner, o.id, "pfn %u", p);
	cr_assert_eq(z->frames[PB].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[PB].order, 9);
	assert_consistent();
}

/*
 * fast_find_migrateblock() as 6.1 has it: for a costly order it looks on
 * the movable free lists of orders 8..3 for a block in the lower half of
 * the scan space, jumps there and marks that pageblock skipped; as 6.1
 * reverted "mm/compaction: fix set skip in fast_find_migrateblock",
 * isolate_migratepages_block() then sees the mark at the block's first
 * frame and abandons the block (1 step). The pattern, a free order-6
 * block at pfn 1088 (block 2) and a free order-8 block at the top.
 *  - search at 0: 2 entries (the order-8 block is too high, 1088 fits):
 *    jump to block 2, mark it, abandon it: 1 step. Blocks 0 and 1 are
 *    never scanned.
 *  - search at 1536: 2 entries, both refused, so the linear scan restarts
 *    at the lowest free pfn found, 1088: its head (1 step), then 32 pages
 *    (94 steps), 32 more (96: the batch began, at 6.1's
 *    iteration_start_pfn, in block 3, so it is not a rescan), then the
 *    rest (98, a rescan). Pages 1024..1084 are never scanned. The pages
 *    wait on per-CPU lists (linux_pcp()) until the scanner leaves block 2.
 *  - search at 1536: 3 entries (block 2's free blocks, skipped); block 3
 *    in 94 + 290; leaving it drains the lists and it is free: success.
 * 2 + 1 + 2 + 95 + 96 + 98 + 3 + 94 + 290 = 681 steps, 96 + 128 pages.
 */
Test(compaction, fast_find_migrateblock_jumps_and_skips_the_block_it_finds)
{
	xbt_owner_free_pattern(&o);
	free_range(2 * PB + 64, 2 * PB + 128);
	free_range(15 * PB + 256, NR_FRAMES);
	cr_assert_eq(z->frames[2 * PB + 64].order, 6);
	linux_pcp();
	cr_assert_eq(
	    xb_compact_direct(&c, 9, XB_MT_MOVABLE, XB_COMPACT_PRIO_ASYNC),
	    XB_COMPACT_SUCCESS);
	cr_assert_eq(c.stats.compact_migrate_scanned,
		     2 + 1 + 2 + 95 + 96 + 98 + 3 + 94 + 290);
	cr_assert_eq(c.stats.pgmigrate_success, 96 + 128);
	for (xb_pfn_t p = 0; p < 2 * PB + 64; p += 4)
		cr_assert_eq(z->frames[p].owner, o.id, "pfn %u", p);
	cr_assert_eq(z->frames[3 * PB].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[3 * PB].order, 9);
	cr_assert(z->pageblock[2] & XB_PB_SKIP);
	assert_consistent();
}

static const struct xb_zone_ops zone_ops = {.compact = xb_compact_hook};

/*
 * The pattern: an order-9 request fails. The free lists hold only order-0
 * and order-1 blocks, freed in ascending pfn order, so 6.1's
 * fast_isolate_freepages() looks at the lowest ones (256 + 128 entries
 * from the lists' tails), finds none in the top half and moves the free
 * scanner to the half-way mark (3584); async steps of 32 land only on
 * pages, so the async run finds no target: -ENOMEM, its batch of 32
 * (block 0, 94 steps) put back, one page failed. That run marked block 0
 * skipped (its first page, an LRU page, claimed the block:
 * test_and_set_skip) and blocks 1..7 (its free scanner walked them to the
 * end). A sync-light run skips them and empties block 8 in three batches
 * (the run began at pfn 0, so the second batch is not a rescan): 94 + 97 +
 * 195 steps, with targets from pageblocks the fast search picks at 5632
 * and 4608. The allocation then gets pfn 8 * 512.
 */
Test(compaction, sync_light_succeeds_where_async_finds_no_target)
{
	xbt_owner_free_pattern(&o);
	xb_zone_set_ops(z, &zone_ops, &c);
	cr_assert_eq(xbt_owner_alloc(&o, 9, 0), XB_NIL);
	cr_assert_eq(c.stats.compact_stall, 0);
	cr_assert_neq(
	    xb_compact_direct(&c, 9, XB_MT_MOVABLE, XB_COMPACT_PRIO_ASYNC),
	    XB_COMPACT_SUCCESS);
	cr_assert_eq(c.stats.compact_fail, 1);
	/* The scanners meet as block 8 is emptied: COMPLETE, which defers,
	 * but the order's min-watermark check passes, so it counts as a
	 * success and the deferral is reset. */
	cr_assert_eq(
	    xb_compact_direct(&c, 9, XB_MT_MOVABLE, XB_COMPACT_PRIO_SYNC_LIGHT),
	    XB_COMPACT_COMPLETE);
	cr_assert_eq(c.compact_defer_shift, 0);
	cr_assert_eq(xbt_owner_alloc(&o, 9, 0), 8 * PB);
	cr_assert_eq(c.stats.compact_stall, 2);
	cr_assert_eq(c.stats.compact_success, 1);
	cr_assert_eq(c.stats.pgmigrate_success, 128);
	cr_assert_eq(c.stats.pgmigrate_fail, 1);
	cr_assert_eq(o.putback, 32);
	cr_assert_eq(c.stats.compact_migrate_scanned, 94 + 94 + 97 + 195);
	cr_assert_eq(c.compact_order_failed, 10);
	assert_consistent();
}

/*
 * The same request through the allocator's slow path, as a costly order
 * without __GFP_RETRY_MAYFAIL and with nothing to reclaim: async
 * compaction before reclaim, then once more in the retry round, both
 * async, both failing; the request fails (Linux would not escalate
 * either: a costly order retries only with __GFP_RETRY_MAYFAIL, and
 * should_compact_retry() only after reclaim progress).
 */
Test(compaction, costly_request_without_retry_stays_async_and_fails)
{
	xbt_owner_free_pattern(&o);
	xb_zone_set_ops(z, &zone_ops, &c);
	cr_assert_eq(xbt_owner_alloc(&o, 9, XB_ALLOC_COMPACT), XB_NIL);
	cr_assert_eq(z->stats.alloc_compact, 2);
	cr_assert_eq(c.stats.compact_stall, 2);
	cr_assert_eq(c.stats.compact_fail, 2);
	cr_assert_eq(c.stats.compact_deferred, 0);
	cr_assert_eq(c.compact_defer_shift, 0, "async never defers");
	assert_consistent();
}

/*
 * try_to_compact_pages(): async compaction never defers. The same hopeless
 * zone, compacted async ten times: every attempt runs and fails, none is
 * deferred, the back-off never starts.
 */
Test(compaction, async_failures_do_not_defer)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);

	for (xb_pfn_t p = 0; p < NR_FRAMES; p += PB)
		pin_page(p, kernel, false);
	xbt_owner_free_pattern(&o);
	for (unsigned i = 0; i < 10; i++)
		cr_assert_neq(xb_compact_direct(&c, 9, XB_MT_MOVABLE,
						XB_COMPACT_PRIO_ASYNC),
			      XB_COMPACT_DEFERRED);
	cr_assert_eq(c.stats.compact_deferred, 0);
	cr_assert_eq(c.stats.compact_stall, 10);
	cr_assert_eq(c.stats.compact_fail, 10);
	cr_assert_eq(c.compact_defer_shift, 0);
	assert_consistent();
}

/*
 * Every pageblock holds a kernel page at offset 0: no compaction can free
 * a pageblock. Each sync-light attempt that runs fails and doubles the
 * back-off (up to 2^6): attempts run at calls 1, 3, 7, 15, 31, 63, 127,
 * the other 120 of 127 are deferred.
 */
Test(compaction, deferral_backs_off_after_failures)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);

	for (xb_pfn_t p = 0; p < NR_FRAMES; p += PB)
		pin_page(p, kernel, false);
	xbt_owner_free_pattern(&o);
	for (unsigned i = 1; i <= 127; i++) {
		uint64_t deferred = c.stats.compact_deferred;

		cr_assert_neq(xb_compact_direct(&c, 9, XB_MT_MOVABLE,
						XB_COMPACT_PRIO_SYNC_LIGHT),
			      XB_COMPACT_SUCCESS);
		bool ran = (i & (i + 1)) == 0; /* i = 2^k - 1 */

		cr_assert_eq(c.stats.compact_deferred, deferred + !ran,
			     "call %u", i);
	}
	cr_assert_eq(c.stats.compact_deferred, 120);
	cr_assert_eq(c.stats.compact_stall, 127);
	cr_assert_eq(c.stats.compact_fail, 127);
	cr_assert_eq(c.stats.compact_success, 0);
	cr_assert_eq(c.compact_defer_shift, XB_COMPACT_MAX_DEFER_SHIFT);
	cr_assert_eq(c.compact_considered, 0);
	cr_assert_eq(c.compact_order_failed, 0);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 9), 0);
	assert_consistent();
}

Test(compaction, defer_primitives_follow_linux)
{
	/* Nothing failed yet: never deferred. */
	cr_assert_not(xb_compact_deferred(&c, 9));
	xb_compact_defer(&c, 9);
	cr_assert_eq(c.compact_defer_shift, 1);
	cr_assert(xb_compact_deferred(&c, 9));
	cr_assert_not(xb_compact_deferred(&c, 9));
	/* A success at order 9 (no page yet) stops deferring orders <= 9. */
	xb_compact_defer_reset(&c, 9, false);
	cr_assert_eq(c.compact_order_failed, 10);
	cr_assert_eq(c.compact_defer_shift, 1);
	xb_compact_defer_reset(&c, 9, true);
	cr_assert_eq(c.compact_defer_shift, 0);
	for (int i = 0; i < 10; i++)
		xb_compact_defer(&c, 3);
	cr_assert_eq(c.compact_defer_shift, XB_COMPACT_MAX_DEFER_SHIFT);
	cr_assert_eq(c.compact_order_failed, 3);
	cr_assert(xb__compactor_is_valid(&c));
}

/*
 * Proactive compaction with proactiveness 20: marks low 80, high 90. The
 * score (extfrag for order 9) is 100, so kcompactd compacts until it is
 * <= 80, checking before every batch (32, then the rest of the pageblock,
 * as in the full run). After blocks 0 and 1 (4 batches, 2 targets held)
 * 1024 of 6142 free pages are in order-9 blocks: score 83. After block 2
 * (3 targets held) 1536 of 6141: 74, stop. 384 pages moved, 3 * 385
 * frames scanned; with the 3 targets released the score is
 * 4608 * 100 / 6144 = 75, below the high mark, so the next period does
 * nothing.
 */
Test(compaction, proactive_compaction_stops_at_the_low_mark)
{
	xbt_owner_free_pattern(&o);
	cr_assert_eq(xb_compact_score_wmark(&c, true), 80);
	cr_assert_eq(xb_compact_score_wmark(&c, false), 90);
	cr_assert_eq(xb_compact_proactive(&c), XB_COMPACT_SUCCESS);
	cr_assert_eq(c.stats.pgmigrate_success, 384);
	cr_assert_eq(c.stats.compact_migrate_scanned, 3 * 385);
	cr_assert_eq(xb_compact_fragmentation_score(&c), 75);
	cr_assert_eq(xb_compact_proactive(&c), XB_COMPACT_SKIPPED);
	cr_assert_eq(c.stats.pgmigrate_success, 384);
	cr_assert_eq(c.stats.compact_stall, 0);
	assert_consistent();
}

/* A kernel page in every pageblock: a proactive run cannot lower the
 * score (100), so kcompactd sleeps 64 periods before trying again. */
Test(compaction, proactive_backs_off_without_progress)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);

	for (xb_pfn_t p = 0; p < NR_FRAMES; p += PB)
		pin_page(p, kernel, false);
	xbt_owner_free_pattern(&o);
	cr_assert_eq(xb_compact_proactive(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(xb_compact_fragmentation_score(&c), 100);
	for (int i = 0; i < 63; i++)
		cr_assert_eq(xb_compact_proactive(&c), XB_COMPACT_DEFERRED);
	cr_assert_eq(xb_compact_proactive(&c), XB_COMPACT_COMPLETE);
	c.proactiveness = 0;
	for (int i = 0; i < 64; i++)
		xb_compact_proactive(&c);
	cr_assert_eq(xb_compact_proactive(&c), XB_COMPACT_SKIPPED);
	assert_consistent();
}

static unsigned nr_skip_hints(void)
{
	unsigned n = 0;

	for (uint64_t i = 0; i < z->nr_pageblocks; i++)
		n += (z->pageblock[i] & XB_PB_SKIP) != 0;
	return n;
}

/* Skip hints never change what full compaction does: it ignores them
 * (the numbers of full_compaction_of_the_classic_pattern). */
Test(compaction, full_compaction_ignores_skip_hints)
{
	xbt_owner_free_pattern(&o);
	for (uint64_t i = 0; i < z->nr_pageblocks; i++)
		z->pageblock[i] |= XB_PB_SKIP;
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(c.stats.pgmigrate_success, 1452);
	cr_assert_eq(c.stats.compact_migrate_scanned, 4620);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 5);
	assert_consistent();
}

/*
 * A kernel page in every pageblock: direct compaction (async, then sync
 * light) runs until the scanners meet. The migrate scanner marks the
 * pageblocks it scanned whole without isolating anything (the kernel
 * page alone is left in blocks 0..11 after the first run), the free
 * scanner those it scanned to their end. Meeting in direct compaction
 * sets blockskip_flush; kcompactd's proactive period leaves the hints, and
 * kswapd, before it sleeps, clears those of the blocks whose sample finds
 * an LRU page or a free block, here every one (reset_isolation_suitable());
 * without the flag the flush does nothing.
 */
Test(compaction, stale_skip_hints_are_flushed_when_kswapd_sleeps)
{
	uint32_t kernel = xb_zone_register_owner(z, "kernel", NULL, NULL);

	for (xb_pfn_t p = 0; p < NR_FRAMES; p += PB)
		pin_page(p, kernel, false);
	xbt_owner_free_pattern(&o);
	cr_assert_neq(
	    xb_compact_direct(&c, 9, XB_MT_MOVABLE, XB_COMPACT_PRIO_SYNC_LIGHT),
	    XB_COMPACT_SUCCESS);
	cr_assert(c.blockskip_flush);
	cr_assert_gt(nr_skip_hints(), 0);
	c.proactiveness = 0;
	cr_assert_eq(xb_compact_proactive(&c), XB_COMPACT_SKIPPED);
	cr_assert(c.blockskip_flush);
	xb_compact_blockskip_flush(&c);
	cr_assert_not(c.blockskip_flush);
	cr_assert_eq(nr_skip_hints(), 0);
	/* 6.1's flush samples every 8th frame: from the bottom, block 0
	 * has LRU pages (a source, the migrate restart point); from the
	 * top, blocks 15..8 are full of pages and have no free block head,
	 * so no target is found and the scanners are left where the walk
	 * met, in the middle: no distance between them. */
	cr_assert_eq(c.init_migrate_pfn, 0);
	cr_assert_eq(c.init_free_pfn, 0);
	cr_assert_eq(c.cached_migrate_pfn[0], NR_FRAMES / 2);
	cr_assert_eq(c.cached_migrate_pfn[1], NR_FRAMES / 2);
	cr_assert_eq(c.cached_free_pfn, NR_FRAMES / 2 - 1);
	/* The flag is spent: a hint set now stays through another flush. */
	z->pageblock[3] |= XB_PB_SKIP;
	xb_compact_blockskip_flush(&c);
	cr_assert_eq(nr_skip_hints(), 1);
	z->pageblock[3] &= (uint8_t)~XB_PB_SKIP;
	assert_consistent();
}

/* Direct compaction without enough free memory to migrate into is
 * skipped: no stall counted. */
Test(compaction, too_little_free_memory_is_skipped)
{
	/* Keep 1023 free frames (order-9 needs low + 2 << 9 = 1024). */
	for (uint32_t s = 0; s < 1023; s++)
		xbt_owner_free(&o, s * 4 + 1);
	cr_assert_eq(
	    xb_compact_direct(&c, 9, XB_MT_MOVABLE, XB_COMPACT_PRIO_ASYNC),
	    XB_COMPACT_SKIPPED);
	cr_assert_eq(c.stats.compact_stall, 0);
	cr_assert_eq(c.stats.compact_migrate_scanned, 0);
	assert_consistent();
}

Test(compaction, result_predicates)
{
	cr_assert(xb_compaction_failed(XB_COMPACT_COMPLETE));
	cr_assert(xb_compaction_withdrawn(XB_COMPACT_DEFERRED));
	cr_assert(xb_compaction_withdrawn(XB_COMPACT_PARTIAL_SKIPPED));
	cr_assert_not(xb_compaction_withdrawn(XB_COMPACT_COMPLETE));
	cr_assert(xb_compaction_made_progress(XB_COMPACT_SUCCESS));
	cr_assert_str_eq(xb_compact_result_name(XB_COMPACT_CONTENDED),
			 "contended");
}

/*
 * A seeded random run mixing workload pages (order 0 and 9), kernel
 * (unmovable) pages, balloon pages whose driver sometimes answers -EAGAIN,
 * direct compaction through the zone's hook, kcompactd periods and full
 * compaction. After every compaction every structure is checked and the
 * frames are conserved: workload + kernel + balloon + free = the zone.
 * Run twice with one seed, the two runs must agree on every counter.
 */
#include "xballoon/balloon_dev.h"
#include "xballoon/rng.h"

struct rand_run {
	struct xb_zone *z;
	struct xbt_owner o;
	struct xb_balloon_dev b;
	struct xb_compactor c;
	struct xb_rng rng;
	uint32_t kernel;
	uint64_t kernel_pages;
	uint64_t driver_calls;
	uint64_t full_runs[2]; /* contended, complete */
};

static int rand_migratepage(struct xb_balloon_dev *dev, xb_pfn_t newpage,
			    xb_pfn_t page)
{
	struct rand_run *r = dev->priv;

	r->driver_calls++;
	return xb_rng_below(&r->rng, 8) == 0 ? -EAGAIN : 0;
}

static void rand_check(struct rand_run *r)
{
	struct xb_zone *zz = r->z;
	uint64_t workload = 0;

	cr_assert(xb__zone_is_valid(zz));
	cr_assert(xbt_owner_is_valid(&r->o));
	cr_assert(xb__balloon_dev_is_valid(&r->b));
	cr_assert(xb__compactor_is_valid(&r->c));
	cr_assert_eq(zz->nr_state[XB_FRAME_ISOLATED], 0);
	cr_assert_eq(r->b.isolated_pages, 0);
	for (uint32_t s = 0; s < r->o.nr_used; s++)
		if (r->o.slots[s] != XB_NIL)
			workload += 1ull << zz->frames[r->o.slots[s]].order;
	cr_assert_eq(zz->nr_state[XB_FRAME_ALLOC], workload + r->kernel_pages);
	cr_assert_eq(zz->nr_state[XB_FRAME_UNPOPULATED], r->b.nr_pages);
	cr_assert_eq(workload + r->kernel_pages + r->b.nr_pages +
			 zz->nr_state[XB_FRAME_FREE] +
			 zz->nr_state[XB_FRAME_PCP],
		     zz->nr_frames);
}

static const struct xb_zone_ops rand_ops = {.compact = xb_compact_hook};

static void rand_run(struct rand_run *r, uint64_t seed)
{
	const uint32_t nr_ops = 6000;

	r->z = xbt_zone_online(8192);
	xbt_owner_init(&r->o, r->z, nr_ops + 8192);
	xb_balloon_dev_init(&r->b, r->z, rand_migratepage, r);
	xb_compactor_init(&r->c, r->z);
	xb_zone_set_ops(r->z, &rand_ops, &r->c);
	r->kernel = xb_zone_register_owner(r->z, "kernel", NULL, NULL);
	r->kernel_pages = r->driver_calls = 0;
	r->full_runs[0] = r->full_runs[1] = 0;
	xb_rng_seed(&r->rng, seed);
	/* Boot-time kernel allocations: they steal one order-10 block
	 * (two pageblocks become UNMOVABLE) and stay. */
	for (int k = 0; k < 64; k++)
		if (xb_zone_alloc(r->z, 0, XB_MT_UNMOVABLE, 0, r->kernel,
				  XB_NIL) != XB_NIL)
			r->kernel_pages++;
	/* Fill most of the zone, so that the random frees fragment it. */
	while (r->z->nr_state[XB_FRAME_FREE] > 512)
		xbt_owner_alloc(&r->o, 0, 0);
	while (r->z->nr_state[XB_FRAME_FREE] * 10 < r->z->nr_frames * 4) {
		uint32_t s = (uint32_t)xb_rng_below(&r->rng, r->o.nr_used);

		if (r->o.slots[s] != XB_NIL)
			xbt_owner_free(&r->o, s);
	}
	for (uint32_t i = 0; i < nr_ops; i++) {
		uint64_t op = xb_rng_below(&r->rng, 100);

		/* Order-0 churn that keeps about 60 % of the zone held. */
		bool want_alloc =
		    r->z->nr_state[XB_FRAME_FREE] * 10 > r->z->nr_frames * 4;

		if (op < 70 && want_alloc) {
			xbt_owner_alloc(&r->o, 0, 0);
		} else if (op < 70 && r->o.nr_live) {
			/* A random live slot (a few tries over the holes). */
			for (int t = 0; t < 8; t++) {
				uint32_t s = (uint32_t)xb_rng_below(
				    &r->rng, r->o.nr_used);

				if (r->o.slots[s] != XB_NIL) {
					xbt_owner_free(&r->o, s);
					break;
				}
			}
		} else if (op < 78) {
			xb_pfn_t p = xb_balloon_page_alloc(&r->b, 0);

			if (p != XB_NIL) {
				xb_zone_set_state(r->z, p, XB_FRAME_UNPOPULATED,
						  r->b.owner);
				xb_balloon_page_enqueue(&r->b, p);
			}
		} else if (op < 85) {
			xb_pfn_t p = xb_balloon_page_dequeue(&r->b);

			if (p != XB_NIL) {
				xb_zone_set_state(r->z, p, XB_FRAME_BALLOON,
						  r->b.owner);
				xb_zone_free(r->z, p);
			}
		} else if (op < 90) {
			/* A huge page, held until a random free hits it:
			 * through the slow path (async compaction only, as
			 * for a costly order), or after a sync-light run,
			 * the priority that defers when it fails. */
			if (op < 87) {
				xbt_owner_alloc(&r->o, 9, XB_ALLOC_COMPACT);
			} else {
				xb_compact_direct(&r->c, 9, XB_MT_MOVABLE,
						  XB_COMPACT_PRIO_SYNC_LIGHT);
				xbt_owner_alloc(&r->o, 9, 0);
			}
			rand_check(r);
		} else if (op < 99 || xb_rng_below(&r->rng, 8)) {
			xb_compact_proactive(&r->c);
			rand_check(r);
		} else {
			enum xb_compact_result res =
			    xb_compact_zone_full(&r->c);

			/* CONTENDED: the free scanner hit the min
			 * watermark before the scanners met. */
			cr_assert(res == XB_COMPACT_COMPLETE ||
				      res == XB_COMPACT_CONTENDED,
				  "%s", xb_compact_result_name(res));
			r->full_runs[res == XB_COMPACT_COMPLETE]++;
			rand_check(r);
		}
	}
	rand_check(r);
}

static void rand_free(struct rand_run *r)
{
	xbt_owner_fini(&r->o);
	xb_zone_destroy(r->z);
}

Test(compaction_random, mixed_run_keeps_every_invariant, .timeout = 600)
{
	static struct rand_run a, b2;

	rand_run(&a, 7);
	cr_assert_gt(a.c.stats.pgmigrate_success, 1000);
	cr_assert_gt(a.c.stats.pgmigrate_fail, 0, "some -EAGAIN ran out");
	cr_assert_gt(a.b.stats.balloon_migrate, 0);
	cr_assert_gt(a.c.stats.compact_success, 0);
	cr_assert_gt(a.full_runs[1], 0);
	cr_assert_gt(a.c.stats.compact_stall, a.c.stats.compact_success);
	cr_assert_gt(a.c.stats.compact_deferred, 0);
	rand_run(&b2, 7);
	cr_assert_eq(memcmp(&a.c.stats, &b2.c.stats, sizeof(a.c.stats)), 0,
		     "same seed, same counters");
	cr_assert_eq(memcmp(&a.z->stats, &b2.z->stats, sizeof(a.z->stats)), 0);
	cr_assert_eq(a.driver_calls, b2.driver_calls);
	cr_assert_eq(memcmp(a.z->frames, b2.z->frames,
			    a.z->nr_frames * sizeof(struct xb_frame)),
		     0, "same seed, same frames");
	rand_free(&a);
	rand_free(&b2);
}
