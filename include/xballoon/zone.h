/*
 * The modeled Linux zone: a buddy allocator with migratetypes, per-pageblock
 * migratetype, fallback stealing, watermarks and fragmentation metrics, over
 * a guest-physical range of which only part may be populated (backed by the
 * hypervisor). Modeled on Linux mm/page_alloc.c and mm/vmstat.c (6.1).
 */
#ifndef XBALLOON_ZONE_H
#define XBALLOON_ZONE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xballoon/buddy.h"
#include "xballoon/compact_result.h"
#include "xballoon/flist.h"

/* Linux's enum migratetype, the subset modeled (no HIGHATOMIC, no CMA). */
enum xb_migratetype {
	XB_MT_UNMOVABLE = 0,
	XB_MT_MOVABLE,
	XB_MT_RECLAIMABLE,
	XB_MT_ISOLATE,
	XB_MT_NR
};
#define XB_MT_PCPTYPES 3 /* types an allocation may ask for */

enum xb_wmark { XB_WMARK_MIN, XB_WMARK_LOW, XB_WMARK_HIGH, XB_WMARK_NR };

/* Owner id 0 means "nobody"; ids are handed out by higher layers. */
#define XB_OWNER_NONE 0u

/*
 * Allocation flags: the bits of Linux's gfp_t (and alloc_flags) that decide
 * what the allocator's slow path may do (__alloc_pages_slowpath()).
 * Linux derives direct compaction from __GFP_DIRECT_RECLAIM; the model keeps
 * it a bit of its own so that tests and ablations can allow one without the
 * other. The XB_GFP_* masks below are Linux's composites.
 */
#define XB_ALLOC_RECLAIM 0x1u  /* __GFP_DIRECT_RECLAIM: direct reclaim      */
#define XB_ALLOC_COMPACT 0x2u  /* direct compaction (order > 0)             */
#define XB_ALLOC_NOWMARK 0x4u  /* ALLOC_NO_WATERMARKS                       */
#define XB_ALLOC_KSWAPD	 0x8u  /* __GFP_KSWAPD_RECLAIM: wake kswapd         */
#define XB_ALLOC_NORETRY 0x10u /* __GFP_NORETRY: one round, then fail      */
#define XB_ALLOC_RETRY_MAYFAIL                                                 \
	0x20u /* __GFP_RETRY_MAYFAIL: costly orders retry too */
/* __GFP_THISNODE: the preferred node's zone only, no fallback to other
 * nodes (ZONELIST_NOFALLBACK; xb_nodes_alloc()). */
#define XB_ALLOC_THISNODE 0x40u

/* __GFP_RECLAIM: direct reclaim (and so compaction) and kswapd. */
#define XB_GFP_RECLAIM (XB_ALLOC_RECLAIM | XB_ALLOC_COMPACT | XB_ALLOC_KSWAPD)
/* GFP_KERNEL, GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE: the migratetype is the
 * separate argument (gfp_migratetype()). */
#define XB_GFP_KERNEL XB_GFP_RECLAIM
/* GFP_BALLOON = GFP_HIGHUSER | __GFP_NOWARN | __GFP_NORETRY |
 * __GFP_NOMEMALLOC (include/linux/balloon_compaction.h). */
#define XB_GFP_BALLOON (XB_GFP_RECLAIM | XB_ALLOC_NORETRY)
/* GFP_TRANSHUGE_LIGHT: no reclaim of any kind; GFP_TRANSHUGE adds
 * __GFP_DIRECT_RECLAIM (include/linux/gfp_types.h). */
#define XB_GFP_TRANSHUGE_LIGHT 0u
#define XB_GFP_TRANSHUGE       (XB_ALLOC_RECLAIM | XB_ALLOC_COMPACT)

/* PAGE_ALLOC_COSTLY_ORDER */
#define XB_COSTLY_ORDER 3
/* SWAP_CLUSTER_MAX: reclaim's batch. */
#define XB_SWAP_CLUSTER_MAX 32
/* MAX_RECLAIM_RETRIES: no-progress rounds before the slow path, or kswapd,
 * gives up. */
