/*
 * fused_eval.c - evaluation of the plan's fused kernels and aggregations
 * (gr_fused_run, gr_fused_agg; see plan.h and plan_internal.h).
 *
 * A kernel is a lane program: lanes are GR_LANE (256) elements of one kind;
 * an input lane reads a vector slot in place (no copy) or holds a scalar
 * broadcast once per block; each op is one gr_k_ew call over a lane (the
 * kernels every mode uses, so a fused kernel computes each element with the
 * same code and bits as the unfused ops would); map outputs are stored
 * after the lane's ops (so an output may share a register with an input
 * read in place), folds accumulate into one partial per GR_K_RED_BLOCK
 * (4096-node) block, in node order, exactly as gr_k_reduce's blocked
 * reductions do, and the partials are combined in block order: results do
 * not depend on the thread count.  Blocks run in parallel (OpenMP, dynamic
 * schedule), each thread with its own lane registers.
 *
 * An AGG_FUSED's message is computed per edge by its edge kernel (the
 * inputs gathered at the neighbours into edge lanes, the body's ops over
 * them, agg.c combining the messages per node in edge order,
 * gr_k_agg_rows_msg), or -- for self and mode aggregations, whose own
 * value is the message's node part -- by a message kernel that computes
 * that node part into a temporary vector first.  Then the aggregation
 * kernel of agg.c
 * prepared once (gr_k_agg_prepare, scratch from the run).  With an
 * epilogue the two are one pass: per lane of nodes, the aggregation rows
 * into a lane (or straight into the result's register when it has one),
 * then the epilogue's lane program on it -- unless the aggregation pays to
 * push (a sparse any/min input, GraphBLAS-style), which needs the whole
 * result first: then it is pushed into its register and the epilogue runs
 * after, reading it in place.
 */
#include "config.h"
#include "engine/exec/plan_internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"
#include "engine/ir/sem.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define AGG_PAR_EDGES 20000  /* an aggregation pass below n + m of this runs on one thread */

/* Fold accumulators (the kind a fold combines in). */
enum { FA_SUM_F, FA_MIN_F, FA_MAX_F, FA_SUM_I, FA_MIN_I, FA_MAX_I, FA_COUNT };

/* The accumulator of fold kind `fold` over elements of kind ek: gr_k_reduce's
 * choice (f64 and i64 sums, minima, maxima; everything else counts). */
static int fold_acc(int fold, gr_ek ek)
{
    switch (fold) {
    case GR_FOLD_SUM:
        return ek == GR_EK_F64 ? FA_SUM_F : ek == GR_EK_I64 ? FA_SUM_I : FA_COUNT;
    case GR_FOLD_MIN:
        return ek == GR_EK_F64 ? FA_MIN_F : ek == GR_EK_I64 ? FA_MIN_I : FA_COUNT;
    case GR_FOLD_MAX:
        return ek == GR_EK_F64 ? FA_MAX_F : ek == GR_EK_I64 ? FA_MAX_I : FA_COUNT;
    default:
        return FA_COUNT;
    }
}

static gr_kscalar fold_init(int fa)
{
    gr_kscalar s;
    switch (fa) {
    case FA_MIN_F: s.f = INFINITY; break;
    case FA_MAX_F: s.f = -INFINITY; break;
    case FA_SUM_F: s.f = 0.0; break;
    case FA_MIN_I: s.i = INT64_MAX; break;
    case FA_MAX_I: s.i = INT64_MIN; break;
    default: s.i = 0; break;
    }
    return s;
}

