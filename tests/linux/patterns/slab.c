/*
 * slab: slab grown interleaved with anonymous memory, partly freed, then
 * compacted.
 *
 *   slab --files N --anon MIB --steps S --delete PCT [--compact]
 *        [--proactiveness N]
 *
 * Mounts a tmpfs on /mnt and, in S steps, creates N/S empty directories
 * there (each a dentry: reclaimable slab, and a shmem inode: unmovable
 * slab) and maps MIB/S of anonymous memory, so that slab pages and
 * anonymous pages share the zone as they grow. Then removes PCT % of the
 * directories, spread evenly (kept: floor(j * N / keep)), unmaps the
 * anonymous memory,
 * snapshots "before", compacts (--compact) and snapshots "after". The
 * slab counters at the peak and after the deletion are printed, so that the
 * model's scenario can hold the same number of pages. mkdirat and
 * unlinkat go through io_uring in batches (xb_batch_*): one trap into UML
 * per batch instead of one per call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "xbpat.h"

static void slab_counts(const char *phase)
{
	char key[96];

	snprintf(key, sizeof(key), "%s.slab_reclaimable", phase);
	xb_out(key, "%lld", xb_vmstat("nr_slab_reclaimable"));
	snprintf(key, sizeof(key), "%s.slab_unreclaimable", phase);
	xb_out(key, "%lld", xb_vmstat("nr_slab_unreclaimable"));
	snprintf(key, sizeof(key), "%s.page_table_pages", phase);
	xb_out(key, "%lld", xb_vmstat("nr_page_table_pages"));
	snprintf(key, sizeof(key), "%s.free_pages", phase);
	xb_out(key, "%lld", xb_free_pages());

	/* The two caches the files live in, when slabinfo is readable:
	 * name active_objs num_objs objsize objperslab pagesperslab ...
	 * : slabdata active_slabs num_slabs sharedavail */
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		long long a, n, sz, per, pages, as, ns;

		if (sscanf(line,
			   "%63s %lld %lld %lld %lld %lld : tunables %*d %*d "
			   "%*d : slabdata %lld %lld",
			   name, &a, &n, &sz, &per, &pages, &as, &ns) != 8)
			continue;
		if (strcmp(name, "dentry") && strcmp(name, "shmem_inode_cache"))
			continue;
		snprintf(key, sizeof(key), "%s.slabinfo.%s", phase, name);
		xb_out(
		    key,
		    "active_objs=%lld objs=%lld objsize=%lld objperslab=%lld "
		    "pagesperslab=%lld slabs=%lld",
		    a, n, sz, per, pages, ns);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	long files = 0, steps = 0;
	size_t anon = 0;
	double share = -1;
	int compact = 0;
	const char *proactiveness = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--files") && i + 1 < argc)
			files = atol(argv[++i]);
		else if (!strcmp(argv[i], "--anon") && i + 1 < argc)
			anon = xb_parse_mib(argv[++i]);
		else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			steps = atol(argv[++i]);
		else if (!strcmp(argv[i], "--delete") && i + 1 < argc)
			share = atof(argv[++i]) / 100.0;
		else if (!strcmp(argv[i], "--compact"))
			compact = 1;
		else if (!strcmp(argv[i], "--proactiveness") && i + 1 < argc)
			proactiveness = argv[++i];
		else
			xb_die("slab: bad argument %s", argv[i]);
	}
	if (files <= 0 || steps <= 0 || !anon || share < 0 || share > 1)
		xb_die("slab: --files, --anon, --steps, --delete are required");
	xb_ms();
	if (proactiveness)
		xb_write_file("/proc/sys/vm/compaction_proactiveness",
			      proactiveness);
	if (mount("xbslab", "/mnt", "tmpfs", 0, "size=64m,nr_inodes=0"))
		xb_die("mount tmpfs on /mnt: %s", strerror(errno));
	xb_snapshot("start");

	/* Grow: files and anonymous memory by turns. */
	size_t chunk = (anon / (size_t)steps) & ~(XB_PAGE - 1);
	unsigned char **maps = calloc((size_t)steps, sizeof(*maps));
	char path[64];
	long made = 0;
	struct xb_batch *batch = xb_batch_new();

	for (long s = 0; s < steps; s++) {
		long upto = files * (s + 1) / steps;

		for (; made < upto; made++) {
			snprintf(path, sizeof(path), "/mnt/%ld", made);
			xb_batch_mkdir(batch, path, 0700);
		}
		xb_batch_flush(batch);
		maps[s] = xb_touch_anon(chunk);
	}
	xb_batch_end(batch, "slab.mkdir");
	xb_out("slab.grown_ms", "%.0f", xb_ms());
	slab_counts("peak");

	/* Delete the share, spread evenly. */
	long keep = files - lround((double)files * share), j = 0, gone = 0;

	batch = xb_batch_new();
	for (long i = 0; i < files; i++) {
		if (j < keep && i == j * files / keep) {
			j++;
			continue;
		}
		snprintf(path, sizeof(path), "/mnt/%ld", i);
		xb_batch_unlink(batch, path, AT_REMOVEDIR);
		gone++;
	}
	xb_batch_end(batch, "slab.rmdir");
	xb_out("slab.deleted", "%ld", gone);
	xb_out("slab.kept", "%ld", keep);
	slab_counts("deleted");
	for (long s = 0; s < steps; s++)
		munmap(maps[s], chunk);
	xb_out("slab.anon_chunk_kib", "%zu", chunk >> 10);
	slab_counts("unmapped");
	xb_snapshot("before");
	if (compact) {
		double t = xb_ms();

		xb_write_file("/proc/sys/vm/compact_memory", "1");
		xb_out("slab.compact_ms", "%.0f", xb_ms() - t);
	}
	xb_snapshot("after");
	xb_out("done", "slab");
	return 0;
}
