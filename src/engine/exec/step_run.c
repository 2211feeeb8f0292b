/*
 * step_run.c - gr_step_run: run a whole program in step mode.
 *
 * A small evaluator walks the IR's blocks in order and makes one public
 * gr_step_* call per op, loops included, so a program run this way costs
 * exactly what a user driving the step API by hand would pay.  It uses only
 * the public step API and the IR structures (ir.h).
 *
 * Values live in an environment indexed by value id.  Loop-carried values
 * are shared between slots (the init value and the body's inner value, the
 * yielded value and the next iteration's inner value), so slots hold
 * reference-counted boxes; a value is freed when its last slot lets go of
 * it: when its slot is redefined (the next iteration of a body), when the
 * loop exits (its body's slots are cleared) or at the end of the run.
 * Boxes come from a pool of nvalues + 2 (at most one box per slot, plus the
 * one being defined), so nothing but the step calls allocates per op.
 *
 * Loops (gr_loop_kind): max_iter and tol are read once; the carried inner
 * values are bound to the initial values; each iteration runs the body,
 * counts itself in gr_result.iters, evaluates the exit test through the
 * step API on the watched carried value (converged: dist_l1(new, old) <
 * node_count * tol for vectors, abs(new - old) < tol for scalars;
 * unchanged: no element differs, NaN equal to NaN; or the body's own test
 * value when the loop has an explicit test), then binds the inner values
 * to the yielded ones.  repeat N runs max(N, 0) iterations, the until forms
 * at most max_iter.  After the loop its results are the last carried values
 * (the initial values when no iteration ran).
 *
 * The optimizer's ops run too, so step mode can check optimized programs
 * against unoptimized ones: a masked aggregation is the aggregation then a
 * where() with the monoid's empty value; a fused kernel runs its body once
 * on whole values (element-wise ops broadcast like any step call) and
 * reduces its fold outputs; a fused aggregation runs its message body on
 * whole values and aggregates the result, which needs the message to use
 * the edge weight only as w, x + w or x * w (else GR_ERR_INVALID).
 *
 * gr_result.ops counts the IR instructions executed (a loop or fused
 * kernel once per execution plus its body's instructions each time they
 * run; yield and return not at all); for a program without loops it equals
 * gr_program_op_count.  The calls made by exit tests are not counted.
 */
#include "config.h"
#include "gr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ir/ir.h"
#include "engine/ir/types.h"

#define TEST_VALS 8      /* temporaries of one exit test */
#define CARRY_STACK 16   /* carried values handled without allocating */

typedef struct box {
    gr_val *v;               /* owned */
    int32_t refs;            /* slots holding it */
    struct box *next;        /* free list */
} box;

typedef struct run {
    gr_ctx *c;
    const gr_program *p;
    const gr_params *ps;     /* NULL: defaults */
    gr_result *res;
    gr_error *err;
    box **env;               /* nvalues slots */
    box *pool;               /* nvalues + 2 boxes */
    box *free;               /* free boxes */
    gr_val *nc;              /* node_count (for converged tests) */
    size_t n;                /* its value */
} run;

/* ---- environment ---------------------------------------------------------------- */

static void box_unref(run *r, box *b)
{
    if (--b->refs == 0) {
        gr_val_free(&b->v);
        b->next = r->free;
        r->free = b;
    }
}

/* Slot id takes b (may be NULL) and lets go of what it held. */
static void slot_set(run *r, gr_vid id, box *b)
{
    box *old = r->env[id];
    if (b) {
        b->refs++;
    }
    r->env[id] = b;
    if (old) {
        box_unref(r, old);
    }
}

static int bad_vid(const run *r, gr_vid id)
{
    return id < 0 || id >= r->p->nvalues;
}

/* Define value id as v (taking ownership of v, also on error). */
static int define(run *r, gr_vid id, gr_val *v)
{
    box *b = r->free;
    if (bad_vid(r, id) || !b) {
        gr_val_free(&v);
        return gr_err(r->err, GR_ERR_INTERNAL, "step run: cannot define value %%%d", (int)id);
    }
    r->free = b->next;
    b->v = v;
    b->refs = 0;
    slot_set(r, id, b);
    return GR_OK;
}

