/*
 * check_plan.c - plans and the batched interpreter (lower.c, vm.c,
 * fused_eval.c, plan_print.c).
 *
 * Every library algorithm (gr_library_source + gr_lang_compile), lowered
 * as it is (mode batched) and fused (mode fused), runs in one
 * gr_plan_run with debug checks on, over the tu_case battery and seeded
 * random graphs (uniform and skewed, directed and symmetrized, weighted or
 * not), and must give step mode's results bit for bit (NaN equal to NaN),
 * with its names, types and iteration count, and native's within 1e-9.
 * Thread counts 1 and 2 give identical bits.  Random programs (progen)
 * check every op, loop shape and kernel kind the same way.  Then: a
 * corrupted plan is caught by debug mode; the printed plans match
 * tests/golden/plan/NAME.plan (PageRank, the IR goldens every_op, loops,
 * fused and sparse, sssp and wcc at -O2; GR_GOLDEN_UPDATE=1 rewrites
 * them); every plan op has its doc
 * block and case in vm.c and a golden using it; registers are fewer than
 * vector values; loops allocate nothing (50 iterations allocate as much
 * as 5); every allocation failure is a clean GR_ERR_NOMEM without leak
 * (valgrind: CK_FORK=no); edge kernels (messages using the weight freely)
 * match a reference; the push and pull aggregation kernels agree, and so
 * do a pull of a bool x packed into bits, rows under a mask handed over
 * in pieces, and the listed push (its bytes, and its list exactly the true
 * receivers) with 1 and 2 threads, senders scanned or listed.
 *
 * Fused programs come from gr_optimize -O2 (GR_PLAN_TEST_OPTIMIZE=0 leaves
 * them out) and from a small independent fuser below (mf_*), which also
 * makes the constructs -O2 does not (masked aggregations of every monoid,
 * folds of every kind, aggregations fused with weight messages) on random
 * programs.
 */
#include "config.h"
#include "testutil.h"

#include <limits.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "engine/exec/plan_internal.h"
#include "engine/ir/ir.h"
#include "progen.h"

#ifndef GR_PLAN_TEST_OPTIMIZE
#define GR_PLAN_TEST_OPTIMIZE 1
#endif

#define NRANDOM 8        /* seeded random graphs per algorithm */
#define NPROGRAMS 120    /* random programs */
#define GOLDEN_PLAN GR_SRCDIR "/tests/golden/plan"

/* ---- a test-only fuser ---------------------------------------------------------------------
 *
 * Until the optimizer's fusion passes land, fused programs for these tests
 * are made here, straight through ir.h:
 *  - element-wise chains (every value but the root used once, by the
 *    chain) become FUSED kernels placed right after their last input's
 *    definition; reductions of a kernel's root become its folds;
 *  - an aggregation whose x is a kernel's only (map) output becomes an
 *    AGG_FUSED (x + w / x * w added to the body for weight messages);
 *  - a kernel right after the aggregation it reads becomes its epilogue;
 *  - a loop watching a vector gets an explicit test: a fold of the
 *    distance (converged) or of "changed" (unchanged), added to the kernel
 *    that computes the next value when there is one;
 *  - mf_mask gives aggregations a receiver mask (node_index mod 3 != 0).
 * Step mode runs the result as the reference.
 */

typedef struct mf {
    gr_program *p;
    int32_t cap;             /* values the arrays hold */
    int32_t *nuses;          /* [cap] operand uses anywhere */
    const gr_block **ublk;   /* [cap] block of the last direct use */
    int32_t *uidx;           /* [cap] its index there */
    const gr_block **dblk;   /* [cap] defining block (direct results) */
    int32_t *didx;           /* [cap] defining index */
} mf;

static void *mf_alloc(size_t n)
{
    void *q = gr_calloc(n ? n : 1, 1);
    ck_assert_ptr_nonnull(q);
    return q;
}

static gr_vid mf_val(gr_program *p, gr_type t)
{
    gr_vid v = gr_ir_new_value(p, t);
    ck_assert_int_ge(v, 0);
    return v;
}

static void mf_scan(mf *F, const gr_block *b)
{
    int32_t i, k;
    for (i = 0; i < b->n; i++) {
        const gr_inst *in = &b->insts[i];
        for (k = 0; k < in->nargs; k++) {
            gr_vid v = in->args[k];
            if (v >= 0 && v < F->cap) {
                F->nuses[v]++;
                F->ublk[v] = b;
                F->uidx[v] = i;
            }
        }
        if (in->result >= 0 && in->result < F->cap) {
            F->dblk[in->result] = b;
            F->didx[in->result] = i;
        }
        for (k = 0; in->body && in->results && k < in->ncarry; k++) {
            F->dblk[in->results[k]] = b; /* a loop's or kernel's results */
            F->didx[in->results[k]] = i;
        }
        if (in->body) {
            mf_scan(F, in->body);
        }
    }
}

static void mf_release(mf *F)
{
    gr_free(F->nuses);
    gr_free(F->ublk);
    gr_free(F->uidx);
    gr_free(F->dblk);
    gr_free(F->didx);
    F->nuses = NULL;
    F->ublk = NULL;
    F->uidx = NULL;
    F->dblk = NULL;
    F->didx = NULL;
}

static void mf_analyze(mf *F)
{
    size_t n = (size_t)F->p->nvalues;
    mf_release(F);
    F->cap = (int32_t)n;
    F->nuses = mf_alloc(n * sizeof *F->nuses);
    F->ublk = mf_alloc(n * sizeof *F->ublk);
    F->uidx = mf_alloc(n * sizeof *F->uidx);
    F->dblk = mf_alloc(n * sizeof *F->dblk);
    F->didx = mf_alloc(n * sizeof *F->didx);
    mf_scan(F, &F->p->top);
}

static void mf_fix_parents(gr_block *b)
{
    int32_t i;
    for (i = 0; i < b->n; i++) {
        if (b->insts[i].body) {
            b->insts[i].body->parent = &b->insts[i];
        }
    }
}

static int red_fold(int op)
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

/* A new instruction op(a, b) of type t appended to the array *arr. */
static gr_vid mf_push(gr_program *p, gr_inst *arr, int32_t *n, gr_opcode op, gr_type t, gr_vid a,
                      gr_vid b)
{
    gr_inst *d = &arr[(*n)++];
    memset(d, 0, sizeof *d);
    d->op = op;
    d->nargs = b >= 0 ? 2 : 1;
    d->args = mf_alloc(2 * sizeof *d->args);
    d->args[0] = a;
    d->args[1] = b;
    d->result = mf_val(p, t);
    return d->result;
}

/* A kernel being made from members of one block. */
typedef struct mk {
    int32_t anchor;          /* emit after this index of the block (-1: first) */
    int32_t root;            /* index of the root member */
    gr_vid *in, *lane;       /* external inputs and their lanes */
    int32_t nin;
    gr_vid *res, *yv;        /* outputs and the body values they yield */
    uint8_t *fold;
    int32_t nout;
    gr_inst *body;           /* body instructions, the yield not included */
    int32_t nbody;
    gr_vid *bmap;            /* [nvalues] body value of a member's result, -1 */
    int dead;                /* merged into an AGG_FUSED */
} mk;

static gr_vid mk_lane(gr_program *p, mk *K, gr_vid v)
{
    int32_t k;
    if (K->bmap[v] >= 0) {
        return K->bmap[v];
    }
    for (k = 0; k < K->nin; k++) {
        if (K->in[k] == v) {
            return K->lane[k];
        }
    }
    K->in[K->nin] = v;
    K->lane[K->nin] = mf_val(p, gr_type_elem(p->values[v].type));
    return K->lane[K->nin++];
}

static void mk_free(mk *K)
{
    gr_free(K->in);
    gr_free(K->lane);
    gr_free(K->res);
    gr_free(K->yv);
    gr_free(K->fold);
    gr_free(K->body);
    gr_free(K->bmap);
}

/* K as a FUSED instruction into *out. */
static void mk_fused(mk *K, gr_inst *out)
{
    gr_block *body = mf_alloc(sizeof *body);
    gr_inst *y;
    memset(out, 0, sizeof *out);
    body->n = body->cap = K->nbody + 1;
    body->insts = mf_alloc((size_t)body->n * sizeof *body->insts);
    memcpy(body->insts, K->body, (size_t)K->nbody * sizeof *K->body);
    y = &body->insts[K->nbody];
    y->op = GR_OP_YIELD;
    y->result = -1;
    y->nargs = K->nout;
    y->args = mf_alloc((size_t)K->nout * sizeof *y->args);
    memcpy(y->args, K->yv, (size_t)K->nout * sizeof *y->args);
    out->op = GR_OP_FUSED;
    out->result = -1;
    out->nargs = K->nin;
    out->args = mf_alloc((size_t)K->nin * sizeof *out->args);
    out->inner = mf_alloc((size_t)K->nin * sizeof *out->inner);
    memcpy(out->args, K->in, (size_t)K->nin * sizeof *K->in);
    memcpy(out->inner, K->lane, (size_t)K->nin * sizeof *K->lane);
    out->ncarry = K->nout;
    out->results = mf_alloc((size_t)K->nout * sizeof *out->results);
    out->fold = mf_alloc((size_t)K->nout);
    memcpy(out->results, K->res, (size_t)K->nout * sizeof *K->res);
    memcpy(out->fold, K->fold, (size_t)K->nout);
    out->body = body;
    K->nbody = 0;
}

/* Aggregation a (taking over its arrays) as an AGG_FUSED of K's body. */
static void mk_aggfused(gr_program *p, mk *K, gr_inst *a, gr_inst *out)
{
    gr_block *body = mf_alloc(sizeof *body);
    const int masked = a->attrs.masked != 0;
    gr_vid msg = K->yv[0], wl = mf_val(p, GR_T_F64);
    gr_inst *y;
    int32_t k;
    if (a->attrs.msg != GR_MSG_X) {
        if (p->values[msg].type != GR_T_F64) {
            msg = mf_push(p, K->body, &K->nbody, GR_OP_TO_F64, GR_T_F64, msg, -1);
        }
        msg = mf_push(p, K->body, &K->nbody, a->attrs.msg == GR_MSG_ADD_W ? GR_OP_ADD : GR_OP_MUL,
                      GR_T_F64, msg, wl);
    }
    body->n = body->cap = K->nbody + 1;
    body->insts = mf_alloc((size_t)body->n * sizeof *body->insts);
    memcpy(body->insts, K->body, (size_t)K->nbody * sizeof *K->body);
    y = &body->insts[K->nbody];
    y->op = GR_OP_YIELD;
    y->result = -1;
    y->nargs = 1;
    y->args = mf_alloc(sizeof *y->args);
    y->args[0] = msg;
    *out = *a;
    out->op = GR_OP_AGG_FUSED;
    out->attrs.msg = GR_MSG_X;
    out->nargs = K->nin + masked;
    out->args = mf_alloc((size_t)out->nargs * sizeof *out->args);
    out->inner = mf_alloc((size_t)(out->nargs + 1) * sizeof *out->inner);
    for (k = 0; k < K->nin; k++) {
        out->args[k] = K->in[k];
        out->inner[k] = K->lane[k];
    }
    if (masked) {
        out->args[K->nin] = a->args[a->nargs - 1];
        out->inner[K->nin] = mf_val(p, GR_T_BOOL);
    }
    out->inner[out->nargs] = wl;
    out->body = body;
    gr_free(a->args);
    a->args = NULL;
    K->nbody = 0;
}