#define XB_MAX_RECLAIM_RETRIES 16

/* sysctl defaults (mm/page_alloc.c). */
#define XB_WATERMARK_SCALE_FACTOR_DEFAULT 10
#define XB_WATERMARK_BOOST_FACTOR_DEFAULT 15000

/* Per-pageblock byte: migratetype in the low bits, skip hint on top. */
#define XB_PB_MT_MASK XB_PB_TYPE_MASK
#define XB_PB_SKIP    0x80u /* compaction skip hint (PB_migrate_skip)        */

/* Zone statistics, declared once (vmstat names where Linux has one). */
#define XB_ZONE_STATS(X)                                                       \
	X(pgalloc, "pages allocated")                                          \
	X(pgfree, "pages freed to the buddy allocator")                        \
	X(alloc_fail, "allocations that failed")                               \
	X(extfrag_fallback, "allocations served from another type's list")     \
	X(extfrag_steal, "pageblocks whose migratetype fallback changed")      \
	X(allocstall, "allocations that entered direct reclaim")               \
	X(alloc_compact, "allocations that entered direct compaction")         \
	X(wmark_boost, "watermark boosts after a fallback (boost_watermark)")  \
	X(pcp_drain, "per-CPU lists drained whole (drain_local_pages)")

struct xb_zone_stats {
#define XB_STAT_FIELD(name, doc) uint64_t name;
	XB_ZONE_STATS(XB_STAT_FIELD)
#undef XB_STAT_FIELD
};

struct xb_zone;
struct xb_movable_ops;

/* A registered owner of pages (see include/xballoon/movable.h). */
struct xb_owner {
	const char *name;
	const struct xb_movable_ops *ops; /* NULL: pages never move */
	void *priv;
};

/*
 * Slow-path hooks a higher layer plugs in (emu/vmscan.c and
 * emu/compaction.c provide them; scenario/run.c plugs them in). All are
 * optional: NULL means the zone has no reclaim, no compaction, no kswapd.
 */
struct xb_zone_ops {
	/* __alloc_pages_direct_reclaim() -> try_to_free_pages() for an
	 * allocation of `order`: returns the pages reclaimed (progress). */
	uint64_t (*reclaim)(struct xb_zone *z, void *priv, unsigned order);
	/* __alloc_pages_direct_compact() -> try_to_compact_pages() for an
	 * allocation of `order` and migratetype `mt` at priority `prio`
	 * (enum xb_compact_priority); returns its result. Counting
	 * compact_stall / success / fail is the hook's: it knows whether
	 * the retry at the min mark can succeed, which the zone checks
	 * again itself. */
	enum xb_compact_result (*compact)(struct xb_zone *z, void *priv,
					  unsigned order, unsigned mt,
					  unsigned prio);
	/* wake_all_kswapds() for an allocation of `order` with `flags`
	 * (XB_ALLOC_*), and rmqueue()'s wake-up after a watermark boost. */
	void (*wake_kswapd)(struct xb_zone *z, void *priv, unsigned order,
			    unsigned flags);
	/* Pages reclaim could drop (page cache), for si_mem_available(). */
	uint64_t (*reclaimable)(const struct xb_zone *z, void *priv);
};

/*
 * The per-CPU page lists of the zone (struct per_cpu_pages), for the one
 * CPU the model runs on. Orders up to PAGE_ALLOC_COSTLY_ORDER have a list
 * per migratetype; pageblock-order (THP) blocks share one more list
 * (order_to_pindex()). A freed block of those orders waits here, unmerged,
 * as an XB_FRAME_PCP head; an allocation of those orders is served from
 * here, refilled a batch at a time from the buddy lists.
 *
 * Invariants (xb__zone_is_valid()):
 *   every block on list i is a PCP head of order pindex_to_order(i), and
 *     for i < XB_PCP_LOWORDER_LISTS its type is i % XB_MT_PCPTYPES
 *   lists[i].nr = length of list i
 *   count = sum over i of lists[i].nr * 2^order(i) = nr_state[PCP]
 */
