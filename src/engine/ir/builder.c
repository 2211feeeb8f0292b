/*
 * builder.c - the gr_builder_* API of gr.h: build IR from C, one call per
 * op, with every type checked as it is added.
 *
 * The builder appends to the program it owns: to the top block, or to the
 * body of the innermost open loop (a stack of open loops).  Each value
 * remembers the scope that defined it (0 for the top block, a fresh id per
 * loop body), so a value from a closed loop body is refused where it is
 * used, with the builder's current source location.  Types come from
 * gr_op_result_type / gr_agg_result_type (ir/types.c); where an i64
 * operand meets an op that computes in f64 the builder inserts an explicit
 * to_f64, so in the built IR the operands that promote
 * (gr_op_operand_promotes) always have the op's compute element type, while
 * scalar/vector mixes stay (executors broadcast).
 *
 * Every call either succeeds or leaves the program as it was (an inserted
 * to_f64 may remain, unused, when a later allocation fails).
 * gr_builder_finish verifies a deep copy and hands it out, so the builder
 * stays usable.
 */
#include "config.h"
#include "engine/ir/ir.h"
#include "common/error.h"
#include "common/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One open loop. */
typedef struct loop_frame {
    gr_block *parent;    /* the block holding the LOOP instruction */
    int32_t index;       /* its index in parent (the pointer may move) */
    int32_t scope;       /* the scope id of its body */
} loop_frame;

struct gr_builder {
    gr_program *p;       /* the program being built (owned) */
    int32_t *scope;      /* per value: the scope that defines it (owned) */
    int32_t scope_cap;   /* entries allocated in scope */
    loop_frame *loops;   /* open loops, innermost last (owned) */
    int nloops, loops_cap;
    int32_t nscopes;     /* scope ids handed out (0 is the top block) */
    gr_loc loc;          /* location of the ops created next (file interned) */
    int loc_nomem;       /* set_loc ran out of memory: the next call fails */
    int returned;        /* gr_builder_return was called */
};

/* The maximum operand count of an op built with gr_builder_op. */
#define MAX_OP_ARGS 3

/* Fail with a message at the builder's current location (none when b is
 * NULL). */
static int bfail(gr_builder *b, gr_error *err, int code, const char *fmt, ...) GR_PRINTF(4, 5);

static int bfail(gr_builder *b, gr_error *err, int code, const char *fmt, ...)
{
    char msg[GR_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!b) {
        return gr_err(err, code, "%s", msg);
    }
    return gr_err_at(err, code, b->loc.file, b->loc.line, b->loc.col, "%s", msg);
}

/* Fail for a name the printed form could not carry (see gr_ir_is_name);
 * what: "parameter name", ... */
static int bad_name(gr_builder *b, gr_error *err, const char *what, const char *name)
{
    return bfail(b, err, GR_ERR_INVALID, "invalid %s '%s': expected letters, digits and '_', "
                 "not starting with a digit", what, name ? name : "(null)");
}

static int nomem(gr_error *err) { return gr_err_nomem(err, "building a program"); }

/* The scope new values get: the innermost open loop body's, or 0. */
static int32_t cur_scope(const gr_builder *b)
{
    return b->nloops ? b->loops[b->nloops - 1].scope : 0;
}

/* The block new instructions go to. */
static gr_block *cur_block(gr_builder *b)
{
    if (b->nloops) {
        loop_frame *f = &b->loops[b->nloops - 1];
        return f->parent->insts[f->index].body;
    }
    return &b->p->top;
}

/* A new value of type t in the current scope; -1 on OOM. */
static gr_vid new_value(gr_builder *b, gr_type t, int32_t scope)
{
    gr_vid v = gr_ir_new_value(b->p, t);
    if (v < 0) {
        return -1;
    }
    if (v >= b->scope_cap) {
        int32_t cap = b->p->values_cap;
        int32_t *s = gr_realloc(b->scope, (size_t)cap * sizeof *s);
        if (!s) {
            b->p->nvalues--;
            return -1;
        }
        b->scope = s;
        b->scope_cap = cap;
    }
    b->scope[v] = scope;
    return v;
}

