/*
 * Scenario replay throughput: the shipped long-churn scenario (or
 * --scenario FILE) replayed once, as `xballoon run` does; reported as wall
 * nanoseconds per simulated event, and events per second in the table.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "xballoon/run.h"

/* The source tree's scenario, found from this file's path (the build
 * passes absolute source paths), so that the bench runs from anywhere. */
static char *default_scenario(void)
{
	char *dir = g_path_get_dirname(__FILE__);
	char *root = g_path_get_dirname(dir);
	char *path =
	    g_build_filename(root, "scenarios", "long-churn.yaml", NULL);

	g_free(dir);
	g_free(root);
	return path;
}

void xb_bench_replay(struct xb_bench_ctx *ctx)
{
	char *path =
	    ctx->scenario ? g_strdup(ctx->scenario) : default_scenario();
	GError *err = NULL;
	struct xb_scenario *sc = xb_scenario_load(path, &err);
	struct xb_run_options opt = {0};
	struct xb_run_result res;

	if (!sc) {
		fprintf(stderr, "xb-bench: %s (use --scenario FILE)\n",
			err->message);
		exit(1);
	}
	uint64_t t0 = xb_bench_now_ns();

	if (!xb_run(sc, &opt, &res, &err)) {
		fprintf(stderr, "xb-bench: %s\n", err->message);
		exit(1);
	}
	double ns = (double)(xb_bench_now_ns() - t0);
	static char name[96];

	snprintf(name, sizeof(name), "replay %s: %.0f events/s (ns/event)",
		 sc->name, (double)res.events_run * 1e9 / ns);
	xb_bench_report(ctx, name, res.events_run, ns / (double)res.events_run,
			0);
	if (res.violations) {
		fprintf(stderr, "xb-bench: %s: invariant violations\n", path);
		exit(1);
	}
	xb_run_result_clear(&res);
	xb_scenario_free(sc);
	g_free(path);
}
