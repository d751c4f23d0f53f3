/*
 * The Xen balloon driver against the mock hypervisor: every path of the
 * seed's three flowcharts with its fallbacks, migration by add_to_physmap
 * and exchange, coalescing (gmfn_range, batch, exchange), back-off, the special
 * queue, and a long seeded run with random hypercall faults.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>

#include "xballoon/compaction.h"
#include "xballoon/driver.h"
#include "xballoon/mock.h"
#include "xballoon/policy.h"
#include "xballoon/rng.h"

#define GUEST 16384u /* 64 MiB */
#define HOST  32768u

struct fx {
	struct xb_backend *be;
	struct xb_mock *m;
	struct xb_zone *z;
	struct xb_compactor comp;
	struct xb_driver d;
	uint32_t pin; /* owner of pages nothing may move */
};

static enum xb_compact_result fx_compact(struct xb_zone *z, void *priv,
					 unsigned order, unsigned mt,
					 unsigned prio)
{
	struct fx *f = priv;

	return xb_compact_direct(&f->comp, order, mt, prio);
}

static const struct xb_zone_ops fx_ops = {.compact = fx_compact};

static void fx_knobs(struct fx *f, enum xb_guest_type type, const char *pol,
		     const struct xb_policy_knobs *knobs)
{
	const struct xb_policy_ops *p = xb_policy_find(pol);
	struct xb_backend_config cfg = {.type = type,
					.max_pages = GUEST,
					.gfn_space = GUEST,
					.host_pages = HOST,
					.seed = 99,
					.domid = -1};
	GError *err = NULL;

	cr_assert_not_null(p, "policy %s", pol);
	f->be = xb_backend_open(xb_backend_find("mock"), &cfg, &err);
	cr_assert_not_null(f->be);
	f->m = xb_mock_from_backend(f->be);
	f->z = xb_zone_create(GUEST);
	xb_compactor_init(&f->comp, f->z);
	xb_zone_set_ops(f->z, &fx_ops, f);
	f->pin = xb_zone_register_owner(f->z, "pin", NULL, NULL);
	cr_assert_eq(
	    xb_driver_init(&f->d, f->z, f->be, p, knobs ? knobs : &p->defaults),
	    0);
	cr_assert_eq(xb_driver_boot(&f->d, GUEST, 9), 0);
	memset(&f->be->stats, 0, sizeof(f->be->stats));
}

static void fx_setup(struct fx *f, enum xb_guest_type type, const char *pol)
{
	fx_knobs(f, type, pol, NULL);
}

static void fx_free(struct fx *f)
{
	cr_assert(xb__driver_is_valid(&f->d));
	cr_assert(xb__mock_is_valid(f->m));
	cr_assert(xb__zone_is_valid(f->z));
	xb_driver_fini(&f->d);
	xb_zone_destroy(f->z);
	xb_backend_close(f->be);
}

static uint64_t tot_pages(struct fx *f)
{
	uint64_t tot, max;

	cr_assert_eq(xb_reservation(f->be, &tot, &max), 0);
	return tot;
}

/* Run balloon_process until it is done or gives up. */
static void settle(struct fx *f)
{
	for (int i = 0; i < 10000 && xb_driver_process(&f->d); i++)
		;
}

/* Take every free page at order 0 for `pin`, then free every other one:
 * no free block above order 0 is left, and nothing can be compacted. */
static void pin_checkerboard(struct fx *f, GArray *pinned)
{
	xb_pfn_t p;
	GArray *all = g_array_new(FALSE, FALSE, sizeof(xb_pfn_t));

	while ((p = xb_zone_alloc(f->z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK,
				  f->pin, 0)) != XB_NIL)
		g_array_append_val(all, p);
	for (guint i = 0; i < all->len; i++) {
		p = g_array_index(all, xb_pfn_t, i);
		if (p % 2)
			xb_zone_free(f->z, p);
		else
			g_array_append_val(pinned, p);
	}
	g_array_free(all, TRUE);
}

static void unpin(struct fx *f, GArray *pinned)
{
	for (guint i = 0; i < pinned->len; i++)
		xb_zone_free(f->z, g_array_index(pinned, xb_pfn_t, i));
	g_array_set_size(pinned, 0);
}

