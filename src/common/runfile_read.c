/*
 * runfile_read.c - reading and validating run files (docs/run-schema.md,
 * "grperf.run/1") into a gr_run (runfile.h).  grregress reads every run
 * file through here; the writer (runfile_write.c) owns gr_run_free.
 *
 * The text is parsed with cJSON, then walked field by field in the order
 * of the schema document; the first violation ends the walk with one line
 * "PATH: FIELD: problem" (the field as a JSON path such as
 * benchmarks[3].samples[7]).  Text that is not JSON is reported at its
 * line and column.  Unknown fields are ignored (the schema says so).
 * Files over GR_RUN_MAX_BYTES are refused before they are read.
 */
#include "config.h"
#include "common/runfile.h"
#include "common/json_text.h"
#include "common/error.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GR_RUN_MAX_BYTES ((size_t)256 << 20) /* refuse larger files */
#define FIELD_MAX 160                          /* a field path's length */
#define STATS_TOL 1e-6                         /* stats vs samples, relative */

/* The walk's context: where messages go and what they name. */
struct rd {
    const char *path;        /* file name for messages */
    gr_error *err;           /* the caller's error record */
};

static int fail(struct rd *c, const char *field, const char *fmt, ...)
    GR_PRINTF(3, 4);

/* Report "PATH: FIELD: problem" as GR_ERR_FORMAT, on one line: control
 * characters of quoted values (a JSON string may hold "\n") are escaped
 * as \n, \r, \t or \xHH. */
static int fail(struct rd *c, const char *field, const char *fmt, ...)
{
    char raw[GR_ERROR_MSG_MAX - FIELD_MAX], msg[sizeof raw];
    size_t i, o = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    for (i = 0; raw[i] && o + 5 < sizeof msg; i++) {
        unsigned char ch = (unsigned char)raw[i];
        if (ch >= 0x20 && ch != 0x7f) {
            msg[o++] = (char)ch;
        } else if (ch == '\n' || ch == '\r' || ch == '\t') {
            msg[o++] = '\\';
            msg[o++] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
        } else {
            o += (size_t)snprintf(msg + o, sizeof msg - o, "\\x%02x", ch);
        }
    }
    msg[o] = '\0';
    return gr_err_at(c->err, GR_ERR_FORMAT, c->path, 0, 0, "%s: %s", field, msg);
}

/* "pfx.key" (or "key" at the top level) into buf. */
static const char *join(char *buf, const char *pfx, const char *key)
{
    /* a field path longer than FIELD_MAX is cut; the return value is
     * looked at so the compiler knows the cut is intended */
    if (snprintf(buf, FIELD_MAX, "%s%s%s", pfx, pfx[0] ? "." : "", key) < 0) {
        buf[0] = '\0';
    }
    return buf;
}

/* The member `key` of o, or an error "missing" / "expected TYPE". */
static int member(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                  int (*is)(const cJSON *), const char *what, const cJSON **out)
{
    char f[FIELD_MAX];
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it) {
        return fail(c, join(f, pfx, key), "missing");
    }
    if (!is(it)) {
        return fail(c, join(f, pfx, key), "expected %s", what);
    }
    *out = it;
    return GR_OK;
}

/* cJSON's type tests return cJSON_bool; adapt them to int. */
static int is_object(const cJSON *it) { return cJSON_IsObject(it) != 0; }
static int is_array(const cJSON *it) { return cJSON_IsArray(it) != 0; }
static int is_string(const cJSON *it) { return cJSON_IsString(it) != 0; }
static int is_number(const cJSON *it) { return cJSON_IsNumber(it) != 0; }
static int is_bool(const cJSON *it) { return cJSON_IsBool(it) != 0; }
static int is_string_or_null(const cJSON *it)
{
    return cJSON_IsString(it) || cJSON_IsNull(it);
}

static int get_obj(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                   const cJSON **out)
{
    return member(c, o, pfx, key, is_object, "an object", out);
}

