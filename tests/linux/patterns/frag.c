/*
 * frag: the model's fragmenter workload, on physical frames.
 *
 *   frag --size MIB --free PCT [--compact] [--proactiveness N]
 *        [--proactive-after N] [--wait SECS]
 *
 * Touches MIB of anonymous memory, reads every page's pfn from
 * /proc/self/pagemap and frees PCT % of the pages held in every 2 MiB
 * physical region with the model's rule (xb_fragment()), then snapshots
 * "before". --compact writes 1 to /proc/sys/vm/compact_memory (the model's
 * `compact: full`); --wait sleeps so that kcompactd can act on its own.
 * The last snapshot is "after". --proactiveness sets
 * vm.compaction_proactiveness first (0 keeps kcompactd's proactive
 * compaction from running between the snapshots); --proactive-after sets
 * it once "before" is taken, so that kcompactd's proactive compaction
 * starts from the fragmented state (the model fragments in one step, so
 * its kcompactd cannot act halfway). --wait ends early once
 * compact_migrate_scanned has not moved for 3 s after it first moved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xbpat.h"

int main(int argc, char **argv)
{
	size_t bytes = 0;
	double share = -1;
	int compact = 0, wait_s = 0;
	const char *proactiveness = NULL, *proactive_after = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			bytes = xb_parse_mib(argv[++i]);
		else if (!strcmp(argv[i], "--free") && i + 1 < argc)
			share = atof(argv[++i]) / 100.0;
		else if (!strcmp(argv[i], "--compact"))
			compact = 1;
		else if (!strcmp(argv[i], "--proactiveness") && i + 1 < argc)
			proactiveness = argv[++i];
		else if (!strcmp(argv[i], "--proactive-after") && i + 1 < argc)
			proactive_after = argv[++i];
		else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
			wait_s = atoi(argv[++i]);
		else
			xb_die("frag: bad argument %s", argv[i]);
	}
	if (!bytes || share < 0 || share > 1)
		xb_die("frag: --size MIB and --free PCT are required");
	xb_ms();
	if (proactiveness)
		xb_write_file("/proc/sys/vm/compaction_proactiveness",
			      proactiveness);
	xb_snapshot("start");

	size_t n = bytes / XB_PAGE;
	unsigned char *p = xb_touch_anon(bytes);

	xb_out("frag.touched_ms", "%.0f", xb_ms());
	xb_fragment(p, n, share, "frag");
	xb_out("frag.fragmented_ms", "%.0f", xb_ms());
	xb_snapshot("before");
	if (compact) {
		double t = xb_ms();

		xb_write_file("/proc/sys/vm/compact_memory", "1");
		xb_out("frag.compact_ms", "%.0f", xb_ms() - t);
	}
	if (proactive_after)
		xb_write_file("/proc/sys/vm/compaction_proactiveness",
			      proactive_after);
	long long scanned = xb_vmstat("compact_migrate_scanned");
	int quiet = 0, moved = 0;

	for (int s = 1; s <= wait_s && quiet < 3; s++) {
		char key[64];
		long long now;

		sleep(1);
		now = xb_vmstat("compact_migrate_scanned");
		moved |= now != scanned;
		quiet = moved && now == scanned ? quiet + 1 : 0;
		scanned = now;
		snprintf(key, sizeof(key), "wait.%d.pgmigrate_success", s);
		xb_out(key, "%lld", xb_vmstat("pgmigrate_success"));
		snprintf(key, sizeof(key), "wait.%d.compact_migrate_scanned",
			 s);
		xb_out(key, "%lld", now);
	}
	xb_snapshot("after");

	/* Everything kept is still there (compaction moved, never dropped). */
	uint64_t *pfn = malloc(n * sizeof(*pfn));
	size_t present = 0;

	xb_pfns(p, n, pfn);
	for (size_t i = 0; i < n; i++)
		present += pfn[i] != UINT64_MAX;
	xb_out("frag.present_after", "%zu", present);
	xb_out("done", "frag");
	return 0;
}
