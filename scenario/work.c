/*
 * How much work a scenario file asks for, known before it runs: the
 * samples' whole-structure checks, the neighbours' and workloads' churn,
 * and the events. `check` prints the estimate; `run` refuses a file over
 * XB_WORK_LIMIT_S unless told --allow-long (docs/scenarios.md).
 */
#include <math.h>

#include "scenario/ytree.h"
#include "xballoon/backend.h"
#include "xballoon/scenario.h"

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* One source of work: its share, in CPU nanoseconds, and its key. */
static void consider(struct xb_work_estimate *w, double *worst, double ns,
		     const char *what, struct xb_scn_pos pos)
{
	w->cpu_s += ns / 1e9;
	if (ns > *worst) {
		*worst = ns;
		w->blame = what;
		w->pos = pos;
	}
}

void xb_scenario_estimate(const struct xb_scenario *s,
			  struct xb_work_estimate *w)
{
	const xb_ns_t d = s->duration;
	uint64_t samples = d / s->sample + 1;
	uint64_t frames = sat_add(s->guest.max_frames, s->host.frames);
	double worst = -1;

	*w = (struct xb_work_estimate){0};
	/* Each sample checks every structure whole (XB_DEBUG >= 1). */
	w->check_frames = sat_mul(samples, frames);
	w->events = sat_add(samples, s->nr_events);
	consider(w, &worst,
		 (double)w->check_frames * XB_WORK_NS_CHECK +
		     (double)samples * XB_WORK_NS_EVENT,
		 "sample", s->sample_pos);
	consider(w, &worst, (double)s->nr_events * XB_WORK_NS_EVENT, "timeline",
		 s->duration_pos);
	for (size_t i = 0; i < s->host.nr_neighbours; i++) {
		const struct xb_neighbour *nb = &s->host.neighbours[i];

		if (!nb->has_churn)
			continue;
		uint64_t ticks = d / nb->churn_every;
		uint64_t pages = sat_mul(ticks, nb->churn_pages);

		w->events = sat_add(w->events, ticks);
		w->page_ops = sat_add(w->page_ops, pages);
		consider(w, &worst,
			 (double)pages * XB_WORK_NS_PAGE +
			     (double)ticks * XB_WORK_NS_EVENT,
			 "churn.every", nb->churn_pos);
	}
	/* Workloads tick every 100 ms; churn frees and retakes its share of
	 * the workload's pages each second it lives. */
	if (s->nr_workloads)
		w->events = sat_add(w->events, d / (100 * XB_NS_PER_MS));
	for (size_t i = 0; i < s->nr_workloads; i++) {
		const struct xb_scn_workload *wl = &s->workloads[i];
		xb_ns_t at = s->events[wl->start_event].at;
		xb_ns_t live = d > at ? d - at : 0;

		if (live > wl->lifetime)
			live = wl->lifetime;
		double pages = (double)wl->frames * wl->churn_ppm_s / XB_PPM *
			       ((double)live / XB_NS_PER_S);

		w->page_ops = sat_add(
		    w->page_ops, (uint64_t)fmin(pages, (double)UINT64_MAX));
		consider(w, &worst, pages * XB_WORK_NS_PAGE, "workload churn",
			 wl->churn_pos);
	}
}

uint64_t xb_scenario_check_every(const struct xb_scenario *s)
{
	double frames = (double)s->guest.max_frames + (double)s->host.frames;
	double samples = (double)(s->duration / s->sample + 1);
	double check_ns = frames * XB_WORK_NS_CHECK;
	/* The simulation proper, without the churn the estimate counts:
	 * the cheapest policy's pace, so that a costlier run only lowers
	 * the checks' share. */
	double sim_ns = (double)s->guest.max_frames * XB_WORK_NS_SIM *
			((double)s->duration / XB_NS_PER_S);
	double n = ceil(check_ns / (XB_CHECK_WALK_SHARE *
				    (sim_ns > 1 ? sim_ns : 1) / samples));

	return n < 1 ? 1 : n > 1e18 ? (uint64_t)1e18 : (uint64_t)n;
}

bool xb_scenario_check_work(const struct xb_scenario *s, GError **error)
{
	struct xb_work_estimate w;

	xb_scenario_estimate(s, &w);
	if (w.cpu_s <= (double)XB_WORK_LIMIT_S)
		return true;
	xb__scn_error(error, XB_ERROR_INVALID, s->path, w.pos,
		      "this file asks for about %.0f CPU seconds of work, "
		      "mostly from its %s, more than the %llu s a run takes "
		      "without --allow-long (%llu frames checked, %llu pages "
		      "churned, %llu events)",
		      w.cpu_s, w.blame, XB_WORK_LIMIT_S,
		      (unsigned long long)w.check_frames,
		      (unsigned long long)w.page_ops,
		      (unsigned long long)w.events);
	return false;
}