static int get_arr(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                   const cJSON **out)
{
    return member(c, o, pfx, key, is_array, "an array", out);
}

/* A string member copied into *out; null allowed (-> NULL) when nullable. */
static int get_str(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                   int nullable, char **out)
{
    const cJSON *it = NULL;
    int rc = member(c, o, pfx, key, nullable ? is_string_or_null : is_string,
                    nullable ? "a string or null" : "a string", &it);
    if (rc < 0) {
        return rc;
    }
    if (cJSON_IsNull(it)) {
        *out = NULL;
        return GR_OK;
    }
    *out = gr_strdup(it->valuestring);
    return *out ? GR_OK : gr_err_nomem(c->err, "run file string");
}

/* A string of exactly `len` lowercase hex digits. */
static int get_hex(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                   size_t len, char **out)
{
    char f[FIELD_MAX];
    size_t i;
    int rc = get_str(c, o, pfx, key, 0, out);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; (*out)[i]; i++) {
        if (!strchr("0123456789abcdef", (*out)[i])) {
            break;
        }
    }
    if ((*out)[i] || i != len) {
        return fail(c, join(f, pfx, key), "expected %zu lowercase hex digits, got \"%.40s\"",
                    len, *out);
    }
    return GR_OK;
}

static int get_bool(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                    int *out)
{
    const cJSON *it = NULL;
    int rc = member(c, o, pfx, key, is_bool, "true or false", &it);
    if (rc == GR_OK) {
        *out = cJSON_IsTrue(it) != 0;
    }
    return rc;
}

/* Check that a number is an integer >= min; field names it. */
static int check_int(struct rd *c, const char *field, double v, int64_t min,
                     int64_t *out)
{
    if (!isfinite(v) || v != floor(v) || fabs(v) >= 9.2e18) {
        return fail(c, field, "expected an integer, got %.17g", v);
    }
    if ((int64_t)v < min) {
        return fail(c, field, "must be >= %lld, got %lld", (long long)min,
                    (long long)v);
    }
    *out = (int64_t)v;
    return GR_OK;
}

static int get_int(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                   int64_t min, int64_t *out)
{
    char f[FIELD_MAX];
    const cJSON *it = NULL;
    int rc = member(c, o, pfx, key, is_number, "an integer", &it);
    return rc < 0 ? rc : check_int(c, join(f, pfx, key), it->valuedouble, min, out);
}

/* A finite number >= min. */
static int get_num(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                   double min, double *out)
{
    char f[FIELD_MAX];
    const cJSON *it = NULL;
    int rc = member(c, o, pfx, key, is_number, "a number", &it);
    if (rc < 0) {
        return rc;
    }
    if (!isfinite(it->valuedouble)) {
        return fail(c, join(f, pfx, key), "not a finite number");
    }
    if (it->valuedouble < min) {
        return fail(c, join(f, pfx, key), "must be >= %g, got %.17g", min,
                    it->valuedouble);
    }
    *out = it->valuedouble;
    return GR_OK;
}

/* An array of exactly 3 finite numbers (load averages). */
static int get_num3(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                    double out[3])
{
    char f[FIELD_MAX], fi[FIELD_MAX + 8];
    const cJSON *a = NULL, *it = NULL;
    int rc = get_arr(c, o, pfx, key, &a), i = 0;
    if (rc < 0) {
        return rc;
    }
    join(f, pfx, key);
    if (cJSON_GetArraySize(a) != 3) {
        return fail(c, f, "expected 3 numbers, got %d", cJSON_GetArraySize(a));
    }
    cJSON_ArrayForEach(it, a) {
        if (snprintf(fi, sizeof fi, "%s[%d]", f, i) < 0) {
            fi[0] = '\0';
        }
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
            return fail(c, fi, "expected a finite number");
        }
        out[i++] = it->valuedouble;
    }
    return GR_OK;
}

