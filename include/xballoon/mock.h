/*
 * The mock Xen hypervisor's own API, for the scenario runner and the tests:
 * neighbour domains and their churn, fault injection, host-side metrics and
 * the whole-structure checker. The driver never calls these; it sees the
 * mock only through the backend ops (include/xballoon/backend.h).
 */
#ifndef XBALLOON_MOCK_H
#define XBALLOON_MOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/backend.h"
#include "xballoon/buddy.h"

/* Domain ids: 0 is dom0 (not modeled), the guest under test is 1,
 * neighbours get 2, 3, ... in the order they are added. */
#define XB_MOCK_GUEST_DOMID 1u

/* "Never" for the fault-injection extent index. */
#define XB_MOCK_NEVER UINT64_MAX

/* The hypercalls fault injection can target. */
enum xb_mock_op {
	XB_MOCK_OP_POPULATE,
	XB_MOCK_OP_DECREASE,
	XB_MOCK_OP_EXCHANGE,
	XB_MOCK_OP_RELOCATE,
	XB_MOCK_OP_ADD_TO_PHYSMAP, /* XENMEM_add_to_physmap and its batch */
	XB_MOCK_OP_NR
};

/* Injected failures, declared once: (field, report name). */
#define XB_MOCK_FAULTS(X)                                                      \
	X(populate, "populate_physmap")                                        \
	X(decrease, "decrease_reservation")                                    \
	X(exchange, "exchange")                                                \
	X(relocate, "relocate")                                                \
	X(add_to_physmap, "add_to_physmap")                                    \
	X(host_alloc, "host allocation")

struct xb_mock_stats {
#define XB_MOCK_FAULT_FIELD(f, name) uint64_t fault_##f;
	XB_MOCK_FAULTS(XB_MOCK_FAULT_FIELD)
#undef XB_MOCK_FAULT_FIELD
};

/* One domain as Xen's struct domain sees it. */
struct xb_mock_domain_info {
	enum xb_guest_type type;
	uint64_t tot_pages;	    /* frames owned (current_reservation)   */
	uint64_t max_pages;	    /* maximum_reservation                   */
	uint64_t outstanding_pages; /* the unused part of its claim          */
	uint64_t gfn_space;	    /* size of its P2M                       */
	uint64_t populated;	    /* gfns mapped in its P2M                */
	unsigned memop_max_order;
};

struct xb_mock;

/* The mock's ops table (registered as "mock" in backends/backend.c). */
extern const struct xb_backend_ops xb__mock_backend_ops;

/** xb_mock_from_backend() - the mock behind a backend, NULL if not the mock. */
struct xb_mock *xb_mock_from_backend(struct xb_backend *be);

/**
 * xb_mock_add_domain() - create a neighbour domain with an empty P2M of
 * @gfn_space frames. Returns its domid (>= 2) or a negative errno.
 */
int xb_mock_add_domain(struct xb_mock *m, enum xb_guest_type type,
		       uint64_t max_pages, uint64_t gfn_space);

/**
 * xb_mock_domain_populate() - the toolstack path (xc_domain_populate_physmap
 * from dom0): populate 2^@order frames at @gfn for any domain, at any order
 * below XB_MAX_ORDER (dom0's memop limit, not the domain's). Counted against
 * max_pages and subject to claims and host-order faults like any
 * allocation. 0, -EINVAL (gfn range), -E2BIG (max_pages) or -ENOMEM.
 */
int xb_mock_domain_populate(struct xb_mock *m, unsigned domid, uint64_t gfn,
			    unsigned order);
/**
 * xb_mock_domain_free() - decrease_reservation of 2^@order frames at @gfn
 * for any domain (by gfn, also for pv: the runner's churn works in gfns).
 * Returns the number of frames freed; stops at the first unpopulated gfn.
 */
long xb_mock_domain_free(struct xb_mock *m, unsigned domid, uint64_t gfn,
			 unsigned order);
/** xb_mock_domain_mfn() - the machine frame behind @gfn, XB_NIL if none. */
xb_pfn_t xb_mock_domain_mfn(const struct xb_mock *m, unsigned domid,
			    uint64_t gfn);
/** xb_mock_domain_claim() - XENMEM_claim_pages for any domain. */
int xb_mock_domain_claim(struct xb_mock *m, unsigned domid, uint64_t pages);
/** xb_mock_domain_info() - 0, or -ESRCH for an unknown domid. */
int xb_mock_domain_info(const struct xb_mock *m, unsigned domid,
			struct xb_mock_domain_info *info);
/** xb_mock_nr_domains() - domains alive, the guest included. */
unsigned xb_mock_nr_domains(const struct xb_mock *m);

/*
 * Fault injection. Every injected failure is counted in xb_mock_stats().
 * A failed extent (chunk for exchange, frame for relocate and
 * add_to_physmap, entry for add_to_physmap_batch) does nothing:
 * populate/decrease stop there and report the extents done before it,
 * exchange, relocate and add_to_physmap return -ENOMEM with their
 * progress, and a batch entry gets -ENOMEM in its errs[] while the batch
 * goes on (as Xen goes on past a failed entry). A failed call
 * (xb_mock_fail_call()) of an op that returns an errno fails with -ENOMEM
 * and nothing done.
 */
/** xb_mock_fail_call() - the @n-th next call of @op fails at its first
 * extent (n = 1: the next call); 0 disarms. One shot. */
void xb_mock_fail_call(struct xb_mock *m, enum xb_mock_op op, uint64_t n);
/** xb_mock_fail_probability() - every extent of @op fails with probability
 * @p, drawn from the mock's own generator (seeded from cfg->seed). */
