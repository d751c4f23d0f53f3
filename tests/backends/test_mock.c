/*
 * The mock hypervisor's Xen 4.17 semantics, one test per behaviour: host
 * allocation order, extents done and first failures, max_pages, memop max
 * order, exchange, relocate, pv machine frames, claims, fault injection,
 * metrics, the data plane and the checker.
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

static void open_mock(enum xb_guest_type type, uint64_t max_pages)
{
	struct xb_backend_config cfg = {
	    .type = type,
	    .max_pages = max_pages,
	    .gfn_space = GFNS,
	    .host_pages = HOST,
	    .seed = 42,
	    .domid = -1,
	};
	GError *err = NULL;

	be = xb_backend_open(&xb__mock_backend_ops, &cfg, &err);
	cr_assert_not_null(be, "%s", err ? err->message : "?");
	m = xb_mock_from_backend(be);
	cr_assert_not_null(m);
}

static void fini(void)
{
	if (be)
		cr_assert(xb__mock_is_valid(m));
	xb_backend_close(be);
	be = NULL;
	m = NULL;
}

static void init_hvm(void)
{
	open_mock(XB_GUEST_HVM, HOST);
}

static void init_pv(void)
{
	open_mock(XB_GUEST_PV, HOST);
}

TestSuite(mock, .init = init_hvm, .fini = fini);
TestSuite(mock_pv, .init = init_pv, .fini = fini);
TestSuite(mock_open, .fini = fini);

static uint64_t tot(void)
{
	uint64_t t, mx;

	cr_assert_eq(xb_reservation(be, &t, &mx), 0);
	return t;
}

static uint64_t host_free(void)
{
	struct xb_host_info hi;

	xb_mock_host_info(m, &hi);
	return hi.free_pages;
}

static uint64_t mfn_of(uint64_t gfn)
{
	return xb_mock_domain_mfn(m, XB_MOCK_GUEST_DOMID, gfn);
}

/* Populate gfns [first, first + n) at order 0, one call. */
static void populate_range(uint64_t first, uint64_t n)
{
	xb_xen_pfn_t *e = g_new(xb_xen_pfn_t, n);

	for (uint64_t i = 0; i < n; i++)
		e[i] = first + i;
	cr_assert_eq(xb_populate_physmap(be, e, n, 0), (long)n);
	g_free(e);
}

/*
 * Boot: the heap in the largest aligned blocks that stay inside one Xen
 * zone (the bit width of the frame number): [0, 2) and then [2^k, 2^k+1)
 * for k = 1..11, the last an order-11 block, which buddyinfo (orders
 * 0..10) shows as two order-10 pieces. The lowest 2 MiB is split by the
 * zones: 7 free 2 MiB blocks, not 8.
 */
Test(mock, boots_with_a_block_per_zone)
{
	struct xb_host_info hi;
	const struct xb_buddy *h = xb_mock_host_heap(m);

	xb_mock_host_info(m, &hi);
	cr_assert_eq(hi.total_pages, HOST);
	cr_assert_eq(hi.free_pages, HOST);
	cr_assert_eq(xb_buddy_nr_free(h, 1), 2);
	for (unsigned o = 2; o <= 11; o++)
		cr_assert_eq(xb_buddy_nr_free(h, o), 1, "order %u", o);
	cr_assert_eq(h->area[11][12].head, 2048, "zone 12: mfns 2048..4095");
	cr_assert_eq(hi.buddyinfo[10], 1 + 2);
	cr_assert_eq(hi.free_2m_blocks, 7);
	cr_assert_eq(hi.p2m_superpage_coverage, 0);
	cr_assert_eq(hi.contiguity_2m, 0);
	struct xb_guest_info gi;

	cr_assert_eq(xb_guest_info(be, &gi), 0);
	cr_assert_eq(gi.type, XB_GUEST_HVM);
	cr_assert_eq(gi.memop_max_order, 9);
	cr_assert_eq(gi.domid, XB_MOCK_GUEST_DOMID);
}

Test(mock, allocation_splits_smallest_block_and_hands_out_top)
{
	xb_xen_pfn_t e[1] = {0};

	/* Above the DMA zone (mfns below 1024: a quarter of the host), the
	 * highest zone's block, order 11 at 2048, is split: Xen keeps the
	 * lower halves and hands out its top frame. */
	cr_assert_eq(xb_populate_physmap(be, e, 1, 0), 1);
	cr_assert_eq(mfn_of(0), 4095);
	e[0] = 1;
	cr_assert_eq(xb_populate_physmap(be, e, 1, 0), 1);
	cr_assert_eq(mfn_of(1), 4094);
	/* The highest zone's smallest free block >= 9 is the order-9 half
	 * at 3072, not its order-10 half at 2048, nor zone 11's order-10
	 * block at 1024. */
	e[0] = 512;
	cr_assert_eq(xb_populate_physmap(be, e, 1, 9), 1);
	cr_assert_eq(mfn_of(512), 3072);
	cr_assert_eq(xb_buddy_nr_free(xb_mock_host_heap(m), 10), 2);
	cr_assert_eq(tot(), 514);
}

Test(mock, frees_merge_back_to_the_boot_shape)
{
	xb_xen_pfn_t e[2] = {1024, 1536};

	populate_range(100, 300);
	cr_assert_eq(xb_populate_physmap(be, e, 2, 9), 2);
	cr_assert_eq(xb_decrease_reservation(be, e, 2, 9), 2);
	for (uint64_t g = 100; g < 400; g++) {
		xb_xen_pfn_t one = g;

		cr_assert_eq(xb_decrease_reservation(be, &one, 1, 0), 1);
	}
	cr_assert_eq(tot(), 0);
	cr_assert_eq(xb_buddy_nr_free(xb_mock_host_heap(m), 11), 1);
	cr_assert_eq(xb_buddy_nr_free(xb_mock_host_heap(m), 10), 1);
	cr_assert_eq(host_free(), HOST);
}

Test(mock_open, populate_stops_at_max_pages)
{
	open_mock(XB_GUEST_HVM, 3);
	xb_xen_pfn_t e[5] = {0, 1, 2, 3, 4};

	cr_assert_eq(xb_populate_physmap(be, e, 5, 0), 3);
	cr_assert_eq(tot(), 3);
	cr_assert_eq(mfn_of(3), XB_NIL);
	/* The refused extent's host block went back. */
	cr_assert_eq(host_free(), HOST - 3);
	cr_assert_eq(be->stats.populate.failed, 1);
}

