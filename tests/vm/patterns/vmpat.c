/*
 * The pattern program of tests/vm (tests/vm/README.md): builds a memory
 * state in a real Linux 6.1 guest, then inflates a balloon through the xbvm
 * module under one or more policies, with a snapshot before and after each
 * step. Options, applied in this order:
 *
 *   --cache MIB      read MIB of a sparse file on the ext4 disk (/data) into
 *                    the page cache, and keep it open
 *   --write MIB      write MIB of data to a file on /data and fsync it
 *                    (dirty, then clean page cache over real disk I/O)
 *   --slab N         create N directories under --slab-dir (default /tmp,
 *                    a tmpfs: dentries and shmem inodes, slab that cannot
 *                    be reclaimed; /data: ext4 inodes, dentries and
 *                    directory blocks, reclaimable), then remove --delete
 *                    P % of them, spread evenly
 *   --thp MIB        touch MIB of anonymous memory, 2 MiB aligned (THP
 *                    "always" makes it huge pages where it can)
 *   --frag MIB       touch MIB of anonymous memory (4 KiB pages: THP is
 *                    refused with MADV_NOHUGEPAGE) and free --free P % of
 *                    every 2 MiB physical region (xb_fragment(), the model's
 *                    fragmenter rule)
 *   --compact 1      then a full compaction of every zone
 *                    (/proc/sys/vm/compact_memory), snapshot "compacted":
 *                    the x86-64 counterpart of tests/linux's frag patterns
 *   --ops A,B,...    the balloon steps: linux, huge-movable, huge-unmovable,
 *                    vmw; each inflates to --target and is freed again
 *   --target T       pages, or P% of the managed pages at start
 *   --compact-held 1 after each step, with the balloon still held, a full
 *                    compaction (/proc/sys/vm/compact_memory): vmw's 4 KiB
 *                    pages are movable balloon pages, and this moves them
 *
 * Keys: the snapshots of xb_snapshot() ("start", "base", then per step K
 * (1, 2, ...) "sK.pre" and "sK.post"), the module's report of each step
 * ("sK.*"), and "sK.free.*" after each step's release; with
 * --compact-held, "sK.compacted" (snapshot) and "sK.held_after_compaction.*"
 * (the module's summary) between "sK.post" and the release.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xbpat.h"

#define CTL    "/sys/kernel/debug/xbvm/ctl"
#define REPORT "/sys/kernel/debug/xbvm/report"
#define HUGE   (2ul << 20)

/* Copy the module's report to stdout (it is "XB key value" lines). */
static void print_report(void)
{
	char buf[65536];
	int fd = open(REPORT, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		xb_die("open %s: %s", REPORT, strerror(errno));
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)r, stdout);
	if (r < 0)
		xb_die("read %s: %s", REPORT, strerror(errno));
	fflush(stdout);
	close(fd);
}

static void command(const char *cmd)
{
	int fd = open(CTL, O_WRONLY);

	if (fd < 0)
		xb_die("open %s: %s", CTL, strerror(errno));
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		xb_die("%s <- '%s': %s", CTL, cmd, strerror(errno));
	close(fd);
	print_report();
}

/* Sum of the managed pages of all zones, and the highest populated zone. */
static long long managed_pages(char *top, size_t len)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256], zone[32] = "";
	long long sum = 0, v;

	if (!f)
		xb_die("open /proc/zoneinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *z = strstr(line, "zone");

		if (!strncmp(line, "Node", 4) && z)
			sscanf(z + 4, " %31s", zone);
		else if (sscanf(line, " present %lld", &v) == 1 && v > 0)
			snprintf(top, len, "%s", zone);
		else if (sscanf(line, " managed %lld", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

static void read_cache(size_t bytes)
{
	const char *path = "/data/cache.bin";
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	static char buf[1 << 20];
	size_t done = 0;

	if (fd < 0 || ftruncate(fd, (off_t)bytes))
		xb_die("%s: %s", path, strerror(errno));
	while (done < bytes) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0)
			xb_die("read %s: %s", path,
			       r < 0 ? strerror(errno) : "end of file");
		done += (size_t)r;
	}
	/* kept open: the cache stays with the inode either way on ext4 */
	xb_out("cache.bytes", "%zu", done);
}

static void write_file(size_t bytes)
{
	const char *path = "/data/written.bin";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static char buf[1 << 20];
	size_t done = 0;

	if (fd < 0)
		xb_die("open %s: %s", path, strerror(errno));
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 1);
	while (done < bytes) {
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			xb_die("write %s: %s", path, strerror(errno));
		done += sizeof(buf);
	}
	if (fsync(fd))
		xb_die("fsync %s: %s", path, strerror(errno));
	close(fd);
	xb_out("write.bytes", "%zu", done);
}

static void slab(const char *dir, long n, double del)
{
	struct xb_batch *b = xb_batch_new();
	char path[32];
	long removed = 0;

	if (snprintf(path, sizeof(path), "%s/slab", dir) >= 20)
		xb_die("--slab-dir too long: %s", dir);
	if (mkdir(path, 0755) && errno != EEXIST)
		xb_die("mkdir %s: %s", path, strerror(errno));
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/slab/%ld", dir, i);
		xb_batch_mkdir(b, path, 0755);
	}
	xb_batch_flush(b);
	/* remove round(n * del) of them, spread evenly: i where
	 * floor(i * del) moves */
	for (long i = 0; i < n; i++) {
		if ((long)((double)(i + 1) * del) == (long)((double)i * del))
			continue;
		snprintf(path, sizeof(path), "%s/slab/%ld", dir, i);
		xb_batch_unlink(b, path, AT_REMOVEDIR);
		removed++;
	}
	xb_batch_end(b, "slab.batch");
	xb_out("slab.created", "%ld", n);
	xb_out("slab.removed", "%ld", removed);
}

