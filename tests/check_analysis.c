/*
 * check_analysis.c - tests of the analyses (src/engine/analysis/): the
 * dependency graph, liveness, the cost model and critical path, fusion
 * chains and loop invariants.
 *
 * Golden tests: every tests/golden/analysis/NAME.ir is parsed (it must be
 * in canonical printed form) and each analysis's printer output compared
 * with NAME.<analysis>.out, for analysis in deps, live, critical (n=1000,
 * m=8000, iters=10), chains, invariants.  pagerank.ir must be what the
 * language makes of the library's pagerank, which is checked too.
 * GR_GOLDEN_UPDATE=1 rewrites the .out files from the actual output
 * (review the diff before committing).
 *
 * Unit tests pin exact positions, uses and live intervals (loop-carried
 * cases included), costs, and programs with fused kernels and explicit
 * loop tests built by hand (the printed form does not carry them yet).
 * Reference checks run on seeded random programs: liveness against a
 * simulation of the structured control flow (every position executed
 * between a value's definition and any later read of it must lie in its
 * interval), loop invariants against a naive fixed point of their
 * definition, fusion chains against their definition, and the critical
 * path against the sum of its own instructions' weights.  Failure
 * injection re-runs every analysis and printer allowing 0, 1, 2, ...
 * allocations (run under valgrind with CK_FORK=no to see leaks).
 */
#include "config.h"
#include "gr.h"
#include "engine/analysis/analysis.h"
#include "engine/ir/ir.h"
#include "common/mem.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_DIR GR_SRCDIR "/tests/golden/analysis"

/* The graph and loop estimate the critical-path goldens are priced for. */
#define CP_N 1000.0
#define CP_M 8000.0
#define CP_ITERS 10.0

static const char *const analyses[] = {"deps", "live", "critical", "chains", "invariants"};
#define NANALYSES ((int)(sizeof analyses / sizeof analyses[0]))

/* --- helpers ------------------------------------------------------------- */

static int updating(void)
{
    const char *u = getenv("GR_GOLDEN_UPDATE");
    return u && *u && strcmp(u, "0") != 0;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Fail with the first differing line unless expected == actual. */
static void expect_text(const char *what, const char *expected, const char *actual)
{
    const char *a = expected, *b = actual, *la = a, *lb = b;
    int line = 1;
    if (strcmp(expected, actual) == 0) {
        return;
    }
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    ck_abort_msg("%s differs at line %d:\n  expected: %.*s\n  actual:   %.*s\n--- actual ---\n%s",
                 what, line, (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb, actual);
}

static const char *fmt_err(const gr_error *err)
{
    static char buf[700];
    return gr_error_format(err, buf, sizeof buf);
}

static gr_program *parse_text(const char *text, const char *name)
{
    gr_program *p = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_program_parse(text, name, &p, &err) == GR_OK, "%s: %s", name,
                  fmt_err(&err));
    ck_assert_msg(gr_program_verify(p, &err) == GR_OK, "%s: %s", name, fmt_err(&err));
    return p;
}

static gr_program *load_golden(const char *name)
{
    char path[1024];
    char *text;
    gr_program *p;
    snprintf(path, sizeof path, "%s/%s.ir", GOLDEN_DIR, name);
    text = tu_slurp(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    p = parse_text(text, name);
    free(text);
    return p;
}

static gr_an_deps deps_of(const gr_program *p)
{
    gr_an_deps d;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_an_deps_build(p, &d, &err) == GR_OK, "deps: %s", fmt_err(&err));
    return d;
}

static gr_an_live live_of(const gr_program *p, const gr_an_deps *d)
{
    gr_an_live l;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_an_live_build(p, d, &l, &err) == GR_OK, "live: %s", fmt_err(&err));
    return l;
}

/* Build deps and the analysis `which` of p, and print it into *text.  A
 * gr_status; everything is released on every path. */
static int run_analysis(const gr_program *p, const char *which, char **text, gr_error *err)
{
    gr_an_deps d;
    int rc;
    *text = NULL;
    if ((rc = gr_an_deps_build(p, &d, err)) < 0) {
        return rc;
    }
    if (strcmp(which, "deps") == 0) {
        rc = gr_an_deps_print(p, &d, text, err);
    } else if (strcmp(which, "live") == 0) {
        gr_an_live l;
        if ((rc = gr_an_live_build(p, &d, &l, err)) == GR_OK) {
            rc = gr_an_live_print(p, &l, text, err);
            gr_an_live_release(&l);
        }
    } else if (strcmp(which, "critical") == 0) {
        gr_an_critical c;
        if ((rc = gr_an_critical_build(p, &d, CP_N, CP_M, CP_ITERS, &c, err)) == GR_OK) {
            rc = gr_an_critical_print(p, &c, text, err);
            gr_an_critical_release(&c);
        }
    } else if (strcmp(which, "chains") == 0) {
        gr_an_chains c;
        if ((rc = gr_an_chains_build(p, &d, &c, err)) == GR_OK) {
            rc = gr_an_chains_print(p, &d, &c, text, err);
            gr_an_chains_release(&c);
        }
    } else {
        gr_an_invariants v;
        if ((rc = gr_an_invariants_build(p, &d, &v, err)) == GR_OK) {
            rc = gr_an_invariants_print(p, &d, &v, text, err);
            gr_an_invariants_release(&v);
        }
    }
    gr_an_deps_release(&d);
    return rc;
}

/* Compare every analysis of p with the golden outputs of `name`. */
static void check_goldens(const gr_program *p, const char *name)
{
    int i;
    for (i = 0; i < NANALYSES; i++) {
        char path[1024], what[300], *text = NULL, *want;
        gr_error err;
        gr_error_clear(&err);
        ck_assert_msg(run_analysis(p, analyses[i], &text, &err) == GR_OK, "%s %s: %s", name,
                      analyses[i], fmt_err(&err));
        snprintf(path, sizeof path, "%s/%s.%s.out", GOLDEN_DIR, name, analyses[i]);
        snprintf(what, sizeof what, "%s.%s.out", name, analyses[i]);
        want = tu_slurp(path, NULL);
        if (updating()) {
            spit(path, text);
        } else {
            ck_assert_msg(want != NULL, "%s is missing; run with GR_GOLDEN_UPDATE=1", path);
            expect_text(what, want, text);
        }
        free(want);
        gr_free_string(&text);
    }
}

/* --- hand-built programs (fused kernels, explicit tests) ----------------- */

static gr_vid hval(gr_program *p, gr_type t)
{
    gr_vid v = gr_ir_new_value(p, t);
    ck_assert_int_ge(v, 0);
    return v;
}

static gr_vid *vids(int n, const gr_vid *a)
{
    gr_vid *c = gr_malloc((size_t)(n > 0 ? n : 1) * sizeof *c);
    ck_assert_ptr_nonnull(c);
    if (n > 0) {
        memcpy(c, a, (size_t)n * sizeof *c);
    }
    return c;
}

/* Append an instruction; the pointer is valid until b grows again. */
static gr_inst *hinst(gr_block *b, gr_opcode op, gr_vid result, int nargs, const gr_vid *args)
{
    gr_inst *in = gr_ir_append(b);
    ck_assert_ptr_nonnull(in);
    in->op = (uint16_t)op;
    in->result = result;
    in->nargs = nargs;
    in->args = nargs > 0 ? vids(nargs, args) : NULL;
    return in;
}

/* Give in a body (and its inner values and results). */
static gr_block *hbody(gr_inst *in, int ninner, const gr_vid *inner, int ncarry,
                       const gr_vid *results)
{
    in->body = gr_calloc(1, sizeof *in->body);
    ck_assert_ptr_nonnull(in->body);
    in->body->parent = in;
    in->inner = ninner > 0 ? vids(ninner, inner) : NULL;
    in->ncarry = ncarry;
    in->results = results ? vids(ncarry, results) : NULL;
    return in->body;
}

static void hreturn(gr_program *p, gr_vid v)
{
    hinst(&p->top, GR_OP_RETURN, -1, 1, &v);
    p->result_names = gr_calloc(1, sizeof *p->result_names);
    ck_assert_ptr_nonnull(p->result_names);
    p->result_names[0] = gr_ir_intern(p, "r");
}