Test(driver, boot_populates_in_2m_extents)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	cr_assert_eq(f.d.current_pages, GUEST);
	cr_assert_eq(tot_pages(&f), GUEST);
	cr_assert_float_eq(xb_mock_p2m_superpage_coverage(f.m, 1), 1.0, 1e-9);
	fx_free(&f);
}

/* Figure 2, main path: a 2 MiB guest page goes back as one extent. */
Test(driver, huge_first_decrease_uses_order9_extents)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	xb_driver_set_target(&f.d, GUEST - 1024);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.current_pages, GUEST - 1024);
	cr_assert_eq(tot_pages(&f), GUEST - 1024);
	cr_assert_eq(f.d.huge.nr, 2);
	cr_assert_eq(f.d.small.nr_pages, 0);
	cr_assert_eq(f.be->stats.decrease.calls, 1);
	cr_assert_eq(f.be->stats.decrease.extents, 2);
	cr_assert_eq(f.be->stats.decrease.pages, 1024);
	cr_assert_eq(f.d.stats.huge.inflated, 1024);
	fx_free(&f);
}

/*
 * huge_gfp: the 2 MiB balloon page is asked for as GFP_HIGHUSER
 * (unmovable) or GFP_HIGHUSER_MOVABLE. In a zone whose pageblocks are all
 * movable, an unmovable request steals whole pageblocks, which become
 * unmovable (steal_suitable_fallback()); a movable one leaves them alone.
 */
static void huge_gfp_case(enum xb_huge_gfp gfp, unsigned want_mt)
{
	struct fx f;
	struct xb_policy_knobs k = xb_policy_find("huge-first")->defaults;

	k.huge_gfp = gfp;
	fx_knobs(&f, XB_GUEST_HVM, "huge-first", &k);
	xb_driver_set_target(&f.d, GUEST - 1024);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.huge.nr, 2);
	for (xb_pfn_t p = f.d.huge.head; p != XB_NIL; p = f.z->frames[p].next) {
		cr_assert_eq(f.z->frames[p].type, want_mt, "pfn %u", p);
		cr_assert_eq(xb_zone_pageblock_mt(f.z, p), want_mt, "pfn %u",
			     p);
	}
	fx_free(&f);
}

Test(driver, huge_gfp_unmovable_steals_the_pageblocks)
{
	huge_gfp_case(XB_HUGE_GFP_UNMOVABLE, XB_MT_UNMOVABLE);
}

Test(driver, huge_gfp_movable_keeps_them_movable)
{
	huge_gfp_case(XB_HUGE_GFP_MOVABLE, XB_MT_MOVABLE);
}

/* Figure 2, fallback: the guest has no 2 MiB page. */
Test(driver, decrease_falls_back_to_movable_4k_pages)
{
	struct fx f;
	GArray *pinned = g_array_new(FALSE, FALSE, sizeof(xb_pfn_t));

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	pin_checkerboard(&f, pinned);
	xb_driver_set_target(&f.d, GUEST - 1024);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.current_pages, GUEST - 1024);
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.d.small.nr_pages, 1024);
	cr_assert_eq(f.be->stats.decrease.calls, 2, "two batches of 512");
	cr_assert_eq(f.be->stats.decrease.pages, 1024);
	/* Every small balloon page is movable in compaction's eyes. */
	for (xb_pfn_t p = f.d.small.head; p != XB_NIL; p = f.z->frames[p].next)
		cr_assert(xb_frame_is_movable(&f.z->frames[p]));
	unpin(&f, pinned);
	g_array_free(pinned, TRUE);
	fx_free(&f);
}

/* The linux policy balloons unmovable 4 KiB pages, one list. */
Test(driver, linux_policy_uses_unmovable_4k_pages)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "linux");
	xb_driver_set_target(&f.d, GUEST - 1000);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.small.nr_pages, 1000);
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.be->stats.decrease.calls, 2);
	/* Unmovable allocations, and pinned in compaction's eyes. */
	for (xb_pfn_t p = f.d.small.head; p != XB_NIL;
	     p = f.z->frames[p].next) {
		cr_assert_eq(f.z->frames[p].type, XB_MT_UNMOVABLE);
		cr_assert_not(xb_frame_is_movable(&f.z->frames[p]));
	}
	cr_assert_eq(f.d.small.migratepage, NULL);
	fx_free(&f);
}

