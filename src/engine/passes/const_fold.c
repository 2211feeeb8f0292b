/*
 * const_fold.c - gr_pass_const_fold: constant folding and exact algebraic
 * identities.
 *
 * Folding: an element-wise op whose operands are all scalar constants
 * (CONST instructions) becomes a CONST of its value, computed the way the
 * kernels (exec/kernels.c) compute it: the same compute kind (f64 when an
 * operand is f64 for NUM/CMP/WHERE, f64 for FLT ops and to_f64, bool for
 * logic, the operand's kind for to_i64 and to_bool), operands converted as
 * the kernels convert them, the op's gr_sem_f_* / gr_sem_i_* function from
 * ir/sem.h, and the same conversion of the result to its type.  So a folded
 * constant equals, bit for bit, what every execution mode would compute:
 * 1/0 is inf, i64 division by zero is 0, recip(0) is 0, NaN stays NaN, and
 * -0.0 keeps its sign (the printer writes "-0", which reads back exactly).
 * Chains fold in one pass, since instructions are visited in program
 * order.  Nothing that reads the graph is ever folded: sources
 * (node_count, out_degree, ...), vectors (fill of a constant is a vector
 * whose length is the graph's), reductions and aggregations, whose
 * operands are always vectors; parameters are run-time values, and loop
 * values change per iteration.  The folded CONST's old operands are left
 * for DCE.
 *
 * Identities: an instruction that always equals one of its operands, bit
 * for bit and of the same type, is removed and its uses renamed to that
 * operand.  Only identities exact on every input qualify:
 *   x * 1, 1 * x, x / 1              (i64 wraps; f64: exact, NaN kept)
 *   x + 0, 0 + x, x - 0  for i64;  for f64 only x + (-0.0), (-0.0) + x and
 *   x - (+0.0): x + 0.0 is NOT an identity (-0.0 + 0.0 is +0.0), and
 *   x - (-0.0) is x + 0.0
 *   where(true, a, b) = a, where(false, a, b) = b, where(c, a, a) = a
 *   not(not x) = x, neg(neg x) = x
 *   and(x, true), or(x, false) (either side), and(x, x), or(x, x) = x
 *   to_f64 / to_i64 / to_bool of a value that already has the type
 * (min(x, x) is not one: min(NaN, NaN) is the canonical NaN, not x's.)
 * Region bodies (fused kernels) are left alone except for renaming.
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "engine/ir/sem.h"
#include "common/error.h"
#include "common/mem.h"

#include <math.h>
#include <string.h>

/* What the pass knows about each value. */
typedef struct vinfo {
    double f;            /* constant value (f64) */
    int64_t i;           /* constant value (i64, bool as 0/1) */
    gr_vid arg0;         /* first operand of the defining instruction, or -1 */
    uint16_t op;         /* defining op (GR_OP__COUNT: not an instruction's result) */
    uint8_t isconst;     /* defined by a CONST */
} vinfo;

typedef struct cf {
    gr_program *p;
    gr_error *err;
    vinfo *v;            /* [nvalues] */
    gr_vid *repl;        /* [nvalues] renamed uses (identities) */
    int changes;         /* folds and identities applied */
} cf;

static gr_type vtype(const cf *c, gr_vid v) { return c->p->values[v].type; }

/* --- evaluation --------------------------------------------------------- */

/* The op's f64 and i64 functions from ir/sem.h (0 for ops without one). */
static double sem_f(int op, double a, double b, double x)
{
    switch (op) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc) \
    case GR_OP_##ID:                                      \
        return gr_sem_f_##ID(a, b, x);
#include "gr_ops.def"
#undef OP
    default:
        return 0.0;
    }
}

static int64_t sem_i(int op, int64_t a, int64_t b, int64_t x)
{
    switch (op) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc) \
    case GR_OP_##ID:                                      \
        return gr_sem_i_##ID(a, b, x);
#include "gr_ops.def"
#undef OP
    default:
        return 0;
    }
}

/* The element type `in` computes in, as exec/kernels.c's gr_k_ew_compute
 * picks it (note to_f64: always f64, unlike gr_op_compute_elem's "first
 * operand" default). */
