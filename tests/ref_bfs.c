/*
 * ref_bfs.c - reference BFS levels (see ref.h): a FIFO queue over
 * out-edges from the source; the first visit of a node fixes its level.
 * When no node has the original id `source`, every level is -1.
 */
#include "config.h"
#include "ref.h"

#include <stdlib.h>

void ref_bfs(const gr_graph *g, int64_t source, int64_t *level)
{
    uint32_t *queue = malloc(((size_t)g->n + 1) * sizeof *queue);
    int64_t s = gr_graph_dense_id(g, source);
    size_t head = 0, tail = 0;
    uint32_t u;
    if (!queue) {
        abort();
    }
    for (u = 0; u < g->n; u++) {
        level[u] = -1;
    }
    if (s >= 0) {
        level[s] = 0;
        queue[tail++] = (uint32_t)s;
    }
    while (head < tail) {
        uint64_t k;
        u = queue[head++];
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            uint32_t v = g->out_adj[k];
            if (level[v] < 0) {
                level[v] = level[u] + 1;
                queue[tail++] = v;
            }
        }
    }
    free(queue);
}