Test(mock_open, order9_extent_past_max_pages_fails_whole)
{
	open_mock(XB_GUEST_HVM, 513);
	xb_xen_pfn_t e[2] = {0, 512};

	cr_assert_eq(xb_populate_physmap(be, e, 2, 9), 1);
	cr_assert_eq(tot(), 512);
	cr_assert_eq(mfn_of(512), XB_NIL);
	cr_assert_eq(host_free(), HOST - 512);
}

Test(mock, populate_stops_at_first_bad_extent)
{
	xb_xen_pfn_t e[4] = {0, 1, GFNS, 2};

	cr_assert_eq(xb_populate_physmap(be, e, 4, 0), 2);
	cr_assert_eq(mfn_of(2), XB_NIL);
	cr_assert_eq(tot(), 2);
}

Test(mock, order_above_memop_max_is_refused)
{
	xb_xen_pfn_t e[1] = {0};

	cr_assert_eq(xb_populate_physmap(be, e, 1, 10), 0);
	cr_assert_eq(tot(), 0);
	cr_assert_eq(xb_populate_physmap(be, e, 1, 9), 1);
	cr_assert_eq(xb_decrease_reservation(be, e, 1, 10), 0);
	cr_assert_eq(tot(), 512);
	xb_xen_pfn_t in[1] = {0}, out[1] = {0};
	struct xb_exchange x = {in, 1, 10, out, 1, 10, 0, 0};
	uint64_t done;

	cr_assert_eq(xb_exchange(be, &x, &done), -EPERM);
}

Test(mock_open, memop_max_order_is_configurable)
{
	struct xb_backend_config cfg = {
	    .type = XB_GUEST_HVM,
	    .max_pages = HOST,
	    .gfn_space = GFNS,
	    .memop_max_order = 10,
	    .host_pages = HOST,
	};
	xb_xen_pfn_t e[1] = {1024};

	be = xb_backend_open(&xb__mock_backend_ops, &cfg, NULL);
	m = xb_mock_from_backend(be);
	cr_assert_eq(xb_populate_physmap(be, e, 1, 10), 1);
	cr_assert_eq(mfn_of(1024), 3072);
	cr_assert_eq(tot(), 1024);
}

Test(mock, decrease_stops_at_unpopulated_gfn)
{
	xb_xen_pfn_t e[4] = {0, 1, 7, 2};

	populate_range(0, 4);
	cr_assert_eq(xb_decrease_reservation(be, e, 4, 0), 2);
	cr_assert_eq(mfn_of(0), XB_NIL);
	cr_assert_neq(mfn_of(2), XB_NIL);
	cr_assert_eq(tot(), 2);
	e[0] = 5;
	cr_assert_eq(xb_decrease_reservation(be, e, 1, 0), 0);
	e[0] = GFNS + 1;
	cr_assert_eq(xb_decrease_reservation(be, e, 1, 0), 0);
	cr_assert_eq(tot(), 2);
}

Test(mock, failed_decrease_extent_keeps_its_earlier_frames_removed)
{
	xb_xen_pfn_t e[1] = {0};

	populate_range(0, 100);
	populate_range(101, 411);
	cr_assert_eq(tot(), 511);
	cr_assert_eq(xb_decrease_reservation(be, e, 1, 9), 0);
	for (uint64_t g = 0; g < 100; g++)
		cr_assert_eq(mfn_of(g), XB_NIL, "gfn %lu", (unsigned long)g);
	cr_assert_neq(mfn_of(101), XB_NIL);
	cr_assert_eq(tot(), 411);
	cr_assert_eq(host_free(), HOST - 411);
}

Test(mock, misaligned_order9_populate_maps_without_superpage)
{
	xb_xen_pfn_t e[1] = {256};

	cr_assert_eq(xb_populate_physmap(be, e, 1, 9), 1);
	/* The order-10 block at 3072 splits: 3072 goes back, 3584 out. */
	cr_assert_eq(mfn_of(256), 3584);
	cr_assert_eq(mfn_of(767), 3584 + 511);
	cr_assert_eq(xb_mock_p2m_superpage_coverage(m, XB_MOCK_GUEST_DOMID), 0);
	cr_assert_eq(xb_mock_contiguity_2m(m, XB_MOCK_GUEST_DOMID), 0);
	e[0] = 1024;
	cr_assert_eq(xb_populate_physmap(be, e, 1, 9), 1);
	cr_assert_float_eq(
	    xb_mock_p2m_superpage_coverage(m, XB_MOCK_GUEST_DOMID), 0.5, 1e-12);
	cr_assert_float_eq(xb_mock_contiguity_2m(m, XB_MOCK_GUEST_DOMID), 0.5,
			   1e-12);
}

Test(mock, populating_a_populated_gfn_orphans_the_old_frame)
{
	xb_xen_pfn_t e[1] = {5};

	populate_range(5, 1);
	xb_pfn_t old = mfn_of(5);

	/* p2m_add_page(): the old frame's M2P is invalidated but the page
	 * stays the domain's, counted in tot_pages. */
	cr_assert_eq(xb_populate_physmap(be, e, 1, 0), 1);
	cr_assert_neq(mfn_of(5), old);
	cr_assert_eq(tot(), 2);
	cr_assert_eq(host_free(), HOST - 2);
	struct xb_mock_domain_info di;

	cr_assert_eq(xb_mock_domain_info(m, XB_MOCK_GUEST_DOMID, &di), 0);
	cr_assert_eq(di.populated, 1);
	cr_assert(xb__mock_is_valid(m));
	/* Decreasing the gfn frees only the new frame; the orphan stays. */
	cr_assert_eq(xb_decrease_reservation(be, e, 1, 0), 1);
	cr_assert_eq(tot(), 1);
	cr_assert_eq(host_free(), HOST - 1);
	cr_assert_eq(xb_decrease_reservation(be, e, 1, 0), 0);
}

Test(mock, exchange_is_refused_for_hvm)
{
	xb_xen_pfn_t in[512], out[1] = {0};
	uint64_t done = 7;

	populate_range(0, 512);
	for (unsigned i = 0; i < 512; i++)
		in[i] = i;
	struct xb_exchange x = {in, 512, 0, out, 1, 9, 0, 0};
	xb_pfn_t before = mfn_of(0);

	cr_assert_eq(xb_exchange(be, &x, &done), -EOPNOTSUPP);
	cr_assert_eq(done, 0);
	cr_assert_eq(mfn_of(0), before);
	cr_assert_eq(tot(), 512);
	struct xb_exchange y = {in, 1, 0, out, 1, 0, 0, 0};

	cr_assert_eq(xb_exchange(be, &y, &done), -EOPNOTSUPP);
}

