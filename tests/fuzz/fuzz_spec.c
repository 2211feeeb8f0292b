/*
 * fuzz_spec.c - libFuzzer target for the graph-spec parser (gr_spec_parse)
 * and its printer (gr_spec_format), src/engine/graph/spec.c.
 *
 * The input is the spec text (cut at its first NUL, as a C string would
 * be).  Checked on every input (a violation aborts, which the fuzzer
 * reports):
 *  - failure: an error record with the returned code and a message;
 *  - success: the canonical text (gr_spec_format) fits GR_SPEC_TEXT_MAX,
 *    parses back to the same spec (the header's promise) and formats to
 *    the same text again; generator parameters are in range (rmat
 *    probabilities in [0, 1] summing to at most 1).
 * Nothing is generated or loaded: the spec is only parsed and printed.
 *
 * Build: `configure CC=clang --enable-fuzzing && make tests/fuzz/fuzz_spec`
 * (Makefile.am, ENABLE_FUZZING); run it with a few specs as seeds:
 *   mkdir corpus && printf 'uniform:n=1000,m=5000,seed=42' >corpus/a &&
 *   printf 'rmat:scale=18,ef=16,seed=1,sym=1' >corpus/b &&
 *   printf 'file:tests/data/small.el,format=edgelist,weights=unit' >corpus/c
 *   ./tests/fuzz/fuzz_spec -max_len=2048 -max_total_time=60 corpus/
 * With -DGR_FUZZ_MAIN it is a plain program that replays the files named on
 * its command line.
 */
#include "config.h"
#include "gr.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf(stderr, __VA_ARGS__);                                          \
        abort();                                                               \
    } while (0)

/* Two specs describe the same graph, field by field (bit-equal numbers). */
static int same_spec(const gr_spec *x, const gr_spec *y)
{
    return x->kind == y->kind && x->n == y->n && x->m == y->m && x->scale == y->scale &&
           x->ef == y->ef && memcmp(&x->a, &y->a, sizeof x->a) == 0 &&
           memcmp(&x->b, &y->b, sizeof x->b) == 0 && memcmp(&x->c, &y->c, sizeof x->c) == 0 &&
           x->seed == y->seed && x->sym == y->sym && x->weights == y->weights &&
           (x->kind != GR_SPEC_FILE ||
            (x->format == y->format && strcmp(x->path, y->path) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), canon[GR_SPEC_TEXT_MAX], again[GR_SPEC_TEXT_MAX];
    gr_spec sp, back;
    gr_error err;
    int rc;
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    memset(&sp, 0, sizeof sp);
    gr_error_clear(&err);
    rc = gr_spec_parse(text, &sp, &err);
    if (rc < 0) {
        if (err.code != rc || !err.msg[0]) {
            FAIL("failure without a clean error record (rc %d)\n", rc);
        }
        free(text);
        return 0;
    }
    if (sp.kind == GR_SPEC_RMAT &&
        !(sp.a >= 0 && sp.b >= 0 && sp.c >= 0 && sp.a + sp.b + sp.c <= 1.0 + 1e-9)) {
        FAIL("accepted rmat probabilities %g %g %g\n", sp.a, sp.b, sp.c);
    }
    if (sp.kind == GR_SPEC_FILE && !memchr(sp.path, '\0', sizeof sp.path)) {
        FAIL("path not terminated\n");
    }
    gr_spec_format(&sp, canon, sizeof canon);
    if (strlen(canon) + 1 >= sizeof canon) {
        FAIL("canonical text fills GR_SPEC_TEXT_MAX: %s\n", canon);
    }
    memset(&back, 0, sizeof back);
    gr_error_clear(&err);
    if (gr_spec_parse(canon, &back, &err) < 0) {
        FAIL("canonical text '%s' (of '%s') does not parse: %s\n", canon, text, err.msg);
    }
    if (!same_spec(&sp, &back)) {
        FAIL("canonical text '%s' (of '%s') parses to another spec\n", canon, text);
    }
    gr_spec_format(&back, again, sizeof again);
    if (strcmp(canon, again) != 0) {
        FAIL("formatting is not stable: '%s' then '%s'\n", canon, again);
    }
    free(text);
    return 0;
}

#include "replay.h"
