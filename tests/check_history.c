/*
 * check_history.c - grregress's history (regress/history.h): adding runs,
 * recognising duplicates, the history order, concurrent writers (forked
 * processes recording at once), a damaged history, the per-benchmark
 * series against the known medians of tests/data/regress_*.json, and
 * clean failure when memory runs out.
 *
 * Runs are built from tests/data/regress_base.json (medians: pagerank
 * 200.3 µs, bfs 50.075 µs, wcc 120.18 µs) and regress_slow.json (bfs
 * 60.09 µs), with their commit and start time changed so that each is a
 * distinct run.  Every test works in its own temporary directory.
 */
#include "config.h"
#include "regress/history.h"
#include "common/mem.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NWRITERS 6           /* concurrent writer processes */
#define PER_WRITER 3         /* distinct runs each writer records */

static char tmpdir[256];     /* this test's directory */
static char histdir[300];    /* tmpdir/hist */

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[1024];
    struct stat sb;
    if (!d) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rm_tree(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/grhist-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(histdir, sizeof histdir, "%s/hist", tmpdir);
}

static void teardown(void)
{
    rm_tree(tmpdir);
}

static const char *data(const char *name)
{
    static char path[1024];
    const char *src = getenv("GR_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/data/%s", src ? src : GR_SRCDIR, name);
    return path;
}

static void set_str(char **field, const char *value)
{
    gr_free(*field);
    *field = gr_strdup(value);
    ck_assert_ptr_nonnull(*field);
}

/* tests/data/NAME with commit date `cdate`, short sha derived from `tag`
 * and start time `started`.  cdate NULL: a run from outside git. */
static gr_run *make_run(const char *name, const char *cdate, const char *started,
                        unsigned tag)
{
    gr_run *r = NULL;
    gr_error err;
    char sha[41];
    gr_error_clear(&err);
    ck_assert_msg(gr_run_read(data(name), &r, &err) == GR_OK, "%s: %s", name, err.msg);
    set_str(&r->started, started);
    if (!cdate) {
        r->commit.available = 0;
        set_str(&r->commit.reason, "not a git repository");
        return r;
    }
    snprintf(sha, sizeof sha, "%07x%033x", tag, 0u);
    set_str(&r->commit.sha, sha);
    sha[7] = '\0';
    set_str(&r->commit.short_sha, sha);
    set_str(&r->commit.date, cdate);
    return r;
}

/* Add r to histdir, expecting success; returns the stored path (gr_free). */
static char *add_ok(const gr_run *r, int want_dup)
{
    gr_error err;
    char *path = NULL;
    int dup = -1;
    gr_error_clear(&err);
    ck_assert_msg(gr_history_add(histdir, r, "run", &dup, &path, &err) == GR_OK, "%s: %s",
                  err.file, err.msg);
    ck_assert_int_eq(dup, want_dup);
    ck_assert_ptr_nonnull(path);
    ck_assert_msg(strncmp(path, histdir, strlen(histdir)) == 0, "stored at %s", path);
    return path;
}

/* Files of dir whose name contains `part`. */
static int count_files(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    ck_assert_ptr_nonnull(d);
    while ((de = readdir(d)) != NULL) {
        n += strstr(de->d_name, part) != NULL;
    }
    closedir(d);
    return n;
}

START_TEST(dir_choice)
{
    unsetenv("GRREGRESS_HISTORY");
    ck_assert_str_eq(gr_history_dir(NULL), GR_HISTORY_DEFAULT_DIR);
    ck_assert_str_eq(gr_history_dir(""), GR_HISTORY_DEFAULT_DIR);
    setenv("GRREGRESS_HISTORY", "/x/env", 1);
    ck_assert_str_eq(gr_history_dir(NULL), "/x/env");
    ck_assert_str_eq(gr_history_dir("opt"), "opt");
    setenv("GRREGRESS_HISTORY", "", 1);
    ck_assert_str_eq(gr_history_dir(NULL), GR_HISTORY_DEFAULT_DIR);
    unsetenv("GRREGRESS_HISTORY");
}
END_TEST