#define XB_PCP_LOWORDER_LISTS (XB_MT_PCPTYPES * (XB_COSTLY_ORDER + 1))
#define XB_PCP_LISTS	      (XB_PCP_LOWORDER_LISTS + 1) /* + NR_PCP_THP */

struct xb_pcp {
	uint64_t count; /* pages on the lists                      */
	uint64_t high;	/* pcp->high: drain above this             */
	uint64_t batch; /* pcp->batch: refill and drain chunk      */
	/* pcp->free_factor: doubles the drain chunk on each drain with no
	 * allocation in between; halved by every allocation. */
	unsigned free_factor;
	struct xb_flist lists[XB_PCP_LISTS];
};

/* pcp_allowed_order(): orders that go through the per-CPU lists. A kernel
 * built with CONFIG_TRANSPARENT_HUGEPAGE (Debian's, whether or not THP is
 * enabled at run time) also passes pageblock order, which is then
 * HPAGE_PMD_ORDER; the model takes a pageblock order of HPAGE_PMD_ORDER
 * for "built with THP" and any other (user-mode Linux's MAX_ORDER - 1)
 * for "without". */
static inline bool xb_pcp_allowed_order(unsigned pageblock_order,
					unsigned order)
{
	return order <= XB_COSTLY_ORDER ||
	       (pageblock_order == XB_HPAGE_ORDER && order == XB_HPAGE_ORDER);
}

/*
 * The guest's mem_map: one frame record per guest frame and one pageblock
 * byte per pageblock, indexed by absolute pfn, shared by every zone that
 * spans part of it (Linux's one mem_map under several zones and nodes).
 * The arrays are mapped lazily: untouched records cost no memory.
 */
struct xb_memmap {
	struct xb_frame *frames; /* [nr_frames], by pfn                  */
	uint8_t *pageblock;	 /* [nr_pageblocks], by pfn >> pageblock  */
	uint64_t nr_frames;
	uint64_t nr_pageblocks;
	unsigned pageblock_order; /* the guest's pageblock_order          */
};

/*
 * xb_memmap_create() - a mem_map of nr_frames records, all zero (TAIL) and
 * every pageblock byte 0, for zones to cover with xb_zone_create_range(),
 * with pageblocks of XB_PAGEBLOCK_ORDER_DEFAULT. NULL if the mapping fails
 * or nr_frames is 0 or exceeds XB_MAX_FRAMES.
 */
struct xb_memmap *xb_memmap_create(uint64_t nr_frames);
/* The same with pageblocks of `pageblock_order` (XB_HPAGE_ORDER ..
 * XB_PAGEBLOCK_ORDER_MAX; NULL outside that range). */
struct xb_memmap *xb_memmap_create_pb(uint64_t nr_frames,
				      unsigned pageblock_order);
/* Unmap it; its zones must be gone. NULL is fine. */
void xb_memmap_destroy(struct xb_memmap *m);

/* A zone's start is aligned to the largest buddy block (Linux's
 * MAX_ORDER_NR_PAGES, 4 MiB): the model's zones never share a pageblock
 * or a buddy block with a neighbour, and a zone at k behaves as the same
 * zone at 0 shifted by k. */
#define XB_ZONE_ALIGN (1ull << (XB_MAX_ORDER - 1))

