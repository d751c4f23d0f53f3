/*
 * Assertion levels, chosen at build time by XB_DEBUG (CMake option):
 *   xb_assert()           level >= 1  cheap O(1) checks, on in release builds
 *   xb_assert_internal()  level >= 2  checks inside allocator internals
 *   xb_assert_expensive() level >= 3  whole-structure checkers, run after
 *                                     every operation (the `debug` preset)
 */
#ifndef XBALLOON_DEBUG_H
#define XBALLOON_DEBUG_H

#ifndef XB_DEBUG
#define XB_DEBUG 1
#endif

void xb__assert_fail(const char *expr, const char *file, int line,
		     const char *func) __attribute__((noreturn));

/*
 * Cleanup that must run even when an assertion fails: the xen backend
 * destroys its scratch domain here, so a failed check never leaves a
 * domain behind. Hooks run once, newest first, before abort(). At most
 * XB_FATAL_HOOKS at a time; xb_on_fatal() returns -ENOSPC past that.
 */
#define XB_FATAL_HOOKS 8
int xb_on_fatal(void (*hook)(void *priv), void *priv);
void xb_on_fatal_remove(void (*hook)(void *priv), void *priv);
void xb_run_fatal_hooks(void);

#define xb__assert_at(level, expr)                                             \
	do {                                                                   \
		if (XB_DEBUG >= (level) && !(expr))                            \
			xb__assert_fail(#expr, __FILE__, __LINE__, __func__);  \
	} while (0)

#define xb_assert(expr)		  xb__assert_at(1, expr)
#define xb_assert_internal(expr)  xb__assert_at(2, expr)
#define xb_assert_expensive(expr) xb__assert_at(3, expr)

#define XB_UNUSED(x) ((void)(x))

#endif
