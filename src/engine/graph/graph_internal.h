/*
 * graph_internal.h - how a gr_graph stores its arrays, for the graph module
 * only (loaders, snapshot, build).
 *
 * A graph's arrays are either heap arrays from gr_alloc_big (each freed on
 * its own) or point into one mmap'd snapshot (unmapped as a whole).  When a
 * graph is symmetric its CSC may share the CSR arrays (in_shares_out).
 */
#ifndef GR_GRAPH_INTERNAL_H
#define GR_GRAPH_INTERNAL_H

#include "gr.h"

struct gr_graph_store {
    void *map;           /* mmap'd snapshot, or NULL for heap arrays */
    size_t map_len;      /* length of the mapping */
    int in_shares_out;   /* in_* arrays alias out_* (symmetric graph) */
};

/* A new graph with zeroed fields and its store; NULL when out of memory. */
gr_graph *gr_graph_alloc_shell(void);

/* Allocate heap arrays for n nodes / m edges (weights when weighted,
 * orig ids when with_orig, CSC unless share_in). */
int gr_graph_alloc_arrays(gr_graph *g, uint32_t n, uint64_t m, int weighted,
                          int with_orig, int share_in, gr_error *err);

/* Build CSR+CSC into a new graph from edges over 0..n-1.  When `dedup`, parallel
 * edges collapse to one (the lowest weight).  orig (may be NULL) is copied
 * as the graph's original-id map (n entries). */
int gr_graph_build_ex(const gr_edges *e, uint32_t n, unsigned flags,
                      const int64_t *orig, gr_graph **out, gr_error *err);

#endif
