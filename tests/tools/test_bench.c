/*
 * `xballoon bench`: the statistics (scenario/stats.c) and the tables
 * (scenario/sweep.c) against hand-computed values, report.json parsing,
 * and the binary: --jobs 1 and --jobs 2 give the same results, and
 * --merge of a sweep's directory gives the same tables as the sweep.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testutil.h"
#include "xballoon/stats.h"
#include "xballoon/sweep.h"

Test(bench_stats, t_quantiles_match_the_table)
{
	cr_assert_eq(xb_stats_t975(0), 0);
	cr_assert_float_eq(xb_stats_t975(1), 12.706, 1e-9);
	cr_assert_float_eq(xb_stats_t975(2), 4.303, 1e-9);
	cr_assert_float_eq(xb_stats_t975(4), 2.776, 1e-9);
	cr_assert_float_eq(xb_stats_t975(30), 2.042, 1e-9);
	cr_assert_float_eq(xb_stats_t975(40), 2.021, 1e-9);
	cr_assert_float_eq(xb_stats_t975(120), 1.980, 1e-9);
	/* 1000: between 120 and infinity, linear in 1/df:
	 * f = (1/120 - 1/1000) / (1/120) = 0.88, t = 1.980 - 0.88 * 0.020. */
	cr_assert_float_eq(xb_stats_t975(1000), 1.9624, 1e-9);
	/* 48: f = (1/40 - 1/48) / (1/40 - 1/60) = 0.5. */
	cr_assert_float_eq(xb_stats_t975(48), 2.0105, 1e-9);
}

Test(bench_stats, summaries_match_hand_computed_values)
{
	/* mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sd = sqrt(32/7);
	 * half = t(7) * sd / sqrt(8) = 2.365 * 2.138090 / 2.828427. */
	const double a[] = {2, 4, 4, 4, 5, 5, 7, 9};
	const double b[] = {1, 2, 3};
	const double c[] = {42.5};
	struct xb_stats s;

	xb_stats_summarize(a, 8, &s);
	cr_assert_eq(s.n, 8);
	cr_assert_float_eq(s.mean, 5.0, 1e-12);
	cr_assert_float_eq(s.sd, 2.1380899352993952, 1e-12);
	cr_assert_float_eq(s.half, 1.7877719573, 1e-9);
	/* mean 2, sd 1, half = 4.303 / sqrt(3). */
	xb_stats_summarize(b, 3, &s);
	cr_assert_float_eq(s.mean, 2.0, 1e-12);
	cr_assert_float_eq(s.sd, 1.0, 1e-12);
	cr_assert_float_eq(s.half, 2.4843382083, 1e-9);
	xb_stats_summarize(c, 1, &s);
	cr_assert(s.n == 1 && s.mean == 42.5 && s.sd == 0 && s.half == 0);
	xb_stats_summarize(NULL, 0, &s);
	cr_assert(s.n == 0 && s.mean == 0 && s.half == 0);
}

static char *capture_tables(const struct xb_sweep_run *runs, size_t n,
			    bool markdown)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	xb_sweep_write_tables(runs, n, markdown ? XB_SWEEP_MARKDOWN : 0, f);
	fclose(f);
	return buf;
}

