/*
 * Pictures of runs: loading a run's out dir (report.json, series.csv,
 * map.txt), then drawing the metric curves and the guest memory maps with
 * cairo, once on an image surface (PNG) and once on an SVG surface.
 */
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/draw.h"
#include "tools/plot.h"
#include "xballoon/file.h"
#include "xballoon/metrics.h"

#define GIB_FRAMES 262144.0 /* 4 KiB frames per GiB */

/* ---- loading ------------------------------------------------------------ */

/* The string value of "key" in report.json (our own writer's format: a
 * flat "key": "value" with \" and \\ escapes). NULL when absent. */
static char *json_string(const char *json, const char *key)
{
	char *pat = g_strdup_printf("\"%s\":", key);
	const char *p = strstr(json, pat);
	GString *s;

	g_free(pat);
	if (!p)
		return NULL;
	p += strlen(key) + 3;
	while (*p == ' ')
		p++;
	if (*p++ != '"')
		return NULL;
	s = g_string_new(NULL);
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		g_string_append_c(s, *p);
	}
	if (*p != '"') {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static const char *const col_names[XB_COL_NR] = {
    [XB_COL_T] = "t_s",
    [XB_COL_POPULATED] = "populated",
    [XB_COL_TARGET] = "target",
    [XB_COL_HUGE] = "balloon_huge",
    [XB_COL_SMALL] = "balloon_small",
    [XB_COL_FU9] = "fu9",
    [XB_COL_P2M_SP] = "p2m_superpage_coverage",
    [XB_COL_CONTIG] = "contiguity_2m",
};

/* The whole of a run's file; a FIFO or device there is refused. */
static bool read_file(const char *path, char **text, GError **error)
{
	if (xb_read_regular(path, text, NULL, error))
		return true;
	g_prefix_error(error, "%s: ", path);
	return false;
}

static bool load_csv(struct xb_plot_run *run, const char *path, GError **error)
{
	char *text = NULL;
	char **lines;
	int idx[XB_COL_NR];
	bool ok = false;

	if (!read_file(path, &text, error))
		return false;
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	if (!lines[0]) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "%s: empty", path);
		goto out;
	}
	char **head = g_strsplit(lines[0], ",", -1);

	for (int c = 0; c < XB_COL_NR; c++) {
		idx[c] = -1;
		for (int k = 0; head[k]; k++)
			if (!strcmp(head[k], col_names[c]))
				idx[c] = k;
	}
	g_strfreev(head);
	for (int c = 0; c < XB_COL_NR; c++) {
		if (idx[c] < 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "%s: no column '%s'", path, col_names[c]);
			goto out;
		}
	}
	for (size_t l = 1; lines[l]; l++) {
		if (!lines[l][0])
			continue;
		char **f = g_strsplit(lines[l], ",", -1);
		guint nf = g_strv_length(f);
		bool row_ok = true;
		double v[XB_COL_NR];

		for (int c = 0; c < XB_COL_NR && row_ok; c++) {
			char *end;

			row_ok = (guint)idx[c] < nf;
			if (row_ok)
				v[c] = g_ascii_strtod(f[idx[c]], &end);
			row_ok = row_ok && end != f[idx[c]] && !*end;
		}
		g_strfreev(f);
		if (!row_ok) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "%s:%zu: malformed row", path, l + 1);
			goto out;
		}
		for (int c = 0; c < XB_COL_NR; c++)
			g_array_append_val(run->col[c], v[c]);
		run->nr_rows++;
	}
	ok = true;
out:
	g_strfreev(lines);
	return ok;
}

static void map_free(gpointer p)
{
	struct xb_plot_map *m = p;

	g_free(m->letters);
	g_free(m);
}

static bool load_map(struct xb_plot_run *run, const char *path, GError **error)
{
	char *text = NULL;
	char **lines;
	bool ok = true;

	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		return true;
	if (!read_file(path, &text, error))
		return false;
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	for (size_t l = 0; lines[l] && ok; l++) {
		const char *s = lines[l];
		char *end;

		if (!s[0] || s[0] == '#')
			continue;
		double t = g_ascii_strtod(s, &end);

		ok = end != s && *end == ' ' && end[1] &&
		     strspn(end + 1, xb_region_chars) == strlen(end + 1);
		if (!ok) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "%s:%zu: malformed map line", path, l + 1);
			break;
		}
		struct xb_plot_map *m = g_new0(struct xb_plot_map, 1);

		m->t_s = t;
		m->letters = g_strdup(end + 1);
		g_ptr_array_add(run->maps, m);
	}
	g_strfreev(lines);
	return ok;
}

