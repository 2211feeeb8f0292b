/*
 * check_step.c - the step executor (engine/exec): every op's semantics
 * through the public step API, API validation with exact messages,
 * neighbour aggregation against a slow reference, thread-count
 * independence, gr_step_run on builder programs, parameters, and
 * failure injection (clean GR_ERR_NOMEM, no leak: run under valgrind with
 * CK_FORK=no).
 */
#include "config.h"
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"
#include "engine/ir/ir.h"
#include "engine/ir/sem.h"
#include "engine/ir/types.h"

/* ---- fixture ----------------------------------------------------------------- */

#define MAXKEEP 4096

static gr_graph *G;
static gr_ctx *C;
static gr_error E;
static gr_val *kept[MAXKEEP];
static int nkept;

static void teardown(void)
{
    int i;
    for (i = 0; i < nkept; i++) {
        gr_val_free(&kept[i]);
    }
    nkept = 0;
    gr_ctx_free(&C);
    gr_graph_free(&G);
    gr_mem_fail_after(-1);
    gr_set_threads(2);
}

static void setup(void) { gr_error_clear(&E); }

/* Make g the graph of the test (the fixture frees it). */
static void use_graph(gr_graph *g)
{
    gr_ctx_free(&C);
    gr_graph_free(&G);
    G = g;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_ctx_new(G, &C, &E), GR_OK);
}

/* n isolated nodes. */
static void use_nodes(uint32_t n) { use_graph(tu_graph(n, NULL, 0, NULL, 0)); }

static gr_val *keep(gr_val *v)
{
    ck_assert_int_lt(nkept, MAXKEEP);
    kept[nkept++] = v;
    return v;
}

#define CHECK_OK(expr)                                                                  \
    do {                                                                                \
        int rc_;                                                                        \
        gr_error_clear(&E);                                                             \
        rc_ = (expr);                                                                   \
        ck_assert_msg(rc_ == GR_OK, "%s failed: %d %s", #expr, rc_, E.msg);             \
    } while (0)

static gr_val *cf(double v)
{
    gr_val *r;
    CHECK_OK(gr_step_const_f64(C, v, &r, &E));
    return keep(r);
}

static gr_val *ci(int64_t v)
{
    gr_val *r;
    CHECK_OK(gr_step_const_i64(C, v, &r, &E));
    return keep(r);
}

static gr_val *cb(int v)
{
    gr_val *r;
    CHECK_OK(gr_step_const_bool(C, v, &r, &E));
    return keep(r);
}

static gr_val *apn(gr_opcode op, gr_val *a, gr_val *b, gr_val *c)
{
    gr_val *args[3] = {a, b, c}, *r = NULL;
    int n = c ? 3 : b ? 2 : a ? 1 : 0;
    CHECK_OK(gr_step_apply(C, op, args, n, &r, &E));
    ck_assert_ptr_nonnull(r);
    return keep(r);
}

#define ap0(op) apn(op, NULL, NULL, NULL)
#define ap1(op, a) apn(op, a, NULL, NULL)
#define ap2(op, a, b) apn(op, a, b, NULL)
#define ap3(op, a, b, c) apn(op, a, b, c)

static gr_val *agg(gr_dir d, gr_monoid m, gr_msg msg, int self, gr_val *x)
{
    gr_val *r = NULL;
    CHECK_OK(gr_step_agg(C, d, m, msg, self, x, &r, &E));
    return keep(r);
}

/* Vectors with given elements, built through the step API itself: fill,
 * then where(node_index == k, x[k], acc) for each k. */
static gr_val *vf(const double *x)
{
    gr_val *idx = ap0(GR_OP_NODE_INDEX), *acc = ap1(GR_OP_FILL, cf(x[0]));
    uint32_t k;
    for (k = 1; k < G->n; k++) {
        acc = ap3(GR_OP_WHERE, ap2(GR_OP_EQ, idx, ci(k)), cf(x[k]), acc);
    }
    return acc;
}

static gr_val *vi(const int64_t *x)
{
    gr_val *idx = ap0(GR_OP_NODE_INDEX), *acc = ap1(GR_OP_FILL, ci(x[0]));
    uint32_t k;
    for (k = 1; k < G->n; k++) {
        acc = ap3(GR_OP_WHERE, ap2(GR_OP_EQ, idx, ci(k)), ci(x[k]), acc);
    }
    return acc;
}

static gr_val *vm(const int64_t *x) { return ap1(GR_OP_TO_BOOL, vi(x)); }

static double rf(gr_val *v)
{
    double d;
    CHECK_OK(gr_val_read_f64(v, &d, 1, &E));
    return d;
}

static int64_t ri(gr_val *v)
{
    int64_t d;
    CHECK_OK(gr_val_read_i64(v, &d, 1, &E));
    return d;
}

static double *rfv(gr_val *v)
{
    static double buf[64];
    ck_assert_uint_le(G->n, 64);
    CHECK_OK(gr_val_read_f64(v, buf, G->n, &E));
    return buf;
}

static int64_t *riv(gr_val *v)
{
    static int64_t buf[64];
    ck_assert_uint_le(G->n, 64);
    CHECK_OK(gr_val_read_i64(v, buf, G->n, &E));
    return buf;
}

/* Same double: equal bits, or both NaN. */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b)) {
        return isnan(a) && isnan(b);
    }
    return memcmp(&a, &b, sizeof a) == 0;
}

static void expect_f(gr_val *v, const double *want)
{
    double *got = rfv(v);
    uint32_t k;
    ck_assert_int_eq(gr_val_type(v), GR_T_F64V);
    for (k = 0; k < G->n; k++) {
        ck_assert_msg(same(got[k], want[k]), "element %u: got %.17g, want %.17g", k, got[k],
                      want[k]);
    }
}

static void expect_i(gr_val *v, gr_type t, const int64_t *want)
{
    int64_t *got = riv(v);
    uint32_t k;
    ck_assert_int_eq(gr_val_type(v), t);
    for (k = 0; k < G->n; k++) {
        ck_assert_msg(got[k] == want[k], "element %u: got %lld, want %lld", k,
                      (long long)got[k], (long long)want[k]);
    }
}

/* ---- element-wise edge cases, literal expectations ----------------------------- */

START_TEST(test_f64_arith_edges)
{
    static const double a[] = {1, -1, 0, NAN, 7.5, -7.5, 2, 0};
    static const double b[] = {0, 0, 0, 1, 2, 2, -0.0, 5};
    gr_val *va, *vb;
    use_nodes(8);
    va = vf(a);
    vb = vf(b);
    {
        const double want[] = {INFINITY, -INFINITY, NAN, NAN, 3.75, -3.75, -INFINITY, 0};
        expect_f(ap2(GR_OP_DIV, va, vb), want);
    }
    {
        const double want[] = {0, 0, 0, NAN, 1.5, -1.5, 0, 0};
        expect_f(ap2(GR_OP_MOD, va, vb), want);
    }
    {
        const double want[] = {0, NAN, NAN, NAN, 2, -7.5, -0.0, 0}; /* min: NaN wins */
        double aa[] = {0, NAN, 1, NAN, 2, -7.5, -0.0, 0};
        double bb[] = {0, 1, NAN, NAN, 7.5, 2, 2, 0};
        expect_f(ap2(GR_OP_MIN, vf(aa), vf(bb)), want);
        {
            const double wmax[] = {0, NAN, NAN, NAN, 7.5, 2, 2, 0};
            expect_f(ap2(GR_OP_MAX, vf(aa), vf(bb)), wmax);
        }
    }
    {
        const double x[] = {0, -0.0, 2, -4, INFINITY, NAN, 0.5, 1};
        const double want[] = {0, 0, 0.5, -0.25, 0, NAN, 2, 1};
        expect_f(ap1(GR_OP_RECIP, vf(x)), want);
    }
    {
        const double x[] = {-1, 0, 4, INFINITY, NAN, 2.25, -0.0, 1};
        const double wsqrt[] = {NAN, 0, 2, INFINITY, NAN, 1.5, -0.0, 1};
        const double wlog[] = {NAN, -INFINITY, log(4.0), INFINITY, NAN, log(2.25), -INFINITY, 0};
        const double wabs[] = {1, 0, 4, INFINITY, NAN, 2.25, 0, 1};
        const double wneg[] = {1, -0.0, -4, -INFINITY, NAN, -2.25, 0, -1};
        expect_f(ap1(GR_OP_SQRT, vf(x)), wsqrt);
        expect_f(ap1(GR_OP_LOG, vf(x)), wlog);
        expect_f(ap1(GR_OP_ABS, vf(x)), wabs);
        expect_f(ap1(GR_OP_NEG, vf(x)), wneg);
    }
    /* pow(0, -1) = inf; exp(-inf) = 0 */
    ck_assert(same(rf(ap2(GR_OP_POW, cf(0), cf(-1))), INFINITY));
    ck_assert(same(rf(ap1(GR_OP_EXP, cf(-INFINITY))), 0.0));
    ck_assert(same(rf(ap2(GR_OP_POW, ci(2), ci(10))), 1024.0));
    ck_assert_int_eq(gr_val_type(ap2(GR_OP_POW, ci(2), ci(10))), GR_T_F64);
}
END_TEST

START_TEST(test_i64_arith_edges)
{
    static const int64_t a[] = {7, -7, 5, INT64_MIN, INT64_MIN, INT64_MAX, -9, 0};
    static const int64_t b[] = {0, 2, -1, -1, 1, 1, 4, 0};
    gr_val *va, *vb;
    use_nodes(8);
    va = vi(a);
    vb = vi(b);
    {
        const int64_t want[] = {0, -3, -5, INT64_MIN, INT64_MIN, INT64_MAX, -2, 0};
        expect_i(ap2(GR_OP_DIV, va, vb), GR_T_I64V, want);
    }
    {
        const int64_t want[] = {0, -1, 0, 0, 0, 0, -1, 0};
        expect_i(ap2(GR_OP_MOD, va, vb), GR_T_I64V, want);
    }
    {
        const int64_t want[] = {7, -5, 4, INT64_MAX, INT64_MIN + 1, INT64_MIN, -5, 0};
        expect_i(ap2(GR_OP_ADD, va, vb), GR_T_I64V, want);
    }
    {
        const int64_t want[] = {7, -9, 6, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1, -13, 0};
        expect_i(ap2(GR_OP_SUB, va, vb), GR_T_I64V, want);
    }
    {
        const int64_t want[] = {-7, 7, -5, INT64_MIN, INT64_MIN, -INT64_MAX, 9, 0};
        expect_i(ap1(GR_OP_NEG, va), GR_T_I64V, want);
    }
    {
        const int64_t want[] = {7, 7, 5, INT64_MIN, INT64_MIN, INT64_MAX, 9, 0};
        expect_i(ap1(GR_OP_ABS, va), GR_T_I64V, want);
    }
    ck_assert_int_eq(ri(ap2(GR_OP_MUL, ci(INT64_MAX), ci(2))), -2);
    ck_assert_int_eq(ri(ap2(GR_OP_ADD, ci(INT64_MAX), ci(1))), INT64_MIN);
    ck_assert_int_eq(ri(ap2(GR_OP_MIN, ci(-3), ci(2))), -3);
    ck_assert_int_eq(ri(ap2(GR_OP_MAX, ci(-3), ci(2))), 2);
    /* promotion: an i64 meets an f64, converted exactly as C converts */
    ck_assert(same(rf(ap2(GR_OP_ADD, ci(((int64_t)1 << 53) + 1), cf(0.0))), 9007199254740992.0));
    ck_assert_int_eq(gr_val_type(ap2(GR_OP_ADD, vb, cf(0.5))), GR_T_F64V);
    {
        const double want[] = {0.5, 2.5, -0.5, -0.5, 1.5, 1.5, 4.5, 0.5};
        expect_f(ap2(GR_OP_ADD, vb, cf(0.5)), want);
    }
}
END_TEST

