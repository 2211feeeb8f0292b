/*
 * vm.c - the batched interpreter: gr_plan_run runs a whole plan in one
 * call (see plan.h for the design, plan_internal.h for the structures).
 *
 * Everything a run needs is allocated before the first instruction: the
 * scalar array, one buffer of n 8-byte elements per register, the loop
 * counters, the fused kernels' lane registers and fold partials, and the
 * mode tables of mode aggregations.  The loop over the instructions is one
 * switch; scalar element-wise instructions are evaluated inline through
 * ir/sem.h (the same functions and conversions as gr_k_ew, which runs the
 * vector ones), every other instruction calls a kernel of kernels.h or
 * fused_eval.c.  Nothing allocates inside the loop.
 *
 * Debug mode checks, before each instruction, that every slot it reads
 * has been written earlier in the run and, for a vector, that its register
 * still holds that slot's value (no other slot sharing the register wrote
 * it since): a register-allocation bug or a corrupted plan is reported as
 * GR_ERR_INTERNAL naming the instruction and the slot.  Debug mode also
 * fills fresh registers with 0xff bytes, so a stray read shows in results.
 *
 * Registers that a listed push writes keep a node list beside their buffer
 * (gr_prun.lst / nnz: the mask's true nodes, or unknown): LOOP_NEXT swaps
 * it with the buffer and every other write of the register forgets it, so
 * a list is only ever read while it describes the register's contents.
 *
 * Loops count like step mode: each execution of LOOP_NEXT is one
 * iteration (gr_result.iters); gr_result.ops counts the instructions
 * executed.
 *
 * Each op is documented beside its case in run_loop_impl in a fixed form,
 * "Op: NAME" then its semantics, which tests/check_plan.c reads back: every
 * op of gr_pop needs a doc block, a case and a golden plan using it.
 */
#include "config.h"
#include "engine/exec/plan_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ir/sem.h"
#include "engine/ir/types.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static const char *const pop_names[] = {
    "const", "param", "source", "ew", "reduce", "gather", "scatter", "link", "agg", "agg_fused",
    "fused", "copy", "loop_init", "loop_head", "loop_next", "print", "return"};

/* See plan_internal.h. */
const char *gr_pop_name(int op)
{
    if (op < 0 || op > GR_P_RETURN) {
        return "?";
    }
    return pop_names[op];
}

/* ---- scalar element-wise ---------------------------------------------------------- */

/* An operand of a scalar EW as the compute kind: an f64 slot holds .f,
 * every other .i (bools 0/1), converted as gr_k_ew converts. */
static inline double sc_f(const gr_kscalar *s, int isf) { return isf ? s->f : (double)s->i; }
static inline int64_t sc_i(const gr_kscalar *s, int isf) { return isf ? gr_f2i(s->f) : s->i; }
static inline int64_t sc_b(const gr_kscalar *s, int isf) { return isf ? s->f != 0 : s->i != 0; }

/* dst = op(a, b, c) on scalars, exactly as gr_k_ew computes one element:
 * operands converted to the compute kind, the op through gr_sem_*, the
 * result stored as the result's kind (f64 -> i64 by gr_f2i, anything ->
 * bool by != 0, a u8 compute result stored as 0/1 first).  Absent
 * operands read the zero scalar. */
static inline void ew_scalar(const gr_pinst *pi, gr_kscalar *S)
{
    const gr_kscalar *s0 = &S[pi->a[0]], *s1 = &S[pi->a[1]], *s2 = &S[pi->a[2]];
    const int f0 = pi->tk[0] == GR_EK_F64, f1 = pi->tk[1] == GR_EK_F64;
    const int f2 = pi->tk[2] == GR_EK_F64;
    gr_kscalar *d = &S[pi->dst];
    if (pi->cek == GR_EK_F64) {
        const double x = sc_f(s0, f0), y = sc_f(s1, f1), z = sc_f(s2, f2);
        double r;
        switch (pi->irop) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                             \
        case GR_OP_##ID:                                                            \
            r = gr_sem_f_##ID(x, y, z);                                             \
            break;
#include "gr_ops.def"
#undef OP
        default:
            r = 0.0;
            break;
        }
        if (pi->ok == GR_EK_F64) {
            d->f = r;
        } else if (pi->ok == GR_EK_U8) {
            d->i = r != 0;
        } else {
            d->i = gr_f2i(r);
        }
    } else {
        const int cb = pi->cek == GR_EK_U8;
        const int64_t x = cb ? sc_b(s0, f0) : sc_i(s0, f0), y = cb ? sc_b(s1, f1) : sc_i(s1, f1);
        const int64_t z = cb ? sc_b(s2, f2) : sc_i(s2, f2);
        int64_t r;
        switch (pi->irop) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                             \
        case GR_OP_##ID:                                                            \
            r = gr_sem_i_##ID(x, y, z);                                             \
            break;
#include "gr_ops.def"
#undef OP
        default:
            r = 0;
            break;
        }
        if (cb || pi->ok == GR_EK_U8) {
            r = r != 0;
        }
        if (pi->ok == GR_EK_F64) {
            d->f = (double)r;
        } else {
            d->i = r;
        }
    }
}

/* ---- vector helpers ------------------------------------------------------------------ */

/* Slot s as a kernel operand: a vector's buffer, or its scalar (bools read
 * from .i, as step mode reads them). */
static gr_kin kin_of(const gr_prun *r, int32_t s)
{
    const gr_pslot *sl = &r->plan->slots[s];
    gr_kin k;
    if (gr_type_is_vector(sl->type)) {
        k.p = r->R[sl->reg];
        k.ek = gr_k_kind(sl->type);
        k.scalar = 0;
    } else {
        k.p = &r->S[s];
        k.ek = gr_plan_rep(sl->type);
        k.scalar = 1;
    }
    return k;
}

/* Whether element i differs between a and b (kind ek) as unchanged() sees
 * it: f64 NaN equals NaN; bools compare as true/false. */
static inline int differs(const void *a, const void *b, gr_ek ek, size_t i)
{
    switch (ek) {
    case GR_EK_F64: {
        double x = ((const double *)a)[i], y = ((const double *)b)[i];
        return x != y && !(x != x && y != y);
    }
    case GR_EK_I64:
        return ((const int64_t *)a)[i] != ((const int64_t *)b)[i];
    default:
        return (((const uint8_t *)a)[i] != 0) != (((const uint8_t *)b)[i] != 0);
    }
}

