/*
 * Workloads: page owners with a ring of held pages (the rmap), movable ops
 * for compaction, growth with ramp, churn, lifetime, reclaim of page cache,
 * and the fragmenter pattern.
 */
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xballoon/movable.h"
#include "xballoon/workload.h"

const char *const xb_workload_kind_names[XB_WL_NR_KINDS] = {
    "anon", "thp", "pagecache", "slab", "kernel", "fragmenter"};

const char *xb_workload_kind_name(enum xb_workload_kind kind)
{
	return kind < XB_WL_NR_KINDS ? xb_workload_kind_names[kind] : "?";
}

int xb_workload_kind_from_name(const char *name)
{
	for (int i = 0; i < XB_WL_NR_KINDS; i++)
		if (!strcmp(xb_workload_kind_names[i], name))
			return i;
	return -1;
}

const char *const xb_thp_mode_names[XB_THP_NR] = {"always", "madvise", "never"};
const char *const xb_thp_defrag_names[XB_THP_DEFRAG_NR] = {
    "always", "defer", "defer+madvise", "madvise", "never"};

/*
 * Small pages: anon and the fragmenter are GFP_HIGHUSER_MOVABLE, slab is
 * GFP_KERNEL | __GFP_RECLAIMABLE, kernel allocations GFP_KERNEL: all may
 * wake kswapd, reclaim and compact. Page cache grows into free memory and
 * only wakes kswapd: a file read under pressure evicts other cache through
 * kswapd rather than reclaiming directly (docs/simulation.md says why).
 */
unsigned xb_workload_gfp(enum xb_workload_kind kind)
{
	return kind == XB_WL_PAGECACHE ? XB_ALLOC_KSWAPD : XB_GFP_KERNEL;
}

/* alloc_hugepage_direct_gfpmask() (mm/huge_memory.c, 6.1). */
unsigned xb_thp_gfp(enum xb_thp_defrag defrag, bool madvised)
{
	const unsigned direct = XB_ALLOC_RECLAIM | XB_ALLOC_COMPACT;

	switch (defrag) {
	case XB_THP_DEFRAG_ALWAYS:
		return XB_GFP_TRANSHUGE | (madvised ? 0 : XB_ALLOC_NORETRY);
	case XB_THP_DEFRAG_DEFER:
		return XB_GFP_TRANSHUGE_LIGHT | XB_ALLOC_KSWAPD;
	case XB_THP_DEFRAG_DEFER_MADVISE:
		return XB_GFP_TRANSHUGE_LIGHT |
		       (madvised ? direct : XB_ALLOC_KSWAPD);
	case XB_THP_DEFRAG_MADVISE:
		return XB_GFP_TRANSHUGE_LIGHT | (madvised ? direct : 0);
	default:
		return XB_GFP_TRANSHUGE_LIGHT;
	}
}

static unsigned kind_mt(enum xb_workload_kind kind)
{
	switch (kind) {
	case XB_WL_SLAB:
		return XB_MT_RECLAIMABLE;
	case XB_WL_KERNEL:
		return XB_MT_UNMOVABLE;
	default:
		return XB_MT_MOVABLE;
	}
}

/* ---- the rings (rmap) ------------------------------------------------- */

/* A ring's first size on a workload over several nodes (pages). */
#define WL_RING_START 4096u

/* The node whose zone holds pfn (0 for a one-zone workload). */
static inline unsigned wl_node_of(const struct xb_workload *w, xb_pfn_t pfn)
{
	return w->nodes ? xb_nodes_pfn_to_nid(w->nodes, pfn) : 0;
}

static inline struct xb_zone *wl_zone(const struct xb_workload *w, unsigned nid)
{
	return w->nodes ? w->nodes->node[nid].zone : w->zone;
}

/* The slot `off` places after the head (off < cap): head < cap, so one
 * conditional subtraction is the modulo, without a division. */
static inline uint64_t ring_slot(const struct xb_wl_ring *r, uint64_t off)
{
	uint64_t s = r->head + off;

	return s >= r->cap ? s - r->cap : s;
}

/*
 * A full ring of a workload over several nodes doubles (up to the
 * workload's limit), its pages moved to slots 0.. in their order, so
 * that what the ring means (oldest first) does not change. Rings start
 * small: a workload rarely has all its pages on every node. False when
 * memory for it cannot be had.
 */
