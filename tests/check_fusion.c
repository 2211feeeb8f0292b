/*
 * check_fusion.c - tests of the fused constructs of the IR and of the
 * fusion passes (the golden before/after tests of each pass are files in
 * tests/golden/passes, run by check_passes):
 *
 *  - round trips: every fused construct (fused kernels with each fold kind,
 *    epilogues, fused aggregations, masked aggregations, explicit loop
 *    tests) prints, parses back and prints byte-identically, and deep
 *    copies (gr_ir_clone) print the same and free cleanly;
 *  - parse errors of the fused syntax and every verifier rule of ir.h's
 *    fused constructs, with the exact message;
 *  - semantic equivalence in step mode, bit for bit: the library
 *    algorithms and ~200 random programs (tests/progen.h) at -O0 against
 *    -O2, -O1 and each fusion pass alone (at level 0 and after -O1), on
 *    random graphs; every optimized program verifies and round-trips; with
 *    prints, the traces are identical too (no side effect moved);
 *  - failure injection over the passes: every allocation failure is a
 *    clean GR_ERR_NOMEM without output (and, under valgrind with
 *    CK_FORK=no, without a leak).
 */
#include "config.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ir/ir.h"
#include "engine/passes/passes.h"

#include "progen.h"

static gr_error E;

static void setup(void) { gr_error_clear(&E); }

static void teardown(void) { gr_mem_fail_after(-1); }

