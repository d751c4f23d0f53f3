/*
 * The guest's NUMA nodes on whole runs: a 2-vnode guest (1 GiB each) on a
 * 2-node host. A workload bound to a node takes its pages there only; an
 * unbound one prefers node 0; every vnode's driver balloons its own zone,
 * and the guest's target is split over them by driver.numa_split; with
 * numa_exact every vnode's memory stays on its pnode through shrink and
 * regrow (issue #18's "done when").
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "support/testutil.h"
#include "xballoon/run.h"

#define GIB_PAGES (1ull << 18)
#define MIB_PAGES 256ull

/* A 2-vnode guest with the given driver lines and timeline, run; the
 * scenario is written to a file of its own (load errors name it). */
static void run_vnuma(const char *vnuma, const char *driver,
		      const char *timeline, struct xb_run_result *res)
{
	if (XB_DEBUG >= 3)
		cr_skip_test("whole-scenario runs are not run at XB_DEBUG=3");

	char *dir = g_dir_make_tmp("xb-numa-XXXXXX", NULL);
	char *path = g_build_filename(dir, "numa.yaml", NULL);
	char *text = g_strdup_printf(
	    "name: numa-test\nseed: 3\nduration: 20s\nsample: 1s\n"
	    "host:\n  memory: 6GiB\n  nodes: [{memory: 3GiB}, {memory: 3GiB}]\n"
	    "guest:\n  type: hvm\n  memory: 2GiB\n  maxmem: 2GiB\n"
	    "  vnuma: [%s]\n"
	    "driver:\n%s"
	    "timeline:\n%s",
	    vnuma, driver, timeline);
	struct xb_run_options opt = {.check = XB_CHECK_FULL};
	GError *err = NULL;
	struct xb_scenario *sc;

	cr_assert(g_file_set_contents(path, text, -1, NULL));
	sc = xb_scenario_load(path, &err);
	cr_assert_not_null(sc, "%s", err ? err->message : "");
	cr_assert(xb_run(sc, &opt, res, &err), "%s", err ? err->message : "");
	cr_assert_eq(res->violations, 0, "%llu violations",
		     (unsigned long long)res->violations);
	cr_assert_eq(res->nr_vnodes, 2);
	xb_scenario_free(sc);
	g_unlink(path);
	g_rmdir(dir);
	g_free(text);
	g_free(path);
	g_free(dir);
}

static void run_text(const char *driver, const char *timeline,
		     struct xb_run_result *res)
{
	run_vnuma("{memory: 1GiB, pnode: 0}, {memory: 1GiB, pnode: 1}", driver,
		  timeline, res);
}

/* Frames of vnode v in use: populated and neither free nor reserved for
 * the kernel (every vnode's share of that is below 40 MiB here). */
static uint64_t used(const struct xb_run_result *res, unsigned v)
{
	const struct xb_guest_metrics *g = &res->vnodes[v].guest;

	return g->populated - g->free;
}

Test(numa, a_workload_bound_to_node_1_allocates_only_there)
{
	struct xb_run_result res;

	run_text("  policy: linux\n",
		 "  - at: 0s\n"
		 "    workload: {name: b, kind: anon, size: 512MiB, node: 1}\n",
		 &res);
	/* 512 MiB on node 1; node 0 holds only the kernel's share. */
	cr_assert_geq(used(&res, 1), 512 * MIB_PAGES, "%llu",
		      (unsigned long long)used(&res, 1));
	cr_assert_lt(used(&res, 0), 64 * MIB_PAGES, "%llu",
		     (unsigned long long)used(&res, 0));
	xb_run_result_clear(&res);
}

