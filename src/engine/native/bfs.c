/*
 * bfs.c - breadth-first search levels in native C (gr_native_bfs).
 *
 * Result: level[u] = the number of out-edges on a shortest path from the
 * node whose original id is `source` to u; 0 at the source, -1 where u is
 * unreachable.  A source that is not a node is GR_ERR_RANGE ("source S is
 * not a node of the graph").
 *
 * GR_NATIVE is the language's level-synchronous formulation, each level
 * pulled over in-edges from a frontier held as a bit array:
 *
 *   d = 0; frontier = {s}; level[s] = 0; level[v] = -1 for v != s
 *   repeat:
 *       d = d + 1
 *       next[v] = 1 for each v with level[v] == -1 that has an in-neighbour
 *                 in frontier (the scan of v's in-edges stops at the first)
 *       level[v] = d where next[v]; frontier = next
 *   until next is empty
 *
 * Every read of `level` and `frontier` in a level sees the previous level's
 * values.  *iters counts the levels tried, the last (empty) one included:
 * 1 + the largest finite level.  Nodes are processed 64 at a time (one word
 * of the bit arrays per task), so threads never share a word.
 *
 * GR_BEST is direction-optimizing BFS (Beamer, Asanovic, Patterson, SC'12,
 * with the GAP benchmark suite's alpha = 15, beta = 18): top-down steps
 * push from a queue over out-edges while the frontier's out-edges are few
 * compared with the edges left unexplored, bottom-up steps pull over
 * in-edges with bitmaps while the frontier is large.  A bitmap of visited
 * nodes keeps the random accesses of both directions in cache; parallel
 * top-down steps claim a node with an atomic OR on that bitmap.  Levels
 * are unique, so results do not depend on the thread count; *iters counts
 * the steps, which equals GR_NATIVE's count.
 */
#include "config.h"
#include "engine/native/native_internal.h"

#include <string.h>

#define WORD_BLOCK 64          /* words (64 nodes each) per dynamic task */
#define BFS_ALPHA 15           /* go bottom-up when scout > unexplored / alpha */
#define BFS_BETA 18            /* back to top-down when frontier < n / beta */
#define TD_BUF 2048            /* per-thread queue buffer, in nodes */

static inline int bit_get(const uint64_t *b, uint32_t u)
{
    return (int)((b[u >> 6] >> (u & 63)) & 1);
}

/* Bitmaps of n bits: seen gets the bits past n set, so they are never
 * visited; the others are cleared. */
static void bitmaps_init(uint64_t *seen, uint64_t *front, uint64_t *next, uint32_t n)
{
    size_t nw = ((size_t)n + 63) / 64;
    memset(seen, 0, nw * sizeof *seen);
    memset(front, 0, nw * sizeof *front);
    memset(next, 0, nw * sizeof *next);
    if (n & 63) {
        seen[nw - 1] = ~(uint64_t)0 << (n & 63);
    }
}

/* One bottom-up level: every unseen node with an in-neighbour in front gets
 * level d and joins next.  Words [0, nw) are split among threads, each word
 * owned by one, so seen, next and level need no atomics.  Returns the number
 * of nodes added. */
static uint64_t bottom_up(const gr_graph *g, const uint64_t *front, uint64_t *next,
                          uint64_t *seen, int64_t *level, int64_t d, int par)
{
    int64_t wi, nw = ((int64_t)g->n + 63) / 64;
    uint64_t added = 0;
    GR_OMP(parallel for schedule(dynamic, WORD_BLOCK) reduction(+:added) if(par))
    for (wi = 0; wi < nw; wi++) {
        uint64_t todo = ~seen[wi], got = 0;
        while (todo) {
            int b = __builtin_ctzll(todo);
            uint32_t v = (uint32_t)(wi * 64 + b);
            uint64_t k, end = g->in_off[v + 1];
            todo &= todo - 1;
            for (k = g->in_off[v]; k < end; k++) {
                if (bit_get(front, g->in_adj[k])) {
                    got |= (uint64_t)1 << b;
                    level[v] = d;
                    break;
                }
            }
        }
        next[wi] = got;
        if (got) {
            seen[wi] |= got;
            added += (uint64_t)__builtin_popcountll(got);
        }
    }
    return added;
}

/* ---- GR_NATIVE: level-synchronous pull ------------------------------ */

