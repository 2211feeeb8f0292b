/*
 * check_ir.c - unit tests of the IR core (src/engine/ir): the op and type
 * tables, the typing rules, the builder, the verifier, the printer and the
 * parser.
 *
 *  - golden programs: PageRank (DESIGN.md), nested loops of every kind,
 *    constants, and one instance of every op of gr_ops.def, built with the
 *    builder and compared with tests/golden/ir/NAME.ir; every golden file
 *    is canonical (parse then print gives it back) and together they name
 *    every op;
 *  - print/parse/print and clone round trips, every aggregation that types;
 *  - every verifier rule broken once, on a clone of a parsed program, with
 *    the exact message; builder and parser errors with exact messages and
 *    locations;
 *  - an allocation-failure loop over building, printing and parsing (run
 *    under valgrind with CK_FORK=no for leaks).
 * On a golden mismatch the actual text is written to
 * $builddir/tests/NAME.ir.actual.
 */
#include "config.h"
#include "testutil.h"
#include "engine/ir/ir.h"
#include "common/mem.h"

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers -------------------------------------------------------------- */

static void ok_at(int rc, const gr_error *err, const char *file, int line)
{
    char buf[700];
    if (rc != GR_OK) {
        ck_abort_msg("%s:%d: rc %d: %s", file, line, rc, gr_error_format(err, buf, sizeof buf));
    }
}
#define OK(expr) ok_at((expr), &err, __FILE__, __LINE__)

/* Assert that err holds code and formats exactly as want. */
static void err_is_at(int rc, const gr_error *err, int code, const char *want, const char *file,
                      int line)
{
    char buf[700];
    gr_error_format(err, buf, sizeof buf);
    ck_assert_msg(rc == code && err->code == code, "%s:%d: rc %d, code %d (want %d): %s", file,
                  line, rc, err->code, code, buf);
    ck_assert_msg(strcmp(buf, want) == 0, "%s:%d: message\n  got:  %s\n  want: %s", file, line,
                  buf, want);
}
#define ERR_IS(expr, code, want) err_is_at((expr), &err, (code), (want), __FILE__, __LINE__)

/* Assert two texts are equal, showing both when not. */
static void same_text_at(const char *got, const char *want, const char *file, int line)
{
    ck_assert_msg(strcmp(got, want) == 0, "%s:%d: text differs\n--- got:\n%s--- want:\n%s",
                  file, line, got, want);
}
#define SAME_TEXT(got, want) same_text_at((got), (want), __FILE__, __LINE__)

static const char *srcdir(void)
{
    const char *s = getenv("GR_SRCDIR");
    return s ? s : GR_SRCDIR;
}

/* Compare text with tests/golden/ir/NAME.ir. */
static void check_golden(const char *name, const char *text)
{
    char path[1200];
    char *want;
    snprintf(path, sizeof path, "%s/tests/golden/ir/%s.ir", srcdir(), name);
    want = tu_slurp(path, NULL);
    if (!want || strcmp(want, text) != 0) {
        char out[1200];
        FILE *f;
        snprintf(out, sizeof out, "%s/tests/%s.ir.actual", GR_BUILDDIR, name);
        if ((f = fopen(out, "w")) != NULL) {
            fputs(text, f);
            fclose(f);
        }
        ck_abort_msg("%s differs from the golden file (actual text in %s):\n%s", path, out, text);
    }
    free(want);
}

/* print(p); parse; print again: the same text.  Also for a clone.
 * Returns the printed text (caller frees with gr_free_string). */
static char *round_trip(const gr_program *p)
{
    gr_error err;
    gr_program *q = NULL, *c = NULL;
    char *t1 = NULL, *t2 = NULL, *t3 = NULL;
    gr_error_clear(&err);
    OK(gr_program_verify(p, &err));
    OK(gr_program_print(p, &t1, &err));
    OK(gr_program_parse(t1, "rt.ir", &q, &err));
    OK(gr_program_print(q, &t2, &err));
    ck_assert_msg(strcmp(t1, t2) == 0, "round trip differs:\n%s\n---\n%s", t1, t2);
    ck_assert_int_eq(gr_program_op_count(p), gr_program_op_count(q));
    OK(gr_ir_clone(p, &c, &err));
    OK(gr_program_print(c, &t3, &err));
    ck_assert_str_eq(t1, t3);
    gr_free_string(&t2);
    gr_free_string(&t3);
    gr_program_free(&q);
    gr_program_free(&c);
    return t1;
}

/* Apply op to 1-3 operands with the builder. */
static gr_vid op1(gr_builder *b, gr_opcode op, gr_vid a)
{
    gr_error err;
    gr_vid r;
    gr_error_clear(&err);
    OK(gr_builder_op(b, op, &a, 1, &r, &err));
    return r;
}

static gr_vid op2(gr_builder *b, gr_opcode op, gr_vid a, gr_vid c)
{
    gr_error err;
    gr_vid r, v[2] = {a, c};
    gr_error_clear(&err);
    OK(gr_builder_op(b, op, v, 2, &r, &err));
    return r;
}

static gr_vid op3(gr_builder *b, gr_opcode op, gr_vid a, gr_vid c, gr_vid d)
{
    gr_error err;
    gr_vid r, v[3] = {a, c, d};
    gr_error_clear(&err);
    OK(gr_builder_op(b, op, v, 3, &r, &err));
    return r;
}

static gr_vid op0(gr_builder *b, gr_opcode op)
{
    gr_error err;
    gr_vid r;
    gr_error_clear(&err);
    OK(gr_builder_op(b, op, NULL, 0, &r, &err));
    return r;
}

static gr_vid cf(gr_builder *b, double x)
{
    gr_error err;
    gr_vid r;
    gr_error_clear(&err);
    OK(gr_builder_const_f64(b, x, &r, &err));
    return r;
}

static gr_vid ci(gr_builder *b, int64_t x)
{
    gr_error err;
    gr_vid r;
    gr_error_clear(&err);
    OK(gr_builder_const_i64(b, x, &r, &err));
    return r;
}

static void name(gr_builder *b, gr_vid v, const char *s)
{
    gr_error err;
    gr_error_clear(&err);
    OK(gr_builder_name(b, v, s, &err));
}

/* Finish, check against the golden file, round-trip; returns the program. */
static gr_program *finish_golden(gr_builder *b, const char *golden)
{
    gr_error err;
    gr_program *p;
    char *t;
    gr_error_clear(&err);
    OK(gr_builder_finish(b, &p, &err));
    t = round_trip(p);
    if (golden) {
        check_golden(golden, t);
    }
    gr_free_string(&t);
    return p;
}

/* --- PageRank, as DESIGN.md writes it ------------------------------------- */

#define T(x)                                                                  \
    do {                                                                      \
        if ((rc = (x)) != GR_OK) {                                            \
            goto done;                                                        \
        }                                                                     \
    } while (0)

/* Build PageRank with the builder, propagating errors (the failure
 * injection test runs this). */
static int build_pagerank(gr_program **out, gr_error *err)
{
    gr_builder *b = NULL;
    gr_vid damping, tol, maxit, n, od, inv, zero, sink, one, r0, rank, inner, zf, w, dang, m,
        agg, t1, t2, t3, t4, t5, next, res, v[3];
    const char *names[1] = {"rank"};
    int rc;
    T(gr_builder_new("pagerank", &b, err));
    gr_builder_set_loc(b, "pagerank.grl", 2, 1);
    T(gr_builder_param(b, "damping", GR_T_F64, 0.85, 0, &damping, err));
    T(gr_builder_param(b, "tol", GR_T_F64, 1e-6, 0, &tol, err));
    T(gr_builder_param(b, "max_iter", GR_T_I64, 0, 100, &maxit, err));
    gr_builder_set_loc(b, "pagerank.grl", 3, 10);
    T(gr_builder_op(b, GR_OP_NODE_COUNT, NULL, 0, &n, err));
    T(gr_builder_name(b, n, "n", err));
    gr_builder_set_loc(b, "pagerank.grl", 4, 10);
    T(gr_builder_op(b, GR_OP_OUT_DEGREE, NULL, 0, &od, err));
    T(gr_builder_op(b, GR_OP_RECIP, &od, 1, &inv, err));
    T(gr_builder_name(b, inv, "inv", err));
    gr_builder_set_loc(b, "pagerank.grl", 5, 10);
    T(gr_builder_op(b, GR_OP_OUT_DEGREE, NULL, 0, &od, err));
    T(gr_builder_const_i64(b, 0, &zero, err));
    v[0] = od;
    v[1] = zero;
    T(gr_builder_op(b, GR_OP_EQ, v, 2, &sink, err));
    T(gr_builder_name(b, sink, "sink", err));
    gr_builder_set_loc(b, "pagerank.grl", 6, 10);
    T(gr_builder_const_f64(b, 1, &one, err));
    v[0] = one;
    v[1] = n;
    T(gr_builder_op(b, GR_OP_DIV, v, 2, &r0, err));
    T(gr_builder_op(b, GR_OP_FILL, &r0, 1, &rank, err));
    T(gr_builder_name(b, rank, "rank", err));
    gr_builder_set_loc(b, "pagerank.grl", 7, 5);
    T(gr_builder_loop_begin(b, GR_LOOP_CONVERGED, maxit, tol, 1, &rank, 0, &inner, err));
    T(gr_builder_name(b, inner, "rank", err));
    gr_builder_set_loc(b, "pagerank.grl", 8, 16);
    T(gr_builder_const_f64(b, 0, &zf, err));
    v[0] = sink;
    v[1] = inner;
    v[2] = zf;
    T(gr_builder_op(b, GR_OP_WHERE, v, 3, &w, err));
    T(gr_builder_op(b, GR_OP_REDUCE_SUM, &w, 1, &dang, err));
    T(gr_builder_name(b, dang, "dang", err));
    gr_builder_set_loc(b, "pagerank.grl", 9, 16);
    v[0] = inner;
    v[1] = inv;
    T(gr_builder_op(b, GR_OP_MUL, v, 2, &m, err));
    T(gr_builder_agg(b, GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, m, &agg, err));
    v[0] = damping;
    v[1] = agg;
    T(gr_builder_op(b, GR_OP_MUL, v, 2, &t1, err));
    T(gr_builder_const_f64(b, 1, &one, err));
    v[0] = one;
    v[1] = damping;
    T(gr_builder_op(b, GR_OP_SUB, v, 2, &t2, err));
    v[0] = damping;
    v[1] = dang;
    T(gr_builder_op(b, GR_OP_MUL, v, 2, &t3, err));
    v[0] = t2;
    v[1] = t3;
    T(gr_builder_op(b, GR_OP_ADD, v, 2, &t4, err));
    v[0] = t4;
    v[1] = n;
    T(gr_builder_op(b, GR_OP_DIV, v, 2, &t5, err));
    v[0] = t1;
    v[1] = t5;
    T(gr_builder_op(b, GR_OP_ADD, v, 2, &next, err));
    T(gr_builder_name(b, next, "rank", err));
    gr_builder_set_loc(b, "pagerank.grl", 10, 5);
    T(gr_builder_loop_end(b, &next, &res, err));
    T(gr_builder_name(b, res, "rank", err));
    gr_builder_set_loc(b, "pagerank.grl", 11, 5);
    T(gr_builder_return(b, 1, &res, names, err));
    T(gr_builder_finish(b, out, err));
done:
    gr_builder_free(&b);
    return rc;
}

