/*
 * Scenario files: the v1 YAML contract (docs/scenarios.md) parsed with
 * libyaml into plain structs the runner consumes (its units are in
 * include/xballoon/units.h), policy knob validation through a caller's
 * table, and the metadata estimate.
 *
 * Units, chosen once for the whole struct:
 *   sizes   bytes (uint64), and the same size as 4 KiB frames where the model
 *           needs a frame count (every memory size is a multiple of 4 KiB);
 *   times   simulated nanoseconds (xb_ns_t);
 *   shares  parts per million (uint32, XB_PPM = 100%);
 *   rates   parts per million per simulated second.
 */
#ifndef XBALLOON_SCENARIO_H
#define XBALLOON_SCENARIO_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xballoon/buddy.h"
#include "xballoon/sim.h"
#include "xballoon/sys/backend.h" /* enum xb_guest_type */
#include "xballoon/units.h"
#include "xballoon/workload.h" /* enum xb_workload_kind */

/* "never": a workload without lifetime, a fault without `for`. */
#define XB_NS_FOREVER UINT64_MAX

#define XB_FRAME_SHIFT 12
#define XB_FRAME_BYTES (1ull << XB_FRAME_SHIFT)
/* Largest guest maxmem, host memory or neighbour memory: what one buddy
 * with 32-bit frame indices can hold (16 TiB - 8 KiB). */
#define XB_SCENARIO_MAX_BYTES (XB_MAX_FRAMES << XB_FRAME_SHIFT)

/* Limits that bound the parser's memory on hostile input. */
#define XB_SCENARIO_MAX_DEPTH  6     /* nested mappings/sequences      */
#define XB_SCENARIO_MAX_ITEMS  16384 /* entries of one mapping/sequence */
#define XB_SCENARIO_MAX_NODES  (1u << 20)
#define XB_SCENARIO_MAX_SCALAR 65536 /* bytes of one scalar             */
#define XB_SCENARIO_MAX_NAME   64
/* duration / sample may not exceed this many rows of series.csv. */
#define XB_SCENARIO_MAX_SAMPLES 10000000ull

/* Where a node starts in the file, 1-based (libyaml's mark + 1). */
struct xb_scn_pos {
	uint32_t line;
	uint32_t col;
};

enum xb_event_type {
	XB_EV_WORKLOAD,	   /* start workload `workload`                  */
	XB_EV_TARGET,	   /* set the balloon target                     */
	XB_EV_COMPACT,	   /* compact the guest zone                     */
	XB_EV_STOP,	   /* workload `workload` frees all it holds      */
	XB_EV_FOREIGN_MAP, /* take pages for foreign mappings            */
	XB_EV_FAULT,	   /* inject hypercall failures                  */
	XB_EV_NR_TYPES
};

enum xb_fault_op {
	XB_FAULT_POPULATE,
	XB_FAULT_DECREASE,
	XB_FAULT_EXCHANGE,
	XB_FAULT_RELOCATE, /* a dom0 tool's move; no guest policy issues it */
	XB_FAULT_ADD_TO_PHYSMAP,
	XB_FAULT_NR_OPS
};

/* compact: full is order -1; order:N compacts until an order-N block is
 * free (Linux's compact_zone with cc->order = N). */
#define XB_COMPACT_FULL (-1)

/*
 * A neighbour domain: boots with `memory` and, when has_churn, every
 * churn_every frees and re-allocates churn_pages pages split by order.
 *   frames * 4096 == memory
 *   has_churn => sum(order_share_ppm[0..10]) == XB_PPM, churn_every > 0
 */
struct xb_neighbour {
	char *name;
	uint64_t memory;
	uint64_t frames;
	bool has_churn;
	xb_ns_t churn_every;
	uint64_t churn_pages;
	uint32_t order_share_ppm[XB_MAX_ORDER];
	struct xb_scn_pos pos;
	struct xb_scn_pos churn_pos; /* churn.every's value */
	/* pnode: the host node it runs on (its node affinity: allocations
	 * start there and fall back to the others); -1: not placed. */
	int pnode;
};

/*
 * NUMA (optional; docs/scenarios.md). host.nodes: the physical nodes, node
 * 0 the lowest machine frames. guest.vnuma: the virtual nodes in gfn
 * order, vnode v from the end of vnode v - 1.
 *   host:  nr_nodes = 0 or sum of nodes[].frames = host.frames
 *   guest: nr_vnodes = 0 or sum of vnodes[].frames = max_frames, each a
 *          multiple of 4 MiB (1024 frames: no buddy block crosses a
 *          vnode), pnode < max(host.nr_nodes, 1)
 */
struct xb_scn_node {
	uint64_t memory;
	uint64_t frames;
	unsigned pnode; /* vnodes only */
	struct xb_scn_pos pos;
};

