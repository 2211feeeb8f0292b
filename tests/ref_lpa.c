/*
 * ref_lpa.c - reference synchronous label propagation (see ref.h), written
 * on original ids throughout (no dense-id trick): for every node gather the
 * multiset of neighbour labels (in-edges, then out-edges skipping the
 * self-loop), sort it, and take the longest run of equal labels, the first
 * (lowest) one on ties.
 */
#include "config.h"
#include "ref.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* See ref.h.  Returns the iterations run. */
int64_t ref_lpa(const gr_graph *g, int64_t max_iter, int64_t *label)
{
    uint32_t n = g->n, v;
    int64_t *next = calloc(n ? n : 1, sizeof *next);
    int64_t *bag = calloc(2 * g->m + 1, sizeof *bag);
    int64_t it = 0;

    ck_assert_ptr_nonnull(next);
    ck_assert_ptr_nonnull(bag);
    for (v = 0; v < n; v++) {
        label[v] = gr_graph_orig_id(g, v);
    }
    while (it < max_iter) {
        int changed = 0;
        for (v = 0; v < n; v++) {
            size_t k = 0, i, j;
            uint64_t e;
            int64_t best = label[v];
            size_t bestc = 0;
            for (e = g->in_off[v]; e < g->in_off[v + 1]; e++) {
                bag[k++] = label[g->in_adj[e]];
            }
            for (e = g->out_off[v]; e < g->out_off[v + 1]; e++) {
                if (g->out_adj[e] != v) {
                    bag[k++] = label[g->out_adj[e]];
                }
            }
            qsort(bag, k, sizeof *bag, cmp_i64);
            for (i = 0; i < k; i = j) {
                j = i + 1;
                while (j < k && bag[j] == bag[i]) {
                    j++;
                }
                if (j - i > bestc) { /* strictly longer: ties keep the lower */
                    bestc = j - i;
                    best = bag[i];
                }
            }
            next[v] = best;
            changed |= best != label[v];
        }
        memcpy(label, next, (size_t)n * sizeof *label);
        it++;
        if (!changed) {
            break;
        }
    }
    free(next);
    free(bag);
    return it;
}
