/*
 * The scenario runner: sets up the mock host and its neighbours, the guest
 * zone, compaction, the driver and workloads, then replays the timeline in
 * simulated time with timers for the balloon worker, the exchange worker,
 * kcompactd, workload ticks, neighbour churn and sampling. Every backend
 * call, timeline event and sample feeds the run digest.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xballoon/mock.h"
#include "xballoon/node.h"
#include "xballoon/policy.h"
#include "xballoon/check.h"
#include "xballoon/debug.h"
#include "xballoon/run.h"
#include "xballoon/sim.h"
#include "xballoon/trace.h"
#include "xballoon/verify.h"
#include "xballoon/vmscan.h"
#include "xballoon/workload.h"

/* Workloads advance in steps of this much simulated time. */
#define WORKLOAD_TICK (100 * XB_NS_PER_MS)

/* A neighbour domain and the extents it holds (for its churn). */
struct neighbour {
	const struct xb_neighbour *spec;
	unsigned domid;
	uint64_t gfn_space;
	uint64_t next_gfn; /* bump allocator over its gfn space    */
	GArray *free_gfns[XB_MAX_ORDER]; /* gfns of freed extents, by order */
	GArray *held; /* uint64_t: gfn << 8 | order           */
};

/*
 * A guest node (pg_data_t): its zone, its kswapd and kcompactd, and the
 * balloon driver of its vnode. A guest without vNUMA has one, over all of
 * its memory; a vNUMA guest one per vnode (docs/simulation.md).
 */
struct gnode {
	struct run *r;
	unsigned id;
	struct xb_zone *zone;
	struct xb_compactor comp;
	struct xb_vmscan vmscan; /* direct reclaim and kswapd             */
	bool in_kswapd;		 /* kswapd is running                     */
	bool kswapd_pending;	 /* ... and was asked to run again        */
	uint64_t kcompactd_gen;	 /* invalidates stale kcompactd timeouts */
	struct xb_driver drv;
	bool drv_ready;
	uint64_t balloon_gen; /* invalidates stale balloon timers        */
	bool balloon_armed;   /* a balloon run of this driver is due      */
};

struct run {
	const struct xb_scenario *sc;
	const struct xb_run_options *opt;
	struct xb_run_result *res;
	struct xb_sim sim;
	struct xb_backend *be;
	struct xb_mock *mock;
	struct xb_nodes *nodes;
	unsigned nr_nodes;
	struct gnode *node;	 /* [nr_nodes]                              */
	struct xb_workload **wl; /* by scenario workload index          */
	struct neighbour *nb;
	size_t nr_nb;		    /* neighbours run: the mock's only        */
	struct xb_verifier *verify; /* verify_content: NULL when off  */
	uint64_t target;	    /* the last target asked for           */
	GChecksum *trace;
	struct xb_trace_writer *tw; /* --trace: the backend trace file  */
	uint64_t duration;
	uint64_t wall_start_ns;
	uint64_t last_progress_ns;
	uint64_t check_every; /* check whole every N-th sample; 0: never */
	uint64_t samples_taken;
	uint64_t next_map; /* time of the next region map          */
};

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * XB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* A scenario's fault op is the mock's, cast. */
_Static_assert((int)XB_FAULT_RELOCATE == (int)XB_MOCK_OP_RELOCATE &&
		   (int)XB_FAULT_ADD_TO_PHYSMAP ==
		       (int)XB_MOCK_OP_ADD_TO_PHYSMAP &&
		   (int)XB_FAULT_NR_OPS == (int)XB_MOCK_OP_NR,
	       "enum xb_fault_op follows enum xb_mock_op");

/* ---- the digest -------------------------------------------------------- */

/* Feed little-endian words so the digest is the same on every machine. */
static void trace_words(struct run *r, const uint64_t *w, unsigned n)
{
	uint8_t buf[8];

	for (unsigned i = 0; i < n; i++) {
		for (unsigned b = 0; b < 8; b++)
			buf[b] = (uint8_t)(w[i] >> (8 * b));
		g_checksum_update(r->trace, buf, sizeof(buf));
	}
}

static void trace_backend(void *priv, const struct xb_trace_rec *t)
{
	struct run *r = priv;
	uint64_t head[] = {r->sim.now,
			   t->op,
			   t->nr,
			   t->order,
			   t->nr_out,
			   t->out_order,
			   (uint64_t)t->result,
			   t->progress,
			   t->src,
			   t->dst};

	trace_words(r, head, G_N_ELEMENTS(head));
	if (t->extents)
		trace_words(r, t->extents, (unsigned)t->nr);
	if (t->out)
		trace_words(r, t->out, (unsigned)t->nr_out);
	/* Only the moves have a space and per-entry results: the other
	 * calls' digest words are as they always were. */
	if (t->op == XB_TRACE_ADD_TO_PHYSMAP ||
	    t->op == XB_TRACE_ADD_TO_PHYSMAP_BATCH) {
		uint64_t space = t->space;

		trace_words(r, &space, 1);
	}
	for (uint64_t i = 0; t->errs && i < t->progress; i++) {
		uint64_t e = (uint64_t)(int64_t)t->errs[i];

		trace_words(r, &e, 1);
	}
	if (r->tw)
		xb_trace_writer_call(r->tw, t);
	if (r->verify)
		xb_verify_after(r->verify, t);
}

static void verify_before(void *priv, const struct xb_trace_rec *t)
{
	xb_verify_before(priv, t);
}

/* The guest's data: pages its workloads hold. */
static bool is_workload_owner(void *priv, uint32_t owner)
{
	const struct run *r = priv;

	for (size_t i = 0; r->wl && i < r->sc->nr_workloads; i++)
		if (r->wl[i] && r->wl[i]->owner == owner)
			return true;
	return false;
}

static void trace_event(struct run *r, uint64_t kind, uint64_t a, uint64_t b)
{
	uint64_t w[] = {r->sim.now, 0x1000 + kind, a, b};

	trace_words(r, w, G_N_ELEMENTS(w));
}

/* ---- reclaim, compaction and their daemons ------------------------------ */

/* What reclaim of a node drops: the oldest page cache on that node (its
 * LRU; vmscan's shrink callback). */
static uint64_t run_shrink(void *priv, uint64_t nr)
{
	struct gnode *gn = priv;
	struct run *r = gn->r;
	uint64_t got = 0;

	for (size_t i = 0; i < r->sc->nr_workloads && got < nr; i++)
		if (r->wl[i])
			got += xb_workload_reclaim(r->wl[i], gn->id, nr - got);
	return got;
}

static uint64_t run_reclaim(struct xb_zone *z, void *priv, unsigned order)
{
	struct gnode *gn = priv;

	return xb_try_to_free_pages(&gn->vmscan, order);
}

static uint64_t run_reclaimable(const struct xb_zone *z, void *priv)
{
	const struct gnode *gn = priv;
	const struct run *r = gn->r;
	uint64_t n = 0;

	for (size_t i = 0; r->wl && i < r->sc->nr_workloads; i++)
		if (r->wl[i] && r->wl[i]->spec.kind == XB_WL_PAGECACHE)
			n += xb_workload_held_on(r->wl[i], gn->id);
	return n;
}

static enum xb_compact_result run_compact(struct xb_zone *z, void *priv,
					  unsigned order, unsigned mt,
					  unsigned prio)
{
	struct gnode *gn = priv;

	return xb_compact_direct(&gn->comp, order, mt, prio);
}

static void run_wake_kswapd(struct xb_zone *z, void *priv, unsigned order,
			    unsigned flags)
{
	struct gnode *gn = priv;

	xb_wakeup_kswapd(&gn->vmscan, order, flags);
}

static const struct xb_zone_ops run_zone_ops = {
    .reclaim = run_reclaim,
    .compact = run_compact,
    .wake_kswapd = run_wake_kswapd,
    .reclaimable = run_reclaimable,
};