/* Append op with operands args to the current block; with a result value
 * of type t unless t is GR_T_NONE.  *out_in (may be NULL) receives the
 * instruction (valid until the block grows) and *out the result or -1.
 * On OOM nothing is added. */
static int emit(gr_builder *b, gr_opcode op, gr_type t, const gr_vid *args, int nargs,
                gr_inst **out_in, gr_vid *out, gr_error *err)
{
    gr_block *blk = cur_block(b);
    gr_vid v = -1;
    gr_inst *in;
    if (t != GR_T_NONE && (v = new_value(b, t, cur_scope(b))) < 0) {
        return nomem(err);
    }
    if (!(in = gr_ir_append(blk))) {
        goto undo_value;
    }
    if (nargs > 0) {
        if (!(in->args = gr_malloc((size_t)nargs * sizeof *in->args))) {
            blk->n--;
            goto undo_value;
        }
        memcpy(in->args, args, (size_t)nargs * sizeof *in->args);
    }
    in->op = (uint16_t)op;
    in->result = v;
    in->nargs = nargs;
    in->loc = b->loc;
    if (out_in) {
        *out_in = in;
    }
    if (out) {
        *out = v;
    }
    return GR_OK;
undo_value:
    if (v >= 0) {
        b->p->nvalues--;
    }
    return nomem(err);
}

/* Checks every call that adds instructions starts with. */
static int ready(gr_builder *b, gr_error *err)
{
    if (!b) {
        return gr_err(err, GR_ERR_INVALID, "no builder");
    }
    if (b->loc_nomem) {
        return gr_err_nomem(err, "source location");
    }
    if (b->returned) {
        return bfail(b, err, GR_ERR_INVALID, "the program has already returned; "
                     "nothing may follow the return");
    }
    return GR_OK;
}

/* Whether v is visible where the builder appends: defined in the top
 * block or in an open loop body. */
static int visible(const gr_builder *b, gr_vid v)
{
    int i;
    if (b->scope[v] == 0) {
        return 1;
    }
    for (i = 0; i < b->nloops; i++) {
        if (b->loops[i].scope == b->scope[v]) {
            return 1;
        }
    }
    return 0;
}

/* Check that v, operand `what` of `op`, is a value usable here. */
static int check_use(gr_builder *b, const char *op, const char *what, gr_vid v, gr_error *err)
{
    if (v < 0 || v >= b->p->nvalues || b->p->values[v].type == GR_T_NONE) {
        return bfail(b, err, GR_ERR_INVALID, "%s of %s: %%%d is not a value", what, op, (int)v);
    }
    if (!visible(b, v)) {
        return bfail(b, err, GR_ERR_INVALID,
                     "value %%%d is defined inside a loop body and used after it", (int)v);
    }
    return GR_OK;
}

/* Check operand i (0-based) of op. */
static int check_operand(gr_builder *b, const char *op, int i, gr_vid v, gr_error *err)
{
    char what[32];
    snprintf(what, sizeof what, "operand %d", i + 1);
    return check_use(b, op, what, v, err);
}

/* A to_f64 of v in the current block (an i64 scalar or vector). */
static int to_f64(gr_builder *b, gr_vid v, gr_vid *out, gr_error *err)
{
    gr_type t = b->p->values[v].type;
    return emit(b, GR_OP_TO_F64, gr_type_is_vector(t) ? GR_T_F64V : GR_T_F64, &v, 1, NULL,
                out, err);
}

/* --- life cycle ----------------------------------------------------------- */

/* gr_builder_new: a builder for the algorithm `name` (a name as
 * gr_ir_is_name accepts).  *out is freed with gr_builder_free. */
int gr_builder_new(const char *name, gr_builder **out, gr_error *err)
{
    gr_builder *b;
    *out = NULL;
    if (!gr_ir_is_name(name)) {
        return bad_name(NULL, err, "algorithm name", name);
    }
    if (!(b = gr_calloc(1, sizeof *b))) {
        return nomem(err);
    }
    if (!(b->p = gr_ir_program_new(name))) {
        gr_free(b);
        return nomem(err);
    }
    *out = b;
    return GR_OK;
}

