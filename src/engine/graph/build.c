/*
 * build.c - CSR and CSC from an edge list by parallel, stable counting sort.
 *
 * Three counting-sort passes, each O(m + n·threads), no comparison sort:
 *   1. input edges by target    -> CSC (sources in input order)
 *   2. CSC order by source      -> CSR (rows sorted by target: the CSC is
 *                                  visited target by target)
 *   3. CSR order by target      -> CSC (rows sorted by source)
 * then runs of parallel edges are ordered by weight, so the result does not
 * depend on the input order or the thread count.  A symmetrized build feeds
 * both directions to passes 1-2, keeps the sorted rows of pass 2, collapses
 * parallel edges to the lightest one, and shares the arrays between CSR and
 * CSC (the graph is its own transpose).
 *
 * The sort is stable and parallel: each thread counts keys over its own
 * contiguous slice of items, a prefix over (key, thread) gives each thread
 * its own write position per key, and the threads scatter in parallel.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The items of one counting sort: item k has key key[k] and carries the
 * value val[k] (or, when val is NULL, the row of k under rowoff) and
 * weight w[k] (when w is not NULL). */
typedef struct sort_in {
    uint32_t n;              /* keys are < n */
    uint64_t m;              /* items */
    const uint32_t *key;
    const uint32_t *val;     /* NULL: value is the row containing k */
    const uint64_t *rowoff;  /* n+1 row offsets when val is NULL */
    const double *w;
} sort_in;

/* The row r with rowoff[r] <= k < rowoff[r+1] (first non-empty one). */
static uint32_t row_of(const uint64_t *rowoff, uint32_t n, uint64_t k)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rowoff[mid + 1] <= k) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int sort_threads(const sort_in *in)
{
    int t = 1;
#ifdef _OPENMP
    t = omp_get_max_threads();
#endif
    /* Small inputs and huge key spaces are not worth per-thread counts. */
    if (in->m < ((uint64_t)1 << 16)) {
        t = 1;
    }
    while (t > 1 && (uint64_t)t * in->n > 8 * in->m + ((uint64_t)1 << 20)) {
        t--;
    }
    return t < 1 ? 1 : t;
}

static int csort(const sort_in *in, uint64_t *off, uint32_t *oval, double *ow,
                 gr_error *err)
{
    int nt = sort_threads(in);
    size_t stride = (size_t)in->n + 1;
    uint64_t *cnt = gr_alloc_big((size_t)nt * stride, sizeof *cnt);
    uint64_t running = 0;
    uint32_t k;
    if (!cnt) {
        return gr_err_nomem(err, "edge sort counts");
    }
    memset(cnt, 0, (size_t)nt * stride * sizeof *cnt);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int t = 0;
        uint64_t lo, hi, i;
        uint64_t *c;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        lo = in->m * (uint64_t)t / (uint64_t)nt;
        hi = in->m * (uint64_t)(t + 1) / (uint64_t)nt;
        c = cnt + (size_t)t * stride;
        for (i = lo; i < hi; i++) {
            c[in->key[i]]++;
        }
    }
    /* Exclusive prefix over (key, thread): thread t's slot for key k. */
    for (k = 0; k < in->n; k++) {
        int t;
        off[k] = running;
        for (t = 0; t < nt; t++) {
            uint64_t c = cnt[(size_t)t * stride + k];
            cnt[(size_t)t * stride + k] = running;
            running += c;
        }
    }
    off[in->n] = running;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        int t = 0;
        uint64_t lo, hi, i;
        uint64_t *c;
        uint32_t row = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        lo = in->m * (uint64_t)t / (uint64_t)nt;
        hi = in->m * (uint64_t)(t + 1) / (uint64_t)nt;
        c = cnt + (size_t)t * stride;
        if (!in->val && lo < hi) {
            row = row_of(in->rowoff, in->n, lo);
        }
        for (i = lo; i < hi; i++) {
            uint64_t p = c[in->key[i]]++;
            if (in->val) {
                oval[p] = in->val[i];
            } else {
                while (in->rowoff[row + 1] <= i) {
                    row++;
                }
                oval[p] = row;
            }
            if (ow) {
                ow[p] = in->w[i];
            }
        }
    }
    gr_free_big(cnt);
    return GR_OK;
}

