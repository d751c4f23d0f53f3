/*
 * The guest zone: boot/online, allocation with migratetypes, fallback
 * stealing, watermarks, isolation, state accounting, metrics, and a seeded
 * random run of a million mixed operations.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <signal.h>
#include <stdlib.h>

#include "support/testutil.h"
#include "xballoon/rng.h"
#include "xballoon/zone.h"

Test(zone, created_zone_is_all_unpopulated)
{
	struct xb_zone *z = xb_zone_create(3000);

	cr_assert_eq(z->nr_state[XB_FRAME_UNPOPULATED], 3000);
	cr_assert_eq(z->managed, 0);
	cr_assert_eq(z->nr_pageblocks, 6);
	/* 3000 = 2048 (2 x order 10) + 512 + 256 + 128 + 32 + 16 + 8 */
	cr_assert_eq(z->frames[2048].order, 9);
	cr_assert_eq(z->frames[2992].order, 3);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

Test(zone, online_carves_and_counts)
{
	struct xb_zone *z = xb_zone_create(2048);

	xb_zone_online(z, 512, 9);
	cr_assert_eq(z->managed, 512);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], 512);
	cr_assert_eq(z->nr_state[XB_FRAME_UNPOPULATED], 1536);
	cr_assert_eq(z->frames[0].state, XB_FRAME_UNPOPULATED);
	cr_assert_eq(z->frames[0].order, 9);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 9), 1);
	xb_zone_online(z, 0, 9);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 1, "buddies merge");
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

Test(zone, watermarks_follow_linux_formula)
{
	/* 1 GiB: min_free_kbytes = sqrt(1048576 * 16) = 4096 -> 1024 pages;
	 * low = min + max(min/4, 0.1% of 262144 = 262). */
	struct xb_zone *z = xbt_zone_online(262144);

	cr_assert_eq(z->min_free_kbytes, 4096);
	cr_assert_eq(z->watermark[XB_WMARK_MIN], 1024);
	cr_assert_eq(z->watermark[XB_WMARK_LOW], 1286);
	cr_assert_eq(z->watermark[XB_WMARK_HIGH], 1548);
	xb_zone_destroy(z);
}

Test(zone, small_zone_watermarks)
{
	struct xb_zone *z = xbt_zone_online(1024);

	/* sqrt(4096 KiB * 16) = 256; low/high step max(64 / 4, 1) = 16. */
	cr_assert_eq(z->min_free_kbytes, 256);
	cr_assert_eq(z->watermark[XB_WMARK_MIN], 64);
	cr_assert_eq(z->watermark[XB_WMARK_LOW], 80);
	cr_assert_eq(z->watermark[XB_WMARK_HIGH], 96);
	xb_zone_destroy(z);
}

Test(zone, allocation_stops_at_the_min_watermark)
{
	struct xb_zone *z = xbt_zone_online(1024);
	uint64_t n = 0;

	while (xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0) != XB_NIL)
		n++;
	/* order 0 succeeds while free > min (64): 1024 - 64 allocations. */
	cr_assert_eq(n, 960);
	cr_assert_eq(xb_zone_free_pages(z), 64);
	cr_assert_eq(z->stats.alloc_fail, 1);
	xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, 1, 0);
	cr_assert_eq(xb_zone_free_pages(z), 63, "NOWMARK dips into reserve");
	xb_zone_destroy(z);
}

Test(zone, alloc_records_owner_and_slot)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);
	xb_pfn_t p = xb_zone_alloc(z, 2, XB_MT_MOVABLE, 0, 77, 1234);

	cr_assert_eq(p, 0);
	cr_assert_eq(z->frames[p].state, XB_FRAME_ALLOC);
	cr_assert_eq(z->frames[p].owner, 77);
	cr_assert_eq(z->frames[p].next, 1234);
	cr_assert_eq(z->frames[p].type, XB_MT_MOVABLE);
	cr_assert_eq(z->nr_state[XB_FRAME_ALLOC], 4);
	xb_zone_free(z, p);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], 1024);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 1);
	xb_zone_destroy(z);
}

Test(zone, unmovable_fallback_steals_whole_large_block)
{
	struct xb_zone *z = xbt_zone_online_nowmark(2048);
	xb_pfn_t p = xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, 0, 1, 0);

	/* No unmovable free list: __rmqueue_fallback takes the largest
	 * movable block (order 10), which spans two pageblocks; both change
	 * type, and the block is split on the unmovable list. */
	cr_assert_eq(p, 0);
	cr_assert_eq(z->stats.extfrag_fallback, 1);
	cr_assert_eq(z->stats.extfrag_steal, 2);
	cr_assert_eq(xb_zone_pageblock_mt(z, 0), XB_MT_UNMOVABLE);
	cr_assert_eq(xb_zone_pageblock_mt(z, 512), XB_MT_UNMOVABLE);
	cr_assert_eq(xb_zone_pageblock_mt(z, 1024), XB_MT_MOVABLE);
	cr_assert_eq(z->buddy.area[9][XB_MT_UNMOVABLE].nr_free, 1);
	cr_assert_eq(z->buddy.area[10][XB_MT_MOVABLE].nr_free, 1);
	/* A second unmovable allocation is served without fallback. */
	cr_assert_eq(xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, 0, 1, 1), 1);
	cr_assert_eq(z->stats.extfrag_fallback, 1);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

Test(zone, small_fallback_claims_pageblock_when_half_free)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);
	xb_pfn_t keep[1024];

	/* Sequential order-0 movable allocations fill 0..767, leaving the
	 * order-8 block at 768 as the only free block, in pageblock 1. */
	for (int i = 0; i < 1024 - 256; i++)
		keep[i] = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, i);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 8), 1);
	cr_assert_eq(z->buddy.area[8][XB_MT_MOVABLE].head, 768);
	xb_pfn_t p = xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, 0, 2, 0);

	/* order 8 >= pageblock_order / 2, so the whole block's free pages
	 * move; free (256) + alike (start type unmovable, old type movable:
	 * 512 - (256 free + 256 movable) = 0) >= 256: the block is claimed. */
	cr_assert_eq(p, 768);
	cr_assert_eq(z->stats.extfrag_steal, 1);
	cr_assert_eq(xb_zone_pageblock_mt(z, p), XB_MT_UNMOVABLE);
	cr_assert(xb__zone_is_valid(z));
	(void)keep;
	xb_zone_destroy(z);
}

