/*
 * The bad-input corpus: every tests/bad/NAME.yaml (or missing file,
 * directory, or link to a device) named by a NAME.err makes `xballoon
 * check` print exactly that one line on stderr and exit 2; generated
 * hostile files (a FIFO, huge ones) are refused at once or at the limits.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xballoon/scenario.h"

static const char *source_dir(void)
{
	const char *root = getenv("XB_SOURCE_DIR");

	return root ? root : XB_SOURCE_DIR;
}

/* Run `xballoon CMD ARGS...` with the cwd at the source tree; returns
 * the exit status, -1 if it did not exit normally. */
static int run_cmd(const char *cmd, const char *const *args, char **out,
		   char **err)
{
	GPtrArray *argv = g_ptr_array_new();
	GError *error = NULL;
	int status = 0;
	bool ok;

	g_ptr_array_add(argv, (char *)XB_BINARY);
	g_ptr_array_add(argv, (char *)cmd);
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	ok = g_spawn_sync(source_dir(), (char **)argv->pdata, NULL,
			  G_SPAWN_DEFAULT, NULL, NULL, out, err, &status,
			  &error);
	g_ptr_array_free(argv, TRUE);
	cr_assert(ok, "cannot run %s: %s", XB_BINARY,
		  error ? error->message : "?");
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int run_check(const char *const *args, char **out, char **err)
{
	return run_cmd("check", args, out, err);
}

static int run_one(const char *path, char **out, char **err)
{
	const char *args[] = {path, NULL};

	return run_check(args, out, err);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(bad_inputs, every_corpus_file_gives_its_one_error_and_exit_2)
{
	char *dir = g_build_filename(source_dir(), "tests", "bad", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *ent;
	unsigned failures = 0;

	cr_assert(d, "cannot list %s", dir);
	while ((ent = g_dir_read_name(d)))
		if (g_str_has_suffix(ent, ".err"))
			g_ptr_array_add(names, g_strndup(ent, strlen(ent) - 4));
	g_dir_close(d);
	g_ptr_array_sort(names, compare_names);
	cr_assert_geq(names->len, 40, "only %u bad inputs", names->len);

	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		char *errfile = g_strdup_printf("%s/%s.err", dir, name);
		char *yaml = g_strdup_printf("tests/bad/%s.yaml", name);
		char *expected = NULL, *out = NULL, *err = NULL;
		int rc;

		cr_assert(g_file_get_contents(errfile, &expected, NULL, NULL),
			  "cannot read %s", errfile);
		rc = run_one(yaml, &out, &err);
		if (rc != 2 || strcmp(out, "") || strcmp(err, expected)) {
			failures++;
			cr_log_error("%s: exit %d, stdout '%s'\n  stderr   %s"
				     "  expected %s",
				     yaml, rc, out, err, expected);
		}
		g_free(out);
		g_free(err);
		g_free(expected);
		g_free(yaml);
		g_free(errfile);
	}
	cr_assert_eq(failures, 0, "%u of %u bad inputs misreported", failures,
		     names->len);
	g_ptr_array_free(names, TRUE);
	g_free(dir);
}

/* A FIFO with no writer would block an open() for ever: check, run and
 * replay refuse it at once (the corpus has a directory and a device). */
Test(bad_inputs, a_fifo_is_refused_at_once, .timeout = 20)
{
	static const char *const cmds[] = {"check", "run", "replay"};
	char *dir = g_dir_make_tmp("xb-bad-XXXXXX", NULL);
	char *fifo = g_build_filename(dir, "fifo.yaml", NULL);
	char *expected = g_strdup_printf("%s:1:1: error: is a FIFO, not a "
					 "regular file\n",
					 fifo);
	const char *args[] = {fifo, NULL};

	cr_assert_eq(mkfifo(fifo, 0600), 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(cmds); i++) {
		char *out = NULL, *err = NULL;
		gint64 t0 = g_get_monotonic_time();
		int rc = run_cmd(cmds[i], args, &out, &err);
		double s = (double)(g_get_monotonic_time() - t0) / 1e6;

		cr_expect_eq(rc, 2, "%s: exit %d", cmds[i], rc);
		cr_expect_str_empty(out, "%s", cmds[i]);
		cr_expect_str_eq(err, expected, "%s", cmds[i]);
		cr_expect_lt(s, 1.0, "%s took %.2f s", cmds[i], s);
		g_free(out);
		g_free(err);
	}
	g_unlink(fifo);
	g_rmdir(dir);
	g_free(expected);
	g_free(fifo);
	g_free(dir);
}

/* Header of the generated files: 5 lines. */
static const char header[] = "name: generated\n"
			     "host: {memory: 16GiB}\n"
			     "guest: {memory: 4GiB}\n"
			     "duration: 10s\n"
			     "timeline:\n";

static char *tmp_file(char **dir)
{
	*dir = g_dir_make_tmp("xb-bad-XXXXXX", NULL);
	cr_assert(*dir);
	return g_build_filename(*dir, "gen.yaml", NULL);
}

static void remove_tmp(char *path, char *dir)
{
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

static void expect_one_error(const char *path, const char *expected)
{
	char *out = NULL, *err = NULL;
	int rc = run_one(path, &out, &err);

	cr_expect_eq(rc, 2);
	cr_expect_str_empty(out);
	cr_expect_str_eq(err, expected);
	g_free(out);
	g_free(err);
}

Test(bad_inputs, a_million_events_stop_at_the_sequence_limit)
{
	char *dir, *path = tmp_file(&dir), *expected;
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(header, f);
	for (int i = 0; i < 1000000; i++)
		fputs("  - {at: 1s, target: 1GiB}\n", f);
	cr_assert_eq(fclose(f), 0);
	/* Item k (0-based) is on line 6 + k; its mapping starts at column 5;
	 * item 16384 is the first one refused. */
	expected = g_strdup_printf("%s:%u:5: error: more than %u entries in "
				   "one sequence\n",
				   path, 6 + XB_SCENARIO_MAX_ITEMS,
				   XB_SCENARIO_MAX_ITEMS);
	expect_one_error(path, expected);
	g_free(expected);
	remove_tmp(path, dir);
}

Test(bad_inputs, a_wide_mapping_stops_at_the_mapping_limit)
{
	char *dir, *path = tmp_file(&dir), *expected;
	FILE *f = fopen(path, "w");

	cr_assert(f);
	for (int i = 0; i < 20000; i++)
		fprintf(f, "k%d: 1\n", i);
	cr_assert_eq(fclose(f), 0);
	expected = g_strdup_printf("%s:%u:1: error: more than %u entries in "
				   "one mapping\n",
				   path, XB_SCENARIO_MAX_ITEMS + 1,
				   XB_SCENARIO_MAX_ITEMS);
	expect_one_error(path, expected);
	g_free(expected);
	remove_tmp(path, dir);
}

Test(bad_inputs, too_many_nodes_stop_at_the_node_limit)
{
	char *dir, *path = tmp_file(&dir), *expected;
	const unsigned per_line = 10000, lines = 120;
	/* Nodes: the root mapping, then per line a key, a sequence and
	 * per_line scalars. Find the line and column of node MAX + 1. */
	uint64_t over = XB_SCENARIO_MAX_NODES + 1ull - 1; /* after the root */
	uint64_t line = over / (per_line + 2), rest = over % (per_line + 2);
	FILE *f = fopen(path, "w");

	cr_assert(f);
	for (unsigned i = 0; i < lines; i++) {
		fprintf(f, "a%03u: [0", i);
		for (unsigned j = 1; j < per_line; j++)
			fputs(",0", f);
		fputs("]\n", f);
	}
	cr_assert_eq(fclose(f), 0);
	/* rest == 0 would be the previous line's last scalar; with these
	 * sizes the refused node is a scalar inside line `line` (0-based):
	 * rest 1 is its key, 2 its sequence, 3.. its scalars at columns
	 * 8, 10, 12, ... ("a000: [" is 7 wide) */
	cr_assert_geq(rest, 3);
	expected = g_strdup_printf("%s:%llu:%llu: error: more than %u YAML "
				   "nodes in one file\n",
				   path, (unsigned long long)line + 1,
				   (unsigned long long)(8 + 2 * (rest - 3)),
				   XB_SCENARIO_MAX_NODES);
	expect_one_error(path, expected);
	g_free(expected);
	remove_tmp(path, dir);
}

Test(check, good_file_prints_ok_on_stdout_only)
{
	const char *args[] = {"tests/scenario/good/contract-example.yaml",
			      NULL};
	char *out = NULL, *err = NULL;

	cr_assert_eq(run_check(args, &out, &err), 0);
	cr_expect(g_str_has_prefix(
	    out,
	    "tests/scenario/good/contract-example.yaml: ok\n  work: about "));
	cr_expect_str_empty(err);
	g_free(out);
	g_free(err);
}

Test(check, mixed_files_report_each_and_exit_2)
{
	const char *args[] = {"tests/bad/empty.yaml",
			      "tests/scenario/good/contract-example.yaml",
			      "tests/bad/missing.yaml", NULL};
	char *out = NULL, *err = NULL;

	cr_assert_eq(run_check(args, &out, &err), 2);
	cr_expect(g_str_has_prefix(
	    out,
	    "tests/scenario/good/contract-example.yaml: ok\n  work: about "));
	cr_expect_str_eq(err, "tests/bad/empty.yaml:1:1: error: empty file: a "
			      "scenario needs at least name, host and guest\n"
			      "tests/bad/missing.yaml:1:1: error: cannot open: "
			      "No such file or directory\n");
	g_free(out);
	g_free(err);
}

Test(check, no_file_is_a_usage_error)
{
	const char *args[] = {NULL};
	char *out = NULL, *err = NULL;

	cr_assert_eq(run_check(args, &out, &err), 2);
	cr_expect_str_empty(out);
	cr_expect_str_eq(
	    err, "xballoon: error: usage: xballoon check SCENARIO...\n");
	g_free(out);
	g_free(err);
}

/* A file that check accepts but that asks for more work than a run takes
 * without --allow-long: check says so under its "ok", and run refuses it
 * at the key behind most of the work, with exit 2, running nothing. */
static void run_refuses_long(const char *path, const char *expected)
{
	const char *args[] = {path, NULL};
	char *out = NULL, *err = NULL;

	cr_assert_eq(run_check(args, &out, &err), 0);
	cr_expect(strstr(out, "(over the limit: run needs --allow-long)"), "%s",
		  out);
	g_free(out);
	g_free(err);
	cr_assert_eq(run_cmd("run", args, &out, &err), 2);
	cr_expect_str_empty(out);
	cr_expect_str_eq(err, expected);
	g_free(out);
	g_free(err);
}

Test(long_runs, sample_every_1ms_for_10000s_is_refused_at_sample)
{
	run_refuses_long(
	    "tests/scenario/long/sample-1ms-for-10000s.yaml",
	    "tests/scenario/long/sample-1ms-for-10000s.yaml:3:9: error: this "
	    "file asks for about 65551 CPU seconds of work, mostly from its "
	    "sample, more than the 1800 s a run takes without --allow-long "
	    "(13107201310720 frames checked, 25600000 pages churned, 10100002 "
	    "events)\n");
}

Test(long_runs, a_neighbour_churning_1gib_every_1ms_is_refused_at_its_period)
{
	run_refuses_long(
	    "tests/scenario/long/churn-1gib-every-1ms.yaml",
	    "tests/scenario/long/churn-1gib-every-1ms.yaml:9:22: error: this "
	    "file asks for about 52429807 CPU seconds of work, mostly from its "
	    "churn.every, more than the 1800 s a run takes without "
	    "--allow-long (1312030720 frames checked, 262144000000000 pages "
	    "churned, 1000001002 events)\n");
}

/* With --allow-long the same file runs; SIGINT then ends it between two
 * events with the report of what was run, marked partial, and the
 * signal's exit status. */
Test(long_runs, sigint_writes_a_partial_report, .timeout = 60)
{
	char *dir = g_dir_make_tmp("xb-partial-XXXXXX", NULL);
	char *out_dir = g_build_filename(dir, "out", NULL);
	const char *argv[] = {XB_BINARY,
			      "run",
			      "tests/scenario/long/sample-1ms-for-10000s.yaml",
			      "--allow-long",
			      "--out",
			      out_dir,
			      "--json",
			      NULL};
	GError *error = NULL;
	GPid pid;
	int out_fd, status;
	GString *out = g_string_new(NULL);
	char buf[4096];
	ssize_t n;

	cr_assert(g_spawn_async_with_pipes(
		      source_dir(), (char **)argv, NULL,
		      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDERR_TO_DEV_NULL,
		      NULL, NULL, &pid, NULL, &out_fd, NULL, &error),
		  "%s", error ? error->message : "?");
	g_usleep(1500 * 1000);
	kill(pid, SIGINT);
	while ((n = read(out_fd, buf, sizeof(buf))) > 0)
		g_string_append_len(out, buf, n);
	close(out_fd);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGINT,
		  "status %#x", status);
	cr_expect(strstr(out->str, "\"partial\": true,"), "%s", out->str);
	char *report = g_build_filename(out_dir, "report.json", NULL);
	char *text = NULL;

	cr_assert(g_file_get_contents(report, &text, NULL, NULL));
	cr_expect(strstr(text, "\"partial\": true,"));
	/* Less than the 10000 s asked for was simulated. */
	const char *t = strstr(text, "\"sim_time_s\": ");

	cr_assert_not_null(t);
	cr_expect_lt(g_ascii_strtod(t + strlen("\"sim_time_s\": "), NULL),
		     10000.0);
	g_free(text);
	g_free(report);
	g_string_free(out, TRUE);
	g_spawn_close_pid(pid);
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
	g_free(out_dir);
	g_free(dir);
}
