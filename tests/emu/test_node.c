/*
 * The guest's NUMA nodes (emu/node.c): zonelists by distance as
 * build_zonelists() orders them, allocation that prefers a node and falls
 * back along its zonelist, __GFP_THISNODE and nodemasks, one owner id in
 * every zone, the watermarks split over the nodes, and the checker.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"
#include "xballoon/movable.h"
#include "xballoon/node.h"

/* Frames in n MiB. */
#define MIB(n) ((uint64_t)(n)*256)

/* Node v's zonelist as node ids. */
static void zonelist_nids(const struct xb_nodes *n, unsigned v, unsigned *out)
{
	for (unsigned i = 0; i < n->nr; i++)
		out[i] = n->node[v].zonelist[i]->node;
}

/* nr nodes of 4 MiB with distance table d (NULL: the default): node v's
 * zonelist, as node ids, is want[v]. */
static void assert_zonelists(unsigned nr, const unsigned *d,
			     const unsigned want[][XB_MAX_NODES])
{
	uint64_t end[XB_MAX_NODES];
	struct xb_nodes *n;

	for (unsigned v = 0; v < nr; v++)
		end[v] = MIB(4) * (v + 1);
	n = xb_nodes_create(nr, end, d);
	cr_assert_not_null(n);
	for (unsigned v = 0; v < nr; v++) {
		unsigned got[XB_MAX_NODES];

		zonelist_nids(n, v, got);
		for (unsigned i = 0; i < nr; i++)
			cr_assert_eq(got[i], want[v][i],
				     "node %u's zonelist[%u] is %u, not %u", v,
				     i, got[i], want[v][i]);
	}
	cr_assert(xb__nodes_is_valid(n));
	xb_nodes_destroy(n);
}

Test(node, two_nodes_each_prefer_their_own_then_the_other)
{
	const uint64_t end[] = {MIB(16), MIB(32)};
	struct xb_nodes *n = xb_nodes_create(2, end, NULL);

	cr_assert_not_null(n);
	cr_assert_eq(n->distance[0][1], XB_REMOTE_DISTANCE);
	cr_assert_eq(n->node[1].zone->start_pfn, MIB(16));
	cr_assert_eq(n->node[1].zone->end_pfn, MIB(32));
	xb_nodes_destroy(n);
	assert_zonelists(2, NULL,
			 (const unsigned[][XB_MAX_NODES]){{0, 1}, {1, 0}});
}

/*
 * A line of three nodes, 0 - 1 - 2: the far end comes last. From node 1
 * both ends are at 20; find_next_best_node() counts a node below the
 * local one a step further ("prefer the next node"), so node 2 comes
 * before node 0.
 */
Test(node, three_nodes_in_a_line_order_by_distance)
{
	const unsigned d[] = {10, 20, 30, /**/ 20, 10, 20, /**/ 30, 20, 10};

	assert_zonelists(
	    3, d,
	    (const unsigned[][XB_MAX_NODES]){{0, 1, 2}, {1, 2, 0}, {2, 1, 0}});
}

/*
 * Four nodes at equal distance: each list goes on upwards from its node
 * and wraps around (a node below the local one counts a step further),
 * so that the lists rotate rather than all falling back to node 0 or 1
 * first.
 */
Test(node, equidistant_nodes_take_turns)
{
	assert_zonelists(
	    4, NULL,
	    (const unsigned[][XB_MAX_NODES]){
		{0, 1, 2, 3}, {1, 2, 3, 0}, {2, 3, 0, 1}, {3, 0, 1, 2}});
}

/*
 * Node 3 is a hub, 20 from every node; 0 is 30 from 1 and 2. From the hub
 * every other node has the key 21 (a node below it): node_load[], raised
 * for the first node of each new distance in the lists built before
 * (0 twice, 1 and 2 once each), puts 1 and 2 before 0 -- without it the
 * hub would fall back to node 0 first.
 */
