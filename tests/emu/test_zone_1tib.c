/*
 * A 1 TiB guest zone (2^28 frames) can be created, onlined, used and
 * checked, and the shipped 1 TiB scenario replays to its golden report.
 * Not timed; skipped with a message when the machine lacks the memory
 * (MemAvailable) or when the checkers run after every operation.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "support/testutil.h"
#include "xballoon/run.h"
#include "xballoon/zone.h"

#define FRAMES (1ull << 28) /* 1 TiB of 4 KiB frames */

/* MemAvailable from /proc/meminfo in bytes; 0 when unknown. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* The frame array is 4 GiB; onlining writes a quarter of it (one order-10
 * head per 16 KiB of records), and the checkers skip the pages the kernel
 * never backed (xb_mem_unbacked()), which reading would back on a kernel
 * that maps no zero page for anonymous reads: the test peaks at 1.0 GiB
 * resident. Ask for 2 GiB. */
static void skip_unless_memory(uint64_t need)
{
	uint64_t have = mem_available();

	if (XB_DEBUG >= 3)
		cr_skip_test("1 TiB tests are not run at XB_DEBUG=3: the "
			     "checker after every zone operation (2^18 "
			     "onlines alone) would walk 2^28 frames each time");
	if (have < need)
		cr_skip_test("this 1 TiB test needs %.1f GiB available; this "
			     "machine has %.1f GiB (MemAvailable)",
			     (double)need / (1 << 30),
			     (double)have / (1 << 30));
}

Test(zone_1tib, created_onlined_used_and_checked, .timeout = 900)
{
	skip_unless_memory(2ull << 30);

	struct xb_zone *z = xb_zone_create(FRAMES);

	cr_assert_not_null(z);
	cr_assert_eq(z->nr_pageblocks, FRAMES >> XB_PAGEBLOCK_ORDER_DEFAULT);
	cr_assert_eq(z->nr_state[XB_FRAME_UNPOPULATED], FRAMES);
	cr_assert(xb__zone_is_valid(z));

	xb_zone_online_all(z);
	cr_assert_eq(z->managed, FRAMES);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], FRAMES);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, XB_MAX_ORDER - 1),
		     FRAMES >> (XB_MAX_ORDER - 1));
	/* min_free_kbytes = sqrt(2^30 KiB * 16) = 131072 -> 32768 pages;
	 * low/high add 0.1 % of managed (268435) once and twice. */
	cr_assert_eq(z->min_free_kbytes, 131072);
	cr_assert_eq(z->watermark[XB_WMARK_MIN], 32768);
	cr_assert_eq(z->watermark[XB_WMARK_LOW], 32768 + 268435);
	cr_assert_eq(z->watermark[XB_WMARK_HIGH], 32768 + 2 * 268435);

	/* Boot memory is handed out in ascending order: an order-0 page
	 * comes with a batch of 63 for the per-CPU list, split off the
	 * first order-10 block (Linux's expand() keeps the low half and
	 * frees the upper halves); a 2 MiB page comes with one more for the
	 * list (two at pageblock order): the freed upper half of that block,
	 * then the lower half of the next one. */
	xb_pfn_t p0 = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);
	xb_pfn_t p9 = xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 1);

	cr_assert_eq(p0, 0);
	cr_assert_eq(p9, 512);
	cr_assert_eq(z->nr_state[XB_FRAME_ALLOC], 513);
	cr_assert_eq(z->nr_state[XB_FRAME_PCP], 62 + 512);
	cr_assert_eq(z->frames[1024].state, XB_FRAME_PCP);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, XB_MAX_ORDER - 1),
		     (FRAMES >> (XB_MAX_ORDER - 1)) - 2);
	/* The last frame of the zone, far from the others. */
	cr_assert(xb_zone_carve(z, (xb_pfn_t)(FRAMES - 1), 0) == false,
		  "a free frame is not carved");
	cr_assert(xb__zone_is_valid(z));

	xb_zone_free(z, p9);
	xb_zone_free(z, p0);
	xb_zone_drain_pcp(z);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], FRAMES);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, XB_MAX_ORDER - 1),
		     FRAMES >> (XB_MAX_ORDER - 1));
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/*
 * scenarios/huge-guest.yaml (1 TiB guest, 1.25 TiB host) replays to
 * scenarios/huge-guest.expected.json, wall time zeroed, as the golden test
 * does for the smaller scenarios. Its peak RSS is 5.3 GiB (bench/README.md,
 * measured where anonymous reads back pages): ask for 6 GiB.
 */
Test(zone_1tib, huge_guest_scenario_matches_its_golden, .timeout = 900)
{
	skip_unless_memory(6ull << 30);

	const char *dir = xbt_source_path("");
	char *yaml = g_strdup_printf("%s/scenarios/huge-guest.yaml", dir);
	char *golden =
	    g_strdup_printf("%s/scenarios/huge-guest.expected.json", dir);
	GError *err = NULL;
	struct xb_scenario *sc = xb_scenario_load(yaml, &err);
	struct xb_run_options opt = {0};
	struct xb_run_result res;
	char *got = NULL, *want = NULL;
	size_t len = 0;

	cr_assert_not_null(sc, "%s", err ? err->message : "");
	cr_assert(xb_scenario_check_policy(
		      sc, &xb_scenario_default_policy_check, NULL, &err),
		  "%s", err ? err->message : "");
	cr_assert(xb_run(sc, &opt, &res, &err), "%s", err ? err->message : "");
	cr_assert_eq(res.violations, 0);
	cr_assert_eq(res.checks, 5, "four samples and the final check");
	cr_assert(res.target_reached);
	res.wall_time_s = 0;
	FILE *f = open_memstream(&got, &len);

	xb_report_write_json(&res, f);
	fclose(f);
	cr_assert(g_file_get_contents(golden, &want, NULL, NULL), "missing %s",
		  golden);
	cr_assert_str_eq(got, want, "huge-guest: the report changed");
	free(got);
	g_free(want);
	xb_run_result_clear(&res);
	xb_scenario_free(sc);
	g_free(yaml);
	g_free(golden);
}
