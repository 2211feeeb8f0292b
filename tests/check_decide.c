/*
 * check_decide.c - the decision rule of grregress (decide.h) on synthetic
 * runs built in memory with a seeded PRNG, and its bookkeeping: checksum
 * mismatches, version changes, added / removed benchmarks, fingerprints,
 * the deterministic instructions metric, per-benchmark thresholds,
 * benchmarks FAILED in a run (the run file's "failures") in every format.
 *
 * The noise model of the simulated suites (one "CI machine"):
 *   sample = t_g * run_offset * round_drift[r] * jitter[g][r] * noise * outlier
 *   run_offset    exp(N(0, 1%))          the whole run, all benchmarks
 *   round_drift   exp(U(-3%, +3%))       per round, shared by all benchmarks
 *   jitter        exp(N(0, 1%))          per benchmark and round
 *   noise         exp(N(0, s_g)), s_g ~ U(1%, 3%) per benchmark, per sample
 *   outlier       3% of samples are 10-50% slower
 * with R = 10 rounds of 2 samples (grprof quick's defaults), 20 benchmarks per suite, run offsets
 * of 0.5% unless a test says otherwise.  A/A compares two independent runs
 * of identical code; the power tests slow benchmark 0 by 10% in the
 * current run, with sample noise 2.25% so that its total variation
 * (drift 1.73% sd, jitter 1%, noise) is 3%.  The measured rates are
 * printed ("# ..." lines).
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

#define NB 20        /* benchmarks per simulated suite */
#define NR 10        /* rounds (grprof quick's default) */
#define NREP 2       /* samples per round (grprof quick's default) */

static char *xdup(const char *s)
{
    char *d = gr_strdup(s);
    ck_assert_ptr_nonnull(d);
    return d;
}

/* An empty run of nb benchmarks on machine `hash`. */
static gr_run *new_run(const char *hash, size_t nb)
{
    gr_run *r = gr_calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    r->machine.hash = xdup(hash);
    r->config.rounds = NR;
    r->nbench = nb;
    r->bench = gr_calloc(nb, sizeof *r->bench);
    ck_assert_ptr_nonnull(r->bench);
    return r;
}

/* Benchmark i: name, version, checksum and room for n samples. */
static gr_run_bench *set_bench(gr_run *r, size_t i, const char *name, int64_t version,
                               const char *checksum, size_t n)
{
    gr_run_bench *b = &r->bench[i];
    b->name = xdup(name);
    b->version = version;
    b->checksum = xdup(checksum);
    b->lower_is_better = 1;
    b->nsamples = n;
    b->samples = gr_calloc(n, sizeof *b->samples);
    b->rounds = gr_calloc(n, sizeof *b->rounds);
    b->instructions = NAN;
    ck_assert_ptr_nonnull(b->samples);
    ck_assert_ptr_nonnull(b->rounds);
    return b;
}

/* Noise levels of the simulated machine (see the banner). */
struct machine {
    double drift;            /* round drift: U(-drift, +drift) on the log scale */
    double jitter;           /* per benchmark and round, sd */
    double offset;           /* per run, sd */
};

/* Fill run r with the model; slow[g] multiplies benchmark g. */
static void simulate(gr_run *r, gr_rng *rng, const struct machine *m, const double *sg,
                     const double *slow)
{
    double off = m->offset * gr_rng_normal(rng), drift[NR];
    size_t g, k, j;
    char name[32];
    for (k = 0; k < NR; k++) {
        drift[k] = m->drift * (2.0 * gr_rng_unit(rng) - 1.0);
    }
    for (g = 0; g < r->nbench; g++) {
        gr_run_bench *b;
        snprintf(name, sizeof name, "sim/bench-%02zu", g);
        b = set_bench(r, g, name, 1, "00000000000000aa", NR * NREP);
        for (k = 0; k < NR; k++) {
            double jit = m->jitter * gr_rng_normal(rng);
            for (j = 0; j < NREP; j++) {
                double x = 1e-4 * (double)(g + 1) * slow[g]
                           * exp(off + drift[k] + jit + sg[g] * gr_rng_normal(rng));
                if (gr_rng_unit(rng) < 0.03) {
                    x *= 1.1 + 0.4 * gr_rng_unit(rng);
                }
                b->samples[k * NREP + j] = x;
                b->rounds[k * NREP + j] = (int64_t)k;
            }
        }
    }
}