/* The value of id, or NULL (with an error) when it is not defined. */
static gr_val *get(run *r, gr_vid id)
{
    if (bad_vid(r, id) || !r->env[id]) {
        gr_err(r->err, GR_ERR_INTERNAL, "step run: value %%%d is used before it is defined",
               (int)id);
        return NULL;
    }
    return r->env[id]->v;
}

/* Give an error without a location the location of instruction in. */
static int at(run *r, const gr_inst *in, int rc)
{
    gr_error *e = r->err;
    if (rc < 0 && e && e->code != GR_OK && !e->file[0] && in->loc.file && in->loc.line > 0) {
        snprintf(e->file, sizeof e->file, "%s", in->loc.file);
        e->line = in->loc.line;
        e->col = in->loc.col;
    }
    return rc;
}

/* How many inner values a region op defines (ir.h): a loop one per carried
 * value, a fused kernel one lane per operand, an aggregation kernel one
 * lane per operand and the edge weight's. */
static int32_t region_inner(const gr_inst *in)
{
    if (!in->body || !in->inner) {
        return 0;
    }
    switch (in->op) {
    case GR_OP_LOOP: return in->ncarry;
    case GR_OP_FUSED: return in->nargs;
    case GR_OP_AGG_FUSED: return in->nargs + 1;
    default: return 0;
    }
}

/* How many values a region op defines in in->results. */
static int32_t region_results(const gr_inst *in)
{
    return (in->op == GR_OP_LOOP || in->op == GR_OP_FUSED) && in->results ? in->ncarry : 0;
}

/* Let go of the inner values of region op in. */
static void clear_inner(run *r, const gr_inst *in)
{
    int32_t k, n = region_inner(in);
    for (k = 0; k < n; k++) {
        if (!bad_vid(r, in->inner[k])) {
            slot_set(r, in->inner[k], NULL);
        }
    }
}

/* Clear the slots a block defines (its values, nested regions' inner and
 * result values), freeing what no other slot holds. */
static void clear_block(run *r, const gr_block *blk)
{
    int32_t i, k;
    for (i = 0; i < blk->n; i++) {
        const gr_inst *in = &blk->insts[i];
        if (!bad_vid(r, in->result)) {
            slot_set(r, in->result, NULL);
        }
        if (in->body) {
            clear_inner(r, in);
            for (k = 0; k < region_results(in); k++) {
                if (!bad_vid(r, in->results[k])) {
                    slot_set(r, in->results[k], NULL);
                }
            }
            clear_block(r, in->body);
        }
    }
}

/* ---- exit tests ----------------------------------------------------------------- */

/* t[*nt] = op(a, b) through the step API. */
static int tcall(run *r, gr_val **t, int *nt, gr_opcode op, const gr_val *a, const gr_val *b)
{
    gr_val *args[2];
    args[0] = (gr_val *)a;
    args[1] = (gr_val *)b;
    if (*nt >= TEST_VALS) {
        return gr_err(r->err, GR_ERR_INTERNAL, "step run: exit test too long");
    }
    return gr_step_apply(r->c, op, args, b ? 2 : 1, &t[(*nt)++], r->err);
}

/* *stop = 1 when the loop should end after this iteration, comparing the
 * watched carried value's new value nw with its old value; thr is the
 * converged threshold (node_count * tol for a vector, tol for a scalar). */
