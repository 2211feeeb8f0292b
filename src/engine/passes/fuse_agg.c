/*
 * fuse_agg.c - gr_pass_fuse_agg: neighbour-aggregation fusion.  Three
 * rewrites, tried in this order on the whole program (each repeated until
 * it no longer applies), in the top block and loop bodies:
 *
 * 1. MASKED AGGREGATION.  and(r, m) / and(m, r) where r is the result of an
 *    `any` aggregation, and where(m, r, e) where e is the aggregation's
 *    empty value (a constant with exactly its bits: 0 for sum, mean and
 *    count, +inf / INT64_MAX for min, -inf / INT64_MIN for max, false for
 *    any; for mode the aggregated vector itself), become the aggregation
 *    with attrs.masked set and m as its last operand, computing the
 *    pattern's value directly (the aggregation moves to the pattern's
 *    place; an empty-value constant read nowhere else goes, also from an
 *    enclosing block when licm hoisted it there).  The
 *    interpreter then skips the masked-off receivers and may push from a
 *    sparse frontier (BFS runs direction-optimizing).  Fires
 *    only when r is read by nothing else, the aggregation is unmasked and
 *    in the same block, m is a mask, and no side effect lies between.
 *
 * 2. PRODUCERS INTO THE MESSAGE.  An aggregation agg[dir, mon, msg](x)
 *    (msg x, add_w or mul_w) whose x is computed by element-wise ops
 *    (plain ops, or FUSED kernels with one map output) read by nothing
 *    else becomes an AGG_FUSED whose body computes the message per edge:
 *    the producers' ops, then "+ w" / "* w" for weight messages.  Fires
 *    only when it is profitable under the cost model (analysis/
 *    critical_path.c: a message element read at the neighbour is priced
 *    by its bytes, next to the edge's fixed cost): the producers read at
 *    most ONE node vector in all (scalars are free), no wider than x, so
 *    each edge reads no more than the unfused message did, while a node
 *    pass and a whole vector buffer disappear -- pull_sum(x * 2),
 *    pull_max(w * (d + 1)), pull_min(dist + 1 + w).  It must NOT fire for
 *    PageRank's pull_sum(rank * inv): two vectors read at the neighbour
 *    would double the random reads per edge, the cost that bounds PageRank
 *    on large graphs (DESIGN.md), to save one streaming pass over n
 *    elements; nor for pull_any(id == 0), which would read 8-byte ids at
 *    the neighbours instead of 1-byte mask elements.  Nor when x is read
 *    elsewhere (a value used twice is computed once), or a side effect
 *    lies between the producers and the aggregation, or the message type
 *    would change the result type.  msg w aggregations (x only selects a
 *    type) are left alone.
 *
 * 3. EPILOGUE.  The first element-wise consumer C of an aggregation's
 *    result (a FUSED kernel, or a plain op, wrapped into a one-op kernel)
 *    is moved right after the aggregation and marked attrs.epilogue: one
 *    pass aggregates each node and applies C to it (PageRank's
 *    damping * s + base).  The instructions between that C reads are moved
 *    before the aggregation.  Fires only when none of those reads the
 *    aggregation's result (directly or through each other), no side effect
 *    lies between the aggregation and C, and the aggregation has no
 *    epilogue yet.
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int nomem(gr_error *err) { return gr_err_nomem(err, "fusing aggregations"); }

static gr_type vtype(const gr_program *p, gr_vid v)
{
    return v >= 0 && v < p->nvalues ? p->values[v].type : GR_T_NONE;
}

/* Whether a region of the kind the passes rewrite holds position pos: the
 * top block or a loop body. */
static int in_block(const gr_an_deps *d, int32_t pos)
{
    int32_t r = d->parent[pos];
    return r < 0 || d->inst[r]->op == GR_OP_LOOP;
}

/* Whether a side effect lies strictly between positions lo and hi. */
static int side_between(const gr_an_deps *d, int32_t lo, int32_t hi)
{
    int32_t k;
    for (k = lo + 1; k < hi; k++) {
        if (gr_op_info(d->inst[k]->op)->flags & GR_F_SIDE) {
            return 1;
        }
    }
    return 0;
}

/* The index of position pos in its block. */
static int32_t index_of(gr_program *p, const gr_an_deps *d, int32_t pos)
{
    return (int32_t)(d->inst[pos] - gr_fuse_block_at(p, d, pos)->insts);
}

/* ---- 1. masked aggregation ------------------------------------------------------------ */

/* Whether constant instruction c holds the empty value of monoid mon for a
 * result of element type t, bit for bit. */