/* Simulate `suites` A/B comparisons; returns how many rows of benchmark
 * `which` (or of every benchmark when which < 0) were flagged with
 * verdict v, and the number of rows looked at in *rows. */
static double noise_g = 0.0225; /* sample noise of the changed benchmark */

static size_t simulate_suites(size_t suites, uint64_t seed, const struct machine *m,
                              double slowdown, int which, enum gr_verdict v,
                              size_t *rows, size_t *noisy)
{
    gr_rng rng;
    struct gr_decide_opts o;
    size_t s, g, hits = 0;
    gr_rng_seed(&rng, seed);
    gr_decide_opts_init(&o);
    *rows = 0;
    *noisy = 0;
    for (s = 0; s < suites; s++) {
        double sg[NB], ones[NB], slow[NB];
        gr_run *a = new_run("0123456789abcdef", NB), *b = new_run("0123456789abcdef", NB);
        struct gr_report rep;
        gr_error err;
        for (g = 0; g < NB; g++) {
            sg[g] = 0.01 + 0.02 * gr_rng_unit(&rng);
            ones[g] = 1.0;
            slow[g] = 1.0;
        }
        if (which >= 0) {
            sg[which] = noise_g;
            slow[which] = 1.0 + slowdown;
        }
        simulate(a, &rng, m, sg, ones);
        simulate(b, &rng, m, sg, slow);
        gr_error_clear(&err);
        ck_assert_int_eq(gr_decide(a, b, "a", "b", &o, &rep, &err), GR_OK);
        for (g = 0; g < rep.n; g++) {
            if (which < 0 || (int)g == which) {
                (*rows)++;
                hits += rep.res[g].verdict == v;
                *noisy += rep.res[g].verdict == GR_V_NOISY;
            }
        }
        gr_report_free(&rep);
        gr_run_free(&a);
        gr_run_free(&b);
    }
    return hits;
}

/* Rate of verdict v among the rows simulated (printed for the report). */
static double rate(const char *what, size_t suites, uint64_t seed, const struct machine *m,
                   double slowdown, int which, enum gr_verdict v)
{
    size_t rows, noisy, hits = simulate_suites(suites, seed, m, slowdown, which, v, &rows,
                                               &noisy);
    if (which < 0) { /* A/A: both directions are false positives */
        size_t noisy2;
        hits += simulate_suites(suites, seed, m, slowdown, which,
                                v == GR_V_REGRESSION ? GR_V_IMPROVEMENT : GR_V_REGRESSION,
                                &rows, &noisy2);
    }
    printf("# %s: %zu of %zu flagged %s = %.2f%% (noisy %.2f%%)\n", what, hits, rows,
           which < 0 ? "regression or improvement" : gr_verdict_name(v),
           100.0 * (double)hits / (double)rows, 100.0 * (double)noisy / (double)rows);
    fflush(stdout);
    return (double)hits / (double)rows;
}

/* drift U(+-3%) per round, 1% benchmark jitter, 0.5% run offsets */
static const struct machine ci = {0.03, 0.01, 0.005};

START_TEST(aa_false_positives)
{
    ck_assert(rate("A/A, drift +-3%, 1000 suites x 20", 1000, 11, &ci, 0.0, -1,
                   GR_V_REGRESSION) < 0.01);
}
END_TEST

START_TEST(aa_false_positives_drift6)
{
    struct machine m = {0.06, 0.01, 0.005};
    /* twice the drift of the target machine: runs really differ by more
     * than the within-run noise suggests, so the rate may exceed 1% */
    ck_assert(rate("A/A, drift +-6%", 1000, 12, &m, 0.0, -1, GR_V_REGRESSION) < 0.02);
}
END_TEST

START_TEST(aa_false_positives_offsets)
{
    /* 1% run-to-run offsets are invisible within a run: only the threshold
     * guards against them, so the rate is higher */
    struct machine m = {0.03, 0.01, 0.01};
    ck_assert(rate("A/A, drift +-3%, run offsets 1%", 1000, 13, &m, 0.0, -1,
                   GR_V_REGRESSION) < 0.02);
}
END_TEST

