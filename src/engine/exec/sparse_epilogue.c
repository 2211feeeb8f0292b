/*
 * sparse_epilogue.c - gr_plan_sparse_epilogues: which epilogues may run on
 * the receivers a listed push reports, or on the listed nodes of their
 * aggregation's mask, and nowhere else (the sparse vectors of GraphBLAS,
 * for the frontier of a level-synchronous search).
 *
 * A push of any into bytes (gr_k_agg_push_list) lists the receivers whose
 * result is true; everywhere else the result is false.  Its epilogue may
 * then skip those other nodes when, with the aggregation lane false, each
 * map output is exactly what its register already holds (the lane is the
 * same vector slot's register read in place: a carried vector updated in
 * place, lower.c) and each fold's lane is a constant that the interpreter
 * adds for the skipped nodes (fold_rest in fused_eval.c) -- only integer
 * and bool folds, whose result does not depend on the order of the
 * elements.  BFS's `level = where(next, d, level)` and its loop test
 * `any(level != old level)` are such an epilogue: a sparse level then costs
 * its frontier's edges instead of n.
 *
 * An aggregation masked by a mask that a listed push made (GR_SPARSE_MASK:
 * SSSP's `where(active, pull_min(dist + weight), inf)`) gives its monoid's
 * empty value at every unlisted node.  Its rows and its epilogue then run
 * on the listed nodes alone when each map output there is a constant (its
 * register is filled first) or an input's element (copied first), and each
 * fold's lane a constant -- provided nothing the kernel reads lives in a
 * register filled or copied first.  SSSP's next = min(dist, +inf) is dist
 * (NaNs canonical, as gr_fmin makes them), changed = next < dist is 0, and
 * its loop test is 0: a round costs its changed nodes' edges and two
 * sequential passes instead of the whole epilogue.
 *
 * The proof is a symbolic evaluation of the kernel's ops over one node:
 * every lane is a known constant, a vector lane itself (a reference,
 * possibly NaN-canonicalized), a NaN predicate of one (isnan(x) or its
 * negation: how `unchanged` compares f64), or unknown; ops over constants
 * are computed with gr_k_ew (the same bits as the kernel), where() with a
 * constant condition picks a branch, and/or with an absorbing constant,
 * and/or/not of NaN predicates of one element simplify, min and max with
 * their identity give the other operand, and comparisons of a lane with
 * itself are constants or NaN predicates.  Anything else is unknown, and
 * the kernel stays dense.
 */
#include "config.h"
#include "engine/exec/plan_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ir/types.h"

/* What a lane holds at a node the sparse run skips. */
enum { LS_UNKNOWN = 0, LS_CONST, LS_REF, LS_NANP };

typedef struct lstate {
    uint8_t st;              /* LS_* */
    uint8_t canon;           /* LS_REF: the element with a NaN made the canonical NaN
                                (what gr_fmin(x, +inf) gives) rather than its bits */
    uint8_t neg;             /* LS_NANP: the value is !isnan(element), not isnan(element) */
    int16_t ref;             /* LS_REF, LS_NANP: the vector input lane whose element it is */
    gr_kscalar c;            /* LS_CONST: the value (f for f64 lanes, i otherwise) */
} lstate;

/* Whether scalar slot s holds one constant for the whole run: written by a
 * single CONST and nothing else (no other instruction, kernel fold or loop
 * carry).  *c receives it. */
static int const_slot(const gr_plan *pl, int32_t s, gr_kscalar *c)
{
    int32_t k, j, nconst = 0;
    for (k = 0; k < pl->ninst; k++) {
        if (pl->inst[k].dst == s) {
            if (pl->inst[k].op != GR_P_CONST) {
                return 0;
            }
            *c = pl->inst[k].imm;
            nconst++;
        }
    }
    for (k = 0; k < pl->nkers; k++) {
        for (j = 0; j < pl->kers[k].nout; j++) {
            if (pl->kers[k].out[j].slot == s) {
                return 0;
            }
        }
    }
    for (k = 0; k < pl->nloops; k++) {
        for (j = 0; j < pl->loops[k].ncarry; j++) {
            if (pl->loops[k].inner[j] == s) {
                return 0;
            }
        }
    }
    return nconst == 1;
}

/* Element i of a one-element lane of kind ek holding c, for gr_k_ew. */
typedef union lcell {
    double f;
    int64_t i;
    uint8_t b;
} lcell;