/* Accumulate len elements of kind ek at x into s, in index order. */
static void fold_lane(int fa, gr_kscalar *s, const void *x, gr_ek ek, size_t len)
{
    size_t i;
    switch (fa) {
    case FA_SUM_F: {
        const double *a = x;
        double acc = s->f;
        for (i = 0; i < len; i++) {
            acc += a[i];
        }
        s->f = acc;
        return;
    }
    case FA_MIN_F: {
        const double *a = x;
        double acc = s->f;
        for (i = 0; i < len; i++) {
            acc = gr_fmin(acc, a[i]);
        }
        s->f = acc;
        return;
    }
    case FA_MAX_F: {
        const double *a = x;
        double acc = s->f;
        for (i = 0; i < len; i++) {
            acc = gr_fmax(acc, a[i]);
        }
        s->f = acc;
        return;
    }
    case FA_SUM_I: {
        const int64_t *a = x;
        uint64_t acc = (uint64_t)s->i;
        for (i = 0; i < len; i++) {
            acc += (uint64_t)a[i];
        }
        s->i = (int64_t)acc;
        return;
    }
    case FA_MIN_I: {
        const int64_t *a = x;
        int64_t acc = s->i;
        for (i = 0; i < len; i++) {
            acc = a[i] < acc ? a[i] : acc;
        }
        s->i = acc;
        return;
    }
    case FA_MAX_I: {
        const int64_t *a = x;
        int64_t acc = s->i;
        for (i = 0; i < len; i++) {
            acc = a[i] > acc ? a[i] : acc;
        }
        s->i = acc;
        return;
    }
    default: {
        int64_t c = 0;
        if (ek == GR_EK_F64) {
            const double *a = x;
            for (i = 0; i < len; i++) {
                c += a[i] != 0;
            }
        } else if (ek == GR_EK_I64) {
            const int64_t *a = x;
            for (i = 0; i < len; i++) {
                c += a[i] != 0;
            }
        } else {
            const uint8_t *a = x;
            for (i = 0; i < len; i++) {
                c += a[i] != 0;
            }
        }
        s->i += c;
        return;
    }
    }
}

/* Combine block partials in block order and store the fold's result as
 * gr_k_reduce stores it (kind oek: f64 -> i64 by gr_f2i, bools 0/1). */
static void fold_finish(int fold, int fa, const gr_kscalar *part, size_t stride, size_t nb,
                        size_t n, gr_ek oek, gr_kscalar *out)
{
    gr_kscalar acc = fold_init(fa);
    int isf = 0;
    double fv = 0.0;
    int64_t iv = 0;
    size_t b;
    for (b = 0; b < nb; b++) {
        const gr_kscalar *p = &part[b * stride];
        switch (fa) {
        case FA_SUM_F: acc.f = acc.f + p->f; break;
        case FA_MIN_F: acc.f = gr_fmin(acc.f, p->f); break;
        case FA_MAX_F: acc.f = gr_fmax(acc.f, p->f); break;
        case FA_SUM_I: acc.i = gr_iadd(acc.i, p->i); break;
        case FA_MIN_I: acc.i = p->i < acc.i ? p->i : acc.i; break;
        case FA_MAX_I: acc.i = p->i > acc.i ? p->i : acc.i; break;
        default: acc.i += p->i; break;
        }
    }
    switch (fa) {
    case FA_SUM_F:
    case FA_MIN_F:
    case FA_MAX_F:
        isf = 1;
        fv = acc.f;
        break;
    case FA_COUNT:
        switch (fold) {
        case GR_FOLD_SUM: iv = oek == GR_EK_U8 ? acc.i != 0 : acc.i; break;
        case GR_FOLD_MAX:
        case GR_FOLD_ANY: iv = acc.i > 0; break;
        case GR_FOLD_MIN:
        case GR_FOLD_ALL: iv = (size_t)acc.i == n; break;
        default: iv = acc.i; break;
        }
        break;
    default:
        iv = acc.i;
        break;
    }
    if (isf) {
        if (oek == GR_EK_F64) {
            out->f = fv;
        } else if (oek == GR_EK_U8) {
            out->i = fv != 0;
        } else {
            out->i = gr_f2i(fv);
        }
    } else if (oek == GR_EK_F64) {
        out->f = (double)iv;
    } else if (oek == GR_EK_U8) {
        out->i = iv != 0;
    } else {
        out->i = iv;
    }
}

/* ---- lane ops ------------------------------------------------------------------------ */

static const double zero_lane[GR_LANE]; /* an absent operand reads zeros */

/* for each element of the lane: lanes never alias the result (ivdep) and
 * a full lane's loop has a constant trip count, so the compiler vectorizes
 * it at -O2. */
