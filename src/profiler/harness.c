/*
 * harness.c - the timing loop of `grprof run` (see harness.h).
 *
 * Round 0 sets each benchmark up, warms it and calibrates its inner
 * iteration count; the count then stays fixed for every round so all of a
 * benchmark's samples measure the same thing.  Benchmarks stay set up
 * (graphs, plans, contexts) until the last round, so rounds measure the
 * operations, not their set-up.
 */
#include "config.h"
#include "profiler/harness.h"
#include "profiler/clock.h"
#include "profiler/cli.h"
#include "common/error.h"
#include "common/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND_H 1
#endif
#endif

#define MAX_INNER 100000000   /* never calibrate beyond this */

static int stopped(const struct gr_harness_opts *o)
{
    return o->stop && *o->stop;
}

static void fail(struct gr_bench *b, struct gr_bench_result *r, const gr_error *err)
{
    char msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 8];
    r->failed = 1;
    snprintf(r->error, sizeof r->error, "%s", gr_error_format(err, msg, sizeof msg));
    if (b->ops->teardown) {
        b->ops->teardown(b);
    }
}

/* Time `inner` operations; ns into *ns. */
static int timed(struct gr_bench *b, int64_t inner, double *ns, gr_error *err)
{
    uint64_t t0 = gr_clock_ns();
    int64_t i;
    int st;
    for (i = 0; i < inner; i++) {
        if ((st = b->ops->run(b, err)) < 0) {
            return st;
        }
    }
    *ns = gr_clock_since_ns(t0);
    return GR_OK;
}

/* The smallest power-of-two-ish inner count whose time reaches min_time. */
static int calibrate(struct gr_bench *b, double min_time, int64_t *inner, gr_error *err)
{
    double target = min_time * 1e9, ns = 0;
    int64_t k = 1;
    int st;
    for (;;) {
        if ((st = timed(b, k, &ns, err)) < 0) {
            return st;
        }
        if (ns >= target || k >= MAX_INNER) {
            break;
        }
        if (ns <= 0) {
            k *= 10;
        } else {
            /* aim 20% past the target, grow at most 100x per step */
            double want = ceil((double)k * target * 1.2 / ns);
            int64_t next = want > (double)k * 100 ? k * 100 : (int64_t)want;
            k = next > k ? next : k + 1;
        }
        if (k > MAX_INNER) {
            k = MAX_INNER;
        }
    }
    *inner = k;
    return GR_OK;
}

static void progress(const struct gr_harness_opts *o, int tty, size_t step, size_t total,
                     const char *name, uint64_t start)
{
    double el = gr_clock_since_ns(start) / 1e9;
    double eta = step > 0 ? el / (double)step * (double)(total - step) : 0;
    if (!o->progress || !tty) {
        return;
    }
    fprintf(stderr, "\r\033[K[%zu/%zu] %-48.48s  %5.0fs elapsed, ~%.0fs left", step + 1,
            total, name, el, eta);
    fflush(stderr);
}

