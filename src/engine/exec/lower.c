/*
 * lower.c - gr_plan_lower: a verified program lowered to a flat plan (the
 * design is in plan.h; the structures in plan_internal.h).
 *
 * Four steps:
 *  1. Analyses: the linear order and dependencies (gr_an_deps) and the live
 *     intervals (gr_an_live) over it, in the positions of deps.c.
 *  2. Slot classes: values that can share one slot are united -- a loop's
 *     result with its carried value, and a carried vector with its initial
 *     value when that dies at the loop (so no copy at loop entry).  An
 *     aggregation whose only reader is the epilogue right after it gets no
 *     slot at all (the fused pass hands it over lane by lane).
 *  3. Emission: the IR is walked in order; every op becomes one
 *     instruction (constants and parameters go to a prelude run once), a
 *     loop becomes COPY / LOOP_INIT / LOOP_HEAD / body / LOOP_NEXT with
 *     jumps, a FUSED kernel becomes a lane program (its ops on scalars only
 *     are hoisted out as scalar instructions), an AGG or AGG_FUSED and its
 *     epilogue one aggregation instruction.  Temporaries (a carried value
 *     that cannot be swapped, an aggregation's scratch) get slots with
 *     their own short intervals.
 *  4. Registers: a linear scan over the vector slots' intervals in start
 *     order; a register is free again after its slot's last use, and an
 *     element-wise instruction (EW, FUSED) may take the register of an
 *     operand that dies where its result starts.  Aggregations, gathers and
 *     scatters never share a register between an input and their output,
 *     and neither does any part of an aggregation-with-epilogue group,
 *     whose outputs are treated as live from the aggregation on.
 *
 * A carried vector whose new value an element-wise instruction computes
 * from the old one at the same node, with nothing reading the old one
 * after it, is updated in place (one slot, nothing handed over:
 * carry_in_place).  A masked any-aggregation whose mask is the
 * element-wise op right before it computes that mask itself, in a mask
 * kernel (mask_producer), so no pass over every node makes it first.
 * Likewise node_id() and node_index() read by fused kernels alone become
 * lanes those kernels make per block (node_in_kernels), never a vector.
 *
 * Loops hand carried vectors over by swapping register buffers: the
 * yielded value is dead after the yield, so LOOP_NEXT swaps the buffers of
 * the carried and the yielded registers in O(1).  A yielded value that is
 * not dead there (an outer value, a carried value of the same loop, a value
 * yielded twice) is first copied into a temporary, which is then swapped.
 * Carried scalars are copied, all at once through shadow slots.
 */
#include "config.h"
#include "engine/exec/plan_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/analysis/analysis.h"
#include "engine/ir/types.h"

/* Where an in-place result may look for an operand register. */
enum { IP_NONE = 0, IP_INST, IP_KER };

typedef struct lw {
    const gr_program *p;
    gr_error *err;
    gr_an_deps d;
    gr_an_live l;
    int32_t nv;              /* p->nvalues */
    int32_t *uf;             /* [nv] union-find parent */
    int32_t *vstart, *vend;  /* [nv] intervals (epilogue outputs moved) */
    int32_t *cstart, *cend;  /* [nv] class intervals, at the roots */
    int32_t *vslot;          /* [nv] slot of a class root, -1 */
    uint8_t *noslot;         /* [nv] values that get no slot */
    uint8_t *fmask;          /* [nv] masks computed inside their aggregation (mask kernels):
                                their producer emits nothing */
    uint8_t *fnode;          /* [nv] node_id() / node_index() read by fused kernels alone:
                                the lane kind each kernel makes them as (GR_LK_ID /
                                GR_LK_INDEX, never 0), the op emits nothing; else 0 */
    uint8_t *fnbr;           /* [nv] out_nbr() read by links alone: each link reads the
                                rows itself, the op emits nothing */
    uint8_t *flink;          /* [nv] a two-operand link read only as the first operand of
                                one link: that link takes its operands, it emits nothing */
    uint8_t *flagg;          /* [nv] a min or max aggregation read by links alone: each
                                link computes it a block of nodes at a time; its
                                aggregation is made (aggof) but emits nothing */
    int32_t *aggof;          /* [nv] the plan aggregation of an flagg value, once lowered */
    gr_plan *pl;             /* being built */
    int32_t cap_slots, cap_inst, cap_pre, cap_loops, cap_kers, cap_aggs;
    int32_t *sstart, *send;  /* [nslots] intervals */
    uint8_t *sip;            /* [nslots] IP_* */
    int32_t *sdef;           /* [nslots] instruction or kernel for in-place */
    gr_pinst *pre;           /* prelude (constants, parameters) */
    int32_t npre;
} lw;

/* ---- growing arrays ---------------------------------------------------------- */

/* Make room for `need` elements of size sz in *arr (capacity *cap); new
 * elements are zeroed. */
static int grow(lw *L, void **arr, int32_t *cap, int32_t need, size_t sz)
{
    int32_t nc;
    void *a;
    if (need <= *cap) {
        return GR_OK;
    }
    nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > INT32_MAX / 2) {
            return gr_err(L->err, GR_ERR_RANGE, "plan too large");
        }
        nc *= 2;
    }
    if (!(a = gr_realloc(*arr, (size_t)nc * sz))) {
        return gr_err_nomem(L->err, "lowering a plan");
    }
    memset((char *)a + (size_t)*cap * sz, 0, (size_t)(nc - *cap) * sz);
    *arr = a;
    *cap = nc;
    return GR_OK;
}

/* ---- union-find over values ------------------------------------------------------ */

static int32_t find(lw *L, int32_t v)
{
    while (L->uf[v] != v) {
        L->uf[v] = L->uf[L->uf[v]];
        v = L->uf[v];
    }
    return v;
}

static void unite(lw *L, int32_t a, int32_t b)
{
    a = find(L, a);
    b = find(L, b);
    if (a != b) {
        L->uf[b] = a;
    }
}

static int valid(const lw *L, gr_vid v) { return v >= 0 && v < L->nv; }

static gr_type vtype(const lw *L, gr_vid v) { return L->p->values[v].type; }

/* ---- slots -------------------------------------------------------------------------- */

/* A new slot of type t over [start, end]; vid names it (-1: a temporary). */
static int new_slot(lw *L, gr_type t, gr_vid vid, int32_t start, int32_t end, int32_t *out)
{
    gr_plan *pl = L->pl;
    int32_t s = pl->nslots, cap = L->cap_slots, c;
    char buf[160];
    int rc;
    if ((rc = grow(L, (void **)&pl->slots, &cap, s + 1, sizeof *pl->slots)) < 0) {
        return rc;
    }
    c = L->cap_slots;
    TRY(grow(L, (void **)&L->sstart, &c, cap, sizeof *L->sstart));
    c = L->cap_slots;
    TRY(grow(L, (void **)&L->send, &c, cap, sizeof *L->send));
    c = L->cap_slots;
    TRY(grow(L, (void **)&L->sip, &c, cap, sizeof *L->sip));
    c = L->cap_slots;
    TRY(grow(L, (void **)&L->sdef, &c, cap, sizeof *L->sdef));
    L->cap_slots = cap;
    if (vid >= 0) {
        const char *h = L->p->values[vid].name;
        snprintf(buf, sizeof buf, h ? "%%%d.%s" : "%%%d", (int)vid, h);
    } else {
        snprintf(buf, sizeof buf, "%%t%d", (int)s);
    }
    if (!(pl->slots[s].name = gr_strdup(buf))) {
        return gr_err_nomem(L->err, "lowering a plan");
    }
    pl->nslots = s + 1;
    pl->slots[s].type = t;
    pl->slots[s].vid = vid;
    pl->slots[s].reg = -1; /* vectors: assign_registers; scalars live in S[slot] */
    L->sstart[s] = start;
    L->send[s] = end;
    L->sip[s] = IP_NONE;
    L->sdef[s] = -1;
    *out = s;
    return GR_OK;
fail:
    return rc;
}

/* The slot of value v (of its class), made on first use. */
static int slot_of(lw *L, gr_vid v, int32_t *out)
{
    int32_t r;
    int rc;
    if (!valid(L, v) || L->noslot[v] || L->vstart[v] < 0) {
        return gr_err(L->err, GR_ERR_INTERNAL, "plan: value %%%d has no slot", (int)v);
    }
    r = find(L, v);
    if (L->vslot[r] < 0) {
        if ((rc = new_slot(L, vtype(L, v), v, L->cstart[r], L->cend[r], &L->vslot[r])) < 0) {
            return rc;
        }
    }
    *out = L->vslot[r];
    return GR_OK;
}

/* ---- instructions --------------------------------------------------------------------- */

/* Append a zeroed instruction of op to the body (or the prelude). */
static int emit(lw *L, int pre, uint8_t op, int32_t *idx)
{
    gr_plan *pl = L->pl;
    gr_pinst *pi;
    int rc;
    if (pre) {
        if ((rc = grow(L, (void **)&L->pre, &L->cap_pre, L->npre + 1, sizeof *L->pre)) < 0) {
            return rc;
        }
        pi = &L->pre[L->npre];
        if (idx) {
            *idx = L->npre;
        }
        L->npre++;
    } else {
        if ((rc = grow(L, (void **)&pl->inst, &L->cap_inst, pl->ninst + 1, sizeof *pl->inst)) <
            0) {
            return rc;
        }
        pi = &pl->inst[pl->ninst];
        if (idx) {
            *idx = pl->ninst;
        }
        pl->ninst++;
    }
    memset(pi, 0, sizeof *pi);
    pi->op = op;
    pi->dst = -1;
    pi->a[0] = pi->a[1] = pi->a[2] = -1;
    pi->aux = -1;
    pi->jump = -1;
    return GR_OK;
}

static gr_pinst *inst_at(lw *L, int pre, int32_t i) { return pre ? &L->pre[i] : &L->pl->inst[i]; }

/* A constant of type t into a new prelude instruction writing slot s. */
static int emit_const(lw *L, gr_type t, double f, int64_t i, int32_t s)
{
    int32_t k;
    gr_pinst *pi;
    int rc;
    if ((rc = emit(L, 1, GR_P_CONST, &k)) < 0) {
        return rc;
    }
    pi = inst_at(L, 1, k);
    pi->dst = s;
    if (t == GR_T_F64) {
        pi->imm.f = f;
    } else if (t == GR_T_BOOL) {
        pi->imm.i = i != 0;
    } else {
        pi->imm.i = i;
    }
    return GR_OK;
}

