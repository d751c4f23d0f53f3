/*
 * The backend interface, for backend authors: one static ops table per
 * backend, shaped like the XENMEM / DMOP interface, so that the mock
 * hypervisor (backends/mock) and a real Xen domain (backends/xen) are
 * interchangeable under the driver.
 *
 * A backend instance is bound to one domain: the guest under test. Frame
 * numbers passed in and out are what real Xen takes for that guest type:
 *   hvm, pvh  gfns; Xen keeps the P2M.
 *   pv        populate takes pfns and writes the machine frame numbers back
 *             into the extent array; decrease, exchange inputs and the data
 *             plane take machine frame numbers. The driver keeps the
 *             pfn -> mfn table, as Linux's PV p2m does.
 *
 * Moving a frame between gfns (hvm, pvh): XENMEM_add_to_physmap and
 * XENMEM_add_to_physmap_batch, which a guest issues on itself, and
 * XEN_DMOP_relocate_memory, the same move as a device-model operation that
 * Xen refuses to a domain acting on itself (dm.c: dm_op()), kept for dom0
 * tools. No policy that models a guest issues relocate.
 *
 * Errors: hooks return 0 (or a count) on success and a negative errno on
 * failure. An optional hook left NULL is answered -EOPNOTSUPP by the core
 * wrappers (include/xballoon/backend.h); policies must cope with that.
 */
#ifndef XBALLOON_SYS_BACKEND_H
#define XBALLOON_SYS_BACKEND_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XB_BACKEND_VERSION 1

#define XB_PAGE_SIZE  4096u
#define XB_PAGE_SHIFT 12u

typedef uint64_t xb_xen_pfn_t; /* xen_pfn_t: a gfn, a pfn or an mfn */

enum xb_guest_type { XB_GUEST_PV, XB_GUEST_HVM, XB_GUEST_PVH };

/*
 * XENMEMF_* memory flags of a reservation or an exchange's output, in Xen's
 * encoding (public/memory.h): the low 8 bits are address bits, bits 8..15
 * a node + 1 (0: no node), then the request flags. What Xen makes of them
 * (memory.c: construct_memop_from_reservation(), propagate_node()):
 *   XB_MEMF_VNODE: the node is the domain's virtual node, translated
 *     through its vnode_to_pnode (XEN_DOMCTL_setvnumainfo); a vnode
 *     >= nr_vnodes refuses the call; without vNUMA the node is ignored.
 *   otherwise a physical node, honoured only for a privileged caller
 *     (dom0, the toolstack); a guest's own physical node is ignored, and
 *     with XB_MEMF_EXACT_NODE_REQUEST its call is refused.
 *   XB_MEMF_EXACT_NODE_REQUEST: allocate on that node or fail the extent
 *     (MEMF_exact_node), instead of falling back to the other nodes.
 */
#define XB_MEMF_NODE(n)		   ((((unsigned)(n)) + 1u) << 8)
#define XB_MEMF_GET_NODE(f)	   (((((unsigned)(f)) >> 8) - 1u) & 0xffu)
#define XB_MEMF_NO_NODE		   0xffu /* XB_MEMF_GET_NODE(0)           */
#define XB_MEMF_EXACT_NODE_REQUEST (1u << 17)
#define XB_MEMF_VNODE		   (1u << 18)
#define XB_MEMF_EXACT_VNODE(v)                                                 \
	(XB_MEMF_NODE(v) | XB_MEMF_VNODE | XB_MEMF_EXACT_NODE_REQUEST)
/* The bits the core wrappers pass on (node, exact, vnode); the others
 * (address bits, populate-on-demand) are refused with -EINVAL. */
#define XB_MEMF_NODE_MASK (0xff00u | XB_MEMF_EXACT_NODE_REQUEST | XB_MEMF_VNODE)

/* NUMA nodes the model knows of, host and guest alike (Xen's MAX_NUMNODES
 * is 64 on x86; a scenario names at most this many). */
#define XB_MAX_NODES	  8
#define XB_GUEST_NR_TYPES 3

/* "pv", "hvm", "pvh" (the scenario and trace spelling); "?" otherwise. */
static inline const char *xb_guest_type_name(enum xb_guest_type t)
{
	static const char *const names[XB_GUEST_NR_TYPES] = {
	    [XB_GUEST_PV] = "pv",
	    [XB_GUEST_HVM] = "hvm",
	    [XB_GUEST_PVH] = "pvh"};

	return (unsigned)t < XB_GUEST_NR_TYPES ? names[t] : "?";
}

