/*
 * The buddy core shared by the guest zone and the mock host heap: free lists
 * threaded through 32-bit frame indices, split and merge. Modeled on Linux
 * mm/page_alloc.c (__free_one_page, __rmqueue_smallest, expand) and Xen
 * xen/common/page_alloc.c (alloc_heap_pages, free_heap_pages).
 */
#include <glib.h>
#include <string.h>

#include "xballoon/buddy.h"
#include "xballoon/check.h"
#include "xballoon/mem.h"

#define XB_FRAME_POISON XB_FRAME_NR_STATES

void xb__buddy_init(struct xb_buddy *b, struct xb_frame *frames,
		    uint64_t nr_frames, unsigned nr_lists, bool take_high)
{
	xb_assert(nr_lists >= 1 && nr_lists <= XB_MAX_LISTS);
	xb_assert(nr_frames <= XB_MAX_FRAMES);
	memset(b, 0, sizeof(*b));
	b->frames = frames;
	b->nr_frames = nr_frames;
	b->nr_lists = nr_lists;
	b->take_high = take_high;
	b->isolate_list = XB_MAX_LISTS;
	b->max_order = XB_MAX_ORDER;
	for (unsigned o = 0; o < XB_BUDDY_ORDERS; o++)
		for (unsigned l = 0; l < XB_MAX_LISTS; l++)
			b->area[o][l].head = b->area[o][l].tail = XB_NIL;
}

static void mark_free(struct xb_buddy *b, xb_pfn_t pfn, unsigned order,
		      unsigned list)
{
	struct xb_frame *f = &b->frames[pfn];

	xb_assert_internal(list < b->nr_lists && order < b->max_order);
	xb_assert_internal((pfn & ((1u << order) - 1)) == 0);
	xb_assert_internal(pfn + (1ull << order) <= b->nr_frames);
	xb_assert_internal(pfn >= b->first_frame);
	f->state = XB_FRAME_FREE;
	f->order = order;
	f->type = list;
	b->area[order][list].nr_free++;
	b->nr_free_pages += 1ull << order;
	b->list_pages[list] += 1ull << order;
	b->nonempty[list] |= 1u << order;
}

void xb__buddy_list_add(struct xb_buddy *b, xb_pfn_t pfn, unsigned order,
			unsigned list)
{
	if (b->zoned)
		list = xb_buddy_zone_of(pfn);
	struct xb_free_list *fl = &b->area[order][list];
	struct xb_frame *f = &b->frames[pfn];

	mark_free(b, pfn, order, list);
	f->prev = XB_NIL;
	f->next = fl->head;
	if (fl->head != XB_NIL)
		b->frames[fl->head].prev = pfn;
	else
		fl->tail = pfn;
	fl->head = pfn;
}

void xb__buddy_list_add_tail(struct xb_buddy *b, xb_pfn_t pfn, unsigned order,
			     unsigned list)
{
	if (b->zoned)
		list = xb_buddy_zone_of(pfn);
	struct xb_free_list *fl = &b->area[order][list];
	struct xb_frame *f = &b->frames[pfn];

	mark_free(b, pfn, order, list);
	f->next = XB_NIL;
	f->prev = fl->tail;
	if (fl->tail != XB_NIL)
		b->frames[fl->tail].next = pfn;
	else
		fl->head = pfn;
	fl->tail = pfn;
}

static void list_unlink(struct xb_buddy *b, xb_pfn_t pfn)
{
	struct xb_frame *f = &b->frames[pfn];
	struct xb_free_list *fl = &b->area[f->order][f->type];

	/* Incremental invariants, O(1), at every debug level: the list the
	 * block leaves is not empty, and its neighbours (or the list's ends)
	 * point back at it. A corrupted link or count is caught at the first
	 * unlink that passes it, not at the next whole walk. */
	xb_assert(fl->nr_free > 0);
	if (f->prev != XB_NIL) {
		xb_assert(b->frames[f->prev].next == pfn);
		b->frames[f->prev].next = f->next;
	} else {
		xb_assert(fl->head == pfn);
		fl->head = f->next;
	}
	if (f->next != XB_NIL) {
		xb_assert(b->frames[f->next].prev == pfn);
		b->frames[f->next].prev = f->prev;
	} else {
		xb_assert(fl->tail == pfn);
		fl->tail = f->prev;
	}
	fl->nr_free--;
	b->list_pages[f->type] -= 1ull << f->order;
	if (!fl->nr_free)
		b->nonempty[f->type] &= ~(1u << f->order);
}

