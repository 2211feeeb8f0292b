/*
 * check_lpa.c - unit tests of gr_native_lpa: against the slow reference
 * (tests/ref_lpa.c, which works on original ids) on every battery graph,
 * with identity and with sparse original ids, thread-count determinism,
 * hand-computed answers, argument checking and allocation-failure
 * injection; and the engine's mode kernel (agg.c): the library lpa in the
 * plan modes against the reference, other mode aggregations against step
 * mode, over narrowed and over full i64 labels.
 */
#include "config.h"
#include "testutil.h"
#include "ref.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int64_t iter_caps[] = {0, 1, 2, 3, 7, 100};

static void run_ok(const gr_graph *g, gr_native_kind kind, int64_t max_iter, int64_t *label,
                   int64_t *iters)
{
    gr_error err;
    char buf[600];
    gr_error_clear(&err);
    ck_assert_msg(gr_native_lpa(g, kind, max_iter, label, iters, &err) == GR_OK,
                  "lpa failed: %s", gr_error_format(&err, buf, sizeof buf));
}

static void check_vs_ref(const gr_graph *g, const char *name)
{
    int64_t *a = malloc(g->n * sizeof *a), *b = malloc(g->n * sizeof *b);
    size_t c;
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    for (c = 0; c < sizeof iter_caps / sizeof iter_caps[0]; c++) {
        int64_t ia = -1, ib;
        uint32_t v;
        run_ok(g, GR_NATIVE, iter_caps[c], a, &ia);
        ib = ref_lpa(g, iter_caps[c], b);
        ck_assert_msg(ia == ib, "%s, max_iter %lld: %lld iterations, reference %lld", name,
                      (long long)iter_caps[c], (long long)ia, (long long)ib);
        for (v = 0; v < g->n; v++) {
            ck_assert_msg(a[v] == b[v], "%s, max_iter %lld, node %u: %lld vs %lld", name,
                          (long long)iter_caps[c], v, (long long)a[v], (long long)b[v]);
        }
        run_ok(g, GR_BEST, iter_caps[c], b, &ib);
        ck_assert_int_eq(ia, ib);
        ck_assert_msg(memcmp(a, b, g->n * sizeof *a) == 0, "%s: GR_BEST differs", name);
    }
    free(a);
    free(b);
}

START_TEST(test_battery_vs_ref)
{
    const char *name;
    gr_graph *g, *h;
    int i;
    for (i = 0; (g = tu_case(i, &name)) != NULL; i++) {
        check_vs_ref(g, name);
        h = tu_with_orig_ids(g);
        check_vs_ref(h, name);
        gr_graph_free(&h);
        gr_graph_free(&g);
    }
}
END_TEST

/* Random multigraphs whose degrees cover every counting path (1, 2, the
 * SIMD sizes up to 64, the table beyond), with many self-loops and
 * parallel edges, against the reference. */
START_TEST(test_degree_classes)
{
    static const uint64_t ms[] = {40, 200, 700, 1500, 2600, 4000, 9000};
    size_t i;
    for (i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        tu_rng r = {1000 + i};
        gr_edges e;
        gr_graph *g = NULL;
        uint64_t k;
        char name[64];
        gr_edges_init(&e, 0);
        for (k = 0; k < ms[i]; k++) {
            uint32_t s = (uint32_t)tu_below(&r, 60);
            /* One edge in five a self-loop; few labels, so many ties. */
            uint32_t d = tu_below(&r, 5) == 0 ? s : (uint32_t)tu_below(&r, 60);
            ck_assert_int_eq(gr_edges_push(&e, s, d, 0, NULL), GR_OK);
        }
        ck_assert_int_eq(gr_graph_build(&e, 60, 0, &g, NULL), GR_OK);
        gr_edges_release(&e);
        snprintf(name, sizeof name, "60 nodes / %llu edges", (unsigned long long)ms[i]);
        check_vs_ref(g, name);
        gr_graph_free(&g);
    }
}
END_TEST

START_TEST(test_threads_bitwise)
{
    const char *name;
    gr_graph *g;
    int i, saved = gr_threads();
    for (i = 0;; i++) {
        int64_t *a, *b, ia, ib;
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
        run_ok(g, GR_NATIVE, 30, a, &ia);
        gr_set_threads(2);
        run_ok(g, GR_NATIVE, 30, b, &ib);
        ck_assert_int_eq(ia, ib);
        ck_assert_msg(memcmp(a, b, g->n * sizeof *a) == 0, "%s: 1 vs 2 threads differ", name);
        free(a);
        free(b);
        gr_graph_free(&g);
    }
    gr_set_threads(saved);
}
END_TEST

