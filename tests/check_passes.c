/*
 * check_passes.c - tests of the optimizer (engine/passes): the golden
 * tests of every pass, and unit tests of gr_optimize.
 *
 * Golden tests: every tests/golden/passes/NAME.test is one case, in
 * sections introduced by a line "== SECTION" (lines before the first
 * section are a free comment):
 *
 *   == input     a program in printed IR (gr_program_parse)
 *   == passes    one line: a comma-separated pass list, run at level 0
 *                with those passes enabled ("cse,dce"); or a level with
 *                optional lists: "-O1", "-O2 disable=licm",
 *                "-O0 enable=cse"
 *   == output    the optimized program exactly as gr_program_print
 *                prints it
 *   == error     instead of output: gr_optimize must fail with exactly
 *                this message (gr_error_format)
 *
 * For an output case the driver also checks that the result verifies,
 * parses back and prints the same, and (when only scalar passes run) that
 * optimizing it again changes nothing.  On a mismatch it prints a unified
 * diff (expected -, actual +) to stderr.
 *
 * GR_GOLDEN_UPDATE=1 in the environment rewrites each file's output (or
 * error) section from the actual result instead of comparing, keeping the
 * comment, input and passes sections; review the diff before committing.
 * GR_SRCDIR overrides the source directory the files are read from.
 *
 * Unit tests: pass names and selection errors, the after_pass callback's
 * order, the verifier catching a deliberately broken pass (registered with
 * gr_pass_test_hook), -O0 returning an identical copy, failure injection
 * over gr_optimize (clean GR_ERR_NOMEM and no leak; run under valgrind
 * with CK_FORK=no), constant folding checked bit for bit against the step
 * executor on special values, and the library algorithms at -O1: they
 * verify, print, are a fixed point, and give bit-identical results to the
 * unoptimized programs in step mode on random graphs.
 */
#include "config.h"
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ir/ir.h"
#include "engine/passes/passes.h"

/* ---- files and text ---------------------------------------------------------------- */

static int updating(void)
{
    const char *u = getenv("GR_GOLDEN_UPDATE");
    return u && *u && strcmp(u, "0") != 0;
}

static const char *golden_dir(void)
{
    static char dir[1024];
    const char *src = getenv("GR_SRCDIR");
    snprintf(dir, sizeof dir, "%s/tests/golden/passes", src && *src ? src : GR_SRCDIR);
    return dir;
}

/* Write the first na bytes of a, then b and c, to path. */
static void spit(const char *path, const char *a, size_t na, const char *b, const char *c)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fwrite(a, 1, na, f);
    fputs(b, f);
    fputs(c, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A text cut into lines (pointers into the text, without the newline). */
typedef struct lines {
    const char **s;
    int *len;
    int n;
} lines;

static lines split_lines(const char *t)
{
    lines l = {NULL, NULL, 0};
    int cap = 16;
    l.s = malloc((size_t)cap * sizeof *l.s);
    l.len = malloc((size_t)cap * sizeof *l.len);
    ck_assert(l.s && l.len);
    while (*t) {
        const char *e = strchr(t, '\n');
        int n = e ? (int)(e - t) : (int)strlen(t);
        if (l.n == cap) {
            cap *= 2;
            l.s = realloc(l.s, (size_t)cap * sizeof *l.s);
            l.len = realloc(l.len, (size_t)cap * sizeof *l.len);
            ck_assert(l.s && l.len);
        }
        l.s[l.n] = t;
        l.len[l.n++] = n;
        t += n + (e != NULL);
    }
    return l;
}

static void free_lines(lines *l)
{
    free(l->s);
    free(l->len);
}

static int same_line(const lines *a, int i, const lines *b, int j)
{
    return a->len[i] == b->len[j] && memcmp(a->s[i], b->s[j], (size_t)a->len[i]) == 0;
}

#define CONTEXT 3

/* Print a unified diff of want (-) and got (+) to stderr: an LCS over
 * lines, hunks with CONTEXT lines of context. */
static void print_diff(const char *name, const char *want, const char *got)
{
    lines a = split_lines(want), b = split_lines(got);
    int n = a.n, m = b.n, i, j, k, nops = 0;
    int *lcs = calloc((size_t)(n + 1) * (size_t)(m + 1), sizeof *lcs);
    char *op = malloc((size_t)(n + m + 1));
    int *ai = malloc((size_t)(n + m + 1) * sizeof *ai), *bi = malloc((size_t)(n + m + 1) * sizeof *bi);
    ck_assert(lcs && op && ai && bi);
#define L(x, y) lcs[(size_t)(x) * (size_t)(m + 1) + (size_t)(y)]
    for (i = n - 1; i >= 0; i--) {
        for (j = m - 1; j >= 0; j--) {
            L(i, j) = same_line(&a, i, &b, j) ? L(i + 1, j + 1) + 1
                      : L(i + 1, j) > L(i, j + 1) ? L(i + 1, j) : L(i, j + 1);
        }
    }
    for (i = j = 0; i < n || j < m;) {
        ai[nops] = i;
        bi[nops] = j;
        if (i < n && j < m && same_line(&a, i, &b, j)) {
            op[nops++] = ' ';
            i++;
            j++;
        } else if (i < n && (j == m || L(i + 1, j) >= L(i, j + 1))) {
            op[nops++] = '-';
            i++;
        } else {
            op[nops++] = '+';
            j++;
        }
    }
#undef L
    fprintf(stderr, "--- %s (expected)\n+++ %s (actual)\n", name, name);
    for (k = 0; k < nops;) {
        int start, end, last, x, na = 0, nb = 0;
        while (k < nops && op[k] == ' ') {
            k++;
        }
        if (k == nops) {
            break;
        }
        start = k - CONTEXT < 0 ? 0 : k - CONTEXT;
        /* extend while the next change is within 2*CONTEXT unchanged lines */
        last = k;
        for (x = k; x < nops; x++) {
            if (op[x] != ' ') {
                last = x;
            } else if (x - last > 2 * CONTEXT) {
                break;
            }
        }
        end = last + CONTEXT + 1 > nops ? nops : last + CONTEXT + 1;
        for (x = start; x < end; x++) {
            na += op[x] != '+';
            nb += op[x] != '-';
        }
        fprintf(stderr, "@@ -%d,%d +%d,%d @@\n", ai[start] + (na > 0), na, bi[start] + (nb > 0),
                nb);
        for (x = start; x < end; x++) {
            const lines *src = op[x] == '+' ? &b : &a;
            int at = op[x] == '+' ? bi[x] : ai[x];
            fprintf(stderr, "%c%.*s\n", op[x], src->len[at], src->s[at]);
        }
        k = end;
    }
    free(lcs);
    free(op);
    free(ai);
    free(bi);
    free_lines(&a);
    free_lines(&b);
}

/* ---- golden case files --------------------------------------------------------------- */

static char **cases;        /* NAME.test file names, sorted */
static int ncases;

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void find_cases(void)
{
    DIR *d = opendir(golden_dir());
    struct dirent *e;
    if (!d) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".test") == 0) {
            cases = realloc(cases, (size_t)(ncases + 1) * sizeof *cases);
            cases[ncases] = strdup(e->d_name);
            ncases++;
        }
    }
    closedir(d);
    if (ncases > 0) {
        qsort(cases, (size_t)ncases, sizeof *cases, cmp_str);
    }
}

