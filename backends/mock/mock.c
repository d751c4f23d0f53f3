/*
 * The mock Xen hypervisor: machine memory as a buddy heap in Xen's split
 * order, domains with a P2M, tot/max pages and claims, XENMEM semantics as
 * Xen 4.17 implements them, fault injection, host metrics and the checker.
 * Modeled on xen/common/memory.c, xen/common/page_alloc.c,
 * xen/arch/x86/mm/p2m.c and xen/arch/x86/hvm/dm.c; NUMA (one heap per
 * node, node affinity, XENMEMF node flags, vNUMA) on page_alloc.c's
 * get_free_buddy() and memory.c's construct_memop_from_reservation() and
 * propagate_node(); the frame moves on
 * memory.c's xenmem_add_to_physmap() and xenmem_add_to_physmap_batch()
 * and p2m.c's xenmem_add_to_physmap_one().
 */
#include <errno.h>
#include <string.h>

#include "xballoon/mem.h"
#include "xballoon/mock.h"
#include "xballoon/rng.h"
#include "xballoon/check.h"

/* A host frame taken by an exchange in progress (steal_page()). */
#define MOCK_FRAME_STOLEN 0x80u

#define REGION_ORDER XB_HPAGE_ORDER /* 2 MiB */
#define REGION_PAGES (1u << REGION_ORDER)

/* Default memop max order of a domU (xen/common/memory.c: max_order(),
 * domU_max_order = 9). */
#define DOMU_MAX_ORDER 9u

/* Xen's MAX_NUMNODES on x86 (CONFIG_NR_NUMA_NODES): node ids a privileged
 * caller may name; those at or above the host's nr_nodes have no memory. */
#define MAX_NUMNODES 64u
#define NO_NODE	     XB_MEMF_NO_NODE /* NUMA_NO_NODE */

/*
 * One domain, Xen's struct domain reduced to memory.
 *
 * The P2M holds mfn + 1 per gfn, so that the zero-filled lazy mapping
 * reads "not populated" everywhere without an initialisation pass over a
 * 1 TiB guest's 268M entries: p2m[gfn] = 0 <=> unpopulated,
 * mfn = p2m[gfn] - 1 (and 0 - 1 wraps to XB_NIL).
 * For pv domains Xen keeps no P2M (the guest does); the mock keeps this
 * one as a shadow of the guest's table: the latest mfn populated or
 * exchanged in at each pfn, for the metrics and the checker.
 *
 * Superpage entries. A translated domain's 2 MiB region populated by one
 * aligned order-9 (or larger) extent is mapped by one entry, sp[r] = the
 * block's first mfn + 1, as Xen's P2M maps it with one 2 MiB entry
 * (p2m_set_entry() picks the 2 MiB order for it, and ept_set_entry() /
 * p2m_pt_set_entry() replace whatever the region held, a 4 KiB table
 * included); its 512 p2m[] words stay 0 (untouched: no memory) and the
 * host block keeps one record (see struct xb_mock). The first 4 KiB
 * change inside the region splits the entry into 512 (split_superpage(),
 * as ept_split_super_page() in x86 mm/p2m-ept.c and p2m_next_level() in
 * p2m-pt.c do), and nothing merges them back: Xen's P2M only splits. So
 * sp[r] != 0 is also the P2M's superpage flag that
 * xb_mock_p2m_superpage_coverage() counts (nr_sp of them). The split is
 * not visible otherwise: every lookup (p2m_get()) reads through it. pv
 * domains never have superpage entries (Xen keeps no P2M for them).
 *
 * Invariants (checked by xb__mock_is_valid()):
 *   P2M(gfn) = sp[gfn / 512] - 1 + gfn % 512  if sp[gfn / 512] != 0
 *            = p2m[gfn] - 1                     otherwise (0 - 1 = none)
 *   sp[r] != 0  =>  p2m[gfn] = 0 for every gfn of region r, and the host
 *                   record at sp[r] - 1 is an ALLOC head of order 9 owned
 *                   by the domain with next = r * 512
 *   nr_sp = #{r : sp[r] != 0}
 *   populated = #{gfn : P2M(gfn) != none}
 *   region[r] = #{gfn in [r * 512, r * 512 + 512) : P2M(gfn) != none}
 *   tot_pages = #{host frames owned by the domain}
 *             = populated + orphans, where an orphan is an owned frame no
 *               P2M entry points to (hvm: populate over a populated gfn;
 *               pv: a pfn populated twice)
 *   tot_pages <= max_pages
 *   node_pages[n] = #{host frames owned by the domain on node n},
 *                   sum over n = tot_pages
 *   node_affinity != 0, only bits of host nodes
 *   nr_vnodes = 0 (no vNUMA) or every vnode_to_pnode[v] < MAX_NUMNODES
 *     (vnuma_init() accepts a node without memory)
 */
struct mock_domain {
	bool alive;
	enum xb_guest_type type;
	unsigned memop_max_order;
	uint64_t tot_pages;
	uint64_t max_pages;
	uint64_t outstanding; /* d->outstanding_pages: unused claim      */
	uint64_t gfn_space;
	uint64_t populated;
	uint64_t nr_regions;
	uint32_t *p2m;
	uint16_t *region;
	uint32_t *sp;	/* superpage entries, per region (mfn + 1)   */
	uint64_t nr_sp; /* #{r : sp[r] != 0}                       */
	/* NUMA. d->node_affinity: the nodes its allocations without a
	 * node prefer (all host nodes unless set: Xen computes it from the
	 * vcpus' affinity, and a domain's vcpus may run anywhere);
	 * d->last_alloc_node: the node of its last allocation, 0 at
	 * creation (struct domain is zeroed), where get_free_buddy()'s
	 * round robin starts from; d->vnuma: its vNUMA topology. */
	uint64_t node_affinity;
	unsigned last_alloc_node;
	unsigned nr_vnodes;
	unsigned vnode_to_pnode[XB_MAX_NODES];
	uint64_t node_pages[XB_MAX_NODES];
};

/* Fault injection for one operation. */
struct mock_fault {
	uint64_t countdown; /* fail the call when it drops to 0; 0 = off    */
	uint64_t at;	    /* extent index that fails, XB_MOCK_NEVER = off */
	double p;	    /* per-extent failure probability              */
	bool armed;	    /* at or p set: check every extent             */
};

/*
 * The host.
 *
 * A host frame record (struct xb_frame) is either part of a free buddy
 * block or an allocated order-0 head: state ALLOC, owner = domid,
 * next = the gfn it backs (the M2P; pv: the pfn the guest asked for),
 * XB_NIL when no gfn (an orphan). Allocations of order o are split into
 * 2^o order-0 heads at once, because Xen frees them page by page
 * (guest_remove_page()) -- except a block behind a superpage P2M entry:
 * one ALLOC head of order 9 (next = the region's first gfn) over 511
 * untouched tails, split together with the entry. Both forms answer
 * every question the same way; the compact one costs one record write
 * per 2 MiB instead of 512 and keeps the tails' memory unbacked.
 *
 * NUMA: the host has nr_nodes nodes, node n the machine frames
 * [node_start[n], node_start[n + 1]) (an SRAT range; node 0 from frame 0),
 * each with its own buddy heap over the shared frame array, as Xen's
 * heap is per node (heap(node, zone, order), avail[node][zone]): a block
 * never spans two nodes, and free_heap_pages() never merges across them.
 * One node (the default) is the whole host.
 *
 * Invariants:
 *   node_start[0] = 0 < node_start[1] < ... < node_start[nr_nodes]
 *     = host_pages
 *   heap[n] manages exactly [node_start[n], node_start[n + 1])
 *   free_pages = sum over n of heap[n].nr_free_pages  (total_avail_pages)
 *   free_pages + sum over domains of tot_pages = host_pages
 *   outstanding_claims = sum over domains of outstanding
 *   every key of `content` is an allocated frame
 */
struct xb_mock {
	struct xb_buddy heap[XB_MAX_NODES];
	unsigned nr_nodes;
	uint64_t node_start[XB_MAX_NODES + 1];
	uint64_t free_pages;
	/* The caller of the backend ops is dom0 or the toolstack
	 * (is_hardware_domain() || is_control_domain(): propagate_node()
	 * honours a physical node), not the guest itself (the default). */
	bool privileged;
	struct xb_frame *frames;
	uint64_t host_pages;
	uint64_t outstanding_claims;
	struct mock_domain *doms; /* by domid; doms[0] (dom0) never alive */
	unsigned nr_doms;
	struct xb_rng rng;
	struct mock_fault fault[XB_MOCK_OP_NR];
	unsigned fail_host_order;
	/* bits_to_zone(dma_bitsize): domain memory comes from the zones
	 * above it first (alloc_domheap_pages()). */
	unsigned dma_zone;
	struct xb_mock_stats stats;
	GHashTable *content; /* mfn -> XB_PAGE_SIZE bytes written         */
	/* Output extents of one exchange chunk (at most 2^10). */
	xb_pfn_t out_chunk[1u << (XB_MAX_ORDER - 1)];
};

static inline xb_pfn_t p2m_get(const struct mock_domain *d, uint64_t gfn)
{
	uint32_t sp = d->sp[gfn >> REGION_ORDER];

	if (sp)
		return sp - 1u + (xb_pfn_t)(gfn & (REGION_PAGES - 1));
	return (xb_pfn_t)(d->p2m[gfn] - 1u);
}

/* p2m_set() and p2m_clear() change 4 KiB entries: the region of gfn must
 * have no superpage entry (split_superpage() first). */
static inline void p2m_set(struct mock_domain *d, uint64_t gfn, xb_pfn_t mfn)
{
	xb_assert_internal(!d->sp[gfn >> REGION_ORDER]);
	if (d->p2m[gfn] == 0) {
		d->populated++;
		d->region[gfn >> REGION_ORDER]++;
	}
	d->p2m[gfn] = mfn + 1u;
}

static inline void p2m_clear(struct mock_domain *d, uint64_t gfn)
{
	xb_assert_internal(!d->sp[gfn >> REGION_ORDER]);
	if (d->p2m[gfn] != 0) {
		d->populated--;
		d->region[gfn >> REGION_ORDER]--;
		d->p2m[gfn] = 0;
	}
}

