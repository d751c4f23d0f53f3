/*
 * `xballoon bench`: replay scenarios under several policies and seeds in
 * worker processes, read every run's report.json back and print one table
 * per scenario (mean ± 95 % CI); `--merge` builds the same tables from
 * report.json files written elsewhere (docs/bench.md).
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/cmd.h"
#include "xballoon/policy.h"
#include "xballoon/run.h"
#include "xballoon/sweep.h"

#define BENCH_USAGE                                                            \
	"xballoon bench [--policies P,Q] [--seeds N] [--jobs N] [--out DIR] "  \
	"[--allow-long] SCENARIO...\n       xballoon bench --merge "           \
	"[--policies P,Q] [--out DIR] DIR..."

/* One replay: run i of (scenario, policy) uses seed = scenario seed + i. */
struct job {
	const struct xb_scenario *sc;
	const char *policy;
	uint64_t seed;
	char *dir; /* WORK/<scenario>/<policy>/seed-<seed> */
};

struct bench {
	char **policies; /* NULL: all registered (direct sweep)     */
	uint64_t seeds, jobs;
	const char *out;
	bool merge;
	bool allow_long; /* --allow-long                            */
	GPtrArray *args; /* scenarios, or directories with --merge  */
};

/* The child: replay one job into its directory. Exit 0, or 1 with the
 * error on stderr. Never returns. */
static void __attribute__((noreturn)) run_child(const struct job *j)
{
	/* Sweeps check at the sampled level (docs/simulation.md). */
	struct xb_run_options opt = {.policy = j->policy,
				     .seed_set = true,
				     .seed = j->seed,
				     .check = XB_CHECK_SAMPLED};
	struct xb_run_result res;
	GError *err = NULL;
	int status = 0;

	if (!xb_run(j->sc, &opt, &res, &err) ||
	    !xb_report_write_dir(&res, j->dir, &err)) {
		fprintf(stderr,
			"xballoon: error: %s, policy %s, seed %llu: %s\n",
			j->sc->name, j->policy, (unsigned long long)j->seed,
			err->message);
		g_error_free(err);
		status = 1;
	}
	xb_run_result_clear(&res);
	fflush(stderr);
	/* _exit: the parent's stdio buffers and atexit handlers are not
	 * ours to flush. */
	_exit(status);
}

/* Run @n jobs in at most @max worker processes. Each child writes its own
 * report.json; which finishes first does not matter, the parent reads
 * them back in job order. Returns false if a run failed (no new runs are
 * started after a failure). */
static bool run_jobs(const struct job *jobs, size_t n, uint64_t max)
{
	bool tty = isatty(2), ok = true;
	size_t next = 0, done = 0, live = 0;

	while (done < n && (ok || live)) {
		while (ok && live < max && next < n) {
			fflush(stdout);
			fflush(stderr);
			pid_t pid = fork();

			if (pid < 0) {
				xb_cli_error("fork: %s", g_strerror(errno));
				ok = false;
				break;
			}
			if (pid == 0)
				run_child(&jobs[next]);
			next++;
			live++;
		}
		if (!live)
			break;
		int status;
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			xb_cli_error("waitpid: %s", g_strerror(errno));
			return false;
		}
		live--;
		done++;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (WIFSIGNALED(status))
				xb_cli_error("a run died of signal %d",
					     WTERMSIG(status));
			ok = false;
		}
		if (tty)
			fprintf(stderr, "\rbench: %zu/%zu runs done", done, n);
	}
	if (tty)
		fputc('\n', stderr);
	return ok && done == n;
}

static void rm_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *ent;

	if (d) {
		while ((ent = g_dir_read_name(d))) {
			char *p = g_build_filename(path, ent, NULL);

			rm_tree(p);
			g_free(p);
		}
		g_dir_close(d);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

/* Every report.json below @dir (recursively), in directory order. */
static void find_reports(const char *dir, GPtrArray *found)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *ent;

	if (!d)
		return;
	while ((ent = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, ent, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(p, G_FILE_TEST_IS_SYMLINK)) {
			find_reports(p, found);
			g_free(p);
		} else if (!strcmp(ent, "report.json")) {
			g_ptr_array_add(found, p);
		} else {
			g_free(p);
		}
	}
	g_dir_close(d);
}

