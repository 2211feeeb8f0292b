/*
 * check_pagerank.c - unit tests of gr_native_pagerank: against the slow
 * reference (tests/ref_pagerank.c) on every battery graph and several
 * parameter sets, thread-count determinism, hand-computed answers,
 * argument checking and allocation-failure injection.
 */
#include "config.h"
#include "testutil.h"
#include "ref.h"
#include "common/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Parameter sets run over the battery. */
static const struct {
    double damping, tol;
    int64_t max_iter;
} params[] = {
    {0.85, 1e-6, 100}, {0.85, 0.0, 25},  {0.5, 1e-10, 200},
    {1.0, 1e-8, 40},   {0.0, 1e-12, 10}, {0.95, 1e-3, 1000},
    {0.85, 1e-6, 1},   {0.3, 1e6, 10},
};

static void run_ok(const gr_graph *g, gr_native_kind kind, double d, double tol,
                   int64_t max_iter, double *rank, int64_t *iters)
{
    gr_error err;
    char buf[600];
    gr_error_clear(&err);
    ck_assert_msg(gr_native_pagerank(g, kind, d, tol, max_iter, rank, iters, &err) == GR_OK,
                  "pagerank failed: %s", gr_error_format(&err, buf, sizeof buf));
}

static double sum(const double *x, uint32_t n)
{
    double s = 0.0;
    uint32_t i;
    for (i = 0; i < n; i++) {
        s += x[i];
    }
    return s;
}

START_TEST(test_battery_vs_ref)
{
    const char *name;
    gr_graph *g;
    int i;
    size_t p;
    for (i = 0; (g = tu_case(i, &name)) != NULL; i++) {
        double *a = malloc(g->n * sizeof *a), *b = malloc(g->n * sizeof *b);
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        for (p = 0; p < sizeof params / sizeof params[0]; p++) {
            int64_t ia = -1, ib = -1;
            uint32_t v;
            run_ok(g, GR_NATIVE, params[p].damping, params[p].tol, params[p].max_iter, a, &ia);
            ib = ref_pagerank(g, params[p].damping, params[p].tol, params[p].max_iter, b);
            ck_assert_msg(ia == ib, "%s, params %zu: %lld iterations, reference %lld", name, p,
                          (long long)ia, (long long)ib);
            for (v = 0; v < g->n; v++) {
                ck_assert_msg(fabs(a[v] - b[v]) <= 1e-12, "%s, params %zu, node %u: %.17g vs %.17g",
                              name, p, v, a[v], b[v]);
            }
            ck_assert_msg(fabs(sum(a, g->n) - 1.0) <= 1e-9, "%s, params %zu: sum %.17g", name, p,
                          sum(a, g->n));
            run_ok(g, GR_BEST, params[p].damping, params[p].tol, params[p].max_iter, b, &ib);
            ck_assert_int_eq(ia, ib);
            ck_assert_msg(memcmp(a, b, g->n * sizeof *a) == 0, "%s: GR_BEST differs", name);
        }
        free(a);
        free(b);
        gr_graph_free(&g);
    }
}
END_TEST

/* 1 and 2 threads give bit-identical vectors and iteration counts, on the
 * battery and on a graph large enough for many reduction blocks. */
START_TEST(test_threads_bitwise)
{
    const char *name;
    gr_graph *g;
    int i, saved = gr_threads();
    for (i = 0;; i++) {
        double *a, *b;
        int64_t ia, ib;
        if (i == 0) {
            g = tu_skewed_graph(60000, 400000, 11, 0, 0);
            name = "skewed 60000/400000";
        } else if ((g = tu_case(i - 1, &name)) == NULL) {
            break;
        }
        a = malloc(g->n * sizeof *a);
        b = malloc(g->n * sizeof *b);
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        gr_set_threads(1);
        run_ok(g, GR_NATIVE, 0.85, 1e-9, 60, a, &ia);
        gr_set_threads(2);
        run_ok(g, GR_NATIVE, 0.85, 1e-9, 60, b, &ib);
        ck_assert_int_eq(ia, ib);
        ck_assert_msg(memcmp(a, b, g->n * sizeof *a) == 0, "%s: 1 vs 2 threads differ", name);
        free(a);
        free(b);
        gr_graph_free(&g);
    }
    gr_set_threads(saved);
}
END_TEST