static const char *fmt(const gr_error *e)
{
    static char buf[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    return gr_error_format(e, buf, sizeof buf);
}

static gr_program *parse_ok(const char *text)
{
    gr_program *p = NULL;
    gr_error_clear(&E);
    ck_assert_msg(gr_program_parse(text, "f.ir", &p, &E) == GR_OK, "parse: %s\n%s", fmt(&E),
                  text);
    return p;
}

static char *print(const gr_program *p)
{
    char *t = NULL;
    ck_assert_int_eq(gr_program_print(p, &t, &E), GR_OK);
    return t;
}

/* ---- round trips --------------------------------------------------------------------- */

#define HEAD                                                                              \
    "algorithm f(k: f64 = 0.5, n: i64 = 4) {\n"                                           \
    "  %0 : f64 = param k\n"                                                              \
    "  %1 : i64 = param n\n"                                                              \
    "  %2 : i64v = node_index()\n"                                                        \
    "  %3 : f64v = to_f64(%2)\n"                                                          \
    "  %4 : i64 = const 2\n"                                                              \
    "  %5 : mask = lt(%2, %4)\n"

static const char *const constructs[] = {
    /* every fold kind, a scalar lane, a constant in the body, a value
     * yielded twice */
    HEAD
    "  %6 : f64v, %7 : f64, %8 : f64, %9 : f64, %10 : i64, %11 : bool, %12 : bool, "
    "%13 : i64v = fused[map, sum, min, max, count, any, all, map](%14.x : f64 = %3, "
    "%15 : f64 = %0, %16 : bool = %5, %17 : i64 = %2) {\n"
    "    %18 : f64 = const -0\n"
    "    %19 : f64 = mul(%14, %15)\n"
    "    %20 : f64 = add(%19, %18)\n"
    "    %21 : bool = not(%16)\n"
    "    yield %20, %20, %19, %14, %21, %16, %21, %17\n"
    "  }\n"
    "  return a = %6, b = %7, c = %8, d = %9, e = %10, f = %11, g = %12, h = %13\n"
    "}\n",
    /* an epilogue after an agg, one after an agg_fused */
    HEAD
    "  %6 : f64v = agg[in, sum, x](%3)\n"
    "  %7 : f64v, %8 : f64 = fused[map, max, epilogue](%9 : f64 = %6, %10 : f64 = %0) {\n"
    "    %11 : f64 = mul(%9, %10)\n"
    "    yield %11, %9\n"
    "  }\n"
    "  %12 : f64v = agg_fused[both, min, self](%13 : f64 = %7, %14 : f64 = %0, "
    "%15 : f64 = weight) {\n"
    "    %16 : f64 = sub(%13, %14)\n"
    "    %17 : f64 = add(%16, %15)\n"
    "    yield %17\n"
    "  }\n"
    "  %18 : mask = fused[map, epilogue](%19 : f64 = %12, %20 : f64 = %8) {\n"
    "    %21 : bool = gt(%19, %20)\n"
    "    yield %21\n"
    "  }\n"
    "  return a = %18\n"
    "}\n",
    /* masked aggregations: agg, agg with self, agg_fused */
    HEAD
    "  %6 : mask = agg[in, any, x, masked](%5, %5)\n"
    "  %7 : i64v = agg[out, mode, x, self, masked](%2, %6)\n"
    "  %8 : i64v = agg_fused[both, count, masked](%9 : f64 = %3, %10 : bool = %6, "
    "%11 : f64 = weight) {\n"
    "    %12 : f64 = mul(%9, %11)\n"
    "    yield %12\n"
    "  }\n"
    "  return a = %7, b = %8\n"
    "}\n",
    /* explicit tests: converged (f64 distance) and unchanged (bool), a
     * kernel in a loop body */
    HEAD
    "  %9 : f64v = loop converged(test=0, max=%1, tol=%0, explicit=true) carry(%6 : f64v = "
    "%3) {\n"
    "    %7 : f64v, %8 : f64 = fused[map, sum](%10 : f64 = %6, %11 : f64 = %0) {\n"
    "      %12 : f64 = mul(%10, %11)\n"
    "      %13 : f64 = sub(%12, %10)\n"
    "      %14 : f64 = abs(%13)\n"
    "      yield %12, %14\n"
    "    }\n"
    "    yield %7, %8\n"
    "  }\n"
    "  %18 : i64v, %19 : i64 = loop unchanged(test=0, max=%1, explicit=true) carry(%15 : "
    "i64v = %2, %16 : i64 = %4) {\n"
    "    %17 : bool = eq(%16, %4)\n"
    "    yield %15, %16, %17\n"
    "  }\n"
    "  return a = %9, b = %18\n"
    "}\n",
};

START_TEST(test_roundtrip)
{
    size_t i;
    for (i = 0; i < sizeof constructs / sizeof constructs[0]; i++) {
        gr_program *p = parse_ok(constructs[i]), *q = NULL;
        char *t = print(p), *u;
        ck_assert_msg(strcmp(t, constructs[i]) == 0, "case %zu prints as\n%s", i, t);
        /* a deep copy: the same text, and independent of the original */
        ck_assert_int_eq(gr_ir_clone(p, &q, &E), GR_OK);
        gr_program_free(&p);
        ck_assert_int_eq(gr_program_verify(q, &E), GR_OK);
        u = print(q);
        ck_assert_str_eq(t, u);
        gr_free_string(&u);
        gr_free_string(&t);
        gr_program_free(&q);
    }
}
END_TEST

START_TEST(test_inst_text)
{
    gr_program *p = parse_ok(constructs[1]);
    char *t = NULL;
    ck_assert_int_eq(gr_ir_inst_text(p, &p->top.insts[7], &t, &E), GR_OK);
    ck_assert_str_eq(t, "%7 : f64v, %8 : f64 = fused[map, max, epilogue](%9 : f64 = %6, "
                        "%10 : f64 = %0)");
    gr_free_string(&t);
    ck_assert_int_eq(gr_ir_inst_text(p, &p->top.insts[8], &t, &E), GR_OK);
    ck_assert_str_eq(t, "%12 : f64v = agg_fused[both, min, self](%13 : f64 = %7, %14 : f64 = "
                        "%0, %15 : f64 = weight)");
    gr_free_string(&t);
    /* a kernel is one op; its body's instructions are its work */
    ck_assert_int_eq(gr_program_op_count(p), 10);
    gr_program_free(&p);
}
END_TEST

/* Clone under failure injection: clean failures, no leak, no double free
 * of fold arrays. */
START_TEST(test_clone_nomem)
{
    gr_program *p = parse_ok(constructs[0]), *q;
    long n;
    int rc = GR_ERR_NOMEM;
    for (n = 0; rc != GR_OK; n++) {
        q = NULL;
        gr_mem_fail_after(n);
        rc = gr_ir_clone(p, &q, &E);
        gr_mem_fail_after(-1);
        if (rc != GR_OK) {
            ck_assert_int_eq(rc, GR_ERR_NOMEM);
            ck_assert_ptr_null(q);
        }
        gr_program_free(&q);
    }
    ck_assert_int_gt(n, 5);
    gr_program_free(&p);
}
END_TEST

/* ---- parse errors and verifier rules ------------------------------------------------- */

typedef struct bad {
    const char *body;    /* lines after HEAD, through the end of the program */
    const char *msg;     /* the exact error */
} bad;

static const bad parse_errors[] = {
    {"  %6 : f64v, %7 : f64 = fused[map](%8 : f64 = %3) {\n    yield %8, %8\n  }\n"
     "  return a = %6\n}\n",
     "f.ir:8:3: the kernel defines 2 values but has 1 fold kind"},
    {"  %6 : f64v = fused[map, sum](%8 : f64 = %3) {\n    yield %8\n  }\n  return a = %6\n}\n",
     "f.ir:8:26: more fold kinds than the 1 value the kernel defines"},
    {"  %6 : f64v = fused[mapp](%8 : f64 = %3) {\n    yield %8\n  }\n  return a = %6\n}\n",
     "f.ir:8:21: unknown fold kind 'mapp' (map, sum, min, max, count, any or all)"},
    {"  %6 : f64v = fused[epilogue, map](%8 : f64 = %3) {\n    yield %8\n  }\n"
     "  return a = %6\n}\n",
     "f.ir:8:31: expected ']', found 'map'"},
    {"  %6 : f64v = fused[map](%8 : f64 = weight) {\n    yield %8\n  }\n  return a = %6\n}\n",
     "f.ir:8:37: expected a value (%N), found 'weight'"},
    {"  %6 : f64v = agg_fused[in, sum](%8 : f64 = %3) {\n    yield %8\n  }\n"
     "  return a = %6\n}\n",
     "f.ir:8:47: a fused aggregation's lanes end with one bound to the edge weight "
     "('%N : f64 = weight')"},
    {"  %6 : f64v = agg_fused[in, sum](%8 : f64 = weight, %9 : f64 = %3) {\n    yield %8\n"
     "  }\n  return a = %6\n}\n",
     "f.ir:8:53: expected ')' after the weight lane, found '%9'"},
    {"  %6 : f64v = agg_fused[in, sum, x](%8 : f64 = %3, %9 : f64 = weight) {\n"
     "    yield %8\n  }\n  return a = %6\n}\n",
     "f.ir:8:34: expected 'self' or 'masked', found 'x'"},
    {"  %6 : f64v = agg[in, sum, x, masked, self](%3, %5)\n  return a = %6\n}\n",
     "f.ir:8:39: expected ']', found 'self'"},
    {"  %6 : f64v = loop repeat(max=%1, explicit=true) carry(%7 : f64v = %3) {\n"
     "    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:35: unexpected 'explicit=' in a repeat loop (it takes max= once)"},
    {"  %6 : f64v = fused[map](%8 : f64 = %3) {\n    yield %8\n  }\n  return a = %8\n}\n",
     "f.ir:11:3: op 'return': value %8 is defined inside a fused kernel's body and used after "
     "it"},
};

static const bad rules[] = {
    /* fused bodies */
    {"  %6 : f64v = fused[map](%7 : f64 = %3) {\n    %8 : i64 = node_count()\n"
     "    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:9:5: op 'node_count' (%8): a fused kernel's body holds only element-wise ops and "
     "constants"},
    {"  %6 : f64v = fused[map](%7 : f64 = %3) {\n    %8 : f64 = add(%7, %0)\n"
     "    yield %8\n  }\n  return a = %6\n}\n",
     "f.ir:9:5: op 'add' (%8): operand 2 (%0) is defined outside the fused kernel; a kernel "
     "body reads only its lanes and its own values"},
    {"  %6 : f64v = fused[map](%7 : f64 = %2) {\n    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'fused': lane 1 (%7) is f64 but its operand (%2) is i64v; expected i64"},
    {"  %6 : f64v = fused[map](%7 : f64 = %3) {\n    yield %7, %7\n  }\n"
     "  return a = %6\n}\n",
     "f.ir:9:5: op 'yield': yields 2 values for 1 output"},
    {"  %6 : f64v = fused[map](%7 : f64 = %3) {\n    %8 : f64 = abs(%7)\n  }\n"
     "  return a = %6\n}\n",
     "f.ir:8:3: op 'fused': the kernel body does not end with yield"},
    {"  %6 : bool = fused[sum](%7 : bool = %5) {\n    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:9:5: op 'yield': value 1 (%7): fold sum needs a number lane, not bool"},
    {"  %6 : bool = fused[any](%7 : f64 = %3) {\n    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:9:5: op 'yield': value 1 (%7): fold any needs a bool lane, not f64"},
    {"  %6 : f64 = fused[count](%7 : f64 = %3) {\n    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'fused': output 1 (%6) is f64 but count of a f64 lane gives i64"},
    {"  %6 : f64 = fused[map](%7 : f64 = %3) {\n    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'fused': output 1 (%6) is f64 but map of a f64 lane gives f64v"},
    {"  %6 : i64 = fused[min](%7 : f64 = %3) {\n    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'fused': output 1 (%6) is i64 but min of a f64 lane gives f64"},
    /* epilogues */
    {"  %6 : f64v = fused[map, epilogue](%7 : f64 = %3) {\n    yield %7\n  }\n"
     "  return a = %6\n}\n",
     "f.ir:8:3: op 'fused': an epilogue must directly follow an agg or agg_fused"},
    {"  %6 : f64v = agg[in, sum, x](%3)\n"
     "  %7 : f64v = fused[map, epilogue](%8 : f64 = %3) {\n    yield %8\n  }\n"
     "  return a = %6, b = %7\n}\n",
     "f.ir:9:3: op 'fused': an epilogue reads the result of the aggregation before it (%6)"},
    /* fused aggregations */
    {"  %6 : f64v = agg_fused[in, sum](%7 : f64 = %3, %8 : f64 = weight) {\n"
     "    yield %7, %8\n  }\n  return a = %6\n}\n",
     "f.ir:9:5: op 'yield': yields 2 values; a fused aggregation yields one, its message"},
    {"  %6 : f64v = agg_fused[in, sum](%7 : i64 = %2, %8 : f64 = weight) {\n"
     "    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg_fused' (%6): result is f64v but agg_fused of i64 messages gives i64v"},
    {"  %6 : f64v = agg_fused[in, sum](%7 : f64 = %3, %8 : i64 = weight) {\n"
     "    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg_fused' (%6): the weight lane (%8) is i64; expected f64"},
    {"  %6 : f64v = agg_fused[in, sum](%7 : f64 = %0, %8 : f64 = weight) {\n"
     "    yield %8\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg_fused' (%6): a fused aggregation reads a vector at the neighbours, but "
     "no operand is one"},
    {"  %6 : mask = agg_fused[in, any](%7 : f64 = %3, %8 : f64 = weight) {\n"
     "    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg_fused' (%6): agg any needs mask messages (msg x over a mask), not x "
     "over an f64v"},
    {"  %6 : f64v = agg_fused[in, sum, masked](%7 : f64 = %3, %8 : f64 = %3, "
     "%9 : f64 = weight) {\n    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg_fused' (%6): the mask of a masked agg_fused (operand 2) is f64v; "
     "expected a mask"},
    {"  %6 : f64v = agg_fused[in, sum, masked](%7 : bool = %5, %8 : f64 = weight) {\n"
     "    yield %8\n  }\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg_fused' (%6): has 1 operand"},
    /* masked aggregations */
    {"  %6 : f64v = agg[in, sum, x, masked](%3, %3)\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg' (%6): the mask of a masked agg (operand 2) is f64v; expected a mask"},
    {"  %6 : f64v = agg[in, sum, x, masked](%3)\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg' (%6): has 1 operand; a masked agg takes 2 (the value and the mask)"},
    {"  %6 : f64v = agg[in, sum, x](%3, %5)\n  return a = %6\n}\n",
     "f.ir:8:3: op 'agg' (%6): has 2 operands; agg takes 1"},
    /* explicit tests */
    {"  %6 : f64v = loop converged(test=0, max=%1, tol=%0, explicit=true) carry(%7 : f64v = "
     "%3) {\n    yield %7\n  }\n  return a = %6\n}\n",
     "f.ir:9:5: op 'yield': yields 1 value for 1 carried value and the explicit test"},
    {"  %6 : f64v = loop converged(test=0, max=%1, tol=%0, explicit=true) carry(%7 : f64v = "
     "%3) {\n    yield %7, %5\n  }\n  return a = %6\n}\n",
     "f.ir:9:5: op 'yield': the explicit test (%5) is mask; expected f64 (the distance)"},
    {"  %6 : f64v = loop unchanged(test=0, max=%1, explicit=true) carry(%7 : f64v = %3) {\n"
     "    yield %7, %0\n  }\n  return a = %6\n}\n",
     "f.ir:9:5: op 'yield': the explicit test (%0) is f64; expected bool (whether the value "
     "changed)"},
};

static void expect_error(const char *text, const char *msg)
{
    gr_program *p = NULL;
    gr_error_clear(&E);
    ck_assert_msg(gr_program_parse(text, "f.ir", &p, &E) != GR_OK, "accepted:\n%s", text);
    ck_assert_ptr_null(p);
    ck_assert_msg(strcmp(fmt(&E), msg) == 0, "for\n%s\n  got:  %s\n  want: %s", text, fmt(&E),
                  msg);
}

START_TEST(test_parse_errors)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s", HEAD, parse_errors[_i].body);
    expect_error(text, parse_errors[_i].msg);
}
END_TEST

