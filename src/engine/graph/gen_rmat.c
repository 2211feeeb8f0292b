/*
 * gen_rmat.c - gr_gen_rmat: R-MAT / Kronecker edges as Graph500 makes them.
 *
 * Each of the m = edgefactor * 2^scale edges descends `scale` levels of the
 * adjacency matrix; at each level it picks a quadrant, a (top left), b (top
 * right), c (bottom left) or d = 1-a-b-c (bottom right), which fixes one bit
 * of the source (c, d) and of the target (b, d), most significant first.
 * The ids are then scrambled by a seeded bijection of 0..2^scale-1 (prng.h:
 * gr_perm, a Feistel network) so the hubs are not node 0 and its
 * neighbours.  Self-loops and parallel edges are kept, as in Graph500.
 *
 * Determinism: the probabilities become integer thresholds on 53-bit draws
 * once, by exact scaling and truncation (a*2^53 is exact for a in [0, 1]),
 * so each level is three integer comparisons and no rounding can differ
 * between machines.  Chunks of GR_GEN_CHUNK edges have their own streams
 * (seed, GR_RNG_RMAT, chunk), so any thread count gives the same bytes.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "engine/graph/prng.h"


#define RMAT_ONE ((uint64_t)1 << 53) /* probability 1 as a threshold */

/* Integer quadrant thresholds: a draw r (53 bits) picks quadrant
 * q = (r >= t[0]) + (r >= t[1]) + (r >= t[2]), 0..3 = a, b, c, d. */
typedef struct rmat_thresh {
    uint64_t t[3];
} rmat_thresh;

static uint64_t prob_bits(double p)
{
    return (uint64_t)(p * (double)RMAT_ONE); /* exact scaling, truncated */
}

static void rmat_chunk(unsigned scale, const rmat_thresh *th, const gr_perm *perm,
                       uint64_t seed, uint64_t c, uint64_t lo, uint64_t hi,
                       uint32_t *src, uint32_t *dst)
{
    gr_rng r;
    uint64_t i, t0 = th->t[0], t1 = th->t[1], t2 = th->t[2];
    gr_rng_seed(&r, seed, GR_RNG_RMAT, c);
    for (i = lo; i < hi; i++) {
        uint32_t u = 0, v = 0;
        unsigned l;
        for (l = 0; l < scale; l++) {
            uint64_t x = gr_rng_next(&r) >> 11;
            unsigned q = (unsigned)(x >= t0) + (unsigned)(x >= t1) + (unsigned)(x >= t2);
            u = (u << 1) | (q >> 1);
            v = (v << 1) | (q & 1);
        }
        src[i] = gr_perm_apply(perm, u);
        dst[i] = gr_perm_apply(perm, v);
    }
}

int gr_gen_rmat(unsigned scale, unsigned edgefactor, double a, double b,
                double c, uint64_t seed, gr_edges *out, gr_error *err)
{
    rmat_thresh th;
    gr_perm perm;
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
    /* !(x >= 0) also catches NaN; the sum may exceed 1 by rounding of
     * decimal inputs such as 0.1+0.2+0.7, hence the small tolerance. */
    if (!(a >= 0) || !(b >= 0) || !(c >= 0) || !(a + b + c <= 1.0 + GR_RMAT_SUM_SLACK)) {
        return gr_err(err, GR_ERR_INVALID,
                      "R-MAT probabilities need a, b, c >= 0 and a+b+c <= 1, "
                      "got a=%g b=%g c=%g", a, b, c);
    }
    ta = prob_bits(a);
    tb = prob_bits(b);
    tc = prob_bits(c);
    th.t[0] = ta;
    th.t[1] = ta + tb < RMAT_ONE ? ta + tb : RMAT_ONE;
    th.t[2] = ta + tb + tc < RMAT_ONE ? ta + tb + tc : RMAT_ONE;
    m = (uint64_t)edgefactor << scale;
    if ((rc = gr_gen_edges_alloc(out, m, 0, "R-MAT graph", err)) < 0) {
        return rc;
    }
    gr_perm_init(&perm, scale, seed);
    nchunks = gr_gen_chunks(m);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (k = 0; k < nchunks; k++) {
        uint64_t lo = (uint64_t)k * GR_GEN_CHUNK;
        uint64_t hi = lo + GR_GEN_CHUNK < m ? lo + GR_GEN_CHUNK : m;
        rmat_chunk(scale, &th, &perm, seed, (uint64_t)k, lo, hi, out->src, out->dst);
    }
    return GR_OK;
}