/* Figure 1: the host refuses 2 MiB extents, the page is split. */
Test(driver, increase_splits_when_host_refuses_2m)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	xb_driver_set_target(&f.d, GUEST - 1024);
	xb_driver_process(&f.d);
	memset(&f.be->stats, 0, sizeof(f.be->stats));
	xb_mock_fail_host_order(f.m, 9);
	xb_driver_set_target(&f.d, GUEST);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.current_pages, GUEST);
	cr_assert_eq(tot_pages(&f), GUEST);
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.d.stats.huge.failed, 2);
	cr_assert_eq(f.d.stats.small.deflated, 1024);
	cr_assert_eq(f.be->stats.populate.calls, 4, "2 refused + 2 x 512");
	cr_assert_eq(f.be->stats.populate.failed, 2);
	cr_assert_lt(xb_mock_p2m_superpage_coverage(f.m, 1), 1.0);
	fx_free(&f);
}

/* Figure 1, main path: 2 MiB pages come back as 2 MiB extents. */
Test(driver, increase_repopulates_2m_extents)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	xb_driver_set_target(&f.d, GUEST / 2);
	xb_driver_process(&f.d);
	cr_assert_eq(f.d.huge.nr, GUEST / 2 / 512);
	xb_driver_set_target(&f.d, GUEST);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.be->stats.populate.calls, 1);
	cr_assert_eq(f.be->stats.populate.extents, GUEST / 2 / 512);
	cr_assert_float_eq(xb_mock_p2m_superpage_coverage(f.m, 1), 1.0, 1e-9);
	fx_free(&f);
}

/* The books, checked in O(1) after every step at every debug level: a
 * count that drifts from the queues or the zone is caught. */
Test(driver, books_check_sees_each_drift)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	xb_driver_set_target(&f.d, GUEST / 2);
	xb_driver_process(&f.d);
	cr_assert(xb__driver_books_ok(&f.d));
	f.d.balloon_low++;
	cr_assert_not(xb__driver_books_ok(&f.d));
	cr_assert_not(xb__driver_is_valid(&f.d));
	f.d.balloon_low--;
	f.d.current_pages--;
	cr_assert_not(xb__driver_books_ok(&f.d));
	f.d.current_pages++;
	f.d.small.isolated_pages++;
	cr_assert_not(xb__driver_books_ok(&f.d));
	f.d.small.isolated_pages--;
	f.d.special.nr++;
	cr_assert_not(xb__driver_books_ok(&f.d));
	f.d.special.nr--;
	cr_assert(xb__driver_books_ok(&f.d));
	fx_free(&f);
}

/* The checker asks the backend's P2M about every ballooned gfn (in
 * batches): a frame moved under a ballooned gfn behind the driver's back
 * is caught, with tot_pages unchanged. */
Test(driver, checker_catches_a_populated_ballooned_gfn)
{
	struct fx f;
	uint64_t done;
	xb_pfn_t last;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	xb_driver_set_target(&f.d, GUEST / 2);
	xb_driver_process(&f.d);
	cr_assert_eq(f.d.huge.nr, GUEST / 2 / 512);
	cr_assert(xb__driver_is_valid(&f.d));
	/* The last frame of the last queued 2 MiB page: the last batch. */
	last = f.d.huge.head;
	while (f.z->frames[last].next != XB_NIL)
		last = f.z->frames[last].next;
	last += 511;
	/* Any populated gfn lends its frame. */
	xb_pfn_t src = 0;
	bool populated = false;

	while (xb_query(f.be, src, &populated) == 0 && !populated)
		src++;
	cr_assert(populated);
	cr_assert_eq(
	    xb_add_to_physmap(f.be, XB_MAPSPACE_GMFN, src, last, 1, &done), 0);
	cr_assert_eq(tot_pages(&f), GUEST / 2);
	cr_assert_not(xb__driver_is_valid(&f.d));
	cr_assert_eq(
	    xb_add_to_physmap(f.be, XB_MAPSPACE_GMFN, last, src, 1, &done), 0);
	fx_free(&f);
}

