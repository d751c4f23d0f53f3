/*
 * The core balloon device: the page list and its protocol, the checker,
 * and balloon pages moved by compaction through the driver's migratepage
 * callback (success, -EAGAIN retries, hard failure, no callback).
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "support/testutil.h"
#include "xballoon/balloon_dev.h"
#include "xballoon/compaction.h"
#include "xballoon/movable.h"

#define NR_FRAMES 8192u
#define PB	  512u

static struct xb_zone *z;
static struct xb_balloon_dev b;
static struct xb_compactor c;

/* The driver side: counts calls, remembers the pairs, answers `rc`. */
struct driver {
	int rc;
	uint64_t calls;
	xb_pfn_t first_new, first_old, last_new, last_old;
};
static struct driver drv;

static int migratepage(struct xb_balloon_dev *dev, xb_pfn_t newpage,
		       xb_pfn_t page)
{
	struct driver *d = dev->priv;

	if (d->calls++ == 0) {
		d->first_new = newpage;
		d->first_old = page;
	}
	d->last_new = newpage;
	d->last_old = page;
	return d->rc;
}

static void setup(void)
{
	z = xbt_zone_online_nowmark(NR_FRAMES);
	drv = (struct driver){0};
	xb_balloon_dev_init(&b, z, migratepage, &drv);
	xb_compactor_init(&c, z);
}

static void teardown(void)
{
	xb_balloon_dev_fini(&b);
	xb_zone_destroy(z);
}

/* Inflate the page at pfn by the documented protocol. */
static void inflate(xb_pfn_t pfn)
{
	xb_zone_set_state(z, pfn, XB_FRAME_UNPOPULATED, b.owner);
	xb_balloon_page_enqueue(&b, pfn);
}

/* Fill the zone with balloon-owned pages, balloon every 64th frame and
 * free the rest: 8 balloon pages per pageblock, 128 in all. */
static void scatter(void)
{
	for (xb_pfn_t p = 0; p < NR_FRAMES; p++)
		cr_assert_eq(xb_balloon_page_alloc(&b, XB_ALLOC_NOWMARK), p);
	for (xb_pfn_t p = 0; p < NR_FRAMES; p++) {
		if (p % 64 == 0)
			inflate(p);
		else
			xb_zone_free(z, p);
	}
	cr_assert_eq(b.nr_pages, 128);
	cr_assert_eq(z->nr_state[XB_FRAME_UNPOPULATED], 128);
	cr_assert_eq(z->managed, NR_FRAMES - 128);
}

static void assert_consistent(void)
{
	cr_assert(xb__balloon_dev_is_valid(&b));
	cr_assert(xb__zone_is_valid(z));
	cr_assert_eq(b.isolated_pages, 0);
	cr_assert_eq(z->nr_state[XB_FRAME_ISOLATED], 0);
	cr_assert_eq(z->nr_state[XB_FRAME_UNPOPULATED], b.nr_pages);
	cr_assert_eq(z->managed, NR_FRAMES - b.nr_pages);
}

TestSuite(balloon_dev, .init = setup, .fini = teardown);

Test(balloon_dev, enqueue_dequeue_follow_the_protocol)
{
	xb_pfn_t p[3];

	for (int i = 0; i < 3; i++) {
		p[i] = xb_balloon_page_alloc(&b, 0);
		cr_assert_eq(z->frames[p[i]].state, XB_FRAME_ALLOC);
		cr_assert_eq(z->frames[p[i]].owner, b.owner);
		inflate(p[i]);
	}
	cr_assert_eq(b.nr_pages, 3);
	cr_assert_eq(b.stats.balloon_inflate, 3);
	cr_assert(xb_frame_is_movable(&z->frames[p[1]]));
	cr_assert(xb__balloon_dev_is_valid(&b));
	/* The list is LIFO: the last enqueued page comes out first. */
	xb_pfn_t d = xb_balloon_page_dequeue(&b);

	cr_assert_eq(d, p[2]);
	cr_assert_eq(z->frames[d].state, XB_FRAME_UNPOPULATED);
	cr_assert_not(xb_frame_is_movable(&z->frames[d]));
	cr_assert_eq(b.stats.balloon_deflate, 1);
	/* deflate: populated again, then freed. */
	xb_zone_set_state(z, d, XB_FRAME_BALLOON, b.owner);
	xb_zone_free(z, d);
	xb_balloon_page_remove(&b, p[0]);
	cr_assert_eq(b.nr_pages, 1);
	cr_assert_eq(b.head, p[1]);
	cr_assert_eq(b.tail, p[1]);
	/* p[0] stays ballooned outside the device (unflagged): not the
	 * device's any more, and not movable. */
	cr_assert_not(xb_frame_is_movable(&z->frames[p[0]]));
	cr_assert(xb__balloon_dev_is_valid(&b));
}