void xb__buddy_list_del(struct xb_buddy *b, xb_pfn_t pfn)
{
	struct xb_frame *f = &b->frames[pfn];

	xb_assert_internal(f->state == XB_FRAME_FREE);
	list_unlink(b, pfn);
	b->nr_free_pages -= 1ull << f->order;
	f->state = XB_FRAME_POISON;
}

void xb__buddy_list_move(struct xb_buddy *b, xb_pfn_t pfn, unsigned list)
{
	struct xb_frame *f = &b->frames[pfn];
	unsigned order = f->order;

	xb_assert_internal(f->state == XB_FRAME_FREE);
	if (f->type == list)
		return;
	list_unlink(b, pfn);
	b->nr_free_pages -= 1ull << order;
	xb__buddy_list_add(b, pfn, order, list);
}

/*
 * Blocks at or above pageblock order never merge across the isolate
 * boundary: an isolated pageblock's free pages must stay out of reach of the
 * allocator (the check in __free_one_page() for has_isolate_pageblock()).
 */
static inline bool merge_ok(const struct xb_buddy *b, xb_pfn_t pfn,
			    xb_pfn_t buddy, unsigned order)
{
	/* A zoned heap never merges across a zone boundary: Xen keeps
	 * frame 0 out of the heap so that the block below 2^k, the only
	 * buddy of [2^k, 2^(k+1)) in another zone, is never free whole
	 * (init_heap_pages()). */
	if (b->zoned &&
	    xb_buddy_zone_of(pfn & buddy) != xb_buddy_zone_of(pfn | buddy))
		return false;
	if (!b->pageblock_type || order < b->pageblock_order)
		return true;
	bool a = (b->pageblock_type[pfn >> b->pageblock_order] &
		  XB_PB_TYPE_MASK) == b->isolate_list;
	bool c = (b->pageblock_type[buddy >> b->pageblock_order] &
		  XB_PB_TYPE_MASK) == b->isolate_list;
	return a == c;
}

/*
 * buddy_merge_likely(): if the buddy of our block's parent is free, our own
 * buddy is probably about to be freed too; queue our block at the tail so
 * it is not handed out before that merge can happen.
 */
static bool merge_likely(const struct xb_buddy *b, xb_pfn_t pfn, unsigned order)
{
	if (order + 2 >= b->max_order)
		return false;
	xb_pfn_t parent = pfn & ~(1u << order);
	xb_pfn_t pbuddy = xb_buddy_pfn(parent, order + 1);

	return pbuddy + (2ull << order) <= b->nr_frames &&
	       pbuddy >= b->first_frame &&
	       xb_buddy_is_free_head(b, pbuddy, order + 1);
}

xb_pfn_t xb__buddy_free(struct xb_buddy *b, xb_pfn_t pfn, unsigned order,
			unsigned list, enum xb_free_place place)
{
	xb_assert_internal(order < b->max_order);
	xb_assert_internal((pfn & ((1u << order) - 1)) == 0);

	while (order + 1 < b->max_order) {
		xb_pfn_t buddy = xb_buddy_pfn(pfn, order);

		if (buddy + (1ull << order) > b->nr_frames ||
		    buddy < b->first_frame)
			break;
		if (!xb_buddy_is_free_head(b, buddy, order))
			break;
		if (!merge_ok(b, pfn, buddy, order))
			break;
		xb__buddy_list_del(b, buddy);
		/* The higher of the two heads becomes a tail of the parent. */
		xb_pfn_t parent = pfn & buddy;
		b->frames[pfn | buddy].state = XB_FRAME_TAIL;
		pfn = parent;
		order++;
	}
	if (place == XB_FREE_TAIL ||
	    (place == XB_FREE_LIKELY && merge_likely(b, pfn, order)))
		xb__buddy_list_add_tail(b, pfn, order, list);
	else
		xb__buddy_list_add(b, pfn, order, list);
	return pfn;
}

xb_pfn_t xb__buddy_expand(struct xb_buddy *b, xb_pfn_t pfn, unsigned low,
			  unsigned high, unsigned list)
{
	while (high > low) {
		high--;
		if (b->take_high) {
			/* Xen: lower half back to the heap, carry on upward. */
			xb__buddy_list_add(b, pfn, high, list);
			pfn += 1u << high;
		} else {
			/* Linux: upper half back to the free list. */
			xb__buddy_list_add(b, pfn + (1u << high), high, list);
		}
	}
	b->frames[pfn].order = low;
	return pfn;
}