/*
 * The guest.
 *   frames <= max_frames <= XB_MAX_FRAMES, frames * 4096 == memory,
 *   max_frames * 4096 == maxmem, boot_order in {0, 9},
 *   boot_order <= memop_max_order,
 *   XB_HPAGE_ORDER <= pageblock_order <= XB_PAGEBLOCK_ORDER_MAX, and
 *   thp == never unless pageblock_order == XB_HPAGE_ORDER
 */
struct xb_guest {
	enum xb_guest_type type;
	uint64_t memory;
	uint64_t frames;
	uint64_t maxmem;
	uint64_t max_frames;
	unsigned boot_order;	  /* boot_extent: 9 (2MiB) or 0 (4KiB) */
	unsigned memop_max_order; /* Xen's domU memop-max-order        */
	/* The guest kernel's memory management (Debian 12 defaults). */
	enum xb_thp_mode thp;
	enum xb_thp_defrag thp_defrag;
	/* pageblock_order: HPAGE_PMD_ORDER for a kernel with huge pages
	 * (x86-64, the default); MAX_ORDER - 1 for one without (user-mode
	 * Linux, whose runs tests/linux compares with). */
	unsigned pageblock_order;
	uint64_t min_free_kbytes; /* 0: computed as Linux does          */
	unsigned watermark_scale_factor;
	unsigned watermark_boost_factor;
	uint64_t kernel_reserved; /* frames the kernel holds from boot   */
	struct xb_scn_pos pos;	  /* the guest: mapping                */
	struct xb_scn_pos maxmem_pos;
	unsigned nr_vnodes; /* guest.vnuma; 0: none */
	struct xb_scn_node vnodes[XB_MAX_NODES];
};

/*
 * A workload, started by the event start_event; stop_event is the index of
 * its `stop` event or -1.
 *   frames * 4096 == size, 0 < frames <= guest.max_frames
 *   kind == FRAGMENTER => size % 2MiB == 0, ramp == churn == 0,
 *                         lifetime == FOREVER
 *   kind != FRAGMENTER => free_ppm == 0
 *   node == -1, or 0 <= node < guest.nr_vnodes
 */
struct xb_scn_workload {
	char *name;
	enum xb_workload_kind kind;
	uint64_t size;
	uint64_t frames;
	xb_ns_t ramp;	      /* grows linearly from 0 to size over ramp   */
	uint32_t churn_ppm_s; /* share of its pages freed and re-taken/s */
	xb_ns_t lifetime;     /* stops by itself this long after its start */
	uint32_t free_ppm;    /* fragmenter: share of each 2 MiB freed     */
	int node;	      /* vnode it is bound to (MPOL_BIND), or -1   */
	size_t start_event;
	long stop_event;
	struct xb_scn_pos pos;
	struct xb_scn_pos churn_pos; /* churn's value (pos when absent) */
};

/* fault: from the event's time for `duration`, each call of `op` fails with
 * probability rate_ppm, or (call > 0) only the call-th call fails. A failed
 * call completes at_extent extents first (Xen stops at the first failure). */
struct xb_fault {
	enum xb_fault_op op;
	uint32_t rate_ppm;
	uint64_t call;
	uint64_t at_extent;
	xb_ns_t duration;
};

/* One timeline event. Events are in file order and at is non-decreasing. */
struct xb_event {
	xb_ns_t at;
	enum xb_event_type type;
	struct xb_scn_pos pos; /* the event's mapping   */
	union {
		size_t workload; /* WORKLOAD, STOP: index in workloads[] */
		struct {
			uint64_t bytes;
			uint64_t frames;
		} size;		   /* TARGET, FOREIGN_MAP */
		int compact_order; /* COMPACT: XB_COMPACT_FULL or 0..10 */
		struct xb_fault fault;
	};
};

/* A driver knob as written: the policy decides what it means. */
struct xb_knob {
	char *key;
	char *value;
	struct xb_scn_pos pos; /* of the value */
};

struct xb_scenario {
	char *path; /* as given to xb_scenario_load(), for error messages */
	char *name;
	char *description; /* NULL when absent */
	uint64_t seed;
	xb_ns_t duration;
	bool duration_given;
	xb_ns_t sample;
	struct xb_scn_pos sample_pos;	/* sample's value, else the root   */
	struct xb_scn_pos duration_pos; /* duration's value, else the root */

	struct {
		uint64_t memory;
		uint64_t frames;
		struct xb_neighbour *neighbours;
		size_t nr_neighbours;
		struct xb_scn_pos memory_pos;
		unsigned nr_nodes;
		struct xb_scn_node nodes[XB_MAX_NODES];
	} host;

	struct xb_guest guest;

	struct {
		char *policy; /* "linux" when absent */
		struct xb_scn_pos policy_pos;
		struct xb_knob *knobs;
		size_t nr_knobs;
	} driver;

	struct xb_scn_workload *workloads;
	size_t nr_workloads;
	struct xb_event *events;
	size_t nr_events;
};

