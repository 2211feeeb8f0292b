/*
 * sssp.c - single-source shortest paths in native C (gr_native_sssp).
 *
 * Result: dist[u] = the smallest path length from the node whose original
 * id is `source` to u over out-edges, with weights out_w (1.0 each when the
 * graph is unweighted); 0 at the source, +INFINITY where unreachable.  A
 * path's length is the left-to-right double sum of its weights, and the
 * result is the minimum of those sums over all paths: floating-point
 * addition is monotone, so every correct algorithm (Bellman-Ford, Dijkstra,
 * any label-correcting order) reaches exactly the same bits.
 *
 * Errors: a source that is not a node is GR_ERR_RANGE ("source S is not a
 * node of the graph"); a negative weight is GR_ERR_INVALID ("negative
 * weight on edge U->V", original ids, the first such edge in CSR order),
 * and so is a NaN weight ("NaN weight on edge U->V").  -0.0 and +inf are
 * accepted.
 *
 * GR_NATIVE is Bellman-Ford in the synchronous pull form that
 * algorithms/sssp.grl states, with its changed set:
 *
 *   dist[s] = 0, +inf elsewhere; changed = {s}
 *   repeat: active = the out-neighbours of the changed nodes (pull_any)
 *           dist'[v] = min(dist[v], min over in-edges u->v of dist[u] + w)
 *                      for active v, dist[v] elsewhere
 *           (every read is of the previous round's dist)
 *           changed = {v : dist'[v] < dist[v]}
 *   until dist' == dist
 *
 * A node none of whose in-neighbours changed in the previous round cannot
 * change in this one, so this gives the values and the round count of the
 * dense loop dist = min(dist, pull_min(dist + weight)), with far less work
 * in the early and late rounds.  *iters counts rounds, the final
 * unchanged one included (1 + the largest number of edges that some node
 * needs on its shortest paths).
 *
 * GR_BEST is delta-stepping (Meyer, Sanders, J. Algorithms 2003; as in the
 * GAP benchmark suite): nodes wait in buckets of width delta by tentative
 * distance; the lowest non-empty bucket is taken as a batch, deduplicated
 * and sorted by id (so rows are read in address order, with software
 * prefetch ahead), and its nodes relax their out-edges, pushing improved
 * targets into their buckets (the current one again for edges lighter than
 * delta, until it stays empty).  delta is about half the mean weight and at
 * least the smallest positive one (both estimated from a fixed sample of
 * edges), and at least 1/16384 of the largest finite weight, so the live
 * buckets fit a ring of at most 32768 slots.  Parallel batches take an
 * atomic min on dist and keep per-thread bucket vectors.
 * Any such label-correcting order ends at the same exact minimum.  *iters
 * counts the buckets that settled at least one node (the distinct values of
 * floor(dist / delta)), which does not depend on the thread count; on an
 * unweighted graph (delta = 1) that is GR_NATIVE's round count.
 */
#include "config.h"
#include "engine/native/native_internal.h"

#include <math.h>
#include <string.h>

/* The largest finite weight (slow path, only when some weight is +inf). */
static double max_finite(const double *w, int64_t m)
{
    double mx = 0.0;
    int64_t k;
    for (k = 0; k < m; k++) {
        mx = w[k] < INFINITY && w[k] > mx ? w[k] : mx;
    }
    return mx;
}

/* Check every weight (GR_ERR_INVALID naming the first negative or NaN one
 * in CSR order) and find the largest finite one (1.0 when unweighted; +inf
 * weights never shorten a path, so they do not count).  The scan keeps
 * min, max and sum in four independent lanes of plain minsd/maxsd/addsd;
 * a NaN weight makes the sum NaN (no -inf can cancel a +inf unless the
 * minimum is already negative). */
