/*
 * The command line's option parsing (tools/cmd_run.c xb_cli_parse()) as
 * users meet it through run, compare, drive and replay: each mistake gets
 * exactly one error line and exit status 2, and nothing runs.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <glib.h>
#include <string.h>

#include "xballoon/backend.h"
#include "xballoon/policy.h"

struct cli_case {
	const char *args;   /* space-separated, after the binary */
	const char *stderr; /* the whole of stderr                */
};

/* Run the binary with @args; @out may be NULL when stdout is not wanted. */
static void run_cli(const char *args, int *status, char **out, char **err)
{
	char **words = g_strsplit(args, " ", -1);
	GPtrArray *argv = g_ptr_array_new();
	GError *gerr = NULL;
	char *stdout_text = NULL;

	g_ptr_array_add(argv, (char *)XB_BINARY);
	for (char **w = words; *w; w++)
		g_ptr_array_add(argv, *w);
	g_ptr_array_add(argv, NULL);
	cr_assert(g_spawn_sync(XB_SOURCE_DIR, (char **)argv->pdata, NULL,
			       G_SPAWN_DEFAULT, NULL, NULL, &stdout_text, err,
			       status, &gerr),
		  "cannot run %s: %s", XB_BINARY, gerr ? gerr->message : "?");
	if (out)
		*out = stdout_text;
	else
		g_free(stdout_text);
	g_ptr_array_free(argv, TRUE);
	g_strfreev(words);
}

/* Parameters cross into the test's own process as bytes: pass indices
 * into this table, not pointers. */
static const struct cli_case cases[] = {
    {"run scenarios/boot-shrink.yaml --seed",
     "xballoon: error: option '--seed' needs a value\n"},
    {"run scenarios/boot-shrink.yaml --seed 1x",
     "xballoon: error: --seed: expected an integer in "
     "0..18446744073709551615, got '1x'\n"},
    /* No integer option wraps a negative value or clamps one too big. */
    {"run scenarios/boot-shrink.yaml --seed 99999999999999999999999",
     "xballoon: error: --seed: expected an integer in "
     "0..18446744073709551615, got '99999999999999999999999'\n"},
    {"run scenarios/boot-shrink.yaml --seed 18446744073709551616",
     "xballoon: error: --seed: expected an integer in "
     "0..18446744073709551615, got '18446744073709551616'\n"},
    {"compare scenarios/boot-shrink.yaml --seed -1",
     "xballoon: error: --seed: expected an integer in "
     "0..18446744073709551615, got '-1'\n"},
    {"run scenarios/boot-shrink.yaml --check some",
     "xballoon: error: --check: expected full, sampled or end, got "
     "'some'\n"},
    {"compare scenarios/boot-shrink.yaml --check",
     "xballoon: error: option '--check' needs a value\n"},
    {"zone --seed -5", "xballoon: error: --seed: expected an integer in "
		       "0..18446744073709551615, got '-5'\n"},
    {"zone --frames 0", "xballoon: error: --frames: expected an integer in "
			"1..4294967294, got '0'\n"},
    {"zone --frames 4294967295",
     "xballoon: error: --frames: expected an integer in 1..4294967294, got "
     "'4294967295'\n"},
    {"zone --frames 0x40", "xballoon: error: --frames: expected an integer "
			   "in 1..4294967294, got '0x40'\n"},
    {"bench --seeds 0 scenarios/boot-shrink.yaml",
     "xballoon: error: --seeds: expected an integer in 1..100000, got "
     "'0'\n"},
    {"bench --jobs -2 scenarios/boot-shrink.yaml",
     "xballoon: error: --jobs: expected an integer in 1..100000, got "
     "'-2'\n"},
    {"replay x.trace --domid -3",
     "xballoon: error: --domid: expected an integer in "
     "0..18446744073709551615, got '-3'\n"},
    {"drive scenarios/boot-shrink.yaml --scratch 64MiB --type hvm "
     "--fail-after-events -1",
     "xballoon: error: --fail-after-events: expected an integer in "
     "0..18446744073709551615, got '-1'\n"},
    /* Files that are not regular files, named to replay. */
    {"replay tests/bad/device.yaml",
     "tests/bad/device.yaml:1:1: error: is a character device, not a "
     "regular file\n"},
    {"replay tests/bad/directory.yaml",
     "tests/bad/directory.yaml:1:1: error: is a directory\n"},
    {"run scenarios/boot-shrink.yaml scenarios/fragmenter.yaml",
     "xballoon: error: one scenario at a time (got "
     "'scenarios/boot-shrink.yaml' and 'scenarios/fragmenter.yaml')\n"},
    {"run scenarios/boot-shrink.yaml --frobnicate",
     "xballoon: error: unknown option '--frobnicate'\n"},
    {"run scenarios/boot-shrink.yaml --map-every 0s --out /tmp",
     "xballoon: error: --map-every: must be above 0\n"},
    {"compare scenarios/boot-shrink.yaml --policies",
     "xballoon: error: option '--policies' needs a value\n"},
    {"replay x.trace --domid 3",
     "xballoon: error: --domid 3 acts on an existing domain: add "
     "--i-own-this-domain to confirm\n"},
    {"drive scenarios/boot-shrink.yaml --scratch 1MiB --type hvm",
     "xballoon: error: --scratch: at least 2MiB, in whole 4KiB "
     "pages\n"},
    {"drive scenarios/boot-shrink.yaml --scratch 64MiB --type vm",
     "xballoon: error: --type: expected hvm, pvh or pv, got 'vm'\n"},
    {"drive scenarios/boot-shrink.yaml --scratch 64MiB",
     "xballoon: error: --scratch needs --type hvm|pvh|pv\n"},
    {"drive scenarios/boot-shrink.yaml --domid 0 --i-own-this-domain",
     "xballoon: error: refusing domain 0: xballoon never acts on "
     "dom0\n"},
    {"drive scenarios/boot-shrink.yaml --domid 7",
     "xballoon: error: refusing domain 7: confirm it is yours with "
     "--domid 7 --i-own-this-domain\n"},
    {"drive scenarios/boot-shrink.yaml --domid 7 --scratch 64MiB "
     "--type pv",
     "xballoon: error: --scratch and --domid exclude each other\n"},
};

