/*
 * The backend conformance cases (see conformance.h). Each case states one
 * behaviour of Xen 4.17 seen from dom0 on an empty domain, with exact
 * counts; frame numbers are gfns for hvm/pvh and machine frames (taken
 * from populate's answer) for pv, as real Xen takes them.
 */
#include <errno.h>
#include <string.h>

#include "conformance.h"

#define HVMS  ((1u << XB_GUEST_HVM) | (1u << XB_GUEST_PVH))
#define PV    (1u << XB_GUEST_PV)
#define ALL   (HVMS | PV)
#define ROOMY 4096 /* max_pages when the case is not about the limit */

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long va_ = (long long)(a), vb_ = (long long)(b);          \
		if (va_ != vb_)                                                \
			return g_strdup_printf("line %d: %s is %lld, "         \
					       "expected %lld (%s)",           \
					       __LINE__, #a, va_, vb_, #b);    \
	} while (0)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			return g_strdup_printf("line %d: %s", __LINE__,        \
					       #cond);                         \
	} while (0)

const char *xb_conf_type_name(enum xb_guest_type type)
{
	return type == XB_GUEST_PV    ? "pv"
	       : type == XB_GUEST_PVH ? "pvh"
				      : "hvm";
}

static long long tot(struct xb_backend *be)
{
	uint64_t t, mx;
	int rc = xb_reservation(be, &t, &mx);

	return rc < 0 ? rc : (long long)t;
}

/* 1 populated, 0 not, -errno when the backend cannot tell. */
static int populated(struct xb_backend *be, xb_xen_pfn_t frame)
{
	bool p;
	int rc = xb_query(be, frame, &p);

	return rc < 0 ? rc : p;
}

/* Populate frames [first, first + n) at order 0 in one call; for pv, e[]
 * receives the machine frames. Returns the extents done. */
static long populate_run(struct xb_backend *be, xb_xen_pfn_t *e,
			 xb_xen_pfn_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		e[i] = first + i;
	return xb_populate_physmap(be, e, n, 0);
}

static void fill(uint8_t *buf, unsigned seed)
{
	for (unsigned i = 0; i < XB_PAGE_SIZE; i++)
		buf[i] = (uint8_t)(seed * 131 + i * 7);
}

/* ---- populate ----------------------------------------------------------- */

static char *populate_order0(struct xb_backend *be, enum xb_guest_type type)
{
	xb_xen_pfn_t e[8];

	CHECK_EQ(populate_run(be, e, 16, 8), 8);
	CHECK_EQ(tot(be), 8);
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(populated(be, e[i]), 1);
	if (type != XB_GUEST_PV)
		CHECK_EQ(populated(be, 24), 0);
	return NULL;
}

static char *populate_order9(struct xb_backend *be, enum xb_guest_type type)
{
	xb_xen_pfn_t e[1] = {512};

	CHECK_EQ(xb_populate_physmap(be, e, 1, 9), 1);
	CHECK_EQ(tot(be), 512);
	if (type == XB_GUEST_PV) {
		/* A 2 MiB extent is 2 MiB of machine memory, aligned. */
		CHECK_EQ(e[0] % 512, 0);
		CHECK_EQ(populated(be, e[0] + 511), 1);
	} else {
		CHECK_EQ(e[0], 512);
		CHECK_EQ(populated(be, 512), 1);
		CHECK_EQ(populated(be, 1023), 1);
		CHECK_EQ(populated(be, 1024), 0);
	}
	return NULL;
}

/* max_pages 3: the fourth extent fails and ends the call. */
static char *populate_stops_at_max_pages(struct xb_backend *be,
					 enum xb_guest_type type)
{
	xb_xen_pfn_t e[5];

	CHECK_EQ(populate_run(be, e, 0, 5), 3);
	CHECK_EQ(tot(be), 3);
	if (type != XB_GUEST_PV)
		CHECK_EQ(populated(be, 3), 0);
	return NULL;
}

/* max_pages 513: an order-9 extent that does not fit fails whole. */
static char *order9_past_max_pages_fails_whole(struct xb_backend *be,
					       enum xb_guest_type type)
{
	xb_xen_pfn_t e[2] = {0, 512};

	CHECK_EQ(xb_populate_physmap(be, e, 2, 9), 1);
	CHECK_EQ(tot(be), 512);
	if (type != XB_GUEST_PV)
		CHECK_EQ(populated(be, 512), 0);
	return NULL;
}

static char *order_above_memop_max(struct xb_backend *be,
				   enum xb_guest_type type)
{
	xb_xen_pfn_t e[1] = {0};

	CHECK_EQ(xb_populate_physmap(be, e, 1, 10), 0);
	CHECK_EQ(tot(be), 0);
	CHECK_EQ(xb_populate_physmap(be, e, 1, 9), 1);
	CHECK_EQ(xb_decrease_reservation(be, e, 1, 10), 0);
	CHECK_EQ(tot(be), 512);
	return NULL;
}

