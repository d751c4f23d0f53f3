/*
 * The test owner: a slot table kept right through compaction by its
 * movable ops (isolate / migrate / putback).
 */
#include <errno.h>
#include <glib.h>

#include "support/owner.h"
#include "xballoon/movable.h"

static bool owner_isolate(void *priv, struct xb_zone *z, xb_pfn_t pfn)
{
	struct xbt_owner *o = priv;

	xb_assert(z->frames[pfn].state == XB_FRAME_ALLOC);
	xb_zone_set_state(z, pfn, XB_FRAME_ISOLATED, o->id);
	o->isolated++;
	return true;
}

static int owner_migrate(void *priv, struct xb_zone *z, xb_pfn_t dst,
			 xb_pfn_t src)
{
	struct xbt_owner *o = priv;
	struct xb_frame *s = &z->frames[src];
	struct xb_frame *d = &z->frames[dst];
	uint32_t slot = s->next;

	if (o->fail_migrate)
		return -o->fail_migrate;
	xb_assert(slot < o->nr_used && o->slots[slot] == src);
	xb_zone_set_state(z, dst, XB_FRAME_ALLOC, o->id);
	d->type = s->type;
	d->flags = 0;
	d->next = slot;
	d->prev = XB_NIL;
	o->slots[slot] = dst;
	o->migrated++;
	return 0;
}

static void owner_putback(void *priv, struct xb_zone *z, xb_pfn_t pfn)
{
	struct xbt_owner *o = priv;

	xb_zone_set_state(z, pfn, XB_FRAME_ALLOC, o->id);
	o->putback++;
}

static const struct xb_movable_ops owner_mops = {
    .name = "test-anon",
    .isolate = owner_isolate,
    .migrate = owner_migrate,
    .putback = owner_putback,
};

void xbt_owner_init(struct xbt_owner *o, struct xb_zone *z, uint32_t nr_slots)
{
	*o = (struct xbt_owner){.z = z, .nr_slots = nr_slots};
	o->slots = g_new(xb_pfn_t, nr_slots);
	for (uint32_t i = 0; i < nr_slots; i++)
		o->slots[i] = XB_NIL;
	o->id = xb_zone_register_owner(z, "test-anon", &owner_mops, o);
}

void xbt_owner_fini(struct xbt_owner *o)
{
	g_free(o->slots);
	o->slots = NULL;
}

xb_pfn_t xbt_owner_alloc(struct xbt_owner *o, unsigned order, unsigned flags)
{
	xb_assert(o->nr_used < o->nr_slots);
	xb_pfn_t p =
	    xb_zone_alloc(o->z, order, XB_MT_MOVABLE, flags, o->id, o->nr_used);

	if (p == XB_NIL)
		return XB_NIL;
	o->slots[o->nr_used++] = p;
	o->nr_live++;
	return p;
}

void xbt_owner_free(struct xbt_owner *o, uint32_t s)
{
	xb_assert(s < o->nr_used && o->slots[s] != XB_NIL);
	xb_zone_free(o->z, o->slots[s]);
	o->slots[s] = XB_NIL;
	o->nr_live--;
}

bool xbt_owner_is_valid(const struct xbt_owner *o)
{
	uint64_t live = 0;

	for (uint32_t s = 0; s < o->nr_used; s++) {
		xb_pfn_t p = o->slots[s];

		if (p == XB_NIL)
			continue;
		const struct xb_frame *f = &o->z->frames[p];

		if (f->state != XB_FRAME_ALLOC || f->owner != o->id ||
		    f->next != s) {
			g_warning("owner: slot %u -> pfn %u: state %u owner %u "
				  "next %u",
				  s, p, f->state, f->owner, f->next);
			return false;
		}
		live++;
	}
	if (live != o->nr_live) {
		g_warning("owner: %lu live slots, nr_live %lu",
			  (unsigned long)live, (unsigned long)o->nr_live);
		return false;
	}
	return true;
}

uint64_t xbt_owner_fill(struct xbt_owner *o)
{
	uint64_t n = 0;

	while (o->nr_used < o->nr_slots &&
	       xbt_owner_alloc(o, 0, XB_ALLOC_NOWMARK) != XB_NIL)
		n++;
	return n;
}

void xbt_owner_free_pattern(struct xbt_owner *o)
{
	for (uint32_t s = 0; s < o->nr_used; s++)
		if (o->slots[s] != XB_NIL && (o->slots[s] & 3) != 0)
			xbt_owner_free(o, s);
}
