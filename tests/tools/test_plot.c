/*
 * `xballoon run --map-every` and `xballoon plot`: a small boot-shrink run
 * under linux and huge-first writes map.txt with the derived region states,
 * and plot draws both runs into PNG and SVG files of the expected size.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "support/testutil.h"

/* boot-shrink at 1/64 scale: 64 MiB (32 regions) down to 16 MiB at 1 s,
 * back at 3 s; small enough for the checker-heavy debug builds. */
static const char scenario[] = "name: small-shrink\n"
			       "seed: 1\n"
			       "duration: 4s\n"
			       "sample: 1s\n"
			       "host:\n"
			       "  memory: 128MiB\n"
			       "guest:\n"
			       "  type: hvm\n"
			       "  memory: 64MiB\n"
			       "  maxmem: 64MiB\n"
			       "  kernel_reserved: 0B\n"
			       "timeline:\n"
			       "  - at: 1s\n"
			       "    target: 16MiB\n"
			       "  - at: 3s\n"
			       "    target: 64MiB\n";

static char *tmp;

static void setup(void)
{
	GError *err = NULL;

	tmp = g_dir_make_tmp("xb-plot-XXXXXX", &err);
	cr_assert_not_null(tmp);
}

static void teardown(void)
{
	xbt_rm_tree(tmp);
	g_free(tmp);
}

TestSuite(plot, .init = setup, .fini = teardown);

/* Run the binary with args in the temp dir; returns its exit status. */
static int xb(const char *const *args, char **out)
{
	return xbt_xballoon(tmp, args, out, NULL);
}

static void run_policy(const char *policy, const char *dir)
{
	char *path = g_build_filename(tmp, "small.yaml", NULL);
	const char *args[] = {"run", "small.yaml",  "--policy", policy, "--out",
			      dir,   "--map-every", "1s",	NULL};

	cr_assert(g_file_set_contents(path, scenario, -1, NULL));
	cr_assert_eq(xb(args, NULL), 0, "run --policy %s", policy);
	g_free(path);
}

static char *slurp(const char *rel, gsize *len)
{
	char *path = g_build_filename(tmp, rel, NULL);
	char *data = NULL;

	cr_assert(g_file_get_contents(path, &data, len, NULL), "no %s", rel);
	g_free(path);
	return data;
}

static unsigned count(const char *s, char c)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* map.txt: the comment, then maps at 0..4 s. At 2 s, 48 of 64 MiB are
 * ballooned: 24 regions, as 2 MiB pages (huge-first) or as 4 KiB pages
 * (linux) of whole regions of the untouched guest (no kernel memory);
 * 8 regions stay free. */
static void check_map(const char *dir, char ballooned)
{
	char *rel = g_build_filename(dir, "map.txt", NULL);
	char *text = slurp(rel, NULL);
	char **lines = g_strsplit(text, "\n", -1);
	const char *times[] = {"0.000", "1.000", "2.000", "3.000", "4.000"};

	cr_assert_eq(lines[0][0], '#');
	cr_assert_eq(g_strv_length(lines), 7); /* trailing newline */
	for (int i = 0; i < 5; i++) {
		char **f = g_strsplit(lines[i + 1], " ", -1);

		cr_assert_str_eq(f[0], times[i]);
		cr_assert_eq(strlen(f[1]), 32);
		if (i == 2 || i == 3) {
			cr_assert_eq(count(f[1], ballooned), 24, "%s", f[1]);
			cr_assert_eq(count(f[1], 'f'), 8, "%s", f[1]);
		} else {
			cr_assert_eq(count(f[1], 'f'), 32, "%s", f[1]);
		}
		g_strfreev(f);
	}
	g_strfreev(lines);
	g_free(text);
	g_free(rel);
}

static unsigned be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
	       (unsigned)p[2] << 8 | p[3];
}

