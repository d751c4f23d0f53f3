/*
 * Driver benchmarks: inflate a fresh guest as far as it goes (target 0:
 * everything but the allocator's reserve) and deflate it back, with the
 * `linux` policy (4 KiB pages) and `huge-first` (2 MiB extents), against
 * the mock hypervisor; and the memory the model takes per guest frame (the
 * guest zone, the mock's P2M and a host heap 1.25 times the guest).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "xballoon/compaction.h"
#include "xballoon/driver.h"
#include "xballoon/policy.h"

struct rig {
	struct xb_backend *be;
	struct xb_zone *z;
	struct xb_compactor comp;
	struct xb_driver d;
};

static enum xb_compact_result rig_compact(struct xb_zone *z, void *priv,
					  unsigned order, unsigned mt,
					  unsigned prio)
{
	return xb_compact_direct(&((struct rig *)priv)->comp, order, mt, prio);
}

static const struct xb_zone_ops rig_ops = {.compact = rig_compact};

static void rig_open(struct rig *r, uint64_t frames, const char *policy)
{
	const struct xb_policy_ops *p = xb_policy_find(policy);
	struct xb_backend_config cfg = {.type = XB_GUEST_HVM,
					.max_pages = frames,
					.gfn_space = frames,
					.host_pages = frames + frames / 4,
					.seed = 1,
					.domid = -1};
	GError *err = NULL;

	r->be = xb_backend_open(xb_backend_find("mock"), &cfg, &err);
	r->z = xb_zone_create(frames);
	if (!p || !r->be || !r->z) {
		fprintf(stderr, "xb-bench: cannot set up a %llu-frame guest\n",
			(unsigned long long)frames);
		exit(1);
	}
	xb_compactor_init(&r->comp, r->z);
	xb_zone_set_ops(r->z, &rig_ops, r);
	if (xb_driver_init(&r->d, r->z, r->be, p, &p->defaults) ||
	    xb_driver_boot(&r->d, frames, 9)) {
		fprintf(stderr, "xb-bench: cannot boot the guest\n");
		exit(1);
	}
}

static void rig_close(struct rig *r)
{
	if (!xb__driver_is_valid(&r->d)) {
		fprintf(stderr, "xb-bench: driver invariants violated\n");
		exit(1);
	}
	xb_driver_fini(&r->d);
	xb_zone_destroy(r->z);
	xb_backend_close(r->be);
}

/* Drive balloon_process to the target; back-off delays are simulated,
 * so they cost nothing here. */
static void settle(struct xb_driver *d, uint64_t target)
{
	xb_driver_set_target(d, target);
	for (int i = 0; i < 64 && xb_driver_process(d); i++)
		;
}

/* The memory budget of the scale issue: 40 bytes per guest frame for the
 * guest zone, the P2M and the host heap together. */
#define MEM_BUDGET 40.0

static void report_memory(const char *name, uint64_t frames, uint64_t base)
{
	uint64_t rss = xb_bench_rss_bytes();
	double per = rss > base ? (double)(rss - base) / (double)frames : 0;

	xb_bench_report_ref(name, frames, per, MEM_BUDGET,
			    "40 bytes per guest frame", 1.0);
}

static void one_policy(struct xb_bench_ctx *ctx, const char *policy,
		       double inflate_target, const char *inflate_name,
		       const char *deflate_name, const char *boot_mem_name,
		       const char *cycle_mem_name)
{
	struct rig r;
	uint64_t n = ctx->frames, t0, moved;
	uint64_t base = xb_bench_rss_bytes();

	rig_open(&r, n, policy);
	if (boot_mem_name)
		report_memory(boot_mem_name, n, base);
	t0 = xb_bench_now_ns();
	settle(&r.d, 0);
	moved = n - r.d.current_pages;
	xb_bench_report(ctx, inflate_name, moved,
			(double)(xb_bench_now_ns() - t0) / (double)moved,
			inflate_target);
	t0 = xb_bench_now_ns();
	settle(&r.d, n);
	xb_bench_report(ctx, deflate_name, moved,
			(double)(xb_bench_now_ns() - t0) / (double)moved, 0);
	report_memory(cycle_mem_name, n, base);
	rig_close(&r);
}

/*
 * The coalescing worker (huge-first): balloon a quarter of the guest out
 * as 4 KiB movable pages, then let xb_drv_coalesce() turn them into 2 MiB
 * balloon pages until it cannot. Per 4 KiB frame coalesced: picking the
 * victims, one 2 MiB allocation and one add_to_physmap per 2 MiB page.
 * A victim search that walked the balloon would cost O(balloon) per 2 MiB
 * page, so this row would grow with N.
 */
static void bench_coalesce(struct xb_bench_ctx *ctx)
{
	struct rig r;
	uint64_t n = ctx->frames, want = n / 4, out = 0, made = 0, t0;

	rig_open(&r, n, "huge-first");
	while (out < want) {
		uint64_t k = 0;

		xb_drv_decrease_small(&r.d, want - out, true, &k);
		if (k == 0)
			break;
		out += k;
	}
	t0 = xb_bench_now_ns();
	while (xb_drv_coalesce(&r.d))
		made++;
	if (made == 0) {
		fprintf(stderr, "xb-bench: nothing to coalesce\n");
		exit(1);
	}
	xb_bench_report(ctx, "driver huge-first: coalesce (4 KiB -> 2 MiB)",
			made * XB_HUGE_PAGES,
			(double)(xb_bench_now_ns() - t0) /
			    (double)(made * XB_HUGE_PAGES),
			0);
	rig_close(&r);
}

void xb_bench_driver(struct xb_bench_ctx *ctx)
{
	one_policy(ctx, "linux", 15, "driver linux: inflate (4 KiB)",
		   "driver linux: deflate (4 KiB)",
		   "memory: B/frame after boot (2 MiB extents)",
		   "memory: B/frame after the 4 KiB cycle");
	one_policy(ctx, "huge-first", 1, "driver huge-first: inflate (2 MiB)",
		   "driver huge-first: deflate (2 MiB)", NULL,
		   "memory: B/frame after the 2 MiB cycle");
	bench_coalesce(ctx);
}