/* An array of strings, copied. */
static int get_strs(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                    size_t *n, char ***out)
{
    char f[FIELD_MAX], fi[FIELD_MAX + 24];
    const cJSON *a = NULL, *it = NULL;
    size_t i = 0;
    int rc = get_arr(c, o, pfx, key, &a);
    if (rc < 0) {
        return rc;
    }
    join(f, pfx, key);
    *n = (size_t)cJSON_GetArraySize(a);
    *out = gr_calloc(*n ? *n : 1, sizeof **out);
    if (!*out) {
        *n = 0;
        return gr_err_nomem(c->err, "run file strings");
    }
    cJSON_ArrayForEach(it, a) {
        snprintf(fi, sizeof fi, "%s[%zu]", f, i);
        if (!cJSON_IsString(it)) {
            return fail(c, fi, "expected a string");
        }
        (*out)[i] = gr_strdup(it->valuestring);
        if (!(*out)[i]) {
            return gr_err_nomem(c->err, "run file strings");
        }
        i++;
    }
    return GR_OK;
}

/* An object (or any JSON value) as compact JSON text owned by gr_malloc. */
static int to_text(struct rd *c, const cJSON *it, char **out)
{
    char *s = cJSON_PrintUnformatted(it); /* cJSON's allocator: cJSON_free */
    if (!s) {
        return gr_err_nomem(c->err, "run file params");
    }
    *out = gr_strdup(s);
    cJSON_free(s);
    return *out ? GR_OK : gr_err_nomem(c->err, "run file params");
}

/* {"available": bool, "reason": string} */
static int read_avail(struct rd *c, const cJSON *o, const char *pfx, const char *key,
                      gr_run_counter_avail *out)
{
    char f[FIELD_MAX];
    const cJSON *a = NULL;
    int rc = get_obj(c, o, pfx, key, &a);
    if (rc < 0) {
        return rc;
    }
    join(f, pfx, key);
    rc = get_bool(c, a, f, "available", &out->available);
    return rc < 0 ? rc : get_str(c, a, f, "reason", 0, &out->reason);
}

static int read_commit(struct rd *c, const cJSON *root, gr_run_commit *k)
{
    const cJSON *o = NULL;
    int rc;
    TRY(get_obj(c, root, "", "commit", &o));
    TRY(get_bool(c, o, "commit", "available", &k->available));
    if (!k->available) {
        return get_str(c, o, "commit", "reason", 0, &k->reason);
    }
    TRY(get_hex(c, o, "commit", "sha", 40, &k->sha));
    TRY(get_str(c, o, "commit", "short", 0, &k->short_sha));
    TRY(get_str(c, o, "commit", "branch", 0, &k->branch));
    TRY(get_bool(c, o, "commit", "dirty", &k->dirty));
    TRY(get_str(c, o, "commit", "date", 0, &k->date));
    TRY(get_str(c, o, "commit", "subject", 0, &k->subject));
fail:
    return rc;
}

static int read_machine(struct rd *c, const cJSON *root, gr_run_machine *m)
{
    const cJSON *o = NULL;
    const char *p = "machine";
    int rc;
    TRY(get_obj(c, root, "", p, &o));
    TRY(get_str(c, o, p, "cpu_model", 0, &m->cpu_model));
    TRY(get_int(c, o, p, "cores_online", 1, &m->cores_online));
    TRY(get_bool(c, o, p, "smt", &m->smt));
    TRY(get_str(c, o, p, "governor", 1, &m->governor));
    TRY(get_str(c, o, p, "kernel", 0, &m->kernel));
    TRY(get_str(c, o, p, "arch", 0, &m->arch));
    TRY(get_int(c, o, p, "mem_total_bytes", 0, &m->mem_total_bytes));
    TRY(get_str(c, o, p, "compiler", 0, &m->compiler));
    TRY(get_str(c, o, p, "cflags", 0, &m->cflags));
    TRY(get_bool(c, o, p, "openmp", &m->openmp));
    TRY(get_num3(c, o, p, "load_start", m->load_start));
    TRY(get_num3(c, o, p, "load_end", m->load_end));
    TRY(get_hex(c, o, p, "hash", 16, &m->hash));
fail:
    return rc;
}

