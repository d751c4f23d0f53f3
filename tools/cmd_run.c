/*
 * `xballoon run`: replay one scenario and print the summary or the report,
 * optionally writing report.json and series.csv into a directory and the
 * backend trace into a file.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cmd.h"
#include "xballoon/backend.h"
#include "xballoon/policy.h"
#include "xballoon/run.h"

int xb_cli_parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint64_t *v)
{
	uint64_t x = 0;
	const char *c = s;

	/* Not strtoull(): it takes "-5" (and wraps it), spaces and a '+',
	 * and clamps what overflows. */
	for (; *c >= '0' && *c <= '9'; c++) {
		unsigned d = (unsigned)(*c - '0');

		if (x > (UINT64_MAX - d) / 10)
			break;
		x = x * 10 + d;
	}
	if (c == s || *c || x < min || x > max) {
		xb_cli_error("%s: expected an integer in %llu..%llu, got '%s'",
			     opt, (unsigned long long)min,
			     (unsigned long long)max, s);
		return -1;
	}
	*v = x;
	return 0;
}

int xb_cli_parse(int argc, char **argv, const struct xb_cli_opt *opts,
		 const char **operand, const char *what)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct xb_cli_opt *o = opts;

		while (o->name && strcmp(o->name, a))
			o++;
		if (!o->name && a[0] == '-') {
			xb_cli_error("unknown option '%s'", a);
			return -1;
		}
		if (!o->name) {
			if (*operand) {
				xb_cli_error("one %s at a time (got '%s' and "
					     "'%s')",
					     what, *operand, a);
				return -1;
			}
			*operand = a;
			continue;
		}
		if (o->given)
			*o->given = true;
		if (o->kind == XB_CLI_FLAG) {
			*(bool *)o->dst = true;
			continue;
		}
		if (i + 1 >= argc) {
			xb_cli_error("option '%s' needs a value", a);
			return -1;
		}
		if (o->kind == XB_CLI_STRING)
			*(const char **)o->dst = argv[++i];
		else if (xb_cli_parse_u64(a, argv[++i], 0, UINT64_MAX, o->dst))
			return -1;
	}
	return 0;
}

/* The i-th name of a registry, NULL past its end. */
static const char *policy_at(size_t i)
{
	const struct xb_policy_ops *const *p = xb_policy_list();

	while (i-- && *p)
		p++;
	return *p ? (*p)->name : NULL;
}

static const char *backend_at(size_t i)
{
	const struct xb_backend_ops *const *b = xb_backend_list();

	while (i-- && *b)
		b++;
	return *b ? (*b)->name : NULL;
}

static int check_name(const char *opt, const char *what, const char *name,
		      const char *(*name_at)(size_t i))
{
	GString *known = g_string_new(NULL);
	const char *n;

	for (size_t i = 0; (n = name_at(i)); i++) {
		if (!strcmp(n, name)) {
			g_string_free(known, TRUE);
			return 0;
		}
		g_string_append_printf(known, "%s%s", i ? ", " : "", n);
	}
	xb_cli_error("%s: unknown %s '%s' (known: %s)", opt, what, name,
		     known->str);
	g_string_free(known, TRUE);
	return -1;
}

int xb_cli_check_policy(const char *opt, const char *name)
{
	return check_name(opt, "policy", name, policy_at);
}

int xb_cli_check_backend(const char *opt, const char *name)
{
	return check_name(opt, "backend", name, backend_at);
}

int xb_cli_check_level(const char *value, enum xb_check_level *level)
{
	static const char *const names[] = {"full", "sampled", "end"};

	if (!value)
		return 0;
	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++)
		if (!strcmp(value, names[i])) {
			*level = (enum xb_check_level)i;
			return 0;
		}
	char *v = xb_one_line(value);

	xb_cli_error("--check: expected full, sampled or end, got '%s'", v);
	g_free(v);
	return -1;
}

struct xb_scenario *xb_cli_load(const char *path, const char *policy,
				bool allow_long)
{
	GError *err = NULL;
	struct xb_scenario *sc;

	/* --policy is checked first: its error is about the command line. */
	if (policy && xb_cli_check_policy("--policy", policy) < 0)
		return NULL;
	sc = xb_scenario_load(path, &err);

	if (sc && (!xb_scenario_check_policy(
		       sc, &xb_scenario_default_policy_check, policy, &err) ||
		   (!allow_long && !xb_scenario_check_work(sc, &err)))) {
		xb_scenario_free(sc);
		sc = NULL;
	}
	if (!sc) {
		fprintf(stderr, "%s\n", err->message);
		g_error_free(err);
	}
	return sc;
}

