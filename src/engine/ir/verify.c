/*
 * verify.c - gr_program_verify: every structural and typing rule of the IR.
 *
 * The checks, in program order:
 *  - names: the program, its parameters, results and value hints are
 *    printable names (gr_ir_is_name); parameter and result names unique;
 *    parameters are f64/i64/bool scalars (bool defaults 0 or 1);
 *  - each instruction: a known op with its arity; operands are values,
 *    defined earlier and visible (a value is visible after its definition
 *    in its block and in the bodies nested there, never after the loop
 *    whose body defined it); each value defined once; the recorded result
 *    type equals the one gr_op_result_type / gr_agg_result_type gives; the
 *    operands that promote have the op's compute element type (the builder
 *    inserts to_f64); const, param and agg attributes are in range;
 *  - loops: max_iter an i64 scalar, tol an f64 scalar for converged loops
 *    and -1 otherwise, a test index in range (-1 for repeat) watching a
 *    number (converged), inner and result values typed like the initial
 *    values, a body that ends with the only yield of the body, whose values
 *    match the carried types;
 *  - the top block ends with the program's only return.
 * Messages carry the instruction's location and name the op and its result:
 * "op 'add' (%7): operand 2 of add is a mask; use to_i64() or to_f64()".
 * The first violation is reported: GR_ERR_TYPE for types, GR_ERR_INVALID
 * for structure.
 */
#include "config.h"
#include "engine/ir/ir.h"
#include "common/error.h"
#include "common/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* What the verifier knows about a value at the current point. */
enum { V_UNDEF = 0, V_VISIBLE, V_GONE };

typedef struct vstate {
    const gr_program *p;
    gr_error *err;
    uint8_t *state;      /* per value: V_UNDEF, V_VISIBLE or V_GONE (out of scope) */
    int32_t *ndefs;      /* per value: definitions in the whole program */
    int32_t *stack;      /* values defined in the open blocks, in order */
    int32_t nstack;
} vstate;

/* Report a violation at instruction in (NULL: a program-level rule). */
static int vfail(vstate *vs, const gr_inst *in, int code, const char *fmt, ...) GR_PRINTF(4, 5);

static int vfail(vstate *vs, const gr_inst *in, int code, const char *fmt, ...)
{
    char msg[GR_ERROR_MSG_MAX], prefix[96] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!in) {
        return gr_err(vs->err, code, "%s", msg);
    }
    if (in->op < GR_OP__COUNT && in->result >= 0) {
        snprintf(prefix, sizeof prefix, "op '%s' (%%%d): ", gr_op_name(in->op), (int)in->result);
    } else if (in->op < GR_OP__COUNT) {
        snprintf(prefix, sizeof prefix, "op '%s': ", gr_op_name(in->op));
    }
    return gr_err_at(vs->err, code, in->loc.file, in->loc.line, in->loc.col, "%s%s", prefix,
                     msg);
}

static int valid_vid(const gr_program *p, gr_vid v) { return v >= 0 && v < p->nvalues; }

/* --- program-level rules --------------------------------------------------- */

static int check_names(vstate *vs)
{
    const gr_program *p = vs->p;
    int32_t i, j;
    if (!gr_ir_is_name(p->name)) {
        return vfail(vs, NULL, GR_ERR_INVALID, "invalid program name '%s'",
                     p->name ? p->name : "(null)");
    }
    for (i = 0; i < p->nparams; i++) {
        const gr_param *pa = &p->params[i];
        if (!gr_ir_is_name(pa->name)) {
            return vfail(vs, NULL, GR_ERR_INVALID, "invalid name '%s' for parameter %d",
                         pa->name ? pa->name : "(null)", (int)i + 1);
        }
        for (j = 0; j < i; j++) {
            if (strcmp(p->params[j].name, pa->name) == 0) {
                return vfail(vs, NULL, GR_ERR_INVALID, "parameter '%s' is declared twice",
                             pa->name);
            }
        }
        if (pa->type != GR_T_F64 && pa->type != GR_T_I64 && pa->type != GR_T_BOOL) {
            return vfail(vs, NULL, GR_ERR_TYPE, "parameter '%s' has type %s; expected f64, "
                         "i64 or bool", pa->name, gr_type_name(pa->type));
        }
        if (pa->type == GR_T_BOOL && pa->idefault != 0 && pa->idefault != 1) {
            return vfail(vs, NULL, GR_ERR_INVALID, "bool parameter '%s' has default %lld; "
                         "expected 0 or 1", pa->name, (long long)pa->idefault);
        }
    }
    for (i = 0; i < p->nvalues; i++) {
        if (p->values[i].name && !gr_ir_is_name(p->values[i].name)) {
            return vfail(vs, NULL, GR_ERR_INVALID, "value %%%d has an invalid name hint '%s'",
                         (int)i, p->values[i].name);
        }
    }
    return GR_OK;
}

