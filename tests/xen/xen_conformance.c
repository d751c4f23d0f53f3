/*
 * The backend conformance suite (tests/backends/conformance.c) on real Xen:
 * every case on a fresh scratch domain of every type it applies to. Runs
 * in dom0 inside the QEMU harness; prints one line per case and exits 0
 * only when every case passed and no domain was left behind. A case that
 * cannot run on this host (the NUMA cases on one node) prints SKIP with
 * its reason, and the run then exits 77 even when nothing failed: a skip
 * is never a pass.
 *   xen_conformance [--type hvm|pvh|pv] [--case NAME]
 */
#include <stdio.h>
#include <string.h>

#include <xenctrl.h>

#include "backends/conformance.h"

static struct xb_backend *open_xen(void *priv, enum xb_guest_type type,
				   uint64_t max_pages, unsigned nr_nodes,
				   GError **error)
{
	(void)nr_nodes; /* the host has the nodes it booted with */
	struct xb_backend_config cfg = {
	    .type = type,
	    .max_pages = max_pages,
	    .gfn_space = 1u << 20,
	    .domid = -1,
	};

	(void)priv;
	return xb_backend_open(xb_backend_find("xen"), &cfg, error);
}

/* Domains other than dom0: a case must leave none behind. */
static int guest_domains(void)
{
	xc_interface *xch = xc_interface_open(NULL, NULL, 0);
	xc_domaininfo_t info[16];
	int n;

	if (!xch)
		return -1;
	n = xc_domain_getinfolist(xch, 1, 16, info);
	xc_interface_close(xch);
	return n;
}

int main(int argc, char **argv)
{
	const char *only_type = NULL, *only_case = NULL;
	unsigned passed = 0, failed = 0, skipped = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--type"))
			only_type = argv[i + 1];
		else if (!strcmp(argv[i], "--case"))
			only_case = argv[i + 1];
	}
	if (!xb_backend_find("xen")) {
		fprintf(stderr, "xen_conformance: built without the xen "
				"backend\n");
		return 2;
	}
	for (unsigned i = 0; xb_conf_cases[i].name; i++) {
		const struct xb_conf_case *c = &xb_conf_cases[i];

		if (only_case && strcmp(only_case, c->name))
			continue;
		for (unsigned t = 0; t <= XB_GUEST_PVH; t++) {
			const char *tn = xb_conf_type_name(t);
			char *fail;
			int left;

			if (!(c->types & (1u << t)) ||
			    (only_type && strcmp(only_type, tn)))
				continue;
			fail = xb_conf_run_case(c, t, open_xen, NULL);
			left = guest_domains();
			if ((!fail || xb_conf_is_skip(fail)) && left != 0) {
				g_free(fail);
				fail = g_strdup_printf("%d domains left "
						       "behind",
						       left);
			}
			if (xb_conf_is_skip(fail)) {
				printf("SKIP %s %s: %s\n", tn, c->name,
				       fail + strlen(XB_CONF_SKIP));
				skipped++;
			} else {
				printf("%s %s %s%s%s\n", fail ? "FAIL" : "ok",
				       tn, c->name, fail ? ": " : "",
				       fail ? fail : "");
				if (fail)
					failed++;
				else
					passed++;
			}
			fflush(stdout);
			g_free(fail);
		}
	}
	printf("conformance: %u passed, %u failed, %u skipped\n", passed,
	       failed, skipped);
	if (failed || !passed)
		return 1;
	return skipped ? 77 : 0;
}
