/*
 * check_aa.c - grregress's decision rule on REAL runs: the stored A/A set
 * tests/data/aa/aa-*.json, quick-suite runs of one build of identical code
 * recorded one after another on one of our 2-core machines while other
 * jobs (parallel builds, test suites, two-threaded benchmarks) loaded it,
 * as CI neighbours do (tests/data/aa/README has how and when, and how the
 * earlier sets failed).
 *
 * Two measured qualities (the figures are printed as "# ..." lines):
 *  1. False positives: every ordered pair of runs (i, j), i != j, compared
 *     with the default settings (5%, alpha 0.01, metric time): the share of
 *     benchmark comparisons flagged (regression or improvement) must be at
 *     most 1%.  For scale, the same pairs are judged by two rules other tools
 *     use on pooled samples: the plain Mann-Whitney test at 0.05 (Google
 *     Benchmark's compare.py) and asv's rule (Mann-Whitney p < 0.002 and a
 *     change over 10%); both must flag more than ours, or the set is too quiet
 *     to show anything.
 *  2. Power: for every pair and every benchmark whose runs - its executions,
 *     the samples, as hyperfine counts runs - vary by 3% or less (robust
 *     coefficient of variation in both runs of the pair), the
 *     current run's samples of that one benchmark are made 10% slower - a
 *     real slowdown on real noise.  At least 95% must be flagged as a
 *     regression.
 */
#include "config.h"
#include "regress/decide.h"
#include "regress/rstats.h"
#include "common/mem.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAA_MAX 32
#define AA_MAX_FP 0.01   /* at most 1% of identical comparisons flagged */
#define AA_MIN_POWER 0.95 /* at least 95% of real 10% slowdowns flagged */

static gr_run *runs[NAA_MAX];
static size_t nruns;

/* Load tests/data/aa/aa-1.json, aa-2.json, ... until one is missing. */
static void load_set(void)
{
    char name[64];
    gr_error err;
    if (nruns) {
        return;
    }
    for (size_t i = 1; i <= NAA_MAX; i++) {
        snprintf(name, sizeof name, "aa/aa-%zu.json", i);
        const char *path = tu_data(name);
        FILE *fp = fopen(path, "r");
        if (!fp) {
            break;
        }
        fclose(fp);
        gr_error_clear(&err);
        ck_assert_msg(gr_run_read(path, &runs[nruns], &err) == GR_OK, "%s", err.msg);
        nruns++;
    }
    ck_assert_msg(nruns >= 4, "the A/A set needs at least 4 runs, found %zu", nruns);
}

/* Two-sided Mann-Whitney p-value on pooled samples (normal approximation
 * with tie correction; the samples per benchmark are 10 or more). */
static double mann_whitney(const double *a, size_t na, const double *b, size_t nb)
{
    size_t n = na + nb;
    struct { double x; int g; } *v = gr_malloc(n * sizeof *v);
    double *rank = gr_malloc(n * sizeof *rank);
    double ra = 0, ties = 0;
    ck_assert(v && rank);
    for (size_t i = 0; i < na; i++) { v[i].x = a[i]; v[i].g = 0; }
    for (size_t i = 0; i < nb; i++) { v[na + i].x = b[i]; v[na + i].g = 1; }
    /* insertion sort: n is small */
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && v[j - 1].x > v[j].x; j--) {
            double tx = v[j].x; int tg = v[j].g;
            v[j] = v[j - 1];
            v[j - 1].x = tx; v[j - 1].g = tg;
        }
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1].x == v[i].x) {
            j++;
        }
        double t = (double)(j - i + 1);
        ties += t * t * t - t;
        for (size_t k = i; k <= j; k++) {
            rank[k] = (double)(i + j) / 2.0 + 1.0;
        }
        i = j + 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i].g == 0) {
            ra += rank[i];
        }
    }
    double u = ra - (double)na * (double)(na + 1) / 2.0;
    double mu = (double)na * (double)nb / 2.0;
    double var = (double)na * (double)nb / 12.0
                 * ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
    gr_free(v);
    gr_free(rank);
    if (var <= 0) {
        return 1.0;
    }
    double z = (fabs(u - mu) - 0.5) / sqrt(var);
    return z <= 0 ? 1.0 : erfc(z / sqrt(2.0));
}

