/*
 * The backend core (backends/backend.c): the registry, open/close and its
 * errors, the statistics the wrappers keep, and -EOPNOTSUPP for optional
 * hooks a backend lacks.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>
#include <unistd.h>

#include "xballoon/backend.h"
#include "xballoon/mock.h"
#include "xballoon/xen.h"

/* A minimal backend with only the mandatory hooks: every extent of a
 * call succeeds except those at or past `limit`. */
static uint64_t limit;
static int closes;

static int min_open(struct xb_backend *be, const struct xb_backend_config *cfg,
		    GError **error)
{
	if (cfg->max_pages == 0) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID, "no pages");
		return -EINVAL;
	}
	be->priv = &limit;
	return 0;
}

static void min_close(struct xb_backend *be)
{
	closes++;
}

static long min_memop(struct xb_backend *be, xb_xen_pfn_t *extents, uint64_t nr,
		      unsigned order)
{
	return (long)MIN(nr, limit);
}

static long min_populate(struct xb_backend *be, xb_xen_pfn_t *extents,
			 uint64_t nr, unsigned order, unsigned mem_flags)
{
	return min_memop(be, extents, nr, order);
}

static int min_reservation(struct xb_backend *be, uint64_t *tot, uint64_t *max)
{
	*tot = 1;
	*max = 2;
	return 0;
}

static int min_guest_info(struct xb_backend *be, struct xb_guest_info *info)
{
	info->type = XB_GUEST_HVM;
	info->memop_max_order = 9;
	info->domid = 7;
	return 0;
}

static const struct xb_backend_ops min_ops = {
    .version = XB_BACKEND_VERSION,
    .name = "minimal",
    .description = "mandatory hooks only",
    .open = min_open,
    .close = min_close,
    .populate_physmap = min_populate,
    .decrease_reservation = min_memop,
    .reservation = min_reservation,
    .guest_info = min_guest_info,
};

static const struct xb_backend_config cfg = {
    .type = XB_GUEST_HVM,
    .max_pages = 64,
    .gfn_space = 1024,
    .host_pages = 2048,
    .seed = 1,
    .domid = -1,
};

Test(backend, registry_lists_mock_and_finds_by_name)
{
	const struct xb_backend_ops *const *list = xb_backend_list();

	cr_assert_not_null(list[0]);
	cr_assert_str_eq(list[0]->name, "mock");
#ifdef XB_HAVE_XEN
	cr_assert_str_eq(list[1]->name, "xen");
	cr_assert_eq(xb_backend_find("xen"), &xb__xen_backend_ops);
	cr_assert_null(list[2]);
#else
	cr_assert_null(list[1]);
	cr_assert_null(xb_backend_find("xen"));
#endif
	cr_assert_eq(xb_backend_find("mock"), &xb__mock_backend_ops);
	cr_assert_null(xb_backend_find("xen-nonexistent"));
	cr_assert_null(xb_backend_find(NULL));
	cr_assert_eq(xb__mock_backend_ops.version, XB_BACKEND_VERSION);
}

Test(backend, error_quark_is_the_project_domain)
{
	cr_assert_neq(XB_ERROR, 0);
	cr_assert_str_eq(g_quark_to_string(XB_ERROR), "xb-error-quark");
}

Test(backend, open_refuses_another_interface_version)
{
	struct xb_backend_ops ops = min_ops;
	GError *err = NULL;

	ops.version = XB_BACKEND_VERSION + 1;
	cr_assert_null(xb_backend_open(&ops, &cfg, &err));
	cr_assert_not_null(err);
	cr_assert_eq(err->domain, XB_ERROR);
	cr_assert_eq(err->code, XB_ERROR_UNSUPPORTED);
	g_error_free(err);
}

Test(backend, open_refuses_a_missing_mandatory_hook)
{
	struct xb_backend_ops ops = min_ops;
	GError *err = NULL;

	ops.guest_info = NULL;
	cr_assert_null(xb_backend_open(&ops, &cfg, &err));
	cr_assert_eq(err->code, XB_ERROR_UNSUPPORTED);
	g_error_free(err);
}

Test(backend, failed_open_propagates_error_and_closes)
{
	struct xb_backend_config bad = cfg;
	GError *err = NULL;

	closes = 0;
	bad.max_pages = 0;
	cr_assert_null(xb_backend_open(&min_ops, &bad, &err));
	cr_assert_eq(err->code, XB_ERROR_INVALID);
	cr_assert_str_eq(err->message, "no pages");
	cr_assert_eq(closes, 1);
	g_error_free(err);
}

Test(backend, mock_open_rejects_empty_host)
{
	struct xb_backend_config bad = cfg;
	GError *err = NULL;

	bad.host_pages = 0;
	cr_assert_null(xb_backend_open(&xb__mock_backend_ops, &bad, &err));
	cr_assert_eq(err->domain, XB_ERROR);
	cr_assert_eq(err->code, XB_ERROR_INVALID);
	g_error_free(err);
}