xb_pfn_t xb__buddy_alloc(struct xb_buddy *b, unsigned order, unsigned list)
{
	unsigned orders = xb_buddy_orders_from(b, list, order);

	if (!orders)
		return XB_NIL;
	/* The smallest order with a block, from the summary. */
	unsigned o = (unsigned)__builtin_ctz(orders);
	xb_pfn_t pfn = b->area[o][list].head;

	xb__buddy_list_del(b, pfn);
	pfn = xb__buddy_expand(b, pfn, order, o, list);
	b->frames[pfn].state = XB_FRAME_POISON;
	return pfn;
}

xb_pfn_t xb__buddy_find_head(const struct xb_buddy *b, xb_pfn_t pfn)
{
	if (xb_frame_is_head(&b->frames[pfn]))
		return pfn;
	for (unsigned o = 1; o < b->max_order; o++) {
		xb_pfn_t h = pfn & ~((1u << o) - 1);
		const struct xb_frame *f = &b->frames[h];

		if (xb_frame_is_head(f))
			return f->order >= o ? h : XB_NIL;
	}
	return XB_NIL;
}

bool xb__buddy_take_exact(struct xb_buddy *b, xb_pfn_t pfn, unsigned order)
{
	xb_pfn_t head = xb__buddy_find_head(b, pfn);

	if (head == XB_NIL || b->frames[head].state != XB_FRAME_FREE)
		return false;
	unsigned cur = b->frames[head].order;
	unsigned list = b->frames[head].type;

	if (cur < order || (pfn & ((1u << order) - 1)) != 0)
		return false;
	xb__buddy_list_del(b, head);
	/* Halve toward pfn; the half without pfn goes back to the list. */
	while (cur > order) {
		cur--;
		xb_pfn_t half = head + (1u << cur);

		if (pfn >= half) {
			xb__buddy_list_add(b, head, cur, list);
			head = half;
		} else {
			xb__buddy_list_add(b, half, cur, list);
		}
	}
	b->frames[head].order = order;
	b->frames[head].state = XB_FRAME_POISON;
	return true;
}

uint64_t xb_buddy_nr_free(const struct xb_buddy *b, unsigned order)
{
	uint64_t n = 0;

	for (unsigned l = 0; l < b->nr_lists; l++)
		n += b->area[order][l].nr_free;
	return n;
}

bool xb__buddy_summaries_ok(const struct xb_buddy *b)
{
	uint64_t pages = 0;

	for (unsigned l = 0; l < XB_MAX_LISTS; l++) {
		uint64_t on_list = 0;

		for (unsigned o = 0; o < b->max_order; o++) {
			uint64_t n = b->area[o][l].nr_free;

			XB_CHECK(!!(b->nonempty[l] & (1u << o)) == (n > 0),
				 "buddy: list o%u l%u has %lu blocks, "
				 "nonempty bit %u",
				 o, l, (unsigned long)n,
				 !!(b->nonempty[l] & (1u << o)));
			on_list += n << o;
		}
		XB_CHECK(on_list == b->list_pages[l],
			 "buddy: list %u holds %lu pages, summary %lu", l,
			 (unsigned long)on_list,
			 (unsigned long)b->list_pages[l]);
		XB_CHECK((b->nonempty[l] >> b->max_order) == 0,
			 "buddy: list %u nonempty bits %#x beyond the orders",
			 l, b->nonempty[l]);
		pages += on_list;
	}
	XB_CHECK(pages == b->nr_free_pages,
		 "buddy: lists hold %lu pages, nr_free_pages %lu",
		 (unsigned long)pages, (unsigned long)b->nr_free_pages);
	return true;
}

