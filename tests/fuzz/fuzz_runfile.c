/*
 * fuzz_runfile.c - libFuzzer target for the run-file reader (gr_run_parse,
 * src/common/runfile_read.c: cJSON parsing, then the schema walk of
 * docs/run-schema.md, including the optional "failures" array).
 *
 * The input is handed over with its exact length and no NUL after it, so a
 * read past the end is caught by AddressSanitizer.  Checked on every input
 * (a violation aborts, which the fuzzer reports):
 *  - failure: no run, an error record with the returned code and a
 *    one-line message that names the file ("fuzz.json: ...");
 *  - success: a run with at least one benchmark, unique names, no name both
 *    measured and FAILED; when the writer accepts it (its validation is
 *    stricter, e.g. known groups), its JSON reads back with the same
 *    benchmarks, samples and failures.
 *
 * Build: `configure CC=clang --enable-fuzzing && make tests/fuzz/fuzz_runfile`
 * (Makefile.am, ENABLE_FUZZING), or by hand from a configured build BUILD:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I BUILD -I include -I src \
 *     tests/fuzz/fuzz_runfile.c src/common/{runfile_read,runfile_write,stats,
 *     atomic_file,error,mem,hash}.c -lcjson -lm -o fuzz_runfile
 * Run with the test data as seeds:
 *   ./fuzz_runfile -max_len=65536 -max_total_time=60 corpus/ tests/data/
 * With -DGR_FUZZ_MAIN it is a plain program that replays the files named on
 * its command line (for compilers without libFuzzer).
 */
#include "config.h"
#include "common/mem.h"
#include "common/runfile.h"

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

#define FUZZ_PATH "fuzz.json"

/* A successful read: the invariants the reader promises. */
static void check_run(const gr_run *r)
{
    size_t i;
    if (r->nbench == 0 || !r->bench) {
        FAIL("accepted a run without benchmarks\n");
    }
    for (i = 0; i < r->nbench; i++) {
        const gr_run_bench *b = &r->bench[i];
        size_t k;
        if (!b->name || !b->name[0] || b->nsamples == 0 || b->stats.n != b->nsamples) {
            FAIL("benchmarks[%zu]: bad name, samples or stats.n\n", i);
        }
        for (k = 0; k < b->nsamples; k++) {
            if (!isfinite(b->samples[k]) || b->samples[k] < 0 || b->rounds[k] < 0 ||
                b->rounds[k] >= r->config.rounds) {
                FAIL("benchmarks[%zu].samples[%zu]: accepted a bad sample or round\n", i, k);
            }
        }
        if (gr_run_find(r, b->name) != b) {
            FAIL("benchmarks[%zu]: duplicate name accepted\n", i);
        }
        if (gr_run_find_failure(r, b->name)) {
            FAIL("benchmarks[%zu]: also FAILED\n", i);
        }
    }
    for (i = 0; i < r->nfail; i++) {
        const gr_run_failure *f = &r->fail[i];
        if (!f->name || !f->name[0] || !f->group || !f->reason || !f->reason[0] ||
            f->round < 0 || f->round >= r->config.rounds || f->version < 0 ||
            gr_run_find_failure(r, f->name) != f) {
            FAIL("failures[%zu]: accepted a bad entry\n", i);
        }
    }
}

/* Written again, the run must read back the same (when the writer takes it). */
static void check_round_trip(const gr_run *r)
{
    char *text = NULL;
    gr_run *back = NULL;
    gr_error err;
    size_t i, k;
    gr_error_clear(&err);
    if (gr_run_to_json(r, &text, &err) < 0) {
        if (err.code == GR_ERR_NOMEM || !err.msg[0]) {
            FAIL("gr_run_to_json: %s\n", err.msg);
        }
        return; /* the writer's stricter rules (known groups, ...) */
    }
    gr_error_clear(&err);
    if (gr_run_parse(text, strlen(text), "written.json", &back, &err) < 0) {
        FAIL("the writer's output does not read back: %s\n", err.msg);
    }
    if (back->nbench != r->nbench || back->nfail != r->nfail) {
        FAIL("round trip changed the counts\n");
    }
    for (i = 0; i < r->nbench; i++) {
        const gr_run_bench *a = &r->bench[i], *b = &back->bench[i];
        if (strcmp(a->name, b->name) != 0 || a->nsamples != b->nsamples ||
            strcmp(a->checksum, b->checksum) != 0 || a->version != b->version) {
            FAIL("round trip changed benchmarks[%zu]\n", i);
        }
        for (k = 0; k < a->nsamples; k++) {
            if (a->samples[k] != b->samples[k] || a->rounds[k] != b->rounds[k]) {
                FAIL("round trip changed benchmarks[%zu].samples[%zu]\n", i, k);
            }
        }
    }
    for (i = 0; i < r->nfail; i++) {
        const gr_run_failure *a = &r->fail[i], *b = &back->fail[i];
        if (strcmp(a->name, b->name) != 0 || strcmp(a->reason, b->reason) != 0 ||
            a->round != b->round || a->version != b->version) {
            FAIL("round trip changed failures[%zu]\n", i);
        }
    }
    gr_run_free(&back);
    gr_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exactly sized copy: the reader must not need a NUL after the text */
    char *text = malloc(size ? size : 1);
    char line[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 8];
    gr_run *r = NULL;
    gr_error err;
    int rc;
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    gr_error_clear(&err);
    rc = gr_run_parse(text, size, FUZZ_PATH, &r, &err);
    if (rc < 0) {
        if (r || err.code != rc || !err.msg[0]) {
            FAIL("failure without a clean error record (rc %d, code %d)\n", rc, err.code);
        }
        gr_error_format(&err, line, sizeof line);
        if (strncmp(line, FUZZ_PATH ":", strlen(FUZZ_PATH ":")) != 0 || strchr(line, '\n')) {
            FAIL("error message does not name the file on one line: %s\n", line);
        }
    } else {
        if (!r) {
            FAIL("success without a run\n");
        }
        check_run(r);
        check_round_trip(r);
        gr_run_free(&r);
    }
    free(text);
    return 0;
}

#include "replay.h"
