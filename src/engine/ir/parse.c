/*
 * parse.c - gr_program_parse: read the printed form of ir/print.c back
 * into a program, then verify it.
 *
 * A hand-written lexer (names, %N value references with an optional
 * ".hint", numbers, punctuation; '#' starts a comment to the end of the
 * line; newlines are plain white space) feeds a recursive-descent parser
 * with one function per construct of the grammar:
 *
 *   program := "algorithm" NAME "(" [param {"," param}] ")" "{" stmt* "}"
 *   param   := NAME ":" TYPE "=" literal
 *   stmt    := defs "=" rhs | "loop" loop | "print" "(" ref ")"
 *            | "yield" [ref {"," ref}] | "return" [NAME "=" ref {"," ...}]
 *   defs    := def {"," def}          def := REF ":" TYPE
 *   rhs     := "const" literal | "param" NAME | "loop" loop
 *            | "agg" "[" DIR "," MONOID "," MSG ["," "self"] ["," "masked"] "]"
 *              "(" ref ["," ref] ")"
 *            | "fused" "[" [FOLD {"," FOLD}] ["," "epilogue"] "]" lanes body
 *            | "agg_fused" "[" DIR "," MONOID ["," "self"] ["," "masked"] "]"
 *              lanes body
 *            | OP "(" [ref {"," ref}] ")"
 *   loop    := KIND "(" key "=" val {"," ...} ")"      keys test, max, tol,
 *              ["carry" "(" def "=" ref {"," ...} ")"] body    explicit
 *   lanes   := "(" [def "=" (ref | "weight") {"," ...}] ")"
 *   body    := "{" stmt* "}"
 *
 * A fused kernel has one fold kind per value it defines; a fused
 * aggregation's lanes end with the one bound to "weight".  As with a loop,
 * a kernel's lanes are defined for its body and its results after it.
 *
 * The parser resolves names (ops, types, attributes, parameters: the
 * tables of ir/types.c) and value references: a value must be defined
 * earlier in the text, and only once.  Definitions take effect after the
 * instruction (a loop's inner values after its carry list, its results
 * after its body), so an instruction cannot read its own result.  Every
 * other rule (arity, types, loop structure, scopes) is the verifier's,
 * whose messages carry each instruction's file:line:col in the text.
 *
 * Errors are GR_ERR_PARSE at file:line:col with what was expected and
 * what was found; the first one ends the parse.  Any input is safe: value
 * ids, names, numbers and loop nesting are bounded.
 */
#include "config.h"
#include "engine/ir/ir.h"
#include "common/error.h"
#include "common/mem.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES (1 << 20) /* value ids are below this */
#define MAX_NAME 255         /* longest name */
#define MAX_NUMBER 63        /* longest number literal */
#define MAX_DEPTH 64         /* deepest loop nesting */

typedef enum tok_kind {
    T_EOF, T_NAME, T_REF, T_NUM, T_PUNCT
} tok_kind;

typedef struct token {
    tok_kind kind;
    const char *s;       /* text in the input */
    size_t len;          /* its length */
    int line, col;       /* where it starts (1-based) */
    gr_vid id;           /* T_REF: the value id */
    const char *hint;    /* T_REF: the ".hint" name, or NULL */
    size_t hintlen;
} token;

/* A value definition waiting for its instruction to end. */
typedef struct pdef {
    gr_vid id;
    gr_type type;
    const char *hint;    /* interned, or NULL */
    int line, col;
} pdef;

typedef struct parser {
    const char *pos;     /* next character */
    int line;            /* of pos */
    const char *bol;     /* start of pos's line */
    const char *file;    /* for messages (may be NULL) */
    const char *ifile;   /* the same, interned in p (locations) */
    token tok;           /* the current token */
    gr_program *p;       /* being built (owned until returned) */
    gr_error *err;
    uint8_t *defined;    /* per value: defined earlier in the text */
    int32_t *def_line, *def_col; /* where */
    int32_t info_cap;    /* entries allocated in the three arrays */
    pdef *defs;          /* pending definitions (a stack) */
    int32_t ndefs, defs_cap;
    int depth;           /* loop nesting */
} parser;

/* --- errors --------------------------------------------------------------- */

static int perr_at(parser *ps, int line, int col, const char *fmt, ...) GR_PRINTF(4, 5);

static int perr_at(parser *ps, int line, int col, const char *fmt, ...)
{
    char msg[GR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gr_err_at(ps->err, GR_ERR_PARSE, ps->file, line, col, "%s", msg);
}

static int nomem(parser *ps) { return gr_err_nomem(ps->err, "parsing a program"); }

/* A description of token t for messages: "'add'", "end of input". */
static const char *describe(const token *t, char *buf, size_t n)
{
    if (t->kind == T_EOF) {
        snprintf(buf, n, "end of input");
    } else if (t->len > 32) {
        snprintf(buf, n, "'%.32s...'", t->s);
    } else {
        snprintf(buf, n, "'%.*s'", (int)t->len, t->s);
    }
    return buf;
}

/* "expected WHAT, found TOKEN" at the current token. */
static int expected(parser *ps, const char *what)
{
    char buf[48];
    return perr_at(ps, ps->tok.line, ps->tok.col, "expected %s, found %s", what,
                   describe(&ps->tok, buf, sizeof buf));
}

/* --- lexer ---------------------------------------------------------------- */

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }

/* Move past white space and comments. */
static void skip_space(parser *ps)
{
    for (;;) {
        char c = *ps->pos;
        if (c == '\n') {
            ps->pos++;
            ps->line++;
            ps->bol = ps->pos;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            ps->pos++;
        } else if (c == '#') {
            while (*ps->pos && *ps->pos != '\n') {
                ps->pos++;
            }
        } else {
            return;
        }
    }
}

/* Length of the name starting at s (0 if none). */
static size_t name_len(const char *s)
{
    size_t n = 0;
    if (!is_alpha((unsigned char)s[0])) {
        return 0;
    }
    while (is_alnum((unsigned char)s[n])) {
        n++;
    }
    return n;
}

/* Lex a number at ps->pos: -?(inf|digits[.digits][e[+-]digits]). */
static int lex_number(parser *ps, token *t)
{
    const char *s = ps->pos;
    if (*s == '-') {
        s++;
    }
    if (strncmp(s, "inf", 3) == 0 && !is_alnum((unsigned char)s[3])) {
        s += 3;
    } else if (!is_digit((unsigned char)*s)) {
        return perr_at(ps, t->line, t->col, "expected a number after '-'");
    } else {
        while (is_digit((unsigned char)*s)) {
            s++;
        }
        if (*s == '.') {
            s++;
            if (!is_digit((unsigned char)*s)) {
                return perr_at(ps, t->line, t->col, "malformed number: expected a digit after "
                               "'.'");
            }
            while (is_digit((unsigned char)*s)) {
                s++;
            }
        }
        if (*s == 'e' || *s == 'E') {
            s++;
            if (*s == '+' || *s == '-') {
                s++;
            }
            if (!is_digit((unsigned char)*s)) {
                return perr_at(ps, t->line, t->col, "malformed number: expected digits in the "
                               "exponent");
            }
            while (is_digit((unsigned char)*s)) {
                s++;
            }
        }
    }
    if (is_alnum((unsigned char)*s) || *s == '.') {
        return perr_at(ps, t->line, t->col, "malformed number");
    }
    t->kind = T_NUM;
    t->len = (size_t)(s - ps->pos);
    if (t->len > MAX_NUMBER) {
        return perr_at(ps, t->line, t->col, "number too long");
    }
    ps->pos = s;
    return GR_OK;
}

/* Lex "%N" or "%N.hint". */
static int lex_ref(parser *ps, token *t)
{
    const char *s = ps->pos + 1;
    long long id = 0;
    if (!is_digit((unsigned char)*s)) {
        return perr_at(ps, t->line, t->col, "expected a value id after '%%'");
    }
    while (is_digit((unsigned char)*s)) {
        id = id * 10 + (*s - '0');
        if (id >= MAX_VALUES) {
            return perr_at(ps, t->line, t->col, "value id too large (at most %d)",
                           MAX_VALUES - 1);
        }
        s++;
    }
    t->kind = T_REF;
    t->id = (gr_vid)id;
    if (*s == '.') {
        size_t n = name_len(s + 1);
        if (n == 0) {
            return perr_at(ps, t->line, t->col, "expected a name after '%%%lld.'", id);
        }
        if (n > MAX_NAME) {
            return perr_at(ps, t->line, t->col, "name too long");
        }
        t->hint = s + 1;
        t->hintlen = n;
        s += 1 + n;
    }
    if (is_alnum((unsigned char)*s)) {
        return perr_at(ps, t->line, t->col, "malformed value reference");
    }
    t->len = (size_t)(s - ps->pos);
    ps->pos = s;
    return GR_OK;
}

/* Read the next token into ps->tok. */
static int next(parser *ps)
{
    token *t = &ps->tok;
    char c;
    skip_space(ps);
    memset(t, 0, sizeof *t);
    t->s = ps->pos;
    t->line = ps->line;
    t->col = (int)(ps->pos - ps->bol) + 1;
    c = *ps->pos;
    if (c == '\0') {
        t->kind = T_EOF;
        return GR_OK;
    }
    if (is_alpha((unsigned char)c)) {
        t->kind = T_NAME;
        t->len = name_len(ps->pos);
        if (t->len > MAX_NAME) {
            return perr_at(ps, t->line, t->col, "name too long");
        }
        ps->pos += t->len;
        return GR_OK;
    }
    if (c == '%') {
        return lex_ref(ps, t);
    }
    if (is_digit((unsigned char)c) || c == '-') {
        return lex_number(ps, t);
    }
    if (strchr("(){}[],:=", c)) {
        t->kind = T_PUNCT;
        t->len = 1;
        ps->pos++;
        return GR_OK;
    }
    if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) {
        return perr_at(ps, t->line, t->col, "unexpected character (byte 0x%02x)",
                       (unsigned)(unsigned char)c);
    }
    return perr_at(ps, t->line, t->col, "unexpected character '%c'", c);
}

/* --- token helpers -------------------------------------------------------- */

/* Whether the token after the current one is the punctuation c (a lexer
 * error there counts as no). */
static int peek_punct(parser *ps, char c)
{
    parser save = *ps;
    gr_error quiet;
    int yes;
    ps->err = &quiet;
    gr_error_clear(&quiet);
    yes = next(ps) == GR_OK && ps->tok.kind == T_PUNCT && ps->tok.s[0] == c;
    *ps = save;
    return yes;
}