/*
 * A zone spans the frames [start_pfn, end_pfn) of a mem_map (Linux's
 * zone_start_pfn and zone_end_pfn()); every pfn it takes or gives is
 * absolute, an index into the shared arrays. Frames outside the span
 * belong to other zones and are never read or written by this one.
 *
 * Invariants (xb__zone_is_valid()):
 *   start_pfn % XB_ZONE_ALIGN = 0, start_pfn < end_pfn <= map->nr_frames
 *   nr_frames = end_pfn - start_pfn
 *   pb_order = map->pageblock_order = buddy.pageblock_order,
 *     XB_HPAGE_ORDER <= pb_order <= XB_PAGEBLOCK_ORDER_MAX,
 *     pb_pages = 2^pb_order
 *   nr_pageblocks = ceil(nr_frames / pb_pages)
 *   frames = map->frames, pageblock = map->pageblock  (absolute indexing)
 *   buddy.first_frame = start_pfn, buddy.nr_frames = end_pfn
 *     (no block starts outside the span, nothing merges across it)
 *   every block of the zone, every per-CPU list entry and every free-list
 *     entry lies inside [start_pfn, end_pfn)
 *   sum over states s of nr_state[s] = nr_frames          (conservation)
 *   nr_state[FREE] = buddy.nr_free_pages
 *   nr_state[PCP] = pcp.count                   (per-CPU lists, above)
 *   nr_state[s] = sum of 2^order over heads in state s
 *   managed = nr_frames - nr_state[UNPOPULATED]
 *   reserved <= nr_state[ALLOC]
 *   a free block is on the ISOLATE list  <=>  its pageblock is ISOLATE
 *   every pageblock type < XB_MT_NR  (the zone's pageblocks:
 *     [start_pfn, end_pfn) >> pb_order, rounded out)
 *   buddy invariants (xb__buddy_is_valid())
 */
struct xb_zone {
	struct xb_buddy buddy;	 /* free lists, one per migratetype  */
	struct xb_frame *frames; /* == buddy.frames == map->frames    */
	uint8_t *pageblock;	 /* XB_PB_* per pageblock, map's      */
	struct xb_memmap *map;	 /* the arrays, maybe shared          */
	bool owns_map;		 /* xb_zone_create(): destroy frees it */
	uint64_t start_pfn;	 /* zone_start_pfn                    */
	uint64_t end_pfn;	 /* zone_end_pfn(): first pfn after it */
	uint64_t nr_frames;	 /* spanned_pages: end_pfn - start_pfn */
	uint64_t nr_pageblocks;	 /* the span's pageblocks (rounded up) */
	unsigned pb_order;	 /* pageblock_order, the map's        */
	uint32_t pb_pages;	 /* pageblock_nr_pages                */
	unsigned node;		 /* zone_to_nid(); 0 outside a guest's nodes */
	uint64_t nr_state[XB_FRAME_NR_STATES]; /* frames per head state      */
	uint64_t managed; /* populated frames                  */
	/* Of those, frames the kernel holds from boot (memblock-reserved:
	 * memmap, kernel image); managed - reserved is Linux's
	 * managed_pages, what the watermarks are computed from. */
	uint64_t reserved;
	uint64_t watermark[XB_WMARK_NR]; /* _watermark[]: without the boost */
	/* watermark_boost: added to every mark after fallback stealing
	 * (boost_watermark()), reclaimed and cleared by kswapd. */
	uint64_t watermark_boost;
	bool boosted_wakeup; /* ZONE_BOOSTED_WATERMARK: wake kswapd at the
			      * next rmqueue() */
	/* The sysctls the marks come from (vm.min_free_kbytes,
	 * vm.watermark_scale_factor, vm.watermark_boost_factor);
	 * min_free_kbytes is the value in force, user_min_free_kbytes the
	 * one a scenario set (0: computed as Linux does). */
	uint64_t min_free_kbytes;
	uint64_t user_min_free_kbytes;
	unsigned watermark_scale_factor;
	unsigned watermark_boost_factor;
	/* THP enabled (always or madvise): khugepaged raises
	 * min_free_kbytes (set_recommended_min_free_kbytes()), counting
	 * thp_zones zones of the guest at or below ZONE_NORMAL. */
	bool thp_enabled;
	unsigned thp_zones;
	struct xb_pcp pcp;
	/* ZONE_RECLAIM_ACTIVE: kswapd is balancing the zone; the per-CPU
	 * lists keep at most 4 batches meanwhile (nr_pcp_high()). */
	bool reclaim_active;
	/* nr_isolate_pageblock: while any pageblock is isolated, a drain
	 * frees each block to its pageblock's current type. */
	uint64_t nr_isolate_pageblock;
	const struct xb_zone_ops *ops;
	void *ops_priv;
	struct xb_owner *owners; /* by owner id; [0] is "nobody"       */
	/* The next zone of the same guest's nodes (a ring back to this
	 * one), or NULL: an owner registered on any of them is registered
	 * on all, with one id (xb_zone_register_owner()). */
	struct xb_zone *owner_peer;
	uint32_t nr_owners;
	struct xb_zone_stats stats;
};

