/*
 * The runner's host figures on a whole scenario: a fresh 4 GiB HVM guest
 * on a roomy host shrunk to 1 GiB and grown back
 * (tests/scenario/shrink-grow-roomy.yaml). Whatever the policy, the host
 * gives the memory back machine-contiguous; only whole 2 MiB extents out
 * and in leave Xen's P2M with 2 MiB entries, because Xen never merges 4 KiB
 * entries back. And the figures reach report.json and series.csv under
 * the names of the v1.1 contract (SCENARIO.md). A scenario too big for
 * the machine is refused at the key that makes it so.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testutil.h"
#include "xballoon/run.h"

/* tests/scenario/shrink-grow-roomy.yaml, loaded; skipped at XB_DEBUG=3.
 */
static struct xb_scenario *load_roomy(void)
{
	/* Whole 4 GiB runs, as in test_golden.c: at level 3 the checkers
	 * run after every zone operation and a run takes hours. */
	if (XB_DEBUG >= 3)
		cr_skip_test("whole-scenario runs are not run at XB_DEBUG=3");

	const char *path =
	    xbt_source_path("tests/scenario/shrink-grow-roomy.yaml");
	GError *err = NULL;
	struct xb_scenario *sc = xb_scenario_load(path, &err);

	cr_assert_not_null(sc, "%s: %s", path, err ? err->message : "");
	return sc;
}

static void run_policy(const char *policy, struct xb_run_result *res)
{
	struct xb_scenario *sc = load_roomy();
	struct xb_run_options opt = {.policy = policy};
	GError *err = NULL;

	cr_assert(xb_run(sc, &opt, res, &err), "%s", err ? err->message : "");
	cr_assert_eq(res->violations, 0);
	cr_assert(res->target_reached);
	xb_scenario_free(sc);
}

/* The sample taken at t seconds. */
static const struct xb_run_sample *at(const struct xb_run_result *res, double t)
{
	for (guint i = 0; i < res->series->len; i++) {
		const struct xb_run_sample *s =
		    &g_array_index(res->series, struct xb_run_sample, i);

		if (s->t_s > t - 1e-9 && s->t_s < t + 1e-9)
			return s;
	}
	cr_assert_fail("no sample at %.3f s", t);
	return NULL;
}

/*
 * linux gives 3 GiB back as 4 KiB frames: each one splits its region's
 * 2 MiB entry, and the 4 KiB populates of the way back never make one
 * again. Xen's allocator hands the freed frames back (the smallest free
 * block first), so the regions end machine-contiguous all the same: the
 * old single figure read 1.0 here.
 */
Test(run, linux_shrink_and_grow_leaves_few_p2m_superpages)
{
	struct xb_run_result res;

	run_policy("linux", &res);
	cr_assert_lt(res.host.p2m_superpage_coverage, 0.5, "%.3f",
		     res.host.p2m_superpage_coverage);
	cr_assert_gt(res.host.contiguity_2m, 0.9, "%.3f",
		     res.host.contiguity_2m);
	/* Booted on 2 MiB extents. Shrunk, the guest still has all of its
	 * 1 GiB on 2 MiB entries: the balloon emptied 1536 regions frame by
	 * frame (an emptied region counts for nothing) and left the other
	 * 512 alone. The loss is on the way back. */
	cr_assert_eq(at(&res, 0)->p2m_superpage_coverage, 1.0);
	cr_assert_eq(at(&res, 19)->populated, 262144);
	cr_assert_eq(at(&res, 19)->p2m_superpage_coverage, 1.0);
	const struct xb_run_sample *last = &g_array_index(
	    res.series, struct xb_run_sample, res.series->len - 1);

	cr_assert_eq(last->p2m_superpage_coverage,
		     res.host.p2m_superpage_coverage);
	cr_assert_eq(last->contiguity_2m, res.host.contiguity_2m);
	xb_run_result_clear(&res);
}

/* huge-first gives back and takes back order-9 extents of whole regions:
 * every region is one 2 MiB entry again. */
Test(run, huge_first_shrink_and_grow_keeps_p2m_superpages)
{
	struct xb_run_result res;

	run_policy("huge-first", &res);
	cr_assert_geq(res.host.p2m_superpage_coverage, 0.9, "%.3f",
		      res.host.p2m_superpage_coverage);
	cr_assert_geq(res.host.contiguity_2m, res.host.p2m_superpage_coverage);
	xb_run_result_clear(&res);
}

