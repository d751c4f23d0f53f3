/*
 * Backend traces: the writer (a be->trace hook that records every call of
 * the guest's driver with its inputs and outcome, plus the mock host's
 * neighbour and fault activity), the reader and the replayer, which issues
 * the same calls on a fresh backend and stops at the first divergence.
 * The format is docs/trace.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "xballoon/file.h"
#include "xballoon/mem.h"
#include "xballoon/trace.h"
#include "xballoon/units.h"

/* stdio buffer of the writer and the reader: traces are big. */
#define TRACE_BUF (1u << 20)

/* Largest extent order a trace line may carry: the backends answer orders
 * above the memop max with 0, so such calls are legal, but the frames a
 * call covers, nr << order, must stay countable. */
#define TRACE_MAX_ORDER	 31
#define TRACE_MAX_FRAMES (1ull << 40)

/* Errnos are small: Linux's MAX_ERRNO. */
#define TRACE_MAX_ERRNO 4095

/* A pv frame without a counterpart in the replay: an mfn no domain owns,
 * so the backend refuses it as it refused the recorded one. */
#define NO_FRAME UINT64_MAX

/* ---- what both sides share ----------------------------------------------- */

/*
 * One guest call in the recording's numbering. For pv guests, mfns are
 * the machine frames the call wrote back: populate's done extents, the
 * output extents of exchange's done chunks.
 *   pv:   nr_mfns = populate: max(result, 0)
 *                   exchange: progress << order >> out_order
 *   else: nr_mfns = 0
 */
struct call {
	enum xb_trace_op op;
	unsigned order, out_order; /* exchange: order is the input order */
	unsigned out_bits;	   /* exchange: out's address bits, or 0 */
	unsigned flags; /* populate, exchange out: XENMEMF node bits, or 0 */
	uint64_t nr, nr_out;
	xb_xen_pfn_t src, dst; /* relocate; add_to_physmap idx, gpfn  */
	unsigned space;	       /* add_to_physmap(_batch)              */
	long result;
	uint64_t progress;
	uint64_t tot_pages;
	const xb_xen_pfn_t *in;	    /* nr extents as given (batch: idxs) */
	const xb_xen_pfn_t *out_in; /* exchange: nr_out out extents;
				     * batch: nr gpfns                   */
	const xb_xen_pfn_t *mfns;   /* pv: nr_mfns written back       */
	uint64_t nr_mfns;
	const int *errs; /* batch: the first `progress` entries' results */
};

static const char *const op_keyword[] = {
    [XB_TRACE_POPULATE] = "populate",
    [XB_TRACE_DECREASE] = "decrease",
    [XB_TRACE_EXCHANGE] = "exchange",
    [XB_TRACE_RELOCATE] = "relocate",
    [XB_TRACE_ADD_TO_PHYSMAP] = "add_to_physmap",
    [XB_TRACE_ADD_TO_PHYSMAP_BATCH] = "add_to_physmap_batch",
};

/* The names the reports use (XB_HYPERCALLS). */
static const char *const op_report_name[] = {
    [XB_TRACE_POPULATE] = "populate_physmap",
    [XB_TRACE_DECREASE] = "decrease_reservation",
    [XB_TRACE_EXCHANGE] = "exchange",
    [XB_TRACE_RELOCATE] = "relocate",
    [XB_TRACE_ADD_TO_PHYSMAP] = "add_to_physmap",
    [XB_TRACE_ADD_TO_PHYSMAP_BATCH] = "add_to_physmap_batch",
};

static const char *const mock_op_keyword[] = {
    [XB_MOCK_OP_POPULATE] = "populate",
    [XB_MOCK_OP_DECREASE] = "decrease",
    [XB_MOCK_OP_EXCHANGE] = "exchange",
    [XB_MOCK_OP_RELOCATE] = "relocate",
    [XB_MOCK_OP_ADD_TO_PHYSMAP] = "add_to_physmap",
};

/* XENMAPSPACE names of the spaces a guest moves its memory with; any
 * other space is written as its number. */
static const char *space_name(unsigned space)
{
	return space == XB_MAPSPACE_GMFN	 ? "gmfn"
	       : space == XB_MAPSPACE_GMFN_RANGE ? "gmfn_range"
						 : NULL;
}

/* Batch entries that moved their frame. */
static uint64_t batch_moved(const struct call *c)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < c->progress; i++)
		n += c->errs[i] == 0;
	return n;
}

static const char *const fault_kind_keyword[] = {
    [XB_TRACE_FAULT_CALL] = "call",
    [XB_TRACE_FAULT_RATE] = "rate_ppm",
    [XB_TRACE_FAULT_AT] = "at",
    [XB_TRACE_FAULT_OFF] = "off",
};

/* Output extents of the chunks an exchange completed: progress counts
 * input extents, and a chunk holds whole extents on both sides. */
static uint64_t exchange_out_done(const struct call *c)
{
	return (c->progress << c->order) >> c->out_order;
}

typedef bool (*frame_fn)(void *arg, uint64_t frame);

/* An extent without a counterpart (NO_FRAME) has none for its frames. */
static bool each_extent_frame(const xb_xen_pfn_t *e, uint64_t n, unsigned order,
			      frame_fn fn, void *arg)
{
	for (uint64_t i = 0; i < n; i++)
		for (uint64_t j = 0; j < (1ull << order); j++)
			if (!fn(arg, e[i] == NO_FRAME ? NO_FRAME : e[i] + j))
				return false;
	return true;
}

/*
 * The frames a call touched, in the order the trace lists their states,
 * in the recording's numbering: what xb_query() answers for, gfns for
 * hvm and pvh, mfns for pv. Populate: every frame asked (pv: the frames
 * written back); decrease: every frame given; exchange: the inputs, then
 * the outputs (pv: those written back); relocate and add_to_physmap: the
 * sources then the destinations; add_to_physmap_batch: the idxs then the
 * gpfns (none for pv, which Xen refuses the moves and whose gfns it does
 * not know).
 */
static bool each_touched(enum xb_guest_type type, const struct call *c,
			 frame_fn fn, void *arg)
{
	bool pv = type == XB_GUEST_PV;

	switch (c->op) {
	case XB_TRACE_POPULATE:
		return pv ? each_extent_frame(c->mfns, c->nr_mfns, c->order, fn,
					      arg)
			  : each_extent_frame(c->in, c->nr, c->order, fn, arg);
	case XB_TRACE_DECREASE:
		return each_extent_frame(c->in, c->nr, c->order, fn, arg);
	case XB_TRACE_EXCHANGE:
		if (!each_extent_frame(c->in, c->nr, c->order, fn, arg))
			return false;
		return pv ? each_extent_frame(c->mfns, c->nr_mfns, c->out_order,
					      fn, arg)
			  : each_extent_frame(c->out_in, c->nr_out,
					      c->out_order, fn, arg);
	case XB_TRACE_RELOCATE:
	case XB_TRACE_ADD_TO_PHYSMAP:
		if (pv)
			return true;
		for (uint64_t k = 0; k < c->nr; k++)
			if (!fn(arg, c->src + k))
				return false;
		for (uint64_t k = 0; k < c->nr; k++)
			if (!fn(arg, c->dst + k))
				return false;
		return true;
	case XB_TRACE_ADD_TO_PHYSMAP_BATCH:
		if (pv)
			return true;
		return each_extent_frame(c->in, c->nr, 0, fn, arg) &&
		       each_extent_frame(c->out_in, c->nr, 0, fn, arg);
	}
	return true;
}

/* How many frames each_touched() visits (the reader checks the states
 * token against it before anything runs). */
static uint64_t nr_touched(enum xb_guest_type type, const struct call *c)
{
	bool pv = type == XB_GUEST_PV;

	switch (c->op) {
	case XB_TRACE_POPULATE:
		return (pv ? c->nr_mfns : c->nr) << c->order;
	case XB_TRACE_DECREASE:
		return c->nr << c->order;
	case XB_TRACE_EXCHANGE:
		return (c->nr << c->order) +
		       ((pv ? c->nr_mfns : c->nr_out) << c->out_order);
	case XB_TRACE_RELOCATE:
	case XB_TRACE_ADD_TO_PHYSMAP:
	case XB_TRACE_ADD_TO_PHYSMAP_BATCH:
		return pv ? 0 : 2 * c->nr;
	}
	return 0;
}

/* Extents done and the 4 KiB frames they cover, as the stats count. */
static void call_done(const struct call *c, uint64_t *extents, uint64_t *frames)
{
	uint64_t done = 0;
	unsigned order = c->order;

	switch (c->op) {
	case XB_TRACE_POPULATE:
	case XB_TRACE_DECREASE:
		done = c->result > 0 ? (uint64_t)c->result : 0;
		break;
	case XB_TRACE_EXCHANGE:
		done = c->progress;
		break;
	case XB_TRACE_RELOCATE:
	case XB_TRACE_ADD_TO_PHYSMAP:
		done = c->progress;
		order = 0;
		break;
	case XB_TRACE_ADD_TO_PHYSMAP_BATCH:
		done = batch_moved(c);
		order = 0;
		break;
	}
	*extents += done;
	*frames += done << order;
}

/* ---- the writer ------------------------------------------------------------
 */

/*
 * A trace being written: into tmp, renamed to path by commit.
 *   run_len > 0 => the states token being written ends in run_len frames
 *                  of state run_populated, not yet printed
 */
struct xb_trace_writer {
	FILE *f;
	char *path;
	char *tmp;
	char *buf; /* stdio buffer                                */
	struct xb_backend *be;
	enum xb_guest_type type;
	uint64_t calls;
	int error;     /* first errno a query hook returned, or 0     */
	bool no_query; /* the backend cannot answer: states are "?"  */
	bool run_populated;
	uint64_t run_len;
	bool run_any; /* a run of this token was printed            */
};

/* A name as one header token: no blanks or control bytes, "-" if none
 * (scenario and policy names never have them; test programs might). */