static gr_type compute_kind(const gr_inst *in, const gr_type *t)
{
    int k, anyf = 0;
    switch (gr_op_info(in->op)->sig) {
    case GR_SIG_FLT1: case GR_SIG_FLT2: case GR_SIG_TOF64:
        return GR_T_F64;
    case GR_SIG_LOG1: case GR_SIG_LOG2:
        return GR_T_BOOL;
    case GR_SIG_TOI64: case GR_SIG_TOBOOL:
        return gr_type_elem(t[0]);
    case GR_SIG_WHERE:
        return (t[1] == GR_T_F64 || t[2] == GR_T_F64) ? GR_T_F64
               : (t[1] == GR_T_I64 || t[2] == GR_T_I64) ? GR_T_I64 : GR_T_BOOL;
    default:
        for (k = 0; k < in->nargs; k++) {
            anyf |= t[k] == GR_T_F64;
        }
        return anyf ? GR_T_F64 : GR_T_I64;
    }
}

/* Evaluate the element-wise in on constant operands into (*rf, *ri) for a
 * result of type rt. */
static void eval(const cf *c, const gr_inst *in, gr_type rt, double *rf, int64_t *ri)
{
    gr_type t[3] = {GR_T_NONE, GR_T_NONE, GR_T_NONE};
    double fa[3] = {0, 0, 0}, fr;
    int64_t ia[3] = {0, 0, 0}, ir;
    gr_type ck;
    int32_t k;

    for (k = 0; k < in->nargs && k < 3; k++) {
        const vinfo *a = &c->v[in->args[k]];
        t[k] = vtype(c, in->args[k]);
        fa[k] = t[k] == GR_T_F64 ? a->f : t[k] == GR_T_BOOL ? (double)(a->i != 0) : (double)a->i;
        ia[k] = t[k] == GR_T_BOOL ? (a->i != 0) : a->i; /* f64 operands never compute in i64 */
    }
    ck = compute_kind(in, t);
    *rf = 0.0;
    *ri = 0;
    if (ck == GR_T_F64) {
        fr = sem_f(in->op, fa[0], fa[1], fa[2]);
        if (rt == GR_T_F64) {
            *rf = fr;
        } else if (rt == GR_T_BOOL) {
            *ri = fr != 0;
        } else {
            *ri = gr_f2i(fr);
        }
        return;
    }
    ir = sem_i(in->op, ia[0], ia[1], ia[2]);
    if (ck == GR_T_BOOL) {
        ir = ir != 0;
    }
    if (rt == GR_T_F64) {
        *rf = (double)ir;
    } else if (rt == GR_T_BOOL) {
        *ri = ir != 0;
    } else {
        *ri = ir;
    }
}

/* Turn in (all operands constant) into the CONST of its value. */
static void fold(cf *c, gr_inst *in)
{
    gr_type rt = vtype(c, in->result);
    double f;
    int64_t i;
    eval(c, in, rt, &f, &i);
    gr_free(in->args);
    in->args = NULL;
    in->nargs = 0;
    in->op = GR_OP_CONST;
    memset(&in->attrs, 0, sizeof in->attrs);
    if (rt == GR_T_F64) {
        in->attrs.f = f;
    } else {
        in->attrs.i = i;
    }
    c->changes++;
}

/* --- identities ---------------------------------------------------------- */

/* Whether v is a constant equal to the i64 ik or the f64 fk (bits; a
 * bool counts as i64 0/1). */
static int is_const(const cf *c, gr_vid v, int64_t ik, double fk)
{
    const vinfo *a = &c->v[v];
    if (!a->isconst) {
        return 0;
    }
    if (vtype(c, v) == GR_T_F64) {
        return memcmp(&a->f, &fk, sizeof fk) == 0;
    }
    return a->i == ik;
}