START_TEST(power_10pct)
{
    ck_assert(rate("10% slowdown, total variation 3%", 1000, 21, &ci, 0.10, 0,
                   GR_V_REGRESSION) >= 0.95);
}
END_TEST

START_TEST(power_10pct_offsets)
{
    struct machine m = {0.03, 0.01, 0.01};
    ck_assert(rate("10% slowdown, run offsets 1%", 1000, 24, &m, 0.10, 0,
                   GR_V_REGRESSION) >= 0.90);
}
END_TEST

START_TEST(power_10pct_noisier)
{
    /* 3% sample noise on top of the drift: total variation ~3.8% */
    noise_g = 0.03;
    ck_assert(rate("10% slowdown, 3% sample noise + drift (total ~3.8%)", 1000, 25, &ci,
                   0.10, 0, GR_V_REGRESSION) >= 0.90);
    noise_g = 0.0225;
}
END_TEST

START_TEST(power_improvement)
{
    ck_assert(rate("10% speed-up", 500, 22, &ci, -0.0909, 0, GR_V_IMPROVEMENT) >= 0.95);
}
END_TEST

START_TEST(small_change_not_flagged)
{
    /* a real 2% slowdown is below the 5% threshold */
    ck_assert(rate("2% slowdown", 1000, 23, &ci, 0.02, 0, GR_V_REGRESSION) < 0.05);
}
END_TEST

/* Two tiny runs with one benchmark each, 5 rounds x 2 samples, constant
 * per round with a little spread. */
static gr_run *tiny_run(const char *hash, const char *name, int64_t version,
                        const char *checksum, double t)
{
    gr_run *r = new_run(hash, 1);
    gr_run_bench *b = set_bench(r, 0, name, version, checksum, 10);
    size_t k;
    static const double wiggle[10] = {1.00, 1.01, 0.99, 1.00, 1.02,
                                      0.98, 1.00, 1.01, 0.995, 1.005};
    for (k = 0; k < 10; k++) {
        b->samples[k] = t * wiggle[k];
        b->rounds[k] = (int64_t)(k / 2);
    }
    return r;
}