/* The sections of one case file. */
typedef struct gcase {
    char *text;          /* the file */
    char *input, *passes, *output, *error; /* section bodies (malloc'd) or NULL */
    size_t expect_at;    /* offset of the output/error header (end of text if none) */
} gcase;

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    ck_assert_ptr_nonnull(d);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void load_case(const char *name, gcase *c)
{
    char path[1200];
    const char *t, *body = NULL;
    char **slot = NULL;
    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/%s", golden_dir(), name);
    c->text = tu_slurp(path, NULL);
    ck_assert_msg(c->text != NULL, "cannot read %s", path);
    c->expect_at = strlen(c->text);
    for (t = c->text;; t = strchr(t, '\n') + 1) {
        int header = strncmp(t, "== ", 3) == 0;
        if ((header || !*t) && slot) {
            *slot = dup_range(body, (size_t)(t - body));
        }
        if (!*t) {
            break;
        }
        if (header) {
            const char *s = t + 3;
            size_t n = strcspn(s, " \t\r\n");
            slot = n == 5 && !strncmp(s, "input", 5)    ? &c->input
                   : n == 6 && !strncmp(s, "passes", 6) ? &c->passes
                   : n == 6 && !strncmp(s, "output", 6) ? &c->output
                   : n == 5 && !strncmp(s, "error", 5)  ? &c->error
                                                        : NULL;
            ck_assert_msg(slot != NULL, "%s: unknown section '%.*s'", name, (int)n, s);
            ck_assert_msg(*slot == NULL, "%s: section '%.*s' twice", name, (int)n, s);
            if (slot == &c->output || slot == &c->error) {
                c->expect_at = (size_t)(t - c->text);
            }
            body = strchr(t, '\n') ? strchr(t, '\n') + 1 : t + strlen(t);
        }
        if (!strchr(t, '\n')) {
            if (slot) {
                *slot = dup_range(body, strlen(body));
            }
            break;
        }
    }
    ck_assert_msg(c->input && c->passes, "%s: needs '== input' and '== passes'", name);
    ck_assert_msg(!(c->output && c->error), "%s: both '== output' and '== error'", name);
}

static void free_case(gcase *c)
{
    free(c->text);
    free(c->input);
    free(c->passes);
    free(c->output);
    free(c->error);
}

/* Options from a passes line (bufs hold the lists). */
typedef struct spec {
    gr_passopts o;
    char enable[512], disable[512];
    int scalar_only;     /* no fusion pass can run */
} spec;

static void parse_spec(const char *name, const char *line, spec *s)
{
    char buf[1024], *tok, *save = NULL;
    memset(s, 0, sizeof *s);
    snprintf(buf, sizeof buf, "%s", line);
    for (tok = strtok_r(buf, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
        char *dst = s->enable;
        if (tok[0] == '#') {
            break;
        }
        if (tok[0] == '-' && tok[1] == 'O' && tok[2] >= '0' && tok[2] <= '9' && !tok[3]) {
            s->o.level = tok[2] - '0';
            continue;
        }
        if (strncmp(tok, "enable=", 7) == 0) {
            tok += 7;
        } else if (strncmp(tok, "disable=", 8) == 0) {
            tok += 8;
            dst = s->disable;
        } else {
            ck_assert_msg(strchr(tok, '=') == NULL, "%s: bad passes token '%s'", name, tok);
        }
        snprintf(dst + strlen(dst), 512 - strlen(dst), "%s%s", *dst ? "," : "", tok);
    }
    s->o.enable = s->enable;
    s->o.disable = s->disable;
    s->scalar_only = s->o.level < 2 && !strstr(s->enable, "fuse");
}

/* Print p (ck-asserting success); free the result with gr_free_string. */
static char *print_prog(const gr_program *p)
{
    char *text = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_program_print(p, &text, &err), GR_OK);
    return text;
}

