/*
 * `xballoon bench` results: parse report.json (json-glib) into one record
 * per run, gather them from directories, and print the per-scenario tables
 * and results.csv. The direct sweep, --merge and the sweep pictures all go
 * through here, so they read the same values.
 */
#include <json-glib/json-glib.h>
#include <string.h>

#include "xballoon/backend.h"
#include "xballoon/file.h"
#include "xballoon/policy.h"
#include "xballoon/stats.h"
#include "xballoon/sweep.h"

static const struct {
	const char *csv, *head, *fmt;
} metrics[XB_SWEEP_NR_METRICS] = {
#define XB_SWEEP_DESC(id, c, h, f) [XB_SWEEP_##id] = {c, h, f},
    XB_SWEEP_METRICS(XB_SWEEP_DESC)
#undef XB_SWEEP_DESC
};

/* The node at a dotted @path below @root, or NULL. */
static JsonNode *lookup(JsonObject *root, const char *path)
{
	char **parts = g_strsplit(path, ".", -1);
	JsonObject *obj = root;
	JsonNode *node = NULL;

	for (char **p = parts; *p; p++) {
		if (!obj || !json_object_has_member(obj, *p)) {
			node = NULL;
			break;
		}
		node = json_object_get_member(obj, *p);
		obj = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node)
						   : NULL;
	}
	g_strfreev(parts);
	return node;
}

struct reader {
	JsonObject *root;
	const char *file;
	GError **error;
	bool ok;
};

static void missing(struct reader *r, const char *path, const char *what)
{
	if (r->ok)
		g_set_error(r->error, XB_ERROR, XB_ERROR_INVALID,
			    "%s: field '%s' missing or not %s", r->file, path,
			    what);
	r->ok = false;
}

static double number(struct reader *r, const char *path)
{
	JsonNode *n = lookup(r->root, path);

	if (n && JSON_NODE_HOLDS_VALUE(n)) {
		GType t = json_node_get_value_type(n);

		if (t == G_TYPE_INT64)
			return (double)json_node_get_int(n);
		if (t == G_TYPE_DOUBLE)
			return json_node_get_double(n);
	}
	missing(r, path, "a number");
	return 0;
}

/* A number that older reports lack: 0 when absent. */
static double optional_number(struct reader *r, const char *path)
{
	return lookup(r->root, path) ? number(r, path) : 0;
}

/*
 * A vNUMA guest's vnodes together: the share of their populated frames on
 * their own pnodes (sum of guest.vnodes[].local over sum of populated).
 * -1 when the report has no vnodes (no vNUMA: nothing to be local to) or
 * a vnode's figures are unknown (-1, a backend that cannot tell), as the
 * host shares read -1 when unknown.
 */
static double vnode_locality(struct reader *r)
{
	JsonNode *n = lookup(r->root, "guest.vnodes");
	double local = 0, populated = 0;

	if (!n)
		return -1;
	if (!JSON_NODE_HOLDS_ARRAY(n)) {
		missing(r, "guest.vnodes", "an array");
		return -1;
	}
	JsonArray *a = json_node_get_array(n);

	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *v = json_array_get_object_element(a, i);

		if (!v || !json_object_has_member(v, "local") ||
		    !json_object_has_member(v, "populated")) {
			missing(r, "guest.vnodes[].local", "a number");
			return -1;
		}
		double l = json_object_get_double_member(v, "local");
		double p = json_object_get_double_member(v, "populated");

		if (l < 0 || p < 0)
			return -1;
		local += l;
		populated += p;
	}
	return populated > 0 ? local / populated : -1;
}

static uint64_t count(struct reader *r, const char *path)
{
	JsonNode *n = lookup(r->root, path);

	if (n && JSON_NODE_HOLDS_VALUE(n) &&
	    json_node_get_value_type(n) == G_TYPE_INT64 &&
	    json_node_get_int(n) >= 0)
		return (uint64_t)json_node_get_int(n);
	missing(r, path, "a non-negative integer");
	return 0;
}

static const char *string(struct reader *r, const char *path)
{
	JsonNode *n = lookup(r->root, path);

	if (n && JSON_NODE_HOLDS_VALUE(n) &&
	    json_node_get_value_type(n) == G_TYPE_STRING)
		return json_node_get_string(n);
	missing(r, path, "a string");
	return "";
}

