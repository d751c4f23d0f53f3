/*
 * Compaction of the modeled zone: scanners, isolation, migration through the
 * owners' movable ops, deferral, proactive (kcompactd) and full compaction.
 * Modeled on Linux 6.1 mm/compaction.c and migrate_pages() in mm/migrate.c.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "xballoon/compaction.h"
#include "xballoon/movable.h"

/* isolate_migratepages() outcome (enum isolate_migrate_t). */
enum isolate_result { ISOLATE_NONE, ISOLATE_SUCCESS };

static const char *const result_names[] = {
    "not_suitable_zone", "skipped",   "deferred",
    "no_suitable_page",	 "continue",  "complete",
    "partial_skipped",	 "contended", "success"};

const char *xb_compact_result_name(enum xb_compact_result r)
{
	return (unsigned)r < G_N_ELEMENTS(result_names) ? result_names[r] : "?";
}

/* pageblock_start_pfn() / pageblock_end_pfn() */
static inline int64_t pageblock_start(const struct xb_zone *z, int64_t pfn)
{
	return pfn & ~(int64_t)(z->pb_pages - 1);
}

static inline int64_t pageblock_end(const struct xb_zone *z, int64_t pfn)
{
	return pageblock_start(z, pfn) + z->pb_pages;
}

static inline bool pageblock_aligned(const struct xb_zone *z, int64_t pfn)
{
	return (pfn & (z->pb_pages - 1)) == 0;
}

/* compact_scanners_met(): the free scanner's pageblock is at or below the
 * migrate scanner's. Floor division, as free_pfn may be negative. */
static inline bool scanners_met(const struct xb_compact_control *cc)
{
	return pageblock_start(cc->zone, cc->free_pfn) <=
	       pageblock_start(cc->zone, cc->migrate_pfn);
}

/* ---- skip hints and cached positions ---------------------------------- */

/* zone->zone_start_pfn and zone_end_pfn(zone): where the scanners start
 * (migrate) and from where (free), as compact_zone() has them. */
static inline int64_t zone_start(const struct xb_zone *z)
{
	return (int64_t)z->start_pfn;
}

static inline int64_t zone_end(const struct xb_zone *z)
{
	return (int64_t)z->end_pfn;
}

/* The free scanner's starting pageblock: pageblock_start_pfn(zone_end_pfn
 * - 1). */
static inline xb_pfn_t free_scanner_start(const struct xb_zone *z)
{
	return (xb_pfn_t)pageblock_start(z, zone_end(z) - 1);
}

/* reset_cached_positions() */
static void reset_cached_positions(struct xb_compactor *c)
{
	c->cached_migrate_pfn[0] = c->cached_migrate_pfn[1] =
	    (xb_pfn_t)zone_start(c->zone);
	c->cached_free_pfn = free_scanner_start(c->zone);
}

static bool pageblock_skip_persistent(const struct xb_zone *z, int64_t pfn);

/* PageLRU(): an allocated movable page (anonymous memory, page cache), of
 * any order; a balloon page is movable but not on the LRU. */
static bool frame_on_lru(const struct xb_zone *z, int64_t pfn)
{
	xb_pfn_t h = xb_zone_head(z, (xb_pfn_t)pfn);

	return h != XB_NIL && z->frames[h].state == XB_FRAME_ALLOC &&
	       z->frames[h].type == XB_MT_MOVABLE;
}

/*
 * __reset_isolation_pfn(): may the pageblock of pfn be a source
 * (check_source) or a target (check_target)? Clears its skip hint if a
 * sample of every 8th frame from the block's start finds an LRU page or a
 * free block's head (PageBuddy). A block already unskipped counts once a
 * restart point is set (both checks); a target-only check refuses a
 * pageblock that is not movable; a block held by a huge block keeps its
 * hint.
 */
static bool reset_isolation_pfn(struct xb_zone *z, int64_t pfn,
				bool check_source, bool check_target)
{
	uint8_t *pb = &z->pageblock[pfn >> z->pb_order];

	if (pageblock_skip_persistent(z, pfn))
		return false;
	if (check_source && check_target && !(*pb & XB_PB_SKIP))
		return true;
	if (!check_source && check_target &&
	    (*pb & XB_PB_MT_MASK) != XB_MT_MOVABLE)
		return false;

	int64_t p = MAX(pageblock_start(z, pfn), zone_start(z));
	int64_t last = MIN(pageblock_end(z, pfn), zone_end(z)) - 1;

	for (; p <= last; p += 1 << XB_COSTLY_ORDER) {
		const struct xb_frame *f = &z->frames[p];

		if ((check_source && frame_on_lru(z, p)) ||
		    (check_target && xb_frame_is_head(f) &&
		     f->state == XB_FRAME_FREE)) {
			*pb &= (uint8_t)~XB_PB_SKIP;
			return true;
		}
	}
	return false;
}

/*
 * __reset_isolation_suitable(), only when a direct compaction met the
 * scanners since the last one (compact_blockskip_flush). Walks pageblocks
 * inward from both ends until they meet: from the bottom as sources (and
 * targets, once a source restart point is set), from the top as targets
 * (and sources, once a target is set); clears the hints of the blocks
 * sampled suitable and restarts the scanners, and keeps those restart
 * points, at the lowest source and highest target found. If none was
 * found on one side, the scanners are left where the walk met: no
 * distance between them.
 */
static void reset_isolation_suitable(struct xb_compactor *c)
{
	struct xb_zone *z = c->zone;
	int64_t migrate_pfn = zone_start(z), free_pfn = zone_end(z) - 1;
	int64_t reset_migrate = free_pfn, reset_free = migrate_pfn;
	bool source_set = false, free_set = false;

	if (!c->blockskip_flush)
		return;
	c->blockskip_flush = false;
	for (; migrate_pfn < free_pfn;
	     migrate_pfn += z->pb_pages, free_pfn -= z->pb_pages) {
		if (reset_isolation_pfn(z, migrate_pfn, true, source_set) &&
		    migrate_pfn < reset_migrate) {
			source_set = true;
			reset_migrate = migrate_pfn;
			c->init_migrate_pfn = reset_migrate;
			c->cached_migrate_pfn[0] = c->cached_migrate_pfn[1] =
			    (xb_pfn_t)reset_migrate;
		}
		if (reset_isolation_pfn(z, free_pfn, free_set, true) &&
		    free_pfn > reset_free) {
			free_set = true;
			reset_free = free_pfn;
			c->init_free_pfn = reset_free;
			c->cached_free_pfn = (xb_pfn_t)reset_free;
		}
	}
	if (reset_migrate >= reset_free) {
		/* Where the walk met; in a zone of a pageblock or less that
		 * is outside it, and compact_zone() would start such a
		 * scanner over at its end of the zone: store that. */
		if (migrate_pfn >= zone_end(z))
			migrate_pfn = zone_start(z);
		if (free_pfn < zone_start(z))
			free_pfn = free_scanner_start(z);
		c->cached_migrate_pfn[0] = c->cached_migrate_pfn[1] =
		    (xb_pfn_t)migrate_pfn;
		c->cached_free_pfn = (xb_pfn_t)free_pfn;
	}
}

/* isolation_suitable(): may this pageblock be scanned? */
static bool isolation_suitable(const struct xb_compact_control *cc, int64_t pfn)
{
	return cc->ignore_skip_hint ||
	       !(cc->zone->pageblock[pfn >> cc->zone->pb_order] & XB_PB_SKIP);
}

/* set_pageblock_skip(). Never on an isolated pageblock: the buddy core reads
 * that byte raw (and compaction does not scan such blocks). */
static void set_pageblock_skip(struct xb_zone *z, int64_t pfn)
{
	uint8_t *pb = &z->pageblock[pfn >> z->pb_order];

	if ((*pb & XB_PB_MT_MASK) != XB_MT_ISOLATE)
		*pb |= XB_PB_SKIP;
}

