/*
 * The results and priorities of compaction, shared by the allocator's slow
 * path (emu/zone.c), reclaim (emu/vmscan.c) and compaction itself. Modeled
 * on Linux 6.1 include/linux/compaction.h.
 */
#ifndef XBALLOON_COMPACT_RESULT_H
#define XBALLOON_COMPACT_RESULT_H

#include <stdbool.h>

/* Linux's enum compact_result, same order (the order matters: results are
 * compared with max() when several attempts are combined). */
enum xb_compact_result {
	XB_COMPACT_NOT_SUITABLE_ZONE, /* the zone cannot help (fragindex)   */
	XB_COMPACT_SKIPPED,	      /* not enough free pages to compact   */
	XB_COMPACT_DEFERRED,	      /* backed off after recent failures   */
	XB_COMPACT_NO_SUITABLE_PAGE,  /* internal: no page yet, go on       */
	XB_COMPACT_CONTINUE,	      /* internal: keep scanning            */
	XB_COMPACT_COMPLETE,	      /* the whole zone was scanned         */
	XB_COMPACT_PARTIAL_SKIPPED,   /* scanners met, part of zone skipped */
	XB_COMPACT_CONTENDED,	      /* gave up early (no free targets)    */
	XB_COMPACT_SUCCESS,	      /* a suitable page is available       */
};

/* compaction_failed(): the whole zone was scanned and it did not help. */
static inline bool xb_compaction_failed(enum xb_compact_result r)
{
	return r == XB_COMPACT_COMPLETE;
}

/* compaction_withdrawn(): compaction did not really try; a retry at a
 * higher priority might do better. */
static inline bool xb_compaction_withdrawn(enum xb_compact_result r)
{
	return r == XB_COMPACT_SKIPPED || r == XB_COMPACT_DEFERRED ||
	       r == XB_COMPACT_CONTENDED || r == XB_COMPACT_PARTIAL_SKIPPED;
}

/* compaction_made_progress() */
static inline bool xb_compaction_made_progress(enum xb_compact_result r)
{
	return r == XB_COMPACT_SUCCESS;
}

/*
 * enum compact_priority: lower is more thorough. Direct compaction starts at
 * INIT (async); should_compact_retry() may lower it down to the minimum for
 * the order (MIN_COMPACT_COSTLY_PRIORITY for costly orders).
 */
enum xb_compact_priority {
	XB_COMPACT_PRIO_SYNC_FULL,
	XB_COMPACT_PRIO_SYNC_LIGHT,
	XB_COMPACT_PRIO_ASYNC,
};
#define XB_MIN_COMPACT_PRIORITY	       XB_COMPACT_PRIO_SYNC_FULL
#define XB_MIN_COMPACT_COSTLY_PRIORITY XB_COMPACT_PRIO_SYNC_LIGHT
#define XB_INIT_COMPACT_PRIORITY       XB_COMPACT_PRIO_ASYNC

#endif