Test(zone, movable_fallback_steals_a_whole_pageblock)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);

	/* Make pageblock 0 unmovable by an unmovable allocation. */
	xb_pfn_t u = xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, 0, 1, 0);

	cr_assert_eq(xb_zone_pageblock_mt(z, u), XB_MT_UNMOVABLE);
	cr_assert_eq(xb_zone_pageblock_mt(z, 512), XB_MT_UNMOVABLE);
	/* Every free block is on the unmovable list now. The largest
	 * fallback for a movable request is the order-9 block at 512, and at
	 * pageblock order stealing is allowed: pageblock 1 turns movable. */
	xb_pfn_t m = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);

	cr_assert_eq(m, 512);
	cr_assert_eq(xb_zone_pageblock_mt(z, 512), XB_MT_MOVABLE);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

Test(zone, isolated_pageblock_is_out_of_reach)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);

	cr_assert(xb_zone_isolate_pageblock(z, 512));
	cr_assert_not(xb_zone_isolate_pageblock(z, 512));
	/* The order-10 free block straddled the pageblock: it is split
	 * (split_free_page) and only the isolated half leaves reach. */
	cr_assert_eq(xb_zone_free_pages(z), 512);
	cr_assert_eq(z->buddy.area[9][XB_MT_ISOLATE].nr_free, 1);
	cr_assert_eq(xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 0), 0);
	cr_assert_eq(xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0), XB_NIL);
	xb_zone_free(z, 0);
	xb_zone_unisolate_pageblock(z, 512, XB_MT_MOVABLE);
	cr_assert_eq(xb_zone_free_pages(z), 1024);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

Test(zone, isolated_pageblock_keeps_freed_pages_apart)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);
	xb_pfn_t a = xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 0);
	xb_pfn_t b = xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 1);

	cr_assert_eq(a, 0);
	cr_assert_eq(b, 512);
	cr_assert(xb_zone_isolate_pageblock(z, 512));
	xb_zone_free(z, a);
	xb_zone_free(z, b);
	/* No merge across the isolate boundary. */
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 0);
	cr_assert_eq(z->buddy.area[9][XB_MT_ISOLATE].nr_free, 1);
	cr_assert_eq(xb_zone_free_pages(z), 512);
	xb_zone_unisolate_pageblock(z, 512, XB_MT_MOVABLE);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 1);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

Test(zone, state_changes_keep_conservation)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);
	xb_pfn_t p = xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 0);

	xb_zone_set_state(z, p, XB_FRAME_BALLOON, 9);
	xb_zone_set_state(z, p, XB_FRAME_UNPOPULATED, 9);
	cr_assert_eq(z->managed, 512);
	cr_assert_eq(z->nr_state[XB_FRAME_UNPOPULATED], 512);
	cr_assert_eq(xb_zone_split(z, p, 0), 512);
	cr_assert_eq(z->frames[p + 7].state, XB_FRAME_UNPOPULATED);
	cr_assert_eq(z->frames[p + 7].order, 0);
	cr_assert_eq(z->frames[p + 7].owner, 9);
	xb_zone_set_state(z, p + 7, XB_FRAME_BALLOON, 9);
	xb_zone_free(z, p + 7);
	cr_assert_eq(z->managed, 513);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], 513);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

Test(zone, checker_sees_bad_counter)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);

	z->nr_state[XB_FRAME_ALLOC] += 1;
	cr_assert_not(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/* The O(1) half of the checker, asserted after every zone operation:
 * each counter an operation moves is caught drifting from its mirror; the
 * sums over every state and list are caught by the summaries, checked at
 * every sample; the whole checker sees every one of them. */
Test(zone, counters_and_summaries_see_each_drift)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);
	uint64_t *const mirrored[] = {
	    &z->nr_state[XB_FRAME_FREE],
	    &z->nr_state[XB_FRAME_PCP],
	    &z->nr_state[XB_FRAME_UNPOPULATED],
	    &z->pcp.count,
	    &z->managed,
	    &z->buddy.nr_free_pages,
	};
	uint64_t *const summed[] = {
	    &z->nr_state[XB_FRAME_ALLOC],
	    &z->nr_state[XB_FRAME_BALLOON],
	    &z->buddy.list_pages[XB_MT_MOVABLE],
	    &z->buddy.area[3][XB_MT_UNMOVABLE].nr_free,
	};

	cr_assert(xb__zone_counters_ok(z));
	cr_assert(xb__zone_summaries_ok(z));
	for (unsigned i = 0; i < sizeof(mirrored) / sizeof(mirrored[0]); i++) {
		*mirrored[i] += 1;
		cr_assert_not(xb__zone_counters_ok(z), "field %u", i);
		cr_assert_not(xb__zone_summaries_ok(z), "field %u", i);
		cr_assert_not(xb__zone_is_valid(z), "field %u", i);
		*mirrored[i] -= 1;
	}
	for (unsigned i = 0; i < sizeof(summed) / sizeof(summed[0]); i++) {
		*summed[i] += 1;
		cr_assert(xb__zone_counters_ok(z), "field %u", i);
		cr_assert_not(xb__zone_summaries_ok(z), "field %u", i);
		cr_assert_not(xb__zone_is_valid(z), "field %u", i);
		*summed[i] -= 1;
	}
	z->reserved = z->nr_state[XB_FRAME_ALLOC] + 1;
	cr_assert_not(xb__zone_summaries_ok(z));
	z->reserved = 0;
	z->buddy.nonempty[XB_MT_MOVABLE] ^= 1u << 10;
	cr_assert_not(xb__zone_summaries_ok(z));
	z->buddy.nonempty[XB_MT_MOVABLE] ^= 1u << 10;
	cr_assert(xb__zone_summaries_ok(z));
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/* ... and the operation after a drift aborts, whatever XB_DEBUG. */
Test(zone, operation_after_a_drift_aborts, .signal = SIGABRT)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);

	z->nr_state[XB_FRAME_FREE] += 1;
	xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, 1, 0);
}

