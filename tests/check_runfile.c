/*
 * check_runfile.c - tests of the run file (docs/run-schema.md): the
 * writer (runfile_write.c) produces JSON with every field of the schema,
 * refuses invalid runs without writing, writes atomically; gr_run_find and
 * gr_run_free; every written file is read back with the reader
 * (runfile_read.c, gr_run_read) and compared field by field.  The
 * "failures" array (FAILED benchmarks): written, read back, absent = none,
 * and every rule's one-line error names the file and the field's JSON path
 * (a table of broken files, made by editing a good one with cJSON).
 *
 * Also a validator for the CLI tests: `check_runfile FILE...` checks each
 * file with gr_run_read and with the independent cJSON checks below, and
 * exits 0 when all pass.
 */
#include "config.h"
#include "testutil.h"
#include "common/mem.h"
#include "common/runfile.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- an independent schema check (cJSON) ------------------------------------- */

static int is_hex(const char *s, size_t len)
{
    size_t i;
    if (!s || strlen(s) != len) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

#define REQ(cond, ...)                                                         \
    do {                                                                       \
        if (!(cond)) {                                                         \
            snprintf(why, n, __VA_ARGS__);                                     \
            return 0;                                                          \
        }                                                                      \
    } while (0)

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int num(const cJSON *o, const char *k)
{
    return cJSON_IsNumber(get(o, k));
}

static int str(const cJSON *o, const char *k)
{
    return cJSON_IsString(get(o, k));
}

static int check_bench(const cJSON *b, int i, char *why, size_t n)
{
    static const char *const stat_keys[] = {"n", "min", "max", "median", "mean", "stddev",
                                            "mad", "p95", "p99", "ci_level", NULL};
    const cJSON *s = get(b, "samples"), *r = get(b, "rounds"), *st = get(b, "stats"), *x;
    int k;
    REQ(str(b, "name") && str(b, "group") && num(b, "version") &&
        cJSON_IsObject(get(b, "params")) && str(b, "unit") && str(b, "direction") &&
        num(b, "inner"), "benchmarks[%d]: missing name/group/version/params/unit/"
        "direction/inner", i);
    REQ(cJSON_IsArray(s) && cJSON_GetArraySize(s) > 0, "benchmarks[%d].samples: empty", i);
    REQ(cJSON_IsArray(r) && cJSON_GetArraySize(r) == cJSON_GetArraySize(s),
        "benchmarks[%d].rounds: length differs from samples", i);
    cJSON_ArrayForEach(x, s) {
        REQ(cJSON_IsNumber(x) && isfinite(x->valuedouble) && x->valuedouble >= 0,
            "benchmarks[%d].samples: bad sample", i);
    }
    REQ(cJSON_IsObject(st), "benchmarks[%d].stats: missing", i);
    for (k = 0; stat_keys[k]; k++) {
        REQ(num(st, stat_keys[k]), "benchmarks[%d].stats.%s: missing", i, stat_keys[k]);
    }
    REQ(get(st, "n")->valueint == cJSON_GetArraySize(s), "benchmarks[%d].stats.n: wrong", i);
    REQ(cJSON_GetArraySize(get(st, "ci_median")) == 2 && cJSON_IsObject(get(st, "outliers")),
        "benchmarks[%d].stats: ci_median/outliers", i);
    REQ(str(b, "checksum") && is_hex(get(b, "checksum")->valuestring, 16),
        "benchmarks[%d].checksum: not 16 hex digits", i);
    REQ(num(b, "peak_rss_bytes") && cJSON_IsObject(get(b, "counters")),
        "benchmarks[%d]: peak_rss_bytes/counters", i);
    return 1;
}

/* 1 when text is a valid run file by the schema, else 0 with why[n]. */
static int schema_ok(const char *text, char *why, size_t n)
{
    static const char *const cfg_num[] = {"rounds", "repeat", "warmup", "min_time",
                                          "threads", "seed", NULL};
    cJSON *root = cJSON_Parse(text);
    const cJSON *o, *b;
    int ok = 0, i = 0, k;
    if (!root) {
        snprintf(why, n, "not JSON");
        return 0;
    }
    do {
        REQ(str(root, "schema") && strcmp(get(root, "schema")->valuestring, GR_RUN_SCHEMA) == 0,
            "schema: not %s", GR_RUN_SCHEMA);
        REQ(str(get(root, "tool"), "name") && str(get(root, "tool"), "version"), "tool");
        o = get(root, "commit");
        REQ(cJSON_IsBool(get(o, "available")), "commit.available: missing");
        if (cJSON_IsTrue(get(o, "available"))) {
            REQ(str(o, "sha") && is_hex(get(o, "sha")->valuestring, 40) && str(o, "short") &&
                str(o, "branch") && cJSON_IsBool(get(o, "dirty")) && str(o, "date") &&
                str(o, "subject"), "commit: missing field");
        } else {
            REQ(str(o, "reason"), "commit.reason: missing");
        }
        REQ(str(root, "started") && str(root, "finished"), "started/finished");
        o = get(root, "machine");
        REQ(str(o, "cpu_model") && num(o, "cores_online") && cJSON_IsBool(get(o, "smt")) &&
            (str(o, "governor") || cJSON_IsNull(get(o, "governor"))) && str(o, "kernel") &&
            str(o, "arch") && num(o, "mem_total_bytes") && str(o, "compiler") &&
            str(o, "cflags") && cJSON_IsBool(get(o, "openmp")) &&
            cJSON_GetArraySize(get(o, "load_start")) == 3 &&
            cJSON_GetArraySize(get(o, "load_end")) == 3 && str(o, "hash") &&
            is_hex(get(o, "hash")->valuestring, 16), "machine: missing or bad field");
        o = get(root, "config");
        REQ(str(o, "suite") && (str(o, "filter") || cJSON_IsNull(get(o, "filter"))) &&
            cJSON_IsBool(get(o, "instructions")) && cJSON_IsArray(get(o, "graphs")) &&
            cJSON_IsArray(get(o, "programs")), "config: missing field");
        for (k = 0; cfg_num[k]; k++) {
            REQ(num(o, cfg_num[k]), "config.%s: missing", cfg_num[k]);
        }
        o = get(root, "counters");
        REQ(cJSON_IsBool(get(get(o, "perf_instructions"), "available")) &&
            str(get(o, "perf_instructions"), "reason") &&
            cJSON_IsBool(get(get(o, "callgrind"), "available")) &&
            str(get(o, "callgrind"), "reason"), "counters: missing field");
        o = get(root, "failures");   /* optional: absent means none */
        if (o) {
            REQ(cJSON_IsArray(o), "failures: not an array");
            cJSON_ArrayForEach(b, o) {
                REQ(str(b, "name") && str(b, "group") && num(b, "version") &&
                    num(b, "round") && str(b, "reason"),
                    "failures[]: missing name/group/version/round/reason");
            }
        }
        o = get(root, "benchmarks");
        REQ(cJSON_IsArray(o) && cJSON_GetArraySize(o) > 0, "benchmarks: empty");
        cJSON_ArrayForEach(b, o) {
            if (!check_bench(b, i++, why, n)) {
                cJSON_Delete(root);
                return 0;
            }
        }
        ok = 1;
    } while (0);
    cJSON_Delete(root);
    return ok;
}

#undef REQ

/* ---- a run in memory ------------------------------------------------------------ */

static char *sd(const char *s)
{
    char *d = gr_strdup(s);
    ck_assert_ptr_nonnull(d);
    return d;
}

static gr_run *make_run(size_t nbench)
{
    gr_run *r = gr_calloc(1, sizeof *r);
    size_t i, k;
    ck_assert_ptr_nonnull(r);
    r->tool_name = sd("grprof");
    r->tool_version = sd("0.1.0");
    r->commit.available = 1;
    r->commit.sha = sd("39c290d1c2aa39c290d1c2aa39c290d1c2aa0000");
    r->commit.short_sha = sd("39c290d");
    r->commit.branch = sd("main");
    r->commit.dirty = 1;
    r->commit.date = sd("2026-11-26T02:58:11Z");
    r->commit.subject = sd("Skeleton: \"quoted\" subject");
    r->started = sd("2026-11-26T03:10:00Z");
    r->finished = sd("2026-11-26T03:10:41Z");
    r->machine.cpu_model = sd("Intel(R) Xeon(R) Processor");
    r->machine.cores_online = 2;
    r->machine.kernel = sd("Linux 6.1.0");
    r->machine.arch = sd("x86_64");
    r->machine.mem_total_bytes = INT64_C(25769803776);
    r->machine.compiler = sd("gcc 12.2.0");
    r->machine.cflags = sd("-g -O2");
    r->machine.openmp = 1;
    r->machine.load_start[0] = 0.5;
    r->machine.load_end[2] = 1.25;
    r->machine.hash = sd("3f2a9c0d11e4b7a8");
    r->config.suite = sd("quick");
    r->config.rounds = 2;
    r->config.repeat = 3;
    r->config.warmup = 1;
    r->config.min_time = 0.01;
    r->config.threads = 2;
    r->config.seed = 42;
    r->config.ngraphs = 1;
    r->config.graphs = gr_calloc(1, sizeof(char *));
    r->config.graphs[0] = sd("uniform:n=10,m=20,seed=1");
    r->perf.reason = sd("not supported by this CPU/VM");
    r->callgrind.reason = sd("not requested (--instructions)");
    r->nbench = nbench;
    r->bench = gr_calloc(nbench, sizeof *r->bench);
    for (i = 0; i < nbench; i++) {
        gr_run_bench *b = &r->bench[i];
        char name[64];
        snprintf(name, sizeof name, "algorithms/pagerank/native/g%zu", i);
        b->name = sd(name);
        b->group = sd("algorithms");
        b->version = 1;
        b->params_json = sd("{\"algo\": \"pagerank\", \"n\": 1000}");
        b->unit = sd("s");
        b->lower_is_better = 1;
        b->inner = 40;
        b->nsamples = 6;
        b->samples = gr_calloc(6, sizeof *b->samples);
        b->rounds = gr_calloc(6, sizeof *b->rounds);
        for (k = 0; k < 6; k++) {
            b->samples[k] = 2e-4 + 1e-6 * (double)((k * 7) % 5) + 1e-7 * (double)i;
            b->rounds[k] = (int64_t)(k / 3);
        }
        ck_assert_int_eq(gr_stats_compute(b->samples, 6, &b->stats), 0);
        if (i == 0) {   /* contention measured for the first only */
            static const double c[6] = {0, 0.01, 0.2, 0, 0.0005, 1.5};
            b->contention = gr_calloc(6, sizeof *b->contention);
            ck_assert_ptr_nonnull(b->contention);
            memcpy(b->contention, c, sizeof c);
        }
        b->checksum = sd("9c1e0b6a55f0d2e1");
        b->peak_rss_bytes = 8388608;
        b->instructions = i == 0 ? 123456.0 : NAN;
        b->metrics_json = i == 0 ? sd("{\"ops_before\": 28, \"ops_after\": 25}") : NULL;
    }
    return r;
}

static char tmpdir[] = "/tmp/check_runfile.XXXXXX";

/* ---- tests ------------------------------------------------------------------------ */

START_TEST(test_to_json_has_every_field)
{
    gr_run *r = make_run(3);
    char *text = NULL, why[256] = "";
    gr_error err;
    cJSON *root, *b0;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_to_json(r, &text, &err), GR_OK);
    ck_assert_msg(schema_ok(text, why, sizeof why), "schema: %s", why);
    root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    b0 = cJSON_GetArrayItem(get(root, "benchmarks"), 0);
    ck_assert_double_eq(get(get(b0, "counters"), "instructions")->valuedouble, 123456.0);
    ck_assert_int_eq(get(get(b0, "metrics"), "ops_after")->valueint, 25);
    ck_assert_ptr_null(get(cJSON_GetArrayItem(get(root, "benchmarks"), 1), "metrics"));
    ck_assert_ptr_null(get(get(cJSON_GetArrayItem(get(root, "benchmarks"), 1), "counters"),
                           "instructions"));
    ck_assert_str_eq(get(b0, "direction")->valuestring, "lower");
    ck_assert(cJSON_IsNull(get(get(root, "machine"), "governor")));
    ck_assert(cJSON_IsNull(get(get(root, "config"), "filter")));
    ck_assert_str_eq(get(get(root, "commit"), "subject")->valuestring,
                     "Skeleton: \"quoted\" subject");
    /* samples are written exactly */
    ck_assert(get(b0, "samples")->child->valuedouble == r->bench[0].samples[0]);
    cJSON_Delete(root);
    gr_free(text);
    gr_run_free(&r);
    ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_commit_unavailable)
{
    gr_run *r = make_run(1);
    char *text = NULL, why[256] = "";
    cJSON *root;
    gr_free(r->commit.sha);
    gr_free(r->commit.short_sha);
    gr_free(r->commit.branch);
    gr_free(r->commit.date);
    gr_free(r->commit.subject);
    memset(&r->commit, 0, sizeof r->commit);
    r->commit.reason = sd("not a git checkout");
    ck_assert_int_eq(gr_run_to_json(r, &text, NULL), GR_OK);
    ck_assert_msg(schema_ok(text, why, sizeof why), "schema: %s", why);
    root = cJSON_Parse(text);
    ck_assert_str_eq(get(get(root, "commit"), "reason")->valuestring, "not a git checkout");
    ck_assert_ptr_null(get(get(root, "commit"), "sha"));
    cJSON_Delete(root);
    gr_free(text);
    gr_run_free(&r);
}
END_TEST