/*
 * kswapd and kcompactd are threads of their own in Linux, one of each per
 * node. kswapd runs the moment it is woken, inside the allocation that
 * woke it, and takes no simulated time: a kswapd that keeps up with any
 * allocation rate, as on a CPU of its own (docs/simulation.md measures
 * what that changes). It only frees page cache, which is safe at any
 * point of an allocation.
 * kcompactd moves pages, which is not safe in the middle of an allocation
 * whose caller has not yet recorded its page: its work runs at the same
 * simulated time, after the event that woke it.
 * The digest words name the node (0 on a guest without vNUMA).
 */
static void kick_kswapd(void *priv)
{
	struct gnode *gn = priv;

	gn->kswapd_pending = true;
	if (gn->in_kswapd)
		return; /* kswapd asked to balance again: the loop below */
	gn->in_kswapd = true;
	while (gn->kswapd_pending) {
		gn->kswapd_pending = false;
		xb_kswapd_run(&gn->vmscan);
		trace_event(gn->r, 5, gn->vmscan.stats.pgsteal_kswapd, gn->id);
	}
	gn->in_kswapd = false;
}

static void ev_kcompactd(struct xb_sim *s, void *arg, uint64_t gen);

/* kcompactd's timeout restarts after every wake-up (kcompactd()). */
static void kcompactd_rearm(struct gnode *gn)
{
	gn->kcompactd_gen++;
	xb_sim_after(&gn->r->sim, XB_KCOMPACTD_PERIOD_MS * XB_NS_PER_MS,
		     ev_kcompactd, gn, gn->kcompactd_gen);
}

static void ev_kcompactd_work(struct xb_sim *s, void *arg, uint64_t data)
{
	struct gnode *gn = arg;

	xb_kcompactd_do_work(&gn->comp);
	trace_event(gn->r, 6, gn->comp.stats.compact_daemon_wake, gn->id);
	kcompactd_rearm(gn);
}

static void kick_kcompactd(void *priv)
{
	struct gnode *gn = priv;

	xb_sim_after(&gn->r->sim, 0, ev_kcompactd_work, gn, 0);
}

/* ---- checkers ------------------------------------------------------------ */

/* The domain's tot_pages against its drivers' current pages (a vNUMA
 * guest's drivers each check their own books, not the domain's). */
static bool domain_pages_ok(struct run *r)
{
	uint64_t tot = 0, max = 0, cur = 0;

	if (r->nr_nodes == 1)
		return true; /* the one driver's checker compares them */
	for (unsigned v = 0; v < r->nr_nodes; v++)
		cur += r->node[v].drv.current_pages;
	XB_CHECK(xb_reservation(r->be, &tot, &max) == 0, "run: no reservation");
	XB_CHECK(cur == tot,
		 "run: the vnodes' drivers hold %lu pages, the domain %lu",
		 (unsigned long)cur, (unsigned long)tot);
	return true;
}

static void run_checks(struct run *r)
{
	bool ok = (r->nr_nodes == 1 || xb__nodes_is_valid(r->nodes)) &&
		  domain_pages_ok(r) &&
		  (!r->mock || xb__mock_is_valid(r->mock));

	for (unsigned v = 0; ok && v < r->nr_nodes; v++) {
		struct gnode *gn = &r->node[v];

		ok = xb__zone_is_valid(gn->zone) &&
		     xb__compactor_is_valid(&gn->comp) &&
		     xb__vmscan_is_valid(&gn->vmscan) &&
		     xb__driver_is_valid(&gn->drv);
	}
	for (size_t i = 0; ok && i < r->sc->nr_workloads; i++)
		if (r->wl[i])
			ok = xb__workload_is_valid(r->wl[i]);
	r->res->checks++;
	if (!ok)
		r->res->violations++;
}

/* ---- neighbours ------------------------------------------------------------
 */

static bool nb_alloc_gfn(struct neighbour *n, unsigned order, uint64_t *gfn)
{
	GArray *fl = n->free_gfns[order];

	if (fl->len) {
		*gfn = g_array_index(fl, uint64_t, fl->len - 1);
		g_array_set_size(fl, fl->len - 1);
		return true;
	}
	uint64_t g =
	    (n->next_gfn + (1ull << order) - 1) & ~((1ull << order) - 1);

	if (g + (1ull << order) > n->gfn_space)
		return false;
	*gfn = g;
	n->next_gfn = g + (1ull << order);
	return true;
}

/* Populate one extent for a neighbour; false when Xen says no. */
static bool nb_populate(struct run *r, struct neighbour *n, unsigned order)
{
	uint64_t gfn;

	if (!nb_alloc_gfn(n, order, &gfn))
		return false;
	int rc = xb_mock_domain_populate(r->mock, n->domid, gfn, order);

	if (r->tw)
		xb_trace_writer_host_populate(r->tw, n->domid, gfn, order, rc);
	if (rc != 0) {
		g_array_append_val(n->free_gfns[order], gfn);
		return false;
	}
	uint64_t rec = gfn << 8 | order;

	g_array_append_val(n->held, rec);
	return true;
}

static void nb_boot(struct run *r, struct neighbour *n)
{
	uint64_t left = n->spec->frames;

	/* The toolstack builds it in 2 MiB extents, 4 KiB when refused. */
	while (left >= XB_HUGE_PAGES && nb_populate(r, n, XB_HUGE_ORDER))
		left -= XB_HUGE_PAGES;
	while (left > 0 && nb_populate(r, n, 0))
		left--;
}

static unsigned pick_order(struct run *r, const struct xb_neighbour *spec)
{
	uint64_t x = xb_rng_below(&r->sim.rng, XB_PPM), acc = 0;

	for (unsigned o = 0; o < XB_MAX_ORDER; o++) {
		acc += spec->order_share_ppm[o];
		if (x < acc)
			return o;
	}
	return 0;
}

static void ev_churn(struct xb_sim *s, void *arg, uint64_t data)
{
	struct run *r = arg;
	struct neighbour *n = &r->nb[data];
	uint64_t freed = 0, got = 0;

	/* Free random extents worth `pages`, then take as much again in the
	 * configured mix of orders: the host's free memory gets chopped. */
	while (freed < n->spec->churn_pages && n->held->len) {
		guint k = (guint)xb_rng_below(&s->rng, n->held->len);
		uint64_t rec = g_array_index(n->held, uint64_t, k);
		uint64_t gfn = rec >> 8;
		unsigned order = rec & 0xff;

		g_array_index(n->held, uint64_t, k) =
		    g_array_index(n->held, uint64_t, n->held->len - 1);
		g_array_set_size(n->held, n->held->len - 1);
		long nfreed =
		    xb_mock_domain_free(r->mock, n->domid, gfn, order);

		if (r->tw)
			xb_trace_writer_host_free(r->tw, n->domid, gfn, order,
						  nfreed);
		g_array_append_val(n->free_gfns[order], gfn);
		freed += 1ull << order;
	}
	while (got < freed) {
		unsigned order = pick_order(r, n->spec);

		if (!nb_populate(r, n, order) && !nb_populate(r, n, 0))
			break;
		got += 1ull << order;
	}
	trace_event(r, 1, data, freed);
	xb_sim_after(s, n->spec->churn_every, ev_churn, r, data);
}

/* ---- timers ---------------------------------------------------------------
 */

/* ---- the target, split over the vnodes ----------------------------------- */

/*
 * Split `total` over n parts in proportion to w[] (largest remainder, ties
 * to the lower index). Needs total <= the sum of w[] unless every weight is
 * 0 (then nothing to split: total must be 0); each part then gets at most
 * its weight.
 */
