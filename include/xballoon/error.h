/*
 * The project's one GError domain, for every layer from util/ up.
 */
#ifndef XBALLOON_ERROR_H
#define XBALLOON_ERROR_H

#include <glib.h>

#define XB_ERROR xb_error_quark()
GQuark xb_error_quark(void);
enum xb_error_code {
	XB_ERROR_INVALID,     /* bad input (scenario, arguments)      */
	XB_ERROR_UNSUPPORTED, /* the backend cannot do this           */
	XB_ERROR_BACKEND,     /* the hypervisor refused               */
	XB_ERROR_IO,	      /* files                                */
};

#endif
