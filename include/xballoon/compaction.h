/*
 * Compaction of the modeled zone: the migrate scanner walks up from the zone
 * start, the free scanner down from the zone end, and movable pages move to
 * free pages found high in the zone. Modeled on Linux 6.1 mm/compaction.c
 * (compact_zone, isolate_migratepages, isolate_freepages, __compact_finished,
 * deferral, proactive compaction) and mm/migrate.c (migrate_pages).
 */
#ifndef XBALLOON_COMPACTION_H
#define XBALLOON_COMPACTION_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/compact_result.h"
#include "xballoon/zone.h"

/* Pages isolated per migration batch (COMPACT_CLUSTER_MAX), except when a
 * pageblock is rescanned (then the rest of the pageblock). */
#define XB_COMPACT_CLUSTER_MAX 32
/* Deferral backs off up to 1 << 6 = 64 attempts (COMPACT_MAX_DEFER_SHIFT). */
#define XB_COMPACT_MAX_DEFER_SHIFT 6
/* The order the fragmentation score is about (COMPACTION_HPAGE_ORDER). */
#define XB_COMPACT_HPAGE_ORDER 9
/* kcompactd's proactive check period (HPAGE_FRAG_CHECK_INTERVAL_MSEC). */
#define XB_KCOMPACTD_PERIOD_MS 500
/* migrate_pages() passes over pages answering -EAGAIN
 * (NR_MAX_MIGRATE_PAGES_RETRY). */
#define XB_MIGRATE_MAX_RETRY 10
/* sysctl vm.compaction_proactiveness and vm.extfrag_threshold defaults. */
#define XB_COMPACT_PROACTIVENESS_DEFAULT 20
#define XB_EXTFRAG_THRESHOLD_DEFAULT	 500

const char *xb_compact_result_name(enum xb_compact_result r);

/* enum migrate_mode */
enum xb_migrate_mode {
	XB_MIGRATE_ASYNC,      /* direct compaction's first try           */
	XB_MIGRATE_SYNC_LIGHT, /* escalated direct compaction, kcompactd  */
	XB_MIGRATE_SYNC,       /* compact_node(): /proc/sys/vm/compact_memory */
};

/* Compaction events, named as Linux's /proc/vmstat names them (except the
 * last, which Linux only traces). */
#define XB_COMPACT_STATS(X)                                                    \
	X(compact_migrate_scanned, "frames walked by the migrate scanner")     \
	X(compact_free_scanned, "frames walked by the free scanner")           \
	X(compact_isolated, "pages isolated (migration sources + targets)")    \
	X(pgmigrate_success, "pages migrated")                                 \
	X(pgmigrate_fail, "pages whose migration failed")                      \
	X(compact_stall, "direct compaction attempts")                         \
	X(compact_fail, "direct compaction attempts that found no page")       \
	X(compact_success, "direct compaction attempts that found a page")     \
	X(compact_deferred, "direct compaction attempts skipped by deferral")  \
	X(compact_daemon_wake, "kcompactd wake-ups that did work")             \
	X(compact_daemon_migrate_scanned,                                      \
	  "frames kcompactd's migrate scanner walked")                         \
	X(compact_daemon_free_scanned, "frames kcompactd's free scanner "      \
				       "walked")

struct xb_compact_stats {
#define XB_STAT_FIELD(name, doc) uint64_t name;
	XB_COMPACT_STATS(XB_STAT_FIELD)
#undef XB_STAT_FIELD
};

/*
 * Per-zone compaction state, the compaction fields of Linux's struct zone
 * and the node's kcompactd state.
 *
 * Invariants:
 *   compact_defer_shift <= XB_COMPACT_MAX_DEFER_SHIFT
 *   compact_considered <= 1 << compact_defer_shift
 *   cached pfns lie in the zone, [zone->start_pfn, zone->end_pfn)
 *   kcompactd_max_order < XB_MAX_ORDER
 */
