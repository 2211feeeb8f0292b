/*
 * check_loaders.c - unit tests of the graph loaders (edge lists, Matrix
 * Market), the binary snapshot format and gr_graph_save_edgelist: known
 * small files, round trips through every format (same gr_graph_digest),
 * id mapping, the weight lexer against strtod, every error with its exact
 * message and location, format detection, the parallel edge-list parser
 * on files large enough to be cut into chunks, and allocation-failure
 * injection.
 */
#include "config.h"
#include "testutil.h"
#include "common/hash.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"
#include "engine/graph/load_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The snapshot layout (see src/engine/graph/snapshot.c). */
#define SNAP_VERSION_AT 8
#define SNAP_BOM_AT 16
#define SNAP_N_AT 24
#define SNAP_SEC_AT(s) (48 + 16 * (s)) /* offset; length follows */
#define SNAP_CKSUM_AT GR_SNAP_CKSUM_AT
#define SNAP_HDR GR_SNAP_HDR_SIZE
#define SNAP_SEED GR_SNAP_SEED
enum { S_OUT_OFF, S_OUT_ADJ, S_OUT_W, S_IN_OFF, S_IN_ADJ, S_IN_W, S_ORIG };

#define MM_GEN "%%MatrixMarket matrix coordinate pattern general\n"
#define MM_REAL "%%MatrixMarket matrix coordinate real general\n"

/* ---- helpers ------------------------------------------------------- */

/* A temporary file holding text; the path is copied to buf. */
static const char *temp_text(char *buf, size_t n, const char *suffix, const char *text)
{
    snprintf(buf, n, "%s", tu_write_temp(suffix, text));
    return buf;
}

/* A temporary file name (the file exists, empty). */
static const char *temp_name(char *buf, size_t n, const char *suffix)
{
    return temp_text(buf, n, suffix, "");
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b;
    long sz;
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)sz + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *len = (size_t)sz;
    return b;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static gr_graph *load_ok(const char *path, gr_format fmt, unsigned flags)
{
    gr_graph *g = NULL;
    gr_error err;
    char buf[700];
    int rc;
    gr_error_clear(&err);
    rc = gr_graph_load(path, fmt, flags, &g, &err);
    ck_assert_msg(rc == GR_OK, "load %s: %s", path, gr_error_format(&err, buf, sizeof buf));
    ck_assert_ptr_nonnull(g);
    rc = gr_graph_validate(g, &err);
    ck_assert_msg(rc == GR_OK, "validate %s: %s", path, gr_error_format(&err, buf, sizeof buf));
    return g;
}

static gr_graph *load_text(const char *suffix, const char *text, unsigned flags)
{
    char path[512];
    gr_graph *g;
    temp_text(path, sizeof path, suffix, text);
    g = load_ok(path, GR_FORMAT_AUTO, flags);
    unlink(path);
    return g;
}

/* Load must fail with exactly this code, location and message. */
static void expect_err(const char *path, gr_format fmt, int code, long line, long col,
                       const char *msg)
{
    gr_graph *g = NULL;
    gr_error err;
    int rc;
    gr_error_clear(&err);
    rc = gr_graph_load(path, fmt, 0, &g, &err);
    ck_assert_ptr_null(g);
    ck_assert_str_eq(err.msg, msg);
    ck_assert_int_eq(rc, code);
    ck_assert_int_eq(err.code, code);
    ck_assert_int_eq(err.line, line);
    ck_assert_int_eq(err.col, col);
    ck_assert_str_eq(err.file, path);
}

static void expect_text_err(const char *suffix, const char *text, int code, long line,
                            long col, const char *msg)
{
    char path[512];
    temp_text(path, sizeof path, suffix, text);
    expect_err(path, GR_FORMAT_AUTO, code, line, col, msg);
    unlink(path);
}

/* "a->b:w ..." over original ids, in CSR order. */
static const char *describe(const gr_graph *g, char *buf, size_t n)
{
    size_t at = 0;
    uint32_t u;
    buf[0] = '\0';
    for (u = 0; u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            at += (size_t)snprintf(buf + at, n - at, "%s%lld->%lld", at ? " " : "",
                                   (long long)gr_graph_orig_id(g, u),
                                   (long long)gr_graph_orig_id(g, g->out_adj[k]));
            if (g->out_w) {
                at += (size_t)snprintf(buf + at, n - at, ":%g", g->out_w[k]);
            }
            ck_assert_uint_lt(at, n);
        }
    }
    return buf;
}

static int shares(const gr_graph *g)
{
    const struct gr_graph_store *st = g->priv_;
    return st->in_shares_out;
}

/* a and b hold the same edges by original id (b may lack a's isolated
 * nodes). */
static void same_edges(const gr_graph *a, const gr_graph *b)
{
    uint32_t u;
    ck_assert_uint_eq(a->m, b->m);
    ck_assert_int_eq(a->out_w != NULL, b->out_w != NULL);
    for (u = 0; u < a->n; u++) {
        uint64_t k, j;
        int64_t v;
        if (a->out_off[u] == a->out_off[u + 1] && a->in_off[u] == a->in_off[u + 1]) {
            ck_assert_int_eq(gr_graph_dense_id(b, gr_graph_orig_id(a, u)), -1);
            continue;
        }
        v = gr_graph_dense_id(b, gr_graph_orig_id(a, u));
        ck_assert_int_ge(v, 0);
        ck_assert_uint_eq(a->out_off[u + 1] - a->out_off[u],
                          b->out_off[v + 1] - b->out_off[v]);
        for (k = a->out_off[u], j = b->out_off[v]; k < a->out_off[u + 1]; k++, j++) {
            ck_assert_int_eq(gr_graph_orig_id(a, a->out_adj[k]),
                             gr_graph_orig_id(b, b->out_adj[j]));
            if (a->out_w) {
                ck_assert(memcmp(&a->out_w[k], &b->out_w[j], sizeof(double)) == 0);
            }
        }
    }
}

/* g through a snapshot and an edge list and back. */
static void roundtrip(const gr_graph *g, const char *name)
{
    char path[512], buf[700];
    gr_graph *h;
    gr_error err;
    int rc;
    gr_error_clear(&err);
    temp_name(path, sizeof path, ".grs");
    rc = gr_graph_save_snapshot(g, path, &err);
    ck_assert_msg(rc == GR_OK, "%s: %s", name, gr_error_format(&err, buf, sizeof buf));
    h = load_ok(path, GR_FORMAT_AUTO, 0);
    ck_assert_msg(gr_graph_digest(h) == gr_graph_digest(g), "%s: snapshot digest", name);
    ck_assert_int_eq(h->symmetric, g->symmetric);
    ck_assert_int_eq(shares(h), shares(g));
    ck_assert_int_eq(h->orig_id != NULL, g->orig_id != NULL);
    gr_graph_free(&h);
    unlink(path);

    temp_name(path, sizeof path, ".el");
    rc = gr_graph_save_edgelist(g, path, &err);
    ck_assert_msg(rc == GR_OK, "%s: %s", name, gr_error_format(&err, buf, sizeof buf));
    if (g->m == 0) {
        expect_err(path, GR_FORMAT_AUTO, GR_ERR_EMPTY, 0, 0, "empty graph: no edges");
    } else {
        h = load_ok(path, GR_FORMAT_AUTO, 0);
        same_edges(g, h);
        if (h->n == g->n) {
            ck_assert_msg(gr_graph_digest(h) == gr_graph_digest(g), "%s: edge list digest", name);
        }
        gr_graph_free(&h);
    }
    unlink(path);
}

