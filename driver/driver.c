/*
 * The Xen balloon driver mechanism: balloon_process() and its steps, the
 * three queues, boot, the special-purpose API, the seed's migration callback
 * and exchange worker. Modeled on Linux drivers/xen/balloon.c (6.1):
 * balloon_process, update_schedule, increase_reservation,
 * decrease_reservation, alloc_xenballooned_pages, free_xenballooned_pages,
 * balloon_init; and on the seed design (draft 2, Figures 1-3).
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "xballoon/driver.h"
#include "xballoon/mem.h"
#include "xballoon/check.h"

#define P2M_INVALID 0u

static inline bool is_pv(const struct xb_driver *d)
{
	return d->guest.type == XB_GUEST_PV;
}

static inline uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

xb_xen_pfn_t xb_driver_frame(const struct xb_driver *d, xb_pfn_t pfn)
{
	if (!is_pv(d))
		return pfn;
	xb_assert(d->p2m[pfn] != P2M_INVALID);
	return (xb_xen_pfn_t)d->p2m[pfn] - 1;
}

/* set_phys_to_machine() for a run of frames (pv only). */
static void p2m_set(struct xb_driver *d, xb_pfn_t pfn, uint64_t n,
		    xb_xen_pfn_t mfn)
{
	if (!is_pv(d))
		return;
	for (uint64_t i = 0; i < n; i++)
		d->p2m[pfn + i] = (uint32_t)(mfn + i + 1);
}

static void p2m_clear(struct xb_driver *d, xb_pfn_t pfn, uint64_t n)
{
	if (!is_pv(d))
		return;
	for (uint64_t i = 0; i < n; i++)
		d->p2m[pfn + i] = P2M_INVALID;
}

/*
 * A pv guest's kernel maps all its memory (the direct map) with 4 KiB
 * entries: a page it gives back is unmapped, and one it gets back mapped,
 * each with one HYPERVISOR_update_va_mapping (Linux 6.1
 * xenmem_reservation_va_mapping_reset() and _update(), drivers/xen/
 * mem-reservation.c), so a 2 MiB page takes 512. With the multicall knob
 * (our addition, not in Linux's balloon driver) the n updates of one
 * operation go in multicalls of XB_MC_BATCH, as Linux's xen_mc_entry()
 * batches its other MMU updates. Boot memory is mapped by the domain
 * builder, not counted.
 */
static void va_mapping_updates(struct xb_driver *d, uint64_t n)
{
	struct xb_hypercall_stat *s = &d->be->stats.update_va_mapping;

	if (!is_pv(d) || n == 0)
		return;
	s->calls +=
	    d->knobs.multicall ? (n + XB_MC_BATCH - 1) / XB_MC_BATCH : n;
	s->extents += n;
	s->pages += n;
}

/* The huge queue holds whole 2 MiB pages the guest gave back. */
static void huge_enqueue(struct xb_driver *d, xb_pfn_t pfn)
{
	xb_zone_set_state(d->zone, pfn, XB_FRAME_UNPOPULATED, d->huge_owner);
	xb_flist_push(&d->huge, d->zone->frames, pfn);
}

/* A populated order-0 page of the batch becomes a 4 KiB balloon page. */
static void small_enqueue(struct xb_driver *d, xb_pfn_t pfn)
{
	xb_zone_set_state(d->zone, pfn, XB_FRAME_UNPOPULATED, d->small.owner);
	xb_balloon_page_enqueue(&d->small, pfn);
}

/* An unpopulated balloon block was populated: give it to the allocator
 * (free_reserved_page()). */
static void release_to_guest(struct xb_driver *d, xb_pfn_t pfn)
{
	xb_zone_set_state(d->zone, pfn, XB_FRAME_BALLOON,
			  d->zone->frames[pfn].owner);
	xb_zone_free(d->zone, pfn);
}

int xb_driver_init(struct xb_driver *d, struct xb_zone *z,
		   struct xb_backend *be, const struct xb_policy_ops *policy,
		   const struct xb_policy_knobs *knobs)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->zone = z;
	d->be = be;
	d->policy = policy;
	d->knobs = knobs ? *knobs : policy->defaults;
	rc = xb_guest_info(be, &d->guest);
	if (rc < 0)
		return rc;
	if (d->knobs.batch == 0 || d->knobs.batch > XB_FRAME_LIST)
		return -EINVAL;
	/* The driver balloons one zone: the whole guest, or one vnode of a
	 * vNUMA guest (one driver per vnode, sharing the domain). Pfns are
	 * absolute: the P2M spans the guest's whole mem_map. */
	d->nr_frames = z->map->nr_frames;
	d->can_query = be->ops->query != NULL;
	d->schedule_delay = 1;
	d->retry_count = 1;
	d->state = XB_BP_DONE;
	xb_flist_init(&d->huge);
	xb_flist_init(&d->special);
	d->huge_owner = xb_zone_register_owner(z, "balloon-2m", NULL, NULL);
	d->special_owner =
	    xb_zone_register_owner(z, "balloon-special", NULL, NULL);
	d->batch_owner = xb_zone_register_owner(z, "balloon-batch", NULL, NULL);
	xb_balloon_dev_init(
	    &d->small, z, d->knobs.compaction ? policy->migratepage : NULL, d);
	if (is_pv(d)) {
		d->p2m = xb_map_zeroed(d->nr_frames * sizeof(*d->p2m));
		if (!d->p2m)
			return -ENOMEM;
	}
	/* Only the coalescing worker needs the balloon's pages by region. */
	if (xb_driver_has_worker(d) &&
	    xb_balloon_dev_track_regions(&d->small) < 0) {
		xb_driver_fini(d);
		return -ENOMEM;
	}
	return 0;
}

