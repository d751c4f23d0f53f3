/*
 * The buddy core: frame records and per-order free lists, written once and
 * used by both the guest zone (emu/zone.c, with migratetype lists) and the
 * mock hypervisor's host heap (backends/mock: lists by Xen zone, orders up
 * to 20, Xen's split order).
 *
 * Glossary
 *   frame     one 4 KiB page of guest-physical or machine memory; its record
 *             is struct xb_frame, indexed by frame number (pfn or mfn).
 *   block     2^order frames starting at a pfn aligned to 2^order. Every
 *             frame belongs to exactly one block. The first frame (head)
 *             carries the block's state and order; the others are tails.
 *   free list one doubly linked list per (order, list index), threaded
 *             through the head records by 32-bit frame numbers.
 *   buddy     of the block at pfn with order O: pfn ^ (1 << O). Two free
 *             buddies of the same order always merge into one block of
 *             order O + 1 at pfn & ~(1 << O).
 */
#ifndef XBALLOON_BUDDY_H
#define XBALLOON_BUDDY_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "xballoon/debug.h"

/* The guest zone's orders 0..10, as Linux MAX_ORDER 11 on x86-64. */
#define XB_MAX_ORDER 11
/* The host heap's orders 0..20, as Xen's MAX_ORDER 20 (a buddy's own
 * max_order says which it has); the arrays are sized for the larger. */
#define XB_BUDDY_ORDERS 21
/*
 * pageblock_order: the migratetype granule and compaction's unit. A kernel
 * with huge pages has HPAGE_PMD_ORDER (9 on x86-64, the default); one
 * without (user-mode Linux) has MAX_ORDER - 1 (set_pageblock_order()).
 * A guest's is fixed at boot (its mem_map's); arrays are sized for the
 * largest.
 */
#define XB_PAGEBLOCK_ORDER_DEFAULT 9
#define XB_PAGEBLOCK_ORDER_MAX	   (XB_MAX_ORDER - 1)
#define XB_PAGEBLOCK_PAGES_MAX	   (1u << XB_PAGEBLOCK_ORDER_MAX)
/* HPAGE_PMD_ORDER: a 2 MiB page (THP, a 2 MiB balloon page, a P2M
 * superpage), whatever the pageblock order. */
#define XB_HPAGE_ORDER 9
#define XB_HPAGE_PAGES (1u << XB_HPAGE_ORDER)
/* The guest zone: its migratetypes plus the isolate type, lists 0..3. The
 * host heap: one list per Xen zone, the bit width of the head's frame
 * number (page_to_zone(): fls(mfn), at least 1), lists 1..32. */
#define XB_MAX_LISTS 33

/* page_to_zone() of a frame of the host heap. */
static inline unsigned xb_buddy_zone_of(uint64_t pfn)
{
	return pfn ? 64u - (unsigned)__builtin_clzll(pfn) : 1u;
}

/* The pageblock_type bytes keep their list type in these bits; the zone
 * uses the others for hints. */
#define XB_PB_TYPE_MASK 0x07u

typedef uint32_t xb_pfn_t;
#define XB_NIL UINT32_MAX
/* Largest number of frames one buddy can manage (indices are 32-bit and
 * XB_NIL is reserved): 16 TiB of 4 KiB frames. */
#define XB_MAX_FRAMES ((uint64_t)UINT32_MAX - 1)

/* What a block is. TAIL is 0 so that zeroed memory is all tails. */
enum xb_frame_state {
	XB_FRAME_TAIL = 0,    /* not a head: part of the block below it     */
	XB_FRAME_FREE,	      /* head of a free block on a free list        */
	XB_FRAME_ALLOC,	      /* allocated: owner + rmap slot recorded      */
	XB_FRAME_BALLOON,     /* held by the balloon, still backed (transit)*/
	XB_FRAME_ISOLATED,    /* taken off its list by compaction           */
	XB_FRAME_UNPOPULATED, /* no backing: ballooned out or never booted  */
	XB_FRAME_PCP,	      /* free, on a per-CPU list (guest zone only)  */
	XB_FRAME_NR_STATES
};

