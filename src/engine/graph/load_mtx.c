/*
 * load_mtx.c - Matrix Market coordinate files as graphs.
 *
 * Accepted: "%%MatrixMarket matrix coordinate <real|integer|pattern>
 * <general|symmetric>" (case-insensitive), '%' comment lines and blank
 * lines after it, a size line "rows cols nnz" with rows == cols, then nnz
 * entries "i j [v]" with 1-based indices.  Entry (i,j) is the edge
 * i-1 -> j-1 with weight v (none for pattern); in a symmetric file an
 * off-diagonal entry also gives j-1 -> i-1.  Every row is a node, so
 * isolated nodes are kept, and node u keeps its file id u+1 as its
 * original id.  The text is held whole (load.c) and scanned once with the
 * shared lexer; errors name the file, line and column.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"
#include "engine/graph/load_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { MM_REAL, MM_INTEGER, MM_PATTERN };

/* One load's state. */
typedef struct mm_load {
    const char *path;
    gr_text text;
    int field;           /* MM_REAL, MM_INTEGER or MM_PATTERN */
    int symmetric;       /* "symmetric" rather than "general" */
} mm_load;

/* An error at byte pos of the text. */
static int fail_at(const mm_load *M, const char *pos, int code, const char *msg,
                   const char *tok, gr_error *err)
{
    long line, col;
    char q[40];
    gr_text_where(M->text.buf, pos, &line, &col);
    if (tok) {
        return gr_err_at(err, code, M->path, line, col, msg, gr_token_quote(tok, q, sizeof q));
    }
    return gr_err_at(err, code, M->path, line, col, "%s", msg);
}

static size_t token_len(const char *p)
{
    size_t n = 0;
    while (!GR_LX_ENDS(p[n])) {
        n++;
    }
    return n;
}

/* Index of the word at p among words[] (case-insensitive), or -1. */
static int word_index(const char *p, const char *const *words)
{
    size_t n = token_len(p);
    int i;
    for (i = 0; words[i]; i++) {
        if (strlen(words[i]) == n && strncasecmp(p, words[i], n) == 0) {
            return i;
        }
    }
    return -1;
}

/* Parse the header line; *pp moves to the next line. */
static int parse_header(mm_load *M, const char **pp, gr_error *err)
{
    static const char banner[] = "%%MatrixMarket";
    static const char *const object[] = {"matrix", NULL};
    static const char *const format[] = {"coordinate", NULL};
    static const char *const field[] = {"real", "integer", "pattern", NULL};
    static const char *const symmetry[] = {"general", "symmetric", NULL};
    static const char *const names[] = {"object", "format", "field", "symmetry"};
    static const char *const bad[] = {
        "unsupported Matrix Market object %s: expected 'matrix'",
        "unsupported Matrix Market format %s: expected 'coordinate'",
        "unsupported Matrix Market field %s: expected real, integer or pattern",
        "unsupported Matrix Market symmetry %s: expected general or symmetric",
    };
    const char *const *words[] = {object, format, field, symmetry};
    const char *p = *pp;
    int f, which[4];
    if (strncasecmp(p, banner, sizeof banner - 1) != 0 || !GR_LX_ENDS(p[sizeof banner - 1])) {
        return fail_at(M, p, GR_ERR_PARSE,
                       "missing Matrix Market header: expected '%%MatrixMarket matrix "
                       "coordinate <real|integer|pattern> <general|symmetric>'",
                       NULL, err);
    }
    p += sizeof banner - 1;
    for (f = 0; f < 4; f++) {
        char msg[96];
        while (GR_LX_IS_SEP(*p)) {
            p++;
        }
        if (*p == '\n') {
            snprintf(msg, sizeof msg, "truncated Matrix Market header: missing the %s field",
                     names[f]);
            return fail_at(M, p, GR_ERR_PARSE, msg, NULL, err);
        }
        if ((which[f] = word_index(p, words[f])) < 0) {
            return fail_at(M, p, GR_ERR_PARSE, bad[f], p, err);
        }
        p += token_len(p);
    }
    while (GR_LX_IS_SEP(*p)) {
        p++;
    }
    if (*p != '\n') {
        return fail_at(M, p, GR_ERR_PARSE, "too many fields in the Matrix Market header",
                       NULL, err);
    }
    M->field = which[2];
    M->symmetric = which[3] == 1;
    *pp = p + 1;
    return GR_OK;
}

