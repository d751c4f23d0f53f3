/*
 * The mock's superpage P2M entries: an aligned 2 MiB populate maps one
 * entry over one host record, and every later 4 KiB change splits it
 * without changing anything the backend answers: mfns, tot_pages, host
 * heap shape, 2 MiB contiguity, and the checker's verdict. What it does
 * change is the P2M superpage coverage: Xen never merges a split entry
 * back, however the region is refilled, except by a new 2 MiB populate.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "xballoon/backend.h"
#include "xballoon/mock.h"

#define HOST 4096u
#define GFNS 2048u

static struct xb_backend *be;
static struct xb_mock *m;

static void init(void)
{
	struct xb_backend_config cfg = {
	    .type = XB_GUEST_HVM,
	    .max_pages = HOST,
	    .gfn_space = GFNS,
	    .host_pages = HOST,
	    .seed = 42,
	    .domid = -1,
	};
	GError *err = NULL;

	be = xb_backend_open(&xb__mock_backend_ops, &cfg, &err);
	cr_assert_not_null(be, "%s", err ? err->message : "?");
	m = xb_mock_from_backend(be);
}

static void fini(void)
{
	cr_assert(xb__mock_is_valid(m));
	xb_backend_close(be);
}

TestSuite(mock_superpage, .init = init, .fini = fini);

static uint64_t tot(void)
{
	uint64_t t, mx;

	cr_assert_eq(xb_reservation(be, &t, &mx), 0);
	return t;
}

static void buddyinfo(uint64_t out[XB_MAX_ORDER])
{
	struct xb_host_info hi;

	xb_mock_host_info(m, &hi);
	memcpy(out, hi.buddyinfo, sizeof(hi.buddyinfo));
}

static void populate9(uint64_t gfn)
{
	xb_xen_pfn_t e = gfn;

	cr_assert_eq(xb_populate_physmap(be, &e, 1, 9), 1);
}

static void one_frame(uint64_t gfn, bool populate)
{
	xb_xen_pfn_t e = gfn;

	if (populate)
		cr_assert_eq(xb_populate_physmap(be, &e, 1, 0), 1);
	else
		cr_assert_eq(xb_decrease_reservation(be, &e, 1, 0), 1);
}

static double p2m_sp(void)
{
	return xb_mock_p2m_superpage_coverage(m, XB_MOCK_GUEST_DOMID);
}

static double contig(void)
{
	return xb_mock_contiguity_2m(m, XB_MOCK_GUEST_DOMID);
}

/* Host 4096 frames: four order-10 blocks, the highest at the list head;
 * Xen's split hands out the top half, so the first 2 MiB extent gets mfn
 * 3584 and the lower half 3072 stays free. */
Test(mock_superpage, populate_maps_the_region_through_one_entry)
{
	populate9(512);
	cr_assert(xb__mock_is_valid(m));
	for (uint64_t j = 0; j < 512; j++)
		cr_assert_eq(
		    xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 512 + j),
		    3584 + j);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 511), XB_NIL);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 1024), XB_NIL);
	cr_assert_eq(tot(), 512);
	cr_assert_float_eq(
	    xb_mock_p2m_superpage_coverage(m, XB_MOCK_GUEST_DOMID), 1.0, 1e-12);
	bool populated = false;

	cr_assert_eq(xb_query(be, 1023, &populated), 0);
	cr_assert(populated);
}

/* A 4 KiB decrease inside the region splits the entry: the other 511
 * gfns keep their frames, the freed one is an order-0 free block. */
Test(mock_superpage, four_k_decrease_splits_the_entry)
{
	xb_xen_pfn_t e = 700;

	populate9(512);
	cr_assert_eq(xb_decrease_reservation(be, &e, 1, 0), 1);
	cr_assert(xb__mock_is_valid(m));
	cr_assert_eq(tot(), 511);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 700), XB_NIL);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 701),
		     3584 + 189);
	/* Zone 12: mfns 2048..4095. */
	cr_assert_eq(xb_mock_host_heap(m)->area[0][12].nr_free, 1);
	cr_assert_eq(xb_mock_host_heap(m)->area[0][12].head, 3584 + 188);
	cr_assert_float_eq(
	    xb_mock_p2m_superpage_coverage(m, XB_MOCK_GUEST_DOMID), 0.0, 1e-12);
	/* Give the rest back frame by frame: the heap is whole again. */
	for (uint64_t g = 512; g < 1024; g++) {
		e = g;
		if (g != 700)
			cr_assert_eq(xb_decrease_reservation(be, &e, 1, 0), 1);
	}
	cr_assert_eq(tot(), 0);
	cr_assert_eq(xb_mock_host_heap(m)->nr_free_pages, HOST);
	cr_assert_eq(xb_mock_host_heap(m)->area[11][12].head, 2048,
		     "the boot shape: zone 12 whole");
}