/* dst = copy of src (vectors or scalars). */
static int emit_copy(lw *L, int32_t src, int32_t dst)
{
    int32_t k;
    int rc;
    if ((rc = emit(L, 0, GR_P_COPY, &k)) < 0) {
        return rc;
    }
    L->pl->inst[k].a[0] = src;
    L->pl->inst[k].nargs = 1;
    L->pl->inst[k].dst = dst;
    return GR_OK;
}

/* ---- element-wise ---------------------------------------------------------------------- */

/* An element-wise op over slots args into slot dst (vector or scalar). */
static int emit_ew(lw *L, gr_opcode op, const int32_t *args, int nargs, int32_t dst,
                   int32_t *idx)
{
    gr_plan *pl = L->pl;
    gr_ek tk[3];
    int32_t k;
    int rc, j;
    if ((rc = emit(L, 0, GR_P_EW, &k)) < 0) {
        return rc;
    }
    for (j = 0; j < nargs; j++) {
        pl->inst[k].a[j] = args[j];
        tk[j] = gr_k_kind(pl->slots[args[j]].type);
        pl->inst[k].tk[j] = (uint8_t)tk[j];
    }
    pl->inst[k].nargs = (uint8_t)nargs;
    pl->inst[k].irop = (uint16_t)op;
    pl->inst[k].cek = (uint8_t)gr_k_ew_compute(op, tk, nargs);
    pl->inst[k].dst = dst;
    pl->inst[k].scalar = !gr_type_is_vector(pl->slots[dst].type);
    pl->inst[k].ok = (uint8_t)gr_k_kind(pl->slots[dst].type);
    for (j = nargs; j < 3; j++) {
        pl->inst[k].tk[j] = GR_EK_I64; /* reads the zero scalar (set at the end) */
    }
    if (idx) {
        *idx = k;
    }
    return GR_OK;
}

/* ---- fused kernels ---------------------------------------------------------------------- */

typedef struct kb {             /* a kernel being built */
    gr_pker K;
    int32_t cap_lanes, cap_ops, cap_out;
    int32_t *lane_of;            /* [nv] lane of a value, -1 */
} kb;

static int kb_lane(lw *L, kb *B, uint8_t kind, gr_ek ek, int32_t slot, gr_vid vid, int16_t *out)
{
    int rc;
    gr_plane *ln;
    if (B->K.nlanes >= INT16_MAX) {
        return gr_err(L->err, GR_ERR_RANGE, "fused kernel too large");
    }
    if ((rc = grow(L, (void **)&B->K.lanes, &B->cap_lanes, B->K.nlanes + 1,
                   sizeof *B->K.lanes)) < 0) {
        return rc;
    }
    ln = &B->K.lanes[B->K.nlanes];
    ln->kind = kind;
    ln->ek = (uint8_t)ek;
    ln->slot = slot;
    ln->vid = vid;
    *out = (int16_t)B->K.nlanes++;
    if (valid(L, vid)) {
        B->lane_of[vid] = *out;
    }
    return GR_OK;
}

/* Whether lane k holds one value broadcast (a scalar slot). */
static int kb_uniform(const lw *L, const kb *B, int16_t k)
{
    const gr_plane *ln = &B->K.lanes[k];
    return ln->kind == GR_LK_IN && !gr_type_is_vector(L->pl->slots[ln->slot].type);
}

/* The lane of value v inside a kernel body: its lane, or, for a value from
 * outside the body, a new input lane reading its slot. */
static int kb_get(lw *L, kb *B, gr_vid v, int16_t *out)
{
    int32_t s;
    int rc;
    if (!valid(L, v)) {
        return gr_err(L->err, GR_ERR_INTERNAL, "plan: fused kernel reads %%%d", (int)v);
    }
    if (B->lane_of[v] >= 0) {
        *out = (int16_t)B->lane_of[v];
        return GR_OK;
    }
    if ((rc = slot_of(L, v, &s)) < 0) {
        return rc;
    }
    return kb_lane(L, B, GR_LK_IN, gr_k_kind(gr_type_elem(vtype(L, v))), s, v, out);
}

/* One element-wise instruction into B: a constant to the prelude, an op on
 * broadcast lanes hoisted as a scalar instruction, any other as a lane op. */
static int kb_inst(lw *L, kb *B, const gr_inst *in)
{
    int16_t a[3];
    int uniform = 1, rc, j;
    gr_type t;
    if (!valid(L, in->result)) {
        return gr_err(L->err, GR_ERR_INTERNAL, "plan: fused body op without result");
    }
    t = vtype(L, in->result);
    if (in->op == GR_OP_CONST) {
        int32_t s;
        TRY(new_slot(L, t, in->result, -1, -1, &s));
        TRY(emit_const(L, t, in->attrs.f, in->attrs.i, s));
        TRY(kb_lane(L, B, GR_LK_IN, gr_k_kind(t), s, in->result, &a[0]));
        return GR_OK;
    }
    if (!(gr_op_info(in->op)->flags & GR_F_EW) || in->nargs < 1 || in->nargs > 3 ||
        (gr_type_is_vector(t) && !L->fmask[in->result])) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: a fused body holds %s",
                      gr_op_name((gr_opcode)in->op));
    }
    for (j = 0; j < in->nargs; j++) {
        TRY(kb_get(L, B, in->args[j], &a[j]));
        uniform &= kb_uniform(L, B, a[j]);
    }
    if (uniform) { /* computed once, as a scalar instruction */
        int32_t s, sa[3];
        for (j = 0; j < in->nargs; j++) {
            sa[j] = B->K.lanes[a[j]].slot;
        }
        TRY(new_slot(L, t, in->result, -1, -1, &s));
        TRY(emit_ew(L, (gr_opcode)in->op, sa, in->nargs, s, NULL));
        TRY(kb_lane(L, B, GR_LK_IN, gr_k_kind(t), s, in->result, &a[0]));
    } else {
        gr_plop *op;
        gr_ek ek[3];
        int16_t o;
        TRY(kb_lane(L, B, GR_LK_TMP, gr_k_kind(t), -1, in->result, &o));
        TRY(grow(L, (void **)&B->K.ops, &B->cap_ops, B->K.nops + 1, sizeof *B->K.ops));
        op = &B->K.ops[B->K.nops++];
        op->irop = in->op;
        op->nargs = (uint8_t)in->nargs;
        for (j = 0; j < in->nargs; j++) {
            op->a[j] = a[j];
            ek[j] = (gr_ek)B->K.lanes[a[j]].ek;
        }
        op->cek = (uint8_t)gr_k_ew_compute((gr_opcode)in->op, ek, in->nargs);
        op->oek = (uint8_t)gr_k_kind(t);
        op->out = o;
    }
    return GR_OK;
fail:
    return rc;
}

/* The body instructions of a region (all but its yield) into B (kb_inst);
 * skip (may be NULL) is left out. */
static int kb_body(lw *L, kb *B, const gr_block *body, const gr_inst *skip)
{
    int32_t i;
    int rc;
    for (i = 0; i + 1 < body->n; i++) {
        if (&body->insts[i] != skip && (rc = kb_inst(L, B, &body->insts[i])) < 0) {
            return rc;
        }
    }
    return GR_OK;
}

/* Add output lane -> slot with fold kind to B. */
static int kb_out(lw *L, kb *B, int16_t lane, int fold, int32_t slot)
{
    gr_pout *o;
    int rc;
    if ((rc = grow(L, (void **)&B->K.out, &B->cap_out, B->K.nout + 1, sizeof *B->K.out)) < 0) {
        return rc;
    }
    o = &B->K.out[B->K.nout++];
    o->lane = lane;
    o->fold = (uint8_t)fold;
    o->slot = slot;
    o->ek = (uint8_t)gr_k_kind(L->pl->slots[slot].type);
    o->part = fold == GR_FOLD_MAP ? -1 : B->K.nfolds++;
    return GR_OK;
}

/* Hand a built kernel to the plan: *idx its index. */
static int kb_finish(lw *L, kb *B, int32_t *idx)
{
    gr_plan *pl = L->pl;
    int rc;
    if ((rc = grow(L, (void **)&pl->kers, &L->cap_kers, pl->nkers + 1, sizeof *pl->kers)) < 0) {
        return rc;
    }
    pl->kers[pl->nkers] = B->K;
    memset(&B->K, 0, sizeof B->K);
    *idx = pl->nkers++;
    if (pl->kers[*idx].nlanes > pl->max_lanes) {
        pl->max_lanes = pl->kers[*idx].nlanes;
    }
    if (pl->kers[*idx].nfolds > pl->max_folds) {
        pl->max_folds = pl->kers[*idx].nfolds;
    }
    return GR_OK;
}

static void kb_release(kb *B)
{
    gr_free(B->K.lanes);
    gr_free(B->K.ops);
    gr_free(B->K.out);
    memset(&B->K, 0, sizeof B->K);
}

static int kb_init(lw *L, kb *B)
{
    int32_t v;
    memset(B, 0, sizeof *B);
    B->K.agg = -1;
    if (!(B->lane_of = gr_malloc((size_t)(L->nv ? L->nv : 1) * sizeof *B->lane_of))) {
        return gr_err_nomem(L->err, "lowering a fused kernel");
    }
    for (v = 0; v < L->nv; v++) {
        B->lane_of[v] = -1;
    }
    return GR_OK;
}

static void kb_done(kb *B)
{
    kb_release(B);
    gr_free(B->lane_of);
    B->lane_of = NULL;
}

/* A FUSED instruction's kernel.  agg >= 0: it is the epilogue of that
 * aggregation, whose result (value aggv) its lanes read.  out_start is where
 * its outputs start living; inplace allows them to take the register of an
 * operand dying there. */
