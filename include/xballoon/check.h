/*
 * The one helper the whole-structure checkers (xb__*_is_valid()) share:
 * log the first violation found and make the checker return false.
 */
#ifndef XBALLOON_CHECK_H
#define XBALLOON_CHECK_H

#include <glib.h>

#define XB_CHECK(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			g_warning(__VA_ARGS__);                                \
			return false;                                          \
		}                                                              \
	} while (0)

#endif
