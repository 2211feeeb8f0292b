/*
 * cmd_plot.c - `grregress plot`: pictures drawn by gnuplot (gnuplot.h).
 *
 *  - Trends (default): per benchmark of the history (history.h), the
 *    median time of each run in history order, labelled by short commit,
 *    over the 95% confidence band of the median; the change points found
 *    by E-divisive (changepoint.h) as dashed vertical lines labelled with
 *    their size; each segment's median; the baseline's median (default
 *    baselines/main.json, skipped when absent) as a horizontal line.
 *    Several benchmarks: one panel each (multiplot), at most --max-panels.
 *  - Comparison (--compare FILE): the result of `grregress compare
 *    --format json` ("grperf.compare/1") as horizontal bars of the change
 *    per benchmark with its 95% interval, coloured by verdict, with the
 *    threshold lines.
 *
 * The picture (.png or .svg, by the name of -o) is written by gnuplot to a
 * temporary file beside the output (gr_afile's), which is renamed into
 * place only when gnuplot succeeded: never a half-written picture.  The
 * output's directory is checked, and gnuplot looked for, before any work.
 * Script and data go to a private temporary directory, removed afterwards.
 */
#include "config.h"
#include "regress/regress.h"
#include "common/json_text.h"
#include "regress/changepoint.h"
#include "regress/gnuplot.h"
#include "regress/history.h"
#include "regress/rstats.h"
#include "common/atomic_file.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_BASELINE "baselines/main.json"
#define COMPARE_MAX_BYTES ((size_t)64 << 20)
#define MAX_XLABELS 16           /* commit labels per panel at most */

static const struct gr_opt plot_opts[] = {
    {"alpha", 'a', GR_OPT_FLOAT, "P",
     "significance level of the change points marked (see 'detect')", "0.01", NULL, 1e-4,
     0.5, GR_OPT_MIN | GR_OPT_MAX},
    {"baseline", 'B', GR_OPT_STRING, "FILE",
     "run file whose medians are drawn as horizontal lines (default " DEFAULT_BASELINE
     ", skipped when absent)", NULL, NULL, 0, 0, 0},
    {"benchmark", 'b', GR_OPT_STRING, "REGEX",
     "only benchmarks whose name matches (POSIX extended)", NULL, NULL, 0, 0, 0},
    {"compare", 'c', GR_OPT_STRING, "FILE",
     "draw the chart of a 'grregress compare --format json' result instead", NULL, NULL,
     0, 0, 0},
    {"history", 'H', GR_OPT_STRING, "DIR",
     "the history directory (default $GRREGRESS_HISTORY, else " GR_HISTORY_DEFAULT_DIR ")",
     NULL, NULL, 0, 0, 0},
    {"max-panels", 'n', GR_OPT_INT, "N", "most benchmarks drawn in one picture", "12",
     NULL, 1, 48, GR_OPT_MIN | GR_OPT_MAX},
    {"output", 'o', GR_OPT_STRING, "FILE",
     "the picture, FILE.png or FILE.svg (default trends.png, or compare.png)", NULL, NULL,
     0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const plot_args[] = {NULL};

enum pic_kind { PIC_PNG, PIC_SVG };

/* Set the terminal: pngcairo when this gnuplot has it (anti-aliased),
 * else libgd's png; svg for .svg.  Text is not "enhanced": benchmark
 * names hold '_' and '/' that must print as written. */
static void gp_terminal(FILE *fp, enum pic_kind kind, int w, int h, const char *out)
{
    fprintf(fp, "set encoding utf8\n");
    if (kind == PIC_SVG) {
        fprintf(fp, "set terminal svg size %d,%d dynamic noenhanced font 'Sans,11' "
                    "background rgb 'white'\n", w, h);
    } else {
        fprintf(fp, "if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {\n"
                    "    set terminal pngcairo size %d,%d noenhanced font 'Sans,10' "
                    "background rgb 'white'\n"
                    "} else {\n"
                    "    set terminal png size %d,%d noenhanced font 'Sans,10' "
                    "background '#ffffff'\n"
                    "}\n", w, h, w, h);
    }
    fprintf(fp, "set output ");
    gr_gp_quote(fp, out);
    fputc('\n', fp);
}

/* A time unit for values up to `max` seconds: name and factor. */
static const char *time_unit(double max, double *factor)
{
    if (max < 1e-6) {
        *factor = 1e9;
        return "ns";
    }
    if (max < 1e-3) {
        *factor = 1e6;
        return "µs";
    }
    if (max < 1.0) {
        *factor = 1e3;
        return "ms";
    }
    *factor = 1.0;
    return "s";
}

/* A data-file string column: double-quoted, quotes and controls replaced. */
static void data_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        fputc(*s == '"' || (unsigned char)*s < 0x20 ? '_' : *s, fp);
    }
    fputc('"', fp);
}

