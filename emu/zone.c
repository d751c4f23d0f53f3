/*
 * The guest zone: migratetype-aware allocation on top of the buddy core,
 * fallback stealing, watermarks, state accounting and fragmentation metrics.
 * Modeled on Linux 6.1 mm/page_alloc.c (__rmqueue, __rmqueue_fallback,
 * steal_suitable_fallback, __zone_watermark_ok, __setup_per_zone_wmarks) and
 * mm/vmstat.c (fill_contig_page_info, unusable_free_index,
 * __fragmentation_index).
 */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xballoon/mem.h"
#include "xballoon/zone.h"
#include "xballoon/check.h"

/* Linux's fallbacks[]: where each type looks when its own lists are empty. */
static const unsigned fallbacks[XB_MT_PCPTYPES][2] = {
    [XB_MT_UNMOVABLE] = {XB_MT_RECLAIMABLE, XB_MT_MOVABLE},
    [XB_MT_MOVABLE] = {XB_MT_RECLAIMABLE, XB_MT_UNMOVABLE},
    [XB_MT_RECLAIMABLE] = {XB_MT_UNMOVABLE, XB_MT_MOVABLE},
};

static const char *const mt_names[XB_MT_NR] = {"Unmovable", "Movable",
					       "Reclaimable", "Isolate"};

static const char *const state_names[XB_FRAME_NR_STATES] = {
    "tail", "free", "alloc", "balloon", "isolated", "unpopulated", "pcp"};

const char *xb_migratetype_name(unsigned mt)
{
	return mt < XB_MT_NR ? mt_names[mt] : "?";
}

const char *xb_frame_state_name(unsigned state)
{
	return state < XB_FRAME_NR_STATES ? state_names[state] : "?";
}

static size_t frames_bytes(uint64_t nr_frames)
{
	return nr_frames * sizeof(struct xb_frame);
}

/* Largest order of an aligned block at pfn that fits in `left` frames. */
static unsigned fit_order(uint64_t pfn, uint64_t left, unsigned max)
{
	unsigned o = max;

	while (o > 0 && ((pfn & ((1ull << o) - 1)) || (1ull << o) > left))
		o--;
	return o;
}

struct xb_memmap *xb_memmap_create_pb(uint64_t nr_frames,
				      unsigned pageblock_order)
{
	if (nr_frames == 0 || nr_frames > XB_MAX_FRAMES ||
	    pageblock_order < XB_HPAGE_ORDER ||
	    pageblock_order > XB_PAGEBLOCK_ORDER_MAX)
		return NULL;
	struct xb_memmap *m = g_new0(struct xb_memmap, 1);

	m->nr_frames = nr_frames;
	m->pageblock_order = pageblock_order;
	m->nr_pageblocks =
	    (nr_frames + (1ull << pageblock_order) - 1) >> pageblock_order;
	m->frames = xb_map_zeroed(frames_bytes(nr_frames));
	m->pageblock = xb_map_zeroed(m->nr_pageblocks);
	if (!m->frames || !m->pageblock) {
		xb_memmap_destroy(m);
		return NULL;
	}
	return m;
}

struct xb_memmap *xb_memmap_create(uint64_t nr_frames)
{
	return xb_memmap_create_pb(nr_frames, XB_PAGEBLOCK_ORDER_DEFAULT);
}

void xb_memmap_destroy(struct xb_memmap *m)
{
	if (!m)
		return;
	xb_unmap(m->frames, frames_bytes(m->nr_frames));
	xb_unmap(m->pageblock, m->nr_pageblocks);
	g_free(m);
}

struct xb_zone *xb_zone_create_range(struct xb_memmap *map, uint64_t start_pfn,
				     uint64_t end_pfn)
{
	if (!map || start_pfn >= end_pfn || end_pfn > map->nr_frames ||
	    start_pfn % XB_ZONE_ALIGN)
		return NULL;
	struct xb_zone *z = g_new0(struct xb_zone, 1);

	z->map = map;
	z->frames = map->frames;
	z->pageblock = map->pageblock;
	z->start_pfn = start_pfn;
	z->end_pfn = end_pfn;
	z->nr_frames = end_pfn - start_pfn;
	z->pb_order = map->pageblock_order;
	z->pb_pages = 1u << z->pb_order;
	z->nr_pageblocks = (z->nr_frames + z->pb_pages - 1) >> z->pb_order;
	/* The buddy indexes the shared array by pfn and manages only
	 * [first_frame, nr_frames): nothing merges across the span. */
	xb__buddy_init(&z->buddy, z->frames, end_pfn, XB_MT_NR, false);
	z->buddy.first_frame = start_pfn;
	z->buddy.pageblock_type = z->pageblock;
	z->buddy.pageblock_order = z->pb_order;
	z->buddy.isolate_list = XB_MT_ISOLATE;
	/* memmap_init_range(): every pageblock starts MOVABLE. */
	memset(z->pageblock + xb_zone_first_pageblock(z), XB_MT_MOVABLE,
	       xb_zone_end_pageblock(z) - xb_zone_first_pageblock(z));

	/* Nothing is populated yet: cover the span with unpopulated blocks. */
	for (uint64_t pfn = start_pfn; pfn < end_pfn;) {
		unsigned o = fit_order(pfn, end_pfn - pfn, XB_MAX_ORDER - 1);
		struct xb_frame *f = &z->frames[pfn];

		xb_assert(f->state == XB_FRAME_TAIL && f->owner == 0);
		f->state = XB_FRAME_UNPOPULATED;
		f->order = o;
		f->type = XB_MT_MOVABLE;
		f->owner = XB_OWNER_NONE;
		f->next = f->prev = XB_NIL;
		pfn += 1ull << o;
	}
	z->nr_state[XB_FRAME_UNPOPULATED] = z->nr_frames;
	/* The boot pageset (BOOT_PAGESET_HIGH 0, BOOT_PAGESET_BATCH 1): every
	 * block passes straight through until the marks are set. */
	for (unsigned i = 0; i < XB_PCP_LISTS; i++)
		xb_flist_init(&z->pcp.lists[i]);
	z->pcp.batch = 1;
	z->watermark_scale_factor = XB_WATERMARK_SCALE_FACTOR_DEFAULT;
	z->watermark_boost_factor = XB_WATERMARK_BOOST_FACTOR_DEFAULT;
	z->thp_zones = 1;
	xb_zone_register_owner(z, "none", NULL, NULL);
	xb__zone_check(z);
	return z;
}

struct xb_zone *xb_zone_create(uint64_t nr_frames)
{
	return xb_zone_create_pb(nr_frames, XB_PAGEBLOCK_ORDER_DEFAULT);
}

struct xb_zone *xb_zone_create_pb(uint64_t nr_frames, unsigned pageblock_order)
{
	struct xb_memmap *map = xb_memmap_create_pb(nr_frames, pageblock_order);
	struct xb_zone *z =
	    map ? xb_zone_create_range(map, 0, nr_frames) : NULL;

	if (!z) {
		xb_memmap_destroy(map);
		return NULL;
	}
	z->owns_map = true;
	return z;
}

void xb_zone_destroy(struct xb_zone *z)
{
	if (!z)
		return;
	if (z->owns_map)
		xb_memmap_destroy(z->map);
	g_free(z->owners);
	g_free(z);
}

static uint32_t register_owner(struct xb_zone *z, const char *name,
			       const struct xb_movable_ops *ops, void *priv)
{
	/* Grow by doubling; registration is rare (workloads, queues). */
	uint32_t n = z->nr_owners;

	if (n == 0)
		z->owners = g_new(struct xb_owner, 8);
	else if (n >= 8 && (n & (n - 1)) == 0)
		z->owners = g_renew(struct xb_owner, z->owners, n * 2);
	z->owners[z->nr_owners] =
	    (struct xb_owner){.name = name, .ops = ops, .priv = priv};
	return z->nr_owners++;
}

uint32_t xb_zone_register_owner(struct xb_zone *z, const char *name,
				const struct xb_movable_ops *ops, void *priv)
{
	uint32_t id = register_owner(z, name, ops, priv);

	/* The other zones of the guest's nodes: the same owner, the same
	 * id (their tables grow in step). */
	for (struct xb_zone *o = z->owner_peer; o && o != z; o = o->owner_peer)
		xb_assert(register_owner(o, name, ops, priv) == id);
	return id;
}

void xb_zone_set_ops(struct xb_zone *z, const struct xb_zone_ops *ops,
		     void *priv)
{
	z->ops = ops;
	z->ops_priv = priv;
}

