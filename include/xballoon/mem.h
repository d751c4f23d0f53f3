/*
 * Large metadata arrays: anonymous, zero-filled, MAP_NORESERVE mappings, so
 * that the untouched parts of a 1 TiB guest's frame array cost no memory.
 */
#ifndef XBALLOON_MEM_H
#define XBALLOON_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NULL (errno set) on failure. */
void *xb_map_zeroed(size_t bytes);
void xb_unmap(void *p, size_t bytes);

/*
 * xb_mem_unbacked() - which 4 KiB pages of [addr, addr + bytes) the kernel
 * never backed: neither present nor swapped out (/proc/self/pagemap bits
 * 63 and 62), so that they hold zeros and reading them would allocate
 * them (on a kernel without the shared zero page for anonymous reads).
 * out[i] is 1 for the i-th page from addr's page on. Reading pagemap
 * faults nothing in. Returns false when pagemap cannot be read: then
 * nothing is known.
 */
bool xb_mem_unbacked(const void *addr, size_t bytes, uint8_t *out);

#endif
