/*
 * The mock under a seeded random sequence of 10^5 mixed operations over a
 * guest and two neighbours, with the checker after every one, with and
 * without fault injection; and the same seed giving the same end state.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>

#include "xballoon/backend.h"
#include "xballoon/mock.h"
#include "xballoon/rng.h"

#define HOST	2048u
#define GFNS	1024u
#define NB_GFNS 512u
#define NR_OPS	100000u
#define MAX_NR	16u

struct run {
	struct xb_backend *be;
	struct xb_mock *m;
	struct xb_rng rng;
	enum xb_guest_type type;
	int nb[2];
	/* pv: the guest's own pfn -> mfn table, as Linux's p2m keeps it */
	xb_xen_pfn_t pv_p2m[GFNS];
	uint64_t ops_done;
};

static uint64_t below(struct run *r, uint64_t n)
{
	return xb_rng_below(&r->rng, n);
}

static uint64_t guest_tot(struct run *r)
{
	uint64_t tot, max;

	cr_assert_eq(xb_reservation(r->be, &tot, &max), 0);
	cr_assert_leq(tot, max);
	return tot;
}

/* Is any of gfns [gfn, gfn + n) mapped (in the guest's own view)? */
static bool any_mapped(struct run *r, uint64_t gfn, uint64_t n)
{
	for (uint64_t g = gfn; g < gfn + n; g++) {
		bool populated;

		if (r->type == XB_GUEST_PV) {
			if (r->pv_p2m[g] != XB_NIL)
				return true;
			continue;
		}
		cr_assert_eq(xb_query(r->be, g, &populated), 0);
		if (populated)
			return true;
	}
	return false;
}

/*
 * Populate mostly where nothing is mapped, as a driver does; once in a
 * while over a mapped gfn, which orphans a frame for good (p2m_add_page()),
 * so rarely enough that orphans do not fill max_pages.
 */
static void op_populate(struct run *r)
{
	xb_xen_pfn_t e[MAX_NR], g[MAX_NR];
	unsigned order = below(r, 8) == 0 ? 9 : 0;
	uint64_t nr = order ? 1 + below(r, 2) : 1 + below(r, MAX_NR);
	uint64_t before = guest_tot(r);
	bool overwrite = below(r, 2000) == 0;

	if (below(r, 50) == 0)
		order = 10; /* above the memop max: refused, nothing done */
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t n = 1ull << MIN(order, 9);

		for (int tries = 0; tries < 8; tries++) {
			e[i] = below(r, GFNS / n) * n;
			if (overwrite || !any_mapped(r, e[i], n))
				break;
		}
		g[i] = e[i];
	}
	long done = xb_populate_physmap(r->be, e, nr, order);

	cr_assert_geq(done, 0);
	cr_assert_leq((uint64_t)done, nr);
	if (order > 9)
		cr_assert_eq(done, 0);
	/* Every extent done is 2^order new frames (orphans included). */
	cr_assert_eq(guest_tot(r), before + ((uint64_t)done << order));
	if (r->type == XB_GUEST_PV)
		for (long i = 0; i < done; i++)
			for (uint64_t j = 0; j < (1ull << order); j++)
				r->pv_p2m[g[i] + j] = e[i] + j;
}

static void op_decrease(struct run *r)
{
	xb_xen_pfn_t e[MAX_NR];
	uint64_t nr = 1 + below(r, MAX_NR);
	uint64_t before = guest_tot(r);

	for (uint64_t i = 0; i < nr; i++) {
		uint64_t pfn = below(r, GFNS);

		if (r->type != XB_GUEST_PV)
			e[i] = pfn;
		else if (r->pv_p2m[pfn] != XB_NIL && below(r, 16))
			e[i] = r->pv_p2m[pfn];
		else
			e[i] = below(r, HOST); /* likely not ours: fails */
	}
	long done = xb_decrease_reservation(r->be, e, nr, 0);

	cr_assert_geq(done, 0);
	cr_assert_eq(guest_tot(r), before - (uint64_t)done);
	if (r->type == XB_GUEST_PV)
		for (long i = 0; i < done; i++)
			for (unsigned p = 0; p < GFNS; p++)
				if (r->pv_p2m[p] == e[i])
					r->pv_p2m[p] = XB_NIL;
}