/* gr_builder_free: free the builder and its program; NULLs *bp. */
void gr_builder_free(gr_builder **bp)
{
    gr_builder *b;
    if (!bp || !*bp) {
        return;
    }
    b = *bp;
    gr_program_free(&b->p);
    gr_free(b->scope);
    gr_free(b->loops);
    gr_free(b);
    *bp = NULL;
}

/* gr_builder_set_loc: the location of the ops created next (file copied,
 * may be NULL).  Out of memory is reported by the next call that adds an
 * op. */
void gr_builder_set_loc(gr_builder *b, const char *file, long line, long col)
{
    if (!b) {
        return;
    }
    b->loc.file = NULL;
    b->loc_nomem = 0;
    if (file && !(b->loc.file = gr_ir_intern(b->p, file))) {
        b->loc_nomem = 1;
    }
    b->loc.line = (line > 0 && line <= INT32_MAX) ? (int32_t)line : 0;
    b->loc.col = (col > 0 && col <= INT32_MAX) ? (int32_t)col : 0;
}

/* gr_builder_name: give value v the name hint `name` (copied). */
int gr_builder_name(gr_builder *b, gr_vid v, const char *name, gr_error *err)
{
    const char *s;
    if (!b) {
        return gr_err(err, GR_ERR_INVALID, "no builder");
    }
    if (v < 0 || v >= b->p->nvalues || b->p->values[v].type == GR_T_NONE) {
        return bfail(b, err, GR_ERR_INVALID, "cannot name %%%d: not a value", (int)v);
    }
    if (!gr_ir_is_name(name)) {
        return bad_name(b, err, "value name", name);
    }
    if (!(s = gr_ir_intern(b->p, name))) {
        return nomem(err);
    }
    b->p->values[v].name = s;
    return GR_OK;
}

/* gr_builder_type: the type of value v, GR_T_NONE when v is not one. */
gr_type gr_builder_type(const gr_builder *b, gr_vid v)
{
    if (!b || v < 0 || v >= b->p->nvalues) {
        return GR_T_NONE;
    }
    return b->p->values[v].type;
}

/* --- sources -------------------------------------------------------------- */

/* gr_builder_param: declare parameter `name` of a scalar type with its
 * default (the field matching the type counts; the other is stored as 0,
 * a bool as 0 or 1) and read it into *out. */
int gr_builder_param(gr_builder *b, const char *name, gr_type type, double fdefault,
                     int64_t idefault, gr_vid *out, gr_error *err)
{
    gr_program *p;
    gr_param *params, *pa;
    gr_inst *in;
    const char *s;
    int32_t i;
    int rc;

    TRY(ready(b, err));
    p = b->p;
    if (!gr_ir_is_name(name)) {
        return bad_name(b, err, "parameter name", name);
    }
    for (i = 0; i < p->nparams; i++) {
        if (strcmp(p->params[i].name, name) == 0) {
            return bfail(b, err, GR_ERR_INVALID, "parameter '%s' is declared twice", name);
        }
    }
    if (type != GR_T_F64 && type != GR_T_I64 && type != GR_T_BOOL) {
        return bfail(b, err, GR_ERR_TYPE, "parameter '%s' has type %s; expected f64, i64 or bool",
                     name, gr_type_name(type));
    }
    if (p->nparams == INT32_MAX ||
        !(params = gr_realloc(p->params, ((size_t)p->nparams + 1) * sizeof *params))) {
        return nomem(err);
    }
    p->params = params;
    if (!(s = gr_ir_intern(p, name))) {
        return nomem(err);
    }
    TRY(emit(b, GR_OP_PARAM, type, NULL, 0, &in, out, err));
    in->attrs.i = p->nparams;
    pa = &p->params[p->nparams++];
    pa->name = s;
    pa->type = type;
    pa->fdefault = type == GR_T_F64 ? fdefault : 0.0;
    pa->idefault = type == GR_T_I64 ? idefault : type == GR_T_BOOL ? (idefault != 0) : 0;
    return GR_OK;
fail:
    return rc;
}

