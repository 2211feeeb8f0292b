/*
 * decide.h - grregress's decision rule: two runs in, one verdict per
 * benchmark out (a result table in memory that format.c prints).
 *
 * The rule, in full (the banner of decide.c says why):
 *
 *  1. Benchmarks are matched by name.  Present only in the current run:
 *     ADDED; only in the baseline: REMOVED; different `version`: VERSION.
 *     None of these is compared.  Equal versions but different checksums:
 *     CHECKSUM, a correctness failure (the build computes something else).
 *     A benchmark listed under the current run's `failures` (its child
 *     crashed, exited non-zero, timed out or reported an error): FAILED,
 *     a failure like CHECKSUM, whether or not the baseline has it.  One
 *     FAILED in the baseline but measured now: NODATA (nothing to compare).
 *  2. Metric `instructions` (deterministic): change = current/baseline - 1;
 *     REGRESSION when the change is worse than +threshold, IMPROVEMENT when
 *     better than -threshold (both on the log scale, so 1/1.05 mirrors
 *     1.05), else UNCHANGED; NODATA when either run lacks the count.
 *  3a. Metric `time`, suite-wide shift: on a shared machine the whole
 *     suite of one run can be slower than another's (neighbours' load came
 *     or went between the runs), which rounds within a run cannot see: in
 *     the stored A/A set (tests/data/aa) whole runs differ by up to 16%.
 *     g = the median over the testable rows of the oriented change (see
 *     below; positive is slower) estimates that shift; with at least
 *     SHIFT_MIN_ROWS testable rows and the shift mode ON, or AUTO and either
 *     run recorded on a busy machine (1-minute load average at its start
 *     above half its online cores), each row is tested and estimated
 *     RELATIVE to g (its current replicates are moved by -g), and the
 *     report says so.  A lone benchmark's regression barely moves a median,
 *     so it stays visible; a change common to most of the suite is reported
 *     as the shift (with a warning when beyond the threshold) and
 *     `--strict` refuses such a comparison (exit 3); `grregress ab`, which
 *     interleaves the two builds on one machine, judges it properly.
 *  3. Metric `time`: the replicates of a run are its ROUNDS: per round, the
 *     log of its minimum clean sample (decide.c says why; a sample is clean
 *     when its contention is at most GR_CONTENDED or was not measured, and
 *     a round without a clean sample is left out).  d = mean(current
 *     log round minima) - mean(baseline ones) estimates log(ratio), with
 *     a moderated t test (pooled within-benchmark variance shrunk toward a
 *     suite-wide prior, Smyth 2004, prior df capped at 2x the own df) giving p and a 95% interval [lo, hi];
 *     p-values are Benjamini-Hochberg adjusted over every tested benchmark
 *     (q).  With e = d oriented so that positive is worse (-d for
 *     direction "higher") and T = log(1 + threshold):
 *       REGRESSION   q < alpha and e > T and the interval's worse-side
 *                    lower bound > T/2;
 *       IMPROVEMENT  q < alpha and e < -T and its upper bound < -T/2;
 *       NOISY        otherwise, when either run has fewer than 3 rounds
 *                    (or fewer than 3 clean ones: "CPU contention"),
 *                    a round's minimum is 0, or hi - lo > 4T;
 *       UNCHANGED    otherwise.
 *  4. Summary: counts per verdict and the geometric mean of
 *     current/baseline over the benchmarks compared (steps 2-3).
 *
 * Ownership: a gr_report's strings point into the two runs, which must
 * outlive it; gr_report_free releases the table.
 */
#ifndef GR_REGRESS_DECIDE_H
#define GR_REGRESS_DECIDE_H

#include <regex.h>
#include <stddef.h>
#include <stdio.h>

#include "common/runfile.h"

/* A benchmark's verdict. */
enum gr_verdict {
    GR_V_UNCHANGED = 0,  /* no change beyond noise or beyond the threshold */
    GR_V_REGRESSION,     /* significantly and relevantly worse */
    GR_V_IMPROVEMENT,    /* significantly and relevantly better */
    GR_V_NOISY,          /* the data cannot decide */
    GR_V_CHECKSUM,       /* result checksum differs: correctness failure */
    GR_V_ADDED,          /* only in the current run (not compared) */
    GR_V_REMOVED,        /* only in the baseline (not compared) */
    GR_V_VERSION,        /* benchmark version changed (not compared) */
    GR_V_NODATA,         /* the metric is missing in a run (not compared) */
    GR_V_FAILED,         /* FAILED in the current run (crash, timeout, error) */
    GR_V_COUNT
};

/* Lower-case name of a verdict ("regression", "checksum-mismatch", ...). */
const char *gr_verdict_name(enum gr_verdict v);

enum gr_metric {
    GR_METRIC_TIME = 0,      /* samples (seconds per operation) */
    GR_METRIC_INSTRUCTIONS   /* counters.instructions (deterministic) */
};

