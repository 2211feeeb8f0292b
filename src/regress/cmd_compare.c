/*
 * cmd_compare.c - `grregress compare BASELINE [CURRENT]`: read two run
 * files, apply the decision rule (decide.h) and print the result in one or
 * more formats; the exit code gates CI (regress.h).
 *
 * Order of checks: the command line; the baseline (missing: exit 3; bad:
 * exit 2); the current run (bad: exit 2); the threshold config (bad: 2);
 * the comparison; --strict and fingerprints (mismatch: exit 3); nothing
 * in common (exit 3); then the outputs, and 1 when a regression or a
 * checksum mismatch was found.
 *
 * Without CURRENT, compare runs the baseline's suite itself: `grprof run`
 * (found as $GRPROF, else beside this program, else on PATH) with the
 * baseline's configuration (suite, filter, rounds, repeat, warm-up,
 * min_time, threads, extra graphs and programs) into a temporary run file,
 * which is then compared and removed.  When grprof cannot be run or
 * fails, that is exit 2 with a message saying so.
 */
#include "config.h"
#include "regress/regress.h"
#include "regress/decide.h"
#include "common/atomic_file.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define CONFIG_MAX_BYTES ((long)1 << 20) /* a threshold config is small */
#define MAX_OUTPUTS 16                   /* --format given at most this often */

static const char *const metric_choices[] = {"time", "instructions", NULL};
static const char *const format_names[] = {"table", "markdown", "json", "junit",
                                           "github", NULL};

static const struct gr_opt compare_opts[] = {
    {"alpha", 'a', GR_OPT_FLOAT, "Q",
     "false-discovery rate controlled over the suite (Benjamini-Hochberg)", "0.01",
     NULL, 1e-9, 0.5, GR_OPT_MIN | GR_OPT_MAX},
    {"config", 'c', GR_OPT_STRING, "FILE",
     "per-benchmark thresholds: {\"thresholds\": {\"REGEX\": \"10%\"}}", NULL, NULL, 0,
     0, 0},
    {"filter", 'f', GR_OPT_STRING, "REGEX",
     "compare only benchmarks whose name matches (POSIX extended)", NULL, NULL, 0, 0, 0},
    {"format", 'F', GR_OPT_STRING, "FMT[=FILE]",
     "table, markdown, json, junit or github; =FILE writes that format to FILE",
     "table", NULL, 0, 0, GR_OPT_REPEAT},
    {"metric", 'm', GR_OPT_ENUM, NULL, "what is compared", "time", metric_choices, 0, 0,
     0},
    {"output", 'o', GR_OPT_STRING, "FILE",
     "write the formats without =FILE to FILE (atomically) instead of stdout", NULL,
     NULL, 0, 0, 0},
    {"strict", 's', GR_OPT_FLAG, NULL,
     "refuse to compare runs from different machines (exit 3)", NULL, NULL, 0, 0, 0},
    {"threshold", 't', GR_OPT_STRING, "PCT",
     "smallest change that matters, in percent (\"5%\" or \"5\")", "5%", NULL, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const compare_args[] = {"BASELINE", "[CURRENT]", NULL};

/* "5%", "5", "0.5%" -> 0.05, 0.05, 0.005; -1 when not a percentage in
 * (0, 1000]. */
static int parse_pct(const char *s, double *out)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno) {
        return -1;
    }
    if (*end == '%') {
        end++;
    }
    if (*end != '\0' || !(v > 0) || v > 1000) {
        return -1;
    }
    *out = v / 100.0;
    return 0;
}

/* Owned state of one invocation, released in one place. */
struct cmp_state {
    gr_run *base, *cur;
    cJSON *config;               /* kept: rule patterns point into it */
    struct gr_threshold_rule *rules;
    size_t nrules;               /* compiled rules */
    regex_t filter;
    int have_filter;
    struct gr_report rep;
};

static void state_free(struct cmp_state *s)
{
    size_t k;
    for (k = 0; k < s->nrules; k++) {
        regfree(&s->rules[k].re);
    }
    gr_free(s->rules);
    if (s->have_filter) {
        regfree(&s->filter);
    }
    cJSON_Delete(s->config);
    gr_report_free(&s->rep);
    gr_run_free(&s->base);
    gr_run_free(&s->cur);
}

