/*
 * stats.c - descriptive statistics (see stats.h).
 */
#include "config.h"
#include "common/stats.h"
#include "common/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double gr_quantile_sorted(const double *s, size_t n, double q)
{
    double h, f;
    size_t i;
    if (n == 0) {
        return NAN;
    }
    if (q <= 0) {
        return s[0];
    }
    if (q >= 1) {
        return s[n - 1];
    }
    h = (double)(n - 1) * q;
    i = (size_t)h;
    f = h - (double)i;
    return i + 1 < n ? s[i] + f * (s[i + 1] - s[i]) : s[i];
}

/* P(X <= k) for X ~ Binomial(n, 1/2), summed in log space for large n. */
static double binom_half_cdf(size_t n, size_t k)
{
    double logc = 0.0, total = 0.0, ln_half_n = (double)n * log(0.5);
    size_t i;
    for (i = 0; i <= k && i <= n; i++) {
        if (i > 0) {
            logc += log((double)(n - i + 1)) - log((double)i);
        }
        total += exp(logc + ln_half_n);
    }
    return total > 1.0 ? 1.0 : total;
}

void gr_median_ci_index(size_t n, double level, size_t *lo, size_t *hi)
{
    /* [s(j), s(n-1-j)] (0-based) covers the median with probability
     * 1 - 2*P(X <= j), X ~ Bin(n, 1/2), which falls as j grows: take the
     * largest j that keeps it at or above `level`, else j = 0 (the widest
     * interval, for very small n). */
    double alpha = 1.0 - level;
    size_t j, best = 0;
    for (j = 0; n > 0 && 2 * j < n - 1; j++) {
        if (2.0 * binom_half_cdf(n, j) > alpha) {
            break;
        }
        best = j;
    }
    *lo = best;
    *hi = n > 0 ? n - 1 - best : 0;
}

int gr_stats_compute(const double *x, size_t n, gr_stats *out)
{
    double *s, *dev, sum = 0.0, q1, q3, iqr, sq = 0.0;
    size_t i, lo, hi;
    memset(out, 0, sizeof *out);
    if (n == 0) {
        return -1;
    }
    s = gr_malloc(n * sizeof *s);
    dev = gr_malloc(n * sizeof *dev);
    if (!s || !dev) {
        gr_free(s);
        gr_free(dev);
        return -1;
    }
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    for (i = 0; i < n; i++) {
        sum += s[i];
    }
    out->n = n;
    out->min = s[0];
    out->max = s[n - 1];
    out->mean = sum / (double)n;
    for (i = 0; i < n; i++) {
        sq += (s[i] - out->mean) * (s[i] - out->mean);
    }
    out->stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0.0;
    out->median = gr_quantile_sorted(s, n, 0.5);
    out->p95 = gr_quantile_sorted(s, n, 0.95);
    out->p99 = gr_quantile_sorted(s, n, 0.99);
    for (i = 0; i < n; i++) {
        dev[i] = fabs(s[i] - out->median);
    }
    qsort(dev, n, sizeof *dev, cmp_double);
    out->mad = gr_quantile_sorted(dev, n, 0.5);
    out->ci_level = 0.95;
    gr_median_ci_index(n, out->ci_level, &lo, &hi);
    out->ci_lo = s[lo];
    out->ci_hi = s[hi];
    q1 = gr_quantile_sorted(s, n, 0.25);
    q3 = gr_quantile_sorted(s, n, 0.75);
    iqr = q3 - q1;
    for (i = 0; i < n; i++) {
        if (s[i] < q1 - 3.0 * iqr) {
            out->low_severe++;
        } else if (s[i] < q1 - 1.5 * iqr) {
            out->low_mild++;
        } else if (s[i] > q3 + 3.0 * iqr) {
            out->high_severe++;
        } else if (s[i] > q3 + 1.5 * iqr) {
            out->high_mild++;
        }
    }
    gr_free(s);
    gr_free(dev);
    return 0;
}
