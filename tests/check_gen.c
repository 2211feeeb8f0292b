/*
 * check_gen.c - unit tests of the graph generators (gen_uniform.c,
 * gen_rmat.c, gen_weights.c) and of the PRNG under them (prng.h):
 * determinism by seed and across thread counts, golden values pinned as
 * constants (so a generator change on any machine fails here), statistical
 * checks (uniformity, unbiased bounded draws, R-MAT quadrant frequencies and
 * degree skew, the id permutation), argument checking and
 * allocation-failure injection.
 */
#include "config.h"
#include "testutil.h"
#include "common/mem.h"
#include "engine/graph/prng.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------- */

/* FNV-1a over the edge values (not their bytes, so byte order does not
 * matter): pins the raw generator output independently of build.c. */
static uint64_t edges_hash(const gr_edges *e)
{
    uint64_t h = 0xcbf29ce484222325ULL, i;
    for (i = 0; i < e->m; i++) {
        uint64_t v = ((uint64_t)e->src[i] << 32) | e->dst[i];
        int b;
        if (e->weighted) {
            uint64_t wb;
            memcpy(&wb, &e->w[i], sizeof wb);
            v ^= wb * 0x9e3779b97f4a7c15ULL;
        }
        for (b = 0; b < 8; b++) {
            h = (h ^ ((v >> (8 * b)) & 0xff)) * 0x100000001b3ULL;
        }
    }
    return h ^ e->m;
}

static uint64_t digest_of(const gr_edges *e, uint32_t n, unsigned flags)
{
    gr_graph *g = NULL;
    gr_error err;
    uint64_t d;
    gr_error_clear(&err);
    ck_assert_msg(gr_graph_build(e, n, flags, &g, &err) == GR_OK, "build: %s", err.msg);
    ck_assert_int_eq(gr_graph_validate(g, &err), GR_OK);
    d = gr_graph_digest(g);
    gr_graph_free(&g);
    return d;
}

static void uniform_ok(uint32_t n, uint64_t m, uint64_t seed, gr_edges *e)
{
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_gen_uniform(n, m, seed, e, &err) == GR_OK, "uniform: %s", err.msg);
    ck_assert_uint_eq(e->m, m);
    ck_assert_int_eq(e->weighted, 0);
}

static void rmat_ok(unsigned scale, unsigned ef, double a, double b, double c,
                    uint64_t seed, gr_edges *e)
{
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_gen_rmat(scale, ef, a, b, c, seed, e, &err) == GR_OK, "rmat: %s",
                  err.msg);
    ck_assert_uint_eq(e->m, (uint64_t)ef << scale);
}

static void weights_ok(gr_edges *e, double lo, double hi, uint64_t seed)
{
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_gen_weights(e, lo, hi, seed, &err) == GR_OK, "weights: %s", err.msg);
    ck_assert_int_eq(e->weighted, 1);
}

static int same_edges(const gr_edges *a, const gr_edges *b)
{
    if (a->m != b->m || a->weighted != b->weighted) {
        return 0;
    }
    if (a->m == 0) {
        return 1;
    }
    return memcmp(a->src, b->src, a->m * sizeof *a->src) == 0 &&
           memcmp(a->dst, b->dst, a->m * sizeof *a->dst) == 0 &&
           (!a->weighted || memcmp(a->w, b->w, a->m * sizeof *a->w) == 0);
}

static void assert_empty(const gr_edges *e)
{
    ck_assert_uint_eq(e->m, 0);
    ck_assert_uint_eq(e->cap, 0);
    ck_assert_ptr_null(e->src);
    ck_assert_ptr_null(e->dst);
    ck_assert_ptr_null(e->w);
}

/* Pearson's chi-square of counts against a uniform expectation. */
static double chi_square(const uint64_t *count, size_t k, uint64_t total)
{
    double expect = (double)total / (double)k, x = 0.0;
    size_t i;
    for (i = 0; i < k; i++) {
        double d = (double)count[i] - expect;
        x += d * d / expect;
    }
    return x;
}

/* ---- the PRNG -------------------------------------------------------- */

