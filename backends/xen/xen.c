/*
 * The real Xen backend: the ops of include/xballoon/sys/backend.h issued
 * from dom0 on one guest domain. libxenctrl for the reservation calls,
 * claims, the domain's life cycle and XENMEM_add_to_physmap(_batch);
 * libxencall for XENMEM_exchange, so nr_exchanged is seen, and for
 * XENMAPSPACE_gmfn_range, whose size libxenctrl's wrapper cannot pass;
 * libxenforeignmemory for the data plane and P2M queries;
 * libxendevicemodel for XEN_DMOP_relocate_memory. The two data-plane
 * handles are restricted to the target domain.
 *
 * Safety: dom0 is always refused; an existing domain only when the user
 * named it and confirmed it is theirs; a running one only when told. A
 * scratch domain is destroyed at close and by the fatal hook (a failed
 * assertion), and the tools destroy it on SIGINT/SIGTERM through close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xencall.h>
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>
#include <xentoollog.h>

#include <xen/memory.h>

#include "xballoon/backend.h"
#include "xballoon/debug.h"
#include "xballoon/xen.h"

_Static_assert(sizeof(xen_pfn_t) == sizeof(xb_xen_pfn_t),
	       "extent arrays are passed to libxenctrl as they are");

#define PRIVCMD	       "/dev/xen/privcmd"
#define QUERY_BATCH    512u  /* frames per foreign-map P2M query     */
#define RELOCATE_CHUNK 4096u /* frames per relocate / gmfn_range call */

struct xen_be {
	xentoollog_logger_stdiostream *log;
	xc_interface *xch;
	xencall_handle *xcall;
	xenforeignmemory_handle *fmem;
	xendevicemodel_handle *dmod;
	uint32_t domid;
	bool scratch; /* we created it: destroyed at close       */
	enum xb_guest_type type;
	unsigned memop_max_order;
	/* P2M queries: frames and per-frame errors of one foreign map. */
	xen_pfn_t qarr[QUERY_BATCH];
	int qerr[QUERY_BATCH];
	/* A relocation's (or gmfn_range's) sources, populated before it
	 * and after it. */
	bool rel_before[RELOCATE_CHUNK];
	bool rel_after[RELOCATE_CHUNK];
};

static const char *type_name(enum xb_guest_type t)
{
	return t == XB_GUEST_PV ? "pv" : t == XB_GUEST_PVH ? "pvh" : "hvm";
}

/* What an errno from Xen means for the user, beyond strerror. */
static const char *xen_meaning(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "the caller is not privileged: run as root in dom0";
	case ESRCH:
		return "no such domain";
	case ENOMEM:
		return "Xen has no free memory for it";
	case EINVAL:
		return "Xen rejected the arguments";
	case EOPNOTSUPP:
		return "this Xen does not support it";
	case EBUSY:
		return "the domain is at its memory limit";
	default:
		return "Xen refused";
	}
}

static void set_xen_error(GError **error, const char *what, int err)
{
	g_set_error(error, XB_ERROR, XB_ERROR_BACKEND, "xen: %s: %s (%s)", what,
		    g_strerror(err), xen_meaning(err));
}

static int query_info(struct xen_be *x, xc_domaininfo_t *info)
{
	int n = xc_domain_getinfolist(x->xch, x->domid, 1, info);

	if (n < 0)
		return -errno;
	if (n == 0 || info->domain != x->domid)
		return -ESRCH;
	return 0;
}

static void destroy_scratch(void *priv)
{
	struct xen_be *x = priv;

	if (!x->scratch)
		return;
	x->scratch = false;
	/* close() and the fatal hook cannot fail, and a domain Xen refused
	 * to destroy keeps its memory: say which one, and how to end it. */
	if (xc_domain_destroy(x->xch, x->domid) < 0) {
		int err = errno;

		fprintf(stderr,
			"xballoon: warning: xen: cannot destroy the scratch "
			"domain %u: %s (%s); destroy it with 'xl destroy %u'\n",
			x->domid, g_strerror(err), xen_meaning(err), x->domid);
	}
}

/* ---- opening ------------------------------------------------------------ */