/* An order-9 decrease of a superpage region frees the block at once and
 * leaves the heap as it was before the populate. */
Test(mock_superpage, two_meg_decrease_restores_the_heap)
{
	uint64_t before[XB_MAX_ORDER], after[XB_MAX_ORDER];
	xb_xen_pfn_t e = 0;

	buddyinfo(before);
	populate9(0);
	cr_assert_eq(xb_mock_host_heap(m)->nr_free_pages, HOST - 512);
	cr_assert_eq(xb_decrease_reservation(be, &e, 1, 9), 1);
	buddyinfo(after);
	cr_assert_arr_eq(before, after, sizeof(before));
	cr_assert_eq(xb_mock_host_heap(m)->area[11][12].head, 2048);
	cr_assert_eq(tot(), 0);
}

/* Relocation moves a frame out of a superpage region (hvm relocate): the
 * entry splits and the target gfn gets the same mfn. */
Test(mock_superpage, relocate_splits_source_and_target)
{
	uint64_t done = 0;

	populate9(0);
	populate9(512);
	cr_assert_eq(xb_relocate(be, 10, 1500, 1, &done), 0);
	cr_assert_eq(done, 1);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 1500),
		     3584 + 10);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 10), XB_NIL);
	/* Onto a populated gfn of the other superpage: its frame goes. */
	cr_assert_eq(xb_relocate(be, 11, 600, 1, &done), 0);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 600),
		     3584 + 11);
	cr_assert_eq(tot(), 1023);
	cr_assert_eq(p2m_sp(), 0);
	cr_assert(xb__mock_is_valid(m));
}

/* XENMAPSPACE_gmfn out of one superpage onto a populated gfn of another:
 * p2m_remove_page(idx, 4K), guest_remove_page(gpfn) and p2m_add_page(gpfn,
 * 4K) each write a 4 KiB entry, so both 2 MiB entries split. */
Test(mock_superpage, add_to_physmap_splits_source_and_target)
{
	uint64_t done = 0;

	populate9(0);
	populate9(512);
	cr_assert_eq(p2m_sp(), 1.0);
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN, 10, 600, 0, &done),
		     0);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 600),
		     3584 + 10);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 10), XB_NIL);
	cr_assert_eq(tot(), 1023);
	cr_assert_eq(p2m_sp(), 0);
	cr_assert(xb__mock_is_valid(m));
}

/* A whole region moved elsewhere by one gmfn_range: the frames are the
 * same aligned 2 MiB block, so the target region is machine-contiguous,
 * but it is mapped by 512 4 KiB entries (no merge), and the source's
 * entry is gone. */
Test(mock_superpage, range_move_of_a_region_stays_4k)
{
	uint64_t done = 0;

	populate9(0);
	cr_assert_eq(
	    xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, 0, 1024, 512, &done),
	    0);
	cr_assert_eq(done, 512);
	cr_assert_eq(tot(), 512);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 1024), 3584);
	cr_assert_eq(contig(), 1.0);
	cr_assert_eq(p2m_sp(), 0.0);
	cr_assert(xb__mock_is_valid(m));
}

/* A batch entry that fails moves nothing and splits nothing; one that
 * moves a frame onto itself splits its region. */
Test(mock_superpage, batch_splits_only_where_it_writes)
{
	const xb_xen_pfn_t idxs[2] = {1100, 5}, gpfns[2] = {7, 5};
	int errs[2];
	uint64_t done = 0;

	populate9(0);
	populate9(512);
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, idxs, gpfns,
					     1, errs, &done),
		     0);
	cr_assert_eq(errs[0], -EINVAL);
	cr_assert_eq(p2m_sp(), 1.0);
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, &idxs[1],
					     &gpfns[1], 1, errs, &done),
		     0);
	cr_assert_eq(errs[0], 0);
	cr_assert_float_eq(p2m_sp(), 0.5, 1e-12);
	cr_assert_eq(tot(), 1024);
}

/* The case: one 4 KiB frame goes and comes back. The host hands
 * the same frame back (the smallest free block), so the region is
 * machine-contiguous again, but its 2 MiB entry stays split. */
Test(mock_superpage, refilled_4k_hole_stays_split_though_contiguous)
{
	populate9(512);
	cr_assert_eq(p2m_sp(), 1.0);
	cr_assert_eq(contig(), 1.0);
	one_frame(700, false);
	one_frame(700, true);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 700),
		     3584 + 188);
	cr_assert_eq(tot(), 512);
	cr_assert_eq(contig(), 1.0);
	cr_assert_eq(p2m_sp(), 0.0);
	/* A superpage next to it keeps its entry: half the memory. */
	populate9(0);
	cr_assert_float_eq(p2m_sp(), 0.5, 1e-12);
	cr_assert_eq(contig(), 1.0);
}