static int exit_test(run *r, int kind, const gr_val *old, const gr_val *nw, const gr_val *thr,
                     int *stop)
{
    gr_val *t[TEST_VALS];
    gr_type ty = gr_val_type(nw);
    int vec = gr_type_is_vector(ty), nt = 0, rc, k;
    int64_t flag = 0;

    *stop = 0;
    if (kind == GR_LOOP_CONVERGED) {
        if (vec) { /* dist_l1(new, old) < node_count * tol */
            TRY(tcall(r, t, &nt, GR_OP_DIST_L1, nw, old));
            TRY(tcall(r, t, &nt, GR_OP_LT, t[0], thr));
        } else { /* abs(new - old) < tol */
            TRY(tcall(r, t, &nt, GR_OP_SUB, nw, old));
            TRY(tcall(r, t, &nt, GR_OP_ABS, t[0], NULL));
            TRY(tcall(r, t, &nt, GR_OP_LT, t[1], thr));
        }
        TRY(gr_val_read_i64(t[nt - 1], &flag, 1, r->err));
        *stop = flag != 0;
    } else {
        /* the "changed" mask or bool, then any() for vectors */
        if (gr_type_is_bool(ty)) { /* (new and not old) or (not new and old) */
            TRY(tcall(r, t, &nt, GR_OP_NOT, old, NULL));
            TRY(tcall(r, t, &nt, GR_OP_AND, nw, t[0]));
            TRY(tcall(r, t, &nt, GR_OP_NOT, nw, NULL));
            TRY(tcall(r, t, &nt, GR_OP_AND, t[2], old));
            TRY(tcall(r, t, &nt, GR_OP_OR, t[1], t[3]));
        } else if (gr_type_elem(ty) == GR_T_F64) { /* ne and not (both NaN) */
            TRY(tcall(r, t, &nt, GR_OP_NE, nw, old));
            TRY(tcall(r, t, &nt, GR_OP_NE, nw, nw));
            TRY(tcall(r, t, &nt, GR_OP_NE, old, old));
            TRY(tcall(r, t, &nt, GR_OP_AND, t[1], t[2]));
            TRY(tcall(r, t, &nt, GR_OP_NOT, t[3], NULL));
            TRY(tcall(r, t, &nt, GR_OP_AND, t[0], t[4]));
        } else {
            TRY(tcall(r, t, &nt, GR_OP_NE, nw, old));
        }
        if (vec) {
            TRY(tcall(r, t, &nt, GR_OP_ANY, t[nt - 1], NULL));
        }
        TRY(gr_val_read_i64(t[nt - 1], &flag, 1, r->err));
        *stop = flag == 0;
    }
    rc = GR_OK;
fail:
    for (k = 0; k < nt; k++) {
        gr_val_free(&t[k]);
    }
    return rc;
}

/* The exit test of a loop whose body computes it (attrs.explicit_test):
 * v is the yielded f64 distance (converged: stop when v < thr, as in
 * exit_test) or the bool "changed" (unchanged: stop when false). */
static int explicit_test(run *r, int kind, const gr_val *v, const gr_val *thr, int *stop)
{
    gr_val *t[TEST_VALS];
    int nt = 0, rc, k;
    int64_t flag = 0;
    *stop = 0;
    if (kind == GR_LOOP_CONVERGED) {
        TRY(tcall(r, t, &nt, GR_OP_LT, v, thr));
        TRY(gr_val_read_i64(t[nt - 1], &flag, 1, r->err));
        *stop = flag != 0;
    } else {
        TRY(gr_val_read_i64(v, &flag, 1, r->err));
        *stop = flag == 0;
    }
    rc = GR_OK;
fail:
    for (k = 0; k < nt; k++) {
        gr_val_free(&t[k]);
    }
    return rc;
}

/* ---- instructions ----------------------------------------------------------------- */

static int run_block(run *r, const gr_block *blk, const gr_inst **term);
static int exec_inst(run *r, const gr_inst *in);
static int malformed(run *r, const char *what);