START_TEST(test_invalid_refused)
{
    gr_run *r = make_run(2);
    char path[256];
    gr_error err;
    snprintf(path, sizeof path, "%s/bad.json", tmpdir);
    gr_error_clear(&err);
    r->bench[1].samples[2] = -1.0;
    ck_assert_int_eq(gr_run_write(r, path, &err), GR_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "benchmarks[1].samples[2]") != NULL, "%s", err.msg);
    ck_assert_int_ne(access(path, F_OK), 0);
    r->bench[1].samples[2] = 1.0;
    gr_free(r->bench[1].name);
    r->bench[1].name = sd(r->bench[0].name);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_write(r, path, &err), GR_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "duplicate") != NULL, "%s", err.msg);
    gr_free(r->bench[1].checksum);
    r->bench[1].checksum = sd("XYZ");
    r->nbench = 1;
    ck_assert_int_eq(gr_run_write(r, path, NULL), GR_OK);
    r->nbench = 2;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_to_json(r, &(char *){NULL}, &err), GR_ERR_INVALID);
    gr_run_free(&r);
}
END_TEST

START_TEST(test_write_and_read_back)
{
    gr_run *r = make_run(4), *back = NULL;
    char path[256], *text, why[256] = "";
    gr_error err;
    size_t i, k;
    snprintf(path, sizeof path, "%s/run.json", tmpdir);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_write(r, path, &err), GR_OK);
    text = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert(text[strlen(text) - 1] == '\n');
    ck_assert_msg(schema_ok(text, why, sizeof why), "schema: %s", why);
    free(text);
    {   /* the reader: a full round trip */
        ck_assert_msg(gr_run_read(path, &back, &err) == GR_OK, "read: %s", err.msg);
        ck_assert_uint_eq(back->nbench, r->nbench);
        ck_assert_str_eq(back->commit.sha, r->commit.sha);
        ck_assert_str_eq(back->machine.hash, r->machine.hash);
        ck_assert_int_eq(back->config.rounds, r->config.rounds);
        for (i = 0; i < r->nbench; i++) {
            ck_assert_str_eq(back->bench[i].name, r->bench[i].name);
            ck_assert_uint_eq(back->bench[i].nsamples, r->bench[i].nsamples);
            for (k = 0; k < r->bench[i].nsamples; k++) {
                ck_assert(back->bench[i].samples[k] == r->bench[i].samples[k]);
                ck_assert_int_eq(back->bench[i].rounds[k], r->bench[i].rounds[k]);
                ck_assert(!r->bench[i].contention
                          || back->bench[i].contention[k] == r->bench[i].contention[k]);
            }
            ck_assert((back->bench[i].contention == NULL) == (r->bench[i].contention == NULL));
            ck_assert_str_eq(back->bench[i].checksum, r->bench[i].checksum);
        }
        ck_assert_ptr_nonnull(gr_run_find(back, "algorithms/pagerank/native/g3"));
        gr_run_free(&back);
    }
    unlink(path);
    gr_run_free(&r);
}
END_TEST

