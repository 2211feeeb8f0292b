/*
 * check_lang.c - unit tests of the language front end (engine/lang): the
 * lexer's tokens and positions, precedence and statement forms through the
 * AST printer, diagnostics (sorting, carets, the error limit, the gr_error
 * record), bounded nesting, the builtin table against gr_ops.def and
 * docs/language.md, the library algorithms (they compile, and in step mode
 * give exactly the native C results on the test graphs), compiling files,
 * allocation-failure injection, and a deterministic mutation test over the
 * library sources (run it under valgrind with CK_FORK=no; GR_MUTATIONS
 * sets the number of mutants per algorithm).
 *
 * The golden tests (check_golden, tests/golden/lang) pin the exact IR and
 * the exact diagnostics of many programs; these tests check the rest.
 */
#include "config.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "engine/ir/types.h"
#include "engine/lang/lang_internal.h"

/* ---- helpers ------------------------------------------------------------------ */

/* Compile src; the result and diagnostics go to the out-parameters. */
static int compile(const char *src, gr_program **p, gr_diags *d, gr_error *err)
{
    gr_error_clear(err);
    return gr_lang_compile(src, strlen(src), "t.grl", p, d, err);
}

/* Compile src, which must fail; returns the diagnostics text (malloc'd). */
static char *compile_fail(const char *src)
{
    gr_program *p = NULL;
    gr_diags d;
    gr_error err;
    char *text;
    int rc = compile(src, &p, &d, &err);
    ck_assert_msg(rc < 0, "compiled, but should fail:\n%s", src);
    ck_assert_ptr_null(p);
    ck_assert_int_gt(d.count, 0);
    ck_assert_ptr_nonnull(d.text);
    text = strdup(d.text);
    ck_assert_ptr_nonnull(text);
    gr_diags_release(&d);
    ck_assert_ptr_null(d.text);
    ck_assert_int_eq(d.count, 0);
    return text;
}

static void expect_error(const char *src, const char *needle)
{
    char *text = compile_fail(src);
    ck_assert_msg(strstr(text, needle) != NULL, "expected '%s' in:\n%s", needle, text);
    free(text);
}

static gr_program *compile_ok(const char *src)
{
    gr_program *p = NULL;
    gr_diags d;
    gr_error err;
    int rc = compile(src, &p, &d, &err);
    ck_assert_msg(rc == GR_OK, "does not compile:\n%s\n%s", src, d.text ? d.text : err.msg);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Lex src into kinds[] (at most max); returns the count. */
static int lex_kinds(const char *src, gr_tok *kinds, int max, gr_token **toks_out, gr_lang *L)
{
    gr_token *toks = NULL;
    int n = 0, i;
    gr_lang_init(L, src, strlen(src), "t.grl");
    ck_assert_int_eq(gr_lex(L, &toks, &n), GR_OK);
    for (i = 0; i < n && i < max; i++) {
        kinds[i] = toks[i].kind;
    }
    if (toks_out) {
        *toks_out = toks;
    }
    return n;
}

/* ---- lexer ---------------------------------------------------------------------- */

START_TEST(test_lex_tokens)
{
    static const gr_tok want[] = {
        TK_ALGORITHM, TK_NAME, TK_LPAREN, TK_NAME, TK_ASSIGN, TK_MINUS, TK_FLOAT, TK_RPAREN,
        TK_LBRACE, TK_NAME, TK_ASSIGN, TK_NAME, TK_GE, TK_INT, TK_AND, TK_NOT, TK_NAME, TK_OR,
        TK_NAME, TK_NE, TK_INT, TK_PERCENT, TK_INT, TK_SEMI, TK_NAME, TK_EQ, TK_LT, TK_LE,
        TK_GT, TK_PLUS, TK_STAR, TK_SLASH, TK_COMMA, TK_WEIGHT, TK_TRUE, TK_FALSE, TK_INF,
        TK_NAN, TK_REPEAT, TK_UNTIL, TK_RETURN, TK_NEWLINE, TK_RBRACE, TK_EOF};
    gr_tok got[64];
    gr_lang L;
    int n = lex_kinds("algorithm f(x = -1.5e3) { y = x >= 2 && !z || w != 3 % 4; "
                      "max == < <= > + * / , weight true false inf nan repeat until return\n}",
                      got, 64, NULL, &L);
    int i;
    ck_assert_int_eq(L.nerr, 0);
    ck_assert_int_eq(n, (int)(sizeof want / sizeof want[0]));
    for (i = 0; i < n; i++) {
        ck_assert_msg(got[i] == want[i], "token %d: %d, expected %d", i, got[i], want[i]);
    }
    gr_lang_free(&L);
}
END_TEST

START_TEST(test_lex_newlines_comments)
{
    static const gr_tok want[] = {TK_NAME, TK_ASSIGN, TK_INT, TK_NEWLINE, TK_NAME, TK_EOF};
    gr_tok got[16];
    gr_lang L;
    int n = lex_kinds("\n\n# comment\r\nx = 1 # tail\n\n  \n# more\ny", got, 16, NULL, &L);
    int i;
    ck_assert_int_eq(L.nerr, 0);
    ck_assert_int_eq(n, 6);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(got[i], want[i]);
    }
    gr_lang_free(&L);
}
END_TEST

START_TEST(test_lex_positions)
{
    gr_tok got[16];
    gr_token *t;
    gr_lang L;
    int n = lex_kinds("a\n\tbb  = 12\n", got, 16, &t, &L);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(t[0].pos.line, 1);
    ck_assert_int_eq(t[0].pos.col, 1);
    ck_assert_int_eq(t[2].pos.line, 2);
    ck_assert_int_eq(t[2].pos.col, 2); /* a tab is one byte: one column */
    ck_assert_int_eq((int)t[2].len, 2);
    ck_assert_int_eq(t[3].pos.col, 6);
    ck_assert_int_eq(t[4].pos.col, 8);
    /* End of file: just after the last token, not on the empty last line. */
    ck_assert_int_eq(t[5].kind, TK_NEWLINE);
    ck_assert_int_eq(t[6].kind, TK_EOF);
    ck_assert_int_eq(t[6].pos.line, 2);
    ck_assert_int_eq(t[6].pos.col, 10);
    gr_lang_free(&L);

    n = lex_kinds("", got, 16, &t, &L);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(t[0].pos.line, 1);
    ck_assert_int_eq(t[0].pos.col, 1);
    gr_lang_free(&L);
}
END_TEST

