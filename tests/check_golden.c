/*
 * check_golden.c - data-driven golden tests of the language front end.
 *
 * Every tests/golden/lang/NAME.grl is compiled (as file "NAME.grl") and
 * compared with exactly one expectation beside it:
 *   NAME.ir   the program compiles, and gr_program_print gives this text
 *             (which must also parse back and print the same);
 *   NAME.err  the program fails, and the diagnostics are exactly this text
 *             (and the gr_error names the first of them).
 * Every algorithm of the library (gr_library_names) is compiled from the
 * source embedded in libgr and compared with lib_NAME.ir, which must exist.
 *
 * GR_GOLDEN_UPDATE=1 in the environment rewrites the expectations from the
 * actual output instead of comparing (review the diff before committing);
 * a .grl without an expectation then gets the one matching its outcome.
 */
#include "config.h"
#include "gr.h"
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_DIR GR_SRCDIR "/tests/golden/lang"

static char **cases;        /* NAME of every NAME.grl, sorted */
static int ncases;

static int updating(void)
{
    const char *u = getenv("GR_GOLDEN_UPDATE");
    return u && *u && strcmp(u, "0") != 0;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* The first line where a and b differ, for the failure message. */
static void first_diff(const char *a, const char *b, char *out, size_t n)
{
    int line = 1;
    const char *la = a, *lb = b;
    while (*a && *a == *b) {
        if (*a == '\n') {
            line++;
            la = a + 1;
            lb = b + 1;
        }
        a++;
        b++;
    }
    snprintf(out, n, "line %d:\n  expected: %.*s\n  actual:   %.*s", line,
             (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"), lb);
}

static void expect_text(const char *what, const char *path, const char *expected,
                        const char *actual)
{
    char diff[1024];
    if (strcmp(expected, actual) == 0) {
        return;
    }
    first_diff(expected, actual, diff, sizeof diff);
    ck_abort_msg("%s: %s differs at %s\n--- actual output ---\n%s", what, path, diff, actual);
}

/* The printed form parses back to a program that prints the same. */
static void check_round_trip(const char *name, const char *text)
{
    gr_program *q = NULL;
    gr_error err;
    char *again = NULL, buf[700];
    gr_error_clear(&err);
    ck_assert_msg(gr_program_parse(text, name, &q, &err) == GR_OK,
                  "%s: printed IR does not parse: %s", name,
                  gr_error_format(&err, buf, sizeof buf));
    ck_assert_int_eq(gr_program_print(q, &again, &err), GR_OK);
    expect_text("round trip", name, text, again);
    gr_free_string(&again);
    gr_program_free(&q);
}

/* Compile src as `file` and compare with base.ir / base.err. */
static void run_case(const char *src, size_t len, const char *file, const char *base,
                     int library)
{
    char irpath[1024], errpath[1024], buf[1024];
    char *want_ir, *want_err;
    gr_program *p = NULL;
    gr_diags d;
    gr_error err;
    int rc;

    snprintf(irpath, sizeof irpath, "%s/%s.ir", GOLDEN_DIR, base);
    snprintf(errpath, sizeof errpath, "%s/%s.err", GOLDEN_DIR, base);
    want_ir = tu_slurp(irpath, NULL);
    want_err = tu_slurp(errpath, NULL);
    ck_assert_msg(!(want_ir && want_err), "%s: both .ir and .err exist", base);
    ck_assert_msg(want_ir || want_err || updating(),
                  "%s: no expectation (%s.ir or %s.err); run with GR_GOLDEN_UPDATE=1", base,
                  base, base);
    gr_error_clear(&err);
    rc = gr_lang_compile(src, len, file, &p, &d, &err);
    if (rc == GR_OK) {
        char *text = NULL;
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(d.count, 0);
        ck_assert_ptr_null(d.text);
        ck_assert_int_eq(gr_program_verify(p, &err), GR_OK);
        ck_assert_int_eq(gr_program_print(p, &text, &err), GR_OK);
        if (updating() && !want_err) {
            spit(irpath, text);
        } else {
            ck_assert_msg(want_ir != NULL, "%s: compiled, but a failure was expected:\n%s", base,
                          want_err);
            expect_text("IR", base, want_ir, text);
        }
        check_round_trip(base, text);
        gr_free_string(&text);
        gr_program_free(&p);
    } else {
        ck_assert_ptr_null(p);
        ck_assert_msg(d.count > 0 && d.text != NULL, "%s: failed (%s) without diagnostics",
                      base, gr_error_format(&err, buf, sizeof buf));
        ck_assert_msg(!library, "library algorithm %s does not compile:\n%s", base, d.text);
        /* err is the first diagnostic. */
        snprintf(buf, sizeof buf, "%s:%ld:%ld: %s\n", err.file, err.line, err.col, err.msg);
        ck_assert_msg(strncmp(d.text, buf, strlen(buf)) == 0,
                      "%s: err (%s) is not the first diagnostic", base, buf);
        if (updating() && !want_ir) {
            spit(errpath, d.text);
        } else {
            ck_assert_msg(want_err != NULL, "%s: failed, but it should compile:\n%s", base,
                          d.text);
            expect_text("diagnostics", base, want_err, d.text);
        }
        gr_diags_release(&d);
    }
    free(want_ir);
    free(want_err);
}

START_TEST(test_golden_file)
{
    char path[1024], file[300];
    size_t len = 0;
    char *src;
    snprintf(path, sizeof path, "%s/%s.grl", GOLDEN_DIR, cases[_i]);
    snprintf(file, sizeof file, "%s.grl", cases[_i]);
    src = tu_slurp(path, &len);
    ck_assert_msg(src != NULL, "cannot read %s", path);
    run_case(src, len, file, cases[_i], 0);
    free(src);
}
END_TEST

START_TEST(test_golden_library)
{
    const char *const *names = gr_library_names();
    int i;
    ck_assert_ptr_nonnull(names);
    for (i = 0; names[i]; i++) {
        const char *src = gr_library_source(names[i]);
        char base[300], file[300];
        ck_assert_ptr_nonnull(src);
        snprintf(base, sizeof base, "lib_%s", names[i]);
        snprintf(file, sizeof file, "%s.grl", names[i]);
        run_case(src, strlen(src), file, base, 1);
    }
    ck_assert_int_ge(i, 6);
}
END_TEST

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void scan_cases(void)
{
    DIR *dir = opendir(GOLDEN_DIR);
    struct dirent *de;
    int cap = 0;
    if (!dir) {
        fprintf(stderr, "check_golden: cannot open %s\n", GOLDEN_DIR);
        exit(1);
    }
    while ((de = readdir(dir))) {
        size_t n = strlen(de->d_name);
        if (n > 4 && strcmp(de->d_name + n - 4, ".grl") == 0) {
            if (ncases == cap) {
                cap = cap ? cap * 2 : 64;
                cases = realloc(cases, (size_t)cap * sizeof *cases);
            }
            if (!cases || !(cases[ncases] = strndup(de->d_name, n - 4))) {
                fprintf(stderr, "check_golden: out of memory\n");
                exit(1);
            }
            ncases++;
        }
    }
    closedir(dir);
    qsort(cases, (size_t)ncases, sizeof *cases, cmp_str);
}

int main(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("lang");
    SRunner *sr;
    int failed, i;

    scan_cases();
    tcase_add_loop_test(tc, test_golden_file, 0, ncases);
    tcase_add_test(tc, test_golden_library);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    for (i = 0; i < ncases; i++) {
        free(cases[i]);
    }
    free(cases);
    return failed == 0 && ncases > 0 ? 0 : 1;
}