Test(mock_open, exchange_is_refused_for_pvh)
{
	open_mock(XB_GUEST_PVH, HOST);
	xb_xen_pfn_t in[1] = {0}, out[1] = {0};
	uint64_t done;

	populate_range(0, 1);
	struct xb_exchange x = {in, 1, 0, out, 1, 0, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), -EOPNOTSUPP);
	cr_assert_eq(done, 0);
}

Test(mock, exchange_checks_sizes_before_guest_type)
{
	xb_xen_pfn_t in[2] = {0, 1}, out[1] = {0};
	struct xb_exchange x = {in, 2, 0, out, 1, 0, 0, 0};
	uint64_t done;

	cr_assert_eq(xb_exchange(be, &x, &done), -EINVAL);
}

/* PV: populate 512 pfns at order 0 and return their mfns. */
static void pv_populate(xb_xen_pfn_t *e, uint64_t first, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		e[i] = first + i;
	cr_assert_eq(xb_populate_physmap(be, e, n, 0), (long)n);
}

Test(mock_pv, populate_returns_machine_frames)
{
	xb_xen_pfn_t e[3] = {10, 11, 1024};

	cr_assert_eq(xb_populate_physmap(be, e, 2, 0), 2);
	cr_assert_eq(e[0], 4095);
	cr_assert_eq(e[1], 4094);
	cr_assert_eq(mfn_of(10), 4095);
	cr_assert_eq(xb_populate_physmap(be, &e[2], 1, 9), 1);
	cr_assert_eq(e[2], 3072);
	cr_assert_eq(mfn_of(1024 + 5), 3077);
}

Test(mock_pv, decrease_and_data_plane_take_machine_frames)
{
	xb_xen_pfn_t e[2];
	uint8_t buf[XB_PAGE_SIZE];
	bool populated;

	pv_populate(e, 0, 2);
	memset(buf, 0xab, sizeof(buf));
	cr_assert_eq(xb_write_frame(be, e[0], buf), 0);
	/* A pfn is not an mfn the guest owns. */
	cr_assert_eq(xb_write_frame(be, 0, buf), -EINVAL);
	cr_assert_eq(xb_query(be, e[1], &populated), 0);
	cr_assert(populated);
	cr_assert_eq(xb_query(be, 1, &populated), 0);
	cr_assert_not(populated);
	xb_xen_pfn_t pfn = 1;

	cr_assert_eq(xb_decrease_reservation(be, &pfn, 1, 0), 0);
	cr_assert_eq(xb_decrease_reservation(be, e, 2, 0), 2);
	cr_assert_eq(tot(), 0);
	cr_assert_eq(mfn_of(0), XB_NIL);
	cr_assert_eq(xb_mock_nr_written_frames(m), 0);
}

Test(mock_pv, exchange_to_order9_gives_aligned_contiguous_frames)
{
	xb_xen_pfn_t in[512], out[1] = {0};
	uint64_t done;

	pv_populate(in, 0, 512);
	struct xb_exchange x = {in, 512, 0, out, 1, 9, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), 0);
	cr_assert_eq(done, 512);
	cr_assert_eq(out[0] % 512, 0);
	for (unsigned i = 0; i < 512; i++)
		cr_assert_eq(mfn_of(i), out[0] + i);
	cr_assert_eq(tot(), 512);
	cr_assert_eq(xb_mock_contiguity_2m(m, XB_MOCK_GUEST_DOMID), 1.0);
	/* Contiguous, but pv: no P2M, no 2 MiB mapping of it anywhere. */
	cr_assert_eq(xb_mock_p2m_superpage_coverage(m, XB_MOCK_GUEST_DOMID), 0);
	/* The inputs went back to the heap: 512 allocated in all. */
	cr_assert_eq(host_free(), HOST - 512);
}

Test(mock_open, exchange_is_not_counted_against_max_pages)
{
	open_mock(XB_GUEST_PV, 512);
	xb_xen_pfn_t in[512], out[1] = {0};
	uint64_t done;

	pv_populate(in, 0, 512);
	struct xb_exchange x = {in, 512, 0, out, 1, 9, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), 0);
	cr_assert_eq(done, 512);
	cr_assert_eq(tot(), 512);
}

Test(mock_pv, exchange_is_atomic_per_chunk_and_reports_progress)
{
	xb_xen_pfn_t in[1024], saved[1024], out[2] = {0, 512};
	uint64_t done;

	pv_populate(in, 0, 1024);
	memcpy(saved, in, sizeof(in));
	xb_mock_fail_at(m, XB_MOCK_OP_EXCHANGE, 1);
	struct xb_exchange x = {in, 1024, 0, out, 2, 9, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), -ENOMEM);
	cr_assert_eq(done, 512);
	/* Chunk 0 done: pfns 0..511 on one aligned block. */
	cr_assert_eq(out[0] % 512, 0);
	cr_assert_eq(mfn_of(0), out[0]);
	cr_assert_eq(mfn_of(511), out[0] + 511);
	/* Chunk 1 untouched. */
	for (unsigned i = 512; i < 1024; i++)
		cr_assert_eq(mfn_of(i), saved[i]);
	cr_assert_eq(out[1], 512);
	cr_assert_eq(tot(), 1024);
	cr_assert_eq(xb_mock_stats(m)->fault_exchange, 1);
}

Test(mock_pv, exchange_gives_stolen_inputs_back_on_a_bad_input)
{
	xb_xen_pfn_t in[4], out[2] = {0, 2};
	uint64_t done;

	pv_populate(in, 0, 4);
	in[3] = 0; /* not the guest's frame: the second chunk fails */
	struct xb_exchange x = {in, 4, 0, out, 2, 1, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), -EINVAL);
	cr_assert_eq(done, 2);
	cr_assert_eq(mfn_of(2), in[2]);
	cr_assert_eq(tot(), 4);
	cr_assert_eq(host_free(), HOST - 4);
}

Test(mock_pv, exchange_fails_without_host_memory_of_the_output_order)
{
	xb_xen_pfn_t in[512], saved[512], out[1] = {0};
	uint64_t done;

	pv_populate(in, 0, 512);
	memcpy(saved, in, sizeof(in));
	xb_mock_fail_host_order(m, 9);
	struct xb_exchange x = {in, 512, 0, out, 1, 9, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), -ENOMEM);
	cr_assert_eq(done, 0);
	for (unsigned i = 0; i < 512; i++)
		cr_assert_eq(mfn_of(i), saved[i]);
	cr_assert_eq(xb_mock_stats(m)->fault_host_alloc, 1);
	cr_assert_eq(host_free(), HOST - 512);
}

