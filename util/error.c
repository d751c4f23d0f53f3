/*
 * The project's GError domain (include/xballoon/error.h).
 */
#include "xballoon/error.h"

GQuark xb_error_quark(void)
{
	return g_quark_from_static_string("xb-error-quark");
}
