/*
 * `xballoon bench --emit slurm|parallel OUT`: a sweep written as a job for
 * a cluster scheduler instead of run here. Each task is an `xballoon bench`
 * of one (scenario, policy, chunk of seeds) into OUT/parts/task-N; the
 * job's merge.sh joins the parts with `bench --merge` (docs/bench.md).
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench.h"
#include "tools/cmd.h"
#include "xballoon/file.h"
#include "xballoon/scenario.h"

/* Slurm's default MaxArraySize: array indices 0 ... 1000. */
#define SLURM_DEFAULT_MAX_ARRAY 1001

/* Characters a shell word may hold without quotes. */
#define SHELL_SAFE                                                             \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"       \
	"_-./,:=+@%"

/* @s as one shell word: as it is where that is safe, else quoted. */
static char *shell_word(const char *s)
{
	if (*s && strspn(s, SHELL_SAFE) == strlen(s))
		return g_strdup(s);
	return g_shell_quote(s);
}

/* Append @s to @line as one shell word, after a space unless first. */
static void add_word(GString *line, const char *s)
{
	char *w = shell_word(s);

	if (line->len)
		g_string_append_c(line, ' ');
	g_string_append(line, w);
	g_free(w);
}

/* Everything a job needs to know, with absolute paths, so its scripts run
 * from any directory on any node that sees the same files. */
struct emit {
	const struct bench *b;
	GPtrArray *scenarios; /* struct xb_scenario *, as b->args     */
	char *bin;	      /* this xballoon, absolute              */
	char **paths;	      /* the scenario files, absolute         */
	char *out;	      /* OUT, absolute                        */
	char *policies;	      /* P,Q,... as the tasks and merge get it */
	size_t nr_policies;
	uint64_t runs; /* scenarios x policies x seeds         */
	size_t tasks;  /* scenarios x policies x chunks        */
};

/* jobs.txt: task N on line N + 1 (the Slurm array index is N). */
static char *jobs_text(const struct emit *e)
{
	const struct bench *b = e->b;
	GString *text = g_string_new(NULL);
	size_t task = 0;

	for (guint s = 0; s < e->scenarios->len; s++) {
		for (char **p = b->policies; *p; p++) {
			for (uint64_t i = 0; i < b->seeds; i += b->chunk) {
				uint64_t n = MIN(b->chunk, b->seeds - i);
				GString *line = g_string_new(NULL);
				char *part = g_strdup_printf(
				    "%s/parts/task-%zu", e->out, task++);
				char num[3][24];

				snprintf(num[0], sizeof(num[0]), "%llu",
					 (unsigned long long)n);
				snprintf(num[1], sizeof(num[1]), "%llu",
					 (unsigned long long)i);
				snprintf(num[2], sizeof(num[2]), "%llu",
					 (unsigned long long)b->jobs);
				add_word(line, e->bin);
				add_word(line, "bench");
				add_word(line, "--policies");
				add_word(line, *p);
				add_word(line, "--seeds");
				add_word(line, num[0]);
				add_word(line, "--seed-offset");
				add_word(line, num[1]);
				add_word(line, "--jobs");
				add_word(line, num[2]);
				if (b->allow_long)
					add_word(line, "--allow-long");
				add_word(line, "--out");
				add_word(line, part);
				add_word(line, e->paths[s]);
				g_string_append_printf(text, "%s\n", line->str);
				g_string_free(line, TRUE);
				g_free(part);
			}
		}
	}
	return g_string_free(text, FALSE);
}

/* A bash script of the job: what the sweep is, @preamble (comments and
 * directives, which Slurm reads only before the first command), then
 * strict mode, out=OUT and @commands. Frees both. */
static char *script(const struct emit *e, const char *q_out, char *preamble,
		    char *commands)
{
	const struct bench *b = e->b;
	char *text = g_strdup_printf(
	    "#!/bin/bash\n"
	    "# xballoon bench: scenarios x policies (%s) x seeds = "
	    "%u x %zu x %llu\n# = %llu runs in %zu tasks, runs a task: at "
	    "most %llu.\n"
	    "%sset -euo pipefail\nout=%s\n%s",
	    e->policies, e->scenarios->len, e->nr_policies,
	    (unsigned long long)b->seeds, (unsigned long long)e->runs, e->tasks,
	    (unsigned long long)b->chunk, preamble, q_out, commands);

	g_free(preamble);
	g_free(commands);
	return text;
}