/* Optimize the program in text `in` with s; the printed result or the
 * error line (malloc'd); *ok tells which. */
static char *optimize_text(const char *name, const char *in, const spec *s, int *ok)
{
    gr_program *p = NULL, *q = NULL;
    gr_error err;
    char buf[1200], *text, *res;
    int rc;
    gr_error_clear(&err);
    rc = gr_program_parse(in, name, &p, &err);
    ck_assert_msg(rc == GR_OK, "%s: the input does not parse: %s", name,
                  gr_error_format(&err, buf, sizeof buf));
    rc = gr_optimize(p, &s->o, &q, &err);
    gr_program_free(&p);
    if (rc != GR_OK) {
        ck_assert_ptr_null(q);
        ck_assert_int_eq(rc, err.code);
        *ok = 0;
        snprintf(buf + 600, 600, "%s\n", gr_error_format(&err, buf, 600));
        return dup_range(buf + 600, strlen(buf + 600));
    }
    ck_assert_int_eq(gr_program_verify(q, &err), GR_OK);
    text = print_prog(q);
    gr_program_free(&q);
    res = dup_range(text, strlen(text));
    gr_free_string(&text);
    *ok = 1;
    return res;
}

START_TEST(test_golden_file)
{
    const char *name = cases[_i];
    char path[1200], *actual, *again;
    gcase c;
    spec s;
    int ok, ok2;

    load_case(name, &c);
    parse_spec(name, c.passes, &s);
    actual = optimize_text(name, c.input, &s, &ok);
    if (updating()) {
        snprintf(path, sizeof path, "%s/%s", golden_dir(), name);
        spit(path, c.text, c.expect_at,
             c.expect_at > 0 && c.text[c.expect_at - 1] != '\n'
                 ? (ok ? "\n== output\n" : "\n== error\n")
                 : (ok ? "== output\n" : "== error\n"),
             actual);
    } else if (ok) {
        ck_assert_msg(c.output != NULL, "%s: optimized, but this failure was expected: %s", name,
                      c.error ? c.error : "(no expectation)");
        if (strcmp(c.output, actual) != 0) {
            print_diff(name, c.output, actual);
            ck_abort_msg("%s: the optimized program differs (diff on stderr)", name);
        }
    } else {
        ck_assert_msg(c.error != NULL, "%s: gr_optimize failed: %s", name, actual);
        ck_assert_msg(strcmp(c.error, actual) == 0, "%s: expected error\n  %s but got\n  %s",
                      name, c.error, actual);
    }
    if (ok) {
        gr_program *q = NULL;
        gr_error err;
        char *text;
        /* the result parses back and prints the same */
        gr_error_clear(&err);
        ck_assert_int_eq(gr_program_parse(actual, name, &q, &err), GR_OK);
        text = print_prog(q);
        ck_assert_str_eq(text, actual);
        gr_free_string(&text);
        gr_program_free(&q);
        /* the scalar passes reach a fixed point */
        if (s.scalar_only) {
            again = optimize_text(name, actual, &s, &ok2);
            ck_assert(ok2);
            if (strcmp(again, actual) != 0) {
                print_diff(name, actual, again);
                ck_abort_msg("%s: optimizing the result again changes it (diff on stderr)",
                             name);
            }
            free(again);
        }
    }
    free(actual);
    free_case(&c);
}
END_TEST

START_TEST(test_golden_present)
{
    const char *need[] = {"const_fold", "cse", "dce", "licm", "pipeline"};
    size_t k;
    int i;
    ck_assert_msg(ncases > 0, "no golden cases in %s", golden_dir());
    for (k = 0; k < sizeof need / sizeof need[0]; k++) {
        int found = 0;
        for (i = 0; i < ncases; i++) {
            found |= strncmp(cases[i], need[k], strlen(need[k])) == 0;
        }
        ck_assert_msg(found, "no golden case %s_*.test", need[k]);
    }
}
END_TEST

/* ---- fixtures and helpers for the unit tests ---------------------------------------- */

static gr_error E;
static int junk;             /* its address: an *out gr_optimize must reset */
#define JUNK ((gr_program *)(void *)&junk)

static void setup(void) { gr_error_clear(&E); }

static void teardown(void)
{
    gr_mem_fail_after(-1);
    gr_pass_test_hook(NULL, NULL);
}

/* A library algorithm, compiled. */
static gr_program *library(const char *name)
{
    const char *src = gr_library_source(name);
    gr_program *p = NULL;
    gr_diags d;
    char buf[700];
    ck_assert_msg(src != NULL, "no library algorithm %s", name);
    memset(&d, 0, sizeof d);
    gr_error_clear(&E);
    ck_assert_msg(gr_lang_compile(src, strlen(src), name, &p, &d, &E) == GR_OK,
                  "%s does not compile: %s", name, gr_error_format(&E, buf, sizeof buf));
    gr_diags_release(&d);
    return p;
}

static gr_program *parse(const char *text)
{
    gr_program *p = NULL;
    char buf[700];
    gr_error_clear(&E);
    ck_assert_msg(gr_program_parse(text, "unit", &p, &E) == GR_OK, "parse: %s",
                  gr_error_format(&E, buf, sizeof buf));
    return p;
}