/* Hypercall statistics, declared once: (field, report name). The
 * backends count the memory operations they carry out; update_va_mapping,
 * a PV guest's update of its own kernel mapping, has no backend op (neither
 * the mock nor dom0 sees a guest's page tables) and is counted by the
 * driver where the guest would issue it (docs/driver.md). */
#define XB_HYPERCALLS(X)                                                       \
	X(populate, "populate_physmap")                                        \
	X(decrease, "decrease_reservation")                                    \
	X(exchange, "exchange")                                                \
	X(add_to_physmap, "add_to_physmap")                                    \
	X(relocate, "relocate")                                                \
	X(update_va_mapping, "update_va_mapping")

struct xb_hypercall_stat {
	uint64_t calls;	  /* calls issued                                  */
	uint64_t extents; /* extents (exchange: input extents;
			   * add_to_physmap, relocate: frames moved;
			   * update_va_mapping: mappings updated) done   */
	uint64_t pages;	  /* 4 KiB frames those extents covered            */
	uint64_t failed;  /* calls that did not complete every extent      */
};

struct xb_backend_stats {
#define XB_HC_FIELD(f, name) struct xb_hypercall_stat f;
	XB_HYPERCALLS(XB_HC_FIELD)
#undef XB_HC_FIELD
};

/* What the backend knows of the guest domain. */
struct xb_guest_info {
	enum xb_guest_type type;
	unsigned memop_max_order; /* largest extent order XENMEM accepts    */
	uint16_t domid;
};

/* Host-side view (mock backend; the xen backend reports what it can). */
struct xb_host_info {
	uint64_t total_pages;
	uint64_t free_pages;
	uint64_t free_2m_blocks; /* free blocks of order >= 9,
				  * counted in 2 MiB units          */
	uint64_t buddyinfo[11];	 /* free blocks per order 0..10; a
				  * bigger one counts as its order-10
				  * pieces (Xen's heap goes to 20) */
	/*
	 * Shares of the guest's populated memory (DESIGN.md §6), -1 when
	 * the backend cannot know: mapped by 2 MiB P2M entries (Xen makes
	 * one only for an aligned order-9 populate and never merges 4 KiB
	 * entries back), and on aligned, machine-contiguous 2 MiB runs.
	 */
	double p2m_superpage_coverage;
	double contiguity_2m;
	/*
	 * Per NUMA node (nr_nodes 0: the backend does not know). The mock
	 * fills all three; the xen backend free_pages (xc_numainfo()'s
	 * memfree) and guest_pages -1 (dom0 cannot tell a frame's node).
	 */
	unsigned nr_nodes;
	struct {
		uint64_t total_pages;
		uint64_t free_pages;
		uint64_t free_2m_blocks;
		int64_t guest_pages; /* the guest's frames there, -1: unknown */
	} nodes[XB_MAX_NODES];
};

/*
 * A domain's virtual NUMA topology, as XEN_DOMCTL_setvnumainfo takes it
 * (xc_domain_setvnuma()): vnode v covers the next vnode_pages[v] gfns
 * from gfn 0 (one vmemrange each, in gfn order) and lives on physical
 * node vnode_to_pnode[v]. Every vcpu is on vnode 0 and the distances are
 * 10 local, 20 remote (Xen keeps them for the guest to read; they change
 * nothing in allocation).
 */
struct xb_vnuma {
	unsigned nr_vnodes; /* 1..XB_MAX_NODES */
	unsigned vnode_to_pnode[XB_MAX_NODES];
	uint64_t vnode_pages[XB_MAX_NODES];
};

/* XENMEM_exchange arguments (struct xen_memory_exchange). */
struct xb_exchange {
	xb_xen_pfn_t *in; /* extents given up (pv: mfns; else gfns)   */
	uint64_t nr_in;
	unsigned in_order;
	xb_xen_pfn_t *out; /* where the new extents go (pfns/gfns);
			    * pv: machine frames written back         */
	uint64_t nr_out;
	unsigned out_order;
	/* XENMEMF_address_bits() of `out`: every output frame below
	 * 2^out_address_bits bytes (Linux's xen_create_contiguous_region()
	 * asks for DMA-able memory so); 0: anywhere; above 255 (the
	 * field's 8 bits) xb_exchange() refuses with -EINVAL. */
	unsigned out_address_bits;
	/* The node bits of `out`'s XENMEMF flags (XB_MEMF_NODE_MASK), 0 for
	 * none. memory_exchange() reads them with propagate_node() only:
	 * a physical node, XB_MEMF_VNODE not translated; a non-privileged
	 * caller asking for an exact node gets -EINVAL. */
	unsigned out_mem_flags;
};