/* phys_to_nid(): the node whose range holds mfn. */
static inline unsigned node_of(const struct xb_mock *m, uint64_t mfn)
{
	unsigned n = 0;

	while (n + 1 < m->nr_nodes && mfn >= m->node_start[n + 1])
		n++;
	return n;
}

/* free_heap_pages(): the block goes back to its node's heap, merging
 * there only (at the list head). */
static void heap_free(struct xb_mock *m, xb_pfn_t mfn, unsigned order)
{
	xb__buddy_free(&m->heap[node_of(m, mfn)], mfn, order, 0, XB_FREE_HEAD);
	m->free_pages += 1ull << order;
}

static inline struct mock_domain *dom(const struct xb_mock *m, unsigned id)
{
	if (id == 0 || id >= m->nr_doms || !m->doms[id].alive)
		return NULL;
	return &m->doms[id];
}

static inline struct mock_domain *guest(const struct xb_mock *m)
{
	return &m->doms[XB_MOCK_GUEST_DOMID];
}

static void adjust_tot_pages(struct xb_mock *m, struct mock_domain *d,
			     int64_t pages);

static inline bool owned_by(const struct xb_mock *m, uint64_t mfn,
			    unsigned domid)
{
	return mfn < m->host_pages && m->frames[mfn].state == XB_FRAME_ALLOC &&
	       m->frames[mfn].owner == domid;
}

/*
 * Superpage entries.
 */

/*
 * ept_split_super_page(): the 2 MiB entry of gfn's region (if any) becomes
 * 512 4 KiB entries, and the host block behind it 512 order-0 records, as
 * if it had been mapped frame by frame. Nothing else changes.
 */
static void split_superpage(struct xb_mock *m, struct mock_domain *d,
			    uint64_t gfn)
{
	uint64_t r = gfn >> REGION_ORDER, g0 = r << REGION_ORDER;
	uint32_t sp = d->sp[r];

	if (!sp)
		return;
	xb_pfn_t base = sp - 1u;
	uint32_t owner = m->frames[base].owner;

	d->sp[r] = 0;
	d->nr_sp--;
	for (uint32_t j = 0; j < REGION_PAGES; j++) {
		d->p2m[g0 + j] = base + j + 1u;
		m->frames[base + j] = (struct xb_frame){
		    .next = (uint32_t)(g0 + j),
		    .prev = XB_NIL,
		    .owner = owner,
		    .state = XB_FRAME_ALLOC,
		};
	}
}

/* Split every superpage entry among the regions of [gfn, gfn + n). */
static void split_superpages(struct xb_mock *m, struct mock_domain *d,
			     uint64_t gfn, uint64_t n)
{
	if (n == 0 || gfn >= d->gfn_space)
		return;
	n = MIN(n, d->gfn_space - gfn);
	for (uint64_t r = gfn >> REGION_ORDER;
	     r <= (gfn + n - 1) >> REGION_ORDER; r++)
		split_superpage(m, d, r << REGION_ORDER);
}

/*
 * p2m_add_page() of the 2 MiB-aligned block at mfn onto the region of
 * the aligned gfn: the M2P of every frame mapped there is invalidated
 * (the frames stay the domain's, orphans, as for 4 KiB), then
 * p2m_set_entry() writes one 2 MiB entry over whatever the region held --
 * ept_set_entry() (p2m_pt_set_entry() alike) replaces a 4 KiB table or an
 * older 2 MiB entry with the new leaf. So a region that was split and is
 * repopulated by an order-9 extent is a superpage again.
 */
static void map_superpage(struct xb_mock *m, struct mock_domain *d,
			  unsigned domid, uint64_t gfn, xb_pfn_t mfn)
{
	uint64_t r = gfn >> REGION_ORDER;

	if (d->region[r]) {
		split_superpage(m, d, gfn);
		for (uint32_t j = 0; j < REGION_PAGES; j++) {
			xb_pfn_t old = p2m_get(d, gfn + j);

			if (old != XB_NIL) {
				m->frames[old].next = XB_NIL;
				p2m_clear(d, gfn + j);
			}
		}
	}
	d->sp[r] = mfn + 1u;
	d->nr_sp++;
	d->region[r] = REGION_PAGES;
	d->populated += REGION_PAGES;
	m->frames[mfn] = (struct xb_frame){
	    .next = (uint32_t)gfn,
	    .prev = XB_NIL,
	    .owner = domid,
	    .state = XB_FRAME_ALLOC,
	    .order = REGION_ORDER,
	};
}

/*
 * Free the host block behind the superpage entry of region r and unmap
 * it: the whole region in one go. Freeing it as one order-9 block leaves
 * the heap exactly as Xen's 512 page-by-page frees do (each merges with
 * the already-freed lower part; the merged block lands at the list head
 * either way), and the tot_pages/claim arithmetic is linear.
 */
static void free_superpage(struct xb_mock *m, struct mock_domain *d, uint64_t r)
{
	xb_pfn_t base = d->sp[r] - 1u;

	d->sp[r] = 0;
	d->nr_sp--;
	d->region[r] = 0;
	d->populated -= REGION_PAGES;
	if (g_hash_table_size(m->content))
		for (uint32_t j = 0; j < REGION_PAGES; j++)
			g_hash_table_remove(m->content,
					    GUINT_TO_POINTER(base + j));
	adjust_tot_pages(m, d, -(int64_t)REGION_PAGES);
	d->node_pages[node_of(m, base)] -= REGION_PAGES;
	heap_free(m, base, REGION_ORDER);
}

/*
 * Fault injection.
 */
static uint64_t *fault_counter(struct xb_mock *m, enum xb_mock_op op)
{
	switch (op) {
	case XB_MOCK_OP_POPULATE:
		return &m->stats.fault_populate;
	case XB_MOCK_OP_DECREASE:
		return &m->stats.fault_decrease;
	case XB_MOCK_OP_EXCHANGE:
		return &m->stats.fault_exchange;
	case XB_MOCK_OP_ADD_TO_PHYSMAP:
		return &m->stats.fault_add_to_physmap;
	default:
		return &m->stats.fault_relocate;
	}
}

/* Does this call fail as a whole (xb_mock_fail_call())? */
static bool fault_call(struct xb_mock *m, enum xb_mock_op op)
{
	struct mock_fault *f = &m->fault[op];

	if (f->countdown == 0 || --f->countdown != 0)
		return false;
	(*fault_counter(m, op))++;
	return true;
}

/* Does extent k of this call fail? The generator is drawn from only when
 * a probability is set, so runs without faults do not consume it. */
static bool fault_extent(struct xb_mock *m, enum xb_mock_op op, uint64_t k)
{
	struct mock_fault *f = &m->fault[op];

	if (!f->armed)
		return false;
	if (k == f->at || (f->p > 0 && xb_rng_unit(&m->rng) < f->p)) {
		(*fault_counter(m, op))++;
		return true;
	}
	return false;
}

/*
 * The heap.
 */

/*
 * domain_adjust_tot_pages() (page_alloc.c): tot_pages moves by `pages`;
 * while a claim is outstanding it is consumed by allocations, floored at
 * zero. Xen 4.17 applies the same arithmetic to frees, so freeing while a
 * claim is outstanding grows the claim (dom_after = dom_before - pages).
 */
static void adjust_tot_pages(struct xb_mock *m, struct mock_domain *d,
			     int64_t pages)
{
	d->tot_pages += (uint64_t)pages;
	if (!d->outstanding)
		return;
	int64_t after = (int64_t)d->outstanding - pages;
	uint64_t claimed = after < 0 ? 0 : (uint64_t)after;

	m->outstanding_claims =
	    m->outstanding_claims - d->outstanding + claimed;
	d->outstanding = claimed;
}

/*
 * get_free_buddy() (page_alloc.c), one node: from the highest zone down to
 * zone_lo, the first zone with a free block of order >= `order`, and in it
 * the smallest such order, its list's first block; alloc_heap_pages()
 * splits it, the lower halves going back (take_high).
 */
static xb_pfn_t get_free_buddy_node(struct xb_mock *m, unsigned node,
				    unsigned order, unsigned zone_lo,
				    unsigned zone_hi)
{
	struct xb_buddy *h = &m->heap[node];

	for (unsigned z = zone_hi + 1; z-- > zone_lo;)
		if (xb_buddy_orders_from(h, z, order)) {
			m->free_pages -= 1ull << order;
			return xb__buddy_alloc(h, order, z);
		}
	return XB_NIL;
}

/* next_node() / first_node() over a node mask: MAX_NUMNODES when none. */
static unsigned next_node(unsigned n, uint64_t mask)
{
	mask = n + 1 >= 64 ? 0 : mask >> (n + 1) << (n + 1);
	return mask ? (unsigned)__builtin_ctzll(mask) : MAX_NUMNODES;
}

static unsigned first_node(uint64_t mask)
{
	return mask ? (unsigned)__builtin_ctzll(mask) : MAX_NUMNODES;
}

/*
 * get_free_buddy() (page_alloc.c) over the nodes. The preferred set is the
 * domain's node affinity clamped to the online nodes. With no node asked
 * for, the search starts at cycle_node(d->last_alloc_node, affinity): the
 * next node after the last one used, a round robin (no domain: node 0,
 * the model's one CPU). Each node is searched as one heap (highest zone
 * first, smallest order); a node without memory (an id at or above
 * nr_nodes) has nothing. MEMF_exact_node with a node asked for stops after
 * that node. Otherwise the next node of the set, wrapping; a starting
 * node outside the set moves to the set's first node; once the set is
 * exhausted, the online nodes outside it (again unless exact), then
 * nothing. The caller sets last_alloc_node on success (alloc_heap_pages()).
 */