/* The last component of a path (not owned). */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* ------------------------------------------------------------------ */
/* Trends                                                               */
/* ------------------------------------------------------------------ */

struct panel {
    const char *name;
    gr_series s;
    struct gr_trend t;
    double base;             /* the baseline's median (s), NAN when none */
};

/* Write one panel's data files and plot commands. */
static int trend_panel(FILE *sc, gr_gp_dir *d, size_t idx, const struct panel *p,
                       const char *base_label, gr_error *err)
{
    const gr_series *s = &p->s;
    const char *dpath, *spath;
    char fname[32], unitlabel[64], lab[32];
    double maxv = 0, f, *tmp, ylo = INFINITY, yhi = -INFINITY, mid, pad;
    size_t i, k, every;
    const char *unit;
    FILE *fp;

    for (i = 0; i < s->npoints; i++) {
        maxv = fmax(maxv, s->points[i].median);
        ylo = fmin(ylo, s->points[i].lo);
        yhi = fmax(yhi, s->points[i].hi);
    }
    if (isfinite(p->base)) {
        maxv = fmax(maxv, p->base);
        ylo = fmin(ylo, p->base);
        yhi = fmax(yhi, p->base);
    }
    unit = time_unit(maxv, &f);
    /* the y range spans at least +-5% of the typical level, so that noise
     * of a percent or two does not fill the panel and look like a change */
    tmp = gr_calloc(s->npoints + 1, sizeof *tmp);
    if (!tmp) {
        return gr_err_nomem(err, "plot");
    }
    for (i = 0; i < s->npoints; i++) {
        tmp[i] = s->points[i].median;
    }
    mid = gr_median_inplace(tmp, s->npoints);
    if (isfinite(mid) && mid > 0) {
        ylo = fmin(ylo, 0.95 * mid);
        yhi = fmax(yhi, 1.05 * mid);
    }
    pad = 0.06 * (yhi - ylo);
    snprintf(unitlabel, sizeof unitlabel, "median time per op (%s)", unit);

    /* runs: x, median, ci lo, ci hi, commit label (thinned out) */
    snprintf(fname, sizeof fname, "trend%zu.dat", idx);
    fp = gr_gp_dir_open(d, fname, &dpath, err);
    if (!fp) {
        gr_free(tmp);
        return err->code;
    }
    every = (s->npoints + MAX_XLABELS - 1) / MAX_XLABELS;
    every = every ? every : 1;
    for (i = 0; i < s->npoints; i++) {
        const gr_series_point *pt = &s->points[i];
        const gr_run *r = pt->entry->run;
        /* label the newest run always, and every `every`-th counting back */
        int show = (s->npoints - 1 - i) % every == 0;
        fprintf(fp, "%zu %.9g %.9g %.9g ", i + 1, pt->median * f, pt->lo * f, pt->hi * f);
        data_str(fp, !show ? "" : r->commit.available && r->commit.short_sha
                                       ? r->commit.short_sha : "no-git");
        fputc('\n', fp);
    }
    if (fclose(fp) != 0) {
        gr_free(tmp);
        return gr_err(err, GR_ERR_IO, "%s: cannot write", dpath);
    }

    /* segments: their medians, one line each (blank lines separate) */
    snprintf(fname, sizeof fname, "segs%zu.dat", idx);
    fp = gr_gp_dir_open(d, fname, &spath, err);
    if (!fp) {
        gr_free(tmp);
        return err->code;
    }
    for (k = 0; k <= p->t.ncp; k++) {
        size_t a = k == 0 ? 0 : p->t.cps[k - 1].point;
        size_t b = k == p->t.ncp ? s->npoints : p->t.cps[k].point, m = 0;
        double med;
        for (i = a; i < b; i++) {
            if (p->t.use && p->t.use[i]) {
                tmp[m++] = s->points[i].median;
            }
        }
        med = k < p->t.ncp ? p->t.cps[k].before : k > 0 ? p->t.cps[k - 1].after
                                                        : gr_median_inplace(tmp, m);
        if (isfinite(med)) {
            fprintf(fp, "%.9g %.9g\n%.9g %.9g\n\n", (double)a + 0.5, med * f,
                    (double)b + 0.5, med * f);
        }
    }
    gr_free(tmp);
    if (fclose(fp) != 0) {
        return gr_err(err, GR_ERR_IO, "%s: cannot write", spath);
    }

    /* the panel */
    fprintf(sc, "\nunset arrow\nunset label\nunset object\n");
    fprintf(sc, "set title ");
    gr_gp_quote(sc, p->name);
    if (p->t.ncp > 0 && p->t.last_worse && isfinite(p->t.last_change)) {
        /* the state now, as `detect` reports it: the creep as a whole */
        const gr_series_point *from = &s->points[p->t.cps[p->t.last_from].point];
        size_t steps = p->t.ncp - p->t.last_from;
        char sub[160];
        snprintf(sub, sizeof sub, "now %+.1f%% since commit %s (%zu step%s)",
                 100.0 * p->t.last_change,
                 from->entry->run->commit.available && from->entry->run->commit.short_sha
                     ? from->entry->run->commit.short_sha : "no-git",
                 steps, steps == 1 ? "" : "s");
        fprintf(sc, " . \"\\n\" . ");
        gr_gp_quote(sc, sub);
    }
    fprintf(sc, " font ',12'\n");
    fprintf(sc, "set xlabel 'run (short commit), oldest to newest: %zu run%s, %zu change "
                "point%s'\n", s->npoints, s->npoints == 1 ? "" : "s", p->t.ncp,
            p->t.ncp == 1 ? "" : "s");
    fprintf(sc, "set ylabel ");
    gr_gp_quote(sc, unitlabel);
    fprintf(sc, "\nset xrange [0.5:%zu.5]\n", s->npoints);
    if (isfinite(ylo) && isfinite(yhi) && yhi > ylo) {
        /* headroom at the top for the key and the change labels */
        fprintf(sc, "set yrange [%.9g:%.9g]\n", (ylo - pad) * f, (yhi + 4 * pad) * f);
    } else {
        fprintf(sc, "set autoscale y\n");
    }
    for (k = 0; k < p->t.ncp; k++) {
        const struct gr_trend_cp *c = &p->t.cps[k];
        int worse = p->t.lower_is_better ? c->change > 0 : c->change < 0;
        const char *col = worse ? "#c62828" : "#2e7d32";
        snprintf(lab, sizeof lab, "%+.1f%%", 100.0 * c->change);
        fprintf(sc, "set arrow from %zu.5, graph 0 to %zu.5, graph 1 nohead dt 2 lw 1.5 "
                    "lc rgb '%s'\n", c->point, c->point, col);
        const gr_run *cr = s->points[c->point].entry->run;
        fprintf(sc, "set label '%s' . \"\\n\" . ", lab);
        gr_gp_quote(sc, cr->commit.available && cr->commit.short_sha ? cr->commit.short_sha
                                                                     : "no-git");
        fprintf(sc, " at %zu.5, graph 0.80 left offset 0.6,0 tc rgb '%s' font ',9' front\n",
                c->point, col);
    }
    fprintf(sc, "plot ");
    gr_gp_quote(sc, dpath);
    /* a band needs a few runs; below that, whiskers show the interval */
    fprintf(sc, s->npoints >= 3 ? " using 1:3:4 with filledcurves lc rgb '#c6dbef' "
                                  "title '95%% CI of the median', \\\n     "
                                : " using 1:2:3:4 with yerrorbars pt 0 lw 8 "
                                  "lc rgb '#c6dbef' title '95%% CI of the median', "
                                  "\\\n     ");
    gr_gp_quote(sc, dpath);
    fprintf(sc, " using 1:2:xtic(5) with linespoints pt 7 ps 0.6 lw 1.5 "
                "lc rgb '#1f4e9a' title 'median', \\\n     ");
    gr_gp_quote(sc, spath);
    fprintf(sc, " using 1:2 with lines lw 2 lc rgb '#e6740f' title 'segment median'");
    if (isfinite(p->base)) {
        char bt[300];
        snprintf(bt, sizeof bt, "baseline (%s)", base_name(base_label));
        fprintf(sc, ", \\\n     %.9g with lines dt 3 lw 1.5 lc rgb '#444444' title ",
                p->base * f);
        gr_gp_quote(sc, bt);
    }
    fputc('\n', sc);
    return GR_OK;
}