/*
 * xb_zone_create() - a zone of nr_frames frames at pfn 0, all UNPOPULATED,
 * over a mem_map of its own (freed with the zone).
 * Metadata is mapped lazily (untouched frames cost no memory).
 * Returns NULL if the mapping fails or nr_frames exceeds XB_MAX_FRAMES.
 */
struct xb_zone *xb_zone_create(uint64_t nr_frames);
/* The same with pageblocks of `pageblock_order` (xb_memmap_create_pb()). */
struct xb_zone *xb_zone_create_pb(uint64_t nr_frames, unsigned pageblock_order);
/*
 * xb_zone_create_range() - a zone over [start_pfn, end_pfn) of `map`, all
 * UNPOPULATED, its pageblocks MOVABLE (memmap_init_zone() for that span);
 * the frames must be nobody's yet (zero records). The map outlives the
 * zone. NULL if the span is empty, past the map's end or start_pfn is not
 * a multiple of XB_ZONE_ALIGN.
 */
struct xb_zone *xb_zone_create_range(struct xb_memmap *map, uint64_t start_pfn,
				     uint64_t end_pfn);
void xb_zone_destroy(struct xb_zone *z);
void xb_zone_set_ops(struct xb_zone *z, const struct xb_zone_ops *ops,
		     void *priv);

/* Register an owner of pages; returns its id (never XB_OWNER_NONE). The
 * name is not copied. */
uint32_t xb_zone_register_owner(struct xb_zone *z, const char *name,
				const struct xb_movable_ops *ops, void *priv);

/* zone_spans_pfn() */
static inline bool xb_zone_spans_pfn(const struct xb_zone *z, uint64_t pfn)
{
	return pfn >= z->start_pfn && pfn < z->end_pfn;
}

/* The zone's pageblocks, [first, end) as indices into z->pageblock. */
static inline uint64_t xb_zone_first_pageblock(const struct xb_zone *z)
{
	return z->start_pfn >> z->pb_order;
}

static inline uint64_t xb_zone_end_pageblock(const struct xb_zone *z)
{
	return xb_zone_first_pageblock(z) + z->nr_pageblocks;
}

static inline const struct xb_owner *xb_zone_owner(const struct xb_zone *z,
						   uint32_t id)
{
	return id < z->nr_owners ? &z->owners[id] : NULL;
}

/*
 * xb_zone_online() - the frames [pfn, pfn + 2^order), UNPOPULATED and owned
 * by nobody, have been populated: hand them to the buddy allocator (as boot
 * memory and memory hotplug do). Recomputes nothing; call
 * xb_zone_setup_watermarks() after boot.
 */
void xb_zone_online(struct xb_zone *z, xb_pfn_t pfn, unsigned order);
/* Online every unpopulated frame of the zone and set up the watermarks:
 * a guest whose whole span is populated (tests, benchmarks, `zone`). */
void xb_zone_online_all(struct xb_zone *z);

/*
 * init_per_zone_wmark_min() + set_recommended_min_free_kbytes() +
 * setup_per_zone_wmarks(): min_free_kbytes as Linux computes it over the
 * managed pages (or user_min_free_kbytes when set), raised for THP when
 * thp_enabled, then min from it and low/high from watermark_scale_factor;
 * then zone_pcp_update(): the per-CPU lists' batch and high from the
 * managed pages and the low mark.
 */
void xb_zone_setup_watermarks(struct xb_zone *z);

/*
 * xb__setup_per_zone_wmarks() - the same over the nr zones of one guest
 * (init_per_zone_wmark_min() + __setup_per_zone_wmarks()): min_free_kbytes
 * from the managed pages of all of them, with the sysctls of zones[0]
 * (vm.min_free_kbytes and THP are the guest's, not a zone's), written
 * into every zone; each zone's min is its share of it by managed pages,
 * its low and high gaps from its own watermark_scale_factor; then each
 * zone's per-CPU batch and high. xb_zone_setup_watermarks(z) is nr = 1.
 */