static void proportional(uint64_t total, const uint64_t *w, unsigned n,
			 uint64_t *out)
{
	uint64_t sum = 0, given = 0, rem[XB_MAX_NODES];

	for (unsigned v = 0; v < n; v++)
		sum += w[v];
	xb_assert(total <= sum);
	for (unsigned v = 0; v < n; v++) {
		/* Frames stay below 2^32 and so do weights: no overflow. */
		out[v] = sum ? total * w[v] / sum : 0;
		rem[v] = sum ? total * w[v] % sum : 0;
		given += out[v];
	}
	while (given < total) {
		unsigned best = 0;

		for (unsigned v = 1; v < n; v++)
			if (rem[v] > rem[best])
				best = v;
		out[best]++;
		rem[best] = 0;
		given++;
	}
}

/* Take `total` (at most the sum of w[]) from the parts in order, each up
 * to w[v]. */
static void greedy(uint64_t total, const uint64_t *w, unsigned n, uint64_t *out)
{
	for (unsigned v = 0; v < n; v++) {
		out[v] = w[v] < total ? w[v] : total;
		total -= out[v];
	}
	xb_assert(total == 0);
}

enum split_mode { SPLIT_PROPORTIONAL, SPLIT_IN_ORDER };

/*
 * Share `total` out over n parts, part v taking at most cap[v]: first by
 * the weights w[] (each part up to min(w[v], cap[v])), then what the
 * weights cannot place by the room each part has left, in the same mode.
 * What no part has room for goes to part 0. Returns that excess.
 */
static uint64_t split_capped(uint64_t total, const uint64_t *w,
			     const uint64_t *cap, unsigned n,
			     enum split_mode mode, uint64_t *out)
{
	uint64_t lim[XB_MAX_NODES] = {0}, part[XB_MAX_NODES] = {0}, sum = 0;
	uint64_t excess = 0;

	for (unsigned pass = 0; pass < 2; pass++) {
		uint64_t t;

		sum = 0;
		for (unsigned v = 0; v < n; v++) {
			uint64_t room = cap[v] - (pass ? out[v] : 0);

			lim[v] = pass || w[v] > room ? room : w[v];
			sum += lim[v];
		}
		t = total < sum ? total : sum;
		if (mode == SPLIT_PROPORTIONAL)
			proportional(t, lim, n, part);
		else
			greedy(t, lim, n, part);
		for (unsigned v = 0; v < n; v++)
			out[v] = (pass ? out[v] : 0) + part[v];
		total -= t;
	}
	excess = total;
	out[0] += excess;
	return excess;
}

/*
 * Each vnode's target for the guest's `target` (enum xb_numa_split, the
 * driver's numa_split knob). SIZE: the target in proportion to the vnodes'
 * sizes. FREE and LOCAL share out the guest's balloon (maxmem - target)
 * by what each vnode can hold ballooned: what it holds now (its frames
 * not populated) plus what it could give (xb_drv_mem_available()). A
 * driver's own progress moves pages from the second term to the first,
 * so the shares do not drift as the drivers work; they follow the
 * workloads, and are computed again at every balloon run. FREE: in
 * proportion; LOCAL: from vnode 0 up, so that an increase gives back the
 * last vnodes' first. Where the vnodes cannot hold the balloon by that
 * measure, the rest goes by the room each has left (no vnode ever has a
 * share above its size): the targets always add up to the guest's. One
 * node: the target itself.
 */
static void split_target(struct run *r, uint64_t target, uint64_t *out)
{
	unsigned n = r->nr_nodes;
	enum xb_numa_split rule = r->node[0].drv.knobs.numa_split;
	uint64_t size = 0, w[XB_MAX_NODES], cap[XB_MAX_NODES],
		 share[XB_MAX_NODES], excess;

	if (n == 1) {
		out[0] = target;
		return;
	}
	for (unsigned v = 0; v < n; v++) {
		const struct xb_driver *d = &r->node[v].drv;
		uint64_t frames = r->node[v].zone->nr_frames;
		uint64_t avail = xb_drv_mem_available(d);

		xb_assert(d->current_pages <= frames);
		cap[v] = frames;
		w[v] = frames - d->current_pages +
		       (avail < d->current_pages ? avail : d->current_pages);
		size += frames;
	}
	xb_assert(target <= size);
	if (rule == XB_NUMA_SPLIT_SIZE) {
		/* No vnode above its size, as target <= maxmem. */
		proportional(target, cap, n, out);
		return;
	}
	excess = split_capped(size - target, w, cap, n,
			      rule == XB_NUMA_SPLIT_FREE ? SPLIT_PROPORTIONAL
							 : SPLIT_IN_ORDER,
			      share);
	xb_assert(excess == 0);
	for (unsigned v = 0; v < n; v++)
		out[v] = cap[v] - share[v];
}

/* ---- timers ---------------------------------------------------------------
 */

/* A new guest target: every vnode's driver gets its share and restarts
 * its back-off (balloon_set_new_target() on each). */
static void set_targets(struct run *r)
{
	uint64_t t[XB_MAX_NODES];

	split_target(r, r->target, t);
	for (unsigned v = 0; v < r->nr_nodes; v++)
		xb_driver_set_target(&r->node[v].drv, t[v]);
}

static void ev_balloon(struct xb_sim *s, void *arg, uint64_t gen);

/* schedule_delayed_work(&balloon_worker, 0) of one vnode's driver. */
static void kick_node(struct gnode *gn)
{
	gn->balloon_gen++;
	gn->balloon_armed = true;
	xb_sim_after(&gn->r->sim, 0, ev_balloon, gn, gn->balloon_gen);
}

static void kick_balloon(struct run *r)
{
	for (unsigned v = 0; v < r->nr_nodes; v++)
		kick_node(&r->node[v]);
}

/*
 * FREE and LOCAL: the shares again, from where the vnodes are now, the
 * guest's target unchanged. A driver idle at its old share runs now for
 * its new one; one backing off keeps its timer and its back-off; one
 * that gave up (ECANCELED) waits for a new guest target, as
 * balloon_process() does.
 */
static void move_shares(struct run *r, const struct gnode *self)
{
	uint64_t t[XB_MAX_NODES];

	split_target(r, r->target, t);
	for (unsigned v = 0; v < r->nr_nodes; v++) {
		struct gnode *gn = &r->node[v];

		if (gn->drv.target_pages == t[v])
			continue;
		xb_driver_move_target(&gn->drv, t[v]);
		if (gn != self && !gn->balloon_armed &&
		    gn->drv.state != XB_BP_ECANCELED)
			kick_node(gn);
	}
}

/* balloon_process() of one vnode's driver, rescheduled by its own
 * back-off (each vnode's driver has a worker of its own). */
static void ev_balloon(struct xb_sim *s, void *arg, uint64_t gen)
{
	struct gnode *gn = arg;
	struct run *r = gn->r;
	struct xb_driver *d = &gn->drv;
	uint64_t delay;

	if (gen != gn->balloon_gen)
		return; /* superseded by a newer target */
	gn->balloon_armed = false;
	if (r->nr_nodes > 1 && d->knobs.numa_split != XB_NUMA_SPLIT_SIZE)
		move_shares(r, gn);
	delay = xb_driver_process(d);
	trace_event(r, 2, d->current_pages, d->state);
	if (delay) {
		gn->balloon_armed = true;
		xb_sim_after(s, delay * XB_NS_PER_S, ev_balloon, gn, gen);
	}
}

static void ev_worker(struct xb_sim *s, void *arg, uint64_t data)
{
	struct run *r = arg;

	for (unsigned v = 0; v < r->nr_nodes; v++) {
		struct xb_driver *d = &r->node[v].drv;

		xb_driver_worker(d);
		trace_event(r, 3, d->huge.nr, d->small.nr_pages);
	}
	xb_sim_after(s, r->node[0].drv.knobs.exchange_interval, ev_worker, r,
		     0);
}

/* kcompactd's timeout branch: proactive compaction. */
static void ev_kcompactd(struct xb_sim *s, void *arg, uint64_t gen)
{
	struct gnode *gn = arg;

	if (gen != gn->kcompactd_gen)
		return; /* a wake-up restarted the timeout */
	xb_compact_proactive(&gn->comp);
	kcompactd_rearm(gn);
}