/* Skip blank and '%' comment lines; *pp is at the start of a line. */
static const char *next_data_line(const char *p, const char *end)
{
    while (p < end) {
        const char *q = p;
        while (GR_LX_IS_SEP(*q)) {
            q++;
        }
        if (*q == '\n') {
            p = q + 1;
        } else if (*q == '%') {
            p = (const char *)memchr(q, '\n', (size_t)(end - q)) + 1;
        } else {
            return q;
        }
    }
    return NULL;
}

/* An integer field `what` at *pp (which must not be a newline). */
static int lex_index(const mm_load *M, const char **pp, const char *what, uint64_t *out,
                     gr_error *err)
{
    const char *tok = *pp;
    char msg[96];
    switch (gr_lex_id(pp, out)) {
    case GR_LX_OK:
        return GR_OK;
    case GR_LX_NEG:
        snprintf(msg, sizeof msg, "negative %s %%s", what);
        return fail_at(M, tok, GR_ERR_RANGE, msg, tok, err);
    case GR_LX_OVER:
        snprintf(msg, sizeof msg, "%s %%s is too large", what);
        return fail_at(M, tok, GR_ERR_RANGE, msg, tok, err);
    default:
        snprintf(msg, sizeof msg, "bad token %%s: expected an integer %s", what);
        return fail_at(M, tok, GR_ERR_PARSE, msg, tok, err);
    }
}

/* Skip separators; 1 when the line goes on. */
static int more(const char **pp)
{
    while (GR_LX_IS_SEP(**pp)) {
        (*pp)++;
    }
    return **pp != '\n';
}

/* The size line "rows cols nnz" at *pp. */
static int parse_size(const mm_load *M, const char **pp, uint64_t *rows, uint64_t *nnz,
                      gr_error *err)
{
    static const char *const what[] = {"row count", "column count", "entry count"};
    const char *p = *pp, *line = p;
    uint64_t v[3];
    int i, rc;
    char msg[128];
    for (i = 0; i < 3; i++) {
        if (!more(&p)) {
            return fail_at(M, p, GR_ERR_PARSE, "truncated size line: expected 'rows cols nnz'",
                           NULL, err);
        }
        if ((rc = lex_index(M, &p, what[i], &v[i], err)) < 0) {
            return rc;
        }
    }
    if (more(&p)) {
        return fail_at(M, p, GR_ERR_PARSE, "too many columns: expected 'rows cols nnz'", NULL,
                       err);
    }
    if (v[0] != v[1]) {
        snprintf(msg, sizeof msg, "matrix is not square: %llu rows, %llu columns",
                 (unsigned long long)v[0], (unsigned long long)v[1]);
        return fail_at(M, line, GR_ERR_INVALID, msg, NULL, err);
    }
    if (v[0] > UINT32_MAX) {
        snprintf(msg, sizeof msg, "too many nodes: %llu rows (at most 2^32-1)",
                 (unsigned long long)v[0]);
        return fail_at(M, line, GR_ERR_RANGE, msg, NULL, err);
    }
    if (v[0] == 0) {
        return fail_at(M, line, GR_ERR_EMPTY, "empty graph: no nodes", NULL, err);
    }
    if (v[2] == 0) {
        return fail_at(M, line, GR_ERR_EMPTY, "empty graph: no edges", NULL, err);
    }
    *rows = v[0];
    *nnz = v[2];
    *pp = p + 1;
    return GR_OK;
}

/* Append an edge, growing e when full. */
static int push(gr_edges *e, uint32_t s, uint32_t d, double w, gr_error *err)
{
    if (e->m == e->cap) {
        return gr_edges_push(e, s, d, w, err);
    }
    e->src[e->m] = s;
    e->dst[e->m] = d;
    if (e->weighted) {
        e->w[e->m] = w;
    }
    e->m++;
    return GR_OK;
}