void xb__setup_per_zone_wmarks(struct xb_zone *const *zones, unsigned nr);

/* wmark_pages(): a watermark as the allocator uses it, boost included. */
static inline uint64_t xb_zone_wmark(const struct xb_zone *z, enum xb_wmark i)
{
	return z->watermark[i] + z->watermark_boost;
}

/* NR_FREE_PAGES: free pages in the buddy allocator, which the watermarks
 * are checked against (isolated pageblocks and the per-CPU lists
 * excluded, as Linux's counter excludes them). */
uint64_t xb_zone_free_pages(const struct xb_zone *z);

/* __zone_watermark_ok() */
bool xb_zone_watermark_ok(const struct xb_zone *z, unsigned order,
			  uint64_t mark);

/*
 * xb_zone_alloc() - allocate 2^order frames of migratetype mt for `owner`,
 * recording `slot` (the owner's index for this page, the model's rmap).
 * __alloc_pages(): the fast path at the low watermark, then, as `flags`
 * allow, __alloc_pages_slowpath(): kswapd woken, the min watermark, direct
 * compaction, direct reclaim and their retries through the zone ops.
 * Returns the head pfn or XB_NIL.
 */
xb_pfn_t xb_zone_alloc(struct xb_zone *z, unsigned order, unsigned mt,
		       unsigned flags, uint32_t owner, uint32_t slot);

/*
 * Linux's struct alloc_context, as far as the model needs it: the zonelist
 * an allocation walks and which of its zones it may take from. A zonelist
 * of one zone is xb_zone_alloc(); a node's zonelist filtered by a nodemask
 * is xb_nodes_alloc() (include/xballoon/node.h).
 *
 *   1 <= nr_zones <= 64, allowed < 2^nr_zones
 *   zonelist[i] may serve  <=>  bit i of allowed   (the nodemask, and
 *     for __GFP_THISNODE the first zone alone)
 *   the first allowed zone is ac->preferred_zoneref: it counts the
 *     allocation's stalls and its failure (see xb__alloc_pages())
 *   every zone of the zonelist, allowed or not, is drained by the
 *     drain_all_pages() after a failed try that follows direct reclaim
 */
struct xb_alloc_context {
	struct xb_zone *const *zonelist; /* ac->zonelist, nearest first */
	unsigned nr_zones;
	uint64_t allowed; /* ac->nodemask, by position in the zonelist */
};

/*
 * xb__alloc_pages() - __alloc_pages() over a zonelist: get_page_from_
 * freelist() at the low mark over the allowed zones in order, then
 * __alloc_pages_slowpath() over the same zones: every allowed zone's
 * kswapd woken (wake_all_kswapds()), the min mark, direct compaction zone
 * by zone until one says SUCCESS (try_to_compact_pages()), direct reclaim
 * of every allowed zone (shrink_zones()), and the retries, through each
 * zone's own ops. *served (if not NULL) is the zone the block came from.
 *
 * Which zone counts what: pgalloc the zone that served; allocstall and
 * alloc_compact (once per entry into direct reclaim or compaction,
 * whatever zones it then works on) and alloc_fail the preferred zone, the
 * first allowed one. Linux counts allocstall per zone type and
 * compact_stall for the whole machine: the sum over the guest's zones is
 * Linux's count. compact_stall / success / fail are the compact hook's,
 * counted by each zone's compactor for the zone it compacted: a direct
 * compaction over k zones counts up to k stalls where Linux counts one.
 */
xb_pfn_t xb__alloc_pages(const struct xb_alloc_context *ac, unsigned order,
			 unsigned mt, unsigned flags, uint32_t owner,
			 uint32_t slot, struct xb_zone **served);

/*
 * The kernel's boot memory: the image (text, data, bss of Debian 12's
 * amd64 kernel, about 44 MiB by its boot message) loaded at
 * CONFIG_PHYSICAL_START (16 MiB), and the memmap, 64 bytes per 4 KiB frame
 * of boot memory, which memblock allocates top-down at the end of it.
 * xb_kernel_reserved_default() is their sum, at most a quarter of boot
 * memory (a guest too small for Debian's kernel runs a smaller one).
 */
