/*
 * progen.h - a seeded generator of random, well-typed programs, built with
 * the public gr_builder_* API.
 *
 * The programs use every kind of op: constants and parameters, sources,
 * every element-wise op, casts, gather and scatter (with index vectors
 * mostly in range), reductions, neighbour aggregations of every allowed
 * direction / monoid / message / self combination, and all three loop
 * kinds with one to three carried values, nested once.  Loop bounds are
 * small, so a program runs in microseconds to milliseconds on a test
 * graph.  The same seed and options give the same program on every
 * machine.  Used to check that step mode runs any program without error
 * or leak, and that every execution mode gives the same results.
 */
#ifndef GR_PROGEN_H
#define GR_PROGEN_H

#include <stdint.h>

#include "gr.h"

typedef struct progen_opts {
    int ops;         /* ops generated in the top block (bodies get fewer) */
    int depth;       /* loop nesting: 0 no loops, 1 loops, 2 loops nested once */
    int max_iter;    /* largest iteration bound a loop gets */
    int print;       /* also generate print ops (they write to the trace) */
} progen_opts;

/* The defaults: 24 ops, depth 2, max_iter 5, no print. */
void progen_defaults(progen_opts *o);

/* Build the program of `seed` ("progen_<seed>") into *out (the caller frees
 * it with gr_program_free).  GR_OK, or the builder's status and message
 * (which would be a bug in the generator or the builder). */
int progen_build(uint64_t seed, const progen_opts *o, gr_program **out, gr_error *err);

#endif
