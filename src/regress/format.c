/*
 * format.c - the output formats of `grregress compare` (see decide.h):
 * a terminal table, Markdown for a pull-request comment, JSON
 * ("grperf.compare/1", built with cJSON), JUnit XML (one testcase per
 * benchmark: regressions and checksum mismatches fail, benchmarks not
 * compared are skipped) and GitHub Actions workflow commands
 * ("::error title=...::..." for failures, warnings for fingerprint
 * mismatches and noisy results, a notice with the summary).  Benchmarks
 * FAILED in the current run (crash, timeout, error: runfile.h's failures)
 * are failures in every format, as checksum mismatches are; the JSON
 * summary counts them under "failures" ("failed" is the overall bool).
 *
 * Every format says the same things: the machine fingerprint check first
 * (prominently), then one row per benchmark, then the summary.
 */
#include "config.h"
#include "common/json_text.h"
#include "regress/decide.h"
#include "profiler/cli.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

/* A run's commit as {"sha", "short", "branch", "dirty"}, or null outside
 * git (or when the report has none: a result read back by post). */
static void json_commit(cJSON *root, const char *key, const gr_run_commit *c)
{
    cJSON *o;
    if (!c || !c->available) {
        cJSON_AddNullToObject(root, key);
        return;
    }
    if ((o = cJSON_AddObjectToObject(root, key)) != NULL) {
        gr_json_add_str(o, "sha", c->sha);
        gr_json_add_str(o, "short", c->short_sha);
        gr_json_add_str(o, "branch", c->branch);
        cJSON_AddBoolToObject(o, "dirty", c->dirty);
    }
}

/* gr_report_row_json (decide.h): print_json's rows and payload.c's
 * webhook rows. */
void gr_report_row_json(cJSON *o, const struct gr_cmp_row *x)
{
    cJSON *ci;
    gr_json_add_num(o, "baseline", x->base);
    gr_json_add_num(o, "current", x->cur);
    gr_json_add_num(o, "change", x->change);
    ci = cJSON_AddArrayToObject(o, "change_ci");
    if (ci && isfinite(x->change_lo) && isfinite(x->change_hi)) {
        cJSON_AddItemToArray(ci, cJSON_CreateNumber(x->change_lo));
        cJSON_AddItemToArray(ci, cJSON_CreateNumber(x->change_hi));
    }
    gr_json_add_num(o, "p", x->p);
    gr_json_add_num(o, "q", x->q);
}

/* A metric value for people: a duration for time, a count otherwise
 * (whole from 1000 up: 1527680, not 1.52768e+06). */
static const char *fmt_value(const struct gr_report *r, double v, char *buf, size_t n)
{
    if (isnan(v)) {
        snprintf(buf, n, "-");
    } else if (r->metric == GR_METRIC_TIME) {
        gr_fmt_duration(v * 1e9, buf, n);
    } else if (fabs(v) >= 1000 && fabs(v) < 1e18) {
        snprintf(buf, n, "%.0f", v);
    } else {
        snprintf(buf, n, "%.6g", v);
    }
    return buf;
}

static const char *fmt_pct(double x, char *buf, size_t n)
{
    if (isnan(x)) {
        snprintf(buf, n, "-");
    } else {
        snprintf(buf, n, "%+.1f%%", 100.0 * x);
    }
    return buf;
}

static const char *fmt_ci(const struct gr_cmp_row *x, char *buf, size_t n)
{
    char a[32], b[32];
    if (isnan(x->change_lo) || isnan(x->change_hi) || x->change_lo == x->change_hi) {
        snprintf(buf, n, "-");
    } else {
        if (snprintf(buf, n, "[%s, %s]", fmt_pct(x->change_lo, a, sizeof a),
                     fmt_pct(x->change_hi, b, sizeof b)) < 0) {
            buf[0] = '\0';
        }
    }
    return buf;
}

static const char *fmt_p(double p, char *buf, size_t n)
{
    if (isnan(p)) {
        snprintf(buf, n, "-");
    } else if (p < 1e-4) {
        snprintf(buf, n, "%.1e", p);
    } else {
        snprintf(buf, n, "%.4f", p);
    }
    return buf;
}

