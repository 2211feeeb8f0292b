/*
 * clock.c - monotonic clock and peak-RSS probes for the profiler (see
 * clock.h).
 */
#include "config.h"
#include "profiler/clock.h"

#include <sys/resource.h>
#include <time.h>

uint64_t gr_clock_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double gr_clock_since_ns(uint64_t start)
{
    uint64_t now = gr_clock_ns();
    return now >= start ? (double)(now - start) : 0.0;
}

void gr_clock_warm_threads(void)
{
#ifdef _OPENMP
    volatile int sink = 0;
#pragma omp parallel
    {
        sink = 1; /* an empty region may be optimized away */
    }
    (void)sink;
#endif
}

uint64_t gr_clock_peak_rss(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0) {
        return 0;
    }
#if defined(__APPLE__)
    return (uint64_t)ru.ru_maxrss;          /* bytes on macOS */
#else
    return (uint64_t)ru.ru_maxrss * 1024u;  /* kilobytes on Linux and BSDs */
#endif
}
