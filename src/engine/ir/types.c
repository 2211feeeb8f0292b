/*
 * types.c - the op info table and the typing rules of the IR.
 *
 * gr_opinfo_table is generated from gr_ops.def; every other table of names
 * the IR needs (types, aggregation directions, monoids, messages, loop
 * kinds) lives here too, so the printer, the parser and the builder never
 * keep their own copies.  The typing functions implement the sig column of
 * gr_ops.def: they are the one place that decides which operand types an
 * op accepts, what it returns and in which element type it computes.  The
 * builder, the verifier and the executors all ask these functions.
 *
 * Booleans are not numbers: arithmetic, comparisons and numeric reductions
 * reject bools and masks with a reason that says how to convert.
 */
#include "config.h"
#include "engine/ir/types.h"
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const gr_opinfo gr_opinfo_table[] = {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc) \
    {name, nargs, GR_SIG_##sig, flags, doc},
#include "gr_ops.def"
#undef OP
};

/* --- names ---------------------------------------------------------------- */

static const char *const type_names[] = {"none", "f64", "i64", "bool", "f64v", "i64v", "mask"};
static const char *const dir_names[] = {"in", "out", "both"};
static const char *const monoid_names[] = {"sum", "min", "max", "mean", "count", "any", "mode"};
static const char *const msg_names[] = {"x", "add_w", "mul_w", "w"};
static const char *const loop_names[] = {"repeat", "converged", "unchanged"};

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* names[i] for 0 <= i < n, else "?". */
static const char *name_of(const char *const *names, int n, int i)
{
    return (i >= 0 && i < n) ? names[i] : "?";
}

/* The index of s among names[first..n), or -1. */
static int lookup(const char *const *names, int first, int n, const char *s)
{
    int i;
    if (!s) {
        return -1;
    }
    for (i = first; i < n; i++) {
        if (strcmp(names[i], s) == 0) {
            return i;
        }
    }
    return -1;
}

/* gr_type_name: "f64", "i64", "bool", "f64v", "i64v", "mask"; "none" for
 * GR_T_NONE and "?" for a value outside the enum. */
const char *gr_type_name(gr_type t) { return name_of(type_names, NELEM(type_names), (int)t); }

/* gr_op_name: the op's printed name, NULL when op is not an opcode. */
const char *gr_op_name(gr_opcode op)
{
    if ((int)op < 0 || op >= GR_OP__COUNT) {
        return NULL;
    }
    return gr_opinfo_table[op].name;
}

/* gr_op_lookup: the opcode whose printed name is `name`, or -1. */
int gr_op_lookup(const char *name)
{
    int op;
    if (!name) {
        return -1;
    }
    for (op = 0; op < GR_OP__COUNT; op++) {
        if (strcmp(gr_opinfo_table[op].name, name) == 0) {
            return op;
        }
    }
    return -1;
}

/* Names of aggregation attributes and loop kinds ("?" when out of range). */
const char *gr_dir_name(gr_dir d) { return name_of(dir_names, NELEM(dir_names), (int)d); }
const char *gr_monoid_name(gr_monoid m)
{
    return name_of(monoid_names, NELEM(monoid_names), (int)m);
}
const char *gr_msg_name(gr_msg m) { return name_of(msg_names, NELEM(msg_names), (int)m); }
const char *gr_loop_name(gr_loop_kind k) { return name_of(loop_names, NELEM(loop_names), (int)k); }

/* Lookups by name; -1 when unknown. */
int gr_dir_lookup(const char *s) { return lookup(dir_names, 0, NELEM(dir_names), s); }
int gr_monoid_lookup(const char *s) { return lookup(monoid_names, 0, NELEM(monoid_names), s); }
int gr_msg_lookup(const char *s) { return lookup(msg_names, 0, NELEM(msg_names), s); }
int gr_loop_lookup(const char *s) { return lookup(loop_names, 0, NELEM(loop_names), s); }