/* Order each run of equal neighbours (parallel edges) by weight. */
static void sort_ties(uint32_t n, const uint64_t *off, const uint32_t *adj, double *w)
{
    int64_t u;
    if (!w) {
        return;
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4096)
#endif
    for (u = 0; u < (int64_t)n; u++) {
        uint64_t k;
        for (k = off[u] + 1; k < off[u + 1]; k++) {
            uint64_t j = k;
            double x = w[k];
            while (j > off[u] && adj[j - 1] == adj[k] && w[j - 1] > x) {
                w[j] = w[j - 1];
                j--;
            }
            w[j] = x;
        }
    }
}

static int check_edges(const gr_edges *e, uint32_t n, gr_error *err)
{
    uint64_t i;
    for (i = 0; i < e->m; i++) {
        if (e->src[i] >= n || e->dst[i] >= n) {
            return gr_err(err, GR_ERR_RANGE, "edge %llu (%u -> %u) names a node >= n=%u",
                          (unsigned long long)i, e->src[i], e->dst[i], n);
        }
        if (e->weighted && isnan(e->w[i])) {
            return gr_err(err, GR_ERR_INVALID, "edge %llu has a NaN weight",
                          (unsigned long long)i);
        }
    }
    return GR_OK;
}

/* Non-symmetric build: the three passes described in the banner. */
static int build_directed(const gr_edges *e, gr_graph *g, gr_error *err)
{
    uint32_t *tmp_adj = NULL;
    double *tmp_w = NULL;
    uint64_t *tmp_off = NULL;
    sort_in in;
    int rc = GR_OK;
    tmp_adj = gr_alloc_big(e->m, sizeof *tmp_adj);
    tmp_off = gr_alloc_big((size_t)g->n + 1, sizeof *tmp_off);
    if (!tmp_adj || !tmp_off || (e->weighted && !(tmp_w = gr_alloc_big(e->m, sizeof *tmp_w)))) {
        rc = gr_err_nomem(err, "graph build");
        goto done;
    }
    /* 1: by target, CSC with unsorted rows, in tmp. */
    in = (sort_in){g->n, e->m, e->dst, e->src, NULL, e->weighted ? e->w : NULL};
    TRY(csort(&in, tmp_off, tmp_adj, tmp_w, err));
    /* 2: CSC order by source -> CSR with rows sorted by target. */
    in = (sort_in){g->n, e->m, tmp_adj, NULL, tmp_off, tmp_w};
    TRY(csort(&in, g->out_off, g->out_adj, g->out_w, err));
    sort_ties(g->n, g->out_off, g->out_adj, g->out_w);
    /* 3: CSR order by target -> CSC with rows sorted by source. */
    in = (sort_in){g->n, e->m, g->out_adj, NULL, g->out_off, g->out_w};
    TRY(csort(&in, g->in_off, g->in_adj, g->in_w, err));
    goto done;
fail:
done:
    gr_free_big(tmp_adj);
    gr_free_big(tmp_w);
    gr_free_big(tmp_off);
    return rc;
}

