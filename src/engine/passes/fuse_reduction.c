/*
 * fuse_reduction.c - gr_pass_fuse_reduction: reductions become folds of
 * fused kernels, and loop exit tests become explicit kernel folds.  In the
 * top block and loop bodies:
 *
 * 1. FOLDS.  A reduction (reduce_sum, reduce_min, reduce_max, count, any,
 *    all) of a vector x becomes a fold output of the kernel computing x
 *    (sum, min, max, count, any, all: ir.h's gr_fold, which every executor
 *    computes exactly as the reduction, blocks and NaN rules included), so
 *    x is never written to memory.  Fires when x is a map output of a
 *    FUSED kernel (its output turns into the fold), or the result of a
 *    plain element-wise op (which becomes a one-op kernel with the fold),
 *    in the same block.  It must NOT fire when x is read by anything else
 *    (the vector is needed anyway: a value used twice stays computed once
 *    and written once), when a side effect lies between the producer and
 *    the reduction, or for reduce_mean and the distances (not folds).
 *
 * 2. EXPLICIT LOOP TESTS.  A converged or unchanged loop watching a vector
 *    compares the watched value's next value with its current one after
 *    every iteration: one more pass reading two vectors.  When the next
 *    value is made in the loop body (top level of the body) by a FUSED
 *    kernel's map output, a plain element-wise op (wrapped into a one-op
 *    kernel), or an aggregation that has an epilogue, the comparison is
 *    fused into that kernel, which already has the next value in hand: a
 *    fold computing dist_l1(next, current) (converged: sum of |next -
 *    current|, i64 values converted to f64 first, as dist_l1 does) or
 *    "changed" (unchanged: any lane where next != current, NaN equal to
 *    NaN; for masks the exclusive or), yielded as the loop's explicit test
 *    (attrs.explicit_test).  That saves the pass.  It must NOT fire for a
 *    scalar test value (no pass to save), a watched value the body passes
 *    through unchanged or takes from elsewhere, a next value made by
 *    another kind of op (gather, scatter, a nested loop), or an aggregation
 *    without an epilogue (LPA's mode): a kernel of its own would add an op
 *    to the program (the optimizer never grows gr_program_op_count) where
 *    the plan's own test already reads the two vectors once.
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <string.h>

static int nomem(gr_error *err) { return gr_err_nomem(err, "fusing reductions"); }

static gr_type vtype(const gr_program *p, gr_vid v)
{
    return v >= 0 && v < p->nvalues ? p->values[v].type : GR_T_NONE;
}

static int32_t index_of(gr_program *p, const gr_an_deps *d, int32_t pos)
{
    return (int32_t)(d->inst[pos] - gr_fuse_block_at(p, d, pos)->insts);
}

static int in_block(const gr_an_deps *d, int32_t pos)
{
    int32_t r = d->parent[pos];
    return r < 0 || d->inst[r]->op == GR_OP_LOOP;
}

/* The fold kind computing reduction op, or -1. */
static int fold_of(int op)
{
    switch (op) {
    case GR_OP_REDUCE_SUM: return GR_FOLD_SUM;
    case GR_OP_REDUCE_MIN: return GR_FOLD_MIN;
    case GR_OP_REDUCE_MAX: return GR_FOLD_MAX;
    case GR_OP_COUNT: return GR_FOLD_COUNT;
    case GR_OP_ANY: return GR_FOLD_ANY;
    case GR_OP_ALL: return GR_FOLD_ALL;
    default: return -1;
    }
}

/* ---- 1. folds -------------------------------------------------------------------------- */

