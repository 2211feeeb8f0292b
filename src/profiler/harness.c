/*
 * harness.c - the timing loop of `grprof run` (see harness.h).
 *
 * Round 0 sets each benchmark up, warms it and calibrates its inner
 * iteration count; the count then stays fixed for every round so all of a
 * benchmark's samples measure the same thing.  Benchmarks stay set up
 * (graphs, plans, contexts) until the last round, so rounds measure the
 * operations, not their set-up.
 *
 * Isolation (the default of `grprof run`; --no-isolate keeps the
 * in-process loop above): every benchmark's round runs in a forked child,
 * as harnesses that survive their benchmarks do (Google Benchmark's
 * death tests, hyperfine's one process per run).  The timed region is the
 * same loop (timed()) inside the child, so fork, set-up, warm-up and the
 * pipe cost time only outside it.  The child's result travels as one
 * record (struct wire below); anything but a complete record followed by
 * exit status 0 fails the benchmark with the reason in words.
 */
#include "config.h"
#include "profiler/harness.h"
#include "profiler/clock.h"
#include "profiler/cli.h"
#include "common/error.h"
#include "common/mem.h"
#include "common/runfile.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND_H 1
#endif
#endif

#define MAX_INNER 100000000   /* never calibrate beyond this */
#define SAMPLE_TRIES 4        /* attempts at an uncontended sample */
#define WARM_SHORT_S 0.25     /* operations shorter than this (seconds, round 0's fastest
                                 sample) get an untimed run in every round's child */
#define WIRE_MAGIC 0x67727031u /* "grp1": a child's result record */

/* In a round process: the pipe to grprof (children close it). */
static int upstream_fd = -1;

static int stopped(const struct gr_harness_opts *o)
{
    return o->stop && *o->stop;
}

/* In a child just forked (or about to exec): die with the parent, so
 * nothing runs on when the process that would reap it and enforce its
 * timeout is gone (killed by the OOM killer, say). */
static void die_with_parent(pid_t parent)
{
#if defined(__linux__)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent) {
        _exit(9);   /* it died before the line above */
    }
}

static void fail(struct gr_bench *b, struct gr_bench_result *r, const gr_error *err)
{
    char msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 8];
    r->failed = 1;
    snprintf(r->error, sizeof r->error, "%s", gr_error_format(err, msg, sizeof msg));
    if (!b) {
        return;
    }
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

/* One sample: `inner` operations timed into *ns, and *cont, the time the
 * process's threads waited for a CPU meanwhile over the sample's time
 * (NAN when the kernel does not say), rounded to 1e-4.  The probes are
 * outside the timed region. */
static int sample(struct gr_bench *b, int64_t inner, double *ns, double *cont,
                  gr_error *err)
{
    static int off = -1, busy;
    static gr_run_delay d0, d1;  /* one sample at a time, in this process */
    int64_t d = -1;
    int st;
    if (off < 0) {
        const char *v = getenv(GR_HARNESS_CONTENTION_ENV);
        off = v && strcmp(v, "off") == 0;
        busy = v && strcmp(v, "busy") == 0;
    }
    if (!off) {
        gr_clock_run_delay(&d0);
    }
    *ns = 0;
    st = timed(b, inner, ns, err);
    if (!off) {
        gr_clock_run_delay(&d1);
        d = gr_clock_run_delay_between(&d0, &d1);
    }
    *cont = d < 0 || !(*ns > 0) ? NAN : round((double)d / *ns * 1e4) / 1e4;
    if (busy) {
        *cont = 1.0; /* the test value: as if a neighbour took the CPU every time */
    }
    return st;
}

/* A sample taken again, up to SAMPLE_TRIES times, while neighbours took
 * the CPU during it (contention above GR_CONTENDED): the least contended
 * attempt is kept, as seconds per operation in *x with its contention.
 * An attempt again starts only when one more like the last would end
 * before `until` (gr_clock_ns; 0: no limit), so that retakes on a busy
 * machine cannot push a round past --timeout: its benchmark would be
 * FAILED for the neighbours' doing. */