int cmd_run(int argc, char **argv)
{
	struct xb_run_options opt = {.progress = isatty(2),
				     .check = XB_CHECK_SAMPLED};
	const char *path = NULL, *out = NULL, *map_every = NULL, *check = NULL;
	bool json = false, allow_long = false;
	const struct xb_cli_opt opts[] = {
	    {"--json", XB_CLI_FLAG, &json, NULL},
	    {"--allow-long", XB_CLI_FLAG, &allow_long, NULL},
	    {"--check", XB_CLI_STRING, &check, NULL},
	    {"--verify-content", XB_CLI_FLAG, &opt.verify_content, NULL},
	    {"--policy", XB_CLI_STRING, &opt.policy, NULL},
	    {"--backend", XB_CLI_STRING, &opt.backend, NULL},
	    {"--out", XB_CLI_STRING, &out, NULL},
	    {"--trace", XB_CLI_STRING, &opt.trace, NULL},
	    {"--map-every", XB_CLI_STRING, &map_every, NULL},
	    {"--knobs", XB_CLI_STRING, &opt.knobs, NULL},
	    {"--seed", XB_CLI_U64, &opt.seed, &opt.seed_set},
	    {NULL, XB_CLI_FLAG, NULL, NULL},
	};

	if (xb_cli_parse(argc, argv, opts, &path, "scenario") < 0 ||
	    xb_cli_check_level(check, &opt.check) < 0)
		return XB_EXIT_USAGE;
	if (map_every) {
		const char *why = NULL;
		xb_ns_t ns;

		if (xb_parse_time(map_every, &ns, &why) < 0 || !ns) {
			xb_cli_error("--map-every: %s",
				     why ? why : "must be above 0");
			return XB_EXIT_USAGE;
		}
		opt.map_every = ns;
	}
	if (!path) {
		xb_cli_error("usage: xballoon run SCENARIO [--policy P] "
			     "[--knobs K=V,...] [--seed N] [--backend "
			     "mock|xen] [--out DIR] "
			     "[--map-every TIME] [--trace FILE] "
			     "[--verify-content] [--check full|sampled|end] "
			     "[--allow-long] [--json]");
		return XB_EXIT_USAGE;
	}
	if (opt.backend && xb_cli_check_backend("--backend", opt.backend) < 0)
		return XB_EXIT_USAGE;
	if (opt.map_every && !out) {
		xb_cli_error("--map-every needs --out DIR (maps go to "
			     "DIR/map.txt)");
		return XB_EXIT_USAGE;
	}
	struct xb_scenario *sc = xb_cli_load(path, opt.policy, allow_long);

	if (!sc)
		return XB_EXIT_USAGE;

	int status = xb_cli_run_report(sc, &opt, out, json);

	xb_scenario_free(sc);
	return status;
}

/* SIGINT and SIGTERM end a run between two events: everything is torn
 * down (a scratch domain destroyed) and nothing half-written is left. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

int xb_cli_run_report(const struct xb_scenario *sc, struct xb_run_options *opt,
		      const char *out, bool json)
{
	struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
	struct xb_run_result res;
	GError *err = NULL;
	int status = XB_EXIT_OK;
	bool ok;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	opt->stop = &stop_signal;
	ok = xb_run(sc, opt, &res, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (!ok) {
		/* Errors found in the file already say FILE:LINE:COL: error. */
		if (strstr(err->message, ": error: "))
			fprintf(stderr, "%s\n", err->message);
		else
			xb_cli_error("%s", err->message);
		status = stop_signal			 ? 128 + stop_signal
			 : err->code == XB_ERROR_INVALID ? XB_EXIT_USAGE
							 : XB_EXIT_FAILURE;
		g_error_free(err);
	} else {
		/* Interrupted: the partial report, then the signal's status. */
		if (res.partial)
			status = 128 + stop_signal;
		if (out && !xb_report_write_dir(&res, out, &err)) {
			xb_cli_error("%s", err->message);
			g_error_free(err);
			status = XB_EXIT_FAILURE;
		}
		if (json)
			xb_report_write_json(&res, stdout);
		else
			xb_report_print_summary(&res, stdout);
		if (res.violations) {
			xb_cli_error("%llu invariant violations",
				     (unsigned long long)res.violations);
			status = XB_EXIT_FAILURE;
		}
	}
	xb_run_result_clear(&res);
	return status;
}