Test(bench_tables, cells_are_mean_and_interval_per_policy)
{
	/* Policy p: Fu(9) 1, 2, 3 -> "2.000 ± 2.484"; hypercalls 10, 20, 30
	 * -> mean 20, half 4.303 * 10 / sqrt(3) = 24.843 -> "20.0 ± 24.8".
	 * Policy q: one run -> the bare values. */
	struct xb_sweep_run runs[4] = {0};
	const double fu9[4] = {1, 2, 3, 0.25};

	for (int i = 0; i < 4; i++) {
		runs[i].scenario = (char *)"s";
		runs[i].policy = (char *)(i < 3 ? "p" : "q");
		runs[i].seed = (uint64_t)i + 1;
		runs[i].v[XB_SWEEP_FU9] = fu9[i];
		runs[i].v[XB_SWEEP_HCALLS] = i < 3 ? 10.0 * (i + 1) : 7;
		runs[i].v[XB_SWEEP_TARGET] = 1;
	}
	char *text = capture_tables(runs, 4, false);
	char **lines = g_strsplit(text, "\n", -1);

	cr_assert_str_eq(lines[0], "s");
	cr_assert(g_str_has_prefix(lines[2], "policy  runs"), "%s", lines[2]);
	cr_assert(g_str_has_prefix(lines[3], "p          3"), "%s", lines[3]);
	cr_assert(strstr(lines[3], "  2.000 ± 2.484  "), "%s", lines[3]);
	cr_assert(strstr(lines[3], "  20.0 ± 24.8  "), "%s", lines[3]);
	cr_assert(strstr(lines[3], "  1.00 ± 0.00  "), "%s", lines[3]);
	cr_assert(g_str_has_prefix(lines[4], "q          1"), "%s", lines[4]);
	cr_assert(strstr(lines[4], "  0.250  "), "%s", lines[4]);
	cr_assert(strstr(lines[4], "  7.0  "), "%s", lines[4]);
	cr_assert_null(strstr(lines[4], "±"), "%s", lines[4]);
	g_strfreev(lines);
	free(text);

	char *md = capture_tables(runs, 4, true);

	cr_assert(g_str_has_prefix(md, "## s\n\n| policy | runs | target | "
				       "Fu(9) |"),
		  "%s", md);
	cr_assert(strstr(md, "\n|:---|---:|"), "%s", md);
	cr_assert(strstr(md, "\n| p | 3 | 1.00 ± 0.00 | 2.000 ± 2.484 |"), "%s",
		  md);
	free(md);
}

static const char report_json[] =
    "{\"xballoon\": \"0.1.0\", \"scenario\": \"x\", \"policy\": \"vmw\",\n"
    " \"backend\": \"mock\", \"seed\": 9, \"digest\": \"abc\",\n"
    " \"sim_time_s\": 12.500, \"wall_time_s\": 0.250,\n"
    " \"target_reached\": false, \"target_pages\": 1, \"current_pages\": 2,\n"
    " \"guest\": {\"balloon\": {\"huge\": 1536, \"small\": 400, "
    "\"special\": 112}, \"fu9\": 0.125,\n"
    "   \"regions_2m\": {\"populated\": 9, \"ballooned\": 3, \"mixed\": 4}},\n"
    " \"host\": {\"p2m_superpage_coverage\": 0.75, \"contiguity_2m\": 0.9},\n"
    " \"hypercalls\": {\"populate_physmap\": {\"calls\": 5},\n"
    "   \"decrease_reservation\": {\"calls\": 6}, \"exchange\": "
    "{\"calls\": 7},\n   \"add_to_physmap\": {\"calls\": 9}, "
    "\"relocate\": {\"calls\": 8}},\n"
    " \"compaction\": {\"migrated\": 77},\n"
    " \"invariants\": {\"checks\": 3, \"violations\": 2}}\n";

static char *write_temp(const char *text)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("xb-test-bench-XXXXXX", &err);
	char *path;

	cr_assert(dir, "%s", err ? err->message : "?");
	path = g_build_filename(dir, "report.json", NULL);
	cr_assert(g_file_set_contents(path, text, -1, NULL));
	g_free(dir);
	return path;
}

static void remove_temp(char *path)
{
	char *dir = g_path_get_dirname(path);

	g_unlink(path);
	g_rmdir(dir);
	g_free(dir);
	g_free(path);
}

