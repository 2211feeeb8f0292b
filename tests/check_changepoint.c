/*
 * check_changepoint.c - E-divisive change-point detection (changepoint.h)
 * on seeded synthetic histories, and its use on a history of run files.
 *
 * The noise model of a simulated history (one run per commit):
 *   round mean = level * exp(run_offset + N(0, s_round))
 *   run_offset    N(0, s_run) per run, shared by the run's rounds
 * with 5 rounds per run.  The run offset makes rounds of one run
 * correlated, which is what the block permutation test must withstand.
 * Rates measured over many series are printed ("# ..." lines).
 */
#include "config.h"
#include "regress/changepoint.h"
#include "regress/decide.h"
#include "regress/history.h"
#include "regress/rstats.h"
#include "common/mem.h"
#include "common/stats.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NROUND 5

/* A simulated series: nb runs of NROUND log round means. */
struct series {
    size_t nb;
    double x[400 * NROUND];
    size_t off[401];
};

/* Fill s with nb runs; level(b) is the log level of run b. */
static void simulate(struct series *s, size_t nb, const double *loglevel, double s_run,
                     double s_round, gr_rng *rng)
{
    size_t b, k, n = 0;
    ck_assert_uint_le(nb, 400);
    s->nb = nb;
    for (b = 0; b < nb; b++) {
        double run = s_run * gr_rng_normal(rng);
        s->off[b] = n;
        for (k = 0; k < NROUND; k++) {
            s->x[n++] = loglevel[b] + run + s_round * gr_rng_normal(rng);
        }
    }
    s->off[nb] = n;
}

static void levels_flat(double *lv, size_t nb)
{
    size_t b;
    for (b = 0; b < nb; b++) {
        lv[b] = log(1e-4);
    }
}

/* Count series of `nb` runs without change that get a change point. */
static size_t false_positives(size_t nseries, size_t nb, double alpha, size_t perms,
                              uint64_t seed)
{
    struct series *s = gr_calloc(1, sizeof *s);
    struct gr_cp_opts o;
    double lv[400];
    gr_rng rng;
    size_t i, hits = 0;
    gr_error err;
    ck_assert_ptr_nonnull(s);
    gr_cp_opts_init(&o);
    o.alpha = alpha;
    o.permutations = perms;
    gr_rng_seed(&rng, seed);
    levels_flat(lv, nb);
    for (i = 0; i < nseries; i++) {
        struct gr_cp_result r;
        simulate(s, nb, lv, 0.01, 0.02, &rng);
        o.seed = seed + i;
        ck_assert_int_eq(gr_changepoints(s->x, s->off, s->nb, &o, &r, &err), GR_OK);
        hits += r.n > 0;
        gr_cp_result_free(&r);
    }
    gr_free(s);
    return hits;
}

START_TEST(no_change_false_positive_rate)
{
    /* 300 series of 30 runs: the rate must be about alpha or below
     * (binomial sd 1.3% at 5%, 0.6% at 1%: allow 3 sd) */
    size_t n = 300;
    size_t fp5 = false_positives(n, 30, 0.05, 99, 11);
    size_t fp1 = false_positives(n, 30, 0.01, 199, 12);
    printf("# no change: %zu/%zu series flagged at alpha 0.05, %zu/%zu at 0.01\n", fp5, n,
           fp1, n);
    ck_assert_uint_le(fp5, (size_t)(n * (0.05 + 3 * 0.0126)));
    ck_assert_uint_le(fp1, (size_t)(n * (0.01 + 3 * 0.0057)));
}
END_TEST

START_TEST(rounds_permuted_singly_would_inflate_false_positives)
{
    /* Why whole runs are permuted (changepoint.c): the same kind of
     * no-change series, but every round its own block, so the test
     * treats rounds of one run as independent.  Run-to-run noise then
     * looks like shifts, and the false-positive rate is far above alpha. */
    struct series *s = gr_calloc(1, sizeof *s);
    struct gr_cp_opts o;
    double lv[400];
    size_t offs[30 * NROUND + 1], i, k, hits = 0, n = 100;
    gr_rng rng;
    gr_error err;
    ck_assert_ptr_nonnull(s);
    gr_cp_opts_init(&o);
    o.alpha = 0.05;
    o.permutations = 99;
    o.min_segment = 3 * NROUND;
    gr_rng_seed(&rng, 13);
    levels_flat(lv, 30);
    for (k = 0; k <= 30 * NROUND; k++) {
        offs[k] = k;
    }
    for (i = 0; i < n; i++) {
        struct gr_cp_result r;
        simulate(s, 30, lv, 0.01, 0.02, &rng);
        o.seed = i;
        ck_assert_int_eq(gr_changepoints(s->x, offs, 30 * NROUND, &o, &r, &err), GR_OK);
        hits += r.n > 0;
        gr_cp_result_free(&r);
    }
    printf("# rounds permuted singly: %zu/%zu no-change series flagged at alpha 0.05\n",
           hits, n);
    ck_assert_uint_gt(hits, 3 * 5); /* more than 3 x alpha */
    gr_free(s);
}
END_TEST

