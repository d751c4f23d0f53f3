/* Shared helpers of the UML calibration patterns; see xbpat.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "xbpat.h"

/* include/linux/kernel-page-flags.h and its uapi half */
#define KPF_SLAB	  7
#define KPF_BUDDY	  10
#define KPF_LRU		  5
#define KPF_ANON	  12
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_NOPAGE	  20
#define KPF_PGTABLE	  26
#define KPF_RESERVED	  32

#define NR_ORDERS 11

/* ---- batches of system calls (io_uring) --------------------------------- */

#define BATCH 2048u

struct xb_batch {
	int fd; /* -1: no io_uring, plain calls */
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned queued;
	char paths[BATCH][32];
	unsigned long long ops, enters;
};

struct xb_batch *xb_batch_new(void)
{
	struct xb_batch *b = calloc(1, sizeof(*b));
	struct io_uring_params p;
	void *sq, *cq, *sqes;

	if (!b)
		xb_die("out of memory");
	memset(&p, 0, sizeof(p));
	b->fd = (int)syscall(__NR_io_uring_setup, BATCH, &p);
	if (b->fd < 0)
		return b;
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len =
	    p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);

	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, b->fd, IORING_OFF_SQ_RING);
	cq = p.features & IORING_FEAT_SINGLE_MMAP
		 ? sq
		 : mmap(NULL, cq_len, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_POPULATE, b->fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, b->fd,
		    IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		xb_die("mmap io_uring: %s", strerror(errno));
	b->sq_tail = (unsigned *)((char *)sq + p.sq_off.tail);
	b->sq_mask = (unsigned *)((char *)sq + p.sq_off.ring_mask);
	b->sq_array = (unsigned *)((char *)sq + p.sq_off.array);
	b->cq_head = (unsigned *)((char *)cq + p.cq_off.head);
	b->cq_tail = (unsigned *)((char *)cq + p.cq_off.tail);
	b->cq_mask = (unsigned *)((char *)cq + p.cq_off.ring_mask);
	b->cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	b->sqes = sqes;
	return b;
}

static const char *const op_names[] = {
    [IORING_OP_MADVISE] = "madvise",
    [IORING_OP_MKDIRAT] = "mkdirat",
    [IORING_OP_UNLINKAT] = "unlinkat",
};

/* One operation done by a plain system call (no io_uring). */
static void plain_call(const struct io_uring_sqe *e)
{
	long r;

	switch (e->opcode) {
	case IORING_OP_MADVISE:
		r = madvise((void *)(uintptr_t)e->addr, e->len,
			    (int)e->fadvise_advice);
		break;
	case IORING_OP_MKDIRAT:
		r = mkdirat(AT_FDCWD, (const char *)(uintptr_t)e->addr, e->len);
		break;
	default:
		r = unlinkat(AT_FDCWD, (const char *)(uintptr_t)e->addr,
			     (int)e->unlink_flags);
		break;
	}
	if (r < 0)
		xb_die("%s: %s", op_names[e->opcode], strerror(errno));
}

static struct io_uring_sqe *batch_sqe(struct xb_batch *b)
{
	static struct io_uring_sqe plain;

	if (b->queued == BATCH)
		xb_batch_flush(b);
	b->ops++;
	if (b->fd < 0) {
		memset(&plain, 0, sizeof(plain));
		return &plain;
	}
	unsigned tail = *b->sq_tail + b->queued, i = tail & *b->sq_mask;
	struct io_uring_sqe *e = &b->sqes[i];

	memset(e, 0, sizeof(*e));
	b->sq_array[i] = i;
	e->user_data = b->queued;
	return e;
}

static void batch_queued(struct xb_batch *b, struct io_uring_sqe *e)
{
	if (b->fd < 0)
		plain_call(e);
	else
		b->queued++;
}

void xb_batch_madvise(struct xb_batch *b, void *addr, size_t len, int advice)
{
	struct io_uring_sqe *e = batch_sqe(b);

	e->opcode = IORING_OP_MADVISE;
	e->fd = -1;
	e->addr = (uintptr_t)addr;
	e->len = (unsigned)len;
	e->fadvise_advice = (unsigned)advice;
	batch_queued(b, e);
}

