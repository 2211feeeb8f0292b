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

/* Nanoseconds the process's threads have spent so far waiting for a CPU
 * while runnable: the sum over /proc/self/task/N/schedstat of the second
 * field (the scheduler's run_delay).  A neighbour that takes the CPU shows
 * up here, a thread sleeping at a barrier does not.  -1 when the kernel
 * does not report it. */
int64_t gr_clock_run_delay_ns(void);

/* The process's peak resident set size so far, in bytes (ru_maxrss), or 0
 * when the system does not report it. */
uint64_t gr_clock_peak_rss(void);

#endif
