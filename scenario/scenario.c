/*
 * Scenario validation: walks the YAML tree of one file (scenario/ytree.c)
 * section by section into struct xb_scenario, stopping at the first problem
 * with one positioned error. Also policy knob checks and the metadata
 * estimate.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scenario/ytree.h"
#include "xballoon/backend.h"
#include "xballoon/scenario.h"

#define SZ 32 /* buffer for a formatted size, time or share */

struct ctx {
	const char *path;
	GError **error;
	struct xb_scenario *s;
	size_t cap_workloads;
	size_t cap_events;
	GHashTable *workload_names; /* name -> index + 1 */
	/* Clipped copies of user text quoted in the one error message. */
	char clipbuf[4][XB__CLIP_BYTES];
	unsigned clipi;
};

static const char *clip(struct ctx *c, const char *s)
{
	return xb__clip(c->clipbuf[c->clipi++ % 4], s);
}

static bool fail(struct ctx *c, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct ctx *c, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xb__scn_verror(c->error, XB_ERROR_INVALID, c->path, n->pos, fmt, ap);
	va_end(ap);
	return false;
}

static char *fmt_share(uint64_t ppm, char *buf)
{
	char *p;

	snprintf(buf, SZ, "%llu.%04u", (unsigned long long)(ppm / 10000),
		 (unsigned)(ppm % 10000));
	p = buf + strlen(buf) - 1;
	while (*p == '0')
		*p-- = '\0';
	if (*p == '.')
		*p = '\0';
	strcat(buf, "%");
	return buf;
}

static const char *type_name(const struct ynode *n)
{
	return n->type == YNODE_MAP ? "a mapping" : "a sequence";
}

/* ---- typed values ---------------------------------------------------- */

static const char *scalar(struct ctx *c, const struct ynode *n,
			  const char *what)
{
	if (n->type != YNODE_SCALAR) {
		fail(c, n, "%s must be a single value, not %s", what,
		     type_name(n));
		return NULL;
	}
	return n->str;
}

static bool map(struct ctx *c, const struct ynode *n, const char *what)
{
	if (n->type == YNODE_MAP)
		return true;
	if (n->type == YNODE_SCALAR && !*n->str)
		return fail(c, n, "%s is empty; it must be a mapping", what);
	return fail(c, n, "%s must be a mapping, not %s", what,
		    n->type == YNODE_SEQ ? "a sequence" : "a single value");
}

static bool seq(struct ctx *c, const struct ynode *n, const char *what)
{
	if (n->type == YNODE_SEQ)
		return true;
	if (n->type == YNODE_SCALAR && !*n->str)
		return fail(c, n, "%s is empty; it must be a sequence", what);
	return fail(c, n, "%s must be a sequence, not %s", what,
		    n->type == YNODE_MAP ? "a mapping" : "a single value");
}

static bool get_size(struct ctx *c, const struct ynode *n, const char *what,
		     uint64_t *bytes)
{
	const char *s = scalar(c, n, what), *why;

	if (!s)
		return false;
	if (xb_parse_size(s, bytes, &why))
		return fail(c, n, "%s '%s' %s", what, clip(c, s), why);
	return true;
}

/* A memory size the model holds as frames: positive, whole 4 KiB frames,
 * and no more than one buddy can index. */
static bool get_frames(struct ctx *c, const struct ynode *n, const char *what,
		       uint64_t *bytes, uint64_t *frames)
{
	char buf[SZ];

	if (!get_size(c, n, what, bytes))
		return false;
	if (!*bytes)
		return fail(c, n, "%s must not be zero", what);
	if (*bytes > XB_SCENARIO_MAX_BYTES)
		return fail(c, n,
			    "%s %s is beyond what the model can hold "
			    "(at most %llu frames of 4KiB, just under 16TiB)",
			    what, xb_format_size(*bytes, buf, sizeof(buf)),
			    (unsigned long long)XB_MAX_FRAMES);
	if (*bytes % XB_FRAME_BYTES)
		return fail(c, n, "%s %s is not a multiple of 4KiB", what,
			    xb_format_size(*bytes, buf, sizeof(buf)));
	*frames = *bytes >> XB_FRAME_SHIFT;
	return true;
}

static bool get_time(struct ctx *c, const struct ynode *n, const char *what,
		     xb_ns_t *ns)
{
	const char *s = scalar(c, n, what), *why;

	if (!s)
		return false;
	if (xb_parse_time(s, ns, &why))
		return fail(c, n, "%s '%s' %s", what, clip(c, s), why);
	return true;
}

static bool get_positive_time(struct ctx *c, const struct ynode *n,
			      const char *what, xb_ns_t *ns)
{
	if (!get_time(c, n, what, ns))
		return false;
	if (!*ns)
		return fail(c, n, "%s must be longer than 0s", what);
	return true;
}

/* A period of at least `min`: shorter ones ask for more events than any
 * run can take (docs/scenarios.md, "How much work a file asks for"). */
static bool get_min_time(struct ctx *c, const struct ynode *n, const char *what,
			 xb_ns_t min, xb_ns_t *ns)
{
	char b1[32], b2[32];

	if (!get_time(c, n, what, ns))
		return false;
	if (*ns < min)
		return fail(c, n,
			    "%s %s is shorter than the shortest allowed, %s",
			    what, xb_format_time(*ns, b1, sizeof(b1)),
			    xb_format_time(min, b2, sizeof(b2)));
	return true;
}

static bool get_share(struct ctx *c, const struct ynode *n, const char *what,
		      uint32_t *ppm)
{
	const char *s = scalar(c, n, what), *why;

	if (!s)
		return false;
	if (xb_parse_share(s, ppm, &why))
		return fail(c, n, "%s '%s' %s", what, clip(c, s), why);
	return true;
}

static bool get_rate(struct ctx *c, const struct ynode *n, const char *what,
		     uint32_t *ppm)
{
	const char *s = scalar(c, n, what), *why;

	if (!s)
		return false;
	if (xb_parse_rate(s, ppm, &why))
		return fail(c, n, "%s '%s' %s", what, clip(c, s), why);
	return true;
}

static bool get_uint(struct ctx *c, const struct ynode *n, const char *what,
		     uint64_t min, uint64_t max, uint64_t *v)
{
	const char *s = scalar(c, n, what), *why;

	if (!s)
		return false;
	if (xb_parse_uint(s, max, v, &why) || *v < min)
		return fail(c, n, "%s '%s' must be an integer %llu..%llu", what,
			    clip(c, s), (unsigned long long)min,
			    (unsigned long long)max);
	return true;
}

