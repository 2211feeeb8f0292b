/*
 * graph.c - the gr_graph object: edge lists, allocation, freeing,
 * validation, digests and id lookups.  Building from edges is in build.c,
 * files in load_*.c and snapshot.c, generators in gen_*.c.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <string.h>
#include <sys/mman.h>

/* Nodes + edges from which gr_graph_self_loops runs in parallel. */
#define GR_SELF_LOOPS_PAR 65536

/* ---- edge lists ---------------------------------------------------- */

void gr_edges_init(gr_edges *e, int weighted)
{
    memset(e, 0, sizeof *e);
    e->weighted = weighted != 0;
}

int gr_edges_reserve(gr_edges *e, uint64_t cap, gr_error *err)
{
    uint32_t *s, *d;
    double *w = NULL;
    if (cap <= e->cap) {
        return GR_OK;
    }
    s = gr_realloc(e->src, cap * sizeof *s);
    if (!s) {
        return gr_err_nomem(err, "edge list");
    }
    e->src = s;
    d = gr_realloc(e->dst, cap * sizeof *d);
    if (!d) {
        return gr_err_nomem(err, "edge list");
    }
    e->dst = d;
    if (e->weighted) {
        w = gr_realloc(e->w, cap * sizeof *w);
        if (!w) {
            return gr_err_nomem(err, "edge weights");
        }
        e->w = w;
    }
    e->cap = cap;
    return GR_OK;
}

int gr_edges_push(gr_edges *e, uint32_t src, uint32_t dst, double w, gr_error *err)
{
    if (e->m == e->cap) {
        uint64_t cap = e->cap ? e->cap * 2 : 1024;
        int rc = gr_edges_reserve(e, cap, err);
        if (rc < 0) {
            return rc;
        }
    }
    e->src[e->m] = src;
    e->dst[e->m] = dst;
    if (e->weighted) {
        e->w[e->m] = w;
    }
    e->m++;
    return GR_OK;
}

void gr_edges_release(gr_edges *e)
{
    gr_free(e->src);
    gr_free(e->dst);
    gr_free(e->w);
    memset(e, 0, sizeof *e);
}

/* ---- graphs -------------------------------------------------------- */

gr_graph *gr_graph_alloc_shell(void)
{
    gr_graph *g = gr_calloc(1, sizeof *g);
    struct gr_graph_store *st;
    if (!g) {
        return NULL;
    }
    st = gr_calloc(1, sizeof *st);
    if (!st) {
        gr_free(g);
        return NULL;
    }
    g->priv_ = st;
    return g;
}

int gr_graph_alloc_arrays(gr_graph *g, uint32_t n, uint64_t m, int weighted,
                          int with_orig, int share_in, gr_error *err)
{
    struct gr_graph_store *st = g->priv_;
    g->n = n;
    g->m = m;
    g->out_off = gr_alloc_big((size_t)n + 1, sizeof *g->out_off);
    g->out_adj = gr_alloc_big(m, sizeof *g->out_adj);
    if (!g->out_off || !g->out_adj) {
        return gr_err_nomem(err, "graph arrays");
    }
    if (weighted && !(g->out_w = gr_alloc_big(m, sizeof *g->out_w))) {
        return gr_err_nomem(err, "graph weights");
    }
    if (with_orig && !(g->orig_id = gr_alloc_big(n, sizeof *g->orig_id))) {
        return gr_err_nomem(err, "original ids");
    }
    st->in_shares_out = share_in;
    if (share_in) {
        g->in_off = g->out_off;
        g->in_adj = g->out_adj;
        g->in_w = g->out_w;
        return GR_OK;
    }
    g->in_off = gr_alloc_big((size_t)n + 1, sizeof *g->in_off);
    g->in_adj = gr_alloc_big(m, sizeof *g->in_adj);
    if (!g->in_off || !g->in_adj) {
        return gr_err_nomem(err, "graph arrays");
    }
    if (weighted && !(g->in_w = gr_alloc_big(m, sizeof *g->in_w))) {
        return gr_err_nomem(err, "graph weights");
    }
    return GR_OK;
}

void gr_graph_free(gr_graph **gp)
{
    gr_graph *g;
    struct gr_graph_store *st;
    if (!gp || !*gp) {
        return;
    }
    g = *gp;
    st = g->priv_;
    if (st && st->map) {
        munmap(st->map, st->map_len);
    } else {
        int share = st && st->in_shares_out;
        gr_free_big(g->out_off);
        gr_free_big(g->out_adj);
        gr_free_big(g->out_w);
        if (!share) {
            gr_free_big(g->in_off);
            gr_free_big(g->in_adj);
            gr_free_big(g->in_w);
        }
        gr_free_big(g->orig_id);
    }
    gr_free(st);
    gr_free(g);
    *gp = NULL;
}

