/*
 * `xballoon bench --emit slurm|parallel OUT` (tools/bench_emit.c): one
 * task per (scenario, policy, chunk of seeds) with absolute paths; the
 * tasks, run as a scheduler would, merge into the local sweep's results
 * byte for byte (without wall times); bad input leaves nothing behind.
 * tests/cluster/run.sh runs the same jobs under real Slurm and GNU
 * parallel.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "support/testutil.h"

static char *tmp;

static void setup(void)
{
	char *made = g_dir_make_tmp("xb-emit-XXXXXX", NULL);

	cr_assert_not_null(made);
	/* Resolved, as the job's absolute paths are. */
	tmp = realpath(made, NULL);
	g_free(made);
}

static void teardown(void)
{
	xbt_rm_tree(tmp);
	free(tmp);
}

TestSuite(emit, .init = setup, .fini = teardown);

/* The scenarios: two small ones, by absolute path (each in a buffer of
 * its own: the order an initializer calls them in is not defined). */
static const char *tiny(void)
{
	static char path[4096];

	return g_strlcpy(path, xbt_source_path("tests/tools/bench-tiny.yaml"),
			 sizeof(path)),
	       path;
}

static const char *roomy(void)
{
	static char path[4096];

	return g_strlcpy(
		   path,
		   xbt_source_path("tests/scenario/shrink-grow-roomy.yaml"),
		   sizeof(path)),
	       path;
}

static char **lines_of(const char *dir, const char *name)
{
	char *text = xbt_slurp(dir, name);
	char **lines;

	cr_assert(g_str_has_suffix(text, "\n"), "%s: no final newline", name);
	text[strlen(text) - 1] = '\0';
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	return lines;
}

static bool executable(const char *dir, const char *name)
{
	char *path = g_build_filename(dir, name, NULL);
	struct stat st;
	bool x = stat(path, &st) == 0 && (st.st_mode & 0111) == 0111;

	g_free(path);
	return x;
}

Test(emit, slurm_array_has_one_task_per_scenario_policy_and_chunk)
{
	char *real_tiny = realpath(tiny(), NULL);
	char *real_roomy = realpath(roomy(), NULL);
	const char *args[] = {
	    "bench",	      "--emit",	  "slurm", "job",     "--policies",
	    "huge-first,vmw", "--seeds",  "5",	   "--chunk", "2",
	    real_tiny,	      real_roomy, NULL};
	char *out, *job = g_build_filename(tmp, "job", NULL);

	/* 2 scenarios x 2 policies x 3 chunks (seeds 0-1, 2-3, 4). */
	cr_assert_eq(xbt_xballoon(tmp, args, &out, NULL), 0);
	char *want = g_strdup_printf(
	    "%s: 12 tasks (scenarios x policies x chunks of seeds = 2 x 2 x 3; "
	    "seeds a task: at most 2)\nrun:  sbatch %s/job.sbatch\nthen: "
	    "%s/merge.sh\n",
	    job, job, job);

	cr_assert_str_eq(out, want);
	g_free(want);

	char *sbatch = xbt_slurp(job, "job.sbatch");

	cr_assert(g_str_has_prefix(sbatch, "#!/bin/bash\n"));
	cr_assert(strstr(sbatch, "\n#SBATCH --array=0-11\n"), "%s", sbatch);
	cr_assert(strstr(sbatch, "\n#SBATCH --cpus-per-task=1\n"), "%s",
		  sbatch);
	g_free(sbatch);

	char **lines = lines_of(job, "jobs.txt");
	char *first = g_strdup_printf(
	    "%s bench --policies huge-first --seeds 2 --seed-offset 0 --jobs 1 "
	    "--out %s/parts/task-0 %s",
	    XB_BINARY, job, real_tiny);
	char *last = g_strdup_printf(
	    "%s bench --policies vmw --seeds 1 --seed-offset 4 --jobs 1 "
	    "--out %s/parts/task-11 %s",
	    XB_BINARY, job, real_roomy);

	cr_assert_eq(g_strv_length(lines), 12);
	cr_assert_str_eq(lines[0], first);
	cr_assert_str_eq(lines[11], last);
	cr_assert(
	    strstr(lines[5], " --policies vmw --seeds 1 --seed-offset 4 "),
	    "%s", lines[5]);
	g_strfreev(lines);
	g_free(first);
	g_free(last);

	char *merge = xbt_slurp(job, "merge.sh");

	cr_assert(strstr(merge, "\nruns=20\n"), "%s", merge);
	cr_assert(strstr(merge, " bench --merge --policies huge-first,vmw "),
		  "%s", merge);
	g_free(merge);
	cr_assert(executable(job, "job.sbatch"));
	cr_assert(executable(job, "merge.sh"));
	cr_assert_not(executable(job, "jobs.txt"));
	g_free(out);
	g_free(job);
	free(real_tiny);
	free(real_roomy);
}