START_TEST(checksum_mismatch)
{
    gr_run *a = tiny_run("0123456789abcdef", "x", 1, "1111111111111111", 1e-3);
    gr_run *b = tiny_run("0123456789abcdef", "x", 1, "2222222222222222", 1e-3);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_uint_eq(rep.n, 1);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_CHECKSUM);
    ck_assert_int_eq(gr_report_failed(&rep), 1);
    ck_assert_uint_eq(rep.count[GR_V_CHECKSUM], 1);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(version_added_removed)
{
    gr_run *a = new_run("0123456789abcdef", 3), *b = new_run("0123456789abcdef", 3);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    size_t i, k;
    const char *an[3] = {"keep", "ver", "gone"}, *bn[3] = {"keep", "ver", "new"};
    for (i = 0; i < 3; i++) {
        gr_run_bench *x = set_bench(a, i, an[i], 1, "1111111111111111", 10);
        gr_run_bench *y = set_bench(b, i, bn[i], i == 1 ? 2 : 1, "2222222222222222", 10);
        for (k = 0; k < 10; k++) {
            x->samples[k] = 2.0; /* 2x slower in b: would be flagged if compared */
            y->samples[k] = 4.0;
            x->rounds[k] = y->rounds[k] = (int64_t)(k / 2);
        }
    }
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_uint_eq(rep.n, 4);
    ck_assert_str_eq(rep.res[0].name, "keep");
    ck_assert_int_eq(rep.res[0].verdict, GR_V_CHECKSUM);
    ck_assert_str_eq(rep.res[1].name, "ver");
    ck_assert_int_eq(rep.res[1].verdict, GR_V_VERSION);
    ck_assert(isnan(rep.res[1].change));
    ck_assert_str_eq(rep.res[2].name, "new");
    ck_assert_int_eq(rep.res[2].verdict, GR_V_ADDED);
    ck_assert_str_eq(rep.res[3].name, "gone");
    ck_assert_int_eq(rep.res[3].verdict, GR_V_REMOVED);
    ck_assert_uint_eq(rep.compared, 0);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(fingerprint_mismatch)
{
    gr_run *a = tiny_run("0123456789abcdef", "x", 1, "1111111111111111", 1e-3);
    gr_run *b = tiny_run("fedcba9876543210", "x", 1, "1111111111111111", 1e-3);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.machine_match, 0);
    ck_assert_str_eq(rep.base_hash, "0123456789abcdef");
    ck_assert_str_eq(rep.cur_hash, "fedcba9876543210");
    ck_assert_int_eq(rep.res[0].verdict, GR_V_UNCHANGED);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(regression_and_threshold_rules)
{
    gr_run *a = tiny_run("0123456789abcdef", "alg/x", 1, "1111111111111111", 1e-3);
    gr_run *b = tiny_run("0123456789abcdef", "alg/x", 1, "1111111111111111", 1.2e-3);
    struct gr_decide_opts o;
    struct gr_threshold_rule rule;
    struct gr_report rep;
    gr_error err;
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_REGRESSION);
    ck_assert_double_eq_tol(rep.res[0].change, 0.2, 1e-9);
    ck_assert(rep.res[0].change_lo < 0.2 && rep.res[0].change_hi > 0.2);
    ck_assert(rep.res[0].p < 0.01);
    ck_assert_double_eq_tol(rep.geomean, 0.2, 1e-9);
    gr_report_free(&rep);
    /* the same 20% under a 30% rule is unchanged */
    rule.pattern = "^alg/";
    rule.threshold = 0.30;
    ck_assert_int_eq(regcomp(&rule.re, rule.pattern, REG_EXTENDED | REG_NOSUB), 0);
    o.rules = &rule;
    o.nrules = 1;
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_UNCHANGED);
    ck_assert_double_eq(rep.res[0].threshold, 0.30);
    gr_report_free(&rep);
    regfree(&rule.re);
    /* direction "higher": the same numbers are an improvement */
    a->bench[0].lower_is_better = b->bench[0].lower_is_better = 0;
    o.rules = NULL;
    o.nrules = 0;
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_IMPROVEMENT);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(few_rounds_noisy)
{
    gr_run *a = tiny_run("0123456789abcdef", "x", 1, "1111111111111111", 1e-3);
    gr_run *b = tiny_run("0123456789abcdef", "x", 1, "1111111111111111", 2e-3);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    size_t k;
    for (k = 0; k < 10; k++) {
        b->bench[0].rounds[k] = (int64_t)(k / 5); /* 2 rounds */
    }
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_NOISY);
    ck_assert_str_eq(rep.res[0].reason, "fewer than 3 rounds");
    ck_assert(isnan(rep.res[0].p));
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

/* Contended samples (neighbours took the CPU) are left out: a slow
 * contended sample cannot fake a regression, a fast one cannot hide one;
 * a benchmark contended in more than half its samples counts not at all
 * (gr_bench_busy), and then the verdict is noisy, saying why. */
