/*
 * clock.c - monotonic clock and peak-RSS probes for the profiler (see
 * clock.h).
 */
#include "config.h"
#include "profiler/clock.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void gr_clock_run_delay(gr_run_delay *s)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    s->n = -1;
    if (!d) {
        return;
    }
    s->n = 0;
    while ((e = readdir(d)) != NULL && s->n < GR_RUN_DELAY_MAX) {
        char path[64], *end;
        unsigned long long run, wait;
        long long tid;
        FILE *f;
        int ok;
        tid = strtoll(e->d_name, &end, 10);
        if (e->d_name[0] == '.' || *end != '\0' || strlen(e->d_name) > 20) {
            continue;
        }
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        if (!(f = fopen(path, "r"))) {
            continue;   /* the thread ended meanwhile */
        }
        ok = fscanf(f, "%llu %llu", &run, &wait) == 2;
        fclose(f);
        if (ok) {
            s->tid[s->n] = tid;
            s->ns[s->n] = (int64_t)wait;
            s->n++;
        }
    }
    closedir(d);
    if (s->n == 0) {
        s->n = -1;   /* no thread reported: the kernel does not say */
    }
}

int64_t gr_clock_run_delay_between(const gr_run_delay *a, const gr_run_delay *b)
{
    int64_t sum = 0;
    int i, j;
    if (a->n < 0 || b->n < 0) {
        return -1;
    }
    for (j = 0; j < b->n; j++) {
        int64_t before = 0;
        for (i = 0; i < a->n; i++) {
            if (a->tid[i] == b->tid[j]) {
                before = a->ns[i];
                break;
            }
        }
        /* a reused thread id whose wait is lower is a new thread */
        sum += b->ns[j] >= before ? b->ns[j] - before : b->ns[j];
    }
    return sum;
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
