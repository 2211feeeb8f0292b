/*
 * check_bfs.c - tests of gr_native_bfs: both kinds against the queue
 * reference on the tu_case battery (several sources each), on many small
 * random graphs (every source) and on a dense core with a long tail (so
 * the direction-optimizing search goes bottom-up and back), with 1 and 2
 * threads; iteration counts (1 + the largest level, for both kinds);
 * hand-worked graphs; argument and source errors; allocation failure
 * injection.
 */
#include "config.h"
#include "testutil.h"
#include "ref.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gr_native_bfs with `threads` threads; returns its status, err filled. */
static int bfs_rc(const gr_graph *g, gr_native_kind kind, int threads, int64_t source,
                  int64_t *level, int64_t *iters, gr_error *err)
{
    gr_error_clear(err);
    gr_set_threads(threads);
    return gr_native_bfs(g, kind, source, level, iters, err);
}

/* The same, failing the test unless it succeeds. */
static void run_bfs(const gr_graph *g, gr_native_kind kind, int threads, int64_t source,
                    int64_t *level, int64_t *iters)
{
    gr_error err;
    char buf[600];
    int rc = bfs_rc(g, kind, threads, source, level, iters, &err);
    ck_assert_msg(rc == GR_OK, "bfs kind %d, %d threads, source %lld: %s", (int)kind, threads,
                  (long long)source, gr_error_format(&err, buf, sizeof buf));
}

/* Every kind and thread count from `source` against the reference; both
 * kinds run 1 + (largest level) iterations. */
static void check_source(const gr_graph *g, int64_t source, const char *name)
{
    size_t n = g->n;
    int64_t *want = malloc((n + 1) * sizeof *want), *got = malloc((n + 1) * sizeof *got);
    int64_t maxl = 0, iters;
    uint32_t u;
    int kind, th;
    ck_assert(want && got);
    ref_bfs(g, source, want);
    for (u = 0; u < g->n; u++) {
        maxl = want[u] > maxl ? want[u] : maxl;
    }
    for (kind = GR_NATIVE; kind <= GR_BEST; kind++) {
        for (th = 1; th <= 2; th++) {
            iters = -1;
            run_bfs(g, (gr_native_kind)kind, th, source, got, &iters);
            for (u = 0; u < g->n; u++) {
                ck_assert_msg(got[u] == want[u],
                              "%s from %lld, kind %d, %d threads: level[%u] = %lld, want %lld",
                              name, (long long)source, kind, th, u, (long long)got[u],
                              (long long)want[u]);
            }
            ck_assert_msg(iters == maxl + 1, "%s from %lld, kind %d, %d threads: %lld iterations,"
                          " want %lld", name, (long long)source, kind, th, (long long)iters,
                          (long long)(maxl + 1));
        }
    }
    free(want);
    free(got);
}

START_TEST(test_battery)
{
    const char *name;
    gr_graph *g;
    int i;
    for (i = 0; (g = tu_case(i, &name)) != NULL; i++) {
        int64_t srcs[4];
        int j;
        gr_error err;
        int64_t *lv = malloc((g->n + 1) * sizeof *lv);
        ck_assert_ptr_nonnull(lv);
        srcs[0] = 0;
        srcs[1] = g->n / 2;
        srcs[2] = g->n - 1;
        srcs[3] = g->n / 3 + 1 < g->n ? g->n / 3 + 1 : 0;
        for (j = 0; j < 4; j++) {
            check_source(g, srcs[j], name);
        }
        /* No such node: a range error, whatever the kind. */
        ck_assert_int_eq(bfs_rc(g, GR_NATIVE, 1, g->n, lv, NULL, &err), GR_ERR_RANGE);
        ck_assert_int_eq(bfs_rc(g, GR_BEST, 2, -1, lv, NULL, &err), GR_ERR_RANGE);
        free(lv);
        gr_graph_free(&g);
    }
    ck_assert_int_ge(i, 20);
}
END_TEST

