/*
 * harness.h - how grprof measures: warm-up, calibration of the inner
 * iterations so a sample lasts at least --min-time, and rounds (the whole
 * suite run R times over, each benchmark giving --repeat samples per
 * round), every sample kept raw in run order with its round.  Time is the
 * monotonic clock (clock.h).  Also the callgrind side of --instructions:
 * the child's instrumented pass and reading its per-benchmark totals.
 *
 * Neighbours: each sample's contention -- the time the process's threads
 * spent runnable but waiting for a CPU (schedstat run_delay) over the
 * sample's time -- is measured outside the timed region; a sample slowed
 * that way (above GR_CONTENDED) is taken again, so a busy machine's gaps
 * give clean samples, and every sample is kept with its contention for
 * grregress to judge.  (Two OpenMP threads sharing two cores with a
 * neighbour wait at every barrier for a preempted thread: 100x slower.)
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

/* The test hook's environment variable (see gr_harness_opts.crash). */
#define GR_HARNESS_CRASH_ENV "GRPROF_TEST_CRASH"

/* "off": measure no contention (no retakes; the run file has none).
 * "busy" (tests): every sample reads as contended, so each is taken again
 * as often as the rules allow. */
#define GR_HARNESS_CONTENTION_ENV "GRPROF_CONTENTION"

/* Set in a round process (see gr_harness_opts.argv and gr_harness_worker). */
#define GR_HARNESS_WORKER_ENV "GRPROF_ROUND_WORKER"

struct gr_harness_opts {
    int rounds;                   /* R: the suite is run R times over */
    int repeat;                   /* samples per benchmark per round */
    int warmup;                   /* untimed runs per benchmark per round */
    double min_time;              /* seconds a sample lasts at least */
    int progress;                 /* 1: progress line on stderr */
    volatile sig_atomic_t *stop;  /* raised by the SIGINT handler, or NULL */
    int isolate;                  /* 1: each benchmark's round in a forked child */
    double timeout;               /* isolated: seconds a child may take (0: none) */
    char *const *argv;            /* isolated: this program's command line (argv[0]
                                     its absolute path) to start each round as a
                                     fresh process, or NULL: fork every round from
                                     this one */
    const char *crash;            /* test hook GRPROF_TEST_CRASH, or NULL: isolated
                                     children of matching benchmarks misbehave on
                                     purpose, "[ACTION[@ROUND]:]REGEX", ACTION one
                                     of segv (default), abort, exit, hang, or
                                     killround: the round process (see argv)
                                     kills itself with SIGKILL instead */
};

/* The measurements of one benchmark. */
struct gr_bench_result {
    double *samples;              /* seconds per operation, run order (owned) */
    int64_t *rounds;              /* round of each sample (owned) */
    double *contention;           /* of each sample: the time the process's threads
                                     waited for a CPU over the sample's time, NAN
                                     when not measured (owned); a sample above
                                     GR_CONTENDED is taken again, up to 4 times
                                     (in a child, while the retakes end within
                                     half of --timeout), and the least contended
                                     attempt kept */
    size_t n;                     /* samples taken */
    int64_t inner;                /* operations per sample (calibrated once) */
    uint64_t checksum;            /* of the result */
    int64_t peak_rss;             /* isolated: the children's peak RSS (wait4's
                                     ru_maxrss, max over rounds); in-process: the
                                     process peak after this benchmark */
    double instructions;          /* per operation, NAN when not counted */
    int failed;                   /* FAILED: crashed, timed out or an error */
    int fail_round;               /* 0-based round it failed in (when failed) */
    char error[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64]; /* why */
};

/* Run every benchmark of s as o says, into res[0..s->n) (allocated here:
 * *res, free with gr_harness_results_free).  A benchmark that fails is
 * marked failed (its reason and round kept) and skipped from then on.
 *
 * With o->isolate, the parent loads the benchmark's graph (so children
 * share it copy-on-write) and forks one child per benchmark per round; the
 * child sets the benchmark up, warms it (--warmup runs; in rounds after
 * the first at least one when an operation is shorter than a sample or
 * than 0.25 s: a new process has nothing warm), calibrates (round 0),
 * takes the round's samples and, in the last round, the checksum, and
 * sends them back over a pipe.  A child killed by a signal, exiting non-zero, sending a short
 * result or running past o->timeout (it is killed) fails its benchmark
 * and the run goes on.  The parent itself never starts OpenMP threads
 * (libgomp's pool does not survive fork): it runs on one thread and each
 * child uses the requested count.
 *
 * With o->argv as well, each round runs in a fresh process: this program
 * started again with GR_HARNESS_WORKER_ENV set, which builds the same
 * suite, makes its own graphs and runs the round's children as above,
 * sending their records back over a pipe (gr_harness_worker).  Nothing of
 * one round's process -- where its graphs landed in memory, the
 * allocator's state, the address-space layout -- carries over to the next,
 * so a run's rounds vary as separate runs do and are honest replicates
 * for grregress (forked rounds share all of it: two runs of the same code
 * then differed by up to 15% per benchmark on a loaded machine while their
 * rounds agreed; tests/data/aa/README).  A round process that dies fails
 * the benchmark it was running and another takes over the rest.
 *
 * Returns GR_OK, GR_HARNESS_STOPPED when *o->stop was raised,
 * GR_ERR_INVALID for a bad o->crash hook, GR_ERR_IO when a round process
 * cannot start, or GR_ERR_NOMEM. */
int gr_harness_run(struct gr_suite *s, const struct gr_harness_opts *o,
                   struct gr_bench_result **res, gr_error *err);

/* The round process: `spec` is GR_HARNESS_WORKER_ENV's value, "ROUND FD
 * LIST" -- the round, the pipe to write to and, per benchmark of s, its
 * inner count or "-" to skip it.  Runs that round of the listed
 * benchmarks as isolated children and writes their records to FD.
 * Returns GR_OK, GR_HARNESS_STOPPED, GR_ERR_INVALID for a bad spec or
 * hook, GR_ERR_IO when the parent is gone, or GR_ERR_NOMEM. */
int gr_harness_worker(struct gr_suite *s, const struct gr_harness_opts *o, const char *spec,
                      gr_error *err);

void gr_harness_results_free(struct gr_bench_result **res, size_t n);

/* The callgrind child: run each benchmark once untimed, then once between
 * CALLGRIND_START_INSTRUMENTATION / STOP and dump the counts with
 * CALLGRIND_DUMP_STATS_AT(name).  Only meaningful under valgrind.  It runs
 * in-process (forks would share one --callgrind-out-file); benchmarks
 * named in `skip` (newline-separated names, or NULL: the ones that FAILED
 * in the timed run) are left out so a crashing one cannot take the
 * others' counts down. */
int gr_harness_callgrind_child(struct gr_suite *s, const char *skip, gr_error *err);

/* Read the dumps a callgrind child wrote as `prefix`.N and set each
 * result's instructions (per operation) from the dump named after it.
 * Returns the number of benchmarks given counts. */
size_t gr_harness_callgrind_read(const char *prefix, const struct gr_suite *s,
                                 struct gr_bench_result *res);

#endif