START_TEST(test_compare_logic_where)
{
    static const double a[] = {NAN, 1, 2, NAN, -0.0, 3, INFINITY, 0};
    static const double b[] = {1, NAN, 2, NAN, 0.0, 2, INFINITY, 1};
    gr_val *va, *vb;
    use_nodes(8);
    va = vf(a);
    vb = vf(b);
    {
        const int64_t weq[] = {0, 0, 1, 0, 1, 0, 1, 0};
        const int64_t wne[] = {1, 1, 0, 1, 0, 1, 0, 1};
        const int64_t wlt[] = {0, 0, 0, 0, 0, 0, 0, 1};
        const int64_t wle[] = {0, 0, 1, 0, 1, 0, 1, 1};
        const int64_t wgt[] = {0, 0, 0, 0, 0, 1, 0, 0};
        const int64_t wge[] = {0, 0, 1, 0, 1, 1, 1, 0};
        expect_i(ap2(GR_OP_EQ, va, vb), GR_T_MASK, weq);
        expect_i(ap2(GR_OP_NE, va, vb), GR_T_MASK, wne);
        expect_i(ap2(GR_OP_LT, va, vb), GR_T_MASK, wlt);
        expect_i(ap2(GR_OP_LE, va, vb), GR_T_MASK, wle);
        expect_i(ap2(GR_OP_GT, va, vb), GR_T_MASK, wgt);
        expect_i(ap2(GR_OP_GE, va, vb), GR_T_MASK, wge);
    }
    {
        const int64_t x[] = {0, 1, 1, 0, 1, 0, 0, 1};
        const int64_t y[] = {0, 0, 1, 1, 1, 0, 1, 0};
        const int64_t wand[] = {0, 0, 1, 0, 1, 0, 0, 0};
        const int64_t wor[] = {0, 1, 1, 1, 1, 0, 1, 1};
        const int64_t wnot[] = {1, 0, 0, 1, 0, 1, 1, 0};
        gr_val *mx = vm(x), *my = vm(y);
        expect_i(ap2(GR_OP_AND, mx, my), GR_T_MASK, wand);
        expect_i(ap2(GR_OP_OR, mx, my), GR_T_MASK, wor);
        expect_i(ap1(GR_OP_NOT, mx), GR_T_MASK, wnot);
        expect_i(ap2(GR_OP_AND, mx, cb(1)), GR_T_MASK, x);
        ck_assert_int_eq(ri(ap2(GR_OP_OR, cb(0), cb(1))), 1);
        ck_assert_int_eq(gr_val_type(ap2(GR_OP_OR, cb(0), cb(1))), GR_T_BOOL);
        {
            /* where(mask, i64 scalar, f64v) promotes to f64v */
            const double want[] = {NAN, 7, 7, NAN, 7, 3, INFINITY, 7};
            expect_f(ap3(GR_OP_WHERE, mx, ci(7), va), want);
            /* where(bool scalar, ...) broadcasts the choice */
            expect_f(ap3(GR_OP_WHERE, cb(0), ci(7), va), a);
        }
    }
    /* i64 against f64 compares after conversion: 2^53 + 1 == 2^53 */
    ck_assert_int_eq(ri(ap2(GR_OP_EQ, ci(((int64_t)1 << 53) + 1), cf(9007199254740992.0))), 1);
    ck_assert_int_eq(ri(ap2(GR_OP_LT, ci(INT64_MIN), ci(INT64_MAX))), 1);
}
END_TEST

START_TEST(test_casts)
{
    static const double a[] = {NAN, 1e30, -1e30, -2.7, 2.7, INFINITY, -INFINITY, 9.3e18};
    use_nodes(8);
    {
        const int64_t want[] = {0, INT64_MAX, INT64_MIN, -2, 2, INT64_MAX, INT64_MIN, INT64_MAX};
        expect_i(ap1(GR_OP_TO_I64, vf(a)), GR_T_I64V, want);
    }
    {
        const int64_t want[] = {1, 1, 1, 1, 1, 1, 1, 1};
        expect_i(ap1(GR_OP_TO_BOOL, vf(a)), GR_T_MASK, want);
    }
    {
        const double x[] = {0, -0.0, 1, 0, 0, 0, 0, 0};
        const int64_t want[] = {0, 0, 1, 0, 0, 0, 0, 0};
        expect_i(ap1(GR_OP_TO_BOOL, vf(x)), GR_T_MASK, want);
    }
    {
        const int64_t x[] = {INT64_MAX, -3, 0, 1, 2, 3, 4, ((int64_t)1 << 53) + 1};
        const double want[] = {9223372036854775808.0, -3, 0, 1, 2, 3, 4, 9007199254740992.0};
        const int64_t wm[] = {1, 1, 0, 1, 1, 1, 1, 1};
        const int64_t w01[] = {1, 1, 0, 1, 1, 1, 1, 1};
        expect_f(ap1(GR_OP_TO_F64, vi(x)), want);
        expect_i(ap1(GR_OP_TO_BOOL, vi(x)), GR_T_MASK, wm);
        expect_i(ap1(GR_OP_TO_I64, vm(x)), GR_T_I64V, w01);
        expect_i(ap1(GR_OP_TO_I64, vi(x)), GR_T_I64V, x);
    }
    ck_assert_int_eq(ri(ap1(GR_OP_TO_I64, cf(-0.5))), 0);
    ck_assert(same(rf(ap1(GR_OP_TO_F64, cb(1))), 1.0));
    ck_assert_int_eq(ri(ap1(GR_OP_TO_BOOL, cf(NAN))), 1);
}
END_TEST

/* ---- every element-wise op against sem.h, all operand shapes ------------------ */

typedef double (*semf_fn)(double, double, double);
typedef int64_t (*semi_fn)(int64_t, int64_t, int64_t);

static const semf_fn SEMF[] = {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc) gr_sem_f_##ID,
#include "gr_ops.def"
#undef OP
};
static const semi_fn SEMI[] = {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc) gr_sem_i_##ID,
#include "gr_ops.def"
#undef OP
};

#define NV 10
static const double SF[NV] = {0.0, -0.0, 1.5, -2.5, 7.0, NAN, INFINITY, -INFINITY, 1e300, -3.0};
static const int64_t SI[NV] = {0, 1, -1, 7, -3, INT64_MAX, INT64_MIN, 2, 3, -7};
static const int64_t SB[NV] = {0, 1, 1, 0, 1, 0, 0, 1, 1, 0};

/* Operand shapes: f64v, i64v, mask, f64, i64, bool. */
static const gr_type SHAPES[6] = {GR_T_F64V, GR_T_I64V, GR_T_MASK, GR_T_F64, GR_T_I64, GR_T_BOOL};

/* Element v of operand shape t (scalars: sc[elem]) as f64 and as i64. */
static double elem_f(gr_type t, int v, int pass)
{
    switch (t) {
    case GR_T_F64V: return SF[v];
    case GR_T_I64V: return (double)SI[v];
    case GR_T_MASK: return (double)SB[v];
    case GR_T_F64: return pass ? 0.0 : -2.5;
    case GR_T_I64: return pass ? 0.0 : -3.0;
    default: return pass ? 0.0 : 1.0;
    }
}

static int64_t elem_i(gr_type t, int v, int pass)
{
    switch (t) {
    case GR_T_F64V: return gr_f2i(SF[v]);
    case GR_T_I64V: return SI[v];
    case GR_T_MASK: return SB[v];
    case GR_T_F64: return 0;
    case GR_T_I64: return pass ? 0 : -3;
    default: return pass ? 0 : 1;
    }
}

/* The reference: the op's sem function in its compute type, the result
 * stored as the result type. */
static void ref_elem(gr_opcode op, const gr_type *in, int nargs, gr_type rt, int v, int pass,
                     double *of, int64_t *oi)
{
    const gr_opinfo *info = gr_op_info(op);
    int k, anyf = 0, compute_f;
    double fa[3] = {0, 0, 0};
    int64_t ia[3] = {0, 0, 0};
    for (k = 0; k < nargs; k++) {
        fa[k] = elem_f(in[k], v, pass);
        ia[k] = elem_i(in[k], v, pass);
        if (gr_type_elem(in[k]) == GR_T_F64 && !(info->sig == GR_SIG_WHERE && k == 0)) {
            anyf = 1;
        }
    }
    switch (info->sig) {
    case GR_SIG_FLT1: case GR_SIG_FLT2: case GR_SIG_TOF64: compute_f = 1; break;
    case GR_SIG_LOG1: case GR_SIG_LOG2: compute_f = 0; break;
    default: compute_f = anyf; break;
    }
    if (compute_f) {
        double r = SEMF[op](fa[0], fa[1], fa[2]);
        *of = r;
        *oi = gr_type_elem(rt) == GR_T_BOOL ? r != 0 : gr_f2i(r);
    } else {
        int64_t r = SEMI[op](ia[0], ia[1], ia[2]);
        *oi = gr_type_elem(rt) == GR_T_BOOL ? r != 0 : r;
        *of = (double)r;
    }
}

START_TEST(test_every_ew_op)
{
    gr_val *vals[6][2];
    int op, pass, ncombos = 0;
    use_nodes(NV);
    for (pass = 0; pass < 2; pass++) {
        vals[0][pass] = vf(SF);
        vals[1][pass] = vi(SI);
        vals[2][pass] = vm(SB);
        vals[3][pass] = cf(pass ? 0.0 : -2.5);
        vals[4][pass] = ci(pass ? 0 : -3);
        vals[5][pass] = cb(pass ? 0 : 1);
    }
    for (op = 0; op < GR_OP__COUNT; op++) {
        const gr_opinfo *info = gr_op_info(op);
        int nargs = info->nargs, combo, ncomb = 1, k;
        if (!(info->flags & GR_F_EW)) {
            continue;
        }
        for (k = 0; k < nargs; k++) {
            ncomb *= 6;
        }
        for (combo = 0; combo < ncomb; combo++) {
            gr_type in[3];
            int sh[3], c = combo;
            char why[256];
            gr_type rt;
            for (k = 0; k < nargs; k++) {
                sh[k] = c % 6;
                c /= 6;
                in[k] = SHAPES[sh[k]];
            }
            rt = gr_op_result_type(op, in, nargs, why, sizeof why);
            if (rt == GR_T_NONE) {
                continue;
            }
            for (pass = 0; pass < 2; pass++) {
                gr_val *args[3], *r = NULL;
                double gf[NV];
                int64_t gi[NV];
                size_t len = gr_type_is_vector(rt) ? NV : 1;
                int v;
                for (k = 0; k < nargs; k++) {
                    args[k] = vals[sh[k]][pass];
                }
                gr_error_clear(&E);
                ck_assert_msg(gr_step_apply(C, op, args, nargs, &r, &E) == GR_OK, "%s: %s",
                              info->name, E.msg);
                ck_assert_int_eq(gr_val_type(r), rt);
                if (gr_type_elem(rt) == GR_T_F64) {
                    CHECK_OK(gr_val_read_f64(r, gf, len, &E));
                } else {
                    CHECK_OK(gr_val_read_i64(r, gi, len, &E));
                }
                for (v = 0; v < (int)len; v++) {
                    double wf;
                    int64_t wi;
                    ref_elem(op, in, nargs, rt, v, pass, &wf, &wi);
                    if (gr_type_elem(rt) == GR_T_F64) {
                        ck_assert_msg(same(gf[v], wf), "%s(%s,%s,%s) pass %d elem %d: %.17g != %.17g",
                                      info->name, gr_type_name(in[0]),
                                      nargs > 1 ? gr_type_name(in[1]) : "",
                                      nargs > 2 ? gr_type_name(in[2]) : "", pass, v, gf[v], wf);
                    } else {
                        ck_assert_msg(gi[v] == wi, "%s(%s,%s,%s) pass %d elem %d: %lld != %lld",
                                      info->name, gr_type_name(in[0]),
                                      nargs > 1 ? gr_type_name(in[1]) : "",
                                      nargs > 2 ? gr_type_name(in[2]) : "", pass, v,
                                      (long long)gi[v], (long long)wi);
                    }
                }
                gr_val_free(&r);
                ncombos++;
            }
        }
    }
    ck_assert_int_gt(ncombos, 300);
}
END_TEST

/* Element-wise over long vectors: the chunked, converted and parallel paths
 * agree with the scalar semantics element by element. */
START_TEST(test_ew_long)
{
    gr_val *idx, *x, *y, *r;
    double *xs, *rs;
    int64_t *is;
    uint32_t n = 70001, v;
    use_nodes(n);
    idx = ap0(GR_OP_NODE_INDEX);
    x = ap2(GR_OP_MUL, idx, cf(0.37));            /* i64v * f64 -> f64v */
    y = ap2(GR_OP_SUB, idx, ci(35000));           /* i64v */
    r = ap3(GR_OP_WHERE, ap2(GR_OP_LT, y, ci(0)), x, ap2(GR_OP_DIV, x, y));
    xs = malloc(n * sizeof *xs);
    rs = malloc(n * sizeof *rs);
    is = malloc(n * sizeof *is);
    CHECK_OK(gr_val_read_f64(x, xs, n, &E));
    CHECK_OK(gr_val_read_f64(r, rs, n, &E));
    CHECK_OK(gr_val_read_i64(y, is, n, &E));
    for (v = 0; v < n; v++) {
        double want = is[v] < 0 ? xs[v] : xs[v] / (double)is[v];
        ck_assert_msg(same(xs[v], (double)v * 0.37), "x[%u]", v);
        ck_assert_msg(same(rs[v], want), "r[%u]: %.17g != %.17g", v, rs[v], want);
    }
    free(xs);
    free(rs);
    free(is);
}
END_TEST

/* ---- sources, gather, scatter ------------------------------------------------ */

/* 0->1 (2), 0->1 (3), 1->1 (5), 2->1 (7), 1->3 (11), 3->0 (13); node 4 alone. */
static const uint32_t AGG_E[] = {0, 1, 0, 1, 1, 1, 2, 1, 1, 3, 3, 0};
static const double AGG_W[] = {2, 3, 5, 7, 11, 13};