static int lower_fused(lw *L, const gr_inst *in, int32_t agg, gr_vid aggv, int32_t out_start,
                       int inplace, int32_t *kidx)
{
    const gr_block *b = in->body;
    const gr_inst *y;
    kb B;
    int32_t k;
    int rc;

    if (!b || b->n < 1 || !in->inner || in->nargs < 0 || in->ncarry < 0 ||
        (in->ncarry > 0 && (!in->results || !in->fold))) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: malformed fused kernel");
    }
    y = &b->insts[b->n - 1];
    if (y->op != GR_OP_YIELD || y->nargs != in->ncarry) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: malformed fused kernel");
    }
    TRY(kb_init(L, &B));
    B.K.agg = agg;
    for (k = 0; k < in->nargs; k++) {
        gr_vid a = in->args[k], ln = in->inner[k];
        int16_t lane;
        if (!valid(L, a) || !valid(L, ln)) {
            rc = gr_err(L->err, GR_ERR_INVALID, "plan: malformed fused kernel");
            goto fail;
        }
        if (agg >= 0 && a == aggv) {
            TRY(kb_lane(L, &B, GR_LK_AGG, gr_k_kind(vtype(L, ln)), L->pl->aggs[agg].out, ln,
                        &lane));
        } else if (L->fnode[a]) {
            TRY(kb_lane(L, &B, L->fnode[a], GR_EK_I64, -1, ln, &lane));
        } else {
            int32_t s;
            TRY(slot_of(L, a, &s));
            TRY(kb_lane(L, &B, GR_LK_IN, gr_k_kind(vtype(L, ln)), s, ln, &lane));
        }
    }
    TRY(kb_body(L, &B, b, NULL));
    for (k = 0; k < in->ncarry; k++) {
        gr_vid r = in->results[k];
        int fold = in->fold[k];
        int16_t lane;
        int32_t s;
        TRY(kb_get(L, &B, y->args[k], &lane));
        if (fold < GR_FOLD_MAP || fold > GR_FOLD_ALL || !valid(L, r)) {
            rc = gr_err(L->err, GR_ERR_INVALID, "plan: malformed fused kernel");
            goto fail;
        }
        TRY(slot_of(L, r, &s));
        if (fold == GR_FOLD_MAP && !gr_type_is_vector(vtype(L, r))) {
            /* a scalar map: the lane is a broadcast scalar */
            if (!kb_uniform(L, &B, lane)) {
                rc = gr_err(L->err, GR_ERR_INVALID, "plan: fused kernel maps a vector lane "
                            "into a scalar");
                goto fail;
            }
            TRY(emit_copy(L, B.K.lanes[lane].slot, s));
            continue;
        }
        TRY(kb_out(L, &B, lane, fold, s));
        if (fold == GR_FOLD_MAP) {
            if (L->sstart[s] > out_start) {
                L->sstart[s] = out_start;
            }
        }
    }
    TRY(kb_finish(L, &B, kidx));
    if (inplace) {
        for (k = 0; k < L->pl->kers[*kidx].nout; k++) {
            const gr_pout *o = &L->pl->kers[*kidx].out[k];
            if (o->fold == GR_FOLD_MAP) {
                L->sip[o->slot] = IP_KER;
                L->sdef[o->slot] = *kidx;
            }
        }
    }
    rc = GR_OK;
fail:
    kb_done(&B);
    return rc;
}

/* ---- aggregations ----------------------------------------------------------------------- */

/* Whether the aggregation can be pushed (gr_k_agg_can_push's cases). */
static int agg_can_push(int mon, int msg, gr_ek xek, gr_ek oek)
{
    if (msg != GR_MSG_X) {
        return 0;
    }
    return mon == GR_MON_ANY ||
           (mon == GR_MON_MIN && xek == GR_EK_I64 && oek == GR_EK_I64) ||
           (mon == GR_MON_MIN && xek == GR_EK_U8 && oek == GR_EK_U8);
}

/* An AGG_FUSED's message, as step mode splits it: the weight lane unused
 * (msg x of the yielded lane), the whole message (w), or one add/mul of it
 * and an x part.  *xv the value aggregated, *skip the add/mul.  Returns 1,
 * or 0 when the body uses the weight otherwise (only edge kernels run it). */
static int agg_fused_split(const gr_inst *in, gr_msg *msg, gr_vid *xv, const gr_inst **skip)
{
    const gr_block *b = in->body;
    gr_vid wl = in->inner[in->nargs], m = b->insts[b->n - 1].args[0];
    int32_t i, k, uses = 0;
    *msg = GR_MSG_X;
    *xv = m;
    *skip = NULL;
    for (i = 0; i < b->n; i++) {
        for (k = 0; k < b->insts[i].nargs; k++) {
            uses += b->insts[i].args[k] == wl;
        }
    }
    if (!uses) {
        return 1;
    }
    if (m == wl && uses == 1) {
        *msg = GR_MSG_W;
        *xv = -1;
        return 1;
    }
    for (i = 0; i + 1 < b->n && uses == 1; i++) {
        const gr_inst *d = &b->insts[i];
        if (d->result == m && (d->op == GR_OP_ADD || d->op == GR_OP_MUL) && d->nargs == 2 &&
            (d->args[0] == wl) != (d->args[1] == wl)) {
            *msg = d->op == GR_OP_ADD ? GR_MSG_ADD_W : GR_MSG_MUL_W;
            *xv = d->args[0] == wl ? d->args[1] : d->args[0];
            *skip = d;
            return 1;
        }
    }
    return 0;
}

/* An AGG_FUSED's edge kernel: the whole body evaluated per edge, its
 * inputs gathered at the neighbour and the weight lane the edge's. */
static int lower_agg_edges(lw *L, const gr_inst *in, gr_pagg *A)
{
    const gr_inst *y = &in->body->insts[in->body->n - 1];
    kb B;
    int32_t k;
    int16_t lane;
    int rc;

    TRY(kb_init(L, &B));
    for (k = 0; k < in->nargs; k++) {
        int32_t sa;
        if (!valid(L, in->args[k]) || !valid(L, in->inner[k])) {
            rc = gr_err(L->err, GR_ERR_INVALID, "plan: malformed agg_fused");
            goto fail;
        }
        TRY(slot_of(L, in->args[k], &sa));
        TRY(kb_lane(L, &B, GR_LK_IN, gr_k_kind(vtype(L, in->inner[k])), sa, in->inner[k],
                    &lane));
    }
    if (!valid(L, in->inner[in->nargs])) {
        rc = gr_err(L->err, GR_ERR_INVALID, "plan: malformed agg_fused");
        goto fail;
    }
    TRY(kb_lane(L, &B, GR_LK_W, GR_EK_F64, -1, in->inner[in->nargs], &lane));
    TRY(kb_body(L, &B, in->body, NULL));
    TRY(kb_get(L, &B, y->args[0], &lane));
    A->msg = GR_MSG_X;
    A->xek = B.K.lanes[lane].ek;
    A->x = -1;
    { /* the message: the kernel's one output, a map into no slot */
        TRY(grow(L, (void **)&B.K.out, &B.cap_out, 1, sizeof *B.K.out));
        B.K.out[0].lane = lane;
        B.K.out[0].fold = GR_FOLD_MAP;
        B.K.out[0].ek = B.K.lanes[lane].ek;
        B.K.out[0].slot = -1;
        B.K.out[0].part = -1;
        B.K.nout = 1;
    }
    TRY(kb_finish(L, &B, &A->edgeker));
    L->pl->nedge++;
    rc = GR_OK;
fail:
    kb_done(&B);
    return rc;
}

/* The x of an AGG_FUSED into A: an operand's slot, or a temporary vector
 * computed by a message kernel (the body without the weight op). */
static int lower_agg_msg(lw *L, const gr_inst *in, int32_t pos, int32_t gend, gr_pagg *A)
{
    const int masked = in->attrs.masked != 0;
    const gr_inst *skip;
    gr_msg msg;
    gr_vid xv;
    kb B;
    int32_t k, s;
    int16_t lane;
    int rc;

    memset(&B, 0, sizeof B);
    if (!agg_fused_split(in, &msg, &xv, &skip)) {
        if (A->self || A->mon == GR_MON_MODE) {
            return gr_err(L->err, GR_ERR_INVALID, "plan: this agg_fused message uses the edge "
                          "weight other than as w, x + w or x * w, which has no self or mode "
                          "semantics");
        }
        return lower_agg_edges(L, in, A);
    }
    /* The x part is computed by a node pass into a temporary vector that
     * the aggregation kernel then reads: on a 1M-node, 10M-edge graph that
     * is three times faster than evaluating the body per edge (the edge
     * kernel's gathers and calls cost more than the pass and the buffer
     * the fusion saves).  Edge kernels run only what no node pass can. */
    A->msg = (uint8_t)msg;
    if (msg == GR_MSG_W) { /* x selects the element type (and the self message) */
        for (k = 0; k < in->nargs - masked; k++) {
            if (gr_type_is_vector(vtype(L, in->args[k]))) {
                TRY(slot_of(L, in->args[k], &A->x));
                A->xek = (uint8_t)gr_k_kind(vtype(L, in->args[k]));
                return GR_OK;
            }
        }
        return gr_err(L->err, GR_ERR_INVALID, "plan: agg_fused of w without a vector operand");
    }
    TRY(kb_init(L, &B));
    for (k = 0; k < in->nargs; k++) {
        int32_t sa;
        if (!valid(L, in->args[k]) || !valid(L, in->inner[k])) {
            rc = gr_err(L->err, GR_ERR_INVALID, "plan: malformed agg_fused");
            goto fail;
        }
        TRY(slot_of(L, in->args[k], &sa));
        TRY(kb_lane(L, &B, GR_LK_IN, gr_k_kind(vtype(L, in->inner[k])), sa, in->inner[k],
                    &lane));
    }
    TRY(kb_body(L, &B, in->body, skip));
    TRY(kb_get(L, &B, xv, &lane));
    A->xek = B.K.lanes[lane].ek;
    if (B.K.lanes[lane].kind == GR_LK_IN &&
        gr_type_is_vector(L->pl->slots[B.K.lanes[lane].slot].type)) {
        A->x = B.K.lanes[lane].slot; /* an operand itself: nothing to compute */
        rc = GR_OK;
        goto fail;
    }
    TRY(new_slot(L, gr_type_vec(gr_type_elem(vtype(L, xv))), -1, pos, gend, &s));
    TRY(kb_out(L, &B, lane, GR_FOLD_MAP, s));
    TRY(kb_finish(L, &B, &A->msgker));
    A->x = s;
    rc = GR_OK;
fail:
    kb_done(&B);
    return rc;
}

/* The mask kernel of aggregation in (its mask_producer, the instruction
 * defining its mask): that op over lanes, its result the kernel's one
 * output, into no slot. */
static int lower_mask(lw *L, const gr_inst *in, gr_pagg *A)
{
    const gr_vid mv = in->args[in->nargs - 1];
    const gr_inst *m = L->d.inst[L->d.def[mv]];
    kb B;
    int16_t lane;
    int rc;

    TRY(kb_init(L, &B));
    TRY(kb_inst(L, &B, m));
    TRY(kb_get(L, &B, mv, &lane));
    TRY(grow(L, (void **)&B.K.out, &B.cap_out, 1, sizeof *B.K.out));
    B.K.out[0].lane = lane;
    B.K.out[0].fold = GR_FOLD_MAP;
    B.K.out[0].ek = GR_EK_U8;
    B.K.out[0].slot = -1;
    B.K.out[0].part = -1;
    B.K.nout = 1;
    TRY(kb_finish(L, &B, &A->maskker));
    rc = GR_OK;
fail:
    kb_done(&B);
    return rc;
}

