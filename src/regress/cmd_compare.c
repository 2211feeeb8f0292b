/*
 * cmd_compare.c - `grregress compare BASELINE [CURRENT]`: read two run
 * files, apply the decision rule (decide.h) and print the result in one or
 * more formats; the exit code gates CI (regress.h).  The pipeline here is
 * also `grregress ab`'s (cmd_ab.c measures, this file decides and prints).
 *
 * Order of checks: the command line; the baseline (missing: exit 3; bad:
 * exit 2); the current run (bad: exit 2; a measured one after the config
 * and --save's target, so those fail before a long run); the threshold
 * config (bad: 2);
 * the comparison; --strict and fingerprints (mismatch: exit 3); nothing
 * in common (exit 3); then the outputs, and 1 when a regression or a
 * checksum mismatch was found.
 *
 * Without CURRENT (a live run), compare runs the baseline's suite itself:
 * `grprof run` (grprof_run.h: $GRPROF, else beside this program, else on
 * PATH) with the baseline's configuration (suite, filter, rounds, repeat,
 * warm-up, min_time, threads, --instructions, extra graphs and programs;
 * when the baseline has no filter, compare's --filter is passed on so only
 * what is compared is run) into a temporary file, then:
 *
 *  1. decide (decide.h);
 *  2. re-measure the suspects, unless --no-remeasure or metric
 *     instructions.  A benchmark compared in both runs is a SUSPECT when
 *       a. its verdict is NOISY, or
 *       b. q < alpha and its 95% interval, oriented so that positive is
 *          worse (e, [elo, ehi] as in decide.h) and on the log scale,
 *          contains T or -T (T = log(1 + threshold)): elo < T < ehi or
 *          elo < -T < ehi -- significant, but whether the change passes
 *          the threshold is not settled.
 *     The suspects are run again, `grprof run --filter '^(NAMES)$'` with
 *     the same settings and --remeasure-rounds more rounds (default 5);
 *     their rounds are appended to the live run (merge.h) and the whole
 *     comparison is decided again (the FDR stays suite-wide).  Their rows
 *     say "re-measured, N rounds".  Re-measuring happens once.
 *  3. save the live run, re-measured rounds included, to --save FILE or
 *     runs/<UTC>-<short sha>.json (as grprof names its runs), and print
 *     "saved the live run to PATH" on stderr.
 *
 * When grprof cannot be run or fails, that is exit 2 with a message
 * saying so.  Ctrl-C (SIGINT, SIGTERM, SIGHUP) stops grprof, removes the
 * temporary files, saves nothing, and exits 130.
 *
 * `compare BASELINE --against REV` measures instead with ab's protocol
 * (cmd_ab.c): REV ("baseline": the baseline's commit) is built in a
 * temporary worktree and its suite runs interleaved with the current
 * build's, with the baseline's settings; REV's runs are the baseline of
 * the comparison, BASELINE only supplies the settings.
 */
#include "config.h"
#include "regress/regress.h"
#include "regress/decide.h"
#include "regress/grprof_run.h"
#include "regress/merge.h"
#include "common/atomic_file.h"
#include "common/json_text.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES ((size_t)1 << 20) /* a threshold config is small */
#define MAX_OUTPUTS 16                   /* --format given at most this often */
#define EXIT_INTERRUPTED 130             /* as grprof run's */

static const char *const metric_choices[] = {"time", "instructions", NULL};
static const char *const shift_choices[] = {"auto", "on", "off", NULL};
static const char *const format_names[] = {"table", "markdown", "json", "junit",
                                           "github", NULL};

