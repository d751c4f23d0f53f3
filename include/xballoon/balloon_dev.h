/*
 * The core balloon device: the model of Linux's struct balloon_dev_info
 * (include/linux/balloon_compaction.h, mm/balloon_compaction.c). It holds the
 * 4 KiB balloon pages that compaction may move; a balloon driver plugs in by
 * filling the migratepage callback.
 *
 * Page protocol (the driver does the zone state changes around it):
 *   inflate:  p = xb_balloon_page_alloc()      state ALLOC, owner b->owner
 *             (driver: decrease_reservation; on success)
 *             xb_zone_set_state(p, UNPOPULATED, b->owner)
 *             xb_balloon_page_enqueue(b, p)    on the list, movable flag
 *   deflate:  p = xb_balloon_page_dequeue(b)   off the list, UNPOPULATED
 *             (driver: populate_physmap; on success)
 *             xb_zone_set_state(p, BALLOON, ...); xb_zone_free(p)
 *             (on failure) xb_balloon_page_enqueue(b, p)
 *   migrate (compaction, through the owner's movable ops):
 *             isolate: p leaves the list, state ISOLATED, isolated_pages++
 *             migrate(dst = newpage, src = page): calls
 *               b->migratepage(b, newpage, page); on 0 the driver has
 *               given newpage's frame back to the hypervisor and has
 *               populated page's frame: newpage joins the list (UNPOPULATED),
 *               page is the caller's to free; on failure nothing changed.
 *             putback: p returns to the list, UNPOPULATED.
 *
 * Invariants (xb__balloon_dev_is_valid()):
 *   nr_pages = length of the list; every listed page is an order-0
 *     UNPOPULATED head with owner = b->owner and XB_FRAME_MOVABLE_BALLOON
 *   nr_pages + isolated_pages = zone frames whose head is owned by b->owner
 *     and flagged XB_FRAME_MOVABLE_BALLOON (listed or ISOLATED)
 */
#ifndef XBALLOON_BALLOON_DEV_H
#define XBALLOON_BALLOON_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/zone.h"

struct xb_balloon_dev;

/*
 * The driver's migration callback: swap the frames behind `newpage`
 * (populated, to be ballooned) and `page` (ballooned, to be populated).
 * Returns 0 on success, a negative errno (-EAGAIN, -EOPNOTSUPP...) when
 * nothing changed.
 */
typedef int (*xb_balloon_migratepage_t)(struct xb_balloon_dev *b,
					xb_pfn_t newpage, xb_pfn_t page);

/* Named events, as Linux's BALLOON_INFLATE / DEFLATE / MIGRATE vmstat. */
#define XB_BALLOON_DEV_STATS(X)                                                \
	X(balloon_inflate, "pages enqueued into the balloon")                  \
	X(balloon_deflate, "pages dequeued from the balloon")                  \
	X(balloon_migrate, "balloon pages migrated by compaction")

struct xb_balloon_dev_stats {
#define XB_STAT_FIELD(name, doc) uint64_t name;
	XB_BALLOON_DEV_STATS(XB_STAT_FIELD)
#undef XB_STAT_FIELD
};

/*
 * The listed pages by 2 MiB region, kept for a worker that gives back whole
 * regions (the driver's coalescing, the seed's Figure 3): updated on every
 * list change, so that the regions holding the most listed pages are found
 * in O(1) amortised per page picked, with no walk of the list or of the
 * regions. Regions are linked into one bucket per count (the bucket lists
 * hold region + 1; 0 ends a list), newest first.
 *
 * Invariants (xb__balloon_dev_is_valid(), when tracked):
 *   bit i of bits[r] set  <=>  page r * 512 + i is on the list
 *   count[r] = popcount of bits[r]
 *   region r is on bucket count[r]'s list, once, iff count[r] > 0; no
 *     region is on bucket 0
 *   top >= count[r] for every r
 */
#define XB_BALLOON_REGION_ORDER 9
#define XB_BALLOON_REGION_PAGES (1u << XB_BALLOON_REGION_ORDER)
#define XB_BALLOON_REGION_WORDS (XB_BALLOON_REGION_PAGES / 64)

struct xb_balloon_regions {
	uint64_t nr;	 /* regions; the last may be partial        */
	uint16_t *count; /* listed pages per region                 */
	uint64_t *bits;	 /* XB_BALLOON_REGION_WORDS per region      */
	uint32_t *next;	 /* bucket list links, region + 1           */
	uint32_t *prev;	 /* ... 0: end (or start) of the list       */
	unsigned top;	 /* no region has more listed pages         */
	uint32_t head[XB_BALLOON_REGION_PAGES + 1]; /* by count, region+1 */
};

struct xb_balloon_dev {
	struct xb_zone *zone;
	uint32_t owner;		 /* owner id of balloon pages in the zone  */
	xb_pfn_t head, tail;	 /* the page list, through frame next/prev */
	uint64_t nr_pages;	 /* pages on the list                      */
	uint64_t isolated_pages; /* pages isolated by compaction           */
	/* NULL: pages are enqueued but compaction may not move them. */
	xb_balloon_migratepage_t migratepage;
	void *priv; /* the driver's                           */
	/* NULL unless xb_balloon_dev_track_regions() was called. */
	struct xb_balloon_regions *regions;
	struct xb_balloon_dev_stats stats;
};

/* balloon_devinfo_init(): registers the device as an owner of the zone. */
void xb_balloon_dev_init(struct xb_balloon_dev *b, struct xb_zone *z,
			 xb_balloon_migratepage_t migratepage, void *priv);

/* balloon_page_alloc(): an order-0 movable page for the balloon, without
 * reclaim retries (__GFP_NORETRY); state ALLOC, owner b->owner. XB_NIL when
 * the zone cannot give one. */
xb_pfn_t xb_balloon_page_alloc(struct xb_balloon_dev *b, unsigned flags);

/* balloon_page_enqueue(): an UNPOPULATED order-0 page owned by b->owner
 * joins the list (at the head) and becomes movable. */
void xb_balloon_page_enqueue(struct xb_balloon_dev *b, xb_pfn_t pfn);

/* balloon_page_dequeue(): take the page at the list head off the list;
 * it stays UNPOPULATED and owned by b->owner. XB_NIL when empty. */
xb_pfn_t xb_balloon_page_dequeue(struct xb_balloon_dev *b);

/* Take a given listed page off the list (the coalescing worker picks the
 * pages that complete a 2 MiB region). */
void xb_balloon_page_remove(struct xb_balloon_dev *b, xb_pfn_t pfn);

/* Release what xb_balloon_dev_track_regions() took. */
void xb_balloon_dev_fini(struct xb_balloon_dev *b);

/*
 * Keep the listed pages by 2 MiB region from now on (struct
 * xb_balloon_regions). Returns 0, or -ENOMEM with nothing changed.
 */
int xb_balloon_dev_track_regions(struct xb_balloon_dev *b);

/*
 * Up to n listed pages (n <= XB_BALLOON_REGION_PAGES), the regions holding
 * the most listed pages first (the newest of equal ones first), in pfn
 * order within a region; the pages stay listed. Needs tracked regions.
 * O(n + XB_BALLOON_REGION_PAGES) per call. Returns how many it wrote.
 */
uint64_t xb_balloon_dev_pick_regions(struct xb_balloon_dev *b, xb_pfn_t *out,
				     uint64_t n);

/* Whole-device checker (walks the list and the zone). */
bool xb__balloon_dev_is_valid(const struct xb_balloon_dev *b);

#endif
