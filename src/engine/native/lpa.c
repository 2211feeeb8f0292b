/*
 * lpa.c - native synchronous label propagation (gr_native_lpa), the
 * hand-written C twin of algorithms/lpa.grl and the speed reference the
 * interpreter is measured against.
 *
 * Semantics (every execution mode must match them):
 *  - labels start as the original ids (gr_graph_orig_id);
 *  - each iteration every node v looks at the multiset
 *        { label[u] : u->v an in-edge }  ∪  { label[w] : v->w an out-edge, w != v }
 *    (each edge counts once, parallel edges once each, a self-loop once:
 *    through the in-edges), takes its most frequent label, ties to the
 *    lowest label; a node whose multiset is empty (no edges at all) keeps
 *    its label.  All nodes update from the previous iteration's labels;
 *  - stop after the first iteration in which no label changed, or after
 *    max_iter iterations; *iters = iterations run, counting the one that
 *    changed nothing (max_iter == 0 returns the original ids, 0 iterations);
 *  - max_iter must be >= 0 (GR_ERR_INVALID); label[] receives original ids.
 *
 * GR_BEST: no faster algorithm gives the same labels (an active-set or
 * asynchronous variant changes the answer), so GR_BEST runs this same code.
 *
 * Implementation: labels are dense ids internally (dense order is original
 * order, so "lowest label" is the same either way) in two uint32 buffers,
 * mapped to original ids at the end.  Nothing is allocated per node or per
 * iteration: each thread gets its workspace once per call.
 *  - Gather: nodes go in runs whose in-rows (and out-rows) are contiguous in
 *    the CSC (CSR), so the labels of a whole run are gathered by one flat
 *    loop per direction: no per-node loop exits to mispredict, many random
 *    reads in flight, and more by prefetching LPA_AHEAD edges ahead on
 *    large graphs (8% faster on uniform 1M than none, grprof exec lpa).
 *    Out-edge self-loops are dropped per node, only for the nodes flagged
 *    (once per call) as having one.
 *  - Count: up to LPA_VEC_BIG labels, every label is compared with all of
 *    them in SIMD (no branches, no table); beyond, an open-addressing table
 *    sized to twice the degree (power of two, cleared per node); the SIMD
 *    count is quadratic, so it wins only up to about 64-96 labels (measured
 *    on 1M-node graphs), and needs the GCC/Clang vector extension (other
 *    compilers use the table throughout).  Both take
 *    the largest (count << 32 | ~label), i.e. the top count, lowest label;
 *    the table does it as counts grow (counts only grow, so a label tying
 *    the top count later wins only if it is lower: no tie scan).
 *  - Threads take chunks of LPA_CHUNK nodes dynamically; the changed count
 *    is an integer sum, so results are identical for any thread count.
 */
#include "config.h"
#include "engine/native/native_internal.h"

#include <string.h>

#define LPA_EMPTY UINT32_MAX /* free slot / padding: labels are < n <= UINT32_MAX */
#define LPA_MIN_BITS 3       /* smallest table: 8 slots */
#define LPA_CHUNK 256        /* nodes per dynamic scheduling chunk */
#define LPA_BATCH 4096       /* labels per direction gathered before counting */
#define LPA_SLACK 32         /* readable slots past every label buffer */
#define LPA_VEC_BIG 64       /* multisets up to this size: SIMD count (multiple of 32) */
#define LPA_AHEAD 64         /* edges ahead a gather prefetches the labels */
#define LPA_AHEAD_MIN_N (1u << 18) /* nodes from which gathers prefetch (below, the
                                      labels stay in cache and prefetching costs 6%) */

/* One thread's workspace, carved once per call from one allocation. */
typedef struct lpa_ws {
    uint32_t *inb;           /* labels over the in-edges of a run of nodes */
    uint32_t *outb;          /* labels over the out-edges of the run */
    uint32_t *flt;           /* one node's out-labels without self-loops */
    uint32_t *key;           /* counting table: label, LPA_EMPTY when free */
    uint32_t *cnt;           /* counting table: occurrences of key */
} lpa_ws;

/* log2 of the table size for d labels among n distinct: the smallest
 * power of two >= 2*min(d, n), at least 2^LPA_MIN_BITS, at most 2^32
 * (which still leaves a free slot: at most n <= 2^32-1 distinct). */
static unsigned lpa_bits(uint64_t d, uint32_t n)
{
    unsigned b = LPA_MIN_BITS;
    if (d > n) {
        d = n;
    }
    while (b < 32 && ((uint64_t)1 << b) < 2 * d) {
        b++;
    }
    return b;
}

/* The answer is the label with the largest (count << 32 | ~label): the top
 * count, and among equal counts the lowest label. */