START_TEST(missing_dir_is_empty)
{
    gr_history *h = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_load(histdir, &h, &err), GR_OK);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(h->nentries, 0);
    ck_assert_str_eq(h->dir, histdir);
    gr_history_free(&h);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(access(histdir, F_OK), -1); /* reading creates nothing */
}
END_TEST

START_TEST(add_duplicate_order)
{
    /* added out of order: c3 (latest commit), c1, nogit, c2 */
    gr_run *c1 = make_run("regress_base.json", "2026-11-01T10:00:00Z",
                          "2026-11-20T00:00:00Z", 1);
    gr_run *c2 = make_run("regress_same.json", "2026-11-02T10:00:00+02:00",
                          "2026-11-19T00:00:00Z", 2);
    gr_run *c3 = make_run("regress_slow.json", "2026-11-03T10:00:00Z",
                          "2026-11-18T00:00:00Z", 3);
    gr_run *ng = make_run("regress_base.json", NULL, "2026-11-02T09:00:00Z", 0);
    gr_run *again = make_run("regress_base.json", "2026-11-01T10:00:00Z",
                             "2026-11-20T00:00:00Z", 1);
    char *p3 = add_ok(c3, 0), *p1 = add_ok(c1, 0), *png = add_ok(ng, 0), *p2 = add_ok(c2, 0);
    char *pdup = add_ok(again, 1), *pdup2 = add_ok(c3, 1);
    gr_history *h = NULL;
    gr_error err;
    size_t i;
    ck_assert_str_eq(pdup, p1);     /* the duplicate names the stored file */
    ck_assert_str_eq(pdup2, p3);
    ck_assert_ptr_nonnull(strstr(p1, "/20261120T000000Z-0000001-"));
    ck_assert_ptr_nonnull(strstr(png, "-nogit-"));
    ck_assert_int_eq(count_files(histdir, ".json"), 4);
    ck_assert_int_eq(count_files(histdir, ".tmp."), 0);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_load(histdir, &h, &err), GR_OK);
    ck_assert_uint_eq(h->nentries, 4);
    /* commit dates (c2's is 08:00Z), the no-git run by its start */
    ck_assert_str_eq(h->entries[0].file, p1);
    ck_assert_str_eq(h->entries[1].file, p2);
    ck_assert_str_eq(h->entries[2].file, png);
    ck_assert_str_eq(h->entries[3].file, p3);
    ck_assert_int_eq(h->entries[2].run->commit.available, 0);
    ck_assert_str_eq(h->entries[3].run->commit.short_sha, "0000003");
    for (i = 0; i < h->nentries; i++) {
        ck_assert_uint_eq(h->entries[i].run->nbench, 3);
    }
    gr_history_free(&h);
    gr_free(p1);
    gr_free(p2);
    gr_free(p3);
    gr_free(png);
    gr_free(pdup);
    gr_free(pdup2);
    gr_run_free(&c1);
    gr_run_free(&c2);
    gr_run_free(&c3);
    gr_run_free(&ng);
    gr_run_free(&again);
}
END_TEST