void xb_driver_share_p2m(struct xb_driver *d, const struct xb_driver *first)
{
	xb_assert(d->nr_frames == first->nr_frames && !first->p2m_shared);
	if (d->p2m && !d->p2m_shared)
		xb_unmap(d->p2m, d->nr_frames * sizeof(*d->p2m));
	d->p2m = first->p2m;
	d->p2m_shared = true;
}

void xb_driver_fini(struct xb_driver *d)
{
	if (d->p2m && !d->p2m_shared)
		xb_unmap(d->p2m, d->nr_frames * sizeof(*d->p2m));
	d->p2m = NULL;
	xb_balloon_dev_fini(&d->small);
}

/* ---- vNUMA ----------------------------------------------------------- */

int xb_driver_set_vnuma(struct xb_driver *d, unsigned nr, const uint64_t *pages)
{
	uint64_t end = 0;

	if (nr == 0 || nr > XB_MAX_NODES)
		return -EINVAL;
	for (unsigned v = 0; v < nr; v++) {
		/* Multiples of 4 MiB: no extent, no buddy block crosses. */
		if (!pages[v] || pages[v] % 1024)
			return -EINVAL;
		end += pages[v];
	}
	if (end != d->nr_frames)
		return -EINVAL;
	end = 0;
	for (unsigned v = 0; v < nr; v++) {
		end += pages[v];
		d->vnode_end[v] = end;
	}
	d->nr_vnodes = nr;
	return 0;
}

static unsigned vnode_of(const struct xb_driver *d, uint64_t pfn)
{
	unsigned v = 0;

	while (v + 1 < d->nr_vnodes && pfn >= d->vnode_end[v])
		v++;
	return v;
}

/*
 * XENMEM_populate_physmap of list[0..k), each extent on its vnode's node
 * exactly when `exact` (and the guest has vNUMA): the list is cut into
 * one call per run of extents on the same vnode, and the first call that
 * falls short ends it, so the result reads as one call's: the extents
 * done before the first failure (or a negative errno when the first call
 * could not be issued). A failed exact extent is a refused extent like
 * any other (the callers' 4 KiB fallback and EAGAIN). Extents never
 * cross a vnode: vnodes are multiples of 4 MiB.
 */
static long drv_populate(struct xb_driver *d, uint64_t k, unsigned order,
			 bool exact)
{
	uint64_t done = 0;

	if (!exact || !d->nr_vnodes)
		return xb_populate_physmap(d->be, d->frame_list, k, order);
	while (done < k) {
		/* pv populate writes mfns back: read the run's pfns first. */
		unsigned v = vnode_of(d, d->frame_list[done]);
		uint64_t end = done + 1;

		while (end < k && vnode_of(d, d->frame_list[end]) == v)
			end++;
		long rc = xb_populate_physmap_flags(d->be, d->frame_list + done,
						    end - done, order,
						    XB_MEMF_EXACT_VNODE(v));

		if (rc < 0)
			return done ? (long)done : rc;
		done += (uint64_t)rc;
		if (done < end)
			break;
	}
	return (long)done;
}

/* ---- boot ------------------------------------------------------------ */

/* Populate [pfn, pfn + n) at order 0 in frame_list batches; returns the
 * frames done before the first failure. */
static uint64_t boot_populate_small(struct xb_driver *d, xb_pfn_t pfn,
				    uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		uint64_t k = min64(n - done, XB_FRAME_LIST);

		for (uint64_t i = 0; i < k; i++)
			d->frame_list[i] = pfn + done + i;
		long rc = drv_populate(d, k, 0, true);

		for (long i = 0; i < rc; i++) {
			p2m_set(d, (xb_pfn_t)(pfn + done + i), 1,
				d->frame_list[i]);
			xb_zone_online(d->zone, (xb_pfn_t)(pfn + done + i), 0);
		}
		done += rc > 0 ? (uint64_t)rc : 0;
		if (rc < (long)k)
			break;
	}
	return done;
}

