/*
 * gen_uniform.c - gr_gen_uniform: the uniform random multigraph G(n, m).
 *
 * Edge i's endpoints are two unbiased draws in [0, n) (prng.h: Lemire's
 * method on the two 32-bit halves of one xoshiro256** output).  The m edges
 * are cut into chunks of GR_GEN_CHUNK; chunk c draws from its own stream
 * (seed, GR_RNG_UNIFORM, c), so the chunks are generated in parallel and the
 * edge list is the same bytes on every machine and for every thread count.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "engine/graph/prng.h"

/* Fill edges [lo, hi) of chunk c. */
static void uniform_chunk(uint32_t n, uint64_t seed, uint64_t c, uint64_t lo,
                          uint64_t hi, uint32_t *src, uint32_t *dst)
{
    gr_rng r;
    uint64_t i;
    gr_rng_seed(&r, seed, GR_RNG_UNIFORM, c);
    for (i = lo; i < hi; i++) {
        uint64_t x = gr_rng_next(&r);
        uint32_t s, d;
        /* Both endpoints from one draw; a rejected half is redrawn alone. */
        while (!gr_lemire32((uint32_t)(x >> 32), n, &s)) {
            x = (gr_rng_next(&r) & 0xffffffff00000000ULL) | (uint32_t)x;
        }
        while (!gr_lemire32((uint32_t)x, n, &d)) {
            x = gr_rng_next(&r);
        }
        src[i] = s;
        dst[i] = d;
    }
}

int gr_gen_uniform(uint32_t n, uint64_t m, uint64_t seed, gr_edges *out,
                   gr_error *err)
{
    int64_t c, nchunks;
    int rc;
    gr_edges_init(out, 0);
    if (n == 0) {
        return gr_err(err, GR_ERR_INVALID, "uniform graph needs n >= 1 nodes, got n=0");
    }
    if ((rc = gr_gen_edges_alloc(out, m, 0, "uniform graph", err)) < 0) {
        return rc;
    }
    nchunks = gr_gen_chunks(m);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
    for (c = 0; c < nchunks; c++) {
        uint64_t lo = (uint64_t)c * GR_GEN_CHUNK;
        uint64_t hi = lo + GR_GEN_CHUNK < m ? lo + GR_GEN_CHUNK : m;
        uniform_chunk(n, seed, (uint64_t)c, lo, hi, out->src, out->dst);
    }
    return GR_OK;
}
