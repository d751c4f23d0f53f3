/*
 * smoke.c - the real-Xen harness's self-test, run in dom0 by tests/xen/run.sh:
 * through libxenctrl, create an empty paused hvm, pvh and pv domain, populate
 * and decrease one 2 MiB extent and 512 4 KiB frames, check tot_pages after
 * each step, destroy it; then act on a domain that does not exist.
 * Exit status 0 = every check held.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <xenctrl.h>

/*
 * The guest frame layout: one order-9 extent at gfn 0x200 (2 MiB aligned:
 * gfn % 512 == 0) and 512 order-0 frames at gfns 0x400..0x5ff, so
 * tot_pages == 512 + 512 while both are populated, within maxmem.
 */
#define SMOKE_HUGE_ORDER 9
#define SMOKE_HUGE_GFN	 0x200
#define SMOKE_SMALL_GFN	 0x400
#define SMOKE_SMALL_NR	 512
#define SMOKE_MAXMEM_KB	 (16 * 1024)
/* The last ordinary domid: no domain exists at or above it in this boot. */
#define SMOKE_ABSENT_DOMID (DOMID_FIRST_RESERVED - 1)

struct guest_type {
	const char *name;
	uint32_t cdf_flags;
	uint32_t emulation_flags;
};

/* The creation flags the toolstack (libxl) uses for each guest type. */
static const struct guest_type guest_types[] = {
    {"hvm", XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
     XEN_X86_EMU_ALL & ~XEN_X86_EMU_VPCI},
    {"pvh", XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap, XEN_X86_EMU_LAPIC},
    {"pv", 0, 0},
};

static unsigned int failures;