/* Names: 1..64 of letters, digits, '-' (and '_' where extra is set). */
static bool get_name(struct ctx *c, const struct ynode *n, const char *what,
		     bool underscore, char **out)
{
	const char *s = scalar(c, n, what);
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	if (!len)
		return fail(c, n, "%s must not be empty", what);
	if (len > XB_SCENARIO_MAX_NAME)
		return fail(c, n, "%s is longer than %d characters", what,
			    XB_SCENARIO_MAX_NAME);
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' &&
		    !(underscore && *p == '_'))
			return fail(
			    c, n, "%s '%s' may only contain letters, digits%s",
			    what, clip(c, s),
			    underscore ? ", '-' and '_'" : " and '-'");
	*out = g_strdup(s);
	return true;
}

static bool get_enum(struct ctx *c, const struct ynode *n, const char *what,
		     const char *const names[], int nr, const char *expected,
		     int *out)
{
	const char *s = scalar(c, n, what);

	if (!s)
		return false;
	for (int i = 0; i < nr; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return true;
		}
	/* Not "return fail()": fail() is variadic and never inlined, and
	 * callers read *out whenever this returns true. */
	fail(c, n, "unknown %s '%s' (expected %s)", what, clip(c, s), expected);
	return false;
}

/* ---- mappings with a fixed set of keys ------------------------------- */

#define MAX_KEYS 16

/*
 * The keys of one mapping, looked up once: val[i] is the value node of
 * keys[i] or NULL. Unknown and duplicate keys fail in file order.
 */
struct keyset {
	const char *const *keys; /* NULL-terminated */
	const struct ynode *key[MAX_KEYS];
	const struct ynode *val[MAX_KEYS];
};

static bool read_keys(struct ctx *c, const struct ynode *m, const char *where,
		      struct keyset *ks)
{
	memset(ks->key, 0, sizeof(ks->key));
	memset(ks->val, 0, sizeof(ks->val));
	for (uint32_t i = 0; i < m->nr; i += 2) {
		const struct ynode *k = m->kids[i];
		int idx = -1;

		for (int j = 0; ks->keys[j]; j++)
			if (!strcmp(k->str, ks->keys[j]))
				idx = j;
		if (idx < 0) {
			char *list = g_strjoinv(", ", (char **)ks->keys);

			fail(c, k, "unknown key '%s' in %s (expected %s)",
			     clip(c, k->str), where, list);
			g_free(list);
			return false;
		}
		if (ks->key[idx])
			return fail(c, k,
				    "duplicate key '%s' in %s (first at "
				    "%u:%u)",
				    clip(c, k->str), where,
				    ks->key[idx]->pos.line,
				    ks->key[idx]->pos.col);
		ks->key[idx] = k;
		ks->val[idx] = m->kids[i + 1];
	}
	return true;
}

static bool require(struct ctx *c, const struct ynode *m,
		    const struct keyset *ks, int idx, const char *where)
{
	if (ks->val[idx])
		return true;
	return fail(c, m, "%s has no '%s' (required)", where, ks->keys[idx]);
}

/* ---- host ------------------------------------------------------------ */

enum { CH_EVERY, CH_PAGES, CH_ORDERS };
static const char *const churn_keys[] = {"every", "pages", "orders", NULL};

static bool parse_orders(struct ctx *c, const struct ynode *m,
			 struct xb_neighbour *nb)
{
	const struct ynode *seen[XB_MAX_ORDER] = {0};
	uint64_t sum = 0;
	char buf[SZ];

	if (!map(c, m, "churn.orders"))
		return false;
	for (uint32_t i = 0; i < m->nr; i += 2) {
		const struct ynode *k = m->kids[i];
		uint64_t order;
		uint32_t ppm;

		if (!get_uint(c, k, "churn order", 0, XB_MAX_ORDER - 1, &order))
			return false;
		if (seen[order])
			return fail(c, k,
				    "order %llu given twice (first at "
				    "%u:%u)",
				    (unsigned long long)order,
				    seen[order]->pos.line,
				    seen[order]->pos.col);
		seen[order] = k;
		if (!get_share(c, m->kids[i + 1], "churn order share", &ppm))
			return false;
		nb->order_share_ppm[order] = ppm;
		sum += ppm;
	}
	if (sum != XB_PPM)
		return fail(c, m, "churn order shares add up to %s, not 100%%",
			    fmt_share(sum, buf));
	return true;
}

static bool parse_churn(struct ctx *c, const struct ynode *m,
			struct xb_neighbour *nb)
{
	struct keyset ks = {.keys = churn_keys};
	char buf[SZ];

	if (!map(c, m, "churn") || !read_keys(c, m, "churn", &ks) ||
	    !require(c, m, &ks, CH_EVERY, "churn") ||
	    !require(c, m, &ks, CH_PAGES, "churn"))
		return false;
	nb->has_churn = true;
	nb->churn_pos = ks.val[CH_EVERY]->pos;
	if (!get_min_time(c, ks.val[CH_EVERY], "churn.every",
			  XB_MIN_CHURN_EVERY, &nb->churn_every) ||
	    !get_uint(c, ks.val[CH_PAGES], "churn.pages", 1, XB_MAX_FRAMES,
		      &nb->churn_pages))
		return false;
	if (nb->churn_pages > nb->frames)
		return fail(c, ks.val[CH_PAGES],
			    "churn.pages %llu is more than the neighbour's "
			    "%s of memory holds",
			    (unsigned long long)nb->churn_pages,
			    xb_format_size(nb->memory, buf, sizeof(buf)));
	if (!ks.val[CH_ORDERS]) {
		nb->order_share_ppm[0] = XB_PPM;
		return true;
	}
	return parse_orders(c, ks.val[CH_ORDERS], nb);
}

/* A node number: below the host's nodes (only 0 on a host without
 * host.nodes). */
static bool get_pnode(struct ctx *c, const struct ynode *n, const char *what,
		      unsigned *pnode)
{
	unsigned nr = c->s->host.nr_nodes ? c->s->host.nr_nodes : 1;
	uint64_t v;

	if (!get_uint(c, n, what, 0, XB_MAX_NODES - 1, &v))
		return false;
	if (v >= nr)
		return fail(c, n,
			    "%s %llu is not a host node (the host has %u%s)",
			    what, (unsigned long long)v, nr,
			    c->s->host.nr_nodes ? "" : ": no host.nodes");
	*pnode = (unsigned)v;
	return true;
}

