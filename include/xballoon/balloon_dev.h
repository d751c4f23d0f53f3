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

struct xb_balloon_dev {
	struct xb_zone *zone;
	uint32_t owner;		 /* owner id of balloon pages in the zone  */
	xb_pfn_t head, tail;	 /* the page list, through frame next/prev */
	uint64_t nr_pages;	 /* pages on the list                      */
	uint64_t isolated_pages; /* pages isolated by compaction           */
	/* NULL: pages are enqueued but compaction may not move them. */
	xb_balloon_migratepage_t migratepage;
	void *priv; /* the driver's                           */
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

/* Whole-device checker (walks the list and the zone). */
bool xb__balloon_dev_is_valid(const struct xb_balloon_dev *b);

#endif