/* Add a constant of type t. */
static int add_const(gr_builder *b, gr_type t, double f, int64_t i, gr_vid *out, gr_error *err)
{
    gr_inst *in;
    int rc;
    TRY(ready(b, err));
    TRY(emit(b, GR_OP_CONST, t, NULL, 0, &in, out, err));
    in->attrs.f = f;
    in->attrs.i = i;
    return GR_OK;
fail:
    return rc;
}

/* gr_builder_const_f64 / _i64 / _bool: a constant scalar. */
int gr_builder_const_f64(gr_builder *b, double v, gr_vid *out, gr_error *err)
{
    return add_const(b, GR_T_F64, v, 0, out, err);
}

int gr_builder_const_i64(gr_builder *b, int64_t v, gr_vid *out, gr_error *err)
{
    return add_const(b, GR_T_I64, 0.0, v, out, err);
}

int gr_builder_const_bool(gr_builder *b, int v, gr_vid *out, gr_error *err)
{
    return add_const(b, GR_T_BOOL, 0.0, v != 0, out, err);
}

/* --- ops ------------------------------------------------------------------ */

/* gr_builder_op: op applied to args (see gr.h).  GR_ERR_INVALID for an op
 * that has its own builder call, a wrong operand count or an unusable
 * value; GR_ERR_TYPE with gr_op_result_type's reason.  out may be NULL. */
int gr_builder_op(gr_builder *b, gr_opcode op, const gr_vid *args, int nargs, gr_vid *out,
                  gr_error *err)
{
    const gr_opinfo *info;
    gr_type in[MAX_OP_ARGS], t, comp;
    gr_vid a[MAX_OP_ARGS];
    char why[GR_ERROR_MSG_MAX];
    int i, rc;

    if (out) {
        *out = -1;
    }
    TRY(ready(b, err));
    if ((int)op < 0 || op >= GR_OP__COUNT) {
        return bfail(b, err, GR_ERR_INVALID, "op code %d is not an op", (int)op);
    }
    info = gr_op_info(op);
    switch (info->sig) {
    case GR_SIG_CONST: case GR_SIG_PARAM: case GR_SIG_AGG:
    case GR_SIG_LOOP: case GR_SIG_YIELD: case GR_SIG_RETURN:
        return bfail(b, err, GR_ERR_INVALID, "%s is not built with gr_builder_op; use "
                     "gr_builder_%s", info->name,
                     info->sig == GR_SIG_CONST ? "const_f64/_i64/_bool" :
                     info->sig == GR_SIG_LOOP ? "loop_begin" :
                     info->sig == GR_SIG_YIELD ? "loop_end" : info->name);
    case GR_SIG_FUSED: case GR_SIG_AGG_FUSED:
        return bfail(b, err, GR_ERR_INVALID, "%s kernels are made by the optimizer's fusion "
                     "passes, not built", info->name);
    default:
        break;
    }
    if (nargs != info->nargs || (nargs > 0 && !args)) {
        return bfail(b, err, GR_ERR_INVALID, "%s takes %d operand%s, not %d", info->name,
                     info->nargs, info->nargs == 1 ? "" : "s", nargs);
    }
    for (i = 0; i < nargs; i++) {
        TRY(check_operand(b, info->name, i, args[i], err));
        a[i] = args[i];
        in[i] = b->p->values[a[i]].type;
    }
    t = gr_op_result_type(op, in, nargs, why, sizeof why);
    if (why[0]) {
        return bfail(b, err, GR_ERR_TYPE, "%s", why);
    }
    /* Convert i64 operands of an op that computes in f64. */
    comp = gr_op_compute_elem(op, in, nargs);
    for (i = 0; i < nargs; i++) {
        if (!gr_op_operand_promotes(op, i) || comp != GR_T_F64 ||
            gr_type_elem(in[i]) != GR_T_I64) {
            continue;
        }
        TRY(to_f64(b, args[i], &a[i], err));
    }
    return emit(b, op, t, a, nargs, NULL, out, err);
fail:
    return rc;
}

