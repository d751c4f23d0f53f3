/*
 * xb-bench: run every benchmark group once, print a table (or JSON lines).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"

#define MAX_RESULTS 128
#define MEMSET_REF  "memset of frames x 16 bytes"

static struct xb_bench_result results[MAX_RESULTS];
static unsigned nr_results;

/* CPU time of the process (user + system, so page faults count), not wall
 * time: on a shared machine the scheduler's slices would otherwise land
 * in whichever row happens to be running. */
uint64_t xb_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void xb_bench_report_ref(const char *name, uint64_t frames, double value,
			 double ref, const char *reference, double target)
{
	if (nr_results == MAX_RESULTS)
		return;
	results[nr_results++] = (struct xb_bench_result){
	    .name = name,
	    .frames = frames,
	    .ns_per_op = value,
	    .ratio = value / ref,
	    .reference = reference,
	    .target = target,
	};
}

void xb_bench_report(struct xb_bench_ctx *ctx, const char *name,
		     uint64_t frames, double ns_per_op, double target)
{
	xb_bench_report_ref(name, frames, ns_per_op, ctx->memset_ns_per_frame,
			    MEMSET_REF, target);
}

uint64_t xb_bench_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* The reference: write N x 16 bytes (one frame record each), best of 3;
 * measured first and last, the faster one counts. */
static double measure_memset(uint64_t frames)
{
	size_t bytes = frames * 16;
	char *buf = malloc(bytes);
	double best = 1e30;

	if (!buf) {
		fprintf(stderr, "xb-bench: cannot allocate %zu bytes\n", bytes);
		exit(1);
	}
	memset(buf, 1, bytes); /* fault the pages in first */
	for (int i = 0; i < 3; i++) {
		uint64_t t0 = xb_bench_now_ns();

		memset(buf, i, bytes);
		__asm__ volatile("" : : "r"(buf) : "memory");
		double ns = (double)(xb_bench_now_ns() - t0) / (double)frames;

		if (ns < best)
			best = ns;
	}
	free(buf);
	return best;
}

static const struct {
	const char *name;
	void (*run)(struct xb_bench_ctx *ctx);
} groups[] = {
    {"zone", xb_bench_zone},
    {"mock", xb_bench_backend},
    {"compaction", xb_bench_compaction},
    {"driver", xb_bench_driver},
    {"replay", xb_bench_replay},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: xb-bench [--frames N] [--seed N] [--scenario FILE] "
		"[--json]\n"
		"  --frames N       guest frames (default 2^24 = 64 GiB)\n"
		"  --scenario FILE  replayed for events per second (default: "
		"the\n"
		"                   source tree's scenarios/long-churn.yaml)\n"
		"  --only GROUP     zone, mock, compaction, driver or replay\n"
		"  --json           one JSON object per measurement\n");
}

int main(int argc, char **argv)
{
	struct xb_bench_ctx ctx = {.frames = 1u << 24, .seed = 1};
	bool json = false;
	const char *only = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--scenario") && i + 1 < argc) {
			ctx.scenario = argv[++i];
		} else if ((!strcmp(argv[i], "--frames") ||
			    !strcmp(argv[i], "--seed")) &&
			   i + 1 < argc) {
			char *end;
			uint64_t v = strtoull(argv[i + 1], &end, 0);

			if (*end || (v == 0 && argv[i][2] == 'f')) {
				fprintf(stderr,
					"xb-bench: bad value '%s' for %s\n",
					argv[i + 1], argv[i]);
				return 2;
			}
			if (argv[i][2] == 'f')
				ctx.frames = v;
			else
				ctx.seed = v;
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (ctx.frames < 1024 || ctx.frames > (1ull << 31)) {
		fprintf(stderr, "xb-bench: --frames must be in 1024..2^31\n");
		return 2;
	}

	ctx.memset_ns_per_frame = measure_memset(ctx.frames);
	xb_bench_report(&ctx, "memset 16 B/frame (reference)", ctx.frames,
			ctx.memset_ns_per_frame, 0);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!only || !strcmp(only, groups[i].name))
			groups[i].run(&ctx);

	/* The reference again at the end, and the faster of the two for every
	 * ratio: a neighbour's memory traffic during the first measurement
	 * must not make every row look better than it is. */
	double again = measure_memset(ctx.frames);

	if (again < ctx.memset_ns_per_frame) {
		results[0].ns_per_op = again;
		for (unsigned i = 0; i < nr_results; i++)
			if (!strcmp(results[i].reference, MEMSET_REF))
				results[i].ratio = results[i].ns_per_op / again;
		ctx.memset_ns_per_frame = again;
	}

	if (json) {
		for (unsigned i = 0; i < nr_results; i++) {
			struct xb_bench_result *r = &results[i];
			char target[32] = "null";

			if (r->target > 0)
				snprintf(target, sizeof(target), "%.2f",
					 r->target);
			printf("{\"name\": \"%s\", \"frames\": %llu, "
			       "\"ns_per_op\": %.3f, \"ratio\": %.3f, "
			       "\"reference\": \"%s\", \"target\": %s}\n",
			       r->name, (unsigned long long)r->frames,
			       r->ns_per_op, r->ratio, r->reference, target);
		}
		return 0;
	}
	printf("%-52s %12s %10s %8s %8s  %s\n", "benchmark", "frames", "ns/op",
	       "ratio", "target", "");
	for (unsigned i = 0; i < nr_results; i++) {
		struct xb_bench_result *r = &results[i];
		char target[32] = "-";
		const char *verdict = "";

		if (r->target > 0) {
			snprintf(target, sizeof(target), "<= %.1f", r->target);
			verdict = r->ratio <= r->target ? "met" : "missed";
		}
		bool memset_ref = !strcmp(r->reference, MEMSET_REF);

		printf("%-52s %12llu %10.2f %8.2f %8s  %s%s%s%s\n", r->name,
		       (unsigned long long)r->frames, r->ns_per_op, r->ratio,
		       target, verdict, *verdict && !memset_ref ? " " : "",
		       memset_ref ? "" : "vs ", memset_ref ? "" : r->reference);
	}
	printf("ratio = ns/op divided by the memset reference "
	       "(%.3f ns per frame) of this run, unless the row's reference "
	       "says otherwise (--json)\n",
	       ctx.memset_ns_per_frame);
	return 0;
}