/* Rows x cols for n panels: one column up to 3, then two, then three. */
static void layout(size_t n, int *rows, int *cols)
{
    *cols = n <= 3 ? 1 : n <= 8 ? 2 : 3;
    *rows = (int)((n + (size_t)*cols - 1) / (size_t)*cols);
}

static int trend_script(FILE *sc, gr_gp_dir *d, const struct panel *pn, size_t n,
                        enum pic_kind kind, const char *out, const char *hist,
                        const char *base_label, gr_error *err)
{
    int rows, cols, rc;
    size_t i;
    char title[600];
    layout(n, &rows, &cols);
    gp_terminal(sc, kind, 760 * cols, 440 * rows + (n > 1 ? 40 : 0), out);
    fprintf(sc, "set grid ytics lc rgb '#e0e0e0'\n"
                "set key inside top left horizontal maxrows 2 Left reverse opaque font ',9' "
                "samplen 2 width 2\n"
                "set xtics rotate by 45 right font ',8' nomirror\n"
                "set ytics nomirror\n"
                "set border 3\n"
                "set style fill solid 1.0 noborder\n"
                "set format y '%%.4g'\n"
                "set lmargin 11\n");
    if (n > 1) {
        snprintf(title, sizeof title, "grperf trends (history %s)", hist);
        fprintf(sc, "set multiplot layout %d,%d title ", rows, cols);
        gr_gp_quote(sc, title);
        fprintf(sc, " font ',13'\n");
    }
    for (i = 0; i < n; i++) {
        rc = trend_panel(sc, d, i, &pn[i], base_label, err);
        if (rc < 0) {
            return rc;
        }
    }
    if (n > 1) {
        fprintf(sc, "unset multiplot\n");
    }
    return GR_OK;
}