START_TEST(test_pagerank_golden)
{
    gr_error err;
    gr_program *p = NULL;
    const char *pname;
    gr_type type;
    double fd;
    int64_t id;
    char *t;
    gr_error_clear(&err);
    OK(build_pagerank(&p, &err));
    t = round_trip(p);
    check_golden("pagerank", t);
    gr_free_string(&t);
    ck_assert_str_eq(gr_program_name(p), "pagerank");
    ck_assert_int_eq(gr_program_nparams(p), 3);
    ck_assert_int_eq(gr_program_param(p, 1, &pname, &type, &fd, &id), GR_OK);
    ck_assert_str_eq(pname, "tol");
    ck_assert_int_eq(type, GR_T_F64);
    ck_assert(fd == 1e-6);
    ck_assert_int_eq(gr_program_param(p, 2, NULL, &type, NULL, &id), GR_OK);
    ck_assert_int_eq(type, GR_T_I64);
    ck_assert_int_eq(id, 100);
    ck_assert_int_eq(gr_program_param(p, 3, NULL, NULL, NULL, NULL), GR_ERR_RANGE);
    ck_assert_int_eq(gr_program_param(p, -1, NULL, NULL, NULL, NULL), GR_ERR_RANGE);
    /* 28 ops: yield and return are not counted. */
    ck_assert_int_eq(gr_program_op_count(p), 28);
    /* The locations given to the builder, printed as comments on request. */
    OK(gr_ir_print(p, 1, &t, &err));
    ck_assert_ptr_nonnull(strstr(t, "  %3.n : i64 = node_count()  # pagerank.grl:3:10\n"));
    ck_assert_ptr_nonnull(strstr(t, "carry(%14.rank : f64v = %13) {  # pagerank.grl:7:5\n"));
    ck_assert_ptr_nonnull(strstr(t, "    yield %27  # pagerank.grl:10:5\n"));
    gr_free_string(&t);
    gr_program_free(&p);
    gr_program_free(&p); /* NULL: no-op */
}
END_TEST

/* --- every op, from the table --------------------------------------------- */

START_TEST(test_every_op_golden)
{
    gr_error err;
    gr_builder *b;
    gr_program *p;
    gr_vid fv, iv, m, fs, last = -1;
    int op;
    gr_error_clear(&err);
    OK(gr_builder_new("every_op", &b, &err));
    fs = cf(b, 1.5);
    fv = op1(b, GR_OP_FILL, fs);
    iv = op0(b, GR_OP_NODE_INDEX);
    m = op2(b, GR_OP_GT, fv, cf(b, 0));
    for (op = 0; op < GR_OP__COUNT; op++) {
        const gr_opinfo *info = gr_op_info(op);
        gr_vid r = -1;
        switch (info->sig) {
        case GR_SIG_CONST: case GR_SIG_PARAM: case GR_SIG_AGG: case GR_SIG_LOOP:
        case GR_SIG_YIELD: case GR_SIG_RETURN:
            continue; /* their own builder calls; tested elsewhere */
        case GR_SIG_FUSED: case GR_SIG_AGG_FUSED:
            continue; /* made by the fusion passes only: golden file fused.ir */
        case GR_SIG_SRC_I64: case GR_SIG_SRC_I64V: r = op0(b, op); break;
        case GR_SIG_FILL: r = op1(b, op, fs); break;
        case GR_SIG_NBR: r = op1(b, op, ci(b, 1)); break;
        case GR_SIG_NUM2: case GR_SIG_FLT2: case GR_SIG_CMP: case GR_SIG_DIST:
            r = op2(b, op, fv, fv);
            break;
        case GR_SIG_NUM1: case GR_SIG_FLT1: case GR_SIG_TOI64: case GR_SIG_RED:
        case GR_SIG_RED_F64:
            r = op1(b, op, fv);
            break;
        case GR_SIG_TOF64: case GR_SIG_TOBOOL: r = op1(b, op, iv); break;
        case GR_SIG_LOG2: r = op2(b, op, m, m); break;
        case GR_SIG_LOG1: case GR_SIG_RED_I64: case GR_SIG_RED_BOOL: r = op1(b, op, m); break;
        case GR_SIG_WHERE: r = op3(b, op, m, fv, fv); break;
        case GR_SIG_GATHER: r = op2(b, op, fv, iv); break;
        case GR_SIG_SCATTER: r = op3(b, op, fv, iv, fv); break;
        case GR_SIG_LINK: r = op2(b, op, iv, iv); break;
        case GR_SIG_PRINT:
            ck_assert_int_eq(op1(b, op, fv), -1);
            continue;
        default:
            ck_abort_msg("no test case for the sig of op '%s'", info->name);
        }
        name(b, r, info->name);
        last = r;
    }
    OK(gr_builder_return(b, 1, &last, NULL, &err));
    p = finish_golden(b, "every_op");
    gr_program_free(&p);
    gr_builder_free(&b);
    gr_builder_free(&b); /* NULL: no-op */
}
END_TEST

/* Every golden file is canonical, and the golden files name every op. */
START_TEST(test_golden_files)
{
    char dir[1100], path[1400];
    DIR *d;
    struct dirent *e;
    int seen[GR_OP__COUNT] = {0}, nfiles = 0, op;
    snprintf(dir, sizeof dir, "%s/tests/golden/ir", srcdir());
    d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        gr_error err;
        gr_program *p;
        char *text, *t;
        if (n < 4 || strcmp(e->d_name + n - 3, ".ir") != 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        text = tu_slurp(path, NULL);
        ck_assert_ptr_nonnull(text);
        gr_error_clear(&err);
        OK(gr_program_parse(text, e->d_name, &p, &err));
        OK(gr_program_print(p, &t, &err));
        ck_assert_msg(strcmp(t, text) == 0, "%s is not in canonical form:\n%s", path, t);
        for (op = 0; op < GR_OP__COUNT; op++) {
            char pat[64];
            const char *nm = gr_op_name(op);
            snprintf(pat, sizeof pat, " = %s(", nm);
            if (strstr(t, pat) || (op == GR_OP_CONST && strstr(t, " = const ")) ||
                (op == GR_OP_PARAM && strstr(t, " = param ")) ||
                (op == GR_OP_AGG && strstr(t, " = agg[")) ||
                (op == GR_OP_FUSED && strstr(t, " = fused[")) ||
                (op == GR_OP_AGG_FUSED && strstr(t, " = agg_fused[")) ||
                (op == GR_OP_LOOP && strstr(t, "loop ")) ||
                (op == GR_OP_YIELD && strstr(t, " yield")) ||
                (op == GR_OP_RETURN && strstr(t, " return")) ||
                (op == GR_OP_PRINT && strstr(t, " print("))) {
                seen[op] = 1;
            }
        }
        gr_free_string(&t);
        gr_program_free(&p);
        free(text);
        nfiles++;
    }
    closedir(d);
    ck_assert_int_ge(nfiles, 4);
    for (op = 0; op < GR_OP__COUNT; op++) {
        ck_assert_msg(seen[op], "no golden IR file uses op '%s'", gr_op_name(op));
    }
}
END_TEST

/* --- loops ---------------------------------------------------------------- */

START_TEST(test_loops_golden)
{
    gr_error err;
    gr_builder *b;
    gr_program *p;
    gr_vid n, eps, flag, x0, lab0, c0, in[2], lab, init[2], next[2], res[2], one, cnt, m, mn,
        three, xl, sc, sum, half, sums, last, lres;
    const char *rn[3] = {"x", "count", NULL}; /* the third is "result3" */
    gr_error_clear(&err);
    OK(gr_builder_new("loops", &b, &err));
    OK(gr_builder_param(b, "n", GR_T_I64, 0, 10, &n, &err));
    OK(gr_builder_param(b, "eps", GR_T_F64, 0.001, 0, &eps, &err));
    OK(gr_builder_param(b, "flag", GR_T_BOOL, 0, 1, &flag, &err));
    x0 = op1(b, GR_OP_FILL, eps);
    name(b, x0, "x");
    lab0 = op0(b, GR_OP_NODE_ID);
    c0 = ci(b, 0);
    /* converged, carrying a vector and a scalar */
    init[0] = x0;
    init[1] = c0;
    OK(gr_builder_loop_begin(b, GR_LOOP_CONVERGED, n, eps, 2, init, 0, in, &err));
    name(b, in[0], "x");
    name(b, in[1], "count");
    one = ci(b, 1);
    cnt = op2(b, GR_OP_ADD, in[1], one);
    /* nested two deep: unchanged inside converged */
    OK(gr_builder_loop_begin(b, GR_LOOP_UNCHANGED, n, -1, 1, &lab0, 0, &lab, &err));
    name(b, lab, "lab");
    OK(gr_builder_agg(b, GR_DIR_BOTH, GR_MON_MODE, GR_MSG_X, 1, lab, &m, &err));
    mn = op2(b, GR_OP_MIN, lab, m);
    OK(gr_builder_loop_end(b, &mn, &lres, &err));
    /* a repeat without carried values, printing (its test index is ignored) */
    three = ci(b, 3);
    OK(gr_builder_loop_begin(b, GR_LOOP_REPEAT, three, -1, 0, NULL, 5, NULL, &err));
    ck_assert_int_eq(op1(b, GR_OP_PRINT, in[0]), -1);
    ck_assert_int_eq(op1(b, GR_OP_PRINT, flag), -1);
    OK(gr_builder_loop_end(b, NULL, NULL, &err));
    xl = op1(b, GR_OP_TO_F64, lres);
    sc = op2(b, GR_OP_MUL, in[0], eps);
    next[0] = op2(b, GR_OP_ADD, sc, xl);
    next[1] = cnt;
    OK(gr_builder_loop_end(b, next, res, &err));
    name(b, res[0], "x");
    name(b, res[1], "count");
    /* a repeat carrying an f64 whose next value is an i64 (converted), then
     * a converged loop with an i64 tol (converted) */
    half = cf(b, 0.5);
    OK(gr_builder_loop_begin(b, GR_LOOP_REPEAT, res[1], -1, 1, &half, 0, in, &err));
    sum = op1(b, GR_OP_REDUCE_SUM, op0(b, GR_OP_IN_DEGREE));
    OK(gr_builder_loop_end(b, &sum, &sums, &err));
    ck_assert_int_eq(gr_builder_type(b, sums), GR_T_F64);
    OK(gr_builder_loop_begin(b, GR_LOOP_CONVERGED, n, c0, 1, &sums, 0, in, &err));
    OK(gr_builder_loop_end(b, in, &last, &err));
    {
        gr_vid ret[3] = {res[0], res[1], last};
        OK(gr_builder_return(b, 3, ret, rn, &err));
    }
    p = finish_golden(b, "loops");
    gr_program_free(&p);
    gr_builder_free(&b);
}
END_TEST

