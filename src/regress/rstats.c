/*
 * rstats.c - the statistics of grregress (see rstats.h).
 *
 * Numerical notes: the incomplete beta uses the Lentz continued fraction
 * (Numerical Recipes' betacf) with lgamma for the prefactor; digamma and
 * trigamma use the recurrence up to x >= 10 and their asymptotic series;
 * the inverse of trigamma is a bisection on log y (trigamma is decreasing
 * on (0, inf)), slower than limma's Newton step but unconditionally
 * convergent.  The variance prior is limma's fitFDist without covariates
 * (Smyth 2004, "Linear models and empirical Bayes methods for assessing
 * differential expression in microarray experiments", section 6.2).
 */
#include "config.h"
#include "regress/rstats.h"
#include "common/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ---------------------------------------------------- */

void gr_rng_seed(gr_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t gr_rng_next(gr_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double gr_rng_unit(gr_rng *r)
{
    return (double)(gr_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

size_t gr_rng_below(gr_rng *r, size_t n)
{
    /* Lemire's multiply-shift with rejection: exactly uniform */
    uint64_t x = gr_rng_next(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = (uint64_t)(-(uint64_t)n) % n;
        while (l < t) {
            x = gr_rng_next(r);
            m = (__uint128_t)x * n;
            l = (uint64_t)m;
        }
    }
    return (size_t)(m >> 64);
}

double gr_rng_normal(gr_rng *r)
{
    /* Box-Muller; one of the pair is dropped to keep the stream simple */
    double u1 = 1.0 - gr_rng_unit(r), u2 = gr_rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- special functions --------------------------------------------------- */

double gr_digamma(double x)
{
    double r = 0.0, f;
    if (!(x > 0)) {
        return NAN;
    }
    while (x < 10.0) {
        r -= 1.0 / x;
        x += 1.0;
    }
    f = 1.0 / (x * x);
    return r + log(x) - 0.5 / x
           - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240
                                                                - f * (1.0 / 132)))));
}

double gr_trigamma(double x)
{
    double r = 0.0, f;
    if (!(x > 0)) {
        return NAN;
    }
    while (x < 10.0) {
        r += 1.0 / (x * x);
        x += 1.0;
    }
    f = 1.0 / (x * x);
    return r + 1.0 / x + f / 2.0
           + f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30))));
}

double gr_trigamma_inv(double x)
{
    double lo = -30.0, hi = 30.0; /* log y */
    int i;
    if (!(x > 0)) {
        return NAN;
    }
    for (i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (gr_trigamma(exp(mid)) > x) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return exp(0.5 * (lo + hi));
}

/* Continued fraction of the incomplete beta (modified Lentz). */
static double betacf(double a, double b, double x)
{
    const double eps = 1e-15, tiny = 1e-300;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0, c = 1.0, d, h;
    int m;
    d = 1.0 - qab * x / qap;
    if (fabs(d) < tiny) {
        d = tiny;
    }
    d = 1.0 / d;
    h = d;
    for (m = 1; m <= 1000; m++) {
        double m2 = 2.0 * m, aa, del;
        aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = fabs(d) < tiny ? tiny : d;
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) < eps) {
            break;
        }
    }
    return h;
}

double gr_betainc(double a, double b, double x)
{
    double bt;
    if (x <= 0) {
        return 0.0;
    }
    if (x >= 1) {
        return 1.0;
    }
    bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1.0) / (a + b + 2.0)) {
        return bt * betacf(a, b, x) / a;
    }
    return 1.0 - bt * betacf(b, a, 1.0 - x) / b;
}

double gr_t_pvalue(double t, double df)
{
    if (isnan(t) || !(df > 0)) {
        return NAN;
    }
    if (isinf(t)) {
        return 0.0;
    }
    if (df > 1e7) { /* the normal limit; the beta form loses precision */
        return erfc(fabs(t) / sqrt(2.0));
    }
    return gr_betainc(df / 2.0, 0.5, df / (df + t * t));
}