static int is_empty_value(const gr_inst *c, gr_type t, int mon)
{
    double want;
    int64_t iwant;
    if (c->op != GR_OP_CONST) {
        return 0;
    }
    switch (t) {
    case GR_T_F64:
        want = mon == GR_MON_MIN ? INFINITY : mon == GR_MON_MAX ? -INFINITY : 0.0;
        return (mon == GR_MON_SUM || mon == GR_MON_MEAN || mon == GR_MON_MIN ||
                mon == GR_MON_MAX) && memcmp(&c->attrs.f, &want, sizeof want) == 0;
    case GR_T_I64:
        iwant = mon == GR_MON_MIN ? INT64_MAX : mon == GR_MON_MAX ? INT64_MIN : 0;
        return (mon == GR_MON_SUM || mon == GR_MON_COUNT || mon == GR_MON_MIN ||
                mon == GR_MON_MAX) && c->attrs.i == iwant;
    case GR_T_BOOL:
        return mon == GR_MON_ANY && c->attrs.i == 0;
    default:
        return 0;
    }
}

/* The unmasked aggregation defining r in the same block as pos and before
 * it, read only by pos (once), with no side effect between; or -1. */
static int32_t agg_for(const gr_program *p, const gr_an_deps *d, int32_t pos, gr_vid r)
{
    int32_t a;
    const gr_inst *A;
    if (r < 0 || r >= p->nvalues || (a = d->def[r]) < 0 || a >= pos) {
        return -1;
    }
    A = d->inst[a];
    if ((A->op != GR_OP_AGG && A->op != GR_OP_AGG_FUSED) || A->result != r || A->attrs.masked ||
        d->parent[a] != d->parent[pos] || d->nuses[r] != 1 || side_between(d, a, pos)) {
        return -1;
    }
    return a;
}

/* gr_fuse_masked_match: see passes.h. */
int gr_fuse_masked_match(const gr_program *p, const gr_an_deps *d, int32_t pos, int32_t *agg,
                         gr_vid *mask)
{
    const gr_inst *in = d->inst[pos], *A;
    int32_t a, k;
    *agg = -1;
    *mask = -1;
    if (!in_block(d, pos) || in->nargs < 2 || !in->args) {
        return 0;
    }
    if (in->op == GR_OP_AND && in->nargs == 2) {
        for (k = 0; k < 2; k++) {
            gr_vid r = in->args[k], m = in->args[1 - k];
            if (m == r || vtype(p, m) != GR_T_MASK || (a = agg_for(p, d, pos, r)) < 0 ||
                d->inst[a]->attrs.monoid != GR_MON_ANY) {
                continue;
            }
            *agg = a;
            *mask = m;
            return 1;
        }
        return 0;
    }
    if (in->op == GR_OP_WHERE && in->nargs == 3) {
        gr_vid m = in->args[0], r = in->args[1], e = in->args[2];
        int32_t ed;
        if (m == r || e == r || vtype(p, m) != GR_T_MASK || (a = agg_for(p, d, pos, r)) < 0 ||
            vtype(p, in->result) != vtype(p, r)) {
            return 0;
        }
        A = d->inst[a];
        if (A->attrs.monoid == GR_MON_MODE) {
            if (A->op != GR_OP_AGG || A->attrs.msg != GR_MSG_X || e != A->args[0]) {
                return 0;
            }
        } else if ((ed = e >= 0 && e < p->nvalues ? d->def[e] : -1) < 0 ||
                   !is_empty_value(d->inst[ed], gr_type_elem(vtype(p, r)), A->attrs.monoid) ||
                   vtype(p, e) != gr_type_elem(vtype(p, r))) {
            return 0;
        }
        *agg = a;
        *mask = m;
        return 1;
    }
    return 0;
}

/* Turn the aggregation at position a into the masked one computing the
 * pattern at pos. */
