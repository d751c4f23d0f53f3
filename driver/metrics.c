/*
 * Guest metrics: one walk over the zone's blocks for the 2 MiB region
 * states, counters for the rest.
 */
#include <string.h>

#include "xballoon/metrics.h"

static void classify(uint64_t unpop, uint64_t size, uint64_t *populated,
		     uint64_t *ballooned, uint64_t *mixed)
{
	if (unpop == 0)
		(*populated)++;
	else if (unpop == size)
		(*ballooned)++;
	else
		(*mixed)++;
}

/* Add the unpopulated block [pfn, pfn + n) to the eighths of `nr` frames
 * it overlaps: eighth k is [ceil(k * nr / 8), ceil((k + 1) * nr / 8)). */
static void add_eighths(uint64_t eighths[XB_METRICS_EIGHTHS], uint64_t nr,
			uint64_t pfn, uint64_t n)
{
	const uint64_t k = XB_METRICS_EIGHTHS;

	while (n) {
		uint64_t e = pfn * k / nr;
		uint64_t end = ((e + 1) * nr + k - 1) / k;
		uint64_t take = end - pfn < n ? end - pfn : n;

		eighths[e] += take;
		pfn += take;
		n -= take;
	}
}

void xb_metrics_regions(const struct xb_zone *z, uint64_t *populated,
			uint64_t *ballooned, uint64_t *mixed,
			uint64_t eighths[XB_METRICS_EIGHTHS])
{
	const uint64_t rsize = XB_HPAGE_PAGES;
	uint64_t unpop = 0, region = 0;

	*populated = *ballooned = *mixed = 0;
	if (eighths)
		memset(eighths, 0, XB_METRICS_EIGHTHS * sizeof(*eighths));
	for (uint64_t pfn = z->start_pfn; pfn < z->end_pfn;) {
		const struct xb_frame *f = &z->frames[pfn];
		uint64_t n = 1ull << f->order;
		bool un = f->state == XB_FRAME_UNPOPULATED;

		/* Eighths of the guest's whole gfn space (its mem_map),
		 * whatever part of it this zone spans. */
		if (un && eighths)
			add_eighths(eighths, z->map->nr_frames, pfn, n);

		if (n >= rsize) {
			/* Whole regions (order >= 9 blocks are aligned). */
			for (uint64_t r = 0; r < n / rsize; r++)
				classify(un ? rsize : 0, rsize, populated,
					 ballooned, mixed);
			region += n / rsize;
			pfn += n;
			continue;
		}
		if (un)
			unpop += n;
		pfn += n;
		if ((pfn & (rsize - 1)) == 0 || pfn == z->end_pfn) {
			uint64_t size = pfn - z->start_pfn - region * rsize;

			classify(unpop, size, populated, ballooned, mixed);
			unpop = 0;
			region++;
		}
	}
}

void xb_metrics_guest_counters(const struct xb_driver *d,
			       struct xb_guest_metrics *m)
{
	const struct xb_zone *z = d->zone;

	memset(m, 0, sizeof(*m));
	m->pages = z->nr_frames;
	m->populated = z->managed;
	m->free = xb_zone_free_pages(z);
	m->balloon_huge = d->huge.nr * XB_HUGE_PAGES;
	m->balloon_small = d->small.nr_pages + d->small.isolated_pages;
	m->balloon_special = d->special.nr;
	m->fu9 = xb_zone_unusable_index(z, 9);
	m->frag_index9 = xb_zone_frag_index(z, 9);
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		m->buddyinfo[o] = xb_buddy_nr_free(&z->buddy, o);
}

void xb_metrics_guest(const struct xb_driver *d, struct xb_guest_metrics *m)
{
	xb_metrics_guest_counters(d, m);
	xb_metrics_regions(d->zone, &m->regions_populated,
			   &m->regions_ballooned, &m->regions_mixed,
			   m->unpopulated_eighths);
}

