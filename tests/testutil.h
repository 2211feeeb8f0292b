/*
 * testutil.h - helpers shared by the Check unit tests: a seeded random
 * edge-list maker independent of the library's generators (so generator
 * bugs cannot hide algorithm bugs), small literal graphs, and the set of
 * test graphs every algorithm test runs over.
 */
#ifndef GR_TESTUTIL_H
#define GR_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include "gr.h"

/* A test-local PRNG (splitmix64). */
typedef struct tu_rng { uint64_t s; } tu_rng;
uint64_t tu_next(tu_rng *r);
uint64_t tu_below(tu_rng *r, uint64_t bound);   /* uniform in [0, bound) */
double tu_unit(tu_rng *r);                       /* uniform in [0, 1) */

/* A random graph of n nodes and m directed edges (self-loops and parallel
 * edges possible), weights uniform in [0.5, 10.5) when weighted, built with
 * the given GR_BUILD_* flags.  Aborts the test on failure. */
gr_graph *tu_random_graph(uint32_t n, uint64_t m, uint64_t seed, int weighted,
                          unsigned flags);

/* A skewed random graph: edge endpoints drawn with a power-law bias, so
 * some nodes have many edges (an R-MAT stand-in). */
gr_graph *tu_skewed_graph(uint32_t n, uint64_t m, uint64_t seed, int weighted,
                          unsigned flags);

/* A copy of g (its out-edges and weights) whose node u has original id
 * 5u + 3: increasing and sparse, so a node's id is not its index.  Aborts
 * the test on failure. */
gr_graph *tu_with_orig_ids(const gr_graph *g);

/* A graph from a literal edge array {src0,dst0, src1,dst1, ...} of m
 * edges over n nodes; weights may be NULL. */
gr_graph *tu_graph(uint32_t n, const uint32_t *pairs, uint64_t m,
                   const double *w, unsigned flags);

/* The standard battery of test graphs: small known shapes (empty edge set,
 * a single node, isolated nodes, self-loops, duplicate edges, dangling
 * nodes, a path, a star, two components) and seeded random ones, directed
 * and symmetrized, weighted and not.  tu_case(i) returns case i (the
 * caller frees it) and its name; NULL past the last case. */
gr_graph *tu_case(int i, const char **name);

/* Assert that two results agree: same number of outputs, names, types and
 * lengths; i64/bool values equal; f64 values equal within rel_tol relative
 * (absolute below 1; 0 means bit-identical, NaN equal to NaN); iteration
 * counts equal when check_iters.  `what` prefixes every failure message. */
void tu_assert_results_match(const gr_result *got, const gr_result *want, double rel_tol,
                             int check_iters, const char *what);

/* Compile library algorithm `name` (aborts the test on failure). */
gr_program *tu_library_program(const char *name);

/* Write a temporary file with `text`; returns its path (static buffer,
 * valid until the next call). */
const char *tu_write_temp(const char *suffix, const char *text);

/* The whole file at path, NUL-terminated (malloc'd: free it), or NULL when
 * it cannot be read; *len (may be NULL) receives its length.  Asserts
 * nothing, so tools built from the tests may use it outside a test. */
char *tu_slurp(const char *path, size_t *len);

/* Path of a file under tests/data in the source tree (static buffer). */
const char *tu_data(const char *name);

/* Run a suite and return the process exit status (0 when all passed). */
/* Failure injection (STYLE.md): call run(ctx, err) allowing 0, 1, 2, ...
 * allocations until it succeeds, asserting that every failure is a clean
 * GR_ERR_NOMEM (returned and in err, message "out of memory ...") and
 * that it succeeds within max allocations but not with none.  Returns the
 * number of allocations it needed. */
long tu_nomem_sweep(int (*run)(void *ctx, gr_error *err), void *ctx, long max);

int tu_run(Suite *s);

#endif