/*
 * Full compaction: sources are the 8 balloon pages of each pageblock
 * (one pageblock, one batch; the batch is a list, its last page goes
 * first), blocks 0..14 = 120 pages; the free scanner works in block 15,
 * taking free blocks until it has as many targets as the batch has pages,
 * and compaction_alloc() hands out the highest pfn first (6.1's
 * split_map_pages() order). Refills: offsets 1..15 (15 targets), 16..31,
 * 32..63, 65..79, 80..95, 96..127; the last 6 (96..101) are released
 * when the scanners meet at block 15, whose own 8 pages stay. The first
 * page moved is block 0's last (448), to offset 15; the last is block
 * 14's first, to offset 102.
 */
Test(balloon_dev, compaction_packs_balloon_pages_at_the_zone_end)
{
	scatter();
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(drv.calls, 120);
	cr_assert_eq(b.stats.balloon_migrate, 120);
	cr_assert_eq(c.stats.pgmigrate_success, 120);
	cr_assert_eq(c.stats.pgmigrate_fail, 0);
	cr_assert_eq(drv.first_old, 448);
	cr_assert_eq(drv.first_new, 15 * PB + 15);
	cr_assert_eq(drv.last_old, 14 * PB);
	cr_assert_eq(drv.last_new, 15 * PB + 102);
	cr_assert_eq(b.nr_pages, 128);
	for (xb_pfn_t off = 0; off < PB; off++) {
		xb_pfn_t p = 15 * PB + off;
		bool ballooned =
		    off % 64 == 0 || off <= 95 || (off >= 102 && off <= 127);

		cr_assert_eq(z->frames[p].state == XB_FRAME_UNPOPULATED,
			     ballooned, "offset %u", off);
	}
	/* Blocks 0..14 are free: 7 order-10 blocks and one order-9. */
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 7);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 9), 1);
	assert_consistent();
}

/* A driver that always answers -EAGAIN: every page is tried 10 times
 * (migrate_pages' passes) and put back; nothing moves or is lost. */
Test(balloon_dev, failing_migratepage_keeps_every_count)
{
	uint64_t before[XB_MAX_ORDER];

	scatter();
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		before[o] = xb_buddy_nr_free(&z->buddy, o);
	drv.rc = -EAGAIN;
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(drv.calls, 120 * XB_MIGRATE_MAX_RETRY);
	cr_assert_eq(c.stats.pgmigrate_fail, 120);
	cr_assert_eq(c.stats.pgmigrate_success, 0);
	cr_assert_eq(b.stats.balloon_migrate, 0);
	cr_assert_eq(b.nr_pages, 128);
	for (xb_pfn_t p = 0; p < NR_FRAMES; p++)
		cr_assert_eq(z->frames[p].state == XB_FRAME_UNPOPULATED,
			     p % 64 == 0, "pfn %u", p);
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		cr_assert_eq(xb_buddy_nr_free(&z->buddy, o), before[o],
			     "order %u", o);
	assert_consistent();
}

/* A hard error is not retried: one call per page. */
Test(balloon_dev, hard_failure_is_not_retried)
{
	scatter();
	drv.rc = -EBUSY;
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(drv.calls, 120);
	cr_assert_eq(c.stats.pgmigrate_fail, 120);
	cr_assert_eq(b.nr_pages, 128);
	assert_consistent();
}

/* Without a migratepage callback (the `linux` policy, ablations) balloon
 * pages are never isolated: nothing is migrated or even isolated. The
 * migrate scanner takes 7 steps per 64 frames (the balloon page and the
 * heads of the free blocks of orders 0..5 after it), 56 per pageblock,
 * over blocks 0..14. */
Test(balloon_dev, no_callback_means_balloon_pages_stay)
{
	b.migratepage = NULL;
	scatter();
	cr_assert_eq(xb_compact_zone_full(&c), XB_COMPACT_COMPLETE);
	cr_assert_eq(c.stats.compact_isolated, 0);
	cr_assert_eq(c.stats.pgmigrate_success + c.stats.pgmigrate_fail, 0);
	cr_assert_eq(c.stats.compact_migrate_scanned, 15 * 56);
	for (xb_pfn_t p = 0; p < NR_FRAMES; p += 64)
		cr_assert_eq(z->frames[p].state, XB_FRAME_UNPOPULATED);
	assert_consistent();
}

/* The checker counts isolated balloon pages: list + isolated = the pages
 * the zone sees, during an isolation as well. */
