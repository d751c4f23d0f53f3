/*
 * Scenario parsing: the unit parsers, the contract's example with every
 * field checked, the documented defaults, error codes, and policy knob
 * validation through a caller's table.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "support/testutil.h"
#include "xballoon/backend.h"
#include "xballoon/policy.h"
#include "xballoon/scenario.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define S   XB_NS_PER_S
#define MS  XB_NS_PER_MS

/* ---- units ----------------------------------------------------------- */

static uint64_t size_ok(const char *s)
{
	const char *why = NULL;
	uint64_t v = 0;

	cr_assert_eq(xb_parse_size(s, &v, &why), 0, "%s: %s", s, why);
	return v;
}

static int size_err(const char *s)
{
	const char *why = NULL;
	uint64_t v = 12345;
	int r = xb_parse_size(s, &v, &why);

	cr_assert_neq(r, 0, "%s parsed", s);
	cr_assert_not_null(why);
	cr_assert_eq(v, 12345, "%s: output written on error", s);
	return r;
}

Test(units, sizes_are_binary_and_exact)
{
	cr_assert_eq(size_ok("4GiB"), 4 * GiB);
	cr_assert_eq(size_ok("512MiB"), 512 * MiB);
	cr_assert_eq(size_ok("2M"), 2 * MiB);
	cr_assert_eq(size_ok("4K"), 4096);
	cr_assert_eq(size_ok("4KiB"), 4096);
	cr_assert_eq(size_ok("1T"), 1ull << 40);
	cr_assert_eq(size_ok("16TiB"), 16ull << 40);
	cr_assert_eq(size_ok("4096B"), 4096);
	cr_assert_eq(size_ok("0B"), 0);
	cr_assert_eq(size_ok("1.5GiB"), 3 * GiB / 2);
	cr_assert_eq(size_ok("0.25KiB"), 256);
	cr_assert_eq(size_ok("4EiB"), 4ull << 60);
	cr_assert_eq(size_ok("15E"), 15ull << 60);
	cr_assert_eq(size_ok("18446744073709551615B"), UINT64_MAX);
}

Test(units, bad_sizes_are_refused)
{
	cr_assert_eq(size_err("4096"), -EINVAL);  /* bare integer */
	cr_assert_eq(size_err("4GB"), -EINVAL);	  /* decimal unit */
	cr_assert_eq(size_err("4 GiB"), -EINVAL); /* space */
	cr_assert_eq(size_err("-4GiB"), -EINVAL); /* negative */
	cr_assert_eq(size_err("+4GiB"), -EINVAL);
	cr_assert_eq(size_err(""), -EINVAL);
	cr_assert_eq(size_err("GiB"), -EINVAL);
	cr_assert_eq(size_err(".5GiB"), -EINVAL);
	cr_assert_eq(size_err("1.GiB"), -EINVAL);
	cr_assert_eq(size_err("0.3B"), -EINVAL); /* not whole bytes */
	cr_assert_eq(size_err("4gib"), -EINVAL);
	cr_assert_eq(size_err("99999999999TiB"), -ERANGE);
	cr_assert_eq(size_err("16EiB"), -ERANGE);
	cr_assert_eq(size_err("18446744073709551616B"), -ERANGE);
	cr_assert_eq(size_err("1.000000000000000000001GiB"), -ERANGE);
}

static xb_ns_t time_ok(const char *s)
{
	const char *why = NULL;
	xb_ns_t v = 0;

	cr_assert_eq(xb_parse_time(s, &v, &why), 0, "%s: %s", s, why);
	return v;
}

static int time_err(const char *s)
{
	const char *why = NULL;
	xb_ns_t v;

	return xb_parse_time(s, &v, &why);
}

Test(units, times_are_nanoseconds)
{
	cr_assert_eq(time_ok("500ms"), 500 * MS);
	cr_assert_eq(time_ok("30s"), 30 * S);
	cr_assert_eq(time_ok("2min"), 120 * S);
	cr_assert_eq(time_ok("1.5s"), 1500 * MS);
	cr_assert_eq(time_ok("0.001ms"), 1000);
	cr_assert_eq(time_ok("0s"), 0);
	cr_assert_eq(time_ok("1000000s"), XB_TIME_MAX);
	cr_assert_eq(time_err("1000001s"), -ERANGE);
	cr_assert_eq(time_err("16667min"), -ERANGE);
	cr_assert_eq(time_err("0.0000001ms"), -EINVAL); /* 0.1 ns */
	cr_assert_eq(time_err("30"), -EINVAL);
	cr_assert_eq(time_err("1h"), -EINVAL);
	cr_assert_eq(time_err("-5s"), -EINVAL);
	cr_assert_eq(time_err("99999999999999999999s"), -ERANGE);
}