/*
 * host.nodes and guest.vnuma: a sequence of 1..XB_MAX_NODES mappings of
 * `memory` (and `pnode` for vnodes) that adds up to `total`; vnode sizes
 * a multiple of `unit` bytes.
 */
enum { ND_MEMORY, ND_PNODE };
static const char *const host_node_keys[] = {"memory", NULL};
static const char *const vnode_keys[] = {"memory", "pnode", NULL};

static bool parse_nodes(struct ctx *c, const struct ynode *sq, const char *what,
			bool vnodes, uint64_t total, const char *total_what,
			uint64_t unit, struct xb_scn_node *nodes, unsigned *nr)
{
	uint64_t sum = 0;
	char b1[SZ], b2[SZ];

	if (!seq(c, sq, what))
		return false;
	if (sq->nr == 0 || sq->nr > XB_MAX_NODES)
		return fail(c, sq, "%s must list 1 to %d nodes, not %u", what,
			    XB_MAX_NODES, sq->nr);
	for (uint32_t i = 0; i < sq->nr; i++) {
		const struct ynode *m = sq->kids[i];
		struct keyset ks = {.keys =
					vnodes ? vnode_keys : host_node_keys};
		struct xb_scn_node *nd = &nodes[i];

		if (!map(c, m, vnodes ? "a vnode" : "a host node") ||
		    !read_keys(c, m, vnodes ? "a vnode" : "a host node", &ks) ||
		    !require(c, m, &ks, ND_MEMORY,
			     vnodes ? "a vnode" : "a host node") ||
		    (vnodes && !require(c, m, &ks, ND_PNODE, "a vnode")))
			return false;
		nd->pos = m->pos;
		if (!get_frames(c, ks.val[ND_MEMORY],
				vnodes ? "vnode memory" : "node memory",
				&nd->memory, &nd->frames))
			return false;
		if (nd->memory % unit)
			return fail(c, ks.val[ND_MEMORY],
				    "vnode memory %s is not a multiple of "
				    "%s (a buddy block must not cross a "
				    "vnode)",
				    xb_format_size(nd->memory, b1, sizeof(b1)),
				    xb_format_size(unit, b2, sizeof(b2)));
		if (vnodes &&
		    !get_pnode(c, ks.val[ND_PNODE], "vnode pnode", &nd->pnode))
			return false;
		sum += nd->memory;
		if (sum > total)
			return fail(c, ks.val[ND_MEMORY],
				    "the %s memory (%s so far) exceeds %s %s",
				    what, xb_format_size(sum, b1, sizeof(b1)),
				    total_what,
				    xb_format_size(total, b2, sizeof(b2)));
	}
	if (sum != total)
		return fail(c, sq, "the %s memory adds up to %s, not %s %s",
			    what, xb_format_size(sum, b1, sizeof(b1)),
			    total_what, xb_format_size(total, b2, sizeof(b2)));
	*nr = sq->nr;
	return true;
}

enum { NB_NAME, NB_MEMORY, NB_CHURN, NB_PNODE };
static const char *const neighbour_keys[] = {"name", "memory", "churn", "pnode",
					     NULL};

static bool parse_neighbours(struct ctx *c, const struct ynode *sq)
{
	struct xb_scenario *s = c->s;
	uint64_t total = 0;
	char b1[SZ], b2[SZ];

	if (!seq(c, sq, "host.neighbours"))
		return false;
	s->host.neighbours = g_new0(struct xb_neighbour, sq->nr);
	for (uint32_t i = 0; i < sq->nr; i++) {
		const struct ynode *m = sq->kids[i];
		struct xb_neighbour *nb = &s->host.neighbours[i];
		struct keyset ks = {.keys = neighbour_keys};

		if (!map(c, m, "a neighbour") ||
		    !read_keys(c, m, "neighbour", &ks) ||
		    !require(c, m, &ks, NB_NAME, "neighbour") ||
		    !require(c, m, &ks, NB_MEMORY, "neighbour"))
			return false;
		nb->pos = m->pos;
		if (!get_name(c, ks.val[NB_NAME], "neighbour name", true,
			      &nb->name))
			return false;
		s->host.nr_neighbours = i + 1;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(nb->name, s->host.neighbours[j].name))
				return fail(c, ks.val[NB_NAME],
					    "duplicate neighbour name '%s' "
					    "(first at %u:%u)",
					    nb->name,
					    s->host.neighbours[j].pos.line,
					    s->host.neighbours[j].pos.col);
		if (!get_frames(c, ks.val[NB_MEMORY], "neighbour memory",
				&nb->memory, &nb->frames))
			return false;
		total += nb->memory;
		if (total > s->host.memory)
			return fail(
			    c, ks.val[NB_MEMORY],
			    "the neighbours' memory (%s so far) "
			    "exceeds host.memory %s",
			    xb_format_size(total, b1, sizeof(b1)),
			    xb_format_size(s->host.memory, b2, sizeof(b2)));
		if (ks.val[NB_CHURN] && !parse_churn(c, ks.val[NB_CHURN], nb))
			return false;
		nb->pnode = -1;
		if (ks.val[NB_PNODE]) {
			unsigned pn = 0;

			if (!get_pnode(c, ks.val[NB_PNODE], "neighbour pnode",
				       &pn))
				return false;
			nb->pnode = (int)pn;
		}
	}
	return true;
}

enum { HOST_MEMORY, HOST_NEIGHBOURS, HOST_NODES };
static const char *const host_keys[] = {"memory", "neighbours", "nodes", NULL};

static bool parse_host(struct ctx *c, const struct ynode *m)
{
	struct xb_scenario *s = c->s;
	struct keyset ks = {.keys = host_keys};

	if (!map(c, m, "host") || !read_keys(c, m, "host", &ks) ||
	    !require(c, m, &ks, HOST_MEMORY, "host"))
		return false;
	s->host.memory_pos = ks.val[HOST_MEMORY]->pos;
	if (!get_frames(c, ks.val[HOST_MEMORY], "host.memory", &s->host.memory,
			&s->host.frames))
		return false;
	/* Nodes first: neighbours name them. */
	if (ks.val[HOST_NODES] &&
	    !parse_nodes(c, ks.val[HOST_NODES], "host.nodes", false,
			 s->host.memory, "host.memory", XB_FRAME_BYTES,
			 s->host.nodes, &s->host.nr_nodes))
		return false;
	if (ks.val[HOST_NEIGHBOURS])
		return parse_neighbours(c, ks.val[HOST_NEIGHBOURS]);
	return true;
}

