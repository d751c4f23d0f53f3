/*
 * The one place assertion failures end up: run the fatal hooks (a scratch
 * domain must not outlive us), print where, and abort, so that a debugger
 * or a core dump sees the failing frame.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "xballoon/debug.h"

/* Registered hooks: slots [0, nr_hooks) are in use, in registration order. */
static struct {
	void (*fn)(void *priv);
	void *priv;
} hooks[XB_FATAL_HOOKS];
static unsigned nr_hooks;

int xb_on_fatal(void (*hook)(void *priv), void *priv)
{
	if (nr_hooks == XB_FATAL_HOOKS)
		return -ENOSPC;
	hooks[nr_hooks].fn = hook;
	hooks[nr_hooks].priv = priv;
	nr_hooks++;
	return 0;
}

void xb_on_fatal_remove(void (*hook)(void *priv), void *priv)
{
	for (unsigned i = 0; i < nr_hooks; i++) {
		if (hooks[i].fn != hook || hooks[i].priv != priv)
			continue;
		for (unsigned j = i + 1; j < nr_hooks; j++)
			hooks[j - 1] = hooks[j];
		nr_hooks--;
		return;
	}
}

/* Each hook is taken off the list before it runs, so a hook that fails an
 * assertion itself cannot loop. */
void xb_run_fatal_hooks(void)
{
	while (nr_hooks) {
		nr_hooks--;
		hooks[nr_hooks].fn(hooks[nr_hooks].priv);
	}
}

void xb__assert_fail(const char *expr, const char *file, int line,
		     const char *func)
{
	fprintf(stderr, "xballoon: assertion failed: %s\n  at %s:%d in %s()\n",
		expr, file, line, func);
	fflush(stderr);
	xb_run_fatal_hooks();
	abort();
}
