/*
 * Pictures of runs (tools/plot.c): metric curves from series.csv and maps of
 * guest physical memory from map.txt, drawn with cairo to PNG and SVG.
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

/* Pixel sizes of the pictures (the PNGs; SVGs use the same units). */
void xb_plot_curves_size(int *w, int *h);
void xb_plot_map_size(const struct xb_plot_run *runs, size_t n, bool last_only,
		      int *w, int *h);

#endif