START_TEST(test_verify_rules)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s", HEAD, rules[_i].body);
    expect_error(text, rules[_i].msg);
}
END_TEST

/* Rules the printed form cannot break: checked on programs changed in C. */
START_TEST(test_verify_structure)
{
    gr_program *p;
    gr_inst *in;
    char *t;

    /* attributes on the wrong ops, and flags other than 0 or 1 */
    p = parse_ok(constructs[1]);
    p->top.insts[4].attrs.masked = 1; /* const 2 */
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'const' (%4): only aggregations are masked");
    p->top.insts[4].attrs.masked = 0;
    p->top.insts[5].attrs.epilogue = 1;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'lt' (%5): only fused kernels are epilogues");
    p->top.insts[5].attrs.epilogue = 0;
    p->top.insts[5].attrs.explicit_test = 1;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'lt' (%5): only loops have an explicit test");
    p->top.insts[5].attrs.explicit_test = 0;
    in = &p->top.insts[7]; /* the epilogue */
    in->attrs.epilogue = 2;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'fused': epilogue flag 2 is not 0 or 1");
    in->attrs.epilogue = 1;
    in->result = 3;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'fused' (%3): fused has no result, but %3 is recorded");
    in->result = -1;
    in->ncarry = 0;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'fused': defines 0 outputs; a fused kernel has at least one");
    in->ncarry = 2;
    in->body->parent = NULL;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'fused': its body's parent link is wrong");
    in->body->parent = in;
    in = &p->top.insts[8]; /* the agg_fused */
    in->attrs.msg = GR_MSG_ADD_W;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'agg_fused' (%12): a fused aggregation's message is its "
                            "body's, but its message attribute is add_w");
    in->attrs.msg = GR_MSG_X;
    ck_assert_int_eq(gr_program_verify(p, &E), GR_OK);
    t = print(p);
    ck_assert_str_eq(t, constructs[1]);
    gr_free_string(&t);
    gr_program_free(&p);

    /* an explicit test on a repeat loop */
    p = parse_ok(constructs[3]);
    in = &p->top.insts[6];
    ck_assert_int_eq(in->op, GR_OP_LOOP);
    in->attrs.loop = GR_LOOP_REPEAT;
    in->attrs.test = -1;
    in->args[1] = -1;
    gr_error_clear(&E);
    ck_assert_int_eq(gr_program_verify(p, &E), GR_ERR_INVALID);
    ck_assert_str_eq(E.msg, "op 'loop': a repeat loop has no exit test to make explicit");
    gr_program_free(&p);
}
END_TEST

