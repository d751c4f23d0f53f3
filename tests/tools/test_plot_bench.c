/*
 * `xballoon plot BENCHDIR...` (tools/plot_bench.c): a sweep's directory,
 * or the parts of one, becomes one PNG and one SVG per metric group, of
 * the size its scenarios' panels need; runs' and sweeps' directories are
 * not mixed, and what does not fit a sweep is refused.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"

static char *tmp;

static void setup(void)
{
	tmp = g_dir_make_tmp("xb-plot-bench-XXXXXX", NULL);
	cr_assert_not_null(tmp);
}

static void teardown(void)
{
	xbt_rm_tree(tmp);
	g_free(tmp);
}

TestSuite(plot_bench, .init = setup, .fini = teardown);

static const char *const groups[] = {"target",	   "fu9",	 "host",
				     "balloon-2m", "hypercalls", "migrated",
				     "locality",   "wall"};

/* `bench` of two small scenarios (2 seeds, linux and vmw) into @out,
 * starting at run @offset. */
static void sweep(const char *out, const char *offset)
{
	char tiny[4096];
	const char *args[] = {
	    "bench", "--seeds",	   "2",		"--seed-offset",
	    offset,  "--policies", "linux,vmw", "--out",
	    out,     tiny,	   NULL,	NULL};

	g_strlcpy(tiny, xbt_source_path("tests/tools/bench-tiny.yaml"),
		  sizeof(tiny));
	args[10] = xbt_source_path("tests/scenario/shrink-grow-roomy.yaml");
	cr_assert_eq(xbt_xballoon(tmp, args, NULL, NULL), 0);
}

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
	       (unsigned)p[2] << 8 | p[3];
}

/* PREFIX-GROUP.png of @w x @h and PREFIX-GROUP.svg for every group. */
static void check_pictures(const char *prefix, unsigned w, unsigned h)
{
	for (size_t g = 0; g < G_N_ELEMENTS(groups); g++) {
		char *png = g_strdup_printf("%s-%s.png", prefix, groups[g]);
		char *svg = g_strdup_printf("%s-%s.svg", prefix, groups[g]);
		unsigned char *d = (unsigned char *)xbt_slurp(tmp, png);
		char *s = xbt_slurp(tmp, svg);

		cr_assert_eq(memcmp(d, "\x89PNG\r\n\x1a\n", 8), 0, "%s", png);
		cr_assert_eq(be32(d + 16), w, "%s: width %u", png,
			     be32(d + 16));
		cr_assert_eq(be32(d + 20), h, "%s: height %u", png,
			     be32(d + 20));
		cr_assert(strstr(s, "<svg") && strlen(s) > 1000, "%s", svg);
		g_free(d), g_free(s), g_free(png), g_free(svg);
	}
}

static char *expected_listing(const char *prefix)
{
	GString *s = g_string_new(NULL);

	for (size_t g = 0; g < G_N_ELEMENTS(groups); g++)
		g_string_append_printf(s, "%s-%s.png %s-%s.svg\n", prefix,
				       groups[g], prefix, groups[g]);
	return g_string_free(s, FALSE);
}

Test(plot_bench, a_sweep_dir_gives_a_png_and_an_svg_per_metric_group)
{
	const char *plot[] = {"plot", "b", NULL};
	char *out, *want = expected_listing("b/plot");

	sweep("b", "0");
	cr_assert_eq(xbt_xballoon(tmp, plot, &out, NULL), 0);
	cr_assert_str_eq(out, want);
	/* 2 panels in one row: the minimum width 1000; 170 + 270 - 30
	 * high. */
	check_pictures("b/plot", 1000, 410);
	g_free(out);
	g_free(want);
}

/* The parts of a split sweep (as a cluster job's tasks write them) draw
 * as the sweep: read as --merge reads them; --policies filters. */
Test(plot_bench, parts_of_a_sweep_plot_together)
{
	const char *plot[] = {"plot", "p1",    "p2", "--policies",
			      "vmw",  "--out", "q",  NULL};
	const char *twice[] = {"plot", "p1", "p1", NULL};
	char *out, *err, *want = expected_listing("q");

	sweep("p1", "0");
	sweep("p2", "2");
	cr_assert_eq(xbt_xballoon(tmp, plot, &out, NULL), 0);
	cr_assert_str_eq(out, want);
	check_pictures("q", 1000, 410);
	/* The same runs twice are refused, as --merge refuses them. */
	cr_assert_eq(xbt_xballoon(tmp, twice, NULL, &err), 2);
	cr_assert(
	    strstr(err, "two reports of bench-tiny, policy linux, seed 3"),
	    "%s", err);
	g_free(err);
	g_free(out);
	g_free(want);
}

static void refused(const char *const *args, const char *message)
{
	char *err = NULL;

	cr_assert_eq(xbt_xballoon(tmp, args, NULL, &err), 2, "%s", err);
	cr_assert(strstr(err, message), "want '%s', got: %s", message, err);
	g_free(err);
}

Test(plot_bench, bad_input_exits_2_with_the_reason)
{
	char *empty = g_build_filename(tmp, "empty", NULL);
	const char *mixed[] = {"plot", "b", "b/bench-tiny/vmw/seed-3", NULL};
	const char *last[] = {"plot", "b", "--last", NULL};
	const char *policies[] = {"plot", "b/bench-tiny/vmw/seed-3",
				  "--policies", "vmw", NULL};
	const char *unknown[] = {"plot", "b", "--policies", "nope", NULL};
	const char *none[] = {"plot", "empty", NULL};
	const char *absent[] = {"plot", "b", "--policies", "huge-first", NULL};

	sweep("b", "0");
	cr_assert_eq(g_mkdir(empty, 0755), 0);
	refused(mixed, "'b/bench-tiny/vmw/seed-3' is a run's directory and "
		       "'b' a sweep's: plot them apart");
	refused(last, "--last goes with runs' directories");
	refused(policies, "--policies goes with a sweep's directories");
	refused(unknown, "--policies: unknown policy 'nope'");
	refused(none, "no report.json found");
	refused(absent, "no report.json found of the given policies");
	/* Nothing drawn on a refusal. */
	char *png = g_build_filename(tmp, "b", "plot-fu9.png", NULL);

	cr_assert_not(g_file_test(png, G_FILE_TEST_EXISTS));
	g_free(png);
	g_free(empty);
}