static xb_pfn_t get_free_buddy(struct xb_mock *m, unsigned order,
			       unsigned zone_lo, unsigned zone_hi,
			       unsigned req_node, bool exact,
			       const struct mock_domain *d, unsigned *got_node)
{
	/* One node and none asked for: whatever the affinity, the search
	 * below tries node 0 and nothing else (the other nodes have no
	 * memory); the same answer without the node arithmetic, which the
	 * host's every allocation would otherwise pay. */
	if (m->nr_nodes == 1 && req_node == NO_NODE) {
		*got_node = 0;
		return get_free_buddy_node(m, 0, order, zone_lo, zone_hi);
	}
	uint64_t online =
	    (m->nr_nodes >= 64 ? ~0ull : (1ull << m->nr_nodes) - 1);
	uint64_t mask = online;
	unsigned node = req_node, first;
	bool retried = false;

	if (d && (mask & d->node_affinity))
		mask &= d->node_affinity;
	if (node == NO_NODE) {
		if (d) {
			/* cycle_node() */
			node = next_node(d->last_alloc_node, mask);
			if (node >= MAX_NUMNODES)
				node = first_node(mask);
		}
		if (node >= MAX_NUMNODES)
			node = 0; /* cpu_to_node(smp_processor_id()) */
	} else if (node >= MAX_NUMNODES) {
		return XB_NIL;
	}
	first = node;
	for (;;) {
		if (node < m->nr_nodes) {
			xb_pfn_t mfn = get_free_buddy_node(m, node, order,
							   zone_lo, zone_hi);

			if (mfn != XB_NIL) {
				*got_node = node;
				return mfn;
			}
		}
		if (exact && req_node != NO_NODE)
			return XB_NIL;
		/* Pick the next node. */
		if (!(node < 64 && (mask >> node & 1))) {
			/* The first node may be the caller's, outside
			 * the set. */
			first = node = first_node(mask);
			if (node < MAX_NUMNODES)
				continue;
		} else if ((node = next_node(node, mask)) >= MAX_NUMNODES) {
			node = first_node(mask);
		}
		if (node == first) {
			/* The set is exhausted: the others, once. */
			if (exact || retried)
				return XB_NIL;
			retried = true;
			mask = online & ~mask;
			first = node = first_node(mask);
			if (node >= MAX_NUMNODES)
				return XB_NIL;
		}
	}
}

/*
 * alloc_domheap_pages() -> alloc_heap_pages() (page_alloc.c): claimed
 * memory is unavailable unless the request comes from a refcounted
 * allocation of a domain whose own claim covers it. memflags' address
 * bits (MEMF_bits; 0: none) cap the zones: zone_hi = bits_to_zone(bits),
 * bits - PAGE_SHIFT, a zone holding the frames below 2^zone. Then a block
 * from the zones above the DMA zone if any of them is allowed and fits,
 * else from any allowed zone (get_free_buddy(), each search over the
 * nodes from the same start). `node` is MEMF_node's (NO_NODE: none) and
 * `exact` MEMF_exact_node. The domain's last_alloc_node becomes the
 * node the block came from. Returns the block's head (state poisoned)
 * or XB_NIL.
 */
static xb_pfn_t host_alloc(struct xb_mock *m, struct mock_domain *d,
			   unsigned order, bool refcount, unsigned bits,
			   unsigned node, bool exact)
{
	unsigned zone_hi = XB_MAX_LISTS - 1, got = 0;
	xb_pfn_t mfn = XB_NIL;

	uint64_t request = 1ull << order;

	if (order >= m->fail_host_order) {
		m->stats.fault_host_alloc++;
		return XB_NIL;
	}
	if (m->outstanding_claims + request > m->free_pages &&
	    (!refcount || !d || d->outstanding < request))
		return XB_NIL;
	/* bits_to_zone(): zone 1 for a width of a page or less. */
	if (bits) {
		unsigned z = bits <= XB_PAGE_SHIFT ? 1 : bits - XB_PAGE_SHIFT;

		if (z < zone_hi)
			zone_hi = z;
	}
	if (m->dma_zone < zone_hi)
		mfn = get_free_buddy(m, order, m->dma_zone + 1, zone_hi, node,
				     exact, d, &got);
	if (mfn == XB_NIL)
		mfn =
		    get_free_buddy(m, order, 1, zone_hi, node, exact, d, &got);
	if (mfn != XB_NIL && d)
		d->last_alloc_node = got;
	return mfn;
}

/* Give back a block host_alloc() returned, unused (assign_pages() failed). */
static void host_unalloc(struct xb_mock *m, xb_pfn_t mfn, unsigned order)
{
	heap_free(m, mfn, order);
}

/* free_heap_pages() of one 4 KiB frame: its content goes (Xen scrubs). */
static void host_free_frame(struct xb_mock *m, xb_pfn_t mfn)
{
	if (g_hash_table_size(m->content))
		g_hash_table_remove(m->content, GUINT_TO_POINTER(mfn));
	heap_free(m, mfn, 0);
}

/*
 * Map an allocated block at gfn..gfn+2^order-1 and make its frames the
 * domain's. Translated guests: p2m_add_page() (x86 p2m.c) first
 * invalidates the M2P of any frame already mapped at those gfns; that
 * frame is not freed and stays the domain's, counted in tot_pages (an
 * orphan until the domain dies). A misaligned gfn is accepted: the P2M
 * is then written with 4 KiB entries (p2m_set_entry() picks the largest
 * order that gfn, mfn and count allow). PV: set_gpfn_from_mfn() only.
 * An aligned extent of 2 MiB or more gets superpage entries, populated
 * regions included (map_superpage()).
 */
static void physmap_add(struct xb_mock *m, struct mock_domain *d,
			unsigned domid, uint64_t gfn, xb_pfn_t mfn,
			unsigned order)
{
	uint64_t n = 1ull << order;

	/* A block never spans two nodes (one heap each). */
	d->node_pages[node_of(m, mfn)] += n;
	if (d->type != XB_GUEST_PV && order >= REGION_ORDER &&
	    (gfn & (n - 1)) == 0) {
		xb_assert_internal((mfn & (n - 1)) == 0);
		for (uint64_t k = 0; k < n; k += REGION_PAGES)
			map_superpage(m, d, domid, gfn + k, mfn + (xb_pfn_t)k);
		return;
	}
	split_superpages(m, d, gfn, n);
	for (uint64_t j = 0; j < n; j++) {
		xb_pfn_t old = p2m_get(d, gfn + j);
		struct xb_frame *f = &m->frames[mfn + j];

		if (old != XB_NIL && d->type != XB_GUEST_PV)
			m->frames[old].next = XB_NIL;
		p2m_set(d, gfn + j, mfn + (xb_pfn_t)j);
		*f = (struct xb_frame){
		    .next = (uint32_t)(gfn + j),
		    .prev = XB_NIL,
		    .owner = domid,
		    .state = XB_FRAME_ALLOC,
		};
	}
}

/*
 * Take one frame from its domain and free it: guest_remove_page()
 * (memory.c) for the gfn its M2P names, put_page() -> free_heap_pages().
 * `refcount` false for exchange's stolen inputs (MEMF_no_refcount: the
 * outputs replace them in tot_pages).
 */
static void remove_frame(struct xb_mock *m, struct mock_domain *d, xb_pfn_t mfn,
			 bool refcount)
{
	uint32_t gfn = m->frames[mfn].next;

	xb_assert_internal(m->frames[mfn].state == XB_FRAME_ALLOC &&
			   m->frames[mfn].order == 0);

	if (gfn != XB_NIL && gfn < d->gfn_space && p2m_get(d, gfn) == mfn)
		p2m_clear(d, gfn);
	if (refcount)
		adjust_tot_pages(m, d, -1);
	d->node_pages[node_of(m, mfn)]--;
	host_free_frame(m, mfn);
}

/*
 * alloc_domheap_pages() + assign_pages() + guest_physmap_add_page() for
 * one extent: host allocation first, then the max_pages check (assign
 * fails with -E2BIG and the block goes back), then the physmap.
 */
static int populate_extent(struct xb_mock *m, struct mock_domain *d,
			   unsigned domid, uint64_t gfn, unsigned order,
			   unsigned node, bool exact, xb_pfn_t *mfn_out)
{
	uint64_t n = 1ull << order;

	/* The model's P2M (and pv shadow) ends at gfn_space; Xen's grows to
	 * the guest's address width. Deliberately an extent failure. */
	if (gfn >= d->gfn_space || n > d->gfn_space - gfn)
		return -EINVAL;
	xb_pfn_t mfn = host_alloc(m, d, order, true, 0, node, exact);

	if (mfn == XB_NIL)
		return -ENOMEM;
	if (d->tot_pages + n > d->max_pages) {
		host_unalloc(m, mfn, order);
		return -E2BIG;
	}
	adjust_tot_pages(m, d, (int64_t)n);
	physmap_add(m, d, domid, gfn, mfn, order);
	*mfn_out = mfn;
	return 0;
}

/*
 * The backend hooks (the guest domain, XB_MOCK_GUEST_DOMID).
 */
static inline struct xb_mock *mock(struct xb_backend *be)
{
	return be->priv;
}

/*
 * propagate_node() (memory.c): a physical node in XENMEMF flags. Only a
 * privileged caller's node counts (a node id of MAX_NUMNODES or more is
 * refused), with MEMF_exact_node when asked; a guest's own node is
 * ignored, and its exact request refused. False: refused.
 */
static bool propagate_node(const struct xb_mock *m, unsigned xmf,
			   unsigned *node, bool *exact)
{
	unsigned n = XB_MEMF_GET_NODE(xmf);

	if (n == NO_NODE)
		return true;
	if (m->privileged) {
		if (n >= MAX_NUMNODES)
			return false;
		*node = n;
		*exact = xmf & XB_MEMF_EXACT_NODE_REQUEST;
	} else if (xmf & XB_MEMF_EXACT_NODE_REQUEST) {
		return false;
	}
	return true;
}

/*
 * construct_memop_from_reservation() (memory.c), its node part: with
 * XENMEMF_vnode and a domain that has vNUMA, the vnode must be below
 * nr_vnodes (else the call is refused) and becomes MEMF_node of its
 * pnode, exact when asked; without vNUMA the vnode is ignored. Without
 * XENMEMF_vnode, propagate_node(). False: refused.
 */
static bool memop_node(const struct xb_mock *m, const struct mock_domain *d,
		       unsigned xmf, unsigned *node, bool *exact)
{
	*node = NO_NODE;
	*exact = false;
	if (!(xmf & XB_MEMF_VNODE))
		return propagate_node(m, xmf, node, exact);
	if (!d->nr_vnodes)
		return true;
	unsigned v = XB_MEMF_GET_NODE(xmf);

	if (v >= d->nr_vnodes)
		return false;
	*node = d->vnode_to_pnode[v];
	*exact = xmf & XB_MEMF_EXACT_NODE_REQUEST;
	return true;
}

/*
 * populate_physmap() (memory.c): an extent order above the caller's
 * max_order() makes the loop not run (nr_done = 0, not an error); the
 * first extent that fails ends the call; pv guests get the machine frame
 * of each extent written back into the array. Flags Xen refuses make
 * do_memory_op() return start_extent: 0 extents, nothing done.
 */