Test(bench_parse, report_fields_become_metrics)
{
	char *path = write_temp(report_json);
	struct xb_sweep_run r;
	GError *err = NULL;

	cr_assert(xb_sweep_parse_report(path, &r, &err), "%s",
		  err ? err->message : "");
	cr_assert_str_eq(r.scenario, "x");
	cr_assert_str_eq(r.policy, "vmw");
	cr_assert_eq(r.seed, 9);
	cr_assert_str_eq(r.digest, "abc");
	cr_assert_eq(r.violations, 2);
	cr_assert_eq(r.v[XB_SWEEP_TARGET], 0);
	cr_assert_float_eq(r.v[XB_SWEEP_FU9], 0.125, 1e-12);
	cr_assert_eq(r.v[XB_SWEEP_REG_BAL], 3);
	cr_assert_eq(r.v[XB_SWEEP_REG_MIX], 4);
	cr_assert_float_eq(r.v[XB_SWEEP_P2M_SP], 0.75, 1e-12);
	cr_assert_float_eq(r.v[XB_SWEEP_CONTIG], 0.9, 1e-12);
	/* 1536 / (1536 + 400 + 112) = 0.75 */
	cr_assert_float_eq(r.v[XB_SWEEP_HUGE_SHARE], 0.75, 1e-12);
	cr_assert_eq(r.v[XB_SWEEP_HCALLS], 35);
	cr_assert_eq(r.v[XB_SWEEP_MIGRATED], 77);
	cr_assert_eq(r.v[XB_SWEEP_XCHG_MOVE], 24);
	/* No vNUMA: no vnode to be local to. */
	cr_assert_eq(r.v[XB_SWEEP_LOCALITY], -1);
	cr_assert_float_eq(r.v[XB_SWEEP_SIM], 12.5, 1e-12);
	cr_assert_float_eq(r.v[XB_SWEEP_WALL], 0.25, 1e-12);
	xb_sweep_run_clear(&r);
	remove_temp(path);
}

/* Contract v1.0 reports have no add_to_physmap: they still parse. */
Test(bench_parse, a_report_without_add_to_physmap_counts_none)
{
	char *text = g_strdup(report_json);
	char *p = strstr(text, "\"add_to_physmap\"");

	memcpy(p, "\"add_to_physmaq\"", 16);
	char *path = write_temp(text);
	struct xb_sweep_run r;
	GError *err = NULL;

	cr_assert(xb_sweep_parse_report(path, &r, &err), "%s",
		  err ? err->message : "");
	cr_assert_eq(r.v[XB_SWEEP_HCALLS], 26);
	cr_assert_eq(r.v[XB_SWEEP_XCHG_MOVE], 15);
	xb_sweep_run_clear(&r);
	remove_temp(path);
	g_free(text);
}

/* A vNUMA guest's vnodes count together: (300 + 100) / (400 + 400);
 * a vnode whose figures are unknown (-1) makes the metric unknown. */
Test(bench_parse, vnodes_give_the_locality_of_the_guest)
{
	static const char *const vn[] = {
	    "\"vnodes\": [{\"vnode\": 0, \"pnode\": 0, \"pages\": 512, "
	    "\"populated\": 400, \"local\": 300, \"locality\": 0.75}, "
	    "{\"vnode\": 1, \"pnode\": 1, \"pages\": 512, \"populated\": 400, "
	    "\"local\": 100, \"locality\": 0.25}],",
	    "\"vnodes\": [{\"vnode\": 0, \"pnode\": 0, \"pages\": 512, "
	    "\"populated\": -1, \"local\": -1, \"locality\": -1}],"};
	const double want[] = {0.5, -1};

	for (unsigned i = 0; i < 2; i++) {
		char *p = strstr(report_json, "\"fu9\"");
		char *text = g_strdup_printf("%.*s%s%s", (int)(p - report_json),
					     report_json, vn[i], p);
		char *path = write_temp(text);
		struct xb_sweep_run r;
		GError *err = NULL;

		cr_assert(xb_sweep_parse_report(path, &r, &err), "%s",
			  err ? err->message : "");
		cr_assert_float_eq(r.v[XB_SWEEP_LOCALITY], want[i], 1e-12,
				   "case %u", i);
		xb_sweep_run_clear(&r);
		remove_temp(path);
		g_free(text);
	}
}

