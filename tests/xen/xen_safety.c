/*
 * The real backend's safety rules, on real Xen inside the QEMU harness:
 * dom0, unknown, unconfirmed and running domains are refused; the
 * data-plane handles are confined to the target domain; a scratch domain
 * is destroyed at close, on SIGINT, on SIGTERM and on a failed assertion.
 *   xen_safety XBALLOON SCENARIO
 * XBALLOON and SCENARIO are used for the `xballoon drive` exit paths.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>

#include "xballoon/backend.h"
#include "xballoon/xen.h"

static xc_interface *xch;
static unsigned failed, passed;

#define CHECK(name, cond, ...)                                                 \
	do {                                                                   \
		if (cond) {                                                    \
			passed++;                                              \
			printf("ok %s\n", name);                               \
		} else {                                                       \
			failed++;                                              \
			printf("FAIL %s: ", name);                             \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
		fflush(stdout);                                                \
	} while (0)

static struct xb_backend *open_domain(int domid, bool confirmed,
				      bool allow_running, GError **err)
{
	struct xb_backend_config cfg = {
	    .type = XB_GUEST_HVM,
	    .max_pages = 4096,
	    .gfn_space = 1u << 20,
	    .domid = domid,
	    .domid_confirmed = confirmed,
	    .allow_running = allow_running,
	};

	return xb_backend_open(xb_backend_find("xen"), &cfg, err);
}

static bool domain_exists(uint32_t domid)
{
	xc_domaininfo_t info;

	return xc_domain_getinfolist(xch, domid, 1, &info) == 1 &&
	       info.domain == domid;
}

/* Live guest domains; dying ones (being torn down) are printed, not
 * counted, unless @print_all. */
static int guest_domains_ex(bool print_all)
{
	xc_domaininfo_t info[16];
	int n = xc_domain_getinfolist(xch, 1, 16, info), live = 0;

	for (int i = 0; i < n; i++) {
		bool dying = info[i].flags & XEN_DOMINF_dying;

		if (print_all || dying)
			printf("  domain %u: flags %#x, %lu pages%s\n",
			       info[i].domain, info[i].flags,
			       (unsigned long)info[i].tot_pages,
			       dying ? " (dying)" : "");
		live += !dying;
	}
	return n < 0 ? n : live;
}

static int guest_domains(void)
{
	return guest_domains_ex(false);
}

/* Expect open to fail with a message containing @want. */
static void refused(const char *name, int domid, bool confirmed,
		    bool allow_running, const char *want)
{
	GError *err = NULL;
	struct xb_backend *be =
	    open_domain(domid, confirmed, allow_running, &err);

	CHECK(name, !be && err && strstr(err->message, want),
	      "expected a refusal saying '%s', got %s", want,
	      be    ? "an open backend"
	      : err ? err->message
		    : "no error");
	if (be)
		xb_backend_close(be);
	g_clear_error(&err);
}

static void refusals(void)
{
	GError *err = NULL;
	struct xb_backend *scratch = open_domain(-1, false, false, &err);
	struct xb_backend *other, *adopted;
	struct xb_guest_info gi;
	xb_xen_pfn_t gfn = 16;
	int map_errno, dm_errno;
	uint32_t id;

	refused("refuse_dom0", 0, true, true, "refusing domain 0");
	refused("refuse_unknown_domain", 4321, true, false,
		"domain 4321 does not exist");
	if (!scratch) {
		CHECK("scratch_domain", false, "%s", err->message);
		g_clear_error(&err);
		return;
	}
	xb_guest_info(scratch, &gi);
	id = gi.domid;
	refused("refuse_unconfirmed_domain", (int)id, false, false,
		"was not confirmed");

	adopted = open_domain((int)id, true, false, &err);
	CHECK("adopt_confirmed_paused_domain", adopted != NULL, "%s",
	      err ? err->message : "?");
	g_clear_error(&err);
	xb_backend_close(adopted);
	CHECK("adopted_domain_kept_at_close", domain_exists(id),
	      "closing an adopted domain destroyed it");

	/* An unpaused domain (its vcpu never started) counts as running. */
	xc_domain_unpause(xch, id);
	refused("refuse_running_domain", (int)id, true, false, "is running");
	adopted = open_domain((int)id, true, true, &err);
	CHECK("adopt_running_domain_when_told", adopted != NULL, "%s",
	      err ? err->message : "?");
	g_clear_error(&err);
	xb_backend_close(adopted);
	xc_domain_pause(xch, id);

	/* The handles of one backend cannot touch another domain. */
	CHECK("populate_target", xb_populate_physmap(scratch, &gfn, 1, 0) == 1,
	      "populate failed");
	other = open_domain(-1, false, false, &err);
	if (!other) {
		CHECK("second_scratch_domain", false, "%s", err->message);
		g_clear_error(&err);
	} else {
		xb__xen_try_other_domain(other, id, 16, &map_errno, &dm_errno);
		CHECK("foreign_map_handle_is_restricted", map_errno == EPERM,
		      "mapping another domain's frame gave errno %d",
		      map_errno);
		CHECK("devicemodel_handle_is_restricted", dm_errno == EPERM,
		      "relocating in another domain gave errno %d", dm_errno);
		xb_backend_close(other);
	}
	xb_backend_close(scratch);
	CHECK("scratch_destroyed_at_close", !domain_exists(id),
	      "domain %u still exists", id);
}

/*
 * `xballoon drive` on a scratch domain, ended by @sig once the domain
 * exists (0: let it run with --fail-after-events). The domain must be
 * gone afterwards, and the exit status must say how the run ended.
 */
static void drive_exit(const char *name, const char *xballoon,
		       const char *scenario, int sig)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	int status = 0, waited = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (sig)
			execl(xballoon, xballoon, "drive", scenario,
			      "--scratch", "64MiB", "--type", "hvm", (char *)0);
		else
			execl(xballoon, xballoon, "drive", scenario,
			      "--scratch", "64MiB", "--type", "hvm",
			      "--fail-after-events", "40", (char *)0);
		_exit(127);
	}
	if (sig) {
		/* The domain exists once the backend opened; a second later
		 * the run is past boot, in its event loop (it takes ~6 s). */
		while (guest_domains() == 0 && waited++ < 3000)
			nanosleep(&tick, NULL);
		nanosleep(&(struct timespec){1, 0}, NULL);
		kill(pid, sig);
	}
	waitpid(pid, &status, 0);
	if (guest_domains_ex(true))
		nanosleep(&(struct timespec){1, 0}, NULL);
	if (sig)
		CHECK(name,
		      WIFEXITED(status) && WEXITSTATUS(status) == 128 + sig,
		      "exit status %#x, expected exit %d", status, 128 + sig);
	else
		CHECK(name, WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "status %#x, expected SIGABRT", status);
	CHECK("no_domain_left_after_drive", guest_domains() == 0,
	      "%d domains left", guest_domains());
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: xen_safety XBALLOON SCENARIO\n");
		return 2;
	}
	xch = xc_interface_open(NULL, NULL, 0);
	if (!xch || !xb_backend_find("xen")) {
		fprintf(stderr, "xen_safety: no Xen or no xen backend\n");
		return 2;
	}
	refusals();
	drive_exit("drive_sigterm_destroys_scratch", argv[1], argv[2], SIGTERM);
	drive_exit("drive_sigint_destroys_scratch", argv[1], argv[2], SIGINT);
	drive_exit("drive_failed_assertion_destroys_scratch", argv[1], argv[2],
		   0);
	printf("safety: %u passed, %u failed\n", passed, failed);
	xc_interface_close(xch);
	return failed || !passed ? 1 : 0;
}