START_TEST(test_lex_numbers)
{
    gr_tok got[16];
    gr_token *t;
    gr_lang L;
    int n = lex_kinds("0 42 9223372036854775807 9223372036854775808 99999999999999999999 "
                      "1.5 2e3 1E-2 0.5e+1 inf",
                      got, 16, &t, &L);
    ck_assert_int_eq(n, 11);
    ck_assert_int_eq(L.nerr, 0);
    ck_assert(t[0].kind == TK_INT && t[0].ival == 0);
    ck_assert(t[1].kind == TK_INT && t[1].ival == 42);
    ck_assert(t[2].kind == TK_INT && t[2].ival == (uint64_t)INT64_MAX && !t[2].flags);
    /* 2^63 lexes fine: only the parser knows whether a '-' makes it fit. */
    ck_assert(t[3].kind == TK_INT && t[3].ival == (uint64_t)1 << 63 && !t[3].flags);
    ck_assert(t[4].kind == TK_INT && (t[4].flags & GR_TOKF_OVERFLOW));
    ck_assert(t[5].kind == TK_FLOAT && t[5].fval == 1.5);
    ck_assert(t[6].kind == TK_FLOAT && t[6].fval == 2000.0);
    ck_assert(t[7].kind == TK_FLOAT && t[7].fval == 0.01);
    ck_assert(t[8].kind == TK_FLOAT && t[8].fval == 5.0);
    ck_assert(t[9].kind == TK_INF && isinf(t[9].fval));
    gr_lang_free(&L);
}
END_TEST

START_TEST(test_lex_repairs)
{
    gr_tok got[16];
    gr_lang L;
    /* One message per mistake; the token stream stays usable. */
    int n = lex_kinds("a & b @ 1. .5", got, 16, NULL, &L);
    ck_assert_int_eq(n, 6);
    ck_assert_int_eq(got[1], TK_AND);
    ck_assert_int_eq(got[3], TK_FLOAT);
    ck_assert_int_eq(got[4], TK_FLOAT);
    ck_assert_int_eq(L.nerr, 4);
    gr_lang_free(&L);
}
END_TEST

/* A source that is not NUL-terminated is read within its length only
 * (valgrind and ASan check the bounds). */
START_TEST(test_lex_exact_buffer)
{
    static const char *srcs[] = {"algorithm f() { return 1.5", "algorithm f() { return 12",
                                 "algorithm f() { return 1e", "algorithm f() { return x #",
                                 "algorithm f() { return 1.", "&", "9"};
    size_t i;
    for (i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
        size_t len = strlen(srcs[i]);
        char *buf = malloc(len);
        gr_program *p = NULL;
        gr_diags d;
        gr_error err;
        ck_assert_ptr_nonnull(buf);
        memcpy(buf, srcs[i], len);
        gr_error_clear(&err);
        ck_assert_int_lt(gr_lang_compile(buf, len, "t.grl", &p, &d, &err), 0);
        ck_assert_int_gt(d.count, 0);
        gr_diags_release(&d);
        free(buf);
    }
}
END_TEST

/* ---- parser ---------------------------------------------------------------------- */

static const struct {
    const char *src;
    const char *ast;
} prec_cases[] = {
    {"a + b * c", "(a + (b * c))"},
    {"a * b + c", "((a * b) + c)"},
    {"a - b - c", "((a - b) - c)"},
    {"a / b * c % d", "(((a / b) * c) % d)"},
    {"a || b && c", "(a || (b && c))"},
    {"a && b || c && d", "((a && b) || (c && d))"},
    {"a == b && c != d || e", "(((a == b) && (c != d)) || e)"},
    {"a < b + 1", "(a < (b + 1))"},
    {"a + 1 >= b * 2", "((a + 1) >= (b * 2))"},
    {"-a * b", "((-a) * b)"},
    {"!a == b", "((!a) == b)"},
    {"!!a", "(!(!a))"},
    {"- -a", "(-(-a))"},
    {"-5 * x", "(-5 * x)"},
    {"2 - -3", "(2 - -3)"},
    {"-(5)", "(-5)"},
    {"-2.5e3", "-2.5e+03"},
    {"-inf", "-inf"},
    {"(a + b) * c", "((a + b) * c)"},
    {"f(a, b + c)(", NULL},
    {"pull_sum(rank * inv) + x", "(pull_sum((rank * inv)) + x)"},
    {"min(a, b) < max(c)", "(min(a, b) < max(c))"},
    {"node_count()", "node_count()"},
    {"(a < b) < c", "((a < b) < c)"},
    {"true && false", "(true && false)"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"a +\n b", "(a + b)"},
    {"f(a,\n b)", "f(a, b)"},
};

START_TEST(test_precedence)
{
    char src[256];
    gr_token *toks;
    gr_ast_program *ast;
    gr_lang L;
    gr_sb sb = {0};
    int n;
    snprintf(src, sizeof src, "algorithm t() {\n x = %s\n return x\n}\n", prec_cases[_i].src);
    gr_lang_init(&L, src, strlen(src), "t.grl");
    ck_assert_int_eq(gr_lex(&L, &toks, &n), GR_OK);
    ast = gr_lang_parse(&L, toks, n);
    if (!prec_cases[_i].ast) {
        ck_assert_int_gt(L.nerr, 0);
        gr_lang_free(&L);
        return;
    }
    ck_assert_msg(L.nerr == 0, "'%s' does not parse", prec_cases[_i].src);
    ck_assert_ptr_nonnull(ast);
    ck_assert_int_eq(ast->body->kind, S_ASSIGN);
    gr_ast_print_expr(ast->body->value, &sb);
    ck_assert_msg(!sb.oom && strcmp(sb.s, prec_cases[_i].ast) == 0, "'%s' parsed as %s, not %s",
                  prec_cases[_i].src, sb.s, prec_cases[_i].ast);
    gr_sb_release(&sb);
    gr_lang_free(&L);
}
END_TEST