START_TEST(test_random_small)
{
    tu_rng r = {777};
    int i;
    for (i = 0; i < 150; i++) {
        uint32_t n = 1 + (uint32_t)tu_below(&r, 40), s;
        uint64_t m = tu_below(&r, 3 * (uint64_t)n + 1);
        char name[64];
        gr_graph *g = (i & 1) ? tu_random_graph(n, m, 2000 + (uint64_t)i, 0, 0)
                              : tu_skewed_graph(n, m, 2000 + (uint64_t)i, 0,
                                                (i & 2) ? GR_BUILD_SYMMETRIZE : 0);
        snprintf(name, sizeof name, "random #%d (n=%u, m=%llu)", i, n, (unsigned long long)m);
        for (s = 0; s < n; s++) {
            check_source(g, s, name);
        }
        gr_graph_free(&g);
    }
}
END_TEST

/* A dense random core 0..core-1 (large frontiers: bottom-up) with a path
 * of `tail` nodes hanging off node core-1 and a few stragglers pointing
 * into the core but unreachable from it. */
static gr_graph *core_with_tail(uint32_t core, uint64_t m, uint32_t tail)
{
    gr_edges e;
    gr_graph *g = NULL;
    tu_rng r = {99};
    uint32_t n = core + tail + 5, u;
    uint64_t i;
    gr_edges_init(&e, 1);
    for (i = 0; i < m; i++) {
        ck_assert_int_eq(gr_edges_push(&e, (uint32_t)tu_below(&r, core),
                                       (uint32_t)tu_below(&r, core), 0.5 + tu_unit(&r), NULL),
                         GR_OK);
    }
    for (u = core - 1; u + 1 < core + tail; u++) {
        ck_assert_int_eq(gr_edges_push(&e, u, u + 1, 1.0, NULL), GR_OK);
    }
    for (u = core + tail; u < n; u++) {
        ck_assert_int_eq(gr_edges_push(&e, u, u - core - tail, 2.0, NULL), GR_OK);
    }
    ck_assert_int_eq(gr_graph_build(&e, n, 0, &g, NULL), GR_OK);
    gr_edges_release(&e);
    return g;
}

START_TEST(test_core_tail)
{
    gr_graph *g = core_with_tail(30000, 300000, 300);
    check_source(g, 0, "core with tail");
    check_source(g, 29999, "core with tail");
    check_source(g, 30100, "core with tail (on the tail)");
    check_source(g, 30302, "core with tail (straggler)");
    gr_graph_free(&g);
}
END_TEST

/* A graph over n nodes with the given original ids. */
static gr_graph *graph_orig(uint32_t n, const uint32_t *pairs, uint64_t m,
                            const int64_t *orig)
{
    gr_edges e;
    gr_graph *g = NULL;
    uint64_t i;
    gr_edges_init(&e, 0);
    for (i = 0; i < m; i++) {
        ck_assert_int_eq(gr_edges_push(&e, pairs[2 * i], pairs[2 * i + 1], 0, NULL), GR_OK);
    }
    ck_assert_int_eq(gr_graph_build_ex(&e, n, 0, orig, &g, NULL), GR_OK);
    gr_edges_release(&e);
    return g;
}

static void expect_levels(const gr_graph *g, int64_t source, const int64_t *want,
                          int64_t want_iters, const char *name)
{
    int64_t got[16], iters;
    uint32_t u;
    int kind, th;
    ck_assert(g->n <= 16);
    for (kind = GR_NATIVE; kind <= GR_BEST; kind++) {
        for (th = 1; th <= 2; th++) {
            run_bfs(g, (gr_native_kind)kind, th, source, got, &iters);
            for (u = 0; u < g->n; u++) {
                ck_assert_msg(got[u] == want[u], "%s: level[%u] = %lld, want %lld", name, u,
                              (long long)got[u], (long long)want[u]);
            }
            ck_assert_int_eq(iters, want_iters);
        }
    }
}