static int is_punct(const parser *ps, char c)
{
    return ps->tok.kind == T_PUNCT && ps->tok.s[0] == c;
}

static int is_word(const parser *ps, const char *w)
{
    return ps->tok.kind == T_NAME && ps->tok.len == strlen(w) &&
           memcmp(ps->tok.s, w, ps->tok.len) == 0;
}

/* Consume punctuation c or fail. */
static int expect_punct(parser *ps, char c)
{
    char what[8];
    if (!is_punct(ps, c)) {
        snprintf(what, sizeof what, "'%c'", c);
        return expected(ps, what);
    }
    return next(ps);
}

/* Consume the word w or fail. */
static int expect_word(parser *ps, const char *w)
{
    char what[40];
    if (!is_word(ps, w)) {
        snprintf(what, sizeof what, "'%s'", w);
        return expected(ps, what);
    }
    return next(ps);
}

/* Copy the current name token into buf (MAX_NAME + 1 bytes) and consume
 * it; what describes the expected name in messages. */
static int take_name(parser *ps, char *buf, const char *what)
{
    if (ps->tok.kind != T_NAME) {
        return expected(ps, what);
    }
    memcpy(buf, ps->tok.s, ps->tok.len);
    buf[ps->tok.len] = '\0';
    return next(ps);
}

/* A name looked up with fn (a types.c lookup); -1 is an error. */
static int take_lookup(parser *ps, int (*fn)(const char *), const char *what, int *out)
{
    char name[MAX_NAME + 1];
    int line = ps->tok.line, col = ps->tok.col, rc;
    TRY(take_name(ps, name, what));
    if ((*out = fn(name)) < 0) {
        return perr_at(ps, line, col, "unknown %s '%s'", what, name);
    }
    return GR_OK;
fail:
    return rc;
}

/* The pool's copy of the n bytes at s. */
static const char *intern_n(parser *ps, const char *s, size_t n)
{
    char buf[MAX_NAME + 1];
    memcpy(buf, s, n);
    buf[n] = '\0';
    return gr_ir_intern(ps->p, buf);
}

/* --- literals ------------------------------------------------------------- */

/* A literal of type t: f64 (a number, inf, -inf or nan), i64 (an
 * integer), bool (true or false). */
static int literal(parser *ps, gr_type t, double *f, int64_t *i)
{
    char buf[MAX_NUMBER + 1];
    const token *k = &ps->tok;
    *f = 0.0;
    *i = 0;
    if (t == GR_T_BOOL) {
        if (is_word(ps, "true") || is_word(ps, "false")) {
            *i = is_word(ps, "true");
            return next(ps);
        }
        return expected(ps, "true or false");
    }
    if (t == GR_T_F64 && (is_word(ps, "inf") || is_word(ps, "nan"))) {
        *f = is_word(ps, "inf") ? INFINITY : NAN;
        return next(ps);
    }
    if (k->kind != T_NUM) {
        return expected(ps, t == GR_T_F64 ? "a number" : "an integer");
    }
    memcpy(buf, k->s, k->len);
    buf[k->len] = '\0';
    if (t == GR_T_F64) {
        *f = strcmp(buf, "-inf") == 0 ? -INFINITY : strtod(buf, NULL);
        return next(ps);
    }
    if (strpbrk(buf, ".eEi")) {
        return perr_at(ps, k->line, k->col, "expected an integer, found '%s'", buf);
    }
    errno = 0;
    *i = (int64_t)strtoll(buf, NULL, 10);
    if (errno == ERANGE) {
        return perr_at(ps, k->line, k->col, "integer %s is out of the i64 range", buf);
    }
    return next(ps);
}

/* --- values --------------------------------------------------------------- */

/* Make value id exist in the program (holes get no type). */
static int reserve_value(parser *ps, gr_vid id)
{
    gr_program *p = ps->p;
    while (p->nvalues <= id) {
        if (gr_ir_new_value(p, GR_T_NONE) < 0) {
            return nomem(ps);
        }
    }
    if (p->values_cap > ps->info_cap) {
        size_t cap = (size_t)p->values_cap, old = (size_t)ps->info_cap;
        uint8_t *d = gr_realloc(ps->defined, cap * sizeof *d);
        int32_t *l, *c;
        if (d) {
            ps->defined = d;
            memset(d + old, 0, (cap - old) * sizeof *d);
        }
        l = d ? gr_realloc(ps->def_line, cap * sizeof *l) : NULL;
        if (l) {
            ps->def_line = l;
        }
        c = l ? gr_realloc(ps->def_col, cap * sizeof *c) : NULL;
        if (!c) {
            return nomem(ps);
        }
        ps->def_col = c;
        ps->info_cap = (int32_t)cap;
    }
    return GR_OK;
}