static void ev_tick(struct xb_sim *s, void *arg, uint64_t data)
{
	struct run *r = arg;

	/* The deliberate failure of --fail-after-events: the fatal hooks
	 * (a scratch domain's destruction) must run on this path too. */
	if (r->opt->fail_after_events &&
	    s->events_run >= r->opt->fail_after_events)
		xb__assert_fail("events_run < --fail-after-events", __FILE__,
				__LINE__, __func__);
	for (size_t i = 0; i < r->sc->nr_workloads; i++)
		if (r->wl[i])
			xb_workload_tick(r->wl[i], s->now, WORKLOAD_TICK,
					 &s->rng);
	xb_sim_after(s, WORKLOAD_TICK, ev_tick, r, 0);
}

/* Each vnode's populated frames and the share on its own pnode, into
 * out[0..nr_vnodes) (the mock knows the node of every frame; other
 * backends leave them unknown, -1). O(guest frames). */
static void vnode_shares(struct run *r, struct xb_run_vnode *out)
{
	const struct xb_guest *g = &r->sc->guest;
	uint64_t gfn = 0;

	for (unsigned v = 0; v < g->nr_vnodes; v++) {
		struct xb_run_vnode *rv = &out[v];
		uint64_t pages[XB_MAX_NODES], pop = 0;

		rv->pnode = g->vnodes[v].pnode;
		rv->pages = g->vnodes[v].frames;
		rv->populated = rv->local = -1;
		rv->locality = -1;
		if (r->mock && xb_mock_gfn_nodes(r->mock, XB_MOCK_GUEST_DOMID,
						 gfn, rv->pages, pages) == 0) {
			for (unsigned n = 0; n < XB_MAX_NODES; n++)
				pop += pages[n];
			rv->populated = (int64_t)pop;
			rv->local = (int64_t)pages[rv->pnode];
			rv->locality =
			    pop ? (double)pages[rv->pnode] / (double)pop : 0;
		}
		gfn += rv->pages;
	}
}

/* The guest's metrics: its one zone's, or its vnodes' added up (per
 * vnode into per[] when not NULL); `walk` adds the region walk. */
static void guest_metrics(struct run *r, bool walk, struct xb_guest_metrics *g,
			  struct xb_guest_metrics *per)
{
	struct xb_guest_metrics one;

	if (r->nr_nodes == 1) {
		if (walk)
			xb_metrics_guest(&r->node[0].drv, g);
		else
			xb_metrics_guest_counters(&r->node[0].drv, g);
		if (per)
			per[0] = *g;
		return;
	}
	memset(g, 0, sizeof(*g));
	for (unsigned v = 0; v < r->nr_nodes; v++) {
		struct xb_guest_metrics *m = per ? &per[v] : &one;

		if (walk)
			xb_metrics_guest(&r->node[v].drv, m);
		else
			xb_metrics_guest_counters(&r->node[v].drv, m);
		xb_metrics_guest_add(g, m);
	}
}

/* The drivers' targets and current pages, summed over the vnodes. */
static uint64_t drivers_target(const struct run *r)
{
	uint64_t t = 0;

	for (unsigned v = 0; v < r->nr_nodes; v++)
		t += r->node[v].drv.target_pages;
	return t;
}

static uint64_t drivers_current(const struct run *r)
{
	uint64_t c = 0;

	for (unsigned v = 0; v < r->nr_nodes; v++)
		c += r->node[v].drv.current_pages;
	return c;
}

static void sample(struct run *r)
{
	struct xb_guest_metrics g;
	struct xb_host_info h = {.p2m_superpage_coverage = -1,
				 .contiguity_2m = -1};
	struct xb_run_sample row;

	guest_metrics(r, false, &g, NULL);
	xb_host_info(r->be, &h);
	row = (struct xb_run_sample){
	    .t_s = (double)r->sim.now / (double)XB_NS_PER_S,
	    .populated = g.populated,
	    .target = drivers_target(r),
	    .balloon_huge = g.balloon_huge,
	    .balloon_small = g.balloon_small,
	    .balloon_special = g.balloon_special,
	    .free = g.free,
	    .fu9 = g.fu9,
	    .frag_index9 = g.frag_index9,
	    .p2m_superpage_coverage = h.p2m_superpage_coverage,
	    .contiguity_2m = h.contiguity_2m,
	    .host_free_2m = h.free_2m_blocks,
	};
	/* A vNUMA guest's locality over time (series.csv's locality_vN);
	 * a walk of the guest's gfns, so only those runs pay it. Derived
	 * from the backend's state, which the digest already covers. */
	if (r->sc->guest.nr_vnodes) {
		struct xb_run_vnode vn[XB_MAX_NODES];

		vnode_shares(r, vn);
		for (unsigned v = 0; v < r->sc->guest.nr_vnodes; v++)
			row.locality[v] = vn[v].locality;
	}
	g_array_append_val(r->res->series, row);
	uint64_t w[] = {r->sim.now,	 0x2000,	  g.populated,
			g.balloon_huge,	 g.balloon_small, g.free,
			h.free_2m_blocks};

	trace_words(r, w, G_N_ELEMENTS(w));
	/* Where the memory is, node by node: only NUMA runs hash it, so
	 * the digests of the others stay as they were. */
	for (unsigned n = 0; r->res->numa && n < h.nr_nodes; n++) {
		uint64_t nw[] = {h.nodes[n].free_pages,
				 (uint64_t)h.nodes[n].guest_pages};

		trace_words(r, nw, G_N_ELEMENTS(nw));
	}
}

static void vnode_locality(struct run *r)
{
	r->res->nr_vnodes = r->sc->guest.nr_vnodes;
	vnode_shares(r, r->res->vnodes);
}

/* Maps only read the zone: they feed neither the digest nor the events. */
static void take_map(struct run *r)
{
	struct xb_run_map m = {
	    .t_s = (double)r->sim.now / (double)XB_NS_PER_S,
	    .regions = g_malloc(r->res->nr_regions),
	};

	for (unsigned v = 0; v < r->nr_nodes; v++)
		xb_metrics_region_map(&r->node[v].drv,
				      m.regions + r->node[v].zone->start_pfn /
						      XB_HPAGE_PAGES);
	g_array_append_val(r->res->maps, m);
	while (r->next_map <= r->sim.now)
		r->next_map += r->opt->map_every;
}

static void progress(struct run *r)
{
	uint64_t now = wall_ns();

	if (!r->opt->progress || now - r->wall_start_ns < XB_NS_PER_S ||
	    now - r->last_progress_ns < XB_NS_PER_S / 4)
		return;
	r->last_progress_ns = now;
	/* The ETA assumes the rest goes as fast as the run so far. */
	double wall = (double)(now - r->wall_start_ns) / 1e9;
	double done =
	    r->duration ? (double)r->sim.now / (double)r->duration : 1;
	double eta = done > 0 ? wall * (1 - done) / done : 0;

	fprintf(stderr,
		"\rxballoon: %s: %.0fs of %.0fs simulated, about %.0fs "
		"to go ",
		r->sc->name, (double)r->sim.now / 1e9,
		(double)r->duration / 1e9, eta);
}

/* The counters' sums at a sample that takes no whole check: O(states +
 * lists + nodes), no walk; false + g_warning on violation. */
static bool summaries_ok(struct run *r)
{
	for (unsigned v = 0; v < r->nr_nodes; v++) {
		const struct xb_driver *d = &r->node[v].drv;
		const struct xb_zone *z = r->node[v].zone;

		if (!xb__driver_books_ok(d)) {
			g_warning("driver %u: books disagree at %.3f s: "
				  "balloon_low %lu, queues %lu + %lu + %lu "
				  "isolated, current %lu, zone managed %lu",
				  v, (double)r->sim.now / 1e9,
				  (unsigned long)d->balloon_low,
				  (unsigned long)(d->huge.nr * XB_HUGE_PAGES),
				  (unsigned long)d->small.nr_pages,
				  (unsigned long)d->small.isolated_pages,
				  (unsigned long)d->current_pages,
				  (unsigned long)z->managed);
			return false;
		}
		if (!xb__zone_summaries_ok(z))
			return false;
	}
	if (!domain_pages_ok(r))
		return false;
	return !r->mock || xb__mock_summaries_ok(r->mock);
}