static bool ring_grow(struct xb_workload *w, struct xb_wl_ring *r)
{
	uint64_t cap = r->cap * 2 < w->limit ? r->cap * 2 : w->limit;
	xb_pfn_t *ring = g_try_new(xb_pfn_t, cap);

	if (!ring)
		return false;
	for (uint64_t i = 0; i < r->nr; i++) {
		ring[i] = r->ring[ring_slot(r, i)];
		w->zone->frames[ring[i]].next = (uint32_t)i;
	}
	g_free(r->ring);
	r->ring = ring;
	r->cap = cap;
	r->head = 0;
	return true;
}

/* Make room for one more page on node nid's ring. */
static bool ring_room(struct xb_workload *w, unsigned nid)
{
	struct xb_wl_ring *r = &w->rings[nid];

	xb_assert(w->nr < w->limit);
	return r->nr < r->cap || ring_grow(w, r);
}

static void ring_push(struct xb_workload *w, xb_pfn_t pfn)
{
	struct xb_wl_ring *r = &w->rings[wl_node_of(w, pfn)];
	uint64_t slot = ring_slot(r, r->nr);

	uint64_t n = 1ull << w->zone->frames[pfn].order;

	xb_assert(r->nr < r->cap);

	r->ring[slot] = pfn;
	w->zone->frames[pfn].next = (uint32_t)slot;
	r->nr++;
	r->held += n;
	w->nr++;
	w->held += n;
}

/* Free the page in `slot` of node nid's ring; the ring's oldest page moves
 * into the hole, so the ring stays dense and O(1). Returns frames freed. */
static uint64_t free_slot(struct xb_workload *w, unsigned nid, uint64_t slot)
{
	struct xb_wl_ring *r = &w->rings[nid];
	struct xb_frame *frames = w->zone->frames;
	xb_pfn_t pfn = r->ring[slot];
	uint64_t n = 1ull << frames[pfn].order;

	xb_assert(frames[pfn].state == XB_FRAME_ALLOC &&
		  frames[pfn].owner == w->owner);
	if (slot != r->head) {
		r->ring[slot] = r->ring[r->head];
		frames[r->ring[slot]].next = (uint32_t)slot;
	}
	r->head = ring_slot(r, 1);
	r->nr--;
	r->held -= n;
	w->nr--;
	w->held -= n;
	w->stats.freed += n;
	xb_zone_free(wl_zone(w, nid), pfn);
	return n;
}

/* ---- movable ops: the owner side of page migration ---------------------- */

static bool wl_isolate(void *priv, struct xb_zone *z, xb_pfn_t pfn)
{
	struct xb_workload *w = priv;
	struct xb_frame *f = &z->frames[pfn];

	if (f->state != XB_FRAME_ALLOC || f->owner != w->owner || f->order)
		return false;
	xb_zone_set_state(z, pfn, XB_FRAME_ISOLATED, w->owner);
	return true;
}

static int wl_migrate(void *priv, struct xb_zone *z, xb_pfn_t dst, xb_pfn_t src)
{
	struct xb_workload *w = priv;
	struct xb_frame *s = &z->frames[src], *d = &z->frames[dst];
	uint32_t slot = s->next;

	struct xb_wl_ring *r = &w->rings[wl_node_of(w, src)];

	/* Compaction moves a page within its zone: its ring stays. */
	xb_assert(s->state == XB_FRAME_ISOLATED && s->owner == w->owner);
	xb_assert(d->order == s->order && r->ring[slot] == src &&
		  wl_node_of(w, dst) == wl_node_of(w, src));
	xb_zone_set_state(z, dst, XB_FRAME_ALLOC, w->owner);
	d->type = s->type;
	d->next = slot;
	r->ring[slot] = dst;
	w->stats.migrated++;
	return 0;
}

static void wl_putback(void *priv, struct xb_zone *z, xb_pfn_t pfn)
{
	struct xb_workload *w = priv;

	xb_zone_set_state(z, pfn, XB_FRAME_ALLOC, w->owner);
}

static const struct xb_movable_ops workload_movable_ops = {
    .name = "workload",
    .isolate = wl_isolate,
    .migrate = wl_migrate,
    .putback = wl_putback,
};

/* ---- lifecycle ------------------------------------------------------ */