static int read_config(struct rd *c, const cJSON *root, gr_run_config *g)
{
    const cJSON *o = NULL;
    const char *p = "config";
    char f[FIELD_MAX];
    int rc;
    TRY(get_obj(c, root, "", p, &o));
    TRY(get_str(c, o, p, "suite", 0, &g->suite));
    if (strcmp(g->suite, "quick") && strcmp(g->suite, "default")
        && strcmp(g->suite, "full")) {
        return fail(c, join(f, p, "suite"),
                    "expected \"quick\", \"default\" or \"full\", got \"%.40s\"", g->suite);
    }
    TRY(get_str(c, o, p, "filter", 1, &g->filter));
    TRY(get_int(c, o, p, "rounds", 1, &g->rounds));
    TRY(get_int(c, o, p, "repeat", 1, &g->repeat));
    TRY(get_int(c, o, p, "warmup", 0, &g->warmup));
    TRY(get_num(c, o, p, "min_time", 0.0, &g->min_time));
    TRY(get_int(c, o, p, "threads", 1, &g->threads));
    TRY(get_int(c, o, p, "seed", INT64_MIN, &g->seed));
    TRY(get_bool(c, o, p, "instructions", &g->instructions));
    TRY(get_strs(c, o, p, "graphs", &g->ngraphs, &g->graphs));
    TRY(get_strs(c, o, p, "programs", &g->nprograms, &g->programs));
fail:
    return rc;
}

static int read_stats(struct rd *c, const cJSON *b, const char *pfx, size_t nsamples,
                      gr_stats *s)
{
    char p[FIELD_MAX], f[FIELD_MAX];
    const cJSON *o = NULL, *ci = NULL, *out = NULL;
    int64_t n, cnt[4];
    static const char *const tuk[4] = {"low_severe", "low_mild", "high_mild",
                                       "high_severe"};
    int rc, k;
    TRY(get_obj(c, b, pfx, "stats", &o));
    join(p, pfx, "stats");
    TRY(get_int(c, o, p, "n", 0, &n));
    if ((uint64_t)n != nsamples) {
        return fail(c, join(f, p, "n"), "is %lld but there are %zu samples",
                    (long long)n, nsamples);
    }
    s->n = (size_t)n;
    TRY(get_num(c, o, p, "min", 0.0, &s->min));
    TRY(get_num(c, o, p, "max", 0.0, &s->max));
    TRY(get_num(c, o, p, "median", 0.0, &s->median));
    TRY(get_num(c, o, p, "mean", 0.0, &s->mean));
    TRY(get_num(c, o, p, "stddev", 0.0, &s->stddev));
    TRY(get_num(c, o, p, "mad", 0.0, &s->mad));
    TRY(get_num(c, o, p, "p95", 0.0, &s->p95));
    TRY(get_num(c, o, p, "p99", 0.0, &s->p99));
    TRY(get_arr(c, o, p, "ci_median", &ci));
    if (cJSON_GetArraySize(ci) != 2 || !cJSON_IsNumber(cJSON_GetArrayItem(ci, 0))
        || !cJSON_IsNumber(cJSON_GetArrayItem(ci, 1))) {
        return fail(c, join(f, p, "ci_median"), "expected 2 numbers");
    }
    s->ci_lo = cJSON_GetArrayItem(ci, 0)->valuedouble;
    s->ci_hi = cJSON_GetArrayItem(ci, 1)->valuedouble;
    TRY(get_num(c, o, p, "ci_level", 0.0, &s->ci_level));
    TRY(get_obj(c, o, p, "outliers", &out));
    join(f, p, "outliers");
    for (k = 0; k < 4; k++) {
        TRY(get_int(c, out, f, tuk[k], 0, &cnt[k]));
    }
    s->low_severe = (size_t)cnt[0];
    s->low_mild = (size_t)cnt[1];
    s->high_mild = (size_t)cnt[2];
    s->high_severe = (size_t)cnt[3];
fail:
    return rc;
}