Test(numa, an_unbound_workload_prefers_node_0_then_falls_back)
{
	struct xb_run_result res;

	/* 1.5 GiB: more than node 0 has. */
	run_text("  policy: linux\n",
		 "  - at: 0s\n"
		 "    workload: {name: u, kind: anon, size: 1536MiB}\n",
		 &res);
	/* Node 0 is filled to its watermarks before node 1 is used. */
	cr_assert_gt(used(&res, 0), 960 * MIB_PAGES, "%llu",
		     (unsigned long long)used(&res, 0));
	cr_assert_gt(used(&res, 1), 512 * MIB_PAGES, "%llu",
		     (unsigned long long)used(&res, 1));
	xb_run_result_clear(&res);
}

/* A decrease to 1.25 GiB with 256 MiB used on node 1 and nothing on node
 * 0, under each split rule: populated pages per vnode at the end. */
static void split(const char *rule, uint64_t pop[2])
{
	struct xb_run_result res;
	char *driver =
	    g_strdup_printf("  policy: huge-first\n  numa_split: %s\n", rule);

	run_text(driver,
		 "  - at: 0s\n"
		 "    workload: {name: b, kind: anon, size: 256MiB, node: 1}\n"
		 "  - at: 2s\n"
		 "    target: 1280MiB\n",
		 &res);
	cr_assert(res.target_reached, "%s: %llu of %llu", rule,
		  (unsigned long long)res.current_pages,
		  (unsigned long long)res.target_pages);
	for (unsigned v = 0; v < 2; v++)
		pop[v] = res.vnodes[v].guest.populated;
	cr_assert_eq(pop[0] + pop[1], 1280 * MIB_PAGES);
	xb_run_result_clear(&res);
	g_free(driver);
}

Test(numa, size_splits_the_target_by_vnode_size)
{
	uint64_t pop[2];

	split("size", pop);
	cr_assert_eq(pop[0], 640 * MIB_PAGES, "%llu",
		     (unsigned long long)pop[0]);
	cr_assert_eq(pop[1], 640 * MIB_PAGES, "%llu",
		     (unsigned long long)pop[1]);
}

Test(numa, free_takes_more_from_the_vnode_with_more_free_memory)
{
	uint64_t pop[2];

	split("free", pop);
	/* Node 0 has 256 MiB more to give: it gives more, but not all. */
	uint64_t give0 = GIB_PAGES - pop[0], give1 = GIB_PAGES - pop[1];

	cr_assert_gt(give0, give1 + 16 * MIB_PAGES, "%llu %llu",
		     (unsigned long long)give0, (unsigned long long)give1);
	cr_assert_lt(give0, give1 + 256 * MIB_PAGES, "%llu %llu",
		     (unsigned long long)give0, (unsigned long long)give1);
}

Test(numa, local_takes_from_vnode_0_first)
{
	uint64_t pop[2];

	split("local", pop);
	/* 768 MiB out: node 0 can give all of it (less its reserve). */
	cr_assert_lt(pop[0], 320 * MIB_PAGES, "%llu",
		     (unsigned long long)pop[0]);
	cr_assert_geq(pop[1], 900 * MIB_PAGES, "%llu",
		      (unsigned long long)pop[1]);
}

/* numa_exact keeps each vnode's frames on its pnode through shrink and
 * regrow, when each pnode has room: locality 1.0 at every sample. */
Test(numa, numa_exact_keeps_locality_through_shrink_and_regrow)
{
	struct xb_run_result res;

	run_text("  policy: huge-first\n",
		 "  - at: 0s\n"
		 "    workload: {name: a, kind: anon, size: 512MiB, churn: "
		 "1%/s}\n"
		 "  - at: 5s\n    target: 1GiB\n"
		 "  - at: 12s\n    target: 2GiB\n",
		 &res);
	cr_assert(res.target_reached);
	for (guint i = 0; i < res.series->len; i++) {
		const struct xb_run_sample *s =
		    &g_array_index(res.series, struct xb_run_sample, i);

		for (unsigned v = 0; v < 2; v++)
			cr_assert_eq(s->locality[v], 1.0, "t=%.0f vnode %u: %f",
				     s->t_s, v, s->locality[v]);
	}
	for (unsigned v = 0; v < 2; v++) {
		cr_assert_eq(res.vnodes[v].locality, 1.0);
		cr_assert_eq(res.vnodes[v].guest.populated, GIB_PAGES);
	}
	xb_run_result_clear(&res);
}

