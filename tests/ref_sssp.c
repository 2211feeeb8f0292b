/*
 * ref_sssp.c - reference shortest paths (see ref.h): Dijkstra in its
 * O(n^2) textbook form (scan for the closest unsettled node, relax its
 * out-edges), weights out_w or 1.0.  Weights must be >= 0.  When no node
 * has the original id `source`, every distance is +inf.
 */
#include "config.h"
#include "ref.h"

#include <math.h>
#include <stdlib.h>

void ref_sssp(const gr_graph *g, int64_t source, double *dist)
{
    char *settled = calloc((size_t)g->n + 1, 1);
    int64_t s = gr_graph_dense_id(g, source);
    uint32_t u;
    if (!settled) {
        abort();
    }
    for (u = 0; u < g->n; u++) {
        dist[u] = INFINITY;
    }
    if (s >= 0) {
        dist[s] = 0.0;
    }
    for (;;) {
        uint32_t best = 0;
        double bd = INFINITY;
        uint64_t k;
        for (u = 0; u < g->n; u++) {
            if (!settled[u] && dist[u] < bd) {
                bd = dist[u];
                best = u;
            }
        }
        if (bd == INFINITY) {
            break;
        }
        settled[best] = 1;
        for (k = g->out_off[best]; k < g->out_off[best + 1]; k++) {
            double nd = bd + (g->out_w ? g->out_w[k] : 1.0);
            if (nd < dist[g->out_adj[k]]) {
                dist[g->out_adj[k]] = nd;
            }
        }
    }
    free(settled);
}
