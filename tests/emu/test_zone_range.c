/*
 * Zones over a pfn range of a shared mem_map (xb_zone_create_range(), the
 * zone_start_pfn / zone_end_pfn of Linux's zones): a zone at [K, K + N) of
 * a larger array does what the same zone at [0, N) does, shifted by K --
 * allocations, frees, per-CPU lists, watermarks, reclaim, compaction and
 * the metrics -- and zones side by side on one array never touch each
 * other's frames.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "support/owner.h"
#include "support/testutil.h"
#include "xballoon/metrics.h"
#include "xballoon/rng.h"
#include "xballoon/vmscan.h"

/* A zone of 24 pageblocks and 200 frames (its end is not aligned), and
 * where its shifted twin starts: after a neighbour zone of 5 MAX_ORDER
 * blocks. The twin's mem_map runs 3000 frames past its end, nobody's. */
#define N     (24 * 512 + 200)
#define K     (5 * 1024)
#define TAIL  3000
#define STEPS 6000

/* One guest over one zone: movable pages that compaction moves, kernel
 * pages that never move, page cache that reclaim drops oldest first, and
 * compaction, reclaim and kswapd plugged into the zone's slow path as
 * scenario/run.c plugs them. */
struct guest {
	struct xb_zone *z;
	uint64_t base; /* z->start_pfn: what every logged pfn is relative to */
	struct xb_compactor comp;
	struct xb_vmscan vs;
	struct xbt_owner anon;
	uint32_t kernel_owner, cache_owner;
	xb_pfn_t pins[STEPS];
	unsigned nr_pins;
	xb_pfn_t cache[STEPS];
	uint64_t cache_head, cache_nr;
	bool in_kswapd, kswapd_pending;
	GArray *log; /* every outcome, pfns relative to base */
};

static uint64_t shrink_cache(void *priv, uint64_t nr)
{
	struct guest *g = priv;
	uint64_t got = 0;

	for (; got < nr && g->cache_head < g->cache_nr; got++)
		xb_zone_free(g->z, g->cache[g->cache_head++]);
	return got;
}

static uint64_t hook_reclaim(struct xb_zone *z, void *priv, unsigned order)
{
	struct guest *g = priv;

	return xb_try_to_free_pages(&g->vs, order);
}

static enum xb_compact_result hook_compact(struct xb_zone *z, void *priv,
					   unsigned order, unsigned mt,
					   unsigned prio)
{
	struct guest *g = priv;

	return xb_compact_direct(&g->comp, order, mt, prio);
}

static void hook_wake_kswapd(struct xb_zone *z, void *priv, unsigned order,
			     unsigned flags)
{
	struct guest *g = priv;

	xb_wakeup_kswapd(&g->vs, order, flags);
}

static uint64_t hook_reclaimable(const struct xb_zone *z, void *priv)
{
	const struct guest *g = priv;

	return g->cache_nr - g->cache_head;
}

static const struct xb_zone_ops guest_ops = {
    .reclaim = hook_reclaim,
    .compact = hook_compact,
    .wake_kswapd = hook_wake_kswapd,
    .reclaimable = hook_reclaimable,
};

/* kswapd runs at once, inside the allocation that woke it (run.c). */
static void kick_kswapd(void *priv)
{
	struct guest *g = priv;

	g->kswapd_pending = true;
	if (g->in_kswapd)
		return;
	g->in_kswapd = true;
	while (g->kswapd_pending) {
		g->kswapd_pending = false;
		xb_kswapd_run(&g->vs);
	}
	g->in_kswapd = false;
}

/* Populate the zone, set its marks and plug everything in. */
static void guest_init(struct guest *g, struct xb_zone *z)
{
	memset(g, 0, sizeof(*g));
	cr_assert_not_null(z);
	g->z = z;
	g->base = z->start_pfn;
	xb_zone_online_all(z);
	xb_compactor_init(&g->comp, z);
	xb_vmscan_init(&g->vs, z, &g->comp, shrink_cache, kick_kswapd, g);
	xb_zone_set_ops(z, &guest_ops, g);
	xbt_owner_init(&g->anon, z, STEPS);
	g->kernel_owner = xb_zone_register_owner(z, "kernel", NULL, NULL);
	g->cache_owner = xb_zone_register_owner(z, "cache", NULL, NULL);
	g->log = g_array_new(false, false, sizeof(int64_t));
}