/* Count the definitions of every value (to tell "never defined" from
 * "used before its definition"). */
static int count_defs(gr_inst *in, gr_block *owner, void *ctx)
{
    vstate *vs = ctx;
    int32_t i;
    (void)owner;
    if (valid_vid(vs->p, in->result)) {
        vs->ndefs[in->result]++;
    }
    if (in->op == GR_OP_LOOP) {
        for (i = 0; i < in->ncarry; i++) {
            if (in->inner && valid_vid(vs->p, in->inner[i])) {
                vs->ndefs[in->inner[i]]++;
            }
            if (in->results && valid_vid(vs->p, in->results[i])) {
                vs->ndefs[in->results[i]]++;
            }
        }
    }
    return 0;
}

/* --- values --------------------------------------------------------------- */

/* Check a use of v (`what`, e.g. "operand 2") by in. */
static int use(vstate *vs, const gr_inst *in, const char *what, gr_vid v)
{
    if (!valid_vid(vs->p, v) || vs->p->values[v].type == GR_T_NONE) {
        return vfail(vs, in, GR_ERR_INVALID, "%s (%%%d) is not a value", what, (int)v);
    }
    switch (vs->state[v]) {
    case V_VISIBLE:
        return GR_OK;
    case V_GONE:
        return vfail(vs, in, GR_ERR_INVALID,
                     "value %%%d is defined inside a loop body and used after it", (int)v);
    default:
        if (vs->ndefs[v] == 0) {
            return vfail(vs, in, GR_ERR_INVALID, "%s (%%%d) is never defined", what, (int)v);
        }
        return vfail(vs, in, GR_ERR_INVALID, "%s (%%%d) is used before its definition", what,
                     (int)v);
    }
}

/* Operand i (0-based) of in. */
static int use_arg(vstate *vs, const gr_inst *in, int32_t i)
{
    char what[32];
    snprintf(what, sizeof what, "operand %d", (int)i + 1);
    return use(vs, in, what, in->args[i]);
}

/* in defines v (`what`: "result", "inner value 1", ...). */
static int define(vstate *vs, const gr_inst *in, const char *what, gr_vid v)
{
    if (!valid_vid(vs->p, v)) {
        return vfail(vs, in, GR_ERR_INVALID, "%s %%%d is not a value", what, (int)v);
    }
    if (vs->state[v] != V_UNDEF) {
        return vfail(vs, in, GR_ERR_INVALID, "%%%d is defined twice", (int)v);
    }
    if (vs->p->values[v].type == GR_T_NONE) {
        return vfail(vs, in, GR_ERR_INVALID, "%s %%%d has no type", what, (int)v);
    }
    vs->state[v] = V_VISIBLE;
    vs->stack[vs->nstack++] = v;
    return GR_OK;
}

/* The type of value v (checked by use()). */
static gr_type vtype(const vstate *vs, gr_vid v) { return vs->p->values[v].type; }

/* --- instructions --------------------------------------------------------- */

/* Result type check for ops typed from their operands (and const, param,
 * agg); the operands have been checked by use(). */
