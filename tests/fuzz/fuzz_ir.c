/*
 * fuzz_ir.c - libFuzzer target for gr_program_parse, the reader of the
 * printed IR (src/engine/ir/parse.c).
 *
 * Any input must parse or fail with a located error, never crash, hang or
 * leak.  Whatever parses must also round-trip: its printed form parses
 * again and prints to the same text (the property golden tests rely on),
 * so a mismatch aborts.  Seed corpus: the .ir files of tests/golden/ir.
 *
 * Build (clang), from a configured build directory BUILD:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I BUILD -I include \
 *     -I src tests/fuzz/fuzz_ir.c src/engine/ir/[a-z]*.c \
 *     src/common/error.c src/common/mem.c src/common/hash.c -lm -o fuzz_ir
 *   ./fuzz_ir -max_len=4096 corpus/ tests/golden/ir/
 */
#include "config.h"
#include "gr.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print p; abort (a finding) when that fails for a reason other than
 * memory. */
static char *print_or_die(const gr_program *p)
{
    gr_error err;
    char *t = NULL;
    gr_error_clear(&err);
    if (gr_program_print(p, &t, &err) != GR_OK) {
        fprintf(stderr, "print failed: %s\n", err.msg);
        abort();
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gr_error err;
    gr_program *p = NULL, *q = NULL;
    char *text, *t1, *t2;

    text = malloc(size + 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    gr_error_clear(&err);
    if (gr_program_parse(text, "fuzz.ir", &p, &err) != GR_OK) {
        if (p != NULL || err.code == GR_OK || err.msg[0] == '\0') {
            abort(); /* a failure must say why and return nothing */
        }
        free(text);
        return 0;
    }
    t1 = print_or_die(p);
    gr_error_clear(&err);
    if (gr_program_parse(t1, "printed.ir", &q, &err) != GR_OK) {
        fprintf(stderr, "printed form does not parse: %s:%ld:%ld: %s\n%s", err.file, err.line,
                err.col, err.msg, t1);
        abort();
    }
    t2 = print_or_die(q);
    if (strcmp(t1, t2) != 0) {
        fprintf(stderr, "round trip differs:\n%s---\n%s", t1, t2);
        abort();
    }
    gr_free_string(&t1);
    gr_free_string(&t2);
    gr_program_free(&p);
    gr_program_free(&q);
    free(text);
    return 0;
}