static lcell cell_of(gr_kscalar c, gr_ek ek)
{
    lcell x;
    memset(&x, 0, sizeof x);
    if (ek == GR_EK_F64) {
        x.f = c.f;
    } else if (ek == GR_EK_I64) {
        x.i = c.i;
    } else {
        x.b = (uint8_t)(c.i != 0);
    }
    return x;
}

static gr_kscalar scalar_of(lcell x, gr_ek ek)
{
    gr_kscalar c;
    if (ek == GR_EK_F64) {
        c.f = x.f;
    } else {
        c.i = ek == GR_EK_I64 ? x.i : x.b;
    }
    return c;
}

/* and / or over bools of which none is an absorbing constant: one NaN
 * predicate of the same element, with the other operands that predicate or
 * the neutral constant, gives the predicate; p and !p give the absorbing
 * value.  Anything else is unknown. */
static lstate nanp_logic(gr_opcode o, const lstate *a, int nargs)
{
    lstate r;
    int k, have = 0;
    memset(&r, 0, sizeof r);
    for (k = 0; k < nargs; k++) {
        if (a[k].st == LS_CONST) {
            continue; /* the neutral value: absorbing ones were handled */
        }
        if (a[k].st != LS_NANP) {
            memset(&r, 0, sizeof r);
            return r;
        }
        if (!have) {
            r = a[k];
            have = 1;
        } else if (r.ref != a[k].ref) {
            memset(&r, 0, sizeof r);
            return r;
        } else if (r.neg != a[k].neg) { /* p and !p */
            memset(&r, 0, sizeof r);
            r.st = LS_CONST;
            r.c.i = o == GR_OP_OR;
            return r;
        }
    }
    return r;
}

/* A comparison of lane ref's element with itself (each side read as is or
 * NaN-canonicalized: no comparison tells the two apart).  Integers are
 * never NaN; an f64 x is x == x unless it is NaN. */
static lstate self_compare(const gr_pker *K, const gr_plop *op, int16_t ref)
{
    const gr_opcode o = (gr_opcode)op->irop;
    const int eq = o == GR_OP_EQ || o == GR_OP_LE || o == GR_OP_GE;
    const int nan_free = (gr_ek)op->cek != GR_EK_F64 || (gr_ek)K->lanes[ref].ek != GR_EK_F64;
    lstate r;
    memset(&r, 0, sizeof r);
    if (!eq && o != GR_OP_NE && o != GR_OP_LT && o != GR_OP_GT) {
        return r;
    }
    if (nan_free || o == GR_OP_LT || o == GR_OP_GT) {
        r.st = LS_CONST; /* no NaN, or < and > false even for NaN */
        r.c.i = nan_free && eq;
        return r;
    }
    r.st = LS_NANP; /* ==, <=, >=: !isnan(x); !=: isnan(x) */
    r.ref = ref;
    r.neg = (uint8_t)eq;
    return r;
}

/* min(x, its identity) or max(x, its identity), either order, all of kind
 * ek: x itself (gr_fmin / gr_fmax give the canonical NaN for a NaN x). */
static lstate minmax_identity(gr_opcode o, gr_ek ek, const lstate *a)
{
    lstate r;
    int k;
    memset(&r, 0, sizeof r);
    for (k = 0; k < 2; k++) {
        const lstate *c = &a[k], *x = &a[1 - k];
        int ident;
        if (c->st != LS_CONST || x->st != LS_REF) {
            continue;
        }
        if (ek == GR_EK_F64) {
            ident = o == GR_OP_MIN ? c->c.f == INFINITY : c->c.f == -INFINITY;
        } else if (ek == GR_EK_I64) {
            ident = c->c.i == (o == GR_OP_MIN ? INT64_MAX : INT64_MIN);
        } else {
            ident = 0;
        }
        if (ident) {
            r = *x;
            r.canon |= ek == GR_EK_F64;
            return r;
        }
    }
    return r;
}

