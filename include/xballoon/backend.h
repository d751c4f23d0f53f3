/*
 * Using a backend: the registry, open/close, and wrappers that count every
 * call into struct xb_backend_stats and answer -EOPNOTSUPP for optional
 * hooks a backend lacks. The driver calls only these.
 */
#ifndef XBALLOON_BACKEND_H
#define XBALLOON_BACKEND_H

#include "xballoon/error.h"
#include "xballoon/sys/backend.h"

/* The registered backends, NULL-terminated, in a fixed order. */
const struct xb_backend_ops *const *xb_backend_list(void);
const struct xb_backend_ops *xb_backend_find(const char *name);

/* Open: returns NULL and fills *error on failure. */
struct xb_backend *xb_backend_open(const struct xb_backend_ops *ops,
				   const struct xb_backend_config *cfg,
				   GError **error);
void xb_backend_close(struct xb_backend *be);

long xb_populate_physmap(struct xb_backend *be, xb_xen_pfn_t *extents,
			 uint64_t nr, unsigned order);
/* populate with XENMEMF node bits (XB_MEMF_*, sys/backend.h); bits
 * outside XB_MEMF_NODE_MASK are refused (-EINVAL) and not issued.
 * xb_populate_physmap() is this with 0. */
long xb_populate_physmap_flags(struct xb_backend *be, xb_xen_pfn_t *extents,
			       uint64_t nr, unsigned order, unsigned mem_flags);
long xb_decrease_reservation(struct xb_backend *be, xb_xen_pfn_t *extents,
			     uint64_t nr, unsigned order);
int xb_exchange(struct xb_backend *be, struct xb_exchange *x,
		uint64_t *nr_exchanged);
/* XENMEM_add_to_physmap and _batch (contracts in sys/backend.h). A count
 * above XB_ADD_TO_PHYSMAP_MAX is refused (-EINVAL) and not issued. */
int xb_add_to_physmap(struct xb_backend *be, unsigned space, xb_xen_pfn_t idx,
		      xb_xen_pfn_t gpfn, uint64_t size, uint64_t *nr_done);
int xb_add_to_physmap_batch(struct xb_backend *be, unsigned space,
			    const xb_xen_pfn_t *idxs, const xb_xen_pfn_t *gpfns,
			    uint64_t nr, int *errs, uint64_t *nr_done);
/* XEN_DMOP_relocate_memory: dom0 tools only (sys/backend.h). */
int xb_relocate(struct xb_backend *be, xb_xen_pfn_t src, xb_xen_pfn_t dst,
		uint64_t nr, uint64_t *nr_done);
int xb_reservation(struct xb_backend *be, uint64_t *tot_pages,
		   uint64_t *max_pages);
int xb_claim(struct xb_backend *be, uint64_t nr_pages);
int xb_guest_info(struct xb_backend *be, struct xb_guest_info *info);
int xb_read_frame(struct xb_backend *be, xb_xen_pfn_t frame, void *buf);
int xb_write_frame(struct xb_backend *be, xb_xen_pfn_t frame, const void *buf);
int xb_query(struct xb_backend *be, xb_xen_pfn_t frame, bool *populated);
int xb_query_frames(struct xb_backend *be, const xb_xen_pfn_t *frames,
		    uint64_t n, bool *populated);
int xb_host_info(struct xb_backend *be, struct xb_host_info *info);
/* XEN_DOMCTL_setvnumainfo for the guest (sys/backend.h); -EINVAL for 0 or
 * more than XB_MAX_NODES vnodes, -EOPNOTSUPP without the hook. */
int xb_set_vnuma(struct xb_backend *be, const struct xb_vnuma *vnuma);

#endif