#define CHANGED_BLOCK 4096

/* Whether any element of a and b differs (a deterministic boolean; blocks
 * in parallel, each stopping at its first difference). */
static int vec_changed(const gr_prun *r, const void *a, const void *b, gr_ek ek)
{
    long long nb = (long long)((r->n + CHANGED_BLOCK - 1) / CHANGED_BLOCK), bb;
    int any = 0;
    const int par = r->nt > 1 && r->n >= GR_K_PAR_MIN;
    (void)par;
#ifdef _OPENMP
#pragma omp parallel for num_threads(r->nt) schedule(static) reduction(|:any) if(par)
#endif
    for (bb = 0; bb < nb; bb++) {
        size_t i = (size_t)bb * CHANGED_BLOCK, e = i + CHANGED_BLOCK < r->n ? i + CHANGED_BLOCK
                                                                          : r->n;
        if (any) {
            continue;
        }
        for (; i < e; i++) {
            if (differs(a, b, ek, i)) {
                any = 1;
                break;
            }
        }
    }
    return any;
}

/* Whether scalar slots a (new) and b (old) of type t differ. */
static int scal_changed(const gr_kscalar *a, const gr_kscalar *b, gr_type t)
{
    if (t == GR_T_F64) {
        return differs(&a->f, &b->f, GR_EK_F64, 0);
    }
    if (t == GR_T_BOOL) {
        return (a->i != 0) != (b->i != 0);
    }
    return a->i != b->i;
}

/* ---- debug checks ------------------------------------------------------------------- */

static int dbg_fail(gr_prun *r, int32_t pc, int32_t s, const char *why)
{
    const gr_plan *pl = r->plan;
    return gr_err(r->err, GR_ERR_INTERNAL, "plan %s: instruction %d (%s) reads slot %s %s",
                  pl->name, (int)pc, gr_pop_name(pl->inst[pc].op),
                  s >= 0 && s < pl->nslots ? pl->slots[s].name : "(invalid)", why);
}

static int dbg_read(gr_prun *r, int32_t pc, int32_t s)
{
    const gr_plan *pl = r->plan;
    if (s < 0 || s >= pl->nslots) {
        return dbg_fail(r, pc, s, "that does not exist");
    }
    if (!r->written[s]) {
        return dbg_fail(r, pc, s, "before it is written");
    }
    if (gr_type_is_vector(pl->slots[s].type) && r->owner[pl->slots[s].reg] != s) {
        return dbg_fail(r, pc, s, "whose register another slot overwrote");
    }
    return GR_OK;
}

static void dbg_write(gr_prun *r, int32_t s)
{
    const gr_plan *pl = r->plan;
    if (s < 0 || s >= pl->nslots) {
        return;
    }
    r->written[s] = 1;
    if (gr_type_is_vector(pl->slots[s].type)) {
        r->owner[pl->slots[s].reg] = s;
    }
}

/* The inputs of kernel K (its slot lanes). */
static int dbg_ker_reads(gr_prun *r, int32_t pc, const gr_pker *K)
{
    int32_t k;
    int rc;
    for (k = 0; k < K->nlanes; k++) {
        if (K->lanes[k].kind == GR_LK_IN && (rc = dbg_read(r, pc, K->lanes[k].slot)) < 0) {
            return rc;
        }
    }
    return GR_OK;
}

/* Check what instruction pc reads. */
static int dbg_reads(gr_prun *r, int32_t pc)
{
    const gr_plan *pl = r->plan;
    const gr_pinst *pi = &pl->inst[pc];
    int32_t k;
    int rc;
    switch (pi->op) {
    case GR_P_CONST:
    case GR_P_PARAM:
    case GR_P_LOOP_HEAD:
        return GR_OK;
    case GR_P_FUSED:
        if (pi->aux < 0 || pi->aux >= pl->nkers) {
            return dbg_fail(r, pc, -1, "(bad kernel)");
        }
        return dbg_ker_reads(r, pc, &pl->kers[pi->aux]);
    case GR_P_AGG:
    case GR_P_AGG_FUSED: {
        const gr_pagg *A;
        if (pi->aux < 0 || pi->aux >= pl->naggs) {
            return dbg_fail(r, pc, -1, "(bad aggregation)");
        }
        A = &pl->aggs[pi->aux];
        if (A->msgker >= 0) {
            TRY(dbg_ker_reads(r, pc, &pl->kers[A->msgker]));
        } else if (A->edgeker >= 0) {
            TRY(dbg_ker_reads(r, pc, &pl->kers[A->edgeker]));
        } else {
            TRY(dbg_read(r, pc, pi->a[0]));
        }
        if (A->mask >= 0) {
            TRY(dbg_read(r, pc, pi->a[1]));
        }
        if (A->maskker >= 0) {
            TRY(dbg_ker_reads(r, pc, &pl->kers[A->maskker]));
        }
        if (A->epi >= 0) {
            TRY(dbg_ker_reads(r, pc, &pl->kers[A->epi]));
        }
        return GR_OK;
    }
    case GR_P_LOOP_NEXT: {
        const gr_ploop *lp = &pl->loops[pi->aux];
        for (k = 0; k < lp->ncarry; k++) {
            TRY(dbg_read(r, pc, lp->inner[k]));
            TRY(dbg_read(r, pc, lp->next[k]));
        }
        if (lp->expl >= 0) {
            TRY(dbg_read(r, pc, lp->expl));
        }
        if (lp->test_next >= 0 && lp->expl < 0) {
            TRY(dbg_read(r, pc, lp->test_next));
        }
        return GR_OK;
    }
    case GR_P_RETURN:
        for (k = 0; k < pl->nret; k++) {
            TRY(dbg_read(r, pc, pl->ret[k]));
        }
        return GR_OK;
    case GR_P_LINK:
        for (k = 0; k < pi->nargs; k++) {
            if (pi->aux & (GR_LINK_AGG << k)) {
                const gr_pagg *A;
                if (pi->a[k] < 0 || pi->a[k] >= pl->naggs) {
                    return dbg_fail(r, pc, -1, "(bad aggregation)");
                }
                A = &pl->aggs[pi->a[k]];
                TRY(dbg_read(r, pc, A->x));
                if (A->mask >= 0) {
                    TRY(dbg_read(r, pc, A->mask));
                }
            } else {
                TRY(dbg_read(r, pc, pi->a[k]));
            }
        }
        return GR_OK;
    default:
        for (k = 0; k < pi->nargs; k++) {
            TRY(dbg_read(r, pc, pi->a[k]));
        }
        return GR_OK;
    }
fail:
    return rc;
}

