/*
 * prng.h - grperf's own pseudo-random numbers, for the graph generators.
 *
 * The generators must give the same edges on every machine and for every
 * thread count, so nothing here touches rand(), the C library or the
 * floating-point unit except gr_rng_unit's exact scaling of a 53-bit integer.
 *
 *  - gr_splitmix64: a counter stepped by the golden ratio, passed through
 *    gr_mix64 (common/hash.h); used only to seed.
 *  - gr_rng: xoshiro256** (Blackman & Vigna, 2018), 256 bits of state,
 *    period 2^256 - 1, about 1 ns per 64-bit output.
 *  - gr_rng_seed(r, seed, domain, index): an independent stream for
 *    (seed, domain, index).  Generators split their output into fixed-size
 *    chunks and seed chunk i's stream with index i, so chunks can be made
 *    in any order, by any thread, with the same result.  The domain keeps
 *    the streams of different generators (endpoints, weights, permutation
 *    keys) apart when they are given the same seed.
 *  - gr_rng_below32/64: unbiased integers in [0, bound) by Lemire's
 *    multiply-shift with rejection ("Fast random integer generation in an
 *    interval", 2019): one multiply, a rejection only when the low half of
 *    the product falls below 2^w mod bound.
 *  - gr_rng_unit: a double in [0, 1) from the top 53 bits.
 *  - gr_perm_*: a seeded bijection of 0..2^k-1 (multiply-xorshift rounds
 *    modulo 2^k), used by R-MAT to scramble node ids as Graph500 does.
 *  - gr_gen_edges_alloc: the edge list every generator fills.
 *
 * Everything is static inline: the generators' inner loops inline it.
 */
#ifndef GR_GRAPH_PRNG_H
#define GR_GRAPH_PRNG_H

#include <stdint.h>
#include "gr.h"
#include "common/error.h"
#include "common/hash.h"

/* Stream domains: one per consumer of random numbers. */
enum {
    GR_RNG_UNIFORM = 0x756e6966, /* "unif": gen_uniform endpoints */
    GR_RNG_RMAT = 0x726d6174,    /* "rmat": gen_rmat quadrants */
    GR_RNG_PERM = 0x7065726d,    /* "perm": gen_rmat id permutation */
    GR_RNG_WEIGHTS = 0x77656967  /* "weig": gen_weights */
};

/* R-MAT accepts a+b+c up to 1 plus this slack, for decimal inputs whose
 * doubles sum to a hair above 1 (0.1 + 0.2 + 0.7); spec.c checks the same. */
#define GR_RMAT_SUM_SLACK 1e-9

/* Edges per independently seeded chunk (a power of two).  Changing it
 * changes every generated graph: the golden tests pin it. */
#define GR_GEN_CHUNK ((uint64_t)1 << 16)

typedef struct gr_rng {
    uint64_t s[4]; /* xoshiro256** state, never all zero */
} gr_rng;

/* Next output of the splitmix64 sequence whose counter is *state. */
static inline uint64_t gr_splitmix64(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ULL;
    return gr_mix64(*state);
}

/* Seed r with the stream (seed, domain, index).  The four words are four
 * consecutive splitmix64 outputs, which are distinct (splitmix64 is a
 * bijection of its counter), so the state is never all zero. */
static inline void gr_rng_seed(gr_rng *r, uint64_t seed, uint64_t domain,
                               uint64_t index)
{
    uint64_t x = gr_mix64(seed ^ 0x6772706572662d31ULL);
    x = gr_mix64(x ^ (domain * 0xd1b54a32d192ed03ULL));
    x = gr_mix64(x + index * 0x9e3779b97f4a7c15ULL);
    r->s[0] = gr_splitmix64(&x);
    r->s[1] = gr_splitmix64(&x);
    r->s[2] = gr_splitmix64(&x);
    r->s[3] = gr_splitmix64(&x);
}

static inline uint64_t gr_rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits (xoshiro256**). */
static inline uint64_t gr_rng_next(gr_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = gr_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gr_rotl64(s[3], 45);
    return out;
}

/* Lemire's method on a 32-bit draw x: the candidate is the high half of
 * x*bound; it is accepted unless the low half falls in the biased zone.
 * Returns 1 and stores the value when accepted. */
static inline int gr_lemire32(uint32_t x, uint32_t bound, uint32_t *val)
{
    uint64_t prod = (uint64_t)x * bound;
    uint32_t low = (uint32_t)prod;
    if (low < bound) {
        uint32_t thresh = (uint32_t)(-bound) % bound; /* 2^32 mod bound */
        if (low < thresh) {
            return 0;
        }
    }
    *val = (uint32_t)(prod >> 32);
    return 1;
}

