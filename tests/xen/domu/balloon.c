/*
 * balloon: the workload of the real-driver reference test, run as the
 * /init program of a PV domU on real Xen (tests/xen/domu/README.md).
 *
 *   balloon --size MIB --free PCT [--proactiveness N] [--settle SECS]
 *           [--timeout SECS]
 *
 * --proactiveness sets vm.compaction_proactiveness first (0: kcompactd's
 * proactive compaction, whose 500 ms timer races the driver, stays off).
 *
 * Snapshots "start", touches MIB of anonymous memory, frees PCT % of the
 * pages held in every 2 MiB physical region with the model's fragmenter
 * rule (xb_fragment(), tests/linux/patterns/xbpat.c) and snapshots
 * "before". Then it prints "XB ready 1" and waits for dom0 to lower the
 * balloon target (memory/target in xenstore, which Linux's balloon driver
 * watches and shows as target_kb). While the driver works it prints the
 * domain's size every 100 ms ("XB series.<ms> <current_kb>"); once the
 * size has reached the target, or has not moved for --settle seconds (the
 * driver cannot take more pages and retries with back-off), it snapshots
 * "after" and prints "XB done balloon". Then it only sleeps, with the
 * workload mapped, until dom0 destroys the domain: dom0 may ask for more
 * than the guest can give, and an allocation of this program's then would
 * wake the OOM killer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xbpat.h"

#define INFO   "/sys/devices/system/xen_memory/xen_memory0/info/"
#define TARGET "/sys/devices/system/xen_memory/xen_memory0/target_kb"

static void balloon_info(const char *phase)
{
	static const char *const files[] = {"current_kb", "low_kb", "high_kb"};
	char path[160], key[96];

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(path, sizeof(path), INFO "%s", files[i]);
		snprintf(key, sizeof(key), "%s.balloon.%s", phase, files[i]);
		xb_out(key, "%lld", xb_read_ll(path));
	}
	snprintf(key, sizeof(key), "%s.balloon.target_kb", phase);
	xb_out(key, "%lld", xb_read_ll(TARGET));
}

int main(int argc, char **argv)
{
	size_t bytes = 0;
	double share = -1;
	int settle_s = 5, timeout_s = 300;
	const char *proactiveness = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			bytes = xb_parse_mib(argv[++i]);
		else if (!strcmp(argv[i], "--free") && i + 1 < argc)
			share = atof(argv[++i]) / 100.0;
		else if (!strcmp(argv[i], "--proactiveness") && i + 1 < argc)
			proactiveness = argv[++i];
		else if (!strcmp(argv[i], "--settle") && i + 1 < argc)
			settle_s = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = atoi(argv[++i]);
		else
			xb_die("balloon: bad argument %s", argv[i]);
	}
	if (!bytes || share < 0 || share > 1 || settle_s < 1 || timeout_s < 1)
		xb_die("balloon: --size MIB and --free PCT are required");
	xb_ms();
	if (proactiveness)
		xb_write_file("/proc/sys/vm/compaction_proactiveness",
			      proactiveness);
	xb_snapshot("start");
	balloon_info("start");

	size_t n = bytes / XB_PAGE;
	/* Taken now: after ballooning, free memory is at the min mark and a
	 * new allocation may wake the OOM killer. */
	uint64_t *pfn = calloc(n, sizeof(*pfn));

	if (!pfn)
		xb_die("balloon: out of memory");
	unsigned char *p = xb_touch_anon(bytes);

	xb_out("frag.touched_ms", "%.0f", xb_ms());
	xb_fragment(p, n, share, "frag");
	xb_snapshot("before");
	balloon_info("before");

	long long target0 = xb_read_ll(TARGET), target = target0;

	xb_out("ready", "1");
	fflush(stdout);
	double t0 = xb_ms();

	while (target == target0) {
		if (xb_ms() - t0 > timeout_s * 1000.0)
			xb_die("balloon: the target stayed at %lld kB",
			       target0);
		usleep(20000);
		target = xb_read_ll(TARGET);
	}
	xb_out("target_ms", "%.0f", xb_ms());
	xb_out("target_kb", "%lld", target);

	/* 100 ms steps: the size over time, until it reaches the target or
	 * stays put for settle_s. */
	long long last = -1;
	double still_since = xb_ms();

	for (;;) {
		long long cur = xb_read_ll(INFO "current_kb");
		double now = xb_ms();
		char key[64];

		snprintf(key, sizeof(key), "series.%.0f", now);
		xb_out(key, "%lld", cur);
		if (cur != last)
			still_since = now;
		last = cur;
		if (cur == target || now - still_since >= settle_s * 1000.0)
			break;
		if (now - t0 > timeout_s * 1000.0)
			xb_die("balloon: still at %lld kB, target %lld kB", cur,
			       target);
		usleep(100000);
	}
	xb_snapshot("after");
	balloon_info("after");

	size_t present = 0;

	xb_pfns(p, n, pfn);
	for (size_t i = 0; i < n; i++)
		present += pfn[i] != UINT64_MAX;
	xb_out("frag.present_after", "%zu", present);
	free(pfn);
	xb_out("done", "balloon");
	fflush(stdout);
	for (;;)
		pause();
}