/* ---- guest ----------------------------------------------------------- */

enum {
	G_TYPE,
	G_MEMORY,
	G_MAXMEM,
	G_BOOT_EXTENT,
	G_MEMOP_MAX_ORDER,
	G_THP,
	G_THP_DEFRAG,
	G_MIN_FREE_KBYTES,
	G_WMARK_SCALE,
	G_WMARK_BOOST,
	G_KERNEL_RESERVED,
	G_VNUMA,
	G_PAGEBLOCK_ORDER,
};
static const char *const guest_keys[] = {"type",
					 "memory",
					 "maxmem",
					 "boot_extent",
					 "memop_max_order",
					 "thp",
					 "thp_defrag",
					 "min_free_kbytes",
					 "watermark_scale_factor",
					 "watermark_boost_factor",
					 "kernel_reserved",
					 "vnuma",
					 "pageblock_order",
					 NULL};
/* Indexed by enum xb_guest_type; the spelling of xb_guest_type_name(). */
static const char *const guest_types[XB_GUEST_NR_TYPES] = {
    [XB_GUEST_PV] = "pv", [XB_GUEST_HVM] = "hvm", [XB_GUEST_PVH] = "pvh"};

/*
 * The guest kernel's memory-management settings. Defaults are Debian 12's
 * (linux-image-6.1.0-*-amd64: CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y, the
 * kernel's defrag default `madvise`, watermark_scale_factor 10,
 * watermark_boost_factor 15000, min_free_kbytes computed at boot).
 */
static bool parse_guest_mm(struct ctx *c, const struct keyset *ks)
{
	struct xb_guest *g = &c->s->guest;
	uint64_t v, bytes, frames;
	int e;

	g->thp = XB_THP_ALWAYS;
	g->thp_defrag = XB_THP_DEFRAG_MADVISE;
	g->watermark_scale_factor = XB_WATERMARK_SCALE_FACTOR_DEFAULT;
	g->watermark_boost_factor = XB_WATERMARK_BOOST_FACTOR_DEFAULT;
	g->kernel_reserved = xb_kernel_reserved_default(g->frames);
	if (ks->val[G_THP]) {
		if (!get_enum(c, ks->val[G_THP], "guest.thp", xb_thp_mode_names,
			      XB_THP_NR, "always, madvise or never", &e))
			return false;
		g->thp = (enum xb_thp_mode)e;
	}
	/* pageblock_order: a kernel with huge pages has HPAGE_PMD_ORDER; one
	 * without (user-mode Linux) MAX_ORDER - 1 and no THP
	 * (set_pageblock_order()). */
	g->pageblock_order = XB_PAGEBLOCK_ORDER_DEFAULT;
	if (ks->val[G_PAGEBLOCK_ORDER]) {
		if (!get_uint(c, ks->val[G_PAGEBLOCK_ORDER],
			      "guest.pageblock_order", XB_HPAGE_ORDER,
			      XB_PAGEBLOCK_ORDER_MAX, &v))
			return false;
		g->pageblock_order = (unsigned)v;
		if (v != XB_HPAGE_ORDER && g->thp != XB_THP_NEVER)
			return fail(c, ks->val[G_PAGEBLOCK_ORDER],
				    "guest.pageblock_order %u is a kernel "
				    "without huge pages: guest.thp must be "
				    "never",
				    (unsigned)v);
	}
	if (ks->val[G_THP_DEFRAG]) {
		if (!get_enum(c, ks->val[G_THP_DEFRAG], "guest.thp_defrag",
			      xb_thp_defrag_names, XB_THP_DEFRAG_NR,
			      "always, defer, defer+madvise, madvise or never",
			      &e))
			return false;
		g->thp_defrag = (enum xb_thp_defrag)e;
	}
	/* vm.min_free_kbytes: at most a quarter of the boot memory, so the
	 * guest keeps memory to run in. */
	if (ks->val[G_MIN_FREE_KBYTES]) {
		if (!get_uint(c, ks->val[G_MIN_FREE_KBYTES],
			      "guest.min_free_kbytes", 128,
			      g->frames > 128 ? g->frames : 128, &v))
			return false;
		g->min_free_kbytes = v;
	}
	/* vm.watermark_scale_factor: 1..3000, as the sysctl accepts. */
	if (ks->val[G_WMARK_SCALE]) {
		if (!get_uint(c, ks->val[G_WMARK_SCALE],
			      "guest.watermark_scale_factor", 1, 3000, &v))
			return false;
		g->watermark_scale_factor = (unsigned)v;
	}
	/* vm.watermark_boost_factor: 0 (off) and up; the boost is capped by
	 * it as a fraction of the high mark, so 10x the high mark is
	 * already more than a guest can reclaim. */
	if (ks->val[G_WMARK_BOOST]) {
		if (!get_uint(c, ks->val[G_WMARK_BOOST],
			      "guest.watermark_boost_factor", 0, 100000, &v))
			return false;
		g->watermark_boost_factor = (unsigned)v;
	}
	if (ks->val[G_KERNEL_RESERVED]) {
		const struct ynode *n = ks->val[G_KERNEL_RESERVED];
		char b1[SZ], b2[SZ];

		if (!get_size(c, n, "guest.kernel_reserved", &bytes))
			return false;
		if (bytes % XB_FRAME_BYTES)
			return fail(c, n,
				    "guest.kernel_reserved must be whole "
				    "frames of 4KiB");
		frames = bytes / XB_FRAME_BYTES;
		if (frames > g->frames / 2)
			return fail(c, n,
				    "guest.kernel_reserved %s is more than "
				    "half of guest.memory %s",
				    xb_format_size(bytes, b1, sizeof(b1)),
				    xb_format_size(g->memory, b2, sizeof(b2)));
		g->kernel_reserved = frames;
	}
	return true;
}

