/*
 * progen.c - random well-typed programs from a seed (see progen.h).
 *
 * The generator keeps a stack of the values visible at the current point
 * (the top block's, then each open loop's inner values and body values);
 * closing a loop pops its body and pushes its results, so a program never
 * uses a value outside its scope.  Operands are drawn from the stack and
 * checked with the IR's own typing rules (gr_op_result_type,
 * gr_agg_result_type) before the builder is called, so every call is
 * expected to succeed.
 */
#include "config.h"
#include "progen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "engine/ir/types.h"

typedef struct pg {
    gr_builder *b;
    const progen_opts *o;
    gr_error *err;
    uint64_t s;              /* splitmix64 state */
    gr_vid *vals;            /* visible values, innermost last */
    int n, cap;
    gr_vid nc;               /* node_count() in the top block */
    gr_vid ip;               /* an i64 parameter (small default), or -1 */
    gr_vid fp;               /* an f64 parameter, or -1 */
    int depth;               /* open loops */
    int ew[GR_OP__COUNT];    /* the element-wise ops (print too when asked) */
    int nnew;                /* number of them */
} pg;

void progen_defaults(progen_opts *o)
{
    o->ops = 24;
    o->depth = 2;
    o->max_iter = 5;
    o->print = 0;
}

static uint64_t rnd(pg *g)
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int below(pg *g, int n) { return n > 0 ? (int)(rnd(g) % (uint64_t)n) : 0; }

static gr_type ty(pg *g, gr_vid v) { return gr_builder_type(g->b, v); }

static int push(pg *g, gr_vid v)
{
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        gr_vid *nv = realloc(g->vals, (size_t)cap * sizeof *nv);
        if (!nv) {
            return gr_err_nomem(g->err, "progen");
        }
        g->vals = nv;
        g->cap = cap;
    }
    g->vals[g->n++] = v;
    return GR_OK;
}

/* A random visible value at position >= lo for which want(type) holds, or
 * -1. */
static gr_vid pick_from(pg *g, int (*want)(gr_type), int lo)
{
    int k, cnt = 0, r;
    for (k = lo; k < g->n; k++) {
        cnt += want(ty(g, g->vals[k]));
    }
    if (!cnt) {
        return -1;
    }
    r = below(g, cnt);
    for (k = lo; k < g->n; k++) {
        if (want(ty(g, g->vals[k])) && r-- == 0) {
            return g->vals[k];
        }
    }
    return -1;
}

/* The same, from position `from` on, or anywhere when none is there. */
static gr_vid pick(pg *g, int (*want)(gr_type), int from)
{
    gr_vid v = pick_from(g, want, from);
    return v >= 0 || from == 0 ? v : pick_from(g, want, 0);
}

static int any_type(gr_type t) { return t != GR_T_NONE; }
static int is_vec(gr_type t) { return gr_type_is_vector(t); }
static int is_scalar(gr_type t) { return gr_type_is_scalar(t); }
static int is_i64v(gr_type t) { return t == GR_T_I64V; }
static int is_numvec(gr_type t) { return t == GR_T_F64V || t == GR_T_I64V; }
static int is_num(gr_type t) { return gr_type_is_num(t); }
static int is_i64(gr_type t) { return t == GR_T_I64; }

/* A value with 2/3 odds of being a vector. */
static gr_vid pick_any(pg *g)
{
    gr_vid v = below(g, 3) ? pick(g, is_vec, 0) : -1;
    return v >= 0 ? v : pick(g, any_type, 0);
}

#define CALL(expr)                                                              \
    do {                                                                        \
        int rc_ = (expr);                                                       \
        if (rc_ != GR_OK) {                                                     \
            return rc_;                                                         \
        }                                                                       \
    } while (0)

static int op(pg *g, gr_opcode o, gr_vid a, gr_vid b, gr_vid c, gr_vid *out)
{
    gr_vid args[3] = {a, b, c};
    return gr_builder_op(g->b, o, args, gr_op_info(o)->nargs, out, g->err);
}

