/*
 * check_merge.c - merging runs (merge.h): rounds appended and renumbered,
 * stats recomputed, the merged run still a valid run file, subsets (the
 * re-measured suspects), every incompatibility refused with a message
 * naming it and the target left unchanged, interleaving A B A B with its
 * ownership rules, and clean failure under every injected allocation
 * failure; and the rule choosing which benchmarks a live compare
 * re-measures (gr_live_suspect).  The runs come from tests/data/regress_base.json (3 benchmarks,
 * 5 rounds of 2 samples).
 */
#include "config.h"
#include "regress/merge.h"
#include "regress/decide.h"
#include "regress/grprof_run.h"
#include "common/mem.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gr_run *load(void)
{
    gr_run *r = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_read(tu_data("regress_base.json"), &r, &err), GR_OK);
    return r;
}

/* The run survives the writer's validation and the reader's checks. */
static void assert_valid(const gr_run *r)
{
    char *text = NULL;
    gr_run *back = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_run_to_json(r, &text, &err) == GR_OK, "%s", err.msg);
    ck_assert_msg(gr_run_parse(text, strlen(text), "merged", &back, &err) == GR_OK, "%s",
                  err.msg);
    ck_assert_uint_eq(back->nbench, r->nbench);
    gr_run_free(&back);
    gr_free(text);
}

static void set_str(char **field, const char *value)
{
    gr_free(*field);
    *field = gr_strdup(value);
    ck_assert_ptr_nonnull(*field);
}

START_TEST(merge_appends_and_renumbers)
{
    gr_run *a = load(), *b = load();
    gr_error err;
    size_t i, k;
    gr_error_clear(&err);
    for (i = 0; i < b->nbench; i++) {
        for (k = 0; k < b->bench[i].nsamples; k++) {
            b->bench[i].samples[k] *= 3.0; /* tag B's samples */
        }
    }
    set_str(&b->started, "2026-11-26T03:09:00Z");
    set_str(&b->finished, "2026-11-26T03:12:00Z");
    ck_assert_int_eq(gr_run_merge(a, b, &err), GR_OK);
    ck_assert_int_eq(a->config.rounds, 10);
    ck_assert_str_eq(a->started, "2026-11-26T03:09:00Z");
    ck_assert_str_eq(a->finished, "2026-11-26T03:12:00Z");
    for (i = 0; i < a->nbench; i++) {
        const gr_run_bench *x = &a->bench[i], *y = &b->bench[i];
        gr_stats st;
        ck_assert_uint_eq(x->nsamples, 2 * y->nsamples);
        for (k = 0; k < y->nsamples; k++) {
            ck_assert_int_eq(x->rounds[y->nsamples + k], 5 + y->rounds[k]);
            ck_assert(x->samples[y->nsamples + k] == y->samples[k]);
            ck_assert(x->samples[k] * 3.0 == y->samples[k]);
            ck_assert_int_lt(x->rounds[k], 5);
        }
        ck_assert_int_eq(gr_stats_compute(x->samples, x->nsamples, &st), 0);
        ck_assert_uint_eq(x->stats.n, x->nsamples);
        ck_assert(x->stats.median == st.median);
        ck_assert(x->stats.max == st.max);
    }
    assert_valid(a);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(merge_subset_of_benchmarks)
{
    /* re-measuring runs only the suspects: B holds one benchmark, with
     * its own filter and 3 rounds */
    gr_run *a = load(), *b = load();
    gr_run_bench t;
    gr_error err;
    size_t n1;
    gr_error_clear(&err);
    n1 = a->bench[1].nsamples;
    t = b->bench[0];
    b->bench[0] = b->bench[1];
    b->bench[1] = t;
    b->config.rounds = 3;
    b->bench[0].nsamples = 6; /* rounds 0-2 (the samples are in round order) */
    ck_assert_int_eq(gr_stats_compute(b->bench[0].samples, 6, &b->bench[0].stats), 0);
    set_str(&b->config.filter, "^algorithms/bfs/native$");
    b->nbench = 1;
    ck_assert_int_eq(gr_run_merge(a, b, &err), GR_OK);
    b->nbench = 3; /* all freed below */
    ck_assert_int_eq(a->config.rounds, 8);
    ck_assert_str_eq(a->bench[1].name, "algorithms/bfs/native");
    ck_assert_uint_eq(a->bench[1].nsamples, n1 + 6);
    ck_assert_uint_eq(a->bench[0].nsamples, 10);
    ck_assert_uint_eq(a->bench[2].nsamples, 10);
    ck_assert_int_eq(a->bench[1].rounds[n1], 5);
    ck_assert_int_eq(a->bench[1].rounds[n1 + 5], 7);
    ck_assert_ptr_null(a->config.filter); /* the target's filter is kept */
    assert_valid(a);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

/* Merging b into a fails with GR_ERR_INVALID mentioning `what`, and a is
 * unchanged. */
static void assert_refused(gr_run *a, const gr_run *b, const char *what)
{
    gr_error err;
    size_t n0 = a->bench[0].nsamples;
    int64_t r0 = a->config.rounds;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_merge(a, b, &err), GR_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, what) != NULL, "'%s' lacks '%s'", err.msg, what);
    ck_assert_uint_eq(a->bench[0].nsamples, n0);
    ck_assert_int_eq(a->config.rounds, r0);
}

