/*
 * check_wcc.c - tests of gr_native_wcc: both kinds against the BFS
 * reference on the tu_case battery and on many small random graphs, with
 * 1 and 2 threads; GR_NATIVE's iteration count against a literal,
 * op-by-op transcription of wcc.grl (the loop the language states);
 * hand-worked graphs; argument errors; allocation failure injection.
 */
#include "config.h"
#include "testutil.h"
#include "ref.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gr_native_wcc with `threads` threads; the test fails unless it succeeds. */
static void run_wcc(const gr_graph *g, gr_native_kind kind, int threads, int64_t *comp,
                    int64_t *iters)
{
    gr_error err;
    char buf[600];
    int rc;
    gr_error_clear(&err);
    gr_set_threads(threads);
    rc = gr_native_wcc(g, kind, comp, iters, &err);
    ck_assert_msg(rc == GR_OK, "wcc kind %d, %d threads: %s", (int)kind, threads,
                  gr_error_format(&err, buf, sizeof buf));
}

/* The components of the pointer graph u - a[u], u - b[u] (entries outside
 * [0, n) link nothing), each labelled by its smallest node: plain
 * min-label propagation along the links until nothing changes, nothing
 * like link's union-find. */
static void literal_link(size_t n, const int64_t *a, const int64_t *b, int64_t *out)
{
    size_t u;
    int changed = 1, k;
    for (u = 0; u < n; u++) {
        out[u] = (int64_t)u;
    }
    while (changed) {
        changed = 0;
        for (u = 0; u < n; u++) {
            for (k = 0; k < 2; k++) {
                int64_t x = k ? b[u] : a[u], m;
                if (x < 0 || (uint64_t)x >= n) {
                    continue;
                }
                m = out[u] < out[x] ? out[u] : out[x];
                changed |= out[u] != m || out[x] != m;
                out[u] = out[x] = m;
            }
        }
    }
}

/* wcc.grl as the language states it, one vector op at a time over fresh
 * int64 vectors (INT64_MAX and INT64_MIN the empty min and max):
 * f = link(out_nbr(0), out_nbr(1)); c = the smallest f of the nodes of
 * largest degree; act = f != c && degree > 0; then lo = where(act,
 * nbr_min(f), INT64_MAX), hi = where(act, nbr_max(f), INT64_MIN),
 * f = link(link(f, lo), hi) until f is unchanged.  Returns the
 * iterations, fills comp with original ids. */
static int64_t literal_linked(const gr_graph *g, int64_t *comp)
{
    size_t n = g->n, u;
    int64_t *f = malloc((n + 1) * sizeof *f), *lo = malloc((n + 1) * sizeof *lo);
    int64_t *hi = malloc((n + 1) * sizeof *hi), *t = malloc((n + 1) * sizeof *t);
    int64_t *f2 = malloc((n + 1) * sizeof *f2), it = 0, c = INT64_MAX;
    uint64_t dmax = 0;
    uint8_t *act = malloc(n + 1);
    ck_assert(f && lo && hi && t && f2 && act);
    for (u = 0; u < n; u++) { /* out_nbr(0), out_nbr(1) */
        uint64_t o = g->out_off[u], d = g->out_off[u + 1] - o;
        lo[u] = d > 0 ? (int64_t)g->out_adj[o] : (int64_t)u;
        hi[u] = d > 1 ? (int64_t)g->out_adj[o + 1] : (int64_t)u;
    }
    literal_link(n, lo, hi, f);
    for (u = 0; u < n; u++) {
        uint64_t d = g->out_off[u + 1] - g->out_off[u] + g->in_off[u + 1] - g->in_off[u];
        dmax = d > dmax ? d : dmax;
    }
    for (u = 0; u < n; u++) {
        uint64_t d = g->out_off[u + 1] - g->out_off[u] + g->in_off[u + 1] - g->in_off[u];
        if (d == dmax && f[u] < c) {
            c = f[u];
        }
    }
    for (u = 0; u < n; u++) {
        act[u] = f[u] != c && g->out_off[u + 1] - g->out_off[u] + g->in_off[u + 1] - g->in_off[u] > 0;
    }
    for (;;) {
        int same = 1;
        it++;
        for (u = 0; u < n; u++) {
            uint64_t k;
            lo[u] = INT64_MAX;
            hi[u] = INT64_MIN;
            for (k = g->out_off[u]; act[u] && k < g->out_off[u + 1]; k++) {
                lo[u] = f[g->out_adj[k]] < lo[u] ? f[g->out_adj[k]] : lo[u];
                hi[u] = f[g->out_adj[k]] > hi[u] ? f[g->out_adj[k]] : hi[u];
            }
            for (k = g->in_off[u]; act[u] && k < g->in_off[u + 1]; k++) {
                lo[u] = f[g->in_adj[k]] < lo[u] ? f[g->in_adj[k]] : lo[u];
                hi[u] = f[g->in_adj[k]] > hi[u] ? f[g->in_adj[k]] : hi[u];
            }
        }
        literal_link(n, f, lo, t);
        literal_link(n, t, hi, f2);
        for (u = 0; u < n; u++) {
            same &= f2[u] == f[u];
        }
        memcpy(f, f2, n * sizeof *f);
        if (same || it > (int64_t)n) {
            break;
        }
    }
    for (u = 0; u < n; u++) {
        comp[u] = gr_graph_orig_id(g, (uint32_t)f[u]);
    }
    free(f);
    free(lo);
    free(hi);
    free(t);
    free(f2);
    free(act);
    return it;
}

