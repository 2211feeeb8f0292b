/*
 * parse.c - the parser of the algorithm language: tokens -> AST
 * (gr_lang_parse), and the AST printer (gr_ast_print), the "parsed" dump.
 *
 * Recursive descent over this grammar (docs/language.md has the reference):
 *
 *   program  := 'algorithm' NAME '(' [param {',' param}] ')' block
 *   param    := NAME '=' ['-'] (INT | FLOAT | inf | nan) | NAME '=' (true | false)
 *   block    := '{' {stmt (NEWLINE | ';')} '}'
 *   stmt     := NAME '=' expr | NAME '(' args ')'
 *             | 'repeat' expr block
 *             | 'until' 'converged' '(' NAME ',' expr ')' 'max' expr block
 *             | 'until' 'unchanged' '(' NAME ')' 'max' expr block
 *             | 'return' expr {',' expr}
 *   expr     := or;  or := and {'||' and};  and := cmp {'&&' cmp}
 *   cmp      := add [('=='|'!='|'<'|'<='|'>'|'>=') add]   (no chains)
 *   add      := mul {('+'|'-') mul};  mul := unary {('*'|'/'|'%') unary}
 *   unary    := ('-'|'!') unary | primary
 *   primary  := INT | FLOAT | true | false | inf | nan | weight
 *             | NAME | NAME '(' [expr {',' expr}] ')' | '(' expr ')'
 *
 * Newlines end statements, except inside parentheses and after a binary
 * operator or a comma, where an expression plainly goes on.  A '-' written
 * right before a number is part of the literal (-5 is one constant, and
 * -9223372036854775808 is allowed).
 *
 * Errors are reported with the token found and recovered from per
 * statement: the rest of the statement is skipped (a braced body with it)
 * up to the next newline, ';' or the '}' closing the block.  Nesting is
 * bounded (MAX_DEPTH) so no input can exhaust the stack here or in the
 * later recursive walks.
 */
#include "config.h"
#include "engine/lang/lang_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256         /* nesting of parentheses, unary operators and blocks */
#define MAX_EXPR_DEPTH 1000   /* height of an expression tree */

typedef struct parser {
    gr_lang *L;
    const gr_token *t;      /* tokens, ending with TK_EOF */
    int n;
    int i;                  /* next token */
    int paren;              /* open parentheses: newlines are ignored inside */
    int depth;              /* current nesting (expressions, blocks) */
    int eof_reported;       /* "found end of file" said once is enough */
} parser;

/* Status of a parse function: the node, or NULL after an error/OOM. */

static const gr_token *peek(parser *P)
{
    while (P->paren > 0 && P->t[P->i].kind == TK_NEWLINE) {
        P->i++;
    }
    return &P->t[P->i];
}

static const gr_token *peek2(parser *P)
{
    int j;
    peek(P);
    j = P->i + 1;
    while (j < P->n - 1 && P->paren > 0 && P->t[j].kind == TK_NEWLINE) {
        j++;
    }
    return &P->t[j < P->n ? j : P->n - 1];
}

static const gr_token *advance(parser *P)
{
    const gr_token *t = peek(P);
    if (t->kind != TK_EOF) {
        P->i++;
    }
    return t;
}

static void skip_newlines(parser *P)
{
    while (P->t[P->i].kind == TK_NEWLINE) {
        P->i++;
    }
}

static int is_name(const gr_token *t, const char *s)
{
    return t->kind == TK_NAME && strlen(s) == t->len && memcmp(t->text, s, t->len) == 0;
}

static int is_reserved(gr_tok k) { return k >= TK_ALGORITHM; }

/* A syntax error, unless the lexer already complained about its line. */
static void perr(parser *P, gr_pos pos, int code, const char *fmt, ...) GR_PRINTF(4, 5);

