/*
 * ref.h - slow, obviously correct reference implementations of every
 * library algorithm, used by the tests to check the fast code (native,
 * and later step, batched and fused modes).  Each works on the graph's
 * CSR/CSC directly with the simplest loops, and uses original ids exactly
 * as the public API documents.  One file each under tests/ref_*.c.
 */
#ifndef GR_REF_H
#define GR_REF_H

#include "gr.h"

/* PageRank as networkx: returns iterations run. */
int64_t ref_pagerank(const gr_graph *g, double damping, double tol,
                     int64_t max_iter, double *rank);
/* Synchronous label propagation; labels are original ids. */
int64_t ref_lpa(const gr_graph *g, int64_t max_iter, int64_t *label);
/* Weakly connected components by BFS; smallest original id per component. */
void ref_wcc(const gr_graph *g, int64_t *comp);
/* BFS levels from original id `source` (-1 unreachable). */
void ref_bfs(const gr_graph *g, int64_t source, int64_t *level);
/* Shortest path distances by a simple O(n^2) Dijkstra (+inf unreachable). */
void ref_sssp(const gr_graph *g, int64_t source, double *dist);
/* Degree centrality, networkx convention. */
void ref_degree(const gr_graph *g, double *cent);

#endif