static void assert_same(const int64_t *got, const int64_t *want, uint32_t n, const char *what,
                        const char *name)
{
    uint32_t u;
    for (u = 0; u < n; u++) {
        ck_assert_msg(got[u] == want[u], "%s on %s: comp[%u] = %lld, want %lld", what, name, u,
                      (long long)got[u], (long long)want[u]);
    }
}

/* Every kind and thread count against the reference; GR_NATIVE's count of
 * iterations equals the literal loop's. */
static void check_all(const gr_graph *g, const char *name)
{
    size_t n = g->n;
    int64_t *want = malloc((n + 1) * sizeof *want), *got = malloc((n + 1) * sizeof *got);
    int64_t lit_iters, iters, th;
    ck_assert(want && got);
    ref_wcc(g, want);
    lit_iters = literal_linked(g, got);
    assert_same(got, want, g->n, "literal wcc.grl", name);
    for (th = 1; th <= 2; th++) {
        iters = -1;
        run_wcc(g, GR_NATIVE, (int)th, got, &iters);
        assert_same(got, want, g->n, "native", name);
        ck_assert_msg(iters == lit_iters, "native on %s, %d threads: %lld iterations, literal %lld",
                      name, (int)th, (long long)iters, (long long)lit_iters);
        iters = -1;
        run_wcc(g, GR_BEST, (int)th, got, &iters);
        assert_same(got, want, g->n, "best", name);
        ck_assert_int_eq(iters, 1);
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
        check_all(g, name);
        gr_graph_free(&g);
    }
    ck_assert_int_ge(i, 20);
}
END_TEST