START_TEST(test_sources)
{
    const char *path = tu_write_temp(".el", "10 20\n20 20\n20 30\n10 20\n40 10\n");
    gr_graph *g = NULL;
    CHECK_OK(gr_graph_load(path, GR_FORMAT_EDGELIST, 0, &g, &E));
    unlink(path);
    use_graph(g);
    {
        const int64_t wid[] = {10, 20, 30, 40};
        const int64_t widx[] = {0, 1, 2, 3};
        const int64_t wout[] = {2, 2, 0, 1};
        const int64_t win[] = {1, 3, 1, 0};
        const int64_t wdeg[] = {3, 5, 1, 1};
        expect_i(ap0(GR_OP_NODE_ID), GR_T_I64V, wid);
        expect_i(ap0(GR_OP_NODE_INDEX), GR_T_I64V, widx);
        expect_i(ap0(GR_OP_OUT_DEGREE), GR_T_I64V, wout);
        expect_i(ap0(GR_OP_IN_DEGREE), GR_T_I64V, win);
        expect_i(ap0(GR_OP_DEGREE), GR_T_I64V, wdeg);
    }
    {
        /* out-rows in edge order: 10 -> 20, 20; 20 -> 20, 30; 30 none; 40 -> 10 */
        const int64_t w0[] = {1, 1, 2, 0};
        const int64_t w1[] = {1, 2, 2, 3};
        const int64_t wself[] = {0, 1, 2, 3};
        expect_i(ap1(GR_OP_OUT_NBR, ci(0)), GR_T_I64V, w0);
        expect_i(ap1(GR_OP_OUT_NBR, ci(1)), GR_T_I64V, w1);
        expect_i(ap1(GR_OP_OUT_NBR, ci(2)), GR_T_I64V, wself);
        expect_i(ap1(GR_OP_OUT_NBR, ci(-1)), GR_T_I64V, wself);
        expect_i(ap1(GR_OP_OUT_NBR, ci(INT64_MAX)), GR_T_I64V, wself);
    }
    ck_assert_int_eq(ri(ap0(GR_OP_NODE_COUNT)), 4);
    ck_assert_int_eq(ri(ap0(GR_OP_EDGE_COUNT)), 5);
    ck_assert_int_eq(gr_val_type(ap0(GR_OP_NODE_COUNT)), GR_T_I64);
    {
        const double w[] = {2.5, 2.5, 2.5, 2.5};
        const int64_t wb[] = {1, 1, 1, 1};
        const int64_t wi[] = {-4, -4, -4, -4};
        expect_f(ap1(GR_OP_FILL, cf(2.5)), w);
        expect_i(ap1(GR_OP_FILL, cb(1)), GR_T_MASK, wb);
        expect_i(ap1(GR_OP_FILL, ci(-4)), GR_T_I64V, wi);
    }
}
END_TEST

/* The components of the links u - a[u], u - b[u] by min-label propagation
 * until nothing changes (nothing like link's union-find). */
static void slow_link(const int64_t *a, const int64_t *b, int64_t *out, uint32_t n)
{
    uint32_t u;
    int changed = 1, k;
    for (u = 0; u < n; u++) {
        out[u] = u;
    }
    while (changed) {
        changed = 0;
        for (u = 0; u < n; u++) {
            for (k = 0; k < 2; k++) {
                int64_t x = k ? b[u] : a[u], m;
                if (x >= 0 && x < (int64_t)n) {
                    m = out[u] < out[x] ? out[u] : out[x];
                    changed |= out[u] != m || out[x] != m;
                    out[u] = out[x] = m;
                }
            }
        }
    }
}

START_TEST(test_link)
{
    /* links 0-1, 2-3, 4-5, 5-3, 6-7; -1, 9, 8 and INT64_MIN are out of
     * range (n = 8), 4-4 and 7-7 link a node with itself */
    static const int64_t a[] = {1, -1, 9, 2, 4, 4, INT64_MIN, 6};
    static const int64_t b[] = {0, 0, 3, 8, 5, 3, 7, 7};
    static const int64_t want[] = {0, 0, 2, 2, 2, 2, 6, 6};
    const uint32_t n = 40000;
    int64_t *va = malloc(n * sizeof *va), *vb = malloc(n * sizeof *vb);
    int64_t *ref = malloc(n * sizeof *ref), *got = malloc(n * sizeof *got);
    gr_val *idx, *x, *y;
    uint32_t v;
    int th;
    ck_assert(va && vb && ref && got);
    use_nodes(8);
    expect_i(ap2(GR_OP_LINK, vi(a), vi(b)), GR_T_I64V, want);
    expect_i(ap2(GR_OP_LINK, vi(b), vi(a)), GR_T_I64V, want);
    /* long chains, many components, a tenth of the links out of range;
     * above the parallel threshold, so 2 threads link concurrently */
    use_nodes(n);
    idx = ap0(GR_OP_NODE_INDEX);
    x = ap2(GR_OP_MOD, ap2(GR_OP_ADD, ap2(GR_OP_MUL, idx, ci(7919)), ci(13)), ci(44000));
    y = ap3(GR_OP_WHERE, ap2(GR_OP_EQ, ap2(GR_OP_MOD, idx, ci(3)), ci(0)),
            ap2(GR_OP_DIV, idx, ci(2)), ci(-1));
    CHECK_OK(gr_val_read_i64(x, va, n, &E));
    CHECK_OK(gr_val_read_i64(y, vb, n, &E));
    slow_link(va, vb, ref, n);
    for (v = 1, th = 0; v < n; v++) {
        th += ref[v] == v; /* components */
    }
    ck_assert_msg(th > 10 && th < (int)n / 2, "%d components", th);
    for (th = 1; th <= 2; th++) {
        gr_set_threads(th);
        CHECK_OK(gr_val_read_i64(ap2(GR_OP_LINK, x, y), got, n, &E));
        for (v = 0; v < n; v++) {
            ck_assert_msg(got[v] == ref[v], "%d threads: link[%u] = %lld, want %lld", th, v,
                          (long long)got[v], (long long)ref[v]);
        }
    }
    free(va);
    free(vb);
    free(ref);
    free(got);
}
END_TEST

START_TEST(test_gather_scatter)
{
    static const double x[] = {1.5, -2, NAN, 4, 8, 16};
    static const int64_t idx[] = {5, -1, 6, 0, INT64_MIN, 2};
    gr_val *vx, *vidx;
    use_nodes(6);
    vx = vf(x);
    vidx = vi(idx);
    {
        const double want[] = {16, 0, 0, 1.5, 0, NAN};
        expect_f(ap2(GR_OP_GATHER, vx, vidx), want);
    }
    {
        const int64_t xi[] = {10, 11, 12, 13, 14, 15};
        const int64_t want[] = {15, 0, 0, 10, 0, 12};
        expect_i(ap2(GR_OP_GATHER, vi(xi), vidx), GR_T_I64V, want);
        {
            const int64_t xm[] = {1, 0, 1, 0, 0, 0};
            const int64_t wm[] = {0, 0, 0, 1, 0, 1};
            expect_i(ap2(GR_OP_GATHER, vm(xm), vidx), GR_T_MASK, wm);
        }
    }
    {
        /* scatter: out-of-range targets ignored; several u to one target */
        const int64_t to[] = {1, 1, -3, 1, 9, 0};
        const double c[] = {5, -1, 100, NAN, 100, 0.25};
        const double a[] = {3, 2, 1, 0, -1, -2};
        const double wmin[] = {0.25, NAN, 1, 0, -1, -2};
        const double wmax[] = {3, NAN, 1, 0, -1, -2};
        const double wsum[] = {3.25, NAN, 1, 0, -1, -2};
        gr_val *vto = vi(to), *vc = vf(c), *va = vf(a);
        expect_f(ap3(GR_OP_SCATTER_MIN, va, vto, vc), wmin);
        expect_f(ap3(GR_OP_SCATTER_MAX, va, vto, vc), wmax);
        expect_f(ap3(GR_OP_SCATTER_SUM, va, vto, vc), wsum);
    }
    {
        /* f64 scatter_sum adds in increasing u: (((1e16 + 1) + 1) - 1e16) = 0 */
        const int64_t to[] = {0, 0, 0, 0, 0, 0};
        const double c[] = {1e16, 1, 1, -1e16, 0, 0};
        const double a[] = {0, 0, 0, 0, 0, 0};
        const double want[] = {0, 0, 0, 0, 0, 0};
        expect_f(ap3(GR_OP_SCATTER_SUM, vf(a), vi(to), vf(c)), want);
    }
    {
        const int64_t to[] = {2, 2, 2, 0, -1, 5};
        const int64_t c[] = {INT64_MAX, 1, -5, 7, 100, -9};
        const int64_t a[] = {0, 0, 10, 1, 1, 1};
        const int64_t wmin[] = {0, 0, -5, 1, 1, -9};
        const int64_t wmax[] = {7, 0, INT64_MAX, 1, 1, 1};
        const int64_t wsum[] = {7, 0, INT64_MIN + 5, 1, 1, -8};
        gr_val *vto = vi(to), *vc = vi(c), *va = vi(a);
        expect_i(ap3(GR_OP_SCATTER_MIN, va, vto, vc), GR_T_I64V, wmin);
        expect_i(ap3(GR_OP_SCATTER_MAX, va, vto, vc), GR_T_I64V, wmax);
        expect_i(ap3(GR_OP_SCATTER_SUM, va, vto, vc), GR_T_I64V, wsum);
        {
            /* i64 values into an f64 vector are converted */
            const double af[] = {0.5, 0, 0, 0, 0, 0};
            const double want[] = {7.5, 0, 9223372036854775808.0 + 1 - 5, 0, 0, -9};
            expect_f(ap3(GR_OP_SCATTER_SUM, vf(af), vto, vc), want);
        }
    }
}
END_TEST

/* ---- reductions ---------------------------------------------------------------- */

START_TEST(test_reductions)
{
    static const double x[] = {1, -2, 0, 3.5, 0, 4};
    static const double xn[] = {1, NAN, 0, -7, 0, 4};
    static const int64_t xi[] = {INT64_MAX, 1, 0, -4, 0, 2};
    static const int64_t xm[] = {0, 1, 1, 0, 0, 1};
    static const int64_t ones[] = {1, 1, 1, 1, 1, 1};
    use_nodes(6);
    ck_assert(same(rf(ap1(GR_OP_REDUCE_SUM, vf(x))), 6.5));
    ck_assert(same(rf(ap1(GR_OP_REDUCE_MIN, vf(x))), -2));
    ck_assert(same(rf(ap1(GR_OP_REDUCE_MAX, vf(x))), 4));
    ck_assert(same(rf(ap1(GR_OP_REDUCE_MEAN, vf(x))), 6.5 / 6));
    ck_assert_int_eq(ri(ap1(GR_OP_COUNT, vf(x))), 4);
    ck_assert(isnan(rf(ap1(GR_OP_REDUCE_MIN, vf(xn)))));
    ck_assert(isnan(rf(ap1(GR_OP_REDUCE_MAX, vf(xn)))));
    ck_assert(isnan(rf(ap1(GR_OP_REDUCE_SUM, vf(xn)))));
    ck_assert_int_eq(ri(ap1(GR_OP_COUNT, vf(xn))), 4); /* NaN is true */
    ck_assert_int_eq(ri(ap1(GR_OP_REDUCE_SUM, vi(xi))), INT64_MAX - 1); /* wraps */
    ck_assert_int_eq(gr_val_type(ap1(GR_OP_REDUCE_SUM, vi(xi))), GR_T_I64);
    ck_assert_int_eq(ri(ap1(GR_OP_REDUCE_MIN, vi(xi))), -4);
    ck_assert_int_eq(ri(ap1(GR_OP_REDUCE_MAX, vi(xi))), INT64_MAX);
    ck_assert(same(rf(ap1(GR_OP_REDUCE_MEAN, vi(ones))), 1.0));
    ck_assert_int_eq(ri(ap1(GR_OP_COUNT, vm(xm))), 3);
    ck_assert_int_eq(ri(ap1(GR_OP_ANY, vm(xm))), 1);
    ck_assert_int_eq(ri(ap1(GR_OP_ALL, vm(xm))), 0);
    ck_assert_int_eq(ri(ap1(GR_OP_ALL, vm(ones))), 1);
    ck_assert_int_eq(ri(ap1(GR_OP_ANY, ap1(GR_OP_NOT, vm(ones)))), 0);
    ck_assert_int_eq(gr_val_type(ap1(GR_OP_ANY, vm(xm))), GR_T_BOOL);
    {
        static const double y[] = {2, -2, 1, 0.5, 0, -4};
        ck_assert(same(rf(ap2(GR_OP_DIST_L1, vf(x), vf(y))), 1 + 0 + 1 + 3 + 0 + 8));
        ck_assert(same(rf(ap2(GR_OP_DIST_LINF, vf(x), vf(y))), 8));
        ck_assert(isnan(rf(ap2(GR_OP_DIST_LINF, vf(xn), vf(y)))));
        ck_assert(isnan(rf(ap2(GR_OP_DIST_L1, vf(y), vf(xn)))));
        ck_assert(same(rf(ap2(GR_OP_DIST_L1, vi(ones), vf(y))), 1 + 3 + 0 + 0.5 + 1 + 5));
    }
}
END_TEST

/* f64 sums are blocked: 4096-element blocks from 0.0, partials in order. */
START_TEST(test_reduce_blocked)
{
    uint32_t n = 3 * 4096 + 77, v, b;
    gr_val *x;
    double *xs, want = 0.0, wl1 = 0.0;
    use_nodes(n);
    xs = malloc(n * sizeof *xs);
    /* values whose sum depends on the association */
    x = ap1(GR_OP_RECIP, ap2(GR_OP_ADD, ap0(GR_OP_NODE_INDEX), cf(0.1)));
    x = ap2(GR_OP_MUL, x, ap1(GR_OP_FILL, cf(1e3)));
    CHECK_OK(gr_val_read_f64(x, xs, n, &E));
    for (b = 0; b * 4096 < n; b++) {
        double s = 0.0, sl = 0.0;
        for (v = b * 4096; v < n && v < (b + 1) * 4096; v++) {
            s += xs[v];
            sl += fabs(xs[v] - 1.0);
        }
        want += s;
        wl1 += sl;
    }
    ck_assert(same(rf(ap1(GR_OP_REDUCE_SUM, x)), want));
    ck_assert(same(rf(ap1(GR_OP_REDUCE_MEAN, x)), want / n));
    ck_assert(same(rf(ap2(GR_OP_DIST_L1, x, ap1(GR_OP_FILL, cf(1.0)))), wl1));
    free(xs);
}
END_TEST

