/*
 * Reclaim (emu/vmscan.c): direct reclaim's amounts and stopping rules,
 * kswapd's balancing to the high mark and the boost, its wake-up rules and
 * its hand-off to kcompactd.
 */
#include <criterion/criterion.h>
#include <glib.h>

#include "support/owner.h"
#include "support/testutil.h"
#include "xballoon/vmscan.h"

/* A zone of 64 pageblocks (32 Ki frames), a "page cache" owner whose
 * pages reclaim frees oldest first, compaction, reclaim. */
#define FRAMES (64 * 512)

static struct xb_zone *z;
static struct xb_compactor comp;
static struct xb_vmscan vs;
static xb_pfn_t *cache;
static uint64_t cache_head, cache_nr;
static unsigned kswapd_kicks, kcompactd_kicks;
static uint32_t cache_owner;

static uint64_t shrink_cache(void *priv, uint64_t nr)
{
	uint64_t got = 0;

	while (got < nr && cache_head < cache_nr) {
		xb_zone_free(z, cache[cache_head++]);
		got++;
	}
	return got;
}

static uint64_t cache_reclaimable(const struct xb_zone *zz, void *priv)
{
	return cache_nr - cache_head;
}

static const struct xb_zone_ops ops = {.reclaimable = cache_reclaimable};

static void kick_kswapd(void *priv)
{
	kswapd_kicks++;
}

static void kick_kcompactd(void *priv)
{
	kcompactd_kicks++;
}

static void setup(void)
{
	z = xbt_zone_online(FRAMES);
	/* The boot pageset: what reclaim frees is counted free at once, so
	 * that the figures below are reclaim's own (the per-CPU lists have
	 * their tests in test_zone.c). */
	z->pcp.high = 0;
	z->pcp.batch = 1;
	xb_compactor_init(&comp, z);
	comp.kick = kick_kcompactd;
	xb_vmscan_init(&vs, z, &comp, shrink_cache, kick_kswapd, NULL);
	xb_zone_set_ops(z, &ops, NULL);
	cache_owner = xb_zone_register_owner(z, "cache", NULL, NULL);
	cache = g_new(xb_pfn_t, FRAMES);
	cache_head = cache_nr = 0;
	kswapd_kicks = kcompactd_kicks = 0;
}

static void teardown(void)
{
	g_free(cache);
	xb_zone_destroy(z);
}

TestSuite(vmscan, .init = setup, .fini = teardown);

/* Fill the zone with cache pages until `free` frames are left. */
static void fill_cache_to(uint64_t free)
{
	while (xb_zone_free_pages(z) > free) {
		xb_pfn_t p = xb_zone_alloc(z, 0, XB_MT_MOVABLE,
					   XB_ALLOC_NOWMARK, cache_owner, 0);

		cr_assert_neq(p, XB_NIL);
		cache[cache_nr++] = p;
	}
}

/* Much memory free, but no order-9 block: one page pinned at the start
 * of every pageblock. */
static void pin_one_page_per_pageblock(void)
{
	uint32_t pin = xb_zone_register_owner(z, "pin", NULL, NULL);
	xb_pfn_t *all = g_new(xb_pfn_t, FRAMES);
	unsigned n = 0;
	xb_pfn_t p;

	while ((p = xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, pin,
				  0)) != XB_NIL)
		all[n++] = p;
	for (unsigned i = 0; i < n; i++)
		if (all[i] % 512)
			xb_zone_free(z, all[i]);
	g_free(all);
}

/* try_to_free_pages() for order 0: SWAP_CLUSTER_MAX pages, counted as
 * direct reclaim; a scan that frees pages clears kswapd's failures. */
Test(vmscan, direct_reclaim_of_order0_takes_a_cluster)
{
	fill_cache_to(100);
	vs.kswapd_failures = 3;
	cr_assert_eq(xb_try_to_free_pages(&vs, 0), XB_SWAP_CLUSTER_MAX);
	cr_assert_eq(vs.stats.pgscan_direct, 32);
	cr_assert_eq(vs.stats.pgsteal_direct, 32);
	cr_assert_eq(vs.stats.pgscan_kswapd, 0);
	cr_assert_eq(vs.kswapd_failures, 0);
	cr_assert_eq(xb_zone_free_pages(z), 132);
}

static int by_offset_in_pageblock(const void *a, const void *b)
{
	xb_pfn_t x = *(const xb_pfn_t *)a, y = *(const xb_pfn_t *)b;
	xb_pfn_t ox = x % 512, oy = y % 512;

	return ox != oy ? (ox < oy ? -1 : 1) : (x < y ? -1 : x > y);
}

/* A costly order reclaims on until compaction_suitable() would let
 * compaction run: free above low + compact_gap(9) = low + 1024. The
 * oldest cache pages are spread one per pageblock, so what reclaim frees
 * forms no order-9 block and the fragmentation index blames
 * fragmentation once the memory is there. */
Test(vmscan, direct_reclaim_of_a_costly_order_reclaims_for_compaction)
{
	fill_cache_to(100);
	qsort(cache, cache_nr, sizeof(*cache), by_offset_in_pageblock);
	uint64_t got = xb_try_to_free_pages(&vs, 9);
	uint64_t need = xb_zone_wmark(z, XB_WMARK_LOW) + 1024;

	/* Rounds of SWAP_CLUSTER_MAX until free is above low + 1024. */
	cr_assert_geq(xb_zone_free_pages(z), need);
	cr_assert_leq(xb_zone_free_pages(z), need + 32);
	cr_assert_eq(got % 32, 0);
	cr_assert_eq(xb_compaction_suitable(&comp, 9), XB_COMPACT_CONTINUE);
}