static bool check_privcmd(GError **error)
{
	if (access(PRIVCMD, R_OK | W_OK) == 0)
		return true;
	if (errno == ENOENT)
		g_set_error(error, XB_ERROR, XB_ERROR_UNSUPPORTED,
			    "xen: no " PRIVCMD ": not running in a Xen dom0, "
			    "or the xen-privcmd module is not loaded "
			    "(modprobe xen-privcmd)");
	else
		g_set_error(error, XB_ERROR, XB_ERROR_BACKEND,
			    "xen: cannot use " PRIVCMD ": %s (run as root "
			    "in dom0)",
			    g_strerror(errno));
	return false;
}

/*
 * An empty paused domain of the chosen type, as the domain builders create
 * one before loading a kernel: hvm and pvh with hardware paging (hvm with
 * every emulated device but vPCI, pvh with the local APIC only), pv with
 * none. It is never unpaused: it has no vcpu context.
 */
static bool create_scratch(struct xen_be *x,
			   const struct xb_backend_config *cfg, GError **error)
{
	struct xen_domctl_createdomain c = {
	    .max_vcpus = 1,
	    .max_evtchn_port = 1023,
	    .max_grant_frames = -1,
	    .max_maptrack_frames = -1,
	    .grant_opts = XEN_DOMCTL_GRANT_version(1),
	};
	uint32_t domid = 0; /* 0: Xen picks the next free domid */

	if (cfg->type != XB_GUEST_PV)
		c.flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap;
	if (cfg->type == XB_GUEST_HVM)
		c.arch.emulation_flags = XEN_X86_EMU_ALL & ~XEN_X86_EMU_VPCI;
	else if (cfg->type == XB_GUEST_PVH)
		c.arch.emulation_flags = XEN_X86_EMU_LAPIC;
	if (xc_domain_create(x->xch, &domid, &c) < 0) {
		char what[64];

		snprintf(what, sizeof(what), "cannot create a %s domain",
			 type_name(cfg->type));
		set_xen_error(error, what, errno);
		return false;
	}
	x->domid = domid;
	x->scratch = true;
	if (xb_on_fatal(destroy_scratch, x) < 0) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "xen: too many scratch domains at once");
		return false;
	}
	if (xc_domain_setmaxmem(x->xch, domid, cfg->max_pages * 4) < 0) {
		set_xen_error(error, "cannot set the scratch domain's maxmem",
			      errno);
		return false;
	}
	return true;
}

/* An existing domain: only a named, confirmed guest, never dom0. */
static bool adopt_domain(struct xen_be *x, const struct xb_backend_config *cfg,
			 GError **error)
{
	xc_domaininfo_t info;
	enum xb_guest_type type;
	int rc;

	if (cfg->domid == 0) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "xen: refusing domain 0: xballoon never acts on "
			    "dom0");
		return false;
	}
	if (cfg->domid < 0 || (unsigned)cfg->domid >= DOMID_FIRST_RESERVED) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "xen: %d is not a guest domain id", cfg->domid);
		return false;
	}
	if (!cfg->domid_confirmed) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "xen: refusing domain %d: it was not confirmed "
			    "(name it with --domid %d --i-own-this-domain)",
			    cfg->domid, cfg->domid);
		return false;
	}
	x->domid = (uint32_t)cfg->domid;
	rc = query_info(x, &info);
	if (rc == -ESRCH) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "xen: domain %d does not exist", cfg->domid);
		return false;
	}
	if (rc < 0) {
		set_xen_error(error, "cannot query the domain", -rc);
		return false;
	}
	if (info.flags & (XEN_DOMINF_dying | XEN_DOMINF_shutdown)) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "xen: refusing domain %d: it is shutting down",
			    cfg->domid);
		return false;
	}
	if (!(info.flags & XEN_DOMINF_paused) && !cfg->allow_running) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "xen: refusing domain %d: it is running, and its "
			    "own kernel uses the memory xballoon would move "
			    "(pause it, or pass --allow-running)",
			    cfg->domid);
		return false;
	}
	if (!(info.flags & XEN_DOMINF_hvm_guest))
		type = XB_GUEST_PV;
	else if (info.arch_config.emulation_flags == XEN_X86_EMU_LAPIC)
		type = XB_GUEST_PVH;
	else
		type = XB_GUEST_HVM;
	if (type != cfg->type) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "xen: domain %d is a %s guest, not %s (use --type "
			    "%s)",
			    cfg->domid, type_name(type), type_name(cfg->type),
			    type_name(type));
		return false;
	}
	return true;
}