static void perr(parser *P, gr_pos pos, int code, const char *fmt, ...)
{
    char buf[GR_ERROR_MSG_MAX];
    va_list ap;
    if (gr_lang_bad_line(P->L, pos.line)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    gr_lang_error(P->L, pos, code, "%s", buf);
}

/* "expected WHAT, found <token>" at the token. */
static void expected(parser *P, const gr_token *t, const char *what)
{
    char buf[64];
    if (t->kind == TK_EOF) {
        if (P->eof_reported) {
            return;
        }
        P->eof_reported = 1;
    }
    perr(P, t->pos, GR_ERR_PARSE, "expected %s, found %s", what,
         gr_tok_describe(t, buf, sizeof buf));
}

static char *name_of(parser *P, const gr_token *t)
{
    char *s = gr_arena_strndup(&P->L->arena, t->text, t->len);
    if (!s) {
        P->L->nomem = 1;
    }
    return s;
}

static gr_ast_expr *new_expr(parser *P, gr_ast_ekind kind, gr_pos pos)
{
    gr_ast_expr *e = gr_arena_alloc(&P->L->arena, sizeof *e);
    if (!e) {
        P->L->nomem = 1;
        return NULL;
    }
    e->kind = kind;
    e->pos = pos;
    e->depth = 0;   /* leaves; each operation above adds one */
    return e;
}

/* ---- expressions ------------------------------------------------------ */

static gr_ast_expr *parse_expr(parser *P);

/* Keep nesting bounded: every recursive step goes through enter/leave. */
static int enter(parser *P, const gr_token *at)
{
    if (P->depth >= MAX_DEPTH) {
        perr(P, at->pos, GR_ERR_PARSE,
             "nested too deeply (more than %d levels)", MAX_DEPTH);
        return 0;
    }
    P->depth++;
    return 1;
}

static void leave(parser *P) { P->depth--; }

/* Trees are built by loops as well as recursion (a + b + c + ...), so
 * their height is bounded separately: every later walk recurses over it. */
static int set_depth(parser *P, gr_ast_expr *e, int below)
{
    e->depth = below + 1;
    if (e->depth > MAX_EXPR_DEPTH) {
        perr(P, e->pos, GR_ERR_PARSE,
             "expression too deep (more than %d nested operations)", MAX_EXPR_DEPTH);
        return 0;
    }
    return 1;
}

static int max_int(int a, int b) { return a > b ? a : b; }

/* A literal number token (t is INT, FLOAT, inf or nan), negated if neg. */
static gr_ast_expr *number(parser *P, const gr_token *t, int neg, gr_pos pos)
{
    gr_ast_expr *e;
    if (t->kind == TK_INT) {
        const uint64_t top = (uint64_t)1 << 63;
        if (t->ival > top || (t->ival == top && !neg)) {
            perr(P, t->pos, GR_ERR_PARSE,
                 "integer %.*s is out of range (i64 holds -9223372036854775808 to "
                 "9223372036854775807)",
                 (int)(t->len > 40 ? 40 : t->len), t->text);
            return NULL;
        }
        if (!(e = new_expr(P, E_INT, pos))) {
            return NULL;
        }
        e->i = t->ival == top ? INT64_MIN : neg ? -(int64_t)t->ival : (int64_t)t->ival;
        return e;
    }
    if (!(e = new_expr(P, E_FLOAT, pos))) {
        return NULL;
    }
    e->f = neg ? -t->fval : t->fval;
    return e;
}

static int is_number_tok(gr_tok k)
{
    return k == TK_INT || k == TK_FLOAT || k == TK_INF || k == TK_NAN;
}

/* NAME '(' args ')', the name already read. */
static gr_ast_expr *parse_call(parser *P, const gr_token *name)
{
    gr_ast_expr *e = new_expr(P, E_CALL, name->pos), **tail, *a;
    const gr_token *open, *t;
    int below = 0;
    if (!e || !(e->name = name_of(P, name))) {
        return NULL;
    }
    open = advance(P); /* '(' */
    P->paren++;
    tail = &e->args;
    if (peek(P)->kind == TK_RPAREN) {
        advance(P);
        P->paren--;
        return e;
    }
    for (;;) {
        a = parse_expr(P);
        if (!a) {
            return NULL;
        }
        *tail = a;
        tail = &a->next;
        e->nargs++;
        t = peek(P);
        if (t->kind == TK_COMMA) {
            advance(P);
            continue;
        }
        if (t->kind == TK_RPAREN) {
            advance(P);
            P->paren--;
            for (a = e->args; a; a = a->next) {
                below = max_int(below, a->depth);
            }
            return set_depth(P, e, below) ? e : NULL;
        }
        {
            char what[96];
            snprintf(what, sizeof what, "',' or ')' in the call of %s() opened at %d:%d",
                     e->name, open->pos.line, open->pos.col);
            expected(P, t, what);
        }
        return NULL;
    }
}

static gr_ast_expr *parse_primary(parser *P)
{
    const gr_token *t = peek(P);
    gr_ast_expr *e;

    switch (t->kind) {
    case TK_INT:
    case TK_FLOAT:
    case TK_INF:
    case TK_NAN:
        advance(P);
        return number(P, t, 0, t->pos);
    case TK_TRUE:
    case TK_FALSE:
        advance(P);
        if ((e = new_expr(P, E_BOOL, t->pos))) {
            e->i = t->kind == TK_TRUE;
        }
        return e;
    case TK_WEIGHT:
        advance(P);
        return new_expr(P, E_WEIGHT, t->pos);
    case TK_NAME:
        advance(P);
        if (peek(P)->kind == TK_LPAREN) {
            return parse_call(P, t);
        }
        if ((e = new_expr(P, E_NAME, t->pos)) && !(e->name = name_of(P, t))) {
            return NULL;
        }
        return e;
    case TK_LPAREN: {
        const gr_token *close;
        advance(P);
        P->paren++;
        if (!(e = parse_expr(P))) {
            return NULL;
        }
        close = peek(P);
        if (close->kind != TK_RPAREN) {
            char what[64];
            snprintf(what, sizeof what, "')' to match the '(' at %d:%d", t->pos.line,
                     t->pos.col);
            expected(P, close, what);
            return NULL;
        }
        advance(P);
        P->paren--;
        return e;
    }
    default:
        expected(P, t, "an expression");
        return NULL;
    }
}

static gr_ast_expr *parse_unary(parser *P)
{
    const gr_token *t = peek(P);
    gr_ast_expr *e, *a;

    if (t->kind != TK_MINUS && t->kind != TK_NOT) {
        return parse_primary(P);
    }
    advance(P);
    if (t->kind == TK_MINUS && is_number_tok(peek(P)->kind)) {
        /* -5 is one literal: the value -5, at the '-'. */
        return number(P, advance(P), 1, t->pos);
    }
    if (!enter(P, t)) {
        return NULL;
    }
    a = parse_unary(P);
    leave(P);
    if (!a || !(e = new_expr(P, E_UNARY, t->pos))) {
        return NULL;
    }
    e->op = t->kind;
    e->a = a;
    return set_depth(P, e, a->depth) ? e : NULL;
}

/* Binary operator levels, lowest first. */
static int level_of(gr_tok k)
{
    switch (k) {
    case TK_OR: return 0;
    case TK_AND: return 1;
    case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE: return 2;
    case TK_PLUS: case TK_MINUS: return 3;
    case TK_STAR: case TK_SLASH: case TK_PERCENT: return 4;
    default: return -1;
    }
}

#define CMP_LEVEL 2
#define TOP_LEVEL 4

static gr_ast_expr *parse_level(parser *P, int level)
{
    gr_ast_expr *left;
    int chained = 0;

    if (level > TOP_LEVEL) {
        return parse_unary(P);
    }
    if (!(left = parse_level(P, level + 1))) {
        return NULL;
    }
    for (;;) {
        const gr_token *op = peek(P);
        gr_ast_expr *right, *e;
        if (level_of(op->kind) != level) {
            return left;
        }
        if (level == CMP_LEVEL && chained) {
            perr(P, op->pos, GR_ERR_PARSE,
                 "comparisons do not chain: write (a %s b) && (b %s c)",
                 gr_tok_spelling(left->op), gr_tok_spelling(op->kind));
            return NULL;
        }
        advance(P);
        skip_newlines(P);       /* an operator at the end of a line goes on */
        if (!(right = parse_level(P, level + 1)) || !(e = new_expr(P, E_BINARY, op->pos))) {
            return NULL;
        }
        e->op = op->kind;
        e->a = left;
        e->b = right;
        chained = 1;
        if (!set_depth(P, e, max_int(left->depth, right->depth))) {
            return NULL;
        }
        left = e;
    }
}

static gr_ast_expr *parse_expr(parser *P)
{
    const gr_token *t = peek(P);
    gr_ast_expr *e;
    if (!enter(P, t)) {
        return NULL;
    }
    e = parse_level(P, 0);
    leave(P);
    return e;
}

/* ---- statements ------------------------------------------------------- */

/* Skip the rest of a broken statement: up to a newline or ';' at this
 * level, or the '}' that closes the enclosing block (left for it). */
static void sync(parser *P)
{
    int depth = 0;
    P->paren = 0;
    for (;;) {
        gr_tok k = P->t[P->i].kind;
        if (k == TK_EOF) {
            return;
        }
        if (depth == 0 && (k == TK_NEWLINE || k == TK_SEMI)) {
            P->i++;
            return;
        }
        if (k == TK_RBRACE) {
            if (depth == 0) {
                return;
            }
            depth--;
        } else if (k == TK_LBRACE) {
            depth++;
        }
        P->i++;
    }
}

static int parse_block(parser *P, gr_ast_stmt **first, gr_pos *end);

/* 'max' count block, for until-loops. */
static int parse_loop_tail(parser *P, gr_ast_stmt *s)
{
    const gr_token *t = peek(P);
    if (!is_name(t, "max")) {
        expected(P, t, "'max' and the largest number of iterations");
        return GR_ERR_PARSE;
    }
    advance(P);
    if (!(s->count = parse_expr(P))) {
        return GR_ERR_PARSE;
    }
    return parse_block(P, &s->body, &s->body_end);
}

static int parse_until(parser *P, gr_ast_stmt *s)
{
    const gr_token *kw = peek(P), *t, *open;
    int dist;
    if (is_name(kw, "converged")) {
        s->kind = S_CONVERGED;
    } else if (is_name(kw, "unchanged")) {
        s->kind = S_UNCHANGED;
    } else {
        char buf[64];
        char *nm = kw->kind == TK_NAME ? name_of(P, kw) : NULL;
        if (nm && gr_lang_close(nm, "converged", &dist)) {
            perr(P, kw->pos, GR_ERR_PARSE,
                 "expected 'converged' or 'unchanged' after 'until', found %s "
                 "(did you mean 'converged'?)",
                 gr_tok_describe(kw, buf, sizeof buf));
        } else if (nm && gr_lang_close(nm, "unchanged", &dist)) {
            perr(P, kw->pos, GR_ERR_PARSE,
                 "expected 'converged' or 'unchanged' after 'until', found %s "
                 "(did you mean 'unchanged'?)",
                 gr_tok_describe(kw, buf, sizeof buf));
        } else {
            expected(P, kw, "'converged' or 'unchanged' after 'until'");
        }
        return GR_ERR_PARSE;
    }
    advance(P);
    open = peek(P);
    if (open->kind != TK_LPAREN) {
        expected(P, open, s->kind == S_CONVERGED ? "'(' after 'converged'"
                                                 : "'(' after 'unchanged'");
        return GR_ERR_PARSE;
    }
    advance(P);
    P->paren++;
    t = peek(P);
    if (t->kind != TK_NAME) {
        expected(P, t, "the name of the variable the loop tests");
        return GR_ERR_PARSE;
    }
    advance(P);
    s->name_pos = t->pos;
    if (!(s->name = name_of(P, t))) {
        return GR_ERR_NOMEM;
    }
    t = peek(P);
    if (s->kind == S_CONVERGED) {
        if (t->kind != TK_COMMA) {
            expected(P, t, "',' and a tolerance: until converged(x, tol)");
            return GR_ERR_PARSE;
        }
        advance(P);
        if (!(s->tol = parse_expr(P))) {
            return GR_ERR_PARSE;
        }
        t = peek(P);
    }
    if (t->kind != TK_RPAREN) {
        char what[96];
        snprintf(what, sizeof what, "')' to match the '(' at %d:%d%s", open->pos.line,
                 open->pos.col,
                 s->kind == S_UNCHANGED && t->kind == TK_COMMA ? " (unchanged takes one variable)"
                                                              : "");
        expected(P, t, what);
        return GR_ERR_PARSE;
    }
    advance(P);
    P->paren--;
    return parse_loop_tail(P, s);
}

static const char *const stmt_keywords[] = {"return", "repeat", "until", NULL};
static const char *const top_keywords[] = {"algorithm", NULL};

/* The keyword among kws that the name t looks like a misspelling of. */
static const char *close_keyword(const gr_token *t, const char *const *kws)
{
    char name[72];
    int d, i;
    if (t->kind != TK_NAME || t->len >= sizeof name) {
        return NULL;
    }
    memcpy(name, t->text, t->len);
    name[t->len] = '\0';
    for (i = 0; kws[i]; i++) {
        if (gr_lang_close(name, kws[i], &d)) {
            return kws[i];
        }
    }
    return NULL;
}

/* One statement; on error the caller syncs. */
static int parse_stmt(parser *P, gr_ast_stmt **out)
{
    const gr_token *t = peek(P), *t2;
    gr_ast_stmt *s = gr_arena_alloc(&P->L->arena, sizeof *s);
    char buf[64];

    *out = NULL;
    if (!s) {
        P->L->nomem = 1;
        return GR_ERR_NOMEM;
    }
    s->pos = t->pos;
    switch (t->kind) {
    case TK_NAME:
        t2 = peek2(P);
        if (t2->kind == TK_ASSIGN) {
            s->kind = S_ASSIGN;
            s->name_pos = t->pos;
            if (!(s->name = name_of(P, t))) {
                return GR_ERR_NOMEM;
            }
            advance(P);
            advance(P);
            skip_newlines(P);
            if (!(s->value = parse_expr(P))) {
                return GR_ERR_PARSE;
            }
            break;
        }
        if (t2->kind == TK_LPAREN) {
            s->kind = S_CALL;
            advance(P);
            if (!(s->value = parse_call(P, t))) {
                return GR_ERR_PARSE;
            }
            break;
        }
        {
            const char *kw = close_keyword(t, stmt_keywords);
            if (kw) {
                perr(P, t->pos, GR_ERR_PARSE, "expected a statement, found %s (did you mean '%s'?)",
                     gr_tok_describe(t, buf, sizeof buf), kw);
                return GR_ERR_PARSE;
            }
        }
        perr(P, t2->pos, GR_ERR_PARSE,
             "expected '=' after '%.*s' (a statement assigns a variable, "
             "loops or returns), found %s",
             (int)(t->len > 40 ? 40 : t->len), t->text,
             gr_tok_describe(t2, buf, sizeof buf));
        return GR_ERR_PARSE;
    case TK_REPEAT:
        advance(P);
        s->kind = S_REPEAT;
        if (!(s->count = parse_expr(P))) {
            return GR_ERR_PARSE;
        }
        if (parse_block(P, &s->body, &s->body_end) < 0) {
            return GR_ERR_PARSE;
        }
        break;
    case TK_UNTIL:
        advance(P);
        if (parse_until(P, s) < 0) {
            return GR_ERR_PARSE;
        }
        break;
    case TK_RETURN: {
        gr_ast_expr **tail = &s->value;
        advance(P);
        s->kind = S_RETURN;
        for (;;) {
            gr_ast_expr *e = parse_expr(P);
            if (!e) {
                return GR_ERR_PARSE;
            }
            *tail = e;
            tail = &e->next;
            s->nvalues++;
            if (peek(P)->kind != TK_COMMA) {
                break;
            }
            advance(P);
            skip_newlines(P);
        }
        break;
    }
    default:
        if (is_reserved(t->kind) && t->kind != TK_ALGORITHM && peek2(P)->kind == TK_ASSIGN) {
            perr(P, t->pos, GR_ERR_PARSE,
                 "'%s' is a reserved word and cannot be assigned",
                 gr_tok_spelling(t->kind));
        } else if (t->kind == TK_ALGORITHM) {
            perr(P, t->pos, GR_ERR_PARSE,
                 "'algorithm' inside an algorithm (one algorithm per file, "
                 "is a '}' missing?)");
        } else {
            expected(P, t, "a statement");
        }
        return GR_ERR_PARSE;
    }
    *out = s;
    return GR_OK;
}

/* '{' statements '}', appending to *first. */
static int parse_block(parser *P, gr_ast_stmt **first, gr_pos *end)
{
    const gr_token *open, *t;
    gr_ast_stmt **tail = first;
    int rc = GR_OK;

    skip_newlines(P);
    open = peek(P);
    if (open->kind != TK_LBRACE) {
        expected(P, open, "'{' to start the block");
        return GR_ERR_PARSE;
    }
    if (!enter(P, open)) {
        return GR_ERR_PARSE;
    }
    advance(P);
    for (;;) {
        gr_ast_stmt *s = NULL;
        int src, start;
        while ((t = peek(P))->kind == TK_NEWLINE || t->kind == TK_SEMI) {
            advance(P);
        }
        if (gr_lang_stopped(P->L)) {
            rc = P->L->nomem ? GR_ERR_NOMEM : GR_ERR_PARSE;
            break;
        }
        if (t->kind == TK_RBRACE) {
            *end = t->pos;
            advance(P);
            break;
        }
        if (t->kind == TK_EOF) {
            char what[64];
            snprintf(what, sizeof what, "'}' to close the '{' at %d:%d", open->pos.line,
                     open->pos.col);
            expected(P, t, what);
            rc = GR_ERR_PARSE;
            break;
        }
        start = P->i;
        src = parse_stmt(P, &s);
        if (s) {
            *tail = s;
            tail = &s->next;
        }
        if (src < 0) {
            if (P->L->nomem) {
                rc = GR_ERR_NOMEM;
                break;
            }
            sync(P);
            continue;
        }
        t = peek(P);
        if (t->kind != TK_NEWLINE && t->kind != TK_SEMI && t->kind != TK_RBRACE &&
            t->kind != TK_EOF) {
            int j;
            for (j = P->i - 1; j > start && P->t[j].kind != TK_NEWLINE; j--) {
            }
            if (j > start) {
                /* The statement went on over a line break: say why. */
                char buf[64], op[64];
                perr(P, t->pos, GR_ERR_PARSE,
                     "expected end of line or ';' after the statement, found %s (line %d ends "
                     "with %s, so line %d continues it)",
                     gr_tok_describe(t, buf, sizeof buf), P->t[j - 1].pos.line,
                     gr_tok_describe(&P->t[j - 1], op, sizeof op), P->t[j + 1].pos.line);
            } else {
                expected(P, t, "end of line or ';' after the statement");
            }
            sync(P);
        }
    }
    leave(P);
    return rc;
}

/* ---- the program ------------------------------------------------------ */

static int parse_param(parser *P, gr_ast_program *prog, gr_ast_param ***tail)
{
    const gr_token *t = peek(P), *v;
    gr_ast_param *p, *q;
    int neg = 0;
    char buf[64];

    if (t->kind != TK_NAME) {
        if (is_reserved(t->kind)) {
            perr(P, t->pos, GR_ERR_PARSE,
                 "'%s' is a reserved word and cannot name a parameter",
                 gr_tok_spelling(t->kind));
        } else {
            expected(P, t, "a parameter name");
        }
        return GR_ERR_PARSE;
    }
    advance(P);
    if (!(p = gr_arena_alloc(&P->L->arena, sizeof *p)) || !(p->name = name_of(P, t))) {
        P->L->nomem = 1;
        return GR_ERR_NOMEM;
    }
    p->pos = t->pos;
    if (peek(P)->kind != TK_ASSIGN) {
        perr(P, peek(P)->pos, GR_ERR_PARSE,
             "parameter '%s' needs a default value: write %s = <value>", p->name,
             p->name);
        return GR_ERR_PARSE;
    }
    advance(P);
    v = peek(P);
    if (v->kind == TK_MINUS) {
        neg = 1;
        advance(P);
        v = peek(P);
    }
    switch (v->kind) {
    case TK_INT:
    case TK_FLOAT:
    case TK_INF:
    case TK_NAN: {
        gr_ast_expr *e = number(P, v, neg, v->pos);
        if (!e) {
            return GR_ERR_PARSE;
        }
        p->type = e->kind == E_INT ? GR_T_I64 : GR_T_F64;
        p->i = e->i;
        p->f = e->kind == E_INT ? (double)e->i : e->f;
        break;
    }
    case TK_TRUE:
    case TK_FALSE:
        if (!neg) {
            p->type = GR_T_BOOL;
            p->i = v->kind == TK_TRUE;
            p->f = (double)p->i;
            break;
        }
        /* -true is not a literal */
        /* fall through */
    default:
        perr(P, v->pos, GR_ERR_PARSE,
             "the default of parameter '%s' must be a literal (a number, true or "
             "false), found %s",
             p->name, gr_tok_describe(v, buf, sizeof buf));
        return GR_ERR_PARSE;
    }
    advance(P);
    t = peek(P);
    if (t->kind != TK_COMMA && t->kind != TK_RPAREN) {
        perr(P, t->pos, GR_ERR_PARSE,
             "the default of parameter '%s' must be a single literal, found %s "
             "after it",
             p->name, gr_tok_describe(t, buf, sizeof buf));
        return GR_ERR_PARSE;
    }
    for (q = prog->params; q; q = q->next) {
        if (strcmp(q->name, p->name) == 0) {
            perr(P, p->pos, GR_ERR_PARSE,
                 "duplicate parameter '%s' (first declared at %d:%d)", p->name,
                 q->pos.line, q->pos.col);
            return GR_OK; /* reported; keep the first, go on */
        }
    }
    **tail = p;
    *tail = &p->next;
    prog->nparams++;
    return GR_OK;
}

/* '(' params ')'.  GR_OK, or an error already reported. */
static int parse_params(parser *P, gr_ast_program *prog)
{
    gr_ast_param **tail = &prog->params;
    const gr_token *t = peek(P);

    if (t->kind != TK_LPAREN) {
        expected(P, t, "'(' and the parameters after the algorithm's name");
        return GR_ERR_PARSE;
    }
    advance(P);
    P->paren++;
    if (peek(P)->kind == TK_RPAREN) {
        advance(P);
        P->paren--;
        return GR_OK;
    }
    for (;;) {
        if (parse_param(P, prog, &tail) < 0) {
            return GR_ERR_PARSE;
        }
        t = peek(P);
        if (t->kind == TK_RPAREN) {
            advance(P);
            P->paren--;
            return GR_OK;
        }
        advance(P); /* ',' (parse_param checked) */
    }
}

/* gr_lang_parse: tokens -> AST in L's arena (see lang_internal.h). */
gr_ast_program *gr_lang_parse(gr_lang *L, const gr_token *toks, int ntoks)
{
    parser P;
    gr_ast_program *prog;
    const gr_token *t;

    memset(&P, 0, sizeof P);
    P.L = L;
    P.t = toks;
    P.n = ntoks;
    if (!(prog = gr_arena_alloc(&L->arena, sizeof *prog))) {
        L->nomem = 1;
        return NULL;
    }
    skip_newlines(&P);
    t = peek(&P);
    if (t->kind == TK_EOF) {
        gr_lang_error(L, t->pos, GR_ERR_PARSE,
                      "empty program: expected 'algorithm NAME(PARAMS) { ... }'");
        return NULL;
    }
    if (t->kind != TK_ALGORITHM) {
        const char *kw = close_keyword(t, top_keywords);
        if (kw) {
            char buf[64];
            perr(&P, t->pos, GR_ERR_PARSE,
                 "expected 'algorithm' to start the program, found %s (did you mean '%s'?)",
                 gr_tok_describe(t, buf, sizeof buf), kw);
        } else {
            expected(&P, t, "'algorithm' to start the program");
        }
        goto skip_header;
    }
    advance(&P);
    t = peek(&P);
    if (t->kind != TK_NAME) {
        if (is_reserved(t->kind)) {
            gr_lang_error(L, t->pos, GR_ERR_PARSE,
                          "'%s' is a reserved word and cannot name an algorithm",
                          gr_tok_spelling(t->kind));
        } else {
            expected(&P, t, "the algorithm's name");
        }
        goto skip_header;
    }
    advance(&P);
    prog->pos = t->pos;
    if (!(prog->name = name_of(&P, t))) {
        return NULL;
    }
    if (parse_params(&P, prog) < 0) {
        goto skip_header;
    }
    goto body;

skip_header:
    /* A broken header: look for the body and check it anyway. */
    if (L->nomem) {
        return NULL;
    }
    P.paren = 0;
    while (P.t[P.i].kind != TK_LBRACE && P.t[P.i].kind != TK_EOF) {
        P.i++;
    }
    if (P.t[P.i].kind == TK_EOF) {
        return prog;
    }
body:
    if (parse_block(&P, &prog->body, &prog->body_end) < 0) {
        return L->nomem ? NULL : prog;
    }
    skip_newlines(&P);
    t = peek(&P);
    if (t->kind != TK_EOF) {
        char buf[64];
        gr_lang_error(L, t->pos, GR_ERR_PARSE,
                      "unexpected %s after the end of the algorithm (one algorithm per file)",
                      gr_tok_describe(t, buf, sizeof buf));
    }
    return L->nomem ? NULL : prog;
}

/* ---- the printer ------------------------------------------------------ */

/* The shortest text that reads back as the same double. */
static void put_double(gr_sb *sb, double v)
{
    char buf[40];
    int prec;
    if (isnan(v)) {
        gr_sb_puts(sb, "nan");
        return;
    }
    if (isinf(v)) {
        gr_sb_puts(sb, v < 0 ? "-inf" : "inf");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            break;
        }
    }
    /* Keep it a decimal: 1 -> 1.0 */
    if (!strpbrk(buf, ".eEn")) {
        strcat(buf, ".0");
    }
    gr_sb_puts(sb, buf);
}