/* Read the threshold config: {"thresholds": {"REGEX": "10%", ...}}. */
static int load_config(const struct gr_cmd *cmd, const char *path, struct cmp_state *s)
{
    FILE *fp = fopen(path, "rb");
    char *text;
    long len;
    const cJSON *th, *it;
    size_t k = 0;
    if (!fp) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot open: %s", path,
                           strerror(errno));
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0
        || len > CONFIG_MAX_BYTES) {
        fclose(fp);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot read (or larger than 1 MiB)",
                           path);
    }
    text = gr_cli_alloc((size_t)len + 1, 1);
    if (fread(text, 1, (size_t)len, fp) != (size_t)len) {
        fclose(fp);
        gr_free(text);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot read", path);
    }
    fclose(fp);
    s->config = cJSON_ParseWithLength(text, (size_t)len);
    if (!s->config) {
        const char *at = cJSON_GetErrorPtr();
        long line = 1, col = 1, i, off = at && at >= text && at <= text + len
                                             ? (long)(at - text) : len;
        for (i = 0; i < off; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        gr_free(text);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s:%ld:%ld: not JSON", path, line, col);
    }
    gr_free(text);
    th = cJSON_GetObjectItemCaseSensitive(s->config, "thresholds");
    if (!cJSON_IsObject(s->config) || !cJSON_IsObject(th)) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: thresholds: %s", path,
                           th ? "expected an object" : "missing");
    }
    s->rules = gr_cli_alloc((size_t)cJSON_GetArraySize(th) + 1, sizeof *s->rules);
    cJSON_ArrayForEach(it, th) {
        struct gr_threshold_rule *r = &s->rules[k];
        int e;
        r->pattern = it->string;
        if (!cJSON_IsString(it) && !cJSON_IsNumber(it)) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE,
                               "%s: thresholds.\"%s\": expected a percentage such as \"10%%\"",
                               path, it->string);
        }
        if (cJSON_IsNumber(it) ? !(it->valuedouble > 0 && it->valuedouble <= 1000)
                               : parse_pct(it->valuestring, &r->threshold) < 0) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE,
                               "%s: thresholds.\"%s\": bad percentage (expected e.g. \"10%%\")",
                               path, it->string);
        }
        if (cJSON_IsNumber(it)) {
            r->threshold = it->valuedouble / 100.0;
        }
        e = regcomp(&r->re, it->string, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char why[128];
            regerror(e, &r->re, why, sizeof why);
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: thresholds.\"%s\": bad regex: %s",
                               path, it->string, why);
        }
        s->nrules = ++k;
    }
    return GR_REXIT_OK;
}

