/*
 * check_sssp.c - tests of gr_native_sssp: both kinds against the O(n^2)
 * Dijkstra reference, bit for bit, on the tu_case battery (several
 * sources), on many small random graphs with ties, zero and duplicate
 * weights (every source), with 1 and 2 threads; GR_NATIVE's round count
 * against a literal dense synchronous Bellman-Ford, GR_BEST's bucket count
 * (equal to it when unweighted, else at most the reachable nodes and the
 * same for 1 and 2 threads); hand-worked graphs; weight, source and argument errors;
 * allocation failure injection; the library's sssp (its changed-set form) in
 * the plan modes against the literal dense Bellman-Ford.
 */
#include "config.h"
#include "testutil.h"
#include "ref.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sssp_rc(const gr_graph *g, gr_native_kind kind, int threads, int64_t source,
                   double *dist, int64_t *iters, gr_error *err)
{
    gr_error_clear(err);
    gr_set_threads(threads);
    return gr_native_sssp(g, kind, source, dist, iters, err);
}

static void run_sssp(const gr_graph *g, gr_native_kind kind, int threads, int64_t source,
                     double *dist, int64_t *iters)
{
    gr_error err;
    char buf[600];
    int rc = sssp_rc(g, kind, threads, source, dist, iters, &err);
    ck_assert_msg(rc == GR_OK, "sssp kind %d, %d threads, source %lld: %s", (int)kind, threads,
                  (long long)source, gr_error_format(&err, buf, sizeof buf));
}

/* Bellman-Ford exactly as the language states it: every round a full
 * dist' = min(dist, pull_min(dist + weight)) into a fresh vector, until
 * unchanged.  Returns the rounds, the unchanged one included. */
static int64_t literal_bf(const gr_graph *g, int64_t source, double *dist)
{
    size_t n = g->n;
    double *nd = malloc((n + 1) * sizeof *nd);
    int64_t s = gr_graph_dense_id(g, source), it = 0;
    size_t v;
    int changed = 1;
    ck_assert(nd && s >= 0);
    for (v = 0; v < n; v++) {
        dist[v] = INFINITY;
    }
    dist[s] = 0.0;
    while (changed) {
        changed = 0;
        it++;
        for (v = 0; v < n; v++) {
            uint64_t k;
            nd[v] = dist[v];
            for (k = g->in_off[v]; k < g->in_off[v + 1]; k++) {
                double t = dist[g->in_adj[k]] + (g->in_w ? g->in_w[k] : 1.0);
                nd[v] = t < nd[v] ? t : nd[v];
            }
            changed |= nd[v] != dist[v];
        }
        memcpy(dist, nd, n * sizeof *dist);
    }
    free(nd);
    return it;
}

static void assert_dist(const double *got, const double *want, uint32_t n, const char *what)
{
    uint32_t u;
    for (u = 0; u < n; u++) {
        ck_assert_msg(memcmp(&got[u], &want[u], sizeof got[u]) == 0,
                      "%s: dist[%u] = %.17g, want %.17g", what, u, got[u], want[u]);
    }
}

