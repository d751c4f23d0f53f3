/*
 * A test owner of movable pages: a slot table (slot -> pfn, and frame.next =
 * slot in the zone, the model's rmap) with movable ops that keep the table
 * right when compaction migrates a page.
 */
#ifndef XB_TEST_OWNER_H
#define XB_TEST_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/zone.h"

/*
 * Invariants (xbt_owner_is_valid()):
 *   for every slot s with slots[s] != XB_NIL: the block at slots[s] is a
 *     head in state ALLOC (ISOLATED while compaction holds it) with
 *     owner = id and next = s
 *   nr_live = slots that are not XB_NIL
 */
struct xbt_owner {
	struct xb_zone *z;
	uint32_t id;	   /* owner id in the zone                     */
	xb_pfn_t *slots;   /* slot -> head pfn, XB_NIL when empty        */
	uint32_t nr_slots; /* capacity                                  */
	uint32_t nr_used;  /* slots handed out so far (next new slot)    */
	uint64_t nr_live;  /* slots holding a page                      */
	int fail_migrate;  /* 0, or the errno migrate() answers with     */
	uint64_t isolated, migrated, putback; /* ops calls that succeeded  */
};

void xbt_owner_init(struct xbt_owner *o, struct xb_zone *z, uint32_t nr_slots);
void xbt_owner_fini(struct xbt_owner *o);
/* Allocate a page of `order` into the next slot; returns the pfn. */
xb_pfn_t xbt_owner_alloc(struct xbt_owner *o, unsigned order, unsigned flags);
/* Free the page of slot s. */
void xbt_owner_free(struct xbt_owner *o, uint32_t s);
bool xbt_owner_is_valid(const struct xbt_owner *o);

/* Fill every free frame of the zone with order-0 pages of the owner (the
 * zone must have no watermarks); returns the pages allocated. */
uint64_t xbt_owner_fill(struct xbt_owner *o);
/* The classic pattern: free every page whose pfn is not 0 mod 4. */
void xbt_owner_free_pattern(struct xbt_owner *o);

#endif