static void xen_close(struct xb_backend *be)
{
	struct xen_be *x = be->priv;

	if (!x)
		return;
	if (x->scratch) {
		xb_on_fatal_remove(destroy_scratch, x);
		destroy_scratch(x);
	}
	if (x->dmod)
		xendevicemodel_close(x->dmod);
	if (x->fmem)
		xenforeignmemory_close(x->fmem);
	if (x->xcall)
		xencall_close(x->xcall);
	if (x->xch)
		xc_interface_close(x->xch);
	if (x->log)
		xtl_logger_destroy((xentoollog_logger *)x->log);
	g_free(x);
	be->priv = NULL;
}

static int xen_open(struct xb_backend *be, const struct xb_backend_config *cfg,
		    GError **error)
{
	struct xen_be *x;
	xentoollog_logger *log;

	if (!check_privcmd(error))
		return -ENODEV;
	x = g_new0(struct xen_be, 1);
	be->priv = x;
	x->type = cfg->type;
	x->memop_max_order = cfg->memop_max_order ? cfg->memop_max_order : 9;
	/* The libraries' own messages would repeat ours: critical only. */
	x->log = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	log = (xentoollog_logger *)x->log;
	x->xch = xc_interface_open(log, log, 0);
	if (!x->xch) {
		set_xen_error(error, "cannot open the hypervisor interface",
			      errno);
		return -EPERM;
	}
	x->xcall = xencall_open(log, 0);
	x->fmem = xenforeignmemory_open(log, 0);
	x->dmod = xendevicemodel_open(log, 0);
	if (!x->xcall || !x->fmem || !x->dmod) {
		set_xen_error(error, "cannot open the Xen library handles",
			      errno);
		return -EPERM;
	}
	if (cfg->domid < 0 ? !create_scratch(x, cfg, error)
			   : !adopt_domain(x, cfg, error))
		return -EINVAL;
	/* From here on the data plane can only touch the target domain. */
	if (xenforeignmemory_restrict(x->fmem, (domid_t)x->domid) < 0 ||
	    xendevicemodel_restrict(x->dmod, (domid_t)x->domid) < 0) {
		set_xen_error(
		    error, "cannot restrict the handles to the domain", errno);
		return -EPERM;
	}
	return 0;
}

/* ---- reservations ------------------------------------------------------- */

/*
 * The non-exact libxenctrl calls: Xen's populate_physmap() and
 * decrease_reservation() stop at the first extent that fails and return
 * the number done; the extents before it stay done. The guest's memop max
 * order is enforced here, because dom0 issuing the call on the guest's
 * behalf has a higher limit than the guest's own driver.
 */
static long xen_reservation_op(struct xb_backend *be, bool populate,
			       xb_xen_pfn_t *extents, uint64_t nr,
			       unsigned order, unsigned mem_flags)
{
	struct xen_be *x = be->priv;
	xen_pfn_t *e = (xen_pfn_t *)extents;
	int rc;

	if (order > x->memop_max_order || nr == 0)
		return 0;
	rc = populate ? xc_domain_populate_physmap(x->xch, x->domid, nr, order,
						   mem_flags, e)
		      : xc_domain_decrease_reservation(x->xch, x->domid, nr,
						       order, e);
	return rc < 0 ? -errno : rc;
}

/*
 * The XENMEMF node bits go to Xen as they are. dom0 is privileged, so Xen
 * honours a physical node (propagate_node()), which it would ignore (or,
 * exact, refuse) for the guest issuing the call on itself: the mock
 * models the guest unless told otherwise (xb_mock_set_privileged()).
 * XENMEMF_vnode is translated the same way for both.
 */
static long xen_populate(struct xb_backend *be, xb_xen_pfn_t *extents,
			 uint64_t nr, unsigned order, unsigned mem_flags)
{
	return xen_reservation_op(be, true, extents, nr, order, mem_flags);
}

static long xen_decrease(struct xb_backend *be, xb_xen_pfn_t *extents,
			 uint64_t nr, unsigned order)
{
	return xen_reservation_op(be, false, extents, nr, order, 0);
}

/*
 * XENMEM_exchange issued through libxencall: xc_domain_memory_exchange_pages
 * hides nr_exchanged, which the driver needs to settle a partial exchange.
 * Every buffer Xen reads or writes is a hypercall buffer.
 */
