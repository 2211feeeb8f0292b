/*
 * snapshot.c - the grperf binary snapshot (.grs): writing one atomically
 * and loading one by mmap, so a graph of millions of edges is ready in
 * milliseconds.
 *
 * Layout (every field little-endian):
 *
 *     0  magic      8 bytes  89 'G' 'R' 'S' '\r' '\n' 1a '\n'
 *     8  version    u32      1
 *    12  flags      u32      1 weighted, 2 orig ids, 4 symmetric,
 *                            8 CSC shares CSR (no in_* sections)
 *    16  bom        u32      0x01020304 (byte order check)
 *    20  hdr_size   u32      256
 *    24  n, m       u64 x2
 *    40  file_size  u64      total bytes
 *    48  sections   7 x (u64 offset, u64 length): out_off, out_adj, out_w,
 *                            in_off, in_adj, in_w, orig_id (absent: 0, 0)
 *   160  reserved   zeros
 *   248  checksum   u64      gr_hash of bytes [0,248) then [256,file_size)
 *   256  sections, each at a 64-byte aligned offset, zero padding between
 *
 * Loading maps the file read-only and checks, in this order: magic,
 * version, byte order, header, that every section lies in the file, the
 * checksum, then (O(n+m), sequential) that offsets run from 0 to m without
 * decreasing, that every neighbour id is < n and that original ids
 * increase, so a crafted file cannot make an algorithm read out of
 * bounds.  The checksum and the structural check run side by side on two
 * threads.  The graph's arrays then point into the mapping.
 */
#include "config.h"
#include "gr.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"
#include "engine/graph/load_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_VERSION 1u
#define SNAP_BOM 0x01020304u
#define HDR_SIZE GR_SNAP_HDR_SIZE
#define HDR_CKSUM GR_SNAP_CKSUM_AT
#define SEC_ALIGN 64u
#define CK_SEED GR_SNAP_SEED /* "grsnaps1" */

static const unsigned char snap_magic[8] = {0x89, 'G', 'R', 'S', '\r', '\n', 0x1a, '\n'};

enum {
    SF_WEIGHTED = 1u,
    SF_ORIG = 2u,
    SF_SYMMETRIC = 4u,
    SF_SHARED = 8u,
    SF_ALL = 15u
};

enum { SEC_OUT_OFF, SEC_OUT_ADJ, SEC_OUT_W, SEC_IN_OFF, SEC_IN_ADJ, SEC_IN_W, SEC_ORIG, SEC_N };

static const char *const sec_name[SEC_N] = {
    "out_off", "out_adj", "out_w", "in_off", "in_adj", "in_w", "orig_id",
};

/* The header, decoded. */
typedef struct snap_hdr {
    uint32_t version;
    uint32_t flags;
    uint32_t bom;
    uint32_t hdr_size;
    uint64_t n;
    uint64_t m;
    uint64_t file_size;
    uint64_t off[SEC_N];  /* section offsets */
    uint64_t len[SEC_N];  /* section lengths in bytes */
    uint64_t checksum;
} snap_hdr;

int gr_snapshot_magic_ok(const void *p, size_t n)
{
    return n >= sizeof snap_magic && memcmp(p, snap_magic, sizeof snap_magic) == 0;
}