/* The explicit test of loop L (its body already fused). */
static void mf_explicit(gr_program *p, gr_inst *L)
{
    gr_block *bd = L->body;
    gr_inst *y = &bd->insts[bd->n - 1];
    const int test = L->attrs.test, conv = L->attrs.loop == GR_LOOP_CONVERGED;
    gr_vid nv, ov, t, r, la = -1, lb = -1, a, b2;
    gr_type et;
    gr_inst *host = NULL, ops[8];
    int32_t i, k, nops = 0;

    if (L->attrs.loop == GR_LOOP_REPEAT || L->attrs.explicit_test || y->nargs != L->ncarry) {
        return;
    }
    nv = y->args[test];
    ov = L->inner[test];
    if (!gr_type_is_vector(p->values[nv].type) || nv == ov) {
        return;
    }
    et = gr_type_elem(p->values[nv].type);
    for (i = 0; i + 1 < bd->n; i++) { /* the kernel mapping the next value */
        gr_inst *in = &bd->insts[i];
        for (k = 0; in->op == GR_OP_FUSED && k < in->ncarry; k++) {
            if (in->results[k] == nv && in->fold[k] == GR_FOLD_MAP) {
                host = in;
            }
        }
    }
    if (host) {
        gr_inst *hy = &host->body->insts[host->body->n - 1];
        for (k = 0; k < host->ncarry; k++) {
            if (host->results[k] == nv) {
                la = hy->args[k];
            }
        }
        for (k = 0; k < host->nargs; k++) {
            if (host->args[k] == ov) {
                lb = host->inner[k];
            }
        }
        if (lb < 0) {
            host->args = gr_realloc(host->args, (size_t)(host->nargs + 1) * sizeof(gr_vid));
            host->inner = gr_realloc(host->inner, (size_t)(host->nargs + 1) * sizeof(gr_vid));
            host->args[host->nargs] = ov;
            lb = host->inner[host->nargs] = mf_val(p, et);
            host->nargs++;
        }
    } else {
        la = mf_val(p, et);
        lb = mf_val(p, et);
    }
    a = la;
    b2 = lb;
    if (conv) {
        if (et != GR_T_F64) {
            a = mf_push(p, ops, &nops, GR_OP_TO_F64, GR_T_F64, a, -1);
            b2 = mf_push(p, ops, &nops, GR_OP_TO_F64, GR_T_F64, b2, -1);
        }
        t = mf_push(p, ops, &nops, GR_OP_SUB, GR_T_F64, a, b2);
        t = mf_push(p, ops, &nops, GR_OP_ABS, GR_T_F64, t, -1);
    } else if (et == GR_T_F64) {
        gr_vid c1 = mf_push(p, ops, &nops, GR_OP_NE, GR_T_BOOL, a, b2);
        gr_vid c2 = mf_push(p, ops, &nops, GR_OP_NE, GR_T_BOOL, a, a);
        gr_vid c3 = mf_push(p, ops, &nops, GR_OP_NE, GR_T_BOOL, b2, b2);
        gr_vid c4 = mf_push(p, ops, &nops, GR_OP_AND, GR_T_BOOL, c2, c3);
        gr_vid c5 = mf_push(p, ops, &nops, GR_OP_NOT, GR_T_BOOL, c4, -1);
        t = mf_push(p, ops, &nops, GR_OP_AND, GR_T_BOOL, c1, c5);
    } else if (et == GR_T_I64) {
        t = mf_push(p, ops, &nops, GR_OP_NE, GR_T_BOOL, a, b2);
    } else {
        gr_vid c1 = mf_push(p, ops, &nops, GR_OP_NOT, GR_T_BOOL, b2, -1);
        gr_vid c2 = mf_push(p, ops, &nops, GR_OP_AND, GR_T_BOOL, a, c1);
        gr_vid c3 = mf_push(p, ops, &nops, GR_OP_NOT, GR_T_BOOL, a, -1);
        gr_vid c4 = mf_push(p, ops, &nops, GR_OP_AND, GR_T_BOOL, c3, b2);
        t = mf_push(p, ops, &nops, GR_OP_OR, GR_T_BOOL, c2, c4);
    }
    r = mf_val(p, conv ? GR_T_F64 : GR_T_BOOL);
    if (host) { /* the ops before the host's yield, one more output */
        gr_block *hb = host->body;
        gr_inst hyield = hb->insts[hb->n - 1];
        hb->insts = gr_realloc(hb->insts, (size_t)(hb->n + nops) * sizeof *hb->insts);
        memcpy(&hb->insts[hb->n - 1], ops, (size_t)nops * sizeof *ops);
        hb->n += nops;
        hb->cap = hb->n;
        hyield.args = gr_realloc(hyield.args, (size_t)(hyield.nargs + 1) * sizeof(gr_vid));
        hyield.args[hyield.nargs++] = t;
        hb->insts[hb->n - 1] = hyield;
        host->results = gr_realloc(host->results, (size_t)(host->ncarry + 1) * sizeof(gr_vid));
        host->fold = gr_realloc(host->fold, (size_t)(host->ncarry + 1));
        host->results[host->ncarry] = r;
        host->fold[host->ncarry] = conv ? GR_FOLD_SUM : GR_FOLD_ANY;
        host->ncarry++;
    } else { /* a kernel of its own, before the yield */
        mk K;
        gr_inst kin, *arr;
        memset(&K, 0, sizeof K);
        K.in = mf_alloc(2 * sizeof *K.in);
        K.lane = mf_alloc(2 * sizeof *K.lane);
        K.res = mf_alloc(sizeof *K.res);
        K.yv = mf_alloc(sizeof *K.yv);
        K.fold = mf_alloc(1);
        K.body = mf_alloc(8 * sizeof *K.body);
        K.in[0] = nv;
        K.in[1] = ov;
        K.lane[0] = la;
        K.lane[1] = lb;
        K.nin = 2;
        memcpy(K.body, ops, (size_t)nops * sizeof *ops);
        K.nbody = nops;
        K.res[0] = r;
        K.yv[0] = t;
        K.fold[0] = (uint8_t)(conv ? GR_FOLD_SUM : GR_FOLD_ANY);
        K.nout = 1;
        mk_fused(&K, &kin);
        mk_free(&K);
        arr = mf_alloc((size_t)(bd->n + 1) * sizeof *arr);
        memcpy(arr, bd->insts, (size_t)(bd->n - 1) * sizeof *arr);
        arr[bd->n - 1] = kin;
        arr[bd->n] = bd->insts[bd->n - 1];
        gr_free(bd->insts);
        bd->insts = arr;
        bd->n = bd->cap = bd->n + 1;
    }
    mf_fix_parents(bd);
    y = &bd->insts[bd->n - 1];
    y->args = gr_realloc(y->args, (size_t)(y->nargs + 1) * sizeof(gr_vid));
    y->args[y->nargs++] = r;
    L->attrs.explicit_test = 1;
}

/* Pass 1: element-wise chains of block b (loop bodies first) into FUSED
 * kernels with the folds of their root's reductions. */
static void mf_chains(mf *F, gr_block *b)
{
    gr_program *p = F->p;
    int32_t n = b->n, i, j, k, nk = 0, nn = 0, nv;
    int32_t *grp;
    gr_vid *rvs;
    uint8_t *drop;
    gr_inst *nw;
    mk *K;

    for (i = 0; i < n; i++) {
        if (b->insts[i].op == GR_OP_LOOP) {
            mf_chains(F, b->insts[i].body);
        }
    }
    mf_analyze(F);
    nv = p->nvalues;
    grp = mf_alloc((size_t)n * sizeof *grp);
    rvs = mf_alloc((size_t)n * sizeof *rvs);
    drop = mf_alloc((size_t)n + 1);
    K = mf_alloc((size_t)(n + 1) * sizeof *K);
    for (i = n - 1; i >= 0; i--) {
        const gr_inst *in = &b->insts[i];
        const int ew = (gr_op_info(in->op)->flags & GR_F_EW) != 0;
        gr_vid r = in->result;
        grp[i] = -1;
        if (!(ew || in->op == GR_OP_CONST) || r < 0) {
            continue;
        }
        if (F->nuses[r] == 1 && F->ublk[r] == b && F->uidx[r] > i && grp[F->uidx[r]] >= 0) {
            grp[i] = grp[F->uidx[r]];
        } else if (ew && gr_type_is_vector(p->values[r].type)) {
            grp[i] = i;
        }
    }
    for (i = 0; i < n; i++) {
        mk *M;
        if (grp[i] != i) {
            continue;
        }
        M = &K[nk++];
        M->root = i;
        M->anchor = -1;
        M->in = mf_alloc((size_t)(3 * n + 4) * sizeof *M->in);
        M->lane = mf_alloc((size_t)(3 * n + 4) * sizeof *M->lane);
        M->res = mf_alloc((size_t)(n + 4) * sizeof *M->res);
        M->yv = mf_alloc((size_t)(n + 4) * sizeof *M->yv);
        M->fold = mf_alloc((size_t)(n + 4));
        M->body = mf_alloc((size_t)(n + 16) * sizeof *M->body);
        M->bmap = mf_alloc((size_t)(nv + 1) * sizeof *M->bmap);
        for (j = 0; j < nv; j++) {
            M->bmap[j] = -1;
        }
        rvs[nk - 1] = b->insts[i].result;
        for (j = 0; j <= i; j++) {
            gr_inst *in = &b->insts[j];
            if (grp[j] != i) {
                continue;
            }
            for (k = 0; k < in->nargs; k++) {
                gr_vid a = in->args[k];
                if (M->bmap[a] >= 0) {
                    in->args[k] = M->bmap[a];
                    continue;
                }
                if (F->dblk[a] == b && F->didx[a] > M->anchor) {
                    M->anchor = F->didx[a];
                }
                in->args[k] = mk_lane(p, M, a);
            }
            M->bmap[in->result] = mf_val(p, gr_type_elem(p->values[in->result].type));
            M->body[M->nbody] = *in;
            M->body[M->nbody++].result = M->bmap[in->result];
            memset(in, 0, sizeof *in);
            in->op = GR_OP_PRINT; /* a tombstone */
            in->result = -1;
            drop[j] = 1;
        }
    }
    for (k = 0; k < nk; k++) {
        mk *M = &K[k];
        gr_vid rv = rvs[k], yr = M->bmap[rv];
        for (j = 0; j < n; j++) {
            gr_inst *in = &b->insts[j];
            int fk = red_fold(in->op);
            if (!drop[j] && fk >= 0 && in->nargs == 1 && in->args[0] == rv && in->result >= 0) {
                M->res[M->nout] = in->result;
                M->fold[M->nout] = (uint8_t)fk;
                M->yv[M->nout] = yr;
                M->nout++;
                gr_free(in->args);
                in->args = NULL;
                drop[j] = 1;
            }
        }
        if (F->nuses[rv] > M->nout || M->nout == 0) {
            M->res[M->nout] = rv;
            M->fold[M->nout] = GR_FOLD_MAP;
            M->yv[M->nout] = yr;
            M->nout++;
        }
    }
    nw = mf_alloc((size_t)(2 * n + 4) * sizeof *nw);
    for (k = 0; k < nk; k++) {
        if (K[k].anchor < 0) {
            mk_fused(&K[k], &nw[nn++]);
        }
    }
    for (i = 0; i < n; i++) {
        if (!drop[i]) {
            nw[nn++] = b->insts[i];
        }
        for (k = 0; k < nk; k++) {
            if (K[k].anchor == i) {
                mk_fused(&K[k], &nw[nn++]);
            }
        }
    }
    for (k = 0; k < nk; k++) {
        mk_free(&K[k]);
    }
    gr_free(b->insts);
    b->insts = nw;
    b->n = b->cap = nn;
    mf_fix_parents(b);
    gr_free(grp);
    gr_free(rvs);
    gr_free(drop);
    gr_free(K);
}

/* Pass 2: an AGG whose x is the only output (a map) of a FUSED of the same
 * block, x used nowhere else, becomes an AGG_FUSED of that kernel's body. */
static void mf_aggfuse(mf *F, gr_block *b)
{
    gr_program *p = F->p;
    int32_t i, j, k;
    for (i = 0; i < b->n; i++) {
        if (b->insts[i].op == GR_OP_LOOP) {
            mf_aggfuse(F, b->insts[i].body);
        }
    }
    mf_analyze(F);
    for (i = 0; i < b->n; i++) {
        gr_inst *a = &b->insts[i];
        if (a->op != GR_OP_AGG || a->attrs.msg == GR_MSG_W || F->nuses[a->args[0]] != 1) {
            continue;
        }
        for (j = 0; j < i; j++) {
            gr_inst *f = &b->insts[j];
            if (f->op == GR_OP_FUSED && f->ncarry == 1 && f->fold[0] == GR_FOLD_MAP &&
                f->results[0] == a->args[0]) {
                mk K;
                gr_inst out;
                gr_block *fb = f->body;
                memset(&K, 0, sizeof K);
                K.nin = f->nargs;
                K.in = f->args;
                K.lane = f->inner;
                K.body = mf_alloc((size_t)(fb->n + 4) * sizeof *K.body);
                memcpy(K.body, fb->insts, (size_t)(fb->n - 1) * sizeof *K.body);
                K.nbody = fb->n - 1;
                K.yv = fb->insts[fb->n - 1].args;
                mk_aggfused(p, &K, a, &out);
                *a = out;
                gr_free(K.body);
                gr_free(K.yv);
                gr_free(f->args);
                gr_free(f->inner);
                gr_free(f->results);
                gr_free(f->fold);
                gr_free(fb->insts);
                gr_free(fb);
                for (k = j; k + 1 < b->n; k++) {
                    b->insts[k] = b->insts[k + 1];
                }
                b->n--;
                i--;
                mf_fix_parents(b);
                mf_analyze(F);
                break;
            }
        }
    }
}

/* Pass 3: a FUSED right after an aggregation it reads is its epilogue. */
static void mf_epilogues(gr_block *b)
{
    int32_t i, k;
    for (i = 0; i < b->n; i++) {
        gr_inst *a = &b->insts[i];
        if (a->body && a->op == GR_OP_LOOP) {
            mf_epilogues(a->body);
        }
        if ((a->op == GR_OP_AGG || a->op == GR_OP_AGG_FUSED) && i + 1 < b->n &&
            b->insts[i + 1].op == GR_OP_FUSED) {
            for (k = 0; k < b->insts[i + 1].nargs; k++) {
                if (b->insts[i + 1].args[k] == a->result) {
                    b->insts[i + 1].attrs.epilogue = 1;
                }
            }
        }
    }
}

/* Pass 4: explicit tests for every loop watching a vector. */
static void mf_tests(gr_program *p, gr_block *b)
{
    int32_t i;
    for (i = 0; i < b->n; i++) {
        if (b->insts[i].op == GR_OP_LOOP) {
            mf_tests(p, b->insts[i].body);
            mf_explicit(p, &b->insts[i]);
        }
    }
}

/* Masks: every aggregation (chosen by seed) gets the receiver mask
 * node_index() mod 3 != 0, made right before it. */