static char *one_token(const char *name)
{
	char *t = g_strdup(name && *name ? name : "-");

	for (char *c = t; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			*c = '_';
	return t;
}

struct xb_trace_writer *xb_trace_writer_open(const char *path,
					     const struct xb_trace_header *h,
					     struct xb_backend *be,
					     GError **error)
{
	char *dir = g_path_get_dirname(path);
	char *base = g_path_get_basename(path);
	struct xb_trace_writer *w = g_new0(struct xb_trace_writer, 1);
	int fd;

	w->path = g_strdup(path);
	w->tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
	g_free(dir);
	g_free(base);
	fd = g_mkstemp(w->tmp);
	if (fd < 0) {
		g_set_error(error, XB_ERROR, XB_ERROR_IO,
			    "cannot create the trace %s: %s", path,
			    g_strerror(errno));
		g_free(w->tmp);
		w->tmp = NULL;
		xb_trace_writer_abort(w);
		return NULL;
	}
	/* mkstemp makes it private; a trace is an ordinary output file. */
	mode_t mask = umask(0);

	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0 || !(w->f = fdopen(fd, "w"))) {
		g_set_error(error, XB_ERROR, XB_ERROR_IO,
			    "cannot create the trace %s: %s", path,
			    g_strerror(errno));
		close(fd);
		xb_trace_writer_abort(w);
		return NULL;
	}
	w->buf = g_malloc(TRACE_BUF);
	setvbuf(w->f, w->buf, _IOFBF, TRACE_BUF);
	w->be = be;
	be->trace_inputs = true; /* pv populate overwrites them */
	w->type = h->type;
	w->no_query = !be->ops->query;
	char *scenario = one_token(h->scenario), *policy = one_token(h->policy);

	fprintf(w->f,
		"xballoon-trace %u\n"
		"# backend calls of one run; format: docs/trace.md\n"
		"scenario %s\n"
		"policy %s\n"
		"guest %s\n"
		"max_pages %" PRIu64 "\n"
		"gfn_space %" PRIu64 "\n"
		"memop_max_order %u\n"
		"host_pages %" PRIu64 "\n"
		"seed %" PRIu64 "\n"
		"neighbours %u\n",
		XB_TRACE_VERSION,
		h->scenario && *h->scenario ? h->scenario : "-",
		h->policy && *h->policy ? h->policy : "-",
		xb_guest_type_name(h->type), h->max_pages, h->gfn_space,
		h->memop_max_order, h->host_pages, h->seed, h->neighbours);
	/* Optional: a NUMA host's node sizes (traces before it have none). */
	for (unsigned n = 0; n < h->nr_nodes; n++)
		fprintf(w->f, "%s%" PRIu64, n ? "," : "nodes ",
			h->node_pages[n]);
	fprintf(w->f, "%scalls\n", h->nr_nodes ? "\n" : "");
	g_free(scenario);
	g_free(policy);
	return w;
}

/*
 * A list of extents: runs of extents that follow each other at the
 * extent size, up (BASE+N) or down (BASE-N), else single extents (BASE);
 * frames in hex, counts in decimal, "-" for none.
 */
static void write_list(FILE *f, const xb_xen_pfn_t *e, uint64_t n,
		       unsigned order)
{
	uint64_t stride = 1ull << order;

	fputc(' ', f);
	if (!n) {
		fputc('-', f);
		return;
	}
	for (uint64_t i = 0; i < n;) {
		uint64_t k = 1;
		char dir = 0;

		if (i + 1 < n && e[i] <= UINT64_MAX - stride &&
		    e[i + 1] == e[i] + stride)
			dir = '+';
		else if (i + 1 < n && e[i] >= stride &&
			 e[i + 1] == e[i] - stride)
			dir = '-';
		while (dir == '+' && i + k < n &&
		       e[i + k - 1] <= UINT64_MAX - stride &&
		       e[i + k] == e[i + k - 1] + stride)
			k++;
		while (dir == '-' && i + k < n && e[i + k - 1] >= stride &&
		       e[i + k] == e[i + k - 1] - stride)
			k++;
		if (i)
			fputc(',', f);
		if (k == 1)
			fprintf(f, "%" PRIx64, e[i]);
		else
			fprintf(f, "%" PRIx64 "%c%" PRIu64, e[i], dir, k);
		i += k;
	}
}

static void write_space(FILE *f, unsigned space)
{
	const char *name = space_name(space);

	if (name)
		fprintf(f, " %s", name);
	else
		fprintf(f, " %u", space);
}

/* Per-entry results: runs of one value (E*N, N >= 2) or single values
 * (E), comma-separated; "-" for none. */
static void write_errs(FILE *f, const int *errs, uint64_t n)
{
	fputc(' ', f);
	if (!n) {
		fputc('-', f);
		return;
	}
	for (uint64_t i = 0; i < n;) {
		uint64_t k = 1;

		while (i + k < n && errs[i + k] == errs[i])
			k++;
		if (i)
			fputc(',', f);
		if (k == 1)
			fprintf(f, "%d", errs[i]);
		else
			fprintf(f, "%d*%" PRIu64, errs[i], k);
		i += k;
	}
}

static void flush_run(struct xb_trace_writer *w)
{
	if (!w->run_len)
		return;
	fprintf(w->f, "%c%c%" PRIu64, w->run_any ? ',' : ' ',
		w->run_populated ? 'p' : 'u', w->run_len);
	w->run_any = true;
	w->run_len = 0;
}

/* A frame the backend refuses to answer for (beyond the gfn space) is
 * not populated: that is what the guest would find there. */
static bool put_state(void *arg, uint64_t frame)
{
	struct xb_trace_writer *w = arg;
	bool populated = false;

	if (xb_query(w->be, frame, &populated) < 0)
		populated = false;
	if (w->run_len && populated != w->run_populated)
		flush_run(w);
	w->run_populated = populated;
	w->run_len++;
	return true;
}

/* States: runs of populated (pN) and unpopulated (uN) frames, in the
 * order each_touched() visits them; "-" for none, "?" when unknown. */
static void write_states(struct xb_trace_writer *w, const struct call *c)
{
	if (w->no_query) {
		fputs(" ?", w->f);
		return;
	}
	w->run_len = 0;
	w->run_any = false;
	each_touched(w->type, c, put_state, w);
	flush_run(w);
	if (!w->run_any)
		fputs(" -", w->f);
}

void xb_trace_writer_call(void *writer, const struct xb_trace_rec *rec)
{
	struct xb_trace_writer *w = writer;
	bool pv = w->type == XB_GUEST_PV;
	uint64_t max = 0;
	struct call c = {
	    .op = rec->op,
	    .order = rec->order,
	    .out_order = rec->out_order,
	    .out_bits = rec->out_address_bits,
	    .flags = rec->mem_flags,
	    .nr = rec->nr,
	    .nr_out = rec->nr_out,
	    .src = rec->src,
	    .dst = rec->dst,
	    .space = rec->space,
	    .result = rec->result,
	    .progress = rec->progress,
	    .in = rec->in ? rec->in : rec->extents,
	    .out_in = rec->out_in ? rec->out_in : rec->out,
	    .errs = rec->errs,
	};
	int rc = xb_reservation(w->be, &c.tot_pages, &max);

	if (rc < 0 && !w->error)
		w->error = -rc;
	if (pv && c.op == XB_TRACE_POPULATE) {
		c.mfns = rec->extents;
		c.nr_mfns = c.result > 0 ? (uint64_t)c.result : 0;
	} else if (pv && c.op == XB_TRACE_EXCHANGE) {
		c.mfns = rec->out;
		c.nr_mfns = exchange_out_done(&c);
	}
	w->calls++;
	fputs(op_keyword[c.op], w->f);
	switch (c.op) {
	case XB_TRACE_POPULATE:
	case XB_TRACE_DECREASE:
		fprintf(w->f, " %u", c.order);
		if (c.flags)
			fprintf(w->f, ":%x", c.flags);
		fprintf(w->f, " %" PRIu64, c.nr);
		write_list(w->f, c.in, c.nr, c.order);
		fprintf(w->f, " = %ld %" PRIu64, c.result, c.tot_pages);
		if (c.op == XB_TRACE_POPULATE)
			write_list(w->f, c.mfns, c.nr_mfns, c.order);
		break;
	case XB_TRACE_EXCHANGE:
		fprintf(w->f, " %u %" PRIu64, c.order, c.nr);
		write_list(w->f, c.in, c.nr, c.order);
		fprintf(w->f, " %u", c.out_order);
		if (c.out_bits)
			fprintf(w->f, "/%u", c.out_bits);
		if (c.flags)
			fprintf(w->f, ":%x", c.flags);
		fprintf(w->f, " %" PRIu64, c.nr_out);
		write_list(w->f, c.out_in, c.nr_out, c.out_order);
		fprintf(w->f, " = %ld %" PRIu64 " %" PRIu64, c.result,
			c.progress, c.tot_pages);
		write_list(w->f, c.mfns, c.nr_mfns, c.out_order);
		break;
	case XB_TRACE_RELOCATE:
		fprintf(w->f,
			" %" PRIx64 " %" PRIx64 " %" PRIu64 " = %ld %" PRIu64
			" %" PRIu64,
			c.src, c.dst, c.nr, c.result, c.progress, c.tot_pages);
		break;
	case XB_TRACE_ADD_TO_PHYSMAP:
		write_space(w->f, c.space);
		fprintf(w->f,
			" %" PRIx64 " %" PRIx64 " %" PRIu64 " = %ld %" PRIu64
			" %" PRIu64,
			c.src, c.dst, c.nr, c.result, c.progress, c.tot_pages);
		break;
	case XB_TRACE_ADD_TO_PHYSMAP_BATCH:
		write_space(w->f, c.space);
		fprintf(w->f, " %" PRIu64, c.nr);
		write_list(w->f, c.in, c.nr, 0);
		write_list(w->f, c.out_in, c.nr, 0);
		fprintf(w->f, " = %ld %" PRIu64, c.result, c.progress);
		write_errs(w->f, c.errs, c.progress);
		fprintf(w->f, " %" PRIu64, c.tot_pages);
		break;
	}
	write_states(w, &c);
	fputc('\n', w->f);
}

void xb_trace_writer_domain(struct xb_trace_writer *w, int rc,
			    enum xb_guest_type type, uint64_t max_pages,
			    uint64_t gfn_space)
{
	fprintf(w->f, "domain %d %s %" PRIu64 " %" PRIu64 "\n", rc,
		xb_guest_type_name(type), max_pages, gfn_space);
}

