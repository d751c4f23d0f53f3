/*
 * `xballoon check SCENARIO...`: load and validate each scenario file,
 * including its policy and knobs, without running anything.
 */
#include <glib.h>
#include <stdio.h>

#include "tools/cmd.h"
#include "xballoon/scenario.h"

int cmd_check(int argc, char **argv)
{
	int status = XB_EXIT_OK;

	if (argc < 2) {
		xb_cli_error("usage: xballoon check SCENARIO...");
		return XB_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		GError *error = NULL;
		struct xb_scenario *s = xb_scenario_load(argv[i], &error);

		if (s &&
		    xb_scenario_check_policy(
			s, &xb_scenario_default_policy_check, NULL, &error)) {
			struct xb_work_estimate w;

			xb_scenario_estimate(s, &w);
			printf("%s: ok\n", argv[i]);
			printf("  work: about %.0f CPU s%s: %llu events, %llu "
			       "pages churned, %llu frames checked\n",
			       w.cpu_s,
			       w.cpu_s > XB_WORK_LIMIT_S
				   ? " (over the limit: run needs "
				     "--allow-long)"
				   : "",
			       (unsigned long long)w.events,
			       (unsigned long long)w.page_ops,
			       (unsigned long long)w.check_frames);
		} else
			status = XB_EXIT_USAGE;
		if (error) {
			fprintf(stderr, "%s\n", error->message);
			g_error_free(error);
		}
		xb_scenario_free(s);
	}
	return status;
}
