/*
 * kernels.c - the whole-vector kernels of every execution mode (see
 * kernels.h): element-wise ops, conversions, sources, gather/scatter,
 * reductions and print.  Neighbour aggregation lives in agg.c.
 *
 * Element-wise ops are generated from gr_ops.def: one function per op
 * holds the tight loops for each (compute kind, output kind) pair and calls
 * the op's gr_sem_* function per element; gr_k_ew picks the op's function
 * once (a switch outside the element loop) and feeds it chunks of
 * EW_CHUNK elements.  A vector operand already in the compute kind is read
 * in place; a scalar is broadcast into a chunk buffer once; an operand of
 * another kind is converted chunk by chunk (i64 -> f64 on the fly), so no
 * temporary vector is ever allocated.  Large vectors are split across
 * threads in whole chunks; element-wise results do not depend on how.
 */
#include "config.h"
#include "engine/exec/kernels.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "engine/ir/sem.h"
#include "engine/ir/types.h"

#ifdef _OPENMP
#include <omp.h>
#define K_PRAGMA(x) _Pragma(#x)
#define K_OMP(x) K_PRAGMA(omp x)
#else
#define K_OMP(x)
#endif

/* for (i = 0; i < n; i++) { body } on nt threads, or plainly when nt <= 1:
 * an OpenMP region with a false if() clause still costs a team fork, which
 * is most of a step call on a small graph.  clauses: extra OpenMP clauses
 * (a reduction), or nothing. */
#define K_PAR_FOR(nt, clauses, i, n, ...)                                        \
    do {                                                                          \
        if ((nt) > 1) {                                                           \
            K_OMP(parallel for num_threads(nt) schedule(static) clauses)          \
            for (i = 0; i < (n); i++) {                                           \
                __VA_ARGS__                                                       \
            }                                                                     \
        } else {                                                                  \
            for (i = 0; i < (n); i++) {                                           \
                __VA_ARGS__                                                       \
            }                                                                     \
        }                                                                         \
    } while (0)

#define EW_CHUNK 512            /* elements per element-wise chunk */
#define EW_SMALL 16             /* up to this many: small buffers */
#define EW_PAR_BLOCK (16 * EW_CHUNK) /* elements per parallel work item */
#define RED_GROUP 256           /* block partials kept on the stack at once */

/* ---- helpers --------------------------------------------------------- */

/* Threads to use for work of n elements that pays off from `min` up. */
static int k_threads(gr_kpol pol, size_t n, size_t min)
{
#ifdef _OPENMP
    int t;
    if (n < min || pol.threads == 1) {
        return 1;
    }
    t = pol.threads > 0 ? pol.threads : omp_get_max_threads();
    return t > 1 ? t : 1;
#else
    (void)pol;
    (void)n;
    (void)min;
    return 1;
#endif
}

/* Element i of p (kind ek) as f64 / i64 / bool. */
static inline double ld_f(const void *p, gr_ek ek, size_t i)
{
    switch (ek) {
    case GR_EK_F64: return ((const double *)p)[i];
    case GR_EK_I64: return (double)((const int64_t *)p)[i];
    default: return (double)((const uint8_t *)p)[i];
    }
}

static inline int64_t ld_i(const void *p, gr_ek ek, size_t i)
{
    switch (ek) {
    case GR_EK_F64: return gr_f2i(((const double *)p)[i]);
    case GR_EK_I64: return ((const int64_t *)p)[i];
    default: return ((const uint8_t *)p)[i];
    }
}

static inline int ld_nz(const void *p, gr_ek ek, size_t i)
{
    switch (ek) {
    case GR_EK_F64: return ((const double *)p)[i] != 0;
    case GR_EK_I64: return ((const int64_t *)p)[i] != 0;
    default: return ((const uint8_t *)p)[i] != 0;
    }
}

/* Convert n elements, no threads.  src and dst may be equal only when the
 * kinds are (then nothing is done). */
static void conv_range(const void *src, gr_ek sek, void *dst, gr_ek dek, size_t n)
{
    size_t i;
    if (sek == dek) {
        if (src != dst) {
            memmove(dst, src, n * gr_k_size(sek));
        }
        return;
    }
    switch (sek * 3 + dek) {
    case GR_EK_F64 * 3 + GR_EK_I64: {
        const double *s = src;
        int64_t *d = dst;
        for (i = 0; i < n; i++) {
            d[i] = gr_f2i(s[i]);
        }
        break;
    }
    case GR_EK_F64 * 3 + GR_EK_U8: {
        const double *s = src;
        uint8_t *d = dst;
        for (i = 0; i < n; i++) {
            d[i] = s[i] != 0;
        }
        break;
    }
    case GR_EK_I64 * 3 + GR_EK_F64: {
        const int64_t *s = src;
        double *d = dst;
        for (i = 0; i < n; i++) {
            d[i] = (double)s[i];
        }
        break;
    }
    case GR_EK_I64 * 3 + GR_EK_U8: {
        const int64_t *s = src;
        uint8_t *d = dst;
        for (i = 0; i < n; i++) {
            d[i] = s[i] != 0;
        }
        break;
    }
    case GR_EK_U8 * 3 + GR_EK_F64: {
        const uint8_t *s = src;
        double *d = dst;
        for (i = 0; i < n; i++) {
            d[i] = s[i];
        }
        break;
    }
    default: { /* u8 -> i64 */
        const uint8_t *s = src;
        int64_t *d = dst;
        for (i = 0; i < n; i++) {
            d[i] = s[i];
        }
        break;
    }
    }
}

