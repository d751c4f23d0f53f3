/*
 * The backend conformance suite: the behaviour of Xen 4.17's memory
 * hypercalls that every backend must show, written once against the
 * generic backend API. tests/backends/test_conformance.c runs it on the
 * mock; tests/xen/xen_conformance.c runs it on real Xen inside QEMU.
 */
#ifndef XBALLOON_TESTS_CONFORMANCE_H
#define XBALLOON_TESTS_CONFORMANCE_H

#include <stdbool.h>

#include "xballoon/backend.h"

/* Opens a fresh, empty domain of @type with @max_pages for one case. */
typedef struct xb_backend *(*xb_conf_open_fn)(void *priv,
					      enum xb_guest_type type,
					      uint64_t max_pages,
					      GError **error);

struct xb_conf_case {
	const char *name;
	unsigned types; /* bit (1 << enum xb_guest_type) per type it runs on */
	/* NULL on success, else a g_malloc'ed message naming the check. */
	char *(*run)(struct xb_backend *be, enum xb_guest_type type);
	uint64_t max_pages; /* the domain's limit for this case              */
};

/* The cases, terminated by a zeroed entry. */
extern const struct xb_conf_case xb_conf_cases[];

/**
 * xb_conf_run_case() - open a domain with @open, run @c on it, close it.
 * Returns NULL on success, else the failure (g_free it).
 */
char *xb_conf_run_case(const struct xb_conf_case *c, enum xb_guest_type type,
		       xb_conf_open_fn open, void *priv);

const char *xb_conf_type_name(enum xb_guest_type type);

#endif