/* --- constants ------------------------------------------------------------ */

START_TEST(test_consts_golden)
{
    static const double fs[] = {0.0, -0.0, 1.0, -2.5, 0.1, 1.0 / 3.0, 100.0, 1e15, 1e16,
                                123456789012345678.0, 1e-5, 5e-324, DBL_MAX, -DBL_MIN,
                                1e300, INFINITY, -INFINITY, NAN};
    static const int64_t is[] = {0, -1, 42, INT64_MAX, INT64_MIN};
    gr_error err;
    gr_builder *b;
    gr_program *p, *q;
    gr_vid v, first = -1, t, f, pa, pb, pc;
    size_t i;
    char *text;
    gr_error_clear(&err);
    OK(gr_builder_new("consts", &b, &err));
    OK(gr_builder_param(b, "a", GR_T_F64, -0.0, 7, &pa, &err));
    OK(gr_builder_param(b, "b", GR_T_I64, 3.5, INT64_MIN, &pb, &err));
    OK(gr_builder_param(b, "c", GR_T_BOOL, 0, 5, &pc, &err)); /* stored as true */
    OK(gr_builder_param(b, "d", GR_T_F64, NAN, 0, &v, &err));
    OK(gr_builder_param(b, "e", GR_T_F64, -INFINITY, 0, &v, &err));
    for (i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        v = cf(b, fs[i]);
        first = first < 0 ? v : first;
    }
    for (i = 0; i < sizeof is / sizeof is[0]; i++) {
        ci(b, is[i]);
    }
    OK(gr_builder_const_bool(b, 1, &t, &err));
    OK(gr_builder_const_bool(b, -7, &f, &err)); /* any non-zero is true */
    OK(gr_builder_const_bool(b, 0, &f, &err));
    OK(gr_builder_return(b, 1, &first, NULL, &err));
    p = finish_golden(b, "consts");

    /* The parsed constants have the same bits. */
    OK(gr_program_print(p, &text, &err));
    OK(gr_program_parse(text, "c.ir", &q, &err));
    for (i = 0; i < (size_t)p->top.n; i++) {
        const gr_inst *a = &p->top.insts[i], *c = &q->top.insts[i];
        ck_assert_int_eq(a->op, c->op);
        if (a->op == GR_OP_CONST && p->values[a->result].type == GR_T_F64) {
            ck_assert(memcmp(&a->attrs.f, &c->attrs.f, sizeof a->attrs.f) == 0 ||
                      (isnan(a->attrs.f) && isnan(c->attrs.f)));
        } else if (a->op == GR_OP_CONST) {
            ck_assert(a->attrs.i == c->attrs.i);
        }
    }
    ck_assert(signbit(q->params[0].fdefault) && q->params[0].fdefault == 0);
    ck_assert(q->params[1].idefault == INT64_MIN);
    ck_assert(q->params[2].idefault == 1);
    ck_assert(isnan(q->params[3].fdefault));
    ck_assert(q->params[4].fdefault == -INFINITY);
    gr_free_string(&text);
    gr_free_string(&text); /* NULL: no-op */
    gr_free_string(NULL);
    gr_program_free(&q);
    gr_program_free(&p);
    gr_builder_free(&b);
}
END_TEST

/* --- aggregation: every combination --------------------------------------- */

START_TEST(test_agg_combinations)
{
    static const gr_type xs[] = {GR_T_F64V, GR_T_I64V, GR_T_MASK};
    gr_error err;
    gr_builder *b;
    gr_program *p;
    gr_vid x[3], r, last = -1;
    int xi, dir, mon, msg, self, typed = 0, refused = 0;
    char why[GR_ERROR_MSG_MAX];
    char *text;
    gr_error_clear(&err);
    OK(gr_builder_new("aggs", &b, &err));
    x[0] = op1(b, GR_OP_FILL, cf(b, 2.0));
    x[1] = op0(b, GR_OP_NODE_ID);
    x[2] = op2(b, GR_OP_GT, x[0], x[1]);
    for (xi = 0; xi < 3; xi++) {
        for (dir = GR_DIR_IN; dir <= GR_DIR_BOTH; dir++) {
            for (mon = GR_MON_SUM; mon <= GR_MON_MODE; mon++) {
                for (msg = GR_MSG_X; msg <= GR_MSG_W; msg++) {
                    for (self = 0; self <= 1; self++) {
                        gr_type want = gr_agg_result_type(mon, msg, xs[xi], why, sizeof why);
                        int rc;
                        char full[700];
                        gr_error_clear(&err);
                        rc = gr_builder_agg(b, dir, mon, msg, self, x[xi], &r, &err);
                        if (want == GR_T_NONE) {
                            ck_assert_int_eq(rc, GR_ERR_TYPE);
                            ck_assert_str_eq(gr_error_format(&err, full, sizeof full), why);
                            refused++;
                            continue;
                        }
                        OK(rc);
                        ck_assert_int_eq(gr_builder_type(b, r), want);
                        last = r;
                        typed++;
                    }
                }
            }
        }
    }
    /* 3 dirs x 2 self x the message/monoid pairs that type: f64v 4 x 5
     * (sum, min, max, mean, count), i64v those and mode over x, mask count
     * and any over x and the 5 over w */
    ck_assert_int_eq(typed, 3 * 2 * (20 + 21 + 7));
    ck_assert_int_eq(typed + refused, 3 * 3 * 7 * 4 * 2);
    OK(gr_builder_return(b, 1, &last, NULL, &err));
    OK(gr_builder_finish(b, &p, &err));
    text = round_trip(p);
    ck_assert_ptr_nonnull(strstr(text, " : i64v = agg[both, mode, x, self](%2)\n"));
    ck_assert_ptr_nonnull(strstr(text, " : f64v = agg[out, mean, mul_w](%1)\n"));
    ck_assert_ptr_nonnull(strstr(text, " : mask = agg[in, any, x](%4)\n"));
    ck_assert_ptr_nonnull(strstr(text, " : f64v = agg[in, max, w, self](%4)\n"));
    gr_free_string(&text);
    gr_program_free(&p);
    gr_builder_free(&b);
}
END_TEST

/* --- typing rules --------------------------------------------------------- */

START_TEST(test_typing_rules)
{
    struct {
        gr_opcode op;
        int n;
        gr_type in[3];
        gr_type want, comp;
    } cases[] = {
        {GR_OP_ADD, 2, {GR_T_I64, GR_T_F64V}, GR_T_F64V, GR_T_F64},
        {GR_OP_ADD, 2, {GR_T_I64V, GR_T_I64}, GR_T_I64V, GR_T_I64},
        {GR_OP_MIN, 2, {GR_T_F64, GR_T_F64}, GR_T_F64, GR_T_F64},
        {GR_OP_NEG, 1, {GR_T_I64V}, GR_T_I64V, GR_T_I64},
        {GR_OP_POW, 2, {GR_T_I64, GR_T_I64}, GR_T_F64, GR_T_F64},
        {GR_OP_SQRT, 1, {GR_T_I64V}, GR_T_F64V, GR_T_F64},
        {GR_OP_LT, 2, {GR_T_I64V, GR_T_F64}, GR_T_MASK, GR_T_F64},
        {GR_OP_EQ, 2, {GR_T_I64, GR_T_I64}, GR_T_BOOL, GR_T_I64},
        {GR_OP_AND, 2, {GR_T_BOOL, GR_T_MASK}, GR_T_MASK, GR_T_BOOL},
        {GR_OP_NOT, 1, {GR_T_BOOL}, GR_T_BOOL, GR_T_BOOL},
        {GR_OP_WHERE, 3, {GR_T_BOOL, GR_T_I64V, GR_T_F64}, GR_T_F64V, GR_T_F64},
        {GR_OP_WHERE, 3, {GR_T_MASK, GR_T_I64, GR_T_I64}, GR_T_I64V, GR_T_I64},
        {GR_OP_TO_F64, 1, {GR_T_MASK}, GR_T_F64V, GR_T_F64},
        {GR_OP_TO_I64, 1, {GR_T_F64}, GR_T_I64, GR_T_F64},
        {GR_OP_TO_BOOL, 1, {GR_T_I64V}, GR_T_MASK, GR_T_I64},
        {GR_OP_FILL, 1, {GR_T_BOOL}, GR_T_MASK, GR_T_BOOL},
        {GR_OP_GATHER, 2, {GR_T_MASK, GR_T_I64V}, GR_T_MASK, GR_T_BOOL},
        {GR_OP_SCATTER_SUM, 3, {GR_T_F64V, GR_T_I64V, GR_T_I64V}, GR_T_F64V, GR_T_F64},
        {GR_OP_REDUCE_SUM, 1, {GR_T_I64V}, GR_T_I64, GR_T_I64},
        {GR_OP_REDUCE_MEAN, 1, {GR_T_I64V}, GR_T_F64, GR_T_I64},
        {GR_OP_COUNT, 1, {GR_T_MASK}, GR_T_I64, GR_T_BOOL},
        {GR_OP_COUNT, 1, {GR_T_F64V}, GR_T_I64, GR_T_F64},
        {GR_OP_ALL, 1, {GR_T_MASK}, GR_T_BOOL, GR_T_BOOL},
        {GR_OP_DIST_L1, 2, {GR_T_I64V, GR_T_I64V}, GR_T_F64, GR_T_I64},
        {GR_OP_DIST_LINF, 2, {GR_T_I64V, GR_T_F64V}, GR_T_F64, GR_T_F64},
        {GR_OP_NODE_COUNT, 0, {GR_T_NONE}, GR_T_I64, GR_T_NONE},
        {GR_OP_DEGREE, 0, {GR_T_NONE}, GR_T_I64V, GR_T_NONE},
    };
    char why[200];
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gr_type t = gr_op_result_type(cases[i].op, cases[i].in, cases[i].n, why, sizeof why);
        ck_assert_msg(t == cases[i].want && why[0] == '\0', "case %zu (%s): %s, %s", i,
                      gr_op_name(cases[i].op), gr_type_name(t), why);
        ck_assert_msg(gr_op_compute_elem(cases[i].op, cases[i].in, cases[i].n) == cases[i].comp,
                      "case %zu: compute type", i);
    }
    /* print has no result and no error; const/param/agg/loop are not typed here */
    {
        gr_type in[1] = {GR_T_MASK};
        ck_assert_int_eq(gr_op_result_type(GR_OP_PRINT, in, 1, why, sizeof why), GR_T_NONE);
        ck_assert_str_eq(why, "");
        ck_assert_int_eq(gr_op_result_type(GR_OP_CONST, NULL, 0, why, sizeof why), GR_T_NONE);
        ck_assert_str_eq(why, "the type of const does not follow from its operands");
        ck_assert_int_eq(gr_op_result_type((gr_opcode)999, NULL, 0, NULL, 0), GR_T_NONE);
    }
    ck_assert(gr_op_operand_promotes(GR_OP_WHERE, 1) && !gr_op_operand_promotes(GR_OP_WHERE, 0));
    ck_assert(gr_op_operand_promotes(GR_OP_SCATTER_MIN, 2));
    ck_assert(!gr_op_operand_promotes(GR_OP_SCATTER_MIN, 0));
    ck_assert(!gr_op_operand_promotes(GR_OP_GATHER, 1));
    ck_assert(gr_op_operand_promotes(GR_OP_RECIP, 0) && !gr_op_operand_promotes(GR_OP_RECIP, 1));
    ck_assert(!gr_op_operand_promotes(GR_OP_TO_F64, 0));
    /* agg */
    ck_assert_int_eq(gr_agg_result_type(GR_MON_SUM, GR_MSG_X, GR_T_I64V, NULL, 0), GR_T_I64V);
    ck_assert_int_eq(gr_agg_result_type(GR_MON_MIN, GR_MSG_ADD_W, GR_T_I64V, NULL, 0), GR_T_F64V);
    ck_assert_int_eq(gr_agg_result_type(GR_MON_MAX, GR_MSG_W, GR_T_MASK, NULL, 0), GR_T_F64V);
    ck_assert_int_eq(gr_agg_result_type(GR_MON_MEAN, GR_MSG_X, GR_T_I64V, NULL, 0), GR_T_F64V);
    ck_assert_int_eq(gr_agg_result_type(GR_MON_COUNT, GR_MSG_X, GR_T_MASK, NULL, 0), GR_T_I64V);
    ck_assert_int_eq(gr_agg_result_type(GR_MON_ANY, GR_MSG_X, GR_T_MASK, NULL, 0), GR_T_MASK);
    ck_assert_int_eq(gr_agg_result_type(GR_MON_MODE, GR_MSG_X, GR_T_I64V, NULL, 0), GR_T_I64V);
    ck_assert_int_eq(gr_agg_result_type(GR_MON_MODE, GR_MSG_W, GR_T_I64V, why, sizeof why),
                     GR_T_NONE);
    ck_assert_str_eq(why, "agg mode needs i64 labels (msg x over an i64v), not w over an i64v");
    ck_assert_int_eq(gr_agg_result_type((gr_monoid)9, GR_MSG_X, GR_T_I64V, why, sizeof why),
                     GR_T_NONE);
    ck_assert_str_eq(why, "unknown agg monoid 9");
    ck_assert_int_eq(gr_agg_result_type(GR_MON_SUM, (gr_msg)4, GR_T_I64V, why, sizeof why),
                     GR_T_NONE);
    ck_assert_str_eq(why, "unknown agg message 4");
}
END_TEST

