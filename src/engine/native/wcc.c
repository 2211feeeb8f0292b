/*
 * wcc.c - weakly connected components in native C (gr_native_wcc).
 *
 * Result: comp[u] = the smallest original id in u's weakly connected
 * component, edges followed in either direction.  The work is on dense ids:
 * dense order is original order, so a component's smallest dense id maps to
 * its smallest original id.
 *
 * Both kinds are union-find over parents p (dense ids) in which every
 * parent is smaller than its child, so a root is the smallest node of its
 * tree; links hook the larger root under the smaller (GAP's Afforest Link,
 * lock-free when parallel) and a compression points every node at its root.
 * Both start by sampling, as Afforest does: two rounds link each node to
 * its first, then its second out-neighbour, each round followed by a
 * compression; after them the giant component is usually one tree.
 *
 * GR_NATIVE is the language's wcc.grl, step for step:
 *
 *   f   = link(out_nbr(0), out_nbr(1))        the sample's components
 *   c   = the smallest f of the nodes of largest degree (in + out)
 *   act = f != c && degree > 0                (computed once)
 *   repeat until f is unchanged:
 *     lo[u], hi[u] = smallest and largest f[v] over u's in- and
 *                    out-neighbours v, for act[u] (else no link)
 *     f = link(link(f, lo), hi)
 *
 * A round joins every active node's tree with the trees of its smallest
 * and largest neighbour label; trees only merge, so labels only fall, and
 * when nothing changed every active node's neighbours all carry its label.
 * An edge between two inactive nodes joins two nodes of c's tree (or of
 * two isolated nodes: none), so every edge has one label at both ends.
 * Here lo and hi are joined at once (the same trees as two link calls),
 * the next labels written beside the old ones; *iters counts the rounds,
 * the last (nothing changed) included, as the language's loop does.
 *
 * GR_BEST is Afforest (Sutton, Ben-Nun, Barak, IPDPS 2018, as in the GAP
 * benchmark suite): after the sampling, the most frequent root (the giant
 * component, found from a fixed-seed sample) is skipped while every other
 * node links all its out- and in-edges, then one compression.  *iters is
 * 1.
 */
#include "config.h"
#include "engine/native/native_internal.h"

#include <string.h>

/* ---- union-find, and the sampling both kinds start with ---------------- */

#define AFF_ROUNDS 2        /* sampling rounds: first k out-neighbours */
#define AFF_SAMPLES 1024    /* nodes sampled to find the giant component */

/* Union the trees of u and v, the larger root hooked under the smaller
 * (GAP's Link).  Parents are read and swung with relaxed atomics. */
static inline void aff_link(uint32_t *p, uint32_t u, uint32_t v)
{
    uint32_t p1 = __atomic_load_n(&p[u], __ATOMIC_RELAXED);
    uint32_t p2 = __atomic_load_n(&p[v], __ATOMIC_RELAXED);
    while (p1 != p2) {
        uint32_t hi = p1 > p2 ? p1 : p2, lo = p1 + p2 - hi;
        uint32_t ph = __atomic_load_n(&p[hi], __ATOMIC_RELAXED);
        if (ph == lo) {
            break;
        }
        if (ph == hi && __atomic_compare_exchange_n(&p[hi], &ph, lo, 0, __ATOMIC_RELAXED,
                                                    __ATOMIC_RELAXED)) {
            break;
        }
        p1 = __atomic_load_n(&p[__atomic_load_n(&p[hi], __ATOMIC_RELAXED)],
                             __ATOMIC_RELAXED);
        p2 = __atomic_load_n(&p[lo], __ATOMIC_RELAXED);
    }
}

/* Point every node at its root.  Each node only writes its own entry, with
 * ancestors' values, so the roots found do not depend on the schedule. */
static void aff_compress(uint32_t *p, uint32_t n, int par)
{
    uint32_t u;
    GR_OMP(parallel for schedule(dynamic, 4096) if(par))
    for (u = 0; u < n; u++) {
        uint32_t x = __atomic_load_n(&p[u], __ATOMIC_RELAXED);
        uint32_t y = __atomic_load_n(&p[x], __ATOMIC_RELAXED);
        while (x != y) {
            x = y;
            y = __atomic_load_n(&p[x], __ATOMIC_RELAXED);
        }
        __atomic_store_n(&p[u], x, __ATOMIC_RELAXED);
    }
}

