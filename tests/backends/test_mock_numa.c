/*
 * The mock's NUMA host: one heap per node over consecutive mfn ranges,
 * get_free_buddy()'s node order (round robin over the node affinity,
 * fallback, MEMF_exact_node), the XENMEMF node flags of populate and
 * exchange as memory.c reads them (construct_memop_from_reservation(),
 * propagate_node()), and vNUMA (XEN_DOMCTL_setvnumainfo).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "xballoon/backend.h"
#include "xballoon/mock.h"

#define HOST  4096u
#define NODE0 3072u /* node 0: mfns [0, 3072); node 1: [3072, 4096) */
#define NODE1 (HOST - NODE0)
#define GFNS  4096u

static struct xb_backend *be;
static struct xb_mock *m;

static void open_type(enum xb_guest_type type)
{
	struct xb_backend_config cfg = {
	    .type = type,
	    .max_pages = HOST,
	    .gfn_space = GFNS,
	    .host_pages = HOST,
	    .seed = 42,
	    .domid = -1,
	    .nr_nodes = 2,
	    .node_pages = {NODE0, NODE1},
	};
	GError *err = NULL;

	be = xb_backend_open(&xb__mock_backend_ops, &cfg, &err);
	cr_assert_not_null(be, "%s", err ? err->message : "?");
	m = xb_mock_from_backend(be);
}

static void init(void)
{
	open_type(XB_GUEST_HVM);
}

static void fini(void)
{
	cr_assert(xb__mock_is_valid(m));
	xb_backend_close(be);
}

TestSuite(mock_numa, .init = init, .fini = fini);

static int node_of_gfn(uint64_t gfn)
{
	xb_pfn_t mfn = xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, gfn);

	cr_assert_neq(mfn, XB_NIL, "gfn %lu is not populated",
		      (unsigned long)gfn);
	return xb_mock_node_of(m, mfn);
}

static uint64_t tot(void)
{
	uint64_t t, mx;

	cr_assert_eq(xb_reservation(be, &t, &mx), 0);
	return t;
}

/* vnode 0 on pnode 1, vnode 1 on pnode 0: crossed, so that a vnode taken
 * for a pnode shows. */
static void crossed_vnuma(void)
{
	struct xb_vnuma v = {.nr_vnodes = 2,
			     .vnode_to_pnode = {1, 0},
			     .vnode_pages = {GFNS / 2, GFNS / 2}};

	cr_assert_eq(xb_set_vnuma(be, &v), 0);
}

Test(mock_numa, each_node_boots_its_own_range)
{
	struct xb_host_info hi;

	cr_assert_eq(xb_mock_nr_nodes(m), 2);
	cr_assert_eq(xb_mock_node_heap(m, 0)->nr_free_pages, NODE0);
	cr_assert_eq(xb_mock_node_heap(m, 1)->nr_free_pages, NODE1);
	cr_assert_null(xb_mock_node_heap(m, 2));
	cr_assert_eq(xb_mock_node_of(m, NODE0 - 1), 0);
	cr_assert_eq(xb_mock_node_of(m, NODE0), 1);
	cr_assert_eq(xb_mock_node_of(m, HOST), -1);
	xb_mock_host_info(m, &hi);
	cr_assert_eq(hi.nr_nodes, 2);
	cr_assert_eq(hi.free_pages, HOST);
	cr_assert_eq(hi.nodes[0].total_pages, NODE0);
	cr_assert_eq(hi.nodes[1].free_pages, NODE1);
	/* [3072, 4096) is two order-10 blocks' worth: 2 free 2 MiB blocks. */
	cr_assert_eq(hi.nodes[1].free_2m_blocks, 2);
	cr_assert_eq(hi.nodes[0].guest_pages, 0);
}

/* get_free_buddy(): no node asked for, the search starts at
 * cycle_node(d->last_alloc_node), and last_alloc_node starts at 0. */
Test(mock_numa, no_node_alternates_from_node_1)
{
	xb_xen_pfn_t e[4] = {0, 512, 1024, 1536};
	struct xb_host_info hi;

	cr_assert_eq(xb_populate_physmap(be, e, 4, 9), 4);
	cr_assert_eq(node_of_gfn(0), 1);
	cr_assert_eq(node_of_gfn(512), 0);
	cr_assert_eq(node_of_gfn(1024), 1);
	cr_assert_eq(node_of_gfn(1536), 0);
	xb_mock_host_info(m, &hi);
	cr_assert_eq(hi.nodes[0].guest_pages, 1024);
	cr_assert_eq(hi.nodes[1].guest_pages, 1024);
	cr_assert_eq(hi.nodes[1].free_pages, 0);
}

