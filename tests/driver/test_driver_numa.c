/*
 * The driver on a vNUMA guest (driver/driver.c: drv_populate()): the boot
 * and, with knobs.numa_exact, every populate ask for each page's vnode
 * exactly, one call per run of pages on a vnode; without the knob the
 * driver passes no node and Xen's round robin spreads the pages; a refused
 * exact extent is a refused extent (the balloon keeps the page, EAGAIN).
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "xballoon/driver.h"
#include "xballoon/mock.h"
#include "xballoon/policy.h"

#define GUEST 16384u /* 64 MiB: vnodes of 32 MiB on pnodes 0 and 1 */
#define VNODE (GUEST / 2)
#define HOST  65536u /* two nodes of 128 MiB */

struct fx {
	struct xb_backend *be;
	struct xb_mock *m;
	struct xb_zone *z;
	struct xb_driver d;
};

static void fx_setup(struct fx *f, const char *pol, bool exact, bool vnuma)
{
	const struct xb_policy_ops *p = xb_policy_find(pol);
	struct xb_backend_config cfg = {.type = XB_GUEST_HVM,
					.max_pages = GUEST,
					.gfn_space = GUEST,
					.host_pages = HOST,
					.seed = 5,
					.domid = -1,
					.nr_nodes = 2,
					.node_pages = {HOST / 2, HOST / 2}};
	struct xb_vnuma v = {.nr_vnodes = 2,
			     .vnode_to_pnode = {0, 1},
			     .vnode_pages = {VNODE, VNODE}};
	struct xb_policy_knobs k;

	cr_assert_not_null(p);
	k = p->defaults;
	/* On by default only in the seed's design: Linux's driver passes
	 * no node. */
	cr_assert_eq(k.numa_exact, strcmp(pol, "linux") != 0,
		     "%s: numa_exact default", pol);
	k.numa_exact = exact;
	f->be = xb_backend_open(xb_backend_find("mock"), &cfg, NULL);
	cr_assert_not_null(f->be);
	f->m = xb_mock_from_backend(f->be);
	f->z = xb_zone_create(GUEST);
	cr_assert_eq(xb_driver_init(&f->d, f->z, f->be, p, &k), 0);
	if (vnuma) {
		cr_assert_eq(xb_set_vnuma(f->be, &v), 0);
		cr_assert_eq(xb_driver_set_vnuma(&f->d, 2, v.vnode_pages), 0);
	}
	cr_assert_eq(xb_driver_boot(&f->d, GUEST, 9), 0);
	memset(&f->be->stats, 0, sizeof(f->be->stats));
}

static void fx_free(struct fx *f)
{
	cr_assert(xb__driver_is_valid(&f->d));
	cr_assert(xb__mock_is_valid(f->m));
	xb_driver_fini(&f->d);
	xb_zone_destroy(f->z);
	xb_backend_close(f->be);
}

static void settle(struct fx *f)
{
	for (int i = 0; i < 1000 && xb_driver_process(&f->d); i++)
		;
}

/* Pages of vnode v on node n. */
static uint64_t on_node(struct fx *f, unsigned v, unsigned n)
{
	uint64_t pages[XB_MAX_NODES];

	cr_assert_eq(xb_mock_gfn_nodes(f->m, XB_MOCK_GUEST_DOMID, v * VNODE,
				       VNODE, pages),
		     0);
	return pages[n];
}

Test(driver_numa, boot_puts_each_vnode_on_its_pnode)
{
	struct fx f;

	fx_setup(&f, "linux", true, true);
	cr_assert_eq(on_node(&f, 0, 0), VNODE);
	cr_assert_eq(on_node(&f, 1, 1), VNODE);
	fx_free(&f);
}

/* Without vNUMA the builder names no node: Xen's round robin alternates
 * the 2 MiB extents between the nodes. */
Test(driver_numa, boot_without_vnuma_alternates_nodes)
{
	struct fx f;

	fx_setup(&f, "linux", true, false);
	cr_assert_eq(on_node(&f, 0, 0), VNODE / 2);
	cr_assert_eq(on_node(&f, 0, 1), VNODE / 2);
	fx_free(&f);
}

/* Down to a quarter: the guest allocator hands out low pfns first, so
 * the balloon takes all of vnode 0 and half of vnode 1. */