/* Per-frame flags, on heads only. */
/* balloon page on the core device list (or isolated from it) */
#define XB_FRAME_MOVABLE_BALLOON 0x01
/* ... whose device has no migratepage callback: it never moves */
#define XB_FRAME_PINNED_BALLOON 0x02
/*
 * One record per frame, 16 bytes (Linux's struct page is 64). The meaning of
 * the link and owner fields depends on the head's state:
 *
 *   state         next/prev                owner            type
 *   FREE          free-list links          -                free-list index
 *   ALLOC         next: owner's slot       owner id         migratetype
 *   BALLOON,      balloon queue links      queue id         migratetype of
 *   UNPOPULATED                                             its pageblock
 *   ISOLATED      compaction list links    owner id/queue   migratetype
 *   PCP           per-CPU list links       -                migratetype it
 *                                                           was freed as
 *   TAIL          -                        -                -
 *
 * In the host heap, an ALLOC frame has owner = domain id and next = the gfn
 * it backs (the model's M2P).
 */
struct xb_frame {
	uint32_t next;
	uint32_t prev;
	uint32_t owner;
	uint8_t state;
	uint8_t order;
	uint8_t type;
	uint8_t flags;
};
static_assert(sizeof(struct xb_frame) == 16, "frame record must stay 16 bytes");

/* One free list: a doubly linked list of free blocks, both ends known. */
struct xb_free_list {
	xb_pfn_t head;
	xb_pfn_t tail;
	uint64_t nr_free; /* blocks on this list */
};

/*
 * Invariants (checked by xb__buddy_is_valid()):
 *   for every (o, l):  nr_free[o][l] = length of list (o, l)
 *   every block on list (o, l) is a FREE head with order o and type l,
 *     aligned: pfn % 2^o = 0, and first_frame <= pfn,
 *     pfn + 2^o <= nr_frames
 *   nr_free_pages = sum over (o, l) of nr_free[o][l] * 2^o
 *   list_pages[l] = sum over o of nr_free[o][l] * 2^o     (summary)
 *   bit o of nonempty[l] = (nr_free[o][l] > 0)           (summary)
 *   a zoned buddy files each free block under its head's zone
 *   no FREE block of order o < max_order-1 has a FREE buddy of order o that
 *     may merge with it (merge_ok: not across two zones of a zoned heap),
 *     unless one of them sits in an isolated
 *     pageblock (moving pages to the isolate list does not merge them, as
 *     in Linux; unisolating frees them again)
 *   every frame of [first_frame, nr_frames) is either a head or a TAIL
 *     inside some head's block that starts at or above first_frame
 */
struct xb_buddy {
	struct xb_frame *frames;
	uint64_t nr_frames;
	/* The first frame this buddy manages (0 unless set after
	 * xb__buddy_init()): frames below it belong to someone else -- the
	 * mock host's other NUMA nodes, each a buddy of its own over the
	 * same frame array (Xen's heap(node, zone, order)). No block starts
	 * below it and nothing merges across it, as free_heap_pages() never
	 * merges with a buddy on another node. */
	uint64_t first_frame;
	uint64_t nr_free_pages;
	unsigned nr_lists;
	unsigned max_order; /* orders 0..max_order-1 (XB_MAX_ORDER unless
			     * set otherwise after xb__buddy_init())       */
	/* Lists by Xen zone: the list a block goes on is its head's zone,
	 * whatever the caller names (the host heap). */
	bool zoned;
	/* Split policy: Linux's expand() keeps the low half and frees the upper
	 * halves; Xen's alloc_heap_pages() frees the lower halves and hands out
	 * the top part. */
	bool take_high;
	/* Optional per-pageblock list types (the guest's pageblock
	 * migratetype). When set, blocks of order >= pageblock order never
	 * merge across an isolated and a non-isolated pageblock, as
	 * __free_one_page() refuses. */
	const uint8_t *pageblock_type; /* type in bits XB_PB_TYPE_MASK */
	unsigned pageblock_order;      /* pfn >> it indexes pageblock_type */
	unsigned isolate_list;
	/* Summaries kept with the lists, so that "is there a block of order
	 * >= o on list l" and "free pages on list l" cost O(1) instead of a
	 * walk over the orders (the allocator and the watermark checks ask
	 * on every allocation). */
	uint64_t list_pages[XB_MAX_LISTS];
	uint32_t nonempty[XB_MAX_LISTS];
	struct xb_free_list area[XB_BUDDY_ORDERS][XB_MAX_LISTS];
};
static_assert(XB_BUDDY_ORDERS <= 32, "nonempty[] holds one bit per order");
static_assert(XB_MAX_ORDER <= XB_BUDDY_ORDERS, "the guest's orders fit");