static inline void account(struct xb_zone *z, unsigned state, unsigned order,
			   int64_t sign)
{
	z->nr_state[state] += (uint64_t)(sign * (int64_t)(1ull << order));
	if (state == XB_FRAME_UNPOPULATED)
		z->managed -= (uint64_t)(sign * (int64_t)(1ull << order));
}

/* Does the block [pfn, pfn + 2^order) cover both isolated and other
 * pageblocks? */
static bool spans_isolation_boundary(const struct xb_zone *z, xb_pfn_t pfn,
				     unsigned order)
{
	bool first = xb_zone_pageblock_mt(z, pfn) == XB_MT_ISOLATE;

	for (uint64_t p = (uint64_t)pfn + z->pb_pages;
	     p < (uint64_t)pfn + (1ull << order); p += z->pb_pages)
		if ((xb_zone_pageblock_mt(z, (xb_pfn_t)p) == XB_MT_ISOLATE) !=
		    first)
			return true;
	return false;
}

/* __free_one_page(): free a block (head state already un-accounted) onto
 * free list mt, merging. */
static void free_block(struct xb_zone *z, xb_pfn_t pfn, unsigned order,
		       unsigned mt, enum xb_free_place place)
{
	/* A block larger than a pageblock, allocated before one of its
	 * pageblocks was isolated, must not land whole on one list: free it
	 * pageblock by pageblock, each on its own type (Linux 6.10
	 * split_large_buddy()). */
	if (order > z->pb_order && spans_isolation_boundary(z, pfn, order)) {
		for (uint64_t p = pfn; p < (uint64_t)pfn + (1ull << order);
		     p += z->pb_pages)
			free_block(z, (xb_pfn_t)p, z->pb_order,
				   xb_zone_pageblock_mt(z, (xb_pfn_t)p), place);
		return;
	}

	xb__buddy_free(&z->buddy, pfn, order, mt, place);
	z->nr_state[XB_FRAME_FREE] += 1ull << order;
}

/* ---- per-CPU lists (mm/page_alloc.c, 6.1) ------------------------------ */

/* order_to_pindex(): a list per (order, migratetype) up to the costly
 * order, then one list for every pageblock-order block. */
static unsigned order_to_pindex(unsigned mt, unsigned order)
{
	if (order > XB_COSTLY_ORDER)
		return XB_PCP_LOWORDER_LISTS;
	return XB_MT_PCPTYPES * order + mt;
}

static unsigned pindex_to_order(unsigned pindex)
{
	return pindex < XB_PCP_LOWORDER_LISTS ? pindex / XB_MT_PCPTYPES
					      : XB_HPAGE_ORDER;
}

/* Put the PCP head at pfn on list i: at its head (list_add) or its tail
 * (list_add_tail). */
static void pcp_list_add(struct xb_zone *z, unsigned i, xb_pfn_t pfn, bool tail)
{
	struct xb_frame *f = &z->frames[pfn];

	if (tail)
		xb_flist_push_tail(&z->pcp.lists[i], z->frames, pfn);
	else
		xb_flist_push(&z->pcp.lists[i], z->frames, pfn);
	z->pcp.count += 1ull << f->order;
	z->nr_state[XB_FRAME_PCP] += 1ull << f->order;
}

/* Take the first (list_first_entry) or last (list_last_entry) block off
 * the non-empty list i; its head keeps state PCP for the caller to set. */
static xb_pfn_t pcp_list_pop(struct xb_zone *z, unsigned i, bool tail)
{
	struct xb_flist *l = &z->pcp.lists[i];
	xb_pfn_t pfn = tail ? l->tail : l->head;
	struct xb_frame *f = &z->frames[pfn];

	xb_assert_internal(pfn != XB_NIL && f->state == XB_FRAME_PCP);
	xb_flist_remove(l, z->frames, pfn);
	z->pcp.count -= 1ull << f->order;
	z->nr_state[XB_FRAME_PCP] -= 1ull << f->order;
	return pfn;
}

/*
 * free_pcppages_bulk(): free `count` pages from the lists to the buddy
 * allocator, the oldest block of each list first, taking the lists round
 * robin from list `pindex`, and dropping from the round the lists found
 * empty at either end. Each block goes to the list of the migratetype it
 * was freed as; while the zone has an isolated pageblock, to its
 * pageblock's current type.
 */
static void free_pcppages_bulk(struct xb_zone *z, uint64_t count,
			       unsigned pindex)
{
	int64_t left = (int64_t)MIN(count, z->pcp.count);
	int min_p = 0, max_p = XB_PCP_LISTS - 1;
	int p = (int)pindex - 1;
	bool isolated = z->nr_isolate_pageblock > 0;

	while (left > 0) {
		for (;;) {
			if (++p > max_p)
				p = min_p;
			if (z->pcp.lists[p].head != XB_NIL)
				break;
			if (p == max_p)
				max_p--;
			if (p == min_p)
				min_p++;
		}
		unsigned order = pindex_to_order((unsigned)p);

		do {
			xb_pfn_t pfn = pcp_list_pop(z, (unsigned)p, true);
			unsigned mt = isolated ? xb_zone_pageblock_mt(z, pfn)
					       : z->frames[pfn].type;

			left -= 1ll << order;
			free_block(z, pfn, order, mt, XB_FREE_LIKELY);
		} while (left > 0 && z->pcp.lists[p].head != XB_NIL);
	}
}

/* nr_pcp_high(): while kswapd reclaims, at most four batches stay. */
static uint64_t nr_pcp_high(const struct xb_zone *z, bool free_high)
{
	uint64_t high = z->pcp.high;

	if (!high || free_high)
		return 0;
	if (!z->reclaim_active)
		return high;
	return MIN(z->pcp.batch << 2, high);
}

/* nr_pcp_free(): what a full list frees: `batch` pages doubled on each
 * drain since the last allocation, kept within [batch, high - batch];
 * everything when high-order pages are freed in a row (free_high). */
static uint64_t nr_pcp_free(struct xb_pcp *pcp, uint64_t high, bool free_high)
{
	uint64_t batch = pcp->batch, lo, hi;

	if (free_high)
		return pcp->count;
	if (high < batch)
		return 1;
	lo = batch;
	hi = high - batch;
	batch <<= pcp->free_factor;
	if (batch < hi)
		pcp->free_factor++;
	return MAX(lo, MIN(batch, hi));
}

/* free_unref_page_commit(): the block at pfn (un-accounted) goes to the
 * head of its list; a list over `high` drains a chunk. */
static void pcp_free(struct xb_zone *z, xb_pfn_t pfn, unsigned order,
		     unsigned mt)
{
	struct xb_frame *f = &z->frames[pfn];
	unsigned pindex = order_to_pindex(mt, order);

	f->state = XB_FRAME_PCP;
	f->type = (uint8_t)mt;
	f->owner = XB_OWNER_NONE;
	pcp_list_add(z, pindex, pfn, false);

	bool free_high =
	    z->pcp.free_factor && order && order <= XB_COSTLY_ORDER;
	uint64_t high = nr_pcp_high(z, free_high);

	if (z->pcp.count >= high)
		free_pcppages_bulk(z, nr_pcp_free(&z->pcp, high, free_high),
				   pindex);
}

void xb_zone_drain_pcp(struct xb_zone *z)
{
	if (!z->pcp.count)
		return;
	free_pcppages_bulk(z, z->pcp.count, 0);
	z->stats.pcp_drain++;
	xb__zone_check(z);
}

/* zone_batchsize(): a quarter of 0.1 % of the zone, at most 256 pages,
 * scaled by 1.5 and rounded down to a power of two, less one. */
static uint64_t zone_batchsize(uint64_t managed)
{
	uint64_t batch = MIN(managed >> 10, (1ull << 20) / 4096) / 4;

	if (batch < 1)
		batch = 1;
	batch += batch / 2;
	batch = (1ull << (63 - __builtin_clzll(batch))) - 1;
	return MAX(batch, 1); /* zone_set_pageset_high_and_batch() */
}

void xb_zone_online(struct xb_zone *z, xb_pfn_t pfn, unsigned order)
{
	bool carved = xb_zone_carve(z, pfn, order);
	struct xb_frame *f = &z->frames[pfn];

	xb_assert(carved);

	xb_assert(f->state == XB_FRAME_UNPOPULATED &&
		  f->owner == XB_OWNER_NONE);
	account(z, XB_FRAME_UNPOPULATED, order, -1);
	/* __free_pages_core() frees boot memory with FPI_TO_TAIL, so that
	 * the allocator hands it out in ascending order. */
	free_block(z, pfn, order, xb_zone_pageblock_mt(z, pfn), XB_FREE_TAIL);
	xb__zone_check(z);
}