static int xen_exchange(struct xb_backend *be, struct xb_exchange *xe,
			uint64_t *nr_exchanged)
{
	struct xen_be *x = be->priv;
	struct xen_memory_exchange *ex;
	xen_pfn_t *in, *out;
	size_t in_sz = xe->nr_in * sizeof(*in);
	size_t out_sz = xe->nr_out * sizeof(*out);
	int rc;

	*nr_exchanged = 0;
	ex = xencall_alloc_buffer(x->xcall, sizeof(*ex));
	in = xencall_alloc_buffer(x->xcall, in_sz ? in_sz : 1);
	out = xencall_alloc_buffer(x->xcall, out_sz ? out_sz : 1);
	if (!ex || !in || !out) {
		rc = -ENOMEM;
		goto out_free;
	}
	memcpy(in, xe->in, in_sz);
	memcpy(out, xe->out, out_sz);
	memset(ex, 0, sizeof(*ex));
	set_xen_guest_handle_raw(ex->in.extent_start, in);
	ex->in.nr_extents = xe->nr_in;
	ex->in.extent_order = xe->in_order;
	ex->in.domid = (domid_t)x->domid;
	set_xen_guest_handle_raw(ex->out.extent_start, out);
	ex->out.nr_extents = xe->nr_out;
	ex->out.extent_order = xe->out_order;
	ex->out.mem_flags =
	    XENMEMF_address_bits(xe->out_address_bits) | xe->out_mem_flags;
	ex->out.domid = (domid_t)x->domid;
	rc = xencall2(x->xcall, __HYPERVISOR_memory_op, XENMEM_exchange,
		      (uint64_t)(uintptr_t)ex);
	rc = rc < 0 ? -errno : 0;
	*nr_exchanged = ex->nr_exchanged;
	memcpy(xe->out, out, out_sz);
out_free:
	if (out)
		xencall_free_buffer(x->xcall, out);
	if (in)
		xencall_free_buffer(x->xcall, in);
	if (ex)
		xencall_free_buffer(x->xcall, ex);
	return rc;
}

/*
 * Which of the n frames are mapped for the domain: a foreign map with
 * per-frame errors is Xen's P2M answer (hvm/pvh by gfn; pv by mfn,
 * mappable only when the domain owns it). frames NULL: first, first+1...
 */
static int query_batch(struct xen_be *x, const xb_xen_pfn_t *frames,
		       xb_xen_pfn_t first, uint64_t n, bool *populated)
{
	for (uint64_t done = 0; done < n;) {
		unsigned k = (unsigned)MIN(n - done, (uint64_t)QUERY_BATCH);
		void *p;

		for (unsigned i = 0; i < k; i++)
			x->qarr[i] =
			    frames ? frames[done + i] : first + done + i;
		p = xenforeignmemory_map(x->fmem, x->domid, PROT_READ, k,
					 x->qarr, x->qerr);
		if (!p)
			return -errno;
		for (unsigned i = 0; i < k; i++)
			populated[done + i] = x->qerr[i] == 0;
		xenforeignmemory_unmap(x->fmem, p, k);
		done += k;
	}
	return 0;
}

static int query_range(struct xen_be *x, xb_xen_pfn_t first, uint64_t n,
		       bool *populated)
{
	return query_batch(x, NULL, first, n, populated);
}

static int xen_query(struct xb_backend *be, xb_xen_pfn_t frame, bool *populated)
{
	return query_range(be->priv, frame, 1, populated);
}

static int xen_query_frames(struct xb_backend *be, const xb_xen_pfn_t *frames,
			    uint64_t n, bool *populated)
{
	return query_batch(be->priv, frames, 0, n, populated);
}

/*
 * The frames of a move of k frames from src that Xen did before it failed:
 * the moves go in ascending order and a moved source is unpopulated, so
 * the progress is the run of sources that were populated before and are
 * not after. (A range moving onto its own sources from above -- gpfn <
 * idx < gpfn + k -- refills them and would read short; the driver never
 * issues one.)
 */
static uint32_t moved_prefix(struct xen_be *x, xb_xen_pfn_t src, uint32_t k)
{
	uint32_t i = 0;

	if (query_range(x, src, k, x->rel_after) == 0)
		while (i < k && x->rel_before[i] && !x->rel_after[i])
			i++;
	return i;
}

/*
 * XEN_DMOP_relocate_memory, in chunks of RELOCATE_CHUNK frames. It
 * reports no progress when it fails, so the progress is read back from the
 * P2M: the moves go in ascending order, and a moved src is unpopulated.
 */