START_TEST(test_rng_streams)
{
    gr_rng a, b, c;
    int i, differ = 0, same = 0;
    gr_rng_seed(&a, 42, GR_RNG_UNIFORM, 7);
    gr_rng_seed(&b, 42, GR_RNG_UNIFORM, 7);
    gr_rng_seed(&c, 42, GR_RNG_UNIFORM, 8);
    for (i = 0; i < 1000; i++) {
        uint64_t x = gr_rng_next(&a);
        same += x == gr_rng_next(&b);
        differ += x != gr_rng_next(&c);
    }
    ck_assert_int_eq(same, 1000);
    ck_assert_int_gt(differ, 990);
    /* Another domain, same seed and index: another stream. */
    gr_rng_seed(&a, 42, GR_RNG_UNIFORM, 7);
    gr_rng_seed(&b, 42, GR_RNG_WEIGHTS, 7);
    ck_assert_uint_ne(gr_rng_next(&a), gr_rng_next(&b));
    /* Pinned: the first output of one stream. */
    gr_rng_seed(&a, 1, GR_RNG_UNIFORM, 0);
    ck_assert_uint_eq(gr_rng_next(&a), 0xaaa76dd7bfa52f58ULL);
}
END_TEST

START_TEST(test_rng_lemire)
{
    uint32_t v = 12345, bound = 3u << 30; /* 2^32 mod bound = 2^30 */
    /* x = 0: the low half 0 lies in the biased zone, rejected. */
    ck_assert_int_eq(gr_lemire32(0, bound, &v), 0);
    ck_assert_uint_eq(v, 12345);
    /* x = 1: the low half equals bound, accepted, value 0. */
    ck_assert_int_eq(gr_lemire32(1, bound, &v), 1);
    ck_assert_uint_eq(v, 0);
    /* The largest x gives the largest value. */
    ck_assert_int_eq(gr_lemire32(UINT32_MAX, bound, &v), 1);
    ck_assert_uint_eq(v, bound - 1);
    /* bound 1 always gives 0. */
    ck_assert_int_eq(gr_lemire32(0x89abcdefu, 1, &v), 1);
    ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(test_rng_bounded_unbiased)
{
    /* With bound = 3 * 2^(w-2), modulo reduction would make the lowest
     * third of the range twice as likely; an unbiased draw lands there a
     * third of the time. */
    gr_rng r;
    const int N = 300000;
    int i, low32 = 0, low64 = 0, bad = 0;
    uint32_t b32 = 3u << 30;
    uint64_t b64 = 3ULL << 62;
    gr_rng_seed(&r, 5, 99, 0);
    for (i = 0; i < N; i++) {
        uint32_t x = gr_rng_below32(&r, b32);
        uint64_t y = gr_rng_below64(&r, b64);
        bad += x >= b32 || y >= b64;
        low32 += x < (1u << 30);
        low64 += y < (1ULL << 62);
    }
    ck_assert(fabs((double)low32 / N - 1.0 / 3.0) < 0.005);
    ck_assert(fabs((double)low64 / N - 1.0 / 3.0) < 0.005);
    for (i = 0; i < 1000; i++) {
        double u = gr_rng_unit(&r);
        bad += !(u >= 0.0 && u < 1.0);
        bad += gr_rng_below32(&r, 7) >= 7;
        bad += gr_rng_below64(&r, 1) != 0;
    }
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(test_perm_bijection)
{
    unsigned k;
    for (k = 1; k <= 20; k++) {
        uint32_t size = 1u << k, x, moved = 0, bad = 0;
        unsigned char *seen = calloc(size, 1);
        gr_perm p;
        ck_assert_ptr_nonnull(seen);
        gr_perm_init(&p, k, 12345);
        for (x = 0; x < size; x++) {
            uint32_t y = gr_perm_apply(&p, x);
            if (y >= size || seen[y]) {
                bad++;
                continue;
            }
            seen[y] = 1;
            moved += y != x;
        }
        ck_assert_msg(bad == 0, "k=%u: not a bijection", k);
        if (k >= 4) {
            ck_assert_uint_gt(moved, size / 2);
        }
        free(seen);
    }
}
END_TEST

/* ---- gr_gen_uniform -------------------------------------------------- */

START_TEST(test_uniform_deterministic)
{
    gr_edges a, b, c;
    uniform_ok(1000, 200000, 9, &a);
    uniform_ok(1000, 200000, 9, &b);
    uniform_ok(1000, 200000, 10, &c);
    ck_assert(same_edges(&a, &b));
    ck_assert(!same_edges(&a, &c));
    ck_assert_uint_eq(digest_of(&a, 1000, 0), digest_of(&b, 1000, 0));
    ck_assert_uint_ne(digest_of(&a, 1000, 0), digest_of(&c, 1000, 0));
    gr_edges_release(&a);
    gr_edges_release(&b);
    gr_edges_release(&c);
}
END_TEST

START_TEST(test_uniform_golden)
{
    static const uint32_t first[8][2] = {{736, 555}, {521, 420}, {82, 2},    {400, 252},
                                         {129, 54},  {184, 766}, {390, 872}, {369, 551}};
    gr_edges e;
    int i;
    uniform_ok(1000, 5000, 42, &e);
    for (i = 0; i < 8; i++) {
        ck_assert_uint_eq(e.src[i], first[i][0]);
        ck_assert_uint_eq(e.dst[i], first[i][1]);
    }
    ck_assert_uint_eq(edges_hash(&e), 0x2180f3ed278ff4cfULL);
    ck_assert_uint_eq(digest_of(&e, 1000, 0), 0x7c1abc88084937d7ULL);
    ck_assert_uint_eq(digest_of(&e, 1000, GR_BUILD_SYMMETRIZE), 0xe44a631948245699ULL);
    gr_edges_release(&e);
    /* Several chunks. */
    uniform_ok(1000, 200000, 7, &e);
    ck_assert_uint_eq(edges_hash(&e), 0xbbf47b34f700df37ULL);
    ck_assert_uint_eq(digest_of(&e, 1000, 0), 0x75e179bebb62cf15ULL);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_uniform_threads)
{
    int saved = gr_threads();
    gr_edges a, b;
    gr_set_threads(1);
    uniform_ok(5000, 5 * GR_GEN_CHUNK + 123, 3, &a);
    gr_set_threads(2);
    uniform_ok(5000, 5 * GR_GEN_CHUNK + 123, 3, &b);
    gr_set_threads(saved);
    ck_assert(same_edges(&a, &b));
    gr_edges_release(&a);
    gr_edges_release(&b);
}
END_TEST

START_TEST(test_uniform_statistics)
{
    enum { N = 100 };
    const uint64_t m = 200000;
    uint64_t src[N] = {0}, dst[N] = {0}, i, low = 0, bad = 0;
    uint32_t big = 3u << 30;
    double xs, xd;
    gr_edges e;
    uniform_ok(N, m, 11, &e);
    for (i = 0; i < m; i++) {
        if (e.src[i] >= N || e.dst[i] >= N) {
            bad++;
            continue;
        }
        src[e.src[i]]++;
        dst[e.dst[i]]++;
    }
    ck_assert_uint_eq(bad, 0);
    /* chi-square with 99 degrees of freedom: mean 99, sd 14. */
    xs = chi_square(src, N, m);
    xd = chi_square(dst, N, m);
    ck_assert_msg(xs > 40 && xs < 180, "source chi-square %g", xs);
    ck_assert_msg(xd > 40 && xd < 180, "target chi-square %g", xd);
    gr_edges_release(&e);
    /* A bound just above 2^31.6: biased reduction would favour [0, 2^30). */
    uniform_ok(big, 100000, 12, &e);
    for (i = 0; i < e.m; i++) {
        bad += e.src[i] >= big || e.dst[i] >= big;
        low += (e.src[i] < (1u << 30)) + (e.dst[i] < (1u << 30));
    }
    ck_assert_uint_eq(bad, 0);
    ck_assert(fabs((double)low / (2.0 * (double)e.m) - 1.0 / 3.0) < 0.006);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_uniform_small)
{
    gr_edges e;
    uint64_t i, ones = 0, bad = 0;
    uniform_ok(1, 100, 1, &e);
    for (i = 0; i < e.m; i++) {
        bad += e.src[i] != 0 || e.dst[i] != 0;
    }
    ck_assert_uint_eq(bad, 0);
    gr_edges_release(&e);
    uniform_ok(2, 1000, 1, &e);
    for (i = 0; i < e.m; i++) {
        ones += e.src[i] + e.dst[i];
    }
    ck_assert(ones > 800 && ones < 1200);
    gr_edges_release(&e);
    uniform_ok(10, 0, 1, &e);
    ck_assert_uint_eq(e.m, 0);
    ck_assert_uint_eq(digest_of(&e, 10, 0), digest_of(&e, 10, 0));
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_uniform_invalid)
{
    gr_edges e;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_gen_uniform(0, 10, 1, &e, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "uniform graph needs n >= 1 nodes, got n=0");
    assert_empty(&e);
    /* NULL error records are allowed. */
    ck_assert_int_eq(gr_gen_uniform(0, 10, 1, &e, NULL), GR_ERR_INVALID);
    /* More edges than memory can hold. */
    gr_error_clear(&err);
    ck_assert_int_eq(gr_gen_uniform(10, UINT64_MAX, 1, &e, &err), GR_ERR_NOMEM);
    ck_assert_str_eq(err.msg, "out of memory (uniform graph of 18446744073709551615 edges)");
    assert_empty(&e);
}
END_TEST

/* ---- gr_gen_rmat ----------------------------------------------------- */

START_TEST(test_rmat_deterministic)
{
    gr_edges a, b, c;
    rmat_ok(12, 8, 0.57, 0.19, 0.19, 4, &a);
    rmat_ok(12, 8, 0.57, 0.19, 0.19, 4, &b);
    rmat_ok(12, 8, 0.57, 0.19, 0.19, 5, &c);
    ck_assert(same_edges(&a, &b));
    ck_assert(!same_edges(&a, &c));
    ck_assert_uint_eq(digest_of(&a, 4096, 0), digest_of(&b, 4096, 0));
    ck_assert_uint_ne(digest_of(&a, 4096, 0), digest_of(&c, 4096, 0));
    gr_edges_release(&a);
    gr_edges_release(&b);
    gr_edges_release(&c);
}
END_TEST

START_TEST(test_rmat_golden)
{
    static const uint32_t first[8][2] = {{840, 446}, {78, 771},   {414, 279}, {56, 407},
                                         {968, 111}, {105, 280},  {530, 766}, {446, 446}};
    gr_edges e;
    int i;
    rmat_ok(10, 8, 0.57, 0.19, 0.19, 1, &e);
    for (i = 0; i < 8; i++) {
        ck_assert_uint_eq(e.src[i], first[i][0]);
        ck_assert_uint_eq(e.dst[i], first[i][1]);
    }
    ck_assert_uint_eq(edges_hash(&e), 0x3b2182d296999915ULL);
    ck_assert_uint_eq(digest_of(&e, 1024, 0), 0x90c4031947ddaa6aULL);
    ck_assert_uint_eq(digest_of(&e, 1024, GR_BUILD_SYMMETRIZE), 0x2f7ae71125b414f7ULL);
    gr_edges_release(&e);
    /* Several chunks. */
    rmat_ok(12, 40, 0.57, 0.19, 0.19, 3, &e);
    ck_assert_uint_eq(edges_hash(&e), 0x64b097a40b9b85f7ULL);
    ck_assert_uint_eq(digest_of(&e, 4096, 0), 0x44f9d757d3ca2b3cULL);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_rmat_threads)
{
    int saved = gr_threads();
    gr_edges a, b;
    gr_set_threads(1);
    rmat_ok(13, 50, 0.45, 0.25, 0.15, 8, &a);
    gr_set_threads(2);
    rmat_ok(13, 50, 0.45, 0.25, 0.15, 8, &b);
    gr_set_threads(saved);
    ck_assert_uint_gt(a.m, 4 * GR_GEN_CHUNK);
    ck_assert(same_edges(&a, &b));
    gr_edges_release(&a);
    gr_edges_release(&b);
}
END_TEST

/* Undo the id permutation so the quadrant choices can be counted. */
static uint32_t *inverse_perm(unsigned scale, uint64_t seed)
{
    uint32_t n = 1u << scale, x;
    uint32_t *inv = malloc(n * sizeof *inv);
    gr_perm p;
    ck_assert_ptr_nonnull(inv);
    gr_perm_init(&p, scale, seed);
    for (x = 0; x < n; x++) {
        inv[gr_perm_apply(&p, x)] = x;
    }
    return inv;
}

START_TEST(test_rmat_quadrants)
{
    /* At every level the (source bit, target bit) pair is quadrant a (0,0),
     * b (0,1), c (1,0) or d (1,1) with the given probabilities. */
    const unsigned scale = 10, ef = 64;
    const double p[4] = {0.57, 0.19, 0.19, 0.05};
    uint32_t *inv = inverse_perm(scale, 21);
    uint64_t cnt[10][4], i;
    unsigned l, q;
    gr_edges e;
    memset(cnt, 0, sizeof cnt);
    rmat_ok(scale, ef, 0.57, 0.19, 0.19, 21, &e);
    for (i = 0; i < e.m; i++) {
        uint32_t u = inv[e.src[i]], v = inv[e.dst[i]];
        for (l = 0; l < scale; l++) {
            unsigned sb = (u >> (scale - 1 - l)) & 1, db = (v >> (scale - 1 - l)) & 1;
            cnt[l][sb * 2 + db]++;
        }
    }
    for (l = 0; l < scale; l++) {
        for (q = 0; q < 4; q++) {
            double f = (double)cnt[l][q] / (double)e.m;
            double sd = sqrt(p[q] * (1 - p[q]) / (double)e.m);
            ck_assert_msg(fabs(f - p[q]) < 5 * sd, "level %u quadrant %u: %g, want %g", l, q,
                          f, p[q]);
        }
    }
    free(inv);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_rmat_skew_and_spread)
{
    const unsigned scale = 14, ef = 16;
    const uint32_t n = 1u << scale;
    uint64_t *deg = malloc(n * sizeof *deg);
    uint32_t hubs[6];
    int s, distinct = 0, j;
    ck_assert_ptr_nonnull(deg);
    for (s = 0; s < 6; s++) {
        gr_edges e;
        gr_perm p;
        uint64_t i, max = 0, bad = 0;
        uint32_t hub = 0, v;
        rmat_ok(scale, ef, 0.57, 0.19, 0.19, (uint64_t)s + 1, &e);
        memset(deg, 0, n * sizeof *deg);
        for (i = 0; i < e.m; i++) {
            if (e.src[i] >= n || e.dst[i] >= n) {
                bad++;
                continue;
            }
            deg[e.src[i]]++;
            deg[e.dst[i]]++;
        }
        ck_assert_uint_eq(bad, 0);
        for (v = 0; v < n; v++) {
            if (deg[v] > max) {
                max = deg[v];
                hub = v;
            }
        }
        /* Mean degree is 2*ef = 32; R-MAT's hub has thousands. */
        ck_assert_msg(max > 100 * 2 * ef, "max degree %llu", (unsigned long long)max);
        /* The hub is node 0 before scrambling. */
        gr_perm_init(&p, scale, (uint64_t)s + 1);
        ck_assert_uint_eq(hub, gr_perm_apply(&p, 0));
        hubs[s] = hub;
        gr_edges_release(&e);
    }
    for (s = 0; s < 6; s++) {
        int seen = 0;
        for (j = 0; j < s; j++) {
            seen |= hubs[j] == hubs[s];
        }
        distinct += !seen;
    }
    ck_assert_int_ge(distinct, 5);
    free(deg);
}
END_TEST

START_TEST(test_rmat_degenerate)
{
    /* One quadrant with probability 1: every edge is the same. */
    static const struct {
        double a, b, c;
        int src_top, dst_top; /* ids before scrambling: 0 or all ones */
    } cases[] = {
        {1, 0, 0, 0, 0}, {0, 1, 0, 0, 1}, {0, 0, 1, 1, 0}, {0, 0, 0, 1, 1},
    };
    const unsigned scale = 9;
    size_t k;
    gr_perm p;
    gr_perm_init(&p, scale, 2);
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gr_edges e;
        uint64_t i, bad = 0;
        uint32_t s = gr_perm_apply(&p, cases[k].src_top ? (1u << scale) - 1 : 0);
        uint32_t d = gr_perm_apply(&p, cases[k].dst_top ? (1u << scale) - 1 : 0);
        rmat_ok(scale, 3, cases[k].a, cases[k].b, cases[k].c, 2, &e);
        for (i = 0; i < e.m; i++) {
            bad += e.src[i] != s || e.dst[i] != d;
        }
        ck_assert_uint_eq(bad, 0);
        gr_edges_release(&e);
    }
}
END_TEST

START_TEST(test_rmat_half)
{
    /* a = b = 1/2: the source is always node 0 before scrambling and the
     * target is uniform. */
    const unsigned scale = 6;
    uint64_t cnt[64] = {0}, i, bad = 0;
    uint32_t *inv = inverse_perm(scale, 3);
    double x;
    gr_edges e;
    rmat_ok(scale, 1000, 0.5, 0.5, 0.0, 3, &e);
    for (i = 0; i < e.m; i++) {
        bad += inv[e.src[i]] != 0;
        cnt[e.dst[i]]++;
    }
    ck_assert_uint_eq(bad, 0);
    x = chi_square(cnt, 64, e.m); /* 63 degrees of freedom */
    ck_assert_msg(x > 20 && x < 130, "chi-square %g", x);
    free(inv);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_rmat_small_and_sums)
{
    gr_edges e;
    /* scale 1, edge factor 1: two edges over nodes 0 and 1. */
    rmat_ok(1, 1, 0.57, 0.19, 0.19, 1, &e);
    ck_assert_uint_eq(e.m, 2);
    ck_assert_uint_lt(e.src[0], 2);
    ck_assert_uint_lt(e.dst[1], 2);
    gr_edges_release(&e);
    /* Decimal probabilities whose doubles sum a hair above 1. */
    rmat_ok(5, 2, 0.1, 0.2, 0.7, 1, &e);
    gr_edges_release(&e);
    rmat_ok(5, 2, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1, &e);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_rmat_invalid)
{
    static const struct {
        unsigned scale, ef;
        double a, b, c;
        const char *msg;
    } cases[] = {
        {0, 16, 0.57, 0.19, 0.19, "R-MAT scale must be 1..31, got 0"},
        {32, 16, 0.57, 0.19, 0.19, "R-MAT scale must be 1..31, got 32"},
        {10, 0, 0.57, 0.19, 0.19, "R-MAT edge factor must be >= 1, got 0"},
        {10, 16, -0.1, 0.19, 0.19,
         "R-MAT probabilities need a, b, c >= 0 and a+b+c <= 1, got a=-0.1 b=0.19 c=0.19"},
        {10, 16, 0.5, 0.5, 0.5,
         "R-MAT probabilities need a, b, c >= 0 and a+b+c <= 1, got a=0.5 b=0.5 c=0.5"},
        {10, 16, 0.5, NAN, 0.1,
         "R-MAT probabilities need a, b, c >= 0 and a+b+c <= 1, got a=0.5 b=nan c=0.1"},
        {10, 16, 0.5, 0.1, INFINITY,
         "R-MAT probabilities need a, b, c >= 0 and a+b+c <= 1, got a=0.5 b=0.1 c=inf"},
        {10, 16, 0.5, 0.5, 1e-6,
         "R-MAT probabilities need a, b, c >= 0 and a+b+c <= 1, got a=0.5 b=0.5 c=1e-06"},
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gr_edges e;
        gr_error err;
        gr_error_clear(&err);
        ck_assert_int_eq(gr_gen_rmat(cases[k].scale, cases[k].ef, cases[k].a, cases[k].b,
                                     cases[k].c, 1, &e, &err),
                         GR_ERR_INVALID);
        ck_assert_str_eq(err.msg, cases[k].msg);
        assert_empty(&e);
    }
}
END_TEST

/* ---- gr_gen_weights -------------------------------------------------- */

START_TEST(test_weights_golden)
{
    static const double first[4] = {0x1.353d8094a0141p+3, 0x1.d9c12c3718b72p+2,
                                    0x1.310e0a621500dp+3, 0x1.36d487c0578d6p+1};
    gr_edges e;
    int i;
    uniform_ok(1000, 5000, 42, &e);
    weights_ok(&e, 1.0, 10.0, 43);
    for (i = 0; i < 4; i++) {
        ck_assert(e.w[i] == first[i]);
    }
    ck_assert_uint_eq(edges_hash(&e), 0xc84e0b297210b024ULL);
    ck_assert_uint_eq(digest_of(&e, 1000, 0), 0x8f115844650a46feULL);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_weights_range)
{
    gr_edges e;
    uint64_t i, bad = 0;
    double sum = 0.0;
    uniform_ok(100, 200000, 1, &e);
    weights_ok(&e, 2.5, 3.5, 5);
    for (i = 0; i < e.m; i++) {
        bad += !(e.w[i] >= 2.5 && e.w[i] < 3.5);
        sum += e.w[i];
    }
    ck_assert(fabs(sum / (double)e.m - 3.0) < 0.005);
    /* Again, over the old weights: [-5, -4). */
    weights_ok(&e, -5.0, -4.0, 6);
    for (i = 0; i < e.m; i++) {
        bad += !(e.w[i] >= -5.0 && e.w[i] < -4.0);
    }
    /* A range holding one double. */
    weights_ok(&e, 1.0, nextafter(1.0, 2.0), 7);
    for (i = 0; i < e.m; i++) {
        bad += e.w[i] != 1.0;
    }
    /* The widest range: hi - lo overflows. */
    weights_ok(&e, -DBL_MAX, DBL_MAX, 8);
    for (i = 0; i < e.m; i++) {
        bad += !(isfinite(e.w[i]) && e.w[i] >= -DBL_MAX && e.w[i] < DBL_MAX);
    }
    ck_assert_uint_eq(bad, 0);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_weights_lists)
{
    gr_edges e;
    gr_error err;
    uint64_t i;
    /* An empty list becomes a weighted empty list that still grows. */
    gr_edges_init(&e, 0);
    weights_ok(&e, 0.0, 1.0, 1);
    ck_assert_uint_eq(e.m, 0);
    gr_error_clear(&err);
    for (i = 0; i < 3000; i++) {
        if (gr_edges_push(&e, 1, 2, 0.25, &err) != GR_OK) {
            ck_abort_msg("push failed: %s", err.msg);
        }
    }
    ck_assert(e.w[2999] == 0.25);
    /* A pushed list with spare capacity: weights for all, room for more. */
    weights_ok(&e, 4.0, 5.0, 2);
    ck_assert_uint_gt(e.cap, e.m);
    ck_assert_int_eq(gr_edges_push(&e, 3, 4, 9.0, &err), GR_OK);
    ck_assert(e.w[3000] == 9.0 && e.w[2999] >= 4.0 && e.w[2999] < 5.0);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_weights_threads)
{
    int saved = gr_threads();
    gr_edges a, b;
    uniform_ok(100, 4 * GR_GEN_CHUNK + 5, 1, &a);
    uniform_ok(100, 4 * GR_GEN_CHUNK + 5, 1, &b);
    gr_set_threads(1);
    weights_ok(&a, 0.5, 10.5, 77);
    gr_set_threads(2);
    weights_ok(&b, 0.5, 10.5, 77);
    gr_set_threads(saved);
    ck_assert(same_edges(&a, &b));
    weights_ok(&b, 0.5, 10.5, 78);
    ck_assert(!same_edges(&a, &b));
    gr_edges_release(&a);
    gr_edges_release(&b);
}
END_TEST

START_TEST(test_weights_invalid)
{
    static const struct {
        double lo, hi;
        const char *msg;
    } cases[] = {
        {1.0, 1.0, "weight range [1, 1) is empty or not finite (need lo < hi)"},
        {2.0, 1.0, "weight range [2, 1) is empty or not finite (need lo < hi)"},
        {NAN, 1.0, "weight range [nan, 1) is empty or not finite (need lo < hi)"},
        {0.0, INFINITY, "weight range [0, inf) is empty or not finite (need lo < hi)"},
        {-INFINITY, 0.0, "weight range [-inf, 0) is empty or not finite (need lo < hi)"},
    };
    size_t k;
    gr_edges e;
    uniform_ok(10, 10, 1, &e);
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gr_error err;
        gr_error_clear(&err);
        ck_assert_int_eq(gr_gen_weights(&e, cases[k].lo, cases[k].hi, 1, &err),
                         GR_ERR_INVALID);
        ck_assert_str_eq(err.msg, cases[k].msg);
        ck_assert_int_eq(e.weighted, 0);
        ck_assert_ptr_null(e.w);
    }
    gr_edges_release(&e);
}
END_TEST