START_TEST(test_names)
{
    int op;
    gr_type t;
    for (op = 0; op < GR_OP__COUNT; op++) {
        ck_assert_int_eq(gr_op_lookup(gr_op_name(op)), op);
        ck_assert_str_eq(gr_op_name(op), gr_opinfo_table[op].name);
        ck_assert_ptr_nonnull(gr_opinfo_table[op].doc);
    }
    ck_assert_ptr_null(gr_op_name(GR_OP__COUNT));
    ck_assert_ptr_null(gr_op_name((gr_opcode)-1));
    ck_assert_int_eq(gr_op_lookup("frob"), -1);
    ck_assert_int_eq(gr_op_lookup(NULL), -1);
    for (t = GR_T_F64; t <= GR_T_MASK; t++) {
        ck_assert_int_eq(gr_type_lookup(gr_type_name(t)), t);
        ck_assert_int_eq(gr_type_elem(gr_type_vec(t)), gr_type_elem(t));
    }
    ck_assert_str_eq(gr_type_name(GR_T_NONE), "none");
    ck_assert_str_eq(gr_type_name((gr_type)99), "?");
    ck_assert_int_eq(gr_type_lookup("none"), -1);
    ck_assert_int_eq(gr_type_vec(GR_T_I64), GR_T_I64V);
    ck_assert_int_eq(gr_type_elem(GR_T_MASK), GR_T_BOOL);
    ck_assert_int_eq(gr_dir_lookup(gr_dir_name(GR_DIR_BOTH)), GR_DIR_BOTH);
    ck_assert_int_eq(gr_monoid_lookup(gr_monoid_name(GR_MON_MODE)), GR_MON_MODE);
    ck_assert_int_eq(gr_msg_lookup(gr_msg_name(GR_MSG_MUL_W)), GR_MSG_MUL_W);
    ck_assert_int_eq(gr_loop_lookup(gr_loop_name(GR_LOOP_UNCHANGED)), GR_LOOP_UNCHANGED);
    ck_assert_str_eq(gr_msg_name(GR_MSG_ADD_W), "add_w");
    ck_assert_str_eq(gr_dir_name((gr_dir)3), "?");
    ck_assert_int_eq(gr_monoid_lookup("median"), -1);
    ck_assert(gr_ir_is_name("_a1") && gr_ir_is_name("Z"));
    ck_assert(!gr_ir_is_name("") && !gr_ir_is_name("1a") && !gr_ir_is_name("a-b") &&
              !gr_ir_is_name(NULL));
}
END_TEST

/* --- builder -------------------------------------------------------------- */