static void mf_mask(gr_program *p, gr_block *b, uint64_t *seed, int all)
{
    int32_t i, nn = 0;
    gr_inst *nw = mf_alloc((size_t)(6 * b->n + 4) * sizeof *nw);
    for (i = 0; i < b->n; i++) {
        gr_inst *in = &b->insts[i];
        if (in->op == GR_OP_LOOP) {
            mf_mask(p, in->body, seed, all);
        }
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        if (in->op == GR_OP_AGG && !in->attrs.masked && (all || ((*seed >> 33) & 1)) &&
            (in->attrs.monoid == GR_MON_ANY || p->values[in->result].type != GR_T_MASK)) {
            gr_vid ni, c3, md, c0, m;
            gr_inst *d;
            d = &nw[nn++];
            memset(d, 0, sizeof *d);
            d->op = GR_OP_NODE_INDEX;
            d->result = ni = mf_val(p, GR_T_I64V);
            d = &nw[nn++];
            memset(d, 0, sizeof *d);
            d->op = GR_OP_CONST;
            d->attrs.i = 3;
            d->result = c3 = mf_val(p, GR_T_I64);
            md = mf_push(p, nw, &nn, GR_OP_MOD, GR_T_I64V, ni, c3);
            d = &nw[nn++];
            memset(d, 0, sizeof *d);
            d->op = GR_OP_CONST;
            d->result = c0 = mf_val(p, GR_T_I64);
            m = mf_push(p, nw, &nn, GR_OP_NE, GR_T_MASK, md, c0);
            in->args = gr_realloc(in->args, 2 * sizeof *in->args);
            in->args[1] = m;
            in->nargs = 2;
            in->attrs.masked = 1;
        }
        nw[nn++] = *in;
    }
    gr_free(b->insts);
    b->insts = nw;
    b->n = b->cap = nn;
    mf_fix_parents(b);
}

/* Fuse p in place (what the fusion passes would do, give or take). */
static void mf_fuse(gr_program *p)
{
    mf F;
    memset(&F, 0, sizeof F);
    F.p = p;
    mf_chains(&F, &p->top);
    mf_aggfuse(&F, &p->top);
    mf_epilogues(&p->top);
    mf_tests(p, &p->top);
    mf_release(&F);
}

/* ---- helpers ------------------------------------------------------------------------------- */

/* src (named file in messages) compiled; the test aborts with the
 * diagnostics when it does not compile. */
static gr_program *compile_src(const char *src, const char *file)
{
    gr_program *p = NULL;
    gr_diags d = {0, NULL};
    gr_error e;
    gr_error_clear(&e);
    if (gr_lang_compile(src, strlen(src), file, &p, &d, &e) != GR_OK) {
        ck_abort_msg("%s does not compile: %s", file, d.text ? d.text : e.msg);
    }
    gr_diags_release(&d);
    return p;
}

static gr_program *compile_lib(const char *name)
{
    const char *src = gr_library_source(name);
    char file[64];
    ck_assert_msg(src != NULL, "no source for %s", name);
    snprintf(file, sizeof file, "%s.grl", name);
    return compile_src(src, file);
}

/* p at -O2 (gr_optimize); p is consumed. */
static gr_program *optimize_o2(gr_program *p)
{
    gr_program *q = NULL;
    gr_passopts o;
    gr_error e;
    char buf[600];
    memset(&o, 0, sizeof o);
    o.level = 2;
    gr_error_clear(&e);
    ck_assert_msg(gr_optimize(p, &o, &q, &e) == GR_OK, "-O2: %s",
                  gr_error_format(&e, buf, sizeof buf));
    gr_program_free(&p);
    return q;
}

/* The program of `name` in a mode: 0 as compiled, 1 fused by mf_fuse,
 * 2 masked and fused, 3 gr_optimize -O2. */
static gr_program *program_in(const char *name, int mode)
{
    gr_program *p = compile_lib(name);
#if GR_PLAN_TEST_OPTIMIZE
    if (mode == 3) {
        return optimize_o2(p);
    }
#endif
    if (mode == 2) {
        uint64_t seed = 7;
        mf_mask(p, &p->top, &seed, 0);
    }
    if (mode >= 1) {
        mf_fuse(p);
    }
    return p;
}

static int param_index(const gr_program *p, const char *name)
{
    int i, n = gr_program_nparams(p);
    for (i = 0; i < n; i++) {
        const char *pn;
        gr_program_param(p, i, &pn, NULL, NULL, NULL);
        if (strcmp(pn, name) == 0) {
            return i;
        }
    }
    ck_abort_msg("%s has no parameter %s", gr_program_name(p), name);
    return -1;
}

/* The native twin of p with ps's values; *iters -1 when it reports none. */
static void run_native(const gr_graph *g, const gr_program *p, const gr_params *ps, double *f,
                       int64_t *iv, int *is_f64, int64_t *iters)
{
    const char *name = gr_program_name(p);
    char buf[600];
    gr_error e;
    int rc;
    gr_error_clear(&e);
    *iters = -1;
    *is_f64 = 0;
    if (strcmp(name, "pagerank") == 0) {
        *is_f64 = 1;
        rc = gr_native_pagerank(g, GR_NATIVE, gr_params_f64(ps, param_index(p, "damping")),
                                gr_params_f64(ps, param_index(p, "tol")),
                                gr_params_i64(ps, param_index(p, "max_iter")), f, iters, &e);
    } else if (strcmp(name, "lpa") == 0) {
        rc = gr_native_lpa(g, GR_NATIVE, gr_params_i64(ps, param_index(p, "max_iter")), iv,
                           iters, &e);
    } else if (strcmp(name, "wcc") == 0) {
        rc = gr_native_wcc(g, GR_NATIVE, iv, iters, &e);
    } else if (strcmp(name, "bfs") == 0) {
        rc = gr_native_bfs(g, GR_NATIVE, gr_params_i64(ps, param_index(p, "source")), iv, iters,
                           &e);
    } else if (strcmp(name, "sssp") == 0) {
        *is_f64 = 1;
        rc = gr_native_sssp(g, GR_NATIVE, gr_params_i64(ps, param_index(p, "source")), f, iters,
                            &e);
    } else if (strcmp(name, "degree") == 0) {
        *is_f64 = 1;
        rc = gr_native_degree(g, GR_NATIVE, f, &e);
    } else {
        ck_abort_msg("algorithm %s has no native twin in this test", name);
        return;
    }
    ck_assert_msg(rc == GR_OK, "native %s: %s", name, gr_error_format(&e, buf, sizeof buf));
}

static int close_enough(double a, double b)
{
    if (isnan(a) || isnan(b)) {
        return isnan(a) && isnan(b);
    }
    if (a == b) {
        return 1;
    }
    return fabs(a - b) <= 1e-9 * (fabs(b) > 1.0 ? fabs(b) : 1.0);
}

/* Whether a and b are the same results bit for bit (NaNs equal), with the
 * same names, types and iterations; why says where they differ. */
static int same_results(const gr_result *a, const gr_result *b, char *why, size_t len)
{
    int k;
    size_t i;
    if (a->nout != b->nout || a->iters != b->iters) {
        snprintf(why, len, "%d outputs and %lld iterations vs %d and %lld", a->nout,
                 (long long)a->iters, b->nout, (long long)b->iters);
        return 0;
    }
    for (k = 0; k < a->nout; k++) {
        const gr_output *x = &a->out[k], *y = &b->out[k];
        if (x->type != y->type || x->len != y->len || strcmp(x->name, y->name) != 0) {
            snprintf(why, len, "output %d: %s %s[%zu] vs %s %s[%zu]", k, x->name,
                     gr_type_name(x->type), x->len, y->name, gr_type_name(y->type), y->len);
            return 0;
        }
        for (i = 0; i < x->len; i++) {
            if (x->f64) {
                double u = x->f64[i], v = y->f64[i];
                if (memcmp(&u, &v, sizeof u) != 0 && !(isnan(u) && isnan(v))) {
                    snprintf(why, len, "output %s[%zu]: %.17g vs %.17g", x->name, i, u, v);
                    return 0;
                }
            } else if (x->i64[i] != y->i64[i]) {
                snprintf(why, len, "output %s[%zu]: %lld vs %lld", x->name, i,
                         (long long)x->i64[i], (long long)y->i64[i]);
                return 0;
            }
        }
    }
    return 1;
}

/* Step mode on g; GR_OK or its status (err filled). */
static int run_step(const gr_graph *g, const gr_program *p, const gr_params *ps,
                    gr_result *res, gr_error *err)
{
    gr_ctx *c = NULL;
    int rc;
    ck_assert_int_eq(gr_ctx_new(g, &c, err), GR_OK);
    rc = gr_step_run(c, p, ps, res, err);
    gr_ctx_free(&c);
    return rc;
}

/* Lower p and run it on g in debug mode. */
static int run_plan(const gr_graph *g, const gr_program *p, const gr_params *ps, gr_result *res,
                    gr_error *err)
{
    gr_plan *pl = NULL;
    int rc = gr_plan_lower(p, &pl, err);
    if (rc == GR_OK) {
        rc = gr_plan_run(pl, g, ps, 1, res, err);
    }
    gr_plan_free(&pl);
    return rc;
}

/* The plan of p on g equals step mode on p (both succeed or fail alike). */
static void plan_equals_step(const gr_graph *g, const char *gname, const gr_program *p,
                             const gr_params *ps, const char *what)
{
    gr_result rs, rp;
    gr_error es, ep;
    char why[300], b1[600], b2[600];
    int cs, cp;
    gr_error_clear(&es);
    gr_error_clear(&ep);
    cs = run_step(g, p, ps, &rs, &es);
    cp = run_plan(g, p, ps, &rp, &ep);
    ck_assert_msg(cs == cp, "%s %s on %s: step %s, plan %s", what, gr_program_name(p), gname,
                  cs ? gr_error_format(&es, b1, sizeof b1) : "ok",
                  cp ? gr_error_format(&ep, b2, sizeof b2) : "ok");
    if (cs == GR_OK) {
        ck_assert_msg(same_results(&rs, &rp, why, sizeof why), "%s %s on %s: step vs plan: %s",
                      what, gr_program_name(p), gname, why);
        gr_result_release(&rs);
        gr_result_release(&rp);
    }
}

/* Plan (debug) against step (bit for bit) and native (1e-9) on g. */
static void compare_on(const gr_graph *g, const char *gname, const gr_program *p,
                       const gr_params *ps, const char *what)
{
    gr_result rp;
    gr_error e;
    char buf[600];
    double *f = malloc(((size_t)g->n + 1) * sizeof *f);
    int64_t *iv = malloc(((size_t)g->n + 1) * sizeof *iv), iters;
    int is_f64;
    uint32_t v;

    plan_equals_step(g, gname, p, ps, what);
    run_native(g, p, ps, f, iv, &is_f64, &iters);
    gr_error_clear(&e);
    ck_assert_msg(run_plan(g, p, ps, &rp, &e) == GR_OK, "%s %s on %s: %s", what,
                  gr_program_name(p), gname, gr_error_format(&e, buf, sizeof buf));
    ck_assert_uint_eq(rp.out[0].len, g->n);
    for (v = 0; v < g->n; v++) {
        if (is_f64) {
            ck_assert_msg(close_enough(rp.out[0].f64[v], f[v]),
                          "%s %s on %s: node %u: plan %.17g, native %.17g", what,
                          gr_program_name(p), gname, v, rp.out[0].f64[v], f[v]);
        } else {
            ck_assert_msg(rp.out[0].i64[v] == iv[v], "%s %s on %s: node %u: plan %lld, native "
                          "%lld", what, gr_program_name(p), gname, v,
                          (long long)rp.out[0].i64[v], (long long)iv[v]);
        }
    }
    if (iters >= 0) {
        ck_assert_msg(rp.iters == iters, "%s %s on %s: plan ran %lld iterations, native %lld",
                      what, gr_program_name(p), gname, (long long)rp.iters, (long long)iters);
    }
    gr_result_release(&rp);
    free(f);
    free(iv);
}

/* Seeded random graph k: uniform or skewed, directed or symmetrized,
 * weighted or not. */
static gr_graph *random_case(int k, char *name, size_t len)
{
    int skew = k & 1, sym = (k >> 1) & 1, w = (k >> 2) & 1;
    uint32_t n = 300 + 97 * (uint32_t)k;
    uint64_t m = (uint64_t)n * (skew ? 6 : 4);
    unsigned flags = sym ? GR_BUILD_SYMMETRIZE : 0;
    snprintf(name, len, "%s %s %s %u/%llu seed %d", skew ? "skewed" : "uniform",
             sym ? "sym" : "directed", w ? "weighted" : "unweighted", n,
             (unsigned long long)m, 2000 + k);
    return skew ? tu_skewed_graph(n, m, 2000 + k, w, flags)
                : tu_random_graph(n, m, 2000 + k, w, flags);
}

/* Compare with the defaults and with the algorithm's other interesting
 * parameters. */
static void compare_params(const gr_graph *g, const char *gname, const gr_program *p, int native,
                           const char *what)
{
    gr_params *ps = NULL;
    gr_error e;
    const char *name = gr_program_name(p);
    gr_error_clear(&e);
    ck_assert_int_eq(gr_params_new(p, &ps, &e), GR_OK);
    if (native) {
        compare_on(g, gname, p, ps, what);
    } else {
        plan_equals_step(g, gname, p, ps, what);
    }
    if (strcmp(name, "bfs") == 0 || strcmp(name, "sssp") == 0) {
        char src[32];
        snprintf(src, sizeof src, "%lld", (long long)gr_graph_orig_id(g, g->n / 2));
        ck_assert_int_eq(gr_params_set(ps, "source", src, &e), GR_OK);
        native ? compare_on(g, gname, p, ps, what) : plan_equals_step(g, gname, p, ps, what);
    }
    if (strcmp(name, "pagerank") == 0) {
        ck_assert_int_eq(gr_params_set(ps, "damping", "0.5", &e), GR_OK);
        ck_assert_int_eq(gr_params_set(ps, "max_iter", "7", &e), GR_OK);
        native ? compare_on(g, gname, p, ps, what) : plan_equals_step(g, gname, p, ps, what);
        ck_assert_int_eq(gr_params_set(ps, "max_iter", "0", &e), GR_OK);
        native ? compare_on(g, gname, p, ps, what) : plan_equals_step(g, gname, p, ps, what);
    }
    if (strcmp(name, "lpa") == 0) {
        ck_assert_int_eq(gr_params_set(ps, "max_iter", "2", &e), GR_OK);
        native ? compare_on(g, gname, p, ps, what) : plan_equals_step(g, gname, p, ps, what);
    }
    gr_params_free(&ps);
}