/**
 * xb_scenario_load() - parse and validate a scenario file.
 * @path: the file, as the user named it (it prefixes error messages)
 * @error: on failure, exactly one XB_ERROR error whose message is
 *	"FILE:LINE:COL: error: MESSAGE" (XB_ERROR_IO when the file cannot be
 *	read, XB_ERROR_INVALID for bad content)
 *
 * Checks everything that does not depend on the policy registry; call
 * xb_scenario_check_policy() next. Return: the scenario, or NULL.
 */
struct xb_scenario *xb_scenario_load(const char *path, GError **error);

/*
 * The work a scenario asks for, estimated before running it, and the
 * limit above which `run` refuses it without --allow-long. The costs are
 * measured per unit on the machine of record (docs/scenarios.md):
 * XB_WORK_NS_CHECK per frame a whole-structure check reads at each sample
 * (guest and host frames), XB_WORK_NS_PAGE per page a churn frees and
 * takes again, XB_WORK_NS_EVENT per event.
 */
#define XB_WORK_NS_CHECK 5ull
#define XB_WORK_NS_PAGE	 200ull
#define XB_WORK_NS_EVENT 1000ull
#define XB_WORK_LIMIT_S	 1800ull /* half an hour of CPU */
/* The shortest sample period and churn period a file may ask for. */
#define XB_MIN_SAMPLE	   XB_NS_PER_MS
#define XB_MIN_CHURN_EVERY 1000ull /* 1 us */

struct xb_work_estimate {
	uint64_t events;       /* timeline events, samples, churn ticks      */
	uint64_t page_ops;     /* pages churns free and take again           */
	uint64_t check_frames; /* frames the samples' checks read            */
	double cpu_s;	       /* the weighted sum, in CPU seconds           */
	const char *blame;     /* the key behind the largest share           */
	struct xb_scn_pos pos; /* its value's position                       */
};

/* Estimate the work of a loaded scenario (saturating arithmetic). */
void xb_scenario_estimate(const struct xb_scenario *s,
			  struct xb_work_estimate *w);

/*
 * The sampled check level's period: a whole check every N-th sample,
 * N chosen so that the whole checks (XB_WORK_NS_CHECK per guest and host
 * frame) cost XB_CHECK_WALK_SHARE of the simulation proper, taken at
 * XB_WORK_NS_SIM ns per guest frame per simulated second: the cheapest
 * shipped policy's pace (fragmented-shrink at --check end: huge-first
 * 0.33 CPU s, vmw 0.42, linux 0.50 for 2^20 frames over 120 s). At least
 * 1. The share is a tenth less what the O(1) checks made at every
 * operation and every sample already cost at every level (2.5 % of a
 * linux replay of fragmented-shrink in instructions, bench/README.md), so
 * that all checks together stay within a tenth of a run.
 */
#define XB_WORK_NS_SIM	    3ull
#define XB_CHECK_WALK_SHARE 0.07
uint64_t xb_scenario_check_every(const struct xb_scenario *s);

/* Refuse (false, one FILE:LINE:COL error at the key behind the largest
 * share) a scenario whose estimate is over XB_WORK_LIMIT_S. */
bool xb_scenario_check_work(const struct xb_scenario *s, GError **error);
void xb_scenario_free(struct xb_scenario *s);

/* The caller's knowledge of policies. check_knob returns false and sets
 * *why to a g_malloc'ed reason when value is not valid for key. */
struct xb_policy_check {
	bool (*policy_exists)(const char *name);
	bool (*check_knob)(const char *policy, const char *key,
			   const char *value, char **why);
};

/**
 * xb_scenario_check_policy() - validate driver.policy and its knobs.
 * @policy: the policy to check the knobs against (`--policy`), or NULL for
 *	the scenario's own.
 *
 * Errors name the policy's or the knob's position in the file; an unknown
 * @policy override is about the command line, not the file: it reads
 * "--policy: unknown policy 'NAME'".
 * Return: true when the policy exists and accepts every knob.
 */
bool xb_scenario_check_policy(const struct xb_scenario *s,
			      const struct xb_policy_check *pc,
			      const char *policy, GError **error);

/* The table backed by the policy registry: scenario/policy_check.c. */
extern const struct xb_policy_check xb_scenario_default_policy_check;

/**
 * xb_scenario_metadata_bytes() - bytes of model metadata the run needs:
 * 16 per guest frame (maxmem), 16 per host frame, and 4 per gfn of every
 * domain's P2M (guest maxmem and each neighbour's memory).
 */
uint64_t xb_scenario_metadata_bytes(const struct xb_scenario *s);

/* Set "PATH:LINE:COL: error: ..." for a problem found after loading. */
void xb_scenario_set_error(const struct xb_scenario *s, struct xb_scn_pos pos,
			   GError **error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* @msg with its control characters escaped ("\n", "\t", "\x1B"), so that
 * an error quoting the user's text stays one line; g_malloc'ed. */
char *xb_one_line(const char *msg);

const char *xb_event_type_name(enum xb_event_type t);
const char *xb_fault_op_name(enum xb_fault_op op);

#endif
