/*
 * Pictures of a sweep: for each metric group, every policy's mean with its
 * 95 % confidence interval over the seeds (the numbers of the bench
 * tables, scenario/stats.c), one panel per scenario, as PNG and SVG.
 */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tools/draw.h"
#include "tools/plot.h"
#include "xballoon/stats.h"
#include "xballoon/sweep.h"

/* One picture: one or two metrics that share an axis. */
struct group {
	const char *name; /* PREFIX-NAME.png                          */
	const char *title;
	const char *ylabel;
	enum xb_sweep_metric m[2]; /* second: XB_SWEEP_NR_METRICS for none */
	bool unit_range;	   /* a share: y from 0 to 1               */
};

#define NONE XB_SWEEP_NR_METRICS

static const struct group groups[] = {
    {"target",
     "Runs that reached the balloon target (higher is better)",
     "share of runs",
     {XB_SWEEP_TARGET, NONE},
     true},
    {"fu9",
     "Guest Fu(9) at the end: free memory unusable for 2 MiB (lower is "
     "better)",
     "Fu(9)",
     {XB_SWEEP_FU9, NONE},
     true},
    {"host",
     "Host at the end: 2 MiB P2M entries (filled) and 2 MiB machine "
     "contiguity (open)",
     "share of guest memory",
     {XB_SWEEP_P2M_SP, XB_SWEEP_CONTIG},
     true},
    {"balloon-2m",
     "Balloon at the end: share held as 2 MiB pages",
     "share of the balloon",
     {XB_SWEEP_HUGE_SHARE, NONE},
     true},
    {"hypercalls",
     "Hypercalls: memory_op calls (and update_va_mapping on pv)",
     "calls",
     {XB_SWEEP_HCALLS, NONE},
     false},
    {"migrated",
     "Pages migrated by compaction",
     "pages",
     {XB_SWEEP_MIGRATED, NONE},
     false},
    {"locality",
     "vNUMA guests at the end: memory on their vnodes' own pnodes "
     "(higher is better)",
     "share of guest memory",
     {XB_SWEEP_LOCALITY, NONE},
     true},
    {"wall",
     "Wall-clock time of one replay (this machine's, not the model's)",
     "seconds",
     {XB_SWEEP_WALL, NONE},
     false},
};

/* Layout, in pixels: panels of PANEL_W x PANEL_H plot area, COLS a row. */
#define COLS	 4
#define PANEL_W	 280
#define PANEL_H	 200
#define PANEL_X0 100 /* the first column's plot area               */
#define PANEL_DX 390 /* one column's plot area to the next's       */
#define PANEL_Y0 170 /* below the title, the note and the legend   */
#define PANEL_DY 270
#define MIN_W	 1000

/* Everything the pictures show, computed once for all groups. */
struct sweep_stats {
	char **policies; /* every policy of the sweep, in table order */
	size_t np;
	GPtrArray *scenarios; /* const char *, in table order             */
	size_t max_runs, min_runs;
	/* [scenario][policy][metric]; n == 0 where a scenario lacks the
	 * policy. */
	struct xb_stats *s;
};

static struct xb_stats *cell(const struct sweep_stats *st, size_t sc, size_t p,
			     enum xb_sweep_metric m)
{
	return &st->s[(sc * st->np + p) * XB_SWEEP_NR_METRICS + m];
}

/* The --policies the runs were sorted with, for by_rank(). */
static char **rank_given;

static gint by_rank(gconstpointer a, gconstpointer b)
{
	size_t ra = xb_sweep_policy_rank(*(char *const *)a, rank_given);
	size_t rb = xb_sweep_policy_rank(*(char *const *)b, rank_given);

	return ra < rb ? -1 : ra > rb;
}

/* The sweep's policies in the tables' order (xb_sweep_sort()'s, with
 * @given the --policies the runs were sorted with), also across
 * scenarios that have different ones. */
static void collect_policies(const struct xb_sweep_run *runs, size_t n,
			     char **given, struct sweep_stats *st)
{
	GPtrArray *names = g_ptr_array_new();

	for (size_t i = 0; i < n; i++) {
		guint k;

		for (k = 0; k < names->len; k++)
			if (!strcmp(names->pdata[k], runs[i].policy))
				break;
		if (k == names->len)
			g_ptr_array_add(names, runs[i].policy);
	}
	rank_given = given;
	g_ptr_array_sort(names, by_rank);
	rank_given = NULL;
	st->np = names->len;
	g_ptr_array_add(names, NULL);
	st->policies = (char **)g_ptr_array_free(names, FALSE);
}