/* A decrease that fails half way: the rest is requeued, nothing lost. */
Test(driver, decrease_failing_half_way_requeues)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "linux");
	xb_mock_fail_at(f.m, XB_MOCK_OP_DECREASE, 100);
	xb_driver_set_target(&f.d, GUEST - 512);
	cr_assert_eq(xb_driver_process(&f.d), 2, "EAGAIN: retry in 2 s");
	cr_assert_eq(f.d.state, XB_BP_EAGAIN);
	cr_assert_eq(f.d.current_pages, GUEST - 100);
	cr_assert_eq(tot_pages(&f), GUEST - 100);
	cr_assert_eq(f.d.small.nr_pages, 100);
	cr_assert(xb__driver_is_valid(&f.d));
	xb_mock_fail_at(f.m, XB_MOCK_OP_DECREASE, XB_MOCK_NEVER);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.current_pages, GUEST - 512);
	cr_assert_eq(f.d.small.nr_pages, 512);
	fx_free(&f);
}

/* An order-9 decrease that fails inside its extent: the driver asks the
 * backend which frames Xen already took, loses none, and (Figure 2) falls
 * back to 4 KiB pages for the rest of the step. */
Test(driver, failed_2m_decrease_settles_and_falls_back)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	xb_mock_fail_call(f.m, XB_MOCK_OP_DECREASE, 1);
	xb_driver_set_target(&f.d, GUEST - 512);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.stats.huge.failed, 1);
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.d.small.nr_pages, 512);
	cr_assert_eq(f.d.current_pages, GUEST - 512);
	cr_assert_eq(tot_pages(&f), GUEST - 512);
	cr_assert_eq(f.be->stats.decrease.calls, 2, "refused 2 MiB, then 4K");
	fx_free(&f);
}

/* update_schedule(): the delay doubles up to max_schedule_delay. */
Test(driver, backoff_doubles_to_the_maximum)
{
	struct fx f;
	struct xb_policy_knobs k = xb_policy_find("linux")->defaults;

	k.max_retry_count = 0;
	fx_knobs(&f, XB_GUEST_HVM, "linux", &k);
	xb_driver_set_target(&f.d, GUEST - 512);
	xb_driver_process(&f.d);
	xb_mock_fail_probability(f.m, XB_MOCK_OP_POPULATE, 1.0);
	xb_driver_set_target(&f.d, GUEST);
	static const uint64_t want[] = {2, 4, 8, 16, 32, 32, 32};

	for (unsigned i = 0; i < G_N_ELEMENTS(want); i++)
		cr_assert_eq(xb_driver_process(&f.d), want[i], "round %u", i);
	cr_assert_eq(f.d.current_pages, GUEST - 512);
	xb_mock_fail_probability(f.m, XB_MOCK_OP_POPULATE, 0);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.schedule_delay, 1, "reset on success");
	fx_free(&f);
}

Test(driver, gives_up_after_max_retry_count)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "linux"); /* max_retry_count = 4 */
	xb_driver_set_target(&f.d, GUEST - 512);
	xb_driver_process(&f.d);
	xb_mock_fail_probability(f.m, XB_MOCK_OP_POPULATE, 1.0);
	xb_driver_set_target(&f.d, GUEST);
	cr_assert_eq(xb_driver_process(&f.d), 2);
	cr_assert_eq(xb_driver_process(&f.d), 4);
	cr_assert_eq(xb_driver_process(&f.d), 8);
	cr_assert_eq(xb_driver_process(&f.d), 0);
	cr_assert_eq(f.d.state, XB_BP_ECANCELED);
	cr_assert_eq(f.d.stats.gave_up, 1);
	xb_mock_clear_faults(f.m);
	fx_free(&f);
}

/* Balloon 4 KiB pages scattered over a checkerboard, then free the pins:
 * `n` small balloon pages sit all over the zone. */