/* Call fn on every slot instruction pc writes (LOOP_NEXT hands its
 * values over itself). */
static void each_write(gr_prun *r, int32_t pc, void (*fn)(gr_prun *, int32_t))
{
    const gr_plan *pl = r->plan;
    const gr_pinst *pi = &pl->inst[pc];
    int32_t k;
    switch (pi->op) {
    case GR_P_FUSED:
        for (k = 0; k < pl->kers[pi->aux].nout; k++) {
            fn(r, pl->kers[pi->aux].out[k].slot);
        }
        return;
    case GR_P_AGG:
    case GR_P_AGG_FUSED: {
        const gr_pagg *A = &pl->aggs[pi->aux];
        if (A->msgker >= 0) {
            for (k = 0; k < pl->kers[A->msgker].nout; k++) {
                fn(r, pl->kers[A->msgker].out[k].slot);
            }
        }
        fn(r, A->conv);
        fn(r, A->tmp);
        fn(r, A->out);
        if (A->epi >= 0) {
            for (k = 0; k < pl->kers[A->epi].nout; k++) {
                fn(r, pl->kers[A->epi].out[k].slot);
            }
        }
        return;
    }
    case GR_P_LOOP_NEXT:
    case GR_P_LOOP_HEAD:
    case GR_P_LOOP_INIT:
    case GR_P_RETURN:
    case GR_P_PRINT:
        return;
    default:
        fn(r, pi->dst);
        return;
    }
}

/* Record what instruction pc wrote. */
static void dbg_writes(gr_prun *r, int32_t pc)
{
    each_write(r, pc, dbg_write);
}

/* Slot s is about to be written: its register's list no longer holds. */
static void forget_list(gr_prun *r, int32_t s)
{
    const gr_plan *pl = r->plan;
    if (s >= 0 && s < pl->nslots && pl->slots[s].reg >= 0) {
        r->nnz[pl->slots[s].reg] = -1;
    }
}

/* ---- instructions -------------------------------------------------------------------- */

static int bad_inst(gr_prun *r, int32_t pc, const char *why)
{
    return gr_err(r->err, GR_ERR_INTERNAL, "plan %s: instruction %d (%s): %s", r->plan->name,
                  (int)pc, gr_pop_name(r->plan->inst[pc].op), why);
}

/* PARAM: parameter k of the run (params or the defaults). */
static void run_param(gr_prun *r, const gr_params *ps, const gr_pinst *pi)
{
    const gr_plan *pl = r->plan;
    const int k = pi->aux;
    gr_kscalar *d = &r->S[pi->dst];
    switch (pl->ptype[k]) {
    case GR_T_F64:
        d->f = ps ? gr_params_f64(ps, k) : pl->pf[k];
        break;
    case GR_T_BOOL:
        d->i = ps ? gr_params_i64(ps, k) != 0 : pl->pi[k] != 0;
        break;
    default:
        d->i = ps ? gr_params_i64(ps, k) : pl->pi[k];
        break;
    }
}

/* SOURCE: node_count, edge_count, node_id, node_index, degrees, fill. */
static int run_source(gr_prun *r, int32_t pc, const gr_pinst *pi)
{
    const gr_graph *g = r->g;
    const gr_pslot *ds = &r->plan->slots[pi->dst];
    switch (pi->irop) {
    case GR_OP_NODE_COUNT:
        r->S[pi->dst].i = (int64_t)g->n;
        return GR_OK;
    case GR_OP_EDGE_COUNT:
        r->S[pi->dst].i = (int64_t)g->m;
        return GR_OK;
    case GR_OP_NODE_INDEX:
        gr_k_node_index(r->R[ds->reg], r->n, r->pol);
        return GR_OK;
    case GR_OP_NODE_ID:
        gr_k_node_id(g, r->R[ds->reg], r->pol);
        return GR_OK;
    case GR_OP_OUT_NBR:
        gr_k_out_nbr(g, r->S[pi->a[0]].i, r->R[ds->reg], r->pol);
        return GR_OK;
    case GR_OP_FILL: {
        const gr_kscalar *s = &r->S[pi->a[0]];
        const int isf = r->plan->slots[pi->a[0]].type == GR_T_F64;
        gr_ek rk = gr_k_kind(ds->type);
        union { double f; int64_t i; uint8_t b; } v;
        if (rk == GR_EK_F64) {
            v.f = isf ? s->f : (double)s->i;
        } else if (rk == GR_EK_I64) {
            v.i = s->i;
        } else {
            v.b = s->i != 0;
        }
        gr_k_fill(r->R[ds->reg], rk, &v, r->n, r->pol);
        return GR_OK;
    }
    default:
        if (gr_k_degree(g, (gr_opcode)pi->irop, r->R[ds->reg], r->pol) < 0) {
            return bad_inst(r, pc, "unknown source");
        }
        return GR_OK;
    }
}

static int run_link(gr_prun *r, const gr_pinst *pi)
{
    gr_klink x[3];
    gr_kagg J[3];
    int j, rc;
    for (j = 0; j < pi->nargs && j < 3; j++) {
        x[j].v = NULL;
        x[j].nbr = 0;
        x[j].agg = NULL;
        if (pi->aux & (GR_LINK_NBR << j)) {
            x[j].nbr = r->S[pi->a[j]].i;
        } else if (pi->aux & (GR_LINK_AGG << j)) {
            if ((rc = gr_fused_agg_job(r, &r->plan->aggs[pi->a[j]], &J[j])) < 0) {
                return rc;
            }
            x[j].agg = &J[j];
        } else {
            x[j].v = gr_prun_vec(r, pi->a[j]);
        }
    }
    gr_k_link(r->g, x, j, gr_prun_vec(r, pi->dst), r->n, r->pol);
    return GR_OK;
}