/* A decrease the vnodes' free memory cannot cover: two 700 MiB workloads,
 * one bound to each node, and a 1 GiB target. The shares still add up to
 * the guest's target at every sample, and each stuck vnode's driver backs
 * off on its own schedule (runs at 2, 4, 8 and 16 s) and gives up after
 * max_retry_count (4) tries, as balloon_process() does, instead of being
 * run whenever its sibling is. `free` asks both vnodes for more than they
 * have (both stuck: 8 runs, 2 give-ups); `local` asks vnode 1 for what it
 * has (one run) and vnode 0 for the rest (stuck: 4 runs, 1 give-up). */
static void stuck(const char *rule, uint64_t gave_up, uint64_t runs)
{
	struct xb_run_result res;
	char *driver =
	    g_strdup_printf("  policy: huge-first\n  numa_split: %s\n", rule);

	run_text(driver,
		 "  - at: 0s\n"
		 "    workload: {name: a, kind: anon, size: 700MiB, node: 0}\n"
		 "  - at: 0s\n"
		 "    workload: {name: b, kind: anon, size: 700MiB, node: 1}\n"
		 "  - at: 2s\n"
		 "    target: 1GiB\n",
		 &res);
	cr_assert_not(res.target_reached, "%s", rule);
	for (guint i = 0; i < res.series->len; i++) {
		const struct xb_run_sample *s =
		    &g_array_index(res.series, struct xb_run_sample, i);

		if (s->t_s >= 2)
			cr_assert_eq(s->target, GIB_PAGES, "%s: t=%.0f: %llu",
				     rule, s->t_s,
				     (unsigned long long)s->target);
	}
	cr_assert_eq(res.driver.gave_up, gave_up, "%s: %llu", rule,
		     (unsigned long long)res.driver.gave_up);
	cr_assert_eq(res.driver.process_runs, runs, "%s: %llu", rule,
		     (unsigned long long)res.driver.process_runs);
	xb_run_result_clear(&res);
	g_free(driver);
}

Test(numa, free_shares_add_up_and_each_driver_backs_off_alone)
{
	stuck("free", 2, 8);
}

Test(numa, local_shares_add_up_and_each_driver_backs_off_alone)
{
	stuck("local", 1, 5);
}

/* A vnode 0 smaller than the kernel image's place (16 MiB + 44 MiB): the
 * image is one range across vnodes 0 and 1, the rest of the kernel's
 * memory goes to vnode 1, and every zone's checker (run at every sample)
 * finds its blocks its own. `free` asks the small vnode 0 only for what
 * it can give. */
Test(numa, a_small_vnode_0_holds_the_start_of_the_kernel_image)
{
	struct xb_run_result res;
	const struct xb_guest_metrics *g0, *g1;

	run_vnuma("{memory: 32MiB, pnode: 0}, {memory: 2016MiB, pnode: 1}",
		  "  policy: huge-first\n  numa_split: free\n",
		  "  - at: 2s\n    target: 1GiB\n", &res);
	g0 = &res.vnodes[0].guest;
	g1 = &res.vnodes[1].guest;
	cr_assert(res.target_reached);
	/* 16 MiB of the image on vnode 0, 28 MiB and the memmap on 1. */
	cr_assert_geq(g0->populated - g0->free, 16 * MIB_PAGES, "%llu",
		      (unsigned long long)(g0->populated - g0->free));
	cr_assert_geq(g1->populated - g1->free, 28 * MIB_PAGES, "%llu",
		      (unsigned long long)(g1->populated - g1->free));
	xb_run_result_clear(&res);
}
