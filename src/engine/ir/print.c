/*
 * print.c - the printed form of a program (gr_program_print, gr_ir_print),
 * the text gr_program_parse (ir/parse.c) reads back.
 *
 * One instruction per line, loop bodies indented two more spaces:
 *
 *   algorithm NAME(p: f64 = 0.85, n: i64 = 100, flag: bool = true) {
 *     %0 : f64 = param p
 *     %3 : f64 = const 1e-06
 *     %4.deg : i64v = out_degree()
 *     %5 : f64v = add(%4, %3)
 *     %9 : f64v = agg[in, sum, x](%8)           ("agg[in, sum, x, self]")
 *     print(%9)
 *     %20.rank : f64v, %21 : i64 = loop converged(test=0, max=%1, tol=%3)
 *         carry(%10.rank : f64v = %7, %11 : i64 = %2) {       (one line)
 *       ...
 *       yield %18, %19
 *     }
 *     return rank = %20, iters = %21
 *   }
 *
 * The optimizer's constructs (ir.h):
 *
 *     %15 : mask = agg[in, any, x, masked](%12, %17)     (mask last)
 *     %28 : f64v = loop converged(test=0, max=%2, tol=%1, explicit=true) ...
 *     %18 : f64v, %17.dang : f64 = fused[map, sum](%30 : f64 = %14,
 *         %31.sink : bool = %9) {                              (one line)
 *       %32 : f64 = where(%31, %30, ...)
 *       yield %33, %32
 *     }
 *     %27 : f64v = fused[map, epilogue](%40 : f64 = %19, ...) { ... }
 *     %19 : f64v = agg_fused[in, max, self, masked](%30 : f64 = %9,
 *         %31 : bool = %17, %32 : f64 = weight) { ... yield %34 }
 *
 * A fused kernel's outputs stand on the left with one fold kind each in
 * its brackets (then "epilogue" for an aggregation's epilogue); its lanes
 * are bound to its operands like a loop's carried values to their initial
 * values; a fused aggregation's last lane is bound to the edge weight.
 * An explicit loop test ends the loop's key list ("explicit=true"), and
 * its yield then has one more value, the test's.
 *
 * Value ids are the program's own (%N); a name hint follows the id where
 * the value is defined ("%4.deg").  A loop's results stand on the left of
 * "loop", its inner values in carry(), each with its type; repeat loops
 * print neither test= nor tol=, unchanged loops no tol=, a loop without
 * carried values no carry().  Constants print exactly: f64 as the shortest
 * "%g" text that reads back to the same bits (plain digits rather than an
 * exponent up to 1e16), inf, -inf, nan; i64 in decimal; bools as
 * true/false.  Source locations are left out unless gr_ir_print is asked
 * for them; then each line ends with "  # file:line:col", a comment to
 * the parser.  Names of ops, types and attributes come from ir/types.c.
 */