Test(mock_pv, exchange_order9_to_order0_needs_the_outputs_first)
{
	xb_xen_pfn_t in[1] = {0}, out[512];
	uint64_t done;

	cr_assert_eq(xb_populate_physmap(be, in, 1, 9), 1);
	for (unsigned i = 0; i < 512; i++)
		out[i] = i;
	struct xb_exchange x = {in, 1, 9, out, 512, 0, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), 0);
	cr_assert_eq(done, 1);
	/* The input took 3584 (top of a split); the outputs come top-down
	 * from the order-9 half at 3072 and are handed out LIFO, so output
	 * j gets 3072 + j: ascending and, here, one aligned block. */
	for (unsigned i = 0; i < 512; i++) {
		cr_assert_eq(out[i], 3072 + i);
		cr_assert_eq(mfn_of(i), out[i]);
	}
	cr_assert_eq(xb_mock_contiguity_2m(m, XB_MOCK_GUEST_DOMID), 1.0);
	cr_assert_eq(tot(), 512);
	cr_assert_eq(host_free(), HOST - 512);
}

/* Xen keeps no P2M for pv and refuses them 2 MiB mappings (_PAGE_PSE is
 * in L2_DISALLOW_MASK since 4.10): contiguous frames, no superpage. */
Test(mock_pv, order9_populate_is_contiguous_but_never_a_p2m_superpage)
{
	xb_xen_pfn_t e[1] = {0};

	cr_assert_eq(xb_populate_physmap(be, e, 1, 9), 1);
	cr_assert_eq(e[0] % 512, 0);
	cr_assert_eq(xb_mock_contiguity_2m(m, XB_MOCK_GUEST_DOMID), 1.0);
	cr_assert_eq(xb_mock_p2m_superpage_coverage(m, XB_MOCK_GUEST_DOMID), 0);
}

Test(mock_pv, relocate_is_refused_on_pv)
{
	xb_xen_pfn_t e[1];
	uint64_t done = 5;

	pv_populate(e, 0, 1);
	cr_assert_eq(xb_relocate(be, 0, 1, 1, &done), -EINVAL);
	cr_assert_eq(done, 0);
}

Test(mock, relocate_moves_frame_and_content)
{
	uint8_t buf[XB_PAGE_SIZE], rd[XB_PAGE_SIZE];
	uint64_t done;

	populate_range(10, 1);
	xb_pfn_t mfn = mfn_of(10);

	memset(buf, 0x5a, sizeof(buf));
	cr_assert_eq(xb_write_frame(be, 10, buf), 0);
	cr_assert_eq(xb_relocate(be, 10, 20, 1, &done), 0);
	cr_assert_eq(done, 1);
	cr_assert_eq(mfn_of(10), XB_NIL);
	cr_assert_eq(mfn_of(20), mfn);
	cr_assert_eq(tot(), 1);
	cr_assert_eq(host_free(), HOST - 1);
	cr_assert_eq(xb_read_frame(be, 20, rd), 0);
	cr_assert_arr_eq(rd, buf, sizeof(buf));
	cr_assert_eq(xb_read_frame(be, 10, rd), -EINVAL);
}

Test(mock, relocate_onto_populated_dst_frees_dsts_frame)
{
	uint64_t done;

	populate_range(10, 1);
	populate_range(20, 1);
	xb_pfn_t mfn = mfn_of(10);

	cr_assert_eq(xb_relocate(be, 10, 20, 1, &done), 0);
	cr_assert_eq(mfn_of(20), mfn);
	cr_assert_eq(tot(), 1);
	cr_assert_eq(host_free(), HOST - 1);
}

Test(mock, relocate_reports_progress_and_stops_at_unpopulated_src)
{
	uint64_t done;

	populate_range(0, 3);
	cr_assert_eq(xb_relocate(be, 0, 100, 5, &done), -EINVAL);
	cr_assert_eq(done, 3);
	cr_assert_neq(mfn_of(102), XB_NIL);
	cr_assert_eq(tot(), 3);
	/* src == dst is already mapped there. */
	cr_assert_eq(xb_relocate(be, 100, 100, 1, &done), 0);
	cr_assert_eq(done, 1);
}

/* ---- add_to_physmap and its batch ------------------------------------------
 */

Test(mock_pv, add_to_physmap_is_refused_on_pv)
{
	xb_xen_pfn_t e[1], to = 1;
	int errs[1] = {7};
	uint64_t done = 5;

	pv_populate(e, 0, 1);
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN, e[0], 1, 0, &done),
		     -EACCES);
	cr_assert_eq(done, 0);
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, e, &to, 1,
					     errs, &done),
		     -EACCES);
	/* do_memory_op() refuses a batch of gmfn_range before it looks the
	 * domain up. */
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN_RANGE, e, &to,
					     1, errs, &done),
		     -EOPNOTSUPP);
	cr_assert_eq(errs[0], 7);
	cr_assert_eq(tot(), 1);
}

Test(mock, add_to_physmap_moves_the_machine_frame)
{
	uint8_t buf[XB_PAGE_SIZE], rd[XB_PAGE_SIZE];
	uint64_t done;

	populate_range(10, 1);
	xb_pfn_t mfn = mfn_of(10);

	memset(buf, 0x3c, sizeof(buf));
	cr_assert_eq(xb_write_frame(be, 10, buf), 0);
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN, 10, 20, 0, &done),
		     0);
	cr_assert_eq(done, 1);
	cr_assert_eq(mfn_of(10), XB_NIL);
	cr_assert_eq(mfn_of(20), mfn);
	cr_assert_eq(tot(), 1);
	cr_assert_eq(host_free(), HOST - 1);
	cr_assert_eq(xb_read_frame(be, 20, rd), 0);
	cr_assert_arr_eq(rd, buf, sizeof(buf));
	cr_assert(xb__mock_is_valid(m));
}

/* guest_remove_page() of the frame at gpfn: freed to the host heap, its
 * contents gone with it. */
Test(mock, add_to_physmap_onto_populated_gpfn_frees_its_frame)
{
	uint8_t buf[XB_PAGE_SIZE];
	uint64_t done;

	populate_range(10, 1);
	populate_range(20, 1);
	xb_pfn_t mfn = mfn_of(10);

	memset(buf, 0x11, sizeof(buf));
	cr_assert_eq(xb_write_frame(be, 20, buf), 0);
	cr_assert_eq(xb_mock_nr_written_frames(m), 1);
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN, 10, 20, 0, &done),
		     0);
	cr_assert_eq(mfn_of(20), mfn);
	cr_assert_eq(tot(), 1);
	cr_assert_eq(host_free(), HOST - 1);
	cr_assert_eq(xb_mock_nr_written_frames(m), 0);
}

