/*
 * Guest-side metrics for reports and series: fragmentation of the zone,
 * 2 MiB region states, balloon contents by queue.
 */
#ifndef XBALLOON_METRICS_H
#define XBALLOON_METRICS_H

#include <stdint.h>

#include "xballoon/driver.h"

struct xb_guest_metrics {
	uint64_t pages;          /* guest frames (maxmem)                     */
	uint64_t populated;      /* frames backed by the hypervisor           */
	uint64_t free;           /* free frames in the zone                   */
	uint64_t balloon_huge;   /* frames in the 2 MiB queue                 */
	uint64_t balloon_small;  /* frames in the 4 KiB queue (incl. isolated)*/
	uint64_t balloon_special;/* frames taken for foreign mappings         */
	double fu9;              /* unusable free space index, order 9        */
	double frag_index9;      /* Linux fragmentation index, order 9        */
	uint64_t regions_populated; /* 2 MiB regions wholly populated        */
	uint64_t regions_ballooned; /* ... wholly unpopulated                 */
	uint64_t regions_mixed;
	uint64_t buddyinfo[XB_MAX_ORDER];
};

void xb_metrics_guest(const struct xb_driver *d, struct xb_guest_metrics *m);

/* Count 2 MiB regions that are wholly populated, wholly unpopulated or
 * mixed (a region cut short by the end of the zone counts by its frames).
 * O(blocks). */
void xb_metrics_regions(const struct xb_zone *z, uint64_t *populated,
			uint64_t *ballooned, uint64_t *mixed);

#endif