/* Free what the IR core may not free yet (fused outputs' fold kinds). */
static int drop_fold(gr_inst *in, gr_block *owner, void *ctx)
{
    (void)owner;
    (void)ctx;
    gr_free(in->fold);
    in->fold = NULL;
    return 0;
}

static void hfree(gr_program **p)
{
    gr_ir_walk(&(*p)->top, drop_fold, NULL);
    gr_program_free(p);
}

/*
 *  0: %0 : f64 = const 2
 *  1: %1 : i64v = out_degree()
 *  2: %2 : f64v = fill(%0)
 *  3: %9 (map), %10 (sum) = fused(%2, %1, %0) lanes(%3, %4, %5) {
 *  4:   %6 : f64 = to_f64(%4)
 *  5:   %7 : f64 = mul(%3, %6)
 *  6:   %8 : f64 = add(%7, %5)
 *  7:   yield %8, %7 }
 *  8: %11 : f64v = agg_fused[in, sum](%9) lanes(%12, weight %13) {
 *  9:   %14 : f64 = mul(%12, %13)
 * 10:   yield %14 }
 * 11: %18 = fused epilogue(%11, %10) lanes(%15, %16) {
 * 12:   %17 : f64 = add(%15, %16)
 * 13:   yield %17 }
 * 14: return r = %18
 */
static gr_program *fused_program(void)
{
    gr_program *p = gr_ir_program_new("fusedprog");
    gr_vid v[19], a[3];
    gr_inst *in;
    gr_block *b;
    int i;
    static const gr_type types[19] = {
        GR_T_F64, GR_T_I64V, GR_T_F64V, GR_T_F64, GR_T_I64, GR_T_F64, GR_T_F64, GR_T_F64,
        GR_T_F64, GR_T_F64V, GR_T_F64, GR_T_F64V, GR_T_F64, GR_T_F64, GR_T_F64, GR_T_F64,
        GR_T_F64, GR_T_F64, GR_T_F64V};
    ck_assert_ptr_nonnull(p);
    for (i = 0; i < 19; i++) {
        v[i] = hval(p, types[i]);
    }
    in = hinst(&p->top, GR_OP_CONST, v[0], 0, NULL);
    in->attrs.f = 2.0;
    hinst(&p->top, GR_OP_OUT_DEGREE, v[1], 0, NULL);
    hinst(&p->top, GR_OP_FILL, v[2], 1, &v[0]);
    a[0] = v[2], a[1] = v[1], a[2] = v[0];
    in = hinst(&p->top, GR_OP_FUSED, -1, 3, a);
    a[0] = v[9], a[1] = v[10];
    b = hbody(in, 3, &v[3], 2, a);
    in->fold = gr_calloc(2, 1);
    ck_assert_ptr_nonnull(in->fold);
    in->fold[1] = GR_FOLD_SUM;
    hinst(b, GR_OP_TO_F64, v[6], 1, &v[4]);
    a[0] = v[3], a[1] = v[6];
    hinst(b, GR_OP_MUL, v[7], 2, a);
    a[0] = v[7], a[1] = v[5];
    hinst(b, GR_OP_ADD, v[8], 2, a);
    a[0] = v[8], a[1] = v[7];
    hinst(b, GR_OP_YIELD, -1, 2, a);
    in = hinst(&p->top, GR_OP_AGG_FUSED, v[11], 1, &v[9]);
    b = hbody(in, 2, &v[12], 0, NULL);
    a[0] = v[12], a[1] = v[13];
    hinst(b, GR_OP_MUL, v[14], 2, a);
    hinst(b, GR_OP_YIELD, -1, 1, &v[14]);
    a[0] = v[11], a[1] = v[10];
    in = hinst(&p->top, GR_OP_FUSED, -1, 2, a);
    in->attrs.epilogue = 1;
    b = hbody(in, 2, &v[15], 1, &v[18]);
    in->fold = gr_calloc(1, 1);
    ck_assert_ptr_nonnull(in->fold);
    a[0] = v[15], a[1] = v[16];
    hinst(b, GR_OP_ADD, v[17], 2, a);
    hinst(b, GR_OP_YIELD, -1, 1, &v[17]);
    hreturn(p, v[18]);
    return p;
}

/*
 *  0: %0 : i64 = const 3
 *  1: %1 : f64 = const 0.5
 *  2: %2 : f64v = fill(%1)
 *  3: %12 = loop converged(test=0, max=%0, tol=%1) explicit carry(%3 = %2) {
 *  4:   %6 = fused(%2) lanes(%4) {
 *  5:     %5 : f64 = neg(%4)
 *  6:     yield %5 }
 *  7:   %10 (map), %11 (sum) = fused(%3, %6) lanes(%7, %8) {
 *  8:     %9 : f64 = add(%7, %8)
 *  9:     yield %9, %9 }
 * 10:   yield %10, %11 }
 * 11: return r = %12
 */
static gr_program *explicit_program(void)
{
    gr_program *p = gr_ir_program_new("explicit");
    gr_vid v[13], a[4];
    gr_inst *in;
    gr_block *body, *b;
    int i;
    static const gr_type types[13] = {GR_T_I64, GR_T_F64, GR_T_F64V, GR_T_F64V, GR_T_F64,
                                      GR_T_F64, GR_T_F64V, GR_T_F64, GR_T_F64, GR_T_F64,
                                      GR_T_F64V, GR_T_F64, GR_T_F64V};
    ck_assert_ptr_nonnull(p);
    for (i = 0; i < 13; i++) {
        v[i] = hval(p, types[i]);
    }
    in = hinst(&p->top, GR_OP_CONST, v[0], 0, NULL);
    in->attrs.i = 3;
    in = hinst(&p->top, GR_OP_CONST, v[1], 0, NULL);
    in->attrs.f = 0.5;
    hinst(&p->top, GR_OP_FILL, v[2], 1, &v[1]);
    a[0] = v[0], a[1] = v[1], a[2] = v[2];
    in = hinst(&p->top, GR_OP_LOOP, -1, 3, a);
    in->attrs.loop = GR_LOOP_CONVERGED;
    in->attrs.test = 0;
    in->attrs.explicit_test = 1;
    body = hbody(in, 1, &v[3], 1, &v[12]);
    in = hinst(body, GR_OP_FUSED, -1, 1, &v[2]);
    b = hbody(in, 1, &v[4], 1, &v[6]);
    in->fold = gr_calloc(1, 1);
    ck_assert_ptr_nonnull(in->fold);
    hinst(b, GR_OP_NEG, v[5], 1, &v[4]);
    hinst(b, GR_OP_YIELD, -1, 1, &v[5]);
    a[0] = v[3], a[1] = v[6];
    in = hinst(body, GR_OP_FUSED, -1, 2, a);
    a[0] = v[10], a[1] = v[11];
    b = hbody(in, 2, &v[7], 2, a);
    in->fold = gr_calloc(2, 1);
    ck_assert_ptr_nonnull(in->fold);
    in->fold[1] = GR_FOLD_SUM;
    a[0] = v[7], a[1] = v[8];
    hinst(b, GR_OP_ADD, v[9], 2, a);
    a[0] = v[9], a[1] = v[9];
    hinst(b, GR_OP_YIELD, -1, 2, a);
    a[0] = v[10], a[1] = v[11];
    hinst(body, GR_OP_YIELD, -1, 2, a);
    hreturn(p, v[12]);
    return p;
}

/* --- random programs (builder) ------------------------------------------- */

typedef struct rgen {
    tu_rng r;
    gr_builder *b;
    gr_vid vis[2048];    /* values visible at the current point */
    int nvis;
    int depth;           /* loops open */
    gr_vid maxp;         /* the i64 parameter */
} rgen;