/* Two directed triangles 0->1->2->0 and 3->4->5->3, plus isolated 6.
 * Iteration 1: node 0 sees {2 (in), 1 (out)}, a tie, takes 1; node 1 sees
 * {0, 2} -> 0; node 2 sees {1, 0} -> 0; likewise 3 -> 4, 4 -> 3, 5 -> 3.
 * Iteration 2: node 0 sees {0, 0} -> 0; node 1 {1, 0} -> 0; node 2
 * {0, 1} -> 0; so all 0 / all 3.  Iteration 3 changes nothing. */
START_TEST(test_two_triangles)
{
    static const uint32_t e[] = {0, 1, 1, 2, 2, 0, 3, 4, 4, 5, 5, 3};
    static const int64_t want1[] = {1, 0, 0, 4, 3, 3, 6};
    static const int64_t want[] = {0, 0, 0, 3, 3, 3, 6};
    gr_graph *g = tu_graph(7, e, 6, NULL, 0);
    int64_t l[7], it;
    int v;
    run_ok(g, GR_NATIVE, 1, l, &it);
    ck_assert_int_eq(it, 1);
    for (v = 0; v < 7; v++) {
        ck_assert_int_eq(l[v], want1[v]);
    }
    run_ok(g, GR_NATIVE, 100, l, &it);
    ck_assert_int_eq(it, 3);
    for (v = 0; v < 7; v++) {
        ck_assert_int_eq(l[v], want[v]);
    }
    gr_graph_free(&g);
}
END_TEST

/* The two triangles again with original ids 10, 20, ..., 70: labels start
 * and come back as original ids, and ties go to the lowest of them. */
START_TEST(test_orig_ids)
{
    static const uint32_t p[] = {0, 1, 1, 2, 2, 0, 3, 4, 4, 5, 5, 3};
    static const int64_t orig[] = {10, 20, 30, 40, 50, 60, 70};
    static const int64_t want[] = {10, 10, 10, 40, 40, 40, 70};
    gr_edges e;
    gr_graph *g = NULL;
    int64_t l[7], it;
    int v;
    gr_edges_init(&e, 0);
    for (v = 0; v < 6; v++) {
        ck_assert_int_eq(gr_edges_push(&e, p[2 * v], p[2 * v + 1], 0, NULL), GR_OK);
    }
    ck_assert_int_eq(gr_graph_build_ex(&e, 7, 0, orig, &g, NULL), GR_OK);
    gr_edges_release(&e);
    run_ok(g, GR_NATIVE, 0, l, &it);
    ck_assert_int_eq(it, 0);
    for (v = 0; v < 7; v++) {
        ck_assert_int_eq(l[v], orig[v]);
    }
    run_ok(g, GR_NATIVE, 100, l, &it);
    ck_assert_int_eq(it, 3);
    for (v = 0; v < 7; v++) {
        ck_assert_int_eq(l[v], want[v]);
    }
    gr_graph_free(&g);
}
END_TEST

/* Ties go to the lowest label: node 0 hears 3, 2, 1 once each (in-edges
 * from 3 and 1, out-edge to 2) and takes 1. */
START_TEST(test_tie_lowest)
{
    static const uint32_t e[] = {3, 0, 0, 2, 1, 0};
    gr_graph *g = tu_graph(4, e, 3, NULL, 0);
    int64_t l[4], it;
    run_ok(g, GR_NATIVE, 1, l, &it);
    ck_assert_int_eq(l[0], 1);
    ck_assert_int_eq(l[1], 0); /* 1 hears only 0 */
    ck_assert_int_eq(l[2], 0);
    ck_assert_int_eq(l[3], 0);
    gr_graph_free(&g);
}
END_TEST

/* Nodes without neighbours keep their label; a node with only a self-loop
 * hears itself once and keeps its label too. */
START_TEST(test_isolated_keep)
{
    static const uint32_t e[] = {0, 1, 3, 3};
    gr_graph *g = tu_graph(5, e, 2, NULL, 0);
    int64_t l[5], it;
    run_ok(g, GR_NATIVE, 10, l, &it);
    ck_assert_int_eq(l[2], 2);
    ck_assert_int_eq(l[3], 3);
    ck_assert_int_eq(l[4], 4);
    /* 0 and 1 swap labels each iteration: the cap stops it. */
    ck_assert_int_eq(it, 10);
    ck_assert_int_eq(l[0], 0);
    ck_assert_int_eq(l[1], 1);
    gr_graph_free(&g);
}
END_TEST