Test(node, a_hub_falls_back_to_the_least_loaded_node_first)
{
	const unsigned d[] = {10,      30, 30, 20, /**/ 30, 10, 20, 20,
			      /**/ 30, 20, 10, 20, /**/ 20, 20, 20, 10};

	assert_zonelists(
	    4, d,
	    (const unsigned[][XB_MAX_NODES]){
		{0, 3, 1, 2}, {1, 2, 3, 0}, {2, 3, 1, 0}, {3, 1, 2, 0}});
}

Test(node, create_refuses_bad_spans_and_distances)
{
	const uint64_t unaligned[] = {MIB(4) + 512, MIB(8)};
	const uint64_t backwards[] = {MIB(8), MIB(4)};
	const uint64_t ok[] = {MIB(4), MIB(8) + 100};
	const unsigned bad_local[] = {10, 20, 20, 11};
	const unsigned too_near[] = {10, 10, 20, 10};
	const unsigned too_far[] = {10, 256, 20, 10};
	const unsigned asymmetric[] = {10, 21, 17, 10};
	struct xb_nodes *n;

	errno = 0;
	cr_assert_null(xb_nodes_create(2, unaligned, NULL));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(xb_nodes_create(2, backwards, NULL));
	cr_assert_null(xb_nodes_create(0, ok, NULL));
	cr_assert_null(xb_nodes_create(XB_MAX_NODES + 1, ok, NULL));
	cr_assert_null(xb_nodes_create(2, ok, bad_local));
	cr_assert_null(xb_nodes_create(2, ok, too_near));
	cr_assert_null(xb_nodes_create(2, ok, too_far));
	/* The last node may end anywhere; distances need not be symmetric
	 * (Linux takes the firmware's table as it is). */
	n = xb_nodes_create(2, ok, asymmetric);
	cr_assert_not_null(n);
	cr_assert_eq(n->map->nr_frames, MIB(8) + 100);
	cr_assert_eq(n->distance[0][1], 21);
	cr_assert_eq(n->distance[1][0], 17);
	cr_assert_eq(xb_nodes_pfn_to_nid(n, MIB(4) - 1), 0);
	cr_assert_eq(xb_nodes_pfn_to_nid(n, MIB(4)), 1);
	cr_assert_eq(xb_nodes_page_zone(n, MIB(8) + 99), n->node[1].zone);
	xb_nodes_destroy(n);
}

/* Two online nodes of 16 MiB each, watermarks set over both. */
static struct xb_nodes *two_online_nodes(void)
{
	const uint64_t end[] = {MIB(16), MIB(32)};
	struct xb_nodes *n = xb_nodes_create(2, end, NULL);

	cr_assert_not_null(n);
	xb_nodes_online_all(n);
	return n;
}

/*
 * get_page_from_freelist() at the low mark over node 1's zonelist: node 1
 * serves while it is above its low mark, then node 0 does, before node 1
 * ever goes down to its min mark; each fallback is a numa_miss on node 0
 * and a numa_foreign on node 1.
 */
Test(node, preferred_node_serves_down_to_its_low_mark_then_falls_back)
{
	struct xb_nodes *n = two_online_nodes();
	struct xb_zone *z0 = n->node[0].zone, *z1 = n->node[1].zone;
	uint64_t from[2] = {0, 0};

	for (unsigned i = 0; i < MIB(20); i++) {
		bool above_low = xb_zone_watermark_ok(
		    z1, 0, xb_zone_wmark(z1, XB_WMARK_LOW));
		xb_pfn_t pfn =
		    xb_nodes_alloc(n, 1, 0, 0, XB_MT_MOVABLE, 0, 1, i);

		cr_assert_neq(pfn, XB_NIL);
		cr_assert_eq(xb_nodes_pfn_to_nid(n, pfn), above_low ? 1 : 0,
			     "allocation %u", i);
		from[xb_nodes_pfn_to_nid(n, pfn)]++;
	}
	cr_assert_gt(from[1], MIB(15));
	cr_assert_eq(from[0] + from[1], MIB(20));
	cr_assert_gt(xb_zone_free_pages(z1), xb_zone_wmark(z1, XB_WMARK_MIN));
	cr_assert_eq(z1->stats.pgalloc, from[1]);
	cr_assert_eq(z0->stats.pgalloc, from[0]);
	cr_assert_eq(n->node[1].stats.numa_hit, from[1]);
	cr_assert_eq(n->node[1].stats.numa_local, from[1]);
	cr_assert_eq(n->node[1].stats.numa_foreign, from[0]);
	cr_assert_eq(n->node[0].stats.numa_miss, from[0]);
	cr_assert_eq(n->node[0].stats.numa_other, from[0]);
	cr_assert_eq(n->node[0].stats.numa_hit, 0);
	cr_assert(xb__nodes_is_valid(n));
	xb_nodes_destroy(n);
}