/*
 * The address spaces of XENMEM_add_to_physmap a guest moves its own memory
 * with, by Xen's numbers (public/memory.h XENMAPSPACE_*). The others
 * (shared_info, grant_table, gmfn_foreign, dev_mmio) map things that are
 * not guest RAM: the mock does not model them and answers -EOPNOTSUPP;
 * the xen backend passes them to Xen as they are.
 */
enum xb_mapspace {
	XB_MAPSPACE_GMFN = 2,	    /* one frame: idx is a gfn               */
	XB_MAPSPACE_GMFN_RANGE = 3, /* size frames from gfn idx; not batched */
};

/* Both calls carry their count in a 16-bit field (struct
 * xen_add_to_physmap.size, xen_add_to_physmap_batch.size): a longer call
 * cannot be expressed, and the core wrappers refuse it (-EINVAL) without
 * issuing it. */
#define XB_ADD_TO_PHYSMAP_MAX 65535u

/* What `open` is given. Fields a backend does not use are ignored. */
struct xb_backend_config {
	enum xb_guest_type type;
	uint64_t max_pages;	  /* domain max_pages (XENMEM limit)        */
	uint64_t gfn_space;	  /* guest physical frames (maxmem)          */
	unsigned memop_max_order; /* 0: the default, 9 for a domU            */
	uint64_t host_pages;	  /* mock: machine memory                    */
	uint64_t seed;		  /* mock: fault-injection generator seed    */
	int domid;		  /* xen: existing domain, -1: scratch       */
	bool domid_confirmed;	  /* xen: the user owns domid
				   * (--i-own-this-domain)                   */
	bool allow_running;	  /* xen: act on a domain that is running    */
	/* mock: the host's NUMA nodes, node 0 from mfn 0 up, each the next
	 * node_pages[n] machine frames (SRAT ranges); 0: one node of
	 * host_pages. The node_pages add up to host_pages. */
	unsigned nr_nodes;
	uint64_t node_pages[XB_MAX_NODES];
};

struct xb_backend;

struct xb_backend_ops {
	unsigned version; /* MANDATORY: XB_BACKEND_VERSION            */
	const char *name; /* MANDATORY: registry name ("mock")        */
	const char
	    *description; /* MANDATORY: one line for `xballoon backends` */

	/* MANDATORY. Create the instance: set be->priv. On failure return a
	 * negative errno and fill *error. */
	int (*open)(struct xb_backend *be, const struct xb_backend_config *cfg,
		    GError **error);
	/* MANDATORY. Release everything; NULL priv must be fine. */
	void (*close)(struct xb_backend *be);

