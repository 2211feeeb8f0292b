/*
 * stats.h - descriptive statistics of benchmark samples, shared by grprof
 * (the stats block of every run file) and grregress (which recomputes
 * them from the raw samples it reads).  Definitions are those of
 * docs/run-schema.md: percentiles interpolate linearly between order
 * statistics (R's type 7); the median's confidence interval is the
 * distribution-free one from binomial order statistics; outliers are
 * counted with Tukey's fences and never dropped.
 */
#ifndef GR_COMMON_STATS_H
#define GR_COMMON_STATS_H

#include <stddef.h>

typedef struct gr_stats {
    size_t n;                /* samples */
    double min, max;
    double median, mean;
    double stddev;           /* sample standard deviation (n-1); 0 when n < 2 */
    double mad;              /* median absolute deviation, unscaled */
    double p95, p99;
    double ci_lo, ci_hi;     /* confidence interval of the median */
    double ci_level;         /* its nominal level (0.95) */
    size_t low_severe, low_mild, high_mild, high_severe; /* Tukey fences */
} gr_stats;

/* Summarize x[0..n) (n >= 1; values need not be sorted).  Allocates a
 * sorted copy; returns 0, or -1 when n == 0 or memory runs out. */
int gr_stats_compute(const double *x, size_t n, gr_stats *out);

/* The q-quantile (0 <= q <= 1) of sorted s[0..n), type 7. */
double gr_quantile_sorted(const double *s, size_t n, double q);

/* Indices (0-based, into the sorted sample) of the order statistics that
 * bound a distribution-free confidence interval of the median with level
 * at least `level` (or the widest available when n is too small). */
void gr_median_ci_index(size_t n, double level, size_t *lo, size_t *hi);

#endif