static char *sbatch_text(const struct emit *e, const char *q_out)
{
	return script(
	    e, q_out,
	    g_strdup_printf("# Submit: sbatch %s/job.sbatch\n"
			    "# When every task has finished: %s/merge.sh\n"
			    "#SBATCH --job-name=xballoon-bench\n"
			    "#SBATCH --array=0-%zu\n"
			    "#SBATCH --ntasks=1\n"
			    "#SBATCH --cpus-per-task=%llu\n"
			    "#SBATCH --output=/dev/null\n",
			    q_out, q_out, e->tasks - 1,
			    (unsigned long long)e->b->jobs),
	    /* The log is not a directive: OUT may need quotes. */
	    g_strdup("exec >\"$out/logs/task-$SLURM_ARRAY_TASK_ID.out\" 2>&1\n"
		     "line=$((SLURM_ARRAY_TASK_ID + 1))\n"
		     "task=$(sed -n \"${line}p\" \"$out/jobs.txt\")\n"
		     "if [ -z \"$task\" ]; then\n"
		     "\techo \"no line $line in $out/jobs.txt\" >&2\n"
		     "\texit 1\n"
		     "fi\n"
		     "eval \"$task\"\n"));
}

static char *parallel_text(const struct emit *e, const char *q_out)
{
	return script(
	    e, q_out,
	    g_strdup_printf("# Runs the tasks of jobs.txt with GNU parallel, "
			    "one a job slot; arguments go\n"
			    "# to parallel (-j N slots, -S hosts that share "
			    "this directory). Then: %s/merge.sh\n",
			    q_out),
	    g_strdup("parallel --halt soon,fail=1 --joblog "
		     "\"$out/logs/parallel.joblog\" \"$@\" \\\n"
		     "\t<\"$out/jobs.txt\" >\"$out/logs/parallel.out\"\n"));
}

static char *merge_text(const struct emit *e, const char *q_out)
{
	char *q_bin = shell_word(e->bin);
	char *q_pol = shell_word(e->policies);
	char *text = script(
	    e, q_out,
	    g_strdup("# Joins the tasks' parts into results.csv and results.md "
		     "here and prints the\n"
		     "# tables, once every run is there; arguments go to "
		     "`xballoon bench --merge`\n"
		     "# (--no-wall: without the wall-time column).\n"),
	    g_strdup_printf(
		"runs=%llu\n"
		"found=$(find \"$out/parts\" -name report.json | wc -l)\n"
		"if [ \"$found\" -ne \"$runs\" ]; then\n"
		"\techo \"merge.sh: $found of $runs runs are in $out/parts "
		"(see $out/logs)\" >&2\n"
		"\texit 1\n"
		"fi\n"
		"exec %s bench --merge --policies %s --out \"$out\" \"$@\" "
		"\"$out/parts\"\n",
		(unsigned long long)e->runs, q_bin, q_pol));

	g_free(q_bin);
	g_free(q_pol);
	return text;
}

/* Write @text to @dir/@name (mode 0755 when @script); false after the one
 * error line. */
static bool put(const char *dir, const char *name, char *text, bool script)
{
	char *path = g_build_filename(dir, name, NULL);
	GError *err = NULL;
	bool ok = g_file_set_contents(path, text, -1, &err);

	if (!ok) {
		xb_cli_error("%s", err->message);
		g_error_free(err);
	} else if (script && g_chmod(path, 0755) != 0) {
		xb_cli_error("%s: %s", path, g_strerror(errno));
		ok = false;
	}
	g_free(path);
	g_free(text);
	return ok;
}

static bool write_job(const struct emit *e, const char *dir)
{
	char *q_out = shell_word(e->out);
	char *logs = g_build_filename(dir, "logs", NULL);
	char *parts = g_build_filename(dir, "parts", NULL);
	bool ok = true;

	if (g_mkdir(logs, 0755) != 0 || g_mkdir(parts, 0755) != 0) {
		xb_cli_error("%s: %s", dir, g_strerror(errno));
		ok = false;
	}
	ok = ok && put(dir, "jobs.txt", jobs_text(e), false);
	if (e->b->emit == XB_EMIT_SLURM)
		ok = ok && put(dir, "job.sbatch", sbatch_text(e, q_out), true);
	else
		ok = ok &&
		     put(dir, "run-parallel.sh", parallel_text(e, q_out), true);
	ok = ok && put(dir, "merge.sh", merge_text(e, q_out), true);
	g_free(logs);
	g_free(parts);
	g_free(q_out);
	return ok;
}