static void shrink_regrow(struct fx *f)
{
	xb_driver_set_target(&f->d, GUEST / 4);
	settle(f);
	cr_assert_eq(f->d.current_pages, GUEST / 4);
	xb_driver_set_target(&f->d, GUEST);
	settle(f);
	cr_assert_eq(f->d.current_pages, GUEST);
}

Test(driver_numa, exact_regrow_stays_on_each_pnode)
{
	const char *policies[] = {"linux", "huge-first"};

	for (unsigned i = 0; i < G_N_ELEMENTS(policies); i++) {
		struct fx f;

		fx_setup(&f, policies[i], true, true);
		shrink_regrow(&f);
		cr_assert_eq(on_node(&f, 0, 0), VNODE, "%s", policies[i]);
		cr_assert_eq(on_node(&f, 1, 1), VNODE, "%s", policies[i]);
		fx_free(&f);
	}
}

Test(driver_numa, without_the_knob_regrow_spreads_over_the_nodes)
{
	struct fx f;

	fx_setup(&f, "huge-first", false, true);
	shrink_regrow(&f);
	cr_assert_lt(on_node(&f, 0, 0), VNODE);
	cr_assert_lt(on_node(&f, 1, 1), VNODE);
	cr_assert_eq(on_node(&f, 0, 0) + on_node(&f, 0, 1), VNODE);
	fx_free(&f);
}

/* The 4 KiB queue spans both vnodes: one batch becomes a call per vnode
 * run, each XENMEMF_vnode(v) | exact. */
Test(driver_numa, a_batch_is_cut_at_the_vnode_boundary)
{
	struct fx f;

	fx_setup(&f, "linux", true, true);
	xb_driver_set_target(&f.d, GUEST - 512);
	settle(&f);
	uint64_t calls = f.be->stats.populate.calls;

	xb_driver_set_target(&f.d, GUEST);
	settle(&f);
	cr_assert_eq(f.d.current_pages, GUEST);
	/* The ballooned pages lie on one vnode or both: at least one call
	 * per vnode they lie on, every page back on its own node. */
	cr_assert_geq(f.be->stats.populate.calls - calls, 1);
	cr_assert_eq(on_node(&f, 0, 0), VNODE);
	cr_assert_eq(on_node(&f, 1, 1), VNODE);
	fx_free(&f);
}

/* Node 1 full: vnode 1's pages cannot come back exactly; the driver keeps
 * them in the balloon and backs off (EAGAIN), as for any refused extent. */
Test(driver_numa, exact_refused_when_the_node_is_full)
{
	struct fx f;
	int nb;

	fx_setup(&f, "linux", true, true);
	xb_driver_set_target(&f.d, GUEST / 4);
	settle(&f);
	uint64_t back1 = VNODE - on_node(&f, 1, 1);

	cr_assert_gt(back1, 0);
	nb = xb_mock_add_domain(f.m, XB_GUEST_HVM, HOST, HOST);
	cr_assert_geq(nb, 2);
	cr_assert_eq(xb_mock_set_node_affinity(f.m, (unsigned)nb, 2), 0);
	for (uint64_t g = 0;
	     xb_mock_node_heap(f.m, 1)->nr_free_pages && g < HOST; g++)
		cr_assert_eq(xb_mock_domain_populate(f.m, (unsigned)nb, g, 0),
			     0);
	xb_driver_set_target(&f.d, GUEST);
	settle(&f);
	/* Linux's increase_reservation(): the batch stops at the first
	 * refused extent and every page from it on goes back to the list
	 * head; the balloon pops the last ballooned pages (vnode 1's) first,
	 * so they block the vnode 0 pages behind them too. Nothing lands on
	 * a foreign node. */
	cr_assert_leq(f.d.current_pages, GUEST - back1);
	cr_assert_lt(f.d.current_pages, GUEST);
	cr_assert_eq(on_node(&f, 0, 1), 0);
	cr_assert_eq(on_node(&f, 1, 0), 0);
	cr_assert_eq(on_node(&f, 1, 1), VNODE - back1);
	cr_assert_neq(f.d.state, XB_BP_DONE);
	cr_assert_gt(f.be->stats.populate.failed, 0);
	fx_free(&f);
}