static int clean_sample(struct gr_bench *b, int64_t inner, uint64_t until, double *x,
                        double *cont, gr_error *err)
{
    double ns, c;
    uint64_t last = 0;
    int k, st;
    *cont = NAN;
    for (k = 0; k < SAMPLE_TRIES; k++) {
        const uint64_t t0 = gr_clock_ns();
        if (k > 0 && until && t0 + last >= until) {
            break; /* keep the least contended attempt so far */
        }
        if ((st = sample(b, inner, &ns, &c, err)) < 0) {
            return st;
        }
        last = gr_clock_ns() - t0;
        if (k == 0 || c < *cont) {
            *x = ns / 1e9 / (double)inner / (b->per > 0 ? b->per : 1);
            *cont = c;
        }
        if (!(c > GR_CONTENDED)) {
            break;   /* clean, or not measurable: retrying cannot help */
        }
    }
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

/* The in-process loop (--no-isolate): one process, benchmarks set up in
 * round 0 and kept until the last round. */
static int run_inprocess(struct gr_suite *s, const struct gr_harness_opts *o,
                         struct gr_bench_result *res)
{
    size_t i, total = s->n * (size_t)o->rounds, step = 0;
    int round, k, st, tty = isatty(STDERR_FILENO);
    uint64_t start = gr_clock_ns();
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
            double x;
            if (stopped(o)) {
                goto stop;
            }
            if (r->failed) {
                continue;
            }
            progress(o, tty, step, total, b->name, start);
            gr_error_clear(&e);
            r->fail_round = round;
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
                if (clean_sample(b, r->inner, 0, &x, &r->contention[r->n], &e) == GR_OK) {
                    r->samples[r->n] = x;
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

/* ---- isolation ---------------------------------------------------------------- */

/* The test hook, parsed: what a matching benchmark's child does. */
enum crash_action { CRASH_SEGV, CRASH_ABORT, CRASH_EXIT, CRASH_HANG, CRASH_KILLROUND };

struct crash_hook {
    int on;                       /* a hook is set */
    enum crash_action action;
    int round;                    /* in this round only, or -1: every round */
    regex_t re;                   /* benchmark names it applies to */
};

/* Parse "[ACTION[@ROUND]:]REGEX" (GRPROF_TEST_CRASH). */
static int crash_parse(const char *spec, struct crash_hook *h, gr_error *err)
{
    static const char *const names[] = {"segv", "abort", "exit", "hang", "killround"};
    const char *re = spec;
    char why[256];
    size_t a;
    int rc;
    memset(h, 0, sizeof *h);
    h->round = -1;
    h->action = CRASH_SEGV;
    for (a = 0; a < sizeof names / sizeof names[0]; a++) {
        size_t len = strlen(names[a]);
        if (strncmp(spec, names[a], len) == 0 && (spec[len] == ':' || spec[len] == '@')) {
            h->action = (enum crash_action)a;
            re = spec + len;
            if (*re == '@') {
                char *end;
                long r = strtol(re + 1, &end, 10);
                if (end == re + 1 || *end != ':' || r < 0 || r > 1000000) {
                    return gr_err(err, GR_ERR_INVALID, GR_HARNESS_CRASH_ENV
                                  " '%s': expected ACTION@ROUND:REGEX", spec);
                }
                h->round = (int)r;
                re = end;
            }
            re++;
            break;
        }
    }
    if ((rc = regcomp(&h->re, re, REG_EXTENDED | REG_NOSUB)) != 0) {
        regerror(rc, &h->re, why, sizeof why);
        return gr_err(err, GR_ERR_INVALID, GR_HARNESS_CRASH_ENV " '%s': bad regex: %s",
                      spec, why);
    }
    h->on = 1;
    return GR_OK;
}

/* Misbehave as the hook says, if it names b in this round: in the child
 * (round_process 0) every action but killround, which the round process
 * does to itself (round_process 1) before it makes b's graph, as the OOM
 * killer would.  Default dispositions first, so a sanitizer's handler
 * cannot turn the signal into an ordinary exit. */
static void crash_maybe(const struct crash_hook *h, const struct gr_bench *b, int round,
                        int round_process)
{
    if (!h->on || (h->round >= 0 && h->round != round) ||
        (h->action == CRASH_KILLROUND) != round_process ||
        regexec(&h->re, b->name, 0, NULL, 0) != 0) {
        return;
    }
    switch (h->action) {
    case CRASH_KILLROUND:
        raise(SIGKILL);
        break;
    case CRASH_SEGV:
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        break;
    case CRASH_ABORT:
        signal(SIGABRT, SIG_DFL);
        abort();
    case CRASH_EXIT:
        _exit(3);
    case CRASH_HANG:
        for (;;) {
            pause();
        }
    }
    _exit(4);
}

/* A child's result: this header, then nsamples doubles (seconds per
 * operation), nsamples doubles (their contention, NAN: not measured),
 * metrics_len bytes of metrics JSON, error_len bytes of error text.  Parent and child are the same binary, so the layout is
 * shared. */
struct wire {
    uint32_t magic;               /* WIRE_MAGIC */
    int32_t status;               /* GR_OK, or the error's negative code */
    int64_t inner;                /* calibrated (round 0) or as given */
    uint64_t checksum;            /* valid when have_checksum */
    uint32_t have_checksum;
    uint32_t nsamples;
    uint32_t metrics_len;
    uint32_t error_len;
    int32_t stopped;              /* the stop flag was raised */
    int32_t pad;
    double per;                   /* b->per as setup set it (0: unset) */
};
/* (after the samples come as many doubles of their contention) */

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The child: one round of one benchmark, the result on fd, then _exit. */
static void child_round(struct gr_bench *b, const struct gr_harness_opts *o, int round,
                        int64_t inner, int short_run, int threads, const struct crash_hook *hook,
                        int fd)
{
    struct wire w;
    double *smp = gr_calloc(2 * (size_t)o->repeat, sizeof *smp), *cnt = NULL;
    char msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 8];
    gr_error e;
    /* A new process has nothing warm.  Round 0's calibration warms; later
     * rounds get at least one untimed run when an operation is shorter
     * than a sample (inner > 1), which costs less than --min-time, or
     * shorter than WARM_SHORT_S (short_run): a cold start (its buffers'
     * first page faults) was 10-30% of a 15-25 ms BFS on R-MAT scale 20,
     * so a benchmark calibrated to one operation per sample was measured
     * cold beside one calibrated to two, measured warm.  A longer
     * operation's cold start is small beside it, and its extra run would
     * cost a whole sample (the default suite's big graphs). */
    int k, warm = o->warmup > 0 || round == 0 || (inner <= 1 && !short_run) ? o->warmup : 1;
    /* retakes end within half the timeout, which leaves the other half
     * to the first take of each sample */
    const uint64_t until = o->timeout > 0 ? gr_clock_ns() + (uint64_t)(o->timeout * 0.5e9) : 0;
    memset(&w, 0, sizeof w);
    w.magic = WIRE_MAGIC;
    w.inner = inner;
    gr_error_clear(&e);
    msg[0] = '\0';
    gr_set_threads(threads);
    gr_clock_warm_threads();
    if (smp) {
        cnt = smp + o->repeat;   /* the samples' contention */
    }
    if (!smp) {
        gr_err(&e, GR_ERR_NOMEM, "out of memory");
    } else if (b->ops->setup) {
        b->ops->setup(b, &e);
    }
    if (e.code == GR_OK) {
        crash_maybe(hook, b, round, 0);
    }
    for (k = 0; e.code == GR_OK && k < warm; k++) {
        b->ops->run(b, &e);
    }
    if (e.code == GR_OK && round == 0) {
        calibrate(b, o->min_time, &w.inner, &e);
    }
    for (k = 0; e.code == GR_OK && k < o->repeat && !stopped(o); k++) {
        if (clean_sample(b, w.inner, until, &smp[w.nsamples], &cnt[w.nsamples], &e) ==
            GR_OK) {
            w.nsamples++;
        }
    }
    if (e.code == GR_OK && round == o->rounds - 1 && !stopped(o)) {
        if (b->ops->finish(b, &w.checksum, &e) == GR_OK) {
            w.have_checksum = 1;
        } else {
            /* as the in-process loop words it */
            snprintf(msg, sizeof msg, "checksum: %s", e.msg);
        }
    }
    if (e.code != GR_OK) {
        w.status = e.code;
        if (!msg[0]) {
            gr_error_format(&e, msg, sizeof msg);
        }
        w.error_len = (uint32_t)strlen(msg);
        w.nsamples = 0;
    }
    w.stopped = stopped(o) != 0;
    w.per = b->per;
    w.metrics_len = b->metrics && e.code == GR_OK ? (uint32_t)strlen(b->metrics) : 0;
    if (write_all(fd, &w, sizeof w) < 0 ||
        (w.nsamples && write_all(fd, smp, w.nsamples * sizeof *smp) < 0) ||
        (w.nsamples && write_all(fd, cnt, w.nsamples * sizeof *cnt) < 0) ||
        (w.metrics_len && write_all(fd, b->metrics, w.metrics_len) < 0) ||
        (w.error_len && write_all(fd, msg, w.error_len) < 0)) {
        _exit(5);
    }
    _exit(0);
}

/* "SIGSEGV" for the usual signals, else "signal N". */
static const char *sig_name(int sig, char *buf, size_t n)
{
    static const struct { int sig; const char *name; } t[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},
        {SIGFPE, "SIGFPE"}, {SIGILL, "SIGILL"}, {SIGKILL, "SIGKILL"},
        {SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"}, {SIGTRAP, "SIGTRAP"},
        {SIGSYS, "SIGSYS"}, {SIGXCPU, "SIGXCPU"}, {SIGPIPE, "SIGPIPE"}};
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].sig == sig) {
            return t[i].name;
        }
    }
    snprintf(buf, n, "signal %d", sig);
    return buf;
}