/* The state of op's result from its operands' states. */
static lstate eval_op(const gr_pker *K, const gr_plop *op, const lstate *ls)
{
    const gr_opcode o = (gr_opcode)op->irop;
    const gr_ek oek = (gr_ek)op->oek;
    lstate r, a[3];
    int k, allc = 1;
    memset(&r, 0, sizeof r);
    for (k = 0; k < op->nargs; k++) {
        a[k] = ls[op->a[k]];
        allc &= a[k].st == LS_CONST;
    }
    if (allc) {
        lcell in[3], out;
        gr_kin kin[3];
        const gr_kpol one = {1};
        for (k = 0; k < op->nargs; k++) {
            in[k] = cell_of(a[k].c, (gr_ek)K->lanes[op->a[k]].ek);
            kin[k].p = &in[k];
            kin[k].ek = (gr_ek)K->lanes[op->a[k]].ek;
            kin[k].scalar = 1;
        }
        memset(&out, 0, sizeof out);
        if (gr_k_ew(o, (gr_ek)op->cek, kin, op->nargs, &out, oek, 1, one) == 0) {
            r.st = LS_CONST;
            r.c = scalar_of(out, oek);
        }
        return r;
    }
    if (o == GR_OP_WHERE && a[0].st == LS_CONST) {
        const gr_ek cek = (gr_ek)K->lanes[op->a[0]].ek;
        const int pick = (cek == GR_EK_F64 ? a[0].c.f != 0 : a[0].c.i != 0) ? 1 : 2;
        if ((gr_ek)K->lanes[op->a[pick]].ek == oek && (gr_ek)op->cek == oek) {
            return a[pick]; /* the branch taken, unconverted */
        }
        return r;
    }
    if ((o == GR_OP_AND || o == GR_OP_OR) && (gr_ek)op->cek == GR_EK_U8) {
        for (k = 0; k < op->nargs; k++) {
            const int nz = K->lanes[op->a[k]].ek == GR_EK_F64 ? a[k].c.f != 0 : a[k].c.i != 0;
            if (a[k].st == LS_CONST && nz == (o == GR_OP_OR)) {
                r.st = LS_CONST;
                r.c.i = nz;
                return r;
            }
        }
        return nanp_logic(o, a, op->nargs);
    }
    if (o == GR_OP_NOT && a[0].st == LS_NANP) {
        r = a[0];
        r.neg ^= 1;
        return r;
    }
    if (op->nargs == 2 && a[0].st == LS_REF && a[1].st == LS_REF && a[0].ref == a[1].ref) {
        return self_compare(K, op, a[0].ref);
    }
    if ((o == GR_OP_MIN || o == GR_OP_MAX) && (gr_ek)op->cek == oek &&
        (gr_ek)K->lanes[op->a[0]].ek == oek && (gr_ek)K->lanes[op->a[1]].ek == oek) {
        return minmax_identity(o, oek, a);
    }
    return r;
}

/* The value a masked-off receiver gets from an aggregation of monoid mon
 * into kind ek (kernels.h: 0, +inf / INT64_MAX / true, -inf / INT64_MIN /
 * false, 0, 0, false for sum, min, max, mean, count, any). */
static gr_kscalar agg_empty(int mon, gr_ek ek)
{
    gr_kscalar c;
    memset(&c, 0, sizeof c);
    switch (mon) {
    case GR_MON_MIN:
        if (ek == GR_EK_F64) {
            c.f = INFINITY;
        } else {
            c.i = ek == GR_EK_I64 ? INT64_MAX : 1;
        }
        break;
    case GR_MON_MAX:
        if (ek == GR_EK_F64) {
            c.f = -INFINITY;
        } else {
            c.i = ek == GR_EK_I64 ? INT64_MIN : 0;
        }
        break;
    default:
        break; /* 0 or 0.0 */
    }
    return c;
}

/* Whether register reg is read by aggregation A (its x, mask, conversion)
 * or by a vector input lane of its epilogue K: such a register cannot be
 * filled before the epilogue runs.  (A computed lane stored straight into
 * its output's register is written, not read, there.) */
static int reg_read(const gr_plan *pl, const gr_pagg *A, const gr_pker *K, int32_t reg)
{
    const int32_t sl[3] = {A->x, A->mask, A->conv};
    int32_t j;
    for (j = 0; j < 3; j++) {
        if (sl[j] >= 0 && pl->slots[sl[j]].reg == reg) {
            return 1;
        }
    }
    for (j = 0; j < K->nlanes; j++) {
        const gr_plane *ln = &K->lanes[j];
        if (ln->kind == GR_LK_IN && gr_type_is_vector(pl->slots[ln->slot].type) &&
            pl->slots[ln->slot].reg == reg) {
            return 1;
        }
    }
    return 0;
}

/* How map output o of kernel K (epilogue of A) gets its value at a skipped
 * node in state s: 1 with o->skip set, or 0 when it cannot.  A listed push's
 * epilogue (GR_SPARSE_PUSH) writes nothing at those nodes, so the output
 * must be the element its register holds; a GR_SPARSE_MASK epilogue may
 * also fill or copy the register first, when nothing the kernel reads
 * lives there. */
