/*
 * Guest metrics: the 2 MiB region map (xb_metrics_region_map) of a driver's
 * zone after boot, allocations of each mobility, 4 KiB ballooning and
 * foreign-mapping pages, checked region by region.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "xballoon/driver.h"
#include "xballoon/metrics.h"
#include "xballoon/mock.h"
#include "xballoon/policy.h"

#define GUEST	16384u /* 64 MiB: 32 regions */
#define HOST	32768u
#define BOOTED	8192u /* the first 16 regions */
#define REGIONS (GUEST / XB_HPAGE_PAGES)

struct fx {
	struct xb_backend *be;
	struct xb_zone *z;
	struct xb_driver d;
	uint32_t pin;
	uint8_t map[REGIONS];
};

static void fx_setup(struct fx *f, const char *pol)
{
	const struct xb_policy_ops *p = xb_policy_find(pol);
	struct xb_backend_config cfg = {.type = XB_GUEST_HVM,
					.max_pages = GUEST,
					.gfn_space = GUEST,
					.host_pages = HOST,
					.seed = 7,
					.domid = -1};
	GError *err = NULL;

	cr_assert_not_null(p, "policy %s", pol);
	f->be = xb_backend_open(xb_backend_find("mock"), &cfg, &err);
	cr_assert_not_null(f->be);
	f->z = xb_zone_create(GUEST);
	f->pin = xb_zone_register_owner(f->z, "pin", NULL, NULL);
	cr_assert_eq(xb_driver_init(&f->d, f->z, f->be, p, &p->defaults), 0);
	cr_assert_eq(xb_driver_boot(&f->d, BOOTED, 9), 0);
	cr_assert_eq(xb_metrics_nr_regions(f->z), REGIONS);
}

static void fx_free(struct fx *f)
{
	cr_assert(xb__driver_is_valid(&f->d));
	xb_driver_fini(&f->d);
	xb_zone_destroy(f->z);
	xb_backend_close(f->be);
}

static unsigned count(const uint8_t *map, uint8_t state)
{
	unsigned n = 0;

	for (unsigned i = 0; i < REGIONS; i++)
		n += map[i] == state;
	return n;
}

Test(region_map, boot_huge_first_balloons_2m_regions)
{
	struct fx f = {0};

	fx_setup(&f, "huge-first");
	xb_metrics_region_map(&f.d, f.map);
	for (unsigned i = 0; i < REGIONS; i++)
		cr_assert_eq(f.map[i],
			     i < BOOTED / XB_HPAGE_PAGES ? XB_REGION_FREE
							 : XB_REGION_HUGE,
			     "region %u is %c", i, xb_region_chars[f.map[i]]);
	fx_free(&f);
}

Test(region_map, boot_linux_balloons_4k_regions)
{
	struct fx f = {0};

	fx_setup(&f, "linux");
	xb_metrics_region_map(&f.d, f.map);
	cr_assert_eq(count(f.map, XB_REGION_FREE), 16);
	cr_assert_eq(count(f.map, XB_REGION_SMALL), 16);
	for (unsigned i = 16; i < REGIONS; i++)
		cr_assert_eq(f.map[i], XB_REGION_SMALL);
	fx_free(&f);
}

