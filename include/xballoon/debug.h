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