static int map_skip(const gr_plan *pl, const gr_pagg *A, const gr_pker *K, gr_pout *o,
                    const lstate *s, int kind)
{
    const gr_plane *src = s->st == LS_REF ? &K->lanes[s->ref] : NULL;
    int32_t reg;
    if (o->slot < 0) {
        return 0;
    }
    reg = pl->slots[o->slot].reg;
    if (src && !s->canon && src->ek == o->ek && pl->slots[src->slot].reg == reg) {
        o->skip = GR_SKIP_KEEP;
        return 1;
    }
    if (kind != GR_SPARSE_MASK || reg_read(pl, A, K, reg) ||
        (gr_ek)K->lanes[o->lane].ek != (gr_ek)o->ek) {
        return 0;
    }
    if (s->st == LS_CONST) {
        o->skip = GR_SKIP_FILL;
        o->rest = s->c;
        return 1;
    }
    if (src && src->ek == o->ek) {
        o->skip = s->canon && src->ek == GR_EK_F64 ? GR_SKIP_CANON : GR_SKIP_COPY;
        o->skipsrc = s->ref;
        return 1;
    }
    return 0;
}

/* Whether epilogue K of aggregation A may run sparse as kind (a
 * GR_SPARSE_*), into K->sparse; fills its outputs' skip and rest values
 * when it may.  GR_OK or GR_ERR_NOMEM. */
static int kernel_sparse(const gr_plan *pl, const gr_pagg *A, gr_pker *K, int kind,
                         gr_error *err)
{
    lstate *ls;
    int32_t j, k;
    int ok = 1;
    K->sparse = GR_SPARSE_NO;
    if (K->nlanes == 0) {
        return GR_OK;
    }
    if (!(ls = gr_calloc((size_t)K->nlanes, sizeof *ls))) {
        return gr_err_nomem(err, "lowering a plan");
    }
    for (j = 0; j < K->nlanes; j++) {
        const gr_plane *ln = &K->lanes[j];
        if (ln->kind == GR_LK_AGG) {
            ls[j].st = LS_CONST; /* any's false, or the masked-off receivers' value */
            if (kind == GR_SPARSE_MASK) {
                ls[j].c = agg_empty(A->mon, (gr_ek)ln->ek);
            }
        } else if (ln->kind == GR_LK_IN && gr_type_is_vector(pl->slots[ln->slot].type)) {
            ls[j].st = LS_REF;
            ls[j].ref = (int16_t)j;
        } else if (ln->kind == GR_LK_IN && const_slot(pl, ln->slot, &ls[j].c) &&
                   (gr_plan_rep(pl->slots[ln->slot].type) == GR_EK_F64) ==
                       (ln->ek == GR_EK_F64)) {
            ls[j].st = LS_CONST;
        }
    }
    for (k = 0; k < K->nops; k++) {
        ls[K->ops[k].out] = eval_op(K, &K->ops[k], ls);
    }
    for (k = 0; k < K->nout && ok; k++) {
        gr_pout *o = &K->out[k];
        const lstate *s = &ls[o->lane];
        if (o->fold == GR_FOLD_MAP) {
            ok = map_skip(pl, A, K, o, s, kind);
        } else {
            const gr_ek ek = (gr_ek)K->lanes[o->lane].ek;
            /* integer and bool folds only: f64 sums, minima and maxima keep their order */
            ok = s->st == LS_CONST &&
                 (ek != GR_EK_F64 || o->fold == GR_FOLD_COUNT || o->fold == GR_FOLD_ANY ||
                  o->fold == GR_FOLD_ALL);
            o->rest = s->c;
        }
    }
    gr_free(ls);
    K->sparse = (uint8_t)(ok ? kind : GR_SPARSE_NO);
    return GR_OK;
}

/* See plan_internal.h. */
int gr_plan_sparse_epilogues(gr_plan *pl, gr_error *err)
{
    int32_t k;
    int rc;
    for (k = 0; k < pl->naggs; k++) {
        const gr_pagg *A = &pl->aggs[k];
        int kind = GR_SPARSE_NO;
        if (A->epi < 0 || A->edgeker >= 0 || A->self) {
            continue;
        }
        if (gr_pagg_listable(A)) {
            kind = GR_SPARSE_PUSH;
        } else if (A->mask >= 0 && A->maskker < 0 && A->msgker < 0 && A->out < 0 &&
                   A->mon != GR_MON_MODE) {
            kind = GR_SPARSE_MASK;
        }
        if (kind != GR_SPARSE_NO && (rc = kernel_sparse(pl, A, &pl->kers[A->epi], kind, err)) < 0) {
            return rc;
        }
    }
    return GR_OK;
}
