/*
 * The benchmark harness: each benchmark times one operation over N frames
 * and reports ns per frame (or per op) and the ratio to a reference measured
 * in the same run (memset of N x 16 bytes), so that results compare across
 * noisy, shared machines. Never used as a timed test.
 */
#ifndef XB_BENCH_H
#define XB_BENCH_H

#include <stdint.h>

struct xb_bench_ctx {
	uint64_t frames;
	uint64_t seed;
	double memset_ns_per_frame; /* the reference, measured first */
	const char *scenario;	    /* replayed for events per second */
};

struct xb_bench_result {
	const char *name;
	uint64_t frames;
	double ns_per_op; /* per frame unless the name says per op */
	double ratio;	  /* ns_per_op / reference ns per frame     */
	const char *reference;
	double target; /* 0: no target set                       */
};

/* Process CPU nanoseconds (the bench is the one place that reads a
 * clock). */
uint64_t xb_bench_now_ns(void);

/* Record one measurement against the memset reference (the harness
 * prints them). */
void xb_bench_report(struct xb_bench_ctx *ctx, const char *name,
		     uint64_t frames, double ns_per_op, double target);
/* Record one measurement against another reference: ratio = value / ref,
 * `reference` says what ref is. `value` goes in the ns_per_op column (bytes
 * for the memory rows: the name says so). */
void xb_bench_report_ref(const char *name, uint64_t frames, double value,
			 double ref, const char *reference, double target);

/* Resident set size of this process in bytes (VmRSS), 0 if unknown. */
uint64_t xb_bench_rss_bytes(void);

/* Benchmark groups, one file each. */
void xb_bench_zone(struct xb_bench_ctx *ctx);
void xb_bench_backend(struct xb_bench_ctx *ctx);
void xb_bench_compaction(struct xb_bench_ctx *ctx);
void xb_bench_driver(struct xb_bench_ctx *ctx);
void xb_bench_replay(struct xb_bench_ctx *ctx);

#endif