Test(balloon_dev, checker_counts_isolated_pages)
{
	const struct xb_owner *ow;

	scatter();
	ow = xb_zone_owner(z, b.owner);
	cr_assert(ow->ops->isolate(ow->priv, z, 64));
	cr_assert_eq(b.nr_pages, 127);
	cr_assert_eq(b.isolated_pages, 1);
	cr_assert_eq(z->frames[64].state, XB_FRAME_ISOLATED);
	cr_assert(xb__balloon_dev_is_valid(&b));
	/* Not on the list any more: a second isolation is refused. */
	cr_assert_not(ow->ops->isolate(ow->priv, z, 64));
	ow->ops->putback(ow->priv, z, 64);
	cr_assert_eq(b.head, 64);
	assert_consistent();
	/* A lost page is caught. */
	b.isolated_pages++;
	cr_assert_not(xb__balloon_dev_is_valid(&b));
	b.isolated_pages--;
}

/* Inflate n pages of 2 MiB region r, from its first frame on; every other
 * frame of the zone is freed. */
static void fill_regions(const unsigned *n, unsigned nr)
{
	for (xb_pfn_t p = 0; p < NR_FRAMES; p++)
		cr_assert_eq(xb_balloon_page_alloc(&b, XB_ALLOC_NOWMARK), p);
	for (xb_pfn_t p = 0; p < NR_FRAMES; p++) {
		unsigned r = p / XB_BALLOON_REGION_PAGES;

		if (r < nr && p % XB_BALLOON_REGION_PAGES < n[r])
			inflate(p);
		else
			xb_zone_free(z, p);
	}
}

Test(balloon_dev, regions_give_the_fullest_regions_first)
{
	/* Regions 0..5: 3, 500, 100, 0, 7, 100 listed pages; region 5 is
	 * filled after region 2, so it is the newer of the two 100s. */
	static const unsigned n[] = {3, 500, 100, 0, 7, 100};
	xb_pfn_t out[XB_BALLOON_REGION_PAGES];

	cr_assert_eq(xb_balloon_dev_track_regions(&b), 0);
	fill_regions(n, 6);
	cr_assert(xb__balloon_dev_is_valid(&b));
	cr_assert_eq(b.regions->count[1], 500);
	cr_assert_eq(b.regions->count[3], 0);
	cr_assert_eq(xb_balloon_dev_pick_regions(&b, out, 512), 512);
	for (unsigned i = 0; i < 500; i++)
		cr_assert_eq(out[i], 512 + i);
	for (unsigned i = 500; i < 512; i++)
		cr_assert_eq(out[i], 5 * 512 + (i - 500), "out[%u] = %u", i,
			     out[i]);
	/* Picking leaves the pages listed. */
	cr_assert_eq(b.nr_pages, 3 + 500 + 100 + 7 + 100);
	/* Taking region 1's pages off moves region 2 and 5 to the front. */
	for (unsigned i = 0; i < 500; i++)
		xb_balloon_page_remove(&b, 512 + i);
	cr_assert(xb__balloon_dev_is_valid(&b));
	cr_assert_eq(xb_balloon_dev_pick_regions(&b, out, 512), 210);
	cr_assert_eq(out[0], 5 * 512);
	cr_assert_eq(out[100], 2 * 512);
	cr_assert_eq(out[200], 4 * 512);
	cr_assert_eq(out[207], 0);
}

Test(balloon_dev, regions_follow_compaction_and_catch_corruption)
{
	scatter();
	/* Tracking starts from the pages already listed. */
	cr_assert_eq(xb_balloon_dev_track_regions(&b), 0);
	cr_assert_eq(b.regions->count[0], 8);
	cr_assert(xb__balloon_dev_is_valid(&b));
	/* Compaction moves every page to the zone's end: isolate, migrate
	 * and putback keep the index. */
	xb_compact_zone_full(&c);
	cr_assert(xb__balloon_dev_is_valid(&b));
	cr_assert_eq(b.regions->count[NR_FRAMES / 512 - 1], 128);
	cr_assert_eq(b.regions->count[0], 0);
	/* A count off by one, a lost bit, a region on the wrong bucket. */
	b.regions->count[15]--;
	cr_assert_not(xb__balloon_dev_is_valid(&b));
	b.regions->count[15]++;
	b.regions->bits[15 * XB_BALLOON_REGION_WORDS + 7] ^= 1ull << 63;
	cr_assert_not(xb__balloon_dev_is_valid(&b));
	b.regions->bits[15 * XB_BALLOON_REGION_WORDS + 7] ^= 1ull << 63;
	cr_assert(xb__balloon_dev_is_valid(&b));
	b.regions->head[128] = 0;
	cr_assert_not(xb__balloon_dev_is_valid(&b));
}
