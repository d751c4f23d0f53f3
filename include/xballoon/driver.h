/*
 * The Xen balloon driver mechanism: the model of Linux drivers/xen/balloon.c
 * (balloon_stats, balloon_process, increase/decrease_reservation,
 * alloc/free_xenballooned_pages) extended with the seed design's queues:
 * a 2 MiB queue, a 4 KiB queue (the core balloon device) and a special
 * queue for foreign mappings. What to do is the policy's choice
 * (include/xballoon/sys/policy.h); this module does it and keeps the books.
 */
#ifndef XBALLOON_DRIVER_H
#define XBALLOON_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/backend.h"
#include "xballoon/balloon_dev.h"
#include "xballoon/flist.h"
#include "xballoon/sys/policy.h"
#include "xballoon/zone.h"

#define XB_HUGE_ORDER 9
#define XB_HUGE_PAGES (1u << XB_HUGE_ORDER)
#define XB_FRAME_LIST 512 /* Linux: PAGE_SIZE / sizeof(xen_pfn_t) */
/* Entries per multicall (Linux arch/x86/xen/multicalls.h MC_BATCH). */
#define XB_MC_BATCH 32

/* Per-size statistics, declared once: (field, report name). */
#define XB_DRIVER_SIZE_STATS(X)                                                \
	X(inflated, "frames ballooned out")                                    \
	X(deflated, "frames ballooned in")                                     \
	X(failed, "hypercalls or allocations that fell short")                 \
	X(migrated, "balloon pages moved by compaction")                       \
	X(coalesced, "2 MiB pages made by the exchange worker")

struct xb_driver_size_stats {
#define XB_STAT_FIELD(name, doc) uint64_t name;
	XB_DRIVER_SIZE_STATS(XB_STAT_FIELD)
#undef XB_STAT_FIELD
};

struct xb_driver_stats {
	struct xb_driver_size_stats huge;  /* 2 MiB pages (counted in frames
					    * for inflated/deflated)        */
	struct xb_driver_size_stats small; /* 4 KiB pages                   */
	uint64_t special_taken;		   /* alloc_xenballooned_pages      */
	uint64_t special_returned;	   /* free_xenballooned_pages       */
	uint64_t gave_up;		   /* BP_ECANCELED outcomes         */
	uint64_t process_runs;		   /* balloon_process() invocations */
};

/*
 * Balloon state, as Linux's struct balloon_stats plus the queues.
 *
 * Invariants (xb__driver_is_valid(), between steps):
 *   current_pages = zone managed pages
 *   current_pages = backend tot_pages, or with shares_domain the sum of
 *     current_pages over the domain's drivers = backend tot_pages
 *   balloon_low = 512 * huge.nr + small.nr_pages + small.isolated_pages
 *   zone UNPOPULATED frames = balloon_low + special.nr
 *   every queued frame is an UNPOPULATED head of the queue's owner and
 *     order (9 on the huge queue, 0 elsewhere), unpopulated in the backend
 *   pv: p2m[pfn] is valid exactly for populated pfns
 */
struct xb_driver {
	struct xb_zone *zone;
	struct xb_backend *be;
	const struct xb_policy_ops *policy;
	struct xb_policy_knobs knobs;
	struct xb_guest_info guest;
	bool can_query; /* the backend answers P2M queries          */

	/* balloon_stats */
	uint64_t current_pages;
	uint64_t target_pages;
	uint64_t balloon_low;	 /* pages in the balloon (all 4 KiB frames) */
	uint64_t balloon_high;	 /* always 0: no highmem on x86-64          */
	uint64_t schedule_delay; /* seconds                                 */
	uint64_t retry_count;
	enum xb_bp_state state; /* outcome of the last balloon_process()   */

	/* queues */
	struct xb_flist huge; /* 2 MiB queue (order-9 heads)             */
	uint32_t huge_owner;
	struct xb_balloon_dev small; /* 4 KiB queue                           */
	struct xb_flist special; /* foreign-mapping pages                   */
	uint32_t special_owner;
	uint32_t batch_owner; /* pages allocated, not yet given back     */