static int rewrite_masked(gr_program *p, const gr_an_deps *d, int32_t a, int32_t pos, gr_vid m,
                          gr_error *err)
{
    gr_block *b = gr_fuse_block_at(p, d, pos), *db = NULL;
    gr_inst *src = d->inst[a], *dst = d->inst[pos], *dead = NULL;
    gr_vid *args = NULL, *inner = NULL, result = dst->result, lane = -1;
    int32_t n = src->nargs, k, ev = dst->op == GR_OP_WHERE ? d->def[dst->args[2]] : -1;
    uint8_t *drop = NULL;
    int rc;

    args = gr_malloc(((size_t)n + 1) * sizeof *args);
    drop = gr_calloc((size_t)b->n, sizeof *drop);
    if (!args || !drop) {
        rc = nomem(err);
        goto fail;
    }
    memcpy(args, src->args, (size_t)n * sizeof *args);
    args[n] = m;
    if (ev >= 0 && d->nuses[dst->args[2]] == 1 && d->inst[ev]->op == GR_OP_CONST) {
        dead = d->inst[ev]; /* the empty value, now unused */
        if (d->parent[ev] != d->parent[pos]) {
            db = gr_fuse_block_at(p, d, ev); /* hoisted out of this loop body */
        }
    }
    if (src->op == GR_OP_AGG_FUSED) {
        if (!src->inner || (lane = gr_ir_new_value(p, GR_T_BOOL)) < 0 ||
            !(inner = gr_malloc(((size_t)n + 2) * sizeof *inner))) {
            rc = src->inner ? nomem(err) : gr_err(err, GR_ERR_INTERNAL, "fuse_agg: no lanes");
            goto fail;
        }
        p->values[lane].name = p->values[m].name;
        memcpy(inner, src->inner, (size_t)n * sizeof *inner);
        inner[n] = lane;
        inner[n + 1] = src->inner[n];
        gr_free(src->inner);
        src->inner = inner;
        inner = NULL;
    }
    gr_free(src->args);
    src->args = args;
    args = NULL;
    src->nargs = n + 1;
    src->attrs.masked = 1;
    src->result = result;
    gr_ir_inst_release(dst);
    *dst = *src;
    memset(src, 0, sizeof *src); /* dropped below; owns nothing now */
    for (k = 0; k < b->n; k++) {
        drop[k] = &b->insts[k] == src || (!db && &b->insts[k] == dead);
    }
    gr_pass_fix_parents(b);
    TRY(gr_pass_drop(b, drop, err));
    if (db) {
        /* the constant's own block (enclosing b, whose array it does not
         * share) loses it too */
        gr_free(drop);
        if (!(drop = gr_calloc((size_t)db->n, sizeof *drop))) {
            rc = nomem(err);
            goto fail;
        }
        for (k = 0; k < db->n; k++) {
            drop[k] = &db->insts[k] == dead;
        }
        TRY(gr_pass_drop(db, drop, err));
    }
    rc = GR_OK;
fail:
    gr_free(args);
    gr_free(inner);
    gr_free(drop);
    return rc;
}

static int try_masked(gr_program *p, const gr_an_deps *d, int32_t pos, int *changed,
                      gr_error *err)
{
    int32_t a;
    gr_vid m;
    if (!gr_fuse_masked_match(p, d, pos, &a, &m)) {
        return GR_OK;
    }
    *changed = 1;
    return rewrite_masked(p, d, a, pos, m, err);
}

/* ---- 2. producers into the message ---------------------------------------------------- */

/* Whether the instruction at q can be fused into a message: an
 * element-wise op making a vector, or a FUSED kernel with one map output. */
static int absorbable(const gr_program *p, const gr_an_deps *d, int32_t q)
{
    const gr_inst *in = d->inst[q];
    if (in->op == GR_OP_FUSED) {
        return !in->attrs.epilogue && in->ncarry == 1 && in->fold && in->results &&
               in->fold[0] == GR_FOLD_MAP;
    }
    return (gr_op_info(in->op)->flags & GR_F_EW) && gr_type_is_vector(vtype(p, in->result));
}

/* Bytes of one element of a vector of type t (as the cost model counts). */
static int elem_bytes(gr_type t) { return t == GR_T_MASK ? 1 : 8; }

/* The vector value member q makes (its result or its one output). */
static gr_vid made_by(const gr_inst *in)
{
    return in->op == GR_OP_FUSED ? in->results[0] : in->result;
}