#if defined(__GNUC__) && !defined(__clang__)
#define LANE_IVDEP _Pragma("GCC ivdep")
#else
#define LANE_IVDEP
#endif
#define LANE_FOR(stmt)                                                          \
    do {                                                                        \
        if (len == GR_LANE) {                                                   \
            LANE_IVDEP                                                          \
            for (i = 0; i < GR_LANE; i++) {                                     \
                stmt;                                                           \
            }                                                                   \
        } else {                                                                \
            for (i = 0; i < len; i++) {                                         \
                stmt;                                                           \
            }                                                                   \
        }                                                                       \
    } while (0)

/* op over len elements of lanes whose kinds need no conversion: every
 * operand in the compute kind and the result in it too, or a comparison
 * (result u8), or where() with a u8 condition.  The loops are the ones
 * gr_k_ew runs for these kinds (the same gr_sem_* expressions and stores),
 * but over lanes that never alias the result, so the compiler vectorizes
 * them.  Returns 0 when the op needs gr_k_ew (conversions). */
static int lane_fast(const gr_plop *op, const gr_plane *lanes, void *const *lp, size_t len)
{
    const gr_ek cek = (gr_ek)op->cek, oek = (gr_ek)op->oek;
    const void *ap[3];
    int k, same = 1, where = op->irop == GR_OP_WHERE;
    size_t i;
    for (k = 0; k < 3; k++) {
        if (k < op->nargs) {
            gr_ek ek = (gr_ek)lanes[op->a[k]].ek;
            ap[k] = lp[op->a[k]];
            if (ek != cek && !(where && k == 0 && ek == GR_EK_U8)) {
                same = 0;
            }
        } else {
            ap[k] = zero_lane;
        }
    }
    if (!same || (oek != cek && oek != GR_EK_U8) || (where && oek != cek)) {
        return 0;
    }
    if (where && (gr_ek)lanes[op->a[0]].ek == GR_EK_U8 && cek != GR_EK_U8) {
        const uint8_t *restrict m = ap[0];
        if (cek == GR_EK_F64) {
            const double *restrict b = ap[1], *restrict c = ap[2];
            double *restrict r = lp[op->out];
            LANE_FOR(double bv = b[i]; double cv = c[i]; r[i] = m[i] != 0 ? bv : cv);
        } else {
            const int64_t *restrict b = ap[1], *restrict c = ap[2];
            int64_t *restrict r = lp[op->out];
            LANE_FOR(int64_t bv = b[i]; int64_t cv = c[i]; r[i] = m[i] != 0 ? bv : cv);
        }
        return 1;
    }
    switch (cek) {
    case GR_EK_F64: {
        const double *restrict a = ap[0], *restrict b = ap[1], *restrict c = ap[2];
        if (oek == GR_EK_F64) {
            double *restrict r = lp[op->out];
            switch (op->irop) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                             \
            case GR_OP_##ID:                                                        \
                LANE_FOR(r[i] = gr_sem_f_##ID(a[i], b[i], c[i]));                   \
                return 1;
#include "gr_ops.def"
#undef OP
            default:
                return 0;
            }
        } else {
            uint8_t *restrict r = lp[op->out];
            switch (op->irop) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                             \
            case GR_OP_##ID:                                                        \
                LANE_FOR(r[i] = gr_sem_f_##ID(a[i], b[i], c[i]) != 0);              \
                return 1;
#include "gr_ops.def"
#undef OP
            default:
                return 0;
            }
        }
    }
    case GR_EK_I64: {
        const int64_t *restrict a = ap[0], *restrict b = ap[1], *restrict c = ap[2];
        if (oek == GR_EK_I64) {
            int64_t *restrict r = lp[op->out];
            switch (op->irop) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                             \
            case GR_OP_##ID:                                                        \
                LANE_FOR(r[i] = gr_sem_i_##ID(a[i], b[i], c[i]));                   \
                return 1;
#include "gr_ops.def"
#undef OP
            default:
                return 0;
            }
        } else {
            uint8_t *restrict r = lp[op->out];
            switch (op->irop) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                             \
            case GR_OP_##ID:                                                        \
                LANE_FOR(r[i] = gr_sem_i_##ID(a[i], b[i], c[i]) != 0);              \
                return 1;
#include "gr_ops.def"
#undef OP
            default:
                return 0;
            }
        }
    }
    default: {
        const uint8_t *restrict a = ap[0], *restrict b = ap[1], *restrict c = ap[2];
        uint8_t *restrict r = lp[op->out];
        if (op->nargs > 1 && ap[1] == zero_lane) {
            return 0;
        }
        switch (op->irop) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                             \
        case GR_OP_##ID:                                                            \
            LANE_FOR(r[i] = gr_sem_i_##ID(a[i], b[i], c[i]) != 0);              \
            return 1;
#include "gr_ops.def"
#undef OP
        default:
            return 0;
        }
    }
    }
}