static bool write_file(const char *dir, const char *name, GArray *runs,
		       bool csv)
{
	char *path = g_build_filename(dir, name, NULL);
	FILE *f;
	bool ok;

	if (g_mkdir_with_parents(dir, 0755) != 0 || !(f = fopen(path, "w"))) {
		xb_cli_error("%s: %s", path, g_strerror(errno));
		g_free(path);
		return false;
	}
	if (csv)
		xb_sweep_write_csv((struct xb_sweep_run *)runs->data, runs->len,
				   f);
	else
		xb_sweep_write_tables((struct xb_sweep_run *)runs->data,
				      runs->len, true, f);
	ok = !ferror(f);
	ok = (fclose(f) == 0) && ok;
	if (!ok)
		xb_cli_error("%s: write failed", path);
	g_free(path);
	return ok;
}

/* Print the tables and write results.{csv,md}; the one path for a direct
 * sweep and a merge. */
static int report(GArray *runs, const char *out)
{
	const struct xb_sweep_run *r = (struct xb_sweep_run *)runs->data;
	uint64_t violations = 0;

	xb_sweep_write_tables(r, runs->len, false, stdout);
	if (out && (!write_file(out, "results.csv", runs, true) ||
		    !write_file(out, "results.md", runs, false)))
		return XB_EXIT_FAILURE;
	for (guint i = 0; i < runs->len; i++)
		violations += r[i].violations;
	if (violations) {
		xb_cli_error("%llu invariant violations",
			     (unsigned long long)violations);
		return XB_EXIT_FAILURE;
	}
	return XB_EXIT_OK;
}

static void free_runs(GArray *runs)
{
	for (guint i = 0; i < runs->len; i++)
		xb_sweep_run_clear(
		    &g_array_index(runs, struct xb_sweep_run, i));
	g_array_free(runs, TRUE);
}

static bool listed(char **list, const char *name)
{
	for (; list && *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

static int merge(const struct bench *b)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	GArray *runs = g_array_new(FALSE, TRUE, sizeof(struct xb_sweep_run));
	int status = XB_EXIT_OK;

	for (guint i = 0; i < b->args->len; i++) {
		const char *dir = b->args->pdata[i];

		if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
			xb_cli_error("--merge: '%s' is not a directory", dir);
			status = XB_EXIT_USAGE;
			goto out;
		}
		find_reports(dir, paths);
	}
	for (guint i = 0; i < paths->len; i++) {
		struct xb_sweep_run r;
		GError *err = NULL;

		if (!xb_sweep_parse_report(paths->pdata[i], &r, &err)) {
			xb_cli_error("%s", err->message);
			g_error_free(err);
			status = XB_EXIT_USAGE;
			goto out;
		}
		if (b->policies && !listed(b->policies, r.policy))
			xb_sweep_run_clear(&r);
		else
			g_array_append_val(runs, r);
	}
	if (!runs->len) {
		xb_cli_error("--merge: no report.json found");
		status = XB_EXIT_USAGE;
		goto out;
	}
	xb_sweep_sort(runs, b->policies);
	for (guint i = 1; i < runs->len; i++) {
		const struct xb_sweep_run *p =
		    &g_array_index(runs, struct xb_sweep_run, i - 1);
		const struct xb_sweep_run *r =
		    &g_array_index(runs, struct xb_sweep_run, i);

		if (!strcmp(p->scenario, r->scenario) &&
		    !strcmp(p->policy, r->policy) && p->seed == r->seed) {
			xb_cli_error("--merge: two reports of %s, policy %s, "
				     "seed %llu",
				     r->scenario, r->policy,
				     (unsigned long long)r->seed);
			status = XB_EXIT_USAGE;
			goto out;
		}
	}
	status = report(runs, b->out);
out:
	free_runs(runs);
	g_ptr_array_free(paths, TRUE);
	return status;
}