/* See kernels.h: n elements converted between kinds; threads for large n. */
void gr_k_convert(const void *src, gr_ek sek, void *dst, gr_ek dek, size_t n,
                  gr_kpol pol)
{
    int nt = k_threads(pol, n, GR_K_PAR_MIN);
    long long nb, b;
    if (nt <= 1) {
        conv_range(src, sek, dst, dek, n);
        return;
    }
    nb = (long long)((n + EW_PAR_BLOCK - 1) / EW_PAR_BLOCK);
    K_OMP(parallel for num_threads(nt) schedule(static))
    for (b = 0; b < nb; b++) {
        size_t lo = (size_t)b * EW_PAR_BLOCK, hi = lo + EW_PAR_BLOCK < n ? lo + EW_PAR_BLOCK : n;
        conv_range((const char *)src + lo * gr_k_size(sek), sek,
                   (char *)dst + lo * gr_k_size(dek), dek, hi - lo);
    }
}

/* ---- element-wise ops ------------------------------------------------ */

/* See kernels.h: the compute kind, from the op's typing rule (sig). */
gr_ek gr_k_ew_compute(gr_opcode op, const gr_ek *in, int nargs)
{
    int k, anyf = 0;
    if ((unsigned)op >= GR_OP__COUNT) {
        return GR_EK_F64;
    }
    switch (gr_op_info(op)->sig) {
    case GR_SIG_FLT1:
    case GR_SIG_FLT2:
    case GR_SIG_TOF64:
        return GR_EK_F64;
    case GR_SIG_LOG1:
    case GR_SIG_LOG2:
        return GR_EK_U8;
    case GR_SIG_TOI64:
    case GR_SIG_TOBOOL:
        return nargs > 0 ? in[0] : GR_EK_F64;
    case GR_SIG_WHERE: {
        /* the condition does not take part in the promotion */
        int anyi = 0;
        for (k = 1; k < nargs; k++) {
            anyf |= in[k] == GR_EK_F64;
            anyi |= in[k] == GR_EK_I64;
        }
        return anyf ? GR_EK_F64 : anyi ? GR_EK_I64 : GR_EK_U8;
    }
    default:
        break;
    }
    for (k = 0; k < nargs; k++) {
        anyf |= in[k] == GR_EK_F64;
    }
    return anyf ? GR_EK_F64 : GR_EK_I64;
}

typedef union ew_buf {
    double f[EW_CHUNK];
    int64_t i[EW_CHUNK];
    uint8_t b[EW_CHUNK];
} ew_buf;

/* The operand an op does not have: reads as zeros. */
static const ew_buf ew_zero;

/* One op's loops over a chunk: ap[0..2] hold len elements of kind cek;
 * results are stored as oek.  Supported pairs: f64 -> f64/u8/i64,
 * i64 -> i64/u8, u8 -> u8 (others go through a natural-kind temporary). */
typedef void (*ew_fn)(gr_ek cek, gr_ek oek, const void *const *ap, void *o, size_t len);

static int ew_direct(gr_ek cek, gr_ek oek)
{
    return cek == oek || oek == GR_EK_U8 || (cek == GR_EK_F64 && oek == GR_EK_I64);
}

#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                                 \
    static void ew_##ID(gr_ek cek, gr_ek oek, const void *const *ap, void *o, size_t len) \
    {                                                                                   \
        size_t i;                                                                       \
        if (cek == GR_EK_F64) {                                                         \
            const double *a = ap[0], *b = ap[1], *c = ap[2];                            \
            if (oek == GR_EK_F64) {                                                     \
                double *r = o;                                                          \
                for (i = 0; i < len; i++) {                                             \
                    r[i] = gr_sem_f_##ID(a[i], b[i], c[i]);                             \
                }                                                                       \
            } else if (oek == GR_EK_U8) {                                               \
                uint8_t *r = o;                                                         \
                for (i = 0; i < len; i++) {                                             \
                    r[i] = gr_sem_f_##ID(a[i], b[i], c[i]) != 0;                        \
                }                                                                       \
            } else {                                                                    \
                int64_t *r = o;                                                         \
                for (i = 0; i < len; i++) {                                             \
                    r[i] = gr_f2i(gr_sem_f_##ID(a[i], b[i], c[i]));                     \
                }                                                                       \
            }                                                                           \
        } else if (cek == GR_EK_I64) {                                                  \
            const int64_t *a = ap[0], *b = ap[1], *c = ap[2];                           \
            if (oek == GR_EK_I64) {                                                     \
                int64_t *r = o;                                                         \
                for (i = 0; i < len; i++) {                                             \
                    r[i] = gr_sem_i_##ID(a[i], b[i], c[i]);                             \
                }                                                                       \
            } else {                                                                    \
                uint8_t *r = o;                                                         \
                for (i = 0; i < len; i++) {                                             \
                    r[i] = gr_sem_i_##ID(a[i], b[i], c[i]) != 0;                        \
                }                                                                       \
            }                                                                           \
        } else {                                                                        \
            const uint8_t *a = ap[0], *b = ap[1], *c = ap[2];                           \
            uint8_t *r = o;                                                             \
            for (i = 0; i < len; i++) {                                                 \
                r[i] = gr_sem_i_##ID(a[i], b[i], c[i]) != 0;                            \
            }                                                                           \
        }                                                                               \
    }
#include "gr_ops.def"
#undef OP

/* The loops of op, or NULL when op is not element-wise. */
static ew_fn ew_pick(gr_opcode op)
{
    switch (op) {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc)                                 \
    case GR_OP_##ID:                                                                    \
        return ((flags) & GR_F_EW) ? ew_##ID : (ew_fn)0;
#include "gr_ops.def"
#undef OP
    default:
        return NULL;
    }
}