START_TEST(no_change_in_constant_or_short_series)
{
    double x[12];
    size_t off[13], i;
    struct gr_cp_opts o;
    struct gr_cp_result r;
    gr_error err;
    gr_cp_opts_init(&o);
    for (i = 0; i < 12; i++) {
        x[i] = 1.0;
        off[i] = i;
    }
    off[12] = 12;
    ck_assert_int_eq(gr_changepoints(x, off, 12, &o, &r, &err), GR_OK);
    ck_assert_uint_eq(r.n, 0);
    gr_cp_result_free(&r);
    /* 5 runs cannot hold two segments of 3 */
    x[3] = x[4] = 100.0;
    ck_assert_int_eq(gr_changepoints(x, off, 5, &o, &r, &err), GR_OK);
    ck_assert_uint_eq(r.n, 0);
    gr_cp_result_free(&r);
    ck_assert_int_eq(gr_changepoints(x, off, 0, &o, &r, &err), GR_OK);
    ck_assert_uint_eq(r.n, 0);
}
END_TEST

START_TEST(bad_input)
{
    double x[4] = {1, 2, NAN, 4};
    size_t off[5] = {0, 1, 2, 3, 4}, empty[5] = {0, 1, 1, 3, 4};
    struct gr_cp_opts o;
    struct gr_cp_result r;
    gr_error err;
    gr_cp_opts_init(&o);
    o.min_segment = 1;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_changepoints(x, off, 4, &o, &r, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "not finite"));
    x[2] = 3;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_changepoints(x, empty, 4, &o, &r, &err), GR_ERR_INVALID);
    o.exponent = 2.0;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_changepoints(x, off, 4, &o, &r, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "exponent"));
}
END_TEST

START_TEST(single_step_found_at_its_index)
{
    /* 40 runs, +10% from run 25 on, 3% round noise, 1% run noise */
    struct series *s = gr_calloc(1, sizeof *s);
    struct gr_cp_opts o;
    double lv[40];
    uint64_t seed;
    size_t b;
    gr_error err;
    ck_assert_ptr_nonnull(s);
    gr_cp_opts_init(&o);
    for (b = 0; b < 40; b++) {
        lv[b] = log(1e-4) + (b >= 25 ? log(1.10) : 0.0);
    }
    for (seed = 1; seed <= 5; seed++) {
        struct gr_cp_result r;
        gr_rng rng;
        gr_rng_seed(&rng, 100 + seed);
        simulate(s, 40, lv, 0.01, 0.03, &rng);
        o.seed = seed;
        ck_assert_int_eq(gr_changepoints(s->x, s->off, s->nb, &o, &r, &err), GR_OK);
        ck_assert_uint_eq(r.n, 1);
        ck_assert_uint_eq(r.cps[0].index, 25);
        ck_assert(r.cps[0].p < o.alpha);
        ck_assert(r.cps[0].p >= 1.0 / (1.0 + (double)o.permutations));
        gr_cp_result_free(&r);
    }
    gr_free(s);
}
END_TEST

START_TEST(two_steps_both_found)
{
    /* +10% at 15, then -8% at 35 (an improvement) in 50 runs */
    struct series *s = gr_calloc(1, sizeof *s);
    struct gr_cp_opts o;
    struct gr_cp_result r;
    double lv[50];
    size_t b;
    gr_rng rng;
    gr_error err;
    ck_assert_ptr_nonnull(s);
    gr_cp_opts_init(&o);
    for (b = 0; b < 50; b++) {
        lv[b] = log(1e-4) + (b >= 15 ? log(1.10) : 0.0) + (b >= 35 ? log(0.92) : 0.0);
    }
    gr_rng_seed(&rng, 7);
    simulate(s, 50, lv, 0.01, 0.02, &rng);
    ck_assert_int_eq(gr_changepoints(s->x, s->off, s->nb, &o, &r, &err), GR_OK);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_uint_eq(r.cps[0].index, 15);
    ck_assert_uint_eq(r.cps[1].index, 35);
    gr_cp_result_free(&r);
    gr_free(s);
}
END_TEST

