/*
 * Guest-side metrics for reports and series: fragmentation of the zone,
 * 2 MiB region states, balloon contents by queue.
 */
#ifndef XBALLOON_METRICS_H
#define XBALLOON_METRICS_H

#include <stdint.h>

#include "xballoon/driver.h"

#define XB_METRICS_EIGHTHS 8

struct xb_guest_metrics {
	uint64_t pages;		/* guest frames (maxmem)                     */
	uint64_t populated;	/* frames backed by the hypervisor           */
	uint64_t free;		/* free frames in the zone                   */
	uint64_t balloon_huge;	/* frames in the 2 MiB queue                 */
	uint64_t balloon_small; /* frames in the 4 KiB queue (incl. isolated)*/
	uint64_t balloon_special; /* frames taken for foreign mappings */
	double fu9;	    /* unusable free space index, order 9        */
	double frag_index9; /* Linux fragmentation index, order 9        */
	uint64_t regions_populated; /* 2 MiB regions wholly populated        */
	uint64_t regions_ballooned; /* ... wholly unpopulated                 */
	uint64_t regions_mixed;
	/* Unpopulated frames in each eighth of the gfn space, lowest first:
	 * where the balloon took its pages (a real guest's census from dom0
	 * compares with it, tests/xen/domu). */
	uint64_t unpopulated_eighths[XB_METRICS_EIGHTHS];
	uint64_t buddyinfo[XB_MAX_ORDER];
};

void xb_metrics_guest(const struct xb_driver *d, struct xb_guest_metrics *m);
/* The same without the region walk (regions_* and unpopulated_eighths
 * stay 0): O(orders), what each sample of series.csv needs. */
void xb_metrics_guest_counters(const struct xb_driver *d,
			       struct xb_guest_metrics *m);

/*
 * A vNUMA guest's metrics are its vnodes' (one driver and zone each)
 * added up: xb_metrics_guest_add() adds `m` into `sum` (start from a
 * zeroed sum) and computes fu9 and frag_index9 again over the summed
 * free blocks, the guest's free memory as one pool. A one-zone guest's
 * metrics are its zone's, unchanged.
 */
void xb_metrics_guest_add(struct xb_guest_metrics *sum,
			  const struct xb_guest_metrics *m);

/* Count 2 MiB regions that are wholly populated, wholly unpopulated or
 * mixed (a region cut short by the end of the zone counts by its frames),
 * and the unpopulated frames of each eighth of the guest's gfn space (the
 * zone's mem_map) that fall in the zone (`eighths`, may be NULL).
 * O(blocks). */
void xb_metrics_regions(const struct xb_zone *z, uint64_t *populated,
			uint64_t *ballooned, uint64_t *mixed,
			uint64_t eighths[XB_METRICS_EIGHTHS]);

/*
 * The state of one 2 MiB guest-physical region, for maps (map.txt and the
 * map picture). Populated: every frame backed; ballooned: every frame
 * unpopulated and on one queue; mixed: anything else.
 */
enum xb_region_state {
	XB_REGION_FREE = 0,  /* populated, every frame free                 */
	XB_REGION_MOVABLE,   /* populated, used, only movable allocations   */
	XB_REGION_UNMOVABLE, /* populated, some unmovable or reclaimable
			      * allocation (compaction cannot empty it)    */
	XB_REGION_HUGE,	     /* ballooned as one 2 MiB page                 */
	XB_REGION_SMALL,     /* ballooned as 4 KiB pages                    */
	XB_REGION_SPECIAL,   /* unpopulated, taken for foreign mappings     */
	XB_REGION_MIXED,     /* populated and unpopulated frames, or
			      * unpopulated frames of several queues        */
	XB_REGION_NR
};

/* The map letters (map.txt), indexed by enum xb_region_state: "fmuHsSx". */
extern const char xb_region_chars[XB_REGION_NR + 1];

/* 2 MiB regions of a zone (the last may be cut short); region i is
 * [start_pfn + i * 512, ...), the zone's start being aligned. */
static inline uint64_t xb_metrics_nr_regions(const struct xb_zone *z)
{
	return (z->nr_frames + XB_HPAGE_PAGES - 1) / XB_HPAGE_PAGES;
}

/*
 * xb_metrics_region_map() - one enum xb_region_state byte per 2 MiB region
 * of the driver's zone into out[xb_metrics_nr_regions()]. Unpopulated heads
 * are classed by owner: the 2 MiB queue, the special queue, else 4 KiB
 * (the core device's queue and pages in transit). O(blocks).
 */
void xb_metrics_region_map(const struct xb_driver *d, uint8_t *out);

#endif