struct xb_compactor {
	struct xb_zone *zone;
	/* Deferral: after a failure, the next 2^shift - 1 attempts are
	 * skipped (defer_compaction / compaction_deferred). */
	unsigned compact_considered;  /* attempts since the last failure */
	unsigned compact_defer_shift; /* log2 of the attempts to skip    */
	int compact_order_failed;     /* lowest order that failed        */
	/* Where the next non-whole-zone run resumes ([0] async, [1] sync). */
	xb_pfn_t cached_migrate_pfn[2];
	xb_pfn_t cached_free_pfn;
	/* Direct compaction met the scanners: the skip hints are stale and
	 * kswapd clears them before it sleeps, as does a run after deferral
	 * (compact_blockskip_flush; __reset_isolation_suitable() does nothing
	 * without it).
	 */
	bool blockskip_flush;
	/* compact_init_migrate_pfn / compact_init_free_pfn: the restart
	 * points the last flush found (the lowest pageblock with a sampled
	 * LRU page, the highest movable one with a sampled free page). A run
	 * that starts at or below the first is whole-zone; a targeted run
	 * whose free scanner is at or above the second starts with the deep
	 * free-list search. Before any flush both are the zone's start
	 * (Linux's 0, below its zones: see xb_compactor_init()). */
	int64_t init_migrate_pfn;
	int64_t init_free_pfn;
	/* sysctl vm.compaction_proactiveness, 0..100 (0: off). */
	unsigned proactiveness;
	/* sysctl vm.extfrag_threshold, 0..1000. */
	unsigned extfrag_threshold;
	/* kcompactd periods left to sleep because the last proactive run
	 * made no progress (the timeout << COMPACT_MAX_DEFER_SHIFT). */
	unsigned proactive_defer;
	/* kcompactd's wake-up state (pgdat->kcompactd_max_order and a
	 * woken kcompactd that has not run yet). kick(kick_priv) asks the
	 * owner of simulated time to run xb_kcompactd_do_work() soon; NULL:
	 * wake-ups are recorded but nothing runs. */
	unsigned kcompactd_max_order;
	bool kcompactd_woken;
	void (*kick)(void *kick_priv);
	void *kick_priv;
	struct xb_compact_stats stats;
};

/*
 * All state of one compaction run (struct compact_control). Pages isolated
 * for migration live in a fixed array (a batch is XB_COMPACT_CLUSTER_MAX
 * pages, or the rest of one pageblock when the block is rescanned; their
 * frame links belong to their owners), free target pages on a stack
 * threaded through frame.next (they are ISOLATED and owned by nobody, so
 * their links are ours).
 *
 * Invariants:
 *   nr_migratepages <= pageblock_nr_pages (one isolate_migratepages_block()
 *     call isolates within one pageblock)
 *   nr_freepages = length of the freepages stack; each is an order-0
 *     ISOLATED frame owned by XB_OWNER_NONE
 *   the scanners have met  <=>  free_pfn / 512 <= migrate_pfn / 512
 */
struct xb_compact_control {
	struct xb_zone *zone;	    /* the zone being compacted              */
	struct xb_compactor *c;	    /* its per-zone state and stats          */
	int order;		    /* requested order; -1: whole zone       */
	unsigned migratetype;	    /* of the request (decides suitability)  */
	enum xb_migrate_mode mode;  /* async skips unsuitable pageblocks     */
	bool direct_compaction;	    /* run on behalf of an allocation        */
	bool whole_zone;	    /* started at the zone start: may finish
				     * COMPLETE rather than PARTIAL_SKIPPED  */
	bool proactive_compaction;  /* kcompactd: stop at the low score mark */
	bool ignore_skip_hint;	    /* scan pageblocks marked XB_PB_SKIP     */
	bool ignore_block_suitable; /* free pages from any pageblock type    */
	bool rescan;		    /* this batch starts in the pageblock the
				     * last one did: isolate the rest of the
				     * block, past COMPACT_CLUSTER_MAX       */
	int64_t migrate_pfn;	    /* next pfn the migrate scanner looks at */
	int64_t free_pfn;	    /* where the free scanner resumes; it
				     * scans its pageblock upward, the
				     * pageblocks downward. Signed: it may
				     * step below pfn 0 when scanners meet */
	/* fast_find_migrateblock(): lowest free pfn it jumped to (-1: none
	 * yet, INT64_MAX: already used as the linear restart point). */
	int64_t fast_start_pfn;
	unsigned fast_search_fail; /* fast free-list searches that failed  */
	int search_order;	   /* fast_isolate_freepages(): order to
				    * search first                         */
	xb_pfn_t migratepages[XB_PAGEBLOCK_PAGES_MAX]; /* isolated sources */
	unsigned nr_migratepages; /* entries used in migratepages          */
	xb_pfn_t free_head;	  /* isolated targets, linked by next; the
				   * head is handed out first              */
	uint64_t nr_freepages;	  /* length of that stack                  */
	uint64_t total_migrate_scanned; /* this run's compact_migrate_scanned */
	uint64_t total_free_scanned;	/* this run's compact_free_scanned    */
	uint64_t nr_migrated;	    /* this run's pgmigrate_success          */
	uint64_t nr_migrate_failed; /* this run's pgmigrate_fail             */
};

