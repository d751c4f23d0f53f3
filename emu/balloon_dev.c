/*
 * The core balloon device: the list of 4 KiB balloon pages and the movable
 * ops through which compaction isolates, migrates and puts them back.
 * Modeled on Linux 6.1 mm/balloon_compaction.c (balloon_page_enqueue,
 * balloon_page_dequeue, balloon_page_isolate/migrate/putback).
 */
#include <errno.h>
#include <glib.h>

#include "xballoon/balloon_dev.h"
#include "xballoon/movable.h"
#include "xballoon/check.h"
#include "xballoon/mem.h"

/* ---- listed pages by 2 MiB region (struct xb_balloon_regions) -------- */

static void bucket_unlink(struct xb_balloon_regions *rg, uint64_t r)
{
	uint32_t n = rg->next[r], p = rg->prev[r];

	if (p)
		rg->next[p - 1] = n;
	else
		rg->head[rg->count[r]] = n;
	if (n)
		rg->prev[n - 1] = p;
	rg->next[r] = rg->prev[r] = 0;
}

static void bucket_push(struct xb_balloon_regions *rg, uint64_t r)
{
	uint32_t *h = &rg->head[rg->count[r]];

	rg->prev[r] = 0;
	rg->next[r] = *h;
	if (*h)
		rg->prev[*h - 1] = (uint32_t)(r + 1);
	*h = (uint32_t)(r + 1);
	if (rg->count[r] > rg->top)
		rg->top = rg->count[r];
}

/* pfn joins (+1) or leaves (-1) the list: move its region one bucket. */
static void region_note(struct xb_balloon_regions *rg, xb_pfn_t pfn, int d)
{
	uint64_t r = pfn >> XB_BALLOON_REGION_ORDER;
	uint64_t *w = &rg->bits[r * XB_BALLOON_REGION_WORDS +
				(pfn % XB_BALLOON_REGION_PAGES) / 64];
	uint64_t bit = 1ull << (pfn % 64);

	xb_assert(!(*w & bit) == (d > 0));
	*w ^= bit;
	if (rg->count[r])
		bucket_unlink(rg, r);
	rg->count[r] = (uint16_t)(rg->count[r] + d);
	if (rg->count[r])
		bucket_push(rg, r);
}

/* ---- the page list, threaded through frame next/prev ------------------ */

static void list_add_head(struct xb_balloon_dev *b, xb_pfn_t pfn)
{
	struct xb_frame *f = &b->zone->frames[pfn];

	f->prev = XB_NIL;
	f->next = b->head;
	if (b->head != XB_NIL)
		b->zone->frames[b->head].prev = pfn;
	else
		b->tail = pfn;
	b->head = pfn;
	b->nr_pages++;
	if (b->regions)
		region_note(b->regions, pfn, +1);
}

static void list_unlink(struct xb_balloon_dev *b, xb_pfn_t pfn)
{
	struct xb_frame *f = &b->zone->frames[pfn];

	/* Incremental invariants, O(1), at every debug level: the list is
	 * not empty, and the page's neighbours (or the list's ends) point
	 * back at it. */
	xb_assert(b->nr_pages > 0);
	if (f->prev != XB_NIL) {
		xb_assert(b->zone->frames[f->prev].next == pfn);
		b->zone->frames[f->prev].next = f->next;
	} else {
		xb_assert(b->head == pfn);
		b->head = f->next;
	}
	if (f->next != XB_NIL) {
		xb_assert(b->zone->frames[f->next].prev == pfn);
		b->zone->frames[f->next].prev = f->prev;
	} else {
		xb_assert(b->tail == pfn);
		b->tail = f->prev;
	}
	f->next = f->prev = XB_NIL;
	b->nr_pages--;
	if (b->regions)
		region_note(b->regions, pfn, -1);
}

/* Is pfn a page on our list (balloon_page_isolate()'s sanity checks)? */
static bool is_listed_page(const struct xb_balloon_dev *b, xb_pfn_t pfn)
{
	const struct xb_frame *f = &b->zone->frames[pfn];

	return f->state == XB_FRAME_UNPOPULATED && f->order == 0 &&
	       f->owner == b->owner && (f->flags & XB_FRAME_MOVABLE_BALLOON);
}

/* ---- movable ops (balloon_mops) --------------------------------------- */