int xb_driver_boot(struct xb_driver *d, uint64_t memory, unsigned extent_order)
{
	struct xb_zone *z = d->zone;
	uint64_t pfn = z->start_pfn;
	uint64_t end = memory;

	xb_assert(memory <= z->map->nr_frames);
	/* This zone's part of the guest's first `memory` frames. */
	if (end > z->end_pfn)
		end = z->end_pfn;
	memory = end > pfn ? end : pfn;
	if (extent_order > d->guest.memop_max_order)
		extent_order = 0;
	/* The domain builder (libxenguest meminit) populates boot memory in
	 * superpage extents where it can and falls back to 4 KiB. */
	while (pfn < memory) {
		uint64_t n = 0;

		if (extent_order == XB_HUGE_ORDER &&
		    (pfn & (XB_HUGE_PAGES - 1)) == 0 &&
		    memory - pfn >= XB_HUGE_PAGES) {
			while (n < XB_FRAME_LIST &&
			       pfn + (n + 1) * XB_HUGE_PAGES <= memory) {
				d->frame_list[n] = pfn + n * XB_HUGE_PAGES;
				n++;
			}
			long rc = drv_populate(d, n, XB_HUGE_ORDER, true);

			for (long i = 0; i < rc; i++) {
				xb_pfn_t p =
				    (xb_pfn_t)(pfn +
					       (uint64_t)i * XB_HUGE_PAGES);

				p2m_set(d, p, XB_HUGE_PAGES, d->frame_list[i]);
				xb_zone_online(z, p, XB_HUGE_ORDER);
			}
			pfn += (rc > 0 ? (uint64_t)rc : 0) * XB_HUGE_PAGES;
			if (rc == (long)n)
				continue;
			/* The host has no 2 MiB block: this extent in 4K. */
			n = XB_HUGE_PAGES;
		} else {
			n = min64(memory - pfn, XB_FRAME_LIST);
			if (extent_order == XB_HUGE_ORDER)
				n = min64(n, XB_HUGE_PAGES -
						 (pfn & (XB_HUGE_PAGES - 1)));
		}
		uint64_t got = boot_populate_small(d, (xb_pfn_t)pfn, n);

		pfn += got;
		if (got < n)
			return -ENOMEM;
	}
	xb_zone_setup_watermarks(z);

	/* balloon_init() / balloon_add_region(): the rest of the guest's
	 * frames start in the balloon. */
	for (uint64_t p = memory; p < z->end_pfn;) {
		bool huge = d->knobs.huge && (p & (XB_HUGE_PAGES - 1)) == 0 &&
			    z->end_pfn - p >= XB_HUGE_PAGES;
		unsigned o = huge ? XB_HUGE_ORDER : 0;
		bool carved = xb_zone_carve(z, (xb_pfn_t)p, o);

		xb_assert(carved);
		if (huge) {
			huge_enqueue(d, (xb_pfn_t)p);
		} else {
			xb_zone_set_state(z, (xb_pfn_t)p, XB_FRAME_UNPOPULATED,
					  d->small.owner);
			xb_balloon_page_enqueue(&d->small, (xb_pfn_t)p);
		}
		d->balloon_low += 1ull << o;
		p += 1ull << o;
	}
	d->current_pages = memory - z->start_pfn;
	d->target_pages = d->current_pages;
	xb__driver_check(d);
	return 0;
}

/* ---- decrease (inflate) ----------------------------------------------- */

/*
 * Give back the k populated order-0 pages in pfn_list[] in one hypercall.
 * Pages the hypervisor took join the small queue; the rest go back to the
 * allocator (Linux BUG()s on a short decrease; the model requeues, as the
 * seed asks: "requeue on failure"). Returns frames given back.
 */
static uint64_t give_back_small(struct xb_driver *d, uint64_t k)
{
	long rc;
	uint64_t done;

	if (k == 0)
		return 0;
	for (uint64_t i = 0; i < k; i++)
		d->frame_list[i] = xb_driver_frame(d, d->pfn_list[i]);
	rc = xb_decrease_reservation(d->be, d->frame_list, k, 0);
	done = rc > 0 ? (uint64_t)rc : 0;
	for (uint64_t i = 0; i < k; i++) {
		xb_pfn_t pfn = d->pfn_list[i];

		if (i < done) {
			p2m_clear(d, pfn, 1);
			small_enqueue(d, pfn);
		} else {
			xb_zone_free(d->zone, pfn);
		}
	}
	va_mapping_updates(d, done);
	d->current_pages -= done;
	d->balloon_low += done;
	d->stats.small.inflated += done;
	if (done < k)
		d->stats.small.failed++;
	return done;
}

enum xb_bp_state xb_drv_decrease_small(struct xb_driver *d, uint64_t nr,
				       bool movable, uint64_t *done)
{
	enum xb_bp_state state = XB_BP_DONE;
	uint64_t n = min64(nr, d->knobs.batch), k = 0;

	for (; k < n; k++) {
		xb_pfn_t pfn;

		/* GFP_BALLOON: wakes kswapd, may reclaim once, never
		 * retries. The seed's small pages come from the core balloon
		 * device instead: balloon_page_alloc() asks for the same
		 * flags but movable (balloon_mapping_gfp_mask()). */
		if (movable)
			pfn = xb_balloon_page_alloc(&d->small, XB_GFP_BALLOON);
		else
			pfn = xb_zone_alloc(d->zone, 0, XB_MT_UNMOVABLE,
					    XB_GFP_BALLOON, d->batch_owner,
					    (uint32_t)k);
		if (pfn == XB_NIL) {
			state = XB_BP_EAGAIN;
			break;
		}
		d->pfn_list[k] = pfn;
	}
	uint64_t got = give_back_small(d, k);

	*done += got;
	if (got < k)
		state = XB_BP_EAGAIN;
	return state;
}

/* Can this populated 2 MiB page go back as one order-9 extent? On pv the
 * extent names machine frames, so they must be contiguous and aligned. */
static bool huge_extent_ok(const struct xb_driver *d, xb_pfn_t pfn)
{
	if (!is_pv(d))
		return true;
	uint32_t first = d->p2m[pfn];

	if (((first - 1) & (XB_HUGE_PAGES - 1)) != 0)
		return false;
	for (uint32_t i = 1; i < XB_HUGE_PAGES; i++)
		if (d->p2m[pfn + i] != first + i)
			return false;
	return true;
}

/* The migratetype of a 2 MiB balloon page (huge_gfp): gfp_migratetype()
 * of GFP_HIGHUSER or GFP_HIGHUSER_MOVABLE. */
static unsigned huge_mt(const struct xb_driver *d)
{
	return d->knobs.huge_gfp == XB_HUGE_GFP_MOVABLE ? XB_MT_MOVABLE
							: XB_MT_UNMOVABLE;
}

/*
 * The failed order-9 extent at pfn: Xen removed its frames one by one and
 * stopped at the first it could not, so some may be gone. Ask the backend
 * which, balloon those as 4 KiB pages and free (or, with split_refused,
 * give back as 4 KiB pages) the others. Returns frames ballooned.
 */