static void ev_sample(struct xb_sim *s, void *arg, uint64_t data)
{
	struct run *r = arg;

	sample(r);
	if (r->res->maps && s->now >= r->next_map)
		take_map(r);
	/* The check level: every sample, every check_every-th, or none
	 * (the end's check is always made). The counters that add up over
	 * every state and list, and the driver's books, are checked at
	 * every sample whatever the level: O(states + lists), not a walk
	 * (each counter is also checked against its mirror as it changes,
	 * xb__zone_check()). */
	if (r->check_every && r->samples_taken % r->check_every == 0)
		run_checks(r);
	else if (!summaries_ok(r))
		r->res->violations++;
	r->samples_taken++;
	progress(r);
	if (s->now + r->sc->sample <= r->duration)
		xb_sim_after(s, r->sc->sample, ev_sample, r, 0);
}

static void ev_fault_end(struct xb_sim *s, void *arg, uint64_t op)
{
	struct run *r = arg;

	xb_mock_fail_probability(r->mock, (enum xb_mock_op)op, 0);
	xb_mock_fail_call(r->mock, (enum xb_mock_op)op, 0);
	xb_mock_fail_at(r->mock, (enum xb_mock_op)op, XB_MOCK_NEVER);
	if (r->tw)
		xb_trace_writer_fault(r->tw, (enum xb_mock_op)op,
				      XB_TRACE_FAULT_OFF, 0);
	trace_event(r, 4, op, 0);
}

static void ev_timeline(struct xb_sim *s, void *arg, uint64_t idx)
{
	struct run *r = arg;
	const struct xb_event *ev = &r->sc->events[idx];

	trace_event(r, 0x100 + ev->type, idx, 0);
	switch (ev->type) {
	case XB_EV_WORKLOAD: {
		const struct xb_scn_workload *sw =
		    &r->sc->workloads[ev->workload];
		struct xb_workload_spec spec = {
		    .name = sw->name,
		    .kind = sw->kind,
		    .size = sw->frames,
		    .ramp = sw->ramp,
		    .churn = (double)sw->churn_ppm_s / XB_PPM,
		    .lifetime =
			sw->lifetime == XB_NS_FOREVER ? 0 : sw->lifetime,
		    .free = (double)sw->free_ppm / XB_PPM,
		    .thp = r->sc->guest.thp,
		    .defrag = r->sc->guest.thp_defrag,
		};

		/* Unbound: the task runs on the guest's one modeled CPU, on
		 * node 0, and its pages prefer that node (MPOL_LOCAL);
		 * bound: MPOL_BIND to its node. A one-node guest's workload
		 * allocates from its one zone straight (the same pages,
		 * without the zonelist's per-page cost; nothing reports the
		 * one node's numa_* counters). */
		r->wl[ev->workload] =
		    r->nr_nodes == 1
			? xb_workload_start(r->node[0].zone, &spec, s->now)
			: xb_workload_start_nodes(
			      r->nodes, sw->node < 0 ? 0 : (unsigned)sw->node,
			      sw->node < 0 ? 0 : 1ull << sw->node, &spec,
			      s->now);
		/* Its first step now, not a tick later. */
		if (r->wl[ev->workload])
			xb_workload_tick(r->wl[ev->workload], s->now, 0,
					 &s->rng);
		break;
	}
	case XB_EV_STOP:
		if (r->wl[ev->workload])
			xb_workload_stop(r->wl[ev->workload]);
		break;
	case XB_EV_TARGET:
		r->target = ev->size.frames;
		set_targets(r);
		kick_balloon(r);
		break;
	case XB_EV_FOREIGN_MAP:
		/* alloc_xenballooned_pages() from the CPU's node, 0. */
		if (xb_driver_alloc_special(&r->node[0].drv, ev->size.frames) <
		    0)
			r->res->foreign_map_failed++;
		break;
	case XB_EV_COMPACT:
		/* /proc/sys/vm/compact_memory: every node (compact_nodes()). */
		for (unsigned v = 0; v < r->nr_nodes; v++) {
			struct gnode *gn = &r->node[v];
			struct xb_compact_control cc = {
			    .zone = gn->zone,
			    .c = &gn->comp,
			    .order = ev->compact_order,
			    .migratetype = XB_MT_MOVABLE,
			    .mode = XB_MIGRATE_SYNC,
			    .whole_zone = true,
			    .ignore_skip_hint = true,
			};

			if (ev->compact_order == XB_COMPACT_FULL)
				xb_compact_zone_full(&gn->comp);
			else
				xb_compact_zone(&cc);
		}
		break;
	case XB_EV_FAULT: {
		enum xb_mock_op op = (enum xb_mock_op)ev->fault.op;

		if (!r->mock)
			break;
		if (ev->fault.call)
			xb_mock_fail_call(r->mock, op, ev->fault.call);
		else if (ev->fault.rate_ppm)
			xb_mock_fail_probability(
			    r->mock, op, (double)ev->fault.rate_ppm / XB_PPM);
		else
			xb_mock_fail_at(r->mock, op, ev->fault.at_extent);
		if (r->tw && ev->fault.call)
			xb_trace_writer_fault(r->tw, op, XB_TRACE_FAULT_CALL,
					      ev->fault.call);
		else if (r->tw && ev->fault.rate_ppm)
			xb_trace_writer_fault(r->tw, op, XB_TRACE_FAULT_RATE,
					      ev->fault.rate_ppm);
		else if (r->tw)
			xb_trace_writer_fault(r->tw, op, XB_TRACE_FAULT_AT,
					      ev->fault.at_extent);
		if (ev->fault.duration != XB_NS_FOREVER)
			xb_sim_after(s, ev->fault.duration, ev_fault_end, r,
				     op);
		break;
	}
	case XB_EV_NR_TYPES:
		break;
	}
}

/* ---- setup ------------------------------------------------------------------
 */

static bool check_memory(const struct xb_scenario *sc, GError **error)
{
	uint64_t need = xb_scenario_metadata_bytes(sc);
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t have = pages > 0 && psize > 0
			    ? (uint64_t)pages * (uint64_t)psize
			    : UINT64_MAX;

	if (need <= have / 10 * 9)
		return true;
	/* The error points at the larger of the two memories that make the
	 * need: 16 bytes a host frame, or 20 a guest frame (frame and P2M). */
	bool host = sc->host.frames * 16 >= sc->guest.max_frames * 20;

	xb_scenario_set_error(
	    sc, host ? sc->host.memory_pos : sc->guest.maxmem_pos, error,
	    "%s: the model needs %.1f GiB of metadata; this machine has "
	    "%.1f GiB",
	    host ? "host.memory" : "guest.maxmem", (double)need / (1 << 30),
	    (double)have / (1 << 30));
	return false;
}

/* --knobs KEY=VALUE[,...]: over the scenario's driver keys. */
static bool set_option_knobs(const char *list, struct xb_policy_knobs *k,
			     GError **error)
{
	g_auto(GStrv) items = list ? g_strsplit(list, ",", -1) : NULL;

	for (char **it = items; it && *it; it++) {
		char *eq = strchr(*it, '=');
		const char *why = "must be KEY=VALUE";

		if (eq) {
			*eq = '\0';
			if (xb_policy_set_knob(k, *it, eq + 1, &why) == 0)
				continue;
			*eq = '=';
		}
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID, "--knobs %s: %s",
			    *it, why);
		return false;
	}
	return true;
}