/*
 * update_cached_migrate(): the migrate scanner is done with the pageblock
 * that ends at (or contains) pfn. As in 6.1, the restart point is
 * pageblock_end_pfn(pfn) = ALIGN(pfn + 1, pageblock): for the aligned end of
 * a block that is one pageblock further, so the next run that resumes here
 * skips a pageblock. A value at the zone end is not stored: it can only
 * come from the block below the free scanner's, and the scanners then meet
 * and reset_cached_positions() overwrites it anyway.
 */
static void update_cached_migrate(struct xb_compact_control *cc, int64_t pfn)
{
	struct xb_compactor *c = cc->c;

	pfn = pageblock_end(cc->zone, pfn);
	if (pfn >= zone_end(cc->zone))
		return;
	if (pfn > c->cached_migrate_pfn[0])
		c->cached_migrate_pfn[0] = (xb_pfn_t)pfn;
	if (cc->mode != XB_MIGRATE_ASYNC && pfn > c->cached_migrate_pfn[1])
		c->cached_migrate_pfn[1] = (xb_pfn_t)pfn;
}

/* update_pageblock_skip() for the free scanner: the pageblock starting at
 * pfn was scanned to its end; mark it and move the restart point down. */
static void update_free_skip(struct xb_compact_control *cc, int64_t pfn)
{
	set_pageblock_skip(cc->zone, pfn);
	if (pfn < cc->c->cached_free_pfn)
		cc->c->cached_free_pfn = (xb_pfn_t)pfn;
}

/* ---- the migrate scanner ---------------------------------------------- */

/* PAGE_ALLOC_COSTLY_ORDER: the fast free-list searches only serve larger
 * requests. */
#define COSTLY_ORDER 3

/* block_start_pfn() / block_end_pfn(): the order-aligned block around pfn
 * (end = ALIGN(pfn + 1, 2^order)). */
static inline int64_t order_block_start(int64_t pfn, int order)
{
	return pfn & ~((1ll << order) - 1);
}

static inline int64_t order_block_end(int64_t pfn, int order)
{
	return order_block_start(pfn, order) + (1ll << order);
}

/*
 * pageblock_skip_persistent(): a pageblock whose first frame lies in an
 * allocated block of pageblock order or more (a compound page: a THP, a
 * huge balloon page) can neither be a source nor hold free pages until
 * that block goes. A free one, in the buddy or on a per-CPU list, is no
 * compound page.
 */
static bool pageblock_skip_persistent(const struct xb_zone *z, int64_t pfn)
{
	xb_pfn_t h = xb_zone_head(z, (xb_pfn_t)pfn);

	return h != XB_NIL && z->frames[h].state != XB_FRAME_FREE &&
	       z->frames[h].state != XB_FRAME_PCP &&
	       z->frames[h].order >= z->pb_order;
}

/*
 * suitable_migration_source(): never a pageblock held by a huge block
 * (pageblock_skip_persistent, in every mode); async direct compaction only
 * takes pages from pageblocks of the requested kind (movable requests:
 * movable pageblocks), so that it does not scatter unmovable blocks' pages;
 * every other mode takes any pageblock. The model also never takes pages
 * from an isolated pageblock: someone (alloc_contig_range, memory
 * offlining) owns those.
 */
static bool suitable_migration_source(const struct xb_compact_control *cc,
				      int64_t pfn)
{
	unsigned mt = xb_zone_pageblock_mt(cc->zone, (xb_pfn_t)pfn);

	if (mt == XB_MT_ISOLATE)
		return false;
	if (pageblock_skip_persistent(cc->zone, pfn))
		return false;
	if (cc->mode != XB_MIGRATE_ASYNC || !cc->direct_compaction)
		return true;
	return mt == cc->migratetype;
}

/* The movable ops of the owner of the block at pfn, or NULL. */
static const struct xb_owner *movable_owner(const struct xb_zone *z,
					    const struct xb_frame *f)
{
	const struct xb_owner *o = xb_zone_owner(z, f->owner);

	return o && o->ops ? o : NULL;
}

static void putback_page(struct xb_zone *z, xb_pfn_t pfn)
{
	const struct xb_owner *o = movable_owner(z, &z->frames[pfn]);

	xb_assert(o != NULL);
	o->ops->putback(o->priv, z, pfn);
}

/* putback_movable_pages() on the batch. */
static void putback_migratepages(struct xb_compact_control *cc)
{
	for (unsigned i = 0; i < cc->nr_migratepages; i++)
		putback_page(cc->zone, cc->migratepages[i]);
	cc->nr_migratepages = 0;
}

/*
 * test_and_set_skip(): the first LRU page a call isolates, when it is the
 * pageblock's first frame, claims the block: the skip hint is set at once
 * so that other compaction runs leave it alone. Returns whether the hint
 * was already set.
 */
static bool test_and_set_skip(struct xb_compact_control *cc, int64_t pfn)
{
	uint8_t *pb = &cc->zone->pageblock[pfn >> cc->zone->pb_order];

	if (cc->ignore_skip_hint || !pageblock_aligned(cc->zone, pfn))
		return false;
	if (*pb & XB_PB_SKIP)
		return true;
	set_pageblock_skip(cc->zone, pfn);
	return false;
}

/*
 * isolate_migratepages_block() as Linux 6.1 has it: walk [low, end) one
 * pfn per step, counting every step in compact_migrate_scanned. A free
 * block's head is one step that jumps over the whole block; a non-free
 * block of order > 0 (the model's compound pages: THP, huge balloon pages)
 * likewise, as 6.1 skips compound pages unless it serves
 * alloc_contig_range(). Frames inside a block entered in the middle (the
 * second pageblock of an order-10 block, a free block the last batch's
 * pages merged into) are not PageBuddy, not LRU and not movable: one
 * step each (see the loop for when they count as isolation failures).
 * Order-0 movable pages are isolated
 * through their owner's ops (movable_operations->isolate_page); compaction
 * never looks at what kind of page it is.
 *
 * A batch ends after XB_COMPACT_CLUSTER_MAX pages unless cc->rescan (then
 * the rest of the pageblock is taken). Async direct compaction
 * (skip_on_failure) gives up an order-aligned block at its first page
 * that cannot be isolated, putting back what it took from that block, and
 * migrates what it isolated as soon as it reaches the next one.
 */