/* __GFP_THISNODE: node 1 down to its min mark, then failure, while node
 * 0 has all its memory free. */
Test(node, thisnode_fails_rather_than_fall_back)
{
	struct xb_nodes *n = two_online_nodes();
	struct xb_zone *z0 = n->node[0].zone, *z1 = n->node[1].zone;
	uint64_t got = 0;
	xb_pfn_t pfn;

	while ((pfn = xb_nodes_alloc(n, 1, 0, 0, XB_MT_MOVABLE,
				     XB_ALLOC_THISNODE, 1, 0)) != XB_NIL) {
		cr_assert_eq(xb_nodes_pfn_to_nid(n, pfn), 1);
		cr_assert_leq(++got, MIB(16));
	}
	cr_assert_leq(xb_zone_free_pages(z1), xb_zone_wmark(z1, XB_WMARK_MIN));
	cr_assert_eq(z1->stats.alloc_fail, 1);
	cr_assert_eq(z0->stats.pgalloc, 0);
	cr_assert_eq(z0->nr_state[XB_FRAME_FREE], MIB(16));
	/* Without the flag the same request falls back at once. */
	pfn = xb_nodes_alloc(n, 1, 0, 0, XB_MT_MOVABLE, 0, 1, 0);
	cr_assert_eq(xb_nodes_pfn_to_nid(n, pfn), 0);
	/* A nodemask without the node leaves THISNODE nothing at all. */
	cr_assert_eq(xb_nodes_alloc(n, 0, 1u << 1, 0, XB_MT_MOVABLE,
				    XB_ALLOC_THISNODE, 1, 0),
		     XB_NIL);
	cr_assert_eq(z0->stats.alloc_fail, 1);
	xb_nodes_destroy(n);
}

/*
 * A nodemask keeps the allocation to its nodes, in the preferred node's
 * zonelist order: node 0 prefers itself but may use 1 and 2 only; node 1
 * serves down to its min mark (the slow path's try), then node 2, then
 * nothing. The preferred zone is the first the mask allows (node 1):
 * its hits, node 2's misses.
 */