Test(zone, checker_sees_free_block_on_wrong_isolate_list)
{
	struct xb_zone *z = xbt_zone_online_nowmark(1024);

	xb_zone_set_pageblock_mt(z, 0, XB_MT_ISOLATE);
	cr_assert_not(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/* Fragment: all frames taken at order 0, then every other one freed. */
static struct xb_zone *checkerboard(uint64_t n)
{
	struct xb_zone *z = xbt_zone_online_nowmark(n);

	for (uint64_t i = 0; i < n; i++)
		cr_assert_eq(xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0), i);
	for (uint64_t i = 0; i < n; i += 2)
		xb_zone_free(z, (xb_pfn_t)i);
	return z;
}

Test(zone_metrics, unfragmented_zone)
{
	struct xb_zone *z = xbt_zone_online_nowmark(2048);

	cr_assert_float_eq(xb_zone_unusable_index(z, 9), 0.0, 1e-12);
	cr_assert_float_eq(xb_zone_frag_index(z, 9), -1.0, 1e-12);
	cr_assert_eq(xb_zone_extfrag_for_order(z, 9), 0);
	xb_zone_destroy(z);
}

Test(zone_metrics, checkerboard_is_fully_unusable)
{
	struct xb_zone *z = checkerboard(1024);

	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 0), 512);
	cr_assert_float_eq(xb_zone_unusable_index(z, 9), 1.0, 1e-12);
	cr_assert_float_eq(xb_zone_unusable_index(z, 0), 0.0, 1e-12);
	/* 1000 - (1000 + 512 * 1000 / 512) / 512 = 1000 - 3 = 997 */
	cr_assert_float_eq(xb_zone_frag_index(z, 9), 0.997, 1e-12);
	cr_assert_eq(xb_zone_extfrag_for_order(z, 9), 100);
	xb_zone_destroy(z);
}

Test(zone_metrics, mixed_orders)
{
	/* free: one order-9 block (512) + 256 order-0 singles in the other
	 * pageblock -> Fu(9) = 256 / 768. */
	struct xb_zone *z = xbt_zone_online_nowmark(1024);

	for (uint64_t i = 0; i < 512; i++)
		xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);
	for (uint64_t i = 0; i < 512; i += 2)
		xb_zone_free(z, (xb_pfn_t)i);
	cr_assert_float_eq(xb_zone_unusable_index(z, 9), 256.0 / 768.0, 1e-12);
	cr_assert_float_eq(xb_zone_frag_index(z, 9), -1.0, 1e-12);
	cr_assert_float_eq(xb_zone_frag_index(z, 10),
			   (1000 - (1000 + 768 * 1000 / 1024) / 257) / 1000.0,
			   1e-12);
	cr_assert_eq(xb_zone_extfrag_for_order(z, 9), 33);
	xb_zone_destroy(z);
}

Test(zone_metrics, nothing_free)
{
	struct xb_zone *z = xbt_zone_online_nowmark(512);

	xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 0);
	cr_assert_float_eq(xb_zone_unusable_index(z, 9), 1.0, 1e-12);
	cr_assert_float_eq(xb_zone_frag_index(z, 9), 0.0, 1e-12);
	xb_zone_destroy(z);
}

Test(zone_metrics, buddyinfo_text_matches_linux_layout)
{
	struct xb_zone *z = checkerboard(1024);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	xb_zone_print_buddyinfo(z, f);
	fclose(f);
	cr_assert_str_eq(
	    buf, "Node 0, zone   Normal    512      0      0      0"
		 "      0      0      0      0      0      0      0 \n");
	free(buf);
	xb_zone_destroy(z);
}

Test(zone_metrics, pagetypeinfo_counts_blocks_by_type)
{
	struct xb_zone *z = xbt_zone_online_nowmark(2048);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, 0, 1, 0);
	f = open_memstream(&buf, &len);
	xb_zone_print_pagetypeinfo(z, f);
	fclose(f);
	cr_assert(strstr(buf, "Node    0, zone   Normal, type    Unmovable "
			      "     1      1      1      1      1      1      1"
			      "      1      1      1      0 \n"));
	cr_assert(strstr(buf, "Node 0, zone   Normal            2            2"
			      "            0            0 \n"));
	free(buf);
	xb_zone_destroy(z);
}

/*
 * A million seeded operations: allocations of every order and migratetype,
 * frees in random order, isolation toggles; the full checker runs every
 * 10000 operations and at the end, and the owner-slot table must agree with
 * the frames.
 */
Test(zone, isolate_free_takes_a_block_off_the_lists)
{
	struct xb_zone *z = xbt_zone_online_nowmark(2048);
	/* 2048 frames = 2 free order-10 blocks; take 8 frames out of the
	 * first so that [8, 16) is a free order-3 block. */
	xb_pfn_t p = xb_zone_alloc(z, 3, XB_MT_MOVABLE, 0, 1, 0);

	cr_assert_eq(p, 0);
	cr_assert_eq(z->frames[8].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[8].order, 3);
	cr_assert_eq(xb_zone_isolate_free(z, 8), 3);
	cr_assert_eq(z->frames[8].state, XB_FRAME_ISOLATED);
	cr_assert_eq(z->frames[8].owner, XB_OWNER_NONE);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], 2048 - 16);
	cr_assert_eq(z->nr_state[XB_FRAME_ISOLATED], 8);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 3), 0);
	cr_assert(xb__zone_is_valid(z));
	/* Split as compaction does and free every piece: they merge back. */
	cr_assert_eq(xb_zone_split(z, 8, 0), 8);
	for (xb_pfn_t q = 8; q < 16; q++)
		xb_zone_free(z, q);
	xb_zone_free(z, 0);
	cr_assert_eq(z->nr_state[XB_FRAME_ISOLATED], 0);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 2);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