/* gr_builder_agg: neighbour aggregation of x (see gr.h); types from
 * gr_agg_result_type. */
int gr_builder_agg(gr_builder *b, gr_dir dir, gr_monoid mon, gr_msg msg, int self, gr_vid x,
                   gr_vid *out, gr_error *err)
{
    char why[GR_ERROR_MSG_MAX];
    gr_inst *in;
    gr_type t;
    int rc;

    if (out) {
        *out = -1;
    }
    TRY(ready(b, err));
    if ((int)dir < 0 || dir > GR_DIR_BOTH) {
        return bfail(b, err, GR_ERR_INVALID, "unknown agg direction %d", (int)dir);
    }
    TRY(check_use(b, "agg", "operand 1", x, err));
    t = gr_agg_result_type(mon, msg, b->p->values[x].type, why, sizeof why);
    if (t == GR_T_NONE) {
        return bfail(b, err, GR_ERR_TYPE, "%s", why);
    }
    TRY(emit(b, GR_OP_AGG, t, &x, 1, &in, out, err));
    in->attrs.dir = (uint8_t)dir;
    in->attrs.monoid = (uint8_t)mon;
    in->attrs.msg = (uint8_t)msg;
    in->attrs.self = self != 0;
    return GR_OK;
fail:
    return rc;
}

/* --- loops ---------------------------------------------------------------- */

/* gr_builder_loop_begin: open a loop (see gr.h); the builder appends to its
 * body until gr_builder_loop_end.  inner may be NULL. */
int gr_builder_loop_begin(gr_builder *b, gr_loop_kind kind, gr_vid max_iter, gr_vid tol,
                          int ncarry, const gr_vid *init, int test, gr_vid *inner,
                          gr_error *err)
{
    gr_program *p;
    gr_block *blk;
    gr_inst *in;
    int32_t nvalues0, scope;
    int i, rc;

    TRY(ready(b, err));
    p = b->p;
    if ((int)kind < 0 || kind > GR_LOOP_UNCHANGED) {
        return bfail(b, err, GR_ERR_INVALID, "unknown loop kind %d", (int)kind);
    }
    if (ncarry < 0 || ncarry > INT32_MAX - 2 || (ncarry > 0 && !init)) {
        return bfail(b, err, GR_ERR_INVALID, "a loop needs 0 or more carried values, not %d",
                     ncarry);
    }
    TRY(check_use(b, "loop", "max_iter", max_iter, err));
    if (p->values[max_iter].type != GR_T_I64) {
        return bfail(b, err, GR_ERR_TYPE, "max_iter of the loop is %s; expected an i64 scalar",
                     gr_type_name(p->values[max_iter].type));
    }
    if (kind == GR_LOOP_CONVERGED) {
        TRY(check_use(b, "loop", "tol", tol, err));
        if (p->values[tol].type != GR_T_F64 && p->values[tol].type != GR_T_I64) {
            return bfail(b, err, GR_ERR_TYPE, "tol of the loop is %s; expected an f64 scalar",
                         gr_type_name(p->values[tol].type));
        }
    } else if (tol != -1) {
        return bfail(b, err, GR_ERR_INVALID, "only converged loops take a tol (pass -1)");
    }
    if (kind == GR_LOOP_REPEAT) {
        test = -1;
    } else if (test < 0 || test >= ncarry) {
        return bfail(b, err, GR_ERR_INVALID, "loop test index %d is out of range (%d carried "
                     "value%s)", test, ncarry, ncarry == 1 ? "" : "s");
    }
    for (i = 0; i < ncarry; i++) {
        char what[40];
        snprintf(what, sizeof what, "initial value %d", i + 1);
        TRY(check_use(b, "loop", what, init[i], err));
    }
    if (kind == GR_LOOP_CONVERGED && !gr_type_is_num(p->values[init[test]].type)) {
        return bfail(b, err, GR_ERR_TYPE, "a converged loop watches a number; carried value %d "
                     "is %s", test + 1, gr_type_name(p->values[init[test]].type));
    }
    if (b->nloops == b->loops_cap) {
        int cap = b->loops_cap ? b->loops_cap * 2 : 4;
        loop_frame *f = gr_realloc(b->loops, (size_t)cap * sizeof *f);
        if (!f) {
            return nomem(err);
        }
        b->loops = f;
        b->loops_cap = cap;
    }
    if (kind == GR_LOOP_CONVERGED && p->values[tol].type == GR_T_I64) {
        TRY(to_f64(b, tol, &tol, err));
    }

    /* From here on, undo everything on failure. */
    blk = cur_block(b);
    nvalues0 = p->nvalues;
    scope = b->nscopes + 1;
    if (!(in = gr_ir_append(blk))) {
        return nomem(err);
    }
    in->op = GR_OP_LOOP;
    in->result = -1;
    in->nargs = 2 + ncarry;
    in->ncarry = ncarry;
    in->attrs.loop = (uint8_t)kind;
    in->attrs.test = test;
    in->loc = b->loc;
    if (!(in->args = gr_malloc((size_t)in->nargs * sizeof *in->args)) ||
        !(in->body = gr_calloc(1, sizeof *in->body)) ||
        (ncarry > 0 && !(in->inner = gr_malloc((size_t)ncarry * sizeof *in->inner)))) {
        goto undo;
    }
    in->body->parent = in;
    in->args[0] = max_iter;
    in->args[1] = kind == GR_LOOP_CONVERGED ? tol : -1;
    for (i = 0; i < ncarry; i++) {
        in->args[2 + i] = init[i];
        if ((in->inner[i] = new_value(b, p->values[init[i]].type, scope)) < 0) {
            goto undo;
        }
    }
    b->nscopes = scope;
    b->loops[b->nloops].parent = blk;
    b->loops[b->nloops].index = blk->n - 1;
    b->loops[b->nloops].scope = scope;
    b->nloops++;
    for (i = 0; inner && i < ncarry; i++) {
        inner[i] = in->inner[i];
    }
    return GR_OK;
undo:
    gr_free(in->args);
    gr_free(in->body);
    gr_free(in->inner);
    blk->n--;
    p->nvalues = nvalues0;
    return nomem(err);
fail:
    return rc;
}