START_TEST(merge_refuses_incompatible)
{
    gr_run *a = load(), *b = load();
    set_str(&b->bench[2].checksum, "0000000000000000");
    assert_refused(a, b, "benchmark algorithms/wcc/native: checksum differs");
    gr_run_free(&b);
    b = load();
    b->bench[0].version = 2;
    assert_refused(a, b, "version differs (1 vs 2)");
    gr_run_free(&b);
    b = load();
    b->config.repeat = 3;
    assert_refused(a, b, "config.repeat differs (2 vs 3)");
    gr_run_free(&b);
    b = load();
    b->config.min_time = 0.5;
    assert_refused(a, b, "config.min_time differs");
    gr_run_free(&b);
    b = load();
    set_str(&b->config.suite, "full");
    assert_refused(a, b, "config.suite differs (quick vs full)");
    gr_run_free(&b);
    b = load();
    set_str(&b->machine.hash, "ffffffffffffffff");
    assert_refused(a, b, "machine fingerprints differ");
    gr_run_free(&b);
    b = load();
    set_str(&b->bench[1].name, "algorithms/new/native");
    assert_refused(a, b, "algorithms/new/native: not in the run merged into");
    gr_run_free(&b);
    gr_run_free(&a);
}
END_TEST

START_TEST(interleave_alternates)
{
    gr_run *runs[5], *a = NULL, *b = NULL;
    gr_error err;
    size_t k, i;
    gr_error_clear(&err);
    for (k = 0; k < 5; k++) {
        runs[k] = load();
        for (i = 0; i < runs[k]->bench[0].nsamples; i++) {
            /* tag: sample = run index + 1 */
            runs[k]->bench[0].samples[i] = (double)(k + 1);
        }
        gr_stats_compute(runs[k]->bench[0].samples, runs[k]->bench[0].nsamples,
                         &runs[k]->bench[0].stats);
    }
    ck_assert_int_eq(gr_run_interleave(runs, 5, &a, &b, &err), GR_OK);
    for (k = 0; k < 5; k++) {
        ck_assert_ptr_null(runs[k]);
    }
    ck_assert_int_eq(a->config.rounds, 15); /* runs 0, 2, 4 */
    ck_assert_int_eq(b->config.rounds, 10); /* runs 1, 3 */
    ck_assert_uint_eq(a->bench[0].nsamples, 30);
    for (i = 0; i < a->bench[0].nsamples; i++) {
        /* rounds 0-4 from run 0 (tag 1), 5-9 from run 2 (3), 10-14 from run 4 (5) */
        double want = 1.0 + 2.0 * (double)(a->bench[0].rounds[i] / 5);
        ck_assert(a->bench[0].samples[i] == want);
    }
    for (i = 0; i < b->bench[0].nsamples; i++) {
        double want = 2.0 + 2.0 * (double)(b->bench[0].rounds[i] / 5);
        ck_assert(b->bench[0].samples[i] == want);
    }
    assert_valid(a);
    assert_valid(b);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

START_TEST(interleave_errors_take_ownership)
{
    gr_run *runs[4], *a = NULL, *b = NULL;
    gr_error err;
    size_t k;
    gr_error_clear(&err);
    runs[0] = load();
    ck_assert_int_eq(gr_run_interleave(runs, 1, &a, &b, &err), GR_ERR_INVALID);
    ck_assert_ptr_null(runs[0]);
    ck_assert_ptr_null(a);
    ck_assert_ptr_null(b);
    ck_assert(strstr(err.msg, "at least 2 runs") != NULL);
    for (k = 0; k < 4; k++) {
        runs[k] = load();
    }
    runs[3]->bench[0].version = 7; /* a B run that does not match */
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_interleave(runs, 4, &a, &b, &err), GR_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "run 3: benchmark algorithms/pagerank/native: version "
                                  "differs") != NULL, "%s", err.msg);
    for (k = 0; k < 4; k++) {
        ck_assert_ptr_null(runs[k]);
    }
    ck_assert_ptr_null(a);
    ck_assert_ptr_null(b);
}
END_TEST

/* The samples' contention travels with them: concatenated when both runs
 * measured it, dropped (not invented) when one did not. */