/* Parse "%N[.hint] : TYPE" and push it as a pending definition. */
static int def(parser *ps)
{
    pdef d;
    int t, rc;
    if (ps->tok.kind != T_REF) {
        return expected(ps, "a value (%N)");
    }
    d.id = ps->tok.id;
    d.line = ps->tok.line;
    d.col = ps->tok.col;
    d.hint = NULL;
    if (ps->tok.hint && !(d.hint = intern_n(ps, ps->tok.hint, ps->tok.hintlen))) {
        return nomem(ps);
    }
    TRY(next(ps));
    TRY(expect_punct(ps, ':'));
    TRY(take_lookup(ps, gr_type_lookup, "type", &t));
    d.type = (gr_type)t;
    if (ps->ndefs == ps->defs_cap) {
        int32_t cap = ps->defs_cap ? ps->defs_cap * 2 : 8;
        pdef *a;
        if (ps->defs_cap > MAX_VALUES || !(a = gr_realloc(ps->defs, (size_t)cap * sizeof *a))) {
            return nomem(ps);
        }
        ps->defs = a;
        ps->defs_cap = cap;
    }
    ps->defs[ps->ndefs++] = d;
    return GR_OK;
fail:
    return rc;
}

/* Define the pending values from index base on, and drop them. */
static int commit(parser *ps, int32_t base)
{
    int32_t k;
    int rc;
    for (k = base; k < ps->ndefs; k++) {
        const pdef *d = &ps->defs[k];
        TRY(reserve_value(ps, d->id));
        if (ps->defined[d->id]) {
            return perr_at(ps, d->line, d->col, "duplicate definition of %%%d (first defined at "
                           "%d:%d)", (int)d->id, (int)ps->def_line[d->id],
                           (int)ps->def_col[d->id]);
        }
        ps->defined[d->id] = 1;
        ps->def_line[d->id] = d->line;
        ps->def_col[d->id] = d->col;
        ps->p->values[d->id].type = d->type;
        ps->p->values[d->id].name = d->hint;
    }
    ps->ndefs = base;
    return GR_OK;
fail:
    return rc;
}

/* A use of a value defined earlier in the text. */
static int ref(parser *ps, gr_vid *out)
{
    const token *t = &ps->tok;
    if (t->kind != T_REF) {
        return expected(ps, "a value (%N)");
    }
    if (t->hint) {
        return perr_at(ps, t->line, t->col, "a name hint (.%.*s) goes only where the value is "
                       "defined", (int)t->hintlen, t->hint);
    }
    if (t->id >= ps->p->nvalues || !ps->defined[t->id]) {
        return perr_at(ps, t->line, t->col, "undefined value %%%d", (int)t->id);
    }
    *out = t->id;
    return next(ps);
}

/* A growable list of value ids. */
typedef struct vids {
    gr_vid *a;
    int32_t n, cap;
} vids;

static int vids_push(parser *ps, vids *v, gr_vid x)
{
    if (v->n == v->cap) {
        int32_t cap = v->cap ? v->cap * 2 : 4;
        gr_vid *a;
        if (v->cap > MAX_VALUES || !(a = gr_realloc(v->a, (size_t)cap * sizeof *a))) {
            return nomem(ps);
        }
        v->a = a;
        v->cap = cap;
    }
    v->a[v->n++] = x;
    return GR_OK;
}

/* Refs separated by commas, up to (not including) `close`, appended to v. */
static int ref_list(parser *ps, vids *v, char close)
{
    gr_vid x = -1;
    int rc;
    if (is_punct(ps, close)) {
        return GR_OK;
    }
    for (;;) {
        TRY(ref(ps, &x));
        TRY(vids_push(ps, v, x));
        if (!is_punct(ps, ',')) {
            return GR_OK;
        }
        TRY(next(ps));
    }
fail:
    return rc;
}

/* --- instructions --------------------------------------------------------- */

/* Append an instruction of op at (line, col) to blk, taking v's array as
 * its operands. */
static int add_inst(parser *ps, gr_block *blk, gr_opcode op, gr_vid result, vids *v, int line,
                    int col, gr_inst **out)
{
    gr_inst *in = gr_ir_append(blk);
    if (!in) {
        return nomem(ps);
    }
    in->op = (uint16_t)op;
    in->result = result;
    in->nargs = v ? v->n : 0;
    if (v) {
        in->args = v->a;
        v->a = NULL;
        v->n = v->cap = 0;
    }
    in->loc.file = ps->ifile;
    in->loc.line = line;
    in->loc.col = col;
    if (out) {
        *out = in;
    }
    return GR_OK;
}

static int block(parser *ps, gr_block *blk);

/* The "{ ... }" body of region instruction blk->insts[index] (a loop or
 * a fused kernel), then the pending definitions from base, which exist
 * after the body.  The instruction is re-read by index: parsing the body
 * may move blk's array. */
static int region_body(parser *ps, gr_block *blk, int32_t index, int32_t base)
{
    gr_inst *in = &blk->insts[index];
    int rc;
    if (!(in->body = gr_calloc(1, sizeof *in->body))) {
        return nomem(ps);
    }
    in->body->parent = in;
    TRY(expect_punct(ps, '{'));
    ps->depth++;
    rc = block(ps, blk->insts[index].body);
    ps->depth--;
    if (rc < 0) {
        return rc;
    }
    TRY(expect_punct(ps, '}'));
    return commit(ps, base);
fail:
    return rc;
}
/* The rest of a loop after "loop": results are the pending definitions
 * from base on (the values left of "="). */
