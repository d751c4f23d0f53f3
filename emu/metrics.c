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

void xb_metrics_regions(const struct xb_zone *z, uint64_t *populated,
			uint64_t *ballooned, uint64_t *mixed)
{
	const uint64_t rsize = XB_PAGEBLOCK_PAGES;
	uint64_t unpop = 0, region = 0;

	*populated = *ballooned = *mixed = 0;
	for (uint64_t pfn = 0; pfn < z->nr_frames;) {
		const struct xb_frame *f = &z->frames[pfn];
		uint64_t n = 1ull << f->order;
		bool un = f->state == XB_FRAME_UNPOPULATED;

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
		if ((pfn & (rsize - 1)) == 0 || pfn == z->nr_frames) {
			uint64_t size = pfn - region * rsize;

			classify(unpop, size, populated, ballooned, mixed);
			unpop = 0;
			region++;
		}
	}
}

void xb_metrics_guest(const struct xb_driver *d, struct xb_guest_metrics *m)
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
	xb_metrics_regions(z, &m->regions_populated, &m->regions_ballooned,
			   &m->regions_mixed);
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		m->buddyinfo[o] = xb_buddy_nr_free(&z->buddy, o);
}