static int run_loop(run *r, const gr_inst *in)
{
    const int kind = in->attrs.loop, test = in->attrs.test, nc = in->ncarry;
    const int expl = in->attrs.explicit_test != 0 && kind != GR_LOOP_REPEAT;
    box *tmpbuf[CARRY_STACK], **tmp = tmpbuf;
    gr_val *tolv = NULL, *thr = NULL, *mv;
    int64_t mi = 0, it;
    double tol = 0.0;
    int rc = GR_OK, k;

    if (!in->body || nc < 0 || in->nargs != nc + 2 || kind < GR_LOOP_REPEAT ||
        kind > GR_LOOP_UNCHANGED || (nc > 0 && (!in->inner || !in->results)) ||
        (kind != GR_LOOP_REPEAT && (test < 0 || test >= nc))) {
        return malformed(r, "loop");
    }
    if (!(mv = get(r, in->args[0]))) {
        return GR_ERR_INTERNAL;
    }
    TRY(gr_val_read_i64(mv, &mi, 1, r->err));
    if (kind == GR_LOOP_CONVERGED) {
        if (!(mv = get(r, in->args[1])) || !get(r, in->args[2 + test])) {
            return GR_ERR_INTERNAL;
        }
        TRY(gr_val_read_f64(mv, &tol, 1, r->err));
        TRY(gr_step_const_f64(r->c, tol, &tolv, r->err));
        mv = get(r, in->args[2 + test]);
        if (gr_type_is_vector(gr_val_type(mv))) { /* node_count * tol, once */
            gr_val *args[2];
            args[0] = r->nc;
            args[1] = tolv;
            TRY(gr_step_apply(r->c, GR_OP_MUL, args, 2, &thr, r->err));
        }
    }
    if (nc > CARRY_STACK && !(tmp = gr_malloc((size_t)nc * sizeof *tmp))) {
        rc = gr_err_nomem(r->err, "loop");
        goto fail;
    }
    for (k = 0; k < nc; k++) {
        if (!get(r, in->args[2 + k]) || bad_vid(r, in->inner[k]) || bad_vid(r, in->results[k])) {
            rc = gr_err(r->err, GR_ERR_INTERNAL, "step run: malformed loop");
            goto fail;
        }
        slot_set(r, in->inner[k], r->env[in->args[2 + k]]);
    }

    for (it = 0; it < mi; it++) {
        const gr_inst *y = NULL;
        int stop = 0;
        TRY(run_block(r, in->body, &y));
        if (!y || y->op != GR_OP_YIELD || y->nargs != nc + expl) {
            rc = gr_err(r->err, GR_ERR_INTERNAL, "step run: loop body does not end in yield");
            goto fail;
        }
        for (k = 0; k < nc + expl; k++) {
            if (!get(r, y->args[k])) {
                rc = GR_ERR_INTERNAL;
                goto fail;
            }
        }
        r->res->iters++;
        if (expl) {
            TRY(explicit_test(r, kind, r->env[y->args[nc]]->v, thr ? thr : tolv, &stop));
        } else if (kind != GR_LOOP_REPEAT) {
            TRY(exit_test(r, kind, r->env[in->inner[test]]->v, r->env[y->args[test]]->v,
                          thr ? thr : tolv, &stop));
        }
        /* inner = yielded, all at once (a yield may permute the carried values) */
        for (k = 0; k < nc; k++) {
            tmp[k] = r->env[y->args[k]];
            tmp[k]->refs++;
        }
        for (k = 0; k < nc; k++) {
            slot_set(r, in->inner[k], tmp[k]);
        }
        for (k = 0; k < nc; k++) {
            box_unref(r, tmp[k]);
        }
        if (stop) {
            break;
        }
    }
    for (k = 0; k < nc; k++) {
        slot_set(r, in->results[k], r->env[in->inner[k]]);
    }
    rc = GR_OK;
fail:
    /* The body's values and the inner values die with the loop. */
    for (k = 0; k < nc; k++) {
        if (!bad_vid(r, in->inner[k])) {
            slot_set(r, in->inner[k], NULL);
        }
    }
    clear_block(r, in->body);
    if (tmp != tmpbuf) {
        gr_free(tmp);
    }
    gr_val_free(&tolv);
    gr_val_free(&thr);
    return rc;
}

/* A masked aggregation's result: *res where mask is true, the monoid's
 * empty value elsewhere (x itself for mode).  Replaces *res (freed, and
 * NULL on error). */
