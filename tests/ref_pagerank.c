/*
 * ref_pagerank.c - reference PageRank (see ref.h): the definition in
 * src/engine/native/pagerank.c written as plainly as possible, one
 * sequential loop per formula, no blocking, no threads, no fusion.
 */
#include "config.h"
#include "ref.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

/* See ref.h.  Returns the iterations run. */
int64_t ref_pagerank(const gr_graph *g, double damping, double tol,
                     int64_t max_iter, double *rank)
{
    uint32_t n = g->n, u, v;
    double *next = calloc(n ? n : 1, sizeof *next);
    int64_t it = 0;

    ck_assert_ptr_nonnull(next);
    for (v = 0; v < n; v++) {
        rank[v] = 1.0 / (double)n;
    }
    while (it < max_iter) {
        double dang = 0.0, errsum = 0.0;
        for (u = 0; u < n; u++) {
            if (g->out_off[u + 1] == g->out_off[u]) {
                dang += rank[u];
            }
        }
        for (v = 0; v < n; v++) {
            double s = 0.0;
            uint64_t e;
            for (e = g->in_off[v]; e < g->in_off[v + 1]; e++) {
                uint32_t src = g->in_adj[e];
                double inv = 1.0 / (double)(g->out_off[src + 1] - g->out_off[src]);
                s += rank[src] * inv;
            }
            next[v] = damping * s + (1.0 - damping + damping * dang) / (double)n;
        }
        for (v = 0; v < n; v++) {
            errsum += fabs(next[v] - rank[v]);
            rank[v] = next[v];
        }
        it++;
        if (errsum < (double)n * tol) {
            break;
        }
    }
    free(next);
    return it;
}