static int try_producer(gr_program *p, const gr_an_deps *d, int32_t a, int *changed,
                        gr_error *err)
{
    const gr_inst *A = d->inst[a];
    gr_block *b;
    gr_fuse_kb kb;
    gr_inst **ins = NULL;
    uint8_t *mem = NULL, *drop = NULL;
    gr_vid x, vin = -1, bx, w, msg, two[2];
    int32_t P, q, k, j, lo, nvec = 0;
    int grew, rc;
    gr_type mt;
    char why[160];

    memset(&kb, 0, sizeof kb);
    if (A->op != GR_OP_AGG || A->attrs.msg == GR_MSG_W || !in_block(d, a) || A->nargs < 1) {
        return GR_OK;
    }
    x = A->args[0];
    P = d->def[x];
    if (P < 0 || P >= a || d->parent[P] != d->parent[a] || d->nuses[x] != 1 ||
        (A->attrs.masked && A->args[1] == x) || !absorbable(p, d, P)) {
        return GR_OK;
    }
    if (!(mem = gr_calloc((size_t)d->ninst, sizeof *mem))) {
        return nomem(err);
    }
    /* the producers: P, then what only members read, to a fixed point */
    mem[P] = 1;
    lo = P;
    do {
        grew = 0;
        for (q = lo; q < a; q++) {
            const gr_inst *in = d->inst[q];
            if (!mem[q]) {
                continue;
            }
            for (k = 0; k < in->nargs; k++) {
                gr_vid v = in->args[k];
                int32_t Q = d->def[v], all = 1;
                if (Q < 0 || mem[Q] || d->parent[Q] != d->parent[a] || !absorbable(p, d, Q) ||
                    made_by(d->inst[Q]) != v) {
                    continue;
                }
                for (j = 0; j < d->nuses[v] && all; j++) {
                    all = mem[d->uses[v][j]];
                }
                if (all) {
                    mem[Q] = 1;
                    lo = Q < lo ? Q : lo;
                    grew = 1;
                }
            }
        }
    } while (grew);
    /* the node vectors the message would read at the neighbour */
    for (q = lo; q < a; q++) {
        const gr_inst *in = d->inst[q];
        if (!mem[q]) {
            continue;
        }
        for (k = 0; k < in->nargs; k++) {
            gr_vid v = in->args[k];
            int32_t Q = d->def[v];
            if ((Q >= 0 && mem[Q]) || !gr_type_is_vector(vtype(p, v)) || v == vin) {
                continue;
            }
            vin = v;
            nvec++;
        }
    }
    mt = A->attrs.msg == GR_MSG_X ? gr_type_elem(vtype(p, x)) : GR_T_F64;
    if (nvec > 1 || (vin >= 0 && elem_bytes(vtype(p, vin)) > elem_bytes(vtype(p, x))) ||
        side_between(d, lo, a) ||
        gr_agg_result_type((gr_monoid)A->attrs.monoid, GR_MSG_X, gr_type_vec(mt), why,
                           sizeof why) != vtype(p, A->result)) {
        rc = GR_OK;
        goto fail;
    }

    b = gr_fuse_block_at(p, d, a);
    drop = gr_calloc((size_t)b->n, sizeof *drop);
    ins = gr_malloc((size_t)(a - lo) * sizeof *ins);
    if (!drop || !ins) {
        rc = nomem(err);
        goto fail;
    }
    TRY(gr_fuse_begin(&kb, p, GR_OP_AGG_FUSED, err));
    for (q = lo, k = 0; q < a; q++) {
        if (mem[q]) {
            ins[k++] = d->inst[q];
        }
    }
    TRY(gr_fuse_lanes(&kb, ins, k, err));
    for (q = lo; q < a; q++) {
        if (mem[q]) {
            TRY(gr_fuse_copy(&kb, d->inst[q], 0, err));
            drop[index_of(p, d, q)] = 1;
        }
    }
    TRY(gr_fuse_value(&kb, x, &bx, err));
    msg = bx;
    if (A->attrs.msg != GR_MSG_X) {
        if (vtype(p, bx) != GR_T_F64) {
            TRY(gr_fuse_op(&kb, GR_OP_TO_F64, &bx, 1, &bx, err));
        }
        TRY(gr_fuse_weight(&kb, &w, err));
        two[0] = bx;
        two[1] = w;
        TRY(gr_fuse_op(&kb, A->attrs.msg == GR_MSG_ADD_W ? GR_OP_ADD : GR_OP_MUL, two, 2, &msg,
                       err));
    }
    kb.msg = msg;
    kb.k.result = A->result;
    kb.k.attrs = A->attrs;
    kb.k.attrs.msg = GR_MSG_X;
    kb.k.loc = A->loc;
    if (A->attrs.masked) {
        kb.mask = A->args[1];
    }
    TRY(gr_fuse_install(&kb, d->inst[a], err));
    TRY(gr_pass_drop(b, drop, err));
    *changed = 1;
    rc = GR_OK;
fail:
    gr_fuse_end(&kb);
    gr_free(mem);
    gr_free(ins);
    gr_free(drop);
    return rc;
}

/* ---- 3. epilogues ----------------------------------------------------------------------- */

/* Whether in can be an epilogue: a FUSED kernel (not one already) or an
 * element-wise op making a vector. */