/* The parsed form of a whole program: statements, loops, separators. */
START_TEST(test_parse_print)
{
    static const char *src =
        "# a comment\n"
        "algorithm demo(damping = 0.85, n = -3, on = true, big = 1e300) {\n"
        "    x = 1; y = x +\n"
        "        2\n"
        "    repeat n { x = x + 1 }\n"
        "    until converged(x, 1e-6) max 10 {\n"
        "        until unchanged(y) max y { y = y - 1; print(y) }\n"
        "    }\n"
        "    return x, y * 2\n"
        "}\n";
    static const char *want =
        "algorithm demo(damping = 0.85, n = -3, on = true, big = 1e+300) {\n"
        "    x = 1\n"
        "    y = (x + 2)\n"
        "    repeat n {\n"
        "        x = (x + 1)\n"
        "    }\n"
        "    until converged(x, 1e-06) max 10 {\n"
        "        until unchanged(y) max y {\n"
        "            y = (y - 1)\n"
        "            print(y)\n"
        "        }\n"
        "    }\n"
        "    return x, (y * 2)\n"
        "}\n";
    gr_token *toks;
    gr_ast_program *ast;
    gr_lang L;
    gr_sb sb = {0};
    int n;
    gr_lang_init(&L, src, strlen(src), "t.grl");
    ck_assert_int_eq(gr_lex(&L, &toks, &n), GR_OK);
    ast = gr_lang_parse(&L, toks, n);
    ck_assert_int_eq(L.nerr, 0);
    ck_assert_ptr_nonnull(ast);
    ck_assert_int_eq(ast->nparams, 4);
    ck_assert_int_eq(ast->params->type, GR_T_F64);
    ck_assert_int_eq(ast->params->next->type, GR_T_I64);
    ck_assert_int_eq(ast->params->next->i, -3);
    ck_assert_int_eq(ast->params->next->next->type, GR_T_BOOL);
    gr_ast_print(ast, &sb);
    ck_assert_msg(strcmp(sb.s, want) == 0, "printed:\n%s", sb.s);
    gr_sb_release(&sb);
    gr_lang_free(&L);
}
END_TEST

/* Deep nesting is an error, never a stack overflow. */
START_TEST(test_nesting_bounded)
{
    static const char *shapes[][3] = {
        {"(", "1", ")"},   /* parentheses */
        {"-", "1", ""},    /* unary chains */
        {"!", "true", ""},
        {"f(", "1", ")"},  /* calls */
    };
    size_t s;
    int depth;
    for (s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (depth = 100; depth <= 100000; depth *= 10) {
            size_t len = 64 + (size_t)depth * 4;
            char *src = malloc(len), *p;
            int i;
            ck_assert_ptr_nonnull(src);
            p = src + sprintf(src, "algorithm f() {\n x = ");
            for (i = 0; i < depth; i++) {
                p += sprintf(p, "%s", shapes[s][0]);
            }
            p += sprintf(p, "%s", shapes[s][1]);
            for (i = 0; i < depth; i++) {
                p += sprintf(p, "%s", shapes[s][2]);
            }
            sprintf(p, "\n return x\n}\n");
            if (depth > 256) {
                char *text = compile_fail(src);
                ck_assert_msg(strstr(text, "nested too deeply"), "%s", text);
                free(text);
            } else if (s != 3) {
                gr_program *q = compile_ok(src);
                gr_program_free(&q);
            }
            free(src);
        }
    }
    /* Long operator chains (built by a loop, not recursion). */
    for (depth = 10; depth <= 100000; depth *= 10) {
        char *src = malloc(64 + (size_t)depth * 4), *p;
        int i;
        ck_assert_ptr_nonnull(src);
        p = src + sprintf(src, "algorithm f() {\n x = 1");
        for (i = 0; i < depth; i++) {
            p += sprintf(p, " + 1");
        }
        sprintf(p, "\n return x\n}\n");
        if (depth > 1000) {
            char *text = compile_fail(src);
            ck_assert_msg(strstr(text, "expression too deep"), "%s", text);
            free(text);
        } else {
            gr_program *q = compile_ok(src);
            gr_program_free(&q);
        }
        free(src);
    }
    /* Nested loops. */
    {
        char *src = malloc(400 * 32), *p;
        int i;
        ck_assert_ptr_nonnull(src);
        p = src + sprintf(src, "algorithm f() {\n x = 1\n");
        for (i = 0; i < 300; i++) {
            p += sprintf(p, "repeat 1 {\n");
        }
        p += sprintf(p, "x = x + 1\n");
        for (i = 0; i < 300; i++) {
            p += sprintf(p, "}\n");
        }
        sprintf(p, "return x\n}\n");
        expect_error(src, "nested too deeply");
        free(src);
    }
}
END_TEST

/* ---- diagnostics ------------------------------------------------------------------- */

START_TEST(test_edit_distance)
{
    int d = -1;
    ck_assert_int_eq(gr_lang_edit_distance("rank", "rank"), 0);
    ck_assert_int_eq(gr_lang_edit_distance("rank", "rnak"), 1);   /* a swap is one edit */
    ck_assert_int_eq(gr_lang_edit_distance("", "abc"), 3);
    ck_assert_int_eq(gr_lang_edit_distance("kitten", "sitting"), 3);
    ck_assert_int_eq(gr_lang_edit_distance("damping", "dmaping"), 1);
    ck_assert_int_eq(gr_lang_edit_distance("pul_sum", "pull_sum"), 1);
    ck_assert_int_ge(gr_lang_edit_distance("a", "bcdefghij"), 9);
    {
        char long_name[100];
        memset(long_name, 'a', 99);
        long_name[99] = '\0';
        ck_assert_int_eq(gr_lang_edit_distance(long_name, "a"), 1000);
    }
    ck_assert(gr_lang_close("rnak", "rank", &d) && d == 1);
    ck_assert(!gr_lang_close("x", "y", &d));        /* one letter: never "close" */
    ck_assert(!gr_lang_close("ab", "xy", &d));
    ck_assert(!gr_lang_close("rank", "rank", &d));  /* the same name is no suggestion */
    ck_assert(gr_lang_close("nodecount", "node_count", &d) && d == 1);
    ck_assert(!gr_lang_close("frobnicate", "count", &d));
}
END_TEST

