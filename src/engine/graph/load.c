/*
 * load.c - gr_graph_load, the entry point of the graph loaders, and what
 * they share: reading a text file whole, locating a byte as file:line:col,
 * quoting a bad token, and the lexer for ids and weights.  Also
 * gr_graph_save_edgelist, the text writer.
 *
 * gr_graph_load picks the format from the extension (.txt .el .edges .csv
 * .tsv .snap: edge list, .mtx: Matrix Market, .grs: snapshot) or, for any
 * other name, from the first bytes (snapshot magic, "%%MatrixMarket", else
 * an edge list), then hands over to load_edgelist.c, load_mtx.c or
 * snapshot.c.
 */
#include "config.h"
#include "gr.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"
#include "engine/graph/load_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading text ------------------------------------------------- */

#define READ_STEP ((size_t)1 << 30) /* bytes per read() call */

void gr_text_release(gr_text *t)
{
    if (t->map_len) {
        munmap(t->buf, t->map_len);
    } else {
        gr_free_big(t->buf);
    }
    t->buf = NULL;
    t->len = 0;
    t->map_len = 0;
}

/* A regular file of len > 0 bytes, mapped read-only, followed by '\n' and
 * '\0' in a writable private tail: an anonymous area of len+2 bytes
 * (rounded to pages) is reserved, the file is mapped over its start, and
 * only the last page is made writable.  0, or -1 with errno set. */
static int map_text(int fd, size_t len, gr_text *t)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), maplen, last;
    char *area;
    int mflags = MAP_PRIVATE | MAP_FIXED;
    if (len > (size_t)-1 - 2 * pg) {
        errno = EFBIG;
        return -1;
    }
    maplen = (len + 2 + pg - 1) / pg * pg;
    area = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) {
        return -1;
    }
#ifdef MAP_POPULATE
    mflags |= MAP_POPULATE; /* read-only, so no copies: just no page faults */
#endif
    last = len / pg * pg;
    if (mmap(area, len, PROT_READ, mflags, fd, 0) == MAP_FAILED ||
        mprotect(area + last, maplen - last, PROT_READ | PROT_WRITE) != 0) {
        int e = errno;
        munmap(area, maplen);
        errno = e;
        return -1;
    }
    area[len] = '\n';
    area[len + 1] = '\0';
    t->buf = area;
    t->len = len;
    t->map_len = maplen;
    return 0;
}

/* A buffer of cap+2 bytes holding the len bytes of old (freed). */
static char *grow(char *old, size_t len, size_t cap)
{
    char *b = gr_alloc_big(cap + 2, 1);
    if (b && len) {
        memcpy(b, old, len);
    }
    gr_free_big(old);
    return b;
}

int gr_text_read(const char *path, gr_text *t, gr_error *err)
{
    struct stat st;
    size_t cap = (size_t)1 << 16, len = 0;
    int fd;
    char *buf;
    memset(t, 0, sizeof *t);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(EISDIR));
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        int rc = map_text(fd, (size_t)st.st_size, t), e = errno;
        close(fd);
        if (rc != 0) {
            return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot map: %s", strerror(e));
        }
        return GR_OK;
    }
    /* Empty files, pipes and devices: read into a growing buffer. */
    if (!(buf = gr_alloc_big(cap + 2, 1))) {
        close(fd);
        return gr_err_nomem(err, "file buffer");
    }
    for (;;) {
        ssize_t r;
        if (len == cap) {
            if (cap > ((size_t)-1 - 2) / 2 || !(buf = grow(buf, len, cap * 2))) {
                close(fd);
                return gr_err_nomem(err, "file buffer");
            }
            cap *= 2;
        }
        r = read(fd, buf + len, cap - len < READ_STEP ? cap - len : READ_STEP);
        if (r < 0) {
            int e = errno;
            if (e == EINTR) {
                continue;
            }
            close(fd);
            gr_free_big(buf);
            return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
        }
        if (r == 0) {
            break;
        }
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\n';
    buf[len + 1] = '\0';
    t->buf = buf;
    t->len = len;
    return GR_OK;
}