static inline uint64_t lpa_key(uint32_t count, uint32_t label)
{
    return (uint64_t)count << 32 | (uint32_t)~label;
}

/* Count the labels x[0..m) into the table; top tracks the largest key. */
static inline uint64_t lpa_hash_add(const uint32_t *restrict x, size_t m, uint32_t *restrict key,
                                    uint32_t *restrict cnt, uint64_t mask, unsigned shift,
                                    uint64_t top)
{
    size_t i;
    for (i = 0; i < m; i++) {
        uint32_t l = x[i];
        uint64_t h = ((uint64_t)l * 0x9e3779b97f4a7c15ULL) >> shift, k;
        while (key[h] != l && key[h] != LPA_EMPTY) {
            h = (h + 1) & mask;
        }
        if (key[h] == LPA_EMPTY) {
            key[h] = l;
            cnt[h] = 0;
        }
        k = lpa_key(++cnt[h], l);
        top = k > top ? k : top;
    }
    return top;
}

/* Mode of the labels a[0..na) and b[0..nb) (na + nb >= 1) by hashing. */
static uint32_t lpa_mode_hash(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                              uint32_t n, lpa_ws *w)
{
    unsigned bits = lpa_bits(na + nb, n);
    uint64_t mask = ((uint64_t)1 << bits) - 1, top;
    memset(w->key, 0xff, (size_t)(mask + 1) * sizeof *w->key);
    top = lpa_hash_add(a, na, w->key, w->cnt, mask, 64 - bits, 0);
    top = lpa_hash_add(b, nb, w->key, w->cnt, mask, 64 - bits, top);
    return ~(uint32_t)top;
}

#if defined(__GNUC__) && LPA_VEC_BIG > 0
#define LPA_VEC 1
/* Four labels or counts (GCC/Clang vector extension: SSE2, NEON, ...). */
typedef uint32_t lpa_v4 __attribute__((vector_size(16)));

/* cnt[0..4*NV) = how often each of the labels l[0..4*NV) occurs in
 * all[0..d): d*NV vector compares, no branches; the NV vectors of labels
 * and counts stay in registers (NV <= 8: 16 of them with the broadcast). */
#define LPA_COUNT_VEC(NV)                                                      \
    static inline void lpa_count_vec##NV(const uint32_t *l, const uint32_t *all, \
                                         size_t d, uint32_t *cnt)              \
    {                                                                          \
        lpa_v4 lv[NV], cv[NV];                                                 \
        size_t i, q;                                                           \
        _Pragma("GCC unroll 8")                                                \
        for (q = 0; q < NV; q++) {                                             \
            memcpy(&lv[q], l + 4 * q, sizeof lv[q]);                           \
            cv[q] = (lpa_v4){0, 0, 0, 0};                                      \
        }                                                                      \
        for (i = 0; i < d; i++) {                                              \
            lpa_v4 s = (lpa_v4){0, 0, 0, 0} + all[i];                          \
            _Pragma("GCC unroll 8")                                            \
            for (q = 0; q < NV; q++) {                                         \
                cv[q] -= (lpa_v4)(lv[q] == s);                                 \
            }                                                                  \
        }                                                                      \
        memcpy(cnt, cv, sizeof cv);                                            \
    }
LPA_COUNT_VEC(1)
LPA_COUNT_VEC(2)
LPA_COUNT_VEC(3)
LPA_COUNT_VEC(4)
LPA_COUNT_VEC(5)
LPA_COUNT_VEC(6)
LPA_COUNT_VEC(7)
LPA_COUNT_VEC(8)

/* The mode of t[0..d), d <= LPA_VEC_BIG, with t padded by LPA_EMPTY to a
 * multiple of 4 (of 32 when d > 32).  Pads never match a label, and only
 * the first d counts are looked at. */
static uint32_t lpa_mode_vec(const uint32_t *t, size_t d)
{
    uint32_t c[LPA_VEC_BIG];
    uint64_t top = 0;
    size_t i, b;
    switch ((d + 3) / 4) {
    case 1: lpa_count_vec1(t, t, d, c); break;
    case 2: lpa_count_vec2(t, t, d, c); break;
    case 3: lpa_count_vec3(t, t, d, c); break;
    case 4: lpa_count_vec4(t, t, d, c); break;
    case 5: lpa_count_vec5(t, t, d, c); break;
    case 6: lpa_count_vec6(t, t, d, c); break;
    case 7: lpa_count_vec7(t, t, d, c); break;
    default:
        for (b = 0; b < d; b += 32) {
            lpa_count_vec8(t + b, t, d, c + b);
        }
    }
    for (i = 0; i < d; i++) {
        uint64_t k = lpa_key(c[i], t[i]);
        top = k > top ? k : top;
    }
    return ~(uint32_t)top;
}
#else
#define LPA_VEC 0
#endif