static void isolate_migratepages_block(struct xb_compact_control *cc,
				       int64_t low, int64_t end)
{
	struct xb_zone *z = cc->zone;
	bool skip_on_failure =
	    cc->direct_compaction && cc->mode == XB_MIGRATE_ASYNC;
	int64_t next_skip = 0;
	bool valid_page = false; /* entered at the block start, not skipped */
	bool skip_updated = false;
	uint64_t nr_scanned = 0, nr_isolated = 0;

	if (skip_on_failure)
		next_skip = order_block_end(low, cc->order);

	for (; low < end; low++) {
		if (skip_on_failure && low >= next_skip) {
			/* The previous order-aligned block was isolated
			 * whole: migrate it now. */
			if (nr_isolated)
				break;
			next_skip = order_block_end(low, cc->order);
		}
		nr_scanned++;
		if (!valid_page && pageblock_aligned(cc->zone, low)) {
			if (!isolation_suitable(cc, low)) {
				low = end;
				goto isolate_abort;
			}
			valid_page = true;
		}

		struct xb_frame *f = &z->frames[low];

		if (!xb_frame_is_head(f)) {
			/* Inside a block entered in the middle: one counted
			 * step per frame to its end. None of those frames is
			 * a buddy head or an LRU page, so each is an
			 * isolation failure, which ends an async direct
			 * run's order-aligned block. */
			xb_pfn_t h = xb_zone_head(z, (xb_pfn_t)low);
			int64_t stop =
			    MIN(end, (int64_t)h + (1ll << z->frames[h].order));

			if (skip_on_failure)
				goto isolate_fail;
			nr_scanned += (uint64_t)(stop - low - 1);
			low = stop - 1;
			continue;
		}
		if (f->state == XB_FRAME_FREE) {
			low += (1ll << f->order) - 1;
			continue;
		}
		if (f->order > 0) {
			low += (1ll << f->order) - 1;
			goto isolate_fail;
		}
		if (!xb_frame_is_movable(f))
			goto isolate_fail;

		const struct xb_owner *o = movable_owner(z, f);

		if (!o)
			goto isolate_fail;
		/* An LRU page (not a balloon page, which Linux isolates
		 * through isolate_movable_page() without the LRU lock):
		 * the first one claims the pageblock. */
		if (f->state == XB_FRAME_ALLOC && !skip_updated) {
			skip_updated = true;
			if (test_and_set_skip(cc, low))
				goto isolate_abort;
		}
		if (!o->ops->isolate(o->priv, z, (xb_pfn_t)low))
			goto isolate_fail;
		xb_assert(f->state == XB_FRAME_ISOLATED);
		cc->migratepages[cc->nr_migratepages++] = (xb_pfn_t)low;
		nr_isolated++;
		if (cc->nr_migratepages >= XB_COMPACT_CLUSTER_MAX &&
		    !cc->rescan) {
			low++;
			break;
		}
		continue;
	isolate_fail:
		if (!skip_on_failure)
			continue;
		/* This order-aligned block cannot become free: release what
		 * was taken from it and go on after it. */
		if (nr_isolated) {
			putback_migratepages(cc);
			nr_isolated = 0;
		}
		if (low < next_skip) {
			low = next_skip - 1;
			next_skip += 1ll << cc->order;
		}
	}
	/* A block stepped over may end past the pageblock. */
	if (low > end)
		low = end;
isolate_abort:
	/* Done with the pageblock: mark it skipped if nothing came out of it
	 * (or it was rescanned) and move the cached restart point past it. */
	if (low == end && (!nr_isolated || cc->rescan)) {
		if (valid_page && !skip_updated)
			set_pageblock_skip(z, end - 1);
		update_cached_migrate(cc, low);
	}
	cc->total_migrate_scanned += nr_scanned;
	cc->c->stats.compact_isolated += nr_isolated;
	cc->migrate_pfn = low;
}

/* freelist_scan_limit(): how many free-list entries a fast search looks
 * at, halved by every search that failed. */
static unsigned freelist_scan_limit(const struct xb_compact_control *cc)
{
	return (XB_COMPACT_CLUSTER_MAX >> MIN(cc->fast_search_fail, 31u)) + 1;
}

/* move_freelist_head(): rotate the list so that pfn is first (the entries
 * before it go to the tail); a later reverse search meets the unseen
 * entries first. */
static void move_freelist_head(struct xb_zone *z, struct xb_free_list *l,
			       xb_pfn_t pfn)
{
	struct xb_frame *fr = z->frames;
	xb_pfn_t prev = fr[pfn].prev;

	if (prev == XB_NIL)
		return;
	fr[l->tail].next = l->head;
	fr[l->head].prev = l->tail;
	fr[prev].next = XB_NIL;
	l->tail = prev;
	fr[pfn].prev = XB_NIL;
	l->head = pfn;
}

/* move_freelist_tail(): rotate the list so that pfn is last (the entries
 * after it come first); a later forward search meets them first. */
static void move_freelist_tail(struct xb_zone *z, struct xb_free_list *l,
			       xb_pfn_t pfn)
{
	struct xb_frame *fr = z->frames;
	xb_pfn_t next = fr[pfn].next;

	if (next == XB_NIL)
		return;
	fr[l->tail].next = l->head;
	fr[l->head].prev = l->tail;
	fr[next].prev = XB_NIL;
	l->head = next;
	fr[pfn].next = XB_NIL;
	l->tail = pfn;
}

/* update_fast_start_pfn() / reinit_migrate_pfn(): the lowest free pfn the
 * fast search jumped to becomes, once, the linear scan's restart point. */
static void update_fast_start_pfn(struct xb_compact_control *cc, int64_t pfn)
{
	if (cc->fast_start_pfn == INT64_MAX)
		return;
	if (cc->fast_start_pfn < 0 || pfn < cc->fast_start_pfn)
		cc->fast_start_pfn = pfn;
}

static int64_t reinit_migrate_pfn(struct xb_compact_control *cc)
{
	if (cc->fast_start_pfn < 0 || cc->fast_start_pfn == INT64_MAX)
		return cc->migrate_pfn;
	cc->migrate_pfn = cc->fast_start_pfn;
	cc->fast_start_pfn = INT64_MAX;
	return cc->migrate_pfn;
}

/*
 * fast_find_migrateblock(): for a targeted run of a costly order (movable
 * requests, or kcompactd), starting a pageblock, look at up to
 * freelist_scan_limit() entries of the movable free lists of orders
 * order - 1 .. 3 for a free block low in the zone (the first half of the
 * scan space at the zone start, the first eighth later), whose pageblock
 * then needs the fewest migrations. Each entry looked at counts in
 * compact_migrate_scanned. The block found is marked skipped; in 6.1
 * (where "mm/compaction: fix set skip in fast_find_migrateblock" was
 * reverted) isolate_migratepages_block() then sees that mark at the
 * block's first frame and abandons it, so a found block is stepped over
 * after one scanned frame. When nothing is found the linear scan resumes
 * at the lowest free pfn found so far in this run (once).
 */
static int64_t fast_find_migrateblock(struct xb_compact_control *cc)
{
	struct xb_zone *z = cc->zone;
	unsigned limit = freelist_scan_limit(cc);
	unsigned nr_scanned = 0;
	int64_t pfn = cc->migrate_pfn;
	bool found = false;

	if (cc->ignore_skip_hint)
		return pfn;
	if (pfn != zone_start(z) && !pageblock_aligned(cc->zone, pfn))
		return pfn; /* continuing a pageblock after a batch */
	if (cc->order <= COSTLY_ORDER)
		return pfn;
	if (cc->direct_compaction && cc->migratetype != XB_MT_MOVABLE)
		return pfn;

	int64_t distance = (cc->free_pfn - cc->migrate_pfn) >> 1;

	if (cc->migrate_pfn != zone_start(z))
		distance >>= 2;
	int64_t high_pfn =
	    pageblock_start(cc->zone, cc->migrate_pfn + distance);

	for (int order = cc->order - 1;
	     order >= COSTLY_ORDER && !found && nr_scanned < limit; order--) {
		struct xb_free_list *l = &z->buddy.area[order][XB_MT_MOVABLE];

		if (!xb_buddy_nr_free(&z->buddy, (unsigned)order))
			continue;
		for (xb_pfn_t p = l->head, next; p != XB_NIL; p = next) {
			next = z->frames[p].next;
			if (nr_scanned++ >= limit) {
				move_freelist_tail(z, l, p);
				break;
			}
			if ((int64_t)p < high_pfn) {
				/* Recently skipped: leave it. */
				if (!isolation_suitable(cc, p))
					continue;
				move_freelist_tail(z, l, p);
				update_fast_start_pfn(cc, p);
				pfn = pageblock_start(cc->zone, p);
				cc->fast_search_fail = 0;
				found = true;
				set_pageblock_skip(z, p);
				break;
			}
		}
	}
	cc->total_migrate_scanned += nr_scanned;
	if (!found) {
		cc->fast_search_fail++;
		pfn = reinit_migrate_pfn(cc);
	}
	return pfn;
}

/*
 * isolate_migratepages(): from the fast search's pick (or migrate_pfn),
 * find the next pageblock below the free scanner that is worth scanning
 * and isolate from it (one pageblock per call, at most one batch).
 */
