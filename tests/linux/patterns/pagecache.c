/*
 * pagecache: reclaimable page cache under growing anonymous memory.
 *
 *   pagecache --file PATH --cache MIB --anon MIB [--step MIB] [--pause MS]
 *             [--settle SECS]
 *
 * Reads MIB of PATH (a file of the hostfs root: hostfs goes through the
 * page cache, and its clean pages are reclaimable; tmpfs and ramfs pages
 * are not without swap) and keeps it open, snapshots "before", then maps
 * anonymous memory
 * --step MiB at a time (populated, pausing --pause ms between steps) up to
 * --anon MiB, so that kswapd and direct reclaim evict the cache. After
 * --settle seconds (kswapd works up to the high watermark) it snapshots
 * "after".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xbpat.h"

int main(int argc, char **argv)
{
	const char *path = NULL;
	size_t cache = 0, anon = 0, step = 8ul << 20;
	int pause_ms = 0, settle = 2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--file") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--cache") && i + 1 < argc)
			cache = xb_parse_mib(argv[++i]);
		else if (!strcmp(argv[i], "--anon") && i + 1 < argc)
			anon = xb_parse_mib(argv[++i]);
		else if (!strcmp(argv[i], "--step") && i + 1 < argc)
			step = xb_parse_mib(argv[++i]);
		else if (!strcmp(argv[i], "--pause") && i + 1 < argc)
			pause_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--settle") && i + 1 < argc)
			settle = atoi(argv[++i]);
		else
			xb_die("pagecache: bad argument %s", argv[i]);
	}
	if (!path || !cache || !anon || !step)
		xb_die("pagecache: --file, --cache and --anon are required");
	xb_ms();
	xb_snapshot("start");

	/* Fill the page cache. */
	int fd = open(path, O_RDONLY);
	static char buf[1 << 20];
	size_t got = 0;

	if (fd < 0)
		xb_die("open %s: %s", path, strerror(errno));
	while (got < cache) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0)
			xb_die("read %s: %s", path, strerror(errno));
		if (!r)
			xb_die("%s is shorter than %zu MiB", path, cache >> 20);
		got += (size_t)r;
	}
	/* The file stays open: hostfs's drop_inode is generic_delete_inode,
	 * so the last close evicts the inode and truncates its cache. */
	xb_out("cache.read_mib", "%zu", got >> 20);
	xb_out("cache.read_ms", "%.0f", xb_ms());
	xb_snapshot("before");

	/* Grow anonymous memory. */
	struct timespec ts = {pause_ms / 1000,
			      (long)(pause_ms % 1000) * 1000000};
	size_t mapped = 0;

	while (mapped < anon) {
		size_t n = anon - mapped < step ? anon - mapped : step;

		xb_touch_anon(n);
		mapped += n;
		if (pause_ms)
			nanosleep(&ts, NULL);
	}
	xb_out("anon.mapped_mib", "%zu", mapped >> 20);
	xb_out("anon.done_ms", "%.0f", xb_ms());
	sleep((unsigned)settle);
	xb_snapshot("after");
	close(fd);
	xb_out("done", "pagecache");
	return 0;
}