static void guest_fini(struct guest *g)
{
	xbt_owner_fini(&g->anon);
	g_array_free(g->log, true);
}

static void note(struct guest *g, int64_t v)
{
	g_array_append_val(g->log, v);
}

static void note_pfn(struct guest *g, xb_pfn_t pfn)
{
	note(g, pfn == XB_NIL ? -1 : (int64_t)pfn - (int64_t)g->base);
}

static const unsigned anon_orders[] = {0, 0, 0, 0, 1, 2, 3, 9};
static const unsigned anon_flags[] = {XB_GFP_KERNEL, XB_GFP_BALLOON,
				      XB_GFP_TRANSHUGE_LIGHT, XB_GFP_TRANSHUGE};

/*
 * The same seeded script of allocations, frees, compaction, reclaim and
 * isolation on any guest; every outcome goes to the log, relative to the
 * zone's start. Every zone checker passes after every step.
 */
static void run_script(struct guest *g, uint64_t seed)
{
	struct xb_zone *z = g->z;
	struct xb_rng rng;

	xb_rng_seed(&rng, seed);
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned r = (unsigned)xb_rng_below(&rng, 100);
		xb_pfn_t p;

		if (r < 30) {
			unsigned o = anon_orders[xb_rng_below(
			    &rng, G_N_ELEMENTS(anon_orders))];
			unsigned f = anon_flags[xb_rng_below(
			    &rng, G_N_ELEMENTS(anon_flags))];

			note_pfn(g, xbt_owner_alloc(&g->anon, o, f));
		} else if (r < 36) {
			unsigned o = (unsigned)xb_rng_below(&rng, 3);
			unsigned mt = xb_rng_below(&rng, 2) ? XB_MT_UNMOVABLE
							    : XB_MT_RECLAIMABLE;

			p = xb_zone_alloc(z, o, mt, XB_GFP_KERNEL,
					  g->kernel_owner, 0);
			note_pfn(g, p);
			if (p != XB_NIL)
				g->pins[g->nr_pins++] = p;
		} else if (r < 50) {
			p = xb_zone_alloc(z, 0, XB_MT_MOVABLE, XB_GFP_KERNEL,
					  g->cache_owner, 0);
			note_pfn(g, p);
			if (p != XB_NIL)
				g->cache[g->cache_nr++] = p;
		} else if (r < 84) {
			uint32_t s =
			    g->anon.nr_used
				? (uint32_t)xb_rng_below(&rng, g->anon.nr_used)
				: 0;

			if (s < g->anon.nr_used && g->anon.slots[s] != XB_NIL) {
				note_pfn(g, g->anon.slots[s]);
				xbt_owner_free(&g->anon, s);
			}
		} else if (r < 91) {
			if (g->nr_pins) {
				unsigned i =
				    (unsigned)xb_rng_below(&rng, g->nr_pins);

				note_pfn(g, g->pins[i]);
				xb_zone_free(z, g->pins[i]);
				g->pins[i] = g->pins[--g->nr_pins];
			}
		} else if (r < 92) {
			note(g, xb_compact_zone_full(&g->comp));
		} else if (r < 95) {
			xb_wakeup_kcompactd(&g->comp, 9);
			if (g->comp.kcompactd_woken)
				xb_kcompactd_do_work(&g->comp);
			note(g, g->comp.stats.compact_daemon_wake);
		} else if (r < 97) {
			note(g, xb_compact_proactive(&g->comp));
		} else if (r < 98) {
			xb_zone_drain_pcp(z);
		} else {
			/* A pageblock isolated and given back, as
			 * alloc_contig_range() would. */
			uint64_t pb = xb_rng_below(&rng, z->nr_pageblocks);
			xb_pfn_t at =
			    (xb_pfn_t)(z->start_pfn + pb * z->pb_pages);
			unsigned mt = xb_zone_pageblock_mt(z, at);

			note(g, xb_zone_isolate_pageblock(z, at));
			xb_zone_unisolate_pageblock(z, at, mt);
		}
		note(g, (int64_t)xb_zone_free_pages(z));
		note(g, (int64_t)z->pcp.count);
		cr_assert(xb__zone_counters_ok(z), "step %u", step);
		if (step % 500 == 0)
			cr_assert(xb__zone_is_valid(z), "step %u", step);
	}
	cr_assert(xb__zone_is_valid(z));
	cr_assert(xbt_owner_is_valid(&g->anon));
	cr_assert(xb__compactor_is_valid(&g->comp));
	cr_assert(xb__vmscan_is_valid(&g->vs));
}