/* ---- one block ---------------------------------------------------------------------- */

typedef struct kjob {
    gr_prun *r;
    const gr_pker *K;
    const gr_kagg *J;        /* aggregate into the AGG lanes first, or NULL */
    char *aggbuf;            /* the aggregation's result vector (rows go there), or NULL */
    size_t aggsz;            /* its element size */
    gr_kmsgs *M;             /* [nt] per-edge messages (an edge kernel), or NULL */
} kjob;

/* Run kernel K on nodes [lo, hi) (one GR_K_RED_BLOCK block, b) on thread
 * tid. */
static void run_block(const kjob *jb, size_t b, size_t lo, size_t hi, int tid)
{
    gr_prun *r = jb->r;
    const gr_pker *K = jb->K;
    const gr_plan *pl = r->plan;
    const gr_kpol one = {1};
    char *mine = r->lanes + (size_t)tid * 2 * (size_t)pl->max_lanes * GR_LANE * 8;
    void **lp = r->lptr + (size_t)tid * 2 * (size_t)pl->max_lanes;
    gr_kscalar accs[64], *acc = accs;
    int fas[64];
    size_t base;
    int32_t j, k;

    /* broadcast lanes once per block */
    for (j = 0; j < K->nlanes; j++) {
        const gr_plane *ln = &K->lanes[j];
        lp[j] = mine + (size_t)j * GR_LANE * 8;
        if (ln->kind == GR_LK_IN && !gr_type_is_vector(pl->slots[ln->slot].type)) {
            const gr_kscalar *s = &r->S[ln->slot];
            const int isf = pl->slots[ln->slot].type == GR_T_F64;
            size_t i;
            switch (ln->ek) {
            case GR_EK_F64: {
                double v = isf ? s->f : (double)s->i, *d = lp[j];
                for (i = 0; i < GR_LANE; i++) {
                    d[i] = v;
                }
                break;
            }
            case GR_EK_I64: {
                int64_t v = isf ? gr_f2i(s->f) : s->i, *d = lp[j];
                for (i = 0; i < GR_LANE; i++) {
                    d[i] = v;
                }
                break;
            }
            default:
                memset(lp[j], isf ? s->f != 0 : s->i != 0, GR_LANE);
                break;
            }
        }
    }
    if (K->nfolds > 64) {
        acc = &r->part[b * (size_t)pl->max_folds]; /* accumulate in place */
    }
    for (k = 0; k < K->nout; k++) {
        const gr_pout *o = &K->out[k];
        if (o->fold != GR_FOLD_MAP) {
            int fa = fold_acc(o->fold, (gr_ek)K->lanes[o->lane].ek);
            if (o->part < 64) {
                fas[o->part] = fa;
            }
            acc[o->part] = fold_init(fa);
        }
    }

    for (base = lo; base < hi; base += GR_LANE) {
        size_t len = hi - base < GR_LANE ? hi - base : GR_LANE;
        /* lanes read in place, and the aggregation */
        for (j = 0; j < K->nlanes; j++) {
            const gr_plane *ln = &K->lanes[j];
            if (ln->kind == GR_LK_IN) {
                const gr_pslot *sl = &pl->slots[ln->slot];
                if (gr_type_is_vector(sl->type)) {
                    lp[j] = (char *)r->R[sl->reg] + base * gr_k_size((gr_ek)ln->ek);
                }
            } else if (ln->kind == GR_LK_TMP && ln->slot >= 0) {
                lp[j] = (char *)r->R[pl->slots[ln->slot].reg] +
                        base * gr_k_size((gr_ek)ln->ek);
            } else if (ln->kind == GR_LK_AGG) {
                if (jb->aggbuf) {
                    lp[j] = jb->aggbuf + base * jb->aggsz;
                } else {
                    lp[j] = mine + (size_t)j * GR_LANE * 8;
                }
            }
        }
        if (jb->J) {
            void *dst = NULL;
            for (j = 0; j < K->nlanes && !dst; j++) {
                if (K->lanes[j].kind == GR_LK_AGG) {
                    dst = lp[j];
                }
            }
            if (!dst) {
                dst = jb->aggbuf + base * jb->aggsz;
            }
            if (jb->M) {
                gr_k_agg_rows_msg(jb->J, (uint32_t)base, (uint32_t)(base + len), dst, tid,
                                  &jb->M[tid]);
            } else {
                gr_k_agg_rows(jb->J, (uint32_t)base, (uint32_t)(base + len), dst, tid);
            }
            /* every AGG lane reads the same result */
            for (j = 0; j < K->nlanes; j++) {
                if (K->lanes[j].kind == GR_LK_AGG && lp[j] != dst) {
                    memcpy(lp[j], dst, len * gr_k_size((gr_ek)K->lanes[j].ek));
                }
            }
        }
        /* the ops */
        for (k = 0; k < K->nops; k++) {
            const gr_plop *op = &K->ops[k];
            gr_kin in[3];
            int a;
            if (lane_fast(op, K->lanes, lp, len)) {
                continue;
            }
            for (a = 0; a < op->nargs; a++) {
                in[a].p = lp[op->a[a]];
                in[a].ek = (gr_ek)K->lanes[op->a[a]].ek;
                in[a].scalar = 0;
            }
            gr_k_ew((gr_opcode)op->irop, (gr_ek)op->cek, in, op->nargs, lp[op->out],
                    (gr_ek)op->oek, len, one);
        }
        /* folds, then maps */
        for (k = 0; k < K->nout; k++) {
            const gr_pout *o = &K->out[k];
            if (o->fold != GR_FOLD_MAP) {
                int fa = o->part < 64 ? fas[o->part]
                                      : fold_acc(o->fold, (gr_ek)K->lanes[o->lane].ek);
                fold_lane(fa, &acc[o->part], lp[o->lane], (gr_ek)K->lanes[o->lane].ek, len);
            }
        }
        for (k = 0; k < K->nout; k++) {
            const gr_pout *o = &K->out[k];
            if (o->fold == GR_FOLD_MAP) {
                size_t sz = gr_k_size((gr_ek)o->ek);
                char *dst = (char *)r->R[pl->slots[o->slot].reg] + base * sz;
                if (dst != lp[o->lane]) {
                    memmove(dst, lp[o->lane], len * sz);
                }
            }
        }
    }
    if (K->nfolds > 0 && acc == accs) {
        memcpy(&r->part[b * (size_t)pl->max_folds], accs, (size_t)K->nfolds * sizeof *accs);
    }
}