static void scatter_small(struct fx *f, uint64_t n)
{
	GArray *pinned = g_array_new(FALSE, FALSE, sizeof(xb_pfn_t));

	pin_checkerboard(f, pinned);
	xb_driver_set_target(&f->d, f->d.current_pages - n);
	cr_assert_eq(xb_driver_process(&f->d), 0);
	cr_assert_eq(f->d.small.nr_pages, n);
	unpin(f, pinned);
	g_array_free(pinned, TRUE);
}

static void migration_moves_pages(enum xb_guest_type type)
{
	struct fx f;

	fx_setup(&f, type, "huge-first");
	scatter_small(&f, 600);
	uint64_t tot = tot_pages(&f);
	uint64_t va = f.be->stats.update_va_mapping.extents;

	xb_compact_zone_full(&f.comp);
	cr_assert_gt(f.d.stats.small.migrated, 0);
	cr_assert_eq(f.d.stats.small.migrated, f.comp.stats.pgmigrate_success);
	cr_assert_eq(tot_pages(&f), tot, "migration keeps tot_pages");
	cr_assert_eq(f.d.small.nr_pages, 600);
	if (type == XB_GUEST_PV) {
		cr_assert_eq(f.be->stats.exchange.calls,
			     f.d.stats.small.migrated);
		/* Each migration unmaps the new page and maps the old. */
		cr_assert_eq(f.be->stats.update_va_mapping.extents - va,
			     2 * f.d.stats.small.migrated);
	} else {
		/* One XENMAPSPACE_gmfn move per page; no guest issues the
		 * device-model relocate. */
		cr_assert_eq(f.be->stats.add_to_physmap.calls,
			     f.d.stats.small.migrated);
		cr_assert_eq(f.be->stats.add_to_physmap.pages,
			     f.d.stats.small.migrated);
		cr_assert_eq(f.be->stats.relocate.calls, 0);
	}
	fx_free(&f);
}

/*
 * A pv guest maps and unmaps each page it gives back or gets back with
 * one update_va_mapping (Linux's xenmem_reservation_va_mapping_*); the
 * multicall knob batches an operation's updates 32 to a call. 1000 pages
 * go in two batches (512 + 488) and come back in two: 2000 updates, in
 * 2000 calls, or 16 + 16 + 16 + 16 multicalls. hvm guests issue none.
 */
static void va_mapping_round_trip(enum xb_guest_type type, bool multicall,
				  uint64_t calls, uint64_t updates)
{
	struct fx f;
	struct xb_policy_knobs k = xb_policy_find("linux")->defaults;

	k.multicall = multicall;
	fx_knobs(&f, type, "linux", &k);
	xb_driver_set_target(&f.d, GUEST - 1000);
	settle(&f);
	xb_driver_set_target(&f.d, GUEST);
	settle(&f);
	cr_assert_eq(f.d.current_pages, GUEST);
	cr_assert_eq(f.be->stats.decrease.calls, 2);
	cr_assert_eq(f.be->stats.populate.calls, 2);
	cr_assert_eq(f.be->stats.update_va_mapping.calls, calls);
	cr_assert_eq(f.be->stats.update_va_mapping.extents, updates);
	fx_free(&f);
}

Test(driver, pv_maps_each_page_it_moves)
{
	va_mapping_round_trip(XB_GUEST_PV, false, 2000, 2000);
}

Test(driver, pv_multicall_batches_the_mapping_updates)
{
	va_mapping_round_trip(XB_GUEST_PV, true, 4 * 16, 2000);
}

Test(driver, hvm_updates_no_mapping)
{
	va_mapping_round_trip(XB_GUEST_HVM, true, 0, 0);
}

Test(driver, migration_moves_by_add_to_physmap_on_hvm)
{
	migration_moves_pages(XB_GUEST_HVM);
}

Test(driver, migration_moves_by_add_to_physmap_on_pvh)
{
	migration_moves_pages(XB_GUEST_PVH);
}

Test(driver, migration_exchanges_on_pv)
{
	migration_moves_pages(XB_GUEST_PV);
}

