/*
 * cmd_run.c - `grprof run`: build a benchmark suite (suite.c), measure it
 * in rounds (harness.c), stamp the run with its commit and machine
 * (stamp.c), write the run file (docs/run-schema.md) through gr_run_write,
 * print the console report and optionally the Markdown baseline report
 * (report.c).  With --instructions the suite is run once more under
 * valgrind's callgrind (a child grprof, GRPROF_CALLGRIND_CHILD=1) for
 * deterministic per-benchmark instruction counts.
 *
 * Each benchmark's round runs in a forked child (harness.c) unless
 * --no-isolate: a benchmark that crashes, exits non-zero or runs past
 * --timeout is FAILED, listed in the run file's "failures" and in the
 * reports, and the run goes on; the exit status is then 1 (after the run
 * file is written).  The callgrind pass of --instructions stays in one
 * process (see gr_harness_callgrind_child) and skips the FAILED ones.
 *
 * All input (filter, specs, programs, output paths) is checked before any
 * benchmark runs.  Ctrl-C stops between samples and writes nothing.
 */
#include "config.h"
#include "profiler/cli.h"
#include "profiler/clock.h"
#include "profiler/harness.h"
#include "profiler/report.h"
#include "profiler/stamp.h"
#include "profiler/suite.h"
#include "common/atomic_file.h"
#include "common/mem.h"
#include "common/runfile.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_SEED 42              /* every generated graph's seed */
#define CHILD_ENV "GRPROF_CALLGRIND_CHILD"
#define SKIP_ENV "GRPROF_CALLGRIND_SKIP"   /* FAILED names, one per line */
#define DEFAULT_TIMEOUT 300.0             /* seconds per benchmark per round */

/* Per-suite defaults: planned so quick takes < 60 s and default < 10 min
 * on a 2-core machine. */
static const struct run_defaults {
    int rounds, repeat, warmup;
    double min_time;
} suite_defaults[] = {
    {10, 2, 1, 0.01},   /* quick: ~30 s on a quiet 2-core machine; 10 rounds of
                           10 ms samples are what the gate needs to see 10% in
                           3% noise (tests/check_aa.c) */
    {5, 1, 0, 0.05},    /* default: big graphs; round 0's calibration warms */
    {5, 1, 0, 0.1},     /* full */
};

static volatile sig_atomic_t run_stop;

static void on_sigint(int sig)
{
    (void)sig;
    run_stop = 1;
}

static const char *const run_suites[] = {"quick", "default", "full", NULL};

static const struct gr_opt run_opts[] = {
    {.name = "filter", .shortname = 'f', .type = GR_OPT_STRING, .metavar = "REGEX",
     .help = "only benchmarks whose name matches REGEX (POSIX extended)"},
    {.name = "fork-rounds", .type = GR_OPT_FLAG,
     .help = "fork every round from this process, graphs made once (faster set-up; "
             "runs differ more)"},
    {.name = "graph", .shortname = 'g', .type = GR_OPT_STRING, .metavar = "SPEC",
     .flags = GR_OPT_REPEAT, .help = "also run every algorithm on SPEC"},
    {.name = "instructions", .shortname = 'I', .type = GR_OPT_FLAG,
     .help = "count instructions per benchmark under valgrind's callgrind"},
    {.name = "markdown", .shortname = 'M', .type = GR_OPT_STRING, .metavar = "FILE",
     .help = "write the Markdown baseline report to FILE"},
    {.name = "min-time", .type = GR_OPT_FLOAT, .metavar = "S", .min = 0, .max = 60,
     .flags = GR_OPT_MIN | GR_OPT_MAX,
     .help = "seconds a sample lasts at least (quick 0.01, default 0.05, full 0.1)"},
    {.name = "no-isolate", .type = GR_OPT_FLAG,
     .help = "run benchmarks in this process (a crash ends the run)"},
    {.name = "output", .shortname = 'o', .type = GR_OPT_STRING, .metavar = "FILE",
     .help = "run file (default runs/<UTC time>-<short sha>.json)"},
    {.name = "program", .shortname = 'p', .type = GR_OPT_STRING, .metavar = "FILE.grl",
     .flags = GR_OPT_REPEAT, .help = "also benchmark this program"},
    {.name = "quiet", .shortname = 'q', .type = GR_OPT_FLAG,
     .help = "no progress line and no report; print only the run file's path"},
    {.name = "repeat", .shortname = 'n', .type = GR_OPT_INT, .metavar = "N", .min = 1,
     .max = 100000, .flags = GR_OPT_MIN | GR_OPT_MAX,
     .help = "samples per benchmark per round (quick 2, default and full 1)"},
    {.name = "rounds", .shortname = 'r', .type = GR_OPT_INT, .metavar = "R", .min = 1,
     .max = 10000, .flags = GR_OPT_MIN | GR_OPT_MAX,
     .help = "run the whole suite R times over (quick 10, default and full 5)"},
    {.name = "suite", .shortname = 's', .type = GR_OPT_ENUM, .choices = run_suites,
     .def = "default", .help = "which benchmarks"},
    {.name = "threads", .shortname = 't', .type = GR_OPT_INT, .metavar = "N", .min = 1,
     .max = 4096, .flags = GR_OPT_MIN | GR_OPT_MAX,
     .help = "threads the library may use (default: OpenMP's)"},
    {.name = "timeout", .type = GR_OPT_FLOAT, .metavar = "S", .min = 0.001, .max = 1e6,
     .flags = GR_OPT_MIN | GR_OPT_MAX,
     .help = "a benchmark's round may take S seconds, else it is FAILED (300)"},
    {.name = "warmup", .shortname = 'w', .type = GR_OPT_INT, .metavar = "N", .min = 0,
     .max = 100000, .flags = GR_OPT_MIN | GR_OPT_MAX,
     .help = "untimed runs per benchmark per round (quick 1, default and full 0)"},
    {0}
};