/* Uniform in [0, bound), unbiased; bound >= 1.  Uses 32 bits per try. */
static inline uint32_t gr_rng_below32(gr_rng *r, uint32_t bound)
{
    uint32_t v;
    while (!gr_lemire32((uint32_t)(gr_rng_next(r) >> 32), bound, &v)) {
    }
    return v;
}

/* High and low halves of a 64x64-bit product, portably. */
static inline uint64_t gr_mul128(uint64_t a, uint64_t b, uint64_t *lo)
{
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    u128 p = (u128)a * b;
    *lo = (uint64_t)p;
    return (uint64_t)(p >> 64);
#else
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

/* Uniform in [0, bound), unbiased; bound >= 1. */
static inline uint64_t gr_rng_below64(gr_rng *r, uint64_t bound)
{
    uint64_t lo, hi = gr_mul128(gr_rng_next(r), bound, &lo);
    if (lo < bound) {
        uint64_t thresh = (0 - bound) % bound; /* 2^64 mod bound */
        while (lo < thresh) {
            hi = gr_mul128(gr_rng_next(r), bound, &lo);
        }
    }
    return hi;
}

/* Uniform double in [0, 1): a 53-bit integer scaled by 2^-53 (exact). */
static inline double gr_rng_unit(gr_rng *r)
{
    return (double)(gr_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- a seeded permutation of 0..2^k-1 ------------------------------ */

/* A bijection of k-bit integers (1 <= k <= 32) made of steps that are each
 * invertible modulo 2^k: xor with a constant, multiply by an odd constant,
 * xorshift right (x ^= x >> r, r >= 1), add a constant.  Two rounds of
 * multiply-xorshift (as in hash finalisers) carry every input bit into
 * every output bit; the constants come from the seed.  About 5 ns less per
 * id than a 4-round Feistel network, which mattered for R-MAT. */
typedef struct gr_perm {
    unsigned k;          /* bits */
    unsigned r;          /* xorshift distance, ceil(k/2) */
    uint64_t mask;       /* 2^k - 1 */
    uint64_t x0;         /* first xor key */
    uint64_t m0, m1;     /* odd multipliers */
    uint64_t a1;         /* additive key */
} gr_perm;

static inline void gr_perm_init(gr_perm *p, unsigned k, uint64_t seed)
{
    gr_rng r;
    gr_rng_seed(&r, seed, GR_RNG_PERM, k);
    p->k = k;
    p->r = (k + 1) / 2;
    p->mask = k >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
    p->x0 = gr_rng_next(&r) & p->mask;
    p->m0 = gr_rng_next(&r) | 1;
    p->m1 = gr_rng_next(&r) | 1;
    p->a1 = gr_rng_next(&r);
}

/* The image of x (< 2^k) under the permutation. */
static inline uint32_t gr_perm_apply(const gr_perm *p, uint32_t x)
{
    uint64_t v = (uint64_t)x ^ p->x0;
    v = (v * p->m0) & p->mask;
    v ^= v >> p->r;
    v = (v * p->m1 + p->a1) & p->mask;
    v ^= v >> p->r;
    return (uint32_t)v;
}

/* ---- generator output ---------------------------------------------- */

/* Initialise *out as an edge list of exactly m edges (weighted or not),
 * arrays allocated but not filled.  GR_ERR_NOMEM (out left empty) when the
 * arrays cannot be had. */
static inline int gr_gen_edges_alloc(gr_edges *out, uint64_t m, int weighted,
                                     const char *what, gr_error *err)
{
    gr_edges_init(out, weighted);
    if (m > (uint64_t)(SIZE_MAX / sizeof(double))) {
        return gr_err(err, GR_ERR_NOMEM, "out of memory (%s of %llu edges)", what,
                      (unsigned long long)m);
    }
    if (m && gr_edges_reserve(out, m, NULL) < 0) {
        gr_edges_release(out);
        return gr_err(err, GR_ERR_NOMEM, "out of memory (%s of %llu edges)", what,
                      (unsigned long long)m);
    }
    out->m = m;
    return GR_OK;
}

/* Chunks of GR_GEN_CHUNK edges covering m edges. */
static inline int64_t gr_gen_chunks(uint64_t m)
{
    return (int64_t)(m / GR_GEN_CHUNK + (m % GR_GEN_CHUNK != 0));
}

#endif