static int loop(parser *ps, gr_block *blk, int32_t base, int line, int col)
{
    vids args = {NULL, 0, 0}, inner = {NULL, 0, 0};
    gr_vid max = -1, tol = -1;
    int64_t test = -1;
    int kind, have_test = 0, expl = -1, rc;
    int32_t nres = ps->ndefs - base, k, inner_base, index;
    gr_inst *in = NULL;
    char key[MAX_NAME + 1];
    int kline, kcol;

    if (ps->depth >= MAX_DEPTH) {
        return perr_at(ps, line, col, "loops nested too deeply (at most %d)", MAX_DEPTH);
    }
    TRY(take_lookup(ps, gr_loop_lookup, "loop kind", &kind));
    TRY(expect_punct(ps, '('));
    for (;;) {
        kline = ps->tok.line;
        kcol = ps->tok.col;
        TRY(take_name(ps, key, "test, max or tol"));
        TRY(expect_punct(ps, '='));
        if (strcmp(key, "test") == 0 && !have_test && kind != GR_LOOP_REPEAT) {
            double unused;
            TRY(literal(ps, GR_T_I64, &unused, &test));
            if (test < -1 || test > INT32_MAX) {
                return perr_at(ps, kline, kcol, "test index %lld is out of range",
                               (long long)test);
            }
            have_test = 1;
        } else if (strcmp(key, "max") == 0 && max < 0) {
            TRY(ref(ps, &max));
        } else if (strcmp(key, "tol") == 0 && tol < 0 && kind == GR_LOOP_CONVERGED) {
            TRY(ref(ps, &tol));
        } else if (strcmp(key, "explicit") == 0 && expl < 0 && kind != GR_LOOP_REPEAT) {
            double unused;
            int64_t flag;
            TRY(literal(ps, GR_T_BOOL, &unused, &flag));
            expl = (int)flag;
        } else {
            return perr_at(ps, kline, kcol, "unexpected '%s=' in a %s loop (it takes %s)", key,
                           gr_loop_name((gr_loop_kind)kind),
                           kind == GR_LOOP_REPEAT ? "max= once" :
                           kind == GR_LOOP_CONVERGED ? "test=, max=, tol= and explicit= once "
                           "each" : "test=, max= and explicit= once each");
        }
        if (!is_punct(ps, ',')) {
            break;
        }
        TRY(next(ps));
    }
    if (max < 0 || (kind != GR_LOOP_REPEAT && !have_test) ||
        (kind == GR_LOOP_CONVERGED && tol < 0)) {
        return perr_at(ps, line, col, "a %s loop needs %s", gr_loop_name((gr_loop_kind)kind),
                       kind == GR_LOOP_REPEAT ? "max=" :
                       kind == GR_LOOP_CONVERGED ? "test=, max= and tol=" : "test= and max=");
    }
    TRY(expect_punct(ps, ')'));
    TRY(vids_push(ps, &args, max));
    TRY(vids_push(ps, &args, tol));

    /* carry(%inner : type = %init, ...): inner values are pending until
     * the list ends. */
    inner_base = ps->ndefs;
    if (is_word(ps, "carry")) {
        TRY(next(ps));
        TRY(expect_punct(ps, '('));
        for (;;) {
            gr_vid init;
            TRY(def(ps));
            TRY(expect_punct(ps, '='));
            TRY(ref(ps, &init));
            TRY(vids_push(ps, &args, init));
            TRY(vids_push(ps, &inner, ps->defs[ps->ndefs - 1].id));
            if (!is_punct(ps, ',')) {
                break;
            }
            TRY(next(ps));
        }
        TRY(expect_punct(ps, ')'));
    }
    if (inner.n != nres) {
        rc = perr_at(ps, line, col, "the loop defines %d value%s but carries %d", (int)nres,
                     nres == 1 ? "" : "s", (int)inner.n);
        goto fail;
    }
    TRY(commit(ps, inner_base));

    TRY(add_inst(ps, blk, GR_OP_LOOP, -1, &args, line, col, &in));
    index = blk->n - 1;
    in->attrs.loop = (uint8_t)kind;
    in->attrs.test = (int32_t)test;
    in->attrs.explicit_test = (uint8_t)(expl > 0);
    in->ncarry = nres;
    in->inner = inner.a;
    inner.a = NULL;
    if (nres > 0 && !(in->results = gr_malloc((size_t)nres * sizeof *in->results))) {
        rc = nomem(ps);
        goto fail;
    }
    for (k = 0; k < nres; k++) {
        in->results[k] = ps->defs[base + k].id;
    }
    TRY(region_body(ps, blk, index, base));
    return GR_OK;
fail:
    gr_free(args.a);
    gr_free(inner.a);
    return rc;
}

/* The optional ", self" and ", masked" closing an aggregation's
 * attribute list, and its "]". */
static int agg_flags(parser *ps, int *self, int *masked)
{
    int rc;
    *self = *masked = 0;
    while (is_punct(ps, ',')) {
        TRY(next(ps));
        if (is_word(ps, "self") && !*self && !*masked) {
            *self = 1;
        } else if (is_word(ps, "masked") && !*masked) {
            *masked = 1;
        } else {
            return expected(ps, *masked ? "']'" : *self ? "'masked'" : "'self' or 'masked'");
        }
        TRY(next(ps));
    }
    return expect_punct(ps, ']');
fail:
    return rc;
}

/* The rest of a fused kernel (op FUSED) or fused aggregation (AGG_FUSED)
 * after its op name: attributes, lanes and body.  Its results are the
 * pending definitions from base on. */
