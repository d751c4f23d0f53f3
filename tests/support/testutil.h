/*
 * Helpers shared by the tests: zones in known shapes, fixture data paths.
 */
#ifndef XB_TESTUTIL_H
#define XB_TESTUTIL_H

#include <stdint.h>

#include "xballoon/zone.h"

/* The exit status of a test program in which a test was skipped and none
 * failed (support/main.c); ctest's SKIP_RETURN_CODE. 77 is Automake's. */
#define XBT_EXIT_SKIPPED 77

/* A zone of nr_frames frames, all populated and free, watermarks set. */
struct xb_zone *xbt_zone_online(uint64_t nr_frames);
/* A zone whose watermarks are zero and whose per-CPU lists pass every
 * block straight through (the boot pageset), so exact-shape tests are bent
 * neither by the reserve nor by blocks waiting on the lists. */
struct xb_zone *xbt_zone_online_nowmark(uint64_t nr_frames);
/* The same for a zone already online (a zone over a range). */
void xbt_zone_nowmark(struct xb_zone *z);

/* Path of a file under the source tree (static buffer). */
const char *xbt_source_path(const char *rel);

/* The tests that run the xballoon binary (XB_BINARY) as a user would. */

/* Run xballoon with @args (NULL-terminated) in @cwd (NULL: the source
 * tree); its stdout into *@out and its stderr into *@err where not NULL
 * (g_free them). Fails the test if it cannot start; returns its exit
 * status, or -1 when it died of a signal. */
int xbt_xballoon(const char *cwd, const char *const *args, char **out,
		 char **err);
/* The whole of @dir/@name (g_free); fails the test if it cannot be read. */
char *xbt_slurp(const char *dir, const char *name);
/* Remove @path and everything below it. */
void xbt_rm_tree(const char *path);

#endif
