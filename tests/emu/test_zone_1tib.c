/*
 * A 1 TiB guest zone (2^28 frames) can be created, onlined, used and
 * checked. Not timed; skipped with a message when the machine lacks the
 * memory (MemAvailable) or when the checkers run after every operation.
 */
#include <criterion/criterion.h>
#include <stdio.h>

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
 * head per 16 KiB of records) and the checkers only read the rest (the
 * kernel's zero page). Ask for the whole array plus 1 GiB of slack. */
static void skip_unless_memory(void)
{
	uint64_t need = FRAMES * sizeof(struct xb_frame) + (1ull << 30);
	uint64_t have = mem_available();

	if (XB_DEBUG >= 3)
		cr_skip_test("a 1 TiB zone is not checked at XB_DEBUG=3: the "
			     "checker after each of its 2^18 onlines would "
			     "walk 2^28 frames");
	if (have < need)
		cr_skip_test("a 1 TiB zone needs %.1f GiB available; this "
			     "machine has %.1f GiB (MemAvailable)",
			     (double)need / (1 << 30),
			     (double)have / (1 << 30));
}

Test(zone_1tib, created_onlined_used_and_checked, .timeout = 900)
{
	skip_unless_memory();

	struct xb_zone *z = xb_zone_create(FRAMES);

	cr_assert_not_null(z);
	cr_assert_eq(z->nr_pageblocks, FRAMES >> XB_PAGEBLOCK_ORDER);
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
	 * splits the first order-10 block (Linux's expand() keeps the low
	 * half and frees the upper halves), and a 2 MiB page then takes the
	 * freed upper half of that block. */
	xb_pfn_t p0 = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);
	xb_pfn_t p9 = xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 1);

	cr_assert_eq(p0, 0);
	cr_assert_eq(p9, 512);
	cr_assert_eq(z->nr_state[XB_FRAME_ALLOC], 513);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, XB_MAX_ORDER - 1),
		     (FRAMES >> (XB_MAX_ORDER - 1)) - 1);
	/* The last frame of the zone, far from the others. */
	cr_assert(xb_zone_carve(z, (xb_pfn_t)(FRAMES - 1), 0) == false,
		  "a free frame is not carved");
	cr_assert(xb__zone_is_valid(z));

	xb_zone_free(z, p9);
	xb_zone_free(z, p0);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], FRAMES);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, XB_MAX_ORDER - 1),
		     FRAMES >> (XB_MAX_ORDER - 1));
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}