static void op_decrease9(struct run *r)
{
	xb_xen_pfn_t e[1] = {below(r, GFNS >> 9) << 9};
	uint64_t before = guest_tot(r);

	if (r->type == XB_GUEST_PV)
		return; /* pv order-9 decrease needs a contiguous mfn extent */
	long done = xb_decrease_reservation(r->be, e, 1, 9);

	cr_assert(done == 0 || done == 1);
	/* A failed extent may still have removed its first frames. */
	if (done)
		cr_assert_eq(guest_tot(r), before - 512);
	else
		cr_assert_leq(guest_tot(r), before);
}

static void op_relocate(struct run *r)
{
	uint64_t nr = 1 + below(r, 8);
	uint64_t src = below(r, GFNS - nr), dst = below(r, GFNS - nr);
	uint64_t done = 0, before = guest_tot(r);
	int rc = xb_relocate(r->be, src, dst, nr, &done);

	if (r->type == XB_GUEST_PV) {
		cr_assert_eq(rc, -EINVAL);
		cr_assert_eq(done, 0);
		return;
	}
	cr_assert(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	cr_assert_eq(rc == 0, done == nr);
	cr_assert_leq(guest_tot(r), before);
	cr_assert_geq(guest_tot(r) + done, before);
}

/* add_to_physmap: a single gmfn move, a gmfn_range or a batch of
 * scattered moves; tot_pages only ever drops, by at most a frame per
 * move (a populated gpfn loses its frame). */
static void op_add_to_physmap(struct run *r)
{
	uint64_t nr = 1 + below(r, MAX_NR);
	uint64_t done = 0, moved, before = guest_tot(r);
	unsigned kind = (unsigned)below(r, 3);
	int rc;

	if (kind == 2) {
		xb_xen_pfn_t idxs[MAX_NR], gpfns[MAX_NR];
		int errs[MAX_NR];

		for (uint64_t i = 0; i < nr; i++) {
			idxs[i] = below(r, GFNS);
			gpfns[i] = below(r, GFNS);
		}
		rc = xb_add_to_physmap_batch(r->be, XB_MAPSPACE_GMFN, idxs,
					     gpfns, nr, errs, &done);
		moved = 0;
		for (uint64_t i = 0; rc == 0 && i < done; i++) {
			cr_assert(errs[i] == 0 || errs[i] == -EINVAL ||
				  errs[i] == -ENOMEM);
			moved += errs[i] == 0;
		}
		if (rc == 0)
			cr_assert_eq(done, nr);
	} else {
		unsigned space =
		    kind ? XB_MAPSPACE_GMFN_RANGE : XB_MAPSPACE_GMFN;
		uint64_t n = kind ? nr : 1;
		uint64_t idx = below(r, GFNS - n), gpfn = below(r, GFNS - n);

		rc = xb_add_to_physmap(r->be, space, idx, gpfn, nr, &done);
		moved = done;
		if (rc == 0)
			cr_assert_eq(done, n);
	}
	if (r->type == XB_GUEST_PV) {
		cr_assert_eq(rc, -EACCES);
		cr_assert_eq(done, 0);
		return;
	}
	cr_assert(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	cr_assert_leq(guest_tot(r), before);
	cr_assert_geq(guest_tot(r) + moved, before);
}

/*
 * pv: exchange the frames behind aligned pfn groups for one output extent
 * each at the same pfns, as a driver would; an unmapped pfn contributes
 * a random mfn, which is likely not the guest's (-EINVAL for its chunk).
 */
static void op_exchange(struct run *r)
{
	xb_xen_pfn_t in[MAX_NR], out[MAX_NR], base[MAX_NR];
	unsigned out_order = below(r, 2) ? 1 : 0;
	uint64_t nr_out = 1 + below(r, MAX_NR / 2);
	uint64_t nr_in = nr_out << out_order, done = 0;
	uint64_t before = guest_tot(r);

	for (uint64_t i = 0; i < nr_out; i++) {
		base[i] = out[i] = below(r, GFNS >> out_order) << out_order;
		for (uint64_t j = 0; j < (1ull << out_order); j++) {
			xb_xen_pfn_t mfn = r->pv_p2m[base[i] + j];

			in[(i << out_order) + j] =
			    mfn != XB_NIL ? mfn : below(r, HOST);
		}
	}
	struct xb_exchange x = {in, nr_in, 0, out, nr_out, out_order, 0, 0};
	int rc = xb_exchange(r->be, &x, &done);

	cr_assert_eq(guest_tot(r), before);
	if (r->type != XB_GUEST_PV) {
		cr_assert_eq(rc, -EOPNOTSUPP);
		cr_assert_eq(done, 0);
		return;
	}
	cr_assert(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	cr_assert_eq(rc == 0, done == nr_in);
	cr_assert_eq(done % (1u << out_order), 0);
	/* Chunk i is output i: its pfns now have the new frames. */
	for (uint64_t i = 0; i < (done >> out_order); i++)
		for (uint64_t j = 0; j < (1ull << out_order); j++)
			r->pv_p2m[base[i] + j] = out[i] + j;
}

static void op_claim(struct run *r)
{
	uint64_t pages = below(r, 3) ? 0 : below(r, GFNS + 1);
	int rc = xb_claim(r->be, pages);

	cr_assert(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (pages == 0)
		cr_assert_eq(rc, 0);
}

static void op_neighbour(struct run *r)
{
	int nb = r->nb[below(r, 2)];
	unsigned order = (unsigned)below(r, XB_MAX_ORDER);
	uint64_t gfn = below(r, NB_GFNS);

	if (below(r, 2)) {
		int rc = xb_mock_domain_populate(r->m, nb, gfn, order);

		cr_assert(rc == 0 || rc == -EINVAL || rc == -E2BIG ||
			  rc == -ENOMEM);
	} else {
		long n = xb_mock_domain_free(r->m, nb, gfn, order);

		cr_assert_geq(n, 0);
		cr_assert_leq(n, 1l << order);
	}
}

static void arm_faults(struct run *r)
{
	xb_mock_fail_probability(r->m, XB_MOCK_OP_POPULATE, 0.02);
	xb_mock_fail_probability(r->m, XB_MOCK_OP_DECREASE, 0.02);
	xb_mock_fail_probability(r->m, XB_MOCK_OP_EXCHANGE, 0.05);
	xb_mock_fail_probability(r->m, XB_MOCK_OP_RELOCATE, 0.05);
	xb_mock_fail_probability(r->m, XB_MOCK_OP_ADD_TO_PHYSMAP, 0.05);
}

static void run_sequence(struct run *r, enum xb_guest_type type, bool faults,
			 uint64_t seed, uint64_t nr_ops)
{
	struct xb_backend_config cfg = {
	    .type = type,
	    .max_pages = GFNS,
	    .gfn_space = GFNS,
	    .host_pages = HOST,
	    .seed = seed,
	    .domid = -1,
	};

	r->type = type;
	r->be = xb_backend_open(&xb__mock_backend_ops, &cfg, NULL);
	cr_assert_not_null(r->be);
	r->m = xb_mock_from_backend(r->be);
	r->nb[0] = xb_mock_add_domain(r->m, XB_GUEST_HVM, NB_GFNS, NB_GFNS);
	r->nb[1] = xb_mock_add_domain(r->m, XB_GUEST_PV, 400, NB_GFNS);
	cr_assert_eq(r->nb[0], 2);
	cr_assert_eq(r->nb[1], 3);
	for (unsigned p = 0; p < GFNS; p++)
		r->pv_p2m[p] = XB_NIL;
	xb_rng_seed(&r->rng, seed ^ 0x5eed);
	for (uint64_t i = 0; i < nr_ops; i++) {
		if (faults && i % 1000 == 0) {
			arm_faults(r);
			/* Host-order faults come and go. */
			xb_mock_fail_host_order(r->m,
						below(r, 4) ? XB_MAX_ORDER : 9);
			xb_mock_fail_call(
			    r->m, (enum xb_mock_op)below(r, XB_MOCK_OP_NR),
			    1 + below(r, 20));
		}
		switch (below(r, 9)) {
		case 0:
		case 1:
			op_populate(r);
			break;
		case 2:
			op_decrease(r);
			break;
		case 3:
			op_decrease9(r);
			break;
		case 4:
			op_relocate(r);
			break;
		case 5:
			op_add_to_physmap(r);
			break;
		case 6:
			op_exchange(r);
			break;
		case 7:
			op_claim(r);
			break;
		default:
			op_neighbour(r);
			break;
		}
		cr_assert(xb__mock_is_valid(r->m), "after op %lu",
			  (unsigned long)i);
	}
	r->ops_done = nr_ops;
}

static uint64_t total_faults(const struct xb_mock *m)
{
	const struct xb_mock_stats *s = xb_mock_stats(m);

	return s->fault_populate + s->fault_decrease + s->fault_exchange +
	       s->fault_relocate + s->fault_add_to_physmap +
	       s->fault_host_alloc;
}

static void finish(struct run *r, bool faults)
{
	struct xb_host_info hi;

	xb_mock_host_info(r->m, &hi);
	/* The sequence really exercised the host both ways. */
	cr_assert_gt(r->be->stats.populate.extents, 1000);
	cr_assert_gt(r->be->stats.decrease.extents, 1000);
	cr_assert_gt(r->be->stats.populate.failed, 0);
	if (r->type == XB_GUEST_PV)
		cr_assert_gt(r->be->stats.exchange.extents, 100);
	else
		cr_assert_gt(r->be->stats.add_to_physmap.extents, 100);
	if (r->type != XB_GUEST_PV)
		cr_assert_gt(r->be->stats.relocate.extents, 100);
	if (faults)
		cr_assert_gt(total_faults(r->m), 100);
	else
		cr_assert_eq(total_faults(r->m), 0);
	xb_backend_close(r->be);
}

static struct run r1, r2;

Test(mock_random, hvm_without_faults, .timeout = 600)
{
	run_sequence(&r1, XB_GUEST_HVM, false, 1, NR_OPS);
	finish(&r1, false);
}

Test(mock_random, hvm_with_faults, .timeout = 600)
{
	run_sequence(&r1, XB_GUEST_HVM, true, 2, NR_OPS);
	finish(&r1, true);
}

Test(mock_random, pv_without_faults, .timeout = 600)
{
	run_sequence(&r1, XB_GUEST_PV, false, 3, NR_OPS);
	finish(&r1, false);
}

Test(mock_random, pv_with_faults, .timeout = 600)
{
	run_sequence(&r1, XB_GUEST_PV, true, 4, NR_OPS);
	finish(&r1, true);
}

Test(mock_random, same_seed_same_end_state, .timeout = 600)
{
	struct xb_host_info a, b;

	run_sequence(&r1, XB_GUEST_PV, true, 9, 5000);
	run_sequence(&r2, XB_GUEST_PV, true, 9, 5000);
	xb_mock_host_info(r1.m, &a);
	xb_mock_host_info(r2.m, &b);
	cr_assert_arr_eq(&a, &b, sizeof(a));
	cr_assert_arr_eq(&r1.be->stats, &r2.be->stats, sizeof(r1.be->stats));
	cr_assert_arr_eq(xb_mock_stats(r1.m), xb_mock_stats(r2.m),
			 sizeof(struct xb_mock_stats));
	cr_assert_arr_eq(r1.pv_p2m, r2.pv_p2m, sizeof(r1.pv_p2m));
	xb_backend_close(r1.be);
	xb_backend_close(r2.be);
}