/* ---- edge lists: known files ---------------------------------------- */

START_TEST(test_el_small)
{
    char buf[512];
    gr_graph *g = load_ok(tu_data("small.el"), GR_FORMAT_AUTO, 0);
    ck_assert_uint_eq(g->n, 5);
    ck_assert_uint_eq(g->m, 6);
    ck_assert_ptr_null(g->orig_id); /* ids are exactly 0..4 */
    ck_assert_ptr_null(g->out_w);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "0->1 0->2 1->2 2->3 3->0 4->4");
    ck_assert_uint_eq(g->in_off[3] - g->in_off[2], 2); /* 0->2, 1->2 */
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_el_weighted_sparse)
{
    char buf[512];
    gr_graph *g = load_ok(tu_data("weighted.el"), GR_FORMAT_AUTO, 0);
    static const int64_t want[] = {10, 20, 30, 1000};
    int i;
    ck_assert_uint_eq(g->n, 4);
    ck_assert_uint_eq(g->m, 6);
    ck_assert_ptr_nonnull(g->orig_id);
    ck_assert_ptr_nonnull(g->out_w);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(g->orig_id[i], want[i]);
        ck_assert_int_eq(gr_graph_dense_id(g, want[i]), i);
    }
    ck_assert_int_eq(gr_graph_dense_id(g, 11), -1);
    ck_assert_str_eq(describe(g, buf, sizeof buf),
                     "10->20:0.5 10->1000:0.1 20->20:0.03 20->30:-2.25 30->10:1000 1000->10:7");
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_el_crlf_commas_no_newline)
{
    char buf[512];
    gr_graph *g = load_ok(tu_data("crlf.csv"), GR_FORMAT_AUTO, 0);
    ck_assert_uint_eq(g->n, 3);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "5->7 5->9 7->9 9->5");
    gr_graph_free(&g);
    /* Weighted, CRLF, the last line without a newline and with blanks. */
    g = load_text(".txt", "0,1,2.5\r\n\r\n1 ,\t0 , 0.25 \r\n  0 0 1e-2", 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "0->0:0.01 0->1:2.5 1->0:0.25");
    gr_graph_free(&g);
    /* A UTF-8 byte order mark is skipped (columns count it). */
    g = load_text(".csv", "\xef\xbb\xbf" "1,2\n", 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2");
    gr_graph_free(&g);
    expect_text_err(".csv", "\xef\xbb\xbf" "1,x\n", GR_ERR_PARSE, 1, 6,
                    "bad token 'x': expected a non-negative integer id");
    g = load_text("", "\xef\xbb\xbf" MM_GEN "2 2 1\n1 2\n", 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2");
    gr_graph_free(&g);
    /* A file that is one edge without a newline. */
    g = load_text(".el", "3 4", 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "3->4");
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_el_id_mapping)
{
    char buf[512];
    gr_graph *g;
    /* 1..3 is dense but does not start at 0: original ids kept. */
    g = load_text(".el", "1 2\n2 3\n", 0);
    ck_assert_ptr_nonnull(g->orig_id);
    ck_assert_int_eq(g->orig_id[0], 1);
    ck_assert_int_eq(g->orig_id[2], 3);
    gr_graph_free(&g);
    /* Huge ids: the sorted-and-hashed path; 2^63-1 is the largest id. */
    g = load_text(".el",
                  "9223372036854775807 5\n1099511627776 3\n5 1099511627776\n"
                  "4611686018427387904 5\n",
                  0);
    ck_assert_uint_eq(g->n, 5);
    ck_assert_int_eq(g->orig_id[0], 3);
    ck_assert_int_eq(g->orig_id[1], 5);
    ck_assert_int_eq(g->orig_id[2], 1099511627776LL);
    ck_assert_int_eq(g->orig_id[3], 4611686018427387904LL);
    ck_assert_int_eq(g->orig_id[4], INT64_MAX);
    ck_assert_int_eq(gr_graph_dense_id(g, INT64_MAX), 4);
    ck_assert_str_eq(describe(g, buf, sizeof buf),
                     "5->1099511627776 1099511627776->3 4611686018427387904->5 "
                     "9223372036854775807->5");
    gr_graph_free(&g);
    /* Ids at and just past 32 bits, with comments and weights. */
    g = load_text(".el", "# c\n5 4294967295 1.5\n# c2\n\n4294967295 5 2.5\n", 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "5->4294967295:1.5 4294967295->5:2.5");
    gr_graph_free(&g);
    g = load_text(".el", "# c\n5 4294967296 1.5\n# c2\n\n4294967296 5 2.5\n", 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "5->4294967296:1.5 4294967296->5:2.5");
    gr_graph_free(&g);
    /* Leading zeros and more than 18 digits that still fit. */
    g = load_text(".el", "00000000000000000000000007 0008\n", 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "7->8");
    gr_graph_free(&g);
}
END_TEST

/* Many ids over a wide range: both mapping paths agree with a reference. */
START_TEST(test_el_id_mapping_random)
{
    static const uint64_t spans[] = {50, 5000, 1ULL << 40, 1ULL << 62};
    size_t s;
    for (s = 0; s < sizeof spans / sizeof spans[0]; s++) {
        tu_rng r = {s + 99};
        size_t cap = 128 * 1024, at = 0, i, m = 2000, k;
        char *text = malloc(cap);
        uint64_t *ids = malloc(2 * m * sizeof *ids), *sorted = malloc(2 * m * sizeof *ids);
        gr_graph *g;
        ck_assert_ptr_nonnull(text);
        for (i = 0; i < 2 * m; i++) {
            ids[i] = tu_below(&r, spans[s]);
            sorted[i] = ids[i];
        }
        for (i = 0; i < m; i++) {
            at += (size_t)snprintf(text + at, cap - at, "%llu %llu\n",
                                   (unsigned long long)ids[2 * i],
                                   (unsigned long long)ids[2 * i + 1]);
        }
        /* Reference: the distinct ids in order (insertion sort is fine). */
        for (i = 1; i < 2 * m; i++) {
            uint64_t x = sorted[i];
            size_t j = i;
            while (j > 0 && sorted[j - 1] > x) {
                sorted[j] = sorted[j - 1];
                j--;
            }
            sorted[j] = x;
        }
        for (i = 1, k = 1; i < 2 * m; i++) {
            if (sorted[i] != sorted[k - 1]) {
                sorted[k++] = sorted[i];
            }
        }
        g = load_text(".el", text, 0);
        ck_assert_uint_eq(g->n, k);
        for (i = 0; i < k; i++) {
            ck_assert_int_eq(gr_graph_orig_id(g, (uint32_t)i), (int64_t)sorted[i]);
        }
        for (i = 0; i < m; i++) {
            int64_t u = gr_graph_dense_id(g, (int64_t)ids[2 * i]);
            int64_t v = gr_graph_dense_id(g, (int64_t)ids[2 * i + 1]);
            uint64_t e;
            int found = 0;
            ck_assert_int_ge(u, 0);
            ck_assert_int_ge(v, 0);
            for (e = g->out_off[u]; e < g->out_off[u + 1]; e++) {
                found |= g->out_adj[e] == (uint32_t)v;
            }
            ck_assert(found);
        }
        gr_graph_free(&g);
        free(text);
        free(ids);
        free(sorted);
    }
}
END_TEST

START_TEST(test_el_symmetrize)
{
    gr_graph *g = load_text(".el", "0 1\n1 2\n1 0\n", GR_BUILD_SYMMETRIZE), *h, *s;
    gr_error err;
    char path[512];
    ck_assert_int_eq(g->symmetric, 1);
    ck_assert(shares(g));
    ck_assert_uint_eq(g->m, 4); /* 0-1 collapsed, 1-2 both ways */
    gr_error_clear(&err);
    /* The same as symmetrizing the plain load. */
    h = load_text(".el", "0 1\n1 2\n1 0\n", 0);
    ck_assert_int_eq(gr_graph_symmetrize(h, &s, &err), GR_OK);
    ck_assert_uint_eq(gr_graph_digest(s), gr_graph_digest(g));
    /* And through a snapshot, with or without the flag. */
    temp_name(path, sizeof path, ".grs");
    ck_assert_int_eq(gr_graph_save_snapshot(h, path, &err), GR_OK);
    gr_graph_free(&s);
    s = load_ok(path, GR_FORMAT_AUTO, GR_BUILD_SYMMETRIZE);
    ck_assert_uint_eq(gr_graph_digest(s), gr_graph_digest(g));
    ck_assert(shares(s));
    gr_graph_free(&s);
    ck_assert_int_eq(gr_graph_save_snapshot(g, path, &err), GR_OK);
    s = load_ok(path, GR_FORMAT_AUTO, GR_BUILD_SYMMETRIZE);
    ck_assert_uint_eq(gr_graph_digest(s), gr_graph_digest(g));
    unlink(path);
    gr_graph_free(&s);
    gr_graph_free(&h);
    gr_graph_free(&g);
}
END_TEST

/* ---- text helpers and the weight lexer ------------------------------ */

START_TEST(test_count_newlines)
{
    static const int dens[] = {0, 1, 3, 50, 100};
    tu_rng r = {7};
    char *b = malloc(40000);
    size_t d, trial;
    ck_assert_ptr_nonnull(b);
    for (d = 0; d < sizeof dens / sizeof dens[0]; d++) {
        for (trial = 0; trial < 20; trial++) {
            size_t n = (size_t)tu_below(&r, 40000), off = (size_t)tu_below(&r, 8), i;
            uint64_t want = 0;
            if (off > n) {
                off = n;
            }
            for (i = 0; i < n; i++) {
                b[i] = (int)tu_below(&r, 100) < dens[d] ? '\n' : (char)(tu_below(&r, 256));
            }
            for (i = off; i < n; i++) {
                want += b[i] == '\n';
            }
            ck_assert_uint_eq(gr_count_newlines(b + off, n - off), want);
        }
    }
    free(b);
}
END_TEST

START_TEST(test_where_and_quote)
{
    const char *t = "ab\ncd ef\n\nxyz";
    char q[40];
    long line, col;
    gr_text_where(t, t, &line, &col);
    ck_assert_int_eq(line, 1);
    ck_assert_int_eq(col, 1);
    gr_text_where(t, t + 6, &line, &col);
    ck_assert_int_eq(line, 2);
    ck_assert_int_eq(col, 4);
    gr_text_where(t, t + 10, &line, &col);
    ck_assert_int_eq(line, 4);
    ck_assert_int_eq(col, 1);
    ck_assert_str_eq(gr_token_quote("ab'c\x01 d", q, sizeof q), "'ab?c?'");
    ck_assert_str_eq(gr_token_quote("123456789012345678901\n", q, sizeof q),
                     "'12345678901234567890...'");
    ck_assert_str_eq(gr_token_quote("12345678901234567890,", q, sizeof q),
                     "'12345678901234567890'");
}
END_TEST

static void lex_same_as_strtod(const char *tok)
{
    char buf[128];
    const char *p = buf;
    double v = 0, ref = strtod(tok, NULL);
    snprintf(buf, sizeof buf, "%s\n", tok);
    ck_assert_msg(gr_lex_double(&p, &v, NULL) == GR_LX_OK, "'%s' rejected", tok);
    ck_assert_msg(p == buf + strlen(tok), "'%s' not consumed", tok);
    ck_assert_msg(memcmp(&v, &ref, sizeof v) == 0, "'%s': got %.17g, strtod %.17g", tok, v, ref);
}

START_TEST(test_lex_double)
{
    static const char *const good[] = {
        "0", "-0", "+0", "1", "-1", "0.5", ".5", "5.", "1e3", "1E-3", "-2.5e+10",
        "3.1415926535897931", "0.1", "0.30000000000000004", "9007199254740993",
        "9007199254740992.5", "123456789012345678901234567890", "1e-400", "4.9e-324",
        "2.2250738585072011e-308", "1.7976931348623157e308", "0.000000000000000000001234",
        "18446744073709551615", "9999999999999999999e19", "1234567890123456789e-19",
        "00000000000000000000000000001.5", "7e22", "7e23", "1e-22", "1e-23",
    };
    static const char *const bad[] = {
        "", "-", "+", ".", "e5", "1e", "1e+", "nan", "NaN", "inf", "-inf", "infinity",
        "0x10", "1.2.3", "--1", "1..2", "1e400", "-1e309", "1e5x", "1,5x",
    };
    char tok[64];
    tu_rng r = {2024};
    size_t i;
    int is_int = -1;
    const char *p;
    double v;
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        lex_same_as_strtod(good[i]);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(tok, sizeof tok, "%s\n", bad[i]);
        p = tok;
        if (strchr(bad[i], ',')) { /* "1,5x": the comma ends "1"; test "5x" */
            p = tok + 2;
        }
        ck_assert_msg(gr_lex_double(&p, &v, NULL) == GR_LX_BAD, "'%s' accepted", bad[i]);
    }
    p = "42 ";
    ck_assert_int_eq(gr_lex_double(&p, &v, &is_int), GR_LX_OK);
    ck_assert_int_eq(is_int, 1);
    p = "42.0\n";
    ck_assert_int_eq(gr_lex_double(&p, &v, &is_int), GR_LX_OK);
    ck_assert_int_eq(is_int, 0);
    /* Random doubles in the forms writers use, and random digit strings. */
    for (i = 0; i < 4000; i++) {
        static const char *const fmts[] = {"%.17g", "%.16g", "%.15g", "%.6g", "%.3e",
                                           "%.20g", "%.10f", "%g"};
        uint64_t bits = tu_next(&r);
        double d;
        int f;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d) || (i & 1)) {
            d = (tu_unit(&r) - 0.5) * pow(10.0, (double)tu_below(&r, 40) - 20.0);
        }
        for (f = 0; f < 8; f++) {
            snprintf(tok, sizeof tok, fmts[f], d);
            if (strlen(tok) < 60) {
                lex_same_as_strtod(tok);
            }
        }
        {
            int nd = 1 + (int)tu_below(&r, 24), dot = (int)tu_below(&r, (uint64_t)nd + 1), k,
                at = 0;
            for (k = 0; k < nd; k++) {
                if (k == dot) {
                    tok[at++] = '.';
                }
                tok[at++] = (char)('0' + tu_below(&r, 10));
            }
            snprintf(tok + at, sizeof tok - (size_t)at, "e%d", (int)tu_below(&r, 61) - 30);
            lex_same_as_strtod(tok);
        }
    }
}
END_TEST