Test(backend, optional_hooks_answer_eopnotsupp_and_count)
{
	struct xb_backend *be = xb_backend_open(&min_ops, &cfg, NULL);
	xb_xen_pfn_t in[2] = {0, 1}, out[1] = {0};
	struct xb_exchange x = {in, 2, 0, out, 1, 1, 0, 0};
	uint64_t done = 99;
	uint8_t buf[XB_PAGE_SIZE];
	bool populated;
	struct xb_host_info hi;
	int errs[1];

	cr_assert_not_null(be);
	cr_assert_null(xb_mock_from_backend(be));
	cr_assert_eq(xb_exchange(be, &x, &done), -EOPNOTSUPP);
	cr_assert_eq(done, 0);
	cr_assert_eq(xb_relocate(be, 0, 1, 4, &done), -EOPNOTSUPP);
	cr_assert_eq(done, 0);
	done = 99;
	cr_assert_eq(
	    xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, 0, 8, 4, &done),
	    -EOPNOTSUPP);
	cr_assert_eq(done, 0);
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, in, out, 1,
					     errs, &done),
		     -EOPNOTSUPP);
	cr_assert_eq(xb_claim(be, 10), -EOPNOTSUPP);
	cr_assert_eq(xb_read_frame(be, 0, buf), -EOPNOTSUPP);
	cr_assert_eq(xb_write_frame(be, 0, buf), -EOPNOTSUPP);
	cr_assert_eq(xb_query(be, 0, &populated), -EOPNOTSUPP);
	cr_assert_eq(xb_host_info(be, &hi), -EOPNOTSUPP);
	/* Refused calls are calls that failed, with nothing done. */
	cr_assert_eq(be->stats.exchange.calls, 1);
	cr_assert_eq(be->stats.exchange.failed, 1);
	cr_assert_eq(be->stats.exchange.extents, 0);
	cr_assert_eq(be->stats.relocate.calls, 1);
	cr_assert_eq(be->stats.relocate.failed, 1);
	cr_assert_eq(be->stats.add_to_physmap.calls, 2);
	cr_assert_eq(be->stats.add_to_physmap.failed, 2);
	cr_assert_eq(be->stats.add_to_physmap.extents, 0);
	xb_backend_close(be);
	xb_backend_close(NULL);
}

Test(backend, wrappers_count_extents_pages_and_partial_calls)
{
	struct xb_backend *be = xb_backend_open(&min_ops, &cfg, NULL);
	xb_xen_pfn_t e[8] = {0};
	uint64_t tot, max;
	struct xb_guest_info gi;

	limit = 5;
	cr_assert_eq(xb_populate_physmap(be, e, 8, 9), 5);
	cr_assert_eq(xb_populate_physmap(be, e, 3, 9), 3);
	cr_assert_eq(xb_decrease_reservation(be, e, 8, 0), 5);
	cr_assert_eq(be->stats.populate.calls, 2);
	cr_assert_eq(be->stats.populate.extents, 8);
	cr_assert_eq(be->stats.populate.pages, 8 << 9);
	cr_assert_eq(be->stats.populate.failed, 1);
	cr_assert_eq(be->stats.decrease.calls, 1);
	cr_assert_eq(be->stats.decrease.extents, 5);
	cr_assert_eq(be->stats.decrease.pages, 5);
	cr_assert_eq(be->stats.decrease.failed, 1);
	cr_assert_eq(xb_reservation(be, &tot, &max), 0);
	cr_assert_eq(tot, 1);
	cr_assert_eq(max, 2);
	cr_assert_eq(xb_guest_info(be, &gi), 0);
	cr_assert_eq(gi.domid, 7);
	xb_backend_close(be);
}

Test(backend, mock_exchange_and_relocate_are_counted_in_their_units)
{
	struct xb_backend_config c = cfg;

	c.type = XB_GUEST_PV;
	c.max_pages = 1024;
	struct xb_backend *be =
	    xb_backend_open(&xb__mock_backend_ops, &c, NULL);
	xb_xen_pfn_t e[4] = {0, 1, 2, 3}, out[2] = {8, 10};
	uint64_t done;

	cr_assert_not_null(xb_mock_from_backend(be));
	cr_assert_eq(xb_populate_physmap(be, e, 4, 0), 4);
	/* 4 order-0 inputs -> 2 order-1 outputs: chunks of 2 inputs. */
	struct xb_exchange x = {e, 4, 0, out, 2, 1, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), 0);
	cr_assert_eq(done, 4);
	cr_assert_eq(be->stats.exchange.calls, 1);
	cr_assert_eq(be->stats.exchange.extents, 4);
	cr_assert_eq(be->stats.exchange.pages, 4);
	cr_assert_eq(be->stats.exchange.failed, 0);
	/* Relocate is refused on pv (dm_op), counted as a failed call. */
	cr_assert_eq(xb_relocate(be, 8, 20, 2, &done), -EINVAL);
	cr_assert_eq(done, 0);
	cr_assert_eq(be->stats.relocate.calls, 1);
	cr_assert_eq(be->stats.relocate.failed, 1);
	xb_backend_close(be);
}