/* The one-sentence summary shared by every format. */
static void summary_line(const struct gr_report *r, char *buf, size_t n)
{
    char g[32];
    snprintf(buf, n,
             "%zu compared: %zu regression%s, %zu improvement%s, %zu unchanged, "
             "%zu noisy; %zu checksum mismatch%s; %zu FAILED; not compared: %zu added, "
             "%zu removed, %zu version changed, %zu without data; "
             "geometric mean change %s",
             r->compared,
             r->count[GR_V_REGRESSION], r->count[GR_V_REGRESSION] == 1 ? "" : "s",
             r->count[GR_V_IMPROVEMENT], r->count[GR_V_IMPROVEMENT] == 1 ? "" : "s",
             r->count[GR_V_UNCHANGED], r->count[GR_V_NOISY], r->count[GR_V_CHECKSUM],
             r->count[GR_V_CHECKSUM] == 1 ? "" : "es", r->count[GR_V_FAILED],
             r->count[GR_V_ADDED],
             r->count[GR_V_REMOVED], r->count[GR_V_VERSION], r->count[GR_V_NODATA],
             fmt_pct(r->geomean, g, sizeof g));
}

static void machine_line(const struct gr_report *r, char *buf, size_t n)
{
    snprintf(buf, n,
             "machine fingerprints differ (baseline %s, current %s): the runs come "
             "from different machines or builds, so timings may not be comparable",
             r->base_hash ? r->base_hash : "-", r->cur_hash ? r->cur_hash : "-");
}

/* The suite-wide shift (decide.h, rule 3a) in one sentence; "" when none
 * was estimated.  Returns 1 when it is beyond the threshold (a warning). */
static int shift_line(const struct gr_report *r, char *buf, size_t n)
{
    char g[32];
    int big;
    if (isnan(r->shift)) {
        buf[0] = '\0';
        return 0;
    }
    big = fabs(log1p(r->shift)) > log1p(r->threshold);
    snprintf(buf, n, "the whole suite moved %s (median over the benchmarks), %s%s",
             fmt_pct(r->shift, g, sizeof g), r->shift_why,
             r->shift_removed ? "; each change below is relative to it"
             : "");
    if (big) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s",
                 r->shift_removed
                     ? ".  A change of the whole suite cannot be told from the machine's "
                       "load on a busy machine: `grregress ab` interleaves both builds"
                     : "");
    }
    return big;
}

static const char *metric_name(const struct gr_report *r)
{
    return r->metric == GR_METRIC_TIME ? "time" : "instructions";
}

/* ---- table ------------------------------------------------------------- */

static void print_table(const struct gr_report *r, FILE *fp)
{
    char line[1024], v1[32], v2[32], ch[32], ci[64], p[32], q[32];
    size_t i;
    int w = 9;
    for (i = 0; i < r->n; i++) {
        int len = (int)strlen(r->res[i].name);
        w = len > w ? (len < 70 ? len : 70) : w;
    }
    fprintf(fp, "compare %s -> %s (metric %s, threshold %.3g%%, alpha %.3g)\n",
            r->base_label, r->cur_label, metric_name(r), 100.0 * r->threshold, r->alpha);
    if (!r->machine_match) {
        machine_line(r, line, sizeof line);
        fprintf(fp, "\n*** WARNING: %s ***\n", line);
    }
    if (shift_line(r, line, sizeof line)) {
        fprintf(fp, "\n*** WARNING: %s ***\n", line);
    } else if (line[0]) {
        fprintf(fp, "\nsuite shift: %s\n", line);
    }
    fprintf(fp, "\n%-*s  %10s  %10s  %8s  %-18s  %8s  %8s  %s\n", w, "benchmark",
            "baseline", "current", "change", "95% CI", "p", "q", "verdict");
    for (i = 0; i < r->n; i++) {
        const struct gr_cmp_row *x = &r->res[i];
        fprintf(fp, "%-*s  %10s  %10s  %8s  %-18s  %8s  %8s  %s", w, x->name,
                fmt_value(r, x->base, v1, sizeof v1), fmt_value(r, x->cur, v2, sizeof v2),
                fmt_pct(x->change, ch, sizeof ch), fmt_ci(x, ci, sizeof ci),
                fmt_p(x->p, p, sizeof p), fmt_p(x->q, q, sizeof q),
                gr_verdict_name(x->verdict));
        if (x->reason && x->verdict != GR_V_ADDED && x->verdict != GR_V_REMOVED) {
            /* FAILED rows carry the run file's reason: "killed by SIGSEGV ..." */
            fprintf(fp, " (%s)", x->reason);
        }
        fputc('\n', fp);
    }
    summary_line(r, line, sizeof line);
    fprintf(fp, "\nsummary: %s\n", line);
}

/* ---- markdown ------------------------------------------------------------ */