/* ---- names and selection ------------------------------------------------------------- */

START_TEST(test_names)
{
    const char *const want[] = {"const_fold", "cse", "dce", "licm", "fuse_elementwise",
                                "fuse_agg", "fuse_reduction", "fuse_loops"};
    const char *const *names = gr_pass_names();
    size_t i;
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        ck_assert_ptr_nonnull(names[i]);
        ck_assert_str_eq(names[i], want[i]);
    }
    ck_assert_ptr_null(names[i]);
}
END_TEST

/* gr_optimize with o fails with code and exactly msg; *out is NULL. */
static void expect_fail(const gr_program *p, const gr_passopts *o, int code, const char *msg)
{
    gr_program *q = JUNK;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_optimize(p, o, &q, &E), code);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(E.code, code);
    ck_assert_str_eq(E.msg, msg);
}

START_TEST(test_unknown_names)
{
    gr_program *p = library("pagerank");
    gr_passopts o;
    memset(&o, 0, sizeof o);
    o.level = 1;
    o.enable = "cse2";
    expect_fail(p, &o, GR_ERR_INVALID, "unknown pass 'cse2' (did you mean 'cse'?)");
    o.enable = "dce, const_fld";
    expect_fail(p, &o, GR_ERR_INVALID, "unknown pass 'const_fld' (did you mean 'const_fold'?)");
    o.enable = NULL;
    o.disable = "licm,fuse_loop";
    expect_fail(p, &o, GR_ERR_INVALID, "unknown pass 'fuse_loop' (did you mean 'fuse_loops'?)");
    o.disable = "inline";
    expect_fail(p, &o, GR_ERR_INVALID,
                "unknown pass 'inline' (passes: const_fold, cse, dce, licm, fuse_elementwise, "
                "fuse_agg, fuse_reduction, fuse_loops)");
    o.disable = "CSE";
    expect_fail(p, &o, GR_ERR_INVALID, "unknown pass 'CSE' (did you mean 'cse'?)");
    o.disable = NULL;
    o.level = 3;
    expect_fail(p, &o, GR_ERR_INVALID, "optimization level 3 is not 0, 1 or 2");
    o.level = -1;
    expect_fail(p, &o, GR_ERR_INVALID, "optimization level -1 is not 0, 1 or 2");
    o.level = 0;
    expect_fail(NULL, &o, GR_ERR_INVALID, "gr_optimize: no program or no output");
    gr_error_clear(&E);
    ck_assert_int_eq(gr_optimize(p, &o, NULL, &E), GR_ERR_INVALID);
    /* blanks and empty items are fine */
    {
        gr_program *q = NULL;
        o.enable = " cse ,, dce ,";
        o.disable = "";
        ck_assert_int_eq(gr_optimize(p, &o, &q, &E), GR_OK);
        gr_program_free(&q);
    }
    gr_program_free(&p);
}
END_TEST

/* ---- the callback ------------------------------------------------------------------- */

typedef struct trace {
    char names[1024];
    int calls;
    int bad;             /* a program given to the callback did not verify */
} trace;

static void record_pass(const char *pass, const gr_program *p, void *ctx)
{
    trace *t = ctx;
    gr_error err;
    gr_error_clear(&err);
    snprintf(t->names + strlen(t->names), sizeof t->names - strlen(t->names), "%s%s",
             t->calls++ ? "," : "", pass);
    t->bad |= gr_program_verify(p, &err) != GR_OK;
}

/* The passes the callback saw optimizing p with (level, enable, disable). */
static void expect_trace(const gr_program *p, int level, const char *enable, const char *disable,
                         const char *want)
{
    gr_passopts o;
    gr_program *q = NULL;
    trace t;
    memset(&o, 0, sizeof o);
    memset(&t, 0, sizeof t);
    o.level = level;
    o.enable = enable;
    o.disable = disable;
    o.after_pass = record_pass;
    o.ctx = &t;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_optimize(p, &o, &q, &E), GR_OK);
    ck_assert_str_eq(t.names, want);
    ck_assert(!t.bad);
    gr_program_free(&q);
}

START_TEST(test_callback_order)
{
    gr_program *p = library("pagerank");
    /* pagerank settles in one round: the second round changes nothing and
     * is not reported */
    expect_trace(p, 1, NULL, NULL, "const_fold,cse,dce,licm");
    expect_trace(p, 2, NULL, NULL,
                 "const_fold,cse,dce,licm,fuse_elementwise,fuse_agg,fuse_reduction,fuse_loops");
    expect_trace(p, 1, NULL, "dce,const_fold", "cse,licm");
    expect_trace(p, 0, "licm,cse", NULL, "cse,licm");
    expect_trace(p, 0, "fuse_loops,const_fold", NULL, "const_fold,fuse_loops");
    expect_trace(p, 0, NULL, NULL, "");
    expect_trace(p, 1, "cse", "cse", "const_fold,dce,licm"); /* disable wins */
    gr_program_free(&p);
}
END_TEST

/* Rounds: the scalar passes repeat while a round changes something, and
 * later rounds report only the passes that changed the program. */
