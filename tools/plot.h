/*
 * Pictures of runs (tools/plot.c): metric curves from series.csv and maps of
 * guest physical memory from map.txt; and of sweeps (tools/plot_bench.c):
 * each metric per policy with its 95 % interval. Drawn with cairo to PNG
 * and SVG (tools/draw.c).
 */
#ifndef XB_TOOLS_PLOT_H
#define XB_TOOLS_PLOT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The series.csv columns the curves use, by index into xb_plot_run.col. */
enum xb_plot_col {
	XB_COL_T,
	XB_COL_POPULATED,
	XB_COL_TARGET,
	XB_COL_HUGE,
	XB_COL_SMALL,
	XB_COL_FU9,
	XB_COL_P2M_SP,
	XB_COL_CONTIG,
	XB_COL_NR
};

/* One map line of map.txt. */
struct xb_plot_map {
	double t_s;
	char *letters; /* one xb_region_chars letter per 2 MiB region */
};

/* One run's out dir, loaded. Invariant: every col[] has nr_rows doubles. */
struct xb_plot_run {
	char *dir;
	char *scenario;
	char *policy;
	char *label; /* the legend's name for it                 */
	size_t nr_rows;
	GArray *col[XB_COL_NR]; /* double                                 */
	GPtrArray *maps;	/* struct xb_plot_map *; empty: no map.txt  */
};

/* Load DIR/report.json, DIR/series.csv and DIR/map.txt (if present). */
bool xb_plot_load(const char *dir, struct xb_plot_run *run, GError **error);
void xb_plot_run_clear(struct xb_plot_run *run);

/*
 * Write PREFIX-curves.{png,svg} and, when any run has maps,
 * PREFIX-map.{png,svg}; with last_only, only each run's last map.
 */
bool xb_plot_write(struct xb_plot_run *runs, size_t n, const char *prefix,
		   bool last_only, GError **error);

/*
 * Pictures of a sweep (tools/plot_bench.c): one per metric group, the mean
 * and 95 % interval of every policy, one panel per scenario. @runs as
 * xb_sweep_load_dirs() gives them with @policies (grouped and ordered).
 * Writes PREFIX-GROUP.{png,svg} for every group and adds each
 * "PREFIX-GROUP" to @written.
 */
struct xb_sweep_run;
bool xb_plot_bench_write(const struct xb_sweep_run *runs, size_t n,
			 char **policies, const char *prefix,
			 GPtrArray *written, GError **error);
/* The pixel size of a sweep's pictures with @scenarios panels. */
void xb_plot_bench_size(size_t scenarios, int *w, int *h);

/* Pixel sizes of the pictures (the PNGs; SVGs use the same units). */
void xb_plot_curves_size(int *w, int *h);
void xb_plot_map_size(const struct xb_plot_run *runs, size_t n, bool last_only,
		      int *w, int *h);

#endif
