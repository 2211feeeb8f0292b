/*
 * check_modes.c - every execution mode gives the same answers.
 *
 * For every algorithm of the library (gr_library_names; source compiled
 * with gr_lang_compile), step mode (gr_step_run) must equal the native C
 * twin (gr_native_*, GR_NATIVE, same parameter values) on the tu_case
 * battery and on seeded random graphs (uniform and skewed, directed and
 * symmetrized, weighted and not): exactly for integer results, within
 * 1e-9 (relative, absolute below 1) for f64, with the same iteration count
 * where the native function reports one.  Random programs from progen run
 * in step mode without error (and, under valgrind, without leak), twice
 * with identical results.  Later modes (batched, fused) join the same
 * comparisons.
 */
#include "config.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ir/ir.h"
#include "progen.h"

#define NRANDOM 8 /* seeded random graphs per algorithm */

/* Step mode against native on g, with ps: f64 within 1e-9, integers
 * exactly, the same iteration counts. */
static void compare_on(const gr_graph *g, const char *gname, const gr_program *p,
                       const gr_params *ps)
{
    gr_ctx *c = NULL;
    gr_result res, nat;
    gr_error e;
    char buf[600], what[256];

    gr_error_clear(&e);
    ck_assert_msg(gr_native_run(g, GR_NATIVE, p, ps, &nat, &e) == GR_OK, "%s on %s: native: %s",
                  gr_program_name(p), gname, gr_error_format(&e, buf, sizeof buf));
    ck_assert_int_eq(gr_ctx_new(g, &c, &e), GR_OK);
    ck_assert_msg(gr_step_run(c, p, ps, &res, &e) == GR_OK, "%s on %s: step: %s",
                  gr_program_name(p), gname, gr_error_format(&e, buf, sizeof buf));
    snprintf(what, sizeof what, "%s on %s: step vs native", gr_program_name(p), gname);
    tu_assert_results_match(&res, &nat, 1e-9, 1, what);
    gr_result_release(&res);
    gr_result_release(&nat);
    gr_ctx_free(&c);
}

/* Seeded random graph k: uniform or skewed, directed or symmetrized,
 * weighted or not. */
static gr_graph *random_case(int k, char *name, size_t len)
{
    int skew = k & 1, sym = (k >> 1) & 1, w = (k >> 2) & 1;
    uint32_t n = 300 + 97 * (uint32_t)k;
    uint64_t m = (uint64_t)n * (skew ? 6 : 4);
    unsigned flags = sym ? GR_BUILD_SYMMETRIZE : 0;
    snprintf(name, len, "%s %s %s %u/%llu seed %d", skew ? "skewed" : "uniform",
             sym ? "sym" : "directed", w ? "weighted" : "unweighted", n,
             (unsigned long long)m, 1000 + k);
    return skew ? tu_skewed_graph(n, m, 1000 + k, w, flags)
                : tu_random_graph(n, m, 1000 + k, w, flags);
}

/* Compare on g with the defaults, and for the algorithms with a source
 * also from a second source (the original id of node n/2). */
static void compare_all_params(const gr_graph *g, const char *gname, const gr_program *p)
{
    gr_params *ps = NULL;
    gr_error e;
    gr_error_clear(&e);
    ck_assert_int_eq(gr_params_new(p, &ps, &e), GR_OK);
    compare_on(g, gname, p, ps);
    if (strcmp(gr_program_name(p), "bfs") == 0 || strcmp(gr_program_name(p), "sssp") == 0) {
        char src[32];
        snprintf(src, sizeof src, "%lld", (long long)gr_graph_orig_id(g, g->n / 2));
        ck_assert_int_eq(gr_params_set(ps, "source", src, &e), GR_OK);
        compare_on(g, gname, p, ps);
    }
    if (strcmp(gr_program_name(p), "pagerank") == 0) {
        ck_assert_int_eq(gr_params_set(ps, "damping", "0.5", &e), GR_OK);
        ck_assert_int_eq(gr_params_set(ps, "max_iter", "7", &e), GR_OK);
        compare_on(g, gname, p, ps);
    }
    if (strcmp(gr_program_name(p), "lpa") == 0) {
        ck_assert_int_eq(gr_params_set(ps, "max_iter", "2", &e), GR_OK);
        compare_on(g, gname, p, ps);
    }
    gr_params_free(&ps);
}

static int count_names(void)
{
    const char *const *names = gr_library_names();
    int n = 0;
    while (names && names[n]) {
        n++;
    }
    return n;
}

START_TEST(test_step_equals_native)
{
    const char *const *names = gr_library_names();
    gr_program *p;
    int i;
    if (_i >= count_names()) {
        return; /* fewer algorithms than loop slots */
    }
    p = tu_library_program(names[_i]);
    for (i = 0;; i++) {
        const char *gname;
        gr_graph *g = tu_case(i, &gname);
        if (!g) {
            break;
        }
        compare_all_params(g, gname, p);
        gr_graph_free(&g);
    }
    for (i = 0; i < NRANDOM; i++) {
        char gname[128];
        gr_graph *g = random_case(i, gname, sizeof gname);
        compare_all_params(g, gname, p);
        gr_graph_free(&g);
    }
    gr_program_free(&p);
}
END_TEST