static int apply_mask(run *r, int mon, gr_val **res, const gr_val *mask, const gr_val *x)
{
    gr_val *e = NULL, *out = NULL, *args[3];
    int rc = GR_OK;
    args[0] = (gr_val *)mask;
    args[1] = *res;
    if (mon == GR_MON_ANY) {
        rc = gr_step_apply(r->c, GR_OP_AND, args, 2, &out, r->err);
    } else {
        if (mon == GR_MON_MODE) {
            args[2] = (gr_val *)x;
        } else if (gr_type_elem(gr_val_type(*res)) == GR_T_F64) {
            rc = gr_step_const_f64(r->c, mon == GR_MON_MIN ? INFINITY
                                         : mon == GR_MON_MAX ? -INFINITY : 0.0, &e, r->err);
            args[2] = e;
        } else {
            rc = gr_step_const_i64(r->c, mon == GR_MON_MIN ? INT64_MAX
                                         : mon == GR_MON_MAX ? INT64_MIN : 0, &e, r->err);
            args[2] = e;
        }
        if (rc == GR_OK) {
            rc = gr_step_apply(r->c, GR_OP_WHERE, args, 3, &out, r->err);
        }
    }
    gr_val_free(&e);
    gr_val_free(res);
    *res = out;
    return rc;
}

/* out = op(a) through the step API. */
static int apply1(run *r, gr_opcode op, const gr_val *a, gr_val **out)
{
    gr_val *args[1];
    args[0] = (gr_val *)a;
    return gr_step_apply(r->c, op, args, 1, out, r->err);
}

static int malformed(run *r, const char *what)
{
    return gr_err(r->err, GR_ERR_INTERNAL, "step run: malformed %s", what);
}

/* Bind the first n lanes of region op in to its operands. */
static int bind_lanes(run *r, const gr_inst *in, int32_t n)
{
    int32_t k;
    for (k = 0; k < n; k++) {
        if (!get(r, in->args[k]) || bad_vid(r, in->inner[k])) {
            return malformed(r, gr_op_name((gr_opcode)in->op));
        }
        slot_set(r, in->inner[k], r->env[in->args[k]]);
    }
    return GR_OK;
}

/* A fused element-wise kernel: its body runs once on whole values (the
 * lanes bound to the operands, scalars broadcasting as in any step call);
 * a map output is the yielded value (filled when the body made a scalar),
 * a fold the matching reduction of it. */
static int run_fused(run *r, const gr_inst *in)
{
    static const gr_opcode fold_op[] = {GR_OP__COUNT, GR_OP_REDUCE_SUM, GR_OP_REDUCE_MIN,
                                        GR_OP_REDUCE_MAX, GR_OP_COUNT, GR_OP_ANY, GR_OP_ALL};
    const gr_inst *y = NULL;
    int32_t k;
    int rc;

    if (!in->body || !in->inner || in->nargs < 0 || in->ncarry < 0 ||
        (in->ncarry > 0 && !in->results)) {
        return malformed(r, "fused");
    }
    TRY(bind_lanes(r, in, in->nargs));
    TRY(run_block(r, in->body, &y));
    if (!y || y->op != GR_OP_YIELD || y->nargs != in->ncarry) {
        rc = malformed(r, "fused");
        goto fail;
    }
    for (k = 0; k < in->ncarry; k++) {
        int fold = in->fold ? in->fold[k] : GR_FOLD_MAP;
        gr_val *lane = get(r, y->args[k]), *vec = NULL, *out = NULL;
        int lane_vec;
        if (!lane || bad_vid(r, in->results[k]) || fold < GR_FOLD_MAP || fold > GR_FOLD_ALL) {
            rc = malformed(r, "fused");
            goto fail;
        }
        lane_vec = gr_type_is_vector(gr_val_type(lane));
        if (fold == GR_FOLD_MAP &&
            (lane_vec || !gr_type_is_vector(r->p->values[in->results[k]].type))) {
            slot_set(r, in->results[k], r->env[y->args[k]]);
            continue;
        }
        if (!lane_vec) {
            TRY(apply1(r, GR_OP_FILL, lane, &vec)); /* a scalar lane, broadcast */
            lane = vec;
        }
        if (fold == GR_FOLD_MAP) {
            out = vec;
        } else {
            rc = apply1(r, fold_op[fold], lane, &out);
            gr_val_free(&vec);
            if (rc != GR_OK) {
                goto fail;
            }
        }
        TRY(define(r, in->results[k], out));
    }
    rc = GR_OK;
fail:
    clear_inner(r, in);
    clear_block(r, in->body);
    return rc;
}