START_TEST(test_diag_record)
{
    gr_program *p = NULL;
    gr_diags d;
    gr_error err;
    const char *src = "algorithm f() {\n    x = rank + 1\n    y = true + 1\n    return x\n}\n";
    ck_assert_int_lt(compile(src, &p, &d, &err), 0);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(d.count, 2);
    /* err holds the first diagnostic: its file, position and message. */
    ck_assert_int_eq(err.code, GR_ERR_PARSE);
    ck_assert_str_eq(err.file, "t.grl");
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.col, 9);
    ck_assert_str_eq(err.msg, "unknown variable 'rank'");
    ck_assert_str_eq(d.text, "t.grl:2:9: unknown variable 'rank'\n"
                             "    x = rank + 1\n"
                             "        ^\n"
                             "t.grl:3:14: operand 1 of '+' is a bool; use to_i64() or to_f64()\n"
                             "    y = true + 1\n"
                             "             ^\n");
    gr_diags_release(&d);
    gr_diags_release(&d); /* twice is fine */
    gr_diags_release(NULL);

    /* A type error first: GR_ERR_TYPE. */
    ck_assert_int_eq(compile("algorithm f() {\n x = true + 1\n return x\n}\n", &p, NULL, &err),
                     GR_ERR_TYPE);
    ck_assert_int_eq(err.code, GR_ERR_TYPE);
    /* d and err may be NULL. */
    ck_assert_int_lt(gr_lang_compile("x", 1, NULL, &p, NULL, NULL), 0);
    ck_assert_ptr_null(p);
}
END_TEST

/* Errors found in any order come out sorted by position. */
START_TEST(test_diag_sorted)
{
    const char *src = "algorithm f(a = 1) {\n"
                      "    x = a + true\n"
                      "    repeat 2 { t = 1 }\n"
                      "    y = t\n"
                      "    z = qq\n"
                      "}\n";
    char *text = compile_fail(src), *p = text;
    int last_line = 0, last_col = 0, n = 0;
    while ((p = strstr(p, "t.grl:"))) {
        int line, col;
        ck_assert_int_eq(sscanf(p, "t.grl:%d:%d:", &line, &col), 2);
        ck_assert(line > last_line || (line == last_line && col > last_col));
        last_line = line;
        last_col = col;
        n++;
        p++;
    }
    ck_assert_int_eq(n, 4); /* the missing return, at the end, was found first */
    ck_assert(strstr(text, "t.grl:6:1: missing 'return'"));
    free(text);
}
END_TEST

/* Carets line up under tabs and after multi-byte characters. */
START_TEST(test_diag_caret)
{
    char *text = compile_fail("algorithm f() {\n    x = \xc3\xa9 + \xc3\xa9\n}\n");
    /* Two bytes of é take one column on screen. */
    ck_assert_msg(strstr(text, "t.grl:2:14: unexpected non-ASCII character (byte 0xc3)"
                               "; names are ASCII\n    x = \xc3\xa9 + \xc3\xa9\n"
                               "            ^\n"),
                  "%s", text);
    free(text);
    text = compile_fail("algorithm f() {\n\t \tx = true + 1\n return x\n}\n");
    ck_assert_msg(strstr(text, "\t \tx = true + 1\n\t \t         ^\n"), "%s", text);
    free(text);
    /* Control bytes in the echoed line are shown as '?'. */
    {
        static const char src[] = "algorithm f() {\n x = 1\x01\x00 \n}";
        gr_program *p = NULL;
        gr_diags d;
        gr_error err;
        gr_error_clear(&err);
        ck_assert_int_lt(gr_lang_compile(src, sizeof src - 1, "t.grl", &p, &d, &err), 0);
        ck_assert_msg(strstr(d.text, "t.grl:2:7: unexpected control character (byte 0x01)\n"
                                     " x = 1?? \n      ^\n"),
                      "%s", d.text);
        gr_diags_release(&d);
    }
}
END_TEST

START_TEST(test_too_many_errors)
{
    char src[4096], *p = src, *text;
    int i;
    gr_program *prog = NULL;
    gr_diags d;
    gr_error err;
    p += sprintf(p, "algorithm f() {\n");
    for (i = 0; i < 30; i++) {
        p += sprintf(p, "    x%d = y%d\n", i, i);
    }
    sprintf(p, "    return 1\n}\n");
    ck_assert_int_lt(compile(src, &prog, &d, &err), 0);
    ck_assert_int_eq(d.count, GR_LANG_MAX_ERRORS);
    text = d.text;
    ck_assert_msg(strstr(text, "t.grl:22:11: too many errors (20), stopping here\n"), "%s", text);
    ck_assert_ptr_null(strstr(text, "y20'"));
    gr_diags_release(&d);

    /* Syntax errors stop at the limit too. */
    p = src + sprintf(src, "algorithm f() {\n");
    for (i = 0; i < 40; i++) {
        p += sprintf(p, "    x%d = )\n", i);
    }
    sprintf(p, "}\n");
    ck_assert_int_lt(compile(src, &prog, &d, &err), 0);
    ck_assert_int_eq(d.count, GR_LANG_MAX_ERRORS);
    ck_assert(strstr(d.text, "too many errors"));
    gr_diags_release(&d);
}
END_TEST

START_TEST(test_suggestions)
{
    expect_error("algorithm f(damping = 0.85) {\n x = dampng\n return x\n}\n",
                 "unknown variable 'dampng' (did you mean 'damping'?)");
    expect_error("algorithm f() {\n x = pull_smu(fill(1))\n return x\n}\n",
                 "unknown function 'pull_smu' (did you mean pull_sum()?)");
    expect_error("algorithm f() {\n x = nbr_mode_slef(node_id())\n return x\n}\n",
                 "(did you mean nbr_mode_self()?)");
    expect_error("algorithm f() {\n x = scater_min(1, 2, 3)\n return x\n}\n",
                 "(did you mean scatter_min()?)");
    expect_error("algorithm f() {\n x = edgecount\n return x\n}\n",
                 "unknown variable 'edgecount' (did you mean edge_count()?)");
    /* Variables first, at the same distance. */
    expect_error("algorithm f() {\n degre = 1\n x = degee\n return x\n}\n",
                 "(did you mean 'degre'?)");
    /* A name only inside a loop is not suggested after it. */
    expect_error("algorithm f() {\n repeat 1 { rank = 1 }\n x = rnak\n return x\n}\n",
                 "unknown variable 'rnak'\n");
}
END_TEST