/* A batched P2M query answers as single queries do. */
static char *query_frames_batch(struct xb_backend *be, enum xb_guest_type type)
{
	xb_xen_pfn_t e[3], q[5];
	bool p[5];

	CHECK_EQ(populate_run(be, e, 40, 3), 3);
	CHECK_EQ(xb_decrease_reservation(be, &e[1], 1, 0), 1);
	/* Populated, given back, populated, never populated (twice). */
	q[0] = e[0], q[1] = e[1], q[2] = e[2];
	q[3] = type == XB_GUEST_PV ? 0 : 50;
	q[4] = type == XB_GUEST_PV ? 0 : 51;
	CHECK_EQ(xb_query_frames(be, q, 5, p), 0);
	CHECK(p[0] && !p[1] && p[2] && !p[3] && !p[4]);
	return NULL;
}

/* ---- decrease ----------------------------------------------------------- */

static char *decrease_stops_at_unpopulated(struct xb_backend *be,
					   enum xb_guest_type type)
{
	xb_xen_pfn_t e[4];

	CHECK_EQ(populate_run(be, e, 0, 4), 4);
	e[0] = 0, e[1] = 1, e[2] = 7, e[3] = 2;
	CHECK_EQ(xb_decrease_reservation(be, e, 4, 0), 2);
	CHECK_EQ(tot(be), 2);
	CHECK_EQ(populated(be, 0), 0);
	CHECK_EQ(populated(be, 2), 1);
	e[0] = 5;
	CHECK_EQ(xb_decrease_reservation(be, e, 1, 0), 0);
	CHECK_EQ(tot(be), 2);
	return NULL;
}

/* An order-9 decrease over a hole: the frames before it are gone. */
static char *
failed_decrease_keeps_earlier_frames_removed(struct xb_backend *be,
					     enum xb_guest_type type)
{
	xb_xen_pfn_t *e = g_new(xb_xen_pfn_t, 512);
	char *fail = NULL;
	long n1 = populate_run(be, e, 0, 100);
	long n2 = populate_run(be, e, 101, 411);

	e[0] = 0;
	if (n1 != 100 || n2 != 411)
		fail = g_strdup_printf("populated %ld and %ld, expected 100 "
				       "and 411",
				       n1, n2);
	else if (tot(be) != 511)
		fail = g_strdup_printf("tot_pages %lld, expected 511", tot(be));
	else if (xb_decrease_reservation(be, e, 1, 9) != 0)
		fail = g_strdup("the order-9 decrease over a hole succeeded");
	else if (tot(be) != 411)
		fail = g_strdup_printf("tot_pages %lld after the decrease, "
				       "expected 411",
				       tot(be));
	else if (populated(be, 99) != 0 || populated(be, 101) != 1)
		fail = g_strdup("gfn 99 should be gone and 101 kept");
	g_free(e);
	return fail;
}

static char *pv_decrease_takes_machine_frames(struct xb_backend *be,
					      enum xb_guest_type type)
{
	xb_xen_pfn_t e[8];

	CHECK_EQ(populate_run(be, e, 0, 8), 8);
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < i; j++)
			CHECK(e[i] != e[j]);
	CHECK_EQ(xb_decrease_reservation(be, e, 8, 0), 8);
	CHECK_EQ(tot(be), 0);
	CHECK_EQ(populated(be, e[0]), 0);
	/* Given back, the same machine frame is no longer the guest's. */
	CHECK_EQ(xb_decrease_reservation(be, e, 1, 0), 0);
	return NULL;
}

/* ---- exchange ----------------------------------------------------------- */

static char *exchange_refused_for_hvm_and_pvh(struct xb_backend *be,
					      enum xb_guest_type type)
{
	xb_xen_pfn_t in[1], out[1] = {40};
	struct xb_exchange x = {in, 1, 0, out, 1, 0, 0, 0};
	uint64_t done = 7;

	CHECK_EQ(populate_run(be, in, 30, 1), 1);
	CHECK_EQ(xb_exchange(be, &x, &done), -EOPNOTSUPP);
	CHECK_EQ(done, 0);
	CHECK_EQ(tot(be), 1);
	CHECK_EQ(populated(be, 30), 1);
	CHECK_EQ(populated(be, 40), 0);
	return NULL;
}

static char *exchange_sizes_must_match(struct xb_backend *be,
				       enum xb_guest_type type)
{
	xb_xen_pfn_t in[1], out[2] = {40, 41};
	struct xb_exchange x = {in, 1, 0, out, 2, 0, 0, 0};
	uint64_t done;

	CHECK_EQ(populate_run(be, in, 30, 1), 1);
	CHECK_EQ(xb_exchange(be, &x, &done), -EINVAL);
	CHECK_EQ(tot(be), 1);
	return NULL;
}

/* 512 frames become one 2 MiB-aligned, contiguous extent, even at the
 * domain's limit: exchange outputs are not counted against max_pages. */
