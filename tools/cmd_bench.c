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

#include "tools/bench.h"
#include "tools/cmd.h"
#include "xballoon/file.h"
#include "xballoon/policy.h"
#include "xballoon/run.h"
#include "xballoon/sweep.h"

#define BENCH_USAGE                                                            \
	"xballoon bench [--policies P,Q] [--seeds N] [--seed-offset I] "       \
	"[--jobs N] [--out DIR] [--no-wall] [--allow-long] SCENARIO...\n"      \
	"       xballoon bench --merge [--policies P,Q] [--out DIR] "          \
	"[--no-wall] DIR...\n"                                                 \
	"       xballoon bench --emit slurm|parallel OUT [--policies P,Q] "    \
	"[--seeds N] [--chunk K] [--jobs N] [--allow-long] SCENARIO..."

/* One replay: run i of (scenario, policy) uses seed = scenario seed + i. */
struct job {
	const struct xb_scenario *sc;
	const char *policy;
	uint64_t seed;
	char *dir; /* WORK/<scenario>/<policy>/seed-<seed> */
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

static bool write_file(const char *dir, const char *name, GArray *runs,
		       unsigned format, bool csv)
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
				   format, f);
	else
		xb_sweep_write_tables((struct xb_sweep_run *)runs->data,
				      runs->len, format | XB_SWEEP_MARKDOWN, f);
	ok = !ferror(f);
	ok = (fclose(f) == 0) && ok;
	if (!ok)
		xb_cli_error("%s: write failed", path);
	g_free(path);
	return ok;
}

/* Print the tables and write results.{csv,md}; the one path for a direct
 * sweep and a merge. */