static int check_typed(vstate *vs, const gr_inst *in)
{
    const gr_program *p = vs->p;
    const gr_opinfo *info = gr_op_info(in->op);
    gr_type want = GR_T_NONE, ins[4];
    char why[GR_ERROR_MSG_MAX];
    int32_t i;

    for (i = 0; i < in->nargs && i < 4; i++) {
        ins[i] = vtype(vs, in->args[i]);
    }
    switch (info->sig) {
    case GR_SIG_CONST:
        want = vtype(vs, in->result);
        if (!gr_type_is_scalar(want)) {
            return vfail(vs, in, GR_ERR_TYPE, "a constant cannot have type %s",
                         gr_type_name(want));
        }
        if (want == GR_T_BOOL && in->attrs.i != 0 && in->attrs.i != 1) {
            return vfail(vs, in, GR_ERR_INVALID, "bool constant %lld is not 0 or 1",
                         (long long)in->attrs.i);
        }
        return GR_OK;
    case GR_SIG_PARAM:
        if (in->attrs.i < 0 || in->attrs.i >= p->nparams) {
            return vfail(vs, in, GR_ERR_INVALID, "parameter index %lld is out of range "
                         "(%d parameters)", (long long)in->attrs.i, (int)p->nparams);
        }
        want = p->params[in->attrs.i].type;
        break;
    case GR_SIG_AGG:
        if (in->attrs.dir > GR_DIR_BOTH) {
            return vfail(vs, in, GR_ERR_INVALID, "unknown agg direction %d", in->attrs.dir);
        }
        if (in->attrs.self > 1) {
            return vfail(vs, in, GR_ERR_INVALID, "agg self flag %d is not 0 or 1",
                         in->attrs.self);
        }
        want = gr_agg_result_type((gr_monoid)in->attrs.monoid, (gr_msg)in->attrs.msg, ins[0],
                                  why, sizeof why);
        if (want == GR_T_NONE) {
            return vfail(vs, in, GR_ERR_TYPE, "%s", why);
        }
        break;
    default:
        want = gr_op_result_type((gr_opcode)in->op, ins, in->nargs, why, sizeof why);
        if (why[0]) {
            return vfail(vs, in, GR_ERR_TYPE, "%s", why);
        }
        if (info->sig == GR_SIG_PRINT) {
            return GR_OK;
        }
        break;
    }
    if (vtype(vs, in->result) != want) {
        return vfail(vs, in, GR_ERR_TYPE, "result is %s but %s gives %s",
                     gr_type_name(vtype(vs, in->result)), info->name, gr_type_name(want));
    }
    if (info->nargs > 0) {
        gr_type comp = gr_op_compute_elem((gr_opcode)in->op, ins, in->nargs);
        for (i = 0; i < in->nargs; i++) {
            if (gr_op_operand_promotes((gr_opcode)in->op, i) && gr_type_elem(ins[i]) != comp) {
                return vfail(vs, in, GR_ERR_TYPE, "operand %d is %s but %s computes in %s "
                             "(convert it with to_f64)", (int)i + 1, gr_type_name(ins[i]),
                             info->name, gr_type_name(comp));
            }
        }
    }
    return GR_OK;
}

static int verify_block(vstate *vs, const gr_block *b, const gr_inst *loop);