/* ---- semantic equivalence ------------------------------------------------------------ */

typedef struct config {
    int level;
    const char *enable;
    int same_iters;      /* the loops that run are the same */
} config;

static const config configs[] = {
    {2, NULL, 0},
    {1, NULL, 1},
    {0, "fuse_elementwise", 1},
    {0, "fuse_agg", 1},
    {0, "fuse_reduction", 1},
    {0, "fuse_loops", 0},
    {1, "fuse_elementwise", 1},
    {1, "fuse_agg", 1},
    {1, "fuse_reduction", 1},
    {1, "fuse_loops", 0},
};
#define NCONFIGS ((int)(sizeof configs / sizeof configs[0]))

/* Optimize p with c; the result verifies and round-trips through text. */
static gr_program *optimize(const gr_program *p, const config *c)
{
    gr_passopts o;
    gr_program *q = NULL, *r = NULL;
    char *a, *b;
    memset(&o, 0, sizeof o);
    o.level = c->level;
    o.enable = c->enable;
    gr_error_clear(&E);
    ck_assert_msg(gr_optimize(p, &o, &q, &E) == GR_OK, "%s -O%d %s: %s", gr_program_name(p),
                  c->level, c->enable ? c->enable : "", fmt(&E));
    ck_assert_int_eq(gr_program_verify(q, &E), GR_OK);
    a = print(q);
    ck_assert_msg(gr_program_parse(a, "opt", &r, &E) == GR_OK, "%s: %s\n%s",
                  gr_program_name(p), fmt(&E), a);
    b = print(r);
    ck_assert_str_eq(a, b);
    gr_free_string(&a);
    gr_free_string(&b);
    gr_program_free(&r);
    return q;
}