START_TEST(deterministic)
{
    struct series *s = gr_calloc(1, sizeof *s);
    struct gr_cp_opts o;
    struct gr_cp_result r1, r2;
    double lv[60];
    size_t b;
    gr_rng rng;
    gr_error err;
    ck_assert_ptr_nonnull(s);
    gr_cp_opts_init(&o);
    for (b = 0; b < 60; b++) {
        lv[b] = log(1e-4) + 0.012 * (double)(b / 12); /* 5 small steps */
    }
    gr_rng_seed(&rng, 3);
    simulate(s, 60, lv, 0.01, 0.03, &rng);
    ck_assert_int_eq(gr_changepoints(s->x, s->off, s->nb, &o, &r1, &err), GR_OK);
    ck_assert_int_eq(gr_changepoints(s->x, s->off, s->nb, &o, &r2, &err), GR_OK);
    ck_assert_uint_eq(r1.n, r2.n);
    ck_assert(r1.n > 0);
    for (b = 0; b < r1.n; b++) {
        ck_assert_uint_eq(r1.cps[b].index, r2.cps[b].index);
        ck_assert(r1.cps[b].p == r2.cps[b].p);
        ck_assert(r1.cps[b].stat == r2.cps[b].stat);
    }
    gr_cp_result_free(&r1);
    gr_cp_result_free(&r2);
    gr_free(s);
}
END_TEST

/* ---- runs in memory and on disk ----------------------------------------- */

/* A copy of the fixture run (tests/data/regress_base.json) as run `k` of
 * a history: commit, dates and every benchmark's samples rescaled so that
 * benchmark b has median level[b] * exp(noise), noise per round. */
static gr_run *fixture_run(size_t k, const double *level, double s_run, double s_round,
                           gr_rng *rng)
{
    gr_run *r;
    gr_error err;
    size_t b, i;
    char buf[64];
    ck_assert_int_eq(gr_run_read(GR_SRCDIR "/tests/data/regress_base.json", &r, &err), GR_OK);
    snprintf(buf, sizeof buf, "%08lx%032d",
             (unsigned long)(((k + 1) * 2654435761u) & 0xffffffffu), 0);
    gr_free(r->commit.sha);
    r->commit.sha = gr_strdup(buf);
    buf[7] = '\0';
    gr_free(r->commit.short_sha);
    r->commit.short_sha = gr_strdup(buf);
    snprintf(buf, sizeof buf, "2026-10-%02zuT%02zu:00:00Z", 1 + k / 24, k % 24);
    gr_free(r->commit.date);
    r->commit.date = gr_strdup(buf);
    gr_free(r->started);
    r->started = gr_strdup(buf);
    gr_free(r->finished);
    r->finished = gr_strdup(buf);
    for (b = 0; b < r->nbench; b++) {
        gr_run_bench *x = &r->bench[b];
        double off = s_run * gr_rng_normal(rng), rnd[64];
        for (i = 0; i < 64; i++) {
            rnd[i] = s_round * gr_rng_normal(rng);
        }
        for (i = 0; i < x->nsamples; i++) {
            x->samples[i] = level[b] * exp(off + rnd[x->rounds[i] & 63]
                                           + 0.002 * gr_rng_normal(rng));
        }
        ck_assert_int_eq(gr_stats_compute(x->samples, x->nsamples, &x->stats), 0);
    }
    return r;
}