Test(backend, mock_relocate_counts_one_extent_per_frame)
{
	struct xb_backend *be =
	    xb_backend_open(&xb__mock_backend_ops, &cfg, NULL);
	xb_xen_pfn_t e[1] = {0};
	uint64_t done;

	cr_assert_eq(xb_populate_physmap(be, e, 1, 2), 1);
	/* gfns 0..3 -> 100..103, then 4 is unpopulated: 4 done, failed. */
	cr_assert_eq(xb_relocate(be, 0, 100, 5, &done), -EINVAL);
	cr_assert_eq(done, 4);
	cr_assert_eq(be->stats.relocate.extents, 4);
	cr_assert_eq(be->stats.relocate.pages, 4);
	cr_assert_eq(be->stats.relocate.failed, 1);
	xb_backend_close(be);
}

/* add_to_physmap counts one extent per frame moved (a single gmfn move
 * is one frame, whatever size says); the batch one per entry that moved,
 * and a failed entry makes the call one that fell short. */
Test(backend, mock_add_to_physmap_counts_frames_moved)
{
	struct xb_backend *be =
	    xb_backend_open(&xb__mock_backend_ops, &cfg, NULL);
	xb_xen_pfn_t e[1] = {0};
	const xb_xen_pfn_t idxs[3] = {100, 101, 500},
			   gpfns[3] = {200, 201, 202};
	int errs[3];
	uint64_t done;

	cr_assert_eq(xb_populate_physmap(be, e, 1, 2), 1);
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN, 3, 103, 77, &done),
		     0);
	cr_assert_eq(done, 1);
	/* gfns 0..2 -> 100..102, then 3 is unpopulated: 3 done, failed. */
	cr_assert_eq(
	    xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, 0, 100, 5, &done),
	    -EINVAL);
	cr_assert_eq(done, 3);
	cr_assert_eq(be->stats.add_to_physmap.calls, 2);
	cr_assert_eq(be->stats.add_to_physmap.extents, 4);
	cr_assert_eq(be->stats.add_to_physmap.pages, 4);
	cr_assert_eq(be->stats.add_to_physmap.failed, 1);
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, idxs, gpfns,
					     3, errs, &done),
		     0);
	cr_assert_eq(done, 3);
	cr_assert_eq(errs[2], -EINVAL);
	cr_assert_eq(be->stats.add_to_physmap.calls, 3);
	cr_assert_eq(be->stats.add_to_physmap.extents, 6);
	cr_assert_eq(be->stats.add_to_physmap.failed, 2);
	cr_assert_eq(be->stats.relocate.calls, 0);
	xb_backend_close(be);
}

/* Both sizes are 16 bits in Xen's interface: a longer call cannot be
 * expressed, and the wrappers refuse it without issuing (or counting) it. */
Test(backend, add_to_physmap_longer_than_16_bits_is_not_issued)
{
	struct xb_backend *be =
	    xb_backend_open(&xb__mock_backend_ops, &cfg, NULL);
	xb_xen_pfn_t one = 0;
	int err;
	uint64_t done = 9;

	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, 0, 100,
				       XB_ADD_TO_PHYSMAP_MAX + 1, &done),
		     -EINVAL);
	cr_assert_eq(done, 0);
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, &one, &one,
					     XB_ADD_TO_PHYSMAP_MAX + 1, &err,
					     &done),
		     -EINVAL);
	cr_assert_eq(be->stats.add_to_physmap.calls, 0);
	xb_backend_close(be);
}

#ifdef XB_HAVE_XEN
/* Outside a Xen dom0 the xen backend says why it cannot open. */
Test(backend, xen_open_outside_dom0_says_why)
{
	struct xb_backend_config xcfg = {
	    .type = XB_GUEST_HVM, .max_pages = 512, .domid = -1};
	GError *err = NULL;

	if (access("/dev/xen/privcmd", F_OK) == 0)
		cr_skip_test("this machine is a Xen dom0");
	cr_assert_null(xb_backend_open(&xb__xen_backend_ops, &xcfg, &err));
	cr_assert_str_eq(err->message,
			 "xen: no /dev/xen/privcmd: not running in a Xen dom0, "
			 "or the xen-privcmd module is not loaded (modprobe "
			 "xen-privcmd)");
	cr_assert_eq(err->code, XB_ERROR_UNSUPPORTED);
	g_error_free(err);
}
#endif