uint64_t gr_count_newlines(const char *p, size_t n)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7fULL, nl = 0x0a0a0a0a0a0a0a0aULL;
    uint64_t c = 0;
    size_t i = 0;
    while (i + 8 <= n) {
        /* Sum per-byte flags in a word for up to 255 words, then fold. */
        uint64_t acc = 0;
        size_t stop = n - i >= 255 * 8 ? i + 255 * 8 : i + ((n - i) & ~(size_t)7);
        for (; i < stop; i += 8) {
            uint64_t x, y;
            memcpy(&x, p + i, 8);
            x ^= nl;                          /* newline bytes become 0 */
            y = ~(((x & lo7) + lo7) | x | lo7); /* 0x80 exactly at zero bytes */
            acc += y >> 7;
        }
        /* Eight byte lanes of up to 255: add pairs into 16-bit lanes. */
        acc = (acc & 0x00ff00ff00ff00ffULL) + ((acc >> 8) & 0x00ff00ff00ff00ffULL);
        c += (acc * 0x0001000100010001ULL) >> 48;
    }
    for (; i < n; i++) {
        c += p[i] == '\n';
    }
    return c;
}

void gr_text_where(const char *base, const char *pos, long *line, long *col)
{
    const char *ls = pos;
    while (ls > base && ls[-1] != '\n') {
        ls--;
    }
    *line = 1 + (long)gr_count_newlines(base, (size_t)(ls - base));
    *col = 1 + (long)(pos - ls);
}

#define QUOTE_MAX 20

const char *gr_token_quote(const char *p, char *buf, size_t n)
{
    char tok[QUOTE_MAX + 1];
    size_t i;
    for (i = 0; i < QUOTE_MAX && !GR_LX_ENDS(p[i]); i++) {
        unsigned char c = (unsigned char)p[i];
        tok[i] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    tok[i] = '\0';
    snprintf(buf, n, "'%s%s'", tok, (i == QUOTE_MAX && !GR_LX_ENDS(p[i])) ? "..." : "");
    return buf;
}

/* ---- lexer -------------------------------------------------------- */

#define S GR_LX_SEP
const unsigned char gr_lex_class[256] = {
    ['\t'] = S, ['\n'] = GR_LX_NL, ['\v'] = S, ['\f'] = S, ['\r'] = S,
    [' '] = S, [','] = S,
};
#undef S

static const double pow10_exact[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;

static const uint64_t pow10_u64[20] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
    1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
    1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, 10000000000000000000ULL,
};

static int clz128(u128 q)
{
    uint64_t hi = (uint64_t)(q >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)q);
}

/* q * 2^e2, plus a nonzero fraction below q's last bit when sticky,
 * rounded to nearest-even.  q != 0; the result must be a normal double. */
static double round_u128(u128 q, int sticky, int e2)
{
    int b = 128 - clz128(q), sh;
    uint64_t m, bits;
    u128 rest, half;
    double d;
    if (b <= 53) {
        return ldexp((double)(uint64_t)q, e2); /* exact */
    }
    sh = b - 53;
    m = (uint64_t)(q >> sh);
    rest = q - ((u128)m << sh);
    half = (u128)1 << (sh - 1);
    if (rest > half || (rest == half && (sticky || (m & 1)))) {
        if (++m == (1ULL << 53)) {
            m >>= 1;
            sh++;
        }
    }
    /* m in [2^52, 2^53): value = m * 2^(e2+sh); build the bits. */
    bits = ((uint64_t)(e2 + sh + 52 + 1023) << 52) | (m & ((1ULL << 52) - 1));
    memcpy(&d, &bits, sizeof d);
    return d;
}
#endif

/* mant * 10^e10 correctly rounded when an exact method applies. */
static int fast_decimal(uint64_t mant, int64_t e10, double *out)
{
#if FLT_EVAL_METHOD == 0
    /* Clinger: both operands exact, one rounding. */
    if (mant <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
        double m = (double)mant;
        *out = e10 >= 0 ? m * pow10_exact[e10] : m / pow10_exact[-e10];
        return 1;
    }
#endif
#ifdef __SIZEOF_INT128__
    /* Up to 19 digits times 10^+-19: exact in 128-bit integers. */
    if (e10 >= 0 && e10 <= 19) {
        *out = round_u128((u128)mant * pow10_u64[e10], 0, 0);
        return 1;
    }
    if (e10 < 0 && e10 >= -19) {
        int k = 64 + __builtin_clzll(mant);
        u128 num = (u128)mant << k, den = pow10_u64[-e10];
        *out = round_u128(num / den, num % den != 0, -k);
        return 1;
    }
#endif
    return 0;
}

