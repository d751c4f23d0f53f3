/*
 * `xballoon zone`: build a guest zone of N frames, apply a seeded allocation
 * pattern and print /proc/buddyinfo, /proc/pagetypeinfo and the
 * fragmentation metrics, checking the zone's invariants at the end.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cmd.h"
#include "xballoon/rng.h"
#include "xballoon/zone.h"

/* Every frame taken at order 0, then 3 of every 4 freed in each 2 MiB
 * region: the classic fragmentation pattern. */
static void pattern_fragmenter(struct xb_zone *z, struct xb_rng *rng)
{
	xb_pfn_t p;

	while ((p = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0)) != XB_NIL)
		;
	for (uint64_t pfn = z->start_pfn; pfn < z->end_pfn; pfn++)
		if (z->frames[pfn].state == XB_FRAME_ALLOC &&
		    xb_rng_below(rng, 4) != 0)
			xb_zone_free(z, (xb_pfn_t)pfn);
}

static void pattern_random(struct xb_zone *z, struct xb_rng *rng)
{
	uint64_t ops = z->nr_frames * 4;
	xb_pfn_t *held = g_new(xb_pfn_t, z->nr_frames);
	uint64_t n = 0;

	for (uint64_t i = 0; i < ops; i++) {
		if (n == 0 || xb_rng_below(rng, 100) < 55) {
			unsigned order = (unsigned)xb_rng_below(rng, 4);
			unsigned mt = (unsigned)xb_rng_below(rng, 3);
			xb_pfn_t p = xb_zone_alloc(z, order, mt, 0, 1, 0);

			if (p != XB_NIL)
				held[n++] = p;
		} else {
			uint64_t k = xb_rng_below(rng, n);

			xb_zone_free(z, held[k]);
			held[k] = held[--n];
		}
	}
	g_free(held);
}

int cmd_zone(int argc, char **argv)
{
	uint64_t frames = 1u << 18, seed = 1;
	const char *pattern = "fragmenter", *operand = NULL, *nr = NULL;
	const struct xb_cli_opt opts[] = {
	    {"--frames", XB_CLI_STRING, &nr, NULL},
	    {"--seed", XB_CLI_U64, &seed, NULL},
	    {"--pattern", XB_CLI_STRING, &pattern, NULL},
	    {NULL, XB_CLI_FLAG, NULL, NULL},
	};

	if (xb_cli_parse(argc, argv, opts, &operand, "argument") < 0)
		return XB_EXIT_USAGE;
	if (operand) {
		xb_cli_error("zone takes no argument, got '%s'", operand);
		return XB_EXIT_USAGE;
	}
	if (nr && xb_cli_parse_u64("--frames", nr, 1, XB_MAX_FRAMES, &frames))
		return XB_EXIT_USAGE;
	if (strcmp(pattern, "fill") && strcmp(pattern, "fragmenter") &&
	    strcmp(pattern, "random")) {
		xb_cli_error("--pattern: expected fill, fragmenter or random, "
			     "got '%s'",
			     pattern);
		return XB_EXIT_USAGE;
	}

	struct xb_zone *z = xb_zone_create(frames);
	struct xb_rng rng;

	if (!z) {
		xb_cli_error("cannot map metadata for %llu frames",
			     (unsigned long long)frames);
		return XB_EXIT_FAILURE;
	}
	xb_rng_seed(&rng, seed);
	xb_zone_online_all(z);
	if (!strcmp(pattern, "fragmenter"))
		pattern_fragmenter(z, &rng);
	else if (!strcmp(pattern, "random"))
		pattern_random(z, &rng);
	else
		while (xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0) != XB_NIL)
			;

	xb_zone_print_buddyinfo(z, stdout);
	putchar('\n');
	xb_zone_print_pagetypeinfo(z, stdout);
	printf("\nfree %llu of %llu frames; Fu(9) %.3f; fragmentation index(9) "
	       "%.3f\n",
	       (unsigned long long)xb_zone_free_pages(z),
	       (unsigned long long)frames, xb_zone_unusable_index(z, 9),
	       xb_zone_frag_index(z, 9));
	bool ok = xb__zone_is_valid(z);

	printf("invariants: %s\n", ok ? "ok" : "VIOLATED");
	xb_zone_destroy(z);
	return ok ? XB_EXIT_OK : XB_EXIT_FAILURE;
}