/* An AGG or AGG_FUSED at pos, with its epilogue FUSED (at epos) or NULL. */
static int lower_agg(lw *L, const gr_inst *in, int32_t pos, const gr_inst *epi, int32_t epos)
{
    gr_plan *pl = L->pl;
    const int masked = in->attrs.masked != 0;
    const int32_t gend = epi ? epos : pos;
    gr_pagg A;
    int32_t ai, k;
    int rc;

    memset(&A, 0, sizeof A);
    A.x = A.mask = A.conv = A.msgker = A.edgeker = A.epi = A.out = A.tmp = A.maskker = -1;
    A.dir = in->attrs.dir;
    A.mon = in->attrs.monoid;
    A.msg = in->attrs.msg;
    A.self = in->attrs.self != 0;
    if (A.dir > GR_DIR_BOTH || A.mon > GR_MON_MODE || A.msg > GR_MSG_W || !valid(L, in->result) ||
        in->nargs < 1 + masked) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: malformed %s",
                      gr_op_name((gr_opcode)in->op));
    }
    if (in->op == GR_OP_AGG) {
        if (in->nargs != 1 + masked) {
            return gr_err(L->err, GR_ERR_INVALID, "plan: malformed agg");
        }
        TRY(slot_of(L, in->args[0], &A.x));
        A.xek = (uint8_t)gr_k_kind(vtype(L, in->args[0]));
    } else {
        if (!in->body || !in->inner || in->body->n < 1 ||
            in->body->insts[in->body->n - 1].op != GR_OP_YIELD ||
            in->body->insts[in->body->n - 1].nargs != 1) {
            return gr_err(L->err, GR_ERR_INVALID, "plan: malformed agg_fused");
        }
        TRY(lower_agg_msg(L, in, pos, gend, &A));
    }
    if (A.edgeker < 0 && !gr_type_is_vector(pl->slots[A.x].type)) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: aggregation of a scalar");
    }
    A.oek = (uint8_t)gr_k_kind(vtype(L, in->result));
    if (masked && L->fmask[in->args[in->nargs - 1]]) {
        TRY(lower_mask(L, in, &A));
    } else if (masked) {
        TRY(slot_of(L, in->args[in->nargs - 1], &A.mask));
    }
    if (A.xek != GR_EK_F64 &&
        (A.msg == GR_MSG_ADD_W || A.msg == GR_MSG_MUL_W || (A.msg == GR_MSG_W && A.self))) {
        TRY(new_slot(L, GR_T_F64V, -1, pos, gend, &A.conv));
    }
    A.mode = A.mon == GR_MON_MODE;
    if (!L->noslot[in->result]) {
        TRY(slot_of(L, in->result, &A.out));
    } else if (epi && A.edgeker < 0 && agg_can_push(A.mon, A.msg, (gr_ek)A.xek, (gr_ek)A.oek)) {
        TRY(new_slot(L, gr_type_vec(gr_type_elem(vtype(L, in->result))), -1, pos, gend, &A.tmp));
    }
    TRY(grow(L, (void **)&pl->aggs, &L->cap_aggs, pl->naggs + 1, sizeof *pl->aggs));
    ai = pl->naggs++;
    pl->aggs[ai] = A;
    if (epi) {
        int32_t ki;
        TRY(lower_fused(L, epi, ai, in->result, pos, 0, &ki));
        pl->aggs[ai].epi = ki;
    }
    if (L->flagg[in->result]) {
        L->aggof[in->result] = ai; /* the links reading it compute it */
        return GR_OK;
    }
    TRY(emit(L, 0, in->op == GR_OP_AGG ? GR_P_AGG : GR_P_AGG_FUSED, &k));
    pl->inst[k].aux = ai;
    pl->inst[k].dst = pl->aggs[ai].out;
    pl->inst[k].a[0] = pl->aggs[ai].x;
    pl->inst[k].a[1] = pl->aggs[ai].mask;
    pl->inst[k].nargs = 1 + (pl->aggs[ai].mask >= 0);
    return GR_OK;
fail:
    return rc;
}

/* Whether insts[i + 1] of b is the epilogue of the aggregation insts[i]. */
static const gr_inst *epilogue_of(const gr_block *b, int32_t i)
{
    const gr_inst *a = &b->insts[i], *f;
    int32_t k;
    if ((a->op != GR_OP_AGG && a->op != GR_OP_AGG_FUSED) || i + 1 >= b->n) {
        return NULL;
    }
    f = &b->insts[i + 1];
    if (f->op != GR_OP_FUSED || !f->attrs.epilogue || a->result < 0) {
        return NULL;
    }
    for (k = 0; k < f->nargs; k++) {
        if (f->args[k] == a->result) {
            return f;
        }
    }
    return NULL;
}

/* The producer of the mask of aggregation insts[i] of b when it is to be
 * computed inside the aggregation (a mask kernel), else NULL: the
 * aggregation can be pushed into a listed mask (any over a vector into a
 * mask, no self, plain x messages) and has an epilogue, and its mask is
 * the result of the element-wise op right before it, read by nothing
 * else.  The mask is then computed lane by lane in a pull and only at the
 * listed receivers after a push, instead of over every node first. */
static const gr_inst *mask_producer(const lw *L, const gr_block *b, int32_t i)
{
    const gr_inst *a = &b->insts[i], *m;
    gr_vid mv;
    int32_t k, vec = 0;
    if (a->op != GR_OP_AGG || !a->attrs.masked || a->nargs != 2 || i < 1 ||
        a->attrs.monoid != GR_MON_ANY || a->attrs.self || a->attrs.msg != GR_MSG_X ||
        !epilogue_of(b, i) || !valid(L, a->result) || vtype(L, a->result) != GR_T_MASK ||
        !valid(L, a->args[0]) || !gr_type_is_vector(vtype(L, a->args[0]))) {
        return NULL;
    }
    mv = a->args[1];
    m = &b->insts[i - 1];
    if (!valid(L, mv) || m->result != mv || m->body || m->op == GR_OP_CONST ||
        !(gr_op_info(m->op)->flags & GR_F_EW) || m->nargs < 1 || m->nargs > 3 ||
        L->d.nuses[mv] != 1) {
        return NULL;
    }
    for (k = 0; k < m->nargs; k++) {
        if (!valid(L, m->args[k])) {
            return NULL;
        }
        vec |= gr_type_is_vector(vtype(L, m->args[k]));
    }
    return vec ? m : NULL;
}

/* Whether in is node_id() or node_index() read only as an operand of FUSED
 * kernels (not an aggregation's, whose edge kernels read at the neighbour,
 * nor a mask producer's): each kernel then makes the ids of its block of
 * nodes itself, which costs less than writing a vector of n and reading it
 * back. */
static int node_in_kernels(const lw *L, const gr_inst *in)
{
    int32_t u;
    if ((in->op != GR_OP_NODE_ID && in->op != GR_OP_NODE_INDEX) || !valid(L, in->result) ||
        vtype(L, in->result) != GR_T_I64V || L->d.nuses[in->result] == 0) {
        return 0;
    }
    for (u = 0; u < L->d.nuses[in->result]; u++) {
        if (L->d.inst[L->d.uses[in->result][u]]->op != GR_OP_FUSED) {
            return 0;
        }
    }
    return 1;
}

/* Whether value v, made at position p, is read, and only as an operand
 * of links in p's block. */
static int read_by_links(const lw *L, gr_vid v, int32_t p)
{
    int32_t u;
    for (u = 0; u < L->d.nuses[v]; u++) {
        int32_t q = L->d.uses[v][u];
        if (L->d.inst[q]->op != GR_OP_LINK || L->d.parent[q] != L->d.parent[p]) {
            return 0;
        }
    }
    return L->d.nuses[v] > 0;
}

/* Whether in (at position p) is out_nbr(k) read only as an operand of
 * links in its own block: each link then reads the rows as it links,
 * which overlaps their stream with its joins' random reads instead of
 * writing a vector of n first (uniform 1M: 4 ms per out_nbr). */
static int nbr_in_links(const lw *L, const gr_inst *in, int32_t p)
{
    if (in->op != GR_OP_OUT_NBR || in->nargs != 1 || !valid(L, in->result) ||
        !valid(L, in->args[0])) {
        return 0;
    }
    return read_by_links(L, in->result, p);
}

/* Whether the aggregation insts[i] of b (at position p) is read only as
 * an operand of links in its own block and is a min or max of i64
 * messages x (no epilogue; a mask of its own, if any): each link then
 * computes its results a block of nodes at a time, never writing the
 * vector of n (whose empty values, out of range, link nothing) nor
 * reading it back (wcc's rounds on uniform 1M: about 3 ms). */
static int agg_in_links(const lw *L, const gr_block *b, int32_t i, int32_t p)
{
    const gr_inst *in = &b->insts[i];
    if (in->op != GR_OP_AGG || in->nargs != 1 + (in->attrs.masked != 0) ||
        (in->attrs.monoid != GR_MON_MIN && in->attrs.monoid != GR_MON_MAX) ||
        in->attrs.msg != GR_MSG_X || !valid(L, in->result) || !valid(L, in->args[0]) ||
        vtype(L, in->result) != GR_T_I64V || vtype(L, in->args[0]) != GR_T_I64V ||
        epilogue_of(b, i) ||
        (in->attrs.masked && (!valid(L, in->args[1]) || L->fmask[in->args[1]]))) {
        return 0;
    }
    return read_by_links(L, in->result, p);
}

/* What a link reads for its operand x stays live up to position q: x, or
 * the k of an out_nbr it reads from the rows, or the x and mask of an
 * aggregation it computes. */
static void link_keeps(lw *L, gr_vid x, int32_t q)
{
    gr_vid keep[2];
    int n = 0, k;
    if (!valid(L, x)) {
        return;
    }
    if (L->fnbr[x]) {
        keep[n++] = L->d.inst[L->d.def[x]]->args[0];
    } else if (L->flagg[x]) {
        const gr_inst *a = L->d.inst[L->d.def[x]];
        for (k = 0; k < a->nargs && k < 2; k++) {
            keep[n++] = a->args[k];
        }
    } else {
        keep[n++] = x;
    }
    for (k = 0; k < n; k++) {
        if (valid(L, keep[k]) && L->vend[keep[k]] < q) {
            L->vend[keep[k]] = q;
        }
    }
}

/* The position of the link that takes the operands of the link in (at
 * position p), or -1: in is link(a, b) whose only reader is a link of
 * its block reading it as its first operand, link(link(a, b), c), which
 * has the components of the links of a, b and c at once; the plan passes
 * the three to one instruction (no vector written and read back, one
 * first pass and one compression fewer).  a itself is no such link. */
