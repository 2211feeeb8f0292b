/*
 * fuzz_load.c - libFuzzer target for the graph loaders.
 *
 * Each input is written to a temporary file and loaded as an edge list, as
 * Matrix Market, as a snapshot and by auto-detection.  A load must either
 * fail cleanly (no graph, an error record with the same code) or give a
 * graph that passes gr_graph_validate (text formats) and whose every array
 * can be walked without leaving its bounds (all formats: AddressSanitizer
 * watches).  Inputs that start with the snapshot magic are also loaded
 * with their checksum recomputed, so the fuzzer reaches the structural
 * checks a crafted file would meet.
 *
 * Build (libFuzzer):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -I$BUILD \
 *     tests/fuzz/fuzz_load.c src/common/{atomic_file,error,hash,mem}.c \
 *     src/engine/runtime.c \
 *     src/engine/graph/{graph,build,load,load_edgelist,load_mtx,snapshot}.c -lm
 *   ./a.out -max_total_time=60 tests/data
 * With -DGR_FUZZ_MAIN it is a plain program that replays the files named
 * on its command line (for compilers without libFuzzer).
 */
#include "config.h"
#include "gr.h"
#include "common/hash.h"
#include "engine/graph/load_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SNAP_HDR GR_SNAP_HDR_SIZE
#define SNAP_CKSUM_AT GR_SNAP_CKSUM_AT
#define SNAP_SEED GR_SNAP_SEED

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_path[64];
static volatile double fuzz_sink; /* keeps the weight reads */

static void put_file(const uint8_t *data, size_t size)
{
    FILE *f;
    if (!fuzz_path[0]) {
        int fd;
        snprintf(fuzz_path, sizeof fuzz_path, "/tmp/fuzz_load-XXXXXX");
        fd = mkstemp(fuzz_path);
        if (fd < 0) {
            abort();
        }
        close(fd);
    }
    f = fopen(fuzz_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        abort();
    }
}

/* Read every array through its indices, so a bad index shows. */
static void walk(const gr_graph *g)
{
    uint32_t u, *deg = calloc((size_t)g->n + 1, sizeof *deg);
    if (!deg) {
        return;
    }
    for (u = 0; u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            deg[g->out_adj[k]]++;
            fuzz_sink += g->out_w ? g->out_w[k] : 0;
        }
        for (k = g->in_off[u]; k < g->in_off[u + 1]; k++) {
            deg[g->in_adj[k]]++;
            fuzz_sink += g->in_w ? g->in_w[k] : 0;
        }
        if (gr_graph_dense_id(g, gr_graph_orig_id(g, u)) != (int64_t)u) {
            abort(); /* original ids must lead back */
        }
    }
    (void)gr_graph_digest(g);
    free(deg);
}

static void try_load(gr_format fmt, unsigned flags, int must_validate)
{
    gr_graph *g = NULL;
    gr_error err;
    int rc;
    gr_error_clear(&err);
    rc = gr_graph_load(fuzz_path, fmt, flags, &g, &err);
    if (rc != GR_OK) {
        if (g || err.code != rc || !err.msg[0]) {
            abort();
        }
        return;
    }
    if (!g || (must_validate && gr_graph_validate(g, NULL) != GR_OK)) {
        abort();
    }
    walk(g);
    gr_graph_free(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    put_file(data, size);
    try_load(GR_FORMAT_EDGELIST, 0, 1);
    try_load(GR_FORMAT_EDGELIST, GR_BUILD_SYMMETRIZE, 1);
    try_load(GR_FORMAT_MTX, 0, 1);
    try_load(GR_FORMAT_SNAPSHOT, 0, 0);
    try_load(GR_FORMAT_AUTO, 0, 0);
    if (size >= SNAP_HDR && data[0] == 0x89 && data[1] == 'G') {
        /* Forge a valid checksum to get past it. */
        uint8_t *copy = malloc(size);
        gr_hash h;
        uint64_t sum;
        int i;
        if (!copy) {
            return 0;
        }
        memcpy(copy, data, size);
        gr_hash_init(&h, SNAP_SEED);
        gr_hash_update(&h, copy, SNAP_CKSUM_AT);
        gr_hash_update(&h, copy + SNAP_HDR, size - SNAP_HDR);
        sum = gr_hash_final(&h);
        for (i = 0; i < 8; i++) {
            copy[SNAP_CKSUM_AT + i] = (uint8_t)(sum >> (8 * i));
        }
        put_file(copy, size);
        free(copy);
        try_load(GR_FORMAT_SNAPSHOT, 0, 0);
        try_load(GR_FORMAT_SNAPSHOT, GR_BUILD_SYMMETRIZE, 0);
    }
    return 0;
}

#include "replay.h"
