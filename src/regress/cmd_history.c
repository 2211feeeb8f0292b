/*
 * cmd_history.c - `grregress history [--benchmark NAME]`: list the runs of
 * the history (history.h) in history order, or one benchmark's trend: its
 * median per run with the median's 95% confidence interval, the number of
 * samples and the change from the previous point.
 *
 * Three formats: a table for people (durations scaled like grprof's
 * console report), JSON and CSV for tools (seconds, unscaled).  An empty
 * history is said so and is not an error; an unknown benchmark is exit 2
 * with the closest known name suggested.
 */
#include "config.h"
#include "regress/regress.h"
#include "regress/history.h"
#include "common/mem.h"
#include "common/stats.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum hist_format { FMT_TABLE = 0, FMT_JSON, FMT_CSV };

static const char *const format_choices[] = {"table", "json", "csv", NULL};

static const struct gr_opt history_opts[] = {
    {"benchmark", 'b', GR_OPT_STRING, "NAME",
     "show this benchmark's median per run", NULL, NULL, 0,
     0, 0},
    {"format", 'F', GR_OPT_ENUM, NULL, "output format", "table", format_choices, 0, 0, 0},
    {"history", 'H', GR_OPT_STRING, "DIR",
     "history directory (else $GRREGRESS_HISTORY, else " GR_HISTORY_DEFAULT_DIR ")",
     NULL, NULL, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const history_args[] = {NULL};

/* ------------------------------------------------------------------ */
/* Fields of a run                                                      */
/* ------------------------------------------------------------------ */

/* The commit column: short sha ("-dirty" appended), or "no git". */
static const char *commit_label(const gr_run *r, char *buf, size_t n)
{
    if (!r->commit.available) {
        return "no git";
    }
    snprintf(buf, n, "%s%s", r->commit.short_sha, r->commit.dirty ? "-dirty" : "");
    return buf;
}

/* The date column: the commit date, or the start time outside git. */
static const char *run_date(const gr_run *r)
{
    return r->commit.available ? r->commit.date : r->started;
}

/* ------------------------------------------------------------------ */
/* Table                                                                */
/* ------------------------------------------------------------------ */

/* Characters (UTF-8 code points) of s: "µs" pads as two columns. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) {
        w += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return w;
}

/* A table of `ncol` columns whose cells are kept until printed. */
struct table {
    size_t ncol, nrow, cap;
    char **cell;             /* nrow * ncol strings (owned) */
    const int *right;        /* per column: right-aligned */
};

static void table_add(struct table *t, const char *const *row)
{
    size_t c;
    if (t->nrow == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 16;
        char **cell = gr_realloc(t->cell, nc * t->ncol * sizeof *cell);
        if (!cell) {
            fprintf(stderr, "%s: out of memory\n", gr_cli_prog);
            exit(GR_REXIT_USAGE);
        }
        t->cell = cell;
        t->cap = nc;
    }
    for (c = 0; c < t->ncol; c++) {
        char *s = gr_strdup(row[c]);
        if (!s) {
            fprintf(stderr, "%s: out of memory\n", gr_cli_prog);
            exit(GR_REXIT_USAGE);
        }
        t->cell[t->nrow * t->ncol + c] = s;
    }
    t->nrow++;
}

/* Print the table, columns two spaces apart, and free its cells. */
static void table_print(struct table *t)
{
    size_t r, c, w[16] = {0};
    for (r = 0; r < t->nrow; r++) {
        for (c = 0; c < t->ncol && c < 16; c++) {
            size_t x = width(t->cell[r * t->ncol + c]);
            w[c] = x > w[c] ? x : w[c];
        }
    }
    for (r = 0; r < t->nrow; r++) {
        for (c = 0; c < t->ncol; c++) {
            const char *s = t->cell[r * t->ncol + c];
            size_t pad = w[c] - width(s), k;
            int last = c + 1 == t->ncol;
            if (t->right[c]) {
                for (k = 0; k < pad; k++) {
                    putchar(' ');
                }
            }
            fputs(s, stdout);
            if (!t->right[c] && !last) {
                for (k = 0; k < pad; k++) {
                    putchar(' ');
                }
            }
            fputs(last ? "\n" : "  ", stdout);
        }
    }
    for (r = 0; r < t->nrow * t->ncol; r++) {
        gr_free(t->cell[r]);
    }
    gr_free(t->cell);
    t->cell = NULL;
    t->nrow = t->cap = 0;
}

/* ------------------------------------------------------------------ */
/* CSV and JSON                                                         */
/* ------------------------------------------------------------------ */

/* One CSV field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"') {
                putchar('"');
            }
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
    putchar(last ? '\n' : ',');
}

/* The shortest exact text of x ("" for NaN: an empty CSV field). */
static const char *num_text(double x, char *buf, size_t n)
{
    if (isnan(x)) {
        buf[0] = '\0';
        return buf;
    }
    return gr_fmt_double(x, buf, n);
}

/* Print and free a JSON document; out-of-memory while building it (any
 * NULL along the way) is reported here. */
static int json_print(const struct gr_cmd *cmd, cJSON *root, int ok)
{
    char *s = ok && root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!s) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "out of memory building the JSON output");
    }
    puts(s);
    cJSON_free(s);
    return GR_REXIT_OK;
}