START_TEST(test_unwritable)
{
    gr_run *r = make_run(1);
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_write(r, "/nonexistent-dir/x/run.json", &err), GR_ERR_IO);
    gr_run_free(&r);
}
END_TEST

START_TEST(test_find_and_free)
{
    gr_run *r = make_run(3);
    ck_assert_ptr_eq(gr_run_find(r, "algorithms/pagerank/native/g1"), &r->bench[1]);
    ck_assert_ptr_null(gr_run_find(r, "nope"));
    ck_assert_ptr_null(gr_run_find(NULL, "nope"));
    gr_run_free(&r);
    ck_assert_ptr_null(r);
    gr_run_free(&r);   /* NULL is fine */
    gr_run_free(NULL);
}
END_TEST

/* Add n failures to r, named failed/0, failed/1, ... */
static void add_failures(gr_run *r, size_t n)
{
    size_t i;
    r->fail = gr_calloc(n, sizeof *r->fail);
    ck_assert_ptr_nonnull(r->fail);
    r->nfail = n;
    for (i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "algorithms/wcc/fused/failed%zu", i);
        r->fail[i].name = sd(name);
        r->fail[i].group = sd("algorithms");
        r->fail[i].version = 2;
        r->fail[i].round = (int64_t)(i % 2);
        r->fail[i].reason = sd(i ? "timed out after 300 s in round 1 (killed)"
                                 : "killed by SIGSEGV in round 0");
    }
}