static int count_names(void)
{
    const char *const *names = gr_library_names();
    int n = 0;
    while (names && names[n]) {
        n++;
    }
    return n;
}

static const char *const mode_names[] = {"batched", "fused", "masked fused", "fused -O2"};

/* Algorithm _i / 4 in mode _i % 4 on every test graph. */
START_TEST(test_library)
{
    const char *const *names = gr_library_names();
    const int alg = _i / 4, mode = _i % 4;
    gr_program *p;
    int i;
    if (alg >= count_names() || (mode == 3 && !GR_PLAN_TEST_OPTIMIZE)) {
        return;
    }
    p = program_in(names[alg], mode);
    for (i = 0;; i++) {
        const char *gname;
        gr_graph *g = tu_case(i, &gname);
        if (!g) {
            break;
        }
        compare_params(g, gname, p, mode != 2, mode_names[mode]);
        gr_graph_free(&g);
    }
    for (i = 0; i < NRANDOM; i++) {
        char gname[128];
        gr_graph *g = random_case(i, gname, sizeof gname), *h;
        compare_params(g, gname, p, mode != 2, mode_names[mode]);
        /* original ids that are not the indices (node_id() lanes read them) */
        h = tu_with_orig_ids(g);
        strncat(gname, ", ids 5u + 3", sizeof gname - strlen(gname) - 1);
        compare_params(h, gname, p, 0, mode_names[mode]); /* native: no source 0 here */
        gr_graph_free(&h);
        gr_graph_free(&g);
    }
    gr_program_free(&p);
}
END_TEST

/* One and two threads give the same bits, on graphs large enough for the
 * kernels to go parallel. */
START_TEST(test_threads)
{
    const char *const *names = gr_library_names();
    const int saved = gr_threads();
    int a, mode, i;
    for (i = 0; i < 3; i++) {
        char gname[64];
        gr_graph *g = i < 2 ? tu_case(18 + i, NULL)
                            : tu_skewed_graph(60000, 400000, 77, 1, 0);
        snprintf(gname, sizeof gname, "graph %d", i);
        for (a = 0; names[a]; a++) {
            for (mode = 0; mode < 4; mode++) {
                gr_program *p;
                gr_result r1, r2;
                gr_error e;
                char why[300], buf[600];
                if (mode == 3 && !GR_PLAN_TEST_OPTIMIZE) {
                    continue;
                }
                p = program_in(names[a], mode);
                gr_error_clear(&e);
                gr_set_threads(1);
                ck_assert_msg(run_plan(g, p, NULL, &r1, &e) == GR_OK, "%s: %s", names[a],
                              gr_error_format(&e, buf, sizeof buf));
                gr_set_threads(2);
                ck_assert_msg(run_plan(g, p, NULL, &r2, &e) == GR_OK, "%s: %s", names[a],
                              gr_error_format(&e, buf, sizeof buf));
                ck_assert_msg(same_results(&r1, &r2, why, sizeof why),
                              "%s %s on %s: 1 vs 2 threads: %s", mode_names[mode], names[a],
                              gname, why);
                gr_result_release(&r1);
                gr_result_release(&r2);
                gr_program_free(&p);
            }
        }
        gr_graph_free(&g);
    }
    gr_set_threads(saved);
}
END_TEST

/* ---- random programs ------------------------------------------------------------------------- */

static int count_ops(const gr_block *b, int op)
{
    int32_t i;
    int c = 0;
    for (i = 0; i < b->n; i++) {
        c += b->insts[i].op == op;
        if (b->insts[i].body) {
            c += count_ops(b->insts[i].body, op);
        }
    }
    return c;
}

static int count_attr(const gr_block *b, int which)
{
    int32_t i;
    int c = 0;
    for (i = 0; i < b->n; i++) {
        const gr_inst *in = &b->insts[i];
        c += which == 0 ? in->attrs.epilogue : which == 1 ? in->attrs.explicit_test
                                                          : in->attrs.masked;
        if (which == 3 && in->op == GR_OP_FUSED) {
            int32_t k;
            for (k = 0; k < in->ncarry; k++) {
                c += in->fold[k] != GR_FOLD_MAP;
            }
        }
        if (in->body) {
            c += count_attr(in->body, which);
        }
    }
    return c;
}

/* Programs _i*NPROGRAMS/4 ..: batched, fused (mf_fuse), masked fused and
 * -O2 plans equal step mode on the same program, on three battery graphs
 * (and a parallel-sized one for some). */
START_TEST(test_progen)
{
    static const int cases[] = {5, 6, 12, 18};
    int seen[5] = {0, 0, 0, 0, 0};
    gr_graph *g[4];
    progen_opts o;
    uint64_t seed, lo = (uint64_t)_i * NPROGRAMS / 4, hi = (uint64_t)(_i + 1) * NPROGRAMS / 4;
    int k, mode;
    for (k = 0; k < 4; k++) {
        g[k] = tu_case(cases[k], NULL);
    }
    progen_defaults(&o);
    for (seed = lo; seed < hi; seed++) {
        for (mode = 0; mode < 4; mode++) {
            gr_program *p = NULL;
            gr_error e;
            char buf[600], what[64];
            gr_error_clear(&e);
            ck_assert_msg(progen_build(seed, &o, &p, &e) == GR_OK, "progen %llu: %s",
                          (unsigned long long)seed, gr_error_format(&e, buf, sizeof buf));
#if GR_PLAN_TEST_OPTIMIZE
            if (mode == 3) {
                gr_passopts po;
                gr_program *q = NULL;
                memset(&po, 0, sizeof po);
                po.level = 2;
                ck_assert_msg(gr_optimize(p, &po, &q, &e) == GR_OK, "progen %llu -O2: %s",
                              (unsigned long long)seed, gr_error_format(&e, buf, sizeof buf));
                gr_program_free(&p);
                p = q;
            }
#else
            if (mode == 3) {
                gr_program_free(&p);
                continue;
            }
#endif
            if (mode == 2) {
                uint64_t s = seed;
                mf_mask(p, &p->top, &s, 0);
            }
            if (mode == 1 || mode == 2) {
                mf_fuse(p);
                seen[0] += count_ops(&p->top, GR_OP_FUSED) > 0;
                seen[1] += count_ops(&p->top, GR_OP_AGG_FUSED) > 0;
                seen[2] += count_attr(&p->top, 0) > 0;
                seen[3] += count_attr(&p->top, 1) > 0;
                seen[4] += count_attr(&p->top, 3) > 0;
            }
            snprintf(what, sizeof what, "%s progen %llu", mode_names[mode],
                     (unsigned long long)seed);
            for (k = 0; k < 4; k++) {
                if (k == 3 && seed % 8 != 0) {
                    continue;
                }
                plan_equals_step(g[k], "a test graph", p, NULL, what);
            }
            gr_program_free(&p);
        }
    }
    for (k = 0; k < 4; k++) {
        gr_graph_free(&g[k]);
    }
    /* the fuser made every kind of construct the plan evaluates */
    ck_assert_msg(seen[0] > 0 && seen[1] > 0 && seen[2] > 0 && seen[3] > 0 && seen[4] > 0,
                  "fused kernels %d, agg_fused %d, epilogues %d, explicit tests %d, folds %d",
                  seen[0], seen[1], seen[2], seen[3], seen[4]);
}
END_TEST

/* ---- debug mode ---------------------------------------------------------------------------- */

START_TEST(test_debug_catches)
{
    gr_program *p = compile_lib("pagerank");
    gr_graph *g = tu_case(11, NULL);
    gr_plan *pl = NULL, *bad = NULL;
    gr_result res;
    gr_error e;
    int32_t pc, ew = -1, later = -1, other = -1;
    gr_error_clear(&e);
    ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
    ck_assert_int_eq(gr_plan_run(pl, g, NULL, 1, &res, &e), GR_OK);
    gr_result_release(&res);
    /* an element-wise vector instruction, and a slot written only after it */
    for (pc = 0; pc < pl->ninst && ew < 0; pc++) {
        if (pl->inst[pc].op == GR_P_EW && !pl->inst[pc].scalar) {
            ew = pc;
        }
    }
    ck_assert_int_ge(ew, 0);
    for (pc = pl->ninst - 1; pc > ew && later < 0; pc--) {
        int32_t d = pl->inst[pc].dst;
        if (d >= 0 && pl->slots[d].type == pl->slots[pl->inst[ew].a[0]].type) {
            later = d;
        }
    }
    ck_assert_int_ge(later, 0);
    /* a slot read before it is written */
    ck_assert_int_eq(gr_plan_copy(pl, &bad, &e), GR_OK);
    bad->inst[ew].a[0] = later;
    gr_error_clear(&e);
    ck_assert_int_eq(gr_plan_run(bad, g, NULL, 1, &res, &e), GR_ERR_INTERNAL);
    ck_assert_msg(strstr(e.msg, "before it is written") != NULL, "%s", e.msg);
    ck_assert_ptr_null(res.out);
    gr_plan_free(&bad);
    /* a slot index out of range */
    ck_assert_int_eq(gr_plan_copy(pl, &bad, &e), GR_OK);
    bad->inst[ew].a[0] = bad->nslots + 5;
    gr_error_clear(&e);
    ck_assert_int_eq(gr_plan_run(bad, g, NULL, 1, &res, &e), GR_ERR_INTERNAL);
    ck_assert_msg(strstr(e.msg, "does not exist") != NULL, "%s", e.msg);
    gr_plan_free(&bad);
    /* a register given to two live slots: the value read was overwritten */
    ck_assert_int_eq(gr_plan_copy(pl, &bad, &e), GR_OK);
    for (pc = 0; pc < bad->nslots && other < 0; pc++) {
        int32_t s = bad->inst[ew].a[0];
        if (pc != s && gr_type_is_vector(bad->slots[pc].type) &&
            bad->slots[pc].reg != bad->slots[s].reg && bad->slots[pc].type == GR_T_F64V) {
            other = pc;
        }
    }
    ck_assert_int_ge(other, 0);
    {
        int32_t r0 = bad->slots[bad->inst[ew].a[0]].reg, s;
        for (s = 0; s < bad->nslots; s++) {
            if (gr_type_is_vector(bad->slots[s].type) && bad->slots[s].reg != r0) {
                bad->slots[s].reg = r0; /* everything in one register */
            }
        }
    }
    gr_error_clear(&e);
    ck_assert_int_eq(gr_plan_run(bad, g, NULL, 1, &res, &e), GR_ERR_INTERNAL);
    ck_assert_msg(strstr(e.msg, "overwrote") != NULL, "%s", e.msg);
    ck_assert_msg(strstr(e.msg, "instruction") != NULL, "%s", e.msg);
    gr_plan_free(&bad);
    gr_plan_free(&pl);
    gr_program_free(&p);
    gr_graph_free(&g);
}
END_TEST

/* ---- printing, registers, allocation ----------------------------------------------------- */

/* The golden plans: PageRank from the library as compiled, and the IR
 * goldens of every op, loops, fused kernels and sparse epilogues
 * (tests/golden/ir; sparse.ir: a level-synchronous search whose epilogue
 * runs on a listed push's receivers, with integer folds whose values at
 * the skipped nodes are not the identity, beside one kept dense by an f64
 * sum; the library's sssp at -O2, whose masked aggregation and
 * epilogue run on the mask's listed nodes; and the library's wcc at -O2,
 * whose first link reads both out_nbr operands from the rows). */
static const char *const golden_src[][2] = {
    {"pagerank", NULL},
    {"every_op", GR_SRCDIR "/tests/golden/ir/every_op.ir"},
    {"loops", GR_SRCDIR "/tests/golden/ir/loops.ir"},
    {"fused", GR_SRCDIR "/tests/golden/ir/fused.ir"},
    {"sssp", "-O2"},
    {"wcc", "-O2"},
    {"sparse", GR_SRCDIR "/tests/golden/ir/sparse.ir"},
};
#define NGOLDEN ((int)(sizeof golden_src / sizeof golden_src[0]))

static gr_program *golden_program(int k)
{
    gr_program *p = NULL;
    gr_error e;
    char *text, buf[600];
    if (!golden_src[k][1]) {
        return compile_lib(golden_src[k][0]);
    }
    if (strcmp(golden_src[k][1], "-O2") == 0) {
        return optimize_o2(compile_lib(golden_src[k][0]));
    }
    text = tu_slurp(golden_src[k][1], NULL);
    ck_assert_msg(text != NULL, "missing %s", golden_src[k][1]);
    gr_error_clear(&e);
    ck_assert_msg(gr_program_parse(text, golden_src[k][1], &p, &e) == GR_OK, "%s",
                  gr_error_format(&e, buf, sizeof buf));
    free(text);
    return p;
}

/* Golden plan _i: printed as tests/golden/plan/NAME.plan (GR_GOLDEN_UPDATE=1
 * rewrites it), and run as step mode runs it. */