static int below(rgen *g, int n) { return (int)tu_below(&g->r, (uint64_t)n); }
static gr_type ty(rgen *g, gr_vid v) { return gr_builder_type(g->b, v); }
static int is_num(gr_type t) { return gr_type_is_num(t); }
static int is_numvec(gr_type t) { return t == GR_T_F64V || t == GR_T_I64V; }
static int is_numscalar(gr_type t) { return t == GR_T_F64 || t == GR_T_I64; }
static int is_bool(gr_type t) { return t == GR_T_BOOL || t == GR_T_MASK; }
static int is_any(gr_type t) { return t != GR_T_NONE; }

static void keep(rgen *g, gr_vid v)
{
    if (v >= 0 && g->nvis < (int)(sizeof g->vis / sizeof g->vis[0])) {
        g->vis[g->nvis++] = v;
    }
}

/* A visible value with want(type), biased to recent ones; -1 if none. */
static gr_vid pick(rgen *g, int (*want)(gr_type))
{
    int i, k;
    for (i = 0; i < 6 && g->nvis > 0; i++) {
        int span = g->nvis < 10 ? g->nvis : 10;
        gr_vid v = below(g, 2) ? g->vis[g->nvis - 1 - below(g, span)] : g->vis[below(g, g->nvis)];
        if (want(ty(g, v))) {
            return v;
        }
    }
    for (k = g->nvis - 1; k >= 0; k--) {
        if (want(ty(g, g->vis[k]))) {
            return g->vis[k];
        }
    }
    return -1;
}

static void bcheck(rgen *g, int rc, const gr_error *err)
{
    (void)g;
    ck_assert_msg(rc == GR_OK, "builder: %s", fmt_err(err));
}

static void gen_op(rgen *g)
{
    static const gr_opcode bin[] = {GR_OP_ADD, GR_OP_SUB, GR_OP_MUL, GR_OP_MIN, GR_OP_MAX,
                                    GR_OP_DIV};
    static const gr_opcode un[] = {GR_OP_NEG, GR_OP_ABS, GR_OP_RECIP, GR_OP_SQRT, GR_OP_EXP};
    static const gr_opcode src[] = {GR_OP_OUT_DEGREE, GR_OP_IN_DEGREE, GR_OP_DEGREE,
                                    GR_OP_NODE_COUNT};
    gr_error err;
    gr_vid a[3], out = -1;
    gr_error_clear(&err);
    switch (below(g, 12)) {
    case 0:
        bcheck(g, gr_builder_const_f64(g->b, 0.5 * below(g, 5), &out, &err), &err);
        break;
    case 1:
        bcheck(g, gr_builder_op(g->b, src[below(g, 4)], NULL, 0, &out, &err), &err);
        break;
    case 2:
    case 3:
    case 4:
        a[0] = pick(g, below(g, 3) ? is_numvec : is_num);
        a[1] = pick(g, is_num);
        if (a[0] >= 0 && a[1] >= 0) {
            bcheck(g, gr_builder_op(g->b, bin[below(g, 6)], a, 2, &out, &err), &err);
        }
        break;
    case 5:
        if ((a[0] = pick(g, is_num)) >= 0) {
            bcheck(g, gr_builder_op(g->b, un[below(g, 5)], a, 1, &out, &err), &err);
        }
        break;
    case 6:
        a[0] = pick(g, is_numvec);
        a[1] = pick(g, is_num);
        if (a[0] >= 0 && a[1] >= 0) {
            bcheck(g, gr_builder_op(g->b, below(g, 2) ? GR_OP_LT : GR_OP_EQ, a, 2, &out, &err),
                   &err);
        }
        break;
    case 7:
        a[0] = pick(g, is_bool);
        a[1] = pick(g, is_num);
        a[2] = pick(g, is_num);
        if (a[0] >= 0 && a[1] >= 0 && a[2] >= 0) {
            bcheck(g, gr_builder_op(g->b, GR_OP_WHERE, a, 3, &out, &err), &err);
        }
        break;
    case 8:
        if ((a[0] = pick(g, is_numvec)) >= 0) {
            bcheck(g, gr_builder_op(g->b, below(g, 2) ? GR_OP_REDUCE_SUM : GR_OP_REDUCE_MAX,
                                    a, 1, &out, &err), &err);
        }
        break;
    case 9:
        if ((a[0] = pick(g, is_numvec)) >= 0) {
            bcheck(g, gr_builder_agg(g->b, below(g, 2) ? GR_DIR_IN : GR_DIR_BOTH, GR_MON_SUM,
                                     GR_MSG_X, below(g, 2), a[0], &out, &err), &err);
        }
        break;
    case 10:
        if ((a[0] = pick(g, is_numscalar)) >= 0) {
            bcheck(g, gr_builder_op(g->b, GR_OP_FILL, a, 1, &out, &err), &err);
        }
        break;
    default:
        if ((a[0] = pick(g, is_any)) >= 0) {
            bcheck(g, gr_builder_op(g->b, GR_OP_PRINT, a, 1, &out, &err), &err);
            out = -1;
        }
        break;
    }
    keep(g, out);
}

static void gen_block(rgen *g, int nops);

static void gen_loop(rgen *g)
{
    gr_error err;
    gr_vid init[2], inner[2], next[2], results[2], mx, tol = -1;
    int kind = below(g, 3), ncarry = 1 + below(g, 2), i, k, mark;
    gr_error_clear(&err);
    init[0] = pick(g, is_num);
    init[1] = pick(g, is_any);
    if (init[0] < 0 || init[1] < 0) {
        return;
    }
    if (below(g, 3) == 0) {
        mx = g->maxp;
    } else {
        bcheck(g, gr_builder_const_i64(g->b, below(g, 4), &mx, &err), &err);
        keep(g, mx);
    }
    if (kind == GR_LOOP_CONVERGED) {
        bcheck(g, gr_builder_const_f64(g->b, 0.25, &tol, &err), &err);
        keep(g, tol);
    }
    bcheck(g, gr_builder_loop_begin(g->b, (gr_loop_kind)kind, mx, tol, ncarry, init, 0, inner,
                                    &err), &err);
    mark = g->nvis;
    for (i = 0; i < ncarry; i++) {
        keep(g, inner[i]);
    }
    g->depth++;
    gen_block(g, 2 + below(g, 6));
    g->depth--;
    for (i = 0; i < ncarry; i++) {
        next[i] = inner[i];
        for (k = g->nvis - 1; k >= mark; k--) {
            if (ty(g, g->vis[k]) == ty(g, inner[i]) && below(g, 3) != 0) {
                next[i] = g->vis[k];
                break;
            }
        }
    }
    bcheck(g, gr_builder_loop_end(g->b, next, results, &err), &err);
    g->nvis = mark;
    for (i = 0; i < ncarry; i++) {
        keep(g, results[i]);
    }
}

static void gen_block(rgen *g, int nops)
{
    int i;
    for (i = 0; i < nops; i++) {
        if (g->depth < 2 && below(g, 6) == 0) {
            gen_loop(g);
        } else {
            gen_op(g);
        }
    }
}

/* The random program of `seed` (20-ish ops, loops nested twice). */
static gr_program *random_program(uint64_t seed)
{
    rgen g;
    gr_error err;
    gr_program *p = NULL;
    gr_vid ret[2], v;
    char name[64];
    memset(&g, 0, sizeof g);
    g.r.s = seed * 0x9e3779b97f4a7c15ULL + 1;
    gr_error_clear(&err);
    snprintf(name, sizeof name, "random_%llu", (unsigned long long)seed);
    ck_assert_int_eq(gr_builder_new(name, &g.b, &err), GR_OK);
    bcheck(&g, gr_builder_param(g.b, "iters", GR_T_I64, 0, 3, &g.maxp, &err), &err);
    keep(&g, g.maxp);
    bcheck(&g, gr_builder_op(g.b, GR_OP_OUT_DEGREE, NULL, 0, &v, &err), &err);
    keep(&g, v);
    gen_block(&g, 12 + below(&g, 16));
    ret[0] = pick(&g, is_numvec);
    ret[1] = g.vis[g.nvis - 1];
    if (ret[1] == ret[0]) {
        ret[1] = g.maxp;
    }
    bcheck(&g, gr_builder_return(g.b, 2, ret, NULL, &err), &err);
    bcheck(&g, gr_builder_finish(g.b, &p, &err), &err);
    gr_builder_free(&g.b);
    return p;
}