/* The entries after the size line. */
static int parse_entries(const mm_load *M, const char *p, uint64_t rows, uint64_t nnz,
                         gr_edges *e, gr_error *err)
{
    const char *end = M->text.buf + M->text.len + 1;
    const char *expect = M->field == MM_PATTERN ? "truncated line: expected 'row col'"
                                                : "truncated line: expected 'row col value'";
    uint64_t found = 0, cap = (uint64_t)(end - p) / 4 + 1;
    int rc;
    char msg[128];
    if (cap > nnz) {
        cap = nnz;
    }
    TRY(gr_edges_reserve(e, M->symmetric ? 2 * cap : cap, err));
    while ((p = next_data_line(p, end)) != NULL) {
        uint64_t ij[2];
        const char *tok;
        double v = 0;
        int k;
        if (found == nnz) {
            snprintf(msg, sizeof msg, "too many entries: the size line declares %llu",
                     (unsigned long long)nnz);
            return fail_at(M, p, GR_ERR_PARSE, msg, NULL, err);
        }
        for (k = 0; k < 2; k++) {
            if (!more(&p)) {
                return fail_at(M, p, GR_ERR_PARSE, expect, NULL, err);
            }
            tok = p;
            TRY(lex_index(M, &p, k ? "column index" : "row index", &ij[k], err));
            if (ij[k] == 0 || ij[k] > rows) {
                snprintf(msg, sizeof msg, "%s %llu out of range 1..%llu",
                         k ? "column index" : "row index", (unsigned long long)ij[k],
                         (unsigned long long)rows);
                return fail_at(M, tok, GR_ERR_RANGE, msg, NULL, err);
            }
        }
        if (M->field != MM_PATTERN) {
            int is_int = 0;
            if (!more(&p)) {
                return fail_at(M, p, GR_ERR_PARSE, expect, NULL, err);
            }
            tok = p;
            if (gr_lex_double(&p, &v, &is_int) != GR_LX_OK) {
                return fail_at(M, tok, GR_ERR_PARSE, "bad value %s: expected a finite number",
                               tok, err);
            }
            if (M->field == MM_INTEGER && !is_int) {
                return fail_at(M, tok, GR_ERR_PARSE, "bad value %s: expected an integer", tok,
                               err);
            }
        }
        if (more(&p)) {
            return fail_at(M, p, GR_ERR_PARSE,
                           M->field == MM_PATTERN ? "too many columns: expected 'row col'"
                                                  : "too many columns: expected 'row col value'",
                           NULL, err);
        }
        p++;
        found++;
        TRY(push(e, (uint32_t)(ij[0] - 1), (uint32_t)(ij[1] - 1), v, err));
        if (M->symmetric && ij[0] != ij[1]) {
            TRY(push(e, (uint32_t)(ij[1] - 1), (uint32_t)(ij[0] - 1), v, err));
        }
    }
    if (found < nnz) {
        long line, col;
        gr_text_where(M->text.buf, M->text.buf + M->text.len, &line, &col);
        return gr_err_at(err, GR_ERR_PARSE, M->path, line, 0,
                         "truncated file: expected %llu entries, found %llu",
                         (unsigned long long)nnz, (unsigned long long)found);
    }
    return GR_OK;
fail:
    return rc;
}

int gr_load_mtx(const char *path, unsigned flags, gr_graph **out, gr_error *err)
{
    mm_load M;
    gr_edges e;
    int64_t *orig = NULL;
    uint64_t rows = 0, nnz = 0, u;
    const char *p, *end;
    int rc;
    memset(&M, 0, sizeof M);
    M.path = path;
    gr_edges_init(&e, 0);
    *out = NULL;
    TRY(gr_text_read(path, &M.text, err));
    p = gr_text_start(&M.text);
    end = M.text.buf + M.text.len + 1;
    TRY(parse_header(&M, &p, err));
    if (!(p = next_data_line(p, end))) {
        long line, col;
        gr_text_where(M.text.buf, end - 1, &line, &col);
        rc = gr_err_at(err, GR_ERR_PARSE, path, line, 0,
                       "truncated file: missing the size line 'rows cols nnz'");
        goto fail;
    }
    TRY(parse_size(&M, &p, &rows, &nnz, err));
    gr_edges_init(&e, M.field != MM_PATTERN);
    TRY(parse_entries(&M, p, rows, nnz, &e, err));
    gr_text_release(&M.text);
    if (!(orig = gr_alloc_big(rows, sizeof *orig))) {
        rc = gr_err_nomem(err, "original ids");
        goto fail;
    }
    for (u = 0; u < rows; u++) {
        orig[u] = (int64_t)u + 1;
    }
    TRY(gr_graph_build_ex(&e, (uint32_t)rows, flags, orig, out, err));
    if (M.symmetric) {
        (*out)->symmetric = 1; /* every off-diagonal entry went both ways */
    }
fail:
    gr_free_big(orig);
    gr_edges_release(&e);
    gr_text_release(&M.text);
    return rc;
}