static int xen_relocate(struct xb_backend *be, xb_xen_pfn_t src,
			xb_xen_pfn_t dst, uint64_t nr, uint64_t *nr_done)
{
	struct xen_be *x = be->priv;
	/* dm_op on pv is refused by Xen: no P2M to read back there. */
	bool hvm = x->type != XB_GUEST_PV;
	uint64_t done = 0;
	int rc = 0;

	while (done < nr) {
		/* Chunks bound the P2M snapshot; Xen continues long
		 * relocations itself, so nothing is lost by splitting. */
		uint32_t k = (uint32_t)MIN(nr - done, (uint64_t)RELOCATE_CHUNK);

		if (hvm) {
			rc = query_range(x, src + done, k, x->rel_before);
			if (rc < 0)
				break;
		}
		if (xendevicemodel_relocate_memory(x->dmod, (domid_t)x->domid,
						   k, src + done,
						   dst + done) == 0) {
			done += k;
			continue;
		}
		rc = -errno;
		if (hvm)
			done += moved_prefix(x, src + done, k);
		break;
	}
	*nr_done = done;
	return rc;
}

/* XENMEM_add_to_physmap with a size (gmfn_range), through libxencall:
 * xc_domain_add_to_physmap() leaves the size 0. 0 or -errno. */
static int add_to_physmap_range(struct xen_be *x, xb_xen_pfn_t idx,
				xb_xen_pfn_t gpfn, uint16_t size)
{
	struct xen_add_to_physmap *xatp =
	    xencall_alloc_buffer(x->xcall, sizeof(*xatp));
	int rc;

	if (!xatp)
		return -ENOMEM;
	memset(xatp, 0, sizeof(*xatp));
	xatp->domid = (domid_t)x->domid;
	xatp->size = size;
	xatp->space = XENMAPSPACE_gmfn_range;
	xatp->idx = idx;
	xatp->gpfn = gpfn;
	rc = xencall2(x->xcall, __HYPERVISOR_memory_op, XENMEM_add_to_physmap,
		      (uint64_t)(uintptr_t)xatp);
	rc = rc < 0 ? -errno : 0;
	xencall_free_buffer(x->xcall, xatp);
	return rc;
}

/*
 * XENMEM_add_to_physmap from dom0 on the domain: XENMAPSPACE_gmfn through
 * xc_domain_add_to_physmap(), a range through libxencall in chunks of
 * RELOCATE_CHUNK frames (Xen continues a long range itself, so nothing is
 * lost by splitting; the chunks bound the P2M snapshot). Xen 4.17 copies
 * no progress back when a range fails, so it is read back from the P2M,
 * as for relocate. Other spaces go to Xen as they are (one frame).
 */
static int xen_add_to_physmap(struct xb_backend *be, unsigned space,
			      xb_xen_pfn_t idx, xb_xen_pfn_t gpfn,
			      uint64_t size, uint64_t *nr_done)
{
	struct xen_be *x = be->priv;
	/* Xen refuses pv (-EACCES): no P2M to read back there. */
	bool hvm = x->type != XB_GUEST_PV;
	uint64_t done = 0;
	int rc = 0;

	*nr_done = 0;
	if (space != XB_MAPSPACE_GMFN_RANGE) {
		if (xc_domain_add_to_physmap(x->xch, x->domid, space, idx,
					     gpfn) < 0)
			return -errno;
		*nr_done = 1;
		return 0;
	}
	/* One call even for size 0: Xen checks the arguments. */
	do {
		uint32_t k =
		    (uint32_t)MIN(size - done, (uint64_t)RELOCATE_CHUNK);

		if (hvm && k) {
			rc = query_range(x, idx + done, k, x->rel_before);
			if (rc < 0)
				break;
		}
		rc = add_to_physmap_range(x, idx + done, gpfn + done,
					  (uint16_t)k);
		if (rc == 0) {
			done += k;
			continue;
		}
		if (hvm && k)
			done += moved_prefix(x, idx + done, k);
		break;
	} while (done < size);
	*nr_done = done;
	return rc;
}

/*
 * XENMEM_add_to_physmap_batch through xc_domain_add_to_physmap_batch():
 * per-entry results in errs[]. When the call fails, the entries Xen tried
 * are known from Xen's rules: it stops at the first gpfn that is
 * INVALID_GFN (-EINVAL) and refuses everything else before trying any.
 */