Test(mock_numa, affinity_fills_its_node_then_falls_back)
{
	xb_xen_pfn_t e[3] = {0, 512, 1024};

	cr_assert_eq(xb_mock_set_node_affinity(m, XB_MOCK_GUEST_DOMID, 2), 0);
	cr_assert_eq(xb_mock_set_node_affinity(m, XB_MOCK_GUEST_DOMID, 4),
		     -EINVAL);
	cr_assert_eq(xb_populate_physmap(be, e, 3, 9), 3);
	cr_assert_eq(node_of_gfn(0), 1);
	cr_assert_eq(node_of_gfn(512), 1);
	/* Node 1 is full: the nodes outside the affinity. */
	cr_assert_eq(node_of_gfn(1024), 0);
}

Test(mock_numa, vnode_translates_through_vnode_to_pnode)
{
	xb_xen_pfn_t a = 0, b = 512;

	crossed_vnuma();
	cr_assert_eq(
	    xb_populate_physmap_flags(be, &a, 1, 9, XB_MEMF_EXACT_VNODE(0)), 1);
	cr_assert_eq(
	    xb_populate_physmap_flags(be, &b, 1, 9, XB_MEMF_EXACT_VNODE(1)), 1);
	cr_assert_eq(node_of_gfn(0), 1);
	cr_assert_eq(node_of_gfn(512), 0);
}

/* MEMF_exact_node: the extent fails rather than fall back; without the
 * exact flag it falls back to the other node. */
Test(mock_numa, exact_vnode_fails_when_its_node_is_full)
{
	xb_xen_pfn_t e[2] = {0, 512}, f = 1024, g = 1536;

	crossed_vnuma();
	cr_assert_eq(
	    xb_populate_physmap_flags(be, e, 2, 9, XB_MEMF_EXACT_VNODE(0)), 2);
	cr_assert_eq(xb_mock_node_heap(m, 1)->nr_free_pages, 0);
	cr_assert_eq(
	    xb_populate_physmap_flags(be, &f, 1, 0, XB_MEMF_EXACT_VNODE(0)), 0);
	cr_assert_eq(tot(), 1024);
	cr_assert_eq(xb_populate_physmap_flags(be, &g, 1, 0,
					       XB_MEMF_NODE(0) | XB_MEMF_VNODE),
		     1);
	cr_assert_eq(node_of_gfn(1536), 0);
	cr_assert_eq(be->stats.populate.failed, 1);
}

/* construct_memop_from_reservation(): a vnode >= nr_vnodes is -EINVAL,
 * which do_memory_op() turns into start_extent: 0 extents, nothing done. */
Test(mock_numa, vnode_beyond_the_topology_does_nothing)
{
	xb_xen_pfn_t e = 0;

	crossed_vnuma();
	cr_assert_eq(
	    xb_populate_physmap_flags(be, &e, 1, 0, XB_MEMF_EXACT_VNODE(2)), 0);
	cr_assert_eq(xb_populate_physmap_flags(be, &e, 1, 0, XB_MEMF_VNODE), 0);
	cr_assert_eq(tot(), 0);
}

Test(mock_numa, vnode_without_vnuma_is_ignored)
{
	xb_xen_pfn_t e = 0;

	cr_assert_eq(
	    xb_populate_physmap_flags(be, &e, 1, 9, XB_MEMF_EXACT_VNODE(7)), 1);
	cr_assert_eq(node_of_gfn(0), 1); /* the round robin's first */
}

/* propagate_node(): a guest's own physical node is ignored, and its exact
 * request refused; dom0's is honoured, up to MAX_NUMNODES. */
Test(mock_numa, physical_node_needs_a_privileged_caller)
{
	xb_xen_pfn_t e = 0, f = 512, g = 1024, h = 1536;

	cr_assert_eq(xb_populate_physmap_flags(be, &e, 1, 9,
					       XB_MEMF_NODE(0) |
						   XB_MEMF_EXACT_NODE_REQUEST),
		     0);
	cr_assert_eq(xb_populate_physmap_flags(be, &e, 1, 9, XB_MEMF_NODE(0)),
		     1);
	cr_assert_eq(node_of_gfn(0), 1); /* ignored: the round robin */
	xb_mock_set_privileged(m, true);
	cr_assert_eq(xb_populate_physmap_flags(be, &f, 1, 9,
					       XB_MEMF_NODE(1) |
						   XB_MEMF_EXACT_NODE_REQUEST),
		     1);
	cr_assert_eq(node_of_gfn(512), 1);
	cr_assert_eq(xb_populate_physmap_flags(be, &g, 1, 9, XB_MEMF_NODE(0)),
		     1);
	cr_assert_eq(node_of_gfn(1024), 0);
	/* A node id Xen cannot have; and one with no memory, exact. */
	cr_assert_eq(xb_populate_physmap_flags(be, &h, 1, 0,
					       XB_MEMF_NODE(64) |
						   XB_MEMF_EXACT_NODE_REQUEST),
		     0);
	cr_assert_eq(xb_populate_physmap_flags(be, &h, 1, 0,
					       XB_MEMF_NODE(5) |
						   XB_MEMF_EXACT_NODE_REQUEST),
		     0);
	/* Not exact: the offline node's search moves to the set's first. */
	cr_assert_eq(xb_populate_physmap_flags(be, &h, 1, 0, XB_MEMF_NODE(5)),
		     1);
	cr_assert_eq(node_of_gfn(1536), 0);
}

