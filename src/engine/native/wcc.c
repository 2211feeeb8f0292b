/*
 * wcc.c - weakly connected components in native C (gr_native_wcc).
 *
 * Result: comp[u] = the smallest original id in u's weakly connected
 * component, edges followed in either direction.  The work is on dense ids:
 * dense order is original order, so a component's smallest dense id maps to
 * its smallest original id.
 *
 * GR_NATIVE is FastSV (Zhang, Azad, Hu, "FastSV: a distributed-memory
 * connected component algorithm with fast convergence", SIAM PP20; LAGraph's
 * LG_CC_FastSV), min-label propagation with pointer jumping, exactly as the
 * language states it with pull_min, scatter_min and gather.  Vectors of
 * dense ids f (parent) and gf (grandparent) both start as the identity.
 * One iteration is, in this order:
 *
 *   1. mngf[u] = min { gf[v] : v an in- or out-neighbour of u }
 *                (UINT32_MAX if u has no neighbour; a self-loop adds gf[u])
 *   2. stochastic hooking, scatter_min:
 *                f[i] = min(f[i], min { mngf[u] : fold[u] == i })
 *   3. aggressive hooking:  f[u] = min(f[u], mngf[u])
 *   4. shortcutting:        f[u] = min(f[u], gf[u])
 *   5. gf_new[u] = f[f[u]]
 *   until gf_new == gf (else gf = gf_new and repeat); comp[u] = orig(f[u]).
 *
 * What each read sees: step 1 reads gf as the previous iteration left it
 * (the identity at first).  Step 2's index fold[u] is f as the previous
 * iteration left it, before any hooking of this one, so the scatter does
 * not depend on the order of u (every step is a min, hence steps 2-4 may be
 * done in any order or fused).  Step 3 reads mngf of step 1, step 4 reads
 * the old gf.  Step 5 reads the final f of this iteration, for both the
 * index and the value.  *iters counts iterations, the final one (gf
 * unchanged) included; with n == 0 it is 1.  Unlike LAGraph, mngf is
 * recomputed each iteration (LAGraph accumulates mngp = min(mngp, A gp))
 * and there is no sampling or warm-up phase.
 *
 * Why it ends right: every f[x] <= x and f only decreases, so gf_new[u] <=
 * f[u] <= gf[u] (step 4); gf never rises, and when it did not change, f ==
 * gf == f[f] is a forest of stars, and step 3 made f[u] <= gf[v] = f[v] and
 * back for every edge u-v: one label per component, the root's, which must
 * be the component's smallest node.
 *
 * Steps 1-4 run as one pass over u (atomic min when parallel: the result
 * is independent of the order, so 1 and 2 threads agree exactly, iteration
 * count included); steps 5 and the snapshot fold = f are a second pass.
 *
 * GR_BEST is Afforest (Sutton, Ben-Nun, Barak, IPDPS 2018, as in the GAP
 * benchmark suite): lock-free union-find that always links the larger root
 * under the smaller one, so every parent is <= its child and a root is the
 * smallest node of its tree.  Two sampling rounds link each node to its
 * first two out-neighbours, then the most frequent root (the giant
 * component, found from a fixed-seed sample) is skipped while every other
 * node links all its out- and in-edges.  A final compression leaves
 * parent[u] = the component's smallest dense id.  *iters is 1.
 */
#include "config.h"
#include "engine/native/native_internal.h"

#include <string.h>

/* ---- GR_NATIVE: FastSV ---------------------------------------------- */

#define HOOK_BLOCK 2048     /* nodes per dynamically scheduled hooking block */

/* Steps 1-4 for nodes [lo, hi).  `atomic` is a constant at each call, so
 * the serial loop has no atomic operations. */
static inline void fastsv_hook(const gr_graph *g, uint32_t *f, const uint32_t *fold,
                               const uint32_t *gf, uint32_t lo, uint32_t hi,
                               int atomic)
{
    uint32_t u;
    for (u = lo; u < hi; u++) {
        uint32_t mn = UINT32_MAX, own;
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            uint32_t x = gf[g->out_adj[k]];
            mn = x < mn ? x : mn;
        }
        for (k = g->in_off[u]; k < g->in_off[u + 1]; k++) {
            uint32_t x = gf[g->in_adj[k]];
            mn = x < mn ? x : mn;
        }
        own = gf[u] < mn ? gf[u] : mn;
        if (atomic) {
            gr_atomic_min_u32(&f[fold[u]], mn);
            gr_atomic_min_u32(&f[u], own);
        } else {
            if (mn < f[fold[u]]) {
                f[fold[u]] = mn;
            }
            if (own < f[u]) {
                f[u] = own;
            }
        }
    }
}

static int wcc_fastsv(const gr_graph *g, int64_t *comp, int64_t *iters, gr_error *err)
{
    uint32_t n = g->n, u;
    uint32_t *f = gr_alloc_big(n, sizeof *f);
    uint32_t *fold = gr_alloc_big(n, sizeof *fold);
    uint32_t *gf = gr_alloc_big(n, sizeof *gf);
    int par = gr_par_worth(g);
    int64_t it = 0;
    int changed;

    if (!f || !fold || !gf) {
        gr_free_big(f);
        gr_free_big(fold);
        gr_free_big(gf);
        return gr_err_nomem(err, "wcc vectors");
    }
    GR_OMP(parallel for schedule(static) if(par))
    for (u = 0; u < n; u++) {
        f[u] = fold[u] = gf[u] = u;
    }
    do {
        it++;
        if (par) {
            /* Rows vary in length (skewed graphs): dynamic blocks. */
            int64_t b, nb = ((int64_t)n + HOOK_BLOCK - 1) / HOOK_BLOCK;
            GR_OMP(parallel for schedule(dynamic, 1))
            for (b = 0; b < nb; b++) {
                uint32_t lo = (uint32_t)(b * HOOK_BLOCK);
                fastsv_hook(g, f, fold, gf, lo, n - lo > HOOK_BLOCK ? lo + HOOK_BLOCK : n, 1);
            }
        } else {
            fastsv_hook(g, f, fold, gf, 0, n, 0);
        }
        changed = 0;
        GR_OMP(parallel for schedule(static) reduction(|:changed) if(par))
        for (u = 0; u < n; u++) {
            uint32_t p = f[u], gp = f[p];
            fold[u] = p;
            changed |= gp != gf[u];
            gf[u] = gp;
        }
    } while (changed);

    GR_OMP(parallel for schedule(static) if(par))
    for (u = 0; u < n; u++) {
        comp[u] = gr_graph_orig_id(g, f[u]);
    }
    gr_free_big(f);
    gr_free_big(fold);
    gr_free_big(gf);
    if (iters) {
        *iters = it;
    }
    return GR_OK;
}

/* ---- GR_BEST: Afforest ---------------------------------------------- */

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
    uint64_t r;

    if (!p) {
        return gr_err_nomem(err, "wcc parents");
    }
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

    GR_OMP(parallel for schedule(static) if(par))
    for (u = 0; u < n; u++) {
        comp[u] = gr_graph_orig_id(g, p[u]);
    }
    gr_free_big(p);
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
        return wcc_fastsv(g, comp, iters, err);
    case GR_BEST:
        return wcc_afforest(g, comp, iters, err);
    }
    return gr_err(err, GR_ERR_INVALID, "wcc: unknown native kind %d", (int)kind);
}