static enum isolate_result isolate_migratepages(struct xb_compact_control *cc)
{
	int64_t low = fast_find_migrateblock(cc);
	/* The fast search marked its block skipped: do not let the check
	 * below refuse it (isolate_migratepages_block() will). */
	bool fast_find_block = low != cc->migrate_pfn && !cc->fast_search_fail;
	int64_t block_end = pageblock_end(cc->zone, low);

	for (; block_end <= cc->free_pfn; fast_find_block = false,
					  cc->migrate_pfn = low = block_end,
					  block_end += cc->zone->pb_pages) {
		int64_t block_start = block_end - cc->zone->pb_pages;

		if (pageblock_aligned(cc->zone, low) && !fast_find_block &&
		    !isolation_suitable(cc, low))
			continue;
		if (!suitable_migration_source(cc, block_start)) {
			update_cached_migrate(cc, block_end);
			continue;
		}
		isolate_migratepages_block(cc, low, block_end);
		break;
	}
	return cc->nr_migratepages ? ISOLATE_SUCCESS : ISOLATE_NONE;
}

/* ---- the free scanner ------------------------------------------------- */

/*
 * suitable_migration_target(): pages go to movable pageblocks only, and a
 * pageblock whose first frame heads a free block of pageblock order or
 * more is left alone (breaking it would undo what compaction is for). As
 * in 6.1 only the first frame is looked at: the second pageblock of a free
 * order-10 block passes (its frames are not buddy heads) and is scanned.
 */
static bool suitable_migration_target(const struct xb_compact_control *cc,
				      int64_t pfn)
{
	const struct xb_zone *z = cc->zone;
	const struct xb_frame *f = &z->frames[pfn];
	unsigned mt = xb_zone_pageblock_mt(z, (xb_pfn_t)pfn);

	if (f->state == XB_FRAME_FREE && f->order >= cc->zone->pb_order)
		return false;
	if (mt == XB_MT_ISOLATE)
		return false;
	return cc->ignore_block_suitable || mt == XB_MT_MOVABLE;
}

/* Push an order-0 ISOLATED target page on the target stack. */
static void freelist_push(struct xb_compact_control *cc, xb_pfn_t pfn)
{
	cc->zone->frames[pfn].next = cc->free_head;
	cc->free_head = pfn;
	cc->nr_freepages++;
}

/*
 * __isolate_free_page() + split_map_pages(): take the free block at pfn if
 * the zone stays above its min watermark and split it into order-0 pages.
 * 6.1 queues isolated blocks in the order found (list_add_tail), and
 * split_map_pages() then list_add()s every subpage of every block to a new
 * list: the targets come out of compaction_alloc() in the reverse of the
 * order they were found, the highest pfn of the last block first. Pushing
 * each subpage, in ascending order, on the stack gives the same order.
 * Returns the pages taken (0: watermark).
 */
static unsigned isolate_free_block(struct xb_compact_control *cc, xb_pfn_t pfn)
{
	struct xb_zone *z = cc->zone;
	unsigned order = z->frames[pfn].order;

	if (!xb_zone_watermark_ok(z, 0,
				  z->watermark[XB_WMARK_MIN] + (1ull << order)))
		return 0;
	xb_zone_isolate_free(z, pfn);
	/* A block of half a pageblock or more claims its pageblocks for
	 * movable use (__isolate_free_page). */
	if (order >= cc->zone->pb_order - 1)
		for (uint64_t p = pfn; p < (uint64_t)pfn + (1ull << order);
		     p += cc->zone->pb_pages)
			if (xb_zone_pageblock_mt(z, (xb_pfn_t)p) !=
			    XB_MT_ISOLATE)
				xb_zone_set_pageblock_mt(z, (xb_pfn_t)p,
							 XB_MT_MOVABLE);
	if (order)
		xb_zone_split(z, pfn, 0);
	for (uint64_t i = 0; i < (1ull << order); i++)
		freelist_push(cc, (xb_pfn_t)(pfn + i));
	cc->c->stats.compact_isolated += 1ull << order;
	return 1u << order;
}

/*
 * isolate_freepages_block() as 6.1 has it: from *start upward in steps of
 * `stride`, one counted step per pfn looked at. A free block is isolated
 * whole and counts all its pages; the step after it lands stride - 1
 * frames past its end. A non-free block of order > 0 is one step that
 * jumps over it; any other frame (an allocated page, a frame inside a
 * block) is one step. Stops once there are as many targets as sources,
 * or at the min watermark. Returns the pages isolated.
 */
static uint64_t isolate_freepages_block(struct xb_compact_control *cc,
					int64_t *start, int64_t end,
					unsigned stride)
{
	struct xb_zone *z = cc->zone;
	int64_t pfn = *start;
	uint64_t nr_scanned = 0, total = 0;

	for (; pfn < end; pfn += stride) {
		struct xb_frame *f = &z->frames[pfn];

		nr_scanned++;
		if (!xb_frame_is_head(f))
			continue;
		if (f->state != XB_FRAME_FREE) {
			pfn += (1ll << f->order) - 1;
			continue;
		}
		unsigned got = isolate_free_block(cc, (xb_pfn_t)pfn);

		if (!got)
			break; /* below the watermark: stop here */
		nr_scanned += got - 1;
		total += got;
		if (cc->nr_migratepages <= cc->nr_freepages) {
			pfn += got;
			break;
		}
		pfn += got - 1;
	}
	if (pfn > end)
		pfn = end;
	*start = pfn;
	cc->total_free_scanned += nr_scanned;
	return total;
}

/*
 * fast_isolate_around(): after the fast search took a block, sync and
 * kcompactd runs also take the rest of its pageblock (stride 1, no
 * suitability or skip check), and mark the pageblock skipped if that was
 * still not enough.
 */
static void fast_isolate_around(struct xb_compact_control *cc, int64_t pfn)
{
	int64_t start = pageblock_start(cc->zone, pfn);
	int64_t end = MIN(pageblock_end(cc->zone, pfn), zone_end(cc->zone));

	if (cc->nr_freepages >= cc->nr_migratepages)
		return;
	if (cc->direct_compaction && cc->mode == XB_MIGRATE_ASYNC)
		return;
	isolate_freepages_block(cc, &start, end, 1);
	if (cc->nr_freepages < cc->nr_migratepages)
		set_pageblock_skip(cc->zone, pfn);
}

/* next_search_order(): orders order - 1 .. 0 in a round robin that starts
 * at cc->search_order; -1 once it wraps (and the next search starts one
 * order lower). */
static int next_search_order(struct xb_compact_control *cc, int order)
{
	order--;
	if (order < 0)
		order = cc->order - 1;
	if (order == cc->search_order) {
		cc->search_order--;
		if (cc->search_order < 0)
			cc->search_order = cc->order - 1;
		return -1;
	}
	return order;
}

/*
 * fast_isolate_freepages(): for targeted runs (order > 0), search the
 * movable free lists of orders below the request, from their tails, for a
 * block in the top quarter of the scan space (or failing that the highest
 * in the top half) and isolate it. Each entry looked at counts in
 * compact_free_scanned, as do the pages of the block taken. The lists are
 * rotated so that the next search meets other entries first. Without a
 * find, the first search of a run moves free_pfn down to the highest
 * pageblock seen with a free page above the half-way mark (direct
 * compaction: to the half-way mark itself). The highest pageblock seen
 * also lowers the cached free scanner restart point.
 *
 * The first search of a run is deeper (256 entries) while free_pfn is at
 * or above compact_init_free_pfn, the restart point that
 * __reset_isolation_suitable() keeps when it finds a target pageblock
 * (c->init_free_pfn; until a flush finds one, every search is the deep
 * one).
 */