static int check_rows(const uint64_t *off, const uint32_t *adj, const double *w,
                      uint32_t n, uint64_t m, const char *what, gr_error *err)
{
    uint32_t u;
    if (off[0] != 0 || off[n] != m) {
        return gr_err(err, GR_ERR_INVALID, "%s offsets do not span 0..%llu", what,
                      (unsigned long long)m);
    }
    for (u = 0; u < n; u++) {
        uint64_t k;
        if (off[u + 1] < off[u]) {
            return gr_err(err, GR_ERR_INVALID, "%s offsets decrease at node %u", what, u);
        }
        for (k = off[u]; k < off[u + 1]; k++) {
            if (adj[k] >= n) {
                return gr_err(err, GR_ERR_INVALID, "%s edge %llu names node %u >= n=%u",
                              what, (unsigned long long)k, adj[k], n);
            }
            if (k > off[u] && (adj[k] < adj[k - 1] ||
                               (adj[k] == adj[k - 1] && w && w[k] < w[k - 1]))) {
                return gr_err(err, GR_ERR_INVALID, "%s row of node %u is not sorted", what, u);
            }
        }
    }
    return GR_OK;
}

int gr_graph_validate(const gr_graph *g, gr_error *err)
{
    uint32_t u;
    uint64_t *pos;
    int rc;
    if (!g || !g->out_off || !g->in_off || (g->m && (!g->out_adj || !g->in_adj))) {
        return gr_err(err, GR_ERR_INVALID, "graph is missing arrays");
    }
    if ((g->out_w == NULL) != (g->in_w == NULL)) {
        return gr_err(err, GR_ERR_INVALID, "graph has weights in one direction only");
    }
    if ((rc = check_rows(g->out_off, g->out_adj, g->out_w, g->n, g->m, "out-edge", err)) < 0 ||
        (rc = check_rows(g->in_off, g->in_adj, g->in_w, g->n, g->m, "in-edge", err)) < 0) {
        return rc;
    }
    for (u = 1; g->orig_id && u < g->n; u++) {
        if (g->orig_id[u] <= g->orig_id[u - 1]) {
            return gr_err(err, GR_ERR_INVALID, "original ids are not increasing at node %u", u);
        }
    }
    /* CSC must be the transpose of CSR: walk CSR rows in order and check
     * each edge lands at the next free place of its CSC row. */
    pos = gr_alloc_big(g->n ? g->n : 1, sizeof *pos);
    if (!pos) {
        return gr_err_nomem(err, "validation");
    }
    memcpy(pos, g->in_off, (size_t)g->n * sizeof *pos);
    for (u = 0; u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            uint32_t v = g->out_adj[k];
            uint64_t p = pos[v]++;
            if (p >= g->in_off[v + 1] || g->in_adj[p] != u ||
                (g->out_w && g->in_w[p] != g->out_w[k])) {
                gr_free_big(pos);
                return gr_err(err, GR_ERR_INVALID,
                              "in-edges are not the transpose of out-edges at edge %u->%u", u, v);
            }
        }
    }
    gr_free_big(pos);
    return GR_OK;
}

uint64_t gr_graph_self_loops(const gr_graph *g, uint8_t *flags)
{
    const long long n = g->n;
    uint64_t count = 0;
    long long v;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(+ : count) \
    if ((uint64_t)g->n + g->m >= GR_SELF_LOOPS_PAR)
#endif
    for (v = 0; v < n; v++) {
        uint64_t e;
        uint8_t f = 0;
        for (e = g->out_off[v]; e < g->out_off[v + 1]; e++) {
            f |= g->out_adj[e] == (uint32_t)v;
        }
        flags[v] = f;
        count += f;
    }
    return count;
}

int64_t gr_graph_dense_id(const gr_graph *g, int64_t orig)
{
    uint32_t lo = 0, hi;
    if (!g->orig_id) {
        return (orig >= 0 && orig < (int64_t)g->n) ? orig : -1;
    }
    hi = g->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->orig_id[mid] < orig) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (lo < g->n && g->orig_id[lo] == orig) ? (int64_t)lo : -1;
}

uint64_t gr_graph_digest(const gr_graph *g)
{
    gr_hash h;
    uint64_t hdr[3];
    gr_hash_init(&h, 0x67726170685f6467ULL);
    hdr[0] = g->n;
    hdr[1] = g->m;
    hdr[2] = (g->out_w ? 1u : 0u) | (g->orig_id ? 2u : 0u);
    gr_hash_update(&h, hdr, sizeof hdr);
    gr_hash_update(&h, g->out_off, ((size_t)g->n + 1) * sizeof *g->out_off);
    gr_hash_update(&h, g->out_adj, (size_t)g->m * sizeof *g->out_adj);
    if (g->out_w) {
        gr_hash_update(&h, g->out_w, (size_t)g->m * sizeof *g->out_w);
    }
    if (g->orig_id) {
        gr_hash_update(&h, g->orig_id, (size_t)g->n * sizeof *g->orig_id);
    }
    return gr_hash_final(&h);
}

size_t gr_graph_bytes(const gr_graph *g)
{
    const struct gr_graph_store *st = g->priv_;
    size_t row = ((size_t)g->n + 1) * sizeof(uint64_t);
    size_t edges = (size_t)g->m * (sizeof(uint32_t) + (g->out_w ? sizeof(double) : 0));
    size_t total = row + edges;
    if (!st || !st->in_shares_out) {
        total += row + edges;
    }
    if (g->orig_id) {
        total += (size_t)g->n * sizeof(int64_t);
    }
    return total;
}
