/*
 * The policy interface, for policy authors. A policy decides, the driver
 * mechanism (include/xballoon/driver.h) acts: a policy is a static ops table
 * whose hooks compose the mechanism's steps (allocate, decrease, populate,
 * queue), plus a set of default knobs a scenario can override.
 */
#ifndef XBALLOON_SYS_POLICY_H
#define XBALLOON_SYS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xballoon/balloon_dev.h"

#define XB_POLICY_VERSION 1

struct xb_driver;

/* Linux's enum bp_state. */
enum xb_bp_state {
	XB_BP_DONE,	 /* the step did what it was asked                  */
	XB_BP_WAIT,	 /* waiting for something else (not used by mock)   */
	XB_BP_EAGAIN,	 /* failed for now: retry after schedule_delay      */
	XB_BP_ECANCELED, /* gave up after max_retry_count                   */
};

/*
 * Knobs every policy understands; each policy sets its defaults and a
 * scenario's `driver:` keys override them (see xb_policy_set_knob()).
 */
struct xb_policy_knobs {
	bool huge;		     /* 2 MiB first, inflating and deflating  */
	bool compaction;	     /* 4 KiB balloon pages are movable: the
				      * migratepage callback is installed     */
	bool exchange;		     /* run the coalescing (exchange) worker  */
	bool split_refused;	     /* a 2 MiB page the host refuses is split
				      * and ballooned as 4 KiB pages (vmw)    */
	uint64_t exchange_interval;  /* ns of simulated time                  */
	uint64_t max_retry_count;    /* 0: retry forever (RETRY_UNLIMITED)    */
	uint64_t max_schedule_delay; /* seconds                               */
	uint64_t batch;		     /* frame_list entries per hypercall      */
	uint64_t proactiveness;	     /* vm.compaction_proactiveness 0..100    */
	bool multicall;		     /* pv: batch the kernel-mapping updates
				      * into multicalls of XB_MC_BATCH        */
	bool numa_exact;	     /* vNUMA guest: every populate extent
				      * asks for its vnode's node exactly
				      * (XENMEMF_vnode | exact_node_request);
				      * off: no node, as Linux today       */
	uint64_t numa_split;	     /* vNUMA guest: how the guest's target
				      * is split over the vnodes (enum
				      * xb_numa_split)                     */
	uint64_t huge_gfp;	     /* the 2 MiB balloon page's mask (enum
				      * xb_huge_gfp)                       */
};

/*
 * The mask a 2 MiB balloon page (the decrease's and the coalescing
 * worker's) is asked for with; both keep __GFP_NORETRY and the policy's
 * reclaim flags:
 *   UNMOVABLE  GFP_HIGHUSER: the page is never migrated, as hv_balloon's
 *              and vmw_balloon's 2 MiB pages (no __GFP_MOVABLE); it comes
 *              from unmovable pageblocks or steals a movable one, and
 *              async direct compaction for it scans only unmovable
 *              pageblocks (suitable_migration_source());
 *   MOVABLE    GFP_HIGHUSER_MOVABLE: from movable pageblocks, compacted
 *              for from any, although the driver never migrates it.
 */
enum xb_huge_gfp { XB_HUGE_GFP_UNMOVABLE, XB_HUGE_GFP_MOVABLE, XB_HUGE_GFP_NR };

extern const char *const xb_huge_gfp_names[XB_HUGE_GFP_NR + 1];

/*
 * How a vNUMA guest's target becomes each vnode's (one balloon driver per
 * vnode, docs/driver.md):
 *   SIZE   each vnode in proportion to its size;
 *   FREE   a decrease taken from the vnodes in proportion to the memory
 *          each can give (xb_drv_mem_available()), an increase given back
 *          in proportion to what each has ballooned;
 *   LOCAL  Linux's driver, which knows no nodes: its pages come from the
 *          node of the CPU running balloon_process() (vnode 0), falling
 *          back by distance once that node has nothing to give, and go
 *          back last-ballooned first (the farthest vnode first).
 */
enum xb_numa_split {
	XB_NUMA_SPLIT_SIZE,
	XB_NUMA_SPLIT_FREE,
	XB_NUMA_SPLIT_LOCAL,
	XB_NUMA_SPLIT_NR
};

extern const char *const xb_numa_split_names[XB_NUMA_SPLIT_NR + 1];

enum xb_knob_type {
	XB_KNOB_BOOL,	 /* on | off                                        */
	XB_KNOB_UINT,	 /* a decimal integer                               */
	XB_KNOB_TIME,	 /* a time ("500ms", "1s", "2min"), stored in ns    */
	XB_KNOB_SECONDS, /* a time in whole seconds, stored in seconds      */
	XB_KNOB_ENUM,	 /* one of `names`, stored as its index             */
};

struct xb_knob_desc {
	const char *name;
	enum xb_knob_type type;
	size_t offset;	   /* in struct xb_policy_knobs */
	uint64_t min, max; /* bounds, in the stored unit */
	const char *doc;
	const char *const *names; /* XB_KNOB_ENUM: the values, NULL-ended */
};

struct xb_policy_ops {
	unsigned version; /* MANDATORY: XB_POLICY_VERSION             */
	const char *name; /* MANDATORY: registry name                 */
	const char
	    *description; /* MANDATORY: one line for `xballoon policies` */
	struct xb_policy_knobs defaults;

	/*
	 * MANDATORY. decrease_reservation(): balloon out up to `nr` frames
	 * (one batch of at most knobs.batch extents per hypercall); add the
	 * frames actually given back to *done. XB_BP_EAGAIN when the guest
	 * or the hypervisor could not give all of them now.
	 */
	enum xb_bp_state (*decrease)(struct xb_driver *d, uint64_t nr,
				     uint64_t *done);
	/* MANDATORY. increase_reservation(): the same, deflating. */
	enum xb_bp_state (*increase)(struct xb_driver *d, uint64_t nr,
				     uint64_t *done);
	/* OPTIONAL. The periodic worker, run every knobs.exchange_interval
	 * while knobs.exchange is on. */
	void (*worker)(struct xb_driver *d);
	/* OPTIONAL. The balloon device's migration callback, installed
	 * while knobs.compaction is on. */
	xb_balloon_migratepage_t migratepage;
};

/* Knob table shared by every policy (name, type, bounds, doc). */
const struct xb_knob_desc *xb_policy_knob_table(void);

#endif