START_TEST(test_two_cycle)
{
    static const uint32_t e[] = {0, 1, 1, 0};
    gr_graph *g = tu_graph(2, e, 2, NULL, 0);
    double r[2];
    int64_t it;
    run_ok(g, GR_NATIVE, 0.85, 1e-6, 100, r, &it);
    ck_assert_double_eq_tol(r[0], 0.5, 1e-15);
    ck_assert_double_eq_tol(r[1], 0.5, 1e-15);
    ck_assert_int_eq(it, 1); /* already the fixed point: err ~0 */
    gr_graph_free(&g);
}
END_TEST

/* 0 -> 1 with node 1 dangling.  One step from (1/2, 1/2) at d = 0.85:
 * base = (0.15 + 0.85/2)/2 = 0.2875, x1 = 0.85/2 + base = 0.7125.
 * Fixed point: x0 = (0.15 + 0.85 x1)/2, x1 = 0.85 x0 + x0, sum 1, so
 * x0 = 1/2.85 and x1 = 1.85/2.85. */
START_TEST(test_dangling)
{
    static const uint32_t e[] = {0, 1};
    gr_graph *g = tu_graph(2, e, 1, NULL, 0);
    double r[2];
    int64_t it;
    run_ok(g, GR_NATIVE, 0.85, 0.0, 1, r, &it);
    ck_assert_int_eq(it, 1);
    ck_assert_double_eq_tol(r[0], 0.2875, 1e-15);
    ck_assert_double_eq_tol(r[1], 0.7125, 1e-15);
    run_ok(g, GR_NATIVE, 0.85, 1e-15, 1000, r, &it);
    ck_assert_int_lt(it, 1000);
    ck_assert_double_eq_tol(r[0], 1.0 / 2.85, 1e-13);
    ck_assert_double_eq_tol(r[1], 1.85 / 2.85, 1e-13);
    gr_graph_free(&g);
}
END_TEST

/* A star 0 -> 1..4 at d = 0.5 from x0 = 1/5: node 0 has no in-edges, the
 * leaves dangle.  Step 1: dang = 4/5, base = (0.5 + 0.4)/5 = 0.18;
 * x0 = 0.18, leaves = 0.5 * (0.2/4) + 0.18 = 0.205. */
START_TEST(test_star_one_step)
{
    static const uint32_t e[] = {0, 1, 0, 2, 0, 3, 0, 4};
    gr_graph *g = tu_graph(5, e, 4, NULL, 0);
    double r[5];
    int64_t it;
    int v;
    run_ok(g, GR_NATIVE, 0.5, 0.0, 1, r, &it);
    ck_assert_double_eq_tol(r[0], 0.18, 1e-15);
    for (v = 1; v < 5; v++) {
        ck_assert_double_eq_tol(r[v], 0.205, 1e-15);
    }
    gr_graph_free(&g);
}
END_TEST

/* Parallel edges count once each: 0 -> 1 twice, 0 -> 2 once, 1,2 -> 0.
 * At d = 1 one step from 1/3: x1 = 2/3 * 1/3, x2 = 1/3 * 1/3,
 * x0 = 1/3 + 1/3 (all of 1 and 2). */