static void migration_refused(enum xb_guest_type type, enum xb_mock_op op)
{
	struct fx f;

	fx_setup(&f, type, "huge-first");
	scatter_small(&f, 600);
	uint64_t tot = tot_pages(&f);
	xb_pfn_t before[600], i = 0;

	for (xb_pfn_t p = f.d.small.head; p != XB_NIL; p = f.z->frames[p].next)
		before[i++] = p;
	xb_mock_fail_probability(f.m, op, 1.0);
	xb_compact_zone_full(&f.comp);
	cr_assert_eq(f.d.stats.small.migrated, 0);
	cr_assert_gt(f.comp.stats.pgmigrate_fail, 0);
	cr_assert_eq(tot_pages(&f), tot);
	cr_assert_eq(f.d.small.nr_pages, 600);
	cr_assert_eq(f.d.small.isolated_pages, 0);
	/* Every page is back in the balloon (order may differ: putback). */
	for (i = 0; i < 600; i++)
		cr_assert_eq(f.z->frames[before[i]].state,
			     XB_FRAME_UNPOPULATED);
	xb_mock_clear_faults(f.m);
	fx_free(&f);
}

Test(driver, add_to_physmap_refused_puts_pages_back)
{
	migration_refused(XB_GUEST_HVM, XB_MOCK_OP_ADD_TO_PHYSMAP);
}

Test(driver, exchange_refused_puts_pages_back)
{
	migration_refused(XB_GUEST_PV, XB_MOCK_OP_EXCHANGE);
}

static void coalesce(enum xb_guest_type type)
{
	struct fx f;

	fx_setup(&f, type, "huge-first");
	scatter_small(&f, 700);
	uint64_t tot = tot_pages(&f), cur = f.d.current_pages;
	uint64_t va = f.be->stats.update_va_mapping.extents;

	cr_assert(xb_drv_coalesce(&f.d));
	cr_assert_eq(f.d.huge.nr, 1);
	cr_assert_eq(f.d.small.nr_pages, 700 - 512);
	cr_assert_eq(f.d.stats.huge.coalesced, 1);
	cr_assert_eq(f.d.current_pages, cur);
	cr_assert_eq(tot_pages(&f), tot);
	if (type == XB_GUEST_PV) {
		cr_assert_eq(f.be->stats.exchange.calls, 1);
		cr_assert_eq(f.be->stats.exchange.pages, 512);
		/* The 2 MiB page's 512 frames unmapped, 512 victims mapped. */
		cr_assert_eq(f.be->stats.update_va_mapping.extents - va, 1024);
	} else {
		/* Scattered victims: one batch of 512 entries. */
		cr_assert_eq(f.be->stats.add_to_physmap.calls, 1);
		cr_assert_eq(f.be->stats.add_to_physmap.pages, 512);
		cr_assert_eq(f.be->stats.add_to_physmap.failed, 0);
		cr_assert_eq(f.be->stats.relocate.calls, 0);
	}
	/* Nothing more to coalesce: fewer than 512 small pages left. */
	cr_assert_not(xb_drv_coalesce(&f.d));
	fx_free(&f);
}

Test(driver, coalesce_batches_on_hvm)
{
	coalesce(XB_GUEST_HVM);
}

Test(driver, coalesce_batches_on_pvh)
{
	coalesce(XB_GUEST_PVH);
}

/* Without the worker (exchange off) the balloon keeps no region index;
 * a direct call builds it from the list on first use and coalesces. */
Test(driver, coalesce_without_the_worker_builds_the_index)
{
	struct fx f;
	struct xb_policy_knobs k = xb_policy_find("huge-first")->defaults;

	k.exchange = false;
	fx_knobs(&f, XB_GUEST_HVM, "huge-first", &k);
	cr_assert_not(xb_driver_has_worker(&f.d));
	cr_assert_null(f.d.small.regions);
	scatter_small(&f, 700);
	cr_assert(xb_drv_coalesce(&f.d));
	cr_assert_not_null(f.d.small.regions);
	cr_assert_eq(f.d.huge.nr, 1);
	cr_assert_eq(f.d.small.nr_pages, 700 - 512);
	cr_assert(xb__balloon_dev_is_valid(&f.d.small));
	fx_free(&f);
}