static int epilogue_candidate(const gr_program *p, const gr_inst *in)
{
    if (in->op == GR_OP_FUSED) {
        return !in->attrs.epilogue;
    }
    return (gr_op_info(in->op)->flags & GR_F_EW) && gr_type_is_vector(vtype(p, in->result));
}

/* Whether block index i of b is an epilogue of the aggregation before it. */
static int has_epilogue(const gr_block *b, int32_t ia)
{
    return ia + 1 < b->n && b->insts[ia + 1].op == GR_OP_FUSED &&
           b->insts[ia + 1].attrs.epilogue;
}

static int try_epilogue(gr_program *p, const gr_an_deps *d, int32_t a, int *changed,
                        gr_error *err)
{
    const gr_inst *A = d->inst[a];
    gr_block *b;
    int32_t *pos = NULL, *order = NULL, ia, ic = -1, k, j, n, u;
    uint8_t *dep = NULL;
    gr_vid r = A->result;
    gr_fuse_kb kb;
    int rc;

    memset(&kb, 0, sizeof kb);
    if ((A->op != GR_OP_AGG && A->op != GR_OP_AGG_FUSED) || !in_block(d, a) || r < 0) {
        return GR_OK;
    }
    b = gr_fuse_block_at(p, d, a);
    ia = index_of(p, d, a);
    n = b->n;
    if (has_epilogue(b, ia)) {
        return GR_OK;
    }
    /* the first element-wise reader in the same block */
    for (k = 0; k < d->nuses[r] && ic < 0; k++) {
        u = d->uses[r][k];
        if (d->parent[u] == d->parent[a] && epilogue_candidate(p, d->inst[u])) {
            ic = index_of(p, d, u);
        }
    }
    if (ic < 0) {
        return GR_OK;
    }
    pos = gr_fuse_positions(d, d->parent[a], n, err);
    dep = gr_calloc((size_t)n, sizeof *dep);
    order = gr_malloc((size_t)n * sizeof *order);
    if (!pos || !dep || !order) {
        rc = nomem(err);
        goto fail;
    }
    for (k = ia + 1; k < ic; k++) {
        if (gr_fuse_side(&b->insts[k])) {
            rc = GR_OK;
            goto fail;
        }
    }
    gr_fuse_deps_between(d, pos, ia, ic, dep);
    for (k = ia + 1; k < ic; k++) {
        if (dep[k] && gr_fuse_depends(d, pos[k], a)) {
            rc = GR_OK; /* C needs something that needs the aggregation */
            goto fail;
        }
    }
    /* ... D, A, C, the rest ... */
    j = 0;
    for (k = 0; k < ia; k++) {
        order[j++] = k;
    }
    for (k = ia + 1; k < ic; k++) {
        if (dep[k]) {
            order[j++] = k;
        }
    }
    order[j++] = ia;
    order[j++] = ic;
    for (k = ia + 1; k < ic; k++) {
        if (!dep[k]) {
            order[j++] = k;
        }
    }
    for (k = ic + 1; k < n; k++) {
        order[j++] = k;
    }
    if (!gr_fuse_order_ok(b, order)) {
        rc = GR_OK; /* it would separate another aggregation from its epilogue */
        goto fail;
    }
    if (b->insts[ic].op != GR_OP_FUSED) {
        /* a plain op: wrapped into a one-op kernel */
        TRY(gr_fuse_begin(&kb, p, GR_OP_FUSED, err));
        TRY(gr_fuse_copy(&kb, &b->insts[ic], 1, err));
        kb.k.loc = b->insts[ic].loc;
    }
    TRY(gr_fuse_reorder(b, order, err));
    for (k = ia + 1, j = ia; k < ic; k++) {
        j += dep[k]; /* the aggregation's new index */
    }
    if (kb.p) {
        TRY(gr_fuse_install(&kb, &b->insts[j + 1], err));
    }
    b->insts[j + 1].attrs.epilogue = 1;
    *changed = 1;
    rc = GR_OK;
fail:
    gr_fuse_end(&kb);
    gr_free(pos);
    gr_free(dep);
    gr_free(order);
    return rc;
}

/* ---- the pass --------------------------------------------------------------------------- */

/* gr_pass_fuse_agg: see passes.h and the banner. */
int gr_pass_fuse_agg(gr_program *p, gr_error *err)
{
    static const gr_rewrite_fn steps[] = {try_masked, try_producer, try_epilogue};
    return gr_pass_rewrite_steps(p, steps, sizeof steps / sizeof steps[0], err);
}