/* balloon_page_isolate(): off the list, counted as isolated. Without a
 * migratepage callback balloon pages do not move. */
static bool balloon_page_isolate(void *priv, struct xb_zone *z, xb_pfn_t pfn)
{
	struct xb_balloon_dev *b = priv;

	if (!b->migratepage || !is_listed_page(b, pfn))
		return false;
	list_unlink(b, pfn);
	b->isolated_pages++;
	/* ISOLATED as every isolated page; the flag stays so that the
	 * checker still counts the page as the device's. */
	xb_zone_set_state(z, pfn, XB_FRAME_ISOLATED, b->owner);
	return true;
}

/*
 * balloon_page_migrate(): the driver swaps the frames behind dst (a
 * populated free page compaction found) and src (the ballooned page). On
 * success dst joins the list, unpopulated, and src, now populated, is the
 * caller's to free; on failure nothing changed.
 */
static int balloon_page_migrate(void *priv, struct xb_zone *z, xb_pfn_t dst,
				xb_pfn_t src)
{
	struct xb_balloon_dev *b = priv;
	struct xb_frame *s = &z->frames[src];
	struct xb_frame *d = &z->frames[dst];

	xb_assert(s->state == XB_FRAME_ISOLATED && s->owner == b->owner &&
		  (s->flags & XB_FRAME_MOVABLE_BALLOON));
	xb_assert(d->state == XB_FRAME_ISOLATED && d->order == 0);
	int rc = b->migratepage(b, dst, src);

	if (rc)
		return rc < 0 ? rc : -EAGAIN;
	xb_zone_set_state(z, dst, XB_FRAME_UNPOPULATED, b->owner);
	d->type = (uint8_t)xb_zone_pageblock_mt(z, dst);
	d->flags = XB_FRAME_MOVABLE_BALLOON;
	list_add_head(b, dst);
	s->flags &= (uint8_t)~XB_FRAME_MOVABLE_BALLOON;
	b->isolated_pages--;
	b->stats.balloon_migrate++;
	return 0;
}

/* balloon_page_putback() */
static void balloon_page_putback(void *priv, struct xb_zone *z, xb_pfn_t pfn)
{
	struct xb_balloon_dev *b = priv;

	xb_assert(z->frames[pfn].state == XB_FRAME_ISOLATED &&
		  b->isolated_pages > 0);
	xb_zone_set_state(z, pfn, XB_FRAME_UNPOPULATED, b->owner);
	list_add_head(b, pfn);
	b->isolated_pages--;
}

static const struct xb_movable_ops balloon_mops = {
    .name = "balloon",
    .isolate = balloon_page_isolate,
    .migrate = balloon_page_migrate,
    .putback = balloon_page_putback,
};

/* ---- the device ------------------------------------------------------- */

void xb_balloon_dev_init(struct xb_balloon_dev *b, struct xb_zone *z,
			 xb_balloon_migratepage_t migratepage, void *priv)
{
	*b = (struct xb_balloon_dev){
	    .zone = z,
	    .head = XB_NIL,
	    .tail = XB_NIL,
	    .migratepage = migratepage,
	    .priv = priv,
	};
	b->owner = xb_zone_register_owner(z, "balloon", &balloon_mops, b);
}

xb_pfn_t xb_balloon_page_alloc(struct xb_balloon_dev *b, unsigned flags)
{
	return xb_zone_alloc(b->zone, 0, XB_MT_MOVABLE, flags, b->owner,
			     XB_NIL);
}

void xb_balloon_page_enqueue(struct xb_balloon_dev *b, xb_pfn_t pfn)
{
	struct xb_frame *f = &b->zone->frames[pfn];

	xb_assert(f->state == XB_FRAME_UNPOPULATED && f->order == 0 &&
		  f->owner == b->owner);
	/* Without migratepage the page is as pinned as Linux's own Xen
	 * balloon pages: fallback stealing and compaction must see it so. */
	f->flags |= XB_FRAME_MOVABLE_BALLOON |
		    (b->migratepage ? 0 : XB_FRAME_PINNED_BALLOON);
	list_add_head(b, pfn);
	b->stats.balloon_inflate++;
}

xb_pfn_t xb_balloon_page_dequeue(struct xb_balloon_dev *b)
{
	xb_pfn_t pfn = b->head;

	if (pfn == XB_NIL)
		return XB_NIL;
	list_unlink(b, pfn);
	b->zone->frames[pfn].flags &=
	    (uint8_t) ~(XB_FRAME_MOVABLE_BALLOON | XB_FRAME_PINNED_BALLOON);
	b->stats.balloon_deflate++;
	return pfn;
}