/* Run K over every node: blocks in parallel, then the folds combined. */
static void run_kernel(gr_prun *r, const gr_pker *K, const gr_kagg *J, void *aggbuf,
                       size_t aggsz, gr_kmsgs *M)
{
    const gr_plan *pl = r->plan;
    const size_t n = r->n, nb = (n + GR_K_RED_BLOCK - 1) / GR_K_RED_BLOCK;
    const int par = r->nt > 1 && nb > 1 &&
                    (J ? (uint64_t)n + r->g->m >= AGG_PAR_EDGES : n >= GR_K_PAR_MIN);
    kjob jb;
    int32_t k;

    jb.r = r;
    jb.K = K;
    jb.J = J;
    jb.aggbuf = aggbuf;
    jb.aggsz = aggsz;
    jb.M = M;
    if (par) {
#ifdef _OPENMP
        long long b;
#pragma omp parallel for num_threads(r->nt) schedule(dynamic, 1)
        for (b = 0; b < (long long)nb; b++) {
            size_t lo = (size_t)b * GR_K_RED_BLOCK;
            run_block(&jb, (size_t)b, lo, lo + GR_K_RED_BLOCK < n ? lo + GR_K_RED_BLOCK : n,
                      omp_get_thread_num());
        }
#endif
    } else {
        size_t b;
        for (b = 0; b < nb; b++) {
            size_t lo = b * GR_K_RED_BLOCK;
            run_block(&jb, b, lo, lo + GR_K_RED_BLOCK < n ? lo + GR_K_RED_BLOCK : n, 0);
        }
    }
    for (k = 0; k < K->nout; k++) {
        const gr_pout *o = &K->out[k];
        if (o->fold != GR_FOLD_MAP) {
            int fa = fold_acc(o->fold, (gr_ek)K->lanes[o->lane].ek);
            fold_finish(o->fold, fa, r->part + o->part, (size_t)pl->max_folds, nb, n,
                        (gr_ek)o->ek, &r->S[o->slot]);
        }
    }
}

