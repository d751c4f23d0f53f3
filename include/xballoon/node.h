/*
 * The guest's NUMA nodes: one pg_data_t per node over a shared mem_map,
 * each with its one zone and its zonelist (build_zonelists()), and
 * __alloc_pages() for a preferred node and a nodemask over that zonelist.
 * Modeled on Linux 6.1 mm/page_alloc.c (build_all_zonelists,
 * build_zonelists, find_next_best_node, __alloc_pages, zone_statistics,
 * __setup_per_zone_wmarks) and include/linux/topology.h.
 *
 * Glossary: node v spans [start, end) of the mem_map and has one zone over
 * it (the model's zone is Linux's DMA + DMA32 + Normal of that node); its
 * zonelist is the order in which an allocation that prefers v tries the
 * nodes' zones; a nodemask (bit v: node v) restricts which may serve.
 */
#ifndef XBALLOON_NODE_H
#define XBALLOON_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xballoon/sys/backend.h" /* XB_MAX_NODES */
#include "xballoon/zone.h"

/* include/linux/topology.h: a node's distance to itself, and the default
 * distance to another node when the firmware gives no table. */
#define XB_LOCAL_DISTANCE  10
#define XB_REMOTE_DISTANCE 20
/* numa_set_distance() keeps distances in a u8. */
#define XB_MAX_DISTANCE 255

/* Per-node NUMA events, /proc/vmstat's names (zone_statistics(): one per
 * allocation, not per page). The allocating CPU is on the preferred node. */
#define XB_NODE_STATS(X)                                                       \
	X(numa_hit, "allocations served by the node they preferred")           \
	X(numa_miss, "allocations served here that preferred another node")    \
	X(numa_foreign, "allocations that preferred this node, served by "     \
			"another")                                             \
	X(numa_local, "allocations served here for a CPU of this node")        \
	X(numa_other, "allocations served here for a CPU of another node")

struct xb_node_stats {
#define XB_STAT_FIELD(name, doc) uint64_t name;
	XB_NODE_STATS(XB_STAT_FIELD)
#undef XB_STAT_FIELD
};

/* One node (pg_data_t). */
struct xb_node {
	struct xb_zone *zone; /* node_zones[]: the node's one zone      */
	unsigned node_id;     /* pgdat->node_id = zone->node              */
	/* node_zonelists[ZONELIST_FALLBACK]: the node's own zone, then the
	 * others' in find_next_best_node() order. __GFP_THISNODE takes its
	 * first entry alone (ZONELIST_NOFALLBACK). */
	struct xb_zone *zonelist[XB_MAX_NODES];
	struct xb_node_stats stats;
};

/*
 * The guest's nodes.
 *
 * Invariants (xb__nodes_is_valid()):
 *   1 <= nr <= XB_MAX_NODES
 *   node[v].node_id = node[v].zone->node = v, node[v].zone->map = map
 *   node[0].zone->start_pfn = 0,
 *     node[v].zone->start_pfn = node[v-1].zone->end_pfn,
 *     node[nr-1].zone->end_pfn = map->nr_frames   (the zones tile the map,
 *     in node order)
 *   distance[v][v] = XB_LOCAL_DISTANCE,
 *     XB_LOCAL_DISTANCE < distance[v][w] <= XB_MAX_DISTANCE for w != v
 *   node[v].zonelist[0 .. nr) is a permutation of the nr zones with
 *     zonelist[0] = node[v].zone, and along it
 *     distance[v][w] + (w < v) is non-decreasing (find_next_best_node()'s
 *     key: the distance, a node below v one further off)
 *   nr > 1: node[v].zone->owner_peer = node[(v + 1) % nr].zone; else NULL
 *   every zone's owner table equals node[0].zone's (nr_owners, and each
 *     entry's name, ops and priv): an owner id means one owner everywhere
 *   sum over v of numa_miss = sum over v of numa_foreign
 *   for every v: numa_local + numa_other = numa_hit + numa_miss
 */
struct xb_nodes {
	struct xb_memmap *map; /* every node's frames; freed with the nodes */
	unsigned nr;
	unsigned distance[XB_MAX_NODES][XB_MAX_NODES]; /* node_distance() */
	struct xb_node node[XB_MAX_NODES];
};

