/*
 * fuse_loops.c - gr_pass_fuse_loops: fusion of adjacent independent work
 * of the same shape, in the top block and loop bodies.
 *
 * 1. KERNELS.  Two kernels over the nodes -- FUSED kernels or plain
 *    element-wise ops making a vector, at least one of the two a FUSED,
 *    neither an epilogue -- where the second is the next kernel after the
 *    first in their block become one FUSED kernel with both bodies and all
 *    outputs: one pass over the nodes instead of two, each input shared by
 *    both read once (PageRank's dangling sum and its contributions).  The
 *    instructions between that the second reads move before the merged
 *    kernel, the others after it.
 *
 * 2. LOOPS.  Two `repeat` loops with the same trip count (the same max_iter
 *    value), the second the next repeat loop after the first in their
 *    block, become one loop carrying both loops' values, the first body
 *    then the second each iteration.  The instructions between are moved
 *    as for kernels.  Only repeat loops: converged and unchanged loops stop
 *    on their own tests, so two of them do not run the same iterations.
 *    (gr_result.iters counts the merged loop once.)
 *
 * Both fire only when it is legal: the second does not depend on the first
 * (it reads none of the first's values, directly or through the
 * instructions between), and no side effect lies between them.  Loops
 * must also not both hold a side effect (their prints would interleave).
 * They must NOT fire when there is a dependence, across a print, for
 * loops of different kinds or trip counts, or with an epilogue (it belongs
 * to its aggregation).
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <string.h>

static int nomem(gr_error *err) { return gr_err_nomem(err, "fusing loops"); }

static gr_type vtype(const gr_program *p, gr_vid v)
{
    return v >= 0 && v < p->nvalues ? p->values[v].type : GR_T_NONE;
}

/* Kernel candidates: 2 a FUSED kernel, 1 a plain element-wise op making a
 * vector, 0 neither. */
static int kernel_kind(const gr_program *p, const gr_inst *in)
{
    if (in->op == GR_OP_FUSED) {
        return in->attrs.epilogue ? 0 : 2;
    }
    return (gr_op_info(in->op)->flags & GR_F_EW) && gr_type_is_vector(vtype(p, in->result));
}

static int is_repeat(const gr_inst *in)
{
    return in->op == GR_OP_LOOP && in->attrs.loop == GR_LOOP_REPEAT && in->nargs >= 2 &&
           !in->attrs.explicit_test;
}

/* ---- merging ----------------------------------------------------------------------------- */

/* Merge kernel s into kernel f (both of block b): f becomes the merged
 * kernel, s is zeroed. */
static int merge_kernels(gr_program *p, gr_inst *f, gr_inst *s, gr_error *err)
{
    gr_fuse_kb kb;
    gr_inst *both[2];
    int rc;
    both[0] = f;
    both[1] = s;
    TRY(gr_fuse_begin(&kb, p, GR_OP_FUSED, err));
    TRY(gr_fuse_lanes(&kb, both, 2, err));
    TRY(gr_fuse_copy(&kb, f, 1, err));
    TRY(gr_fuse_copy(&kb, s, 1, err));
    kb.k.loc = f->loc;
    TRY(gr_fuse_install(&kb, f, err));
    gr_ir_inst_release(s);
fail:
    gr_fuse_end(&kb);
    return rc;
}

/* Concatenate a and b (na, nb entries) into a new array *out. */
static int cat(const gr_vid *a, int32_t na, const gr_vid *b, int32_t nb, gr_vid **out)
{
    *out = gr_malloc(((size_t)na + (size_t)nb + 1) * sizeof **out);
    if (!*out) {
        return GR_ERR_NOMEM;
    }
    if (na > 0) {
        memcpy(*out, a, (size_t)na * sizeof **out);
    }
    if (nb > 0) {
        memcpy(*out + na, b, (size_t)nb * sizeof **out);
    }
    return GR_OK;
}

/* Merge repeat loop s into repeat loop f: f carries both loops' values
 * and runs f's body then s's; s is zeroed. */
static int merge_loops(gr_inst *f, gr_inst *s, gr_error *err)
{
    gr_inst *yf = gr_pass_yield(f), *ys = gr_pass_yield(s), *insts = NULL;
    gr_vid *args = NULL, *inner = NULL, *results = NULL, *yargs = NULL;
    int32_t nf = f->body->n - 1, ns = s->body->n - 1, n;
    int rc = GR_ERR_NOMEM;

    if (!yf || !ys) {
        return gr_err(err, GR_ERR_INTERNAL, "fuse_loops: a loop body without yield");
    }
    n = nf + ns + 1;
    if (cat(f->args, f->nargs, s->args + 2, s->nargs - 2, &args) < 0 ||
        cat(f->inner, f->ncarry, s->inner, s->ncarry, &inner) < 0 ||
        cat(f->results, f->ncarry, s->results, s->ncarry, &results) < 0 ||
        cat(yf->args, yf->nargs, ys->args, ys->nargs, &yargs) < 0 ||
        !(insts = gr_malloc((size_t)n * sizeof *insts))) {
        goto fail;
    }
    /* nothing fails from here on */
    memcpy(insts, f->body->insts, (size_t)nf * sizeof *insts);
    memcpy(insts + nf, s->body->insts, (size_t)ns * sizeof *insts);
    insts[n - 1] = *yf;
    gr_free(yf->args);
    gr_free(ys->args);
    insts[n - 1].args = yargs;
    insts[n - 1].nargs = f->ncarry + s->ncarry;
    yargs = NULL;
    gr_free(f->body->insts);
    gr_free(s->body->insts);
    s->body->insts = NULL;
    s->body->n = s->body->cap = 0;
    f->body->insts = insts;
    f->body->n = f->body->cap = n;
    insts = NULL;
    gr_pass_fix_parents(f->body);
    gr_free(f->args);
    gr_free(f->inner);
    gr_free(f->results);
    f->args = args;
    f->inner = inner;
    f->results = results;
    f->nargs += s->nargs - 2;
    f->ncarry += s->ncarry;
    args = inner = results = NULL;
    gr_ir_inst_release(s);
    rc = GR_OK;
fail:
    gr_free(args);
    gr_free(inner);
    gr_free(results);
    gr_free(yargs);
    gr_free(insts);
    return rc < 0 ? nomem(err) : rc;
}

