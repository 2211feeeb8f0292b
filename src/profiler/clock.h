/*
 * clock.h - the profiler's time and memory probes: a monotonic clock in
 * nanoseconds (CLOCK_MONOTONIC, unaffected by wall-clock changes), the time
 * its threads waited for a CPU (schedstat), and the process's peak
 * resident set size (getrusage).  Every duration grprof
 * reports is measured with these, so all commands time things the same way.
 */
#ifndef GR_PROFILER_CLOCK_H
#define GR_PROFILER_CLOCK_H

#include <stdint.h>

/* Nanoseconds on the monotonic clock since an arbitrary origin; only
 * differences are meaningful.  Never fails on the systems we support
 * (returns 0 if the clock cannot be read). */
uint64_t gr_clock_ns(void);

/* Nanoseconds elapsed since `start` (a gr_clock_ns() value), as a double
 * so it can feed statistics directly. */
double gr_clock_since_ns(uint64_t start);

/* Start the library's worker threads (OpenMP) so that the first timed
 * region does not pay for creating them.  A no-op without OpenMP. */
void gr_clock_warm_threads(void);

/* The time each of the process's threads has spent so far waiting for a
 * CPU while runnable, by thread id: the second field of
 * /proc/self/task/N/schedstat (the scheduler's run_delay).  A neighbour
 * that takes the CPU shows up here, a thread sleeping at a barrier does
 * not.  A snapshot is a plain value (16 KiB: keep it static or on the
 * heap); nothing to free. */
#define GR_RUN_DELAY_MAX 1024    /* threads a snapshot holds */
typedef struct gr_run_delay {
    int64_t tid[GR_RUN_DELAY_MAX];
    int64_t ns[GR_RUN_DELAY_MAX];
    int n;                       /* threads seen; -1: the kernel does not report it */
} gr_run_delay;

/* Take a snapshot into *s (s->n = -1 when the kernel does not say). */
void gr_clock_run_delay(gr_run_delay *s);

/* Nanoseconds the threads waited between snapshots a and b: for each
 * thread of b, what it gained since a (all of its wait when a did not see
 * it: it started meanwhile).  A thread that ended between the two is left
 * out (its wait is gone with it), so the delay never goes backwards, as a
 * difference of sums would.  -1 when either snapshot has no data. */
int64_t gr_clock_run_delay_between(const gr_run_delay *a, const gr_run_delay *b);

/* The process's peak resident set size so far, in bytes (ru_maxrss), or 0
 * when the system does not report it. */
uint64_t gr_clock_peak_rss(void);

#endif