static int flagged(enum gr_verdict v)
{
    return v == GR_V_REGRESSION || v == GR_V_IMPROVEMENT;
}

START_TEST(aa_false_positive_rate)
{
    struct gr_decide_opts o;
    size_t cmp = 0, ours = 0, mw = 0, asv = 0;
    load_set();
    gr_decide_opts_init(&o);
    for (size_t i = 0; i < nruns; i++) {
        for (size_t j = 0; j < nruns; j++) {
            struct gr_report rep;
            gr_error err;
            if (i == j) {
                continue;
            }
            gr_error_clear(&err);
            ck_assert(gr_decide(runs[i], runs[j], NULL, NULL, &o, &rep, &err) == GR_OK);
            for (size_t k = 0; k < rep.n; k++) {
                const struct gr_cmp_row *row = &rep.res[k];
                const gr_run_bench *a = gr_run_find(runs[i], row->name);
                const gr_run_bench *b = gr_run_find(runs[j], row->name);
                if (isnan(row->change) || !a || !b) {
                    continue;
                }
                cmp++;
                ours += (size_t)flagged(row->verdict);
                double p = mann_whitney(a->samples, a->nsamples, b->samples, b->nsamples);
                double ma = gr_median(a->samples, a->nsamples);
                double mb = gr_median(b->samples, b->nsamples);
                mw += p < 0.05;
                asv += p < 0.002 && (mb > 1.10 * ma || ma > 1.10 * mb);
            }
            gr_report_free(&rep);
        }
    }
    double r_ours = (double)ours / (double)cmp;
    double r_mw = (double)mw / (double)cmp;
    double r_asv = (double)asv / (double)cmp;
    printf("# A/A on %zu real runs, %zu benchmark comparisons: grregress flags %.2f%% (%zu), "
           "Mann-Whitney at 0.05 %.1f%%, asv's rule %.1f%%\n",
           nruns, cmp, 100 * r_ours, ours, 100 * r_mw, 100 * r_asv);
    ck_assert(cmp >= 500);
    ck_assert_msg(r_ours <= AA_MAX_FP, "A/A false-positive rate %.2f%% > 1%%", 100 * r_ours);
    ck_assert_msg(r_mw > r_ours && r_asv > r_ours,
                  "the A/A set is too quiet to tell the rules apart");
}
END_TEST

/* How much benchmark `name`'s runs (its executions: the samples) vary in
 * run i: the robust coefficient of variation, 1.4826 MAD / median (a
 * neighbour's occasional slow samples do not count, as they do not in a
 * round's minimum); INFINITY when run i lacks the benchmark. */
static double sample_cv(size_t i, const char *name)
{
    const gr_run_bench *b = gr_run_find(runs[i], name);
    double m, *dev, cv;
    if (!b || b->nsamples < 2) {
        return INFINITY;
    }
    m = gr_median(b->samples, b->nsamples);
    dev = gr_malloc(b->nsamples * sizeof *dev);
    ck_assert_ptr_nonnull(dev);
    for (size_t k = 0; k < b->nsamples; k++) {
        dev[k] = fabs(b->samples[k] - m);
    }
    cv = m > 0 ? 1.4826 * gr_median(dev, b->nsamples) / m : INFINITY;
    gr_free(dev);
    return cv;
}

