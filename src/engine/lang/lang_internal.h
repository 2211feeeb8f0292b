/*
 * lang_internal.h - the language front end inside libgr: source text of a
 * .grl file -> tokens (lexer.c) -> AST (parse.c) -> gr_builder calls
 * (lower.c) -> a verified gr_program; diagnostics are collected, sorted
 * and rendered with a caret line by diag.c; compile.c holds the public
 * entry points (gr_lang_compile, gr_lang_compile_file, gr_diags_release).
 *
 * The front end builds IR only through the public gr_builder_* API, so the
 * language and C users share one path into the IR.
 *
 * Memory: one compilation is one gr_lang.  Tokens, AST nodes, names and
 * diagnostic messages live in its arena (gr_malloc'd chunks) and die with
 * gr_lang_free, so no path through the front end can leak a node.  Out of
 * memory sets L->nomem; every phase stops at the first chance.
 */
#ifndef GR_LANG_INTERNAL_H
#define GR_LANG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "gr.h"
#include "common/error.h"

/* Errors stop at this many; one more gets "too many errors". */
#define GR_LANG_MAX_ERRORS 20

/* A 1-based source position (byte columns, as compilers count). */
typedef struct gr_pos {
    int line;
    int col;
} gr_pos;

/* ---- arena ------------------------------------------------------------ */

typedef struct gr_arena_chunk gr_arena_chunk;

typedef struct gr_arena {
    gr_arena_chunk *head;   /* newest chunk first */
    size_t used;            /* bytes used in head */
    size_t cap;             /* bytes available in head */
} gr_arena;

/* n bytes, zeroed and aligned for any object; NULL on OOM. */
void *gr_arena_alloc(gr_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n); NULL on OOM. */
char *gr_arena_strndup(gr_arena *a, const char *s, size_t n);
void gr_arena_free(gr_arena *a);

/* ---- growable string -------------------------------------------------- */

typedef struct gr_sb {
    char *s;        /* NUL-terminated text (gr_malloc'd), NULL while empty */
    size_t n;       /* length */
    size_t cap;     /* allocated bytes */
    int oom;        /* sticky: an append failed */
} gr_sb;

void gr_sb_putn(gr_sb *sb, const char *s, size_t n);
void gr_sb_puts(gr_sb *sb, const char *s);
void gr_sb_printf(gr_sb *sb, const char *fmt, ...) GR_PRINTF(2, 3);
/* Hand the text over (the caller frees it with gr_free); "" is allocated
 * when empty.  NULL (and the buffer released) when an append failed. */
char *gr_sb_take(gr_sb *sb);
void gr_sb_release(gr_sb *sb);

/* ---- one compilation -------------------------------------------------- */

typedef struct gr_ldiag gr_ldiag;

typedef struct gr_lang {
    const char *file;       /* name used in messages */
    const char *src;        /* the source text (borrowed) */
    size_t len;             /* its length in bytes (NULs allowed) */
    gr_arena arena;         /* tokens, AST, names, messages */
    gr_ldiag *diags;        /* reported errors, newest first */
    int nerr;               /* errors reported (at most GR_LANG_MAX_ERRORS) */
    int limit_hit;          /* one more error arrived after the limit */
    gr_pos limit_pos;       /* where it was */
    int nomem;              /* an allocation failed: stop */
    int bad_lines[GR_LANG_MAX_ERRORS]; /* lines where the lexer dropped a character */
    int nbad_lines;
} gr_lang;

void gr_lang_init(gr_lang *L, const char *src, size_t len, const char *file);
void gr_lang_free(gr_lang *L);
/* 1 when the front end must stop (out of memory or too many errors). */
int gr_lang_stopped(const gr_lang *L);
/* Report an error at pos (code: GR_ERR_PARSE or GR_ERR_TYPE).  Returns
 * code so callers can `return gr_lang_error(...)`. */
int gr_lang_error(gr_lang *L, gr_pos pos, int code, const char *fmt, ...)
    GR_PRINTF(4, 5);
/* The lexer dropped a bad character on `line`: the parser's complaints
 * about that line would only repeat it. */
void gr_lang_mark_bad_line(gr_lang *L, int line);
int gr_lang_bad_line(const gr_lang *L, int line);
/* Render every error, sorted by position, as "file:line:col: msg", the
 * source line and a caret line; the "too many errors" note last.  *text is
 * gr_malloc'd (NULL when there are no errors).  GR_OK or GR_ERR_NOMEM. */
int gr_lang_render(gr_lang *L, char **text, int *count);
/* The first error by position: its code, position and message. */
int gr_lang_first_error(const gr_lang *L, gr_pos *pos, const char **msg);

/* Optimal-string-alignment edit distance, capped: names longer than 64
 * bytes are "far" (returns 1000). */
int gr_lang_edit_distance(const char *a, const char *b);
/* Whether `cand` is close enough to `name` to suggest. */
int gr_lang_close(const char *name, const char *cand, int *dist);

/* ---- tokens ----------------------------------------------------------- */

typedef enum gr_tok {
    TK_EOF = 0,
    TK_NEWLINE,
    TK_NAME,
    TK_INT,
    TK_FLOAT,
    TK_LPAREN, TK_RPAREN, TK_LBRACE, TK_RBRACE, TK_COMMA, TK_SEMI,
    TK_ASSIGN,                      /* = */
    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE,
    TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT,
    TK_NOT, TK_AND, TK_OR,
    /* reserved words */
    TK_ALGORITHM, TK_REPEAT, TK_UNTIL, TK_RETURN,
    TK_TRUE, TK_FALSE, TK_INF, TK_NAN, TK_WEIGHT
} gr_tok;