Test(zone, isolating_a_pageblock_drops_its_skip_hint)
{
	struct xb_zone *z = xbt_zone_online_nowmark(2048);

	z->pageblock[1] |= XB_PB_SKIP;
	cr_assert(xb_zone_isolate_pageblock(z, 512));
	cr_assert_eq(z->pageblock[1], XB_MT_ISOLATE);
	xb_zone_unisolate_pageblock(z, 512, XB_MT_MOVABLE);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 2);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/* An order-10 block allocated before its upper pageblock was isolated is
 * freed as two order-9 blocks, each on its own pageblock's list, so that
 * splitting the lower one later cannot put an isolated half on the
 * movable list. */
Test(zone, freeing_a_block_across_an_isolated_pageblock)
{
	struct xb_zone *z = xbt_zone_online_nowmark(2048);
	xb_pfn_t p = xb_zone_alloc(z, 10, XB_MT_MOVABLE, 0, 1, 0);

	cr_assert_eq(p, 0);
	cr_assert(xb_zone_isolate_pageblock(z, 512));
	xb_zone_free(z, 0);
	cr_assert_eq(z->frames[0].order, 9);
	cr_assert_eq(z->frames[0].type, XB_MT_MOVABLE);
	cr_assert_eq(z->frames[512].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[512].type, XB_MT_ISOLATE);
	cr_assert_eq(xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 0), 0);
	cr_assert(xb__zone_is_valid(z));
	cr_assert_eq(xb_zone_free_pages(z), 1024, "only block 1024 is usable");
	xb_zone_destroy(z);
}

Test(zone_random, million_mixed_operations, .timeout = 600)
{
	/* At XB_DEBUG=3 the zone is checked whole after every operation:
	 * a smaller zone keeps the million operations within the timeout. */
	const uint64_t n = XB_DEBUG >= 3 ? 1u << 12 : 1u << 16;
	struct xb_zone *z = xbt_zone_online(n);
	struct xb_rng rng;
	xb_pfn_t *held = calloc(n, sizeof(*held));
	uint32_t nheld = 0;
	uint64_t allocs = 0, frees = 0, fails = 0;

	/* No kswapd here to reclaim a boost away: a boost would stay for
	 * good (on the small debug zone, 512 pages on marks of ~160). */
	z->watermark_boost_factor = 0;
	xb_rng_seed(&rng, 42);
	for (uint32_t i = 0; i < 1000000; i++) {
		uint64_t r = xb_rng_below(&rng, 100);

		if (r < 55 || nheld == 0) {
			/* Orders skewed small, as real workloads are. */
			unsigned order =
			    (unsigned)(xb_rng_below(&rng, 4) == 0
					   ? xb_rng_below(&rng, XB_MAX_ORDER)
					   : xb_rng_below(&rng, 2));
			unsigned mt = (unsigned)xb_rng_below(&rng, 3);
			xb_pfn_t p = xb_zone_alloc(z, order, mt, 0, 1, nheld);

			if (p == XB_NIL) {
				fails++;
				continue;
			}
			cr_assert_eq(z->frames[p].order, order);
			cr_assert_eq(p & ((1u << order) - 1), 0);
			held[nheld++] = p;
			allocs++;
		} else if (r < 99) {
			uint32_t k = (uint32_t)xb_rng_below(&rng, nheld);
			xb_pfn_t p = held[k];

			cr_assert_eq(z->frames[p].next, k, "rmap slot");
			xb_zone_free(z, p);
			held[k] = held[--nheld];
			if (k < nheld)
				z->frames[held[k]].next = k;
			frees++;
		} else {
			xb_pfn_t pb =
			    (xb_pfn_t)(xb_rng_below(&rng, n / 512) * 512);
			if (xb_zone_pageblock_mt(z, pb) == XB_MT_ISOLATE)
				xb_zone_unisolate_pageblock(z, pb,
							    XB_MT_MOVABLE);
			else
				xb_zone_isolate_pageblock(z, pb);
		}
		if (i % 10000 == 0)
			cr_assert(xb__zone_is_valid(z), "after op %u", i);
	}
	cr_assert(xb__zone_is_valid(z));
	cr_assert_eq(z->nr_state[XB_FRAME_ALLOC] + z->nr_state[XB_FRAME_FREE] +
			 z->nr_state[XB_FRAME_PCP],
		     n);
	cr_assert_gt(z->stats.pgfree, z->nr_state[XB_FRAME_FREE],
		     "blocks went through the per-CPU lists");
	cr_assert_gt(allocs, 400000);
	cr_assert_gt(frees, 400000);
	cr_assert_gt(fails, 0, "the zone filled up at some point");
	cr_assert_gt(z->stats.extfrag_fallback, 0);
	/* Free everything: the zone must coalesce back to order-10 blocks. */
	for (uint32_t k = 0; k < nheld; k++)
		xb_zone_free(z, held[k]);
	cr_assert_gt(z->pcp.count, 0);
	xb_zone_drain_pcp(z);
	cr_assert_eq(z->pcp.count, 0);
	for (xb_pfn_t pb = 0; pb < n; pb += 512)
		if (xb_zone_pageblock_mt(z, pb) == XB_MT_ISOLATE)
			xb_zone_unisolate_pageblock(z, pb, XB_MT_MOVABLE);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), n / 1024);
	cr_assert(xb__zone_is_valid(z));
	free(held);
	xb_zone_destroy(z);
}

/* ---- the slow path (__alloc_pages_slowpath) ----------------------------- */