/* --- reference checks ---------------------------------------------------- */

/* A run of the structured program where every loop iterates K times and
 * every fused body runs for two nodes; every read checks that all the
 * positions executed since the value's latest definition are in its
 * live interval. */
typedef struct sim {
    const gr_program *p;
    const gr_an_deps *d;
    const gr_an_live *l;
    int32_t last;        /* the position executed last */
    int32_t *lo, *hi;    /* per value: the lowest and highest position
                            executed since its latest definition (lo > hi:
                            none yet); lo = -1: never defined */
    int K;
    long reads;          /* reads checked */
} sim;

/* Execute position pos. */
static void ev(sim *s, int32_t pos)
{
    int32_t v;
    s->last = pos;
    for (v = 0; v < s->p->nvalues; v++) {
        if (s->lo[v] >= 0) {
            s->lo[v] = pos < s->lo[v] ? pos : s->lo[v];
            s->hi[v] = pos > s->hi[v] ? pos : s->hi[v];
        }
    }
}

/* v is (re)defined by the position executed last. */
static void sdef(sim *s, gr_vid v)
{
    if (v >= 0) {
        s->lo[v] = INT32_MAX;
        s->hi[v] = -1;
    }
}

/* The position executed last reads v. */
static void suse(sim *s, gr_vid v)
{
    if (v < 0) {
        return;
    }
    ck_assert_msg(s->lo[v] >= 0, "%s: %%%d read at %d before it is defined", s->p->name,
                  (int)v, (int)s->last);
    ck_assert_msg(s->lo[v] >= s->l->start[v] && s->hi[v] <= s->l->end[v],
                  "%s (K=%d): %%%d live [%d, %d] is read at %d, but positions %d..%d run "
                  "since its definition", s->p->name, s->K, (int)v, (int)s->l->start[v],
                  (int)s->l->end[v], (int)s->last, (int)s->lo[v], (int)s->hi[v]);
    s->reads++;
}

static void sim_block(sim *s, int32_t r);

static void sim_inst(sim *s, int32_t pos)
{
    const gr_an_deps *d = s->d;
    const gr_inst *in = d->inst[pos];
    int32_t k;
    int it;
    ev(s, pos);
    if (in->op == GR_OP_LOOP) {
        const gr_inst *y = d->inst[d->end[pos]];
        for (k = 0; k < in->nargs; k++) {
            suse(s, in->args[k]);
        }
        for (k = 0; k < in->ncarry; k++) {
            sdef(s, in->inner[k]);
        }
        for (it = 0; it < s->K; it++) {
            ev(s, pos); /* the head: count < max */
            suse(s, in->args[0]);
            sim_block(s, pos); /* ends with the yield reading the next values */
            suse(s, in->args[1]); /* the exit test */
            if (in->attrs.loop != GR_LOOP_REPEAT) {
                suse(s, in->inner[in->attrs.test]);
                suse(s, y->args[in->attrs.explicit_test ? in->ncarry : in->attrs.test]);
            }
            for (k = 0; k < in->ncarry; k++) {
                sdef(s, in->inner[k]);
            }
        }
        ev(s, pos); /* the head that leaves */
        suse(s, in->args[0]);
        for (k = 0; k < in->ncarry; k++) {
            sdef(s, in->results[k]);
        }
        return;
    }
    for (k = 0; k < in->nargs; k++) {
        suse(s, in->args[k]);
    }
    if (in->body) {
        int32_t nin = in->op == GR_OP_AGG_FUSED ? in->nargs + 1 : in->nargs;
        for (it = 0; it < 2; it++) { /* two nodes */
            if (it > 0) {
                ev(s, pos);
            }
            for (k = 0; k < nin; k++) {
                sdef(s, in->inner[k]);
            }
            sim_block(s, pos);
        }
        for (k = 0; in->results && k < in->ncarry; k++) {
            sdef(s, in->results[k]);
        }
    }
    sdef(s, in->result);
}

/* The instructions of the body of r (-1: the top block). */
static void sim_block(sim *s, int32_t r)
{
    int32_t pos = r + 1, last = r >= 0 ? s->d->end[r] : s->d->ninst - 1;
    for (; pos <= last; pos = s->d->end[pos] + 1) {
        sim_inst(s, pos);
    }
}

/* Check p's liveness against runs with 0, 1, 2 and 3 iterations. */
static void check_live_reference(const gr_program *p)
{
    gr_an_deps d = deps_of(p);
    gr_an_live l = live_of(p, &d);
    sim s;
    int K, v;
    for (K = 0; K <= 3; K++) {
        memset(&s, 0, sizeof s);
        s.p = p;
        s.d = &d;
        s.l = &l;
        s.K = K;
        s.lo = malloc(((size_t)p->nvalues + 1) * sizeof *s.lo);
        s.hi = malloc(((size_t)p->nvalues + 1) * sizeof *s.hi);
        ck_assert(s.lo && s.hi);
        for (v = 0; v < p->nvalues; v++) {
            s.lo[v] = -1;
        }
        sim_block(&s, -1);
        ck_assert_int_gt(s.reads, 0);
        free(s.lo);
        free(s.hi);
    }
    /* Intervals hold their definition (loop results: their loop's end). */
    for (v = 0; v < p->nvalues; v++) {
        if (d.def[v] < 0) {
            ck_assert_int_eq(l.start[v], -1);
            continue;
        }
        ck_assert_int_le(l.start[v], l.end[v]);
        ck_assert_int_ge(l.start[v], d.def[v]);
        ck_assert_int_le(l.start[v], d.end[d.def[v]]);
    }
    gr_an_live_release(&l);
    gr_an_deps_release(&d);
}

/* The invariants by their definition, iterated to a fixed point. */
static void ref_invariants(const gr_program *p, const gr_an_deps *d, uint8_t *inv)
{
    int changed = 1;
    int32_t pos, q, k;
    memset(inv, 0, (size_t)d->ninst);
    while (changed) {
        changed = 0;
        for (pos = 0; pos < d->ninst; pos++) {
            int32_t L = d->parent[pos];
            int ok = 1;
            if (inv[pos] || L < 0 || d->inst[L]->op != GR_OP_LOOP ||
                (gr_op_info(d->inst[pos]->op)->flags & (GR_F_SIDE | GR_F_CTRL))) {
                continue;
            }
            for (q = pos; q <= d->end[pos] && ok; q++) {
                const gr_inst *in = d->inst[q];
                for (k = 0; k < in->nargs && ok; k++) {
                    gr_vid v = in->args[k];
                    int32_t def = v >= 0 ? d->def[v] : -1;
                    if (def >= pos && def <= d->end[pos] && q > pos) {
                        continue; /* made inside the kernel's own body */
                    }
                    if (def >= L && def <= d->end[L]) {
                        ok = !gr_an_is_inner(p, d, v) && inv[def];
                    }
                }
            }
            if (ok) {
                inv[pos] = 1;
                changed = 1;
            }
        }
    }
}

static void check_invariants_reference(const gr_program *p)
{
    gr_an_deps d = deps_of(p);
    gr_an_invariants v;
    gr_error err;
    uint8_t *ref = malloc((size_t)d.ninst + 1);
    int32_t pos, count = 0;
    ck_assert_ptr_nonnull(ref);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_invariants_build(p, &d, &v, &err), GR_OK);
    ref_invariants(p, &d, ref);
    for (pos = 0; pos < d.ninst; pos++) {
        ck_assert_msg(v.inv[pos] == ref[pos], "%s: position %d invariant %d, by definition %d",
                      p->name, (int)pos, v.inv[pos], ref[pos]);
        count += ref[pos];
    }
    ck_assert_int_eq(v.count, count);
    free(ref);
    gr_an_invariants_release(&v);
    gr_an_deps_release(&d);
}

/* Whether pos is a chain candidate, by the definition. */
static int ref_candidate(const gr_program *p, const gr_an_deps *d, int32_t pos)
{
    const gr_inst *in = d->inst[pos];
    int32_t r = d->parent[pos];
    return (gr_op_info(in->op)->flags & GR_F_EW) && in->result >= 0 &&
           gr_type_is_vector(p->values[in->result].type) &&
           (r < 0 || d->inst[r]->op == GR_OP_LOOP);
}