/* ---- builtins --------------------------------------------------------------------- */

/* The builtin table is gr_ops.def's: every op but control, const, param
 * and agg, plus the aliases. */
START_TEST(test_builtin_table)
{
    int op, i, nops = 0;
    const char *name;
    for (op = 0; op < GR_OP__COUNT; op++) {
        const gr_opinfo *in = gr_op_info(op);
        int builtin = in->nargs >= 0 && !(in->flags & (GR_F_CTRL | GR_F_AGG)) &&
                      in->sig != GR_SIG_CONST && in->sig != GR_SIG_PARAM;
        int listed = 0;
        for (i = 0; (name = gr_lang_builtin_name(i)); i++) {
            listed |= strcmp(name, in->name) == 0;
        }
        ck_assert_msg(listed == builtin, "op %s: builtin %d, listed %d", in->name, builtin, listed);
        nops += builtin;
    }
    for (i = 0; (name = gr_lang_builtin_name(i)); i++) {
        char src[256], want[128], *text;
        if (i >= nops) {
            /* an alias: a reduction under a short name */
            ck_assert(strcmp(name, "sum") == 0 || strcmp(name, "mean") == 0 ||
                      strcmp(name, "min") == 0 || strcmp(name, "max") == 0);
        }
        /* Five arguments suit no builtin: the arity error names it. */
        snprintf(src, sizeof src, "algorithm f() {\n x = %s(1, 2, 3, 4, 5)\n return x\n}\n",
                 name);
        snprintf(want, sizeof want, "%s() takes ", name);
        text = compile_fail(src);
        ck_assert_msg(strstr(text, want) && strstr(text, "(5 given)"), "%s", text);
        free(text);
    }
    ck_assert_int_eq(i, nops + 4);
    ck_assert_ptr_null(gr_lang_builtin_name(-1));
}
END_TEST

/* Every aggregation name compiles to the direction, monoid and self flag
 * it spells. */
START_TEST(test_agg_names)
{
    static const char *dirs[] = {"pull", "in", "out", "nbr"};
    static const char *dir_ir[] = {"in", "in", "out", "both"};
    int d, m, s;
    for (d = 0; d < 4; d++) {
        for (m = 0; m <= (int)GR_MON_MODE; m++) {
            for (s = 0; s < 2; s++) {
                const char *mon = gr_monoid_name((gr_monoid)m);
                const char *arg = m == GR_MON_COUNT || m == GR_MON_ANY ? "node_id() > 1"
                                  : m == GR_MON_MODE                  ? "node_id()"
                                                                      : "fill(1.5)";
                char src[256], want[64], *text = NULL;
                gr_program *p;
                gr_error err;
                snprintf(src, sizeof src, "algorithm f() {\n x = %s_%s%s(%s)\n return x\n}\n",
                         dirs[d], mon, s ? "_self" : "", arg);
                p = compile_ok(src);
                gr_error_clear(&err);
                ck_assert_int_eq(gr_program_print(p, &text, &err), GR_OK);
                snprintf(want, sizeof want, "agg[%s, %s, x%s]", dir_ir[d], mon, s ? ", self" : "");
                ck_assert_msg(strstr(text, want), "%s:\n%s", src, text);
                gr_free_string(&text);
                gr_program_free(&p);
            }
        }
    }
    /* Not aggregations: unknown functions. */
    expect_error("algorithm f() {\n x = up_sum(fill(1))\n return x\n}\n",
                 "unknown function 'up_sum'");
    expect_error("algorithm f() {\n x = pull_sum_selfish(fill(1))\n return x\n}\n",
                 "unknown function 'pull_sum_selfish'");
    expect_error("algorithm f() {\n x = pull_(fill(1))\n return x\n}\n",
                 "unknown function 'pull_'");
    expect_error("algorithm f() {\n x = pull__self(fill(1))\n return x\n}\n",
                 "unknown function 'pull__self'");
}
END_TEST

/* docs/language.md documents every op a program can contain (its doc
 * line from gr_ops.def, verbatim), every builtin and every aggregation
 * word. */
START_TEST(test_docs_cover_builtins)
{
    char path[1024], *doc, needle[600];
    FILE *f;
    long len;
    int op, i, m;
    const char *name;
    static const char *dirs[] = {"pull", "in", "out", "nbr"};

    snprintf(path, sizeof path, "%s/docs/language.md", GR_SRCDIR);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    rewind(f);
    doc = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq((long)fread(doc, 1, (size_t)len, f), len);
    doc[len] = '\0';
    fclose(f);
    for (op = 0; op < GR_OP__COUNT; op++) {
        const gr_opinfo *in = gr_op_info(op);
        /* Ops a program in the language can contain: all but the
         * optimizer's kernels (variable arity without being control). */
        if (in->nargs < 0 && !(in->flags & GR_F_CTRL)) {
            continue;
        }
        ck_assert_msg(strstr(doc, in->doc), "docs/language.md lacks the doc of %s: %s", in->name,
                      in->doc);
    }
    for (i = 0; (name = gr_lang_builtin_name(i)); i++) {
        snprintf(needle, sizeof needle, "`%s(", name);
        ck_assert_msg(strstr(doc, needle), "docs/language.md lacks %s", needle);
    }
    for (m = 0; m <= (int)GR_MON_MODE; m++) {
        snprintf(needle, sizeof needle, "`%s`", gr_monoid_name((gr_monoid)m));
        ck_assert_msg(strstr(doc, needle), "docs/language.md lacks the monoid %s", needle);
    }
    for (i = 0; i < 4; i++) {
        snprintf(needle, sizeof needle, "`%s`", dirs[i]);
        ck_assert_msg(strstr(doc, needle), "docs/language.md lacks the direction %s", needle);
    }
    free(doc);
}
END_TEST