static char *pv_exchange_to_order9(struct xb_backend *be,
				   enum xb_guest_type type)
{
	xb_xen_pfn_t *in = g_new(xb_xen_pfn_t, 512), out[1] = {1024};
	struct xb_exchange x = {in, 512, 0, out, 1, 9, 0, 0};
	uint64_t done = 0;
	char *fail = NULL;
	long n = populate_run(be, in, 1024, 512);
	int rc = n == 512 ? xb_exchange(be, &x, &done) : 0;

	if (n != 512)
		fail = g_strdup_printf("populated %ld, expected 512", n);
	else if (rc != 0 || done != 512)
		fail = g_strdup_printf("exchange returned %d with %lu done, "
				       "expected 0 and 512",
				       rc, (unsigned long)done);
	else if (out[0] % 512 != 0)
		fail = g_strdup_printf("output mfn %#lx is not 2 MiB-aligned",
				       (unsigned long)out[0]);
	else if (tot(be) != 512)
		fail = g_strdup_printf("tot_pages %lld, expected 512", tot(be));
	else if (populated(be, out[0]) != 1 || populated(be, out[0] + 511) != 1)
		fail = g_strdup("the output extent is not the guest's");
	else if (populated(be, in[0]) != 0)
		fail = g_strdup("an input frame is still the guest's");
	g_free(in);
	return fail;
}

/* Exchange is atomic per chunk: a bad third input (machine frame 0, which
 * is never a guest's) ends the call after two chunks, which stay done. */
static char *pv_exchange_reports_progress(struct xb_backend *be,
					  enum xb_guest_type type)
{
	xb_xen_pfn_t in[4], out[4] = {100, 101, 102, 103};
	struct xb_exchange x = {in, 4, 0, out, 4, 0, 0, 0};
	uint64_t done = 0;
	xb_xen_pfn_t kept;

	CHECK_EQ(populate_run(be, in, 0, 4), 4);
	kept = in[2];
	in[2] = 0;
	CHECK_EQ(xb_exchange(be, &x, &done), -EINVAL);
	CHECK_EQ(done, 2);
	CHECK_EQ(tot(be), 4);
	CHECK_EQ(populated(be, out[0]), 1);
	CHECK_EQ(populated(be, out[1]), 1);
	/* (in[0] may come back as out[1]: chunks free their inputs.) */
	CHECK_EQ(populated(be, kept), 1);
	CHECK_EQ(populated(be, in[3]), 1);
	return NULL;
}

/* XENMEMF_address_bits on exchange's output (memory_exchange() passes
 * MEMF_bits to alloc_domheap_pages(), which caps the zones at
 * bits_to_zone()): a plain exchange takes its frame from the highest zone
 * with memory (get_free_buddy()); capped one zone lower, the frame lies
 * below that zone. */
static char *pv_exchange_address_bits(struct xb_backend *be,
				      enum xb_guest_type type)
{
	xb_xen_pfn_t in[2], out[2] = {100, 101};
	struct xb_exchange x = {in, 1, 0, out, 1, 0, 0, 0};
	uint64_t done = 0;
	unsigned top;

	CHECK_EQ(populate_run(be, in, 0, 2), 2);
	CHECK_EQ(xb_exchange(be, &x, &done), 0);
	CHECK_EQ(done, 1);
	/* The zone of a plain allocation: fls(mfn) (page_to_zone()). */
	top = 64 - (unsigned)__builtin_clzll(out[0] | 1);
	CHECK(top > 2);
	struct xb_exchange y = {
	    in + 1, 1, 0, out + 1, 1, 0, top - 1 + XB_PAGE_SHIFT, 0};

	CHECK_EQ(xb_exchange(be, &y, &done), 0);
	CHECK_EQ(done, 1);
	CHECK(out[1] < (1ull << (top - 1)));
	CHECK_EQ(populated(be, out[1]), 1);
	CHECK_EQ(populated(be, in[1]), 0);
	CHECK_EQ(tot(be), 2);
	return NULL;
}

/* ---- add_to_physmap and its batch -----------------------------------------
 */

#define GMFN	   XB_MAPSPACE_GMFN
#define GMFN_RANGE XB_MAPSPACE_GMFN_RANGE

/* Xen keeps no P2M for pv (not paging_mode_translate): both calls are
 * refused before anything is looked at, the batch's gmfn_range even
 * before the domain is (-EOPNOTSUPP). */
static char *add_to_physmap_refused_on_pv(struct xb_backend *be,
					  enum xb_guest_type type)
{
	xb_xen_pfn_t e[1], gpfn = 20;
	int errs[1] = {7};
	uint64_t done = 9;