/* Run fn over elements [lo, hi) in chunks of `chunk` elements, with four
 * buffers of chunk 8-byte elements at bufs (three operands and the
 * output; 8-byte aligned). */
static void ew_run(ew_fn fn, gr_ek cek, const gr_kin *in, int nargs, void *out, gr_ek oek,
                   size_t lo, size_t hi, void *bufs, size_t chunk)
{
    const void *ap[3];
    void *buf[4];
    int mode[3]; /* 0 fixed (scalar or absent), 1 in place, 2 convert */
    const size_t csz = gr_k_size(cek), osz = gr_k_size(oek);
    const size_t first = hi - lo < chunk ? hi - lo : chunk;
    const int direct = ew_direct(cek, oek);
    size_t base;
    int k;

    for (k = 0; k < 4; k++) {
        buf[k] = (char *)bufs + (size_t)k * chunk * sizeof(double);
    }
    for (k = 0; k < 3; k++) {
        mode[k] = 0;
        if (k >= nargs) {
            ap[k] = &ew_zero;
        } else if (in[k].scalar) {
            size_t i;
            ap[k] = buf[k];
            switch (cek) {
            case GR_EK_F64: {
                double v = ld_f(in[k].p, in[k].ek, 0), *d = buf[k];
                for (i = 0; i < first; i++) {
                    d[i] = v;
                }
                break;
            }
            case GR_EK_I64: {
                int64_t v = ld_i(in[k].p, in[k].ek, 0), *d = buf[k];
                for (i = 0; i < first; i++) {
                    d[i] = v;
                }
                break;
            }
            default:
                memset(buf[k], ld_nz(in[k].p, in[k].ek, 0), first);
                break;
            }
        } else {
            mode[k] = in[k].ek == cek ? 1 : 2;
        }
    }
    for (base = lo; base < hi; base += chunk) {
        size_t len = hi - base < chunk ? hi - base : chunk;
        void *o = (char *)out + base * osz;
        for (k = 0; k < nargs; k++) {
            if (mode[k] == 1) {
                ap[k] = (const char *)in[k].p + base * csz;
            } else if (mode[k] == 2) {
                conv_range((const char *)in[k].p + base * gr_k_size(in[k].ek), in[k].ek,
                           buf[k], cek, len);
                ap[k] = buf[k];
            }
        }
        if (direct) {
            fn(cek, oek, ap, o, len);
        } else {
            fn(cek, cek, ap, buf[3], len);
            conv_range(buf[3], cek, o, oek, len);
        }
    }
}

/* Elements [lo, hi) with full-size chunk buffers on the stack. */
static void ew_range(ew_fn fn, gr_ek cek, const gr_kin *in, int nargs, void *out,
                     gr_ek oek, size_t lo, size_t hi)
{
    double bufs[4][EW_CHUNK];
    ew_run(fn, cek, in, nargs, out, oek, lo, hi, bufs, EW_CHUNK);
}

/* n <= EW_SMALL elements (scalars, tiny graphs): a small stack frame. */
static void ew_small(ew_fn fn, gr_ek cek, const gr_kin *in, int nargs, void *out,
                     gr_ek oek, size_t n)
{
    double bufs[4][EW_SMALL];
    ew_run(fn, cek, in, nargs, out, oek, 0, n, bufs, EW_SMALL);
}

/* See kernels.h: element-wise op over n elements; 0, or -1 when op is not
 * element-wise.  Large n is cut into EW_PAR_BLOCK blocks across threads. */
int gr_k_ew(gr_opcode op, gr_ek cek, const gr_kin *in, int nargs, void *out,
            gr_ek oek, size_t n, gr_kpol pol)
{
    ew_fn fn;
    int nt;
    long long nb, b;
    if ((unsigned)op >= GR_OP__COUNT || nargs < 0 || nargs > 3 ||
        !(fn = ew_pick(op))) {
        return -1;
    }
    if (n <= EW_SMALL) {
        ew_small(fn, cek, in, nargs, out, oek, n);
        return 0;
    }
    nt = k_threads(pol, n, GR_K_PAR_MIN);
    if (nt <= 1) {
        ew_range(fn, cek, in, nargs, out, oek, 0, n);
        return 0;
    }
    nb = (long long)((n + EW_PAR_BLOCK - 1) / EW_PAR_BLOCK);
    K_OMP(parallel for num_threads(nt) schedule(static))
    for (b = 0; b < nb; b++) {
        size_t lo = (size_t)b * EW_PAR_BLOCK;
        ew_range(fn, cek, in, nargs, out, oek, lo, lo + EW_PAR_BLOCK < n ? lo + EW_PAR_BLOCK : n);
    }
    return 0;
}

/* ---- sources ---------------------------------------------------------- */

/* See kernels.h: out[0..n) = *val. */
void gr_k_fill(void *out, gr_ek ek, const void *val, size_t n, gr_kpol pol)
{
    int nt = k_threads(pol, n, GR_K_PAR_MIN);
    long long i, nn = (long long)n;
    switch (ek) {
    case GR_EK_F64: {
        double v = *(const double *)val, *o = out;
        K_PAR_FOR(nt, , i, nn,
            o[i] = v;
        );
        break;
    }
    case GR_EK_I64: {
        int64_t v = *(const int64_t *)val, *o = out;
        K_PAR_FOR(nt, , i, nn,
            o[i] = v;
        );
        break;
    }
    default:
        memset(out, *(const uint8_t *)val != 0, n);
        break;
    }
}

