/*
 * `xballoon compare`: replay one scenario under several policies (same
 * seed) and print one row per policy.
 */
#include <stdio.h>
#include <string.h>

#include "tools/cmd.h"
#include "xballoon/policy.h"
#include "xballoon/run.h"

/* Every memory hypercall the run counted (XB_HYPERCALLS). */
static uint64_t hypercalls(const struct xb_backend_stats *h)
{
	uint64_t n = 0;

#define XB_HC_SUM(f, name) n += h->f.calls;
	XB_HYPERCALLS(XB_HC_SUM)
#undef XB_HC_SUM
	return n;
}

int cmd_compare(int argc, char **argv)
{
	struct xb_run_options opt = {.check = XB_CHECK_SAMPLED};
	const char *path = NULL, *list = "linux,huge-first", *check = NULL;
	bool allow_long = false;

	const struct xb_cli_opt opts[] = {
	    {"--policies", XB_CLI_STRING, &list, NULL},
	    {"--allow-long", XB_CLI_FLAG, &allow_long, NULL},
	    {"--check", XB_CLI_STRING, &check, NULL},
	    {"--knobs", XB_CLI_STRING, &opt.knobs, NULL},
	    {"--seed", XB_CLI_U64, &opt.seed, &opt.seed_set},
	    {NULL, XB_CLI_FLAG, NULL, NULL},
	};

	if (xb_cli_parse(argc, argv, opts, &path, "scenario") < 0 ||
	    xb_cli_check_level(check, &opt.check) < 0)
		return XB_EXIT_USAGE;
	if (!path) {
		xb_cli_error(
		    "usage: xballoon compare SCENARIO "
		    "[--policies P,Q,...] [--knobs K=V,...] [--seed N] "
		    "[--check LEVEL] "
		    "[--allow-long]");
		return XB_EXIT_USAGE;
	}
	char **names = g_strsplit(list, ",", -1);
	int status = XB_EXIT_OK;
	/* A vNUMA guest's per-vnode locality, printed under the table. */
	g_autoptr(GString) numa = g_string_new(NULL);

	for (char **n = names; *n; n++) {
		if (xb_cli_check_policy("--policies", *n) < 0) {
			g_strfreev(names);
			return XB_EXIT_USAGE;
		}
	}
	struct xb_scenario *sc = xb_cli_load(path, NULL, allow_long);

	if (!sc) {
		g_strfreev(names);
		return XB_EXIT_USAGE;
	}
	printf("%s (seed %llu)\n\n", sc->name,
	       (unsigned long long)(opt.seed_set ? opt.seed : sc->seed));
	printf("%-22s %6s %7s %7s %7s %7s %7s %9s %8s %8s %9s %8s\n", "policy",
	       "target", "Fu(9)", "2M-bal", "2M-mix", "p2m-sp", "contig",
	       "huge-MiB", "hcalls", "migrated", "coalesced", "wall-s");
	for (char **n = names; *n; n++) {
		struct xb_run_result r;
		GError *err = NULL;

		opt.policy = *n;
		if (!xb_scenario_check_policy(
			sc, &xb_scenario_default_policy_check, *n, &err) ||
		    !xb_run(sc, &opt, &r, &err)) {
			fprintf(stderr, "%s\n", err->message);
			g_error_free(err);
			status = XB_EXIT_USAGE;
			break;
		}
		const struct xb_backend_stats *h = &r.hypercalls;

		printf("%-22s %6s %7.3f %7llu %7llu %7.3f %7.3f %9.0f %8llu "
		       "%8llu %9llu %8.2f\n",
		       r.policy, r.target_reached ? "yes" : "NO", r.guest.fu9,
		       (unsigned long long)r.guest.regions_ballooned,
		       (unsigned long long)r.guest.regions_mixed,
		       r.host.p2m_superpage_coverage, r.host.contiguity_2m,
		       (double)r.guest.balloon_huge / 256.0,
		       (unsigned long long)hypercalls(h),
		       (unsigned long long)r.compaction.pgmigrate_success,
		       (unsigned long long)r.driver.huge.coalesced,
		       r.wall_time_s);
		if (r.violations)
			status = XB_EXIT_FAILURE;
		if (r.nr_vnodes)
			g_string_append_printf(numa, "%-22s", r.policy);
		for (unsigned v = 0; v < r.nr_vnodes; v++)
			g_string_append_printf(numa, " %7.3f",
					       r.vnodes[v].locality);
		if (r.nr_vnodes)
			g_string_append_c(numa, '\n');
		xb_run_result_clear(&r);
	}
	printf(
	    "\ntarget: target reached at the end; 2M-bal/2M-mix: 2 MiB guest "
	    "regions wholly ballooned / mixed;\np2m-sp: share of guest "
	    "memory mapped by 2 MiB P2M entries; contig: share on aligned, "
	    "machine-contiguous 2 MiB runs;\nhuge-MiB: balloon held as "
	    "2 MiB pages.\n");
	if (numa->len) {
		printf("\n%-22s", "locality");
		for (unsigned v = 0; v < sc->guest.nr_vnodes; v++)
			printf("  vnode%u", v);
		printf("\n%s\nlocality: share of a vnode's populated frames on "
		       "its own pnode (-1: unknown).\n",
		       numa->str);
	}
	g_strfreev(names);
	xb_scenario_free(sc);
	return status;
}
