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
 *
 * Sparse vectors, as GraphBLAS keeps them: a push of any into a mask lists
 * the receivers it makes true (gr_k_agg_push_list) beside the bytes, the
 * list follows the register (vm.c), and the next push reads only the
 * listed senders' edges.  An epilogue lower.c marked sparse then runs on
 * the listed nodes alone (its lanes gathered there, its maps scattered
 * back, its folds adding their constant values at the skipped nodes), so
 * a sparse BFS level costs its frontier's edges, not n.  A mask computed
 * by a mask kernel is evaluated lane by lane inside a pull, and after a
 * push at the listed receivers only -- or over every node first when the
 * push reads many edges.  An aggregation masked by a listed mask, whose
 * epilogue lower.c marked GR_SPARSE_MASK, computes its rows and epilogue at
 * the listed nodes alone when they are few, after filling or copying its
 * map outputs' registers for the other nodes (skip_prefill).  A pulled
 * bool x is packed into bits first (gr_k_agg_pack).
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

/* The lane helpers shared by the dense block loop and the sparse runs are
 * inlined into each, so the dense loop compiles as one function. */
#if defined(__GNUC__)
#define FE_INLINE static inline __attribute__((always_inline))
#else
#define FE_INLINE static inline
#endif

#define AGG_PAR_EDGES 20000  /* an aggregation pass below n + m of this runs on one thread */
#define MASK_LAZY 4          /* a push masks its receivers one by one below n / this edges
                                (R-MAT 20 BFS level 2, 221702 edges: 2.3 ms with the mask
                                over every node first, 2.0 ms one by one) */
#define SPARSE_MASK_DIV 16   /* a listed mask's aggregation runs sparse up to n / this nodes */
#define LIST_CAP_DIV 8       /* a listed push stops listing beyond n / this receivers */
#define SORT_LIST_MIN 4096   /* a push's list is put in node order from this many receivers */

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

/* Accumulate len elements of kind ek at x into s, in index order.  A sum
 * skips runs of four +0.0 (sum(where(c, x, 0)) adds mostly those): a sum
 * from +0.0 is never -0.0 (only -0.0 + -0.0 gives -0.0 under round to
 * nearest), and any other acc plus +0.0 is acc, so the bits do not change. */