/* See kernels.h: out[v] = v. */
void gr_k_node_index(int64_t *out, size_t n, gr_kpol pol)
{
    int nt = k_threads(pol, n, GR_K_PAR_MIN);
    long long i, nn = (long long)n;
    K_PAR_FOR(nt, , i, nn,
        out[i] = i;
    );
}

/* See kernels.h: out[v] = the original id of v. */
void gr_k_node_id(const gr_graph *g, int64_t *out, gr_kpol pol)
{
    if (!g->orig_id) {
        gr_k_node_index(out, g->n, pol);
        return;
    }
    memcpy(out, g->orig_id, (size_t)g->n * sizeof *out);
}

/* See kernels.h: degrees from the CSR/CSC offsets; -1 for another op. */
int gr_k_degree(const gr_graph *g, gr_opcode op, int64_t *out, gr_kpol pol)
{
    const uint64_t *oo = g->out_off, *io = g->in_off;
    long long v, n = g->n;
    int nt = k_threads(pol, g->n, GR_K_PAR_MIN);
    switch (op) {
    case GR_OP_OUT_DEGREE:
        K_PAR_FOR(nt, , v, n,
            out[v] = (int64_t)(oo[v + 1] - oo[v]);
        );
        return 0;
    case GR_OP_IN_DEGREE:
        K_PAR_FOR(nt, , v, n,
            out[v] = (int64_t)(io[v + 1] - io[v]);
        );
        return 0;
    case GR_OP_DEGREE:
        K_PAR_FOR(nt, , v, n,
            out[v] = (int64_t)((oo[v + 1] - oo[v]) + (io[v + 1] - io[v]));
        );
        return 0;
    default:
        return -1;
    }
}

/* v's out-neighbour number k (k >= 0), or `none` when v has no such
 * out-edge: out_nbr's element, and link's reading of an out_nbr operand. */
static inline uint64_t out_nbr_at(const gr_graph *g, uint64_t k, size_t v, uint64_t none)
{
    const uint64_t j = g->out_off[v] + k;
    return j < g->out_off[v + 1] ? g->out_adj[j] : none;
}

/* See kernels.h: the k-th out-neighbour, or v. */
void gr_k_out_nbr(const gr_graph *g, int64_t k, int64_t *out, gr_kpol pol)
{
    long long v, n = g->n;
    int nt = k_threads(pol, g->n, GR_K_PAR_MIN);
    if (k < 0) {
        gr_k_node_index(out, g->n, pol);
        return;
    }
    K_PAR_FOR(nt, , v, n,
        out[v] = (int64_t)out_nbr_at(g, (uint64_t)k, (size_t)v, (uint64_t)v);
    );
}

/* ---- gather / scatter ------------------------------------------------- */

/* See kernels.h: out[v] = x[idx[v]], 0 out of range. */
void gr_k_gather(const void *x, gr_ek xek, size_t nx, const int64_t *idx, void *out,
                 gr_ek oek, size_t n, gr_kpol pol)
{
    int nt = k_threads(pol, n, GR_K_PAR_MIN);
    long long v, nn = (long long)n;
    if (xek == oek && xek == GR_EK_F64) {
        const double *xs = x;
        double *o = out;
        K_PAR_FOR(nt, , v, nn,
            uint64_t j = (uint64_t)idx[v];
            o[v] = j < nx ? xs[j] : 0.0;
        );
    } else if (xek == oek && xek == GR_EK_I64) {
        const int64_t *xs = x;
        int64_t *o = out;
        K_PAR_FOR(nt, , v, nn,
            uint64_t j = (uint64_t)idx[v];
            o[v] = j < nx ? xs[j] : 0;
        );
    } else {
        K_PAR_FOR(nt, , v, nn,
            uint64_t j = (uint64_t)idx[v];
            switch (oek) {
            case GR_EK_F64: ((double *)out)[v] = j < nx ? ld_f(x, xek, j) : 0.0; break;
            case GR_EK_I64: ((int64_t *)out)[v] = j < nx ? ld_i(x, xek, j) : 0; break;
            default: ((uint8_t *)out)[v] = j < nx ? (uint8_t)ld_nz(x, xek, j) : 0; break;
            }
        );
    }
}