static bool boolean(struct reader *r, const char *path)
{
	JsonNode *n = lookup(r->root, path);

	if (n && JSON_NODE_HOLDS_VALUE(n) &&
	    json_node_get_value_type(n) == G_TYPE_BOOLEAN)
		return json_node_get_boolean(n);
	missing(r, path, "a boolean");
	return false;
}

bool xb_sweep_parse_report(const char *path, struct xb_sweep_run *run,
			   GError **error)
{
	JsonParser *parser;
	GError *err = NULL;
	char *text;
	size_t len;

	memset(run, 0, sizeof(*run));
	/* Read first: a FIFO or device named report.json is refused. */
	if (!xb_read_regular(path, &text, &len, error)) {
		g_prefix_error(error, "%s: ", path);
		return false;
	}
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, text, (gssize)len, &err)) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID, "%s: %s", path,
			    err->message);
		g_error_free(err);
		g_object_unref(parser);
		g_free(text);
		return false;
	}
	g_free(text);
	JsonNode *root = json_parser_get_root(parser);

	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "%s: not a JSON object", path);
		g_object_unref(parser);
		return false;
	}
	struct reader r = {json_node_get_object(root), path, error, true};
	double *v = run->v;

	run->scenario = g_strdup(string(&r, "scenario"));
	run->policy = g_strdup(string(&r, "policy"));
	run->seed = count(&r, "seed");
	g_strlcpy(run->digest, string(&r, "digest"), sizeof(run->digest));
	run->violations = count(&r, "invariants.violations");
	v[XB_SWEEP_TARGET] = boolean(&r, "target_reached") ? 1 : 0;
	v[XB_SWEEP_FU9] = number(&r, "guest.fu9");
	v[XB_SWEEP_REG_BAL] = number(&r, "guest.regions_2m.ballooned");
	v[XB_SWEEP_REG_MIX] = number(&r, "guest.regions_2m.mixed");
	v[XB_SWEEP_P2M_SP] = number(&r, "host.p2m_superpage_coverage");
	v[XB_SWEEP_CONTIG] = number(&r, "host.contiguity_2m");

	/* Share of the balloon held as 2 MiB pages; an empty balloon holds
	 * none, so 0 rather than 0/0. */
	double huge = number(&r, "guest.balloon.huge");
	double all = huge + number(&r, "guest.balloon.small") +
		     number(&r, "guest.balloon.special");

	v[XB_SWEEP_HUGE_SHARE] = all > 0 ? huge / all : 0;
	/* add_to_physmap came with contract v1.1: a v1.0 report has none. */
	double moves = optional_number(&r, "hypercalls.add_to_physmap.calls") +
		       number(&r, "hypercalls.relocate.calls");

	/* A pv guest's kernel-mapping updates (absent before they were
	 * counted) are hypercalls it issues too. */
	v[XB_SWEEP_HCALLS] =
	    number(&r, "hypercalls.populate_physmap.calls") +
	    number(&r, "hypercalls.decrease_reservation.calls") +
	    number(&r, "hypercalls.exchange.calls") + moves +
	    optional_number(&r, "hypercalls.update_va_mapping.calls");
	v[XB_SWEEP_MIGRATED] = number(&r, "compaction.migrated");
	v[XB_SWEEP_XCHG_MOVE] = number(&r, "hypercalls.exchange.calls") + moves;
	v[XB_SWEEP_LOCALITY] = vnode_locality(&r);
	v[XB_SWEEP_SIM] = number(&r, "sim_time_s");
	v[XB_SWEEP_WALL] = number(&r, "wall_time_s");
	g_object_unref(parser);
	if (!r.ok)
		xb_sweep_run_clear(run);
	return r.ok;
}

void xb_sweep_run_clear(struct xb_sweep_run *run)
{
	g_free(run->scenario);
	g_free(run->policy);
	run->scenario = run->policy = NULL;
}

size_t xb_sweep_policy_rank(const char *name, char **given)
{
	size_t base = 0;

	for (char **p = given; p && *p; p++, base++)
		if (!strcmp(*p, name))
			return base;
	for (const struct xb_policy_ops *const *p = xb_policy_list(); *p;
	     p++, base++)
		if (!strcmp((*p)->name, name))
			return base;
	return base;
}

static char **sort_policies;

static gint compare_runs(gconstpointer pa, gconstpointer pb)
{
	const struct xb_sweep_run *a = pa, *b = pb;
	int c = strcmp(a->scenario, b->scenario);

	if (c)
		return c;
	size_t ra = xb_sweep_policy_rank(a->policy, sort_policies);
	size_t rb = xb_sweep_policy_rank(b->policy, sort_policies);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	c = strcmp(a->policy, b->policy);
	if (c)
		return c;
	return a->seed < b->seed ? -1 : a->seed > b->seed;
}