/* ---- the pass ----------------------------------------------------------------------------- */

/* Try to merge the instruction at index j of block b (block of region op
 * at position parent, its positions in pos) into the previous one of its
 * kind. */
static int try_at(gr_program *p, const gr_an_deps *d, gr_block *b, const int32_t *pos,
                  int32_t j, int *changed, gr_error *err)
{
    gr_inst *s = &b->insts[j];
    int32_t i, k, m, n = b->n, *order = NULL;
    uint8_t *dep = NULL, *drop = NULL;
    int loops = is_repeat(s), kk = kernel_kind(p, s), rc;

    if (!loops && !kk) {
        return GR_OK;
    }
    for (i = j - 1; i >= 0; i--) { /* the previous one of the same kind */
        if (loops ? is_repeat(&b->insts[i]) : kernel_kind(p, &b->insts[i]) != 0) {
            break;
        }
    }
    if (i < 0) {
        return GR_OK;
    }
    if (loops ? b->insts[i].args[0] != s->args[0] ||
                (gr_fuse_side(&b->insts[i]) && gr_fuse_side(s))
              : kernel_kind(p, &b->insts[i]) + kk < 3) {
        return GR_OK;
    }
    for (k = i + 1; k < j; k++) {
        if (gr_fuse_side(&b->insts[k])) {
            return GR_OK;
        }
    }
    dep = gr_calloc((size_t)n, sizeof *dep);
    order = gr_malloc((size_t)n * sizeof *order);
    drop = gr_calloc((size_t)n, sizeof *drop);
    if (!dep || !order || !drop) {
        rc = nomem(err);
        goto fail;
    }
    gr_fuse_deps_between(d, pos, i, j, dep);
    rc = GR_OK;
    if (gr_fuse_depends(d, pos[j], pos[i])) {
        goto fail; /* the second reads the first */
    }
    for (k = i + 1; k < j; k++) {
        if (dep[k] && gr_fuse_depends(d, pos[k], pos[i])) {
            goto fail; /* ... through an instruction between */
        }
    }
    /* ... D, first (merged), the rest, (second, dropped) ... */
    m = 0;
    for (k = 0; k < i; k++) {
        order[m++] = k;
    }
    for (k = i + 1; k < j; k++) {
        if (dep[k]) {
            order[m++] = k;
        }
    }
    order[m++] = i;
    for (k = i + 1; k < j; k++) {
        if (!dep[k]) {
            order[m++] = k;
        }
    }
    for (k = j; k < n; k++) {
        order[m++] = k;
    }
    if (!gr_fuse_order_ok(b, order)) {
        goto fail; /* it would separate an aggregation from its epilogue */
    }
    if (loops) {
        TRY(merge_loops(&b->insts[i], s, err));
    } else {
        TRY(merge_kernels(p, &b->insts[i], s, err));
    }
    /* s (zeroed, index j) is dropped after the reorder, which keeps it last
     * of the segment */
    TRY(gr_fuse_reorder(b, order, err));
    drop[j] = 1;
    TRY(gr_pass_drop(b, drop, err));
    *changed = 1;
    rc = GR_OK;
fail:
    gr_free(dep);
    gr_free(order);
    gr_free(drop);
    return rc;
}

/* One merge somewhere in p; *changed whether one was made. */
static int once(gr_program *p, int *changed, gr_error *err)
{
    gr_an_deps d;
    int32_t q, j, *pos = NULL;
    int rc = GR_OK;
    *changed = 0;
    memset(&d, 0, sizeof d);
    TRY(gr_an_deps_build(p, &d, err));
    /* every block: the top (q = -1) and each loop body */
    for (q = -1; q < d.ninst && !*changed; q++) {
        gr_block *b;
        if (q >= 0 && d.inst[q]->op != GR_OP_LOOP) {
            continue;
        }
        b = q < 0 ? &p->top : d.inst[q]->body;
        if (!(pos = gr_fuse_positions(&d, q, b->n, err))) {
            rc = GR_ERR_NOMEM;
            goto fail;
        }
        for (j = 1; j < b->n && !*changed; j++) {
            TRY(try_at(p, &d, b, pos, j, changed, err));
        }
        gr_free(pos);
        pos = NULL;
    }
fail:
    gr_free(pos);
    gr_an_deps_release(&d);
    return rc;
}

/* gr_pass_fuse_loops: see passes.h and the banner. */
int gr_pass_fuse_loops(gr_program *p, gr_error *err)
{
    int changed = 1, any = 0, rc;
    while (changed) {
        TRY(once(p, &changed, err));
        any |= changed;
    }
    return any ? GR_PASS_CHANGED : GR_PASS_SAME;
fail:
    return rc;
}