static bool parse_guest(struct ctx *c, const struct ynode *m)
{
	struct xb_scenario *s = c->s;
	struct xb_guest *g = &s->guest;
	struct keyset ks = {.keys = guest_keys};
	const struct ynode *maxmem_node;
	uint64_t neighbours = 0, order, extent;
	char b1[SZ], b2[SZ], b3[SZ];
	int type;

	if (!map(c, m, "guest") || !read_keys(c, m, "guest", &ks) ||
	    !require(c, m, &ks, G_MEMORY, "guest"))
		return false;
	g->pos = m->pos;
	g->type = XB_GUEST_HVM;
	if (ks.val[G_TYPE]) {
		if (!get_enum(c, ks.val[G_TYPE], "guest type", guest_types,
			      XB_GUEST_NR_TYPES, "hvm, pvh or pv", &type))
			return false;
		g->type = (enum xb_guest_type)type;
	}
	if (!get_frames(c, ks.val[G_MEMORY], "guest.memory", &g->memory,
			&g->frames))
		return false;
	maxmem_node = ks.val[G_MAXMEM] ? ks.val[G_MAXMEM] : ks.val[G_MEMORY];
	g->maxmem_pos = maxmem_node->pos;
	if (ks.val[G_MAXMEM]) {
		if (!get_frames(c, ks.val[G_MAXMEM], "guest.maxmem", &g->maxmem,
				&g->max_frames))
			return false;
		if (g->memory > g->maxmem)
			return fail(c, ks.val[G_MEMORY],
				    "guest.memory %s is larger than "
				    "guest.maxmem %s",
				    xb_format_size(g->memory, b1, sizeof(b1)),
				    xb_format_size(g->maxmem, b2, sizeof(b2)));
	} else {
		g->maxmem = g->memory;
		g->max_frames = g->frames;
	}
	if (g->maxmem > s->host.memory)
		return fail(c, maxmem_node,
			    "guest.maxmem %s is larger than host.memory %s",
			    xb_format_size(g->maxmem, b1, sizeof(b1)),
			    xb_format_size(s->host.memory, b2, sizeof(b2)));
	for (size_t i = 0; i < s->host.nr_neighbours; i++)
		neighbours += s->host.neighbours[i].memory;
	if (g->memory + neighbours > s->host.memory)
		return fail(c, ks.val[G_MEMORY],
			    "guest.memory %s plus the neighbours' %s exceed "
			    "host.memory %s",
			    xb_format_size(g->memory, b1, sizeof(b1)),
			    xb_format_size(neighbours, b2, sizeof(b2)),
			    xb_format_size(s->host.memory, b3, sizeof(b3)));
	g->boot_order = XB_HPAGE_ORDER;
	if (ks.val[G_BOOT_EXTENT]) {
		if (!get_size(c, ks.val[G_BOOT_EXTENT], "guest.boot_extent",
			      &extent))
			return false;
		if (extent == 2ull << 20)
			g->boot_order = 9;
		else if (extent == XB_FRAME_BYTES)
			g->boot_order = 0;
		else
			return fail(c, ks.val[G_BOOT_EXTENT],
				    "guest.boot_extent must be 2MiB or 4KiB");
	}
	g->memop_max_order = 9;
	if (ks.val[G_MEMOP_MAX_ORDER]) {
		if (!get_uint(c, ks.val[G_MEMOP_MAX_ORDER],
			      "guest.memop_max_order", 0, XB_MAX_ORDER - 1,
			      &order))
			return false;
		g->memop_max_order = (unsigned)order;
	}
	if (ks.val[G_VNUMA] &&
	    !parse_nodes(c, ks.val[G_VNUMA], "guest.vnuma", true, g->maxmem,
			 "guest.maxmem", 4ull << 20, g->vnodes, &g->nr_vnodes))
		return false;
	return parse_guest_mm(c, &ks);
}

/* ---- driver ---------------------------------------------------------- */

static bool parse_driver(struct ctx *c, const struct ynode *m)
{
	struct xb_scenario *s = c->s;
	const struct ynode *policy = NULL;

	if (!map(c, m, "driver"))
		return false;
	s->driver.policy_pos = m->pos;
	s->driver.knobs = g_new0(struct xb_knob, m->nr / 2 + 1);
	for (uint32_t i = 0; i < m->nr; i += 2) {
		const struct ynode *k = m->kids[i], *v = m->kids[i + 1];

		if (!strcmp(k->str, "policy")) {
			if (policy)
				return fail(c, k,
					    "duplicate key 'policy' in driver "
					    "(first at %u:%u)",
					    policy->pos.line, policy->pos.col);
			policy = k;
			g_free(s->driver.policy);
			s->driver.policy = NULL;
			if (!get_name(c, v, "driver.policy", false,
				      &s->driver.policy))
				return false;
			s->driver.policy_pos = v->pos;
			continue;
		}
		for (size_t j = 0; j < s->driver.nr_knobs; j++)
			if (!strcmp(s->driver.knobs[j].key, k->str))
				return fail(c, k,
					    "duplicate key '%s' in driver",
					    clip(c, k->str));
		if (!*k->str)
			return fail(c, k, "a driver knob needs a name");
		if (v->type != YNODE_SCALAR)
			return fail(c, v,
				    "driver.%s must be a single value, not %s",
				    clip(c, k->str), type_name(v));
		s->driver.knobs[s->driver.nr_knobs++] = (struct xb_knob){
		    .key = g_strdup(k->str),
		    .value = g_strdup(v->str),
		    .pos = v->pos,
		};
	}
	return true;
}

/* ---- timeline -------------------------------------------------------- */

/* In enum xb_fault_op's order, which is enum xb_mock_op's. */
static const char *const fault_op_names[] = {"populate", "decrease", "exchange",
					     "relocate", "add_to_physmap"};
static const char *const event_names[] = {"workload", "target",	     "compact",
					  "stop",     "foreign_map", "fault"};

static struct xb_scn_workload *new_workload(struct ctx *c)
{
	struct xb_scenario *s = c->s;

	if (s->nr_workloads == c->cap_workloads) {
		c->cap_workloads = c->cap_workloads ? c->cap_workloads * 2 : 8;
		s->workloads = g_renew(struct xb_scn_workload, s->workloads,
				       c->cap_workloads);
	}
	memset(&s->workloads[s->nr_workloads], 0,
	       sizeof(struct xb_scn_workload));
	return &s->workloads[s->nr_workloads++];
}

/* A guest memory amount named by an event: frames, at most maxmem. */
static bool get_guest_frames(struct ctx *c, const struct ynode *n,
			     const char *what, uint64_t *bytes,
			     uint64_t *frames)
{
	char b1[SZ], b2[SZ];

	if (!get_frames(c, n, what, bytes, frames))
		return false;
	if (*bytes > c->s->guest.maxmem)
		return fail(c, n, "%s %s is above guest.maxmem %s", what,
			    xb_format_size(*bytes, b1, sizeof(b1)),
			    xb_format_size(c->s->guest.maxmem, b2, sizeof(b2)));
	return true;
}