/* p = the identity, then AFF_ROUNDS rounds: each node linked with its
 * out-neighbour number r, then a compression. */
static void uf_sample(const gr_graph *g, uint32_t *p, int par)
{
    uint32_t n = g->n, u;
    uint64_t r;
    GR_OMP(parallel for schedule(static) if(par))
    for (u = 0; u < n; u++) {
        p[u] = u;
    }
    for (r = 0; r < AFF_ROUNDS; r++) {
        GR_OMP(parallel for schedule(dynamic, 16384) if(par))
        for (u = 0; u < n; u++) {
            uint64_t k = g->out_off[u] + r;
            if (k < g->out_off[u + 1]) {
                aff_link(p, u, g->out_adj[k]);
            }
        }
        aff_compress(p, n, par);
    }
}

/* comp[u] = the original id of p[u]; p is freed. */
static void uf_result(const gr_graph *g, uint32_t *p, int64_t *comp, int par)
{
    uint32_t n = g->n, u;
    GR_OMP(parallel for schedule(static) if(par))
    for (u = 0; u < n; u++) {
        comp[u] = gr_graph_orig_id(g, p[u]);
    }
    gr_free_big(p);
}

static inline uint64_t node_degree(const gr_graph *g, uint32_t u)
{
    return (g->out_off[u + 1] - g->out_off[u]) + (g->in_off[u + 1] - g->in_off[u]);
}

/* ---- GR_NATIVE: the language's formulation --------------------------- */

/* The smallest p[u] over the nodes u of largest degree (UINT32_MAX when n
 * is 0). */
static uint32_t hub_label(const gr_graph *g, const uint32_t *p)
{
    uint32_t u, c = UINT32_MAX;
    uint64_t dmax = 0;
    for (u = 0; u < g->n; u++) {
        uint64_t d = node_degree(g, u);
        if (d > dmax || (d == dmax && p[u] < c)) {
            dmax = d;
            c = p[u];
        }
    }
    return c;
}

/* One round for the active node u: q joins u's tree with those of the
 * smallest and largest label p[v] of its neighbours. */