/* Many small random graphs, sparse to dense, directed and symmetrized. */
START_TEST(test_random_small)
{
    tu_rng r = {12345};
    int i;
    for (i = 0; i < 400; i++) {
        uint32_t n = 1 + (uint32_t)tu_below(&r, 60);
        uint64_t m = tu_below(&r, 2 * (uint64_t)n + 1);
        char name[64];
        gr_graph *g = (i & 1) ? tu_random_graph(n, m, 1000 + (uint64_t)i, 0, 0)
                              : tu_skewed_graph(n, m, 1000 + (uint64_t)i, 0,
                                                (i & 2) ? GR_BUILD_SYMMETRIZE : 0);
        snprintf(name, sizeof name, "random #%d (n=%u, m=%llu)", i, n, (unsigned long long)m);
        check_all(g, name);
        gr_graph_free(&g);
    }
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

/* Worked by hand. */
START_TEST(test_hand)
{
    /* The path 0->1->2.  The sample links 0-1 and 1-2: f = (0,0,0), c = 0
     * (node 1 has the largest degree), nothing is active; one round, which
     * changes nothing. */
    static const uint32_t path3[] = {0, 1, 1, 2};
    /* 3->1 and 2->0 (only reverse edges reach the small ids), 4 alone,
     * original ids 5, 8, 13, 21, 34: components {5,13}, {8,21}, {34}.  The
     * sample gives f = (0,1,0,1,4); c = 0; nodes 1 and 3 are active but
     * their neighbours carry their label: one round. */
    static const uint32_t two[] = {3, 1, 2, 0};
    static const int64_t two_orig[] = {5, 8, 13, 21, 34};
    static const int64_t two_want[] = {5, 8, 5, 8, 34};
    /* Self-loops only: every node is alone; c = 0, nodes 1 and 2 active
     * but their one neighbour is themselves: one round. */
    static const uint32_t loops[] = {0, 0, 1, 1, 2, 2};
    /* A path entered from its far end: 4->3->2->1->0, all component 0. */
    static const uint32_t rev[] = {4, 3, 3, 2, 2, 1, 1, 0};
    /* A star whose third arm 0->3 the sample misses: f = (0,0,0,3), c = 0,
     * node 3 active; round 1 links it to its neighbour's label 0, round 2
     * changes nothing: two rounds. */
    static const uint32_t star[] = {0, 1, 0, 2, 0, 3};
    int64_t comp[8], iters, th;
    gr_graph *g;

    for (th = 1; th <= 2; th++) {
        g = tu_graph(3, path3, 2, NULL, 0);
        run_wcc(g, GR_NATIVE, (int)th, comp, &iters);
        ck_assert(comp[0] == 0 && comp[1] == 0 && comp[2] == 0);
        ck_assert_int_eq(iters, 1);
        run_wcc(g, GR_BEST, (int)th, comp, &iters);
        ck_assert(comp[0] == 0 && comp[1] == 0 && comp[2] == 0);
        gr_graph_free(&g);

        g = graph_orig(5, two, 2, two_orig);
        run_wcc(g, GR_NATIVE, (int)th, comp, &iters);
        assert_same(comp, two_want, 5, "native", "two components");
        ck_assert_int_eq(iters, 1);
        run_wcc(g, GR_BEST, (int)th, comp, &iters);
        assert_same(comp, two_want, 5, "best", "two components");
        gr_graph_free(&g);

        g = tu_graph(3, loops, 3, NULL, 0);
        run_wcc(g, GR_NATIVE, (int)th, comp, &iters);
        ck_assert(comp[0] == 0 && comp[1] == 1 && comp[2] == 2);
        ck_assert_int_eq(iters, 1);
        run_wcc(g, GR_BEST, (int)th, comp, &iters);
        ck_assert(comp[0] == 0 && comp[1] == 1 && comp[2] == 2);
        gr_graph_free(&g);

        g = tu_graph(5, rev, 4, NULL, 0);
        run_wcc(g, GR_NATIVE, (int)th, comp, &iters);
        ck_assert(comp[0] == 0 && comp[1] == 0 && comp[2] == 0 && comp[3] == 0 && comp[4] == 0);
        run_wcc(g, GR_BEST, (int)th, comp, &iters);
        ck_assert(comp[0] == 0 && comp[1] == 0 && comp[2] == 0 && comp[3] == 0 && comp[4] == 0);
        gr_graph_free(&g);

        g = tu_graph(4, star, 3, NULL, 0);
        run_wcc(g, GR_NATIVE, (int)th, comp, &iters);
        ck_assert(comp[0] == 0 && comp[1] == 0 && comp[2] == 0 && comp[3] == 0);
        ck_assert_int_eq(iters, 2);
        run_wcc(g, GR_BEST, (int)th, comp, &iters);
        ck_assert(comp[0] == 0 && comp[1] == 0 && comp[2] == 0 && comp[3] == 0);
        gr_graph_free(&g);

        /* No nodes at all: nothing to do, the loop runs once. */
        g = tu_graph(0, NULL, 0, NULL, 0);
        run_wcc(g, GR_NATIVE, (int)th, comp, &iters);
        ck_assert_int_eq(iters, 1);
        run_wcc(g, GR_BEST, (int)th, comp, &iters);
        gr_graph_free(&g);
    }
}
END_TEST

START_TEST(test_args)
{
    gr_graph *g = tu_graph(2, NULL, 0, NULL, 0);
    int64_t comp[2];
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_wcc(NULL, GR_NATIVE, comp, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "wcc: graph is NULL");
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_wcc(g, GR_BEST, NULL, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "wcc: comp is NULL");
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_wcc(g, (gr_native_kind)7, comp, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "wcc: unknown native kind 7");
    /* err may be NULL; iters may be NULL. */
    ck_assert_int_eq(gr_native_wcc(g, GR_NATIVE, comp, NULL, NULL), GR_OK);
    ck_assert(comp[0] == 0 && comp[1] == 1);
    gr_graph_free(&g);
}
END_TEST

/* Allow 0, 1, 2, ... allocations: each run fails cleanly with
 * GR_ERR_NOMEM until one succeeds (valgrind shows no leak). */
START_TEST(test_nomem)
{
    gr_graph *g = tu_case(19, NULL); /* large enough for parallel regions */
    int64_t *want = malloc(g->n * sizeof *want), *got = malloc(g->n * sizeof *got);
    int kind, th;
    ck_assert(want && got);
    ref_wcc(g, want);
    for (kind = GR_NATIVE; kind <= GR_BEST; kind++) {
        for (th = 1; th <= 2; th++) {
            long budget;
            gr_set_threads(th);
            for (budget = 0;; budget++) {
                gr_error err;
                int rc;
                gr_error_clear(&err);
                gr_mem_fail_after(budget);
                rc = gr_native_wcc(g, (gr_native_kind)kind, got, NULL, &err);
                gr_mem_fail_after(-1);
                if (rc == GR_OK) {
                    break;
                }
                ck_assert_int_eq(rc, GR_ERR_NOMEM);
                ck_assert_int_eq(err.code, GR_ERR_NOMEM);
                ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
                ck_assert_int_lt(budget, 50);
            }
            ck_assert_int_gt(budget, 0);
            assert_same(got, want, g->n, "after failures", "skewed 20000");
        }
    }
    free(want);
    free(got);
    gr_graph_free(&g);
}
END_TEST

static Suite *wcc_suite(void)
{
    Suite *s = suite_create("wcc");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_battery);
    tcase_add_test(tc, test_random_small);
    tcase_add_test(tc, test_hand);
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_nomem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(wcc_suite());
}