Test(bench_parse, a_missing_field_is_named)
{
	char *text = g_strdup(report_json);
	char *p = strstr(text, "\"migrated\"");

	memcpy(p, "\"migrate_\"", 10);
	char *path = write_temp(text);
	struct xb_sweep_run r;
	GError *err = NULL;

	cr_assert_not(xb_sweep_parse_report(path, &r, &err));
	cr_assert(strstr(err->message, "field 'compaction.migrated' missing"),
		  "%s", err->message);
	g_error_free(err);
	remove_temp(path);
	g_free(text);
}

/* @text without the last column (wall time) of every CSV line or table
 * row: the one value that differs between identical sweeps. */
static char *strip_wall(const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	GString *s = g_string_new(NULL);

	for (char **l = lines; *l; l++) {
		char *cut = NULL;

		if ((*l)[0] == '|') {
			/* Markdown row: keep up to the last cell's '|' */
			cut = *l + strlen(*l) - 1;
			while (cut > *l && cut[-1] != '|')
				cut--;
		} else if (strchr(*l, ',') && !strchr(*l, ' ')) {
			cut = strrchr(*l, ','); /* CSV */
		} else if (strstr(*l, "  ") && !strchr(*l, ':')) {
			/* text row: drop the last cell, "M ± H" or "M" */
			cut = strrchr(*l, ' ') + 1;
			while (cut > *l && cut[-1] == ' ')
				cut--;
			if (cut - *l >= 2 && !strncmp(cut - 2, "±", 2)) {
				cut -= 2;
				while (cut > *l && cut[-1] == ' ')
					cut--;
				while (cut > *l && cut[-1] != ' ')
					cut--;
				while (cut > *l && cut[-1] == ' ')
					cut--;
			}
		}
		if (cut)
			*cut = '\0';
		g_string_append_printf(s, "%s\n", *l);
	}
	g_strfreev(lines);
	return g_string_free(s, FALSE);
}

/* Run `xballoon bench ARGS...` in the source tree; returns the exit
 * status and the captured stdout. */
static int bench(const char *const *args, char **out)
{
	GPtrArray *argv = g_ptr_array_new();
	int status;

	g_ptr_array_add(argv, (char *)"bench");
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	status =
	    xbt_xballoon(NULL, (const char *const *)argv->pdata, out, NULL);
	g_ptr_array_free(argv, TRUE);
	return status;
}

