/*
 * The buddy core: split, merge, split direction (Linux vs Xen), exact takes,
 * and the checker catching corruption.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <signal.h>

#include "xballoon/buddy.h"
#include "xballoon/mem.h"

#define N 4096

static struct xb_frame frames[N];
static struct xb_buddy b;

static void setup_linux(void)
{
	memset(frames, 0, sizeof(frames));
	xb__buddy_init(&b, frames, N, 1, false);
	/* Freed top-down so that the list head is the lowest block. */
	for (int p = N - 1024; p >= 0; p -= 1024)
		xb__buddy_free(&b, (xb_pfn_t)p, 10, 0, XB_FREE_HEAD);
}

static void setup_xen(void)
{
	setup_linux();
	b.take_high = true;
}

TestSuite(buddy, .init = setup_linux);
TestSuite(buddy_xen, .init = setup_xen);

Test(buddy, four_top_blocks_do_not_merge_past_max_order)
{
	cr_assert_eq(xb_buddy_nr_free(&b, 10), 4);
	cr_assert_eq(b.nr_free_pages, N);
	cr_assert(xb__buddy_is_valid(&b));
}

Test(buddy, split_then_free_merges_back)
{
	xb_pfn_t p = xb__buddy_alloc(&b, 0, 0);

	/* Linux expand(): the low page is handed out, upper halves freed. */
	cr_assert_eq(p, 0);
	frames[p].state = XB_FRAME_ALLOC;
	for (unsigned o = 0; o < 10; o++)
		cr_assert_eq(xb_buddy_nr_free(&b, o), 1, "order %u", o);
	cr_assert_eq(xb_buddy_nr_free(&b, 10), 3);
	cr_assert_eq(b.nr_free_pages, N - 1);
	cr_assert(xb__buddy_is_valid(&b));

	cr_assert_eq(xb__buddy_free(&b, p, 0, 0, XB_FREE_HEAD), 0);
	cr_assert_eq(xb_buddy_nr_free(&b, 10), 4);
	for (unsigned o = 0; o < 10; o++)
		cr_assert_eq(xb_buddy_nr_free(&b, o), 0);
	cr_assert(xb__buddy_is_valid(&b));
}

Test(buddy, buddy_pfn_is_xor_of_order_bit)
{
	cr_assert_eq(xb_buddy_pfn(0, 0), 1);
	cr_assert_eq(xb_buddy_pfn(6, 1), 4);
	cr_assert_eq(xb_buddy_pfn(512, 9), 0);
	cr_assert_eq(xb_buddy_pfn(1024, 9), 1536);
}

Test(buddy, freeing_both_halves_in_any_order_merges)
{
	xb_pfn_t a = xb__buddy_alloc(&b, 9, 0);
	xb_pfn_t c = xb__buddy_alloc(&b, 9, 0);

	cr_assert_eq(a, 0);
	cr_assert_eq(c, 512);
	frames[a].state = frames[c].state = XB_FRAME_ALLOC;
	cr_assert_eq(xb_buddy_nr_free(&b, 10), 3);
	xb__buddy_free(&b, c, 9, 0, XB_FREE_HEAD);
	cr_assert_eq(xb_buddy_nr_free(&b, 9), 1);
	xb__buddy_free(&b, a, 9, 0, XB_FREE_HEAD);
	cr_assert_eq(xb_buddy_nr_free(&b, 9), 0);
	cr_assert_eq(xb_buddy_nr_free(&b, 10), 4);
	cr_assert_eq(frames[512].state, XB_FRAME_TAIL);
	cr_assert(xb__buddy_is_valid(&b));
}

Test(buddy, smallest_fitting_block_is_used)
{
	xb_pfn_t p = xb__buddy_alloc(&b, 3, 0); /* leaves 8,16,...,512 free */

	frames[p].state = XB_FRAME_ALLOC;
	xb_pfn_t q = xb__buddy_alloc(&b, 3, 0);

	cr_assert_eq(q, 8, "the order-3 remainder, not a new split");
	frames[q].state = XB_FRAME_ALLOC;
	cr_assert_eq(xb_buddy_nr_free(&b, 3), 0);
	cr_assert_eq(xb_buddy_nr_free(&b, 10), 3);
}

Test(buddy, find_head_of_a_tail)
{
	xb_pfn_t p = xb__buddy_alloc(&b, 4, 0);

	frames[p].state = XB_FRAME_ALLOC;
	cr_assert_eq(xb__buddy_find_head(&b, 0), 0);
	cr_assert_eq(xb__buddy_find_head(&b, 15), 0);
	cr_assert_eq(xb__buddy_find_head(&b, 16), 16);
	cr_assert_eq(xb__buddy_find_head(&b, 17), 16);
	cr_assert_eq(xb__buddy_find_head(&b, 1023), 512);
	cr_assert_eq(xb__buddy_find_head(&b, 3000), 2048);
}

Test(buddy, take_exact_carves_around_the_target)
{
	cr_assert(xb__buddy_take_exact(&b, 1536 + 8, 3));
	frames[1544].state = XB_FRAME_ALLOC;
	/* 1024..1535 (o9), 1536..1543 (o3), 1552.. o4, o5 ... o8 */
	cr_assert_eq(b.nr_free_pages, N - 8);
	cr_assert_eq(xb_buddy_nr_free(&b, 3), 1);
	cr_assert_eq(xb__buddy_find_head(&b, 1536), 1536);
	cr_assert_eq(frames[1536].order, 3);
	cr_assert(xb__buddy_is_valid(&b));
	cr_assert_not(xb__buddy_take_exact(&b, 1544, 0), "not free any more");
	cr_assert_not(xb__buddy_take_exact(&b, 1537, 1), "misaligned");
	xb__buddy_free(&b, 1544, 3, 0, XB_FREE_HEAD);
	cr_assert_eq(xb_buddy_nr_free(&b, 10), 4);
}