bool xb__buddy_is_valid(const struct xb_buddy *b)
{

	for (unsigned o = 0; o < XB_BUDDY_ORDERS; o++) {
		for (unsigned l = 0; l < XB_MAX_LISTS; l++) {
			const struct xb_free_list *fl = &b->area[o][l];
			uint64_t n = 0;
			xb_pfn_t prev = XB_NIL;

			XB_CHECK((l < b->nr_lists && o < b->max_order) ||
				     fl->nr_free == 0,
				 "buddy: list o%u l%u beyond the lists or "
				 "orders has blocks",
				 o, l);
			for (xb_pfn_t p = fl->head; p != XB_NIL;
			     p = b->frames[p].next) {
				const struct xb_frame *f = &b->frames[p];

				XB_CHECK(p < b->nr_frames &&
					     p >= b->first_frame,
					 "buddy: link %u out of range", p);
				XB_CHECK(n <= fl->nr_free,
					 "buddy: list o%u l%u longer than "
					 "nr_free %lu",
					 o, l, (unsigned long)fl->nr_free);
				XB_CHECK(
				    f->state == XB_FRAME_FREE &&
					f->order == o && f->type == l &&
					(!b->zoned || l == xb_buddy_zone_of(p)),
				    "buddy: pfn %u on list o%u l%u has "
				    "state %u "
				    "order %u type %u",
				    p, o, l, f->state, f->order, f->type);
				XB_CHECK(
				    (p & ((1u << o) - 1)) == 0,
				    "buddy: pfn %u misaligned for order %u", p,
				    o);
				XB_CHECK(p + (1ull << o) <= b->nr_frames,
					 "buddy: block %u/%u past the end", p,
					 o);
				XB_CHECK(f->prev == prev,
					 "buddy: bad prev link at %u", p);
				prev = p;
				n++;
			}
			XB_CHECK(fl->tail == prev,
				 "buddy: list o%u l%u tail %u, "
				 "last block %u",
				 o, l, fl->tail, prev);
			XB_CHECK(
			    n == fl->nr_free,
			    "buddy: list o%u l%u has %lu blocks, nr_free %lu",
			    o, l, (unsigned long)n, (unsigned long)fl->nr_free);
		}
	}
	/* The counts are the lists' lengths: their summaries follow. */
	if (!xb__buddy_summaries_ok(b))
		return false;

	/* Walk heads: tails must fill each block exactly; free buddies merged.
	 * A page of records the kernel never backed holds zeros, all TAIL:
	 * it is not read, or the check alone would make a 1 TiB guest's
	 * whole frame array resident (xb_mem_unbacked()). */
	const struct xb_frame *first = b->frames + b->first_frame;
	const uintptr_t base_page = (uintptr_t)first / 4096;
	size_t npages =
	    ((uintptr_t)(b->frames + b->nr_frames) + 4095) / 4096 - base_page;
	g_autofree uint8_t *unbacked = g_malloc(npages ? npages : 1);

	if (!xb_mem_unbacked(first,
			     (b->nr_frames - b->first_frame) * sizeof(*first),
			     unbacked))
		memset(unbacked, 0, npages);
	uint64_t pfn = b->first_frame;

	while (pfn < b->nr_frames) {
		const struct xb_frame *f = &b->frames[pfn];

		XB_CHECK(xb_frame_is_head(f),
			 "buddy: pfn %lu is a tail outside "
			 "any block",
			 (unsigned long)pfn);
		XB_CHECK(f->state < XB_FRAME_NR_STATES,
			 "buddy: pfn %lu has poisoned state",
			 (unsigned long)pfn);
		XB_CHECK(f->order < b->max_order, "buddy: pfn %lu order %u",
			 (unsigned long)pfn, f->order);
		unsigned o = f->order;
		uint64_t n = 1ull << o;

		XB_CHECK((pfn & (n - 1)) == 0 && pfn + n <= b->nr_frames,
			 "buddy: block %lu/%u misaligned or past the end",
			 (unsigned long)pfn, o);
		for (uint64_t i = pfn + 1; i < pfn + n;) {
			size_t pg = (uintptr_t)&b->frames[i] / 4096 - base_page;

			if (unbacked[pg]) {
				/* Skip to the first record of the next page. */
				uintptr_t next = (base_page + pg + 1) * 4096;

				i = (uint64_t)((next - (uintptr_t)b->frames +
						sizeof(*b->frames) - 1) /
					       sizeof(*b->frames));
				continue;
			}
			XB_CHECK(
			    b->frames[i].state == XB_FRAME_TAIL,
			    "buddy: frame %lu inside block %lu/%u is a head",
			    (unsigned long)i, (unsigned long)pfn, o);
			i++;
		}
		if (f->state == XB_FRAME_FREE && o + 1 < b->max_order &&
		    f->type != b->isolate_list) {
			xb_pfn_t bud = xb_buddy_pfn((xb_pfn_t)pfn, o);

			XB_CHECK(!(bud + n <= b->nr_frames &&
				   bud >= b->first_frame &&
				   xb_buddy_is_free_head(b, bud, o) &&
				   b->frames[bud].type != b->isolate_list &&
				   merge_ok(b, (xb_pfn_t)pfn, bud, o)),
				 "buddy: free buddies %lu and %u of order %u "
				 "left unmerged",
				 (unsigned long)pfn, bud, o);
		}
		pfn += n;
	}
	return true;
}