bool xb_plot_load(const char *dir, struct xb_plot_run *run, GError **error)
{
	char *path = g_build_filename(dir, "report.json", NULL);
	char *json = NULL;
	bool ok;

	memset(run, 0, sizeof(*run));
	run->dir = g_strdup(dir);
	for (int c = 0; c < XB_COL_NR; c++)
		run->col[c] = g_array_new(FALSE, FALSE, sizeof(double));
	run->maps = g_ptr_array_new_with_free_func(map_free);
	ok = read_file(path, &json, error);
	if (ok) {
		run->scenario = json_string(json, "scenario");
		run->policy = json_string(json, "policy");
		if (!run->scenario || !run->policy) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "%s: no \"scenario\" or \"policy\"", path);
			ok = false;
		}
	}
	g_free(json);
	g_free(path);
	path = g_build_filename(dir, "series.csv", NULL);
	ok = ok && load_csv(run, path, error);
	g_free(path);
	path = g_build_filename(dir, "map.txt", NULL);
	ok = ok && load_map(run, path, error);
	g_free(path);
	run->label = g_strdup(run->policy ? run->policy : dir);
	return ok;
}

void xb_plot_run_clear(struct xb_plot_run *run)
{
	g_free(run->dir);
	g_free(run->scenario);
	g_free(run->policy);
	g_free(run->label);
	for (int c = 0; c < XB_COL_NR; c++)
		if (run->col[c])
			g_array_free(run->col[c], TRUE);
	if (run->maps)
		g_ptr_array_free(run->maps, TRUE);
	memset(run, 0, sizeof(*run));
}

/* ---- drawing helpers ---------------------------------------------------- */

/* By enum xb_region_state: populated in colours, ballooned in greys. */
static const struct xb_rgb region_colours[XB_REGION_NR] = {
    [XB_REGION_FREE] = XB_RGB(0xd9f0d3),
    [XB_REGION_MOVABLE] = XB_RGB(0x4393c3),
    [XB_REGION_UNMOVABLE] = XB_RGB(0xb2182b),
    [XB_REGION_HUGE] = XB_RGB(0x252525),
    [XB_REGION_SMALL] = XB_RGB(0xa0a0a0),
    [XB_REGION_SPECIAL] = XB_RGB(0x8e44ad),
    [XB_REGION_MIXED] = XB_RGB(0xf4a621),
};

static const char *const region_names[XB_REGION_NR] = {
    [XB_REGION_FREE] = "populated, free",
    [XB_REGION_MOVABLE] = "used, movable only",
    [XB_REGION_UNMOVABLE] = "used, some unmovable",
    [XB_REGION_HUGE] = "ballooned as a 2 MiB page",
    [XB_REGION_SMALL] = "ballooned as 4 KiB pages",
    [XB_REGION_SPECIAL] = "taken for foreign maps",
    [XB_REGION_MIXED] = "mixed (part ballooned)",
};

/* ---- curves ------------------------------------------------------------- */

#define CURVES_W 1200
#define CURVES_H 860
#define PANEL_W	 490
#define PANEL_H	 280
#define PANEL_X0 100 /* left edge of the left column's plot area   */
#define PANEL_DX 590 /* from one column's plot area to the next's  */
#define PANEL_Y0 110
#define PANEL_DY 370

struct panel {
	const char *title;
	const char *ylabel;
	int solid, dashed; /* columns; dashed -1: none                    */
	double scale;	   /* multiply values by this (frames -> GiB)     */
	bool unit_range;   /* y from 0 to 1                               */
};

static const struct panel panels[4] = {
    {"Guest memory: populated (solid) vs target (dashed)", "GiB",
     XB_COL_POPULATED, XB_COL_TARGET, 1 / GIB_FRAMES, false},
    {"Balloon: in 2 MiB pages (solid) vs 4 KiB pages (dashed)", "GiB",
     XB_COL_HUGE, XB_COL_SMALL, 1 / GIB_FRAMES, false},
    {"Guest Fu(9): free memory unusable for 2 MiB (lower is better)", "Fu(9)",
     XB_COL_FU9, -1, 1, true},
    {"Host: 2 MiB P2M entries (solid) vs 2 MiB contiguity (dashed)",
     "share of guest memory", XB_COL_P2M_SP, XB_COL_CONTIG, 1, true},
};

