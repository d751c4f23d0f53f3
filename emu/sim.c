/*
 * The event loop: a binary heap of timers on (time, sequence).
 */
#include "xballoon/debug.h"
#include "xballoon/sim.h"

static inline bool before(const struct xb_sim_event *a,
			  const struct xb_sim_event *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void xb_sim_init(struct xb_sim *s, uint64_t seed)
{
	s->now = 0;
	s->seq = 0;
	s->events_run = 0;
	s->heap =
	    g_array_sized_new(FALSE, FALSE, sizeof(struct xb_sim_event), 64);
	xb_rng_seed(&s->rng, seed);
}

void xb_sim_fini(struct xb_sim *s)
{
	if (s->heap)
		g_array_free(s->heap, TRUE);
	s->heap = NULL;
}

void xb_sim_at(struct xb_sim *s, uint64_t t, xb_sim_fn fn, void *arg,
	       uint64_t data)
{
	struct xb_sim_event ev = {.t = t < s->now ? s->now : t,
				  .seq = s->seq++,
				  .fn = fn,
				  .arg = arg,
				  .data = data};
	struct xb_sim_event *h;
	guint i;

	g_array_append_val(s->heap, ev);
	h = (struct xb_sim_event *)(void *)s->heap->data;
	for (i = s->heap->len - 1; i > 0; i = (i - 1) / 2) {
		guint parent = (i - 1) / 2;

		if (!before(&h[i], &h[parent]))
			break;
		struct xb_sim_event tmp = h[i];

		h[i] = h[parent];
		h[parent] = tmp;
	}
}

static struct xb_sim_event pop(struct xb_sim *s)
{
	struct xb_sim_event *h = (struct xb_sim_event *)(void *)s->heap->data;
	struct xb_sim_event top = h[0];
	guint n = s->heap->len - 1, i = 0;

	h[0] = h[n];
	g_array_set_size(s->heap, n);
	for (;;) {
		guint l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (r < n && before(&h[r], &h[m]))
			m = r;
		if (m == i)
			break;
		struct xb_sim_event tmp = h[i];

		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
	return top;
}

uint64_t xb_sim_next(const struct xb_sim *s)
{
	if (s->heap->len == 0)
		return UINT64_MAX;
	return ((const struct xb_sim_event *)(void *)s->heap->data)[0].t;
}

void xb_sim_run_until(struct xb_sim *s, uint64_t until)
{
	while (s->heap->len && xb_sim_next(s) <= until) {
		if (s->stop && *s->stop)
			return;
		struct xb_sim_event ev = pop(s);

		xb_assert(ev.t >= s->now);
		s->now = ev.t;
		s->events_run++;
		ev.fn(s, ev.arg, ev.data);
	}
	if (until > s->now)
		s->now = until;
}