/* ---- programs ----------------------------------------------------------------------- */

static const struct {
    const char *name;
    int nparams;
    const char *result;
} library[] = {
    {"pagerank", 3, "rank"}, {"lpa", 1, "label"}, {"wcc", 0, "comp"},
    {"bfs", 1, "level"},     {"sssp", 1, "dist"}, {"degree", 0, "centrality"},
};

START_TEST(test_library_compiles)
{
    const char *const *names = gr_library_names();
    size_t i;
    int k;
    for (k = 0; names[k]; k++) {
    }
    ck_assert_int_eq(k, (int)(sizeof library / sizeof library[0]));
    for (i = 0; i < sizeof library / sizeof library[0]; i++) {
        const char *src = gr_library_source(library[i].name), *pname;
        gr_program *p;
        gr_error err;
        gr_type t;
        double f;
        int64_t v;
        char want[64], *text = NULL;
        ck_assert_ptr_nonnull(src);
        p = compile_ok(src);
        gr_error_clear(&err);
        ck_assert_int_eq(gr_program_verify(p, &err), GR_OK);
        ck_assert_str_eq(gr_program_name(p), library[i].name);
        ck_assert_int_eq(gr_program_nparams(p), library[i].nparams);
        ck_assert_int_eq(gr_program_print(p, &text, &err), GR_OK);
        snprintf(want, sizeof want, "return %s = ", library[i].result);
        ck_assert_msg(strstr(text, want), "%s", text);
        gr_free_string(&text);
        if (strcmp(library[i].name, "pagerank") == 0) {
            ck_assert_int_eq(gr_program_param(p, 0, &pname, &t, &f, &v), GR_OK);
            ck_assert(strcmp(pname, "damping") == 0 && t == GR_T_F64 && f == 0.85);
            ck_assert_int_eq(gr_program_param(p, 1, &pname, &t, &f, &v), GR_OK);
            ck_assert(strcmp(pname, "tol") == 0 && t == GR_T_F64 && f == 1e-6);
            ck_assert_int_eq(gr_program_param(p, 2, &pname, &t, &f, &v), GR_OK);
            ck_assert(strcmp(pname, "max_iter") == 0 && t == GR_T_I64 && v == 100);
        }
        gr_program_free(&p);
    }
    ck_assert_ptr_null(gr_library_source("nope"));
}
END_TEST

/* The DESIGN.md PageRank text, character for character, is the library's. */
START_TEST(test_pagerank_is_design_text)
{
    static const char *design =
        "# PageRank; dangling nodes spread their rank uniformly (networkx convention)\n"
        "algorithm pagerank(damping = 0.85, tol = 1e-6, max_iter = 100) {\n"
        "    n    = node_count()\n"
        "    inv  = recip(out_degree())\n"
        "    sink = out_degree() == 0\n"
        "    rank = fill(1 / n)\n"
        "    until converged(rank, tol) max max_iter {\n"
        "        dang = sum(where(sink, rank, 0))\n"
        "        rank = damping * pull_sum(rank * inv) + (1 - damping + damping * dang) / n\n"
        "    }\n"
        "    return rank\n"
        "}\n";
    ck_assert_str_eq(gr_library_source("pagerank"), design);
}
END_TEST