static int check_weights(const gr_graph *g, double *maxw, gr_error *err)
{
    const double *w = g->out_w;
    int64_t k, m = (int64_t)g->m, m4 = m / 4 * 4;
    double n0 = INFINITY, n1 = INFINITY, n2 = INFINITY, n3 = INFINITY;
    double x0 = 0.0, x1 = 0.0, x2 = 0.0, x3 = 0.0, s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    double mn, mx, sum;
    int par = gr_par_worth(g);
    uint32_t u;
    *maxw = 1.0;
    if (!w) {
        return GR_OK;
    }
    GR_OMP(parallel for schedule(static) if(par) reduction(min:n0, n1, n2, n3)
           reduction(max:x0, x1, x2, x3) reduction(+:s0, s1, s2, s3))
    for (k = 0; k < m4; k += 4) {
        double a = w[k], b = w[k + 1], c = w[k + 2], d = w[k + 3];
        n0 = a < n0 ? a : n0;
        n1 = b < n1 ? b : n1;
        n2 = c < n2 ? c : n2;
        n3 = d < n3 ? d : n3;
        x0 = a > x0 ? a : x0;
        x1 = b > x1 ? b : x1;
        x2 = c > x2 ? c : x2;
        x3 = d > x3 ? d : x3;
        s0 += a;
        s1 += b;
        s2 += c;
        s3 += d;
    }
    for (k = m4; k < m; k++) {
        n0 = w[k] < n0 ? w[k] : n0;
        x0 = w[k] > x0 ? w[k] : x0;
        s0 += w[k];
    }
    n0 = n0 < n1 ? n0 : n1;
    n2 = n2 < n3 ? n2 : n3;
    mn = n0 < n2 ? n0 : n2;
    x0 = x0 > x1 ? x0 : x1;
    x2 = x2 > x3 ? x2 : x3;
    mx = x0 > x2 ? x0 : x2;
    sum = (s0 + s1) + (s2 + s3);
    if (mn >= 0.0 && !isnan(sum)) {
        *maxw = mx < INFINITY ? mx : max_finite(w, m);
        return GR_OK;
    }
    for (u = 0; u < g->n; u++) {
        uint64_t j;
        for (j = g->out_off[u]; j < g->out_off[u + 1]; j++) {
            if (!(w[j] >= 0.0)) {
                return gr_err(err, GR_ERR_INVALID, "%s weight on edge %lld->%lld",
                              isnan(w[j]) ? "NaN" : "negative",
                              (long long)gr_graph_orig_id(g, u),
                              (long long)gr_graph_orig_id(g, g->out_adj[j]));
            }
        }
    }
    return gr_err(err, GR_ERR_INTERNAL, "sssp: bad weight not found in CSR");
}

/* ---- GR_NATIVE: synchronous pull Bellman-Ford ----------------------- */

#define PULL_BLOCK 4096        /* nodes per dynamically scheduled task */

/* act[] marks the out-neighbours of u to be pulled next round.  Several
 * threads may store the same 1: relaxed atomic stores. */
static inline void activate_out(const gr_graph *g, unsigned char *act, uint32_t u)
{
    uint64_t k;
    for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
        __atomic_store_n(&act[g->out_adj[k]], 1, __ATOMIC_RELAXED);
    }
}

static int sssp_bellman_ford(const gr_graph *g, uint32_t s, double *dist, int64_t *iters,
                             gr_error *err)
{
    uint32_t n = g->n;
    int64_t v, nn = (int64_t)n, it = 0;
    double *nxt = gr_alloc_big(n, sizeof *nxt);
    unsigned char *act = gr_alloc_big(n, 1);
    unsigned char *chg = gr_alloc_big(n, 1);
    const double *iw = g->in_w;
    int par = gr_par_worth(g), any;

    if (!nxt || !act || !chg) {
        gr_free_big(nxt);
        gr_free_big(act);
        gr_free_big(chg);
        return gr_err_nomem(err, "sssp vectors");
    }
    GR_OMP(parallel for schedule(static) if(par))
    for (v = 0; v < nn; v++) {
        dist[v] = INFINITY;
        act[v] = 0;
    }
    dist[s] = 0.0;
    activate_out(g, act, s);
    do {
        it++;
        any = 0;
        /* Pull into the active nodes from the previous round's dist. */
        GR_OMP(parallel for schedule(dynamic, PULL_BLOCK) reduction(|:any) if(par))
        for (v = 0; v < nn; v++) {
            unsigned char c = 0;
            if (act[v]) {
                uint64_t k, end = g->in_off[v + 1];
                double nd = dist[v];
                act[v] = 0;
                if (iw) {
                    for (k = g->in_off[v]; k < end; k++) {
                        double t = dist[g->in_adj[k]] + iw[k];
                        nd = t < nd ? t : nd;
                    }
                } else {
                    for (k = g->in_off[v]; k < end; k++) {
                        double t = dist[g->in_adj[k]] + 1.0;
                        nd = t < nd ? t : nd;
                    }
                }
                if (nd < dist[v]) {
                    nxt[v] = nd;
                    c = 1;
                }
            }
            chg[v] = c;
            any |= c;
        }
        if (!any) {
            break;
        }
        /* Publish the new values, activate the changed nodes' targets. */
        GR_OMP(parallel for schedule(dynamic, PULL_BLOCK) if(par))
        for (v = 0; v < nn; v++) {
            if (chg[v]) {
                dist[v] = nxt[v];
                activate_out(g, act, (uint32_t)v);
            }
        }
    } while (any);
    gr_free_big(nxt);
    gr_free_big(act);
    gr_free_big(chg);
    if (iters) {
        *iters = it;
    }
    return GR_OK;
}