static bool set_knobs(const struct xb_scenario *sc, const char *knobs,
		      const struct xb_policy_ops *p, struct xb_policy_knobs *k,
		      GError **error)
{
	*k = p->defaults;
	for (size_t i = 0; i < sc->driver.nr_knobs; i++) {
		const struct xb_knob *kn = &sc->driver.knobs[i];
		const char *why = NULL;

		if (xb_policy_set_knob(k, kn->key, kn->value, &why) < 0) {
			xb_scenario_set_error(sc, kn->pos, error,
					      "driver.%s: %s", kn->key, why);
			return false;
		}
	}
	return set_option_knobs(knobs, k, error);
}

/* A real domain is driven from empty: the run boots it as the domain
 * builder would, and memory someone else populated is not the model's. */
static bool real_domain_is_empty(struct run *r, GError **error)
{
	uint64_t tot, max;
	struct xb_guest_info gi;
	int rc = xb_reservation(r->be, &tot, &max);

	if (rc < 0) {
		g_set_error(error, XB_ERROR, XB_ERROR_BACKEND,
			    "cannot read the domain's reservation: %s",
			    g_strerror(-rc));
		return false;
	}
	xb_guest_info(r->be, &gi);
	if (tot) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "domain %u already has %llu pages: xballoon "
			    "drives empty domains, which it boots itself",
			    gi.domid, (unsigned long long)tot);
		return false;
	}
	if (max < r->sc->guest.frames) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "domain %u may have %llu pages, the guest boots "
			    "with %llu",
			    gi.domid, (unsigned long long)max,
			    (unsigned long long)r->sc->guest.frames);
		return false;
	}
	return true;
}

/*
 * The zones the guest's kernel would have at or below ZONE_NORMAL, which
 * set_recommended_min_free_kbytes() counts: ZONE_DMA (the first 16 MiB),
 * ZONE_DMA32 (up to 4 GiB) and ZONE_NORMAL when boot memory reaches above
 * 4 GiB. An HVM or PVH guest's memory below 4 GiB ends at hvmloader's MMIO
 * hole (0xF0000000); the rest is placed above 4 GiB. A PV guest's
 * pseudo-physical memory has no hole.
 */
static unsigned guest_zones(const struct xb_guest *g)
{
	uint64_t lowmem_end =
	    g->type == XB_GUEST_PV ? 4ull << 30 : 0xF0000000ull;
	uint64_t start = 0;
	unsigned zones = 0;

	if (!g->nr_vnodes)
		return 1 + (g->memory > (16ull << 20)) +
		       (g->memory > lowmem_end);
	/* vNUMA: each node has the zone types its part of boot memory
	 * reaches (memory in vnode order, the low part below the hole). */
	for (unsigned v = 0; v < g->nr_vnodes; v++) {
		uint64_t end = start + g->vnodes[v].memory;

		if (end > g->memory)
			end = g->memory;
		if (start < end)
			zones += (start < (16ull << 20)) +
				 (start < lowmem_end && end > (16ull << 20)) +
				 (end > lowmem_end);
		start += g->vnodes[v].memory;
	}
	return zones;
}

/* The guest kernel's memory-management settings (before boot): the
 * sysctls are the guest's, the same in every zone. */
static void set_guest_mm(struct xb_zone *z, const struct xb_guest *g)
{
	z->thp_enabled = g->thp != XB_THP_NEVER;
	z->thp_zones = guest_zones(g);
	z->user_min_free_kbytes = g->min_free_kbytes;
	z->watermark_scale_factor = g->watermark_scale_factor;
	z->watermark_boost_factor = g->watermark_boost_factor;
}

/*
 * The kernel's own memory, held from boot (xb_zone_reserve()): up to the
 * image's size at CONFIG_PHYSICAL_START (in whichever nodes that range
 * falls), the rest (memmap and
 * other top-down memblock allocations) at the end of boot memory; on a
 * vNUMA guest each node's share of that rest, in proportion to its boot
 * memory, at the end of its own boot memory (sparse_init() puts a node's
 * memmap on the node). Then the watermarks are computed over what is
 * left, as Linux computes them over managed pages.
 */
static void reserve_kernel(struct run *r)
{
	const struct xb_guest *g = &r->sc->guest;
	uint64_t n = g->kernel_reserved, excess;
	uint64_t image =
	    n < XB_KERNEL_IMAGE_FRAMES ? n : XB_KERNEL_IMAGE_FRAMES;
	uint64_t at = XB_KERNEL_IMAGE_PFN + image <= g->frames / 2
			  ? XB_KERNEL_IMAGE_PFN
			  : 0;
	uint32_t owner = xb_zone_register_owner(
	    r->node[0].zone, "kernel (memblock)", NULL, NULL);
	uint64_t boot[XB_MAX_NODES] = {0}, room[XB_MAX_NODES] = {0},
		 want[XB_MAX_NODES], rest[XB_MAX_NODES];

	for (unsigned v = 0; v < r->nr_nodes; v++) {
		struct xb_zone *z = r->node[v].zone;
		uint64_t end = g->frames < z->end_pfn ? g->frames : z->end_pfn;
		/* The image is one physical range: each zone holds its
		 * part of it (a small vnode 0 only the start). */
		uint64_t lo = at > z->start_pfn ? at : z->start_pfn;
		uint64_t hi = at + image < end ? at + image : end;

		boot[v] = end > z->start_pfn ? end - z->start_pfn : 0;
		room[v] = boot[v];
		if (lo < hi) {
			xb_zone_reserve(z, (xb_pfn_t)lo, hi - lo, owner);
			room[v] = end - hi;
		}
	}
	/* The rest by boot memory, at the top of each node's, never over
	 * the image; a node without room passes its share on. */
	proportional(n - image, boot, r->nr_nodes, want);
	excess = split_capped(n - image, want, room, r->nr_nodes,
			      SPLIT_PROPORTIONAL, rest);
	/* kernel_reserved is at most half of guest.memory (scenario.c). */
	xb_assert(excess == 0);
	for (unsigned v = 0; v < r->nr_nodes; v++) {
		struct xb_zone *z = r->node[v].zone;

		if (rest[v])
			xb_zone_reserve(
			    z, (xb_pfn_t)(z->start_pfn + boot[v] - rest[v]),
			    rest[v], owner);
	}
	xb_nodes_setup_watermarks(r->nodes);
}

/*
 * The guest's vNUMA, as libxl sets it up: XEN_DOMCTL_setvnumainfo, then
 * the vcpus' soft affinity on the pnodes' cpus (set_vnuma_affinity()),
 * which makes Xen's node affinity of the domain the union of its pnodes
 * (domain_update_node_affinity()). Every vnode's driver learns the
 * vnodes.
 */
static bool setup_vnuma(struct run *r, GError **error)
{
	const struct xb_guest *g = &r->sc->guest;
	struct xb_vnuma v = {.nr_vnodes = g->nr_vnodes};
	uint64_t affinity = 0;
	int rc;

	for (unsigned i = 0; i < g->nr_vnodes; i++) {
		v.vnode_to_pnode[i] = g->vnodes[i].pnode;
		v.vnode_pages[i] = g->vnodes[i].frames;
		affinity |= 1ull << g->vnodes[i].pnode;
	}
	rc = xb_set_vnuma(r->be, &v);
	if (r->tw)
		xb_trace_writer_vnuma(r->tw, &v, rc);
	if (rc == 0 && r->mock) {
		rc = xb_mock_set_node_affinity(r->mock, XB_MOCK_GUEST_DOMID,
					       affinity);
		if (r->tw)
			xb_trace_writer_affinity(r->tw, XB_MOCK_GUEST_DOMID,
						 affinity, rc);
	}
	for (unsigned n = 0; rc == 0 && n < r->nr_nodes; n++)
		rc = xb_driver_set_vnuma(&r->node[n].drv, v.nr_vnodes,
					 v.vnode_pages);
	if (rc < 0) {
		xb_scenario_set_error(r->sc, g->pos, error,
				      "cannot give the guest its vNUMA: %s",
				      g_strerror(-rc));
		return false;
	}
	return true;
}