static int region(parser *ps, gr_block *blk, gr_opcode op, int32_t base, int line, int col)
{
    vids args = {NULL, 0, 0}, inner = {NULL, 0, 0};
    uint8_t *fold = NULL;
    int32_t nres = ps->ndefs - base, nfold = 0, k, lanes_base, index;
    int epilogue = 0, self = 0, masked = 0, dir = 0, mon = 0, weight = 0, rc;
    gr_inst *in = NULL;
    char name[MAX_NAME + 1];

    if (ps->depth >= MAX_DEPTH) {
        return perr_at(ps, line, col, "regions nested too deeply (at most %d)", MAX_DEPTH);
    }
    TRY(expect_punct(ps, '['));
    if (op == GR_OP_FUSED) {
        if (nres > 0 && !(fold = gr_malloc((size_t)nres * sizeof *fold))) {
            rc = nomem(ps);
            goto fail;
        }
        while (!is_punct(ps, ']')) {
            int nline = ps->tok.line, ncol = ps->tok.col, f;
            if (nfold > 0 || epilogue) {
                TRY(expect_punct(ps, ','));
                nline = ps->tok.line;
                ncol = ps->tok.col;
            }
            if (epilogue) {
                rc = expected(ps, "']'");
                goto fail;
            }
            TRY(take_name(ps, name, "a fold kind or 'epilogue'"));
            if (strcmp(name, "epilogue") == 0) {
                epilogue = 1;
            } else if ((f = gr_fold_lookup(name)) < 0) {
                rc = perr_at(ps, nline, ncol, "unknown fold kind '%s' (map, sum, min, max, "
                             "count, any or all)", name);
                goto fail;
            } else if (nfold >= nres) {
                rc = perr_at(ps, nline, ncol, "more fold kinds than the %d value%s the kernel "
                             "defines", (int)nres, nres == 1 ? "" : "s");
                goto fail;
            } else {
                fold[nfold++] = (uint8_t)f;
            }
        }
        if (nfold != nres) {
            rc = perr_at(ps, line, col, "the kernel defines %d value%s but has %d fold kind%s",
                         (int)nres, nres == 1 ? "" : "s", (int)nfold, nfold == 1 ? "" : "s");
            goto fail;
        }
        TRY(next(ps));
    } else {
        TRY(take_lookup(ps, gr_dir_lookup, "agg direction", &dir));
        TRY(expect_punct(ps, ','));
        TRY(take_lookup(ps, gr_monoid_lookup, "agg monoid", &mon));
        TRY(agg_flags(ps, &self, &masked));
    }

    /* (%lane : type = %operand, ...): the lanes are pending until the
     * list ends; a fused aggregation's last is bound to the weight. */
    lanes_base = ps->ndefs;
    TRY(expect_punct(ps, '('));
    while (!is_punct(ps, ')')) {
        if (inner.n > 0) {
            TRY(expect_punct(ps, ','));
        }
        if (weight) {
            rc = expected(ps, "')' after the weight lane");
            goto fail;
        }
        TRY(def(ps));
        TRY(expect_punct(ps, '='));
        TRY(vids_push(ps, &inner, ps->defs[ps->ndefs - 1].id));
        if (op == GR_OP_AGG_FUSED && is_word(ps, "weight")) {
            weight = 1;
            TRY(next(ps));
        } else {
            gr_vid a;
            TRY(ref(ps, &a));
            TRY(vids_push(ps, &args, a));
        }
    }
    if (op == GR_OP_AGG_FUSED && !weight) {
        rc = perr_at(ps, ps->tok.line, ps->tok.col, "a fused aggregation's lanes end with one "
                     "bound to the edge weight ('%%N : f64 = weight')");
        goto fail;
    }
    TRY(next(ps));
    TRY(commit(ps, lanes_base));

    TRY(add_inst(ps, blk, op, op == GR_OP_AGG_FUSED ? ps->defs[base].id : -1, &args, line, col,
                 &in));
    index = blk->n - 1;
    in->inner = inner.a;
    inner.a = NULL;
    if (op == GR_OP_FUSED) {
        in->ncarry = nres;
        in->fold = fold;
        fold = NULL;
        in->attrs.epilogue = (uint8_t)epilogue;
        if (nres > 0 && !(in->results = gr_malloc((size_t)nres * sizeof *in->results))) {
            rc = nomem(ps);
            goto fail;
        }
        for (k = 0; k < nres; k++) {
            in->results[k] = ps->defs[base + k].id;
        }
    } else {
        in->attrs.dir = (uint8_t)dir;
        in->attrs.monoid = (uint8_t)mon;
        in->attrs.msg = GR_MSG_X;
        in->attrs.self = (uint8_t)self;
        in->attrs.masked = (uint8_t)masked;
    }
    TRY(region_body(ps, blk, index, base));
    return GR_OK;
fail:
    gr_free(args.a);
    gr_free(inner.a);
    gr_free(fold);
    return rc;
}