	CHECK_EQ(populate_run(be, e, 10, 1), 1);
	CHECK_EQ(xb_add_to_physmap(be, GMFN, e[0], 20, 0, &done), -EACCES);
	CHECK_EQ(done, 0);
	CHECK_EQ(xb_add_to_physmap(be, GMFN_RANGE, e[0], 20, 1, &done),
		 -EACCES);
	CHECK_EQ(
	    xb_add_to_physmap_batch(be, GMFN, &e[0], &gpfn, 1, errs, &done),
	    -EACCES);
	CHECK_EQ(done, 0);
	CHECK_EQ(xb_add_to_physmap_batch(be, GMFN_RANGE, &e[0], &gpfn, 1, errs,
					 &done),
		 -EOPNOTSUPP);
	CHECK_EQ(tot(be), 1);
	CHECK_EQ(populated(be, e[0]), 1);
	return NULL;
}

/* XENMAPSPACE_gmfn: the frame and its contents move, idx is left
 * unpopulated, nothing is allocated. */
static char *add_to_physmap_moves_frame_and_content(struct xb_backend *be,
						    enum xb_guest_type type)
{
	uint8_t want[XB_PAGE_SIZE], got[XB_PAGE_SIZE];
	xb_xen_pfn_t e[1];
	uint64_t done = 0;

	CHECK_EQ(populate_run(be, e, 10, 1), 1);
	fill(want, 5);
	CHECK_EQ(xb_write_frame(be, 10, want), 0);
	CHECK_EQ(xb_add_to_physmap(be, GMFN, 10, 20, 0, &done), 0);
	CHECK_EQ(done, 1);
	CHECK_EQ(tot(be), 1);
	CHECK_EQ(populated(be, 10), 0);
	CHECK_EQ(populated(be, 20), 1);
	CHECK_EQ(xb_read_frame(be, 20, got), 0);
	CHECK(memcmp(want, got, XB_PAGE_SIZE) == 0);
	/* Moving a frame onto its own gfn moves nothing. */
	CHECK_EQ(xb_add_to_physmap(be, GMFN, 20, 20, 0, &done), 0);
	CHECK_EQ(tot(be), 1);
	CHECK_EQ(xb_read_frame(be, 20, got), 0);
	CHECK(memcmp(want, got, XB_PAGE_SIZE) == 0);
	return NULL;
}

/* The frame that was at gpfn is freed (guest_remove_page()); an
 * unpopulated idx fails with nothing changed; gpfn ~0 is refused. */
static char *add_to_physmap_frees_the_old_frame(struct xb_backend *be,
						enum xb_guest_type type)
{
	uint8_t want[XB_PAGE_SIZE], got[XB_PAGE_SIZE];
	xb_xen_pfn_t e[1];
	uint64_t done = 9;

	CHECK_EQ(populate_run(be, e, 10, 1), 1);
	CHECK_EQ(populate_run(be, e, 20, 1), 1);
	fill(want, 6);
	CHECK_EQ(xb_write_frame(be, 10, want), 0);
	CHECK_EQ(tot(be), 2);
	CHECK_EQ(xb_add_to_physmap(be, GMFN, 10, 20, 0, &done), 0);
	CHECK_EQ(tot(be), 1);
	CHECK_EQ(populated(be, 10), 0);
	CHECK_EQ(xb_read_frame(be, 20, got), 0);
	CHECK(memcmp(want, got, XB_PAGE_SIZE) == 0);
	CHECK_EQ(xb_add_to_physmap(be, GMFN, 30, 40, 0, &done), -EINVAL);
	CHECK_EQ(done, 0);
	CHECK_EQ(populated(be, 40), 0);
	CHECK_EQ(xb_add_to_physmap(be, GMFN, 20, ~0ull, 0, &done), -EINVAL);
	CHECK_EQ(tot(be), 1);
	CHECK_EQ(populated(be, 20), 1);
	return NULL;
}

/* XENMAPSPACE_gmfn_range moves frame by frame, ascending, and stops at
 * the first idx it cannot move; the frames before it stay moved. */
static char *add_to_physmap_range_stops_at_unpopulated(struct xb_backend *be,
						       enum xb_guest_type type)
{
	xb_xen_pfn_t e[16];
	uint64_t done = 0;

	CHECK_EQ(populate_run(be, e, 100, 16), 16);
	CHECK_EQ(xb_add_to_physmap(be, GMFN_RANGE, 100, 200, 16, &done), 0);
	CHECK_EQ(done, 16);
	CHECK_EQ(tot(be), 16);
	CHECK_EQ(populated(be, 100), 0);
	CHECK_EQ(populated(be, 115), 0);
	CHECK_EQ(populated(be, 200), 1);
	CHECK_EQ(populated(be, 215), 1);
	/* 214, 215 then the hole at 216. */
	CHECK_EQ(xb_add_to_physmap(be, GMFN_RANGE, 214, 300, 3, &done),
		 -EINVAL);
	CHECK_EQ(done, 2);
	CHECK_EQ(tot(be), 16);
	CHECK_EQ(populated(be, 300), 1);
	CHECK_EQ(populated(be, 301), 1);
	CHECK_EQ(populated(be, 302), 0);
	CHECK_EQ(populated(be, 214), 0);
	/* A range that wraps is refused whole. */
	CHECK_EQ(xb_add_to_physmap(be, GMFN_RANGE, 200, ~0ull - 1, 4, &done),
		 -EOVERFLOW);
	CHECK_EQ(populated(be, 200), 1);
	return NULL;
}

