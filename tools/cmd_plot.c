/*
 * `xballoon plot DIR...`: pictures of one or more runs' out dirs (one line
 * per run in the curves, one row of maps per run), as PNG and SVG.
 */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <string.h>

#include "tools/cmd.h"
#include "tools/plot.h"

int cmd_plot(int argc, char **argv)
{
	GPtrArray *dirs = g_ptr_array_new();
	const char *out = NULL;
	bool last_only = false;
	int status = XB_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--last")) {
			last_only = true;
		} else if (!strcmp(a, "--out")) {
			if (i + 1 >= argc) {
				xb_cli_error("option '%s' needs a value", a);
				g_ptr_array_free(dirs, TRUE);
				return XB_EXIT_USAGE;
			}
			out = argv[++i];
		} else if (a[0] == '-') {
			xb_cli_error("unknown option '%s'", a);
			g_ptr_array_free(dirs, TRUE);
			return XB_EXIT_USAGE;
		} else {
			g_ptr_array_add(dirs, (char *)a);
		}
	}
	if (!dirs->len) {
		xb_cli_error("usage: xballoon plot DIR... [--out PREFIX] "
			     "[--last]");
		g_ptr_array_free(dirs, TRUE);
		return XB_EXIT_USAGE;
	}

	struct xb_plot_run *runs = g_new0(struct xb_plot_run, dirs->len);
	char *prefix = out ? g_strdup(out)
			   : g_build_filename(dirs->pdata[0], "plot", NULL);
	GError *err = NULL;

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
	g_free(prefix);
	g_ptr_array_free(dirs, TRUE);
	/* Drop cairo's and fontconfig's process-wide caches, so leak checkers
	 * (the ASan build) see only our own memory. */
	cairo_debug_reset_static_data();
	FcFini();
	return status;
}
