/*
 * Scenario replay throughput: the shipped long-churn scenario (or
 * --scenario FILE) replayed once, as `xballoon run` does; reported as CPU
 * nanoseconds per simulated event, and events per second in the table.
 * Then the default scenario's replay rate under each shipped policy.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "xballoon/run.h"

/* A shipped scenario, found from this file's path (the build passes
 * absolute source paths), so that the bench runs from anywhere. */
static char *shipped(const char *file)
{
	char *dir = g_path_get_dirname(__FILE__);
	char *root = g_path_get_dirname(dir);
	char *path = g_build_filename(root, "scenarios", file, NULL);

	g_free(dir);
	g_free(root);
	return path;
}

static struct xb_scenario *load(const char *path)
{
	GError *err = NULL;
	struct xb_scenario *sc = xb_scenario_load(path, &err);

	if (!sc) {
		fprintf(stderr, "xb-bench: %s (use --scenario FILE)\n",
			err->message);
		exit(1);
	}
	return sc;
}

/*
 * The replay rate sweeps care about: the default scenario
 * (fragmented-shrink) under each shipped policy, at the command line's
 * check level (sampled), in simulated seconds per
 * CPU second (the name); the row's value is CPU nanoseconds per simulated
 * second, its ratio CPU seconds per simulated second.
 */
static void replay_rates(void)
{
	static const char *const policies[] = {"linux", "huge-first",
					       "huge-first-nocompact",
					       "huge-first-noexchange", "vmw"};
	static char names[G_N_ELEMENTS(policies)][96];
	char *path = shipped("fragmented-shrink.yaml");
	struct xb_scenario *sc = load(path);

	for (size_t i = 0; i < G_N_ELEMENTS(policies); i++) {
		struct xb_run_options opt = {.policy = policies[i],
					     .check = XB_CHECK_SAMPLED};
		struct xb_run_result res;
		GError *err = NULL;
		uint64_t t0 = xb_bench_now_ns();

		if (!xb_run(sc, &opt, &res, &err)) {
			fprintf(stderr, "xb-bench: %s\n", err->message);
			exit(1);
		}
		double cpu_s = (double)(xb_bench_now_ns() - t0) / 1e9;

		snprintf(names[i], sizeof(names[i]),
			 "replay default, %s: %.0fx real time", policies[i],
			 res.sim_time_s / cpu_s);
		xb_bench_report_ref(names[i], (uint64_t)res.sim_time_s,
				    cpu_s * 1e9 / res.sim_time_s, 1e9,
				    "1 s: CPU s per simulated s", 0);
		xb_run_result_clear(&res);
	}
	xb_scenario_free(sc);
	g_free(path);
}

void xb_bench_replay(struct xb_bench_ctx *ctx)
{
	char *path = ctx->scenario ? g_strdup(ctx->scenario)
				   : shipped("long-churn.yaml");
	GError *err = NULL;
	struct xb_scenario *sc = load(path);
	struct xb_run_options opt = {0};
	struct xb_run_result res;

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
	replay_rates();
}