/* Wait until fd has input (or EOF), the deadline (0: none) passes or the
 * stop flag is raised.  Returns 0 readable, 1 timed out, 2 stopped, -1
 * on a poll error. */
static int wait_input(int fd, const struct gr_harness_opts *o, uint64_t deadline)
{
    for (;;) {
        struct pollfd pfd;
        int wait_ms = 200, pr;   /* look at the stop flag now and then */
        if (stopped(o)) {
            return 2;
        }
        if (deadline) {
            uint64_t now = gr_clock_ns();
            if (now >= deadline) {
                return 1;
            }
            if ((deadline - now) / 1000000u < 200) {
                wait_ms = (int)((deadline - now) / 1000000u) + 1;
            }
        }
        pfd.fd = fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        pr = poll(&pfd, 1, wait_ms);
        if (pr < 0 && errno != EINTR) {
            return -1;
        }
        if (pr > 0) {
            return 0;
        }
    }
}

/* Wait for input on fd (wait_input) and read at most n bytes of it into
 * buf.  Returns 0 with *got > 0 bytes read, 3 at EOF, or wait_input's 1
 * (timed out), 2 (stopped) or -1, also on a read error. */
static int read_some(int fd, const struct gr_harness_opts *o, uint64_t deadline, void *buf,
                     size_t n, size_t *got)
{
    for (;;) {
        ssize_t r;
        int w = wait_input(fd, o, deadline);
        if (w != 0) {
            return w;
        }
        r = read(fd, buf, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return r < 0 ? -1 : 3;
        }
        *got = (size_t)r;
        return 0;
    }
}