static void batch_path(struct xb_batch *b, struct io_uring_sqe *e,
		       const char *path)
{
	char *copy = b->paths[b->queued];

	if (strlen(path) >= sizeof(b->paths[0]))
		xb_die("path too long: %s", path);
	strcpy(copy, path);
	e->fd = AT_FDCWD;
	e->addr = (uintptr_t)copy;
}

void xb_batch_mkdir(struct xb_batch *b, const char *path, unsigned mode)
{
	struct io_uring_sqe *e = batch_sqe(b);

	e->opcode = IORING_OP_MKDIRAT;
	batch_path(b, e, path);
	e->len = mode;
	batch_queued(b, e);
}

void xb_batch_unlink(struct xb_batch *b, const char *path, int flags)
{
	struct io_uring_sqe *e = batch_sqe(b);

	e->opcode = IORING_OP_UNLINKAT;
	batch_path(b, e, path);
	e->unlink_flags = (unsigned)flags;
	batch_queued(b, e);
}

void xb_batch_flush(struct xb_batch *b)
{
	unsigned n = b->queued, done = 0;

	if (!n)
		return;
	__atomic_store_n(b->sq_tail, *b->sq_tail + n, __ATOMIC_RELEASE);
	for (unsigned submitted = 0; submitted < n || done < n;) {
		long r = syscall(__NR_io_uring_enter, b->fd, n - submitted,
				 n - done, IORING_ENTER_GETEVENTS, NULL, 0);

		if (r < 0 && errno != EINTR)
			xb_die("io_uring_enter: %s", strerror(errno));
		if (r > 0)
			submitted += (unsigned)r;
		b->enters++;
		unsigned head = *b->cq_head,
			 tail = __atomic_load_n(b->cq_tail, __ATOMIC_ACQUIRE);

		for (; head != tail; head++, done++) {
			struct io_uring_cqe *c = &b->cqes[head & *b->cq_mask];

			if (c->res < 0)
				xb_die("io_uring operation %llu: %s",
				       (unsigned long long)c->user_data,
				       strerror(-c->res));
		}
		__atomic_store_n(b->cq_head, head, __ATOMIC_RELEASE);
	}
	b->queued = 0;
}

