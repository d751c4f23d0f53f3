/*
 * `xballoon policies`: the registered policies, one line each, and with
 * --knobs the knobs every policy takes.
 */
#include <stdio.h>
#include <string.h>

#include "tools/cmd.h"
#include "xballoon/policy.h"

int cmd_policies(int argc, char **argv)
{
	bool knobs = argc > 1 && !strcmp(argv[1], "--knobs");

	if (argc > 1 && !knobs) {
		xb_cli_error("unknown option '%s'", argv[1]);
		return XB_EXIT_USAGE;
	}
	for (const struct xb_policy_ops *const *p = xb_policy_list(); *p; p++)
		printf("%-22s %s\n", (*p)->name, (*p)->description);
	if (knobs) {
		printf("\nknobs (scenario key driver.NAME):\n");
		for (const struct xb_knob_desc *k = xb_policy_knob_table();
		     k->name; k++)
			printf("  %-20s %s\n", k->name, k->doc);
	}
	return XB_EXIT_OK;
}
