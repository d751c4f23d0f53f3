/*
 * Lazily backed zero-filled mappings for the dense metadata arrays.
 */
#include <fcntl.h>
#include <glib.h>
#include <sys/mman.h>
#include <unistd.h>

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

bool xb_mem_unbacked(const void *addr, size_t bytes, uint8_t *out)
{
	const size_t page = 4096;
	uintptr_t first = (uintptr_t)addr / page;
	size_t npages = ((uintptr_t)addr + bytes + page - 1) / page - first;
	uint64_t buf[512];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0;

	for (size_t done = 0; ok && done < npages;) {
		size_t n = MIN(npages - done, G_N_ELEMENTS(buf));
		ssize_t got = pread(fd, buf, n * sizeof(*buf),
				    (off_t)((first + done) * sizeof(*buf)));

		if (got != (ssize_t)(n * sizeof(*buf))) {
			ok = false;
			break;
		}
		/* Bit 63: present; bit 62: swapped. Neither: never backed. */
		for (size_t i = 0; i < n; i++)
			out[done + i] = !(buf[i] >> 62);
		done += n;
	}
	if (fd >= 0)
		close(fd);
	return ok;
}