/* A self-loop counts once and parallel edges count each: node 0 has a
 * self-loop and two edges from node 2; it hears {0, 2, 2} and takes 2 (a
 * doubly counted self-loop would tie 0 and 2 and keep 0).  Node 2 hears
 * {0, 0} and takes 0.  Then they swap back: labels oscillate, and every
 * iteration changes something. */
START_TEST(test_self_loop_once)
{
    static const uint32_t e[] = {0, 0, 2, 0, 2, 0};
    gr_graph *g = tu_graph(3, e, 3, NULL, 0);
    int64_t l[3], it;
    run_ok(g, GR_NATIVE, 1, l, &it);
    ck_assert_int_eq(it, 1);
    ck_assert_int_eq(l[0], 2);
    ck_assert_int_eq(l[1], 1);
    ck_assert_int_eq(l[2], 0);
    run_ok(g, GR_NATIVE, 4, l, &it);
    ck_assert_int_eq(it, 4);
    ck_assert_int_eq(l[0], 0);
    ck_assert_int_eq(l[1], 1);
    ck_assert_int_eq(l[2], 2);
    gr_graph_free(&g);
}
END_TEST

/* Out-edges count as well as in-edges: a star 0 -> 1..4 is all 0 after
 * one iteration except the centre, which hears 1..4 and takes 1; then the
 * leaves hear 1 and the centre hears 0 four times. */
START_TEST(test_star)
{
    static const uint32_t e[] = {0, 1, 0, 2, 0, 3, 0, 4};
    gr_graph *g = tu_graph(5, e, 4, NULL, 0);
    int64_t l[5], it;
    int v;
    run_ok(g, GR_NATIVE, 1, l, &it);
    ck_assert_int_eq(l[0], 1);
    for (v = 1; v < 5; v++) {
        ck_assert_int_eq(l[v], 0);
    }
    run_ok(g, GR_NATIVE, 2, l, &it);
    ck_assert_int_eq(l[0], 0);
    for (v = 1; v < 5; v++) {
        ck_assert_int_eq(l[v], 1);
    }
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_invalid)
{
    gr_graph *g = tu_random_graph(10, 20, 1, 0, 0);
    int64_t l[10], it = 5;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_lpa(g, GR_NATIVE, -1, l, &it, &err), GR_ERR_INVALID);
    ck_assert_int_eq(err.code, GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "max_iter"));
    ck_assert_int_eq(it, 0);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_lpa(NULL, GR_NATIVE, 5, l, &it, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "graph"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_lpa(g, GR_NATIVE, 5, NULL, &it, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "label"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_native_lpa(g, (gr_native_kind)-1, 5, l, &it, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "kind"));
    ck_assert_int_eq(gr_native_lpa(g, GR_NATIVE, -3, l, NULL, NULL), GR_ERR_INVALID);
    gr_graph_free(&g);
}
END_TEST

/* gr_native_lpa(g, native, 20) for tu_nomem_sweep. */
struct lpa_call {
    const gr_graph *g;
    int64_t *got;
    int64_t *iters;
};
static int run_lpa(void *ctx, gr_error *err)
{
    struct lpa_call *c = ctx;
    return gr_native_lpa(c->g, GR_NATIVE, 20, c->got, c->iters, err);
}

START_TEST(test_nomem)
{
    gr_graph *g = tu_skewed_graph(20000, 150000, 9, 0, GR_BUILD_SYMMETRIZE);
    int64_t *want = malloc(g->n * sizeof *want), *got = malloc(g->n * sizeof *got);
    int64_t iw, ig;
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(got);
    run_ok(g, GR_NATIVE, 20, want, &iw);
    tu_nomem_sweep(run_lpa, &(struct lpa_call){g, got, &ig}, 100);
    ck_assert_int_eq(iw, ig);
    ck_assert(memcmp(want, got, g->n * sizeof *got) == 0);
    free(want);
    free(got);
    gr_graph_free(&g);
}
END_TEST

/* ---- the engine's mode kernel ---------------------------------------------- */

/* p run by the plan interpreter (-O2 when fused, else as compiled) with
 * `threads` threads; res receives the outputs. */
static void run_plan_mode(const gr_graph *g, const gr_program *p, int fused, int threads,
                          gr_result *res)
{
    gr_passopts po;
    gr_program *opt = NULL;
    gr_plan *plan = NULL;
    gr_error err;
    char buf[600];
    int saved = gr_threads();
    memset(&po, 0, sizeof po);
    memset(res, 0, sizeof *res);
    po.level = fused ? 2 : 0;
    gr_error_clear(&err);
    gr_set_threads(threads);
    ck_assert_msg(gr_optimize(p, &po, &opt, &err) == GR_OK && gr_plan_lower(opt, &plan, &err) ==
                  GR_OK && gr_plan_run(plan, g, NULL, 1, res, &err) == GR_OK,
                  "plan run: %s", gr_error_format(&err, buf, sizeof buf));
    gr_set_threads(saved);
    gr_plan_free(&plan);
    gr_program_free(&opt);
}

