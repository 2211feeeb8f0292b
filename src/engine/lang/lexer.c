/*
 * lexer.c - the tokens of the algorithm language (gr_lex).
 *
 * The whole source is split up front into an array of tokens in the
 * compilation's arena, so the parser can look ahead freely.  Tokens:
 * names, reserved words (algorithm repeat until return true false inf nan
 * weight; `converged`, `unchanged` and `max` are ordinary names the parser
 * reads by context, since max is also a builtin), integers (decimal
 * digits), decimals (digits '.' digits, optional exponent) and exponents
 * (digits e[+-]digits), the operators and punctuation of the grammar, and
 * newlines, which separate statements (a run of them is one token; the
 * parser ignores them where a statement cannot end).  '#' starts a comment
 * to the end of the line; spaces, tabs and carriage returns separate.
 *
 * Errors are reported here and repaired, never passed on as error tokens:
 * a bad character is skipped, a malformed number ("1.", ".5", "1e", "7up")
 * becomes a number with the value read so far.  So one mistake gives one
 * message, and the parser goes on to find the next.
 */
#include "config.h"
#include "engine/lang/lang_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *word;
    gr_tok kind;
} reserved[] = {
    {"algorithm", TK_ALGORITHM}, {"repeat", TK_REPEAT}, {"until", TK_UNTIL},
    {"return", TK_RETURN},       {"true", TK_TRUE},     {"false", TK_FALSE},
    {"inf", TK_INF},             {"nan", TK_NAN},       {"weight", TK_WEIGHT},
};

/* Spellings of the fixed tokens, indexed by gr_tok. */
static const char *const spelling[] = {
    [TK_EOF] = "end of file", [TK_NEWLINE] = "newline", [TK_NAME] = "name",
    [TK_INT] = "integer", [TK_FLOAT] = "number",
    [TK_LPAREN] = "(", [TK_RPAREN] = ")", [TK_LBRACE] = "{", [TK_RBRACE] = "}",
    [TK_COMMA] = ",", [TK_SEMI] = ";", [TK_ASSIGN] = "=",
    [TK_EQ] = "==", [TK_NE] = "!=", [TK_LT] = "<", [TK_LE] = "<=", [TK_GT] = ">",
    [TK_GE] = ">=", [TK_PLUS] = "+", [TK_MINUS] = "-", [TK_STAR] = "*",
    [TK_SLASH] = "/", [TK_PERCENT] = "%", [TK_NOT] = "!", [TK_AND] = "&&",
    [TK_OR] = "||", [TK_ALGORITHM] = "algorithm", [TK_REPEAT] = "repeat",
    [TK_UNTIL] = "until", [TK_RETURN] = "return", [TK_TRUE] = "true",
    [TK_FALSE] = "false", [TK_INF] = "inf", [TK_NAN] = "nan", [TK_WEIGHT] = "weight",
};

/* gr_tok_spelling: "+", "return", ... ("?" for an unknown kind). */
const char *gr_tok_spelling(gr_tok k)
{
    if ((size_t)k < sizeof spelling / sizeof spelling[0] && spelling[k]) {
        return spelling[k];
    }
    return "?";
}

/* gr_tok_describe: the token as messages quote it, written into buf. */
const char *gr_tok_describe(const gr_token *t, char *buf, size_t n)
{
    switch (t->kind) {
    case TK_EOF:
        snprintf(buf, n, "end of file");
        break;
    case TK_NEWLINE:
        snprintf(buf, n, "end of line");
        break;
    default:
        /* Long names and numbers are cut: the caret shows the rest. */
        if (t->len > 40) {
            snprintf(buf, n, "'%.37s...'", t->text);
        } else {
            snprintf(buf, n, "'%.*s'", (int)t->len, t->text);
        }
        break;
    }
    return buf;
}

typedef struct lexer {
    gr_lang *L;
    const char *p;          /* next byte */
    const char *end;
    const char *line_start;
    int line;
    gr_token *toks;         /* arena array, grown by copying */
    int n, cap;
} lexer;

static gr_pos pos_at(const lexer *lx, const char *p)
{
    gr_pos pos;
    pos.line = lx->line;
    pos.col = (int)(p - lx->line_start) + 1;
    return pos;
}

