/*
 * The backend core: the registry of backends by name, open/close, and the
 * wrappers the driver calls, which count every call into be->stats and
 * answer -EOPNOTSUPP for optional hooks a backend lacks.
 */
#include <errno.h>
#include <string.h>

#include "xballoon/backend.h"
#include "xballoon/mock.h"
#include "xballoon/xen.h"

/* Fixed order: the listing and `xballoon backends` print it as is. The
 * real "xen" backend joins when it is built (backends/xen). */
static const struct xb_backend_ops *const backends[] = {
    &xb__mock_backend_ops,
#ifdef XB_HAVE_XEN
    &xb__xen_backend_ops,
#endif
    NULL,
};

const struct xb_backend_ops *const *xb_backend_list(void)
{
	return backends;
}

const struct xb_backend_ops *xb_backend_find(const char *name)
{
	if (!name)
		return NULL;
	for (unsigned i = 0; backends[i]; i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

/* The hooks marked MANDATORY in include/xballoon/sys/backend.h. */
static bool ops_complete(const struct xb_backend_ops *ops)
{
	return ops->name && ops->description && ops->open && ops->close &&
	       ops->populate_physmap && ops->decrease_reservation &&
	       ops->reservation && ops->guest_info;
}

struct xb_backend *xb_backend_open(const struct xb_backend_ops *ops,
				   const struct xb_backend_config *cfg,
				   GError **error)
{
	if (!ops || !cfg) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "no backend or no configuration given");
		return NULL;
	}
	if (ops->version != XB_BACKEND_VERSION) {
		g_set_error(error, XB_ERROR, XB_ERROR_UNSUPPORTED,
			    "backend '%s' has interface version %u, "
			    "this build expects %u",
			    ops->name ? ops->name : "?", ops->version,
			    XB_BACKEND_VERSION);
		return NULL;
	}
	if (!ops_complete(ops)) {
		g_set_error(error, XB_ERROR, XB_ERROR_UNSUPPORTED,
			    "backend '%s' lacks a mandatory hook",
			    ops->name ? ops->name : "?");
		return NULL;
	}

	struct xb_backend *be = g_new0(struct xb_backend, 1);
	GError *local = NULL;

	be->ops = ops;
	int rc = ops->open(be, cfg, &local);
	if (rc < 0) {
		if (!local)
			g_set_error(&local, XB_ERROR, XB_ERROR_BACKEND,
				    "backend '%s': open failed: %s", ops->name,
				    g_strerror(-rc));
		g_propagate_error(error, local);
		ops->close(be);
		g_free(be);
		return NULL;
	}
	return be;
}

void xb_backend_close(struct xb_backend *be)
{
	if (!be)
		return;
	be->ops->close(be);
	g_free(be->trace_in);
	g_free(be);
}

/*
 * One place for the accounting: @done units (extents) of 2^@order frames
 * were completed out of @nr asked; @rc < 0 when the call failed as a whole.
 */
static inline void count(struct xb_hypercall_stat *s, uint64_t nr,
			 uint64_t done, unsigned order, long rc)
{
	s->calls++;
	s->extents += done;
	s->pages += done << order;
	if (rc < 0 || done < nr)
		s->failed++;
}

static inline void before(struct xb_backend *be, const struct xb_trace_rec *t)
{
	if (be->before)
		be->before(be->before_priv, t);
}

static inline void trace(struct xb_backend *be, const struct xb_trace_rec *t)
{
	if (be->trace)
		be->trace(be->trace_priv, t);
}

static inline bool tracing_inputs(const struct xb_backend *be)
{
	return be->trace && be->trace_inputs;
}

/*
 * Copy a call's input arrays (@na then @nb entries) into be->trace_in
 * before the backend overwrites them (pv populate and exchange write
 * machine frames back). Only called while a hook asks for inputs; the buffer
 * grows geometrically and is reused, so a traced run allocates O(log)
 * times. Returns the copy of @a; the copy of @b follows it.
 */
static const xb_xen_pfn_t *save_inputs(struct xb_backend *be,
				       const xb_xen_pfn_t *a, uint64_t na,
				       const xb_xen_pfn_t *b, uint64_t nb)
{
	uint64_t need = na + nb;

	if (need > be->trace_in_cap) {
		uint64_t cap = MAX(need, 2 * be->trace_in_cap);

		g_free(be->trace_in);
		be->trace_in = g_new(xb_xen_pfn_t, cap);
		be->trace_in_cap = cap;
	}
	if (na)
		memcpy(be->trace_in, a, na * sizeof(*a));
	if (nb)
		memcpy(be->trace_in + na, b, nb * sizeof(*b));
	return be->trace_in;
}