/* A link field relative to the zone's start (XB_NIL stays XB_NIL). */
static uint32_t rel(uint32_t link, uint64_t base)
{
	return link == XB_NIL ? XB_NIL : (uint32_t)(link - base);
}

/* Every block of the two zones, their pageblocks, free lists, per-CPU
 * lists, counters, marks and statistics: equal up to the shift. */
static void assert_same_shifted(const struct guest *a, const struct guest *b)
{
	const struct xb_zone *za = a->z, *zb = b->z;

	cr_assert_eq(za->nr_frames, zb->nr_frames);
	for (uint64_t i = 0; i < za->nr_frames;) {
		const struct xb_frame *fa = &za->frames[a->base + i];
		const struct xb_frame *fb = &zb->frames[b->base + i];
		bool slot = fa->state == XB_FRAME_ALLOC;

		cr_assert(fa->state == fb->state && fa->order == fb->order &&
			      fa->type == fb->type && fa->flags == fb->flags &&
			      fa->owner == fb->owner,
			  "frame %lu differs", (unsigned long)i);
		cr_assert_eq(slot ? fa->next : rel(fa->next, a->base),
			     slot ? fb->next : rel(fb->next, b->base),
			     "frame %lu: next", (unsigned long)i);
		cr_assert_eq(rel(fa->prev, a->base), rel(fb->prev, b->base),
			     "frame %lu: prev", (unsigned long)i);
		i += 1ull << fa->order;
	}
	cr_assert_eq(memcmp(za->pageblock + xb_zone_first_pageblock(za),
			    zb->pageblock + xb_zone_first_pageblock(zb),
			    za->nr_pageblocks),
		     0);
	for (unsigned o = 0; o < XB_MAX_ORDER; o++)
		for (unsigned l = 0; l < XB_MT_NR; l++) {
			const struct xb_free_list *la = &za->buddy.area[o][l];
			const struct xb_free_list *lb = &zb->buddy.area[o][l];

			cr_assert_eq(la->nr_free, lb->nr_free);
			cr_assert_eq(rel(la->head, a->base),
				     rel(lb->head, b->base));
			cr_assert_eq(rel(la->tail, a->base),
				     rel(lb->tail, b->base));
		}
	for (unsigned i = 0; i < XB_PCP_LISTS; i++) {
		cr_assert_eq(za->pcp.lists[i].nr, zb->pcp.lists[i].nr);
		cr_assert_eq(rel(za->pcp.lists[i].head, a->base),
			     rel(zb->pcp.lists[i].head, b->base));
	}
	cr_assert_eq(za->pcp.count, zb->pcp.count);
	cr_assert_eq(za->pcp.high, zb->pcp.high);
	cr_assert_eq(za->pcp.batch, zb->pcp.batch);
	cr_assert_eq(za->pcp.free_factor, zb->pcp.free_factor);
	cr_assert_eq(memcmp(za->nr_state, zb->nr_state, sizeof(za->nr_state)),
		     0);
	cr_assert_eq(za->managed, zb->managed);
	cr_assert_eq(
	    memcmp(za->watermark, zb->watermark, sizeof(za->watermark)), 0);
	cr_assert_eq(za->watermark_boost, zb->watermark_boost);
	cr_assert_eq(za->min_free_kbytes, zb->min_free_kbytes);
	cr_assert_eq(memcmp(&za->stats, &zb->stats, sizeof(za->stats)), 0);
	cr_assert_eq(
	    memcmp(&a->comp.stats, &b->comp.stats, sizeof(a->comp.stats)), 0);
	for (unsigned i = 0; i < 2; i++)
		cr_assert_eq(a->comp.cached_migrate_pfn[i] - a->base,
			     b->comp.cached_migrate_pfn[i] - b->base);
	cr_assert_eq(a->comp.cached_free_pfn - a->base,
		     b->comp.cached_free_pfn - b->base);
	cr_assert_eq(a->comp.compact_defer_shift, b->comp.compact_defer_shift);
	cr_assert_eq(memcmp(&a->vs.stats, &b->vs.stats, sizeof(a->vs.stats)),
		     0);
	cr_assert_eq(a->vs.kswapd_failures, b->vs.kswapd_failures);
}

/* The zone's /proc text, as a string (g_free). */
static char *zone_text(const struct xb_zone *z)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	xb_zone_print_buddyinfo(z, f);
	xb_zone_print_pagetypeinfo(z, f);
	fclose(f);
	return buf;
}