static long mock_populate(struct xb_backend *be, xb_xen_pfn_t *extents,
			  uint64_t nr, unsigned order, unsigned mem_flags)
{
	struct xb_mock *m = mock(be);
	struct mock_domain *d = guest(m);
	uint64_t i = 0;
	unsigned node;
	bool exact;

	if (!memop_node(m, d, mem_flags, &node, &exact))
		return 0;
	if (order > d->memop_max_order || fault_call(m, XB_MOCK_OP_POPULATE))
		return 0;
	for (; i < nr; i++) {
		xb_pfn_t mfn;

		if (fault_extent(m, XB_MOCK_OP_POPULATE, i))
			break;
		if (populate_extent(m, d, XB_MOCK_GUEST_DOMID, extents[i],
				    order, node, exact, &mfn))
			break;
		if (d->type == XB_GUEST_PV)
			extents[i] = mfn;
	}
	xb_assert_expensive(xb__mock_is_valid(m));
	return (long)i;
}

/*
 * A translated guest's whole extent backed by one aligned machine block
 * (the common case after an order-9 populate): freeing it as one block
 * leaves the heap exactly as Xen's page-by-page frees do, since each free
 * merges with the already-freed lower part and the merged block lands at
 * the list head either way; the claim arithmetic is linear, too. Returns
 * false (nothing done) when the extent does not qualify.
 */
static bool decrease_block(struct xb_mock *m, struct mock_domain *d,
			   uint64_t gfn, unsigned order)
{
	uint64_t n = 1ull << order;

	if ((gfn & (n - 1)) || gfn >= d->gfn_space || n > d->gfn_space - gfn)
		return false;
	if (order == REGION_ORDER && d->sp[gfn >> REGION_ORDER]) {
		free_superpage(m, d, gfn >> REGION_ORDER);
		return true;
	}
	split_superpages(m, d, gfn, n);
	xb_pfn_t base = p2m_get(d, gfn);

	if (base == XB_NIL || (base & (n - 1)))
		return false;
	for (uint64_t j = 1; j < n; j++)
		if (p2m_get(d, gfn + j) != base + j)
			return false;
	bool content = g_hash_table_size(m->content) != 0;

	for (uint64_t j = 0; j < n; j++) {
		p2m_clear(d, gfn + j);
		if (content)
			g_hash_table_remove(m->content,
					    GUINT_TO_POINTER(base + j));
		if (j)
			m->frames[base + j].state = XB_FRAME_TAIL;
	}
	m->frames[base].order = (uint8_t)order;
	adjust_tot_pages(m, d, -(int64_t)n);
	d->node_pages[node_of(m, base)] -= n;
	heap_free(m, base, order);
	return true;
}

/*
 * decrease_reservation() (memory.c): guest_remove_page() frame by frame;
 * the first frame that is not the domain's (hvm: unpopulated gfn; pv: an
 * mfn it does not own) ends the call, leaving the earlier frames of that
 * extent removed.
 */
static long mock_decrease(struct xb_backend *be, xb_xen_pfn_t *extents,
			  uint64_t nr, unsigned order)
{
	struct xb_mock *m = mock(be);
	struct mock_domain *d = guest(m);
	uint64_t i = 0;

	if (order > d->memop_max_order || fault_call(m, XB_MOCK_OP_DECREASE))
		return 0;
	for (; i < nr; i++) {
		if (fault_extent(m, XB_MOCK_OP_DECREASE, i))
			goto out;
		if (order && d->type != XB_GUEST_PV &&
		    decrease_block(m, d, extents[i], order))
			continue;
		for (uint64_t j = 0; j < (1ull << order); j++) {
			uint64_t frame = extents[i] + j;
			xb_pfn_t mfn;

			if (d->type == XB_GUEST_PV) {
				if (!owned_by(m, frame, XB_MOCK_GUEST_DOMID))
					goto out;
				mfn = (xb_pfn_t)frame;
			} else {
				if (frame >= d->gfn_space)
					goto out;
				split_superpage(m, d, frame);
				mfn = p2m_get(d, frame);
				if (mfn == XB_NIL)
					goto out;
			}
			remove_frame(m, d, mfn, true);
		}
	}
out:
	xb_assert_expensive(xb__mock_is_valid(m));
	return (long)i;
}

/* Undo the steal of the first `nr` input frames of chunk `chunk`. */
static void unsteal(struct xb_mock *m, const struct xb_exchange *x,
		    uint64_t chunk, unsigned in_chunk_order, uint64_t nr)
{
	for (uint64_t j = 0; nr && j < (1ull << in_chunk_order); j++) {
		uint64_t e = (chunk << in_chunk_order) + j;

		for (uint64_t k = 0; nr && k < (1ull << x->in_order); k++, nr--)
			m->frames[x->in[e] + k].flags &= ~MOCK_FRAME_STOLEN;
	}
}

/*
 * memory_exchange() (memory.c). Order of the checks as in Xen: the memop
 * max order (-EPERM), then matching sizes (-EINVAL), then the outputs'
 * node flags (propagate_node(), -EINVAL). Work goes in chunks
 * of max(in, out) order: steal the chunk's inputs (steal_page(), which
 * refuses translated guests with -EOPNOTSUPP since XSA-217), allocate its
 * outputs (MEMF_no_owner, hence no refcount: not counted against
 * max_pages and unable to eat into claims), and only then free the inputs
 * and map the outputs. A failed chunk gives everything back;
 * *nr_exchanged counts input extents of the chunks done.
 */
static int mock_exchange(struct xb_backend *be, struct xb_exchange *x,
			 uint64_t *nr_exchanged)
{
	struct xb_mock *m = mock(be);
	struct mock_domain *d = guest(m);
	unsigned in_chunk_order = 0, out_chunk_order = 0;
	uint64_t i = 0;
	unsigned node = NO_NODE;
	bool exact = false;
	int rc = 0;

	*nr_exchanged = 0;
	if (MAX(x->in_order, x->out_order) > d->memop_max_order)
		return -EPERM;
	if ((UINT64_MAX >> x->in_order) < x->nr_in ||
	    (UINT64_MAX >> x->out_order) < x->nr_out ||
	    (x->nr_in << x->in_order) != (x->nr_out << x->out_order))
		return -EINVAL;
	/* propagate_node() only: XENMEMF_vnode means nothing here. */
	if (!propagate_node(m, x->out_mem_flags, &node, &exact))
		return -EINVAL;
	/* steal_page() refuses translated guests (paging_mode_external):
	 * the first chunk's first input fails with nothing taken. Matching
	 * sizes mean a chunk exists exactly when nr_in > 0. */
	if (d->type != XB_GUEST_PV && x->nr_in)
		return -EOPNOTSUPP;
	if (fault_call(m, XB_MOCK_OP_EXCHANGE))
		return -ENOMEM;
	if (x->in_order <= x->out_order)
		in_chunk_order = x->out_order - x->in_order;
	else
		out_chunk_order = x->in_order - x->out_order;

	for (; i < (x->nr_in >> in_chunk_order); i++) {
		uint64_t stolen = 0, nout = 0;

		if (fault_extent(m, XB_MOCK_OP_EXCHANGE, i)) {
			rc = -ENOMEM;
			break;
		}
		/* Mock limit: outputs must land inside the shadow P2M. */
		for (uint64_t j = 0; j < (1ull << out_chunk_order); j++) {
			uint64_t g = x->out[(i << out_chunk_order) + j];

			if (g >= d->gfn_space ||
			    (1ull << x->out_order) > d->gfn_space - g)
				rc = -EINVAL;
		}
		for (uint64_t j = 0; !rc && j < (1ull << in_chunk_order); j++) {
			uint64_t e = (i << in_chunk_order) + j;

			for (uint64_t k = 0; k < (1ull << x->in_order); k++) {
				uint64_t mfn = x->in[e] + k;

				if (!owned_by(m, mfn, XB_MOCK_GUEST_DOMID) ||
				    (m->frames[mfn].flags &
				     MOCK_FRAME_STOLEN)) {
					rc = -EINVAL;
					break;
				}
				m->frames[mfn].flags |= MOCK_FRAME_STOLEN;
				stolen++;
			}
		}
		for (uint64_t j = 0; !rc && j < (1ull << out_chunk_order);
		     j++) {
			xb_pfn_t mfn =
			    host_alloc(m, d, x->out_order, false,
				       x->out_address_bits, node, exact);

			if (mfn == XB_NIL) {
				rc = -ENOMEM;
				break;
			}
			m->out_chunk[nout++] = mfn;
		}
		if (rc) {
			unsteal(m, x, i, in_chunk_order, stolen);
			/* out_chunk_list is LIFO (page_list_add): freed
			 * newest first. */
			while (nout)
				host_unalloc(m, m->out_chunk[--nout],
					     x->out_order);
			break;
		}
		/* Past this point the chunk cannot fail. Both chunk lists
		 * are LIFO (page_list_add() + page_list_remove_head()): the
		 * inputs are freed newest first, and output extent j gets
		 * the block allocated last but j. */
		for (uint64_t j = 1ull << in_chunk_order; j-- > 0;) {
			uint64_t e = (i << in_chunk_order) + j;

			for (uint64_t k = 1ull << x->in_order; k-- > 0;)
				remove_frame(m, d, (xb_pfn_t)(x->in[e] + k),
					     false);
		}
		for (uint64_t j = 0; j < nout; j++) {
			uint64_t o = (i << out_chunk_order) + j;
			xb_pfn_t mfn = m->out_chunk[nout - 1 - j];

			physmap_add(m, d, XB_MOCK_GUEST_DOMID, x->out[o], mfn,
				    x->out_order);
			x->out[o] = mfn;
		}
	}
	*nr_exchanged = i << in_chunk_order;
	xb_assert_expensive(xb__mock_is_valid(m));
	return rc;
}

/* INVALID_GFN: the gpfn both add_to_physmap calls refuse outright. */
#define INVALID_GFN (~(xb_xen_pfn_t)0)