Test(node, nodemask_restricts_the_zonelist)
{
	const uint64_t end[] = {MIB(8), MIB(16), MIB(24)};
	const unsigned d[] = {10, 20, 30, /**/ 20, 10, 20, /**/ 30, 20, 10};
	struct xb_nodes *n = xb_nodes_create(3, end, d);
	uint64_t from[3] = {0, 0, 0};
	bool left_1 = false;
	xb_pfn_t pfn;

	xb_nodes_online_all(n);
	while ((pfn = xb_nodes_alloc(n, 0, (1u << 1) | (1u << 2), 0,
				     XB_MT_MOVABLE, 0, 1, 0)) != XB_NIL) {
		unsigned v = xb_nodes_pfn_to_nid(n, pfn);

		cr_assert_neq(v, 0);
		/* Node 2 only below node 1's low mark; once node 2 took
		 * over at the low mark, node 1 serves again at its min
		 * mark (the slow path), then node 2 again. */
		if (v == 2)
			left_1 = true;
		from[v]++;
	}
	cr_assert(left_1);
	cr_assert_eq(from[0], 0);
	cr_assert_eq(n->node[0].zone->nr_state[XB_FRAME_FREE], MIB(8));
	for (unsigned v = 1; v < 3; v++)
		cr_assert_leq(xb_zone_free_pages(n->node[v].zone),
			      xb_zone_wmark(n->node[v].zone, XB_WMARK_MIN));
	cr_assert_eq(n->node[1].stats.numa_hit, from[1]);
	cr_assert_eq(n->node[2].stats.numa_miss, from[2]);
	cr_assert_eq(n->node[1].stats.numa_foreign, from[2]);
	cr_assert_eq(n->node[1].stats.numa_other, from[1],
		     "the CPU is on node 0");
	cr_assert_eq(n->node[1].zone->stats.alloc_fail, 1);
	cr_assert(xb__nodes_is_valid(n));
	xb_nodes_destroy(n);
}

/* Hooks that record what the slow path asked of one zone. */
struct zone_rec {
	unsigned reclaims, compacts, wakes;
	enum xb_compact_result result;
};

static uint64_t rec_reclaim(struct xb_zone *z, void *priv, unsigned order)
{
	((struct zone_rec *)priv)->reclaims++;
	return 0;
}

static enum xb_compact_result rec_compact(struct xb_zone *z, void *priv,
					  unsigned order, unsigned mt,
					  unsigned prio)
{
	struct zone_rec *r = priv;

	r->compacts++;
	return r->result;
}

static void rec_wake(struct xb_zone *z, void *priv, unsigned order,
		     unsigned flags)
{
	((struct zone_rec *)priv)->wakes++;
}

static const struct xb_zone_ops rec_ops = {
    .reclaim = rec_reclaim,
    .compact = rec_compact,
    .wake_kswapd = rec_wake,
};

/* Two nodes with no free order-9 block (one page pinned at the start of
 * every pageblock) and plenty of order 0, each recording its hooks. */
static struct xb_nodes *fragmented_nodes(struct zone_rec rec[2])
{
	struct xb_nodes *n = two_online_nodes();

	for (unsigned v = 0; v < 2; v++) {
		struct xb_zone *z = n->node[v].zone;
		GArray *pfns = g_array_new(false, false, sizeof(xb_pfn_t));
		xb_pfn_t p;

		while ((p = xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK,
					  1, 0)) != XB_NIL)
			g_array_append_val(pfns, p);
		for (unsigned i = 0; i < pfns->len; i++) {
			p = g_array_index(pfns, xb_pfn_t, i);
			if (p % XB_HPAGE_PAGES)
				xb_zone_free(z, p);
		}
		g_array_free(pfns, true);
		cr_assert_eq(xb_buddy_orders_from(&z->buddy, XB_MT_MOVABLE, 9),
			     0);
		xb_zone_set_ops(z, &rec_ops, &rec[v]);
	}
	return n;
}

/* Reset both nodes' records; their compaction answers r0 and r1. */
static void rec_reset(struct zone_rec rec[2], enum xb_compact_result r0,
		      enum xb_compact_result r1)
{
	rec[0] = (struct zone_rec){.result = r0};
	rec[1] = (struct zone_rec){.result = r1};
}

/* An order-9 request preferring node 1 fails (nothing can make the block). */
static void order9_fails(struct xb_nodes *n, uint64_t nodemask, unsigned flags)
{
	cr_assert_eq(
	    xb_nodes_alloc(n, 1, nodemask, 9, XB_MT_MOVABLE, flags, 1, 0),
	    XB_NIL);
}

/*
 * try_to_compact_pages() goes zone by zone along the zonelist and stops
 * at the first zone that reports SUCCESS; the stall is the preferred
 * zone's. An order-9 request with direct compaction only compacts twice
 * (before the loop and in its one round).
 */
