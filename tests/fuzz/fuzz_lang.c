/*
 * fuzz_lang.c - libFuzzer target for gr_lang_compile, the language front
 * end (the files of src/engine/lang).
 *
 * Any input must compile or fail with located diagnostics, never crash,
 * hang or leak.  The input is passed with its exact length and no NUL
 * after it, so a read past the end is caught by ASan.  Checked on every
 * input (a violation aborts, which the fuzzer reports):
 *  - success: a program, no diagnostics, and it verifies; its printed IR
 *    parses back and prints the same;
 *  - failure: no program, 1..20 diagnostics whose text starts with the
 *    first error's "file:line:col: message" (the gr_error), each followed
 *    by a source line and a caret line.
 * Seed corpus: the algorithm library (the .grl files of src/engine/algorithms)
 * and the golden programs (the .grl files of tests/golden/lang).
 *
 * Build (clang), from a configured build directory BUILD (library.c is
 * generated there by make):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I BUILD -I include \
 *     -I src tests/fuzz/fuzz_lang.c src/engine/lang/[a-z]*.c \
 *     src/engine/ir/[a-z]*.c BUILD/src/engine/algorithms/library.c \
 *     src/common/error.c src/common/mem.c src/common/hash.c -lm -o fuzz_lang
 *   ./fuzz_lang -max_len=4096 -dict=tests/fuzz/grl.dict corpus/ \
 *     src/engine/algorithms/ tests/golden/lang/
 */
#include "config.h"
#include "gr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                              \
    do {                                                                                       \
        fprintf(stderr, __VA_ARGS__);                                                          \
        abort();                                                                               \
    } while (0)

/* Every diagnostic is three lines: message, source, caret. */
static void check_diags(const gr_diags *d, const gr_error *err)
{
    char first[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    const char *p = d->text;
    size_t lines = 0;
    if (!d->text || d->count < 1 || d->count > 20) {
        FAIL("failure with %d diagnostics\n", d->count);
    }
    snprintf(first, sizeof first, "%s:%ld:%ld: %s\n", err->file, err->line, err->col, err->msg);
    if (err->line < 1 || err->col < 1 || strncmp(d->text, first, strlen(first)) != 0) {
        FAIL("gr_error is not the first diagnostic:\n%s---\n%s", first, d->text);
    }
    for (; *p; p++) {
        lines += *p == '\n';
    }
    if (lines % 3 != 0 || lines < (size_t)d->count * 3 || p == d->text || p[-1] != '\n') {
        FAIL("diagnostics are not message/source/caret triples:\n%s", d->text);
    }
}

static void check_program(const gr_program *p)
{
    gr_error err;
    gr_program *q = NULL;
    char *t1 = NULL, *t2 = NULL;
    gr_error_clear(&err);
    if (gr_program_verify(p, &err) != GR_OK) {
        FAIL("compiled program does not verify: %s\n", err.msg);
    }
    if (gr_program_print(p, &t1, &err) != GR_OK) {
        FAIL("print failed: %s\n", err.msg);
    }
    if (gr_program_parse(t1, "printed.ir", &q, &err) != GR_OK) {
        FAIL("printed form does not parse: %ld:%ld: %s\n%s", err.line, err.col, err.msg, t1);
    }
    if (gr_program_print(q, &t2, &err) != GR_OK || strcmp(t1, t2) != 0) {
        FAIL("round trip differs:\n%s---\n%s", t1, t2 ? t2 : "");
    }
    gr_free_string(&t1);
    gr_free_string(&t2);
    gr_program_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gr_program *p = NULL;
    gr_diags d;
    gr_error err;
    char *src = malloc(size ? size : 1); /* exact size: no terminator to lean on */
    int rc;

    if (!src) {
        return 0;
    }
    memcpy(src, data, size);
    gr_error_clear(&err);
    rc = gr_lang_compile(src, size, "fuzz.grl", &p, &d, &err);
    if (rc == GR_OK) {
        if (!p || d.count != 0 || d.text) {
            FAIL("success without a program, or with diagnostics\n");
        }
        check_program(p);
        gr_program_free(&p);
    } else {
        if (p || rc == GR_ERR_NOMEM || err.code != rc) {
            FAIL("failure %d returned a program or a mismatched error\n", rc);
        }
        check_diags(&d, &err);
        gr_diags_release(&d);
    }
    free(src);
    return 0;
}