/*
 * xenmem_add_to_physmap_one() (x86 p2m.c) for XENMAPSPACE_gmfn: the frame
 * behind gfn idx moves to gfn gpfn. What every move of this file does:
 *   - get_gfn_unshare(idx) + get_page_from_mfn(): an unpopulated idx has
 *     no page, -EINVAL, nothing changes;
 *   - the M2P of the frame must name idx (else -EXDEV): always so here,
 *     the checker keeps every mapped frame's M2P pointing back;
 *   - a frame already at gpfn other than this one is "normal domain
 *     memory [...] freed, to avoid leaking memory": guest_remove_page(),
 *     tot_pages - 1 and its content scrubbed;
 *   - p2m_remove_page(idx, 4K) then p2m_add_page(gpfn, 4K): idx becomes
 *     unpopulated (p2m_invalid), and both ends are written as 4 KiB
 *     entries, which splits a 2 MiB entry over either region -- even for
 *     idx == gpfn, where only the removals are skipped.
 * No allocation. A gpfn beyond the model's P2M (gfn_space) is refused
 * (-EINVAL) before anything changes: Xen's P2M would grow there, the
 * mock's does not (as populate refuses it too).
 */
static int move_frame(struct xb_mock *m, struct mock_domain *d, uint64_t idx,
		      uint64_t gpfn)
{
	if (idx >= d->gfn_space || gpfn >= d->gfn_space ||
	    p2m_get(d, idx) == XB_NIL)
		return -EINVAL;
	split_superpage(m, d, idx);
	if (idx == gpfn)
		return 0;
	split_superpage(m, d, gpfn);
	xb_pfn_t mfn = p2m_get(d, idx);
	xb_pfn_t prev = p2m_get(d, gpfn);

	if (prev != XB_NIL)
		remove_frame(m, d, prev, true);
	p2m_clear(d, idx);
	p2m_set(d, gpfn, mfn);
	m->frames[mfn].next = (uint32_t)gpfn;
	return 0;
}

/*
 * XENMEM_add_to_physmap (memory.c: do_memory_op(), xatp_permission_check(),
 * xenmem_add_to_physmap()). Checks in Xen's order: a domain that is not
 * paging_mode_translate (pv) is refused -EACCES; gpfn INVALID_GFN -EINVAL;
 * XENMAPSPACE_gmfn is one move_frame(); XENMAPSPACE_gmfn_range first
 * refuses a range that wraps (-EOVERFLOW), then moves frame by frame,
 * ascending, and stops at the first failure with the earlier frames
 * moved. Xen preempts a long range with a continuation that carries the
 * progress in the command's upper bits (`start + done`); the caller sees
 * one call, and on failure only the error: *nr_done is the mock's
 * knowledge of the frames moved. Spaces that map no guest RAM are not
 * modeled (-EOPNOTSUPP).
 */
static int mock_add_to_physmap(struct xb_backend *be, unsigned space,
			       xb_xen_pfn_t idx, xb_xen_pfn_t gpfn,
			       uint64_t size, uint64_t *nr_done)
{
	struct xb_mock *m = mock(be);
	struct mock_domain *d = guest(m);
	uint64_t i = 0, n = space == XB_MAPSPACE_GMFN_RANGE ? size : 1;
	int rc = 0;

	*nr_done = 0;
	if (d->type == XB_GUEST_PV)
		return -EACCES;
	if (space != XB_MAPSPACE_GMFN && space != XB_MAPSPACE_GMFN_RANGE)
		return -EOPNOTSUPP;
	if (gpfn == INVALID_GFN)
		return -EINVAL;
	if (space == XB_MAPSPACE_GMFN_RANGE &&
	    (gpfn + size < gpfn || idx + size < idx))
		return -EOVERFLOW;
	if (fault_call(m, XB_MOCK_OP_ADD_TO_PHYSMAP))
		return -ENOMEM;
	for (; i < n; i++) {
		if (fault_extent(m, XB_MOCK_OP_ADD_TO_PHYSMAP, i)) {
			rc = -ENOMEM;
			break;
		}
		rc = move_frame(m, d, idx + i, gpfn + i);
		if (rc)
			break;
	}
	*nr_done = i;
	xb_assert_expensive(xb__mock_is_valid(m));
	return rc;
}

/*
 * XENMEM_add_to_physmap_batch (memory.c: do_memory_op(),
 * xenmem_add_to_physmap_batch()). XENMAPSPACE_gmfn_range is refused
 * (-EOPNOTSUPP) before the domain is looked up, so pv gets that too; then
 * pv is refused (-EACCES); an empty batch does nothing. Each entry is one
 * move_frame() whose result goes to errs[i] and does not stop the batch;
 * a gpfn of INVALID_GFN ends the call with -EINVAL, the entries before
 * it tried. A fault-injected entry gets -ENOMEM.
 */
static int mock_add_to_physmap_batch(struct xb_backend *be, unsigned space,
				     const xb_xen_pfn_t *idxs,
				     const xb_xen_pfn_t *gpfns, uint64_t nr,
				     int *errs, uint64_t *nr_done)
{
	struct xb_mock *m = mock(be);
	struct mock_domain *d = guest(m);
	uint64_t i = 0;
	int rc = 0;

	*nr_done = 0;
	if (space == XB_MAPSPACE_GMFN_RANGE)
		return -EOPNOTSUPP;
	if (d->type == XB_GUEST_PV)
		return -EACCES;
	if (space != XB_MAPSPACE_GMFN)
		return -EOPNOTSUPP;
	if (nr == 0)
		return 0;
	if (fault_call(m, XB_MOCK_OP_ADD_TO_PHYSMAP))
		return -ENOMEM;
	for (; i < nr; i++) {
		if (gpfns[i] == INVALID_GFN) {
			rc = -EINVAL;
			break;
		}
		errs[i] = fault_extent(m, XB_MOCK_OP_ADD_TO_PHYSMAP, i)
			      ? -ENOMEM
			      : move_frame(m, d, idxs[i], gpfns[i]);
	}
	*nr_done = i;
	xb_assert_expensive(xb__mock_is_valid(m));
	return rc;
}

/*
 * XEN_DMOP_relocate_memory (x86 hvm/dm.c) -> xenmem_add_to_physmap() with
 * XENMAPSPACE_gmfn_range: move_frame() per frame, ascending, stopping at
 * the first failure (-EINVAL for an unpopulated src). dm_op refuses pv
 * domains (-EINVAL) -- and a domain acting on itself, which is why only
 * dom0 tools have it.
 */
static int mock_relocate(struct xb_backend *be, xb_xen_pfn_t src,
			 xb_xen_pfn_t dst, uint64_t nr, uint64_t *nr_done)
{
	struct xb_mock *m = mock(be);
	struct mock_domain *d = guest(m);
	uint64_t i = 0;
	int rc = 0;

	*nr_done = 0;
	if (d->type == XB_GUEST_PV)
		return -EINVAL;
	if (fault_call(m, XB_MOCK_OP_RELOCATE))
		return -ENOMEM;
	for (; i < nr; i++) {
		if (fault_extent(m, XB_MOCK_OP_RELOCATE, i)) {
			rc = -ENOMEM;
			break;
		}
		rc = move_frame(m, d, src + i, dst + i);
		if (rc)
			break;
	}
	*nr_done = i;
	xb_assert_expensive(xb__mock_is_valid(m));
	return rc;
}

static int mock_reservation(struct xb_backend *be, uint64_t *tot_pages,
			    uint64_t *max_pages)
{
	struct mock_domain *d = guest(mock(be));

	if (tot_pages)
		*tot_pages = d->tot_pages;
	if (max_pages)
		*max_pages = d->max_pages;
	return 0;
}

/*
 * domain_set_outstanding_pages() (page_alloc.c): 0 cancels; one claim at
 * a time (-EINVAL); the target must exceed tot_pages and not exceed
 * max_pages (-EINVAL); the claim is target - tot_pages and must fit in
 * free memory not claimed by others (-ENOMEM).
 */
static int claim(struct xb_mock *m, struct mock_domain *d, uint64_t pages)
{
	if (pages == 0) {
		m->outstanding_claims -= d->outstanding;
		d->outstanding = 0;
		return 0;
	}
	if (d->outstanding)
		return -EINVAL;
	if (pages <= d->tot_pages || pages > d->max_pages)
		return -EINVAL;
	uint64_t avail = m->free_pages > m->outstanding_claims
			     ? m->free_pages - m->outstanding_claims
			     : 0;
	uint64_t c = pages - d->tot_pages;

	if (c > avail)
		return -ENOMEM;
	d->outstanding = c;
	m->outstanding_claims += c;
	return 0;
}

static int mock_claim(struct xb_backend *be, uint64_t nr_pages)
{
	return claim(mock(be), guest(mock(be)), nr_pages);
}

static int mock_guest_info(struct xb_backend *be, struct xb_guest_info *info)
{
	struct mock_domain *d = guest(mock(be));

	info->type = d->type;
	info->memop_max_order = d->memop_max_order;
	info->domid = XB_MOCK_GUEST_DOMID;
	return 0;
}

/* The machine frame behind a data-plane frame number (pv: an mfn the guest
 * owns; else a populated gfn), XB_NIL when the mapping would fail. */
static xb_pfn_t resolve(const struct xb_mock *m, xb_xen_pfn_t frame)
{
	const struct mock_domain *d = guest(m);

	if (d->type == XB_GUEST_PV)
		return owned_by(m, frame, XB_MOCK_GUEST_DOMID) ? (xb_pfn_t)frame
							       : XB_NIL;
	return frame < d->gfn_space ? p2m_get(d, frame) : XB_NIL;
}

static int mock_read_frame(struct xb_backend *be, xb_xen_pfn_t frame, void *buf)
{
	struct xb_mock *m = mock(be);
	xb_pfn_t mfn = resolve(m, frame);

	if (mfn == XB_NIL)
		return -EINVAL;
	const void *data =
	    g_hash_table_lookup(m->content, GUINT_TO_POINTER(mfn));

	if (data)
		memcpy(buf, data, XB_PAGE_SIZE);
	else
		memset(buf, 0, XB_PAGE_SIZE); /* never written: scrubbed */
	return 0;
}

static int mock_write_frame(struct xb_backend *be, xb_xen_pfn_t frame,
			    const void *buf)
{
	struct xb_mock *m = mock(be);
	xb_pfn_t mfn = resolve(m, frame);

	if (mfn == XB_NIL)
		return -EINVAL;
	void *data = g_hash_table_lookup(m->content, GUINT_TO_POINTER(mfn));

	if (!data) {
		data = g_malloc(XB_PAGE_SIZE);
		g_hash_table_insert(m->content, GUINT_TO_POINTER(mfn), data);
	}
	memcpy(data, buf, XB_PAGE_SIZE);
	return 0;
}