START_TEST(test_golden)
{
    gr_program *p = golden_program(_i);
    gr_graph *g = tu_case(16, NULL);
    gr_plan *pl = NULL;
    gr_error e;
    char *text = NULL, *want, path[512];
    const char *u = getenv("GR_GOLDEN_UPDATE");
    snprintf(path, sizeof path, "%s/%s.plan", GOLDEN_PLAN, golden_src[_i][0]);
    gr_error_clear(&e);
    ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
    ck_assert_int_eq(gr_plan_print(pl, &text, &e), GR_OK);
    if (u && *u && strcmp(u, "0") != 0) {
        FILE *f = fopen(path, "wb");
        ck_assert_msg(f != NULL, "cannot write %s", path);
        fputs(text, f);
        fclose(f);
    }
    want = tu_slurp(path, NULL);
    ck_assert_msg(want != NULL, "missing %s (GR_GOLDEN_UPDATE=1 writes it)", path);
    ck_assert_msg(strcmp(text, want) == 0, "the printed plan differs from %s:\n%s", path, text);
    ck_assert_ptr_nonnull(strstr(text, "registers:"));
    free(want);
    gr_free_string(&text);
    ck_assert_int_eq(gr_plan_print(NULL, &text, &e), GR_ERR_INVALID);
    plan_equals_step(g, "skewed 1000/6000 sym weighted", p, NULL, "golden");
    gr_plan_free(&pl);
    gr_program_free(&p);
    gr_graph_free(&g);
}
END_TEST

/* The sparse golden (a listed push's epilogue run on its receivers, folds
 * adding their values at the skipped nodes, a mask kernel) gives step
 * mode's bits from every source of the battery's larger graphs, with 1
 * and 2 threads: sparse levels, dense ones and empty frontiers. */
START_TEST(test_sparse_epilogue)
{
    static const int cases[] = {8, 11, 12, 15, 16, 17, 18, 19};
    gr_program *p = golden_program(NGOLDEN - 1);
    gr_plan *pl = NULL;
    gr_params *ps = NULL;
    gr_error e;
    const int saved = gr_threads();
    int k, t, sparse = 0;
    char what[64], val[32];
    gr_error_clear(&e);
    ck_assert_str_eq(golden_src[NGOLDEN - 1][0], "sparse");
    ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
    for (k = 0; k < pl->nkers; k++) {
        sparse += pl->kers[k].sparse;
    }
    ck_assert_int_eq(sparse, 1); /* the f64 sum keeps the second loop dense */
    ck_assert_int_eq(gr_params_new(p, &ps, &e), GR_OK);
    for (k = 0; k < (int)(sizeof cases / sizeof cases[0]); k++) {
        const char *gname;
        gr_graph *g = tu_case(cases[k], &gname);
        uint32_t src;
        for (src = 0; src < g->n; src += g->n / 3 + 1) {
            snprintf(val, sizeof val, "%lld", (long long)gr_graph_orig_id(g, src));
            ck_assert_int_eq(gr_params_set(ps, "source", val, &e), GR_OK);
            for (t = 1; t <= 2; t++) {
                gr_set_threads(t);
                snprintf(what, sizeof what, "sparse (source %s, %d threads)", val, t);
                plan_equals_step(g, gname, p, ps, what);
            }
        }
        gr_graph_free(&g);
    }
    gr_set_threads(saved);
    gr_params_free(&ps);
    gr_plan_free(&pl);
    gr_program_free(&p);
}
END_TEST

/* Every plan op has its "Op:" doc block and case in vm.c and appears in
 * some golden plan (SQLite's opcode documentation rule). */
START_TEST(test_op_docs)
{
    char *vm = tu_slurp(GR_SRCDIR "/src/engine/exec/vm.c", NULL), *golden[NGOLDEN];
    int op, k;
    ck_assert_ptr_nonnull(vm);
    for (k = 0; k < NGOLDEN; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.plan", GOLDEN_PLAN, golden_src[k][0]);
        golden[k] = tu_slurp(path, NULL);
        ck_assert_msg(golden[k] != NULL, "missing %s", path);
    }
    for (op = 0; op <= GR_P_RETURN; op++) {
        const char *name = gr_pop_name(op);
        char want[96], kase[96];
        int used = 0;
        size_t i;
        snprintf(want, sizeof want, "/* Op: %s\n", name);
        snprintf(kase, sizeof kase, "case GR_P_");
        for (i = 0; name[i] && strlen(kase) + 2 < sizeof kase; i++) {
            size_t l = strlen(kase);
            kase[l] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
            kase[l + 1] = '\0';
        }
        strcat(kase, ":");
        ck_assert_msg(strstr(vm, want) != NULL, "vm.c: op %s has no doc block", name);
        ck_assert_msg(strstr(vm, kase) != NULL, "vm.c: op %s has no %s", name, kase);
        for (k = 0; k < NGOLDEN && !used; k++) {
            char col[64];
            snprintf(col, sizeof col, ": %-10s", name);
            used = strstr(golden[k], col) != NULL;
            if (!used) {
                snprintf(col, sizeof col, ":   %-10s", name); /* in a loop */
                used = strstr(golden[k], col) != NULL;
            }
        }
        ck_assert_msg(used, "no golden plan uses op %s", name);
    }
    ck_assert_str_eq(gr_pop_name(-1), "?");
    for (k = 0; k < NGOLDEN; k++) {
        free(golden[k]);
    }
    free(vm);
}
END_TEST

START_TEST(test_registers)
{
    const char *const *names = gr_library_names();
    int a, mode;
    for (a = 0; names[a]; a++) {
        for (mode = 0; mode < 2; mode++) {
            gr_program *p = program_in(names[a], mode);
            gr_plan *pl = NULL;
            gr_error e;
            gr_error_clear(&e);
            ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
            ck_assert_int_le(pl->nregs, pl->nvecvals);
            if (pl->nvecvals > 3) {
                ck_assert_msg(pl->nregs < pl->nvecvals, "%s: %d registers for %d vectors",
                              names[a], (int)pl->nregs, (int)pl->nvecvals);
            }
            ck_assert_uint_eq(gr_plan_buffer_bytes(pl, 1000), (size_t)pl->nregs * 8000);
            ck_assert_int_eq(gr_plan_size(pl), pl->ninst);
            gr_plan_free(&pl);
            gr_program_free(&p);
        }
    }
    /* pagerank: 9 vector values in 5 registers or fewer */
    {
        gr_program *p = compile_lib("pagerank");
        gr_plan *pl = NULL;
        gr_error e;
        gr_error_clear(&e);
        ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
        ck_assert_int_ge(pl->nvecvals, 8);
        ck_assert_int_le(pl->nregs, 5);
        gr_plan_free(&pl);
        gr_program_free(&p);
    }
    ck_assert_int_eq(gr_plan_size(NULL), 0);
    ck_assert_uint_eq(gr_plan_buffer_bytes(NULL, 10), 0);
}
END_TEST

/* Allocations of a run of p with max_iter = it (tol 0: every iteration),
 * from the buffers the plan kept from its last run, or (fresh) from none. */
static long run_allocs(gr_plan *pl, const gr_program *p, const gr_graph *g, const char *it,
                       int fresh, int64_t *iters)
{
    gr_params *ps = NULL;
    gr_result res;
    gr_error e;
    long n;
    gr_error_clear(&e);
    if (fresh) {
        gr_plan_trim(pl);
    }
    ck_assert_int_eq(gr_params_new(p, &ps, &e), GR_OK);
    ck_assert_int_eq(gr_params_set(ps, "max_iter", it, &e), GR_OK);
    if (strcmp(gr_program_name(p), "pagerank") == 0) {
        ck_assert_int_eq(gr_params_set(ps, "tol", "0", &e), GR_OK);
    }
    gr_mem_fail_after(LONG_MAX);
    ck_assert_int_eq(gr_plan_run(pl, g, ps, 0, &res, &e), GR_OK);
    n = gr_mem_count();
    gr_mem_fail_after(-1);
    *iters = res.iters;
    gr_result_release(&res);
    gr_params_free(&ps);
    return n;
}

START_TEST(test_no_alloc_in_loops)
{
    static const char *const algs[] = {"pagerank", "lpa"};
    int a, mode, i;
    for (i = 0; i < 2; i++) {
        gr_graph *g = i ? tu_case(19, NULL) : tu_case(16, NULL);
        for (a = 0; a < 2; a++) {
            for (mode = 0; mode < 3; mode++) {
                gr_program *p = program_in(algs[a], mode);
                gr_plan *pl = NULL;
                gr_error e;
                int64_t i5, i50, k5, k50;
                long n5, n50, m5, m50;
                gr_error_clear(&e);
                ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
                n5 = run_allocs(pl, p, g, "5", 1, &i5);
                n50 = run_allocs(pl, p, g, "50", 1, &i50);
                ck_assert_msg(n5 == n50, "%s %s: %ld allocations for %lld iterations, %ld for "
                              "%lld", mode_names[mode], algs[a], n5, (long long)i5, n50,
                              (long long)i50);
                /* the same from the buffers the last run left, which are fewer */
                m5 = run_allocs(pl, p, g, "5", 0, &k5);
                m50 = run_allocs(pl, p, g, "50", 0, &k50);
                ck_assert_msg(m5 == m50 && m5 < n5,
                              "%s %s from kept buffers: %ld allocations for %lld iterations, "
                              "%ld for %lld, %ld fresh", mode_names[mode], algs[a], m5,
                              (long long)k5, m50, (long long)k50, n5);
                if (a == 0) {
                    ck_assert_int_eq(i5, 5);
                    ck_assert_int_eq(i50, 50);
                }
                gr_plan_free(&pl);
                gr_program_free(&p);
            }
        }
        gr_graph_free(&g);
    }
}
END_TEST

/* One plan kept across runs: each run gives what a fresh plan gives, on
 * graphs of other sizes in turn (a kept set of another size is dropped),
 * after gr_plan_trim, and in runs on two threads at once (one takes the
 * kept set, the other allocates its own). */
START_TEST(test_kept_buffers)
{
    static const char *const algs[] = {"bfs", "pagerank", "lpa", "sssp", "wcc"};
    gr_graph *gs[3];
    int a, k;
    gs[0] = tu_random_graph(1000, 5000, 21, 1, 0);
    gs[1] = tu_skewed_graph(3000, 15000, 22, 1, 0);
    gs[2] = gs[0];
    gr_plan_trim(NULL);
    for (a = 0; a < 5; a++) {
        gr_program *p = optimize_o2(compile_lib(algs[a]));
        gr_plan *pl = NULL, *fresh = NULL;
        gr_result want[2], got;
        gr_error e;
        char why[300];
        gr_error_clear(&e);
        ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
        for (k = 0; k < 2; k++) {
            ck_assert_int_eq(gr_plan_lower(p, &fresh, &e), GR_OK);
            ck_assert_int_eq(gr_plan_run(fresh, gs[k], NULL, 0, &want[k], &e), GR_OK);
            gr_plan_free(&fresh);
        }
        for (k = 0; k < 7; k++) { /* 1000, 3000, 1000, 1000 trimmed, ..., debug */
            const int gi = k % 3;
            if (k == 3) {
                gr_plan_trim(pl);
            }
            ck_assert_int_eq(gr_plan_run(pl, gs[gi], NULL, k == 6, &got, &e), GR_OK);
            ck_assert_msg(same_results(&want[gi % 2], &got, why, sizeof why),
                          "%s, run %d on one plan: %s", algs[a], k, why);
            gr_result_release(&got);
        }
#ifdef _OPENMP
        {
            int bad = 0;
#pragma omp parallel num_threads(2) reduction(+ : bad)
            {
                int j;
                for (j = 0; j < 4; j++) {
                    const int gi = (omp_get_thread_num() + j) % 2;
                    gr_result r;
                    gr_error te;
                    char w[300];
                    gr_error_clear(&te);
                    bad += gr_plan_run(pl, gs[gi], NULL, 0, &r, &te) != GR_OK ||
                           !same_results(&want[gi], &r, w, sizeof w);
                    gr_result_release(&r);
                }
            }
            ck_assert_msg(bad == 0, "%s: %d of 8 runs at once on one plan differ", algs[a], bad);
        }
#endif
        gr_result_release(&want[0]);
        gr_result_release(&want[1]);
        gr_plan_free(&pl);
        gr_program_free(&p);
    }
    gr_graph_free(&gs[0]);
    gr_graph_free(&gs[1]);
}
END_TEST

/* Every allocation of lower + run failing in turn: GR_ERR_NOMEM, no leak
 * (valgrind), then success. */
START_TEST(test_nomem)
{
    static const char *const algs[] = {"pagerank", "lpa", "wcc", "bfs"};
    gr_graph *g = tu_case(16, NULL);
    int a, mode;
    for (a = 0; a < 4; a++) {
        for (mode = 0; mode < 3; mode++) {
            gr_program *p = program_in(algs[a], mode);
            long k;
            int ok = 0;
            for (k = 0; k < 100000 && !ok; k++) {
                gr_plan *pl = NULL;
                gr_result res;
                gr_error e;
                int rc;
                memset(&res, 0, sizeof res);
                gr_error_clear(&e);
                gr_mem_fail_after(k);
                rc = gr_plan_lower(p, &pl, &e);
                if (rc == GR_OK) {
                    rc = gr_plan_run(pl, g, NULL, 1, &res, &e);
                }
                gr_mem_fail_after(-1);
                if (rc == GR_OK) {
                    ok = 1;
                    gr_result_release(&res);
                } else {
                    ck_assert_msg(rc == GR_ERR_NOMEM, "%s %s after %ld allocations: %d %s",
                                  mode_names[mode], algs[a], k, rc, e.msg);
                    ck_assert_int_eq(e.code, GR_ERR_NOMEM);
                    ck_assert_ptr_null(res.out);
                }
                gr_plan_free(&pl);
            }
            ck_assert_msg(ok, "%s never succeeded", algs[a]);
            gr_program_free(&p);
        }
    }
    gr_graph_free(&g);
}
END_TEST