START_TEST(test_callback_rounds)
{
    /* the same invariant in two sibling loops: CSE cannot merge them (each
     * is visible only in its own body) until LICM has moved both before
     * their loops, into one scope: round 2 runs CSE again */
    gr_program *p = parse("algorithm r(n: i64 = 3) {\n"
                          "  %0 : i64 = param n\n"
                          "  %1 : f64 = const 2\n"
                          "  %2 : f64v = fill(%1)\n"
                          "  %6 : f64v = loop repeat(max=%0) carry(%3 : f64v = %2) {\n"
                          "    %4 : f64 = to_f64(%0)\n"
                          "    %5 : f64v = mul(%3, %4)\n"
                          "    yield %5\n"
                          "  }\n"
                          "  %10 : f64v = loop repeat(max=%0) carry(%7 : f64v = %6) {\n"
                          "    %8 : f64 = to_f64(%0)\n"
                          "    %9 : f64v = add(%7, %8)\n"
                          "    yield %9\n"
                          "  }\n"
                          "  return x = %10\n"
                          "}\n");
    expect_trace(p, 1, NULL, NULL, "const_fold,cse,dce,licm,cse");
    /* without licm nothing moves, so one round */
    expect_trace(p, 1, NULL, "licm", "const_fold,cse,dce");
    gr_program_free(&p);
}
END_TEST

/* ---- verification after each pass ----------------------------------------------------- */

/* Makes the returned value undefined. */
static int break_return(gr_program *p, gr_error *err)
{
    gr_inst *ret = &p->top.insts[p->top.n - 1];
    (void)err;
    ret->args[0] = gr_ir_new_value(p, GR_T_F64V);
    return ret->args[0] < 0 ? GR_ERR_NOMEM : GR_PASS_CHANGED;
}

/* Changes the type of the first instruction's result. */
static int break_type(gr_program *p, gr_error *err)
{
    (void)err;
    p->values[p->top.insts[0].result].type = GR_T_MASK;
    return GR_PASS_SAME; /* lying about it does not help */
}

static int fail_pass(gr_program *p, gr_error *err)
{
    (void)p;
    (void)err;
    return GR_ERR_RANGE;
}

static int fail_pass_msg(gr_program *p, gr_error *err)
{
    (void)p;
    return gr_err(err, GR_ERR_RANGE, "the pass's own message");
}

START_TEST(test_verify_after_pass)
{
    gr_program *p = library("pagerank");
    gr_passopts o;
    trace t;
    memset(&o, 0, sizeof o);
    memset(&t, 0, sizeof t);
    o.level = 1;
    o.after_pass = record_pass;
    o.ctx = &t;

    ck_assert_int_eq(gr_pass_test_hook("break_return", break_return), GR_OK);
    o.enable = "break_return";
    gr_error_clear(&E);
    {
        gr_program *q = JUNK;
        ck_assert_int_eq(gr_optimize(p, &o, &q, &E), GR_ERR_INTERNAL);
        ck_assert_ptr_null(q);
    }
    ck_assert_msg(strncmp(E.msg, "pass 'break_return' broke the IR: ", 34) == 0, "%s", E.msg);
    ck_assert_msg(strstr(E.msg, "return") && strstr(E.msg, "is never defined"), "%s", E.msg);
    /* the scalar passes ran and were reported; the broken one was not */
    ck_assert_str_eq(t.names, "const_fold,cse,dce,licm");

    ck_assert_int_eq(gr_pass_test_hook("break_type", break_type), GR_OK);
    o.enable = "break_type";
    o.level = 0;
    expect_fail(p, &o, GR_ERR_INTERNAL,
                "pass 'break_type' broke the IR: pagerank:2:20: op 'param' (%0): result is "
                "mask but param gives f64");
    /* only one hook: the old name is gone */
    o.enable = "break_return";
    expect_fail(p, &o, GR_ERR_INVALID, "unknown pass 'break_return' (passes: const_fold, cse, "
                "dce, licm, fuse_elementwise, fuse_agg, fuse_reduction, fuse_loops)");
    /* a failing pass: its status, with a message naming it */
    ck_assert_int_eq(gr_pass_test_hook("fails", fail_pass), GR_OK);
    o.enable = "fails";
    expect_fail(p, &o, GR_ERR_RANGE, "pass 'fails' failed (out of range)");
    ck_assert_int_eq(gr_pass_test_hook("fails", fail_pass_msg), GR_OK);
    expect_fail(p, &o, GR_ERR_RANGE, "the pass's own message");
    /* the hook cannot take a registered name, and is not listed */
    ck_assert_int_eq(gr_pass_test_hook("cse", fail_pass), GR_ERR_INVALID);
    ck_assert_int_eq(gr_pass_test_hook("", fail_pass), GR_ERR_INVALID);
    ck_assert_int_eq(gr_pass_test_hook(NULL, fail_pass), GR_ERR_INVALID);
    ck_assert_ptr_null(gr_pass_names()[8]);
    /* not part of any level */
    ck_assert_int_eq(gr_pass_test_hook("fails", fail_pass), GR_OK);
    o.enable = NULL;
    o.level = 2;
    {
        gr_program *q = NULL;
        gr_error_clear(&E);
        ck_assert_int_eq(gr_optimize(p, &o, &q, &E), GR_OK);
        gr_program_free(&q);
    }
    gr_program_free(&p);
}
END_TEST

/* ---- -O0 -------------------------------------------------------------------------------- */