static int mock_query(struct xb_backend *be, xb_xen_pfn_t frame,
		      bool *populated)
{
	struct xb_mock *m = mock(be);
	const struct mock_domain *d = guest(m);

	if (d->type != XB_GUEST_PV && frame >= d->gfn_space)
		return -EINVAL;
	*populated = resolve(m, frame) != XB_NIL;
	return 0;
}

static int mock_host_info(struct xb_backend *be, struct xb_host_info *info)
{
	xb_mock_host_info(mock(be), info);
	return 0;
}

/*
 * XEN_DOMCTL_setvnumainfo (domctl.c: vnuma_init(), then the old topology
 * is replaced): a pnode of MAX_NUMNODES or more is -E2BIG; a node
 * without memory is accepted (allocations for it then fall back, or fail
 * when exact). The vmemranges are kept by Xen for the guest to read and
 * checked only for flags, so the mock keeps none. The node affinity is
 * left alone, as 4.17 does.
 */
static int mock_set_vnuma(struct xb_backend *be, const struct xb_vnuma *v)
{
	struct mock_domain *d = guest(mock(be));

	if (v->nr_vnodes == 0 || v->nr_vnodes > XB_MAX_NODES)
		return -EINVAL;
	for (unsigned i = 0; i < v->nr_vnodes; i++)
		if (v->vnode_to_pnode[i] >= MAX_NUMNODES)
			return -E2BIG;
	d->nr_vnodes = v->nr_vnodes;
	memcpy(d->vnode_to_pnode, v->vnode_to_pnode,
	       v->nr_vnodes * sizeof(*v->vnode_to_pnode));
	return 0;
}

/*
 * Creation and teardown.
 */
static int domain_init(struct mock_domain *d, enum xb_guest_type type,
		       uint64_t max_pages, uint64_t gfn_space,
		       unsigned memop_max_order, unsigned nr_nodes)
{
	memset(d, 0, sizeof(*d));
	d->node_affinity = (1ull << nr_nodes) - 1; /* NODE_MASK_ALL, online */
	d->type = type;
	d->max_pages = max_pages;
	d->gfn_space = gfn_space;
	d->memop_max_order = memop_max_order;
	d->nr_regions = (gfn_space + REGION_PAGES - 1) >> REGION_ORDER;
	d->p2m = xb_map_zeroed(gfn_space * sizeof(*d->p2m));
	d->region = xb_map_zeroed(d->nr_regions * sizeof(*d->region));
	d->sp = xb_map_zeroed(d->nr_regions * sizeof(*d->sp));
	if (!d->p2m || !d->region || !d->sp) {
		xb_unmap(d->p2m, gfn_space * sizeof(*d->p2m));
		xb_unmap(d->region, d->nr_regions * sizeof(*d->region));
		xb_unmap(d->sp, d->nr_regions * sizeof(*d->sp));
		d->p2m = NULL;
		d->region = NULL;
		d->sp = NULL;
		return -ENOMEM;
	}
	d->alive = true;
	return 0;
}

static void domain_fini(struct mock_domain *d)
{
	xb_unmap(d->p2m, d->gfn_space * sizeof(*d->p2m));
	xb_unmap(d->region, d->nr_regions * sizeof(*d->region));
	xb_unmap(d->sp, d->nr_regions * sizeof(*d->sp));
	d->p2m = NULL;
	d->region = NULL;
	d->sp = NULL;
	d->alive = false;
}

/*
 * Boot: every frame free, in the largest aligned blocks up to Xen's
 * MAX_ORDER 20, added in ascending order so that the highest block heads
 * each list (4.17's _init_heap_pages() frees ascending chunks;
 * free_heap_pages() adds at the head), each on its node's heap and its
 * zone's lists, never across two zones (Xen keeps frame 0 out of the heap
 * for that; the model's heap holds it, in zone 1 with frame 1) nor two
 * nodes (init_heap_pages() frees node by node). The DMA zone is
 * arch_get_dma_bitsize()'s: the bits of the first node's start plus a
 * quarter of its span (node 0 from frame 0), at most 32. Xen 4.17 uses
 * it only on a host of more than one node; on one node it changes
 * nothing (see host_alloc()).
 */
static void heap_init(struct xb_mock *m)
{
	uint64_t quarter = m->node_start[1] / 4;
	unsigned bits = (quarter > 1 ? xb_buddy_zone_of(quarter - 1) : 0) + 12;

	if (bits > 32)
		bits = 32;
	m->dma_zone = bits < 13 ? 1 : bits - 12; /* bits_to_zone() */
	for (unsigned n = 0; n < m->nr_nodes; n++) {
		struct xb_buddy *h = &m->heap[n];
		uint64_t end = m->node_start[n + 1];

		xb__buddy_init(h, m->frames, end, XB_MAX_LISTS, true);
		h->first_frame = m->node_start[n];
		h->max_order = XB_BUDDY_ORDERS;
		h->zoned = true;
		for (uint64_t pfn = m->node_start[n]; pfn < end;) {
			unsigned o = XB_BUDDY_ORDERS - 1;

			/* Aligned, inside the node, inside one zone. */
			while ((pfn & ((1ull << o) - 1)) ||
			       pfn + (1ull << o) > end ||
			       xb_buddy_zone_of(pfn + (1ull << o) - 1) !=
				   xb_buddy_zone_of(pfn))
				o--;
			xb__buddy_list_add(h, (xb_pfn_t)pfn, o, 0);
			pfn += 1ull << o;
		}
	}
	m->free_pages = m->host_pages;
}

static void mock_close(struct xb_backend *be)
{
	struct xb_mock *m = be->priv;

	if (!m)
		return;
	for (unsigned i = 0; i < m->nr_doms; i++)
		if (m->doms[i].alive)
			domain_fini(&m->doms[i]);
	g_free(m->doms);
	xb_unmap(m->frames, m->host_pages * sizeof(*m->frames));
	if (m->content)
		g_hash_table_destroy(m->content);
	g_free(m);
	be->priv = NULL;
}

static int mock_open(struct xb_backend *be, const struct xb_backend_config *cfg,
		     GError **error)
{
	unsigned order =
	    cfg->memop_max_order ? cfg->memop_max_order : DOMU_MAX_ORDER;

	if (cfg->host_pages == 0 || cfg->host_pages > XB_MAX_FRAMES ||
	    cfg->gfn_space == 0 || cfg->gfn_space > XB_MAX_FRAMES) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "mock: host and guest must have 1..%llu frames "
			    "(host %llu, guest %llu)",
			    (unsigned long long)XB_MAX_FRAMES,
			    (unsigned long long)cfg->host_pages,
			    (unsigned long long)cfg->gfn_space);
		return -EINVAL;
	}
	uint64_t node_sum = 0;

	for (unsigned n = 0; n < cfg->nr_nodes && n < XB_MAX_NODES; n++)
		node_sum += cfg->node_pages[n];
	if (cfg->nr_nodes > XB_MAX_NODES ||
	    (cfg->nr_nodes && node_sum != cfg->host_pages)) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "mock: %u NUMA nodes (at most %u) of %llu frames "
			    "in all, not the host's %llu",
			    cfg->nr_nodes, XB_MAX_NODES,
			    (unsigned long long)node_sum,
			    (unsigned long long)cfg->host_pages);
		return -EINVAL;
	}
	for (unsigned n = 0; n < cfg->nr_nodes; n++)
		if (!cfg->node_pages[n]) {
			g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
				    "mock: NUMA node %u has no memory", n);
			return -EINVAL;
		}
	if (order >= XB_MAX_ORDER || cfg->type > XB_GUEST_PVH) {
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "mock: memop max order %u above %u or bad guest "
			    "type %d",
			    order, XB_MAX_ORDER - 1, (int)cfg->type);
		return -EINVAL;
	}

	struct xb_mock *m = g_new0(struct xb_mock, 1);

	be->priv = m;
	m->host_pages = cfg->host_pages;
	m->nr_nodes = cfg->nr_nodes ? cfg->nr_nodes : 1;
	for (unsigned n = 0; n < m->nr_nodes; n++)
		m->node_start[n + 1] =
		    m->node_start[n] +
		    (cfg->nr_nodes ? cfg->node_pages[n] : cfg->host_pages);
	m->frames = xb_map_zeroed(m->host_pages * sizeof(*m->frames));
	m->nr_doms = XB_MOCK_GUEST_DOMID + 1;
	m->doms = g_new0(struct mock_domain, m->nr_doms);
	m->content =
	    g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	if (!m->frames || domain_init(guest(m), cfg->type, cfg->max_pages,
				      cfg->gfn_space, order, m->nr_nodes)) {
		g_set_error(error, XB_ERROR, XB_ERROR_BACKEND,
			    "mock: cannot map metadata for %llu host frames",
			    (unsigned long long)cfg->host_pages);
		return -ENOMEM;
	}
	heap_init(m);
	xb_rng_seed(&m->rng, cfg->seed);
	xb_mock_clear_faults(m);
	return 0;
}

const struct xb_backend_ops xb__mock_backend_ops = {
    .version = XB_BACKEND_VERSION,
    .name = "mock",
    .description = "mock Xen 4.17 hypervisor: buddy host heap, P2M, "
		   "claims, fault injection",
    .open = mock_open,
    .close = mock_close,
    .populate_physmap = mock_populate,
    .decrease_reservation = mock_decrease,
    .exchange = mock_exchange,
    .add_to_physmap = mock_add_to_physmap,
    .add_to_physmap_batch = mock_add_to_physmap_batch,
    .relocate = mock_relocate,
    .reservation = mock_reservation,
    .claim = mock_claim,
    .guest_info = mock_guest_info,
    .read_frame = mock_read_frame,
    .write_frame = mock_write_frame,
    .query = mock_query,
    .host_info = mock_host_info,
    .set_vnuma = mock_set_vnuma,
};

/*
 * The mock's own API (include/xballoon/mock.h).
 */
struct xb_mock *xb_mock_from_backend(struct xb_backend *be)
{
	if (!be || be->ops != &xb__mock_backend_ops)
		return NULL;
	return be->priv;
}