Test(units, shares_and_rates_are_parts_per_million)
{
	const char *why;
	uint32_t v;

	cr_assert_eq(xb_parse_share("20%", &v, &why), 0);
	cr_assert_eq(v, 200000);
	cr_assert_eq(xb_parse_share("12.5%", &v, &why), 0);
	cr_assert_eq(v, 125000);
	cr_assert_eq(xb_parse_share("0.0001%", &v, &why), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(xb_parse_share("100%", &v, &why), 0);
	cr_assert_eq(v, XB_PPM);
	cr_assert_eq(xb_parse_share("0%", &v, &why), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(xb_parse_share("0.00001%", &v, &why), -EINVAL);
	cr_assert_eq(xb_parse_share("100.0001%", &v, &why), -ERANGE);
	cr_assert_eq(xb_parse_share("20", &v, &why), -EINVAL);
	cr_assert_eq(xb_parse_share("0.2", &v, &why), -EINVAL);

	cr_assert_eq(xb_parse_rate("20%/s", &v, &why), 0);
	cr_assert_eq(v, 200000);
	cr_assert_eq(xb_parse_rate("5%/s", &v, &why), 0);
	cr_assert_eq(v, 50000);
	cr_assert_eq(xb_parse_rate("20%", &v, &why), -EINVAL);
	cr_assert_eq(xb_parse_rate("20%/min", &v, &why), -EINVAL);
	cr_assert_eq(xb_parse_rate("/s", &v, &why), -EINVAL);
	cr_assert_eq(xb_parse_rate("150%/s", &v, &why), -ERANGE);
}

Test(units, integers_and_switches)
{
	const char *why;
	uint64_t v;
	bool on;

	cr_assert_eq(xb_parse_uint("0", 10, &v, &why), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(
	    xb_parse_uint("18446744073709551615", UINT64_MAX, &v, &why), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(
	    xb_parse_uint("18446744073709551616", UINT64_MAX, &v, &why),
	    -ERANGE);
	cr_assert_eq(xb_parse_uint("513", 512, &v, &why), -ERANGE);
	cr_assert_eq(xb_parse_uint("512", 512, &v, &why), 0);
	cr_assert_eq(v, 512);
	cr_assert_eq(xb_parse_uint("12a", 100, &v, &why), -EINVAL);
	cr_assert_eq(xb_parse_uint("-1", 100, &v, &why), -EINVAL);
	cr_assert_eq(xb_parse_uint("", 100, &v, &why), -EINVAL);
	cr_assert_eq(xb_parse_uint("0x10", 100, &v, &why), -EINVAL);

	cr_assert_eq(xb_parse_switch("on", &on, &why), 0);
	cr_assert(on);
	cr_assert_eq(xb_parse_switch("off", &on, &why), 0);
	cr_assert_not(on);
	cr_assert_eq(xb_parse_switch("yes", &on, &why), -EINVAL);
}

Test(units, formatting_picks_the_largest_exact_unit)
{
	char buf[32];
	uint64_t v;
	xb_ns_t t;
	const char *why;

	cr_assert_str_eq(xb_format_size(4 * GiB, buf, sizeof(buf)), "4GiB");
	cr_assert_str_eq(xb_format_size(1536 * MiB, buf, sizeof(buf)),
			 "1536MiB");
	cr_assert_str_eq(xb_format_size(6000, buf, sizeof(buf)), "6000B");
	cr_assert_str_eq(xb_format_size(0, buf, sizeof(buf)), "0B");
	cr_assert_str_eq(xb_format_time(90 * S, buf, sizeof(buf)), "90s");
	cr_assert_str_eq(xb_format_time(120 * S, buf, sizeof(buf)), "2min");
	cr_assert_str_eq(xb_format_time(1500 * MS, buf, sizeof(buf)), "1500ms");
	cr_assert_str_eq(xb_format_time(0, buf, sizeof(buf)), "0s");
	/* What is printed parses back to the same value. */
	cr_assert_eq(
	    xb_parse_size(xb_format_size(123456789ull << 12, buf, sizeof(buf)),
			  &v, &why),
	    0);
	cr_assert_eq(v, 123456789ull << 12);
	cr_assert_eq(
	    xb_parse_time(xb_format_time(12345678, buf, sizeof(buf)), &t, &why),
	    -EINVAL); /* "12345678ns": ns is not an input unit */
}

/* ---- the contract example -------------------------------------------- */

Test(scenario, contract_example_loads_with_every_field)
{
	GError *error = NULL;
	struct xb_scenario *s = xb_scenario_load(
	    xbt_source_path("tests/scenario/good/contract-example.yaml"),
	    &error);
	const struct xb_neighbour *nb;
	const struct xb_event *ev;

	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_str_eq(s->name, "fragmented-shrink");
	cr_assert_str_eq(s->description,
			 "A 4 GiB HVM guest whose page cache churns is "
			 "ballooned to 1 GiB and back.\n");
	cr_assert_eq(s->seed, 7);
	cr_assert_eq(s->duration, 180 * S);
	cr_assert(s->duration_given);
	cr_assert_eq(s->sample, 1 * S);

	cr_assert_eq(s->host.memory, 16 * GiB);
	cr_assert_eq(s->host.frames, 4194304);
	cr_assert_eq(s->host.memory_pos.line, 9);
	cr_assert_eq(s->host.memory_pos.col, 11);
	cr_assert_eq(s->host.nr_neighbours, 1);
	nb = &s->host.neighbours[0];
	cr_assert_str_eq(nb->name, "noisy");
	cr_assert_eq(nb->memory, 8 * GiB);
	cr_assert_eq(nb->frames, 2097152);
	cr_assert(nb->has_churn);
	cr_assert_eq(nb->churn_every, 50 * MS);
	cr_assert_eq(nb->churn_pages, 512);
	for (int o = 0; o < XB_MAX_ORDER; o++)
		cr_assert_eq(nb->order_share_ppm[o], o == 0   ? 900000u
						     : o == 9 ? 100000u
							      : 0u);
	cr_assert_eq(nb->pos.line, 11);
	cr_assert_eq(nb->pos.col, 7);

	cr_assert_eq(s->guest.type, XB_GUEST_HVM);
	cr_assert_eq(s->guest.memory, 4 * GiB);
	cr_assert_eq(s->guest.frames, 1048576);
	cr_assert_eq(s->guest.maxmem, 4 * GiB);
	cr_assert_eq(s->guest.max_frames, 1048576);
	cr_assert_eq(s->guest.boot_order, 9);
	cr_assert_eq(s->guest.memop_max_order, 9);
	cr_assert_eq(s->guest.maxmem_pos.line, 18);

	cr_assert_str_eq(s->driver.policy, "huge-first");
	cr_assert_eq(s->driver.policy_pos.line, 22);
	cr_assert_eq(s->driver.policy_pos.col, 11);
	cr_assert_eq(s->driver.nr_knobs, 0);

	cr_assert_eq(s->nr_workloads, 3);
	cr_assert_str_eq(s->workloads[0].name, "app");
	cr_assert_eq(s->workloads[0].kind, XB_WL_ANON);
	cr_assert_eq(s->workloads[0].size, 2 * GiB);
	cr_assert_eq(s->workloads[0].frames, 524288);
	cr_assert_eq(s->workloads[0].ramp, 10 * S);
	cr_assert_eq(s->workloads[0].churn_ppm_s, 0);
	cr_assert_eq(s->workloads[0].lifetime, XB_NS_FOREVER);
	cr_assert_eq(s->workloads[0].free_ppm, 0);
	cr_assert_eq(s->workloads[0].start_event, 0);
	cr_assert_eq(s->workloads[0].stop_event, 6);
	cr_assert_eq(s->workloads[0].pos.line, 27);
	cr_assert_eq(s->workloads[0].pos.col, 15);
	cr_assert_str_eq(s->workloads[1].name, "cache");
	cr_assert_eq(s->workloads[1].kind, XB_WL_PAGECACHE);
	cr_assert_eq(s->workloads[1].size, 1 * GiB);
	cr_assert_eq(s->workloads[1].ramp, 0);
	cr_assert_eq(s->workloads[1].churn_ppm_s, 200000);
	cr_assert_eq(s->workloads[1].start_event, 1);
	cr_assert_eq(s->workloads[1].stop_event, -1);
	cr_assert_str_eq(s->workloads[2].name, "kernel");
	cr_assert_eq(s->workloads[2].kind, XB_WL_SLAB);
	cr_assert_eq(s->workloads[2].size, 64 * MiB);
	cr_assert_eq(s->workloads[2].frames, 16384);
	cr_assert_eq(s->workloads[2].churn_ppm_s, 50000);
	cr_assert_eq(s->workloads[2].start_event, 2);
	cr_assert_eq(s->workloads[2].stop_event, -1);

	cr_assert_eq(s->nr_events, 9);
	ev = s->events;
	cr_assert_eq(ev[0].type, XB_EV_WORKLOAD);
	cr_assert_eq(ev[0].at, 0);
	cr_assert_eq(ev[0].workload, 0);
	cr_assert_eq(ev[0].pos.line, 26);
	cr_assert_eq(ev[0].pos.col, 5);
	cr_assert_eq(ev[1].type, XB_EV_WORKLOAD);
	cr_assert_eq(ev[1].workload, 1);
	cr_assert_eq(ev[2].type, XB_EV_WORKLOAD);
	cr_assert_eq(ev[2].at, 5 * S);
	cr_assert_eq(ev[2].workload, 2);
	cr_assert_eq(ev[3].type, XB_EV_TARGET);
	cr_assert_eq(ev[3].at, 60 * S);
	cr_assert_eq(ev[3].size.bytes, 1 * GiB);
	cr_assert_eq(ev[3].size.frames, 262144);
	cr_assert_eq(ev[4].type, XB_EV_COMPACT);
	cr_assert_eq(ev[4].at, 100 * S);
	cr_assert_eq(ev[4].compact_order, XB_COMPACT_FULL);
	cr_assert_eq(ev[5].type, XB_EV_TARGET);
	cr_assert_eq(ev[5].at, 120 * S);
	cr_assert_eq(ev[5].size.frames, 1048576);
	cr_assert_eq(ev[6].type, XB_EV_STOP);
	cr_assert_eq(ev[6].at, 150 * S);
	cr_assert_eq(ev[6].workload, 0);
	cr_assert_eq(ev[7].type, XB_EV_FOREIGN_MAP);
	cr_assert_eq(ev[7].at, 160 * S);
	cr_assert_eq(ev[7].size.bytes, 4 * MiB);
	cr_assert_eq(ev[7].size.frames, 1024);
	cr_assert_eq(ev[8].type, XB_EV_FAULT);
	cr_assert_eq(ev[8].at, 170 * S);
	cr_assert_eq(ev[8].fault.op, XB_FAULT_POPULATE);
	cr_assert_eq(ev[8].fault.rate_ppm, 100000);
	cr_assert_eq(ev[8].fault.call, 0);
	cr_assert_eq(ev[8].fault.at_extent, 0);
	cr_assert_eq(ev[8].fault.duration, 5 * S);
	cr_assert_eq(ev[8].pos.line, 42);

	/* 16 B x 1 Mi guest frames + 16 B x 4 Mi host frames
	 * + 4 B x (1 Mi guest + 2 Mi neighbour) gfns. */
	cr_assert_eq(xb_scenario_metadata_bytes(s),
		     16ull * 1048576 + 16ull * 4194304 + 4ull * 3145728);
	cr_assert(xb_scenario_check_policy(s, &xb_scenario_default_policy_check,
					   NULL, &error));
	xb_scenario_free(s);
}

/* ---- scenarios written by the tests ---------------------------------- */

static char *tmpdir;

static void make_tmpdir(void)
{
	tmpdir = g_dir_make_tmp("xb-parse-XXXXXX", NULL);
	cr_assert_not_null(tmpdir);
}

static void remove_tmpdir(void)
{
	GDir *d = g_dir_open(tmpdir, 0, NULL);
	const char *ent;

	while (d && (ent = g_dir_read_name(d))) {
		char *p = g_build_filename(tmpdir, ent, NULL);

		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(tmpdir);
	g_free(tmpdir);
}

TestSuite(written, .init = make_tmpdir, .fini = remove_tmpdir);

/* Write text to tmpdir/name and return its path (g_free it). */
static char *write_file(const char *name, const char *text)
{
	char *path = g_build_filename(tmpdir, name, NULL);

	cr_assert(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static struct xb_scenario *load_text(const char *text, char **path,
				     GError **error)
{
	*path = write_file("s.yaml", text);
	return xb_scenario_load(*path, error);
}

#define MINIMAL "name: min\nhost: {memory: 8GiB}\nguest: {memory: 2GiB}\n"

Test(written, defaults_are_the_documented_ones)
{
	GError *error = NULL;
	char *path;
	struct xb_scenario *s = load_text(MINIMAL, &path, &error);

	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_str_eq(s->path, path);
	cr_assert_null(s->description);
	cr_assert_eq(s->seed, 1);
	cr_assert_eq(s->duration, 0);
	cr_assert_not(s->duration_given);
	cr_assert_eq(s->sample, 1 * S);
	cr_assert_eq(s->host.nr_neighbours, 0);
	cr_assert_eq(s->guest.type, XB_GUEST_HVM);
	cr_assert_eq(s->guest.maxmem, 2 * GiB);
	cr_assert_eq(s->guest.max_frames, 524288);
	cr_assert_eq(s->guest.maxmem_pos.line, 3);
	cr_assert_eq(s->guest.boot_order, 9);
	cr_assert_eq(s->guest.memop_max_order, 9);
	/* Debian 12's kernel: THP always, defrag madvise, computed
	 * min_free_kbytes, the kernel's memory from its size. */
	cr_assert_eq(s->guest.thp, XB_THP_ALWAYS);
	cr_assert_eq(s->guest.pageblock_order, 9);
	cr_assert_eq(s->guest.thp_defrag, XB_THP_DEFRAG_MADVISE);
	cr_assert_eq(s->guest.min_free_kbytes, 0);
	cr_assert_eq(s->guest.watermark_scale_factor, 10);
	cr_assert_eq(s->guest.watermark_boost_factor, 15000);
	cr_assert_eq(s->guest.kernel_reserved, 524288 / 64 + 11264);
	cr_assert_str_eq(s->driver.policy, "linux");
	cr_assert_eq(s->driver.nr_knobs, 0);
	cr_assert_eq(s->nr_events, 0);
	cr_assert_eq(s->nr_workloads, 0);
	xb_scenario_free(s);
	g_free(path);
}

Test(written, duration_defaults_to_the_last_event_and_kinds_default)
{
	GError *error = NULL;
	char *path;
	struct xb_scenario *s = load_text(
	    MINIMAL "timeline:\n"
		    "  - {at: 3s, workload: {name: f, kind: fragmenter, "
		    "size: 64MiB}}\n"
		    "  - {at: 7.5s, fault: {op: relocate, call: 3, "
		    "at_extent: 2}}\n"
		    "  - {at: 7.5s, compact: order:9}\n"
		    "  - {at: 7.5s, fault: {op: add_to_physmap, rate: 5%, "
		    "for: 1s}}\n",
	    &path, &error);

	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_eq(s->duration, 7500 * MS);
	cr_assert_eq(s->workloads[0].kind, XB_WL_FRAGMENTER);
	cr_assert_eq(s->workloads[0].free_ppm, 750000);
	cr_assert_eq(s->workloads[0].frames, 16384);
	cr_assert_eq(s->events[1].fault.op, XB_FAULT_RELOCATE);
	cr_assert_eq(s->events[1].fault.rate_ppm, 0);
	cr_assert_eq(s->events[1].fault.call, 3);
	cr_assert_eq(s->events[1].fault.at_extent, 2);
	cr_assert_eq(s->events[1].fault.duration, XB_NS_FOREVER);
	cr_assert_eq(s->events[2].compact_order, 9);
	/* The guest's own moves have a fault op of their own. */
	cr_assert_eq(s->events[3].fault.op, XB_FAULT_ADD_TO_PHYSMAP);
	cr_assert_eq(s->events[3].fault.rate_ppm, 50000);
	cr_assert_eq(s->events[3].fault.duration, 1000 * MS);
	xb_scenario_free(s);
	g_free(path);
}

Test(written, guest_memory_management_keys)
{
	GError *error = NULL;
	char *path;
	struct xb_scenario *s = load_text(
	    "name: mm\nhost: {memory: 8GiB}\n"
	    "guest: {memory: 1GiB, thp: never, thp_defrag: defer+madvise, "
	    "min_free_kbytes: 65536, watermark_scale_factor: 200, "
	    "watermark_boost_factor: 0, kernel_reserved: 64MiB, "
	    "pageblock_order: 10}\n",
	    &path, &error);

	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_eq(s->guest.pageblock_order, 10);
	cr_assert_eq(s->guest.thp, XB_THP_NEVER);
	cr_assert_eq(s->guest.thp_defrag, XB_THP_DEFRAG_DEFER_MADVISE);
	cr_assert_eq(s->guest.min_free_kbytes, 65536);
	cr_assert_eq(s->guest.watermark_scale_factor, 200);
	cr_assert_eq(s->guest.watermark_boost_factor, 0);
	cr_assert_eq(s->guest.kernel_reserved, 16384);
	xb_scenario_free(s);
	g_free(path);
}

Test(written, pv_guest_with_4k_boot_and_churn_default_orders)
{
	GError *error = NULL;
	char *path;
	struct xb_scenario *s = load_text(
	    "name: pv\nseed: 18446744073709551615\n"
	    "host:\n  memory: 8GiB\n  neighbours:\n"
	    "    - {name: n_1, memory: 1GiB, churn: {every: 1s, pages: 8}}\n"
	    "guest: {type: pv, memory: 1GiB, maxmem: 2GiB, "
	    "boot_extent: 4KiB, memop_max_order: 0}\n",
	    &path, &error);

	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_eq(s->seed, UINT64_MAX);
	cr_assert_eq(s->guest.type, XB_GUEST_PV);
	cr_assert_eq(s->guest.boot_order, 0);
	cr_assert_eq(s->guest.memop_max_order, 0);
	cr_assert_eq(s->guest.max_frames, 524288);
	cr_assert_eq(s->host.neighbours[0].order_share_ppm[0], XB_PPM);
	/* 16 x 512 Ki + 16 x 2 Mi + 4 x (512 Ki + 256 Ki) */
	cr_assert_eq(xb_scenario_metadata_bytes(s),
		     16ull * 524288 + 16ull * 2097152 + 4ull * 786432);
	xb_scenario_free(s);
	g_free(path);
}

Test(written, errors_carry_the_domain_and_code)
{
	GError *error = NULL;
	char *path;
	char *expected;

	cr_assert_null(load_text("name: x\nhost: {memory: 1GiB}\n"
				 "guest: {memory: 2GiB}\n",
				 &path, &error));
	cr_assert(g_error_matches(error, XB_ERROR, XB_ERROR_INVALID));
	expected = g_strdup_printf("%s:3:17: error: guest.maxmem 2GiB is "
				   "larger than host.memory 1GiB",
				   path);
	cr_assert_str_eq(error->message, expected);
	g_clear_error(&error);
	g_free(expected);
	g_free(path);

	path = g_build_filename(tmpdir, "absent.yaml", NULL);
	cr_assert_null(xb_scenario_load(path, &error));
	cr_assert(g_error_matches(error, XB_ERROR, XB_ERROR_IO));
	g_clear_error(&error);
	g_free(path);
}

/* ---- policy knobs ---------------------------------------------------- */

/* The table the tests use: two policies, two knobs. */
static bool test_policy_exists(const char *name)
{
	return !strcmp(name, "linux") || !strcmp(name, "huge-first");
}

static bool test_check_knob(const char *policy, const char *key,
			    const char *value, char **why)
{
	const char *w;
	xb_ns_t ns;
	bool on;

	if (!strcmp(key, "exchange_interval")) {
		if (!xb_parse_time(value, &ns, &w))
			return true;
		*why = g_strdup_printf("'%s' %s", value, w);
		return false;
	}
	if (!strcmp(key, "compaction")) {
		if (!xb_parse_switch(value, &on, &w))
			return true;
		*why = g_strdup_printf("'%s' %s", value, w);
		return false;
	}
	*why = g_strdup_printf("%s has no knob %s", policy, key);
	return false;
}

static const struct xb_policy_check test_table = {
    .policy_exists = test_policy_exists,
    .check_knob = test_check_knob,
};

static void expect_policy_error(const char *driver, const char *override,
				const char *msg_fmt)
{
	GError *error = NULL;
	char *path, *text = g_strconcat(MINIMAL, driver, NULL);
	struct xb_scenario *s = load_text(text, &path, &error);
	char *expected = g_strdup_printf(msg_fmt, path);

	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_not(
	    xb_scenario_check_policy(s, &test_table, override, &error));
	cr_assert(g_error_matches(error, XB_ERROR, XB_ERROR_INVALID));
	cr_assert_str_eq(error->message, expected);
	g_clear_error(&error);
	xb_scenario_free(s);
	g_free(expected);
	g_free(text);
	g_free(path);
}

Test(written, knobs_are_kept_raw_and_checked_by_the_table)
{
	GError *error = NULL;
	char *path;
	struct xb_scenario *s =
	    load_text(MINIMAL "driver:\n  exchange_interval: 2s\n"
			      "  policy: huge-first\n  compaction: off\n",
		      &path, &error);

	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_str_eq(s->driver.policy, "huge-first");
	cr_assert_eq(s->driver.nr_knobs, 2);
	cr_assert_str_eq(s->driver.knobs[0].key, "exchange_interval");
	cr_assert_str_eq(s->driver.knobs[0].value, "2s");
	cr_assert_eq(s->driver.knobs[0].pos.line, 5);
	cr_assert_eq(s->driver.knobs[0].pos.col, 22);
	cr_assert_str_eq(s->driver.knobs[1].key, "compaction");
	cr_assert_str_eq(s->driver.knobs[1].value, "off");
	cr_assert(xb_scenario_check_policy(s, &test_table, NULL, &error));
	cr_assert(xb_scenario_check_policy(s, &test_table, "linux", &error));
	/* The default table knows the same knobs. */
	cr_assert(xb_scenario_check_policy(s, &xb_scenario_default_policy_check,
					   NULL, &error));
	cr_assert_null(error);
	xb_scenario_free(s);
	g_free(path);
}

Test(written, policy_errors_point_at_the_file)
{
	expect_policy_error("driver:\n  policy: vmw\n", NULL,
			    "%s:5:11: error: unknown policy 'vmw'");
	expect_policy_error("driver:\n  policy: linux\n  compaction: maybe\n",
			    NULL,
			    "%s:6:15: error: driver.compaction: 'maybe' must "
			    "be on or off");
	expect_policy_error("driver:\n  policy: linux\n"
			    "  exchange_interval: 5\n",
			    NULL,
			    "%s:6:22: error: driver.exchange_interval: '5' "
			    "needs a unit: ms, s or min");
	expect_policy_error("driver:\n  batch: 4\n", NULL,
			    "%s:5:10: error: driver.batch: linux has no knob "
			    "batch");
	expect_policy_error("driver:\n  policy: linux\n", "greedy",
			    "--policy: unknown policy 'greedy'");
}

static bool default_accepts(const char *driver)
{
	GError *error = NULL;
	char *path, *text = g_strconcat(MINIMAL, driver, NULL);
	struct xb_scenario *s = load_text(text, &path, &error);
	bool ok;

	cr_assert_not_null(s, "%s", error ? error->message : "");
	ok = xb_scenario_check_policy(s, &xb_scenario_default_policy_check,
				      NULL, &error);
	g_clear_error(&error);
	xb_scenario_free(s);
	g_free(text);
	g_free(path);
	return ok;
}

Test(written, default_table_knows_the_v1_policies_and_knob_ranges)
{
	cr_assert(default_accepts("driver: {policy: huge-first-nocompact}\n"));
	cr_assert(default_accepts("driver: {policy: huge-first-noexchange, "
				  "exchange: off}\n"));
	cr_assert(default_accepts("driver: {policy: vmw, batch: 512, "
				  "max_retry_count: 3, "
				  "max_schedule_delay: 32s}\n"));
	cr_assert(default_accepts("driver: {policy: linux, "
				  "proactiveness: 100}\n"));
	cr_assert_not(default_accepts("driver: {policy: greedy}\n"));
	cr_assert_not(default_accepts("driver: {policy: vmw, batch: 0}\n"));
	cr_assert_not(default_accepts("driver: {policy: vmw, batch: 513}\n"));
	cr_assert_not(default_accepts("driver: {proactiveness: 101}\n"));
	cr_assert_not(default_accepts("driver: {max_retry_count: -1}\n"));
	cr_assert_not(default_accepts("driver: {exchange: 1}\n"));
	cr_assert_not(default_accepts("driver: {warp: on}\n"));
}

Test(written, the_largest_host_is_one_buddy_full)
{
	GError *error = NULL;
	char *path, *text, *expected;
	struct xb_scenario *s;

	/* XB_MAX_FRAMES frames is the most one 32-bit buddy indexes. */
	text = g_strdup_printf("name: big\nhost: {memory: %lluKiB}\n"
			       "guest: {memory: 1GiB, maxmem: %lluKiB}\n",
			       (unsigned long long)XB_MAX_FRAMES * 4,
			       (unsigned long long)XB_MAX_FRAMES * 4);
	s = load_text(text, &path, &error);
	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_eq(s->host.frames, XB_MAX_FRAMES);
	cr_assert_eq(s->guest.max_frames, XB_MAX_FRAMES);
	cr_assert_eq(xb_scenario_metadata_bytes(s), 36 * XB_MAX_FRAMES);
	xb_scenario_free(s);
	g_free(text);
	g_free(path);

	/* One frame more, i.e. 16TiB - 4KiB, is refused. */
	text = g_strdup_printf("name: big\nhost: {memory: %lluKiB}\n"
			       "guest: {memory: 1GiB}\n",
			       (unsigned long long)XB_MAX_FRAMES * 4 + 4);
	cr_assert_null(load_text(text, &path, &error));
	expected = g_strdup_printf(
	    "%s:2:16: error: host.memory 17179869180KiB is beyond what the "
	    "model can hold (at most 4294967294 frames of 4KiB, just under "
	    "16TiB)",
	    path);
	cr_assert_str_eq(error->message, expected);
	g_clear_error(&error);
	g_free(expected);
	g_free(text);
	g_free(path);
}

/* Knob values go through the same unit parsers as the rest of the file:
 * exact fractions of a time are accepted, the knob's own message explains
 * what a bad value should look like, ranges come from the knob table. */
Test(written, knob_values_use_the_shared_unit_parsers)
{
	const struct xb_policy_ops *p = xb_policy_find("huge-first");
	struct xb_policy_knobs k = p->defaults;
	const char *why = NULL;

	cr_assert_eq(xb_policy_set_knob(&k, "exchange_interval", "1.5s", &why),
		     0);
	cr_assert_eq(k.exchange_interval, 1500000000ull);
	cr_assert_eq(xb_policy_set_knob(&k, "max_schedule_delay", "32s", &why),
		     0);
	cr_assert_eq(k.max_schedule_delay, 32);
	cr_assert_eq(xb_policy_set_knob(&k, "max_schedule_delay", "1.5s", &why),
		     -EINVAL);
	cr_assert_str_eq(why, "must be a whole number of seconds such as 32s");
	cr_assert_eq(xb_policy_set_knob(&k, "batch", "-1", &why), -EINVAL);
	cr_assert_str_eq(why, "must be a non-negative integer");
	cr_assert_eq(xb_policy_set_knob(&k, "batch", "513", &why), -ERANGE);
	cr_assert_eq(xb_policy_set_knob(&k, "compaction", "off", &why), 0);
	cr_assert_not(k.compaction);
	cr_assert_eq(xb_policy_set_knob(&k, "compaction", "no", &why), -EINVAL);
	cr_assert_str_eq(why, "must be on or off");
}

Test(written, numa_nodes_vnodes_and_neighbour_pnode)
{
	GError *error = NULL;
	char *path;
	struct xb_scenario *s =
	    load_text("name: numa\n"
		      "host:\n"
		      "  memory: 16GiB\n"
		      "  nodes: [{memory: 6GiB}, {memory: 10GiB}]\n"
		      "  neighbours:\n"
		      "    - {name: a, memory: 1GiB, pnode: 1}\n"
		      "    - {name: b, memory: 1GiB}\n"
		      "guest:\n"
		      "  memory: 2GiB\n"
		      "  maxmem: 4GiB\n"
		      "  vnuma:\n"
		      "    - {memory: 1GiB, pnode: 1}\n"
		      "    - {memory: 3GiB, pnode: 0}\n",
		      &path, &error);

	cr_assert_not_null(s, "%s", error ? error->message : "");
	cr_assert_eq(s->host.nr_nodes, 2);
	cr_assert_eq(s->host.nodes[0].frames, 6 * GiB / 4096);
	cr_assert_eq(s->host.nodes[1].memory, 10 * GiB);
	cr_assert_eq(s->host.neighbours[0].pnode, 1);
	cr_assert_eq(s->host.neighbours[1].pnode, -1);
	cr_assert_eq(s->guest.nr_vnodes, 2);
	cr_assert_eq(s->guest.vnodes[0].frames, GiB / 4096);
	cr_assert_eq(s->guest.vnodes[0].pnode, 1);
	cr_assert_eq(s->guest.vnodes[1].pnode, 0);
	cr_assert_eq(s->guest.vnodes[1].pos.line, 13);
	xb_scenario_free(s);
	g_free(path);

	s = load_text(MINIMAL, &path, &error);
	cr_assert_not_null(s);
	cr_assert_eq(s->host.nr_nodes, 0);
	cr_assert_eq(s->guest.nr_vnodes, 0);
	xb_scenario_free(s);
	g_free(path);
}