START_TEST(test_O0_identical)
{
    const char *const *names = gr_library_names();
    int i;
    for (i = 0; names[i]; i++) {
        gr_program *p = library(names[i]), *q = NULL;
        gr_passopts o;
        char *a, *b;
        memset(&o, 0, sizeof o);
        gr_error_clear(&E);
        ck_assert_int_eq(gr_optimize(p, &o, &q, &E), GR_OK);
        ck_assert_ptr_nonnull(q);
        ck_assert_ptr_ne(p, q);
        a = print_prog(p);
        b = print_prog(q);
        ck_assert_str_eq(a, b);
        gr_free_string(&b);
        gr_program_free(&q);
        /* NULL options: the same */
        ck_assert_int_eq(gr_optimize(p, NULL, &q, &E), GR_OK);
        b = print_prog(q);
        ck_assert_str_eq(a, b);
        ck_assert_int_eq(gr_program_op_count(p), gr_program_op_count(q));
        gr_free_string(&a);
        gr_free_string(&b);
        gr_program_free(&q);
        gr_program_free(&p);
    }
}
END_TEST

/* ---- failure injection --------------------------------------------------------------- */

/* Optimize p at level allowing 0, 1, 2, ... allocations until it
 * succeeds: every failure is a clean GR_ERR_NOMEM with no output (and,
 * under valgrind, no leak); p is untouched. */
static void nomem_loop(const gr_program *p, int level)
{
    gr_passopts o;
    char *before = print_prog(p), *after;
    long n;
    int rc = GR_ERR_NOMEM;
    memset(&o, 0, sizeof o);
    o.level = level;
    for (n = 0; rc != GR_OK; n++) {
        gr_program *q = JUNK;
        ck_assert_msg(n < 100000, "gr_optimize never succeeds");
        gr_error_clear(&E);
        gr_mem_fail_after(n);
        rc = gr_optimize(p, &o, &q, &E);
        gr_mem_fail_after(-1);
        if (rc != GR_OK) {
            ck_assert_msg(rc == GR_ERR_NOMEM, "allocation %ld: %d %s", n, rc, E.msg);
            ck_assert_int_eq(E.code, GR_ERR_NOMEM);
            ck_assert_ptr_null(q);
        } else {
            ck_assert_int_eq(gr_program_verify(q, &E), GR_OK);
            gr_program_free(&q);
        }
    }
    ck_assert_msg(n > 10, "only %ld allocations: is injection working?", n);
    after = print_prog(p);
    ck_assert_str_eq(before, after);
    gr_free_string(&before);
    gr_free_string(&after);
}

START_TEST(test_nomem_pagerank)
{
    gr_program *p = library("pagerank");
    nomem_loop(p, 1);
    nomem_loop(p, 2);
    gr_program_free(&p);
}
END_TEST

START_TEST(test_nomem_loops)
{
    /* nested loops, a dead carried value, foldable constants, duplicates */
    gr_program *p = parse("algorithm l(n: i64 = 3) {\n"
                          "  %0 : i64 = param n\n"
                          "  %1 : f64 = const 2\n"
                          "  %2 : f64 = const 3\n"
                          "  %3 : f64 = mul(%1, %2)\n"
                          "  %4 : f64v = fill(%3)\n"
                          "  %5 : i64 = const 0\n"
                          "  %14 : f64v, %15 : i64 = loop repeat(max=%0) carry(%6 : f64v = %4, "
                          "%7 : i64 = %5) {\n"
                          "    %8 : i64 = const 1\n"
                          "    %9 : i64 = add(%7, %8)\n"
                          "    %13 : f64v = loop repeat(max=%0) carry(%10 : f64v = %6) {\n"
                          "      %11 : f64 = mul(%1, %2)\n"
                          "      %12 : f64v = add(%10, %11)\n"
                          "      yield %12\n"
                          "    }\n"
                          "    yield %13, %9\n"
                          "  }\n"
                          "  return x = %14\n"
                          "}\n");
    nomem_loop(p, 1);
    gr_program_free(&p);
}
END_TEST

/* ---- constant folding against the step executor ----------------------------------------- */

static const double fpool[] = {0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e300, -4.9e-324,
                               INFINITY, -INFINITY, NAN, 9.3e18, -9.3e18, 7.0};
static const int64_t ipool[] = {0, 1, -1, 2, -7, 7, INT64_MAX, INT64_MIN, 9007199254740993};
#define NF ((int)(sizeof fpool / sizeof fpool[0]))
#define NI ((int)(sizeof ipool / sizeof ipool[0]))

static gr_graph *G1;
static gr_ctx *C1;

/* The value of op on constants of types t[] with values (f[], i[]):
 * through const_fold (*ff / *fi) and through the step executor
 * (*sf / *si).  Returns the result type. */