static int try_fold(gr_program *p, const gr_an_deps *d, int32_t j, int *changed, gr_error *err)
{
    const gr_inst *R = d->inst[j];
    gr_inst *P;
    gr_block *b;
    gr_fuse_kb kb;
    uint8_t *drop = NULL;
    int fold = fold_of(R->op), rc;
    int32_t q, k, o = -1;
    gr_vid x;

    memset(&kb, 0, sizeof kb);
    if (fold < 0 || !in_block(d, j) || R->nargs != 1) {
        return GR_OK;
    }
    x = R->args[0];
    q = d->def[x];
    if (q < 0 || q >= j || d->parent[q] != d->parent[j] || d->nuses[x] != 1) {
        return GR_OK;
    }
    for (k = q + 1; k < j; k++) {
        if (gr_op_info(d->inst[k]->op)->flags & GR_F_SIDE) {
            return GR_OK;
        }
    }
    P = d->inst[q];
    if (P->op == GR_OP_FUSED) {
        for (k = 0; P->results && k < P->ncarry; k++) {
            if (P->results[k] == x && P->fold[k] == GR_FOLD_MAP) {
                o = k;
            }
        }
        if (o < 0) {
            return GR_OK;
        }
    } else if (!(gr_op_info(P->op)->flags & GR_F_EW) || !gr_type_is_vector(vtype(p, x))) {
        return GR_OK;
    }
    b = gr_fuse_block_at(p, d, j);
    if (!(drop = gr_calloc((size_t)b->n, sizeof *drop))) {
        return nomem(err);
    }
    if (P->op == GR_OP_FUSED) {
        /* the output becomes the fold; the reduction goes */
        P->results[o] = R->result;
        P->fold[o] = (uint8_t)fold;
        drop[index_of(p, d, j)] = 1;
    } else {
        gr_vid bv;
        TRY(gr_fuse_begin(&kb, p, GR_OP_FUSED, err));
        TRY(gr_fuse_copy(&kb, P, 0, err));
        TRY(gr_fuse_value(&kb, x, &bv, err));
        TRY(gr_fuse_output(&kb, bv, fold, R->result, err));
        kb.k.loc = R->loc;
        TRY(gr_fuse_install(&kb, d->inst[j], err));
        drop[index_of(p, d, q)] = 1;
    }
    TRY(gr_pass_drop(b, drop, err));
    *changed = 1;
    rc = GR_OK;
fail:
    gr_fuse_end(&kb);
    gr_free(drop);
    return rc;
}

/* ---- 2. explicit loop tests ------------------------------------------------------------ */

/* Add to kb the test comparing body values nx (next) and cur (current) of
 * element type t for a loop of kind `kind`; *out the fold's program
 * value. */
static int add_test(gr_fuse_kb *kb, int kind, gr_type t, gr_vid nx, gr_vid cur, gr_vid *out,
                    gr_error *err)
{
    gr_vid a[2], d, e, f, g, h;
    int rc;
    if (kind == GR_LOOP_CONVERGED) {
        if (t != GR_T_F64) {
            TRY(gr_fuse_op(kb, GR_OP_TO_F64, &nx, 1, &nx, err));
            TRY(gr_fuse_op(kb, GR_OP_TO_F64, &cur, 1, &cur, err));
        }
        a[0] = nx;
        a[1] = cur;
        TRY(gr_fuse_op(kb, GR_OP_SUB, a, 2, &d, err));
        TRY(gr_fuse_op(kb, GR_OP_ABS, &d, 1, &d, err));
        if ((*out = gr_ir_new_value(kb->p, GR_T_F64)) < 0) {
            return nomem(err);
        }
        return gr_fuse_output(kb, d, GR_FOLD_SUM, *out, err);
    }
    if (t == GR_T_BOOL) { /* (nx and not cur) or (not nx and cur) */
        TRY(gr_fuse_op(kb, GR_OP_NOT, &cur, 1, &e, err));
        a[0] = nx;
        a[1] = e;
        TRY(gr_fuse_op(kb, GR_OP_AND, a, 2, &f, err));
        TRY(gr_fuse_op(kb, GR_OP_NOT, &nx, 1, &e, err));
        a[0] = e;
        a[1] = cur;
        TRY(gr_fuse_op(kb, GR_OP_AND, a, 2, &g, err));
        a[0] = f;
        a[1] = g;
        TRY(gr_fuse_op(kb, GR_OP_OR, a, 2, &d, err));
    } else {
        a[0] = nx;
        a[1] = cur;
        TRY(gr_fuse_op(kb, GR_OP_NE, a, 2, &d, err));
        if (t == GR_T_F64) { /* and not (both NaN) */
            a[0] = a[1] = nx;
            TRY(gr_fuse_op(kb, GR_OP_NE, a, 2, &e, err));
            a[0] = a[1] = cur;
            TRY(gr_fuse_op(kb, GR_OP_NE, a, 2, &f, err));
            a[0] = e;
            a[1] = f;
            TRY(gr_fuse_op(kb, GR_OP_AND, a, 2, &g, err));
            TRY(gr_fuse_op(kb, GR_OP_NOT, &g, 1, &h, err));
            a[0] = d;
            a[1] = h;
            TRY(gr_fuse_op(kb, GR_OP_AND, a, 2, &d, err));
        }
    }
    if ((*out = gr_ir_new_value(kb->p, GR_T_BOOL)) < 0) {
        return nomem(err);
    }
    return gr_fuse_output(kb, d, GR_FOLD_ANY, *out, err);
fail:
    return rc;
}