static int run_handler(const struct gr_cmd *cmd, const struct gr_args *args);

const struct gr_cmd gr_cmd_run_suite = {
    .name = "run",
    .summary = "Run a benchmark suite; write a run file and print a report",
    .usage = "[--suite quick|default|full] [--filter REGEX] [options]",
    .description =
        "Runs the suite's benchmarks (see 'grprof list') in R rounds: each round\n"
        "runs every benchmark, warms it up, and takes --repeat samples; a sample\n"
        "times enough operations (calibrated once) to last --min-time, and its\n"
        "value is seconds per operation.  Samples are kept raw with their round.\n"
        "\n"
        "The run file (JSON, docs/run-schema.md) records the commit, machine,\n"
        "configuration, every sample, summary statistics, result checksums and\n"
        "peak memory; its path is printed.  The console report groups benchmarks\n"
        "and shows key ratios (colour on a terminal unless NO_COLOR is set).\n"
        "\n"
        "Isolation: each round runs in a fresh process (this program started\n"
        "again), which makes its graphs and runs each benchmark's round in a\n"
        "child forked after its graph is made (shared copy-on-write); timing\n"
        "happens inside the child, peak memory is the child's.  Nothing of one\n"
        "round's process (memory placement, address-space layout) carries over,\n"
        "so rounds vary as whole runs do and grregress can treat them as\n"
        "replicates.  --fork-rounds forks every round from this process instead\n"
        "(graphs made once).  A benchmark whose child is killed by\n"
        "a signal, exits non-zero, reports an error or runs past --timeout is\n"
        "FAILED: it is listed under \"failures\" in the run file and in the\n"
        "reports, and the other benchmarks go on.  --no-isolate runs everything\n"
        "in this process instead.\n"
        "\n"
        "Test hook: GRPROF_TEST_CRASH=[ACTION[@ROUND]:]REGEX makes the isolated\n"
        "children of matching benchmarks misbehave on purpose (ACTION segv,\n"
        "abort, exit or hang; default segv; every round unless @ROUND), or with\n"
        "killround their round process kills itself (SIGKILL) before starting\n"
        "them, to test the handling of failures.  Never set it for real\n"
        "measurements.\n"
        "\n"
        "Exit status: 0 success; 1 some benchmark FAILED (the run file is still\n"
        "written when any benchmark succeeded) or a runtime failure (writing the\n"
        "files); 2 usage or input error (filter matching nothing, bad spec,\n"
        "unreadable program, unwritable output), reported before any benchmark\n"
        "runs; 130 interrupted (no run file is written).\n",
    .args = NULL,
    .opts = run_opts,
    .handler = run_handler,
};

/* ---- helpers ------------------------------------------------------------------ */