/* Run p in step mode on c; with trace != NULL, what it prints (stderr,
 * where the step executor writes) is captured into *trace (malloc'd). */
static int run_step(gr_ctx *c, const gr_program *p, gr_result *r, char **trace)
{
    FILE *tf = NULL;
    int saved = -1, rc;
    memset(r, 0, sizeof *r);
    if (trace) {
        fflush(stderr);
        tf = tmpfile();
        ck_assert_ptr_nonnull(tf);
        saved = dup(2);
        ck_assert_int_ge(saved, 0);
        ck_assert_int_ge(dup2(fileno(tf), 2), 0);
    }
    gr_error_clear(&E);
    rc = gr_step_run(c, p, NULL, r, &E);
    if (trace) {
        long n;
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        n = ftell(tf);
        *trace = malloc((size_t)n + 1);
        ck_assert_ptr_nonnull(*trace);
        rewind(tf);
        ck_assert_int_eq((long)fread(*trace, 1, (size_t)n, tf), n);
        (*trace)[n] = '\0';
        fclose(tf);
    }
    return rc;
}

/* p's results under every config equal its unoptimized results on g, bit
 * for bit (and its prints, with traced). */
static void check_equivalent(const gr_program *p, const gr_graph *g, int traced, int iters,
                             const char *what)
{
    gr_ctx *c = NULL;
    gr_result r0, r1;
    char *t0 = NULL, *t1 = NULL, name[256];
    int k, rc0;
    ck_assert_int_eq(gr_ctx_new(g, &c, &E), GR_OK);
    rc0 = run_step(c, p, &r0, traced ? &t0 : NULL);
    ck_assert_msg(rc0 == GR_OK, "%s: step run: %s", what, fmt(&E));
    for (k = 0; k < NCONFIGS; k++) {
        gr_program *q = optimize(p, &configs[k]);
        snprintf(name, sizeof name, "%s -O%d %s", what, configs[k].level,
                 configs[k].enable ? configs[k].enable : "");
        ck_assert_msg(run_step(c, q, &r1, traced ? &t1 : NULL) == GR_OK, "%s: %s", name,
                      fmt(&E));
        tu_assert_results_match(&r1, &r0, 0.0, iters && configs[k].same_iters, name);
        if (traced) {
            ck_assert_msg(strcmp(t0, t1) == 0, "%s: the trace differs:\n%s\nvs\n%s", name, t1,
                          t0);
            free(t1);
            t1 = NULL;
        }
        gr_result_release(&r1);
        gr_program_free(&q);
    }
    free(t0);
    gr_result_release(&r0);
    gr_ctx_free(&c);
}