/* The stats block must describe the samples: min, median and max are
 * recomputed and compared (relative tolerance STATS_TOL, for writers that
 * print fewer digits). */
static int check_stats(struct rd *c, const char *pfx, const gr_run_bench *x)
{
    char f[FIELD_MAX];
    gr_stats s;
    const double have[3] = {x->stats.min, x->stats.median, x->stats.max};
    double want[3];
    static const char *const key[3] = {"stats.min", "stats.median", "stats.max"};
    int k;
    if (gr_stats_compute(x->samples, x->nsamples, &s) < 0) {
        return gr_err_nomem(c->err, "run file stats");
    }
    want[0] = s.min;
    want[1] = s.median;
    want[2] = s.max;
    for (k = 0; k < 3; k++) {
        if (fabs(have[k] - want[k]) > STATS_TOL * fabs(want[k])) {
            return fail(c, join(f, pfx, key[k]), "is %.17g but the samples give %.17g",
                        have[k], want[k]);
        }
    }
    return GR_OK;
}

/* The elements of array a (field f) into out, which has room for them all:
 * each a finite number >= 0 (what names one in the message: "negative
 * sample -1.5"). */
static int read_nonneg(struct rd *c, const cJSON *a, const char *f, const char *what,
                       double *out)
{
    char fi[FIELD_MAX + 24];
    const cJSON *it;
    size_t k = 0;
    cJSON_ArrayForEach(it, a) {
        snprintf(fi, sizeof fi, "%s[%zu]", f, k);
        if (!cJSON_IsNumber(it)) {
            return fail(c, fi, "expected a number");
        }
        if (!isfinite(it->valuedouble)) {
            return fail(c, fi, "not a finite number");
        }
        if (it->valuedouble < 0) {
            return fail(c, fi, "negative %s %g", what, it->valuedouble);
        }
        out[k++] = it->valuedouble;
    }
    return GR_OK;
}

/* The optional "contention" array: one finite number >= 0 per sample. */
static int read_contention(struct rd *c, const cJSON *b, const char *p, gr_run_bench *x)
{
    char f[FIELD_MAX];
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(b, "contention");
    if (!a || cJSON_IsNull(a)) {
        return GR_OK;
    }
    join(f, p, "contention");
    if (!cJSON_IsArray(a)) {
        return fail(c, f, "expected an array");
    }
    if ((size_t)cJSON_GetArraySize(a) != x->nsamples) {
        return fail(c, f, "has %d entries but there are %zu samples", cJSON_GetArraySize(a),
                    x->nsamples);
    }
    if (!(x->contention = gr_calloc(x->nsamples, sizeof *x->contention))) {
        return gr_err_nomem(c->err, "run file contention");
    }
    return read_nonneg(c, a, f, "contention", x->contention);
}