static void draw_panel(cairo_t *cr, const struct panel *p, double x0, double y0,
		       struct xb_plot_run *runs, size_t n)
{
	double tmax = 0, ymax = 0;
	char buf[32];

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < runs[i].nr_rows; k++) {
			double t =
			    g_array_index(runs[i].col[XB_COL_T], double, k);

			tmax = fmax(tmax, t);
			for (int c = 0; c < 2; c++) {
				int col = c ? p->dashed : p->solid;

				if (col >= 0)
					ymax = fmax(
					    ymax,
					    p->scale *
						g_array_index(runs[i].col[col],
							      double, k));
			}
		}
	}
	if (tmax <= 0)
		tmax = 1;
	const struct xb_draw_box box = {x0, y0, PANEL_W, PANEL_H};
	const struct xb_draw_scale ys = xb_draw_scale_for(ymax, p->unit_range);
	double xstep = xb_draw_nice_step(tmax, 6);

	tmax = xstep * ceil(tmax / xstep);

#define PX(t) (x0 + (t) / tmax * PANEL_W)
#define PY(v) xb_draw_y(&box, &ys, (v))
	/* Grid and ticks. */
	xb_draw_y_grid(cr, &box, &ys);
	for (double t = 0; t <= tmax + xstep / 2; t += xstep) {
		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, floor(PX(t)) + 0.5, y0);
		cairo_line_to(cr, floor(PX(t)) + 0.5, y0 + PANEL_H);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		xb_draw_tick_label(buf, sizeof(buf), t, xstep);
		xb_draw_text(cr, PX(t), y0 + PANEL_H + 6, 0.5, 0, buf);
	}
	xb_draw_frame(cr, &box, p->title, p->ylabel);
	xb_draw_font(cr, 12, false);
	xb_draw_text(cr, x0 + PANEL_W / 2, y0 + PANEL_H + 24, 0.5, 0,
		     "simulated time (s)");

	/* The lines, clipped to the plot area. */
	cairo_save(cr);
	cairo_rectangle(cr, x0, y0 - 2, PANEL_W, PANEL_H + 4);
	cairo_clip(cr);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (int c = 0; c < 2; c++) {
		int col = c ? p->dashed : p->solid;
		double dash[] = {7, 4};

		if (col < 0)
			continue;
		/* Solid lines wider, so a dashed line on top stays visible. */
		cairo_set_line_width(cr, c ? 2 : 3.5);
		cairo_set_dash(cr, dash, c ? 2 : 0, 0);
		for (size_t i = 0; i < n; i++) {
			bool pen = false;

			xb_draw_rgb(cr, xb_draw_series_colour(i));
			for (size_t k = 0; k < runs[i].nr_rows; k++) {
				double t = g_array_index(runs[i].col[XB_COL_T],
							 double, k);
				double v =
				    g_array_index(runs[i].col[col], double, k);

				if (v < 0) { /* not known (no host view) */
					pen = false;
					continue;
				}
				v *= p->scale;
				if (pen)
					cairo_line_to(cr, PX(t), PY(v));
				else
					cairo_move_to(cr, PX(t), PY(v));
				pen = true;
			}
			cairo_stroke(cr);
		}
	}
	cairo_restore(cr);
#undef PX
#undef PY
}

/* The legend: a line sample in each run's colour, with its label. */
static void draw_run_legend(cairo_t *cr, double x, double y,
			    struct xb_plot_run *runs, size_t n)
{
	xb_draw_font(cr, 14, false);
	for (size_t i = 0; i < n; i++) {
		cairo_text_extents_t e;

		xb_draw_rgb(cr, xb_draw_series_colour(i));
		cairo_set_line_width(cr, 3);
		cairo_move_to(cr, x, y);
		cairo_line_to(cr, x + 30, y);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		xb_draw_text(cr, x + 38, y, 0, 0.5, runs[i].label);
		cairo_text_extents(cr, runs[i].label, &e);
		x += 38 + e.x_advance + 30;
	}
}

static char *title_of(struct xb_plot_run *runs, size_t n)
{
	GString *s = g_string_new("scenario ");

	g_string_append(s, runs[0].scenario);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(runs[i].scenario, runs[0].scenario)) {
			g_string_assign(s, "several scenarios");
			break;
		}
	}
	return g_string_free(s, FALSE);
}

static void draw_curves(cairo_t *cr, struct xb_plot_run *runs, size_t n)
{
	char *scn = title_of(runs, n);
	char *title = g_strdup_printf("xballoon: %s, one line per policy", scn);

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	xb_draw_font(cr, 20, true);
	xb_draw_text(cr, 30, 22, 0, 0, title);
	draw_run_legend(cr, 34, 66, runs, n);
	for (int k = 0; k < 4; k++)
		draw_panel(cr, &panels[k], PANEL_X0 + (k % 2) * PANEL_DX,
			   PANEL_Y0 + (k / 2) * PANEL_DY, runs, n);
	g_free(title);
	g_free(scn);
}

