/*
 * changepoint.h - change-point detection over a benchmark's history: the
 * E-divisive means method (Matteson & James 2014, "A nonparametric
 * approach for multiple change point analysis of multivariate data",
 * JASA 109:505), as used by MongoDB's and others' performance CI.
 *
 * Input is a series of BLOCKS (one block per run, in history order), each
 * holding one or more observations (here: the log of each round's mean
 * time).  Change points are only ever placed between blocks (a commit
 * changes between runs, never inside one), and the permutation test
 * permutes whole blocks, so observations of one run, which share that
 * run's machine state, are never treated as independent of each other
 * (see changepoint.c for why this matters).
 *
 * The method, per series:
 *  1. D[i][j] = |x_i - x_j|^exponent, exponent in (0, 2).
 *  2. For a segment, the split (tau, kappa) maximizing
 *       Q = m n / (m + n) * (2/(m n) sum D(X, Y) - sum D(X, X) / C(m, 2)
 *                                                - sum D(Y, Y) / C(n, 2))
 *     with X = the segment's start .. tau, Y = tau .. kappa (kappa <= end),
 *     m, n observations, both at least min_segment blocks long.
 *  3. Hierarchical: over all current segments take the best candidate;
 *     test it by permuting blocks within each segment (`permutations`
 *     times, seeded) and recomputing the best statistic over all
 *     segments; p = (1 + #{permuted >= observed}) / (1 + permutations).
 *     Accept when p < alpha and continue; stop at the first p >= alpha.
 *
 * Everything is deterministic for a given seed.  gr_changepoints knows
 * nothing about run files; gr_trend_detect (below) applies it to one
 * benchmark's trend from the history (history.h), for `detect` and `plot`.
 */
#ifndef GR_REGRESS_CHANGEPOINT_H
#define GR_REGRESS_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "gr.h"

#define GR_CP_MAX_BLOCKS 2000   /* longest series accepted (memory: 2 x 32 MB) */

struct gr_cp_opts {
    double alpha;            /* significance level of each permutation test (0.01) */
    double exponent;         /* divergence exponent, in (0, 2) (1) */
    size_t permutations;     /* permutations per test (499) */
    size_t min_segment;      /* fewest blocks in a segment (3), >= 1 */
    uint64_t seed;           /* of the permutations */
};

/* Defaults: alpha 0.01, exponent 1, 499 permutations, min segment 3,
 * seed 1. */
void gr_cp_opts_init(struct gr_cp_opts *o);

/* One accepted change point. */
struct gr_cp {
    size_t index;            /* first block of the new segment (>= 1) */
    double p;                /* permutation p-value when it was accepted */
    double stat;             /* its divergence statistic Q */
    size_t order;            /* 0 for the first found, 1 for the next, ... */
};

struct gr_cp_result {
    size_t n;                /* change points */
    struct gr_cp *cps;       /* [n], sorted by index (owned) */
    double last_p;           /* p of the first rejected candidate; NAN
                                when none could be tested */
};

/* Find the change points of a series of `nblocks` blocks: block b holds
 * x[off[b] .. off[b+1]) (off has nblocks + 1 entries, nondecreasing; an
 * empty block is an error).  Values must be finite.  Returns GR_OK and
 * fills *out (free with gr_cp_result_free), GR_ERR_INVALID for bad input
 * or options (exponent outside (0, 2), alpha outside (0, 1), no
 * permutations, more than GR_CP_MAX_BLOCKS blocks), GR_ERR_NOMEM.
 * A series too short to split has no change point (not an error). */
int gr_changepoints(const double *x, const size_t *off, size_t nblocks,
                    const struct gr_cp_opts *o, struct gr_cp_result *out,
                    gr_error *err);

void gr_cp_result_free(struct gr_cp_result *r);

/* ------------------------------------------------------------------ */
/* Change points of a benchmark's trend                                 */
/* ------------------------------------------------------------------ */

struct gr_series;

/* One change point of a trend. */
struct gr_trend_cp {
    size_t point;            /* index into the series' points: first run of
                                the new segment */
    double before, after;    /* median (of the runs' medians, seconds) of the
                                segment before and of the one after */
    double change;           /* after / before - 1 */
    double p;                /* permutation p-value */
};

/* The change points of one benchmark's trend. */
struct gr_trend {
    size_t used;             /* points analysed (same version as the last) */
    size_t skipped;          /* points left out: another benchmark version
                                or no usable sample */
    unsigned char *use;      /* [npoints]: 1 when point i was analysed (owned) */
    size_t ncp;
    struct gr_trend_cp *cps; /* [ncp], in history order (owned) */
    int lower_is_better;     /* the benchmark's direction (last run's) */
    /* The state now: the last segment against the segment before the run
     * of consecutive worsening change points that ends at the last one
     * (so a creep of several small steps is measured as a whole). */
    int last_worse;          /* the last change point made it worse */
    size_t last_from;        /* index into cps: first step of that run */
    double last_change;      /* last segment / reference segment - 1 (NAN:
                                no change point) */
};

/* Detect the change points of trend s (a gr_series from
 * gr_history_series).  Observations are the logs of each round's mean
 * time (rounds are the replicates of a run; see changepoint.c); runs of
 * another benchmark version than the last run's are left out.  Returns
 * GR_OK and fills *out (free with gr_trend_free), or an error from
 * gr_changepoints. */
int gr_trend_detect(const struct gr_series *s, const struct gr_cp_opts *o,
                    struct gr_trend *out, gr_error *err);

void gr_trend_free(struct gr_trend *t);

struct gr_history;

/* The names of the benchmarks of history h that match `re` (NULL: all),
 * newest run's order first, then those only older runs have.  *names
 * (owned by the caller, gr_free it) points into h.  GR_ERR_NOMEM. */
int gr_trend_names(const struct gr_history *h, const void *re, const char ***names,
                   size_t *n, gr_error *err);

#endif