START_TEST(creeping_regression_found_where_neighbour_compares_are_not)
{
    /* 40 runs; benchmark 1 (bfs) creeps +2.5% four times (runs 8, 16, 24,
     * 32: +10.4% in all); 3% round noise.  Every neighbour compare with
     * the decision rule of `compare` says "not a regression"; detect over
     * the history finds the creep and measures it as a whole. */
    enum { N = 40 };
    gr_run *runs[N];
    double level[3];
    char dir[] = "/tmp/check_cp.XXXXXX";
    gr_history *h = NULL;
    gr_series s;
    struct gr_trend t;
    struct gr_cp_opts o;
    struct gr_decide_opts d;
    gr_rng rng;
    gr_error err;
    size_t k, i, flagged = 0;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    gr_rng_seed(&rng, 2026);
    for (k = 0; k < N; k++) {
        char path[128];
        level[0] = 2e-4;
        level[1] = 5e-5 * pow(1.025, (double)(k / 8));
        level[2] = 1e-3;
        runs[k] = fixture_run(k, level, 0.005, 0.03, &rng);
        snprintf(path, sizeof path, "%s/run-%02zu.json", dir, k);
        gr_error_clear(&err);
        ck_assert_msg(gr_run_write(runs[k], path, &err) == GR_OK, "%s", err.msg);
    }
    /* pairwise: neighbour compares miss every step */
    gr_decide_opts_init(&d);
    for (k = 0; k + 1 < N; k++) {
        struct gr_report rep;
        ck_assert_int_eq(gr_decide(runs[k], runs[k + 1], "a", "b", &d, &rep, &err), GR_OK);
        for (i = 0; i < rep.n; i++) {
            flagged += rep.res[i].verdict == GR_V_REGRESSION;
        }
        gr_report_free(&rep);
    }
    printf("# creep: %zu of %d neighbour compares flag a regression\n", flagged, N - 1);
    ck_assert_uint_eq(flagged, 0);

    /* detect over the history */
    gr_error_clear(&err);
    ck_assert_msg(gr_history_load(dir, &h, &err) == GR_OK, "%s", err.msg);
    ck_assert_uint_eq(h->nentries, N);
    ck_assert_int_eq(gr_history_series(h, "algorithms/bfs/native", &s, &err), GR_OK);
    ck_assert_uint_eq(s.npoints, N);
    gr_cp_opts_init(&o);
    ck_assert_int_eq(gr_trend_detect(&s, &o, &t, &err), GR_OK);
    ck_assert_uint_eq(t.used, N);
    ck_assert_uint_ge(t.ncp, 1);
    for (i = 0; i < t.ncp; i++) {
        printf("# creep: change point at run %zu: %+.1f%% (p %.3f)\n", t.cps[i].point,
               100 * t.cps[i].change, t.cps[i].p);
        ck_assert(t.cps[i].point % 8 == 0 || t.cps[i].point % 8 == 1
                  || t.cps[i].point % 8 == 7);
        ck_assert(t.cps[i].change > 0);
        ck_assert(t.cps[i].p < 0.01);
    }
    ck_assert(t.last_worse);
    printf("# creep: last segment %+.1f%% against the segment before the creep\n",
           100 * t.last_change);
    ck_assert(t.last_change > 0.05 && t.last_change < 0.15);
    gr_trend_free(&t);
    gr_series_free(&s);

    /* a flat benchmark of the same history: no change point */
    ck_assert_int_eq(gr_history_series(h, "algorithms/pagerank/native", &s, &err), GR_OK);
    ck_assert_int_eq(gr_trend_detect(&s, &o, &t, &err), GR_OK);
    ck_assert_uint_eq(t.ncp, 0);
    ck_assert(isnan(t.last_change));
    gr_trend_free(&t);
    gr_series_free(&s);
    gr_history_free(&h);

    for (k = 0; k < N; k++) {
        char path[128];
        snprintf(path, sizeof path, "%s/run-%02zu.json", dir, k);
        unlink(path);
        gr_run_free(&runs[k]);
    }
    {
        char lock[64];
        snprintf(lock, sizeof lock, "%s/.lock", dir);
        unlink(lock);
    }
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(out_of_memory)
{
    double x[40];
    size_t off[41], i;
    struct gr_cp_opts o;
    struct gr_cp_result r;
    gr_rng rng;
    long budget;
    gr_error err;
    gr_cp_opts_init(&o);
    gr_rng_seed(&rng, 5);
    for (i = 0; i < 40; i++) {
        x[i] = (i >= 20 ? 1.0 : 0.0) + 0.01 * gr_rng_normal(&rng);
        off[i] = i;
    }
    off[40] = 40;
    for (budget = 0; budget < 20; budget++) {
        int rc;
        gr_error_clear(&err);
        gr_mem_fail_after(budget);
        rc = gr_changepoints(x, off, 40, &o, &r, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            ck_assert_uint_eq(r.n, 1);
            gr_cp_result_free(&r);
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
    }
    ck_assert_int_lt(budget, 20);
}
END_TEST

static Suite *changepoint_suite(void)
{
    Suite *s = suite_create("changepoint");
    TCase *tc = tcase_create("edivisive");
    tcase_add_test(tc, no_change_in_constant_or_short_series);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, single_step_found_at_its_index);
    tcase_add_test(tc, two_steps_both_found);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, out_of_memory);
    tcase_add_test(tc, no_change_false_positive_rate);
    tcase_add_test(tc, rounds_permuted_singly_would_inflate_false_positives);
    tcase_add_test(tc, creeping_regression_found_where_neighbour_compares_are_not);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(changepoint_suite());
}
