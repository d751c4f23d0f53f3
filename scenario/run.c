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
#include "xballoon/policy.h"
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

struct run {
	const struct xb_scenario *sc;
	const struct xb_run_options *opt;
	struct xb_run_result *res;
	struct xb_sim sim;
	struct xb_backend *be;
	struct xb_mock *mock;
	struct xb_zone *zone;
	struct xb_compactor comp;
	struct xb_vmscan vmscan; /* direct reclaim and kswapd             */
	bool in_kswapd;		 /* kswapd is running                     */
	bool kswapd_pending;	 /* ... and was asked to run again        */
	uint64_t kcompactd_gen;	 /* invalidates stale kcompactd timeouts */
	struct xb_driver drv;
	bool drv_ready;
	struct xb_workload **wl; /* by scenario workload index          */
	struct neighbour *nb;
	size_t nr_nb;		    /* neighbours run: the mock's only        */
	struct xb_verifier *verify; /* verify_content: NULL when off  */
	uint64_t balloon_gen;	    /* invalidates stale balloon timers    */
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

/* What reclaim drops: the oldest page cache (vmscan's shrink callback). */
static uint64_t run_shrink(void *priv, uint64_t nr)
{
	struct run *r = priv;
	uint64_t got = 0;

	for (size_t i = 0; i < r->sc->nr_workloads && got < nr; i++)
		if (r->wl[i])
			got += xb_workload_reclaim(r->wl[i], nr - got);
	return got;
}

static uint64_t run_reclaim(struct xb_zone *z, void *priv, unsigned order)
{
	struct run *r = priv;

	return xb_try_to_free_pages(&r->vmscan, order);
}

static uint64_t run_reclaimable(const struct xb_zone *z, void *priv)
{
	struct run *r = priv;
	uint64_t n = 0;

	for (size_t i = 0; r->wl && i < r->sc->nr_workloads; i++)
		if (r->wl[i] && r->wl[i]->spec.kind == XB_WL_PAGECACHE)
			n += r->wl[i]->held;
	return n;
}

static enum xb_compact_result run_compact(struct xb_zone *z, void *priv,
					  unsigned order, unsigned mt,
					  unsigned prio)
{
	struct run *r = priv;

	return xb_compact_direct(&r->comp, order, mt, prio);
}

static void run_wake_kswapd(struct xb_zone *z, void *priv, unsigned order,
			    unsigned flags)
{
	struct run *r = priv;

	xb_wakeup_kswapd(&r->vmscan, order, flags);
}

static const struct xb_zone_ops run_zone_ops = {
    .reclaim = run_reclaim,
    .compact = run_compact,
    .wake_kswapd = run_wake_kswapd,
    .reclaimable = run_reclaimable,
};

/*
 * kswapd and kcompactd are threads of their own in Linux. kswapd runs the
 * moment it is woken, inside the allocation that woke it, and takes no
 * simulated time: a kswapd that keeps up with any allocation rate, as on a
 * CPU of its own (docs/simulation.md measures what that changes). It only
 * frees page cache, which is safe at any point of an allocation.
 * kcompactd moves pages, which is not safe in the middle of an allocation
 * whose caller has not yet recorded its page: its work runs at the same
 * simulated time, after the event that woke it.
 */
static void kick_kswapd(void *priv)
{
	struct run *r = priv;

	r->kswapd_pending = true;
	if (r->in_kswapd)
		return; /* kswapd asked to balance again: the loop below */
	r->in_kswapd = true;
	while (r->kswapd_pending) {
		r->kswapd_pending = false;
		xb_kswapd_run(&r->vmscan);
		trace_event(r, 5, r->vmscan.stats.pgsteal_kswapd, 0);
	}
	r->in_kswapd = false;
}

static void ev_kcompactd(struct xb_sim *s, void *arg, uint64_t gen);

/* kcompactd's timeout restarts after every wake-up (kcompactd()). */
static void kcompactd_rearm(struct run *r)
{
	r->kcompactd_gen++;
	xb_sim_after(&r->sim, XB_KCOMPACTD_PERIOD_MS * XB_NS_PER_MS,
		     ev_kcompactd, r, r->kcompactd_gen);
}

static void ev_kcompactd_work(struct xb_sim *s, void *arg, uint64_t data)
{
	struct run *r = arg;

	xb_kcompactd_do_work(&r->comp);
	trace_event(r, 6, r->comp.stats.compact_daemon_wake, 0);
	kcompactd_rearm(r);
}

static void kick_kcompactd(void *priv)
{
	struct run *r = priv;

	xb_sim_after(&r->sim, 0, ev_kcompactd_work, r, 0);
}

/* ---- checkers ------------------------------------------------------------ */

static void run_checks(struct run *r)
{
	bool ok =
	    xb__zone_is_valid(r->zone) && xb__compactor_is_valid(&r->comp) &&
	    xb__vmscan_is_valid(&r->vmscan) && xb__driver_is_valid(&r->drv) &&
	    (!r->mock || xb__mock_is_valid(r->mock));

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

static void ev_balloon(struct xb_sim *s, void *arg, uint64_t gen)
{
	struct run *r = arg;

	if (gen != r->balloon_gen)
		return; /* superseded by a newer target */
	uint64_t delay = xb_driver_process(&r->drv);

	trace_event(r, 2, r->drv.current_pages, r->drv.state);
	if (delay)
		xb_sim_after(s, delay * XB_NS_PER_S, ev_balloon, r, gen);
}

static void ev_worker(struct xb_sim *s, void *arg, uint64_t data)
{
	struct run *r = arg;

	xb_driver_worker(&r->drv);
	trace_event(r, 3, r->drv.huge.nr, r->drv.small.nr_pages);
	xb_sim_after(s, r->drv.knobs.exchange_interval, ev_worker, r, 0);
}

/* kcompactd's timeout branch: proactive compaction. */
static void ev_kcompactd(struct xb_sim *s, void *arg, uint64_t gen)
{
	struct run *r = arg;

	if (gen != r->kcompactd_gen)
		return; /* a wake-up restarted the timeout */
	xb_compact_proactive(&r->comp);
	kcompactd_rearm(r);
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

static void sample(struct run *r)
{
	struct xb_guest_metrics g;
	struct xb_host_info h = {.p2m_superpage_coverage = -1,
				 .contiguity_2m = -1};
	struct xb_run_sample row;

	xb_metrics_guest_counters(&r->drv, &g);
	xb_host_info(r->be, &h);
	row = (struct xb_run_sample){
	    .t_s = (double)r->sim.now / (double)XB_NS_PER_S,
	    .populated = g.populated,
	    .target = r->drv.target_pages,
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

	xb_metrics_region_map(&r->drv, m.regions);
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
	if (!xb__driver_books_ok(&r->drv)) {
		g_warning("driver: books disagree at %.3f s: balloon_low %lu, "
			  "queues %lu + %lu + %lu isolated, current %lu, zone "
			  "managed %lu",
			  (double)r->sim.now / 1e9,
			  (unsigned long)r->drv.balloon_low,
			  (unsigned long)(r->drv.huge.nr * XB_HUGE_PAGES),
			  (unsigned long)r->drv.small.nr_pages,
			  (unsigned long)r->drv.small.isolated_pages,
			  (unsigned long)r->drv.current_pages,
			  (unsigned long)r->zone->managed);
		return false;
	}
	return xb__zone_summaries_ok(r->zone) &&
	       (!r->mock || xb__mock_summaries_ok(r->mock));
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

static void kick_balloon(struct run *r)
{
	r->balloon_gen++;
	xb_sim_after(&r->sim, 0, ev_balloon, r, r->balloon_gen);
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

		r->wl[ev->workload] = xb_workload_start(r->zone, &spec, s->now);
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
		xb_driver_set_target(&r->drv, ev->size.frames);
		kick_balloon(r);
		break;
	case XB_EV_FOREIGN_MAP:
		if (xb_driver_alloc_special(&r->drv, ev->size.frames) < 0)
			r->res->foreign_map_failed++;
		break;
	case XB_EV_COMPACT:
		if (ev->compact_order == XB_COMPACT_FULL) {
			xb_compact_zone_full(&r->comp);
		} else {
			struct xb_compact_control cc = {
			    .zone = r->zone,
			    .c = &r->comp,
			    .order = ev->compact_order,
			    .migratetype = XB_MT_MOVABLE,
			    .mode = XB_MIGRATE_SYNC,
			    .whole_zone = true,
			    .ignore_skip_hint = true,
			};

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

static bool set_knobs(const struct xb_scenario *sc,
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
	return true;
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

	return 1 + (g->memory > (16ull << 20)) + (g->memory > lowmem_end);
}

/* The guest kernel's memory-management settings (before boot). */
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
 * image's size at CONFIG_PHYSICAL_START, the rest (memmap and other
 * top-down memblock allocations) at the end of boot memory. Then the
 * watermarks are computed over what is left, as Linux computes them over
 * managed pages.
 */
static void reserve_kernel(struct run *r)
{
	const struct xb_guest *g = &r->sc->guest;
	uint64_t n = g->kernel_reserved;
	uint64_t image =
	    n < XB_KERNEL_IMAGE_FRAMES ? n : XB_KERNEL_IMAGE_FRAMES;
	uint64_t at = XB_KERNEL_IMAGE_PFN + image <= g->frames / 2
			  ? XB_KERNEL_IMAGE_PFN
			  : 0;
	uint32_t owner =
	    xb_zone_register_owner(r->zone, "kernel (memblock)", NULL, NULL);

	if (image)
		xb_zone_reserve(r->zone, (xb_pfn_t)at, image, owner);
	if (n > image)
		xb_zone_reserve(r->zone, (xb_pfn_t)(g->frames - (n - image)),
				n - image, owner);
	xb_zone_setup_watermarks(r->zone);
}

/*
 * The guest's vNUMA, as libxl sets it up: XEN_DOMCTL_setvnumainfo, then
 * the vcpus' soft affinity on the pnodes' cpus (set_vnuma_affinity()),
 * which makes Xen's node affinity of the domain the union of its pnodes
 * (domain_update_node_affinity()). The driver learns its vnodes.
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
	if (rc == 0)
		rc = xb_driver_set_vnuma(&r->drv, v.nr_vnodes, v.vnode_pages);
	if (rc < 0) {
		xb_scenario_set_error(r->sc, g->pos, error,
				      "cannot give the guest its vNUMA: %s",
				      g_strerror(-rc));
		return false;
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
	if (!set_knobs(sc, policy, &knobs, error) || !check_memory(sc, error))
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

	r->zone = xb_zone_create(sc->guest.max_frames);
	if (!r->zone) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "cannot map the guest zone (%lu frames)",
			    (unsigned long)sc->guest.max_frames);
		return false;
	}
	xb_compactor_init(&r->comp, r->zone);
	r->comp.proactiveness = (unsigned)knobs.proactiveness;
	r->comp.kick = kick_kcompactd;
	r->comp.kick_priv = r;
	xb_vmscan_init(&r->vmscan, r->zone, &r->comp, run_shrink, kick_kswapd,
		       r);
	set_guest_mm(r->zone, &sc->guest);
	xb_zone_set_ops(r->zone, &run_zone_ops, r);
	rc = xb_driver_init(&r->drv, r->zone, r->be, policy, &knobs);
	if (rc < 0) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "cannot start the driver: %s", g_strerror(-rc));
		return false;
	}
	r->drv_ready = true;
	if (sc->guest.nr_vnodes && !setup_vnuma(r, error))
		return false;
	if (r->opt->verify_content) {
		r->verify = g_new(struct xb_verifier, 1);
		xb_verify_init(r->verify, &r->drv, is_workload_owner, r);
		r->be->before = verify_before;
		r->be->before_priv = r->verify;
		r->res->content_verified = true;
	}
	rc = xb_driver_boot(&r->drv, sc->guest.frames, sc->guest.boot_order);
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
	if (r->drv_ready)
		xb_driver_fini(&r->drv);
	xb_zone_destroy(r->zone);
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

static void finish(struct run *r)
{
	struct xb_run_result *res = r->res;

	/* The last map shows the end of the run. */
	if (res->maps &&
	    (!res->maps->len ||
	     g_array_index(res->maps, struct xb_run_map, res->maps->len - 1)
		     .t_s < (double)r->sim.now / (double)XB_NS_PER_S))
		take_map(r);
	xb_metrics_guest(&r->drv, &res->guest);
	res->host.p2m_superpage_coverage = -1;
	res->host.contiguity_2m = -1;
	xb_host_info(r->be, &res->host);
	vnode_locality(r);
	res->hypercalls = r->be->stats;
	res->driver = r->drv.stats;
	res->compaction = r->comp.stats;
	res->vmscan = r->vmscan.stats;
	res->zone = r->zone->stats;
	for (size_t i = 0; i < r->sc->nr_workloads; i++)
		if (r->wl[i]) {
			res->thp_fault_alloc += r->wl[i]->stats.thp_alloc;
			res->thp_fault_fallback += r->wl[i]->stats.thp_fallback;
		}
	res->target_pages = r->target;
	res->current_pages = r->drv.current_pages;
	res->target_reached = r->drv.current_pages == r->target;
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
		res->nr_regions = xb_metrics_nr_regions(r.zone);
		res->maps =
		    g_array_new(FALSE, FALSE, sizeof(struct xb_run_map));
	}
	if (ok) {
		for (size_t i = 0; i < sc->nr_events; i++)
			xb_sim_at(&r.sim, sc->events[i].at, ev_timeline, &r, i);
		xb_sim_at(&r.sim, 0, ev_tick, &r, 0);
		xb_sim_at(&r.sim, 0, ev_sample, &r, 0);
		kcompactd_rearm(&r);
		if (xb_driver_has_worker(&r.drv))
			xb_sim_at(&r.sim, r.drv.knobs.exchange_interval,
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
