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
 *    match the carried types; with an explicit test (not for repeat) the
 *    yield has one more value: an f64 distance (converged) or a bool
 *    "changed" (unchanged);
 *  - the optimizer's constructs (ir.h): attributes only on their ops
 *    (masked: agg and agg_fused; epilogue: fused; explicit_test: loops),
 *    each 0 or 1.  A masked aggregation's last operand is a mask.  Fused
 *    kernels (fused, agg_fused): one lane per operand typed as the
 *    operand's element type (agg_fused: then an f64 weight lane); a body of
 *    element-wise ops and constants only, reading only its lanes and its
 *    own values, ending with its only yield.  fused: no `result`, at least
 *    one output; the yield has one value per output and each fold kind is
 *    typed: map gives a vector of the lane's type, sum/min/max a scalar of
 *    a number lane's type, count an i64, any/all (bool lanes) a bool; an
 *    epilogue directly follows an agg or agg_fused and reads its result.
 *    agg_fused: message attribute x (the body computes the message), at
 *    least one vector operand besides the mask, a yield of one value (the
 *    message), the result typed by gr_agg_result_type for a vector of the
 *    message's type; no outputs or fold kinds;
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
    int32_t *at;         /* per value: its index in stack when defined */
    uint8_t *inker;      /* per value: defined by or in a fused kernel's body */
    int32_t kmark;       /* inside a fused body: the stack index where its
                            lanes start (what it may read), else -1 */
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
    int32_t ninner = 0, nres = 0;
    (void)owner;
    if (valid_vid(vs->p, in->result)) {
        vs->ndefs[in->result]++;
    }
    switch (in->op) {
    case GR_OP_LOOP: ninner = nres = in->ncarry; break;
    case GR_OP_FUSED: ninner = in->nargs; nres = in->ncarry; break;
    case GR_OP_AGG_FUSED: ninner = in->nargs + 1; break;
    default: break;
    }
    for (i = 0; in->inner && i < ninner; i++) {
        if (valid_vid(vs->p, in->inner[i])) {
            vs->ndefs[in->inner[i]]++;
        }
    }
    for (i = 0; in->results && i < nres; i++) {
        if (valid_vid(vs->p, in->results[i])) {
            vs->ndefs[in->results[i]]++;
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
        if (vs->kmark >= 0 && vs->at[v] < vs->kmark) {
            return vfail(vs, in, GR_ERR_INVALID, "%s (%%%d) is defined outside the fused kernel; "
                         "a kernel body reads only its lanes and its own values", what, (int)v);
        }
        return GR_OK;
    case V_GONE:
        return vfail(vs, in, GR_ERR_INVALID, "value %%%d is defined inside a %s and used after "
                     "it", (int)v, vs->inker[v] ? "fused kernel's body" : "loop body");
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
    vs->at[v] = vs->nstack;
    vs->inker[v] = vs->kmark >= 0;
    vs->stack[vs->nstack++] = v;
    return GR_OK;
}

/* The values defined since stack index mark leave scope. */
static void pop_scope(vstate *vs, int32_t mark)
{
    while (vs->nstack > mark) {
        vs->state[vs->stack[--vs->nstack]] = V_GONE;
    }
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
        if (in->attrs.masked && ins[1] != GR_T_MASK) {
            return vfail(vs, in, GR_ERR_TYPE, "the mask of a masked agg (operand 2) is %s; "
                         "expected a mask", gr_type_name(ins[1]));
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
    if (in->attrs.explicit_test > 1) {
        return vfail(vs, in, GR_ERR_INVALID, "explicit_test flag %d is not 0 or 1",
                     in->attrs.explicit_test);
    }
    if (in->attrs.explicit_test && in->attrs.loop == GR_LOOP_REPEAT) {
        return vfail(vs, in, GR_ERR_INVALID, "a repeat loop has no exit test to make explicit");
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
    pop_scope(vs, mark);
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

/* The type a fused kernel's output with fold kind `fold` has for a lane
 * of type lt; GR_T_NONE (and a reason) when the fold does not take it. */
static gr_type fold_type(int fold, gr_type lt, char *why, size_t n)
{
    const char *name = gr_fold_name(fold);
    why[0] = '\0';
    switch (fold) {
    case GR_FOLD_MAP:
        return gr_type_vec(lt);
    case GR_FOLD_SUM:
    case GR_FOLD_MIN:
    case GR_FOLD_MAX:
        if (lt == GR_T_F64 || lt == GR_T_I64) {
            return lt;
        }
        snprintf(why, n, "fold %s needs a number lane, not %s", name, gr_type_name(lt));
        return GR_T_NONE;
    case GR_FOLD_COUNT:
        return GR_T_I64;
    case GR_FOLD_ANY:
    case GR_FOLD_ALL:
        if (lt == GR_T_BOOL) {
            return GR_T_BOOL;
        }
        snprintf(why, n, "fold %s needs a bool lane, not %s", name, gr_type_name(lt));
        return GR_T_NONE;
    default:
        snprintf(why, n, "unknown fold kind %d", fold);
        return GR_T_NONE;
    }
}

/* The yield ending a fused kernel's body: one value per output (fused,
 * each typed for its fold) or the message (agg_fused). */
static int check_kernel_yield(vstate *vs, const gr_inst *in, const gr_inst *k)
{
    char why[96];
    int32_t i, want = k->op == GR_OP_FUSED ? k->ncarry : 1;
    int rc;
    if (in->nargs != want && k->op == GR_OP_FUSED) {
        return vfail(vs, in, GR_ERR_INVALID, "yields %d value%s for %d output%s",
                     (int)in->nargs, in->nargs == 1 ? "" : "s", (int)want, want == 1 ? "" : "s");
    }
    if (in->nargs != want) {
        return vfail(vs, in, GR_ERR_INVALID, "yields %d values; a fused aggregation yields one, "
                     "its message", (int)in->nargs);
    }
    for (i = 0; i < in->nargs; i++) {
        TRY(use_arg(vs, in, i));
        if (k->op == GR_OP_FUSED &&
            fold_type(k->fold[i], vtype(vs, in->args[i]), why, sizeof why) == GR_T_NONE) {
            return vfail(vs, in, GR_ERR_TYPE, "value %d (%%%d): %s", (int)i + 1,
                         (int)in->args[i], why);
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* The yield ending the body of `loop` (a loop or a fused kernel). */
static int check_yield(vstate *vs, const gr_inst *in, const gr_inst *loop)
{
    int32_t i, expl = loop->attrs.explicit_test ? 1 : 0;
    int rc;
    if (loop->op != GR_OP_LOOP) {
        return check_kernel_yield(vs, in, loop);
    }
    if (in->nargs != loop->ncarry + expl) {
        if (expl) {
            return vfail(vs, in, GR_ERR_INVALID, "yields %d value%s for %d carried value%s and "
                         "the explicit test", (int)in->nargs, in->nargs == 1 ? "" : "s",
                         (int)loop->ncarry, loop->ncarry == 1 ? "" : "s");
        }
        return vfail(vs, in, GR_ERR_INVALID, "yields %d value%s for %d carried value%s",
                     (int)in->nargs, in->nargs == 1 ? "" : "s", (int)loop->ncarry,
                     loop->ncarry == 1 ? "" : "s");
    }
    if (expl) {
        gr_type want = loop->attrs.loop == GR_LOOP_CONVERGED ? GR_T_F64 : GR_T_BOOL, got;
        TRY(use(vs, in, "the explicit test", in->args[loop->ncarry]));
        got = vtype(vs, in->args[loop->ncarry]);
        if (got != want) {
            return vfail(vs, in, GR_ERR_TYPE, "the explicit test (%%%d) is %s; expected %s (%s)",
                         (int)in->args[loop->ncarry], gr_type_name(got), gr_type_name(want),
                         want == GR_T_F64 ? "the distance" : "whether the value changed");
        }
    }
    for (i = 0; i < loop->ncarry; i++) {
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

/* Define the lanes of fused kernel in (an operand's element type each; an
 * agg_fused's last, the weight, f64). */
static int define_lanes(vstate *vs, const gr_inst *in)
{
    char what[40];
    int32_t k;
    int rc;
    for (k = 0; k < in->nargs; k++) {
        gr_type want = gr_type_elem(vtype(vs, in->args[k]));
        snprintf(what, sizeof what, "lane %d", (int)k + 1);
        TRY(define(vs, in, what, in->inner[k]));
        if (vtype(vs, in->inner[k]) != want) {
            return vfail(vs, in, GR_ERR_TYPE, "lane %d (%%%d) is %s but its operand (%%%d) is %s; "
                         "expected %s", (int)k + 1, (int)in->inner[k],
                         gr_type_name(vtype(vs, in->inner[k])), (int)in->args[k],
                         gr_type_name(vtype(vs, in->args[k])), gr_type_name(want));
        }
    }
    if (in->op == GR_OP_AGG_FUSED) {
        TRY(define(vs, in, "the weight lane", in->inner[in->nargs]));
        if (vtype(vs, in->inner[in->nargs]) != GR_T_F64) {
            return vfail(vs, in, GR_ERR_TYPE, "the weight lane (%%%d) is %s; expected f64",
                         (int)in->inner[in->nargs],
                         gr_type_name(vtype(vs, in->inner[in->nargs])));
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* The body of fused kernel in, in the scope of its lanes; the lanes and
 * the body's values leave scope with it.  On success *yt is the type of
 * the yield's first value (agg_fused: the message). */
static int check_kernel_body(vstate *vs, const gr_inst *in, gr_type *yt)
{
    int32_t mark = vs->nstack, outer = vs->kmark;
    const gr_inst *y;
    int rc;
    if (!in->body) {
        return vfail(vs, in, GR_ERR_INVALID, "has no body");
    }
    if (in->body->parent != in) {
        return vfail(vs, in, GR_ERR_INVALID, "its body's parent link is wrong");
    }
    vs->kmark = mark;
    rc = define_lanes(vs, in);
    if (rc == GR_OK) {
        rc = verify_block(vs, in->body, in);
    }
    vs->kmark = outer;
    if (rc < 0) {
        return rc;
    }
    y = &in->body->insts[in->body->n - 1];
    *yt = y->nargs > 0 ? vtype(vs, y->args[0]) : GR_T_NONE;
    pop_scope(vs, mark);
    return GR_OK;
}

/* A fused kernel (FUSED) at position i of block b. */
static int check_fused(vstate *vs, const gr_block *b, int32_t i)
{
    const gr_inst *in = &b->insts[i], *y;
    char what[40], why[96];
    gr_type yt;
    int32_t k;
    int rc;

    if (in->ncarry < 1 || in->ncarry > INT32_MAX / 2) {
        return vfail(vs, in, GR_ERR_INVALID, "defines %d outputs; a fused kernel has at least "
                     "one", (int)in->ncarry);
    }
    if (!in->results || !in->fold || (in->nargs > 0 && !in->inner)) {
        return vfail(vs, in, GR_ERR_INVALID, "missing lane, output or fold arrays");
    }
    for (k = 0; k < in->nargs; k++) {
        TRY(use_arg(vs, in, k));
    }
    if (in->attrs.epilogue) {
        const gr_inst *a = i > 0 ? &b->insts[i - 1] : NULL;
        if (!a || (a->op != GR_OP_AGG && a->op != GR_OP_AGG_FUSED)) {
            return vfail(vs, in, GR_ERR_INVALID, "an epilogue must directly follow an agg or "
                         "agg_fused");
        }
        for (k = 0; k < in->nargs && in->args[k] != a->result; k++) {
        }
        if (k == in->nargs) {
            return vfail(vs, in, GR_ERR_INVALID, "an epilogue reads the result of the "
                         "aggregation before it (%%%d)", (int)a->result);
        }
    }
    TRY(check_kernel_body(vs, in, &yt));
    y = &in->body->insts[in->body->n - 1];
    for (k = 0; k < in->ncarry; k++) {
        gr_type want = fold_type(in->fold[k], vtype(vs, y->args[k]), why, sizeof why);
        snprintf(what, sizeof what, "output %d", (int)k + 1);
        TRY(define(vs, in, what, in->results[k]));
        if (vtype(vs, in->results[k]) != want) {
            return vfail(vs, in, GR_ERR_TYPE, "output %d (%%%d) is %s but %s of a %s lane gives "
                         "%s", (int)k + 1, (int)in->results[k],
                         gr_type_name(vtype(vs, in->results[k])), gr_fold_name(in->fold[k]),
                         gr_type_name(vtype(vs, y->args[k])), gr_type_name(want));
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* A fused aggregation (AGG_FUSED). */
static int check_agg_fused(vstate *vs, const gr_inst *in)
{
    const int masked = in->attrs.masked != 0;
    char why[GR_ERROR_MSG_MAX];
    gr_type yt, want;
    int32_t k;
    int rc, vec = 0;

    if (in->attrs.dir > GR_DIR_BOTH) {
        return vfail(vs, in, GR_ERR_INVALID, "unknown agg direction %d", in->attrs.dir);
    }
    if (in->attrs.msg != GR_MSG_X) {
        return vfail(vs, in, GR_ERR_INVALID, "a fused aggregation's message is its body's, but "
                     "its message attribute is %s", gr_msg_name((gr_msg)in->attrs.msg));
    }
    if (in->attrs.self > 1) {
        return vfail(vs, in, GR_ERR_INVALID, "agg self flag %d is not 0 or 1", in->attrs.self);
    }
    if (in->ncarry != 0 || in->results || in->fold) {
        return vfail(vs, in, GR_ERR_INVALID, "a fused aggregation has no outputs or fold kinds "
                     "(its value is its result)");
    }
    if (in->nargs < 1 + masked || !in->inner) {
        return vfail(vs, in, GR_ERR_INVALID, "has %d operand%s%s", (int)in->nargs,
                     in->nargs == 1 ? "" : "s", in->inner ? "" : " and no lanes");
    }
    for (k = 0; k < in->nargs; k++) {
        TRY(use_arg(vs, in, k));
        vec |= k < in->nargs - masked && gr_type_is_vector(vtype(vs, in->args[k]));
    }
    if (masked && vtype(vs, in->args[in->nargs - 1]) != GR_T_MASK) {
        return vfail(vs, in, GR_ERR_TYPE, "the mask of a masked agg_fused (operand %d) is %s; "
                     "expected a mask", (int)in->nargs,
                     gr_type_name(vtype(vs, in->args[in->nargs - 1])));
    }
    if (!vec) {
        return vfail(vs, in, GR_ERR_INVALID, "a fused aggregation reads a vector at the "
                     "neighbours, but no operand%s is one", masked ? " besides the mask" : "");
    }
    TRY(check_kernel_body(vs, in, &yt));
    TRY(define(vs, in, "result", in->result));
    want = gr_agg_result_type((gr_monoid)in->attrs.monoid, GR_MSG_X, gr_type_vec(yt), why,
                              sizeof why);
    if (want == GR_T_NONE) {
        return vfail(vs, in, GR_ERR_TYPE, "%s", why);
    }
    if (vtype(vs, in->result) != want) {
        return vfail(vs, in, GR_ERR_TYPE, "result is %s but agg_fused of %s messages gives %s",
                     gr_type_name(vtype(vs, in->result)), gr_type_name(yt), gr_type_name(want));
    }
    return GR_OK;
fail:
    return rc;
}

/* The attributes only some ops have are 0 elsewhere, and flags 0 or 1. */
static int check_flags(vstate *vs, const gr_inst *in)
{
    const gr_attrs *a = &in->attrs;
    if (a->masked > 1 || a->epilogue > 1) {
        return vfail(vs, in, GR_ERR_INVALID, "%s flag %d is not 0 or 1",
                     a->masked > 1 ? "masked" : "epilogue", a->masked > 1 ? a->masked : a->epilogue);
    }
    if (a->masked && in->op != GR_OP_AGG && in->op != GR_OP_AGG_FUSED) {
        return vfail(vs, in, GR_ERR_INVALID, "only aggregations are masked");
    }
    if (a->epilogue && in->op != GR_OP_FUSED) {
        return vfail(vs, in, GR_ERR_INVALID, "only fused kernels are epilogues");
    }
    if (a->explicit_test && in->op != GR_OP_LOOP) {
        return vfail(vs, in, GR_ERR_INVALID, "only loops have an explicit test");
    }
    return GR_OK;
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
    TRY(check_flags(vs, in));
    if (in->op == GR_OP_AGG && in->attrs.masked) {
        if (in->nargs != 2) {
            return vfail(vs, in, GR_ERR_INVALID, "has %d operand%s; a masked agg takes 2 (the "
                         "value and the mask)", (int)in->nargs, in->nargs == 1 ? "" : "s");
        }
    } else if (info->nargs >= 0 && in->nargs != info->nargs) {
        return vfail(vs, in, GR_ERR_INVALID, "has %d operand%s; %s takes %d", (int)in->nargs,
                     in->nargs == 1 ? "" : "s", info->name, info->nargs);
    }
    if (in->op != GR_OP_LOOP && !(info->flags & GR_F_REGION) && in->body) {
        return vfail(vs, in, GR_ERR_INVALID, "only loops and fused kernels have a body");
    }
    if (loop && loop->op != GR_OP_LOOP && in->op != GR_OP_YIELD && in->op != GR_OP_CONST &&
        !(info->flags & GR_F_EW)) {
        return vfail(vs, in, GR_ERR_INVALID, "a fused kernel's body holds only element-wise ops "
                     "and constants");
    }
    has_result = !(info->flags & GR_F_CTRL) && info->sig != GR_SIG_PRINT &&
                 in->op != GR_OP_FUSED;
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
    case GR_OP_FUSED:
        return check_fused(vs, b, i);
    case GR_OP_AGG_FUSED:
        return check_agg_fused(vs, in);
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
        return vfail(vs, loop, GR_ERR_INVALID, "the %s body does not end with yield",
                     loop->op == GR_OP_LOOP ? "loop" : "kernel");
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
    vs.at = gr_calloc((size_t)p->nvalues + 1, sizeof *vs.at);
    vs.inker = gr_calloc((size_t)p->nvalues + 1, sizeof *vs.inker);
    vs.kmark = -1;
    if (!vs.state || !vs.ndefs || !vs.stack || !vs.at || !vs.inker) {
        rc = gr_err_nomem(err, "verifying a program");
        goto fail;
    }
    gr_ir_walk((gr_block *)&p->top, count_defs, &vs);
    TRY(verify_block(&vs, &p->top, NULL));
fail:
    gr_free(vs.state);
    gr_free(vs.ndefs);
    gr_free(vs.stack);
    gr_free(vs.at);
    gr_free(vs.inker);
    return rc;
}