void xb_plot_curves_size(int *w, int *h)
{
	*w = CURVES_W;
	*h = CURVES_H;
}

/* ---- maps --------------------------------------------------------------- */

#define MAP_COLS    64	/* regions per row: 128 MiB                   */
#define MAP_LABEL_W 150 /* the run labels' column                     */
#define MAP_GAP	    28
#define MAP_TOP	    90
#define MAP_MAX	    8 /* maps per run at most                       */

/* Indices of the maps drawn for a run: all (evenly thinned to MAP_MAX,
 * first and last kept) or only the last. */
static size_t pick_maps(const struct xb_plot_run *run, bool last_only,
			size_t *idx)
{
	size_t n = run->maps->len;

	if (!n)
		return 0;
	if (last_only) {
		idx[0] = n - 1;
		return 1;
	}
	if (n <= MAP_MAX) {
		for (size_t i = 0; i < n; i++)
			idx[i] = i;
		return n;
	}
	for (size_t i = 0; i < MAP_MAX; i++)
		idx[i] = i * (n - 1) / (MAP_MAX - 1);
	return MAP_MAX;
}

struct map_layout {
	size_t regions; /* the most regions of any map                   */
	size_t rows;
	double cell;	/* pixels per region                             */
	size_t columns; /* the most maps of any run                      */
	double map_w, map_h, block_h;
	int w, h;
};

static void map_layout(const struct xb_plot_run *runs, size_t n, bool last_only,
		       struct map_layout *L)
{
	size_t idx[MAP_MAX];

	memset(L, 0, sizeof(*L));
	for (size_t i = 0; i < n; i++) {
		for (guint k = 0; k < runs[i].maps->len; k++) {
			const struct xb_plot_map *m = runs[i].maps->pdata[k];

			L->regions = MAX(L->regions, strlen(m->letters));
		}
		L->columns =
		    MAX(L->columns, pick_maps(&runs[i], last_only, idx));
	}
	L->rows = (L->regions + MAP_COLS - 1) / MAP_COLS;
	/* Cells of 5 px when they fit in about 240 px of height. */
	L->cell = L->rows ? CLAMP(floor(240.0 / (double)L->rows), 1, 5) : 5;
	L->map_w = MAP_COLS * L->cell;
	L->map_h = (double)L->rows * L->cell;
	L->block_h = L->map_h + 70; /* time above, counts below */
	L->w = (int)(MAP_LABEL_W +
		     (double)MAX(L->columns, 1) * (L->map_w + MAP_GAP) + 20);
	L->w = MAX(L->w, 1000);
	L->h = (int)(MAP_TOP + (double)n * L->block_h + 130);
}

void xb_plot_map_size(const struct xb_plot_run *runs, size_t n, bool last_only,
		      int *w, int *h)
{
	struct map_layout L;

	map_layout(runs, n, last_only, &L);
	*w = L.w;
	*h = L.h;
}

static void draw_one_map(cairo_t *cr, const struct map_layout *L, double x,
			 double y, const struct xb_plot_map *m)
{
	size_t count[XB_REGION_NR] = {0};
	char buf[128];

	xb_draw_font(cr, 13, true);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	snprintf(buf, sizeof(buf), "t = %.0f s", m->t_s);
	xb_draw_text(cr, x, y, 0, 0, buf);
	y += 22;
	/* One rectangle per run of equal cells in a row (small SVGs). */
	for (size_t k = 0, len; m->letters[k]; k += len) {
		unsigned s = (unsigned)(strchr(xb_region_chars, m->letters[k]) -
					xb_region_chars);

		for (len = 1; m->letters[k + len] == m->letters[k] &&
			      (k + len) % MAP_COLS;
		     len++)
			;
		count[s] += len;
		xb_draw_rgb(cr, region_colours[s]);
		cairo_rectangle(cr, x + (double)(k % MAP_COLS) * L->cell,
				y + (double)(k / MAP_COLS) * L->cell,
				(double)len * L->cell, L->cell);
		cairo_fill(cr);
	}
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, x - 0.5, y - 0.5, L->map_w + 1, L->map_h + 1);
	cairo_stroke(cr);
	xb_draw_font(cr, 11, false);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	snprintf(buf, sizeof(buf), "ballooned as 2 MiB: %zu, as 4 KiB: %zu",
		 count[XB_REGION_HUGE], count[XB_REGION_SMALL]);
	xb_draw_text(cr, x, y + L->map_h + 6, 0, 0, buf);
	snprintf(buf, sizeof(buf), "mixed: %zu, used unmovable: %zu",
		 count[XB_REGION_MIXED], count[XB_REGION_UNMOVABLE]);
	xb_draw_text(cr, x, y + L->map_h + 22, 0, 0, buf);
}

