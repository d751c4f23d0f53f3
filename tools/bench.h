/*
 * `xballoon bench` across its files: the command line's settings
 * (tools/cmd_bench.c) and the writer of cluster jobs, `--emit`
 * (tools/bench_emit.c).
 */
#ifndef XB_TOOLS_BENCH_H
#define XB_TOOLS_BENCH_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* What --emit writes a job for. */
enum xb_bench_emit {
	XB_EMIT_NONE,
	XB_EMIT_SLURM,	  /* an sbatch array script, one task a line    */
	XB_EMIT_PARALLEL, /* a GNU parallel job list and its command    */
};

/*
 * One `bench` command line. A sweep runs, for every scenario and policy,
 * the runs i = seed_offset ... seed_offset + seeds - 1, run i with seed =
 * the scenario's seed + i; --emit splits those runs into tasks of at most
 * chunk runs, each a sweep of its own with the same settings.
 */
struct bench {
	char **policies;      /* NULL: all registered (direct sweep)     */
	uint64_t seeds;	      /* --seeds: runs per (scenario, policy)    */
	uint64_t seed_offset; /* --seed-offset: the first run's i        */
	uint64_t jobs;	      /* --jobs: worker processes (of a task)    */
	uint64_t chunk;	      /* --chunk: runs a task, with --emit       */
	const char *out;      /* --out, or --emit's directory            */
	enum xb_bench_emit emit;
	unsigned format; /* enum xb_sweep_format flags (--no-wall)  */
	bool merge;	 /* --merge                                 */
	bool allow_long; /* --allow-long                            */
	GPtrArray *args; /* scenarios, or directories with --merge  */
};

/*
 * xb_bench_emit() - write the job of @b into the new directory b->out:
 * jobs.txt (one `xballoon bench` command line a task), job.sbatch (Slurm)
 * or run-parallel.sh (GNU parallel), merge.sh, and the empty logs/ and
 * parts/. @scenarios holds the loaded b->args, in order. Everything is
 * written into a temporary directory beside b->out and renamed onto it at
 * the end, so a failure leaves nothing. Returns the exit status; errors
 * get one line on stderr.
 */
int xb_bench_emit(const struct bench *b, GPtrArray *scenarios);

#endif