START_TEST(aa_power_10pct)
{
    struct gr_decide_opts o;
    size_t tried = 0, found = 0, nb = 0;
    load_set();
    gr_decide_opts_init(&o);
    for (size_t k = 0; k < runs[0]->nbench; k++) {
        const char *name = runs[0]->bench[k].name;
        size_t before = tried;
        for (size_t i = 0; i < nruns; i++) {
            for (size_t j = 0; j < nruns; j++) {
                gr_run_bench *b;
                struct gr_report rep;
                gr_error err;
                if (i == j || sample_cv(i, name) > 0.03 || sample_cv(j, name) > 0.03) {
                    continue;
                }
                b = (gr_run_bench *)gr_run_find(runs[j], name);
                for (size_t s = 0; s < b->nsamples; s++) {
                    b->samples[s] *= 1.10;
                }
                gr_error_clear(&err);
                ck_assert(gr_decide(runs[i], runs[j], NULL, NULL, &o, &rep, &err) == GR_OK);
                for (size_t s = 0; s < b->nsamples; s++) {
                    b->samples[s] /= 1.10;
                }
                for (size_t r = 0; r < rep.n; r++) {
                    if (strcmp(rep.res[r].name, name) == 0) {
                        tried++;
                        found += rep.res[r].verdict == GR_V_REGRESSION;
                    }
                }
                gr_report_free(&rep);
            }
        }
        nb += tried > before;
    }
    double power = tried ? (double)found / (double)tried : 0;
    printf("# 10%% slowdown injected into real samples of one benchmark whose runs vary by "
           "<= 3%% (robust CV in both runs): %zu pairs of runs over %zu benchmarks; "
           "flagged in %zu (%.1f%%)\n", tried, nb, found, 100 * power);
    ck_assert_msg(tried >= 100, "only %zu cases whose runs vary by <= 3%%", tried);
    ck_assert_msg(power >= AA_MIN_POWER, "power %.1f%% < 95%%", 100 * power);
}
END_TEST

/* A whole run 20% slower, as when neighbours load the machine during one
 * run only: judged relative to the suite-wide shift (the runs were
 * recorded on a busy machine), nothing is flagged and the shift is
 * reported; judged absolutely (--shift off), most of the suite is. */
START_TEST(aa_suite_shift)
{
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    size_t flagged_rel = 0, flagged_abs = 0;
    double natural;
    load_set();
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert(gr_decide(runs[0], runs[1], NULL, NULL, &o, &rep, &err) == GR_OK);
    natural = rep.shift; /* the two runs' own difference */
    gr_report_free(&rep);
    for (size_t k = 0; k < runs[1]->nbench; k++) {
        for (size_t s = 0; s < runs[1]->bench[k].nsamples; s++) {
            runs[1]->bench[k].samples[s] *= 1.20;
        }
    }
    gr_error_clear(&err);
    ck_assert(gr_decide(runs[0], runs[1], NULL, NULL, &o, &rep, &err) == GR_OK);
    ck_assert(rep.shift_removed);
    ck_assert_msg(fabs(log1p(rep.shift) - log1p(natural) - log(1.20)) < 0.01,
                  "shift %.3f, %.3f before the 20%% slowdown", rep.shift, natural);
    for (size_t k = 0; k < rep.n; k++) {
        flagged_rel += (size_t)flagged(rep.res[k].verdict);
    }
    gr_report_free(&rep);
    o.shift = GR_SHIFT_OFF;
    ck_assert(gr_decide(runs[0], runs[1], NULL, NULL, &o, &rep, &err) == GR_OK);
    ck_assert(!rep.shift_removed);
    for (size_t k = 0; k < rep.n; k++) {
        flagged_abs += (size_t)flagged(rep.res[k].verdict);
    }
    printf("# whole run 20%% slower: %zu of %zu flagged relative to the suite shift, "
           "%zu absolutely\n", flagged_rel, rep.n, flagged_abs);
    ck_assert(flagged_rel * 100 <= rep.n);
    ck_assert(flagged_abs * 2 > rep.n);
    gr_report_free(&rep);
    for (size_t k = 0; k < runs[1]->nbench; k++) {
        for (size_t s = 0; s < runs[1]->bench[k].nsamples; s++) {
            runs[1]->bench[k].samples[s] /= 1.20;
        }
    }
}
END_TEST

static void free_set(void)
{
    for (size_t i = 0; i < nruns; i++) {
        gr_run_free(&runs[i]);
    }
    nruns = 0;
}

static Suite *aa_suite(void)
{
    Suite *s = suite_create("aa");
    TCase *tc = tcase_create("real");
    tcase_add_checked_fixture(tc, NULL, free_set);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, aa_false_positive_rate);
    tcase_add_test(tc, aa_power_10pct);
    tcase_add_test(tc, aa_suite_shift);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(aa_suite());
}
