/*
 * Every shipped scenario replays to its golden report (wall time zeroed),
 * and twice in a row to the same bytes: behaviour changes are seen, and
 * must be explained by updating scenarios/NAME.expected.json
 * (scripts/update-golden.sh).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/testutil.h"
#include "xballoon/run.h"

static char *report_of(const char *path)
{
	GError *err = NULL;
	struct xb_scenario *sc = xb_scenario_load(path, &err);
	struct xb_run_options opt = {0};
	struct xb_run_result res;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_not_null(sc, "%s: %s", path, err ? err->message : "");
	cr_assert(xb_scenario_check_policy(
		      sc, &xb_scenario_default_policy_check, NULL, &err),
		  "%s", err ? err->message : "");
	cr_assert(xb_run(sc, &opt, &res, &err), "%s", err ? err->message : "");
	cr_assert_eq(res.violations, 0, "%s: invariant violations", path);
	res.wall_time_s = 0;
	f = open_memstream(&buf, &len);
	xb_report_write_json(&res, f);
	fclose(f);
	xb_run_result_clear(&res);
	xb_scenario_free(sc);
	return buf;
}

static void check_golden(const char *name)
{
	/* The debug level changes no behaviour, only how often the checkers
	 * run: at level 3 they run after every zone operation, which makes
	 * whole scenarios take hours. The other builds cover this test. */
	if (XB_DEBUG >= 3)
		cr_skip_test("golden replays are not run at XB_DEBUG=3");

	char *yaml =
	    g_strdup_printf("%s/scenarios/%s.yaml", xbt_source_path(""), name);
	char *golden = g_strdup_printf("%s/scenarios/%s.expected.json",
				       xbt_source_path(""), name);
	char *want = NULL;
	char *got = report_of(yaml);

	cr_assert(g_file_get_contents(golden, &want, NULL, NULL),
		  "missing %s (run scripts/update-golden.sh)", golden);
	cr_assert_str_eq(got, want, "%s: the report changed", name);
	char *again = report_of(yaml);

	cr_assert_str_eq(got, again, "%s: two replays differ", name);
	free(got);
	free(again);
	g_free(want);
	g_free(yaml);
	g_free(golden);
}

#define GOLDEN(name, id)                                                       \
	Test(golden, id, .timeout = 900)                                       \
	{                                                                      \
		check_golden(name);                                            \
	}

GOLDEN("boot-shrink", boot_shrink)
GOLDEN("fragmented-shrink", fragmented_shrink)
GOLDEN("fragmented-host", fragmented_host)
GOLDEN("foreign-map", foreign_map)
GOLDEN("long-churn", long_churn)
GOLDEN("pv-fragmented", pv_fragmented)
GOLDEN("fault-storm", fault_storm)
GOLDEN("fragmenter", fragmenter)
GOLDEN("large-guest", large_guest)
GOLDEN("numa-shrink", numa_shrink)
GOLDEN("numa-split", numa_split)
