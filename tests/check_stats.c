/*
 * check_stats.c - the descriptive statistics of common/stats.h and the
 * inferential ones of regress/rstats.h against values worked out by hand
 * or known from tables: quantiles, the median's order-statistic interval,
 * Student's t, special functions, exact permutation p-values on tiny
 * inputs, Benjamini-Hochberg on a hand-computed example, the moderated t
 * test, bootstrap determinism by seed, the geometric mean.
 */
#include "config.h"
#include "common/stats.h"
#include "regress/rstats.h"
#include "testutil.h"

#include <check.h>
#include <math.h>

#define TOL 1e-9
#define PI 3.14159265358979323846

START_TEST(stats_known_values)
{
    const double x[5] = {5, 1, 4, 2, 3};
    gr_stats s;
    ck_assert_int_eq(gr_stats_compute(x, 5, &s), 0);
    ck_assert_uint_eq(s.n, 5);
    ck_assert_double_eq(s.min, 1);
    ck_assert_double_eq(s.max, 5);
    ck_assert_double_eq(s.median, 3);
    ck_assert_double_eq(s.mean, 3);
    ck_assert_double_eq_tol(s.stddev, sqrt(2.5), TOL);
    ck_assert_double_eq(s.mad, 1);
    ck_assert_double_eq_tol(s.p95, 4.8, TOL); /* type 7: 4 + 0.8 * (5 - 4) */
    ck_assert_double_eq_tol(s.p99, 4.96, TOL);
    ck_assert_uint_eq(s.low_severe + s.low_mild + s.high_mild + s.high_severe, 0);
    ck_assert_int_eq(gr_stats_compute(x, 0, &s), -1);
}
END_TEST

START_TEST(stats_outliers_and_ci)
{
    const double x[8] = {1, 1, 1, 1, 1, 1, 1, 100};
    gr_stats s;
    size_t lo, hi;
    ck_assert_int_eq(gr_stats_compute(x, 8, &s), 0);
    ck_assert_uint_eq(s.high_severe, 1);
    ck_assert_double_eq(s.median, 1);
    /* n = 10: 2 P(X <= 1) = 22/1024 <= 0.05 < 2 P(X <= 2) = 112/1024 */
    gr_median_ci_index(10, 0.95, &lo, &hi);
    ck_assert_uint_eq(lo, 1);
    ck_assert_uint_eq(hi, 8);
    gr_median_ci_index(3, 0.95, &lo, &hi); /* too small: the widest */
    ck_assert_uint_eq(lo, 0);
    ck_assert_uint_eq(hi, 2);
}
END_TEST

START_TEST(t_distribution)
{
    ck_assert_double_eq_tol(gr_t_pvalue(2.0, 10), 0.07338803497, 1e-9);
    ck_assert_double_eq_tol(gr_t_pvalue(-2.0, 10), 0.07338803497, 1e-9);
    ck_assert_double_eq_tol(gr_t_pvalue(0.0, 5), 1.0, 1e-12);
    ck_assert_double_eq_tol(gr_t_pvalue(1.959963985, INFINITY), 0.05, 1e-8);
    ck_assert_double_eq_tol(gr_t_quantile(0.975, 10), 2.228138852, 1e-8);
    ck_assert_double_eq_tol(gr_t_quantile(0.025, 10), -2.228138852, 1e-8);
    ck_assert_double_eq_tol(gr_t_quantile(0.975, 1), 12.70620474, 1e-6);
    ck_assert(isnan(gr_t_pvalue(1.0, 0)));
}
END_TEST

START_TEST(special_functions)
{
    ck_assert_double_eq_tol(gr_digamma(1.0), -0.5772156649015329, 1e-12);
    ck_assert_double_eq_tol(gr_digamma(0.5), -1.9635100260214235, 1e-12);
    ck_assert_double_eq_tol(gr_trigamma(1.0), PI * PI / 6.0, 1e-12);
    ck_assert_double_eq_tol(gr_trigamma(0.5), PI * PI / 2.0, 1e-11);
    ck_assert_double_eq_tol(gr_trigamma_inv(gr_trigamma(2.5)), 2.5, 1e-9);
    ck_assert_double_eq_tol(gr_trigamma_inv(gr_trigamma(40.0)), 40.0, 1e-7);
    /* I_0.4(2, 3) = sum_{j=2..4} C(4,j) 0.4^j 0.6^(4-j) */
    ck_assert_double_eq_tol(gr_betainc(2, 3, 0.4), 0.5248, 1e-12);
    ck_assert_double_eq(gr_betainc(2, 3, 0.0), 0.0);
    ck_assert_double_eq(gr_betainc(2, 3, 1.0), 1.0);
}
END_TEST