static void draw_maps(cairo_t *cr, struct xb_plot_run *runs, size_t n,
		      bool last_only)
{
	struct map_layout L;
	size_t idx[MAP_MAX];
	char *scn = title_of(runs, n);
	char buf[256];

	map_layout(runs, n, last_only, &L);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	xb_draw_font(cr, 20, true);
	snprintf(buf, sizeof(buf), "xballoon: guest physical memory, %s", scn);
	xb_draw_text(cr, 30, 20, 0, 0, buf);
	xb_draw_font(cr, 13, false);
	snprintf(buf, sizeof(buf),
		 "One cell per 2 MiB region; %d regions (%d MiB) per row, "
		 "addresses from top left to bottom right. One row of maps per "
		 "policy.",
		 MAP_COLS, MAP_COLS * 2);
	xb_draw_text(cr, 30, 52, 0, 0, buf);
	for (size_t i = 0; i < n; i++) {
		double y = MAP_TOP + (double)i * L.block_h;
		size_t nm = pick_maps(&runs[i], last_only, idx);

		xb_draw_font(cr, 15, true);
		xb_draw_rgb(cr, xb_draw_series_colour(i));
		xb_draw_text(cr, 30, y + 22, 0, 0, runs[i].label);
		if (!nm) {
			xb_draw_font(cr, 13, false);
			cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
			xb_draw_text(cr, MAP_LABEL_W, y + 22, 0, 0,
				     "no map.txt (run with --map-every TIME)");
		}
		for (size_t k = 0; k < nm; k++)
			draw_one_map(cr, &L,
				     MAP_LABEL_W +
					 (double)k * (L.map_w + MAP_GAP),
				     y, runs[i].maps->pdata[idx[k]]);
	}
	/* The colour legend, two rows. */
	double ly = MAP_TOP + (double)n * L.block_h + 20;

	xb_draw_font(cr, 13, false);
	for (unsigned s = 0; s < XB_REGION_NR; s++) {
		double x = 30 + (s % 4) * 240.0, y = ly + (s / 4) * 28.0;

		xb_draw_rgb(cr, region_colours[s]);
		cairo_rectangle(cr, x, y, 18, 18);
		cairo_fill_preserve(cr);
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
		cairo_set_line_width(cr, 1);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		xb_draw_text(cr, x + 26, y + 9, 0, 0.5, region_names[s]);
	}
	xb_draw_font(cr, 11, false);
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	xb_draw_text(
	    cr, 30, ly + 64, 0, 0,
	    "Populated regions in colours by use (a region with an "
	    "unmovable page cannot be freed whole for a 2 MiB page); "
	    "ballooned regions (given back to Xen) in greys. Counts are "
	    "of 2 MiB regions.");
	g_free(scn);
}

/* ---- output ------------------------------------------------------------- */

/* What one picture of runs is drawn from. */
struct runs_picture {
	struct xb_plot_run *runs;
	size_t n;
	bool last_only;
};

static void curves_fn(cairo_t *cr, const void *ctx)
{
	const struct runs_picture *p = ctx;

	draw_curves(cr, p->runs, p->n);
}

static void maps_fn(cairo_t *cr, const void *ctx)
{
	const struct runs_picture *p = ctx;

	draw_maps(cr, p->runs, p->n, p->last_only);
}

bool xb_plot_write(struct xb_plot_run *runs, size_t n, const char *prefix,
		   bool last_only, GError **error)
{
	const struct runs_picture pic = {runs, n, last_only};
	bool maps = false;
	int w, h;

	/* Two runs of one policy (other seeds, say): tell them apart. */
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			if (i != j && !strcmp(runs[i].policy, runs[j].policy)) {
				char *base = g_path_get_basename(runs[i].dir);

				g_free(runs[i].label);
				runs[i].label = g_strdup_printf(
				    "%s (%s)", runs[i].policy, base);
				g_free(base);
				break;
			}
		}
		maps = maps || runs[i].maps->len;
	}
	xb_plot_curves_size(&w, &h);
	if (!xb_draw_render(curves_fn, &pic, w, h, prefix, "curves", error))
		return false;
	if (!maps)
		return true;
	xb_plot_map_size(runs, n, last_only, &w, &h);
	return xb_draw_render(maps_fn, &pic, w, h, prefix, "map", error);
}