/* A fused aggregation: its message body runs once on whole values (lanes
 * bound to the operands), then one aggregation.  The message may use the
 * edge weight only as the whole of w, x + w or x * w (the step API's
 * messages); anything else needs the batched interpreter. */
static int run_agg_fused(run *r, const gr_inst *in)
{
    const gr_block *b = in->body;
    const int masked = in->attrs.masked != 0;
    const gr_inst *y, *skip = NULL;
    gr_vid wl, m, t = -1;
    gr_msg msg = GR_MSG_X;
    gr_val *x, *vec = NULL, *v = NULL;
    int32_t i, k, uses = 0;
    int rc;

    if (!b || !in->inner || in->nargs < masked + 1 || b->n < 1 ||
        b->insts[b->n - 1].op != GR_OP_YIELD || b->insts[b->n - 1].nargs != 1 ||
        bad_vid(r, in->result)) {
        return malformed(r, "agg_fused");
    }
    y = &b->insts[b->n - 1];
    wl = in->inner[in->nargs];
    m = y->args[0];
    for (i = 0; i < b->n; i++) {
        for (k = 0; k < b->insts[i].nargs; k++) {
            uses += b->insts[i].args[k] == wl;
        }
    }
    if (uses && m == wl && uses == 1) {
        msg = GR_MSG_W;
    } else if (uses) {
        for (i = 0; i < b->n - 1; i++) {
            const gr_inst *d = &b->insts[i];
            if (d->result == m && (d->op == GR_OP_ADD || d->op == GR_OP_MUL) && d->nargs == 2 &&
                uses == 1 && (d->args[0] == wl) != (d->args[1] == wl)) {
                msg = d->op == GR_OP_ADD ? GR_MSG_ADD_W : GR_MSG_MUL_W;
                t = d->args[0] == wl ? d->args[1] : d->args[0];
                skip = d;
            }
        }
        if (!skip) {
            return gr_err(r->err, GR_ERR_INVALID, "step mode cannot run this agg_fused: its "
                          "message uses the edge weight other than as w, x + w or x * w "
                          "(run the program with gr_plan_run)");
        }
    }
    TRY(bind_lanes(r, in, in->nargs));
    for (i = 0; i < b->n - 1; i++) {
        if (&b->insts[i] != skip) {
            TRY(exec_inst(r, &b->insts[i]));
        }
    }
    /* the vector aggregated: the message, its x part, or (w) any operand */
    x = NULL;
    if (msg == GR_MSG_W) {
        for (k = 0; k < in->nargs - masked && !x; k++) {
            x = gr_type_is_vector(gr_val_type(r->env[in->args[k]]->v)) ? r->env[in->args[k]]->v
                                                                       : NULL;
        }
    } else {
        x = get(r, msg == GR_MSG_X ? m : t);
    }
    if (!x) {
        rc = malformed(r, "agg_fused");
        goto fail;
    }
    if (!gr_type_is_vector(gr_val_type(x))) {
        TRY(apply1(r, GR_OP_FILL, x, &vec));
        x = vec;
    }
    TRY(gr_step_agg(r->c, (gr_dir)in->attrs.dir, (gr_monoid)in->attrs.monoid, msg,
                    in->attrs.self, x, &v, r->err));
    if (masked) {
        TRY(apply_mask(r, in->attrs.monoid, &v, r->env[in->args[in->nargs - 1]]->v, x));
    }
    rc = define(r, in->result, v);
    v = NULL;
fail:
    gr_val_free(&v);
    gr_val_free(&vec);
    clear_inner(r, in);
    clear_block(r, in->body);
    return rc;
}