/* ---- edge lists: errors ------------------------------------------- */

START_TEST(test_el_errors)
{
    expect_text_err(".el", "0 1\n# c\n2 x7\n", GR_ERR_PARSE, 3, 3,
                    "bad token 'x7': expected a non-negative integer id");
    expect_text_err(".el", "0 abcdefghijklmnopqrstuvwxyz 1\n", GR_ERR_PARSE, 1, 3,
                    "bad token 'abcdefghijklmnopqrst...': expected a non-negative integer id");
    expect_text_err(".el", "0 1.5\n", GR_ERR_PARSE, 1, 3,
                    "bad token '1.5': expected a non-negative integer id");
    expect_text_err(".el", "0 1\n-5 2\n", GR_ERR_RANGE, 2, 1,
                    "negative id '-5': ids must be non-negative");
    expect_text_err(".el", "0 1\n1\t-0\n", GR_ERR_RANGE, 2, 3,
                    "negative id '-0': ids must be non-negative");
    expect_text_err(".el", "9223372036854775808 1\n", GR_ERR_RANGE, 1, 1,
                    "id overflow '9223372036854775808': ids must be below 2^63");
    expect_text_err(".el", "1 123456789012345678901234567890\n", GR_ERR_RANGE, 1, 3,
                    "id overflow '12345678901234567890...': ids must be below 2^63");
    expect_text_err(".el", "0 1\n2\n", GR_ERR_PARSE, 2, 2, "truncated line: expected 'src dst'");
    expect_text_err(".el", "0 1\n  2 ,\r\n", GR_ERR_PARSE, 2, 4,
                    "truncated line: expected 'src dst'");
    expect_text_err(".el", "0 1 2.0\n1 2 3.0 4\n", GR_ERR_PARSE, 2, 9,
                    "too many columns: expected 'src dst [weight]'");
    expect_text_err(".el", "0 1\n1 2 3 4\n", GR_ERR_PARSE, 2, 7,
                    "too many columns: expected 'src dst [weight]'");
    expect_text_err(".el", "0 1 1 1\n", GR_ERR_PARSE, 1, 7,
                    "too many columns: expected 'src dst [weight]'");
    expect_text_err(".el", "0 1 1.5\n1 2 abc\n", GR_ERR_PARSE, 2, 5,
                    "bad weight 'abc': expected a finite number");
    expect_text_err(".el", "0 1 inf\n", GR_ERR_PARSE, 1, 5,
                    "bad weight 'inf': expected a finite number");
    expect_text_err(".el", "0 1 1e999\n", GR_ERR_PARSE, 1, 5,
                    "bad weight '1e999': expected a finite number");
    expect_text_err(".el", "0 1\n1 2 3.5\n", GR_ERR_PARSE, 2, 5,
                    "inconsistent weight column: this edge has a weight but the first "
                    "edge (line 1) has none");
    expect_text_err(".el", "# h\n0 1 2\n1 2\n", GR_ERR_PARSE, 3, 4,
                    "inconsistent weight column: this edge has no weight but the first "
                    "edge (line 2) has one");
    expect_text_err(".el", "# only a comment\n\n   \n", GR_ERR_EMPTY, 0, 0,
                    "empty graph: no edges");
    expect_text_err(".el", "", GR_ERR_EMPTY, 0, 0, "empty graph: no edges");
    /* A NUL byte is a bad token, not the end of the text. */
    {
        char path[512];
        temp_name(path, sizeof path, ".el");
        spit(path, "0 1\n1 \0 2\n", 10);
        expect_err(path, GR_FORMAT_AUTO, GR_ERR_PARSE, 2, 3,
                   "bad token '?': expected a non-negative integer id");
        unlink(path);
    }
}
END_TEST

