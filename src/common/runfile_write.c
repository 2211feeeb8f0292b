/*
 * runfile_write.c - the writing half of runfile.h: a gr_run in memory to
 * "grperf.run/1" JSON text (docs/run-schema.md), written atomically, and
 * the run's release and lookup.  grprof fills a gr_run and calls
 * gr_run_write; the reading half (runfile_read.c) is grregress's.
 *
 * JSON is built with cJSON.  Ownership: cJSON_Create* return a node the
 * caller owns until cJSON_AddItemToObject / cJSON_AddItemToArray, which
 * take it over (the parent frees it); cJSON_Add*ToObject helpers copy the
 * strings they are given; cJSON_Parse returns a tree the caller owns;
 * cJSON_Print* return text freed with cJSON_free.  Every tree is freed
 * with cJSON_Delete on its root, on every path.
 */
#include "config.h"
#include "common/runfile.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- validation (before anything is written) ----------------------------- */

static int is_hex16(const char *s)
{
    size_t i;
    if (!s || strlen(s) != 16) {
        return 0;
    }
    for (i = 0; i < 16; i++) {
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static const char *const groups[] = {"dispatch", "ops", "compile", "fusion",
                                     "loops", "algorithms", "user", NULL};

static int known_group(const char *g)
{
    size_t i;
    for (i = 0; g && groups[i]; i++) {
        if (strcmp(groups[i], g) == 0) {
            return 1;
        }
    }
    return 0;
}

#define NEED(cond, ...)                                                        \
    do {                                                                       \
        if (!(cond)) {                                                         \
            return gr_err(err, GR_ERR_INVALID, __VA_ARGS__);                   \
        }                                                                      \
    } while (0)

static int validate_bench(const gr_run *r, size_t i, gr_error *err)
{
    const gr_run_bench *b = &r->bench[i];
    size_t k, j;
    NEED(b->name && b->name[0], "benchmarks[%zu].name: missing", i);
    for (j = 0; j < i; j++) {
        NEED(strcmp(r->bench[j].name, b->name) != 0,
             "benchmarks[%zu].name: duplicate '%s'", i, b->name);
    }
    NEED(known_group(b->group), "benchmarks[%zu].group: bad value '%s'", i,
         b->group ? b->group : "(null)");
    NEED(b->params_json, "benchmarks[%zu].params: missing", i);
    NEED(b->unit, "benchmarks[%zu].unit: missing", i);
    NEED(b->inner >= 1, "benchmarks[%zu].inner: must be >= 1", i);
    NEED(b->nsamples > 0 && b->samples && b->rounds,
         "benchmarks[%zu].samples: empty", i);
    for (k = 0; k < b->nsamples; k++) {
        NEED(isfinite(b->samples[k]) && b->samples[k] >= 0,
             "benchmarks[%zu].samples[%zu]: bad sample %g", i, k, b->samples[k]);
        NEED(b->rounds[k] >= 0, "benchmarks[%zu].rounds[%zu]: negative", i, k);
        NEED(!b->contention || (isfinite(b->contention[k]) && b->contention[k] >= 0),
             "benchmarks[%zu].contention[%zu]: bad value", i, k);
    }
    NEED(b->stats.n == b->nsamples, "benchmarks[%zu].stats.n: %zu, not %zu", i,
         b->stats.n, b->nsamples);
    NEED(is_hex16(b->checksum), "benchmarks[%zu].checksum: not 16 hex digits", i);
    NEED(b->peak_rss_bytes >= 0, "benchmarks[%zu].peak_rss_bytes: negative", i);
    return GR_OK;
}

/* A failure names a benchmark that is in neither benchmarks[] nor an
 * earlier failure, in a known group, with a round of the run. */
static int validate_failure(const gr_run *r, size_t i, gr_error *err)
{
    const gr_run_failure *f = &r->fail[i];
    size_t j;
    NEED(f->name && f->name[0], "failures[%zu].name: missing", i);
    NEED(!gr_run_find(r, f->name), "failures[%zu].name: '%s' is also in benchmarks", i,
         f->name);
    for (j = 0; j < i; j++) {
        NEED(strcmp(r->fail[j].name, f->name) != 0, "failures[%zu].name: duplicate '%s'",
             i, f->name);
    }
    NEED(known_group(f->group), "failures[%zu].group: bad value '%s'", i,
         f->group ? f->group : "(null)");
    NEED(f->version >= 0, "failures[%zu].version: negative", i);
    NEED(f->round >= 0 && f->round < r->config.rounds,
         "failures[%zu].round: %lld is not a round of the run (0..%lld)", i,
         (long long)f->round, (long long)r->config.rounds - 1);
    NEED(f->reason && f->reason[0], "failures[%zu].reason: missing", i);
    return GR_OK;
}

static int validate(const gr_run *r, gr_error *err)
{
    size_t i;
    int st;
    NEED(r->tool_name && r->tool_version, "tool: missing");
    if (r->commit.available) {
        NEED(r->commit.sha && strlen(r->commit.sha) == 40, "commit.sha: not 40 hex digits");
        NEED(r->commit.short_sha && r->commit.branch && r->commit.date &&
             r->commit.subject, "commit: missing field");
    } else {
        NEED(r->commit.reason, "commit.reason: missing");
    }
    NEED(r->started && r->finished, "started/finished: missing");
    NEED(r->machine.cpu_model && r->machine.kernel && r->machine.arch &&
         r->machine.compiler && r->machine.cflags, "machine: missing field");
    NEED(is_hex16(r->machine.hash), "machine.hash: not 16 hex digits");
    NEED(r->config.suite, "config.suite: missing");
    NEED(r->config.rounds >= 1 && r->config.repeat >= 1 && r->config.warmup >= 0,
         "config: rounds, repeat or warmup out of range");
    NEED(r->perf.reason && r->callgrind.reason, "counters: missing reason");
    NEED(r->nbench > 0 && r->bench, "benchmarks: empty");
    for (i = 0; i < r->nbench; i++) {
        if ((st = validate_bench(r, i, err)) < 0) {
            return st;
        }
    }
    NEED(r->nfail == 0 || r->fail, "failures: missing");
    for (i = 0; i < r->nfail; i++) {
        if ((st = validate_failure(r, i, err)) < 0) {
            return st;
        }
    }
    return GR_OK;
}

/* ---- JSON ------------------------------------------------------------------ */

/* Builders that remember the first failure in *ok, so the tree is built
 * straight through and checked once. */
static cJSON *add(cJSON *parent, const char *key, cJSON *item, int *ok)
{
    if (!item) {
        *ok = 0;
        return NULL;
    }
    if (key ? !cJSON_AddItemToObject(parent, key, item)
            : !cJSON_AddItemToArray(parent, item)) {
        cJSON_Delete(item);   /* not taken over */
        *ok = 0;
        return NULL;
    }
    return item;
}

/* A number node printed as the shortest "%.Ng" that reads back as exactly
 * x: cJSON's own printing keeps 15 digits whenever they compare equal
 * within an epsilon, which loses the last bits of samples, and a reader
 * recomputes the statistics from them; integral values print as integers.
 * The text is copied by cJSON_CreateRaw. */
static cJSON *num_item(double x)
{
    char buf[40];
    int p;
    if (!isfinite(x)) {
        return cJSON_CreateNull();   /* validated away for samples */
    }
    if (x == floor(x) && fabs(x) < 9007199254740992.0) {
        /* counts as integers: 100, not the shorter 1e+02 */
        snprintf(buf, sizeof buf, "%.0f", x);
        return cJSON_CreateRaw(buf);
    }
    for (p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, x);
        if (strtod(buf, NULL) == x) {
            break;
        }
    }
    return cJSON_CreateRaw(buf);
}

static void add_str(cJSON *o, const char *key, const char *s, int *ok)
{
    add(o, key, s ? cJSON_CreateString(s) : cJSON_CreateNull(), ok);
}

static void add_num(cJSON *o, const char *key, double x, int *ok)
{
    add(o, key, num_item(x), ok);
}

static void add_bool(cJSON *o, const char *key, int v, int *ok)
{
    add(o, key, cJSON_CreateBool(v), ok);
}

static void add_nums(cJSON *o, const char *key, const double *x, size_t n, int *ok)
{
    cJSON *a = add(o, key, cJSON_CreateArray(), ok);
    size_t i;
    for (i = 0; a && i < n; i++) {
        add(a, NULL, num_item(x[i]), ok);
    }
}

static void add_strs(cJSON *o, const char *key, char *const *s, size_t n, int *ok)
{
    cJSON *a = add(o, key, cJSON_CreateArray(), ok);
    size_t i;
    for (i = 0; a && i < n; i++) {
        add(a, NULL, cJSON_CreateString(s[i]), ok);
    }
}

/* A JSON object given as text (params, metrics), parsed into a node. */
static void add_raw_object(cJSON *o, const char *key, const char *text, int *ok)
{
    cJSON *v = cJSON_Parse(text);   /* owned until added */
    if (v && !cJSON_IsObject(v)) {
        cJSON_Delete(v);
        v = NULL;
    }
    add(o, key, v, ok);
}

static void add_avail(cJSON *o, const char *key, const gr_run_counter_avail *c,
                      int *ok)
{
    cJSON *a = add(o, key, cJSON_CreateObject(), ok);
    if (a) {
        add_bool(a, "available", c->available, ok);
        add_str(a, "reason", c->reason, ok);
    }
}

static void add_stats(cJSON *o, const gr_stats *s, int *ok)
{
    cJSON *st = add(o, "stats", cJSON_CreateObject(), ok), *out;
    double ci[2];
    if (!st) {
        return;
    }
    ci[0] = s->ci_lo;
    ci[1] = s->ci_hi;
    add_num(st, "n", (double)s->n, ok);
    add_num(st, "min", s->min, ok);
    add_num(st, "max", s->max, ok);
    add_num(st, "median", s->median, ok);
    add_num(st, "mean", s->mean, ok);
    add_num(st, "stddev", s->stddev, ok);
    add_num(st, "mad", s->mad, ok);
    add_num(st, "p95", s->p95, ok);
    add_num(st, "p99", s->p99, ok);
    add_nums(st, "ci_median", ci, 2, ok);
    add_num(st, "ci_level", s->ci_level, ok);
    out = add(st, "outliers", cJSON_CreateObject(), ok);
    if (out) {
        add_num(out, "low_severe", (double)s->low_severe, ok);
        add_num(out, "low_mild", (double)s->low_mild, ok);
        add_num(out, "high_mild", (double)s->high_mild, ok);
        add_num(out, "high_severe", (double)s->high_severe, ok);
    }
}

static void add_bench(cJSON *arr, const gr_run_bench *b, int *ok)
{
    cJSON *o = add(arr, NULL, cJSON_CreateObject(), ok), *rounds, *cnt;
    size_t k;
    if (!o) {
        return;
    }
    add_str(o, "name", b->name, ok);
    add_str(o, "group", b->group, ok);
    add_num(o, "version", (double)b->version, ok);
    add_raw_object(o, "params", b->params_json, ok);
    add_str(o, "unit", b->unit, ok);
    add_str(o, "direction", b->lower_is_better ? "lower" : "higher", ok);
    add_num(o, "inner", (double)b->inner, ok);
    add_nums(o, "samples", b->samples, b->nsamples, ok);
    rounds = add(o, "rounds", cJSON_CreateArray(), ok);
    for (k = 0; rounds && k < b->nsamples; k++) {
        add(rounds, NULL, num_item((double)b->rounds[k]), ok);
    }
    if (b->contention) {
        add_nums(o, "contention", b->contention, b->nsamples, ok);
    }
    add_stats(o, &b->stats, ok);
    add_str(o, "checksum", b->checksum, ok);
    add_num(o, "peak_rss_bytes", (double)b->peak_rss_bytes, ok);
    cnt = add(o, "counters", cJSON_CreateObject(), ok);
    if (cnt && !isnan(b->instructions)) {
        add_num(cnt, "instructions", b->instructions, ok);
    }
    if (b->metrics_json) {
        add_raw_object(o, "metrics", b->metrics_json, ok);
    }
}

static cJSON *build(const gr_run *r, int *ok)
{
    cJSON *root = cJSON_CreateObject(), *o, *arr;
    size_t i;
    if (!root) {
        *ok = 0;
        return NULL;
    }
    add_str(root, "schema", GR_RUN_SCHEMA, ok);
    if ((o = add(root, "tool", cJSON_CreateObject(), ok)) != NULL) {
        add_str(o, "name", r->tool_name, ok);
        add_str(o, "version", r->tool_version, ok);
    }
    if ((o = add(root, "commit", cJSON_CreateObject(), ok)) != NULL) {
        add_bool(o, "available", r->commit.available, ok);
        if (r->commit.available) {
            add_str(o, "sha", r->commit.sha, ok);
            add_str(o, "short", r->commit.short_sha, ok);
            add_str(o, "branch", r->commit.branch, ok);
            add_bool(o, "dirty", r->commit.dirty, ok);
            add_str(o, "date", r->commit.date, ok);
            add_str(o, "subject", r->commit.subject, ok);
        } else {
            add_str(o, "reason", r->commit.reason, ok);
        }
    }
    add_str(root, "started", r->started, ok);
    add_str(root, "finished", r->finished, ok);
    if ((o = add(root, "machine", cJSON_CreateObject(), ok)) != NULL) {
        const gr_run_machine *m = &r->machine;
        add_str(o, "cpu_model", m->cpu_model, ok);
        add_num(o, "cores_online", (double)m->cores_online, ok);
        add_bool(o, "smt", m->smt, ok);
        add_str(o, "governor", m->governor, ok);   /* null when NULL */
        add_str(o, "kernel", m->kernel, ok);
        add_str(o, "arch", m->arch, ok);
        add_num(o, "mem_total_bytes", (double)m->mem_total_bytes, ok);
        add_str(o, "compiler", m->compiler, ok);
        add_str(o, "cflags", m->cflags, ok);
        add_bool(o, "openmp", m->openmp, ok);
        add_nums(o, "load_start", m->load_start, 3, ok);
        add_nums(o, "load_end", m->load_end, 3, ok);
        add_str(o, "hash", m->hash, ok);
    }
    if ((o = add(root, "config", cJSON_CreateObject(), ok)) != NULL) {
        const gr_run_config *c = &r->config;
        add_str(o, "suite", c->suite, ok);
        add_str(o, "filter", c->filter, ok);
        add_num(o, "rounds", (double)c->rounds, ok);
        add_num(o, "repeat", (double)c->repeat, ok);
        add_num(o, "warmup", (double)c->warmup, ok);
        add_num(o, "min_time", c->min_time, ok);
        add_num(o, "threads", (double)c->threads, ok);
        add_num(o, "seed", (double)c->seed, ok);
        add_bool(o, "instructions", c->instructions, ok);
        add_strs(o, "graphs", c->graphs, c->ngraphs, ok);
        add_strs(o, "programs", c->programs, c->nprograms, ok);
    }
    if ((o = add(root, "counters", cJSON_CreateObject(), ok)) != NULL) {
        add_avail(o, "perf_instructions", &r->perf, ok);
        add_avail(o, "callgrind", &r->callgrind, ok);
    }
    arr = add(root, "benchmarks", cJSON_CreateArray(), ok);
    for (i = 0; arr && i < r->nbench; i++) {
        add_bench(arr, &r->bench[i], ok);
    }
    /* always written, so a reader can tell "none failed" from an older file */
    arr = add(root, "failures", cJSON_CreateArray(), ok);
    for (i = 0; arr && i < r->nfail; i++) {
        const gr_run_failure *f = &r->fail[i];
        cJSON *fo = add(arr, NULL, cJSON_CreateObject(), ok);
        if (fo) {
            add_str(fo, "name", f->name, ok);
            add_str(fo, "group", f->group, ok);
            add_num(fo, "version", (double)f->version, ok);
            add_num(fo, "round", (double)f->round, ok);
            add_str(fo, "reason", f->reason, ok);
        }
    }
    return root;
}

int gr_run_to_json(const gr_run *r, char **text, gr_error *err)
{
    cJSON *root;
    char *s;
    int ok = 1, st;
    *text = NULL;
    if ((st = validate(r, err)) < 0) {
        return st;
    }
    root = build(r, &ok);
    if (!ok || !root) {
        cJSON_Delete(root);
        return gr_err(err, GR_ERR_NOMEM, "out of memory building the run file "
                      "(or a params/metrics text that is not a JSON object)");
    }
    s = cJSON_Print(root);          /* ours: cJSON_free */
    cJSON_Delete(root);
    if (!s) {
        return gr_err(err, GR_ERR_NOMEM, "out of memory printing the run file");
    }
    *text = gr_strdup(s);            /* callers free with gr_free */
    cJSON_free(s);
    if (!*text) {
        return gr_err(err, GR_ERR_NOMEM, "out of memory printing the run file");
    }
    return GR_OK;
}

int gr_run_write(const gr_run *r, const char *path, gr_error *err)
{
    char *text = NULL;
    int st = gr_run_to_json(r, &text, err);
    size_t len;
    if (st < 0) {
        return st;
    }
    len = strlen(text);
    {
        /* the file ends with a newline */
        char *t = gr_realloc(text, len + 2);
        if (!t) {
            gr_free(text);
            return gr_err(err, GR_ERR_NOMEM, "out of memory writing %s", path);
        }
        text = t;
        text[len] = '\n';
        text[len + 1] = '\0';
    }
    st = gr_write_file_atomic(path, text, len + 1, err);
    gr_free(text);
    return st;
}

static void free_strv(char ***v, size_t n)
{
    size_t i;
    for (i = 0; *v && i < n; i++) {
        gr_free((*v)[i]);
    }
    gr_free(*v);
    *v = NULL;
}

void gr_run_commit_clear(gr_run_commit *c)
{
    gr_free(c->reason);
    gr_free(c->sha);
    gr_free(c->short_sha);
    gr_free(c->branch);
    gr_free(c->date);
    gr_free(c->subject);
    memset(c, 0, sizeof *c);
}

void gr_run_free(gr_run **rp)
{
    gr_run *r;
    size_t i;
    if (!rp || !*rp) {
        return;
    }
    r = *rp;
    gr_free(r->tool_name);
    gr_free(r->tool_version);
    gr_run_commit_clear(&r->commit);
    gr_free(r->started);
    gr_free(r->finished);
    gr_free(r->machine.cpu_model);
    gr_free(r->machine.governor);
    gr_free(r->machine.kernel);
    gr_free(r->machine.arch);
    gr_free(r->machine.compiler);
    gr_free(r->machine.cflags);
    gr_free(r->machine.hash);
    gr_free(r->config.suite);
    gr_free(r->config.filter);
    free_strv(&r->config.graphs, r->config.ngraphs);
    free_strv(&r->config.programs, r->config.nprograms);
    gr_free(r->perf.reason);
    gr_free(r->callgrind.reason);
    for (i = 0; r->bench && i < r->nbench; i++) {
        gr_run_bench *b = &r->bench[i];
        gr_free(b->name);
        gr_free(b->group);
        gr_free(b->params_json);
        gr_free(b->unit);
        gr_free(b->samples);
        gr_free(b->rounds);
        gr_free(b->contention);
        gr_free(b->checksum);
        gr_free(b->metrics_json);
    }
    gr_free(r->bench);
    for (i = 0; r->fail && i < r->nfail; i++) {
        gr_free(r->fail[i].name);
        gr_free(r->fail[i].group);
        gr_free(r->fail[i].reason);
    }
    gr_free(r->fail);
    gr_free(r);
    *rp = NULL;
}

const gr_run_bench *gr_run_find(const gr_run *r, const char *name)
{
    size_t i;
    for (i = 0; r && i < r->nbench; i++) {
        if (r->bench[i].name && strcmp(r->bench[i].name, name) == 0) {
            return &r->bench[i];
        }
    }
    return NULL;
}

const gr_run_failure *gr_run_find_failure(const gr_run *r, const char *name)
{
    size_t i;
    for (i = 0; r && i < r->nfail; i++) {
        if (r->fail[i].name && strcmp(r->fail[i].name, name) == 0) {
            return &r->fail[i];
        }
    }
    return NULL;
}