static int host_little(void)
{
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void put32(unsigned char *p, uint32_t v)
{
    int i;
    for (i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void hdr_encode(const snap_hdr *h, unsigned char *b)
{
    int s;
    memset(b, 0, HDR_SIZE);
    memcpy(b, snap_magic, sizeof snap_magic);
    put32(b + 8, h->version);
    put32(b + 12, h->flags);
    put32(b + 16, h->bom);
    put32(b + 20, h->hdr_size);
    put64(b + 24, h->n);
    put64(b + 32, h->m);
    put64(b + 40, h->file_size);
    for (s = 0; s < SEC_N; s++) {
        put64(b + 48 + 16 * s, h->off[s]);
        put64(b + 56 + 16 * s, h->len[s]);
    }
    put64(b + HDR_CKSUM, h->checksum);
}

static void hdr_decode(const unsigned char *b, snap_hdr *h)
{
    int s;
    h->version = get32(b + 8);
    h->flags = get32(b + 12);
    h->bom = get32(b + 16);
    h->hdr_size = get32(b + 20);
    h->n = get64(b + 24);
    h->m = get64(b + 32);
    h->file_size = get64(b + 40);
    for (s = 0; s < SEC_N; s++) {
        h->off[s] = get64(b + 48 + 16 * s);
        h->len[s] = get64(b + 56 + 16 * s);
    }
    h->checksum = get64(b + HDR_CKSUM);
}

/* Whether section s is present for these flags, and its length. */
static int sec_expected(uint64_t n, uint64_t m, uint32_t flags, int s, uint64_t *len)
{
    int shared = (flags & SF_SHARED) != 0, weighted = (flags & SF_WEIGHTED) != 0;
    switch (s) {
    case SEC_OUT_OFF: *len = (n + 1) * 8; return 1;
    case SEC_OUT_ADJ: *len = m * 4; return 1;
    case SEC_OUT_W: *len = m * 8; return weighted;
    case SEC_IN_OFF: *len = (n + 1) * 8; return !shared;
    case SEC_IN_ADJ: *len = m * 4; return !shared;
    case SEC_IN_W: *len = m * 8; return !shared && weighted;
    default: *len = n * 8; return (flags & SF_ORIG) != 0;
    }
}

/* ---- saving ------------------------------------------------------- */

/* Where the bytes go: a running hash, a file, or both. */
typedef struct sink {
    gr_hash *h;
    FILE *fp;
    int bad;             /* a write failed */
} sink;

static void put(sink *k, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    if (k->h) {
        gr_hash_update(k->h, p, n);
    }
    if (k->fp && !k->bad && fwrite(p, 1, n, k->fp) != n) {
        k->bad = 1;
    }
}

/* Everything after the header: padding and sections in file order. */
static void put_body(sink *k, const snap_hdr *h, const void *const *data)
{
    static const unsigned char zeros[SEC_ALIGN];
    uint64_t pos = HDR_SIZE;
    int s;
    for (s = 0; s < SEC_N; s++) {
        if (!data[s]) {
            continue;
        }
        put(k, zeros, (size_t)(h->off[s] - pos));
        put(k, data[s], (size_t)h->len[s]);
        pos = h->off[s] + h->len[s];
    }
}

int gr_graph_save_snapshot(const gr_graph *g, const char *path, gr_error *err)
{
    const struct gr_graph_store *st;
    unsigned char hb[HDR_SIZE];
    const void *data[SEC_N];
    snap_hdr h;
    gr_hash hs;
    gr_afile af;
    uint64_t pos = HDR_SIZE;
    sink k;
    int s, rc;
    if (!g || !path) {
        return gr_err(err, GR_ERR_INVALID, "gr_graph_save_snapshot: no graph or path");
    }
    if (!host_little()) {
        return gr_err_at(err, GR_ERR_INVALID, path, 0, 0,
                         "snapshots are little-endian and this machine is not");
    }
    st = g->priv_;
    memset(&h, 0, sizeof h);
    h.version = SNAP_VERSION;
    h.bom = SNAP_BOM;
    h.hdr_size = HDR_SIZE;
    h.n = g->n;
    h.m = g->m;
    h.flags = (g->out_w ? SF_WEIGHTED : 0u) | (g->orig_id ? SF_ORIG : 0u) |
              (g->symmetric ? SF_SYMMETRIC : 0u) |
              ((st && st->in_shares_out) || g->in_off == g->out_off ? SF_SHARED : 0u);
    {
        const void *arrays[SEC_N] = {g->out_off, g->out_adj, g->out_w, g->in_off,
                                     g->in_adj,  g->in_w,    g->orig_id};
        for (s = 0; s < SEC_N; s++) {
            data[s] = NULL;
            if (!sec_expected(h.n, h.m, h.flags, s, &h.len[s])) {
                h.len[s] = 0;
                continue;
            }
            if (!arrays[s]) {
                return gr_err_at(err, GR_ERR_INVALID, path, 0, 0,
                                 "graph has no %s array", sec_name[s]);
            }
            data[s] = arrays[s];
            h.off[s] = (pos + SEC_ALIGN - 1) / SEC_ALIGN * SEC_ALIGN;
            pos = h.off[s] + h.len[s];
        }
    }
    h.file_size = pos;
    hdr_encode(&h, hb);
    gr_hash_init(&hs, CK_SEED);
    gr_hash_update(&hs, hb, HDR_CKSUM);
    k = (sink){&hs, NULL, 0};
    put_body(&k, &h, data);
    h.checksum = gr_hash_final(&hs);
    put64(hb + HDR_CKSUM, h.checksum);
    if ((rc = gr_afile_open(&af, path, err)) < 0) {
        return rc;
    }
    k = (sink){NULL, af.fp, 0};
    put(&k, hb, HDR_SIZE);
    put_body(&k, &h, data);
    if (k.bad) {
        int e = errno;
        gr_afile_abort(&af);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot write: %s",
                         strerror(e ? e : EIO));
    }
    return gr_afile_commit(&af, err);
}

/* ---- loading ------------------------------------------------------ */

static int corrupt(gr_error *err, const char *path, const char *what)
{
    return gr_err_at(err, GR_ERR_FORMAT, path, 0, 0, "%s", what);
}

/* Check the header of a mapped file of `size` bytes. */
static int check_header(const unsigned char *map, size_t size, const char *path, snap_hdr *h,
                        gr_error *err)
{
    char msg[160];
    int s;
    if (size < sizeof snap_magic || !gr_snapshot_magic_ok(map, size)) {
        return corrupt(err, path, "not a grperf snapshot");
    }
    if (size < HDR_SIZE) {
        snprintf(msg, sizeof msg, "truncated snapshot: %zu bytes, shorter than its header", size);
        return corrupt(err, path, msg);
    }
    hdr_decode(map, h);
    if (h->version != SNAP_VERSION) {
        snprintf(msg, sizeof msg, "unsupported snapshot version %u (this build reads %u)",
                 h->version, SNAP_VERSION);
        return corrupt(err, path, msg);
    }
    if (h->bom != SNAP_BOM) {
        return corrupt(err, path, "wrong byte order: not a little-endian grperf snapshot");
    }
    if (!host_little()) {
        return corrupt(err, path, "snapshots can only be mapped on little-endian machines");
    }
    if (h->hdr_size != HDR_SIZE || (h->flags & ~SF_ALL)) {
        snprintf(msg, sizeof msg, "corrupt snapshot header: header size %u, flags 0x%x",
                 h->hdr_size, h->flags);
        return corrupt(err, path, msg);
    }
    if (h->file_size > size) {
        snprintf(msg, sizeof msg, "truncated snapshot: %zu bytes, the header says %llu", size,
                 (unsigned long long)h->file_size);
        return corrupt(err, path, msg);
    }
    if (h->file_size < size) {
        snprintf(msg, sizeof msg, "corrupt snapshot: %zu bytes, the header says %llu", size,
                 (unsigned long long)h->file_size);
        return corrupt(err, path, msg);
    }
    if (h->n > UINT32_MAX || h->m > size / 4) {
        snprintf(msg, sizeof msg, "corrupt snapshot header: n=%llu, m=%llu",
                 (unsigned long long)h->n, (unsigned long long)h->m);
        return corrupt(err, path, msg);
    }
    for (s = 0; s < SEC_N; s++) {
        uint64_t want;
        if (!sec_expected(h->n, h->m, h->flags, s, &want)) {
            want = 0;
            if (h->off[s] == 0 && h->len[s] == 0) {
                continue;
            }
        }
        if (h->len[s] != want || h->off[s] % SEC_ALIGN != 0 || h->off[s] < HDR_SIZE) {
            snprintf(msg, sizeof msg,
                     "corrupt snapshot header: section %s at %llu has %llu bytes, expected %llu",
                     sec_name[s], (unsigned long long)h->off[s], (unsigned long long)h->len[s],
                     (unsigned long long)want);
            return corrupt(err, path, msg);
        }
        if (h->off[s] > size || h->len[s] > size - h->off[s]) {
            snprintf(msg, sizeof msg, "truncated snapshot: section %s ends past the end of the file",
                     sec_name[s]);
            return corrupt(err, path, msg);
        }
    }
    return GR_OK;
}

/* NULL when rows are well formed: offsets 0..m non-decreasing, ids < n. */
static const char *check_rows(const uint64_t *off, const uint32_t *adj, uint64_t n, uint64_t m)
{
    uint64_t i;
    int32_t lim;
    int bad = 0;
    if (off[0] != 0 || off[n] != m) {
        return "offsets do not run from 0 to m";
    }
    for (i = 0; i < n; i++) {
        bad |= off[i + 1] < off[i];
    }
    if (bad) {
        return "offsets decrease";
    }
    if (m && n == 0) {
        return "a neighbour id is >= n";
    }
    /* adj[i] >= n as a signed 32-bit compare of biased values, which
     * SSE2 vectorizes (it has no unsigned or 64-bit compares). */
    lim = (int32_t)((uint32_t)(n - 1) ^ 0x80000000u);
#ifdef _OPENMP
#pragma omp simd reduction(| : bad)
#endif
    for (i = 0; i < m; i++) {
        bad |= (int32_t)(adj[i] ^ 0x80000000u) > lim;
    }
    return bad ? "a neighbour id is >= n" : NULL;
}

/* The structural check of a mapped graph: NULL or what is wrong. */
static const char *check_structure(const unsigned char *map, const snap_hdr *h, char *buf,
                                   size_t n)
{
    static const int rows[2] = {SEC_OUT_OFF, SEC_IN_OFF};
    const char *why;
    int r;
    for (r = 0; r < 2; r++) {
        int s = rows[r];
        if (!h->len[s]) {
            continue;
        }
        why = check_rows((const uint64_t *)(map + h->off[s]),
                         (const uint32_t *)(map + h->off[s + 1]), h->n, h->m);
        if (why) {
            snprintf(buf, n, "corrupt snapshot: %s edges: %s",
                     s == SEC_OUT_OFF ? "out" : "in", why);
            return buf;
        }
    }
    if (h->flags & SF_ORIG) {
        const int64_t *orig = (const int64_t *)(map + h->off[SEC_ORIG]);
        uint64_t i;
        int bad = 0;
        for (i = 1; i < h->n; i++) {
            bad |= orig[i] <= orig[i - 1];
        }
        if (bad) {
            snprintf(buf, n, "corrupt snapshot: original ids do not increase");
            return buf;
        }
    }
    return NULL;
}

static uint64_t checksum_of(const unsigned char *map, size_t size)
{
    gr_hash hs;
    gr_hash_init(&hs, CK_SEED);
    gr_hash_update(&hs, map, HDR_CKSUM);
    gr_hash_update(&hs, map + HDR_SIZE, size - HDR_SIZE);
    return gr_hash_final(&hs);
}

/* The checksum and the structural check, side by side. */
static int verify(const unsigned char *map, size_t size, const snap_hdr *h, const char *path,
                  gr_error *err)
{
    const char *why = NULL;
    char buf[160];
    uint64_t sum = 0;
#ifdef _OPENMP
#pragma omp parallel sections num_threads(2) if (size > ((size_t)1 << 20))
#endif
    {
#ifdef _OPENMP
#pragma omp section
#endif
        sum = checksum_of(map, size);
#ifdef _OPENMP
#pragma omp section
#endif
        why = check_structure(map, h, buf, sizeof buf);
    }
    if (sum != h->checksum) {
        return corrupt(err, path, "checksum mismatch: file is corrupt");
    }
    return why ? corrupt(err, path, why) : GR_OK;
}

int gr_load_snapshot(const char *path, unsigned flags, gr_graph **out, gr_error *err)
{
    struct gr_graph_store *st;
    struct stat sb;
    unsigned char *map;
    size_t size;
    snap_hdr h;
    gr_graph *g;
    int fd, rc, mflags = MAP_PRIVATE;
    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    }
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        int e = EISDIR;
        close(fd);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
    }
    size = (size_t)sb.st_size;
    if (size < HDR_SIZE) {
        /* Too small to map usefully: read it to tell "not a snapshot"
         * from "truncated". */
        unsigned char head[HDR_SIZE];
        ssize_t r = read(fd, head, sizeof head);
        close(fd);
        if (r < 0) {
            return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(errno));
        }
        return check_header(head, (size_t)r, path, &h, err);
    }