	/* pv: the pseudo-physical -> machine table (mfn + 1; 0 = invalid),
	 * by absolute pfn over the guest's nr_frames; the vnodes' drivers
	 * share the first one's (p2m_shared: not this driver's to free). */
	uint32_t *p2m;
	bool p2m_shared;
	uint64_t nr_frames;

	/* vNUMA: vnode v holds the pfns [vnode_end[v - 1], vnode_end[v])
	 * (vnode_end[-1] = 0); nr_vnodes 0: none. Invariants (checked by
	 * xb__driver_is_valid()): vnode_end strictly increasing, multiples
	 * of 1024 (4 MiB), vnode_end[nr_vnodes - 1] = nr_frames. */
	unsigned nr_vnodes;
	uint64_t vnode_end[XB_MAX_NODES];
	/* One of several drivers of the domain, one per vnode's zone: the
	 * domain's tot_pages is the sum of their current_pages, which the
	 * caller checks (this driver's checker skips it). */
	bool shares_domain;

	xb_xen_pfn_t frame_list[XB_FRAME_LIST]; /* hypercall argument         */
	xb_pfn_t pfn_list[XB_FRAME_LIST];	/* the pages behind it        */
	struct xb_driver_stats stats;
};

/*
 * xb_driver_set_vnuma() - the guest's virtual nodes, in pfn order from 0
 * (@pages[v] frames each, multiples of 1024, adding up to the zone). From then
 * on the boot populates each extent on its vnode's node exactly, as the domain
 * builder does with vNUMA (libxenguest meminit: XENMEMF_exact_node), and
 * so does the balloon when knobs.numa_exact is on. Returns 0 or -EINVAL.
 */
int xb_driver_set_vnuma(struct xb_driver *d, unsigned nr,
			const uint64_t *pages);

/*
 * xb_driver_init() - bind a driver to a zone (the guest's whole maxmem, or
 * one vnode's part of it) and an open backend, with a policy and its knobs.
 * Returns 0 or -errno.
 */
int xb_driver_init(struct xb_driver *d, struct xb_zone *z,
		   struct xb_backend *be, const struct xb_policy_ops *policy,
		   const struct xb_policy_knobs *knobs);
void xb_driver_fini(struct xb_driver *d);
/* Use `first`'s P2M (another vnode's driver of the same domain, which
 * must outlive this one): one table for the guest, as Linux has. */
void xb_driver_share_p2m(struct xb_driver *d, const struct xb_driver *first);

/*
 * xb_driver_boot() - the domain builder and balloon_init(): populate the
 * zone's part of the guest's first `memory` frames (in 2 MiB extents when
 * extent_order is 9, falling back to 4 KiB for extents the host refuses),
 * hand them to the zone, and put the rest of the zone's frames into the
 * balloon (2 MiB-aligned runs on the 2 MiB queue when the policy balloons
 * huge pages). Returns 0 or -errno (the host cannot populate even 4 KiB
 * frames).
 */
int xb_driver_boot(struct xb_driver *d, uint64_t memory, unsigned extent_order);

/* balloon_set_new_target() */
void xb_driver_set_target(struct xb_driver *d, uint64_t pages);
/* A vNUMA guest's target unchanged, this vnode's share of it moved: the
 * new share, with the back-off left as it is. */
void xb_driver_move_target(struct xb_driver *d, uint64_t pages);

/*
 * balloon_process(): move current toward target until done or a step
 * fails. Returns the delay in seconds after which it wants to run again
 * (schedule_delay on XB_BP_EAGAIN), or 0 when it is done or gave up.
 */
uint64_t xb_driver_process(struct xb_driver *d);

/* The periodic worker (coalescing), when the policy has one and the
 * exchange knob is on. */
void xb_driver_worker(struct xb_driver *d);
bool xb_driver_has_worker(const struct xb_driver *d);

/*
 * alloc_xenballooned_pages(): take nr frames out of the balloon for
 * foreign mappings (ballooning more out if the balloon holds too few).
 * Returns 0 or -ENOMEM (nothing taken).
 */