/* Symmetric build into heap arrays; g->n set, arrays not yet allocated. */
static int build_symmetric(const gr_edges *e, gr_graph *g, const int64_t *orig,
                           gr_error *err)
{
    uint64_t m2 = 0, i, k, w_at;
    uint32_t *src = NULL, *dst = NULL, *tmp_adj = NULL, *adj = NULL;
    double *w = NULL, *tmp_w = NULL, *ws = NULL;
    uint64_t *tmp_off = NULL, *off = NULL;
    int weighted = e->weighted, rc = GR_OK;
    uint32_t u, n = g->n;
    sort_in in;
    for (i = 0; i < e->m; i++) {
        m2 += e->src[i] == e->dst[i] ? 1 : 2;
    }
    src = gr_alloc_big(m2, sizeof *src);
    dst = gr_alloc_big(m2, sizeof *dst);
    tmp_adj = gr_alloc_big(m2, sizeof *tmp_adj);
    adj = gr_alloc_big(m2, sizeof *adj);
    tmp_off = gr_alloc_big((size_t)n + 1, sizeof *tmp_off);
    off = gr_alloc_big((size_t)n + 1, sizeof *off);
    if (!src || !dst || !tmp_adj || !adj || !tmp_off || !off ||
        (weighted && (!(w = gr_alloc_big(m2, sizeof *w)) ||
                      !(tmp_w = gr_alloc_big(m2, sizeof *tmp_w)) ||
                      !(ws = gr_alloc_big(m2, sizeof *ws))))) {
        rc = gr_err_nomem(err, "graph build");
        goto done;
    }
    for (i = 0, k = 0; i < e->m; i++) {
        src[k] = e->src[i];
        dst[k] = e->dst[i];
        if (weighted) {
            w[k] = e->w[i];
        }
        k++;
        if (e->src[i] != e->dst[i]) {
            src[k] = e->dst[i];
            dst[k] = e->src[i];
            if (weighted) {
                w[k] = e->w[i];
            }
            k++;
        }
    }
    in = (sort_in){n, m2, src, dst, NULL, w};
    TRY(csort(&in, tmp_off, tmp_adj, tmp_w, err));
    /* Rows of pass 2 are sorted; for a symmetric multiset they are the CSR. */
    in = (sort_in){n, m2, tmp_adj, NULL, tmp_off, tmp_w};
    TRY(csort(&in, off, adj, ws, err));
    sort_ties(n, off, adj, ws);
    /* Collapse parallel edges (keep the first, the lightest) in place. */
    w_at = 0;
    for (u = 0; u < n; u++) {
        uint64_t start = w_at;
        for (k = off[u]; k < off[u + 1]; k++) {
            if (k > off[u] && adj[k] == adj[k - 1]) {
                continue;
            }
            adj[w_at] = adj[k];
            if (weighted) {
                ws[w_at] = ws[k];
            }
            w_at++;
        }
        off[u] = start;
    }
    off[n] = w_at;
    TRY(gr_graph_alloc_arrays(g, n, w_at, weighted, orig != NULL, 1, err));
    memcpy(g->out_off, off, ((size_t)n + 1) * sizeof *off);
    memcpy(g->out_adj, adj, (size_t)w_at * sizeof *adj);
    if (weighted) {
        memcpy(g->out_w, ws, (size_t)w_at * sizeof *ws);
    }
    g->symmetric = 1;
    goto done;
fail:
done:
    gr_free_big(src);
    gr_free_big(dst);
    gr_free_big(w);
    gr_free_big(tmp_adj);
    gr_free_big(tmp_w);
    gr_free_big(tmp_off);
    gr_free_big(adj);
    gr_free_big(ws);
    gr_free_big(off);
    return rc;
}

int gr_graph_build_ex(const gr_edges *e, uint32_t n, unsigned flags,
                      const int64_t *orig, gr_graph **out, gr_error *err)
{
    gr_graph *g;
    int rc;
    *out = NULL;
    if ((rc = check_edges(e, n, err)) < 0) {
        return rc;
    }
    g = gr_graph_alloc_shell();
    if (!g) {
        return gr_err_nomem(err, "graph");
    }
    g->n = n;
    if (flags & GR_BUILD_SYMMETRIZE) {
        TRY(build_symmetric(e, g, orig, err));
    } else {
        TRY(gr_graph_alloc_arrays(g, n, e->m, e->weighted, orig != NULL, 0, err));
        TRY(build_directed(e, g, err));
    }
    if (orig) {
        memcpy(g->orig_id, orig, (size_t)n * sizeof *orig);
    }
    *out = g;
    return GR_OK;
fail:
    gr_graph_free(&g);
    return rc;
}

int gr_graph_build(const gr_edges *e, uint32_t n, unsigned flags,
                   gr_graph **out, gr_error *err)
{
    return gr_graph_build_ex(e, n, flags, NULL, out, err);
}

int gr_graph_symmetrize(const gr_graph *g, gr_graph **out, gr_error *err)
{
    gr_edges e;
    uint32_t u;
    int rc;
    *out = NULL;
    gr_edges_init(&e, g->out_w != NULL);
    TRY(gr_edges_reserve(&e, g->m ? g->m : 1, err));
    for (u = 0; u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            e.src[e.m] = u;
            e.dst[e.m] = g->out_adj[k];
            if (e.weighted) {
                e.w[e.m] = g->out_w[k];
            }
            e.m++;
        }
    }
    rc = gr_graph_build_ex(&e, g->n, GR_BUILD_SYMMETRIZE, g->orig_id, out, err);
fail:
    gr_edges_release(&e);
    return rc;
}
