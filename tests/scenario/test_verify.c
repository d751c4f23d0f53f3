/*
 * Content verification around hypercalls (scenario/verify.c) on the mock:
 * which frames it watches, that an honest call keeps every stamp, and that
 * a call that overwrites a data page or moves less than it reports is
 * caught. Also: a whole run with --verify-content finds no mismatch.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "xballoon/driver.h"
#include "xballoon/mock.h"
#include "xballoon/policy.h"
#include "xballoon/run.h"
#include "xballoon/verify.h"
#include "xballoon/zone.h"

#define GUEST 4096u /* 16 MiB */

static struct xb_backend *be;
static struct xb_zone *z;
static struct xb_driver drv;
static struct xb_verifier v;
static uint32_t data_owner;

static bool is_data(void *priv, uint32_t owner)
{
	return owner == data_owner;
}

static void setup(void)
{
	const struct xb_policy_ops *p = xb_policy_find("huge-first");
	struct xb_backend_config cfg = {.type = XB_GUEST_HVM,
					.max_pages = GUEST,
					.gfn_space = GUEST,
					.host_pages = 4 * GUEST,
					.seed = 5,
					.domid = -1};

	be = xb_backend_open(xb_backend_find("mock"), &cfg, NULL);
	cr_assert_not_null(be);
	z = xb_zone_create(GUEST);
	data_owner = xb_zone_register_owner(z, "data", NULL, NULL);
	cr_assert_eq(xb_driver_init(&drv, z, be, p, &p->defaults), 0);
	/* Boot 8 MiB; the other 8 MiB start in the balloon. */
	cr_assert_eq(xb_driver_boot(&drv, GUEST / 2, 9), 0);
	xb_verify_init(&v, &drv, is_data, NULL);
}

static void teardown(void)
{
	xb_driver_fini(&drv);
	xb_zone_destroy(z);
	xb_backend_close(be);
}

TestSuite(verify, .init = setup, .fini = teardown);

/* Allocate n data pages; returns the first pfn (they come in a run). */
static xb_pfn_t data_pages(unsigned n)
{
	xb_pfn_t first = XB_NIL;

	for (unsigned i = 0; i < n; i++) {
		xb_pfn_t p =
		    xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, data_owner, i);

		cr_assert_neq(p, XB_NIL);
		if (first == XB_NIL || p < first)
			first = p;
	}
	return first;
}

/* An unpopulated gfn of the balloon, and a populated free one. */
static xb_pfn_t ballooned_gfn(void)
{
	for (xb_pfn_t p = 0; p < GUEST; p++)
		if (z->frames[p].state == XB_FRAME_UNPOPULATED)
			return p;
	cr_assert_fail("no ballooned gfn");
	return XB_NIL;
}

Test(verify, honest_relocate_keeps_every_stamp)
{
	xb_pfn_t d0 = data_pages(20);
	xb_pfn_t dst = ballooned_gfn();
	/* A free populated frame in the data pages' region plays the new
	 * page whose frame goes to dst. */
	xb_pfn_t src = XB_NIL;
	uint64_t done;

	for (xb_pfn_t p = d0 & ~511u; p < (d0 & ~511u) + 512; p++)
		if (z->frames[p].state == XB_FRAME_FREE) {
			src = p;
			break;
		}
	cr_assert_neq(src, XB_NIL);
	struct xb_trace_rec t = {
	    .op = XB_TRACE_RELOCATE, .nr = 1, .src = src, .dst = dst};

	xb_verify_before(&v, &t);
	/* The source, and 16 of the region's 20 data pages (the cap). */
	cr_assert_eq(v.nr, 1 + XB_VERIFY_PER_REGION);
	t.result = xb_relocate(be, src, dst, 1, &done);
	t.progress = done;
	cr_assert_eq(t.result, 0);
	xb_verify_after(&v, &t);
	cr_assert_eq(v.checked, 1 + XB_VERIFY_PER_REGION);
	cr_assert_eq(v.mismatches, 0);
	cr_assert_eq(v.nr, 0);
}

Test(verify, overwritten_data_page_is_caught)
{
	xb_pfn_t d0 = data_pages(4);
	uint8_t junk[XB_PAGE_SIZE];
	xb_xen_pfn_t e = d0;
	struct xb_trace_rec t = {
	    .op = XB_TRACE_POPULATE, .extents = &e, .nr = 1, .order = 0};

	xb_verify_before(&v, &t);
	cr_assert_eq(v.nr, 4);
	/* A hypercall that scribbles over one of the guest's pages. */
	memset(junk, 0xa5, sizeof(junk));
	cr_assert_eq(xb_write_frame(be, d0 + 2, junk), 0);
	xb_verify_after(&v, &t);
	cr_assert_eq(v.checked, 4);
	cr_assert_eq(v.mismatches, 1);
}

Test(verify, relocate_reporting_more_than_it_moved_is_caught)
{
	uint32_t other = xb_zone_register_owner(z, "other", NULL, NULL);
	/* Two populated frames in a row that are not data: an order-1 page. */
	xb_pfn_t free_first = xb_zone_alloc(z, 1, XB_MT_MOVABLE, 0, other, 0);
	xb_pfn_t dst = ballooned_gfn();
	uint64_t done;

	cr_assert_neq(free_first, XB_NIL);
	bool populated = true;

	/* dst heads a ballooned 2 MiB page: dst + 1 is unpopulated too. */
	cr_assert_eq(xb_query(be, dst + 1, &populated), 0);
	cr_assert_not(populated);
	struct xb_trace_rec t = {
	    .op = XB_TRACE_RELOCATE, .nr = 2, .src = free_first, .dst = dst};

	xb_verify_before(&v, &t);
	cr_assert_eq(v.nr, 2);
	/* Only the first frame moves, but the call claims both did. */
	cr_assert_eq(xb_relocate(be, free_first, dst, 1, &done), 0);
	t.progress = 2;
	xb_verify_after(&v, &t);
	cr_assert_eq(v.checked, 2);
	cr_assert_eq(v.mismatches, 1);
}