/* Push the result of op o on args (unless print). */
static int op_push(pg *g, gr_opcode o, gr_vid a, gr_vid b, gr_vid c)
{
    gr_vid r = -1;
    CALL(op(g, o, a, b, c, &r));
    return r >= 0 ? push(g, r) : GR_OK;
}

static int gen_const(pg *g, gr_vid *out)
{
    static const double fv[] = {0.0, 1.0, -1.0, 0.5, 2.5, -3.25, 1e-3, 100.0, -0.0, 7.0};
    static const int64_t iv[] = {0, 1, 2, -1, 3, 7, -5, 10, 4, -2};
    switch (below(g, 3)) {
    case 0: {
        int k = below(g, 40);
        double v = k == 0 ? NAN : k == 1 ? INFINITY : fv[k % 10];
        return gr_builder_const_f64(g->b, v, out, g->err);
    }
    case 1: {
        int k = below(g, 40);
        int64_t v = k == 0 ? INT64_MAX : k == 1 ? INT64_MIN : iv[k % 10];
        return gr_builder_const_i64(g->b, v, out, g->err);
    }
    default:
        return gr_builder_const_bool(g->b, below(g, 2), out, g->err);
    }
}

/* An index vector: the identity, a mixture of a label vector into range,
 * or (rarely) any i64v, out-of-range indices included. */
static int gen_index(pg *g, gr_vid *out)
{
    gr_vid x = pick(g, is_i64v, 0), a = -1;
    int r = below(g, 10);
    if (r < 3 || x < 0) {
        return op(g, GR_OP_NODE_INDEX, -1, -1, -1, out);
    }
    if (r == 9) {
        *out = x;
        return GR_OK;
    }
    CALL(op(g, GR_OP_ABS, x, -1, -1, &a));
    return op(g, GR_OP_MOD, a, g->nc, -1, out);
}

static int gen_source(pg *g)
{
    static const gr_opcode src[] = {GR_OP_NODE_ID, GR_OP_NODE_INDEX, GR_OP_NODE_COUNT,
                                    GR_OP_EDGE_COUNT, GR_OP_OUT_DEGREE, GR_OP_IN_DEGREE,
                                    GR_OP_DEGREE};
    static const int64_t nbr[] = {0, 1, 2, -1, 5};
    gr_vid s;
    int r = below(g, 12);
    if (r < 4) {
        if ((s = pick(g, is_scalar, 0)) < 0) {
            CALL(gen_const(g, &s));
        }
        return op_push(g, GR_OP_FILL, s, -1, -1);
    }
    if (r == 4) {
        /* out_nbr: a small literal, or any i64 scalar (negative, huge) */
        if (below(g, 2) || (s = pick(g, is_i64, 0)) < 0) {
            CALL(gr_builder_const_i64(g->b, nbr[below(g, 5)], &s, g->err));
        }
        return op_push(g, GR_OP_OUT_NBR, s, -1, -1);
    }
    return op_push(g, src[below(g, 7)], -1, -1, -1);
}

static int gen_ew(pg *g)
{
    int tries, k;
    for (tries = 0; tries < 40; tries++) {
        gr_opcode o = (gr_opcode)g->ew[below(g, g->nnew)];
        const gr_opinfo *info = gr_op_info(o);
        gr_vid a[3] = {-1, -1, -1};
        gr_type in[3];
        char why[256];
        for (k = 0; k < info->nargs; k++) {
            a[k] = pick_any(g);
            in[k] = ty(g, a[k]);
        }
        if (o == GR_OP_PRINT ||
            gr_op_result_type(o, in, info->nargs, why, sizeof why) != GR_T_NONE) {
            return op_push(g, o, a[0], a[1], a[2]);
        }
    }
    return GR_OK;
}

