/*
 * The project's one GError domain, XB_ERROR (declared in
 * include/xballoon/backend.h). Lives here because the scenario parser is
 * its first user; move it if the backend core grows an error.c of its own.
 */
#include <glib.h>

#include "xballoon/backend.h"

G_DEFINE_QUARK(xb - error - quark, xb_error)
