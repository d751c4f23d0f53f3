/*
 * The guest's NUMA nodes: their zones over one mem_map, their zonelists
 * by node distance, the watermarks over all of them and __alloc_pages()
 * for a preferred node and a nodemask. Modeled on Linux 6.1
 * mm/page_alloc.c (__build_all_zonelists, build_zonelists,
 * find_next_best_node, __alloc_pages, zone_statistics); the allocation
 * itself is emu/zone.c's xb__alloc_pages() over the node's zonelist.
 */
#include <errno.h>
#include <glib.h>

#include "xballoon/check.h"
#include "xballoon/debug.h"
#include "xballoon/node.h"

_Static_assert(XB_MAX_NODES <= 64, "a nodemask is one uint64_t");

static bool distances_valid(unsigned nr, const unsigned *d)
{
	/* slit_valid() (drivers/acpi/numa/srat.c). */
	for (unsigned i = 0; i < nr; i++)
		for (unsigned j = 0; j < nr; j++) {
			unsigned v = d[i * nr + j];

			if (i == j
				? v != XB_LOCAL_DISTANCE
				: v <= XB_LOCAL_DISTANCE || v > XB_MAX_DISTANCE)
				return false;
		}
	return true;
}

/* find_next_best_node()'s key for node w seen from node v, before the
 * load: the distance, one more for a node below v ("prefer the next
 * node"). Every node of the model has a CPU, so PENALTY_FOR_NODE_WITH_CPUS
 * is the same for all and left out. */
static unsigned best_node_key(const struct xb_nodes *n, unsigned v, unsigned w)
{
	return n->distance[v][w] + (w < v);
}

/*
 * find_next_best_node(): the local node first, then the node not in
 * `used` with the smallest key, the less loaded of equal keys, the lowest
 * id of equal loads (Linux's key * MAX_NUMNODES + node_load[], compared
 * with <). Returns -1 when every node is used.
 */
static int find_next_best_node(const struct xb_nodes *n, unsigned v,
			       uint64_t *used, const unsigned *load)
{
	unsigned best_key = 0;
	int best = -1;

	if (!((*used >> v) & 1)) {
		*used |= 1ull << v;
		return (int)v;
	}
	for (unsigned w = 0; w < n->nr; w++) {
		unsigned key = best_node_key(n, v, w);

		if ((*used >> w) & 1)
			continue;
		if (best < 0 || key < best_key ||
		    (key == best_key && load[w] < load[best])) {
			best = (int)w;
			best_key = key;
		}
	}
	if (best >= 0)
		*used |= 1ull << best;
	return best;
}

/*
 * build_zonelists(): node v's fallback order. The first node of each new
 * distance gets one more load, so that nodes at equal distance take turns
 * in the lists built after this one (node_load[], shared by every node's
 * build, as __build_all_zonelists() shares it).
 */
static void build_zonelists(struct xb_nodes *n, unsigned v, unsigned *load)
{
	uint64_t used = 0;
	unsigned prev = v, nr = 0;
	int w;

	while ((w = find_next_best_node(n, v, &used, load)) >= 0) {
		if (n->distance[v][w] != n->distance[v][prev])
			load[w]++;
		n->node[v].zonelist[nr++] = n->node[w].zone;
		prev = (unsigned)w;
	}
	xb_assert(nr == n->nr);
}

/* __build_all_zonelists(): node_load[] cleared, then node by node. */
static void build_all_zonelists(struct xb_nodes *n)
{
	unsigned load[XB_MAX_NODES] = {0};

	for (unsigned v = 0; v < n->nr; v++)
		build_zonelists(n, v, load);
}

struct xb_nodes *xb_nodes_create(unsigned nr, const uint64_t *end_pfn,
				 const unsigned *distance)
{
	return xb_nodes_create_pb(nr, end_pfn, distance,
				  XB_PAGEBLOCK_ORDER_DEFAULT);
}