/* OUT must be new, or an empty directory (rename() replaces that). */
static bool out_is_free(const char *out)
{
	GDir *d;

	if (!g_file_test(out, G_FILE_TEST_EXISTS) &&
	    !g_file_test(out, G_FILE_TEST_IS_SYMLINK))
		return true;
	if (g_file_test(out, G_FILE_TEST_IS_SYMLINK) ||
	    !g_file_test(out, G_FILE_TEST_IS_DIR)) {
		xb_cli_error("--emit: '%s' exists and is not a directory", out);
		return false;
	}
	d = g_dir_open(out, 0, NULL);
	if (d && !g_dir_read_name(d)) {
		g_dir_close(d);
		return true;
	}
	if (d)
		g_dir_close(d);
	xb_cli_error("--emit: '%s' exists and is not empty", out);
	return false;
}

/* Absolute names for the job: this binary, OUT (its parent must exist)
 * and the scenarios. false after the one error line. */
static bool resolve(struct emit *e)
{
	const struct bench *b = e->b;
	char *parent = g_path_get_dirname(b->out);
	char *base = g_path_get_basename(b->out);
	char *real = realpath(parent, NULL);
	GError *err = NULL;

	e->bin = g_file_read_link("/proc/self/exe", &err);
	if (!e->bin) {
		xb_cli_error("cannot find this program's path: %s",
			     err->message);
		g_error_free(err);
	} else if (!real) {
		xb_cli_error("--emit: %s: %s", parent, g_strerror(errno));
	} else if (!strcmp(base, ".") || !strcmp(base, "..") ||
		   !strcmp(base, "/")) {
		xb_cli_error("--emit: '%s' is not a new directory's name",
			     b->out);
	} else {
		e->out = g_build_filename(real, base, NULL);
	}
	free(real);
	g_free(parent);
	g_free(base);
	if (!e->out)
		return false;
	e->paths = g_new0(char *, b->args->len + 1);
	for (guint i = 0; i < b->args->len; i++) {
		/* Loaded a moment ago: realpath() fails only on a race. */
		real = realpath(b->args->pdata[i], NULL);
		if (!real) {
			xb_cli_error("%s: %s", (char *)b->args->pdata[i],
				     g_strerror(errno));
			return false;
		}
		e->paths[i] = g_strdup(real);
		free(real);
	}
	return true;
}

int xb_bench_emit(const struct bench *b, GPtrArray *scenarios)
{
	struct emit e = {.b = b, .scenarios = scenarios};
	uint64_t chunks = (b->seeds + b->chunk - 1) / b->chunk;
	char *tmp = NULL, *q_out;
	int status = XB_EXIT_USAGE;

	e.nr_policies = g_strv_length(b->policies);
	e.policies = g_strjoinv(",", b->policies);
	e.runs = scenarios->len * e.nr_policies * b->seeds;
	e.tasks = scenarios->len * e.nr_policies * chunks;
	if (!resolve(&e) || !out_is_free(b->out))
		goto out;
	status = XB_EXIT_FAILURE;
	tmp = g_strdup_printf("%s.tmp-XXXXXX", e.out);
	if (!g_mkdtemp_full(tmp, 0755)) {
		xb_cli_error("--emit: %s: %s", e.out, g_strerror(errno));
		g_clear_pointer(&tmp, g_free);
		goto out;
	}
	if (!write_job(&e, tmp))
		goto out;
	if (g_rename(tmp, e.out) != 0) {
		xb_cli_error("--emit: %s: %s", e.out, g_strerror(errno));
		goto out;
	}
	g_clear_pointer(&tmp, g_free);
	status = XB_EXIT_OK;
	q_out = shell_word(e.out);
	printf("%s: %zu tasks (scenarios x policies x chunks of seeds = %u x "
	       "%zu x %llu; seeds a task: at most %llu)\n",
	       q_out, e.tasks, scenarios->len, e.nr_policies,
	       (unsigned long long)chunks, (unsigned long long)b->chunk);
	if (b->emit == XB_EMIT_SLURM)
		printf("run:  sbatch %s/job.sbatch\n", q_out);
	else
		printf("run:  %s/run-parallel.sh [-j N]\n", q_out);
	printf("then: %s/merge.sh\n", q_out);
	g_free(q_out);
	if (b->emit == XB_EMIT_SLURM && e.tasks > SLURM_DEFAULT_MAX_ARRAY)
		fprintf(stderr,
			"xballoon: note: %zu array tasks; Slurm's default "
			"MaxArraySize allows %d (raise --chunk)\n",
			e.tasks, SLURM_DEFAULT_MAX_ARRAY);
out:
	if (tmp)
		xb_rm_tree(tmp);
	g_free(tmp);
	g_free(e.bin);
	g_strfreev(e.paths);
	g_free(e.out);
	g_free(e.policies);
	return status;
}