/* The operand in always equals, or -1. */
static gr_vid identity(const cf *c, const gr_inst *in)
{
    const gr_vid *a = in->args;
    switch (in->op) {
    case GR_OP_ADD: /* i64 0, f64 -0.0 */
        return is_const(c, a[1], 0, -0.0) ? a[0] : is_const(c, a[0], 0, -0.0) ? a[1] : -1;
    case GR_OP_SUB: /* i64 0, f64 +0.0 */
        return is_const(c, a[1], 0, 0.0) ? a[0] : -1;
    case GR_OP_MUL:
        return is_const(c, a[1], 1, 1.0) ? a[0] : is_const(c, a[0], 1, 1.0) ? a[1] : -1;
    case GR_OP_DIV:
        return is_const(c, a[1], 1, 1.0) ? a[0] : -1;
    case GR_OP_WHERE:
        if (c->v[a[0]].isconst) {
            return c->v[a[0]].i ? a[1] : a[2];
        }
        return a[1] == a[2] ? a[1] : -1;
    case GR_OP_NOT:
    case GR_OP_NEG:
        return c->v[a[0]].op == in->op ? c->v[a[0]].arg0 : -1;
    case GR_OP_AND:
        return is_const(c, a[1], 1, 0) || a[0] == a[1] ? a[0] : is_const(c, a[0], 1, 0) ? a[1]
                                                                                         : -1;
    case GR_OP_OR:
        return is_const(c, a[1], 0, 0) || a[0] == a[1] ? a[0] : is_const(c, a[0], 0, 0) ? a[1]
                                                                                        : -1;
    case GR_OP_TO_F64: case GR_OP_TO_I64: case GR_OP_TO_BOOL:
        return a[0];
    default:
        return -1;
    }
}

/* --- the walk ------------------------------------------------------------- */

/* Record what in defines. */
static void note(cf *c, const gr_inst *in)
{
    vinfo *r;
    if (in->result < 0) {
        return;
    }
    r = &c->v[in->result];
    r->op = in->op;
    r->arg0 = in->nargs > 0 && in->args ? in->args[0] : -1;
    if (in->op == GR_OP_CONST) {
        r->isconst = 1;
        r->f = in->attrs.f;
        r->i = in->attrs.i;
    }
}

/* Whether every operand of in is a scalar constant. */
static int all_const(const cf *c, const gr_inst *in)
{
    int32_t k;
    for (k = 0; k < in->nargs; k++) {
        if (!c->v[in->args[k]].isconst) {
            return 0;
        }
    }
    return in->nargs > 0;
}

/* Fold and simplify b and the loop bodies in it (region bodies: only
 * renamed). */
static int fold_block(cf *c, gr_block *b)
{
    uint8_t *drop = NULL;
    int32_t i;
    int rc = GR_OK;

    for (i = 0; i < b->n; i++) {
        gr_inst *in = &b->insts[i];
        const gr_opinfo *info = gr_op_info(in->op);
        gr_vid x;
        gr_pass_rename(in, c->repl);
        if (info->flags & GR_F_REGION) {
            if (in->body) {
                gr_pass_rename_block(in->body, c->repl);
            }
        } else if (in->op == GR_OP_LOOP) {
            TRY(fold_block(c, in->body));
        } else if ((info->flags & GR_F_EW) && in->result >= 0) {
            if (all_const(c, in) && gr_type_is_scalar(vtype(c, in->result))) {
                fold(c, in);
            } else if ((x = identity(c, in)) >= 0 && vtype(c, x) == vtype(c, in->result)) {
                if (!drop && !(drop = gr_calloc((size_t)b->n, 1))) {
                    rc = gr_err_nomem(c->err, "folding constants");
                    goto fail;
                }
                c->repl[in->result] = x;
                drop[i] = 1;
                c->changes++;
                continue;
            }
        }
        note(c, in);
    }
    if (drop) {
        rc = gr_pass_drop(b, drop, c->err);
    }
fail:
    gr_free(drop);
    return rc;
}

/* gr_pass_const_fold: see passes.h and the banner. */
int gr_pass_const_fold(gr_program *p, gr_error *err)
{
    cf c;
    int32_t i;
    int rc;

    memset(&c, 0, sizeof c);
    c.p = p;
    c.err = err;
    c.v = gr_calloc((size_t)(p->nvalues > 0 ? p->nvalues : 1), sizeof *c.v);
    if (!c.v) {
        return gr_err_nomem(err, "folding constants");
    }
    for (i = 0; i < p->nvalues; i++) {
        c.v[i].op = GR_OP__COUNT;
        c.v[i].arg0 = -1;
    }
    if (!(c.repl = gr_pass_repl_new(p->nvalues, err))) {
        rc = GR_ERR_NOMEM;
        goto fail;
    }
    TRY(fold_block(&c, &p->top));
    rc = c.changes ? GR_PASS_CHANGED : GR_PASS_SAME;
fail:
    gr_free(c.v);
    gr_free(c.repl);
    return rc;
}