/* ------------------------------------------------------------------ */
/* Comparison chart                                                     */
/* ------------------------------------------------------------------ */

/* Read and check a compare result; one-line error naming the file. */
static int load_compare(const struct gr_cmd *cmd, const char *path, cJSON **out)
{
    const cJSON *schema, *arr, *b;
    int i = 0;
    gr_error err;
    gr_error_clear(&err);
    *out = NULL;
    if (gr_json_read_file(path, COMPARE_MAX_BYTES, out, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    schema = cJSON_GetObjectItemCaseSensitive(*out, "schema");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "grperf.compare/1") != 0) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: schema: expected \"grperf.compare/1\" "
                           "(write it with 'grregress compare --format json')", path);
    }
    arr = cJSON_GetObjectItemCaseSensitive(*out, "benchmarks");
    if (!cJSON_IsArray(arr)) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: benchmarks: %s", path,
                           arr ? "expected an array" : "missing");
    }
    cJSON_ArrayForEach(b, arr) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
        const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(b, "verdict");
        const cJSON *change = cJSON_GetObjectItemCaseSensitive(b, "change");
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(b, "change_ci");
        if (!cJSON_IsString(name)) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: benchmarks[%d].name: %s", path, i,
                               name ? "expected a string" : "missing");
        }
        if (!cJSON_IsString(verdict)) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: benchmarks[%d].verdict: %s", path,
                               i, verdict ? "expected a string" : "missing");
        }
        if (change && !cJSON_IsNull(change) && !cJSON_IsNumber(change)) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE,
                               "%s: benchmarks[%d].change: expected a number or null", path,
                               i);
        }
        if (ci && !(cJSON_IsArray(ci) && (cJSON_GetArraySize(ci) == 0
                                          || (cJSON_GetArraySize(ci) == 2
                                              && cJSON_IsNumber(cJSON_GetArrayItem(ci, 0))
                                              && cJSON_IsNumber(cJSON_GetArrayItem(ci, 1)))))) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE,
                               "%s: benchmarks[%d].change_ci: expected [low, high] or []",
                               path, i);
        }
        i++;
    }
    return GR_REXIT_OK;
}