#define XB_KERNEL_IMAGE_FRAMES ((44ull << 20) / 4096)
#define XB_KERNEL_IMAGE_PFN    ((16ull << 20) / 4096)
uint64_t xb_kernel_reserved_default(uint64_t boot_frames);

/*
 * xb_zone_reserve() - memblock_reserve() after the fact: take the free
 * frames of [pfn, pfn + n) out of the buddy allocator for good, as ALLOC
 * blocks of `owner` (no movable ops) whose frames are UNMOVABLE while
 * their pageblocks keep their type (PG_reserved pages in MOVABLE
 * pageblocks, as Linux has them). Frames not free are passed over.
 * Adds what it took to z->reserved and returns it.
 */
uint64_t xb_zone_reserve(struct xb_zone *z, xb_pfn_t pfn, uint64_t n,
			 uint32_t owner);

/*
 * free_the_page(): free an ALLOC, BALLOON or ISOLATED block. Blocks of the
 * per-CPU orders go to the per-CPU list of their pageblock's migratetype
 * (free_unref_page()), which drains a chunk to the buddy allocator once it
 * holds `high` pages; other orders, and blocks in isolated pageblocks, go
 * to the buddy allocator at once (__free_pages_ok(), free_one_page()).
 */
void xb_zone_free(struct xb_zone *z, xb_pfn_t pfn);

/* drain_local_pages() / drain_all_pages(): give every block on the
 * per-CPU lists back to the buddy allocator. */
void xb_zone_drain_pcp(struct xb_zone *z);

/*
 * Change the state of a non-free block (ALLOC, BALLOON, ISOLATED,
 * UNPOPULATED) to another non-free state; keeps the counters and `managed`
 * exact. Links are the caller's to manage.
 */
void xb_zone_set_state(struct xb_zone *z, xb_pfn_t pfn,
		       enum xb_frame_state state, uint32_t owner);

/*
 * split_page(): split the non-free block at `pfn` into blocks of `order`,
 * each with the head's state, owner and type. Returns how many blocks.
 */
uint64_t xb_zone_split(struct xb_zone *z, xb_pfn_t pfn, unsigned order);

/*
 * Make [pfn, pfn + 2^order) one block of its own, splitting the non-free
 * block that contains it; the other pieces keep the state, owner and type.
 * Returns false if pfn is inside a free block or a smaller block.
 */
bool xb_zone_carve(struct xb_zone *z, xb_pfn_t pfn, unsigned order);

/*
 * __isolate_free_page() without the watermark check (the caller does it):
 * take the FREE block whose head is `pfn` off its free list and make it an
 * ISOLATED block owned by nobody, for compaction's free scanner. Returns its
 * order. The caller splits it (xb_zone_split) and later frees what it did
 * not use with xb_zone_free().
 */
unsigned xb_zone_isolate_free(struct xb_zone *z, xb_pfn_t pfn);

/* Head of the block containing pfn. */
static inline xb_pfn_t xb_zone_head(const struct xb_zone *z, xb_pfn_t pfn)
{
	return xb__buddy_find_head(&z->buddy, pfn);
}

static inline unsigned xb_zone_pageblock_mt(const struct xb_zone *z,
					    xb_pfn_t pfn)
{
	return z->pageblock[pfn >> z->pb_order] & XB_PB_MT_MASK;
}

/* set_pageblock_migratetype() (moves no pages). */
void xb_zone_set_pageblock_mt(struct xb_zone *z, xb_pfn_t pfn, unsigned mt);

/* can_steal_fallback(): may an allocation of `order` for start_mt take a
 * whole pageblock of another type (pageblock order and half of it). */
bool xb_zone_can_steal_fallback(const struct xb_zone *z, unsigned order,
				unsigned start_mt);

/*
 * move_freepages_block(): move every free block inside the pageblock of
 * `pfn` to list mt; returns the pages moved and adds to *movable the
 * movable pages allocated in the block.
 */
