/*
 * p2m_census.c - which pfns of a running PV domain are populated, as dom0
 * sees them; run in dom0 by tests/xen/domu/reference.sh.
 *
 *   p2m_census DOMID PHASE [--settle SECS] [--gfns N]
 *
 * With --settle it first waits until the domain's tot_pages has not moved
 * for SECS seconds (sampled every 100 ms; at most 4 minutes): where a
 * balloon driver asked for more than the guest can give stops.
 *
 * A PV guest keeps its own pfn -> mfn table, and publishes it for the
 * toolstack through its shared info page (the frame list that save/restore
 * and xen-mfndump read); xc_map_domain_meminfo() maps it, then asks Xen
 * (XEN_DOMCTL_getpageframeinfo3) what each named machine frame is. A pfn
 * is populated when the guest's table names a frame and Xen says the frame
 * is the domain's (not XEN_DOMCTL_PFINFO_XTAB). The domain is paused while
 * its table is read. Linux's balloon driver
 * writes INVALID_P2M_ENTRY for each page it gives back.
 *
 * An hvm or pvh domain has no such table: Xen's P2M is the truth, read by
 * foreign maps of gfns 0 .. N-1 (--gfns), as the xen backend reads it.
 *
 * Prints "XB-REF p2m.PHASE.size N", "XB-REF p2m.PHASE.populated N",
 * "XB-REF p2m.PHASE.tot_pages N" (Xen's count, for a cross-check) and, per
 * 2 MiB region of pfns (pfn >> 9 = R), "XB-REF p2m.PHASE.r.R N" with its
 * populated pfns. Exit status 0 on success.
 */
#include <inttypes.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenguest.h>

#define REGION_SHIFT 9
/* --settle gives up after this long: below the plan's per-test timeout. */
#define SETTLE_MAX_S 240

/* Entry `pfn` of the guest's table: 8-byte entries for a 64-bit guest, 4
 * for a 32-bit one, whose "no frame" is ~0U (libxenguest's own
 * xc_pfn_to_mfn() is private to the library). */
static xen_pfn_t p2m_entry(const struct xc_domain_meminfo *mi,
			   unsigned long pfn)
{
	if (mi->guest_width == sizeof(uint64_t))
		return ((const uint64_t *)mi->p2m_table)[pfn];
	uint32_t e = ((const uint32_t *)mi->p2m_table)[pfn];

	return e == ~0U ? INVALID_MFN : e;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait until tot_pages of `domid` stays put for `secs`; 0 when it did. */
static int settle(xc_interface *xch, uint32_t domid, double secs)
{
	const struct timespec step = {0, 100 * 1000 * 1000};
	double start = now_s(), since = start;
	uint64_t last = UINT64_MAX;

	while (now_s() - start < SETTLE_MAX_S) {
		xc_domaininfo_t info;

		if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 ||
		    info.domain != domid)
			return -1;
		if (info.tot_pages != last) {
			last = info.tot_pages;
			since = now_s();
		} else if (now_s() - since >= secs) {
			printf("XB-REF settle.tot_pages %" PRIu64 "\n", last);
			printf("XB-REF settle.s %.1f\n", since - start);
			return 0;
		}
		nanosleep(&step, NULL);
	}
	return -1;
}

/* PV: the guest's own table, which Xen checks frame by frame. */
static int census_pv(xc_interface *xch, uint32_t domid, unsigned long *size,
		     unsigned long **regions, unsigned long *populated)
{
	struct xc_domain_meminfo mi;

	memset(&mi, 0, sizeof(mi));
	if (xc_map_domain_meminfo(xch, domid, &mi)) {
		perror("p2m_census: xc_map_domain_meminfo");
		return -1;
	}
	*size = mi.p2m_size;
	*regions = calloc((*size >> REGION_SHIFT) + 1, sizeof(**regions));
	for (unsigned long pfn = 0; *regions && pfn < *size; pfn++) {
		xen_pfn_t mfn = p2m_entry(&mi, pfn);
		unsigned long type =
		    mi.pfn_type[pfn] & XEN_DOMCTL_PFINFO_LTAB_MASK;

		if (mfn == INVALID_MFN || type == XEN_DOMCTL_PFINFO_XTAB)
			continue;
		(*populated)++;
		(*regions)[pfn >> REGION_SHIFT]++;
	}
	xc_unmap_domain_meminfo(xch, &mi);
	return *regions ? 0 : -1;
}

