/*
 * Lazily backed zero-filled mappings for the dense metadata arrays.
 */
#include <sys/mman.h>

#include "xballoon/mem.h"

void *xb_map_zeroed(size_t bytes)
{
	if (bytes == 0)
		bytes = 1;
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void xb_unmap(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes ? bytes : 1);
}