/* Text for a Markdown table cell: '|' escaped. */
static void md_cell(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') {
            fputs("\\|", fp);
        } else {
            fputc(*s, fp);
        }
    }
}

static void print_markdown(const struct gr_report *r, FILE *fp)
{
    char line[1024], v1[32], v2[32], ch[32], ci[64], p[32], q[32];
    size_t i;
    if (gr_report_failed(r)) {
        fprintf(fp, "### :x: grregress: %zu regression%s, %zu checksum mismatch%s, "
                    "%zu FAILED\n\n",
                r->count[GR_V_REGRESSION], r->count[GR_V_REGRESSION] == 1 ? "" : "s",
                r->count[GR_V_CHECKSUM], r->count[GR_V_CHECKSUM] == 1 ? "" : "es",
                r->count[GR_V_FAILED]);
    } else {
        fprintf(fp, "### :white_check_mark: grregress: no regression\n\n");
    }
    if (!r->machine_match) {
        machine_line(r, line, sizeof line);
        fprintf(fp, "> [!WARNING]\n> **Machine fingerprint mismatch:** %s.\n\n", line);
    }
    if (shift_line(r, line, sizeof line)) {
        fprintf(fp, "> [!WARNING]\n> **Suite-wide shift:** %s.\n\n", line);
    } else if (line[0]) {
        fprintf(fp, "Suite shift: %s.\n\n", line);
    }
    fprintf(fp, "Baseline `%s`, current `%s`; metric %s, threshold %.3g%%, "
                "false-discovery rate %.3g.\n\n",
            r->base_label, r->cur_label, metric_name(r), 100.0 * r->threshold, r->alpha);
    fprintf(fp, "| Benchmark | Baseline | Current | Change | 95%% CI | p | q | Verdict |\n"
                "| --- | ---: | ---: | ---: | --- | ---: | ---: | --- |\n");
    for (i = 0; i < r->n; i++) {
        const struct gr_cmp_row *x = &r->res[i];
        int bold = x->verdict == GR_V_REGRESSION || x->verdict == GR_V_CHECKSUM ||
                   x->verdict == GR_V_FAILED;
        fputs("| `", fp);
        md_cell(fp, x->name);
        fprintf(fp, "` | %s | %s | %s | %s | %s | %s | %s%s%s",
                fmt_value(r, x->base, v1, sizeof v1), fmt_value(r, x->cur, v2, sizeof v2),
                fmt_pct(x->change, ch, sizeof ch), fmt_ci(x, ci, sizeof ci),
                fmt_p(x->p, p, sizeof p), fmt_p(x->q, q, sizeof q), bold ? "**" : "",
                gr_verdict_name(x->verdict), bold ? "**" : "");
        if (x->verdict == GR_V_FAILED && x->reason) {
            fputs(": ", fp);
            md_cell(fp, x->reason);
        }
        fputs(" |\n", fp);
    }
    summary_line(r, line, sizeof line);
    fprintf(fp, "\n**Summary:** %s.\n", line);
}

/* ---- JSON ------------------------------------------------------------------ */