int xb_mock_add_domain(struct xb_mock *m, enum xb_guest_type type,
		       uint64_t max_pages, uint64_t gfn_space)
{
	if (gfn_space == 0 || gfn_space > XB_MAX_FRAMES || type > XB_GUEST_PVH)
		return -EINVAL;
	if (m->nr_doms >= UINT16_MAX)
		return -ENOSPC;
	m->doms = g_renew(struct mock_domain, m->doms, m->nr_doms + 1);

	int rc = domain_init(&m->doms[m->nr_doms], type, max_pages, gfn_space,
			     DOMU_MAX_ORDER, m->nr_nodes);

	if (rc)
		return rc;
	return (int)m->nr_doms++;
}

int xb_mock_domain_populate(struct xb_mock *m, unsigned domid, uint64_t gfn,
			    unsigned order)
{
	struct mock_domain *d = dom(m, domid);
	xb_pfn_t mfn;

	if (!d)
		return -ESRCH;
	if (order >= XB_MAX_ORDER)
		return -EINVAL;
	int rc = populate_extent(m, d, domid, gfn, order, NO_NODE, false, &mfn);

	xb_assert_expensive(xb__mock_is_valid(m));
	return rc;
}

long xb_mock_domain_free(struct xb_mock *m, unsigned domid, uint64_t gfn,
			 unsigned order)
{
	struct mock_domain *d = dom(m, domid);
	uint64_t j = 0;

	if (!d)
		return -ESRCH;
	if (order >= XB_MAX_ORDER)
		return -EINVAL;
	if (order == REGION_ORDER && (gfn & (REGION_PAGES - 1)) == 0 &&
	    gfn < d->gfn_space && d->sp[gfn >> REGION_ORDER]) {
		free_superpage(m, d, gfn >> REGION_ORDER);
		xb_assert_expensive(xb__mock_is_valid(m));
		return REGION_PAGES;
	}
	split_superpages(m, d, gfn, 1ull << order);
	for (; j < (1ull << order); j++) {
		if (gfn + j >= d->gfn_space || p2m_get(d, gfn + j) == XB_NIL)
			break;
		remove_frame(m, d, p2m_get(d, gfn + j), true);
	}
	xb_assert_expensive(xb__mock_is_valid(m));
	return (long)j;
}

xb_pfn_t xb_mock_domain_mfn(const struct xb_mock *m, unsigned domid,
			    uint64_t gfn)
{
	const struct mock_domain *d = dom(m, domid);

	if (!d || gfn >= d->gfn_space)
		return XB_NIL;
	return p2m_get(d, gfn);
}

int xb_mock_domain_claim(struct xb_mock *m, unsigned domid, uint64_t pages)
{
	struct mock_domain *d = dom(m, domid);

	return d ? claim(m, d, pages) : -ESRCH;
}

int xb_mock_domain_info(const struct xb_mock *m, unsigned domid,
			struct xb_mock_domain_info *info)
{
	const struct mock_domain *d = dom(m, domid);

	if (!d)
		return -ESRCH;
	*info = (struct xb_mock_domain_info){
	    .type = d->type,
	    .tot_pages = d->tot_pages,
	    .max_pages = d->max_pages,
	    .outstanding_pages = d->outstanding,
	    .gfn_space = d->gfn_space,
	    .populated = d->populated,
	    .memop_max_order = d->memop_max_order,
	};
	return 0;
}

unsigned xb_mock_nr_domains(const struct xb_mock *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->nr_doms; i++)
		n += m->doms[i].alive;
	return n;
}

static void fault_rearm(struct mock_fault *f)
{
	f->armed = f->at != XB_MOCK_NEVER || f->p > 0;
}

void xb_mock_fail_call(struct xb_mock *m, enum xb_mock_op op, uint64_t n)
{
	xb_assert(op < XB_MOCK_OP_NR);
	m->fault[op].countdown = n;
}

void xb_mock_fail_probability(struct xb_mock *m, enum xb_mock_op op, double p)
{
	xb_assert(op < XB_MOCK_OP_NR);
	m->fault[op].p = p;
	fault_rearm(&m->fault[op]);
}

void xb_mock_fail_at(struct xb_mock *m, enum xb_mock_op op, uint64_t k)
{
	xb_assert(op < XB_MOCK_OP_NR);
	m->fault[op].at = k;
	fault_rearm(&m->fault[op]);
}

void xb_mock_fail_host_order(struct xb_mock *m, unsigned order)
{
	m->fail_host_order = order;
}

void xb_mock_clear_faults(struct xb_mock *m)
{
	for (unsigned op = 0; op < XB_MOCK_OP_NR; op++)
		m->fault[op] = (struct mock_fault){.at = XB_MOCK_NEVER};
	m->fail_host_order = XB_BUDDY_ORDERS;
}

const struct xb_mock_stats *xb_mock_stats(const struct xb_mock *m)
{
	return &m->stats;
}

const struct xb_buddy *xb_mock_host_heap(const struct xb_mock *m)
{
	return &m->heap[0];
}

const struct xb_buddy *xb_mock_node_heap(const struct xb_mock *m, unsigned node)
{
	return node < m->nr_nodes ? &m->heap[node] : NULL;
}

unsigned xb_mock_nr_nodes(const struct xb_mock *m)
{
	return m->nr_nodes;
}

int xb_mock_node_of(const struct xb_mock *m, uint64_t mfn)
{
	return mfn < m->host_pages ? (int)node_of(m, mfn) : -1;
}

int xb_mock_set_node_affinity(struct xb_mock *m, unsigned domid, uint64_t mask)
{
	struct mock_domain *d = dom(m, domid);
	uint64_t online = (1ull << m->nr_nodes) - 1;

	if (!d)
		return -ESRCH;
	/* domain_set_node_affinity(): a mask with no online node is
	 * -EINVAL; the full online mask means "automatic" again. */
	if (!(mask & online))
		return -EINVAL;
	d->node_affinity = mask & online;
	return 0;
}

void xb_mock_set_privileged(struct xb_mock *m, bool privileged)
{
	m->privileged = privileged;
}

int xb_mock_gfn_nodes(const struct xb_mock *m, unsigned domid, uint64_t gfn,
		      uint64_t n, uint64_t pages[XB_MAX_NODES])
{
	const struct mock_domain *d = dom(m, domid);

	if (!d)
		return -ESRCH;
	memset(pages, 0, XB_MAX_NODES * sizeof(*pages));
	if (gfn >= d->gfn_space)
		return 0;
	n = MIN(n, d->gfn_space - gfn);
	for (uint64_t g = gfn; g < gfn + n;) {
		uint64_t r = g >> REGION_ORDER;

		if (d->region[r] == 0 || d->sp[r]) {
			/* Empty, or one block on one node. */
			uint64_t end = MIN((r + 1) << REGION_ORDER, gfn + n);

			if (d->sp[r])
				pages[node_of(m, d->sp[r] - 1u)] += end - g;
			g = end;
			continue;
		}
		xb_pfn_t mfn = p2m_get(d, g);

		if (mfn != XB_NIL)
			pages[node_of(m, mfn)]++;
		g++;
	}
	return 0;
}

uint64_t xb_mock_nr_written_frames(const struct xb_mock *m)
{
	return g_hash_table_size(m->content);
}

double xb_mock_p2m_superpage_coverage(const struct xb_mock *m, unsigned domid)
{
	const struct mock_domain *d = dom(m, domid);

	if (!d)
		return -1;
	if (!d->populated)
		return 0;
	return (double)(d->nr_sp << REGION_ORDER) / (double)d->populated;
}

double xb_mock_contiguity_2m(const struct xb_mock *m, unsigned domid)
{
	const struct mock_domain *d = dom(m, domid);
	uint64_t covered = 0;

	if (!d)
		return -1;
	if (!d->populated)
		return 0;
	for (uint64_t r = 0; r < d->nr_regions; r++) {
		if (d->region[r] != REGION_PAGES)
			continue;
		if (d->sp[r]) {
			covered += REGION_PAGES;
			continue;
		}
		uint64_t gfn = r << REGION_ORDER;
		xb_pfn_t base = p2m_get(d, gfn);
		unsigned j = 1;

		if (base & (REGION_PAGES - 1))
			continue;
		while (j < REGION_PAGES && p2m_get(d, gfn + j) == base + j)
			j++;
		if (j == REGION_PAGES)
			covered += REGION_PAGES;
	}
	return (double)covered / (double)d->populated;
}

void xb_mock_host_info(const struct xb_mock *m, struct xb_host_info *info)
{
	memset(info, 0, sizeof(*info));
	info->total_pages = m->host_pages;
	info->free_pages = m->free_pages;
	/* buddyinfo has orders 0..10: a free block of a higher order
	 * counts as its 4 MiB pieces under 10. */
	for (unsigned node = 0; node < m->nr_nodes; node++) {
		const struct xb_buddy *h = &m->heap[node];

		info->nodes[node].total_pages =
		    m->node_start[node + 1] - m->node_start[node];
		info->nodes[node].free_pages = h->nr_free_pages;
		info->nodes[node].guest_pages =
		    (int64_t)guest(m)->node_pages[node];
		for (unsigned o = 0; o < XB_BUDDY_ORDERS; o++) {
			uint64_t n = xb_buddy_nr_free(h, o);

			info->buddyinfo[MIN(o, 10u)] +=
			    o > 10 ? n << (o - 10) : n;
			if (o >= REGION_ORDER) {
				info->free_2m_blocks += n << (o - REGION_ORDER);
				info->nodes[node].free_2m_blocks +=
				    n << (o - REGION_ORDER);
			}
		}
	}
	info->nr_nodes = m->nr_nodes;
	info->p2m_superpage_coverage =
	    xb_mock_p2m_superpage_coverage(m, XB_MOCK_GUEST_DOMID);
	info->contiguity_2m = xb_mock_contiguity_2m(m, XB_MOCK_GUEST_DOMID);
}

/*
 * The checker.
 */