/* gr_type_lookup: the type named s; "none" is not a value type, so it is
 * unknown (-1) like any other word. */
int gr_type_lookup(const char *s) { return lookup(type_names, 1, NELEM(type_names), s); }

/* --- type helpers --------------------------------------------------------- */

/* gr_type_elem: the element type of a vector; scalars (and GR_T_NONE) map
 * to themselves. */
gr_type gr_type_elem(gr_type t)
{
    switch (t) {
    case GR_T_F64V: return GR_T_F64;
    case GR_T_I64V: return GR_T_I64;
    case GR_T_MASK: return GR_T_BOOL;
    default: return t;
    }
}

/* gr_type_vec: the vector type of an element type; vectors map to
 * themselves, GR_T_NONE to GR_T_NONE. */
gr_type gr_type_vec(gr_type t)
{
    switch (t) {
    case GR_T_F64: return GR_T_F64V;
    case GR_T_I64: return GR_T_I64V;
    case GR_T_BOOL: return GR_T_MASK;
    default: return t;
    }
}

/* Type t with the shape of a vector when vec is set. */
static gr_type shaped(gr_type elem, int vec) { return vec ? gr_type_vec(elem) : elem; }

/* "a" or "an" before a type name ("an f64v", "a mask"). */
static const char *article(gr_type t)
{
    gr_type e = gr_type_elem(t);
    return (e == GR_T_F64 || e == GR_T_I64) ? "an" : "a";
}

/* Write a reason into why (may be NULL) and return GR_T_NONE. */
static gr_type fail(char *why, size_t whylen, const char *fmt, ...) GR_PRINTF(3, 4);

static gr_type fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    if (why && whylen > 0) {
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return GR_T_NONE;
}

/* A number (scalar or vector) was needed at operand i (1-based). */
static gr_type need_number(const char *op, int i, gr_type t, char *why, size_t whylen)
{
    if (t == GR_T_NONE) {
        return fail(why, whylen, "operand %d of %s has no value", i, op);
    }
    return fail(why, whylen, "operand %d of %s is %s %s; use to_i64() or to_f64()", i, op,
                article(t), gr_type_name(t));
}

/* Check that in[i] is a number; 0 when it is, else writes the reason. */
static int bad_number(const char *op, const gr_type *in, int i, char *why, size_t whylen)
{
    if (gr_type_is_num(in[i])) {
        return 0;
    }
    need_number(op, i + 1, in[i], why, whylen);
    return 1;
}

/* Check that in[i] is a bool or a mask. */
static int bad_bool(const char *op, const gr_type *in, int i, char *why, size_t whylen)
{
    if (gr_type_is_bool(in[i])) {
        return 0;
    }
    if (in[i] == GR_T_NONE) {
        fail(why, whylen, "operand %d of %s has no value", i + 1, op);
    } else {
        fail(why, whylen, "operand %d of %s is %s %s; expected a bool or a mask (use to_bool())",
             i + 1, op, article(in[i]), gr_type_name(in[i]));
    }
    return 1;
}

/* Check that in[i] is a vector. */
static int bad_vector(const char *op, const gr_type *in, int i, char *why, size_t whylen)
{
    if (gr_type_is_vector(in[i])) {
        return 0;
    }
    if (in[i] == GR_T_NONE) {
        fail(why, whylen, "operand %d of %s has no value", i + 1, op);
    } else {
        fail(why, whylen, "operand %d of %s is %s %s; expected a vector", i + 1, op,
             article(in[i]), gr_type_name(in[i]));
    }
    return 1;
}

/* f64 if either element type is f64, else i64 (both must be numbers). */
static gr_type promote(gr_type a, gr_type b)
{
    return (gr_type_elem(a) == GR_T_F64 || gr_type_elem(b) == GR_T_F64) ? GR_T_F64 : GR_T_I64;
}

/* gr_op_result_type: the typing rule of gr_ops.def's sig column.  On
 * success why (may be NULL) is set to the empty string, so an op without a
 * result (print) is told apart from a type error by why[0]; on a type
 * error GR_T_NONE and the reason.  Const, param, agg and the control ops
 * are not typed from operands: they always fail here. */
