/*
 * hash.h - a fast, portable 64-bit hash for checksums (snapshots, result
 * checksums, graph digests).  Not cryptographic.  The value depends only on
 * the bytes, the length and the seed, so it is the same on every machine of
 * the same byte order.  gr_hash_* build a hash incrementally over several
 * buffers; the result equals nothing else's, but is stable across runs.
 */
#ifndef GR_COMMON_HASH_H
#define GR_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct gr_hash {
    uint64_t lane[4];    /* running state */
    uint64_t total;      /* bytes consumed */
    unsigned char buf[32]; /* partial block */
    size_t nbuf;         /* bytes in buf */
} gr_hash;

void gr_hash_init(gr_hash *h, uint64_t seed);
void gr_hash_update(gr_hash *h, const void *data, size_t len);
uint64_t gr_hash_final(const gr_hash *h);

/* One-shot hash of a buffer. */
uint64_t gr_hash64(const void *data, size_t len, uint64_t seed);

/* splitmix64 finaliser: a good 64-bit mixing function. */
static inline uint64_t gr_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

#endif