/* ---- GR_BEST: delta-stepping --------------------------------------- */

#define DS_MAX_SPAN 16384      /* delta >= (largest weight) / DS_MAX_SPAN */
#define DS_AHEAD 8             /* prefetch the rows of the node this far ahead */
#define DS_CHUNK 256           /* batch nodes per dynamically scheduled task */

/* A growable array of node ids. */
typedef struct nodevec {
    uint32_t *a;           /* ids */
    size_t len;            /* ids held */
    size_t cap;            /* capacity */
} nodevec;

/* The state of one delta-stepping run. */
typedef struct dstep {
    const gr_graph *g;
    double *dist;          /* the result, tentative until the run ends */
    double delta;          /* bucket width */
    size_t nslot;          /* buckets in the ring, a power of two */
    nodevec *bk;           /* per thread t, ring slot r: bk[t * nslot + r] */
    int nt;                /* threads (rows of bk) */
    int oom;               /* a push could not grow its vector */
} dstep;

/* Double a vector's capacity.  Growth is rare (doubling) and may happen in
 * a parallel region: the allocator (and its failure-injection count) is
 * entered by one thread at a time. */
static int nodevec_grow(nodevec *v)
{
    size_t cap = v->cap ? v->cap * 2 : 1024, bytes;
    uint32_t *a = NULL;
    if (!gr_mul_ok(cap, sizeof *a, &bytes)) {
        return 0;
    }
    GR_OMP(critical(gr_sssp_alloc))
    a = gr_realloc(v->a, bytes);
    if (!a) {
        return 0;
    }
    v->a = a;
    v->cap = cap;
    return 1;
}

static inline size_t ds_bucket(const dstep *ds, double d)
{
    return (size_t)(d / ds->delta);
}

/* Relax u's out-edges; improved targets go to the caller's own bucket
 * vectors `mine`.  Returns the pushes.  `atomic` is a constant at each
 * call: serial runs use plain loads and stores. */
static inline uint64_t ds_relax(dstep *ds, nodevec *mine, uint32_t u, int atomic)
{
    const gr_graph *g = ds->g;
    const double *ow = g->out_w;
    double *dist = ds->dist, du;
    uint64_t k, end = g->out_off[u + 1], pushed = 0;
    if (atomic) {
        __atomic_load(&dist[u], &du, __ATOMIC_RELAXED);
    } else {
        du = dist[u];
    }
    for (k = g->out_off[u]; k < end; k++) {
        uint32_t v = g->out_adj[k];
        double nd = du + (ow ? ow[k] : 1.0);
        nodevec *b;
        if (atomic) {
            if (!gr_atomic_min_f64(&dist[v], nd)) {
                continue;
            }
        } else {
            if (!(nd < dist[v])) {
                continue;
            }
            dist[v] = nd;
        }
        b = &mine[ds_bucket(ds, nd) & (ds->nslot - 1)];
        if (b->len == b->cap && !nodevec_grow(b)) {
            __atomic_store_n(&ds->oom, 1, __ATOMIC_RELAXED);
            continue;
        }
        b->a[b->len++] = v;
        pushed++;
    }
    return pushed;
}

/* Relax the batch ids[0..cnt), prefetching rows ahead (the batch is in
 * ascending id order when large, so rows are read in address order). */