/* The metrics a report takes from a zone: equal. */
static void assert_same_metrics(const struct xb_zone *za,
				const struct xb_zone *zb)
{
	uint64_t pa[3], pb[3], ea[XB_METRICS_EIGHTHS], eb[XB_METRICS_EIGHTHS];
	g_autofree char *ta = zone_text(za);
	g_autofree char *tb = zone_text(zb);

	xb_metrics_regions(za, &pa[0], &pa[1], &pa[2], ea);
	xb_metrics_regions(zb, &pb[0], &pb[1], &pb[2], eb);
	cr_assert_eq(memcmp(pa, pb, sizeof(pa)), 0);
	cr_assert_eq(memcmp(ea, eb, sizeof(ea)), 0);
	cr_assert_eq(xb_metrics_nr_regions(za), xb_metrics_nr_regions(zb));
	cr_assert_eq(xb_zone_unusable_index(za, 9),
		     xb_zone_unusable_index(zb, 9));
	cr_assert_eq(xb_zone_frag_index(za, 9), xb_zone_frag_index(zb, 9));
	cr_assert_str_eq(ta, tb);
}

/* The shifted twin's mem_map: a neighbour zone at [0, K), the twin at
 * [K, K + N), TAIL frames of nobody after it. */
static struct xb_memmap *twin_map(struct xb_zone **neighbour)
{
	struct xb_memmap *m = xb_memmap_create(K + N + TAIL);

	cr_assert_not_null(m);
	*neighbour = xb_zone_create_range(m, 0, K);
	cr_assert_not_null(*neighbour);
	xb_zone_online_all(*neighbour);
	return m;
}

/* The script at [0, N) and at [K, K + N): the same outcomes, step by step,
 * and the same zone at the end; the neighbour below and the frames above
 * are as they were before. */
Test(zone_range, shifted_zone_behaves_as_the_zone_at_zero)
{
	struct guest a, b;
	struct xb_zone *nb;
	struct xb_memmap *m = twin_map(&nb);
	/* The neighbour holds pages of its own, with links into itself. */
	uint32_t nb_owner = xb_zone_register_owner(nb, "nb", NULL, NULL);

	for (unsigned i = 0; i < 700; i++)
		cr_assert_neq(xb_zone_alloc(nb, i % 4, XB_MT_UNMOVABLE,
					    XB_GFP_KERNEL, nb_owner, i),
			      XB_NIL);
	g_autofree struct xb_frame *nb_frames =
	    g_memdup2(m->frames, K * sizeof(struct xb_frame));
	g_autofree uint8_t *nb_pb = g_memdup2(m->pageblock, K / 512);

	guest_init(&a, xb_zone_create(N));
	guest_init(&b, xb_zone_create_range(m, K, K + N));
	/* The marks come from the zone's own pages. */
	cr_assert_eq(
	    memcmp(a.z->watermark, b.z->watermark, sizeof(a.z->watermark)), 0);
	cr_assert_gt(a.z->watermark[XB_WMARK_MIN], 0);
	cr_assert_eq(b.comp.cached_migrate_pfn[0], K);
	cr_assert_eq(b.comp.cached_free_pfn, K + N - 1 - (N - 1) % 512);

	run_script(&a, 18);
	run_script(&b, 18);
	cr_assert_gt(a.log->len, STEPS * 2);
	cr_assert_eq(a.log->len, b.log->len);
	for (unsigned i = 0; i < a.log->len; i++)
		cr_assert_eq(g_array_index(a.log, int64_t, i),
			     g_array_index(b.log, int64_t, i), "entry %u", i);
	/* The script did reach every path it is meant to test. */
	cr_assert_gt(a.z->stats.alloc_fail, 0);
	cr_assert_gt(a.z->stats.allocstall, 0);
	cr_assert_gt(a.comp.stats.compact_stall, 0);
	cr_assert_gt(a.comp.stats.pgmigrate_success, 0);
	cr_assert_gt(a.vs.stats.pgsteal_kswapd, 0);
	cr_assert_gt(a.z->stats.pcp_drain, 0);
	assert_same_shifted(&a, &b);
	assert_same_metrics(a.z, b.z);

	cr_assert_eq(memcmp(m->frames, nb_frames, K * sizeof(struct xb_frame)),
		     0);
	cr_assert_eq(memcmp(m->pageblock, nb_pb, K / 512), 0);
	cr_assert(xb__zone_is_valid(nb));
	for (uint64_t p = K + N; p < K + N + TAIL; p++)
		cr_assert_eq(m->frames[p].state, XB_FRAME_TAIL);
	guest_fini(&a);
	guest_fini(&b);
	xb_zone_destroy(a.z);
	xb_zone_destroy(b.z);
	xb_zone_destroy(nb);
	xb_memmap_destroy(m);
}