/* The link out of candidate P by the definition, or -1. */
static int32_t ref_link(const gr_program *p, const gr_an_deps *d, int32_t P)
{
    gr_vid r = d->inst[P]->result;
    int32_t k, C, q;
    if (d->nuses[r] == 0) {
        return -1;
    }
    C = d->uses[r][0];
    for (k = 0; k < d->nuses[r]; k++) {
        if (d->uses[r][k] != C) {
            return -1;
        }
    }
    if (!ref_candidate(p, d, C) || d->parent[C] != d->parent[P]) {
        return -1;
    }
    for (q = P + 1; q < C; q++) {
        if (gr_op_info(d->inst[q]->op)->flags & GR_F_SIDE) {
            return -1;
        }
    }
    return C;
}

static void check_chains_reference(const gr_program *p)
{
    gr_an_deps d = deps_of(p);
    gr_an_chains c;
    gr_error err;
    int32_t pos, k, next_id = 0, *size = calloc((size_t)d.ninst + 1, sizeof *size);
    ck_assert_ptr_nonnull(size);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_chains_build(p, &d, &c, &err), GR_OK);
    ck_assert_int_eq(c.ninst, d.ninst);
    for (pos = 0; pos < d.ninst; pos++) {
        int32_t C;
        if (c.chain[pos] < 0) {
            continue;
        }
        ck_assert(ref_candidate(p, &d, pos));
        ck_assert_int_lt(c.chain[pos], c.nchains);
        /* ids in order of first members */
        ck_assert_int_le(c.chain[pos], next_id);
        if (c.chain[pos] == next_id) {
            next_id++;
        }
        size[c.chain[pos]]++;
        if ((C = ref_link(p, &d, pos)) >= 0) {
            ck_assert_int_eq(c.chain[C], c.chain[pos]);
        }
    }
    ck_assert_int_eq(next_id, c.nchains);
    for (k = 0; k < c.nchains; k++) {
        int32_t roots = 0;
        ck_assert_int_ge(size[k], 2);
        for (pos = 0; pos < d.ninst; pos++) {
            roots += c.chain[pos] == k && ref_link(p, &d, pos) < 0;
        }
        ck_assert_int_eq(roots, 1); /* a tree */
    }
    /* maximal: every link joins a chain */
    for (pos = 0; pos < d.ninst; pos++) {
        if (ref_candidate(p, &d, pos) && ref_link(p, &d, pos) >= 0) {
            ck_assert_int_ge(c.chain[pos], 0);
        }
    }
    free(size);
    gr_an_chains_release(&c);
    gr_an_deps_release(&d);
}

static double weight(const gr_an_critical *c, int32_t pos)
{
    return (c->cost[pos].bytes + 32.0 * c->cost[pos].edges) * c->runs[pos];
}

static void check_critical_reference(const gr_program *p, double iters)
{
    gr_an_deps d = deps_of(p);
    gr_an_critical c;
    gr_error err;
    double sum = 0.0, top = 0.0;
    int32_t pos, k;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_critical_build(p, &d, 1000.0, 5000.0, iters, &c, &err), GR_OK);
    ck_assert_int_gt(c.npath, 0);
    for (k = 0; k < c.npath; k++) {
        if (k > 0) {
            ck_assert_int_lt(c.path[k - 1], c.path[k]);
        }
        sum += weight(&c, c.path[k]);
    }
    for (pos = 0; pos < d.ninst; pos = d.end[pos] + 1) {
        top = c.finish[pos] > top ? c.finish[pos] : top;
    }
    ck_assert(fabs(top - c.total) <= 1e-9 * (1.0 + top));
    ck_assert_msg(fabs(sum - c.total) <= 1e-9 * (1.0 + c.total),
                  "%s: the path weighs %g, its length is %g", p->name, sum, c.total);
    ck_assert(c.total <= c.work * (1.0 + 1e-12) + 1e-9);
    for (pos = 0; pos < d.ninst; pos++) {
        const gr_inst *in = d.inst[pos];
        ck_assert(c.finish[pos] >= weight(&c, pos) * (1.0 - 1e-12));
        if (in->body) {
            continue;
        }
        for (k = 0; k < in->nargs; k++) {
            gr_vid v = in->args[k];
            if (v >= 0 && d.def[v] >= 0 && !gr_an_is_inner(p, &d, v)) {
                ck_assert(c.finish[pos] + 1e-9 >= c.finish[d.def[v]] + weight(&c, pos));
            }
        }
    }
    gr_an_critical_release(&c);
    gr_an_deps_release(&d);
}

static void check_all_references(const gr_program *p)
{
    check_live_reference(p);
    check_invariants_reference(p);
    check_chains_reference(p);
    check_critical_reference(p, 10.0);
    check_critical_reference(p, 1.0);
}

/* --- golden tests -------------------------------------------------------- */

static char **cases;        /* NAME of every NAME.ir, sorted */
static int ncases;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void scan_cases(void)
{
    DIR *dir = opendir(GOLDEN_DIR);
    struct dirent *de;
    int cap = 0;
    if (!dir) {
        fprintf(stderr, "check_analysis: cannot open %s\n", GOLDEN_DIR);
        exit(1);
    }
    while ((de = readdir(dir))) {
        size_t n = strlen(de->d_name);
        if (n > 3 && strcmp(de->d_name + n - 3, ".ir") == 0) {
            if (ncases == cap) {
                cap = cap ? cap * 2 : 16;
                cases = realloc(cases, (size_t)cap * sizeof *cases);
            }
            if (!cases || !(cases[ncases] = strndup(de->d_name, n - 3))) {
                fprintf(stderr, "check_analysis: out of memory\n");
                exit(1);
            }
            ncases++;
        }
    }
    closedir(dir);
    qsort(cases, (size_t)ncases, sizeof *cases, cmp_str);
}

START_TEST(test_golden)
{
    char path[1024], *text, *again = NULL;
    gr_program *p;
    gr_error err;
    snprintf(path, sizeof path, "%s/%s.ir", GOLDEN_DIR, cases[_i]);
    text = tu_slurp(path, NULL);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    p = parse_text(text, cases[_i]);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_program_print(p, &again, &err), GR_OK);
    expect_text("input (must be in printed form)", text, again);
    check_goldens(p, cases[_i]);
    check_all_references(p);
    gr_free_string(&again);
    free(text);
    gr_program_free(&p);
}
END_TEST

/* pagerank.ir is what the language makes of the library's pagerank. */
START_TEST(test_golden_library_pagerank)
{
    const char *src = gr_library_source("pagerank");
    char path[1024], *want, *text = NULL;
    gr_program *p = NULL;
    gr_diags dg;
    gr_error err;
    ck_assert_ptr_nonnull(src);
    gr_error_clear(&err);
    ck_assert_msg(gr_lang_compile(src, strlen(src), "pagerank.grl", &p, &dg, &err) == GR_OK,
                  "pagerank does not compile: %s", fmt_err(&err));
    ck_assert_int_eq(gr_program_print(p, &text, &err), GR_OK);
    snprintf(path, sizeof path, "%s/pagerank.ir", GOLDEN_DIR);
    want = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(want);
    gr_diags_release(&dg);
    expect_text("pagerank.ir (the compiled library pagerank)", want, text);
    if (!updating()) {
        check_goldens(p, "pagerank");
    }
    free(want);
    gr_free_string(&text);
    gr_program_free(&p);
}
END_TEST

/* --- unit tests: deps ---------------------------------------------------- */