static int32_t link_into(const lw *L, const gr_inst *in, int32_t p)
{
    int32_t q;
    if (in->op != GR_OP_LINK || in->nargs != 2 || !valid(L, in->result) ||
        L->d.nuses[in->result] != 1 || (valid(L, in->args[0]) && L->flink[in->args[0]])) {
        return -1;
    }
    q = L->d.uses[in->result][0];
    if (L->d.inst[q]->op != GR_OP_LINK || L->d.inst[q]->nargs != 2 ||
        L->d.inst[q]->args[0] != in->result || L->d.inst[q]->args[1] == in->result ||
        L->d.parent[q] != L->d.parent[p]) {
        return -1;
    }
    return q;
}

/* ---- loops ---------------------------------------------------------------------------------- */

static int lower_block(lw *L, const gr_block *b, int32_t *pos);

static int lower_loop(lw *L, const gr_inst *in, int32_t *pos)
{
    gr_plan *pl = L->pl;
    const int32_t p = *pos, yend = L->d.end[p];
    const int kind = in->attrs.loop, nc = in->ncarry;
    const int expl = in->attrs.explicit_test != 0 && kind != GR_LOOP_REPEAT;
    const gr_inst *y;
    gr_ploop Lp;
    int32_t li, k, j, ki, head;
    int rc;

    memset(&Lp, 0, sizeof Lp);
    if (!in->body || nc < 0 || in->nargs != nc + 2 || kind < GR_LOOP_REPEAT ||
        kind > GR_LOOP_UNCHANGED || (kind != GR_LOOP_REPEAT && (in->attrs.test < 0 ||
        in->attrs.test >= nc)) || (nc > 0 && (!in->inner || !in->results)) ||
        in->body->n < 1) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: malformed loop");
    }
    y = &in->body->insts[in->body->n - 1];
    if (y->op != GR_OP_YIELD || y->nargs != nc + expl) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: loop body does not end in yield");
    }
    TRY(grow(L, (void **)&pl->loops, &L->cap_loops, pl->nloops + 1, sizeof *pl->loops));
    li = pl->nloops++;
    Lp.kind = (uint8_t)kind;
    Lp.tol = -1;
    Lp.test = kind == GR_LOOP_REPEAT ? -1 : in->attrs.test;
    Lp.test_next = -1;
    Lp.expl = -1;
    Lp.ncarry = nc;
    Lp.vid = nc > 0 ? in->results[0] : -1;
    pl->loops[li] = Lp;
    if (nc > 0) {
        gr_ploop *lp = &pl->loops[li];
        lp->inner = gr_calloc((size_t)nc, sizeof *lp->inner);
        lp->next = gr_calloc((size_t)nc, sizeof *lp->next);
        lp->carry = gr_calloc((size_t)nc, sizeof *lp->carry);
        lp->shadow = gr_calloc((size_t)nc, sizeof *lp->shadow);
        if (!lp->inner || !lp->next || !lp->carry || !lp->shadow) {
            return gr_err_nomem(L->err, "lowering a loop");
        }
    }
    TRY(slot_of(L, in->args[0], &pl->loops[li].max));
    if (kind == GR_LOOP_CONVERGED) {
        TRY(slot_of(L, in->args[1], &pl->loops[li].tol));
    }
    /* carried values: copy the initial values in unless they share the slot */
    for (k = 0; k < nc; k++) {
        int32_t si, s0;
        TRY(slot_of(L, in->inner[k], &si));
        TRY(slot_of(L, in->args[2 + k], &s0));
        pl->loops[li].inner[k] = si;
        if (si != s0) {
            TRY(emit_copy(L, s0, si));
        }
        if (!gr_type_is_vector(pl->slots[si].type)) {
            TRY(new_slot(L, pl->slots[si].type, -1, -1, -1, &pl->loops[li].shadow[k]));
        } else {
            pl->loops[li].shadow[k] = -1;
        }
    }
    TRY(emit(L, 0, GR_P_LOOP_INIT, &k));
    pl->inst[k].aux = li;
    pl->inst[k].a[0] = pl->loops[li].max;
    pl->inst[k].a[1] = pl->loops[li].tol;
    pl->inst[k].nargs = kind == GR_LOOP_CONVERGED ? 2 : 1;
    TRY(emit(L, 0, GR_P_LOOP_HEAD, &head));
    pl->inst[head].aux = li;
    pl->loops[li].head = head;

    *pos = p + 1;
    TRY(lower_block(L, in->body, pos)); /* stops before the yield */
    if (*pos != yend) {
        return gr_err(L->err, GR_ERR_INTERNAL, "plan: loop positions out of step");
    }
    *pos = yend + 1;

    /* the yielded values */
    for (k = 0; k < nc; k++) {
        gr_vid yv = y->args[k];
        int32_t sy, si = pl->loops[li].inner[k];
        TRY(slot_of(L, yv, &sy));
        if (kind != GR_LOOP_REPEAT && k == in->attrs.test) {
            pl->loops[li].test_next = sy;
        }
        if (!gr_type_is_vector(pl->slots[si].type)) {
            pl->loops[li].next[k] = sy;
            continue;
        }
        if (sy == si) {
            pl->loops[li].next[k] = sy;
            pl->loops[li].carry[k] = GR_CARRY_SAME;
            continue;
        }
        {
            int swappable = L->sstart[sy] > p && L->send[sy] <= yend;
            for (j = 0; j < nc && swappable; j++) {
                swappable = pl->loops[li].inner[j] != sy;
            }
            for (j = 0; j < k && swappable; j++) {
                swappable = y->args[j] != yv;
            }
            if (!swappable) { /* copy into a temporary swapped instead */
                int32_t t;
                TRY(new_slot(L, pl->slots[si].type, -1, yend, yend, &t));
                TRY(emit_copy(L, sy, t));
                sy = t;
            }
        }
        pl->loops[li].next[k] = sy;
        pl->loops[li].carry[k] = GR_CARRY_SWAP;
    }
    if (expl) {
        TRY(slot_of(L, y->args[nc], &pl->loops[li].expl));
    }
    TRY(emit(L, 0, GR_P_LOOP_NEXT, &ki));
    pl->inst[ki].aux = li;
    pl->inst[ki].jump = head;
    pl->inst[head].jump = pl->ninst;
    pl->loops[li].exit = pl->ninst;
    return GR_OK;
fail:
    return rc;
}

/* ---- instructions ---------------------------------------------------------------------------- */

/* link(a, b): an operand that is an out_nbr(k) the links alone read
 * (fnbr) is passed as k's scalar slot, its GR_LINK_NBR bit set in aux, and
 * the kernel reads the rows as it links; one that is an aggregation the
 * links alone read (flagg) is passed as the plan aggregation's index, its
 * GR_LINK_AGG bit set; a first operand that is a link taken in (flink)
 * passes its two operands instead, three in all. */
static int lower_link(lw *L, const gr_inst *in)
{
    gr_plan *pl = L->pl;
    gr_vid x[3];
    int32_t s, a[3], k, aux = 0;
    int rc, j, nx = 0;
    if (in->nargs != 2 || !valid(L, in->result) || !valid(L, in->args[0])) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: malformed link");
    }
    if (L->flink[in->args[0]]) {
        const gr_inst *inner = L->d.inst[L->d.def[in->args[0]]];
        x[nx++] = inner->args[0];
        x[nx++] = inner->args[1];
    } else {
        x[nx++] = in->args[0];
    }
    x[nx++] = in->args[1];
    for (j = 0; j < nx; j++) {
        if (valid(L, x[j]) && L->fnbr[x[j]]) {
            TRY(slot_of(L, L->d.inst[L->d.def[x[j]]]->args[0], &a[j]));
            aux |= GR_LINK_NBR << j;
        } else if (valid(L, x[j]) && L->flagg[x[j]]) {
            if (L->aggof[x[j]] < 0) {
                return gr_err(L->err, GR_ERR_INTERNAL, "plan: link before its aggregation");
            }
            a[j] = L->aggof[x[j]];
            aux |= GR_LINK_AGG << j;
        } else {
            TRY(slot_of(L, x[j], &a[j]));
            if (!gr_type_is_vector(pl->slots[a[j]].type)) {
                return gr_err(L->err, GR_ERR_INVALID, "plan: link of a scalar");
            }
        }
    }
    TRY(slot_of(L, in->result, &s));
    TRY(emit(L, 0, GR_P_LINK, &k));
    pl->inst[k].irop = in->op;
    pl->inst[k].dst = s;
    pl->inst[k].nargs = (uint8_t)nx;
    for (j = 0; j < nx; j++) {
        pl->inst[k].a[j] = a[j];
    }
    pl->inst[k].aux = aux;
    return GR_OK;
fail:
    return rc;
}

