/*
 * `xballoon drive`: replay a scenario's timeline on a real Xen domain from
 * dom0 — a scratch domain created for the run and destroyed after it, or an
 * existing empty domain its owner names and confirms.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/cmd.h"
#include "xballoon/backend.h"
#include "xballoon/run.h"
#include "xballoon/scenario.h"

static const char usage[] =
    "usage: xballoon drive SCENARIO (--scratch SIZE --type hvm|pvh|pv |\n"
    "                      --domid N --i-own-this-domain [--allow-running]\n"
    "                      [--type T]) [--policy P] [--seed N] [--out DIR]\n"
    "                      [--json] [--no-verify-content] [--allow-long]\n"
    "                      [--fail-after-events N]";

static int parse_type(const char *s, enum xb_guest_type *t)
{
	if (!strcmp(s, "hvm"))
		*t = XB_GUEST_HVM;
	else if (!strcmp(s, "pvh"))
		*t = XB_GUEST_PVH;
	else if (!strcmp(s, "pv"))
		*t = XB_GUEST_PV;
	else
		return -1;
	return 0;
}

/*
 * The domain stands for the scenario's guest: its type, and with --scratch
 * its size (boot memory clipped to it). The host section and fault events
 * model the mock's host and have nothing to act on here: say so.
 */
static void fit_scenario(struct xb_scenario *sc, bool type_set,
			 enum xb_guest_type type, uint64_t scratch_frames)
{
	bool faults = false;

	if (type_set)
		sc->guest.type = type;
	if (scratch_frames) {
		sc->guest.max_frames = scratch_frames;
		sc->guest.maxmem = scratch_frames * XB_PAGE_SIZE;
		if (sc->guest.frames > scratch_frames) {
			sc->guest.frames = scratch_frames;
			sc->guest.memory = sc->guest.maxmem;
		}
	}
	for (size_t i = 0; i < sc->nr_events; i++)
		faults |= sc->events[i].type == XB_EV_FAULT;
	if (sc->host.nr_neighbours)
		fprintf(stderr, "xballoon: note: host neighbours are not "
				"created on real Xen\n");
	if (faults)
		fprintf(stderr, "xballoon: note: fault events are not "
				"injected on real Xen\n");
}

int cmd_drive(int argc, char **argv)
{
	struct xb_run_options opt = {.progress = isatty(2), .backend = "xen"};
	const char *path = NULL, *out = NULL, *size = NULL, *type_name = NULL;
	enum xb_guest_type type = XB_GUEST_HVM;
	bool json = false, confirmed = false, no_verify = false;
	bool allow_long = false;
	uint64_t scratch = 0, domid = 0;
	const struct xb_cli_opt opts[] = {
	    {"--json", XB_CLI_FLAG, &json, NULL},
	    {"--i-own-this-domain", XB_CLI_FLAG, &confirmed, NULL},
	    {"--allow-running", XB_CLI_FLAG, &opt.allow_running, NULL},
	    {"--allow-long", XB_CLI_FLAG, &allow_long, NULL},
	    {"--no-verify-content", XB_CLI_FLAG, &no_verify, NULL},
	    {"--scratch", XB_CLI_STRING, &size, NULL},
	    {"--type", XB_CLI_STRING, &type_name, NULL},
	    {"--domid", XB_CLI_U64, &domid, &opt.domid_set},
	    {"--policy", XB_CLI_STRING, &opt.policy, NULL},
	    {"--out", XB_CLI_STRING, &out, NULL},
	    {"--seed", XB_CLI_U64, &opt.seed, &opt.seed_set},
	    {"--fail-after-events", XB_CLI_U64, &opt.fail_after_events, NULL},
	    {NULL, XB_CLI_FLAG, NULL, NULL},
	};
	const char *why = NULL;

	if (xb_cli_parse(argc, argv, opts, &path, "scenario") < 0)
		return XB_EXIT_USAGE;
	/* Real memory: contents are verified around every hypercall. */
	opt.verify_content = !no_verify;
	if (size && (xb_parse_size(size, &scratch, &why) < 0 ||
		     scratch < 2u << 20 || scratch % XB_PAGE_SIZE)) {
		xb_cli_error("--scratch: %s",
			     why ? why : "at least 2MiB, in whole 4KiB pages");
		return XB_EXIT_USAGE;
	}
	if (type_name && parse_type(type_name, &type) < 0) {
		xb_cli_error("--type: expected hvm, pvh or pv, got '%s'",
			     type_name);
		return XB_EXIT_USAGE;
	}
	if (opt.domid_set && domid > 0x7fef) {
		xb_cli_error("--domid: %llu is not a guest domain id",
			     (unsigned long long)domid);
		return XB_EXIT_USAGE;
	}
	opt.domid = (int)domid;
	if (!path || (!scratch && !opt.domid_set)) {
		xb_cli_error("%s", usage);
		return XB_EXIT_USAGE;
	}
	if (scratch && opt.domid_set) {
		xb_cli_error("--scratch and --domid exclude each other");
		return XB_EXIT_USAGE;
	}
	if (scratch && !type_name) {
		xb_cli_error("--scratch needs --type hvm|pvh|pv");
		return XB_EXIT_USAGE;
	}
	if (opt.domid_set && !opt.domid) {
		xb_cli_error("refusing domain 0: xballoon never acts on dom0");
		return XB_EXIT_USAGE;
	}
	if (opt.domid_set && !confirmed) {
		xb_cli_error("refusing domain %d: confirm it is yours with "
			     "--domid %d --i-own-this-domain",
			     opt.domid, opt.domid);
		return XB_EXIT_USAGE;
	}
	opt.domid_confirmed = confirmed;
	if (!xb_backend_find("xen")) {
		xb_cli_error("this xballoon was built without the xen backend "
			     "(install libxen-dev and rebuild)");
		return XB_EXIT_FAILURE;
	}

	struct xb_scenario *sc = xb_cli_load(path, opt.policy, allow_long);

	if (!sc)
		return XB_EXIT_USAGE;
	fit_scenario(sc, type_name != NULL, type, scratch / XB_PAGE_SIZE);

	int status = xb_cli_run_report(sc, &opt, out, json);

	xb_scenario_free(sc);
	return status;
}