void xb_trace_writer_vnuma(struct xb_trace_writer *w, const struct xb_vnuma *v,
			   int rc)
{
	fprintf(w->f, "vnuma %u", v->nr_vnodes);
	for (unsigned i = 0; i < v->nr_vnodes; i++)
		fprintf(w->f, "%c%u/%" PRIu64, i ? ',' : ' ',
			v->vnode_to_pnode[i], v->vnode_pages[i]);
	fprintf(w->f, " = %d\n", rc);
}

void xb_trace_writer_affinity(struct xb_trace_writer *w, unsigned domid,
			      uint64_t mask, int rc)
{
	fprintf(w->f, "affinity %u %" PRIx64 " = %d\n", domid, mask, rc);
}

void xb_trace_writer_host_populate(struct xb_trace_writer *w, unsigned domid,
				   uint64_t gfn, unsigned order, int rc)
{
	fprintf(w->f, "hpopulate %u %" PRIx64 " %u = %d\n", domid, gfn, order,
		rc);
}

void xb_trace_writer_host_free(struct xb_trace_writer *w, unsigned domid,
			       uint64_t gfn, unsigned order, long rc)
{
	fprintf(w->f, "hfree %u %" PRIx64 " %u = %ld\n", domid, gfn, order, rc);
}

void xb_trace_writer_fault(struct xb_trace_writer *w, enum xb_mock_op op,
			   enum xb_trace_fault kind, uint64_t arg)
{
	if (kind == XB_TRACE_FAULT_OFF)
		fprintf(w->f, "fault %s off\n", mock_op_keyword[op]);
	else
		fprintf(w->f, "fault %s %s %" PRIu64 "\n", mock_op_keyword[op],
			fault_kind_keyword[kind], arg);
}

static void writer_free(struct xb_trace_writer *w)
{
	g_free(w->path);
	g_free(w->tmp);
	g_free(w->buf);
	g_free(w);
}

bool xb_trace_writer_commit(struct xb_trace_writer *w, GError **error)
{
	int err = 0;

	fprintf(w->f, "end %" PRIu64 "\n", w->calls);
	if (fflush(w->f) != 0 || ferror(w->f))
		err = errno ? errno : EIO;
	else if (fsync(fileno(w->f)) < 0)
		err = errno;
	if (fclose(w->f) != 0 && !err)
		err = errno;
	w->f = NULL;
	if (!err && w->error) {
		g_set_error(error, XB_ERROR, XB_ERROR_BACKEND,
			    "cannot write the trace %s: the backend did not "
			    "report tot_pages (%s)",
			    w->path, g_strerror(w->error));
		xb_trace_writer_abort(w);
		return false;
	}
	if (!err && rename(w->tmp, w->path) < 0)
		err = errno;
	if (err) {
		g_set_error(error, XB_ERROR, XB_ERROR_IO,
			    "cannot write the trace %s: %s", w->path,
			    g_strerror(err));
		xb_trace_writer_abort(w);
		return false;
	}
	writer_free(w);
	return true;
}

void xb_trace_writer_abort(struct xb_trace_writer *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	if (w->tmp)
		g_unlink(w->tmp);
	writer_free(w);
}

/* ---- the reader ------------------------------------------------------------
 */

static const char *const header_keys[] = {
    "scenario",	       "policy",     "guest", "max_pages",  "gfn_space",
    "memop_max_order", "host_pages", "seed",  "neighbours", "nodes",
};
#define NR_HEADER_KEYS G_N_ELEMENTS(header_keys)
/* The keys every header has: all but the last, "nodes" (NUMA hosts). */
#define NR_REQUIRED_KEYS (NR_HEADER_KEYS - 1)

/*
 * A replay in progress: the trace being read, the backend replayed on,
 * and what the recording said the guest has.
 *   m2m[rec] = 0: no counterpart; else the replay's mfn + 1 (pv; indexed
 *              by the recording's mfn < host_pages)
 *   bit g of expect = the recording's populated state of gfn g, as the
 *              touched-frame states left it (hvm, pvh)
 */
struct replay {
	const char *path;
	FILE *f;
	char *buf;
	char *line; /* the current line, newline cut off         */
	size_t cap;
	size_t len; /* its length: the end of the file is after it */
	uint64_t lineno;
	const char *p; /* parse cursor in line                       */
	GError **error;
	struct xb_replay_result *res;
	struct xb_trace_header h;
	struct xb_backend *be;
	struct xb_mock *mock; /* NULL: not the mock (no host lines)    */
	bool pv;
	bool can_query;	    /* the backend answers xb_query()            */
	bool states_known;  /* no "?" states met: expect is complete     */
	bool warned_host;   /* host lines skipped: warned once           */
	bool warned_faults; /* fault lines skipped: warned once          */
	uint64_t *m2m;
	uint64_t *expect;
	size_t m2m_bytes, expect_bytes;
	GArray *a_in, *a_out, *a_mfns; /* parsed lists (xb_xen_pfn_t)    */
	GArray *a_errs;		       /* parsed batch results (int)      */
	GArray *r_in, *r_out;	       /* the replay's copies             */
	GArray *r_errs;		       /* the replay's batch results      */
	GArray *r_touched;  /* pv: the replay's touched frames      */
	const char *states; /* the states token of the line    */
};

static bool fail_col(struct replay *rp, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One error line, FILE:LINE:COL: error: MESSAGE, as scenario files get. */
static bool fail_vcol(struct replay *rp, size_t col, const char *fmt,
		      va_list ap)
{
	char *msg = g_strdup_vprintf(fmt, ap);

	g_set_error(rp->error, XB_ERROR, XB_ERROR_INVALID,
		    "%s:%" PRIu64 ":%zu: error: %s", rp->path,
		    MAX(rp->lineno, 1), col, msg);
	g_free(msg);
	return false;
}

static bool fail_col(struct replay *rp, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_vcol(rp, col, fmt, ap);
	va_end(ap);
	return false;
}

static bool fail(struct replay *rp, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error at @at, a position in the current line. */
static bool fail(struct replay *rp, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_vcol(rp, (size_t)(at - rp->line) + 1, fmt, ap);
	va_end(ap);
	return false;
}

/* Tokens in messages are clipped: a garbage line can be long. */
#define CLIP(n) ((int)MIN((n), (size_t)40))

/* The next space-separated token, or an error naming what was expected. */
static bool token(struct replay *rp, const char *what, const char **t,
		  size_t *n)
{
	while (*rp->p == ' ')
		rp->p++;
	if (!*rp->p) {
		/* fail() is variadic, never inlined: return false here so
		 * the compiler sees *t and *n set whenever this is true. */
		fail(rp, rp->p, "expected %s, got the end of the line", what);
		return false;
	}
	*t = rp->p;
	while (*rp->p && *rp->p != ' ')
		rp->p++;
	*n = (size_t)(rp->p - *t);
	return true;
}

static bool line_end(struct replay *rp)
{
	while (*rp->p == ' ')
		rp->p++;
	if (*rp->p) {
		size_t n = strcspn(rp->p, " ");

		return fail(rp, rp->p,
			    "unexpected '%.*s' at the end of the line", CLIP(n),
			    rp->p);
	}
	return true;
}

static bool literal(struct replay *rp, const char *lit)
{
	const char *t;
	size_t n;

	if (!token(rp, lit, &t, &n))
		return false;
	if (n != strlen(lit) || memcmp(t, lit, n))
		return fail(rp, t, "expected '%s', got '%.*s'", lit, CLIP(n),
			    t);
	return true;
}

/* Digits of base 10 or 16 (lower case, as written): 0 ok, -1 not a
 * number, -2 too big for 64 bits. */
static int parse_u64(const char *s, size_t n, unsigned base, uint64_t *v)
{
	uint64_t x = 0;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned)(s[i] - 'a' + 10);
		else
			return -1;
		if (x > (UINT64_MAX - d) / base)
			return -2;
		x = x * base + d;
	}
	*v = x;
	return 0;
}

static bool number_at(struct replay *rp, const char *what, const char *t,
		      size_t n, unsigned base, uint64_t max, uint64_t *v)
{
	int rc = parse_u64(t, n, base, v);

	if (rc == -1)
		return fail(rp, t, "%s: expected a %s number, got '%.*s'", what,
			    base == 16 ? "hexadecimal" : "decimal", CLIP(n), t);
	if (rc == -2)
		return fail(rp, t, "%s: '%.*s' does not fit in 64 bits", what,
			    CLIP(n), t);
	if (*v > max)
		return fail(rp, t, "%s: %.*s is above the limit %" PRIu64, what,
			    CLIP(n), t, max);
	return true;
}

static bool dec(struct replay *rp, const char *what, uint64_t max, uint64_t *v)
{
	const char *t;
	size_t n;

	return token(rp, what, &t, &n) && number_at(rp, what, t, n, 10, max, v);
}

static bool hex(struct replay *rp, const char *what, uint64_t *v)
{
	const char *t;
	size_t n;

	return token(rp, what, &t, &n) &&
	       number_at(rp, what, t, n, 16, UINT64_MAX, v);
}

/* ":FLAGS" at the end of a token (t, *n): the XENMEMF node bits in hex,
 * cut off *n; none: 0 (traces before NUMA have none). Any 32-bit value
 * reads: a call the wrappers refused replays as refused. */
static bool mem_flags(struct replay *rp, const char *t, size_t *n,
		      unsigned *flags)
{
	const char *colon = memchr(t, ':', *n);
	uint64_t v = 0;

	if (colon &&
	    !number_at(rp, "memory flags", colon + 1,
		       *n - (size_t)(colon - t) - 1, 16, UINT32_MAX, &v))
		return false;
	if (colon)
		*n = (size_t)(colon - t);
	*flags = (unsigned)v;
	return true;
}

/* populate's and decrease's ORDER, or ORDER:FLAGS (docs/trace.md). */
static bool order_flags(struct replay *rp, struct call *c)
{
	const char *t;
	size_t n;
	uint64_t v;

	if (!token(rp, "order", &t, &n) || !mem_flags(rp, t, &n, &c->flags) ||
	    !number_at(rp, "order", t, n, 10, TRACE_MAX_ORDER, &v))
		return false;
	c->order = (unsigned)v;
	return true;
}