/* Hooks that record what the slow path asked for. */
struct slow_rec {
	unsigned reclaims, compacts, wakes;
	unsigned prio[64];
	unsigned wake_order, wake_flags;
	enum xb_compact_result result; /* what compaction answers */
	uint64_t reclaim_gives;	       /* what reclaim answers      */
};

static uint64_t rec_reclaim(struct xb_zone *z, void *priv, unsigned order)
{
	struct slow_rec *r = priv;

	r->reclaims++;
	return r->reclaim_gives;
}

static enum xb_compact_result rec_compact(struct xb_zone *z, void *priv,
					  unsigned order, unsigned mt,
					  unsigned prio)
{
	struct slow_rec *r = priv;

	if (r->compacts < 64)
		r->prio[r->compacts] = prio;
	r->compacts++;
	return r->result;
}

static void rec_wake(struct xb_zone *z, void *priv, unsigned order,
		     unsigned flags)
{
	struct slow_rec *r = priv;

	r->wakes++;
	r->wake_order = order;
	r->wake_flags = flags;
}

static const struct xb_zone_ops rec_ops = {
    .reclaim = rec_reclaim,
    .compact = rec_compact,
    .wake_kswapd = rec_wake,
};

/* A 16-pageblock zone where every pageblock holds one pinned page at
 * its start: no order-9 block is free, order 0 is plentiful. */
static struct xb_zone *no_order9_zone(struct slow_rec *r)
{
	struct xb_zone *z = xbt_zone_online(16 * 512);
	xb_pfn_t *pfns = g_new(xb_pfn_t, 16 * 512);
	unsigned n = 0;
	xb_pfn_t p;

	while ((p = xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, 1,
				  0)) != XB_NIL)
		pfns[n++] = p;
	for (unsigned i = 0; i < n; i++)
		if (pfns[i] % 512)
			xb_zone_free(z, pfns[i]);
	g_free(pfns);
	xb_zone_set_ops(z, &rec_ops, r);
	return z;
}

/* A costly __GFP_NORETRY request whose first (async) compaction was
 * SKIPPED fails at once: no reclaim, no second compaction. */
Test(zone_slowpath, costly_noretry_fails_when_compaction_skipped)
{
	struct slow_rec r = {.result = XB_COMPACT_SKIPPED, .reclaim_gives = 32};
	struct xb_zone *z = no_order9_zone(&r);

	cr_assert_eq(xb_buddy_orders_from(&z->buddy, XB_MT_MOVABLE, 9), 0);
	cr_assert_eq(xb_zone_alloc(z, 9, XB_MT_MOVABLE, XB_GFP_BALLOON, 2, 0),
		     XB_NIL);
	cr_assert_eq(r.compacts, 1);
	cr_assert_eq(r.prio[0], XB_COMPACT_PRIO_ASYNC);
	cr_assert_eq(r.reclaims, 0);
	cr_assert_eq(r.wakes, 1, "kswapd woken once, before the first try");
	cr_assert_eq(r.wake_order, 9);
	r = (struct slow_rec){.result = XB_COMPACT_DEFERRED};
	cr_assert_eq(xb_zone_alloc(z, 9, XB_MT_MOVABLE, XB_GFP_BALLOON, 2, 0),
		     XB_NIL);
	cr_assert_eq(r.reclaims, 0, "DEFERRED fails at once too");
	xb_zone_destroy(z);
}

/* When the first compaction ran (and failed), a costly __GFP_NORETRY
 * request reclaims once and compacts once more, still async, then gives
 * up: never sync-light. */
Test(zone_slowpath, costly_noretry_reclaims_once_and_stays_async)
{
	struct slow_rec r = {.result = XB_COMPACT_COMPLETE,
			     .reclaim_gives = 32};
	struct xb_zone *z = no_order9_zone(&r);

	cr_assert_eq(xb_zone_alloc(z, 9, XB_MT_MOVABLE, XB_GFP_BALLOON, 2, 0),
		     XB_NIL);
	cr_assert_eq(r.compacts, 2);
	cr_assert_eq(r.prio[0], XB_COMPACT_PRIO_ASYNC);
	cr_assert_eq(r.prio[1], XB_COMPACT_PRIO_ASYNC);
	cr_assert_eq(r.reclaims, 1);
	cr_assert_eq(z->stats.allocstall, 1);
	cr_assert_eq(r.wakes, 2, "kswapd woken again at the retry");
	xb_zone_destroy(z);
}

/* __GFP_RETRY_MAYFAIL lets a costly request retry: should_reclaim_retry()
 * repeats the round (progress of a costly order does not reset its count)
 * until the count passes MAX_RECLAIM_RETRIES; then should_compact_retry()
 * escalates to sync-light (MIN_COMPACT_COSTLY_PRIORITY) for one more round
 * (the count is not reset), and never to sync-full. */
Test(zone_slowpath, retry_mayfail_escalates_to_sync_light_only)
{
	struct slow_rec r = {.result = XB_COMPACT_COMPLETE,
			     .reclaim_gives = 32};
	struct xb_zone *z = no_order9_zone(&r);
	unsigned light = 0;

	cr_assert_eq(xb_zone_alloc(z, 9, XB_MT_MOVABLE,
				   XB_GFP_KERNEL | XB_ALLOC_RETRY_MAYFAIL, 2,
				   0),
		     XB_NIL);
	/* 1 before the loop, 17 async rounds, 1 sync-light round. */
	cr_assert_eq(r.compacts, 19);
	cr_assert_eq(r.reclaims, 18);
	for (unsigned i = 0; i < r.compacts; i++) {
		cr_assert_neq(r.prio[i], XB_COMPACT_PRIO_SYNC_FULL);
		light += r.prio[i] == XB_COMPACT_PRIO_SYNC_LIGHT;
		cr_assert_eq(r.prio[i],
			     i < 18 ? XB_COMPACT_PRIO_ASYNC
				    : XB_COMPACT_PRIO_SYNC_LIGHT,
			     "round %u", i);
	}
	cr_assert_eq(light, 1);
	xb_zone_destroy(z);
}