void xb_balloon_page_remove(struct xb_balloon_dev *b, xb_pfn_t pfn)
{
	xb_assert(is_listed_page(b, pfn));
	/* Not a deflate: the caller keeps the frame ballooned (as part of
	 * a larger block). */
	list_unlink(b, pfn);
	b->zone->frames[pfn].flags &=
	    (uint8_t) ~(XB_FRAME_MOVABLE_BALLOON | XB_FRAME_PINNED_BALLOON);
}

static size_t regions_bytes(uint64_t nr)
{
	return sizeof(struct xb_balloon_regions) +
	       nr * (sizeof(uint16_t) + 2 * sizeof(uint32_t) +
		     XB_BALLOON_REGION_WORDS * sizeof(uint64_t));
}

int xb_balloon_dev_track_regions(struct xb_balloon_dev *b)
{
	/* Indexed by absolute pfn: regions below the zone's start are never
	 * touched and, mapped lazily, cost nothing. */
	uint64_t nr = (b->zone->end_pfn + XB_BALLOON_REGION_PAGES - 1) >>
		      XB_BALLOON_REGION_ORDER;
	/* One lazily mapped block: untouched regions cost no memory. The
	 * 64-bit words first, then the 32- and 16-bit arrays, each aligned. */
	struct xb_balloon_regions *rg = xb_map_zeroed(regions_bytes(nr));

	if (!rg)
		return -ENOMEM;
	rg->nr = nr;
	rg->bits = (uint64_t *)(rg + 1);
	rg->next = (uint32_t *)(rg->bits + nr * XB_BALLOON_REGION_WORDS);
	rg->prev = rg->next + nr;
	rg->count = (uint16_t *)(rg->prev + nr);
	for (xb_pfn_t p = b->head; p != XB_NIL; p = b->zone->frames[p].next)
		region_note(rg, p, +1);
	b->regions = rg;
	return 0;
}

void xb_balloon_dev_fini(struct xb_balloon_dev *b)
{
	if (b->regions)
		xb_unmap(b->regions, regions_bytes(b->regions->nr));
	b->regions = NULL;
}

uint64_t xb_balloon_dev_pick_regions(struct xb_balloon_dev *b, xb_pfn_t *out,
				     uint64_t n)
{
	struct xb_balloon_regions *rg = b->regions;
	uint64_t got = 0;

	xb_assert(rg && n <= XB_BALLOON_REGION_PAGES);
	/* top only ever bounds the counts from above: lower it to the first
	 * bucket that is not empty on the way down. */
	while (rg->top > 0 && !rg->head[rg->top])
		rg->top--;
	for (unsigned c = rg->top; c > 0 && got < n; c--) {
		for (uint32_t r1 = rg->head[c]; r1 && got < n;
		     r1 = rg->next[r1 - 1]) {
			uint64_t r = r1 - 1;
			const uint64_t *w =
			    &rg->bits[r * XB_BALLOON_REGION_WORDS];

			for (unsigned i = 0;
			     i < XB_BALLOON_REGION_WORDS && got < n; i++) {
				for (uint64_t m = w[i]; m && got < n;
				     m &= m - 1)
					out[got++] =
					    (xb_pfn_t)((r
							<< XB_BALLOON_REGION_ORDER) +
						       i * 64u +
						       (unsigned)
							   __builtin_ctzll(m));
			}
		}
	}
	return got;
}