static void fast_isolate_freepages(struct xb_compact_control *cc)
{
	struct xb_zone *z = cc->zone;
	struct xb_compactor *c = cc->c;
	unsigned limit = MAX(1u, freelist_scan_limit(cc) >> 1);
	unsigned nr_scanned = 0;
	int64_t highest = -1; /* pageblock of the highest free page seen */
	xb_pfn_t page = XB_NIL;
	bool scan_start = false;
	int order;

	if (cc->order <= 0)
		return;
	/* compact_init_free_pfn, see above: before any flush the zone's
	 * start (Linux's 0, below every zone; the model's free_pfn is below
	 * its zone's start only once the scanners have met). */
	if (cc->free_pfn >= c->init_free_pfn) {
		limit = cc->zone->pb_pages >> 1;
		scan_start = true;
	}
	/* Preferred: the top quarter of the scan space; acceptable: the top
	 * half. */
	int64_t distance = cc->free_pfn - cc->migrate_pfn;
	int64_t low_pfn =
	    pageblock_start(cc->zone, cc->free_pfn - (distance >> 2));
	int64_t min_pfn =
	    pageblock_start(cc->zone, cc->free_pfn - (distance >> 1));

	cc->search_order = MIN(cc->order - 1, cc->search_order);
	for (order = cc->search_order; page == XB_NIL && order >= 0;
	     order = next_search_order(cc, order)) {
		struct xb_free_list *l = &z->buddy.area[order][XB_MT_MOVABLE];
		unsigned order_scanned = 0;
		int64_t high_pfn = -1;
		xb_pfn_t p;

		if (!xb_buddy_nr_free(&z->buddy, (unsigned)order))
			continue;
		for (p = l->tail; p != XB_NIL; p = z->frames[p].prev) {
			order_scanned++;
			nr_scanned++;
			if ((int64_t)p >= highest)
				highest = pageblock_start(cc->zone, p);
			if ((int64_t)p >= low_pfn) {
				cc->fast_search_fail = 0;
				cc->search_order = order;
				page = p;
				break;
			}
			if ((int64_t)p >= min_pfn && (int64_t)p > high_pfn) {
				high_pfn = p;
				/* Shorten the scan once a candidate is found.
				 */
				limit >>= 1;
			}
			if (order_scanned >= limit)
				break;
		}
		/* Use the best one in the top half if none was preferred. */
		if (page == XB_NIL && high_pfn >= 0)
			p = page = (xb_pfn_t)high_pfn;
		/* Rotate so that a later search skips these entries (a walk
		 * that ran off the list leaves it as it was). */
		if (p != XB_NIL)
			move_freelist_head(z, l, p);
		if (page != XB_NIL) {
			unsigned got = isolate_free_block(cc, page);

			if (got) {
				nr_scanned += got - 1;
			} else {
				/* Below the watermark: end the search. */
				order = cc->search_order + 1;
				page = XB_NIL;
			}
		}
		/* A smaller scan on the next order, so that the total stays
		 * near freelist_scan_limit(). */
		if (order_scanned >= limit)
			limit = MAX(1u, limit >> 1);
	}
	int64_t around = page != XB_NIL ? (int64_t)page : -1;

	if (page == XB_NIL) {
		cc->fast_search_fail++;
		if (scan_start) {
			if (highest >= 0 && highest >= min_pfn) {
				around = cc->free_pfn = highest;
			} else if (cc->direct_compaction &&
				   min_pfn >= zone_start(z)) {
				/* pfn_valid(min_pfn): in the zone, where
				 * Linux's min_pfn is unless the scanners
				 * crossed. */
				around = cc->free_pfn = min_pfn;
			}
		}
	}
	if (highest >= 0 && highest >= (int64_t)c->cached_free_pfn) {
		/* Below the zone start Linux's next run starts over at the
		 * zone end (compact_zone() resets a cached free pfn outside
		 * the zone); so does the model's. */
		highest -= cc->zone->pb_pages;
		c->cached_free_pfn = highest >= zone_start(z)
					 ? (xb_pfn_t)highest
					 : free_scanner_start(z);
	}
	cc->total_free_scanned += nr_scanned;
	if (around >= 0)
		fast_isolate_around(cc, around);
}

/*
 * isolate_freepages(): first the fast search; failing that, from free_pfn
 * walk pageblocks downward (each one upward) until enough targets are
 * isolated, never entering the migrate scanner's pageblock. Async runs
 * step 32 frames at a time (COMPACT_CLUSTER_MAX) until a pageblock yields
 * something, then every frame; a pageblock that yields nothing doubles
 * the stride again (up to 32). free_pfn is left where the next call
 * resumes.
 */
static void isolate_freepages(struct xb_compact_control *cc)
{
	struct xb_zone *z = cc->zone;
	int64_t isolate_start, block_start, block_end, low;
	unsigned stride;

	fast_isolate_freepages(cc);
	if (cc->nr_freepages)
		return;
	isolate_start = cc->free_pfn;
	block_start = pageblock_start(cc->zone, isolate_start);
	block_end = MIN(block_start + cc->zone->pb_pages, zone_end(z));
	low = pageblock_end(cc->zone, cc->migrate_pfn);
	stride = cc->mode == XB_MIGRATE_ASYNC ? XB_COMPACT_CLUSTER_MAX : 1;

	for (; block_start >= low; block_end = block_start,
				   block_start -= cc->zone->pb_pages,
				   isolate_start = block_start) {
		uint64_t nr_isolated;

		if (!suitable_migration_target(cc, block_start))
			continue;
		if (!isolation_suitable(cc, block_start))
			continue;
		nr_isolated = isolate_freepages_block(cc, &isolate_start,
						      block_end, stride);
		if (isolate_start == block_end)
			update_free_skip(cc, block_start);
		if (cc->nr_freepages >= cc->nr_migratepages) {
			/* Resume one pageblock lower if this one is done. */
			if (isolate_start >= block_end)
				isolate_start =
				    block_start - cc->zone->pb_pages;
			break;
		} else if (isolate_start < block_end) {
			break; /* stopped early (watermark): give up */
		}
		stride =
		    nr_isolated ? 1 : MIN(XB_COMPACT_CLUSTER_MAX, stride << 1);
	}
	cc->free_pfn = isolate_start;
}

/* compaction_alloc(): the next target page, isolating more if needed. */
static xb_pfn_t compaction_alloc(struct xb_compact_control *cc)
{
	if (cc->free_head == XB_NIL) {
		isolate_freepages(cc);
		if (cc->free_head == XB_NIL)
			return XB_NIL;
	}
	xb_pfn_t pfn = cc->free_head;

	cc->free_head = cc->zone->frames[pfn].next;
	cc->zone->frames[pfn].next = XB_NIL;
	cc->nr_freepages--;
	return pfn;
}

/* compaction_free(): a target the migration did not use goes back on top
 * (list_add), to be handed out next. */
static void compaction_free(struct xb_compact_control *cc, xb_pfn_t pfn)
{
	struct xb_frame *f = &cc->zone->frames[pfn];

	/* The owner's migrate() left it alone on failure (the contract). */
	xb_assert(f->state == XB_FRAME_ISOLATED && f->order == 0 &&
		  f->owner == XB_OWNER_NONE);
	freelist_push(cc, pfn);
}

/* release_freepages(): free the unused targets, first to last; returns the
 * highest pfn. */
static int64_t release_freepages(struct xb_compact_control *cc)
{
	int64_t high = -1;

	while (cc->free_head != XB_NIL) {
		xb_pfn_t pfn = cc->free_head;

		cc->free_head = cc->zone->frames[pfn].next;
		if ((int64_t)pfn > high)
			high = pfn;
		xb_zone_free(cc->zone, pfn);
	}
	cc->nr_freepages = 0;
	return high;
}

/* ---- migration -------------------------------------------------------- */