/* Emptied (here by one order-9 decrease, which Xen does frame by frame)
 * and populated again by an aligned order-9 extent: p2m_set_entry() with
 * order 9 writes a fresh 2 MiB entry. */
Test(mock_superpage, order9_populate_of_an_emptied_region_is_a_superpage)
{
	xb_xen_pfn_t e = 512;

	populate9(512);
	one_frame(700, false);
	one_frame(700, true);
	cr_assert_eq(p2m_sp(), 0.0);
	cr_assert_eq(xb_decrease_reservation(be, &e, 1, 9), 1);
	cr_assert_eq(tot(), 0);
	populate9(512);
	cr_assert_eq(p2m_sp(), 1.0);
	cr_assert_eq(contig(), 1.0);
}

/* Populated frame by frame with the right frames, a region is never a
 * superpage: there is no merge. */
Test(mock_superpage, 4k_populates_never_make_a_superpage)
{
	xb_xen_pfn_t e[512];

	/* Descending gfns get the descending frames of one split block:
	 * gfn -> mfn ascending, aligned, contiguous. */
	for (unsigned j = 0; j < 512; j++)
		e[j] = 1023 - j;
	cr_assert_eq(xb_populate_physmap(be, e, 512, 0), 512);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 512), 3584);
	cr_assert_eq(contig(), 1.0);
	cr_assert_eq(p2m_sp(), 0.0);
}

/* p2m_add_page() of an order-9 extent over a populated region: the old
 * frames lose their M2P and stay the domain's (orphans), and the region
 * is one 2 MiB entry. */
Test(mock_superpage, order9_populate_over_a_populated_region_maps_one_entry)
{
	one_frame(5, true);
	xb_pfn_t old = xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 5);

	populate9(0);
	cr_assert_eq(tot(), 513);
	cr_assert_neq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 5), old);
	cr_assert_eq(p2m_sp(), 1.0);
	cr_assert(xb__mock_is_valid(m));
	/* Over a superpage, too: its block becomes 512 orphans. */
	populate9(0);
	cr_assert_eq(tot(), 1025);
	cr_assert_eq(p2m_sp(), 1.0);
	cr_assert(xb__mock_is_valid(m));
}

/* xenmem_add_to_physmap_one() with src == dst removes nothing but still
 * rewrites the gfn with a 4 KiB entry: the 2 MiB entry splits. */
Test(mock_superpage, relocate_onto_itself_splits)
{
	uint64_t done = 0;

	populate9(0);
	cr_assert_eq(xb_relocate(be, 5, 5, 1, &done), 0);
	cr_assert_eq(done, 1);
	cr_assert_eq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 5), 3584 + 5);
	cr_assert_eq(p2m_sp(), 0.0);
	cr_assert_eq(contig(), 1.0);
}

/* Populating over a populated superpage region (hvm: the old frames stay
 * the domain's as orphans) splits it first. */
Test(mock_superpage, populate_over_a_superpage_orphans_its_frame)
{
	xb_xen_pfn_t e = 5;

	populate9(0);
	cr_assert_eq(xb_populate_physmap(be, &e, 1, 0), 1);
	cr_assert_eq(tot(), 513);
	cr_assert_neq(xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, 5), 3584 + 5);
	cr_assert(xb__mock_is_valid(m));
}

/* The toolstack path: a neighbour's 2 MiB extents freed whole. */
Test(mock_superpage, neighbour_frees_a_superpage_whole)
{
	int id = xb_mock_add_domain(m, XB_GUEST_HVM, 1024, 1024);

	cr_assert_geq(id, 2);
	cr_assert_eq(xb_mock_domain_populate(m, (unsigned)id, 512, 9), 0);
	cr_assert_eq(xb_mock_domain_mfn(m, (unsigned)id, 513), 3584 + 1);
	cr_assert_eq(xb_mock_domain_free(m, (unsigned)id, 512, 9), 512);
	cr_assert_eq(xb_mock_domain_mfn(m, (unsigned)id, 513), XB_NIL);
	cr_assert_eq(xb_mock_host_heap(m)->nr_free_pages, HOST);
	/* Part of one, frame by frame, stops at the first unpopulated gfn. */
	cr_assert_eq(xb_mock_domain_populate(m, (unsigned)id, 0, 9), 0);
	cr_assert_eq(xb_mock_domain_free(m, (unsigned)id, 256, 8), 256);
	cr_assert_eq(xb_mock_domain_free(m, (unsigned)id, 0, 9), 256);
	cr_assert_eq(xb_mock_host_heap(m)->nr_free_pages, HOST);
}