static int read_bench(struct rd *c, const cJSON *b, size_t i, int64_t nrounds,
                      gr_run_bench *x)
{
    char p[FIELD_MAX], f[FIELD_MAX], fi[FIELD_MAX + 24];
    const cJSON *params = NULL, *samples = NULL, *rounds = NULL, *it = NULL;
    const cJSON *counters = NULL, *ins = NULL, *metrics = NULL;
    char *dir = NULL;
    size_t k;
    int rc;
    snprintf(p, sizeof p, "benchmarks[%zu]", i);
    if (!cJSON_IsObject(b)) {
        return fail(c, p, "expected an object");
    }
    TRY(get_str(c, b, p, "name", 0, &x->name));
    if (!x->name[0]) {
        return fail(c, join(f, p, "name"), "empty");
    }
    TRY(get_str(c, b, p, "group", 0, &x->group));
    TRY(get_int(c, b, p, "version", 0, &x->version));
    TRY(get_obj(c, b, p, "params", &params));
    TRY(to_text(c, params, &x->params_json));
    TRY(get_str(c, b, p, "unit", 0, &x->unit));
    TRY(get_str(c, b, p, "direction", 0, &dir));
    if (strcmp(dir, "lower") == 0 || strcmp(dir, "higher") == 0) {
        x->lower_is_better = dir[0] == 'l';
        gr_free(dir);
    } else {
        rc = fail(c, join(f, p, "direction"), "expected \"lower\" or \"higher\", got \"%.40s\"",
                  dir);
        gr_free(dir);
        return rc;
    }
    TRY(get_int(c, b, p, "inner", 1, &x->inner));
    TRY(get_arr(c, b, p, "samples", &samples));
    TRY(get_arr(c, b, p, "rounds", &rounds));
    join(f, p, "samples");
    x->nsamples = (size_t)cJSON_GetArraySize(samples);
    if (x->nsamples == 0) {
        return fail(c, f, "empty (a benchmark needs at least one sample)");
    }
    if ((size_t)cJSON_GetArraySize(rounds) != x->nsamples) {
        return fail(c, join(f, p, "rounds"), "has %d entries but there are %zu samples",
                    cJSON_GetArraySize(rounds), x->nsamples);
    }
    x->samples = gr_calloc(x->nsamples, sizeof *x->samples);
    x->rounds = gr_calloc(x->nsamples, sizeof *x->rounds);
    if (!x->samples || !x->rounds) {
        return gr_err_nomem(c->err, "run file samples");
    }
    TRY(read_nonneg(c, samples, f, "sample", x->samples));
    join(f, p, "rounds");
    k = 0;
    cJSON_ArrayForEach(it, rounds) {
        snprintf(fi, sizeof fi, "%s[%zu]", f, k);
        if (!cJSON_IsNumber(it)) {
            return fail(c, fi, "expected an integer");
        }
        TRY(check_int(c, fi, it->valuedouble, 0, &x->rounds[k]));
        if (x->rounds[k] >= nrounds) {
            return fail(c, fi, "round %lld but config.rounds is %lld",
                        (long long)x->rounds[k], (long long)nrounds);
        }
        k++;
    }
    TRY(read_contention(c, b, p, x));
    TRY(read_stats(c, b, p, x->nsamples, &x->stats));
    TRY(check_stats(c, p, x));
    TRY(get_hex(c, b, p, "checksum", 16, &x->checksum));
    TRY(get_int(c, b, p, "peak_rss_bytes", 0, &x->peak_rss_bytes));
    TRY(get_obj(c, b, p, "counters", &counters));
    x->instructions = NAN;
    ins = cJSON_GetObjectItemCaseSensitive(counters, "instructions");
    if (ins) {
        join(f, p, "counters.instructions");
        if (!cJSON_IsNumber(ins) || !isfinite(ins->valuedouble) || ins->valuedouble < 0) {
            return fail(c, f, "expected a finite number >= 0");
        }
        x->instructions = ins->valuedouble;
    }
    metrics = cJSON_GetObjectItemCaseSensitive(b, "metrics");
    if (metrics) {
        if (!cJSON_IsObject(metrics)) {
            return fail(c, join(f, p, "metrics"), "expected an object");
        }
        TRY(to_text(c, metrics, &x->metrics_json));
    }
fail:
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    const gr_run_bench *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Benchmark names must be unique within a run. */
static int check_unique(struct rd *c, const gr_run *r)
{
    const gr_run_bench **v = gr_calloc(r->nbench, sizeof *v);
    size_t i;
    int rc = GR_OK;
    if (!v) {
        return gr_err_nomem(c->err, "run file names");
    }
    for (i = 0; i < r->nbench; i++) {
        v[i] = &r->bench[i];
    }
    qsort(v, r->nbench, sizeof *v, cmp_name);
    for (i = 1; i < r->nbench; i++) {
        if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
            char f[FIELD_MAX];
            snprintf(f, sizeof f, "benchmarks[%zu].name", (size_t)(v[i] - r->bench));
            rc = fail(c, f, "duplicate name \"%.80s\"", v[i]->name);
            break;
        }
    }
    gr_free(v);
    return rc;
}

