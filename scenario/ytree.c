/*
 * YAML to tree: libyaml's event parser feeds a stack-based builder that
 * records each node's position and refuses what a scenario never needs
 * (aliases, tags, a second document, deep nesting, huge collections).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "scenario/ytree.h"
#include "xballoon/backend.h"
#include "xballoon/file.h"

const char *xb__clip(char buf[XB__CLIP_BYTES], const char *s)
{
	size_t n = strlen(s);

	if (n <= 40) {
		memcpy(buf, s, n + 1);
		return buf;
	}
	n = 40;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return buf;
}

char *xb_one_line(const char *msg)
{
	GString *esc = g_string_sized_new(strlen(msg) + 16);

	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if (*p == '\n')
			g_string_append(esc, "\\n");
		else if (*p == '\t')
			g_string_append(esc, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			g_string_append_printf(esc, "\\x%02X", *p);
		else
			g_string_append_c(esc, (char)*p);
	}
	return g_string_free(esc, FALSE);
}

void xb__scn_verror(GError **error, int code, const char *path,
		    struct xb_scn_pos pos, const char *fmt, va_list ap)
{
	char *msg = g_strdup_vprintf(fmt, ap);
	/* A key or value may hold "\n" or other control characters (quoted
	 * scalars allow them); the error must stay one line. */
	char *esc = xb_one_line(msg);

	g_set_error(error, XB_ERROR, code, "%s:%u:%u: error: %s", path,
		    pos.line, pos.col, esc);
	g_free(esc);
	g_free(msg);
}

void xb__scn_error(GError **error, int code, const char *path,
		   struct xb_scn_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xb__scn_verror(error, code, path, pos, fmt, ap);
	va_end(ap);
}

void xb__ytree_free(struct ynode *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->nr; i++)
		xb__ytree_free(n->kids[i]);
	g_free(n->kids);
	g_free(n->str);
	g_free(n);
}

struct builder {
	const char *path;
	GError **error;
	struct ynode *root;
	/* Open collections; stack[depth - 1] receives the next node. */
	struct ynode *stack[XB_SCENARIO_MAX_DEPTH];
	int depth;
	uint32_t nodes;
	int docs;
};

static struct xb_scn_pos mark_pos(yaml_mark_t m)
{
	struct xb_scn_pos p = {(uint32_t)m.line + 1, (uint32_t)m.column + 1};

	return p;
}

static bool fail(struct builder *b, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct builder *b, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xb__scn_verror(b->error, XB_ERROR_INVALID, b->path, mark_pos(m), fmt,
		       ap);
	va_end(ap);
	return false;
}

/* Attach a new node where the document is being built; push collections. */
static struct ynode *add_node(struct builder *b, enum ynode_type type,
			      yaml_mark_t m)
{
	struct ynode *parent = b->depth ? b->stack[b->depth - 1] : NULL;
	struct ynode *n;

	if (++b->nodes > XB_SCENARIO_MAX_NODES) {
		fail(b, m, "more than %u YAML nodes in one file",
		     XB_SCENARIO_MAX_NODES);
		return NULL;
	}
	if (parent && parent->type == YNODE_MAP && parent->nr % 2 == 0 &&
	    type != YNODE_SCALAR) {
		fail(b, m, "mapping keys must be scalars");
		return NULL;
	}
	if (parent &&
	    (parent->type == YNODE_MAP ? parent->nr / 2 : parent->nr) >=
		XB_SCENARIO_MAX_ITEMS &&
	    (parent->type == YNODE_SEQ || parent->nr % 2 == 0)) {
		fail(b, m, "more than %u entries in one %s",
		     XB_SCENARIO_MAX_ITEMS,
		     parent->type == YNODE_MAP ? "mapping" : "sequence");
		return NULL;
	}
	if (type != YNODE_SCALAR && b->depth == XB_SCENARIO_MAX_DEPTH) {
		fail(b, m, "nested deeper than %d levels",
		     XB_SCENARIO_MAX_DEPTH);
		return NULL;
	}
	n = g_new0(struct ynode, 1);
	n->type = type;
	n->pos = mark_pos(m);
	if (!parent) {
		b->root = n;
	} else {
		if (parent->nr == parent->cap) {
			parent->cap = parent->cap ? parent->cap * 2 : 4;
			parent->kids =
			    g_renew(struct ynode *, parent->kids, parent->cap);
		}
		parent->kids[parent->nr++] = n;
	}
	if (type != YNODE_SCALAR)
		b->stack[b->depth++] = n;
	return n;
}

static bool fail_tag(struct builder *b, yaml_mark_t m, const yaml_char_t *tag)
{
	char buf[XB__CLIP_BYTES];

	return fail(b, m, "YAML tags (%s) are not supported",
		    xb__clip(buf, (const char *)tag));
}

static bool on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct ynode *n;

	if (ev->data.scalar.tag)
		return fail_tag(b, ev->start_mark, ev->data.scalar.tag);
	if (len > XB_SCENARIO_MAX_SCALAR)
		return fail(b, ev->start_mark, "a value longer than %u bytes",
			    XB_SCENARIO_MAX_SCALAR);
	if (memchr(v, '\0', len))
		return fail(b, ev->start_mark,
			    "a value contains a NUL character");
	n = add_node(b, YNODE_SCALAR, ev->start_mark);
	if (!n)
		return false;
	n->str = g_strndup(v, len);
	return true;
}