/*
 * migrate_pages() with compaction_alloc/compaction_free, as 6.1's
 * migrate_pages_batch() runs order-0 pages: the batch is a list built by
 * list_add(), so the page isolated last goes first; each page gets its
 * target and moves before the next one. Up to XB_MIGRATE_MAX_RETRY passes:
 * a page answering -EAGAIN is tried again next pass, any other error fails
 * it for good; pages still -EAGAIN after the last pass fail too. When
 * compaction_alloc() runs dry the batch ends with -ENOMEM, counting as
 * failed that page and those that answered -EAGAIN in the current pass. On
 * success the source page is freed (its last reference goes). Pages not
 * migrated are put back to their owners. Returns 0, the number of pages
 * not migrated, or -ENOMEM.
 */
static int migrate_pages(struct xb_compact_control *cc)
{
	enum { PENDING, DONE, FAILED };
	struct xb_zone *z = cc->zone;
	uint8_t st[XB_PAGEBLOCK_PAGES_MAX];
	unsigned n = cc->nr_migratepages, ok = 0, failed = 0, retry = 1;
	int rc = 0;

	memset(st, PENDING, n);
	for (unsigned pass = 0; pass < XB_MIGRATE_MAX_RETRY && retry; pass++) {
		retry = 0;
		for (unsigned i = n; i-- > 0;) {
			if (st[i] != PENDING)
				continue;
			xb_pfn_t src = cc->migratepages[i];
			const struct xb_owner *o =
			    movable_owner(z, &z->frames[src]);
			xb_pfn_t dst = compaction_alloc(cc);

			if (dst == XB_NIL) {
				failed += 1 + retry;
				retry = 0;
				rc = -ENOMEM;
				goto out;
			}
			int r = o->ops->migrate(o->priv, z, dst, src);

			if (r == 0) {
				xb_zone_free(z, src);
				st[i] = DONE;
				ok++;
			} else {
				compaction_free(cc, dst);
				if (r == -EAGAIN) {
					retry++;
				} else {
					st[i] = FAILED;
					failed++;
				}
			}
		}
	}
	/* Still -EAGAIN after the last pass: failures too. */
	failed += retry;
out:
	for (unsigned i = 0; i < n; i++)
		if (st[i] != DONE)
			putback_page(z, cc->migratepages[i]);
	cc->nr_migrated += ok;
	cc->nr_migrate_failed += failed;
	cc->c->stats.pgmigrate_success += ok;
	cc->c->stats.pgmigrate_fail += failed;
	if (rc)
		return rc;
	return (int)(n - ok);
}

/* ---- when to stop ----------------------------------------------------- */

/* Linux's fallbacks[] and can_steal_fallback() (mm/page_alloc.c), needed by
 * __compact_finished(); the zone keeps its own copies static. */
static const unsigned fallbacks[XB_MT_PCPTYPES][2] = {
    [XB_MT_UNMOVABLE] = {XB_MT_RECLAIMABLE, XB_MT_MOVABLE},
    [XB_MT_MOVABLE] = {XB_MT_RECLAIMABLE, XB_MT_UNMOVABLE},
    [XB_MT_RECLAIMABLE] = {XB_MT_UNMOVABLE, XB_MT_MOVABLE},
};

/* find_suitable_fallback(only_stealable = true) */
static bool stealable_fallback(const struct xb_zone *z, unsigned order,
			       unsigned mt)
{
	for (unsigned i = 0; i < 2; i++)
		if (z->buddy.area[order][fallbacks[mt][i]].nr_free &&
		    xb_zone_can_steal_fallback(z, order, mt))
			return true;
	return false;
}

unsigned xb_compact_fragmentation_score(const struct xb_compactor *c)
{
	return xb_zone_extfrag_for_order(c->zone, XB_COMPACT_HPAGE_ORDER);
}

unsigned xb_compact_score_wmark(const struct xb_compactor *c, bool low)
{
	unsigned wmark_low =
	    c->proactiveness >= 95 ? 5 : 100 - c->proactiveness;

	return low ? wmark_low : MIN(wmark_low + 10, 100);
}

/* __compact_finished() */
static enum xb_compact_result compact_finished(struct xb_compact_control *cc)
{
	struct xb_zone *z = cc->zone;

	if (scanners_met(cc)) {
		reset_cached_positions(cc->c);
		/* Direct compaction went all the way: its skip hints are
		 * stale; clear them when kcompactd next runs. */
		if (cc->direct_compaction)
			cc->c->blockskip_flush = true;
		return cc->whole_zone ? XB_COMPACT_COMPLETE
				      : XB_COMPACT_PARTIAL_SKIPPED;
	}
	if (cc->proactive_compaction)
		return xb_compact_fragmentation_score(cc->c) >
			       xb_compact_score_wmark(cc->c, true)
			   ? XB_COMPACT_CONTINUE
			   : XB_COMPACT_SUCCESS;
	if (cc->order < 0) /* is_via_compact_memory() */
		return XB_COMPACT_CONTINUE;
	/* Finish the pageblock: fewer fallbacks later. */
	if (!pageblock_aligned(cc->zone, cc->migrate_pfn))
		return XB_COMPACT_CONTINUE;
	for (unsigned o = (unsigned)cc->order; o < XB_MAX_ORDER; o++) {
		if (z->buddy.area[o][cc->migratetype].nr_free)
			return XB_COMPACT_SUCCESS;
		/* A stealable fallback block serves the request too. Linux
		 * lets an unmovable request steal only in async mode or at a
		 * pageblock boundary of the migrate scanner; we are at one
		 * (checked above), so every type succeeds here. */
		if (cc->migratetype < XB_MT_PCPTYPES &&
		    stealable_fallback(z, o, cc->migratetype))
			return XB_COMPACT_SUCCESS;
	}
	return XB_COMPACT_NO_SUITABLE_PAGE;
}

/*
 * compaction_suitable(): SUCCESS if the allocation would already succeed at
 * the min watermark; SKIPPED if there are not enough free pages to migrate
 * into (low or min mark plus compact_gap() = 2 << order), or if the
 * fragmentation index says the failure is from lack of memory rather than
 * fragmentation (costly orders only; Linux's NOT_SUITABLE_ZONE, reported
 * as SKIPPED).
 */
enum xb_compact_result xb_compaction_suitable(const struct xb_compactor *c,
					      unsigned order)
{
	const struct xb_zone *z = c->zone;
	uint64_t mark;

	if (xb_zone_watermark_ok(z, order, xb_zone_wmark(z, XB_WMARK_MIN)))
		return XB_COMPACT_SUCCESS;
	mark = order > XB_COSTLY_ORDER ? xb_zone_wmark(z, XB_WMARK_LOW)
				       : xb_zone_wmark(z, XB_WMARK_MIN);
	if (!xb_zone_watermark_ok(z, 0, mark + (2ull << order)))
		return XB_COMPACT_SKIPPED;
	if (order > XB_COSTLY_ORDER) {
		/* fragmentation_index() in thousandths, as the sysctl. */
		double fi = xb_zone_frag_index(z, order);
		int64_t idx = (int64_t)(fi * 1000.0 + (fi < 0 ? -0.5 : 0.5));

		if (idx >= 0 && idx <= (int64_t)c->extfrag_threshold)
			return XB_COMPACT_SKIPPED;
	}
	return XB_COMPACT_CONTINUE;
}

/* compaction_restarting(): deferred to the maximum and due again. */
static bool compaction_restarting(const struct xb_compactor *c, int order)
{
	if (order < c->compact_order_failed)
		return false;
	return c->compact_defer_shift == XB_COMPACT_MAX_DEFER_SHIFT &&
	       c->compact_considered >= 1u << c->compact_defer_shift;
}

/* ---- the run ---------------------------------------------------------- */

enum xb_compact_result xb_compact_zone(struct xb_compact_control *cc)
{
	struct xb_compactor *c = cc->c;
	struct xb_zone *z = cc->zone;
	int64_t start = zone_start(z), end = zone_end(z);
	bool sync = cc->mode != XB_MIGRATE_ASYNC;
	bool update_cached;
	int64_t last_migrated = -1; /* where the last migrated batch began */
	enum xb_compact_result ret;