/* A workload over one zone (nodes NULL) or over the guest's nodes. */
static struct xb_workload *start(struct xb_zone *z, struct xb_nodes *nodes,
				 unsigned nid, uint64_t nodemask,
				 const struct xb_workload_spec *spec,
				 uint64_t now)
{
	struct xb_workload *w = g_new0(struct xb_workload, 1);
	bool movable = kind_mt(spec->kind) == XB_MT_MOVABLE;
	const struct xb_movable_ops *ops =
	    movable ? &workload_movable_ops : NULL;

	w->spec = *spec;
	w->zone = z;
	w->nodes = nodes;
	w->nid = nid;
	w->nodemask = nodemask;
	w->nr_rings = nodes ? nodes->nr : 1;
	w->limit = spec->size ? spec->size : 1;
	/* One ring holds the whole workload from the start (g_try_new only
	 * reserves; untouched ring pages cost nothing); rings over several
	 * nodes grow as their node's pages come (ring_grow()). */
	for (unsigned v = 0; v < w->nr_rings; v++) {
		struct xb_wl_ring *r = &w->rings[v];

		r->cap = w->nr_rings == 1	    ? w->limit
			 : w->limit < WL_RING_START ? w->limit
						    : WL_RING_START;
		r->ring = g_try_new(xb_pfn_t, r->cap);
		if (!r->ring) {
			xb_workload_destroy(w);
			return NULL;
		}
	}
	w->start = now;
	w->owner = nodes ? xb_nodes_register_owner(nodes, spec->name, ops, w)
			 : xb_zone_register_owner(z, spec->name, ops, w);
	return w;
}

struct xb_workload *xb_workload_start(struct xb_zone *z,
				      const struct xb_workload_spec *spec,
				      uint64_t now)
{
	return start(z, NULL, 0, 0, spec, now);
}

struct xb_workload *xb_workload_start_nodes(struct xb_nodes *nodes,
					    unsigned nid, uint64_t nodemask,
					    const struct xb_workload_spec *spec,
					    uint64_t now)
{
	return start(nodes->node[0].zone, nodes, nid, nodemask, spec, now);
}

void xb_workload_stop(struct xb_workload *w)
{
	for (unsigned v = 0; v < w->nr_rings; v++)
		while (w->rings[v].nr)
			free_slot(w, v, w->rings[v].head);
	w->stopped = true;
}

void xb_workload_destroy(struct xb_workload *w)
{
	if (!w)
		return;
	for (unsigned v = 0; v < w->nr_rings; v++)
		g_free(w->rings[v].ring);
	g_free(w);
}

/* __alloc_pages() from the workload's zone, or from its nodes: its
 * preferred node first, then by distance, within its nodemask. */
static inline __attribute__((always_inline)) xb_pfn_t
wl_alloc(struct xb_workload *w, unsigned order, unsigned mt, unsigned flags)
{
	if (!w->nodes)
		return xb_zone_alloc(w->zone, order, mt, flags, w->owner, 0);
	return xb_nodes_alloc(w->nodes, w->nid, w->nodemask, order, mt, flags,
			      w->owner, 0);
}

static bool grow_one(struct xb_workload *w, uint64_t want)
{
	unsigned mt = kind_mt(w->spec.kind);
	xb_pfn_t pfn = XB_NIL;

	/* The workload's size bounds what it holds. */
	if (w->nr == w->limit)
		return false;
	/* A huge page fault (do_huge_pmd_anonymous_page()) where THP
	 * applies: madvised regions unless THP is never, every anonymous
	 * region when it is always. A failed one falls back to a small
	 * page. */
	bool madvised = w->spec.kind == XB_WL_THP;
	bool thp = (madvised && w->spec.thp != XB_THP_NEVER) ||
		   (w->spec.kind == XB_WL_ANON && w->spec.thp == XB_THP_ALWAYS);

	if (thp && want >= XB_HPAGE_PAGES) {
		pfn = wl_alloc(w, XB_HPAGE_ORDER, mt,
			       xb_thp_gfp(w->spec.defrag, madvised));
		if (pfn != XB_NIL)
			w->stats.thp_alloc++;
		else
			w->stats.thp_fallback++;
	}
	if (pfn == XB_NIL)
		pfn = wl_alloc(w, 0, mt, xb_workload_gfp(w->spec.kind));
	if (pfn == XB_NIL) {
		w->stats.alloc_failed++;
		return false;
	}
	if (!ring_room(w, wl_node_of(w, pfn))) {
		/* No memory for the book: the page goes back. */
		xb_zone_free(wl_zone(w, wl_node_of(w, pfn)), pfn);
		w->stats.alloc_failed++;
		return false;
	}
	ring_push(w, pfn);
	w->stats.allocated += 1ull << w->zone->frames[pfn].order;
	return true;
}

