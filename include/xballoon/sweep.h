/*
 * Sweep results for `xballoon bench`: one record per run, read back from
 * its report.json, and the per-scenario tables (mean ± 95 % CI over seeds)
 * as text, Markdown and a one-row-per-run CSV.
 */
#ifndef XBALLOON_SWEEP_H
#define XBALLOON_SWEEP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The metrics of a run, in column order: X(id, csv name, table header,
 * printf format of one value). WALL must stay last: it is the only value
 * that is not a function of (scenario, policy, seed), and tools strip the
 * last column to compare sweeps.
 */
#define XB_SWEEP_METRICS(X)                                                    \
	X(TARGET, "target_reached", "target", "%.2f")                          \
	X(FU9, "fu9", "Fu(9)", "%.3f")                                         \
	X(REG_BAL, "regions_2m_ballooned", "2M-bal", "%.1f")                   \
	X(REG_MIX, "regions_2m_mixed", "2M-mix", "%.1f")                       \
	X(P2M_SP, "p2m_superpage_coverage", "p2m-sp", "%.3f")                  \
	X(CONTIG, "contiguity_2m", "contig", "%.3f")                           \
	X(HUGE_SHARE, "balloon_2m_share", "bal-2M", "%.3f")                    \
	X(HCALLS, "hypercalls", "hcalls", "%.1f")                              \
	X(MIGRATED, "compaction_migrated", "migrated", "%.1f")                 \
	X(XCHG_MOVE, "exchanges_moves", "xchg+move", "%.1f")                   \
	X(LOCALITY, "vnode_locality", "local", "%.3f")                         \
	X(SIM, "sim_time_s", "sim-s", "%.1f")                                  \
	X(WALL, "wall_time_s", "wall-s", "%.2f")

enum xb_sweep_metric {
#define XB_SWEEP_ENUM(id, csv, head, fmt) XB_SWEEP_##id,
	XB_SWEEP_METRICS(XB_SWEEP_ENUM)
#undef XB_SWEEP_ENUM
	    XB_SWEEP_NR_METRICS
};

/* One run, as its report.json says. */
struct xb_sweep_run {
	char *scenario;
	char *policy;
	uint64_t seed;
	char digest[65];
	uint64_t violations;
	double v[XB_SWEEP_NR_METRICS];
};

/**
 * xb_sweep_parse_report() - read the report.json at @path into @run.
 * Returns false with @error set (naming the file and the field) when the
 * file cannot be read, is not JSON, or lacks a field of the v1 report.
 */
bool xb_sweep_parse_report(const char *path, struct xb_sweep_run *run,
			   GError **error);
void xb_sweep_run_clear(struct xb_sweep_run *run);

/**
 * xb_sweep_sort() - order @runs (struct xb_sweep_run) by scenario name,
 * then policy (position in @policies if given, else registry order, then
 * name), then seed: the order of a direct sweep of one scenario, so
 * a merge prints the same tables.
 */
void xb_sweep_sort(GArray *runs, char **policies);
/* The sort key of policy @name: its place in @given (NULL: none), else
 * after them in registry order, else after all of those. */
size_t xb_sweep_policy_rank(const char *name, char **given);

/**
 * xb_sweep_load_dirs() - the runs of every report.json found below the
 * directories @dirs[0..@n) (recursively, not through symbolic links),
 * appended to @runs (struct xb_sweep_run) and ordered by xb_sweep_sort();
 * a run whose policy is not in @policies is left out (NULL: none is).
 * The directory names mean nothing: scenario, policy and seed come from
 * each report.
 * Return: false with @error (XB_ERROR_INVALID) when a name is not a
 * directory, a report does not parse, no report is found, or two reports
 * are of the same (scenario, policy, seed); @runs is then left empty.
 */
bool xb_sweep_load_dirs(char *const *dirs, size_t n, char **policies,
			GArray *runs, GError **error);
/* Clear every run of @runs and free the array. */
void xb_sweep_runs_free(GArray *runs);

/* How the tables and results.csv are written. */
enum xb_sweep_format {
	XB_SWEEP_MARKDOWN = 1 << 0, /* tables as Markdown (results.md)   */
	/* Leave the wall-time column out: what remains is a function of
	 * (scenario, policy, seed) only, so two sweeps compare with cmp. */
	XB_SWEEP_NO_WALL = 1 << 1,
};

/*
 * The tables. @runs must be grouped: each scenario's runs consecutive, and
 * within them each policy's; one table per scenario, one row per policy.
 * @format: enum xb_sweep_format flags.
 */
void xb_sweep_write_tables(const struct xb_sweep_run *runs, size_t n,
			   unsigned format, FILE *out);
/* results.csv: a header and one row per run, wall_time_s last (unless
 * XB_SWEEP_NO_WALL is in @format). */
void xb_sweep_write_csv(const struct xb_sweep_run *runs, size_t n,
			unsigned format, FILE *out);

#endif