	xb_assert(z == c->zone);
	cc->nr_migratepages = 0;
	cc->free_head = XB_NIL;
	cc->nr_freepages = 0;
	cc->total_migrate_scanned = cc->total_free_scanned = 0;
	cc->nr_migrated = cc->nr_migrate_failed = 0;
	/* Linux's callers set search_order = order for targeted runs. */
	cc->search_order = cc->order;
	cc->fast_search_fail = 0;
	cc->fast_start_pfn = -1;
	if (cc->order >= 0) {
		ret = xb_compaction_suitable(c, (unsigned)cc->order);
		if (ret == XB_COMPACT_SUCCESS || ret == XB_COMPACT_SKIPPED)
			return ret;
	}
	if (compaction_restarting(c, cc->order))
		reset_isolation_suitable(c);

	/* compact_zone(): the migrate scanner starts at zone_start_pfn, the
	 * free scanner at the last pageblock before zone_end_pfn(); cached
	 * positions outside [start, end) start over there. */
	if (cc->whole_zone) {
		cc->migrate_pfn = start;
		cc->free_pfn = free_scanner_start(z);
	} else {
		cc->migrate_pfn = c->cached_migrate_pfn[sync];
		cc->free_pfn = c->cached_free_pfn;
		if (cc->free_pfn < start || cc->free_pfn >= end)
			cc->free_pfn = c->cached_free_pfn =
			    free_scanner_start(z);
		if (cc->migrate_pfn < start || cc->migrate_pfn >= end)
			cc->migrate_pfn = c->cached_migrate_pfn[0] =
			    c->cached_migrate_pfn[1] = (xb_pfn_t)start;
		if (cc->migrate_pfn <= c->init_migrate_pfn)
			cc->whole_zone = true;
	}
	/* Until a pageblock yields pages, an async run keeps the sync
	 * restart point with its own (they started equal). */
	update_cached =
	    !sync && c->cached_migrate_pfn[0] == c->cached_migrate_pfn[1];

	while ((ret = compact_finished(cc)) == XB_COMPACT_CONTINUE ||
	       ret == XB_COMPACT_NO_SUITABLE_PAGE) {
		int64_t iteration_start = cc->migrate_pfn;

		/* A batch that starts in the pageblock the last migrated
		 * batch started in takes the rest of the block, so that a
		 * block is rescanned at most once. (Linux's "none" is pfn
		 * 0, below its zones; the model's zone may start at 0, so
		 * its "none" is -1.) */
		cc->rescan = last_migrated >= 0 &&
			     pageblock_start(cc->zone, last_migrated) ==
				 pageblock_start(cc->zone, iteration_start);
		if (isolate_migratepages(cc) == ISOLATE_NONE) {
			if (update_cached)
				c->cached_migrate_pfn[1] =
				    c->cached_migrate_pfn[0];
			goto check_drain;
		}
		update_cached = false;
		last_migrated = iteration_start;

		int err = migrate_pages(cc);

		cc->nr_migratepages = 0;
		if (err) {
			if (err == -ENOMEM && !scanners_met(cc)) {
				ret = XB_COMPACT_CONTENDED;
				break;
			}
			/* Async direct compaction gives up on the rest of the
			 * order-aligned block where a page would not move. */
			if (cc->direct_compaction &&
			    cc->mode == XB_MIGRATE_ASYNC) {
				cc->migrate_pfn = order_block_end(
				    cc->migrate_pfn - 1, cc->order);
				last_migrated = -1;
			}
		}
	check_drain:
		/* Once the scanner leaves the order-aligned block it migrated
		 * from, the pages freed there are drained from the per-CPU
		 * lists so that they merge and compact_finished() sees them
		 * (drain_local_pages()), and the block is forgotten, which
		 * ends the rescan. */
		if (cc->order > 0 && last_migrated >= 0 &&
		    last_migrated <
			order_block_start(cc->migrate_pfn, cc->order)) {
			xb_zone_drain_pcp(z);
			last_migrated = -1;
		}
	}
	if (cc->nr_freepages > 0) {
		int64_t high = release_freepages(cc);
		/* The cached pfn is a pageblock start and only moves back up
		 * (compact_finished may have reset it to the zone end). */
		high = pageblock_start(cc->zone, high);
		if (high > c->cached_free_pfn)
			c->cached_free_pfn = (xb_pfn_t)high;
	}
	c->stats.compact_migrate_scanned += cc->total_migrate_scanned;
	c->stats.compact_free_scanned += cc->total_free_scanned;
	xb__zone_check(z);
	return ret;
}

/* ---- deferral --------------------------------------------------------- */

void xb_compact_defer(struct xb_compactor *c, int order)
{
	c->compact_considered = 0;
	c->compact_defer_shift++;
	if (order < c->compact_order_failed)
		c->compact_order_failed = order;
	if (c->compact_defer_shift > XB_COMPACT_MAX_DEFER_SHIFT)
		c->compact_defer_shift = XB_COMPACT_MAX_DEFER_SHIFT;
}

bool xb_compact_deferred(struct xb_compactor *c, int order)
{
	unsigned limit = 1u << c->compact_defer_shift;

	if (order < c->compact_order_failed)
		return false;
	if (++c->compact_considered >= limit) {
		c->compact_considered = limit;
		return false;
	}
	return true;
}

void xb_compact_defer_reset(struct xb_compactor *c, int order,
			    bool alloc_success)
{
	if (alloc_success) {
		c->compact_considered = 0;
		c->compact_defer_shift = 0;
	}
	if (order >= c->compact_order_failed)
		c->compact_order_failed = order + 1;
}

/* ---- entry points ----------------------------------------------------- */

void xb_compactor_init(struct xb_compactor *c, struct xb_zone *z)
{
	memset(c, 0, sizeof(*c));
	c->zone = z;
	c->proactiveness = XB_COMPACT_PROACTIVENESS_DEFAULT;
	c->extfrag_threshold = XB_EXTFRAG_THRESHOLD_DEFAULT;
	reset_cached_positions(c);
	/* Linux's restart points start at 0, below its zones (which start
	 * above pfn 0): no run is whole-zone by them and every free-list
	 * search is the deep one until a flush sets them. The model's zone
	 * may start at 0; its start stands for "below": a run from the
	 * zone's first pfn is whole-zone (docs/compaction.md). */
	c->init_migrate_pfn = zone_start(z);
	c->init_free_pfn = zone_start(z);
}

enum xb_compact_result xb_compact_zone_full(struct xb_compactor *c)
{
	struct xb_compact_control cc = {
	    .zone = c->zone,
	    .c = c,
	    .order = -1,
	    .migratetype = XB_MT_MOVABLE,
	    .mode = XB_MIGRATE_SYNC,
	    .ignore_skip_hint = true,
	    .whole_zone = true,
	};

	return xb_compact_zone(&cc);
}

/* compact_zone_order() */
static enum xb_compact_result compact_zone_order(struct xb_compactor *c,
						 unsigned order, unsigned mt,
						 enum xb_migrate_mode mode)
{
	struct xb_compact_control cc = {
	    .zone = c->zone,
	    .c = c,
	    .order = (int)order,
	    .migratetype = mt,
	    .mode = mode,
	    .direct_compaction = true,
	};

	return xb_compact_zone(&cc);
}

/*
 * try_to_compact_pages() + the accounting of __alloc_pages_direct_compact()
 * for one zone at priority `prio`: a deferred zone is passed over (only the
 * sync-full priority ignores deferral), an async run never defers, a
 * sync run that scanned the zone in vain does. SKIPPED is not a stall; the
 * rest count compact_stall and then compact_success or compact_fail by the
 * allocator's own test, the order's min-watermark check.
 */
