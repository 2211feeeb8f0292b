/*
 * suite.h - grprof's benchmark suites: the table of benchmarks a run
 * executes (name, group, version, parameters, setup / run / finish /
 * teardown) and the graphs they share.
 *
 * Groups (docs/run-schema.md): dispatch (per-call cost of the step API
 * against the per-instruction cost of the batched interpreter), ops
 * (per-op kernel times through the step API), compile (parse, verify,
 * optimize, lower of each library algorithm), fusion (op counts through
 * the passes, as metrics), loops (a `repeat 10` loop against its body
 * unrolled) and algorithms (every library algorithm in every available
 * mode across graph sizes); user for --program files.
 *
 * A mode that does not work yet (plans are still being finished) is
 * probed once when the suite is built; its benchmarks are then left out
 * and a note says why, never faked.
 *
 * Ownership: a gr_suite owns its benchmarks, their state and the graphs;
 * gr_suite_release frees all of it.
 */
#ifndef GR_PROFILER_SUITE_H
#define GR_PROFILER_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "gr.h"

/* The suites, smallest first. */
enum gr_suite_kind {
    GR_SUITE_QUICK = 0,   /* seconds: small graphs */
    GR_SUITE_DEFAULT,     /* minutes: adds 1M/10M and rmat scale 18 */
    GR_SUITE_FULL         /* adds rmat scale 20 and uniform 4M/64M */
};

/* Names of the suites, indexed by gr_suite_kind, NULL-terminated. */
extern const char *const gr_suite_names[];

/* Ways of running a program or algorithm. */
enum gr_bench_mode {
    GR_MODE_STEP = 0,     /* the step executor, one API call per op */
    GR_MODE_BATCHED,      /* -O1, lowered to a plan, the batched interpreter */
    GR_MODE_FUSED,        /* -O2 (fusion passes), lowered, interpreted */
    GR_MODE_NATIVE,       /* hand-written C, same formulation */
    GR_MODE_BEST,         /* hand-written C, fastest known */
    GR_MODE__COUNT
};

/* "step", "batched", ... */
const char *gr_bench_mode_name(int mode);

struct gr_suite;
struct gr_bench;

/* Per-benchmark hooks.  setup makes the state (once, before the first
 * round), run performs one operation (timed), finish computes the
 * checksum from the last run's result, teardown frees the state.  All
 * but teardown return GR_OK or a negative status with err filled. */
struct gr_bench_ops {
    int (*setup)(struct gr_bench *b, gr_error *err);
    int (*run)(struct gr_bench *b, gr_error *err);
    int (*finish)(struct gr_bench *b, uint64_t *checksum, gr_error *err);
    void (*teardown)(struct gr_bench *b);
};

/* One benchmark: its definition and its state between setup and teardown. */
struct gr_bench {
    char *name;                   /* "algorithms/pagerank/fused/uniform-1k-5k" (owned) */
    const char *group;            /* "algorithms" (static) */
    int version;                  /* changes whenever what is measured changes */
    char *params;                 /* JSON object text (owned) */
    char *metrics;                /* JSON object text, set by setup, or NULL (owned) */
    const struct gr_bench_ops *ops;
    struct gr_suite *suite;       /* the suite it belongs to (graphs) */
    /* definition */
    int mode;                     /* a gr_bench_mode, or -1 */
    const char *algo;             /* library algorithm, or NULL (static) */
    char *source;                 /* program text for loops/dispatch (owned), or NULL */
    const char *file;             /* --program path (borrowed from argv), or NULL */
    char *graph;                  /* graph spec text (owned), or NULL */
    int what;                     /* group-specific selector (op, phase) */
    double per;                   /* operations per run: a sample is time / inner / per */
    /* state */
    gr_graph *g;                  /* borrowed from the suite's cache */
    gr_program *prog;             /* the program (owned) */
    gr_program *prog2;            /* optimized program (owned) */
    gr_plan *plan;                /* lowered plan (owned) */
    gr_params *ps;                /* parameters (owned) */
    gr_ctx *ctx;                  /* step context (owned) */
    gr_val *v[3];                 /* step operands (owned) */
    gr_val *out;                  /* last step result (owned) */
    gr_result res;                /* last program result (owned) */
    double *f64;                  /* native result (owned) */
    int64_t *i64;                 /* native result (owned) */
    uint64_t scratch;             /* last scalar result bits */
};

/* A built suite. */
struct gr_suite {
    int kind;                     /* gr_suite_kind */
    struct gr_bench *b;           /* benchmarks in run order (owned) */
    size_t n, cap;
    int mode_ok[GR_MODE__COUNT];  /* modes that work on this build */
    unsigned algo_bad[GR_MODE__COUNT]; /* per mode, bit a: library algorithm a
                                          does not run in it (left out) */
    char notes[1024];             /* why benchmarks were left out ("" if none) */
    struct gr_suite_graph {
        char *spec;               /* spec text (owned) */
        gr_graph *g;              /* made on first use (owned) */
    } *graphs;
    size_t ngraphs;
};

/* What a run asks for. */
struct gr_suite_opts {
    int kind;                     /* gr_suite_kind */
    const char *filter;           /* POSIX extended regex on names, or NULL */
    const char *const *graphs;    /* extra --graph specs */
    size_t ngraphs;
    const char *const *programs;  /* --program files */
    size_t nprograms;
};

struct gr_args;                   /* profiler/cli.h */

/* Fill *so from a command's parsed --suite, --filter, --graph and
 * --program options (`grprof run` and `grprof list` take the same ones).
 * so->graphs and so->programs are NULL-terminated arrays allocated here
 * with gr_cli_alloc (out of memory exits) that point into *args, which
 * must outlive *so; free them with gr_suite_opts_free. */
void gr_suite_opts_from_args(struct gr_suite_opts *so, const struct gr_args *args);

/* Free the arrays gr_suite_opts_from_args allocated and NULL them; the
 * rest of *so is left alone.  NULL arrays are fine. */
void gr_suite_opts_free(struct gr_suite_opts *so);

/* Build the suite: every benchmark of opts->kind (plus --graph and
 * --program ones) whose name matches the filter.  Bad input is reported
 * here, before anything runs: a filter that does not compile or matches
 * nothing, a bad graph spec, an unreadable or invalid program
 * (GR_ERR_INVALID / GR_ERR_PARSE / GR_ERR_IO with a message).  *s must be
 * released with gr_suite_release either way. */
int gr_suite_build(struct gr_suite *s, const struct gr_suite_opts *opts,
                   gr_error *err);

/* The graph of spec text `spec`, made on first use and kept. */
int gr_suite_graph(struct gr_suite *s, const char *spec, gr_graph **g,
                   gr_error *err);

/* Free the benchmarks' state and the graphs; *s may be rebuilt. */
void gr_suite_release(struct gr_suite *s);

#endif