/* Read everything the child sends until EOF, the deadline (0: none) or
 * the stop flag.  Returns 0 at EOF, 1 timed out, 2 stopped, -1 out of
 * memory or a read error; *buf (allocated) and *len hold what came. */
static int read_child(int fd, const struct gr_harness_opts *o, uint64_t deadline,
                      char **buf, size_t *len)
{
    size_t cap = 0;
    *buf = NULL;
    *len = 0;
    for (;;) {
        size_t got = 0;
        int st;
        if (*len == cap) {
            size_t ncap = cap ? 2 * cap : 4096;
            char *nb = gr_realloc(*buf, ncap);
            if (!nb) {
                return -1;
            }
            *buf = nb;
            cap = ncap;
        }
        st = read_some(fd, o, deadline, *buf + *len, cap - *len, &got);
        if (st != 0) {
            return st == 3 ? 0 : st;
        }
        *len += got;
    }
}

/* Take a complete record into r (samples appended with their round).
 * Returns 1 taken, 0 when the record is short or malformed. */
static int take_record(struct gr_bench *b, struct gr_bench_result *r, int round,
                       const struct gr_harness_opts *o, const char *buf, size_t len,
                       int *stop_seen)
{
    struct wire w;
    size_t need, k, sbytes;
    if (len < sizeof w) {
        return 0;
    }
    memcpy(&w, buf, sizeof w);
    sbytes = 2 * (size_t)w.nsamples * sizeof(double); /* samples, then contentions */
    need = sizeof w + sbytes + w.metrics_len + w.error_len;
    if (w.magic != WIRE_MAGIC || len != need || w.nsamples > (uint32_t)o->repeat ||
        w.inner < 1) {
        return 0;
    }
    *stop_seen = w.stopped != 0;
    buf += sizeof w;
    if (w.status < 0) {
        /* the benchmark's own error, on one line, with the round */
        const char *m = buf + sbytes + w.metrics_len;
        int mlen = (int)(w.error_len < 1024 ? w.error_len : 1024);
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "%.*s (in round %d)", mlen, m, round);
        for (k = 0; r->error[k]; k++) {
            if ((unsigned char)r->error[k] < 0x20) {
                r->error[k] = ' ';
            }
        }
        return 1;
    }
    for (k = 0; k < w.nsamples; k++) {
        memcpy(&r->samples[r->n], buf + k * sizeof(double), sizeof(double));
        memcpy(&r->contention[r->n], buf + (w.nsamples + k) * sizeof(double), sizeof(double));
        r->rounds[r->n] = round;
        r->n++;
    }
    buf += sbytes;
    r->inner = w.inner;
    if (w.per > 0) {
        /* setup ran in the child: the parent needs the per-op divisor for
         * the callgrind counts it reads later */
        b->per = w.per;
    }
    if (w.have_checksum) {
        r->checksum = w.checksum;
    }
    if (w.metrics_len && !b->metrics) {
        b->metrics = gr_malloc((size_t)w.metrics_len + 1);
        if (b->metrics) {
            memcpy(b->metrics, buf, w.metrics_len);
            b->metrics[w.metrics_len] = '\0';
        }
    }
    return 1;
}