enum { W_NAME, W_KIND, W_SIZE, W_RAMP, W_CHURN, W_LIFETIME, W_FREE, W_NODE };
static const char *const workload_keys[] = {
    "name", "kind", "size", "ramp", "churn", "lifetime", "free", "node", NULL};

/* A workload's node: one of the guest's vnodes. */
static bool get_vnode(struct ctx *c, const struct ynode *n, const char *what,
		      int *vnode)
{
	unsigned nr = c->s->guest.nr_vnodes;
	uint64_t v;

	if (!get_uint(c, n, what, 0, XB_MAX_NODES - 1, &v))
		return false;
	/* A guest without vnuma is one node, 0, as Linux without NUMA. */
	if (v >= (nr ? nr : 1))
		return fail(c, n, "%s %llu is not a guest node (%s)", what,
			    (unsigned long long)v,
			    nr ? "see guest.vnuma"
			       : "the guest has no vnuma: its one node is 0");
	*vnode = (int)v;
	return true;
}

static bool parse_workload(struct ctx *c, const struct ynode *m,
			   struct xb_event *ev)
{
	struct keyset ks = {.keys = workload_keys};
	struct xb_scn_workload *w;
	gpointer prev;
	int kind;

	if (!map(c, m, "workload") || !read_keys(c, m, "workload", &ks) ||
	    !require(c, m, &ks, W_NAME, "workload") ||
	    !require(c, m, &ks, W_KIND, "workload") ||
	    !require(c, m, &ks, W_SIZE, "workload"))
		return false;
	w = new_workload(c);
	w->pos = w->churn_pos = m->pos;
	w->start_event = c->s->nr_events - 1;
	w->stop_event = -1;
	w->lifetime = XB_NS_FOREVER;
	w->node = -1;
	if (!get_name(c, ks.val[W_NAME], "workload name", true, &w->name))
		return false;
	prev = g_hash_table_lookup(c->workload_names, w->name);
	if (prev) {
		const struct xb_scn_workload *p =
		    &c->s->workloads[GPOINTER_TO_SIZE(prev) - 1];

		return fail(c, ks.val[W_NAME],
			    "duplicate workload name '%s' (first at %u:%u)",
			    w->name, p->pos.line, p->pos.col);
	}
	g_hash_table_insert(c->workload_names, w->name,
			    GSIZE_TO_POINTER(c->s->nr_workloads));
	ev->workload = c->s->nr_workloads - 1;
	if (!get_enum(c, ks.val[W_KIND], "workload kind",
		      xb_workload_kind_names, XB_WL_NR_KINDS,
		      "anon, thp, pagecache, slab, kernel or fragmenter",
		      &kind))
		return false;
	w->kind = (enum xb_workload_kind)kind;
	/* What each kind takes: a fragmenter is one pattern applied once; the
	 * others grow, churn and may end by themselves. */
	for (int k = W_RAMP; k <= W_FREE; k++) {
		bool takes = (k == W_FREE) == (w->kind == XB_WL_FRAGMENTER);

		if (ks.val[k] && !takes)
			return fail(c, ks.key[k],
				    "a workload of kind %s does not take '%s'",
				    xb_workload_kind_names[kind],
				    workload_keys[k]);
	}
	if (!get_guest_frames(c, ks.val[W_SIZE], "workload size", &w->size,
			      &w->frames))
		return false;
	if (w->kind == XB_WL_FRAGMENTER && w->size % (2ull << 20))
		return fail(c, ks.val[W_SIZE],
			    "a fragmenter's size must be a multiple of 2MiB");
	if (ks.val[W_RAMP] &&
	    !get_time(c, ks.val[W_RAMP], "workload ramp", &w->ramp))
		return false;
	if (ks.val[W_CHURN]) {
		w->churn_pos = ks.val[W_CHURN]->pos;
		if (!get_rate(c, ks.val[W_CHURN], "workload churn",
			      &w->churn_ppm_s))
			return false;
	}
	if (ks.val[W_LIFETIME] &&
	    !get_positive_time(c, ks.val[W_LIFETIME], "workload lifetime",
			       &w->lifetime))
		return false;
	if (ks.val[W_NODE] &&
	    !get_vnode(c, ks.val[W_NODE], "workload node", &w->node))
		return false;
	if (w->kind == XB_WL_FRAGMENTER) {
		w->free_ppm = XB_PPM / 4 * 3;
		if (ks.val[W_FREE] && !get_share(c, ks.val[W_FREE],
						 "workload free", &w->free_ppm))
			return false;
	}
	return true;
}

static bool parse_stop(struct ctx *c, const struct ynode *n,
		       struct xb_event *ev)
{
	const char *name = scalar(c, n, "stop");
	struct xb_scn_workload *w;
	gpointer idx;
	char buf[SZ];

	if (!name)
		return false;
	idx = g_hash_table_lookup(c->workload_names, name);
	if (!idx)
		return fail(c, n,
			    "stop: no workload named '%s' was started before",
			    clip(c, name));
	ev->workload = GPOINTER_TO_SIZE(idx) - 1;
	w = &c->s->workloads[ev->workload];
	if (w->stop_event >= 0)
		return fail(c, n, "workload '%s' is already stopped (at %u:%u)",
			    name, c->s->events[w->stop_event].pos.line,
			    c->s->events[w->stop_event].pos.col);
	if (w->lifetime != XB_NS_FOREVER &&
	    c->s->events[w->start_event].at + w->lifetime <= ev->at)
		return fail(c, n,
			    "workload '%s' already ended at %s "
			    "(its lifetime)",
			    name,
			    xb_format_time(c->s->events[w->start_event].at +
					       w->lifetime,
					   buf, sizeof(buf)));
	w->stop_event = (long)(c->s->nr_events - 1);
	return true;
}

static bool parse_compact(struct ctx *c, const struct ynode *n,
			  struct xb_event *ev)
{
	const char *s = scalar(c, n, "compact"), *why;
	uint64_t order;

	if (!s)
		return false;
	if (!strcmp(s, "full")) {
		ev->compact_order = XB_COMPACT_FULL;
		return true;
	}
	if (strncmp(s, "order:", 6) ||
	    xb_parse_uint(s + 6, XB_MAX_ORDER - 1, &order, &why))
		return fail(c, n,
			    "compact '%s' must be full or order:N with N "
			    "0..%d",
			    clip(c, s), XB_MAX_ORDER - 1);
	ev->compact_order = (int)order;
	return true;
}

enum { F_OP, F_RATE, F_CALL, F_AT_EXTENT, F_FOR };
static const char *const fault_keys[] = {"op",	      "rate", "call",
					 "at_extent", "for",  NULL};

