/*
 * Summary statistics for `xballoon bench`: mean, sample standard deviation
 * and the 95 % Student t confidence interval (include/xballoon/stats.h).
 */
#include <math.h>

#include "xballoon/stats.h"

/* t(0.975, df) for df = 1..30, from the standard table (3 decimals). */
static const double t975_small[30] = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};

/* Larger df: the table's rows; between them t is close to linear in 1/df
 * (its expansion is z + (z^3 + z) / (4 df) + ...). */
static const struct {
	double df, t;
} t975_large[] = {
    {30, 2.042}, {40, 2.021}, {60, 2.000}, {120, 1.980}, {INFINITY, 1.960},
};

double xb_stats_t975(size_t df)
{
	if (df == 0)
		return 0;
	if (df <= 30)
		return t975_small[df - 1];
	for (size_t i = 1; i < sizeof(t975_large) / sizeof(t975_large[0]);
	     i++) {
		double lo = t975_large[i - 1].df, hi = t975_large[i].df;

		if ((double)df > hi)
			continue;
		double x = 1.0 / (double)df, xlo = 1.0 / lo, xhi = 1.0 / hi;
		double f = (xlo - x) / (xlo - xhi);

		return t975_large[i - 1].t +
		       f * (t975_large[i].t - t975_large[i - 1].t);
	}
	return 1.960;
}

void xb_stats_summarize(const double *v, size_t n, struct xb_stats *s)
{
	double sum = 0, ss = 0;

	*s = (struct xb_stats){.n = n};
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s->mean = sum / (double)n;
	if (n < 2)
		return;
	/* Two passes: the deviations from the mean, not sum(x^2) - n mean^2,
	 * which cancels catastrophically for large nearly equal values. */
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - s->mean) * (v[i] - s->mean);
	s->sd = sqrt(ss / (double)(n - 1));
	s->half = xb_stats_t975(n - 1) * s->sd / sqrt((double)n);
}