/* The value of parameter k as a new step value of type t. */
static int param_value(run *r, int64_t k, gr_val **out)
{
    const gr_param *pa;
    if (k < 0 || k >= r->p->nparams) {
        return gr_err(r->err, GR_ERR_INTERNAL, "step run: no parameter %lld", (long long)k);
    }
    pa = &r->p->params[k];
    switch (pa->type) {
    case GR_T_F64:
        return gr_step_const_f64(r->c, r->ps ? gr_params_f64(r->ps, (int)k) : pa->fdefault, out,
                                 r->err);
    case GR_T_I64:
        return gr_step_const_i64(r->c, r->ps ? gr_params_i64(r->ps, (int)k) : pa->idefault, out,
                                 r->err);
    case GR_T_BOOL:
        return gr_step_const_bool(r->c, r->ps ? gr_params_i64(r->ps, (int)k) != 0
                                              : pa->idefault != 0, out, r->err);
    default:
        return gr_err(r->err, GR_ERR_INTERNAL, "step run: parameter %s has type %s", pa->name,
                      gr_type_name(pa->type));
    }
}

/* Execute one instruction (not yield or return). */
static int exec_inst(run *r, const gr_inst *in)
{
    gr_val *v = NULL, *a[3];
    int rc, k;

    switch (in->op) {
    case GR_OP_CONST: {
        gr_type t = bad_vid(r, in->result) ? GR_T_NONE : r->p->values[in->result].type;
        if (t == GR_T_F64) {
            rc = gr_step_const_f64(r->c, in->attrs.f, &v, r->err);
        } else if (t == GR_T_I64) {
            rc = gr_step_const_i64(r->c, in->attrs.i, &v, r->err);
        } else if (t == GR_T_BOOL) {
            rc = gr_step_const_bool(r->c, in->attrs.i != 0, &v, r->err);
        } else {
            rc = gr_err(r->err, GR_ERR_INTERNAL, "step run: constant of type %s",
                        gr_type_name(t));
        }
        break;
    }
    case GR_OP_PARAM:
        rc = param_value(r, in->attrs.i, &v);
        break;
    case GR_OP_AGG: {
        const int masked = in->attrs.masked != 0;
        if (in->nargs != 1 + masked || !(a[0] = get(r, in->args[0])) ||
            (masked && !(a[1] = get(r, in->args[1])))) {
            return at(r, in, malformed(r, "agg"));
        }
        rc = gr_step_agg(r->c, (gr_dir)in->attrs.dir, (gr_monoid)in->attrs.monoid,
                         (gr_msg)in->attrs.msg, in->attrs.self, a[0], &v, r->err);
        if (rc == GR_OK && masked) {
            rc = apply_mask(r, in->attrs.monoid, &v, a[1], a[0]);
        }
        break;
    }
    case GR_OP_FUSED:
        r->res->ops++;
        return at(r, in, run_fused(r, in));
    case GR_OP_AGG_FUSED:
        r->res->ops++;
        return at(r, in, run_agg_fused(r, in));
    case GR_OP_LOOP:
        r->res->ops++;
        return at(r, in, run_loop(r, in));
    case GR_OP_YIELD:
    case GR_OP_RETURN:
        return gr_err(r->err, GR_ERR_INTERNAL, "step run: misplaced %s",
                      gr_op_name((gr_opcode)in->op));
    default:
        if (in->nargs < 0 || in->nargs > 3) {
            return at(r, in, gr_err(r->err, GR_ERR_INTERNAL, "step run: %d operands",
                                    (int)in->nargs));
        }
        for (k = 0; k < in->nargs; k++) {
            if (!(a[k] = get(r, in->args[k]))) {
                return at(r, in, GR_ERR_INTERNAL);
            }
        }
        rc = gr_step_apply(r->c, (gr_opcode)in->op, a, in->nargs, &v, r->err);
        break;
    }
    if (rc != GR_OK) {
        gr_val_free(&v);
        return at(r, in, rc);
    }
    r->res->ops++;
    if (v) {
        return at(r, in, define(r, in->result, v));
    }
    return GR_OK;
}

/* Run blk up to its terminator (yield or return), returned in *term
 * (NULL when the block has none). */
static int run_block(run *r, const gr_block *blk, const gr_inst **term)
{
    int32_t i;
    int rc;
    *term = NULL;
    for (i = 0; i < blk->n; i++) {
        const gr_inst *in = &blk->insts[i];
        if (in->op == GR_OP_YIELD || in->op == GR_OP_RETURN) {
            *term = in;
            return GR_OK;
        }
        if ((rc = exec_inst(r, in)) != GR_OK) {
            return rc;
        }
    }
    return GR_OK;
}