/* A duplicate is the same content, whatever the file's formatting. */
START_TEST(duplicate_by_content)
{
    gr_run *a = make_run("regress_base.json", "2026-11-01T10:00:00Z",
                         "2026-11-20T00:00:00Z", 1);
    gr_run *b = NULL;
    gr_error err;
    char *p1 = add_ok(a, 0), *p2, *text = NULL, path[400];
    uint64_t ha, hb;
    FILE *fp;
    size_t k;
    gr_error_clear(&err);
    /* the same run written compactly on one line */
    ck_assert_int_eq(gr_history_run_hash(a, &text, &ha, &err), GR_OK);
    snprintf(path, sizeof path, "%s/compact.json", tmpdir);
    fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    for (k = 0; text[k]; k++) {
        if (text[k] != '\n' && text[k] != '\t') {
            fputc(text[k], fp);
        }
    }
    fclose(fp);
    gr_free(text);
    ck_assert_int_eq(gr_run_read(path, &b, &err), GR_OK);
    ck_assert_int_eq(gr_history_run_hash(b, NULL, &hb, &err), GR_OK);
    ck_assert(ha == hb);
    p2 = add_ok(b, 1);
    ck_assert_str_eq(p1, p2);
    /* one changed sample is another run */
    b->bench[0].samples[0] *= 1.0000001;
    gr_free(p2);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_run_hash(b, NULL, &hb, &err), GR_OK);
    ck_assert(ha != hb);
    gr_free(p1);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

/* Writer process w: records its PER_WRITER runs and the run all writers
 * share; exits 0 when every add behaved. */
static int writer(int w)
{
    int k, bad = 0;
    for (k = 0; k <= PER_WRITER; k++) {
        char started[32];
        gr_run *r;
        gr_error err;
        int dup = -1;
        unsigned tag = k == PER_WRITER ? 999u : (unsigned)(w * 100 + k + 1);
        snprintf(started, sizeof started, "2026-11-%02dT%02d:00:00Z",
                 k == PER_WRITER ? 28 : w + 1, k == PER_WRITER ? 0 : k + 1);
        r = make_run(k % 2 ? "regress_slow.json" : "regress_base.json",
                     "2026-11-10T00:00:00Z", started, tag);
        gr_error_clear(&err);
        if (gr_history_add(histdir, r, "run", &dup, NULL, &err) != GR_OK
            || (k < PER_WRITER && dup != 0)) {
            fprintf(stderr, "writer %d run %d: %s (dup %d)\n", w, k, err.msg, dup);
            bad = 1;
        }
        gr_run_free(&r);
    }
    return bad;
}

START_TEST(concurrent_writers)
{
    pid_t pid[NWRITERS];
    gr_history *h = NULL;
    gr_error err;
    int w, st, shared = 0;
    size_t i;
    for (w = 0; w < NWRITERS; w++) {
        pid[w] = fork();
        ck_assert_int_ge(pid[w], 0);
        if (pid[w] == 0) {
            _exit(writer(w));
        }
    }
    for (w = 0; w < NWRITERS; w++) {
        ck_assert_int_eq(waitpid(pid[w], &st, 0), pid[w]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer %d failed", w);
    }
    ck_assert_int_eq(count_files(histdir, ".tmp."), 0);
    gr_error_clear(&err);
    ck_assert_msg(gr_history_load(histdir, &h, &err) == GR_OK, "%s", err.msg);
    /* each writer's runs plus the shared one, stored once */
    ck_assert_uint_eq(h->nentries, NWRITERS * PER_WRITER + 1);
    ck_assert_int_eq(count_files(histdir, ".json"), NWRITERS * PER_WRITER + 1);
    for (i = 0; i < h->nentries; i++) {
        shared += strcmp(h->entries[i].run->commit.short_sha, "00003e7") == 0;
        if (i > 0) { /* same commit date: ordered by start time */
            ck_assert_str_le(h->entries[i - 1].run->started, h->entries[i].run->started);
        }
    }
    ck_assert_int_eq(shared, 1);
    gr_history_free(&h);
}
END_TEST

START_TEST(damaged_history)
{
    gr_run *a = make_run("regress_base.json", "2026-11-01T10:00:00Z",
                         "2026-11-20T00:00:00Z", 1);
    char *p = add_ok(a, 0), bad[400], tmp[400];
    gr_history *h = NULL;
    gr_error err;
    FILE *fp;
    /* a temporary file a crashed writer left is not part of the history */
    snprintf(tmp, sizeof tmp, "%s/x.json.tmp.AbC123", histdir);
    fp = fopen(tmp, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("{\"trunc", fp);
    fclose(fp);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_load(histdir, &h, &err), GR_OK);
    ck_assert_uint_eq(h->nentries, 1);
    gr_history_free(&h);
    /* a truncated run file is */
    snprintf(bad, sizeof bad, "%s/zz-broken.json", histdir);
    fp = fopen(bad, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("{\"schema\": \"grperf.run/1\", \"tool\": {", fp);
    fclose(fp);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_load(histdir, &h, &err), GR_ERR_FORMAT);
    ck_assert_ptr_null(h);
    ck_assert_str_eq(err.file, bad);
    ck_assert_ptr_nonnull(strstr(err.msg, "truncated"));
    /* a writer removes stale temporary files; the damaged file stays */
    gr_run_free(&a);
    a = make_run("regress_slow.json", "2026-11-02T10:00:00Z", "2026-11-21T00:00:00Z", 2);
    gr_free(add_ok(a, 0));
    ck_assert_int_eq(access(tmp, F_OK), -1);
    ck_assert_int_eq(access(bad, F_OK), 0);
    /* a valid run with a field missing */
    unlink(bad);
    fp = fopen(bad, "w");
    ck_assert_ptr_nonnull(fp);
    {
        char *text = tu_slurp(data("regress_bad_missing.json"), NULL);
        ck_assert_ptr_nonnull(text);
        fputs(text, fp);
        free(text);
    }
    fclose(fp);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_load(histdir, &h, &err), GR_ERR_FORMAT);
    ck_assert_str_eq(err.file, bad);
    ck_assert_ptr_nonnull(strstr(err.msg, "median"));
    gr_free(p);
    gr_run_free(&a);
}
END_TEST