gr_type gr_op_result_type(gr_opcode op, const gr_type *in, int nargs, char *why,
                          size_t whylen)
{
    const gr_opinfo *info;
    const char *name;
    int i, anyvec = 0;

    if (why && whylen > 0) {
        why[0] = '\0';
    }
    if ((int)op < 0 || op >= GR_OP__COUNT) {
        return fail(why, whylen, "op code %d is not an op", (int)op);
    }
    info = &gr_opinfo_table[op];
    name = info->name;
    switch (info->sig) {
    case GR_SIG_CONST: case GR_SIG_PARAM: case GR_SIG_AGG:
    case GR_SIG_LOOP: case GR_SIG_YIELD: case GR_SIG_RETURN:
    case GR_SIG_FUSED: case GR_SIG_AGG_FUSED:
        return fail(why, whylen, "the type of %s does not follow from its operands", name);
    default:
        break;
    }
    if (nargs != info->nargs) {
        return fail(why, whylen, "%s takes %d operand%s, not %d", name, info->nargs,
                    info->nargs == 1 ? "" : "s", nargs);
    }
    for (i = 0; i < nargs; i++) {
        if (in[i] == GR_T_NONE || (int)in[i] < 0 || in[i] > GR_T_MASK) {
            return fail(why, whylen, "operand %d of %s has no value", i + 1, name);
        }
        anyvec |= gr_type_is_vector(in[i]);
    }

    switch (info->sig) {
    case GR_SIG_FILL:
        if (gr_type_is_vector(in[0])) {
            return fail(why, whylen, "operand 1 of %s is %s %s; expected a scalar", name,
                        article(in[0]), gr_type_name(in[0]));
        }
        return gr_type_vec(in[0]);
    case GR_SIG_NBR:
        if (in[0] != GR_T_I64) {
            return fail(why, whylen, "operand 1 of %s is %s %s; expected an i64 scalar", name,
                        article(in[0]), gr_type_name(in[0]));
        }
        return GR_T_I64V;
    case GR_SIG_SRC_I64:
        return GR_T_I64;
    case GR_SIG_SRC_I64V:
        return GR_T_I64V;
    case GR_SIG_NUM2:
        if (bad_number(name, in, 0, why, whylen) || bad_number(name, in, 1, why, whylen)) {
            return GR_T_NONE;
        }
        return shaped(promote(in[0], in[1]), anyvec);
    case GR_SIG_NUM1:
        if (bad_number(name, in, 0, why, whylen)) {
            return GR_T_NONE;
        }
        return in[0];
    case GR_SIG_FLT2:
    case GR_SIG_FLT1:
        for (i = 0; i < nargs; i++) {
            if (bad_number(name, in, i, why, whylen)) {
                return GR_T_NONE;
            }
        }
        return shaped(GR_T_F64, anyvec);
    case GR_SIG_CMP:
        if (bad_number(name, in, 0, why, whylen) || bad_number(name, in, 1, why, whylen)) {
            return GR_T_NONE;
        }
        return shaped(GR_T_BOOL, anyvec);
    case GR_SIG_LOG2:
    case GR_SIG_LOG1:
        for (i = 0; i < nargs; i++) {
            if (bad_bool(name, in, i, why, whylen)) {
                return GR_T_NONE;
            }
        }
        return shaped(GR_T_BOOL, anyvec);
    case GR_SIG_WHERE:
        if (bad_bool(name, in, 0, why, whylen) || bad_number(name, in, 1, why, whylen) ||
            bad_number(name, in, 2, why, whylen)) {
            return GR_T_NONE;
        }
        return shaped(promote(in[1], in[2]), anyvec);
    case GR_SIG_TOF64:
        return shaped(GR_T_F64, anyvec);
    case GR_SIG_TOI64:
        return shaped(GR_T_I64, anyvec);
    case GR_SIG_TOBOOL:
        return shaped(GR_T_BOOL, anyvec);
    case GR_SIG_GATHER:
        if (bad_vector(name, in, 0, why, whylen)) {
            return GR_T_NONE;
        }
        if (in[1] != GR_T_I64V) {
            return fail(why, whylen, "operand 2 of %s is %s %s; expected an i64v of node indices",
                        name, article(in[1]), gr_type_name(in[1]));
        }
        return in[0];
    case GR_SIG_LINK:
        for (i = 0; i < 2; i++) {
            if (in[i] != GR_T_I64V) {
                return fail(why, whylen,
                            "operand %d of %s is %s %s; expected an i64v of node indices", i + 1,
                            name, article(in[i]), gr_type_name(in[i]));
            }
        }
        return GR_T_I64V;
    case GR_SIG_SCATTER:
        if (bad_vector(name, in, 0, why, whylen) || bad_number(name, in, 0, why, whylen)) {
            return GR_T_NONE;
        }
        if (in[1] != GR_T_I64V) {
            return fail(why, whylen, "operand 2 of %s is %s %s; expected an i64v of node indices",
                        name, article(in[1]), gr_type_name(in[1]));
        }
        if (bad_vector(name, in, 2, why, whylen) || bad_number(name, in, 2, why, whylen)) {
            return GR_T_NONE;
        }
        /* i64 values scatter into an f64 vector after a to_f64; the other
         * way round would lose precision. */
        if (in[0] == GR_T_I64V && in[2] == GR_T_F64V) {
            return fail(why, whylen, "operand 3 of %s is an f64v; expected an i64v like operand 1",
                        name);
        }
        return in[0];
    case GR_SIG_RED:
    case GR_SIG_RED_F64:
        if (bad_vector(name, in, 0, why, whylen)) {
            return GR_T_NONE;
        }
        if (in[0] == GR_T_MASK) {
            return fail(why, whylen, "operand 1 of %s is a mask; use count(), any() or all(), "
                        "or to_i64() first", name);
        }
        return info->sig == GR_SIG_RED ? gr_type_elem(in[0]) : GR_T_F64;
    case GR_SIG_RED_I64:
        if (bad_vector(name, in, 0, why, whylen)) {
            return GR_T_NONE;
        }
        return GR_T_I64;
    case GR_SIG_RED_BOOL:
        if (bad_vector(name, in, 0, why, whylen)) {
            return GR_T_NONE;
        }
        if (in[0] != GR_T_MASK) {
            return fail(why, whylen, "operand 1 of %s is %s %s; expected a mask (use to_bool())",
                        name, article(in[0]), gr_type_name(in[0]));
        }
        return GR_T_BOOL;
    case GR_SIG_DIST:
        for (i = 0; i < 2; i++) {
            if (bad_vector(name, in, i, why, whylen) || bad_number(name, in, i, why, whylen)) {
                return GR_T_NONE;
            }
        }
        return GR_T_F64;
    case GR_SIG_PRINT:
        return GR_T_NONE; /* why is "": no result, no error */
    default:
        return fail(why, whylen, "the type of %s does not follow from its operands", name);
    }
}