static char *dupstr(const char *s)
{
    char *d = gr_strdup(s ? s : "");
    if (!d) {
        fputs(GR_CLI_PROG ": out of memory\n", stderr);
        exit(GR_EXIT_FAIL);
    }
    return d;
}

/* Check that `path` can be written (a temporary file beside it is created
 * and removed). */
static int check_writable(const struct gr_cmd *cmd, const char *path)
{
    struct stat sb;
    gr_afile af;
    gr_error err;
    gr_error_clear(&err);
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        return gr_cli_fail(cmd, GR_EXIT_USAGE, "%s: cannot write: Is a directory", path);
    }
    if (gr_afile_open(&af, path, &err) < 0) {
        return gr_cli_error(cmd, GR_EXIT_USAGE, &err);
    }
    gr_afile_abort(&af);
    return GR_EXIT_OK;
}

static int int_opt(const struct gr_args *args, const char *name, int def)
{
    const struct gr_optval *v = gr_args_get(args, name);
    return v ? (int)v->i : def;
}

/* ---- callgrind -------------------------------------------------------------------- */

/* Our own command line, from /proc/self/cmdline (argv[0] replaced by
 * /proc/self/exe's target).  NULL-terminated, allocated. */
static char **self_argv(char *buf, size_t n, char *exe, size_t en)
{
    FILE *f = fopen("/proc/self/cmdline", "r");
    size_t len, i, argc = 0;
    char **av;
    ssize_t el;
    if (!f) {
        return NULL;
    }
    len = fread(buf, 1, n - 1, f);
    fclose(f);
    buf[len] = '\0';
    el = readlink("/proc/self/exe", exe, en - 1);
    if (el <= 0 || len == 0) {
        return NULL;
    }
    exe[el] = '\0';
    for (i = 0; i < len; i++) {
        argc += buf[i] == '\0';
    }
    if (!(av = gr_calloc(argc + 2, sizeof *av))) {
        return NULL;
    }
    for (i = 0, argc = 0; i < len; i += strlen(buf + i) + 1) {
        av[argc++] = buf + i;
    }
    av[0] = exe;
    return av;
}

/* Run the suite under callgrind and read the per-benchmark counts.
 * Returns 1 with counts set, or 0 with the reason. */
/* The names of the FAILED benchmarks, one per line (allocated; "" when
 * none), for the callgrind child to skip. */
static char *failed_names(const struct gr_suite *s, const struct gr_bench_result *res)
{
    size_t i, len = 1, o = 0;
    char *list;
    for (i = 0; i < s->n; i++) {
        len += res[i].failed ? strlen(s->b[i].name) + 1 : 0;
    }
    if (!(list = gr_malloc(len))) {
        return NULL;
    }
    for (i = 0; i < s->n; i++) {
        if (res[i].failed) {
            o += (size_t)sprintf(list + o, "%s\n", s->b[i].name);
        }
    }
    list[o] = '\0';
    return list;
}

static int run_callgrind(const struct gr_suite *s, struct gr_bench_result *res,
                         char *const *av, char *reason, size_t rn)
{
    char *skip = failed_names(s, res);
    char dir[] = "/tmp/grprof-cg.XXXXXX", prefix[64], out[128];
    char **full = NULL;
    size_t ac = 0, i, got;
    pid_t pid;
    int status = 0;
    if (!av || !skip) {
        snprintf(reason, rn, !av ? "cannot read /proc/self/cmdline" : "out of memory");
        gr_free(skip);
        return 0;
    }
    if (!mkdtemp(dir)) {
        snprintf(reason, rn, "mkdtemp: %s", strerror(errno));
        gr_free(skip);
        return 0;
    }
    snprintf(prefix, sizeof prefix, "%s/cg.out", dir);
    snprintf(out, sizeof out, "--callgrind-out-file=%s", prefix);
    while (av[ac]) {
        ac++;
    }
    full = gr_calloc(ac + 8, sizeof *full);
    if (!full) {
        snprintf(reason, rn, "out of memory");
        gr_free(skip);
        return 0;
    }
    full[0] = "valgrind";
    full[1] = "--tool=callgrind";
    full[2] = "--instr-atstart=no";
    full[3] = "--dump-instr=no";
    full[4] = out;
    full[5] = "-q";
    for (i = 0; i < ac; i++) {
        full[6 + i] = av[i];
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        setenv(CHILD_ENV, "1", 1);
        setenv(SKIP_ENV, skip, 1);
        /* deterministic counts: one thread, no OpenMP spin-waiting */
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        setenv("OMP_NUM_THREADS", "1", 1);
        if (!freopen("/dev/null", "w", stdout)) {
            _exit(127);
        }
        execvp("valgrind", full);
        _exit(127);
    }
    if (pid < 0) {
        snprintf(reason, rn, "fork: %s", strerror(errno));
        gr_free(full);
        gr_free(skip);
        return 0;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    gr_free(full);
    gr_free(skip);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(reason, rn, WIFEXITED(status) && WEXITSTATUS(status) == 127
                                 ? "valgrind not found" : "the callgrind run failed");
        got = 0;
    } else {
        got = gr_harness_callgrind_read(prefix, s, res);
        snprintf(reason, rn, got ? "valgrind --tool=callgrind, one operation per "
                                   "benchmark on one thread, client requests around each"
                                 : "callgrind wrote no per-benchmark dumps");
    }
    {
        /* remove the dumps and the directory */
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) {
            /* leftovers in /tmp are harmless */
        }
    }
    return got > 0;
}