/* A copy of g whose node u has original id u * stride + base. */
static gr_graph *with_ids(const gr_graph *g, int64_t stride, int64_t base)
{
    gr_edges e;
    gr_graph *out = NULL;
    int64_t *orig = malloc(((size_t)g->n + 1) * sizeof *orig);
    uint32_t u;
    uint64_t k;
    ck_assert_ptr_nonnull(orig);
    gr_edges_init(&e, 0);
    for (u = 0; u < g->n; u++) {
        orig[u] = (int64_t)u * stride + base;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            ck_assert_int_eq(gr_edges_push(&e, u, g->out_adj[k], 0, NULL), GR_OK);
        }
    }
    ck_assert_int_eq(gr_graph_build_ex(&e, g->n, 0, orig, &out, NULL), GR_OK);
    gr_edges_release(&e);
    free(orig);
    return out;
}

/* The library lpa in the fused and batched plans, 1 and 2 threads,
 * against the reference, on graphs whose degrees cover the kernel's
 * counting paths (gathered and compared up to 64 messages, a table
 * beyond), with ids whose range fits 32 bits (narrowed labels) and ids
 * spread over more than 2^32 (the i64 table). */
START_TEST(test_engine_vs_ref)
{
    static const uint64_t ms[] = {40, 700, 2600, 9000};
    static const int64_t strides[][2] = {{1, 0}, {5, -7}, {3000000000LL, -4000000000000000000LL}};
    gr_program *p = tu_library_program("lpa");
    size_t i, k;
    for (i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        tu_rng r = {2000 + i};
        gr_edges e;
        gr_graph *g0 = NULL;
        uint64_t j;
        gr_edges_init(&e, 0);
        for (j = 0; j < ms[i]; j++) {
            uint32_t a = (uint32_t)tu_below(&r, 70);
            uint32_t b = tu_below(&r, 5) == 0 ? a : (uint32_t)tu_below(&r, 70);
            ck_assert_int_eq(gr_edges_push(&e, a, b, 0, NULL), GR_OK);
        }
        ck_assert_int_eq(gr_graph_build(&e, 72, 0, &g0, NULL), GR_OK); /* 70, 71 isolated */
        gr_edges_release(&e);
        for (k = 0; k < sizeof strides / sizeof strides[0]; k++) {
            gr_graph *g = with_ids(g0, strides[k][0], strides[k][1]);
            int64_t *want = malloc(g->n * sizeof *want), iw;
            int fused, th;
            ck_assert_ptr_nonnull(want);
            iw = ref_lpa(g, 20, want);
            for (fused = 0; fused <= 1; fused++) {
                for (th = 1; th <= 2; th++) {
                    gr_result res;
                    uint32_t v;
                    run_plan_mode(g, p, fused, th, &res);
                    ck_assert_int_eq(res.nout, 1);
                    ck_assert_int_eq(res.iters, iw);
                    for (v = 0; v < g->n; v++) {
                        ck_assert_msg(res.out[0].i64[v] == want[v],
                                      "%llu edges, ids %lld*u%+lld, %s, %d threads, node %u: "
                                      "%lld, want %lld", (unsigned long long)ms[i],
                                      (long long)strides[k][0], (long long)strides[k][1],
                                      fused ? "fused" : "batched", th, v,
                                      (long long)res.out[0].i64[v], (long long)want[v]);
                    }
                    gr_result_release(&res);
                }
            }
            free(want);
            gr_graph_free(&g);
        }
        gr_graph_free(&g0);
    }
    gr_program_free(&p);
}
END_TEST

/* A graph past 2^18 nodes, where the gathers of both the plan and native
 * LPA prefetch (MODE_GATHER_MIN_N, LPA_AHEAD_MIN_N), with hubs whose rows
 * overflow a run's buffers and many self-loops: the fused plan on 1 and 2
 * threads and native agree with the reference. */