/* gr_op_compute_elem: the element type op computes in.  Numeric ops with
 * promotion (NUM2, CMP, WHERE's branches, DIST): f64 when an operand is
 * f64, else i64; FLT ops: f64; scatter: operand 1's element type; the
 * other ops: their (first) operand's element type (LOG: bool).  GR_T_NONE
 * for ops without operands or a wrong operand count. */
gr_type gr_op_compute_elem(gr_opcode op, const gr_type *in, int nargs)
{
    const gr_opinfo *info;
    if ((int)op < 0 || op >= GR_OP__COUNT) {
        return GR_T_NONE;
    }
    info = &gr_opinfo_table[op];
    if (info->nargs < 1 || nargs != info->nargs) {
        return GR_T_NONE;
    }
    switch (info->sig) {
    case GR_SIG_NUM2: case GR_SIG_CMP: case GR_SIG_DIST:
        return promote(in[0], in[1]);
    case GR_SIG_WHERE:
        return promote(in[1], in[2]);
    case GR_SIG_FLT1: case GR_SIG_FLT2:
    case GR_SIG_TOF64: /* its i64 expression is not defined: convert first */
        return GR_T_F64;
    case GR_SIG_LOG1: case GR_SIG_LOG2:
        return GR_T_BOOL;
    default:
        return gr_type_elem(in[0]);
    }
}

