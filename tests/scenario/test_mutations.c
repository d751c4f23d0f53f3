/*
 * Robustness: seeded random mutations of the contract example (bytes cut,
 * YAML punctuation and hostile tokens inserted, lines duplicated) must each
 * either load or fail with exactly one well-formed error line; run under
 * the ASan build this also proves no crash, leak or overflow.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "support/testutil.h"
#include "xballoon/backend.h"
#include "xballoon/rng.h"
#include "xballoon/scenario.h"

static const char *const tokens[] = {
    "*a",
    "&a ",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "\n  ",
    "- ",
    "\xff",
    "\"",
    "'",
    "!!str ",
    "---\n",
    "? ",
    "|",
    "#",
    "\t",
    "99999999999999TiB",
    "-1",
    "0",
    "1.5",
    "%/s",
    "order:",
    "\xc3",
    "\\n",
    "\r",
    "<<: ",
    "0B",
    "16TiB",
    "1000001s",
    "100.5%",
};

static void mutate(struct xb_rng *rng, GString *s)
{
	unsigned n = 1 + (unsigned)xb_rng_below(rng, 6);

	for (unsigned i = 0; i < n; i++) {
		size_t pos = (size_t)xb_rng_below(rng, s->len + 1);
		unsigned op = (unsigned)xb_rng_below(rng, 3);

		if (op == 0 && s->len) {
			size_t cut = 1 + (size_t)xb_rng_below(rng, 20);

			if (pos + cut > s->len)
				cut = s->len - pos;
			g_string_erase(s, (gssize)pos, (gssize)cut);
		} else if (op == 1) {
			const char *t = tokens[xb_rng_below(
			    rng, sizeof(tokens) / sizeof(tokens[0]))];

			g_string_insert(s, (gssize)pos, t);
		} else {
			size_t from = (size_t)xb_rng_below(rng, s->len + 1);
			size_t len = 1 + (size_t)xb_rng_below(rng, 40);
			char *copy;

			if (from + len > s->len)
				len = s->len - from;
			copy = g_strndup(s->str + from, len);
			g_string_insert(s, (gssize)pos, copy);
			g_free(copy);
		}
	}
}

/* Plain stdio: g_file_set_contents() syncs, which is slow here. */
static void write_file(const char *path, const GString *s)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(s->str, 1, s->len, f), s->len);
	cr_assert_eq(fclose(f), 0);
}

/* "PATH:LINE:COL: error: MESSAGE" with LINE, COL >= 1 and no newline. */
static void assert_one_error_line(const char *path, const char *msg)
{
	size_t plen = strlen(path);
	unsigned line = 0, col = 0;
	int used = 0;

	cr_assert(!strncmp(msg, path, plen) && msg[plen] == ':', "%s", msg);
	cr_assert_eq(
	    sscanf(msg + plen, ":%u:%u: error: %n", &line, &col, &used), 2,
	    "%s", msg);
	cr_assert(line >= 1 && col >= 1 && used > 0, "%s", msg);
	cr_assert(msg[plen + (size_t)used] != '\0', "empty message: %s", msg);
	cr_assert_null(strchr(msg, '\n'), "two lines: %s", msg);
}

Test(mutations, every_mutant_loads_or_gets_one_error_line, .timeout = 600)
{
	char *good = NULL, *dir = g_dir_make_tmp("xb-mut-XXXXXX", NULL);
	char *path = g_build_filename(dir, "m.yaml", NULL);
	unsigned loaded = 0, refused = 0;
	struct xb_rng rng;

	cr_assert(g_file_get_contents(
	    xbt_source_path("tests/scenario/good/contract-example.yaml"), &good,
	    NULL, NULL));
	xb_rng_seed(&rng, 20261126);
	for (unsigned i = 0; i < 3000; i++) {
		GString *s = g_string_new(good);
		GError *error = NULL;
		struct xb_scenario *scn;

		mutate(&rng, s);
		write_file(path, s);
		scn = xb_scenario_load(path, &error);
		if (scn) {
			cr_assert_null(error);
			loaded++;
			/* What loaded keeps the struct's invariants. */
			cr_assert_leq(scn->guest.frames, scn->guest.max_frames);
			cr_assert_leq(scn->guest.max_frames, scn->host.frames);
			for (size_t e = 1; e < scn->nr_events; e++)
				cr_assert_geq(scn->events[e].at,
					      scn->events[e - 1].at);
			xb_scenario_free(scn);
		} else {
			cr_assert(
			    g_error_matches(error, XB_ERROR, XB_ERROR_INVALID));
			assert_one_error_line(path, error->message);
			g_error_free(error);
			refused++;
		}
		g_string_free(s, TRUE);
	}
	/* The mutations are strong enough to break most files, and mild
	 * enough that some (comments, descriptions) survive. */
	cr_log_info("%u loaded, %u refused", loaded, refused);
	cr_assert_gt(refused, 1500);
	cr_assert_gt(loaded, 50);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
	g_free(good);
}