#ifdef MAP_POPULATE
    mflags |= MAP_POPULATE; /* every page is read by the checksum anyway */
#endif
    map = mmap(NULL, size, PROT_READ, mflags, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot map: %s", strerror(errno));
    }
    if ((rc = check_header(map, size, path, &h, err)) < 0 ||
        (rc = verify(map, size, &h, path, err)) < 0) {
        munmap(map, size);
        return rc;
    }
    if (!(g = gr_graph_alloc_shell())) {
        munmap(map, size);
        return gr_err_nomem(err, "graph");
    }
    st = g->priv_;
    st->map = map;
    st->map_len = size;
    st->in_shares_out = (h.flags & SF_SHARED) != 0;
    g->n = (uint32_t)h.n;
    g->m = h.m;
    g->out_off = (uint64_t *)(void *)(map + h.off[SEC_OUT_OFF]);
    g->out_adj = (uint32_t *)(void *)(map + h.off[SEC_OUT_ADJ]);
    /* Presence goes by the flags: a weighted graph may have no edges. */
    g->out_w = (h.flags & SF_WEIGHTED) ? (double *)(void *)(map + h.off[SEC_OUT_W]) : NULL;
    if (st->in_shares_out) {
        g->in_off = g->out_off;
        g->in_adj = g->out_adj;
        g->in_w = g->out_w;
    } else {
        g->in_off = (uint64_t *)(void *)(map + h.off[SEC_IN_OFF]);
        g->in_adj = (uint32_t *)(void *)(map + h.off[SEC_IN_ADJ]);
        g->in_w = (h.flags & SF_WEIGHTED) ? (double *)(void *)(map + h.off[SEC_IN_W]) : NULL;
    }
    g->orig_id = (h.flags & SF_ORIG) ? (int64_t *)(void *)(map + h.off[SEC_ORIG]) : NULL;
    g->symmetric = (h.flags & SF_SYMMETRIC) != 0;
    if ((flags & GR_BUILD_SYMMETRIZE) && !st->in_shares_out) {
        /* A symmetrized build shares its CSC; anything else is rebuilt. */
        gr_graph *sym = NULL;
        rc = gr_graph_symmetrize(g, &sym, err);
        gr_graph_free(&g);
        if (rc < 0) {
            return rc;
        }
        g = sym;
    }
    *out = g;
    return GR_OK;
}