/* gr_builder_loop_end: close the innermost loop (see gr.h).  A next value
 * must have its carried value's type; an i64 next of an f64 carried value
 * is converted with to_f64.  results may be NULL. */
int gr_builder_loop_end(gr_builder *b, const gr_vid *next, gr_vid *results, gr_error *err)
{
    loop_frame *f;
    gr_inst *loop;
    gr_vid *nx = NULL, *res = NULL;
    int32_t nvalues0, ninsts0, scope;
    int i, n, rc;

    TRY(ready(b, err));
    if (b->nloops == 0) {
        return bfail(b, err, GR_ERR_INVALID, "loop_end without an open loop");
    }
    f = &b->loops[b->nloops - 1];
    loop = &f->parent->insts[f->index];
    n = loop->ncarry;
    if (n > 0 && !next) {
        return bfail(b, err, GR_ERR_INVALID, "loop_end needs %d next value%s", n,
                     n == 1 ? "" : "s");
    }
    for (i = 0; i < n; i++) {
        gr_type want = b->p->values[loop->inner[i]].type, got;
        char what[40];
        snprintf(what, sizeof what, "next value %d", i + 1);
        TRY(check_use(b, "loop", what, next[i], err));
        got = b->p->values[next[i]].type;
        if (got != want && !(gr_type_elem(want) == GR_T_F64 && gr_type_elem(got) == GR_T_I64 &&
                             gr_type_is_vector(want) == gr_type_is_vector(got))) {
            return bfail(b, err, GR_ERR_TYPE, "next value %d of the loop (%%%d) is %s; the "
                         "carried value is %s", i + 1, (int)next[i], gr_type_name(got),
                         gr_type_name(want));
        }
    }
    if (n > 0 && (!(nx = gr_malloc((size_t)n * sizeof *nx)) ||
                  !(res = gr_malloc((size_t)n * sizeof *res)))) {
        rc = nomem(err);
        goto fail;
    }
    for (i = 0; i < n; i++) {
        nx[i] = next[i];
        if (b->p->values[next[i]].type != b->p->values[loop->inner[i]].type) {
            TRY(to_f64(b, next[i], &nx[i], err));
        }
    }
    ninsts0 = loop->body->n;
    TRY(emit(b, GR_OP_YIELD, GR_T_NONE, nx, n, NULL, NULL, err));
    /* The results belong to the scope around the loop. */
    nvalues0 = b->p->nvalues;
    scope = b->nloops > 1 ? b->loops[b->nloops - 2].scope : 0;
    for (i = 0; i < n; i++) {
        if ((res[i] = new_value(b, b->p->values[loop->inner[i]].type, scope)) < 0) {
            b->p->nvalues = nvalues0;
            gr_free(loop->body->insts[ninsts0].args);
            loop->body->n = ninsts0;
            rc = nomem(err);
            goto fail;
        }
    }
    loop->results = res;
    b->nloops--;
    for (i = 0; results && i < n; i++) {
        results[i] = res[i];
    }
    gr_free(nx);
    return GR_OK;
fail:
    gr_free(nx);
    gr_free(res);
    return rc;
}