START_TEST(permutation_exact)
{
    const double a[3] = {1, 2, 3}, b[3] = {4, 5, 6}, c[2] = {1, 1}, d[2] = {1, 1};
    const double e[2] = {1, 2}, f[2] = {3, 4};
    /* 20 splits of 6 into 3 + 3; only the two extreme ones reach |3| */
    ck_assert_double_eq_tol(gr_perm_test(a, 3, b, 3, 1000, 0, 1), 2.0 / 20.0, TOL);
    ck_assert_double_eq_tol(gr_perm_test(b, 3, a, 3, 1000, 0, 1), 2.0 / 20.0, TOL);
    /* all ties: every split is as extreme */
    ck_assert_double_eq_tol(gr_perm_test(c, 2, d, 2, 1000, 0, 1), 1.0, TOL);
    /* {1,2} vs {3,4}: 6 splits, |diff| >= 2 for {1,2} and {3,4} only */
    ck_assert_double_eq_tol(gr_perm_test(e, 2, f, 2, 1000, 0, 1), 2.0 / 6.0, TOL);
    /* 5 + 5 rounds: the smallest p an exact test can give is 2/252 */
    {
        const double g[5] = {1, 2, 3, 4, 5}, h[5] = {11, 12, 13, 14, 15};
        ck_assert_double_eq_tol(gr_perm_test(g, 5, h, 5, 1000, 0, 1), 2.0 / 252.0, TOL);
    }
    ck_assert(isnan(gr_perm_test(a, 0, b, 3, 1000, 0, 1)));
}
END_TEST

START_TEST(permutation_monte_carlo)
{
    const double g[5] = {1, 2, 3, 4, 5}, h[5] = {11, 12, 13, 14, 15};
    double p1 = gr_perm_test(g, 5, h, 5, 10, 20000, 42);
    double p2 = gr_perm_test(g, 5, h, 5, 10, 20000, 42);
    ck_assert_double_eq(p1, p2); /* deterministic by seed */
    ck_assert_double_eq_tol(p1, 2.0 / 252.0, 0.003);
}
END_TEST

START_TEST(bh_hand_example)
{
    /* sorted p: .005 .01 .03 .04 (m = 4): p*m/i = .02 .02 .04 .04 */
    const double p[5] = {0.01, 0.04, NAN, 0.03, 0.005};
    double q[5];
    ck_assert_int_eq(gr_bh_adjust(p, 5, q), 0);
    ck_assert_double_eq_tol(q[0], 0.02, TOL);
    ck_assert_double_eq_tol(q[1], 0.04, TOL);
    ck_assert(isnan(q[2]));
    ck_assert_double_eq_tol(q[3], 0.04, TOL);
    ck_assert_double_eq_tol(q[4], 0.02, TOL);
}
END_TEST

START_TEST(bh_monotone_cap)
{
    /* p*m/i above 1 is capped, and q is monotone in p */
    const double p[3] = {0.9, 0.5, 0.95};
    double q[3];
    ck_assert_int_eq(gr_bh_adjust(p, 3, q), 0);
    ck_assert_double_eq_tol(q[0], 0.95, TOL);
    ck_assert_double_eq_tol(q[1], 0.95, TOL); /* min(1.5, .95 .95) */
    ck_assert_double_eq_tol(q[2], 0.95, TOL);
}
END_TEST

START_TEST(moderated_t)
{
    const double a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    struct gr_ttest t;
    /* d0 = 0: Student's pooled t: diff 3, s2 1, se sqrt(2/3), df 4 */
    ck_assert_int_eq(gr_ttest_moderated(a, 3, b, 3, 0.0, 0.0, 0.95, &t), 0);
    ck_assert_double_eq_tol(t.diff, 3.0, TOL);
    ck_assert_double_eq_tol(t.se, sqrt(2.0 / 3.0), TOL);
    ck_assert_double_eq_tol(t.df, 4.0, TOL);
    ck_assert_double_eq_tol(t.p, 0.02131164, 1e-6);
    ck_assert_double_eq_tol(t.lo, 3.0 - 2.776445105 * sqrt(2.0 / 3.0), 1e-7);
    /* d0 = inf, s0^2 = 1: the normal test with variance 1 */
    ck_assert_int_eq(gr_ttest_moderated(a, 3, b, 3, 1.0, INFINITY, 0.95, &t), 0);
    ck_assert_double_eq_tol(t.p, 0.000238563454, 1e-9);
    /* d0 = 4, s0^2 = 4: s2 = (4*4 + 4*1) / 8 = 2.5, df 8 */
    ck_assert_int_eq(gr_ttest_moderated(a, 3, b, 3, 4.0, 4.0, 0.95, &t), 0);
    ck_assert_double_eq_tol(t.se, sqrt(2.5 * 2.0 / 3.0), TOL);
    ck_assert_double_eq_tol(t.df, 8.0, TOL);
    ck_assert_int_eq(gr_ttest_moderated(a, 0, b, 3, 0, 0, 0.95, &t), -1);
}
END_TEST