START_TEST(test_library_complete)
{
    /* the six algorithms of DESIGN.md, each with a native twin */
    static const char *const want[] = {"pagerank", "lpa", "wcc", "bfs", "sssp", "degree"};
    size_t k;
    ck_assert_int_eq(count_names(), 6);
    for (k = 0; k < sizeof want / sizeof want[0]; k++) {
        ck_assert_msg(gr_library_source(want[k]) != NULL, "no %s in the library", want[k]);
    }
}
END_TEST

/* ---- random programs --------------------------------------------------------------- */

#define NPROGRAMS 300

static void mark_ops(const gr_block *b, int *seen, int *loops, int *monoids)
{
    int32_t i;
    for (i = 0; i < b->n; i++) {
        const gr_inst *in = &b->insts[i];
        seen[in->op] = 1;
        if (in->op == GR_OP_LOOP) {
            loops[in->attrs.loop] = 1;
            mark_ops(in->body, seen, loops, monoids);
        }
        if (in->op == GR_OP_AGG) {
            monoids[in->attrs.monoid] = 1;
        }
    }
}

/* Run p in step mode on g; the outputs go to res (released by the caller). */
static void run_step(const gr_graph *g, const gr_program *p, gr_result *res)
{
    gr_ctx *c = NULL;
    gr_error e;
    char buf[600];
    gr_error_clear(&e);
    ck_assert_int_eq(gr_ctx_new(g, &c, &e), GR_OK);
    ck_assert_msg(gr_step_run(c, p, NULL, res, &e) == GR_OK, "%s: %s", gr_program_name(p),
                  gr_error_format(&e, buf, sizeof buf));
    gr_ctx_free(&c);
}

static int same_results(const gr_result *a, const gr_result *b)
{
    int k;
    if (a->nout != b->nout || a->iters != b->iters || a->ops != b->ops) {
        return 0;
    }
    for (k = 0; k < a->nout; k++) {
        size_t bytes = a->out[k].len * 8;
        if (a->out[k].type != b->out[k].type || a->out[k].len != b->out[k].len ||
            strcmp(a->out[k].name, b->out[k].name) != 0) {
            return 0;
        }
        if (a->out[k].f64 ? memcmp(a->out[k].f64, b->out[k].f64, bytes)
                          : memcmp(a->out[k].i64, b->out[k].i64, bytes)) {
            return 0;
        }
    }
    return 1;
}

START_TEST(test_progen_step)
{
    static const int cases[] = {5, 6, 12};
    int seen[GR_OP__COUNT] = {0}, loops[3] = {0}, monoids[7] = {0};
    gr_graph *g[3];
    progen_opts o;
    uint64_t seed;
    int k, op, nest = 0;
    for (k = 0; k < 3; k++) {
        g[k] = tu_case(cases[k], NULL);
    }
    progen_defaults(&o);
    for (seed = 0; seed < NPROGRAMS; seed++) {
        gr_program *p = NULL;
        gr_error e;
        char buf[600];
        gr_error_clear(&e);
        ck_assert_msg(progen_build(seed, &o, &p, &e) == GR_OK, "progen %llu: %s",
                      (unsigned long long)seed, gr_error_format(&e, buf, sizeof buf));
        mark_ops(&p->top, seen, loops, monoids);
        for (k = 0; k < p->top.n; k++) {
            const gr_inst *in = &p->top.insts[k];
            int32_t j;
            for (j = 0; in->op == GR_OP_LOOP && j < in->body->n; j++) {
                nest |= in->body->insts[j].op == GR_OP_LOOP;
            }
        }
        for (k = 0; k < 3; k++) {
            gr_result r1, r2;
            run_step(g[k], p, &r1);
            run_step(g[k], p, &r2);
            ck_assert_msg(same_results(&r1, &r2), "progen %llu: two runs differ",
                          (unsigned long long)seed);
            ck_assert_int_ge(r1.ops, 1);
            gr_result_release(&r1);
            gr_result_release(&r2);
        }
        gr_program_free(&p);
    }
    for (k = 0; k < 3; k++) {
        gr_graph_free(&g[k]);
    }
    /* the generator covers every op users write (not print, not the
     * optimizer's fused kernels), every loop kind and monoid, and nests
     * loops */
    for (op = 0; op < GR_OP__COUNT; op++) {
        if (op != GR_OP_PRINT && !(gr_op_info(op)->flags & GR_F_REGION)) {
            ck_assert_msg(seen[op], "progen never generated %s", gr_op_name((gr_opcode)op));
        }
    }
    for (k = 0; k < 3; k++) {
        ck_assert_msg(loops[k], "progen never generated a %s loop", gr_loop_name((gr_loop_kind)k));
    }
    for (k = 0; k < 7; k++) {
        ck_assert_msg(monoids[k], "progen never generated agg %s", gr_monoid_name((gr_monoid)k));
    }
    ck_assert_msg(nest, "progen never nested loops");
}
END_TEST

static Suite *modes_suite(void)
{
    Suite *s = suite_create("modes");
    TCase *tc = tcase_create("library");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_library_complete);
    tcase_add_loop_test(tc, test_step_equals_native, 0, 8);
    suite_add_tcase(s, tc);
    tc = tcase_create("progen");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_progen_step);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(modes_suite()); }