	/* MANDATORY. XENMEM_populate_physmap: populate nr extents of 2^order
	 * frames at extents[i], with the node bits of the XENMEMF flags in
	 * mem_flags (XB_MEMF_*; 0 for none; the core passes no others).
	 * Returns the number of extents done: the first
	 * extent that fails (no host memory, tot_pages + 2^order > max_pages,
	 * an injected fault) ends the call, and the extents before it stay
	 * done. An order above the memop max order returns 0, as Xen does
	 * (populate_physmap()'s loop never runs; it is not an error code).
	 * A negative errno only when the call could not be issued at all
	 * (the xen backend's ioctl failed). Flags Xen refuses (a vnode
	 * >= nr_vnodes; an exact physical node from a non-privileged
	 * caller) make the call do nothing: 0 extents, as do_memory_op()
	 * returns start_extent when construct_memop_from_reservation()
	 * fails. */
	long (*populate_physmap)(struct xb_backend *be, xb_xen_pfn_t *extents,
				 uint64_t nr, unsigned order,
				 unsigned mem_flags);
	/* MANDATORY. XENMEM_decrease_reservation: same contract. A frame
	 * the domain does not have (hvm/pvh: an unpopulated gfn; pv: an mfn
	 * it does not own) fails its extent. Not atomic within an extent: a
	 * failed extent may have lost its first frames. */
	long (*decrease_reservation)(struct xb_backend *be,
				     xb_xen_pfn_t *extents, uint64_t nr,
				     unsigned order);
	/* OPTIONAL. XENMEM_exchange: atomic per chunk (max(in, out) order),
	 * not per call; *nr_exchanged reports input extents done, also on
	 * failure. Outputs are not counted against max_pages. -EPERM for an
	 * order above the memop max, -EINVAL for sizes that do not match,
	 * -EOPNOTSUPP for hvm and pvh guests (Xen since XSA-217). */
	int (*exchange)(struct xb_backend *be, struct xb_exchange *x,
			uint64_t *nr_exchanged);
	/* OPTIONAL. XENMEM_add_to_physmap (memory.c:
	 * xenmem_add_to_physmap(), x86 p2m.c: xenmem_add_to_physmap_one()).
	 * XB_MAPSPACE_GMFN: the frame behind gfn idx moves, with its
	 * contents, to gfn gpfn (size is ignored, as Xen ignores it);
	 * XB_MAPSPACE_GMFN_RANGE: the frames behind idx..idx+size-1 move to
	 * gpfn..gpfn+size-1 one by one in ascending order (size 0: nothing).
	 * Per frame: an unpopulated idx fails (-EINVAL); a populated gpfn
	 * loses its old frame, freed (guest_remove_page(): tot_pages - 1),
	 * unless it is the frame being moved (idx == gpfn: nothing moves,
	 * but the entry is rewritten); idx becomes unpopulated; no
	 * allocation, so tot_pages is otherwise unchanged. Both ends get
	 * 4 KiB P2M entries (a 2 MiB entry over either is split). A range
	 * stops at the first frame that fails, the frames before it staying
	 * moved; *nr_done reports frames moved, also on failure (Xen 4.17
	 * writes no progress back on failure -- a continuation carries it
	 * inside the hypercall -- so the xen backend reads it back from the
	 * P2M). Whole-call errors, nothing moved: -EACCES for pv guests
	 * (xatp_permission_check(): not paging_mode_translate), -EINVAL for
	 * gpfn ~0 (INVALID_GFN), -EOVERFLOW for a range that wraps. */
	int (*add_to_physmap)(struct xb_backend *be, unsigned space,
			      xb_xen_pfn_t idx, xb_xen_pfn_t gpfn,
			      uint64_t size, uint64_t *nr_done);
	/* OPTIONAL. XENMEM_add_to_physmap_batch (memory.c:
	 * xenmem_add_to_physmap_batch()): nr independent single moves,
	 * idxs[i] -> gpfns[i] in order, each as XB_MAPSPACE_GMFN above, with
	 * its own result in errs[i] (0 or -errno); a failed entry does not
	 * stop the batch. Returns 0 when every entry was tried, whatever
	 * errs[] says. Whole-call errors: -EOPNOTSUPP for
	 * XB_MAPSPACE_GMFN_RANGE (refused by do_memory_op() before the
	 * domain is even looked up, so on pv too), then -EACCES for pv,
	 * with nothing tried; -EINVAL when gpfns[k] is ~0 (INVALID_GFN),
	 * after entries 0..k-1 were tried. *nr_done reports the entries
	 * tried, also on failure; only their errs[] are meaningful (the
	 * rest may be overwritten: libxenctrl copies its bounce buffer back
	 * whatever happened). */
	int (*add_to_physmap_batch)(struct xb_backend *be, unsigned space,
				    const xb_xen_pfn_t *idxs,
				    const xb_xen_pfn_t *gpfns, uint64_t nr,
				    int *errs, uint64_t *nr_done);
	/* OPTIONAL. XEN_DMOP_relocate_memory: move the frames behind
	 * src..src+nr-1 to dst..dst+nr-1 with their contents, in ascending
	 * order; *nr_done reports frames moved, also on failure. An
	 * unpopulated src fails (-EINVAL); a populated dst loses its old
	 * frame (tot_pages - 1); otherwise tot_pages is unchanged. -EINVAL
	 * for pv guests (dm_op on PV). A device-model operation: dom0 tools
	 * only, never a guest on itself (see add_to_physmap). */
	int (*relocate)(struct xb_backend *be, xb_xen_pfn_t src,
			xb_xen_pfn_t dst, uint64_t nr, uint64_t *nr_done);
	/* MANDATORY. XENMEM_current_reservation / maximum_reservation. */
	int (*reservation)(struct xb_backend *be, uint64_t *tot_pages,
			   uint64_t *max_pages);
	/* OPTIONAL. XENMEM_claim_pages (0 cancels the claim). */
	int (*claim)(struct xb_backend *be, uint64_t nr_pages);
	/* MANDATORY. Guest type, memop max order, domid. */
	int (*guest_info)(struct xb_backend *be, struct xb_guest_info *info);
	/* OPTIONAL. Data plane: read/write one frame (XB_PAGE_SIZE bytes). */
	int (*read_frame)(struct xb_backend *be, xb_xen_pfn_t frame, void *buf);
	int (*write_frame)(struct xb_backend *be, xb_xen_pfn_t frame,
			   const void *buf);
	/* OPTIONAL. Is the guest frame populated? (P2M query; pv: by pfn is
	 * not known to Xen, so pv backends answer by mfn ownership.) */
	int (*query)(struct xb_backend *be, xb_xen_pfn_t frame,
		     bool *populated);
	/* OPTIONAL. The same question for n frames at once (one batched P2M
	 * query on real Xen); without it the core asks `query` per frame. */
	int (*query_frames)(struct xb_backend *be, const xb_xen_pfn_t *frames,
			    uint64_t n, bool *populated);
	/* OPTIONAL. Host-side metrics. */
	int (*host_info)(struct xb_backend *be, struct xb_host_info *info);
	/* OPTIONAL. XEN_DOMCTL_setvnumainfo (domctl.c, vnuma_init()): give
	 * the guest domain this vNUMA topology, replacing any earlier one.
	 * -EINVAL for 0 or more than XB_MAX_NODES vnodes (the core refuses
	 * them), -E2BIG for a pnode of MAX_NUMNODES (64) or more; a node id
	 * below that without memory is accepted, and so are vmemranges past
	 * the gfn space (Xen checks only their flags). Xen 4.17 keeps the
	 * topology for XENMEMF_vnode translation and the guest's
	 * XENMEM_get_vnumainfo only: it does not change the domain's node
	 * affinity (libxl does that through vcpu soft affinity,
	 * set_vnuma_affinity()). */
	int (*set_vnuma)(struct xb_backend *be, const struct xb_vnuma *vnuma);
};