Test(mock, add_to_physmap_refusals_change_nothing)
{
	uint64_t done = 5;

	populate_range(10, 2);
	/* Unpopulated idx, gpfn INVALID_GFN, a wrapping range, a gpfn past
	 * the model's P2M, a space the mock does not model. */
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN, 12, 20, 0, &done),
		     -EINVAL);
	cr_assert_eq(done, 0);
	cr_assert_eq(
	    xb_add_to_physmap(be, XB_MAPSPACE_GMFN, 10, ~0ull, 0, &done),
	    -EINVAL);
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, 10,
				       ~0ull - 1, 2, &done),
		     -EOVERFLOW);
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, ~0ull - 1,
				       20, 2, &done),
		     -EOVERFLOW);
	cr_assert_eq(
	    xb_add_to_physmap(be, XB_MAPSPACE_GMFN, 10, GFNS, 0, &done),
	    -EINVAL);
	cr_assert_eq(
	    xb_add_to_physmap(be, 0 /* shared_info */, 0, 20, 0, &done),
	    -EOPNOTSUPP);
	cr_assert_eq(done, 0);
	cr_assert_neq(mfn_of(10), XB_NIL);
	cr_assert_neq(mfn_of(11), XB_NIL);
	cr_assert_eq(mfn_of(20), XB_NIL);
	cr_assert_eq(tot(), 2);
}

/* A range is a sequence of single moves: over itself each frame lands on
 * the next gfn, freeing the frame there. */
Test(mock, add_to_physmap_range_is_frame_by_frame)
{
	uint64_t done;

	populate_range(10, 4);
	xb_pfn_t first = mfn_of(10);

	cr_assert_eq(
	    xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, 10, 11, 3, &done), 0);
	cr_assert_eq(done, 3);
	cr_assert_eq(mfn_of(13), first);
	cr_assert_eq(mfn_of(10), XB_NIL);
	cr_assert_eq(mfn_of(11), XB_NIL);
	cr_assert_eq(mfn_of(12), XB_NIL);
	cr_assert_eq(tot(), 1);
	/* Size 0 moves nothing and succeeds. */
	cr_assert_eq(
	    xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, 13, 40, 0, &done), 0);
	cr_assert_eq(done, 0);
	cr_assert(xb__mock_is_valid(m));
}

/* Entries are independent: a failed one leaves the others done. */
Test(mock, add_to_physmap_batch_goes_on_past_a_failed_entry)
{
	const xb_xen_pfn_t idxs[3] = {10, 30, 11}, gpfns[3] = {20, 21, 22};
	int errs[3] = {7, 7, 7};
	uint64_t done;

	populate_range(10, 2);
	xb_pfn_t a = mfn_of(10), b = mfn_of(11);

	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, idxs, gpfns,
					     3, errs, &done),
		     0);
	cr_assert_eq(done, 3);
	cr_assert_eq(errs[0], 0);
	cr_assert_eq(errs[1], -EINVAL);
	cr_assert_eq(errs[2], 0);
	cr_assert_eq(mfn_of(20), a);
	cr_assert_eq(mfn_of(21), XB_NIL);
	cr_assert_eq(mfn_of(22), b);
	cr_assert_eq(tot(), 2);
	/* Nothing to do in an empty batch. */
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, idxs, gpfns,
					     0, errs, &done),
		     0);
	cr_assert_eq(done, 0);
}

/* Faults: a failed frame ends a range with -ENOMEM; a failed batch entry
 * gets -ENOMEM and the batch goes on; a failed call does nothing. */
Test(mock, add_to_physmap_faults)
{
	const xb_xen_pfn_t idxs[3] = {20, 21, 22}, gpfns[3] = {30, 31, 32};
	int errs[3];
	uint64_t done;

	populate_range(0, 3);
	populate_range(20, 3);
	xb_mock_fail_at(m, XB_MOCK_OP_ADD_TO_PHYSMAP, 1);
	cr_assert_eq(
	    xb_add_to_physmap(be, XB_MAPSPACE_GMFN_RANGE, 0, 100, 3, &done),
	    -ENOMEM);
	cr_assert_eq(done, 1);
	cr_assert_eq(mfn_of(0), XB_NIL);
	cr_assert_neq(mfn_of(1), XB_NIL);
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, idxs, gpfns,
					     3, errs, &done),
		     0);
	cr_assert_eq(done, 3);
	cr_assert(errs[0] == 0 && errs[1] == -ENOMEM && errs[2] == 0);
	cr_assert_neq(mfn_of(21), XB_NIL);
	cr_assert_eq(xb_mock_stats(m)->fault_add_to_physmap, 2);
	xb_mock_fail_at(m, XB_MOCK_OP_ADD_TO_PHYSMAP, XB_MOCK_NEVER);
	xb_mock_fail_call(m, XB_MOCK_OP_ADD_TO_PHYSMAP, 1);
	cr_assert_eq(xb_add_to_physmap_batch(be, XB_MAPSPACE_GMFN, &idxs[1],
					     &gpfns[1], 1, errs, &done),
		     -ENOMEM);
	cr_assert_eq(done, 0);
	cr_assert_neq(mfn_of(21), XB_NIL);
	cr_assert_eq(xb_mock_stats(m)->fault_add_to_physmap, 3);
	/* The relocate fault is another op's. */
	xb_mock_fail_probability(m, XB_MOCK_OP_RELOCATE, 1.0);
	cr_assert_eq(xb_add_to_physmap(be, XB_MAPSPACE_GMFN, 21, 31, 0, &done),
		     0);
	cr_assert(xb__mock_is_valid(m));
}

Test(mock, data_plane_reads_zero_and_drops_freed_content)
{
	uint8_t buf[XB_PAGE_SIZE], rd[XB_PAGE_SIZE], zero[XB_PAGE_SIZE] = {0};
	xb_xen_pfn_t e[1] = {3};

	populate_range(3, 1);
	memset(rd, 0xff, sizeof(rd));
	cr_assert_eq(xb_read_frame(be, 3, rd), 0);
	cr_assert_arr_eq(rd, zero, sizeof(zero));
	memset(buf, 0x11, sizeof(buf));
	cr_assert_eq(xb_write_frame(be, 3, buf), 0);
	cr_assert_eq(xb_mock_nr_written_frames(m), 1);
	cr_assert_eq(xb_read_frame(be, 3, rd), 0);
	cr_assert_arr_eq(rd, buf, sizeof(buf));
	cr_assert_eq(xb_decrease_reservation(be, e, 1, 0), 1);
	cr_assert_eq(xb_mock_nr_written_frames(m), 0);
	/* The same machine frame comes back scrubbed. */
	cr_assert_eq(xb_populate_physmap(be, e, 1, 0), 1);
	cr_assert_eq(xb_read_frame(be, 3, rd), 0);
	cr_assert_arr_eq(rd, zero, sizeof(zero));
}