static int report(GArray *runs, const char *out, unsigned format)
{
	const struct xb_sweep_run *r = (struct xb_sweep_run *)runs->data;
	uint64_t violations = 0;

	xb_sweep_write_tables(r, runs->len, format, stdout);
	if (out && (!write_file(out, "results.csv", runs, format, true) ||
		    !write_file(out, "results.md", runs, format, false)))
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

static int merge(const struct bench *b)
{
	GArray *runs = g_array_new(FALSE, TRUE, sizeof(struct xb_sweep_run));
	GError *err = NULL;
	int status;

	if (xb_sweep_load_dirs((char **)b->args->pdata, b->args->len,
			       b->policies, runs, &err)) {
		status = report(runs, b->out, b->format);
	} else {
		xb_cli_error("--merge: %s", err->message);
		g_error_free(err);
		status = XB_EXIT_USAGE;
	}
	xb_sweep_runs_free(runs);
	return status;
}

/* Load the scenarios of @b into @scs and check them against the policies:
 * the part of a sweep that --emit does too. 0, or the exit status after
 * the one error line. */
static int load_scenarios(const struct bench *b, GPtrArray *scs)
{
	for (guint i = 0; i < b->args->len; i++) {
		struct xb_scenario *sc =
		    xb_cli_load(b->args->pdata[i], NULL, b->allow_long);

		if (!sc)
			return XB_EXIT_USAGE;
		g_ptr_array_add(scs, sc);
		for (guint k = 0; k < i; k++) {
			const struct xb_scenario *o = scs->pdata[k];

			if (!strcmp(o->name, sc->name)) {
				xb_cli_error("two scenarios named '%s'",
					     sc->name);
				return XB_EXIT_USAGE;
			}
		}
		for (char **p = b->policies; *p; p++) {
			GError *err = NULL;

			if (!xb_scenario_check_policy(
				sc, &xb_scenario_default_policy_check, *p,
				&err)) {
				fprintf(stderr, "%s\n", err->message);
				g_error_free(err);
				return XB_EXIT_USAGE;
			}
		}
	}
	return XB_EXIT_OK;
}

static int sweep(const struct bench *b)
{
	GPtrArray *scs =
	    g_ptr_array_new_with_free_func((GDestroyNotify)xb_scenario_free);
	GArray *jobs = g_array_new(FALSE, TRUE, sizeof(struct job));
	GArray *runs = g_array_new(FALSE, TRUE, sizeof(struct xb_sweep_run));
	char *work = NULL;
	int status = load_scenarios(b, scs);

	if (status != XB_EXIT_OK)
		goto out;
	if (b->emit != XB_EMIT_NONE) {
		status = xb_bench_emit(b, scs);
		goto out;
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
			for (uint64_t i = b->seed_offset;
			     i < b->seed_offset + b->seeds; i++) {
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
	/* In --merge's order, so that a merge of the runs' directories (or
	 * of a cluster job's parts) prints the same bytes. */
	xb_sweep_sort(runs, b->policies);
	status = report(runs, b->out, b->format);
out:
	if (work && !b->out)
		xb_rm_tree(work);
	g_free(work);
	for (guint i = 0; i < jobs->len; i++)
		g_free(g_array_index(jobs, struct job, i).dir);
	g_array_free(jobs, TRUE);
	xb_sweep_runs_free(runs);
	g_ptr_array_free(scs, TRUE);
	return status;
}

/* The options that do not go together, or only with --emit: one error
 * line and false. */
static bool options_agree(const struct bench *b, bool offset_set,
			  bool chunk_set)
{
	const char *bad = NULL;

	if (b->merge && b->emit != XB_EMIT_NONE)
		bad = "--merge and --emit do not go together";
	else if (b->emit != XB_EMIT_NONE && b->out)
		bad = "--emit writes the job into its own OUT: drop --out";
	else if (b->emit != XB_EMIT_NONE && (b->format & XB_SWEEP_NO_WALL))
		bad = "--no-wall goes with a sweep or --merge (give it to "
		      "the job's merge.sh)";
	else if (b->emit == XB_EMIT_NONE && chunk_set)
		bad = "--chunk goes with --emit";
	else if (b->emit != XB_EMIT_NONE && offset_set)
		bad = "--seed-offset goes with a sweep (the job's tasks set "
		      "their own)";
	else if (b->merge && offset_set)
		bad = "--seed-offset goes with a sweep, not --merge";
	if (bad)
		xb_cli_error("%s", bad);
	return !bad;
}

/* --emit KIND: 0, or -1 after the one error line. */
static int parse_emit(const char *kind, enum xb_bench_emit *emit)
{
	if (!strcmp(kind, "slurm"))
		*emit = XB_EMIT_SLURM;
	else if (!strcmp(kind, "parallel"))
		*emit = XB_EMIT_PARALLEL;
	else {
		xb_cli_error("--emit: expected slurm or parallel, got '%s'",
			     kind);
		return -1;
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench b = {.seeds = 5, .chunk = 1, .args = g_ptr_array_new()};
	const char *list = NULL;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	bool offset_set = false, chunk_set = false, jobs_set = false;
	const char *emit_dir = NULL;
	int status = XB_EXIT_USAGE;

	b.jobs = cores > 0 ? (uint64_t)cores : 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--merge")) {
			b.merge = true;
		} else if (!strcmp(a, "--allow-long")) {
			b.allow_long = true;
		} else if (!strcmp(a, "--no-wall")) {
			b.format |= XB_SWEEP_NO_WALL;
		} else if (!strcmp(a, "--emit")) {
			if (i + 2 >= argc) {
				xb_cli_error("option '--emit' needs a kind "
					     "(slurm or parallel) and a "
					     "directory");
				goto out;
			}
			if (parse_emit(argv[i + 1], &b.emit))
				goto out;
			emit_dir = argv[i + 2];
			if (emit_dir[0] == '-') {
				xb_cli_error("--emit: expected a directory "
					     "after '%s', got '%s'",
					     argv[i + 1], emit_dir);
				goto out;
			}
			i += 2;
		} else if (a[0] == '-' && a[1] == '-' && i + 1 >= argc) {
			xb_cli_error("option '%s' needs a value", a);
			goto out;
		} else if (!strcmp(a, "--policies")) {
			list = argv[++i];
		} else if (!strcmp(a, "--out")) {
			b.out = argv[++i];
		} else if (!strcmp(a, "--seeds") || !strcmp(a, "--jobs") ||
			   !strcmp(a, "--chunk")) {
			uint64_t *v = a[2] == 's'   ? &b.seeds
				      : a[2] == 'j' ? &b.jobs
						    : &b.chunk;

			chunk_set = chunk_set || a[2] == 'c';
			jobs_set = jobs_set || a[2] == 'j';
			if (xb_cli_parse_u64(a, argv[++i], 1, 100000, v))
				goto out;
		} else if (!strcmp(a, "--seed-offset")) {
			offset_set = true;
			if (xb_cli_parse_u64(a, argv[++i], 0, 1000000000,
					     &b.seed_offset))
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
	if (!options_agree(&b, offset_set, chunk_set))
		goto out;
	if (b.emit != XB_EMIT_NONE) {
		b.out = emit_dir;
		/* A task is one scheduler slot: one worker unless told. */
		if (!jobs_set)
			b.jobs = 1;
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