/* --- return and finish ---------------------------------------------------- */

/* gr_builder_return: the program's results (see gr.h); once, outside
 * every loop.  names (or names[i]) NULL gives "result", "result2", ... */
int gr_builder_return(gr_builder *b, int n, const gr_vid *vals, const char *const *names,
                      gr_error *err)
{
    const char **rn = NULL;
    char dflt[32];
    int i, j, rc;

    TRY(ready(b, err));
    if (b->nloops > 0) {
        return bfail(b, err, GR_ERR_INVALID, "return inside a loop body (close the loop first)");
    }
    if (n < 0 || (n > 0 && !vals)) {
        return bfail(b, err, GR_ERR_INVALID, "return needs 0 or more values, not %d", n);
    }
    for (i = 0; i < n; i++) {
        char what[32];
        snprintf(what, sizeof what, "result %d", i + 1);
        TRY(check_use(b, "return", what, vals[i], err));
    }
    if (n > 0 && !(rn = gr_calloc((size_t)n, sizeof *rn))) {
        return nomem(err);
    }
    for (i = 0; i < n; i++) {
        const char *name = names ? names[i] : NULL;
        if (!name) {
            if (i == 0) {
                snprintf(dflt, sizeof dflt, "result");
            } else {
                snprintf(dflt, sizeof dflt, "result%d", i + 1);
            }
            name = dflt;
        }
        if (!gr_ir_is_name(name)) {
            rc = bad_name(b, err, "result name", name);
            goto fail;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(rn[j], name) == 0) {
                rc = bfail(b, err, GR_ERR_INVALID, "result name '%s' is used twice", name);
                goto fail;
            }
        }
        if (!(rn[i] = gr_ir_intern(b->p, name))) {
            rc = nomem(err);
            goto fail;
        }
    }
    TRY(emit(b, GR_OP_RETURN, GR_T_NONE, vals, n, NULL, NULL, err));
    gr_free((void *)b->p->result_names);
    b->p->result_names = rn;
    b->returned = 1;
    return GR_OK;
fail:
    gr_free((void *)rn);
    return rc;
}

/* gr_builder_finish: verify and copy the program into *out (owned by the
 * caller); the builder stays valid. */
int gr_builder_finish(gr_builder *b, gr_program **out, gr_error *err)
{
    gr_program *q = NULL;
    int rc;

    *out = NULL;
    if (!b) {
        return gr_err(err, GR_ERR_INVALID, "no builder");
    }
    if (b->loc_nomem) {
        return gr_err_nomem(err, "source location");
    }
    if (!b->returned) {
        return bfail(b, err, GR_ERR_INVALID, "the program has no return");
    }
    TRY(gr_ir_clone(b->p, &q, err));
    TRY(gr_program_verify(q, err));
    *out = q;
    return GR_OK;
fail:
    gr_program_free(&q);
    return rc;
}