Test(buddy_xen, split_hands_out_the_top_part)
{
	xb_pfn_t p = xb__buddy_alloc(&b, 0, 0);

	/* Xen alloc_heap_pages(): lower halves to the heap, keep the top. */
	cr_assert_eq(p, 1023);
	frames[p].state = XB_FRAME_ALLOC;
	cr_assert_eq(xb__buddy_find_head(&b, 0), 0);
	cr_assert_eq(frames[0].order, 9);
	cr_assert_eq(frames[1022].order, 0);
	cr_assert(xb__buddy_is_valid(&b));
	xb_pfn_t q = xb__buddy_alloc(&b, 9, 0);

	cr_assert_eq(q, 0, "the lower half left over by the first split");
}

Test(buddy, checker_sees_unmerged_buddies)
{
	xb_pfn_t p = xb__buddy_alloc(&b, 0, 0);

	frames[p].state = XB_FRAME_ALLOC;
	/* Put pfn 0 on the list without merging: pfn 1 is its free buddy. */
	xb__buddy_list_add(&b, 0, 0, 0);
	cr_assert_not(xb__buddy_is_valid(&b));
}

Test(buddy, checker_sees_bad_count)
{
	b.area[10][0].nr_free++;
	cr_assert_not(xb__buddy_is_valid(&b));
}

Test(buddy, checker_sees_head_inside_a_block)
{
	frames[5].state = XB_FRAME_ALLOC;
	cr_assert_not(xb__buddy_is_valid(&b));
}

/* The summaries follow the lists: one order-0 allocation splits an
 * order-10 block into one free block of each order 0..9 on list 0. */
Test(buddy, summaries_follow_the_lists)
{
	xb_pfn_t p = xb__buddy_alloc(&b, 0, 0);

	cr_assert_eq(p, 0);
	cr_assert_eq(b.nonempty[0], 0x7ff);
	cr_assert_eq(b.list_pages[0], N - 1);
	cr_assert_eq(xb_buddy_orders_from(&b, 0, 4), 0x7f0);
	b.frames[p].state = XB_FRAME_ALLOC;
	/* Drain order 10: its bit goes, the others stay. */
	for (int i = 0; i < 3; i++)
		b.frames[xb__buddy_alloc(&b, 10, 0)].state = XB_FRAME_ALLOC;
	cr_assert_eq(b.nonempty[0], 0x3ff);
	cr_assert_eq(b.list_pages[0], 1023);
	cr_assert_eq(xb__buddy_alloc(&b, 10, 0), XB_NIL);
	cr_assert(xb__buddy_is_valid(&b));
}

Test(buddy, checker_sees_bad_summaries)
{
	b.nonempty[0] &= (uint16_t) ~(1u << 10);
	cr_assert_not(xb__buddy_is_valid(&b));
	b.nonempty[0] |= 1u << 10;
	b.list_pages[0]--;
	cr_assert_not(xb__buddy_is_valid(&b));
	b.list_pages[0]++;
	b.nonempty[1] = 1;
	cr_assert_not(xb__buddy_is_valid(&b));
}

/* The checker reads no page of records the kernel never backed (it would
 * back it, where reads of untouched memory do), and still sees a head
 * inside a block in a page that is backed. */
Test(buddy_mapped, checker_skips_only_never_backed_pages)
{
	const uint64_t n = 1u << 16; /* 256 pages of records */
	struct xb_frame *f = xb_map_zeroed(n * sizeof(*f));
	struct xb_buddy bb;
	uint8_t unbacked[256];

	cr_assert_not_null(f);
	xb__buddy_init(&bb, f, n, 1, false);
	for (uint64_t p = 0; p < n; p += 1024)
		xb__buddy_free(&bb, (xb_pfn_t)p, 10, 0, XB_FREE_HEAD);
	/* One head per 1024 records (16 KiB): every 4th page is backed. */
	cr_assert(xb_mem_unbacked(f, n * sizeof(*f), unbacked));
	for (unsigned pg = 0; pg < 256; pg++)
		cr_assert_eq(unbacked[pg], pg % 4 != 0, "page %u", pg);
	cr_assert(xb__buddy_is_valid(&bb));
	cr_assert(xb_mem_unbacked(f, n * sizeof(*f), unbacked));
	for (unsigned pg = 0; pg < 256; pg++)
		cr_assert_eq(unbacked[pg], pg % 4 != 0,
			     "the check backed page %u", pg);
	/* A head written inside block 0, in its second page of records. */
	f[300].state = XB_FRAME_ALLOC;
	cr_assert_not(xb__buddy_is_valid(&bb));
	xb_unmap(f, n * sizeof(*f));
}

/* The incremental checks: a block leaving its list checks its neighbours
 * and the list's count in O(1), at every debug level, so a corrupted link
 * or count aborts at the first operation that passes it. The head block
 * (pfn 0) is unlinked by the next order-10 allocation. */
Test(buddy, unlink_catches_a_broken_link, .signal = SIGABRT)
{
	frames[1024].prev = 2048; /* should point back at pfn 0 */
	xb__buddy_alloc(&b, 10, 0);
}

Test(buddy, unlink_catches_an_empty_count, .signal = SIGABRT)
{
	b.area[10][0].nr_free = 0;
	xb__buddy_list_del(&b, 0);
}
