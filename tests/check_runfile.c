/*
 * check_runfile.c - tests of the run file (docs/run-schema.md): the
 * writer (runfile_write.c) produces JSON with every field of the schema,
 * refuses invalid runs without writing, writes atomically; gr_run_find and
 * gr_run_free; every written file is read back with the reader
 * (runfile_read.c, gr_run_read) and compared field by field.
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
            }
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