/* The commit fields shared by both JSON listings. */
static int json_run_fields(cJSON *o, const gr_history_entry *e)
{
    const gr_run *r = e->run;
    int ok = cJSON_AddStringToObject(o, "file", e->file) != NULL;
    if (r->commit.available) {
        ok &= cJSON_AddStringToObject(o, "commit", r->commit.sha) != NULL;
        ok &= cJSON_AddStringToObject(o, "short", r->commit.short_sha) != NULL;
        ok &= cJSON_AddBoolToObject(o, "dirty", r->commit.dirty) != NULL;
    } else {
        ok &= cJSON_AddNullToObject(o, "commit") != NULL;
        ok &= cJSON_AddNullToObject(o, "short") != NULL;
        ok &= cJSON_AddBoolToObject(o, "dirty", 0) != NULL;
    }
    ok &= cJSON_AddStringToObject(o, "date", run_date(r)) != NULL;
    ok &= cJSON_AddStringToObject(o, "started", r->started) != NULL;
    return ok;
}

/* ------------------------------------------------------------------ */
/* The list of runs                                                     */
/* ------------------------------------------------------------------ */

static int list_runs(const struct gr_cmd *cmd, const gr_history *h, enum hist_format fmt)
{
    static const int right[] = {0, 0, 0, 1, 0};
    struct table t = {5, 0, 0, NULL, right};
    char label[64], nb[32];
    size_t i;
    if (fmt == FMT_JSON) {
        cJSON *root = cJSON_CreateObject(), *runs;
        int ok = root != NULL;
        ok = ok && cJSON_AddStringToObject(root, "history", h->dir) != NULL;
        runs = ok ? cJSON_AddArrayToObject(root, "runs") : NULL;
        ok = ok && runs != NULL;
        for (i = 0; ok && i < h->nentries; i++) {
            cJSON *o = cJSON_CreateObject();
            ok = o && cJSON_AddItemToArray(runs, o);
            ok = ok && json_run_fields(o, &h->entries[i]);
            ok = ok && cJSON_AddStringToObject(o, "suite", h->entries[i].run->config.suite);
            ok = ok && cJSON_AddNumberToObject(o, "benchmarks",
                                               (double)h->entries[i].run->nbench);
        }
        return json_print(cmd, root, ok);
    }
    if (fmt == FMT_CSV) {
        puts("commit,dirty,date,started,suite,benchmarks,file");
    } else if (h->nentries == 0) {
        printf("no runs in the history %s (add some with 'grregress record RUN...')\n",
               h->dir);
        return GR_REXIT_OK;
    } else {
        static const char *const head[] = {"COMMIT", "DATE", "SUITE", "BENCHMARKS", "FILE"};
        printf("%zu run%s in %s, oldest first\n", h->nentries,
               h->nentries == 1 ? "" : "s", h->dir);
        table_add(&t, head);
    }
    for (i = 0; i < h->nentries; i++) {
        const gr_run *r = h->entries[i].run;
        snprintf(nb, sizeof nb, "%zu", r->nbench);
        if (fmt == FMT_CSV) {
            csv_field(r->commit.available ? r->commit.sha : "", 0);
            csv_field(r->commit.available && r->commit.dirty ? "true" : "false", 0);
            csv_field(run_date(r), 0);
            csv_field(r->started, 0);
            csv_field(r->config.suite, 0);
            csv_field(nb, 0);
            csv_field(h->entries[i].file, 1);
        } else {
            const char *row[5];
            row[0] = commit_label(r, label, sizeof label);
            row[1] = run_date(r);
            row[2] = r->config.suite;
            row[3] = nb;
            row[4] = h->entries[i].file;
            table_add(&t, row);
        }
    }
    if (fmt == FMT_TABLE) {
        table_print(&t);
    }
    return GR_REXIT_OK;
}