Test(region_map, allocations_by_mobility)
{
	struct fx f = {0};
	xb_pfn_t u, m, m2;

	fx_setup(&f, "huge-first");
	u = xb_zone_alloc(f.z, 0, XB_MT_UNMOVABLE, 0, f.pin, 0);
	m = xb_zone_alloc(f.z, 0, XB_MT_MOVABLE, 0, f.pin, 1);
	cr_assert_neq(u, XB_NIL);
	cr_assert_neq(m, XB_NIL);
	/* Different migratetypes come from different pageblocks. */
	cr_assert_neq(u >> 9, m >> 9);
	xb_metrics_region_map(&f.d, f.map);
	cr_assert_eq(f.map[u >> 9], XB_REGION_UNMOVABLE);
	cr_assert_eq(f.map[m >> 9], XB_REGION_MOVABLE);
	cr_assert_eq(count(f.map, XB_REGION_FREE), 14);
	cr_assert_eq(count(f.map, XB_REGION_HUGE), 16);

	/* A movable page beside an unmovable one: the region is unmovable. */
	cr_assert(xb_zone_carve(f.z, u, 0));
	m2 = u ^ 1;
	if (f.z->frames[m2].state == XB_FRAME_FREE) {
		xb_zone_free(f.z, u);
		u = xb_zone_alloc(f.z, 0, XB_MT_UNMOVABLE, 0, f.pin, 0);
		cr_assert_eq(u >> 9, m2 >> 9);
	}
	xb_metrics_region_map(&f.d, f.map);
	cr_assert_eq(f.map[u >> 9], XB_REGION_UNMOVABLE);

	/* Freed again, both regions read free. */
	xb_zone_free(f.z, u);
	xb_zone_free(f.z, m);
	xb_metrics_region_map(&f.d, f.map);
	cr_assert_eq(count(f.map, XB_REGION_FREE), 16);
	fx_free(&f);
}

Test(region_map, ballooned_4k_pages_make_mixed_regions)
{
	struct fx f = {0};
	uint64_t done = 0;
	unsigned touched = 0;
	bool seen[REGIONS] = {0};

	fx_setup(&f, "linux");
	cr_assert_eq(xb_drv_decrease_small(&f.d, 3, false, &done), XB_BP_DONE);
	cr_assert_eq(done, 3);
	/* The regions holding the three ballooned frames. */
	for (uint64_t p = 0; p < BOOTED; p++) {
		const struct xb_frame *fr = &f.z->frames[p];

		if (fr->state == XB_FRAME_UNPOPULATED && !seen[p >> 9]) {
			seen[p >> 9] = true;
			touched++;
		}
	}
	cr_assert(touched >= 1 && touched <= 3);
	xb_metrics_region_map(&f.d, f.map);
	for (unsigned i = 0; i < BOOTED / XB_HPAGE_PAGES; i++)
		cr_assert_eq(f.map[i],
			     seen[i] ? XB_REGION_MIXED : XB_REGION_FREE,
			     "region %u is %c", i, xb_region_chars[f.map[i]]);
	cr_assert_eq(count(f.map, XB_REGION_SMALL), 16);
	fx_free(&f);
}

Test(region_map, foreign_mapping_pages_are_special)
{
	struct fx f = {0};
	unsigned special = 0, mixed = 0;

	fx_setup(&f, "linux");
	/* 1024 frames out of the 4 KiB balloon. */
	cr_assert_eq(xb_driver_alloc_special(&f.d, 2 * XB_HPAGE_PAGES), 0);
	xb_metrics_region_map(&f.d, f.map);
	/* Frame by frame: a region all special is S, part special is x. */
	for (unsigned r = 0; r < REGIONS; r++) {
		unsigned n = 0;

		for (xb_pfn_t p = r * XB_HPAGE_PAGES;
		     p < (r + 1) * XB_HPAGE_PAGES; p++)
			n += f.z->frames[xb_zone_head(f.z, p)].owner ==
			     f.d.special_owner;
		uint8_t want = n == XB_HPAGE_PAGES ? XB_REGION_SPECIAL
			       : n		   ? XB_REGION_MIXED
			       : r < 16		   ? XB_REGION_FREE
						   : XB_REGION_SMALL;

		cr_assert_eq(f.map[r], want, "region %u is %c, not %c", r,
			     xb_region_chars[f.map[r]], xb_region_chars[want]);
		special += want == XB_REGION_SPECIAL;
		mixed += want == XB_REGION_MIXED;
	}
	cr_assert_eq(f.d.special.nr, 2 * XB_HPAGE_PAGES);
	cr_assert_geq(special + mixed, 2);
	fx_free(&f);
}