static char *written(const struct xb_run_result *res,
		     void (*write)(const struct xb_run_result *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	write(res, f);
	fclose(f);
	return buf;
}

Test(run, report_and_series_carry_both_figures)
{
	struct xb_run_result res;

	run_policy("linux", &res);
	char *json = written(&res, xb_report_write_json);
	char *csv = written(&res, xb_report_write_csv);
	char *want = g_strdup_printf("\"p2m_superpage_coverage\": %.6f, "
				     "\"contiguity_2m\": %.6f",
				     res.host.p2m_superpage_coverage,
				     res.host.contiguity_2m);

	cr_assert(strstr(json, want), "%s", json);
	cr_assert_null(strstr(json, "\"superpage_coverage\""), "%s", json);
	cr_assert(g_str_has_prefix(csv, "t_s,populated,target,balloon_huge,"
					"balloon_small,fu9,"
					"p2m_superpage_coverage,"
					"contiguity_2m,"),
		  "%.200s", csv);
	free(json);
	free(csv);
	g_free(want);
	xb_run_result_clear(&res);
}

/* A vNUMA guest's series gains one locality column per vnode (numa-shrink:
 * huge-first populates node-exact, so every sample reads 1 for both); a
 * guest without vNUMA keeps the contract's columns. */
Test(run, series_carry_vnode_locality_for_vnuma_guests_only)
{
	if (XB_DEBUG >= 3)
		cr_skip_test("whole-scenario runs are not run at XB_DEBUG=3");
	const char *path = xbt_source_path("scenarios/numa-shrink.yaml");
	GError *err = NULL;
	struct xb_scenario *sc = xb_scenario_load(path, &err);
	struct xb_run_options opt = {.check = XB_CHECK_END};
	struct xb_run_result res;

	cr_assert_not_null(sc, "%s", err ? err->message : "");
	cr_assert(xb_run(sc, &opt, &res, &err), "%s", err ? err->message : "");
	char *csv = written(&res, xb_report_write_csv);
	g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);

	cr_assert(
	    g_str_has_suffix(lines[0], ",host_free_2m,locality_v0,locality_v1"),
	    "%s", lines[0]);
	/* Every line ends in the two vnodes' figures. */
	cr_assert_eq(g_strv_length(lines), res.series->len + 2);
	for (guint i = 0; i < res.series->len; i++) {
		const struct xb_run_sample *row =
		    &g_array_index(res.series, struct xb_run_sample, i);

		cr_assert_float_eq(row->locality[0], 1.0, 1e-9, "sample %u", i);
		cr_assert_float_eq(row->locality[1], 1.0, 1e-9, "sample %u", i);
		cr_assert(g_str_has_suffix(lines[i + 1], ",1.000000,1.000000"),
			  "%s", lines[i + 1]);
	}
	free(csv);
	xb_run_result_clear(&res);
	xb_scenario_free(sc);

	run_policy("linux", &res);
	csv = written(&res, xb_report_write_csv);
	cr_assert_null(strstr(csv, "locality"), "%.300s", csv);
	free(csv);
	xb_run_result_clear(&res);
}

/* The larger of host.memory and guest.maxmem carries the refusal. */
Test(run, a_model_too_big_for_the_machine_is_refused_at_its_key)
{
	static const struct {
		const char *guest;
		const char *where; /* LINE:COL: error: KEY */
	} cases[] = {
	    {"guest: {memory: 1GiB}", "2:16: error: host.memory"},
	    {"guest: {memory: 1GiB, maxmem: 15TiB}",
	     "3:31: error: guest.maxmem"},
	};
	char *dir = g_dir_make_tmp("xb-run-XXXXXX", NULL);
	char *path = g_build_filename(dir, "big.yaml", NULL);
	double have = (double)sysconf(_SC_PHYS_PAGES) *
		      (double)sysconf(_SC_PAGESIZE) / (1 << 30);

	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *text = g_strdup_printf("name: big\n"
					     "host: {memory: 15TiB}\n"
					     "%s\n"
					     "duration: 1s\n",
					     cases[i].guest);
		GError *err = NULL;
		struct xb_scenario *sc;
		struct xb_run_options opt = {0};
		struct xb_run_result res;
		double need;
		char *want;

		cr_assert(g_file_set_contents(path, text, -1, NULL));
		sc = xb_scenario_load(path, &err);
		cr_assert_not_null(sc, "%s", err ? err->message : "");
		need = (double)xb_scenario_metadata_bytes(sc) / (1 << 30);
		if (need <= have * 0.9)
			cr_skip_test(
			    "this machine's %.1f GiB hold the %.1f GiB "
			    "of metadata of a 15 TiB host",
			    have, need);
		cr_assert_not(xb_run(sc, &opt, &res, &err));
		want = g_strdup_printf("%s:%s: the model needs %.1f GiB of "
				       "metadata; this machine has %.1f GiB",
				       path, cases[i].where, need, have);
		cr_assert_str_eq(err->message, want);
		xb_run_result_clear(&res);
		g_error_free(err);
		g_free(want);
		xb_scenario_free(sc);
		g_free(text);
	}
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

/* The check levels change how often every structure is checked whole,
 * never what the run does: full checks at every sample and at the end,
 * end only at the end, sampled in between (every N-th sample, N from
 * xb_scenario_check_every()); the digest is the same for all three, and
 * only a level other than full is named in the report. */
Test(run, check_levels_change_the_checks_not_the_run)
{
	struct xb_scenario *sc = load_roomy();
	GError *err = NULL;
	struct xb_run_result res[3];
	const enum xb_check_level levels[3] = {XB_CHECK_FULL, XB_CHECK_SAMPLED,
					       XB_CHECK_END};

	for (unsigned i = 0; i < 3; i++) {
		struct xb_run_options opt = {.check = levels[i]};

		cr_assert(xb_run(sc, &opt, &res[i], &err), "%s",
			  err ? err->message : "");
		cr_assert_eq(res[i].violations, 0);
	}
	uint64_t samples = sc->duration / sc->sample + 1;
	uint64_t n = xb_scenario_check_every(sc);

	cr_assert_eq(res[0].checks, samples + 1);
	cr_assert_eq(res[2].checks, 1);
	cr_assert_gt(n, 1, "a 4 GiB guest on a roomy host: not every sample");
	cr_assert_eq(res[1].checks, (samples + n - 1) / n + 1);
	cr_assert_str_eq(res[0].digest, res[1].digest);
	cr_assert_str_eq(res[0].digest, res[2].digest);
	char *json[3];

	for (unsigned i = 0; i < 3; i++) {
		size_t len = 0;
		FILE *f = open_memstream(&json[i], &len);

		xb_report_write_json(&res[i], f);
		fclose(f);
	}
	cr_assert_null(strstr(json[0], "\"level\""));
	cr_assert(strstr(json[1], "\"level\": \"sampled\""));
	cr_assert(strstr(json[2], "\"level\": \"end\""));
	for (unsigned i = 0; i < 3; i++) {
		free(json[i]);
		xb_run_result_clear(&res[i]);
	}
	xb_scenario_free(sc);
}