/* One benchmark's round in a child.  Returns 0, or 2 when stopped. */
static int isolated_round(struct gr_suite *s, struct gr_bench *b, struct gr_bench_result *r,
                          int round, int short_run, const struct gr_harness_opts *o, int threads,
                          const struct crash_hook *hook, char **raw, size_t *rawlen)
{
    int fds[2], status = 0, rd, stop_seen = 0;
    char *buf = NULL, sb[32];
    size_t len = 0;
    struct rusage ru;
    pid_t pid, parent;
    gr_error e;
    gr_error_clear(&e);
    r->fail_round = round;
    if (b->graph) {
        /* loaded here, before the fork: shared copy-on-write, made once */
        gr_graph *g = NULL;
        if (gr_suite_graph(s, b->graph, &g, &e) < 0) {
            fail(NULL, r, &e);
            return 0;
        }
    }
    if (pipe(fds) != 0) {
        gr_err(&e, GR_ERR_IO, "pipe: %s", strerror(errno));
        fail(NULL, r, &e);
        return 0;
    }
    fflush(stdout);
    fflush(stderr);
    parent = getpid();
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (upstream_fd >= 0) {
            close(upstream_fd);   /* else grprof's EOF would wait for us too */
            die_with_parent(parent);
        }
        child_round(b, o, round, r->inner, short_run, threads, hook, fds[1]);
        _exit(6); /* not reached */
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        gr_err(&e, GR_ERR_IO, "fork: %s", strerror(errno));
        fail(NULL, r, &e);
        return 0;
    }
    rd = read_child(fds[0], o,
                    o->timeout > 0 ? gr_clock_ns() + (uint64_t)(o->timeout * 1e9) : 0,
                    &buf, &len);
    close(fds[0]);
    if (rd != 0) {
        kill(pid, SIGKILL);   /* timed out, stopped or unreadable */
    }
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    if (ru.ru_maxrss > 0 && (int64_t)ru.ru_maxrss * 1024 > r->peak_rss) {
        r->peak_rss = (int64_t)ru.ru_maxrss * 1024;   /* kilobytes on Linux */
    }
    if (rd == 2) {
        gr_free(buf);
        return 2;
    }
    if (rd == 1) {
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "timed out after %g s in round %d (killed)",
                 o->timeout, round);
    } else if (rd < 0) {
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "cannot read the child's result in round %d",
                 round);
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "killed by %s in round %d%s",
                 sig_name(sig, sb, sizeof sb), round,
                 sig == SIGKILL ? " (out of memory? the OOM killer sends SIGKILL)" : "");
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "exited with status %d in round %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, round);
    } else if (!take_record(b, r, round, o, buf, len, &stop_seen)) {
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "sent an incomplete result in round %d", round);
    } else if (raw) {
        *raw = buf;          /* the round process forwards the record as it came */
        *rawlen = len;
        buf = NULL;
    }
    gr_free(buf);
    return stop_seen || stopped(o) ? 2 : 0;
}

/* Whether r's operation is short enough to warm in every round
 * (WARM_SHORT_S), from the samples taken so far. */
static int short_op(const struct gr_bench_result *r)
{
    double best = INFINITY;
    size_t k;
    for (k = 0; k < r->n; k++) {
        best = r->samples[k] < best ? r->samples[k] : best;
    }
    return best < WARM_SHORT_S;
}

/* The isolated loop: rounds of forked children (see isolated_round). */
static int run_isolated(struct gr_suite *s, const struct gr_harness_opts *o,
                        const struct crash_hook *hook, struct gr_bench_result *res)
{
    size_t i, total = s->n * (size_t)o->rounds, step = 0;
    int round, tty = isatty(STDERR_FILENO), threads = gr_threads(), rc = GR_OK;
    uint64_t start = gr_clock_ns();
    gr_set_threads(1);   /* no OpenMP team in the parent: children could not use it */
    for (round = 0; round < o->rounds && rc == GR_OK; round++) {
        if (o->progress && !tty) {
            fprintf(stderr, "grprof run: round %d of %d, %zu benchmarks, %.0fs elapsed\n",
                    round + 1, o->rounds, s->n, gr_clock_since_ns(start) / 1e9);
        }
        for (i = 0; i < s->n && rc == GR_OK; i++, step++) {
            if (stopped(o)) {
                rc = GR_HARNESS_STOPPED;
                break;
            }
            if (res[i].failed) {
                continue;
            }
            progress(o, tty, step, total, s->b[i].name, start);
            if (isolated_round(s, &s->b[i], &res[i], round, short_op(&res[i]), o, threads, hook,
                               NULL, NULL) == 2) {
                rc = GR_HARNESS_STOPPED;
            }
        }
    }
    gr_set_threads(threads);
    if (o->progress && tty) {
        fprintf(stderr, "\r\033[K");
    }
    return rc;
}

/* ---- rounds in fresh processes ------------------------------------------------ */

/* What a round process sends its parent for each benchmark: a START record
 * when the benchmark begins (the parent shows progress, and knows whom to
 * blame if the round process itself dies), then a DONE record followed by
 * `len` bytes: the child's result record as it came (struct wire), or,
 * when failed, the reason in words. */
#define ROUND_MAGIC 0x67727731u   /* "grw1" */
enum { ROUND_START = 1, ROUND_DONE = 2 };

struct round_rec {
    uint32_t magic;               /* ROUND_MAGIC */
    uint32_t kind;                /* ROUND_START or ROUND_DONE */
    uint32_t idx;                 /* the benchmark's index in the suite */
    uint32_t failed;              /* DONE: the payload is the failure reason */
    int64_t peak_rss;             /* DONE: the benchmark child's peak RSS */
    uint64_t len;                 /* DONE: payload bytes */
};

/* In the round process: one round of the benchmarks the parent listed,
 * each in a forked child as run_isolated does.  spec is the worker
 * variable's value, "ROUND FD LIST": LIST has one entry per benchmark of
 * the suite, its inner count (any positive count in round 0, which
 * calibrates) followed by "w" when its operation is short (short_op), or
 * "-" to skip it. */
