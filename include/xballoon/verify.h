/*
 * Content verification through the backend's data plane: around every
 * populate, decrease, exchange, add_to_physmap(_batch) and relocate the
 * driver issues, frames the guest is using near the frames the call
 * touches are stamped before it and read back after it, and a move's
 * source frames must arrive at their destination with their contents. A
 * mismatch means a hypercall moved, freed or overwrote memory the guest still
 * uses.
 */
#ifndef XBALLOON_VERIFY_H
#define XBALLOON_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "xballoon/driver.h"
#include "xballoon/sys/backend.h"

#define XB_VERIFY_PER_REGION 16	 /* in-use pages watched per 2 MiB region */
#define XB_VERIFY_MAX	     256 /* frames watched around one call        */

/* One watched frame: its guest pfn and the stamp it must hold. */
struct xb_verify_watch {
	xb_pfn_t pfn;	   /* where the contents must be after the call */
	xb_pfn_t from;	   /* where they were stamped (a move: its src) */
	uint64_t stamp;	   /* first word of the frame                   */
	bool moves;	   /* a move's source: lands at pfn if moved    */
	uint64_t move_idx; /* its frame (batch: entry) index in the call */
};

/*
 * Invariant between calls: nr == 0 (the watch list lives from a call's
 * before hook to its after hook).
 */
struct xb_verifier {
	struct xb_driver *drv;
	/* Is a page with this owner the guest's data (a workload's)? */
	bool (*is_data_owner)(void *priv, uint32_t owner);
	void *priv;
	uint64_t seq; /* stamps written so far: makes every stamp unique */
	struct xb_verify_watch watch[XB_VERIFY_MAX];
	unsigned nr;
	uint64_t checked;    /* frames read back and compared            */
	uint64_t mismatches; /* ... that did not hold their stamp        */
	uint8_t buf[XB_PAGE_SIZE];
};

void xb_verify_init(struct xb_verifier *v, struct xb_driver *drv,
		    bool (*is_data_owner)(void *priv, uint32_t owner),
		    void *priv);
/* Called by the backend wrappers around each call (be->before and, by
 * the runner's trace hook, after). */
void xb_verify_before(struct xb_verifier *v, const struct xb_trace_rec *rec);
void xb_verify_after(struct xb_verifier *v, const struct xb_trace_rec *rec);

#endif