/* Every kind and thread count from `source` against the reference. */
static void check_source(const gr_graph *g, int64_t source, const char *name)
{
    size_t n = g->n;
    double *want = malloc((n + 1) * sizeof *want), *got = malloc((n + 1) * sizeof *got);
    int64_t lit_iters, reach = 0, iters;
    uint32_t u;
    int kind, th;
    char what[200];
    ck_assert(want && got);
    ref_sssp(g, source, want);
    for (u = 0; u < g->n; u++) {
        reach += want[u] < INFINITY;
    }
    lit_iters = literal_bf(g, source, got);
    snprintf(what, sizeof what, "%s from %lld, literal Bellman-Ford", name, (long long)source);
    assert_dist(got, want, g->n, what);
    ck_assert_int_le(lit_iters, (int64_t)g->n);
    for (kind = GR_NATIVE; kind <= GR_BEST; kind++) {
        int64_t first = -1;
        for (th = 1; th <= 2; th++) {
            iters = -1;
            run_sssp(g, (gr_native_kind)kind, th, source, got, &iters);
            snprintf(what, sizeof what, "%s from %lld, kind %d, %d threads", name,
                     (long long)source, kind, th);
            assert_dist(got, want, g->n, what);
            if (kind == GR_NATIVE || !g->out_w) {
                /* Unweighted, each bucket of GR_BEST is one round. */
                ck_assert_msg(iters == lit_iters, "%s: %lld iterations, want %lld", what,
                              (long long)iters, (long long)lit_iters);
            } else {
                /* Buckets that settle a node: at least the source's, at
                 * most one per reachable node, the same for any threads. */
                ck_assert_msg(iters >= 1 && iters <= reach, "%s: %lld buckets, %lld reachable",
                              what, (long long)iters, (long long)reach);
                ck_assert(first < 0 || iters == first);
                first = iters;
            }
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
        int64_t srcs[3] = {0, g->n / 2, g->n - 1};
        double *d = malloc((g->n + 1) * sizeof *d);
        gr_error err;
        int j, ns = g->n > 5000 ? 1 : 3; /* the reference is O(n^2) */
        ck_assert_ptr_nonnull(d);
        for (j = 0; j < ns; j++) {
            check_source(g, srcs[j], name);
        }
        ck_assert_int_eq(sssp_rc(g, GR_NATIVE, 2, g->n, d, NULL, &err), GR_ERR_RANGE);
        ck_assert_int_eq(sssp_rc(g, GR_BEST, 1, -5, d, NULL, &err), GR_ERR_RANGE);
        free(d);
        gr_graph_free(&g);
    }
    ck_assert_int_ge(i, 20);
}
END_TEST

/* Small random graphs whose weights are small multiples of 0.1 or 0 (ties,
 * zero-weight cycles, sums that round differently by path). */
START_TEST(test_random_small)
{
    tu_rng r = {4242};
    int i;
    for (i = 0; i < 150; i++) {
        uint32_t n = 1 + (uint32_t)tu_below(&r, 30), s;
        uint64_t m = tu_below(&r, 4 * (uint64_t)n + 1), k;
        char name[64];
        gr_edges e;
        gr_graph *g = NULL;
        gr_edges_init(&e, (i % 5) != 0);
        for (k = 0; k < m; k++) {
            double w = (double)tu_below(&r, 6) * 0.1;
            if (i % 7 == 3 && tu_below(&r, 8) == 0) {
                w = INFINITY; /* never shortens a path */
            }
            ck_assert_int_eq(gr_edges_push(&e, (uint32_t)tu_below(&r, n),
                                           (uint32_t)tu_below(&r, n), w, NULL), GR_OK);
        }
        ck_assert_int_eq(gr_graph_build(&e, n, (i & 2) ? GR_BUILD_SYMMETRIZE : 0, &g, NULL),
                         GR_OK);
        gr_edges_release(&e);
        snprintf(name, sizeof name, "random #%d (n=%u, m=%llu)", i, n, (unsigned long long)m);
        for (s = 0; s < n; s++) {
            check_source(g, s, name);
        }
        gr_graph_free(&g);
    }
}
END_TEST

/* A graph with weights and original ids (orig may be NULL). */
static gr_graph *wgraph(uint32_t n, const uint32_t *pairs, uint64_t m, const double *w,
                        const int64_t *orig)
{
    gr_edges e;
    gr_graph *g = NULL;
    uint64_t i;
    gr_edges_init(&e, w != NULL);
    for (i = 0; i < m; i++) {
        ck_assert_int_eq(gr_edges_push(&e, pairs[2 * i], pairs[2 * i + 1], w ? w[i] : 0, NULL),
                         GR_OK);
    }
    ck_assert_int_eq(gr_graph_build_ex(&e, n, 0, orig, &g, NULL), GR_OK);
    gr_edges_release(&e);
    return g;
}

static void expect_dist(const gr_graph *g, int64_t source, const double *want,
                        int64_t want_rounds, const char *name)
{
    double got[16];
    int64_t iters;
    int kind, th;
    ck_assert(g->n <= 16);
    for (kind = GR_NATIVE; kind <= GR_BEST; kind++) {
        for (th = 1; th <= 2; th++) {
            run_sssp(g, (gr_native_kind)kind, th, source, got, &iters);
            assert_dist(got, want, g->n, name);
            if (kind == GR_NATIVE) {
                ck_assert_int_eq(iters, want_rounds);
            }
        }
    }
}

/* Worked by hand. */
START_TEST(test_hand)
{
    const double inf = INFINITY;
    /* Path 0->1->2->3 weights 1, 2, 4; 4 unreachable. Rounds: 1 reaches
     * node 1, 2 node 2, 3 node 3, the 4th changes nothing. */
    static const uint32_t path[] = {0, 1, 1, 2, 2, 3};
    static const double path_w[] = {1.0, 2.0, 4.0};
    const double path_from0[] = {0.0, 1.0, 3.0, 7.0, inf};
    const double path_from2[] = {inf, inf, 0.0, 4.0, inf};
    /* Unweighted: every edge counts 1.0, so the path is its BFS levels. */
    const double unw_from0[] = {0.0, 1.0, 2.0, 3.0, inf};
    /* Duplicate edges 0->1 (3.0 and 1.0) and 1->2 (5.0, 2.0): the lighter
     * one counts; a self-loop 2->2 of weight 0.5 changes nothing. */
    static const uint32_t dup[] = {0, 1, 0, 1, 1, 2, 1, 2, 2, 2};
    static const double dup_w[] = {3.0, 1.0, 5.0, 2.0, 0.5};
    const double dup_from0[] = {0.0, 1.0, 3.0};
    /* Zero-weight edges: 0->1 (0), 1->2 (0), 2->0 (0), 0->3 (2.5), 1->3
     * (1.0), 3->4 (0): 3 is reached at 1.0 over 0->1->3 (2 edges), 4 at
     * 1.0; rounds: 1 {1,3 at 2.5}, 2 {2, 3 at 1.0, 4 at 2.5}, 3 {4 at 1.0},
     * 4 unchanged. */
    static const uint32_t zero[] = {0, 1, 1, 2, 2, 0, 0, 3, 1, 3, 3, 4};
    static const double zero_w[] = {0.0, 0.0, 0.0, 2.5, 1.0, 0.0};
    const double zero_from0[] = {0.0, 0.0, 0.0, 1.0, 1.0};
    /* Rounding: 0->1 (0.1), 1->2 (0.2) sums to 0.30000000000000004, the
     * direct 0->2 (0.3) is smaller; 0->3 via 2 gets 0.3 + 0.1. */
    static const uint32_t rnd[] = {0, 1, 1, 2, 0, 2, 2, 3};
    static const double rnd_w[] = {0.1, 0.2, 0.3, 0.1};
    const double rnd_from0[] = {0.0, 0.1, 0.3, 0.3 + 0.1};
    /* Original ids 7, 9, 11: source 9 reaches 11 only. */
    static const uint32_t two[] = {0, 1, 1, 2};
    static const double two_w[] = {1.5, 2.25};
    static const int64_t two_orig[] = {7, 9, 11};
    const double two_from9[] = {inf, 0.0, 2.25};
    /* +inf and -0.0 weights are accepted: 0->1 (+inf), 0->2 (1), 2->1 (2),
     * 0->3 (+inf, 3 stays unreachable), 0->4 (-0.0, 0.0 + -0.0 = +0.0). */
    static const uint32_t odd[] = {0, 1, 0, 2, 2, 1, 0, 3, 0, 4};
    const double odd_w[] = {INFINITY, 1.0, 2.0, INFINITY, -0.0};
    const double odd_from0[] = {0.0, 3.0, 1.0, inf, 0.0};
    gr_graph *g;

    g = wgraph(5, odd, 5, odd_w, NULL);
    expect_dist(g, 0, odd_from0, 3, "infinite and negative-zero weights");
    gr_graph_free(&g);
    g = wgraph(5, path, 3, path_w, NULL);
    expect_dist(g, 0, path_from0, 4, "weighted path from 0");
    expect_dist(g, 2, path_from2, 2, "weighted path from 2");
    gr_graph_free(&g);
    g = wgraph(5, path, 3, NULL, NULL);
    expect_dist(g, 0, unw_from0, 4, "unweighted path");
    gr_graph_free(&g);
    g = wgraph(3, dup, 5, dup_w, NULL);
    expect_dist(g, 0, dup_from0, 3, "duplicate edges");
    gr_graph_free(&g);
    g = wgraph(5, zero, 6, zero_w, NULL);
    expect_dist(g, 0, zero_from0, 4, "zero weights");
    gr_graph_free(&g);
    g = wgraph(4, rnd, 4, rnd_w, NULL);
    ck_assert(0.1 + 0.2 > 0.3);
    expect_dist(g, 0, rnd_from0, 3, "rounding");
    gr_graph_free(&g);
    g = wgraph(3, two, 2, two_w, two_orig);
    expect_dist(g, 9, two_from9, 2, "original ids");
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_errors)
{
    /* Original ids 10, 20, 30; the edge 20->30 weighs -1. */
    static const uint32_t pairs[] = {0, 1, 1, 2, 0, 2};
    static const double w[] = {1.0, -1.0, 4.0};
    static const int64_t orig[] = {10, 20, 30};
    gr_graph *g = wgraph(3, pairs, 3, w, orig);
    double d[3];
    gr_error err;
    int kind;
    for (kind = GR_NATIVE; kind <= GR_BEST; kind++) {
        ck_assert_int_eq(sssp_rc(g, (gr_native_kind)kind, 1, 10, d, NULL, &err),
                         GR_ERR_INVALID);
        ck_assert_str_eq(err.msg, "negative weight on edge 20->30");
        /* Even when the source cannot reach the edge. */
        ck_assert_int_eq(sssp_rc(g, (gr_native_kind)kind, 2, 30, d, NULL, &err),
                         GR_ERR_INVALID);
        ck_assert_str_eq(err.msg, "negative weight on edge 20->30");
        /* A missing source is reported first. */
        ck_assert_int_eq(sssp_rc(g, (gr_native_kind)kind, 1, 0, d, NULL, &err), GR_ERR_RANGE);
        ck_assert_str_eq(err.msg, "source 0 is not a node of the graph");
    }
    /* -inf is negative (CSR order: 10->20, 10->30, 20->30). */
    g->out_w[1] = -INFINITY;
    ck_assert_int_eq(sssp_rc(g, GR_BEST, 1, 10, d, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "negative weight on edge 10->30");
    /* NaN cannot come through gr_graph_build; poke one in (the CSR copy is
     * the one checked). */
    g->out_w[0] = NAN;
    ck_assert_int_eq(sssp_rc(g, GR_NATIVE, 1, 10, d, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "NaN weight on edge 10->20");
    gr_graph_free(&g);

    g = tu_graph(2, NULL, 0, NULL, 0);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_sssp(NULL, GR_NATIVE, 0, d, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "sssp: graph is NULL");
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_sssp(g, GR_BEST, 0, NULL, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "sssp: dist is NULL");
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_sssp(g, (gr_native_kind)2, 0, d, NULL, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "sssp: unknown native kind 2");
    ck_assert_int_eq(gr_native_sssp(g, GR_NATIVE, 1, d, NULL, NULL), GR_OK);
    ck_assert(d[0] == INFINITY && d[1] == 0.0);
    gr_graph_free(&g);
}
END_TEST

/* gr_native_sssp(g, kind, 5) for tu_nomem_sweep. */
struct native_call {
    const gr_graph *g;
    gr_native_kind kind;
    double *got;
};
static int run_native(void *ctx, gr_error *err)
{
    struct native_call *c = ctx;
    return gr_native_sssp(c->g, c->kind, 5, c->got, NULL, err);
}

START_TEST(test_nomem)
{
    gr_graph *g = tu_case(18, NULL);
    double *want = malloc(g->n * sizeof *want), *got = malloc(g->n * sizeof *got);
    int kind, th;
    ck_assert(want && got);
    literal_bf(g, 5, want);
    for (kind = GR_NATIVE; kind <= GR_BEST; kind++) {
        for (th = 1; th <= 2; th++) {
            gr_set_threads(th);
            tu_nomem_sweep(run_native, &(struct native_call){g, (gr_native_kind)kind, got}, 50);
            assert_dist(got, want, g->n, "after failures");
        }
    }
    free(want);
    free(got);
    gr_graph_free(&g);
}
END_TEST

/* The library's sssp (changed set, masked pull) in the fused and batched
 * plans, 1 and 2 threads: the literal dense Bellman-Ford's distances bit
 * for bit and its round count, from several sources of random graphs with
 * ties, zero and infinite weights, and of the battery. */
static void engine_vs_literal(const gr_graph *g, const gr_program *p, int64_t source,
                              const char *name)
{
    double *want = malloc(((size_t)g->n + 1) * sizeof *want);
    int64_t rounds;
    int fused, th, saved = gr_threads();
    char what[240], val[32];
    ck_assert_ptr_nonnull(want);
    rounds = literal_bf(g, source, want);
    snprintf(val, sizeof val, "%lld", (long long)source);
    for (fused = 0; fused <= 1; fused++) {
        for (th = 1; th <= 2; th++) {
            gr_passopts po;
            gr_program *opt = NULL;
            gr_plan *plan = NULL;
            gr_params *ps = NULL;
            gr_result res;
            gr_error err;
            char buf[600];
            memset(&po, 0, sizeof po);
            memset(&res, 0, sizeof res);
            po.level = fused ? 2 : 0;
            gr_error_clear(&err);
            gr_set_threads(th);
            ck_assert_msg(gr_params_new(p, &ps, &err) == GR_OK &&
                          gr_params_set(ps, "source", val, &err) == GR_OK &&
                          gr_optimize(p, &po, &opt, &err) == GR_OK &&
                          gr_plan_lower(opt, &plan, &err) == GR_OK &&
                          gr_plan_run(plan, g, ps, 1, &res, &err) == GR_OK,
                          "%s: %s", name, gr_error_format(&err, buf, sizeof buf));
            snprintf(what, sizeof what, "%s from %lld, %s plan, %d threads", name,
                     (long long)source, fused ? "fused" : "batched", th);
            ck_assert_int_eq(res.nout, 1);
            assert_dist(res.out[0].f64, want, g->n, what);
            ck_assert_msg(res.iters == rounds, "%s: %lld rounds, want %lld", what,
                          (long long)res.iters, (long long)rounds);
            gr_result_release(&res);
            gr_params_free(&ps);
            gr_plan_free(&plan);
            gr_program_free(&opt);
        }
    }
    gr_set_threads(saved);
    free(want);
}

START_TEST(test_engine_changed_set)
{
    gr_program *p = tu_library_program("sssp");
    const char *name;
    gr_graph *g;
    tu_rng r = {777};
    int i;
    for (i = 0; (g = tu_case(i, &name)) != NULL; i++) {
        if (g->n > 0 && g->n <= 2000) { /* long paths: rounds x edges */
            engine_vs_literal(g, p, gr_graph_orig_id(g, 0), name);
            engine_vs_literal(g, p, gr_graph_orig_id(g, g->n - 1), name);
        }
        gr_graph_free(&g);
    }
    for (i = 0; i < 16; i++) {
        uint32_t n = 1 + (uint32_t)tu_below(&r, 200), s;
        uint64_t m = tu_below(&r, 6 * (uint64_t)n + 1), k;
        char gname[64];
        gr_edges e;
        g = NULL;
        gr_edges_init(&e, (i % 5) != 0);
        for (k = 0; k < m; k++) {
            double w = (double)tu_below(&r, 6) * 0.1;
            if (i % 7 == 3 && tu_below(&r, 8) == 0) {
                w = INFINITY;
            }
            ck_assert_int_eq(gr_edges_push(&e, (uint32_t)tu_below(&r, n),
                                           (uint32_t)tu_below(&r, n), w, NULL), GR_OK);
        }
        ck_assert_int_eq(gr_graph_build(&e, n, (i & 2) ? GR_BUILD_SYMMETRIZE : 0, &g, NULL),
                         GR_OK);
        gr_edges_release(&e);
        snprintf(gname, sizeof gname, "random #%d (n=%u, m=%llu)", i, n, (unsigned long long)m);
        for (s = 0; s < n; s += 1 + n / 3) {
            engine_vs_literal(g, p, s, gname);
        }
        gr_graph_free(&g);
    }
    /* large enough for the parallel, pushed and pulled paths */
    g = tu_skewed_graph(20000, 100000, 3, 1, 0);
    engine_vs_literal(g, p, gr_graph_orig_id(g, 0), "skewed 20000/100000");
    gr_graph_free(&g);
    g = tu_random_graph(20000, 80000, 4, 1, 0);
    engine_vs_literal(g, p, gr_graph_orig_id(g, 7), "uniform 20000/80000");
    gr_graph_free(&g);
    gr_program_free(&p);
}
END_TEST

static Suite *sssp_suite(void)
{
    Suite *s = suite_create("sssp");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_battery);
    tcase_add_test(tc, test_random_small);
    tcase_add_test(tc, test_hand);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_nomem);
    tcase_add_test(tc, test_engine_changed_set);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(sssp_suite());
}