void xb_zone_online_all(struct xb_zone *z)
{
	for (uint64_t pfn = z->start_pfn; pfn < z->end_pfn;) {
		/* Read the order first: onlining may merge pfn away. */
		unsigned o = z->frames[pfn].order;

		if (z->frames[pfn].state == XB_FRAME_UNPOPULATED &&
		    z->frames[pfn].owner == XB_OWNER_NONE)
			xb_zone_online(z, (xb_pfn_t)pfn, o);
		pfn += 1ull << o;
	}
	xb_zone_setup_watermarks(z);
}

/* zone_managed_pages(): populated frames less the kernel's boot memory. */
static inline uint64_t managed_pages(const struct xb_zone *z)
{
	return z->managed - z->reserved;
}

/* int_sqrt() */
static uint64_t int_sqrt(uint64_t x)
{
	uint64_t r = (uint64_t)sqrt((double)x);

	while (r * r > x)
		r--;
	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/*
 * calculate_min_free_kbytes() + set_recommended_min_free_kbytes() for a
 * guest of `lowmem` buffer pages whose sysctls `sys` holds.
 */
static uint64_t guest_min_free_kbytes(const struct xb_zone *sys,
				      uint64_t lowmem)
{
	uint64_t min_kb;

	/* min_free_kbytes_sysctl_handler(): the value written wins. */
	if (sys->user_min_free_kbytes)
		return sys->user_min_free_kbytes;
	/* calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16), clamped to
	 * [128, 262144]; lowmem is nr_free_buffer_pages(), the managed pages
	 * of every zone before any watermark is set. */
	min_kb = int_sqrt(lowmem * 4 * 16);
	if (min_kb < 128)
		min_kb = 128;
	if (min_kb > 262144)
		min_kb = 262144;
	/* set_recommended_min_free_kbytes() (mm/khugepaged.c), run when
	 * khugepaged starts, i.e. THP always or madvise: two free pageblocks
	 * per zone plus MIGRATE_PCPTYPES^2 more, capped at 5 % of the buffer
	 * pages, and only ever raising. */
	if (sys->thp_enabled) {
		uint64_t rec = (uint64_t)sys->pb_pages * sys->thp_zones *
			       (2 + XB_MT_PCPTYPES * XB_MT_PCPTYPES);
		uint64_t cap = lowmem / 20;

		if (rec > cap)
			rec = cap;
		if (rec * 4 > min_kb)
			min_kb = rec * 4;
	}
	return min_kb;
}

/*
 * __setup_per_zone_wmarks() for one zone of a guest of `lowmem` managed
 * pages: min is the zone's share of pages_min by managed pages; the low
 * and high gaps are the larger of min / 4 and watermark_scale_factor /
 * 10000 of the zone's managed pages. Setting the marks clears any boost.
 * Then zone_pcp_update().
 */
static void setup_zone_wmarks(struct xb_zone *z, uint64_t pages_min,
			      uint64_t lowmem)
{
	/* A guest with nothing managed has no share to divide: each zone
	 * keeps pages_min, as the one zone of such a guest always did. */
	uint64_t min =
	    lowmem ? pages_min * managed_pages(z) / lowmem : pages_min;
	uint64_t tmp = managed_pages(z) * z->watermark_scale_factor / 10000;

	if (tmp < (min >> 2))
		tmp = min >> 2;
	z->watermark[XB_WMARK_MIN] = min;
	z->watermark[XB_WMARK_LOW] = min + tmp;
	z->watermark[XB_WMARK_HIGH] = min + 2 * tmp;
	z->watermark_boost = 0;
	z->boosted_wakeup = false;

	/* zone_pcp_update() -> zone_highsize(): the low mark split over the
	 * CPUs of the node (one here), at least four batches. */
	z->pcp.batch = zone_batchsize(managed_pages(z));
	z->pcp.high = MAX(z->watermark[XB_WMARK_LOW], z->pcp.batch << 2);
}

void xb__setup_per_zone_wmarks(struct xb_zone *const *zones, unsigned nr)
{
	uint64_t lowmem = 0, min_kb;

	xb_assert(nr >= 1);
	for (unsigned i = 0; i < nr; i++)
		lowmem += managed_pages(zones[i]);
	min_kb = guest_min_free_kbytes(zones[0], lowmem);
	for (unsigned i = 0; i < nr; i++) {
		zones[i]->min_free_kbytes = min_kb;
		setup_zone_wmarks(zones[i], min_kb >> 2, lowmem);
	}
}

void xb_zone_setup_watermarks(struct xb_zone *z)
{
	xb__setup_per_zone_wmarks(&z, 1);
}

uint64_t xb_zone_free_pages(const struct xb_zone *z)
{
	return z->buddy.nr_free_pages - z->buddy.list_pages[XB_MT_ISOLATE];
}

bool xb_zone_watermark_ok(const struct xb_zone *z, unsigned order,
			  uint64_t mark)
{
	int64_t free = (int64_t)xb_zone_free_pages(z) - ((1ll << order) - 1);

	if (free <= (int64_t)mark)
		return false;
	if (order == 0)
		return true;
	unsigned orders = 0;

	for (unsigned mt = 0; mt < XB_MT_PCPTYPES; mt++)
		orders |= xb_buddy_orders_from(&z->buddy, mt, order);
	return orders != 0;
}

void xb_zone_set_pageblock_mt(struct xb_zone *z, xb_pfn_t pfn, unsigned mt)
{
	uint8_t *pb = &z->pageblock[pfn >> z->pb_order];

	xb_assert_internal(mt < XB_MT_NR);
	z->nr_isolate_pageblock -= (*pb & XB_PB_MT_MASK) == XB_MT_ISOLATE;
	z->nr_isolate_pageblock += mt == XB_MT_ISOLATE;
	*pb = (uint8_t)((*pb & ~XB_PB_MT_MASK) | mt);
}

uint64_t xb_zone_move_freepages_block(struct xb_zone *z, xb_pfn_t pfn,
				      unsigned mt, uint64_t *movable)
{
	uint64_t start = (uint64_t)pfn & ~(uint64_t)(z->pb_pages - 1);
	uint64_t end = start + z->pb_pages;
	uint64_t moved = 0;

	if (end > z->end_pfn)
		end = z->end_pfn;
	for (uint64_t p = start; p < end;) {
		struct xb_frame *f = &z->frames[p];

		if (!xb_frame_is_head(f)) {
			/* Inside a block that began in an earlier pageblock
			 * (order > pageblock order): nothing of its own here.
			 */
			p++;
			continue;
		}
		if (f->state == XB_FRAME_FREE) {
			xb__buddy_list_move(&z->buddy, (xb_pfn_t)p, mt);
			moved += 1ull << f->order;
		} else if (movable && xb_frame_is_movable(f)) {
			*movable += 1ull << f->order;
		}
		p += 1ull << f->order;
	}
	return moved;
}

/*
 * boost_watermark(): raise every watermark by a pageblock, up to
 * watermark_boost_factor / 10000 of the high mark (at least a pageblock),
 * so that kswapd reclaims a little more and the next fallback is less
 * likely. Not in zones smaller than four pageblocks, nor before the marks
 * are set.
 */
static bool boost_watermark(struct xb_zone *z)
{
	uint64_t max_boost;

	if (!z->watermark_boost_factor)
		return false;
	if ((uint64_t)z->pb_pages * 4 > managed_pages(z))
		return false;
	max_boost =
	    z->watermark[XB_WMARK_HIGH] * z->watermark_boost_factor / 10000;
	if (!max_boost)
		return false;
	if (max_boost < z->pb_pages)
		max_boost = z->pb_pages;
	z->watermark_boost += z->pb_pages;
	if (z->watermark_boost > max_boost)
		z->watermark_boost = max_boost;
	z->stats.wmark_boost++;
	return true;
}

bool xb_zone_can_steal_fallback(const struct xb_zone *z, unsigned order,
				unsigned start_mt)
{
	if (order >= z->pb_order)
		return true;
	return order >= z->pb_order / 2 || start_mt == XB_MT_RECLAIMABLE ||
	       start_mt == XB_MT_UNMOVABLE;
}

/* find_suitable_fallback() with only_stealable = false. */
static int find_suitable_fallback(const struct xb_zone *z, unsigned order,
				  unsigned mt, bool *can_steal)
{
	*can_steal = false;
	for (unsigned i = 0; i < 2; i++) {
		unsigned fmt = fallbacks[mt][i];

		if (!z->buddy.area[order][fmt].nr_free)
			continue;
		*can_steal = xb_zone_can_steal_fallback(z, order, mt);
		return (int)fmt;
	}
	return -1;
}

/*
 * steal_suitable_fallback(): the free block at pfn (order `order`, still on
 * its fallback list) is about to serve an allocation of `start_mt`. Large
 * blocks change their pageblocks' type wholesale; smaller ones pull the
 * whole pageblock's free pages over, and claim the pageblock when at least
 * half of it is free or already of a compatible kind. Any steal below
 * pageblock order boosts the watermarks first (boost_watermark()), and an
 * allocation that may wake kswapd asks for it at the next rmqueue().
 */
static void steal_suitable_fallback(struct xb_zone *z, xb_pfn_t pfn,
				    unsigned order, unsigned start_mt,
				    bool whole_block, unsigned flags)
{
	unsigned old_mt = xb_zone_pageblock_mt(z, pfn);

	if (order >= z->pb_order) {
		/* change_pageblock_range() */
		for (uint64_t p = pfn; p < (uint64_t)pfn + (1ull << order);
		     p += z->pb_pages)
			xb_zone_set_pageblock_mt(z, (xb_pfn_t)p, start_mt);
		z->stats.extfrag_steal += 1ull << (order - z->pb_order);
		xb__buddy_list_move(&z->buddy, pfn, start_mt);
		return;
	}
	if (boost_watermark(z) && (flags & XB_ALLOC_KSWAPD))
		z->boosted_wakeup = true;
	if (!whole_block) {
		xb__buddy_list_move(&z->buddy, pfn, start_mt);
		return;
	}
	uint64_t movable = 0;
	uint64_t free =
	    xb_zone_move_freepages_block(z, pfn, start_mt, &movable);
	uint64_t alike;

	if (start_mt == XB_MT_MOVABLE)
		alike = movable;
	else if (old_mt == XB_MT_MOVABLE)
		alike = z->pb_pages - (free + movable);
	else
		alike = 0;
	if (free + alike >= (z->pb_pages >> 1)) {
		xb_zone_set_pageblock_mt(z, pfn, start_mt);
		z->stats.extfrag_steal++;
	}
}

/*
 * __rmqueue_fallback(): look for the largest block on a fallback list (to
 * steal big and fragment less), except that a movable request that may not
 * steal takes the smallest block instead.
 */
static bool rmqueue_fallback(struct xb_zone *z, unsigned order, unsigned mt,
			     unsigned flags)
{
	bool can_steal;
	int fmt = -1;
	int cur;

	for (cur = XB_MAX_ORDER - 1; cur >= (int)order; cur--) {
		fmt = find_suitable_fallback(z, (unsigned)cur, mt, &can_steal);
		if (fmt == -1)
			continue;
		if (!can_steal && mt == XB_MT_MOVABLE && cur > (int)order) {
			for (cur = (int)order; cur < XB_MAX_ORDER; cur++) {
				fmt = find_suitable_fallback(z, (unsigned)cur,
							     mt, &can_steal);
				if (fmt != -1)
					break;
			}
			xb_assert(cur < XB_MAX_ORDER);
		}
		break;
	}
	if (fmt == -1)
		return false;
	xb_pfn_t pfn = z->buddy.area[cur][fmt].head;

	steal_suitable_fallback(z, pfn, (unsigned)cur, mt, can_steal, flags);
	z->stats.extfrag_fallback++;
	return true;
}

static void wake_kswapd(struct xb_zone *z, unsigned order, unsigned flags)
{
	if (z->ops && z->ops->wake_kswapd)
		z->ops->wake_kswapd(z, z->ops_priv, order, flags);
}

/* __rmqueue(): a block off the buddy lists, its head's state unset (the
 * caller's) and its pages no longer counted free. */
static xb_pfn_t rmqueue_buddy(struct xb_zone *z, unsigned order, unsigned mt,
			      unsigned flags)
{
	xb_pfn_t pfn = xb__buddy_alloc(&z->buddy, order, mt);

	if (pfn == XB_NIL && rmqueue_fallback(z, order, mt, flags))
		pfn = xb__buddy_alloc(&z->buddy, order, mt);
	if (pfn != XB_NIL)
		z->nr_state[XB_FRAME_FREE] -= 1ull << order;
	return pfn;
}

/*
 * rmqueue_pcplist(): the first block of the list for (order, mt); an empty
 * list is first refilled at its tail with up to `batch` blocks (at least
 * two of a high order, batch >> order) by rmqueue_bulk(), each __rmqueue()
 * with fallback. Every allocation halves the drain factor.
 */
static xb_pfn_t rmqueue_pcplist(struct xb_zone *z, unsigned order, unsigned mt,
				unsigned flags)
{
	unsigned pindex = order_to_pindex(mt, order);
	struct xb_pcp *pcp = &z->pcp;

	pcp->free_factor >>= 1;
	if (pcp->lists[pindex].head == XB_NIL) {
		uint64_t batch = pcp->batch;

		if (batch > 1)
			batch = MAX(batch >> order, 2);
		for (uint64_t i = 0; i < batch; i++) {
			xb_pfn_t pfn = rmqueue_buddy(z, order, mt, flags);

			if (pfn == XB_NIL)
				break;
			struct xb_frame *f = &z->frames[pfn];

			f->state = XB_FRAME_PCP;
			f->type = (uint8_t)mt; /* set_pcppage_migratetype() */
			f->owner = XB_OWNER_NONE;
			pcp_list_add(z, pindex, pfn, true);
		}
		if (pcp->lists[pindex].head == XB_NIL)
			return XB_NIL;
	}
	return pcp_list_pop(z, pindex, false);
}

/* rmqueue(): through the per-CPU lists where the order allows. Its wake-up
 * of kswapd for a boosted zone is done by xb_zone_alloc() once the block
 * is the caller's. */
static xb_pfn_t rmqueue(struct xb_zone *z, unsigned order, unsigned mt,
			unsigned flags)
{
	if (xb_pcp_allowed_order(z->pb_order, order))
		return rmqueue_pcplist(z, order, mt, flags);
	return rmqueue_buddy(z, order, mt, flags);
}

/* The watermark check and rmqueue() of get_page_from_freelist() for one
 * zone at watermark `wmark`. */
static xb_pfn_t try_alloc(struct xb_zone *z, unsigned order, unsigned mt,
			  unsigned flags, enum xb_wmark wmark)
{
	if (!(flags & XB_ALLOC_NOWMARK) &&
	    !xb_zone_watermark_ok(z, order, xb_zone_wmark(z, wmark)))
		return XB_NIL;
	return rmqueue(z, order, mt, flags);
}

/* One allocation: what it asks for, over which zones, and where it stands
 * (Linux passes gfp_mask, order, alloc_flags and the alloc_context). */
struct alloc_request {
	const struct xb_alloc_context *ac;
	struct xb_zone *preferred; /* the first allowed zone            */
	struct xb_zone *served;	   /* where the block came from         */
	unsigned order, mt, flags;
};

/* The allowed zone at or after position *i, *i moved past it; NULL at the
 * end of the zonelist. */
static struct xb_zone *next_zone(const struct xb_alloc_context *ac, unsigned *i)
{
	for (; *i < ac->nr_zones; (*i)++)
		if ((ac->allowed >> *i) & 1)
			return ac->zonelist[(*i)++];
	return NULL;
}

/* for_each_zone_zonelist_nodemask(): the allowed zones, nearest first. */
#define for_each_allowed_zone(z, i, ac)                                        \
	for (unsigned i = 0; ((z) = next_zone((ac), &i)) != NULL;)

/* get_page_from_freelist(): the first allowed zone from zonelist position
 * `from` on that passes the mark and has the block gives it. */
static xb_pfn_t get_page_from_freelist(struct alloc_request *rq,
				       enum xb_wmark wmark, unsigned from)
{
	struct xb_zone *z;

	for (unsigned i = from; (z = next_zone(rq->ac, &i)) != NULL;) {
		xb_pfn_t pfn =
		    try_alloc(z, rq->order, rq->mt, rq->flags, wmark);

		if (pfn != XB_NIL) {
			rq->served = z;
			return pfn;
		}
	}
	return XB_NIL;
}

/* wake_all_kswapds(): the kswapd of every allowed zone's node. */
static void wake_all_kswapds(const struct alloc_request *rq)
{
	struct xb_zone *z;

	for_each_allowed_zone(z, i, rq->ac)
	    wake_kswapd(z, rq->order, rq->flags);
}

static bool has_compact(const struct xb_zone *z)
{
	return z->ops && z->ops->compact;
}

static bool has_reclaim(const struct xb_zone *z)
{
	return z->ops && z->ops->reclaim;
}

/* Has any allowed zone this hook? */
static bool any_zone(const struct alloc_request *rq,
		     bool (*has)(const struct xb_zone *z))
{
	struct xb_zone *z;

	for_each_allowed_zone(z, i, rq->ac) if (has(z)) return true;
	return false;
}

/*
 * __alloc_pages_direct_compact(): try_to_compact_pages() at `prio` over
 * the allowed zones in order, stopping at the first that reports SUCCESS,
 * the result the highest of theirs (they start from SKIPPED); then a try
 * at the min mark. Each zone's hook counts its compact_stall and outcome.
 */
static xb_pfn_t direct_compact(struct alloc_request *rq, unsigned prio,
			       enum xb_compact_result *result)
{
	struct xb_zone *z;

	*result = XB_COMPACT_SKIPPED;
	if (rq->order == 0 || !(rq->flags & XB_ALLOC_COMPACT) ||
	    !any_zone(rq, has_compact))
		return XB_NIL;
	rq->preferred->stats.alloc_compact++;
	for_each_allowed_zone(z, i, rq->ac)
	{
		if (!has_compact(z))
			continue;
		enum xb_compact_result r =
		    z->ops->compact(z, z->ops_priv, rq->order, rq->mt, prio);

		*result = MAX(*result, r);
		if (r == XB_COMPACT_SUCCESS)
			break;
	}
	if (*result == XB_COMPACT_SKIPPED)
		return XB_NIL;
	return get_page_from_freelist(rq, XB_WMARK_MIN, 0);
}

/*
 * __alloc_pages_direct_reclaim(): try_to_free_pages() -> shrink_zones():
 * every allowed zone's reclaim once (a node each), then a try at the min
 * mark; if that fails, drain_all_pages() and try once more.
 */
static xb_pfn_t direct_reclaim(struct alloc_request *rq, uint64_t *progress)
{
	struct xb_zone *z;
	xb_pfn_t pfn;

	*progress = 0;
	if (!(rq->flags & XB_ALLOC_RECLAIM) || !any_zone(rq, has_reclaim))
		return XB_NIL;
	rq->preferred->stats.allocstall++;
	for_each_allowed_zone(z, i, rq->ac) if (has_reclaim(z)) *progress +=
	    z->ops->reclaim(z, z->ops_priv, rq->order);
	if (!*progress)
		return XB_NIL;
	pfn = get_page_from_freelist(rq, XB_WMARK_MIN, 0);
	if (pfn == XB_NIL) {
		for (unsigned i = 0; i < rq->ac->nr_zones; i++)
			xb_zone_drain_pcp(rq->ac->zonelist[i]);
		pfn = get_page_from_freelist(rq, XB_WMARK_MIN, 0);
	}
	return pfn;
}

/*
 * should_reclaim_retry(): give up after MAX_RECLAIM_RETRIES rounds without
 * progress (progress of a costly order does not count), or when in no
 * allowed zone even reclaiming everything reclaimable would pass the min
 * mark.
 */
static bool should_reclaim_retry(const struct alloc_request *rq,
				 uint64_t progress, unsigned *no_progress)
{
	struct xb_zone *z;

	if (progress && rq->order <= XB_COSTLY_ORDER)
		*no_progress = 0;
	else
		(*no_progress)++;
	if (*no_progress > XB_MAX_RECLAIM_RETRIES)
		return false;
	for_each_allowed_zone(z, i, rq->ac)
	{
		uint64_t avail = xb_zone_free_pages(z);

		if (z->ops && z->ops->reclaimable)
			avail += z->ops->reclaimable(z, z->ops_priv);
		if (avail >
		    xb_zone_wmark(z, XB_WMARK_MIN) + (1ull << rq->order))
			return true;
	}
	return false;
}

/*
 * should_compact_retry(): retry while compaction makes progress (a quarter
 * of MAX_COMPACT_RETRIES for costly orders); when it failed or withdrew,
 * retry once more at each higher priority down to the order's minimum.
 * SKIPPED (too little free memory) retries only if reclaim made progress,
 * the model's compaction_zonelist_suitable().
 */
#define MAX_COMPACT_RETRIES 16
static bool should_compact_retry(unsigned order, enum xb_compact_result r,
				 uint64_t progress, unsigned *prio,
				 unsigned *retries)
{
	unsigned max_retries = MAX_COMPACT_RETRIES;
	unsigned min_prio;

	if (!order)
		return false;
	if (xb_compaction_made_progress(r))
		(*retries)++;
	if (r == XB_COMPACT_SKIPPED)
		return progress > 0;
	if (!xb_compaction_failed(r) && !xb_compaction_withdrawn(r)) {
		if (order > XB_COSTLY_ORDER)
			max_retries /= 4;
		if (*retries <= max_retries)
			return true;
	}
	min_prio = order > XB_COSTLY_ORDER ? XB_MIN_COMPACT_COSTLY_PRIORITY
					   : XB_MIN_COMPACT_PRIORITY;
	if (*prio > min_prio) {
		(*prio)--;
		*retries = 0;
		return true;
	}
	return false;
}

/*
 * __alloc_pages_slowpath(), over the allowed zones of the zonelist and
 * without the OOM killer (an allocation that would invoke it fails
 * instead):
 *  1. wake kswapd (__GFP_KSWAPD_RECLAIM) and try at the min mark;
 *  2. costly orders, and non-movable orders > 0, compact (async) before
 *     they reclaim; a costly __GFP_NORETRY request fails at once when that
 *     compaction was SKIPPED or DEFERRED, and keeps the async priority;
 *  3. the retry loop: kswapd again, min mark, direct reclaim, direct
 *     compaction; __GFP_NORETRY and costly requests without
 *     __GFP_RETRY_MAYFAIL stop after one round; the rest retry as
 *     should_reclaim_retry() and should_compact_retry() allow.
 */
static xb_pfn_t alloc_slowpath(struct alloc_request *rq)
{
	unsigned order = rq->order, flags = rq->flags;
	bool costly = order > XB_COSTLY_ORDER;
	bool can_direct = flags & (XB_ALLOC_RECLAIM | XB_ALLOC_COMPACT);
	enum xb_compact_result cr = XB_COMPACT_SKIPPED;
	unsigned prio = XB_INIT_COMPACT_PRIORITY;
	unsigned no_progress = 0, compact_retries = 0;
	uint64_t progress;
	xb_pfn_t pfn;

	if (flags & XB_ALLOC_KSWAPD)
		wake_all_kswapds(rq);
	pfn = get_page_from_freelist(rq, XB_WMARK_MIN, 0);
	if (pfn != XB_NIL)
		return pfn;
	if (can_direct && (costly || (order > 0 && rq->mt != XB_MT_MOVABLE))) {
		pfn = direct_compact(rq, prio, &cr);
		if (pfn != XB_NIL)
			return pfn;
		if (costly && (flags & XB_ALLOC_NORETRY)) {
			if (cr == XB_COMPACT_SKIPPED ||
			    cr == XB_COMPACT_DEFERRED)
				return XB_NIL;
			prio = XB_INIT_COMPACT_PRIORITY;
		}
	}
	for (;;) {
		if (flags & XB_ALLOC_KSWAPD)
			wake_all_kswapds(rq);
		pfn = get_page_from_freelist(rq, XB_WMARK_MIN, 0);
		if (pfn != XB_NIL || !can_direct)
			return pfn;
		pfn = direct_reclaim(rq, &progress);
		if (pfn != XB_NIL)
			return pfn;
		pfn = direct_compact(rq, prio, &cr);
		if (pfn != XB_NIL)
			return pfn;
		if (flags & XB_ALLOC_NORETRY)
			return XB_NIL;
		if (costly && !(flags & XB_ALLOC_RETRY_MAYFAIL))
			return XB_NIL;
		if (should_reclaim_retry(rq, progress, &no_progress))
			continue;
		if (progress && should_compact_retry(order, cr, progress, &prio,
						     &compact_retries))
			continue;
		return XB_NIL;
	}
}

/* __alloc_pages() itself, inlined into its two entries so that the
 * one-zone one (xb_zone_alloc(), every allocation of a guest without
 * nodes) folds its zonelist away. */
static inline __attribute__((always_inline)) xb_pfn_t
alloc_pages(const struct xb_alloc_context *ac, unsigned order, unsigned mt,
	    unsigned flags, uint32_t owner, uint32_t slot,
	    struct xb_zone **served)
{
	struct alloc_request rq = {
	    .ac = ac, .order = order, .mt = mt, .flags = flags};
	unsigned first = 0;
	xb_pfn_t pfn = XB_NIL;

	xb_assert(order < XB_MAX_ORDER && mt < XB_MT_PCPTYPES);
	/* The callers build the context (xb_zone_alloc(), xb_nodes_alloc()). */
	xb_assert_expensive(
	    ac->nr_zones >= 1 && ac->nr_zones <= 64 &&
	    (ac->nr_zones == 64 || ac->allowed >> ac->nr_zones == 0));
	/* prepare_alloc_pages(): ac->preferred_zoneref, the first zone the
	 * nodemask allows; none allowed, none can serve. */
	rq.preferred = next_zone(ac, &first);
	if (rq.preferred) {
		/* get_page_from_freelist() at the low mark, then the slow
		 * path. Its first zone, the preferred one, is tried here
		 * (where nearly every allocation ends), the others after. */
		pfn = try_alloc(rq.preferred, order, mt, flags, XB_WMARK_LOW);
		if (pfn != XB_NIL)
			rq.served = rq.preferred;
		else
			pfn = get_page_from_freelist(&rq, XB_WMARK_LOW, first);
		if (pfn == XB_NIL)
			pfn = alloc_slowpath(&rq);
	}
	if (pfn == XB_NIL) {
		struct xb_zone *pz =
		    rq.preferred ? rq.preferred : ac->zonelist[0];

		pz->stats.alloc_fail++;
		xb__zone_check(pz);
		return XB_NIL;
	}
	struct xb_zone *z = rq.served;
	struct xb_frame *f = &z->frames[pfn];

	f->state = XB_FRAME_ALLOC;
	f->type = mt;
	f->owner = owner;
	f->next = slot;
	f->prev = XB_NIL;
	f->flags = 0;
	z->nr_state[XB_FRAME_ALLOC] += 1ull << order;
	z->stats.pgalloc += 1ull << order;
	xb__zone_check(z);
	/* rmqueue(): ZONE_BOOSTED_WATERMARK wakes kswapd (order 0). */
	if (z->boosted_wakeup) {
		z->boosted_wakeup = false;
		wake_kswapd(z, 0, 0);
	}
	if (served)
		*served = z;
	return pfn;
}

xb_pfn_t xb__alloc_pages(const struct xb_alloc_context *ac, unsigned order,
			 unsigned mt, unsigned flags, uint32_t owner,
			 uint32_t slot, struct xb_zone **served)
{
	return alloc_pages(ac, order, mt, flags, owner, slot, served);
}

xb_pfn_t xb_zone_alloc(struct xb_zone *z, unsigned order, unsigned mt,
		       unsigned flags, uint32_t owner, uint32_t slot)
{
	/* __alloc_pages() over a zonelist of this one zone. */
	struct xb_zone *zonelist[1] = {z};
	const struct xb_alloc_context ac = {
	    .zonelist = zonelist, .nr_zones = 1, .allowed = 1};

	return alloc_pages(&ac, order, mt, flags, owner, slot, NULL);
}

/* A non-free block straight to the buddy allocator (free_one_page()). */
static void free_to_buddy(struct xb_zone *z, xb_pfn_t pfn)
{
	struct xb_frame *f = &z->frames[pfn];

	account(z, f->state, f->order, -1);
	f->flags = 0;
	free_block(z, pfn, f->order, xb_zone_pageblock_mt(z, pfn),
		   XB_FREE_LIKELY);
}

void xb_zone_free(struct xb_zone *z, xb_pfn_t pfn)
{
	struct xb_frame *f = &z->frames[pfn];
	unsigned order = f->order, mt = xb_zone_pageblock_mt(z, pfn);

	xb_assert(f->state == XB_FRAME_ALLOC || f->state == XB_FRAME_BALLOON ||
		  f->state == XB_FRAME_ISOLATED);
	z->stats.pgfree += 1ull << order;
	account(z, f->state, order, -1);
	f->flags = 0;
	if (!xb_pcp_allowed_order(z->pb_order, order) || mt == XB_MT_ISOLATE)
		free_block(z, pfn, order, mt, XB_FREE_LIKELY);
	else
		pcp_free(z, pfn, order, mt);
	xb__zone_check(z);
}

void xb_zone_set_state(struct xb_zone *z, xb_pfn_t pfn,
		       enum xb_frame_state state, uint32_t owner)
{
	struct xb_frame *f = &z->frames[pfn];

	/* Not free in either sense: a block on a per-CPU list is free. */
	xb_assert(f->state >= XB_FRAME_ALLOC && f->state < XB_FRAME_PCP);
	xb_assert(state >= XB_FRAME_ALLOC && state < XB_FRAME_PCP);
	account(z, f->state, f->order, -1);
	account(z, state, f->order, +1);
	f->state = state;
	f->owner = owner;
	xb__zone_check(z);
}

uint64_t xb_zone_split(struct xb_zone *z, xb_pfn_t pfn, unsigned order)
{
	struct xb_frame *head = &z->frames[pfn];
	uint64_t n = 1ull << (head->order - order);

	xb_assert(head->state >= XB_FRAME_ALLOC && head->state < XB_FRAME_PCP &&
		  head->order >= order);
	for (uint64_t i = 1; i < n; i++) {
		struct xb_frame *f = &z->frames[pfn + (i << order)];

		*f = *head;
		f->order = order;
		f->next = f->prev = XB_NIL;
	}
	head->order = order;
	xb__zone_check(z);
	return n;
}

uint64_t xb_kernel_reserved_default(uint64_t boot_frames)
{
	uint64_t n = boot_frames / 64 + XB_KERNEL_IMAGE_FRAMES;

	/* A guest too small for Debian's kernel runs a smaller one. */
	return n < boot_frames / 4 ? n : boot_frames / 4;
}

uint64_t xb_zone_reserve(struct xb_zone *z, xb_pfn_t start, uint64_t n,
			 uint32_t owner)
{
	uint64_t end = (uint64_t)start + n, taken = 0;

	xb_assert(start >= z->start_pfn && end <= z->end_pfn);

	for (uint64_t pfn = start; pfn < end;) {
		xb_pfn_t h = xb_zone_head(z, (xb_pfn_t)pfn);
		const struct xb_frame *hf = &z->frames[h];
		unsigned o = fit_order(pfn, end - pfn, XB_MAX_ORDER - 1);

		if (hf->state != XB_FRAME_FREE) {
			/* Not free (already someone's): not the kernel's. */
			pfn = (uint64_t)h + (1ull << hf->order);
			continue;
		}
		if (hf->order < o)
			o = hf->order; /* then h == pfn: free blocks align */
		unsigned bo = xb_zone_isolate_free(z, h);

		if (bo > o) {
			xb_zone_split(z, h, o);
			for (uint64_t p = h; p < (uint64_t)h + (1ull << bo);
			     p += 1ull << o)
				if (p != pfn)
					free_to_buddy(z, (xb_pfn_t)p);
		}
		struct xb_frame *f = &z->frames[pfn];

		xb_zone_set_state(z, (xb_pfn_t)pfn, XB_FRAME_ALLOC, owner);
		f->type = XB_MT_UNMOVABLE;
		f->next = XB_NIL;
		taken += 1ull << o;
		pfn += 1ull << o;
	}
	z->reserved += taken;
	xb__zone_check(z);
	return taken;
}

unsigned xb_zone_isolate_free(struct xb_zone *z, xb_pfn_t pfn)
{
	struct xb_frame *f = &z->frames[pfn];
	unsigned order = f->order;

	xb_assert(f->state == XB_FRAME_FREE);
	xb__buddy_list_del(&z->buddy, pfn);
	f->state = XB_FRAME_ISOLATED;
	f->owner = XB_OWNER_NONE;
	f->flags = 0;
	f->next = f->prev = XB_NIL;
	z->nr_state[XB_FRAME_FREE] -= 1ull << order;
	z->nr_state[XB_FRAME_ISOLATED] += 1ull << order;
	xb__zone_check(z);
	return order;
}

bool xb_zone_carve(struct xb_zone *z, xb_pfn_t pfn, unsigned order)
{
	xb_pfn_t head = xb_zone_head(z, pfn);

	if (head == XB_NIL || (pfn & ((1u << order) - 1)))
		return false;
	struct xb_frame *h = &z->frames[head];

	if (h->state == XB_FRAME_FREE || h->state == XB_FRAME_PCP ||
	    h->order < order)
		return false;
	struct xb_frame tmpl = *h;

	tmpl.next = tmpl.prev = XB_NIL;
	/* Halve toward pfn; each half without pfn becomes a block of its own
	 * with the same state. */
	for (unsigned cur = h->order; cur > order;) {
		cur--;
		xb_pfn_t half = head + (1u << cur);
		xb_pfn_t other = pfn >= half ? head : half;

		z->frames[other] = tmpl;
		z->frames[other].order = cur;
		if (pfn >= half)
			head = half;
	}
	z->frames[head] = tmpl;
	z->frames[head].order = order;
	return true;
}

/*
 * split_free_page() for isolation: a free block larger than a pageblock
 * that covers the pageblock at `start` is split, so that the pageblock's
 * part can change lists on its own (the rest stays on the block's list).
 */
static void split_free_pageblock(struct xb_zone *z, xb_pfn_t start)
{
	xb_pfn_t head = xb_zone_head(z, start);

	if (head == XB_NIL || z->frames[head].state != XB_FRAME_FREE ||
	    z->frames[head].order <= z->pb_order)
		return;
	unsigned list = z->frames[head].type;
	bool taken = xb__buddy_take_exact(&z->buddy, start, z->pb_order);

	xb_assert(taken);
	xb__buddy_list_add(&z->buddy, start, z->pb_order, list);
}

bool xb_zone_isolate_pageblock(struct xb_zone *z, xb_pfn_t pfn)
{
	if (xb_zone_pageblock_mt(z, pfn) == XB_MT_ISOLATE)
		return false;
	/* isolate_single_pageblock(): only this pageblock's part of a
	 * larger free block goes to the isolate list. */
	split_free_pageblock(z, pfn & ~(xb_pfn_t)(z->pb_pages - 1));
	xb_zone_set_pageblock_mt(z, pfn, XB_MT_ISOLATE);
	/* The buddy core compares the raw pageblock byte with the isolate
	 * type (merge_ok()): an isolated pageblock carries no compaction
	 * skip hint (compaction never scans isolated pageblocks anyway). */
	z->pageblock[pfn >> z->pb_order] &= (uint8_t)~XB_PB_SKIP;
	xb_zone_move_freepages_block(z, pfn, XB_MT_ISOLATE, NULL);
	xb__zone_check(z);
	return true;
}

void xb_zone_unisolate_pageblock(struct xb_zone *z, xb_pfn_t pfn, unsigned mt)
{
	xb_assert(xb_zone_pageblock_mt(z, pfn) == XB_MT_ISOLATE);
	xb_assert(mt < XB_MT_PCPTYPES);
	/* Two isolated neighbours may have merged into one block that spans
	 * both: split it, so the other pageblock's half stays isolated. */
	split_free_pageblock(z, pfn & ~(xb_pfn_t)(z->pb_pages - 1));
	xb_zone_set_pageblock_mt(z, pfn, mt);
	/* Free blocks inside the block may now merge with neighbours that the
	 * isolation kept apart: free them again (unset_migratetype_isolate()
	 * moves them; __free_one_page merging is modeled by re-freeing). */
	uint64_t start = (uint64_t)pfn & ~(uint64_t)(z->pb_pages - 1);
	uint64_t end = MIN(start + z->pb_pages, z->end_pfn);

	for (uint64_t p = start; p < end;) {
		struct xb_frame *f = &z->frames[p];

		if (!xb_frame_is_head(f)) {
			p++;
			continue;
		}
		unsigned o = f->order;

		if (f->state == XB_FRAME_FREE) {
			xb__buddy_list_del(&z->buddy, (xb_pfn_t)p);
			xb__buddy_free(&z->buddy, (xb_pfn_t)p, o, mt,
				       XB_FREE_LIKELY);
		}
		/* A merge may have turned p into a tail of an earlier
		 * block; the skip below still lands on the next block. */
		p += 1ull << o;
	}
	xb__zone_check(z);
}

/* fill_contig_page_info(), over free-block counts by order. */
struct contig_info {
	uint64_t free_pages;
	uint64_t free_blocks_total;
	uint64_t free_blocks_suitable;
};

static void fill_contig_counts(const uint64_t nr_free[XB_MAX_ORDER],
			       unsigned order, struct contig_info *info)
{
	memset(info, 0, sizeof(*info));
	for (unsigned o = 0; o < XB_MAX_ORDER; o++) {
		uint64_t blocks = nr_free[o];

		info->free_blocks_total += blocks;
		info->free_pages += blocks << o;
		if (o >= order)
			info->free_blocks_suitable += blocks << (o - order);
	}
}

/* The zone's free_area[].nr_free. */
static void zone_nr_free(const struct xb_zone *z,
			 uint64_t nr_free[XB_MAX_ORDER])
{
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		nr_free[o] = xb_buddy_nr_free(&z->buddy, o);
}

static double unusable_index(const struct contig_info *info, unsigned order)
{
	if (info->free_pages == 0)
		return 1.0;
	uint64_t suitable_pages = info->free_blocks_suitable << order;

	return (double)(info->free_pages - suitable_pages) /
	       (double)info->free_pages;
}

static double frag_index(const struct contig_info *info, unsigned order)
{
	if (info->free_blocks_total == 0)
		return 0.0;
	if (info->free_blocks_suitable)
		return -1.0;
	/* Linux computes this in thousandths, in integers; so do we, so
	 * that reports match what /sys/kernel/debug/extfrag shows. */
	uint64_t requested = 1ull << order;
	uint64_t idx = 1000 - (1000 + info->free_pages * 1000 / requested) /
				  info->free_blocks_total;
	return (double)(int64_t)idx / 1000.0;
}

double xb_free_area_unusable_index(const uint64_t nr_free[XB_MAX_ORDER],
				   unsigned order)
{
	struct contig_info info;

	fill_contig_counts(nr_free, order, &info);
	return unusable_index(&info, order);
}

double xb_free_area_frag_index(const uint64_t nr_free[XB_MAX_ORDER],
			       unsigned order)
{
	struct contig_info info;

	fill_contig_counts(nr_free, order, &info);
	return frag_index(&info, order);
}

double xb_zone_unusable_index(const struct xb_zone *z, unsigned order)
{
	uint64_t nr_free[XB_MAX_ORDER];

	zone_nr_free(z, nr_free);
	return xb_free_area_unusable_index(nr_free, order);
}

double xb_zone_frag_index(const struct xb_zone *z, unsigned order)
{
	uint64_t nr_free[XB_MAX_ORDER];

	zone_nr_free(z, nr_free);
	return xb_free_area_frag_index(nr_free, order);
}

unsigned xb_zone_extfrag_for_order(const struct xb_zone *z, unsigned order)
{
	uint64_t nr_free[XB_MAX_ORDER];
	struct contig_info info;

	zone_nr_free(z, nr_free);
	fill_contig_counts(nr_free, order, &info);
	if (info.free_pages == 0)
		return 0;
	return (
	    unsigned)((info.free_pages - (info.free_blocks_suitable << order)) *
		      100 / info.free_pages);
}

void xb_zone_print_buddyinfo(const struct xb_zone *z, FILE *out)
{
	fprintf(out, "Node %u, zone %8s ", z->node, "Normal");
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		fprintf(out, "%6lu ",
			(unsigned long)xb_buddy_nr_free(&z->buddy, o));
	fputc('\n', out);
}

void xb_zone_print_pagetypeinfo(const struct xb_zone *z, FILE *out)
{
	fprintf(out, "Page block order: %d\nPages per block:  %d\n\n",
		z->pb_order, z->pb_pages);
	fprintf(out, "%-43s", "Free pages count per migrate type at order");
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		fprintf(out, "%6u ", o);
	fputc('\n', out);
	for (unsigned mt = 0; mt < XB_MT_NR; mt++) {
		fprintf(out, "Node %4u, zone %8s, type %12s ", z->node,
			"Normal", mt_names[mt]);
		for (unsigned o = 0; o < XB_MAX_ORDER; o++)
			fprintf(out, "%6lu ",
				(unsigned long)z->buddy.area[o][mt].nr_free);
		fputc('\n', out);
	}
	uint64_t blocks[XB_MT_NR] = {0};

	for (uint64_t i = xb_zone_first_pageblock(z);
	     i < xb_zone_end_pageblock(z); i++)
		blocks[z->pageblock[i] & XB_PB_MT_MASK]++;
	fprintf(out, "\n%-23s", "Number of blocks type ");
	for (unsigned mt = 0; mt < XB_MT_NR; mt++)
		fprintf(out, "%12s ", mt_names[mt]);
	fprintf(out, "\nNode %u, zone %8s ", z->node, "Normal");
	for (unsigned mt = 0; mt < XB_MT_NR; mt++)
		fprintf(out, "%12lu ", (unsigned long)blocks[mt]);
	fputc('\n', out);
}

/* The per-CPU lists against their invariants (struct xb_pcp). */
static bool pcp_is_valid(const struct xb_zone *z)
{
	uint64_t pages = 0;

	for (unsigned i = 0; i < XB_PCP_LISTS; i++) {
		const struct xb_flist *l = &z->pcp.lists[i];
		unsigned order = pindex_to_order(i);
		uint64_t n = 0;
		xb_pfn_t prev = XB_NIL;

		for (xb_pfn_t p = l->head; p != XB_NIL; p = z->frames[p].next) {
			const struct xb_frame *f = &z->frames[p];

			XB_CHECK(xb_zone_spans_pfn(z, p) && n < z->nr_frames,
				 "zone: pcp list %u runs away at %lu", i,
				 (unsigned long)p);
			XB_CHECK(f->state == XB_FRAME_PCP && f->order == order,
				 "zone: pcp list %u holds %lu (%s, order %u)",
				 i, (unsigned long)p,
				 xb_frame_state_name(f->state), f->order);
			XB_CHECK(i == XB_PCP_LOWORDER_LISTS ||
				     f->type == i % XB_MT_PCPTYPES,
				 "zone: pcp list %u holds %lu of type %s", i,
				 (unsigned long)p,
				 xb_migratetype_name(f->type));
			XB_CHECK(f->prev == prev,
				 "zone: pcp list %u: %lu's "
				 "back link is broken",
				 i, (unsigned long)p);
			prev = p;
			n++;
		}
		XB_CHECK(prev == l->tail && n == l->nr,
			 "zone: pcp list %u has %lu blocks, counts %lu", i,
			 (unsigned long)n, (unsigned long)l->nr);
		pages += n << order;
	}
	XB_CHECK(pages == z->pcp.count && pages == z->nr_state[XB_FRAME_PCP],
		 "zone: %lu pages on pcp lists, count %lu, PCP frames %lu",
		 (unsigned long)pages, (unsigned long)z->pcp.count,
		 (unsigned long)z->nr_state[XB_FRAME_PCP]);
	return true;
}

bool xb__zone_summaries_ok(const struct xb_zone *z)
{
	const struct xb_buddy *b = &z->buddy;
	uint64_t total = 0;

	XB_CHECK(xb__zone_counters_ok(z),
		 "zone: counters disagree: free %lu/%lu, pcp %lu/%lu, "
		 "managed %lu + unpopulated %lu of %lu",
		 (unsigned long)z->nr_state[XB_FRAME_FREE],
		 (unsigned long)b->nr_free_pages,
		 (unsigned long)z->nr_state[XB_FRAME_PCP],
		 (unsigned long)z->pcp.count, (unsigned long)z->managed,
		 (unsigned long)z->nr_state[XB_FRAME_UNPOPULATED],
		 (unsigned long)z->nr_frames);
	for (unsigned s = 0; s < XB_FRAME_NR_STATES; s++)
		total += z->nr_state[s];
	XB_CHECK(total == z->nr_frames, "zone: states sum to %lu of %lu frames",
		 (unsigned long)total, (unsigned long)z->nr_frames);
	XB_CHECK(z->reserved <= z->nr_state[XB_FRAME_ALLOC],
		 "zone: %lu reserved of %lu allocated",
		 (unsigned long)z->reserved,
		 (unsigned long)z->nr_state[XB_FRAME_ALLOC]);
	return xb__buddy_summaries_ok(b);
}

bool xb__zone_is_valid(const struct xb_zone *z)
{
	uint64_t by_state[XB_FRAME_NR_STATES] = {0};
	uint64_t total = 0, isolated = 0;

	XB_CHECK(z->start_pfn % XB_ZONE_ALIGN == 0 &&
		     z->start_pfn < z->end_pfn &&
		     z->end_pfn <= z->map->nr_frames &&
		     z->nr_frames == z->end_pfn - z->start_pfn &&
		     z->nr_pageblocks ==
			 (z->nr_frames + z->pb_pages - 1) >> z->pb_order,
		 "zone: span [%lu, %lu) misaligned, miscounted or outside "
		 "the mem_map of %lu frames",
		 (unsigned long)z->start_pfn, (unsigned long)z->end_pfn,
		 (unsigned long)z->map->nr_frames);
	XB_CHECK(z->frames == z->map->frames &&
		     z->pageblock == z->map->pageblock &&
		     z->buddy.frames == z->frames,
		 "zone: arrays are not the mem_map's");
	XB_CHECK(z->pb_order == z->map->pageblock_order &&
		     z->buddy.pageblock_order == z->pb_order &&
		     z->pb_order >= XB_HPAGE_ORDER &&
		     z->pb_order <= XB_PAGEBLOCK_ORDER_MAX &&
		     z->pb_pages == 1u << z->pb_order,
		 "zone: pageblock order %u (%u pages), the mem_map's %u, "
		 "the buddy's %u",
		 z->pb_order, z->pb_pages, z->map->pageblock_order,
		 z->buddy.pageblock_order);
	XB_CHECK(z->buddy.first_frame == z->start_pfn &&
		     z->buddy.nr_frames == z->end_pfn,
		 "zone: buddy manages [%lu, %lu), zone spans [%lu, %lu)",
		 (unsigned long)z->buddy.first_frame,
		 (unsigned long)z->buddy.nr_frames, (unsigned long)z->start_pfn,
		 (unsigned long)z->end_pfn);
	if (!xb__buddy_is_valid(&z->buddy) || !pcp_is_valid(z))
		return false;
	XB_CHECK(z->reserved <= z->nr_state[XB_FRAME_ALLOC],
		 "zone: %lu frames reserved, only %lu allocated",
		 (unsigned long)z->reserved,
		 (unsigned long)z->nr_state[XB_FRAME_ALLOC]);
	for (uint64_t i = xb_zone_first_pageblock(z);
	     i < xb_zone_end_pageblock(z); i++) {
		XB_CHECK((z->pageblock[i] & XB_PB_MT_MASK) < XB_MT_NR,
			 "zone: pageblock %lu has type %u", (unsigned long)i,
			 z->pageblock[i] & XB_PB_MT_MASK);
		isolated += (z->pageblock[i] & XB_PB_MT_MASK) == XB_MT_ISOLATE;
	}
	XB_CHECK(isolated == z->nr_isolate_pageblock,
		 "zone: %lu pageblocks isolated, counter says %lu",
		 (unsigned long)isolated,
		 (unsigned long)z->nr_isolate_pageblock);
	for (uint64_t pfn = z->start_pfn; pfn < z->end_pfn;) {
		const struct xb_frame *f = &z->frames[pfn];

		/* xb__buddy_is_valid() proved every frame is in a block. */
		by_state[f->state] += 1ull << f->order;
		if (f->state == XB_FRAME_FREE) {
			bool iso = xb_zone_pageblock_mt(z, (xb_pfn_t)pfn) ==
				   XB_MT_ISOLATE;
			XB_CHECK(
			    iso == (f->type == XB_MT_ISOLATE),
			    "zone: free block %lu on list %s in a %s pageblock",
			    (unsigned long)pfn, xb_migratetype_name(f->type),
			    xb_migratetype_name(
				xb_zone_pageblock_mt(z, (xb_pfn_t)pfn)));
		}
		pfn += 1ull << f->order;
	}
	for (unsigned s = 0; s < XB_FRAME_NR_STATES; s++) {
		XB_CHECK(by_state[s] == z->nr_state[s],
			 "zone: %lu frames are %s, counter says %lu",
			 (unsigned long)by_state[s], state_names[s],
			 (unsigned long)z->nr_state[s]);
		total += z->nr_state[s];
	}
	XB_CHECK(total == z->nr_frames, "zone: states sum to %lu of %lu frames",
		 (unsigned long)total, (unsigned long)z->nr_frames);
	XB_CHECK(z->nr_state[XB_FRAME_FREE] == z->buddy.nr_free_pages,
		 "zone: %lu free frames, buddy has %lu",
		 (unsigned long)z->nr_state[XB_FRAME_FREE],
		 (unsigned long)z->buddy.nr_free_pages);
	XB_CHECK(
	    z->managed == z->nr_frames - z->nr_state[XB_FRAME_UNPOPULATED],
	    "zone: managed %lu, populated %lu", (unsigned long)z->managed,
	    (unsigned long)(z->nr_frames - z->nr_state[XB_FRAME_UNPOPULATED]));
	return true;
}