/* ---- the run file ------------------------------------------------------------------ */

/* Whether all n values at x are finite. */
static int all_finite(const double *x, size_t n)
{
    size_t j;
    for (j = 0; j < n && isfinite(x[j]); j++) {
    }
    return j == n;
}

static int fill_run(gr_run *run, const struct gr_suite *s,
                    const struct gr_bench_result *res, size_t *left_out)
{
    size_t i, k = 0;
    char buf[32];
    run->bench = gr_calloc(s->n ? s->n : 1, sizeof *run->bench);
    run->fail = gr_calloc(s->n ? s->n : 1, sizeof *run->fail);
    if (!run->bench || !run->fail) {
        return GR_ERR_NOMEM;
    }
    for (i = 0; i < s->n; i++) {
        gr_run_failure *f = &run->fail[run->nfail];
        if (!res[i].failed && res[i].n > 0) {
            continue;
        }
        f->name = dupstr(s->b[i].name);
        f->group = dupstr(s->b[i].group);
        f->version = s->b[i].version;
        f->round = res[i].failed ? res[i].fail_round : 0;
        f->reason = dupstr(res[i].failed ? res[i].error : "no samples were taken");
        run->nfail++;
    }
    *left_out = 0;
    for (i = 0; i < s->n; i++) {
        const struct gr_bench *b = &s->b[i];
        gr_run_bench *rb = &run->bench[k];
        if (res[i].failed || res[i].n == 0) {
            (*left_out)++;
            continue;
        }
        run->nbench = k + 1; /* gr_run_free frees what is filled, on every path */
        rb->name = dupstr(b->name);
        rb->group = dupstr(b->group);
        rb->version = b->version;
        rb->params_json = dupstr(b->params);
        rb->unit = dupstr("s");
        rb->lower_is_better = 1;
        rb->inner = res[i].inner;
        rb->nsamples = res[i].n;
        rb->samples = gr_calloc(res[i].n, sizeof *rb->samples);
        rb->rounds = gr_calloc(res[i].n, sizeof *rb->rounds);
        if (!rb->samples || !rb->rounds) {
            return GR_ERR_NOMEM;
        }
        memcpy(rb->samples, res[i].samples, res[i].n * sizeof *rb->samples);
        memcpy(rb->rounds, res[i].rounds, res[i].n * sizeof *rb->rounds);
        if (all_finite(res[i].contention, res[i].n)) {
            /* measured for every sample (else the run says nothing of it) */
            if (!(rb->contention = gr_calloc(res[i].n, sizeof *rb->contention))) {
                return GR_ERR_NOMEM;
            }
            memcpy(rb->contention, res[i].contention, res[i].n * sizeof *rb->contention);
        }
        if (gr_stats_compute(rb->samples, rb->nsamples, &rb->stats) < 0) {
            return GR_ERR_NOMEM;
        }
        snprintf(buf, sizeof buf, "%016" PRIx64, res[i].checksum);
        rb->checksum = dupstr(buf);
        rb->peak_rss_bytes = res[i].peak_rss;
        rb->instructions = res[i].instructions;
        rb->metrics_json = b->metrics ? dupstr(b->metrics) : NULL;
        k++;
    }
    return GR_OK;
}

/* ---- the command --------------------------------------------------------------------- */