static void grow_to(struct xb_workload *w, uint64_t target)
{
	while (w->held < target && grow_one(w, target - w->held))
		;
}

static int cmp_pfn(const void *a, const void *b)
{
	xb_pfn_t x = *(const xb_pfn_t *)a, y = *(const xb_pfn_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The classic fragmentation pattern: in every 2 MiB region, free the share
 * `free` of the pages held there and keep the rest spread evenly (kept
 * positions floor(j * c / keep)), so that no 2 MiB region is left free.
 */
static void fragment(struct xb_workload *w)
{
	struct xb_frame *frames = w->zone->frames;
	uint64_t n = w->nr;
	xb_pfn_t *pfns = g_new(xb_pfn_t, n ? n : 1);

	uint64_t k = 0;

	for (unsigned v = 0; v < w->nr_rings; v++)
		for (uint64_t i = 0; i < w->rings[v].nr; i++)
			pfns[k++] =
			    w->rings[v].ring[ring_slot(&w->rings[v], i)];
	qsort(pfns, n, sizeof(*pfns), cmp_pfn);
	for (uint64_t a = 0; a < n;) {
		uint64_t b = a;

		while (b < n &&
		       pfns[b] >> XB_HPAGE_ORDER == pfns[a] >> XB_HPAGE_ORDER)
			b++;
		uint64_t c = b - a;
		uint64_t keep = c - (uint64_t)llround((double)c * w->spec.free);
		uint64_t j = 0;

		for (uint64_t i = 0; i < c; i++) {
			if (j < keep && i == j * c / keep) {
				j++;
				continue;
			}
			xb_pfn_t p = pfns[a + i];

			free_slot(w, wl_node_of(w, p), frames[p].next);
		}
		a = b;
	}
	g_free(pfns);
}

/*
 * Random frees are bound by cache misses on the ring and on the frame
 * records. The victims of the next two frees, should they happen, are the
 * generator's next draws against the ring as this free leaves it (head + 1,
 * nr - 1): compute them on a copy of the generator, so the real draws are
 * untouched, and prefetch the ring slot two frees ahead and the frame
 * record one free ahead (its slot was prefetched one round earlier). A
 * victim that moves meanwhile only costs a wasted prefetch.
 */
static void prefetch_victims(const struct xb_workload *w,
			     const struct xb_rng *rng)
{
	const struct xb_wl_ring *r = &w->rings[0];
	struct xb_rng peek = *rng;
	uint64_t n1 = w->nr - 1;

	if (!n1 || w->nr_rings > 1)
		return; /* several rings: no prefetch */
	uint64_t s1 = ring_slot(r, 1 + xb_rng_below(&peek, n1));

	__builtin_prefetch(&w->zone->frames[r->ring[s1]]);
	if (n1 > 1)
		__builtin_prefetch(
		    &r->ring[ring_slot(r, 2 + xb_rng_below(&peek, n1 - 1))]);
}

/* The i-th held page over the rings in node order: its ring and slot. */
static uint64_t nth_slot(const struct xb_workload *w, uint64_t i, unsigned *nid)
{
	unsigned v = 0;

	while (i >= w->rings[v].nr) {
		i -= w->rings[v].nr;
		v++;
	}
	*nid = v;
	return ring_slot(&w->rings[v], i);
}

void xb_workload_tick(struct xb_workload *w, uint64_t now, uint64_t dt,
		      struct xb_rng *rng)
{
	if (w->stopped)
		return;
	if (w->spec.lifetime && now - w->start >= w->spec.lifetime) {
		xb_workload_stop(w);
		return;
	}
	if (w->spec.kind == XB_WL_FRAGMENTER) {
		if (!w->fragmented) {
			grow_to(w, w->spec.size);
			fragment(w);
			w->fragmented = true;
		}
		return;
	}
	uint64_t target = w->spec.size;

	if (w->spec.ramp && now - w->start < w->spec.ramp)
		target =
		    (uint64_t)((double)w->spec.size * (double)(now - w->start) /
			       (double)w->spec.ramp);
	uint64_t churned = 0;

	if (w->spec.churn > 0 && w->nr) {
		w->churn_debt +=
		    w->spec.churn * (double)w->held * (double)dt / 1e9;
		while (w->churn_debt >= 1.0 && w->nr) {
			unsigned v;
			uint64_t slot =
			    nth_slot(w, xb_rng_below(rng, w->nr), &v);
			uint64_t n;

			prefetch_victims(w, rng);
			n = free_slot(w, v, slot);
			w->churn_debt -= (double)n;
			churned += n;
		}
		if (w->churn_debt < 0)
			w->churn_debt = 0;
	}
	if (w->spec.kind != XB_WL_PAGECACHE) {
		grow_to(w, target);
		return;
	}
	/* Page cache is what the workload has read. Its first fill reads
	 * each page once: a page reclaim evicted meanwhile counts as read
	 * (else a cache larger than memory would evict itself for ever,
	 * kswapd dropping the oldest pages as the newest come in). Once
	 * filled, it reads back what it churned plus, of what reclaim
	 * dropped, its churn's share of its size per second. */
	uint64_t budget;

	if (!w->filled) {
		uint64_t done = w->held + w->stats.reclaimed;

		budget = churned + (target > done ? target - done : 0);
	} else {
		budget =
		    churned + (uint64_t)(w->spec.churn * (double)w->spec.size *
					 (double)dt / 1e9);
	}
	while (w->held < target && budget && grow_one(w, target - w->held))
		budget--;
	if (w->held + w->stats.reclaimed >= w->spec.size ||
	    w->stats.alloc_failed)
		w->filled = true;
}

uint64_t xb_workload_reclaim(struct xb_workload *w, unsigned nid, uint64_t nr)
{
	struct xb_wl_ring *r = &w->rings[nid];
	uint64_t got = 0;

	if (w->spec.kind != XB_WL_PAGECACHE || nid >= w->nr_rings)
		return 0;
	while (got < nr && r->nr)
		got += free_slot(w, nid, r->head);
	w->stats.reclaimed += got;
	return got;
}

uint64_t xb_workload_held_on(const struct xb_workload *w, unsigned nid)
{
	return nid < w->nr_rings ? w->rings[nid].held : 0;
}

bool xb__workload_is_valid(const struct xb_workload *w)
{
	const struct xb_frame *frames = w->zone->frames;
	uint64_t held = 0, nr = 0;

	for (unsigned v = 0; v < w->nr_rings; v++) {
		const struct xb_wl_ring *r = &w->rings[v];
		uint64_t ring_held = held;

		if (r->nr > r->cap || r->cap > w->limit || r->head >= r->cap ||
		    (w->nr_rings == 1 && r->cap != w->limit)) {
			g_warning("workload %s: node %u ring of %lu holds %lu "
				  "from %lu (limit %lu)",
				  w->spec.name, v, (unsigned long)r->cap,
				  (unsigned long)r->nr, (unsigned long)r->head,
				  (unsigned long)w->limit);
			return false;
		}
		for (uint64_t i = 0; i < r->nr; i++) {
			uint64_t slot = ring_slot(r, i);
			xb_pfn_t pfn = r->ring[slot];
			const struct xb_frame *f = &frames[pfn];

			if ((f->state != XB_FRAME_ALLOC &&
			     f->state != XB_FRAME_ISOLATED) ||
			    f->owner != w->owner || f->next != slot ||
			    wl_node_of(w, pfn) != v) {
				g_warning("workload %s: node %u slot %lu pfn "
					  "%u is %s owner %u rmap %u",
					  w->spec.name, v, (unsigned long)slot,
					  pfn, xb_frame_state_name(f->state),
					  f->owner, f->next);
				return false;
			}
			held += 1ull << f->order;
		}
		if (held - ring_held != r->held) {
			g_warning("workload %s: node %u ring holds %lu frames, "
				  "counter %lu",
				  w->spec.name, v,
				  (unsigned long)(held - ring_held),
				  (unsigned long)r->held);
			return false;
		}
		nr += r->nr;
	}
	if (held != w->held || nr != w->nr || nr > w->limit) {
		g_warning("workload %s: holds %lu frames in %lu pages, "
			  "counters %lu and %lu",
			  w->spec.name, (unsigned long)held, (unsigned long)nr,
			  (unsigned long)w->held, (unsigned long)w->nr);
		return false;
	}
	return true;
}