/* The batch: every entry on its own, its result in errs[]; a populated
 * gpfn loses its frame; idx == gpfn moves nothing. */
static char *add_to_physmap_batch_per_entry_errors(struct xb_backend *be,
						   enum xb_guest_type type)
{
	xb_xen_pfn_t e[3];
	const xb_xen_pfn_t idxs[4] = {10, 50, 12, 11},
			   gpfns[4] = {40, 41, 20, 11};
	int errs[4] = {7, 7, 7, 7};
	uint64_t done = 0;

	CHECK_EQ(populate_run(be, e, 10, 3), 3);
	CHECK_EQ(populate_run(be, e, 20, 1), 1);
	CHECK_EQ(xb_add_to_physmap_batch(be, GMFN, idxs, gpfns, 4, errs, &done),
		 0);
	CHECK_EQ(done, 4);
	CHECK_EQ(errs[0], 0);
	CHECK_EQ(errs[1], -EINVAL);
	CHECK_EQ(errs[2], 0);
	CHECK_EQ(errs[3], 0);
	CHECK_EQ(tot(be), 3);
	CHECK_EQ(populated(be, 10), 0);
	CHECK_EQ(populated(be, 40), 1);
	CHECK_EQ(populated(be, 41), 0);
	CHECK_EQ(populated(be, 12), 0);
	CHECK_EQ(populated(be, 20), 1);
	CHECK_EQ(populated(be, 11), 1);
	return NULL;
}

/* A gpfn of ~0 (INVALID_GFN) ends the batch with -EINVAL; the entries
 * before it are done. gmfn_range is no batch space (-EOPNOTSUPP). */
static char *add_to_physmap_batch_stops_at_invalid_gfn(struct xb_backend *be,
						       enum xb_guest_type type)
{
	xb_xen_pfn_t e[3];
	const xb_xen_pfn_t idxs[3] = {10, 11, 12}, gpfns[3] = {30, ~0ull, 32};
	int errs[3] = {7, 7, 7};
	uint64_t done = 9;

	CHECK_EQ(populate_run(be, e, 10, 3), 3);
	CHECK_EQ(xb_add_to_physmap_batch(be, GMFN_RANGE, idxs, gpfns, 1, errs,
					 &done),
		 -EOPNOTSUPP);
	CHECK_EQ(done, 0);
	CHECK_EQ(populated(be, 10), 1);
	CHECK_EQ(xb_add_to_physmap_batch(be, GMFN, idxs, gpfns, 3, errs, &done),
		 -EINVAL);
	CHECK_EQ(done, 1);
	CHECK_EQ(errs[0], 0);
	CHECK_EQ(tot(be), 3);
	CHECK_EQ(populated(be, 30), 1);
	CHECK_EQ(populated(be, 11), 1);
	CHECK_EQ(populated(be, 12), 1);
	CHECK_EQ(populated(be, 32), 0);
	return NULL;
}

/* ---- relocate ----------------------------------------------------------- */

static char *relocate_refused_on_pv(struct xb_backend *be,
				    enum xb_guest_type type)
{
	xb_xen_pfn_t e[1];
	uint64_t done = 9;

	CHECK_EQ(populate_run(be, e, 10, 1), 1);
	CHECK_EQ(xb_relocate(be, e[0], 20, 1, &done), -EINVAL);
	CHECK_EQ(done, 0);
	CHECK_EQ(tot(be), 1);
	return NULL;
}

static char *relocate_moves_frame_and_content(struct xb_backend *be,
					      enum xb_guest_type type)
{
	uint8_t want[XB_PAGE_SIZE], got[XB_PAGE_SIZE];
	xb_xen_pfn_t e[1];
	uint64_t done = 0;

	CHECK_EQ(populate_run(be, e, 10, 1), 1);
	fill(want, 3);
	CHECK_EQ(xb_write_frame(be, 10, want), 0);
	CHECK_EQ(xb_relocate(be, 10, 20, 1, &done), 0);
	CHECK_EQ(done, 1);
	CHECK_EQ(tot(be), 1);
	CHECK_EQ(populated(be, 10), 0);
	CHECK_EQ(populated(be, 20), 1);
	CHECK_EQ(xb_read_frame(be, 20, got), 0);
	CHECK(memcmp(want, got, XB_PAGE_SIZE) == 0);
	return NULL;
}

static char *relocate_onto_populated_dst(struct xb_backend *be,
					 enum xb_guest_type type)
{
	xb_xen_pfn_t e[1];
	uint64_t done = 0;

