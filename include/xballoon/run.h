/*
 * The scenario runner: replays a scenario (include/xballoon/scenario.h) on
 * the modeled guest, the driver with its policy, and a backend, in
 * simulated time, and produces the report and time series of the v1
 * contract (SCENARIO.md). Same scenario and seed, same bytes.
 */
#ifndef XBALLOON_RUN_H
#define XBALLOON_RUN_H

#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xballoon/compaction.h"
#include "xballoon/vmscan.h"
#include "xballoon/metrics.h"
#include "xballoon/scenario.h"

/* How often every structure is checked whole (docs/simulation.md):
 * FULL at every sample and at the end (the zero value: the library's
 * default, and the golden reports'); SAMPLED at the end and every N-th
 * sample, N from xb_scenario_check_every() (the command line's default);
 * END at the end only. The digest never depends on it. */
enum xb_check_level { XB_CHECK_FULL = 0, XB_CHECK_SAMPLED, XB_CHECK_END };

struct xb_run_options {
	const char *policy; /* NULL: the scenario's                       */
	/* Driver knobs over the scenario's: "KEY=VALUE[,KEY=VALUE...]",
	 * checked as the scenario's are; NULL: none. */
	const char *knobs;
	bool seed_set; /* seed overrides the scenario's               */
	uint64_t seed;
	const char *backend; /* NULL: "mock"                                */
	bool progress;	     /* a progress line on stderr (a terminal)      */
	uint64_t map_every;  /* ns between region maps; 0: no maps (maps
			      * are taken at samples and at the end, and
			      * never change the digest)                   */
	/* A real backend: the domain to act on (else a scratch domain),
	 * confirmed by its owner; whether a running domain is accepted. */
	bool domid_set;
	int domid;
	bool domid_confirmed;
	bool allow_running;
	/* Set asynchronously (a signal) to end the run early: xb_run()
	 * stops between two events, reports what it has as a partial run
	 * (res->partial, no trace written) and tears everything down. */
	const volatile sig_atomic_t *stop;
	/* Testing the cleanup paths: fail an assertion (abort) at the first
	 * workload tick after this many events; 0: never. */
	uint64_t fail_after_events;
	/* Stamp in-use frames around every hypercall and read them back
	 * (include/xballoon/verify.h); needs the backend's data plane. */
	bool verify_content;
	enum xb_check_level check;
	const char *trace; /* write a backend trace here (docs/trace.md);
			    * NULL: none. Tracing never changes the
			    * digest; a failed run leaves no file        */
};

/* A map of the guest at one time: enum xb_region_state per 2 MiB region. */
struct xb_run_map {
	double t_s;
	uint8_t *regions; /* nr_regions bytes                        */
};

/* One row of series.csv. */
struct xb_run_sample {
	double t_s;
	uint64_t populated, target;
	uint64_t balloon_huge, balloon_small, balloon_special;
	uint64_t free;
	double fu9, frag_index9;
	double p2m_superpage_coverage, contiguity_2m; /* -1: unknown */
	uint64_t host_free_2m;
	/* vNUMA guests: each vnode's share of populated frames on its
	 * pnode (-1: unknown); unset otherwise. */
	double locality[XB_MAX_NODES];
};

struct xb_run_result {
	char *scenario;
	char *policy;
	char *backend;
	uint64_t seed;
	char digest[65]; /* SHA-256 of the event trace, hex         */
	double sim_time_s;
	double wall_time_s;
	/* Interrupted (opt.stop): the report covers sim_time_s only. */
	bool partial;
	enum xb_check_level
	    check; /* as run (the report names it unless full) */
	bool target_reached;
	uint64_t target_pages; /* the last target asked for               */
	uint64_t current_pages;
	struct xb_guest_metrics guest;
	struct xb_host_info host;
	struct xb_backend_stats hypercalls;
	struct xb_driver_stats driver;
	struct xb_compact_stats compaction;
	struct xb_vmscan_stats vmscan;
	struct xb_zone_stats zone;
	uint64_t thp_fault_alloc;    /* THP faults served a huge page       */
	uint64_t thp_fault_fallback; /* ... that fell back to small pages   */
	uint64_t foreign_map_failed; /* foreign_map events refused           */
	uint64_t events_run;	  /* simulated events processed              */
	uint64_t checks;	  /* whole-structure checks run              */
	uint64_t violations;	  /* ... that failed                         */
	bool content_verified;	  /* verify_content was on             */
	uint64_t content_checked; /* frames read back around calls     */
	uint64_t content_mismatches; /* ... that lost their contents      */
	/* NUMA, only when the scenario has host.nodes or guest.vnuma (the
	 * report names host.nodes[] and guest.vnodes[] only then). */
	bool numa;
	unsigned nr_vnodes;
	struct xb_run_vnode {
		unsigned pnode;
		uint64_t pages;	   /* its gfns                             */
		int64_t populated; /* of them populated, -1: unknown       */
		int64_t local;	   /* ... on its pnode, -1: unknown        */
		double locality;   /* local / populated, -1: unknown       */
		/* The guest's side: its zone and its driver's queues. */
		struct xb_guest_metrics guest;
	} vnodes[XB_MAX_NODES];
	GArray *series;	     /* struct xb_run_sample                    */
	uint64_t nr_regions; /* 2 MiB regions of the guest              */
	GArray *maps;	     /* struct xb_run_map; NULL: maps off       */
};

/**
 * xb_run() - replay @sc with @opt into @res (cleared first).
 * Returns true on success; false with @error set when the run could not be
 * set up (unknown policy or backend, knobs, memory). A run whose checkers
 * found violations still returns true: res->violations says so.
 */
bool xb_run(const struct xb_scenario *sc, const struct xb_run_options *opt,
	    struct xb_run_result *res, GError **error);
void xb_run_result_clear(struct xb_run_result *res);

/* report.json, series.csv and the human summary (scenario/report.c). */
void xb_report_write_json(const struct xb_run_result *r, FILE *out);
void xb_report_write_csv(const struct xb_run_result *r, FILE *out);
void xb_report_print_summary(const struct xb_run_result *r, FILE *out);
/* map.txt: a comment line, then one line per map: "T LETTERS", T in
 * seconds, one letter per 2 MiB region (xb_region_chars). */
void xb_report_write_map(const struct xb_run_result *r, FILE *out);
/* Write DIR/report.json and DIR/series.csv (and DIR/map.txt when the run
 * took maps) atomically (temp + rename). */
bool xb_report_write_dir(const struct xb_run_result *r, const char *dir,
			 GError **error);

#endif
