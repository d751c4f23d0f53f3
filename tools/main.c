/*
 * xballoon: entry point and subcommand dispatch.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tools/cmd.h"
#include "xballoon/scenario.h"

static const struct xb_cmd commands[] = {
    {"run", cmd_run, "replay a scenario",
     "xballoon run SCENARIO [--policy P] [--knobs K=V,...] [--seed N] "
     "[--backend mock|xen] "
     "[--out DIR] [--map-every TIME] [--trace FILE] [--verify-content] "
     "[--check full|sampled|end] [--allow-long] [--json]"},
    {"replay", cmd_replay,
     "replay a backend trace and report the first divergence",
     "xballoon replay TRACE [--backend mock|xen] [--domid N "
     "--i-own-this-domain] [--json]"},
    {"compare", cmd_compare,
     "replay a scenario under several policies, one row each",
     "xballoon compare SCENARIO [--policies P,Q,...] [--knobs K=V,...] "
     "[--seed N] "
     "[--check LEVEL] [--allow-long]"},
    {"bench", cmd_bench, "sweep scenarios x policies x seeds, mean ± 95 % CI",
     "xballoon bench [--policies P,Q] [--seeds N] [--seed-offset I] "
     "[--jobs N] [--out DIR] [--no-wall] [--allow-long] SCENARIO...\n"
     "       xballoon bench --merge [--policies P,Q] [--out DIR] [--no-wall] "
     "DIR...\n"
     "       xballoon bench --emit slurm|parallel OUT [--policies P,Q] "
     "[--seeds N] [--chunk K] [--jobs N] [--allow-long] SCENARIO...\n\n"
     "  --seeds N        runs per scenario and policy (default 5): seeds "
     "S+I ... S+I+N-1,\n"
     "                   S the scenario's seed, I the --seed-offset "
     "(default 0)\n"
     "  --jobs N         worker processes (default: the cores; with --emit "
     "1 a task)\n"
     "  --out DIR        keep every run's report and write "
     "DIR/results.{csv,md}\n"
     "  --no-wall        leave the wall-time column out: the rest compares "
     "with cmp\n"
     "  --merge DIR...   the tables of every report.json below the DIRs\n"
     "  --emit KIND OUT  write a cluster job into the new directory OUT "
     "instead of\n"
     "                   running: KIND slurm (OUT/job.sbatch, an array) "
     "or parallel\n"
     "                   (OUT/run-parallel.sh, GNU parallel); one task per "
     "scenario,\n"
     "                   policy and --chunk K seeds (default 1); then "
     "OUT/merge.sh\n"
     "                   (docs/bench.md)"},
    {"policies", cmd_policies, "list the balloon policies",
     "xballoon policies [--knobs]"},
    {"backends", cmd_backends, "list the backends", "xballoon backends"},
    {"drive", cmd_drive,
     "replay a scenario on a real Xen domain from dom0 (xen backend)",
     "xballoon drive SCENARIO (--scratch SIZE --type hvm|pvh|pv | --domid N "
     "--i-own-this-domain [--allow-running] [--type T]) [--policy P] "
     "[--seed N] [--out DIR] [--json] [--no-verify-content] "
     "[--fail-after-events N]"},
    {"zone", cmd_zone,
     "build a guest zone, apply an allocation pattern, print its state",
     "xballoon zone [--frames N] [--seed N] [--pattern "
     "fill|fragmenter|random]"},
    {"check", cmd_check, "validate scenario files",
     "xballoon check SCENARIO..."},
    {"plot", cmd_plot,
     "draw runs' curves and memory maps, or a sweep's metrics (PNG, SVG)",
     "xballoon plot DIR... [--out PREFIX] [--last]\n"
     "       xballoon plot BENCHDIR... [--policies P,Q] [--out PREFIX]\n\n"
     "  DIR       a run's out dir (run --out): curves, and maps with "
     "map.txt\n"
     "  BENCHDIR  a sweep's directory (bench --out, a cluster job's OUT, "
     "or parts\n"
     "            of it): each metric's mean and 95 % interval per "
     "policy, one\n"
     "            panel per scenario, PREFIX-METRIC.png and .svg\n"
     "  --out PREFIX  default: the first directory's plot"},
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void xb_cli_error(const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* A value quoted from argv may hold a newline: still one line. */
	line = xb_one_line(msg);
	fprintf(stderr, "xballoon: error: %s\n", line);
	g_free(line);
	g_free(msg);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: xballoon COMMAND [ARGS]\n"
		     "       xballoon --version | --help\n\n"
		     "xballoon runs the Xen balloon driver against a modeled "
		     "Linux zone and a mock Xen,\nor a real Xen domain from "
		     "dom0 (drive).\n\ncommands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "  %-10s %s\n", "version", "print the version");
	fprintf(out,
		"\n'xballoon COMMAND --help' shows a command's usage.\n"
		"This is xballoon %s.\n",
		XB_VERSION);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return XB_EXIT_USAGE;
	}
	const char *name = argv[1];

	if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
	    !strcmp(name, "help")) {
		usage(stdout);
		return XB_EXIT_OK;
	}
	if (!strcmp(name, "version") || !strcmp(name, "--version")) {
		printf("xballoon %s\n", XB_VERSION);
		return XB_EXIT_OK;
	}
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		if (strcmp(name, commands[i].name))
			continue;
		for (int a = 2; a < argc; a++) {
			if (!strcmp(argv[a], "--help") ||
			    !strcmp(argv[a], "-h")) {
				printf("usage: %s\n\n%s\n", commands[i].usage,
				       commands[i].summary);
				return XB_EXIT_OK;
			}
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	xb_cli_error("unknown command '%s' (try 'xballoon --help')", name);
	return XB_EXIT_USAGE;
}
