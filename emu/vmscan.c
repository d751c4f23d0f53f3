/*
 * Page reclaim: direct reclaim's amount and stopping rules, kswapd's
 * balancing to the high watermark (plus the boost), its wake-up rules and
 * its hand-off to kcompactd. Modeled on Linux 6.1 mm/vmscan.c
 * (try_to_free_pages, shrink_node, should_continue_reclaim,
 * compaction_ready, wakeup_kswapd, pgdat_balanced, balance_pgdat,
 * kswapd_shrink_node, kswapd_try_to_sleep).
 */
#include <glib.h>

#include "xballoon/check.h"
#include "xballoon/vmscan.h"

void xb_vmscan_init(struct xb_vmscan *v, struct xb_zone *z,
		    struct xb_compactor *comp,
		    uint64_t (*shrink)(void *priv, uint64_t nr),
		    void (*kick)(void *priv), void *priv)
{
	*v = (struct xb_vmscan){
	    .zone = z,
	    .comp = comp,
	    .shrink = shrink,
	    .kick = kick,
	    .priv = priv,
	};
}

static uint64_t reclaimable(const struct xb_vmscan *v)
{
	const struct xb_zone *z = v->zone;

	return z->ops && z->ops->reclaimable
		   ? z->ops->reclaimable(z, z->ops_priv)
		   : 0;
}

/* compact_gap(): free pages compaction needs to work with. */
static inline uint64_t compact_gap(unsigned order)
{
	return 2ull << order;
}

/* shrink_node() reclaiming up to nr pages, counted as kswapd's or direct. */
static uint64_t shrink(struct xb_vmscan *v, uint64_t nr, bool kswapd)
{
	uint64_t got = v->shrink ? v->shrink(v->priv, nr) : 0;

	/* The model's reclaimable pages are clean, inactive page cache:
	 * every page scanned is reclaimed. */
	if (kswapd) {
		v->stats.pgscan_kswapd += got;
		v->stats.pgsteal_kswapd += got;
	} else {
		v->stats.pgscan_direct += got;
		v->stats.pgsteal_direct += got;
	}
	/* shrink_node(): a node that gave pages back is not hopeless. */
	if (got)
		v->kswapd_failures = 0;
	return got;
}

/*
 * compaction_ready(): the allocation would pass already, or compaction can
 * run and free memory is above the high mark plus compact_gap() — then
 * direct reclaim of a costly order does nothing.
 */
static bool compaction_ready(const struct xb_vmscan *v, unsigned order)
{
	const struct xb_zone *z = v->zone;

	if (xb_zone_watermark_ok(z, order, xb_zone_wmark(z, XB_WMARK_MIN)))
		return true;
	if (xb_compaction_suitable(v->comp, order) == XB_COMPACT_SKIPPED)
		return false;
	return xb_zone_watermark_ok(
	    z, 0, xb_zone_wmark(z, XB_WMARK_HIGH) + compact_gap(order));
}

/*
 * should_continue_reclaim() for a costly order (reclaim/compaction mode):
 * stop when a round reclaimed nothing, when compaction could now run or
 * the allocation pass, or when too little is left to reclaim to make
 * compaction's gap.
 */
static bool should_continue_reclaim(const struct xb_vmscan *v, unsigned order,
				    uint64_t got)
{
	enum xb_compact_result r;

	if (!got)
		return false;
	r = xb_compaction_suitable(v->comp, order);
	if (r == XB_COMPACT_SUCCESS || r == XB_COMPACT_CONTINUE)
		return false;
	return reclaimable(v) > compact_gap(order);
}

uint64_t xb_try_to_free_pages(struct xb_vmscan *v, unsigned order)
{
	uint64_t total = 0, got;

	/* shrink_zones(): sc->compaction_ready; do_try_to_free_pages()
	 * then reports progress without reclaiming. */
	if (order > XB_COSTLY_ORDER && compaction_ready(v, order))
		return 1;
	/* do_try_to_free_pages(): nr_to_reclaim = SWAP_CLUSTER_MAX; one
	 * shrink_node() pass, repeated for a costly order as
	 * should_continue_reclaim() allows. */
	do {
		got = shrink(v, XB_SWAP_CLUSTER_MAX, false);
		total += got;
	} while (order > XB_COSTLY_ORDER &&
		 should_continue_reclaim(v, order, got));
	xb_assert_expensive(xb__vmscan_is_valid(v));
	return total;
}

/* pgdat_balanced(): the high mark (boost included) is met at `order`. */
static bool pgdat_balanced(const struct xb_vmscan *v, unsigned order)
{
	const struct xb_zone *z = v->zone;

	return xb_zone_watermark_ok(z, order, xb_zone_wmark(z, XB_WMARK_HIGH));
}

void xb_wakeup_kswapd(struct xb_vmscan *v, unsigned order, unsigned flags)
{
	if (v->kswapd_order < order)
		v->kswapd_order = order;
	if (v->kswapd_woken)
		return; /* !waitqueue_active(): kswapd is awake */
	/* A hopeless node, or one balanced and not boosted: kswapd stays
	 * asleep, but memory may be free and fragmented, so kcompactd is
	 * woken unless the allocator can compact for itself. */
	if (v->kswapd_failures >= XB_MAX_RECLAIM_RETRIES ||
	    (pgdat_balanced(v, order) && !v->zone->watermark_boost)) {
		if (!(flags & XB_ALLOC_RECLAIM))
			xb_wakeup_kcompactd(v->comp, order);
		return;
	}
	v->kswapd_woken = true;
	v->stats.kswapd_wake++;
	if (v->kick)
		v->kick(v->priv);
}