static void fold_lane(int fa, gr_kscalar *s, const void *x, gr_ek ek, size_t len)
{
    size_t i;
    switch (fa) {
    case FA_SUM_F: {
        const double *a = x;
        double acc = s->f;
        for (i = 0; i + 4 <= len; i += 4) { /* one chain, in order: unrolled */
            uint64_t w0, w1, w2, w3;
            memcpy(&w0, a + i, 8);
            memcpy(&w1, a + i + 1, 8);
            memcpy(&w2, a + i + 2, 8);
            memcpy(&w3, a + i + 3, 8);
            if ((w0 | w1 | w2 | w3) == 0) {
                continue; /* four +0.0: acc + +0.0 is acc (see above) */
            }
            acc += a[i];
            acc += a[i + 1];
            acc += a[i + 2];
            acc += a[i + 3];
        }
        for (; i < len; i++) {
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
 * it at -O2; a shorter lane (the last of a kernel's nodes) runs as chunks of
 * LANE_VEC elements, constant trip counts again, and a scalar tail. */
#if defined(__GNUC__) && !defined(__clang__)
#define LANE_IVDEP _Pragma("GCC ivdep")
#else
#define LANE_IVDEP
#endif
#define LANE_VEC 8
#define LANE_FOR(stmt)                                                          \
    do {                                                                        \
        if (len == GR_LANE) {                                                   \
            LANE_IVDEP                                                          \
            for (i = 0; i < GR_LANE; i++) {                                     \
                stmt;                                                           \
            }                                                                   \
        } else {                                                                \
            size_t i0_;                                                         \
            for (i0_ = 0; i0_ + LANE_VEC <= len; i0_ += LANE_VEC) {             \
                LANE_IVDEP                                                      \
                for (i = i0_; i < i0_ + LANE_VEC; i++) {                        \
                    stmt;                                                       \
                }                                                               \
            }                                                                   \
            for (i = i0_; i < len; i++) {                                       \
                stmt;                                                           \
            }                                                                   \
        }                                                                       \
    } while (0)

/* op over len elements of lanes whose kinds need no conversion: every
 * operand in the compute kind and the result in it too, or a comparison
 * (result u8), or where() with a u8 condition.  The loops are the ones
 * gr_k_ew runs for these kinds (the same gr_sem_* expressions and stores),
 * but over lanes that never alias the result, so the compiler vectorizes
 * them.  Returns 0 when the op needs gr_k_ew (conversions).  Where the
 * toolchain can (configure), lane_fast also has an AVX2 clone, chosen when
 * the library is loaded on a CPU that has AVX2: four f64 per instruction
 * instead of two.  Each element is still one IEEE operation of the same
 * expression (AVX2 has no FMA, and no contraction), so the bits do not
 * depend on the clone. */
#ifdef GR_HAVE_TARGET_CLONES
__attribute__((target_clones("avx2", "default")))
#endif
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

/* ---- lanes ------------------------------------------------------------------------- */

/* count elements of kind ek into d, each the scalar *sv (of slot type t)
 * converted as a broadcast lane converts it. */
FE_INLINE void fill_lane(void *d, gr_ek ek, const gr_kscalar *sv, gr_type t, size_t count)
{
    const int isf = t == GR_T_F64;
    size_t e;
    switch (ek) {
    case GR_EK_F64: {
        double v = isf ? sv->f : (double)sv->i, *o = d;
        for (e = 0; e < count; e++) {
            o[e] = v;
        }
        break;
    }
    case GR_EK_I64: {
        int64_t v = isf ? gr_f2i(sv->f) : sv->i, *o = d;
        for (e = 0; e < count; e++) {
            o[e] = v;
        }
        break;
    }
    default:
        memset(d, isf ? sv->f != 0 : sv->i != 0, count);
        break;
    }
}

/* d[e] = x[idx[e]] for count elements of kind ek (8-byte kinds copied as
 * bytes). */
static void gather_lane(void *d, const void *x, gr_ek ek, const uint32_t *idx, size_t count)
{
    size_t e;
    if (gr_k_size(ek) == 8) {
        const char *xs = x;
        char *o = d;
        for (e = 0; e < count; e++) {
            memcpy(o + 8 * e, xs + 8 * (size_t)idx[e], 8);
        }
    } else {
        const uint8_t *xs = x;
        uint8_t *o = d;
        for (e = 0; e < count; e++) {
            o[e] = xs[idx[e]];
        }
    }
}

/* x[idx[e]] = s[e] for count elements of kind ek. */
static void scatter_lane(void *x, const void *s, gr_ek ek, const uint32_t *idx, size_t count)
{
    size_t e;
    if (gr_k_size(ek) == 8) {
        const char *ss = s;
        char *xs = x;
        for (e = 0; e < count; e++) {
            memcpy(xs + 8 * (size_t)idx[e], ss + 8 * e, 8);
        }
    } else {
        const uint8_t *ss = s;
        uint8_t *xs = x;
        for (e = 0; e < count; e++) {
            xs[idx[e]] = ss[e];
        }
    }
}

/* K's ops over len elements of the lanes at lp (lane_fast, else gr_k_ew). */
FE_INLINE void run_ops(const gr_pker *K, void *const *lp, size_t len)
{
    const gr_kpol one = {1};
    int32_t k;
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
        gr_k_ew((gr_opcode)op->irop, (gr_ek)op->cek, in, op->nargs, lp[op->out], (gr_ek)op->oek,
                len, one);
    }
}

/* ---- one block ---------------------------------------------------------------------- */

/* The partial that skipped nodes (a sparse kernel's, where the aggregation
 * is false) add to fold accumulator fa: each holds rest (kind ek), as
 * sparse_epilogue.c proved; merged into *p. */
static void fold_rest(int fa, gr_kscalar rest, gr_ek ek, size_t skipped, gr_kscalar *p)
{
    if (skipped == 0) {
        return;
    }
    switch (fa) {
    case FA_SUM_I:
        p->i = (int64_t)((uint64_t)p->i + (uint64_t)rest.i * (uint64_t)skipped);
        break;
    case FA_MIN_I:
        p->i = rest.i < p->i ? rest.i : p->i;
        break;
    case FA_MAX_I:
        p->i = rest.i > p->i ? rest.i : p->i;
        break;
    case FA_COUNT:
        p->i += (ek == GR_EK_F64 ? rest.f != 0 : rest.i != 0) ? (int64_t)skipped : 0;
        break;
    default: /* f64 folds never run sparse (lower.c) */
        break;
    }
}


/* Whether the len bytes at p are all zero (a sparse kernel's aggregation
 * lane: the result of any). */
static int lane_false(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint64_t w, acc = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, b + i, 8);
        acc |= w;
    }
    for (; i < len; i++) {
        acc |= b[i];
    }
    return acc == 0;
}

/* K's folds over len elements of the lanes at lp into their partials acc
 * (fas: the accumulators of the first 64). */
FE_INLINE void folds_add(const gr_pker *K, void *const *lp, gr_kscalar *acc, const int *fas,
                      size_t len)
{
    int32_t k;
    for (k = 0; k < K->nout; k++) {
        const gr_pout *o = &K->out[k];
        if (o->fold != GR_FOLD_MAP) {
            int fa = o->part < 64 ? fas[o->part]
                                  : fold_acc(o->fold, (gr_ek)K->lanes[o->lane].ek);
            fold_lane(fa, &acc[o->part], lp[o->lane], (gr_ek)K->lanes[o->lane].ek, len);
        }
    }
}

typedef struct kjob {
    gr_prun *r;
    const gr_pker *K;
    const gr_kagg *J;        /* aggregate into the AGG lanes first, or NULL */
    char *aggbuf;            /* the aggregation's result vector (rows go there), or NULL */
    size_t aggsz;            /* its element size */
    gr_kmsgs *M;             /* [nt] per-edge messages (an edge kernel), or NULL */
    const uint32_t *idx;     /* a sparse run: the nodes, positions [lo, hi) of the block
                                indexing it (lanes gathered and maps scattered); NULL */
    const gr_pker *MK;       /* the aggregation's mask kernel (run per lane before J's
                                rows, in the thread's second lane area), or NULL */
} kjob;

/* A GR_LK_ID or GR_LK_INDEX lane (kind) of len nodes: base, base + 1, ...
 * (at NULL) or at[0 .. len): written into buf, or, for the original ids of
 * nodes in order, g's orig_id read in place (no kernel writes an input
 * lane).  The lane. */
static void *node_lane(const gr_graph *g, int kind, int64_t *buf, const uint32_t *at,
                       size_t base, size_t len)
{
    const int64_t *id = kind == GR_LK_ID ? g->orig_id : NULL;
    size_t e;
    if (id && !at) {
        return (void *)(uintptr_t)(id + base);
    }
    for (e = 0; e < len; e++) {
        const size_t v = at ? at[e] : base + e;
        buf[e] = id ? id[v] : (int64_t)v;
    }
    return buf;
}

/* The lanes of mask kernel MK on thread tid (the second half of its lane
 * area, which only edge kernels use otherwise): pointers set, broadcast
 * lanes filled. */
static void **mask_lanes(gr_prun *r, const gr_pker *MK, int tid)
{
    const gr_plan *pl = r->plan;
    const size_t stride = (size_t)pl->max_lanes;
    char *mine = r->lanes + ((size_t)tid * 2 + 1) * stride * GR_LANE * 8;
    void **lp = r->lptr + ((size_t)tid * 2 + 1) * stride;
    int32_t j;
    for (j = 0; j < MK->nlanes; j++) {
        const gr_plane *ln = &MK->lanes[j];
        lp[j] = mine + (size_t)j * GR_LANE * 8;
        if (ln->kind == GR_LK_IN && !gr_type_is_vector(pl->slots[ln->slot].type)) {
            fill_lane(lp[j], (gr_ek)ln->ek, &r->S[ln->slot], pl->slots[ln->slot].type, GR_LANE);
        }
    }
    return lp;
}

/* The mask of nodes [base, base + len) by mask kernel MK over its lanes lp
 * (mask_lanes): its vector lanes read in place, its ops run; the mask
 * lane. */
static const uint8_t *mask_at(gr_prun *r, const gr_pker *MK, void **lp, size_t base,
                              size_t len)
{
    const gr_plan *pl = r->plan;
    int32_t j;
    for (j = 0; j < MK->nlanes; j++) {
        const gr_plane *ln = &MK->lanes[j];
        if (ln->kind == GR_LK_IN && gr_type_is_vector(pl->slots[ln->slot].type)) {
            lp[j] = (char *)r->R[pl->slots[ln->slot].reg] + base * gr_k_size((gr_ek)ln->ek);
        }
    }
    run_ops(MK, lp, len);
    return lp[MK->out[0].lane];
}

/* Run kernel K on nodes [lo, hi) (one GR_K_RED_BLOCK block, b) on thread
 * tid, or, for a sparse run, on nodes idx[lo .. hi). */
static void run_block(const kjob *jb, size_t b, size_t lo, size_t hi, int tid)
{
    gr_prun *r = jb->r;
    const gr_pker *K = jb->K;
    const gr_plan *pl = r->plan;
    char *mine = r->lanes + (size_t)tid * 2 * (size_t)pl->max_lanes * GR_LANE * 8;
    void **lp = r->lptr + (size_t)tid * 2 * (size_t)pl->max_lanes;
    void **mlp = jb->MK ? mask_lanes(r, jb->MK, tid) : NULL;
    gr_kscalar accs[64], *acc = accs;
    int fas[64];
    size_t base;
    int32_t j, k;

    /* broadcast lanes once per block */
    for (j = 0; j < K->nlanes; j++) {
        const gr_plane *ln = &K->lanes[j];
        lp[j] = mine + (size_t)j * GR_LANE * 8;
        if (ln->kind == GR_LK_IN && !gr_type_is_vector(pl->slots[ln->slot].type)) {
            fill_lane(lp[j], (gr_ek)ln->ek, &r->S[ln->slot], pl->slots[ln->slot].type, GR_LANE);
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
        if (jb->idx) { /* lanes gathered at the nodes, maps scattered back */
            const uint32_t *at = jb->idx + base;
            for (j = 0; j < K->nlanes; j++) {
                const gr_plane *ln = &K->lanes[j];
                if (ln->kind == GR_LK_IN && gr_type_is_vector(pl->slots[ln->slot].type)) {
                    gather_lane(lp[j], r->R[pl->slots[ln->slot].reg], (gr_ek)ln->ek, at, len);
                } else if (ln->kind == GR_LK_AGG && jb->aggbuf) {
                    gather_lane(lp[j], jb->aggbuf, (gr_ek)ln->ek, at, len);
                } else if (ln->kind == GR_LK_ID || ln->kind == GR_LK_INDEX) {
                    node_lane(r->g, ln->kind, lp[j], at, 0, len);
                } else if (ln->kind == GR_LK_AGG) { /* the listed receivers' rows */
                    const size_t sz = gr_k_size((gr_ek)ln->ek);
                    size_t e;
                    for (e = 0; e < len; e++) {
                        gr_k_agg_rows(jb->J, at[e], at[e] + 1, (char *)lp[j] + e * sz, tid);
                    }
                }
            }
            run_ops(K, lp, len);
            folds_add(K, lp, acc, fas, len);
            for (k = 0; k < K->nout; k++) {
                const gr_pout *o = &K->out[k];
                if (o->fold == GR_FOLD_MAP) {
                    scatter_lane(r->R[pl->slots[o->slot].reg], lp[o->lane], (gr_ek)o->ek, at,
                                 len);
                }
            }
            continue;
        }
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
            } else if (ln->kind == GR_LK_ID || ln->kind == GR_LK_INDEX) {
                int64_t *own = (int64_t *)(void *)(mine + (size_t)j * GR_LANE * 8);
                lp[j] = node_lane(r->g, ln->kind, own, NULL, base, len);
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
            } else if (jb->MK) { /* the mask of these receivers first */
                gr_k_agg_rows_mask(jb->J, (uint32_t)base, (uint32_t)(base + len), dst, tid,
                                   mask_at(r, jb->MK, mlp, base, len));
            } else {
                gr_k_agg_rows(jb->J, (uint32_t)base, (uint32_t)(base + len), dst, tid);
            }
            if (K->sparse == GR_SPARSE_PUSH && lane_false(dst, len)) {
                /* the aggregation false all along: every map output is what
                 * its register holds, every fold's lane its rest */
                for (k = 0; k < K->nout; k++) {
                    const gr_pout *o = &K->out[k];
                    if (o->fold != GR_FOLD_MAP) {
                        int fa = o->part < 64 ? fas[o->part]
                                              : fold_acc(o->fold, (gr_ek)K->lanes[o->lane].ek);
                        fold_rest(fa, o->rest, (gr_ek)K->lanes[o->lane].ek, len, &acc[o->part]);
                    }
                }
                continue;
            }
            /* every AGG lane reads the same result */
            for (j = 0; j < K->nlanes; j++) {
                if (K->lanes[j].kind == GR_LK_AGG && lp[j] != dst) {
                    memcpy(lp[j], dst, len * gr_k_size((gr_ek)K->lanes[j].ek));
                }
            }
        }
        run_ops(K, lp, len);
        /* folds, then maps */
        folds_add(K, lp, acc, fas, len);
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

/* y[i] = x[i] for len elements, every NaN made the canonical NaN (NAN, as
 * gr_fmin returns it), on the bits: a 64-bit compare and select per element,
 * in chunks of LANE_VEC that vectorize (with the AVX2 clone, where built). */
#ifdef GR_HAVE_TARGET_CLONES
__attribute__((target_clones("avx2", "default")))
#endif
static void canon_copy(double *restrict y, const double *restrict x, size_t len)
{
    const double cn = NAN;
    const uint64_t abs = 0x7fffffffffffffffULL, inf = 0x7ff0000000000000ULL;
    uint64_t nanb, b;
    size_t i = 0, j;
    memcpy(&nanb, &cn, sizeof nanb);
#define CANON_AT(k)                                                             \
    do {                                                                        \
        memcpy(&b, &x[k], sizeof b);                                            \
        b = (b & abs) > inf ? nanb : b;                                         \
        memcpy(&y[k], &b, sizeof b);                                            \
    } while (0)
    for (; i + LANE_VEC <= len; i += LANE_VEC) {
        LANE_IVDEP
        for (j = 0; j < LANE_VEC; j++) {
            CANON_AT(i + j);
        }
    }
    for (; i < len; i++) {
        CANON_AT(i);
    }
#undef CANON_AT
}

/* Before a GR_SPARSE_MASK kernel runs on listed nodes only: each map
 * output's register gets its value at the other nodes (gr_pout.skip),
 * filled with a constant or copied from an input's register, over every
 * node (the listed ones are written again by the kernel). */
static void skip_prefill(gr_prun *r, const gr_pker *K)
{
    const gr_plan *pl = r->plan;
    const size_t n = r->n, chunk = 65536, nch = (n + chunk - 1) / chunk;
    int32_t k;
    for (k = 0; k < K->nout; k++) {
        const gr_pout *o = &K->out[k];
        const gr_ek ek = (gr_ek)o->ek;
        const size_t sz = gr_k_size(ek);
        char *dst;
        const char *src = NULL;
        long long c;
        if (o->fold != GR_FOLD_MAP || o->skip == GR_SKIP_KEEP) {
            continue;
        }
        dst = r->R[pl->slots[o->slot].reg];
        if (o->skip != GR_SKIP_FILL) {
            src = r->R[pl->slots[K->lanes[o->skipsrc].slot].reg];
        }
#ifdef _OPENMP
#pragma omp parallel for num_threads(r->nt) schedule(static) if (r->nt > 1 && n >= GR_K_PAR_MIN)
#endif
        for (c = 0; c < (long long)nch; c++) {
            const size_t lo = (size_t)c * chunk, len = n - lo < chunk ? n - lo : chunk;
            if (o->skip == GR_SKIP_FILL) {
                fill_lane(dst + lo * sz, ek, &o->rest, ek == GR_EK_F64 ? GR_T_F64 : GR_T_I64,
                          len);
            } else if (o->skip == GR_SKIP_COPY) {
                memcpy(dst + lo * sz, src + lo * sz, len * sz);
            } else { /* GR_SKIP_CANON: f64, a NaN as gr_fmin leaves it */
                canon_copy((double *)(void *)dst + lo, (const double *)(const void *)src + lo,
                           len);
            }
        }
    }
}

/* Run K over every node -- or, with idx, over the cnt nodes idx lists
 * (K->sparse: the others keep their map outputs and add their constant
 * fold values) -- blocks in parallel, then the folds combined. */
static void run_kernel(gr_prun *r, const gr_pker *K, const gr_kagg *J, const gr_pker *MK,
                       void *aggbuf, size_t aggsz, gr_kmsgs *M, const uint32_t *idx,
                       size_t cnt)
{
    const gr_plan *pl = r->plan;
    const size_t n = idx ? cnt : r->n, nb1 = (n + GR_K_RED_BLOCK - 1) / GR_K_RED_BLOCK;
    const size_t nb = idx && nb1 == 0 ? 1 : nb1; /* a sparse run keeps one partial */
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
    jb.idx = idx;
    jb.MK = MK;
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
            if (idx) {
                fold_rest(fa, o->rest, (gr_ek)K->lanes[o->lane].ek, r->n - cnt,
                          r->part + o->part);
            }
            fold_finish(o->fold, fa, r->part + o->part, (size_t)pl->max_folds, nb, r->n,
                        (gr_ek)o->ek, &r->S[o->slot]);
        }
    }
}

/* See plan_internal.h. */
int gr_fused_run(gr_prun *r, const gr_pker *K)
{
    run_kernel(r, K, NULL, NULL, NULL, 0, NULL, NULL, 0);
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
    const size_t stride = (size_t)pl->max_lanes;
    char *mine = r->lanes + ((size_t)tid * 2 + 1) * stride * GR_LANE * 8;
    void **lp = r->lptr + ((size_t)tid * 2 + 1) * stride;
    const gr_pout *o = &E->out[0];
    int32_t j;

    for (j = 0; j < E->nlanes; j++) {
        const gr_plane *ln = &E->lanes[j];
        lp[j] = mine + (size_t)j * GR_LANE * 8;
        if (ln->kind == GR_LK_W) {
            lp[j] = (void *)(uintptr_t)w;
        } else if (ln->kind == GR_LK_IN) {
            const gr_pslot *sl = &pl->slots[ln->slot];
            if (gr_type_is_vector(sl->type)) {
                gather_lane(lp[j], r->R[sl->reg], (gr_ek)ln->ek, src, count);
            } else {
                fill_lane(lp[j], (gr_ek)ln->ek, &r->S[ln->slot], sl->type, count);
            }
        }
    }
    run_ops(E, lp, count);
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

/* The mask of mask kernel MK at every node into r->mbuf (blocks in
 * parallel). */
static void mask_dense(gr_prun *r, const gr_pker *MK)
{
    const size_t n = r->n, nb = (n + GR_K_RED_BLOCK - 1) / GR_K_RED_BLOCK;
    const int par = r->nt > 1 && nb > 1 && n >= GR_K_PAR_MIN;
    long long b;
    (void)par;
#ifdef _OPENMP
#pragma omp parallel for num_threads(r->nt) schedule(static) if(par)
#endif
    for (b = 0; b < (long long)nb; b++) {
#ifdef _OPENMP
        void **lp = mask_lanes(r, MK, omp_get_thread_num());
#else
        void **lp = mask_lanes(r, MK, 0);
#endif
        size_t base, lo = (size_t)b * GR_K_RED_BLOCK;
        size_t hi = lo + GR_K_RED_BLOCK < n ? lo + GR_K_RED_BLOCK : n;
        for (base = lo; base < hi; base += GR_LANE) {
            const size_t len = hi - base < GR_LANE ? hi - base : GR_LANE;
            memcpy(r->mbuf + base, mask_at(r, MK, lp, base, len), len);
        }
    }
}

/* The mask of mask kernel MK at the cnt receivers lst lists (a push made
 * without it): those it masks off get false in buf and leave the list,
 * which keeps its order.  Returns the receivers left. */
static size_t mask_list(gr_prun *r, const gr_pker *MK, uint8_t *buf, uint32_t *lst, size_t cnt)
{
    const gr_plan *pl = r->plan;
    void **lp = mask_lanes(r, MK, 0);
    size_t base, kept = 0;
    int32_t j;
    for (base = 0; base < cnt; base += GR_LANE) {
        const size_t len = cnt - base < GR_LANE ? cnt - base : GR_LANE;
        const uint32_t *at = lst + base;
        const uint8_t *m;
        size_t e;
        for (j = 0; j < MK->nlanes; j++) {
            const gr_plane *ln = &MK->lanes[j];
            if (ln->kind == GR_LK_IN && gr_type_is_vector(pl->slots[ln->slot].type)) {
                gather_lane(lp[j], r->R[pl->slots[ln->slot].reg], (gr_ek)ln->ek, at, len);
            }
        }
        run_ops(MK, lp, len);
        m = lp[MK->out[0].lane];
        for (e = 0; e < len; e++) {
            const uint32_t v = at[e];
            if (m[e]) {
                lst[kept++] = v; /* kept <= base + e: nothing unread is overwritten */
            } else {
                buf[v] = 0;
            }
        }
    }
    return kept;
}

/* The register of aggregation A's mask when A runs on the mask's listed
 * nodes alone -- its epilogue may (GR_SPARSE_MASK), the mask register has a
 * list, and the list holds at most 1 / SPARSE_MASK_DIV of the nodes (else
 * the dense pass, which reads every input in order, costs less than the
 * gathers) -- or -1. */
static int32_t on_mask_list(const gr_prun *r, const gr_pagg *A)
{
    const gr_plan *pl = r->plan;
    int32_t mreg;
    if (A->epi < 0 || pl->kers[A->epi].sparse != GR_SPARSE_MASK || A->mask < 0 || !r->nnz ||
        !r->lst) {
        return -1;
    }
    mreg = pl->slots[A->mask].reg;
    return mreg >= 0 && r->lst[mreg] && r->nnz[mreg] >= 0 &&
                   (size_t)r->nnz[mreg] <= r->n / SPARSE_MASK_DIV
               ? mreg
               : -1;
}

/* See plan_internal.h. */
int gr_fused_agg_job(gr_prun *r, const gr_pagg *A, gr_kagg *J)
{
    return gr_k_agg_prepare(J, r->g, (gr_dir)A->dir, (gr_monoid)A->mon, (gr_msg)A->msg, A->self,
                            A->x >= 0 ? gr_prun_vec(r, A->x) : (void *)r->S, (gr_ek)A->xek,
                            A->mask >= 0 ? gr_prun_vec(r, A->mask) : NULL, (gr_ek)A->oek,
                            A->conv >= 0 ? gr_prun_vec(r, A->conv) : NULL, r->mkey, r->mcnt,
                            r->mcap, r->pol, r->err);
}

/* See plan_internal.h. */
int gr_fused_agg(gr_prun *r, const gr_pagg *A)
{
    const gr_plan *pl = r->plan;
    gr_kagg J;
    void *out = A->out >= 0 ? gr_prun_vec(r, A->out) : NULL;
    int32_t mreg;
    int rc, push;

    if (A->msgker >= 0) {
        run_kernel(r, &pl->kers[A->msgker], NULL, NULL, NULL, 0, NULL, NULL, 0);
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
    rc = gr_fused_agg_job(r, A, &J);
    if (rc < 0) {
        return rc;
    }
    if (A->mode && A->edgeker < 0) {
        /* the self-loop flags serve the narrowed mode alone */
        if (gr_k_agg_narrow(&J, r->mlab, &r->mbase, &r->mbase_set, r->pol) &&
            A->dir == GR_DIR_BOTH) {
            if (!r->loops_set) { /* once per run: the graph does not change */
                gr_graph_self_loops(r->g, r->loops);
                r->loops_set = 1;
            }
            J.loops = r->loops;
        }
    }
    if (A->edgeker >= 0) { /* messages per edge: never pushed */
        if (A->epi < 0) {
            run_edges(r, &J, out, gr_k_size((gr_ek)A->oek));
        } else {
            run_kernel(r, &pl->kers[A->epi], &J, NULL, out, gr_k_size((gr_ek)A->oek), r->kmsgs,
                       NULL, 0);
        }
        return GR_OK;
    }
    if ((mreg = on_mask_list(r, A)) >= 0) {
        /* masked by a listed mask: rows and epilogue at the listed receivers
         * alone, the other nodes' outputs filled or copied first */
        skip_prefill(r, &pl->kers[A->epi]);
        run_kernel(r, &pl->kers[A->epi], &J, NULL, NULL, gr_k_size((gr_ek)A->oek), NULL,
                   r->lst[mreg], (size_t)r->nnz[mreg]);
        return GR_OK;
    }
    if (r->nnz && A->mon == GR_MON_ANY && A->xek == GR_EK_U8 && A->x >= 0 &&
        pl->slots[A->x].reg >= 0 && r->nnz[pl->slots[A->x].reg] >= 0) {
        J.xlist = r->lst[pl->slots[A->x].reg]; /* x's non-zeros, listed by a push */
        J.xnnz = (size_t)r->nnz[pl->slots[A->x].reg];
    }
    {
        void *buf = out ? out : A->tmp >= 0 ? gr_prun_vec(r, A->tmp) : NULL;
        const int32_t breg = out ? pl->slots[A->out].reg : A->tmp >= 0 ? pl->slots[A->tmp].reg
                                                                         : -1;
        const gr_pker *E = A->epi >= 0 ? &pl->kers[A->epi] : NULL;
        const gr_pker *MK = A->maskker >= 0 ? &pl->kers[A->maskker] : NULL;
        const int listed = buf && r->lst && r->lst[breg] && gr_k_agg_can_push_list(&J);
        size_t osz = gr_k_size((gr_ek)A->oek);
        uint64_t edges = UINT64_MAX;
        /* a mask kernel runs per lane of a pull, or on the list of a push
         * (lower.c makes both possible) */
        J.mask_later = MK != NULL;
        push = (!MK || (listed && E)) && gr_k_agg_push_cost(&J, r->pol, &edges);
        if (!push) {
            gr_k_agg_pack(&J, r->bits, r->pol);
        }
        if (push && listed) {
            /* the true receivers listed: the epilogue may run on them alone.
             * A mask kernel masks the receivers the push lists, unless the
             * push reads many edges: then the mask over every node, a
             * sequential pass, costs less than reading each receiver's
             * inputs at random */
            const int lazy = MK && edges < r->n / MASK_LAZY;
            size_t cnt;
            if (MK && !lazy) {
                mask_dense(r, MK);
                J.mask = r->mbuf;
            }
            /* a lazy mask needs the list (its receivers are fewer than
             * its edges, below n / MASK_LAZY) */
            cnt = gr_k_agg_push_list(&J, buf, r->lst[breg], lazy ? r->n : r->n / LIST_CAP_DIV,
                                     r->pol);
            if (lazy) {
                cnt = mask_list(r, MK, buf, r->lst[breg], cnt);
            }
            if (cnt != SIZE_MAX && cnt >= SORT_LIST_MIN) {
                /* listed again in node order, from the bytes: whoever runs
                 * on the list then reads rows and vectors in address order,
                 * as a dense pass does (the push lists its receivers in the
                 * order its edges reach them) */
                cnt = gr_k_list_true(buf, r->n, r->lst[breg]);
            }
            r->nnz[breg] = cnt == SIZE_MAX ? -1 : (int64_t)cnt;
            if (E) {
                const int sparse = E->sparse == GR_SPARSE_PUSH && cnt != SIZE_MAX;
                run_kernel(r, E, NULL, NULL, buf, osz, NULL, sparse ? r->lst[breg] : NULL,
                           sparse ? cnt : 0);
            }
        } else if (!E) {
            gr_k_agg_run(&J, out, push, r->pol);
        } else if (buf && push) {
            gr_k_agg_run(&J, buf, 1, r->pol);
            run_kernel(r, E, NULL, NULL, buf, osz, NULL, NULL, 0);
        } else {
            run_kernel(r, E, &J, MK, out, osz, NULL, NULL, 0);
        }
    }
    return GR_OK;
}