Test(bench_binary, jobs_do_not_change_results_and_merge_matches)
{
	char *tmp = g_dir_make_tmp("xb-test-bench-XXXXXX", NULL);
	char *a = g_build_filename(tmp, "a", NULL);
	char *b = g_build_filename(tmp, "b", NULL);
	char *c = g_build_filename(tmp, "c", NULL);
	const char *scenario = "tests/tools/bench-tiny.yaml";
	const char *args1[] = {"--seeds", "3", "--policies", "huge-first,vmw",
			       "--jobs",  "1", "--out",	     a,
			       scenario,  NULL};
	const char *args2[] = {"--seeds", "3", "--policies", "huge-first,vmw",
			       "--jobs",  "2", "--out",	     b,
			       scenario,  NULL};
	const char *args3[] = {"--merge", "--out", c, a, NULL};
	char *out1, *out2, *out3;

	cr_assert(tmp);
	cr_assert_eq(bench(args1, &out1), 0, "%s", out1);
	cr_assert_eq(bench(args2, &out2), 0, "%s", out2);
	cr_assert_eq(bench(args3, &out3), 0, "%s", out3);

	/* The layout: one report.json per (policy, seed); seeds 3, 4, 5 are
	 * the scenario's seed 3 plus 0, 1, 2. */
	const char *pols[] = {"huge-first", "vmw"};

	for (int p = 0; p < 2; p++)
		for (int s = 3; s <= 5; s++) {
			char *f = g_strdup_printf("%s/bench-tiny/%s/seed-%d/"
						  "report.json",
						  a, pols[p], s);

			cr_assert(g_file_test(f, G_FILE_TEST_EXISTS), "%s", f);
			g_free(f);
		}
	char *csv1 = xbt_slurp(a, "results.csv"),
	     *csv2 = xbt_slurp(b, "results.csv");
	char *md1 = xbt_slurp(a, "results.md"),
	     *md2 = xbt_slurp(b, "results.md");
	char *csv3 = xbt_slurp(c, "results.csv"),
	     *md3 = xbt_slurp(c, "results.md");

	/* 1 header + 2 policies x 3 seeds, in policy then seed order. */
	char **rows = g_strsplit(csv1, "\n", -1);

	cr_assert_eq(g_strv_length(rows), 8);
	cr_assert(g_str_has_prefix(rows[1], "bench-tiny,huge-first,3,"));
	cr_assert(g_str_has_prefix(rows[3], "bench-tiny,huge-first,5,"));
	cr_assert(g_str_has_prefix(rows[4], "bench-tiny,vmw,3,"));
	cr_assert(g_str_has_suffix(rows[0], ",wall_time_s"));
	g_strfreev(rows);
	cr_assert(strstr(md1, "| huge-first | 3 |"), "%s", md1);
	cr_assert(strstr(out1, "±"));

	/* --jobs 1 vs --jobs 2: identical apart from wall time. */
	char *s1, *s2;

	s1 = strip_wall(csv1), s2 = strip_wall(csv2);
	cr_assert_str_eq(s1, s2);
	cr_assert_neq(strcmp(s1, csv1), 0, "wall time not stripped");
	g_free(s1), g_free(s2);
	s1 = strip_wall(md1), s2 = strip_wall(md2);
	cr_assert_str_eq(s1, s2);
	g_free(s1), g_free(s2);
	s1 = strip_wall(out1), s2 = strip_wall(out2);
	cr_assert_str_eq(s1, s2);
	cr_assert_null(strstr(s1, "wall-s"), "%s", s1);
	g_free(s1), g_free(s2);

	/* --merge of the sweep's directory: the same tables, byte for byte
	 * (the same report.json values, wall time included). */
	cr_assert_str_eq(out3, out1);
	cr_assert_str_eq(md3, md1);
	cr_assert_str_eq(csv3, csv1);

	g_free(csv1), g_free(csv2), g_free(csv3);
	g_free(md1), g_free(md2), g_free(md3);
	g_free(out1), g_free(out2), g_free(out3);
	xbt_rm_tree(tmp);
	g_free(a), g_free(b), g_free(c), g_free(tmp);
}

Test(bench_binary, bad_arguments_exit_2)
{
	char *tmp = g_dir_make_tmp("xb-test-bench-XXXXXX", NULL);
	const char *zero[] = {"--seeds", "0", "tests/tools/bench-tiny.yaml",
			      NULL};
	const char *pol[] = {"--policies", "nope",
			     "tests/tools/bench-tiny.yaml", NULL};
	const char *empty[] = {"--merge", tmp, NULL};
	const char *none[] = {"--jobs", "2", NULL};
	char *out;

	cr_assert_eq(bench(zero, &out), 2);
	g_free(out);
	cr_assert_eq(bench(pol, &out), 2);
	g_free(out);
	cr_assert_eq(bench(empty, &out), 2);
	g_free(out);
	cr_assert_eq(bench(none, &out), 2);
	g_free(out);
	g_rmdir(tmp);
	g_free(tmp);
}

/* bench-tiny under another name, which sorts before it: aaa-tiny. */
static char *write_aaa_tiny(const char *dir)
{
	char *text =
	    xbt_slurp(xbt_source_path("tests/tools"), "bench-tiny.yaml");
	char *path = g_build_filename(dir, "aaa.yaml", NULL);
	char *name = strstr(text, "name: bench-tiny");

	cr_assert(name);
	memcpy(name, "name: aaa--tiny ", 16);
	cr_assert(g_file_set_contents(path, text, -1, NULL));
	g_free(text);
	return path;
}