/* ---- allocation failures --------------------------------------------- */

START_TEST(test_nomem)
{
    gr_edges want_u, want_r, want_w, e;
    gr_error err;
    long k;
    int rc;
    uniform_ok(1000, 100000, 3, &want_u);
    rmat_ok(10, 20, 0.57, 0.19, 0.19, 3, &want_r);
    uniform_ok(1000, 100000, 3, &want_w);
    weights_ok(&want_w, 1.0, 2.0, 3);
    for (k = 0;; k++) {
        gr_error_clear(&err);
        gr_mem_fail_after(k);
        rc = gr_gen_uniform(1000, 100000, 3, &e, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_str_eq(err.msg, "out of memory (uniform graph of 100000 edges)");
        assert_empty(&e);
        ck_assert_int_lt(k, 100);
    }
    ck_assert_int_gt(k, 0);
    ck_assert(same_edges(&e, &want_u));
    gr_edges_release(&e);
    for (k = 0;; k++) {
        gr_error_clear(&err);
        gr_mem_fail_after(k);
        rc = gr_gen_rmat(10, 20, 0.57, 0.19, 0.19, 3, &e, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_int_eq(err.code, GR_ERR_NOMEM);
        ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
        assert_empty(&e);
        ck_assert_int_lt(k, 100);
    }
    ck_assert_int_gt(k, 1);
    ck_assert(same_edges(&e, &want_r));
    gr_edges_release(&e);
    uniform_ok(1000, 100000, 3, &e);
    for (k = 0;; k++) {
        gr_error_clear(&err);
        gr_mem_fail_after(k);
        rc = gr_gen_weights(&e, 1.0, 2.0, 3, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_str_eq(err.msg, "out of memory (edge weights)");
        ck_assert_int_eq(e.weighted, 0);
        ck_assert_ptr_null(e.w);
        ck_assert_int_lt(k, 100);
    }
    ck_assert_int_gt(k, 0);
    ck_assert(same_edges(&e, &want_w));
    gr_edges_release(&e);
    gr_edges_release(&want_u);
    gr_edges_release(&want_r);
    gr_edges_release(&want_w);
}
END_TEST

static Suite *gen_suite(void)
{
    Suite *s = suite_create("gen");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_rng_streams);
    tcase_add_test(tc, test_rng_lemire);
    tcase_add_test(tc, test_rng_bounded_unbiased);
    tcase_add_test(tc, test_perm_bijection);
    tcase_add_test(tc, test_uniform_deterministic);
    tcase_add_test(tc, test_uniform_golden);
    tcase_add_test(tc, test_uniform_threads);
    tcase_add_test(tc, test_uniform_statistics);
    tcase_add_test(tc, test_uniform_small);
    tcase_add_test(tc, test_uniform_invalid);
    tcase_add_test(tc, test_rmat_deterministic);
    tcase_add_test(tc, test_rmat_golden);
    tcase_add_test(tc, test_rmat_threads);
    tcase_add_test(tc, test_rmat_quadrants);
    tcase_add_test(tc, test_rmat_skew_and_spread);
    tcase_add_test(tc, test_rmat_degenerate);
    tcase_add_test(tc, test_rmat_half);
    tcase_add_test(tc, test_rmat_small_and_sums);
    tcase_add_test(tc, test_rmat_invalid);
    tcase_add_test(tc, test_weights_golden);
    tcase_add_test(tc, test_weights_range);
    tcase_add_test(tc, test_weights_lists);
    tcase_add_test(tc, test_weights_threads);
    tcase_add_test(tc, test_weights_invalid);
    tcase_add_test(tc, test_nomem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(gen_suite()); }
