/*
 * Test helpers: zones in known shapes, and running the xballoon binary.
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "support/testutil.h"
#include "xballoon/file.h"

struct xb_zone *xbt_zone_online(uint64_t nr_frames)
{
	struct xb_zone *z = xb_zone_create(nr_frames);

	if (!z)
		abort();
	xb_zone_online_all(z);
	return z;
}

void xbt_zone_nowmark(struct xb_zone *z)
{
	for (int i = 0; i < XB_WMARK_NR; i++)
		z->watermark[i] = 0;
	/* The boot pageset: every free reaches the buddy lists at once. */
	z->pcp.high = 0;
	z->pcp.batch = 1;
}

struct xb_zone *xbt_zone_online_nowmark(uint64_t nr_frames)
{
	struct xb_zone *z = xbt_zone_online(nr_frames);

	xbt_zone_nowmark(z);
	return z;
}

const char *xbt_source_path(const char *rel)
{
	static char buf[4096];
	const char *root = getenv("XB_SOURCE_DIR");

	snprintf(buf, sizeof(buf), "%s/%s", root ? root : XB_SOURCE_DIR, rel);
	return buf;
}

int xbt_xballoon(const char *cwd, const char *const *args, char **out,
		 char **err)
{
	GPtrArray *argv = g_ptr_array_new();
	GError *error = NULL;
	char *o = NULL, *e = NULL;
	int status = 0;
	bool ok;

	g_ptr_array_add(argv, (char *)XB_BINARY);
	for (; *args; args++)
		g_ptr_array_add(argv, (char *)*args);
	g_ptr_array_add(argv, NULL);
	ok = g_spawn_sync(cwd ? cwd : xbt_source_path(""), (char **)argv->pdata,
			  NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status,
			  &error);
	g_ptr_array_free(argv, TRUE);
	cr_assert(ok, "cannot run %s: %s", XB_BINARY,
		  error ? error->message : "?");
	if (out)
		*out = o;
	else
		g_free(o);
	if (err)
		*err = e;
	else
		g_free(e);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *xbt_slurp(const char *dir, const char *name)
{
	char *path = g_build_filename(dir, name, NULL);
	char *text = NULL;

	cr_assert(g_file_get_contents(path, &text, NULL, NULL), "no %s", path);
	g_free(path);
	return text;
}

void xbt_rm_tree(const char *path)
{
	xb_rm_tree(path);
}