/* failures[i]: {"name", "group", "version", "round", "reason"}; the name
 * must not also be a measured benchmark nor repeat an earlier failure. */
static int read_failure(struct rd *c, const cJSON *o, size_t i, const gr_run *r,
                        gr_run_failure *x)
{
    char p[FIELD_MAX], f[FIELD_MAX];
    size_t j;
    int rc;
    snprintf(p, sizeof p, "failures[%zu]", i);
    if (!cJSON_IsObject(o)) {
        return fail(c, p, "expected an object");
    }
    TRY(get_str(c, o, p, "name", 0, &x->name));
    if (!x->name[0]) {
        return fail(c, join(f, p, "name"), "empty");
    }
    if (gr_run_find(r, x->name)) {
        return fail(c, join(f, p, "name"), "\"%.80s\" is also in benchmarks (a benchmark "
                    "either has samples or failed)", x->name);
    }
    for (j = 0; j < i; j++) {
        if (strcmp(r->fail[j].name, x->name) == 0) {
            return fail(c, join(f, p, "name"), "duplicate name \"%.80s\"", x->name);
        }
    }
    TRY(get_str(c, o, p, "group", 0, &x->group));
    TRY(get_int(c, o, p, "version", 0, &x->version));
    TRY(get_int(c, o, p, "round", 0, &x->round));
    if (x->round >= r->config.rounds) {
        return fail(c, join(f, p, "round"), "round %lld but config.rounds is %lld",
                    (long long)x->round, (long long)r->config.rounds);
    }
    TRY(get_str(c, o, p, "reason", 0, &x->reason));
    if (!x->reason[0]) {
        return fail(c, join(f, p, "reason"), "empty");
    }
fail:
    return rc;
}

/* The optional top-level "failures" array (absent: no failures). */
static int read_failures(struct rd *c, const cJSON *root, gr_run *r)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "failures"), *it = NULL;
    size_t i = 0;
    int rc = GR_OK;
    if (!arr) {
        return GR_OK;
    }
    if (!cJSON_IsArray(arr)) {
        return fail(c, "failures", "expected an array");
    }
    if (cJSON_GetArraySize(arr) == 0) {
        return GR_OK;
    }
    r->fail = gr_calloc((size_t)cJSON_GetArraySize(arr), sizeof *r->fail);
    if (!r->fail) {
        return gr_err_nomem(c->err, "run file failures");
    }
    cJSON_ArrayForEach(it, arr) {
        r->nfail = i + 1; /* counted before reading so a failure frees it */
        TRY(read_failure(c, it, i, r, &r->fail[i]));
        i++;
    }
fail:
    return rc;
}