/*
 * hvm/pvh: Xen's P2M itself. A foreign map of gfns with per-frame errors
 * maps the populated ones and fails the others, as the xen backend asks
 * (backends/xen/xen.c, query_batch()). Gfns 0 .. size-1: the guest's RAM
 * below its first hole.
 */
static int census_translated(uint32_t domid, unsigned long size,
			     unsigned long **regions, unsigned long *populated)
{
	enum { BATCH = 1024 };
	xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
	xen_pfn_t gfn[BATCH];
	int err[BATCH], rc = 0;

	*regions = calloc((size >> REGION_SHIFT) + 1, sizeof(**regions));
	if (!fm || !*regions) {
		perror("p2m_census");
		rc = -1;
	}
	for (unsigned long done = 0; !rc && done < size;) {
		unsigned k = size - done < BATCH ? size - done : BATCH;
		void *p;

		for (unsigned i = 0; i < k; i++)
			gfn[i] = done + i;
		p = xenforeignmemory_map(fm, domid, PROT_READ, k, gfn, err);
		if (!p) {
			perror("p2m_census: xenforeignmemory_map");
			rc = -1;
			break;
		}
		for (unsigned i = 0; i < k; i++) {
			if (err[i])
				continue;
			(*populated)++;
			(*regions)[(done + i) >> REGION_SHIFT]++;
		}
		xenforeignmemory_unmap(fm, p, k);
		done += k;
	}
	if (fm)
		xenforeignmemory_close(fm);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: p2m_census DOMID PHASE [--settle SECS] "
			"[--gfns N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	xc_domaininfo_t info;
	xc_interface *xch;
	unsigned long populated = 0, size = 0;
	unsigned long *regions = NULL;
	double settle_s = 0;
	char *end;
	uint32_t domid;
	int rc = 1;

	if (argc < 3)
		return usage();
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--settle") && i + 1 < argc)
			settle_s = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--gfns") && i + 1 < argc)
			size = strtoul(argv[++i], NULL, 0);
		else
			return usage();
	}
	domid = (uint32_t)strtoul(argv[1], &end, 10);
	if (*end || !*argv[1]) {
		fprintf(stderr, "p2m_census: bad domid '%s'\n", argv[1]);
		return 2;
	}
	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch) {
		perror("p2m_census: xc_interface_open");
		return 1;
	}
	if (settle_s > 0 && settle(xch, domid, settle_s)) {
		fprintf(stderr, "p2m_census: d%" PRIu32 " did not settle\n",
			domid);
		goto out;
	}
	if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 ||
	    info.domain != domid) {
		fprintf(stderr, "p2m_census: no domain %" PRIu32 "\n", domid);
		goto out;
	}
	/* Paused while it is read: a running guest's balloon driver may be
	 * rewriting the very table (a pv guest's own p2m tree) mid-read. */
	if ((info.flags & XEN_DOMINF_hvm_guest) && !size) {
		fprintf(stderr, "p2m_census: an hvm/pvh domain needs --gfns\n");
		goto out;
	}
	if (xc_domain_pause(xch, domid)) {
		perror("p2m_census: xc_domain_pause");
		goto out;
	}
	/* Xen's count at the moment of the census: read again, paused. */
	if (xc_domain_getinfolist(xch, domid, 1, &info) != 1 ||
	    info.domain != domid)
		rc = -1;
	else if (info.flags & XEN_DOMINF_hvm_guest) {
		rc = census_translated(domid, size, &regions, &populated);
	} else {
		rc = census_pv(xch, domid, &size, &regions, &populated);
	}
	if (xc_domain_unpause(xch, domid)) {
		perror("p2m_census: xc_domain_unpause");
		rc = -1;
	}
	if (rc) {
		rc = 1;
		goto out;
	}
	printf("XB-REF p2m.%s.size %lu\n", argv[2], size);
	printf("XB-REF p2m.%s.populated %lu\n", argv[2], populated);
	printf("XB-REF p2m.%s.tot_pages %" PRIu64 "\n", argv[2],
	       (uint64_t)info.tot_pages);
	for (unsigned long r = 0; r <= (size - 1) >> REGION_SHIFT; r++)
		printf("XB-REF p2m.%s.r.%lu %lu\n", argv[2], r, regions[r]);
	rc = 0;
out:
	free(regions);
	xc_interface_close(xch);
	return rc;
}
