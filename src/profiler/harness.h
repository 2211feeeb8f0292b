/*
 * harness.h - how grprof measures: warm-up, calibration of the inner
 * iterations so a sample lasts at least --min-time, and rounds (the whole
 * suite run R times over, each benchmark giving --repeat samples per
 * round), every sample kept raw in run order with its round.  Time is the
 * monotonic clock (clock.h).  Also the callgrind side of --instructions:
 * the child's instrumented pass and reading its per-benchmark totals.
 *
 * Ownership: gr_bench_result arrays are allocated by gr_harness_run and
 * released with gr_harness_results_free.
 */
#ifndef GR_PROFILER_HARNESS_H
#define GR_PROFILER_HARNESS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "profiler/suite.h"

/* gr_harness_run's result when the stop flag was raised (Ctrl-C). */
#define GR_HARNESS_STOPPED 1

struct gr_harness_opts {
    int rounds;                   /* R: the suite is run R times over */
    int repeat;                   /* samples per benchmark per round */
    int warmup;                   /* untimed runs per benchmark per round */
    double min_time;              /* seconds a sample lasts at least */
    int progress;                 /* 1: progress line on stderr */
    volatile sig_atomic_t *stop;  /* raised by the SIGINT handler, or NULL */
};

/* The measurements of one benchmark. */
struct gr_bench_result {
    double *samples;              /* seconds per operation, run order (owned) */
    int64_t *rounds;              /* round of each sample (owned) */
    size_t n;                     /* samples taken */
    int64_t inner;                /* operations per sample (calibrated once) */
    uint64_t checksum;            /* of the result */
    int64_t peak_rss;             /* process peak RSS after this benchmark */
    double instructions;          /* per operation, NAN when not counted */
    int failed;                   /* setup or a run failed: left out */
    char error[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 8]; /* why */
};

/* Run every benchmark of s as o says, into res[0..s->n) (allocated here:
 * *res, free with gr_harness_results_free).  A benchmark that fails is
 * marked failed (its error kept) and skipped from then on.  Returns GR_OK,
 * GR_HARNESS_STOPPED when *o->stop was raised, or GR_ERR_NOMEM. */
int gr_harness_run(struct gr_suite *s, const struct gr_harness_opts *o,
                   struct gr_bench_result **res, gr_error *err);

void gr_harness_results_free(struct gr_bench_result **res, size_t n);

/* The callgrind child: run each benchmark once untimed, then once between
 * CALLGRIND_START_INSTRUMENTATION / STOP and dump the counts with
 * CALLGRIND_DUMP_STATS_AT(name).  Only meaningful under valgrind. */
int gr_harness_callgrind_child(struct gr_suite *s, gr_error *err);

/* Read the dumps a callgrind child wrote as `prefix`.N and set each
 * result's instructions (per operation) from the dump named after it.
 * Returns the number of benchmarks given counts. */
size_t gr_harness_callgrind_read(const char *prefix, const struct gr_suite *s,
                                 struct gr_bench_result *res);

#endif