static bool parse_fault(struct ctx *c, const struct ynode *m,
			struct xb_event *ev)
{
	struct xb_fault *f = &ev->fault;
	struct keyset ks = {.keys = fault_keys};
	int op;

	if (!map(c, m, "fault") || !read_keys(c, m, "fault", &ks) ||
	    !require(c, m, &ks, F_OP, "fault"))
		return false;
	if (!get_enum(c, ks.val[F_OP], "fault op", fault_op_names,
		      XB_FAULT_NR_OPS,
		      "populate, decrease, exchange, add_to_physmap or "
		      "relocate",
		      &op))
		return false;
	f->op = (enum xb_fault_op)op;
	if (!ks.val[F_RATE] && !ks.val[F_CALL])
		return fail(c, m, "fault needs 'rate' or 'call'");
	if (ks.val[F_RATE] && ks.val[F_CALL])
		return fail(c, ks.key[F_CALL],
			    "fault takes 'rate' or 'call', not both");
	if (ks.val[F_RATE] &&
	    !get_share(c, ks.val[F_RATE], "fault rate", &f->rate_ppm))
		return false;
	if (ks.val[F_CALL] &&
	    !get_uint(c, ks.val[F_CALL], "fault call", 1, UINT32_MAX, &f->call))
		return false;
	if (ks.val[F_AT_EXTENT] &&
	    !get_uint(c, ks.val[F_AT_EXTENT], "fault at_extent", 0, UINT32_MAX,
		      &f->at_extent))
		return false;
	f->duration = XB_NS_FOREVER;
	if (ks.val[F_FOR] &&
	    !get_positive_time(c, ks.val[F_FOR], "fault for", &f->duration))
		return false;
	return true;
}

static bool parse_action(struct ctx *c, const struct ynode *v,
			 struct xb_event *ev)
{
	switch (ev->type) {
	case XB_EV_WORKLOAD:
		return parse_workload(c, v, ev);
	case XB_EV_TARGET:
		return get_guest_frames(c, v, "target", &ev->size.bytes,
					&ev->size.frames);
	case XB_EV_COMPACT:
		return parse_compact(c, v, ev);
	case XB_EV_STOP:
		return parse_stop(c, v, ev);
	case XB_EV_FOREIGN_MAP:
		return get_guest_frames(c, v, "foreign_map", &ev->size.bytes,
					&ev->size.frames);
	case XB_EV_FAULT:
		return parse_fault(c, v, ev);
	default:
		return false;
	}
}

static bool parse_event(struct ctx *c, const struct ynode *m)
{
	struct xb_scenario *s = c->s;
	const struct ynode *at = NULL, *act_key = NULL, *act = NULL;
	struct xb_event *ev, *prev;
	char b1[SZ], b2[SZ];
	int type = -1;

	if (!map(c, m, "an event"))
		return false;
	for (uint32_t i = 0; i < m->nr; i += 2) {
		const struct ynode *k = m->kids[i];
		int t = -1;

		if (!strcmp(k->str, "at")) {
			if (at)
				return fail(c, k,
					    "duplicate key 'at' in event "
					    "(first at %u:%u)",
					    at->pos.line, at->pos.col);
			at = m->kids[i + 1];
			continue;
		}
		for (int j = 0; j < XB_EV_NR_TYPES; j++)
			if (!strcmp(k->str, event_names[j]))
				t = j;
		if (t < 0)
			return fail(c, k,
				    "unknown key '%s' in event (expected at "
				    "and one of workload, target, compact, "
				    "stop, foreign_map, fault)",
				    clip(c, k->str));
		if (act_key)
			return fail(c, k,
				    "event has two actions, '%s' and '%s'; "
				    "give one per event",
				    act_key->str, k->str);
		act_key = k;
		act = m->kids[i + 1];
		type = t;
	}
	if (!at)
		return fail(c, m, "event has no 'at' (required)");
	if (!act_key)
		return fail(c, m,
			    "event has no action (give one of workload, "
			    "target, compact, stop, foreign_map, fault)");
	if (s->nr_events == c->cap_events) {
		c->cap_events = c->cap_events ? c->cap_events * 2 : 16;
		s->events = g_renew(struct xb_event, s->events, c->cap_events);
	}
	ev = &s->events[s->nr_events++];
	memset(ev, 0, sizeof(*ev));
	ev->pos = m->pos;
	ev->type = (enum xb_event_type)type;
	if (!get_time(c, at, "at", &ev->at))
		return false;
	prev = s->nr_events > 1 ? ev - 1 : NULL;
	if (prev && ev->at < prev->at)
		return fail(c, at,
			    "event at %s comes before the previous event at "
			    "%s; events must be in time order",
			    xb_format_time(ev->at, b1, sizeof(b1)),
			    xb_format_time(prev->at, b2, sizeof(b2)));
	return parse_action(c, act, ev);
}

static bool parse_timeline(struct ctx *c, const struct ynode *sq)
{
	if (!seq(c, sq, "timeline"))
		return false;
	for (uint32_t i = 0; i < sq->nr; i++)
		if (!parse_event(c, sq->kids[i]))
			return false;
	return true;
}

/* ---- the file -------------------------------------------------------- */

enum {
	R_NAME,
	R_DESCRIPTION,
	R_SEED,
	R_DURATION,
	R_SAMPLE,
	R_HOST,
	R_GUEST,
	R_DRIVER,
	R_TIMELINE,
};
static const char *const root_keys[] = {
    "name", "description", "seed",   "duration", "sample",
    "host", "guest",	   "driver", "timeline", NULL};