/* The builder's conversions: to_f64 where i64 meets f64. */
START_TEST(test_builder_promotion)
{
    gr_error err;
    gr_builder *b;
    gr_program *p;
    gr_vid iv, fv, is, fs, m, r[8], tol, init, inner, res;
    const char *names[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    char *text;
    gr_error_clear(&err);
    OK(gr_builder_new("promo", &b, &err));
    iv = op0(b, GR_OP_NODE_ID);                             /* %0 */
    fv = op1(b, GR_OP_FILL, cf(b, 0.5));                    /* %1, %2 */
    is = ci(b, 3);                                          /* %3 */
    fs = cf(b, 2.0);                                        /* %4 */
    m = op2(b, GR_OP_GT, iv, is);                           /* %5: i64 compare, no conversion */
    r[0] = op2(b, GR_OP_ADD, iv, fs);                       /* %6 = to_f64(%0), %7 */
    r[1] = op2(b, GR_OP_SUB, is, fv);                       /* %8 = to_f64(%3), %9 */
    r[2] = op3(b, GR_OP_WHERE, m, iv, fs);                  /* %10, %11 */
    r[3] = op1(b, GR_OP_SQRT, is);                          /* %12, %13 */
    r[4] = op3(b, GR_OP_SCATTER_SUM, fv, iv, iv);           /* %14, %15 */
    r[5] = op2(b, GR_OP_DIST_L1, iv, fv);                   /* %16, %17 */
    r[6] = op2(b, GR_OP_MUL, iv, is);                       /* %18: all i64 */
    tol = ci(b, 0);                                         /* %19 */
    init = r[0];
    OK(gr_builder_loop_begin(b, GR_LOOP_CONVERGED, is, tol, 1, &init, 0, &inner, &err));
    OK(gr_builder_loop_end(b, &iv, &res, &err));           /* next i64v -> to_f64 */
    r[7] = res;
    OK(gr_builder_return(b, 8, r, names, &err));
    OK(gr_builder_finish(b, &p, &err));
    text = round_trip(p);
    SAME_TEXT(text,
        "algorithm promo() {\n"
        "  %0 : i64v = node_id()\n"
        "  %1 : f64 = const 0.5\n"
        "  %2 : f64v = fill(%1)\n"
        "  %3 : i64 = const 3\n"
        "  %4 : f64 = const 2\n"
        "  %5 : mask = gt(%0, %3)\n"
        "  %6 : f64v = to_f64(%0)\n"
        "  %7 : f64v = add(%6, %4)\n"
        "  %8 : f64 = to_f64(%3)\n"
        "  %9 : f64v = sub(%8, %2)\n"
        "  %10 : f64v = to_f64(%0)\n"
        "  %11 : f64v = where(%5, %10, %4)\n"
        "  %12 : f64 = to_f64(%3)\n"
        "  %13 : f64 = sqrt(%12)\n"
        "  %14 : f64v = to_f64(%0)\n"
        "  %15 : f64v = scatter_sum(%2, %0, %14)\n"
        "  %16 : f64v = to_f64(%0)\n"
        "  %17 : f64 = dist_l1(%16, %2)\n"
        "  %18 : i64v = mul(%0, %3)\n"
        "  %19 : i64 = const 0\n"
        "  %20 : f64 = to_f64(%19)\n"
        "  %23 : f64v = loop converged(test=0, max=%3, tol=%20) carry(%21 : f64v = %7) {\n"
        "    %22 : f64v = to_f64(%0)\n"
        "    yield %22\n"
        "  }\n"
        "  return a = %7, b = %9, c = %11, d = %13, e = %15, f = %17, g = %18, h = %23\n"
        "}\n");
    gr_free_string(&text);
    gr_program_free(&p);
    gr_builder_free(&b);
}
END_TEST

/* Builder errors: exact messages with the builder's location. */
START_TEST(test_builder_errors)
{
    gr_error err;
    gr_builder *b;
    gr_program *p;
    gr_vid fv, iv, m, fs, is, bs, r, inner, res, v[3];
    gr_error_clear(&err);
    OK(gr_builder_new("errs", &b, &err));
    fv = op1(b, GR_OP_FILL, cf(b, 1.0));
    iv = op0(b, GR_OP_NODE_ID);
    m = op2(b, GR_OP_GT, fv, fv);
    fs = cf(b, 2.0);
    is = ci(b, 2);
    OK(gr_builder_const_bool(b, 1, &bs, &err));
    gr_builder_set_loc(b, "t.grl", 3, 7);

#define E2(op, a, c, code, msg)                                                     \
    do {                                                                            \
        v[0] = (a);                                                                 \
        v[1] = (c);                                                                 \
        gr_error_clear(&err);                                                       \
        ERR_IS(gr_builder_op(b, (op), v, 2, &r, &err), (code), (msg));              \
        ck_assert_int_eq(r, -1);                                                    \
    } while (0)
#define E1(op, a, code, msg)                                                        \
    do {                                                                            \
        v[0] = (a);                                                                 \
        gr_error_clear(&err);                                                       \
        ERR_IS(gr_builder_op(b, (op), v, 1, &r, &err), (code), (msg));              \
    } while (0)

    E2(GR_OP_ADD, m, fs, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of add is a mask; use to_i64() or to_f64()");
    E2(GR_OP_MUL, fs, bs, GR_ERR_TYPE,
       "t.grl:3:7: operand 2 of mul is a bool; use to_i64() or to_f64()");
    E2(GR_OP_LT, fv, m, GR_ERR_TYPE,
       "t.grl:3:7: operand 2 of lt is a mask; use to_i64() or to_f64()");
    E2(GR_OP_AND, fv, m, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of and is an f64v; expected a bool or a mask (use to_bool())");
    E2(GR_OP_GATHER, fv, fv, GR_ERR_TYPE,
       "t.grl:3:7: operand 2 of gather is an f64v; expected an i64v of node indices");
    E2(GR_OP_DIST_L1, fv, fs, GR_ERR_TYPE,
       "t.grl:3:7: operand 2 of dist_l1 is an f64; expected a vector");
    E2(GR_OP_LINK, iv, fv, GR_ERR_TYPE,
       "t.grl:3:7: operand 2 of link is an f64v; expected an i64v of node indices");
    E2(GR_OP_LINK, is, iv, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of link is an i64; expected an i64v of node indices");
    E2(GR_OP_ADD, fv, 99, GR_ERR_INVALID, "t.grl:3:7: operand 2 of add: %99 is not a value");
    E2(GR_OP_ADD, -1, fv, GR_ERR_INVALID, "t.grl:3:7: operand 1 of add: %-1 is not a value");
    E1(GR_OP_FILL, fv, GR_ERR_TYPE, "t.grl:3:7: operand 1 of fill is an f64v; expected a scalar");
    E1(GR_OP_OUT_NBR, fs, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of out_nbr is an f64; expected an i64 scalar");
    E1(GR_OP_OUT_NBR, iv, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of out_nbr is an i64v; expected an i64 scalar");
    E1(GR_OP_REDUCE_SUM, m, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of reduce_sum is a mask; use count(), any() or all(), "
       "or to_i64() first");
    E1(GR_OP_REDUCE_MAX, fs, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of reduce_max is an f64; expected a vector");
    E1(GR_OP_ANY, iv, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of any is an i64v; expected a mask (use to_bool())");
    E1(GR_OP_NOT, is, GR_ERR_TYPE,
       "t.grl:3:7: operand 1 of not is an i64; expected a bool or a mask (use to_bool())");
    E1(GR_OP_ADD, fv, GR_ERR_INVALID, "t.grl:3:7: add takes 2 operands, not 1");
    E1(GR_OP_CONST, fv, GR_ERR_INVALID,
       "t.grl:3:7: const is not built with gr_builder_op; use gr_builder_const_f64/_i64/_bool");
    E1(GR_OP_LOOP, fv, GR_ERR_INVALID,
       "t.grl:3:7: loop is not built with gr_builder_op; use gr_builder_loop_begin");
    E1(GR_OP_AGG, fv, GR_ERR_INVALID,
       "t.grl:3:7: agg is not built with gr_builder_op; use gr_builder_agg");
    E1((gr_opcode)500, fv, GR_ERR_INVALID, "t.grl:3:7: op code 500 is not an op");
    v[0] = fv;
    v[1] = iv;
    v[2] = fv;
    gr_error_clear(&err);
    ERR_IS(gr_builder_op(b, GR_OP_WHERE, v, 3, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: operand 1 of where is an f64v; expected a bool or a mask (use to_bool())");
    v[0] = m;
    v[1] = m;
    gr_error_clear(&err);
    ERR_IS(gr_builder_op(b, GR_OP_WHERE, v, 3, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: operand 2 of where is a mask; use to_i64() or to_f64()");
    v[0] = iv;
    v[1] = iv;
    v[2] = fv;
    gr_error_clear(&err);
    ERR_IS(gr_builder_op(b, GR_OP_SCATTER_MIN, v, 3, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: operand 3 of scatter_min is an f64v; expected an i64v like operand 1");
    v[0] = m;
    gr_error_clear(&err);
    ERR_IS(gr_builder_op(b, GR_OP_SCATTER_MIN, v, 3, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: operand 1 of scatter_min is a mask; use to_i64() or to_f64()");

    /* aggregation */
    gr_error_clear(&err);
    ERR_IS(gr_builder_agg(b, GR_DIR_IN, GR_MON_MODE, GR_MSG_X, 0, fv, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: agg mode needs i64 labels (msg x over an i64v), not x over an f64v");
    gr_error_clear(&err);
    ERR_IS(gr_builder_agg(b, GR_DIR_IN, GR_MON_ANY, GR_MSG_X, 0, iv, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: agg any needs mask messages (msg x over a mask), not x over an i64v");
    gr_error_clear(&err);
    ERR_IS(gr_builder_agg(b, GR_DIR_IN, GR_MON_SUM, GR_MSG_ADD_W, 0, m, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: agg message add_w over a mask; use to_f64() first");
    gr_error_clear(&err);
    ERR_IS(gr_builder_agg(b, GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, m, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: agg sum over a mask; use count or any, or to_i64() first");
    gr_error_clear(&err);
    ERR_IS(gr_builder_agg(b, GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, fs, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: operand 1 of agg is an f64; expected a vector");
    gr_error_clear(&err);
    ERR_IS(gr_builder_agg(b, (gr_dir)3, GR_MON_SUM, GR_MSG_X, 0, fv, &r, &err), GR_ERR_INVALID,
           "t.grl:3:7: unknown agg direction 3");

    /* parameters and names */
    gr_error_clear(&err);
    OK(gr_builder_param(b, "k", GR_T_I64, 0, 1, &r, &err));
    ERR_IS(gr_builder_param(b, "k", GR_T_F64, 0, 1, &r, &err), GR_ERR_INVALID,
           "t.grl:3:7: parameter 'k' is declared twice");
    gr_error_clear(&err);
    ERR_IS(gr_builder_param(b, "v", GR_T_F64V, 0, 1, &r, &err), GR_ERR_TYPE,
           "t.grl:3:7: parameter 'v' has type f64v; expected f64, i64 or bool");
    gr_error_clear(&err);
    ERR_IS(gr_builder_param(b, "two words", GR_T_F64, 0, 1, &r, &err), GR_ERR_INVALID,
           "t.grl:3:7: invalid parameter name 'two words': expected letters, digits and '_', "
           "not starting with a digit");
    gr_error_clear(&err);
    ERR_IS(gr_builder_name(b, fv, "9lives", &err), GR_ERR_INVALID,
           "t.grl:3:7: invalid value name '9lives': expected letters, digits and '_', "
           "not starting with a digit");
    gr_error_clear(&err);
    ERR_IS(gr_builder_name(b, 1000, "x", &err), GR_ERR_INVALID,
           "t.grl:3:7: cannot name %1000: not a value");
    ck_assert_int_eq(gr_builder_type(b, 1000), GR_T_NONE);
    ck_assert_int_eq(gr_builder_type(b, fv), GR_T_F64V);

    /* loops */
    gr_error_clear(&err);
    ERR_IS(gr_builder_loop_begin(b, GR_LOOP_REPEAT, fs, -1, 0, NULL, 0, NULL, &err), GR_ERR_TYPE,
           "t.grl:3:7: max_iter of the loop is f64; expected an i64 scalar");
    gr_error_clear(&err);
    ERR_IS(gr_builder_loop_begin(b, GR_LOOP_REPEAT, is, fs, 0, NULL, 0, NULL, &err),
           GR_ERR_INVALID, "t.grl:3:7: only converged loops take a tol (pass -1)");
    gr_error_clear(&err);
    ERR_IS(gr_builder_loop_begin(b, GR_LOOP_CONVERGED, is, fv, 1, &fv, 0, &inner, &err),
           GR_ERR_TYPE, "t.grl:3:7: tol of the loop is f64v; expected an f64 scalar");
    gr_error_clear(&err);
    ERR_IS(gr_builder_loop_begin(b, GR_LOOP_UNCHANGED, is, -1, 1, &fv, 1, &inner, &err),
           GR_ERR_INVALID, "t.grl:3:7: loop test index 1 is out of range (1 carried value)");
    gr_error_clear(&err);
    ERR_IS(gr_builder_loop_begin(b, GR_LOOP_CONVERGED, is, fs, 1, &m, 0, &inner, &err),
           GR_ERR_TYPE, "t.grl:3:7: a converged loop watches a number; carried value 1 is mask");
    gr_error_clear(&err);
    ERR_IS(gr_builder_loop_begin(b, (gr_loop_kind)3, is, -1, 0, NULL, 0, NULL, &err),
           GR_ERR_INVALID, "t.grl:3:7: unknown loop kind 3");
    gr_error_clear(&err);
    ERR_IS(gr_builder_loop_end(b, NULL, NULL, &err), GR_ERR_INVALID,
           "t.grl:3:7: loop_end without an open loop");
    gr_error_clear(&err);
    OK(gr_builder_loop_begin(b, GR_LOOP_UNCHANGED, is, -1, 1, &fv, 0, &inner, &err));
    r = op2(b, GR_OP_ADD, inner, fs);
    ERR_IS(gr_builder_loop_end(b, &m, &res, &err), GR_ERR_TYPE,
           "t.grl:3:7: next value 1 of the loop (%3) is mask; the carried value is f64v");
    gr_error_clear(&err);
    ERR_IS(gr_builder_return(b, 1, &fv, NULL, &err), GR_ERR_INVALID,
           "t.grl:3:7: return inside a loop body (close the loop first)");
    gr_error_clear(&err);
    OK(gr_builder_loop_end(b, &r, &res, &err));
    /* r was defined in the body */
    gr_error_clear(&err);
    E2(GR_OP_ADD, r, fs, GR_ERR_INVALID,
       "t.grl:3:7: value %9 is defined inside a loop body and used after it");
    gr_error_clear(&err);
    ERR_IS(gr_builder_return(b, 1, &inner, NULL, &err), GR_ERR_INVALID,
           "t.grl:3:7: value %8 is defined inside a loop body and used after it");

    /* return, finish */
    gr_error_clear(&err);
    ERR_IS(gr_builder_finish(b, &p, &err), GR_ERR_INVALID, "t.grl:3:7: the program has no return");
    ck_assert_ptr_null(p);
    {
        gr_vid two[2] = {fv, res};
        const char *dup[2] = {"x", "x"}, *bad[2] = {"x", "a.b"};
        gr_error_clear(&err);
        ERR_IS(gr_builder_return(b, 2, two, dup, &err), GR_ERR_INVALID,
               "t.grl:3:7: result name 'x' is used twice");
        gr_error_clear(&err);
        ERR_IS(gr_builder_return(b, 2, two, bad, &err), GR_ERR_INVALID,
               "t.grl:3:7: invalid result name 'a.b': expected letters, digits and '_', "
               "not starting with a digit");
        gr_error_clear(&err);
        OK(gr_builder_return(b, 2, two, NULL, &err));
    }
    gr_error_clear(&err);
    ERR_IS(gr_builder_return(b, 1, &fv, NULL, &err), GR_ERR_INVALID,
           "t.grl:3:7: the program has already returned; nothing may follow the return");
    gr_error_clear(&err);
    E1(GR_OP_NEG, fv, GR_ERR_INVALID,
       "t.grl:3:7: the program has already returned; nothing may follow the return");
    /* the builder stays valid across finish */
    gr_error_clear(&err);
    {
        gr_program *p2;
        char *t1, *t2;
        OK(gr_builder_finish(b, &p, &err));
        OK(gr_builder_finish(b, &p2, &err));
        OK(gr_program_print(p, &t1, &err));
        OK(gr_program_print(p2, &t2, &err));
        ck_assert_str_eq(t1, t2);
        ck_assert_ptr_nonnull(strstr(t1, "  return result = %1, result2 = %10\n"));
        gr_free_string(&t1);
        gr_free_string(&t2);
        gr_program_free(&p2);
        gr_program_free(&p);
    }
    gr_builder_free(&b);

    gr_error_clear(&err);
    ERR_IS(gr_builder_new("no good", &b, &err), GR_ERR_INVALID,
           "invalid algorithm name 'no good': expected letters, digits and '_', "
           "not starting with a digit");
    ck_assert_ptr_null(b);
#undef E1
#undef E2
}
END_TEST

/* --- verifier ------------------------------------------------------------- */

/* The program every verifier case corrupts a clone of.  Value ids and
 * lines are referred to by the cases below. */
static const char *verify_base =
    "algorithm v(a: f64 = 1, n: i64 = 3, f: bool = false) {\n"   /* line 1 */
    "  %0 : f64 = param a\n"                                      /* 2: inst 0 */
    "  %1 : i64 = param n\n"                                      /* 3: inst 1 */
    "  %2.x : f64v = fill(%0)\n"                                  /* 4: inst 2 */
    "  %3 : mask = gt(%2, %0)\n"                                  /* 5: inst 3 */
    "  %4 : f64v = add(%2, %0)\n"                                 /* 6: inst 4 */
    "  %5 : i64v = node_id()\n"                                   /* 7: inst 5 */
    "  %6 : f64v = agg[in, sum, x](%4)\n"                         /* 8: inst 6 */
    "  %7 : bool = const true\n"                                  /* 9: inst 7 */
    "  %12 : f64v = loop converged(test=0, max=%1, tol=%0) carry(%8 : f64v = %6) {\n" /* 10 */
    "    %9 : f64v = mul(%8, %0)\n"                               /* 11: body 0 */
    "    print(%9)\n"                                             /* 12: body 1 */
    "    yield %9\n"                                              /* 13: body 2 */
    "  }\n"
    "  print(%12)\n"                                              /* 15: inst 9 */
    "  return r = %12, s = %5\n"                                  /* 16: inst 10 */
    "}\n";

typedef struct vcase {
    const char *what;
    void (*mutate)(gr_program *p);
    int code;
    const char *msg;
} vcase;

static gr_inst *top(gr_program *p, int i) { return &p->top.insts[i]; }
static gr_inst *body(gr_program *p, int i) { return &p->top.insts[8].body->insts[i]; }

static void m_opcode(gr_program *p) { top(p, 4)->op = 999; }
static void m_arity(gr_program *p) { top(p, 4)->nargs = 1; }
static void m_operand_range(gr_program *p) { top(p, 4)->args[1] = 999; }
static void m_never_defined(gr_program *p)
{
    gr_vid v = gr_ir_new_value(p, GR_T_F64);
    top(p, 4)->args[1] = v;
}
static void m_before_def(gr_program *p) { top(p, 3)->args[0] = 4; }
static void m_after_loop(gr_program *p) { top(p, 9)->args[0] = 9; }
static void m_inner_after_loop(gr_program *p) { top(p, 9)->args[0] = 8; }
static void m_twice(gr_program *p) { top(p, 4)->result = 2; }
static void m_result_type(gr_program *p) { p->values[4].type = GR_T_F64; }
static void m_operand_type(gr_program *p)
{
    top(p, 4)->args[1] = 3;
    p->values[4].type = GR_T_F64V;
}
static void m_promotion(gr_program *p) { top(p, 4)->args[1] = 1; }
static void m_const_type(gr_program *p) { p->values[7].type = GR_T_MASK; }
static void m_const_bool(gr_program *p) { top(p, 7)->attrs.i = 5; }
static void m_param_index(gr_program *p) { top(p, 1)->attrs.i = 7; }
static void m_param_type(gr_program *p) { top(p, 1)->attrs.i = 0; }
static void m_agg_dir(gr_program *p) { top(p, 6)->attrs.dir = 9; }
static void m_agg_self(gr_program *p) { top(p, 6)->attrs.self = 2; }
static void m_agg_type(gr_program *p) { top(p, 6)->attrs.monoid = GR_MON_ANY; }
static void m_agg_monoid(gr_program *p) { top(p, 6)->attrs.monoid = 42; }
static void m_loop_kind(gr_program *p) { top(p, 8)->attrs.loop = 7; }
static void m_loop_nargs(gr_program *p) { top(p, 8)->nargs = 2; }
static void m_loop_parent(gr_program *p) { top(p, 8)->body->parent = top(p, 4); }
static void m_loop_max(gr_program *p) { top(p, 8)->args[0] = 0; }
static void m_loop_tol(gr_program *p) { top(p, 8)->args[1] = 1; }
static void m_loop_repeat_tol(gr_program *p)
{
    top(p, 8)->attrs.loop = GR_LOOP_REPEAT;
    top(p, 8)->attrs.test = -1;
}
static void m_loop_test(gr_program *p) { top(p, 8)->attrs.test = 3; }
static void m_loop_repeat_test(gr_program *p)
{
    top(p, 8)->attrs.loop = GR_LOOP_REPEAT;
    top(p, 8)->args[1] = -1;
}
static void m_loop_watch(gr_program *p)
{
    top(p, 8)->args[2] = 3;
    p->values[8].type = GR_T_MASK;
}
static void m_loop_inner(gr_program *p) { p->values[8].type = GR_T_I64V; }
static void m_loop_result(gr_program *p) { p->values[12].type = GR_T_I64V; }
static void m_no_yield(gr_program *p) { body(p, 2)->op = GR_OP_PRINT; }
static void m_yield_count(gr_program *p) { body(p, 2)->nargs = 0; }
static void m_yield_value(gr_program *p)
{
    body(p, 0)->op = GR_OP_GT;
    p->values[9].type = GR_T_MASK;
    body(p, 2)->args[0] = 9;
}
static void m_yield_top(gr_program *p) { top(p, 9)->op = GR_OP_YIELD; }
static void m_no_return(gr_program *p) { top(p, 10)->op = GR_OP_PRINT; top(p, 10)->nargs = 1; }
static void m_return_body(gr_program *p) { body(p, 1)->op = GR_OP_RETURN; }
static void m_result_names_dup(gr_program *p) { p->result_names[1] = p->result_names[0]; }
static void m_result_name_bad(gr_program *p) { p->result_names[1] = "a b"; }
static void m_result_names_none(gr_program *p)
{
    gr_free((void *)p->result_names);
    p->result_names = NULL;
}
static void m_program_name(gr_program *p) { p->name = "1st"; }
static void m_param_dup(gr_program *p) { p->params[2].name = p->params[0].name; }
static void m_param_ptype(gr_program *p) { p->params[2].type = GR_T_MASK; }
static void m_param_bool(gr_program *p) { p->params[2].idefault = 2; }
static void m_hint(gr_program *p) { p->values[2].name = "x-y"; }
static void m_print_result(gr_program *p) { top(p, 9)->result = 3; }
static void m_no_result(gr_program *p) { top(p, 4)->result = -1; }
static void m_result_range(gr_program *p) { top(p, 4)->result = 50; }
static void m_result_none(gr_program *p) { p->values[4].type = GR_T_NONE; }

static const vcase vcases[] = {
    {"op code", m_opcode, GR_ERR_INVALID, "v.ir:6:3: op code 999 is not an op"},
    {"arity", m_arity, GR_ERR_INVALID, "v.ir:6:3: op 'add' (%4): has 1 operand; add takes 2"},
    {"operand range", m_operand_range, GR_ERR_INVALID,
     "v.ir:6:3: op 'add' (%4): operand 2 (%999) is not a value"},
    {"never defined", m_never_defined, GR_ERR_INVALID,
     "v.ir:6:3: op 'add' (%4): operand 2 (%13) is never defined"},
    {"before definition", m_before_def, GR_ERR_INVALID,
     "v.ir:5:3: op 'gt' (%3): operand 1 (%4) is used before its definition"},
    {"after loop", m_after_loop, GR_ERR_INVALID,
     "v.ir:15:3: op 'print': value %9 is defined inside a loop body and used after it"},
    {"inner after loop", m_inner_after_loop, GR_ERR_INVALID,
     "v.ir:15:3: op 'print': value %8 is defined inside a loop body and used after it"},
    {"defined twice", m_twice, GR_ERR_INVALID, "v.ir:6:3: op 'add' (%2): %2 is defined twice"},
    {"result type", m_result_type, GR_ERR_TYPE,
     "v.ir:6:3: op 'add' (%4): result is f64 but add gives f64v"},
    {"operand type", m_operand_type, GR_ERR_TYPE,
     "v.ir:6:3: op 'add' (%4): operand 2 of add is a mask; use to_i64() or to_f64()"},
    {"promotion", m_promotion, GR_ERR_TYPE,
     "v.ir:6:3: op 'add' (%4): operand 2 is i64 but add computes in f64 (convert it with "
     "to_f64)"},
    {"const type", m_const_type, GR_ERR_TYPE,
     "v.ir:9:3: op 'const' (%7): a constant cannot have type mask"},
    {"const bool", m_const_bool, GR_ERR_INVALID,
     "v.ir:9:3: op 'const' (%7): bool constant 5 is not 0 or 1"},
    {"param index", m_param_index, GR_ERR_INVALID,
     "v.ir:3:3: op 'param' (%1): parameter index 7 is out of range (3 parameters)"},
    {"param type", m_param_type, GR_ERR_TYPE,
     "v.ir:3:3: op 'param' (%1): result is i64 but param gives f64"},
    {"agg dir", m_agg_dir, GR_ERR_INVALID, "v.ir:8:3: op 'agg' (%6): unknown agg direction 9"},
    {"agg self", m_agg_self, GR_ERR_INVALID,
     "v.ir:8:3: op 'agg' (%6): agg self flag 2 is not 0 or 1"},
    {"agg type", m_agg_type, GR_ERR_TYPE,
     "v.ir:8:3: op 'agg' (%6): agg any needs mask messages (msg x over a mask), not x over an "
     "f64v"},
    {"agg monoid", m_agg_monoid, GR_ERR_TYPE, "v.ir:8:3: op 'agg' (%6): unknown agg monoid 42"},
    {"loop kind", m_loop_kind, GR_ERR_INVALID, "v.ir:10:3: op 'loop': unknown loop kind 7"},
    {"loop operands", m_loop_nargs, GR_ERR_INVALID,
     "v.ir:10:3: op 'loop': has 2 operands; expected 3 (max_iter, tol and 1 initial value)"},
    {"loop parent", m_loop_parent, GR_ERR_INVALID,
     "v.ir:10:3: op 'loop': its body's parent link is wrong"},
    {"loop max", m_loop_max, GR_ERR_TYPE, "v.ir:10:3: op 'loop': max_iter (%0) is f64; "
     "expected i64"},
    {"loop tol", m_loop_tol, GR_ERR_TYPE, "v.ir:10:3: op 'loop': tol (%1) is i64; expected f64"},
    {"repeat tol", m_loop_repeat_tol, GR_ERR_INVALID,
     "v.ir:10:3: op 'loop': a repeat loop has no tol, but operand 2 is %0"},
    {"loop test", m_loop_test, GR_ERR_INVALID,
     "v.ir:10:3: op 'loop': test index 3 is out of range (1 carried value)"},
    {"repeat test", m_loop_repeat_test, GR_ERR_INVALID,
     "v.ir:10:3: op 'loop': a repeat loop has test index 0; expected -1"},
    {"loop watch", m_loop_watch, GR_ERR_TYPE,
     "v.ir:10:3: op 'loop': a converged loop watches a number; carried value 1 is mask"},
    {"inner type", m_loop_inner, GR_ERR_TYPE,
     "v.ir:10:3: op 'loop': inner value 1 (%8) is i64v but its initial value (%6) is f64v"},
    {"result type", m_loop_result, GR_ERR_TYPE,
     "v.ir:10:3: op 'loop': result 1 (%12) is i64v but its initial value (%6) is f64v"},
    {"no yield", m_no_yield, GR_ERR_INVALID,
     "v.ir:10:3: op 'loop': the loop body does not end with yield"},
    {"yield count", m_yield_count, GR_ERR_INVALID,
     "v.ir:13:5: op 'yield': yields 0 values for 1 carried value"},
    {"yield type", m_yield_value, GR_ERR_TYPE,
     "v.ir:13:5: op 'yield': value 1 (%9) is mask but carried value 1 is f64v"},
    {"yield at top", m_yield_top, GR_ERR_INVALID,
     "v.ir:15:3: op 'yield': yield outside the end of a loop body"},
    {"no return", m_no_return, GR_ERR_INVALID, "the program does not end with return"},
    {"return in body", m_return_body, GR_ERR_INVALID,
     "v.ir:12:5: op 'return': return is not the last instruction of the program"},
    {"result names", m_result_names_dup, GR_ERR_INVALID,
     "v.ir:16:3: op 'return': result name 'r' is used twice"},
    {"result name", m_result_name_bad, GR_ERR_INVALID,
     "v.ir:16:3: op 'return': invalid name 'a b' for result 2"},
    {"no result names", m_result_names_none, GR_ERR_INVALID,
     "v.ir:16:3: op 'return': the program has no result names"},
    {"program name", m_program_name, GR_ERR_INVALID, "invalid program name '1st'"},
    {"param names", m_param_dup, GR_ERR_INVALID, "parameter 'a' is declared twice"},
    {"param type decl", m_param_ptype, GR_ERR_TYPE,
     "parameter 'f' has type mask; expected f64, i64 or bool"},
    {"param bool", m_param_bool, GR_ERR_INVALID,
     "bool parameter 'f' has default 2; expected 0 or 1"},
    {"name hint", m_hint, GR_ERR_INVALID, "value %2 has an invalid name hint 'x-y'"},
    {"print result", m_print_result, GR_ERR_INVALID,
     "v.ir:15:3: op 'print' (%3): print has no result, but %3 is recorded"},
    {"no result", m_no_result, GR_ERR_INVALID, "v.ir:6:3: op 'add': has no result value"},
    {"result range", m_result_range, GR_ERR_INVALID,
     "v.ir:6:3: op 'add' (%50): its result is not a value"},
    {"result untyped", m_result_none, GR_ERR_INVALID,
     "v.ir:6:3: op 'add' (%4): result %4 has no type"},
};

START_TEST(test_verify_rules)
{
    const vcase *c = &vcases[_i];
    gr_error err;
    gr_program *base, *p;
    gr_error_clear(&err);
    OK(gr_program_parse(verify_base, "v.ir", &base, &err));
    OK(gr_ir_clone(base, &p, &err));
    OK(gr_program_verify(p, &err));
    c->mutate(p);
    gr_error_clear(&err);
    err_is_at(gr_program_verify(p, &err), &err, c->code, c->msg, c->what, _i);
    gr_program_free(&p);
    gr_program_free(&base);
}
END_TEST

/* Corruptions that need undoing before the program can be freed. */
START_TEST(test_verify_structure)
{
    gr_error err;
    gr_program *p;
    gr_block *saved;
    gr_error_clear(&err);
    OK(gr_program_parse(verify_base, "v.ir", &p, &err));
    saved = top(p, 8)->body;
    top(p, 8)->body = NULL;
    ERR_IS(gr_program_verify(p, &err), GR_ERR_INVALID, "v.ir:10:3: op 'loop': has no body");
    top(p, 8)->body = saved;
    top(p, 4)->body = saved;
    gr_error_clear(&err);
    ERR_IS(gr_program_verify(p, &err), GR_ERR_INVALID,
           "v.ir:6:3: op 'add' (%4): only loops and fused kernels have a body");
    top(p, 4)->body = NULL;
    gr_error_clear(&err);
    ERR_IS(gr_program_verify(NULL, &err), GR_ERR_INVALID, "no program");
    gr_error_clear(&err);
    OK(gr_program_verify(p, &err));
    gr_program_free(&p);
}
END_TEST

/* --- parser --------------------------------------------------------------- */

typedef struct pcase {
    const char *text;
    int code;
    const char *msg;
} pcase;

#define HEAD "algorithm a(x: f64 = 1) {\n  %0 : f64 = param x\n"

static const pcase pcases[] = {
    {"", GR_ERR_PARSE, "p.ir:1:1: expected 'algorithm', found end of input"},
    {"algorithm", GR_ERR_PARSE, "p.ir:1:10: expected the algorithm's name, found end of input"},
    {HEAD, GR_ERR_PARSE, "p.ir:3:1: expected '}', found end of input"},
    {HEAD "  %1 : f64 = add(%0,", GR_ERR_PARSE, "p.ir:3:21: expected a value (%N), found end of "
     "input"},
    {HEAD "  %1 : f64 = frob(%0)\n", GR_ERR_PARSE, "p.ir:3:14: unknown op 'frob'"},
    {HEAD "  %1 : f32 = neg(%0)\n", GR_ERR_PARSE, "p.ir:3:8: unknown type 'f32'"},
    {HEAD "  %1 : f64 = neg(%5)\n", GR_ERR_PARSE, "p.ir:3:18: undefined value %5"},
    {HEAD "  %1 : f64 = neg(%1)\n", GR_ERR_PARSE, "p.ir:3:18: undefined value %1"},
    {HEAD "  %0 : f64 = neg(%0)\n", GR_ERR_PARSE,
     "p.ir:3:3: duplicate definition of %0 (first defined at 2:3)"},
    {HEAD "  %1 : f64 = neg(%0.x)\n", GR_ERR_PARSE,
     "p.ir:3:18: a name hint (.x) goes only where the value is defined"},
    {HEAD "  %1 : i64 = const 1.5\n", GR_ERR_PARSE, "p.ir:3:20: expected an integer, found '1.5'"},
    {HEAD "  %1 : i64 = const 9223372036854775808\n", GR_ERR_PARSE,
     "p.ir:3:20: integer 9223372036854775808 is out of the i64 range"},
    {HEAD "  %1 : bool = const 1\n", GR_ERR_PARSE, "p.ir:3:21: expected true or false, found '1'"},
    {HEAD "  %1 : f64 = const 1.e5\n", GR_ERR_PARSE,
     "p.ir:3:20: malformed number: expected a digit after '.'"},
    {HEAD "  %1 : f64 = const 12ab\n", GR_ERR_PARSE, "p.ir:3:20: malformed number"},
    {HEAD "  %1 : f64v = const 1\n", GR_ERR_PARSE, "p.ir:3:3: a constant cannot have type f64v"},
    {HEAD "  %1 : f64 = param y\n", GR_ERR_PARSE, "p.ir:3:20: unknown parameter 'y'"},
    {HEAD "  %1 : f64v = agg[up, sum, x](%0)\n", GR_ERR_PARSE,
     "p.ir:3:19: unknown agg direction 'up'"},
    {HEAD "  %1 : f64v = agg[in, sum, x, both](%0)\n", GR_ERR_PARSE,
     "p.ir:3:31: expected 'self' or 'masked', found 'both'"},
    {HEAD "  %99999999 : f64 = neg(%0)\n", GR_ERR_PARSE,
     "p.ir:3:3: value id too large (at most 1048575)"},
    {HEAD "  %1 : f64 = neg(%0) $\n", GR_ERR_PARSE, "p.ir:3:22: unexpected character '$'"},
    {HEAD "  \x01\n", GR_ERR_PARSE, "p.ir:3:3: unexpected character (byte 0x01)"},
    {HEAD "  %1, %2 : f64 = neg(%0)\n", GR_ERR_PARSE, "p.ir:3:5: expected ':', found ','"},
    {HEAD "  %1 : f64, %2 : f64 = neg(%0)\n", GR_ERR_PARSE,
     "p.ir:3:3: only a loop or a fused kernel defines several values"},
    {HEAD "  %1 : f64 = print(%0)\n", GR_ERR_PARSE, "p.ir:3:14: 'print' defines no value"},
    {HEAD "  loop repeat(test=0, max=%0) {\n", GR_ERR_PARSE,
     "p.ir:3:15: unexpected 'test=' in a repeat loop (it takes max= once)"},
    {HEAD "  loop converged(max=%0) {\n", GR_ERR_PARSE,
     "p.ir:3:3: a converged loop needs test=, max= and tol="},
    {HEAD "  loop forever(max=%0) {\n", GR_ERR_PARSE, "p.ir:3:8: unknown loop kind 'forever'"},
    {HEAD "  %1 : i64 = const 2\n  %5 : f64 = loop repeat(max=%1) {\n  yield\n  }\n",
     GR_ERR_PARSE, "p.ir:4:3: the loop defines 1 value but carries 0"},
    {HEAD "  %1 : i64 = const 2\n  loop repeat(max=%1) {\n    yield\n  }\n  return r = %0\n"
     "  return\n}\n", GR_ERR_PARSE, "p.ir:8:3: a second return"},
    {HEAD "  return\n  return\n}\n", GR_ERR_PARSE, "p.ir:4:3: a second return"},
    {HEAD "  return r = %0, s\n}\n", GR_ERR_PARSE, "p.ir:4:1: expected '=', found '}'"},
    {HEAD "  return r = %0\n}\n}\n", GR_ERR_PARSE,
     "p.ir:5:1: expected the end of the input after the program, found '}'"},
    {HEAD "  return r = %0,\n}\n", GR_ERR_PARSE, "p.ir:4:1: expected a result name, found '}'"},
    {HEAD "  42\n", GR_ERR_PARSE, "p.ir:3:3: expected an instruction, found '42'"},
    {"algorithm a(x: f64 = 1, x: i64 = 2) {\n}\n", GR_ERR_PARSE,
     "p.ir:1:25: parameter 'x' is declared twice"},
    {"algorithm a(x: mask = 1) {\n}\n", GR_ERR_PARSE,
     "p.ir:1:16: a parameter has type f64, i64 or bool, not mask"},
    {"algorithm a(x: f64 = -) {\n}\n", GR_ERR_PARSE, "p.ir:1:22: expected a number after '-'"},
    {"algorithm a() { %", GR_ERR_PARSE, "p.ir:1:17: expected a value id after '%'"},
    {"algorithm a() { %1.", GR_ERR_PARSE, "p.ir:1:17: expected a name after '%1.'"},
    /* well-formed text that breaks a rule: the verifier's message, located */
    {"algorithm a() {\n}\n", GR_ERR_INVALID, "the program does not end with return"},
    {HEAD "  %1 : bool = gt(%0, %0)\n  %2 : f64 = add(%1, %0)\n  return r = %2\n}\n",
     GR_ERR_TYPE, "p.ir:4:3: op 'add' (%2): operand 1 of add is a bool; use to_i64() or to_f64()"},
    {HEAD "  %1 : mask = gt(%0, %0)\n  return r = %1\n}\n",
     GR_ERR_TYPE, "p.ir:3:3: op 'gt' (%1): result is mask but gt gives bool"},
    {HEAD "  %1 : f64 = add(%0)\n  return r = %1\n}\n", GR_ERR_INVALID,
     "p.ir:3:3: op 'add' (%1): has 1 operand; add takes 2"},
    {HEAD "  %1 : i64 = const 2\n  %3 : f64 = loop repeat(max=%1) carry(%2 : f64 = %0) {\n"
     "    %4 : f64 = neg(%2)\n    yield %4\n  }\n  return r = %4\n}\n", GR_ERR_INVALID,
     "p.ir:8:3: op 'return': value %4 is defined inside a loop body and used after it"},
    {HEAD "  return r = %0\n  # trailing comment\n}  # another\n", GR_OK, NULL},
};

START_TEST(test_parse_errors)
{
    const pcase *c = &pcases[_i];
    gr_error err;
    gr_program *p = (gr_program *)&err; /* must come back NULL on failure */
    int rc;
    gr_error_clear(&err);
    rc = gr_program_parse(c->text, "p.ir", &p, &err);
    if (c->code == GR_OK) {
        OK(rc);
        ck_assert_ptr_nonnull(p);
        gr_program_free(&p);
        return;
    }
    err_is_at(rc, &err, c->code, c->msg, c->text, _i);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_parse_limits)
{
    gr_error err;
    gr_program *p;
    char *text = malloc(100000), *s = text;
    int i;
    ck_assert_ptr_nonnull(text);
    /* loops nested 65 deep */
    s += sprintf(s, "algorithm deep() {\n  %%0 : i64 = const 1\n");
    for (i = 0; i < 65; i++) {
        s += sprintf(s, "loop repeat(max=%%0) {\n");
    }
    gr_error_clear(&err);
    ERR_IS(gr_program_parse(text, NULL, &p, &err), GR_ERR_PARSE,
           "loops nested too deeply (at most 64)");
    ck_assert_int_eq(err.line, 67);
    /* a long name */
    memset(text, 'a', 300);
    memcpy(text, "algorithm ", 10);
    text[300] = '\0';
    gr_error_clear(&err);
    ERR_IS(gr_program_parse(text, NULL, &p, &err), GR_ERR_PARSE, "name too long");
    gr_error_clear(&err);
    ERR_IS(gr_program_parse(NULL, NULL, &p, &err), GR_ERR_INVALID, "no program text");
    /* 64 deep is fine */
    s = text;
    s += sprintf(s, "algorithm deep() {\n  %%0 : i64 = const 1\n");
    for (i = 0; i < 64; i++) {
        s += sprintf(s, "loop repeat(max=%%0) {\n");
    }
    for (i = 0; i < 64; i++) {
        s += sprintf(s, "yield }\n");
    }
    sprintf(s, "return r = %%0 }");
    gr_error_clear(&err);
    OK(gr_program_parse(text, NULL, &p, &err));
    ck_assert_int_eq(gr_program_op_count(p), 65);
    gr_program_free(&p);
    free(text);
}
END_TEST

/* Hand-written text in any spacing and key order parses to the canonical
 * form. */
START_TEST(test_parse_flexible)
{
    gr_error err;
    gr_program *p;
    char *t;
    const char *src =
        "# a comment\n"
        "algorithm  f ( k : i64 = -3 , t:f64=2.50e0 ) {   %0:i64=param k  %1 : f64 = param t\n"
        "%3.y:f64,%4:i64=loop converged(tol=%1,max=%0,test=0)carry(%5:f64=%1,%6:i64=%0){\n"
        "yield %5,%6}\n"
        "return y=%3,z=%4}";
    gr_error_clear(&err);
    OK(gr_program_parse(src, "f.ir", &p, &err));
    OK(gr_program_print(p, &t, &err));
    SAME_TEXT(t,
        "algorithm f(k: i64 = -3, t: f64 = 2.5) {\n"
        "  %0 : i64 = param k\n"
        "  %1 : f64 = param t\n"
        "  %3.y : f64, %4 : i64 = loop converged(test=0, max=%0, tol=%1) carry(%5 : f64 = %1, "
        "%6 : i64 = %0) {\n"
        "    yield %5, %6\n"
        "  }\n"
        "  return y = %3, z = %4\n"
        "}\n");
    /* holes in the value table are allowed (passes remove instructions) */
    ck_assert_int_eq(p->nvalues, 7);
    ck_assert_int_eq(p->values[2].type, GR_T_NONE);
    gr_free_string(&t);
    gr_program_free(&p);
}
END_TEST

/* --- walking -------------------------------------------------------------- */

static int visit(gr_inst *in, gr_block *owner, void *ctx)
{
    int *n = ctx;
    (void)owner;
    n[0]++;
    if (in->op == GR_OP_YIELD) {
        n[1] = n[0];
    }
    return in->op == GR_OP_PRINT && n[0] > 12 ? 7 : 0;
}

START_TEST(test_walk)
{
    gr_error err;
    gr_program *p;
    int n[2] = {0, 0};
    gr_error_clear(&err);
    OK(gr_program_parse(verify_base, "v.ir", &p, &err));
    /* program order, a loop before its body; stops at the second print */
    ck_assert_int_eq(gr_ir_walk(&p->top, visit, n), 7);
    ck_assert_int_eq(n[0], 13);
    ck_assert_int_eq(n[1], 12);
    ck_assert_int_eq(gr_program_op_count(p), 12);
    ck_assert_ptr_eq(p->top.insts[8].body->parent, &p->top.insts[8]);
    gr_program_free(&p);
}
END_TEST

/* --- allocation failures -------------------------------------------------- */

/* Build, print (with and without locations) and parse PageRank. */
static int build_print_parse(gr_error *err)
{
    gr_program *p = NULL, *q = NULL, *c = NULL;
    char *t1 = NULL, *t2 = NULL, *t3 = NULL;
    int rc;
    T(build_pagerank(&p, err));
    T(gr_program_print(p, &t1, err));
    T(gr_ir_print(p, 1, &t3, err));
    T(gr_program_parse(t1, "pagerank.ir", &q, err));
    T(gr_program_print(q, &t2, err));
    T(gr_ir_clone(q, &c, err));
    T(gr_program_verify(c, err));
    ck_assert_str_eq(t1, t2);
done:
    gr_free_string(&t1);
    gr_free_string(&t2);
    gr_free_string(&t3);
    gr_program_free(&p);
    gr_program_free(&q);
    gr_program_free(&c);
    return rc;
}

START_TEST(test_alloc_failures)
{
    long n;
    int rc = GR_ERR_NOMEM, failures = 0;
    for (n = 0; rc != GR_OK; n++) {
        gr_error err;
        gr_error_clear(&err);
        gr_mem_fail_after(n);
        rc = build_print_parse(&err);
        gr_mem_fail_after(-1);
        if (rc != GR_OK) {
            char buf[700];
            ck_assert_msg(rc == GR_ERR_NOMEM && err.code == GR_ERR_NOMEM,
                          "budget %ld: rc %d: %s", n, rc, gr_error_format(&err, buf, sizeof buf));
            ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
            failures++;
        }
        ck_assert_int_lt(n, 100000);
    }
    ck_assert_int_gt(failures, 50);
}
END_TEST

/* --- suite ---------------------------------------------------------------- */

static Suite *ir_suite(void)
{
    Suite *s = suite_create("ir");
    TCase *tc = tcase_create("golden");
    tcase_add_test(tc, test_pagerank_golden);
    tcase_add_test(tc, test_every_op_golden);
    tcase_add_test(tc, test_loops_golden);
    tcase_add_test(tc, test_consts_golden);
    tcase_add_test(tc, test_golden_files);
    suite_add_tcase(s, tc);

    tc = tcase_create("types");
    tcase_add_test(tc, test_typing_rules);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_agg_combinations);
    suite_add_tcase(s, tc);

    tc = tcase_create("builder");
    tcase_add_test(tc, test_builder_promotion);
    tcase_add_test(tc, test_builder_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("verify");
    tcase_add_loop_test(tc, test_verify_rules, 0, (int)(sizeof vcases / sizeof vcases[0]));
    tcase_add_test(tc, test_verify_structure);
    tcase_add_test(tc, test_walk);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_parse_errors, 0, (int)(sizeof pcases / sizeof pcases[0]));
    tcase_add_test(tc, test_parse_limits);
    tcase_add_test(tc, test_parse_flexible);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(ir_suite()); }