/* A whole 2 MiB region of small balloon pages: the victims are one run,
 * and the 512 frames move with one XENMAPSPACE_gmfn_range call. */
static void coalesce_one_run(struct fx *f)
{
	fx_setup(f, XB_GUEST_HVM, "huge-first");
	xb_driver_set_target(&f->d, GUEST - 512);
	cr_assert_eq(xb_driver_process(&f->d), 0);
	cr_assert_eq(f->d.huge.nr, 1);
	cr_assert(xb_drv_split_huge(&f->d));
	cr_assert_eq(f->d.small.nr_pages, 512);
	memset(&f->be->stats, 0, sizeof(f->be->stats));
}

Test(driver, coalesce_moves_one_run_with_gmfn_range)
{
	struct fx f;
	uint64_t tot;

	coalesce_one_run(&f);
	tot = tot_pages(&f);
	cr_assert(xb_drv_coalesce(&f.d));
	cr_assert_eq(f.d.huge.nr, 1);
	cr_assert_eq(f.d.small.nr_pages, 0);
	cr_assert_eq(tot_pages(&f), tot);
	cr_assert_eq(f.be->stats.add_to_physmap.calls, 1);
	cr_assert_eq(f.be->stats.add_to_physmap.extents, 512);
	fx_free(&f);
}

/* The range stops at its 101st frame: 100 frames moved (a prefix), and
 * they swap places with their victims; nothing is lost. */
Test(driver, coalesce_range_failing_half_way_loses_nothing)
{
	struct fx f;
	uint64_t tot;

	coalesce_one_run(&f);
	tot = tot_pages(&f);
	xb_mock_fail_at(f.m, XB_MOCK_OP_ADD_TO_PHYSMAP, 100);
	cr_assert_not(xb_drv_coalesce(&f.d));
	cr_assert_eq(f.be->stats.add_to_physmap.calls, 1);
	cr_assert_eq(f.be->stats.add_to_physmap.extents, 100);
	cr_assert_eq(f.be->stats.add_to_physmap.failed, 1);
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.d.small.nr_pages, 512, "moved frames swap places");
	cr_assert_eq(tot_pages(&f), tot);
	xb_mock_clear_faults(f.m);
	fx_free(&f);
}

Test(driver, coalesce_exchanges_on_pv)
{
	coalesce(XB_GUEST_PV);
}

Test(driver, coalesce_exchange_refused_loses_nothing)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_PV, "huge-first");
	scatter_small(&f, 600);
	xb_mock_fail_probability(f.m, XB_MOCK_OP_EXCHANGE, 1.0);
	cr_assert_not(xb_drv_coalesce(&f.d));
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.d.small.nr_pages, 600);
	xb_mock_clear_faults(f.m);
	fx_free(&f);
}

/* Entries 100 and 300 of the batch fail on their own (errs[]): the other
 * 510 frames move, and every page ends where its entry says. */
Test(driver, coalesce_batch_with_failed_entries_loses_nothing)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	scatter_small(&f, 600);
	uint64_t tot = tot_pages(&f), cur = f.d.current_pages;

	xb_mock_fail_at(f.m, XB_MOCK_OP_ADD_TO_PHYSMAP, 100);
	cr_assert_not(xb_drv_coalesce(&f.d));
	xb_mock_clear_faults(f.m);
	cr_assert_eq(f.be->stats.add_to_physmap.calls, 1);
	cr_assert_eq(f.be->stats.add_to_physmap.extents, 511);
	cr_assert_eq(f.be->stats.add_to_physmap.failed, 1);
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.d.small.nr_pages, 600, "moved frames swap places");
	cr_assert_eq(f.d.current_pages, cur);
	cr_assert_eq(tot_pages(&f), tot);
	cr_assert(xb__driver_is_valid(&f.d));
	fx_free(&f);
}

