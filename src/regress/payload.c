/*
 * payload.c - the result `grregress post` reads and the payloads it
 * sends (see payload.h).
 *
 * A compare result is read back into a struct gr_report (decide.h), so
 * the GitHub comment is exactly format.c's Markdown: gr_report_print
 * writes it into an open_memstream buffer.  A run file is read by
 * gr_run_parse (runfile.h) and validated there.  JSON payloads are built
 * with cJSON (each cJSON_Add*ToObject hands the new item to its parent,
 * so the root owns the tree and one cJSON_Delete frees it); cJSON's
 * printed text is copied into gr_malloc'ed memory so every payload is
 * freed with gr_free.
 */
#include "config.h"
#include "regress/payload.h"
#include "common/json_text.h"
#include "common/hash.h"
#include "common/mem.h"
#include "profiler/cli.h"   /* gr_fmt_double */

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STATUS_CONTEXT "grperf/regress"
#define STATUS_MAX 140           /* GitHub's limit on a status description */
#define SLACK_MAX_ROWS 10        /* benchmarks listed by name in Slack */

/* ---- growable string ----------------------------------------------------- */

void gr_pbuf_add(struct gr_pbuf *b, const char *s, size_t n)
{
    if (b->failed) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        p = gr_realloc(b->data, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gr_pbuf_puts(struct gr_pbuf *b, const char *s)
{
    gr_pbuf_add(b, s, strlen(s));
}

void gr_pbuf_printf(struct gr_pbuf *b, const char *fmt, ...)
{
    char small[256], *big;
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        gr_pbuf_add(b, small, (size_t)n);
        return;
    }
    big = gr_malloc((size_t)n + 1);
    if (!big) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    gr_pbuf_add(b, big, (size_t)n);
    gr_free(big);
}

char *gr_pbuf_take(struct gr_pbuf *b)
{
    char *s;
    if (!b->failed && !b->data) {
        gr_pbuf_add(b, "", 0);
    }
    if (b->failed) {
        gr_pbuf_free(b);
        return NULL;
    }
    s = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void gr_pbuf_free(struct gr_pbuf *b)
{
    gr_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- escaping ------------------------------------------------------------- */

/* Whether c is written escaped in `part` (outside string values). */
static int lp_special(enum gr_lp_part part, char c)
{
    return c == ' ' || c == ',' || c == '\n' || c == '\r' || c == '\t'
           || (c == '=' && part == GR_LP_TAG);
}

void gr_lp_escape(struct gr_pbuf *b, enum gr_lp_part part, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (part == GR_LP_STRING && (c == '\\' || c == '"')) {
            gr_pbuf_add(b, "\\", 1);
            gr_pbuf_add(b, &c, 1);
        } else if (c == '\\') {
            /* literal, unless it would escape what follows (see payload.h) */
            gr_pbuf_add(b, s[1] == '\0' || lp_special(part, s[1]) ? "/" : "\\", 1);
        } else if (part == GR_LP_STRING) {
            gr_pbuf_add(b, &c, 1);
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            gr_pbuf_puts(b, "\\ ");
        } else if (c == ',' || (c == '=' && part == GR_LP_TAG)) {
            gr_pbuf_add(b, "\\", 1);
            gr_pbuf_add(b, &c, 1);
        } else {
            gr_pbuf_add(b, &c, 1);
        }
    }
}

void gr_slack_escape(struct gr_pbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': gr_pbuf_puts(b, "&amp;"); break;
        case '<': gr_pbuf_puts(b, "&lt;"); break;
        case '>': gr_pbuf_puts(b, "&gt;"); break;
        default: gr_pbuf_add(b, s, 1);
        }
    }
}

/* ---- time and keys ------------------------------------------------------------ */

int64_t gr_payload_parse_time(const char *iso)
{
    struct tm tm;
    int y, mo, d, h, mi, n = 0;
    double sec;
    const char *p;
    time_t t;
    if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6
        || n < 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
        || !(sec >= 0 && sec < 61)) {
        return -1;
    }
    p = iso + n;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = (int)sec;
    t = timegm(&tm);
    if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || p[6] != '\0') {
            return -1;
        }
        t -= (*p == '+' ? 1 : -1) * (time_t)(oh * 3600 + om * 60);
    } else if (strcmp(p, "Z") != 0) {
        return -1;
    }
    return (int64_t)t * 1000000000 + (int64_t)llround((sec - (int)sec) * 1e9);
}