/*
 * balance_pgdat(): reclaim until the node is balanced at `order` (the high
 * mark, which includes the boost) and, while the zone is boosted, until
 * the boost is reclaimed too; if the node is out of balance the boost is
 * set aside and plain balancing starts over. Each round is one
 * kswapd_shrink_node(): LRU >> priority pages, at least SWAP_CLUSTER_MAX,
 * at most the high mark; the priority rises while a round scans less than
 * that. Once compact_gap(order) pages are reclaimed, balance is judged at
 * order 0 (leave the rest to compaction). Returns the order it balanced
 * for. At the end the boost is cleared and kcompactd woken for a
 * pageblock. Meanwhile the zone is marked reclaim-active
 * (set_reclaim_active()), which keeps the per-CPU lists short.
 */
static unsigned balance_pgdat(struct xb_vmscan *v, unsigned order)
{
	struct xb_zone *z = v->zone;
	uint64_t boost = z->watermark_boost, nr_boost = boost;
	uint64_t reclaimed = 0;
	unsigned sc_order = order;
	int prio = XB_DEF_PRIORITY;

	v->stats.pageoutrun++;
	z->reclaim_active = true;
	while (prio >= 1) {
		bool balanced = pgdat_balanced(v, sc_order);

		if (!balanced && nr_boost) {
			nr_boost = 0;
			prio = XB_DEF_PRIORITY;
			continue;
		}
		if (!nr_boost && balanced)
			break;
		uint64_t to_reclaim = xb_zone_wmark(z, XB_WMARK_HIGH);
		uint64_t scan = reclaimable(v) >> prio;

		if (to_reclaim < XB_SWAP_CLUSTER_MAX)
			to_reclaim = XB_SWAP_CLUSTER_MAX;
		if (scan < XB_SWAP_CLUSTER_MAX)
			scan = XB_SWAP_CLUSTER_MAX;
		if (scan > to_reclaim)
			scan = to_reclaim;
		uint64_t got = shrink(v, scan, true);

		reclaimed += got;
		if (sc_order && reclaimed >= compact_gap(sc_order))
			sc_order = 0;
		nr_boost -= nr_boost < got ? nr_boost : got;
		if (nr_boost && !got)
			break;
		if (got < to_reclaim)
			prio--;
	}
	z->reclaim_active = false; /* clear_reclaim_active() */
	if (!reclaimed && !pgdat_balanced(v, sc_order) &&
	    v->kswapd_failures < XB_MAX_RECLAIM_RETRIES)
		v->kswapd_failures++;
	if (boost) {
		z->watermark_boost -=
		    z->watermark_boost < boost ? z->watermark_boost : boost;
		xb_wakeup_kcompactd(v->comp, z->pb_order);
	}
	return sc_order;
}

void xb_kswapd_run(struct xb_vmscan *v)
{
	unsigned alloc_order = v->kswapd_order, reclaim_order;

	v->kswapd_order = 0;
	reclaim_order = balance_pgdat(v, alloc_order);
	/* kswapd_try_to_sleep(): prepare_kswapd_sleep() lets a balanced or
	 * hopeless node sleep; first kswapd clears stale skip hints and
	 * hands the requested order to kcompactd. */
	if (pgdat_balanced(v, reclaim_order) ||
	    v->kswapd_failures >= XB_MAX_RECLAIM_RETRIES) {
		xb_compact_blockskip_flush(v->comp);
		xb_wakeup_kcompactd(v->comp, alloc_order);
		v->kswapd_woken = false;
	} else {
		/* Not balanced: kswapd does not sleep but balances again. */
		if (v->kswapd_order < alloc_order)
			v->kswapd_order = alloc_order;
		if (v->kick)
			v->kick(v->priv);
	}
	xb_assert_expensive(xb__vmscan_is_valid(v));
}

void xb_vmscan_print_stats(const struct xb_vmscan *v, FILE *out)
{
#define XB_STAT_PRINT(name, doc)                                               \
	fprintf(out, "%s %llu\n", #name, (unsigned long long)v->stats.name);
	XB_VMSCAN_STATS(XB_STAT_PRINT)
#undef XB_STAT_PRINT
}

bool xb__vmscan_is_valid(const struct xb_vmscan *v)
{
	if (v->kswapd_order >= XB_MAX_ORDER ||
	    v->kswapd_failures > XB_MAX_RECLAIM_RETRIES) {
		g_warning("vmscan: kswapd order %u failures %u",
			  v->kswapd_order, v->kswapd_failures);
		return false;
	}
	if (v->stats.pgsteal_kswapd > v->stats.pgscan_kswapd ||
	    v->stats.pgsteal_direct > v->stats.pgscan_direct) {
		g_warning("vmscan: more pages reclaimed than scanned");
		return false;
	}
	return true;
}