/* An exchange's OUT_ORDER, or OUT_ORDER/BITS when out carries address
 * bits (XENMEMF_address_bits; docs/trace.md), then :FLAGS when it carries
 * node bits. Any 32-bit value reads: a call the wrappers refused (above
 * 255) replays as refused. */
static bool out_order(struct replay *rp, struct call *c)
{
	const char *t, *slash;
	size_t n, k;
	uint64_t v, bits = 0;

	if (!token(rp, "out order", &t, &n) || !mem_flags(rp, t, &n, &c->flags))
		return false;
	slash = memchr(t, '/', n);
	k = slash ? (size_t)(slash - t) : n;
	if (!number_at(rp, "out order", t, k, 10, TRACE_MAX_ORDER, &v) ||
	    (slash && !number_at(rp, "address bits", slash + 1, n - k - 1, 10,
				 UINT32_MAX, &bits)))
		return false;
	c->out_order = (unsigned)v;
	c->out_bits = (unsigned)bits;
	return true;
}

/* A result: a count or a negative errno, within [min, max]. */
static bool result(struct replay *rp, const char *what, long min, long max,
		   long *v)
{
	const char *t;
	size_t n;
	uint64_t mag;
	bool neg;

	if (!token(rp, what, &t, &n))
		return false;
	neg = *t == '-';
	if (parse_u64(t + neg, n - neg, 10, &mag) < 0 ||
	    mag > (uint64_t)LONG_MAX)
		return fail(rp, t,
			    "%s: expected a count or a negative errno, "
			    "got '%.*s'",
			    what, CLIP(n), t);
	*v = neg ? -(long)mag : (long)mag;
	if (*v < min || *v > max)
		return fail(rp, t, "%s: %ld is out of range [%ld, %ld]", what,
			    *v, min, max);
	return true;
}

/*
 * A list of exactly @nr extents of order @order (write_list()'s format)
 * into @a. @limit bounds every frame of every extent (exclusive), for the
 * mfns a pv table is indexed by; UINT64_MAX: no bound.
 */
static bool list(struct replay *rp, const char *what, uint64_t nr,
		 unsigned order, uint64_t limit, GArray *a)
{
	uint64_t stride = 1ull << order;
	const char *t, *end;
	size_t n;

	g_array_set_size(a, 0);
	if (!token(rp, what, &t, &n))
		return false;
	end = t + n;
	if (n == 1 && *t == '-')
		goto count;
	for (const char *s = t; s < end;) {
		const char *item = s, *sep;
		size_t hn = 0;
		uint64_t base, k = 1;

		while (s + hn < end && s[hn] != ',' && s[hn] != '+' &&
		       s[hn] != '-')
			hn++;
		if (!number_at(rp, what, s, hn, 16, UINT64_MAX, &base))
			return false;
		sep = s + hn;
		s = sep;
		if (s < end && (*s == '+' || *s == '-')) {
			size_t kn = 0;

			s++;
			while (s + kn < end && s[kn] != ',')
				kn++;
			if (!number_at(rp, what, s, kn, 10, UINT64_MAX, &k))
				return false;
			if (k < 2)
				return fail(rp, s,
					    "%s: a run has at least 2 extents, "
					    "got %" PRIu64,
					    what, k);
			s += kn;
		}
		if (k > nr - a->len)
			return fail(rp, item,
				    "%s: more than the %" PRIu64
				    " extents the call has",
				    what, nr);
		if ((*sep == '+' && base + (k - 1) * stride < base) ||
		    (sep < end && *sep == '-' && base < (k - 1) * stride))
			return fail(rp, item,
				    "%s: the run leaves the 64-bit frame space",
				    what);
		for (uint64_t i = 0; i < k; i++) {
			uint64_t e = sep < end && *sep == '-'
					 ? base - i * stride
					 : base + i * stride;

			if (limit != UINT64_MAX &&
			    (e >= limit || stride > limit - e))
				return fail(rp, item,
					    "%s: frame 0x%" PRIx64
					    " is beyond host_pages",
					    what, e);
			g_array_append_val(a, e);
		}
		if (s < end) {
			if (*s != ',' || s + 1 == end)
				return fail(rp, s,
					    "%s: expected ',' and an "
					    "extent",
					    what);
			s++;
		}
	}
count:
	if (a->len != nr)
		return fail(rp, t,
			    "%s: %u extents listed, the call has %" PRIu64,
			    what, a->len, nr);
	return true;
}

/* The states token: "-", "?" or runs pN/uN summing to @nr frames. */
static bool states(struct replay *rp, uint64_t nr)
{
	const char *t, *end;
	size_t n;
	uint64_t sum = 0;

	if (!token(rp, "the populated states", &t, &n))
		return false;
	rp->states = t;
	end = t + n;
	if (n == 1 && *t == '?') {
		rp->states_known = false;
		return true;
	}
	if (!(n == 1 && *t == '-')) {
		for (const char *s = t; s < end;) {
			size_t kn = 0;
			uint64_t k;

			if (*s != 'p' && *s != 'u')
				return fail(rp, s,
					    "states: expected 'p' or "
					    "'u' and a count");
			while (s + 1 + kn < end && s[1 + kn] != ',')
				kn++;
			if (!number_at(rp, "states", s + 1, kn, 10,
				       TRACE_MAX_FRAMES, &k))
				return false;
			if (!k)
				return fail(rp, s, "states: a run of 0 frames");
			sum += k;
			s += 1 + kn;
			if (s < end) {
				if (s + 1 == end)
					return fail(rp, s,
						    "states: expected "
						    "a run after ','");
				s++;
			}
		}
	}
	if (sum != nr)
		return fail(rp, t,
			    "states: %" PRIu64
			    " frames, the call touched %" PRIu64,
			    sum, nr);
	return true;
}

/* nr extents of 2^order frames must stay countable. */
static bool extent_count(struct replay *rp, const char *at, uint64_t nr,
			 unsigned order)
{
	if (nr > (TRACE_MAX_FRAMES >> order))
		return fail(rp, at, "the call covers more than 2^40 frames");
	return true;
}

/* A mapping space: its name (gmfn, gmfn_range) or its number. */
static bool space(struct replay *rp, unsigned *v)
{
	const char *t;
	size_t n;
	uint64_t x;

	if (!token(rp, "a space", &t, &n))
		return false;
	if (n == 4 && !memcmp(t, "gmfn", 4)) {
		*v = XB_MAPSPACE_GMFN;
		return true;
	}
	if (n == 10 && !memcmp(t, "gmfn_range", 10)) {
		*v = XB_MAPSPACE_GMFN_RANGE;
		return true;
	}
	if (parse_u64(t, n, 10, &x) < 0 || x > UINT32_MAX)
		return fail(rp, t,
			    "space: expected gmfn, gmfn_range or a number, "
			    "got '%.*s'",
			    CLIP(n), t);
	*v = (unsigned)x;
	return true;
}

/* Per-entry results (write_errs()'s format), exactly @nr of them, each
 * 0 or a negative errno, into rp->a_errs. */
static bool errs(struct replay *rp, uint64_t nr)
{
	const char *t, *end;
	size_t n;

	g_array_set_size(rp->a_errs, 0);
	if (!token(rp, "the entries' results", &t, &n))
		return false;
	end = t + n;
	if (n == 1 && *t == '-')
		goto count;
	for (const char *s = t; s < end;) {
		const char *item = s;
		size_t vn = 0, kn = 0;
		uint64_t mag, k = 1;
		bool neg = *s == '-';

		while (s + neg + vn < end && s[neg + vn] != ',' &&
		       s[neg + vn] != '*')
			vn++;
		if (parse_u64(s + neg, vn, 10, &mag) < 0 ||
		    mag > TRACE_MAX_ERRNO || (!neg && mag))
			return fail(rp, item,
				    "errs: expected 0 or a negative errno, "
				    "got '%.*s'",
				    CLIP(neg + vn), item);
		s += neg + vn;
		if (s < end && *s == '*') {
			s++;
			while (s + kn < end && s[kn] != ',')
				kn++;
			if (!number_at(rp, "errs", s, kn, 10, UINT64_MAX, &k))
				return false;
			if (k < 2)
				return fail(rp, s,
					    "errs: a run has at least 2 "
					    "entries, got %" PRIu64,
					    k);
			s += kn;
		}
		if (k > nr - rp->a_errs->len)
			return fail(rp, item,
				    "errs: more than the %" PRIu64
				    " entries tried",
				    nr);
		for (uint64_t i = 0; i < k; i++) {
			int e = -(int)mag;

			g_array_append_val(rp->a_errs, e);
		}
		if (s < end) {
			if (*s != ',' || s + 1 == end)
				return fail(rp, s,
					    "errs: expected ',' and a result");
			s++;
		}
	}
count:
	if (rp->a_errs->len != nr)
		return fail(rp, t,
			    "errs: %u results listed, %" PRIu64
			    " entries were tried",
			    rp->a_errs->len, nr);
	return true;
}