static int run_reduce(gr_prun *r, int32_t pc, const gr_pinst *pi)
{
    const gr_pslot *ds = &r->plan->slots[pi->dst];
    gr_kin a = kin_of(r, pi->a[0]);
    if (pi->irop == GR_OP_DIST_L1 || pi->irop == GR_OP_DIST_LINF) {
        gr_kin b = kin_of(r, pi->a[1]);
        r->S[pi->dst].f = gr_k_dist((gr_opcode)pi->irop, a.p, a.ek, b.p, b.ek, r->n, r->pol);
        return GR_OK;
    }
    if (gr_k_reduce((gr_opcode)pi->irop, a.p, a.ek, a.scalar ? 1 : r->n, gr_k_kind(ds->type),
                    &r->S[pi->dst], r->pol) < 0) {
        return bad_inst(r, pc, "unknown reduction");
    }
    return GR_OK;
}

static void run_copy(gr_prun *r, const gr_pinst *pi)
{
    const gr_pslot *ss = &r->plan->slots[pi->a[0]], *ds = &r->plan->slots[pi->dst];
    if (gr_type_is_vector(ds->type)) {
        gr_ek ek = gr_k_kind(ds->type);
        gr_k_convert(r->R[ss->reg], ek, r->R[ds->reg], ek, r->n, r->pol);
    } else {
        r->S[pi->dst] = r->S[pi->a[0]];
    }
}

static void run_print(gr_prun *r, const gr_pinst *pi)
{
    const gr_pslot *s = &r->plan->slots[pi->a[0]];
    if (gr_type_is_vector(s->type)) {
        gr_k_print(stderr, s->type, r->R[s->reg], r->n);
    } else if (s->type == GR_T_BOOL) {
        uint8_t b = r->S[pi->a[0]].i != 0;
        gr_k_print(stderr, s->type, &b, 1);
    } else {
        gr_k_print(stderr, s->type, &r->S[pi->a[0]], 1);
    }
    fflush(stderr);
}

/* LOOP_NEXT: count, test, carry.  *stop = 1 to leave the loop. */
static int loop_next(gr_prun *r, int32_t pc, const gr_pinst *pi, int *stop)
{
    const gr_plan *pl = r->plan;
    const gr_ploop *lp = &pl->loops[pi->aux];
    int32_t k;
    *stop = 0;
    r->lcount[pi->aux]++;
    if (lp->kind != GR_LOOP_REPEAT) {
        const int32_t old = lp->inner[lp->test];
        const gr_type t = pl->slots[old].type;
        const int vec = gr_type_is_vector(t);
        if (lp->expl >= 0) {
            const gr_kscalar *v = &r->S[lp->expl];
            const int isf = pl->slots[lp->expl].type == GR_T_F64;
            if (lp->kind == GR_LOOP_CONVERGED) {
                double dv = isf ? v->f : (double)v->i;
                *stop = vec ? dv < (double)r->n * r->ltol[pi->aux] : dv < r->ltol[pi->aux];
            } else {
                *stop = isf ? v->f == 0 : v->i == 0;
            }
        } else if (lp->kind == GR_LOOP_CONVERGED) {
            const int32_t nw = lp->test_next;
            if (vec) {
                gr_ek ek = gr_k_kind(t);
                double d = gr_k_dist(GR_OP_DIST_L1, r->R[pl->slots[nw].reg], ek,
                                     r->R[pl->slots[old].reg], ek, r->n, r->pol);
                *stop = d < gr_sem_f_MUL((double)r->n, r->ltol[pi->aux], 0);
            } else if (t == GR_T_F64) {
                *stop = gr_sem_f_ABS(gr_sem_f_SUB(r->S[nw].f, r->S[old].f, 0), 0, 0) <
                        r->ltol[pi->aux];
            } else {
                int64_t dd = gr_sem_i_ABS(gr_sem_i_SUB(r->S[nw].i, r->S[old].i, 0), 0, 0);
                *stop = (double)dd < r->ltol[pi->aux];
            }
        } else {
            const int32_t nw = lp->test_next;
            if (vec) {
                *stop = !vec_changed(r, r->R[pl->slots[nw].reg], r->R[pl->slots[old].reg],
                                     gr_k_kind(t));
            } else {
                *stop = !scal_changed(&r->S[nw], &r->S[old], t);
            }
        }
    }
    /* carry: scalars through their shadows (a yield may permute them),
     * vectors by swapping register buffers */
    for (k = 0; k < lp->ncarry; k++) {
        if (lp->shadow[k] >= 0) {
            r->S[lp->shadow[k]] = r->S[lp->next[k]];
        }
    }
    for (k = 0; k < lp->ncarry; k++) {
        const int32_t si = lp->inner[k], sn = lp->next[k];
        if (lp->shadow[k] >= 0) {
            r->S[si] = r->S[lp->shadow[k]];
        } else if (lp->carry[k] == GR_CARRY_SWAP) {
            int32_t ri = pl->slots[si].reg, rn = pl->slots[sn].reg;
            void *t = r->R[ri];
            if (ri == rn) {
                return bad_inst(r, pc, "carried and yielded values share a register");
            }
            r->R[ri] = r->R[rn];
            r->R[rn] = t;
            if (r->lst) { /* a register's list follows its buffer */
                uint32_t *tl = r->lst[ri];
                int64_t tn = r->nnz[ri];
                r->lst[ri] = r->lst[rn];
                r->lst[rn] = tl;
                r->nnz[ri] = r->nnz[rn];
                r->nnz[rn] = tn;
            }
            if (r->debug) {
                r->owner[ri] = si;
                r->owner[rn] = -1;
            }
        }
        if (r->debug) {
            r->written[si] = 1;
        }
    }
    return GR_OK;
}

/* ---- the run ------------------------------------------------------------------------ */

/* Whether returned slot k can take its register's buffer instead of a
 * copy: a vector whose register holds the output's element kind (f64, or
 * i64 for the integer types) and that no other returned slot shares. */