START_TEST(variance_prior)
{
    const double s2same[4] = {1, 1, 1, 1}, df[4] = {8, 8, 8, 8};
    const double s2var[6] = {0.01, 1, 100, 0.1, 10, 1}, df6[6] = {8, 8, 8, 8, 8, 8};
    double s02, d0;
    gr_var_prior(s2same, df, 4, &s02, &d0);
    ck_assert(isinf(d0)); /* less spread than sampling alone: infinite prior df */
    ck_assert_double_eq_tol(s02, exp(-gr_digamma(4.0) + log(4.0)), 1e-12);
    gr_var_prior(s2var, df6, 6, &s02, &d0);
    ck_assert(d0 > 0 && d0 < 2); /* very heterogeneous: a weak prior */
    gr_var_prior(s2same, df, 2, &s02, &d0);
    ck_assert_double_eq(d0, 0.0); /* too few to fit */
}
END_TEST

START_TEST(bootstrap_deterministic)
{
    /* baseline rounds around 1.0, current around 1.2 (log ratio 0.182) */
    const double xa[9] = {1.00, 1.01, 0.99, 1.02, 1.00, 0.98, 0.99, 1.01, 1.00};
    const double xb[9] = {1.20, 1.21, 1.19, 1.22, 1.20, 1.18, 1.19, 1.21, 1.20};
    const size_t off[4] = {0, 3, 6, 9};
    const size_t bad[4] = {0, 3, 3, 9};
    double lo1, hi1, lo2, hi2, lo3, hi3;
    ck_assert_int_eq(gr_boot_hier(xa, off, 3, xb, off, 3, 2000, 0.95, 7, &lo1, &hi1), 0);
    ck_assert_int_eq(gr_boot_hier(xa, off, 3, xb, off, 3, 2000, 0.95, 7, &lo2, &hi2), 0);
    ck_assert_double_eq(lo1, lo2);
    ck_assert_double_eq(hi1, hi2);
    ck_assert(lo1 < log(1.2) && log(1.2) < hi1);
    ck_assert(hi1 - lo1 < 0.05);
    ck_assert_int_eq(gr_boot_hier(xa, off, 3, xb, off, 3, 2000, 0.95, 8, &lo3, &hi3), 0);
    ck_assert(lo3 != lo1 || hi3 != hi1); /* another seed, another resample */
    ck_assert_int_eq(gr_boot_hier(xa, bad, 3, xb, off, 3, 100, 0.95, 7, &lo3, &hi3), -1);
}
END_TEST

START_TEST(rng_and_geomean)
{
    gr_rng a, b;
    size_t i, counts[3] = {0, 0, 0};
    const double r[4] = {2.0, 8.0, -1.0, 0.0};
    gr_rng_seed(&a, 99);
    gr_rng_seed(&b, 99);
    for (i = 0; i < 100; i++) {
        ck_assert_uint_eq(gr_rng_next(&a), gr_rng_next(&b));
    }
    for (i = 0; i < 3000; i++) {
        counts[gr_rng_below(&a, 3)]++;
    }
    ck_assert(counts[0] > 900 && counts[1] > 900 && counts[2] > 900);
    ck_assert_double_eq_tol(gr_geomean(r, 4), 4.0, TOL); /* non-positive skipped */
    ck_assert(isnan(gr_geomean(r + 2, 2)));
    ck_assert_double_eq_tol(gr_median(r, 2), 5.0, TOL);
    {
        /* the in-place median: the same values, its array sorted */
        double odd[5] = {9, 1, 7, 3, 5}, even[4] = {4, 8, 2, 6}, one = 2.5;
        ck_assert_double_eq(gr_median_inplace(odd, 5), 5.0);
        ck_assert(odd[0] == 1 && odd[1] == 3 && odd[2] == 5 && odd[3] == 7 && odd[4] == 9);
        ck_assert_double_eq(gr_median_inplace(even, 4), 5.0);
        ck_assert(even[0] == 2 && even[3] == 8);
        ck_assert_double_eq(gr_median_inplace(&one, 1), 2.5);
        ck_assert(isnan(gr_median_inplace(&one, 0)));
    }
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *d = tcase_create("descriptive"), *inf = tcase_create("inference");
    tcase_add_test(d, stats_known_values);
    tcase_add_test(d, stats_outliers_and_ci);
    tcase_add_test(inf, t_distribution);
    tcase_add_test(inf, special_functions);
    tcase_add_test(inf, permutation_exact);
    tcase_add_test(inf, permutation_monte_carlo);
    tcase_add_test(inf, bh_hand_example);
    tcase_add_test(inf, bh_monotone_cap);
    tcase_add_test(inf, moderated_t);
    tcase_add_test(inf, variance_prior);
    tcase_add_test(inf, bootstrap_deterministic);
    tcase_add_test(inf, rng_and_geomean);
    suite_add_tcase(s, d);
    suite_add_tcase(s, inf);
    return s;
}

int main(void)
{
    return tu_run(stats_suite());
}
