/*
 * `xballoon backends`: the registered backends, one line each.
 */
#include <stdio.h>

#include "tools/cmd.h"
#include "xballoon/backend.h"

int cmd_backends(int argc, char **argv)
{
	if (argc > 1) {
		xb_cli_error("unknown option '%s'", argv[1]);
		return XB_EXIT_USAGE;
	}
	for (const struct xb_backend_ops *const *b = xb_backend_list(); *b; b++)
		printf("%-8s %s\n", (*b)->name, (*b)->description);
	return XB_EXIT_OK;
}