void xb_sweep_sort(GArray *runs, char **policies)
{
	sort_policies = policies;
	g_array_sort(runs, compare_runs);
	sort_policies = NULL;
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

static bool listed(char **list, const char *name)
{
	for (; list && *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

/* Parse every report of @paths into @runs, leaving out other policies. */
static bool parse_all(GPtrArray *paths, char **policies, GArray *runs,
		      GError **error)
{
	for (guint i = 0; i < paths->len; i++) {
		struct xb_sweep_run r;

		if (!xb_sweep_parse_report(paths->pdata[i], &r, error))
			return false;
		if (policies && !listed(policies, r.policy))
			xb_sweep_run_clear(&r);
		else
			g_array_append_val(runs, r);
	}
	return true;
}

/* Sorted @runs: false when two neighbours are the same run. */
static bool all_distinct(GArray *runs, GError **error)
{
	const struct xb_sweep_run *r = (struct xb_sweep_run *)runs->data;

	for (guint i = 1; i < runs->len; i++) {
		if (!strcmp(r[i - 1].scenario, r[i].scenario) &&
		    !strcmp(r[i - 1].policy, r[i].policy) &&
		    r[i - 1].seed == r[i].seed) {
			g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
				    "two reports of %s, policy %s, seed %llu",
				    r[i].scenario, r[i].policy,
				    (unsigned long long)r[i].seed);
			return false;
		}
	}
	return true;
}

/* Empty @runs, clearing each. */
static void clear_runs(GArray *runs)
{
	for (guint i = 0; i < runs->len; i++)
		xb_sweep_run_clear(
		    &g_array_index(runs, struct xb_sweep_run, i));
	g_array_set_size(runs, 0);
}

bool xb_sweep_load_dirs(char *const *dirs, size_t n, char **policies,
			GArray *runs, GError **error)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	bool ok = true;

	for (size_t i = 0; i < n && ok; i++) {
		ok = g_file_test(dirs[i], G_FILE_TEST_IS_DIR);
		if (ok)
			find_reports(dirs[i], paths);
		else
			g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
				    "'%s' is not a directory", dirs[i]);
	}
	ok = ok && parse_all(paths, policies, runs, error);
	if (ok && !runs->len) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "no report.json found%s",
			    paths->len ? " of the given policies" : "");
		ok = false;
	}
	if (ok) {
		xb_sweep_sort(runs, policies);
		ok = all_distinct(runs, error);
	}
	if (!ok)
		clear_runs(runs);
	g_ptr_array_free(paths, TRUE);
	return ok;
}

void xb_sweep_runs_free(GArray *runs)
{
	clear_runs(runs);
	g_array_free(runs, TRUE);
}

/* "mean ± half", or the mean alone for one run (no interval). */
static char *cell(const struct xb_stats *s, const char *fmt)
{
	char *mean = g_strdup_printf(fmt, s->mean);

	if (s->n < 2)
		return mean;
	char *half = g_strdup_printf(fmt, s->half);
	char *c = g_strdup_printf("%s ± %s", mean, half);

	g_free(mean);
	g_free(half);
	return c;
}

#define NR_COLS (XB_SWEEP_NR_METRICS + 2) /* policy, runs, metrics */

/* The metrics written: all, or all but the wall time (the last one). */
static size_t nr_metrics(unsigned format)
{
	return format & XB_SWEEP_NO_WALL ? XB_SWEEP_WALL : XB_SWEEP_NR_METRICS;
}

static void print_row(FILE *out, char **cells, const size_t *width,
		      size_t nr_cols, bool markdown)
{
	for (size_t c = 0; c < nr_cols; c++) {
		size_t len = g_utf8_strlen(cells[c], -1);
		int pad = (int)(width[c] - len);

		if (markdown)
			fprintf(out, "| %s ", cells[c]);
		else if (c == 0)
			fprintf(out, "%s%*s", cells[c], pad, "");
		else
			fprintf(out, "  %*s%s", pad, "", cells[c]);
	}
	fputs(markdown ? "|\n" : "\n", out);
}