/* ---- neighbour aggregation ------------------------------------------------------ */

START_TEST(test_agg_examples)
{
    static const double x[] = {10, 20, 30, 40, 50};
    gr_val *vx;
    use_graph(tu_graph(5, AGG_E, 6, AGG_W, 0));
    vx = vf(x);
    {
        const double in_sum[] = {40, 70, 0, 20, 0};
        const double out_sum[] = {40, 60, 20, 10, 0};
        const double both_sum[] = {80, 110, 20, 30, 0};
        const double in_self[] = {50, 90, 30, 60, 50};
        const double in_min[] = {40, 10, INFINITY, 20, INFINITY};
        const double in_max[] = {40, 30, -INFINITY, 20, -INFINITY};
        const double in_mean[] = {40, 17.5, 0, 20, 0};
        const double in_addw[] = {53, 87, 0, 31, 0};
        const double in_mulw[] = {520, 360, 0, 220, 0};
        const double in_w[] = {13, 17, 0, 11, 0};
        const double min_addw_self[] = {10, 12, 30, 31, 50};
        expect_f(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, vx), in_sum);
        expect_f(agg(GR_DIR_OUT, GR_MON_SUM, GR_MSG_X, 0, vx), out_sum);
        expect_f(agg(GR_DIR_BOTH, GR_MON_SUM, GR_MSG_X, 0, vx), both_sum);
        expect_f(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 1, vx), in_self);
        expect_f(agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_X, 0, vx), in_min);
        expect_f(agg(GR_DIR_IN, GR_MON_MAX, GR_MSG_X, 0, vx), in_max);
        expect_f(agg(GR_DIR_IN, GR_MON_MEAN, GR_MSG_X, 0, vx), in_mean);
        expect_f(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_ADD_W, 0, vx), in_addw);
        expect_f(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_MUL_W, 0, vx), in_mulw);
        expect_f(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_W, 0, vx), in_w);
        /* self: the own value x[v] itself, not x[v] + w */
        expect_f(agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_ADD_W, 1, vx), min_addw_self);
    }
    {
        /* min and max: a NaN message makes the result NaN; +inf beside -inf
         * (whose sum is NaN, agg.c's cue to look again) does not */
        static const double xn[] = {NAN, 5, 7, -INFINITY, 1};
        static const double xi[] = {INFINITY, 5, -INFINITY, 1, 2};
        const double min_n[] = {-INFINITY, NAN, INFINITY, 5, INFINITY};
        const double max_n[] = {-INFINITY, NAN, -INFINITY, 5, -INFINITY};
        const double min_i[] = {1, -INFINITY, INFINITY, 5, INFINITY};
        const double max_i[] = {1, INFINITY, -INFINITY, 5, -INFINITY};
        const double both_min_n[] = {-INFINITY, NAN, 5, NAN, INFINITY};
        const double both_min_i[] = {1, -INFINITY, 5, 5, INFINITY};
        const double both_max_i[] = {5, INFINITY, 5, INFINITY, -INFINITY};
        gr_val *vn = vf(xn), *vi2 = vf(xi);
        expect_f(agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_X, 0, vn), min_n);
        expect_f(agg(GR_DIR_IN, GR_MON_MAX, GR_MSG_X, 0, vn), max_n);
        expect_f(agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_X, 0, vi2), min_i);
        expect_f(agg(GR_DIR_IN, GR_MON_MAX, GR_MSG_X, 0, vi2), max_i);
        expect_f(agg(GR_DIR_BOTH, GR_MON_MIN, GR_MSG_X, 0, vn), both_min_n);
        expect_f(agg(GR_DIR_BOTH, GR_MON_MIN, GR_MSG_X, 0, vi2), both_min_i);
        expect_f(agg(GR_DIR_BOTH, GR_MON_MAX, GR_MSG_X, 0, vi2), both_max_i);
    }
    {
        /* a self-loop counts once in both (and once in each of in, out) */
        const int64_t ones[] = {1, 1, 1, 1, 1};
        const int64_t both[] = {3, 5, 1, 2, 0};
        const int64_t in[] = {1, 4, 0, 1, 0};
        const int64_t out[] = {2, 2, 1, 1, 0};
        const int64_t zero_x[] = {0, 1, 1, 1, 1};
        const int64_t in_nz[] = {1, 2, 0, 1, 0};
        expect_i(agg(GR_DIR_BOTH, GR_MON_COUNT, GR_MSG_X, 0, vi(ones)), GR_T_I64V, both);
        expect_i(agg(GR_DIR_IN, GR_MON_COUNT, GR_MSG_X, 0, vi(ones)), GR_T_I64V, in);
        expect_i(agg(GR_DIR_OUT, GR_MON_COUNT, GR_MSG_X, 0, vi(ones)), GR_T_I64V, out);
        /* count counts non-zero messages */
        expect_i(agg(GR_DIR_IN, GR_MON_COUNT, GR_MSG_X, 0, vi(zero_x)), GR_T_I64V, in_nz);
    }
    {
        const int64_t lab[] = {1, 2, 1, 2, 9};
        const int64_t in_mode[] = {2, 1, 1, 2, 9};
        const int64_t both_mode[] = {2, 1, 2, 1, 9};
        const int64_t both_mode_self[] = {2, 1, 1, 2, 9};
        expect_i(agg(GR_DIR_IN, GR_MON_MODE, GR_MSG_X, 0, vi(lab)), GR_T_I64V, in_mode);
        expect_i(agg(GR_DIR_BOTH, GR_MON_MODE, GR_MSG_X, 0, vi(lab)), GR_T_I64V, both_mode);
        expect_i(agg(GR_DIR_BOTH, GR_MON_MODE, GR_MSG_X, 1, vi(lab)), GR_T_I64V,
                 both_mode_self);
    }
    {
        const int64_t front[] = {1, 0, 0, 0, 0};
        const int64_t in_any[] = {0, 1, 0, 0, 0};
        const int64_t out_any[] = {0, 0, 0, 1, 0};
        expect_i(agg(GR_DIR_IN, GR_MON_ANY, GR_MSG_X, 0, vm(front)), GR_T_MASK, in_any);
        expect_i(agg(GR_DIR_OUT, GR_MON_ANY, GR_MSG_X, 0, vm(front)), GR_T_MASK, out_any);
    }
    {
        const double xn[] = {NAN, 20, 30, 40, 50};
        const double in_min[] = {40, NAN, INFINITY, 20, INFINITY};
        const int64_t big[] = {INT64_MAX, 1, 0, 0, 0};
        const int64_t in_sum[] = {0, -1, 0, 1, 0};
        const int64_t in_min_i[] = {0, 0, INT64_MAX, 1, INT64_MAX};
        const int64_t in_max_i[] = {0, INT64_MAX, INT64_MIN, 1, INT64_MIN};
        expect_f(agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_X, 0, vf(xn)), in_min);
        expect_i(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, vi(big)), GR_T_I64V, in_sum);
        expect_i(agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_X, 0, vi(big)), GR_T_I64V, in_min_i);
        expect_i(agg(GR_DIR_IN, GR_MON_MAX, GR_MSG_X, 0, vi(big)), GR_T_I64V, in_max_i);
    }
    /* unweighted: w = 1.0 */
    use_graph(tu_graph(5, AGG_E, 6, NULL, 0));
    vx = vf(x);
    {
        const double in_w[] = {1, 4, 0, 1, 0};
        const double in_addw[] = {41, 74, 0, 21, 0};
        const double in_mulw[] = {40, 70, 0, 20, 0};
        expect_f(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_W, 0, vx), in_w);
        expect_f(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_ADD_W, 0, vx), in_addw);
        expect_f(agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_MUL_W, 0, vx), in_mulw);
    }
}
END_TEST

/* The slow reference: collect each node's messages in the documented
 * order, then combine them. */
static void ref_agg(const gr_graph *g, gr_dir dir, gr_monoid mon, gr_msg msg, int self,
                    gr_type xt, const double *xf, const int64_t *xi, gr_type rt, double *of,
                    int64_t *oi)
{
    uint32_t v;
    gr_type m = msg == GR_MSG_X ? gr_type_elem(xt) : GR_T_F64;
    double *mf = malloc((g->m + 1) * sizeof *mf);
    int64_t *mi = malloc((g->m + 1) * sizeof *mi);
    for (v = 0; v < g->n; v++) {
        size_t nm = 0, k, kk;
        uint64_t j;
        if (self) {
            mf[nm] = xf[v];
            mi[nm++] = gr_type_elem(xt) == GR_T_F64 ? gr_f2i(xf[v]) : xi[v];
        }
        for (int pass = 0; pass < 2; pass++) {
            const uint64_t *off = pass ? g->out_off : g->in_off;
            const uint32_t *adj = pass ? g->out_adj : g->in_adj;
            const double *w = pass ? g->out_w : g->in_w;
            if ((pass == 0 && dir == GR_DIR_OUT) || (pass == 1 && dir == GR_DIR_IN)) {
                continue;
            }
            for (j = off[v]; j < off[v + 1]; j++) {
                uint32_t u = adj[j];
                double wt = w ? w[j] : 1.0, f;
                if (pass == 1 && dir == GR_DIR_BOTH && u == v) {
                    continue;
                }
                switch (msg) {
                case GR_MSG_X: f = xf[u]; break;
                case GR_MSG_ADD_W: f = xf[u] + wt; break;
                case GR_MSG_MUL_W: f = xf[u] * wt; break;
                default: f = wt; break;
                }
                mf[nm] = f;
                mi[nm++] = msg == GR_MSG_X && m != GR_T_F64 ? xi[u] : gr_f2i(f);
            }
        }
        switch (mon) {
        case GR_MON_SUM:
            if (m == GR_T_F64) {
                double s = 0.0;
                for (k = 0; k < nm; k++) {
                    s += mf[k];
                }
                of[v] = s;
            } else {
                uint64_t s = 0;
                for (k = 0; k < nm; k++) {
                    s += (uint64_t)mi[k];
                }
                oi[v] = (int64_t)s;
            }
            break;
        case GR_MON_MIN:
        case GR_MON_MAX: {
            int mx = mon == GR_MON_MAX;
            if (m == GR_T_F64) {
                double s = mx ? -INFINITY : INFINITY;
                for (k = 0; k < nm; k++) {
                    s = mx ? gr_fmax(s, mf[k]) : gr_fmin(s, mf[k]);
                }
                of[v] = s;
            } else {
                int64_t s = mx ? INT64_MIN : INT64_MAX;
                for (k = 0; k < nm; k++) {
                    s = mx ? (mi[k] > s ? mi[k] : s) : (mi[k] < s ? mi[k] : s);
                }
                oi[v] = s;
            }
            break;
        }
        case GR_MON_MEAN: {
            double s = 0.0;
            for (k = 0; k < nm; k++) {
                s += mf[k];
            }
            of[v] = nm ? s / (double)nm : 0.0;
            break;
        }
        case GR_MON_COUNT:
            oi[v] = 0;
            for (k = 0; k < nm; k++) {
                oi[v] += m == GR_T_F64 ? mf[k] != 0 : mi[k] != 0;
            }
            break;
        case GR_MON_ANY:
            oi[v] = 0;
            for (k = 0; k < nm; k++) {
                oi[v] |= mi[k] != 0;
            }
            break;
        default: { /* mode: quadratic, obviously right */
            int64_t best = xi[v];
            size_t bestc = 0;
            for (k = 0; k < nm; k++) {
                size_t c = 0;
                for (kk = 0; kk < nm; kk++) {
                    c += mi[kk] == mi[k];
                }
                if (c > bestc || (c == bestc && mi[k] < best)) {
                    bestc = c;
                    best = mi[k];
                }
            }
            oi[v] = best;
            break;
        }
        }
        (void)rt;
    }
    free(mf);
    free(mi);
}

/* Every direction x monoid x message x self x operand type the typing
 * rules allow, against the reference, on weighted and unweighted graphs
 * with self-loops, parallel edges and isolated nodes. */