Test(mock, claims_follow_domain_set_outstanding_pages)
{
	struct xb_mock_domain_info di;

	populate_range(0, 10);
	cr_assert_eq(xb_claim(be, 10), -EINVAL);       /* <= tot_pages */
	cr_assert_eq(xb_claim(be, HOST + 1), -EINVAL); /* > max_pages  */
	cr_assert_eq(xb_claim(be, 2058), 0);
	cr_assert_eq(xb_mock_domain_info(m, XB_MOCK_GUEST_DOMID, &di), 0);
	cr_assert_eq(di.outstanding_pages, 2048);
	cr_assert_eq(xb_claim(be, 3000), -EINVAL); /* one claim at a time */
	/* Allocations consume the claim. */
	populate_range(10, 48);
	xb_mock_domain_info(m, XB_MOCK_GUEST_DOMID, &di);
	cr_assert_eq(di.outstanding_pages, 2000);
	/* Freeing while a claim is outstanding grows it (Xen 4.17's
	 * domain_adjust_tot_pages() with a negative count). */
	xb_xen_pfn_t e[1] = {0};

	cr_assert_eq(xb_decrease_reservation(be, e, 1, 0), 1);
	xb_mock_domain_info(m, XB_MOCK_GUEST_DOMID, &di);
	cr_assert_eq(di.outstanding_pages, 2001);
	cr_assert_eq(xb_claim(be, 0), 0);
	xb_mock_domain_info(m, XB_MOCK_GUEST_DOMID, &di);
	cr_assert_eq(di.outstanding_pages, 0);
}

Test(mock, claims_keep_other_domains_out)
{
	int nb = xb_mock_add_domain(m, XB_GUEST_HVM, HOST, HOST);

	cr_assert_eq(nb, 2);
	cr_assert_eq(xb_claim(be, 3072), 0);
	/* 1024 unclaimed frames are left for the neighbour. */
	cr_assert_eq(xb_mock_domain_populate(m, nb, 0, 10), 0);
	cr_assert_eq(xb_mock_domain_populate(m, nb, 1024, 0), -ENOMEM);
	/* The claimant itself may use the claimed memory. */
	cr_assert_eq(xb_mock_domain_populate(m, XB_MOCK_GUEST_DOMID, 0, 10), 0);
	/* A claim beyond what is free and unclaimed is refused. */
	int nb2 = xb_mock_add_domain(m, XB_GUEST_HVM, HOST, HOST);

	cr_assert_eq(xb_mock_domain_claim(m, nb2, 1), -ENOMEM);
	cr_assert_eq(xb_claim(be, 0), 0);
	cr_assert_eq(xb_mock_domain_populate(m, nb, 1024, 0), 0);
	cr_assert_eq(xb_mock_domain_claim(m, nb2, 2047), 0);
}

Test(mock, neighbour_churn_fragments_the_host)
{
	int nb = xb_mock_add_domain(m, XB_GUEST_HVM, HOST, HOST);
	xb_xen_pfn_t e[1] = {0};

	cr_assert_eq(nb, 2);
	cr_assert_eq(xb_mock_nr_domains(m), 2);
	/* The neighbour takes everything, then frees every other frame. */
	for (unsigned g = 0; g < HOST; g++)
		cr_assert_eq(xb_mock_domain_populate(m, nb, g, 0), 0);
	cr_assert_eq(host_free(), 0);
	for (unsigned g = 0; g < HOST; g += 2)
		cr_assert_eq(xb_mock_domain_free(m, nb, g, 0), 1);
	struct xb_host_info hi;

	xb_mock_host_info(m, &hi);
	cr_assert_eq(hi.free_pages, HOST / 2);
	cr_assert_eq(hi.buddyinfo[0], HOST / 2);
	cr_assert_eq(hi.free_2m_blocks, 0);
	/* No compaction: half the host is free, no order-9 extent fits. */
	cr_assert_eq(xb_populate_physmap(be, e, 1, 9), 0);
	cr_assert_eq(xb_populate_physmap(be, e, 1, 0), 1);
	/* Freeing stops at the first unpopulated gfn. */
	cr_assert_eq(xb_mock_domain_free(m, nb, 1, 1), 1);
	cr_assert_eq(xb_mock_domain_free(m, nb, 5000, 0), 0);
	cr_assert_eq(xb_mock_domain_free(m, 9, 0, 0), -ESRCH);
}

Test(mock, fail_call_n_fails_the_nth_next_call_once)
{
	xb_xen_pfn_t e[2] = {0, 1};

	xb_mock_fail_call(m, XB_MOCK_OP_POPULATE, 2);
	cr_assert_eq(xb_populate_physmap(be, e, 1, 0), 1);
	cr_assert_eq(xb_populate_physmap(be, &e[1], 1, 0), 0);
	cr_assert_eq(xb_populate_physmap(be, &e[1], 1, 0), 1);
	cr_assert_eq(xb_mock_stats(m)->fault_populate, 1);
	xb_mock_fail_call(m, XB_MOCK_OP_DECREASE, 1);
	cr_assert_eq(xb_decrease_reservation(be, e, 2, 0), 0);
	cr_assert_eq(xb_decrease_reservation(be, e, 2, 0), 2);
	cr_assert_eq(xb_mock_stats(m)->fault_decrease, 1);
}

Test(mock, fail_at_k_stops_every_call_at_extent_k)
{
	xb_xen_pfn_t e[8];

	for (unsigned i = 0; i < 8; i++)
		e[i] = i;
	xb_mock_fail_at(m, XB_MOCK_OP_POPULATE, 3);
	cr_assert_eq(xb_populate_physmap(be, e, 8, 0), 3);
	cr_assert_eq(xb_populate_physmap(be, &e[3], 5, 0), 3);
	xb_mock_fail_at(m, XB_MOCK_OP_POPULATE, XB_MOCK_NEVER);
	cr_assert_eq(xb_populate_physmap(be, &e[6], 2, 0), 2);
	cr_assert_eq(xb_mock_stats(m)->fault_populate, 2);
	uint64_t done;

	xb_mock_fail_at(m, XB_MOCK_OP_RELOCATE, 1);
	cr_assert_eq(xb_relocate(be, 0, 100, 3, &done), -ENOMEM);
	cr_assert_eq(done, 1);
	cr_assert_eq(mfn_of(0), XB_NIL);
	cr_assert_neq(mfn_of(1), XB_NIL);
	cr_assert_eq(xb_mock_stats(m)->fault_relocate, 1);
}