START_TEST(test_deps_pagerank)
{
    gr_program *p = load_golden("pagerank");
    gr_an_deps d = deps_of(p);
    int32_t pos;
    ck_assert_int_eq(d.ninst, 30);
    ck_assert_int_eq(d.nvalues, 29);
    ck_assert_int_eq(d.inst[14]->op, GR_OP_LOOP);
    ck_assert_int_eq(d.end[14], 28);
    ck_assert_int_eq(d.inst[28]->op, GR_OP_YIELD);
    ck_assert_int_eq(d.inst[29]->op, GR_OP_RETURN);
    for (pos = 0; pos < 30; pos++) {
        ck_assert_int_eq(d.parent[pos], pos > 14 && pos <= 28 ? 14 : -1);
        if (pos != 14) {
            ck_assert_int_eq(d.end[pos], pos);
        }
    }
    /* values 0..13 and 15..27 are defined where their number says */
    for (pos = 0; pos < 28; pos++) {
        if (pos != 14) {
            ck_assert_int_eq(d.def[pos], pos);
        }
    }
    ck_assert_int_eq(d.def[14], 14); /* carried */
    ck_assert_int_eq(d.def[28], 14); /* result */
    ck_assert(gr_an_is_inner(p, &d, 14));
    ck_assert(!gr_an_is_inner(p, &d, 28));
    ck_assert(!gr_an_is_inner(p, &d, 13));
    ck_assert_int_eq(d.nuses[14], 2);
    ck_assert_int_eq(d.uses[14][0], 16);
    ck_assert_int_eq(d.uses[14][1], 18);
    ck_assert_int_eq(d.nuses[0], 3); /* damping: 20, 22, 23 */
    ck_assert_int_eq(d.uses[0][0], 20);
    ck_assert_int_eq(d.uses[0][2], 23);
    ck_assert_int_eq(d.nuses[1], 1); /* tol, read by the loop */
    ck_assert_int_eq(d.uses[1][0], 14);
    ck_assert_int_eq(d.nuses[13], 1);
    ck_assert_int_eq(d.uses[13][0], 14);
    ck_assert_int_eq(d.nuses[27], 1);
    ck_assert_int_eq(d.uses[27][0], 28); /* the yield */
    ck_assert_int_eq(d.nuses[28], 1);
    ck_assert_int_eq(d.uses[28][0], 29);
    gr_an_deps_release(&d);
    ck_assert_ptr_null(d.inst);
    gr_an_deps_release(&d); /* twice is harmless */
    gr_program_free(&p);
}
END_TEST

START_TEST(test_deps_double_use)
{
    gr_program *p = load_golden("chain_twice");
    gr_an_deps d = deps_of(p);
    /* %10 is read twice by mul(%10, %10) at 11: two operand uses */
    ck_assert_int_eq(d.nuses[10], 2);
    ck_assert_int_eq(d.uses[10][0], 11);
    ck_assert_int_eq(d.uses[10][1], 11);
    ck_assert_int_eq(d.nuses[11], 1);
    gr_an_deps_release(&d);
    gr_program_free(&p);
}
END_TEST

START_TEST(test_deps_fused)
{
    gr_program *p = fused_program();
    gr_an_deps d = deps_of(p);
    ck_assert_int_eq(d.ninst, 15);
    ck_assert_int_eq(d.end[3], 7);
    ck_assert_int_eq(d.end[8], 10);
    ck_assert_int_eq(d.end[11], 13);
    ck_assert_int_eq(d.parent[5], 3);
    ck_assert_int_eq(d.parent[9], 8);
    ck_assert_int_eq(d.parent[12], 11);
    ck_assert_int_eq(d.parent[8], -1);
    ck_assert_int_eq(d.def[3], 3);  /* lanes */
    ck_assert_int_eq(d.def[5], 3);
    ck_assert_int_eq(d.def[9], 3);  /* outputs */
    ck_assert_int_eq(d.def[10], 3);
    ck_assert_int_eq(d.def[11], 8);
    ck_assert_int_eq(d.def[13], 8); /* the weight lane */
    ck_assert_int_eq(d.def[18], 11);
    ck_assert(gr_an_is_inner(p, &d, 3));
    ck_assert(gr_an_is_inner(p, &d, 13));
    ck_assert(!gr_an_is_inner(p, &d, 9));
    ck_assert(!gr_an_is_inner(p, &d, 11));
    ck_assert_int_eq(d.nuses[9], 1);
    ck_assert_int_eq(d.uses[9][0], 8);
    ck_assert_int_eq(d.nuses[10], 1);
    ck_assert_int_eq(d.uses[10][0], 11);
    ck_assert_int_eq(d.nuses[13], 1);
    ck_assert_int_eq(d.uses[13][0], 9);
    gr_an_deps_release(&d);
    hfree(&p);
}
END_TEST

START_TEST(test_deps_invalid)
{
    gr_program *p = load_golden("chain_twice");
    gr_an_deps d;
    gr_error err;
    gr_vid saved = p->top.insts[3].result;
    /* a value defined twice */
    p->top.insts[3].result = p->top.insts[2].result;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_deps_build(p, &d, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "defined twice"));
    ck_assert_ptr_null(d.inst);
    p->top.insts[3].result = saved;
    /* an operand that is not a value */
    saved = p->top.insts[3].args[0];
    p->top.insts[3].args[0] = 999;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_deps_build(p, &d, &err), GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a value"));
    p->top.insts[3].args[0] = saved;
    gr_program_free(&p);
}
END_TEST

/* --- unit tests: liveness ------------------------------------------------ */

static void expect_intervals(const gr_program *p, const int32_t (*want)[2], int n)
{
    gr_an_deps d = deps_of(p);
    gr_an_live l = live_of(p, &d);
    int v;
    ck_assert_int_eq(l.nvalues, n);
    for (v = 0; v < n; v++) {
        ck_assert_msg(l.start[v] == want[v][0] && l.end[v] == want[v][1],
                      "%s: %%%d is live [%d, %d]; expected [%d, %d]", p->name, v,
                      (int)l.start[v], (int)l.end[v], (int)want[v][0], (int)want[v][1]);
    }
    gr_an_live_release(&l);
    gr_an_deps_release(&d);
}

START_TEST(test_live_pagerank)
{
    static const int32_t want[29][2] = {
        {0, 28},  /* damping, read in every iteration */
        {1, 28},  /* tol, read by every exit test */
        {2, 28},  /* max_iter, read by every loop head */
        {3, 28},  /* n, read at 10 and inside the loop at 25 */
        {4, 5},   {5, 6},
        {6, 28},  /* inv, read in the loop */
        {7, 9},   {8, 9},
        {9, 28},  /* sink */
        {10, 12}, {11, 12}, {12, 13},
        {13, 14}, /* the initial rank, read once by the loop */
        {14, 28}, /* the carried rank: the whole body */
        {15, 16}, {16, 17}, {17, 23}, {18, 19}, {19, 20}, {20, 27}, {21, 22}, {22, 24},
        {23, 24}, {24, 26}, {25, 26}, {26, 27},
        {27, 28}, /* the next rank, read by the yield */
        {28, 29}, /* the loop's result starts at its end */
    };
    gr_program *p = load_golden("pagerank");
    gr_an_deps d = deps_of(p);
    gr_an_live l = live_of(p, &d);
    expect_intervals(p, want, 29);
    ck_assert_int_eq(l.max_live_vectors, 5);
    gr_an_live_release(&l);
    gr_an_deps_release(&d);
    gr_program_free(&p);
}
END_TEST

START_TEST(test_live_nested)
{
    static const int32_t want[25][2] = {
        {0, 20},  /* outer max_iter */
        {1, 20},  /* outer tol */
        {2, 3},
        {3, 20},  /* read only in the inner body: to the outer loop's end */
        {4, 20},  /* the inner loop's initial z, read every outer iteration */
        {5, 22},  /* the outer initial value, read again after the loop */
        {6, 20},  /* the inner max_iter: read every inner and outer iteration */
        {7, 20},  /* outer carried x */
        {8, 18},  /* inner initial y (read at 10) and read at 18 */
        {9, 16},  /* made in the outer body, read only in the inner: to the inner end */
        {10, 16}, {10, 16}, /* inner carried y, z */
        {11, 12}, {12, 13},
        {13, 16}, /* read at 14 and by the inner yield */
        {14, 15}, {15, 16},
        {16, 17}, {16, 17}, /* the inner loop's results */
        {17, 18}, {18, 19}, {19, 20},
        {20, 23}, /* the outer result, reduced and returned */
        {21, 23}, {22, 23},
    };
    gr_program *p = load_golden("nested");
    expect_intervals(p, want, 25);
    gr_program_free(&p);
}
END_TEST