/* The region index against the list (O(regions + listed pages)). */
static bool regions_are_valid(const struct xb_balloon_dev *b)
{
	const struct xb_balloon_regions *rg = b->regions;
	uint64_t nonzero = 0, linked = 0, bits = 0;

	for (uint64_t r = 0; r < rg->nr; r++) {
		unsigned pop = 0;

		for (unsigned i = 0; i < XB_BALLOON_REGION_WORDS; i++)
			pop += (unsigned)__builtin_popcountll(
			    rg->bits[r * XB_BALLOON_REGION_WORDS + i]);
		XB_CHECK(rg->count[r] == pop,
			 "balloon: region %lu counts %u pages, its bits %u",
			 (unsigned long)r, rg->count[r], pop);
		XB_CHECK(rg->count[r] <= rg->top,
			 "balloon: region %lu counts %u above top %u",
			 (unsigned long)r, rg->count[r], rg->top);
		nonzero += rg->count[r] > 0;
		bits += pop;
	}
	XB_CHECK(bits == b->nr_pages, "balloon: regions hold %lu, list %lu",
		 (unsigned long)bits, (unsigned long)b->nr_pages);
	for (xb_pfn_t p = b->head; p != XB_NIL; p = b->zone->frames[p].next)
		XB_CHECK(rg->bits[(p >> XB_BALLOON_REGION_ORDER) *
				      XB_BALLOON_REGION_WORDS +
				  (p % XB_BALLOON_REGION_PAGES) / 64] &
			     (1ull << (p % 64)),
			 "balloon: listed pfn %u has no region bit", p);
	XB_CHECK(rg->head[0] == 0, "balloon: a region on bucket 0");
	for (unsigned c = 1; c <= XB_BALLOON_REGION_PAGES; c++) {
		uint32_t prev = 0;

		for (uint32_t r1 = rg->head[c]; r1; r1 = rg->next[r1 - 1]) {
			XB_CHECK(r1 <= rg->nr && linked < nonzero,
				 "balloon: bucket %u: bad link %u", c, r1);
			XB_CHECK(rg->count[r1 - 1] == c,
				 "balloon: region %u with %u pages on bucket "
				 "%u",
				 r1 - 1, rg->count[r1 - 1], c);
			XB_CHECK(rg->prev[r1 - 1] == prev,
				 "balloon: bucket %u: bad prev at region %u", c,
				 r1 - 1);
			prev = r1;
			linked++;
		}
	}
	XB_CHECK(linked == nonzero,
		 "balloon: %lu regions on buckets, %lu hold pages",
		 (unsigned long)linked, (unsigned long)nonzero);
	return true;
}

bool xb__balloon_dev_is_valid(const struct xb_balloon_dev *b)
{
	const struct xb_zone *z = b->zone;
	uint64_t listed = 0, flagged = 0, isolated = 0;
	xb_pfn_t prev = XB_NIL;

	for (xb_pfn_t p = b->head; p != XB_NIL; p = z->frames[p].next) {
		XB_CHECK(xb_zone_spans_pfn(z, p),
			 "balloon: link %u out of range", p);
		XB_CHECK(listed < b->nr_pages, "balloon: list longer than %lu",
			 (unsigned long)b->nr_pages);
		XB_CHECK(is_listed_page(b, p),
			 "balloon: listed pfn %u is state %u order %u owner %u "
			 "flags %#x",
			 p, z->frames[p].state, z->frames[p].order,
			 z->frames[p].owner, z->frames[p].flags);
		XB_CHECK(z->frames[p].prev == prev, "balloon: bad prev at %u",
			 p);
		prev = p;
		listed++;
	}
	XB_CHECK(b->tail == prev, "balloon: tail %u, last page %u", b->tail,
		 prev);
	XB_CHECK(listed == b->nr_pages, "balloon: %lu listed, nr_pages %lu",
		 (unsigned long)listed, (unsigned long)b->nr_pages);
	for (uint64_t pfn = z->start_pfn; pfn < z->end_pfn;) {
		const struct xb_frame *f = &z->frames[pfn];

		if (f->owner == b->owner && f->state != XB_FRAME_FREE &&
		    (f->flags & XB_FRAME_MOVABLE_BALLOON)) {
			XB_CHECK(f->state == XB_FRAME_UNPOPULATED ||
				     f->state == XB_FRAME_ISOLATED,
				 "balloon: flagged pfn %lu in state %u",
				 (unsigned long)pfn, f->state);
			flagged++;
			isolated += f->state == XB_FRAME_ISOLATED;
		}
		pfn += 1ull << f->order;
	}
	XB_CHECK(flagged == b->nr_pages + b->isolated_pages,
		 "balloon: zone sees %lu pages, list %lu + isolated %lu",
		 (unsigned long)flagged, (unsigned long)b->nr_pages,
		 (unsigned long)b->isolated_pages);
	XB_CHECK(isolated == b->isolated_pages,
		 "balloon: %lu isolated in the zone, counter %lu",
		 (unsigned long)isolated, (unsigned long)b->isolated_pages);
	return !b->regions || regions_are_valid(b);
}
