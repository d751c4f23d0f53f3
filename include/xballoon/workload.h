/*
 * Workloads: the guest's memory users. Each owns its pages through an owner
 * record (a ring of page heads; frame.next holds the page's slot, the
 * model's rmap), so that compaction can move them and the workload can
 * still free the page it really holds.
 *
 *   anon        movable order-0 pages (a process's memory); huge pages
 *               first when THP is `always`
 *   thp         a MADV_HUGEPAGE region: order-9 first unless THP is
 *               `never`, order-0 fallback
 *   pagecache   movable order-0 pages that reclaim drops under pressure
 *   slab        reclaimable order-0 allocations (pin pageblocks)
 *   kernel      unmovable order-0 allocations (pin pageblocks)
 *   fragmenter  touch `size`, then free `free` of every 2 MiB region
 */
#ifndef XBALLOON_WORKLOAD_H
#define XBALLOON_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/node.h"
#include "xballoon/rng.h"
#include "xballoon/zone.h"

enum xb_workload_kind {
	XB_WL_ANON,
	XB_WL_THP,
	XB_WL_PAGECACHE,
	XB_WL_SLAB,
	XB_WL_KERNEL,
	XB_WL_FRAGMENTER,
	XB_WL_NR_KINDS
};

/* /sys/kernel/mm/transparent_hugepage/enabled */
enum xb_thp_mode { XB_THP_ALWAYS, XB_THP_MADVISE, XB_THP_NEVER, XB_THP_NR };

/* /sys/kernel/mm/transparent_hugepage/defrag */
enum xb_thp_defrag {
	XB_THP_DEFRAG_ALWAYS,
	XB_THP_DEFRAG_DEFER,
	XB_THP_DEFRAG_DEFER_MADVISE,
	XB_THP_DEFRAG_MADVISE,
	XB_THP_DEFRAG_NEVER,
	XB_THP_DEFRAG_NR
};

extern const char *const xb_thp_mode_names[XB_THP_NR];
extern const char *const xb_thp_defrag_names[XB_THP_DEFRAG_NR];

/*
 * The allocation flags of each kind's small pages (the model's gfp_t, see
 * include/xballoon/zone.h) and, for a huge page fault, the flags
 * alloc_hugepage_direct_gfpmask() picks from the defrag setting and whether
 * the region is madvised.
 */
unsigned xb_workload_gfp(enum xb_workload_kind kind);
unsigned xb_thp_gfp(enum xb_thp_defrag defrag, bool madvised);

struct xb_workload_spec {
	const char *name;
	enum xb_workload_kind kind;
	uint64_t size;	      /* frames wanted                              */
	uint64_t ramp;	      /* ns to grow from 0 to size (0: at once)     */
	double churn;	      /* share of held pages replaced per second    */
	uint64_t lifetime;    /* ns after start to free everything (0: no)  */
	double free;	      /* fragmenter: share of each region freed     */
	enum xb_thp_mode thp; /* the guest's THP setting (default 0:
			       * always, as Debian 12 ships)        */
	enum xb_thp_defrag defrag; /* ... and its defrag setting         */
};

#define XB_WORKLOAD_STATS(X)                                                   \
	X(allocated, "frames allocated")                                       \
	X(freed, "frames freed")                                               \
	X(alloc_failed, "allocations the zone refused")                        \
	X(reclaimed, "frames dropped by reclaim")                              \
	X(migrated, "pages moved by compaction")                               \
	X(thp_alloc, "huge page faults served (thp_fault_alloc)")              \
	X(thp_fallback, "huge page faults that fell back "                     \
			"(thp_fault_fallback)")

struct xb_workload_stats {
#define XB_STAT_FIELD(name, doc) uint64_t name;
	XB_WORKLOAD_STATS(XB_STAT_FIELD)
#undef XB_STAT_FIELD
};

/* One node's pages of a workload: its LRU, oldest at head (Linux keeps
 * one LRU per node, which reclaim of that node scans). */
struct xb_wl_ring {
	xb_pfn_t *ring; /* page heads                                */
	uint64_t cap, head, nr;
	uint64_t held; /* frames of these pages                     */
};

/*
 * Invariants (xb__workload_is_valid()):
 *   for each ring v < nr_rings: rings[v].ring[(head + i) % cap], i < nr,
 *     are the heads this workload holds on node v (in the zone of node v;
 *     one ring and node 0 without nodes): ALLOC or ISOLATED,
 *     owner = owner, frame.next = that ring index
 *   rings[v].held = sum of 2^order over ring v's heads
 *   nr = sum of rings[v].nr <= limit, held = sum of rings[v].held
 *   rings[v].nr <= rings[v].cap <= limit (one ring: cap = limit)
 */
struct xb_workload {
	struct xb_workload_spec spec;
	struct xb_zone *zone;	/* its zone, or node 0's (frames: the map) */
	struct xb_nodes *nodes; /* NULL: one zone                          */
	unsigned nid;		/* preferred node (the CPU's, or bound)    */
	uint64_t nodemask;	/* allowed nodes; 0: all                   */
	uint32_t owner;
	unsigned nr_rings;
	struct xb_wl_ring rings[XB_MAX_NODES];
	uint64_t limit; /* pages it may hold: its size (at least 1)  */
	uint64_t nr;	/* pages held, all rings                     */
	uint64_t held;	/* frames held                               */
	uint64_t start; /* ns                                        */
	bool stopped;
	bool fragmented; /* fragmenter: the pattern has been applied  */
	/* pagecache: it has been full (or memory stopped its first fill);
	 * from then on what reclaim dropped comes back only as fast as the
	 * workload re-reads its files (its churn). */
	bool filled;
	double churn_debt; /* fractional pages of churn carried over    */
	struct xb_workload_stats stats;
};

extern const char *const xb_workload_kind_names[XB_WL_NR_KINDS];
const char *xb_workload_kind_name(enum xb_workload_kind kind);
/* -1 when unknown. */
int xb_workload_kind_from_name(const char *name);

/* Start a workload at simulated time `now`, allocating from one zone.
 * NULL if out of memory. */
struct xb_workload *xb_workload_start(struct xb_zone *z,
				      const struct xb_workload_spec *spec,
				      uint64_t now);
/* The same over the guest's nodes: allocations prefer node nid and fall
 * back by distance (Linux's zonelist), within nodemask (0: all nodes; a
 * workload bound to node k has nid k and nodemask 1 << k, MPOL_BIND). */
struct xb_workload *xb_workload_start_nodes(struct xb_nodes *nodes,
					    unsigned nid, uint64_t nodemask,
					    const struct xb_workload_spec *spec,
					    uint64_t now);
/* Free everything it holds; it stays registered (its owner id too). */
void xb_workload_stop(struct xb_workload *w);
void xb_workload_destroy(struct xb_workload *w);

/* Advance to `now` (dt ns since the last tick): lifetime, churn, growth
 * toward the (ramped) size. */
void xb_workload_tick(struct xb_workload *w, uint64_t now, uint64_t dt,
		      struct xb_rng *rng);

/* Drop up to nr frames of node nid, oldest first (pagecache only; node 0
 * is the one zone); returns frames. */
uint64_t xb_workload_reclaim(struct xb_workload *w, unsigned nid, uint64_t nr);
/* Frames the workload holds on node nid, O(1). */
uint64_t xb_workload_held_on(const struct xb_workload *w, unsigned nid);

bool xb__workload_is_valid(const struct xb_workload *w);

#endif