static inline uint64_t ds_relax_range(dstep *ds, nodevec *mine, const uint32_t *ids,
                                      int64_t lo, int64_t hi, int64_t cnt, int atomic)
{
    const gr_graph *g = ds->g;
    uint64_t pushed = 0;
    int64_t i;
    for (i = lo; i < hi; i++) {
        if (i + 2 * DS_AHEAD < cnt) {
            __builtin_prefetch(&g->out_off[ids[i + 2 * DS_AHEAD]]);
        }
        if (i + DS_AHEAD < cnt) {
            uint32_t x = ids[i + DS_AHEAD];
            __builtin_prefetch(&g->out_adj[g->out_off[x]]);
            if (g->out_w) {
                __builtin_prefetch(&g->out_w[g->out_off[x]]);
            }
        }
        pushed += ds_relax(ds, mine, ids[i], atomic);
    }
    return pushed;
}

#define DS_SAMPLE 4096        /* weights sampled to choose delta */

/* Bucket width: at least the smallest positive weight (narrower buckets
 * only add empty ones), else about half the mean weight, both estimated
 * from DS_SAMPLE evenly spaced edges; and wide enough that at most
 * DS_MAX_SPAN buckets are live at once (maxw is the largest finite
 * weight).  The width changes the speed only, never the result. */
static double ds_delta(const gr_graph *g, double maxw)
{
    const double *w = g->out_w;
    double minpos = INFINITY, sum = 0.0, delta = 1.0;
    uint64_t k, step = g->m / DS_SAMPLE + 1, cnt = 0;
    if (!w) {
        return 1.0;
    }
    for (k = 0; k < g->m; k += step) {
        double x = w[k];
        if (x < INFINITY) {
            minpos = x > 0.0 && x < minpos ? x : minpos;
            sum += x;
            cnt++;
        }
    }
    if (cnt && sum > 0.0) {
        delta = sum / (double)cnt / 2.0;
    }
    if (minpos < INFINITY && minpos > delta) {
        delta = minpos;
    }
    if (!(delta > 0.0 && delta < INFINITY)) {
        delta = maxw > 0.0 ? maxw : 1.0;
    }
    if (maxw / delta > DS_MAX_SPAN) {
        delta = maxw / DS_MAX_SPAN;
    }
    return delta;
}