START_TEST(test_failures_round_trip)
{
    gr_run *r = make_run(2), *back = NULL;
    char path[256], *text, why[256] = "";
    gr_error err;
    snprintf(path, sizeof path, "%s/fail.json", tmpdir);
    add_failures(r, 2);
    gr_error_clear(&err);
    ck_assert_msg(gr_run_write(r, path, &err) == GR_OK, "write: %s", err.msg);
    text = tu_slurp(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(schema_ok(text, why, sizeof why), "schema: %s", why);
    ck_assert_ptr_nonnull(strstr(text, "\"failures\""));
    free(text);
    ck_assert_msg(gr_run_read(path, &back, &err) == GR_OK, "read: %s", err.msg);
    ck_assert_uint_eq(back->nfail, 2);
    ck_assert_str_eq(back->fail[0].name, "algorithms/wcc/fused/failed0");
    ck_assert_str_eq(back->fail[0].group, "algorithms");
    ck_assert_int_eq(back->fail[0].version, 2);
    ck_assert_int_eq(back->fail[0].round, 0);
    ck_assert_str_eq(back->fail[0].reason, "killed by SIGSEGV in round 0");
    ck_assert_int_eq(back->fail[1].round, 1);
    ck_assert_ptr_eq(gr_run_find_failure(back, "algorithms/wcc/fused/failed1"),
                     &back->fail[1]);
    ck_assert_ptr_null(gr_run_find_failure(back, "algorithms/pagerank/native/g0"));
    ck_assert_ptr_null(gr_run_find(back, "algorithms/wcc/fused/failed1"));
    gr_run_free(&back);
    unlink(path);
    gr_run_free(&r);
}
END_TEST

/* A file without the array (older writers) has no failures; an empty one
 * is the same. */
START_TEST(test_failures_absent)
{
    gr_run *r = make_run(1), *back = NULL;
    char *text = NULL;
    cJSON *root;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_run_to_json(r, &text, &err), GR_OK);
    root = cJSON_Parse(text);
    ck_assert(cJSON_IsArray(get(root, "failures")));
    ck_assert_int_eq(cJSON_GetArraySize(get(root, "failures")), 0);
    ck_assert_int_eq(gr_run_parse(text, strlen(text), "empty.json", &back, &err), GR_OK);
    ck_assert_uint_eq(back->nfail, 0);
    gr_run_free(&back);
    gr_free(text);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "failures");
    text = cJSON_Print(root);
    ck_assert_int_eq(gr_run_parse(text, strlen(text), "old.json", &back, &err), GR_OK);
    ck_assert_uint_eq(back->nfail, 0);
    ck_assert_ptr_null(gr_run_find_failure(back, "x"));
    gr_run_free(&back);
    cJSON_free(text);
    cJSON_Delete(root);
    gr_run_free(&r);
}
END_TEST