static uint64_t settle_failed_huge(struct xb_driver *d, xb_pfn_t pfn)
{
	uint64_t gone = 0, k = 0;
	xb_xen_pfn_t frames[XB_HUGE_PAGES]; /* the caller owns frame_list */
	bool populated[XB_HUGE_PAGES];
	int rc;

	xb_zone_split(d->zone, pfn, 0);
	for (uint32_t i = 0; i < XB_HUGE_PAGES; i++)
		frames[i] = xb_driver_frame(d, pfn + i);
	rc = xb_query_frames(d->be, frames, XB_HUGE_PAGES, populated);
	xb_assert(rc == 0);
	XB_UNUSED(rc);
	for (uint32_t i = 0; i < XB_HUGE_PAGES; i++) {
		xb_pfn_t p = pfn + i;

		if (!populated[i]) {
			p2m_clear(d, p, 1);
			small_enqueue(d, p);
			gone++;
		} else if (d->knobs.split_refused) {
			d->pfn_list[k++] = p;
		} else {
			xb_zone_free(d->zone, p);
		}
	}
	va_mapping_updates(d, gone);
	d->current_pages -= gone;
	d->balloon_low += gone;
	d->stats.small.inflated += gone;
	/* vmw: a refused huge page is split and its 4 KiB pages ballooned. */
	return gone + give_back_small(d, k);
}

enum xb_bp_state xb_drv_decrease_huge(struct xb_driver *d, uint64_t nr,
				      unsigned alloc_flags, uint64_t *done)
{
	uint64_t n = min64(nr, d->knobs.batch), k = 0;
	enum xb_bp_state state = XB_BP_DONE;
	xb_pfn_t pages[XB_FRAME_LIST];

	/* Without a P2M query a failed order-9 extent could not be settled
	 * (which of its frames did Xen already take?): do not try. */
	if (!d->can_query)
		return XB_BP_EAGAIN;
	/* The page's migratetype is the huge_gfp knob's (enum
	 * xb_huge_gfp): GFP_HIGHUSER as peer drivers ask, or
	 * GFP_HIGHUSER_MOVABLE. */
	while (k < n) {
		xb_pfn_t pfn =
		    xb_zone_alloc(d->zone, XB_HUGE_ORDER, huge_mt(d),
				  alloc_flags, d->batch_owner, (uint32_t)k);
		if (pfn == XB_NIL) {
			state = XB_BP_EAGAIN;
			break;
		}
		if (huge_extent_ok(d, pfn)) {
			pages[k++] = pfn;
			continue;
		}
		/* pv, machine frames not contiguous: 512 order-0 extents in
		 * a call of their own; the pages join the small queue. */
		xb_zone_split(d->zone, pfn, 0);
		for (uint32_t i = 0; i < XB_HUGE_PAGES; i++)
			d->pfn_list[i] = pfn + i;
		uint64_t got = give_back_small(d, XB_HUGE_PAGES);

		*done += got;
		n--;
		if (got < XB_HUGE_PAGES) {
			state = XB_BP_EAGAIN;
			break;
		}
	}
	if (k == 0)
		return state;
	for (uint64_t i = 0; i < k; i++)
		d->frame_list[i] = xb_driver_frame(d, pages[i]);
	long rc =
	    xb_decrease_reservation(d->be, d->frame_list, k, XB_HUGE_ORDER);
	uint64_t ok = rc > 0 ? (uint64_t)rc : 0;

	for (uint64_t i = 0; i < ok; i++) {
		p2m_clear(d, pages[i], XB_HUGE_PAGES);
		huge_enqueue(d, pages[i]);
	}
	for (uint64_t i = ok + 1; i < k; i++)
		xb_zone_free(d->zone, pages[i]);
	va_mapping_updates(d, ok * XB_HUGE_PAGES);
	d->current_pages -= ok * XB_HUGE_PAGES;
	d->balloon_low += ok * XB_HUGE_PAGES;
	d->stats.huge.inflated += ok * XB_HUGE_PAGES;
	*done += ok * XB_HUGE_PAGES;
	if (ok < k) {
		d->stats.huge.failed++;
		*done += settle_failed_huge(d, pages[ok]);
		state = XB_BP_EAGAIN;
	}
	return state;
}

/* ---- increase (deflate) ------------------------------------------------ */

enum xb_bp_state xb_drv_increase_small(struct xb_driver *d, uint64_t nr,
				       uint64_t *done)
{
	uint64_t n = min64(nr, d->knobs.batch), k = 0;

	for (; k < n; k++) {
		xb_pfn_t pfn = xb_balloon_page_dequeue(&d->small);

		if (pfn == XB_NIL)
			break;
		d->pfn_list[k] = pfn;
		d->frame_list[k] = pfn;
	}
	if (k == 0)
		return XB_BP_EAGAIN;
	long rc = drv_populate(d, k, 0, d->knobs.numa_exact);
	uint64_t ok = rc > 0 ? (uint64_t)rc : 0;

	for (uint64_t i = 0; i < ok; i++) {
		p2m_set(d, d->pfn_list[i], 1, d->frame_list[i]);
		release_to_guest(d, d->pfn_list[i]);
	}
	/* Put the rest back in their order: the list head is LIFO. */
	for (uint64_t i = k; i > ok; i--)
		xb_balloon_page_enqueue(&d->small, d->pfn_list[i - 1]);
	va_mapping_updates(d, ok);
	d->current_pages += ok;
	d->balloon_low -= ok;
	d->stats.small.deflated += ok;
	*done += ok;
	if (ok < k)
		d->stats.small.failed++;
	/* increase_reservation(): any progress is BP_DONE; none is EAGAIN. */
	return ok > 0 ? XB_BP_DONE : XB_BP_EAGAIN;
}