/* Whether the suite-wide shift is removed before the time tests (rule 3a). */
enum gr_shift_mode {
    GR_SHIFT_AUTO = 0,       /* when either run's machine was busy */
    GR_SHIFT_ON,             /* always */
    GR_SHIFT_OFF             /* never: judge absolute changes */
};

/* A per-benchmark threshold: benchmarks whose name matches `re` (POSIX
 * extended, unanchored) use `threshold`; the first matching rule wins. */
struct gr_threshold_rule {
    const char *pattern;     /* the regex as written (for messages) */
    regex_t re;              /* compiled (owned by whoever compiled it) */
    double threshold;        /* fraction: 0.10 for 10% */
};

struct gr_decide_opts {
    double threshold;        /* default threshold, fraction (0.05) */
    double alpha;            /* false-discovery rate (0.01) */
    enum gr_metric metric;
    enum gr_shift_mode shift; /* rule 3a (GR_SHIFT_AUTO) */
    const regex_t *filter;   /* only benchmarks matching it, or NULL */
    const struct gr_threshold_rule *rules; /* nrules entries, or NULL */
    size_t nrules;
};

/* Defaults: threshold 5%, alpha 0.01, time, no filter, no rules. */
void gr_decide_opts_init(struct gr_decide_opts *o);

/* One benchmark's row. */
struct gr_cmp_row {
    const char *name;        /* benchmark name (points into a run) */
    enum gr_verdict verdict;
    const char *reason;      /* static: why NOISY / not compared; FAILED: the
                                current run's failures[].reason; or NULL */
    int lower_is_better;     /* direction */
    double threshold;        /* threshold used (fraction) */
    double base, cur;        /* medians of the metric; NAN when absent */
    double change;           /* estimated current/baseline - 1; NAN if not compared */
    double change_lo, change_hi; /* its 95% interval (time); = change (instructions) */
    double p, q;             /* p-value and BH q-value; NAN when not tested */
    size_t base_rounds, cur_rounds; /* replicates (rounds) per run */
    int64_t base_version, cur_version; /* -1 when absent from that run */
    const char *base_checksum, *cur_checksum; /* NULL when absent */
};

/* The comparison of two runs. */
struct gr_report {
    size_t n;                /* rows */
    struct gr_cmp_row *res;   /* [n]: current-run order, then removed ones */
    size_t count[GR_V_COUNT];/* rows per verdict */
    size_t compared;         /* rows with a change estimate */
    double geomean;          /* geometric mean of cur/base over compared, - 1 */
    int machine_match;       /* machine.hash equal */
    const char *base_hash, *cur_hash;
    const char *base_label, *cur_label; /* what to call the runs (file names) */
    const gr_run_commit *base_commit, *cur_commit; /* the runs' (borrowed) */
    const char *base_finished, *cur_finished;      /* when they ended (borrowed) */
    double alpha;            /* as used */
    double threshold;        /* default threshold as used */
    enum gr_metric metric;
    double prior_df, prior_var; /* the moderated test's suite prior (d0, s0^2) */
    double shift;            /* suite-wide shift cur/base - 1 (time); NAN if none estimated */
    int shift_removed;       /* 1 when the tests were relative to it (rule 3a) */
    const char *shift_why;   /* static: why it was or was not removed */
};

/* A NOISY row's reason when rounds left out for CPU contention are why it
 * could not be tested (the same pointer in every row). */
#define GR_REASON_CONTENDED "fewer than 3 rounds free of neighbours (CPU contention)"

/* Compare cur against base.  Returns GR_OK and fills *out (free it with
 * gr_report_free), or GR_ERR_NOMEM.  Labels may be NULL. */
int gr_decide(const gr_run *base, const gr_run *cur, const char *base_label,
              const char *cur_label, const struct gr_decide_opts *o,
              struct gr_report *out, gr_error *err);

void gr_report_free(struct gr_report *r);

/* 1 when the report holds a regression, a checksum failure or a FAILED
 * benchmark, else 0. */
int gr_report_failed(const struct gr_report *r);

/* Output formats (format.c).  Each writes the whole report on fp;
 * returns 0, or -1 when writing fails. */
enum gr_report_format {
    GR_FMT_TABLE = 0,        /* terminal table */
    GR_FMT_MARKDOWN,         /* PR comment */
    GR_FMT_JSON,             /* machine-readable */
    GR_FMT_JUNIT,            /* JUnit XML: one testcase per benchmark */
    GR_FMT_GITHUB            /* GitHub Actions workflow commands */
};
int gr_report_print(const struct gr_report *r, enum gr_report_format f, FILE *fp);

struct cJSON;

/* Add row x's measured numbers to the JSON object o, as the compare
 * result ("grperf.compare/1") has them and the generic webhook payload
 * repeats them (format.c): baseline, current, change, change_ci ([low,
 * high], or [] when the interval is not finite), p and q (null when not
 * a number).  o takes the new items (cJSON); an item that cannot be
 * allocated is left out (callers check the printed text). */
void gr_report_row_json(struct cJSON *o, const struct gr_cmp_row *x);

#endif