/* See plan_internal.h. */
int gr_fused_run(gr_prun *r, const gr_pker *K)
{
    run_kernel(r, K, NULL, NULL, 0, NULL);
    return GR_OK;
}

/* ---- edge kernels ----------------------------------------------------------------------- */

/* The context of one thread's edge kernel. */
typedef struct ectx {
    gr_prun *r;
    const gr_pker *E;
} ectx;

/* gr_kmsg_fn of an edge kernel: the inputs gathered at the sources (the
 * kernel's vector lanes read at src[e], scalars broadcast, the weight
 * lane w itself), the body's ops over the count edges (gr_k_ew's code,
 * as for node lanes), the message lane into msg. */
static void edge_msgs(void *ctx, const uint32_t *src, const double *w, size_t count, void *msg,
                      int tid)
{
    const ectx *c = ctx;
    gr_prun *r = c->r;
    const gr_pker *E = c->E;
    const gr_plan *pl = r->plan;
    const gr_kpol one = {1};
    const size_t stride = (size_t)pl->max_lanes;
    char *mine = r->lanes + ((size_t)tid * 2 + 1) * stride * GR_LANE * 8;
    void **lp = r->lptr + ((size_t)tid * 2 + 1) * stride;
    const gr_pout *o = &E->out[0];
    size_t e;
    int32_t j, k;

    for (j = 0; j < E->nlanes; j++) {
        const gr_plane *ln = &E->lanes[j];
        lp[j] = mine + (size_t)j * GR_LANE * 8;
        if (ln->kind == GR_LK_W) {
            lp[j] = (void *)(uintptr_t)w;
        } else if (ln->kind == GR_LK_IN) {
            const gr_pslot *sl = &pl->slots[ln->slot];
            if (gr_type_is_vector(sl->type)) {
                const void *x = r->R[sl->reg];
                switch (ln->ek) {
                case GR_EK_F64: {
                    const double *xs = x;
                    double *d = lp[j];
                    for (e = 0; e < count; e++) {
                        d[e] = xs[src[e]];
                    }
                    break;
                }
                case GR_EK_I64: {
                    const int64_t *xs = x;
                    int64_t *d = lp[j];
                    for (e = 0; e < count; e++) {
                        d[e] = xs[src[e]];
                    }
                    break;
                }
                default: {
                    const uint8_t *xs = x;
                    uint8_t *d = lp[j];
                    for (e = 0; e < count; e++) {
                        d[e] = xs[src[e]];
                    }
                    break;
                }
                }
            } else {
                const gr_kscalar *sv = &r->S[ln->slot];
                const int isf = sl->type == GR_T_F64;
                switch (ln->ek) {
                case GR_EK_F64: {
                    double v = isf ? sv->f : (double)sv->i, *d = lp[j];
                    for (e = 0; e < count; e++) {
                        d[e] = v;
                    }
                    break;
                }
                case GR_EK_I64: {
                    int64_t v = isf ? gr_f2i(sv->f) : sv->i, *d = lp[j];
                    for (e = 0; e < count; e++) {
                        d[e] = v;
                    }
                    break;
                }
                default:
                    memset(lp[j], isf ? sv->f != 0 : sv->i != 0, count);
                    break;
                }
            }
        }
    }
    for (k = 0; k < E->nops; k++) {
        const gr_plop *op = &E->ops[k];
        gr_kin in[3];
        int a;
        if (lane_fast(op, E->lanes, lp, count)) {
            continue;
        }
        for (a = 0; a < op->nargs; a++) {
            in[a].p = lp[op->a[a]];
            in[a].ek = (gr_ek)E->lanes[op->a[a]].ek;
            in[a].scalar = 0;
        }
        gr_k_ew((gr_opcode)op->irop, (gr_ek)op->cek, in, op->nargs, lp[op->out], (gr_ek)op->oek,
                count, one);
    }
    memcpy(msg, lp[o->lane], count * gr_k_size((gr_ek)o->ek));
}