/* The writer refuses bad failure entries, naming the field. */
START_TEST(test_failures_invalid_refused)
{
    static const struct {
        int what;
        const char *field;
    } cases[] = {
        {0, "failures[1].round"},  {1, "failures[1].name"}, {2, "failures[1].name"},
        {3, "failures[1].reason"}, {4, "failures[1].group"}, {5, "failures[1].version"},
    };
    size_t c;
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gr_run *r = make_run(2);
        char path[256];
        gr_error err;
        gr_run_failure *f;
        snprintf(path, sizeof path, "%s/badfail.json", tmpdir);
        add_failures(r, 2);
        f = &r->fail[1];
        switch (cases[c].what) {
        case 0: f->round = r->config.rounds; break;
        case 1: gr_free(f->name); f->name = sd(r->bench[0].name); break;
        case 2: gr_free(f->name); f->name = sd(r->fail[0].name); break;
        case 3: gr_free(f->reason); f->reason = NULL; break;
        case 4: gr_free(f->group); f->group = sd("nonsense"); break;
        default: f->version = -1; break;
        }
        gr_error_clear(&err);
        ck_assert_int_eq(gr_run_write(r, path, &err), GR_ERR_INVALID);
        ck_assert_msg(strncmp(err.msg, cases[c].field, strlen(cases[c].field)) == 0,
                      "case %zu: %s", c, err.msg);
        ck_assert_int_ne(access(path, F_OK), 0);
        gr_run_free(&r);
    }
}
END_TEST