ParameterizedTestParameters(cli, one_error_line_and_status_2)
{
	static unsigned idx[G_N_ELEMENTS(cases)];

	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++)
		idx[i] = i;
	return cr_make_param_array(unsigned, idx, G_N_ELEMENTS(idx));
}

ParameterizedTest(unsigned *i, cli, one_error_line_and_status_2)
{
	const struct cli_case *c = &cases[*i];
	int status;
	char *err = NULL;

	run_cli(c->args, &status, NULL, &err);
	cr_assert_str_eq(err, c->stderr, "xballoon %s", c->args);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		  "xballoon %s: status %#x", c->args, status);
	g_free(err);
}

/* The version is CMake's project(VERSION), in --version and --help. */
Test(cli, version_from_cmake_in_version_and_help)
{
	int status;
	char *out = NULL, *err = NULL;

	run_cli("--version", &status, &out, &err);
	cr_assert_str_eq(out, "xballoon " XB_VERSION "\n");
	cr_assert_str_empty(err);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_free(out);
	g_free(err);
	run_cli("--help", &status, &out, &err);
	cr_assert(strstr(out, "xballoon --version"), "%s", out);
	cr_assert(strstr(out, "This is xballoon " XB_VERSION ".\n"), "%s", out);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_free(out);
	g_free(err);
}

/* The registry's names, "a, b, c", as the errors list them. */
static char *known(bool policies)
{
	GString *s = g_string_new(NULL);

	if (policies)
		for (const struct xb_policy_ops *const *p = xb_policy_list();
		     *p; p++)
			g_string_append_printf(s, "%s%s", s->len ? ", " : "",
					       (*p)->name);
	else
		for (const struct xb_backend_ops *const *b = xb_backend_list();
		     *b; b++)
			g_string_append_printf(s, "%s%s", s->len ? ", " : "",
					       (*b)->name);
	return g_string_free(s, FALSE);
}

/* A name given on the command line is an error about that option, with
 * the names that exist; nothing is loaded or run. */
Test(cli, unknown_names_are_errors_about_their_option)
{
	static const struct {
		const char *args, *opt;
		bool policy;
	} names_cases[] = {
	    {"run scenarios/boot-shrink.yaml --policy nope", "--policy", true},
	    {"drive scenarios/boot-shrink.yaml --scratch 64MiB --type hvm "
	     "--policy nope",
	     "--policy", true},
	    {"compare scenarios/boot-shrink.yaml --policies linux,nope",
	     "--policies", true},
	    {"bench --policies nope scenarios/boot-shrink.yaml", "--policies",
	     true},
	    {"run scenarios/boot-shrink.yaml --backend nope", "--backend",
	     false},
	    {"replay x.trace --backend nope", "--backend", false},
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(names_cases); i++) {
		char *names = known(names_cases[i].policy), *out = NULL,
		     *err = NULL;
		char *want = g_strdup_printf(
		    "xballoon: error: %s: unknown %s 'nope' (known: %s)\n",
		    names_cases[i].opt,
		    names_cases[i].policy ? "policy" : "backend", names);
		int status;

		run_cli(names_cases[i].args, &status, &out, &err);
		cr_expect_str_eq(err, want, "xballoon %s", names_cases[i].args);
		cr_expect_str_empty(out, "xballoon %s", names_cases[i].args);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 2,
			  "xballoon %s: status %#x", names_cases[i].args,
			  status);
		g_free(names);
		g_free(want);
		g_free(out);
		g_free(err);
	}
}