/* The most frequent of the labels a[0..na) and b[0..nb) (na + nb >= 1),
 * the lowest on ties.  Both arrays are readable LPA_SLACK slots past
 * their end. */
static uint32_t lpa_mode(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                         uint32_t n, lpa_ws *w)
{
    size_t d = na + nb;
    if (d == 1) {
        return na ? a[0] : b[0];
    }
#if LPA_VEC
    if (d <= 32) {
        uint32_t t[64 + 4];
        memcpy(t, a, 32 * sizeof *t); /* fixed sizes: a few vector moves */
        memcpy(t + na, b, 32 * sizeof *t);
        t[d] = t[d + 1] = t[d + 2] = LPA_EMPTY;
        return lpa_mode_vec(t, d);
    }
    if (d <= LPA_VEC_BIG) {
        uint32_t t[LPA_VEC_BIG + 32];
        size_t i;
        memcpy(t, a, na * sizeof *t);
        memcpy(t + na, b, nb * sizeof *t);
        for (i = d; i < ((d + 31) & ~(size_t)31); i++) {
            t[i] = LPA_EMPTY;
        }
        return lpa_mode_vec(t, d);
    }
#endif
    return lpa_mode_hash(a, na, b, nb, n, w);
}

/* The largest in-degree and out-degree of any node. */
static void max_degrees(const gr_graph *g, uint64_t *maxin, uint64_t *maxout)
{
    uint64_t mi = 0, mo = 0;
    uint32_t v;
    for (v = 0; v < g->n; v++) {
        uint64_t di = g->in_off[v + 1] - g->in_off[v], dout = g->out_off[v + 1] - g->out_off[v];
        mi = di > mi ? di : mi;
        mo = dout > mo ? dout : mo;
    }
    *maxin = mi;
    *maxout = mo;
}

