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
static inline int64_t pageblock_start(int64_t pfn)
{
	return pfn & ~(int64_t)(XB_PAGEBLOCK_PAGES - 1);
}

static inline int64_t pageblock_end(int64_t pfn)
{
	return pageblock_start(pfn) + XB_PAGEBLOCK_PAGES;
}

static inline bool pageblock_aligned(int64_t pfn)
{
	return (pfn & (XB_PAGEBLOCK_PAGES - 1)) == 0;
}

/* compact_scanners_met(): the free scanner's pageblock is at or below the
 * migrate scanner's. Floor division, as free_pfn may be negative. */
static inline bool scanners_met(const struct xb_compact_control *cc)
{
	return pageblock_start(cc->free_pfn) <=
	       pageblock_start(cc->migrate_pfn);
}

/* ---- skip hints and cached positions ---------------------------------- */

/* reset_cached_positions() */
static void reset_cached_positions(struct xb_compactor *c)
{
	c->cached_migrate_pfn[0] = c->cached_migrate_pfn[1] = 0;
	c->cached_free_pfn =
	    (xb_pfn_t)pageblock_start((int64_t)c->zone->nr_frames - 1);
}

/* __reset_isolation_suitable(): forget every skip hint. */
static void reset_isolation_suitable(struct xb_compactor *c)
{
	struct xb_zone *z = c->zone;

	for (uint64_t i = 0; i < z->nr_pageblocks; i++)
		z->pageblock[i] &= (uint8_t)~XB_PB_SKIP;
	reset_cached_positions(c);
	c->blockskip_flush = false;
}

/* isolation_suitable(): may this pageblock be scanned? */
static bool isolation_suitable(const struct xb_compact_control *cc, int64_t pfn)
{
	return cc->ignore_skip_hint ||
	       !(cc->zone->pageblock[pfn >> XB_PAGEBLOCK_ORDER] & XB_PB_SKIP);
}

/* set_pageblock_skip(). Never on an isolated pageblock: the buddy core reads
 * that byte raw (and compaction does not scan such blocks). */
static void set_pageblock_skip(struct xb_zone *z, int64_t pfn)
{
	uint8_t *pb = &z->pageblock[pfn >> XB_PAGEBLOCK_ORDER];

	if ((*pb & XB_PB_MT_MASK) != XB_MT_ISOLATE)
		*pb |= XB_PB_SKIP;
}

