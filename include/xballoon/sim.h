/*
 * Simulated time: an event loop of timers ordered by (time, sequence), so
 * that equal times run in the order they were scheduled — deterministic on
 * every machine. No wall clock anywhere in the simulation.
 */
#ifndef XBALLOON_SIM_H
#define XBALLOON_SIM_H

#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "xballoon/rng.h"

#define XB_NS_PER_MS 1000000ull
#define XB_NS_PER_S  1000000000ull

struct xb_sim;

typedef void (*xb_sim_fn)(struct xb_sim *s, void *arg, uint64_t data);

struct xb_sim_event {
	uint64_t t;   /* ns of simulated time                     */
	uint64_t seq; /* scheduling order, breaks ties            */
	xb_sim_fn fn;
	void *arg;
	uint64_t data; /* the caller's (e.g. a generation number)  */
};

/* Invariant: heap is a binary min-heap on (t, seq); every t >= now. */
struct xb_sim {
	uint64_t now;
	uint64_t seq;
	GArray *heap;	   /* struct xb_sim_event */
	struct xb_rng rng; /* the run's one generator */
	uint64_t events_run;
	/* When set and non-zero, xb_sim_run_until() returns before the
	 * next event (a signal asked the run to end). */
	const volatile sig_atomic_t *stop;
};

void xb_sim_init(struct xb_sim *s, uint64_t seed);
void xb_sim_fini(struct xb_sim *s);
/* Schedule at absolute time t (clamped to now). */
void xb_sim_at(struct xb_sim *s, uint64_t t, xb_sim_fn fn, void *arg,
	       uint64_t data);
static inline void xb_sim_after(struct xb_sim *s, uint64_t dt, xb_sim_fn fn,
				void *arg, uint64_t data)
{
	xb_sim_at(s, s->now + dt, fn, arg, data);
}
/* Run every event with time <= until, in order; now ends at `until`. */
void xb_sim_run_until(struct xb_sim *s, uint64_t until);
/* Time of the next event, or UINT64_MAX. */
uint64_t xb_sim_next(const struct xb_sim *s);

#endif
