/*
 * The backend conformance suite (conformance.c) on the mock backend: every
 * case on every guest type it applies to, on a fresh mock each time. The
 * same cases run on real Xen in tests/xen.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "backends/conformance.h"
#include "xballoon/mock.h"

#define HOST (1u << 16) /* 256 MiB of machine memory */

static struct xb_backend *open_mock(void *priv, enum xb_guest_type type,
				    uint64_t max_pages, unsigned nr_nodes,
				    GError **error)
{
	/* A NUMA case gets two nodes of 128 MiB. */
	struct xb_backend_config cfg = {
	    .type = type,
	    .max_pages = max_pages,
	    .gfn_space = HOST,
	    .host_pages = HOST,
	    .seed = 1,
	    .domid = -1,
	    .nr_nodes = nr_nodes > 1 ? 2 : 0,
	    .node_pages = {HOST / 2, HOST / 2},
	};
	struct xb_backend *be =
	    xb_backend_open(&xb__mock_backend_ops, &cfg, error);

	XB_UNUSED(priv);
	return be;
}

struct param {
	unsigned idx;
	enum xb_guest_type type;
};

ParameterizedTestParameters(conformance, mock)
{
	static struct param p[80];
	size_t n = 0;

	for (unsigned i = 0; xb_conf_cases[i].name; i++)
		for (unsigned t = 0; t <= XB_GUEST_PVH; t++)
			if (xb_conf_cases[i].types & (1u << t)) {
				cr_assert_lt(n, G_N_ELEMENTS(p));
				p[n++] = (struct param){i, t};
			}
	return cr_make_param_array(struct param, p, n);
}

ParameterizedTest(struct param *p, conformance, mock)
{
	const struct xb_conf_case *c = &xb_conf_cases[p->idx];
	char *fail = xb_conf_run_case(c, p->type, open_mock, NULL);

	cr_assert_null(fail, "%s on %s: %s", c->name,
		       xb_conf_type_name(p->type), fail);
}

/* The table covers every guest type, and every case runs somewhere. */
Test(conformance, covers_every_type)
{
	unsigned per_type[3] = {0};

	for (unsigned i = 0; xb_conf_cases[i].name; i++) {
		cr_assert_neq(xb_conf_cases[i].types, 0);
		for (unsigned t = 0; t <= XB_GUEST_PVH; t++)
			per_type[t] += !!(xb_conf_cases[i].types & (1u << t));
	}
	cr_assert_eq(per_type[XB_GUEST_PV], 17);
	cr_assert_eq(per_type[XB_GUEST_HVM], 23);
	cr_assert_eq(per_type[XB_GUEST_PVH], 23);
}