struct xb_nodes *xb_nodes_create_pb(unsigned nr, const uint64_t *end_pfn,
				    const unsigned *distance,
				    unsigned pageblock_order)
{
	struct xb_nodes *n;

	if (nr == 0 || nr > XB_MAX_NODES || !end_pfn ||
	    pageblock_order < XB_HPAGE_ORDER ||
	    pageblock_order > XB_PAGEBLOCK_ORDER_MAX ||
	    (distance && !distances_valid(nr, distance)))
		goto inval;
	for (unsigned v = 0; v < nr; v++)
		if ((v && end_pfn[v] <= end_pfn[v - 1]) || end_pfn[v] == 0 ||
		    (v + 1 < nr && end_pfn[v] % XB_ZONE_ALIGN))
			goto inval;
	n = g_new0(struct xb_nodes, 1);
	n->nr = nr;
	n->map = xb_memmap_create_pb(end_pfn[nr - 1], pageblock_order);
	if (!n->map)
		goto nomem;
	for (unsigned v = 0; v < nr; v++) {
		struct xb_zone *z = xb_zone_create_range(
		    n->map, v ? end_pfn[v - 1] : 0, end_pfn[v]);

		if (!z)
			goto nomem;
		z->node = v;
		n->node[v].zone = z;
		n->node[v].node_id = v;
		for (unsigned w = 0; w < nr; w++)
			n->distance[v][w] = distance ? distance[v * nr + w]
					    : v == w ? XB_LOCAL_DISTANCE
						     : XB_REMOTE_DISTANCE;
	}
	/* Owners registered on any zone of the guest go to every zone, with
	 * one id: the balloon drivers of the vnodes register on their own
	 * zone, and a frame's owner still means one owner everywhere. */
	for (unsigned v = 0; nr > 1 && v < nr; v++)
		n->node[v].zone->owner_peer = n->node[(v + 1) % nr].zone;
	build_all_zonelists(n);
	xb_assert_expensive(xb__nodes_is_valid(n));
	return n;

nomem:
	xb_nodes_destroy(n);
	errno = ENOMEM;
	return NULL;
inval:
	errno = EINVAL;
	return NULL;
}

void xb_nodes_destroy(struct xb_nodes *n)
{
	if (!n)
		return;
	for (unsigned v = 0; v < n->nr; v++)
		xb_zone_destroy(n->node[v].zone);
	xb_memmap_destroy(n->map);
	g_free(n);
}

uint32_t xb_nodes_register_owner(struct xb_nodes *n, const char *name,
				 const struct xb_movable_ops *ops, void *priv)
{
	/* The zones are peers (xb_nodes_create()): any one registers it
	 * on all. */
	return xb_zone_register_owner(n->node[0].zone, name, ops, priv);
}

/* The nodes' zones in node order. */
static unsigned all_zones(const struct xb_nodes *n,
			  struct xb_zone *zones[XB_MAX_NODES])
{
	for (unsigned v = 0; v < n->nr; v++)
		zones[v] = n->node[v].zone;
	return n->nr;
}

void xb_nodes_setup_watermarks(struct xb_nodes *n)
{
	struct xb_zone *zones[XB_MAX_NODES];

	xb__setup_per_zone_wmarks(zones, all_zones(n, zones));
}

void xb_nodes_online_all(struct xb_nodes *n)
{
	/* Each zone sets marks of its own; the guest's replace them. */
	for (unsigned v = 0; v < n->nr; v++)
		xb_zone_online_all(n->node[v].zone);
	xb_nodes_setup_watermarks(n);
}

/* zone_statistics(preferred_zone, z): the CPU allocating is on `cpu`. */
static void zone_statistics(struct xb_nodes *n, unsigned cpu,
			    const struct xb_zone *preferred,
			    const struct xb_zone *z)
{
	struct xb_node_stats *s = &n->node[z->node].stats;

	if (z->node == preferred->node) {
		s->numa_hit++;
	} else {
		s->numa_miss++;
		n->node[preferred->node].stats.numa_foreign++;
	}
	if (z->node == cpu)
		s->numa_local++;
	else
		s->numa_other++;
}

xb_pfn_t xb_nodes_alloc(struct xb_nodes *n, unsigned nid, uint64_t nodemask,
			unsigned order, unsigned mt, unsigned flags,
			uint32_t owner, uint32_t slot)
{
	struct xb_node *node = &n->node[nid];
	struct xb_alloc_context ac = {.zonelist = node->zonelist,
				      .nr_zones = n->nr};
	struct xb_zone *served;
	xb_pfn_t pfn;

	xb_assert(nid < n->nr);
	/* prepare_alloc_pages(): node_zonelist(nid, gfp), and the zones
	 * for_each_zone_zonelist_nodemask() visits. */
	for (unsigned i = 0; i < n->nr; i++)
		if (!nodemask || ((nodemask >> node->zonelist[i]->node) & 1))
			ac.allowed |= 1ull << i;
	/* gfp_zonelist(): ZONELIST_NOFALLBACK, the node's own zone. */
	if (flags & XB_ALLOC_THISNODE)
		ac.allowed &= 1;
	pfn = xb__alloc_pages(&ac, order, mt, flags, owner, slot, &served);
	if (pfn != XB_NIL)
		zone_statistics(n, nid,
				node->zonelist[__builtin_ctzll(ac.allowed)],
				served);
	xb_assert_expensive(xb__nodes_is_valid(n));
	return pfn;
}

unsigned xb_nodes_pfn_to_nid(const struct xb_nodes *n, uint64_t pfn)
{
	unsigned v = 0;

	xb_assert(pfn < n->map->nr_frames);
	while (pfn >= n->node[v].zone->end_pfn)
		v++;
	return v;
}