/* ops counts the instructions executed: every one once without loops;
 * each extra iteration adds the loop body. */
START_TEST(test_ops)
{
    gr_program *p = compile_lib("degree"), *q = compile_lib("pagerank");
    gr_graph *g = tu_case(11, NULL);
    gr_plan *pl = NULL;
    gr_result res;
    gr_error e;
    int64_t ops[3];
    int k;
    gr_error_clear(&e);
    ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
    ck_assert_int_eq(gr_plan_run(pl, g, NULL, 0, &res, &e), GR_OK);
    ck_assert_int_eq(res.ops, gr_plan_size(pl));
    ck_assert_int_eq(res.iters, 0);
    gr_result_release(&res);
    gr_plan_free(&pl);
    ck_assert_int_eq(gr_plan_lower(q, &pl, &e), GR_OK);
    for (k = 0; k < 3; k++) {
        gr_params *ps = NULL;
        char it[8];
        snprintf(it, sizeof it, "%d", k + 1);
        ck_assert_int_eq(gr_params_new(q, &ps, &e), GR_OK);
        ck_assert_int_eq(gr_params_set(ps, "max_iter", it, &e), GR_OK);
        ck_assert_int_eq(gr_params_set(ps, "tol", "0", &e), GR_OK);
        ck_assert_int_eq(gr_plan_run(pl, g, ps, 0, &res, &e), GR_OK);
        ck_assert_int_eq(res.iters, k + 1);
        ops[k] = res.ops;
        gr_result_release(&res);
        gr_params_free(&ps);
    }
    ck_assert_int_gt(ops[1] - ops[0], 2);
    ck_assert_int_eq(ops[1] - ops[0], ops[2] - ops[1]);
    gr_plan_free(&pl);
    gr_program_free(&p);
    gr_program_free(&q);
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_api_errors)
{
    gr_program *p = compile_lib("degree");
    gr_graph *g = tu_case(2, NULL);
    gr_plan *pl = NULL;
    gr_result res;
    gr_error e;
    char *text = NULL;
    gr_error_clear(&e);
    ck_assert_int_eq(gr_plan_lower(NULL, &pl, &e), GR_ERR_INVALID);
    ck_assert_ptr_null(pl);
    ck_assert_int_eq(gr_plan_lower(p, NULL, &e), GR_ERR_INVALID);
    ck_assert_int_eq(gr_plan_lower(p, &pl, NULL), GR_OK);
    ck_assert_int_eq(gr_plan_run(pl, NULL, NULL, 0, &res, &e), GR_ERR_INVALID);
    ck_assert_int_eq(res.nout, 0);
    ck_assert_int_eq(gr_plan_run(NULL, g, NULL, 0, &res, &e), GR_ERR_INVALID);
    ck_assert_int_eq(gr_plan_run(pl, g, NULL, 0, NULL, &e), GR_ERR_INVALID);
    ck_assert_int_eq(gr_plan_print(pl, NULL, &e), GR_ERR_INVALID);
    ck_assert_int_eq(gr_plan_print(pl, &text, NULL), GR_OK);
    ck_assert_ptr_nonnull(strstr(text, "plan degree:"));
    gr_free_string(&text);
    gr_plan_free(&pl);
    ck_assert_ptr_null(pl);
    gr_plan_free(&pl);
    gr_plan_free(NULL);
    gr_program_free(&p);
    gr_graph_free(&g);
}
END_TEST

/* sssp with its aggregation's message made w * w (an edge kernel: step
 * mode cannot run it): the plan gives min(dist0, the smallest squared
 * in-weight); with self or mode such a message is refused. */
static gr_program *sssp_w2(int self, int mode)
{
    gr_program *p = compile_lib("sssp");
    int32_t i, k;
    int changed = 0;
    for (i = 0; i < p->top.n; i++) {
        gr_inst *L = &p->top.insts[i];
        for (k = 0; L->op == GR_OP_LOOP && k < L->body->n; k++) {
            gr_inst *a = &L->body->insts[k];
            if (a->op == GR_OP_AGG) {
                /* agg[in, min, add_w](dist) -> agg_fused(dist) { m = w * w; yield m } */
                gr_block *b = gr_calloc(1, sizeof *b);
                gr_vid lane = gr_ir_new_value(p, GR_T_F64), w = gr_ir_new_value(p, GR_T_F64);
                gr_vid m = gr_ir_new_value(p, GR_T_F64);
                ck_assert_ptr_nonnull(b);
                b->n = b->cap = 2;
                b->insts = gr_calloc(2, sizeof *b->insts);
                b->insts[0].op = GR_OP_MUL;
                b->insts[0].nargs = 2;
                b->insts[0].args = gr_malloc(2 * sizeof(gr_vid));
                b->insts[0].args[0] = w;
                b->insts[0].args[1] = w;
                b->insts[0].result = m;
                b->insts[1].op = GR_OP_YIELD;
                b->insts[1].result = -1;
                b->insts[1].nargs = 1;
                b->insts[1].args = gr_malloc(sizeof(gr_vid));
                b->insts[1].args[0] = m;
                b->parent = a;
                a->op = GR_OP_AGG_FUSED;
                a->attrs.msg = GR_MSG_X;
                a->attrs.self = (uint8_t)self;
                if (mode) {
                    a->attrs.monoid = GR_MON_MODE;
                }
                a->inner = gr_malloc(2 * sizeof(gr_vid));
                a->inner[0] = lane;
                a->inner[1] = w;
                a->body = b;
                changed = 1;
            }
        }
    }
    ck_assert(changed);
    return p;
}

/* Program "y = DIR_MON(x + weight)" over x = node_index * 0.5 (for any and
 * count: "DIR_MON(x > 100.0)"), masked by node_index mod 3 != 0 when
 * masked, its aggregation made an AGG_FUSED whose message is x + w * w (for
 * any and count: (x > 100) && w * w > 4): a weight used twice, which only
 * an edge kernel evaluates. */
static gr_program *edge_program(const char *mon, const char *dir, int masked, int epi)
{
    const int boolmsg = strcmp(mon, "any") == 0 || strcmp(mon, "count") == 0;
    char src[300];
    gr_program *p = NULL;
    int32_t i;
    snprintf(src, sizeof src, "algorithm edges() {\n  x = to_f64(node_index()) * 0.5\n"
             "  y = %s_%s(%s)%s\n  return y\n}\n", dir, mon,
             boolmsg ? "x > 100.0" : "x + weight", epi ? " * 2" : "");
    p = compile_src(src, "edges.grl");
    if (masked) {
        uint64_t seed = 1;
        mf_mask(p, &p->top, &seed, 1);
    }
    for (i = 0; i < p->top.n; i++) {
        gr_inst *a = &p->top.insts[i];
        if (a->op == GR_OP_AGG) {
            gr_block *b = gr_calloc(1, sizeof *b);
            const int32_t nl = a->nargs; /* x, and the mask */
            gr_vid w = gr_ir_new_value(p, GR_T_F64), w2 = gr_ir_new_value(p, GR_T_F64);
            gr_vid m = gr_ir_new_value(p, boolmsg ? GR_T_BOOL : GR_T_F64);
            int32_t k, n = 0;
            ck_assert_ptr_nonnull(b);
            b->insts = gr_calloc(5, sizeof *b->insts);
            a->inner = gr_malloc((size_t)(nl + 1) * sizeof(gr_vid));
            for (k = 0; k < nl; k++) {
                a->inner[k] = gr_ir_new_value(p, gr_type_elem(p->values[a->args[k]].type));
            }
            a->inner[nl] = w;
            b->insts[n].op = GR_OP_MUL;
            b->insts[n].nargs = 2;
            b->insts[n].args = gr_malloc(2 * sizeof(gr_vid));
            b->insts[n].args[0] = w;
            b->insts[n].args[1] = w;
            b->insts[n++].result = w2;
            if (boolmsg) { /* m = x_lane && w2 > 4 */
                gr_vid four = gr_ir_new_value(p, GR_T_F64), gt = gr_ir_new_value(p, GR_T_BOOL);
                b->insts[n].op = GR_OP_CONST;
                b->insts[n].attrs.f = 4.0;
                b->insts[n++].result = four;
                b->insts[n].op = GR_OP_GT;
                b->insts[n].nargs = 2;
                b->insts[n].args = gr_malloc(2 * sizeof(gr_vid));
                b->insts[n].args[0] = w2;
                b->insts[n].args[1] = four;
                b->insts[n++].result = gt;
                b->insts[n].op = GR_OP_AND;
                b->insts[n].nargs = 2;
                b->insts[n].args = gr_malloc(2 * sizeof(gr_vid));
                b->insts[n].args[0] = a->inner[0];
                b->insts[n].args[1] = gt;
                b->insts[n++].result = m;
            } else { /* m = x_lane + w2 */
                ck_assert_int_eq(a->attrs.msg, GR_MSG_ADD_W);
                b->insts[n].op = GR_OP_ADD;
                b->insts[n].nargs = 2;
                b->insts[n].args = gr_malloc(2 * sizeof(gr_vid));
                b->insts[n].args[0] = a->inner[0];
                b->insts[n].args[1] = w2;
                b->insts[n++].result = m;
            }
            b->insts[n].op = GR_OP_YIELD;
            b->insts[n].result = -1;
            b->insts[n].nargs = 1;
            b->insts[n].args = gr_malloc(sizeof(gr_vid));
            b->insts[n++].args[0] = m;
            b->n = b->cap = n;
            b->parent = a;
            a->op = GR_OP_AGG_FUSED;
            a->attrs.msg = GR_MSG_X;
            a->body = b;
            if (epi) { /* "* 2" becomes the aggregation's epilogue */
                mf_fuse(p);
                ck_assert_int_eq(count_attr(&p->top, 0), 1);
            }
            return p;
        }
    }
    ck_abort_msg("no aggregation in %s", src);
    return NULL;
}

/* Epilogues of an aggregation masked by a mask a push may list
 * (GR_SPARSE_MASK, sparse_epilogue.c): the library's sssp qualifies -- next
 * is copied from dist with NaNs canonical (min(dist, +inf)), changed filled
 * with 0 and the loop test's fold is 0 elsewhere -- and a variant must not
 * when a map output at a masked-off receiver is neither a constant nor an
 * input's element (dist + 1) or is a NaN test (next != dist, true where dist
 * is NaN).  Each program at -O2 runs as step mode runs it, on graphs whose
 * early and late rounds list few nodes (the sparse runs), with 1 and 2
 * threads. */
static const char *const sparse_mask_src[][2] = {
    {"sssp", NULL},
    {"plus_one", "algorithm plus_one(source = 0) {\n"
                 "  dist = where(node_id() == source, 0.0, inf)\n"
                 "  changed = node_id() == source\n"
                 "  until unchanged(dist) max 6 {\n"
                 "    active = pull_any(changed)\n"
                 "    next = min(dist, where(active, pull_min(dist + weight), inf)) + 1.0\n"
                 "    changed = next < dist\n"
                 "    dist = next\n"
                 "  }\n"
                 "  return dist\n}\n"},
    {"nan_test", "algorithm nan_test(source = 0) {\n"
                 "  dist = where(node_id() == source, 0.0, inf)\n"
                 "  changed = node_id() == source\n"
                 "  until unchanged(dist) max node_count() {\n"
                 "    active = pull_any(changed)\n"
                 "    next = min(dist, where(active, pull_min(dist + weight), inf))\n"
                 "    changed = next != dist\n"
                 "    dist = next\n"
                 "  }\n"
                 "  return dist\n}\n"},
};

static gr_program *sparse_mask_program(int k)
{
    if (!sparse_mask_src[k][1]) {
        return optimize_o2(compile_lib(sparse_mask_src[k][0]));
    }
    return optimize_o2(compile_src(sparse_mask_src[k][1], "sm.grl"));
}

