/*
 * Zone benchmarks: fill with order-0 allocations, free in random order,
 * order-9 allocations.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "xballoon/rng.h"
#include "xballoon/zone.h"

static struct xb_zone *fresh_zone(uint64_t frames)
{
	struct xb_zone *z = xb_zone_create(frames);

	if (!z) {
		fprintf(stderr,
			"xb-bench: cannot create a zone of %llu frames\n",
			(unsigned long long)frames);
		exit(1);
	}
	xb_zone_online_all(z);
	return z;
}

void xb_bench_zone(struct xb_bench_ctx *ctx)
{
	uint64_t n = ctx->frames;
	struct xb_zone *z = fresh_zone(n);
	xb_pfn_t *pfns = malloc(n * sizeof(*pfns));
	struct xb_rng rng;
	uint64_t t0, got = 0;

	/* (a) fill the zone with order-0 allocations */
	t0 = xb_bench_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		xb_pfn_t p = xb_zone_alloc(z, 0, XB_MT_MOVABLE,
					   XB_ALLOC_NOWMARK, 1, (uint32_t)i);
		if (p == XB_NIL)
			break;
		pfns[got++] = p;
	}
	xb_bench_report(ctx, "zone: order-0 alloc (fill)", got,
			(double)(xb_bench_now_ns() - t0) / (double)got, 0);

	/* (b) free them in random order (shuffle not timed) */
	xb_rng_seed(&rng, ctx->seed);
	for (uint64_t i = got - 1; i > 0; i--) {
		uint64_t j = xb_rng_below(&rng, i + 1);
		xb_pfn_t t = pfns[i];

		pfns[i] = pfns[j];
		pfns[j] = t;
	}
	t0 = xb_bench_now_ns();
	for (uint64_t i = 0; i < got; i++)
		xb_zone_free(z, pfns[i]);
	xb_bench_report(ctx, "zone: order-0 free (random order)", got,
			(double)(xb_bench_now_ns() - t0) / (double)got, 0);

	/* (c) order-9 allocations until the zone is full */
	uint64_t blocks = 0;

	t0 = xb_bench_now_ns();
	while (xb_zone_alloc(z, 9, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, 1, 0) !=
	       XB_NIL)
		blocks++;
	xb_bench_report(
	    ctx, "zone: order-9 alloc (per frame)", blocks << 9,
	    (double)(xb_bench_now_ns() - t0) / (double)(blocks << 9), 0);
	if (!xb__zone_is_valid(z)) {
		fprintf(stderr, "xb-bench: zone invariants violated\n");
		exit(1);
	}
	free(pfns);
	xb_zone_destroy(z);
}