START_TEST(test_el_error_files)
{
    char msg[600];
    expect_err(tu_data("bad_token.el"), GR_FORMAT_AUTO, GR_ERR_PARSE, 4, 3,
               "bad token '3x': expected a non-negative integer id");
    expect_err(tu_data("bad_weight.el"), GR_FORMAT_AUTO, GR_ERR_PARSE, 3, 5,
               "bad weight 'nan': expected a finite number");
    expect_err(tu_data("comments_only.el"), GR_FORMAT_AUTO, GR_ERR_EMPTY, 0, 0,
               "empty graph: no edges");
    expect_err("/nonexistent/dir/g.el", GR_FORMAT_AUTO, GR_ERR_IO, 0, 0,
               "cannot open: No such file or directory");
    expect_err("/nonexistent/dir/g.grs", GR_FORMAT_AUTO, GR_ERR_IO, 0, 0,
               "cannot open: No such file or directory");
    expect_err("/nonexistent/dir/g", GR_FORMAT_AUTO, GR_ERR_IO, 0, 0,
               "cannot open: No such file or directory");
    snprintf(msg, sizeof msg, "cannot read: %s", strerror(EISDIR));
    expect_err("/tmp", GR_FORMAT_EDGELIST, GR_ERR_IO, 0, 0, msg);
    expect_err("/tmp", GR_FORMAT_MTX, GR_ERR_IO, 0, 0, msg);
    expect_err("/tmp", GR_FORMAT_SNAPSHOT, GR_ERR_IO, 0, 0, msg);
    expect_err("/tmp", GR_FORMAT_AUTO, GR_ERR_IO, 0, 0, msg);
}
END_TEST

START_TEST(test_load_bad_args)
{
    gr_graph *g = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_graph_load(NULL, GR_FORMAT_AUTO, 0, &g, &err), GR_ERR_INVALID);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_graph_load(tu_data("small.el"), (gr_format)42, 0, &g, &err),
                     GR_ERR_INVALID);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_graph_load(tu_data("small.el"), GR_FORMAT_AUTO, 0x80, &g, &err),
                     GR_ERR_INVALID);
    ck_assert_int_eq(gr_graph_load(tu_data("small.el"), GR_FORMAT_AUTO, 0, NULL, NULL),
                     GR_ERR_INVALID);
    ck_assert_ptr_null(g);
}
END_TEST

/* ---- edge lists: large files (parallel chunks) --------------------- */

/* Text of `lines` edge lines "i i+1" with a comment every 97 lines; the
 * callback may replace line i (1-based file lines are returned). */
typedef const char *(*line_fn)(size_t i, char *buf, size_t n);

static char *big_text(size_t lines, line_fn fn, size_t *len)
{
    size_t cap = lines * 40 + 1024, at = 0, i;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    for (i = 0; i < lines; i++) {
        char b[64];
        const char *s = fn ? fn(i, b, sizeof b) : NULL;
        if (!s) {
            if (i % 97 == 50) {
                s = "# a comment line\n";
            } else {
                snprintf(b, sizeof b, "%zu %zu\n", i % 5003, (i * 7) % 5003);
                s = b;
            }
        }
        at += (size_t)snprintf(t + at, cap - at, "%s", s);
    }
    *len = at;
    return t;
}

static size_t bad_at1, bad_at2;

static const char *two_errors(size_t i, char *b, size_t n)
{
    if (i == bad_at1) {
        snprintf(b, n, "%zu 7q\n", i);
        return b;
    }
    if (i == bad_at2) {
        return "-3 4\n";
    }
    return NULL;
}

static const char *weighted_then_not(size_t i, char *b, size_t n)
{
    if (i == bad_at1) {
        return "1 2\n";
    }
    if (i % 97 == 50) {
        return NULL;
    }
    snprintf(b, n, "%zu %zu %zu.25\n", i % 5003, (i * 7) % 5003, i % 10);
    return b;
}