/* Reading and writing a run with failures, every allocation failing in
 * turn: a clean GR_ERR_NOMEM each time (leaks show under ASan/valgrind). */
START_TEST(test_failures_out_of_memory)
{
    gr_run *r = make_run(2), *back = NULL;
    char path[256], *text = NULL;
    gr_error err;
    long budget;
    int rc;
    snprintf(path, sizeof path, "%s/oom.json", tmpdir);
    add_failures(r, 2);
    ck_assert_int_eq(gr_run_write(r, path, NULL), GR_OK);
    for (budget = 0;; budget++) {
        gr_error_clear(&err);
        gr_mem_fail_after(budget);
        rc = gr_run_read(path, &back, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_ptr_null(back);
        ck_assert(budget < 100000);
    }
    ck_assert_uint_eq(back->nfail, 2);
    for (budget = 0;; budget++) {
        gr_error_clear(&err);
        gr_mem_fail_after(budget);
        rc = gr_run_to_json(back, &text, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_ptr_null(text);
        ck_assert(budget < 100000);
    }
    ck_assert_ptr_nonnull(strstr(text, "killed by SIGSEGV in round 0"));
    gr_free(text);
    gr_run_free(&back);
    unlink(path);
    gr_run_free(&r);
}
END_TEST

/* ---- the reader's messages: "FILE: JSON.PATH: problem", one line ---------------- */

/* The cJSON item at a path like "benchmarks[1].stats" (objects and arrays). */
static cJSON *at(cJSON *root, const char *path)
{
    char buf[128], *tok, *save = NULL;
    cJSON *o = root;
    snprintf(buf, sizeof buf, "%s", path);
    for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
        char *br = strchr(tok, '[');
        if (br) {
            *br = '\0';
        }
        if (*tok) {
            o = cJSON_GetObjectItemCaseSensitive(o, tok);
        }
        while (br && o) {
            o = cJSON_GetArrayItem(o, atoi(br + 1));
            br = strchr(br + 1, '[');
        }
    }
    return o;
}

/* Set (or with v NULL, delete) member `key` of the object at `path`. */
static void edit(cJSON *root, const char *path, const char *key, cJSON *v)
{
    cJSON *o = path[0] ? at(root, path) : root;
    ck_assert_msg(o != NULL, "no %s", path);
    if (cJSON_IsArray(o)) {
        ck_assert_msg(v != NULL, "cannot delete from array %s", path);
        ck_assert(cJSON_ReplaceItemInArray(o, atoi(key), v));
    } else if (!v) {
        cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    } else if (cJSON_GetObjectItemCaseSensitive(o, key)) {
        ck_assert(cJSON_ReplaceItemInObjectCaseSensitive(o, key, v));
    } else {
        ck_assert(cJSON_AddItemToObject(o, key, v));
    }
}

START_TEST(test_reader_messages_name_file_and_field)
{
    /* each: the object (JSON path), the member (or array index), the new
     * value (JSON text; NULL deletes), the message's expected start */
    static const struct {
        const char *path, *key, *value, *want;
    } cases[] = {
        {"", "tool", "3", "tool: expected an object"},
        {"commit", "sha", "\"xyz\"", "commit.sha: expected 40 lowercase hex"},
        {"commit", "dirty", NULL, "commit.dirty: missing"},
        /* a value with a line break is quoted escaped: still one line */
        {"commit", "sha", "\"ab\\ncd\"",
         "commit.sha: expected 40 lowercase hex digits, got \"ab\\ncd\""},
        {"machine", "hash", NULL, "machine.hash: missing"},
        {"machine", "cores_online", "0", "machine.cores_online: must be >= 1"},
        {"machine.load_start", "1", "\"x\"", "machine.load_start[1]: expected a finite"},
        {"config", "rounds", "1.5", "config.rounds: expected an integer"},
        {"config", "suite", "\"huge\"", "config.suite: expected \"quick\""},
        {"config.graphs", "0", "7", "config.graphs[0]: expected a string"},
        {"counters.callgrind", "available", NULL, "counters.callgrind.available: missing"},
        {"", "benchmarks", "[]", "benchmarks: empty"},
        {"benchmarks[1]", "name", "\"algorithms/pagerank/native/g0\"",
         "benchmarks[1].name: duplicate"},
        {"benchmarks[1]", "direction", "\"up\"", "benchmarks[1].direction: expected"},
        {"benchmarks[1]", "inner", "0", "benchmarks[1].inner: must be >= 1"},
        {"benchmarks[1].samples", "2", "-1", "benchmarks[1].samples[2]: negative"},
        {"benchmarks[0].rounds", "4", "9", "benchmarks[0].rounds[4]: round 9"},
        {"benchmarks[0]", "rounds", "[0]", "benchmarks[0].rounds: has 1 entries"},
        {"benchmarks[2].stats", "median", "1", "benchmarks[2].stats.median: is 1"},
        {"benchmarks[0]", "contention", "{}", "benchmarks[0].contention: expected an array"},
        {"benchmarks[0]", "contention", "[0.1]", "benchmarks[0].contention: has 1 entries"},
        {"benchmarks[0].contention", "2", "-1",
         "benchmarks[0].contention[2]: negative contention -1"},
        {"benchmarks[0].contention", "5", "\"x\"",
         "benchmarks[0].contention[5]: expected a number"},
        {"benchmarks[0].stats.outliers", "low_mild", "-1",
         "benchmarks[0].stats.outliers.low_mild: must be >= 0"},
        {"benchmarks[0]", "checksum", "\"ABC\"", "benchmarks[0].checksum: expected 16"},
        {"benchmarks[0].counters", "instructions", "-2",
         "benchmarks[0].counters.instructions: expected a finite number >= 0"},
        {"benchmarks[0]", "metrics", "[1]", "benchmarks[0].metrics: expected an object"},
        {"", "failures", "{}", "failures: expected an array"},
        {"failures", "0", "3", "failures[0]: expected an object"},
        {"failures[1]", "round", "2", "failures[1].round: round 2 but config.rounds is 2"},
        {"failures[1]", "round", "-1", "failures[1].round: must be >= 0"},
        {"failures[1]", "name", "\"algorithms/wcc/fused/failed0\"",
         "failures[1].name: duplicate"},
        {"failures[0]", "name", "\"algorithms/pagerank/native/g1\"",
         "failures[0].name: \"algorithms/pagerank/native/g1\" is also in benchmarks"},
        {"failures[0]", "reason", NULL, "failures[0].reason: missing"},
        {"failures[0]", "reason", "\"\"", "failures[0].reason: empty"},
        {"failures[1]", "group", "1", "failures[1].group: expected a string"},
        {"failures[1]", "version", "\"2\"", "failures[1].version: expected an integer"},
    };
    gr_run *r = make_run(3);
    char *good = NULL;
    size_t c;
    add_failures(r, 2);
    ck_assert_int_eq(gr_run_to_json(r, &good, NULL), GR_OK);
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cJSON *root = cJSON_Parse(good);
        char *text, line[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 8], want[256];
        gr_run *back = NULL;
        gr_error err;
        ck_assert_ptr_nonnull(root);
        edit(root, cases[c].path, cases[c].key,
             cases[c].value ? cJSON_Parse(cases[c].value) : NULL);
        text = cJSON_Print(root);
        gr_error_clear(&err);
        ck_assert_msg(gr_run_parse(text, strlen(text), "runs/x.json", &back, &err) < 0,
                      "case %zu (%s) was accepted", c, cases[c].want);
        ck_assert_ptr_null(back);
        gr_error_format(&err, line, sizeof line);
        snprintf(want, sizeof want, "runs/x.json: %s", cases[c].want);
        ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "case %zu: got '%s', want '%s'",
                      c, line, want);
        ck_assert_msg(strchr(line, '\n') == NULL, "case %zu: not one line: %s", c, line);
        cJSON_free(text);
        cJSON_Delete(root);
    }
    gr_free(good);
    gr_run_free(&r);
}
END_TEST