uint64_t xb_zone_move_freepages_block(struct xb_zone *z, xb_pfn_t pfn,
				      unsigned mt, uint64_t *movable);

/* set_migratetype_isolate() / unset_migratetype_isolate() for one
 * pageblock; isolation fails (false) if the block is already isolated. */
bool xb_zone_isolate_pageblock(struct xb_zone *z, xb_pfn_t pfn);
void xb_zone_unisolate_pageblock(struct xb_zone *z, xb_pfn_t pfn, unsigned mt);

/* Is this block movable in compaction's eyes (a movable allocation or a
 * balloon page on a core device that can migrate it)? */
static inline bool xb_frame_is_movable(const struct xb_frame *f)
{
	return (f->state == XB_FRAME_ALLOC && f->type == XB_MT_MOVABLE) ||
	       (f->state == XB_FRAME_UNPOPULATED &&
		(f->flags &
		 (XB_FRAME_MOVABLE_BALLOON | XB_FRAME_PINNED_BALLOON)) ==
		    XB_FRAME_MOVABLE_BALLOON);
}

/* Fragmentation metrics (mm/vmstat.c). */
/* unusable_free_index(): share of free memory in blocks smaller than 2^order;
 * 1.0 when nothing is free. */
double xb_zone_unusable_index(const struct xb_zone *z, unsigned order);
/* __fragmentation_index(): -1.0 when a suitable block exists, 0 when
 * nothing is free, else in [0, 1): towards 1 means fragmentation. */
double xb_zone_frag_index(const struct xb_zone *z, unsigned order);
/* The same two indices over free-block counts by order (nr_free[o]: free
 * blocks of order o), for memory that spans several zones: the guest's
 * whole free memory as one pool. */
double xb_free_area_unusable_index(const uint64_t nr_free[XB_MAX_ORDER],
				   unsigned order);
double xb_free_area_frag_index(const uint64_t nr_free[XB_MAX_ORDER],
			       unsigned order);
/* extfrag_for_order(): unusable free pages for `order` in percent. */
unsigned xb_zone_extfrag_for_order(const struct xb_zone *z, unsigned order);

/* /proc/buddyinfo and /proc/pagetypeinfo text for this zone. */
void xb_zone_print_buddyinfo(const struct xb_zone *z, FILE *out);
void xb_zone_print_pagetypeinfo(const struct xb_zone *z, FILE *out);

const char *xb_migratetype_name(unsigned mt);
const char *xb_frame_state_name(unsigned state);

/* Whole-zone checker (O(nr_frames)); false + g_warning on violation. */
bool xb__zone_is_valid(const struct xb_zone *z);

/*
 * Each counter an operation moves against the counter that mirrors it, in
 * O(1): the incremental half of xb__zone_is_valid(), true or false without
 * a word, asserted after every zone operation at every debug level (the
 * free-list links and counts are checked as each block leaves its list, in
 * emu/buddy.c). A counter that drifts is caught at the operation that made
 * it drift, where a whole walk every N-th sample would catch it late.
 * What spans every state (their sum is nr_frames) is
 * xb__zone_summaries_ok(), checked at every sample.
 */
static inline bool xb__zone_counters_ok(const struct xb_zone *z)
{
	return z->nr_state[XB_FRAME_FREE] == z->buddy.nr_free_pages &&
	       z->nr_state[XB_FRAME_PCP] == z->pcp.count &&
	       z->managed + z->nr_state[XB_FRAME_UNPOPULATED] == z->nr_frames;
}

/* The counters that add up over every state and every list, in
 * O(states + lists); false + g_warning on violation. */
bool xb__zone_summaries_ok(const struct xb_zone *z);

/* After every zone operation: the O(1) counters always (XB_DEBUG >= 1),
 * the whole walk at XB_DEBUG >= 3. */
#define xb__zone_check(z)                                                      \
	do {                                                                   \
		xb_assert(xb__zone_counters_ok(z));                            \
		xb_assert_expensive(xb__zone_is_valid(z));                     \
	} while (0)

#endif