Test(verify, honest_add_to_physmap_keeps_every_stamp)
{
	xb_pfn_t d0 = data_pages(20);
	xb_pfn_t dst = ballooned_gfn();
	xb_pfn_t src = XB_NIL;
	uint64_t done;

	for (xb_pfn_t p = d0 & ~511u; p < (d0 & ~511u) + 512; p++)
		if (z->frames[p].state == XB_FRAME_FREE) {
			src = p;
			break;
		}
	cr_assert_neq(src, XB_NIL);
	struct xb_trace_rec t = {.op = XB_TRACE_ADD_TO_PHYSMAP,
				 .nr = 1,
				 .src = src,
				 .dst = dst,
				 .space = XB_MAPSPACE_GMFN};

	xb_verify_before(&v, &t);
	cr_assert_eq(v.nr, 1 + XB_VERIFY_PER_REGION);
	t.result = xb_add_to_physmap(be, XB_MAPSPACE_GMFN, src, dst, 1, &done);
	t.progress = done;
	cr_assert_eq(t.result, 0);
	xb_verify_after(&v, &t);
	cr_assert_eq(v.checked, 1 + XB_VERIFY_PER_REGION);
	cr_assert_eq(v.mismatches, 0);
}

/* A batch's entries succeed or fail one by one: a failed entry's source
 * must still hold its stamp where it was, and an entry reported done
 * whose frame did not move is caught. */
static void batch_with_second_entry_not_moved(int err1, uint64_t mismatches)
{
	uint32_t other = xb_zone_register_owner(z, "other", NULL, NULL);
	xb_pfn_t a = xb_zone_alloc(z, 1, XB_MT_MOVABLE, 0, other, 0);
	xb_pfn_t dst = ballooned_gfn();
	xb_xen_pfn_t idxs[2] = {a, a + 1}, gpfns[2] = {dst, dst + 1};
	int errs[2];
	uint64_t done;

	cr_assert_neq(a, XB_NIL);
	struct xb_trace_rec t = {.op = XB_TRACE_ADD_TO_PHYSMAP_BATCH,
				 .extents = idxs,
				 .nr = 2,
				 .out = gpfns,
				 .nr_out = 2,
				 .space = XB_MAPSPACE_GMFN,
				 .errs = errs};

	xb_verify_before(&v, &t);
	cr_assert_eq(v.nr, 2);
	/* Only the first entry is issued. */
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, idxs, gpfns,
					     1, errs, &done),
		     0);
	cr_assert_eq(errs[0], 0);
	errs[1] = err1;
	t.progress = 2;
	xb_verify_after(&v, &t);
	cr_assert_eq(v.checked, 2);
	cr_assert_eq(v.mismatches, mismatches);
}

Test(verify, batch_entry_that_failed_keeps_its_stamp_in_place)
{
	batch_with_second_entry_not_moved(-EINVAL, 0);
}

Test(verify, batch_entry_reported_moved_but_not_is_caught)
{
	batch_with_second_entry_not_moved(0, 1);
}

/* A whole replay: every hypercall of the driver verified, none lost. */
Test(verify_run, fragmented_pv_and_hvm_replays_keep_contents)
{
	const char *types[] = {"hvm", "pv"};

	for (unsigned i = 0; i < 2; i++) {
		char *path = g_strdup_printf(
		    "%s/tests/xen/scenarios/drive-small.yaml", XB_SOURCE_DIR);
		GError *err = NULL;
		struct xb_scenario *sc = xb_scenario_load(path, &err);
		struct xb_run_options opt = {.verify_content = true};
		struct xb_run_result res;

		cr_assert_not_null(sc, "%s", err ? err->message : "?");
		sc->guest.type = i ? XB_GUEST_PV : XB_GUEST_HVM;
		/* Compaction moves balloon pages (6 in the run of record),
		 * so the frame moves are verified too: add_to_physmap on
		 * hvm, exchange on pv. */
		sc->seed = 1;
		cr_assert(xb_run(sc, &opt, &res, &err), "%s", types[i]);
		cr_assert(res.content_verified);
		cr_assert_gt(i ? res.hypercalls.exchange.calls
			       : res.hypercalls.add_to_physmap.calls,
			     0, "%s", types[i]);
		cr_assert_eq(res.hypercalls.relocate.calls, 0, "%s", types[i]);
		/* 838 frames read on hvm and 304 on pv in the run of
		 * record. */
		cr_assert_gt(res.content_checked, 250, "%s", types[i]);
		cr_assert_eq(res.content_mismatches, 0, "%s", types[i]);
		cr_assert_eq(res.violations, 0, "%s", types[i]);
		/* Verification reads and writes frames only: the hypercalls
		 * are the same as without it. */
		struct xb_run_options plain = {0};
		struct xb_run_result res2;

		cr_assert(xb_run(sc, &plain, &res2, &err));
		cr_assert_str_eq(res.digest, res2.digest);
		cr_assert_not(res2.content_verified);
		xb_run_result_clear(&res);
		xb_run_result_clear(&res2);
		xb_scenario_free(sc);
		g_free(path);
	}
}