/* populate and decrease: the same shape of call, counted and traced. */
static long reservation_op(struct xb_backend *be, enum xb_trace_op op,
			   struct xb_hypercall_stat *st, xb_xen_pfn_t *extents,
			   uint64_t nr, unsigned order, unsigned mem_flags)
{
	struct xb_trace_rec t = {
	    .op = op,
	    .extents = extents,
	    .nr = nr,
	    .order = order,
	    .mem_flags = mem_flags,
	    .in = tracing_inputs(be) ? save_inputs(be, extents, nr, NULL, 0)
				     : NULL};

	before(be, &t);
	/* Only the node bits are the caller's to give (address bits and
	 * populate-on-demand are not modeled): others are refused, not
	 * issued. */
	if (mem_flags & ~XB_MEMF_NODE_MASK)
		t.result = -EINVAL;
	else if (op == XB_TRACE_POPULATE)
		t.result = be->ops->populate_physmap(be, extents, nr, order,
						     mem_flags);
	else
		t.result =
		    be->ops->decrease_reservation(be, extents, nr, order);
	count(st, nr, t.result > 0 ? (uint64_t)t.result : 0, order, t.result);
	trace(be, &t);
	return t.result;
}

long xb_populate_physmap(struct xb_backend *be, xb_xen_pfn_t *extents,
			 uint64_t nr, unsigned order)
{
	return reservation_op(be, XB_TRACE_POPULATE, &be->stats.populate,
			      extents, nr, order, 0);
}

long xb_populate_physmap_flags(struct xb_backend *be, xb_xen_pfn_t *extents,
			       uint64_t nr, unsigned order, unsigned mem_flags)
{
	return reservation_op(be, XB_TRACE_POPULATE, &be->stats.populate,
			      extents, nr, order, mem_flags);
}

long xb_decrease_reservation(struct xb_backend *be, xb_xen_pfn_t *extents,
			     uint64_t nr, unsigned order)
{
	return reservation_op(be, XB_TRACE_DECREASE, &be->stats.decrease,
			      extents, nr, order, 0);
}

int xb_exchange(struct xb_backend *be, struct xb_exchange *x,
		uint64_t *nr_exchanged)
{
	const xb_xen_pfn_t *in =
	    tracing_inputs(be)
		? save_inputs(be, x->in, x->nr_in, x->out, x->nr_out)
		: NULL;
	struct xb_trace_rec t = {.op = XB_TRACE_EXCHANGE,
				 .extents = x->in,
				 .nr = x->nr_in,
				 .order = x->in_order,
				 .out = x->out,
				 .nr_out = x->nr_out,
				 .out_order = x->out_order,
				 .out_address_bits = x->out_address_bits,
				 .mem_flags = x->out_mem_flags,
				 .result = -EOPNOTSUPP,
				 .in = in,
				 .out_in = in ? in + x->nr_in : NULL};

	before(be, &t);
	/* XENMEMF_address_bits() is an 8-bit field of mem_flags: a wider
	 * value would spill into the node bits. Refused, not issued. */
	if (x->out_address_bits > 255 ||
	    (x->out_mem_flags & ~XB_MEMF_NODE_MASK))
		t.result = -EINVAL;
	else if (be->ops->exchange)
		t.result = be->ops->exchange(be, x, &t.progress);
	/* Progress is in input extents, also on failure. */
	count(&be->stats.exchange, x->nr_in, t.progress, x->in_order, t.result);
	trace(be, &t);
	if (nr_exchanged)
		*nr_exchanged = t.progress;
	return (int)t.result;
}

int xb_add_to_physmap(struct xb_backend *be, unsigned space, xb_xen_pfn_t idx,
		      xb_xen_pfn_t gpfn, uint64_t size, uint64_t *nr_done)
{
	/* Xen ignores size for a single frame. */
	uint64_t nr = space == XB_MAPSPACE_GMFN_RANGE ? size : 1;
	struct xb_trace_rec t = {.op = XB_TRACE_ADD_TO_PHYSMAP,
				 .nr = nr,
				 .src = idx,
				 .dst = gpfn,
				 .space = space,
				 .result = -EOPNOTSUPP};

	if (nr_done)
		*nr_done = 0;
	if (space == XB_MAPSPACE_GMFN_RANGE && size > XB_ADD_TO_PHYSMAP_MAX)
		return -EINVAL;
	before(be, &t);
	if (be->ops->add_to_physmap)
		t.result = be->ops->add_to_physmap(be, space, idx, gpfn, size,
						   &t.progress);
	/* One extent per frame moved. */
	count(&be->stats.add_to_physmap, nr, t.progress, 0, t.result);
	trace(be, &t);
	if (nr_done)
		*nr_done = t.progress;
	return (int)t.result;
}