static double num_or(const cJSON *o, const char *key, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static const char *str_or(const cJSON *o, const char *key, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : def;
}

/* Colour of a verdict (as 0xRRGGBB). */
static unsigned verdict_rgb(const char *v)
{
    if (strcmp(v, "regression") == 0) {
        return 0xd62728;
    }
    if (strcmp(v, "improvement") == 0) {
        return 0x2ca02c;
    }
    if (strcmp(v, "noisy") == 0) {
        return 0xf5a623;
    }
    if (strcmp(v, "checksum-mismatch") == 0) {
        return 0x7b1fa2;
    }
    return 0x9e9e9e;
}

/* Write the chart's data and script; *nrows gets the bars drawn. */
static int compare_script(FILE *sc, gr_gp_dir *d, const cJSON *root, const regex_t *re,
                          enum pic_kind kind, const char *out, size_t *nrows, gr_error *err)
{
    static const char *const legend[] = {"regression", "improvement", "unchanged", "noisy",
                                         "checksum-mismatch", NULL};
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "benchmarks"), *b;
    double thr = num_or(root, "threshold", NAN), lo = 0, hi = 0, pad;
    const char *dpath;
    char title[700], sub[200];
    int seen[5] = {0, 0, 0, 0, 0}, k, first = 1;
    size_t n = 0;
    FILE *fp = gr_gp_dir_open(d, "compare.dat", &dpath, err);
    if (!fp) {
        return err->code;
    }
    cJSON_ArrayForEach(b, arr) {
        const char *name = str_or(b, "name", "?"), *v = str_or(b, "verdict", "?");
        double ch = num_or(b, "change", NAN), clo = ch, chi = ch;
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(b, "change_ci");
        if (!isfinite(ch) || (re && regexec(re, name, 0, NULL, 0) != 0)) {
            continue; /* not compared (added, removed, ...) or filtered out */
        }
        if (cJSON_GetArraySize(ci) == 2) {
            clo = cJSON_GetArrayItem(ci, 0)->valuedouble;
            chi = cJSON_GetArrayItem(ci, 1)->valuedouble;
        }
        for (k = 0; legend[k]; k++) {
            seen[k] |= strcmp(v, legend[k]) == 0;
        }
        lo = fmin(lo, fmin(ch, clo));
        hi = fmax(hi, fmax(ch, chi));
        /* index, change %, lo %, hi %, colour, name, label */
        fprintf(fp, "%zu %.6g %.6g %.6g %u ", n, 100 * ch, 100 * clo, 100 * chi,
                verdict_rgb(v));
        data_str(fp, name);
        fprintf(fp, " \"%+.1f%% %s\"\n", 100 * ch, v);
        n++;
    }
    if (fclose(fp) != 0) {
        return gr_err(err, GR_ERR_IO, "%s: cannot write", dpath);
    }
    *nrows = n;
    if (n == 0) {
        return GR_OK;
    }
    if (isfinite(thr)) {
        lo = fmin(lo, -thr);
        hi = fmax(hi, thr);
    }
    pad = (hi - lo) * 100 * 0.06 + 0.5;
    gp_terminal(sc, kind, 1000, (int)(n < 6 ? 320 : 150 + 30 * n), out);
    snprintf(title, sizeof title, "grregress compare: %s against baseline %s",
             base_name(str_or(root, "current", "?")), base_name(str_or(root, "baseline", "?")));
    snprintf(sub, sizeof sub, "metric %s, threshold %.3g%%, false-discovery rate %.3g",
             str_or(root, "metric", "?"), 100 * thr, num_or(root, "alpha", NAN));
    fprintf(sc, "set title ");
    gr_gp_quote(sc, title);
    fprintf(sc, " . \"\\n\" . ");
    gr_gp_quote(sc, sub);
    fprintf(sc, " font ',12'\n"
                "set xlabel 'change of current vs baseline (%%), bar = estimate, "
                "whiskers = 95%% interval'\n"
                "set yrange [%zu.6:-0.6]\n"
                "set xrange [%.4g:%.4g]\n"
                "set ytics font ',9' nomirror\n"
                "set xtics nomirror\n"
                "set grid xtics lc rgb '#e0e0e0'\n"
                "set border 3\n"
                "set style fill solid 0.85 noborder\n"
                "set key outside right top Left reverse font ',9'\n"
                "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb '#333333' lw 1\n",
            n - 1, 100 * lo - pad, 100 * hi + 3 * pad);
    if (isfinite(thr)) {
        fprintf(sc, "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead dt 2 lw 1.2 "
                    "lc rgb '#757575'\n"
                    "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead dt 2 lw 1.2 "
                    "lc rgb '#757575'\n", 100 * thr, 100 * thr, -100 * thr, -100 * thr);
    }
    fprintf(sc, "plot ");
    for (k = 0; legend[k]; k++) {
        if (seen[k]) {
            fprintf(sc, "%skeyentry with boxes fc rgb '#%06x' title '%s'",
                    first ? "" : ", \\\n     ", verdict_rgb(legend[k]), legend[k]);
            first = 0;
        }
    }
    if (isfinite(thr)) {
        fprintf(sc, ", \\\n     keyentry with lines dt 2 lw 1.2 lc rgb '#757575' "
                    "title 'threshold +/-%.3g%%'", 100 * thr);
    }
    fprintf(sc, ", \\\n     ");
    gr_gp_quote(sc, dpath);
    fprintf(sc, " using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.32):($1 + 0.32)"
                ":5 with boxxyerror lc rgb variable notitle, \\\n     ");
    gr_gp_quote(sc, dpath);
    fprintf(sc, " using 2:1:3:4:ytic(6) with xerrorbars pt 7 ps 0.5 lw 1.2 "
                "lc rgb '#212121' notitle, \\\n     ");
    gr_gp_quote(sc, dpath);
    fprintf(sc, " using ($4 > 0 ? $4 : 0):1:7 with labels left offset 0.8,0 font ',8' "
                "notitle\n");
    return GR_OK;
}