static int bfs_pull(const gr_graph *g, uint32_t s, int64_t *level, int64_t *iters,
                    gr_error *err)
{
    uint32_t n = g->n, u;
    size_t nw = ((size_t)n + 63) / 64;
    uint64_t *seen = gr_alloc_big(nw, sizeof *seen);
    uint64_t *front = gr_alloc_big(nw, sizeof *front);
    uint64_t *next = gr_alloc_big(nw, sizeof *next);
    int par = gr_par_worth(g);
    int64_t d = 0;
    uint64_t added;

    if (!seen || !front || !next) {
        gr_free_big(seen);
        gr_free_big(front);
        gr_free_big(next);
        return gr_err_nomem(err, "bfs frontier");
    }
    bitmaps_init(seen, front, next, n);
    GR_OMP(parallel for schedule(static) if(par))
    for (u = 0; u < n; u++) {
        level[u] = -1;
    }
    level[s] = 0;
    seen[s >> 6] |= (uint64_t)1 << (s & 63);
    front[s >> 6] |= (uint64_t)1 << (s & 63);
    do {
        uint64_t *t;
        d++;
        added = bottom_up(g, front, next, seen, level, d, par);
        t = front;
        front = next;
        next = t;
    } while (added);
    gr_free_big(seen);
    gr_free_big(front);
    gr_free_big(next);
    if (iters) {
        *iters = d;
    }
    return GR_OK;
}

/* ---- GR_BEST: direction-optimizing ---------------------------------- */

/* State of one direction-optimizing search. */
typedef struct bfs_do {
    const gr_graph *g;
    int64_t *level;       /* the result */
    uint64_t *seen;       /* visited bitmap */
    uint32_t *queue;      /* current frontier, nq nodes (top-down) */
    uint32_t *nextq;      /* next frontier being built */
    uint64_t nq;          /* nodes in queue */
    uint32_t *bufs;       /* TD_BUF nodes per thread (parallel only) */
    int par;              /* run steps in parallel */
} bfs_do;

/* One serial top-down level; returns the out-degree sum of the nodes
 * added (GAP's scout count). */
static uint64_t top_down_serial(bfs_do *b, int64_t d)
{
    const gr_graph *g = b->g;
    uint64_t i, k, scout = 0, nn = 0;
    for (i = 0; i < b->nq; i++) {
        uint32_t u = b->queue[i];
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            uint32_t v = g->out_adj[k];
            uint64_t bit = (uint64_t)1 << (v & 63);
            if (!(b->seen[v >> 6] & bit)) {
                b->seen[v >> 6] |= bit;
                b->level[v] = d;
                b->nextq[nn++] = v;
                scout += g->out_off[v + 1] - g->out_off[v];
            }
        }
    }
    b->nq = nn;
    return scout;
}

/* The parallel top-down level: a node is claimed by the thread whose atomic
 * OR sets its seen bit; threads gather nodes in a local buffer and append
 * it to nextq with one fetch-add. */
static uint64_t top_down_par(bfs_do *b, int64_t d)
{
    const gr_graph *g = b->g;
    uint64_t scout = 0, nn = 0, nq = b->nq;
    GR_OMP(parallel reduction(+:scout))
    {
        uint32_t *buf = b->bufs;
        size_t nb = 0;
        int64_t i;
#ifdef _OPENMP
        buf += (size_t)omp_get_thread_num() * TD_BUF;
#endif
        GR_OMP(for schedule(dynamic, 64) nowait)
        for (i = 0; i < (int64_t)nq; i++) {
            uint32_t u = b->queue[i];
            uint64_t k;
            for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
                uint32_t v = g->out_adj[k];
                uint64_t bit = (uint64_t)1 << (v & 63), *w = &b->seen[v >> 6];
                if ((__atomic_load_n(w, __ATOMIC_RELAXED) & bit) ||
                    (__atomic_fetch_or(w, bit, __ATOMIC_RELAXED) & bit)) {
                    continue;
                }
                b->level[v] = d;
                scout += g->out_off[v + 1] - g->out_off[v];
                buf[nb++] = v;
                if (nb == TD_BUF) {
                    uint64_t at = __atomic_fetch_add(&nn, nb, __ATOMIC_RELAXED);
                    memcpy(b->nextq + at, buf, nb * sizeof *buf);
                    nb = 0;
                }
            }
        }
        if (nb) {
            uint64_t at = __atomic_fetch_add(&nn, nb, __ATOMIC_RELAXED);
            memcpy(b->nextq + at, buf, nb * sizeof *buf);
        }
    }
    b->nq = nn;
    return scout;
}