static int run_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    struct gr_suite suite;
    struct gr_suite_opts so;
    struct gr_harness_opts ho;
    struct gr_bench_result *res = NULL;
    const struct run_defaults *def;
    const struct gr_optval *v;
    const char *mdpath, *worker = getenv(GR_HARNESS_WORKER_ENV);
    static char cmdline[65536];
    char **self = NULL, exe[4096];
    char outpath[4096], t[64], reason[256], msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    struct sigaction sa, old;
    gr_run *run = NULL;
    gr_error err;
    int rc = GR_EXIT_OK, st, quiet, child = getenv(CHILD_ENV) != NULL;
    size_t left_out = 0, k;

    memset(&suite, 0, sizeof suite);
    gr_error_clear(&err);
    gr_suite_opts_from_args(&so, args);
    def = &suite_defaults[so.kind];
    quiet = gr_args_count(args, "quiet") > 0;
    memset(&ho, 0, sizeof ho);
    ho.rounds = int_opt(args, "rounds", def->rounds);
    ho.repeat = int_opt(args, "repeat", def->repeat);
    ho.warmup = int_opt(args, "warmup", def->warmup);
    v = gr_args_get(args, "min-time");
    ho.min_time = v ? v->f : def->min_time;
    ho.progress = !quiet && !child && !worker;
    ho.stop = &run_stop;
    ho.isolate = gr_args_count(args, "no-isolate") == 0;
    v = gr_args_get(args, "timeout");
    ho.timeout = v ? v->f : DEFAULT_TIMEOUT;
    ho.crash = getenv(GR_HARNESS_CRASH_ENV);
    if ((v = gr_args_get(args, "threads")) != NULL) {
        gr_set_threads((int)v->i);
    }

    /* everything about the input is checked before any benchmark runs */
    if ((st = gr_suite_build(&suite, &so, &err)) < 0) {
        rc = st == GR_ERR_NOMEM ? gr_cli_error(cmd, GR_EXIT_FAIL, &err)
                                : gr_cli_usage(cmd, "%s", gr_error_format(&err, msg, sizeof msg));
        goto done;
    }
    if (worker) {
        /* a round process (harness.h): its parent reports */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        st = gr_harness_worker(&suite, &ho, worker, &err);
        rc = st == GR_HARNESS_STOPPED || run_stop ? 130
             : st < 0 ? gr_cli_error(cmd, GR_EXIT_FAIL, &err) : GR_EXIT_OK;
        goto done;
    }
    if (child) {
        gr_set_threads(1);   /* deterministic instruction counts */
        gr_harness_callgrind_child(&suite, getenv(SKIP_ENV), &err);
        goto done;
    }
    mdpath = gr_args_get(args, "markdown") ? gr_args_get(args, "markdown")->text : NULL;
    if (!(run = gr_calloc(1, sizeof *run))) {
        rc = gr_cli_fail(cmd, GR_EXIT_FAIL, "out of memory");
        goto done;
    }
    if (gr_stamp_commit(&run->commit, NULL, &err) < 0 ||
        gr_stamp_machine(&run->machine, &err) < 0) {
        rc = gr_cli_error(cmd, GR_EXIT_FAIL, &err);
        goto done;
    }
    if ((v = gr_args_get(args, "output")) != NULL) {
        snprintf(outpath, sizeof outpath, "%s", v->text);
    } else {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        if (mkdir("runs", 0777) != 0 && errno != EEXIST) {
            rc = gr_cli_fail(cmd, GR_EXIT_USAGE, "runs: cannot create directory: %s",
                             strerror(errno));
            goto done;
        }
        snprintf(outpath, sizeof outpath, "runs/%s-%s.json", stamp,
                 run->commit.available ? run->commit.short_sha : "nogit");
    }
    if ((rc = check_writable(cmd, outpath)) != GR_EXIT_OK ||
        (mdpath && (rc = check_writable(cmd, mdpath)) != GR_EXIT_OK)) {
        goto done;
    }
    if (suite.notes[0] && !quiet) {
        fprintf(stderr, GR_CLI_PROG " run: note: %s\n", suite.notes);
    }

    /* measure */
    self = self_argv(cmdline, sizeof cmdline, exe, sizeof exe);
    if (ho.isolate && !gr_args_count(args, "fork-rounds")) {
        if (!self) {
            rc = gr_cli_fail(cmd, GR_EXIT_FAIL, "cannot read /proc/self/cmdline to start "
                             "the round processes (--fork-rounds does without)");
            goto done;
        }
        ho.argv = self;
    }
    run->tool_name = dupstr("grprof");
    run->tool_version = dupstr(gr_version());
    run->started = dupstr(gr_stamp_utc(time(NULL), t, sizeof t));
    run->perf.available = gr_stamp_perf(reason, sizeof reason);
    run->perf.reason = dupstr(reason);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    st = gr_harness_run(&suite, &ho, &res, &err);
    if (st == GR_OK && gr_args_count(args, "instructions") && !run_stop) {
        if (!quiet) {
            fprintf(stderr, GR_CLI_PROG " run: counting instructions under callgrind...\n");
        }
        run->callgrind.available = run_callgrind(&suite, res, self, reason, sizeof reason);
        run->callgrind.reason = dupstr(reason);
    } else {
        run->callgrind.reason = dupstr("not requested (--instructions)");
    }
    sigaction(SIGINT, &old, NULL);
    if (st == GR_HARNESS_STOPPED || run_stop) {
        rc = gr_cli_fail(cmd, 130, "interrupted; no run file written");
        goto done;
    }
    if (st == GR_ERR_INVALID) {
        rc = gr_cli_error(cmd, GR_EXIT_USAGE, &err);   /* the test hook */
        goto done;
    }
    if (st < 0) {
        rc = gr_cli_error(cmd, GR_EXIT_FAIL, &err);
        goto done;
    }
    run->finished = dupstr(gr_stamp_utc(time(NULL), t, sizeof t));
    gr_stamp_load(run->machine.load_end);

    /* config */
    run->config.suite = dupstr(run_suites[so.kind]);
    run->config.filter = so.filter ? dupstr(so.filter) : NULL;
    run->config.rounds = ho.rounds;
    run->config.repeat = ho.repeat;
    run->config.warmup = ho.warmup;
    run->config.min_time = ho.min_time;
    run->config.threads = gr_threads();
    run->config.seed = RUN_SEED;
    run->config.instructions = gr_args_count(args, "instructions") > 0;
    run->config.graphs = gr_cli_alloc(so.ngraphs + 1, sizeof *run->config.graphs);
    run->config.programs = gr_cli_alloc(so.nprograms + 1, sizeof *run->config.programs);
    for (k = 0; k < so.ngraphs; k++) {
        run->config.graphs[run->config.ngraphs++] = dupstr(so.graphs[k]);
    }
    for (k = 0; k < so.nprograms; k++) {
        run->config.programs[run->config.nprograms++] = dupstr(so.programs[k]);
    }
    if (fill_run(run, &suite, res, &left_out) < 0) {
        rc = gr_cli_fail(cmd, GR_EXIT_FAIL, "out of memory");
        goto done;
    }
    for (k = 0; k < run->nfail; k++) {
        fprintf(stderr, GR_CLI_PROG " run: %s: FAILED: %s\n", run->fail[k].name,
                run->fail[k].reason);
    }
    if (run->nbench == 0) {
        rc = gr_cli_fail(cmd, GR_EXIT_FAIL, "every benchmark failed; no run file written");
        goto done;
    }
    if (gr_run_write(run, outpath, &err) < 0) {
        rc = gr_cli_error(cmd, GR_EXIT_FAIL, &err);
        goto done;
    }
    if (mdpath) {
        gr_afile af;
        if (gr_afile_open(&af, mdpath, &err) < 0) {
            rc = gr_cli_error(cmd, GR_EXIT_FAIL, &err);
            goto done;
        }
        gr_report_markdown(af.fp, run, suite.notes);
        if (gr_afile_commit(&af, &err) < 0) {
            rc = gr_cli_error(cmd, GR_EXIT_FAIL, &err);
            goto done;
        }
    }
    if (!quiet) {
        gr_report_console(stdout, run, suite.notes, gr_report_use_color(stdout));
        printf("\n%zu benchmarks", run->nbench);
        if (left_out) {
            printf(", %zu FAILED", left_out);
        }
        printf(", %s to %s\nrun file: ", run->started, run->finished);
    }
    printf("%s\n", outpath);
    if (left_out) {
        rc = GR_EXIT_FAIL;
    }

done:
    gr_free(self);
    gr_harness_results_free(&res, suite.n);
    gr_suite_release(&suite);
    gr_run_free(&run);
    gr_suite_opts_free(&so);
    return rc;
}
