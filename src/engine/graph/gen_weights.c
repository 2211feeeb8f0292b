/*
 * gen_weights.c - gr_gen_weights: random edge weights, uniform in [lo, hi).
 *
 * Edge i's weight is lo + (hi - lo) * u with u a 53-bit draw in [0, 1) from
 * the stream (seed, GR_RNG_WEIGHTS, i / GR_GEN_CHUNK): chunks are made in
 * parallel and the weights are the same bytes on every machine and thread
 * count (one IEEE multiply and one add, each correctly rounded everywhere,
 * written as separate statements so no compiler may fuse them into an FMA).
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/graph/prng.h"

#include <math.h>

/* Weights for edges [from, to) of chunk c. */
static void weights_chunk(double lo, double hi, uint64_t seed, uint64_t c,
                          uint64_t from, uint64_t to, double *w)
{
    double span = hi - lo;
    double below_hi = nextafter(hi, lo); /* the largest double < hi */
    gr_rng r;
    uint64_t i;
    gr_rng_seed(&r, seed, GR_RNG_WEIGHTS, c);
    for (i = from; i < to; i++) {
        double u = gr_rng_unit(&r), x, t;
        /* One operation per statement: C lets a compiler fuse a*b+c into
         * an FMA only within one expression, and an FMA rounds once. */
        if (isfinite(span)) {
            t = span * u;
            x = lo + t;
        } else { /* hi - lo overflowed */
            t = hi * u;
            x = lo * (1.0 - u);
            x = x + t;
        }
        /* Rounding may reach hi (or, for huge ranges, leave [lo, hi)). */
        if (x >= hi) {
            x = below_hi;
        } else if (x < lo) {
            x = lo;
        }
        w[i] = x;
    }
}

int gr_gen_weights(gr_edges *e, double lo, double hi, uint64_t seed, gr_error *err)
{
    int64_t c, nchunks;
    if (!isfinite(lo) || !isfinite(hi) || !(lo < hi)) {
        return gr_err(err, GR_ERR_INVALID,
                      "weight range [%g, %g) is empty or not finite (need lo < hi)", lo, hi);
    }
    if (!e->weighted || (e->cap && !e->w)) {
        /* Room for cap weights: later pushes write w[m] up to cap. */
        double *w = NULL;
        if (e->cap) {
            if (e->cap > SIZE_MAX / sizeof *w || !(w = gr_realloc(e->w, e->cap * sizeof *w))) {
                return gr_err_nomem(err, "edge weights");
            }
        }
        e->w = w;
        e->weighted = 1;
    }
    nchunks = gr_gen_chunks(e->m);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (c = 0; c < nchunks; c++) {
        uint64_t from = (uint64_t)c * GR_GEN_CHUNK;
        uint64_t to = from + GR_GEN_CHUNK < e->m ? from + GR_GEN_CHUNK : e->m;
        weights_chunk(lo, hi, seed, (uint64_t)c, from, to, e->w);
    }
    return GR_OK;
}