__attribute__((format(printf, 2, 3))) static bool expect(bool ok,
							 const char *fmt, ...)
{
	va_list ap;

	printf("smoke: %s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failures++;
	return ok;
}

/* tot_pages of @domid, or -1 with errno ESRCH when no such domain exists. */
static int64_t tot_pages(xc_interface *xch, uint32_t domid)
{
	xc_domaininfo_t info;
	int n;

	/* Lists the domains with id >= domid: the first must be domid. */
	n = xc_domain_getinfolist(xch, domid, 1, &info);
	if (n < 0)
		return -1;
	if (n == 0 || info.domain != domid) {
		errno = ESRCH;
		return -1;
	}
	return (int64_t)info.tot_pages;
}

static void smoke_guest(xc_interface *xch, const struct guest_type *t)
{
	struct xen_domctl_createdomain cfg = {
	    .flags = t->cdf_flags,
	    .max_vcpus = 1,
	    .max_evtchn_port = 0,
	    .max_grant_frames = 1,
	    .max_maptrack_frames = 0,
	    .grant_opts = XEN_DOMCTL_GRANT_version(1),
	    .arch.emulation_flags = t->emulation_flags,
	};
	xen_pfn_t huge = SMOKE_HUGE_GFN, small[SMOKE_SMALL_NR];
	uint32_t domid = 0; /* 0: Xen picks the next free domid */
	bool pv = !(t->cdf_flags & XEN_DOMCTL_CDF_hvm);
	bool kept = true;
	int64_t pages;
	int rc;

	for (unsigned int i = 0; i < SMOKE_SMALL_NR; i++)
		small[i] = SMOKE_SMALL_GFN + i;

	rc = xc_domain_create(xch, &domid, &cfg);
	if (!expect(rc == 0, "%s: xc_domain_create -> %d (%s)", t->name, rc,
		    rc ? strerror(errno) : "ok"))
		return;
	printf("smoke: %s: created d%" PRIu32 ", paused\n", t->name, domid);

	rc = xc_domain_setmaxmem(xch, domid, SMOKE_MAXMEM_KB);
	expect(rc == 0, "%s: setmaxmem %d KiB -> %d", t->name, SMOKE_MAXMEM_KB,
	       rc);
	pages = tot_pages(xch, domid);
	expect(pages == 0, "%s: empty domain: tot_pages %" PRId64 " == 0",
	       t->name, pages);

	rc = xc_domain_populate_physmap(xch, domid, 1, SMOKE_HUGE_ORDER, 0,
					&huge);
	expect(rc == 1, "%s: populate 1 extent of order 9 -> %d", t->name, rc);
	rc =
	    xc_domain_populate_physmap(xch, domid, SMOKE_SMALL_NR, 0, 0, small);
	expect(rc == SMOKE_SMALL_NR, "%s: populate %d extents of order 0 -> %d",
	       t->name, SMOKE_SMALL_NR, rc);
	pages = tot_pages(xch, domid);
	expect(pages == 2 * SMOKE_SMALL_NR,
	       "%s: after populate: tot_pages %" PRId64 " == %d", t->name,
	       pages, 2 * SMOKE_SMALL_NR);

	/*
	 * HVM/PVH: the extent array keeps the gfns. PV: Xen writes back the
	 * machine frames, and an order-9 extent is a 2 MiB-aligned buddy.
	 */
	if (pv) {
		expect(huge % 512 == 0,
		       "%s: order-9 extent is mfn 0x%" PRI_xen_pfn
		       ", 2 MiB aligned",
		       t->name, huge);
	} else {
		for (unsigned int i = 0; i < SMOKE_SMALL_NR; i++)
			kept &= small[i] == SMOKE_SMALL_GFN + i;
		expect(huge == SMOKE_HUGE_GFN && kept,
		       "%s: extent array still holds the gfns", t->name);
	}

	/* PV decreases by machine frame: pass back what populate wrote. */
	rc = xc_domain_decrease_reservation(xch, domid, 1, SMOKE_HUGE_ORDER,
					    &huge);
	expect(rc == 1, "%s: decrease 1 extent of order 9 -> %d", t->name, rc);
	pages = tot_pages(xch, domid);
	expect(pages == SMOKE_SMALL_NR,
	       "%s: after decreasing 2 MiB: tot_pages %" PRId64 " == %d",
	       t->name, pages, SMOKE_SMALL_NR);
	rc = xc_domain_decrease_reservation(xch, domid, SMOKE_SMALL_NR, 0,
					    small);
	expect(rc == SMOKE_SMALL_NR, "%s: decrease %d extents of order 0 -> %d",
	       t->name, SMOKE_SMALL_NR, rc);
	pages = tot_pages(xch, domid);
	expect(pages == 0, "%s: after decrease: tot_pages %" PRId64 " == 0",
	       t->name, pages);

	rc = xc_domain_destroy(xch, domid);
	expect(rc == 0, "%s: destroy d%" PRIu32 " -> %d", t->name, domid, rc);
	pages = tot_pages(xch, domid);
	expect(pages == -1 && errno == ESRCH,
	       "%s: d%" PRIu32 " is gone after destroy", t->name, domid);
}

/*
 * Xen refuses a domain that does not exist, in two ways: a domctl fails
 * with ESRCH, but a reservation op (do_memory_op() in xen/common/memory.c
 * returns start_extent when the domain lookup fails) "succeeds" with 0
 * extents done and no errno.
 */
static void smoke_absent(xc_interface *xch)
{
	xen_pfn_t gfn = SMOKE_SMALL_GFN;
	xc_domaininfo_t info;
	int rc;

	rc = xc_domain_getinfolist(xch, SMOKE_ABSENT_DOMID, 1, &info);
	expect(rc == 0, "getinfolist from absent d%d lists %d domains",
	       SMOKE_ABSENT_DOMID, rc);
	rc = xc_domain_setmaxmem(xch, SMOKE_ABSENT_DOMID, SMOKE_MAXMEM_KB);
	expect(rc == -1 && errno == ESRCH, "setmaxmem on absent d%d -> %d (%s)",
	       SMOKE_ABSENT_DOMID, rc, rc < 0 ? strerror(errno) : "done");
	rc = xc_domain_populate_physmap(xch, SMOKE_ABSENT_DOMID, 1, 0, 0, &gfn);
	expect(rc == 0, "populate on absent d%d -> %d extents done",
	       SMOKE_ABSENT_DOMID, rc);
	rc =
	    xc_domain_decrease_reservation(xch, SMOKE_ABSENT_DOMID, 1, 0, &gfn);
	expect(rc == 0, "decrease on absent d%d -> %d extents done",
	       SMOKE_ABSENT_DOMID, rc);
}

/* How much memory test domains have (run.sh's -m minus dom0_mem). */
static void print_host_memory(xc_interface *xch, const char *when)
{
	xc_physinfo_t info = {0};

	if (xc_physinfo(xch, &info)) {
		printf("smoke: xc_physinfo: %s\n", strerror(errno));
		return;
	}
	printf("smoke: %s: Xen has %" PRIu64 " of %" PRIu64
	       " pages free (%" PRIu64 " MiB), %" PRIu32 " cpus, %" PRIu32
	       " NUMA nodes\n",
	       when, (uint64_t)info.free_pages, (uint64_t)info.total_pages,
	       (uint64_t)info.free_pages >> 8, info.nr_cpus, info.nr_nodes);

	/* Each node's memory and free memory (XEN_SYSCTL_numainfo). */
	xc_meminfo_t mi[8];
	unsigned nr = 8;

	if (xc_numainfo(xch, &nr, mi, NULL) == 0)
		for (unsigned n = 0; n < nr && n < 8; n++)
			printf("smoke: %s: node %u: %" PRIu64 " MiB, %" PRIu64
			       " MiB free\n",
			       when, n, (uint64_t)mi[n].memsize >> 20,
			       (uint64_t)mi[n].memfree >> 20);
}

int main(void)
{
	xc_interface *xch;

	setvbuf(stdout, NULL, _IOLBF, 0);
	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch) {
		printf("smoke: FAIL xc_interface_open: %s (is this dom0 with "
		       "/dev/xen/privcmd?)\n",
		       strerror(errno));
		return 1;
	}
	print_host_memory(xch, "before");
	for (size_t i = 0; i < sizeof(guest_types) / sizeof(guest_types[0]);
	     i++)
		smoke_guest(xch, &guest_types[i]);
	smoke_absent(xch);
	print_host_memory(xch, "after");
	xc_interface_close(xch);
	printf("smoke: %u failure(s)\n", failures);
	return failures ? 1 : 0;
}