/* The right-hand side of "defs =" with the pending definitions from base. */
static int rhs(parser *ps, gr_block *blk, int32_t base, int line, int col)
{
    vids args = {NULL, 0, 0};
    char name[MAX_NAME + 1];
    gr_inst *in = NULL;
    gr_vid result;
    gr_type type;
    int nline = ps->tok.line, ncol = ps->tok.col, op, rc;

    if (is_word(ps, "loop")) {
        TRY(next(ps));
        return loop(ps, blk, base, line, col);
    }
    TRY(take_name(ps, name, "an op"));
    if ((op = gr_op_lookup(name)) < 0) {
        return perr_at(ps, nline, ncol, "unknown op '%s'", name);
    }
    if (ps->ndefs - base != 1 && op != GR_OP_FUSED) {
        return perr_at(ps, line, col, "only a loop or a fused kernel defines several values");
    }
    result = ps->defs[base].id;
    type = ps->defs[base].type;
    switch (op) {
    case GR_OP_CONST:
        TRY(add_inst(ps, blk, GR_OP_CONST, result, NULL, line, col, &in));
        if (type != GR_T_F64 && type != GR_T_I64 && type != GR_T_BOOL) {
            return perr_at(ps, line, col, "a constant cannot have type %s", gr_type_name(type));
        }
        TRY(literal(ps, type, &in->attrs.f, &in->attrs.i));
        break;
    case GR_OP_PARAM: {
        int32_t k;
        nline = ps->tok.line;
        ncol = ps->tok.col;
        TRY(take_name(ps, name, "a parameter name"));
        for (k = 0; k < ps->p->nparams; k++) {
            if (strcmp(ps->p->params[k].name, name) == 0) {
                break;
            }
        }
        if (k == ps->p->nparams) {
            return perr_at(ps, nline, ncol, "unknown parameter '%s'", name);
        }
        TRY(add_inst(ps, blk, GR_OP_PARAM, result, NULL, line, col, &in));
        in->attrs.i = k;
        break;
    }
    case GR_OP_AGG: {
        int dir, mon, msg, self = 0, masked = 0;
        TRY(expect_punct(ps, '['));
        TRY(take_lookup(ps, gr_dir_lookup, "agg direction", &dir));
        TRY(expect_punct(ps, ','));
        TRY(take_lookup(ps, gr_monoid_lookup, "agg monoid", &mon));
        TRY(expect_punct(ps, ','));
        TRY(take_lookup(ps, gr_msg_lookup, "agg message", &msg));
        TRY(agg_flags(ps, &self, &masked));
        TRY(expect_punct(ps, '('));
        TRY(ref_list(ps, &args, ')'));
        TRY(expect_punct(ps, ')'));
        TRY(add_inst(ps, blk, GR_OP_AGG, result, &args, line, col, &in));
        in->attrs.dir = (uint8_t)dir;
        in->attrs.monoid = (uint8_t)mon;
        in->attrs.msg = (uint8_t)msg;
        in->attrs.self = (uint8_t)self;
        in->attrs.masked = (uint8_t)masked;
        break;
    }
    case GR_OP_FUSED:
    case GR_OP_AGG_FUSED:
        return region(ps, blk, (gr_opcode)op, base, line, col);
    case GR_OP_LOOP: case GR_OP_YIELD: case GR_OP_RETURN: case GR_OP_PRINT:
        return perr_at(ps, nline, ncol, "'%s' defines no value", name);
    default:
        TRY(expect_punct(ps, '('));
        TRY(ref_list(ps, &args, ')'));
        TRY(expect_punct(ps, ')'));
        TRY(add_inst(ps, blk, (gr_opcode)op, result, &args, line, col, NULL));
        break;
    }
    return commit(ps, base);
fail:
    gr_free(args.a);
    return rc;
}

/* "return name = %v, ...". */
static int ret(parser *ps, gr_block *blk, int line, int col)
{
    vids args = {NULL, 0, 0};
    const char **names = NULL;
    int32_t cap = 0;
    int rc;

    if (ps->p->result_names) {
        return perr_at(ps, line, col, "a second return");
    }
    while (ps->tok.kind == T_NAME && peek_punct(ps, '=')) {
        gr_vid v;
        const char *s;
        if (args.n == cap) {
            const char **a;
            cap = cap ? cap * 2 : 4;
            if (cap > MAX_VALUES || !(a = gr_realloc((void *)names, (size_t)cap * sizeof *a))) {
                rc = nomem(ps);
                goto fail;
            }
            names = a;
        }
        if (!(s = intern_n(ps, ps->tok.s, ps->tok.len))) {
            rc = nomem(ps);
            goto fail;
        }
        TRY(next(ps));
        TRY(expect_punct(ps, '='));
        TRY(ref(ps, &v));
        names[args.n] = s;
        TRY(vids_push(ps, &args, v));
        if (!is_punct(ps, ',')) {
            break;
        }
        TRY(next(ps));
        if (ps->tok.kind != T_NAME) {
            rc = expected(ps, "a result name");
            goto fail;
        }
        if (!peek_punct(ps, '=')) {
            TRY(next(ps));
            rc = expected(ps, "'='");
            goto fail;
        }
    }
    TRY(add_inst(ps, blk, GR_OP_RETURN, -1, &args, line, col, NULL));
    if (!names && !(names = gr_calloc(1, sizeof *names))) {
        return nomem(ps); /* an empty array marks "returned" */
    }
    ps->p->result_names = names;
    return GR_OK;
fail:
    gr_free(args.a);
    gr_free((void *)names);
    return rc;
}