START_TEST(unwritable_dir)
{
    gr_run *a = make_run("regress_base.json", "2026-11-01T10:00:00Z",
                         "2026-11-20T00:00:00Z", 1);
    char file[400], under[500];
    gr_error err;
    int dup = -1;
    FILE *fp;
    snprintf(file, sizeof file, "%s/plain", tmpdir);
    fp = fopen(file, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    snprintf(under, sizeof under, "%s/sub/hist", file);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_add(under, a, "run", &dup, NULL, &err), GR_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot create directory"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_add(file, a, "run", &dup, NULL, &err), GR_ERR_IO);
    ck_assert_str_eq(err.file, file);
    gr_run_free(&a);
}
END_TEST

START_TEST(series_medians)
{
    gr_run *a = make_run("regress_base.json", "2026-11-01T10:00:00Z",
                         "2026-11-20T00:00:00Z", 1);
    gr_run *b = make_run("regress_slow.json", "2026-11-02T10:00:00Z",
                         "2026-11-20T00:00:00Z", 2);
    gr_run *c = make_run("regress_changed.json", "2026-11-03T10:00:00Z",
                         "2026-11-20T00:00:00Z", 3);
    gr_history *h = NULL;
    gr_series s;
    gr_error err;
    gr_free(add_ok(c, 0));
    gr_free(add_ok(b, 0));
    gr_free(add_ok(a, 0));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_history_load(histdir, &h, &err), GR_OK);
    ck_assert_int_eq(gr_history_series(h, "algorithms/bfs/native", &s, &err), GR_OK);
    ck_assert_str_eq(s.name, "algorithms/bfs/native");
    ck_assert_uint_eq(s.npoints, 3);
    ck_assert_ptr_eq(s.points[0].entry, &h->entries[0]);
    ck_assert_str_eq(s.points[0].entry->run->commit.short_sha, "0000001");
    ck_assert_double_eq_tol(s.points[0].median, 5.0075e-05, 1e-15);
    ck_assert_double_eq_tol(s.points[0].lo, 4.97e-05, 1e-15);
    ck_assert_double_eq_tol(s.points[0].hi, 5.045e-05, 1e-15);
    ck_assert_double_eq_tol(s.points[1].median, 6.009e-05, 1e-15);
    ck_assert_double_eq_tol(s.points[2].median, 9.0135e-05, 1e-15);
    ck_assert_uint_eq(s.points[2].bench->nsamples, 10);
    gr_series_free(&s);
    ck_assert_ptr_null(s.points);
    /* wcc is not in regress_changed.json: two points */
    ck_assert_int_eq(gr_history_series(h, "algorithms/wcc/native", &s, &err), GR_OK);
    ck_assert_uint_eq(s.npoints, 2);
    ck_assert_double_eq_tol(s.points[1].median, 0.00012018, 1e-15);
    gr_series_free(&s);
    ck_assert_int_eq(gr_history_series(h, "algorithms/nope", &s, &err), GR_ERR_EMPTY);
    ck_assert_ptr_nonnull(strstr(err.msg, "algorithms/nope"));
    ck_assert_uint_eq(s.npoints, 0);
    gr_series_free(&s);
    gr_history_free(&h);
    gr_run_free(&a);
    gr_run_free(&b);
    gr_run_free(&c);
}
END_TEST