/* GFP_TRANSHUGE_LIGHT (a THP fault under defrag=madvise, not madvised):
 * no kswapd, no reclaim, no compaction. */
Test(zone_slowpath, transhuge_light_does_nothing_but_fail)
{
	struct slow_rec r = {.result = XB_COMPACT_SUCCESS, .reclaim_gives = 32};
	struct xb_zone *z = no_order9_zone(&r);

	cr_assert_eq(
	    xb_zone_alloc(z, 9, XB_MT_MOVABLE, XB_GFP_TRANSHUGE_LIGHT, 2, 0),
	    XB_NIL);
	cr_assert_eq(r.compacts + r.reclaims + r.wakes, 0);
	xb_zone_destroy(z);
}

/* An order-0 GFP_BALLOON request below the min mark: kswapd woken, one
 * direct reclaim, no compaction, no retry. */
Test(zone_slowpath, order0_noretry_reclaims_once)
{
	struct slow_rec r = {.reclaim_gives = 0};
	struct xb_zone *z = xbt_zone_online(4096);

	xb_zone_set_ops(z, &rec_ops, &r);
	while (xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0) != XB_NIL)
		;
	r = (struct slow_rec){.reclaim_gives = 0};
	cr_assert_eq(xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, XB_GFP_BALLOON, 1, 0),
		     XB_NIL);
	cr_assert_eq(r.reclaims, 1);
	cr_assert_eq(r.compacts, 0);
	cr_assert_eq(r.wakes, 2);
	cr_assert_eq(r.wake_order, 0);
	xb_zone_destroy(z);
}

/* GFP_KERNEL at order 0 with nothing to reclaim keeps retrying only while
 * should_reclaim_retry() allows: MAX_RECLAIM_RETRIES rounds without
 * progress, then it fails (where Linux would invoke the OOM killer). */
Test(zone_slowpath, order0_retries_sixteen_rounds_without_progress)
{
	struct slow_rec r = {.reclaim_gives = 0};
	struct xb_zone *z = xbt_zone_online(4096);

	xb_zone_set_ops(z, &rec_ops, &r);
	/* Leave free memory above min + 1 so should_reclaim_retry()'s
	 * watermark test passes, but below low: the fast path fails. */
	while (xb_zone_free_pages(z) > xb_zone_wmark(z, XB_WMARK_LOW))
		xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, 1, 0);
	/* A min-mark failure needs free <= min: take the rest down too. */
	while (xb_zone_free_pages(z) > xb_zone_wmark(z, XB_WMARK_MIN))
		xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, 1, 0);
	r = (struct slow_rec){.reclaim_gives = 0};
	cr_assert_eq(xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, XB_GFP_KERNEL, 1, 0),
		     XB_NIL);
	/* free = min is not above min + 1: should_reclaim_retry() says no
	 * after the first round. */
	cr_assert_eq(r.reclaims, 1);
	xb_zone_destroy(z);
}

/* boost_watermark(): a fallback steal below pageblock order raises every
 * mark by a pageblock, and a request that may wake kswapd wakes it (order
 * 0) at the next rmqueue(). */
Test(zone_slowpath, fallback_steal_boosts_watermarks_and_wakes_kswapd)
{
	struct slow_rec r = {0};
	struct xb_zone *z = no_order9_zone(&r);
	uint64_t low = xb_zone_wmark(z, XB_WMARK_LOW);

	/* The first unmovable page steals from a movable order-8 block
	 * (a whole free pageblock would be taken over without a boost). */
	cr_assert_neq(xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, XB_GFP_KERNEL, 1, 0),
		      XB_NIL);
	cr_assert_eq(z->watermark_boost, 512);
	cr_assert_eq(xb_zone_wmark(z, XB_WMARK_LOW), low + 512);
	cr_assert_eq(z->stats.wmark_boost, 1);
	cr_assert_eq(r.wakes, 1, "rmqueue() woke kswapd for the boost");
	cr_assert_eq(r.wake_order, 0);
	cr_assert_not(z->boosted_wakeup);
	/* max(pageblock, 150 % of high = 406) caps the boost at 512. */
	cr_assert_neq(
	    xb_zone_alloc(z, 0, XB_MT_RECLAIMABLE, XB_GFP_KERNEL, 1, 0),
	    XB_NIL);
	cr_assert_eq(z->watermark_boost, 512);
	/* Without __GFP_KSWAPD_RECLAIM the boost stays but wakes nobody. */
	z->watermark_boost = 0;
	r.wakes = 0;
	cr_assert_neq(xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, 0, 1, 0), XB_NIL);
	cr_assert_eq(r.wakes, 0);
	xb_zone_destroy(z);
}

/* set_recommended_min_free_kbytes(): with THP, 4 GiB over three zones
 * asks for 512 * 3 * (2 + 9) pages = 66 MiB, above the 8 MiB
 * calculate_min_free_kbytes() gives; without THP the latter stays. */
Test(zone, thp_raises_min_free_kbytes)
{
	struct xb_zone *z = xbt_zone_online(1048576);

	cr_assert_eq(z->min_free_kbytes, 8192);
	z->thp_enabled = true;
	z->thp_zones = 3;
	xb_zone_setup_watermarks(z);
	cr_assert_eq(z->min_free_kbytes, 512 * 3 * 11 * 4);
	cr_assert_eq(z->watermark[XB_WMARK_MIN], 512 * 3 * 11);
	/* low = min + max(min / 4, 0.1 % of managed) */
	cr_assert_eq(z->watermark[XB_WMARK_LOW], 16896 + 4224);
	/* A sysctl write wins over both. */
	z->user_min_free_kbytes = 1024;
	xb_zone_setup_watermarks(z);
	cr_assert_eq(z->min_free_kbytes, 1024);
	/* Capped at 5 % of managed pages: 64 MiB zone, 3 zones. */
	struct xb_zone *s = xbt_zone_online(16384);

	s->thp_enabled = true;
	s->thp_zones = 3;
	xb_zone_setup_watermarks(s);
	cr_assert_eq(s->min_free_kbytes, 16384 / 20 * 4);
	xb_zone_destroy(s);
	xb_zone_destroy(z);
}