START_TEST(contended_samples_left_out)
{
    gr_run *a = tiny_run("0123456789abcdef", "x", 1, "1111111111111111", 1e-3);
    gr_run *b = tiny_run("0123456789abcdef", "x", 1, "1111111111111111", 1e-3);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    size_t k;
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    b->bench[0].contention = gr_calloc(10, sizeof(double));
    ck_assert_ptr_nonnull(b->bench[0].contention);
    /* both samples of rounds 0-1 ten times slower, but contended: left
     * out, the 3 other rounds say nothing changed */
    for (k = 0; k < 4; k++) {
        b->bench[0].samples[k] *= 10;
        b->bench[0].contention[k] = 0.8;
    }
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_UNCHANGED);
    ck_assert_uint_eq(rep.res[0].cur_rounds, 3);
    ck_assert_double_eq_tol(rep.res[0].cur, 1e-3, 2e-5);   /* the clean samples' median */
    gr_report_free(&rep);
    /* round 2 as well: 6 of 10 samples contended, the neighbour was there
     * most of the time and no sample counts */
    for (k = 4; k < 6; k++) {
        b->bench[0].samples[k] *= 10;
        b->bench[0].contention[k] = 0.8;
    }
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_NOISY);
    ck_assert_str_eq(rep.res[0].reason, GR_REASON_CONTENDED);
    ck_assert_uint_eq(rep.res[0].cur_rounds, 0);
    gr_report_free(&rep);
    /* rounds 0-2 clean again (at the threshold): no change at all */
    for (k = 0; k < 6; k++) {
        b->bench[0].samples[k] /= 10;
        b->bench[0].contention[k] = GR_CONTENDED;
    }
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_UNCHANGED);
    gr_report_free(&rep);
    /* a real 20% slowdown, one fast contended sample per round (half the
     * samples: not busy): seen */
    for (k = 0; k < 10; k++) {
        b->bench[0].samples[k] *= k % 2 ? 1.2 : 0.5;
        b->bench[0].contention[k] = k % 2 ? 0.01 : 0.3;
    }
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_REGRESSION);
    ck_assert_uint_eq(rep.res[0].cur_rounds, 5);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(instructions_threshold_only)
{
    gr_run *a = tiny_run("0123456789abcdef", "x", 1, "1111111111111111", 1e-3);
    gr_run *b = tiny_run("0123456789abcdef", "x", 1, "1111111111111111", 1e-3);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    gr_decide_opts_init(&o);
    o.metric = GR_METRIC_INSTRUCTIONS;
    gr_error_clear(&err);
    /* missing counts: no data */
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_NODATA);
    gr_report_free(&rep);
    /* +6% instructions, identical times: a regression on the threshold alone */
    a->bench[0].instructions = 1000000;
    b->bench[0].instructions = 1060000;
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_REGRESSION);
    ck_assert_double_eq_tol(rep.res[0].change, 0.06, 1e-12);
    ck_assert(isnan(rep.res[0].p));
    gr_report_free(&rep);
    /* +4%: below the threshold */
    b->bench[0].instructions = 1040000;
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_UNCHANGED);
    gr_report_free(&rep);
    /* -6%: improvement */
    b->bench[0].instructions = 940000;
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_int_eq(rep.res[0].verdict, GR_V_IMPROVEMENT);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(formats_print)
{
    gr_run *a = tiny_run("0123456789abcdef", "a|b<&>", 1, "1111111111111111", 1e-3);
    gr_run *b = tiny_run("fedcba9876543210", "a|b<&>", 1, "1111111111111111", 1.2e-3);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp;
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_decide(a, b, "base.json", "cur.json", &o, &rep, &err), GR_OK);
    fp = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_TABLE, fp), 0);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_MARKDOWN, fp), 0);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_JSON, fp), 0);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_JUNIT, fp), 0);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_GITHUB, fp), 0);
    fclose(fp);
    ck_assert_ptr_nonnull(strstr(buf, "WARNING: machine fingerprints differ"));
    ck_assert_ptr_nonnull(strstr(buf, "`a\\|b<&>`"));
    ck_assert_ptr_nonnull(strstr(buf, "\"verdict\":\t\"regression\""));
    ck_assert_ptr_nonnull(strstr(buf, "name=\"a|b&lt;&amp;&gt;\""));
    ck_assert_ptr_nonnull(strstr(buf, "::error title=Performance regression%3A a|b<&>::"));
    ck_assert_ptr_nonnull(strstr(buf, "::warning title=Machine fingerprint mismatch::"));
    free(buf);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(reader_and_decide_out_of_memory)
{
    /* every allocation of reading a run file and comparing fails in turn:
     * each attempt fails cleanly with GR_ERR_NOMEM (leaks show under
     * valgrind / ASan), then one succeeds */
    gr_run *a = NULL, *b = NULL;
    gr_error err;
    struct gr_report rep;
    struct gr_decide_opts o;
    long budget;
    size_t i;
    int rc;
    gr_decide_opts_init(&o);
    for (budget = 0;; budget++) {
        gr_error_clear(&err);
        gr_mem_fail_after(budget);
        rc = gr_run_read(tu_data("regress_base.json"), &a, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_ptr_null(a);
        ck_assert(budget < 100000);
    }
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_read(tu_data("regress_slow.json"), &b, &err), GR_OK);
    /* contention measured (none of it): the medians then come from the
     * clean samples */
    for (i = 0; i < a->nbench + b->nbench; i++) {
        gr_run_bench *x = i < a->nbench ? &a->bench[i] : &b->bench[i - a->nbench];
        x->contention = gr_calloc(x->nsamples, sizeof *x->contention);
        ck_assert_ptr_nonnull(x->contention);
    }
    for (budget = 0;; budget++) {
        gr_error_clear(&err);
        gr_mem_fail_after(budget);
        rc = gr_decide(a, b, NULL, NULL, &o, &rep, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_ptr_null(rep.res);
        ck_assert(budget < 100000);
    }
    ck_assert_int_eq(rep.count[GR_V_REGRESSION], 1);
    /* the run that succeeded lost no median to a failed allocation */
    for (i = 0; i < rep.n; i++) {
        ck_assert_msg(isfinite(rep.res[i].base) && isfinite(rep.res[i].cur),
                      "%s: medians %g and %g", rep.res[i].name, rep.res[i].base,
                      rep.res[i].cur);
    }
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

/* Add a failure entry to r (run files list FAILED benchmarks apart). */
static void add_failure(gr_run *r, const char *name, int64_t version, const char *reason)
{
    gr_run_failure *f = gr_realloc(r->fail, (r->nfail + 1) * sizeof *f);
    ck_assert_ptr_nonnull(f);
    r->fail = f;
    f = &r->fail[r->nfail++];
    f->name = xdup(name);
    f->group = xdup("algorithms");
    f->version = version;
    f->round = 2;
    f->reason = xdup(reason);
}

/* FAILED now: "failed" (exit 1), measured in the baseline or not; FAILED
 * in the baseline and measured now: no-data; a filter applies to both. */
START_TEST(failed_benchmarks)
{
    gr_run *a = new_run("0123456789abcdef", 1), *b = new_run("0123456789abcdef", 1);
    gr_run_bench *x = set_bench(a, 0, "crash", 1, "1111111111111111", 10);
    gr_run_bench *y = set_bench(b, 0, "was-failed", 1, "1111111111111111", 10);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    regex_t re;
    size_t k;
    for (k = 0; k < 10; k++) {
        x->samples[k] = y->samples[k] = 1e-3 * (1.0 + 0.001 * (double)(k % 3));
        x->rounds[k] = y->rounds[k] = (int64_t)(k / 2);
    }
    /* a: "crash" measured, "was-failed" FAILED; b: the reverse, plus a new one */
    add_failure(a, "was-failed", 1, "killed by SIGABRT in round 0");
    add_failure(b, "crash", 1, "killed by SIGSEGV in round 2");
    add_failure(b, "new-crash", 1, "timed out after 300 s in round 0 (killed)");
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_uint_eq(rep.n, 3);
    ck_assert_str_eq(rep.res[0].name, "was-failed");
    ck_assert_int_eq(rep.res[0].verdict, GR_V_NODATA);
    ck_assert_str_eq(rep.res[0].reason, "FAILED in the baseline");
    ck_assert_str_eq(rep.res[1].name, "crash");
    ck_assert_int_eq(rep.res[1].verdict, GR_V_FAILED);
    ck_assert_str_eq(rep.res[1].reason, "killed by SIGSEGV in round 2");
    ck_assert(rep.res[1].base > 0);
    ck_assert(isnan(rep.res[1].cur) && isnan(rep.res[1].change));
    ck_assert_int_eq(rep.res[1].base_version, 1);
    ck_assert_int_eq(rep.res[1].cur_version, 1);
    ck_assert_str_eq(rep.res[2].name, "new-crash");
    ck_assert_int_eq(rep.res[2].verdict, GR_V_FAILED);
    ck_assert(isnan(rep.res[2].base));
    ck_assert_uint_eq(rep.count[GR_V_FAILED], 2);
    ck_assert_uint_eq(rep.count[GR_V_REMOVED], 0);   /* "crash" is not removed */
    ck_assert_uint_eq(rep.compared, 0);
    ck_assert_int_eq(gr_report_failed(&rep), 1);
    ck_assert_str_eq(gr_verdict_name(GR_V_FAILED), "failed");
    gr_report_free(&rep);
    /* a filter leaving the failures out: nothing failed */
    ck_assert_int_eq(regcomp(&re, "^was", REG_EXTENDED | REG_NOSUB), 0);
    o.filter = &re;
    ck_assert_int_eq(gr_decide(a, b, NULL, NULL, &o, &rep, &err), GR_OK);
    ck_assert_uint_eq(rep.n, 1);
    ck_assert_int_eq(gr_report_failed(&rep), 0);
    gr_report_free(&rep);
    regfree(&re);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

/* Every format shows a FAILED benchmark as a failure, with its reason. */
START_TEST(failed_formats)
{
    gr_run *a = tiny_run("0123456789abcdef", "keep", 1, "1111111111111111", 1e-3);
    gr_run *b = tiny_run("0123456789abcdef", "keep", 1, "1111111111111111", 1e-3);
    struct gr_decide_opts o;
    struct gr_report rep;
    gr_error err;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp;
    gr_free(b->bench[0].name);
    b->bench[0].name = xdup("other");
    add_failure(b, "keep", 1, "killed by SIGSEGV in round 2");
    gr_decide_opts_init(&o);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_decide(a, b, "base.json", "cur.json", &o, &rep, &err), GR_OK);
    fp = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_TABLE, fp), 0);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_MARKDOWN, fp), 0);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_JSON, fp), 0);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_JUNIT, fp), 0);
    ck_assert_int_eq(gr_report_print(&rep, GR_FMT_GITHUB, fp), 0);
    fclose(fp);
    /* table */
    ck_assert_ptr_nonnull(strstr(buf, "failed (killed by SIGSEGV in round 2)\n"));
    ck_assert_ptr_nonnull(strstr(buf, "1 FAILED;"));
    /* markdown */
    ck_assert_ptr_nonnull(strstr(buf, "### :x: grregress: 0 regressions, 0 checksum mismatches, 1 FAILED"));
    ck_assert_ptr_nonnull(strstr(buf, "**failed**: killed by SIGSEGV in round 2 |"));
    /* json */
    ck_assert_ptr_nonnull(strstr(buf, "\"verdict\":\t\"failed\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"failures\":\t1"));
    ck_assert_ptr_nonnull(strstr(buf, "\"failed\":\ttrue"));
    /* junit */
    ck_assert_ptr_nonnull(strstr(buf, "errors=\"1\""));
    ck_assert_ptr_nonnull(strstr(buf, "<error type=\"failed\" message=\"failed: "));
    /* github */
    ck_assert_ptr_nonnull(strstr(buf, "::error title=Benchmark FAILED%3A keep::keep failed:"));
    ck_assert_ptr_nonnull(strstr(buf, "::error title=grregress summary::"));
    free(buf);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

