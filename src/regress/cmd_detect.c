/*
 * cmd_detect.c - `grregress detect`: change points over the history
 * (history.h) per benchmark, by E-divisive means with a permutation test
 * (changepoint.h).  For each change point: the run and commit where the
 * new segment starts, the segment medians before and after, the change
 * and the p-value.  For each benchmark, the state now: the last segment
 * against the segment before the run of worsening steps that ends at the
 * last change point, so a creep of several small steps is reported as a
 * whole.  With --fail-on-regression that state gates CI (exit 1).
 *
 * Formats: a table for people, JSON ("grperf.detect/1") for tools.
 */
#include "config.h"
#include "common/json_text.h"
#include "regress/regress.h"
#include "regress/changepoint.h"
#include "regress/history.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const format_choices[] = {"table", "json", NULL};

static const struct gr_opt detect_opts[] = {
    {"alpha", 'a', GR_OPT_FLOAT, "P",
     "significance level of each change point's permutation test", "0.01", NULL, 1e-4,
     0.5, GR_OPT_MIN | GR_OPT_MAX},
    {"benchmark", 'b', GR_OPT_STRING, "REGEX",
     "only benchmarks whose name matches (POSIX extended)", NULL, NULL, 0, 0, 0},
    {"exponent", 'e', GR_OPT_FLOAT, "X",
     "exponent of the E-divisive divergence, in (0, 2)", "1", NULL, 0.01, 1.99,
     GR_OPT_MIN | GR_OPT_MAX},
    {"fail-on-regression", 0, GR_OPT_FLAG, NULL,
     "exit 1 when a benchmark's last segment is a regression beyond --threshold", NULL,
     NULL, 0, 0, 0},
    {"format", 'F', GR_OPT_ENUM, NULL, "output format", "table", format_choices, 0, 0, 0},
    {"history", 'H', GR_OPT_STRING, "DIR",
     "the history directory (default $GRREGRESS_HISTORY, else " GR_HISTORY_DEFAULT_DIR ")",
     NULL, NULL, 0, 0, 0},
    {"min-segment", 'm', GR_OPT_INT, "N", "fewest runs between two change points", "3",
     NULL, 1, 1000, GR_OPT_MIN | GR_OPT_MAX},
    {"permutations", 'p', GR_OPT_INT, "N", "permutations per test", "499", NULL, 19,
     1000000, GR_OPT_MIN | GR_OPT_MAX},
    {"seed", 's', GR_OPT_INT, "N", "seed of the permutations (results are reproducible)",
     "1", NULL, 0, 0, GR_OPT_MIN},
    {"threshold", 't', GR_OPT_STRING, "PCT",
     "smallest change of the last segment that --fail-on-regression fails on", "5%",
     NULL, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const detect_args[] = {NULL};


/* One benchmark's analysis. */
struct det_bench {
    const char *name;
    const gr_history *h;     /* the history the series comes from */
    gr_series s;
    struct gr_trend t;
    double worse;            /* last_change oriented so that > 0 is worse */
    int regression;          /* worse beyond the threshold */
};

/* The commit label of a series point: short sha, or "no-git". */
static const char *pt_commit(const gr_series_point *p)
{
    const gr_run *r = p->entry->run;
    return r->commit.available && r->commit.short_sha ? r->commit.short_sha : "no-git";
}

/* The position of a point's run in the whole history (1 = oldest). */
static size_t pt_pos(const struct det_bench *x, const gr_series_point *p)
{
    return (size_t)(p->entry - x->h->entries) + 1;
}

/* The date of a point: commit date, or the run's start outside git. */
static const char *pt_date(const gr_series_point *p)
{
    const gr_run *r = p->entry->run;
    return r->commit.available && r->commit.date ? r->commit.date : r->started;
}

static const char *fmt_dur(double s, char *buf, size_t n)
{
    return gr_fmt_duration(s * 1e9, buf, n);
}

/* Print s right-aligned in w columns (UTF-8 aware: "µs" is 2 bytes, 1
 * column). */
static void pad_left(FILE *fp, const char *s, int w)
{
    int cols = 0;
    const char *c;
    for (c = s; *c; c++) {
        cols += ((unsigned char)*c & 0xc0) != 0x80;
    }
    for (; cols < w; cols++) {
        fputc(' ', fp);
    }
    fputs(s, fp);
}

static void print_table(const struct det_bench *d, size_t n, const char *dir,
                        size_t nruns, const struct gr_cp_opts *o, double threshold,
                        FILE *fp)
{
    size_t i, k, ncp = 0, nreg = 0;
    int w = 9;
    char b1[32], b2[32], day[11];
    for (i = 0; i < n; i++) {
        int len = (int)strlen(d[i].name);
        w = len > w ? (len < 60 ? len : 60) : w;
    }
    fprintf(fp, "detect: history %s (%zu run%s); E-divisive, alpha %g, %zu permutations, "
                "min segment %zu runs\n\n",
            dir, nruns, nruns == 1 ? "" : "s", o->alpha, o->permutations, o->min_segment);
    fprintf(fp, "%-*s  %5s  %-12s  %-10s  %10s  %10s  %8s  %s\n", w, "benchmark", "run",
            "commit", "date", "before", "after", "change", "p");
    for (i = 0; i < n; i++) {
        const struct det_bench *x = &d[i];
        if (x->t.ncp == 0) {
            fprintf(fp, "%-*s  %5s  %-12s  %-10s  %10s  %10s  %8s  ", w, x->name, "-", "-",
                    "-", "-", "-", "-");
            if (x->t.used < 2 * o->min_segment) {
                fprintf(fp, "too few runs to split (%zu, at least %zu needed)\n",
                        x->t.used, 2 * o->min_segment);
            } else {
                fprintf(fp, "no change point (%zu runs)\n", x->t.used);
            }
            continue;
        }
        for (k = 0; k < x->t.ncp; k++) {
            const struct gr_trend_cp *c = &x->t.cps[k];
            const gr_series_point *p = &x->s.points[c->point];
            snprintf(day, sizeof day, "%s", pt_date(p));
            fprintf(fp, "%-*s  %5zu  %-12s  %-10s  ", w, x->name, pt_pos(x, p),
                    pt_commit(p), day);
            pad_left(fp, fmt_dur(c->before, b1, sizeof b1), 10);
            fputs("  ", fp);
            pad_left(fp, fmt_dur(c->after, b2, sizeof b2), 10);
            fprintf(fp, "  %+7.1f%%  %.3f\n", 100.0 * c->change, c->p);
        }
        ncp += x->t.ncp;
    }
    fputc('\n', fp);
    for (i = 0; i < n; i++) {
        const struct det_bench *x = &d[i];
        if (x->t.ncp > 0 && x->t.last_worse) {
            const struct gr_trend_cp *c = &x->t.cps[x->t.last_from];
            size_t steps = x->t.ncp - x->t.last_from;
            fprintf(fp, "%s: %s: %+.1f%% (worse) since commit %s (%zu step%s)%s\n",
                    x->regression ? "regression" : "note", x->name,
                    100.0 * x->t.last_change, pt_commit(&x->s.points[c->point]), steps,
                    steps == 1 ? "" : "s", x->regression ? "" : ", within the threshold");
        }
        nreg += x->regression;
    }
    fprintf(fp, "summary: %zu benchmark%s, %zu change point%s, %zu regression%s in the "
                "last segment (threshold %.3g%%)\n",
            n, n == 1 ? "" : "s", ncp, ncp == 1 ? "" : "s", nreg, nreg == 1 ? "" : "s",
            100.0 * threshold);
}

static int print_json(const struct det_bench *d, size_t n, const char *dir, size_t nruns,
                      const struct gr_cp_opts *o, double threshold, FILE *fp)
{
    cJSON *root = cJSON_CreateObject(), *arr;
    size_t i, k, ncp = 0, nreg = 0;
    char *text;
    if (!root) {
        return -1;
    }
    /* every cJSON_Add*ToObject / AddItemToArray hands the item to its parent */
    cJSON_AddStringToObject(root, "schema", "grperf.detect/1");
    cJSON_AddStringToObject(root, "history", dir);
    cJSON_AddNumberToObject(root, "runs", (double)nruns);
    cJSON_AddStringToObject(root, "method", "e-divisive");
    gr_json_add_num(root, "alpha", o->alpha);
    gr_json_add_num(root, "exponent", o->exponent);
    cJSON_AddNumberToObject(root, "permutations", (double)o->permutations);
    cJSON_AddNumberToObject(root, "min_segment", (double)o->min_segment);
    cJSON_AddNumberToObject(root, "seed", (double)o->seed);
    gr_json_add_num(root, "threshold", threshold);
    arr = cJSON_AddArrayToObject(root, "benchmarks");
    for (i = 0; arr && i < n; i++) {
        const struct det_bench *x = &d[i];
        cJSON *b = cJSON_CreateObject(), *cps, *last;
        if (!b) {
            break;
        }
        cJSON_AddItemToArray(arr, b);
        cJSON_AddStringToObject(b, "name", x->name);
        cJSON_AddStringToObject(b, "direction", x->t.lower_is_better ? "lower" : "higher");
        cJSON_AddNumberToObject(b, "runs", (double)x->t.used);
        cJSON_AddNumberToObject(b, "skipped", (double)x->t.skipped);
        cps = cJSON_AddArrayToObject(b, "change_points");
        for (k = 0; cps && k < x->t.ncp; k++) {
            const struct gr_trend_cp *c = &x->t.cps[k];
            const gr_series_point *p = &x->s.points[c->point];
            cJSON *j = cJSON_CreateObject();
            if (!j) {
                break;
            }
            cJSON_AddItemToArray(cps, j);
            cJSON_AddNumberToObject(j, "run", (double)pt_pos(x, p)); /* 1 = oldest */
            cJSON_AddStringToObject(j, "commit", pt_commit(p));
            if (p->entry->run->commit.available && p->entry->run->commit.sha) {
                cJSON_AddStringToObject(j, "sha", p->entry->run->commit.sha);
            }
            cJSON_AddStringToObject(j, "date", pt_date(p));
            cJSON_AddStringToObject(j, "file", p->entry->file);
            gr_json_add_num(j, "before", c->before);
            gr_json_add_num(j, "after", c->after);
            gr_json_add_num(j, "change", c->change);
            gr_json_add_num(j, "p", c->p);
        }
        last = cJSON_AddObjectToObject(b, "last_segment");
        if (last) {
            gr_json_add_num(last, "change", x->t.last_change);
            if (x->t.ncp > 0) {
                cJSON_AddStringToObject(
                    last, "since_commit",
                    pt_commit(&x->s.points[x->t.cps[x->t.last_from].point]));
                cJSON_AddNumberToObject(last, "steps", (double)(x->t.ncp - x->t.last_from));
            }
            cJSON_AddBoolToObject(last, "worse", x->t.ncp > 0 && x->t.last_worse);
            cJSON_AddBoolToObject(last, "regression", x->regression);
        }
        ncp += x->t.ncp;
        nreg += x->regression;
    }
    {
        cJSON *s = cJSON_AddObjectToObject(root, "summary");
        if (s) {
            cJSON_AddNumberToObject(s, "benchmarks", (double)n);
            cJSON_AddNumberToObject(s, "change_points", (double)ncp);
            cJSON_AddNumberToObject(s, "regressions", (double)nreg);
        }
    }
    text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        return -1;
    }
    fprintf(fp, "%s\n", text);
    cJSON_free(text);
    return 0;
}

static int detect_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    struct gr_cp_opts o;
    const struct gr_optval *v;
    const char *dir;
    gr_history *h = NULL;
    struct det_bench *d = NULL;
    const char **names = NULL;
    size_t n = 0, i;
    regex_t re;
    int have_re = 0, rc = GR_REXIT_OK, json, nreg = 0;
    double threshold;
    gr_error err;

    gr_error_clear(&err);
    gr_cp_opts_init(&o);
    o.alpha = gr_args_get(args, "alpha")->f;
    o.exponent = gr_args_get(args, "exponent")->f;
    o.permutations = (size_t)gr_args_get(args, "permutations")->i;
    o.min_segment = (size_t)gr_args_get(args, "min-segment")->i;
    o.seed = (uint64_t)gr_args_get(args, "seed")->i;
    json = gr_args_get(args, "format")->choice == 1;
    if (1.0 / (double)(o.permutations + 1) >= o.alpha) {
        return gr_cli_usage(cmd, "%zu permutations cannot give p < %g: use at least %.0f",
                            o.permutations, o.alpha, ceil(1.0 / o.alpha));
    }
    v = gr_args_get(args, "threshold");
    if (gr_cli_parse_pct(v->text, &threshold) < 0) {
        return gr_cli_usage(cmd, "bad value '%s' for --threshold: expected a percentage "
                                 "such as 5%% (greater than 0)", v->text);
    }
    v = gr_args_get(args, "benchmark");
    if (v) {
        int e = regcomp(&re, v->text, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char why[128];
            regerror(e, &re, why, sizeof why);
            return gr_cli_usage(cmd, "bad value '%s' for --benchmark: %s", v->text, why);
        }
        have_re = 1;
    }
    dir = gr_history_dir(gr_args_get(args, "history") ? gr_args_get(args, "history")->text
                                                      : NULL);
    if (gr_history_load(dir, &h, &err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    if (h->nentries == 0) {
        rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: the history has no runs (add some with "
                                              "'grregress record')", dir);
        goto done;
    }
    if (gr_trend_names(h, have_re ? &re : NULL, &names, &n, &err) < 0) {
        rc = gr_cli_error(cmd, GR_EXIT_FAIL, &err);
        goto done;
    }
    if (n == 0) {
        rc = gr_cli_usage(cmd, "--benchmark '%s' matches no benchmark of the history %s",
                          gr_args_get(args, "benchmark")->text, dir);
        goto done;
    }
    d = gr_cli_alloc(n, sizeof *d);
    for (i = 0; i < n; i++) {
        struct det_bench *x = &d[i];
        x->name = names[i];
        x->h = h;
        if (gr_history_series(h, names[i], &x->s, &err) < 0
            || gr_trend_detect(&x->s, &o, &x->t, &err) < 0) {
            rc = gr_cli_error(cmd, err.code == GR_ERR_NOMEM ? GR_EXIT_FAIL : GR_REXIT_USAGE,
                              &err);
            n = i + 1;
            goto done;
        }
        if (x->t.ncp > 0 && x->t.last_worse && isfinite(x->t.last_change)) {
            x->worse = x->t.lower_is_better ? x->t.last_change
                                            : 1.0 / (1.0 + x->t.last_change) - 1.0;
            x->regression = x->worse > threshold;
            nreg += x->regression;
        }
    }
    if (json) {
        if (print_json(d, n, dir, h->nentries, &o, threshold, stdout) < 0) {
            rc = gr_cli_fail(cmd, GR_EXIT_FAIL, "out of memory");
            goto done;
        }
    } else {
        print_table(d, n, dir, h->nentries, &o, threshold, stdout);
    }
    if (nreg > 0 && gr_args_count(args, "fail-on-regression")) {
        rc = GR_REXIT_REGRESSION;
    }

done:
    for (i = 0; d && i < n; i++) {
        gr_trend_free(&d[i].t);
        gr_series_free(&d[i].s);
    }
    gr_free(d);
    gr_free(names);
    if (have_re) {
        regfree(&re);
    }
    gr_history_free(&h);
    return rc;
}

static void detect_help_extra(FILE *fp)
{
    fprintf(fp,
            "Method: E-divisive means (Matteson & James 2014) per benchmark, over the\n"
            "runs in history order.  Each run contributes the log of every round's mean\n"
            "time; change points fall between runs; each is accepted when a permutation\n"
            "test that shuffles whole runs within the current segments gives p < alpha\n"
            "(seeded: the same history always gives the same answer).  Runs of another\n"
            "benchmark version than the newest run's are left out.\n"
            "\n"
            "'run' is the run's position in the history (1 = oldest) where the new\n"
            "segment starts; 'before' and 'after' are the medians of the runs' medians\n"
            "in the segments either side of it.  The last segment is compared with the\n"
            "segment before the run of consecutive worsening change points that ends\n"
            "at the last one, so a creep of small steps is judged as a whole.\n"
            "\n"
            "Exit codes: 0 done (also when change points are found), 1 with\n"
            "--fail-on-regression when a last segment is worse beyond --threshold,\n"
            "2 usage or input error.\n");
}

const struct gr_cmd gr_cmd_detect = {
    "detect",
    "Find change points in the history (creeping regressions included)",
    "[options]",
    "Reads the history written by 'grregress record'.\n",
    detect_help_extra,
    detect_args,
    detect_opts,
    detect_handler
};