/* Set up compaction for a zone: no deferral, cached scanners at the zone
 * ends, proactiveness 20, extfrag threshold 500. */
void xb_compactor_init(struct xb_compactor *c, struct xb_zone *z);

/*
 * xb_compact_zone() - one compaction run described by cc (compact_zone());
 * the caller fills zone, c, order, migratetype, mode and the flags; the
 * rest is set here. Adds the run's events to c->stats.
 */
enum xb_compact_result xb_compact_zone(struct xb_compact_control *cc);

/*
 * xb_compact_zone_full() - compact_node(): a synchronous run over the whole
 * zone, ignoring skip hints, until the scanners meet (sysctl
 * compact_memory). Returns XB_COMPACT_COMPLETE normally.
 */
enum xb_compact_result xb_compact_zone_full(struct xb_compactor *c);

/*
 * xb_compact_direct() - try_to_compact_pages() for a failed allocation of
 * 2^order pages of migratetype mt at priority prio (enum
 * xb_compact_priority): async at XB_COMPACT_PRIO_ASYNC, sync-light below;
 * honours deferral above sync-full; only a sync run that fails defers.
 * Counts compact_stall / compact_fail / compact_success as
 * __alloc_pages_direct_compact() does. Returns the run's result.
 */
enum xb_compact_result xb_compact_direct(struct xb_compactor *c, unsigned order,
					 unsigned mt, unsigned prio);

/* The same, shaped as struct xb_zone_ops.compact (priv: the compactor):
 * `static const struct xb_zone_ops ops = {.compact = xb_compact_hook};`
 * then xb_zone_set_ops(z, &ops, &compactor). */
enum xb_compact_result xb_compact_hook(struct xb_zone *z, void *priv,
				       unsigned order, unsigned mt,
				       unsigned prio);

/*
 * xb_compaction_suitable() - compaction_suitable(): SUCCESS when the
 * allocation would pass at the min mark, SKIPPED when there is too little
 * free memory to compact into (low mark for costly orders, min below,
 * plus compact_gap() = 2 << order) or the fragmentation index blames lack
 * of memory (costly orders, index <= extfrag_threshold), else CONTINUE.
 */
enum xb_compact_result xb_compaction_suitable(const struct xb_compactor *c,
					      unsigned order);

/*
 * xb_compact_proactive() - kcompactd's timeout branch (call every
 * XB_KCOMPACTD_PERIOD_MS of simulated time without a wake-up): when the
 * fragmentation score is above the high mark, compacts until it
 * drops to the low mark; backs off 64 periods when that made no progress.
 * Returns the run's result, or XB_COMPACT_SKIPPED when nothing ran
 * (XB_COMPACT_DEFERRED while backing off).
 */
enum xb_compact_result xb_compact_proactive(struct xb_compactor *c);

/*
 * xb_wakeup_kcompactd() - wakeup_kcompactd(): remember the highest order
 * asked for and wake kcompactd (through c->kick) when it sleeps and
 * compaction_suitable() says a run could help.
 */
void xb_wakeup_kcompactd(struct xb_compactor *c, unsigned order);

/*
 * xb_kcompactd_do_work() - kcompactd_do_work(): one sync-light run for
 * kcompactd_max_order unless deferred or unsuitable; a failed run defers
 * like sync direct compaction; counts compact_daemon_*.
 */
void xb_kcompactd_do_work(struct xb_compactor *c);

/* reset_isolation_suitable() as kswapd calls it before sleeping: clear the
 * skip hints if direct compaction left them stale (compact_blockskip_flush). */
void xb_compact_blockskip_flush(struct xb_compactor *c);

/* fragmentation_score_zone(): extfrag_for_order(zone, 9), 0..100. */
unsigned xb_compact_fragmentation_score(const struct xb_compactor *c);

/* fragmentation_score_wmark(): low = max(100 - proactiveness, 5),
 * high = min(low + 10, 100). */
unsigned xb_compact_score_wmark(const struct xb_compactor *c, bool low);

/* The deferral primitives, exposed for tests and the allocator. */
void xb_compact_defer(struct xb_compactor *c, int order);
bool xb_compact_deferred(struct xb_compactor *c, int order);
void xb_compact_defer_reset(struct xb_compactor *c, int order,
			    bool alloc_success);

/* Print the stats as "name value" lines (vmstat style). */
void xb_compact_print_stats(const struct xb_compactor *c, FILE *out);

/* The per-zone state checker (deferral bounds, cached pfns). */
bool xb__compactor_is_valid(const struct xb_compactor *c);

#endif
