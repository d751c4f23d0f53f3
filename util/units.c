/*
 * Unit parsers and formatters for scenario values: sizes, times, shares,
 * rates, integers and on/off, in exact integer arithmetic (no floating
 * point, so the same text always gives the same number).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xballoon/units.h"

struct unit {
	const char *suffix;
	uint64_t mult;
};

static const struct unit size_units[] = {
    {"B", 1},	       {"KiB", 1ull << 10},
    {"K", 1ull << 10}, {"MiB", 1ull << 20},
    {"M", 1ull << 20}, {"GiB", 1ull << 30},
    {"G", 1ull << 30}, {"TiB", 1ull << 40},
    {"T", 1ull << 40}, {"PiB", 1ull << 50},
    {"P", 1ull << 50}, {"EiB", 1ull << 60},
    {"E", 1ull << 60}, {NULL, 0},
};

static const struct unit time_units[] = {
    {"ms", XB_NS_PER_MS},
    {"s", XB_NS_PER_S},
    {"min", XB_NS_PER_MIN},
    {NULL, 0},
};

/* "%" counts in units of 1/10^4 percent = 1 ppm after the scale below. */
static const struct unit share_units[] = {
    {"%", 10000},
    {NULL, 0},
};

/*
 * A decimal number "D+(.D+)?" followed by a suffix from the table; the value
 * is mantissa * mult / 10^decimals and must be an integer. Returns the
 * number of characters of the number part through *end.
 */
static int parse_decimal(const char *s, const struct unit *units,
			 const char *what_unit, uint64_t *out, const char **why)
{
	unsigned __int128 m = 0, v, scale = 1;
	const char *p = s;
	unsigned digits = 0, decimals = 0;

	if (*p == '-') {
		*why = "must not be negative";
		return -EINVAL;
	}
	if (*p == '+') {
		*why = "must not have a sign";
		return -EINVAL;
	}
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		m = m * 10 + (unsigned)(*p - '0');
		if (m > UINT64_MAX) {
			*why = "is too large";
			return -ERANGE;
		}
	}
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++, decimals++) {
			m = m * 10 + (unsigned)(*p - '0');
			if (m > UINT64_MAX || decimals >= 18) {
				*why = "has too many digits";
				return -ERANGE;
			}
			scale *= 10;
		}
		if (!decimals) {
			*why = "has no digits after the decimal point";
			return -EINVAL;
		}
	}
	if (!digits) {
		*why = "is not a number";
		return -EINVAL;
	}
	if (!*p) {
		*why = what_unit;
		return -EINVAL;
	}
	for (const struct unit *u = units; u->suffix; u++) {
		if (strcmp(p, u->suffix))
			continue;
		v = m * u->mult;
		if (m && v / m != u->mult) {
			*why = "is too large";
			return -ERANGE;
		}
		if (v % scale) {
			*why = "is finer than the unit allows";
			return -EINVAL;
		}
		v /= scale;
		if (v > UINT64_MAX) {
			*why = "is too large";
			return -ERANGE;
		}
		*out = (uint64_t)v;
		return 0;
	}
	*why = what_unit;
	return -EINVAL;
}

int xb_parse_size(const char *s, uint64_t *bytes, const char **why)
{
	return parse_decimal(s, size_units,
			     "needs a unit: B, KiB, MiB, GiB, TiB "
			     "(or K, M, G, T)",
			     bytes, why);
}

int xb_parse_time(const char *s, xb_ns_t *ns, const char **why)
{
	uint64_t v;
	int r =
	    parse_decimal(s, time_units, "needs a unit: ms, s or min", &v, why);

	if (r)
		return r;
	if (v > XB_TIME_MAX) {
		*why = "is longer than the limit of 1000000s";
		return -ERANGE;
	}
	*ns = v;
	return 0;
}

int xb_parse_share(const char *s, uint32_t *ppm, const char **why)
{
	uint64_t v;
	int r = parse_decimal(s, share_units, "needs a '%' sign", &v, why);

	if (r == -EINVAL && !strcmp(*why, "is finer than the unit allows"))
		*why = "is finer than 0.0001%";
	if (r)
		return r;
	if (v > XB_PPM) {
		*why = "is above 100%";
		return -ERANGE;
	}
	*ppm = (uint32_t)v;
	return 0;
}

int xb_parse_rate(const char *s, uint32_t *ppm_per_s, const char **why)
{
	size_t n = strlen(s);
	char buf[64];

	if (n < 2 || n >= sizeof(buf) || strcmp(s + n - 2, "/s")) {
		*why = "needs the form <share>/s, e.g. 20%/s";
		return -EINVAL;
	}
	memcpy(buf, s, n - 2);
	buf[n - 2] = '\0';
	return xb_parse_share(buf, ppm_per_s, why);
}

int xb_parse_uint(const char *s, uint64_t max, uint64_t *v, const char **why)
{
	uint64_t x = 0;
	const char *p = s;

	if (*p == '-') {
		*why = "must not be negative";
		return -EINVAL;
	}
	if (!*p) {
		*why = "is not an integer";
		return -EINVAL;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9') {
			*why = "is not an integer";
			return -EINVAL;
		}
		if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) {
			*why = "is too large";
			return -ERANGE;
		}
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (x > max) {
		*why = "is too large";
		return -ERANGE;
	}
	*v = x;
	return 0;
}

int xb_parse_switch(const char *s, bool *on, const char **why)
{
	if (!strcmp(s, "on")) {
		*on = true;
		return 0;
	}
	if (!strcmp(s, "off")) {
		*on = false;
		return 0;
	}
	*why = "must be on or off";
	return -EINVAL;
}

static char *format_units(uint64_t v, const struct unit *units, size_t n,
			  const char *base, char *buf, size_t len)
{
	/* The largest unit that divides v exactly, so the text parses back to
	 * the same value. units[] is in increasing order. */
	for (size_t i = n; i-- > 0;) {
		if (v && v % units[i].mult == 0) {
			snprintf(buf, len, "%llu%s",
				 (unsigned long long)(v / units[i].mult),
				 units[i].suffix);
			return buf;
		}
	}
	snprintf(buf, len, "%llu%s", (unsigned long long)v, base);
	return buf;
}

char *xb_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct unit u[] = {
	    {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
	    {"TiB", 1ull << 40}, {"PiB", 1ull << 50}, {"EiB", 1ull << 60},
	};

	return format_units(bytes, u, sizeof(u) / sizeof(u[0]), "B", buf, len);
}

char *xb_format_time(xb_ns_t ns, char *buf, size_t len)
{
	static const struct unit u[] = {
	    {"ms", XB_NS_PER_MS},
	    {"s", XB_NS_PER_S},
	    {"min", XB_NS_PER_MIN},
	};

	if (!ns) {
		snprintf(buf, len, "0s");
		return buf;
	}
	return format_units(ns, u, sizeof(u) / sizeof(u[0]), "ns", buf, len);
}