/* Worked by hand. */
START_TEST(test_hand)
{
    static const uint32_t path5[] = {0, 1, 1, 2, 2, 3, 3, 4};
    static const int64_t path_from0[] = {0, 1, 2, 3, 4};
    static const int64_t path_from2[] = {-1, -1, 0, 1, 2};
    static const int64_t path_from4[] = {-1, -1, -1, -1, 0};
    /* Two components: 0->1->2->0 and 3->4->5, 6 with a self-loop, 7 alone. */
    static const uint32_t two[] = {0, 1, 1, 2, 2, 0, 3, 4, 4, 5, 6, 6};
    static const int64_t two_from1[] = {2, 0, 1, -1, -1, -1, -1, -1};
    static const int64_t two_from6[] = {-1, -1, -1, -1, -1, -1, 0, -1};
    /* Self-loops and a shortcut: 0->0, 0->1, 1->1, 1->2, 0->2, 2->3. */
    static const uint32_t loops[] = {0, 0, 0, 1, 1, 1, 1, 2, 0, 2, 2, 3};
    static const int64_t loops_from0[] = {0, 1, 1, 2};
    /* Original ids 100, 200, 300, 400 on 0->1, 1->2 (node 400 apart). */
    static const uint32_t chain[] = {0, 1, 1, 2};
    static const int64_t chain_orig[] = {100, 200, 300, 400};
    static const int64_t chain_from200[] = {-1, 0, 1, -1};
    gr_graph *g;
    gr_error err;
    int64_t lv[8];

    g = tu_graph(5, path5, 4, NULL, 0);
    expect_levels(g, 0, path_from0, 5, "path from 0");
    expect_levels(g, 2, path_from2, 3, "path from 2");
    expect_levels(g, 4, path_from4, 1, "path from its end");
    gr_graph_free(&g);

    g = tu_graph(8, two, 6, NULL, 0);
    expect_levels(g, 1, two_from1, 3, "two components from 1");
    expect_levels(g, 6, two_from6, 1, "self-loop node");
    gr_graph_free(&g);

    g = tu_graph(4, loops, 6, NULL, 0);
    expect_levels(g, 0, loops_from0, 3, "self-loops");
    gr_graph_free(&g);

    g = graph_orig(4, chain, 2, chain_orig);
    expect_levels(g, 200, chain_from200, 2, "original ids");
    /* A dense id that is not an original id is absent. */
    ck_assert_int_eq(bfs_rc(g, GR_NATIVE, 1, 1, lv, NULL, &err), GR_ERR_RANGE);
    ck_assert_str_eq(err.msg, "source 1 is not a node of the graph");
    ck_assert_int_eq(bfs_rc(g, GR_BEST, 1, 401, lv, NULL, &err), GR_ERR_RANGE);
    ck_assert_str_eq(err.msg, "source 401 is not a node of the graph");
    gr_graph_free(&g);

    /* No nodes: every source is absent. */
    g = tu_graph(0, NULL, 0, NULL, 0);
    ck_assert_int_eq(bfs_rc(g, GR_NATIVE, 1, 0, lv, NULL, &err), GR_ERR_RANGE);
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_args)
{
    gr_graph *g = tu_graph(2, NULL, 0, NULL, 0);
    int64_t lv[2];
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_bfs(NULL, GR_NATIVE, 0, lv, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "bfs: graph is NULL");
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_bfs(g, GR_BEST, 0, NULL, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "bfs: level is NULL");
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_bfs(g, (gr_native_kind)-3, 0, lv, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "bfs: unknown native kind -3");
    ck_assert_int_eq(gr_native_bfs(g, GR_BEST, 1, lv, NULL, NULL), GR_OK);
    ck_assert(lv[0] == -1 && lv[1] == 0);
    gr_graph_free(&g);
}
END_TEST

/* gr_native_bfs(g, kind, 3) for tu_nomem_sweep. */
struct native_call {
    const gr_graph *g;
    gr_native_kind kind;
    int64_t *got;
};
static int run_native(void *ctx, gr_error *err)
{
    struct native_call *c = ctx;
    return gr_native_bfs(c->g, c->kind, 3, c->got, NULL, err);
}

START_TEST(test_nomem)
{
    gr_graph *g = tu_case(18, NULL);
    int64_t *want = malloc(g->n * sizeof *want), *got = malloc(g->n * sizeof *got);
    int kind, th;
    ck_assert(want && got);
    ref_bfs(g, 3, want);
    for (kind = GR_NATIVE; kind <= GR_BEST; kind++) {
        for (th = 1; th <= 2; th++) {
            gr_set_threads(th);
            tu_nomem_sweep(run_native, &(struct native_call){g, (gr_native_kind)kind, got}, 50);
            ck_assert(memcmp(got, want, g->n * sizeof *got) == 0);
        }
    }
    free(want);
    free(got);
    gr_graph_free(&g);
}
END_TEST

static Suite *bfs_suite(void)
{
    Suite *s = suite_create("bfs");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_battery);
    tcase_add_test(tc, test_random_small);
    tcase_add_test(tc, test_core_tail);
    tcase_add_test(tc, test_hand);
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_nomem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(bfs_suite());
}