/* The rules of a LOOP instruction, its body included. */
static int check_loop(vstate *vs, const gr_inst *in)
{
    int32_t i, mark;
    int rc;
    char what[40];

    if (in->attrs.loop > GR_LOOP_UNCHANGED) {
        return vfail(vs, in, GR_ERR_INVALID, "unknown loop kind %d", in->attrs.loop);
    }
    if (in->ncarry < 0 || in->ncarry > INT32_MAX - 2) {
        return vfail(vs, in, GR_ERR_INVALID, "has %d carried values", (int)in->ncarry);
    }
    if (in->nargs != 2 + in->ncarry) {
        return vfail(vs, in, GR_ERR_INVALID, "has %d operands; expected %d (max_iter, tol and "
                     "%d initial value%s)", (int)in->nargs, (int)in->ncarry + 2,
                     (int)in->ncarry, in->ncarry == 1 ? "" : "s");
    }
    if (!in->args || (in->ncarry > 0 && (!in->inner || !in->results))) {
        return vfail(vs, in, GR_ERR_INVALID, "missing operand, inner or result arrays");
    }
    if (!in->body) {
        return vfail(vs, in, GR_ERR_INVALID, "has no body");
    }
    if (in->body->parent != in) {
        return vfail(vs, in, GR_ERR_INVALID, "its body's parent link is wrong");
    }
    TRY(use(vs, in, "max_iter", in->args[0]));
    if (vtype(vs, in->args[0]) != GR_T_I64) {
        return vfail(vs, in, GR_ERR_TYPE, "max_iter (%%%d) is %s; expected i64",
                     (int)in->args[0], gr_type_name(vtype(vs, in->args[0])));
    }
    if (in->attrs.loop == GR_LOOP_CONVERGED) {
        TRY(use(vs, in, "tol", in->args[1]));
        if (vtype(vs, in->args[1]) != GR_T_F64) {
            return vfail(vs, in, GR_ERR_TYPE, "tol (%%%d) is %s; expected f64",
                         (int)in->args[1], gr_type_name(vtype(vs, in->args[1])));
        }
    } else if (in->args[1] != -1) {
        return vfail(vs, in, GR_ERR_INVALID, "a %s loop has no tol, but operand 2 is %%%d",
                     gr_loop_name((gr_loop_kind)in->attrs.loop), (int)in->args[1]);
    }
    for (i = 0; i < in->ncarry; i++) {
        snprintf(what, sizeof what, "initial value %d", (int)i + 1);
        TRY(use(vs, in, what, in->args[2 + i]));
    }
    if (in->attrs.loop == GR_LOOP_REPEAT) {
        if (in->attrs.test != -1) {
            return vfail(vs, in, GR_ERR_INVALID, "a repeat loop has test index %d; expected -1",
                         (int)in->attrs.test);
        }
    } else if (in->attrs.test < 0 || in->attrs.test >= in->ncarry) {
        return vfail(vs, in, GR_ERR_INVALID, "test index %d is out of range (%d carried "
                     "value%s)", (int)in->attrs.test, (int)in->ncarry,
                     in->ncarry == 1 ? "" : "s");
    } else if (in->attrs.loop == GR_LOOP_CONVERGED &&
               !gr_type_is_num(vtype(vs, in->args[2 + in->attrs.test]))) {
        return vfail(vs, in, GR_ERR_TYPE, "a converged loop watches a number; carried value %d "
                     "is %s", (int)in->attrs.test + 1,
                     gr_type_name(vtype(vs, in->args[2 + in->attrs.test])));
    }

    /* The body sees the inner values; they leave scope with it. */
    mark = vs->nstack;
    for (i = 0; i < in->ncarry; i++) {
        snprintf(what, sizeof what, "inner value %d", (int)i + 1);
        TRY(define(vs, in, what, in->inner[i]));
        if (vtype(vs, in->inner[i]) != vtype(vs, in->args[2 + i])) {
            return vfail(vs, in, GR_ERR_TYPE, "inner value %d (%%%d) is %s but its initial "
                         "value (%%%d) is %s", (int)i + 1, (int)in->inner[i],
                         gr_type_name(vtype(vs, in->inner[i])), (int)in->args[2 + i],
                         gr_type_name(vtype(vs, in->args[2 + i])));
        }
    }
    TRY(verify_block(vs, in->body, in));
    while (vs->nstack > mark) {
        vs->state[vs->stack[--vs->nstack]] = V_GONE;
    }
    for (i = 0; i < in->ncarry; i++) {
        snprintf(what, sizeof what, "result %d", (int)i + 1);
        TRY(define(vs, in, what, in->results[i]));
        if (vtype(vs, in->results[i]) != vtype(vs, in->args[2 + i])) {
            return vfail(vs, in, GR_ERR_TYPE, "result %d (%%%d) is %s but its initial "
                         "value (%%%d) is %s", (int)i + 1, (int)in->results[i],
                         gr_type_name(vtype(vs, in->results[i])), (int)in->args[2 + i],
                         gr_type_name(vtype(vs, in->args[2 + i])));
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* The yield ending the body of `loop`. */
static int check_yield(vstate *vs, const gr_inst *in, const gr_inst *loop)
{
    int32_t i;
    int rc;
    if (in->nargs != loop->ncarry) {
        return vfail(vs, in, GR_ERR_INVALID, "yields %d value%s for %d carried value%s",
                     (int)in->nargs, in->nargs == 1 ? "" : "s", (int)loop->ncarry,
                     loop->ncarry == 1 ? "" : "s");
    }
    for (i = 0; i < in->nargs; i++) {
        gr_type want = vtype(vs, loop->args[2 + i]), got;
        TRY(use_arg(vs, in, i));
        got = vtype(vs, in->args[i]);
        if (got != want) {
            return vfail(vs, in, GR_ERR_TYPE, "value %d (%%%d) is %s but carried value %d is "
                         "%s", (int)i + 1, (int)in->args[i], gr_type_name(got), (int)i + 1,
                         gr_type_name(want));
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* The return ending the program. */
static int check_return(vstate *vs, const gr_inst *in)
{
    const gr_program *p = vs->p;
    int32_t i, j;
    int rc;
    if (in->nargs > 0 && !p->result_names) {
        return vfail(vs, in, GR_ERR_INVALID, "the program has no result names");
    }
    for (i = 0; i < in->nargs; i++) {
        TRY(use_arg(vs, in, i));
        if (!gr_ir_is_name(p->result_names[i])) {
            return vfail(vs, in, GR_ERR_INVALID, "invalid name '%s' for result %d",
                         p->result_names[i] ? p->result_names[i] : "(null)", (int)i + 1);
        }
        for (j = 0; j < i; j++) {
            if (strcmp(p->result_names[i], p->result_names[j]) == 0) {
                return vfail(vs, in, GR_ERR_INVALID, "result name '%s' is used twice",
                             p->result_names[i]);
            }
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* One instruction, at position i of block b (loop: b's owner or NULL). */
static int check_inst(vstate *vs, const gr_block *b, int32_t i, const gr_inst *loop)
{
    const gr_inst *in = &b->insts[i];
    const gr_opinfo *info;
    int last = i == b->n - 1, has_result;
    int32_t k;
    int rc;

    if (in->op >= GR_OP__COUNT) {
        return gr_err_at(vs->err, GR_ERR_INVALID, in->loc.file, in->loc.line, in->loc.col,
                         "op code %d is not an op", (int)in->op);
    }
    info = gr_op_info(in->op);
    if (in->nargs < 0 || (in->nargs > 0 && !in->args)) {
        return vfail(vs, in, GR_ERR_INVALID, "has a bad operand list");
    }
    if (info->nargs >= 0 && in->nargs != info->nargs) {
        return vfail(vs, in, GR_ERR_INVALID, "has %d operand%s; %s takes %d", (int)in->nargs,
                     in->nargs == 1 ? "" : "s", info->name, info->nargs);
    }
    if (in->op != GR_OP_LOOP && in->body) {
        return vfail(vs, in, GR_ERR_INVALID, "only loops have a body");
    }
    has_result = !(info->flags & GR_F_CTRL) && info->sig != GR_SIG_PRINT;
    if (has_result && in->result < 0) {
        return vfail(vs, in, GR_ERR_INVALID, "has no result value");
    }
    if (has_result && in->result >= vs->p->nvalues) {
        return vfail(vs, in, GR_ERR_INVALID, "its result is not a value");
    }
    if (!has_result && in->result != -1) {
        return vfail(vs, in, GR_ERR_INVALID, "%s has no result, but %%%d is recorded",
                     info->name, (int)in->result);
    }
    switch (in->op) {
    case GR_OP_YIELD:
        if (!loop || !last) {
            return vfail(vs, in, GR_ERR_INVALID, "yield outside the end of a loop body");
        }
        return check_yield(vs, in, loop);
    case GR_OP_RETURN:
        if (loop || !last) {
            return vfail(vs, in, GR_ERR_INVALID, "return is not the last instruction of the "
                         "program");
        }
        return check_return(vs, in);
    case GR_OP_LOOP:
        return check_loop(vs, in);
    default:
        break;
    }
    for (k = 0; k < in->nargs; k++) {
        TRY(use_arg(vs, in, k));
    }
    if (has_result) {
        TRY(define(vs, in, "result", in->result));
    }
    TRY(check_typed(vs, in));
    return GR_OK;
fail:
    return rc;
}

/* The instructions of b (the top block when loop is NULL, else loop's
 * body). */
static int verify_block(vstate *vs, const gr_block *b, const gr_inst *loop)
{
    int32_t i;
    int rc;
    if (b->n < 0 || (b->n > 0 && !b->insts)) {
        return vfail(vs, loop, GR_ERR_INVALID, "a block has a bad instruction list");
    }
    for (i = 0; i < b->n; i++) {
        TRY(check_inst(vs, b, i, loop));
    }
    if (loop && (b->n == 0 || b->insts[b->n - 1].op != GR_OP_YIELD)) {
        return vfail(vs, loop, GR_ERR_INVALID, "the loop body does not end with yield");
    }
    if (!loop && (b->n == 0 || b->insts[b->n - 1].op != GR_OP_RETURN)) {
        return vfail(vs, NULL, GR_ERR_INVALID, "the program does not end with return");
    }
    return GR_OK;
fail:
    return rc;
}

/* gr_program_verify: check every rule listed above; GR_OK or the first
 * violation (GR_ERR_TYPE / GR_ERR_INVALID, or GR_ERR_NOMEM). */
int gr_program_verify(const gr_program *p, gr_error *err)
{
    vstate vs;
    int rc;
    memset(&vs, 0, sizeof vs);
    if (!p) {
        return gr_err(err, GR_ERR_INVALID, "no program");
    }
    vs.p = p;
    vs.err = err;
    if (p->nvalues < 0 || (p->nvalues > 0 && !p->values) || p->nparams < 0 ||
        (p->nparams > 0 && !p->params)) {
        return gr_err(err, GR_ERR_INVALID, "the program's tables are inconsistent");
    }
    TRY(check_names(&vs));
    vs.state = gr_calloc((size_t)p->nvalues, sizeof *vs.state);
    vs.ndefs = gr_calloc((size_t)p->nvalues, sizeof *vs.ndefs);
    vs.stack = gr_malloc(((size_t)p->nvalues + 1) * sizeof *vs.stack);
    if (!vs.state || !vs.ndefs || !vs.stack) {
        rc = gr_err_nomem(err, "verifying a program");
        goto fail;
    }
    gr_ir_walk((gr_block *)&p->top, count_defs, &vs);
    TRY(verify_block(&vs, &p->top, NULL));
fail:
    gr_free(vs.state);
    gr_free(vs.ndefs);
    gr_free(vs.stack);
    return rc;
}