static int try_test(gr_program *p, const gr_an_deps *d, int32_t l, int *changed, gr_error *err)
{
    gr_inst *L = d->inst[l], *y, *N, *slot;
    gr_fuse_kb kb;
    gr_vid cur, nx, bn, bc, tv, *yargs = NULL;
    int32_t t, np, in_, k;
    int kind = L->attrs.loop, rc;
    gr_block *b;

    memset(&kb, 0, sizeof kb);
    if (L->op != GR_OP_LOOP || kind == GR_LOOP_REPEAT || L->attrs.explicit_test ||
        !(y = gr_pass_yield(L))) {
        return GR_OK;
    }
    t = L->attrs.test;
    cur = L->inner[t];
    nx = y->args[t];
    if (!gr_type_is_vector(vtype(p, cur)) || nx == cur || (np = d->def[nx]) < 0 ||
        d->parent[np] != l) {
        return GR_OK;
    }
    N = d->inst[np];
    b = L->body;
    in_ = index_of(p, d, np);
    TRY(gr_fuse_begin(&kb, p, GR_OP_FUSED, err));
    if (N->op == GR_OP_FUSED && !N->attrs.epilogue) {
        slot = N;
        TRY(gr_fuse_copy(&kb, N, 1, err));
    } else if (N->op == GR_OP_FUSED) {
        slot = N;
        TRY(gr_fuse_copy(&kb, N, 1, err));
        kb.k.attrs.epilogue = 1;
    } else if ((gr_op_info(N->op)->flags & GR_F_EW) && N->result == nx) {
        slot = N;
        TRY(gr_fuse_copy(&kb, N, 1, err));
    } else if ((N->op == GR_OP_AGG || N->op == GR_OP_AGG_FUSED) && N->result == nx) {
        if (in_ + 1 >= b->n || b->insts[in_ + 1].op != GR_OP_FUSED ||
            !b->insts[in_ + 1].attrs.epilogue) {
            rc = GR_OK; /* no epilogue to carry the test */
            goto fail;
        }
        slot = &b->insts[in_ + 1]; /* its epilogue gains the test */
        TRY(gr_fuse_copy(&kb, slot, 1, err));
        kb.k.attrs.epilogue = 1;
    } else {
        rc = GR_OK;
        goto fail;
    }
    kb.k.loc = slot->loc;
    TRY(gr_fuse_value(&kb, nx, &bn, err));
    TRY(gr_fuse_value(&kb, cur, &bc, err));
    TRY(add_test(&kb, kind, gr_type_elem(vtype(p, cur)), bn, bc, &tv, err));
    if (!(yargs = gr_malloc(((size_t)y->nargs + 1) * sizeof *yargs))) {
        rc = nomem(err);
        goto fail;
    }
    for (k = 0; k < y->nargs; k++) {
        yargs[k] = y->args[k];
    }
    yargs[y->nargs] = tv;
    TRY(gr_fuse_install(&kb, slot, err));
    gr_free(y->args);
    y->args = yargs;
    y->nargs++;
    yargs = NULL;
    L->attrs.explicit_test = 1;
    *changed = 1;
    rc = GR_OK;
fail:
    gr_free(yargs);
    gr_fuse_end(&kb);
    return rc;
}

/* ---- the pass --------------------------------------------------------------------------- */

/* gr_pass_fuse_reduction: see passes.h and the banner. */
int gr_pass_fuse_reduction(gr_program *p, gr_error *err)
{
    static const gr_rewrite_fn steps[] = {try_fold, try_test};
    return gr_pass_rewrite_steps(p, steps, sizeof steps / sizeof steps[0], err);
}