START_TEST(test_el_parallel)
{
    int saved = gr_threads();
    size_t len, lines = 150000;
    char *t, path[512];
    gr_graph *g, *ref;
    gr_edges e;
    size_t i;
    gr_set_threads(4); /* four chunks, whatever the machine */
    /* Clean file: same graph as building the edges directly. */
    t = big_text(lines, NULL, &len);
    ck_assert_uint_gt(len, 1u << 20);
    g = load_text(".el", t, 0);
    gr_edges_init(&e, 0);
    for (i = 0; i < lines; i++) {
        if (i % 97 != 50) {
            ck_assert_int_eq(gr_edges_push(&e, (uint32_t)(i % 5003), (uint32_t)((i * 7) % 5003), 0,
                                           NULL),
                             GR_OK);
        }
    }
    ck_assert_int_eq(gr_graph_build(&e, 5003, 0, &ref, NULL), GR_OK);
    gr_edges_release(&e);
    ck_assert_uint_eq(gr_graph_digest(g), gr_graph_digest(ref));
    gr_graph_free(&g);
    gr_graph_free(&ref);
    free(t);
    /* Errors in two chunks: the earlier one is reported, with its line. */
    bad_at1 = lines * 3 / 5;
    bad_at2 = lines * 9 / 10;
    t = big_text(lines, two_errors, &len);
    temp_text(path, sizeof path, ".el", t);
    {
        char tok[32];
        int k = snprintf(tok, sizeof tok, "%zu ", bad_at1);
        expect_err(path, GR_FORMAT_AUTO, GR_ERR_PARSE, (long)bad_at1 + 1, k + 1,
                   "bad token '7q': expected a non-negative integer id");
    }
    unlink(path);
    free(t);
    bad_at1 = lines; /* only the later error */
    t = big_text(lines, two_errors, &len);
    temp_text(path, sizeof path, ".el", t);
    expect_err(path, GR_FORMAT_AUTO, GR_ERR_RANGE, (long)bad_at2 + 1, 1,
               "negative id '-3': ids must be non-negative");
    unlink(path);
    free(t);
    /* A weightless line deep in a weighted file. */
    bad_at1 = lines - 2;
    t = big_text(lines, weighted_then_not, &len);
    temp_text(path, sizeof path, ".el", t);
    expect_err(path, GR_FORMAT_AUTO, GR_ERR_PARSE, (long)bad_at1 + 1, 4,
               "inconsistent weight column: this edge has no weight but the first edge "
               "(line 1) has one");
    unlink(path);
    free(t);
    /* A long comment header (the first chunks hold no edge), CRLF lines
     * and no final newline. */
    {
        size_t cap = 3u << 20, at = 0;
        t = malloc(cap);
        ck_assert_ptr_nonnull(t);
        while (at < (3u << 19)) {
            at += (size_t)snprintf(t + at, cap - at, "# padding padding padding\r\n");
        }
        for (i = 0; i < 30000; i++) {
            at += (size_t)snprintf(t + at, cap - at, "%zu,%zu,%zu\r\n", i, (i + 1) % 30000, i % 3);
        }
        at += (size_t)snprintf(t + at, cap - at, "0 0 0.5");
        g = load_text(".csv", t, 0);
        ck_assert_uint_eq(g->n, 30000);
        ck_assert_uint_eq(g->m, 30001);
        ck_assert_ptr_null(g->orig_id);
        ck_assert(g->out_w[0] == 0.5 || g->out_w[1] == 0.5);
        gr_graph_free(&g);
        free(t);
    }
    gr_set_threads(saved);
}
END_TEST

/* ---- saving edge lists ---------------------------------------------- */

START_TEST(test_save_edgelist_text)
{
    gr_graph *g = load_text(".el", "5 7 0.1\n7 5 2\n1000000000000 5 -0.5\n", 0);
    char path[512];
    unsigned char *b;
    size_t len;
    gr_error err;
    gr_error_clear(&err);
    temp_name(path, sizeof path, ".el");
    ck_assert_int_eq(gr_graph_save_edgelist(g, path, &err), GR_OK);
    b = slurp(path, &len);
    b[len] = '\0';
    ck_assert_str_eq((char *)b, "# grperf edge list: 3 nodes, 3 edges, weighted\n"
                                "5 7 0.10000000000000001\n"
                                "7 5 2\n"
                                "1000000000000 5 -0.5\n");
    free(b);
    /* Unwritable places fail cleanly. */
    gr_error_clear(&err);
    ck_assert_int_eq(gr_graph_save_edgelist(g, "/nonexistent/dir/x.el", &err), GR_ERR_IO);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_graph_save_snapshot(g, "/nonexistent/dir/x.grs", &err), GR_ERR_IO);
    /* Weights an edge list cannot hold. */
    g->out_w[0] = INFINITY;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_graph_save_edgelist(g, path, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "edge 5 -> 7 has weight inf, which an edge list cannot hold");
    unlink(path);
    gr_graph_free(&g);
}
END_TEST

/* ---- Matrix Market ----------------------------------------------------- */