static int bfs_best(const gr_graph *g, uint32_t s, int64_t *level, int64_t *iters,
                    gr_error *err)
{
    uint32_t n = g->n, u;
    size_t nw = ((size_t)n + 63) / 64;
    bfs_do b;
    uint64_t *front = gr_alloc_big(nw, sizeof *front);
    uint64_t *next = gr_alloc_big(nw, sizeof *next);
    uint64_t unexplored = g->m, scout;
    int64_t d = 0;
    int nt = 1, rc = GR_OK;

    memset(&b, 0, sizeof b);
    b.g = g;
    b.level = level;
    b.par = gr_par_worth(g);
#ifdef _OPENMP
    nt = b.par ? omp_get_max_threads() : 1;
#endif
    b.seen = gr_alloc_big(nw, sizeof *b.seen);
    b.queue = gr_alloc_big(n, sizeof *b.queue);
    b.nextq = gr_alloc_big(n, sizeof *b.nextq);
    if (b.par) {
        b.bufs = gr_alloc_big((size_t)nt * TD_BUF, sizeof *b.bufs);
    }
    if (!front || !next || !b.seen || !b.queue || !b.nextq || (b.par && !b.bufs)) {
        rc = gr_err_nomem(err, "bfs frontier");
        goto done;
    }
    bitmaps_init(b.seen, front, next, n);
    GR_OMP(parallel for schedule(static) if(b.par))
    for (u = 0; u < n; u++) {
        level[u] = -1;
    }
    level[s] = 0;
    b.seen[s >> 6] |= (uint64_t)1 << (s & 63);
    b.queue[0] = s;
    b.nq = 1;
    scout = g->out_off[s + 1] - g->out_off[s];

    while (b.nq > 0) {
        if (scout > unexplored / BFS_ALPHA) {
            uint64_t i, awake = b.nq, old;
            size_t wi;
            memset(front, 0, nw * sizeof *front);
            for (i = 0; i < b.nq; i++) {
                front[b.queue[i] >> 6] |= (uint64_t)1 << (b.queue[i] & 63);
            }
            do {
                uint64_t *t;
                old = awake;
                d++;
                awake = bottom_up(g, front, next, b.seen, level, d, b.par);
                t = front;
                front = next;
                next = t;
            } while (awake >= old || awake > n / BFS_BETA);
            b.nq = 0;
            for (wi = 0; wi < nw; wi++) {
                uint64_t w = front[wi];
                while (w) {
                    b.queue[b.nq++] = (uint32_t)(wi * 64 + (size_t)__builtin_ctzll(w));
                    w &= w - 1;
                }
            }
            scout = 1;
        } else {
            uint32_t *t;
            unexplored -= scout < unexplored ? scout : unexplored;
            d++;
            scout = b.par ? top_down_par(&b, d) : top_down_serial(&b, d);
            t = b.queue;
            b.queue = b.nextq;
            b.nextq = t;
        }
    }
    if (iters) {
        *iters = d;
    }
done:
    gr_free_big(front);
    gr_free_big(next);
    gr_free_big(b.seen);
    gr_free_big(b.queue);
    gr_free_big(b.nextq);
    gr_free_big(b.bufs);
    return rc;
}

int gr_native_bfs(const gr_graph *g, gr_native_kind kind, int64_t source,
                  int64_t *level, int64_t *iters, gr_error *err)
{
    int64_t s;
    if (!g) {
        return gr_err(err, GR_ERR_INVALID, "bfs: graph is NULL");
    }
    if (!level) {
        return gr_err(err, GR_ERR_INVALID, "bfs: level is NULL");
    }
    if (kind != GR_NATIVE && kind != GR_BEST) {
        return gr_err(err, GR_ERR_INVALID, "bfs: unknown native kind %d", (int)kind);
    }
    s = gr_graph_dense_id(g, source);
    if (s < 0) {
        return gr_err(err, GR_ERR_RANGE, "source %lld is not a node of the graph",
                      (long long)source);
    }
    return kind == GR_NATIVE ? bfs_pull(g, (uint32_t)s, level, iters, err)
                             : bfs_best(g, (uint32_t)s, level, iters, err);
}
