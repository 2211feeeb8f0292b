/*
 * degree.c - native degree centrality (gr_native_degree), the hand-written
 * C twin of algorithms/degree.grl.
 *
 * Semantics (networkx degree_centrality on a directed multigraph):
 *     cent[v] = (double)(indeg(v) + outdeg(v)) / (double)(n - 1)
 * computed as one IEEE division; parallel edges count once each and a
 * self-loop adds one to the in-degree and one to the out-degree.  When
 * n == 1 the single node gets 1.0.  Edge weights are ignored.
 *
 * GR_BEST: the degrees are read straight off the CSR/CSC offsets, nothing
 * is faster, so GR_BEST runs this same code.
 */
#include "config.h"
#include "engine/native/native_internal.h"

/* See gr.h.  cent[] (g->n entries, caller's) receives the centralities;
 * nothing is allocated. */
int gr_native_degree(const gr_graph *g, gr_native_kind kind, double *cent,
                     gr_error *err)
{
    const uint64_t *oo, *io;
    double denom;
    long long v, n;
    int par;

    if (!g || !cent) {
        return gr_err(err, GR_ERR_INVALID, "degree: %s is NULL", g ? "cent" : "graph");
    }
    if (kind != GR_NATIVE && kind != GR_BEST) {
        return gr_err(err, GR_ERR_INVALID, "degree: unknown kind %d", (int)kind);
    }
    if (g->n == 1) {
        cent[0] = 1.0;
        return GR_OK;
    }
    n = g->n;
    oo = g->out_off;
    io = g->in_off;
    denom = (double)(n - 1);
    par = (uint64_t)g->n >= GR_PAR_MIN;
    (void)par;
    GR_OMP(parallel for schedule(static) if (par))
    for (v = 0; v < n; v++) {
        cent[v] = (double)((oo[v + 1] - oo[v]) + (io[v + 1] - io[v])) / denom;
    }
    return GR_OK;
}