static bool parse_root(struct ctx *c, const struct ynode *root)
{
	struct xb_scenario *s = c->s;
	struct keyset ks = {.keys = root_keys};
	const char *desc;
	char b1[SZ], b2[SZ];

	if (root->type != YNODE_MAP)
		return fail(c, root,
			    "the top level must be a mapping (name, "
			    "host, guest, ...)");
	if (!read_keys(c, root, "the top level", &ks) ||
	    !require(c, root, &ks, R_NAME, "the scenario") ||
	    !require(c, root, &ks, R_HOST, "the scenario") ||
	    !require(c, root, &ks, R_GUEST, "the scenario"))
		return false;
	if (!get_name(c, ks.val[R_NAME], "name", false, &s->name))
		return false;
	if (ks.val[R_DESCRIPTION]) {
		desc = scalar(c, ks.val[R_DESCRIPTION], "description");
		if (!desc)
			return false;
		s->description = g_strdup(desc);
	}
	s->seed = 1;
	if (ks.val[R_SEED] &&
	    !get_uint(c, ks.val[R_SEED], "seed", 0, UINT64_MAX, &s->seed))
		return false;
	s->sample_pos = s->duration_pos = root->pos;
	if (ks.val[R_DURATION]) {
		s->duration_pos = ks.val[R_DURATION]->pos;
		if (!get_time(c, ks.val[R_DURATION], "duration", &s->duration))
			return false;
		s->duration_given = true;
	}
	s->sample = XB_NS_PER_S;
	if (ks.val[R_SAMPLE]) {
		s->sample_pos = ks.val[R_SAMPLE]->pos;
		if (!get_min_time(c, ks.val[R_SAMPLE], "sample", XB_MIN_SAMPLE,
				  &s->sample))
			return false;
	}
	if (!parse_host(c, ks.val[R_HOST]) || !parse_guest(c, ks.val[R_GUEST]))
		return false;
	if (ks.val[R_DRIVER] && !parse_driver(c, ks.val[R_DRIVER]))
		return false;
	if (!s->driver.policy)
		s->driver.policy = g_strdup("linux");
	if (ks.val[R_TIMELINE] && !parse_timeline(c, ks.val[R_TIMELINE]))
		return false;

	if (!s->duration_given) {
		s->duration = s->nr_events ? s->events[s->nr_events - 1].at : 0;
	} else {
		for (size_t i = 0; i < s->nr_events; i++) {
			const struct xb_event *ev = &s->events[i];

			if (ev->at <= s->duration)
				continue;
			xb__scn_error(
			    c->error, XB_ERROR_INVALID, c->path, ev->pos,
			    "event at %s is after the end of the run "
			    "(duration %s)",
			    xb_format_time(ev->at, b1, sizeof(b1)),
			    xb_format_time(s->duration, b2, sizeof(b2)));
			return false;
		}
	}
	if (s->duration / s->sample > XB_SCENARIO_MAX_SAMPLES)
		return fail(c,
			    ks.val[R_SAMPLE]	 ? ks.val[R_SAMPLE]
			    : ks.val[R_DURATION] ? ks.val[R_DURATION]
						 : root,
			    "sample %s over a duration of %s makes more than "
			    "%llu samples",
			    xb_format_time(s->sample, b1, sizeof(b1)),
			    xb_format_time(s->duration, b2, sizeof(b2)),
			    XB_SCENARIO_MAX_SAMPLES);
	return true;
}

struct xb_scenario *xb_scenario_load(const char *path, GError **error)
{
	struct ynode *root = xb__ytree_load(path, error);
	struct ctx c = {.path = path, .error = error};
	bool ok;

	if (!root)
		return NULL;
	c.s = g_new0(struct xb_scenario, 1);
	c.s->path = g_strdup(path);
	c.workload_names = g_hash_table_new(g_str_hash, g_str_equal);
	ok = parse_root(&c, root);
	g_hash_table_destroy(c.workload_names);
	xb__ytree_free(root);
	if (!ok) {
		xb_scenario_free(c.s);
		return NULL;
	}
	return c.s;
}

void xb_scenario_free(struct xb_scenario *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->host.nr_neighbours; i++)
		g_free(s->host.neighbours[i].name);
	g_free(s->host.neighbours);
	for (size_t i = 0; i < s->driver.nr_knobs; i++) {
		g_free(s->driver.knobs[i].key);
		g_free(s->driver.knobs[i].value);
	}
	g_free(s->driver.knobs);
	g_free(s->driver.policy);
	for (size_t i = 0; i < s->nr_workloads; i++)
		g_free(s->workloads[i].name);
	g_free(s->workloads);
	g_free(s->events);
	g_free(s->description);
	g_free(s->name);
	g_free(s->path);
	g_free(s);
}

/* ---- after loading --------------------------------------------------- */

void xb_scenario_set_error(const struct xb_scenario *s, struct xb_scn_pos pos,
			   GError **error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xb__scn_verror(error, XB_ERROR_INVALID, s->path, pos, fmt, ap);
	va_end(ap);
}

bool xb_scenario_check_policy(const struct xb_scenario *s,
			      const struct xb_policy_check *pc,
			      const char *policy, GError **error)
{
	struct xb_scn_pos pos = s->driver.policy_pos;

	if (!policy) {
		policy = s->driver.policy;
		if (!pos.line)
			pos = (struct xb_scn_pos){1, 1};
		if (!pc->policy_exists(policy)) {
			xb_scenario_set_error(s, pos, error,
					      "unknown policy '%s'", policy);
			return false;
		}
	} else if (!pc->policy_exists(policy)) {
		/* A --policy override has no place in the file: the error
		 * is about the command line. */
		g_set_error(error, XB_ERROR, XB_ERROR_INVALID,
			    "--policy: unknown policy '%s'", policy);
		return false;
	}
	for (size_t i = 0; i < s->driver.nr_knobs; i++) {
		const struct xb_knob *k = &s->driver.knobs[i];
		char *why = NULL;

		char key[XB__CLIP_BYTES];

		if (pc->check_knob(policy, k->key, k->value, &why))
			continue;
		/* The reason may quote a 64 KiB value: keep the line short. */
		if (why && g_utf8_strlen(why, -1) > 160) {
			char *cut = g_utf8_substring(why, 0, 157);

			g_free(why);
			why = g_strconcat(cut, "...", NULL);
			g_free(cut);
		}
		xb_scenario_set_error(s, k->pos, error, "driver.%s: %s",
				      xb__clip(key, k->key),
				      why ? why : "not accepted by the policy");
		g_free(why);
		return false;
	}
	return true;
}

uint64_t xb_scenario_metadata_bytes(const struct xb_scenario *s)
{
	/* Every count is below 2^32, so the sum cannot overflow. */
	uint64_t p2m = s->guest.max_frames;

	for (size_t i = 0; i < s->host.nr_neighbours; i++)
		p2m += s->host.neighbours[i].frames;
	return 16 * s->guest.max_frames + 16 * s->host.frames + 4 * p2m;
}

const char *xb_event_type_name(enum xb_event_type t)
{
	return (unsigned)t < XB_EV_NR_TYPES ? event_names[t] : "?";
}

const char *xb_fault_op_name(enum xb_fault_op op)
{
	return (unsigned)op < XB_FAULT_NR_OPS ? fault_op_names[op] : "?";
}
