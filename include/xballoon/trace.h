/*
 * Backend traces (docs/trace.md): a versioned, line-oriented text file of
 * every backend call a guest's driver made, with its inputs, result,
 * progress, tot_pages and the populated state of the frames it touched,
 * plus the mock host's activity outside the guest (neighbour domains,
 * injected faults); and the replayer, which opens an identical backend,
 * issues the same calls and stops at the first divergence.
 */
#ifndef XBALLOON_TRACE_H
#define XBALLOON_TRACE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "xballoon/backend.h"
#include "xballoon/mock.h"

#define XB_TRACE_VERSION 1

/* The backend configuration a replay opens, and where the trace came
 * from. The reader owns the strings of the header it returns. */
struct xb_trace_header {
	enum xb_guest_type type;
	uint64_t max_pages;
	uint64_t gfn_space;
	unsigned memop_max_order;
	uint64_t host_pages; /* mock: machine memory                    */
	uint64_t seed;	     /* mock: fault-injection generator seed    */
	const char *scenario;
	const char *policy;
	unsigned neighbours; /* neighbour domains the mock host ran     */
	unsigned nr_nodes;   /* mock: NUMA nodes (0: one, no "nodes")  */
	uint64_t node_pages[XB_MAX_NODES];
};

/* How the runner armed the mock's fault injection (xb_mock_fail_*()). */
enum xb_trace_fault {
	XB_TRACE_FAULT_CALL, /* xb_mock_fail_call(op, arg)                */
	XB_TRACE_FAULT_RATE, /* xb_mock_fail_probability(op, arg / 1e6)   */
	XB_TRACE_FAULT_AT,   /* xb_mock_fail_at(op, arg)                  */
	XB_TRACE_FAULT_OFF,  /* all three disarmed for op                 */
};

struct xb_trace_writer;

/**
 * xb_trace_writer_open() - start a trace of @be's calls into a temporary
 * file next to @path, written with @h as its header. Install it with
 * be->trace = xb_trace_writer_call, be->trace_priv = the writer (or call
 * xb_trace_writer_call() from an existing hook). Returns NULL and sets
 * @error (XB_ERROR_IO) when the file cannot be created.
 */
struct xb_trace_writer *xb_trace_writer_open(const char *path,
					     const struct xb_trace_header *h,
					     struct xb_backend *be,
					     GError **error);
/** xb_trace_writer_call() - record one call; a be->trace hook. */
void xb_trace_writer_call(void *writer, const struct xb_trace_rec *rec);
/** XEN_DOMCTL_setvnumainfo of the guest (xb_set_vnuma()) and its result:
 * a "vnuma" line, replayed on any backend. */
void xb_trace_writer_vnuma(struct xb_trace_writer *w, const struct xb_vnuma *v,
			   int rc);
/** xb_mock_set_node_affinity() and its result: an "affinity" line, a host
 * line (replayed on the mock only). */
void xb_trace_writer_affinity(struct xb_trace_writer *w, unsigned domid,
			      uint64_t mask, int rc);
/** Host activity of the mock outside the guest: xb_mock_add_domain(),
 * xb_mock_domain_populate(), xb_mock_domain_free() and their results. */
void xb_trace_writer_domain(struct xb_trace_writer *w, int rc,
			    enum xb_guest_type type, uint64_t max_pages,
			    uint64_t gfn_space);
void xb_trace_writer_host_populate(struct xb_trace_writer *w, unsigned domid,
				   uint64_t gfn, unsigned order, int rc);
void xb_trace_writer_host_free(struct xb_trace_writer *w, unsigned domid,
			       uint64_t gfn, unsigned order, long rc);
/** xb_trace_writer_fault() - the runner armed or disarmed a fault. */
void xb_trace_writer_fault(struct xb_trace_writer *w, enum xb_mock_op op,
			   enum xb_trace_fault kind, uint64_t arg);
/**
 * xb_trace_writer_commit() - write the end line, flush and rename the
 * temporary file to its path; frees @w. On failure the temporary file is
 * removed, nothing is left at the path's place and @error is set.
 */
bool xb_trace_writer_commit(struct xb_trace_writer *w, GError **error);
/** xb_trace_writer_abort() - remove the temporary file, free @w (NULL ok). */
void xb_trace_writer_abort(struct xb_trace_writer *w);

/* What to replay on. */
struct xb_replay_options {
	const char *backend; /* NULL: "mock"                              */
	int domid;	     /* xen: an existing domain; 0 or -1: a scratch one
			      * (dom0 is never replayed on)                   */
};

/* The outcome of a replay. */
struct xb_replay_result {
	struct xb_trace_header header; /* as read from the trace        */
	char *backend;		       /* the backend replayed on       */
	uint64_t calls;		       /* guest calls replayed          */
	uint64_t extents;	       /* extents (relocate: frames) done */
	uint64_t frames;	       /* 4 KiB frames they covered     */
	uint64_t host_ops;	       /* neighbour lines replayed      */
	uint64_t faults;	       /* fault lines applied           */
	uint64_t frames_checked;       /* populated states compared     */
	bool diverged;
	uint64_t line;	  /* of the divergence (0: none)               */
	uint64_t call;	  /* its call number, 1-based (0: not a call)  */
	char *divergence; /* "FILE:LINE: call N (...): ... expected, ... got" */
	GPtrArray *warnings; /* char *: what the backend could not replay */
};

/**
 * xb_replay() - replay the trace at @path on a fresh backend opened with
 * the header's configuration. Returns 0 when every call agreed, 1 at the
 * first divergence (@res says where and how), -1 with @error set when the
 * trace is bad (XB_ERROR_INVALID, message "FILE:LINE:COL: error: ..."),
 * unreadable (XB_ERROR_IO) or the backend cannot be opened.
 * Free @res with xb_replay_result_clear() in every case.
 */
int xb_replay(const char *path, const struct xb_replay_options *opt,
	      struct xb_replay_result *res, GError **error);
void xb_replay_result_clear(struct xb_replay_result *res);

#endif