void xb_metrics_guest_add(struct xb_guest_metrics *sum,
			  const struct xb_guest_metrics *m)
{
	sum->pages += m->pages;
	sum->populated += m->populated;
	sum->free += m->free;
	sum->balloon_huge += m->balloon_huge;
	sum->balloon_small += m->balloon_small;
	sum->balloon_special += m->balloon_special;
	sum->regions_populated += m->regions_populated;
	sum->regions_ballooned += m->regions_ballooned;
	sum->regions_mixed += m->regions_mixed;
	for (unsigned e = 0; e < XB_METRICS_EIGHTHS; e++)
		sum->unpopulated_eighths[e] += m->unpopulated_eighths[e];
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		sum->buddyinfo[o] += m->buddyinfo[o];
	sum->fu9 = xb_free_area_unusable_index(sum->buddyinfo, 9);
	sum->frag_index9 = xb_free_area_frag_index(sum->buddyinfo, 9);
}

const char xb_region_chars[XB_REGION_NR + 1] = "fmuHsSx";

/* What one block contributes to its region's map entry. */
enum {
	RB_FREE = 1u << 0,
	RB_MOVABLE = 1u << 1,
	RB_UNMOVABLE = 1u << 2,
	RB_HUGE = 1u << 3,
	RB_SMALL = 1u << 4,
	RB_SPECIAL = 1u << 5,
	RB_POPULATED = RB_FREE | RB_MOVABLE | RB_UNMOVABLE,
};

static unsigned block_bits(const struct xb_driver *d, const struct xb_frame *f)
{
	switch (f->state) {
	case XB_FRAME_FREE:
	case XB_FRAME_PCP:
		return RB_FREE;
	case XB_FRAME_UNPOPULATED:
		if (f->owner == d->huge_owner)
			return RB_HUGE;
		if (f->owner == d->special_owner)
			return RB_SPECIAL;
		return RB_SMALL;
	default:
		/* ALLOC, BALLOON in transit, ISOLATED by compaction: backed
		 * and in use; only movable ones can be moved out of the way
		 * of a 2 MiB allocation. */
		return f->type == XB_MT_MOVABLE ? RB_MOVABLE : RB_UNMOVABLE;
	}
}

static uint8_t region_state(unsigned bits)
{
	unsigned unpop = bits & ~(unsigned)RB_POPULATED;

	if ((bits & RB_POPULATED) && unpop)
		return XB_REGION_MIXED;
	if (unpop) {
		if (unpop & (unpop - 1))
			return XB_REGION_MIXED; /* several queues */
		return unpop == RB_HUGE	   ? XB_REGION_HUGE
		       : unpop == RB_SMALL ? XB_REGION_SMALL
					   : XB_REGION_SPECIAL;
	}
	if (bits & RB_UNMOVABLE)
		return XB_REGION_UNMOVABLE;
	return bits & RB_MOVABLE ? XB_REGION_MOVABLE : XB_REGION_FREE;
}

void xb_metrics_region_map(const struct xb_driver *d, uint8_t *out)
{
	const struct xb_zone *z = d->zone;
	const uint64_t rsize = XB_HPAGE_PAGES;
	uint64_t region = 0;
	unsigned bits = 0;

	for (uint64_t pfn = z->start_pfn; pfn < z->end_pfn;) {
		const struct xb_frame *f = &z->frames[pfn];
		uint64_t n = 1ull << f->order;

		if (n >= rsize) {
			/* Whole regions (order >= 9 blocks are aligned). */
			uint8_t s = region_state(block_bits(d, f));

			memset(out + region, s, n / rsize);
			region += n / rsize;
			pfn += n;
			continue;
		}
		bits |= block_bits(d, f);
		pfn += n;
		if ((pfn & (rsize - 1)) == 0 || pfn == z->end_pfn) {
			out[region++] = region_state(bits);
			bits = 0;
		}
	}
}