int gr_lex_double(const char **pp, double *out, int *is_int)
{
    const char *s = *pp, *p = s;
    uint64_t mant = 0;
    int64_t e10 = 0;
    int nd = 0, neg = 0, digits = 0, inexact = 0, integral = 1;
    unsigned d;
    double v;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    for (; (d = (unsigned)*p - '0') <= 9; p++) {
        digits = 1;
        if (nd < 19) {
            mant = mant * 10 + d;
            nd += mant != 0;
        } else {
            e10++;
            inexact |= d != 0;
        }
    }
    if (*p == '.') {
        integral = 0;
        for (p++; (d = (unsigned)*p - '0') <= 9; p++) {
            digits = 1;
            if (nd < 19) {
                mant = mant * 10 + d;
                nd += mant != 0;
                e10--;
            } else {
                inexact |= d != 0;
            }
        }
    }
    if (!digits) {
        return GR_LX_BAD;
    }
    if (*p == 'e' || *p == 'E') {
        int64_t ev = 0;
        int eneg = 0;
        integral = 0;
        p++;
        if (*p == '-' || *p == '+') {
            eneg = *p == '-';
            p++;
        }
        if ((unsigned)*p - '0' > 9) {
            return GR_LX_BAD;
        }
        for (; (d = (unsigned)*p - '0') <= 9; p++) {
            if (ev < 1000000) {
                ev = ev * 10 + d;
            }
        }
        e10 += eneg ? -ev : ev;
    }
    if (!GR_LX_ENDS(*p)) {
        return GR_LX_BAD;
    }
    if (mant == 0) {
        v = neg ? -0.0 : 0.0;
    } else if (!inexact && fast_decimal(mant, e10, &v)) {
        v = neg ? -v : v;
    } else {
        /* The token is a plain decimal ending at a separator and the
         * buffer holds a NUL after the line, so strtod stops at p. */
        char *end;
        v = strtod(s, &end);
        if (end != p) {
            return GR_LX_BAD;
        }
    }
    if (!isfinite(v)) {
        return GR_LX_BAD;
    }
    *out = v;
    *pp = p;
    if (is_int) {
        *is_int = integral;
    }
    return GR_LX_OK;
}

/* ---- dispatch ----------------------------------------------------- */