bool xb__mock_summaries_ok(const struct xb_mock *m)
{
	uint64_t free_pages = 0, owned = 0, claims = 0;

	for (unsigned n = 0; n < m->nr_nodes; n++) {
		if (!xb__buddy_summaries_ok(&m->heap[n]))
			return false;
		free_pages += m->heap[n].nr_free_pages;
	}
	XB_CHECK(free_pages == m->free_pages,
		 "mock: the node heaps hold %lu free frames, free_pages %lu",
		 (unsigned long)free_pages, (unsigned long)m->free_pages);
	for (unsigned id = 1; id < m->nr_doms; id++) {
		const struct mock_domain *d = &m->doms[id];
		uint64_t on_nodes = 0;

		if (!d->alive)
			continue;
		for (unsigned n = 0; n < m->nr_nodes; n++)
			on_nodes += d->node_pages[n];
		XB_CHECK(on_nodes == d->tot_pages &&
			     d->tot_pages <= d->max_pages,
			 "mock: d%u has tot_pages %lu (max %lu), %lu on its "
			 "nodes",
			 id, (unsigned long)d->tot_pages,
			 (unsigned long)d->max_pages, (unsigned long)on_nodes);
		owned += d->tot_pages;
		claims += d->outstanding;
	}
	XB_CHECK(free_pages + owned == m->host_pages,
		 "mock: %lu free + %lu owned frames of %lu",
		 (unsigned long)free_pages, (unsigned long)owned,
		 (unsigned long)m->host_pages);
	XB_CHECK(claims == m->outstanding_claims,
		 "mock: domains claim %lu, outstanding_claims %lu",
		 (unsigned long)claims, (unsigned long)m->outstanding_claims);
	return true;
}

bool xb__mock_is_valid(const struct xb_mock *m)
{
	/* Freed on every return: XB_CHECK() returns from the middle. */
	g_autofree uint64_t *owned = g_new0(uint64_t, m->nr_doms);
	g_autofree uint64_t *owned_node =
	    g_new0(uint64_t, (size_t)m->nr_doms * XB_MAX_NODES);
	uint64_t claims = 0, allocated = 0, free_pages = 0;
	GHashTableIter it;
	gpointer key;

	XB_CHECK(m->nr_nodes >= 1 && m->nr_nodes <= XB_MAX_NODES &&
		     m->node_start[0] == 0 &&
		     m->node_start[m->nr_nodes] == m->host_pages,
		 "mock: %u nodes over %lu frames, the last ending at %lu",
		 m->nr_nodes, (unsigned long)m->host_pages,
		 (unsigned long)m->node_start[m->nr_nodes]);
	for (unsigned n = 0; n < m->nr_nodes; n++) {
		const struct xb_buddy *h = &m->heap[n];

		XB_CHECK(m->node_start[n] < m->node_start[n + 1] &&
			     h->first_frame == m->node_start[n] &&
			     h->nr_frames == m->node_start[n + 1],
			 "mock: node %u heap manages [%lu, %lu), its range "
			 "is [%lu, %lu)",
			 n, (unsigned long)h->first_frame,
			 (unsigned long)h->nr_frames,
			 (unsigned long)m->node_start[n],
			 (unsigned long)m->node_start[n + 1]);
		if (!xb__buddy_is_valid(h))
			return false;
		free_pages += h->nr_free_pages;
	}
	XB_CHECK(free_pages == m->free_pages,
		 "mock: the node heaps hold %lu free pages, free_pages %lu",
		 (unsigned long)free_pages, (unsigned long)m->free_pages);
	for (uint64_t mfn = 0; mfn < m->host_pages;) {
		const struct xb_frame *f = &m->frames[mfn];

		if (f->state == XB_FRAME_FREE) {
			mfn += 1ull << f->order;
			continue;
		}
		XB_CHECK(f->state == XB_FRAME_ALLOC &&
			     (f->order == 0 || f->order == REGION_ORDER),
			 "mock: mfn %lu has state %u order %u",
			 (unsigned long)mfn, f->state, f->order);
		XB_CHECK(!(f->flags & MOCK_FRAME_STOLEN),
			 "mock: mfn %lu left stolen", (unsigned long)mfn);
		const struct mock_domain *d = dom(m, f->owner);

		XB_CHECK(d, "mock: mfn %lu owned by dead domain %u",
			 (unsigned long)mfn, f->owner);
		if (f->order == REGION_ORDER) {
			/* A block behind a superpage entry: the entry of
			 * the region its M2P names must name it back. */
			XB_CHECK(d->type != XB_GUEST_PV &&
				     (f->next & (REGION_PAGES - 1)) == 0 &&
				     f->next < d->gfn_space &&
				     d->sp[f->next >> REGION_ORDER] == mfn + 1,
				 "mock: d%u superpage block %lu M2P %u is not "
				 "its region's entry",
				 f->owner, (unsigned long)mfn, f->next);
			owned[f->owner] += REGION_PAGES;
			owned_node[f->owner * XB_MAX_NODES + node_of(m, mfn)] +=
			    REGION_PAGES;
			allocated += REGION_PAGES;
			mfn += REGION_PAGES;
			continue;
		}
		owned[f->owner]++;
		owned_node[f->owner * XB_MAX_NODES + node_of(m, mfn)]++;
		allocated++;
		/* Translated domains: an M2P entry always points back
		 * (p2m_add_page() invalidates it when the gfn is retaken). */
		if (d->type != XB_GUEST_PV && f->next != XB_NIL)
			XB_CHECK(f->next < d->gfn_space &&
				     p2m_get(d, f->next) == mfn,
				 "mock: d%u mfn %lu M2P %u, P2M there is %u",
				 f->owner, (unsigned long)mfn, f->next,
				 f->next < d->gfn_space ? p2m_get(d, f->next)
							: XB_NIL);
		mfn++;
	}
	XB_CHECK(allocated + m->free_pages == m->host_pages,
		 "mock: %lu allocated + %lu free != %lu machine frames",
		 (unsigned long)allocated, (unsigned long)m->free_pages,
		 (unsigned long)m->host_pages);

	for (unsigned id = 0; id < m->nr_doms; id++) {
		const struct mock_domain *d = dom(m, id);
		uint64_t populated = 0, nr_sp = 0;

		if (!d) {
			XB_CHECK(owned[id] == 0, "mock: dead d%u owns frames",
				 id);
			continue;
		}
		for (uint64_t r = 0; r < d->nr_regions; r++) {
			uint64_t end =
			    MIN((r + 1) << REGION_ORDER, d->gfn_space);
			unsigned n = 0;

			if (d->sp[r]) {
				xb_pfn_t base = d->sp[r] - 1u;
				const struct xb_frame *h = &m->frames[base];

				XB_CHECK(d->type != XB_GUEST_PV &&
					     end - (r << REGION_ORDER) ==
						 REGION_PAGES &&
					     base < m->host_pages &&
					     (base & (REGION_PAGES - 1)) == 0 &&
					     h->state == XB_FRAME_ALLOC &&
					     h->order == REGION_ORDER &&
					     h->owner == id &&
					     h->next == r << REGION_ORDER,
					 "mock: d%u region %lu superpage entry "
					 "%u names no 2 MiB block of its own",
					 id, (unsigned long)r, base);
				XB_CHECK(d->region[r] == REGION_PAGES,
					 "mock: d%u superpage region %lu "
					 "counts %u",
					 id, (unsigned long)r, d->region[r]);
				for (uint64_t g = r << REGION_ORDER; g < end;
				     g++)
					XB_CHECK(
					    d->p2m[g] == 0,
					    "mock: d%u gfn %lu has a 4 KiB "
					    "entry under a superpage",
					    id, (unsigned long)g);
				populated += REGION_PAGES;
				nr_sp++;
				continue;
			}

			for (uint64_t gfn = r << REGION_ORDER; gfn < end;
			     gfn++) {
				xb_pfn_t mfn = p2m_get(d, gfn);

				if (mfn == XB_NIL)
					continue;
				n++;
				XB_CHECK(
				    owned_by(m, mfn, id) &&
					m->frames[mfn].next == gfn,
				    "mock: d%u gfn %lu -> mfn %u, which is "
				    "not its own or whose M2P is %u",
				    id, (unsigned long)gfn, mfn,
				    mfn < m->host_pages ? m->frames[mfn].next
							: XB_NIL);
			}
			XB_CHECK(n == d->region[r],
				 "mock: d%u region %lu counts %u, P2M has %u",
				 id, (unsigned long)r, d->region[r], n);
			populated += n;
		}
		XB_CHECK(populated == d->populated,
			 "mock: d%u populated %lu, P2M has %lu", id,
			 (unsigned long)d->populated, (unsigned long)populated);
		XB_CHECK(nr_sp == d->nr_sp,
			 "mock: d%u counts %lu superpage entries, P2M has %lu",
			 id, (unsigned long)d->nr_sp, (unsigned long)nr_sp);
		XB_CHECK(owned[id] == d->tot_pages,
			 "mock: d%u tot_pages %lu, owns %lu frames", id,
			 (unsigned long)d->tot_pages, (unsigned long)owned[id]);
		for (unsigned n = 0; n < XB_MAX_NODES; n++)
			XB_CHECK(
			    owned_node[id * XB_MAX_NODES + n] ==
				d->node_pages[n],
			    "mock: d%u counts %lu frames on node %u, owns "
			    "%lu",
			    id, (unsigned long)d->node_pages[n], n,
			    (unsigned long)owned_node[id * XB_MAX_NODES + n]);
		XB_CHECK(d->node_affinity && !(d->node_affinity >> m->nr_nodes),
			 "mock: d%u node affinity %#lx outside the %u nodes",
			 id, (unsigned long)d->node_affinity, m->nr_nodes);
		for (unsigned v = 0; v < d->nr_vnodes; v++)
			XB_CHECK(d->vnode_to_pnode[v] < MAX_NUMNODES,
				 "mock: d%u vnode %u on pnode %u", id, v,
				 d->vnode_to_pnode[v]);
		XB_CHECK(d->tot_pages <= d->max_pages,
			 "mock: d%u tot_pages %lu > max_pages %lu", id,
			 (unsigned long)d->tot_pages,
			 (unsigned long)d->max_pages);
		claims += d->outstanding;
	}
	XB_CHECK(claims == m->outstanding_claims,
		 "mock: claims add up to %lu, outstanding_claims %lu",
		 (unsigned long)claims, (unsigned long)m->outstanding_claims);

	g_hash_table_iter_init(&it, (GHashTable *)m->content);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		uint64_t mfn = GPOINTER_TO_UINT(key);

		XB_CHECK(mfn < m->host_pages &&
			     m->frames[mfn].state == XB_FRAME_ALLOC,
			 "mock: content kept for free mfn %lu",
			 (unsigned long)mfn);
	}
	return true;
}