/* Parse a guest call line after its keyword. */
static bool parse_call(struct replay *rp, enum xb_trace_op op, struct call *c)
{
	uint64_t limit = rp->pv ? rp->h.host_pages : UINT64_MAX;
	const char *at;

	memset(c, 0, sizeof(*c));
	c->op = op;
	if (op == XB_TRACE_ADD_TO_PHYSMAP) {
		if (!space(rp, &c->space) || !hex(rp, "idx", &c->src) ||
		    !hex(rp, "gpfn", &c->dst) ||
		    !dec(rp, "nr", XB_ADD_TO_PHYSMAP_MAX, &c->nr) ||
		    !literal(rp, "=") ||
		    !result(rp, "result", -TRACE_MAX_ERRNO, 0, &c->result) ||
		    !dec(rp, "progress", c->nr, &c->progress) ||
		    !dec(rp, "tot_pages", UINT64_MAX, &c->tot_pages))
			return false;
		goto tail;
	}
	if (op == XB_TRACE_ADD_TO_PHYSMAP_BATCH) {
		if (!space(rp, &c->space) ||
		    !dec(rp, "nr", XB_ADD_TO_PHYSMAP_MAX, &c->nr) ||
		    !list(rp, "idxs", c->nr, 0, UINT64_MAX, rp->a_in) ||
		    !list(rp, "gpfns", c->nr, 0, UINT64_MAX, rp->a_out) ||
		    !literal(rp, "=") ||
		    !result(rp, "result", -TRACE_MAX_ERRNO, 0, &c->result) ||
		    !dec(rp, "progress", c->nr, &c->progress) ||
		    !errs(rp, c->progress) ||
		    !dec(rp, "tot_pages", UINT64_MAX, &c->tot_pages))
			return false;
		c->in = (const xb_xen_pfn_t *)rp->a_in->data;
		c->out_in = (const xb_xen_pfn_t *)rp->a_out->data;
		c->errs = (const int *)rp->a_errs->data;
		c->nr_out = c->nr;
		goto tail;
	}
	if (op == XB_TRACE_RELOCATE) {
		if (!hex(rp, "src", &c->src) || !hex(rp, "dst", &c->dst) ||
		    !dec(rp, "nr", rp->h.gfn_space, &c->nr) ||
		    !literal(rp, "=") ||
		    !result(rp, "result", -TRACE_MAX_ERRNO, 0, &c->result) ||
		    !dec(rp, "progress", c->nr, &c->progress) ||
		    !dec(rp, "tot_pages", UINT64_MAX, &c->tot_pages))
			return false;
		goto tail;
	}
	if (!order_flags(rp, c))
		return false;
	at = rp->p + 1;
	if (!dec(rp, "nr", rp->h.gfn_space, &c->nr) ||
	    !extent_count(rp, at, c->nr, c->order) ||
	    !list(rp, "extents", c->nr, c->order, UINT64_MAX, rp->a_in))
		return false;
	c->in = (const xb_xen_pfn_t *)rp->a_in->data;
	if (op == XB_TRACE_EXCHANGE) {
		if (!out_order(rp, c))
			return false;
		at = rp->p + 1;
		if (!dec(rp, "out nr", rp->h.gfn_space, &c->nr_out) ||
		    !extent_count(rp, at, c->nr_out, c->out_order) ||
		    !list(rp, "out extents", c->nr_out, c->out_order,
			  UINT64_MAX, rp->a_out))
			return false;
		c->out_in = (const xb_xen_pfn_t *)rp->a_out->data;
		if (!literal(rp, "=") ||
		    !result(rp, "result", -TRACE_MAX_ERRNO, 0, &c->result) ||
		    !dec(rp, "progress", c->nr, &c->progress) ||
		    !dec(rp, "tot_pages", UINT64_MAX, &c->tot_pages))
			return false;
		if (rp->pv)
			c->nr_mfns = MIN(exchange_out_done(c), c->nr_out);
		if (!list(rp, "mfns", c->nr_mfns, c->out_order, limit,
			  rp->a_mfns))
			return false;
		c->mfns = (const xb_xen_pfn_t *)rp->a_mfns->data;
		goto tail;
	}
	if (!literal(rp, "=") ||
	    !result(rp, "result", -TRACE_MAX_ERRNO, (long)MIN(c->nr, LONG_MAX),
		    &c->result) ||
	    !dec(rp, "tot_pages", UINT64_MAX, &c->tot_pages))
		return false;
	if (op == XB_TRACE_POPULATE) {
		if (rp->pv)
			c->nr_mfns = c->result > 0 ? (uint64_t)c->result : 0;
		if (!list(rp, "mfns", c->nr_mfns, c->order, limit, rp->a_mfns))
			return false;
		c->mfns = (const xb_xen_pfn_t *)rp->a_mfns->data;
	}
tail:
	return states(rp, nr_touched(rp->h.type, c)) && line_end(rp);
}

/* ---- the replay -----------------------------------------------------------
 */

static void warn(struct replay *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct replay *rp, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(
	    rp->res->warnings,
	    g_strdup_printf("%s:%" PRIu64 ": %s", rp->path, rp->lineno, msg));
	g_free(msg);
}

