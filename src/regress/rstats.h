/*
 * rstats.h - the pure statistics of grregress: Student's t distribution,
 * the moderated (empirical-Bayes) two-sample t test on round-level
 * replicates, an exact / Monte Carlo permutation test, a seeded
 * hierarchical bootstrap, Benjamini-Hochberg adjustment and the geometric
 * mean.  Nothing here knows about run files: decide.c feeds it arrays, and
 * tests/check_stats.c checks it against known values.
 *
 * Every random procedure takes an explicit seed and uses its own
 * splitmix64 stream, so results are reproducible bit for bit.
 */
#ifndef GR_REGRESS_RSTATS_H
#define GR_REGRESS_RSTATS_H

#include <stddef.h>
#include <stdint.h>

/* A seeded pseudo-random stream (splitmix64). */
typedef struct gr_rng {
    uint64_t s;              /* the counter */
} gr_rng;
void gr_rng_seed(gr_rng *r, uint64_t seed);
uint64_t gr_rng_next(gr_rng *r);
double gr_rng_unit(gr_rng *r);             /* uniform in [0, 1) */
size_t gr_rng_below(gr_rng *r, size_t n);  /* uniform in [0, n), n >= 1 */
double gr_rng_normal(gr_rng *r);           /* standard normal */

/* Special functions: digamma, trigamma, and the inverse of trigamma
 * (y with trigamma(y) = x, x > 0). */
double gr_digamma(double x);
double gr_trigamma(double x);
double gr_trigamma_inv(double x);

/* Regularized incomplete beta I_x(a, b). */
double gr_betainc(double a, double b, double x);

/* Two-sided p-value of Student's t with df degrees of freedom (df may be
 * INFINITY: the normal distribution). */
double gr_t_pvalue(double t, double df);

/* The q-quantile (0 < q < 1) of Student's t with df degrees of freedom. */
double gr_t_quantile(double q, double df);

/* Mean and unbiased variance of x[0..n) (variance 0 when n < 2). */
void gr_mean_var(const double *x, size_t n, double *mean, double *var);

/* Median of x[0..n) (n >= 1); x is left unchanged.  NAN when n == 0 or
 * memory runs out. */
double gr_median(const double *x, size_t n);
/* The same of s[0..n), sorting s in place: allocates nothing, so it
 * cannot fail (NAN when n == 0).  For callers whose array is scratch. */
double gr_median_inplace(double *s, size_t n);

/* The suite-wide variance prior of the moderated t test (Smyth 2004,
 * "limma"): given G per-benchmark pooled variances s2[g], each with df[g]
 * degrees of freedom (entries with df <= 0 or s2 <= 0 are skipped), the
 * prior variance s0^2 and its prior degrees of freedom d0 (INFINITY when
 * the variances agree more than sampling error alone allows; 0 when fewer
 * than 3 usable entries). */
void gr_var_prior(const double *s2, const double *df, size_t G, double *s02,
                  double *d0);

/* One moderated two-sample t test on the means of a[0..na) and b[0..nb)
 * (pooled variance, shrunk toward the prior s02 with weight d0).  Fills
 * the difference mean(b) - mean(a), its standard error, the t statistic,
 * the degrees of freedom (na + nb - 2 + d0), the two-sided p-value and the
 * `level` confidence interval of the difference.  Returns 0, or -1 when
 * na or nb is 0 or the variance is undefined (then p is NAN). */
struct gr_ttest {
    double diff;             /* mean(b) - mean(a) */
    double se;               /* its standard error */
    double t;                /* diff / se */
    double df;               /* degrees of freedom */
    double p;                /* two-sided p-value */
    double lo, hi;           /* confidence interval of diff */
    double s2;               /* the benchmark's own pooled variance */
};
int gr_ttest_moderated(const double *a, size_t na, const double *b, size_t nb,
                       double s02, double d0, double level, struct gr_ttest *out);

/* Two-sided permutation test of the difference of means of a[0..na) and
 * b[0..nb): the fraction of splits of the pooled values into groups of
 * na and nb whose |mean difference| is at least the observed one.  Exact
 * (all C(na+nb, na) splits) when that number is at most `max_exact`, else
 * `draws` seeded Monte Carlo splits (p = (1 + hits) / (1 + draws)).
 * Returns the p-value, NAN when na or nb is 0 or na + nb > 64. */
double gr_perm_test(const double *a, size_t na, const double *b, size_t nb,
                    uint64_t max_exact, size_t draws, uint64_t seed);

/* Hierarchical bootstrap of the change between two runs of one benchmark.
 * Each run is a set of rounds (off[r]..off[r+1] index the round's samples
 * in x; nr rounds).  One replicate resamples rounds with replacement, then
 * samples within each drawn round with replacement, and takes the mean of
 * the rounds' log medians; the statistic is current minus baseline.  The
 * percentile interval at `level` over `reps` replicates goes to lo, hi.
 * Returns 0, or -1 on bad input (a round without samples, a sample <= 0)
 * or out of memory. */
int gr_boot_hier(const double *xa, const size_t *offa, size_t nra,
                 const double *xb, const size_t *offb, size_t nrb, size_t reps,
                 double level, uint64_t seed, double *lo, double *hi);

/* Benjamini-Hochberg adjusted p-values (q-values): q[i] for p[i], NAN
 * entries are skipped (q NAN) and do not count in m.  Returns 0, or -1 when
 * memory runs out. */
int gr_bh_adjust(const double *p, size_t n, double *q);

/* Geometric mean of the positive ratios r[0..n) (others skipped); NAN
 * when none. */
double gr_geomean(const double *r, size_t n);

#endif