static int print_json(const struct gr_report *r, FILE *fp)
{
    cJSON *root = cJSON_CreateObject(), *m, *s, *arr;
    char *text;
    size_t i, v;
    int rc = 0;
    if (!root) {
        return -1;
    }
    /* cJSON_Add*ToObject hand the new item to the parent: root owns all */
    cJSON_AddStringToObject(root, "schema", "grperf.compare/1");
    cJSON_AddStringToObject(root, "baseline", r->base_label);
    cJSON_AddStringToObject(root, "current", r->cur_label);
    json_commit(root, "commit", r->cur_commit);
    gr_json_add_str(root, "finished", r->cur_finished);
    json_commit(root, "baseline_commit", r->base_commit);
    gr_json_add_str(root, "baseline_finished", r->base_finished);
    cJSON_AddStringToObject(root, "metric", metric_name(r));
    gr_json_add_num(root, "threshold", r->threshold);
    gr_json_add_num(root, "alpha", r->alpha);
    m = cJSON_AddObjectToObject(root, "machine");
    if (m) {
        cJSON_AddBoolToObject(m, "match", r->machine_match);
        gr_json_add_str(m, "baseline_hash", r->base_hash);
        gr_json_add_str(m, "current_hash", r->cur_hash);
    }
    if (!isnan(r->shift)) {
        cJSON *sh = cJSON_AddObjectToObject(root, "suite_shift");
        if (sh) {
            gr_json_add_num(sh, "change", r->shift);
            cJSON_AddBoolToObject(sh, "removed", r->shift_removed);
            gr_json_add_str(sh, "why", r->shift_why);
        }
    }
    s = cJSON_AddObjectToObject(root, "summary");
    if (s) {
        for (v = 0; v < GR_V_COUNT; v++) {
            cJSON_AddNumberToObject(s, v == GR_V_FAILED ? "failures"
                                                        : gr_verdict_name((enum gr_verdict)v),
                                    (double)r->count[v]);
        }
        cJSON_AddNumberToObject(s, "compared", (double)r->compared);
        gr_json_add_num(s, "geomean_change", r->geomean);
        cJSON_AddBoolToObject(s, "failed", gr_report_failed(r));
    }
    arr = cJSON_AddArrayToObject(root, "benchmarks");
    for (i = 0; arr && i < r->n; i++) {
        const struct gr_cmp_row *x = &r->res[i];
        cJSON *b = cJSON_CreateObject();
        if (!b) {
            rc = -1;
            break;
        }
        cJSON_AddItemToArray(arr, b); /* arr owns b */
        cJSON_AddStringToObject(b, "name", x->name);
        cJSON_AddStringToObject(b, "verdict", gr_verdict_name(x->verdict));
        gr_json_add_str(b, "reason", x->reason);
        cJSON_AddStringToObject(b, "direction", x->lower_is_better ? "lower" : "higher");
        gr_json_add_num(b, "threshold", x->threshold);
        gr_report_row_json(b, x);
        cJSON_AddNumberToObject(b, "baseline_rounds", (double)x->base_rounds);
        cJSON_AddNumberToObject(b, "current_rounds", (double)x->cur_rounds);
        if (x->base_version >= 0) {
            cJSON_AddNumberToObject(b, "baseline_version", (double)x->base_version);
        }
        if (x->cur_version >= 0) {
            cJSON_AddNumberToObject(b, "current_version", (double)x->cur_version);
        }
        gr_json_add_str(b, "baseline_checksum", x->base_checksum);
        gr_json_add_str(b, "current_checksum", x->cur_checksum);
    }
    text = rc == 0 ? cJSON_Print(root) : NULL;
    if (!text) {
        rc = -1;
    } else {
        fprintf(fp, "%s\n", text);
        cJSON_free(text);
    }
    cJSON_Delete(root);
    return rc;
}

/* ---- JUnit XML ------------------------------------------------------------------ */

static void xml_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&apos;", fp); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t') {
                fputc(*s, fp);
            }
        }
    }
}

/* What one benchmark's row says, in words. */
static void row_text(const struct gr_report *r, const struct gr_cmp_row *x, char *buf,
                     size_t n)
{
    char v1[32], v2[32], ch[32], ci[64], p[32], q[32];
    snprintf(buf, n, "%s: baseline %s, current %s, change %s %s, p %s, q %s%s%s%s",
             gr_verdict_name(x->verdict), fmt_value(r, x->base, v1, sizeof v1),
             fmt_value(r, x->cur, v2, sizeof v2), fmt_pct(x->change, ch, sizeof ch),
             fmt_ci(x, ci, sizeof ci), fmt_p(x->p, p, sizeof p), fmt_p(x->q, q, sizeof q),
             x->reason ? " (" : "", x->reason ? x->reason : "", x->reason ? ")" : "");
}

