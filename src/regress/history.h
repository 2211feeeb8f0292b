/*
 * history.h - grregress's history: a directory of run files (grperf.run/1),
 * by default ".grperf/history", that `record` adds to and `history`,
 * `detect` and `plot` read.
 *
 * Layout: one file per run, named "<started UTC, compact>-<short sha or
 * "nogit">-<content hash>.json", plus a lock file ".lock".  A run already
 * present (same content hash) is a duplicate and is not stored twice.
 * Writers take an exclusive flock(2) on ".lock" and write each file
 * atomically (temporary name, fsync, rename), so concurrent `record`s and
 * a crash at any moment leave only whole, valid run files.  Readers take
 * the lock shared.
 *
 * Order: runs are ordered by commit date (runs outside git use their start
 * time), then by start time, then by file name: the x axis of every trend.
 *
 * Ownership: a gr_history owns its runs and strings; free it with
 * gr_history_free.  A gr_series's points point into the gr_history they
 * came from, which must outlive them; gr_series_free frees the arrays.
 */
#ifndef GR_REGRESS_HISTORY_H
#define GR_REGRESS_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "gr.h"
#include "common/runfile.h"

#define GR_HISTORY_DEFAULT_DIR ".grperf/history"

/* The history directory to use: `opt` when given, else $GRREGRESS_HISTORY
 * when set and non-empty, else GR_HISTORY_DEFAULT_DIR.  Not owned. */
const char *gr_history_dir(const char *opt);

/* One stored run. */
typedef struct gr_history_entry {
    char *file;              /* path of the stored run file (owned) */
    gr_run *run;             /* the run, read and validated (owned) */
} gr_history_entry;

typedef struct gr_history {
    char *dir;               /* the directory (owned) */
    size_t nentries;
    gr_history_entry *entries; /* in history order (see above) */
} gr_history;

/* Read every run file of `dir` (shared lock held while reading).  A
 * directory that does not exist is an empty history (not an error); a
 * stored file that fails validation is GR_ERR_FORMAT naming it.
 * *out is owned by the caller. */
int gr_history_load(const char *dir, gr_history **out, gr_error *err);
void gr_history_free(gr_history **h);

/* Add `run` (read from `src`, for messages) to the history in `dir`,
 * creating the directory (and parents) when missing.  Exclusive lock,
 * atomic write.  *duplicate is set to 1 when an identical run is already
 * stored (nothing is written).  *stored (may be NULL) receives the stored
 * path, owned by the caller. */
int gr_history_add(const char *dir, const gr_run *run, const char *src,
                   int *duplicate, char **stored, gr_error *err);

/* Create directory `dir` and its missing parents (mkdir -p).  GR_ERR_IO
 * naming the part that cannot be created. */
int gr_history_mkdirs(const char *dir, gr_error *err);

/* A run's identity in the history: the 64-bit hash of its canonical JSON
 * (gr_run_to_json).  *canon (may be NULL) receives that text, owned by the
 * caller (gr_free).  GR_ERR_INVALID naming the field for an invalid run. */
int gr_history_run_hash(const gr_run *run, char **canon, uint64_t *hash,
                        gr_error *err);

/* One point of a benchmark's trend: one run that has the benchmark. */
typedef struct gr_series_point {
    const gr_history_entry *entry; /* the run (commit, dates) */
    const gr_run_bench *bench;     /* the benchmark in that run */
    double median;                 /* of the samples (seconds per op) */
    double lo, hi;                 /* 95% CI of the median */
} gr_series_point;

typedef struct gr_series {
    const char *name;              /* the benchmark (points into the history) */
    size_t npoints;
    gr_series_point *points;       /* in history order (owned) */
} gr_series;

/* The trend of benchmark `name` across the history: the runs that have it,
 * in order.  GR_ERR_EMPTY when no run has it. */
int gr_history_series(const gr_history *h, const char *name, gr_series *out,
                      gr_error *err);
void gr_series_free(gr_series *s);

#endif