	CHECK_EQ(populate_run(be, e, 10, 1), 1);
	CHECK_EQ(populate_run(be, e, 20, 1), 1);
	CHECK_EQ(tot(be), 2);
	CHECK_EQ(xb_relocate(be, 10, 20, 1, &done), 0);
	CHECK_EQ(done, 1);
	CHECK_EQ(tot(be), 1);
	CHECK_EQ(populated(be, 10), 0);
	return NULL;
}

static char *relocate_stops_at_unpopulated_src(struct xb_backend *be,
					       enum xb_guest_type type)
{
	xb_xen_pfn_t e[2];
	uint64_t done = 0;

	CHECK_EQ(populate_run(be, e, 10, 2), 2);
	CHECK(xb_relocate(be, 10, 30, 3, &done) < 0);
	CHECK_EQ(done, 2);
	CHECK_EQ(tot(be), 2);
	CHECK_EQ(populated(be, 30), 1);
	CHECK_EQ(populated(be, 31), 1);
	CHECK_EQ(populated(be, 32), 0);
	return NULL;
}

/* ---- data plane, claims, limits ----------------------------------------- */

static char *data_plane_round_trip(struct xb_backend *be,
				   enum xb_guest_type type)
{
	uint8_t want[XB_PAGE_SIZE], got[XB_PAGE_SIZE], zero[XB_PAGE_SIZE];
	xb_xen_pfn_t e[1];

	memset(zero, 0, sizeof(zero));
	CHECK_EQ(populate_run(be, e, 5, 1), 1);
	CHECK_EQ(xb_read_frame(be, e[0], got), 0);
	CHECK(memcmp(got, zero, XB_PAGE_SIZE) == 0);
	fill(want, 9);
	CHECK_EQ(xb_write_frame(be, e[0], want), 0);
	CHECK_EQ(xb_read_frame(be, e[0], got), 0);
	CHECK(memcmp(want, got, XB_PAGE_SIZE) == 0);
	if (type != XB_GUEST_PV)
		CHECK(xb_read_frame(be, 6, got) < 0);
	return NULL;
}

/* Xen's domain_set_outstanding_pages(): one claim at a time, above
 * tot_pages and at most max_pages; 0 cancels it. */
static char *claims_follow_xen_rules(struct xb_backend *be,
				     enum xb_guest_type type)
{
	xb_xen_pfn_t e[4];

	CHECK_EQ(populate_run(be, e, 0, 4), 4);
	CHECK_EQ(xb_claim(be, ROOMY + 1), -EINVAL);
	CHECK_EQ(xb_claim(be, 4), -EINVAL);
	CHECK_EQ(xb_claim(be, 64), 0);
	CHECK_EQ(xb_claim(be, 128), -EINVAL);
	CHECK_EQ(xb_claim(be, 0), 0);
	CHECK_EQ(xb_claim(be, 128), 0);
	CHECK_EQ(xb_claim(be, 0), 0);
	return NULL;
}

static char *reservation_and_guest_info(struct xb_backend *be,
					enum xb_guest_type type)
{
	struct xb_guest_info gi;
	uint64_t t = 1, mx = 0;

	CHECK_EQ(xb_reservation(be, &t, &mx), 0);
	CHECK_EQ(t, 0);
	CHECK_EQ(mx, ROOMY);
	CHECK_EQ(xb_guest_info(be, &gi), 0);
	CHECK_EQ(gi.type, type);
	CHECK_EQ(gi.memop_max_order, 9);
	return NULL;
}

/* ---- NUMA ---------------------------------------------------------------- */

/*
 * Node-exact populate through vNUMA (XENMEMF_vnode | exact_node_request:
 * construct_memop_from_reservation() translates the vnode; the same for a
 * guest and for dom0, unlike a physical node, which only dom0 may name).
 * vnode v is on pnode v. Real Xen's per-node free memory also moves with
 * whatever else allocates (dom0, the domain's own structures), so the
 * checks allow NUMA_SLACK pages of noise; the mock moves by exactly the
 * extents.
 */
#define NUMA_SLACK 256

struct node_free {
	unsigned nr;
	uint64_t free[XB_MAX_NODES];
};

static int node_free(struct xb_backend *be, struct node_free *nf)
{
	struct xb_host_info hi;
	int rc = xb_host_info(be, &hi);

	if (rc < 0)
		return rc;
	*nf = (struct node_free){.nr = hi.nr_nodes};
	for (unsigned n = 0; n < hi.nr_nodes; n++)
		nf->free[n] = hi.nodes[n].free_pages;
	return 0;
}

/* Real Xen gives a destroyed domain's memory back to the heap in the
 * background (domain_relinquish_resources() runs as continuations), so
 * the previous case's scratch domain can still be raising a node's free
 * memory: read until two readings 100 ms apart agree (at most 5 s). The
 * mock's agree at once. */
static int node_free_settled(struct xb_backend *be, struct node_free *nf)
{
	struct node_free again;
	int rc = node_free(be, nf);

	for (int i = 0; rc == 0 && i < 50; i++) {
		g_usleep(100000);
		rc = node_free(be, &again);
		if (rc == 0 && !memcmp(nf->free, again.free, sizeof(nf->free)))
			break;
		*nf = again;
	}
	return rc;
}

