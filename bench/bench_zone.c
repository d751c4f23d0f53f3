/*
 * Zone benchmarks: fill with order-0 allocations, free in random order,
 * order-9 allocations, and random alloc/free churn measured against a
 * dependent pointer chase over a buffer as large as the zone's frame array.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "xballoon/mem.h"
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

/*
 * The churn's reference: latency of one dependent load at a random place in
 * a buffer of frames x 16 bytes (a single random cycle, Sattolo's shuffle),
 * best of 3 walks of up to 2^24 steps.
 */
static double measure_chase(struct xb_bench_ctx *ctx, uint64_t frames)
{
	struct slot {
		uint64_t next;
		uint64_t pad;
	} *buf = xb_map_zeroed(frames * sizeof(struct slot));
	struct xb_rng rng;
	uint64_t steps = MIN(frames, 1ull << 24), p = 0;
	double best = 1e30;

	if (!buf) {
		fprintf(stderr, "xb-bench: cannot map the chase buffer\n");
		exit(1);
	}
	for (uint64_t i = 0; i < frames; i++)
		buf[i].next = i;
	xb_rng_seed(&rng, ctx->seed);
	for (uint64_t i = frames - 1; i > 0; i--) {
		uint64_t j = xb_rng_below(&rng, i);
		uint64_t t = buf[i].next;

		buf[i].next = buf[j].next;
		buf[j].next = t;
	}
	for (int r = 0; r < 3; r++) {
		uint64_t t0 = xb_bench_now_ns();

		for (uint64_t i = 0; i < steps; i++)
			p = buf[p].next;
		double ns = (double)(xb_bench_now_ns() - t0) / (double)steps;

		if (ns < best)
			best = ns;
	}
	__asm__ volatile("" : : "r"(p));
	xb_unmap(buf, frames * sizeof(struct slot));
	return best;
}

#define CHURN_BATCH 64

/*
 * Churn: a zone half full of order-0 movable pages; each round frees
 * CHURN_BATCH random held pages and allocates as many again. One op is one
 * allocation or one free.
 */
static void bench_churn(struct xb_bench_ctx *ctx)
{
	uint64_t n = ctx->frames, held = n / 2, ops = 0;
	double chase = measure_chase(ctx, n);
	struct xb_zone *z = fresh_zone(n);
	xb_pfn_t *pfns = xb_map_zeroed(held * sizeof(*pfns));
	uint64_t idx[CHURN_BATCH];
	struct xb_rng rng;

	if (!pfns) {
		fprintf(stderr, "xb-bench: cannot map the churn table\n");
		exit(1);
	}
	for (uint64_t i = 0; i < held; i++)
		pfns[i] = xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK,
					1, (uint32_t)i);
	xb_rng_seed(&rng, ctx->seed + 1);
	uint64_t t0 = xb_bench_now_ns();

	for (uint64_t round = 0; round < held / CHURN_BATCH; round++) {
		for (unsigned k = 0; k < CHURN_BATCH; k++) {
			uint64_t i = xb_rng_below(&rng, held);

			/* A page drawn twice in a round is freed once. */
			if (pfns[i] == XB_NIL) {
				idx[k] = UINT64_MAX;
				continue;
			}
			xb_zone_free(z, pfns[i]);
			pfns[i] = XB_NIL;
			idx[k] = i;
			ops++;
		}
		for (unsigned k = 0; k < CHURN_BATCH; k++) {
			if (idx[k] == UINT64_MAX)
				continue;
			pfns[idx[k]] =
			    xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK,
					  1, (uint32_t)idx[k]);
			ops++;
		}
	}
	double ns = (double)(xb_bench_now_ns() - t0) / (double)ops;

	xb_bench_report_ref("zone: pointer chase, same size (reference)", n,
			    chase, chase, "dependent pointer chase", 0);
	xb_bench_report_ref("zone: random alloc/free churn (op)", ops, ns,
			    chase, "dependent pointer chase", 1.5);
	if (!xb__zone_is_valid(z) || z->nr_state[XB_FRAME_ALLOC] != held) {
		fprintf(stderr, "xb-bench: churn left a bad zone\n");
		exit(1);
	}
	xb_unmap(pfns, held * sizeof(*pfns));
	xb_zone_destroy(z);
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

	/* (c) order-9 allocations until the zone is full; first the pages
	 * still waiting on the per-CPU lists go back (drain_all_pages(), not
	 * timed), or their pageblocks would stay split */
	uint64_t blocks = 0;

	xb_zone_drain_pcp(z);

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
	bench_churn(ctx);
}