/* update_cached_migrate(): a pageblock the migrate scanner is done with. */
static void update_cached_migrate(struct xb_compact_control *cc, int64_t pfn)
{
	struct xb_compactor *c = cc->c;

	pfn = pageblock_end(pfn - 1);
	if (pfn >= (int64_t)cc->zone->nr_frames)
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

/*
 * suitable_migration_source(): async direct compaction only takes pages
 * from pageblocks of the requested kind (movable requests: movable
 * pageblocks), so that it does not scatter unmovable blocks' pages; every
 * other mode takes any pageblock. The model also never takes pages from an
 * isolated pageblock: someone (alloc_contig_range, memory offlining) owns
 * those.
 */
static bool suitable_migration_source(const struct xb_compact_control *cc,
				      int64_t pfn)
{
	unsigned mt = xb_zone_pageblock_mt(cc->zone, (xb_pfn_t)pfn);

	if (mt == XB_MT_ISOLATE)
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

/*
 * isolate_migratepages_block(): walk [low, end) and isolate movable order-0
 * pages until a batch is full. Free blocks are stepped over by their order.
 * Blocks of order > 0 (the model's compound pages: THP, huge balloon pages)
 * are stepped over too, as Linux 6.1 skips compound pages unless it is
 * serving alloc_contig_range(): ordinary compaction never migrates THP.
 * A movable page is isolated through its owner's ops (movable_operations
 * ->isolate_page); compaction never looks at what kind of page it is.
 */
static void isolate_migratepages_block(struct xb_compact_control *cc,
				       int64_t low, int64_t end)
{
	struct xb_zone *z = cc->zone;
	bool from_start = pageblock_aligned(low); /* Linux's valid_page */
	uint64_t nr_scanned = 0, nr_isolated = 0;

	while (low < end) {
		struct xb_frame *f = &z->frames[low];

		if (!xb_frame_is_head(f)) {
			/* Inside a block that started before `low` (we resumed
			 * mid-block or it spans pageblocks): step past it. */
			xb_pfn_t h = xb_zone_head(z, (xb_pfn_t)low);

			xb_assert(h != XB_NIL);
			int64_t next = (int64_t)h + (1ll << z->frames[h].order);

			nr_scanned += (uint64_t)(next - low);
			low = next;
			continue;
		}
		int64_t n = 1ll << f->order;

		nr_scanned += (uint64_t)n;
		if (f->order == 0 && xb_frame_is_movable(f)) {
			const struct xb_owner *o = movable_owner(z, f);

			if (o && o->ops->isolate(o->priv, z, (xb_pfn_t)low)) {
				xb_assert(f->state == XB_FRAME_ISOLATED);
				cc->migratepages[cc->nr_migratepages++] =
				    (xb_pfn_t)low;
				nr_isolated++;
				if (cc->nr_migratepages ==
				    XB_COMPACT_CLUSTER_MAX) {
					low++;
					break;
				}
			}
		}
		low += n;
	}
	if (low > end) {
		/* A block crossing the pageblock end was stepped over. */
		nr_scanned -= (uint64_t)(low - end);
		low = end;
	}
	/* A pageblock scanned whole without isolating anything is skipped
	 * next time (and the cached restart point moves past it). */
	if (low == end && from_start && !nr_isolated) {
		set_pageblock_skip(z, end - 1);
		update_cached_migrate(cc, low);
	}
	cc->migrate_pfn = low;
	cc->total_migrate_scanned += nr_scanned;
	cc->c->stats.compact_isolated += nr_isolated;
}

/*
 * isolate_migratepages(): from migrate_pfn, find the next pageblock below
 * the free scanner that is worth scanning and isolate from it (one
 * pageblock per call, at most one batch). fast_find_migrateblock(), which
 * Linux uses to jump to likely blocks for targeted runs, is not modeled.
 */
static enum isolate_result isolate_migratepages(struct xb_compact_control *cc)
{
	int64_t low = cc->migrate_pfn;
	int64_t block_end = pageblock_end(low);

	for (; block_end <= cc->free_pfn; cc->migrate_pfn = low = block_end,
					  block_end += XB_PAGEBLOCK_PAGES) {
		int64_t block_start = block_end - XB_PAGEBLOCK_PAGES;

		if (pageblock_aligned(low) && !isolation_suitable(cc, low))
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
 * free block of pageblock order or more is left alone (breaking it would
 * undo what compaction is for).
 */
static bool suitable_migration_target(const struct xb_compact_control *cc,
				      int64_t pfn)
{
	const struct xb_zone *z = cc->zone;
	xb_pfn_t h = xb_zone_head(z, (xb_pfn_t)pfn);
	unsigned mt = xb_zone_pageblock_mt(z, (xb_pfn_t)pfn);

	if (h != XB_NIL && z->frames[h].state == XB_FRAME_FREE &&
	    z->frames[h].order >= XB_PAGEBLOCK_ORDER)
		return false;
	if (mt == XB_MT_ISOLATE)
		return false;
	return cc->ignore_block_suitable || mt == XB_MT_MOVABLE;
}

/* Append an order-0 ISOLATED target page to the free list. */
static void freelist_add_tail(struct xb_compact_control *cc, xb_pfn_t pfn)
{
	struct xb_frame *f = &cc->zone->frames[pfn];

	f->next = XB_NIL;
	if (cc->free_tail == XB_NIL)
		cc->free_head = pfn;
	else
		cc->zone->frames[cc->free_tail].next = pfn;
	cc->free_tail = pfn;
	cc->nr_freepages++;
}

/*
 * __isolate_free_page() + split_map_pages(): take the free block at pfn if
 * the zone stays above its min watermark, split it into order-0 pages and
 * queue them in ascending order. Returns the pages taken (0: watermark).
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
	if (order >= XB_PAGEBLOCK_ORDER - 1)
		for (uint64_t p = pfn; p < (uint64_t)pfn + (1ull << order);
		     p += XB_PAGEBLOCK_PAGES)
			if (xb_zone_pageblock_mt(z, (xb_pfn_t)p) !=
			    XB_MT_ISOLATE)
				xb_zone_set_pageblock_mt(z, (xb_pfn_t)p,
							 XB_MT_MOVABLE);
	if (order)
		xb_zone_split(z, pfn, 0);
	for (uint64_t i = 0; i < (1ull << order); i++)
		freelist_add_tail(cc, (xb_pfn_t)(pfn + i));
	return 1u << order;
}

/*
 * isolate_freepages_block(): walk [*start, end) upward and isolate free
 * blocks until there are at least as many targets as sources. Linux walks
 * async runs with a stride of COMPACT_CLUSTER_MAX and relies on
 * fast_isolate_freepages() (a search of the free lists) to find targets;
 * the model has neither and walks every frame in every mode, so async and
 * sync runs find the same targets. Returns the pages isolated.
 */
static uint64_t isolate_freepages_block(struct xb_compact_control *cc,
					int64_t *start, int64_t end)
{
	struct xb_zone *z = cc->zone;
	int64_t pfn = *start;
	uint64_t nr_scanned = 0, total = 0;

	while (pfn < end) {
		struct xb_frame *f = &z->frames[pfn];

		if (!xb_frame_is_head(f)) {
			xb_pfn_t h = xb_zone_head(z, (xb_pfn_t)pfn);

			xb_assert(h != XB_NIL);
			int64_t next = (int64_t)h + (1ll << z->frames[h].order);

			nr_scanned += (uint64_t)(next - pfn);
			pfn = next;
			continue;
		}
		int64_t n = 1ll << f->order;

		if (f->state != XB_FRAME_FREE) {
			nr_scanned += (uint64_t)n;
			pfn += n;
			continue;
		}
		unsigned got = isolate_free_block(cc, (xb_pfn_t)pfn);

		if (!got) {
			nr_scanned++;
			break; /* below the watermark: stop here */
		}
		nr_scanned += got;
		total += got;
		pfn += n;
		if (cc->nr_freepages >= cc->nr_migratepages)
			break;
	}
	if (pfn > end) {
		nr_scanned -= (uint64_t)(pfn - end);
		pfn = end;
	}
	*start = pfn;
	cc->total_free_scanned += nr_scanned;
	cc->c->stats.compact_isolated += total;
	return total;
}

/*
 * isolate_freepages(): from free_pfn, walk pageblocks downward (each one
 * upward) until enough targets are isolated, never entering the migrate
 * scanner's pageblock. free_pfn is left where the next call resumes.
 */
static void isolate_freepages(struct xb_compact_control *cc)
{
	struct xb_zone *z = cc->zone;
	int64_t isolate_start = cc->free_pfn;
	int64_t block_start = pageblock_start(isolate_start);
	int64_t block_end =
	    MIN(block_start + XB_PAGEBLOCK_PAGES, (int64_t)z->nr_frames);
	int64_t low = pageblock_end(cc->migrate_pfn);

	for (; block_start >= low; block_end = block_start,
				   block_start -= XB_PAGEBLOCK_PAGES,
				   isolate_start = block_start) {
		if (!suitable_migration_target(cc, block_start))
			continue;
		if (!isolation_suitable(cc, block_start))
			continue;
		isolate_freepages_block(cc, &isolate_start, block_end);
		if (isolate_start == block_end)
			update_free_skip(cc, block_start);
		if (cc->nr_freepages >= cc->nr_migratepages) {
			/* Resume one pageblock lower if this one is done. */
			if (isolate_start >= block_end)
				isolate_start =
				    block_start - XB_PAGEBLOCK_PAGES;
			break;
		} else if (isolate_start < block_end) {
			break; /* stopped early (watermark): give up */
		}
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
	if (cc->free_head == XB_NIL)
		cc->free_tail = XB_NIL;
	cc->zone->frames[pfn].next = XB_NIL;
	cc->nr_freepages--;
	return pfn;
}

/* compaction_free(): a target the migration did not use goes back first. */
static void compaction_free(struct xb_compact_control *cc, xb_pfn_t pfn)
{
	struct xb_frame *f = &cc->zone->frames[pfn];

	/* The owner's migrate() left it alone on failure (the contract). */
	xb_assert(f->state == XB_FRAME_ISOLATED && f->order == 0 &&
		  f->owner == XB_OWNER_NONE);
	f->next = cc->free_head;
	cc->free_head = pfn;
	if (cc->free_tail == XB_NIL)
		cc->free_tail = pfn;
	cc->nr_freepages++;
}

/* release_freepages(): free the unused targets; returns the highest pfn. */
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
	cc->free_tail = XB_NIL;
	cc->nr_freepages = 0;
	return high;
}

/* ---- migration -------------------------------------------------------- */

static void putback_page(struct xb_zone *z, xb_pfn_t pfn)
{
	const struct xb_owner *o = movable_owner(z, &z->frames[pfn]);

	xb_assert(o != NULL);
	o->ops->putback(o->priv, z, pfn);
}

/*
 * migrate_pages() with compaction_alloc/compaction_free: up to
 * XB_MIGRATE_MAX_RETRY passes over the batch; a page answering -EAGAIN is
 * tried again next pass, any other error fails it for good. On success the
 * source page is freed (its last reference goes). Pages not migrated are
 * put back to their owners. Returns 0, the number of pages not migrated,
 * or -ENOMEM when the free scanner ran dry.
 */
static int migrate_pages(struct xb_compact_control *cc)
{
	enum { PENDING, DONE, FAILED };
	struct xb_zone *z = cc->zone;
	uint8_t st[XB_COMPACT_CLUSTER_MAX];
	bool tried[XB_COMPACT_CLUSTER_MAX];
	unsigned n = cc->nr_migratepages, ok = 0, failed = 0, retry = 1;
	int rc = 0;

	memset(st, PENDING, sizeof(st));
	memset(tried, 0, sizeof(tried));
	for (unsigned pass = 0; pass < XB_MIGRATE_MAX_RETRY && retry; pass++) {
		retry = 0;
		for (unsigned i = 0; i < n; i++) {
			if (st[i] != PENDING)
				continue;
			xb_pfn_t src = cc->migratepages[i];
			const struct xb_owner *o =
			    movable_owner(z, &z->frames[src]);
			xb_pfn_t dst = compaction_alloc(cc);

			if (dst == XB_NIL) {
				st[i] = FAILED;
				failed++;
				rc = -ENOMEM;
				goto out;
			}
			tried[i] = true;
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
out:
	for (unsigned i = 0; i < n; i++) {
		if (st[i] == DONE)
			continue;
		/* Still -EAGAIN after the last pass: a failure too. */
		if (st[i] == PENDING && tried[i])
			failed++;
		putback_page(z, cc->migratepages[i]);
	}
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

static bool can_steal_fallback(unsigned order, unsigned start_mt)
{
	return order >= XB_PAGEBLOCK_ORDER / 2 ||
	       start_mt == XB_MT_RECLAIMABLE || start_mt == XB_MT_UNMOVABLE;
}

/* find_suitable_fallback(only_stealable = true) */
static bool stealable_fallback(const struct xb_zone *z, unsigned order,
			       unsigned mt)
{
	for (unsigned i = 0; i < 2; i++)
		if (z->buddy.area[order][fallbacks[mt][i]].nr_free &&
		    can_steal_fallback(order, mt))
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
	if (!pageblock_aligned(cc->migrate_pfn))
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
	int64_t end = (int64_t)z->nr_frames;
	bool sync = cc->mode != XB_MIGRATE_ASYNC;
	enum xb_compact_result ret;

	xb_assert(z == c->zone);
	cc->nr_migratepages = 0;
	cc->free_head = cc->free_tail = XB_NIL;
	cc->nr_freepages = 0;
	cc->total_migrate_scanned = cc->total_free_scanned = 0;
	cc->nr_migrated = cc->nr_migrate_failed = 0;
	if (cc->order >= 0) {
		ret = xb_compaction_suitable(c, (unsigned)cc->order);
		if (ret == XB_COMPACT_SUCCESS || ret == XB_COMPACT_SKIPPED)
			return ret;
	}
	if (compaction_restarting(c, cc->order))
		reset_isolation_suitable(c);

	if (cc->whole_zone) {
		cc->migrate_pfn = 0;
		cc->free_pfn = pageblock_start(end - 1);
	} else {
		cc->migrate_pfn = c->cached_migrate_pfn[sync];
		cc->free_pfn = c->cached_free_pfn;
		if (cc->free_pfn >= end)
			cc->free_pfn = c->cached_free_pfn =
			    (xb_pfn_t)pageblock_start(end - 1);
		if (cc->migrate_pfn >= end)
			cc->migrate_pfn = c->cached_migrate_pfn[0] =
			    c->cached_migrate_pfn[1] = 0;
		if (cc->migrate_pfn == 0)
			cc->whole_zone = true;
	}

	while ((ret = compact_finished(cc)) == XB_COMPACT_CONTINUE ||
	       ret == XB_COMPACT_NO_SUITABLE_PAGE) {
		if (isolate_migratepages(cc) == ISOLATE_NONE)
			continue;
		int err = migrate_pages(cc);

		cc->nr_migratepages = 0;
		if (!err)
			continue;
		if (err == -ENOMEM && !scanners_met(cc)) {
			ret = XB_COMPACT_CONTENDED;
			break;
		}
		/* Async direct compaction gives up on the rest of the block
		 * (the order-aligned block) where a page would not move. */
		if (cc->direct_compaction && cc->mode == XB_MIGRATE_ASYNC &&
		    cc->order > 0) {
			int64_t sz = 1ll << cc->order;

			cc->migrate_pfn =
			    ((cc->migrate_pfn - 1) | (sz - 1)) + 1;
		}
	}
	if (cc->nr_freepages > 0) {
		int64_t high = release_freepages(cc);
		/* The cached pfn is a pageblock start and only moves back up
		 * (compact_finished may have reset it to the zone end). */
		high = pageblock_start(high);
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
		if (r == XB_COMPACT_SUCCESS)
			xb_compact_defer_reset(c, (int)order, false);
		else if (r == XB_COMPACT_PARTIAL_SKIPPED ||
			 r == XB_COMPACT_COMPLETE)
			xb_compact_defer(c, (int)order);
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
	uint64_t n = c->zone->nr_frames;

	if (c->compact_defer_shift > XB_COMPACT_MAX_DEFER_SHIFT ||
	    c->compact_considered > 1u << c->compact_defer_shift) {
		g_warning("compaction: defer shift %u considered %u",
			  c->compact_defer_shift, c->compact_considered);
		return false;
	}
	if (c->cached_migrate_pfn[0] >= n || c->cached_migrate_pfn[1] >= n ||
	    c->cached_free_pfn >= n) {
		g_warning("compaction: cached pfns %u %u %u outside the zone",
			  c->cached_migrate_pfn[0], c->cached_migrate_pfn[1],
			  c->cached_free_pfn);
		return false;
	}
	return true;
}