START_TEST(test_live_fused)
{
    static const int32_t want[19][2] = {
        {0, 3},   /* read by fill and by the kernel */
        {1, 3}, {2, 3},
        {3, 7}, {3, 7}, {3, 7},   /* lanes: the whole body */
        {4, 5}, {5, 7}, {6, 7},
        {3, 8},   /* map output */
        {3, 11},  /* fold output, read by the epilogue */
        {8, 11},  /* the aggregate */
        {8, 10}, {8, 10},         /* message lane and weight lane */
        {9, 10},
        {11, 13}, {11, 13},
        {12, 13},
        {11, 14},
    };
    static const int32_t want_explicit[13][2] = {
        {0, 10},  /* max_iter */
        {1, 10},  /* tol, and fill's operand */
        {2, 10},  /* initial value, and read by a kernel in the body */
        {3, 10},  /* carried */
        {4, 6}, {5, 6},
        {4, 7},   /* the hoistable kernel's output */
        {7, 9}, {7, 9}, {8, 9},
        {7, 10}, {7, 10}, /* next value and explicit test value, read by the yield */
        {10, 11}, /* loop result */
    };
    gr_program *p = fused_program();
    expect_intervals(p, want, 19);
    check_live_reference(p);
    hfree(&p);
    p = explicit_program();
    expect_intervals(p, want_explicit, 13);
    check_live_reference(p);
    hfree(&p);
}
END_TEST

START_TEST(test_live_unused_undefined)
{
    gr_program *p = load_golden("chain_twice");
    gr_an_deps d;
    gr_an_live l;
    gr_vid extra = gr_ir_new_value(p, GR_T_F64V); /* never defined */
    ck_assert_int_ge(extra, 0);
    d = deps_of(p);
    l = live_of(p, &d);
    ck_assert_int_eq(l.start[extra], -1);
    ck_assert_int_eq(l.end[extra], -1);
    ck_assert_int_eq(d.def[extra], -1);
    /* %9 = reduce_sum is returned; %1 (in_degree) dies at its one reader */
    ck_assert_int_eq(l.start[1], 1);
    ck_assert_int_eq(l.end[1], 2);
    gr_an_live_release(&l);
    gr_an_deps_release(&d);
    gr_program_free(&p);
}
END_TEST

START_TEST(test_live_mismatch)
{
    gr_program *p = load_golden("pagerank"), *q = load_golden("nested");
    gr_an_deps d = deps_of(p);
    gr_an_live l;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_live_build(q, &d, &l, &err), GR_ERR_INVALID);
    ck_assert_ptr_null(l.start);
    gr_an_deps_release(&d);
    gr_program_free(&p);
    gr_program_free(&q);
}
END_TEST

/* --- unit tests: cost model and critical path ----------------------------- */

START_TEST(test_cost_model)
{
    gr_program *p = load_golden("pagerank");
    gr_an_deps d = deps_of(p);
    const double n = 1000.0, m = 8000.0;
    gr_an_cost c;
#define COST(pos, b, e)                                                                \
    do {                                                                               \
        c = gr_an_inst_cost(p, d.inst[pos], n, m);                                     \
        ck_assert_msg(c.bytes == (b) && c.edges == (e), "pos %d: %g bytes, %g edges; " \
                      "expected %g, %g", pos, c.bytes, c.edges, (double)(b), (double)(e)); \
    } while (0)
    COST(0, 0, 0);                          /* param */
    COST(3, 0, 0);                          /* node_count */
    COST(4, 8 * (n + 1) + 8 * n, 0);        /* out_degree: offsets, result */
    COST(5, 16 * n, 0);                     /* to_f64 i64v -> f64v */
    COST(9, 8 * n + n, 0);                  /* eq(i64v, i64) -> mask */
    COST(12, 0, 0);                         /* scalar arithmetic */
    COST(13, 8 * n, 0);                     /* fill */
    COST(14, 16 * n, 0);                    /* converged test: old and new rank */
    COST(16, n + 16 * n, 0);                /* where(mask, f64v, f64) */
    COST(17, 8 * n, 0);                     /* reduce_sum */
    COST(19, 12 * m + 8 * (n + 1) + 8 * n, m); /* agg: id + message per edge */
    COST(20, 16 * n, 0);                    /* mul(f64, f64v) */
    COST(28, 0, 0);                         /* yield */
    COST(29, 8 * n, 0);                     /* return reads the rank */
    gr_an_deps_release(&d);
    gr_program_free(&p);

    p = fused_program();
    d = deps_of(p);
    COST(3, 24 * n, 0);                     /* fused: 2 vector inputs, 1 map output */
    COST(5, 0, 0);                          /* its body is free */
    COST(8, 20 * m + 8 * (n + 1) + 8 * n, m); /* agg_fused: id, message, weight */
    COST(11, 16 * n, 0);                    /* epilogue alone */
    gr_an_deps_release(&d);
    hfree(&p);
#undef COST
}
END_TEST

START_TEST(test_critical_fused)
{
    gr_program *p = fused_program();
    gr_an_deps d = deps_of(p);
    gr_an_critical c;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_critical_build(p, &d, 1000, 8000, 10, &c, &err), GR_OK);
    /* the epilogue keeps the aggregate in registers: neither writes nor
     * reads it */
    ck_assert(c.cost[8].bytes == 20 * 8000.0 + 8 * 1001.0);
    ck_assert(c.cost[11].bytes == 8 * 1000.0);
    ck_assert(c.runs[5] == 1.0);
    /* out_degree (offsets and result) finishes after fill: the path is
     * out_degree 1, fused 3, agg_fused 8, epilogue 11, return 14 */
    ck_assert_int_eq(c.npath, 5);
    ck_assert_int_eq(c.path[0], 1);
    ck_assert_int_eq(c.path[1], 3);
    ck_assert_int_eq(c.path[2], 8);
    ck_assert_int_eq(c.path[3], 11);
    ck_assert_int_eq(c.path[4], 14);
    gr_an_critical_release(&c);
    gr_an_deps_release(&d);
    check_critical_reference(p, 10.0);
    hfree(&p);
}
END_TEST

START_TEST(test_critical_loops)
{
    gr_program *p = load_golden("nested");
    gr_an_deps d = deps_of(p);
    gr_an_critical c;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_critical_build(p, &d, 1000, 8000, 10, &c, &err), GR_OK);
    /* the outer loop runs iters_guess times (its max is a parameter), the
     * inner one exactly its constant 4 */
    ck_assert(c.runs[7] == 10.0);
    ck_assert(c.runs[8] == 10.0);
    ck_assert(c.runs[10] == 40.0);
    ck_assert(c.runs[11] == 40.0);
    ck_assert(c.runs[17] == 10.0);
    ck_assert(c.runs[21] == 1.0);
    /* the inner loop finishes after its body's chain, four times over */
    ck_assert(c.finish[10] >= c.finish[16]);
    ck_assert(c.finish[7] >= c.finish[20]);
    gr_an_critical_release(&c);
    gr_an_deps_release(&d);
    gr_program_free(&p);

    p = explicit_program();
    d = deps_of(p);
    ck_assert_int_eq(gr_an_critical_build(p, &d, 1000, 8000, 10, &c, &err), GR_OK);
    ck_assert(c.runs[3] == 3.0);         /* converged, max 3 < 10 */
    ck_assert(c.cost[3].bytes == 0.0);   /* the body computes the test */
    gr_an_critical_release(&c);
    gr_an_deps_release(&d);
    hfree(&p);
}
END_TEST

START_TEST(test_critical_invalid)
{
    gr_program *p = load_golden("pagerank");
    gr_an_deps d = deps_of(p);
    gr_an_critical c;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_critical_build(p, &d, -1, 8000, 10, &c, &err), GR_ERR_INVALID);
    ck_assert_int_eq(gr_an_critical_build(p, &d, 1000, NAN, 10, &c, &err), GR_ERR_INVALID);
    ck_assert_ptr_null(c.cost);
    gr_an_critical_release(&c);
    gr_an_deps_release(&d);
    gr_program_free(&p);
}
END_TEST