static int lower_inst(lw *L, const gr_inst *in, int32_t pos)
{
    gr_plan *pl = L->pl;
    const gr_opinfo *info = gr_op_info(in->op);
    int32_t s, a[3], k;
    int rc, j;

    switch (in->op) {
    case GR_OP_CONST:
        TRY(slot_of(L, in->result, &s));
        return emit_const(L, vtype(L, in->result), in->attrs.f, in->attrs.i, s);
    case GR_OP_PARAM:
        if (in->attrs.i < 0 || in->attrs.i >= L->p->nparams) {
            return gr_err(L->err, GR_ERR_INVALID, "plan: no parameter %lld",
                          (long long)in->attrs.i);
        }
        TRY(slot_of(L, in->result, &s));
        TRY(emit(L, 1, GR_P_PARAM, &k));
        L->pre[k].dst = s;
        L->pre[k].aux = (int32_t)in->attrs.i;
        return GR_OK;
    case GR_OP_PRINT:
        TRY(slot_of(L, in->args[0], &s));
        TRY(emit(L, 0, GR_P_PRINT, &k));
        pl->inst[k].a[0] = s;
        pl->inst[k].nargs = 1;
        return GR_OK;
    case GR_OP_FUSED:
        TRY(lower_fused(L, in, -1, -1, pos, 1, &s));
        TRY(emit(L, 0, GR_P_FUSED, &k));
        pl->inst[k].aux = s;
        return GR_OK;
    case GR_OP_LINK:
        return lower_link(L, in);
    default:
        break;
    }
    if (in->nargs < 0 || in->nargs > 3 || !valid(L, in->result)) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: malformed %s", info->name);
    }
    for (j = 0; j < in->nargs; j++) {
        TRY(slot_of(L, in->args[j], &a[j]));
    }
    TRY(slot_of(L, in->result, &s));
    if (info->flags & GR_F_EW) {
        TRY(emit_ew(L, (gr_opcode)in->op, a, in->nargs, s, &k));
        if (gr_type_is_vector(pl->slots[s].type)) {
            L->sip[s] = IP_INST;
            L->sdef[s] = k;
        }
        return GR_OK;
    }
    switch (info->sig) {
    case GR_SIG_SRC_I64:
    case GR_SIG_SRC_I64V:
    case GR_SIG_FILL:
    case GR_SIG_NBR:
        TRY(emit(L, 0, GR_P_SOURCE, &k));
        break;
    case GR_SIG_RED:
    case GR_SIG_RED_F64:
    case GR_SIG_RED_I64:
    case GR_SIG_RED_BOOL:
    case GR_SIG_DIST:
        TRY(emit(L, 0, GR_P_REDUCE, &k));
        break;
    case GR_SIG_GATHER:
        TRY(emit(L, 0, GR_P_GATHER, &k));
        break;
    case GR_SIG_SCATTER:
        TRY(emit(L, 0, GR_P_SCATTER, &k));
        break;
    default:
        return gr_err(L->err, GR_ERR_INVALID, "plan: cannot lower %s", info->name);
    }
    pl->inst[k].irop = in->op;
    pl->inst[k].dst = s;
    pl->inst[k].nargs = (uint8_t)in->nargs;
    pl->inst[k].scalar = !gr_type_is_vector(pl->slots[s].type);
    for (j = 0; j < in->nargs; j++) {
        pl->inst[k].a[j] = a[j];
    }
    if (info->sig == GR_SIG_DIST || info->sig == GR_SIG_GATHER) {
        for (j = 0; j < in->nargs; j++) {
            if (!gr_type_is_vector(pl->slots[a[j]].type)) {
                return gr_err(L->err, GR_ERR_INVALID, "plan: %s of a scalar", info->name);
            }
        }
    }
    if (info->sig == GR_SIG_SCATTER && !gr_type_is_vector(pl->slots[a[1]].type)) {
        return gr_err(L->err, GR_ERR_INVALID, "plan: scatter with scalar indices");
    }
    return GR_OK;
fail:
    return rc;
}

/* Lower block b from position *pos, up to its yield (left unlowered) or
 * through its return. */