Test(mock, fail_probability_is_seeded_and_counted)
{
	long got[2];
	uint64_t faults[2];

	for (int run = 0; run < 2; run++) {
		xb_xen_pfn_t e[1000];

		if (run) {
			fini();
			init_hvm();
		}
		for (unsigned i = 0; i < 1000; i++)
			e[i] = i;
		xb_mock_fail_probability(m, XB_MOCK_OP_POPULATE, 0.01);
		long total = 0, calls = 0;

		while (total < 1000) {
			long r =
			    xb_populate_physmap(be, &e[total], 1000 - total, 0);
			total += r;
			calls++;
		}
		/* Every call but the last ended on an injected fault. */
		cr_assert_eq(xb_mock_stats(m)->fault_populate, calls - 1);
		got[run] = calls;
		faults[run] = xb_mock_stats(m)->fault_populate;
		cr_assert_eq(tot(), 1000);
	}
	cr_assert_eq(got[0], got[1]);
	cr_assert_eq(faults[0], faults[1]);
	cr_assert_gt(faults[0], 0);
}

Test(mock, host_order_fault_fails_large_allocations_only)
{
	xb_xen_pfn_t e[2] = {0, 512};

	xb_mock_fail_host_order(m, 9);
	cr_assert_eq(xb_populate_physmap(be, e, 2, 9), 0);
	cr_assert_eq(xb_populate_physmap(be, e, 1, 8), 1);
	cr_assert_eq(xb_mock_stats(m)->fault_host_alloc, 1);
	xb_mock_clear_faults(m);
	cr_assert_eq(xb_populate_physmap(be, &e[1], 1, 9), 1);
	cr_assert_eq(xb_mock_stats(m)->fault_host_alloc, 1);
}

Test(mock, contiguity_counts_aligned_contiguous_regions)
{
	xb_xen_pfn_t e[1] = {0};
	struct xb_host_info hi;

	cr_assert_eq(xb_populate_physmap(be, e, 1, 9), 1);
	cr_assert_eq(xb_mock_contiguity_2m(m, XB_MOCK_GUEST_DOMID), 1.0);
	/* 512 order-0 frames come top-down: descending mfns, no 2 MiB run. */
	populate_range(512, 512);
	cr_assert_eq(mfn_of(0), 3584);
	cr_assert_eq(mfn_of(512), 3583);
	cr_assert_eq(mfn_of(513), 3582);
	xb_mock_host_info(m, &hi);
	cr_assert_float_eq(hi.contiguity_2m, 0.5, 1e-12);
	cr_assert_float_eq(hi.p2m_superpage_coverage, 0.5, 1e-12);
	cr_assert_eq(hi.free_pages, HOST - 1024);
	cr_assert_eq(hi.free_2m_blocks, 5, "7 at boot, less the two used");
	cr_assert_eq(xb_mock_contiguity_2m(m, 77), -1);
	cr_assert_eq(xb_mock_p2m_superpage_coverage(m, 77), -1);
}

Test(mock, checker_catches_a_frame_owned_by_nobody)
{
	populate_range(0, 1);
	cr_assert(xb__mock_is_valid(m));
	struct xb_buddy *heap = (struct xb_buddy *)xb_mock_host_heap(m);
	xb_pfn_t mfn = mfn_of(0);

	heap->frames[mfn].owner = 40;
	cr_assert_not(xb__mock_is_valid(m));
	heap->frames[mfn].owner = XB_MOCK_GUEST_DOMID;
	heap->frames[mfn].next = 1; /* M2P no longer points back */
	cr_assert_not(xb__mock_is_valid(m));
	heap->frames[mfn].next = 0;
	cr_assert(xb__mock_is_valid(m));
}

/* The summaries checked at every sample see a heap counter that drifts,
 * without walking the frames. */
Test(mock, summaries_catch_a_drifting_counter)
{
	populate_range(0, 1);
	struct xb_buddy *heap = (struct xb_buddy *)xb_mock_host_heap(m);
	unsigned l = 0;

	cr_assert(xb__mock_summaries_ok(m));
	while (heap->list_pages[l] == 0)
		l++;
	heap->list_pages[l]++;
	cr_assert_not(xb__mock_summaries_ok(m));
	heap->list_pages[l]--;
	heap->nr_free_pages++;
	cr_assert_not(xb__mock_summaries_ok(m));
	heap->nr_free_pages--;
	cr_assert(xb__mock_summaries_ok(m));
	cr_assert(xb__mock_is_valid(m));
}

/* Free lists of the host heap, all orders, as one sequence of heads. */
static GArray *heap_lists(const struct xb_mock *mk)
{
	const struct xb_buddy *h = xb_mock_host_heap(mk);
	GArray *a = g_array_new(FALSE, FALSE, sizeof(xb_pfn_t));

	for (unsigned o = 0; o < XB_MAX_ORDER; o++) {
		for (xb_pfn_t p = h->area[o][0].head; p != XB_NIL;
		     p = h->frames[p].next)
			g_array_append_val(a, p);
		xb_pfn_t sep = XB_NIL;

		g_array_append_val(a, sep);
	}
	return a;
}

Test(mock, order9_decrease_leaves_heap_as_page_by_page_frees)
{
	struct xb_backend *be2;
	struct xb_mock *m2;
	xb_xen_pfn_t e[3] = {0, 512, 1536};
	struct xb_backend_config cfg = {
	    .type = XB_GUEST_HVM,
	    .max_pages = HOST,
	    .gfn_space = GFNS,
	    .host_pages = HOST,
	};

	be2 = xb_backend_open(&xb__mock_backend_ops, &cfg, NULL);
	m2 = xb_mock_from_backend(be2);
	/* Same history on both: order-9 extents between order-0 frames. */
	for (int k = 0; k < 2; k++) {
		struct xb_backend *b = k ? be2 : be;
		xb_xen_pfn_t one[1] = {1030};

		cr_assert_eq(xb_populate_physmap(b, one, 1, 0), 1);
		cr_assert_eq(xb_populate_physmap(b, e, 3, 9), 3);
		one[0] = 1031;
		cr_assert_eq(xb_populate_physmap(b, one, 1, 0), 1);
	}
	/* One as an order-9 decrease, the other frame by frame. */
	cr_assert_eq(xb_decrease_reservation(be, &e[1], 1, 9), 1);
	for (unsigned j = 0; j < 512; j++) {
		xb_xen_pfn_t g = 512 + j;

		cr_assert_eq(xb_decrease_reservation(be2, &g, 1, 0), 1);
	}
	GArray *a = heap_lists(m), *b = heap_lists(m2);

	cr_assert_eq(a->len, b->len);
	cr_assert_arr_eq(a->data, b->data, a->len * sizeof(xb_pfn_t));
	cr_assert_eq(host_free(), xb_mock_host_heap(m2)->nr_free_pages);
	cr_assert(xb__mock_is_valid(m2));
	g_array_free(a, TRUE);
	g_array_free(b, TRUE);
	xb_backend_close(be2);
}