static const struct gr_opt compare_opts[] = {
    {"against", 'A', GR_OPT_STRING, "REV",
     "build REV, run both builds interleaved (as ab); 'baseline': its commit",
     NULL, NULL, 0, 0, 0},
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
    {"jobs", 'j', GR_OPT_INT, "N", "--against: parallel make jobs building REV", "2",
     NULL, 1, 256, GR_OPT_MIN | GR_OPT_MAX},
    {"keep-worktree", 'k', GR_OPT_FLAG, NULL,
     "--against: keep REV's worktree and build (their path is printed)", NULL, NULL, 0,
     0, 0},
    {"metric", 'm', GR_OPT_ENUM, NULL, "what is compared", "time", metric_choices, 0, 0,
     0},
    {"no-remeasure", 'N', GR_OPT_FLAG, NULL,
     "live run: do not re-measure suspects", NULL, NULL, 0, 0, 0},
    {"output", 'o', GR_OPT_STRING, "FILE",
     "write the formats without =FILE to FILE (atomically) instead of stdout", NULL,
     NULL, 0, 0, 0},
    {"remeasure-rounds", 'R', GR_OPT_INT, "N",
     "live run: rounds added to each suspect", "5", NULL, 1, 10000,
     GR_OPT_MIN | GR_OPT_MAX},
    {"save", 'S', GR_OPT_STRING, "FILE",
     "live run: save it to FILE (default runs/<UTC>-<short sha>.json)", NULL, NULL, 0,
     0, 0},
    {"shift", 0, GR_OPT_ENUM, NULL,
     "judge times relative to the suite-wide shift: auto (when a machine was busy), "
     "on, off", "auto", shift_choices, 0, 0, 0},
    {"strict", 's', GR_OPT_FLAG, NULL,
     "refuse to compare runs from different machines, or whose whole suite moved "
     "beyond the threshold (exit 3)", NULL, NULL, 0, 0, 0},
    {"threshold", 't', GR_OPT_STRING, "PCT",
     "smallest change that matters, in percent (\"5%\" or \"5\")", "5%", NULL, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const compare_args[] = {"BASELINE", "[CURRENT]", NULL};


/* Owned state of one invocation, released in one place. */
struct cmp_state {
    gr_run *base, *cur;
    cJSON *config;               /* kept: rule patterns point into it */
    struct gr_threshold_rule *rules;
    size_t nrules;               /* compiled rules */
    regex_t filter;
    int have_filter;
    struct gr_report rep;
    char tmp[2][4096];           /* temporary run files to remove ("": none) */
    char (*why)[128];            /* [rep.n]: reasons of re-measured rows */
    char save[4096];             /* where the live run is saved ("": not) */
    char cur_label[4200];        /* the current run's label */
};

static void state_free(struct cmp_state *s)
{
    size_t k;
    for (k = 0; k < 2; k++) {
        if (s->tmp[k][0]) {
            unlink(s->tmp[k]);
        }
    }
    gr_free(s->why);
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
    const cJSON *th, *it;
    size_t k = 0;
    gr_error err;
    gr_error_clear(&err);
    if (gr_json_read_file(path, CONFIG_MAX_BYTES, &s->config, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
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
                               : gr_cli_parse_pct(it->valuestring, &r->threshold) < 0) {
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


/* ---- the live run ---------------------------------------------------------------- */

/* An option of the running command's table (compare and ab differ), or
 * NULL when absent from the table or not given and without default. */
static const struct gr_optval *opt_get(const struct gr_args *args, const char *name)
{
    return gr_opt_find(args->cmd->opts, name) ? gr_args_get(args, name) : NULL;
}

static int opt_flag(const struct gr_args *args, const char *name)
{
    return gr_opt_find(args->cmd->opts, name) && gr_args_count(args, name) > 0;
}

/* Check before measuring that the live run can be saved where asked;
 * fills s->save with --save's path (the default name needs the run's
 * commit, see save_name). */
static int check_save(const struct gr_cmd *cmd, const struct gr_args *args,
                      struct cmp_state *s)
{
    const struct gr_optval *v = opt_get(args, "save");
    struct stat sb;
    gr_afile af;
    gr_error err;
    gr_error_clear(&err);
    if (!v) {
        /* runs/ is made when saving; until then nothing is created */
        if (stat("runs", &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "runs: cannot save the live run there: "
                               "not a directory (or give --save FILE)");
        }
        if (access(stat("runs", &sb) == 0 ? "runs" : ".", W_OK) != 0) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "runs: cannot save the live run there: "
                               "%s (or give --save FILE)", strerror(errno));
        }
        return GR_REXIT_OK;
    }
    if (!v->text[0]) {
        return gr_cli_usage(cmd, "bad value '' for --save: empty file name");
    }
    if (stat(v->text, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot write: Is a directory", v->text);
    }
    if (gr_afile_open(&af, v->text, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    gr_afile_abort(&af);
    snprintf(s->save, sizeof s->save, "%s", v->text);
    return GR_REXIT_OK;
}

/* The default name of a saved run, as grprof's: runs/<UTC>-<short sha>.json. */
static void save_name(struct cmp_state *s, time_t when)
{
    char stamp[32];
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(s->save, sizeof s->save, "runs/%s-%s.json", stamp,
             s->cur->commit.available && s->cur->commit.short_sha ? s->cur->commit.short_sha
                                                                 : "nogit");
}

/* A failed grprof call as the command's error (exit 2, or 130). */
static int grprof_failed(const struct gr_cmd *cmd, const gr_error *err, const char *what)
{
    if (gr_live_interrupted()) {
        return gr_cli_fail(cmd, EXIT_INTERRUPTED, "interrupted; nothing saved");
    }
    if (strncmp(err->msg, "cannot run ", 11) == 0) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s is not available: %s (give CURRENT, "
                           "a run file)", what, err->msg);
    }
    return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s failed: %s", what, err->msg);
}

/* Run grprof with cfg into temporary file s->tmp[slot] and read it. */
static int measure(const struct gr_cmd *cmd, struct cmp_state *s, int slot,
                   const struct gr_grprof_cfg *cfg, const char *what, gr_run **out)
{
    char exe[4096];
    gr_error err;
    int rc;
    gr_error_clear(&err);
    if (gr_live_tmpfile("live", s->tmp[slot], sizeof s->tmp[slot], &err) < 0) {
        s->tmp[slot][0] = '\0';
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    if (gr_grprof_run(gr_grprof_find(exe, sizeof exe), cfg, NULL, s->tmp[slot], &err) < 0) {
        rc = grprof_failed(cmd, &err, what);
    } else {
        rc = load_run(cmd, s->tmp[slot], 0, out);
    }
    unlink(s->tmp[slot]);
    s->tmp[slot][0] = '\0';
    return rc;
}

int gr_live_suspect(const struct gr_cmp_row *r, double alpha)
{
    double T, lo, hi, t;
    if (r->verdict == GR_V_NOISY) {
        return 1;
    }
    if (r->verdict > GR_V_NOISY || !(r->q < alpha) || !(r->change_lo > -1)
        || !(r->change_hi > -1)) {
        return 0;
    }
    T = log1p(r->threshold);
    lo = log1p(r->change_lo);
    hi = log1p(r->change_hi);
    if (!r->lower_is_better) {
        t = -hi;
        hi = -lo;
        lo = t;
    }
    return (lo < T && T < hi) || (lo < -T && -T < hi);
}

/* Append `name` to a POSIX ERE with its special characters escaped. */
static size_t ere_escape(char *dst, const char *name)
{
    size_t n = 0;
    for (; *name; name++) {
        if (strchr(".[]()*+?{}|^$\\", *name)) {
            dst[n++] = '\\';
        }
        dst[n++] = *name;
    }
    return n;
}

/* Step 2 of the banner: re-measure the suspects of s->rep, merge, decide
 * again and mark the rows. */
static int remeasure(const struct gr_cmd *cmd, struct cmp_state *s,
                     const struct gr_decide_opts *o, const char *base_label,
                     int64_t rounds)
{
    const char **sus = gr_cli_alloc(s->rep.n + 1, sizeof *sus);
    size_t nsus = 0, len = 8, i, k, at;
    struct gr_grprof_cfg cfg;
    char *re, list[512];
    gr_run *extra = NULL;
    gr_error err;
    int rc;
    gr_error_clear(&err);
    for (i = 0; i < s->rep.n; i++) {
        if (gr_live_suspect(&s->rep.res[i], o->alpha)) {
            sus[nsus++] = s->rep.res[i].name;
            len += 2 * strlen(s->rep.res[i].name) + 1;
        }
    }
    if (nsus == 0) {
        gr_free(sus);
        return GR_REXIT_OK;
    }
    re = gr_cli_alloc(len, 1);
    at = 0;
    re[at++] = '^';
    re[at++] = '(';
    list[0] = '\0';
    for (k = 0; k < nsus; k++) {
        if (k) {
            re[at++] = '|';
        }
        at += ere_escape(re + at, sus[k]);
        if (strlen(list) + strlen(sus[k]) + 8 < sizeof list) {
            strcat(list, k ? ", " : "");
            strcat(list, sus[k]);
        } else if (!strstr(list, "...")) {
            strcat(list, ", ...");
        }
    }
    re[at++] = ')';
    re[at++] = '$';
    re[at] = '\0';
    gr_cli_fail(cmd, 0, "re-measuring %zu suspect%s with %lld more rounds: %s", nsus,
                nsus == 1 ? "" : "s", (long long)rounds, list);
    gr_grprof_cfg_from_run(&s->cur->config, &cfg);
    cfg.filter = re;
    cfg.rounds = rounds;
    cfg.instructions = 0; /* times only: the run keeps its counts (merge.h) */
    rc = measure(cmd, s, 1, &cfg, "re-measuring the suspects", &extra);
    gr_free(re);
    if (rc == GR_REXIT_OK && gr_run_merge(s->cur, extra, &err) < 0) {
        /* e.g. a suspect crashed when re-run: the first decision stands */
        gr_cli_fail(cmd, 0, "warning: re-measured rounds not used: %s", err.msg);
        gr_run_free(&extra);
        gr_free(sus);
        return GR_REXIT_OK;
    }
    gr_run_free(&extra);
    if (rc == GR_REXIT_OK) {
        gr_report_free(&s->rep);
        if (gr_decide(s->base, s->cur, base_label, s->cur_label, o, &s->rep, &err) < 0) {
            rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        }
    }
    if (rc == GR_REXIT_OK) {
        s->why = gr_cli_alloc(s->rep.n + 1, sizeof *s->why);
        for (i = 0; i < s->rep.n; i++) {
            struct gr_cmp_row *r = &s->rep.res[i];
            for (k = 0; k < nsus && strcmp(sus[k], r->name) != 0; k++) {
            }
            if (k < nsus) {
                snprintf(s->why[i], sizeof s->why[i], "%s%sre-measured, %zu rounds",
                         r->reason ? r->reason : "", r->reason ? "; " : "", r->cur_rounds);
                r->reason = s->why[i];
            }
        }
    }
    gr_free(sus);
    return rc;
}

/* Save the live run (step 3). */
static int save_live(const struct gr_cmd *cmd, struct cmp_state *s)
{
    gr_error err;
    gr_error_clear(&err);
    if (strncmp(s->save, "runs/", 5) == 0 && mkdir("runs", 0777) != 0 && errno != EEXIST) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "runs: cannot create directory: %s",
                           strerror(errno));
    }
    if (gr_run_write(s->cur, s->save, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    gr_cli_fail(cmd, 0, "saved the live run to %s", s->save);
    return GR_REXIT_OK;
}

/* ---- the pipeline ------------------------------------------------------------------- */

/* --config, once (live runs read it before measuring). */
static int config_opt(const struct gr_cmd *cmd, const struct gr_args *args,
                      struct cmp_state *s, struct gr_decide_opts *o)
{
    const struct gr_optval *v = gr_args_get(args, "config");
    int rc;
    if (!v || s->config) {
        return GR_REXIT_OK;
    }
    rc = load_config(cmd, v->text, s);
    o->rules = s->rules;
    o->nrules = s->nrules;
    return rc;
}

int gr_compare_main(const struct gr_cmd *cmd, const struct gr_args *args,
                    enum gr_live_mode mode)
{
    struct cmp_state s;
    struct gr_decide_opts o;
    struct gr_grprof_cfg cfg;
    struct out_spec outs[MAX_OUTPUTS];
    const struct gr_optval *v, *against = opt_get(args, "against");
    const char *output, *base_label = args->args[0];
    char rev[128];
    gr_error err;
    int rc, nouts = 0, i, live = 0;
    time_t t0 = time(NULL);

    memset(&s, 0, sizeof s);
    memset(&cfg, 0, sizeof cfg);
    gr_error_clear(&err);
    gr_decide_opts_init(&o);

    /* the command line, entirely, before any file is read */
    v = gr_args_get(args, "threshold");
    if (gr_cli_parse_pct(v->text, &o.threshold) < 0) {
        return gr_cli_usage(cmd, "bad value '%s' for --threshold: expected a percentage "
                                 "such as 5%% (greater than 0)", v->text);
    }
    o.alpha = gr_args_get(args, "alpha")->f;
    o.metric = gr_args_get(args, "metric")->choice == 0 ? GR_METRIC_TIME
                                                         : GR_METRIC_INSTRUCTIONS;
    o.shift = (enum gr_shift_mode)gr_args_get(args, "shift")->choice;
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
    if (mode == GR_LIVE_COMPARE && args->nargs > 1 && against) {
        rc = gr_cli_usage(cmd, "--against measures the current run: give no CURRENT");
        goto done;
    }
    if (mode == GR_LIVE_COMPARE) {
        static const char *const live_only[] = {"save", "no-remeasure", "remeasure-rounds",
                                                NULL};
        static const char *const against_only[] = {"jobs", "keep-worktree", NULL};
        for (i = 0; args->nargs > 1 && live_only[i]; i++) {
            if (gr_args_count(args, live_only[i]) > 0) {
                rc = gr_cli_usage(cmd, "--%s is for a live run: give no CURRENT",
                                  live_only[i]);
                goto done;
            }
        }
        for (i = 0; !against && against_only[i]; i++) {
            if (gr_args_count(args, against_only[i]) > 0) {
                rc = gr_cli_usage(cmd, "--%s is for --against", against_only[i]);
                goto done;
            }
        }
    }

    /* the runs */
    if (mode == GR_LIVE_AB) {
        /* ab REV [REV2]: settings from the command line */
        cfg.suite = gr_args_get(args, "suite")->text;
        cfg.filter = v ? v->text : NULL;
        cfg.rounds = gr_args_get(args, "rounds")->i;
        cfg.warmup = -1;
        cfg.min_time = -1;
        cfg.threads = opt_get(args, "threads") ? opt_get(args, "threads")->i : 0;
        cfg.instructions = o.metric == GR_METRIC_INSTRUCTIONS;
        gr_live_signals();
        rc = config_opt(cmd, args, &s, &o); /* before the long part */
        if (rc == GR_REXIT_OK) {
            rc = gr_ab_measure(cmd, args, args->args[0],
                               args->nargs > 1 ? args->args[1] : NULL, &cfg, &s.base,
                               &s.cur);
        }
        snprintf(s.cur_label, sizeof s.cur_label, "%s",
                 args->nargs > 1 ? args->args[1] : "working tree");
        if (opt_get(args, "grprof-a")) {
            base_label = opt_get(args, "grprof-a")->text;
        }
        if (opt_get(args, "grprof-b")) {
            snprintf(s.cur_label, sizeof s.cur_label, "%s",
                     opt_get(args, "grprof-b")->text);
        }
    } else {
        rc = load_run(cmd, args->args[0], 1, &s.base);
        if (rc == GR_REXIT_OK && args->nargs > 1) {
            rc = load_run(cmd, args->args[1], 0, &s.cur);
            snprintf(s.cur_label, sizeof s.cur_label, "%s", args->args[1]);
        } else if (rc == GR_REXIT_OK) {
            gr_grprof_cfg_from_run(&s.base->config, &cfg);
            if (!cfg.filter && v) {
                cfg.filter = v->text; /* run only what is compared */
            }
            if (!against || opt_get(args, "save")) {
                rc = check_save(cmd, args, &s);
            }
            if (rc == GR_REXIT_OK) {
                rc = config_opt(cmd, args, &s, &o); /* before the long part */
            }
            gr_live_signals();
            if (rc == GR_REXIT_OK && against) {
                gr_run *a = NULL;
                const char *r = against->text;
                if (strcmp(r, "baseline") == 0) {
                    if (!s.base->commit.available || !s.base->commit.sha) {
                        rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: the baseline records no "
                                         "commit (--against baseline)", args->args[0]);
                        goto done;
                    }
                    r = s.base->commit.sha;
                }
                snprintf(rev, sizeof rev, "%s", r);
                rc = gr_ab_measure(cmd, args, rev, NULL, &cfg, &a, &s.cur);
                gr_run_free(&s.base); /* cfg pointed into it: not used below */
                s.base = a;
                base_label = rev;
                snprintf(s.cur_label, sizeof s.cur_label, "working tree");
            } else if (rc == GR_REXIT_OK) {
                live = 1;
                rc = measure(cmd, &s, 0, &cfg, "running the baseline's suite", &s.cur);
                if (rc == GR_REXIT_OK && !s.save[0]) {
                    save_name(&s, t0);
                }
                snprintf(s.cur_label, sizeof s.cur_label, "%s (live run)", s.save);
            }
        }
    }
    if (rc == GR_REXIT_OK) {
        rc = config_opt(cmd, args, &s, &o);
    }
    if (rc != GR_REXIT_OK) {
        goto done;
    }

    /* the comparison, with the suspects re-measured in a live run */
    if (gr_decide(s.base, s.cur, base_label, s.cur_label, &o, &s.rep, &err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    if (live && !opt_flag(args, "no-remeasure") && o.metric == GR_METRIC_TIME) {
        rc = remeasure(cmd, &s, &o, base_label, gr_args_get(args, "remeasure-rounds")->i);
        if (rc != GR_REXIT_OK) {
            goto done;
        }
    }
    if (s.save[0] && (rc = save_live(cmd, &s)) != GR_REXIT_OK) {
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
    if (gr_args_count(args, "strict") && !isnan(s.rep.shift)
        && fabs(log1p(s.rep.shift)) > log1p(o.threshold)) {
        rc = gr_cli_fail(cmd, GR_REXIT_BASELINE,
                         "the whole suite moved %+.1f%% (beyond the %.3g%% threshold); "
                         "--strict refuses to compare (grregress ab interleaves both "
                         "builds)", 100.0 * s.rep.shift, 100.0 * o.threshold);
        goto done;
    }
    if (s.rep.n > 0
        && s.rep.compared + s.rep.count[GR_V_CHECKSUM] + s.rep.count[GR_V_FAILED] == 0
        && s.rep.count[GR_V_NODATA] == 0) {
        size_t k, busy = 0;
        for (k = 0; k < s.rep.n; k++) {
            busy += s.rep.res[k].reason && strcmp(s.rep.res[k].reason,
                                                  GR_REASON_CONTENDED) == 0;
        }
        rc = gr_cli_fail(cmd, GR_REXIT_BASELINE,
                         "not comparable: no benchmark of %s can be compared with %s "
                         "(%zu added, %zu removed, %zu version changed, %zu without 3 rounds "
                         "free of CPU contention)",
                         s.rep.cur_label, base_label, s.rep.count[GR_V_ADDED],
                         s.rep.count[GR_V_REMOVED], s.rep.count[GR_V_VERSION], busy);
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
    if (gr_live_interrupted() && rc != EXIT_INTERRUPTED) {
        rc = gr_cli_fail(cmd, EXIT_INTERRUPTED, "interrupted");
    }
    return rc;
}

static int compare_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    return gr_compare_main(cmd, args, GR_LIVE_COMPARE);
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
            "Live run (no CURRENT): suspects are re-measured once with\n"
            "--remeasure-rounds more rounds and decided again: rows that are 'noisy',\n"
            "or significant (q < alpha) with a 95%% interval containing +threshold or\n"
            "-threshold.  Their rows say 're-measured'.  The live run, re-measured\n"
            "rounds included, is saved (--save, default runs/<UTC>-<short sha>.json).\n"
            "\n"
            "Exit codes: 0 no regression, 1 regression or checksum mismatch, 2 usage or\n"
            "input error, 3 baseline missing or not comparable (--strict: different\n"
            "machine fingerprints), 130 interrupted.\n");
}

const struct gr_cmd gr_cmd_compare = {
    "compare",
    "Compare a run against a baseline and gate on regressions",
    "BASELINE [CURRENT] [options]",
    "BASELINE and CURRENT are run files written by 'grprof run'.  Without CURRENT,\n"
    "the baseline's suite is run now ('grprof run' with the baseline's settings),\n"
    "suspects are re-measured, and the run is saved and compared.  With --against\n"
    "REV, REV is built in a temporary git worktree and both builds' suites run\n"
    "interleaved with the baseline's settings, as 'grregress ab' does.\n",
    compare_help_extra,
    compare_args,
    compare_opts,
    compare_handler
};