/*
 * xb_nodes_create() - nr nodes over one mem_map of end_pfn[nr - 1] frames:
 * node v spans [end_pfn[v - 1], end_pfn[v]) (node 0 from pfn 0), every
 * end but the last a multiple of XB_ZONE_ALIGN (1024 frames, 4 MiB), all
 * UNPOPULATED; then build_all_zonelists() from `distance`, nr * nr
 * entries by row (from) and column (to), or NULL for LOCAL_DISTANCE on
 * the diagonal and REMOTE_DISTANCE elsewhere. A table is refused as
 * slit_valid() refuses one: the diagonal not LOCAL_DISTANCE, another
 * entry not above it, or one above XB_MAX_DISTANCE.
 * NULL with errno EINVAL for a bad argument, ENOMEM if the map fails.
 */
struct xb_nodes *xb_nodes_create(unsigned nr, const uint64_t *end_pfn,
				 const unsigned *distance);
/* The same over a mem_map of pageblocks of `pageblock_order`
 * (xb_memmap_create_pb(); EINVAL outside its range). */
struct xb_nodes *xb_nodes_create_pb(unsigned nr, const uint64_t *end_pfn,
				    const unsigned *distance,
				    unsigned pageblock_order);
/* The zones, then the map. NULL is fine. */
void xb_nodes_destroy(struct xb_nodes *n);

/*
 * xb_nodes_register_owner() - register the owner in every node's zone;
 * the id is the same in all of them (a frame's owner means the same owner
 * whatever zone the frame is in). The zones are peers (zone.owner_peer),
 * so xb_zone_register_owner() on any one of them does the same: a vnode's
 * balloon driver registers on its own zone.
 */
uint32_t xb_nodes_register_owner(struct xb_nodes *n, const char *name,
				 const struct xb_movable_ops *ops, void *priv);

/*
 * xb_nodes_setup_watermarks() - init_per_zone_wmark_min() +
 * __setup_per_zone_wmarks() over every node's zone
 * (xb__setup_per_zone_wmarks()): min_free_kbytes from all managed pages of
 * the guest, with node 0's zone's sysctls (user_min_free_kbytes,
 * thp_enabled, thp_zones: the guest's), split across the zones by their
 * managed pages; low and high by each zone's watermark_scale_factor; each
 * zone's per-CPU batch and high. A one-node guest gets exactly what
 * xb_zone_setup_watermarks() gives its zone.
 */
void xb_nodes_setup_watermarks(struct xb_nodes *n);

/* Online every unpopulated frame of every node, then set the watermarks
 * over all of them (tests, benchmarks). */
void xb_nodes_online_all(struct xb_nodes *n);

/*
 * xb_nodes_alloc() - __alloc_pages(gfp, order, nid, nodemask): allocate
 * 2^order frames of migratetype mt for `owner` (recording `slot`) from the
 * zones of node nid's zonelist whose nodes are in `nodemask` (bit v: node
 * v; 0: every node), nearest first: the fast path at the low mark, then
 * the slow path over the same zones (xb__alloc_pages()). XB_ALLOC_THISNODE
 * in `flags` takes node nid's zone alone, if the nodemask allows it.
 * Counts numa_hit / numa_miss / numa_foreign / numa_local / numa_other
 * (zone_statistics(), the CPU on node nid). Returns the head pfn or
 * XB_NIL.
 */
xb_pfn_t xb_nodes_alloc(struct xb_nodes *n, unsigned nid, uint64_t nodemask,
			unsigned order, unsigned mt, unsigned flags,
			uint32_t owner, uint32_t slot);

/* pfn_to_nid(): the node whose span holds pfn (pfn < map->nr_frames). */
unsigned xb_nodes_pfn_to_nid(const struct xb_nodes *n, uint64_t pfn);

/* page_zone(): the zone whose span holds pfn. */
static inline struct xb_zone *xb_nodes_page_zone(const struct xb_nodes *n,
						 uint64_t pfn)
{
	return n->node[xb_nodes_pfn_to_nid(n, pfn)].zone;
}

/* Print each node's stats as "node N name value" lines (vmstat style). */
void xb_nodes_print_stats(const struct xb_nodes *n, FILE *out);

/* Whole-structure checker (O(nr^2 + owners), no zone walk); false +
 * g_warning on violation. */
bool xb__nodes_is_valid(const struct xb_nodes *n);

#endif