/* Turn the unpopulated 2 MiB page at pfn into 512 small balloon pages. */
static void huge_to_small(struct xb_driver *d, xb_pfn_t pfn)
{
	xb_zone_split(d->zone, pfn, 0);
	/* Enqueued top-down so that the list head is the lowest frame. */
	for (int i = XB_HUGE_PAGES - 1; i >= 0; i--) {
		xb_pfn_t p = pfn + (xb_pfn_t)i;

		xb_zone_set_state(d->zone, p, XB_FRAME_UNPOPULATED,
				  d->small.owner);
		xb_balloon_page_enqueue(&d->small, p);
	}
}

bool xb_drv_split_huge(struct xb_driver *d)
{
	xb_pfn_t pfn = xb_flist_pop(&d->huge, d->zone->frames);

	if (pfn == XB_NIL)
		return false;
	huge_to_small(d, pfn);
	return true;
}

enum xb_bp_state xb_drv_increase_huge(struct xb_driver *d, uint64_t nr,
				      uint64_t *done)
{
	uint64_t n = min64(nr, d->knobs.batch), k = 0;
	xb_pfn_t pages[XB_FRAME_LIST];

	for (; k < n; k++) {
		xb_pfn_t pfn = xb_flist_pop(&d->huge, d->zone->frames);

		if (pfn == XB_NIL)
			break;
		pages[k] = pfn;
		d->frame_list[k] = pfn;
	}
	if (k == 0)
		return XB_BP_EAGAIN;
	long rc = drv_populate(d, k, XB_HUGE_ORDER, d->knobs.numa_exact);
	uint64_t ok = rc > 0 ? (uint64_t)rc : 0;

	for (uint64_t i = 0; i < ok; i++) {
		p2m_set(d, pages[i], XB_HUGE_PAGES, d->frame_list[i]);
		release_to_guest(d, pages[i]);
	}
	va_mapping_updates(d, ok * XB_HUGE_PAGES);
	d->current_pages += ok * XB_HUGE_PAGES;
	d->balloon_low -= ok * XB_HUGE_PAGES;
	d->stats.huge.deflated += ok * XB_HUGE_PAGES;
	*done += ok * XB_HUGE_PAGES;
	if (ok == k)
		return XB_BP_DONE;

	/* Figure 1: the host cannot give a 2 MiB extent: split the page
	 * and populate it 4 KiB at a time; the pages after it go back. */
	d->stats.huge.failed++;
	for (uint64_t i = k - 1; i > ok; i--)
		xb_flist_push(&d->huge, d->zone->frames, pages[i]);
	huge_to_small(d, pages[ok]);
	uint64_t before = *done;
	enum xb_bp_state st = xb_drv_increase_small(d, XB_HUGE_PAGES, done);

	return ok > 0 || *done > before ? XB_BP_DONE : st;
}

/* ---- balloon_process ---------------------------------------------------- */

uint64_t xb_drv_mem_available(const struct xb_driver *d)
{
	const struct xb_zone *z = d->zone;
	uint64_t reserve = z->watermark[XB_WMARK_HIGH];
	uint64_t free = xb_zone_free_pages(z);
	int64_t avail = (int64_t)free - (int64_t)reserve;

	if (z->ops && z->ops->reclaimable) {
		uint64_t cache = z->ops->reclaimable(z, z->ops_priv);

		cache -= min64(cache / 2, z->watermark[XB_WMARK_LOW]);
		avail += (int64_t)cache;
	}
	return avail > 0 ? (uint64_t)avail : 0;
}

void xb_driver_set_target(struct xb_driver *d, uint64_t pages)
{
	d->target_pages = pages;
	/* A new target restarts the worker's back-off. */
	d->schedule_delay = 1;
	d->retry_count = 1;
	d->state = XB_BP_DONE;
}

void xb_driver_move_target(struct xb_driver *d, uint64_t pages)
{
	d->target_pages = pages;
}

/* update_schedule() */
static enum xb_bp_state update_schedule(struct xb_driver *d,
					enum xb_bp_state state)
{
	if (state == XB_BP_WAIT || state == XB_BP_ECANCELED)
		return state;
	if (state == XB_BP_DONE) {
		d->schedule_delay = 1;
		d->retry_count = 1;
		return XB_BP_DONE;
	}
	d->retry_count++;
	if (d->knobs.max_retry_count != 0 &&
	    d->retry_count > d->knobs.max_retry_count) {
		d->schedule_delay = 1;
		d->retry_count = 1;
		d->stats.gave_up++;
		return XB_BP_ECANCELED;
	}
	d->schedule_delay <<= 1;
	if (d->schedule_delay > d->knobs.max_schedule_delay)
		d->schedule_delay = d->knobs.max_schedule_delay;
	return XB_BP_EAGAIN;
}

uint64_t xb_driver_process(struct xb_driver *d)
{
	enum xb_bp_state state;
	int64_t credit;

	d->stats.process_runs++;
	do {
		uint64_t done = 0;

		credit = (int64_t)d->target_pages - (int64_t)d->current_pages;
		state = XB_BP_DONE;
		if (credit > 0) {
			if (d->balloon_low + d->balloon_high > 0) {
				state = d->policy->increase(d, (uint64_t)credit,
							    &done);
			} else {
				/* reserve_additional_memory() without memory
				 * hotplug: nothing to populate, give up. */
				d->target_pages = d->current_pages;
				state = XB_BP_ECANCELED;
			}
		} else if (credit < 0) {
			uint64_t want = (uint64_t)-credit;
			uint64_t n = min64(want, xb_drv_mem_available(d));

			state = d->policy->decrease(d, n, &done);
			if (state == XB_BP_DONE && n != want &&
			    n < d->zone->watermark[XB_WMARK_HIGH])
				state = XB_BP_EAGAIN;
		}
		/* A step that claims success without progress would spin. */
		if (credit != 0 && state == XB_BP_DONE && done == 0)
			state = XB_BP_EAGAIN;
		state = update_schedule(d, state);
		xb__driver_check(d);
	} while (credit != 0 && state == XB_BP_DONE);
	d->state = state;
	return state == XB_BP_EAGAIN ? d->schedule_delay : 0;
}