/* gr_op_operand_promotes: whether operand i (0-based) of op is converted
 * to the op's compute element type (see types.h). */
int gr_op_operand_promotes(gr_opcode op, int i)
{
    if ((int)op < 0 || op >= GR_OP__COUNT || i < 0 || i >= gr_opinfo_table[op].nargs) {
        return 0;
    }
    switch (gr_opinfo_table[op].sig) {
    case GR_SIG_NUM2: case GR_SIG_CMP: case GR_SIG_DIST:
    case GR_SIG_FLT1: case GR_SIG_FLT2:
        return 1;
    case GR_SIG_WHERE:
        return i >= 1;
    case GR_SIG_SCATTER:
        return i == 2;
    default:
        return 0;
    }
}

/* gr_agg_result_type: the message's element type is x's for msg x and f64
 * for the weight messages; sum/min/max keep it, mean gives f64, count i64
 * (true or non-zero messages count), any needs a mask message and gives a
 * mask, mode needs i64 messages (msg x over an i64v).  x must be a
 * vector. */
gr_type gr_agg_result_type(gr_monoid mon, gr_msg msg, gr_type x, char *why, size_t whylen)
{
    gr_type m;
    if (why && whylen > 0) {
        why[0] = '\0';
    }
    if ((int)mon < 0 || mon > GR_MON_MODE) {
        return fail(why, whylen, "unknown agg monoid %d", (int)mon);
    }
    if ((int)msg < 0 || msg > GR_MSG_W) {
        return fail(why, whylen, "unknown agg message %d", (int)msg);
    }
    if (!gr_type_is_vector(x)) {
        if (x == GR_T_NONE || (int)x < 0 || x > GR_T_MASK) {
            return fail(why, whylen, "operand 1 of agg has no value");
        }
        return fail(why, whylen, "operand 1 of agg is %s %s; expected a vector", article(x),
                    gr_type_name(x));
    }
    if ((msg == GR_MSG_ADD_W || msg == GR_MSG_MUL_W) && x == GR_T_MASK) {
        return fail(why, whylen, "agg message %s over a mask; use to_f64() first",
                    gr_msg_name(msg));
    }
    m = msg == GR_MSG_X ? gr_type_elem(x) : GR_T_F64;
    switch (mon) {
    case GR_MON_SUM: case GR_MON_MIN: case GR_MON_MAX: case GR_MON_MEAN:
        if (m == GR_T_BOOL) {
            return fail(why, whylen, "agg %s over a mask; use count or any, or to_i64() first",
                        gr_monoid_name(mon));
        }
        return mon == GR_MON_MEAN ? GR_T_F64V : gr_type_vec(m);
    case GR_MON_COUNT:
        return GR_T_I64V;
    case GR_MON_ANY:
        if (m != GR_T_BOOL) {
            return fail(why, whylen, "agg any needs mask messages (msg x over a mask), not %s "
                        "over %s %s", gr_msg_name(msg), article(x), gr_type_name(x));
        }
        return GR_T_MASK;
    case GR_MON_MODE:
        if (m != GR_T_I64 || msg != GR_MSG_X) {
            return fail(why, whylen, "agg mode needs i64 labels (msg x over an i64v), not %s "
                        "over %s %s", gr_msg_name(msg), article(x), gr_type_name(x));
        }
        return GR_T_I64V;
    }
    return fail(why, whylen, "unknown agg monoid %d", (int)mon);
}