Test(node, direct_compaction_stops_at_the_first_success)
{
	struct zone_rec rec[2];
	struct xb_nodes *n = fragmented_nodes(rec);

	rec_reset(rec, XB_COMPACT_COMPLETE, XB_COMPACT_SUCCESS);
	order9_fails(n, 0, XB_ALLOC_COMPACT);
	cr_assert_eq(rec[1].compacts, 2);
	cr_assert_eq(rec[0].compacts, 0, "node 1 said SUCCESS first");
	cr_assert_eq(n->node[1].zone->stats.alloc_compact, 2);
	cr_assert_eq(n->node[0].zone->stats.alloc_compact, 0);
	rec_reset(rec, XB_COMPACT_COMPLETE, XB_COMPACT_COMPLETE);
	order9_fails(n, 0, XB_ALLOC_COMPACT);
	cr_assert_eq(rec[1].compacts, 2);
	cr_assert_eq(rec[0].compacts, 2, "then node 0, each round");
	xb_nodes_destroy(n);
}

/*
 * wake_all_kswapds() and shrink_zones() over the allowed zones: a
 * GFP_BALLOON order-9 request (one round) wakes both nodes' kswapd twice
 * and reclaims each node once, counting one allocstall on the preferred
 * zone; __GFP_THISNODE and a nodemask leave the other node alone.
 */
Test(node, slow_path_wakes_and_reclaims_every_allowed_node)
{
	struct zone_rec rec[2];
	struct xb_nodes *n = fragmented_nodes(rec);

	rec_reset(rec, XB_COMPACT_COMPLETE, XB_COMPACT_COMPLETE);
	order9_fails(n, 0, XB_GFP_BALLOON);
	for (unsigned v = 0; v < 2; v++) {
		cr_assert_eq(rec[v].wakes, 2, "node %u", v);
		cr_assert_eq(rec[v].reclaims, 1, "node %u", v);
	}
	cr_assert_eq(n->node[1].zone->stats.allocstall, 1);
	cr_assert_eq(n->node[0].zone->stats.allocstall, 0);
	rec_reset(rec, XB_COMPACT_COMPLETE, XB_COMPACT_COMPLETE);
	order9_fails(n, 0, XB_GFP_BALLOON | XB_ALLOC_THISNODE);
	cr_assert_eq(rec[1].wakes + rec[1].reclaims, 3);
	cr_assert_eq(rec[0].wakes + rec[0].reclaims + rec[0].compacts, 0);
	rec_reset(rec, XB_COMPACT_COMPLETE, XB_COMPACT_COMPLETE);
	order9_fails(n, 1u << 0, XB_GFP_BALLOON);
	cr_assert_eq(rec[0].wakes + rec[0].reclaims, 3);
	cr_assert_eq(rec[1].wakes + rec[1].reclaims + rec[1].compacts, 0);
	cr_assert_eq(n->node[0].zone->stats.allocstall, 1,
		     "the first zone the mask allows counts the stall");
	xb_nodes_destroy(n);
}

static const struct xb_movable_ops dummy_mops = {.name = "dummy"};