static int sssp_delta_stepping(const gr_graph *g, uint32_t s, double maxw, double *dist,
                               int64_t *iters, gr_error *err)
{
    uint32_t n = g->n, u;
    size_t nw = ((size_t)n + 63) / 64, r, cur = 0, counted = SIZE_MAX;
    uint64_t *mark = gr_alloc_big(nw, sizeof *mark);
    uint32_t *ids = gr_alloc_big(n, sizeof *ids);
    uint64_t pending = 1;
    int64_t buckets = 0;
    int par = gr_par_worth(g), t, rc = GR_OK;
    dstep ds;

    memset(&ds, 0, sizeof ds);
    ds.g = g;
    ds.dist = dist;
    ds.nt = 1;
#ifdef _OPENMP
    ds.nt = par ? omp_get_max_threads() : 1;
#endif
    ds.delta = ds_delta(g, maxw);
    ds.nslot = 4;
    while (ds.nslot < (size_t)(maxw / ds.delta) + 3) {
        ds.nslot *= 2;
    }
    ds.bk = gr_calloc((size_t)ds.nt * ds.nslot, sizeof *ds.bk);
    if (!mark || !ids || !ds.bk || !nodevec_grow(&ds.bk[0])) {
        rc = gr_err_nomem(err, "sssp buckets");
        goto done;
    }
    memset(mark, 0, nw * sizeof *mark);
    GR_OMP(parallel for schedule(static) if(par))
    for (u = 0; u < n; u++) {
        dist[u] = INFINITY;
    }
    dist[s] = 0.0;
    ds.bk[0].a[ds.bk[0].len++] = s;

    while (pending) {
        int64_t cnt = 0;
        size_t total = 0, slot;
        uint64_t pushed = 0;
        /* The next bucket with entries, then its entries (all threads'),
         * deduplicated and stripped of nodes that moved to an earlier
         * bucket since they were pushed. */
        for (;;) {
            slot = cur & (ds.nslot - 1);
            for (t = 0; t < ds.nt; t++) {
                total += ds.bk[(size_t)t * ds.nslot + slot].len;
            }
            if (total) {
                break;
            }
            cur++;
        }
        if (total > nw / 8) {
            /* Large: mark, then sweep the bitmap for ascending ids. */
            size_t wi;
            for (t = 0; t < ds.nt; t++) {
                nodevec *b = &ds.bk[(size_t)t * ds.nslot + slot];
                for (r = 0; r < b->len; r++) {
                    mark[b->a[r] >> 6] |= (uint64_t)1 << (b->a[r] & 63);
                }
                b->len = 0;
            }
            for (wi = 0; wi < nw; wi++) {
                uint64_t w = mark[wi];
                mark[wi] = 0;
                while (w) {
                    uint32_t x = (uint32_t)(wi * 64 + (size_t)__builtin_ctzll(w));
                    w &= w - 1;
                    if (ds_bucket(&ds, dist[x]) == cur) {
                        ids[cnt++] = x;
                    }
                }
            }
        } else {
            for (t = 0; t < ds.nt; t++) {
                nodevec *b = &ds.bk[(size_t)t * ds.nslot + slot];
                for (r = 0; r < b->len; r++) {
                    uint32_t x = b->a[r];
                    uint64_t bit = (uint64_t)1 << (x & 63);
                    if (!(mark[x >> 6] & bit) && ds_bucket(&ds, dist[x]) == cur) {
                        mark[x >> 6] |= bit;
                        ids[cnt++] = x;
                    }
                }
                b->len = 0;
            }
            for (r = 0; r < (size_t)cnt; r++) {
                mark[ids[r] >> 6] = 0;
            }
        }
        pending -= total;
        if (cnt == 0) {
            continue;
        }
        if (counted != cur) {
            counted = cur;
            buckets++;
        }
        if (par && cnt > DS_CHUNK) {
            GR_OMP(parallel reduction(+:pushed))
            {
                nodevec *mine = ds.bk;
                int64_t c, nc = (cnt + DS_CHUNK - 1) / DS_CHUNK;
#ifdef _OPENMP
                mine += (size_t)omp_get_thread_num() * ds.nslot;
#endif
                GR_OMP(for schedule(dynamic, 1))
                for (c = 0; c < nc; c++) {
                    int64_t lo = c * DS_CHUNK, hi = lo + DS_CHUNK < cnt ? lo + DS_CHUNK : cnt;
                    pushed += ds_relax_range(&ds, mine, ids, lo, hi, cnt, 1);
                }
            }
        } else {
            pushed = ds_relax_range(&ds, ds.bk, ids, 0, cnt, cnt, 0);
        }
        if (ds.oom) {
            rc = gr_err_nomem(err, "sssp buckets");
            goto done;
        }
        pending += pushed;
    }
    if (iters) {
        *iters = buckets;
    }
done:
    for (r = 0; ds.bk && r < (size_t)ds.nt * ds.nslot; r++) {
        gr_free(ds.bk[r].a);
    }
    gr_free(ds.bk);
    gr_free_big(mark);
    gr_free_big(ids);
    return rc;
}

int gr_native_sssp(const gr_graph *g, gr_native_kind kind, int64_t source,
                   double *dist, int64_t *iters, gr_error *err)
{
    int64_t s;
    double maxw;
    int rc;
    if (!g) {
        return gr_err(err, GR_ERR_INVALID, "sssp: graph is NULL");
    }
    if (!dist) {
        return gr_err(err, GR_ERR_INVALID, "sssp: dist is NULL");
    }
    if (kind != GR_NATIVE && kind != GR_BEST) {
        return gr_err(err, GR_ERR_INVALID, "sssp: unknown native kind %d", (int)kind);
    }
    s = gr_graph_dense_id(g, source);
    if (s < 0) {
        return gr_err(err, GR_ERR_RANGE, "source %lld is not a node of the graph",
                      (long long)source);
    }
    rc = check_weights(g, &maxw, err);
    if (rc < 0) {
        return rc;
    }
    return kind == GR_NATIVE ? sssp_bellman_ford(g, (uint32_t)s, dist, iters, err)
                             : sssp_delta_stepping(g, (uint32_t)s, maxw, dist, iters, err);
}