Test(bench_binary, no_wall_leaves_the_column_out_and_scenarios_sort_by_name)
{
	char *tmp = g_dir_make_tmp("xb-test-bench-XXXXXX", NULL);
	char *a = g_build_filename(tmp, "a", NULL);
	char *m = g_build_filename(tmp, "m", NULL);
	char *aaa = write_aaa_tiny(tmp);
	/* bench-tiny first on the command line: the tables still put
	 * aaa--tiny first, as --merge does. */
	const char *sweep[] = {"--seeds",
			       "2",
			       "--policies",
			       "vmw",
			       "--jobs",
			       "2",
			       "--no-wall",
			       "--out",
			       a,
			       "tests/tools/bench-tiny.yaml",
			       aaa,
			       NULL};
	const char *merge[] = {"--merge", "--no-wall", "--out", m, a, NULL};
	char *out, *out2;

	cr_assert_eq(bench(sweep, &out), 0, "%s", out);
	cr_assert_eq(bench(merge, &out2), 0, "%s", out2);
	char *csv = xbt_slurp(a, "results.csv"),
	     *md = xbt_slurp(a, "results.md");
	char **rows = g_strsplit(csv, "\n", -1);

	/* 1 header + 2 scenarios x 2 seeds, and the trailing newline. */
	cr_assert_eq(g_strv_length(rows), 6);
	cr_assert(g_str_has_suffix(rows[0], ",exchanges_moves,vnode_locality,"
					    "sim_time_s"),
		  "%s", rows[0]);
	cr_assert(g_str_has_prefix(rows[1], "aaa--tiny,vmw,3,"), "%s", rows[1]);
	cr_assert(g_str_has_prefix(rows[4], "bench-tiny,vmw,4,"), "%s",
		  rows[4]);
	/* 5 leading columns + 12 metrics: 16 commas, no wall time. */
	for (int r = 0; r < 5; r++) {
		char **f = g_strsplit(rows[r], ",", -1);

		cr_assert_eq(g_strv_length(f), 17, "%s", rows[r]);
		g_strfreev(f);
	}
	g_strfreev(rows);
	cr_assert_null(strstr(md, "wall"), "%s", md);
	cr_assert_null(strstr(out, "wall-s"), "%s", out);
	cr_assert(strstr(md, "| sim-s |\n"), "%s", md);
	cr_assert_lt(strstr(out, "aaa--tiny\n"), strstr(out, "bench-tiny\n"));
	/* Without wall times a merge is the sweep to the byte. */
	char *csv2 = xbt_slurp(m, "results.csv"),
	     *md2 = xbt_slurp(m, "results.md");

	cr_assert_str_eq(csv2, csv);
	cr_assert_str_eq(md2, md);
	cr_assert_str_eq(out2, out);
	g_free(csv), g_free(md), g_free(csv2), g_free(md2);
	g_free(out), g_free(out2);
	xbt_rm_tree(tmp);
	g_free(a), g_free(m), g_free(aaa), g_free(tmp);
}

Test(bench_binary, merge_refuses_two_reports_of_one_run)
{
	char *tmp = g_dir_make_tmp("xb-test-bench-XXXXXX", NULL);
	char *a = g_build_filename(tmp, "a", NULL);
	char *b = g_build_filename(tmp, "b", NULL);
	const char *sweep[] = {"--seeds",
			       "1",
			       "--policies",
			       "vmw",
			       "--out",
			       a,
			       "tests/tools/bench-tiny.yaml",
			       NULL};
	const char *merge[] = {"bench", "--merge", a, b, NULL};
	char *err;

	cr_assert_eq(bench(sweep, NULL), 0);
	sweep[5] = b;
	cr_assert_eq(bench(sweep, NULL), 0);
	cr_assert_eq(xbt_xballoon(NULL, merge, NULL, &err), 2);
	cr_assert_str_eq(err, "xballoon: error: --merge: two reports of "
			      "bench-tiny, policy vmw, seed 3\n");
	g_free(err);
	xbt_rm_tree(tmp);
	g_free(a), g_free(b), g_free(tmp);
}