/* The classic pattern (every page whose pfn is not 0 mod 4 freed) under
 * full compaction at [0, N) and at [K, K + N): the same pages move, the
 * scanners start at the zone's start and end, and the free pages end up
 * in the same blocks, shifted. */
Test(zone_range, full_compaction_of_the_pattern_shifts)
{
	struct xb_zone *nb;
	struct xb_memmap *m = twin_map(&nb);
	struct xb_zone *zs[2] = {xbt_zone_online_nowmark(N),
				 xb_zone_create_range(m, K, K + N)};
	struct xbt_owner o[2];
	struct xb_compactor c[2];
	enum xb_compact_result r[2];

	xb_zone_online_all(zs[1]);
	xbt_zone_nowmark(zs[1]);
	for (int i = 0; i < 2; i++) {
		xbt_owner_init(&o[i], zs[i], N);
		cr_assert_eq(xbt_owner_fill(&o[i]), N);
		xbt_owner_free_pattern(&o[i]);
		xb_compactor_init(&c[i], zs[i]);
		r[i] = xb_compact_zone_full(&c[i]);
		cr_assert(xb__zone_is_valid(zs[i]));
		cr_assert(xbt_owner_is_valid(&o[i]));
	}
	cr_assert_eq(r[0], XB_COMPACT_COMPLETE);
	cr_assert_eq(r[1], r[0]);
	cr_assert_gt(c[0].stats.pgmigrate_success, 1000);
	cr_assert_eq(memcmp(&c[0].stats, &c[1].stats, sizeof(c[0].stats)), 0);
	for (unsigned o9 = 0; o9 < XB_MAX_ORDER; o9++)
		cr_assert_eq(xb_buddy_nr_free(&zs[0]->buddy, o9),
			     xb_buddy_nr_free(&zs[1]->buddy, o9));
	for (uint32_t s = 0; s < o[0].nr_used; s++)
		cr_assert_eq(o[0].slots[s] == XB_NIL
				 ? XB_NIL
				 : o[0].slots[s] + (uint32_t)K,
			     o[1].slots[s]);
	/* compact_finished() reset the cached positions to the span's
	 * ends. */
	cr_assert_eq(c[1].cached_migrate_pfn[0], K);
	cr_assert_eq(c[1].cached_free_pfn, c[0].cached_free_pfn + K);
	assert_same_metrics(zs[0], zs[1]);
	cr_assert(xb__zone_is_valid(nb));
	for (int i = 0; i < 2; i++) {
		xbt_owner_fini(&o[i]);
		xb_zone_destroy(zs[i]);
	}
	xb_zone_destroy(nb);
	xb_memmap_destroy(m);
}

/* Two zones side by side on one array, both churned and compacted in
 * turn: each stays valid, no block of one ever holds a frame of the other,
 * and once everything is freed each holds exactly its own frames in
 * MAX_ORDER blocks, none across the boundary. */