/* ---- special-purpose pages (foreign mappings) -------------------------- */

int xb_driver_alloc_special(struct xb_driver *d, uint64_t nr)
{
	uint64_t have = d->small.nr_pages + d->huge.nr * XB_HUGE_PAGES;

	/* add_ballooned_pages(): without hotplug, balloon out what is
	 * missing, if the guest has it to spare. */
	if (have < nr) {
		uint64_t need = nr - have;

		if (xb_drv_mem_available(d) < need)
			return -ENOMEM;
		while (need > 0) {
			uint64_t done = 0;

			xb_drv_decrease_small(d, need, d->knobs.compaction,
					      &done);
			if (done == 0)
				return -ENOMEM;
			need -= min64(done, need);
		}
	}
	for (uint64_t i = 0; i < nr; i++) {
		/* balloon_retrieve(): small pages first, then split a 2 MiB
		 * page (it cannot be handed out whole). */
		if (d->small.nr_pages == 0 && !xb_drv_split_huge(d))
			return -ENOMEM; /* cannot happen: counted above */
		xb_pfn_t pfn = xb_balloon_page_dequeue(&d->small);

		xb_zone_set_state(d->zone, pfn, XB_FRAME_UNPOPULATED,
				  d->special_owner);
		xb_flist_push(&d->special, d->zone->frames, pfn);
		d->balloon_low--;
	}
	d->stats.special_taken += nr;
	xb__driver_check(d);
	return 0;
}

void xb_driver_free_special(struct xb_driver *d, uint64_t nr)
{
	for (uint64_t i = 0; i < nr; i++) {
		xb_pfn_t pfn = xb_flist_pop(&d->special, d->zone->frames);

		if (pfn == XB_NIL)
			break;
		/* balloon_append() */
		xb_zone_set_state(d->zone, pfn, XB_FRAME_UNPOPULATED,
				  d->small.owner);
		xb_balloon_page_enqueue(&d->small, pfn);
		d->balloon_low++;
		d->stats.special_returned++;
	}
	xb__driver_check(d);
}

/* ---- the seed: migration callback and exchange worker ------------------ */

int xb_drv_migratepage(struct xb_balloon_dev *b, xb_pfn_t newpage,
		       xb_pfn_t page)
{
	struct xb_driver *d = b->priv;
	int rc;

	if (is_pv(d)) {
		/* XENMEM_exchange: newpage's machine frame for a fresh one
		 * behind page; atomic, and not counted against max_pages, so
		 * it works at the target. */
		xb_xen_pfn_t in = xb_driver_frame(d, newpage);
		xb_xen_pfn_t out = page;
		struct xb_exchange x = {.in = &in,
					.nr_in = 1,
					.in_order = 0,
					.out = &out,
					.nr_out = 1,
					.out_order = 0};
		uint64_t nr = 0;

		rc = xb_exchange(d->be, &x, &nr);
		if (rc == 0 && nr == 1) {
			/* newpage's mapping goes, page's comes. */
			p2m_clear(d, newpage, 1);
			p2m_set(d, page, 1, out);
			va_mapping_updates(d, 2);
		}
	} else {
		/* Xen refuses exchange for hvm/pvh since XSA-217. What a guest
		 * can issue on itself is XENMEM_add_to_physmap: with
		 * XENMAPSPACE_gmfn newpage's frame moves behind page, contents
		 * and all, with no allocation; newpage is left unpopulated. */
		uint64_t nr = 0;

		rc = xb_add_to_physmap(d->be, XB_MAPSPACE_GMFN, newpage, page,
				       1, &nr);
	}
	if (rc == 0)
		d->stats.small.migrated++;
	return rc < 0 ? rc : 0;
}

/*
 * Pick the 512 small balloon pages to coalesce: whole 2 MiB regions first,
 * the regions holding the most small balloon pages first, so that giving
 * them back completes populated 2 MiB regions of the guest. The balloon
 * device keeps its pages by region (struct xb_balloon_regions), so this
 * costs O(512) per 2 MiB page, not a walk of the balloon.
 */
static uint64_t pick_coalesce_victims(struct xb_driver *d, xb_pfn_t *out)
{
	return xb_balloon_dev_pick_regions(&d->small, out, XB_HUGE_PAGES);
}