/* xb_zone_reserve(): boot memory the kernel holds is ALLOC, unmovable,
 * in pageblocks that keep their MOVABLE type, and leaves the watermarks
 * to the rest. */
Test(zone, reserve_takes_free_frames_for_good)
{
	struct xb_zone *z = xbt_zone_online(262144);
	uint32_t k = xb_zone_register_owner(z, "kernel", NULL, NULL);

	cr_assert_eq(xb_zone_reserve(z, 4096, 11264, k), 11264);
	cr_assert_eq(z->reserved, 11264);
	cr_assert_eq(z->nr_state[XB_FRAME_ALLOC], 11264);
	for (xb_pfn_t p = 4096; p < 4096 + 11264; p += 97) {
		xb_pfn_t h = xb_zone_head(z, p);

		cr_assert_eq(z->frames[h].state, XB_FRAME_ALLOC);
		cr_assert_eq(z->frames[h].owner, k);
		cr_assert_eq(z->frames[h].type, XB_MT_UNMOVABLE);
		cr_assert_eq(xb_zone_pageblock_mt(z, p), XB_MT_MOVABLE);
	}
	cr_assert_eq(z->frames[xb_zone_head(z, 4095)].state, XB_FRAME_FREE);
	cr_assert_eq(xb_zone_head(z, 4096 + 11264) >= 4096 + 11264, true);
	/* Reserving again takes nothing: those frames are not free. */
	cr_assert_eq(xb_zone_reserve(z, 4096, 100, k), 0);
	xb_zone_setup_watermarks(z);
	/* sqrt((262144 - 11264) * 4 * 16) */
	cr_assert_eq(z->min_free_kbytes, 4007);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/* ---- per-CPU lists ------------------------------------------------- */

/* zone_batchsize() and zone_highsize() (6.1) with one CPU: a 1 GiB zone
 * has batch 63 (256 pages / 4 = 64, * 1.5 = 96, down to 64, less one)
 * and high at its low mark; a 32 MiB zone batch 1 and high at least 4. */
Test(zone_pcp, batch_and_high_as_6_1_computes_them)
{
	struct xb_zone *z = xbt_zone_online(262144);

	cr_assert_eq(z->pcp.batch, 63);
	cr_assert_eq(z->pcp.high, z->watermark[XB_WMARK_LOW]);
	cr_assert_gt(z->pcp.high, 4 * 63);
	xb_zone_destroy(z);
	z = xbt_zone_online(8192);
	cr_assert_eq(z->pcp.batch, 1);
	cr_assert_geq(z->pcp.high, 4);
	xb_zone_destroy(z);
	/* Before the marks are set: the boot pageset passes through. */
	z = xb_zone_create(1024);
	cr_assert_eq(z->pcp.high, 0);
	cr_assert_eq(z->pcp.batch, 1);
	xb_zone_destroy(z);
}

/* An order-0 allocation from an empty list takes a batch from the buddy
 * allocator (rmqueue_bulk()) and hands out its first block; a freed page
 * waits at the head of its list, unmerged and not counted free, and is
 * the next one handed out (the hot page). */
Test(zone_pcp, refill_a_batch_and_reuse_the_hot_page)
{
	struct xb_zone *z = xbt_zone_online(262144);
	uint64_t free0 = xb_zone_free_pages(z);
	xb_pfn_t a = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);

	cr_assert_eq(a, 0, "boot memory is handed out in ascending order");
	cr_assert_eq(z->pcp.count, 62);
	cr_assert_eq(z->nr_state[XB_FRAME_PCP], 62);
	cr_assert_eq(xb_zone_free_pages(z), free0 - 63);
	cr_assert_eq(z->frames[1].state, XB_FRAME_PCP);
	xb_pfn_t b = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);

	cr_assert_eq(b, 1);
	xb_zone_free(z, a);
	cr_assert_eq(z->frames[a].state, XB_FRAME_PCP);
	cr_assert_eq(z->frames[a].type, XB_MT_MOVABLE);
	cr_assert_eq(z->pcp.count, 62);
	cr_assert_eq(xb_zone_free_pages(z), free0 - 63);
	cr_assert_eq(xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0), a);
	/* Another migratetype has its own list: a new batch. */
	xb_pfn_t u = xb_zone_alloc(z, 0, XB_MT_UNMOVABLE, 0, 1, 0);

	cr_assert_neq(u, XB_NIL);
	cr_assert_eq(z->pcp.count, 61 + 62);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/* A list at `high` frees a chunk to the buddy allocator, the oldest
 * blocks first: batch on the first drain, doubled on each further drain
 * without an allocation in between (free_factor), at most high - batch.
 * An allocation halves the factor. */
Test(zone_pcp, a_full_list_drains_growing_chunks)
{
	struct xb_zone *z = xbt_zone_online(262144);
	const uint64_t high = z->pcp.high, batch = z->pcp.batch;
	uint64_t n = high + 4 * batch, got = 0;
	xb_pfn_t *p = g_new(xb_pfn_t, n);

	while (got < n)
		p[got++] = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);
	xb_zone_drain_pcp(z);
	cr_assert_eq(z->pcp.count, 0);
	uint64_t i = 0;

	while (z->pcp.count + 1 < high)
		xb_zone_free(z, p[i++]);
	cr_assert_eq(z->pcp.free_factor, 0);
	xb_zone_free(z, p[i++]); /* reaches high: frees batch */
	cr_assert_eq(z->pcp.count, high - batch);
	cr_assert_eq(z->pcp.free_factor, 1);
	cr_assert_eq(z->frames[p[0]].state, XB_FRAME_FREE, "oldest first");
	while (z->pcp.count + 1 < high)
		xb_zone_free(z, p[i++]);
	xb_zone_free(z, p[i++]); /* again: 2 * batch */
	cr_assert_eq(z->pcp.count, high - 2 * batch);
	cr_assert_eq(z->pcp.free_factor, 2);
	xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);
	cr_assert_eq(z->pcp.free_factor, 1);
	cr_assert(xb__zone_is_valid(z));
	g_free(p);
	xb_zone_destroy(z);
}