/* The format an extension names, GR_FORMAT_AUTO when it names none. */
static gr_format by_extension(const char *path)
{
    static const struct {
        const char *ext;
        gr_format fmt;
    } exts[] = {
        {"csv", GR_FORMAT_EDGELIST}, {"edges", GR_FORMAT_EDGELIST},
        {"el", GR_FORMAT_EDGELIST},  {"grs", GR_FORMAT_SNAPSHOT},
        {"mtx", GR_FORMAT_MTX},      {"snap", GR_FORMAT_EDGELIST},
        {"tsv", GR_FORMAT_EDGELIST}, {"txt", GR_FORMAT_EDGELIST},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t i;
    if (!dot) {
        return GR_FORMAT_AUTO;
    }
    for (i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        if (strcasecmp(dot + 1, exts[i].ext) == 0) {
            return exts[i].fmt;
        }
    }
    return GR_FORMAT_AUTO;
}

/* The format the first bytes of the file show. */
static int by_content(const char *path, gr_format *fmt, gr_error *err)
{
    static const char mm[] = "%%MatrixMarket";
    unsigned char head[20];
    const unsigned char *h = head;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    }
    while (got < sizeof head) {
        ssize_t r = read(fd, head + got, sizeof head - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int e = errno;
            close(fd);
            return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (gr_snapshot_magic_ok(head, got)) {
        *fmt = GR_FORMAT_SNAPSHOT;
        return GR_OK;
    }
    if (got >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf) {
        h += 3; /* a UTF-8 byte order mark */
        got -= 3;
    }
    if (got >= sizeof mm - 1 && strncasecmp((const char *)h, mm, sizeof mm - 1) == 0) {
        *fmt = GR_FORMAT_MTX;
    } else {
        *fmt = GR_FORMAT_EDGELIST;
    }
    return GR_OK;
}

int gr_graph_load(const char *path, gr_format fmt, unsigned flags,
                  gr_graph **out, gr_error *err)
{
    int rc;
    if (!out) {
        return gr_err(err, GR_ERR_INVALID, "gr_graph_load: no output graph");
    }
    *out = NULL;
    if (!path || !*path) {
        return gr_err(err, GR_ERR_INVALID, "gr_graph_load: no path");
    }
    if (flags & ~(unsigned)GR_BUILD_SYMMETRIZE) {
        return gr_err(err, GR_ERR_INVALID, "gr_graph_load: unknown flags 0x%x", flags);
    }
    if (fmt == GR_FORMAT_AUTO) {
        fmt = by_extension(path);
        if (fmt == GR_FORMAT_AUTO && (rc = by_content(path, &fmt, err)) < 0) {
            return rc;
        }
    }
    switch (fmt) {
    case GR_FORMAT_EDGELIST: return gr_load_edgelist(path, flags, out, err);
    case GR_FORMAT_MTX: return gr_load_mtx(path, flags, out, err);
    case GR_FORMAT_SNAPSHOT: return gr_load_snapshot(path, flags, out, err);
    case GR_FORMAT_AUTO: break;
    }
    return gr_err(err, GR_ERR_INVALID, "gr_graph_load: unknown format %d", (int)fmt);
}

/* ---- writing an edge list ----------------------------------------- */

#define OUT_BUF (1 << 16)

/* Decimal digits of v at p; returns the end. */
static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    if (v < 0) {
        *p++ = '-';
    }
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n) {
        *p++ = tmp[--n];
    }
    return p;
}

int gr_graph_save_edgelist(const gr_graph *g, const char *path, gr_error *err)
{
    gr_afile af;
    char *buf = NULL, *p;
    uint32_t u;
    int rc;
    if (!g || !path) {
        return gr_err(err, GR_ERR_INVALID, "gr_graph_save_edgelist: no graph or path");
    }
    for (u = 0; g->out_w && u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            if (!isfinite(g->out_w[k])) {
                return gr_err_at(err, GR_ERR_INVALID, path, 0, 0,
                                 "edge %lld -> %lld has weight %g, which an edge list cannot hold",
                                 (long long)gr_graph_orig_id(g, u),
                                 (long long)gr_graph_orig_id(g, g->out_adj[k]), g->out_w[k]);
            }
        }
    }
    if (!(buf = gr_malloc(OUT_BUF))) {
        return gr_err_nomem(err, "edge list writer");
    }
    if ((rc = gr_afile_open(&af, path, err)) < 0) {
        gr_free(buf);
        return rc;
    }
    p = buf + snprintf(buf, OUT_BUF, "# grperf edge list: %u nodes, %llu edges%s\n", g->n,
                       (unsigned long long)g->m, g->out_w ? ", weighted" : "");
    for (u = 0; u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            if (p - buf > OUT_BUF - 128) {
                if (fwrite(buf, 1, (size_t)(p - buf), af.fp) != (size_t)(p - buf)) {
                    goto write_fail;
                }
                p = buf;
            }
            p = put_i64(p, gr_graph_orig_id(g, u));
            *p++ = ' ';
            p = put_i64(p, gr_graph_orig_id(g, g->out_adj[k]));
            if (g->out_w) {
                p += snprintf(p, 64, " %.17g", g->out_w[k]);
            }
            *p++ = '\n';
        }
    }
    if (p > buf && fwrite(buf, 1, (size_t)(p - buf), af.fp) != (size_t)(p - buf)) {
        goto write_fail;
    }
    gr_free(buf);
    return gr_afile_commit(&af, err);
write_fail:
    rc = errno;
    gr_afile_abort(&af);
    gr_free(buf);
    return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot write: %s", strerror(rc ? rc : EIO));
}