START_TEST(test_agg_all_combinations)
{
    int weighted, ncombos = 0;
    for (weighted = 0; weighted < 2; weighted++) {
        gr_val *xs[3];
        double *xf, *gf, *wf;
        int64_t *xi, *gi, *wi;
        uint32_t n, v;
        int t, d, mo, ms, self;
        use_graph(tu_random_graph(60, 240, 11 + weighted, weighted, 0));
        n = G->n;
        xf = malloc(n * sizeof *xf);
        gf = malloc(n * sizeof *gf);
        wf = malloc(n * sizeof *wf);
        xi = malloc(n * sizeof *xi);
        gi = malloc(n * sizeof *gi);
        wi = malloc(n * sizeof *wi);
        /* f64v: varied, with zeros, negatives and a NaN; i64v: few labels
         * (mode ties); mask: every third node */
        {
            gr_val *idx = ap0(GR_OP_NODE_INDEX);
            gr_val *fx = ap2(GR_OP_SUB, ap2(GR_OP_MUL, ap1(GR_OP_TO_F64, ap2(GR_OP_MOD, idx, ci(7))),
                                            cf(0.7)), cf(1.4));
            xs[0] = ap3(GR_OP_WHERE, ap2(GR_OP_EQ, idx, ci(17)), cf(NAN), fx);
            xs[1] = ap2(GR_OP_SUB, ap2(GR_OP_MOD, ap2(GR_OP_MUL, idx, ci(7)), ci(5)), ci(2));
            xs[2] = ap2(GR_OP_EQ, ap2(GR_OP_MOD, idx, ci(3)), ci(0));
        }
        for (t = 0; t < 3; t++) {
            gr_type xt = gr_val_type(xs[t]);
            CHECK_OK(gr_val_read_f64(xs[t], xf, n, &E));
            if (t > 0) {
                CHECK_OK(gr_val_read_i64(xs[t], xi, n, &E));
            } else {
                for (v = 0; v < n; v++) {
                    xi[v] = gr_f2i(xf[v]);
                }
            }
            for (d = 0; d <= GR_DIR_BOTH; d++)
            for (mo = 0; mo <= GR_MON_MODE; mo++)
            for (ms = 0; ms <= GR_MSG_W; ms++)
            for (self = 0; self < 2; self++) {
                char why[256];
                gr_type rt = gr_agg_result_type(mo, ms, xt, why, sizeof why);
                gr_val *r = NULL;
                if (rt == GR_T_NONE) {
                    gr_error_clear(&E);
                    ck_assert_int_eq(gr_step_agg(C, d, mo, ms, self, xs[t], &r, &E), GR_ERR_TYPE);
                    ck_assert_str_eq(E.msg, why);
                    ck_assert_ptr_null(r);
                    continue;
                }
                CHECK_OK(gr_step_agg(C, d, mo, ms, self, xs[t], &r, &E));
                ck_assert_int_eq(gr_val_type(r), rt);
                ref_agg(G, d, mo, ms, self, xt, xf, xi, rt, wf, wi);
                if (gr_type_elem(rt) == GR_T_F64) {
                    CHECK_OK(gr_val_read_f64(r, gf, n, &E));
                    for (v = 0; v < n; v++) {
                        ck_assert_msg(same(gf[v], wf[v]), "%s %s %s self=%d x=%s node %u: %.17g != %.17g",
                                      gr_dir_name(d), gr_monoid_name(mo), gr_msg_name(ms), self,
                                      gr_type_name(xt), v, gf[v], wf[v]);
                    }
                } else {
                    CHECK_OK(gr_val_read_i64(r, gi, n, &E));
                    for (v = 0; v < n; v++) {
                        ck_assert_msg(gi[v] == wi[v], "%s %s %s self=%d x=%s node %u: %lld != %lld",
                                      gr_dir_name(d), gr_monoid_name(mo), gr_msg_name(ms), self,
                                      gr_type_name(xt), v, (long long)gi[v], (long long)wi[v]);
                    }
                }
                gr_val_free(&r);
                ncombos++;
            }
        }
        free(xf);
        free(gf);
        free(wf);
        free(xi);
        free(gi);
        free(wi);
    }
    ck_assert_int_gt(ncombos, 100);
}
END_TEST

/* ---- thread-count independence ---------------------------------------------------- */

#define NRES 20

/* Results of a fixed set of ops on G, read into out[k] (n doubles each). */
static int thread_run(double **out)
{
    gr_val *idx = ap0(GR_OP_NODE_INDEX), *x, *y, *lab;
    gr_val *r[NRES];
    int k, nr = 0;
    x = ap1(GR_OP_RECIP, ap2(GR_OP_ADD, ap2(GR_OP_MUL, idx, cf(0.37)), cf(0.1)));
    y = ap1(GR_OP_SQRT, ap1(GR_OP_TO_F64, idx));
    lab = ap2(GR_OP_MOD, ap2(GR_OP_MUL, idx, ci(7919)), ci(97));
    r[nr++] = agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, x);
    r[nr++] = agg(GR_DIR_OUT, GR_MON_SUM, GR_MSG_MUL_W, 0, x);
    r[nr++] = agg(GR_DIR_BOTH, GR_MON_SUM, GR_MSG_ADD_W, 1, x);
    r[nr++] = agg(GR_DIR_BOTH, GR_MON_MEAN, GR_MSG_X, 0, y);
    r[nr++] = agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_ADD_W, 0, y);
    r[nr++] = ap1(GR_OP_TO_F64, agg(GR_DIR_BOTH, GR_MON_MODE, GR_MSG_X, 0, lab));
    r[nr++] = ap1(GR_OP_TO_F64, ap3(GR_OP_SCATTER_MIN, lab, lab, idx));
    r[nr++] = ap3(GR_OP_SCATTER_SUM, x, lab, y);
    r[nr++] = ap2(GR_OP_ADD, x, y);
    r[nr++] = ap1(GR_OP_FILL, ap1(GR_OP_REDUCE_SUM, x));
    r[nr++] = ap1(GR_OP_FILL, ap1(GR_OP_REDUCE_MEAN, y));
    r[nr++] = ap1(GR_OP_FILL, ap2(GR_OP_DIST_L1, x, y));
    r[nr++] = ap1(GR_OP_FILL, ap2(GR_OP_DIST_LINF, x, y));
    r[nr++] = ap1(GR_OP_FILL, ap1(GR_OP_REDUCE_MIN, x));
    r[nr++] = ap1(GR_OP_FILL, ap1(GR_OP_TO_F64, ap1(GR_OP_REDUCE_SUM, lab)));
    r[nr++] = ap1(GR_OP_TO_F64, ap2(GR_OP_LINK, ap1(GR_OP_OUT_NBR, ci(0)),
                                    ap1(GR_OP_OUT_NBR, ci(1))));
    r[nr++] = ap1(GR_OP_TO_F64, ap2(GR_OP_LINK, lab, ap1(GR_OP_OUT_NBR, ci(2))));
    for (k = 0; k < nr; k++) {
        CHECK_OK(gr_val_read_f64(r[k], out[k], G->n, &E));
    }
    return nr;
}

START_TEST(test_thread_independence)
{
    double *a[NRES], *b[NRES];
    int k, nr;
    uint32_t v;
    use_graph(tu_random_graph(20000, 100000, 5, 1, 0));
    for (k = 0; k < NRES; k++) {
        a[k] = malloc(G->n * sizeof **a);
        b[k] = malloc(G->n * sizeof **b);
    }
    gr_set_threads(1);
    nr = thread_run(a);
    gr_set_threads(2);
    ck_assert_int_eq(thread_run(b), nr);
    for (k = 0; k < nr; k++) {
        ck_assert_msg(memcmp(a[k], b[k], G->n * sizeof **a) == 0, "result %d differs", k);
    }
    /* and on a skewed, symmetrized graph (hub rows) */
    use_graph(tu_skewed_graph(20000, 150000, 9, 1, GR_BUILD_SYMMETRIZE));
    gr_set_threads(1);
    nr = thread_run(a);
    gr_set_threads(2);
    thread_run(b);
    for (k = 0; k < nr; k++) {
        for (v = 0; v < G->n; v++) {
            ck_assert_msg(same(a[k][v], b[k][v]), "skewed: result %d node %u", k, v);
        }
    }
    for (k = 0; k < NRES; k++) {
        free(a[k]);
        free(b[k]);
    }
}
END_TEST

/* ---- API validation, exact messages ------------------------------------------------- */

/* Apply op and expect failure with code and message; *out must be NULL. */
static void expect_fail(gr_opcode op, gr_val **args, int nargs, int code, const char *msg)
{
    gr_val *r = (gr_val *)&r; /* not NULL: the call must clear it */
    gr_error_clear(&E);
    ck_assert_int_eq(gr_step_apply(C, op, args, nargs, &r, &E), code);
    ck_assert_int_eq(E.code, code);
    ck_assert_str_eq(E.msg, msg);
    ck_assert_ptr_null(r);
}