START_TEST(test_library_equivalent)
{
    const char *const *names = gr_library_names();
    int i, s;
    for (i = 0; names[i]; i++) {
        gr_program *p = tu_library_program(names[i]);
        for (s = 0; s < 4; s++) {
            gr_graph *g = s < 3 ? tu_random_graph(30 + 41 * (uint32_t)s, 90 + 170 * (uint64_t)s,
                                                  7 + (uint64_t)s, s != 1, s == 2 ?
                                                  GR_BUILD_SYMMETRIZE : 0)
                                : tu_skewed_graph(200, 1200, 5, 1, 0);
            char what[128];
            snprintf(what, sizeof what, "%s graph %d", names[i], s);
            check_equivalent(p, g, 0, 1, what);
            gr_graph_free(&g);
        }
        gr_program_free(&p);
    }
}
END_TEST

/* The text of section `name` ("== input") of a golden case, or NULL. */
static char *section(const char *text, const char *name)
{
    const char *s = strstr(text, name), *e;
    char *out;
    if (!s) {
        return NULL;
    }
    s += strlen(name);
    e = strstr(s, "\n== ");
    e = e ? e + 1 : s + strlen(s);
    out = malloc((size_t)(e - s) + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = '\0';
    return out;
}

/* The fusion goldens (tests/golden/passes/fuse_*.test, pipeline_O2_*):
 * each expected output gives the input's results, and the input gives the
 * same results under every config. */
START_TEST(test_golden_equivalent)
{
    const char *src = getenv("GR_SRCDIR");
    char dir[1024], path[1400];
    DIR *d;
    struct dirent *e;
    int nfiles = 0, s;
    gr_graph *g[2];
    g[0] = tu_random_graph(25, 90, 21, 1, 0);
    g[1] = tu_skewed_graph(60, 300, 22, 1, GR_BUILD_SYMMETRIZE);
    snprintf(dir, sizeof dir, "%s/tests/golden/passes", src && *src ? src : GR_SRCDIR);
    ck_assert_ptr_nonnull(d = opendir(dir));
    while ((e = readdir(d)) != NULL) {
        char *text, *in, *out;
        gr_program *p, *q;
        if (strncmp(e->d_name, "fuse_", 5) != 0 && strncmp(e->d_name, "pipeline_O2_", 12) != 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        text = tu_slurp(path, NULL);
        in = section(text, "\n== input\n");
        out = section(text, "\n== output\n");
        ck_assert_msg(in && out, "%s: no input or output section", e->d_name);
        p = parse_ok(in);
        q = parse_ok(out);
        for (s = 0; s < 2; s++) {
            gr_ctx *c = NULL;
            gr_result r0, r1;
            char what[300], *t0 = NULL, *t1 = NULL;
            snprintf(what, sizeof what, "%s graph %d", e->d_name, s);
            ck_assert_int_eq(gr_ctx_new(g[s], &c, &E), GR_OK);
            ck_assert_msg(run_step(c, p, &r0, &t0) == GR_OK, "%s: %s", what, fmt(&E));
            ck_assert_msg(run_step(c, q, &r1, &t1) == GR_OK, "%s: output: %s", what, fmt(&E));
            tu_assert_results_match(&r1, &r0, 0.0, 0, what);
            ck_assert_msg(strcmp(t0, t1) == 0, "%s: the traces differ", what);
            free(t0);
            free(t1);
            gr_result_release(&r0);
            gr_result_release(&r1);
            gr_ctx_free(&c);
            check_equivalent(p, g[s], strstr(text, "print(") != NULL, 0, what);
        }
        gr_program_free(&p);
        gr_program_free(&q);
        free(in);
        free(out);
        free(text);
        nfiles++;
    }
    closedir(d);
    ck_assert_int_ge(nfiles, 20);
    /* a program already holding every fused construct runs, and the
     * passes take it as input too */
    snprintf(path, sizeof path, "%s/tests/golden/ir/fused.ir", src && *src ? src : GR_SRCDIR);
    {
        char *text = tu_slurp(path, NULL);
        gr_program *p = parse_ok(text);
        for (s = 0; s < 2; s++) {
            check_equivalent(p, g[s], 0, 0, "fused.ir");
        }
        gr_program_free(&p);
        free(text);
    }
    gr_graph_free(&g[0]);
    gr_graph_free(&g[1]);
}
END_TEST

/* -O2 output is a fixed point of -O2, and fusion never adds ops. */
START_TEST(test_library_fixed_point)
{
    const char *const *names = gr_library_names();
    config o2 = {2, NULL, 0}, o0 = {0, NULL, 1};
    int i;
    for (i = 0; names[i]; i++) {
        gr_program *p = tu_library_program(names[i]), *q = optimize(p, &o2), *r = optimize(q, &o2),
                   *u = optimize(p, &o0);
        char *a = print(q), *b = print(r);
        ck_assert_msg(strcmp(a, b) == 0, "%s: -O2 of -O2 differs:\n%s", names[i], b);
        ck_assert_int_le(gr_program_op_count(q), gr_program_op_count(u));
        gr_free_string(&a);
        gr_free_string(&b);
        gr_program_free(&p);
        gr_program_free(&q);
        gr_program_free(&r);
        gr_program_free(&u);
    }
}
END_TEST

/* The library compiled from its sources (gr_lang_compile of
 * gr_library_source) at -O2 prints exactly as its golden
 * tests/golden/passes/pipeline_O2_lib_NAME.test expects. */
START_TEST(test_library_goldens)
{
    const char *const *names = gr_library_names(), *src = getenv("GR_SRCDIR");
    config o2 = {2, NULL, 0};
    char path[1400];
    int i;
    for (i = 0; names[i]; i++) {
        gr_program *p = tu_library_program(names[i]), *q = optimize(p, &o2);
        char *text, *want, *got = print(q);
        snprintf(path, sizeof path, "%s/tests/golden/passes/pipeline_O2_lib_%s.test",
                 src && *src ? src : GR_SRCDIR, names[i]);
        text = tu_slurp(path, NULL);
        want = section(text, "\n== output\n");
        ck_assert_msg(want && strcmp(want, got) == 0, "%s at -O2:\n%s", names[i], got);
        free(want);
        free(text);
        gr_free_string(&got);
        gr_program_free(&p);
        gr_program_free(&q);
    }
}
END_TEST

#define NRANDOM 200

START_TEST(test_random_equivalent)
{
    gr_graph *g[2];
    int seed;
    g[0] = tu_random_graph(23, 80, 11, 1, 0);
    g[1] = tu_skewed_graph(40, 160, 12, 1, GR_BUILD_SYMMETRIZE);
    for (seed = 1; seed <= NRANDOM; seed++) {
        progen_opts o;
        gr_program *p = NULL;
        char what[64];
        progen_defaults(&o);
        o.print = seed % 5 == 0; /* some with prints: the traces must match too */
        gr_error_clear(&E);
        ck_assert_msg(progen_build((uint64_t)seed, &o, &p, &E) == GR_OK, "progen %d: %s", seed,
                      fmt(&E));
        snprintf(what, sizeof what, "progen_%d", seed);
        /* (dead loops go: the iteration counts may differ) */
        check_equivalent(p, g[seed % 2], o.print, 0, what);
        gr_program_free(&p);
    }
    gr_graph_free(&g[0]);
    gr_graph_free(&g[1]);
}
END_TEST

/* The random programs give the fusion passes something to do: each pass
 * changes many of them after -O1 (and, for the passes that work on fused
 * kernels, after fuse_elementwise). */
START_TEST(test_random_fires)
{
    int seed, k, fired[4] = {0, 0, 0, 0};
    static const char *const pass[4] = {"fuse_elementwise", "fuse_elementwise,fuse_agg",
                                        "fuse_elementwise,fuse_reduction",
                                        "fuse_elementwise,fuse_loops"};
    static const char *const before[4] = {NULL, "fuse_elementwise", "fuse_elementwise",
                                          "fuse_elementwise"};
    for (seed = 1; seed <= NRANDOM; seed++) {
        progen_opts o;
        gr_program *p = NULL;
        progen_defaults(&o);
        ck_assert_int_eq(progen_build((uint64_t)seed, &o, &p, &E), GR_OK);
        for (k = 0; k < 4; k++) {
            config c = {1, pass[k], 1};
            gr_program *q = optimize(p, &c), *r;
            config c1 = {1, before[k], 1};
            char *a, *b;
            r = optimize(p, &c1);
            a = print(q);
            b = print(r);
            fired[k] += strcmp(a, b) != 0;
            gr_free_string(&a);
            gr_free_string(&b);
            gr_program_free(&q);
            gr_program_free(&r);
        }
        gr_program_free(&p);
    }
    for (k = 0; k < 4; k++) {
        if (getenv("GR_FUSION_VERBOSE")) {
            fprintf(stderr, "%s: %d of %d\n", pass[k], fired[k], NRANDOM);
        }
        ck_assert_msg(fired[k] >= 10, "%s fired on only %d of %d random programs", pass[k],
                      fired[k], NRANDOM);
    }
}
END_TEST

/* ---- failure injection --------------------------------------------------------------- */

/* Optimize p allowing 0, 1, 2, ... allocations until it succeeds: every
 * failure is a clean GR_ERR_NOMEM with no output; p is untouched. */
static void nomem_loop(const gr_program *p, int level, const char *enable)
{
    gr_passopts o;
    char *before = print(p), *after;
    long n;
    int rc = GR_ERR_NOMEM;
    memset(&o, 0, sizeof o);
    o.level = level;
    o.enable = enable;
    for (n = 0; rc != GR_OK; n++) {
        gr_program *q = NULL;
        ck_assert_msg(n < 200000, "gr_optimize never succeeds");
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
    after = print(p);
    ck_assert_str_eq(before, after);
    gr_free_string(&before);
    gr_free_string(&after);
}

START_TEST(test_nomem_library)
{
    static const char *const pass[] = {"fuse_elementwise", "fuse_agg", "fuse_reduction",
                                       "fuse_loops"};
    const char *const *names = gr_library_names();
    int i;
    size_t k;
    for (i = 0; names[i]; i++) {
        gr_program *p = tu_library_program(names[i]);
        nomem_loop(p, 2, NULL);
        for (k = 0; k < sizeof pass / sizeof pass[0]; k++) {
            nomem_loop(p, 0, pass[k]);
        }
        gr_program_free(&p);
    }
}
END_TEST

START_TEST(test_nomem_random)
{
    int seed;
    for (seed = 1; seed <= 6; seed++) {
        progen_opts o;
        gr_program *p = NULL;
        progen_defaults(&o);
        ck_assert_int_eq(progen_build((uint64_t)seed, &o, &p, &E), GR_OK);
        nomem_loop(p, 2, NULL);
        gr_program_free(&p);
    }
}
END_TEST

/* ---- suite --------------------------------------------------------------------------- */

static Suite *fusion_suite(void)
{
    Suite *s = suite_create("fusion");
    TCase *tc = tcase_create("ir");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_inst_text);
    tcase_add_test(tc, test_clone_nomem);
    tcase_add_loop_test(tc, test_parse_errors, 0,
                        (int)(sizeof parse_errors / sizeof parse_errors[0]));
    tcase_add_loop_test(tc, test_verify_rules, 0, (int)(sizeof rules / sizeof rules[0]));
    tcase_add_test(tc, test_verify_structure);
    suite_add_tcase(s, tc);

    tc = tcase_create("semantics");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_library_equivalent);
    tcase_add_test(tc, test_golden_equivalent);
    tcase_add_test(tc, test_library_fixed_point);
    tcase_add_test(tc, test_library_goldens);
    tcase_add_test(tc, test_random_equivalent);
    tcase_add_test(tc, test_random_fires);
    suite_add_tcase(s, tc);

    tc = tcase_create("nomem");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_nomem_library);
    tcase_add_test(tc, test_nomem_random);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(fusion_suite()); }