static size_t policy_index(const struct sweep_stats *st, const char *name)
{
	size_t p = 0;

	while (strcmp(st->policies[p], name))
		p++;
	return p;
}

static void summarize(const struct xb_sweep_run *runs, size_t n, char **given,
		      struct sweep_stats *st)
{
	double *v = g_new(double, n);

	collect_policies(runs, n, given, st);
	st->scenarios = g_ptr_array_new();
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(runs[i].scenario, runs[i - 1].scenario))
			g_ptr_array_add(st->scenarios, runs[i].scenario);
	st->s = g_new0(struct xb_stats,
		       st->scenarios->len * st->np * XB_SWEEP_NR_METRICS);
	st->min_runs = SIZE_MAX;
	/* Runs come grouped by scenario, then policy. */
	for (size_t i = 0, j, sc = 0; i < n; i = j) {
		if (i && strcmp(runs[i].scenario, runs[i - 1].scenario))
			sc++;
		for (j = i;
		     j < n && !strcmp(runs[j].scenario, runs[i].scenario) &&
		     !strcmp(runs[j].policy, runs[i].policy);
		     j++)
			;
		size_t p = policy_index(st, runs[i].policy);

		for (int m = 0; m < XB_SWEEP_NR_METRICS; m++) {
			for (size_t k = i; k < j; k++)
				v[k - i] = runs[k].v[m];
			xb_stats_summarize(
			    v, j - i, cell(st, sc, p, (enum xb_sweep_metric)m));
		}
		st->max_runs = MAX(st->max_runs, j - i);
		st->min_runs = MIN(st->min_runs, j - i);
	}
	g_free(v);
}

static void sweep_stats_clear(struct sweep_stats *st)
{
	g_free(st->policies);
	g_ptr_array_free(st->scenarios, TRUE);
	g_free(st->s);
}

void xb_plot_bench_size(size_t scenarios, int *w, int *h)
{
	size_t cols = MIN(MAX(scenarios, 1), COLS);
	size_t rows = (MAX(scenarios, 1) + COLS - 1) / COLS;

	*w = MAX(MIN_W, (int)(PANEL_X0 + cols * PANEL_DX - 10));
	*h = (int)(PANEL_Y0 + rows * PANEL_DY - 30);
}

/* What one picture is drawn from. */
struct bench_picture {
	const struct sweep_stats *st;
	const struct group *g;
};

/* A mean with its interval as a whisker; @open: a hollow marker. */
static void draw_point(cairo_t *cr, const struct xb_draw_box *b,
		       const struct xb_draw_scale *ys, double x,
		       const struct xb_stats *s, struct xb_rgb c, bool open)
{
	double y = xb_draw_y(b, ys, s->mean);

	xb_draw_rgb(cr, c);
	if (s->half > 0) {
		double lo = xb_draw_y(b, ys, s->mean - s->half);
		double hi = xb_draw_y(b, ys, s->mean + s->half);

		cairo_set_line_width(cr, 1.5);
		cairo_move_to(cr, x, lo);
		cairo_line_to(cr, x, hi);
		cairo_move_to(cr, x - 5, lo);
		cairo_line_to(cr, x + 5, lo);
		cairo_move_to(cr, x - 5, hi);
		cairo_line_to(cr, x + 5, hi);
		cairo_stroke(cr);
	}
	cairo_new_sub_path(cr);
	cairo_arc(cr, x, y, 5, 0, 2 * M_PI);
	if (open) {
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_fill_preserve(cr);
		xb_draw_rgb(cr, c);
		cairo_set_line_width(cr, 2);
		cairo_stroke(cr);
	} else {
		cairo_fill(cr);
	}
}