START_TEST(test_mtx_known)
{
    char buf[512];
    gr_graph *g = load_ok(tu_data("small.mtx"), GR_FORMAT_AUTO, 0);
    uint32_t u;
    ck_assert_uint_eq(g->n, 5);
    ck_assert_uint_eq(g->m, 4);
    ck_assert_ptr_nonnull(g->orig_id);
    for (u = 0; u < 5; u++) {
        ck_assert_int_eq(g->orig_id[u], (int64_t)u + 1);
    }
    ck_assert_int_eq(g->symmetric, 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2:1.5 2->3:2.5 3->1:-1 4->4:4");
    ck_assert_uint_eq(g->out_off[5] - g->out_off[4], 0); /* node 5 isolated, kept */
    gr_graph_free(&g);

    g = load_ok(tu_data("sym.mtx"), GR_FORMAT_AUTO, 0);
    ck_assert_uint_eq(g->n, 4);
    ck_assert_uint_eq(g->m, 7);
    ck_assert_ptr_null(g->out_w);
    ck_assert_int_eq(g->symmetric, 1);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2 1->3 2->1 2->2 3->1 3->4 4->3");
    gr_graph_free(&g);

    g = load_ok(tu_data("int.mtx"), GR_FORMAT_AUTO, 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2:7 2->3:-4 3->1:12");
    gr_graph_free(&g);

    /* Symmetric with values, entries without a final newline. */
    g = load_text(".mtx",
                  "%%matrixmarket MATRIX coordinate REAL symmetric\n"
                  "% c\n\n3 3 2\n% between entries\n2 1 0.5\n3 3 2", 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2:0.5 2->1:0.5 3->3:2");
    gr_graph_free(&g);

    /* Symmetrizing a general file. */
    g = load_ok(tu_data("small.mtx"), GR_FORMAT_MTX, GR_BUILD_SYMMETRIZE);
    ck_assert(shares(g));
    ck_assert_str_eq(describe(g, buf, sizeof buf),
                     "1->2:1.5 1->3:-1 2->1:1.5 2->3:2.5 3->1:-1 3->2:2.5 4->4:4");
    roundtrip(g, "small.mtx sym");
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_mtx_errors)
{
    expect_err(tu_data("bad_header.mtx"), GR_FORMAT_AUTO, GR_ERR_PARSE, 1, 23,
               "unsupported Matrix Market format 'array': expected 'coordinate'");
    expect_text_err(".mtx", "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
                    GR_ERR_PARSE, 1, 34,
                    "unsupported Matrix Market field 'complex': expected real, integer or "
                    "pattern");
    expect_text_err(".mtx", "%%MatrixMarket matrix coordinate real hermitian\n", GR_ERR_PARSE,
                    1, 39,
                    "unsupported Matrix Market symmetry 'hermitian': expected general or "
                    "symmetric");
    expect_text_err(".mtx", "%%MatrixMarket matrix coordinate real skew-symmetric\n",
                    GR_ERR_PARSE, 1, 39,
                    "unsupported Matrix Market symmetry 'skew-symmetric': expected general "
                    "or symmetric");
    expect_text_err(".mtx", "%%MatrixMarket vector coordinate real general\n", GR_ERR_PARSE, 1,
                    16, "unsupported Matrix Market object 'vector': expected 'matrix'");
    expect_text_err(".mtx", "%%MatrixMarket matrix coordinate real\n", GR_ERR_PARSE, 1, 38,
                    "truncated Matrix Market header: missing the symmetry field");
    expect_text_err(".mtx", "%%MatrixMarket matrix coordinate real general extra\n",
                    GR_ERR_PARSE, 1, 47, "too many fields in the Matrix Market header");
    expect_text_err(".mtx", "3 3 1\n1 2\n", GR_ERR_PARSE, 1, 1,
                    "missing Matrix Market header: expected '%%MatrixMarket matrix coordinate "
                    "<real|integer|pattern> <general|symmetric>'");
    expect_text_err(".mtx", "", GR_ERR_PARSE, 1, 1,
                    "missing Matrix Market header: expected '%%MatrixMarket matrix coordinate "
                    "<real|integer|pattern> <general|symmetric>'");
    expect_text_err(".mtx", MM_GEN "% only comments\n", GR_ERR_PARSE, 3, 0,
                    "truncated file: missing the size line 'rows cols nnz'");
    expect_text_err(".mtx", MM_GEN "3 4 1\n1 2\n", GR_ERR_INVALID, 2, 1,
                    "matrix is not square: 3 rows, 4 columns");
    expect_text_err(".mtx", MM_GEN "3 3\n1 2\n", GR_ERR_PARSE, 2, 4,
                    "truncated size line: expected 'rows cols nnz'");
    expect_text_err(".mtx", MM_GEN "3 3 1 1\n1 2\n", GR_ERR_PARSE, 2, 7,
                    "too many columns: expected 'rows cols nnz'");
    expect_text_err(".mtx", MM_GEN "3 x 1\n", GR_ERR_PARSE, 2, 3,
                    "bad token 'x': expected an integer column count");
    expect_text_err(".mtx", MM_GEN "3 3 1\n1 4\n", GR_ERR_RANGE, 3, 3,
                    "column index 4 out of range 1..3");
    expect_text_err(".mtx", MM_GEN "3 3 2\n1 2\n0 1\n", GR_ERR_RANGE, 4, 1,
                    "row index 0 out of range 1..3");
    expect_text_err(".mtx", MM_GEN "3 3 1\n-1 2\n", GR_ERR_RANGE, 3, 1,
                    "negative row index '-1'");
    expect_text_err(".mtx", MM_GEN "3 3 3\n1 2\n2 3\n", GR_ERR_PARSE, 5, 0,
                    "truncated file: expected 3 entries, found 2");
    expect_text_err(".mtx", MM_GEN "3 3 1\n1 2\n2 3\n", GR_ERR_PARSE, 4, 1,
                    "too many entries: the size line declares 1");
    expect_text_err(".mtx", MM_GEN "3 3 1\n1 2 5\n", GR_ERR_PARSE, 3, 5,
                    "too many columns: expected 'row col'");
    expect_text_err(".mtx", MM_REAL "3 3 1\n1 2\n", GR_ERR_PARSE, 3, 4,
                    "truncated line: expected 'row col value'");
    expect_text_err(".mtx", MM_REAL "3 3 1\n1\n", GR_ERR_PARSE, 3, 2,
                    "truncated line: expected 'row col value'");
    expect_text_err(".mtx", MM_REAL "3 3 1\n1 2 abc\n", GR_ERR_PARSE, 3, 5,
                    "bad value 'abc': expected a finite number");
    expect_text_err(".mtx", MM_REAL "3 3 1\n1 2 1 1\n", GR_ERR_PARSE, 3, 7,
                    "too many columns: expected 'row col value'");
    expect_text_err(".mtx", "%%MatrixMarket matrix coordinate integer general\n3 3 1\n1 2 1.5\n",
                    GR_ERR_PARSE, 3, 5, "bad value '1.5': expected an integer");
    expect_text_err(".mtx", MM_GEN "3 3 0\n", GR_ERR_EMPTY, 2, 1, "empty graph: no edges");
    expect_text_err(".mtx", MM_GEN "0 0 0\n", GR_ERR_EMPTY, 2, 1, "empty graph: no nodes");
    expect_text_err(".mtx", MM_GEN "5000000000 5000000000 1\n", GR_ERR_RANGE, 2, 1,
                    "too many nodes: 5000000000 rows (at most 2^32-1)");
    /* A huge declared count in a tiny file: truncation, not out-of-memory. */
    expect_text_err(".mtx", MM_GEN "3 3 1000000000000000\n1 2\n", GR_ERR_PARSE, 4, 0,
                    "truncated file: expected 1000000000000000 entries, found 1");
}
END_TEST

/* ---- snapshots ----------------------------------------------------- */

START_TEST(test_roundtrip_cases)
{
    int i;
    for (i = 0;; i++) {
        const char *name;
        gr_graph *g = tu_case(i, &name);
        if (!g) {
            break;
        }
        roundtrip(g, name);
        gr_graph_free(&g);
    }
    ck_assert_int_gt(i, 10);
    {
        /* Weighted, but without a single edge. */
        static const double none[1] = {0};
        gr_graph *g = tu_graph(3, NULL, 0, none, 0);
        ck_assert_ptr_nonnull(g->out_w);
        roundtrip(g, "weighted, no edges");
        gr_graph_free(&g);
    }
}
END_TEST

START_TEST(test_roundtrip_loaded)
{
    static const char *const files[] = {"small.el", "weighted.el", "crlf.csv", "small.mtx",
                                        "sym.mtx", "int.mtx"};
    size_t i;
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        gr_graph *g = load_ok(tu_data(files[i]), GR_FORMAT_AUTO, 0);
        roundtrip(g, files[i]);
        gr_graph_free(&g);
    }
}
END_TEST

START_TEST(test_roundtrip_large)
{
    gr_graph *g = tu_random_graph(30000, 200000, 11, 1, 0);
    roundtrip(g, "uniform 30000/200000 weighted");
    gr_graph_free(&g);
    g = tu_skewed_graph(20000, 120000, 12, 0, GR_BUILD_SYMMETRIZE);
    roundtrip(g, "skewed 20000/120000 sym");
    gr_graph_free(&g);
}
END_TEST

/* Saving a mapped snapshot gives the same bytes. */
START_TEST(test_snapshot_resave)
{
    gr_graph *g = tu_random_graph(500, 3000, 5, 1, 0), *h;
    char p1[512], p2[512];
    unsigned char *a, *b;
    size_t la, lb;
    gr_error err;
    gr_error_clear(&err);
    temp_name(p1, sizeof p1, ".grs");
    temp_name(p2, sizeof p2, ".grs");
    ck_assert_int_eq(gr_graph_save_snapshot(g, p1, &err), GR_OK);
    h = load_ok(p1, GR_FORMAT_SNAPSHOT, 0);
    ck_assert_int_eq(gr_graph_save_snapshot(h, p2, &err), GR_OK);
    a = slurp(p1, &la);
    b = slurp(p2, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert(memcmp(a, b, la) == 0);
    ck_assert_uint_eq(la % 8, 0);
    ck_assert_uint_eq(gr_graph_bytes(h), gr_graph_bytes(g));
    free(a);
    free(b);
    unlink(p1);
    unlink(p2);
    gr_graph_free(&h);
    gr_graph_free(&g);
}
END_TEST

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void wr64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

/* Recompute the checksum of a snapshot image, as a forger would. */
static void reseal(unsigned char *b, size_t len)
{
    gr_hash h;
    gr_hash_init(&h, SNAP_SEED);
    gr_hash_update(&h, b, SNAP_CKSUM_AT);
    gr_hash_update(&h, b + SNAP_HDR, len - SNAP_HDR);
    wr64(b + SNAP_CKSUM_AT, gr_hash_final(&h));
}

/* Write a modified image and expect a GR_ERR_FORMAT with message msg. */
static void expect_image_err(const char *path, const unsigned char *b, size_t len, const char *msg)
{
    spit(path, b, len);
    expect_err(path, GR_FORMAT_AUTO, GR_ERR_FORMAT, 0, 0, msg);
}

START_TEST(test_snapshot_errors)
{
    gr_graph *g = tu_random_graph(50, 200, 3, 1, 0);
    char path[512], bad[512], msg[256];
    unsigned char *img, *b;
    size_t len, i;
    gr_error err;
    uint64_t off;
    gr_error_clear(&err);
    temp_name(path, sizeof path, ".grs");
    temp_name(bad, sizeof bad, ".grs");
    ck_assert_int_eq(gr_graph_save_snapshot(g, path, &err), GR_OK);
    img = slurp(path, &len);
    b = malloc(len + 16);
    ck_assert_ptr_nonnull(b);

    /* Not a snapshot at all. */
    expect_image_err(bad, (const unsigned char *)"0 1\n1 2\n", 8, "not a grperf snapshot");
    expect_image_err(bad, img, 5, "not a grperf snapshot");
    expect_image_err(bad, img, 0, "not a grperf snapshot");
    memcpy(b, img, len);
    b[1] = 'X';
    expect_image_err(bad, b, len, "not a grperf snapshot");
    /* Version. */
    memcpy(b, img, len);
    b[SNAP_VERSION_AT] = 2;
    expect_image_err(bad, b, len, "unsupported snapshot version 2 (this build reads 1)");
    /* Byte order. */
    memcpy(b, img, len);
    b[SNAP_BOM_AT] = 1, b[SNAP_BOM_AT + 1] = 2, b[SNAP_BOM_AT + 2] = 3, b[SNAP_BOM_AT + 3] = 4;
    expect_image_err(bad, b, len, "wrong byte order: not a little-endian grperf snapshot");
    /* Truncation, in the header and in the data. */
    expect_image_err(bad, img, 100, "truncated snapshot: 100 bytes, shorter than its header");
    snprintf(msg, sizeof msg, "truncated snapshot: %zu bytes, the header says %zu", len - 8, len);
    expect_image_err(bad, img, len - 8, msg);
    memcpy(b, img, len);
    memset(b + len, 0, 16);
    snprintf(msg, sizeof msg, "corrupt snapshot: %zu bytes, the header says %zu", len + 16, len);
    expect_image_err(bad, b, len + 16, msg);
    /* A section that does not fit: header and data both consistent but
     * the offset points past the end. */
    memcpy(b, img, len);
    off = rd64(b + SNAP_SEC_AT(S_ORIG));
    ck_assert_uint_eq(off, 0); /* dense ids: no orig section */
    wr64(b + SNAP_SEC_AT(S_IN_W), (len + 127) / 64 * 64);
    reseal(b, len);
    expect_image_err(bad, b, len,
                     "truncated snapshot: section in_w ends past the end of the file");
    memcpy(b, img, len);
    wr64(b + SNAP_SEC_AT(S_OUT_ADJ) + 8, 4 * 200 - 4);
    snprintf(msg, sizeof msg,
             "corrupt snapshot header: section out_adj at %llu has 796 bytes, expected 800",
             (unsigned long long)rd64(b + SNAP_SEC_AT(S_OUT_ADJ)));
    expect_image_err(bad, b, len, msg);
    /* Flipped bytes are caught (the checksum or earlier): every header
     * byte, and a stride through the sections. */
    for (i = 0; i < len; i += i < SNAP_HDR ? 1 : 13) {
        gr_graph *h = NULL;
        memcpy(b, img, len);
        b[i] ^= 0x20;
        spit(bad, b, len);
        gr_error_clear(&err);
        ck_assert_int_lt(gr_graph_load(bad, GR_FORMAT_SNAPSHOT, 0, &h, &err), 0);
        ck_assert_ptr_null(h);
        if (i >= SNAP_HDR) {
            ck_assert_str_eq(err.msg, "checksum mismatch: file is corrupt");
        }
    }
    /* Forged files with a valid checksum: the structural check. */
    memcpy(b, img, len);
    off = rd64(b + SNAP_SEC_AT(S_OUT_ADJ));
    b[off + 3] = 0x80; /* the first target becomes >= n */
    reseal(b, len);
    expect_image_err(bad, b, len, "corrupt snapshot: out edges: a neighbour id is >= n");
    memcpy(b, img, len);
    off = rd64(b + SNAP_SEC_AT(S_IN_ADJ));
    memcpy(b + off + 4 * 10, "\x32\0\0\0", 4); /* in_adj[10] = 50 = n */
    reseal(b, len);
    expect_image_err(bad, b, len, "corrupt snapshot: in edges: a neighbour id is >= n");
    memcpy(b, img, len);
    off = rd64(b + SNAP_SEC_AT(S_OUT_OFF));
    wr64(b + off + 8, 201); /* out_off[1] > out_off[2] */
    reseal(b, len);
    expect_image_err(bad, b, len, "corrupt snapshot: out edges: offsets decrease");
    memcpy(b, img, len);
    off = rd64(b + SNAP_SEC_AT(S_IN_OFF));
    wr64(b + off + 8 * 50, 199);
    reseal(b, len);
    expect_image_err(bad, b, len, "corrupt snapshot: in edges: offsets do not run from 0 to m");
    memcpy(b, img, len);
    b[SNAP_N_AT] = 0xff;
    b[SNAP_N_AT + 4] = 1; /* n > 2^32 */
    reseal(b, len);
    expect_image_err(bad, b, len, "corrupt snapshot header: n=4294967551, m=200");
    free(img);
    gr_graph_free(&g);

    /* Original ids that do not increase. */
    g = load_ok(tu_data("weighted.el"), GR_FORMAT_AUTO, 0);
    ck_assert_int_eq(gr_graph_save_snapshot(g, path, &err), GR_OK);
    img = slurp(path, &len);
    off = rd64(img + SNAP_SEC_AT(S_ORIG));
    ck_assert_uint_ne(off, 0);
    wr64(img + off + 8, 5); /* 10, 5, 30, 1000 */
    reseal(img, len);
    expect_image_err(bad, img, len, "corrupt snapshot: original ids do not increase");
    free(img);
    gr_graph_free(&g);
    free(b);
    unlink(path);
    unlink(bad);
}
END_TEST

/* ---- format detection -------------------------------------------- */

START_TEST(test_detect)
{
    static const char *const el_ext[] = {".txt", ".el", ".edges", ".csv", ".tsv", ".snap",
                                         ".TXT", ".Edges", ""};
    const char *el = "1 2\n2 3\n";
    const char *mm = MM_GEN "3 3 2\n1 2\n2 3\n";
    gr_graph *g, *h;
    char path[512], buf[256];
    unsigned char *img;
    size_t i, len;
    gr_error err;
    gr_error_clear(&err);
    for (i = 0; i < sizeof el_ext / sizeof el_ext[0]; i++) {
        g = load_text(el_ext[i], el, 0);
        ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2 2->3");
        gr_graph_free(&g);
    }
    /* The same text as .mtx: the Matrix Market loader wants its header. */
    temp_text(path, sizeof path, ".mtx", el);
    expect_err(path, GR_FORMAT_AUTO, GR_ERR_PARSE, 1, 1,
               "missing Matrix Market header: expected '%%MatrixMarket matrix coordinate "
               "<real|integer|pattern> <general|symmetric>'");
    /* An explicit format beats the extension. */
    g = load_ok(path, GR_FORMAT_EDGELIST, 0);
    gr_graph_free(&g);
    unlink(path);
    /* Matrix Market by extension (any case) and by content. */
    g = load_text(".MTX", mm, 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2 2->3");
    gr_graph_free(&g);
    g = load_text(".dat", mm, 0);
    ck_assert_str_eq(describe(g, buf, sizeof buf), "1->2 2->3");
    gr_graph_free(&g);
    g = load_text("", "%%matrixmarket matrix coordinate pattern general\n3 3 1\n1 2\n", 0);
    ck_assert_uint_eq(g->n, 3);
    gr_graph_free(&g);
    /* Snapshots by extension and by content; as text they are rejected. */
    g = load_text(".el", el, 0);
    temp_name(path, sizeof path, ".gz.bin");
    ck_assert_int_eq(gr_graph_save_snapshot(g, path, &err), GR_OK);
    h = load_ok(path, GR_FORMAT_AUTO, 0);
    ck_assert_uint_eq(gr_graph_digest(h), gr_graph_digest(g));
    gr_graph_free(&h);
    img = slurp(path, &len);
    unlink(path);
    temp_name(path, sizeof path, ".el");
    spit(path, img, len);
    {
        gr_graph *x = NULL;
        gr_error_clear(&err);
        ck_assert_int_eq(gr_graph_load(path, GR_FORMAT_AUTO, 0, &x, &err), GR_ERR_PARSE);
        ck_assert_ptr_null(x);
        ck_assert_int_eq(err.line, 1);
    }
    h = load_ok(path, GR_FORMAT_SNAPSHOT, 0);
    ck_assert_uint_eq(gr_graph_digest(h), gr_graph_digest(g));
    gr_graph_free(&h);
    unlink(path);
    /* Text in a .grs file. */
    temp_text(path, sizeof path, ".grs", el);
    expect_err(path, GR_FORMAT_AUTO, GR_ERR_FORMAT, 0, 0, "not a grperf snapshot");
    unlink(path);
    free(img);
    gr_graph_free(&g);
}
END_TEST

/* ---- allocation failures --------------------------------------------- */

/* Load allowing 0, 1, 2, ... allocations: each failure is a clean
 * GR_ERR_NOMEM (valgrind checks that nothing leaks). */
static void inject_load(const char *path, gr_format fmt, unsigned flags)
{
    long budget;
    for (budget = 0;; budget++) {
        gr_graph *g = NULL;
        gr_error err;
        int rc;
        gr_error_clear(&err);
        gr_mem_fail_after(budget);
        rc = gr_graph_load(path, fmt, flags, &g, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            ck_assert_int_eq(gr_graph_validate(g, NULL), GR_OK);
            gr_graph_free(&g);
            break;
        }
        ck_assert_msg(rc == GR_ERR_NOMEM, "%s budget %ld: rc %d (%s)", path, budget, rc, err.msg);
        ck_assert_int_eq(err.code, GR_ERR_NOMEM);
        ck_assert_ptr_null(g);
        ck_assert_int_lt(budget, 1000);
    }
    ck_assert_int_gt(budget, 0);
}

typedef int (*save_fn)(const gr_graph *, const char *, gr_error *);

static void inject_save(const gr_graph *g, save_fn save, const char *suffix)
{
    char path[512];
    long budget;
    temp_name(path, sizeof path, suffix);
    unlink(path);
    for (budget = 0;; budget++) {
        gr_error err;
        int rc;
        gr_error_clear(&err);
        gr_mem_fail_after(budget);
        rc = save(g, path, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_int_ne(access(path, F_OK), 0); /* nothing half-written */
        ck_assert_int_lt(budget, 1000);
    }
    unlink(path);
}

START_TEST(test_alloc_failures)
{
    gr_graph *g;
    char path[512];
    gr_error err;
    gr_error_clear(&err);
    inject_load(tu_data("small.el"), GR_FORMAT_AUTO, 0);
    inject_load(tu_data("weighted.el"), GR_FORMAT_AUTO, 0);
    inject_load(tu_data("weighted.el"), GR_FORMAT_AUTO, GR_BUILD_SYMMETRIZE);
    inject_load(tu_data("small.mtx"), GR_FORMAT_AUTO, 0);
    inject_load(tu_data("sym.mtx"), GR_FORMAT_AUTO, GR_BUILD_SYMMETRIZE);
    temp_text(path, sizeof path, ".el", "9223372036854775807 5\n1099511627776 3\n");
    inject_load(path, GR_FORMAT_AUTO, 0); /* the hashed id path */
    unlink(path);
    g = load_ok(tu_data("weighted.el"), GR_FORMAT_AUTO, 0);
    temp_name(path, sizeof path, ".grs");
    ck_assert_int_eq(gr_graph_save_snapshot(g, path, &err), GR_OK);
    inject_load(path, GR_FORMAT_AUTO, 0);
    inject_load(path, GR_FORMAT_AUTO, GR_BUILD_SYMMETRIZE);
    unlink(path);
    inject_save(g, gr_graph_save_snapshot, ".grs");
    inject_save(g, gr_graph_save_edgelist, ".el");
    gr_graph_free(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loaders");
    TCase *tc = tcase_create("edgelist");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_el_small);
    tcase_add_test(tc, test_el_weighted_sparse);
    tcase_add_test(tc, test_el_crlf_commas_no_newline);
    tcase_add_test(tc, test_el_id_mapping);
    tcase_add_test(tc, test_el_id_mapping_random);
    tcase_add_test(tc, test_el_symmetrize);
    tcase_add_test(tc, test_count_newlines);
    tcase_add_test(tc, test_where_and_quote);
    tcase_add_test(tc, test_lex_double);
    tcase_add_test(tc, test_el_errors);
    tcase_add_test(tc, test_el_error_files);
    tcase_add_test(tc, test_load_bad_args);
    tcase_add_test(tc, test_el_parallel);
    tcase_add_test(tc, test_save_edgelist_text);
    suite_add_tcase(s, tc);
    tc = tcase_create("mtx");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_mtx_known);
    tcase_add_test(tc, test_mtx_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("snapshot");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_roundtrip_cases);
    tcase_add_test(tc, test_roundtrip_loaded);
    tcase_add_test(tc, test_roundtrip_large);
    tcase_add_test(tc, test_snapshot_resave);
    tcase_add_test(tc, test_snapshot_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("misc");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_detect);
    tcase_add_test(tc, test_alloc_failures);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