/* ------------------------------------------------------------------ */
/* One benchmark's trend                                                */
/* ------------------------------------------------------------------ */

/* Exit 2 for a benchmark no run has, suggesting the closest name. */
static int unknown_benchmark(const struct gr_cmd *cmd, const gr_history *h,
                             const char *name)
{
    struct gr_suggest sg;
    size_t i, k;
    gr_suggest_init(&sg, name);
    for (i = 0; i < h->nentries; i++) {
        for (k = 0; k < h->entries[i].run->nbench; k++) {
            gr_suggest_add(&sg, h->entries[i].run->bench[k].name);
        }
    }
    if (gr_suggest_best(&sg)) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE,
                           "no run in the history %s has benchmark '%s' (did you mean "
                           "'%s'?)", h->dir, name, gr_suggest_best(&sg));
    }
    return gr_cli_fail(cmd, GR_REXIT_USAGE,
                       "no run in the history %s has benchmark '%s' (see 'grprof list')",
                       h->dir, name);
}

/* One line of a benchmark's trend: the runs of one commit, pooled. */
struct commit_row {
    const gr_series_point *first; /* its first run (commit, date, file) */
    size_t nruns;
    gr_stats st;                  /* of all its runs' samples */
};

/* Same commit: both in git with the same sha and dirty flag.  Runs made
 * outside git are never pooled (nothing says they measured one thing). */
static int same_commit(const gr_run *a, const gr_run *b)
{
    return a->commit.available && b->commit.available && a->commit.dirty == b->commit.dirty
           && strcmp(a->commit.sha, b->commit.sha) == 0;
}

/* Group the series' points by commit, in order of each commit's first
 * run, pooling the samples.  *rows (allocated) gets *n lines; GR_OK or
 * GR_ERR_NOMEM. */
static int commit_rows(const gr_series *s, struct commit_row **rows, size_t *n)
{
    struct commit_row *r = gr_calloc(s->npoints ? s->npoints : 1, sizeof *r);
    size_t i, k, j, total = 0, m;
    double *pool;
    *rows = r;
    *n = 0;
    for (i = 0; i < s->npoints; i++) {
        total += s->points[i].bench->nsamples;
    }
    pool = gr_calloc(total ? total : 1, sizeof *pool);
    if (!r || !pool) {
        gr_free(pool);
        return GR_ERR_NOMEM;
    }
    for (i = 0; i < s->npoints; i++) {
        const gr_run *ri = s->points[i].entry->run;
        for (k = 0; k < *n && !same_commit(r[k].first->entry->run, ri); k++) {
        }
        if (k < *n) {
            continue;                     /* pooled into row k already */
        }
        r[k].first = &s->points[i];
        for (j = i, m = 0; j < s->npoints; j++) {
            const gr_series_point *p = &s->points[j];
            if (j == i || same_commit(ri, p->entry->run)) {
                memcpy(pool + m, p->bench->samples, p->bench->nsamples * sizeof *pool);
                m += p->bench->nsamples;
                r[k].nruns++;
            }
        }
        if (gr_stats_compute(pool, m, &r[k].st) < 0) {
            gr_free(pool);
            return GR_ERR_NOMEM;
        }
        (*n)++;
    }
    gr_free(pool);
    return GR_OK;
}