/* Token flags. */
enum {
    GR_TOKF_OVERFLOW = 1u << 0  /* integer literal above 2^63 */
};

typedef struct gr_token {
    gr_tok kind;
    gr_pos pos;             /* first byte */
    const char *text;       /* into the source */
    size_t len;
    uint64_t ival;          /* TK_INT: the value (saturated at 2^63 + 1) */
    double fval;            /* TK_FLOAT: the value */
    unsigned flags;         /* GR_TOKF_* */
} gr_token;

/* Split L's source into tokens (an array in L's arena ending with TK_EOF).
 * Bad characters and malformed numbers are reported and skipped or
 * repaired, so the parser sees a well-formed token stream.  Comments are
 * dropped; runs of newlines become one TK_NEWLINE.  GR_OK or GR_ERR_NOMEM. */
int gr_lex(gr_lang *L, gr_token **toks, int *ntoks);
/* How a token is named in messages: "'foo'", "a newline", "end of file". */
const char *gr_tok_describe(const gr_token *t, char *buf, size_t n);
/* The spelling of an operator or keyword token ("+", "return"). */
const char *gr_tok_spelling(gr_tok k);

/* ---- AST -------------------------------------------------------------- */

typedef enum gr_ast_ekind {
    E_INT,          /* i: integer literal (already negated if written -5) */
    E_FLOAT,        /* f: decimal, exponent, inf, nan */
    E_BOOL,         /* i: 0 or 1 */
    E_NAME,         /* name: a variable or parameter */
    E_WEIGHT,       /* the keyword weight */
    E_CALL,         /* name(args) */
    E_UNARY,        /* op a: TK_MINUS, TK_NOT */
    E_BINARY        /* a op b */
} gr_ast_ekind;

typedef struct gr_ast_expr {
    gr_ast_ekind kind;
    gr_pos pos;                 /* the literal/name, or the operator */
    gr_tok op;                  /* E_UNARY / E_BINARY operator */
    int64_t i;                  /* E_INT, E_BOOL */
    double f;                   /* E_FLOAT */
    const char *name;           /* E_NAME, E_CALL (arena) */
    struct gr_ast_expr *a, *b;  /* operands (E_UNARY: a) */
    struct gr_ast_expr *args;   /* E_CALL: first argument, linked by next */
    int nargs;                  /* E_CALL */
    struct gr_ast_expr *next;   /* next argument / return value */
    int depth;                  /* height of this subtree (bounded by the parser) */
} gr_ast_expr;

typedef enum gr_ast_skind {
    S_ASSIGN,       /* name = value */
    S_CALL,         /* value: a call whose value is not used (print) */
    S_REPEAT,       /* repeat count { body } */
    S_CONVERGED,    /* until converged(name, tol) max count { body } */
    S_UNCHANGED,    /* until unchanged(name) max count { body } */
    S_RETURN        /* return values (linked by next) */
} gr_ast_skind;

typedef struct gr_ast_stmt {
    gr_ast_skind kind;
    gr_pos pos;                 /* first token */
    const char *name;           /* assigned / tested variable */
    gr_pos name_pos;
    gr_ast_expr *value;         /* S_ASSIGN, S_CALL; S_RETURN: first value */
    int nvalues;                /* S_RETURN */
    gr_ast_expr *count;         /* repeat count / max */
    gr_ast_expr *tol;           /* S_CONVERGED */
    struct gr_ast_stmt *body;   /* loops: first statement */
    gr_pos body_end;            /* loops: the closing '}' */
    struct gr_ast_stmt *next;
} gr_ast_stmt;

typedef struct gr_ast_param {
    const char *name;
    gr_pos pos;
    gr_type type;               /* GR_T_F64, GR_T_I64 or GR_T_BOOL */
    double f;                   /* default (f64) */
    int64_t i;                  /* default (i64, bool) */
    struct gr_ast_param *next;
} gr_ast_param;

typedef struct gr_ast_program {
    const char *name;
    gr_pos pos;                 /* the name */
    gr_ast_param *params;
    int nparams;
    gr_ast_stmt *body;
    gr_pos body_end;            /* the closing '}' */
} gr_ast_program;

/* Parse tokens into an AST (in L's arena).  Syntax errors are reported
 * and recovered from statement by statement; the result is NULL only when
 * out of memory or when not even a header was found. */
gr_ast_program *gr_lang_parse(gr_lang *L, const gr_token *toks, int ntoks);

/* Print an AST as text, expressions fully parenthesized (the "parsed"
 * dump; unit tests check precedence with it). */
void gr_ast_print(const gr_ast_program *p, gr_sb *sb);
void gr_ast_print_expr(const gr_ast_expr *e, gr_sb *sb);

/* ---- lowering --------------------------------------------------------- */

/* Lower an AST through the builder into *out (NULL on failure).  Errors go
 * to L's diagnostics; the status is GR_OK, GR_ERR_NOMEM, or the code of
 * the errors reported. */
int gr_lang_lower(gr_lang *L, const gr_ast_program *p, gr_program **out);

/* The name of builtin function i (ops of gr_ops.def by their names, then
 * the aliases such as sum), NULL past the last; aggregations are not
 * listed (they are DIR_MONOID[_self] names).  For docs and tests. */
const char *gr_lang_builtin_name(int i);

#endif
