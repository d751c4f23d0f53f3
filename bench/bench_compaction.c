/*
 * Compaction benchmark: full compaction (compact_node) of a zone left in
 * the classic fragmentation pattern (every 4th frame held by a movable
 * owner, the rest free); reports ns per scanned frame and per migrated page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "xballoon/compaction.h"
#include "xballoon/mem.h"
#include "xballoon/movable.h"

/* A minimal owner: slot -> pfn, frame.next = slot (as the tests' owner). */
struct bench_owner {
	uint32_t id;
	xb_pfn_t *slots;
};

static bool bo_isolate(void *priv, struct xb_zone *z, xb_pfn_t pfn)
{
	struct bench_owner *o = priv;

	xb_zone_set_state(z, pfn, XB_FRAME_ISOLATED, o->id);
	return true;
}

static int bo_migrate(void *priv, struct xb_zone *z, xb_pfn_t dst, xb_pfn_t src)
{
	struct bench_owner *o = priv;
	uint32_t slot = z->frames[src].next;

	xb_zone_set_state(z, dst, XB_FRAME_ALLOC, o->id);
	z->frames[dst].type = z->frames[src].type;
	z->frames[dst].next = slot;
	z->frames[dst].prev = XB_NIL;
	z->frames[dst].flags = 0;
	o->slots[slot] = dst;
	return 0;
}

static void bo_putback(void *priv, struct xb_zone *z, xb_pfn_t pfn)
{
	struct bench_owner *o = priv;

	xb_zone_set_state(z, pfn, XB_FRAME_ALLOC, o->id);
}

static const struct xb_movable_ops bench_mops = {
    .name = "bench-anon",
    .isolate = bo_isolate,
    .migrate = bo_migrate,
    .putback = bo_putback,
};

void xb_bench_compaction(struct xb_bench_ctx *ctx)
{
	uint64_t n =
	    ctx->frames & ~(uint64_t)((1u << XB_PAGEBLOCK_ORDER_DEFAULT) - 1);
	struct xb_zone *z = xb_zone_create(n);
	struct bench_owner o;
	struct xb_compactor c;

	if (!z || n < (1u << XB_PAGEBLOCK_ORDER_DEFAULT)) {
		fprintf(stderr,
			"xb-bench: cannot create a zone of %llu "
			"frames\n",
			(unsigned long long)n);
		exit(1);
	}
	for (uint64_t pfn = 0; pfn < n;) {
		unsigned ord = z->frames[pfn].order;

		xb_zone_online(z, (xb_pfn_t)pfn, ord);
		pfn += 1ull << ord;
	}
	o.slots = xb_map_zeroed(n * sizeof(*o.slots));
	if (!o.slots) {
		fprintf(stderr, "xb-bench: cannot map the slot table\n");
		exit(1);
	}
	o.id = xb_zone_register_owner(z, "bench-anon", &bench_mops, &o);
	/* The pattern (not timed): fill, then free 3 of every 4 frames. */
	for (uint64_t i = 0; i < n; i++)
		o.slots[i] = xb_zone_alloc(z, 0, XB_MT_MOVABLE,
					   XB_ALLOC_NOWMARK, o.id, (uint32_t)i);
	for (uint64_t i = 0; i < n; i++)
		if (o.slots[i] != XB_NIL && (o.slots[i] & 3) != 0)
			xb_zone_free(z, o.slots[i]);
	xb_compactor_init(&c, z);

	uint64_t t0 = xb_bench_now_ns();
	enum xb_compact_result r = xb_compact_zone_full(&c);
	double ns = (double)(xb_bench_now_ns() - t0);
	uint64_t scanned =
	    c.stats.compact_migrate_scanned + c.stats.compact_free_scanned;

	if (r != XB_COMPACT_COMPLETE || !c.stats.pgmigrate_success) {
		fprintf(stderr,
			"xb-bench: compaction ended %s after %llu "
			"pages\n",
			xb_compact_result_name(r),
			(unsigned long long)c.stats.pgmigrate_success);
		exit(1);
	}
	/* The target is absolute (2 ns per scanned frame): the row's ratio
	 * divides by 1 ns. */
	xb_bench_report_ref("compaction: full, per scanned frame", scanned,
			    ns / (double)scanned, 1.0, "1 ns", 2.0);
	xb_bench_report(ctx, "compaction: full, per migrated page (op)",
			c.stats.pgmigrate_success,
			ns / (double)c.stats.pgmigrate_success, 0);
	xb_unmap(o.slots, n * sizeof(*o.slots));
	xb_zone_destroy(z);
}
