/*
 * Owners and movable pages: every allocated or ballooned block records an
 * owner id (struct xb_frame.owner). An owner registers a static ops table,
 * the model's Linux `movable_operations`, so that compaction can isolate,
 * migrate and put back its pages without knowing what they are. The
 * owner's rmap is its own: for ALLOC frames, frame.next is the owner's slot
 * for the page, and a migration must move it to the new frame.
 */
#ifndef XBALLOON_MOVABLE_H
#define XBALLOON_MOVABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/zone.h"

struct xb_movable_ops {
	const char *name; /* MANDATORY: "anon", "balloon", ... */
	/*
	 * MANDATORY. isolate_page(): take the block at `pfn` (a head this
	 * owner holds) out of circulation for migration. Returns false when
	 * the page cannot be isolated now. On success the block is ISOLATED
	 * in the zone's eyes (or flagged isolated, see the implementation).
	 */
	bool (*isolate)(void *priv, struct xb_zone *z, xb_pfn_t pfn);
	/*
	 * MANDATORY. migrate_page(): move the isolated block `src` to `dst`,
	 * a block of the same order taken from the free lists and handed to
	 * the owner. Returns 0 on success (the owner now holds dst, and src
	 * is the caller's to free), -EAGAIN or another negative errno on
	 * failure (nothing changed: dst stays the caller's, src isolated).
	 */
	int (*migrate)(void *priv, struct xb_zone *z, xb_pfn_t dst,
		       xb_pfn_t src);
	/* MANDATORY. putback_page(): return an isolated block to its owner. */
	void (*putback)(void *priv, struct xb_zone *z, xb_pfn_t pfn);
};

#endif