/* ------------------------------------------------------------------ */
/* The command                                                          */
/* ------------------------------------------------------------------ */

struct plot_state {
    gr_history *h;
    gr_run *base;
    struct panel *pn;
    size_t npn;
    const char **names;
    cJSON *cmp;
    regex_t re;
    int have_re;
    gr_gp_dir dir;
    gr_afile af;
    int have_af;
};

static void state_free(struct plot_state *s)
{
    size_t i;
    for (i = 0; s->pn && i < s->npn; i++) {
        gr_trend_free(&s->pn[i].t);
        gr_series_free(&s->pn[i].s);
    }
    gr_free(s->pn);
    gr_free(s->names);
    cJSON_Delete(s->cmp);
    if (s->have_re) {
        regfree(&s->re);
    }
    if (s->have_af) {
        gr_afile_abort(&s->af);
    }
    gr_gp_dir_remove(&s->dir);
    gr_run_free(&s->base);
    gr_history_free(&s->h);
}

/* The history's trends: fills s->pn.  Returns an exit code. */
static int load_trends(const struct gr_cmd *cmd, const struct gr_args *args,
                       struct plot_state *s, const char **base_label)
{
    const struct gr_optval *v = gr_args_get(args, "baseline");
    const char *dir = gr_history_dir(gr_args_get(args, "history")
                                         ? gr_args_get(args, "history")->text : NULL);
    size_t n = 0, i, cap = (size_t)gr_args_get(args, "max-panels")->i;
    struct gr_cp_opts o;
    gr_error err;
    struct stat sb;