/* While kswapd balances the zone (ZONE_RECLAIM_ACTIVE), a list keeps at
 * most four batches (nr_pcp_high()). */
Test(zone_pcp, reclaim_active_keeps_four_batches)
{
	struct xb_zone *z = xbt_zone_online(262144);
	const uint64_t batch = z->pcp.batch;
	xb_pfn_t p[512];

	for (unsigned i = 0; i < 512; i++)
		p[i] = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);
	xb_zone_drain_pcp(z);
	z->reclaim_active = true;
	for (unsigned i = 0; i < 512; i++) {
		xb_zone_free(z, p[i]);
		cr_assert_lt(z->pcp.count, 4 * batch);
	}
	cr_assert_gt(z->pcp.count, 0);
	xb_zone_destroy(z);
}

/* Pageblock-order blocks share one list whatever their migratetype
 * (order_to_pindex()), refilled two at a time (batch >> 9, at least 2). */
Test(zone_pcp, thp_blocks_share_one_list_of_two)
{
	struct xb_zone *z = xbt_zone_online(262144);
	xb_pfn_t h = xb_zone_alloc(z, 9, XB_MT_MOVABLE, 0, 1, 0);

	cr_assert_neq(h, XB_NIL);
	cr_assert_eq(z->pcp.count, 512);
	cr_assert_eq(z->pcp.lists[XB_PCP_LOWORDER_LISTS].nr, 1);
	xb_zone_free(z, h);
	cr_assert_eq(z->pcp.lists[XB_PCP_LOWORDER_LISTS].nr, 2);
	cr_assert_eq(xb_zone_alloc(z, 9, XB_MT_UNMOVABLE, 0, 1, 0), h,
		     "an unmovable request takes the movable block");
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/* free_high: a second high-order (1..3) free with no allocation in
 * between (the factor is up) empties the lists. */
Test(zone_pcp, high_order_frees_in_a_row_drain_everything)
{
	struct xb_zone *z = xbt_zone_online(262144);
	xb_pfn_t p[4];

	for (unsigned i = 0; i < 4; i++)
		p[i] = xb_zone_alloc(z, 2, XB_MT_MOVABLE, 0, 1, 0);
	xb_zone_drain_pcp(z);
	z->pcp.free_factor = 1; /* as after a drain by count */
	xb_zone_free(z, p[0]);
	cr_assert_eq(z->pcp.count, 0);
	cr_assert_eq(z->frames[p[0]].state, XB_FRAME_FREE);
	xb_zone_destroy(z);
}

/* A block freed in an isolated pageblock goes to the buddy allocator's
 * isolate list at once (free_unref_page(): free_one_page()); one that
 * waited on a list while its pageblock was isolated is drained to the
 * pageblock's type, not the one it was freed as. */
Test(zone_pcp, isolated_pageblocks_bypass_and_redirect_the_lists)
{
	struct xb_zone *z = xbt_zone_online(262144);
	xb_pfn_t a = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);
	xb_pfn_t b = xb_zone_alloc(z, 0, XB_MT_MOVABLE, 0, 1, 0);

	cr_assert_eq(a >> 9, b >> 9);
	xb_zone_free(z, a);
	cr_assert_eq(z->frames[a].state, XB_FRAME_PCP);
	cr_assert(xb_zone_isolate_pageblock(z, b));
	xb_zone_free(z, b);
	cr_assert_eq(z->frames[b].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[b].type, XB_MT_ISOLATE);
	xb_zone_drain_pcp(z);
	cr_assert_eq(z->frames[a].state, XB_FRAME_FREE);
	cr_assert_eq(z->frames[a].type, XB_MT_ISOLATE);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
}

/* __alloc_pages_direct_reclaim(): when the try after reclaim fails, the
 * lists are drained and the allocation tried once more. Here reclaim
 * reports progress without freeing anything, and what the allocation
 * gets is what waited on the lists. */
Test(zone_pcp, direct_reclaim_drains_the_lists_before_giving_up)
{
	struct slow_rec r = {.result = XB_COMPACT_SKIPPED, .reclaim_gives = 32};
	struct xb_zone *z = xbt_zone_online(8192);
	xb_pfn_t *p = g_new(xb_pfn_t, 8192);
	unsigned n = 0;

	while (n < 8192 &&
	       (p[n] = xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, 1,
				     0)) != XB_NIL)
		n++;
	cr_assert_eq(n, 8192);
	z->pcp.high = 8192; /* nothing drains by count */
	for (unsigned i = 0; i < 64; i++)
		xb_zone_free(z, p[i]);
	cr_assert_eq(z->pcp.count, 64);
	cr_assert_eq(xb_zone_free_pages(z), 0);
	xb_zone_set_ops(z, &rec_ops, &r);
	z->watermark[XB_WMARK_MIN] = z->watermark[XB_WMARK_LOW] =
	    z->watermark[XB_WMARK_HIGH] = 8;
	cr_assert_neq(xb_zone_alloc(z, 0, XB_MT_MOVABLE,
				    XB_GFP_KERNEL | XB_ALLOC_NORETRY, 1, 0),
		      XB_NIL);
	cr_assert_eq(r.reclaims, 1);
	cr_assert_eq(z->stats.pcp_drain, 1);
	cr_assert_eq(z->pcp.count, 0);
	g_free(p);
	xb_zone_destroy(z);
}