void xb_batch_end(struct xb_batch *b, const char *prefix)
{
	char key[96];

	xb_batch_flush(b);
	snprintf(key, sizeof(key), "%s.io_uring", prefix);
	xb_out(key, "%d", b->fd >= 0);
	snprintf(key, sizeof(key), "%s.ops", prefix);
	xb_out(key, "%llu", b->ops);
	snprintf(key, sizeof(key), "%s.enters", prefix);
	xb_out(key, "%llu", b->enters);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

void xb_out(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("XB %s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void xb_die(const char *fmt, ...)
{
	va_list ap;

	printf("XB error ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

double xb_ms(void)
{
	static struct timespec t0;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!t0.tv_sec && !t0.tv_nsec)
		t0 = t;
	return (double)(t.tv_sec - t0.tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
}

void xb_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		xb_die("open %s: %s", path, strerror(errno));
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		xb_die("write %s: %s", path, strerror(errno));
	close(fd);
}

long long xb_read_ll(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v;

	if (!f)
		xb_die("open %s: %s", path, strerror(errno));
	if (fscanf(f, "%lld", &v) != 1)
		xb_die("read %s: no number", path);
	fclose(f);
	return v;
}

long long xb_vmstat(const char *name)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char k[128];
	long long v;

	if (!f)
		xb_die("open /proc/vmstat: %s", strerror(errno));
	while (fscanf(f, "%127s %lld", k, &v) == 2)
		if (!strcmp(k, name)) {
			fclose(f);
			return v;
		}
	fclose(f);
	xb_die("/proc/vmstat has no %s", name);
}

long long xb_free_pages(void)
{
	return xb_vmstat("nr_free_pages");
}

/* ---- snapshot ---------------------------------------------------------- */

static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	size_t cap = 1 << 16, len = 0;
	char *buf;

	if (fd < 0)
		xb_die("open %s: %s", path, strerror(errno));
	buf = malloc(cap);
	for (;;) {
		ssize_t r;

		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
		r = read(fd, buf + len, cap - 1 - len);
		if (r < 0)
			xb_die("read %s: %s", path, strerror(errno));
		if (!r)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/*
 * The zone the snapshot describes: Normal (UML has no other), or the zone
 * named by XBPAT_ZONE (a Xen domU of less than 4 GiB has DMA and DMA32).
 */
static const char *snap_zone(void)
{
	const char *z = getenv("XBPAT_ZONE");

	return z && *z ? z : "Normal";
}

/*
 * With XBPAT_ALLZONES set (tests/vm: a guest with DMA, DMA32 and Normal),
 * every zone's zoneinfo and pagetypeinfo figures are printed too, under
 * <phase>.zinfo.<zone>.<field>, <phase>.zfree.<zone>.<Type>.<order> and
 * <phase>.zblocks.<zone>.<Type>.
 */
static int all_zones(void)
{
	const char *a = getenv("XBPAT_ALLZONES");

	return a && *a && strcmp(a, "0");
}

/* The zone name at `p` (after "zone", blanks first) into `out`. */
static void zone_name(const char *p, char *out, size_t len)
{
	size_t n;

	p += strspn(p, " ");
	n = strcspn(p, " ,\t");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = 0;
}

/* Does the zone name at `p` (after "zone", blanks first) match? */
static int zone_is(const char *p)
{
	size_t n = strlen(snap_zone());

	p += strspn(p, " ");
	return !strncmp(p, snap_zone(), n) && (!p[n] || strchr(" ,\t", p[n]));
}

/*
 * <phase>.buddy.<order> of the snapshot's zone, and <phase>.zbuddy.<zone>.
 * <order> of every zone, for figures over the whole node.
 */
static void snap_buddyinfo(const char *phase)
{
	char *s = slurp("/proc/buddyinfo"), *l, *save = NULL;
	char key[96];
	int found = 0;

	for (l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(l, "zone");
		char zone[32];
		int off, mine;

		if (!p || sscanf(p, "zone %31s%n", zone, &off) != 1)
			continue;
		mine = !strcmp(zone, snap_zone());
		p += off;
		for (int o = 0; o < NR_ORDERS; o++) {
			long long n;

			if (sscanf(p, "%lld%n", &n, &off) != 1)
				xb_die("/proc/buddyinfo: short line");
			p += off;
			snprintf(key, sizeof(key), "%s.zbuddy.%s.%d", phase,
				 zone, o);
			xb_out(key, "%lld", n);
			if (!mine)
				continue;
			snprintf(key, sizeof(key), "%s.buddy.%d", phase, o);
			xb_out(key, "%lld", n);
		}
		found |= mine;
	}
	free(s);
	if (!found)
		xb_die("/proc/buddyinfo: no %s zone", snap_zone());
}

static void snap_zoneinfo(const char *phase)
{
	static const char *const fields[] = {"start_pfn:", "spanned", "present",
					     "managed",	   "min",     "low",
					     "high",	   "free"};
	char *s = slurp("/proc/zoneinfo"), *l, *save = NULL;
	int in = 0;
	char key[96];

	char zone[32] = "";

	for (l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char a[64], b[64];
		long long v;

		if (!strncmp(l, "Node", 4)) {
			in =
			    strstr(l, "zone") && zone_is(strstr(l, "zone") + 4);
			zone[0] = 0;
			if (strstr(l, "zone"))
				zone_name(strstr(l, "zone") + 4, zone,
					  sizeof(zone));
			continue;
		}
		if (!in && !(all_zones() && *zone))
			continue;
		/* "pages free N" is the one two-word field we want */
		if (sscanf(l, " pages %63s %lld", a, &v) == 2 &&
		    !strcmp(a, "free")) {
			snprintf(b, sizeof(b), "free");
		} else if (sscanf(l, " %63s %lld", a, &v) == 2) {
			size_t i, nf = sizeof(fields) / sizeof(*fields);

			for (i = 0; i < nf; i++)
				if (!strcmp(a, fields[i]) && strcmp(a, "free"))
					break;
			if (i == nf)
				continue;
			snprintf(b, sizeof(b), "%s", a);
			b[strcspn(b, ":")] = 0;
		} else {
			continue;
		}
		if (in) {
			snprintf(key, sizeof(key), "%s.zone.%s", phase, b);
			xb_out(key, "%lld", v);
		}
		if (all_zones()) {
			snprintf(key, sizeof(key), "%s.zinfo.%s.%s", phase,
				 zone, b);
			xb_out(key, "%lld", v);
		}
	}
	free(s);
}

static void snap_pagetypeinfo(const char *phase)
{
	char *s = slurp("/proc/pagetypeinfo"), *l, *save = NULL;
	char key[320];
	char types[8][32];
	int ntypes = 0;

	for (l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int v, off;
		char *p;

		if (sscanf(l, "Page block order: %d", &v) == 1) {
			snprintf(key, sizeof(key), "%s.pageblock_order", phase);
			xb_out(key, "%d", v);
			continue;
		}
		if (!strncmp(l, "Number of blocks type", 21)) {
			p = l + 21;
			ntypes = 0;
			while (ntypes < 8 &&
			       sscanf(p, "%31s%n", types[ntypes], &off) == 1) {
				ntypes++;
				p += off;
			}
			continue;
		}
		if (!strstr(l, "zone"))
			continue;
		char zone[32];
		int mine = zone_is(strstr(l, "zone") + 4);

		zone_name(strstr(l, "zone") + 4, zone, sizeof(zone));
		if (!mine && !all_zones())
			continue;
		p = strstr(l, ", type");
		if (p) { /* free pages per type and order */
			char type[32];

			if (sscanf(p, ", type %31s%n", type, &off) != 1)
				continue;
			p += off;
			for (int o = 0; o < NR_ORDERS; o++) {
				long long n;

				if (sscanf(p, "%lld%n", &n, &off) != 1)
					break;
				p += off;
				snprintf(key, sizeof(key), "%s.free.%s.%d",
					 phase, type, o);
				if (mine)
					xb_out(key, "%lld", n);
				snprintf(key, sizeof(key), "%s.zfree.%s.%s.%d",
					 phase, zone, type, o);
				if (all_zones())
					xb_out(key, "%lld", n);
			}
			continue;
		}
		if (ntypes) { /* blocks per type */
			p = strstr(l, "zone") + 4;
			p += strspn(p, " ");
			p += strlen(zone);
			for (int t = 0; t < ntypes; t++) {
				long long n;

				if (sscanf(p, "%lld%n", &n, &off) != 1)
					break;
				p += off;
				snprintf(key, sizeof(key), "%s.blocks.%s",
					 phase, types[t]);
				if (mine)
					xb_out(key, "%lld", n);
				snprintf(key, sizeof(key), "%s.zblocks.%s.%s",
					 phase, zone, types[t]);
				if (all_zones())
					xb_out(key, "%lld", n);
			}
		}
	}
	free(s);
}

static void snap_vmstat(const char *phase)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char k[128], key[192];
	long long v;

	if (!f)
		xb_die("open /proc/vmstat: %s", strerror(errno));
	while (fscanf(f, "%127s %lld", k, &v) == 2) {
		snprintf(key, sizeof(key), "%s.vm.%s", phase, k);
		xb_out(key, "%lld", v);
	}
	fclose(f);
}

/*
 * /proc/kpageflags. UML sets max_pfn = totalram_pages() (arch/um/kernel/
 * mem.c), so the file stops at pfn == managed pages: it shows the reserved
 * gap at the bottom of the zone but not the memblock allocations at its top.
 */
/* <phase>.kpf.reserved_hist.K: the reserved pfns in 16 MiB of pfns
 * (pfn >> 12 = K), where the kernel's own memory sits. */
#define HIST_PAGES 4096u
static void reserved_hist(const char *phase, uint64_t k, uint64_t n)
{
	char key[96];

	snprintf(key, sizeof(key), "%s.kpf.reserved_hist.%llu", phase,
		 (unsigned long long)k);
	xb_out(key, "%llu", (unsigned long long)n);
}

static void snap_kpageflags(const char *phase)
{
	int fd = open("/proc/kpageflags", O_RDONLY);
	enum { CHUNK = 4096 };
	static uint64_t buf[CHUNK];
	uint64_t pfn = 0, reserved = 0, bottom = 0, slab = 0, lru = 0,
		 buddy = 0, pgtable = 0, anon = 0, nopage = 0, compound = 0,
		 bin = 0;
	int in_bottom = 1;
	char key[96];

	if (fd < 0)
		xb_die("open /proc/kpageflags: %s", strerror(errno));
	for (;;) {
		ssize_t r = pread(fd, buf, sizeof(buf), (off_t)(pfn * 8));

		if (r < 0)
			xb_die("read /proc/kpageflags: %s", strerror(errno));
		if (r == 0)
			break;
		for (size_t i = 0; i < (size_t)r / 8; i++, pfn++) {
			uint64_t f = buf[i];
			int res = (f >> KPF_RESERVED) & 1;

			if (pfn && !(pfn & (HIST_PAGES - 1))) {
				reserved_hist(phase, pfn / HIST_PAGES - 1, bin);
				bin = 0;
			}
			bin += res;
			reserved += res;
			if (in_bottom && res)
				bottom++;
			else
				in_bottom = 0;
			slab += (f >> KPF_SLAB) & 1;
			lru += (f >> KPF_LRU) & 1;
			buddy += (f >> KPF_BUDDY) & 1;
			pgtable += (f >> KPF_PGTABLE) & 1;
			anon += (f >> KPF_ANON) & 1;
			nopage += (f >> KPF_NOPAGE) & 1;
			compound += ((f >> KPF_COMPOUND_HEAD) |
				     (f >> KPF_COMPOUND_TAIL)) &
				    1;
		}
	}
	close(fd);
	if (pfn)
		reserved_hist(phase, (pfn - 1) / HIST_PAGES, bin);
#define OUT(name, v)                                                           \
	do {                                                                   \
		snprintf(key, sizeof(key), "%s.kpf.%s", phase, name);          \
		xb_out(key, "%llu", (unsigned long long)(v));                  \
	} while (0)
	OUT("pfns", pfn);
	OUT("reserved", reserved);
	OUT("reserved_bottom", bottom);
	OUT("slab", slab);
	OUT("lru", lru);
	OUT("buddy_heads", buddy);
	OUT("pgtable", pgtable);
	OUT("anon", anon);
	OUT("nopage", nopage);
	OUT("compound", compound);
#undef OUT
}

static void snap_sysctl(const char *phase)
{
	static const char *const names[] = {
	    "min_free_kbytes", "compaction_proactiveness", "extfrag_threshold",
	    "watermark_scale_factor", "watermark_boost_factor"};
	char path[128], key[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(path, sizeof(path), "/proc/sys/vm/%s", names[i]);
		if (access(path, R_OK))
			continue;
		snprintf(key, sizeof(key), "%s.sys.%s", phase, names[i]);
		xb_out(key, "%lld", xb_read_ll(path));
	}
}

void xb_snapshot(const char *phase)
{
	char key[96];

	snprintf(key, sizeof(key), "%s.t_ms", phase);
	xb_out(key, "%.0f", xb_ms());
	snap_sysctl(phase);
	snap_zoneinfo(phase);
	snap_buddyinfo(phase);
	snap_pagetypeinfo(phase);
	snap_vmstat(phase);
	/* XBPAT_KPF=0: no /proc/kpageflags walk (tests/vm's per-step
	 * snapshots of a 5 GiB guest) */
	const char *kpf = getenv("XBPAT_KPF");

	if (!kpf || strcmp(kpf, "0"))
		snap_kpageflags(phase);
}

/* ---- pages -------------------------------------------------------------- */

unsigned char *xb_touch_anon(size_t bytes)
{
	/* MAP_POPULATE faults the pages in inside the kernel: a page fault
	 * taken from user space costs UML a few hundred microseconds of
	 * host signal handling, populating costs it a few. */
	unsigned char *p =
	    mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		xb_die("mmap %zu bytes: %s", bytes, strerror(errno));
	return p;
}

void xb_pfns(const void *addr, size_t n, uint64_t *pfn)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t first = (uintptr_t)addr / XB_PAGE;
	size_t done = 0;

	if (fd < 0)
		xb_die("open /proc/self/pagemap: %s", strerror(errno));
	while (done < n) {
		size_t want = n - done > 65536 ? 65536 : n - done;
		ssize_t r = pread(fd, pfn + done, want * 8,
				  (off_t)((first + done) * 8));

		if (r <= 0 || r % 8)
			xb_die("read /proc/self/pagemap: %s",
			       r < 0 ? strerror(errno) : "short read");
		done += (size_t)r / 8;
	}
	close(fd);
	for (size_t i = 0; i < n; i++) {
		uint64_t e = pfn[i];

		/* bit 63 present, bits 0-54 the pfn (0 without CAP_SYS_ADMIN)
		 */
		pfn[i] = (e >> 63) & 1 ? e & ((1ull << 55) - 1) : UINT64_MAX;
	}
}

struct pv {
	uint64_t pfn;
	size_t idx;
};

static int cmp_pv(const void *a, const void *b)
{
	const struct pv *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

void xb_fragment(unsigned char *addr, size_t n, double share,
		 const char *prefix)
{
	uint64_t *pfn = malloc(n * sizeof(*pfn));
	struct pv *pv = malloc(n * sizeof(*pv));
	size_t *victims = malloc(n * sizeof(*victims));
	size_t held = 0, nv = 0, regions = 0, kept = 0;
	char key[96];

	if (!pfn || !pv || !victims)
		xb_die("out of memory for %zu pages", n);
	xb_pfns(addr, n, pfn);
	for (size_t i = 0; i < n; i++) {
		if (pfn[i] == UINT64_MAX)
			continue;
		if (!pfn[i])
			xb_die("pagemap gives pfn 0: not root?");
		pv[held].pfn = pfn[i];
		pv[held].idx = i;
		held++;
	}
	qsort(pv, held, sizeof(*pv), cmp_pv);
	for (size_t a = 0; a < held;) {
		size_t b = a;

		while (b < held && pv[b].pfn >> 9 == pv[a].pfn >> 9)
			b++;
		size_t c = b - a;
		size_t keep = c - (size_t)llround((double)c * share);
		size_t j = 0;

		for (size_t i = 0; i < c; i++) {
			if (j < keep && i == j * c / keep) {
				j++;
				continue;
			}
			victims[nv++] = pv[a + i].idx;
		}
		kept += keep;
		regions++;
		a = b;
	}
	/* One madvise per run of virtually adjacent victims. Not through
	 * io_uring: its madvise runs in an io-wq worker that must switch to
	 * this process's host address space for every call, which in UML
	 * costs more than the trap it saves. */
	size_t calls = 0;

	qsort(victims, nv, sizeof(*victims), cmp_size);
	for (size_t a = 0; a < nv;) {
		size_t b = a + 1;

		while (b < nv && victims[b] == victims[b - 1] + 1)
			b++;
		if (madvise(addr + victims[a] * XB_PAGE, (b - a) * XB_PAGE,
			    MADV_DONTNEED))
			xb_die("madvise: %s", strerror(errno));
		calls++;
		a = b;
	}
	snprintf(key, sizeof(key), "%s.madvise_calls", prefix);
	xb_out(key, "%zu", calls);
	snprintf(key, sizeof(key), "%s.regions", prefix);
	xb_out(key, "%zu", regions);
	snprintf(key, sizeof(key), "%s.held", prefix);
	xb_out(key, "%zu", held);
	snprintf(key, sizeof(key), "%s.kept", prefix);
	xb_out(key, "%zu", kept);
	snprintf(key, sizeof(key), "%s.freed", prefix);
	xb_out(key, "%zu", nv);
	snprintf(key, sizeof(key), "%s.pfn_min", prefix);
	xb_out(key, "%llu", held ? (unsigned long long)pv[0].pfn : 0ull);
	snprintf(key, sizeof(key), "%s.pfn_max", prefix);
	xb_out(key, "%llu", held ? (unsigned long long)pv[held - 1].pfn : 0ull);
	/* Where the pages sit: how many fall in each 64 MiB of pfns, so
	 * that the model's layout can be compared with the kernel's. */
	for (size_t a = 0; a < held;) {
		size_t b = a;

		while (b < held && pv[b].pfn >> 14 == pv[a].pfn >> 14)
			b++;
		snprintf(key, sizeof(key), "%s.pfn_hist.%llu", prefix,
			 (unsigned long long)(pv[a].pfn >> 14));
		xb_out(key, "%zu", b - a);
		a = b;
	}
	free(pfn);
	free(pv);
	free(victims);
}

size_t xb_parse_mib(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || (*end && strcmp(end, "M") && strcmp(end, "MiB")))
		xb_die("not a size in MiB: %s", s);
	return (size_t)v << 20;
}
