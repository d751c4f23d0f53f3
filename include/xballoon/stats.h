/*
 * Summary statistics over repeated runs: mean, sample standard deviation
 * and the two-sided 95 % Student t confidence interval of the mean.
 */
#ifndef XBALLOON_STATS_H
#define XBALLOON_STATS_H

#include <stddef.h>

/*
 * The summary of n values x_1..x_n:
 *   mean = sum(x_i) / n
 *   sd   = sqrt(sum((x_i - mean)^2) / (n - 1))        (0 when n < 2)
 *   half = t(0.975, n - 1) * sd / sqrt(n)              (0 when n < 2)
 * so the interval is mean ± half.
 */
struct xb_stats {
	size_t n;
	double mean;
	double sd;
	double half;
};

/**
 * xb_stats_t975() - the 0.975 quantile of Student's t with @df degrees of
 * freedom (df >= 1): exact to 3 decimals from the table for df <= 30,
 * interpolated in 1/df between 30, 40, 60, 120 and infinity (1.960) above.
 * Returns 0 for df == 0 (no interval from one value).
 */
double xb_stats_t975(size_t df);

/**
 * xb_stats_summarize() - summarize @n values @v into @s (n may be 0:
 * then every field is 0).
 */
void xb_stats_summarize(const double *v, size_t n, struct xb_stats *s);

#endif