static void check_png(const char *rel, unsigned w, unsigned h)
{
	static const unsigned char sig[8] = {0x89, 'P',	 'N',  'G',
					     '\r', '\n', 0x1a, '\n'};
	gsize len;
	unsigned char *d = (unsigned char *)slurp(rel, &len);

	cr_assert_gt(len, 1000, "%s: %zu bytes", rel, (size_t)len);
	cr_assert_eq(memcmp(d, sig, 8), 0, "%s: not a PNG", rel);
	/* IHDR first: width and height, big-endian. */
	cr_assert_eq(memcmp(d + 12, "IHDR", 4), 0);
	cr_assert_eq(be32(d + 16), w, "%s: width %u", rel, be32(d + 16));
	cr_assert_eq(be32(d + 20), h, "%s: height %u", rel, be32(d + 20));
	g_free(d);
}

static void check_svg(const char *rel)
{
	gsize len;
	char *d = slurp(rel, &len);

	cr_assert_gt(len, 1000);
	cr_assert_not_null(strstr(d, "<svg"), "%s: no <svg", rel);
	g_free(d);
}

Test(plot, runs_with_maps_make_curves_and_maps)
{
	char *out = NULL;
	const char *plot[] = {"plot", "d1", "d2", "--out", "p", NULL};

	run_policy("linux", "d1");
	run_policy("huge-first", "d2");
	check_map("d1", 's');
	check_map("d2", 'H');
	cr_assert_eq(xb(plot, &out), 0);
	cr_assert_str_eq(out, "p-curves.png p-curves.svg\n"
			      "p-map.png p-map.svg\n");
	g_free(out);
	check_png("p-curves.png", 1200, 860);
	/* Five maps a run of one 64-region row at 5 px a cell:
	 * 150 + 5 * (320 + 28) + 20 wide, 90 + 2 * (5 + 70) + 130 high. */
	check_png("p-map.png", 1910, 370);
	check_svg("p-curves.svg");
	check_svg("p-map.svg");
}

Test(plot, last_only_and_no_maps)
{
	const char *run[] = {"run", "small.yaml", "--out", "d0", NULL};
	const char *plot[] = {"plot", "d0", NULL};
	const char *plot2[] = {"plot", "d1", "--last", "--out", "q", NULL};
	char *path = g_build_filename(tmp, "small.yaml", NULL);
	char *p;

	cr_assert(g_file_set_contents(path, scenario, -1, NULL));
	g_free(path);
	/* Maps off: no map.txt, curves only, next to the run. */
	cr_assert_eq(xb(run, NULL), 0);
	p = g_build_filename(tmp, "d0", "map.txt", NULL);
	cr_assert_not(g_file_test(p, G_FILE_TEST_EXISTS));
	g_free(p);
	cr_assert_eq(xb(plot, NULL), 0);
	check_png("d0/plot-curves.png", 1200, 860);
	p = g_build_filename(tmp, "d0", "plot-map.png", NULL);
	cr_assert_not(g_file_test(p, G_FILE_TEST_EXISTS));
	g_free(p);
	/* --last: one map; the width floor of 1000 px applies. */
	run_policy("linux", "d1");
	cr_assert_eq(xb(plot2, NULL), 0);
	check_png("q-map.png", 1000, 90 + 75 + 130);
}

Test(plot, bad_inputs_exit_2)
{
	const char *none[] = {"plot", NULL};
	const char *missing[] = {"plot", "nowhere", NULL};
	/* Usage errors come before the scenario is read (x.yaml is absent,
	 * and the messages say what is wrong). */
	const char *no_out[] = {"run", "x.yaml", "--map-every", "1s", NULL};
	const char *zero[] = {"run",   "x.yaml", "--map-every", "0s",
			      "--out", "d",	 NULL};

	cr_assert_eq(xb(none, NULL), 2);
	cr_assert_eq(xb(missing, NULL), 2);
	cr_assert_eq(xb(no_out, NULL), 2);
	cr_assert_eq(xb(zero, NULL), 2);
}