static int can_take(const gr_prun *r, int32_t k)
{
    const gr_plan *pl = r->plan;
    const gr_pslot *sl = &pl->slots[pl->ret[k]];
    const gr_ek want = gr_plan_rep(gr_type_elem(sl->type));
    int32_t j;
    if (!gr_type_is_vector(sl->type) || sl->reg < 0 || !r->R[sl->reg] ||
        gr_k_kind(sl->type) != want || r->n == 0) {
        return 0;
    }
    for (j = 0; j < pl->nret; j++) {
        if (j != k && pl->slots[pl->ret[j]].reg == sl->reg) {
            return 0;
        }
    }
    return 1;
}

/* The returned values into res, as step mode gives them: each returned
 * vector takes its register's buffer when it can (can_take; the run ends,
 * nothing else reads it), else a copy converted to the output's kind. */
static int collect(gr_prun *r, gr_result *res)
{
    const gr_plan *pl = r->plan;
    int32_t k;
    if (pl->nret > 0 && !(res->out = gr_calloc((size_t)pl->nret, sizeof *res->out))) {
        return gr_err_nomem(r->err, "results");
    }
    res->nout = pl->nret;
    for (k = 0; k < pl->nret; k++) {
        gr_output *o = &res->out[k];
        const int32_t s = pl->ret[k];
        const gr_pslot *sl = &pl->slots[s];
        int vec = gr_type_is_vector(sl->type);
        o->type = sl->type;
        o->len = vec ? r->n : 1;
        if (!(o->name = gr_strdup(pl->ret_names[k]))) {
            return gr_err_nomem(r->err, "results");
        }
        if (can_take(r, k)) {
            /* gr_free may release a gr_alloc_big buffer (mem.h) */
            if (gr_type_elem(o->type) == GR_T_F64) {
                o->f64 = r->R[sl->reg];
            } else {
                o->i64 = r->R[sl->reg];
            }
            r->R[sl->reg] = NULL;
        } else if (gr_type_elem(o->type) == GR_T_F64) {
            if (!(o->f64 = gr_malloc((o->len ? o->len : 1) * sizeof *o->f64))) {
                return gr_err_nomem(r->err, "results");
            }
            if (vec) {
                gr_k_convert(r->R[sl->reg], GR_EK_F64, o->f64, GR_EK_F64, o->len, r->pol);
            } else {
                o->f64[0] = r->S[s].f;
            }
        } else {
            if (!(o->i64 = gr_malloc((o->len ? o->len : 1) * sizeof *o->i64))) {
                return gr_err_nomem(r->err, "results");
            }
            if (vec) {
                gr_k_convert(r->R[sl->reg], gr_k_kind(sl->type), o->i64, GR_EK_I64, o->len,
                             r->pol);
            } else {
                o->i64[0] = r->S[s].i;
            }
        }
    }
    return GR_OK;
}

/* The mode-table slots per thread the plan's mode aggregations need on g. */
static size_t mode_slots(const gr_plan *pl, const gr_graph *g)
{
    size_t best = 0, conv, ms;
    int32_t k;
    for (k = 0; k < pl->naggs; k++) {
        const gr_pagg *A = &pl->aggs[k];
        if (A->mode) {
            gr_k_agg_scratch(g, (gr_dir)A->dir, (gr_monoid)A->mon, (gr_msg)A->msg, A->self,
                             (gr_ek)A->xek, &conv, &ms);
            best = ms > best ? ms : best;
        }
    }
    return best;
}

/* Free spare set sp of a plan with nregs registers. */
static void spare_free(gr_pspare *sp, int32_t nregs)
{
    int32_t k;
    if (!sp) {
        return;
    }
    for (k = 0; k < nregs; k++) {
        gr_free_big(sp->R[k]);
        if (sp->lst) {
            gr_free_big(sp->lst[k]);
        }
    }
    gr_free(sp->R);
    gr_free(sp->lst);
    gr_free_big(sp->mbuf);
    gr_free_big(sp->bits);
    gr_free_big(sp->mlab);
    gr_free_big(sp->loops);
    gr_free_big(sp->part);
    gr_free(sp);
}

/* See gr.h. */
void gr_plan_trim(gr_plan *plan)
{
    if (plan) {
        spare_free(__atomic_exchange_n(&plan->spare, NULL, __ATOMIC_ACQ_REL), plan->nregs);
    }
}

/* The plan's spare set when it has one for r's node count (the plan keeps
 * none meanwhile), else NULL (a set for another count is freed). */
static gr_pspare *spare_take(gr_prun *r)
{
    gr_plan *pl = (gr_plan *)(uintptr_t)r->plan; /* spare alone changes */
    gr_pspare *sp = __atomic_exchange_n(&pl->spare, NULL, __ATOMIC_ACQ_REL);
    if (sp && sp->n != r->n) {
        spare_free(sp, pl->nregs);
        sp = NULL;
    }
    return sp;
}

/* Exchange r's node-sized buffers with spare set sp's (nregs registers):
 * with one side empty, a move either way.  The lists only when both hold
 * a list array (a run makes its own in lists_setup, which adopts sp's). */
static void spare_swap(gr_prun *r, gr_pspare *sp, int32_t nregs)
{
    int32_t k;
    void *t;
#define SPARE_SWAP(a, b) (t = (void *)(a), (a) = (void *)(b), (b) = t)
    for (k = 0; k < nregs; k++) {
        if (r->R) {
            SPARE_SWAP(r->R[k], sp->R[k]);
        }
        if (r->lst && sp->lst) {
            SPARE_SWAP(r->lst[k], sp->lst[k]);
        }
    }
    SPARE_SWAP(r->mbuf, sp->mbuf);
    SPARE_SWAP(r->bits, sp->bits);
    SPARE_SWAP(r->mlab, sp->mlab);
    SPARE_SWAP(r->loops, sp->loops);
    SPARE_SWAP(r->part, sp->part);
#undef SPARE_SWAP
}

/* Move r's node-sized buffers into a spare set for the plan's next run;
 * they are freed instead when the plan has a set already (another run
 * returned first) or the set's own arrays cannot be allocated. */