int xb_driver_alloc_special(struct xb_driver *d, uint64_t nr);
/* free_xenballooned_pages(): give nr special frames back to the balloon. */
void xb_driver_free_special(struct xb_driver *d, uint64_t nr);

/* Frame number the backend takes for a guest pfn (pv: the mfn). */
xb_xen_pfn_t xb_driver_frame(const struct xb_driver *d, xb_pfn_t pfn);

/* Whole-driver checker (queries the backend for every ballooned frame). */
bool xb__driver_is_valid(struct xb_driver *d);

/*
 * The driver's books against the queues and the zone, O(1): the
 * incremental half of xb__driver_is_valid() (which also walks every queue
 * and asks the backend), asserted after every step at every debug level.
 */
static inline bool xb__driver_books_ok(const struct xb_driver *d)
{
	return d->balloon_low == d->huge.nr * XB_HUGE_PAGES +
				     d->small.nr_pages +
				     d->small.isolated_pages &&
	       d->zone->nr_state[XB_FRAME_UNPOPULATED] ==
		   d->balloon_low + d->special.nr &&
	       d->current_pages == d->zone->managed;
}

/* After every driver step: the books always (XB_DEBUG >= 1), the whole
 * walk at XB_DEBUG >= 3. */
#define xb__driver_check(d)                                                    \
	do {                                                                   \
		xb_assert(xb__driver_books_ok(d));                             \
		xb_assert_expensive(xb__driver_is_valid(d));                   \
	} while (0)

/* ---- mechanism steps for policies ---------------------------------- */

/*
 * Balloon out up to nr 4 KiB pages (at most one frame_list): allocate them
 * (movable through the core balloon device when `movable`, else straight
 * from the page allocator, unmovable, as GFP_BALLOON), give them back in one
 * hypercall, queue what the hypervisor took and free what it did not.
 * Adds frames ballooned to *done; XB_BP_EAGAIN when short.
 */
enum xb_bp_state xb_drv_decrease_small(struct xb_driver *d, uint64_t nr,
				       bool movable, uint64_t *done);
/*
 * Balloon out up to nr 2 MiB pages in one hypercall of order-9 extents,
 * allocated with alloc_flags (the slow path's XB_ALLOC_* / XB_GFP_* flags).
 * Needs the backend's P2M query. Pages the guest cannot give end the step
 * (XB_BP_EAGAIN, nothing done is lost). A 2 MiB extent the hypervisor refuses
 * is put back — or, with knobs.split_refused, split and ballooned as 4 KiB
 * pages.
 */
enum xb_bp_state xb_drv_decrease_huge(struct xb_driver *d, uint64_t nr,
				      unsigned alloc_flags, uint64_t *done);
/* Balloon in up to nr 4 KiB pages from the small queue (one hypercall). */
enum xb_bp_state xb_drv_increase_small(struct xb_driver *d, uint64_t nr,
				       uint64_t *done);
/*
 * Balloon in up to nr 2 MiB pages from the 2 MiB queue as order-9 extents;
 * the first extent the host refuses is split and populated as 4 KiB frames
 * (what the host still refuses joins the small queue).
 */
enum xb_bp_state xb_drv_increase_huge(struct xb_driver *d, uint64_t nr,
				      uint64_t *done);
/* Split one 2 MiB balloon page into 512 4 KiB balloon pages. */
bool xb_drv_split_huge(struct xb_driver *d);

/* The seed's migration callback: exchange (pv) or add_to_physmap with
 * XENMAPSPACE_gmfn (hvm/pvh). */
int xb_drv_migratepage(struct xb_balloon_dev *b, xb_pfn_t newpage,
		       xb_pfn_t page);
/* The seed's exchange worker step (Figure 3): one exchange (pv) or one
 * add_to_physmap call -- gmfn_range for one run of victims, else a batch
 * -- (hvm/pvh) per 2 MiB page; returns true if it made a 2 MiB balloon
 * page out of 512 small ones. */
bool xb_drv_coalesce(struct xb_driver *d);

/* si_mem_available() of the model. */
uint64_t xb_drv_mem_available(const struct xb_driver *d);

#endif
