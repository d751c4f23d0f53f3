/*
 * `vmw`: VMware's balloon strategy (Linux drivers/misc/vmw_balloon.c) on
 * Xen. 2 MiB pages first, allocated without direct reclaim or compaction
 * (VMW_HUGE_PAGE_ALLOC_FLAGS); a 2 MiB page the host refuses is split and
 * ballooned as 4 KiB pages (vmballoon_split_refused_pages); 4 KiB pages are
 * on the core balloon device and movable; 2 MiB pages are kept off the
 * compaction list; no coalescing.
 */
#include "policy/internal.h"

/* No direct reclaim, so no direct compaction, for the 2 MiB pages. */
static enum xb_bp_state vmw_decrease(struct xb_driver *d, uint64_t nr,
				     uint64_t *done)
{
	return xb__huge_first_decrease(d, nr, 0, done);
}

const struct xb_policy_ops xb_policy_vmw = {
    .version = XB_POLICY_VERSION,
    .name = "vmw",
    .description = "VMware's balloon: 2 MiB first, refused 2 MiB split "
		   "to 4 KiB, no coalescing",
    .defaults =
	{
	    .huge = true,
	    .compaction = true,
	    .exchange = false,
	    .split_refused = true,
	    .exchange_interval = 1000000000ull,
	    .max_retry_count = 4,
	    .max_schedule_delay = 32,
	    .batch = XB_FRAME_LIST,
	    .proactiveness = 20,
	    /* Not part of VMware's design: only the seed's asks for a
	     * node. */
	    .numa_exact = false,
	    .numa_split = XB_NUMA_SPLIT_LOCAL,
	    /* VMW_HUGE_PAGE_ALLOC_FLAGS: __GFP_HIGHMEM | __GFP_NOWARN |
	     * __GFP_NOMEMALLOC, no __GFP_MOVABLE (vmballoon_alloc_page_list());
	     * its 4 KiB pages come from balloon_page_alloc(), movable. */
	    .huge_gfp = XB_HUGE_GFP_UNMOVABLE,
	},
    .decrease = vmw_decrease,
    .increase = xb__huge_first_increase,
    .migratepage = xb_drv_migratepage,
};
