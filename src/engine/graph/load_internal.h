/*
 * load_internal.h - what the graph loaders share (load.c, load_edgelist.c,
 * load_mtx.c, snapshot.c): the whole-file text buffer, a small lexer for
 * ids and weights, and the helpers that turn a byte position into the
 * file:line:col of an error.
 *
 * Text is held whole in one buffer (the file mapped, or read) followed by
 * an extra '\n' and a NUL, so every line of the file, the last one
 * included, ends with '\n': the lexers scan without end-of-buffer checks
 * and stop at the newline.
 */
#ifndef GR_LOAD_INTERNAL_H
#define GR_LOAD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "gr.h"

/* A text file held in memory. */
typedef struct gr_text {
    char *buf;           /* len bytes, then '\n' and '\0' */
    size_t len;          /* bytes of the file */
    size_t map_len;      /* bytes mapped (a regular file), 0: heap buffer */
} gr_text;

/* The file at path, whole: a regular file is mapped (no copy), anything
 * else read.  GR_ERR_IO ("cannot open: <strerror>") or GR_ERR_NOMEM; on
 * success the caller releases it with gr_text_release.  The file must not
 * shrink while it is held (a mapped file would fault). */
int gr_text_read(const char *path, gr_text *t, gr_error *err);
void gr_text_release(gr_text *t);

/* Where the text starts: after a UTF-8 byte order mark, if any. */
static inline const char *gr_text_start(const gr_text *t)
{
    return (t->len >= 3 && (unsigned char)t->buf[0] == 0xef &&
            (unsigned char)t->buf[1] == 0xbb && (unsigned char)t->buf[2] == 0xbf)
               ? t->buf + 3
               : t->buf;
}

/* The 1-based line and column of byte `pos` of a buffer starting at base. */
void gr_text_where(const char *base, const char *pos, long *line, long *col);

/* Newlines in [p, p+n), counted a word at a time. */
uint64_t gr_count_newlines(const char *p, size_t n);

/* The token at p (up to a separator or newline) quoted for a message:
 * at most ~20 characters, "..." when cut, non-printable bytes as '?'.
 * Returns buf. */
const char *gr_token_quote(const char *p, char *buf, size_t n);

/* ---- lexer ---------------------------------------------------------- */

/* Byte classes: separators are blanks (space, \t, \r, \v, \f) and commas. */
enum { GR_LX_SEP = 1, GR_LX_NL = 2 };
extern const unsigned char gr_lex_class[256];

#define GR_LX_IS_SEP(c) (gr_lex_class[(unsigned char)(c)] & GR_LX_SEP)
/* May this byte end a token? */
#define GR_LX_ENDS(c) (gr_lex_class[(unsigned char)(c)] & (GR_LX_SEP | GR_LX_NL))

/* Lexer results. */
enum { GR_LX_OK = 0, GR_LX_BAD, GR_LX_NEG, GR_LX_OVER };

#define GR_ID_MAX ((uint64_t)INT64_MAX) /* ids are < 2^63 */

/* An unsigned decimal integer <= GR_ID_MAX at *pp that must end at a
 * separator or newline.  On GR_LX_OK *pp moves past it; otherwise *pp is
 * left at the token: GR_LX_NEG for "-<digit>...", GR_LX_OVER for a number
 * above GR_ID_MAX, GR_LX_BAD for anything else. */
static inline int gr_lex_id(const char **pp, uint64_t *out)
{
    const unsigned char *p = (const unsigned char *)*pp;
    uint64_t v;
    unsigned d = (unsigned)*p - '0';
    int i, over = 0;
    if (d > 9) {
        return (*p == '-' && (unsigned)p[1] - '0' <= 9) ? GR_LX_NEG : GR_LX_BAD;
    }
    v = d;
    p++;
    /* 18 digits cannot exceed 2^63-1; only longer numbers need checks. */
    for (i = 1; i < 18 && (d = (unsigned)*p - '0') <= 9; i++) {
        v = v * 10 + d;
        p++;
    }
    while ((d = (unsigned)*p - '0') <= 9) {
        if (v > (GR_ID_MAX - d) / 10) {
            over = 1;
        } else {
            v = v * 10 + d;
        }
        p++;
    }
    if (!GR_LX_ENDS(*p)) {
        return GR_LX_BAD;
    }
    if (over) {
        return GR_LX_OVER;
    }
    *pp = (const char *)p;
    *out = v;
    return GR_LX_OK;
}

/* A finite decimal number ([+-]digits[.digits][(e|E)[+-]digits]) at *pp
 * that must end at a separator or newline, correctly rounded (a fast exact
 * path, strtod for the rest; the buffer must hold a NUL after the line).
 * GR_LX_OK and *pp past it, or GR_LX_BAD (bad syntax, NaN, infinity,
 * overflow) with *pp unchanged.  *is_int (may be NULL) receives 1 when the
 * token had neither a fraction nor an exponent. */
int gr_lex_double(const char **pp, double *out, int *is_int);

/* ---- the loaders, by format (load.c dispatches) ------------------- */

int gr_load_edgelist(const char *path, unsigned flags, gr_graph **out, gr_error *err);
int gr_load_mtx(const char *path, unsigned flags, gr_graph **out, gr_error *err);
int gr_load_snapshot(const char *path, unsigned flags, gr_graph **out, gr_error *err);

/* Snapshot layout facts the tests and the fuzzer need to forge files
 * (the whole layout is described in snapshot.c). */
#define GR_SNAP_HDR_SIZE 256u       /* header bytes; sections follow */
#define GR_SNAP_CKSUM_AT 248u       /* offset of the u64 checksum */
#define GR_SNAP_SEED 0x6772736e61707331ULL /* gr_hash seed of the checksum */

/* 1 when the n bytes at p start with the snapshot magic. */
int gr_snapshot_magic_ok(const void *p, size_t n);

#endif