static inline void atomic_min_i64(int64_t *p, int64_t v)
{
    int64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < cur &&
           !__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

static inline void atomic_max_i64(int64_t *p, int64_t v)
{
    int64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v > cur &&
           !__atomic_compare_exchange_n(p, &cur, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

/* See kernels.h: out = a, then the updates in increasing u (i64 min/max in
 * parallel: they do not depend on the order). */
int gr_k_scatter(gr_opcode op, gr_kin a, const int64_t *idx, gr_kin c, void *out,
                 gr_ek oek, size_t n, gr_kpol pol)
{
    size_t u;
    int nt;
    if (op != GR_OP_SCATTER_MIN && op != GR_OP_SCATTER_MAX && op != GR_OP_SCATTER_SUM) {
        return -1;
    }
    /* out = a */
    if (a.scalar) {
        union { double f; int64_t i; uint8_t b; } s;
        switch (oek) {
        case GR_EK_F64: s.f = ld_f(a.p, a.ek, 0); break;
        case GR_EK_I64: s.i = ld_i(a.p, a.ek, 0); break;
        default: s.b = (uint8_t)ld_nz(a.p, a.ek, 0); break;
        }
        gr_k_fill(out, oek, &s, n, pol);
    } else {
        gr_k_convert(a.p, a.ek, out, oek, n, pol);
    }

    /* i64 min/max do not depend on the order of the updates: parallel. */
    nt = k_threads(pol, n, GR_K_PAR_MIN);
    if (nt > 1 && oek == GR_EK_I64 && !c.scalar && c.ek == GR_EK_I64 &&
        op != GR_OP_SCATTER_SUM) {
        const int64_t *cv = c.p;
        int64_t *o = out;
        long long uu, nn = (long long)n;
        if (op == GR_OP_SCATTER_MIN) {
            K_OMP(parallel for num_threads(nt) schedule(static))
            for (uu = 0; uu < nn; uu++) {
                uint64_t j = (uint64_t)idx[uu];
                if (j < n) {
                    atomic_min_i64(&o[j], cv[uu]);
                }
            }
        } else {
            K_OMP(parallel for num_threads(nt) schedule(static))
            for (uu = 0; uu < nn; uu++) {
                uint64_t j = (uint64_t)idx[uu];
                if (j < n) {
                    atomic_max_i64(&o[j], cv[uu]);
                }
            }
        }
        return 0;
    }

    /* Everything else: in increasing u. */
    switch (oek) {
    case GR_EK_F64: {
        double *o = out;
        for (u = 0; u < n; u++) {
            uint64_t j = (uint64_t)idx[u];
            double cv;
            if (j >= n) {
                continue;
            }
            cv = ld_f(c.p, c.ek, c.scalar ? 0 : u);
            o[j] = op == GR_OP_SCATTER_MIN ? gr_fmin(o[j], cv)
                 : op == GR_OP_SCATTER_MAX ? gr_fmax(o[j], cv) : o[j] + cv;
        }
        break;
    }
    case GR_EK_I64: {
        int64_t *o = out;
        for (u = 0; u < n; u++) {
            uint64_t j = (uint64_t)idx[u];
            int64_t cv;
            if (j >= n) {
                continue;
            }
            cv = ld_i(c.p, c.ek, c.scalar ? 0 : u);
            o[j] = op == GR_OP_SCATTER_MIN ? (cv < o[j] ? cv : o[j])
                 : op == GR_OP_SCATTER_MAX ? (cv > o[j] ? cv : o[j]) : gr_iadd(o[j], cv);
        }
        break;
    }
    default: {
        uint8_t *o = out;
        for (u = 0; u < n; u++) {
            uint64_t j = (uint64_t)idx[u];
            uint8_t cv;
            if (j >= n) {
                continue;
            }
            cv = (uint8_t)ld_nz(c.p, c.ek, c.scalar ? 0 : u);
            o[j] = op == GR_OP_SCATTER_MIN ? (o[j] & cv) : (o[j] | cv);
        }
        break;
    }
    }
    return 0;
}

/* ---- link -------------------------------------------------------------- */

#define LINK_CHUNK 16384   /* nodes per dynamically scheduled linking chunk */
#define LINK_AGG 256       /* an aggregation operand's results per block */

/* The calling thread's number in its parallel region (0 outside one). */
static inline int k_thread_num(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* Join the trees of u and v (GAP's Afforest Link): walk both towards their
 * roots and hook the larger root under the smaller, so every parent is
 * smaller than its child and a root is its tree's smallest node.  With
 * `atomic` (a constant at each call) the hook is a compare-and-swap that
 * fails, and retries higher up, when another thread hooked that root
 * first; parents only ever decrease.  Returns whether it hooked a root. */
static inline int link_join(int64_t *p, int64_t u, int64_t v, int atomic)
{
    int64_t p1 = __atomic_load_n(&p[u], __ATOMIC_RELAXED);
    int64_t p2 = __atomic_load_n(&p[v], __ATOMIC_RELAXED);
    while (p1 != p2) {
        const int64_t hi = p1 > p2 ? p1 : p2, lo = p1 > p2 ? p2 : p1;
        int64_t ph = __atomic_load_n(&p[hi], __ATOMIC_RELAXED);
        if (ph == lo) {
            return 0;
        }
        if (ph == hi) {
            if (!atomic) {
                p[hi] = lo;
                return 1;
            }
            if (__atomic_compare_exchange_n(&p[hi], &ph, lo, 0, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED)) {
                return 1;
            }
        }
        p1 = __atomic_load_n(&p[__atomic_load_n(&p[hi], __ATOMIC_RELAXED)], __ATOMIC_RELAXED);
        p2 = __atomic_load_n(&p[lo], __ATOMIC_RELAXED);
    }
    return 0;
}

/* The links u - x(u) of nodes [lo, hi) whose x(u) is in range: x(u) is
 * x->v[u] (with `up`, link_first's, only where above u: the others are
 * already parents), the aggregation's result, or u's out-neighbour number
 * x->nbr (none when u has no such out-edge; the caller passes no negative
 * nbr).  Returns how many hooked a root. */
static inline size_t link_range(const gr_graph *g, const gr_klink *x, int64_t *p, size_t n,
                                size_t lo, size_t hi, int up, int atomic)
{
    size_t u, hooked = 0;
    if (x->v) {
        for (u = lo; u < hi; u++) {
            const uint64_t y = (uint64_t)x->v[u];
            if (y < n && (!up || y > u)) {
                hooked += (size_t)link_join(p, (int64_t)u, (int64_t)y, atomic);
            }
        }
    } else if (x->agg) {
        /* a block's results on the stack (masked-off nodes get the empty
         * value, out of range): no vector of n written and read back */
        int64_t buf[LINK_AGG];
        const int tid = atomic ? k_thread_num() : 0;
        size_t b, e, i;
        for (b = lo; b < hi; b = e) {
            e = hi - b > LINK_AGG ? b + LINK_AGG : hi;
            gr_k_agg_rows(x->agg, (uint32_t)b, (uint32_t)e, buf, tid);
            for (i = 0; i < e - b; i++) {
                const uint64_t y = (uint64_t)buf[i];
                if (y < n) {
                    hooked += (size_t)link_join(p, (int64_t)(b + i), (int64_t)y, atomic);
                }
            }
        }
    } else {
        for (u = lo; u < hi; u++) {
            const uint64_t y = out_nbr_at(g, (uint64_t)x->nbr, u, n);
            if (y < n) {
                hooked += (size_t)link_join(p, (int64_t)u, (int64_t)y, atomic);
            }
        }
    }
    return hooked;
}

/* The links of x over all nodes (see link_range); how many hooked. */
static size_t link_round(const gr_graph *g, const gr_klink *x, int64_t *p, size_t n, int up,
                         int nt)
{
    size_t hooked = 0;
    if (!x->v && !x->agg && x->nbr < 0) {
        return 0; /* out_nbr(k < 0) links every node with itself */
    }
    if (nt > 1) {
        long long c, nc = ((long long)n + LINK_CHUNK - 1) / LINK_CHUNK;
        K_OMP(parallel for num_threads(nt) schedule(dynamic, 1) reduction(+:hooked))
        for (c = 0; c < nc; c++) {
            size_t lo = (size_t)c * LINK_CHUNK;
            hooked += link_range(g, x, p, n, lo, n - lo > LINK_CHUNK ? lo + LINK_CHUNK : n, up,
                                 1);
        }
        return hooked;
    }
    return link_range(g, x, p, n, 0, n, up, 0);
}

/* Point every node at its root.  Parents are smaller than their children,
 * so in increasing order a node's parent already points at its root; in
 * parallel each node climbs to its root and writes only its own entry
 * (roots do not depend on the schedule). */
static void link_compress(int64_t *p, size_t n, int nt)
{
    long long v, nn = (long long)n;
    if (nt > 1) {
        K_OMP(parallel for num_threads(nt) schedule(dynamic, 4096))
        for (v = 0; v < nn; v++) {
            int64_t x = __atomic_load_n(&p[v], __ATOMIC_RELAXED);
            int64_t y = __atomic_load_n(&p[x], __ATOMIC_RELAXED);
            while (x != y) {
                x = y;
                y = __atomic_load_n(&p[x], __ATOMIC_RELAXED);
            }
            __atomic_store_n(&p[v], x, __ATOMIC_RELAXED);
        }
    } else {
        for (v = 0; v < nn; v++) {
            p[v] = p[p[v]];
        }
    }
}

/* p = the identity, then the links of a vector a: a[u] becomes u's parent
 * where a[u] < u (a valid union-find parent: it is smaller and joined to
 * u) and, on one thread, already compressed (a[u]'s root, found in
 * increasing order), so a labelling such as link's own result costs this
 * one pass; then a round of the links that go up.  Returns how many
 * links may have left p uncompressed (n: all of them). */
static size_t link_first(const int64_t *a, int64_t *p, size_t n, int nt)
{
    long long v, nn = (long long)n;
    gr_klink x;
    size_t hooked;
    int up = 0;
    if (nt > 1) {
        K_OMP(parallel for num_threads(nt) schedule(static) reduction(|:up))
        for (v = 0; v < nn; v++) {
            const uint64_t y = (uint64_t)a[v];
            p[v] = y < (uint64_t)v ? (int64_t)y : v;
            up |= y > (uint64_t)v && y < n;
        }
    } else if (nn > 0) {
        /* without a branch: on R-MAT 20 (isolated nodes among the giant
         * component's) a branch on y < v mispredicted on 2 nodes in 5,
         * 7.5 ms against 2.3 on uniform 1M */
        p[0] = 0;
        up = (uint64_t)a[0] - 1 < n - 1;
        for (v = 1; v < nn; v++) {
            const uint64_t y = (uint64_t)a[v];
            const int64_t below = -(int64_t)(y < (uint64_t)v);
            const int64_t t = p[y < (uint64_t)v ? y : (uint64_t)v - 1];
            p[v] = (t & below) | (v & ~below);
            up |= y > (uint64_t)v && y < n;
        }
    }
    x.v = a;
    x.nbr = 0;
    hooked = up ? link_round(NULL, &x, p, n, 1, nt) : 0;
    return nt > 1 ? n : hooked; /* in parallel, p[v] = a[v] left chains */
}

#define LINK_DEEP 16       /* compress between rounds past n / LINK_DEEP hooks */

/* See kernels.h.  The links of each operand in turn, as Afforest's
 * sampling rounds; a round that hooked many roots (more than n /
 * LINK_DEEP since the last compression) is followed by a compression, so
 * the next round's walks start at roots (uniform 1M, one thread: 13 ms
 * for the two-neighbour sample, against 38 ms for both links of a node at
 * once), and one compression ends the whole.  An out_nbr operand is read
 * from the rows as it is linked, so the rows' stream overlaps the joins'
 * random reads instead of following a pass that wrote it out. */
void gr_k_link(const gr_graph *g, const gr_klink *x, int nx, int64_t *out, size_t n,
               gr_kpol pol)
{
    const int nt = k_threads(pol, n, GR_K_PAR_MIN);
    size_t hooked = 0;
    int j;
    if (nx < 1) {
        gr_k_node_index(out, n, pol);
        return;
    }
    if (x[0].v) {
        hooked = link_first(x[0].v, out, n, nt);
    } else {
        gr_k_node_index(out, n, pol);
        hooked = link_round(g, &x[0], out, n, 0, nt);
    }
    for (j = 1; j < nx; j++) {
        if (hooked > n / LINK_DEEP) {
            link_compress(out, n, nt);
            hooked = 0;
        }
        hooked += link_round(g, &x[j], out, n, 0, nt);
    }
    if (hooked) {
        link_compress(out, n, nt);
    }
}

/* ---- reductions ---------------------------------------------------------- */

/* Block b (GR_K_RED_BLOCK elements, fewer at the end) of n. */
static inline void block_range(size_t b, size_t n, size_t *lo, size_t *hi)
{
    *lo = b * GR_K_RED_BLOCK;
    *hi = *lo + GR_K_RED_BLOCK < n ? *lo + GR_K_RED_BLOCK : n;
}

/* What one block of a blocked f64 reduction computes. */
enum { BR_SUM, BR_MIN, BR_MAX, BR_L1, BR_LINF };

typedef struct blocked {
    int what;            /* BR_* */
    const void *a, *b;   /* operands (b for the distances) */
    gr_ek aek, bek;
} blocked;

static double block_value(const blocked *r, size_t lo, size_t hi)
{
    size_t i;
    double s;
    const double *a = r->a, *b = r->b;
    const int fast = r->aek == GR_EK_F64 && (r->b == NULL || r->bek == GR_EK_F64);
    switch (r->what) {
    case BR_SUM:
        s = 0.0;
        if (fast) {
            for (i = lo; i < hi; i++) {
                s += a[i];
            }
        } else {
            for (i = lo; i < hi; i++) {
                s += ld_f(r->a, r->aek, i);
            }
        }
        return s;
    case BR_MIN:
        s = INFINITY;
        for (i = lo; i < hi; i++) {
            s = gr_fmin(s, a[i]);
        }
        return s;
    case BR_MAX:
        s = -INFINITY;
        for (i = lo; i < hi; i++) {
            s = gr_fmax(s, a[i]);
        }
        return s;
    case BR_L1:
        s = 0.0;
        if (fast) {
            for (i = lo; i < hi; i++) {
                s += fabs(a[i] - b[i]);
            }
        } else {
            for (i = lo; i < hi; i++) {
                s += fabs(ld_f(r->a, r->aek, i) - ld_f(r->b, r->bek, i));
            }
        }
        return s;
    default: /* BR_LINF */
        s = 0.0;
        if (fast) {
            for (i = lo; i < hi; i++) {
                s = gr_fmax(s, fabs(a[i] - b[i]));
            }
        } else {
            for (i = lo; i < hi; i++) {
                s = gr_fmax(s, fabs(ld_f(r->a, r->aek, i) - ld_f(r->b, r->bek, i)));
            }
        }
        return s;
    }
}

/* Combine block partials in order, starting from the identity. */
static double combine(int what, double acc, double p)
{
    switch (what) {
    case BR_MIN: return gr_fmin(acc, p);
    case BR_MAX:
    case BR_LINF: return gr_fmax(acc, p);
    default: return acc + p;
    }
}

/* Run a blocked reduction: the same blocks and the same combining order
 * whatever the thread count. */
static double blocked_run(const blocked *r, size_t n, gr_kpol pol)
{
    double part[RED_GROUP];
    double acc = r->what == BR_MIN ? INFINITY : r->what == BR_MAX ? -INFINITY : 0.0;
    size_t nb = (n + GR_K_RED_BLOCK - 1) / GR_K_RED_BLOCK, g0;
    int nt = k_threads(pol, n, GR_K_PAR_MIN);
    for (g0 = 0; g0 < nb; g0 += RED_GROUP) {
        size_t gn = nb - g0 < RED_GROUP ? nb - g0 : RED_GROUP, k;
        if (nt > 1 && gn > 1) {
            long long bb;
            K_OMP(parallel for num_threads(nt) schedule(static))
            for (bb = 0; bb < (long long)gn; bb++) {
                size_t lo, hi;
                block_range(g0 + (size_t)bb, n, &lo, &hi);
                part[bb] = block_value(r, lo, hi);
            }
        } else {
            for (k = 0; k < gn; k++) {
                size_t lo, hi;
                block_range(g0 + k, n, &lo, &hi);
                part[k] = block_value(r, lo, hi);
            }
        }
        for (k = 0; k < gn; k++) {
            acc = combine(r->what, acc, part[k]);
        }
    }
    return acc;
}

/* Wrapping sum of an i64 vector (order-independent). */
static int64_t sum_i64(const int64_t *x, size_t n, gr_kpol pol)
{
    uint64_t s = 0;
    long long i, nn = (long long)n;
    int nt = k_threads(pol, n, GR_K_PAR_MIN);
    K_PAR_FOR(nt, reduction(+:s), i, nn,
        s += (uint64_t)x[i];
    );
    return (int64_t)s;
}

/* Number of non-zero elements. */
static int64_t count_nz(const void *x, gr_ek ek, size_t n, gr_kpol pol)
{
    int64_t c = 0;
    long long i, nn = (long long)n;
    int nt = k_threads(pol, n, GR_K_PAR_MIN);
    switch (ek) {
    case GR_EK_F64: {
        const double *p = x;
        K_PAR_FOR(nt, reduction(+:c), i, nn,
            c += p[i] != 0;
        );
        break;
    }
    case GR_EK_I64: {
        const int64_t *p = x;
        K_PAR_FOR(nt, reduction(+:c), i, nn,
            c += p[i] != 0;
        );
        break;
    }
    default: {
        const uint8_t *p = x;
        K_PAR_FOR(nt, reduction(+:c), i, nn,
            c += p[i] != 0;
        );
        break;
    }
    }
    return c;
}

/* Min (want_max 0) or max of an i64 vector. */
static int64_t minmax_i64(const int64_t *x, size_t n, int want_max, gr_kpol pol)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    long long i, nn = (long long)n;
    int nt = k_threads(pol, n, GR_K_PAR_MIN);
    if (want_max) {
        K_PAR_FOR(nt, reduction(max:hi), i, nn,
            hi = x[i] > hi ? x[i] : hi;
        );
        return hi;
    }
    K_PAR_FOR(nt, reduction(min:lo), i, nn,
        lo = x[i] < lo ? x[i] : lo;
    );
    return lo;
}

/* Store an i64 result as kind oek. */
static void put_i(gr_kscalar *out, gr_ek oek, int64_t v)
{
    if (oek == GR_EK_F64) {
        out->f = (double)v;
    } else if (oek == GR_EK_U8) {
        out->i = v != 0;
    } else {
        out->i = v;
    }
}

static void put_f(gr_kscalar *out, gr_ek oek, double v)
{
    if (oek == GR_EK_F64) {
        out->f = v;
    } else if (oek == GR_EK_U8) {
        out->i = v != 0;
    } else {
        out->i = gr_f2i(v);
    }
}

/* See kernels.h: a reduction to one scalar of kind oek; -1 for another op. */
int gr_k_reduce(gr_opcode op, const void *x, gr_ek xek, size_t n, gr_ek oek,
                gr_kscalar *out, gr_kpol pol)
{
    blocked r;
    r.a = x;
    r.aek = xek;
    r.b = NULL;
    r.bek = GR_EK_F64;
    switch (op) {
    case GR_OP_REDUCE_SUM:
        if (xek == GR_EK_F64) {
            r.what = BR_SUM;
            put_f(out, oek, blocked_run(&r, n, pol));
        } else if (xek == GR_EK_I64) {
            put_i(out, oek, sum_i64(x, n, pol));
        } else {
            int64_t c = count_nz(x, xek, n, pol);
            put_i(out, oek, oek == GR_EK_U8 ? c != 0 : c);
        }
        return 0;
    case GR_OP_REDUCE_MIN:
    case GR_OP_REDUCE_MAX: {
        int want_max = op == GR_OP_REDUCE_MAX;
        if (xek == GR_EK_F64) {
            r.what = want_max ? BR_MAX : BR_MIN;
            put_f(out, oek, blocked_run(&r, n, pol));
        } else if (xek == GR_EK_I64) {
            put_i(out, oek, minmax_i64(x, n, want_max, pol));
        } else {
            int64_t c = count_nz(x, xek, n, pol);
            put_i(out, oek, want_max ? c > 0 : (size_t)c == n);
        }
        return 0;
    }
    case GR_OP_REDUCE_MEAN: {
        double s;
        if (xek == GR_EK_F64) {
            r.what = BR_SUM;
            s = blocked_run(&r, n, pol);
        } else if (xek == GR_EK_I64) {
            s = (double)sum_i64(x, n, pol);
        } else {
            s = (double)count_nz(x, xek, n, pol);
        }
        put_f(out, oek, s / (double)n);
        return 0;
    }
    case GR_OP_COUNT:
        put_i(out, oek, count_nz(x, xek, n, pol));
        return 0;
    case GR_OP_ANY:
        put_i(out, oek, count_nz(x, xek, n, pol) > 0);
        return 0;
    case GR_OP_ALL:
        put_i(out, oek, (size_t)count_nz(x, xek, n, pol) == n);
        return 0;
    default:
        return -1;
    }
}

/* See kernels.h: dist_l1 / dist_linf, blocked like reduce_sum. */
double gr_k_dist(gr_opcode op, const void *a, gr_ek aek, const void *b, gr_ek bek,
                 size_t n, gr_kpol pol)
{
    blocked r;
    if (op != GR_OP_DIST_L1 && op != GR_OP_DIST_LINF) {
        return NAN;
    }
    r.what = op == GR_OP_DIST_L1 ? BR_L1 : BR_LINF;
    r.a = a;
    r.aek = aek;
    r.b = b;
    r.bek = bek;
    return blocked_run(&r, n, pol);
}

/* ---- print ----------------------------------------------------------------- */

#define PRINT_MAX 8 /* elements shown */

static void print_elem(FILE *f, gr_ek ek, const void *data, size_t i)
{
    switch (ek) {
    case GR_EK_F64: fprintf(f, "%.17g", ((const double *)data)[i]); break;
    case GR_EK_I64: fprintf(f, "%" PRId64, ((const int64_t *)data)[i]); break;
    default: fprintf(f, "%d", ((const uint8_t *)data)[i] != 0); break;
    }
}

/* See kernels.h: print's one-line summary of a value, to f. */
void gr_k_print(FILE *f, gr_type t, const void *data, size_t n)
{
    const char *tn = t == GR_T_F64 ? "f64" : t == GR_T_I64 ? "i64" : t == GR_T_BOOL ? "bool"
                   : t == GR_T_F64V ? "f64v" : t == GR_T_I64V ? "i64v" : t == GR_T_MASK ? "mask"
                   : "none";
    gr_ek ek = gr_k_kind(t);
    size_t i;
    if (!f) {
        return;
    }
    if (t == GR_T_BOOL) {
        fprintf(f, "bool %s\n", *(const uint8_t *)data ? "true" : "false");
        return;
    }
    if (t == GR_T_F64 || t == GR_T_I64) {
        fprintf(f, "%s ", tn);
        print_elem(f, ek, data, 0);
        fputc('\n', f);
        return;
    }
    fprintf(f, "%s[%zu]", tn, n);
    for (i = 0; i < n && i < PRINT_MAX; i++) {
        fputc(' ', f);
        print_elem(f, ek, data, i);
    }
    fputs(n > PRINT_MAX ? " ...\n" : "\n", f);
}
