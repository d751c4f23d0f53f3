/*
 * Large metadata arrays: anonymous, zero-filled, MAP_NORESERVE mappings, so
 * that the untouched parts of a 1 TiB guest's frame array cost no memory.
 */
#ifndef XBALLOON_MEM_H
#define XBALLOON_MEM_H

#include <stddef.h>

/* NULL (errno set) on failure. */
void *xb_map_zeroed(size_t bytes);
void xb_unmap(void *p, size_t bytes);

#endif