/* One statement of blk. */
static int stmt(parser *ps, gr_block *blk)
{
    vids args = {NULL, 0, 0};
    int line = ps->tok.line, col = ps->tok.col, rc;
    int32_t base = ps->ndefs;

    if (ps->tok.kind == T_REF) {
        for (;;) {
            TRY(def(ps));
            if (!is_punct(ps, ',')) {
                break;
            }
            TRY(next(ps));
        }
        TRY(expect_punct(ps, '='));
        return rhs(ps, blk, base, line, col);
    }
    if (is_word(ps, "loop")) {
        TRY(next(ps));
        return loop(ps, blk, base, line, col);
    }
    if (is_word(ps, "print")) {
        TRY(next(ps));
        TRY(expect_punct(ps, '('));
        TRY(ref_list(ps, &args, ')'));
        TRY(expect_punct(ps, ')'));
        TRY(add_inst(ps, blk, GR_OP_PRINT, -1, &args, line, col, NULL));
        return GR_OK;
    }
    if (is_word(ps, "yield")) {
        TRY(next(ps));
        if (ps->tok.kind == T_REF) {
            TRY(ref_list(ps, &args, '}'));
        }
        TRY(add_inst(ps, blk, GR_OP_YIELD, -1, &args, line, col, NULL));
        return GR_OK;
    }
    if (is_word(ps, "return")) {
        TRY(next(ps));
        return ret(ps, blk, line, col);
    }
    return expected(ps, "an instruction");
fail:
    gr_free(args.a);
    return rc;
}

/* Statements up to a '}' (not consumed). */
static int block(parser *ps, gr_block *blk)
{
    int rc;
    while (!is_punct(ps, '}')) {
        if (ps->tok.kind == T_EOF) {
            return expected(ps, "'}'");
        }
        TRY(stmt(ps, blk));
    }
    return GR_OK;
fail:
    return rc;
}

/* "algorithm NAME(params) {" ... "}" and the end of the input. */
static int program(parser *ps)
{
    char name[MAX_NAME + 1];
    int rc;

    TRY(next(ps));
    TRY(expect_word(ps, "algorithm"));
    TRY(take_name(ps, name, "the algorithm's name"));
    if (!(ps->p = gr_ir_program_new(name)) || (ps->file && !(ps->ifile =
                                                 gr_ir_intern(ps->p, ps->file)))) {
        return nomem(ps);
    }
    TRY(expect_punct(ps, '('));
    while (!is_punct(ps, ')')) {
        gr_program *p = ps->p;
        gr_param *pa;
        int line, col, t;
        int32_t k;
        if (p->nparams > 0) {
            TRY(expect_punct(ps, ','));
        }
        line = ps->tok.line;
        col = ps->tok.col;
        TRY(take_name(ps, name, "a parameter name"));
        for (k = 0; k < p->nparams; k++) {
            if (strcmp(p->params[k].name, name) == 0) {
                return perr_at(ps, line, col, "parameter '%s' is declared twice", name);
            }
        }
        if (p->nparams >= MAX_VALUES ||
            !(pa = gr_realloc(p->params, ((size_t)p->nparams + 1) * sizeof *pa))) {
            return nomem(ps);
        }
        p->params = pa;
        pa = &p->params[p->nparams];
        memset(pa, 0, sizeof *pa);
        if (!(pa->name = gr_ir_intern(p, name))) {
            return nomem(ps);
        }
        TRY(expect_punct(ps, ':'));
        line = ps->tok.line;
        col = ps->tok.col;
        TRY(take_lookup(ps, gr_type_lookup, "type", &t));
        if (t != GR_T_F64 && t != GR_T_I64 && t != GR_T_BOOL) {
            return perr_at(ps, line, col, "a parameter has type f64, i64 or bool, not %s",
                           gr_type_name((gr_type)t));
        }
        pa->type = (gr_type)t;
        TRY(expect_punct(ps, '='));
        TRY(literal(ps, pa->type, &pa->fdefault, &pa->idefault));
        p->nparams++;
    }
    TRY(next(ps));
    TRY(expect_punct(ps, '{'));
    TRY(block(ps, &ps->p->top));
    TRY(next(ps));
    if (ps->tok.kind != T_EOF) {
        return expected(ps, "the end of the input after the program");
    }
    return GR_OK;
fail:
    return rc;
}

/* gr_program_parse: parse the printed form in text (file names it in
 * messages, may be NULL) and verify it; *out is owned by the caller.
 * GR_ERR_PARSE at file:line:col for malformed text, the verifier's errors
 * for well-formed text that breaks a rule. */
int gr_program_parse(const char *text, const char *file, gr_program **out, gr_error *err)
{
    parser ps;
    int rc;

    *out = NULL;
    if (!text) {
        return gr_err(err, GR_ERR_INVALID, "no program text");
    }
    memset(&ps, 0, sizeof ps);
    ps.pos = ps.bol = text;
    ps.line = 1;
    ps.file = file;
    ps.err = err;
    TRY(program(&ps));
    TRY(gr_program_verify(ps.p, err));
    *out = ps.p;
    ps.p = NULL;
fail:
    gr_program_free(&ps.p);
    gr_free(ps.defined);
    gr_free(ps.def_line);
    gr_free(ps.def_col);
    gr_free(ps.defs);
    return rc;
}