static int lower_block(lw *L, const gr_block *b, int32_t *pos)
{
    int32_t i, k;
    int rc;
    for (i = 0; i < b->n; i++) {
        const gr_inst *in = &b->insts[i], *epi;
        int32_t p = *pos;
        if (p >= L->d.ninst || L->d.inst[p] != in) {
            return gr_err(L->err, GR_ERR_INTERNAL, "plan: positions out of step");
        }
        switch (in->op) {
        case GR_OP_YIELD:
            return GR_OK;
        case GR_OP_RETURN: {
            gr_plan *pl = L->pl;
            pl->nret = in->nargs;
            if (in->nargs > 0 && (!(pl->ret = gr_calloc((size_t)in->nargs, sizeof *pl->ret)) ||
                                  !(pl->ret_names = gr_calloc((size_t)in->nargs,
                                                              sizeof *pl->ret_names)))) {
                return gr_err_nomem(L->err, "lowering a plan");
            }
            for (k = 0; k < in->nargs; k++) {
                const char *nm = L->p->result_names ? L->p->result_names[k] : NULL;
                char def[32];
                TRY(slot_of(L, in->args[k], &pl->ret[k]));
                if (!nm) {
                    snprintf(def, sizeof def, k ? "result%d" : "result", (int)k + 1);
                    nm = def;
                }
                if (!(pl->ret_names[k] = gr_strdup(nm))) {
                    return gr_err_nomem(L->err, "lowering a plan");
                }
            }
            TRY(emit(L, 0, GR_P_RETURN, NULL));
            *pos = p + 1;
            return GR_OK;
        }
        case GR_OP_LOOP:
            TRY(lower_loop(L, in, pos));
            continue;
        case GR_OP_AGG:
        case GR_OP_AGG_FUSED:
            epi = epilogue_of(b, i);
            if (epi) {
                int32_t ep = L->d.end[p] + 1;
                TRY(lower_agg(L, in, p, epi, ep));
                *pos = L->d.end[ep] + 1;
                i++;
            } else {
                TRY(lower_agg(L, in, p, NULL, -1));
                *pos = L->d.end[p] + 1;
            }
            continue;
        default:
            /* else its aggregation or the kernels reading it compute it */
            if (!valid(L, in->result) || (!L->fmask[in->result] && !L->fnode[in->result] &&
                                          !L->fnbr[in->result] && !L->flink[in->result])) {
                TRY(lower_inst(L, in, p));
            }
            *pos = L->d.end[p] + 1;
            continue;
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* ---- slot classes ------------------------------------------------------------------------------ */

/* Whether the loop at position p may update its carried vector iv in place:
 * the value yv yielded for it is a map output of an element-wise
 * instruction (FUSED, or EW) at the top of the body that reads iv at the
 * same node, nothing reads iv after that instruction (not another yield,
 * not the loop's implicit test, which compares old and new), and, for an
 * epilogue, its aggregation reads iv at most as its mask (the receiver's
 * own element; a pulled x or message is read at neighbours whose new
 * values may already be stored).  Then yv shares iv's slot and LOOP_NEXT
 * hands nothing over: the update writes only what changes, and a pass
 * that touches only some nodes (a sparse epilogue) leaves the others
 * right. */
static int carry_in_place(const lw *L, const gr_inst *loop, int32_t p, int k)
{
    const gr_an_deps *d = &L->d;
    const gr_vid iv = loop->inner[k], yv = loop->body->insts[loop->body->n - 1].args[k];
    const int implicit = loop->attrs.loop != GR_LOOP_REPEAT && !loop->attrs.explicit_test;
    const gr_inst *f;
    int32_t fp, u, j, hit = 0, sparse = 0;
    if (!valid(L, yv) || yv == iv || !gr_type_is_vector(vtype(L, iv)) ||
        vtype(L, yv) != vtype(L, iv) || (implicit && loop->attrs.test == k)) {
        return 0;
    }
    for (j = 0; j < loop->ncarry; j++) {
        if (j != k && loop->body->insts[loop->body->n - 1].args[j] == yv) {
            return 0; /* yielded twice: the carried values stay two */
        }
    }
    fp = d->def[yv];
    if (fp <= p || fp >= d->end[p] || d->parent[fp] != p) {
        return 0;
    }
    f = d->inst[fp];
    if (f->op == GR_OP_FUSED && f->body && f->results && f->fold) {
        for (j = 0; j < f->ncarry; j++) {
            hit |= f->results[j] == yv && f->fold[j] == GR_FOLD_MAP;
        }
    } else if (gr_op_info(f->op)->flags & GR_F_EW) {
        hit = f->result == yv;
    }
    for (j = 0; j < f->nargs && hit; j++) {
        hit += f->args[j] == iv;
    }
    if (hit < 2) {
        return 0;
    }
    for (u = 0; u < d->nuses[iv]; u++) {
        if (d->uses[iv][u] > fp) {
            return 0;
        }
    }
    for (j = 1; j < loop->body->n; j++) {
        const gr_inst *a = &loop->body->insts[j - 1];
        if (&loop->body->insts[j] == f && epilogue_of(loop->body, j - 1) == f) {
            for (u = 0; u < a->nargs - (a->attrs.masked != 0); u++) {
                if (a->args[u] == iv) {
                    return 0;
                }
            }
            /* only the epilogue of a push that can be listed (any into a
             * mask, no self) may run sparse and needs the update in place;
             * a dense update keeps the swap, which costs nothing, where an
             * update in place copies its lane when the kernel still reads
             * the old element after computing the new one */
            sparse |= a->attrs.monoid == GR_MON_ANY && !a->attrs.self &&
                      valid(L, a->result) && vtype(L, a->result) == GR_T_MASK;
        }
    }
    return sparse;
}

/* Unite carried values with their results and (vectors dying at the loop)
 * their initial values; mark aggregation results only their epilogue
 * reads; move epilogue outputs' starts to their aggregation. */
static int classes_block(lw *L, const gr_block *b, int32_t *pos)
{
    int32_t i, k, j;
    int rc;
    for (i = 0; i < b->n; i++) {
        const gr_inst *in = &b->insts[i], *epi, *m;
        int32_t p = (*pos)++;
        if (in->op == GR_OP_LOOP && in->body) {
            for (k = 0; k < in->ncarry && in->inner && in->results; k++) {
                gr_vid iv = in->inner[k], rv = in->results[k], v0 = 2 + k < in->nargs
                                                                      ? in->args[2 + k] : -1;
                int first = 1;
                if (!valid(L, iv) || !valid(L, rv) || !valid(L, v0)) {
                    return gr_err(L->err, GR_ERR_INVALID, "plan: malformed loop");
                }
                unite(L, iv, rv);
                for (j = 0; j < k; j++) {
                    first &= in->args[2 + j] != v0;
                }
                if (carry_in_place(L, in, p, (int)k)) {
                    unite(L, iv, in->body->insts[in->body->n - 1].args[k]);
                }
                if (first && gr_type_is_vector(vtype(L, v0)) && L->vend[v0] == p) {
                    /* the class of v0 must end here too */
                    int32_t r0 = find(L, v0), e = -1, v;
                    for (v = 0; v < L->nv; v++) {
                        if (L->vstart[v] >= 0 && find(L, v) == r0 && L->vend[v] > e) {
                            e = L->vend[v];
                        }
                    }
                    if (e == p) {
                        unite(L, v0, iv);
                    }
                }
            }
            TRY(classes_block(L, in->body, pos));
            continue;
        }
        if (in->body) {
            *pos = L->d.end[p] + 1; /* fused bodies: no slots */
        }
        if (node_in_kernels(L, in)) {
            L->fnode[in->result] = in->op == GR_OP_NODE_ID ? GR_LK_ID : GR_LK_INDEX;
            L->noslot[in->result] = 1;
        }
        if (nbr_in_links(L, in, p) || agg_in_links(L, b, i, p)) {
            /* its operands are read by the links instead */
            if (in->op == GR_OP_OUT_NBR) {
                L->fnbr[in->result] = 1;
            } else {
                L->flagg[in->result] = 1;
            }
            L->noslot[in->result] = 1;
            for (k = 0; k < L->d.nuses[in->result]; k++) {
                link_keeps(L, in->result, L->d.uses[in->result][k]);
            }
        }
        if ((j = link_into(L, in, p)) >= 0) {
            /* its operands are read by the link at j */
            L->flink[in->result] = 1;
            L->noslot[in->result] = 1;
            link_keeps(L, in->args[0], j);
            link_keeps(L, in->args[1], j);
        }
        if ((m = mask_producer(L, b, i)) != NULL) {
            /* the mask is computed inside the aggregation: its operands are
             * read there */
            L->fmask[m->result] = 1;
            for (k = 0; k < m->nargs; k++) {
                if (L->vend[m->args[k]] < p) {
                    L->vend[m->args[k]] = p;
                }
            }
        }
        epi = epilogue_of(b, i);
        if (epi) {
            int32_t ep = *pos, u, only = 1;
            gr_vid r = in->result;
            for (u = 0; u < L->d.nuses[r]; u++) {
                only &= L->d.uses[r][u] == ep;
            }
            if (only) {
                L->noslot[r] = 1;
            }
            for (k = 0; k < epi->ncarry && epi->results; k++) {
                gr_vid v = epi->results[k];
                if (valid(L, v) && L->vstart[v] > p) {
                    L->vstart[v] = p;
                }
            }
            *pos = L->d.end[ep] + 1;
            i++;
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* ---- registers ------------------------------------------------------------------------------------ */

typedef struct act {
    int32_t end;
    int32_t slot;
} act;

/* Whether slot o is an operand slot of the in-place definition of s with
 * elements of the same size (a mask written over an i64 vector in place
 * would clobber elements other threads have not read yet). */
static int ip_operand(const lw *L, int32_t s, int32_t o)
{
    const gr_plan *pl = L->pl;
    int32_t j;
    if (gr_k_size(gr_k_kind(pl->slots[s].type)) != gr_k_size(gr_k_kind(pl->slots[o].type))) {
        return 0;
    }
    if (L->sip[s] == IP_INST) {
        const gr_pinst *pi = &pl->inst[L->sdef[s]];
        for (j = 0; j < pi->nargs; j++) {
            if (pi->a[j] == o) {
                return 1;
            }
        }
    } else if (L->sip[s] == IP_KER) {
        const gr_pker *K = &pl->kers[L->sdef[s]];
        for (j = 0; j < K->nlanes; j++) {
            if (K->lanes[j].kind == GR_LK_IN && K->lanes[j].slot == o) {
                return 1;
            }
        }
    }
    return 0;
}

/* Linear scan over the vector slots. */
static int assign_registers(lw *L)
{
    gr_plan *pl = L->pl;
    int32_t *order = NULL, *freeregs = NULL, nord = 0, nact = 0, nfree = 0, i, j, k;
    act *active = NULL;
    int rc = GR_OK;

    if (pl->nslots == 0) {
        return GR_OK;
    }
    order = gr_malloc((size_t)pl->nslots * sizeof *order);
    freeregs = gr_malloc((size_t)pl->nslots * sizeof *freeregs);
    active = gr_malloc((size_t)pl->nslots * sizeof *active);
    if (!order || !freeregs || !active) {
        rc = gr_err_nomem(L->err, "assigning registers");
        goto done;
    }
    for (i = 0; i < pl->nslots; i++) {
        if (gr_type_is_vector(pl->slots[i].type)) {
            order[nord++] = i;
        }
    }
    /* insertion sort by start, stable (slot order breaks ties) */
    for (i = 1; i < nord; i++) {
        int32_t s = order[i];
        for (j = i; j > 0 && L->sstart[order[j - 1]] > L->sstart[s]; j--) {
            order[j] = order[j - 1];
        }
        order[j] = s;
    }
    for (i = 0; i < nord; i++) {
        int32_t s = order[i], st = L->sstart[s], reg = -1;
        /* expire what ended before st */
        for (k = 0; k < nact;) {
            if (active[k].end < st) {
                freeregs[nfree++] = pl->slots[active[k].slot].reg;
                active[k] = active[--nact];
            } else {
                k++;
            }
        }
        /* in place: an operand dying where s starts */
        if (L->sip[s] != IP_NONE) {
            for (k = 0; k < nact; k++) {
                int32_t o = active[k].slot;
                if (active[k].end == st && L->sstart[o] < st && ip_operand(L, s, o)) {
                    reg = pl->slots[o].reg;
                    active[k] = active[--nact];
                    break;
                }
            }
        }
        if (reg < 0) {
            reg = nfree > 0 ? freeregs[--nfree] : pl->nregs++;
        }
        pl->slots[s].reg = reg;
        active[nact].end = L->send[s] > st ? L->send[s] : st;
        active[nact].slot = s;
        nact++;
    }
done:
    gr_free(order);
    gr_free(freeregs);
    gr_free(active);
    return rc;
}

/* ---- kernels, once registers are known -------------------------------------------------- */

/* Drop the lanes no op, output or aggregation reads (a broadcast lane
 * costs a fill per block), and let each op whose lane is yielded as a map
 * compute straight into that output's register when no input of the
 * kernel shares the register (else the lane is stored after the lane's
 * ops, as plan.h says). */
static int finish_kernel(lw *L, gr_pker *K)
{
    const gr_plan *pl = L->pl;
    int32_t *map = NULL, j, k, n = 0;
    uint8_t *used = NULL;
    int rc = GR_OK;
    if (K->nlanes == 0) {
        return GR_OK;
    }
    map = gr_malloc((size_t)K->nlanes * sizeof *map);
    used = gr_calloc((size_t)K->nlanes, 1);
    if (!map || !used) {
        rc = gr_err_nomem(L->err, "lowering a fused kernel");
        goto done;
    }
    for (k = 0; k < K->nops; k++) {
        for (j = 0; j < K->ops[k].nargs; j++) {
            used[K->ops[k].a[j]] = 1;
        }
        used[K->ops[k].out] = 1;
    }
    for (k = 0; k < K->nout; k++) {
        used[K->out[k].lane] = 1;
    }
    for (j = 0; j < K->nlanes; j++) {
        if (K->lanes[j].kind == GR_LK_AGG) {
            used[j] = 1;
        }
        map[j] = used[j] ? n : -1;
        if (used[j]) {
            K->lanes[n++] = K->lanes[j];
        }
    }
    K->nlanes = n;
    for (k = 0; k < K->nops; k++) {
        for (j = 0; j < K->ops[k].nargs; j++) {
            K->ops[k].a[j] = (int16_t)map[K->ops[k].a[j]];
        }
        K->ops[k].out = (int16_t)map[K->ops[k].out];
    }
    for (k = 0; k < K->nout; k++) {
        K->out[k].lane = (int16_t)map[K->out[k].lane];
    }
    /* straight into the output */
    for (j = 0; j < K->nlanes; j++) {
        if (K->lanes[j].kind == GR_LK_TMP) {
            K->lanes[j].slot = -1;
        }
    }
    for (k = 0; k < K->nout; k++) {
        const gr_pout *o = &K->out[k];
        gr_plane *ln = &K->lanes[o->lane];
        int32_t reg, q;
        int shared = 0;
        if (o->fold != GR_FOLD_MAP || o->slot < 0 || ln->kind != GR_LK_TMP || ln->slot >= 0) {
            continue;
        }
        reg = pl->slots[o->slot].reg;
        for (q = 0; q < K->nlanes && !shared; q++) {
            const gr_plane *in = &K->lanes[q];
            if (in->kind == GR_LK_IN && gr_type_is_vector(pl->slots[in->slot].type)) {
                shared = pl->slots[in->slot].reg == reg;
            } else if (in->kind == GR_LK_AGG && in->slot >= 0) {
                shared = pl->slots[in->slot].reg == reg;
            }
        }
        if (!shared) {
            ln->slot = o->slot;
        }
    }
    if (K->nlanes > L->pl->max_lanes) {
        L->pl->max_lanes = K->nlanes;
    }
done:
    gr_free(map);
    gr_free(used);
    return rc;
}

static int finish_kernels(lw *L)
{
    int32_t k;
    int rc;
    L->pl->max_lanes = 0;
    for (k = 0; k < L->pl->nkers; k++) {
        if ((rc = finish_kernel(L, &L->pl->kers[k])) < 0) {
            return rc;
        }
    }
    return GR_OK;
}

/* ---- the plan --------------------------------------------------------------------------------------- */

static void loops_free(gr_plan *pl)
{
    int32_t i;
    for (i = 0; i < pl->nloops; i++) {
        gr_free(pl->loops[i].inner);
        gr_free(pl->loops[i].next);
        gr_free(pl->loops[i].carry);
        gr_free(pl->loops[i].shadow);
    }
    gr_free(pl->loops);
}

/* See gr.h.  NULLs *plan. */
void gr_plan_free(gr_plan **plan)
{
    gr_plan *pl;
    int32_t i;
    if (!plan || !*plan) {
        return;
    }
    pl = *plan;
    gr_free(pl->name);
    gr_free(pl->inst);
    for (i = 0; i < pl->nslots; i++) {
        gr_free(pl->slots[i].name);
    }
    gr_free(pl->slots);
    loops_free(pl);
    for (i = 0; i < pl->nkers; i++) {
        gr_free(pl->kers[i].lanes);
        gr_free(pl->kers[i].ops);
        gr_free(pl->kers[i].out);
    }
    gr_free(pl->kers);
    gr_free(pl->aggs);
    gr_free(pl->ret);
    for (i = 0; i < pl->nret && pl->ret_names; i++) {
        gr_free(pl->ret_names[i]);
    }
    gr_free(pl->ret_names);
    gr_free(pl->ptype);
    gr_free(pl->pf);
    gr_free(pl->pi);
    gr_plan_trim(pl);
    gr_free(pl);
    *plan = NULL;
}

/* Put the prelude in front of the instructions (jumps move with them). */
static int join_prelude(lw *L)
{
    gr_plan *pl = L->pl;
    gr_pinst *all;
    int32_t i, n = L->npre + pl->ninst;
    if (!(all = gr_malloc((size_t)(n ? n : 1) * sizeof *all))) {
        return gr_err_nomem(L->err, "lowering a plan");
    }
    if (L->npre) {
        memcpy(all, L->pre, (size_t)L->npre * sizeof *all);
    }
    if (pl->ninst) {
        memcpy(all + L->npre, pl->inst, (size_t)pl->ninst * sizeof *all);
    }
    for (i = L->npre; i < n; i++) {
        if (all[i].jump >= 0) {
            all[i].jump += L->npre;
        }
    }
    for (i = 0; i < pl->nloops; i++) {
        pl->loops[i].head += L->npre;
        pl->loops[i].exit += L->npre;
    }
    gr_free(pl->inst);
    pl->inst = all;
    pl->ninst = n;
    L->cap_inst = n;
    return GR_OK;
}

static int copy_params(lw *L)
{
    gr_plan *pl = L->pl;
    const gr_program *p = L->p;
    int32_t k, np = p->nparams;
    pl->nparams = np;
    if (np == 0) {
        return GR_OK;
    }
    pl->ptype = gr_calloc((size_t)np, sizeof *pl->ptype);
    pl->pf = gr_calloc((size_t)np, sizeof *pl->pf);
    pl->pi = gr_calloc((size_t)np, sizeof *pl->pi);
    if (!pl->ptype || !pl->pf || !pl->pi) {
        return gr_err_nomem(L->err, "lowering a plan");
    }
    for (k = 0; k < np; k++) {
        pl->ptype[k] = p->params[k].type;
        pl->pf[k] = p->params[k].fdefault;
        pl->pi[k] = p->params[k].type == GR_T_BOOL ? p->params[k].idefault != 0
                                                   : p->params[k].idefault;
    }
    return GR_OK;
}

static void lw_release(lw *L)
{
    gr_an_live_release(&L->l);
    gr_an_deps_release(&L->d);
    gr_free(L->uf);
    gr_free(L->vstart);
    gr_free(L->vend);
    gr_free(L->cstart);
    gr_free(L->cend);
    gr_free(L->vslot);
    gr_free(L->noslot);
    gr_free(L->fmask);
    gr_free(L->fnode);
    gr_free(L->fnbr);
    gr_free(L->flink);
    gr_free(L->flagg);
    gr_free(L->aggof);
    gr_free(L->sstart);
    gr_free(L->send);
    gr_free(L->sip);
    gr_free(L->sdef);
    gr_free(L->pre);
}

/* See gr.h.  *out owns everything (the program may be freed after). */
int gr_plan_lower(const gr_program *p, gr_plan **out, gr_error *err)
{
    lw L;
    int32_t v, pos = 0;
    size_t nv;
    int rc;

    if (!out) {
        return gr_err(err, GR_ERR_INVALID, "gr_plan_lower: out is NULL");
    }
    *out = NULL;
    if (!p) {
        return gr_err(err, GR_ERR_INVALID, "gr_plan_lower: program is NULL");
    }
    memset(&L, 0, sizeof L);
    L.p = p;
    L.err = err;
    L.nv = p->nvalues;
    nv = (size_t)(p->nvalues > 0 ? p->nvalues : 1);
    TRY(gr_an_deps_build(p, &L.d, err));
    TRY(gr_an_live_build(p, &L.d, &L.l, err));
    L.uf = gr_malloc(nv * sizeof *L.uf);
    L.vstart = gr_malloc(nv * sizeof *L.vstart);
    L.vend = gr_malloc(nv * sizeof *L.vend);
    L.cstart = gr_malloc(nv * sizeof *L.cstart);
    L.cend = gr_malloc(nv * sizeof *L.cend);
    L.vslot = gr_malloc(nv * sizeof *L.vslot);
    L.noslot = gr_calloc(nv, sizeof *L.noslot);
    L.fmask = gr_calloc(nv, sizeof *L.fmask);
    L.fnode = gr_calloc(nv, sizeof *L.fnode);
    L.fnbr = gr_calloc(nv, sizeof *L.fnbr);
    L.flink = gr_calloc(nv, sizeof *L.flink);
    L.flagg = gr_calloc(nv, sizeof *L.flagg);
    L.aggof = gr_malloc((size_t)(nv > 0 ? nv : 1) * sizeof *L.aggof);
    L.pl = gr_calloc(1, sizeof *L.pl);
    if (!L.uf || !L.vstart || !L.vend || !L.cstart || !L.cend || !L.vslot || !L.noslot ||
        !L.fmask || !L.fnode || !L.fnbr || !L.flink || !L.flagg || !L.aggof ||
        !L.pl || !(L.pl->name = gr_strdup(p->name ? p->name : ""))) {
        rc = gr_err_nomem(err, "lowering a plan");
        goto fail;
    }
    for (v = 0; v < L.nv; v++) {
        L.uf[v] = v;
        L.vstart[v] = L.l.start[v];
        L.vend[v] = L.l.end[v];
        L.vslot[v] = -1;
        L.aggof[v] = -1;
        if (L.vstart[v] >= 0 && gr_type_is_vector(p->values[v].type)) {
            L.pl->nvecvals++;
        }
    }
    TRY(classes_block(&L, &p->top, &pos));
    for (v = 0; v < L.nv; v++) {
        L.cstart[v] = INT32_MAX;
        L.cend[v] = -1;
    }
    for (v = 0; v < L.nv; v++) {
        int32_t r = find(&L, v);
        if (L.vstart[v] < 0) {
            continue;
        }
        if (L.vstart[v] < L.cstart[r]) {
            L.cstart[r] = L.vstart[v];
        }
        if (L.vend[v] > L.cend[r]) {
            L.cend[r] = L.vend[v];
        }
    }
    TRY(copy_params(&L));
    pos = 0;
    TRY(lower_block(&L, &p->top, &pos));
    if (L.pl->nret == 0 && (L.pl->ninst == 0 || L.pl->inst[L.pl->ninst - 1].op != GR_P_RETURN)) {
        rc = gr_err(err, GR_ERR_INVALID, "plan: the program does not end in return");
        goto fail;
    }
    TRY(assign_registers(&L));
    TRY(finish_kernels(&L));
    TRY(join_prelude(&L));
    TRY(gr_plan_sparse_epilogues(L.pl, err));
    L.pl->nscalars = L.pl->nslots;
    for (v = 0; v < L.pl->ninst; v++) { /* scalar EW: absent operands read zero */
        gr_pinst *pi = &L.pl->inst[v];
        int j;
        for (j = pi->nargs; pi->op == GR_P_EW && pi->scalar && j < 3; j++) {
            pi->a[j] = L.pl->nslots;
        }
    }
    *out = L.pl;
    L.pl = NULL;
    rc = GR_OK;
fail:
    gr_plan_free(&L.pl);
    lw_release(&L);
    return rc;
}

/* ---- copies ------------------------------------------------------------------------------------------ */

/* A copy of n elements of size sz (NULL for none); 0 on OOM. */
static int dup_arr(void **dst, const void *src, size_t n, size_t sz)
{
    *dst = NULL;
    if (!src || n == 0) {
        return 1;
    }
    if (!(*dst = gr_malloc(n * sz))) {
        return 0;
    }
    memcpy(*dst, src, n * sz);
    return 1;
}

/* See plan_internal.h. */
int gr_plan_copy(const gr_plan *plan, gr_plan **out, gr_error *err)
{
    gr_plan *c;
    int32_t i;
    int ok = 1;

    *out = NULL;
    if (!plan) {
        return gr_err(err, GR_ERR_INVALID, "gr_plan_copy: plan is NULL");
    }
    if (!(c = gr_calloc(1, sizeof *c))) {
        return gr_err_nomem(err, "copying a plan");
    }
    *c = *plan;
    c->spare = NULL; /* the buffers stay the original's */
    c->name = NULL;
    c->inst = NULL;
    c->slots = NULL;
    c->loops = NULL;
    c->kers = NULL;
    c->aggs = NULL;
    c->ret = NULL;
    c->ret_names = NULL;
    c->ptype = NULL;
    c->pf = NULL;
    c->pi = NULL;
    c->nslots = c->nloops = c->nkers = c->nret = 0;
    ok = (c->name = gr_strdup(plan->name)) != NULL &&
         dup_arr((void **)&c->inst, plan->inst, (size_t)plan->ninst, sizeof *c->inst) &&
         dup_arr((void **)&c->aggs, plan->aggs, (size_t)plan->naggs, sizeof *c->aggs) &&
         dup_arr((void **)&c->ret, plan->ret, (size_t)plan->nret, sizeof *c->ret) &&
         dup_arr((void **)&c->ptype, plan->ptype, (size_t)plan->nparams, sizeof *c->ptype) &&
         dup_arr((void **)&c->pf, plan->pf, (size_t)plan->nparams, sizeof *c->pf) &&
         dup_arr((void **)&c->pi, plan->pi, (size_t)plan->nparams, sizeof *c->pi);
    if (ok && plan->nslots && (c->slots = gr_calloc((size_t)plan->nslots, sizeof *c->slots))) {
        for (i = 0; i < plan->nslots && ok; i++) {
            c->slots[i] = plan->slots[i];
            c->slots[i].name = gr_strdup(plan->slots[i].name);
            ok = c->slots[i].name != NULL;
            c->nslots = i + 1;
        }
    } else if (plan->nslots) {
        ok = 0;
    }
    if (ok && plan->nret && (c->ret_names = gr_calloc((size_t)plan->nret, sizeof *c->ret_names))) {
        c->nret = plan->nret;
        for (i = 0; i < plan->nret && ok; i++) {
            ok = (c->ret_names[i] = gr_strdup(plan->ret_names[i])) != NULL;
        }
    } else if (plan->nret) {
        ok = 0;
    }
    if (ok && plan->nloops && (c->loops = gr_calloc((size_t)plan->nloops, sizeof *c->loops))) {
        for (i = 0; i < plan->nloops && ok; i++) {
            const gr_ploop *s = &plan->loops[i];
            gr_ploop *d = &c->loops[i];
            size_t nc = (size_t)s->ncarry;
            *d = *s;
            d->inner = d->next = d->shadow = NULL;
            d->carry = NULL;
            c->nloops = i + 1;
            ok = dup_arr((void **)&d->inner, s->inner, nc, sizeof *d->inner) &&
                 dup_arr((void **)&d->next, s->next, nc, sizeof *d->next) &&
                 dup_arr((void **)&d->carry, s->carry, nc, sizeof *d->carry) &&
                 dup_arr((void **)&d->shadow, s->shadow, nc, sizeof *d->shadow);
        }
    } else if (plan->nloops) {
        ok = 0;
    }
    if (ok && plan->nkers && (c->kers = gr_calloc((size_t)plan->nkers, sizeof *c->kers))) {
        for (i = 0; i < plan->nkers && ok; i++) {
            const gr_pker *s = &plan->kers[i];
            gr_pker *d = &c->kers[i];
            *d = *s;
            d->lanes = NULL;
            d->ops = NULL;
            d->out = NULL;
            c->nkers = i + 1;
            ok = dup_arr((void **)&d->lanes, s->lanes, (size_t)s->nlanes, sizeof *d->lanes) &&
                 dup_arr((void **)&d->ops, s->ops, (size_t)s->nops, sizeof *d->ops) &&
                 dup_arr((void **)&d->out, s->out, (size_t)s->nout, sizeof *d->out);
        }
    } else if (plan->nkers) {
        ok = 0;
    }
    if (!ok) {
        gr_plan_free(&c);
        return gr_err_nomem(err, "copying a plan");
    }
    *out = c;
    return GR_OK;
}