Test(node, an_owner_has_one_id_in_every_zone)
{
	const uint64_t end[] = {MIB(4), MIB(8), MIB(12)};
	struct xb_nodes *n = xb_nodes_create(3, end, NULL);
	int token;
	uint32_t a = xb_nodes_register_owner(n, "a", NULL, NULL);
	uint32_t b = xb_nodes_register_owner(n, "b", &dummy_mops, &token);
	xb_pfn_t pfn;

	cr_assert_eq(a, 1, "0 is nobody");
	cr_assert_eq(b, 2);
	for (unsigned v = 0; v < 3; v++) {
		const struct xb_owner *o = xb_zone_owner(n->node[v].zone, b);

		cr_assert_str_eq(o->name, "b");
		cr_assert_eq(o->ops, &dummy_mops);
		cr_assert_eq(o->priv, &token);
	}
	xb_nodes_online_all(n);
	pfn = xb_nodes_alloc(n, 2, 0, 0, XB_MT_MOVABLE, 0, b, 7);
	cr_assert_eq(n->map->frames[pfn].owner, b);
	cr_assert_eq(n->map->frames[pfn].next, 7);
	cr_assert(xb__nodes_is_valid(n));
	/* Registering on any zone registers on its peers: the same id on
	 * every node. */
	uint32_t c = xb_zone_register_owner(n->node[1].zone, "c", NULL, NULL);
	cr_assert_eq(c, 3);
	for (unsigned v = 0; v < 3; v++)
		cr_assert_str_eq(xb_zone_owner(n->node[v].zone, c)->name, "c");
	cr_assert(xb__nodes_is_valid(n));
	/* An owner that differs on one zone breaks the agreement. */
	n->node[2].zone->owners[c].priv = &token;
	cr_assert_not(xb__nodes_is_valid(n));
	n->node[2].zone->owners[c].priv = NULL;
	cr_assert(xb__nodes_is_valid(n));
	xb_nodes_destroy(n);
}

/* The marks a zone gets, side by side. */
static void assert_same_marks(const struct xb_zone *a, const struct xb_zone *b)
{
	cr_assert_eq(a->min_free_kbytes, b->min_free_kbytes);
	for (unsigned i = 0; i < XB_WMARK_NR; i++)
		cr_assert_eq(a->watermark[i], b->watermark[i], "mark %u", i);
	cr_assert_eq(a->pcp.batch, b->pcp.batch);
	cr_assert_eq(a->pcp.high, b->pcp.high);
}

/* A one-node guest gets what xb_zone_setup_watermarks() gives its zone,
 * with THP, a scale factor and a min_free_kbytes of its own too. */
Test(node, one_node_watermarks_are_the_zone_s)
{
	const uint64_t end[] = {MIB(1024) + 300};
	struct xb_nodes *n = xb_nodes_create(1, end, NULL);
	struct xb_zone *alone = xbt_zone_online(MIB(1024) + 300);
	struct xb_zone *z = n->node[0].zone;

	xb_nodes_online_all(n);
	assert_same_marks(z, alone);
	cr_assert_eq(z->watermark[XB_WMARK_MIN], 1024);
	z->thp_enabled = alone->thp_enabled = true;
	z->thp_zones = alone->thp_zones = 2;
	z->watermark_scale_factor = alone->watermark_scale_factor = 150;
	xb_nodes_setup_watermarks(n);
	xb_zone_setup_watermarks(alone);
	assert_same_marks(z, alone);
	cr_assert_eq(z->min_free_kbytes, 512 * 2 * 11 * 4);
	z->user_min_free_kbytes = alone->user_min_free_kbytes = 3000;
	xb_nodes_setup_watermarks(n);
	xb_zone_setup_watermarks(alone);
	assert_same_marks(z, alone);
	cr_assert_eq(z->watermark[XB_WMARK_MIN], 750);
	xb_zone_destroy(alone);
	xb_nodes_destroy(n);
}

/*
 * 1 GiB over two nodes, 768 + 256 MiB: min_free_kbytes is computed over
 * the whole 1 GiB (4096 KiB, 1024 pages) and split 3 : 1 (768 + 256);
 * each low gap is the larger of min / 4 and 0.1 % of the node (196 and
 * 65); the per-CPU batch and high follow each node's size and low mark.
 */