START_TEST(test_large_prefetching)
{
    gr_program *p = tu_library_program("lpa");
    gr_graph *g = tu_skewed_graph(270000, 600000, 11, 0, 0);
    int64_t *want = malloc(g->n * sizeof *want), *nat = malloc(g->n * sizeof *nat), iw, in = -1;
    uint64_t hub = 0;
    uint32_t v;
    int th;
    ck_assert(want && nat);
    for (v = 0; v < g->n; v++) {
        uint64_t d = g->in_off[v + 1] - g->in_off[v];
        hub = d > hub ? d : hub;
    }
    ck_assert_uint_gt(hub, 2048); /* more than a run's buffer (MODE_BATCH) */
    iw = ref_lpa(g, 20, want);
    run_ok(g, GR_NATIVE, 20, nat, &in);
    ck_assert_int_eq(in, iw);
    ck_assert(memcmp(nat, want, g->n * sizeof *nat) == 0);
    for (th = 1; th <= 2; th++) {
        gr_result res;
        run_plan_mode(g, p, 1, th, &res);
        ck_assert_int_eq(res.iters, iw);
        for (v = 0; v < g->n; v++) {
            ck_assert_msg(res.out[0].i64[v] == want[v], "%d threads, node %u: %lld, want %lld",
                          th, v, (long long)res.out[0].i64[v], (long long)want[v]);
        }
        gr_result_release(&res);
    }
    free(want);
    free(nat);
    gr_graph_free(&g);
    gr_program_free(&p);
}
END_TEST

/* Other mode aggregations (one direction, with the own value, values that
 * are not node ids, negative and tied, several in one plan) give the same
 * results in the plan (narrowed labels, or the i64 table when they do not
 * fit) as in step mode (the i64 table throughout). */
START_TEST(test_engine_mode_forms)
{
    static const char *const srcs[] = {
        "algorithm m() {\n  x = node_id() % 5 - 2\n  return in_mode(x)\n}\n",
        "algorithm m() {\n  x = node_id() % 7 * 100000000 - 300000000\n"
        "  return out_mode_self(x)\n}\n",
        "algorithm m() {\n  x = node_id() * 3000000000\n  return nbr_mode_self(x)\n}\n",
        "algorithm m() {\n  x = where(node_id() % 3 == 0, 9223372036854775807, node_id() % 4)\n"
        "  return nbr_mode(x)\n}\n",
        /* one plan narrowing several vectors: the base of the last
         * narrowing fits some (one pass) and not others (below it, or a
         * span too wide to narrow at all) */
        "algorithm m() {\n  a = nbr_mode(node_id() + 1000)\n  b = in_mode(node_id() - 5)\n"
        "  c = out_mode(a)\n  d = nbr_mode(a * 3000000000)\n  e = nbr_mode(b + c)\n"
        "  return a, b, c, d, e\n}\n",
    };
    gr_graph *gs[2];
    size_t i;
    int gi;
    gs[0] = tu_skewed_graph(3000, 40000, 5, 0, 0); /* hubs: the table path */
    gs[1] = tu_random_graph(2000, 9000, 6, 0, 0);
    for (i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
        gr_program *p = NULL;
        gr_error err;
        char buf[600];
        gr_error_clear(&err);
        ck_assert_msg(gr_lang_compile(srcs[i], strlen(srcs[i]), "m.grl", &p, NULL, &err) ==
                      GR_OK, "%s", gr_error_format(&err, buf, sizeof buf));
        for (gi = 0; gi < 2; gi++) {
            gr_ctx *c = NULL;
            gr_result want, got;
            int th;
            memset(&want, 0, sizeof want);
            ck_assert_int_eq(gr_ctx_new(gs[gi], &c, NULL), GR_OK);
            ck_assert_int_eq(gr_step_run(c, p, NULL, &want, NULL), GR_OK);
            gr_ctx_free(&c);
            for (th = 1; th <= 2; th++) {
                run_plan_mode(gs[gi], p, 1, th, &got);
                tu_assert_results_match(&got, &want, 0.0, 0, srcs[i]);
                gr_result_release(&got);
            }
            gr_result_release(&want);
        }
        gr_program_free(&p);
    }
    gr_graph_free(&gs[0]);
    gr_graph_free(&gs[1]);
}
END_TEST

static Suite *lpa_suite(void)
{
    Suite *s = suite_create("lpa");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_battery_vs_ref);
    tcase_add_test(tc, test_degree_classes);
    tcase_add_test(tc, test_threads_bitwise);
    tcase_add_test(tc, test_two_triangles);
    tcase_add_test(tc, test_orig_ids);
    tcase_add_test(tc, test_tie_lowest);
    tcase_add_test(tc, test_isolated_keep);
    tcase_add_test(tc, test_self_loop_once);
    tcase_add_test(tc, test_star);
    tcase_add_test(tc, test_invalid);
    tcase_add_test(tc, test_nomem);
    tcase_add_test(tc, test_engine_vs_ref);
    tcase_add_test(tc, test_engine_mode_forms);
    tcase_add_test(tc, test_large_prefetching);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(lpa_suite()); }
