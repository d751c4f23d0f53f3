/*
 * The real Xen backend (backends/xen): the backend ops of
 * include/xballoon/sys/backend.h issued from dom0 on one guest domain.
 * Built only when pkg-config finds the Xen libraries (XB_HAVE_XEN).
 */
#ifndef XBALLOON_XEN_H
#define XBALLOON_XEN_H

#include "xballoon/sys/backend.h"

#ifdef XB_HAVE_XEN
extern const struct xb_backend_ops xb__xen_backend_ops;

/*
 * For the safety tests only: use @be's restricted foreign-memory and
 * device-model handles on another domain (a read of @frame, a relocate of
 * @frame). Each errno is 0 when the handle was not confined to @be's
 * domain.
 */
void xb__xen_try_other_domain(struct xb_backend *be, uint32_t domid,
			      xb_xen_pfn_t frame, int *map_errno,
			      int *dm_errno);
#endif

#endif