static int gen_gather_scatter(pg *g)
{
    gr_vid idx, a, c;
    if (below(g, 5) == 0) {
        CALL(gen_index(g, &a));
        CALL(gen_index(g, &idx));
        return op_push(g, GR_OP_LINK, a, idx, -1);
    }
    if (below(g, 2)) {
        if ((a = pick(g, is_vec, 0)) < 0) {
            return GR_OK;
        }
        CALL(gen_index(g, &idx));
        return op_push(g, GR_OP_GATHER, a, idx, -1);
    }
    if ((a = pick(g, is_numvec, 0)) < 0 || (c = pick(g, is_numvec, 0)) < 0) {
        return GR_OK;
    }
    if (ty(g, a) == GR_T_I64V && ty(g, c) == GR_T_F64V) {
        c = a; /* i64v values only into an i64v */
    }
    CALL(gen_index(g, &idx));
    return op_push(g, (gr_opcode)(GR_OP_SCATTER_MIN + below(g, 3)), a, idx, c);
}

static int gen_reduce(pg *g)
{
    int tries;
    for (tries = 0; tries < 20; tries++) {
        gr_opcode o = (gr_opcode)(GR_OP_REDUCE_SUM + below(g, GR_OP_DIST_LINF - GR_OP_REDUCE_SUM + 1));
        const gr_opinfo *info = gr_op_info(o);
        gr_vid a = pick(g, is_vec, 0), b = pick(g, is_vec, 0);
        gr_type in[2];
        char why[256];
        if (a < 0) {
            return GR_OK;
        }
        in[0] = ty(g, a);
        in[1] = ty(g, b);
        if (gr_op_result_type(o, in, info->nargs, why, sizeof why) != GR_T_NONE) {
            return op_push(g, o, a, info->nargs > 1 ? b : -1, -1);
        }
    }
    return GR_OK;
}

static int gen_agg(pg *g)
{
    int tries;
    for (tries = 0; tries < 20; tries++) {
        gr_dir d = (gr_dir)below(g, 3);
        gr_monoid m = (gr_monoid)below(g, 7);
        gr_msg msg = (gr_msg)(below(g, 2) ? GR_MSG_X : below(g, 4));
        gr_vid x = pick(g, is_vec, 0), r;
        char why[256];
        if (x < 0) {
            return GR_OK;
        }
        if (gr_agg_result_type(m, msg, ty(g, x), why, sizeof why) != GR_T_NONE) {
            CALL(gr_builder_agg(g->b, d, m, msg, below(g, 4) == 0, x, &r, g->err));
            return push(g, r);
        }
    }
    return GR_OK;
}

static int gen_block(pg *g, int nops);

static int gen_loop(pg *g)
{
    gr_loop_kind kind = (gr_loop_kind)below(g, 3);
    gr_vid mi, tol = -1, init[3], inner[3], next[3], res[3];
    int nc = 1 + below(g, 3), k, test = 0, n0;

    /* max_iter: a constant in [-1, max_iter], or the i64 parameter */
    if (g->ip >= 0 && below(g, 4) == 0) {
        mi = g->ip;
    } else {
        CALL(gr_builder_const_i64(g->b, below(g, g->o->max_iter + 2) - 1, &mi, g->err));
    }
    for (k = 0; k < nc; k++) {
        init[k] = pick_any(g);
    }
    if (kind != GR_LOOP_REPEAT) {
        test = below(g, nc);
    }
    if (kind == GR_LOOP_CONVERGED) {
        static const double tols[] = {0.5, 1e-3, 0.0, 10.0};
        if (!is_num(ty(g, init[test]))) {
            gr_vid v = pick(g, is_num, 0);
            if (v < 0) {
                kind = GR_LOOP_UNCHANGED;
            } else {
                init[test] = v;
            }
        }
        if (kind == GR_LOOP_CONVERGED) {
            if (g->fp >= 0 && below(g, 4) == 0) {
                tol = g->fp;
            } else {
                CALL(gr_builder_const_f64(g->b, tols[below(g, 4)], &tol, g->err));
            }
        }
    }
    CALL(gr_builder_loop_begin(g->b, kind, mi, tol, nc, init, test, inner, g->err));
    n0 = g->n;
    g->depth++;
    for (k = 0; k < nc; k++) {
        CALL(push(g, inner[k]));
    }
    CALL(gen_block(g, 2 + below(g, g->o->ops / 3 + 1)));
    for (k = 0; k < nc; k++) {
        /* a body value of the carried type (preferred), else any visible one */
        gr_type want = ty(g, inner[k]);
        int j, cnt = 0, from = below(g, 4) ? n0 + nc : 0;
        next[k] = inner[k];
        for (j = from; j < g->n; j++) {
            cnt += ty(g, g->vals[j]) == want;
        }
        if (cnt) {
            int r = below(g, cnt);
            for (j = from; j < g->n; j++) {
                if (ty(g, g->vals[j]) == want && r-- == 0) {
                    next[k] = g->vals[j];
                    break;
                }
            }
        }
    }
    CALL(gr_builder_loop_end(g->b, next, res, g->err));
    g->n = n0;
    g->depth--;
    for (k = 0; k < nc; k++) {
        CALL(push(g, res[k]));
    }
    return GR_OK;
}