Test(region_map, letters)
{
	cr_assert_str_eq(xb_region_chars, "fmuHsSx");
}

/* guest.unpopulated_eighths: the never-booted top half is the upper four
 * eighths, 2048 frames each; 4 KiB pages ballooned later add to the eighth
 * that holds each of them. */
Test(unpopulated_eighths, boot_then_4k_balloon)
{
	struct fx f = {0};
	struct xb_guest_metrics m;
	uint64_t done = 0, want[XB_METRICS_EIGHTHS] = {0,    0,	   0,	 0,
						       2048, 2048, 2048, 2048};

	fx_setup(&f, "linux");
	xb_metrics_guest(&f.d, &m);
	for (unsigned e = 0; e < XB_METRICS_EIGHTHS; e++)
		cr_assert_eq(m.unpopulated_eighths[e], want[e], "eighth %u", e);
	cr_assert_eq(xb_drv_decrease_small(&f.d, 5, false, &done), XB_BP_DONE);
	cr_assert_eq(done, 5);
	for (uint64_t p = 0; p < BOOTED; p++)
		if (f.z->frames[p].state == XB_FRAME_UNPOPULATED)
			want[p / (GUEST / XB_METRICS_EIGHTHS)]++;
	xb_metrics_guest(&f.d, &m);
	uint64_t sum = 0;

	for (unsigned e = 0; e < XB_METRICS_EIGHTHS; e++) {
		cr_assert_eq(m.unpopulated_eighths[e], want[e], "eighth %u", e);
		sum += m.unpopulated_eighths[e];
	}
	cr_assert_eq(sum, GUEST - BOOTED + 5);
	fx_free(&f);
}

/* Eighths of a zone that is not a multiple of 8 frames: eighth k is
 * [ceil(k n / 8), ceil((k + 1) n / 8)), and a block across a boundary is
 * split between the two. */
Test(unpopulated_eighths, odd_sized_zone)
{
	struct xb_zone *z = xb_zone_create(1001);
	uint64_t pop, bal, mix, e8[XB_METRICS_EIGHTHS];
	uint64_t sum = 0;

	/* Nothing booted: every frame is unpopulated. */
	xb_metrics_regions(z, &pop, &bal, &mix, e8);
	for (unsigned e = 0; e < XB_METRICS_EIGHTHS; e++) {
		uint64_t lo = (e * 1001 + 7) / 8, hi = ((e + 1) * 1001 + 7) / 8;

		cr_assert_eq(e8[e], hi - lo, "eighth %u: %llu", e,
			     (unsigned long long)e8[e]);
		sum += e8[e];
	}
	cr_assert_eq(sum, 1001);
	xb_zone_destroy(z);
}

/* The per-sample metrics are the full ones without the region walk. */
Test(unpopulated_eighths, counters_skip_only_the_region_walk)
{
	struct fx f = {0};
	struct xb_guest_metrics full, fast;
	uint64_t done = 0;

	fx_setup(&f, "linux");
	cr_assert_eq(xb_drv_decrease_small(&f.d, 7, false, &done), XB_BP_DONE);
	xb_metrics_guest(&f.d, &full);
	xb_metrics_guest_counters(&f.d, &fast);
	cr_assert_eq(fast.regions_populated + fast.regions_ballooned +
			 fast.regions_mixed,
		     0);
	for (unsigned e = 0; e < XB_METRICS_EIGHTHS; e++)
		cr_assert_eq(fast.unpopulated_eighths[e], 0);
	cr_assert_gt(full.regions_mixed, 0);
	full.regions_populated = full.regions_ballooned = full.regions_mixed =
	    0;
	memset(full.unpopulated_eighths, 0, sizeof(full.unpopulated_eighths));
	cr_assert_eq(memcmp(&full, &fast, sizeof(full)), 0);
	fx_free(&f);
}