static int omp_tid(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* buf[e] = cur[adj[e]] for e < ne; with pf, prefetching LPA_AHEAD edges
 * ahead. */
static inline void lpa_gather(uint32_t *restrict buf, const uint32_t *restrict cur,
                              const uint32_t *adj, uint64_t ne, int pf)
{
    uint64_t e;
    if (!pf) {
        for (e = 0; e < ne; e++) {
            buf[e] = cur[adj[e]];
        }
        return;
    }
    for (e = 0; e < ne; e++) {
        if (e + LPA_AHEAD < ne) {
            __builtin_prefetch(&cur[adj[e + LPA_AHEAD]]);
        }
        buf[e] = cur[adj[e]];
    }
}

/* New labels for nodes [lo, hi) into nxt; returns how many changed. */
static uint64_t lpa_chunk(const gr_graph *g, const uint32_t *restrict cur,
                          uint32_t *restrict nxt, const uint8_t *selfl, uint32_t lo,
                          uint32_t hi, uint64_t bufcap, lpa_ws *w)
{
    const uint64_t *ioff = g->in_off, *ooff = g->out_off;
    uint64_t changed = 0;
    uint32_t v = lo;
    while (v < hi) {
        /* A run [first, v) whose in- and out-labels fit the buffers (a
         * single node always does: bufcap >= max degree). */
        uint32_t first = v, u;
        uint64_t ib = ioff[first], ob = ooff[first];
        v = first + 1;
        while (v < hi && ioff[v + 1] - ib <= bufcap && ooff[v + 1] - ob <= bufcap) {
            v++;
        }
        lpa_gather(w->inb, cur, g->in_adj + ib, ioff[v] - ib, g->n >= LPA_AHEAD_MIN_N);
        lpa_gather(w->outb, cur, g->out_adj + ob, ooff[v] - ob, g->n >= LPA_AHEAD_MIN_N);
        for (u = first; u < v; u++) {
            const uint32_t *a = w->inb + (ioff[u] - ib), *b = w->outb + (ooff[u] - ob);
            size_t na = ioff[u + 1] - ioff[u], nb = ooff[u + 1] - ooff[u];
            uint32_t l;
            if (selfl[u]) {
                /* Drop the out-edge self-loops: counted once, as in-edges. */
                size_t k = 0, j;
                for (j = 0; j < nb; j++) {
                    w->flt[k] = b[j];
                    k += g->out_adj[ooff[u] + j] != u;
                }
                b = w->flt;
                nb = k;
            }
            l = na + nb ? lpa_mode(a, na, b, nb, g->n, w) : cur[u];
            nxt[u] = l;
            changed += l != cur[u];
        }
    }
    return changed;
}

/* One synchronous iteration from cur into nxt; returns labels changed. */
static uint64_t lpa_step(const gr_graph *g, const uint32_t *cur, uint32_t *nxt,
                         const uint8_t *selfl, lpa_ws *ws, uint64_t bufcap, int par)
{
    const uint32_t n = g->n;
    uint64_t changed = 0;
    (void)par;
    GR_OMP(parallel if (par) reduction(+ : changed))
    {
        lpa_ws *w = &ws[omp_tid()];
        long long c;
        GR_OMP(for schedule(dynamic, 1))
        for (c = 0; c < ((long long)n + LPA_CHUNK - 1) / LPA_CHUNK; c++) {
            uint32_t lo = (uint32_t)c * LPA_CHUNK;
            uint32_t hi = n - lo > LPA_CHUNK ? lo + LPA_CHUNK : n;
            changed += lpa_chunk(g, cur, nxt, selfl, lo, hi, bufcap, w);
        }
    }
    return changed;
}

/* See gr.h.  label[] (g->n entries, caller's) receives original-id labels. */
int gr_native_lpa(const gr_graph *g, gr_native_kind kind, int64_t max_iter,
                  int64_t *label, int64_t *iters, gr_error *err)
{
    uint32_t *cur = NULL, *nxt = NULL, *space = NULL;
    uint8_t *selfl = NULL;
    lpa_ws *ws = NULL;
    int nt = 1, i, par, rc = GR_OK;
    int64_t it = 0;
    uint32_t v;

    if (iters) {
        *iters = 0;
    }
    if (!g || !label) {
        return gr_err(err, GR_ERR_INVALID, "lpa: %s is NULL", g ? "label" : "graph");
    }
    if (kind != GR_NATIVE && kind != GR_BEST) {
        return gr_err(err, GR_ERR_INVALID, "lpa: unknown kind %d", (int)kind);
    }
    if (max_iter < 0) {
        return gr_err(err, GR_ERR_INVALID, "lpa: max_iter must be >= 0, got %lld",
                      (long long)max_iter);
    }
    if (g->n == 0) {
        return GR_OK;
    }

    par = gr_par_worth(g);
    if (max_iter > 0) {
        uint64_t maxin, maxout, bufcap;
        size_t tabcap, stride;
        max_degrees(g, &maxin, &maxout);
        bufcap = maxin > maxout ? maxin : maxout;
        bufcap = bufcap > LPA_BATCH ? bufcap : LPA_BATCH;
        tabcap = (size_t)1 << lpa_bits(maxin + maxout, g->n);
        /* Per thread: inb, outb, flt (each + slack), key, cnt; 64-byte
         * multiples so threads never share a cache line. */
        stride = (3 * ((size_t)bufcap + LPA_SLACK) + 2 * tabcap + 15) & ~(size_t)15;
        nt = par ? gr_threads() : 1;
        if (!(cur = gr_alloc_big(g->n, sizeof *cur)) ||
            !(nxt = gr_alloc_big(g->n, sizeof *nxt)) ||
            !(selfl = gr_alloc_big(g->n, sizeof *selfl)) ||
            !(ws = gr_malloc((size_t)nt * sizeof *ws)) ||
            !(space = gr_alloc_big((size_t)nt, stride * sizeof *space))) {
            rc = gr_err_nomem(err, "lpa labels");
            goto done;
        }
        /* The slack past the label buffers is read (never used) by the
         * fixed-size copies of lpa_mode: keep it defined. */
        memset(space, 0xff, (size_t)nt * stride * sizeof *space);
        for (i = 0; i < nt; i++) {
            ws[i].inb = space + (size_t)i * stride;
            ws[i].outb = ws[i].inb + bufcap + LPA_SLACK;
            ws[i].flt = ws[i].outb + bufcap + LPA_SLACK;
            ws[i].key = ws[i].flt + bufcap + LPA_SLACK;
            ws[i].cnt = ws[i].key + tabcap;
        }
        gr_graph_self_loops(g, selfl);
        for (v = 0; v < g->n; v++) {
            cur[v] = v;
        }
        while (it < max_iter) {
            uint32_t *t;
            uint64_t changed = lpa_step(g, cur, nxt, selfl, ws, bufcap, par);
            it++;
            t = cur;
            cur = nxt;
            nxt = t;
            if (changed == 0) {
                break;
            }
        }
    }

    for (v = 0; v < g->n; v++) {
        label[v] = gr_graph_orig_id(g, cur ? cur[v] : v);
    }
    if (iters) {
        *iters = it;
    }

done:
    gr_free_big(cur);
    gr_free_big(nxt);
    gr_free_big(selfl);
    gr_free_big(space);
    gr_free(ws);
    return rc;
}