double gr_t_quantile(double q, double df)
{
    double target, lo = 0.0, hi = 1.0;
    int i;
    if (!(q > 0 && q < 1) || !(df > 0)) {
        return NAN;
    }
    if (q == 0.5) {
        return 0.0;
    }
    target = 2.0 * (q > 0.5 ? 1.0 - q : q); /* two-sided p at |t| */
    while (gr_t_pvalue(hi, df) > target && hi < 1e300) {
        lo = hi;
        hi *= 2.0;
    }
    for (i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (gr_t_pvalue(mid, df) > target) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return q > 0.5 ? 0.5 * (lo + hi) : -0.5 * (lo + hi);
}

/* ---- descriptive helpers ---------------------------------------------------- */

void gr_mean_var(const double *x, size_t n, double *mean, double *var)
{
    double m = 0.0, s = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        m += x[i];
    }
    m = n ? m / (double)n : NAN;
    for (i = 0; i < n; i++) {
        s += (x[i] - m) * (x[i] - m);
    }
    *mean = m;
    *var = n > 1 ? s / (double)(n - 1) : 0.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double gr_median_inplace(double *s, size_t n)
{
    if (n == 0) {
        return NAN;
    }
    qsort(s, n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

double gr_median(const double *x, size_t n)
{
    double *s, m;
    if (n == 0) {
        return NAN;
    }
    s = gr_malloc(n * sizeof *s);
    if (!s) {
        return NAN;
    }
    memcpy(s, x, n * sizeof *s);
    m = gr_median_inplace(s, n);
    gr_free(s);
    return m;
}

/* ---- the moderated t test ------------------------------------------------------ */

void gr_var_prior(const double *s2, const double *df, size_t G, double *s02,
                  double *d0)
{
    double esum = 0.0, tsum = 0.0, evar = 0.0, emean;
    size_t g, k = 0;
    for (g = 0; g < G; g++) {
        if (df[g] > 0 && s2[g] > 0 && isfinite(s2[g])) {
            esum += log(s2[g]) - gr_digamma(df[g] / 2.0) + log(df[g] / 2.0);
            tsum += gr_trigamma(df[g] / 2.0);
            k++;
        }
    }
    if (k < 3) {
        *s02 = k ? exp(esum / (double)k) : NAN;
        *d0 = 0.0;
        return;
    }
    emean = esum / (double)k;
    for (g = 0; g < G; g++) {
        if (df[g] > 0 && s2[g] > 0 && isfinite(s2[g])) {
            double e = log(s2[g]) - gr_digamma(df[g] / 2.0) + log(df[g] / 2.0);
            evar += (e - emean) * (e - emean);
        }
    }
    evar = evar / (double)(k - 1) - tsum / (double)k;
    if (evar > 0) {
        *d0 = 2.0 * gr_trigamma_inv(evar);
        *s02 = exp(emean + gr_digamma(*d0 / 2.0) - log(*d0 / 2.0));
    } else {
        *d0 = INFINITY;
        *s02 = exp(emean);
    }
}

int gr_ttest_moderated(const double *a, size_t na, const double *b, size_t nb,
                       double s02, double d0, double level, struct gr_ttest *out)
{
    double ma, va, mb, vb, d, s2, s2t, tq;
    memset(out, 0, sizeof *out);
    out->p = NAN;
    if (na == 0 || nb == 0) {
        return -1;
    }
    gr_mean_var(a, na, &ma, &va);
    gr_mean_var(b, nb, &mb, &vb);
    d = (double)(na + nb) - 2.0;
    s2 = d > 0 ? ((double)(na - 1) * va + (double)(nb - 1) * vb) / d : NAN;
    out->s2 = s2;
    out->diff = mb - ma;
    if (isinf(d0) && s02 > 0) {
        s2t = s02;
        out->df = INFINITY;
    } else if (d0 > 0 && s02 > 0) {
        s2t = (d0 * s02 + (d > 0 ? d * s2 : 0.0)) / (d0 + d);
        out->df = d0 + d;
    } else if (d > 0) {
        s2t = s2;
        out->df = d;
    } else {
        out->lo = out->hi = out->se = out->t = NAN;
        return -1;
    }
    out->se = sqrt(s2t * (1.0 / (double)na + 1.0 / (double)nb));
    if (out->se > 0) {
        out->t = out->diff / out->se;
        out->p = gr_t_pvalue(out->t, out->df);
    } else {
        out->t = out->diff == 0 ? 0.0 : copysign(INFINITY, out->diff);
        out->p = out->diff == 0 ? 1.0 : 0.0;
    }
    tq = isinf(out->df) ? gr_t_quantile(0.5 + level / 2.0, 1e8)
                        : gr_t_quantile(0.5 + level / 2.0, out->df);
    out->lo = out->diff - tq * out->se;
    out->hi = out->diff + tq * out->se;
    return 0;
}

/* ---- permutation test ------------------------------------------------------------ */

double gr_perm_test(const double *a, size_t na, const double *b, size_t nb,
                    uint64_t max_exact, size_t draws, uint64_t seed)
{
    double v[64], total = 0.0, obs, ma, mb, va, vb, splits = 1.0, tol;
    size_t n = na + nb, i, k;
    uint64_t hits = 0, count = 0;
    if (na == 0 || nb == 0 || n > 64) {
        return NAN;
    }
    memcpy(v, a, na * sizeof *v);
    memcpy(v + na, b, nb * sizeof *v);
    for (i = 0; i < n; i++) {
        total += v[i];
    }
    gr_mean_var(a, na, &ma, &va);
    gr_mean_var(b, nb, &mb, &vb);
    obs = fabs(mb - ma);
    tol = 1e-12 * (fabs(ma) + fabs(mb) + 1e-300); /* ties count as extreme */
    for (k = 0; k < na; k++) {
        splits = splits * (double)(n - k) / (double)(k + 1);
    }
    if (splits <= (double)max_exact) {
        /* every na-subset of n, as bit masks in increasing order (Gosper) */
        uint64_t m = (na == 64 ? ~0ULL : (1ULL << na) - 1), lim;
        lim = n == 64 ? 0 : 1ULL << n;
        for (;;) {
            double sa = 0.0;
            uint64_t c, r;
            for (i = 0; i < n; i++) {
                if (m >> i & 1) {
                    sa += v[i];
                }
            }
            if (fabs((total - sa) / (double)nb - sa / (double)na) >= obs - tol) {
                hits++;
            }
            count++;
            c = m & -m;
            r = m + c;
            if (r == 0 || (lim && r >= lim)) {
                break;
            }
            m = (((r ^ m) >> 2) / c) | r;
            if (lim && m >= lim) {
                break;
            }
        }
        return (double)hits / (double)count;
    } else {
        gr_rng rng;
        double w[64];
        size_t d;
        gr_rng_seed(&rng, seed);
        for (d = 0; d < draws; d++) {
            double sa = 0.0;
            memcpy(w, v, n * sizeof *w);
            for (i = 0; i < na; i++) { /* partial Fisher-Yates: first na */
                size_t j = i + gr_rng_below(&rng, n - i);
                double t = w[i];
                w[i] = w[j];
                w[j] = t;
                sa += w[i];
            }
            if (fabs((total - sa) / (double)nb - sa / (double)na) >= obs - tol) {
                hits++;
            }
        }
        return (double)(1 + hits) / (double)(1 + draws);
    }
}

/* ---- hierarchical bootstrap ------------------------------------------------------- */

/* One replicate's mean of log round medians of one run. */
static double boot_run(gr_rng *rng, const double *x, const size_t *off, size_t nr,
                       double *scratch)
{
    double sum = 0.0;
    size_t r, k;
    for (r = 0; r < nr; r++) {
        size_t pick = gr_rng_below(rng, nr), lo = off[pick], len = off[pick + 1] - lo;
        for (k = 0; k < len; k++) {
            scratch[k] = x[lo + gr_rng_below(rng, len)];
        }
        sum += log(gr_median_inplace(scratch, len));
    }
    return sum / (double)nr;
}

static int check_rounds(const double *x, const size_t *off, size_t nr, size_t *maxlen)
{
    size_t r, k;
    if (nr == 0) {
        return -1;
    }
    for (r = 0; r < nr; r++) {
        if (off[r + 1] <= off[r]) {
            return -1;
        }
        if (off[r + 1] - off[r] > *maxlen) {
            *maxlen = off[r + 1] - off[r];
        }
        for (k = off[r]; k < off[r + 1]; k++) {
            if (!(x[k] > 0)) {
                return -1;
            }
        }
    }
    return 0;
}

int gr_boot_hier(const double *xa, const size_t *offa, size_t nra,
                 const double *xb, const size_t *offb, size_t nrb, size_t reps,
                 double level, uint64_t seed, double *lo, double *hi)
{
    size_t maxlen = 0, i;
    double *scratch, *stat;
    gr_rng rng;
    if (reps < 2 || check_rounds(xa, offa, nra, &maxlen) < 0
        || check_rounds(xb, offb, nrb, &maxlen) < 0) {
        return -1;
    }
    scratch = gr_malloc(maxlen * sizeof *scratch);
    stat = gr_malloc(reps * sizeof *stat);
    if (!scratch || !stat) {
        gr_free(scratch);
        gr_free(stat);
        return -1;
    }
    gr_rng_seed(&rng, seed);
    for (i = 0; i < reps; i++) {
        double ea = boot_run(&rng, xa, offa, nra, scratch);
        stat[i] = boot_run(&rng, xb, offb, nrb, scratch) - ea;
    }
    qsort(stat, reps, sizeof *stat, cmp_double);
    {
        double h = (double)(reps - 1) * (1.0 - level) / 2.0, f;
        size_t j = (size_t)h;
        f = h - (double)j;
        *lo = stat[j] + f * (stat[j + 1 < reps ? j + 1 : j] - stat[j]);
        h = (double)(reps - 1) * (1.0 + level) / 2.0;
        j = (size_t)h;
        f = h - (double)j;
        *hi = stat[j] + f * (stat[j + 1 < reps ? j + 1 : j] - stat[j]);
    }
    gr_free(scratch);
    gr_free(stat);
    return 0;
}

/* ---- multiple testing and summaries -------------------------------------------------- */

static const double *bh_p; /* qsort has no context argument */

static int cmp_by_p(const void *a, const void *b)
{
    double x = bh_p[*(const size_t *)a], y = bh_p[*(const size_t *)b];
    return (x > y) - (x < y);
}

int gr_bh_adjust(const double *p, size_t n, double *q)
{
    size_t *idx, m = 0, i;
    double run = 1.0;
    idx = gr_malloc((n ? n : 1) * sizeof *idx);
    if (!idx) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        q[i] = NAN;
        if (!isnan(p[i])) {
            idx[m++] = i;
        }
    }
    bh_p = p;
    qsort(idx, m, sizeof *idx, cmp_by_p);
    for (i = m; i-- > 0;) {
        double v = p[idx[i]] * (double)m / (double)(i + 1);
        run = v < run ? v : run;
        q[idx[i]] = run;
    }
    gr_free(idx);
    return 0;
}

double gr_geomean(const double *r, size_t n)
{
    double s = 0.0;
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        if (r[i] > 0 && isfinite(r[i])) {
            s += log(r[i]);
            k++;
        }
    }
    return k ? exp(s / (double)k) : NAN;
}
