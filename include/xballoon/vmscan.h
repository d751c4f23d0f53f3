/*
 * Page reclaim of the modeled guest: direct reclaim for the allocator's
 * slow path (try_to_free_pages()) and kswapd (wakeup_kswapd(),
 * balance_pgdat(), kswapd_try_to_sleep()), with watermark boosting.
 * Modeled on Linux 6.1 mm/vmscan.c. What reclaim drops is the owner's
 * business: a `shrink` callback frees the oldest reclaimable pages (the
 * model's page cache, clean and inactive, so every page scanned is freed).
 */
#ifndef XBALLOON_VMSCAN_H
#define XBALLOON_VMSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/compaction.h"
#include "xballoon/zone.h"

/* DEF_PRIORITY: kswapd's first pass scans 1 / 2^12 of the LRU. */
#define XB_DEF_PRIORITY 12

/* Reclaim events, named as /proc/vmstat names them. */
#define XB_VMSCAN_STATS(X)                                                     \
	X(pgscan_kswapd, "pages kswapd scanned")                               \
	X(pgscan_direct, "pages direct reclaim scanned")                       \
	X(pgsteal_kswapd, "pages kswapd reclaimed")                            \
	X(pgsteal_direct, "pages direct reclaim reclaimed")                    \
	X(pageoutrun, "kswapd balancing runs (balance_pgdat)")                 \
	X(kswapd_wake, "wake-ups that woke a sleeping kswapd")

struct xb_vmscan_stats {
#define XB_STAT_FIELD(name, doc) uint64_t name;
	XB_VMSCAN_STATS(XB_STAT_FIELD)
#undef XB_STAT_FIELD
};

/*
 * Reclaim state of one node (pg_data_t's kswapd fields) with its zone.
 *
 * Invariants (xb__vmscan_is_valid()):
 *   kswapd_order < XB_MAX_ORDER
 *   kswapd_failures <= XB_MAX_RECLAIM_RETRIES
 *   pgsteal_* <= pgscan_*
 */
struct xb_vmscan {
	struct xb_zone *zone;
	struct xb_compactor *comp; /* compaction_suitable(), kcompactd   */
	/* Free up to nr of the oldest reclaimable pages; returns how many. */
	uint64_t (*shrink)(void *priv, uint64_t nr);
	/* Ask the owner of simulated time to run xb_kswapd_run() soon. */
	void (*kick)(void *priv);
	void *priv;
	unsigned kswapd_order;	  /* pgdat->kswapd_order: highest asked   */
	unsigned kswapd_failures; /* balancing runs that reclaimed nothing */
	bool kswapd_woken;	  /* woken, has not run yet                */
	struct xb_vmscan_stats stats;
};

void xb_vmscan_init(struct xb_vmscan *v, struct xb_zone *z,
		    struct xb_compactor *comp,
		    uint64_t (*shrink)(void *priv, uint64_t nr),
		    void (*kick)(void *priv), void *priv);

/*
 * xb_try_to_free_pages() - direct reclaim for an allocation of `order`:
 * SWAP_CLUSTER_MAX pages; a costly order reclaims on until compaction
 * could run (should_continue_reclaim()) and skips reclaim altogether when
 * compaction is ready (compaction_ready()), reporting progress. Returns
 * the pages reclaimed (1 for "compaction ready").
 */
uint64_t xb_try_to_free_pages(struct xb_vmscan *v, unsigned order);

/* wakeup_kswapd() for an allocation of `order` with XB_ALLOC_* flags. */
void xb_wakeup_kswapd(struct xb_vmscan *v, unsigned order, unsigned flags);

/* One kswapd wake-up: balance_pgdat() then kswapd_try_to_sleep(). */
void xb_kswapd_run(struct xb_vmscan *v);

/* Print the stats as "name value" lines (vmstat style). */
void xb_vmscan_print_stats(const struct xb_vmscan *v, FILE *out);

bool xb__vmscan_is_valid(const struct xb_vmscan *v);

#endif