int gr_harness_run(struct gr_suite *s, const struct gr_harness_opts *o,
                   struct gr_bench_result **resp, gr_error *err)
{
    struct gr_bench_result *res;
    size_t i, total = s->n * (size_t)o->rounds, step = 0;
    int round, k, st, tty = isatty(STDERR_FILENO);
    uint64_t start = gr_clock_ns();
    *resp = res = gr_calloc(s->n ? s->n : 1, sizeof *res);
    if (!res) {
        return gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    for (i = 0; i < s->n; i++) {
        size_t cap = (size_t)o->rounds * (size_t)o->repeat;
        res[i].samples = gr_calloc(cap, sizeof *res[i].samples);
        res[i].rounds = gr_calloc(cap, sizeof *res[i].rounds);
        res[i].instructions = NAN;
        if (!res[i].samples || !res[i].rounds) {
            return gr_err(err, GR_ERR_NOMEM, "out of memory");
        }
    }
    gr_clock_warm_threads();
    for (round = 0; round < o->rounds; round++) {
        if (o->progress && !tty) {
            fprintf(stderr, "grprof run: round %d of %d, %zu benchmarks, %.0fs elapsed\n",
                    round + 1, o->rounds, s->n, gr_clock_since_ns(start) / 1e9);
        }
        for (i = 0; i < s->n; i++, step++) {
            struct gr_bench *b = &s->b[i];
            struct gr_bench_result *r = &res[i];
            gr_error e;
            double ns;
            if (stopped(o)) {
                goto stop;
            }
            if (r->failed) {
                continue;
            }
            progress(o, tty, step, total, b->name, start);
            gr_error_clear(&e);
            if (round == 0 && b->ops->setup && b->ops->setup(b, &e) < 0) {
                fail(b, r, &e);
                continue;
            }
            for (k = 0; k < o->warmup; k++) {
                if (b->ops->run(b, &e) < 0) {
                    break;
                }
            }
            if (e.code == GR_OK && round == 0) {
                calibrate(b, o->min_time, &r->inner, &e);
            }
            for (k = 0; e.code == GR_OK && k < o->repeat && !stopped(o); k++) {
                if (timed(b, r->inner, &ns, &e) == GR_OK) {
                    r->samples[r->n] = ns / 1e9 / (double)r->inner / (b->per > 0 ? b->per : 1);
                    r->rounds[r->n] = round;
                    r->n++;
                }
            }
            if (e.code != GR_OK) {
                fail(b, r, &e);
                continue;
            }
            if (round == o->rounds - 1) {
                st = b->ops->finish(b, &r->checksum, &e);
                r->peak_rss = (int64_t)gr_clock_peak_rss();
                if (b->ops->teardown) {
                    b->ops->teardown(b);
                }
                if (st < 0) {
                    r->failed = 1;
                    snprintf(r->error, sizeof r->error, "checksum: %s", e.msg);
                }
            }
        }
    }
    if (o->progress && tty) {
        fprintf(stderr, "\r\033[K");
    }
    return GR_OK;
stop:
    if (o->progress && tty) {
        fprintf(stderr, "\r\033[K");
    }
    return GR_HARNESS_STOPPED;
}

void gr_harness_results_free(struct gr_bench_result **res, size_t n)
{
    size_t i;
    if (!res || !*res) {
        return;
    }
    for (i = 0; i < n; i++) {
        gr_free((*res)[i].samples);
        gr_free((*res)[i].rounds);
    }
    gr_free(*res);
    *res = NULL;
}

int gr_harness_callgrind_child(struct gr_suite *s, gr_error *err)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        struct gr_bench *b = &s->b[i];
        gr_error e;
        int st;
        gr_error_clear(&e);
        st = b->ops->setup ? b->ops->setup(b, &e) : GR_OK;
        if (st == GR_OK) {
            st = b->ops->run(b, &e);   /* untimed: caches, lazy state */
        }
        if (st == GR_OK) {
#ifdef HAVE_CALLGRIND_H
            CALLGRIND_START_INSTRUMENTATION;
#endif
            st = b->ops->run(b, &e);
#ifdef HAVE_CALLGRIND_H
            CALLGRIND_STOP_INSTRUMENTATION;
            CALLGRIND_DUMP_STATS_AT(b->name);
#endif
        }
        if (b->ops->teardown) {
            b->ops->teardown(b);
        }
        if (st < 0) {
            char msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 8];
            fprintf(stderr, "grprof run: %s: %s (no instruction count)\n", b->name,
                    gr_error_format(&e, msg, sizeof msg));
        }
    }
    (void)err;
    return GR_OK;
}

/* The benchmark a dump describes ("desc: Trigger: Client Request: NAME"). */
static size_t find_named(const struct gr_suite *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        if (strcmp(s->b[i].name, name) == 0) {
            return i;
        }
    }
    return (size_t)-1;
}

size_t gr_harness_callgrind_read(const char *prefix, const struct gr_suite *s,
                                 struct gr_bench_result *res)
{
    char path[4096], line[4096], name[4096];
    size_t got = 0;
    int part, misses = 0;
    for (part = 1; misses < 3; part++) {
        FILE *f;
        double total = -1;
        snprintf(path, sizeof path, "%s.%d", prefix, part);
        if (!(f = fopen(path, "r"))) {
            misses++;
            continue;
        }
        misses = 0;
        name[0] = '\0';
        while (fgets(line, sizeof line, f)) {
            static const char trig[] = "desc: Trigger: Client Request: ";
            line[strcspn(line, "\r\n")] = '\0';
            if (strncmp(line, trig, sizeof trig - 1) == 0) {
                snprintf(name, sizeof name, "%s", line + sizeof trig - 1);
            } else if (strncmp(line, "totals:", 7) == 0 ||
                       (total < 0 && strncmp(line, "summary:", 8) == 0)) {
                total = strtod(line + (line[0] == 't' ? 7 : 8), NULL);
            }
        }
        fclose(f);
        if (name[0] && total >= 0) {
            size_t i = find_named(s, name);
            if (i != (size_t)-1) {
                res[i].instructions = total / (s->b[i].per > 0 ? s->b[i].per : 1);
                got++;
            }
        }
    }
    return got;
}