Test(mock_numa, flags_outside_the_node_bits_are_refused_unissued)
{
	xb_xen_pfn_t e = 0;

	cr_assert_eq(xb_populate_physmap_flags(be, &e, 1, 0, 32), -EINVAL);
	cr_assert_eq(xb_populate_physmap_flags(be, &e, 1, 0, 1u << 16),
		     -EINVAL);
	cr_assert_eq(tot(), 0);
}

Test(mock_numa, setvnuma_refuses_what_vnuma_init_refuses)
{
	struct xb_vnuma v = {.nr_vnodes = 1, .vnode_to_pnode = {64}};

	cr_assert_eq(xb_set_vnuma(be, &v), -E2BIG);
	v.vnode_to_pnode[0] = 3; /* no memory there: accepted */
	cr_assert_eq(xb_set_vnuma(be, &v), 0);
	v.nr_vnodes = 0;
	cr_assert_eq(xb_set_vnuma(be, &v), -EINVAL);
}

/* A block never spans two nodes: [2048, 3072) and [3072, 4096) are
 * buddies of one zone, but on two nodes they never merge. */
Test(mock_numa, frees_never_merge_across_nodes)
{
	xb_xen_pfn_t e = 0;
	const struct xb_buddy *h1 = xb_mock_node_heap(m, 1);

	xb_mock_set_privileged(m, true);
	cr_assert_eq(xb_populate_physmap_flags(be, &e, 1, 9,
					       XB_MEMF_NODE(1) |
						   XB_MEMF_EXACT_NODE_REQUEST),
		     1);
	cr_assert_eq(xb_decrease_reservation(be, &e, 1, 9), 1);
	cr_assert_eq(xb_buddy_nr_free(h1, 10), 1);
	cr_assert_eq(xb_buddy_nr_free(h1, 11), 0);
	cr_assert_eq(xb_buddy_nr_free(xb_mock_node_heap(m, 0), 11), 0);
	cr_assert(xb__mock_is_valid(m));
}

Test(mock_numa, neighbour_churns_on_its_node)
{
	int nb = xb_mock_add_domain(m, XB_GUEST_HVM, HOST, GFNS);
	uint64_t pages[XB_MAX_NODES];

	cr_assert_geq(nb, 2);
	cr_assert_eq(xb_mock_set_node_affinity(m, (unsigned)nb, 1), 0);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(
		    xb_mock_domain_populate(m, (unsigned)nb, i * 512, 9), 0);
	cr_assert_eq(xb_mock_gfn_nodes(m, (unsigned)nb, 0, GFNS, pages), 0);
	cr_assert_eq(pages[0], 2048);
	cr_assert_eq(pages[1], 0);
	cr_assert_eq(xb_mock_domain_free(m, (unsigned)nb, 0, 9), 512);
	cr_assert_eq(xb_mock_domain_populate(m, (unsigned)nb, 0, 9), 0);
	cr_assert_eq(xb_mock_node_of(m, xb_mock_domain_mfn(m, (unsigned)nb, 0)),
		     0);
}

/* memory_exchange() reads the output flags with propagate_node() only:
 * XENMEMF_vnode is not translated, and a guest's exact node is -EINVAL. */
Test(mock_numa, exchange_takes_a_physical_node_only)
{
	xb_xen_pfn_t in = 0, out = 0;
	uint64_t done = 9;

	xb_backend_close(be);
	open_type(XB_GUEST_PV);
	crossed_vnuma();
	cr_assert_eq(xb_populate_physmap(be, &in, 1, 0), 1); /* pv: mfn */
	struct xb_exchange x = {.in = &in,
				.nr_in = 1,
				.out = &out,
				.nr_out = 1,
				.out_mem_flags = XB_MEMF_EXACT_VNODE(1)};

	cr_assert_eq(xb_exchange(be, &x, &done), -EINVAL);
	cr_assert_eq(done, 0);
	cr_assert_eq(tot(), 1);
	xb_mock_set_privileged(m, true);
	cr_assert_eq(xb_exchange(be, &x, &done), 0);
	cr_assert_eq(done, 1);
	/* vnode 1 is on pnode 0, but the node is read as physical node 1. */
	cr_assert_eq(xb_mock_node_of(m, out), 1);
}