/* gr_ast_print_expr: e fully parenthesized, appended to sb. */
void gr_ast_print_expr(const gr_ast_expr *e, gr_sb *sb)
{
    const gr_ast_expr *a;
    switch (e->kind) {
    case E_INT:
        gr_sb_printf(sb, "%lld", (long long)e->i);
        break;
    case E_FLOAT:
        put_double(sb, e->f);
        break;
    case E_BOOL:
        gr_sb_puts(sb, e->i ? "true" : "false");
        break;
    case E_NAME:
        gr_sb_puts(sb, e->name);
        break;
    case E_WEIGHT:
        gr_sb_puts(sb, "weight");
        break;
    case E_CALL:
        gr_sb_puts(sb, e->name);
        gr_sb_puts(sb, "(");
        for (a = e->args; a; a = a->next) {
            gr_ast_print_expr(a, sb);
            if (a->next) {
                gr_sb_puts(sb, ", ");
            }
        }
        gr_sb_puts(sb, ")");
        break;
    case E_UNARY:
        gr_sb_printf(sb, "(%s", gr_tok_spelling(e->op));
        gr_ast_print_expr(e->a, sb);
        gr_sb_puts(sb, ")");
        break;
    case E_BINARY:
        gr_sb_puts(sb, "(");
        gr_ast_print_expr(e->a, sb);
        gr_sb_printf(sb, " %s ", gr_tok_spelling(e->op));
        gr_ast_print_expr(e->b, sb);
        gr_sb_puts(sb, ")");
        break;
    }
}

