/*
 * The fuzz corpus as a regression test in every build: each file of
 * tests/fuzz/corpus/ goes through the fuzz target's body (parse, validate,
 * bounded replay), and the corpus holds every shipped scenario and every
 * bad input byte for byte (scripts/fuzz.sh --sync-corpus).
 */
#define _GNU_SOURCE /* memfd_create, in the fuzz target */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "fuzz/fuzz_scenario.c"

static const char *source_dir(void)
{
	const char *root = getenv("XB_SOURCE_DIR");

	return root ? root : XB_SOURCE_DIR;
}

/* Every regular *.yaml under SRC/DIR is in the corpus as PREFIX-NAME with
 * the same bytes. Returns how many. */
static unsigned check_synced(const char *dir, const char *prefix)
{
	char *src = g_build_filename(source_dir(), dir, NULL);
	GDir *d = g_dir_open(src, 0, NULL);
	const char *ent;
	unsigned n = 0;

	cr_assert(d, "cannot list %s", src);
	while ((ent = g_dir_read_name(d))) {
		char *path = g_build_filename(src, ent, NULL);
		char *name = g_strdup_printf("%s-%s", prefix, ent);
		char *copy = g_build_filename(source_dir(), "tests", "fuzz",
					      "corpus", name, NULL);
		char *a = NULL, *b = NULL;
		gsize la = 0, lb = 0;

		if (g_str_has_suffix(ent, ".yaml") &&
		    g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
			cr_assert(g_file_get_contents(path, &a, &la, NULL));
			cr_assert(g_file_get_contents(copy, &b, &lb, NULL),
				  "%s is not in the corpus (run "
				  "scripts/fuzz.sh --sync-corpus)",
				  path);
			cr_assert(la == lb && !memcmp(a, b, la),
				  "%s differs from %s", copy, path);
			n++;
		}
		g_free(a);
		g_free(b);
		g_free(copy);
		g_free(name);
		g_free(path);
	}
	g_dir_close(d);
	g_free(src);
	return n;
}

Test(fuzz_corpus, holds_every_shipped_scenario_and_bad_input)
{
	cr_assert_geq(check_synced("scenarios", "scenario"), 9);
	cr_assert_geq(check_synced("tests/bad", "bad"), 80);
}

/* The fuzz target's checks pass on every corpus input: shipped scenarios
 * load, bad inputs give one well-formed error, tiny ones replay clean. */
Test(fuzz_corpus, every_input_passes_the_fuzz_target)
{
	char *dir =
	    g_build_filename(source_dir(), "tests", "fuzz", "corpus", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *ent;
	unsigned n = 0, loaded = 0, scenarios = 0;

	cr_assert(d, "cannot list %s", dir);
	while ((ent = g_dir_read_name(d))) {
		char *path = g_build_filename(dir, ent, NULL);
		char *buf = NULL;
		gsize len = 0;
		GError *err = NULL;
		struct xb_scenario *sc;

		cr_assert(g_file_get_contents(path, &buf, &len, NULL), "%s",
			  path);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		/* Shipped scenarios load; bad inputs do not. */
		sc = xb_scenario_load(path, &err);
		if (g_str_has_prefix(ent, "scenario-")) {
			cr_assert_not_null(sc, "%s: %s", ent,
					   err ? err->message : "");
			scenarios++;
		} else if (g_str_has_prefix(ent, "bad-") && sc) {
			cr_assert_not(xb_scenario_check_policy(
					  sc, &xb_scenario_default_policy_check,
					  NULL, &err),
				      "%s loads and validates", ent);
		}
		loaded += sc != NULL;
		xb_scenario_free(sc);
		g_clear_error(&err);
		g_free(buf);
		g_free(path);
		n++;
	}
	g_dir_close(d);
	g_free(dir);
	cr_assert_geq(n, 90, "only %u corpus inputs", n);
	cr_assert_geq(scenarios, 9);
	cr_assert_geq(loaded, scenarios);
}
