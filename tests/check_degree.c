/*
 * check_degree.c - unit tests of gr_native_degree: against the reference
 * (tests/ref_degree.c, which counts degrees from the CSR alone) on every
 * battery graph, thread-count determinism, hand-computed answers, argument
 * checking, and that it allocates nothing.
 */
#include "config.h"
#include "testutil.h"
#include "ref.h"
#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

static void run_ok(const gr_graph *g, gr_native_kind kind, double *cent)
{
    gr_error err;
    char buf[600];
    gr_error_clear(&err);
    ck_assert_msg(gr_native_degree(g, kind, cent, &err) == GR_OK, "degree failed: %s",
                  gr_error_format(&err, buf, sizeof buf));
}

START_TEST(test_battery_vs_ref)
{
    const char *name;
    gr_graph *g;
    int i, saved = gr_threads();
    for (i = 0; (g = tu_case(i, &name)) != NULL; i++) {
        double *a = malloc(g->n * sizeof *a), *b = malloc(g->n * sizeof *b);
        uint32_t v;
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        run_ok(g, GR_NATIVE, a);
        ref_degree(g, b);
        for (v = 0; v < g->n; v++) {
            ck_assert_msg(a[v] == b[v], "%s, node %u: %.17g vs %.17g", name, v, a[v], b[v]);
        }
        run_ok(g, GR_BEST, b);
        ck_assert_msg(memcmp(a, b, g->n * sizeof *a) == 0, "%s: GR_BEST differs", name);
        gr_set_threads(1);
        run_ok(g, GR_NATIVE, a);
        gr_set_threads(2);
        run_ok(g, GR_NATIVE, b);
        ck_assert_msg(memcmp(a, b, g->n * sizeof *a) == 0, "%s: 1 vs 2 threads differ", name);
        gr_set_threads(saved);
        free(a);
        free(b);
        gr_graph_free(&g);
    }
}
END_TEST

START_TEST(test_single_node)
{
    gr_graph *g = tu_graph(1, NULL, 0, NULL, 0);
    static const uint32_t loop[] = {0, 0};
    double c = -1.0;
    run_ok(g, GR_NATIVE, &c);
    ck_assert_double_eq(c, 1.0);
    gr_graph_free(&g);
    g = tu_graph(1, loop, 1, NULL, 0); /* still 1.0 with a self-loop */
    run_ok(g, GR_NATIVE, &c);
    ck_assert_double_eq(c, 1.0);
    gr_graph_free(&g);
}
END_TEST

/* Path 0 -> 1 -> 2: degrees 1, 2, 1 over n - 1 = 2. */
START_TEST(test_path)
{
    static const uint32_t e[] = {0, 1, 1, 2};
    gr_graph *g = tu_graph(3, e, 2, NULL, 0);
    double c[3];
    run_ok(g, GR_NATIVE, c);
    ck_assert_double_eq(c[0], 0.5);
    ck_assert_double_eq(c[1], 1.0);
    ck_assert_double_eq(c[2], 0.5);
    gr_graph_free(&g);
}
END_TEST

/* A self-loop adds one to each of in- and out-degree, parallel edges count
 * each: 0 -> 0, 0 -> 1 twice, 2 isolated; n - 1 = 2.  Node 0: in 1, out 3;
 * node 1: in 2; node 2: 0. */
START_TEST(test_loops_and_parallel)
{
    static const uint32_t e[] = {0, 0, 0, 1, 0, 1};
    gr_graph *g = tu_graph(3, e, 3, NULL, 0);
    double c[3];
    run_ok(g, GR_NATIVE, c);
    ck_assert_double_eq(c[0], 2.0);
    ck_assert_double_eq(c[1], 1.0);
    ck_assert_double_eq(c[2], 0.0);
    gr_graph_free(&g);
}
END_TEST

/* The division is exact IEEE: degree 1 over n - 1 = 3 is 1.0 / 3.0. */
START_TEST(test_division)
{
    static const uint32_t e[] = {0, 1};
    gr_graph *g = tu_graph(4, e, 1, NULL, 0);
    double c[4];
    run_ok(g, GR_NATIVE, c);
    ck_assert(c[0] == 1.0 / 3.0);
    ck_assert(c[1] == 1.0 / 3.0);
    ck_assert(c[2] == 0.0);
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_invalid)
{
    gr_graph *g = tu_graph(3, NULL, 0, NULL, 0);
    double c[3];
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_degree(NULL, GR_NATIVE, c, &err), GR_ERR_INVALID);
    ck_assert_int_eq(err.code, GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "graph"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_degree(g, GR_NATIVE, NULL, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "cent"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_degree(g, (gr_native_kind)2, c, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "kind"));
    ck_assert_int_eq(gr_native_degree(g, GR_NATIVE, NULL, NULL), GR_ERR_INVALID);
    gr_graph_free(&g);
}
END_TEST

/* Degree centrality allocates nothing, so it cannot run out of memory. */
START_TEST(test_no_alloc)
{
    gr_graph *g = tu_random_graph(20000, 100000, 8, 0, 0);
    double *c = malloc(g->n * sizeof *c);
    gr_error err;
    ck_assert_ptr_nonnull(c);
    gr_error_clear(&err);
    gr_mem_fail_after(0);
    ck_assert_int_eq(gr_native_degree(g, GR_NATIVE, c, &err), GR_OK);
    ck_assert_int_eq(gr_mem_count(), 0);
    gr_mem_fail_after(-1);
    free(c);
    gr_graph_free(&g);
}
END_TEST

static Suite *degree_suite(void)
{
    Suite *s = suite_create("degree");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_battery_vs_ref);
    tcase_add_test(tc, test_single_node);
    tcase_add_test(tc, test_path);
    tcase_add_test(tc, test_loops_and_parallel);
    tcase_add_test(tc, test_division);
    tcase_add_test(tc, test_invalid);
    tcase_add_test(tc, test_no_alloc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(degree_suite()); }