static Suite *decide_suite(void)
{
    Suite *s = suite_create("decide");
    TCase *rules = tcase_create("rules"), *sim = tcase_create("simulation");
    tcase_add_test(rules, checksum_mismatch);
    tcase_add_test(rules, version_added_removed);
    tcase_add_test(rules, fingerprint_mismatch);
    tcase_add_test(rules, regression_and_threshold_rules);
    tcase_add_test(rules, few_rounds_noisy);
    tcase_add_test(rules, contended_samples_left_out);
    tcase_add_test(rules, instructions_threshold_only);
    tcase_add_test(rules, formats_print);
    tcase_add_test(rules, failed_benchmarks);
    tcase_add_test(rules, failed_formats);
    tcase_add_test(rules, reader_and_decide_out_of_memory);
    tcase_add_test(sim, aa_false_positives);
    tcase_add_test(sim, aa_false_positives_drift6);
    tcase_add_test(sim, aa_false_positives_offsets);
    tcase_add_test(sim, power_10pct);
    tcase_add_test(sim, power_10pct_offsets);
    tcase_add_test(sim, power_10pct_noisier);
    tcase_add_test(sim, power_improvement);
    tcase_add_test(sim, small_change_not_flagged);
    tcase_set_timeout(sim, 300);
    suite_add_tcase(s, rules);
    suite_add_tcase(s, sim);
    return s;
}

int main(void)
{
    return tu_run(decide_suite());
}