/* Read one run file; the one-line error names the file and the field. */
static int load_run(const struct gr_cmd *cmd, const char *path, int baseline, gr_run **out)
{
    gr_error err;
    struct stat sb;
    gr_error_clear(&err);
    if (baseline && stat(path, &sb) < 0 && errno == ENOENT) {
        return gr_cli_fail(cmd, GR_REXIT_BASELINE, "%s: baseline missing (no such file)",
                           path);
    }
    if (gr_run_read(path, out, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    return GR_REXIT_OK;
}

/* The grprof binary: $GRPROF, else "grprof" beside /proc/self/exe, else
 * "grprof" (looked up on PATH).  Writes into buf. */
static const char *find_grprof(char *buf, size_t n)
{
    const char *env = getenv("GRPROF");
    ssize_t len;
    char *slash;
    if (env && env[0]) {
        return env;
    }
    len = readlink("/proc/self/exe", buf, n - 8);
    if (len > 0 && (size_t)len < n - 8) {
        buf[len] = '\0';
        slash = strrchr(buf, '/');
        if (slash) {
            strcpy(slash + 1, "grprof");
            if (access(buf, X_OK) == 0) {
                return buf;
            }
        }
    }
    return "grprof";
}

/* Run the baseline's suite with `grprof run` into a temporary run file and
 * read it into *out; the temporary file is removed. */
static int run_live(const struct gr_cmd *cmd, const gr_run *base, gr_run **out)
{
    enum { MAXARGV = 64 };
    char exe[4096], tmp[64], num[6][32], *argv[MAXARGV];
    const gr_run_config *c = &base->config;
    posix_spawn_file_actions_t fa;
    pid_t pid;
    size_t k;
    int argc = 0, st, fd, rc;
    snprintf(tmp, sizeof tmp, "/tmp/grregress-live.XXXXXX");
    fd = mkstemp(tmp);
    if (fd < 0) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "cannot make a temporary run file: %s",
                           strerror(errno));
    }
    close(fd);
    snprintf(num[0], sizeof num[0], "%lld", (long long)c->rounds);
    snprintf(num[1], sizeof num[1], "%lld", (long long)c->repeat);
    snprintf(num[2], sizeof num[2], "%lld", (long long)c->warmup);
    snprintf(num[3], sizeof num[3], "%.17g", c->min_time);
    snprintf(num[4], sizeof num[4], "%lld", (long long)c->threads);
    argv[argc++] = (char *)find_grprof(exe, sizeof exe);
    argv[argc++] = (char *)"run";
    argv[argc++] = (char *)"--suite";
    argv[argc++] = c->suite;
    if (c->filter) {
        argv[argc++] = (char *)"--filter";
        argv[argc++] = c->filter;
    }
    argv[argc++] = (char *)"--rounds";
    argv[argc++] = num[0];
    argv[argc++] = (char *)"--repeat";
    argv[argc++] = num[1];
    argv[argc++] = (char *)"--warmup";
    argv[argc++] = num[2];
    argv[argc++] = (char *)"--min-time";
    argv[argc++] = num[3];
    argv[argc++] = (char *)"--threads";
    argv[argc++] = num[4];
    for (k = 0; k < c->ngraphs && argc < MAXARGV - 8; k++) {
        argv[argc++] = (char *)"--graph";
        argv[argc++] = c->graphs[k];
    }
    for (k = 0; k < c->nprograms && argc < MAXARGV - 6; k++) {
        argv[argc++] = (char *)"--program";
        argv[argc++] = c->programs[k];
    }
    argv[argc++] = (char *)"--quiet";
    argv[argc++] = (char *)"--output";
    argv[argc++] = tmp;
    argv[argc] = NULL;
    fflush(stdout);
    /* grprof's stdout (the run file's path) is not part of our report */
    if (posix_spawn_file_actions_init(&fa) != 0
        || posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0) {
        unlink(tmp);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "cannot run grprof: out of memory");
    }
    st = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (st != 0) {
        unlink(tmp);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "running the baseline's suite is not "
                           "available: cannot run %s: %s (give CURRENT, a run file)",
                           argv[0], strerror(st));
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        unlink(tmp);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "running the baseline's suite failed: "
                           "'%s run' exited with status %d", argv[0],
                           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    rc = load_run(cmd, tmp, 0, out);
    unlink(tmp);
    return rc;
}

/* A --format value: NAME or NAME=FILE. */
struct out_spec {
    enum gr_report_format fmt;
    const char *file;            /* NULL: stdout or -o */
};

static int parse_format(const struct gr_cmd *cmd, const char *text, struct out_spec *o)
{
    const char *eq = strchr(text, '=');
    size_t len = eq ? (size_t)(eq - text) : strlen(text), k;
    struct gr_suggest sg;
    char word[32];
    for (k = 0; format_names[k]; k++) {
        if (strlen(format_names[k]) == len && strncmp(format_names[k], text, len) == 0) {
            o->fmt = (enum gr_report_format)k;
            o->file = eq ? eq + 1 : NULL;
            if (eq && !eq[1]) {
                return gr_cli_usage(cmd, "bad value '%s' for --format: empty file name",
                                    text);
            }
            return GR_REXIT_OK;
        }
    }
    snprintf(word, sizeof word, "%.*s", (int)(len < 31 ? len : 31), text);
    gr_suggest_init(&sg, word);
    for (k = 0; format_names[k]; k++) {
        gr_suggest_add(&sg, format_names[k]);
    }
    if (gr_suggest_best(&sg)) {
        return gr_cli_usage(cmd, "bad value '%s' for --format: did you mean '%s'?", text,
                            gr_suggest_best(&sg));
    }
    return gr_cli_usage(cmd, "bad value '%s' for --format: expected one of table, "
                             "markdown, json, junit, github", text);
}