/* Run one line of jobs.txt as GNU parallel or the Slurm script does: with
 * a shell. Returns its exit status. */
static int shell(const char *line, char **err)
{
	const char *argv[] = {"/bin/sh", "-c", line, NULL};
	GError *error = NULL;
	char *out = NULL;
	int status = 0;

	cr_assert(g_spawn_sync(tmp, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL,
			       NULL, &out, err, &status, &error),
		  "%s", error ? error->message : "?");
	g_free(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(emit, parallel_tasks_merge_into_the_local_sweep_to_the_byte)
{
	const char *emit[] = {"bench",	    "--emit",	 "parallel", "job",
			      "--seeds",    "3",	 "--chunk",  "2",
			      "--policies", "vmw,linux", roomy(),    tiny(),
			      NULL};
	const char *local[] = {"bench",	    "--seeds",	 "3",	  "--policies",
			       "vmw,linux", "--no-wall", "--out", "local",
			       tiny(),	    roomy(),	 NULL};
	char *job = g_build_filename(tmp, "job", NULL);
	char *local_dir = g_build_filename(tmp, "local", NULL);
	char *merge_sh = g_build_filename(job, "merge.sh", NULL);
	char *merge_cmd = g_strdup_printf("%s --no-wall", merge_sh);
	char *err = NULL;

	cr_assert_eq(xbt_xballoon(tmp, emit, NULL, NULL), 0);
	cr_assert(executable(job, "run-parallel.sh"));
	char *runner = xbt_slurp(job, "run-parallel.sh");

	cr_assert(strstr(runner, "\nparallel --halt soon,fail=1 "), "%s",
		  runner);
	g_free(runner);
	/* Nothing to merge yet: merge.sh says how much is missing. */
	cr_assert_eq(shell(merge_sh, &err), 1);
	cr_assert(strstr(err, "merge.sh: 0 of 12 runs are in "), "%s", err);
	g_free(err);

	/* 2 scenarios x 2 policies x 2 chunks; run from elsewhere (/). */
	char **lines = lines_of(job, "jobs.txt");

	cr_assert_eq(g_strv_length(lines), 8);
	for (char **l = lines; *l; l++) {
		char *cd = g_strdup_printf("cd / && %s", *l);

		cr_assert_eq(shell(cd, NULL), 0, "%s", *l);
		g_free(cd);
	}
	g_strfreev(lines);
	cr_assert_eq(shell(merge_cmd, NULL), 0);
	cr_assert_eq(xbt_xballoon(tmp, local, NULL, NULL), 0);

	char *csv = xbt_slurp(job, "results.csv");
	char *md = xbt_slurp(job, "results.md");
	char *csv_local = xbt_slurp(local_dir, "results.csv");
	char *md_local = xbt_slurp(local_dir, "results.md");
	char **rows = g_strsplit(csv, "\n", -1);

	/* Header, 2 scenarios x 2 policies x 3 seeds, final newline. */
	cr_assert_eq(g_strv_length(rows), 14);
	cr_assert(g_str_has_prefix(rows[1], "bench-tiny,vmw,3,"), "%s",
		  rows[1]);
	cr_assert(g_str_has_prefix(rows[12], "shrink-grow-roomy,linux,3,"),
		  "%s", rows[12]);
	g_strfreev(rows);
	cr_assert_str_eq(csv, csv_local);
	cr_assert_str_eq(md, md_local);
	g_free(csv), g_free(md), g_free(csv_local), g_free(md_local);
	g_free(merge_cmd), g_free(merge_sh), g_free(local_dir), g_free(job);
}

/* Names in tmp, sorted, joined by spaces. */
static char *listing(void)
{
	GDir *d = g_dir_open(tmp, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *n;

	while ((n = g_dir_read_name(d)))
		g_ptr_array_add(names, g_strdup(n));
	g_dir_close(d);
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	g_ptr_array_add(names, NULL);
	char *s = g_strjoinv(" ", (char **)names->pdata);

	g_ptr_array_free(names, TRUE);
	return s;
}

static void refused(const char *const *args, const char *message)
{
	char *err = NULL;

	cr_assert_eq(xbt_xballoon(tmp, args, NULL, &err), 2, "%s", err);
	const char *nl = strchr(err, '\n');

	cr_assert(strstr(err, message) && nl && !nl[1],
		  "want one line with '%s', got: %s", message, err);
	g_free(err);
}

Test(emit, bad_input_is_one_error_and_leaves_nothing)
{
	char *full = g_build_filename(tmp, "full", NULL);
	char *file = g_build_filename(full, "keep", NULL);
	const char *kind[] = {"bench", "--emit", "pbs", "job", tiny(), NULL};
	const char *no_dir[] = {"bench", "--emit", "slurm", "--seeds",
				"3",	 tiny(),   NULL};
	const char *missing[] = {"bench", "--emit",	  "slurm",
				 "job",	  "nowhere.yaml", NULL};
	const char *not_empty[] = {"bench", "--emit", "slurm",
				   "full",  tiny(),   NULL};
	const char *no_parent[] = {"bench",  "--emit", "parallel",
				   "no/job", tiny(),   NULL};
	const char *policy[] = {"bench",      "--emit", "slurm", "job",
				"--policies", "nope",	tiny(),	 NULL};
	const char *with_merge[] = {"bench",   "--emit", "slurm", "job",
				    "--merge", "full",	 NULL};
	const char *with_out[] = {"bench", "--out", "x",    "--emit",
				  "slurm", "job",   tiny(), NULL};
	const char *chunk[] = {"bench", "--chunk", "2", tiny(), NULL};
	const char *offset[] = {"bench",	 "--emit", "slurm", "job",
				"--seed-offset", "2",	   tiny(),  NULL};
	const char *zero[] = {"bench",	 "--emit", "slurm", "job",
			      "--chunk", "0",	   tiny(),  NULL};

	cr_assert_eq(g_mkdir(full, 0755), 0);
	cr_assert(g_file_set_contents(file, "x", -1, NULL));
	refused(kind, "--emit: expected slurm or parallel, got 'pbs'");
	refused(no_dir, "--emit: expected a directory after 'slurm', got "
			"'--seeds'");
	refused(missing, "nowhere.yaml");
	refused(not_empty, "--emit: 'full' exists and is not empty");
	refused(no_parent, "--emit: no: No such file or directory");
	refused(policy, "--policies: unknown policy 'nope'");
	refused(with_merge, "--merge and --emit do not go together");
	refused(with_out, "--emit writes the job into its own OUT: drop --out");
	refused(chunk, "--chunk goes with --emit");
	refused(offset, "--seed-offset goes with a sweep");
	refused(zero, "--chunk: expected an integer in 1..100000, got '0'");
	/* Nothing was written: no job, no temporary directory. */
	char *names = listing();

	cr_assert_str_eq(names, "full");
	g_free(names);
	names = xbt_slurp(full, "keep");
	cr_assert_str_eq(names, "x");
	g_free(names);
	g_free(file);
	g_free(full);
}

/* An empty OUT is taken (a scheduler's working directory may be made
 * first); the rename replaces it. */
Test(emit, an_empty_directory_is_a_free_out)
{
	char *job = g_build_filename(tmp, "job", NULL);
	const char *args[] = {"bench",	 "--emit", "parallel", "job",
			      "--seeds", "2",	   tiny(),     NULL};
	char **lines;

	cr_assert_eq(g_mkdir(job, 0755), 0);
	cr_assert_eq(xbt_xballoon(tmp, args, NULL, NULL), 0);
	/* All five policies, 2 seeds in chunks of 1. */
	lines = lines_of(job, "jobs.txt");
	cr_assert_eq(g_strv_length(lines), 10);
	g_strfreev(lines);
	g_free(job);
}