Test(mock_pv, exchange_outputs_cannot_eat_into_claims)
{
	xb_xen_pfn_t in[512], out[1] = {0};
	struct xb_mock_domain_info di;
	uint64_t done;

	pv_populate(in, 0, 512);
	/* Claim all but 100 of the free frames: tot 512 + 3484. */
	cr_assert_eq(xb_claim(be, 512 + (HOST - 512) - 100), 0);
	xb_mock_domain_info(m, XB_MOCK_GUEST_DOMID, &di);
	cr_assert_eq(di.outstanding_pages, HOST - 512 - 100);
	/* MEMF_no_refcount: even the claimant's own claim does not cover
	 * exchange outputs, and 100 unclaimed frames are too few. */
	struct xb_exchange x = {in, 512, 0, out, 1, 9, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), -ENOMEM);
	cr_assert_eq(done, 0);
	cr_assert_eq(mfn_of(0), in[0]);
	/* A refcounted populate by the claimant may use its claim. */
	xb_xen_pfn_t e[1] = {1024};

	cr_assert_eq(xb_populate_physmap(be, e, 1, 9), 1);
	xb_mock_domain_info(m, XB_MOCK_GUEST_DOMID, &di);
	cr_assert_eq(di.outstanding_pages, HOST - 1024 - 100);
}

Test(mock_pv, exchange_output_past_the_gfn_space_fails_its_chunk)
{
	xb_xen_pfn_t in[2], out[2] = {5, GFNS};
	uint64_t done;

	pv_populate(in, 0, 2);
	struct xb_exchange x = {in, 2, 0, out, 2, 0, 0, 0};

	cr_assert_eq(xb_exchange(be, &x, &done), -EINVAL);
	cr_assert_eq(done, 1);
	cr_assert_neq(mfn_of(5), XB_NIL);
	cr_assert_eq(mfn_of(1), in[1]);
	cr_assert_eq(tot(), 2);
}

Test(mock_pv, populating_a_pfn_twice_keeps_both_frames_freeable)
{
	xb_xen_pfn_t a[1] = {7}, b[1] = {7};

	cr_assert_eq(xb_populate_physmap(be, a, 1, 0), 1);
	cr_assert_eq(xb_populate_physmap(be, b, 1, 0), 1);
	cr_assert_neq(a[0], b[0]);
	cr_assert_eq(mfn_of(7), b[0]);
	cr_assert_eq(tot(), 2);
	/* Xen keeps no P2M for pv: the older mfn is still the guest's and
	 * can be given back by its machine frame number. */
	cr_assert_eq(xb_decrease_reservation(be, a, 1, 0), 1);
	cr_assert_eq(mfn_of(7), b[0]);
	cr_assert_eq(xb_decrease_reservation(be, b, 1, 0), 1);
	cr_assert_eq(mfn_of(7), XB_NIL);
	cr_assert_eq(tot(), 0);
	cr_assert_eq(host_free(), HOST);
}

/*
 * get_free_buddy() behind alloc_domheap_pages(): domain memory comes from
 * above the DMA zone (here mfns below 1024, a quarter of the host) while
 * any fits, highest zone first; then from the DMA zones, highest first.
 */
Test(mock_open, domain_memory_avoids_the_dma_zone_until_it_must)
{
	int nb;

	open_mock(XB_GUEST_HVM, HOST);
	nb = xb_mock_add_domain(m, XB_GUEST_HVM, HOST, HOST);
	for (unsigned g = 0; g < 1024; g++) {
		cr_assert_eq(xb_mock_domain_populate(m, nb, g, 0), 0);
		cr_assert_geq(xb_mock_domain_mfn(m, nb, g), 2048,
			      "zone 12 first: gfn %u", g);
	}
	for (unsigned g = 1024; g < 3072; g++) {
		cr_assert_eq(xb_mock_domain_populate(m, nb, g, 0), 0);
		cr_assert_geq(xb_mock_domain_mfn(m, nb, g), 1024,
			      "then zone 11: gfn %u", g);
	}
	/* Above the DMA zone all is taken: the highest DMA zone's top. */
	cr_assert_eq(xb_mock_domain_populate(m, nb, 3072, 0), 0);
	cr_assert_eq(xb_mock_domain_mfn(m, nb, 3072), 1023);
}

/*
 * Address bits of a page or less: bits_to_zone() gives zone 1, the frames
 * below 2 (page_alloc.c), so such an exchange gets mfn 1 or nothing - the
 * same for 1 as for 12 bits. Above the field's 8 bits: refused.
 */
Test(mock_pv, exchange_address_bits_of_a_page_or_less)
{
	xb_xen_pfn_t in[3] = {0x10, 0x11, 0x12}, out[1];
	uint64_t done = 0;
	unsigned bits[2] = {1, XB_PAGE_SHIFT};

	cr_assert_eq(xb_populate_physmap(be, in, 3, 0), 3);
	for (unsigned i = 0; i < 2; i++) {
		struct xb_exchange x = {in + i, 1, 0, out, 1, 0, bits[i], 0};
		int rc;

		out[0] = 0x20 + i;
		rc = xb_exchange(be, &x, &done);
		if (rc == 0)
			cr_assert_lt(out[0], 2, "%u bits: mfn %#lx", bits[i],
				     (unsigned long)out[0]);
		else
			cr_assert_eq(rc, -ENOMEM, "%u bits: %d", bits[i], rc);
	}
	struct xb_exchange wide = {in + 2, 1, 0, out, 1, 0, 256, 0};

	cr_assert_eq(xb_exchange(be, &wide, &done), -EINVAL);
	cr_assert_eq(done, 0);
}