/* Write the formats bound for `file` (NULL: those without =FILE) to it. */
static int write_outputs(const struct gr_cmd *cmd, const struct gr_report *rep,
                         const struct out_spec *outs, int nouts, const char *file,
                         const char *dest)
{
    gr_afile af;
    gr_error err;
    FILE *fp = stdout;
    int i, any = 0, bad = 0;
    for (i = 0; i < nouts; i++) {
        any |= file ? outs[i].file && strcmp(outs[i].file, file) == 0 : !outs[i].file;
    }
    if (!any) {
        return GR_REXIT_OK;
    }
    gr_error_clear(&err);
    if (dest) {
        struct stat sb;
        if (stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot write: Is a directory", dest);
        }
        if (gr_afile_open(&af, dest, &err) < 0) {
            return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        }
        fp = af.fp;
    }
    for (i = 0; i < nouts; i++) {
        int mine = file ? outs[i].file && strcmp(outs[i].file, file) == 0 : !outs[i].file;
        if (mine && gr_report_print(rep, outs[i].fmt, fp) < 0) {
            bad = 1;
        }
    }
    if (dest) {
        if (bad) {
            gr_afile_abort(&af);
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot write", dest);
        }
        if (gr_afile_commit(&af, &err) < 0) {
            return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        }
    }
    return bad ? gr_cli_fail(cmd, GR_REXIT_USAGE, "cannot write the report") : GR_REXIT_OK;
}