/* The whole batch refused (a failed call): nothing moves. */
Test(driver, coalesce_batch_refused_loses_nothing)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_PVH, "huge-first");
	scatter_small(&f, 600);
	uint64_t tot = tot_pages(&f);

	xb_mock_fail_call(f.m, XB_MOCK_OP_ADD_TO_PHYSMAP, 1);
	cr_assert_not(xb_drv_coalesce(&f.d));
	cr_assert_eq(f.be->stats.add_to_physmap.extents, 0);
	cr_assert_eq(f.d.huge.nr, 0);
	cr_assert_eq(f.d.small.nr_pages, 600);
	cr_assert_eq(tot_pages(&f), tot);
	fx_free(&f);
}

Test(driver, special_pages_come_from_the_balloon)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "huge-first");
	xb_driver_set_target(&f.d, GUEST - 1024);
	xb_driver_process(&f.d);
	/* 100 pages: a 2 MiB page is split, 100 go special, 412 small. */
	cr_assert_eq(xb_driver_alloc_special(&f.d, 100), 0);
	cr_assert_eq(f.d.special.nr, 100);
	cr_assert_eq(f.d.huge.nr, 1);
	cr_assert_eq(f.d.small.nr_pages, 412);
	cr_assert_eq(f.d.balloon_low, 924);
	cr_assert(xb__driver_is_valid(&f.d));
	/* More than the balloon holds: the driver balloons out the rest. */
	cr_assert_eq(xb_driver_alloc_special(&f.d, 1000), 0);
	cr_assert_eq(f.d.special.nr, 1100);
	cr_assert_eq(f.d.current_pages, GUEST - 1100);
	/* Special pages are never migrated: not movable. */
	for (xb_pfn_t p = f.d.special.head; p != XB_NIL;
	     p = f.z->frames[p].next)
		cr_assert_not(xb_frame_is_movable(&f.z->frames[p]));
	xb_driver_free_special(&f.d, 1100);
	cr_assert_eq(f.d.special.nr, 0);
	cr_assert_eq(f.d.balloon_low, 1100);
	fx_free(&f);
}

Test(driver, special_refused_when_guest_has_no_memory)
{
	struct fx f;

	fx_setup(&f, XB_GUEST_HVM, "linux");
	cr_assert_eq(xb_driver_alloc_special(&f.d, GUEST), -ENOMEM);
	cr_assert_eq(f.d.special.nr, 0);
	fx_free(&f);
}

/*
 * A long seeded run: random targets for every policy, with 2 % of every
 * hypercall's extents failing; the driver must reach every target (the
 * faults are transient and retries are unlimited) and every checker holds
 * after every step.
 */
Test(driver_random, every_policy_reaches_targets_under_2pct_faults,
     .timeout = 600)
{
	for (const struct xb_policy_ops *const *p = xb_policy_list(); *p; p++) {
		struct fx f;
		struct xb_policy_knobs k = (*p)->defaults;
		struct xb_rng rng;

		k.max_retry_count = 0;
		fx_knobs(&f, XB_GUEST_HVM, (*p)->name, &k);
		xb_rng_seed(&rng, 4242);
		for (int op = 0; op < XB_MOCK_OP_NR; op++)
			xb_mock_fail_probability(f.m, (enum xb_mock_op)op,
						 0.02);
		/* At XB_DEBUG=3 every zone operation runs the full checker:
		 * fewer rounds keep the debug preset within its timeout. */
		const int rounds = XB_DEBUG >= 3 ? 12 : 150;

		for (int round = 0; round < rounds; round++) {
			uint64_t t =
			    GUEST / 4 + xb_rng_below(&rng, GUEST * 3 / 4 + 1);

			xb_driver_set_target(&f.d, t);
			settle(&f);
			cr_assert_eq(f.d.current_pages, t, "%s round %d",
				     (*p)->name, round);
			cr_assert(xb__driver_is_valid(&f.d));
			cr_assert(xb__mock_is_valid(f.m));
			if (round % 10 == 0) {
				xb_driver_worker(&f.d);
				xb_compact_zone_full(&f.comp);
				cr_assert(xb__driver_is_valid(&f.d));
			}
		}
		xb_mock_clear_faults(f.m);
		fx_free(&f);
	}
}