static void spare_put(gr_prun *r)
{
    gr_plan *pl = (gr_plan *)(uintptr_t)r->plan;
    const size_t nreg = (size_t)(pl->nregs ? pl->nregs : 1);
    gr_pspare *sp = gr_calloc(1, sizeof *sp), *none = NULL;
    if (!sp || !(sp->R = gr_calloc(nreg, sizeof *sp->R)) ||
        (r->lst && !(sp->lst = gr_calloc(nreg, sizeof *sp->lst)))) {
        spare_free(sp, 0);
        return;
    }
    sp->n = r->n;
    spare_swap(r, sp, pl->nregs);
    if (!__atomic_compare_exchange_n(&pl->spare, &none, sp, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        spare_free(sp, pl->nregs);
    }
}

/* Free what r holds; its node-sized buffers go to the plan's spare set. */
static void run_release(gr_prun *r)
{
    int32_t k;
    spare_put(r);
    if (r->R) {
        for (k = 0; k < r->plan->nregs; k++) {
            gr_free_big(r->R[k]);
        }
    }
    gr_free(r->R);
    gr_free(r->S);
    gr_free(r->lcount);
    gr_free(r->lmax);
    gr_free(r->ltol);
    gr_free_big(r->lanes);
    gr_free(r->lptr);
    gr_free(r->kmsgs);
    gr_free(r->ectx);
    gr_free_big(r->ebuf);
    gr_free_big(r->part);
    gr_free(r->mkey);
    gr_free(r->mcnt);
    gr_free_big(r->mlab);
    gr_free_big(r->loops);
    gr_free_big(r->bits);
    if (r->lst) {
        for (k = 0; k < r->plan->nregs; k++) {
            gr_free_big(r->lst[k]);
        }
    }
    gr_free(r->lst);
    gr_free(r->nnz);
    gr_free_big(r->mbuf);
    gr_free(r->written);
    gr_free(r->owner);
}

/* The node lists of the registers a listed push writes (its result or
 * scratch) and, since LOOP_NEXT swaps lists with buffers, of the registers
 * they are swapped with; from spare set sp where it has them. */
static int lists_setup(gr_prun *r, gr_pspare *sp)
{
    const gr_plan *pl = r->plan;
    int32_t k, j, changed = 1, any = 0;
    uint8_t *want;
    if (pl->nregs == 0 || !(want = gr_calloc((size_t)pl->nregs, 1))) {
        return pl->nregs == 0 ? GR_OK : gr_err_nomem(r->err, "plan lists");
    }
    for (k = 0; k < pl->naggs; k++) {
        const gr_pagg *A = &pl->aggs[k];
        const int32_t s = A->out >= 0 ? A->out : A->tmp;
        if (gr_pagg_listable(A) && s >= 0) {
            want[pl->slots[s].reg] = 1;
            any = 1;
        }
    }
    while (changed && any) {
        changed = 0;
        for (k = 0; k < pl->nloops; k++) {
            const gr_ploop *lp = &pl->loops[k];
            for (j = 0; j < lp->ncarry; j++) {
                int32_t ri, rn;
                if (lp->shadow[j] >= 0 || lp->carry[j] != GR_CARRY_SWAP) {
                    continue;
                }
                ri = pl->slots[lp->inner[j]].reg;
                rn = pl->slots[lp->next[j]].reg;
                if (want[ri] != want[rn]) {
                    want[ri] = want[rn] = 1;
                    changed = 1;
                }
            }
        }
    }
    if (any) {
        r->lst = gr_calloc((size_t)pl->nregs, sizeof *r->lst);
        r->nnz = gr_malloc((size_t)pl->nregs * sizeof *r->nnz);
        if (!r->lst || !r->nnz) {
            gr_free(want);
            return gr_err_nomem(r->err, "plan lists");
        }
        for (k = 0; k < pl->nregs; k++) {
            r->nnz[k] = -1;
            if (want[k] && sp && sp->lst && sp->lst[k]) {
                r->lst[k] = sp->lst[k];
                sp->lst[k] = NULL;
            } else if (want[k] && !(r->lst[k] = gr_alloc_big(r->n ? r->n : 1, sizeof **r->lst))) {
                gr_free(want);
                return gr_err_nomem(r->err, "plan lists");
            }
        }
    }
    gr_free(want);
    return GR_OK;
}

static int run_alloc(gr_prun *r, gr_pspare *sp);

/* Allocate everything the run needs, the node-sized buffers from the
 * plan's spare set when it has one. */
static int run_setup(gr_prun *r)
{
    const gr_plan *pl = r->plan;
    const size_t nreg = (size_t)(pl->nregs ? pl->nregs : 1);
    const size_t nloop = (size_t)(pl->nloops ? pl->nloops : 1);
    gr_pspare *sp;
    int rc;

    r->S = gr_calloc((size_t)pl->nscalars + 1, sizeof *r->S);
    r->R = gr_calloc(nreg, sizeof *r->R);
    r->lcount = gr_calloc(nloop, sizeof *r->lcount);
    r->lmax = gr_calloc(nloop, sizeof *r->lmax);
    r->ltol = gr_calloc(nloop, sizeof *r->ltol);
    if (!r->S || !r->R || !r->lcount || !r->lmax || !r->ltol) {
        return gr_err_nomem(r->err, "plan run state");
    }
    /* the last run's buffers, where the plan kept them: every buffer is
     * written before it is read (the debug mode checks the registers) */
    if ((sp = spare_take(r)) != NULL) {
        spare_swap(r, sp, pl->nregs);
    }
    rc = run_alloc(r, sp);
    spare_free(sp, pl->nregs);
    return rc;
}

/* Allocate what the run needs and r does not hold yet; node lists from
 * spare set sp (or NULL). */
static int run_alloc(gr_prun *r, gr_pspare *sp)
{
    const gr_plan *pl = r->plan;
    const size_t n1 = r->n ? r->n : 1, nreg = (size_t)(pl->nregs ? pl->nregs : 1);
    int32_t k;

    for (k = 0; k < pl->nregs; k++) {
        if (!r->R[k] && !(r->R[k] = gr_alloc_big(n1, 8))) {
            return gr_err_nomem(r->err, "plan registers");
        }
        if (r->debug) {
            memset(r->R[k], 0xff, n1 * 8);
        }
    }
    if (pl->max_lanes > 0) {
        size_t nl = (size_t)r->nt * 2 * (size_t)pl->max_lanes;
        if (!(r->lanes = gr_alloc_big(nl * GR_LANE, 8)) ||
            !(r->lptr = gr_calloc(nl, sizeof *r->lptr))) {
            return gr_err_nomem(r->err, "plan lanes");
        }
    }
    if (pl->nedge > 0) { /* per thread: sources, receivers, weights, messages */
        const size_t per = (size_t)GR_LANE * (4 + 4 + 8 + 8);
        int t;
        if (!(r->kmsgs = gr_calloc((size_t)r->nt, sizeof *r->kmsgs)) ||
            !(r->ectx = gr_calloc((size_t)r->nt, 2 * sizeof(void *))) ||
            !(r->ebuf = gr_alloc_big((size_t)r->nt, per))) {
            return gr_err_nomem(r->err, "plan edge buffers");
        }
        for (t = 0; t < r->nt; t++) {
            char *b = r->ebuf + (size_t)t * per;
            r->kmsgs[t].w = (double *)(void *)b;
            r->kmsgs[t].msg = b + (size_t)GR_LANE * 8;
            r->kmsgs[t].src = (uint32_t *)(void *)(b + (size_t)GR_LANE * 16);
            r->kmsgs[t].dst = (uint32_t *)(void *)(b + (size_t)GR_LANE * 20);
            r->kmsgs[t].cap = GR_LANE;
        }
    }
    if (pl->max_folds > 0 && !r->part) {
        size_t nb = (r->n + GR_K_RED_BLOCK - 1) / GR_K_RED_BLOCK;
        if (!(r->part = gr_alloc_big((nb ? nb : 1) * (size_t)pl->max_folds, sizeof *r->part))) {
            return gr_err_nomem(r->err, "plan fold partials");
        }
    }
    r->mcap = mode_slots(pl, r->g);
    if (r->mcap) {
        size_t total;
        if (!gr_mul_ok(r->mcap, (size_t)r->nt, &total) ||
            !(r->mkey = gr_malloc(total * sizeof *r->mkey)) ||
            !(r->mcnt = gr_malloc(total * sizeof *r->mcnt)) ||
            (!r->mlab && !(r->mlab = gr_alloc_big(n1, sizeof *r->mlab))) ||
            (!r->loops && !(r->loops = gr_alloc_big(n1, sizeof *r->loops)))) {
            return gr_err_nomem(r->err, "mode tables");
        }
    }
    for (k = 0; k < pl->naggs && !r->bits; k++) {
        const gr_pagg *A = &pl->aggs[k];
        if (A->xek == GR_EK_U8 && A->edgeker < 0 && A->msgker < 0 &&
            !(r->bits = gr_alloc_big((n1 + 63) / 64, sizeof *r->bits))) {
            return gr_err_nomem(r->err, "plan aggregation bitmap");
        }
    }
    for (k = 0; k < pl->naggs && !r->mbuf; k++) {
        if (pl->aggs[k].maskker >= 0 && !(r->mbuf = gr_alloc_big(n1, 1))) {
            return gr_err_nomem(r->err, "plan mask");
        }
    }
    if ((k = lists_setup(r, sp)) < 0) {
        return k;
    }
    if (r->debug) {
        r->written = gr_calloc((size_t)(pl->nslots ? pl->nslots : 1), sizeof *r->written);
        r->owner = gr_malloc(nreg * sizeof *r->owner);
        if (!r->written || !r->owner) {
            return gr_err_nomem(r->err, "plan debug state");
        }
        for (k = 0; k < pl->nregs; k++) {
            r->owner[k] = -1;
        }
    }
    return GR_OK;
}

/* The instruction loop; debug and lists (whether registers may keep node
 * lists, r->nnz) are constants in each of its three copies, so a plan
 * without lists dispatches as before they existed. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int run_loop_impl(gr_prun *r, const gr_params *ps, gr_result *res, const int debug,
                                 const int lists)
{
    const gr_plan *pl = r->plan;
    const gr_pinst *code = pl->inst;
    gr_kscalar *S = r->S;
    const int32_t ninst = pl->ninst;
    int32_t pc = 0;
    int64_t ops = 0;
    int rc = GR_OK;

    while (pc < ninst) {
        const gr_pinst *pi = &code[pc];
        ops++;
        if (debug && (rc = dbg_reads(r, pc)) < 0) {
            break;
        }
        if (lists && r->nnz) { /* what this writes loses its list (a listed push sets its own) */
            each_write(r, pc, forget_list);
        }
        switch (pi->op) {
        /* Op: const
         * dst = imm: a constant of the slot's type (the prelude runs these once) */
        case GR_P_CONST:
            S[pi->dst] = pi->imm;
            pc++;
            break;
        /* Op: param
         * dst = the run's parameter aux (gr_params, or the program's default) */
        case GR_P_PARAM:
            run_param(r, ps, pi);
            pc++;
            break;
        /* Op: ew
         * dst = irop(a0, a1, a2) element by element (scalars broadcast): gr_k_ew for
         * vectors, inline through ir/sem.h with gr_k_ew's conversions for scalars */
        case GR_P_EW:
            if (pi->scalar) {
                ew_scalar(pi, S);
            } else {
                gr_kin in[3];
                int k;
                for (k = 0; k < pi->nargs; k++) {
                    in[k] = kin_of(r, pi->a[k]);
                }
                if (gr_k_ew((gr_opcode)pi->irop, (gr_ek)pi->cek, in, pi->nargs,
                            gr_prun_vec(r, pi->dst), gr_k_kind(pl->slots[pi->dst].type), r->n,
                            r->pol) < 0) {
                    rc = bad_inst(r, pc, "not element-wise");
                }
            }
            pc++;
            break;
        /* Op: source
         * dst = node_count | edge_count | node_id | node_index | degrees | fill(a0) */
        case GR_P_SOURCE:
            rc = run_source(r, pc, pi);
            pc++;
            break;
        /* Op: reduce
         * scalar dst = reduction irop of a0 (dist_l1 / dist_linf of a0, a1):
         * gr_k_reduce, gr_k_dist */
        case GR_P_REDUCE:
            rc = run_reduce(r, pc, pi);
            pc++;
            break;
        /* Op: gather
         * dst[v] = a0[a1[v]] (0 out of range): gr_k_gather */
        case GR_P_GATHER: {
            const gr_pslot *x = &pl->slots[pi->a[0]];
            gr_k_gather(r->R[x->reg], gr_k_kind(x->type), r->n, gr_prun_vec(r, pi->a[1]),
                        gr_prun_vec(r, pi->dst), gr_k_kind(pl->slots[pi->dst].type), r->n,
                        r->pol);
            pc++;
            break;
        }
        /* Op: scatter
         * dst = a0, then dst[a1[u]] = f(dst[a1[u]], a2[u]) in increasing u:
         * gr_k_scatter */
        case GR_P_SCATTER:
            if (gr_k_scatter((gr_opcode)pi->irop, kin_of(r, pi->a[0]), gr_prun_vec(r, pi->a[1]),
                             kin_of(r, pi->a[2]), gr_prun_vec(r, pi->dst),
                             gr_k_kind(pl->slots[pi->dst].type), r->n, r->pol) < 0) {
                rc = bad_inst(r, pc, "unknown scatter");
            }
            pc++;
            break;
        /* Op: link
         * dst = the components of the links u - a_j[u] of its 2 or 3 operands
         * (link(link(a0, a1), a2) is one instruction); an operand with its
         * GR_LINK_NBR bit in aux is out_nbr(scalar slot a_j), one with its
         * GR_LINK_AGG bit aggregation a_j, computed by the link: gr_k_link */
        case GR_P_LINK:
            rc = run_link(r, pi);
            pc++;
            break;
        /* Op: agg
         * dst = aggregation aux of a0 (receivers masked by a1), pushed or pulled,
         * and its epilogue kernel in the same pass: gr_fused_agg */
        case GR_P_AGG:
        /* Op: agg_fused
         * aggregation aux after its message kernel computed its x: gr_fused_agg */
        case GR_P_AGG_FUSED:
            rc = gr_fused_agg(r, &pl->aggs[pi->aux]);
            pc++;
            break;
        /* Op: fused
         * kernel aux over every node, lane by lane: maps into vector slots, folds into
         * scalar slots: gr_fused_run */
        case GR_P_FUSED:
            rc = gr_fused_run(r, &pl->kers[pi->aux]);
            pc++;
            break;
        /* Op: copy
         * dst = a0 (a vector's elements or a scalar) */
        case GR_P_COPY:
            run_copy(r, pi);
            pc++;
            break;
        /* Op: loop_init
         * loop aux: counter = 0, max_iter = a0, tol = a1 (read once per entry) */
        case GR_P_LOOP_INIT:
            r->lcount[pi->aux] = 0;
            r->lmax[pi->aux] = S[pi->a[0]].i;
            r->ltol[pi->aux] = pi->a[1] >= 0 ? S[pi->a[1]].f : 0.0;
            pc++;
            break;
        /* Op: loop_head
         * loop aux: if counter >= max_iter, jump to the exit */
        case GR_P_LOOP_HEAD:
            pc = r->lcount[pi->aux] >= r->lmax[pi->aux] ? pi->jump : pc + 1;
            break;
        /* Op: loop_next
         * loop aux: count the iteration, test (implicit, or the body's explicit
         * value), hand the yielded values over (swap vector buffers, copy scalars),
         * jump to the head, or to the exit when the test says stop */
        case GR_P_LOOP_NEXT: {
            int stop;
            rc = loop_next(r, pc, pi, &stop);
            res->iters++;
            pc = stop ? pl->loops[pi->aux].exit : pi->jump;
            break;
        }
        /* Op: print
         * write the one-line summary of a0 to stderr (gr_k_print) */
        case GR_P_PRINT:
            run_print(r, pi);
            pc++;
            break;
        /* Op: return
         * copy the returned slots into the result and stop */
        case GR_P_RETURN:
            res->ops = ops;
            return collect(r, res);
        default:
            rc = bad_inst(r, pc, "unknown instruction");
            break;
        }
        if (rc < 0) {
            break;
        }
        if (debug) {
            dbg_writes(r, (int32_t)(pi - code));
        }
    }
    if (rc == GR_OK) {
        rc = gr_err(r->err, GR_ERR_INTERNAL, "plan %s: ran off the end", pl->name);
    }
    return rc;
}

