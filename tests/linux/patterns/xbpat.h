/*
 * Shared helpers of the UML calibration patterns (tests/linux/README.md).
 *
 * Every pattern runs as root inside user-mode Linux 6.1, builds a memory
 * pattern and prints what it measured on stdout as lines
 *
 *     XB <key> <value>
 *
 * which tests/linux/run.sh collects from the console. A snapshot of the
 * kernel's memory state prints its keys under a phase name ("start",
 * "before", "after"): <phase>.buddy.<order>, <phase>.zone.<field>,
 * <phase>.free.<Type>.<order>, <phase>.blocks.<Type>, <phase>.vm.<vmstat
 * name>, <phase>.kpf.<...>. Errors print "XB error <text>" and exit 1.
 */
#ifndef XBPAT_H
#define XBPAT_H

#include <stddef.h>
#include <stdint.h>

#define XB_PAGE 4096ul

/* Print one result line. */
void xb_out(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "XB error ..." and exit 1. */
void xb_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Print every figure of the memory state under `phase`. Environment:
 * XBPAT_ZONE the zone of the one-zone keys (default Normal); XBPAT_ALLZONES=1
 * also every zone's zoneinfo and pagetypeinfo (<phase>.zinfo.<zone>.<field>,
 * <phase>.zfree.<zone>.<Type>.<order>, <phase>.zblocks.<zone>.<Type>);
 * XBPAT_KPF=0 no /proc/kpageflags walk.
 */
void xb_snapshot(const char *phase);

/* Milliseconds since the first call (CLOCK_MONOTONIC). */
double xb_ms(void);

/* Write a string to a /proc or /sys file; dies on failure. */
void xb_write_file(const char *path, const char *text);
/* Read an integer from a /proc or /sys file; dies on failure. */
long long xb_read_ll(const char *path);
/* One field of /proc/vmstat (dies if absent). */
long long xb_vmstat(const char *name);
/* The Normal zone's free pages (nr_free_pages of /proc/vmstat). */
long long xb_free_pages(void);

/* Map `bytes` of anonymous memory, every page populated (written). */
unsigned char *xb_touch_anon(size_t bytes);

/*
 * Physical frame numbers of `n` pages from `addr` (/proc/self/pagemap;
 * root gets PFNs). A page that is not present gets UINT64_MAX.
 */
void xb_pfns(const void *addr, size_t n, uint64_t *pfn);

/*
 * The model's fragmenter rule (emu/workload.c fragment()) applied to the
 * `n` pages at `addr`: per 2 MiB physical region (pfn >> 9), of the c pages
 * held there, sorted by pfn, keep = c - round(c * share) at positions
 * floor(j * c / keep), j = 0..keep-1, and free the rest with
 * MADV_DONTNEED. Prints <prefix>.regions/.held/.kept/.freed.
 */
void xb_fragment(unsigned char *addr, size_t n, double share,
		 const char *prefix);

/*
 * Batches of system calls through io_uring: UML traps every system call of
 * a user process through ptrace (about 100 us each), io_uring_enter() takes
 * thousands of operations per trap. (Not for madvise: in UML an io-wq
 * worker's madvise costs more than the trap it saves; see xb_fragment().)
 * Without io_uring (old kernel, or CONFIG_IO_URING=n) the same calls are made
 * one by one. Every operation must succeed; a failure prints "XB error" and
 * exits.
 */
struct xb_batch;
struct xb_batch *xb_batch_new(void);
void xb_batch_madvise(struct xb_batch *b, void *addr, size_t len, int advice);
/* mkdirat(AT_FDCWD, path, mode) / unlinkat(AT_FDCWD, path, flags); path is
 * copied. */
void xb_batch_mkdir(struct xb_batch *b, const char *path, unsigned mode);
void xb_batch_unlink(struct xb_batch *b, const char *path, int flags);
/* Run what is queued; wait for it. */
void xb_batch_flush(struct xb_batch *b);
/* Flush, print <prefix>.ops/.enters/.io_uring, free. */
void xb_batch_end(struct xb_batch *b, const char *prefix);

/* Parse "123" or "123M" / "123MiB" (MiB) into bytes. */
size_t xb_parse_mib(const char *s);

#endif
