/*
 * The backend conformance suite: the behaviour of Xen 4.17's memory
 * hypercalls that every backend must show, written once against the
 * generic backend API. tests/backends/test_conformance.c runs it on the
 * mock; tests/xen/xen_conformance.c runs it on real Xen inside QEMU.
 */
#ifndef XBALLOON_TESTS_CONFORMANCE_H
#define XBALLOON_TESTS_CONFORMANCE_H

#include <stdbool.h>
#include <string.h>

#include "xballoon/backend.h"

/* Opens a fresh, empty domain of @type with @max_pages for one case, on a
 * host of at least @nr_nodes NUMA nodes when the backend can choose (the
 * mock; real Xen has the nodes it booted with). */
typedef struct xb_backend *(*xb_conf_open_fn)(void *priv,
					      enum xb_guest_type type,
					      uint64_t max_pages,
					      unsigned nr_nodes,
					      GError **error);

/* A case that cannot run here (a NUMA case on a host of one node) returns
 * a message starting with this: a skip, to be shown loudly and never
 * counted as a pass. */
#define XB_CONF_SKIP "SKIP: "
static inline bool xb_conf_is_skip(const char *msg)
{
	return msg && !strncmp(msg, XB_CONF_SKIP, sizeof(XB_CONF_SKIP) - 1);
}

struct xb_conf_case {
	const char *name;
	unsigned types; /* bit (1 << enum xb_guest_type) per type it runs on */
	/* NULL on success, else a g_malloc'ed message naming the check. */
	char *(*run)(struct xb_backend *be, enum xb_guest_type type);
	uint64_t max_pages; /* the domain's limit for this case              */
	unsigned nr_nodes;  /* host NUMA nodes it needs (0: any)             */
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
