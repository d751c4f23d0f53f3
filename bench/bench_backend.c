/*
 * Backend benchmarks on the mock hypervisor, through the core wrappers as
 * the driver calls them: populate and decrease N frames at order 0 in
 * batches of 512 extents, and N/512 extents at order 9.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "xballoon/backend.h"
#include "xballoon/mock.h"

#define BATCH 512u

static struct xb_backend *open_mock(struct xb_bench_ctx *ctx)
{
	struct xb_backend_config cfg = {
	    .type = XB_GUEST_HVM,
	    .max_pages = ctx->frames,
	    .gfn_space = ctx->frames,
	    .host_pages = ctx->frames + ctx->frames / 8,
	    .seed = ctx->seed,
	    .domid = -1,
	};
	GError *err = NULL;
	struct xb_backend *be =
	    xb_backend_open(&xb__mock_backend_ops, &cfg, &err);

	if (!be) {
		fprintf(stderr, "xb-bench: mock: %s\n", err->message);
		exit(1);
	}
	return be;
}

/* Issue populate (or decrease) over gfns [0, frames) at `order`, BATCH
 * extents per call; returns ns per frame. */
static double run(struct xb_backend *be, uint64_t frames, unsigned order,
		  bool populate)
{
	xb_xen_pfn_t e[BATCH];
	uint64_t nr_ext = frames >> order, t0 = xb_bench_now_ns();

	for (uint64_t first = 0; first < nr_ext; first += BATCH) {
		uint64_t n = MIN(BATCH, nr_ext - first);

		for (uint64_t i = 0; i < n; i++)
			e[i] = (first + i) << order;
		long done = populate ? xb_populate_physmap(be, e, n, order)
				     : xb_decrease_reservation(be, e, n, order);
		if (done != (long)n) {
			fprintf(stderr,
				"xb-bench: mock %s order %u: %ld of %llu\n",
				populate ? "populate" : "decrease", order, done,
				(unsigned long long)n);
			exit(1);
		}
	}
	return (double)(xb_bench_now_ns() - t0) / (double)(nr_ext << order);
}

void xb_bench_backend(struct xb_bench_ctx *ctx)
{
	struct xb_backend *be = open_mock(ctx);
	uint64_t n = ctx->frames & ~(uint64_t)511;

	xb_bench_report(ctx, "mock: populate order 0 (batches of 512)", n,
			run(be, n, 0, true), 0);
	xb_bench_report(ctx, "mock: decrease order 0 (batches of 512)", n,
			run(be, n, 0, false), 0);
	xb_bench_report(ctx, "mock: populate order 9 (per frame)", n,
			run(be, n, 9, true), 0);
	xb_bench_report(ctx, "mock: decrease order 9 (per frame)", n,
			run(be, n, 9, false), 0);
	if (!xb__mock_is_valid(xb_mock_from_backend(be))) {
		fprintf(stderr, "xb-bench: mock invariants violated\n");
		exit(1);
	}
	xb_backend_close(be);
}