/* The vNUMA of the NUMA cases, or a skip when the host has one node. */
static char *numa_setup(struct xb_backend *be, struct node_free *nf)
{
	struct xb_vnuma v = {.nr_vnodes = 2,
			     .vnode_to_pnode = {0, 1},
			     .vnode_pages = {1u << 19, 1u << 19}};
	int rc = node_free_settled(be, nf);

	if (rc < 0)
		return g_strdup_printf("line %d: host_info: %s", __LINE__,
				       g_strerror(-rc));
	if (nf->nr < 2)
		return g_strdup_printf(XB_CONF_SKIP "the host has %u NUMA "
						    "node(s), the case needs 2",
				       nf->nr);
	rc = xb_set_vnuma(be, &v);
	if (rc < 0)
		return g_strdup_printf("line %d: set_vnuma: %s", __LINE__,
				       g_strerror(-rc));
	return NULL;
}

/* How many pages node n lost between two readings. */
static long long node_drop(const struct node_free *a, const struct node_free *b,
			   unsigned n)
{
	return (long long)a->free[n] - (long long)b->free[n];
}

static char *numa_exact_vnode_lands_on_its_node(struct xb_backend *be,
						enum xb_guest_type type)
{
	struct node_free before, after;
	xb_xen_pfn_t e[4] = {0, 512, 1024, 1536};
	char *skip = numa_setup(be, &before);

	if (skip)
		return skip;
	/* 8 MiB on vnode 1 = pnode 1, then 8 MiB on vnode 0. */
	CHECK_EQ(xb_populate_physmap_flags(be, e, 4, 9, XB_MEMF_EXACT_VNODE(1)),
		 4);
	CHECK_EQ(node_free(be, &after), 0);
	CHECK(node_drop(&before, &after, 1) >= 2048 &&
	      node_drop(&before, &after, 1) < 2048 + NUMA_SLACK);
	CHECK(node_drop(&before, &after, 0) < NUMA_SLACK);
	before = after;
	for (unsigned i = 0; i < 4; i++)
		e[i] = 2048 + 512 * i;
	CHECK_EQ(xb_populate_physmap_flags(be, e, 4, 9, XB_MEMF_EXACT_VNODE(0)),
		 4);
	CHECK_EQ(node_free(be, &after), 0);
	CHECK(node_drop(&before, &after, 0) >= 2048 &&
	      node_drop(&before, &after, 0) < 2048 + NUMA_SLACK);
	CHECK(node_drop(&before, &after, 1) < NUMA_SLACK);
	CHECK_EQ(tot(be), 4096);
	if (type != XB_GUEST_PV)
		CHECK_EQ(populated(be, 3583), 1);
	return NULL;
}

/* Fill pnode 1 through vnode 1 exactly, in 2 MiB extents then 4 KiB ones,
 * from gfn *next on; returns the pages populated, -1 on a backend error. */
static long long fill_vnode1(struct xb_backend *be, xb_xen_pfn_t *next,
			     uint64_t limit)
{
	xb_xen_pfn_t e[64];
	long long pages = 0;

	for (unsigned order = 9;; order = 0) {
		for (;;) {
			for (unsigned i = 0; i < G_N_ELEMENTS(e); i++)
				e[i] = *next + ((uint64_t)i << order);
			long rc = xb_populate_physmap_flags(
			    be, e, G_N_ELEMENTS(e), order,
			    XB_MEMF_EXACT_VNODE(1));

			if (rc < 0)
				return -1;
			*next += (uint64_t)rc << order;
			pages += rc << order;
			if (rc < (long)G_N_ELEMENTS(e) ||
			    (uint64_t)pages >= limit)
				break;
		}
		/* After the 2 MiB extents, the 4 KiB frames left. */
		*next = (*next + 511) & ~(xb_xen_pfn_t)511;
		if (order == 0)
			return pages;
	}
}

static char *numa_exact_vnode_refused_when_node_full(struct xb_backend *be,
						     enum xb_guest_type type)
{
	struct node_free before, full, after;
	xb_xen_pfn_t next = 0, e;
	char *skip = numa_setup(be, &before);

	if (skip)
		return skip;
	CHECK(before.free[1] < (1u << 19)); /* the case's max_pages fits it */
	long long pages = fill_vnode1(be, &next, 1u << 19);