static inline void linked_round(const gr_graph *g, const uint32_t *p, uint32_t *q, uint32_t u)
{
    uint32_t lo = UINT32_MAX, hi = 0;
    uint64_t k;
    for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
        uint32_t x = p[g->out_adj[k]];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    for (k = g->in_off[u]; k < g->in_off[u + 1]; k++) {
        uint32_t x = p[g->in_adj[k]];
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    aff_link(q, u, lo);
    aff_link(q, u, hi);
}

static int wcc_linked(const gr_graph *g, int64_t *comp, int64_t *iters, gr_error *err)
{
    uint32_t n = g->n, u, c, *t;
    uint32_t *p = gr_alloc_big(n, sizeof *p);
    uint32_t *q = gr_alloc_big(n, sizeof *q);
    uint8_t *act = gr_alloc_big(n, sizeof *act);
    int par = gr_par_worth(g), changed;
    int64_t it = 0;

    if (!p || !q || !act) {
        gr_free_big(p);
        gr_free_big(q);
        gr_free_big(act);
        return gr_err_nomem(err, "wcc vectors");
    }
    uf_sample(g, p, par);
    c = hub_label(g, p);
    GR_OMP(parallel for schedule(static) if(par))
    for (u = 0; u < n; u++) {
        act[u] = p[u] != c && node_degree(g, u) > 0;
    }
    do {
        it++;
        /* p is compressed: as q's start, every node already points at its
         * root */
        memcpy(q, p, (size_t)n * sizeof *q);
        GR_OMP(parallel for schedule(dynamic, 2048) if(par))
        for (u = 0; u < n; u++) {
            if (act[u]) {
                linked_round(g, p, q, u);
            }
        }
        aff_compress(q, n, par);
        changed = 0;
        GR_OMP(parallel for schedule(static) reduction(|:changed) if(par))
        for (u = 0; u < n; u++) {
            changed |= q[u] != p[u];
        }
        t = p;
        p = q;
        q = t;
    } while (changed);

    uf_result(g, p, comp, par);
    gr_free_big(q);
    gr_free_big(act);
    if (iters) {
        *iters = it;
    }
    return GR_OK;
}

/* ---- GR_BEST: Afforest ---------------------------------------------- */

/* The most frequent root among AFF_SAMPLES nodes drawn with a fixed seed
 * (the choice only affects speed, never the result). */
static uint32_t aff_frequent(const uint32_t *p, uint32_t n)
{
    uint32_t keys[AFF_SAMPLES], best = 0, bestc = 0;
    uint64_t s = 0x243f6a8885a308d3ULL;
    int i, j;
    for (i = 0; i < AFF_SAMPLES; i++) {
        uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        keys[i] = p[(z ^ (z >> 31)) % n];
    }
    /* Boyer-Moore majority vote, then fall back to counting. */
    for (i = 0; i < AFF_SAMPLES; i++) {
        if (bestc == 0) {
            best = keys[i];
            bestc = 1;
        } else {
            bestc += keys[i] == best ? 1 : (uint32_t)-1;
        }
    }
    for (i = 0, bestc = 0; i < AFF_SAMPLES; i++) {
        bestc += keys[i] == best;
    }
    if (bestc * 2 <= AFF_SAMPLES) {
        uint32_t c;
        for (i = 0; i < AFF_SAMPLES; i++) {
            for (j = 0, c = 0; j < AFF_SAMPLES; j++) {
                c += keys[j] == keys[i];
            }
            if (c > bestc) {
                bestc = c;
                best = keys[i];
            }
        }
    }
    return best;
}

/* Link u with every neighbour except its first `skip` out-neighbours. */
static inline void aff_link_rest(const gr_graph *g, uint32_t *p, uint32_t u, uint64_t skip)
{
    uint64_t k;
    for (k = g->out_off[u] + skip; k < g->out_off[u + 1]; k++) {
        aff_link(p, u, g->out_adj[k]);
    }
    for (k = g->in_off[u]; k < g->in_off[u + 1]; k++) {
        aff_link(p, u, g->in_adj[k]);
    }
}

static int wcc_afforest(const gr_graph *g, int64_t *comp, int64_t *iters, gr_error *err)
{
    uint32_t n = g->n, u, giant;
    uint32_t *p = gr_alloc_big(n, sizeof *p);
    int par = gr_par_worth(g);

    if (!p) {
        return gr_err_nomem(err, "wcc parents");
    }
    uf_sample(g, p, par);
    giant = n ? aff_frequent(p, n) : 0;
    GR_OMP(parallel for schedule(dynamic, 2048) if(par))
    for (u = 0; u < n; u++) {
        /* A giant-component node's edges to other trees are linked from the
         * other end, whose in- and out-edges are all visited. */
        if (__atomic_load_n(&p[u], __ATOMIC_RELAXED) != giant) {
            uint64_t deg = g->out_off[u + 1] - g->out_off[u];
            aff_link_rest(g, p, u, deg < AFF_ROUNDS ? deg : AFF_ROUNDS);
        }
    }
    aff_compress(p, n, par);
    uf_result(g, p, comp, par);
    if (iters) {
        *iters = 1;
    }
    return GR_OK;
}

int gr_native_wcc(const gr_graph *g, gr_native_kind kind, int64_t *comp,
                  int64_t *iters, gr_error *err)
{
    if (!g) {
        return gr_err(err, GR_ERR_INVALID, "wcc: graph is NULL");
    }
    if (!comp) {
        return gr_err(err, GR_ERR_INVALID, "wcc: comp is NULL");
    }
    switch (kind) {
    case GR_NATIVE:
        return wcc_linked(g, comp, iters, err);
    case GR_BEST:
        return wcc_afforest(g, comp, iters, err);
    }
    return gr_err(err, GR_ERR_INVALID, "wcc: unknown native kind %d", (int)kind);
}