/* --- unit tests: chains and invariants ------------------------------------ */

START_TEST(test_chains_small)
{
    gr_program *p = load_golden("chain_twice");
    gr_an_deps d = deps_of(p);
    gr_an_chains c;
    gr_error err;
    static const int32_t want[13] = {-1, -1, 0, 0, -1, 1, 1, 1, 1, -1, 2, 2, -1};
    int32_t pos;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_chains_build(p, &d, &c, &err), GR_OK);
    ck_assert_int_eq(c.ninst, 13);
    ck_assert_int_eq(c.nchains, 3);
    for (pos = 0; pos < 13; pos++) {
        ck_assert_msg(c.chain[pos] == want[pos], "position %d in chain %d; expected %d",
                      (int)pos, (int)c.chain[pos], (int)want[pos]);
    }
    gr_an_chains_release(&c);
    gr_an_deps_release(&d);
    gr_program_free(&p);

    /* fused kernels are not chained again, nor their bodies */
    p = fused_program();
    d = deps_of(p);
    ck_assert_int_eq(gr_an_chains_build(p, &d, &c, &err), GR_OK);
    ck_assert_int_eq(c.nchains, 0);
    gr_an_chains_release(&c);
    gr_an_deps_release(&d);
    hfree(&p);
}
END_TEST

START_TEST(test_invariants_small)
{
    gr_program *p = load_golden("invariant");
    gr_an_deps d = deps_of(p);
    gr_an_invariants v;
    gr_error err;
    /* 5 6 7 (degree, to_f64, recip), 10 11 (1 - damping; not the print
     * of it at 12), 14 (the inner loop's max), and in the inner loop 16
     * 17 18 (fill, reduce_sum of recip, reduce_sum of that fill) */
    static const int32_t inv[] = {5, 6, 7, 10, 11, 14, 16, 17, 18};
    int32_t pos, k = 0;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_an_invariants_build(p, &d, &v, &err), GR_OK);
    for (pos = 0; pos < d.ninst; pos++) {
        int want = k < (int)(sizeof inv / sizeof inv[0]) && inv[k] == pos;
        ck_assert_msg(v.inv[pos] == want, "position %d invariant %d", (int)pos, v.inv[pos]);
        k += want;
    }
    ck_assert_int_eq(v.count, 9);
    gr_an_invariants_release(&v);
    gr_an_deps_release(&d);
    gr_program_free(&p);

    p = explicit_program();
    d = deps_of(p);
    ck_assert_int_eq(gr_an_invariants_build(p, &d, &v, &err), GR_OK);
    ck_assert_int_eq(v.inv[4], 1); /* a kernel reading only outer values */
    ck_assert_int_eq(v.inv[5], 0); /* its body stays in it */
    ck_assert_int_eq(v.inv[7], 0); /* a kernel reading the carried value */
    ck_assert_int_eq(v.count, 1);
    gr_an_invariants_release(&v);
    gr_an_deps_release(&d);
    check_invariants_reference(p);
    hfree(&p);
}
END_TEST

/* The printers on hand-built programs: no golden (their IR lines are the
 * IR printer's), but every analysis prints and the text names what it
 * should. */
START_TEST(test_print_fused)
{
    gr_program *p = fused_program();
    char *text = NULL;
    gr_error err;
    int i;
    gr_error_clear(&err);
    for (i = 0; i < NANALYSES; i++) {
        ck_assert_msg(run_analysis(p, analyses[i], &text, &err) == GR_OK, "%s: %s", analyses[i],
                      fmt_err(&err));
        if (strcmp(analyses[i], "deps") == 0) {
            ck_assert_ptr_nonnull(strstr(text, "lane %13 = edge weight; -> 9"));
            ck_assert_ptr_nonnull(strstr(text, "lane %3 = %2@2; -> 5"));
        } else if (strcmp(analyses[i], "live") == 0) {
            ck_assert_ptr_nonnull(strstr(text, "[3, 7]  lane of fused 3"));
        }
        gr_free_string(&text);
    }
    hfree(&p);
}
END_TEST

/* --- random programs ------------------------------------------------------ */

START_TEST(test_random_references)
{
    uint64_t seed;
    for (seed = 1; seed <= 120; seed++) {
        gr_program *p = random_program(seed);
        char *text = NULL;
        gr_error err;
        int i;
        check_all_references(p);
        gr_error_clear(&err);
        for (i = 0; i < NANALYSES; i++) {
            ck_assert_int_eq(run_analysis(p, analyses[i], &text, &err), GR_OK);
            gr_free_string(&text);
        }
        gr_program_free(&p);
    }
}
END_TEST

/* --- failure injection ---------------------------------------------------- */

/* Re-run `which` on p allowing 0, 1, 2, ... allocations. */
static void inject(const gr_program *p, const char *which)
{
    long n;
    int rc = GR_ERR_NOMEM, failures = 0;
    for (n = 0; rc != GR_OK; n++) {
        char *text = NULL;
        gr_error err;
        gr_error_clear(&err);
        gr_mem_fail_after(n);
        rc = run_analysis(p, which, &text, &err);
        gr_mem_fail_after(-1);
        if (rc != GR_OK) {
            ck_assert_msg(rc == GR_ERR_NOMEM && err.code == GR_ERR_NOMEM,
                          "%s %s, budget %ld: rc %d: %s", p->name, which, n, rc, fmt_err(&err));
            ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
            ck_assert_ptr_null(text);
            failures++;
        } else {
            ck_assert_ptr_nonnull(text);
        }
        gr_free_string(&text);
        ck_assert_int_lt(n, 100000);
    }
    ck_assert_int_gt(failures, 3);
}

START_TEST(test_nomem)
{
    static const char *const names[] = {"pagerank", "nested"};
    int i, k;
    for (k = 0; k < 2; k++) {
        gr_program *p = load_golden(names[k]);
        for (i = 0; i < NANALYSES; i++) {
            inject(p, analyses[i]);
        }
        gr_program_free(&p);
    }
    {
        gr_program *p = fused_program();
        for (i = 0; i < NANALYSES; i++) {
            inject(p, analyses[i]);
        }
        hfree(&p);
    }
}
END_TEST

/* --- suite ---------------------------------------------------------------- */

int main(void)
{
    Suite *s = suite_create("analysis");
    TCase *tc;
    int rc, i;

    scan_cases();
    tc = tcase_create("golden");
    tcase_add_loop_test(tc, test_golden, 0, ncases);
    tcase_add_test(tc, test_golden_library_pagerank);
    suite_add_tcase(s, tc);

    tc = tcase_create("deps");
    tcase_add_test(tc, test_deps_pagerank);
    tcase_add_test(tc, test_deps_double_use);
    tcase_add_test(tc, test_deps_fused);
    tcase_add_test(tc, test_deps_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("liveness");
    tcase_add_test(tc, test_live_pagerank);
    tcase_add_test(tc, test_live_nested);
    tcase_add_test(tc, test_live_fused);
    tcase_add_test(tc, test_live_unused_undefined);
    tcase_add_test(tc, test_live_mismatch);
    suite_add_tcase(s, tc);

    tc = tcase_create("critical");
    tcase_add_test(tc, test_cost_model);
    tcase_add_test(tc, test_critical_fused);
    tcase_add_test(tc, test_critical_loops);
    tcase_add_test(tc, test_critical_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("chains_invariants");
    tcase_add_test(tc, test_chains_small);
    tcase_add_test(tc, test_invariants_small);
    tcase_add_test(tc, test_print_fused);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_add_test(tc, test_random_references);
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);

    tc = tcase_create("nomem");
    tcase_add_test(tc, test_nomem);
    tcase_set_timeout(tc, 600);
    suite_add_tcase(s, tc);

    rc = tu_run(s);
    for (i = 0; i < ncases; i++) {
        free(cases[i]);
    }
    free(cases);
    return rc == 0 && ncases > 0 ? 0 : 1;
}