	CHECK(pages > 0);
	CHECK(pages + NUMA_SLACK >= (long long)before.free[1]);
	CHECK_EQ(tot(be), pages);
	CHECK_EQ(node_free(be, &full), 0);
	CHECK(full.free[1] < NUMA_SLACK);
	/* Exact: the extent fails, nothing is taken. */
	e = next;
	CHECK_EQ(
	    xb_populate_physmap_flags(be, &e, 1, 0, XB_MEMF_EXACT_VNODE(1)), 0);
	CHECK_EQ(tot(be), pages);
	/* Not exact: Xen falls back to the other node. */
	e = next + 512;
	CHECK_EQ(xb_populate_physmap_flags(be, &e, 1, 9,
					   XB_MEMF_NODE(1) | XB_MEMF_VNODE),
		 1);
	CHECK_EQ(tot(be), pages + 512);
	CHECK_EQ(node_free(be, &after), 0);
	CHECK(node_drop(&full, &after, 0) >= 512);
	/* A vnode beyond the topology: nothing done, no error. */
	e = next + 1024;
	CHECK_EQ(
	    xb_populate_physmap_flags(be, &e, 1, 0, XB_MEMF_EXACT_VNODE(2)), 0);
	CHECK_EQ(tot(be), pages + 512);
	(void)type;
	return NULL;
}

const struct xb_conf_case xb_conf_cases[] = {
    {"populate_order0", ALL, populate_order0, ROOMY, 0},
    {"populate_order9", ALL, populate_order9, ROOMY, 0},
    {"populate_stops_at_max_pages", ALL, populate_stops_at_max_pages, 3, 0},
    {"order9_past_max_pages_fails_whole", ALL,
     order9_past_max_pages_fails_whole, 513, 0},
    {"order_above_memop_max", ALL, order_above_memop_max, ROOMY, 0},
    {"query_frames_batch", ALL, query_frames_batch, ROOMY, 0},
    {"decrease_stops_at_unpopulated", HVMS, decrease_stops_at_unpopulated,
     ROOMY, 0},
    {"failed_decrease_keeps_earlier_frames_removed", HVMS,
     failed_decrease_keeps_earlier_frames_removed, ROOMY, 0},
    {"pv_decrease_takes_machine_frames", PV, pv_decrease_takes_machine_frames,
     ROOMY, 0},
    {"exchange_refused_for_hvm_and_pvh", HVMS, exchange_refused_for_hvm_and_pvh,
     ROOMY, 0},
    {"exchange_sizes_must_match", ALL, exchange_sizes_must_match, ROOMY, 0},
    {"pv_exchange_to_order9", PV, pv_exchange_to_order9, 512, 0},
    {"pv_exchange_reports_progress", PV, pv_exchange_reports_progress, ROOMY,
     0},
    {"pv_exchange_address_bits", PV, pv_exchange_address_bits, ROOMY, 0},
    {"add_to_physmap_refused_on_pv", PV, add_to_physmap_refused_on_pv, ROOMY,
     0},
    {"add_to_physmap_moves_frame_and_content", HVMS,
     add_to_physmap_moves_frame_and_content, ROOMY, 0},
    {"add_to_physmap_frees_the_old_frame", HVMS,
     add_to_physmap_frees_the_old_frame, ROOMY, 0},
    {"add_to_physmap_range_stops_at_unpopulated", HVMS,
     add_to_physmap_range_stops_at_unpopulated, ROOMY, 0},
    {"add_to_physmap_batch_per_entry_errors", HVMS,
     add_to_physmap_batch_per_entry_errors, ROOMY, 0},
    {"add_to_physmap_batch_stops_at_invalid_gfn", HVMS,
     add_to_physmap_batch_stops_at_invalid_gfn, ROOMY, 0},
    {"relocate_refused_on_pv", PV, relocate_refused_on_pv, ROOMY, 0},
    {"relocate_moves_frame_and_content", HVMS, relocate_moves_frame_and_content,
     ROOMY, 0},
    {"relocate_onto_populated_dst", HVMS, relocate_onto_populated_dst, ROOMY,
     0},
    {"relocate_stops_at_unpopulated_src", HVMS,
     relocate_stops_at_unpopulated_src, ROOMY, 0},
    {"data_plane_round_trip", ALL, data_plane_round_trip, ROOMY, 0},
    {"claims_follow_xen_rules", ALL, claims_follow_xen_rules, ROOMY, 0},
    {"reservation_and_guest_info", ALL, reservation_and_guest_info, ROOMY, 0},
    {"numa_exact_vnode_lands_on_its_node", ALL,
     numa_exact_vnode_lands_on_its_node, ROOMY, 2},
    {"numa_exact_vnode_refused_when_node_full", HVMS,
     numa_exact_vnode_refused_when_node_full, 1u << 19, 2},
    {0},
};

char *xb_conf_run_case(const struct xb_conf_case *c, enum xb_guest_type type,
		       xb_conf_open_fn open, void *priv)
{
	GError *err = NULL;
	struct xb_backend *be =
	    open(priv, type, c->max_pages, c->nr_nodes, &err);
	char *fail;

	if (!be) {
		fail = g_strdup_printf("cannot open a %s domain: %s",
				       xb_conf_type_name(type),
				       err ? err->message : "?");
		g_clear_error(&err);
		return fail;
	}
	fail = c->run(be, type);
	xb_backend_close(be);
	return fail;
}