#include "config.h"
#include "engine/ir/ir.h"
#include "common/error.h"
#include "common/mem.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable string; an allocation failure is sticky. */
typedef struct sbuf {
    char *s;             /* NUL-terminated text (owned) */
    size_t n, cap;       /* length, allocated bytes */
    int nomem;           /* an append failed */
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->nomem) {
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *t;
        while (b->n + n + 1 > cap) {
            cap *= 2;
        }
        if (!(t = gr_realloc(b->s, cap))) {
            b->nomem = 1;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(sbuf *b, const char *fmt, ...) GR_PRINTF(2, 3);

static void putf(sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof tmp) {
        put(b, tmp, (size_t)n);
    } else if (n >= 0) {
        char *big = gr_malloc((size_t)n + 1);
        if (!big) {
            b->nomem = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        put(b, big, (size_t)n);
        gr_free(big);
    }
}

/* Whether two doubles have the same bits (-0 differs from 0). */
static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* The shortest "%g" text of x that strtod reads back exactly; plain
 * digits instead of an exponent for magnitudes below 1e16. */
static void format_f64(char *buf, size_t n, double x)
{
    int prec;
    const char *e;
    if (isnan(x)) {
        snprintf(buf, n, "nan");
        return;
    }
    if (isinf(x)) {
        snprintf(buf, n, x > 0 ? "inf" : "-inf");
        return;
    }
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (same_bits(strtod(buf, NULL), x)) {
            break;
        }
    }
    snprintf(buf, n, "%.*g", prec, x);
    if ((e = strchr(buf, 'e')) != NULL) {
        int exp10 = atoi(e + 1);
        if (exp10 >= prec && exp10 < 16) {
            snprintf(buf, n, "%.*g", exp10 + 1, x);
        }
    }
}

/* The literal of a scalar of type t (bool: i as true/false). */
static void put_literal(sbuf *b, gr_type t, double f, int64_t i)
{
    char buf[40];
    switch (t) {
    case GR_T_F64:
        format_f64(buf, sizeof buf, f);
        puts_(b, buf);
        break;
    case GR_T_I64:
        putf(b, "%" PRId64, i);
        break;
    case GR_T_BOOL:
        puts_(b, i ? "true" : "false");
        break;
    default:
        putf(b, "?%s", gr_type_name(t));
        break;
    }
}

static void put_indent(sbuf *b, int depth)
{
    int i;
    for (i = 0; i < depth; i++) {
        puts_(b, "  ");
    }
}

/* "%N.hint : type" for a value being defined. */
static void put_def(sbuf *b, const gr_program *p, gr_vid v)
{
    putf(b, "%%%d", (int)v);
    if (v >= 0 && v < p->nvalues) {
        if (p->values[v].name) {
            putf(b, ".%s", p->values[v].name);
        }
        putf(b, " : %s", gr_type_name(p->values[v].type));
    }
}

/* Operands a[0..n) as "%a, %b". */
static void put_refs(sbuf *b, const gr_vid *a, int32_t n)
{
    int32_t i;
    for (i = 0; a && i < n; i++) {
        putf(b, i ? ", %%%d" : "%%%d", (int)a[i]);
    }
}

/* A loop's line, "%r : t = loop kind(...) carry(...) {". */
static void put_loop(sbuf *b, const gr_program *p, const gr_inst *in)
{
    int32_t i, n = in->ncarry > 0 && in->results && in->inner && in->args ? in->ncarry : 0;
    for (i = 0; i < n; i++) {
        puts_(b, i ? ", " : "");
        put_def(b, p, in->results[i]);
    }
    puts_(b, n ? " = loop " : "loop ");
    puts_(b, gr_loop_name((gr_loop_kind)in->attrs.loop));
    puts_(b, "(");
    if (in->attrs.loop != GR_LOOP_REPEAT) {
        putf(b, "test=%d, ", (int)in->attrs.test);
    }
    if (in->args && in->nargs >= 2) {
        putf(b, "max=%%%d", (int)in->args[0]);
        if (in->attrs.loop == GR_LOOP_CONVERGED) {
            putf(b, ", tol=%%%d", (int)in->args[1]);
        }
    }
    if (in->attrs.explicit_test) {
        puts_(b, ", explicit=true");
    }
    puts_(b, ")");
    if (n > 0) {
        puts_(b, " carry(");
        for (i = 0; i < n; i++) {
            puts_(b, i ? ", " : "");
            put_def(b, p, in->inner[i]);
            putf(b, " = %%%d", (int)in->args[2 + i]);
        }
        puts_(b, ")");
    }
    puts_(b, " {");
}

/* The lanes of a fused kernel bound to its operands, "(%l : t = %a, ...)";
 * a fused aggregation's last lane "%w : f64 = weight". */
static void put_lanes(sbuf *b, const gr_program *p, const gr_inst *in)
{
    int32_t k, n = in->op == GR_OP_AGG_FUSED ? in->nargs + 1 : in->nargs;
    puts_(b, "(");
    for (k = 0; in->inner && k < n; k++) {
        puts_(b, k ? ", " : "");
        put_def(b, p, in->inner[k]);
        if (k < in->nargs && in->args) {
            putf(b, " = %%%d", (int)in->args[k]);
        } else {
            puts_(b, " = weight");
        }
    }
    puts_(b, ") {");
}

/* A fused kernel's line, "%r : t, ... = fused[fold, ..., epilogue](lanes) {". */
static void put_fused(sbuf *b, const gr_program *p, const gr_inst *in)
{
    int32_t k, n = in->results && in->fold ? in->ncarry : 0;
    const char *f;
    for (k = 0; k < n; k++) {
        puts_(b, k ? ", " : "");
        put_def(b, p, in->results[k]);
    }
    puts_(b, n ? " = fused[" : "fused[");
    for (k = 0; k < n; k++) {
        f = gr_fold_name(in->fold[k]);
        puts_(b, k ? ", " : "");
        if (f) {
            puts_(b, f);
        } else {
            putf(b, "?fold%d", (int)in->fold[k]);
        }
    }
    if (in->attrs.epilogue) {
        puts_(b, n ? ", epilogue" : "epilogue");
    }
    puts_(b, "]");
    put_lanes(b, p, in);
}

/* A fused aggregation's line, "%r : t = agg_fused[dir, monoid(, self)(,
 * masked)](lanes) {". */
static void put_agg_fused(sbuf *b, const gr_program *p, const gr_inst *in)
{
    put_def(b, p, in->result);
    putf(b, " = agg_fused[%s, %s%s%s]", gr_dir_name((gr_dir)in->attrs.dir),
         gr_monoid_name((gr_monoid)in->attrs.monoid), in->attrs.self ? ", self" : "",
         in->attrs.masked ? ", masked" : "");
    put_lanes(b, p, in);
}

/* The text of one instruction after its indentation, up to the newline
 * (a loop: up to its "{"). */
static void put_inst(sbuf *b, const gr_program *p, const gr_inst *in)
{
    const char *name = gr_op_name((gr_opcode)in->op);
    int32_t i;
    if (!name) {
        putf(b, "?op%d", (int)in->op);
        return;
    }
    switch (in->op) {
    case GR_OP_YIELD:
        puts_(b, "yield");
        puts_(b, in->nargs > 0 ? " " : "");
        put_refs(b, in->args, in->nargs);
        return;
    case GR_OP_RETURN:
        puts_(b, "return");
        for (i = 0; in->args && i < in->nargs; i++) {
            putf(b, "%s%s = %%%d", i ? ", " : " ",
                 p->result_names && p->result_names[i] ? p->result_names[i] : "?",
                 (int)in->args[i]);
        }
        return;
    case GR_OP_PRINT:
        break;
    default:
        put_def(b, p, in->result);
        puts_(b, " = ");
        break;
    }
    switch (in->op) {
    case GR_OP_CONST:
        puts_(b, "const ");
        put_literal(b, in->result >= 0 && in->result < p->nvalues ? p->values[in->result].type
                                                                     : GR_T_NONE,
                    in->attrs.f, in->attrs.i);
        return;
    case GR_OP_PARAM:
        if (in->attrs.i >= 0 && in->attrs.i < p->nparams) {
            putf(b, "param %s", p->params[in->attrs.i].name);
        } else {
            putf(b, "param ?%" PRId64, in->attrs.i);
        }
        return;
    case GR_OP_AGG:
        putf(b, "agg[%s, %s, %s%s%s](", gr_dir_name((gr_dir)in->attrs.dir),
             gr_monoid_name((gr_monoid)in->attrs.monoid), gr_msg_name((gr_msg)in->attrs.msg),
             in->attrs.self ? ", self" : "", in->attrs.masked ? ", masked" : "");
        break;
    default:
        putf(b, "%s(", name);
        break;
    }
    put_refs(b, in->args, in->nargs);
    puts_(b, ")");
}

/* The source location comment of in, when it has one. */
static void put_loc(sbuf *b, const gr_inst *in)
{
    if (in->loc.line <= 0) {
        return;
    }
    putf(b, "  # %s%s%d:%d", in->loc.file ? in->loc.file : "", in->loc.file ? ":" : "",
         (int)in->loc.line, (int)in->loc.col);
}

/* The line of one instruction after its indentation, up to the newline
 * (a loop: up to its "{"); the one place choosing how an op's line looks. */
static void put_head(sbuf *b, const gr_program *p, const gr_inst *in)
{
    switch (in->op) {
    case GR_OP_LOOP:
        put_loop(b, p, in);
        break;
    case GR_OP_FUSED:
        put_fused(b, p, in);
        break;
    case GR_OP_AGG_FUSED:
        put_agg_fused(b, p, in);
        break;
    default:
        put_inst(b, p, in);
        break;
    }
}

/* Whether in's line opens a body (ends with "{"). */
static int opens_body(const gr_inst *in)
{
    return in->op == GR_OP_LOOP || in->op == GR_OP_FUSED || in->op == GR_OP_AGG_FUSED;
}

/* The instructions of blk at indentation depth, loop bodies nested. */
static void put_block(sbuf *b, const gr_program *p, const gr_block *blk, int depth,
                      int with_locs)
{
    int32_t i;
    for (i = 0; i < blk->n; i++) {
        const gr_inst *in = &blk->insts[i];
        put_indent(b, depth);
        put_head(b, p, in);
        if (with_locs) {
            put_loc(b, in);
        }
        puts_(b, "\n");
        if (opens_body(in)) {
            if (in->body) {
                put_block(b, p, in->body, depth + 1, with_locs);
            }
            put_indent(b, depth);
            puts_(b, "}\n");
        }
    }
}

/* gr_ir_print: the printed form of p, with source locations as comments
 * when with_locs is set.  *text is allocated (gr_free_string). */
int gr_ir_print(const gr_program *p, int with_locs, char **text, gr_error *err)
{
    sbuf b = {NULL, 0, 0, 0};
    int32_t i;
    *text = NULL;
    if (!p) {
        return gr_err(err, GR_ERR_INVALID, "no program");
    }
    putf(&b, "algorithm %s(", p->name);
    for (i = 0; i < p->nparams; i++) {
        putf(&b, "%s%s: %s = ", i ? ", " : "", p->params[i].name,
             gr_type_name(p->params[i].type));
        put_literal(&b, p->params[i].type, p->params[i].fdefault, p->params[i].idefault);
    }
    puts_(&b, ") {\n");
    put_block(&b, p, &p->top, 1, with_locs);
    puts_(&b, "}\n");
    if (b.nomem) {
        gr_free(b.s);
        return gr_err_nomem(err, "printing a program");
    }
    *text = b.s;
    return GR_OK;
}

/* gr_program_print: the printed form of p, without source locations. */
int gr_program_print(const gr_program *p, char **text, gr_error *err)
{
    return gr_ir_print(p, 0, text, err);
}

/* gr_ir_value_text: value v as gr_ir_print writes it where it is defined,
 * "%N.hint : type".  *text is allocated (gr_free_string). */
int gr_ir_value_text(const gr_program *p, gr_vid v, char **text, gr_error *err)
{
    sbuf b = {NULL, 0, 0, 0};
    *text = NULL;
    put_def(&b, p, v);
    if (b.nomem || !b.s) {
        gr_free(b.s);
        return gr_err_nomem(err, "printing a value");
    }
    *text = b.s;
    return GR_OK;
}

/* gr_ir_inst_text: the line gr_ir_print writes for instruction in, without
 * indentation, location comment or newline, and for a region op without
 * the " {" opening its body.  *text is allocated (gr_free_string). */
int gr_ir_inst_text(const gr_program *p, const gr_inst *in, char **text, gr_error *err)
{
    sbuf b = {NULL, 0, 0, 0};
    *text = NULL;
    put_head(&b, p, in);
    if (b.nomem || !b.s) {
        gr_free(b.s);
        return gr_err_nomem(err, "printing an instruction");
    }
    if (b.n >= 2 && strcmp(b.s + b.n - 2, " {") == 0) {
        b.s[b.n -= 2] = '\0';
    }
    *text = b.s;
    return GR_OK;
}