void xb_mock_fail_probability(struct xb_mock *m, enum xb_mock_op op, double p);
/** xb_mock_fail_at() - in every call of @op, extent (chunk, frame) @k
 * (0-based) fails until disarmed with XB_MOCK_NEVER. */
void xb_mock_fail_at(struct xb_mock *m, enum xb_mock_op op, uint64_t k);
/** xb_mock_fail_host_order() - host allocations of order >= @order fail
 * (XB_BUDDY_ORDERS disarms); applies to every domain. */
void xb_mock_fail_host_order(struct xb_mock *m, unsigned order);
/** xb_mock_clear_faults() - disarm everything (the counters stay). */
void xb_mock_clear_faults(struct xb_mock *m);
const struct xb_mock_stats *xb_mock_stats(const struct xb_mock *m);

/*
 * Host metrics.
 */
/** xb_mock_host_info() - free pages, free 2 MiB blocks, buddyinfo, and the
 * guest's P2M superpage coverage and 2 MiB contiguity. */
void xb_mock_host_info(const struct xb_mock *m, struct xb_host_info *info);
/**
 * xb_mock_p2m_superpage_coverage() - share of @domid's populated frames
 * mapped by a 2 MiB P2M entry: regions populated by an aligned order-9 (or
 * larger) extent and not changed at 4 KiB granularity since (Xen's P2M
 * only splits, never merges). 0 for pv domains (Xen keeps no P2M for them
 * and lets them map no 2 MiB page) and when nothing is populated, -1 for an
 * unknown domid. O(1).
 */
double xb_mock_p2m_superpage_coverage(const struct xb_mock *m, unsigned domid);
/**
 * xb_mock_contiguity_2m() - share of @domid's populated frames whose 2 MiB
 * gfn region is backed by one aligned 2 MiB machine block: all 512 gfns
 * populated and gfn -> mfn contiguous from a 2 MiB-aligned mfn, however
 * the P2M maps them (pv: the pfn -> mfn shadow). What the host gets back
 * whole if the guest gives the region back. 0 when nothing is populated,
 * -1 for an unknown domid. O(populated regions).
 */
double xb_mock_contiguity_2m(const struct xb_mock *m, unsigned domid);
/** The host heap, read-only (tests compare it with expected shapes):
 * node 0's when the host has several NUMA nodes. */
const struct xb_buddy *xb_mock_host_heap(const struct xb_mock *m);

/*
 * NUMA (docs/mock.md): the host's nodes are consecutive mfn ranges, node 0
 * from mfn 0 (struct xb_backend_config's node_pages), each with its own
 * heap.
 */
/** xb_mock_node_heap() - node @node's heap, NULL beyond the host's nodes. */
const struct xb_buddy *xb_mock_node_heap(const struct xb_mock *m,
					 unsigned node);
unsigned xb_mock_nr_nodes(const struct xb_mock *m);
/** xb_mock_node_of() - the node whose range holds @mfn, -1 past the host. */
int xb_mock_node_of(const struct xb_mock *m, uint64_t mfn);
/**
 * xb_mock_set_node_affinity() - XEN_DOMCTL_setnodeaffinity
 * (domain_set_node_affinity()): the nodes @domid's allocations without a
 * node prefer, a bit per node. All nodes at creation (Xen derives it from
 * vcpus that may run anywhere); libxl narrows it to a vNUMA guest's
 * pnodes or a placed domain's node through vcpu soft affinity. 0,
 * -ESRCH, or -EINVAL for a mask without a host node.
 */
int xb_mock_set_node_affinity(struct xb_mock *m, unsigned domid, uint64_t mask);
/**
 * xb_mock_set_privileged() - who issues the backend ops: the guest on
 * itself (false, the default) or dom0 / the toolstack (true), as the xen
 * backend does. Only propagate_node() cares: a privileged caller's
 * physical node in XENMEMF flags is honoured, a guest's is ignored and
 * its exact request refused.
 */
void xb_mock_set_privileged(struct xb_mock *m, bool privileged);
/**
 * xb_mock_gfn_nodes() - count @domid's populated gfns in [@gfn, @gfn + @n)
 * by the node of the machine frame behind them into @pages (zeroed
 * first). 0 or -ESRCH. O(n / 512) for superpage and empty regions.
 */
int xb_mock_gfn_nodes(const struct xb_mock *m, unsigned domid, uint64_t gfn,
		      uint64_t n, uint64_t pages[XB_MAX_NODES]);
/** Frames with data-plane content (written and not freed since). */
uint64_t xb_mock_nr_written_frames(const struct xb_mock *m);

/**
 * xb__mock_is_valid() - the whole-structure checker: the host heap is a
 * valid buddy; every populated gfn maps to a distinct machine frame owned
 * by its domain whose M2P points back; free + owned frames = machine
 * memory; tot_pages = owned frames <= max_pages; claims add up; the region
 * counters match the P2M; each node's heap manages exactly its range and
 * the per-node free and owned counts add up. O(host frames + gfn
 * spaces). Logs (g_warning)
 * the first violation.
 */
bool xb__mock_is_valid(const struct xb_mock *m);
/**
 * xb__mock_summaries_ok() - the counters against each other without a walk
 * of the frames (O(nodes x lists x orders + domains)), checked at every
 * sample: each node heap's summaries, free_pages = the heaps' free frames,
 * each domain's tot_pages = its frames over the nodes <= max_pages, free +
 * owned = machine memory, claims add up. Logs the first violation.
 */
bool xb__mock_summaries_ok(const struct xb_mock *m);

#endif