/* Run program p on g (step mode) with parameter overrides "name=value". */
static void run_step(const gr_graph *g, const gr_program *p, const char *set, gr_result *res)
{
    gr_ctx *c = NULL;
    gr_params *ps = NULL;
    gr_error err;
    char buf[700];
    gr_error_clear(&err);
    ck_assert_int_eq(gr_ctx_new(g, &c, &err), GR_OK);
    ck_assert_int_eq(gr_params_new(p, &ps, &err), GR_OK);
    if (set) {
        char name[64];
        const char *eq = strchr(set, '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - set), set);
        ck_assert_int_eq(gr_params_set(ps, name, eq + 1, &err), GR_OK);
    }
    memset(res, 0, sizeof *res);
    ck_assert_msg(gr_step_run(c, p, ps, res, &err) == GR_OK, "step run of %s: %s",
                  gr_program_name(p), gr_error_format(&err, buf, sizeof buf));
    ck_assert_int_eq(res->nout, 1);
    ck_assert_uint_eq(res->out[0].len, g->n);
    gr_params_free(&ps);
    gr_ctx_free(&c);
}

static gr_program *library_program(const char *name)
{
    return compile_ok(gr_library_source(name));
}

static void compare_i64(const char *what, const char *gname, const gr_result *r,
                        const int64_t *want, int64_t iters, uint32_t n)
{
    uint32_t v;
    ck_assert_ptr_nonnull(r->out[0].i64);
    for (v = 0; v < n; v++) {
        ck_assert_msg(r->out[0].i64[v] == want[v], "%s on %s, node %u: %lld, native %lld", what,
                      gname, v, (long long)r->out[0].i64[v], (long long)want[v]);
    }
    ck_assert_msg(r->iters == iters, "%s on %s: %lld iterations, native %lld", what, gname,
                  (long long)r->iters, (long long)iters);
}

static void compare_f64(const char *what, const char *gname, const gr_result *r,
                        const double *want, int64_t iters, uint32_t n)
{
    uint32_t v;
    ck_assert_ptr_nonnull(r->out[0].f64);
    for (v = 0; v < n; v++) {
        double a = r->out[0].f64[v], b = want[v];
        ck_assert_msg(a == b || (isnan(a) && isnan(b)), "%s on %s, node %u: %.17g, native %.17g",
                      what, gname, v, a, b);
    }
    if (iters >= 0) {
        ck_assert_msg(r->iters == iters, "%s on %s: %lld iterations, native %lld", what, gname,
                      (long long)r->iters, (long long)iters);
    }
}

/* The library in the language gives exactly the native C results, and the
 * same iteration counts, on the battery graphs (with dense and with sparse
 * original ids). */
START_TEST(test_library_matches_native)
{
    gr_program *pr = library_program("pagerank"), *lpa = library_program("lpa"),
               *wcc = library_program("wcc"), *bfs = library_program("bfs"),
               *sssp = library_program("sssp"), *deg = library_program("degree");
    const char *gname;
    gr_graph *g0;
    int i, sparse;

    for (i = 0; (g0 = tu_case(i, &gname)); i++) {
        if (g0->n > 2000) { /* step mode under valgrind: keep it quick */
            gr_graph_free(&g0);
            continue;
        }
        for (sparse = 0; sparse < 2; sparse++) {
            gr_graph *g = sparse ? tu_with_orig_ids(g0) : g0;
            uint32_t n = g->n;
            int64_t *iv = malloc(((size_t)n + 1) * sizeof *iv), it = -1;
            double *fv = malloc(((size_t)n + 1) * sizeof *fv);
            char set[64];
            gr_result r;
            int64_t src = gr_graph_orig_id(g, n / 2);
            ck_assert(iv && fv);

            run_step(g, pr, NULL, &r);
            ck_assert_int_eq(gr_native_pagerank(g, GR_NATIVE, 0.85, 1e-6, 100, fv, &it, NULL),
                             GR_OK);
            compare_f64("pagerank", gname, &r, fv, it, n);
            gr_result_release(&r);

            run_step(g, lpa, NULL, &r);
            ck_assert_int_eq(gr_native_lpa(g, GR_NATIVE, 20, iv, &it, NULL), GR_OK);
            compare_i64("lpa", gname, &r, iv, it, n);
            gr_result_release(&r);
            run_step(g, lpa, "max_iter=2", &r);
            ck_assert_int_eq(gr_native_lpa(g, GR_NATIVE, 2, iv, &it, NULL), GR_OK);
            compare_i64("lpa(2)", gname, &r, iv, it, n);
            gr_result_release(&r);

            run_step(g, wcc, NULL, &r);
            ck_assert_int_eq(gr_native_wcc(g, GR_NATIVE, iv, &it, NULL), GR_OK);
            compare_i64("wcc", gname, &r, iv, it, n);
            gr_result_release(&r);

            snprintf(set, sizeof set, "source=%lld", (long long)src);
            run_step(g, bfs, set, &r);
            ck_assert_int_eq(gr_native_bfs(g, GR_NATIVE, src, iv, &it, NULL), GR_OK);
            compare_i64("bfs", gname, &r, iv, it, n);
            gr_result_release(&r);

            run_step(g, sssp, set, &r);
            ck_assert_int_eq(gr_native_sssp(g, GR_NATIVE, src, fv, &it, NULL), GR_OK);
            compare_f64("sssp", gname, &r, fv, it, n);
            gr_result_release(&r);

            run_step(g, deg, NULL, &r);
            ck_assert_int_eq(gr_native_degree(g, GR_NATIVE, fv, NULL), GR_OK);
            compare_f64("degree", gname, &r, fv, -1, n);
            gr_result_release(&r);

            free(iv);
            free(fv);
            if (sparse) {
                gr_graph_free(&g);
            }
        }
        gr_graph_free(&g0);
    }
    gr_program_free(&pr);
    gr_program_free(&lpa);
    gr_program_free(&wcc);
    gr_program_free(&bfs);
    gr_program_free(&sssp);
    gr_program_free(&deg);
}
END_TEST

START_TEST(test_compile_file)
{
    const char *path = tu_write_temp(".grl", "algorithm f() {\n    x = y\n    return x\n}\n");
    gr_program *p = NULL;
    gr_diags d;
    gr_error err;
    char want[1200];
    gr_error_clear(&err);
    ck_assert_int_eq(gr_lang_compile_file(path, &p, &d, &err), GR_ERR_PARSE);
    snprintf(want, sizeof want, "%s:2:9: unknown variable 'y'\n    x = y\n        ^\n", path);
    ck_assert_str_eq(d.text, want);
    ck_assert_str_eq(err.file, path);
    gr_diags_release(&d);

    path = tu_write_temp(".grl", gr_library_source("sssp"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_lang_compile_file(path, &p, &d, &err), GR_OK);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(d.count, 0);
    gr_program_free(&p);

    gr_error_clear(&err);
    ck_assert_int_eq(gr_lang_compile_file("/nonexistent/x.grl", &p, &d, &err), GR_ERR_IO);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(d.count, 0);
    ck_assert(strstr(err.msg, "/nonexistent/x.grl"));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_lang_compile_file(NULL, &p, &d, &err), GR_ERR_INVALID);
}
END_TEST

START_TEST(test_bad_arguments)
{
    gr_program *p = (gr_program *)&p;
    gr_diags d;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_lang_compile("x", 1, "t", NULL, &d, &err), GR_ERR_INVALID);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_lang_compile(NULL, 5, "t", &p, &d, &err), GR_ERR_INVALID);
    ck_assert_ptr_null(p);
    /* NULL with length 0 is the empty program. */
    gr_error_clear(&err);
    ck_assert_int_eq(gr_lang_compile(NULL, 0, "t", &p, &d, &err), GR_ERR_PARSE);
    ck_assert(strstr(d.text, "empty program"));
    gr_diags_release(&d);
    /* Embedded NUL bytes are characters like any other bad one. */
    gr_error_clear(&err);
    ck_assert_int_eq(gr_lang_compile("algorithm f() {\0}", 17, "t", &p, &d, &err), GR_ERR_PARSE);
    ck_assert(strstr(d.text, "unexpected control character (byte 0x00)"));
    gr_diags_release(&d);
}
END_TEST

START_TEST(test_result_names)
{
    gr_program *p = compile_ok("algorithm f() {\n r = fill(1.0)\n return r + 1, r, r, 2 * r\n}\n");
    char *text = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_program_print(p, &text, &err), GR_OK);
    ck_assert_msg(strstr(text, "return result = %3, r = %1, r3 = %1, result4 = %5"), "%s", text);
    gr_free_string(&text);
    gr_program_free(&p);
}
END_TEST

/* Each allocation failing in turn: GR_ERR_NOMEM (never a crash, leak or
 * a different answer), until the compilation succeeds. */