/* Allowing 0, 1, 2, ... allocations, add and load fail cleanly with
 * GR_ERR_NOMEM (ASan builds check nothing leaks) until they succeed. */
START_TEST(out_of_memory)
{
    gr_run *a = make_run("regress_base.json", "2026-11-01T10:00:00Z",
                         "2026-11-20T00:00:00Z", 1);
    gr_run *b = make_run("regress_slow.json", "2026-11-02T10:00:00Z",
                         "2026-11-20T00:00:00Z", 2);
    gr_history *h = NULL;
    gr_series s;
    gr_error err;
    char *path = NULL;
    long k;
    int rc = -1, dup;
    gr_free(add_ok(b, 0));
    for (k = 0; k < 100000 && rc != GR_OK; k++) {
        gr_error_clear(&err);
        gr_mem_fail_after(k);
        rc = gr_history_add(histdir, a, "run", &dup, &path, &err);
        gr_mem_fail_after(-1);
        if (rc != GR_OK) {
            ck_assert_int_eq(rc, GR_ERR_NOMEM);
            ck_assert_int_eq(count_files(histdir, ".json"), 1);
        }
    }
    ck_assert_int_eq(rc, GR_OK);
    ck_assert_int_eq(dup, 0);
    gr_free(path);
    for (rc = -1, k = 0; k < 100000 && rc != GR_OK; k++) {
        gr_error_clear(&err);
        gr_mem_fail_after(k);
        rc = gr_history_load(histdir, &h, &err);
        if (rc == GR_OK) {
            rc = gr_history_series(h, "algorithms/bfs/native", &s, &err);
            if (rc == GR_OK) {
                ck_assert_uint_eq(s.npoints, 2);
                gr_series_free(&s);
            }
            gr_history_free(&h);
        }
        gr_mem_fail_after(-1);
        if (rc != GR_OK) {
            ck_assert_int_eq(rc, GR_ERR_NOMEM);
            ck_assert_ptr_null(h);
        }
    }
    ck_assert_int_eq(rc, GR_OK);
    gr_run_free(&a);
    gr_run_free(&b);
}
END_TEST

static Suite *history_suite(void)
{
    Suite *s = suite_create("history");
    TCase *t = tcase_create("history");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, dir_choice);
    tcase_add_test(t, missing_dir_is_empty);
    tcase_add_test(t, add_duplicate_order);
    tcase_add_test(t, duplicate_by_content);
    tcase_add_test(t, concurrent_writers);
    tcase_add_test(t, damaged_history);
    tcase_add_test(t, unwritable_dir);
    tcase_add_test(t, series_medians);
    tcase_add_test(t, out_of_memory);
    tcase_set_timeout(t, 120);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run(history_suite());
}