static bool on_event(struct builder *b, const yaml_event_t *ev)
{
	char buf[XB__CLIP_BYTES];

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1)
			return fail(b, ev->start_mark,
				    "only one YAML document per file");
		return true;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.tag)
			return fail_tag(b, ev->start_mark,
					ev->data.sequence_start.tag);
		return add_node(b, YNODE_SEQ, ev->start_mark) != NULL;
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.tag)
			return fail_tag(b, ev->start_mark,
					ev->data.mapping_start.tag);
		return add_node(b, YNODE_MAP, ev->start_mark) != NULL;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return true;
	case YAML_ALIAS_EVENT:
		/* Aliases let a few lines expand into gigabytes of nodes
		 * ("billion laughs"); a scenario never needs them. */
		return fail(b, ev->start_mark,
			    "YAML aliases (*%s) are not supported",
			    xb__clip(buf, (const char *)ev->data.alias.anchor));
	default:
		return true;
	}
}

/* libyaml reports reader errors (bad UTF-8, control characters) by byte
 * offset only; count lines and UTF-8 characters up to it. */
static struct xb_scn_pos offset_pos(int fd, size_t offset)
{
	struct xb_scn_pos p = {1, 1};
	unsigned char buf[4096];
	size_t done = 0;

	while (done < offset) {
		size_t want =
		    offset - done < sizeof(buf) ? offset - done : sizeof(buf);
		ssize_t got = pread(fd, buf, want, (off_t)done);

		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] == '\n') {
				p.line++;
				p.col = 1;
			} else if ((buf[i] & 0xc0) != 0x80) {
				p.col++;
			}
		}
		done += (size_t)got;
	}
	return p;
}

/* libyaml names the bad trailing byte of a UTF-8 sequence; point at the
 * sequence's leading byte instead, which is where the user must look. */
static size_t utf8_start(int fd, size_t offset)
{
	unsigned char c;

	for (int back = 0; back < 3 && offset > 0; back++) {
		if (pread(fd, &c, 1, (off_t)offset - 1) != 1)
			break;
		offset--;
		if ((c & 0xc0) != 0x80)
			break;
	}
	return offset;
}

static void reader_error(struct builder *b, yaml_parser_t *parser, int fd)
{
	const char *problem = parser->problem ? parser->problem : "unknown";
	size_t offset = parser->problem_offset;
	unsigned char c = 0;

	if (strstr(problem, "UTF-8")) {
		if (strstr(problem, "trailing"))
			offset = utf8_start(fd, offset);
		if (pread(fd, &c, 1, (off_t)offset) != 1)
			c = 0;
		xb__scn_error(b->error, XB_ERROR_INVALID, b->path,
			      offset_pos(fd, offset),
			      "not UTF-8 text: byte 0x%02X (%s)", c, problem);
	} else if (parser->problem_value != -1) {
		xb__scn_error(b->error, XB_ERROR_INVALID, b->path,
			      offset_pos(fd, offset),
			      "character U+%04X is not allowed (%s)",
			      (unsigned)parser->problem_value, problem);
	} else {
		xb__scn_error(b->error, XB_ERROR_INVALID, b->path,
			      offset_pos(fd, offset), "cannot read: %s",
			      problem);
	}
}

static void parser_error(struct builder *b, yaml_parser_t *parser, int fd)
{
	struct xb_scn_pos pos = mark_pos(parser->problem_mark);
	const char *problem = parser->problem ? parser->problem : "unknown";

	switch (parser->error) {
	case YAML_READER_ERROR:
		reader_error(b, parser, fd);
		break;
	case YAML_MEMORY_ERROR:
		xb__scn_error(b->error, XB_ERROR_INVALID, b->path, pos,
			      "out of memory while parsing");
		break;
	default:
		if (parser->context)
			xb__scn_error(b->error, XB_ERROR_INVALID, b->path, pos,
				      "YAML syntax error: %s (%s)", problem,
				      parser->context);
		else
			xb__scn_error(b->error, XB_ERROR_INVALID, b->path, pos,
				      "YAML syntax error: %s", problem);
		break;
	}
}

static const struct xb_scn_pos file_pos = {1, 1};

/* Open path as a regular file; -1 with *error set at FILE:1:1 otherwise. */
static int open_regular(const char *path, GError **error)
{
	GError *err = NULL;
	int fd = xb_open_regular(path, &err);

	if (fd < 0) {
		xb__scn_error(error, err->code, path, file_pos, "%s",
			      err->message);
		g_error_free(err);
	}
	return fd;
}

struct ynode *xb__ytree_load(const char *path, GError **error)
{
	struct builder b = {.path = path, .error = error};
	yaml_parser_t parser;
	yaml_event_t ev;
	bool ok = true, done = false;
	FILE *f;
	int fd = open_regular(path, error);

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "rb");
	if (!f) {
		xb__scn_error(error, XB_ERROR_IO, path, file_pos,
			      "cannot open: %s", g_strerror(errno));
		close(fd);
		return NULL;
	}
	if (!yaml_parser_initialize(&parser)) {
		xb__scn_error(error, XB_ERROR_IO, path, file_pos,
			      "cannot initialise the YAML parser");
		fclose(f);
		return NULL;
	}
	yaml_parser_set_input_file(&parser, f);
	while (ok && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(&b, &parser, fd);
			ok = false;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ok = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	if (ok && !b.root) {
		xb__scn_error(error, XB_ERROR_INVALID, path, file_pos,
			      "empty file: a scenario needs at least name, "
			      "host and guest");
		ok = false;
	}
	yaml_parser_delete(&parser);
	fclose(f);
	if (!ok) {
		xb__ytree_free(b.root);
		return NULL;
	}
	return b.root;
}