int gr_harness_worker(struct gr_suite *s, const struct gr_harness_opts *o, const char *spec,
                      gr_error *err)
{
    struct gr_bench_result r;
    struct crash_hook hook;
    const char *p = spec;
    char *end;
    long round, fd;
    size_t i;
    int64_t *inner = gr_calloc(s->n ? s->n : 1, sizeof *inner);
    unsigned char *shortop = gr_calloc(s->n ? s->n : 1, 1);
    int threads = gr_threads(), rc = GR_OK;
    memset(&hook, 0, sizeof hook);
    memset(&r, 0, sizeof r);
    if (!inner || !shortop) {
        gr_free(inner);
        gr_free(shortop);
        return gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    round = strtol(p, &end, 10);
    fd = end > p ? strtol(end, &end, 10) : -1;
    for (i = 0; i < s->n && round >= 0 && round < o->rounds && fd > 2; i++) {
        p = end + (*end == ' ' || *end == ',');
        if (*p == '-') {
            end = (char *)p + 1;
            continue;
        }
        inner[i] = strtoll(p, &end, 10);
        if (end == p || inner[i] < 1) {
            break;
        }
        if (*end == 'w') {
            shortop[i] = 1;
            end++;
        }
    }
    if (i < s->n || *end != '\0' || round < 0 || round >= o->rounds || fd <= 2) {
        gr_free(inner);
        gr_free(shortop);
        return gr_err(err, GR_ERR_INVALID, GR_HARNESS_WORKER_ENV
                      ": expected ROUND FD and %zu inner counts", s->n);
    }
    if (o->crash && o->crash[0] && (rc = crash_parse(o->crash, &hook, err)) < 0) {
        gr_free(inner);
        gr_free(shortop);
        return rc;
    }
    upstream_fd = (int)fd;
    r.samples = gr_calloc((size_t)o->repeat, sizeof *r.samples);
    r.rounds = gr_calloc((size_t)o->repeat, sizeof *r.rounds);
    r.contention = gr_calloc((size_t)o->repeat, sizeof *r.contention);
    if (!r.samples || !r.rounds || !r.contention) {
        rc = gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    gr_set_threads(1);   /* as run_isolated: no OpenMP team before the forks */
    for (i = 0; i < s->n && rc == GR_OK; i++) {
        struct round_rec h;
        char *raw = NULL;
        size_t rawlen = 0;
        int st;
        if (!inner[i]) {
            continue;
        }
        if (stopped(o)) {
            rc = GR_HARNESS_STOPPED;
            break;
        }
        memset(&h, 0, sizeof h);
        h.magic = ROUND_MAGIC;
        h.kind = ROUND_START;
        h.idx = (uint32_t)i;
        if (write_all((int)fd, &h, sizeof h) < 0) {
            rc = gr_err(err, GR_ERR_IO, "round process: cannot write to the parent");
            break;
        }
        r.n = 0;
        r.failed = 0;
        r.peak_rss = 0;
        r.error[0] = '\0';
        r.inner = inner[i];
        crash_maybe(&hook, &s->b[i], (int)round, 1);
        st = isolated_round(s, &s->b[i], &r, (int)round, shortop[i], o, threads, &hook, &raw,
                            &rawlen);
        if (st == 2) {
            gr_free(raw);
            rc = GR_HARNESS_STOPPED;
            break;
        }
        h.kind = ROUND_DONE;
        h.failed = r.failed != 0 || !raw;
        h.peak_rss = r.peak_rss;
        if (h.failed && !r.error[0]) {
            snprintf(r.error, sizeof r.error, "no result in round %ld", round);
        }
        h.len = h.failed ? strlen(r.error) : rawlen;
        if (write_all((int)fd, &h, sizeof h) < 0 ||
            write_all((int)fd, h.failed ? (const void *)r.error : raw, (size_t)h.len) < 0) {
            rc = gr_err(err, GR_ERR_IO, "round process: cannot write to the parent");
        }
        gr_free(raw);
    }
    gr_set_threads(threads);
    gr_free(r.samples);
    gr_free(r.rounds);
    gr_free(r.contention);
    gr_free(inner);
    gr_free(shortop);
    if (hook.on) {
        regfree(&hook.re);
    }
    return rc;
}

/* Read exactly n bytes.  Returns 0, 1 at EOF (before or within them),
 * 2 when the stop flag was raised, -1 on a read error. */
static int read_exact(int fd, const struct gr_harness_opts *o, void *buf, size_t n)
{
    char *c = buf;
    while (n > 0) {
        size_t got = 0;
        int st = read_some(fd, o, 0, c, n, &got);
        if (st != 0) {
            return st == 3 ? 1 : st;
        }
        c += got;
        n -= got;
    }
    return 0;
}

/* The worker variable for a round process: "ROUND FD LIST" (see
 * gr_harness_worker), with the benchmarks that still need this round.
 * Allocated. */
static char *worker_spec(const struct gr_suite *s, const struct gr_bench_result *res,
                         const unsigned char *done, int round, int fd)
{
    size_t i, o, cap = 32 + 22 * (s->n + 1);
    char *spec = gr_malloc(cap);
    if (!spec) {
        return NULL;
    }
    o = (size_t)snprintf(spec, cap, "%d %d", round, fd);
    for (i = 0; i < s->n; i++) {
        if (res[i].failed || done[i]) {
            o += (size_t)snprintf(spec + o, cap - o, " -");
        } else {
            o += (size_t)snprintf(spec + o, cap - o, " %" PRId64 "%s",
                                  res[i].inner > 0 ? res[i].inner : 1,
                                  short_op(&res[i]) ? "w" : "");
        }
    }
    return spec;
}

/* Start a round process: this program again (o->argv), with the worker
 * variable set.  Returns its pid with *rfd the read end, or -1. */
static pid_t spawn_worker(const struct gr_suite *s, const struct gr_harness_opts *o,
                          const struct gr_bench_result *res, const unsigned char *done,
                          int round, int *rfd, gr_error *err)
{
    int fds[2];
    char *spec;
    pid_t pid, parent;
    if (pipe(fds) != 0) {
        gr_err(err, GR_ERR_IO, "pipe: %s", strerror(errno));
        return -1;
    }
    if (!(spec = worker_spec(s, res, done, round, fds[1]))) {
        close(fds[0]);
        close(fds[1]);
        gr_err(err, GR_ERR_NOMEM, "out of memory");
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    parent = getpid();
    pid = fork();
    if (pid == 0) {
        close(fds[0]);
        die_with_parent(parent);
        setenv(GR_HARNESS_WORKER_ENV, spec, 1);
        if (!freopen("/dev/null", "w", stdout)) {
            _exit(127);
        }
        execv(o->argv[0], o->argv);
        _exit(127);
    }
    gr_free(spec);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        gr_err(err, GR_ERR_IO, "fork: %s", strerror(errno));
        return -1;
    }
    *rfd = fds[0];
    return pid;
}

/* Take one DONE record's payload into res[idx]. */
static void take_done(struct gr_suite *s, struct gr_bench_result *r, size_t idx, int round,
                      const struct gr_harness_opts *o, const struct round_rec *h,
                      const char *payload)
{
    int stop_seen = 0;
    if (h->peak_rss > r->peak_rss) {
        r->peak_rss = h->peak_rss;
    }
    r->fail_round = round;
    if (h->failed) {
        size_t k, n = h->len < sizeof r->error - 1 ? (size_t)h->len : sizeof r->error - 1;
        r->failed = 1;
        memcpy(r->error, payload, n);
        r->error[n] = '\0';
        for (k = 0; k < n; k++) {
            if ((unsigned char)r->error[k] < 0x20) {
                r->error[k] = ' ';
            }
        }
    } else if (!take_record(&s->b[idx], r, round, o, payload, (size_t)h->len, &stop_seen)) {
        r->failed = 1;
        snprintf(r->error, sizeof r->error, "sent an incomplete result in round %d", round);
    }
}

/* One round in round processes: start one, take its records, and when it
 * dies (killed by the OOM killer while making a graph, say) fail the
 * benchmark it was running and start another for the rest.  Returns
 * GR_OK, GR_HARNESS_STOPPED, or an error when a round process fails
 * before its first benchmark (it could not even start: nothing would). */
static int fresh_round(struct gr_suite *s, const struct gr_harness_opts *o,
                       struct gr_bench_result *res, unsigned char *done, int round,
                       size_t *step, size_t total, uint64_t start, gr_error *err)
{
    int tty = isatty(STDERR_FILENO);
    memset(done, 0, s->n);
    for (;;) {
        int rfd = -1, rd = 0, status = 0, any = 0;
        long cur = -1;
        char sb[32];
        pid_t pid;
        size_t i, left = 0;
        for (i = 0; i < s->n; i++) {
            left += !res[i].failed && !done[i];
        }
        if (left == 0) {
            return GR_OK;
        }
        if ((pid = spawn_worker(s, o, res, done, round, &rfd, err)) < 0) {
            return err->code;
        }
        for (;;) {
            struct round_rec h;
            char *payload;
            if ((rd = read_exact(rfd, o, &h, sizeof h)) != 0) {
                break;
            }
            if (h.magic != ROUND_MAGIC || h.idx >= s->n || done[h.idx] ||
                (h.kind == ROUND_DONE && (long)h.idx != cur) ||
                (h.kind != ROUND_START && h.kind != ROUND_DONE) || h.len > (1u << 30)) {
                rd = -1;
                break;
            }
            if (h.kind == ROUND_START) {
                cur = (long)h.idx;
                any = 1;
                progress(o, tty, (*step)++, total, s->b[cur].name, start);
                continue;
            }
            if (!(payload = gr_malloc(h.len ? (size_t)h.len : 1))) {
                rd = -1;
                break;
            }
            if ((rd = read_exact(rfd, o, payload, (size_t)h.len)) != 0) {
                gr_free(payload);
                rd = rd == 1 ? -1 : rd;
                break;
            }
            take_done(s, &res[cur], (size_t)cur, round, o, &h, payload);
            gr_free(payload);
            done[cur] = 1;
            cur = -1;
        }
        close(rfd);
        if (rd == 2) {
            kill(pid, SIGINT);   /* it stops between samples and kills its child */
        } else if (rd != 1) {
            kill(pid, SIGKILL);  /* it sent garbage */
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (rd == 2 || stopped(o) ||
            (WIFEXITED(status) && WEXITSTATUS(status) == 130)) {
            return GR_HARNESS_STOPPED;
        }
        if (rd == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            if (cur < 0) {
                for (i = 0; i < s->n; i++) {
                    if (!res[i].failed && !done[i]) {
                        /* it ended without reaching it: the suites differ */
                        return gr_err(err, GR_ERR_IO, "round %d: the round process skipped %s",
                                      round, s->b[i].name);
                    }
                }
                return GR_OK;
            }
        }
        if (cur < 0) {
            /* dead between benchmarks or before the first: blame no one */
            return gr_err(err, GR_ERR_IO, "round %d: the round process %s%s", round,
                          rd < 0 ? "sent a malformed record" : "failed",
                          any ? " between benchmarks" : " before its first benchmark");
        }
        res[cur].failed = 1;
        res[cur].fail_round = round;
        if (WIFSIGNALED(status)) {
            int sig = WTERMSIG(status);
            snprintf(res[cur].error, sizeof res[cur].error,
                     "its round process was killed by %s in round %d%s",
                     sig_name(sig, sb, sizeof sb), round,
                     sig == SIGKILL ? " (out of memory? the OOM killer sends SIGKILL)" : "");
        } else {
            snprintf(res[cur].error, sizeof res[cur].error,
                     "its round process %s in round %d",
                     rd < 0 ? "sent a malformed record" : "exited early", round);
        }
    }
}

/* Every round in its own process (o->argv): nothing of one round's
 * process -- where its graphs landed in memory, its allocator's state,
 * its address-space layout -- carries over to the next, so rounds vary as
 * runs do and the rounds of one run are honest replicates. */
static int run_fresh(struct gr_suite *s, const struct gr_harness_opts *o,
                     struct gr_bench_result *res, gr_error *err)
{
    size_t total = s->n * (size_t)o->rounds, step = 0;
    int round, tty = isatty(STDERR_FILENO), rc = GR_OK;
    unsigned char *done = gr_calloc(s->n ? s->n : 1, 1);
    uint64_t start = gr_clock_ns();
    if (!done) {
        return gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    for (round = 0; round < o->rounds && rc == GR_OK; round++) {
        if (o->progress && !tty) {
            fprintf(stderr, "grprof run: round %d of %d, %zu benchmarks, %.0fs elapsed\n",
                    round + 1, o->rounds, s->n, gr_clock_since_ns(start) / 1e9);
        }
        rc = fresh_round(s, o, res, done, round, &step, total, start, err);
        step = (size_t)(round + 1) * s->n;   /* FAILED ones count as passed */
    }
    gr_free(done);
    if (o->progress && tty) {
        fprintf(stderr, "\r\033[K");
    }
    return rc;
}

int gr_harness_run(struct gr_suite *s, const struct gr_harness_opts *o,
                   struct gr_bench_result **resp, gr_error *err)
{
    struct gr_bench_result *res;
    struct crash_hook hook;
    size_t i;
    int st;
    memset(&hook, 0, sizeof hook);
    *resp = res = gr_calloc(s->n ? s->n : 1, sizeof *res);
    if (!res) {
        return gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    for (i = 0; i < s->n; i++) {
        size_t cap = (size_t)o->rounds * (size_t)o->repeat;
        res[i].samples = gr_calloc(cap, sizeof *res[i].samples);
        res[i].rounds = gr_calloc(cap, sizeof *res[i].rounds);
        res[i].contention = gr_calloc(cap, sizeof *res[i].contention);
        res[i].instructions = NAN;
        if (!res[i].samples || !res[i].rounds || !res[i].contention) {
            return gr_err(err, GR_ERR_NOMEM, "out of memory");
        }
    }
    if (!o->isolate) {
        return run_inprocess(s, o, res);
    }
    if (o->crash && o->crash[0] && (st = crash_parse(o->crash, &hook, err)) < 0) {
        return st;
    }
    st = o->argv ? run_fresh(s, o, res, err) : run_isolated(s, o, &hook, res);
    if (hook.on) {
        regfree(&hook.re);
    }
    return st;
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
        gr_free((*res)[i].contention);
    }
    gr_free(*res);
    *res = NULL;
}

/* Whether `name` is a line of the newline-separated list `list`. */
static int listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    const char *p = list;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l == len && strncmp(p, name, len) == 0) {
            return 1;
        }
        p = nl ? nl + 1 : NULL;
    }
    return 0;
}

int gr_harness_callgrind_child(struct gr_suite *s, const char *skip, gr_error *err)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        struct gr_bench *b = &s->b[i];
        gr_error e;
        int st;
        if (skip && listed(skip, b->name)) {
            continue;   /* FAILED in the timed run */
        }
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