static int compare_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    struct cmp_state s;
    struct gr_decide_opts o;
    struct out_spec outs[MAX_OUTPUTS];
    const struct gr_optval *v;
    const char *output;
    gr_error err;
    int rc, nouts = 0, i;

    memset(&s, 0, sizeof s);
    gr_error_clear(&err);
    gr_decide_opts_init(&o);

    /* the command line, entirely, before any file is read */
    v = gr_args_get(args, "threshold");
    if (parse_pct(v->text, &o.threshold) < 0) {
        return gr_cli_usage(cmd, "bad value '%s' for --threshold: expected a percentage "
                                 "such as 5%% (greater than 0)", v->text);
    }
    o.alpha = gr_args_get(args, "alpha")->f;
    o.metric = gr_args_get(args, "metric")->choice == 0 ? GR_METRIC_TIME
                                                         : GR_METRIC_INSTRUCTIONS;
    if (gr_args_count(args, "format") > MAX_OUTPUTS) {
        return gr_cli_usage(cmd, "--format given more than %d times", MAX_OUTPUTS);
    }
    for (i = 0; i < gr_args_count(args, "format"); i++) {
        rc = parse_format(cmd, gr_args_nth(args, "format", i)->text, &outs[nouts++]);
        if (rc != GR_REXIT_OK) {
            return rc;
        }
    }
    if (nouts == 0) {
        rc = parse_format(cmd, gr_args_get(args, "format")->text, &outs[nouts++]);
        if (rc != GR_REXIT_OK) {
            return rc;
        }
    }
    output = gr_args_get(args, "output") ? gr_args_get(args, "output")->text : NULL;
    v = gr_args_get(args, "filter");
    if (v) {
        int e = regcomp(&s.filter, v->text, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char why[128];
            regerror(e, &s.filter, why, sizeof why);
            return gr_cli_usage(cmd, "bad value '%s' for --filter: %s", v->text, why);
        }
        s.have_filter = 1;
        o.filter = &s.filter;
    }
    /* the files (without CURRENT: a live run of the baseline's suite) */
    rc = load_run(cmd, args->args[0], 1, &s.base);
    if (rc == GR_REXIT_OK) {
        rc = args->nargs < 2 ? run_live(cmd, s.base, &s.cur)
                             : load_run(cmd, args->args[1], 0, &s.cur);
    }
    if (rc == GR_REXIT_OK && (v = gr_args_get(args, "config")) != NULL) {
        rc = load_config(cmd, v->text, &s);
        o.rules = s.rules;
        o.nrules = s.nrules;
    }
    if (rc != GR_REXIT_OK) {
        goto done;
    }

    /* the comparison */
    if (gr_decide(s.base, s.cur, args->args[0], args->nargs > 1 ? args->args[1] : "(live run)",
                  &o, &s.rep, &err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    if (!s.rep.machine_match) {
        if (gr_args_count(args, "strict")) {
            rc = gr_cli_fail(cmd, GR_REXIT_BASELINE,
                             "machine fingerprints differ (baseline %s, current %s); "
                             "--strict refuses to compare", s.rep.base_hash,
                             s.rep.cur_hash);
            goto done;
        }
        gr_cli_fail(cmd, 0, "warning: machine fingerprints differ (baseline %s, current "
                            "%s): timings may not be comparable", s.rep.base_hash,
                    s.rep.cur_hash);
    }
    if (s.rep.n > 0 && s.rep.compared + s.rep.count[GR_V_CHECKSUM] == 0
        && s.rep.count[GR_V_NODATA] == 0) {
        rc = gr_cli_fail(cmd, GR_REXIT_BASELINE,
                         "not comparable: no benchmark of %s can be compared with %s "
                         "(%zu added, %zu removed, %zu version changed)",
                         s.rep.cur_label, args->args[0], s.rep.count[GR_V_ADDED],
                         s.rep.count[GR_V_REMOVED], s.rep.count[GR_V_VERSION]);
        goto done;
    }
    if (s.rep.n == 0) {
        rc = gr_cli_usage(cmd, "--filter '%s' matches no benchmark",
                          gr_args_get(args, "filter") ? gr_args_get(args, "filter")->text
                                                      : "");
        goto done;
    }

    /* the outputs: per-format files first, then stdout / -o */
    for (i = 0; i < nouts; i++) {
        int j, seen = 0;
        if (!outs[i].file) {
            continue;
        }
        for (j = 0; j < i; j++) {
            seen |= outs[j].file && strcmp(outs[j].file, outs[i].file) == 0;
        }
        if (!seen) {
            rc = write_outputs(cmd, &s.rep, outs, nouts, outs[i].file, outs[i].file);
            if (rc != GR_REXIT_OK) {
                goto done;
            }
        }
    }
    rc = write_outputs(cmd, &s.rep, outs, nouts, NULL, output);
    if (rc == GR_REXIT_OK && gr_report_failed(&s.rep)) {
        rc = GR_REXIT_REGRESSION;
    }

done:
    state_free(&s);
    return rc;
}

static void compare_help_extra(FILE *fp)
{
    fprintf(fp,
            "Decision per benchmark (metric time): each round of a run is one replicate\n"
            "(the mean of its log samples, outliers left out); a moderated t test on the\n"
            "rounds gives p, Benjamini-Hochberg over the suite gives q.  A regression\n"
            "needs q < alpha, an estimated slowdown above the threshold and the 95%%\n"
            "interval's lower end above half the threshold; improvements mirror it.\n"
            "'noisy': fewer than 3 rounds, or an interval wider than 4x the threshold.\n"
            "Metric instructions is deterministic: the threshold alone decides.\n"
            "Benchmarks added, removed or whose version changed are listed, never\n"
            "compared; a checksum differing from the baseline's is a correctness failure.\n"
            "\n"
            "Exit codes: 0 no regression, 1 regression or checksum mismatch, 2 usage or\n"
            "input error, 3 baseline missing or not comparable (--strict: different\n"
            "machine fingerprints).\n");
}

const struct gr_cmd gr_cmd_compare = {
    "compare",
    "Compare a run against a baseline and gate on regressions",
    "BASELINE [CURRENT] [options]",
    "BASELINE and CURRENT are run files written by 'grprof run'.  Without CURRENT,\n"
    "the baseline's suite is run now ('grprof run' with the baseline's settings)\n"
    "and compared.\n",
    compare_help_extra,
    compare_args,
    compare_opts,
    compare_handler
};
