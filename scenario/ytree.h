/*
 * Internal to scenario/: a YAML document loaded through libyaml's event API
 * into a small tree of scalars, mappings and sequences with their positions,
 * refusing aliases, tags, deep nesting and oversized input on the way.
 */
#ifndef XB_SCENARIO_YTREE_H
#define XB_SCENARIO_YTREE_H

#include <glib.h>
#include <stdint.h>

#include "xballoon/scenario.h"

enum ynode_type {
	YNODE_SCALAR,
	YNODE_MAP,
	YNODE_SEQ,
};

/*
 * A node. A mapping's kids alternate key, value: kids[2i] is a scalar key,
 * kids[2i + 1] its value, so nr is even for a closed mapping.
 */
struct ynode {
	enum ynode_type type;
	struct xb_scn_pos pos;
	uint32_t nr;
	uint32_t cap;
	char *str; /* scalar: NUL-terminated, no NUL inside */
	struct ynode **kids;
};

/* Load the single document of path. On failure set a
 * "PATH:LINE:COL: error: ..." error and return NULL. */
struct ynode *xb__ytree_load(const char *path, GError **error);
void xb__ytree_free(struct ynode *n);

/* xb__clip(): copy at most 40 bytes of s (whole UTF-8 characters) into
 * buf, with "..." when cut, so an error never quotes 64 KiB of input. */
#define XB__CLIP_BYTES 48
const char *xb__clip(char buf[XB__CLIP_BYTES], const char *s);

/* Set *error to "PATH:LINE:COL: error: MESSAGE", with control characters
 * of MESSAGE escaped so that it stays one line. */
void xb__scn_error(GError **error, int code, const char *path,
		   struct xb_scn_pos pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void xb__scn_verror(GError **error, int code, const char *path,
		    struct xb_scn_pos pos, const char *fmt, va_list ap);

#endif