Test(node, two_node_watermarks_split_by_managed_pages)
{
	const uint64_t end[] = {MIB(768), MIB(1024)};
	struct xb_nodes *n = xb_nodes_create(2, end, NULL);
	const struct xb_zone *z0 = n->node[0].zone, *z1 = n->node[1].zone;

	xb_nodes_online_all(n);
	cr_assert_eq(z0->min_free_kbytes, 4096);
	cr_assert_eq(z1->min_free_kbytes, 4096);
	cr_assert_eq(z0->watermark[XB_WMARK_MIN], 768);
	cr_assert_eq(z1->watermark[XB_WMARK_MIN], 256);
	cr_assert_eq(z0->watermark[XB_WMARK_LOW], 768 + 196);
	cr_assert_eq(z0->watermark[XB_WMARK_HIGH], 768 + 2 * 196);
	cr_assert_eq(z1->watermark[XB_WMARK_LOW], 256 + 65);
	cr_assert_eq(z1->watermark[XB_WMARK_HIGH], 256 + 2 * 65);
	cr_assert_eq(z0->pcp.batch, 63);
	cr_assert_eq(z1->pcp.batch, 15);
	cr_assert_eq(z0->pcp.high, 964);
	cr_assert_eq(z1->pcp.high, 321);
	xb_nodes_destroy(n);
}

/* A node with nothing populated has no share of min_free_kbytes. */
Test(node, an_empty_node_gets_no_reserve)
{
	const uint64_t end[] = {MIB(1024), MIB(1280)};
	struct xb_nodes *n = xb_nodes_create(2, end, NULL);

	xb_zone_online_all(n->node[0].zone);
	xb_nodes_setup_watermarks(n);
	cr_assert_eq(n->node[0].zone->watermark[XB_WMARK_MIN], 1024);
	cr_assert_eq(n->node[1].zone->watermark[XB_WMARK_MIN], 0);
	cr_assert_eq(n->node[1].zone->watermark[XB_WMARK_HIGH], 0);
	xb_nodes_destroy(n);
}

Test(node, checker_catches_a_corrupted_zonelist)
{
	const uint64_t end[] = {MIB(8), MIB(16), MIB(24)};
	const unsigned d[] = {10, 20, 30, /**/ 20, 10, 20, /**/ 30, 20, 10};
	struct xb_nodes *n = xb_nodes_create(3, end, d);
	struct xb_zone **zl = n->node[0].zonelist;
	struct xb_zone *tmp;

	cr_assert(xb__nodes_is_valid(n));
	/* Farther before nearer: 0, 2 (30), 1 (20). */
	tmp = zl[1], zl[1] = zl[2], zl[2] = tmp;
	cr_assert_not(xb__nodes_is_valid(n));
	zl[2] = zl[1], zl[1] = tmp;
	cr_assert(xb__nodes_is_valid(n));
	/* Not the node's own zone first. */
	tmp = zl[0], zl[0] = zl[1], zl[1] = tmp;
	cr_assert_not(xb__nodes_is_valid(n));
	zl[1] = zl[0], zl[0] = tmp;
	/* A zone twice, one missing. */
	zl[2] = zl[1];
	cr_assert_not(xb__nodes_is_valid(n));
	zl[2] = n->node[2].zone;
	cr_assert(xb__nodes_is_valid(n));
	/* A gap between two nodes' spans. */
	n->node[1].zone->start_pfn += XB_ZONE_ALIGN;
	cr_assert_not(xb__nodes_is_valid(n));
	n->node[1].zone->start_pfn -= XB_ZONE_ALIGN;
	/* A miss without its foreign. */
	n->node[2].stats.numa_miss++;
	n->node[2].stats.numa_other++;
	cr_assert_not(xb__nodes_is_valid(n));
	xb_nodes_destroy(n);
}

Test(node, zones_print_their_node)
{
	const uint64_t end[] = {MIB(4), MIB(8)};
	struct xb_nodes *n = xb_nodes_create(2, end, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	xb_zone_print_buddyinfo(n->node[1].zone, f);
	xb_nodes_print_stats(n, f);
	fclose(f);
	cr_assert(g_str_has_prefix(buf, "Node 1, zone   Normal "), "%s", buf);
	cr_assert(strstr(buf, "node 1 numa_foreign 0\n"), "%s", buf);
	free(buf);
	xb_nodes_destroy(n);
}
