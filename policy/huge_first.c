/*
 * `huge-first`: the seed design (Linux Xen Balloon Driver Improvement,
 * draft 2). 2 MiB pages first both ways, 4 KiB fallback through the core
 * balloon device so compaction can move them (migration by exchange on pv,
 * XENMEM_add_to_physmap on hvm/pvh), and a worker that coalesces 512 small
 * balloon pages into one 2 MiB balloon page. Two ablations are registered as
 * well.
 */
#include "policy/internal.h"

enum xb_bp_state xb__huge_first_decrease(struct xb_driver *d, uint64_t nr,
					 unsigned alloc_flags, uint64_t *done)
{
	if (d->knobs.huge && nr >= XB_HUGE_PAGES) {
		uint64_t before = *done;
		enum xb_bp_state st = xb_drv_decrease_huge(
		    d, nr / XB_HUGE_PAGES, alloc_flags, done);

		if (st == XB_BP_DONE)
			return st;
		/* The guest has no 2 MiB page (or the host refused one):
		 * fall back to 4 KiB pages for the rest of this step. */
		nr -= *done - before;
	}
	return xb_drv_decrease_small(d, nr, true, done);
}

enum xb_bp_state xb__huge_first_increase(struct xb_driver *d, uint64_t nr,
					 uint64_t *done)
{
	if (d->knobs.huge && nr >= XB_HUGE_PAGES && d->huge.nr > 0)
		return xb_drv_increase_huge(d, nr / XB_HUGE_PAGES, done);
	if (d->small.nr_pages == 0 && !xb_drv_split_huge(d))
		return XB_BP_EAGAIN;
	return xb_drv_increase_small(d, nr, done);
}

/* The seed allocates its 2 MiB pages as GFP_HIGHUSER | __GFP_NORETRY
 * (the flags of GFP_BALLOON): kswapd is woken; async compaction first,
 * and only when it ran, one direct reclaim and one more async run. */
static enum xb_bp_state hf_decrease(struct xb_driver *d, uint64_t nr,
				    uint64_t *done)
{
	return xb__huge_first_decrease(d, nr, XB_GFP_BALLOON, done);
}

/*
 * Figure 3: exchange pages. Bounded work per wake-up, as a worker that
 * must not hog the CPU: at most this many 2 MiB pages per period.
 */
#define COALESCE_PER_WAKE 64

static void hf_worker(struct xb_driver *d)
{
	for (unsigned i = 0; i < COALESCE_PER_WAKE; i++)
		if (!xb_drv_coalesce(d))
			break;
}

#define HF_DEFAULTS(compact, xchg)                                             \
	{                                                                      \
		.huge = true, .compaction = compact, .exchange = xchg,         \
		.split_refused = false, .exchange_interval = 1000000000ull,    \
		.max_retry_count = 4, .max_schedule_delay = 32,                \
		.batch = XB_FRAME_LIST, .proactiveness = 20,                   \
		.numa_exact = true, .numa_split = XB_NUMA_SPLIT_SIZE,          \
		.huge_gfp = XB_HUGE_GFP_MOVABLE,                               \
	}

const struct xb_policy_ops xb_policy_huge_first = {
    .version = XB_POLICY_VERSION,
    .name = "huge-first",
    .description = "the seed: 2 MiB first, movable 4 KiB fallback, "
		   "exchange worker",
    .defaults = HF_DEFAULTS(true, true),
    .decrease = hf_decrease,
    .increase = xb__huge_first_increase,
    .worker = hf_worker,
    .migratepage = xb_drv_migratepage,
};

const struct xb_policy_ops xb_policy_huge_first_nocompact = {
    .version = XB_POLICY_VERSION,
    .name = "huge-first-nocompact",
    .description = "huge-first without compaction of balloon pages",
    .defaults = HF_DEFAULTS(false, true),
    .decrease = hf_decrease,
    .increase = xb__huge_first_increase,
    .worker = hf_worker,
    .migratepage = xb_drv_migratepage,
};

const struct xb_policy_ops xb_policy_huge_first_noexchange = {
    .version = XB_POLICY_VERSION,
    .name = "huge-first-noexchange",
    .description = "huge-first without the exchange worker",
    .defaults = HF_DEFAULTS(true, false),
    .decrease = hf_decrease,
    .increase = xb__huge_first_increase,
    .worker = hf_worker,
    .migratepage = xb_drv_migratepage,
};