static void draw_scenario(cairo_t *cr, const struct bench_picture *pic,
			  size_t sc, const struct xb_draw_box *b)
{
	const struct sweep_stats *st = pic->st;
	const struct group *g = pic->g;
	size_t nm = g->m[1] == NONE ? 1 : 2;
	double top = 0, slot = b->w / (double)st->np;

	for (size_t p = 0; p < st->np; p++)
		for (size_t k = 0; k < nm; k++) {
			const struct xb_stats *s = cell(st, sc, p, g->m[k]);

			if (s->n)
				top = fmax(top, s->mean + s->half);
		}
	const struct xb_draw_scale ys = xb_draw_scale_for(top, g->unit_range);

	xb_draw_y_grid(cr, b, &ys);
	xb_draw_frame(cr, b, NULL, g->ylabel);
	/* The scenario's name by the top of its letters: names without
	 * capitals line up. */
	xb_draw_font(cr, 14, true);
	xb_draw_text(cr, b->x - 56, b->y - 28, 0, 0, st->scenarios->pdata[sc]);
	/* Whiskers past the axis (a share's interval above 1) are cut. */
	cairo_save(cr);
	cairo_rectangle(cr, b->x, b->y - 6, b->w, b->h + 12);
	cairo_clip(cr);
	for (size_t p = 0; p < st->np; p++) {
		for (size_t k = 0; k < nm; k++) {
			const struct xb_stats *s = cell(st, sc, p, g->m[k]);
			double x = b->x + ((double)p + 0.5) * slot;

			/* Absent, or unknown (a host figure < 0). */
			if (!s->n || s->mean < 0)
				continue;
			if (nm == 2)
				x += (k ? 0.16 : -0.16) * slot;
			draw_point(cr, b, &ys, x, s, xb_draw_series_colour(p),
				   k == 1);
		}
	}
	cairo_restore(cr);
}

/* The legend: a marker in each policy's colour with its name, in rows
 * that fit @w. */
static void draw_legend(cairo_t *cr, const struct sweep_stats *st, double y,
			int w)
{
	double x = 34;

	xb_draw_font(cr, 14, false);
	for (size_t p = 0; p < st->np; p++) {
		cairo_text_extents_t e;

		cairo_text_extents(cr, st->policies[p], &e);
		if (x > 34 && x + 20 + e.x_advance > w - 20) {
			x = 34;
			y += 26;
		}
		xb_draw_rgb(cr, xb_draw_series_colour(p));
		cairo_new_sub_path(cr);
		cairo_arc(cr, x + 6, y, 6, 0, 2 * M_PI);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		xb_draw_text(cr, x + 20, y, 0, 0.5, st->policies[p]);
		x += 20 + e.x_advance + 30;
	}
}

static void draw_bench(cairo_t *cr, const void *ctx)
{
	const struct bench_picture *pic = ctx;
	const struct sweep_stats *st = pic->st;
	char *title = g_strdup_printf("xballoon bench: %s", pic->g->title);
	char *note;
	int w, h;

	xb_plot_bench_size(st->scenarios->len, &w, &h);
	if (st->min_runs == st->max_runs)
		note = g_strdup_printf(
		    "Each point: the mean over %zu seeds, with its 95 %% "
		    "confidence interval (Student t); one panel per scenario.",
		    st->max_runs);
	else
		note = g_strdup_printf(
		    "Each point: the mean over %zu to %zu seeds, with its "
		    "95 %% confidence interval (Student t); one panel per "
		    "scenario.",
		    st->min_runs, st->max_runs);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	xb_draw_font(cr, 20, true);
	/* A long title on a narrow picture (one to three panels) shrinks
	 * to fit its width. */
	cairo_text_extents_t te;

	cairo_text_extents(cr, title, &te);
	if (te.x_advance > w - 60)
		xb_draw_font(cr, 20 * (w - 60) / te.x_advance, true);
	xb_draw_text(cr, 30, 22, 0, 0, title);
	xb_draw_font(cr, 13, false);
	cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
	xb_draw_text(cr, 30, 56, 0, 0, note);
	draw_legend(cr, st, 96, w);
	for (size_t sc = 0; sc < st->scenarios->len; sc++) {
		const struct xb_draw_box b = {
		    PANEL_X0 + (double)(sc % COLS) * PANEL_DX,
		    PANEL_Y0 + (double)(sc / COLS) * PANEL_DY, PANEL_W,
		    PANEL_H};

		draw_scenario(cr, pic, sc, &b);
	}
	g_free(note);
	g_free(title);
}

bool xb_plot_bench_write(const struct xb_sweep_run *runs, size_t n,
			 char **policies, const char *prefix,
			 GPtrArray *written, GError **error)
{
	struct sweep_stats st = {0};
	bool ok = true;
	int w, h;

	summarize(runs, n, policies, &st);
	xb_plot_bench_size(st.scenarios->len, &w, &h);
	for (size_t g = 0; g < G_N_ELEMENTS(groups) && ok; g++) {
		const struct bench_picture pic = {&st, &groups[g]};

		ok = xb_draw_render(draw_bench, &pic, w, h, prefix,
				    groups[g].name, error);
		if (ok)
			g_ptr_array_add(
			    written,
			    g_strdup_printf("%s-%s", prefix, groups[g].name));
	}
	sweep_stats_clear(&st);
	return ok;
}