/* The change of line i's median from line i-1's, as a fraction; NAN for
 * the first. */
static double change(const struct commit_row *r, size_t i)
{
    if (i == 0 || !(r[i - 1].st.median > 0)) {
        return NAN;
    }
    return r[i].st.median / r[i - 1].st.median - 1.0;
}

static int show_series(const struct gr_cmd *cmd, const gr_series *s, const gr_history *h,
                       enum hist_format fmt)
{
    static const int right[] = {0, 0, 1, 0, 1, 1, 1};
    struct table t = {7, 0, 0, NULL, right};
    char label[64], med[32], lo[32], hi[32], ci[80], n[32], nr[32], ch[32];
    struct commit_row *rows = NULL;
    size_t i, nrows = 0;
    if (commit_rows(s, &rows, &nrows) < 0) {
        gr_free(rows);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "out of memory");
    }
    if (fmt == FMT_JSON) {
        cJSON *root = cJSON_CreateObject(), *pts;
        int ok = root != NULL;
        ok = ok && cJSON_AddStringToObject(root, "history", h->dir) != NULL;
        ok = ok && cJSON_AddStringToObject(root, "benchmark", s->name) != NULL;
        ok = ok && cJSON_AddStringToObject(root, "unit", "s") != NULL;
        pts = ok ? cJSON_AddArrayToObject(root, "points") : NULL;
        ok = ok && pts != NULL;
        for (i = 0; ok && i < nrows; i++) {
            const struct commit_row *p = &rows[i];
            cJSON *o = cJSON_CreateObject();
            double c = change(rows, i);
            ok = o && cJSON_AddItemToArray(pts, o);
            ok = ok && json_run_fields(o, p->first->entry);
            ok = ok && cJSON_AddNumberToObject(o, "runs", (double)p->nruns);
            ok = ok && cJSON_AddNumberToObject(o, "median", p->st.median);
            ok = ok && cJSON_AddNumberToObject(o, "ci_lo", p->st.ci_lo);
            ok = ok && cJSON_AddNumberToObject(o, "ci_hi", p->st.ci_hi);
            ok = ok && cJSON_AddNumberToObject(o, "n", (double)p->st.n);
            ok = ok && (isnan(c) ? cJSON_AddNullToObject(o, "change")
                                 : cJSON_AddNumberToObject(o, "change", c)) != NULL;
        }
        gr_free(rows);
        return json_print(cmd, root, ok);
    }
    if (fmt == FMT_CSV) {
        puts("commit,dirty,date,median_s,ci_lo_s,ci_hi_s,n,runs,change_pct,file");
    } else {
        static const char *const head[] = {"COMMIT", "DATE", "MEDIAN", "95% CI", "N",
                                           "RUNS", "CHANGE"};
        printf("%s: %zu commit%s (%zu run%s) in %s, oldest first\n", s->name, nrows,
               nrows == 1 ? "" : "s", s->npoints, s->npoints == 1 ? "" : "s", h->dir);
        table_add(&t, head);
    }
    for (i = 0; i < nrows; i++) {
        const struct commit_row *p = &rows[i];
        const gr_run *r = p->first->entry->run;
        double c = change(rows, i);
        snprintf(n, sizeof n, "%zu", p->st.n);
        snprintf(nr, sizeof nr, "%zu", p->nruns);
        if (fmt == FMT_CSV) {
            csv_field(r->commit.available ? r->commit.sha : "", 0);
            csv_field(r->commit.available && r->commit.dirty ? "true" : "false", 0);
            csv_field(run_date(r), 0);
            csv_field(num_text(p->st.median, med, sizeof med), 0);
            csv_field(num_text(p->st.ci_lo, lo, sizeof lo), 0);
            csv_field(num_text(p->st.ci_hi, hi, sizeof hi), 0);
            csv_field(n, 0);
            csv_field(nr, 0);
            if (isnan(c)) {
                ch[0] = '\0';
            } else {
                snprintf(ch, sizeof ch, "%.3f", 100.0 * c);
            }
            csv_field(ch, 0);
            csv_field(p->first->entry->file, 1);
        } else {
            const char *row[7];
            char a[32], b[32];
            snprintf(ci, sizeof ci, "[%s, %s]",
                     gr_fmt_duration(p->st.ci_lo * 1e9, a, sizeof a),
                     gr_fmt_duration(p->st.ci_hi * 1e9, b, sizeof b));
            if (isnan(c)) {
                snprintf(ch, sizeof ch, "-");
            } else {
                snprintf(ch, sizeof ch, "%+.1f%%", 100.0 * c);
            }
            row[0] = commit_label(r, label, sizeof label);
            row[1] = run_date(r);
            row[2] = gr_fmt_duration(p->st.median * 1e9, med, sizeof med);
            row[3] = ci;
            row[4] = n;
            row[5] = nr;
            row[6] = ch;
            table_add(&t, row);
        }
    }
    if (fmt == FMT_TABLE) {
        table_print(&t);
    }
    gr_free(rows);
    return GR_REXIT_OK;
}