static int gen_block(pg *g, int nops)
{
    int i;
    for (i = 0; i < nops; i++) {
        int r = below(g, 100);
        gr_vid v;
        if (r < 8) {
            CALL(gen_const(g, &v));
            CALL(push(g, v));
        } else if (r < 16) {
            CALL(gen_source(g));
        } else if (r < 58) {
            CALL(gen_ew(g));
        } else if (r < 66) {
            CALL(gen_gather_scatter(g));
        } else if (r < 74) {
            CALL(gen_reduce(g));
        } else if (r < 88) {
            CALL(gen_agg(g));
        } else if (g->depth < g->o->depth) {
            CALL(gen_loop(g));
        } else {
            CALL(gen_ew(g));
        }
    }
    return GR_OK;
}

int progen_build(uint64_t seed, const progen_opts *o, gr_program **out, gr_error *err)
{
    progen_opts dflt;
    pg g;
    char name[48];
    gr_vid v, ret[3];
    int k, nret, rc;

    *out = NULL;
    if (!o) {
        progen_defaults(&dflt);
        o = &dflt;
    }
    memset(&g, 0, sizeof g);
    g.o = o;
    g.err = err;
    g.s = seed * 0x2545f4914f6cdd1dULL + 1;
    g.ip = g.fp = -1;
    for (k = 0; k < GR_OP__COUNT; k++) {
        if ((gr_op_info(k)->flags & GR_F_EW) || (o->print && k == GR_OP_PRINT)) {
            g.ew[g.nnew++] = k;
        }
    }
    snprintf(name, sizeof name, "progen_%llu", (unsigned long long)seed);
    if ((rc = gr_builder_new(name, &g.b, err)) != GR_OK) {
        return rc;
    }
#define TRYG(expr)                                                              \
    do {                                                                        \
        if ((rc = (expr)) != GR_OK) {                                           \
            goto done;                                                          \
        }                                                                       \
    } while (0)
    TRYG(op(&g, GR_OP_NODE_COUNT, -1, -1, -1, &g.nc));
    TRYG(push(&g, g.nc));
    if (below(&g, 2)) {
        TRYG(gr_builder_param(g.b, "k", GR_T_I64, 0, below(&g, o->max_iter + 1), &g.ip, err));
        TRYG(push(&g, g.ip));
    }
    if (below(&g, 2)) {
        TRYG(gr_builder_param(g.b, "alpha", GR_T_F64, 0.25 * below(&g, 8), 0, &g.fp, err));
        TRYG(push(&g, g.fp));
    }
    if (below(&g, 3) == 0) {
        TRYG(gr_builder_param(g.b, "flag", GR_T_BOOL, 0, below(&g, 2), &v, err));
        TRYG(push(&g, v));
    }
    TRYG(gen_block(&g, o->ops));
    nret = 1 + below(&g, 3);
    for (k = 0; k < nret; k++) {
        /* recent values are more interesting than the first ones */
        ret[k] = g.vals[g.n - 1 - below(&g, g.n < 6 ? g.n : 6)];
    }
    TRYG(gr_builder_return(g.b, nret, ret, NULL, err));
    TRYG(gr_builder_finish(g.b, out, err));
done:
    gr_builder_free(&g.b);
    free(g.vals);
    return rc;
}