static void print_junit(const struct gr_report *r, FILE *fp)
{
    char text[1024];
    size_t i, skipped = r->count[GR_V_ADDED] + r->count[GR_V_REMOVED]
                        + r->count[GR_V_VERSION] + r->count[GR_V_NODATA];
    fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<testsuites name=\"grregress\">\n"
                "  <testsuite name=\"grregress compare\" tests=\"%zu\" failures=\"%zu\" "
                "errors=\"%zu\" skipped=\"%zu\">\n",
            r->n, r->count[GR_V_REGRESSION] + r->count[GR_V_CHECKSUM], r->count[GR_V_FAILED],
            skipped);
    /* FAILED benchmarks are JUnit errors: the test did not run to the end */
    if (!r->machine_match) {
        machine_line(r, text, sizeof text);
        fputs("    <properties>\n      <property name=\"machine_warning\" value=\"", fp);
        xml_text(fp, text);
        fputs("\"/>\n    </properties>\n", fp);
    }
    for (i = 0; i < r->n; i++) {
        const struct gr_cmp_row *x = &r->res[i];
        row_text(r, x, text, sizeof text);
        fputs("    <testcase classname=\"grregress\" name=\"", fp);
        xml_text(fp, x->name);
        fputs("\">\n", fp);
        switch (x->verdict) {
        case GR_V_REGRESSION:
        case GR_V_CHECKSUM:
            fprintf(fp, "      <failure type=\"%s\" message=\"", gr_verdict_name(x->verdict));
            xml_text(fp, text);
            fputs("\"/>\n", fp);
            break;
        case GR_V_FAILED:
            fprintf(fp, "      <error type=\"%s\" message=\"", gr_verdict_name(x->verdict));
            xml_text(fp, text);
            fputs("\"/>\n", fp);
            break;
        case GR_V_ADDED:
        case GR_V_REMOVED:
        case GR_V_VERSION:
        case GR_V_NODATA:
            fputs("      <skipped message=\"", fp);
            xml_text(fp, text);
            fputs("\"/>\n", fp);
            break;
        default:
            fputs("      <system-out>", fp);
            xml_text(fp, text);
            fputs("</system-out>\n", fp);
        }
        fputs("    </testcase>\n", fp);
    }
    summary_line(r, text, sizeof text);
    fputs("    <system-out>", fp);
    xml_text(fp, text);
    fputs("</system-out>\n  </testsuite>\n</testsuites>\n", fp);
}

/* ---- GitHub Actions --------------------------------------------------------------- */

/* Workflow-command escaping: data escapes % CR LF; properties also : ,. */
static void gh_escape(FILE *fp, const char *s, int property)
{
    for (; *s; s++) {
        if (*s == '%') {
            fputs("%25", fp);
        } else if (*s == '\r') {
            fputs("%0D", fp);
        } else if (*s == '\n') {
            fputs("%0A", fp);
        } else if (property && *s == ':') {
            fputs("%3A", fp);
        } else if (property && *s == ',') {
            fputs("%2C", fp);
        } else {
            fputc(*s, fp);
        }
    }
}

static void gh_command(FILE *fp, const char *level, const char *title, const char *name,
                       const char *msg)
{
    fprintf(fp, "::%s title=", level);
    gh_escape(fp, title, 1);
    if (name) {
        gh_escape(fp, " ", 1);
        gh_escape(fp, name, 1);
    }
    fputs("::", fp);
    if (name) {
        gh_escape(fp, name, 0);
        gh_escape(fp, " ", 0);
    }
    gh_escape(fp, msg, 0);
    fputc('\n', fp);
}

static void print_github(const struct gr_report *r, FILE *fp)
{
    char text[1024];
    size_t i;
    if (!r->machine_match) {
        machine_line(r, text, sizeof text);
        gh_command(fp, "warning", "Machine fingerprint mismatch", NULL, text);
    }
    if (shift_line(r, text, sizeof text)) {
        gh_command(fp, "warning", "Suite-wide shift", NULL, text);
    }
    for (i = 0; i < r->n; i++) {
        const struct gr_cmp_row *x = &r->res[i];
        row_text(r, x, text, sizeof text);
        if (x->verdict == GR_V_REGRESSION) {
            gh_command(fp, "error", "Performance regression:", x->name, text);
        } else if (x->verdict == GR_V_CHECKSUM) {
            gh_command(fp, "error", "Checksum mismatch (correctness failure):", x->name,
                       text);
        } else if (x->verdict == GR_V_FAILED) {
            gh_command(fp, "error", "Benchmark FAILED:", x->name, text);
        } else if (x->verdict == GR_V_NOISY) {
            gh_command(fp, "warning", "Too noisy to decide:", x->name, text);
        } else if (x->verdict == GR_V_IMPROVEMENT || x->verdict >= GR_V_ADDED) {
            gh_command(fp, "notice", "Benchmark", x->name, text);
        }
    }
    summary_line(r, text, sizeof text);
    gh_command(fp, gr_report_failed(r) ? "error" : "notice", "grregress summary", NULL,
               text);
}

int gr_report_print(const struct gr_report *r, enum gr_report_format f, FILE *fp)
{
    switch (f) {
    case GR_FMT_TABLE:
        print_table(r, fp);
        break;
    case GR_FMT_MARKDOWN:
        print_markdown(r, fp);
        break;
    case GR_FMT_JSON:
        if (print_json(r, fp) < 0) {
            return -1;
        }
        break;
    case GR_FMT_JUNIT:
        print_junit(r, fp);
        break;
    case GR_FMT_GITHUB:
        print_github(r, fp);
        break;
    }
    return ferror(fp) ? -1 : 0;
}