START_TEST(test_sparse_mask)
{
    gr_program *p = sparse_mask_program(_i);
    gr_plan *pl = NULL;
    gr_error e;
    const gr_pker *K = NULL;
    int32_t k, nt;
    gr_error_clear(&e);
    ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
    for (k = 0; k < pl->naggs; k++) {
        if (pl->aggs[k].mask >= 0 && pl->aggs[k].epi >= 0) {
            K = &pl->kers[pl->aggs[k].epi];
        }
    }
    ck_assert_msg(K != NULL, "%s: no masked aggregation with an epilogue",
                  sparse_mask_src[_i][0]);
    if (_i == 0) {
        int fill = 0, canon = 0;
        ck_assert_int_eq(K->sparse, GR_SPARSE_MASK);
        for (k = 0; k < K->nout; k++) {
            const gr_pout *o = &K->out[k];
            if (o->fold == GR_FOLD_MAP) {
                fill += o->skip == GR_SKIP_FILL && o->rest.i == 0;
                canon += o->skip == GR_SKIP_CANON &&
                         K->lanes[o->skipsrc].kind == GR_LK_IN;
            } else {
                ck_assert_int_eq(o->rest.i, 0);
            }
        }
        ck_assert_int_eq(fill, 1);
        ck_assert_int_eq(canon, 1);
    } else {
        ck_assert_msg(K->sparse == GR_SPARSE_NO, "%s: sparse %d", sparse_mask_src[_i][0],
                      (int)K->sparse);
    }
    gr_plan_free(&pl);
    for (nt = 1; nt <= 2; nt++) {
        const int saved = gr_threads();
        gr_graph *g1 = tu_random_graph(3000, 9000, 11, 1, 0);
        gr_graph *g2 = tu_skewed_graph(2000, 12000, 5, 1, 0);
        uint32_t path[2 * 63];
        double w[63];
        gr_graph *g3;
        for (k = 0; k < 63; k++) { /* 0 -> 1 -> ... -> 63: -inf then +inf make NaN paths */
            path[2 * k] = (uint32_t)k;
            path[2 * k + 1] = (uint32_t)k + 1;
            w[k] = k == 3 ? -INFINITY : k == 10 ? INFINITY : k == 5 ? -0.0 : 1.0;
        }
        g3 = tu_graph(64, path, 63, w, 0);
        gr_set_threads(nt);
        plan_equals_step(g1, "uniform 3000", p, NULL, "sparse mask");
        plan_equals_step(g2, "skewed 2000", p, NULL, "sparse mask");
        plan_equals_step(g3, "path whose distances go NaN", p, NULL, "sparse mask");
        gr_set_threads(saved);
        gr_graph_free(&g1);
        gr_graph_free(&g2);
        gr_graph_free(&g3);
    }
    gr_program_free(&p);
}
END_TEST

/* node_id() and node_index() read by fused kernels alone are lanes the
 * kernels make (GR_LK_ID, GR_LK_INDEX), never a SOURCE: in a dense kernel,
 * and in a BFS epilogue that runs on the receivers a push lists (the ids
 * gathered there).  Plan equals step with ids equal to the indices and
 * with ids 5u + 3, on one and two threads. */
START_TEST(test_node_lanes)
{
    static const char src[] =
        "algorithm node_lanes(source = 0) {\n"
        "  level = where(node_id() == source, 0, -1)\n"
        "  frontier = level == 0\n"
        "  far = node_index() * 2 + node_id()\n"
        "  d = 0\n"
        "  until unchanged(level) max node_count() {\n"
        "    d = d + 1\n"
        "    next = pull_any(frontier) && level == -1\n"
        "    level = where(next, d * 1000000 + node_id() + node_index(), level)\n"
        "    frontier = next\n"
        "  }\n"
        "  return level, far\n"
        "}\n";
    const int saved = gr_threads();
    gr_program *p = NULL;
    gr_plan *pl = NULL;
    gr_error e;
    int32_t k, j;
    int ids = 0, idx = 0, sparse_ids = 0, sparse_idx = 0, gi, nt;
    gr_error_clear(&e);
    p = optimize_o2(compile_src(src, "node_lanes.grl"));
    ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
    for (k = 0; k < pl->ninst; k++) {
        ck_assert_msg(pl->inst[k].op != GR_P_SOURCE ||
                          (pl->inst[k].irop != GR_OP_NODE_ID &&
                           pl->inst[k].irop != GR_OP_NODE_INDEX),
                      "instruction %d makes a node vector", (int)k);
    }
    for (k = 0; k < pl->nkers; k++) {
        for (j = 0; j < pl->kers[k].nlanes; j++) {
            const int kind = pl->kers[k].lanes[j].kind;
            ids += kind == GR_LK_ID;
            idx += kind == GR_LK_INDEX;
            sparse_ids += kind == GR_LK_ID && pl->kers[k].sparse == GR_SPARSE_PUSH;
            sparse_idx += kind == GR_LK_INDEX && pl->kers[k].sparse == GR_SPARSE_PUSH;
        }
    }
    ck_assert_int_eq(ids, 2);
    ck_assert_int_eq(idx, 2);
    ck_assert_int_eq(sparse_ids, 1);
    ck_assert_int_eq(sparse_idx, 1);
    gr_plan_free(&pl);
    for (gi = 0; gi < 4; gi++) {
        gr_graph *g0 = gi < 2 ? tu_random_graph(3000, 9000, 11, 0, 0)
                              : tu_skewed_graph(60000, 300000, 12, 0, 0);
        gr_graph *g = gi & 1 ? tu_with_orig_ids(g0) : g0;
        gr_params *ps = NULL;
        char name[64], val[32];
        snprintf(name, sizeof name, "%s%s", gi < 2 ? "uniform 3000" : "skewed 60000",
                 gi & 1 ? ", ids 5u + 3" : "");
        ck_assert_int_eq(gr_params_new(p, &ps, &e), GR_OK);
        snprintf(val, sizeof val, "%lld", (long long)gr_graph_orig_id(g, g->n / 3));
        ck_assert_int_eq(gr_params_set(ps, "source", val, &e), GR_OK);
        for (nt = 1; nt <= 2; nt++) {
            gr_set_threads(nt);
            plan_equals_step(g, name, p, NULL, "node lanes");
            plan_equals_step(g, name, p, ps, "node lanes");
        }
        gr_set_threads(saved);
        gr_params_free(&ps);
        if (g != g0) {
            gr_graph_free(&g);
        }
        gr_graph_free(&g0);
    }
    gr_program_free(&p);
}
END_TEST

/* out_nbr read by links of its own block alone is never made as a
 * vector: each link reads the rows (either operand or both, a negative or
 * too large k, an out_nbr read by two links); one read by anything else,
 * or by a link in a loop (licm hoists the loop's out_nbr(1), cse merges it
 * with a's), is made.  link(link(x, y), z) is one instruction of three
 * operands when the inner link has no other reader (g, h, i; h's first
 * operand read from the rows).  A min or max aggregation the links alone
 * read is computed by them (i's masked ones, j's first operand), one read
 * by anything else is not (k).  The plan gives step mode's results on 1
 * and 2 threads, above the parallel threshold too. */
START_TEST(test_link_rows)
{
    static const char src[] =
        "algorithm link_rows(k = 2) {\n"
        "  a = link(out_nbr(0), out_nbr(1))\n"
        "  s = out_nbr(k)\n"
        "  b = link(div(node_index(), 2), s)\n"
        "  c = link(s, out_nbr(-1))\n"
        "  d = link(out_nbr(9223372036854775807), a)\n"
        "  e = out_nbr(3)\n"
        "  f = a\n"
        "  repeat 3 {\n"
        "    f = link(f, out_nbr(1))\n"
        "  }\n"
        "  g = link(link(b, c), out_nbr(1))\n"
        "  h = link(link(out_nbr(2), d), e)\n"
        "  m = node_index() % 7 == 0\n"
        "  lo = where(m, nbr_min(a), 9223372036854775807)\n"
        "  hi = where(m, nbr_max_self(a), -9223372036854775807 - 1)\n"
        "  i = link(link(a, lo), hi)\n"
        "  j = link(out_min(b), a)\n"
        "  k = pull_max(c)\n"
        "  l = link(c, k)\n"
        "  return a, b, c, d, e + 1, f, g, h, i, j, l, k + 1\n"
        "}\n";
    const int saved = gr_threads();
    gr_program *p = NULL;
    gr_plan *pl = NULL;
    gr_error e;
    int32_t k, j;
    int links = 0, made = 0, chains = 0, aggs = 0, linkaggs = 0, gi, nt;
    gr_error_clear(&e);
    p = optimize_o2(compile_src(src, "link_rows.grl"));
    ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
    for (k = 0; k < pl->ninst; k++) {
        made += pl->inst[k].op == GR_P_SOURCE && pl->inst[k].irop == GR_OP_OUT_NBR;
        links += pl->inst[k].op == GR_P_LINK && pl->inst[k].aux != 0;
        chains += pl->inst[k].op == GR_P_LINK && pl->inst[k].nargs == 3;
        aggs += pl->inst[k].op == GR_P_AGG;
        for (j = 0; pl->inst[k].op == GR_P_LINK && j < pl->inst[k].nargs; j++) {
            linkaggs += (pl->inst[k].aux & (GR_LINK_AGG << j)) != 0;
        }
    }
    ck_assert_int_eq(aggs, 1);     /* k */
    ck_assert_int_eq(linkaggs, 3); /* i's two, j's */
    ck_assert_int_eq(made, 2);  /* out_nbr(3), read by the add; out_nbr(1) */
    ck_assert_int_eq(links, 7); /* a (its out_nbr(0)), b, c (both), d, h, i, j */
    ck_assert_int_eq(chains, 3);
    gr_plan_free(&pl);
    for (gi = 0; gi < 3; gi++) {
        gr_graph *g = gi == 0   ? tu_random_graph(300, 900, 11, 0, 0)
                      : gi == 1 ? tu_skewed_graph(60000, 300000, 12, 0, 0)
                                : tu_graph(0, NULL, 0, NULL, 0);
        for (nt = 1; nt <= 2; nt++) {
            gr_set_threads(nt);
            plan_equals_step(g, gi == 0 ? "uniform 300" : gi == 1 ? "skewed 60000" : "empty", p,
                             NULL, "link rows");
        }
        gr_set_threads(saved);
        gr_graph_free(&g);
    }
    gr_program_free(&p);
}
END_TEST

/* Sums of f64 that are mostly +0.0 (a fused fold skips runs of four +0.0)
 * give step mode's bits: a masked sum, the same over signed zeros, and a
 * sum of -0.0 alone, which is +0.0 from a start of +0.0. */
START_TEST(test_zero_sums)
{
    static const char src[] =
        "algorithm zero_sums(k = 97) {\n"
        "  x = to_f64(node_id()) * 0.001 - 1.5\n"
        "  c = node_id() % k == 3\n"
        "  nz = fill(0.0) * -1.0\n"
        "  return sum(where(c, x, 0)), sum(where(c, nz, 0.0)), sum(nz), sum(x)\n"
        "}\n";
    static const uint32_t sizes[] = {5, 1000, 9000};
    gr_program *p = NULL;
    gr_plan *pl = NULL;
    gr_error e;
    int32_t k, folds = 0;
    size_t gi;
    gr_error_clear(&e);
    p = optimize_o2(compile_src(src, "zero_sums.grl"));
    ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_OK);
    for (k = 0; k < pl->nkers; k++) {
        folds += pl->kers[k].nfolds;
    }
    ck_assert_int_eq(folds, 4); /* the four sums are fused folds */
    gr_plan_free(&pl);
    for (gi = 0; gi < sizeof sizes / sizeof *sizes; gi++) {
        gr_graph *g = tu_random_graph(sizes[gi], 2 * sizes[gi], 3, 0, 0);
        gr_result r;
        char name[32];
        snprintf(name, sizeof name, "uniform %u", (unsigned)sizes[gi]);
        plan_equals_step(g, name, p, NULL, "zero sums");
        ck_assert_int_eq(run_plan(g, p, NULL, &r, &e), GR_OK);
        ck_assert_int_eq(r.nout, 4);
        ck_assert(r.out[2].f64[0] == 0.0 && !signbit(r.out[2].f64[0])); /* -0.0 summed: +0.0 */
        ck_assert(r.out[1].f64[0] == 0.0 && !signbit(r.out[1].f64[0]));
        gr_result_release(&r);
        gr_graph_free(&g);
    }
    gr_program_free(&p);
}
END_TEST

/* The reference: node v's monoid over the edge messages in agg_node's
 * edge order; masked-off receivers the empty value. */
static void edge_reference(const gr_graph *g, int mon, int dir, int masked, uint32_t v,
                           double *f, int64_t *iv)
{
    double s = mon == GR_MON_MIN ? INFINITY : mon == GR_MON_MAX ? -INFINITY : 0.0;
    int64_t c = 0;
    int side;
    uint64_t j;
    if (!(masked && v % 3 == 0)) {
        for (side = 0; side < 2; side++) {
            const uint64_t *off = side ? g->out_off : g->in_off;
            const uint32_t *adj = side ? g->out_adj : g->in_adj;
            const double *ws = side ? g->out_w : g->in_w;
            if ((side == 0 && dir == GR_DIR_OUT) || (side == 1 && dir == GR_DIR_IN)) {
                continue;
            }
            for (j = off[v]; j < off[v + 1]; j++) {
                double w = ws ? ws[j] : 1.0, x = (double)adj[j] * 0.5, m = x + w * w;
                if (side == 1 && dir == GR_DIR_BOTH && adj[j] == v) {
                    continue;
                }
                switch (mon) {
                case GR_MON_SUM: s += m; break;
                case GR_MON_MIN: s = m < s ? m : s; break;
                case GR_MON_MAX: s = m > s ? m : s; break;
                case GR_MON_MEAN: s += m; c++; break;
                default: c += x > 100.0 && w * w > 4.0; break;
                }
            }
        }
    }
    *f = mon == GR_MON_MEAN ? (c ? s / (double)c : 0.0) : s;
    *iv = mon == GR_MON_ANY ? c > 0 : c;
}