int xb_add_to_physmap_batch(struct xb_backend *be, unsigned space,
			    const xb_xen_pfn_t *idxs, const xb_xen_pfn_t *gpfns,
			    uint64_t nr, int *errs, uint64_t *nr_done)
{
	struct xb_trace_rec t = {.op = XB_TRACE_ADD_TO_PHYSMAP_BATCH,
				 .extents = idxs,
				 .nr = nr,
				 .out = gpfns,
				 .nr_out = nr,
				 .space = space,
				 .errs = errs,
				 .result = -EOPNOTSUPP};
	uint64_t moved = 0;

	if (nr_done)
		*nr_done = 0;
	if (nr > XB_ADD_TO_PHYSMAP_MAX)
		return -EINVAL;
	before(be, &t);
	if (be->ops->add_to_physmap_batch)
		t.result = be->ops->add_to_physmap_batch(be, space, idxs, gpfns,
							 nr, errs, &t.progress);
	/* One extent per entry that moved its frame; a failed entry makes
	 * the call one that fell short. */
	for (uint64_t i = 0; i < t.progress; i++)
		moved += errs[i] == 0;
	count(&be->stats.add_to_physmap, nr, moved, 0, t.result);
	trace(be, &t);
	if (nr_done)
		*nr_done = t.progress;
	return (int)t.result;
}

int xb_relocate(struct xb_backend *be, xb_xen_pfn_t src, xb_xen_pfn_t dst,
		uint64_t nr, uint64_t *nr_done)
{
	struct xb_trace_rec t = {.op = XB_TRACE_RELOCATE,
				 .nr = nr,
				 .src = src,
				 .dst = dst,
				 .result = -EOPNOTSUPP};

	before(be, &t);
	if (be->ops->relocate)
		t.result = be->ops->relocate(be, src, dst, nr, &t.progress);
	/* One extent per frame moved. */
	count(&be->stats.relocate, nr, t.progress, 0, t.result);
	trace(be, &t);
	if (nr_done)
		*nr_done = t.progress;
	return (int)t.result;
}

int xb_reservation(struct xb_backend *be, uint64_t *tot_pages,
		   uint64_t *max_pages)
{
	return be->ops->reservation(be, tot_pages, max_pages);
}

int xb_claim(struct xb_backend *be, uint64_t nr_pages)
{
	return be->ops->claim ? be->ops->claim(be, nr_pages) : -EOPNOTSUPP;
}

int xb_guest_info(struct xb_backend *be, struct xb_guest_info *info)
{
	return be->ops->guest_info(be, info);
}

int xb_read_frame(struct xb_backend *be, xb_xen_pfn_t frame, void *buf)
{
	return be->ops->read_frame ? be->ops->read_frame(be, frame, buf)
				   : -EOPNOTSUPP;
}

int xb_write_frame(struct xb_backend *be, xb_xen_pfn_t frame, const void *buf)
{
	return be->ops->write_frame ? be->ops->write_frame(be, frame, buf)
				    : -EOPNOTSUPP;
}

int xb_query(struct xb_backend *be, xb_xen_pfn_t frame, bool *populated)
{
	return be->ops->query ? be->ops->query(be, frame, populated)
			      : -EOPNOTSUPP;
}

int xb_query_frames(struct xb_backend *be, const xb_xen_pfn_t *frames,
		    uint64_t n, bool *populated)
{
	if (be->ops->query_frames)
		return be->ops->query_frames(be, frames, n, populated);
	for (uint64_t i = 0; i < n; i++) {
		int rc = xb_query(be, frames[i], &populated[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

int xb_host_info(struct xb_backend *be, struct xb_host_info *info)
{
	return be->ops->host_info ? be->ops->host_info(be, info) : -EOPNOTSUPP;
}

int xb_set_vnuma(struct xb_backend *be, const struct xb_vnuma *vnuma)
{
	if (!vnuma || vnuma->nr_vnodes == 0 || vnuma->nr_vnodes > XB_MAX_NODES)
		return -EINVAL;
	return be->ops->set_vnuma ? be->ops->set_vnuma(be, vnuma) : -EOPNOTSUPP;
}