static gr_type fold_and_step(gr_opcode op, int nargs, const gr_type *t, const double *f,
                             const int64_t *i, double *ff, int64_t *fi, double *sf, int64_t *si)
{
    gr_builder *b = NULL;
    gr_program *p = NULL, *q = NULL;
    gr_vid v[3], r;
    gr_val *sv[3] = {NULL, NULL, NULL}, *sr = NULL;
    gr_passopts o;
    gr_type rt;
    const gr_inst *ret, *def = NULL;
    int k;
    int32_t j;

    gr_error_clear(&E);
    ck_assert_int_eq(gr_builder_new("f", &b, &E), GR_OK);
    for (k = 0; k < nargs; k++) {
        switch (t[k]) {
        case GR_T_F64:
            ck_assert_int_eq(gr_builder_const_f64(b, f[k], &v[k], &E), GR_OK);
            ck_assert_int_eq(gr_step_const_f64(C1, f[k], &sv[k], &E), GR_OK);
            break;
        case GR_T_I64:
            ck_assert_int_eq(gr_builder_const_i64(b, i[k], &v[k], &E), GR_OK);
            ck_assert_int_eq(gr_step_const_i64(C1, i[k], &sv[k], &E), GR_OK);
            break;
        default:
            ck_assert_int_eq(gr_builder_const_bool(b, (int)i[k], &v[k], &E), GR_OK);
            ck_assert_int_eq(gr_step_const_bool(C1, (int)i[k], &sv[k], &E), GR_OK);
            break;
        }
    }
    ck_assert_int_eq(gr_builder_op(b, op, v, nargs, &r, &E), GR_OK);
    rt = gr_builder_type(b, r);
    ck_assert_int_eq(gr_builder_return(b, 1, &r, NULL, &E), GR_OK);
    ck_assert_int_eq(gr_builder_finish(b, &p, &E), GR_OK);
    gr_builder_free(&b);

    memset(&o, 0, sizeof o);
    o.enable = "const_fold";
    ck_assert_int_eq(gr_optimize(p, &o, &q, &E), GR_OK);
    ret = &q->top.insts[q->top.n - 1];
    for (j = 0; j < q->top.n; j++) {
        if (q->top.insts[j].result == ret->args[0]) {
            def = &q->top.insts[j];
        }
    }
    ck_assert_msg(def && def->op == GR_OP_CONST, "%s did not fold", gr_op_name(op));
    *ff = def->attrs.f;
    *fi = def->attrs.i;

    ck_assert_int_eq(gr_step_apply(C1, op, sv, nargs, &sr, &E), GR_OK);
    ck_assert_int_eq(gr_val_type(sr), rt);
    *sf = 0.0;
    *si = 0;
    if (rt == GR_T_F64) {
        ck_assert_int_eq(gr_val_read_f64(sr, sf, 1, &E), GR_OK);
    } else {
        ck_assert_int_eq(gr_val_read_i64(sr, si, 1, &E), GR_OK);
    }
    for (k = 0; k < nargs; k++) {
        gr_val_free(&sv[k]);
    }
    gr_val_free(&sr);
    gr_program_free(&p);
    gr_program_free(&q);
    return rt;
}

/* Every combination of pool values for operand types t[0..nargs). */
static int check_op_types(gr_opcode op, int nargs, const gr_type *t)
{
    int idx[3] = {0, 0, 0}, k, checked = 0;
    for (;;) {
        double f[3] = {0, 0, 0}, ff, sf;
        int64_t i[3] = {0, 0, 0}, fi, si;
        gr_type rt;
        for (k = 0; k < nargs; k++) {
            f[k] = t[k] == GR_T_F64 ? fpool[idx[k]] : 0.0;
            i[k] = t[k] == GR_T_I64 ? ipool[idx[k]] : t[k] == GR_T_BOOL ? idx[k] : 0;
        }
        rt = fold_and_step(op, nargs, t, f, i, &ff, &fi, &sf, &si);
        if (rt == GR_T_F64) {
            ck_assert_msg(memcmp(&ff, &sf, sizeof ff) == 0,
                          "%s(%g/%lld, %g/%lld, %g/%lld): folded %a, step %a", gr_op_name(op),
                          f[0], (long long)i[0], f[1], (long long)i[1], f[2], (long long)i[2], ff,
                          sf);
        } else {
            ck_assert_msg(fi == si, "%s(%g/%lld, %g/%lld, %g/%lld): folded %lld, step %lld",
                          gr_op_name(op), f[0], (long long)i[0], f[1], (long long)i[1], f[2],
                          (long long)i[2], (long long)fi, (long long)si);
        }
        checked++;
        for (k = 0; k < nargs; k++) {
            int n = t[k] == GR_T_F64 ? NF : t[k] == GR_T_I64 ? NI : 2;
            if (++idx[k] < n) {
                break;
            }
            idx[k] = 0;
        }
        if (k == nargs) {
            return checked;
        }
    }
}

START_TEST(test_fold_matches_step)
{
    static const gr_type num2[][2] = {{GR_T_F64, GR_T_F64}, {GR_T_I64, GR_T_I64},
                                      {GR_T_I64, GR_T_F64}, {GR_T_F64, GR_T_I64}};
    static const gr_type one[] = {GR_T_F64, GR_T_I64, GR_T_BOOL};
    static const gr_type where[][3] = {{GR_T_BOOL, GR_T_F64, GR_T_F64},
                                       {GR_T_BOOL, GR_T_I64, GR_T_I64},
                                       {GR_T_BOOL, GR_T_I64, GR_T_F64}};
    static const gr_type logic[] = {GR_T_BOOL, GR_T_BOOL};
    int op, k, checked = 0;

    G1 = tu_graph(1, NULL, 0, NULL, 0);
    ck_assert_int_eq(gr_ctx_new(G1, &C1, &E), GR_OK);
    for (op = 0; op < GR_OP__COUNT; op++) {
        const gr_opinfo *info = gr_op_info(op);
        if (!(info->flags & GR_F_EW)) {
            continue;
        }
        switch (info->sig) {
        case GR_SIG_NUM2: case GR_SIG_FLT2: case GR_SIG_CMP:
            for (k = 0; k < 4; k++) {
                checked += check_op_types((gr_opcode)op, 2, num2[k]);
            }
            break;
        case GR_SIG_NUM1: case GR_SIG_FLT1:
            for (k = 0; k < 2; k++) {
                checked += check_op_types((gr_opcode)op, 1, &one[k]);
            }
            break;
        case GR_SIG_TOF64: case GR_SIG_TOI64: case GR_SIG_TOBOOL:
            for (k = 0; k < 3; k++) {
                checked += check_op_types((gr_opcode)op, 1, &one[k]);
            }
            break;
        case GR_SIG_LOG1: case GR_SIG_LOG2:
            checked += check_op_types((gr_opcode)op, info->nargs, logic);
            break;
        case GR_SIG_WHERE:
            for (k = 0; k < 3; k++) {
                checked += check_op_types((gr_opcode)op, 3, where[k]);
            }
            break;
        default:
            ck_abort_msg("element-wise op %s has an unexpected signature", info->name);
        }
    }
    ck_assert_int_gt(checked, 1000);
    gr_ctx_free(&C1);
    gr_graph_free(&G1);
}
END_TEST

