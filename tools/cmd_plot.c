/*
 * `xballoon plot DIR...`: pictures of one or more runs' out dirs (one line
 * per run in the curves, one row of maps per run), or of a sweep's
 * directories (each metric per policy, one panel per scenario), as PNG
 * and SVG.
 */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <string.h>

#include "tools/cmd.h"
#include "tools/plot.h"
#include "xballoon/sweep.h"

#define PLOT_USAGE                                                             \
	"xballoon plot DIR... [--out PREFIX] [--last] | "                      \
	"BENCHDIR... [--policies P,Q] [--out PREFIX]"

static int plot_runs(GPtrArray *dirs, const char *prefix, bool last_only)
{
	struct xb_plot_run *runs = g_new0(struct xb_plot_run, dirs->len);
	GError *err = NULL;
	int status = XB_EXIT_OK;

	for (guint i = 0; i < dirs->len && status == XB_EXIT_OK; i++) {
		if (!xb_plot_load(dirs->pdata[i], &runs[i], &err)) {
			xb_cli_error("%s", err->message);
			g_clear_error(&err);
			status = XB_EXIT_USAGE;
		}
	}
	if (status == XB_EXIT_OK) {
		if (xb_plot_write(runs, dirs->len, prefix, last_only, &err)) {
			bool maps = false;

			for (guint i = 0; i < dirs->len; i++)
				maps = maps || runs[i].maps->len;
			printf("%s-curves.png %s-curves.svg\n", prefix, prefix);
			if (maps)
				printf("%s-map.png %s-map.svg\n", prefix,
				       prefix);
		} else {
			xb_cli_error("%s", err->message);
			g_clear_error(&err);
			status = XB_EXIT_FAILURE;
		}
	}
	for (guint i = 0; i < dirs->len; i++)
		xb_plot_run_clear(&runs[i]);
	g_free(runs);
	return status;
}

/* A sweep: every report.json below the directories, read as --merge
 * reads them. */
static int plot_sweep(GPtrArray *dirs, const char *prefix, char **policies)
{
	GArray *runs = g_array_new(FALSE, TRUE, sizeof(struct xb_sweep_run));
	GPtrArray *written = g_ptr_array_new_with_free_func(g_free);
	GError *err = NULL;
	int status = XB_EXIT_OK;

	if (!xb_sweep_load_dirs((char **)dirs->pdata, dirs->len, policies, runs,
				&err)) {
		xb_cli_error("%s", err->message);
		g_clear_error(&err);
		status = XB_EXIT_USAGE;
	} else if (!xb_plot_bench_write((struct xb_sweep_run *)runs->data,
					runs->len, policies, prefix, written,
					&err)) {
		xb_cli_error("%s", err->message);
		g_clear_error(&err);
		status = XB_EXIT_FAILURE;
	}
	for (guint i = 0; i < written->len; i++)
		printf("%s.png %s.svg\n", (char *)written->pdata[i],
		       (char *)written->pdata[i]);
	g_ptr_array_free(written, TRUE);
	xb_sweep_runs_free(runs);
	return status;
}

/* A run's out dir has its report.json at the top; a sweep's below. */
static bool is_run_dir(const char *dir)
{
	char *path = g_build_filename(dir, "report.json", NULL);
	bool run = g_file_test(path, G_FILE_TEST_EXISTS);

	g_free(path);
	return run;
}

int cmd_plot(int argc, char **argv)
{
	GPtrArray *dirs = g_ptr_array_new();
	const char *out = NULL, *list = NULL;
	char **policies = NULL;
	bool last_only = false;
	int status = XB_EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--last")) {
			last_only = true;
		} else if (!strcmp(a, "--out") || !strcmp(a, "--policies")) {
			if (i + 1 >= argc) {
				xb_cli_error("option '%s' needs a value", a);
				goto out;
			}
			*(a[2] == 'o' ? &out : &list) = argv[++i];
		} else if (a[0] == '-') {
			xb_cli_error("unknown option '%s'", a);
			goto out;
		} else {
			g_ptr_array_add(dirs, (char *)a);
		}
	}
	if (!dirs->len) {
		xb_cli_error("usage: %s", PLOT_USAGE);
		goto out;
	}
	bool runs = is_run_dir(dirs->pdata[0]);

	for (guint i = 1; i < dirs->len; i++) {
		if (is_run_dir(dirs->pdata[i]) != runs) {
			xb_cli_error("'%s' is a run's directory and '%s' a "
				     "sweep's: plot them apart",
				     (char *)dirs->pdata[runs ? 0 : i],
				     (char *)dirs->pdata[runs ? i : 0]);
			goto out;
		}
	}
	if (runs && list) {
		xb_cli_error("--policies goes with a sweep's directories "
			     "(these have a report.json: runs)");
		goto out;
	}
	if (!runs && last_only) {
		xb_cli_error("--last goes with runs' directories (a sweep's "
			     "pictures have no maps)");
		goto out;
	}
	if (list) {
		policies = g_strsplit(list, ",", -1);
		if (!*policies) {
			xb_cli_error("--policies: empty list");
			goto out;
		}
		for (char **n = policies; *n; n++)
			if (xb_cli_check_policy("--policies", *n) < 0)
				goto out;
	}

	char *prefix = out ? g_strdup(out)
			   : g_build_filename(dirs->pdata[0], "plot", NULL);

	status = runs ? plot_runs(dirs, prefix, last_only)
		      : plot_sweep(dirs, prefix, policies);
	g_free(prefix);
	/* Drop cairo's and fontconfig's process-wide caches, so leak checkers
	 * (the ASan build) see only our own memory. */
	cairo_debug_reset_static_data();
	FcFini();
out:
	g_strfreev(policies);
	g_ptr_array_free(dirs, TRUE);
	return status;
}