START_TEST(test_validation)
{
    gr_val *a, *b, *m, *args[3];
    gr_ctx *c3 = NULL;
    gr_graph *g3 = tu_graph(3, NULL, 0, NULL, 0);
    gr_val *small = NULL, *r = NULL;
    gr_type in[2];
    char why[256];
    double d[4];
    int64_t iv;

    use_nodes(5);
    a = ap1(GR_OP_FILL, cf(1.5));
    b = ap0(GR_OP_NODE_INDEX);
    m = ap2(GR_OP_LT, b, ci(2));

    /* arity */
    args[0] = a;
    args[1] = b;
    args[2] = m;
    expect_fail(GR_OP_ADD, args, 1, GR_ERR_INVALID, "add takes 2 operands, got 1");
    expect_fail(GR_OP_NOT, args, 2, GR_ERR_INVALID, "not takes 1 operand, got 2");
    expect_fail(GR_OP_WHERE, args, 0, GR_ERR_INVALID, "where takes 3 operands, got 0");
    expect_fail(GR_OP_NODE_COUNT, args, 1, GR_ERR_INVALID, "node_count takes 0 operands, got 1");

    /* types: the typing rule's own reason */
    args[0] = m;
    args[1] = a;
    in[0] = GR_T_MASK;
    in[1] = GR_T_F64V;
    ck_assert_int_eq(gr_op_result_type(GR_OP_ADD, in, 2, why, sizeof why), GR_T_NONE);
    ck_assert_str_eq(why, "operand 1 of add is a mask; use to_i64() or to_f64()");
    expect_fail(GR_OP_ADD, args, 2, GR_ERR_TYPE, why);
    args[0] = a;
    args[1] = a;
    in[0] = in[1] = GR_T_F64V;
    gr_op_result_type(GR_OP_AND, in, 2, why, sizeof why);
    expect_fail(GR_OP_AND, args, 2, GR_ERR_TYPE, why);
    args[1] = a;
    gr_op_result_type(GR_OP_GATHER, in, 2, why, sizeof why);
    expect_fail(GR_OP_GATHER, args, 2, GR_ERR_TYPE, why);
    in[0] = GR_T_MASK;
    args[0] = m;
    gr_op_result_type(GR_OP_REDUCE_SUM, in, 1, why, sizeof why);
    expect_fail(GR_OP_REDUCE_SUM, args, 1, GR_ERR_TYPE,
                "operand 1 of reduce_sum is a mask; use count(), any() or all(), or to_i64() first");

    /* lengths: a value from a context on another graph */
    CHECK_OK(gr_ctx_new(g3, &c3, &E));
    CHECK_OK(gr_step_apply(c3, GR_OP_NODE_INDEX, NULL, 0, &small, &E));
    args[0] = b;
    args[1] = small;
    expect_fail(GR_OP_ADD, args, 2, GR_ERR_INVALID,
                "operand 2 of add has 3 elements; the graph has 5 nodes");
    gr_error_clear(&E);
    ck_assert_int_eq(gr_step_agg(C, GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, small, &r, &E),
                     GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "operand 1 of agg has 3 elements; the graph has 5 nodes");
    gr_val_free(&small);
    gr_ctx_free(&c3);
    gr_graph_free(&g3);

    /* ops that are not applied */
    expect_fail(GR_OP_CONST, NULL, 0, GR_ERR_INVALID,
                "gr_step_apply: const is not applied by gr_step_apply (use gr_step_const_*)");
    args[0] = a;
    expect_fail(GR_OP_AGG, args, 1, GR_ERR_INVALID,
                "gr_step_apply: agg is not applied by gr_step_apply (use gr_step_agg)");
    expect_fail(GR_OP_LOOP, args, 1, GR_ERR_INVALID,
                "gr_step_apply: loop is not applied by gr_step_apply (gr_step_run handles it)");
    expect_fail(GR_OP_PARAM, NULL, 0, GR_ERR_INVALID,
                "gr_step_apply: param is not applied by gr_step_apply (gr_step_run handles it)");
    expect_fail((gr_opcode)999, args, 1, GR_ERR_INVALID, "gr_step_apply: invalid opcode 999");
    expect_fail((gr_opcode)-1, args, 1, GR_ERR_INVALID, "gr_step_apply: invalid opcode -1");
    args[0] = a;
    args[1] = NULL;
    expect_fail(GR_OP_ADD, args, 2, GR_ERR_INVALID, "operand 2 of add is NULL");
    expect_fail(GR_OP_ADD, NULL, 2, GR_ERR_INVALID, "operand 1 of add is NULL");
    gr_error_clear(&E);
    ck_assert_int_eq(gr_step_apply(NULL, GR_OP_NODE_INDEX, NULL, 0, &r, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "gr_step_apply: context is NULL");

    /* aggregation */
    gr_error_clear(&E);
    ck_assert_int_eq(gr_step_agg(C, GR_DIR_IN, GR_MON_MODE, GR_MSG_X, 0, a, &r, &E), GR_ERR_TYPE);
    gr_agg_result_type(GR_MON_MODE, GR_MSG_X, GR_T_F64V, why, sizeof why);
    ck_assert_str_eq(E.msg, why);
    ck_assert_ptr_null(r);
    gr_error_clear(&E);
    ck_assert_int_eq(gr_step_agg(C, GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, cf(1), &r, &E),
                     GR_ERR_TYPE);
    ck_assert_str_eq(E.msg, "operand 1 of agg is an f64; expected a vector");
    gr_error_clear(&E);
    ck_assert_int_eq(gr_step_agg(C, (gr_dir)7, GR_MON_SUM, GR_MSG_X, 0, a, &r, &E),
                     GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "agg: invalid direction 7");
    gr_error_clear(&E);
    ck_assert_int_eq(gr_step_agg(C, GR_DIR_IN, (gr_monoid)9, GR_MSG_X, 0, a, &r, &E),
                     GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "agg: invalid monoid 9");

    /* reading */
    gr_error_clear(&E);
    ck_assert_int_eq(gr_val_read_f64(a, d, 4, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "gr_val_read_f64: the value has 5 elements, asked for 4");
    gr_error_clear(&E);
    ck_assert_int_eq(gr_val_read_i64(a, &iv, 1, &E), GR_ERR_TYPE);
    ck_assert_str_eq(E.msg, "gr_val_read_i64: the value is f64v; read it with gr_val_read_f64");
    gr_error_clear(&E);
    ck_assert_int_eq(gr_val_read_i64(ci(3), &iv, 2, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "gr_val_read_i64: the value has 1 element, asked for 2");
    ck_assert_int_eq(gr_val_type(NULL), GR_T_NONE);
    ck_assert(same(rf(cb(1)), 1.0));

    /* contexts */
    gr_error_clear(&E);
    ck_assert_int_eq(gr_ctx_new(NULL, &c3, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "gr_ctx_new: graph is NULL");
    ck_assert_ptr_null(c3);
    gr_ctx_free(&c3);
    gr_val_free(&r);
}
END_TEST

/* ---- print ---------------------------------------------------------------------------- */

/* Run fn with stderr redirected to a file; return what it wrote (static). */
static const char *capture_stderr(void (*fn)(void))
{
    static char buf[4096];
    char path[] = "/tmp/grstep-XXXXXX";
    int fd = mkstemp(path), saved;
    ssize_t got;
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    saved = dup(2);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    got = read(fd, buf, sizeof buf - 1);
    buf[got > 0 ? got : 0] = '\0';
    close(fd);
    unlink(path);
    return buf;
}

static void print_some(void)
{
    static const double x[] = {1, 2.5, NAN, -INFINITY, 0.1, 6, 7, 8, 9};
    gr_val *args[1], *r = (gr_val *)&r;
    args[0] = vf(x);
    CHECK_OK(gr_step_apply(C, GR_OP_PRINT, args, 1, &r, &E));
    ck_assert_ptr_null(r);
    args[0] = ap2(GR_OP_LT, ap0(GR_OP_NODE_INDEX), ci(3));
    CHECK_OK(gr_step_apply(C, GR_OP_PRINT, args, 1, NULL, &E));
    args[0] = ci(-42);
    CHECK_OK(gr_step_apply(C, GR_OP_PRINT, args, 1, NULL, &E));
    args[0] = cb(1);
    CHECK_OK(gr_step_apply(C, GR_OP_PRINT, args, 1, NULL, &E));
    args[0] = cf(0.1);
    CHECK_OK(gr_step_apply(C, GR_OP_PRINT, args, 1, NULL, &E));
}

START_TEST(test_print)
{
    use_nodes(9);
    ck_assert_str_eq(capture_stderr(print_some),
                     "f64v[9] 1 2.5 nan -inf 0.10000000000000001 6 7 8 ...\n"
                     "mask[9] 1 1 1 0 0 0 0 0 ...\n"
                     "i64 -42\n"
                     "bool true\n"
                     "f64 0.10000000000000001\n");
}
END_TEST

/* ---- gr_step_run ---------------------------------------------------------------------- */

static gr_builder *B;

static gr_vid bf(double v)
{
    gr_vid r;
    CHECK_OK(gr_builder_const_f64(B, v, &r, &E));
    return r;
}

static gr_vid bi(int64_t v)
{
    gr_vid r;
    CHECK_OK(gr_builder_const_i64(B, v, &r, &E));
    return r;
}

static gr_vid bop(gr_opcode op, gr_vid a, gr_vid b, gr_vid c)
{
    gr_vid args[3] = {a, b, c}, r = -1;
    CHECK_OK(gr_builder_op(B, op, args, gr_op_info(op)->nargs, &r, &E));
    return r;
}

static void bnew(const char *name)
{
    CHECK_OK(gr_builder_new(name, &B, &E));
}

static gr_program *bdone(int n, const gr_vid *vals, const char *const *names)
{
    gr_program *p = NULL;
    CHECK_OK(gr_builder_return(B, n, vals, names, &E));
    CHECK_OK(gr_builder_finish(B, &p, &E));
    gr_builder_free(&B);
    return p;
}

/* loop helpers: one carried value */
static gr_vid bloop1(gr_loop_kind k, gr_vid max_iter, gr_vid tol, gr_vid init)
{
    gr_vid inner;
    CHECK_OK(gr_builder_loop_begin(B, k, max_iter, tol, 1, &init, 0, &inner, &E));
    return inner;
}

static gr_vid bend1(gr_vid next)
{
    gr_vid res;
    CHECK_OK(gr_builder_loop_end(B, &next, &res, &E));
    return res;
}

static void run_ok(gr_program *p, const gr_params *ps, gr_result *res)
{
    gr_error_clear(&E);
    ck_assert_msg(gr_step_run(C, p, ps, res, &E) == GR_OK, "gr_step_run: %s", E.msg);
}

START_TEST(test_run_straight)
{
    gr_vid x, y, s, outs[2];
    const char *names[] = {"y", "total"};
    gr_program *p;
    gr_result res;
    use_nodes(4);
    bnew("straight");
    x = bop(GR_OP_FILL, bf(2.5), -1, -1);
    y = bop(GR_OP_MUL, x, bop(GR_OP_NODE_INDEX, -1, -1, -1), -1);
    s = bop(GR_OP_REDUCE_SUM, y, -1, -1);
    outs[0] = y;
    outs[1] = s;
    p = bdone(2, outs, names);
    run_ok(p, NULL, &res);
    ck_assert_int_eq(res.nout, 2);
    ck_assert_str_eq(res.out[0].name, "y");
    ck_assert_int_eq(res.out[0].type, GR_T_F64V);
    ck_assert_uint_eq(res.out[0].len, 4);
    ck_assert(same(res.out[0].f64[3], 7.5));
    ck_assert_ptr_null(res.out[0].i64);
    ck_assert_str_eq(res.out[1].name, "total");
    ck_assert_uint_eq(res.out[1].len, 1);
    ck_assert(same(res.out[1].f64[0], 15.0));
    ck_assert_int_eq(res.iters, 0);
    ck_assert_int_eq(res.ops, gr_program_op_count(p));
    gr_result_release(&res);
    gr_result_release(&res); /* twice is fine */
    ck_assert_int_eq(res.nout, 0);
    gr_program_free(&p);
}
END_TEST

START_TEST(test_run_repeat)
{
    gr_vid n, s, in, out;
    gr_program *p;
    gr_params *ps = NULL;
    gr_result res;
    use_nodes(3);
    bnew("rep");
    CHECK_OK(gr_builder_param(B, "n", GR_T_I64, 0, 5, &n, &E));
    s = bi(0);
    in = bloop1(GR_LOOP_REPEAT, n, -1, s);
    out = bend1(bop(GR_OP_ADD, in, bi(1), -1));
    p = bdone(1, &out, NULL);
    run_ok(p, NULL, &res);
    ck_assert_str_eq(res.out[0].name, "result");
    ck_assert_int_eq(res.out[0].type, GR_T_I64);
    ck_assert_int_eq(res.out[0].i64[0], 5);
    ck_assert_int_eq(res.iters, 5);
    gr_result_release(&res);
    CHECK_OK(gr_params_new(p, &ps, &E));
    CHECK_OK(gr_params_set(ps, "n", "0", &E));
    run_ok(p, ps, &res);
    ck_assert_int_eq(res.out[0].i64[0], 0);
    ck_assert_int_eq(res.iters, 0);
    gr_result_release(&res);
    CHECK_OK(gr_params_set(ps, "n", "-3", &E));
    run_ok(p, ps, &res);
    ck_assert_int_eq(res.out[0].i64[0], 0);
    ck_assert_int_eq(res.iters, 0);
    gr_result_release(&res);
    gr_params_free(&ps);
    gr_program_free(&p);
}
END_TEST

START_TEST(test_run_converged)
{
    gr_vid tol, mi, x, in, out[2];
    gr_program *p;
    gr_params *ps = NULL;
    gr_result res;
    int k;
    use_nodes(6);
    bnew("conv");
    CHECK_OK(gr_builder_param(B, "tol", GR_T_F64, 0.1, 0, &tol, &E));
    CHECK_OK(gr_builder_param(B, "max_iter", GR_T_I64, 0, 100, &mi, &E));
    /* scalar: x halves from 1.0; |new - old| < 0.1 first after 4 */
    in = bloop1(GR_LOOP_CONVERGED, mi, tol, bf(1.0));
    out[0] = bend1(bop(GR_OP_MUL, in, bf(0.5), -1));
    /* vector: the same in every element; L1 = n * 0.5^k < n * tol */
    x = bop(GR_OP_FILL, bf(1.0), -1, -1);
    in = bloop1(GR_LOOP_CONVERGED, mi, tol, x);
    out[1] = bend1(bop(GR_OP_MUL, in, bf(0.5), -1));
    p = bdone(2, out, NULL);
    run_ok(p, NULL, &res);
    ck_assert(same(res.out[0].f64[0], 0.0625));
    ck_assert_str_eq(res.out[1].name, "result2");
    for (k = 0; k < 6; k++) {
        ck_assert(same(res.out[1].f64[k], 0.0625));
    }
    ck_assert_int_eq(res.iters, 8);
    gr_result_release(&res);
    CHECK_OK(gr_params_new(p, &ps, &E));
    CHECK_OK(gr_params_set(ps, "max_iter", "2", &E));
    run_ok(p, ps, &res);
    ck_assert(same(res.out[0].f64[0], 0.25));
    ck_assert(same(res.out[1].f64[5], 0.25));
    ck_assert_int_eq(res.iters, 4);
    gr_result_release(&res);
    gr_params_free(&ps);
    gr_program_free(&p);
}
END_TEST

START_TEST(test_run_unchanged)
{
    static const uint32_t path[] = {0, 1, 1, 2, 2, 3, 3, 4};
    gr_vid mi, in, out[5], m, b;
    gr_program *p;
    gr_result res;
    int k;
    use_graph(tu_graph(5, path, 4, NULL, 0));
    bnew("unch");
    mi = bi(50);
    /* i64 scalar: min(x + 1, 3) from 0: 1, 2, 3, 3 */
    in = bloop1(GR_LOOP_UNCHANGED, mi, -1, bi(0));
    out[0] = bend1(bop(GR_OP_MIN, bop(GR_OP_ADD, in, bi(1), -1), bi(3), -1));
    /* f64v of NaN: NaN equals NaN, so one iteration */
    in = bloop1(GR_LOOP_UNCHANGED, mi, -1, bop(GR_OP_FILL, bf(NAN), -1, -1));
    out[1] = bend1(bop(GR_OP_ADD, in, bf(0.0), -1));
    /* mask: reachability from node 0 along the path, 4 growing steps + 1 */
    m = bop(GR_OP_EQ, bop(GR_OP_NODE_INDEX, -1, -1, -1), bi(0), -1);
    in = bloop1(GR_LOOP_UNCHANGED, mi, -1, m);
    {
        gr_vid pulled;
        CHECK_OK(gr_builder_agg(B, GR_DIR_IN, GR_MON_ANY, GR_MSG_X, 0, in, &pulled, &E));
        out[2] = bend1(bop(GR_OP_OR, in, pulled, -1));
    }
    /* bool scalar: b or true from false: 2 */
    CHECK_OK(gr_builder_const_bool(B, 0, &b, &E));
    in = bloop1(GR_LOOP_UNCHANGED, mi, -1, b);
    {
        gr_vid t;
        CHECK_OK(gr_builder_const_bool(B, 1, &t, &E));
        out[3] = bend1(bop(GR_OP_OR, in, t, -1));
    }
    /* f64 scalar: 0.0 then -0.0 compare equal: 1 */
    in = bloop1(GR_LOOP_UNCHANGED, mi, -1, bf(0.0));
    out[4] = bend1(bop(GR_OP_NEG, in, -1, -1));
    p = bdone(5, out, NULL);
    run_ok(p, NULL, &res);
    ck_assert_int_eq(res.out[0].i64[0], 3);
    for (k = 0; k < 5; k++) {
        ck_assert(isnan(res.out[1].f64[k]));
        ck_assert_int_eq(res.out[2].i64[k], 1);
    }
    ck_assert_int_eq(res.out[2].type, GR_T_MASK);
    ck_assert_int_eq(res.out[3].i64[0], 1);
    ck_assert_int_eq(res.out[3].type, GR_T_BOOL);
    ck_assert(same(res.out[4].f64[0], -0.0));
    ck_assert_int_eq(res.iters, 4 + 1 + 5 + 2 + 1);
    gr_result_release(&res);
    gr_program_free(&p);
}
END_TEST

/* Nested loops, permuted and duplicated yields, a value of an outer body
 * carried out through an inner loop that runs zero times. */
static gr_program *nested_program(void)
{
    gr_vid three, two, zero, s, in_s, t, in_t, r_t, out[4], init[2], inner[2], next[2], res2[2];
    gr_vid a, in_a, x, in_b, rb;
    bnew("nested");
    three = bi(3);
    two = bi(2);
    zero = bi(0);
    /* s: 0 -> (s + 2) * 2 three times: 4, 12, 28 */
    s = bi(0);
    in_s = bloop1(GR_LOOP_REPEAT, three, -1, s);
    t = in_s;
    in_t = bloop1(GR_LOOP_REPEAT, two, -1, t);
    r_t = bend1(bop(GR_OP_ADD, in_t, bi(1), -1));
    out[0] = bend1(bop(GR_OP_MUL, r_t, two, -1));
    /* (a, b) -> (b, a) three times from (1, 2), then -> (a + b, a + b) once */
    init[0] = bi(1);
    init[1] = bi(2);
    CHECK_OK(gr_builder_loop_begin(B, GR_LOOP_REPEAT, three, -1, 2, init, 0, inner, &E));
    next[0] = inner[1];
    next[1] = inner[0];
    CHECK_OK(gr_builder_loop_end(B, next, res2, &E));
    CHECK_OK(gr_builder_loop_begin(B, GR_LOOP_REPEAT, bi(1), -1, 2, res2, 0, inner, &E));
    next[0] = next[1] = bop(GR_OP_ADD, inner[0], inner[1], -1);
    CHECK_OK(gr_builder_loop_end(B, next, res2, &E));
    out[1] = bop(GR_OP_MUL, res2[0], bi(10), -1);
    out[1] = bop(GR_OP_ADD, out[1], res2[1], -1);
    /* a vector: a = x where x = a + 1 is defined in the body and leaves it
     * through an inner loop of zero iterations */
    a = bop(GR_OP_FILL, bf(0.5), -1, -1);
    in_a = bloop1(GR_LOOP_REPEAT, three, -1, a);
    x = bop(GR_OP_ADD, in_a, bf(1.0), -1);
    in_b = bloop1(GR_LOOP_REPEAT, zero, -1, x);
    rb = bend1(in_b);
    out[2] = bend1(rb);
    out[3] = bop(GR_OP_REDUCE_SUM, out[2], -1, -1);
    return bdone(4, out, NULL);
}

START_TEST(test_run_nested)
{
    gr_program *p;
    gr_result res;
    use_nodes(3);
    p = nested_program();
    run_ok(p, NULL, &res);
    ck_assert_int_eq(res.out[0].i64[0], 28);
    ck_assert_int_eq(res.out[1].i64[0], 33);
    ck_assert(same(res.out[2].f64[2], 3.5));
    ck_assert(same(res.out[3].f64[0], 10.5));
    /* 3 + 3*2 (nested) + 3 + 1 (pairs) + 3 + 0 (vector) */
    ck_assert_int_eq(res.iters, 16);
    gr_result_release(&res);
    gr_program_free(&p);
}
END_TEST

static gr_program *print_prog;

static void run_print_prog(void)
{
    gr_result res;
    run_ok(print_prog, NULL, &res);
    gr_result_release(&res);
}

START_TEST(test_run_print)
{
    gr_vid in, out, args[1];
    use_nodes(2);
    bnew("pr");
    in = bloop1(GR_LOOP_REPEAT, bi(3), -1, bi(7));
    args[0] = in;
    CHECK_OK(gr_builder_op(B, GR_OP_PRINT, args, 1, NULL, &E));
    out = bend1(bop(GR_OP_MUL, in, bi(2), -1));
    print_prog = bdone(1, &out, NULL);
    ck_assert_str_eq(capture_stderr(run_print_prog), "i64 7\ni64 14\ni64 28\n");
    gr_program_free(&print_prog);
}
END_TEST

/* ---- optimizer ops in step mode: IR built by hand --------------------------------- */

static gr_program *IR;

static gr_vid irv(gr_type t)
{
    gr_vid v = gr_ir_new_value(IR, t);
    ck_assert_int_ge(v, 0);
    return v;
}

static gr_inst *iri(gr_block *b, gr_opcode op, gr_vid res, int nargs, const gr_vid *args)
{
    gr_inst *in = gr_ir_append(b);
    ck_assert_ptr_nonnull(in);
    in->op = (uint16_t)op;
    in->result = res;
    in->nargs = nargs;
    if (nargs > 0) {
        in->args = gr_malloc((size_t)nargs * sizeof *in->args);
        memcpy(in->args, args, (size_t)nargs * sizeof *in->args);
    }
    return in;
}

/* result = op(a [, b]) of type t in block blk */
static gr_vid iop(gr_block *blk, gr_opcode op, gr_type t, gr_vid a, gr_vid b)
{
    gr_vid args[2] = {a, b}, r = irv(t);
    iri(blk, op, r, op == GR_OP_NODE_INDEX ? 0 : b >= 0 ? 2 : 1, args);
    return r;
}

static gr_vid icf(gr_block *blk, double f)
{
    gr_vid r = irv(GR_T_F64);
    iri(blk, GR_OP_CONST, r, 0, NULL)->attrs.f = f;
    return r;
}

static gr_vid ici(gr_block *blk, int64_t i)
{
    gr_vid r = irv(GR_T_I64);
    iri(blk, GR_OP_CONST, r, 0, NULL)->attrs.i = i;
    return r;
}

/* A region op with nin inner values of types lt and a fresh body. */
static gr_inst *iregion(gr_opcode op, gr_vid res, int nargs, const gr_vid *args, int nin,
                        const gr_type *lt)
{
    gr_inst *in = iri(&IR->top, op, res, nargs, args);
    int k;
    in->body = gr_calloc(1, sizeof *in->body);
    in->body->parent = in;
    in->inner = gr_malloc((size_t)nin * sizeof *in->inner);
    for (k = 0; k < nin; k++) {
        in->inner[k] = irv(lt[k]);
    }
    return in;
}

static gr_vid imasked_agg(gr_vid x, gr_vid m, gr_monoid mon, gr_type t)
{
    gr_vid args[2] = {x, m}, r = irv(t);
    gr_inst *in = iri(&IR->top, GR_OP_AGG, r, 2, args);
    in->attrs.dir = GR_DIR_IN;
    in->attrs.monoid = (uint8_t)mon;
    in->attrs.msg = GR_MSG_X;
    in->attrs.masked = 1;
    return r;
}

/* The IR core does not free FUSED fold arrays yet: free them here. */
static void free_ir(gr_program **p)
{
    int32_t i;
    for (i = 0; *p && i < (*p)->top.n; i++) {
        gr_free((*p)->top.insts[i].fold);
        (*p)->top.insts[i].fold = NULL;
    }
    gr_program_free(p);
}

START_TEST(test_run_optimizer_ops)
{
    gr_vid idx, x, c2, two, m, ret[16], args[2];
    gr_type lt[3];
    gr_inst *in;
    gr_block *b;
    gr_result res;
    int nret = 0, k;
    use_graph(tu_graph(5, AGG_E, 6, AGG_W, 0));
    IR = gr_ir_program_new("regions");
    idx = iop(&IR->top, GR_OP_NODE_INDEX, GR_T_I64V, -1, -1);
    x = iop(&IR->top, GR_OP_TO_F64, GR_T_F64V, idx, -1);
    c2 = icf(&IR->top, 2.0);
    two = ici(&IR->top, 2);
    m = iop(&IR->top, GR_OP_LT, GR_T_MASK, idx, two);

    /* fused(x, 2.0): maps 2x + 2 and (a scalar lane) 2.0, folds sum(2x),
     * count(2x), min(2x + 2) */
    {
        gr_vid b0, b1, y[5];
        static const uint8_t folds[5] = {GR_FOLD_MAP, GR_FOLD_SUM, GR_FOLD_MAP, GR_FOLD_COUNT,
                                         GR_FOLD_MIN};
        static const gr_type rt[5] = {GR_T_F64V, GR_T_F64, GR_T_F64V, GR_T_I64, GR_T_F64};
        args[0] = x;
        args[1] = c2;
        lt[0] = lt[1] = GR_T_F64;
        in = iregion(GR_OP_FUSED, -1, 2, args, 2, lt);
        b = in->body;
        b0 = iop(b, GR_OP_MUL, GR_T_F64, in->inner[0], in->inner[1]);
        b1 = iop(b, GR_OP_ADD, GR_T_F64, b0, in->inner[1]);
        y[0] = b1;
        y[1] = b0;
        y[2] = in->inner[1];
        y[3] = b0;
        y[4] = b1;
        iri(b, GR_OP_YIELD, -1, 5, y);
        in->ncarry = 5;
        in->results = gr_malloc(5 * sizeof *in->results);
        in->fold = gr_malloc(5);
        for (k = 0; k < 5; k++) {
            in->results[k] = irv(rt[k]);
            in->fold[k] = folds[k];
            ret[nret++] = in->results[k];
        }
    }
    /* masked aggregations */
    ret[nret++] = imasked_agg(x, m, GR_MON_SUM, GR_T_F64V);
    ret[nret++] = imasked_agg(x, m, GR_MON_MIN, GR_T_F64V);
    ret[nret++] = imasked_agg(idx, m, GR_MON_MODE, GR_T_I64V);
    ret[nret++] = imasked_agg(m, m, GR_MON_ANY, GR_T_MASK);
    /* fused aggregations: in sum of 3x + w; both max of -x; out sum of w;
     * masked in min of w * x */
    {
        static const gr_dir dirs[4] = {GR_DIR_IN, GR_DIR_BOTH, GR_DIR_OUT, GR_DIR_IN};
        static const gr_monoid mons[4] = {GR_MON_SUM, GR_MON_MAX, GR_MON_SUM, GR_MON_MIN};
        int f;
        for (f = 0; f < 4; f++) {
            gr_vid msg, r = irv(GR_T_F64V), la, lw;
            int masked = f == 3;
            args[0] = x;
            args[1] = m;
            lt[0] = GR_T_F64;
            lt[1] = masked ? GR_T_BOOL : GR_T_F64;
            lt[2] = GR_T_F64;
            in = iregion(GR_OP_AGG_FUSED, r, 1 + masked, args, 2 + masked, lt);
            in->attrs.dir = (uint8_t)dirs[f];
            in->attrs.monoid = (uint8_t)mons[f];
            in->attrs.masked = (uint8_t)masked;
            b = in->body;
            la = in->inner[0];
            lw = in->inner[1 + masked];
            switch (f) {
            case 0: msg = iop(b, GR_OP_ADD, GR_T_F64, iop(b, GR_OP_MUL, GR_T_F64, la,
                                                          icf(b, 3.0)), lw); break;
            case 1: msg = iop(b, GR_OP_NEG, GR_T_F64, la, -1); break;
            case 2: msg = lw; break;
            default: msg = iop(b, GR_OP_MUL, GR_T_F64, lw, la); break;
            }
            iri(b, GR_OP_YIELD, -1, 1, &msg);
            ret[nret++] = r;
        }
    }
    /* loops with explicit tests: x halves until dist_l1 < n * 0.1 (4
     * iterations); s = min(s + 1, 3) until not changed (4) */
    {
        gr_vid lv[4], init, lin, nx, d, y[2], r;
        lv[0] = ici(&IR->top, 100);
        lv[1] = icf(&IR->top, 0.1);
        lv[2] = init = iop(&IR->top, GR_OP_FILL, GR_T_F64V, icf(&IR->top, 1.0), -1);
        lt[0] = GR_T_F64V;
        in = iregion(GR_OP_LOOP, -1, 3, lv, 1, lt);
        in->attrs.loop = GR_LOOP_CONVERGED;
        in->attrs.explicit_test = 1;
        in->ncarry = 1;
        b = in->body;
        lin = in->inner[0];
        nx = iop(b, GR_OP_MUL, GR_T_F64V, lin, icf(b, 0.5));
        d = iop(b, GR_OP_DIST_L1, GR_T_F64, nx, lin);
        y[0] = nx;
        y[1] = d;
        iri(b, GR_OP_YIELD, -1, 2, y);
        in->results = gr_malloc(sizeof *in->results);
        in->results[0] = r = irv(GR_T_F64V);
        ret[nret++] = r;

        lv[0] = ici(&IR->top, 100);
        lv[1] = -1;
        lv[2] = ici(&IR->top, 0);
        lt[0] = GR_T_I64;
        in = iregion(GR_OP_LOOP, -1, 3, lv, 1, lt);
        in->attrs.loop = GR_LOOP_UNCHANGED;
        in->attrs.explicit_test = 1;
        in->ncarry = 1;
        b = in->body;
        lin = in->inner[0];
        nx = iop(b, GR_OP_MIN, GR_T_I64, iop(b, GR_OP_ADD, GR_T_I64, lin, ici(b, 1)), ici(b, 3));
        y[0] = nx;
        y[1] = iop(b, GR_OP_NE, GR_T_BOOL, nx, lin);
        iri(b, GR_OP_YIELD, -1, 2, y);
        in->results = gr_malloc(sizeof *in->results);
        in->results[0] = r = irv(GR_T_I64);
        ret[nret++] = r;
    }
    iri(&IR->top, GR_OP_RETURN, -1, nret, ret);

    run_ok(IR, NULL, &res);
    ck_assert_int_eq(res.nout, nret);
    {
        gr_val *vx = ap1(GR_OP_TO_F64, ap0(GR_OP_NODE_INDEX)), *vm, *vidx = ap0(GR_OP_NODE_INDEX);
        const double *want;
        vm = ap2(GR_OP_LT, vidx, ci(2));
#define OUT_F(k, v)                                                                       \
        do {                                                                              \
            want = rfv(v);                                                                \
            for (uint32_t i_ = 0; i_ < G->n; i_++) {                                      \
                ck_assert_msg(same(res.out[k].f64[i_], want[i_]), "output %d node %u: %.17g != %.17g", \
                              k, i_, res.out[k].f64[i_], want[i_]);                       \
            }                                                                             \
        } while (0)
        OUT_F(0, ap2(GR_OP_ADD, ap2(GR_OP_MUL, vx, cf(2)), cf(2)));
        ck_assert(same(res.out[1].f64[0], 20.0));
        OUT_F(2, ap1(GR_OP_FILL, cf(2)));
        ck_assert_int_eq(res.out[3].i64[0], 4);
        ck_assert(same(res.out[4].f64[0], 2.0));
        OUT_F(5, ap3(GR_OP_WHERE, vm, agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, vx), cf(0)));
        OUT_F(6, ap3(GR_OP_WHERE, vm, agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_X, 0, vx), cf(INFINITY)));
        {
            int64_t *wi = riv(ap3(GR_OP_WHERE, vm, agg(GR_DIR_IN, GR_MON_MODE, GR_MSG_X, 0, vidx),
                                  vidx));
            for (k = 0; k < 5; k++) {
                ck_assert_int_eq(res.out[7].i64[k], wi[k]);
            }
            wi = riv(ap2(GR_OP_AND, vm, agg(GR_DIR_IN, GR_MON_ANY, GR_MSG_X, 0, vm)));
            for (k = 0; k < 5; k++) {
                ck_assert_int_eq(res.out[8].i64[k], wi[k]);
            }
        }
        OUT_F(9, agg(GR_DIR_IN, GR_MON_SUM, GR_MSG_ADD_W, 0, ap2(GR_OP_MUL, vx, cf(3))));
        OUT_F(10, agg(GR_DIR_BOTH, GR_MON_MAX, GR_MSG_X, 0, ap1(GR_OP_NEG, vx)));
        OUT_F(11, agg(GR_DIR_OUT, GR_MON_SUM, GR_MSG_W, 0, vx));
        OUT_F(12, ap3(GR_OP_WHERE, vm, agg(GR_DIR_IN, GR_MON_MIN, GR_MSG_MUL_W, 0, vx),
                      cf(INFINITY)));
        OUT_F(13, ap1(GR_OP_FILL, cf(0.0625)));
        ck_assert_int_eq(res.out[14].i64[0], 3);
        ck_assert_int_eq(res.iters, 8);
    }
    gr_result_release(&res);
    free_ir(&IR);

    /* a fused message that uses the weight otherwise has no step form */
    IR = gr_ir_program_new("weird");
    x = iop(&IR->top, GR_OP_TO_F64, GR_T_F64V, iop(&IR->top, GR_OP_NODE_INDEX, GR_T_I64V, -1, -1),
            -1);
    lt[0] = lt[1] = GR_T_F64;
    {
        gr_vid r = irv(GR_T_F64V), msg;
        in = iregion(GR_OP_AGG_FUSED, r, 1, &x, 2, lt);
        msg = iop(in->body, GR_OP_MUL, GR_T_F64, in->inner[1], in->inner[1]);
        iri(in->body, GR_OP_YIELD, -1, 1, &msg);
        iri(&IR->top, GR_OP_RETURN, -1, 1, &r);
    }
    gr_error_clear(&E);
    ck_assert_int_eq(gr_step_run(C, IR, NULL, &res, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "step mode cannot run this agg_fused: its message uses the edge "
                            "weight other than as w, x + w or x * w (run the program with "
                            "gr_plan_run)");
    ck_assert_int_eq(res.nout, 0);
    free_ir(&IR);
}
END_TEST

/* ---- parameters ------------------------------------------------------------------------ */

START_TEST(test_params)
{
    gr_vid v[3], out;
    gr_program *p, *q;
    gr_params *ps = NULL, *qs = NULL;
    use_nodes(2);
    bnew("algo");
    CHECK_OK(gr_builder_param(B, "damping", GR_T_F64, 0.85, 0, &v[0], &E));
    CHECK_OK(gr_builder_param(B, "max_iter", GR_T_I64, 0, 100, &v[1], &E));
    CHECK_OK(gr_builder_param(B, "verbose", GR_T_BOOL, 0, 1, &v[2], &E));
    out = bop(GR_OP_WHERE, v[2], v[0], bop(GR_OP_TO_F64, v[1], -1, -1));
    p = bdone(1, &out, NULL);
    CHECK_OK(gr_params_new(p, &ps, &E));
    ck_assert(same(gr_params_f64(ps, 0), 0.85));
    ck_assert_int_eq(gr_params_i64(ps, 1), 100);
    ck_assert(same(gr_params_f64(ps, 1), 100.0));
    ck_assert_int_eq(gr_params_i64(ps, 2), 1);
    ck_assert(isnan(gr_params_f64(ps, 3)));
    ck_assert_int_eq(gr_params_i64(ps, -1), 0);
    CHECK_OK(gr_params_set(ps, "damping", "0.9", &E));
    CHECK_OK(gr_params_set(ps, "max_iter", " 12 ", &E));
    CHECK_OK(gr_params_set(ps, "verbose", "false", &E));
    ck_assert(same(gr_params_f64(ps, 0), 0.9));
    ck_assert_int_eq(gr_params_i64(ps, 1), 12);
    ck_assert_int_eq(gr_params_i64(ps, 2), 0);
    {
        gr_result res;
        run_ok(p, ps, &res);
        ck_assert(same(res.out[0].f64[0], 12.0));
        gr_result_release(&res);
    }
#define SET_FAIL(name, value, message)                                                  \
    do {                                                                                \
        gr_error_clear(&E);                                                             \
        ck_assert_int_eq(gr_params_set(ps, name, value, &E), GR_ERR_INVALID);           \
        ck_assert_str_eq(E.msg, message);                                               \
    } while (0)
    SET_FAIL("damping", "abc", "parameter 'damping' expects a number (f64), got 'abc'");
    SET_FAIL("damping", "", "parameter 'damping' expects a number (f64), got ''");
    SET_FAIL("damping", "0.5x", "parameter 'damping' expects a number (f64), got '0.5x'");
    SET_FAIL("max_iter", "12.5", "parameter 'max_iter' expects an integer (i64), got '12.5'");
    SET_FAIL("max_iter", "99999999999999999999",
             "parameter 'max_iter' = '99999999999999999999' is out of the i64 range");
    SET_FAIL("verbose", "maybe", "parameter 'verbose' expects true or false (bool), got 'maybe'");
    SET_FAIL("dampng", "1", "unknown parameter 'dampng' (known: damping, max_iter, verbose)");
    /* failed sets change nothing */
    ck_assert(same(gr_params_f64(ps, 0), 0.9));
    ck_assert_int_eq(gr_params_i64(ps, 1), 12);
    gr_params_free(&ps);
    gr_params_free(&ps);
    ck_assert_ptr_null(ps);

    bnew("noparams");
    out = bi(1);
    q = bdone(1, &out, NULL);
    CHECK_OK(gr_params_new(q, &qs, &E));
    gr_error_clear(&E);
    ck_assert_int_eq(gr_params_set(qs, "x", "1", &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "unknown parameter 'x' (noparams takes no parameters)");
    gr_params_free(&qs);
    gr_program_free(&q);
    gr_program_free(&p);
}
END_TEST

/* ---- failure injection --------------------------------------------------------------- */

/* A few API calls, all freed; returns the first failure's status. */
static int api_scenario(gr_error *e)
{
    gr_ctx *c = NULL;
    gr_val *v[10] = {NULL};
    gr_val *args[3];
    int rc, k;
    if ((rc = gr_ctx_new(G, &c, e)) != GR_OK) {
        goto done;
    }
    if ((rc = gr_step_const_f64(c, 0.5, &v[0], e)) != GR_OK ||
        (rc = gr_step_apply(c, GR_OP_NODE_INDEX, NULL, 0, &v[1], e)) != GR_OK) {
        goto done;
    }
    args[0] = v[1];
    args[1] = v[0];
    if ((rc = gr_step_apply(c, GR_OP_MUL, args, 2, &v[2], e)) != GR_OK ||
        (rc = gr_step_agg(c, GR_DIR_BOTH, GR_MON_MODE, GR_MSG_X, 1, v[1], &v[3], e)) != GR_OK ||
        (rc = gr_step_agg(c, GR_DIR_IN, GR_MON_SUM, GR_MSG_MUL_W, 0, v[1], &v[4], e)) != GR_OK) {
        goto done;
    }
    args[0] = v[2];
    if ((rc = gr_step_apply(c, GR_OP_REDUCE_SUM, args, 1, &v[5], e)) != GR_OK) {
        goto done;
    }
    args[0] = v[1];
    args[1] = v[1];
    args[2] = v[3];
    rc = gr_step_apply(c, GR_OP_SCATTER_MIN, args, 3, &v[6], e);
done:
    if (rc != GR_OK) {
        for (k = 0; k < 10; k++) {
            ck_assert(v[k] == NULL || k < 7);
        }
    }
    for (k = 0; k < 10; k++) {
        gr_val_free(&v[k]);
    }
    gr_ctx_free(&c);
    return rc;
}

START_TEST(test_nomem_api)
{
    long budget;
    int rc;
    gr_error e;
    use_graph(tu_graph(5, AGG_E, 6, AGG_W, 0));
    for (budget = 0;; budget++) {
        gr_error_clear(&e);
        gr_mem_fail_after(budget);
        rc = api_scenario(&e);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_msg(rc == GR_ERR_NOMEM, "budget %ld: status %d (%s)", budget, rc, e.msg);
        ck_assert_int_eq(e.code, GR_ERR_NOMEM);
        ck_assert(budget < 1000);
    }
    ck_assert_int_ge(budget, 12);
}
END_TEST

START_TEST(test_nomem_run)
{
    gr_program *p[2];
    gr_vid tol, in, out[2], lab;
    long budget;
    int i, rc;
    use_graph(tu_graph(5, AGG_E, 6, AGG_W, 0));
    p[0] = nested_program();
    bnew("conv");
    CHECK_OK(gr_builder_param(B, "tol", GR_T_F64, 1e-3, 0, &tol, &E));
    in = bloop1(GR_LOOP_CONVERGED, bi(30), tol, bop(GR_OP_FILL, bf(1.0), -1, -1));
    out[0] = bend1(bop(GR_OP_MUL, in, bf(0.5), -1));
    lab = bop(GR_OP_NODE_ID, -1, -1, -1);
    in = bloop1(GR_LOOP_UNCHANGED, bi(30), -1, lab);
    CHECK_OK(gr_builder_agg(B, GR_DIR_BOTH, GR_MON_MODE, GR_MSG_X, 0, in, &lab, &E));
    out[1] = bend1(lab);
    p[1] = bdone(2, out, NULL);
    for (i = 0; i < 2; i++) {
        for (budget = 0;; budget++) {
            gr_result res;
            gr_params *ps = NULL;
            gr_error e;
            gr_error_clear(&e);
            memset(&res, 0xab, sizeof res); /* gr_step_run must empty it */
            gr_mem_fail_after(budget);
            rc = gr_params_new(p[i], &ps, &e);
            if (rc != GR_OK) {
                memset(&res, 0, sizeof res);
            }
            if (rc == GR_OK) {
                rc = gr_step_run(C, p[i], ps, &res, &e);
            }
            gr_mem_fail_after(-1);
            gr_params_free(&ps);
            if (rc == GR_OK) {
                gr_result_release(&res);
                break;
            }
            ck_assert_msg(rc == GR_ERR_NOMEM, "budget %ld: status %d (%s)", budget, rc, e.msg);
            ck_assert_int_eq(res.nout, 0);
            ck_assert_ptr_null(res.out);
            ck_assert(budget < 100000);
        }
        ck_assert_int_ge(budget, 20);
    }
    gr_program_free(&p[0]);
    gr_program_free(&p[1]);
}
END_TEST

static Suite *step_suite(void)
{
    Suite *s = suite_create("step");
    TCase *tc = tcase_create("ops");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_f64_arith_edges);
    tcase_add_test(tc, test_i64_arith_edges);
    tcase_add_test(tc, test_compare_logic_where);
    tcase_add_test(tc, test_casts);
    tcase_add_test(tc, test_every_ew_op);
    tcase_add_test(tc, test_ew_long);
    tcase_add_test(tc, test_sources);
    tcase_add_test(tc, test_gather_scatter);
    tcase_add_test(tc, test_link);
    tcase_add_test(tc, test_reductions);
    tcase_add_test(tc, test_reduce_blocked);
    suite_add_tcase(s, tc);

    tc = tcase_create("agg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_agg_examples);
    tcase_add_test(tc, test_agg_all_combinations);
    tcase_add_test(tc, test_thread_independence);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_validation);
    tcase_add_test(tc, test_print);
    tcase_add_test(tc, test_params);
    tcase_add_test(tc, test_nomem_api);
    suite_add_tcase(s, tc);

    tc = tcase_create("run");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_run_straight);
    tcase_add_test(tc, test_run_repeat);
    tcase_add_test(tc, test_run_converged);
    tcase_add_test(tc, test_run_unchanged);
    tcase_add_test(tc, test_run_nested);
    tcase_add_test(tc, test_run_print);
    tcase_add_test(tc, test_run_optimizer_ops);
    tcase_add_test(tc, test_nomem_run);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(step_suite()); }
