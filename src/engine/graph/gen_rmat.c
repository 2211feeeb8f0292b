/*
 * gen_rmat.c - gr_gen_rmat: R-MAT / Kronecker edges as Graph500 makes them.
 *
 * Each of the m = edgefactor * 2^scale edges descends `scale` levels of the
 * adjacency matrix; at each level it picks a quadrant, a (top left), b (top
 * right), c (bottom left) or d = 1-a-b-c (bottom right), which fixes one bit
 * of the source (c, d) and of the target (b, d), most significant first.
 * The ids are then scrambled by a seeded bijection of 0..2^scale-1 (prng.h:
 * gr_perm) so the hubs are not node 0 and its neighbours.  Self-loops and
 * parallel edges are kept, as in Graph500.
 *
 * Exact integer sampling.  The probabilities become thresholds on 53-bit
 * integers once, by exact scaling and truncation (p*2^53 is exact for p in
 * [0, 1]); level l's quadrant is q = [x >= t0] + [x >= t1] + [x >= t2] for
 * an independent uniform 53-bit x.  So no rounding can differ between
 * machines.  To spend one 64-bit draw on four levels instead of one, x is
 * revealed lazily: a draw's four 16-bit chunks (most significant first) are
 * the top 16 bits of four consecutive levels' x, and a 64K-entry table says
 * the quadrant whenever those bits decide it; only when a threshold falls
 * inside the chunk's range (3 chunks in 65536) are x's low 37 bits taken,
 * from the top of the next draw.  The distribution is exactly that of the
 * 53-bit comparison, at a quarter of the draws.
 *
 * Chunks of GR_GEN_CHUNK edges have their own streams (seed, GR_RNG_RMAT,
 * chunk), so any thread count gives the same bytes.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/graph/prng.h"

#define RMAT_BITS 53                           /* bits of a level's x */
#define RMAT_ONE ((uint64_t)1 << RMAT_BITS)    /* probability 1 */
#define TOP_BITS 16                            /* bits revealed first */
#define LOW_BITS (RMAT_BITS - TOP_BITS)        /* revealed on demand */
#define UNDECIDED 4                            /* table: need the low bits */

typedef struct rmat_ctx {
    uint64_t t[3];            /* quadrant thresholds on x */
    unsigned scale;
    gr_perm perm;             /* id scrambling */
    const unsigned char *top; /* 2^TOP_BITS entries: quadrant or UNDECIDED */
} rmat_ctx;

static inline unsigned quadrant(const uint64_t t[3], uint64_t x)
{
    return (unsigned)(x >= t[0]) + (unsigned)(x >= t[1]) + (unsigned)(x >= t[2]);
}

/* For each top chunk c, the quadrant when every x with those top bits
 * gives the same one, else UNDECIDED. */
static void fill_top_table(const uint64_t t[3], unsigned char *top)
{
    uint64_t c;
    for (c = 0; c < ((uint64_t)1 << TOP_BITS); c++) {
        uint64_t lo = c << LOW_BITS, hi = lo | (((uint64_t)1 << LOW_BITS) - 1);
        unsigned qlo = quadrant(t, lo), qhi = quadrant(t, hi);
        top[c] = (unsigned char)(qlo == qhi ? qlo : UNDECIDED);
    }
}

/* Gather the even bits of x (bit 2i -> bit i). */
static inline uint32_t even_bits(uint64_t x)
{
    x &= 0x5555555555555555ULL;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0f0f0f0f0f0f0f0fULL;
    x = (x | (x >> 4)) & 0x00ff00ff00ff00ffULL;
    x = (x | (x >> 8)) & 0x0000ffff0000ffffULL;
    x = (x | (x >> 16)) & 0x00000000ffffffffULL;
    return (uint32_t)x;
}

static void rmat_chunk(const rmat_ctx *cx, uint64_t seed, uint64_t chunk, uint64_t lo,
                       uint64_t hi, uint32_t *src, uint32_t *dst)
{
    const unsigned char *top = cx->top;
    unsigned scale = cx->scale;
    gr_rng r;
    uint64_t i;
    gr_rng_seed(&r, seed, GR_RNG_RMAT, chunk);
    for (i = lo; i < hi; i++) {
        uint64_t path = 0; /* two bits per level: source bit, target bit */
        unsigned l = 0;
        while (l < scale) {
            uint64_t x = gr_rng_next(&r);
            unsigned j, nl = scale - l < 4 ? scale - l : 4;
            for (j = 0; j < nl; j++) {
                unsigned c = (unsigned)(x >> (64 - TOP_BITS * (j + 1))) & 0xffff;
                unsigned q = top[c];
                if (q == UNDECIDED) {
                    uint64_t full = ((uint64_t)c << LOW_BITS) |
                                    (gr_rng_next(&r) >> (64 - LOW_BITS));
                    q = quadrant(cx->t, full);
                }
                path = (path << 2) | q;
            }
            l += nl;
        }
        src[i] = gr_perm_apply(&cx->perm, even_bits(path >> 1));
        dst[i] = gr_perm_apply(&cx->perm, even_bits(path));
    }
}

int gr_gen_rmat(unsigned scale, unsigned edgefactor, double a, double b,
                double c, uint64_t seed, gr_edges *out, gr_error *err)
{
    rmat_ctx cx;
    unsigned char *top;
    uint64_t m, ta, tb, tc;
    int64_t k, nchunks;
    int rc;
    gr_edges_init(out, 0);
    if (scale < 1 || scale > 31) {
        return gr_err(err, GR_ERR_INVALID, "R-MAT scale must be 1..31, got %u", scale);
    }
    if (edgefactor < 1) {
        return gr_err(err, GR_ERR_INVALID, "R-MAT edge factor must be >= 1, got 0");
    }
    /* !(p >= 0) also catches NaN. */
    if (!(a >= 0) || !(b >= 0) || !(c >= 0) || !(a + b + c <= 1.0 + GR_RMAT_SUM_SLACK)) {
        return gr_err(err, GR_ERR_INVALID,
                      "R-MAT probabilities need a, b, c >= 0 and a+b+c <= 1, "
                      "got a=%g b=%g c=%g", a, b, c);
    }
    ta = (uint64_t)(a * (double)RMAT_ONE); /* exact scaling, truncated */
    tb = (uint64_t)(b * (double)RMAT_ONE);
    tc = (uint64_t)(c * (double)RMAT_ONE);
    cx.t[0] = ta;
    cx.t[1] = ta + tb < RMAT_ONE ? ta + tb : RMAT_ONE;
    cx.t[2] = ta + tb + tc < RMAT_ONE ? ta + tb + tc : RMAT_ONE;
    cx.scale = scale;
    gr_perm_init(&cx.perm, scale, seed);
    if (!(top = gr_malloc((size_t)1 << TOP_BITS))) {
        return gr_err_nomem(err, "R-MAT tables");
    }
    fill_top_table(cx.t, top);
    cx.top = top;
    m = (uint64_t)edgefactor << scale;
    if ((rc = gr_gen_edges_alloc(out, m, 0, "R-MAT graph", err)) < 0) {
        gr_free(top);
        return rc;
    }
    nchunks = gr_gen_chunks(m);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (k = 0; k < nchunks; k++) {
        uint64_t lo = (uint64_t)k * GR_GEN_CHUNK;
        uint64_t hi = lo + GR_GEN_CHUNK < m ? lo + GR_GEN_CHUNK : m;
        rmat_chunk(&cx, seed, (uint64_t)k, lo, hi, out->src, out->dst);
    }
    gr_free(top);
    return GR_OK;
}