/*
 * The guest's nodes: one per vnode (one in all without vNUMA), each with
 * its zone, compaction (kcompactd), reclaim (kswapd) and balloon driver.
 */
static bool setup_nodes(struct run *r, const struct xb_policy_ops *policy,
			const struct xb_policy_knobs *knobs, GError **error)
{
	const struct xb_guest *g = &r->sc->guest;
	uint64_t end[XB_MAX_NODES];
	int rc;

	r->nr_nodes = g->nr_vnodes ? g->nr_vnodes : 1;
	end[0] = g->max_frames;
	for (unsigned v = 0; v < g->nr_vnodes; v++)
		end[v] = (v ? end[v - 1] : 0) + g->vnodes[v].frames;
	r->nodes =
	    xb_nodes_create_pb(r->nr_nodes, end, NULL, g->pageblock_order);
	if (!r->nodes) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "cannot map the guest's memory (%lu frames)",
			    (unsigned long)g->max_frames);
		return false;
	}
	r->node = g_new0(struct gnode, r->nr_nodes);
	for (unsigned v = 0; v < r->nr_nodes; v++) {
		struct gnode *gn = &r->node[v];

		gn->r = r;
		gn->id = v;
		gn->zone = r->nodes->node[v].zone;
		xb_compactor_init(&gn->comp, gn->zone);
		gn->comp.proactiveness = (unsigned)knobs->proactiveness;
		gn->comp.kick = kick_kcompactd;
		gn->comp.kick_priv = gn;
		xb_vmscan_init(&gn->vmscan, gn->zone, &gn->comp, run_shrink,
			       kick_kswapd, gn);
		set_guest_mm(gn->zone, g);
		xb_zone_set_ops(gn->zone, &run_zone_ops, gn);
		rc = xb_driver_init(&gn->drv, gn->zone, r->be, policy, knobs);
		if (rc < 0) {
			g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
				    "cannot start the driver: %s",
				    g_strerror(-rc));
			return false;
		}
		gn->drv_ready = true;
		gn->drv.shares_domain = r->nr_nodes > 1;
		if (v > 0)
			xb_driver_share_p2m(&gn->drv, &r->node[0].drv);
	}
	return true;
}

static bool setup(struct run *r, GError **error)
{
	const struct xb_scenario *sc = r->sc;
	const char *pname = r->opt->policy ? r->opt->policy : sc->driver.policy;
	const struct xb_policy_ops *policy = xb_policy_find(pname);
	const char *bname = r->opt->backend ? r->opt->backend : "mock";
	const struct xb_backend_ops *bops = xb_backend_find(bname);
	struct xb_policy_knobs knobs;
	int rc;

	if (!policy) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "unknown policy '%s' (see 'xballoon policies')",
			    pname);
		return false;
	}
	if (!bops) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "unknown backend '%s' (see 'xballoon backends')",
			    bname);
		return false;
	}
	if (!set_knobs(sc, r->opt->knobs, policy, &knobs, error) ||
	    !check_memory(sc, error))
		return false;
	r->res->policy = g_strdup(policy->name);
	r->res->backend = g_strdup(bops->name);

	struct xb_backend_config cfg = {
	    .type = sc->guest.type,
	    .max_pages = sc->guest.max_frames,
	    .gfn_space = sc->guest.max_frames,
	    .memop_max_order = sc->guest.memop_max_order,
	    .host_pages = sc->host.frames,
	    .seed = r->res->seed,
	    .domid = r->opt->domid_set ? r->opt->domid : -1,
	    .domid_confirmed = r->opt->domid_confirmed,
	    .allow_running = r->opt->allow_running,
	    .nr_nodes = sc->host.nr_nodes,
	};

	for (unsigned n = 0; n < sc->host.nr_nodes; n++)
		cfg.node_pages[n] = sc->host.nodes[n].frames;
	r->be = xb_backend_open(bops, &cfg, error);
	if (!r->be)
		return false;
	r->be->trace = trace_backend;
	r->be->trace_priv = r;
	r->mock = xb_mock_from_backend(r->be);
	if (!r->mock && !real_domain_is_empty(r, error))
		return false;
	if (r->opt->trace) {
		struct xb_trace_header th = {
		    .type = cfg.type,
		    .max_pages = cfg.max_pages,
		    .gfn_space = cfg.gfn_space,
		    .memop_max_order = cfg.memop_max_order,
		    .host_pages = cfg.host_pages,
		    .seed = cfg.seed,
		    .scenario = sc->name,
		    .policy = policy->name,
		    .neighbours =
			r->mock ? (unsigned)sc->host.nr_neighbours : 0,
		    .nr_nodes = cfg.nr_nodes,
		};

		memcpy(th.node_pages, cfg.node_pages, sizeof(th.node_pages));
		r->tw = xb_trace_writer_open(r->opt->trace, &th, r->be, error);
		if (!r->tw)
			return false;
	}

	/* Neighbours first: they were running before the guest booted. On a
	 * real host the neighbours are whatever runs there. */
	r->nr_nb = r->mock ? sc->host.nr_neighbours : 0;
	r->nb = g_new0(struct neighbour, r->nr_nb);
	for (size_t i = 0; i < r->nr_nb; i++) {
		struct neighbour *n = &r->nb[i];

		n->spec = &sc->host.neighbours[i];
		n->gfn_space = 2 * n->spec->frames;
		rc = xb_mock_add_domain(r->mock, XB_GUEST_HVM, n->spec->frames,
					n->gfn_space);
		if (r->tw)
			xb_trace_writer_domain(r->tw, rc, XB_GUEST_HVM,
					       n->spec->frames, n->gfn_space);
		if (rc < 0) {
			xb_scenario_set_error(sc, n->spec->pos, error,
					      "neighbour %s: cannot create it "
					      "(%s)",
					      n->spec->name, g_strerror(-rc));
			return false;
		}
		n->domid = (unsigned)rc;
		/* A placed neighbour: libxl's NUMA placement narrows its
		 * node affinity (through vcpu soft affinity) to its node. */
		if (n->spec->pnode >= 0) {
			uint64_t mask = 1ull << n->spec->pnode;

			rc = xb_mock_set_node_affinity(r->mock, n->domid, mask);
			if (r->tw)
				xb_trace_writer_affinity(r->tw, n->domid, mask,
							 rc);
		}
		for (unsigned o = 0; o < XB_MAX_ORDER; o++)
			n->free_gfns[o] =
			    g_array_new(FALSE, FALSE, sizeof(uint64_t));
		n->held = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		nb_boot(r, n);
	}

	if (!setup_nodes(r, policy, &knobs, error))
		return false;
	if (sc->guest.nr_vnodes && !setup_vnuma(r, error))
		return false;
	if (r->opt->verify_content) {
		r->verify = g_new(struct xb_verifier, 1);
		/* Any vnode's driver: they share the P2M. */
		xb_verify_init(r->verify, &r->node[0].drv, is_workload_owner,
			       r);
		r->be->before = verify_before;
		r->be->before_priv = r->verify;
		r->res->content_verified = true;
	}
	/* The domain builder populates boot memory in pfn order: the
	 * vnodes' parts, one after the other. */
	rc = 0;
	for (unsigned v = 0; rc == 0 && v < r->nr_nodes; v++)
		rc = xb_driver_boot(&r->node[v].drv, sc->guest.frames,
				    sc->guest.boot_order);
	if (rc < 0) {
		xb_scenario_set_error(sc, sc->guest.pos, error,
				      "the host cannot populate the guest's "
				      "boot memory");
		return false;
	}
	reserve_kernel(r);
	/* The report counts the driver's hypercalls, not the domain
	 * builder's (the digest still covers both). */
	memset(&r->be->stats, 0, sizeof(r->be->stats));
	r->target = sc->guest.frames;
	r->wl = g_new0(struct xb_workload *, sc->nr_workloads);
	return true;
}