void gr_payload_key(const char *kind, const char *url, const char *body, size_t len,
                    char key[33])
{
    uint64_t h[2];
    int i;
    for (i = 0; i < 2; i++) {
        gr_hash st;
        /* the NUL separators keep ("ab","c") apart from ("a","bc") */
        gr_hash_init(&st, 0x6772706572662d31ULL + (uint64_t)i * 0x9e3779b97f4a7c15ULL);
        gr_hash_update(&st, kind, strlen(kind) + 1);
        gr_hash_update(&st, url, strlen(url) + 1);
        gr_hash_update(&st, body, len);
        h[i] = gr_hash_final(&st);
    }
    snprintf(key, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

/* ---- reading a compare result ----------------------------------------------------- */

static const cJSON *member(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A number, or NAN for null / absent; -1 when present but neither. */
static int get_num(const cJSON *o, const char *k, double *out)
{
    const cJSON *v = member(o, k);
    if (!v || cJSON_IsNull(v)) {
        *out = NAN;
        return 0;
    }
    if (!cJSON_IsNumber(v)) {
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

/* A string, or NULL for null / absent; -1 when present but neither. */
static int get_str(const cJSON *o, const char *k, const char **out)
{
    const cJSON *v = member(o, k);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        return 0;
    }
    if (!cJSON_IsString(v)) {
        return -1;
    }
    *out = v->valuestring;
    return 0;
}

/* GR_ERR_FORMAT: "LABEL: " and the message. */
static int bad(gr_error *err, const char *label, const char *fmt, ...) GR_PRINTF(3, 4);
static int bad(gr_error *err, const char *label, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gr_err(err, GR_ERR_FORMAT, "%s: %s", label, msg);
}

/* One row of "benchmarks"; `at` names it in messages ("benchmarks[2]"). */
static int parse_row(const cJSON *b, const char *label, const char *at,
                     struct gr_cmp_row *x, gr_error *err)
{
    static const char *const nums[] = {"threshold", "baseline", "current", "change",
                                       "p", "q"};
    double *dst[6];
    const cJSON *v;
    const char *s;
    size_t k;
    int found = 0;
    dst[0] = &x->threshold;
    dst[1] = &x->base;
    dst[2] = &x->cur;
    dst[3] = &x->change;
    dst[4] = &x->p;
    dst[5] = &x->q;
    if (!cJSON_IsObject(b)) {
        return bad(err, label, "%s: expected an object", at);
    }
    if (get_str(b, "name", &x->name) < 0 || !x->name || !x->name[0]) {
        return bad(err, label, "%s.name: expected a non-empty string", at);
    }
    if (get_str(b, "verdict", &s) < 0 || !s) {
        return bad(err, label, "%s.verdict: expected a string", at);
    }
    for (k = 0; k < GR_V_COUNT; k++) {
        if (strcmp(s, gr_verdict_name((enum gr_verdict)k)) == 0) {
            x->verdict = (enum gr_verdict)k;
            found = 1;
        }
    }
    if (!found) {
        return bad(err, label, "%s.verdict: unknown verdict '%s'", at, s);
    }
    if (get_str(b, "reason", &x->reason) < 0) {
        return bad(err, label, "%s.reason: expected a string or null", at);
    }
    if (get_str(b, "direction", &s) < 0 || (s && strcmp(s, "lower") && strcmp(s, "higher"))) {
        return bad(err, label, "%s.direction: expected \"lower\" or \"higher\"", at);
    }
    x->lower_is_better = !s || strcmp(s, "lower") == 0;
    for (k = 0; k < 6; k++) {
        if (get_num(b, nums[k], dst[k]) < 0) {
            return bad(err, label, "%s.%s: expected a number or null", at, nums[k]);
        }
    }
    x->change_lo = x->change_hi = NAN;
    v = member(b, "change_ci");
    if (v && !cJSON_IsNull(v)) {
        int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1;
        if ((n != 0 && n != 2)
            || (n == 2 && (!cJSON_IsNumber(cJSON_GetArrayItem(v, 0))
                           || !cJSON_IsNumber(cJSON_GetArrayItem(v, 1))))) {
            return bad(err, label, "%s.change_ci: expected [] or [low, high]", at);
        }
        if (n == 2) {
            x->change_lo = cJSON_GetArrayItem(v, 0)->valuedouble;
            x->change_hi = cJSON_GetArrayItem(v, 1)->valuedouble;
        }
    }
    {
        double br, cr, bv, cv;
        if (get_num(b, "baseline_rounds", &br) < 0 || get_num(b, "current_rounds", &cr) < 0
            || get_num(b, "baseline_version", &bv) < 0
            || get_num(b, "current_version", &cv) < 0) {
            return bad(err, label, "%s: rounds and versions must be numbers", at);
        }
        x->base_rounds = br >= 0 ? (size_t)br : 0;
        x->cur_rounds = cr >= 0 ? (size_t)cr : 0;
        x->base_version = bv >= 0 ? (int64_t)bv : -1;
        x->cur_version = cv >= 0 ? (int64_t)cv : -1;
    }
    if (get_str(b, "baseline_checksum", &x->base_checksum) < 0
        || get_str(b, "current_checksum", &x->cur_checksum) < 0) {
        return bad(err, label, "%s: checksums must be strings or null", at);
    }
    return GR_OK;
}

static int parse_compare(struct gr_presult *r, const char *label, gr_error *err)
{
    const cJSON *root = r->json, *m, *arr, *b, *cm;
    struct gr_report *rep = &r->rep;
    const char *s, *fin;
    size_t i = 0;
    int rc;
    if (get_str(root, "baseline", &rep->base_label) < 0
        || get_str(root, "current", &rep->cur_label) < 0) {
        return bad(err, label, "baseline, current: expected strings");
    }
    if (get_str(root, "metric", &s) < 0 || !s
        || (strcmp(s, "time") != 0 && strcmp(s, "instructions") != 0)) {
        return bad(err, label, "metric: expected \"time\" or \"instructions\"");
    }
    rep->metric = strcmp(s, "time") == 0 ? GR_METRIC_TIME : GR_METRIC_INSTRUCTIONS;
    if (get_num(root, "threshold", &rep->threshold) < 0
        || get_num(root, "alpha", &rep->alpha) < 0) {
        return bad(err, label, "threshold, alpha: expected numbers");
    }
    m = member(root, "machine");
    if (!cJSON_IsObject(m) || !cJSON_IsBool(member(m, "match"))
        || get_str(m, "baseline_hash", &rep->base_hash) < 0
        || get_str(m, "current_hash", &rep->cur_hash) < 0) {
        return bad(err, label, "machine: expected {match, baseline_hash, current_hash}");
    }
    rep->machine_match = cJSON_IsTrue(member(m, "match"));
    r->machine = rep->cur_hash;
    m = member(root, "summary");
    if (!cJSON_IsObject(m) || get_num(m, "geomean_change", &rep->geomean) < 0) {
        return bad(err, label, "summary: expected an object with geomean_change");
    }
    arr = member(root, "benchmarks");
    if (!cJSON_IsArray(arr)) {
        return bad(err, label, "benchmarks: expected an array");
    }
    rep->n = (size_t)cJSON_GetArraySize(arr);
    rep->res = gr_calloc(rep->n ? rep->n : 1, sizeof *rep->res);
    if (!rep->res) {
        return gr_err_nomem(err, "compare result");
    }
    cJSON_ArrayForEach(b, arr) {
        char at[48];
        snprintf(at, sizeof at, "benchmarks[%zu]", i);
        rc = parse_row(b, label, at, &rep->res[i], err);
        if (rc < 0) {
            return rc;
        }
        rep->count[rep->res[i].verdict]++;
        rep->compared += !isnan(rep->res[i].change);
        i++;
    }
    /* optional, for results that carry their commit */
    cm = member(root, "commit");
    if (cm && !cJSON_IsNull(cm)) {
        if (!cJSON_IsObject(cm) || get_str(cm, "sha", &r->sha) < 0
            || get_str(cm, "branch", &r->branch) < 0) {
            return bad(err, label, "commit: expected {\"sha\": ..., \"branch\": ...}");
        }
    }
    /* optional: when the current run ended, the time of its points */
    if (get_str(root, "finished", &fin) < 0) {
        return bad(err, label, "finished: expected a UTC time string");
    }
    if (fin && (r->time_ns = gr_payload_parse_time(fin)) < 0) {
        return bad(err, label, "finished: '%s' is not a UTC time like "
                               "2026-11-26T08:00:00Z", fin);
    }
    return GR_OK;
}

int gr_presult_parse(const char *text, size_t len, const char *label,
                    struct gr_presult **out, gr_error *err)
{
    struct gr_presult *r;
    const char *schema;
    int rc;
    *out = NULL;
    r = gr_calloc(1, sizeof *r);
    if (!r) {
        return gr_err_nomem(err, "result");
    }
    if ((rc = gr_json_parse(text, len, label, &r->json, err)) < 0) {
        gr_free(r);
        return rc;
    }
    if (!cJSON_IsObject(r->json) || get_str(r->json, "schema", &schema) < 0 || !schema) {
        rc = bad(err, label, "schema: missing (expected \"grperf.compare/1\" or "
                             "\"grperf.run/1\")");
        goto fail;
    }
    if (strcmp(schema, GR_RUN_SCHEMA) == 0) {
        r->kind = GR_PRESULT_RUN;
        cJSON_Delete(r->json);
        r->json = NULL;
        TRY(gr_run_parse(text, len, label, &r->run, err));
        if (r->run->commit.available) {
            r->sha = r->run->commit.sha;
            r->branch = r->run->commit.branch;
        }
        r->machine = r->run->machine.hash;
        r->time_ns = gr_payload_parse_time(r->run->finished);
        if (r->time_ns < 0) {
            r->time_ns = 0;
        }
    } else if (strcmp(schema, "grperf.compare/1") == 0) {
        r->kind = GR_PRESULT_COMPARE;
        TRY(parse_compare(r, label, err));
    } else {
        rc = bad(err, label, "schema: expected \"grperf.compare/1\" or \"grperf.run/1\", "
                             "got \"%.64s\"", schema);
        goto fail;
    }
    *out = r;
    return GR_OK;
fail:
    gr_presult_free(&r);
    return rc;
}

void gr_presult_free(struct gr_presult **pr)
{
    struct gr_presult *r = pr ? *pr : NULL;
    if (!r) {
        return;
    }
    gr_report_free(&r->rep);
    cJSON_Delete(r->json);
    gr_run_free(&r->run);
    gr_free(r);
    *pr = NULL;
}

int gr_presult_failed(const struct gr_presult *r)
{
    return r->kind == GR_PRESULT_COMPARE && gr_report_failed(&r->rep);
}

/* ---- shared pieces ---------------------------------------------------------------- */

/* The benchmark's group: a run file says it; a compare result does not,
 * so it is the name's first path component ("algorithms/bfs/native"). */
static void group_of(const char *name, char *buf, size_t n)
{
    const char *slash = strchr(name, '/');
    size_t len = slash ? (size_t)(slash - name) : strlen(name);
    snprintf(buf, n, "%.*s", (int)(len < n ? len : n - 1), name);
}

static const char *short_sha(const char *sha, char *buf)
{
    snprintf(buf, 13, "%.12s", sha);
    if (strlen(buf) > 7) {
        buf[7] = '\0';
    }
    return buf;
}

/* cJSON text -> gr_malloc'ed copy; the tree is deleted. */
static int take_json(cJSON *root, char **out, gr_error *err)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    *out = text ? gr_strdup(text) : NULL;
    if (text) {
        cJSON_free(text);
    }
    return *out ? GR_OK : gr_err_nomem(err, "payload");
}

static const char *pct(double x, char *buf, size_t n)
{
    if (isfinite(x)) {
        snprintf(buf, n, "%+.1f%%", 100.0 * x);
    } else {
        snprintf(buf, n, "-");
    }
    return buf;
}

/* Verdicts that fail the gate, each listed by name in Slack. */
static int row_fails(enum gr_verdict v)
{
    return v == GR_V_REGRESSION || v == GR_V_CHECKSUM || v == GR_V_FAILED;
}

/* "1 regression, 0 checksum mismatches[, 1 failed], 2 improvements, 0 noisy" */
static void failing_counts(const struct gr_report *rep, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%zu regression%s, %zu checksum mismatch%s",
                     rep->count[GR_V_REGRESSION], rep->count[GR_V_REGRESSION] == 1 ? "" : "s",
                     rep->count[GR_V_CHECKSUM], rep->count[GR_V_CHECKSUM] == 1 ? "" : "es");
    if (rep->count[GR_V_FAILED] > 0 && w > 0 && (size_t)w < n) {
        snprintf(buf + w, n - (size_t)w, ", %zu failed", rep->count[GR_V_FAILED]);
    }
}

/* "1 regression, 0 checksum mismatches, 2 improvements, 0 noisy of 6
 * compared; geomean +1.2%" */
static void compare_summary(const struct gr_report *rep, char *buf, size_t n)
{
    char g[32], f[128];
    failing_counts(rep, f, sizeof f);
    snprintf(buf, n, "%s, %zu improvement%s, %zu noisy of %zu compared; geomean %s", f,
             rep->count[GR_V_IMPROVEMENT], rep->count[GR_V_IMPROVEMENT] == 1 ? "" : "s",
             rep->count[GR_V_NOISY], rep->compared, pct(rep->geomean, g, sizeof g));
}

/* ---- generic webhook ---------------------------------------------------------------- */

static void webhook_rows(const struct gr_presult *r, cJSON *arr)
{
    size_t i;
    char group[128];
    if (r->kind == GR_PRESULT_COMPARE) {
        for (i = 0; i < r->rep.n; i++) {
            const struct gr_cmp_row *x = &r->rep.res[i];
            cJSON *b = cJSON_CreateObject();
            if (!b) {
                return;
            }
            cJSON_AddItemToArray(arr, b);
            group_of(x->name, group, sizeof group);
            cJSON_AddStringToObject(b, "name", x->name);
            cJSON_AddStringToObject(b, "group", group);
            cJSON_AddStringToObject(b, "verdict", gr_verdict_name(x->verdict));
            gr_report_row_json(b, x);
        }
        return;
    }
    for (i = 0; i < r->run->nbench; i++) {
        const gr_run_bench *x = &r->run->bench[i];
        cJSON *b = cJSON_CreateObject(), *ci;
        if (!b) {
            return;
        }
        cJSON_AddItemToArray(arr, b);
        cJSON_AddStringToObject(b, "name", x->name);
        gr_json_add_str(b, "group", x->group);
        gr_json_add_str(b, "unit", x->unit);
        gr_json_add_num(b, "median", x->stats.median);
        ci = cJSON_AddArrayToObject(b, "ci");
        if (ci && isfinite(x->stats.ci_lo) && isfinite(x->stats.ci_hi)) {
            cJSON_AddItemToArray(ci, cJSON_CreateNumber(x->stats.ci_lo));
            cJSON_AddItemToArray(ci, cJSON_CreateNumber(x->stats.ci_hi));
        }
        gr_json_add_num(b, "mean", x->stats.mean);
        gr_json_add_num(b, "stddev", x->stats.stddev);
        cJSON_AddNumberToObject(b, "samples", (double)x->nsamples);
    }
}

int gr_payload_webhook(const struct gr_presult *r, const struct gr_payload_ctx *c,
                       const char *key, char **out, gr_error *err)
{
    cJSON *root = cJSON_CreateObject(), *o, *arr;
    size_t v;
    *out = NULL;
    if (!root) {
        return gr_err_nomem(err, "payload");
    }
    cJSON_AddStringToObject(root, "schema", "grperf.post/1");
    cJSON_AddStringToObject(root, "kind", r->kind == GR_PRESULT_COMPARE ? "compare" : "run");
    if (c->sha || c->branch) {
        o = cJSON_AddObjectToObject(root, "commit");
        if (o) {
            gr_json_add_str(o, "sha", c->sha);
            gr_json_add_str(o, "branch", c->branch);
        }
    } else {
        cJSON_AddNullToObject(root, "commit");
    }
    gr_json_add_str(root, "machine", c->machine);
    if (r->kind == GR_PRESULT_COMPARE) {
        cJSON_AddStringToObject(root, "verdict", gr_presult_failed(r) ? "fail" : "pass");
        o = cJSON_AddObjectToObject(root, "summary");
        if (o) {
            for (v = 0; v < GR_V_COUNT; v++) {
                cJSON_AddNumberToObject(o, gr_verdict_name((enum gr_verdict)v),
                                        (double)r->rep.count[v]);
            }
            cJSON_AddNumberToObject(o, "compared", (double)r->rep.compared);
            gr_json_add_num(o, "geomean_change", r->rep.geomean);
        }
    } else {
        cJSON_AddNullToObject(root, "verdict");
        o = cJSON_AddObjectToObject(root, "summary");
        if (o) {
            cJSON_AddNumberToObject(o, "benchmarks", (double)r->run->nbench);
        }
    }
    arr = cJSON_AddArrayToObject(root, "benchmarks");
    if (arr) {
        webhook_rows(r, arr);
    }
    cJSON_AddStringToObject(root, "idempotency_key", key);
    return take_json(root, out, err);
}

/* ---- Slack ------------------------------------------------------------------------------- */

int gr_payload_slack(const struct gr_presult *r, const struct gr_payload_ctx *c, char **out,
                     gr_error *err)
{
    struct gr_pbuf t = {0};
    cJSON *root;
    char line[512], s7[16], ch[32], lo[32], hi[32];
    size_t i, listed = 0, bad_rows = 0;
    *out = NULL;
    if (r->kind == GR_PRESULT_COMPARE) {
        const struct gr_report *rep = &r->rep;
        if (gr_presult_failed(r)) {
            failing_counts(rep, line, sizeof line);
            gr_pbuf_printf(&t, ":x: *grperf*: %s", line);
        } else {
            gr_pbuf_puts(&t, ":white_check_mark: *grperf*: no regression");
        }
    } else {
        gr_pbuf_printf(&t, ":bar_chart: *grperf run*: %zu benchmark%s", r->run->nbench,
                       r->run->nbench == 1 ? "" : "s");
    }
    if (c->sha) {
        gr_pbuf_puts(&t, " at `");
        gr_slack_escape(&t, short_sha(c->sha, s7));
        gr_pbuf_puts(&t, "`");
    }
    if (c->branch) {
        gr_pbuf_puts(&t, " on `");
        gr_slack_escape(&t, c->branch);
        gr_pbuf_puts(&t, "`");
    }
    if (c->machine) {
        gr_pbuf_puts(&t, " (machine ");
        gr_slack_escape(&t, c->machine);
        gr_pbuf_puts(&t, ")");
    }
    gr_pbuf_puts(&t, "\n");
    if (r->kind == GR_PRESULT_COMPARE) {
        for (i = 0; i < r->rep.n; i++) {
            const struct gr_cmp_row *x = &r->rep.res[i];
            if (!row_fails(x->verdict)) {
                continue;
            }
            if (listed++ == SLACK_MAX_ROWS) {
                continue;
            }
            bad_rows++;
            gr_pbuf_puts(&t, "\xe2\x80\xa2 `");
            gr_slack_escape(&t, x->name);
            if (x->verdict == GR_V_CHECKSUM) {
                gr_pbuf_puts(&t, "`: checksum mismatch (correctness failure)\n");
            } else if (x->verdict != GR_V_REGRESSION) {
                gr_pbuf_printf(&t, "`: %s\n", gr_verdict_name(x->verdict));
            } else {
                gr_pbuf_printf(&t, "`: %s [%s, %s]\n", pct(x->change, ch, sizeof ch),
                               pct(x->change_lo, lo, sizeof lo),
                               pct(x->change_hi, hi, sizeof hi));
            }
        }
        if (listed > bad_rows) {
            gr_pbuf_printf(&t, "\xe2\x80\xa2 \xe2\x80\xa6 and %zu more\n", listed - bad_rows);
        }
        compare_summary(&r->rep, line, sizeof line);
        gr_slack_escape(&t, line);
        if (!r->rep.machine_match) {
            gr_pbuf_puts(&t, "\n:warning: machine fingerprints differ: timings may not "
                             "be comparable");
        }
    } else {
        gr_pbuf_puts(&t, "suite ");
        gr_slack_escape(&t, r->run->config.suite ? r->run->config.suite : "?");
        gr_pbuf_printf(&t, ", %lld rounds", (long long)r->run->config.rounds);
    }
    if (t.failed) {
        gr_pbuf_free(&t);
        return gr_err_nomem(err, "payload");
    }
    root = cJSON_CreateObject();
    if (root) {
        cJSON_AddStringToObject(root, "text", t.data);
    }
    gr_pbuf_free(&t);
    return take_json(root, out, err);
}

/* ---- GitHub ------------------------------------------------------------------------------ */

int gr_payload_github_status(const struct gr_presult *r, const struct gr_payload_ctx *c,
                             char **out, gr_error *err)
{
    cJSON *root;
    char desc[256];
    size_t n;
    *out = NULL;
    if (r->kind != GR_PRESULT_COMPARE) {
        return gr_err(err, GR_ERR_INVALID, "a commit status needs a compare result, "
                                           "not a run file");
    }
    compare_summary(&r->rep, desc, sizeof desc);
    /* at most STATUS_MAX characters; ours are ASCII but names may not
     * be: never cut inside a UTF-8 sequence */
    n = strlen(desc);
    if (n > STATUS_MAX) {
        n = STATUS_MAX - 3;
        while (n > 0 && ((unsigned char)desc[n] & 0xC0) == 0x80) {
            n--;
        }
        memcpy(desc + n, "...", 4);
    }
    root = cJSON_CreateObject();
    if (root) {
        cJSON_AddStringToObject(root, "state", gr_presult_failed(r) ? "failure" : "success");
        cJSON_AddStringToObject(root, "context", STATUS_CONTEXT);
        cJSON_AddStringToObject(root, "description", desc);
        if (c->run_url) {
            cJSON_AddStringToObject(root, "target_url", c->run_url);
        }
    }
    return take_json(root, out, err);
}

int gr_payload_github_comment(const struct gr_presult *r, const struct gr_payload_ctx *c,
                              char **out, gr_error *err)
{
    char *md = NULL, s7[16];
    size_t len = 0;
    FILE *fp;
    struct gr_pbuf t = {0};
    cJSON *root;
    int bad_write;
    *out = NULL;
    if (r->kind != GR_PRESULT_COMPARE) {
        return gr_err(err, GR_ERR_INVALID, "a PR comment needs a compare result, "
                                           "not a run file");
    }
    fp = open_memstream(&md, &len); /* md is malloc'ed by stdio: free() it */
    if (!fp) {
        return gr_err_nomem(err, "payload");
    }
    bad_write = gr_report_print(&r->rep, GR_FMT_MARKDOWN, fp) < 0;
    if (fclose(fp) != 0 || bad_write || !md) {
        free(md);
        return gr_err_nomem(err, "payload");
    }
    /* a marker so a later run (cmd_post.c) can find and update the comment */
    gr_pbuf_puts(&t, GR_PAYLOAD_COMMENT_MARKER "\n");
    gr_pbuf_add(&t, md, len);
    free(md);
    if (c->sha) {
        gr_pbuf_printf(&t, "\n<sub>grregress, commit %s%s%s</sub>\n",
                       short_sha(c->sha, s7), c->branch ? " on " : "",
                       c->branch ? c->branch : "");
    }
    if (t.failed) {
        gr_pbuf_free(&t);
        return gr_err_nomem(err, "payload");
    }
    root = cJSON_CreateObject();
    if (root) {
        cJSON_AddStringToObject(root, "body", t.data);
    }
    gr_pbuf_free(&t);
    return take_json(root, out, err);
}

/* ---- InfluxDB line protocol ------------------------------------------------------------------ */

static void lp_tag(struct gr_pbuf *b, const char *key, const char *value)
{
    if (value && value[0]) {
        gr_pbuf_puts(b, ",");
        gr_lp_escape(b, GR_LP_TAG, key);
        gr_pbuf_puts(b, "=");
        gr_lp_escape(b, GR_LP_TAG, value);
    }
}

/* A float field; NaN and infinities (which line protocol cannot carry)
 * are left out.  *first tracks the separator. */
static void lp_num(struct gr_pbuf *b, int *first, const char *key, double v)
{
    if (isfinite(v)) {
        gr_pbuf_puts(b, *first ? " " : ",");
        gr_lp_escape(b, GR_LP_TAG, key);
        char num[40];
        gr_pbuf_printf(b, "=%s", gr_fmt_double(v, num, sizeof num));
        *first = 0;
    }
}

static void lp_int(struct gr_pbuf *b, int *first, const char *key, long long v)
{
    gr_pbuf_puts(b, *first ? " " : ",");
    gr_lp_escape(b, GR_LP_TAG, key);
    gr_pbuf_printf(b, "=%lldi", v);
    *first = 0;
}

static void lp_str(struct gr_pbuf *b, int *first, const char *key, const char *v)
{
    if (v) {
        gr_pbuf_puts(b, *first ? " " : ",");
        gr_lp_escape(b, GR_LP_TAG, key);
        gr_pbuf_puts(b, "=\"");
        gr_lp_escape(b, GR_LP_STRING, v);
        gr_pbuf_puts(b, "\"");
        *first = 0;
    }
}

/* Measurement and tags (sorted by key, as InfluxDB prefers). */
static void lp_head(struct gr_pbuf *b, const char *name, const char *group,
                    const struct gr_payload_ctx *c)
{
    gr_lp_escape(b, GR_LP_MEASUREMENT, "grperf");
    lp_tag(b, "benchmark", name);
    lp_tag(b, "branch", c->branch);
    lp_tag(b, "group", group);
    lp_tag(b, "machine", c->machine);
}

int gr_payload_influx(const struct gr_presult *r, const struct gr_payload_ctx *c,
                      char **out, gr_error *err)
{
    struct gr_pbuf b = {0};
    char group[128];
    size_t i;
    int first;
    *out = NULL;
    if (r->kind == GR_PRESULT_COMPARE) {
        for (i = 0; i < r->rep.n; i++) {
            const struct gr_cmp_row *x = &r->rep.res[i];
            group_of(x->name, group, sizeof group);
            lp_head(&b, x->name, group, c);
            first = 1;
            lp_str(&b, &first, "verdict", gr_verdict_name(x->verdict));
            lp_num(&b, &first, "median", x->cur);
            lp_num(&b, &first, "baseline", x->base);
            lp_num(&b, &first, "change", x->change);
            lp_num(&b, &first, "ci_lo", x->change_lo);
            lp_num(&b, &first, "ci_hi", x->change_hi);
            lp_num(&b, &first, "p", x->p);
            lp_num(&b, &first, "q", x->q);
            lp_num(&b, &first, "threshold", x->threshold);
            lp_int(&b, &first, "regression", x->verdict == GR_V_REGRESSION);
            lp_str(&b, &first, "commit", c->sha);
            gr_pbuf_printf(&b, " %lld\n", (long long)c->time_ns);
        }
    } else {
        for (i = 0; i < r->run->nbench; i++) {
            const gr_run_bench *x = &r->run->bench[i];
            const gr_stats *s = &x->stats;
            lp_head(&b, x->name, x->group, c);
            first = 1;
            lp_num(&b, &first, "median", s->median);
            lp_num(&b, &first, "ci_lo", s->ci_lo);
            lp_num(&b, &first, "ci_hi", s->ci_hi);
            lp_num(&b, &first, "mean", s->mean);
            lp_num(&b, &first, "stddev", s->stddev);
            lp_num(&b, &first, "mad", s->mad);
            lp_num(&b, &first, "min", s->min);
            lp_num(&b, &first, "p95", s->p95);
            lp_num(&b, &first, "instructions", x->instructions);
            lp_int(&b, &first, "samples", (long long)x->nsamples);
            lp_int(&b, &first, "version", (long long)x->version);
            lp_str(&b, &first, "commit", c->sha);
            gr_pbuf_printf(&b, " %lld\n", (long long)c->time_ns);
        }
    }
    *out = gr_pbuf_take(&b);
    return *out ? GR_OK : gr_err_nomem(err, "payload");
}