void xb_nodes_print_stats(const struct xb_nodes *n, FILE *out)
{
	for (unsigned v = 0; v < n->nr; v++) {
#define XB_STAT_PRINT(name, doc)                                               \
	fprintf(out, "node %u %s %llu\n", v, #name,                            \
		(unsigned long long)n->node[v].stats.name);
		XB_NODE_STATS(XB_STAT_PRINT)
#undef XB_STAT_PRINT
	}
}

/* Node v's zonelist against its invariants (struct xb_nodes). */
static bool zonelist_is_valid(const struct xb_nodes *n, unsigned v)
{
	uint64_t seen = 0;
	unsigned prev_key = 0;

	XB_CHECK(n->node[v].zonelist[0] == n->node[v].zone,
		 "nodes: node %u's zonelist does not start with its zone", v);
	for (unsigned i = 0; i < n->nr; i++) {
		const struct xb_zone *z = n->node[v].zonelist[i];
		unsigned w, key;

		XB_CHECK(z, "nodes: node %u's zonelist ends at %u of %u", v, i,
			 n->nr);
		w = z->node;
		XB_CHECK(w < n->nr && n->node[w].zone == z &&
			     !((seen >> w) & 1),
			 "nodes: node %u's zonelist entry %u is not one of the "
			 "other zones",
			 v, i);
		seen |= 1ull << w;
		key = best_node_key(n, v, w);
		XB_CHECK(key >= prev_key,
			 "nodes: node %u's zonelist has node %u (key %u) after "
			 "key %u",
			 v, w, key, prev_key);
		prev_key = key;
	}
	return true;
}

/* Every zone's owners as node 0's. */
static bool owners_agree(const struct xb_nodes *n)
{
	const struct xb_zone *z0 = n->node[0].zone;

	for (unsigned v = 0; v < n->nr; v++)
		XB_CHECK(n->node[v].zone->owner_peer ==
			     (n->nr > 1 ? n->node[(v + 1) % n->nr].zone : NULL),
			 "nodes: zone %u's owner peer is not the next node's",
			 v);
	for (unsigned v = 1; v < n->nr; v++) {
		const struct xb_zone *z = n->node[v].zone;

		XB_CHECK(z->nr_owners == z0->nr_owners,
			 "nodes: node %u has %u owners, node 0 %u", v,
			 z->nr_owners, z0->nr_owners);
		for (uint32_t id = 0; id < z0->nr_owners; id++)
			XB_CHECK(z->owners[id].name == z0->owners[id].name &&
				     z->owners[id].ops == z0->owners[id].ops &&
				     z->owners[id].priv == z0->owners[id].priv,
				 "nodes: owner %u is %s on node %u, %s on node "
				 "0",
				 id, z->owners[id].name, v,
				 z0->owners[id].name);
	}
	return true;
}

bool xb__nodes_is_valid(const struct xb_nodes *n)
{
	uint64_t miss = 0, foreign = 0, pfn = 0;

	XB_CHECK(n->nr >= 1 && n->nr <= XB_MAX_NODES && n->map,
		 "nodes: %u nodes", n->nr);
	for (unsigned v = 0; v < n->nr; v++) {
		const struct xb_node *node = &n->node[v];
		const struct xb_zone *z = node->zone;
		const struct xb_node_stats *s = &node->stats;

		XB_CHECK(z && node->node_id == v && z->node == v &&
			     z->map == n->map,
			 "nodes: node %u's zone is not its own", v);
		XB_CHECK(z->start_pfn == pfn,
			 "nodes: node %u starts at %llu, node %u ended at %llu",
			 v, (unsigned long long)z->start_pfn, v - 1,
			 (unsigned long long)pfn);
		pfn = z->end_pfn;
		for (unsigned w = 0; w < n->nr; w++)
			XB_CHECK(v == w
				     ? n->distance[v][w] == XB_LOCAL_DISTANCE
				     : n->distance[v][w] > XB_LOCAL_DISTANCE &&
					   n->distance[v][w] <= XB_MAX_DISTANCE,
				 "nodes: distance %u -> %u is %u", v, w,
				 n->distance[v][w]);
		XB_CHECK(s->numa_local + s->numa_other ==
			     s->numa_hit + s->numa_miss,
			 "nodes: node %u served %llu hit + miss, %llu local + "
			 "other",
			 v, (unsigned long long)(s->numa_hit + s->numa_miss),
			 (unsigned long long)(s->numa_local + s->numa_other));
		miss += s->numa_miss;
		foreign += s->numa_foreign;
	}
	XB_CHECK(pfn == n->map->nr_frames,
		 "nodes: the zones end at %llu of %llu frames",
		 (unsigned long long)pfn,
		 (unsigned long long)n->map->nr_frames);
	XB_CHECK(miss == foreign, "nodes: %llu misses, %llu foreign",
		 (unsigned long long)miss, (unsigned long long)foreign);
	for (unsigned v = 0; v < n->nr; v++)
		if (!zonelist_is_valid(n, v))
			return false;
	return owners_agree(n);
}