/* Record the first divergence: FILE:LINE: WHAT: MESSAGE. Returns 1. */
static int diverge(struct replay *rp, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int diverge(struct replay *rp, const char *what, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	rp->res->diverged = true;
	rp->res->line = rp->lineno;
	rp->res->divergence = g_strdup_printf("%s:%" PRIu64 ": %s: %s",
					      rp->path, rp->lineno, what, msg);
	g_free(msg);
	return 1;
}

static char *describe(const struct replay *rp, const struct call *c)
{
	uint64_t n = rp->res->calls + 1;

	switch (c->op) {
	case XB_TRACE_EXCHANGE:
		return g_strdup_printf(
		    "call %" PRIu64 " (exchange, %" PRIu64
		    " extents of order %u for %" PRIu64 " of order %u)",
		    n, c->nr, c->order, c->nr_out, c->out_order);
	case XB_TRACE_RELOCATE:
		return g_strdup_printf("call %" PRIu64 " (relocate, %" PRIu64
				       " frames from gfn 0x%" PRIx64
				       " to 0x%" PRIx64 ")",
				       n, c->nr, c->src, c->dst);
	case XB_TRACE_ADD_TO_PHYSMAP:
		return g_strdup_printf(
		    "call %" PRIu64 " (add_to_physmap %s, %" PRIu64
		    " frame%s from gfn 0x%" PRIx64 " to 0x%" PRIx64 ")",
		    n, space_name(c->space) ? space_name(c->space) : "space",
		    c->nr, c->nr == 1 ? "" : "s", c->src, c->dst);
	case XB_TRACE_ADD_TO_PHYSMAP_BATCH:
		return g_strdup_printf(
		    "call %" PRIu64 " (add_to_physmap_batch "
		    "%s, %" PRIu64 " entries)",
		    n, space_name(c->space) ? space_name(c->space) : "space",
		    c->nr);
	default:
		return g_strdup_printf(
		    "call %" PRIu64 " (%s, %" PRIu64 " extents of order %u)", n,
		    op_report_name[c->op], c->nr, c->order);
	}
}

static uint64_t xlate(const struct replay *rp, uint64_t mfn)
{
	if (mfn >= rp->h.host_pages || !rp->m2m[mfn])
		return NO_FRAME;
	return rp->m2m[mfn] - 1;
}

static void map_extent(struct replay *rp, uint64_t rec, uint64_t rep,
		       unsigned order)
{
	/* The reader bounded rec + 2^order by host_pages. */
	for (uint64_t j = 0; j < (1ull << order); j++)
		rp->m2m[rec + j] = rep + j + 1;
}

static void unmap_extent(struct replay *rp, uint64_t rec, unsigned order)
{
	for (uint64_t j = 0; j < (1ull << order); j++)
		if (rec + j < rp->h.host_pages)
			rp->m2m[rec + j] = 0;
}

/*
 * The replay's inputs for @n recorded extents: gfns as they are; pv mfns
 * through the table, which must map each extent's frames contiguously
 * (the backend takes an extent by its first frame). Returns 0 or 1 (a
 * divergence: no contiguous counterpart).
 */
static int inputs(struct replay *rp, const char *what, const xb_xen_pfn_t *e,
		  uint64_t n, unsigned order, bool mfns, GArray *out)
{
	g_array_set_size(out, n);
	xb_xen_pfn_t *r = (xb_xen_pfn_t *)out->data;

	for (uint64_t i = 0; i < n; i++) {
		if (!mfns) {
			r[i] = e[i];
			continue;
		}
		r[i] = xlate(rp, e[i]);
		for (uint64_t j = 1; r[i] != NO_FRAME && j < (1ull << order);
		     j++)
			if (xlate(rp, e[i] + j) != r[i] + j)
				return diverge(rp, what,
					       "mfn 0x%" PRIx64
					       ": the frames of this order-%u "
					       "extent are not contiguous in "
					       "the replay",
					       e[i], order);
	}
	return 0;
}

/* Walks the recorded states along each_touched(). For pv, rep holds the
 * replay's counterparts of the touched frames, in the same order. */
struct check {
	struct replay *rp;
	const GArray *rep_frames; /* pv: xb_xen_pfn_t; NULL: identity    */
	uint64_t n;		  /* frames visited                          */
	const char *s;		  /* next run in the states token            */
	bool want;		  /* state of the current run                */
	uint64_t left;		  /* frames left in it                       */
	uint64_t bad;		  /* frames whose state differs              */
	uint64_t rec, rep;
	bool first_want;
};

static bool check_frame(void *arg, uint64_t rec)
{
	struct check *k = arg;
	struct replay *rp = k->rp;
	uint64_t rep = k->rep_frames
			   ? g_array_index(k->rep_frames, xb_xen_pfn_t, k->n)
			   : rec;
	bool got = false;

	while (!k->left) {
		char *end;

		k->want = *k->s == 'p';
		k->left = strtoull(k->s + 1, &end, 10);
		k->s = end + (*end == ',');
	}
	k->left--;
	if (rep != NO_FRAME && xb_query(rp->be, rep, &got) < 0)
		got = false;
	if (got != k->want && !k->bad++) {
		k->rec = rec;
		k->rep = rep;
		k->first_want = k->want;
	}
	if (!rp->pv && rec < rp->h.gfn_space) {
		uint64_t bit = 1ull << (rec & 63);

		if (k->want)
			rp->expect[rec >> 6] |= bit;
		else
			rp->expect[rec >> 6] &= ~bit;
	}
	rp->res->frames_checked++;
	k->n++;
	return true;
}

static bool push_frame(void *arg, uint64_t frame)
{
	g_array_append_val((GArray *)arg, frame);
	return true;
}

static const char *state_name(bool populated)
{
	return populated ? "populated" : "unpopulated";
}

/*
 * Compare the populated states of the frames @c touched with the
 * recording's; @rc is the same call in the replay's numbering (pv: its
 * own mfns, in and out).
 */
static int check_states(struct replay *rp, const struct call *c,
			const struct call *rc, const char *what)
{
	uint64_t n = nr_touched(rp->h.type, c);
	struct check k = {.rp = rp, .s = rp->states};

	if (!n || *rp->states == '?' || !rp->can_query)
		return 0;
	if (rp->pv) {
		g_array_set_size(rp->r_touched, 0);
		each_touched(rp->h.type, rc, push_frame, rp->r_touched);
		k.rep_frames = rp->r_touched;
	}
	each_touched(rp->h.type, c, check_frame, &k);
	if (!k.bad)
		return 0;
	if (rp->pv && k.rep == NO_FRAME)
		return diverge(rp, what,
			       "mfn 0x%" PRIx64 " (no counterpart in the "
			       "replay): %s expected, %s got (%" PRIu64
			       " of %" PRIu64 " touched frames differ)",
			       k.rec, state_name(k.first_want),
			       state_name(!k.first_want), k.bad, n);
	if (rp->pv)
		return diverge(rp, what,
			       "mfn 0x%" PRIx64 " (replayed as 0x%" PRIx64
			       "): %s expected, %s got (%" PRIu64 " of %" PRIu64
			       " touched frames differ)",
			       k.rec, k.rep, state_name(k.first_want),
			       state_name(!k.first_want), k.bad, n);
	return diverge(rp, what,
		       "gfn 0x%" PRIx64 ": %s expected, %s got (%" PRIu64
		       " of %" PRIu64 " touched frames differ)",
		       k.rec, state_name(k.first_want),
		       state_name(!k.first_want), k.bad, n);
}

/* Issue one recorded call on the replay's backend and compare. */
static int replay_call(struct replay *rp, const struct call *c)
{
	char *what = describe(rp, c);
	xb_xen_pfn_t *rin, *rout = NULL;
	long rc = 0;
	uint64_t done = 0, tot = 0, max = 0;
	int ret;

	/* Relocate and add_to_physmap have no extent array: their nr counts
	 * frames. The batch's idxs are gfns (pv is refused them). */
	bool no_array =
	    c->op == XB_TRACE_RELOCATE || c->op == XB_TRACE_ADD_TO_PHYSMAP;
	bool mfns = rp->pv &&
		    (c->op == XB_TRACE_DECREASE || c->op == XB_TRACE_EXCHANGE);

	ret = inputs(rp, what, c->in, no_array ? 0 : c->nr, c->order, mfns,
		     rp->r_in);
	if (ret)
		goto out;
	rin = (xb_xen_pfn_t *)rp->r_in->data;
	switch (c->op) {
	case XB_TRACE_POPULATE:
		rc = xb_populate_physmap_flags(rp->be, rin, c->nr, c->order,
					       c->flags);
		break;
	case XB_TRACE_DECREASE:
		rc = xb_decrease_reservation(rp->be, rin, c->nr, c->order);
		break;
	case XB_TRACE_EXCHANGE: {
		inputs(rp, what, c->out_in, c->nr_out, c->out_order, false,
		       rp->r_out);
		rout = (xb_xen_pfn_t *)rp->r_out->data;
		struct xb_exchange x = {
		    .in = rin,
		    .nr_in = c->nr,
		    .in_order = c->order,
		    .out = rout,
		    .nr_out = c->nr_out,
		    .out_order = c->out_order,
		    .out_address_bits = c->out_bits,
		    .out_mem_flags = c->flags,
		};

		rc = xb_exchange(rp->be, &x, &done);
		break;
	}
	case XB_TRACE_RELOCATE:
		rc = xb_relocate(rp->be, c->src, c->dst, c->nr, &done);
		break;
	case XB_TRACE_ADD_TO_PHYSMAP:
		rc = xb_add_to_physmap(rp->be, c->space, c->src, c->dst, c->nr,
				       &done);
		break;
	case XB_TRACE_ADD_TO_PHYSMAP_BATCH:
		/* Entries Xen did not reach keep this poison. */
		g_array_set_size(rp->r_errs, c->nr);
		for (uint64_t i = 0; i < c->nr; i++)
			g_array_index(rp->r_errs, int, i) = 1;
		rc = xb_add_to_physmap_batch(rp->be, c->space, rin, c->out_in,
					     c->nr, (int *)rp->r_errs->data,
					     &done);
		break;
	}
	if (rc != c->result) {
		ret = diverge(rp, what, "result %ld expected, %ld got",
			      c->result, rc);
		goto out;
	}
	if (c->op != XB_TRACE_POPULATE && c->op != XB_TRACE_DECREASE &&
	    done != c->progress) {
		ret = diverge(rp, what,
			      "progress %" PRIu64 " expected, %" PRIu64 " got",
			      c->progress, done);
		goto out;
	}
	for (uint64_t i = 0;
	     c->op == XB_TRACE_ADD_TO_PHYSMAP_BATCH && i < c->progress; i++) {
		int got = g_array_index(rp->r_errs, int, i);

		if (got != c->errs[i]) {
			ret =
			    diverge(rp, what,
				    "entry %" PRIu64 " (gfn 0x%" PRIx64
				    " to 0x%" PRIx64 "): result %d "
				    "expected, %d got",
				    i, c->in[i], c->out_in[i], c->errs[i], got);
			goto out;
		}
	}
	int qrc = xb_reservation(rp->be, &tot, &max);

	if (qrc < 0) {
		ret = diverge(rp, what,
			      "tot_pages %" PRIu64 " expected, the backend "
			      "cannot say (%s)",
			      c->tot_pages, g_strerror(-qrc));
		goto out;
	}
	if (tot != c->tot_pages) {
		ret = diverge(rp, what,
			      "tot_pages %" PRIu64 " expected, %" PRIu64 " got",
			      c->tot_pages, tot);
		goto out;
	}
	/* Frames given back have no counterpart any more; then the machine
	 * frames both runs got for the same extents (an exchange may hand
	 * back the very mfn it took). */
	if (rp->pv && c->op == XB_TRACE_DECREASE)
		for (uint64_t i = 0; i < (uint64_t)MAX(c->result, 0); i++)
			unmap_extent(rp, c->in[i], c->order);
	if (rp->pv && c->op == XB_TRACE_EXCHANGE)
		for (uint64_t i = 0; i < c->progress; i++)
			unmap_extent(rp, c->in[i], c->order);
	for (uint64_t i = 0; rp->pv && i < c->nr_mfns; i++)
		map_extent(rp, c->mfns[i],
			   c->op == XB_TRACE_POPULATE ? rin[i] : rout[i],
			   c->op == XB_TRACE_POPULATE ? c->order
						      : c->out_order);
	struct call rcall = *c;

	rcall.in = rin;
	rcall.out_in = rout;
	rcall.mfns = c->op == XB_TRACE_POPULATE ? rin : rout;
	ret = check_states(rp, c, &rcall, what);
	if (ret)
		goto out;
	call_done(c, &rp->res->extents, &rp->res->frames);
	rp->res->calls++;
out:
	if (ret)
		rp->res->call = rp->res->calls + 1;
	g_free(what);
	return ret;
}

static bool guest_type(struct replay *rp, const char *what,
		       enum xb_guest_type *type)
{
	const char *t;
	size_t n;

	if (!token(rp, what, &t, &n))
		return false;
	for (unsigned i = 0; i <= XB_GUEST_PVH; i++) {
		const char *name = xb_guest_type_name((enum xb_guest_type)i);

		if (n == strlen(name) && !memcmp(t, name, n)) {
			*type = (enum xb_guest_type)i;
			return true;
		}
	}
	return fail(rp, t, "%s: expected pv, hvm or pvh, got '%.*s'", what,
		    CLIP(n), t);
}

/* A host line (a neighbour domain, its affinity) acts on the mock host
 * only: other backends skip it, with one warning per replay. */
static bool host_line_replayable(struct replay *rp)
{
	if (rp->mock)
		return true;
	if (!rp->warned_host)
		warn(rp,
		     "the %s backend cannot replay the mock host's neighbour "
		     "domains: results may diverge",
		     rp->res->backend);
	rp->warned_host = true;
	return false;
}

/* Host lines: neighbour domains of the mock and what they did. */
static int replay_host(struct replay *rp, bool create, bool populate)
{
	uint64_t domid = 0, gfn = 0, order = 0, max = 0, space = 0;
	enum xb_guest_type type = XB_GUEST_HVM;
	long want, got;

	if (create) {
		if (!result(rp, "domid", -TRACE_MAX_ERRNO, UINT16_MAX, &want) ||
		    !guest_type(rp, "type", &type) ||
		    !dec(rp, "max_pages", UINT64_MAX, &max) ||
		    !dec(rp, "gfn_space", UINT64_MAX, &space) || !line_end(rp))
			return -1;
	} else {
		if (!dec(rp, "domid", UINT16_MAX, &domid) ||
		    !hex(rp, "gfn", &gfn) ||
		    !dec(rp, "order", XB_MAX_ORDER - 1, &order) ||
		    !literal(rp, "=") ||
		    !result(rp, "result", -TRACE_MAX_ERRNO,
			    populate ? 0 : 1l << (XB_MAX_ORDER - 1), &want) ||
		    !line_end(rp))
			return -1;
	}
	if (!host_line_replayable(rp))
		return 0;
	rp->res->host_ops++;
	if (create) {
		got = xb_mock_add_domain(rp->mock, type, max, space);
		if (got != want)
			return diverge(rp, "neighbour domain (create)",
				       "domid %ld expected, %ld got", want,
				       got);
		return 0;
	}
	got = populate ? xb_mock_domain_populate(rp->mock, (unsigned)domid, gfn,
						 (unsigned)order)
		       : xb_mock_domain_free(rp->mock, (unsigned)domid, gfn,
					     (unsigned)order);
	if (got != want) {
		char *what = g_strdup_printf(
		    "neighbour %" PRIu64 " (%s of gfn 0x%" PRIx64
		    ", order %" PRIu64 ")",
		    domid, populate ? "populate" : "free", gfn, order);

		diverge(rp, what, "result %ld expected, %ld got", want, got);
		g_free(what);
		return 1;
	}
	return 0;
}

/* "nodes P0,P1,...": a NUMA host's node sizes in frames, adding up to
 * host_pages (checked when the mock opens). */
static bool node_list(struct replay *rp)
{
	const char *t;
	size_t n;

	if (!token(rp, "nodes", &t, &n))
		return false;
	for (const char *end = t + n; t < end;) {
		const char *comma = memchr(t, ',', (size_t)(end - t));
		size_t k = comma ? (size_t)(comma - t) : (size_t)(end - t);
		uint64_t v;

		if (rp->h.nr_nodes == XB_MAX_NODES)
			return fail(rp, t, "nodes: more than %d", XB_MAX_NODES);
		if (!number_at(rp, "node pages", t, k, 10, XB_MAX_FRAMES, &v))
			return false;
		rp->h.node_pages[rp->h.nr_nodes++] = v;
		t += k + (comma != NULL);
	}
	return true;
}

/* "vnuma NR P/PAGES,... = RC": the guest's XEN_DOMCTL_setvnumainfo, on
 * any backend; a different result is a divergence. */
static int replay_vnuma(struct replay *rp)
{
	struct xb_vnuma v = {0};
	const char *t, *end;
	size_t n;
	uint64_t nr;
	long want;
	int got;

	if (!dec(rp, "vnodes", XB_MAX_NODES, &nr) ||
	    !token(rp, "vnode list", &t, &n))
		return -1;
	end = t + n;
	for (;;) {
		const char *comma = memchr(t, ',', (size_t)(end - t));
		const char *stop = comma ? comma : end;
		const char *slash = memchr(t, '/', (size_t)(stop - t));
		uint64_t pnode, pages;

		if (v.nr_vnodes == XB_MAX_NODES || !slash)
			return fail(rp, t, "vnuma: expected PNODE/PAGES"), -1;
		if (!number_at(rp, "pnode", t, (size_t)(slash - t), 10,
			       UINT32_MAX, &pnode) ||
		    !number_at(rp, "vnode pages", slash + 1,
			       (size_t)(stop - slash - 1), 10, XB_MAX_FRAMES,
			       &pages))
			return -1;
		v.vnode_to_pnode[v.nr_vnodes] = (unsigned)pnode;
		v.vnode_pages[v.nr_vnodes++] = pages;
		if (!comma)
			break;
		t = comma + 1;
	}
	if (v.nr_vnodes != nr)
		return fail(rp, end - n,
			    "vnuma: %u vnodes listed, %" PRIu64 " announced",
			    v.nr_vnodes, nr),
		       -1;
	if (!literal(rp, "=") ||
	    !result(rp, "result", -TRACE_MAX_ERRNO, 0, &want) || !line_end(rp))
		return -1;
	got = xb_set_vnuma(rp->be, &v);
	if (got != want)
		return diverge(rp, "vnuma", "result %ld expected, %d got", want,
			       got);
	return 0;
}

/* "affinity DOMID MASK = RC": a host line, the mock only. */
static int replay_affinity(struct replay *rp)
{
	uint64_t domid, mask;
	long want;

	if (!dec(rp, "domid", UINT16_MAX, &domid) ||
	    !hex(rp, "node mask", &mask) || !literal(rp, "=") ||
	    !result(rp, "result", -TRACE_MAX_ERRNO, 0, &want) || !line_end(rp))
		return -1;
	if (!host_line_replayable(rp))
		return 0;
	rp->res->host_ops++;
	int got = xb_mock_set_node_affinity(rp->mock, (unsigned)domid, mask);

	if (got != want)
		return diverge(rp, "node affinity",
			       "result %ld expected, %d got", want, got);
	return 0;
}

static int replay_fault(struct replay *rp)
{
	const char *t;
	size_t n;
	unsigned op, kind;
	uint64_t arg = 0;

	if (!token(rp, "an operation", &t, &n))
		return -1;
	for (op = 0; op < XB_MOCK_OP_NR; op++)
		if (n == strlen(mock_op_keyword[op]) &&
		    !memcmp(t, mock_op_keyword[op], n))
			break;
	if (op == XB_MOCK_OP_NR)
		return fail(rp, t,
			    "expected populate, decrease, exchange, "
			    "relocate or add_to_physmap, got '%.*s'",
			    CLIP(n), t),
		       -1;
	if (!token(rp, "a fault kind", &t, &n))
		return -1;
	for (kind = 0; kind < G_N_ELEMENTS(fault_kind_keyword); kind++)
		if (n == strlen(fault_kind_keyword[kind]) &&
		    !memcmp(t, fault_kind_keyword[kind], n))
			break;
	if (kind == G_N_ELEMENTS(fault_kind_keyword))
		return fail(rp, t,
			    "expected call, rate_ppm, at or off, got '%.*s'",
			    CLIP(n), t),
		       -1;
	if (kind != XB_TRACE_FAULT_OFF &&
	    !dec(rp, fault_kind_keyword[kind],
		 kind == XB_TRACE_FAULT_RATE ? XB_PPM : UINT64_MAX, &arg))
		return -1;
	if (!line_end(rp))
		return -1;
	if (!rp->mock) {
		if (!rp->warned_faults)
			warn(rp,
			     "the %s backend cannot inject faults: calls "
			     "they failed will diverge",
			     rp->res->backend);
		rp->warned_faults = true;
		return 0;
	}
	rp->res->faults++;
	/* What scenario/run.c does for a fault event and its end. */
	switch (kind) {
	case XB_TRACE_FAULT_CALL:
		xb_mock_fail_call(rp->mock, op, arg);
		break;
	case XB_TRACE_FAULT_RATE:
		xb_mock_fail_probability(rp->mock, op, (double)arg / XB_PPM);
		break;
	case XB_TRACE_FAULT_AT:
		xb_mock_fail_at(rp->mock, op, arg);
		break;
	default:
		xb_mock_fail_probability(rp->mock, op, 0);
		xb_mock_fail_call(rp->mock, op, 0);
		xb_mock_fail_at(rp->mock, op, XB_MOCK_NEVER);
		break;
	}
	return 0;
}

/* The end: the call count, then the whole populated set once (hvm, pvh). */
static int replay_end(struct replay *rp)
{
	const char *at = rp->p + 1;
	uint64_t calls, bad = 0, first = 0;
	bool first_want = false;

	if (!dec(rp, "calls", UINT64_MAX, &calls) || !line_end(rp))
		return -1;
	if (calls != rp->res->calls)
		return fail(rp, at,
			    "the end line counts %" PRIu64
			    " calls, the trace has %" PRIu64,
			    calls, rp->res->calls),
		       -1;
	if (rp->pv || !rp->can_query)
		return 0;
	if (!rp->states_known) {
		warn(rp, "the trace has unknown states ('?'): the populated "
			 "set is not compared");
		return 0;
	}
	/* In batches: one P2M query per batch on real Xen. */
	xb_xen_pfn_t batch[512];
	bool got[512];

	for (uint64_t g0 = 0; g0 < rp->h.gfn_space; g0 += 512) {
		unsigned n = (unsigned)MIN(rp->h.gfn_space - g0, 512);

		for (unsigned i = 0; i < n; i++)
			batch[i] = g0 + i;
		if (xb_query_frames(rp->be, batch, n, got) < 0)
			memset(got, 0, sizeof(got));
		for (unsigned i = 0; i < n; i++) {
			uint64_t g = g0 + i;
			bool want = rp->expect[g >> 6] >> (g & 63) & 1;

			if (got[i] != want && !bad++) {
				first = g;
				first_want = want;
			}
		}
	}
	if (bad)
		return diverge(rp, "end",
			       "gfn 0x%" PRIx64
			       ": %s expected, %s got (%" PRIu64 " of %" PRIu64
			       " gfns differ)",
			       first, state_name(first_want),
			       state_name(!first_want), bad, rp->h.gfn_space);
	return 0;
}

/*
 * The next line that is not blank or a comment, newline cut off; false
 * at the end of the file (or on an error, with rp->error set).
 */
static bool next_line(struct replay *rp, bool *eof)
{
	ssize_t len;

	*eof = false;
	for (;;) {
		len = getline(&rp->line, &rp->cap, rp->f);
		if (len < 0) {
			if (ferror(rp->f)) {
				g_set_error(rp->error, XB_ERROR, XB_ERROR_IO,
					    "%s: cannot read: %s", rp->path,
					    g_strerror(errno));
				return false;
			}
			*eof = true;
			return false;
		}
		rp->lineno++;
		rp->p = rp->line;
		if (strlen(rp->line) != (size_t)len)
			return fail(rp, rp->line + strlen(rp->line),
				    "a NUL byte in the line");
		if (rp->line[len - 1] != '\n')
			return fail(rp, rp->line + len,
				    "the line has no newline: the trace is "
				    "truncated");
		rp->line[len - 1] = '\0';
		rp->len = (size_t)len - 1;
		if (rp->line[0] && rp->line[0] != '#')
			return true;
	}
}

static bool read_header(struct replay *rp)
{
	bool seen[NR_HEADER_KEYS] = {false}, eof;
	const char *t;
	size_t n;
	uint64_t v;

	if (!next_line(rp, &eof)) {
		if (eof)
			return fail_col(rp, rp->len + 1,
					"empty trace: no 'xballoon-trace %u' "
					"line",
					XB_TRACE_VERSION);
		return false;
	}
	if (!token(rp, "'xballoon-trace'", &t, &n))
		return false;
	if (n != strlen("xballoon-trace") || memcmp(t, "xballoon-trace", n))
		return fail(rp, t,
			    "not an xballoon trace: it must start with "
			    "'xballoon-trace %u'",
			    XB_TRACE_VERSION);
	if (!token(rp, "the version", &t, &n) ||
	    !number_at(rp, "version", t, n, 10, UINT64_MAX, &v))
		return false;
	if (v != XB_TRACE_VERSION)
		return fail(rp, t,
			    "trace version %" PRIu64 " is not supported (this "
			    "build reads version %u)",
			    v, XB_TRACE_VERSION);
	if (!line_end(rp))
		return false;
	for (;;) {
		unsigned k;

		if (!next_line(rp, &eof)) {
			if (eof)
				return fail_col(rp, rp->len + 1,
						"the trace ends in its header "
						"(truncated?)");
			return false;
		}
		if (!token(rp, "a header key", &t, &n))
			return false;
		if (n == 5 && !memcmp(t, "calls", 5)) {
			if (!line_end(rp))
				return false;
			for (k = 0; k < NR_REQUIRED_KEYS; k++)
				if (!seen[k])
					return fail(rp, t,
						    "the header lacks '%s'",
						    header_keys[k]);
			return true;
		}
		for (k = 0; k < NR_HEADER_KEYS; k++)
			if (n == strlen(header_keys[k]) &&
			    !memcmp(t, header_keys[k], n))
				break;
		if (k == NR_HEADER_KEYS)
			return fail(rp, t, "unknown header key '%.*s'", CLIP(n),
				    t);
		if (seen[k])
			return fail(rp, t, "'%s' given twice", header_keys[k]);
		seen[k] = true;
		bool ok = true;

		switch (k) {
		case 0:
		case 1:
			ok = token(rp, header_keys[k], &t, &n);
			if (ok && n > 128)
				ok = fail(rp, t, "%s: longer than 128 bytes",
					  header_keys[k]);
			if (ok && k == 0)
				rp->h.scenario = g_strndup(t, n);
			else if (ok)
				rp->h.policy = g_strndup(t, n);
			break;
		case 2:
			ok = guest_type(rp, "guest", &rp->h.type);
			break;
		case 3:
			ok = dec(rp, "max_pages", UINT64_MAX, &rp->h.max_pages);
			break;
		case 4:
			ok = dec(rp, "gfn_space", XB_MAX_FRAMES,
				 &rp->h.gfn_space);
			if (ok && !rp->h.gfn_space)
				ok = fail(rp, rp->p - 1,
					  "gfn_space: must be above 0");
			break;
		case 5:
			ok = dec(rp, "memop_max_order", TRACE_MAX_ORDER, &v);
			rp->h.memop_max_order = (unsigned)v;
			break;
		case 6:
			ok = dec(rp, "host_pages", XB_MAX_FRAMES,
				 &rp->h.host_pages);
			if (ok && !rp->h.host_pages)
				ok = fail(rp, rp->p - 1,
					  "host_pages: must be above 0");
			break;
		case 7:
			ok = dec(rp, "seed", UINT64_MAX, &rp->h.seed);
			break;
		case 8:
			ok = dec(rp, "neighbours", UINT16_MAX, &v);
			rp->h.neighbours = (unsigned)v;
			break;
		default:
			ok = node_list(rp);
			break;
		}
		if (!ok || !line_end(rp))
			return false;
	}
}

static bool open_backend(struct replay *rp, const struct xb_replay_options *o)
{
	const char *name = o && o->backend ? o->backend : "mock";
	const struct xb_backend_ops *ops = xb_backend_find(name);
	struct xb_guest_info gi;
	struct xb_backend_config cfg = {
	    .type = rp->h.type,
	    .max_pages = rp->h.max_pages,
	    .gfn_space = rp->h.gfn_space,
	    .memop_max_order = rp->h.memop_max_order,
	    .host_pages = rp->h.host_pages,
	    .seed = rp->h.seed,
	    .nr_nodes = rp->h.nr_nodes,
	    /* Never dom0: a zeroed options struct means a scratch domain. */
	    .domid = o && o->domid > 0 ? o->domid : -1,
	    /* The command line asked for --i-own-this-domain with --domid. */
	    .domid_confirmed = o && o->domid > 0,
	};
	int rc;

	if (!ops) {
		g_set_error(rp->error, XB_ERROR, XB_ERROR_INVALID,
			    "unknown backend '%s' (see 'xballoon backends')",
			    name);
		return false;
	}
	memcpy(cfg.node_pages, rp->h.node_pages, sizeof(cfg.node_pages));
	rp->res->backend = g_strdup(ops->name);
	rp->be = xb_backend_open(ops, &cfg, rp->error);
	if (!rp->be)
		return false;
	rc = xb_guest_info(rp->be, &gi);
	if (rc < 0 || gi.type != rp->h.type) {
		g_set_error(rp->error, XB_ERROR, XB_ERROR_INVALID,
			    "%s: the trace is of a %s guest, the %s backend's "
			    "domain is %s",
			    rp->path, xb_guest_type_name(rp->h.type), ops->name,
			    rc < 0 ? g_strerror(-rc)
				   : xb_guest_type_name(gi.type));
		return false;
	}
	rp->mock = xb_mock_from_backend(rp->be);
	rp->pv = rp->h.type == XB_GUEST_PV;
	rp->can_query = ops->query != NULL;
	if (!rp->can_query)
		warn(rp,
		     "the %s backend cannot query frames: populated "
		     "states are not compared",
		     ops->name);
	if (!rp->mock && rp->h.neighbours)
		warn(rp,
		     "the recording ran %u neighbour domains the %s "
		     "backend cannot recreate: results may diverge",
		     rp->h.neighbours, ops->name);
	if (rp->pv) {
		rp->m2m_bytes = rp->h.host_pages * sizeof(uint64_t);
		rp->m2m = xb_map_zeroed(rp->m2m_bytes);
	} else {
		rp->expect_bytes = (rp->h.gfn_space + 63) / 64 * 8;
		rp->expect = xb_map_zeroed(rp->expect_bytes);
	}
	if (!rp->m2m && !rp->expect) {
		g_set_error(rp->error, XB_ERROR, XB_ERROR_INVALID,
			    "%s: cannot map the replay's frame tables",
			    rp->path);
		return false;
	}
	return true;
}

static bool is_word(const char *t, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(t, word, n);
}

/* Calls and host lines up to the end line. 0: all agreed, 1: a
 * divergence, -1: a bad trace. */
static int replay_body(struct replay *rp)
{
	bool eof;
	int rc = 0;

	while (rc == 0) {
		const char *t;
		size_t n;
		unsigned op;

		if (!next_line(rp, &eof)) {
			if (eof)
				fail_col(rp, rp->len + 1,
					 "the trace ends without its 'end' "
					 "line (truncated?)");
			return -1;
		}
		if (!token(rp, "a record", &t, &n))
			return -1;
		for (op = 0; op < G_N_ELEMENTS(op_keyword); op++)
			if (is_word(t, n, op_keyword[op]))
				break;
		if (op < G_N_ELEMENTS(op_keyword)) {
			struct call c;

			if (!parse_call(rp, (enum xb_trace_op)op, &c))
				return -1;
			rc = replay_call(rp, &c);
		} else if (is_word(t, n, "domain") ||
			   is_word(t, n, "hpopulate") ||
			   is_word(t, n, "hfree")) {
			rc = replay_host(rp, is_word(t, n, "domain"),
					 is_word(t, n, "hpopulate"));
		} else if (is_word(t, n, "fault")) {
			rc = replay_fault(rp);
		} else if (is_word(t, n, "vnuma")) {
			rc = replay_vnuma(rp);
		} else if (is_word(t, n, "affinity")) {
			rc = replay_affinity(rp);
		} else if (is_word(t, n, "end")) {
			rc = replay_end(rp);
			if (rc == 0)
				break;
		} else {
			return fail(rp, t, "unknown record '%.*s'", CLIP(n), t),
			       -1;
		}
	}
	if (rc)
		return rc;
	if (next_line(rp, &eof))
		return fail(rp, rp->line, "a record after the end line"), -1;
	return eof ? 0 : -1;
}

/* A regular file only (a FIFO would block): errors at FILE:1:1, as the
 * file's other errors are placed. */
static bool open_trace(struct replay *rp)
{
	GError *err = NULL;
	int fd = xb_open_regular(rp->path, &err);

	if (fd >= 0) {
		rp->f = fdopen(fd, "r");
		if (!rp->f) {
			g_set_error(&err, XB_ERROR, XB_ERROR_IO,
				    "cannot open: %s", g_strerror(errno));
			close(fd);
		}
	}
	if (rp->f)
		return true;
	g_set_error(rp->error, XB_ERROR, err->code, "%s:1:1: error: %s",
		    rp->path, err->message);
	g_error_free(err);
	return false;
}

int xb_replay(const char *path, const struct xb_replay_options *opt,
	      struct xb_replay_result *res, GError **error)
{
	struct replay rp = {
	    .path = path,
	    .error = error,
	    .res = res,
	    .states_known = true,
	};
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->warnings = g_ptr_array_new_with_free_func(g_free);
	if (!open_trace(&rp))
		return -1;
	rp.buf = g_malloc(TRACE_BUF);
	setvbuf(rp.f, rp.buf, _IOFBF, TRACE_BUF);
	rp.a_in = g_array_new(FALSE, FALSE, sizeof(xb_xen_pfn_t));
	rp.a_out = g_array_new(FALSE, FALSE, sizeof(xb_xen_pfn_t));
	rp.a_mfns = g_array_new(FALSE, FALSE, sizeof(xb_xen_pfn_t));
	rp.a_errs = g_array_new(FALSE, FALSE, sizeof(int));
	rp.r_errs = g_array_new(FALSE, FALSE, sizeof(int));
	rp.r_in = g_array_new(FALSE, FALSE, sizeof(xb_xen_pfn_t));
	rp.r_out = g_array_new(FALSE, FALSE, sizeof(xb_xen_pfn_t));
	rp.r_touched = g_array_new(FALSE, FALSE, sizeof(xb_xen_pfn_t));
	if (read_header(&rp) && open_backend(&rp, opt))
		ret = replay_body(&rp);
	res->header = rp.h;
	rp.h.scenario = rp.h.policy = NULL;
	xb_backend_close(rp.be);
	xb_unmap(rp.m2m, rp.m2m_bytes);
	xb_unmap(rp.expect, rp.expect_bytes);
	g_array_free(rp.a_in, TRUE);
	g_array_free(rp.a_out, TRUE);
	g_array_free(rp.a_mfns, TRUE);
	g_array_free(rp.a_errs, TRUE);
	g_array_free(rp.r_errs, TRUE);
	g_array_free(rp.r_in, TRUE);
	g_array_free(rp.r_out, TRUE);
	g_array_free(rp.r_touched, TRUE);
	fclose(rp.f);
	free(rp.line);
	g_free(rp.buf);
	return ret;
}

void xb_replay_result_clear(struct xb_replay_result *res)
{
	g_free((char *)res->header.scenario);
	g_free((char *)res->header.policy);
	g_free(res->backend);
	g_free(res->divergence);
	if (res->warnings)
		g_ptr_array_free(res->warnings, TRUE);
	memset(res, 0, sizeof(*res));
}