enum xb_compact_result xb_compact_direct(struct xb_compactor *c, unsigned order,
					 unsigned mt, unsigned prio)
{
	struct xb_zone *z = c->zone;
	enum xb_compact_result r;

	if (order == 0)
		return XB_COMPACT_SKIPPED;
	if (prio > XB_MIN_COMPACT_PRIORITY &&
	    xb_compact_deferred(c, (int)order)) {
		c->stats.compact_deferred++;
		r = XB_COMPACT_DEFERRED;
	} else {
		r = compact_zone_order(c, order, mt,
				       prio == XB_COMPACT_PRIO_ASYNC
					   ? XB_MIGRATE_ASYNC
					   : XB_MIGRATE_SYNC_LIGHT);
		if (r == XB_COMPACT_SUCCESS)
			xb_compact_defer_reset(c, (int)order, false);
		else if (prio != XB_COMPACT_PRIO_ASYNC &&
			 (r == XB_COMPACT_COMPLETE ||
			  r == XB_COMPACT_PARTIAL_SKIPPED))
			xb_compact_defer(c, (int)order);
	}
	if (r == XB_COMPACT_SKIPPED)
		return r;
	c->stats.compact_stall++;
	if (xb_zone_watermark_ok(z, order, xb_zone_wmark(z, XB_WMARK_MIN))) {
		c->blockskip_flush = false;
		xb_compact_defer_reset(c, (int)order, true);
		c->stats.compact_success++;
	} else {
		c->stats.compact_fail++;
	}
	return r;
}

enum xb_compact_result xb_compact_hook(struct xb_zone *z, void *priv,
				       unsigned order, unsigned mt,
				       unsigned prio)
{
	struct xb_compactor *c = priv;

	xb_assert(c->zone == z);
	return xb_compact_direct(c, order, mt, prio);
}

/* proactive_compact_node() */
static enum xb_compact_result proactive_compact(struct xb_compactor *c)
{
	struct xb_compact_control cc = {
	    .zone = c->zone,
	    .c = c,
	    .order = -1,
	    .migratetype = XB_MT_MOVABLE,
	    .mode = XB_MIGRATE_SYNC_LIGHT,
	    .ignore_skip_hint = true,
	    .whole_zone = true,
	    .proactive_compaction = true,
	};

	return xb_compact_zone(&cc);
}

void xb_compact_blockskip_flush(struct xb_compactor *c)
{
	if (c->blockskip_flush)
		reset_isolation_suitable(c);
}

/* wakeup_kcompactd() */
void xb_wakeup_kcompactd(struct xb_compactor *c, unsigned order)
{
	if (!order)
		return;
	if (c->kcompactd_max_order < order)
		c->kcompactd_max_order = order;
	if (c->kcompactd_woken)
		return; /* !wq_has_sleeper(): it is awake already */
	/* kcompactd_node_suitable() */
	if (xb_compaction_suitable(c, c->kcompactd_max_order) !=
	    XB_COMPACT_CONTINUE)
		return;
	c->kcompactd_woken = true;
	if (c->kick)
		c->kick(c->kick_priv);
}

/*
 * kcompactd_do_work(): kcompactd compacts with GFP_KERNEL, so the run's
 * migratetype is UNMOVABLE (what compact_finished() looks for), sync-light,
 * honouring skip hints; it is not direct compaction, so it takes source
 * pages from every pageblock type.
 */
void xb_kcompactd_do_work(struct xb_compactor *c)
{
	unsigned order = c->kcompactd_max_order;
	struct xb_compact_control cc = {
	    .zone = c->zone,
	    .c = c,
	    .order = (int)order,
	    .migratetype = XB_MT_UNMOVABLE,
	    .mode = XB_MIGRATE_SYNC_LIGHT,
	};
	enum xb_compact_result r;

	c->kcompactd_woken = false;
	c->stats.compact_daemon_wake++;
	/* A wake-up resets kcompactd's timeout: the proactive back-off is
	 * lost, as in kcompactd(). */
	c->proactive_defer = 0;
	if (order && !xb_compact_deferred(c, (int)order) &&
	    xb_compaction_suitable(c, order) == XB_COMPACT_CONTINUE) {
		r = xb_compact_zone(&cc);
		if (r == XB_COMPACT_SUCCESS) {
			xb_compact_defer_reset(c, (int)order, false);
		} else if (r == XB_COMPACT_PARTIAL_SKIPPED ||
			   r == XB_COMPACT_COMPLETE) {
			/* Free pages stranded on the per-CPU lists could
			 * merge to the order asked for: drain_all_pages(),
			 * rate-limited by the deferral that follows. */
			xb_zone_drain_pcp(c->zone);
			xb_compact_defer(c, (int)order);
		}
		c->stats.compact_daemon_migrate_scanned +=
		    cc.total_migrate_scanned;
		c->stats.compact_daemon_free_scanned += cc.total_free_scanned;
	}
	if (c->kcompactd_max_order <= order)
		c->kcompactd_max_order = 0;
}

/*
 * kcompactd()'s timeout branch (proactive compaction). Stale skip hints
 * are kswapd's to clear (xb_compact_blockskip_flush()).
 */
enum xb_compact_result xb_compact_proactive(struct xb_compactor *c)
{
	if (c->proactive_defer) {
		c->proactive_defer--;
		return XB_COMPACT_DEFERRED;
	}
	/* should_proactive_compact_node() */
	if (!c->proactiveness || xb_compact_fragmentation_score(c) <=
				     xb_compact_score_wmark(c, false))
		return XB_COMPACT_SKIPPED;
	unsigned prev = xb_compact_fragmentation_score(c);
	enum xb_compact_result r = proactive_compact(c);

	/* No progress: sleep 1 << COMPACT_MAX_DEFER_SHIFT periods, i.e.
	 * skip the next 63 checks. */
	if (xb_compact_fragmentation_score(c) >= prev)
		c->proactive_defer = (1u << XB_COMPACT_MAX_DEFER_SHIFT) - 1;
	return r;
}

void xb_compact_print_stats(const struct xb_compactor *c, FILE *out)
{
#define XB_STAT_PRINT(name, doc)                                               \
	fprintf(out, "%s %llu\n", #name, (unsigned long long)c->stats.name);
	XB_COMPACT_STATS(XB_STAT_PRINT)
#undef XB_STAT_PRINT
}

bool xb__compactor_is_valid(const struct xb_compactor *c)
{
	const struct xb_zone *z = c->zone;

	if (c->kcompactd_max_order >= XB_MAX_ORDER) {
		g_warning("compaction: kcompactd order %u",
			  c->kcompactd_max_order);
		return false;
	}
	if (c->compact_defer_shift > XB_COMPACT_MAX_DEFER_SHIFT ||
	    c->compact_considered > 1u << c->compact_defer_shift) {
		g_warning("compaction: defer shift %u considered %u",
			  c->compact_defer_shift, c->compact_considered);
		return false;
	}
	if (!xb_zone_spans_pfn(z, c->cached_migrate_pfn[0]) ||
	    !xb_zone_spans_pfn(z, c->cached_migrate_pfn[1]) ||
	    !xb_zone_spans_pfn(z, c->cached_free_pfn)) {
		g_warning("compaction: cached pfns %u %u %u outside the zone",
			  c->cached_migrate_pfn[0], c->cached_migrate_pfn[1],
			  c->cached_free_pfn);
		return false;
	}
	if (!xb_zone_spans_pfn(z, (uint64_t)c->init_migrate_pfn) ||
	    !xb_zone_spans_pfn(z, (uint64_t)c->init_free_pfn)) {
		g_warning("compaction: restart points %lld %lld outside the "
			  "zone",
			  (long long)c->init_migrate_pfn,
			  (long long)c->init_free_pfn);
		return false;
	}
	return true;
}