    gr_error_clear(&err);
    gr_cp_opts_init(&o);
    o.alpha = gr_args_get(args, "alpha")->f;
    /* enough permutations that p can go below alpha (the default suffices
     * down to alpha 0.002) */
    if (1.0 / (double)(o.permutations + 1) >= o.alpha / 2) {
        o.permutations = (size_t)ceil(2.0 / o.alpha);
    }
    *base_label = v ? v->text : DEFAULT_BASELINE;
    if (v || stat(DEFAULT_BASELINE, &sb) == 0) {
        if (gr_run_read(*base_label, &s->base, &err) < 0) {
            return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        }
    }
    if (gr_history_load(dir, &s->h, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    if (s->h->nentries == 0) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: the history has no runs (add some with "
                                                "'grregress record')", dir);
    }
    if (gr_trend_names(s->h, s->have_re ? &s->re : NULL, &s->names, &n, &err) < 0) {
        return gr_cli_error(cmd, GR_EXIT_FAIL, &err);
    }
    if (n == 0) {
        return gr_cli_usage(cmd, "--benchmark '%s' matches no benchmark of the history %s",
                            gr_args_get(args, "benchmark")->text, dir);
    }
    if (n > cap) {
        fprintf(stderr, "%s %s: note: %zu benchmarks match; drawing the first %zu "
                        "(narrow them with --benchmark, or raise --max-panels)\n",
                gr_cli_prog, cmd->name, n, cap);
        n = cap;
    }
    s->pn = gr_cli_alloc(n, sizeof *s->pn);
    for (i = 0; i < n; i++) {
        struct panel *p = &s->pn[i];
        const gr_run_bench *bb = s->base ? gr_run_find(s->base, s->names[i]) : NULL;
        s->npn = i + 1;
        p->name = s->names[i];
        p->base = bb ? bb->stats.median : NAN;
        if (gr_history_series(s->h, p->name, &p->s, &err) < 0
            || gr_trend_detect(&p->s, &o, &p->t, &err) < 0) {
            return gr_cli_error(cmd, err.code == GR_ERR_NOMEM ? GR_EXIT_FAIL : GR_REXIT_USAGE,
                                &err);
        }
    }
    return GR_REXIT_OK;
}

static int plot_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    struct plot_state s;
    const struct gr_optval *v;
    const char *out, *cmp_path, *ext, *script, *base_label = NULL;
    char exe[4096];
    enum pic_kind kind;
    size_t nrows = 0, ncp = 0, i;
    gr_error err;
    struct stat sb;
    FILE *sc = NULL;
    int rc;

    memset(&s, 0, sizeof s);
    gr_error_clear(&err);

    /* the command line */
    cmp_path = gr_args_get(args, "compare") ? gr_args_get(args, "compare")->text : NULL;
    if (cmp_path && (gr_args_get(args, "history") || gr_args_get(args, "baseline"))) {
        return gr_cli_usage(cmd, "--compare draws a compare result: --history and "
                                 "--baseline do not apply");
    }
    out = gr_args_get(args, "output") ? gr_args_get(args, "output")->text
                                      : cmp_path ? "compare.png" : "trends.png";
    ext = strrchr(out, '.');
    if (ext && strcmp(ext, ".png") == 0) {
        kind = PIC_PNG;
    } else if (ext && strcmp(ext, ".svg") == 0) {
        kind = PIC_SVG;
    } else {
        return gr_cli_usage(cmd, "bad value '%s' for --output: expected a name ending in "
                                 ".png or .svg", out);
    }
    v = gr_args_get(args, "benchmark");
    if (v) {
        int e = regcomp(&s.re, v->text, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char why[128];
            regerror(e, &s.re, why, sizeof why);
            return gr_cli_usage(cmd, "bad value '%s' for --benchmark: %s", v->text, why);
        }
        s.have_re = 1;
    }