static gr_token *push(lexer *lx, gr_tok kind, const char *start, size_t len)
{
    gr_token *t;
    if (lx->n == lx->cap) {
        int cap = lx->cap ? lx->cap * 2 : 256;
        gr_token *nt = gr_arena_alloc(&lx->L->arena, (size_t)cap * sizeof *nt);
        if (!nt) {
            lx->L->nomem = 1;
            return NULL;
        }
        if (lx->n) {
            memcpy(nt, lx->toks, (size_t)lx->n * sizeof *nt);
        }
        lx->toks = nt;
        lx->cap = cap;
    }
    t = &lx->toks[lx->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->pos = pos_at(lx, start);
    t->text = start;
    t->len = len;
    return t;
}

/* ASCII only, whatever the locale. */
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_name_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_name_char(int c) { return is_name_start(c) || is_digit(c); }

/* A number starting at lx->p (a digit, or '.' followed by a digit). */
static int lex_number(lexer *lx)
{
    const char *s = lx->p, *p = s, *end = lx->end;
    int is_float = 0, bad = 0;
    const char *why = NULL;
    gr_token *t;

    while (p < end && is_digit((unsigned char)*p)) {
        p++;
    }
    if (p < end && *p == '.') {
        is_float = 1;
        if (p == s) {
            why = "a decimal needs a digit before the '.'";
            bad = 1;
        }
        p++;
        if (!(p < end && is_digit((unsigned char)*p))) {
            why = "a decimal needs a digit after the '.'";
            bad = 1;
        }
        while (p < end && is_digit((unsigned char)*p)) {
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        is_float = 1;
        if (q < end && (*q == '+' || *q == '-')) {
            q++;
        }
        if (!(q < end && is_digit((unsigned char)*q))) {
            why = "the exponent has no digits";
            bad = 1;
        }
        while (q < end && is_digit((unsigned char)*q)) {
            q++;
        }
        p = q;
    }
    if (p < end && (is_name_char((unsigned char)*p) || *p == '.')) {
        why = "a number cannot run into letters or another '.'";
        bad = 1;
        while (p < end && (is_name_char((unsigned char)*p) || *p == '.')) {
            p++;
        }
    }
    t = push(lx, is_float || bad ? TK_FLOAT : TK_INT, s, (size_t)(p - s));
    if (!t) {
        return GR_ERR_NOMEM;
    }
    lx->p = p;
    if (is_float || bad) {
        /* strtod needs a terminated copy: the source need not end in NUL. */
        char buf[128];
        char *copy = buf;
        if ((size_t)(p - s) < sizeof buf) {
            memcpy(buf, s, (size_t)(p - s));
            buf[p - s] = '\0';
        } else if (!(copy = gr_arena_strndup(&lx->L->arena, s, (size_t)(p - s)))) {
            lx->L->nomem = 1;
            return GR_ERR_NOMEM;
        }
        /* A malformed number keeps the value of its longest valid prefix. */
        t->fval = strtod(copy, NULL);
        if (bad) {
            gr_lang_error(lx->L, t->pos, GR_ERR_PARSE, "malformed number '%.*s': %s",
                          (int)(t->len > 40 ? 40 : t->len), s, why);
            if (!isfinite(t->fval)) {
                t->fval = 0;
            }
        } else if (isinf(t->fval)) {
            gr_lang_error(lx->L, t->pos, GR_ERR_PARSE,
                          "number '%.*s' is too large for f64 (write inf for infinity)",
                          (int)(t->len > 40 ? 40 : t->len), s);
        }
    } else {
        /* Saturate just above 2^63: the parser allows 2^63 only negated. */
        const uint64_t top = (uint64_t)1 << 63;
        uint64_t v = 0;
        const char *q;
        for (q = s; q < p; q++) {
            unsigned d = (unsigned)(*q - '0');
            if (v > (top - d) / 10) {
                v = top + 1;
                break;
            }
            v = v * 10 + d;
        }
        t->ival = v;
        if (v > top) {
            t->flags |= GR_TOKF_OVERFLOW;
        }
    }
    return GR_OK;
}

/* Two-character operators first, then one-character ones. */
static gr_tok punct(const char *p, const char *end, int *len)
{
    char c = p[0], d = p + 1 < end ? p[1] : '\0';
    *len = 2;
    if (c == '=' && d == '=') return TK_EQ;
    if (c == '!' && d == '=') return TK_NE;
    if (c == '<' && d == '=') return TK_LE;
    if (c == '>' && d == '=') return TK_GE;
    if (c == '&' && d == '&') return TK_AND;
    if (c == '|' && d == '|') return TK_OR;
    *len = 1;
    switch (c) {
    case '(': return TK_LPAREN;
    case ')': return TK_RPAREN;
    case '{': return TK_LBRACE;
    case '}': return TK_RBRACE;
    case ',': return TK_COMMA;
    case ';': return TK_SEMI;
    case '=': return TK_ASSIGN;
    case '<': return TK_LT;
    case '>': return TK_GT;
    case '+': return TK_PLUS;
    case '-': return TK_MINUS;
    case '*': return TK_STAR;
    case '/': return TK_SLASH;
    case '%': return TK_PERCENT;
    case '!': return TK_NOT;
    default: break;
    }
    *len = 0;
    return TK_EOF;
}

/* gr_lex: L's source -> tokens in L's arena (see lang_internal.h). */
int gr_lex(gr_lang *L, gr_token **toks, int *ntoks)
{
    lexer lx;
    gr_token *t;

    memset(&lx, 0, sizeof lx);
    lx.L = L;
    lx.p = L->src;
    lx.end = L->src + L->len;
    lx.line_start = L->src;
    lx.line = 1;
    *toks = NULL;
    *ntoks = 0;

    while (lx.p < lx.end) {
        unsigned char c = (unsigned char)*lx.p;
        int len;
        gr_tok k;

        if (L->nomem) {
            return GR_ERR_NOMEM;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx.p++;
            continue;
        }
        if (c == '#') {
            while (lx.p < lx.end && *lx.p != '\n') {
                lx.p++;
            }
            continue;
        }
        if (c == '\n') {
            if (lx.n > 0 && lx.toks[lx.n - 1].kind != TK_NEWLINE &&
                !push(&lx, TK_NEWLINE, lx.p, 1)) {
                return GR_ERR_NOMEM;
            }
            lx.p++;
            lx.line++;
            lx.line_start = lx.p;
            continue;
        }
        if (is_digit(c) || (c == '.' && lx.p + 1 < lx.end && is_digit((unsigned char)lx.p[1]))) {
            if (lex_number(&lx) < 0) {
                return GR_ERR_NOMEM;
            }
            continue;
        }
        if (is_name_start(c)) {
            const char *s = lx.p;
            size_t i;
            while (lx.p < lx.end && is_name_char((unsigned char)*lx.p)) {
                lx.p++;
            }
            if (!(t = push(&lx, TK_NAME, s, (size_t)(lx.p - s)))) {
                return GR_ERR_NOMEM;
            }
            for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
                if (strlen(reserved[i].word) == t->len &&
                    memcmp(reserved[i].word, s, t->len) == 0) {
                    t->kind = reserved[i].kind;
                    if (t->kind == TK_INF) {
                        t->fval = INFINITY;
                    } else if (t->kind == TK_NAN) {
                        t->fval = NAN;
                    }
                    break;
                }
            }
            continue;
        }
        k = punct(lx.p, lx.end, &len);
        if (len > 0) {
            if (!push(&lx, k, lx.p, (size_t)len)) {
                return GR_ERR_NOMEM;
            }
            lx.p += len;
            continue;
        }
        /* Not a token: say what it is, skip it and go on. */
        if (c == '&' || c == '|') {
            /* Surely meant as && or ||: read it so. */
            gr_lang_error(L, pos_at(&lx, lx.p), GR_ERR_PARSE,
                          "unexpected '%c' (the logical operator is '%c%c')", c, c, c);
            if (!push(&lx, c == '&' ? TK_AND : TK_OR, lx.p, 1)) {
                return GR_ERR_NOMEM;
            }
            lx.p++;
            continue;
        }
        gr_lang_mark_bad_line(L, lx.line);
        if (c >= 0x80) {
            gr_pos at = pos_at(&lx, lx.p);
            gr_lang_error(L, at, GR_ERR_PARSE,
                          "unexpected non-ASCII character (byte 0x%02x); names are ASCII", c);
            while (lx.p + 1 < lx.end && ((unsigned char)lx.p[1] & 0xc0) == 0x80) {
                lx.p++;
            }
        } else if (c >= 0x20 && c < 0x7f) {
            gr_lang_error(L, pos_at(&lx, lx.p), GR_ERR_PARSE, "unexpected character '%c'", c);
        } else {
            gr_lang_error(L, pos_at(&lx, lx.p), GR_ERR_PARSE,
                          "unexpected control character (byte 0x%02x)", c);
        }
        lx.p++;
    }
    if (L->nomem) {
        return GR_ERR_NOMEM;
    }
    /* End of file: just after the last token, so "found end of file"
     * points where something is missing (1:1 in an empty file). */
    {
        gr_pos at = {1, 1};
        int i;
        for (i = lx.n - 1; i >= 0; i--) {
            if (lx.toks[i].kind != TK_NEWLINE) {
                at = lx.toks[i].pos;
                at.col += (int)lx.toks[i].len;
                break;
            }
        }
        if (!(t = push(&lx, TK_EOF, lx.end, 0))) {
            return GR_ERR_NOMEM;
        }
        t->pos = at;
    }
    *toks = lx.toks;
    *ntoks = lx.n;
    return GR_OK;
}