static void print_block(const gr_ast_stmt *s, gr_sb *sb, int indent)
{
    const gr_ast_expr *e;
    for (; s; s = s->next) {
        gr_sb_printf(sb, "%*s", indent * 4, "");
        switch (s->kind) {
        case S_ASSIGN:
            gr_sb_printf(sb, "%s = ", s->name);
            gr_ast_print_expr(s->value, sb);
            break;
        case S_CALL:
            gr_ast_print_expr(s->value, sb);
            break;
        case S_REPEAT:
            gr_sb_puts(sb, "repeat ");
            gr_ast_print_expr(s->count, sb);
            break;
        case S_CONVERGED:
            gr_sb_printf(sb, "until converged(%s, ", s->name);
            gr_ast_print_expr(s->tol, sb);
            gr_sb_puts(sb, ") max ");
            gr_ast_print_expr(s->count, sb);
            break;
        case S_UNCHANGED:
            gr_sb_printf(sb, "until unchanged(%s) max ", s->name);
            gr_ast_print_expr(s->count, sb);
            break;
        case S_RETURN:
            gr_sb_puts(sb, "return ");
            for (e = s->value; e; e = e->next) {
                gr_ast_print_expr(e, sb);
                if (e->next) {
                    gr_sb_puts(sb, ", ");
                }
            }
            break;
        }
        if (s->kind == S_REPEAT || s->kind == S_CONVERGED || s->kind == S_UNCHANGED) {
            gr_sb_puts(sb, " {\n");
            print_block(s->body, sb, indent + 1);
            gr_sb_printf(sb, "%*s}", indent * 4, "");
        }
        gr_sb_puts(sb, "\n");
    }
}

/* gr_ast_print: the whole program, one statement per line, appended to sb. */
void gr_ast_print(const gr_ast_program *p, gr_sb *sb)
{
    const gr_ast_param *q;
    gr_sb_printf(sb, "algorithm %s(", p->name ? p->name : "?");
    for (q = p->params; q; q = q->next) {
        gr_sb_printf(sb, "%s = ", q->name);
        if (q->type == GR_T_F64) {
            put_double(sb, q->f);
        } else if (q->type == GR_T_BOOL) {
            gr_sb_puts(sb, q->i ? "true" : "false");
        } else {
            gr_sb_printf(sb, "%lld", (long long)q->i);
        }
        if (q->next) {
            gr_sb_puts(sb, ", ");
        }
    }
    gr_sb_puts(sb, ") {\n");
    print_block(p->body, sb, 1);
    gr_sb_puts(sb, "}\n");
}