START_TEST(merge_contention)
{
    gr_run *a = load(), *b = load(), *c = load();
    gr_error err;
    size_t k, n;
    gr_error_clear(&err);
    n = a->bench[0].nsamples;
    a->bench[0].contention = gr_calloc(n, sizeof(double));
    b->bench[0].contention = gr_calloc(n, sizeof(double));
    ck_assert(a->bench[0].contention && b->bench[0].contention);
    for (k = 0; k < n; k++) {
        a->bench[0].contention[k] = 0.001 * (double)k;
        b->bench[0].contention[k] = 0.5 + 0.001 * (double)k;
    }
    ck_assert_int_eq(gr_run_merge(a, b, &err), GR_OK);
    ck_assert_ptr_nonnull(a->bench[0].contention);
    for (k = 0; k < n; k++) {
        ck_assert(a->bench[0].contention[k] == 0.001 * (double)k);
        ck_assert(a->bench[0].contention[n + k] == 0.5 + 0.001 * (double)k);
    }
    ck_assert_ptr_null(a->bench[1].contention);
    assert_valid(a);
    ck_assert_int_eq(gr_run_merge(a, c, &err), GR_OK);   /* c did not measure it */
    ck_assert_ptr_null(a->bench[0].contention);
    assert_valid(a);
    gr_run_free(&a);
    gr_run_free(&b);
    gr_run_free(&c);
}
END_TEST

START_TEST(merge_out_of_memory)
{
    /* every allocation of a merge fails in turn: GR_ERR_NOMEM and the
     * target unchanged each time, then one succeeds */
    gr_run *a = load(), *b = load();
    gr_error err;
    long budget;
    int rc;
    set_str(&b->started, "2026-11-26T03:00:00Z");
    set_str(&b->finished, "2026-11-26T04:00:00Z");
    for (budget = 0;; budget++) {
        gr_error_clear(&err);
        gr_mem_fail_after(budget);
        rc = gr_run_merge(a, b, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_int_eq(a->config.rounds, 5);
        ck_assert_uint_eq(a->bench[2].nsamples, 10);
        ck_assert_str_eq(a->started, "2026-11-26T03:10:00Z");
        ck_assert(budget < 1000);
    }
    ck_assert_int_gt(budget, 3);
    ck_assert_int_eq(a->config.rounds, 10);
    ck_assert_str_eq(a->started, "2026-11-26T03:00:00Z");
    assert_valid(a);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

/* A compared row: change and interval in percent, q, direction. */
static struct gr_cmp_row row(enum gr_verdict v, double ch, double lo, double hi, double q,
                             int lower_is_better)
{
    struct gr_cmp_row r;
    memset(&r, 0, sizeof r);
    r.name = "x";
    r.verdict = v;
    r.threshold = 0.05;
    r.change = ch / 100.0;
    r.change_lo = lo / 100.0;
    r.change_hi = hi / 100.0;
    r.q = q;
    r.lower_is_better = lower_is_better;
    return r;
}

START_TEST(suspect_rule)
{
    struct gr_cmp_row r;
    /* noisy: always */
    r = row(GR_V_NOISY, 1, -30, 40, 0.5, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 1);
    /* a regression whose interval reaches below +5%: not settled */
    r = row(GR_V_REGRESSION, 8, 3, 13, 0.001, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 1);
    /* a regression wholly above +5%: settled */
    r = row(GR_V_REGRESSION, 20, 15, 25, 0.001, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 0);
    /* significant, unchanged, interval across +5% */
    r = row(GR_V_UNCHANGED, 4, 1, 7, 0.001, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 1);
    /* the same but not significant: not a suspect */
    r = row(GR_V_UNCHANGED, 4, 1, 7, 0.2, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 0);
    /* significant, wholly inside (-5%, +5%): settled */
    r = row(GR_V_UNCHANGED, 2, 1, 3, 0.001, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 0);
    /* improvements mirror: across -5% (1/1.05 - 1 = -4.76%) */
    r = row(GR_V_IMPROVEMENT, -8, -12, -4, 0.001, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 1);
    r = row(GR_V_IMPROVEMENT, -20, -25, -15, 0.001, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 0);
    /* direction "higher": the orientation flips, the rule is symmetric */
    r = row(GR_V_IMPROVEMENT, 8, 3, 13, 0.001, 0);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 1);
    /* not compared rows never */
    r = row(GR_V_CHECKSUM, 8, 3, 13, 0.001, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 0);
    r = row(GR_V_ADDED, NAN, NAN, NAN, NAN, 1);
    ck_assert_int_eq(gr_live_suspect(&r, 0.01), 0);
}
END_TEST

static Suite *merge_suite(void)
{
    Suite *s = suite_create("merge");
    TCase *tc = tcase_create("merge");
    tcase_add_test(tc, merge_appends_and_renumbers);
    tcase_add_test(tc, merge_subset_of_benchmarks);
    tcase_add_test(tc, merge_refuses_incompatible);
    tcase_add_test(tc, interleave_alternates);
    tcase_add_test(tc, interleave_errors_take_ownership);
    tcase_add_test(tc, merge_out_of_memory);
    tcase_add_test(tc, merge_contention);
    tcase_add_test(tc, suspect_rule);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(merge_suite());
}