static int xen_add_to_physmap_batch(struct xb_backend *be, unsigned space,
				    const xb_xen_pfn_t *idxs,
				    const xb_xen_pfn_t *gpfns, uint64_t nr,
				    int *errs, uint64_t *nr_done)
{
	struct xen_be *x = be->priv;
	uint64_t i = 0;
	int rc;

	*nr_done = 0;
	/* libxenctrl bounces idxs and gpfns in only: never written. */
	if (xc_domain_add_to_physmap_batch(x->xch, x->domid, 0, space,
					   (unsigned)nr, (xen_ulong_t *)idxs,
					   (xen_pfn_t *)gpfns, errs) == 0) {
		*nr_done = nr;
		return 0;
	}
	rc = -errno;
	if (rc == -EINVAL) {
		while (i < nr && gpfns[i] != ~(xb_xen_pfn_t)0)
			i++;
		*nr_done = i < nr ? i : 0;
	}
	return rc;
}

static int xen_reservation(struct xb_backend *be, uint64_t *tot_pages,
			   uint64_t *max_pages)
{
	xc_domaininfo_t info;
	int rc = query_info(be->priv, &info);

	if (rc < 0)
		return rc;
	*tot_pages = info.tot_pages;
	*max_pages = info.max_pages;
	return 0;
}

static int xen_claim(struct xb_backend *be, uint64_t nr_pages)
{
	struct xen_be *x = be->priv;

	return xc_domain_claim_pages(x->xch, x->domid, nr_pages) < 0 ? -errno
								     : 0;
}

static int xen_guest_info(struct xb_backend *be, struct xb_guest_info *info)
{
	struct xen_be *x = be->priv;

	info->type = x->type;
	info->memop_max_order = x->memop_max_order;
	info->domid = (uint16_t)x->domid;
	return 0;
}

/* ---- the data plane ----------------------------------------------------- */

static int map_one(struct xen_be *x, xb_xen_pfn_t frame, int prot, void **p)
{
	xen_pfn_t f = frame;
	int err = 0;

	*p = xenforeignmemory_map(x->fmem, x->domid, prot, 1, &f, &err);
	if (!*p)
		return -errno;
	if (err) {
		/* Linux's privcmd reports per-frame errors as -errno. */
		xenforeignmemory_unmap(x->fmem, *p, 1);
		return err < 0 ? err : -err;
	}
	return 0;
}

static int xen_read_frame(struct xb_backend *be, xb_xen_pfn_t frame, void *buf)
{
	struct xen_be *x = be->priv;
	void *p;
	int rc = map_one(x, frame, PROT_READ, &p);

	if (rc < 0)
		return rc;
	memcpy(buf, p, XB_PAGE_SIZE);
	xenforeignmemory_unmap(x->fmem, p, 1);
	return 0;
}

static int xen_write_frame(struct xb_backend *be, xb_xen_pfn_t frame,
			   const void *buf)
{
	struct xen_be *x = be->priv;
	void *p;
	int rc = map_one(x, frame, PROT_READ | PROT_WRITE, &p);

	if (rc < 0)
		return rc;
	memcpy(p, buf, XB_PAGE_SIZE);
	xenforeignmemory_unmap(x->fmem, p, 1);
	return 0;
}

/* The host as Xen reports it; its buddy heap and the machine layout of
 * the guest are not visible from dom0, so those fields say "unknown":
 * no interface we use returns a gfn's mfn (hvm/pvh) nor the order of a
 * P2M entry (Xen's only view of those is the 'D' debug key's EPT dump to
 * the console ring: Intel only, host-wide, truncated). A pv guest is the
 * exception for the P2M figure: Xen 4.17 keeps no P2M for it and refuses
 * it 2 MiB mappings, so none of its memory is on one. docs/xen.md. */