static int read_root(struct rd *c, const cJSON *root, gr_run *r)
{
    const cJSON *tool = NULL, *benches = NULL, *b = NULL, *counters = NULL;
    char *schema = NULL;
    size_t i;
    int rc;
    if (!cJSON_IsObject(root)) {
        return fail(c, "(top level)", "expected an object");
    }
    rc = get_str(c, root, "", "schema", 0, &schema);
    if (rc < 0) {
        return rc;
    }
    if (strcmp(schema, GR_RUN_SCHEMA) != 0) {
        rc = fail(c, "schema", "unsupported schema \"%.60s\" (expected \"" GR_RUN_SCHEMA "\")",
                  schema);
        gr_free(schema);
        return rc;
    }
    gr_free(schema);
    TRY(get_obj(c, root, "", "tool", &tool));
    TRY(get_str(c, tool, "tool", "name", 0, &r->tool_name));
    TRY(get_str(c, tool, "tool", "version", 0, &r->tool_version));
    TRY(read_commit(c, root, &r->commit));
    TRY(get_str(c, root, "", "started", 0, &r->started));
    TRY(get_str(c, root, "", "finished", 0, &r->finished));
    TRY(read_machine(c, root, &r->machine));
    TRY(read_config(c, root, &r->config));
    TRY(get_obj(c, root, "", "counters", &counters));
    TRY(read_avail(c, counters, "counters", "perf_instructions", &r->perf));
    TRY(read_avail(c, counters, "counters", "callgrind", &r->callgrind));
    TRY(get_arr(c, root, "", "benchmarks", &benches));
    if (cJSON_GetArraySize(benches) == 0) {
        return fail(c, "benchmarks", "empty (a run needs at least one benchmark)");
    }
    r->bench = gr_calloc((size_t)cJSON_GetArraySize(benches), sizeof *r->bench);
    if (!r->bench) {
        return gr_err_nomem(c->err, "run file benchmarks");
    }
    i = 0;
    cJSON_ArrayForEach(b, benches) {
        r->nbench = i + 1; /* counted before reading so a failure frees it */
        TRY(read_bench(c, b, i, r->config.rounds, &r->bench[i]));
        i++;
    }
    TRY(check_unique(c, r));
    TRY(read_failures(c, root, r));
fail:
    return rc;
}

int gr_run_parse(const char *text, size_t len, const char *path, gr_run **out,
                 gr_error *err)
{
    struct rd c;
    cJSON *root;
    gr_run *r;
    int rc;
    *out = NULL;
    c.path = path ? path : "(run file)";
    c.err = err;
    if (len > GR_RUN_MAX_BYTES) {
        return gr_err_at(err, GR_ERR_FORMAT, c.path, 0, 0,
                         "file too large (%zu bytes; at most 256 MiB)", len);
    }
    if ((rc = gr_json_parse(text, len, c.path, &root, err)) < 0) {
        return rc;
    }
    r = gr_calloc(1, sizeof *r);
    if (!r) {
        cJSON_Delete(root);
        return gr_err_nomem(err, "run file");
    }
    rc = read_root(&c, root, r);
    cJSON_Delete(root);
    if (rc < 0) {
        gr_run_free(&r);
        return rc;
    }
    *out = r;
    return GR_OK;
}

int gr_run_read(const char *path, gr_run **out, gr_error *err)
{
    FILE *fp;
    struct stat sb;
    char *text;
    size_t len;
    int rc;
    *out = NULL;
    fp = fopen(path, "rb");
    if (!fp) {
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    }
    if (fstat(fileno(fp), &sb) < 0 || S_ISDIR(sb.st_mode)) {
        int e = S_ISDIR(sb.st_mode) ? EISDIR : errno;
        fclose(fp);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
    }
    if ((unsigned long long)sb.st_size > GR_RUN_MAX_BYTES) {
        fclose(fp);
        return gr_err_at(err, GR_ERR_FORMAT, path, 0, 0,
                         "file too large (%lld bytes; at most 256 MiB)",
                         (long long)sb.st_size);
    }
    text = gr_malloc((size_t)sb.st_size + 1);
    if (!text) {
        fclose(fp);
        return gr_err_nomem(err, "run file text");
    }
    len = fread(text, 1, (size_t)sb.st_size, fp);
    if (ferror(fp)) {
        int e = errno;
        fclose(fp);
        gr_free(text);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
    }
    fclose(fp);
    text[len] = '\0';
    if (len == 0) {
        gr_free(text);
        return gr_err_at(err, GR_ERR_PARSE, path, 1, 1, "not JSON (empty file)");
    }
    rc = gr_run_parse(text, len, path, out, err);
    gr_free(text);
    return rc;
}