static void teardown(struct run *r)
{
	if (r->wl) {
		for (size_t i = 0; i < r->sc->nr_workloads; i++)
			xb_workload_destroy(r->wl[i]);
		g_free(r->wl);
	}
	if (r->verify)
		r->be->before = NULL;
	g_free(r->verify);
	for (unsigned v = 0; r->node && v < r->nr_nodes; v++)
		if (r->node[v].drv_ready)
			xb_driver_fini(&r->node[v].drv);
	g_free(r->node);
	xb_nodes_destroy(r->nodes);
	if (r->nb) {
		for (size_t i = 0; i < r->nr_nb; i++) {
			for (unsigned o = 0; o < XB_MAX_ORDER; o++)
				if (r->nb[i].free_gfns[o])
					g_array_free(r->nb[i].free_gfns[o],
						     TRUE);
			if (r->nb[i].held)
				g_array_free(r->nb[i].held, TRUE);
		}
		g_free(r->nb);
	}
	/* Still open here: the run failed, so its trace goes. */
	xb_trace_writer_abort(r->tw);
	xb_backend_close(r->be);
	xb_sim_fini(&r->sim);
	if (r->trace)
		g_checksum_free(r->trace);
}

/* The per-node counters, added up over the guest's nodes. */
static void add_stats(struct xb_run_result *res, const struct gnode *gn)
{
#define ADD(dst, src, name) (dst).name += (src).name;
#define ADD_DRV(name, doc)                                                     \
	ADD(res->driver.huge, gn->drv.stats.huge, name)                        \
	ADD(res->driver.small, gn->drv.stats.small, name)
#define ADD_COMP(name, doc)   ADD(res->compaction, gn->comp.stats, name)
#define ADD_VMSCAN(name, doc) ADD(res->vmscan, gn->vmscan.stats, name)
#define ADD_ZONE(name, doc)   ADD(res->zone, gn->zone->stats, name)
	XB_DRIVER_SIZE_STATS(ADD_DRV)
	XB_COMPACT_STATS(ADD_COMP)
	XB_VMSCAN_STATS(ADD_VMSCAN)
	XB_ZONE_STATS(ADD_ZONE)
	ADD(res->driver, gn->drv.stats, special_taken)
	ADD(res->driver, gn->drv.stats, special_returned)
	ADD(res->driver, gn->drv.stats, gave_up)
	ADD(res->driver, gn->drv.stats, process_runs)
#undef ADD_ZONE
#undef ADD_VMSCAN
#undef ADD_COMP
#undef ADD_DRV
#undef ADD
}

static void finish(struct run *r)
{
	struct xb_run_result *res = r->res;

	/* The last map shows the end of the run. */
	if (res->maps &&
	    (!res->maps->len ||
	     g_array_index(res->maps, struct xb_run_map, res->maps->len - 1)
		     .t_s < (double)r->sim.now / (double)XB_NS_PER_S))
		take_map(r);
	struct xb_guest_metrics per[XB_MAX_NODES];

	guest_metrics(r, true, &res->guest, per);
	res->host.p2m_superpage_coverage = -1;
	res->host.contiguity_2m = -1;
	xb_host_info(r->be, &res->host);
	vnode_locality(r);
	for (unsigned v = 0; v < res->nr_vnodes; v++)
		res->vnodes[v].guest = per[v];
	res->hypercalls = r->be->stats;
	for (unsigned v = 0; v < r->nr_nodes; v++)
		add_stats(res, &r->node[v]);
	for (size_t i = 0; i < r->sc->nr_workloads; i++)
		if (r->wl[i]) {
			res->thp_fault_alloc += r->wl[i]->stats.thp_alloc;
			res->thp_fault_fallback += r->wl[i]->stats.thp_fallback;
		}
	res->target_pages = r->target;
	res->current_pages = drivers_current(r);
	res->target_reached = res->current_pages == r->target;
	res->events_run = r->sim.events_run;
	if (r->verify) {
		res->content_checked = r->verify->checked;
		res->content_mismatches = r->verify->mismatches;
		res->violations += r->verify->mismatches;
	}
	res->sim_time_s = (double)r->duration / (double)XB_NS_PER_S;
	g_strlcpy(res->digest, g_checksum_get_string(r->trace),
		  sizeof(res->digest));
}

bool xb_run(const struct xb_scenario *sc, const struct xb_run_options *opt,
	    struct xb_run_result *res, GError **error)
{
	struct run r = {.sc = sc, .opt = opt, .res = res};
	bool ok;

	memset(res, 0, sizeof(*res));
	res->series = g_array_new(FALSE, FALSE, sizeof(struct xb_run_sample));
	res->scenario = g_strdup(sc->name);
	res->seed = opt->seed_set ? opt->seed : sc->seed;
	res->numa = sc->host.nr_nodes || sc->guest.nr_vnodes;
	r.wall_start_ns = wall_ns();
	r.check_every = opt->check == XB_CHECK_FULL ? 1
			: opt->check == XB_CHECK_SAMPLED
			    ? xb_scenario_check_every(sc)
			    : 0;
	res->check = opt->check;
	r.trace = g_checksum_new(G_CHECKSUM_SHA256);
	xb_sim_init(&r.sim, res->seed);
	r.duration = sc->duration;

	ok = setup(&r, error);
	if (ok && opt->map_every) {
		/* The nodes' maps side by side (a vnode is whole 2 MiB
		 * regions: take_map() puts each at its first region). */
		res->nr_regions = 0;
		for (unsigned v = 0; v < r.nr_nodes; v++)
			res->nr_regions +=
			    xb_metrics_nr_regions(r.node[v].zone);
		res->maps =
		    g_array_new(FALSE, FALSE, sizeof(struct xb_run_map));
	}
	if (ok) {
		for (size_t i = 0; i < sc->nr_events; i++)
			xb_sim_at(&r.sim, sc->events[i].at, ev_timeline, &r, i);
		xb_sim_at(&r.sim, 0, ev_tick, &r, 0);
		xb_sim_at(&r.sim, 0, ev_sample, &r, 0);
		for (unsigned v = 0; v < r.nr_nodes; v++)
			kcompactd_rearm(&r.node[v]);
		if (xb_driver_has_worker(&r.node[0].drv))
			xb_sim_at(&r.sim, r.node[0].drv.knobs.exchange_interval,
				  ev_worker, &r, 0);
		for (size_t i = 0; i < r.nr_nb; i++)
			if (r.nb[i].spec->has_churn)
				xb_sim_at(&r.sim, r.nb[i].spec->churn_every,
					  ev_churn, &r, i);
		r.sim.stop = opt->stop;
		xb_sim_run_until(&r.sim, r.duration);
		if (opt->stop && *opt->stop)
			res->partial = true;
	}
	if (ok) {
		run_checks(&r);
		finish(&r);
		if (res->partial) {
			/* A trace of a run cut short would not replay as
			 * one: none is written. */
			res->sim_time_s = (double)r.sim.now / XB_NS_PER_S;
			if (r.tw)
				xb_trace_writer_abort(r.tw);
			r.tw = NULL;
		}
		if (r.tw) {
			ok = xb_trace_writer_commit(r.tw, error);
			r.tw = NULL;
		}
		if (opt->progress && wall_ns() - r.wall_start_ns >= XB_NS_PER_S)
			fputc('\n', stderr);
	}
	teardown(&r);
	res->wall_time_s = (double)(wall_ns() - r.wall_start_ns) / 1e9;
	return ok;
}

void xb_run_result_clear(struct xb_run_result *res)
{
	g_free(res->scenario);
	g_free(res->policy);
	g_free(res->backend);
	if (res->series)
		g_array_free(res->series, TRUE);
	for (guint i = 0; res->maps && i < res->maps->len; i++)
		g_free(g_array_index(res->maps, struct xb_run_map, i).regions);
	if (res->maps)
		g_array_free(res->maps, TRUE);
	memset(res, 0, sizeof(*res));
}