START_TEST(test_parallel_edges)
{
    static const uint32_t e[] = {0, 1, 0, 1, 0, 2, 1, 0, 2, 0};
    gr_graph *g = tu_graph(3, e, 5, NULL, 0);
    double r[3];
    run_ok(g, GR_NATIVE, 1.0, 0.0, 1, r, NULL);
    ck_assert_double_eq_tol(r[0], 2.0 / 3.0, 1e-15);
    ck_assert_double_eq_tol(r[1], 2.0 / 9.0, 1e-15);
    ck_assert_double_eq_tol(r[2], 1.0 / 9.0, 1e-15);
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_max_iter_zero)
{
    gr_graph *g = tu_random_graph(300, 1200, 1, 0, 0);
    double r[300];
    int64_t it = -1;
    int v;
    run_ok(g, GR_NATIVE, 0.85, 1e-6, 0, r, &it);
    ck_assert_int_eq(it, 0);
    for (v = 0; v < 300; v++) {
        ck_assert_double_eq(r[v], 1.0 / 300.0);
    }
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_invalid)
{
    gr_graph *g = tu_random_graph(10, 20, 1, 0, 0);
    double r[10];
    int64_t it = 7;
    gr_error err;
    const struct {
        double d, tol;
        int64_t mi;
        const char *needle;
    } bad[] = {
        {-0.1, 1e-6, 10, "damping"}, {1.5, 1e-6, 10, "damping"}, {NAN, 1e-6, 10, "damping"},
        {0.85, -1.0, 10, "tol"},     {0.85, NAN, 10, "tol"},     {0.85, 1e-6, -1, "max_iter"},
    };
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gr_error_clear(&err);
        ck_assert_int_eq(gr_native_pagerank(g, GR_NATIVE, bad[i].d, bad[i].tol, bad[i].mi, r,
                                            &it, &err),
                         GR_ERR_INVALID);
        ck_assert_int_eq(err.code, GR_ERR_INVALID);
        ck_assert_msg(strstr(err.msg, bad[i].needle) != NULL, "message '%s' lacks '%s'", err.msg,
                      bad[i].needle);
        ck_assert_int_eq(it, 0);
    }
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_pagerank(NULL, GR_NATIVE, 0.85, 1e-6, 10, r, NULL, &err),
                     GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "graph"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_pagerank(g, GR_NATIVE, 0.85, 1e-6, 10, NULL, NULL, &err),
                     GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "rank"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_pagerank(g, (gr_native_kind)7, 0.85, 1e-6, 10, r, NULL, &err),
                     GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "kind"));
    /* A NULL error record is allowed. */
    ck_assert_int_eq(gr_native_pagerank(g, GR_NATIVE, 2.0, 1e-6, 10, r, NULL, NULL),
                     GR_ERR_INVALID);
    gr_graph_free(&g);
}
END_TEST

/* Allow 0, 1, 2, ... allocations: each failure is a clean GR_ERR_NOMEM
 * (valgrind checks for leaks), and the first success gives the answer. */
/* gr_native_pagerank(g, native, 0.85, 1e-8, 30) for tu_nomem_sweep. */
struct pr_call {
    const gr_graph *g;
    double *got;
    int64_t *iters;
};
static int run_pagerank(void *ctx, gr_error *err)
{
    struct pr_call *c = ctx;
    return gr_native_pagerank(c->g, GR_NATIVE, 0.85, 1e-8, 30, c->got, c->iters, err);
}

START_TEST(test_nomem)
{
    gr_graph *g = tu_random_graph(20000, 100000, 8, 0, 0);
    double *want = malloc(g->n * sizeof *want), *got = malloc(g->n * sizeof *got);
    int64_t iw, ig;
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(got);
    run_ok(g, GR_NATIVE, 0.85, 1e-8, 30, want, &iw);
    tu_nomem_sweep(run_pagerank, &(struct pr_call){g, got, &ig}, 100);
    ck_assert_int_eq(iw, ig);
    ck_assert(memcmp(want, got, g->n * sizeof *got) == 0);
    free(want);
    free(got);
    gr_graph_free(&g);
}
END_TEST

static Suite *pagerank_suite(void)
{
    Suite *s = suite_create("pagerank");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_battery_vs_ref);
    tcase_add_test(tc, test_threads_bitwise);
    tcase_add_test(tc, test_two_cycle);
    tcase_add_test(tc, test_dangling);
    tcase_add_test(tc, test_star_one_step);
    tcase_add_test(tc, test_parallel_edges);
    tcase_add_test(tc, test_max_iter_zero);
    tcase_add_test(tc, test_invalid);
    tcase_add_test(tc, test_nomem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(pagerank_suite()); }