static void alloc_failures(const char *src)
{
    gr_program *p = NULL;
    gr_diags d0, d;
    gr_error err;
    int rc0, rc;
    long k;

    rc0 = compile(src, &p, &d0, &err);
    gr_program_free(&p);
    for (k = 0;; k++) {
        gr_mem_fail_after(k);
        rc = compile(src, &p, &d, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_ERR_NOMEM) {
            ck_assert_ptr_null(p);
            ck_assert_int_eq(d.count, 0);
            ck_assert_ptr_null(d.text);
            ck_assert_int_eq(err.code, GR_ERR_NOMEM);
            continue;
        }
        ck_assert_int_eq(rc, rc0);
        if (rc == GR_OK) {
            ck_assert_ptr_nonnull(p);
            gr_program_free(&p);
        } else {
            ck_assert_str_eq(d.text, d0.text);
            gr_diags_release(&d);
        }
        break;
    }
    ck_assert_int_gt(k, 3);
    gr_diags_release(&d0);
}

START_TEST(test_alloc_failure)
{
    alloc_failures(gr_library_source("pagerank"));
    alloc_failures(gr_library_source("bfs"));
    alloc_failures("algorithm f() {\n x = rank + true\n repeat 2.5 { y = 1 }\n return y\n}\n");
    alloc_failures("algorithm f( {\n x = (\n}\n");
}
END_TEST

/* ---- mutation test ------------------------------------------------------------------- */

/* Mutate buf (length *len, capacity cap) with 1-4 random edits. */
static void mutate(tu_rng *r, char *buf, size_t *len, size_t cap)
{
    static const char alphabet[] = "(){},;=+-*/%!<>&|#\n\t .0123456789eE_abcxyz";
    int edits = 1 + (int)tu_below(r, 4), i;
    for (i = 0; i < edits; i++) {
        size_t at = *len ? (size_t)tu_below(r, *len) : 0;
        switch (tu_below(r, 3)) {
        case 0: /* delete a byte */
            if (*len) {
                memmove(buf + at, buf + at + 1, *len - at - 1);
                (*len)--;
            }
            break;
        case 1: /* insert a byte: mostly meaningful ones, sometimes anything */
            if (*len < cap) {
                char c = tu_below(r, 4) ? alphabet[tu_below(r, sizeof alphabet - 1)]
                                        : (char)tu_below(r, 256);
                memmove(buf + at + 1, buf + at, *len - at);
                buf[at] = c;
                (*len)++;
            }
            break;
        default: /* swap two bytes */
            if (*len) {
                size_t to = (size_t)tu_below(r, *len);
                char c = buf[at];
                buf[at] = buf[to];
                buf[to] = c;
            }
            break;
        }
    }
}

START_TEST(test_mutations)
{
    const char *const *names = gr_library_names();
    const char *env = getenv("GR_MUTATIONS");
    long per = env ? atol(env) : 600, k;
    long ok = 0, failed = 0;
    tu_rng r = {20240601};
    int a;

    for (a = 0; names[a]; a++) {
        const char *src = gr_library_source(names[a]);
        size_t srclen = strlen(src), cap = srclen + 64;
        char *buf = malloc(cap);
        ck_assert_ptr_nonnull(buf);
        for (k = 0; k < per; k++) {
            size_t len = srclen;
            gr_program *p = NULL;
            gr_diags d;
            gr_error err;
            int rc, rounds = 1 + (int)tu_below(&r, 3), j;
            memcpy(buf, src, srclen);
            for (j = 0; j < rounds; j++) {
                mutate(&r, buf, &len, cap);
            }
            gr_error_clear(&err);
            rc = gr_lang_compile(buf, len, "m.grl", &p, &d, &err);
            if (rc == GR_OK) {
                ck_assert_ptr_nonnull(p);
                ck_assert_int_eq(d.count, 0);
                ck_assert_int_eq(gr_program_verify(p, &err), GR_OK);
                gr_program_free(&p);
                ok++;
            } else {
                ck_assert_msg(rc < 0 && p == NULL && d.count > 0 && d.text && err.code == rc &&
                                  err.line > 0 && strncmp(d.text, "m.grl:", 6) == 0,
                              "%s mutant %ld: rc %d, %d diagnostics", names[a], k, rc, d.count);
                ck_assert_int_le(d.count, GR_LANG_MAX_ERRORS);
                gr_diags_release(&d);
                failed++;
            }
        }
        free(buf);
    }
    /* Both outcomes happen: the mutants are neither all broken nor inert. */
    ck_assert_int_gt(failed, 0);
    ck_assert_int_gt(ok, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lang");
    TCase *tc;

    tc = tcase_create("lexer");
    tcase_add_test(tc, test_lex_tokens);
    tcase_add_test(tc, test_lex_newlines_comments);
    tcase_add_test(tc, test_lex_positions);
    tcase_add_test(tc, test_lex_numbers);
    tcase_add_test(tc, test_lex_repairs);
    tcase_add_test(tc, test_lex_exact_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("parser");
    tcase_add_loop_test(tc, test_precedence, 0, (int)(sizeof prec_cases / sizeof prec_cases[0]));
    tcase_add_test(tc, test_parse_print);
    tcase_add_test(tc, test_nesting_bounded);
    suite_add_tcase(s, tc);

    tc = tcase_create("diagnostics");
    tcase_add_test(tc, test_edit_distance);
    tcase_add_test(tc, test_diag_record);
    tcase_add_test(tc, test_diag_sorted);
    tcase_add_test(tc, test_diag_caret);
    tcase_add_test(tc, test_too_many_errors);
    tcase_add_test(tc, test_suggestions);
    suite_add_tcase(s, tc);

    tc = tcase_create("builtins");
    tcase_add_test(tc, test_builtin_table);
    tcase_add_test(tc, test_agg_names);
    tcase_add_test(tc, test_docs_cover_builtins);
    suite_add_tcase(s, tc);

    tc = tcase_create("programs");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_library_compiles);
    tcase_add_test(tc, test_pagerank_is_design_text);
    tcase_add_test(tc, test_library_matches_native);
    tcase_add_test(tc, test_compile_file);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_result_names);
    tcase_add_test(tc, test_alloc_failure);
    tcase_add_test(tc, test_mutations);
    suite_add_tcase(s, tc);

    return tu_run(s);
}