static int xen_host_info(struct xb_backend *be, struct xb_host_info *info)
{
	struct xen_be *x = be->priv;
	xc_physinfo_t pi = {0};

	if (xc_physinfo(x->xch, &pi) < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->total_pages = pi.total_pages;
	info->free_pages = pi.free_pages;
	info->p2m_superpage_coverage = x->type == XB_GUEST_PV ? 0 : -1;
	info->contiguity_2m = -1;

	/* Per node: XEN_SYSCTL_numainfo's memsize and memfree (bytes).
	 * Which node a frame is on is not something dom0 can ask. */
	xc_meminfo_t mi[XB_MAX_NODES];
	unsigned nr = XB_MAX_NODES;

	if (xc_numainfo(x->xch, &nr, mi, NULL) == 0) {
		info->nr_nodes = MIN(nr, (unsigned)XB_MAX_NODES);
		for (unsigned n = 0; n < info->nr_nodes; n++) {
			info->nodes[n].total_pages =
			    mi[n].memsize >> XB_PAGE_SHIFT;
			info->nodes[n].free_pages =
			    mi[n].memfree >> XB_PAGE_SHIFT;
			info->nodes[n].guest_pages = -1;
		}
	}
	return 0;
}

/*
 * xc_domain_setvnuma() (XEN_DOMCTL_setvnumainfo): one vmemrange per vnode
 * in gfn order from 0, every vcpu on vnode 0, distances 10 local and 20
 * remote (what libxl writes for a guest that names none).
 */
static int xen_set_vnuma(struct xb_backend *be, const struct xb_vnuma *v)
{
	struct xen_be *x = be->priv;
	xen_vmemrange_t range[XB_MAX_NODES];
	unsigned dist[XB_MAX_NODES * XB_MAX_NODES], pnode[XB_MAX_NODES];
	xc_domaininfo_t di;
	uint64_t start = 0;

	if (xc_domain_getinfolist(x->xch, x->domid, 1, &di) != 1 ||
	    di.domain != x->domid)
		return -ESRCH;
	/* vnuma_init() wants d->max_vcpus entries. A domain whose vcpus
	 * were never created (a scratch domain: createdomain's max_vcpus
	 * is 1, and only XEN_DOMCTL_max_vcpus creates them) reports
	 * XEN_INVALID_MAX_VCPU_ID. */
	unsigned nr_vcpus =
	    di.max_vcpu_id == XEN_INVALID_MAX_VCPU_ID ? 1 : di.max_vcpu_id + 1;
	g_autofree unsigned *vcpu = g_new0(unsigned, nr_vcpus);

	for (unsigned i = 0; i < v->nr_vnodes; i++) {
		range[i] = (xen_vmemrange_t){
		    .start = start << XB_PAGE_SHIFT,
		    .end = (start + v->vnode_pages[i]) << XB_PAGE_SHIFT,
		    .flags = 0,
		    .nid = i,
		};
		start += v->vnode_pages[i];
		pnode[i] = v->vnode_to_pnode[i];
		for (unsigned j = 0; j < v->nr_vnodes; j++)
			dist[i * v->nr_vnodes + j] = i == j ? 10 : 20;
	}
	if (xc_domain_setvnuma(x->xch, x->domid, v->nr_vnodes, v->nr_vnodes,
			       nr_vcpus, range, dist, vcpu, pnode) < 0)
		return -errno;
	return 0;
}

void xb__xen_try_other_domain(struct xb_backend *be, uint32_t domid,
			      xb_xen_pfn_t frame, int *map_errno, int *dm_errno)
{
	struct xen_be *x = be->priv;
	xen_pfn_t f = frame;
	int err = 0;
	void *p = xenforeignmemory_map(x->fmem, domid, PROT_READ, 1, &f, &err);

	*map_errno = p ? abs(err) : errno;
	if (p)
		xenforeignmemory_unmap(x->fmem, p, 1);
	*dm_errno = xendevicemodel_relocate_memory(x->dmod, (domid_t)domid, 1,
						   frame, frame + 1) < 0
			? errno
			: 0;
}

const struct xb_backend_ops xb__xen_backend_ops = {
    .version = XB_BACKEND_VERSION,
    .name = "xen",
    .description = "a real Xen domain, driven from dom0 (libxenctrl, "
		   "libxencall, libxenforeignmemory, libxendevicemodel)",
    .open = xen_open,
    .close = xen_close,
    .populate_physmap = xen_populate,
    .decrease_reservation = xen_decrease,
    .exchange = xen_exchange,
    .add_to_physmap = xen_add_to_physmap,
    .add_to_physmap_batch = xen_add_to_physmap_batch,
    .relocate = xen_relocate,
    .reservation = xen_reservation,
    .claim = xen_claim,
    .guest_info = xen_guest_info,
    .read_frame = xen_read_frame,
    .write_frame = xen_write_frame,
    .query = xen_query,
    .query_frames = xen_query_frames,
    .host_info = xen_host_info,
    .set_vnuma = xen_set_vnuma,
};