/* compaction_ready(): above high + compact_gap(9) a costly request's
 * direct reclaim reclaims nothing and reports progress. */
Test(vmscan, costly_reclaim_skipped_when_compaction_is_ready)
{
	pin_one_page_per_pageblock();
	cr_assert_eq(xb_try_to_free_pages(&vs, 9), 1);
	cr_assert_eq(vs.stats.pgscan_direct, 0);
}

/* wakeup_kswapd(): a balanced node, not boosted, leaves kswapd asleep; an
 * allocation without direct reclaim (a THP fault under defrag=defer)
 * wakes kcompactd instead, when compaction could help. */
Test(vmscan, balanced_node_wakes_kcompactd_not_kswapd)
{
	pin_one_page_per_pageblock();
	/* Balanced at order 0, so an order-0 wake does nothing. */
	xb_wakeup_kswapd(&vs, 0, XB_ALLOC_KSWAPD);
	cr_assert_eq(kswapd_kicks + kcompactd_kicks, 0);
	/* Not balanced at order 9 (no order-9 block): kswapd wakes. */
	xb_wakeup_kswapd(&vs, 9, XB_ALLOC_KSWAPD | XB_ALLOC_RECLAIM);
	cr_assert_eq(kswapd_kicks, 1);
	cr_assert_eq(vs.kswapd_order, 9);
	/* A hopeless node stays asleep; without direct reclaim the
	 * request goes to kcompactd. */
	vs.kswapd_woken = false;
	vs.kswapd_failures = XB_MAX_RECLAIM_RETRIES;
	xb_wakeup_kswapd(&vs, 9, XB_ALLOC_KSWAPD | XB_ALLOC_RECLAIM);
	cr_assert_eq(kswapd_kicks, 1);
	cr_assert_eq(kcompactd_kicks, 0);
	xb_wakeup_kswapd(&vs, 9, XB_ALLOC_KSWAPD);
	cr_assert_eq(kcompactd_kicks, 1);
	cr_assert_eq(comp.kcompactd_max_order, 9);
	cr_assert(comp.kcompactd_woken);
}

/* balance_pgdat(): kswapd reclaims until free memory passes the high
 * mark, then sleeps; its rounds grow as the priority rises. */
Test(vmscan, kswapd_balances_to_the_high_mark)
{
	fill_cache_to(10);
	xb_wakeup_kswapd(&vs, 0, XB_ALLOC_KSWAPD);
	cr_assert_eq(kswapd_kicks, 1);
	cr_assert(vs.kswapd_woken);
	xb_kswapd_run(&vs);
	cr_assert_not(vs.kswapd_woken);
	cr_assert_gt(xb_zone_free_pages(z), xb_zone_wmark(z, XB_WMARK_HIGH));
	cr_assert_eq(vs.stats.pgscan_kswapd, vs.stats.pgsteal_kswapd);
	cr_assert_eq(vs.stats.pageoutrun, 1);
	cr_assert_eq(vs.stats.pgscan_direct, 0);
	/* Not more than one round past the mark: each round is at most
	 * max(LRU >> priority, SWAP_CLUSTER_MAX). */
	cr_assert_leq(xb_zone_free_pages(z),
		      xb_zone_wmark(z, XB_WMARK_HIGH) + FRAMES / 2);
}

/* A boosted zone: kswapd reclaims the boost on top of balancing, clears
 * it, and wakes kcompactd for a pageblock. */
Test(vmscan, kswapd_reclaims_the_boost_and_wakes_kcompactd)
{
	fill_cache_to(xb_zone_wmark(z, XB_WMARK_HIGH) + 2000);
	/* Balanced, but boosted by two pageblocks. */
	z->watermark_boost = 1024;
	xb_wakeup_kswapd(&vs, 0, XB_ALLOC_KSWAPD);
	cr_assert_eq(kswapd_kicks, 1, "a boosted zone wakes kswapd");
	uint64_t before = xb_zone_free_pages(z);

	xb_kswapd_run(&vs);
	cr_assert_eq(z->watermark_boost, 0);
	cr_assert_geq(vs.stats.pgsteal_kswapd, 1024);
	cr_assert_geq(xb_zone_free_pages(z), before + 1024);
	/* Asked for a pageblock; the freed cache is contiguous, so an
	 * order-9 block is free already (compaction_suitable() says
	 * SUCCESS) and kcompactd is not woken. */
	cr_assert_eq(comp.kcompactd_max_order, 9);
	cr_assert_eq(kcompactd_kicks, 0);
	cr_assert(xb__vmscan_is_valid(&vs));
}

/* Nothing to reclaim: each balancing run fails, kswapd keeps balancing
 * until MAX_RECLAIM_RETRIES failures, then sleeps for good. */
Test(vmscan, hopeless_kswapd_gives_up)
{
	uint32_t pin = xb_zone_register_owner(z, "pin", NULL, NULL);

	while (xb_zone_free_pages(z) > 10)
		xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, pin, 0);
	xb_wakeup_kswapd(&vs, 0, XB_ALLOC_KSWAPD);
	for (unsigned i = 0; i < 40 && vs.kswapd_woken; i++)
		xb_kswapd_run(&vs);
	cr_assert_eq(vs.kswapd_failures, XB_MAX_RECLAIM_RETRIES);
	cr_assert_not(vs.kswapd_woken);
	cr_assert_eq(kswapd_kicks, XB_MAX_RECLAIM_RETRIES);
	xb_wakeup_kswapd(&vs, 0, XB_ALLOC_KSWAPD);
	cr_assert_eq(kswapd_kicks, XB_MAX_RECLAIM_RETRIES, "stays asleep");
}