Test(zone_range, neighbours_never_touch_each_other)
{
	struct xb_memmap *m = xb_memmap_create(8192);
	struct guest g[2];

	guest_init(&g[0], xb_zone_create_range(m, 0, 4096));
	guest_init(&g[1], xb_zone_create_range(m, 4096, 8192));
	for (unsigned round = 0; round < 2; round++)
		for (int i = 0; i < 2; i++) {
			run_script(&g[i], 100 + round * 2 + (unsigned)i);
			cr_assert(xb__zone_is_valid(g[0].z));
			cr_assert(xb__zone_is_valid(g[1].z));
		}
	for (int i = 0; i < 2; i++) {
		struct xb_zone *z = g[i].z;

		for (uint64_t p = z->start_pfn; p < z->end_pfn;) {
			const struct xb_frame *f = &z->frames[p];

			cr_assert(xb_frame_is_head(f));
			cr_assert_leq(p + (1ull << f->order), z->end_pfn);
			p += 1ull << f->order;
		}
		for (uint32_t s = 0; s < g[i].anon.nr_used; s++)
			if (g[i].anon.slots[s] != XB_NIL)
				cr_assert(
				    xb_zone_spans_pfn(z, g[i].anon.slots[s]));
		for (uint32_t s = 0; s < g[i].anon.nr_used; s++)
			if (g[i].anon.slots[s] != XB_NIL)
				xbt_owner_free(&g[i].anon, s);
		for (unsigned j = 0; j < g[i].nr_pins; j++)
			xb_zone_free(z, g[i].pins[j]);
		for (uint64_t j = g[i].cache_head; j < g[i].cache_nr; j++)
			xb_zone_free(z, g[i].cache[j]);
		xb_zone_drain_pcp(z);
	}
	for (int i = 0; i < 2; i++) {
		struct xb_zone *z = g[i].z;

		cr_assert_eq(z->nr_state[XB_FRAME_FREE], 4096);
		cr_assert(xb__zone_is_valid(z));
	}
	/* The lower zone's last block ends at the boundary, the upper one's
	 * first begins there. */
	cr_assert_eq(m->frames[3072].state, XB_FRAME_FREE);
	cr_assert_eq(m->frames[3072].order, 10);
	cr_assert_eq(m->frames[4096].state, XB_FRAME_FREE);
	cr_assert_eq(m->frames[4096].order, 10);
	for (int i = 0; i < 2; i++) {
		guest_fini(&g[i]);
		xb_zone_destroy(g[i].z);
	}
	xb_memmap_destroy(m);
}

/* A zone whose end is not a MAX_ORDER boundary keeps its last blocks
 * below it: freeing [1024, 2560) of a 4096-frame array leaves an order-10
 * and an order-9 block, the latter never merged with the frames above the
 * end (nobody's), whatever they hold. */
Test(zone_range, no_block_merges_past_the_zone_end)
{
	struct xb_memmap *m = xb_memmap_create(4096);
	struct xb_zone *z = xb_zone_create_range(m, 1024, 2560);

	cr_assert_not_null(z);
	/* Frames above the end that look like a free buddy of order 9. */
	m->frames[2560].state = XB_FRAME_FREE;
	m->frames[2560].order = 9;
	xb_zone_online_all(z);
	cr_assert_eq(z->nr_state[XB_FRAME_FREE], 1536);
	cr_assert_eq(m->frames[1024].order, 10);
	cr_assert_eq(m->frames[2048].state, XB_FRAME_FREE);
	cr_assert_eq(m->frames[2048].order, 9);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 1);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 9), 1);
	/* Take and give back the order-9 block: it comes back as it was. */
	xb_pfn_t p = xb_zone_alloc(z, 9, XB_MT_MOVABLE, XB_ALLOC_NOWMARK, 0, 0);

	cr_assert_eq(p, 2048);
	xb_zone_free(z, p);
	xb_zone_drain_pcp(z);
	cr_assert_eq(m->frames[2048].order, 9);
	cr_assert_eq(m->frames[2048].state, XB_FRAME_FREE);
	cr_assert_eq(xb_buddy_nr_free(&z->buddy, 10), 1);
	cr_assert(xb__zone_is_valid(z));
	xb_zone_destroy(z);
	xb_memmap_destroy(m);
}

/* The span is checked where it is made: a start that is not a MAX_ORDER
 * boundary, an empty span and one past the array are refused. */
Test(zone_range, bad_spans_are_refused)
{
	struct xb_memmap *m = xb_memmap_create(4096);

	cr_assert_null(xb_zone_create_range(m, 512, 2048));
	cr_assert_null(xb_zone_create_range(m, 1024, 1024));
	cr_assert_null(xb_zone_create_range(m, 2048, 4097));
	cr_assert_null(xb_zone_create_range(NULL, 0, 1024));
	cr_assert_null(xb_memmap_create(0));
	struct xb_zone *z = xb_zone_create_range(m, 3072, 4096);

	cr_assert_not_null(z);
	cr_assert_eq(z->nr_frames, 1024);
	cr_assert_eq(z->nr_pageblocks, 2);
	cr_assert_eq(z->buddy.first_frame, 3072);
	cr_assert(xb__zone_is_valid(z));
	/* A checker that sees a span the buddy does not manage says so. */
	z->buddy.first_frame = 2048;
	cr_assert_not(xb__zone_is_valid(z));
	z->buddy.first_frame = 3072;
	xb_zone_destroy(z);
	xb_memmap_destroy(m);
}
