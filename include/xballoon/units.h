/*
 * Units of the values users write — sizes, times, shares, rates, integers,
 * on/off — and their parsers and formatters, shared by scenario files,
 * policy knobs and the command line. Exact integer arithmetic: the same
 * text always gives the same number.
 */
#ifndef XBALLOON_UNITS_H
#define XBALLOON_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xballoon/sim.h" /* XB_NS_PER_MS, XB_NS_PER_S */

/* Simulated nanoseconds. */
typedef uint64_t xb_ns_t;

#define XB_NS_PER_MIN (60ull * XB_NS_PER_S)
/* Longest time a value may name: 10^6 simulated seconds (11.6 days). */
#define XB_TIME_MAX (1000000ull * XB_NS_PER_S)

/* 100% in parts per million. */
#define XB_PPM 1000000u

/*
 * The parsers (util/units.c). Each returns 0, -EINVAL for malformed
 * text or -ERANGE for a value out of range, and then sets *why to a static
 * explanation. Numbers are decimal, may have a fraction ("1.5GiB") when the
 * result is exact, and never a sign or spaces.
 */
/* B, KiB, MiB, GiB, TiB (K, M, G, T the same); PiB, EiB parse so that they
 * can be refused by size. A bare number is an error. */
int xb_parse_size(const char *s, uint64_t *bytes, const char **why);
/* ms, s, min; at most XB_TIME_MAX. A bare number is an error. */
int xb_parse_time(const char *s, xb_ns_t *ns, const char **why);
/* "N%", 0..100%, exact to 1 ppm (4 decimals). */
int xb_parse_share(const char *s, uint32_t *ppm, const char **why);
/* "N%/s", share 0..100% per second. */
int xb_parse_rate(const char *s, uint32_t *ppm_per_s, const char **why);
/* Decimal unsigned integer, at most max. */
int xb_parse_uint(const char *s, uint64_t max, uint64_t *v, const char **why);
/* "on" | "off". */
int xb_parse_switch(const char *s, bool *on, const char **why);

/* Writes "4GiB", "512MiB", "6KiB" or "12345B" into buf; returns buf. */
char *xb_format_size(uint64_t bytes, char *buf, size_t len);
/* Writes "170s", "500ms", "2min" or "12345ns" into buf; returns buf. */
char *xb_format_time(xb_ns_t ns, char *buf, size_t len);

#endif
