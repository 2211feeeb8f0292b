/*
 * diag.c - diagnostics of the language front end, and the small pieces of
 * memory plumbing every phase shares (the arena, the growable string).
 *
 * Errors are collected as they are found (each phase recovers and goes on)
 * and rendered at the end, sorted by position:
 *
 *     file:line:col: message
 *     <the source line>
 *     <spaces up to the column>^
 *
 * Tabs in the source line are kept in the caret line so the caret lines up
 * in a terminal, and UTF-8 continuation bytes take no column there.  After
 * GR_LANG_MAX_ERRORS errors the next one is replaced by a final "too many
 * errors" note and the phases stop.  "did you mean" suggestions use the
 * edit distance below (optimal string alignment, so a swapped pair of
 * letters counts as one edit).
 *
 * Every non-static function here is documented where lang_internal.h
 * declares it.
 */
#include "config.h"
#include "engine/lang/lang_internal.h"
#include "common/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------ */

struct gr_arena_chunk {
    gr_arena_chunk *next;   /* older chunk */
    size_t pad_;            /* keeps data 16-byte aligned */
};

#define ARENA_CHUNK 8192
#define ARENA_ALIGN 16

void *gr_arena_alloc(gr_arena *a, size_t n)
{
    void *p;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0) {
        n = ARENA_ALIGN;
    }
    if (!a->head || a->cap - a->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        gr_arena_chunk *c;
        if (size > (size_t)-1 - sizeof *c - ARENA_ALIGN) {
            return NULL;
        }
        c = gr_malloc(sizeof *c + size);
        if (!c) {
            return NULL;
        }
        c->next = a->head;
        a->head = c;
        a->used = 0;
        a->cap = size;
    }
    p = (char *)(a->head + 1) + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *gr_arena_strndup(gr_arena *a, const char *s, size_t n)
{
    char *d;
    if (n == (size_t)-1) {
        return NULL;
    }
    d = gr_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void gr_arena_free(gr_arena *a)
{
    while (a->head) {
        gr_arena_chunk *next = a->head->next;
        gr_free(a->head);
        a->head = next;
    }
    a->used = a->cap = 0;
}

/* ---- growable string -------------------------------------------------- */

void gr_sb_putn(gr_sb *sb, const char *s, size_t n)
{
    if (sb->oom) {
        return;
    }
    if (sb->cap - sb->n <= n) {
        size_t cap = sb->cap ? sb->cap : 256;
        char *p;
        while (cap - sb->n <= n) {
            if (cap > (size_t)-1 / 2) {
                sb->oom = 1;
                return;
            }
            cap *= 2;
        }
        p = gr_realloc(sb->s, cap);
        if (!p) {
            sb->oom = 1;
            return;
        }
        sb->s = p;
        sb->cap = cap;
    }
    memcpy(sb->s + sb->n, s, n);
    sb->n += n;
    sb->s[sb->n] = '\0';
}

void gr_sb_puts(gr_sb *sb, const char *s) { gr_sb_putn(sb, s, strlen(s)); }

void gr_sb_printf(gr_sb *sb, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int k;
    va_start(ap, fmt);
    k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (k < 0) {
        sb->oom = 1;
        return;
    }
    /* Messages are short; a longer one is cut (names are in the source). */
    gr_sb_putn(sb, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
}

char *gr_sb_take(gr_sb *sb)
{
    char *s;
    if (!sb->s) {
        gr_sb_putn(sb, "", 0); /* allocates the first chunk, "" */
    }
    if (sb->oom) {
        gr_sb_release(sb);
        return NULL;
    }
    s = sb->s;
    sb->s = NULL;
    sb->n = sb->cap = 0;
    return s;
}

void gr_sb_release(gr_sb *sb)
{
    gr_free(sb->s);
    sb->s = NULL;
    sb->n = sb->cap = 0;
    sb->oom = 0;
}

/* ---- diagnostics ------------------------------------------------------ */

struct gr_ldiag {
    gr_pos pos;         /* where */
    int seq;            /* order of discovery (ties keep it) */
    int code;           /* GR_ERR_PARSE / GR_ERR_TYPE */
    const char *msg;    /* arena */
    gr_ldiag *next;     /* older */
};

void gr_lang_init(gr_lang *L, const char *src, size_t len, const char *file)
{
    memset(L, 0, sizeof *L);
    L->src = src ? src : "";
    L->len = src ? len : 0;
    L->file = file && *file ? file : "<input>";
}

void gr_lang_free(gr_lang *L)
{
    gr_arena_free(&L->arena);
    L->diags = NULL;
}

int gr_lang_stopped(const gr_lang *L) { return L->nomem || L->limit_hit; }

int gr_lang_error(gr_lang *L, gr_pos pos, int code, const char *fmt, ...)
{
    char buf[GR_ERROR_MSG_MAX];
    gr_ldiag *d, *o;
    va_list ap;

    if (L->nomem || L->limit_hit) {
        return code;
    }
    if (L->nerr >= GR_LANG_MAX_ERRORS) {
        L->limit_hit = 1;
        L->limit_pos = pos;
        return code;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* The same message at the same place says nothing new. */
    for (o = L->diags; o; o = o->next) {
        if (o->pos.line == pos.line && o->pos.col == pos.col && strcmp(o->msg, buf) == 0) {
            return code;
        }
    }
    d = gr_arena_alloc(&L->arena, sizeof *d);
    if (!d || !(d->msg = gr_arena_strndup(&L->arena, buf, strlen(buf)))) {
        L->nomem = 1;
        return GR_ERR_NOMEM;
    }
    d->pos = pos;
    d->seq = L->nerr;
    d->code = code;
    d->next = L->diags;
    L->diags = d;
    L->nerr++;
    return code;
}

void gr_lang_mark_bad_line(gr_lang *L, int line)
{
    if (L->nbad_lines < GR_LANG_MAX_ERRORS && !gr_lang_bad_line(L, line)) {
        L->bad_lines[L->nbad_lines++] = line;
    }
}

int gr_lang_bad_line(const gr_lang *L, int line)
{
    int i;
    for (i = 0; i < L->nbad_lines; i++) {
        if (L->bad_lines[i] == line) {
            return 1;
        }
    }
    return 0;
}

static int diag_cmp(const void *pa, const void *pb)
{
    const gr_ldiag *a = *(const gr_ldiag *const *)pa, *b = *(const gr_ldiag *const *)pb;
    if (a->pos.line != b->pos.line) {
        return a->pos.line < b->pos.line ? -1 : 1;
    }
    if (a->pos.col != b->pos.col) {
        return a->pos.col < b->pos.col ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The errors sorted by position, in a gr_malloc'd array; NULL on OOM. */
static gr_ldiag **sorted(const gr_lang *L)
{
    gr_ldiag **v = gr_malloc((size_t)(L->nerr ? L->nerr : 1) * sizeof *v);
    gr_ldiag *d;
    int i = 0;
    if (!v) {
        return NULL;
    }
    for (d = L->diags; d && i < L->nerr; d = d->next) {
        v[i++] = d;
    }
    qsort(v, (size_t)i, sizeof *v, diag_cmp);
    return v;
}

/* Append the source line `line` and a caret under column col. */
static void put_context(gr_sb *sb, const gr_lang *L, gr_pos pos)
{
    const char *end = L->src + L->len, *start, *p, *q;
    int line = 1, c;

    for (p = L->src; p < end && line < pos.line; p++) {
        if (*p == '\n') {
            line++;
        }
    }
    start = p;
    for (q = p; q < end && *q != '\n'; q++) {
    }
    if (q > p && q[-1] == '\r') {
        q--;
    }
    /* The line, control bytes shown as '?' (the text stays one C string). */
    for (; p < q; p++) {
        unsigned char ch = (unsigned char)*p;
        char out = (ch < 0x20 && ch != '\t') || ch == 0x7f ? '?' : (char)ch;
        gr_sb_putn(sb, &out, 1);
    }
    gr_sb_putn(sb, "\n", 1);
    /* The caret line: walk the line again up to the column. */
    for (p = start, c = 1; c < pos.col; c++, p++) {
        if (p < q && *p == '\t') {
            gr_sb_putn(sb, "\t", 1);
        } else if (p < q && ((unsigned char)*p & 0xc0) == 0x80) {
            /* continuation byte: no column on screen */
        } else {
            gr_sb_putn(sb, " ", 1);
        }
    }
    gr_sb_putn(sb, "^\n", 2);
}

int gr_lang_render(gr_lang *L, char **text, int *count)
{
    gr_sb sb = {0};
    gr_ldiag **v;
    int i;

    *text = NULL;
    *count = L->nerr;
    if (L->nerr == 0) {
        return GR_OK;
    }
    v = sorted(L);
    if (!v) {
        return GR_ERR_NOMEM;
    }
    for (i = 0; i < L->nerr; i++) {
        gr_sb_printf(&sb, "%s:%d:%d: ", L->file, v[i]->pos.line, v[i]->pos.col);
        gr_sb_puts(&sb, v[i]->msg);
        gr_sb_putn(&sb, "\n", 1);
        put_context(&sb, L, v[i]->pos);
    }
    gr_free(v);
    if (L->limit_hit) {
        gr_sb_printf(&sb, "%s:%d:%d: too many errors (%d), stopping here\n", L->file,
                     L->limit_pos.line, L->limit_pos.col, GR_LANG_MAX_ERRORS);
        put_context(&sb, L, L->limit_pos);
    }
    *text = gr_sb_take(&sb);
    return *text ? GR_OK : GR_ERR_NOMEM;
}

int gr_lang_first_error(const gr_lang *L, gr_pos *pos, const char **msg)
{
    const gr_ldiag *d, *best = NULL;
    for (d = L->diags; d; d = d->next) {
        if (!best || diag_cmp(&d, &best) < 0) {
            best = d;
        }
    }
    if (!best) {
        return GR_OK;
    }
    *pos = best->pos;
    *msg = best->msg;
    return best->code;
}

/* ---- suggestions ------------------------------------------------------ */

#define ED_MAX 64

int gr_lang_edit_distance(const char *a, const char *b)
{
    int d[ED_MAX + 1][ED_MAX + 1];
    size_t la = strlen(a), lb = strlen(b), i, j;

    if (la > ED_MAX || lb > ED_MAX) {
        return 1000;
    }
    for (i = 0; i <= la; i++) {
        d[i][0] = (int)i;
    }
    for (j = 0; j <= lb; j++) {
        d[0][j] = (int)j;
    }
    for (i = 1; i <= la; i++) {
        for (j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) {
                best = d[i][j - 1] + 1;
            }
            if (d[i - 1][j - 1] + cost < best) {
                best = d[i - 1][j - 1] + cost;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

int gr_lang_close(const char *name, const char *cand, int *dist)
{
    size_t n = strlen(name);
    int limit = (int)((n + 1) / 3), k;
    if (limit < 1) {
        limit = n >= 2 ? 1 : 0;
    }
    if (strcmp(name, cand) == 0) {
        return 0;
    }
    k = gr_lang_edit_distance(name, cand);
    /* A one-letter name is close to every other one-letter name: noise. */
    if (k > limit || (size_t)k >= strlen(cand) || (size_t)k >= n) {
        return 0;
    }
    *dist = k;
    return 1;
}
