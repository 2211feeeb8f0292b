/*
 * ref_wcc.c - reference weakly connected components (see ref.h): a plain
 * BFS over in- and out-edges from each unlabelled node in increasing dense
 * order.  The first node of a component met that way is its smallest dense
 * id, hence (dense order == original order) its smallest original id.
 */
#include "config.h"
#include "ref.h"

#include <stdlib.h>

void ref_wcc(const gr_graph *g, int64_t *comp)
{
    uint32_t *queue = malloc(((size_t)g->n + 1) * sizeof *queue);
    char *done = calloc((size_t)g->n + 1, 1);
    uint32_t r;
    if (!queue || !done) {
        abort();
    }
    for (r = 0; r < g->n; r++) {
        size_t head = 0, tail = 0;
        if (done[r]) {
            continue;
        }
        done[r] = 1;
        queue[tail++] = r;
        while (head < tail) {
            uint32_t u = queue[head++];
            uint64_t k;
            comp[u] = gr_graph_orig_id(g, r);
            for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
                if (!done[g->out_adj[k]]) {
                    done[g->out_adj[k]] = 1;
                    queue[tail++] = g->out_adj[k];
                }
            }
            for (k = g->in_off[u]; k < g->in_off[u + 1]; k++) {
                if (!done[g->in_adj[k]]) {
                    done[g->in_adj[k]] = 1;
                    queue[tail++] = g->in_adj[k];
                }
            }
        }
    }
    free(queue);
    free(done);
}