static int sweep(const struct bench *b)
{
	GPtrArray *scs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)xb_scenario_free);
	GArray *jobs = g_array_new(FALSE, TRUE, sizeof(struct job));
	GArray *runs = g_array_new(FALSE, TRUE, sizeof(struct xb_sweep_run));
	char *work = NULL;
	int status = XB_EXIT_OK;

	for (guint i = 0; i < b->args->len; i++) {
		struct xb_scenario *sc =
		    xb_cli_load(b->args->pdata[i], NULL, b->allow_long);

		if (!sc) {
			status = XB_EXIT_USAGE;
			goto out;
		}
		g_ptr_array_add(scs, sc);
		for (guint k = 0; k < i; k++) {
			const struct xb_scenario *o = scs->pdata[k];

			if (!strcmp(o->name, sc->name)) {
				xb_cli_error("two scenarios named '%s'",
					     sc->name);
				status = XB_EXIT_USAGE;
				goto out;
			}
		}
		for (char **p = b->policies; *p; p++) {
			GError *err = NULL;

			if (!xb_scenario_check_policy(
				sc, &xb_scenario_default_policy_check, *p,
				&err)) {
				fprintf(stderr, "%s\n", err->message);
				g_error_free(err);
				status = XB_EXIT_USAGE;
				goto out;
			}
		}
	}
	if (b->out) {
		work = g_strdup(b->out);
	} else {
		GError *err = NULL;

		work = g_dir_make_tmp("xballoon-bench-XXXXXX", &err);
		if (!work) {
			xb_cli_error("%s", err->message);
			g_error_free(err);
			status = XB_EXIT_FAILURE;
			goto out;
		}
	}
	for (guint s = 0; s < scs->len; s++) {
		const struct xb_scenario *sc = scs->pdata[s];

		for (char **p = b->policies; *p; p++) {
			for (uint64_t i = 0; i < b->seeds; i++) {
				struct job j = {sc, *p, sc->seed + i, NULL};
				char *leaf = g_strdup_printf(
				    "seed-%llu", (unsigned long long)j.seed);

				j.dir = g_build_filename(work, sc->name, *p,
							 leaf, NULL);
				g_free(leaf);
				g_array_append_val(jobs, j);
			}
		}
	}
	if (!run_jobs((struct job *)jobs->data, jobs->len, b->jobs)) {
		status = XB_EXIT_FAILURE;
		goto out;
	}
	for (guint i = 0; i < jobs->len; i++) {
		const struct job *j = &g_array_index(jobs, struct job, i);
		char *path = g_build_filename(j->dir, "report.json", NULL);
		struct xb_sweep_run r;
		GError *err = NULL;
		bool ok = xb_sweep_parse_report(path, &r, &err);

		g_free(path);
		if (!ok) {
			xb_cli_error("%s", err->message);
			g_error_free(err);
			status = XB_EXIT_FAILURE;
			goto out;
		}
		g_array_append_val(runs, r);
	}
	status = report(runs, b->out);
out:
	if (work && !b->out)
		rm_tree(work);
	g_free(work);
	for (guint i = 0; i < jobs->len; i++)
		g_free(g_array_index(jobs, struct job, i).dir);
	g_array_free(jobs, TRUE);
	free_runs(runs);
	g_ptr_array_free(scs, TRUE);
	return status;
}

int cmd_bench(int argc, char **argv)
{
	struct bench b = {.seeds = 5, .args = g_ptr_array_new()};
	const char *list = NULL;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int status = XB_EXIT_USAGE;

	b.jobs = cores > 0 ? (uint64_t)cores : 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--merge")) {
			b.merge = true;
		} else if (!strcmp(a, "--allow-long")) {
			b.allow_long = true;
		} else if (a[0] == '-' && a[1] == '-' && i + 1 >= argc) {
			xb_cli_error("option '%s' needs a value", a);
			goto out;
		} else if (!strcmp(a, "--policies")) {
			list = argv[++i];
		} else if (!strcmp(a, "--out")) {
			b.out = argv[++i];
		} else if (!strcmp(a, "--seeds") || !strcmp(a, "--jobs")) {
			uint64_t *v = a[2] == 's' ? &b.seeds : &b.jobs;

			if (xb_cli_parse_u64(a, argv[++i], 1, 100000, v))
				goto out;
		} else if (a[0] == '-') {
			xb_cli_error("unknown option '%s'", a);
			goto out;
		} else {
			g_ptr_array_add(b.args, (char *)a);
		}
	}
	if (!b.args->len) {
		xb_cli_error("usage: %s", BENCH_USAGE);
		goto out;
	}
	if (list) {
		b.policies = g_strsplit(list, ",", -1);
		for (char **n = b.policies; *n; n++) {
			if (xb_cli_check_policy("--policies", *n) < 0)
				goto out;
		}
		if (!*b.policies) {
			xb_cli_error("--policies: empty list");
			goto out;
		}
	}
	if (b.merge) {
		status = merge(&b);
		goto out;
	}
	if (!b.policies) {
		GPtrArray *all = g_ptr_array_new();

		for (const struct xb_policy_ops *const *p = xb_policy_list();
		     *p; p++)
			g_ptr_array_add(all, g_strdup((*p)->name));
		g_ptr_array_add(all, NULL);
		b.policies = (char **)g_ptr_array_free(all, FALSE);
	}
	status = sweep(&b);
out:
	g_strfreev(b.policies);
	g_ptr_array_free(b.args, TRUE);
	return status;
}
