/*
 * ref_degree.c - reference degree centrality (see ref.h): degrees counted
 * edge by edge from the CSR alone (so a broken CSC shows up), then
 * (in + out) / (n - 1), 1.0 for a single node.
 */
#include "config.h"
#include "ref.h"

#include <check.h>
#include <stdlib.h>

/* See ref.h. */
void ref_degree(const gr_graph *g, double *cent)
{
    uint32_t n = g->n, u;
    uint64_t *deg = calloc(n ? n : 1, sizeof *deg);
    uint64_t e;

    ck_assert_ptr_nonnull(deg);
    for (u = 0; u < n; u++) {
        for (e = g->out_off[u]; e < g->out_off[u + 1]; e++) {
            deg[u]++;                /* out-degree of the source */
            deg[g->out_adj[e]]++;    /* in-degree of the target */
        }
    }
    for (u = 0; u < n; u++) {
        cent[u] = n == 1 ? 1.0 : (double)deg[u] / (double)(n - 1);
    }
    free(deg);
}