/* Orders >= `order` with a free block on list l, as a bit mask. */
static inline unsigned xb_buddy_orders_from(const struct xb_buddy *b,
					    unsigned list, unsigned order)
{
	return b->nonempty[list] >> order << order;
}

/*
 * __find_buddy_pfn(): the buddy of block B1 of order O is B2 = B1 ^ (1 << O);
 * their parent, of order O + 1, starts at B1 & ~(1 << O).
 */
static inline xb_pfn_t xb_buddy_pfn(xb_pfn_t pfn, unsigned order)
{
	return pfn ^ (1u << order);
}

static inline bool xb_frame_is_head(const struct xb_frame *f)
{
	return f->state != XB_FRAME_TAIL;
}

/* page_is_buddy(): is the record at `pfn` a free head of exactly `order`? */
static inline bool xb_buddy_is_free_head(const struct xb_buddy *b, xb_pfn_t pfn,
					 unsigned order)
{
	const struct xb_frame *f = &b->frames[pfn];

	return f->state == XB_FRAME_FREE && f->order == order;
}

void xb__buddy_init(struct xb_buddy *b, struct xb_frame *frames,
		    uint64_t nr_frames, unsigned nr_lists, bool take_high);

/* Put a block at the head (or tail) of a free list as it is (no merging). */
void xb__buddy_list_add(struct xb_buddy *b, xb_pfn_t pfn, unsigned order,
			unsigned list);
void xb__buddy_list_add_tail(struct xb_buddy *b, xb_pfn_t pfn, unsigned order,
			     unsigned list);
/* Take a FREE block off its list. The head keeps its order; its state is
 * poisoned (XB_FRAME_NR_STATES) until the caller sets it. */
void xb__buddy_list_del(struct xb_buddy *b, xb_pfn_t pfn);
/* Move a FREE block to another list of the same order. */
void xb__buddy_list_move(struct xb_buddy *b, xb_pfn_t pfn, unsigned list);

/* How xb__buddy_free() places the merged block on its list. */
enum xb_free_place {
	XB_FREE_HEAD,	/* Xen's free_heap_pages(): always the head          */
	XB_FREE_LIKELY, /* Linux: the tail when a higher merge looks likely
			 * (buddy_merge_likely()), else the head             */
	XB_FREE_TAIL,	/* Linux FPI_TO_TAIL: boot memory, handed out in
			 * ascending order                                   */
};

/*
 * __free_one_page(): free the block at pfn, merging with free buddies as far
 * as possible, and put the result on `list`. Returns the merged block's head.
 */
xb_pfn_t xb__buddy_free(struct xb_buddy *b, xb_pfn_t pfn, unsigned order,
			unsigned list, enum xb_free_place place);

/*
 * __rmqueue_smallest(): take the smallest free block of order >= `order` from
 * `list`, split it down to `order` (halves go back on `list`), and return its
 * head, whose state the caller must set. XB_NIL when nothing fits.
 */
xb_pfn_t xb__buddy_alloc(struct xb_buddy *b, unsigned order, unsigned list);

/*
 * Split the FREE block at `pfn` (already off its list) of order `high` down
 * to `low`, freeing halves to `list` according to b->take_high; returns the
 * head of the order-`low` block handed out.
 */
xb_pfn_t xb__buddy_expand(struct xb_buddy *b, xb_pfn_t pfn, unsigned low,
			  unsigned high, unsigned list);

/*
 * Take exactly the order-`order` block at `pfn` out of the free block that
 * contains it, splitting around it (the halves that do not contain it go back
 * to their list). Returns false when `pfn` is not inside a free block of
 * order >= `order`.
 */
bool xb__buddy_take_exact(struct xb_buddy *b, xb_pfn_t pfn, unsigned order);

/* Head of the block containing pfn (O(MAX_ORDER)). */
xb_pfn_t xb__buddy_find_head(const struct xb_buddy *b, xb_pfn_t pfn);

/* Count of free blocks of `order` over all lists. */
uint64_t xb_buddy_nr_free(const struct xb_buddy *b, unsigned order);

/* Whole-structure checker; returns false and logs (g_warning) the first
 * violation. O(nr_frames). */
bool xb__buddy_is_valid(const struct xb_buddy *b);
/* The summaries against the per-list counts, without walking a list
 * (O(lists x orders)): nonempty bits, list_pages, nr_free_pages. */
bool xb__buddy_summaries_ok(const struct xb_buddy *b);

#endif