/* ---- results ---------------------------------------------------------------------- */

/* Copy the returned values into r->res. */
static int collect(run *r, const gr_inst *ret)
{
    gr_result *res = r->res;
    char def[32];
    int k, rc;
    if (ret->nargs < 0) {
        return gr_err(r->err, GR_ERR_INTERNAL, "step run: malformed return");
    }
    if (ret->nargs && !(res->out = gr_calloc((size_t)ret->nargs, sizeof *res->out))) {
        return gr_err_nomem(r->err, "results");
    }
    res->nout = ret->nargs;
    for (k = 0; k < ret->nargs; k++) {
        gr_output *o = &res->out[k];
        const char *name = r->p->result_names ? r->p->result_names[k] : NULL;
        gr_val *v = get(r, ret->args[k]);
        if (!v) {
            return GR_ERR_INTERNAL;
        }
        if (!name) {
            snprintf(def, sizeof def, k ? "result%d" : "result", k + 1);
            name = def;
        }
        o->type = gr_val_type(v);
        o->len = gr_type_is_vector(o->type) ? r->n : 1;
        if (!(o->name = gr_strdup(name))) {
            return gr_err_nomem(r->err, "results");
        }
        if (gr_type_elem(o->type) == GR_T_F64) {
            if (!(o->f64 = gr_malloc(o->len * sizeof *o->f64))) {
                return gr_err_nomem(r->err, "results");
            }
            rc = gr_val_read_f64(v, o->f64, o->len, r->err);
        } else {
            if (!(o->i64 = gr_malloc(o->len * sizeof *o->i64))) {
                return gr_err_nomem(r->err, "results");
            }
            rc = gr_val_read_i64(v, o->i64, o->len, r->err);
        }
        if (rc != GR_OK) {
            return rc;
        }
    }
    return GR_OK;
}

/* See gr.h.  params must come from gr_params_new on p (or on a program
 * with the same parameters).  On error res is left empty. */
int gr_step_run(gr_ctx *c, const gr_program *p, const gr_params *params, gr_result *res,
                gr_error *err)
{
    const gr_inst *term = NULL;
    int64_t n = 0;
    int32_t k;
    run r;
    int rc;

    if (!res) {
        return gr_err(err, GR_ERR_INVALID, "gr_step_run: result is NULL");
    }
    memset(res, 0, sizeof *res);
    if (!c || !p) {
        return gr_err(err, GR_ERR_INVALID, "gr_step_run: %s is NULL", c ? "program" : "context");
    }
    memset(&r, 0, sizeof r);
    r.c = c;
    r.p = p;
    r.ps = params;
    r.res = res;
    r.err = err;
    if (!(r.env = gr_calloc((size_t)p->nvalues + 1, sizeof *r.env)) ||
        !(r.pool = gr_malloc(((size_t)p->nvalues + 2) * sizeof *r.pool))) {
        rc = gr_err_nomem(err, "step run environment");
        goto fail;
    }
    for (k = 0; k < p->nvalues + 2; k++) {
        r.pool[k].next = k + 1 < p->nvalues + 2 ? &r.pool[k + 1] : NULL;
    }
    r.free = r.pool;
    TRY(gr_step_apply(c, GR_OP_NODE_COUNT, NULL, 0, &r.nc, err));
    TRY(gr_val_read_i64(r.nc, &n, 1, err));
    r.n = (size_t)n;

    TRY(run_block(&r, &p->top, &term));
    if (!term || term->op != GR_OP_RETURN) {
        rc = gr_err(err, GR_ERR_INTERNAL, "step run: the program does not end in return");
        goto fail;
    }
    TRY(collect(&r, term));
    rc = GR_OK;
fail:
    if (r.env) {
        for (k = 0; k < p->nvalues; k++) {
            if (r.env[k]) {
                slot_set(&r, k, NULL);
            }
        }
    }
    gr_free(r.env);
    gr_free(r.pool);
    gr_val_free(&r.nc);
    if (rc != GR_OK) {
        gr_result_release(res);
    }
    return rc;
}