static int cmp_pfn(const void *a, const void *b)
{
	xb_pfn_t x = *(const xb_pfn_t *)a, y = *(const xb_pfn_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * hvm/pvh: move the 2 MiB page's frames behind the (sorted) victims in one
 * hypercall: XENMEM_add_to_physmap with XENMAPSPACE_gmfn_range when the
 * victims are one run of 512 gfns (a whole region of small balloon
 * pages), else XENMEM_add_to_physmap_batch with 512 XENMAPSPACE_gmfn
 * entries (the batch refuses gmfn_range). Both carry up to 65535 frames,
 * so a 2 MiB page never needs a second call. A range moves a prefix and
 * stops at its first failure; a batch entry fails alone. Sets moved[i]
 * for every victim that received its frame; returns how many did.
 */
static uint64_t coalesce_add_to_physmap(struct xb_driver *d, xb_pfn_t g,
					const xb_pfn_t *v, bool *moved)
{
	xb_xen_pfn_t gpfns[XB_HUGE_PAGES];
	int errs[XB_HUGE_PAGES];
	uint64_t done = 0, n = 0;

	if (v[XB_HUGE_PAGES - 1] == v[0] + XB_HUGE_PAGES - 1) {
		xb_add_to_physmap(d->be, XB_MAPSPACE_GMFN_RANGE, g, v[0],
				  XB_HUGE_PAGES, &done);
		for (uint32_t i = 0; i < XB_HUGE_PAGES; i++)
			moved[i] = i < done;
		return done;
	}
	for (uint32_t i = 0; i < XB_HUGE_PAGES; i++) {
		d->frame_list[i] = g + i;
		gpfns[i] = v[i];
	}
	xb_add_to_physmap_batch(d->be, XB_MAPSPACE_GMFN, d->frame_list, gpfns,
				XB_HUGE_PAGES, errs, &done);
	for (uint32_t i = 0; i < XB_HUGE_PAGES; i++) {
		moved[i] = i < done && errs[i] == 0;
		n += moved[i];
	}
	return n;
}

/* pv: XENMEM_exchange of the 2 MiB page's frames (one order-9 extent when
 * contiguous) for 512 fresh frames behind the victims; all or nothing
 * when the input is one chunk. Returns frames exchanged (prefix). */
static uint64_t coalesce_exchange(struct xb_driver *d, xb_pfn_t g, xb_pfn_t *v)
{
	xb_xen_pfn_t in[XB_HUGE_PAGES];
	struct xb_exchange x = {.in = in,
				.out = d->frame_list,
				.nr_out = XB_HUGE_PAGES,
				.out_order = 0};
	uint64_t nr = 0;

	for (uint32_t i = 0; i < XB_HUGE_PAGES; i++)
		d->frame_list[i] = v[i];
	if (huge_extent_ok(d, g)) {
		in[0] = xb_driver_frame(d, g);
		x.nr_in = 1;
		x.in_order = XB_HUGE_ORDER;
	} else {
		for (uint32_t i = 0; i < XB_HUGE_PAGES; i++)
			in[i] = xb_driver_frame(d, g + i);
		x.nr_in = XB_HUGE_PAGES;
		x.in_order = 0;
	}
	xb_exchange(d->be, &x, &nr);
	uint64_t moved = nr << x.in_order;

	p2m_clear(d, g, moved);
	for (uint64_t i = 0; i < moved; i++)
		p2m_set(d, v[i], 1, d->frame_list[i]);
	va_mapping_updates(d, 2 * moved);
	return moved;
}

bool xb_drv_coalesce(struct xb_driver *d)
{
	xb_pfn_t v[XB_HUGE_PAGES];
	bool moved[XB_HUGE_PAGES];
	uint64_t nmoved;

	if (d->small.nr_pages < XB_HUGE_PAGES)
		return false;
	/* The index exists from init when the worker does; a caller
	 * without the worker gets it built from the list on first use. */
	if (!d->small.regions && xb_balloon_dev_track_regions(&d->small) < 0)
		return false;
	/* GFP_HIGHUSER | __GFP_NORETRY, with the migratetype of the
	 * balloon's other 2 MiB pages (huge_gfp): the costly __GFP_NORETRY
	 * slow path (async compaction; when it ran, one reclaim and one more
	 * async run). */
	xb_pfn_t g = xb_zone_alloc(d->zone, XB_HUGE_ORDER, huge_mt(d),
				   XB_GFP_BALLOON, d->batch_owner, 0);
	if (g == XB_NIL) {
		d->stats.huge.failed++;
		return false;
	}
	uint64_t nv = pick_coalesce_victims(d, v);

	xb_assert(nv == XB_HUGE_PAGES);
	qsort(v, XB_HUGE_PAGES, sizeof(v[0]), cmp_pfn);
	for (uint32_t i = 0; i < XB_HUGE_PAGES; i++)
		xb_balloon_page_remove(&d->small, v[i]);

	if (is_pv(d)) {
		nmoved = coalesce_exchange(d, g, v);
		for (uint32_t i = 0; i < XB_HUGE_PAGES; i++)
			moved[i] = i < nmoved;
	} else {
		nmoved = coalesce_add_to_physmap(d, g, v, moved);
	}
	/* The victims that received a frame go back to the guest. */
	for (uint64_t i = 0; i < XB_HUGE_PAGES; i++) {
		if (moved[i])
			release_to_guest(d, v[i]);
		else
			xb_balloon_page_enqueue(&d->small, v[i]);
	}
	if (nmoved == XB_HUGE_PAGES) {
		huge_enqueue(d, g);
		d->stats.huge.coalesced++;
		xb__driver_check(d);
		return true;
	}
	/* Partial: the moved frames of g are now unpopulated (4 KiB balloon
	 * pages), the rest goes back to the guest. Nothing is lost. */
	d->stats.huge.failed++;
	xb_zone_split(d->zone, g, 0);
	for (uint64_t i = 0; i < XB_HUGE_PAGES; i++) {
		if (moved[i])
			small_enqueue(d, g + (xb_pfn_t)i);
		else
			xb_zone_free(d->zone, g + (xb_pfn_t)i);
	}
	xb__driver_check(d);
	return false;
}

bool xb_driver_has_worker(const struct xb_driver *d)
{
	return d->policy->worker && d->knobs.exchange;
}

void xb_driver_worker(struct xb_driver *d)
{
	if (xb_driver_has_worker(d))
		d->policy->worker(d);
}

/* ---- checker ------------------------------------------------------------ */

/*
 * Ballooned gfns waiting for one batched P2M query: the checker asks the
 * backend 512 at a time, so it needs no memory in proportion to the
 * balloon (a 1 TiB guest can balloon 2^26 of them).
 */
struct gfn_batch {
	xb_xen_pfn_t gfn[XB_FRAME_LIST];
	bool populated[XB_FRAME_LIST];
	unsigned n;
};

/* Every gfn of the batch must be unpopulated in the backend's P2M. A
 * backend that cannot answer is not asked again (the mock always can). */
static bool flush_gfns(struct xb_driver *d, struct gfn_batch *b)
{
	unsigned n = b->n;

	b->n = 0;
	if (xb_query_frames(d->be, b->gfn, n, b->populated) < 0)
		return true;
	for (unsigned i = 0; i < n; i++)
		XB_CHECK(!b->populated[i],
			 "driver: ballooned gfn %lu is populated in the "
			 "backend",
			 (unsigned long)b->gfn[i]);
	return true;
}

/* A queued page's frames are unpopulated in the zone; pv: without an mfn;
 * hvm/pvh: unpopulated in the backend too. */
static bool queue_frame_ok(struct xb_driver *d, xb_pfn_t pfn, uint32_t owner,
			   unsigned order, struct gfn_batch *b)
{
	const struct xb_frame *f = &d->zone->frames[pfn];

	XB_CHECK(f->state == XB_FRAME_UNPOPULATED && f->owner == owner &&
		     f->order == order,
		 "driver: queued pfn %u is %s owner %u order %u, expected "
		 "unpopulated owner %u order %u",
		 pfn, xb_frame_state_name(f->state), f->owner, f->order, owner,
		 order);
	for (uint64_t i = 0; i < (1ull << order); i++) {
		if (is_pv(d)) {
			XB_CHECK(d->p2m[pfn + i] == P2M_INVALID,
				 "driver: ballooned pfn %lu has an mfn",
				 (unsigned long)(pfn + i));
			continue;
		}
		b->gfn[b->n++] = pfn + i;
		if (b->n == XB_FRAME_LIST && !flush_gfns(d, b))
			return false;
	}
	return true;
}

static bool queues_ok(struct xb_driver *d, struct gfn_batch *b)
{
	struct xb_zone *z = d->zone;
	uint64_t n = 0;

	for (xb_pfn_t p = d->huge.head; p != XB_NIL; p = z->frames[p].next) {
		if (!queue_frame_ok(d, p, d->huge_owner, XB_HUGE_ORDER, b))
			return false;
		n++;
	}
	XB_CHECK(n == d->huge.nr, "driver: huge queue has %lu pages, count %lu",
		 (unsigned long)n, (unsigned long)d->huge.nr);
	n = 0;
	for (xb_pfn_t p = d->special.head; p != XB_NIL; p = z->frames[p].next) {
		if (!queue_frame_ok(d, p, d->special_owner, 0, b))
			return false;
		n++;
	}
	XB_CHECK(n == d->special.nr,
		 "driver: special queue has %lu pages, "
		 "count %lu",
		 (unsigned long)n, (unsigned long)d->special.nr);
	for (xb_pfn_t p = d->small.head; p != XB_NIL; p = z->frames[p].next)
		if (!queue_frame_ok(d, p, d->small.owner, 0, b))
			return false;
	return b->n == 0 || flush_gfns(d, b);
}

bool xb__driver_is_valid(struct xb_driver *d)
{
	struct xb_zone *z = d->zone;
	uint64_t tot = 0, max = 0;
	struct gfn_batch b = {.n = 0};

	if (!xb__balloon_dev_is_valid(&d->small) || !queues_ok(d, &b))
		return false;
	for (unsigned v = 0; v < d->nr_vnodes; v++)
		XB_CHECK(d->vnode_end[v] % 1024 == 0 &&
			     d->vnode_end[v] > (v ? d->vnode_end[v - 1] : 0) &&
			     (v + 1 < d->nr_vnodes ||
			      d->vnode_end[v] == d->nr_frames),
			 "driver: vnode %u ends at pfn %lu", v,
			 (unsigned long)d->vnode_end[v]);
	XB_CHECK(d->balloon_low == d->huge.nr * XB_HUGE_PAGES +
				       d->small.nr_pages +
				       d->small.isolated_pages,
		 "driver: balloon_low %lu, queues hold %lu",
		 (unsigned long)d->balloon_low,
		 (unsigned long)(d->huge.nr * XB_HUGE_PAGES +
				 d->small.nr_pages + d->small.isolated_pages));
	XB_CHECK(z->nr_state[XB_FRAME_UNPOPULATED] ==
		     d->balloon_low + d->special.nr,
		 "driver: zone has %lu unpopulated frames, balloon %lu + "
		 "special %lu",
		 (unsigned long)z->nr_state[XB_FRAME_UNPOPULATED],
		 (unsigned long)d->balloon_low, (unsigned long)d->special.nr);
	XB_CHECK(d->current_pages == z->managed,
		 "driver: current_pages %lu, zone has %lu populated",
		 (unsigned long)d->current_pages, (unsigned long)z->managed);
	if (d->shares_domain)
		return true; /* the run checks the sum over the vnodes */
	XB_CHECK(xb_reservation(d->be, &tot, &max) == 0,
		 "driver: no reservation");
	XB_CHECK(d->current_pages == tot,
		 "driver: current_pages %lu, backend tot_pages %lu",
		 (unsigned long)d->current_pages, (unsigned long)tot);
	return true;
}
