/*
 * Content verification around the driver's hypercalls (see
 * include/xballoon/verify.h): stamp in-use frames near what a call touches,
 * read them back after it; the sources of a move (add_to_physmap, its
 * batch, relocate) must arrive at their destinations with their contents.
 */
#include <string.h>

#include "xballoon/backend.h"
#include "xballoon/debug.h"
#include "xballoon/verify.h"
#include "xballoon/zone.h"

#define REGION_FRAMES 512u
#define MAX_REGIONS   (XB_VERIFY_MAX / XB_VERIFY_PER_REGION / 2)

void xb_verify_init(struct xb_verifier *v, struct xb_driver *drv,
		    bool (*is_data_owner)(void *priv, uint32_t owner),
		    void *priv)
{
	memset(v, 0, sizeof(*v));
	v->drv = drv;
	v->is_data_owner = is_data_owner;
	v->priv = priv;
}

static bool is_pv(const struct xb_verifier *v)
{
	return v->drv->guest.type == XB_GUEST_PV;
}

/* A stamp fills the whole frame: word i holds stamp + i. */
static void fill(uint8_t *buf, uint64_t stamp)
{
	for (unsigned i = 0; i < XB_PAGE_SIZE / 8; i++) {
		uint64_t w = stamp + i;

		memcpy(buf + 8 * i, &w, 8);
	}
}

static bool holds(const uint8_t *buf, uint64_t stamp)
{
	for (unsigned i = 0; i < XB_PAGE_SIZE / 8; i++) {
		uint64_t w;

		memcpy(&w, buf + 8 * i, 8);
		if (w != stamp + i)
			return false;
	}
	return true;
}

/* Stamp the frame behind @pfn (data plane frame: gfn, or pv mfn) and
 * watch it; false when the backend has no data plane for it. */
static bool watch(struct xb_verifier *v, xb_xen_pfn_t frame, xb_pfn_t pfn,
		  xb_pfn_t to, bool moves, uint64_t move_idx)
{
	struct xb_verify_watch *w;
	uint64_t stamp;

	if (v->nr == XB_VERIFY_MAX)
		return false;
	stamp = ++v->seq * 0x9e3779b97f4a7c15ull;
	fill(v->buf, stamp);
	if (xb_write_frame(v->drv->be, frame, v->buf) < 0)
		return false;
	w = &v->watch[v->nr++];
	*w = (struct xb_verify_watch){.pfn = to,
				      .from = pfn,
				      .stamp = stamp,
				      .moves = moves,
				      .move_idx = move_idx};
	return true;
}

/* Watch up to XB_VERIFY_PER_REGION in-use data pages of pfn's region. */
static void watch_region(struct xb_verifier *v, xb_pfn_t pfn)
{
	/* The guest's whole mem_map: a vNUMA guest's region may lie in
	 * another vnode's zone than v->drv's (the P2M is shared). */
	const struct xb_memmap *map = v->drv->zone->map;
	xb_pfn_t first = pfn & ~(xb_pfn_t)(REGION_FRAMES - 1);
	unsigned taken = 0;

	for (xb_pfn_t p = first;
	     p < first + REGION_FRAMES && p < map->nr_frames &&
	     taken < XB_VERIFY_PER_REGION;
	     p++) {
		const struct xb_frame *f = &map->frames[p];

		if (f->state != XB_FRAME_ALLOC ||
		    !v->is_data_owner(v->priv, f->owner))
			continue;
		if (watch(v, xb_driver_frame(v->drv, p), p, p, false, 0))
			taken++;
	}
}

/* The regions a call touches, in pfn space (pv decrease and exchange
 * inputs are machine frames: their regions are not known here). */
static void watch_regions(struct xb_verifier *v, const xb_xen_pfn_t *pfns,
			  uint64_t n, unsigned order)
{
	xb_pfn_t seen[MAX_REGIONS];
	unsigned nr_seen = 0;

	for (uint64_t i = 0; i < n && nr_seen < MAX_REGIONS; i++) {
		xb_pfn_t r = (xb_pfn_t)(pfns[i] << order) / REGION_FRAMES;
		bool dup = false;

		if (pfns[i] >= v->drv->zone->map->nr_frames)
			continue;
		for (unsigned j = 0; j < nr_seen && !dup; j++)
			dup = seen[j] == r;
		if (dup)
			continue;
		seen[nr_seen++] = r;
		watch_region(v, r * REGION_FRAMES);
	}
}

void xb_verify_before(struct xb_verifier *v, const struct xb_trace_rec *rec)
{
	xb_assert(v->nr == 0);
	switch (rec->op) {
	case XB_TRACE_POPULATE:
		watch_regions(v, rec->extents, rec->nr, 0);
		break;
	case XB_TRACE_DECREASE:
		if (!is_pv(v))
			watch_regions(v, rec->extents, rec->nr, 0);
		break;
	case XB_TRACE_EXCHANGE:
		watch_regions(v, rec->out, rec->nr_out, 0);
		break;
	case XB_TRACE_RELOCATE:
	case XB_TRACE_ADD_TO_PHYSMAP: {
		/* hvm/pvh only (Xen refuses both on pv): gfn == pfn. */
		uint64_t n = MIN(rec->nr, (uint64_t)XB_VERIFY_MAX / 2);

		if (is_pv(v))
			break;
		for (uint64_t i = 0; i < n; i++)
			watch(v, rec->src + i, (xb_pfn_t)(rec->src + i),
			      (xb_pfn_t)(rec->dst + i), true, i);
		watch_regions(v, &rec->src, 1, 0);
		watch_regions(v, &rec->dst, 1, 0);
		break;
	}
	case XB_TRACE_ADD_TO_PHYSMAP_BATCH: {
		uint64_t n = MIN(rec->nr, (uint64_t)XB_VERIFY_MAX / 2);

		if (is_pv(v))
			break;
		for (uint64_t i = 0; i < n; i++)
			watch(v, rec->extents[i], (xb_pfn_t)rec->extents[i],
			      (xb_pfn_t)rec->out[i], true, i);
		watch_regions(v, rec->extents, rec->nr, 0);
		watch_regions(v, rec->out, rec->nr, 0);
		break;
	}
	}
}

/* Did the move of watch @w happen? Relocate and add_to_physmap move a
 * prefix of their frames; a batch's entries each succeed or fail. */
static bool moved(const struct xb_verify_watch *w,
		  const struct xb_trace_rec *rec)
{
	if (w->move_idx >= rec->progress)
		return false;
	return rec->op != XB_TRACE_ADD_TO_PHYSMAP_BATCH ||
	       rec->errs[w->move_idx] == 0;
}

void xb_verify_after(struct xb_verifier *v, const struct xb_trace_rec *rec)
{
	for (unsigned i = 0; i < v->nr; i++) {
		const struct xb_verify_watch *w = &v->watch[i];
		/* A source the call did not move stays where it was. */
		xb_pfn_t at = w->moves && !moved(w, rec) ? w->from : w->pfn;
		xb_xen_pfn_t frame =
		    w->moves ? at : xb_driver_frame(v->drv, at);

		v->checked++;
		if (xb_read_frame(v->drv->be, frame, v->buf) < 0 ||
		    !holds(v->buf, w->stamp))
			v->mismatches++;
	}
	v->nr = 0;
}