/* One scenario's table: runs[0..n) are its runs, grouped by policy. */
static void write_table(const struct xb_sweep_run *runs, size_t n,
			unsigned format, FILE *out)
{
	GPtrArray *rows = g_ptr_array_new();
	char **head = g_new0(char *, NR_COLS + 1);
	size_t width[NR_COLS];
	size_t nr_m = nr_metrics(format), nr_cols = nr_m + 2;
	bool markdown = format & XB_SWEEP_MARKDOWN;
	uint64_t violations = 0;
	double *v = g_new(double, n);

	head[0] = g_strdup("policy");
	head[1] = g_strdup("runs");
	for (size_t m = 0; m < nr_m; m++)
		head[m + 2] = g_strdup(metrics[m].head);
	for (size_t i = 0, j; i < n; i = j) {
		char **row = g_new0(char *, NR_COLS + 1);

		for (j = i; j < n && !strcmp(runs[j].policy, runs[i].policy);
		     j++)
			violations += runs[j].violations;
		row[0] = g_strdup(runs[i].policy);
		row[1] = g_strdup_printf("%zu", j - i);
		for (size_t m = 0; m < nr_m; m++) {
			struct xb_stats s;

			for (size_t k = i; k < j; k++)
				v[k - i] = runs[k].v[m];
			xb_stats_summarize(v, j - i, &s);
			row[m + 2] = cell(&s, metrics[m].fmt);
		}
		g_ptr_array_add(rows, row);
	}
	for (size_t c = 0; c < nr_cols; c++) {
		width[c] = g_utf8_strlen(head[c], -1);
		for (guint r = 0; r < rows->len; r++) {
			char **row = rows->pdata[r];
			size_t len = g_utf8_strlen(row[c], -1);

			width[c] = MAX(width[c], len);
		}
	}
	if (markdown)
		fprintf(out, "## %s\n\n", runs[0].scenario);
	else
		fprintf(out, "%s\n\n", runs[0].scenario);
	print_row(out, head, width, nr_cols, markdown);
	if (markdown) {
		fputs("|:---", out);
		for (size_t c = 1; c < nr_cols; c++)
			fputs("|---:", out);
		fputs("|\n", out);
	}
	for (guint r = 0; r < rows->len; r++) {
		print_row(out, rows->pdata[r], width, nr_cols, markdown);
		g_strfreev(rows->pdata[r]);
	}
	if (violations)
		fprintf(out, "\nINVARIANT VIOLATIONS: %llu\n",
			(unsigned long long)violations);
	fputc('\n', out);
	g_strfreev(head);
	g_ptr_array_free(rows, TRUE);
	g_free(v);
}

void xb_sweep_write_tables(const struct xb_sweep_run *runs, size_t n,
			   unsigned format, FILE *out)
{
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i;
		     j < n && !strcmp(runs[j].scenario, runs[i].scenario); j++)
			;
		write_table(runs + i, j - i, format, out);
	}
	fputs("Each cell: mean ± 95 % confidence interval over the runs "
	      "(Student t), or the value of a single run.\n"
	      "target: share of runs that reached the balloon target; "
	      "2M-bal/2M-mix: 2 MiB guest regions wholly ballooned / mixed;\n"
	      "p2m-sp: share of guest memory mapped by 2 MiB P2M entries; "
	      "contig: share on aligned, machine-contiguous 2 MiB runs;\n"
	      "bal-2M: share of the balloon held as 2 MiB pages; "
	      "hcalls: memory_op hypercalls and, on pv, update_va_mapping;\n"
	      "migrated: compaction migrations; "
	      "xchg+move: exchange, add_to_physmap and relocate calls;\n"
	      "local: share of a vNUMA guest's memory on its vnodes' own "
	      "pnodes (-1: no vNUMA, or not known).\n",
	      out);
}

void xb_sweep_write_csv(const struct xb_sweep_run *runs, size_t n,
			unsigned format, FILE *out)
{
	size_t nr_m = nr_metrics(format);

	fputs("scenario,policy,seed,digest,violations", out);
	for (size_t m = 0; m < nr_m; m++)
		fprintf(out, ",%s", metrics[m].csv);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		const struct xb_sweep_run *r = &runs[i];

		fprintf(out, "%s,%s,%llu,%s,%llu", r->scenario, r->policy,
			(unsigned long long)r->seed, r->digest,
			(unsigned long long)r->violations);
		/* Full precision: the CSV feeds further analysis. */
		for (size_t m = 0; m < nr_m; m++)
			fprintf(out, ",%.17g", r->v[m]);
		fputc('\n', out);
	}
}