static Suite *runfile_suite(void)
{
    Suite *s = suite_create("runfile");
    TCase *tc = tcase_create("write");
    tcase_add_test(tc, test_to_json_has_every_field);
    tcase_add_test(tc, test_commit_unavailable);
    tcase_add_test(tc, test_invalid_refused);
    tcase_add_test(tc, test_write_and_read_back);
    tcase_add_test(tc, test_unwritable);
    tcase_add_test(tc, test_find_and_free);
    tcase_add_test(tc, test_failures_round_trip);
    tcase_add_test(tc, test_failures_absent);
    tcase_add_test(tc, test_failures_invalid_refused);
    tcase_add_test(tc, test_failures_out_of_memory);
    tcase_add_test(tc, test_reader_messages_name_file_and_field);
    suite_add_tcase(s, tc);
    return s;
}

/* `check_runfile FILE...`: validate run files (for tests/cli/run.sh). */
static int validate_files(int argc, char **argv)
{
    int i, bad = 0;
    for (i = 1; i < argc; i++) {
        char why[512] = "", *text = tu_slurp(argv[i], NULL);
        if (!text) {
            printf("%s: cannot read\n", argv[i]);
            bad++;
            continue;
        }
        if (!schema_ok(text, why, sizeof why)) {
            printf("%s: %s\n", argv[i], why);
            bad++;
        }
        free(text);
        {
            gr_run *r = NULL;
            gr_error err;
            gr_error_clear(&err);
            if (gr_run_read(argv[i], &r, &err) != GR_OK) {
                printf("%s: gr_run_read: %s\n", argv[i], err.msg);
                bad++;
            }
            gr_run_free(&r);
        }
    }
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    int rc;
    if (argc > 1) {
        return validate_files(argc, argv);
    }
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 99;
    }
    rc = tu_run(runfile_suite());
    rmdir(tmpdir);
    return rc;
}