static int history_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    const struct gr_optval *v = gr_args_get(args, "history");
    const struct gr_optval *b = gr_args_get(args, "benchmark");
    enum hist_format fmt = (enum hist_format)gr_args_get(args, "format")->choice;
    gr_history *h = NULL;
    gr_series s;
    gr_error err;
    int rc;

    if (b && !b->text[0]) {
        return gr_cli_usage(cmd, "bad value '' for --benchmark: empty name");
    }
    gr_error_clear(&err);
    if (gr_history_load(gr_history_dir(v ? v->text : NULL), &h, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    if (!b) {
        rc = list_runs(cmd, h, fmt);
    } else if (h->nentries == 0) {
        memset(&s, 0, sizeof s);
        s.name = b->text;
        if (fmt == FMT_TABLE) {
            printf("no runs in the history %s (add some with 'grregress record RUN...')\n",
                   h->dir);
            rc = GR_REXIT_OK;
        } else {
            rc = show_series(cmd, &s, h, fmt);
        }
    } else if (gr_history_series(h, b->text, &s, &err) < 0) {
        rc = err.code == GR_ERR_EMPTY ? unknown_benchmark(cmd, h, b->text)
                                      : gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    } else {
        rc = show_series(cmd, &s, h, fmt);
        gr_series_free(&s);
    }
    gr_history_free(&h);
    return rc;
}

const struct gr_cmd gr_cmd_history = {
    "history",
    "List the recorded runs, or one benchmark's trend",
    "[options]",
    "Without --benchmark: one line per run of the history, oldest first (by\n"
    "commit date; runs made outside git by their start time): its commit (short\n"
    "sha, '-dirty' when the working tree had changes, 'no git' outside a\n"
    "checkout), the commit date, the suite, the number of benchmarks and the\n"
    "stored file.\n"
    "\n"
    "With --benchmark NAME: one line per commit whose runs have NAME, its runs'\n"
    "samples pooled (runs made outside git stay one line each): the commit, the\n"
    "date, the median time per operation (ns, µs, ms or s, as grprof prints\n"
    "them), the 95% confidence interval of the median (distribution-free, from\n"
    "order statistics), the number of samples and of runs, and the change of the\n"
    "median from the previous line.  A NAME no run has is exit 2, with the\n"
    "closest name suggested.\n"
    "\n"
    "--format json and csv give the same data unscaled (seconds; CSV's change in\n"
    "percent, JSON's as a fraction) for scripts.  An empty or missing history is\n"
    "reported as such, exit 0.  Runs are added with 'grregress record'.\n"
    "\n"
    "Exit codes: 0 listed, 2 usage error, unknown benchmark, or a history\n"
    "holding a file that is not a valid run file (named).\n",
    NULL,
    history_args,
    history_opts,
    history_handler
};