START_TEST(test_agg_fused_edges)
{
    static const char *const mons[] = {"sum", "min", "max", "mean", "count", "any"};
    static const int monv[] = {GR_MON_SUM, GR_MON_MIN, GR_MON_MAX, GR_MON_MEAN, GR_MON_COUNT,
                               GR_MON_ANY};
    static const char *const dirs[] = {"pull", "out", "nbr"};
    const int saved = gr_threads();
    int gi, mi, di, masked, nt;
    for (gi = 0; gi < 4; gi++) {
        gr_graph *g = tu_case(gi == 0 ? 10 : gi == 1 ? 14 : gi == 2 ? 16 : 18, NULL);
        for (mi = 0; mi < 6; mi++) {
            for (di = 0; di < 3; di++) {
                for (masked = 0; masked < 4; masked++) {
                    const int epi = masked >= 2 && monv[mi] != GR_MON_ANY;
                    gr_program *p = edge_program(mons[mi], dirs[di], masked & 1, epi);
                    for (nt = 1; nt <= 2; nt++) {
                        gr_result res;
                        gr_error e;
                        char buf[600];
                        uint32_t v;
                        gr_set_threads(nt);
                        gr_error_clear(&e);
                        ck_assert_msg(run_plan(g, p, NULL, &res, &e) == GR_OK, "%s",
                                      gr_error_format(&e, buf, sizeof buf));
                        for (v = 0; v < g->n; v++) {
                            double f;
                            int64_t iv;
                            edge_reference(g, monv[mi], di, masked & 1, v, &f, &iv);
                            f *= epi ? 2.0 : 1.0;
                            iv *= epi ? 2 : 1;
                            if (res.out[0].f64) {
                                ck_assert_msg(memcmp(&res.out[0].f64[v], &f, sizeof f) == 0,
                                              "%s_%s%s node %u: %.17g, want %.17g", dirs[di],
                                              mons[mi], masked & 1 ? " masked" : "", v,
                                              res.out[0].f64[v], f);
                            } else {
                                ck_assert_msg(res.out[0].i64[v] == iv, "%s_%s%s node %u: %lld, "
                                              "want %lld", dirs[di], mons[mi],
                                              masked & 1 ? " masked" : "", v,
                                              (long long)res.out[0].i64[v], (long long)iv);
                            }
                        }
                        gr_result_release(&res);
                    }
                    gr_program_free(&p);
                }
            }
        }
        gr_graph_free(&g);
    }
    gr_set_threads(saved);
    /* such a message has no self or mode semantics: refused */
    for (gi = 0; gi < 2; gi++) {
        gr_program *p = sssp_w2(gi == 0, gi == 1);
        gr_plan *pl = NULL;
        gr_error e;
        gr_error_clear(&e);
        ck_assert_int_eq(gr_plan_lower(p, &pl, &e), GR_ERR_INVALID);
        ck_assert_msg(strstr(e.msg, "weight") != NULL, "%s", e.msg);
        ck_assert_ptr_null(pl);
        gr_program_free(&p);
    }
}
END_TEST

/* ---- aggregation kernels: push and pull agree ------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The other ways to run J give pull's bytes (want): a bool x packed into
 * bits; the rows under the mask handed over in pieces (gr_k_agg_rows_mask);
 * and, for the listed push, its bytes and list (exactly the true receivers,
 * each once) with 1 and 2 threads, from a scan of x and from x's own list
 * (which must also leave the push/pull choice as it was).  Returns whether
 * the listed push applied. */
static int other_runs_agree(const gr_kagg *J0, const void *want, const char *what)
{
    const gr_graph *g = J0->g;
    const uint32_t n = g->n;
    const size_t osz = gr_k_size(J0->oek);
    uint8_t *o = malloc(n * 8 + 1);
    uint64_t *bits = malloc(((size_t)n + 63) / 64 * 8 + 8);
    uint32_t *lst = malloc((size_t)n * 4 + 4), *xl = malloc((size_t)n * 4 + 4);
    gr_kagg J = *J0;
    uint32_t v, lo, nx = 0;
    size_t k, cnt, ntrue = 0;
    int t, listed = 0;
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(bits);
    ck_assert_ptr_nonnull(lst);
    ck_assert_ptr_nonnull(xl);
    /* packed bits, pulled */
    if (gr_k_agg_pack(&J, bits, (gr_kpol){0})) {
        ck_assert_int_eq(gr_k_agg_can_push(&J), 0);
        memset(o, 0x77, n * osz);
        gr_k_agg_run(&J, o, -1, (gr_kpol){0});
        ck_assert_msg(memcmp(o, want, n * osz) == 0, "packed pull differs: %s", what);
    }
    /* the rows in pieces of 37 (shorter than a mask word) and of 150 (two
     * words and a tail), the mask handed over */
    for (t = 37; t <= 150; t += 113) {
        J = *J0;
        memset(o, 0x33, n * osz);
        for (lo = 0; lo < n; lo += (uint32_t)t) {
            uint32_t hi = n - lo > (uint32_t)t ? lo + (uint32_t)t : n;
            gr_k_agg_rows_mask(&J, lo, hi, o + (size_t)lo * osz, 0,
                               J.mask ? J.mask + lo : NULL);
        }
        ck_assert_msg(memcmp(o, want, n * osz) == 0,
                      "rows under a given mask, pieces of %d, differ: %s", t, what);
    }
    if (!gr_k_agg_can_push_list(&J)) {
        goto done;
    }
    listed = 1;
    for (v = 0; v < n; v++) {
        ntrue += ((const uint8_t *)want)[v] != 0;
        if (J.xb ? J.xb[v] != 0 : J.xi ? J.xi[v] != 0 : J.xf[v] != 0) {
            xl[nx++] = v;
        }
    }
    for (t = 0; t < 8; t++) {
        /* t >= 4: capped at exactly the receivers (listed), then one fewer
         * (not listed, the bytes still complete) */
        gr_kpol pol = {1 + (t & 1)};
        const size_t cap = t < 4 ? n : t < 6 ? ntrue : ntrue - 1;
        if (t >= 6 && ntrue == 0) {
            break;
        }
        J = *J0;
        if (t >= 2) {
            uint64_t edges, ledges;
            int pays = gr_k_agg_push_cost(&J, pol, &edges);
            J.xlist = xl;
            J.xnnz = nx;
            ck_assert_int_eq(gr_k_agg_push_cost(&J, pol, &ledges), pays);
            ck_assert(ledges == edges && (edges != UINT64_MAX) == pays);
        }
        memset(o, 0x11, n);
        cnt = gr_k_agg_push_list(&J, o, lst, cap, pol);
        ck_assert_msg(memcmp(o, want, n) == 0, "listed push differs: %s, run %d", what, t);
        if (t >= 6) {
            ck_assert_msg(cnt == SIZE_MAX, "push over its cap %zu lists %zu: %s", cap, cnt,
                          what);
            continue;
        }
        ck_assert_msg(cnt == ntrue, "listed push lists %zu of %zu: %s", cnt, ntrue, what);
        qsort(lst, cnt, sizeof *lst, cmp_u32);
        for (k = 0; k < cnt; k++) {
            ck_assert_msg(((const uint8_t *)want)[lst[k]] && (k == 0 || lst[k] > lst[k - 1]),
                          "listed push lists a wrong or repeated receiver: %s", what);
        }
    }
done:
    free(o);
    free(bits);
    free(lst);
    free(xl);
    return listed;
}

/* When the push pays, the edges it counted are its senders' -- the nodes
 * whose message can change a receiver: any's true ones, min's below the
 * empty value (false for bools, INT64_MAX for integers) -- along the
 * push's direction. */
static void check_sender_edges(gr_kagg *J, int mon, const void *x, gr_ek xek,
                               const char *what)
{
    const gr_graph *g = J->g;
    uint64_t edges, want = 0;
    uint32_t v;
    if (!gr_k_agg_push_cost(J, (gr_kpol){0}, &edges)) {
        return;
    }
    for (v = 0; v < g->n; v++) {
        const int on = xek == GR_EK_U8    ? ((const uint8_t *)x)[v] != 0
                     : xek == GR_EK_I64 ? mon == GR_MON_ANY ? ((const int64_t *)x)[v] != 0
                                                             : ((const int64_t *)x)[v] != INT64_MAX
                                         : ((const double *)x)[v] != 0;
        const int sends = mon == GR_MON_ANY || xek == GR_EK_I64 ? on : !on;
        if (sends) {
            want += (J->dir != GR_DIR_OUT ? g->out_off[v + 1] - g->out_off[v] : 0) +
                    (J->dir != GR_DIR_IN ? g->in_off[v + 1] - g->in_off[v] : 0);
        }
    }
    ck_assert_msg(edges == want, "the push counted %llu sender edges, not %llu: %s",
                  (unsigned long long)edges, (unsigned long long)want, what);
}

START_TEST(test_push_pull)
{
    static const int mons[] = {GR_MON_ANY, GR_MON_MIN};
    int gi, pays = 0, pulls = 0, listed = 0;
    for (gi = 0; gi < 4; gi++) {
        gr_graph *g = gi < 2 ? tu_case(15 + gi, NULL) : tu_case(18 + (gi - 2), NULL);
        const uint32_t n = g->n;
        tu_rng rng = {(uint64_t)gi + 99};
        int64_t *xi = malloc(n * sizeof *xi), *o1 = malloc(n * sizeof *o1);
        int64_t *o2 = malloc(n * sizeof *o2);
        uint8_t *xb = malloc(n), *mask = malloc(n);
        double *xf = malloc(n * sizeof *xf);
        int dir, mi, kind, self, masked, dens;
        for (dens = 0; dens < 3; dens++) {
            uint64_t every = dens == 0 ? 1000 : dens == 1 ? 20 : 2;
            uint32_t v;
            for (v = 0; v < n; v++) {
                int on = tu_below(&rng, every) == 0;
                xb[v] = (uint8_t)on;
                xi[v] = on ? (int64_t)tu_below(&rng, 1000) - 500 : INT64_MAX;
                xf[v] = on ? (tu_below(&rng, 50) == 0 ? NAN : 1.5) : 0.0;
                mask[v] = tu_below(&rng, 3) != 0;
            }
            for (dir = 0; dir < 3; dir++) {
                for (mi = 0; mi < 2; mi++) {
                    for (kind = 0; kind < 3; kind++) {
                        for (self = 0; self < 2; self++) {
                            for (masked = 0; masked < 2; masked++) {
                                gr_kagg J;
                                gr_kpol pol = {0};
                                gr_error e;
                                char what[160];
                                gr_ek xek = kind == 0 ? GR_EK_U8 : kind == 1 ? GR_EK_I64
                                                                             : GR_EK_F64;
                                gr_ek oek = mons[mi] == GR_MON_ANY ? GR_EK_U8 : xek;
                                const void *x = kind == 0 ? (const void *)xb
                                              : kind == 1 ? (const void *)xi : (const void *)xf;
                                gr_error_clear(&e);
                                if (mons[mi] == GR_MON_MIN && kind == 2) {
                                    continue; /* f64 min is not pushed */
                                }
                                ck_assert_int_eq(gr_k_agg_prepare(&J, g, (gr_dir)dir,
                                                                  (gr_monoid)mons[mi], GR_MSG_X,
                                                                  self, x, xek,
                                                                  masked ? mask : NULL, oek,
                                                                  NULL, NULL, NULL, 0, pol,
                                                                  &e), GR_OK);
                                ck_assert(gr_k_agg_can_push(&J));
                                memset(o1, 0x5a, n * sizeof *o1);
                                memset(o2, 0xa5, n * sizeof *o2);
                                gr_k_agg_run(&J, o1, 0, pol);
                                gr_k_agg_run(&J, o2, 1, pol);
                                snprintf(what, sizeof what, "graph %d dir %d monoid %d kind %d "
                                         "self %d masked %d density %d", gi, dir, mons[mi],
                                         kind, self, masked, dens);
                                ck_assert_msg(memcmp(o1, o2, n * gr_k_size(oek)) == 0,
                                              "push and pull differ: %s", what);
                                listed += other_runs_agree(&J, o1, what);
                                pays += gr_k_agg_push_pays(&J, pol);
                                pulls += !gr_k_agg_push_pays(&J, pol);
                                check_sender_edges(&J, mons[mi], x, xek, what);
                            }
                        }
                    }
                }
            }
        }
        free(xi);
        free(o1);
        free(o2);
        free(xb);
        free(mask);
        free(xf);
        gr_graph_free(&g);
    }
    /* sparse inputs pushed, dense ones pulled */
    ck_assert_int_gt(pays, 0);
    ck_assert_int_gt(pulls, 0);
    ck_assert_int_gt(listed, 0);
}
END_TEST

static Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("library");
    tcase_set_timeout(tc, 1200);
    tcase_add_loop_test(tc, test_library, 0, 4 * 8);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    tc = tcase_create("progen");
    tcase_set_timeout(tc, 1200);
    tcase_add_loop_test(tc, test_progen, 0, 4);
    suite_add_tcase(s, tc);
    tc = tcase_create("plan");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_debug_catches);
    tcase_add_loop_test(tc, test_golden, 0, NGOLDEN);
    tcase_add_test(tc, test_sparse_epilogue);
    tcase_add_test(tc, test_op_docs);
    tcase_add_test(tc, test_registers);
    tcase_add_test(tc, test_no_alloc_in_loops);
    tcase_add_test(tc, test_kept_buffers);
    tcase_add_test(tc, test_nomem);
    tcase_add_test(tc, test_ops);
    tcase_add_test(tc, test_api_errors);
    tcase_add_test(tc, test_agg_fused_edges);
    tcase_add_loop_test(tc, test_sparse_mask, 0,
                        (int)(sizeof sparse_mask_src / sizeof sparse_mask_src[0]));
    tcase_add_test(tc, test_push_pull);
    tcase_add_test(tc, test_node_lanes);
    tcase_add_test(tc, test_link_rows);
    tcase_add_test(tc, test_zero_sums);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(plan_suite()); }