/* The operations a trace record describes. */
enum xb_trace_op {
	XB_TRACE_POPULATE,
	XB_TRACE_DECREASE,
	XB_TRACE_EXCHANGE,
	XB_TRACE_RELOCATE,
	XB_TRACE_ADD_TO_PHYSMAP,
	XB_TRACE_ADD_TO_PHYSMAP_BATCH,
};

/*
 * One backend call as the core wrappers saw it, after it returned: the
 * extent arrays as they are then (pv populate has written machine frames
 * back), the result and the progress. A replay needs what went in, too:
 * in and out_in are copies of extents and out taken before the call
 * (same lengths), made only when be->trace_inputs asks for them.
 */
struct xb_trace_rec {
	enum xb_trace_op op;
	const xb_xen_pfn_t *extents; /* populate/decrease extents, exchange
				      * in, add_to_physmap_batch idxs     */
	uint64_t nr;
	unsigned order;
	const xb_xen_pfn_t *out; /* exchange out, add_to_physmap_batch
				  * gpfns (nr_out = nr), else NULL      */
	uint64_t nr_out;
	unsigned out_order;
	unsigned out_address_bits;  /* exchange: of out, 0 for none     */
	unsigned mem_flags;	    /* populate: XENMEMF node bits;
				     * exchange: of out; 0 for none     */
	xb_xen_pfn_t src, dst;	    /* relocate; add_to_physmap idx, gpfn (nr:
				     * its size, 1 for XB_MAPSPACE_GMFN)    */
	unsigned space;		    /* add_to_physmap(_batch): enum
				     * xb_mapspace                          */
	const int *errs;	    /* add_to_physmap_batch: per-entry
				     * results, the first `progress` valid  */
	long result;		    /* extents done, or 0 / -errno          */
	uint64_t progress;	    /* exchange nr_exchanged, relocate and
				     * add_to_physmap frames moved, batch
				     * entries tried                        */
	const xb_xen_pfn_t *in;	    /* extents before the call, or NULL */
	const xb_xen_pfn_t *out_in; /* exchange out before the call     */
};

/* An open backend: the ops, the backend's private state, the statistics
 * the core wrappers keep for every call, and optional hooks called before
 * and after every populate, decrease, exchange, add_to_physmap(_batch) and
 * relocate. The after
 * hook gets the inputs (rec->in, rec->out_in) only when it asks with
 * trace_inputs: a hook that needs only the outcome (the run digest) costs
 * no copy.
 *   trace_in_cap = 0  <=>  trace_in = NULL  (grown only while inputs are
 *                          traced, reused across calls, freed by
 *                          xb_backend_close())
 */
struct xb_backend {
	const struct xb_backend_ops *ops;
	void *priv;
	struct xb_backend_stats stats;
	void (*trace)(void *priv, const struct xb_trace_rec *rec);
	void *trace_priv;
	bool trace_inputs;	/* copy the inputs for the hook           */
	xb_xen_pfn_t *trace_in; /* the inputs of the call being traced    */
	uint64_t trace_in_cap;	/* its capacity in entries                */
	/* Optional: called before each of those calls with the arguments
	 * (result and progress not yet known). */
	void (*before)(void *priv, const struct xb_trace_rec *rec);
	void *before_priv;
};

#endif
