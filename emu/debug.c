/*
 * The one place assertion failures end up: print where and abort, so that a
 * debugger or a core dump sees the failing frame.
 */
#include <stdio.h>
#include <stdlib.h>

#include "xballoon/debug.h"

void xb__assert_fail(const char *expr, const char *file, int line,
		     const char *func)
{
	fprintf(stderr, "xballoon: assertion failed: %s\n  at %s:%d in %s()\n",
		expr, file, line, func);
	fflush(stderr);
	abort();
}