static long long meminfo(const char *name)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char k[64];
	long long v;

	if (!f)
		xb_die("open /proc/meminfo: %s", strerror(errno));
	while (fscanf(f, "%63s %lld kB\n", k, &v) == 2)
		if (!strncmp(k, name, strlen(name)) && k[strlen(name)] == ':') {
			fclose(f);
			return v;
		}
	fclose(f);
	return -1;
}

/* Anonymous memory on a 2 MiB boundary, touched page by page (page
 * faults, so THP "always" can give huge pages), or with huge pages
 * refused. */
static unsigned char *anon(size_t bytes, int huge)
{
	unsigned char *p = mmap(NULL, bytes + HUGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		xb_die("mmap %zu bytes: %s", bytes, strerror(errno));
	p = (unsigned char *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	if (madvise(p, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		xb_die("madvise: %s", strerror(errno));
	for (size_t off = 0; off < bytes; off += XB_PAGE)
		p[off] = 1;
	return p;
}

int main(int argc, char **argv)
{
	size_t cache = 0, wr = 0, thp = 0, frag = 0;
	long dirs = 0;
	int compact_held = 0, compact = 0;
	double del = 0.75, share = 0.75;
	const char *ops = "", *target_s = "50%", *slab_dir = "/tmp";
	char top[32] = "", step[32], cmd[128];
	long long managed, target;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			xb_die("%s needs a value", a);
		if (!strcmp(a, "--cache"))
			cache = xb_parse_mib(v);
		else if (!strcmp(a, "--write"))
			wr = xb_parse_mib(v);
		else if (!strcmp(a, "--slab"))
			dirs = atol(v);
		else if (!strcmp(a, "--slab-dir"))
			slab_dir = v;
		else if (!strcmp(a, "--delete"))
			del = atof(v) / 100.0;
		else if (!strcmp(a, "--thp"))
			thp = xb_parse_mib(v);
		else if (!strcmp(a, "--frag"))
			frag = xb_parse_mib(v);
		else if (!strcmp(a, "--free"))
			share = atof(v) / 100.0;
		else if (!strcmp(a, "--ops"))
			ops = v;
		else if (!strcmp(a, "--compact"))
			compact = atoi(v);
		else if (!strcmp(a, "--compact-held"))
			compact_held = atoi(v);
		else if (!strcmp(a, "--target"))
			target_s = v;
		else
			xb_die("unknown argument %s", a);
		i++;
	}
	managed = managed_pages(top, sizeof(top));
	if (!getenv("XBPAT_ZONE"))
		setenv("XBPAT_ZONE", top, 1);
	setenv("XBPAT_ALLZONES", "1", 1);
	target = strchr(target_s, '%')
		     ? (long long)((double)managed * atof(target_s) / 100.0)
		     : atoll(target_s);
	xb_out("managed", "%lld", managed);
	xb_out("top_zone", "%s", top);
	xb_out("target", "%lld", target);
	xb_snapshot("start");
	setenv("XBPAT_KPF", "0", 1);

	if (cache)
		read_cache(cache);
	if (wr)
		write_file(wr);
	if (dirs)
		slab(slab_dir, dirs, del);
	if (thp) {
		anon(thp, 1);
		xb_out("thp.anon_huge_kb", "%lld", meminfo("AnonHugePages"));
	}
	if (frag) {
		unsigned char *p = anon(frag, 0);

		xb_fragment(p, frag / XB_PAGE, share, "frag");
	}
	xb_out("base.ms", "%.0f", xb_ms());
	xb_snapshot("base");
	if (compact) {
		xb_write_file("/proc/sys/vm/compact_memory", "1");
		xb_out("compacted.ms", "%.0f", xb_ms());
		xb_snapshot("compacted");
	}

	int k = 0;

	for (const char *o = ops; *o;) {
		size_t n = strcspn(o, ",");
		char op[32];

		if (n >= sizeof(op))
			xb_die("bad --ops %s", ops);
		memcpy(op, o, n);
		op[n] = 0;
		o += n + (o[n] == ',');
		k++;
		snprintf(step, sizeof(step), "s%d.pre", k);
		xb_snapshot(step);
		snprintf(cmd, sizeof(cmd), "%s %lld s%d", op, target, k);
		command(cmd);
		snprintf(step, sizeof(step), "s%d.post", k);
		xb_snapshot(step);
		if (compact_held) {
			xb_write_file("/proc/sys/vm/compact_memory", "1");
			snprintf(step, sizeof(step), "s%d.compacted", k);
			xb_snapshot(step);
			snprintf(cmd, sizeof(cmd),
				 "show s%d.held_after_compaction", k);
			command(cmd);
		}
		snprintf(cmd, sizeof(cmd), "free s%d.free", k);
		command(cmd);
	}
	xb_out("steps", "%d", k);
	xb_out("done.ms", "%.0f", xb_ms());
	return 0;
}