/* ---- the library at -O1 ---------------------------------------------------------------- */

/* Whether two results are identical, bit for bit. */
static void expect_same_result(const char *what, const gr_result *a, const gr_result *b,
                               int same_iters)
{
    int k;
    ck_assert_int_eq(a->nout, b->nout);
    for (k = 0; k < a->nout; k++) {
        const gr_output *x = &a->out[k], *y = &b->out[k];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_int_eq(x->type, y->type);
        ck_assert_uint_eq(x->len, y->len);
        if (x->f64) {
            ck_assert_msg(y->f64 && memcmp(x->f64, y->f64, x->len * sizeof *x->f64) == 0,
                          "%s: output %s differs", what, x->name);
        }
        if (x->i64) {
            ck_assert_msg(y->i64 && memcmp(x->i64, y->i64, x->len * sizeof *x->i64) == 0,
                          "%s: output %s differs", what, x->name);
        }
    }
    if (same_iters) {
        ck_assert_int_eq(a->iters, b->iters);
    }
}

START_TEST(test_library_O1)
{
    const char *const *names = gr_library_names();
    int i, level;
    for (i = 0; names[i]; i++) {
        for (level = 1; level <= 2; level++) {
            gr_program *p = library(names[i]), *q = NULL, *q2 = NULL;
            gr_passopts o;
            char *a, *b, what[128];
            int s;
            memset(&o, 0, sizeof o);
            o.level = level;
            gr_error_clear(&E);
            ck_assert_msg(gr_optimize(p, &o, &q, &E) == GR_OK, "%s -O%d: %s", names[i], level,
                          E.msg);
            ck_assert_int_eq(gr_program_verify(q, &E), GR_OK);
            ck_assert_int_le(gr_program_op_count(q), gr_program_op_count(p));
            a = print_prog(q);
            if (level == 1) {
                /* -O1 output is a fixed point of -O1, and parses back */
                ck_assert_int_eq(gr_optimize(q, &o, &q2, &E), GR_OK);
                b = print_prog(q2);
                ck_assert_str_eq(a, b);
                gr_free_string(&b);
                gr_program_free(&q2);
                q2 = parse(a);
                b = print_prog(q2);
                ck_assert_str_eq(a, b);
                gr_free_string(&b);
                gr_program_free(&q2);
            }
            gr_free_string(&a);
            /* same results as the unoptimized program in step mode */
            for (s = 0; s < 3; s++) {
                gr_graph *g = tu_random_graph(40 + 17 * (uint32_t)s, 160 + 50 * (uint64_t)s,
                                              100 + (uint64_t)s, s == 1, s == 2);
                gr_ctx *c = NULL;
                gr_result r1, r2;
                memset(&r1, 0, sizeof r1);
                memset(&r2, 0, sizeof r2);
                ck_assert_int_eq(gr_ctx_new(g, &c, &E), GR_OK);
                ck_assert_msg(gr_step_run(c, p, NULL, &r1, &E) == GR_OK, "%s: %s", names[i],
                              E.msg);
                ck_assert_msg(gr_step_run(c, q, NULL, &r2, &E) == GR_OK, "%s -O%d: %s",
                              names[i], level, E.msg);
                snprintf(what, sizeof what, "%s -O%d graph %d", names[i], level, s);
                /* fusing loops changes how many loops run, not the results */
                expect_same_result(what, &r1, &r2, level == 1);
                gr_result_release(&r1);
                gr_result_release(&r2);
                gr_ctx_free(&c);
                gr_graph_free(&g);
            }
            gr_program_free(&q);
            gr_program_free(&p);
        }
    }
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------ */

static Suite *passes_suite(void)
{
    Suite *s = suite_create("passes");
    TCase *tc = tcase_create("golden");
    find_cases();
    tcase_add_test(tc, test_golden_present);
    if (ncases > 0) {
        tcase_add_loop_test(tc, test_golden_file, 0, ncases);
    }
    suite_add_tcase(s, tc);

    tc = tcase_create("pipeline");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_unknown_names);
    tcase_add_test(tc, test_callback_order);
    tcase_add_test(tc, test_callback_rounds);
    tcase_add_test(tc, test_verify_after_pass);
    tcase_add_test(tc, test_O0_identical);
    suite_add_tcase(s, tc);

    tc = tcase_create("nomem");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_nomem_pagerank);
    tcase_add_test(tc, test_nomem_loops);
    suite_add_tcase(s, tc);

    tc = tcase_create("semantics");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_fold_matches_step);
    tcase_add_test(tc, test_library_O1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc = tu_run(passes_suite());
    int i;
    for (i = 0; i < ncases; i++) {
        free(cases[i]);
    }
    free(cases);
    return rc;
}
