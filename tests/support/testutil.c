/*
 * Test helpers: zones in known shapes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "support/testutil.h"

struct xb_zone *xbt_zone_online(uint64_t nr_frames)
{
	struct xb_zone *z = xb_zone_create(nr_frames);

	if (!z)
		abort();
	xb_zone_online_all(z);
	return z;
}

struct xb_zone *xbt_zone_online_nowmark(uint64_t nr_frames)
{
	struct xb_zone *z = xbt_zone_online(nr_frames);

	for (int i = 0; i < XB_WMARK_NR; i++)
		z->watermark[i] = 0;
	/* The boot pageset: every free reaches the buddy lists at once. */
	z->pcp.high = 0;
	z->pcp.batch = 1;
	return z;
}

const char *xbt_source_path(const char *rel)
{
	static char buf[4096];
	const char *root = getenv("XB_SOURCE_DIR");

	snprintf(buf, sizeof(buf), "%s/%s", root ? root : XB_SOURCE_DIR, rel);
	return buf;
}