static int run_loop_debug(gr_prun *r, const gr_params *ps, gr_result *res)
{
    return run_loop_impl(r, ps, res, 1, 1);
}

static int run_loop(gr_prun *r, const gr_params *ps, gr_result *res)
{
    return run_loop_impl(r, ps, res, 0, 0);
}

static int run_loop_lists(gr_prun *r, const gr_params *ps, gr_result *res)
{
    return run_loop_impl(r, ps, res, 0, 1);
}

/* See gr.h.  params: from gr_params_new on the program the plan was
 * lowered from (or one with the same parameters); NULL for the defaults. */
int gr_plan_run(const gr_plan *plan, const gr_graph *g, const gr_params *params, int debug,
                gr_result *res, gr_error *err)
{
    gr_prun r;
    int rc;

    if (!res) {
        return gr_err(err, GR_ERR_INVALID, "gr_plan_run: result is NULL");
    }
    memset(res, 0, sizeof *res);
    if (!plan || !g) {
        return gr_err(err, GR_ERR_INVALID, "gr_plan_run: %s is NULL", plan ? "graph" : "plan");
    }
    memset(&r, 0, sizeof r);
    r.plan = plan;
    r.g = g;
    r.n = g->n;
    r.nt = gr_threads();
    if (r.nt < 1) {
        r.nt = 1;
    }
    r.pol.threads = r.nt;
    r.debug = debug != 0;
    r.err = err;
    TRY(run_setup(&r));
    TRY(r.debug  ? run_loop_debug(&r, params, res)
        : r.nnz ? run_loop_lists(&r, params, res)
                : run_loop(&r, params, res));
    rc = GR_OK;
fail:
    run_release(&r);
    if (rc != GR_OK) {
        gr_result_release(res);
    }
    return rc;
}

/* See gr.h. */
int gr_plan_size(const gr_plan *plan) { return plan ? plan->ninst : 0; }

/* See gr.h: the registers' buffers (n 8-byte elements each, masks use the
 * same buffers).  Lane registers, fold partials and mode tables do not
 * grow with n this way and are not counted. */
size_t gr_plan_buffer_bytes(const gr_plan *plan, uint32_t n)
{
    if (!plan) {
        return 0;
    }
    return (size_t)plan->nregs * (size_t)(n ? n : 1) * 8;
}
