/*
 * `linux`: today's drivers/xen/balloon.c. 4 KiB pages straight from the page
 * allocator (GFP_BALLOON: unmovable), one list, no balloon compaction, no
 * coalescing.
 */
#include "xballoon/driver.h"

static enum xb_bp_state linux_decrease(struct xb_driver *d, uint64_t nr,
				       uint64_t *done)
{
	return xb_drv_decrease_small(d, nr, false, done);
}

static enum xb_bp_state linux_increase(struct xb_driver *d, uint64_t nr,
				       uint64_t *done)
{
	return xb_drv_increase_small(d, nr, done);
}

const struct xb_policy_ops xb_policy_linux = {
    .version = XB_POLICY_VERSION,
    .name = "linux",
    .description = "today's Linux driver: 4 KiB unmovable pages, one list",
    .defaults =
	{
	    .huge = false,
	    .compaction = false,
	    .exchange = false,
	    .split_refused = false,
	    .exchange_interval = 1000000000ull,
	    .max_retry_count = 4,
	    .max_schedule_delay = 32,
	    .batch = XB_FRAME_LIST,
	    .proactiveness = 20,
	    /* increase_reservation() passes no mem_flags: no node. */
	    .numa_exact = false,
	    .numa_split = XB_NUMA_SPLIT_LOCAL,
	},
    .decrease = linux_decrease,
    .increase = linux_increase,
};