/* Every node's aggregation of per-edge messages into out (no epilogue). */
static void run_edges(gr_prun *r, const gr_kagg *J, void *out, size_t osz)
{
    const size_t n = r->n, nb = (n + GR_K_RED_BLOCK - 1) / GR_K_RED_BLOCK;
    const int par = r->nt > 1 && nb > 1 && (uint64_t)n + r->g->m >= AGG_PAR_EDGES;
    if (par) {
#ifdef _OPENMP
        long long b;
#pragma omp parallel for num_threads(r->nt) schedule(dynamic, 1)
        for (b = 0; b < (long long)nb; b++) {
            size_t lo = (size_t)b * GR_K_RED_BLOCK, hi = lo + GR_K_RED_BLOCK < n
                                                                 ? lo + GR_K_RED_BLOCK : n;
            int tid = omp_get_thread_num();
            gr_k_agg_rows_msg(J, (uint32_t)lo, (uint32_t)hi, (char *)out + lo * osz, tid,
                              &r->kmsgs[tid]);
        }
#endif
    } else if (n > 0) {
        gr_k_agg_rows_msg(J, 0, (uint32_t)n, out, 0, &r->kmsgs[0]);
    }
}

/* See plan_internal.h. */
int gr_fused_agg(gr_prun *r, const gr_pagg *A)
{
    const gr_plan *pl = r->plan;
    gr_kagg J;
    void *out = A->out >= 0 ? gr_prun_vec(r, A->out) : NULL;
    int rc;

    if (A->msgker >= 0) {
        run_kernel(r, &pl->kers[A->msgker], NULL, NULL, 0, NULL);
    }
    if (A->edgeker >= 0) {
        ectx *c = r->ectx;
        int t;
        for (t = 0; t < r->nt; t++) {
            c[t].r = r;
            c[t].E = &pl->kers[A->edgeker];
            r->kmsgs[t].fn = edge_msgs;
            r->kmsgs[t].ctx = &c[t];
        }
    }
    rc = gr_k_agg_prepare(&J, r->g, (gr_dir)A->dir, (gr_monoid)A->mon, (gr_msg)A->msg, A->self,
                          A->x >= 0 ? gr_prun_vec(r, A->x) : (void *)r->S, (gr_ek)A->xek,
                          A->mask >= 0 ? gr_prun_vec(r, A->mask) : NULL, (gr_ek)A->oek,
                          A->conv >= 0 ? gr_prun_vec(r, A->conv) : NULL, r->mkey, r->mcnt,
                          r->mcap, r->pol, r->err);
    if (rc < 0) {
        return rc;
    }
    if (A->mode && A->edgeker < 0) {
        gr_k_agg_narrow(&J, r->mlab, r->pol);
    }
    if (A->edgeker >= 0) { /* messages per edge: never pushed */
        if (A->epi < 0) {
            run_edges(r, &J, out, gr_k_size((gr_ek)A->oek));
        } else {
            run_kernel(r, &pl->kers[A->epi], &J, out, gr_k_size((gr_ek)A->oek), r->kmsgs);
        }
        return GR_OK;
    }
    if (A->epi < 0) {
        gr_k_agg_run(&J, out, -1, r->pol);
        return GR_OK;
    }
    {
        void *buf = out ? out : A->tmp >= 0 ? gr_prun_vec(r, A->tmp) : NULL;
        size_t osz = gr_k_size((gr_ek)A->oek);
        if (buf && gr_k_agg_push_pays(&J, r->pol)) {
            gr_k_agg_run(&J, buf, 1, r->pol);
            run_kernel(r, &pl->kers[A->epi], NULL, buf, osz, NULL);
        } else {
            run_kernel(r, &pl->kers[A->epi], &J, out, osz, NULL);
        }
    }
    return GR_OK;
}