    /* gnuplot, and the output's place, before any work */
    if (gr_gnuplot_find(exe, sizeof exe) < 0) {
        rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "gnuplot not found (looked for '%s'%s): "
                         "install gnuplot, or set GNUPLOT to its path", exe,
                         strchr(exe, '/') ? "" : " on PATH");
        goto done;
    }
    if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot write: Is a directory", out);
        goto done;
    }
    if (gr_afile_open(&s.af, out, &err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    s.have_af = 1;

    /* the data */
    rc = cmp_path ? load_compare(cmd, cmp_path, &s.cmp)
                  : load_trends(cmd, args, &s, &base_label);
    if (rc != GR_REXIT_OK) {
        goto done;
    }

    /* the script, gnuplot, the picture */
    if (gr_gp_dir_make(&s.dir, &err) < 0
        || !(sc = gr_gp_dir_open(&s.dir, "plot.gp", &script, &err))) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    if (cmp_path) {
        rc = compare_script(sc, &s.dir, s.cmp, s.have_re ? &s.re : NULL, kind, s.af.tmp,
                            &nrows, &err);
    } else {
        rc = trend_script(sc, &s.dir, s.pn, s.npn, kind, s.af.tmp,
                          gr_history_dir(gr_args_get(args, "history")
                                             ? gr_args_get(args, "history")->text : NULL),
                          base_label, &err);
    }
    if (fclose(sc) != 0 && rc == GR_OK) {
        rc = gr_err(&err, GR_ERR_IO, "%s: cannot write", script);
    }
    if (rc < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    if (cmp_path && nrows == 0) {
        rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: no benchmark with a change to draw%s",
                         cmp_path, s.have_re ? " (after --benchmark)" : "");
        goto done;
    }
    if (gr_gnuplot_run(exe, script, &s.dir, &err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    if (stat(s.af.tmp, &sb) != 0 || sb.st_size == 0) {
        rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "gnuplot (%s) wrote no picture", exe);
        goto done;
    }
    /* gnuplot rewrote the temporary file in place (same inode): commit
     * fsyncs it through our descriptor and renames it over `out` */
    s.have_af = 0;
    if (gr_afile_commit(&s.af, &err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    for (i = 0; i < s.npn; i++) {
        ncp += s.pn[i].t.ncp;
    }
    if (cmp_path) {
        printf("wrote %s: %zu benchmark%s of %s\n", out, nrows, nrows == 1 ? "" : "s",
               cmp_path);
    } else {
        printf("wrote %s: %zu benchmark%s, %zu change point%s\n", out, s.npn,
               s.npn == 1 ? "" : "s", ncp, ncp == 1 ? "" : "s");
    }
    rc = GR_REXIT_OK;

done:
    state_free(&s);
    return rc;
}

const struct gr_cmd gr_cmd_plot = {
    "plot",
    "Draw trends over the history, or a compare result, with gnuplot",
    "[options]",
    "Trends: per benchmark, the median of each run (oldest to newest, labelled\n"
    "by short commit) over the 95% confidence band of the median, change points\n"
    "(as 'detect' finds them) as dashed lines labelled with their size, each\n"
    "segment's median, and the baseline's median as a dotted line.\n"
    "--compare FILE: a 'grregress compare --format json' result as bars of the\n"
    "change per benchmark with 95% intervals, coloured by verdict.\n"
    "gnuplot is run from PATH (or $GNUPLOT); the picture's format follows the\n"
    "name given to -o (.png or .svg), and it is written atomically.\n"
    "\n"
    "Exit codes: 0 drawn, 2 usage or input error (gnuplot missing included).\n",
    NULL,
    plot_args,
    plot_opts,
    plot_handler
};
