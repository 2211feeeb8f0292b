/*
 * runfile.h - the run file (docs/run-schema.md, "grperf.run/1") in memory,
 * and its reading, validation and writing.  grprof builds a gr_run and
 * writes it (runfile_write.c); grregress reads and validates run files
 * (runfile_read.c).  The schema document is the contract; this struct
 * mirrors it field for field.
 *
 * Ownership: a gr_run owns every string and array it points to; free it
 * with gr_run_free.  Strings are NUL-terminated, allocated with gr_malloc.
 */
#ifndef GR_COMMON_RUNFILE_H
#define GR_COMMON_RUNFILE_H

#include <stddef.h>
#include <stdint.h>

#include "gr.h"
#include "common/stats.h"

#define GR_RUN_SCHEMA "grperf.run/1"

/* A sample whose contention (gr_run_bench.contention) exceeds this was
 * slowed by neighbours taking the CPU: grprof retakes it, grregress leaves
 * it out. */
#define GR_CONTENDED 0.05

typedef struct gr_run_commit {
    int available;          /* 0 outside a git checkout */
    char *reason;           /* why not available (NULL when available) */
    char *sha;              /* 40 hex */
    char *short_sha;
    char *branch;
    int dirty;
    char *date;             /* UTC ISO 8601 */
    char *subject;
} gr_run_commit;

typedef struct gr_run_machine {
    char *cpu_model;
    int64_t cores_online;
    int smt;
    char *governor;         /* NULL when the kernel exposes none */
    char *kernel;
    char *arch;
    int64_t mem_total_bytes;
    char *compiler;
    char *cflags;
    int openmp;
    double load_start[3];
    double load_end[3];
    char *hash;             /* 16 hex digits over the stable fields */
} gr_run_machine;

typedef struct gr_run_config {
    char *suite;            /* quick | default | full */
    char *filter;           /* NULL when none */
    int64_t rounds;
    int64_t repeat;
    int64_t warmup;
    double min_time;
    int64_t threads;
    int64_t seed;
    int instructions;
    size_t ngraphs;
    char **graphs;
    size_t nprograms;
    char **programs;
} gr_run_config;

typedef struct gr_run_counter_avail {
    int available;
    char *reason;
} gr_run_counter_avail;

typedef struct gr_run_bench {
    char *name;
    char *group;
    int64_t version;
    char *params_json;      /* the params object, as compact JSON text */
    char *unit;             /* "s" */
    int lower_is_better;    /* direction "lower" -> 1, "higher" -> 0 */
    int64_t inner;
    size_t nsamples;
    double *samples;        /* [nsamples], run order */
    int64_t *rounds;        /* [nsamples] */
    double *contention;     /* [nsamples]: of each sample, the time its process's
                               threads spent waiting for a CPU (schedstat
                               run_delay) over its wall time; NULL when not
                               measured (older runs, no /proc/.../schedstat) */
    gr_stats stats;         /* as written (a reader recomputes and compares) */
    char *checksum;         /* 16 hex */
    int64_t peak_rss_bytes;
    double instructions;    /* counters.instructions per op; NAN when absent */
    char *metrics_json;     /* the metrics object as JSON text, or NULL */
} gr_run_bench;

/* Whether sample k of b counts: not slowed by neighbours (its contention
 * at most GR_CONTENDED, or not measured). */
static inline int gr_sample_clean(const gr_run_bench *b, size_t k)
{
    return !b->contention || !(b->contention[k] > GR_CONTENDED);
}

/* Whether neighbours were busy through most of b: more than half of its
 * samples contended even after grprof's retakes.  Its clean samples are
 * then suspect too (a neighbour on the other core slows memory-bound code
 * by 25% without taking our CPU: tests/data/aa/README), so none counts. */
static inline int gr_bench_busy(const gr_run_bench *b)
{
    size_t k, n = 0;
    for (k = 0; b->contention && k < b->nsamples; k++) {
        n += !gr_sample_clean(b, k);
    }
    return 2 * n > b->nsamples;
}

/* Whether sample k of b counts in a comparison: clean, and b not kept
 * busy by neighbours (busy: gr_bench_busy(b), computed once by the
 * caller).  compare, detect and calibrate all judge samples this way. */
static inline int gr_sample_counts(const gr_run_bench *b, size_t k, int busy)
{
    return !busy && gr_sample_clean(b, k);
}

/* A benchmark that FAILED in the run (crashed, was killed, timed out, or
 * reported an error): it has no samples and is not in `benchmarks`. */
typedef struct gr_run_failure {
    char *name;             /* as it would have appeared in benchmarks[] */
    char *group;
    int64_t version;
    int64_t round;          /* 0-based round in which it failed */
    char *reason;           /* "killed by SIGSEGV in round 2", ... */
} gr_run_failure;

typedef struct gr_run {
    char *tool_name;
    char *tool_version;
    gr_run_commit commit;
    char *started;
    char *finished;
    gr_run_machine machine;
    gr_run_config config;
    gr_run_counter_avail perf;       /* counters.perf_instructions */
    gr_run_counter_avail callgrind;  /* counters.callgrind */
    size_t nbench;
    gr_run_bench *bench;
    size_t nfail;                    /* failures (optional "failures" array; */
    gr_run_failure *fail;            /* absent = none): [nfail], run order */
} gr_run;

/* Read and validate a run file.  Every schema rule is checked; the first
 * violation is reported as "PATH: FIELD: problem" (e.g. "runs/x.json:
 * benchmarks[3].samples[7]: negative sample -1.5"), GR_ERR_FORMAT, or
 * GR_ERR_PARSE for text that is not JSON (with line:col), GR_ERR_IO for an
 * unreadable file.  Files over 256 MiB are refused.  *out is owned by the
 * caller. */
int gr_run_read(const char *path, gr_run **out, gr_error *err);
/* The same for JSON text already in memory (path names it in messages). */
int gr_run_parse(const char *text, size_t len, const char *path, gr_run **out,
                 gr_error *err);
/* Write r as JSON atomically (temporary file + rename).  r is validated
 * first; an invalid run is GR_ERR_INVALID naming the field, and nothing
 * is written. */
int gr_run_write(const gr_run *r, const char *path, gr_error *err);
/* Serialize r as JSON text (allocated; gr_free it). */
int gr_run_to_json(const gr_run *r, char **text, gr_error *err);
void gr_run_free(gr_run **r);

/* Free c's strings and zero it. */
void gr_run_commit_clear(gr_run_commit *c);
/* The benchmark named `name`, or NULL. */
const gr_run_bench *gr_run_find(const gr_run *r, const char *name);
/* The failure entry of the benchmark named `name`, or NULL. */
const gr_run_failure *gr_run_find_failure(const gr_run *r, const char *name);

#endif
