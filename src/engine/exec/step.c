/*
 * step.c - the step executor's public API (see "the step executor" in
 * gr.h): execution contexts, values, and one call per op.
 *
 * This is the engine's slowest, most honest mode: every call validates its
 * operands (opcode, arity, types through the same typing rules as the
 * verifier, vector lengths), allocates a fresh result and runs one
 * whole-vector kernel from kernels.c.  It is what the seed's "FFI overhead"
 * measured, so the per-call path is kept short: no locking, no formatting
 * unless there is an error, two allocations per vector result (the handle
 * and its gr_alloc_big array), one for a scalar.
 *
 * gr_step_run (step_run.c) drives a whole program through these calls.
 */
#include "config.h"
#include "gr.h"

#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/exec/kernels.h"
#include "engine/ir/types.h"

struct gr_ctx {
    const gr_graph *g;       /* borrowed; outlives the context */
    FILE *trace;             /* where print writes (not owned) */
};

struct gr_val {
    gr_type type;            /* never GR_T_NONE */
    size_t len;              /* g->n for vectors, 1 for scalars */
    gr_kscalar s;            /* a scalar's value (bools as 0/1 in s.i) */
    void *data;              /* a vector's elements (gr_alloc_big), else NULL */
};

static const gr_kpol step_pol = {0}; /* the library's thread setting */

/* ---- contexts ----------------------------------------------------------- */

/* See gr.h.  The context borrows g. */
int gr_ctx_new(const gr_graph *g, gr_ctx **out, gr_error *err)
{
    gr_ctx *c;
    if (!out) {
        return gr_err(err, GR_ERR_INVALID, "gr_ctx_new: out is NULL");
    }
    *out = NULL;
    if (!g) {
        return gr_err(err, GR_ERR_INVALID, "gr_ctx_new: graph is NULL");
    }
    if (!(c = gr_malloc(sizeof *c))) {
        return gr_err_nomem(err, "step context");
    }
    c->g = g;
    c->trace = stderr;
    *out = c;
    return GR_OK;
}

/* See gr.h.  Frees the context only (not the graph); NULLs *c. */
void gr_ctx_free(gr_ctx **c)
{
    if (c && *c) {
        gr_free(*c);
        *c = NULL;
    }
}

/* ---- values ------------------------------------------------------------------ */

/* A new value of type t (vectors get n elements, uninitialised). */
static gr_val *val_new(gr_type t, size_t n)
{
    gr_val *v = gr_malloc(sizeof *v);
    if (!v) {
        return NULL;
    }
    v->type = t;
    v->s.i = 0;
    v->data = NULL;
    if (gr_type_is_vector(t)) {
        v->len = n;
        if (!(v->data = gr_alloc_big(n, gr_k_size(gr_k_kind(t))))) {
            gr_free(v);
            return NULL;
        }
    } else {
        v->len = 1;
    }
    return v;
}

/* See gr.h.  NULLs *v; NULL and *v == NULL are allowed. */
void gr_val_free(gr_val **v)
{
    if (v && *v) {
        gr_free_big((*v)->data);
        gr_free(*v);
        *v = NULL;
    }
}

/* See gr.h.  GR_T_NONE for NULL. */
gr_type gr_val_type(const gr_val *v) { return v ? v->type : GR_T_NONE; }

/* v as a kernel operand.  A scalar bool is read from its int64 slot. */
static gr_kin val_in(const gr_val *v)
{
    gr_kin k;
    if (v->data) {
        k.p = v->data;
        k.ek = gr_k_kind(v->type);
        k.scalar = 0;
    } else {
        k.p = &v->s;
        k.ek = v->type == GR_T_F64 ? GR_EK_F64 : GR_EK_I64;
        k.scalar = 1;
    }
    return k;
}

static int make_scalar(gr_type t, gr_kscalar s, gr_val **out, gr_error *err)
{
    gr_val *v;
    if (!out) {
        return gr_err(err, GR_ERR_INVALID, "gr_step_const: out is NULL");
    }
    if (!(v = val_new(t, 1))) {
        *out = NULL;
        return gr_err_nomem(err, "step value");
    }
    v->s = s;
    *out = v;
    return GR_OK;
}

/* See gr.h: the constant v as a new f64 scalar owned by the caller. */
int gr_step_const_f64(gr_ctx *c, double v, gr_val **out, gr_error *err)
{
    gr_kscalar s;
    (void)c;
    s.f = v;
    return make_scalar(GR_T_F64, s, out, err);
}

/* See gr.h: a new i64 scalar. */
int gr_step_const_i64(gr_ctx *c, int64_t v, gr_val **out, gr_error *err)
{
    gr_kscalar s;
    (void)c;
    s.i = v;
    return make_scalar(GR_T_I64, s, out, err);
}

/* See gr.h: a new bool scalar (v != 0). */
int gr_step_const_bool(gr_ctx *c, int v, gr_val **out, gr_error *err)
{
    gr_kscalar s;
    (void)c;
    s.i = v != 0;
    return make_scalar(GR_T_BOOL, s, out, err);
}

/* Copy v's elements out as f64 (i64 converted, bools 0/1). */
int gr_val_read_f64(const gr_val *v, double *out, size_t n, gr_error *err)
{
    if (!v || (!out && n)) {
        return gr_err(err, GR_ERR_INVALID, "gr_val_read_f64: %s is NULL", v ? "out" : "value");
    }
    if (n != v->len) {
        return gr_err(err, GR_ERR_INVALID,
                      "gr_val_read_f64: the value has %zu element%s, asked for %zu", v->len,
                      v->len == 1 ? "" : "s", n);
    }
    if (v->data) {
        gr_k_convert(v->data, gr_k_kind(v->type), out, GR_EK_F64, n, step_pol);
    } else {
        out[0] = v->type == GR_T_F64 ? v->s.f : (double)v->s.i;
    }
    return GR_OK;
}

/* Copy v's elements out as i64 (bools and masks as 0/1).  An f64 value is
 * GR_ERR_TYPE: read it with gr_val_read_f64. */
int gr_val_read_i64(const gr_val *v, int64_t *out, size_t n, gr_error *err)
{
    if (!v || (!out && n)) {
        return gr_err(err, GR_ERR_INVALID, "gr_val_read_i64: %s is NULL", v ? "out" : "value");
    }
    if (gr_k_kind(v->type) == GR_EK_F64) {
        return gr_err(err, GR_ERR_TYPE, "gr_val_read_i64: the value is %s; read it with "
                      "gr_val_read_f64", gr_type_name(v->type));
    }
    if (n != v->len) {
        return gr_err(err, GR_ERR_INVALID,
                      "gr_val_read_i64: the value has %zu element%s, asked for %zu", v->len,
                      v->len == 1 ? "" : "s", n);
    }
    if (v->data) {
        gr_k_convert(v->data, gr_k_kind(v->type), out, GR_EK_I64, n, step_pol);
    } else {
        out[0] = v->s.i;
    }
    return GR_OK;
}

/* ---- applying ops --------------------------------------------------------------- */

/* Print v on the context's trace stream. */
static void print_val(const gr_ctx *c, const gr_val *v)
{
    uint8_t b;
    if (v->data) {
        gr_k_print(c->trace, v->type, v->data, v->len);
    } else if (v->type == GR_T_BOOL) {
        b = v->s.i != 0;
        gr_k_print(c->trace, v->type, &b, 1);
    } else {
        gr_k_print(c->trace, v->type, &v->s, 1);
    }
    if (c->trace) {
        fflush(c->trace);
    }
}

/* Where a result of r's type is written by a kernel: the vector, or the
 * scalar slot (bools through *b, copied into s.i by the caller). */
static void *out_ptr(gr_val *r, uint8_t *b)
{
    if (r->data) {
        return r->data;
    }
    return r->type == GR_T_BOOL ? (void *)b : (void *)&r->s;
}

/* Run op (already validated) into r. */
static int run_op(gr_ctx *c, gr_opcode op, const gr_opinfo *info, gr_val *const *args,
                  int nargs, gr_val *r, gr_error *err)
{
    const gr_graph *g = c->g;
    const gr_ek rk = gr_k_kind(r->type);
    uint8_t b = 0;
    int k, bad = 0;

    if (info->flags & GR_F_EW) {
        gr_kin in[3];
        gr_ek ek[3];
        for (k = 0; k < nargs; k++) {
            in[k] = val_in(args[k]);
            ek[k] = gr_k_kind(args[k]->type);
        }
        bad = gr_k_ew(op, gr_k_ew_compute(op, ek, nargs), in, nargs, out_ptr(r, &b), rk,
                      r->len, step_pol);
    } else {
        switch (info->sig) {
        case GR_SIG_SRC_I64:
            r->s.i = op == GR_OP_NODE_COUNT ? (int64_t)g->n : (int64_t)g->m;
            break;
        case GR_SIG_SRC_I64V:
            if (op == GR_OP_NODE_INDEX) {
                gr_k_node_index(r->data, g->n, step_pol);
            } else if (op == GR_OP_NODE_ID) {
                gr_k_node_id(g, r->data, step_pol);
            } else {
                bad = gr_k_degree(g, op, r->data, step_pol);
            }
            break;
        case GR_SIG_FILL: {
            gr_kin a = val_in(args[0]);
            union { double f; int64_t i; uint8_t b; } s;
            if (rk == GR_EK_F64) {
                s.f = a.ek == GR_EK_F64 ? args[0]->s.f : (double)args[0]->s.i;
            } else if (rk == GR_EK_I64) {
                s.i = args[0]->s.i;
            } else {
                s.b = args[0]->s.i != 0;
            }
            gr_k_fill(r->data, rk, &s, r->len, step_pol);
            break;
        }
        case GR_SIG_NBR:
            gr_k_out_nbr(g, args[0]->s.i, r->data, step_pol);
            break;
        case GR_SIG_LINK:
            bad = !args[0]->data || !args[1]->data || args[0]->type != GR_T_I64V ||
                  args[1]->type != GR_T_I64V;
            if (!bad) {
                gr_klink x[2] = {{args[0]->data, 0, NULL}, {args[1]->data, 0, NULL}};
                gr_k_link(g, x, 2, r->data, r->len, step_pol);
            }
            break;
        case GR_SIG_GATHER:
            bad = !args[0]->data || !args[1]->data || args[1]->type != GR_T_I64V;
            if (!bad) {
                gr_k_gather(args[0]->data, gr_k_kind(args[0]->type), args[0]->len,
                            args[1]->data, r->data, rk, r->len, step_pol);
            }
            break;
        case GR_SIG_SCATTER:
            bad = !args[1]->data || args[1]->type != GR_T_I64V || !r->data;
            if (!bad) {
                bad = gr_k_scatter(op, val_in(args[0]), args[1]->data, val_in(args[2]),
                                   r->data, rk, r->len, step_pol);
            }
            break;
        case GR_SIG_RED:
        case GR_SIG_RED_F64:
        case GR_SIG_RED_I64:
        case GR_SIG_RED_BOOL: {
            gr_kin a = val_in(args[0]);
            gr_kscalar s;
            s.i = 0;
            bad = gr_k_reduce(op, a.p, a.ek, args[0]->len, rk, &s, step_pol);
            r->s = s;
            break;
        }
        case GR_SIG_DIST: {
            gr_kin a = val_in(args[0]), d = val_in(args[1]);
            bad = a.scalar || d.scalar;
            if (!bad) {
                r->s.f = gr_k_dist(op, a.p, a.ek, d.p, d.ek, args[0]->len, step_pol);
            }
            break;
        }
        default:
            bad = 1;
            break;
        }
    }
    if (bad) {
        return gr_err(err, GR_ERR_INTERNAL, "%s: no kernel for these operands (result %s)",
                      info->name, gr_type_name(r->type));
    }
    if (!r->data && r->type == GR_T_BOOL && (info->flags & GR_F_EW)) {
        r->s.i = b;
    }
    return GR_OK;
}

/* See gr.h.  Validates everything, then allocates *out (the caller frees
 * it with gr_val_free); *out is NULL on error and for print. */
int gr_step_apply(gr_ctx *c, gr_opcode op, gr_val *const *args, int nargs, gr_val **out,
                  gr_error *err)
{
    const gr_opinfo *info;
    gr_type in[3], rt;
    char why[256];
    gr_val *r;
    int k, rc;

    if (out) {
        *out = NULL;
    }
    if (!c) {
        return gr_err(err, GR_ERR_INVALID, "gr_step_apply: context is NULL");
    }
    if ((unsigned)op >= GR_OP__COUNT) {
        return gr_err(err, GR_ERR_INVALID, "gr_step_apply: invalid opcode %d", (int)op);
    }
    info = gr_op_info(op);
    if (op == GR_OP_CONST || op == GR_OP_PARAM ||
        (info->flags & (GR_F_AGG | GR_F_CTRL | GR_F_REGION))) {
        return gr_err(err, GR_ERR_INVALID, "gr_step_apply: %s is not applied by gr_step_apply "
                      "(%s)", info->name,
                      op == GR_OP_CONST ? "use gr_step_const_*"
                      : op == GR_OP_AGG ? "use gr_step_agg"
                      : "gr_step_run handles it");
    }
    if (nargs != info->nargs) {
        return gr_err(err, GR_ERR_INVALID, "%s takes %d operand%s, got %d", info->name,
                      info->nargs, info->nargs == 1 ? "" : "s", nargs);
    }
    for (k = 0; k < nargs; k++) {
        if (!args || !args[k]) {
            return gr_err(err, GR_ERR_INVALID, "operand %d of %s is NULL", k + 1, info->name);
        }
        in[k] = args[k]->type;
    }
    if (op == GR_OP_PRINT) {
        print_val(c, args[0]);
        return GR_OK;
    }
    if (!out) {
        return gr_err(err, GR_ERR_INVALID, "gr_step_apply: out is NULL");
    }
    why[0] = '\0';
    rt = gr_op_result_type(op, in, nargs, why, sizeof why);
    if (rt == GR_T_NONE) {
        if (!why[0]) {
            return gr_err(err, GR_ERR_TYPE, "%s: operands of the wrong type", info->name);
        }
        return gr_err(err, GR_ERR_TYPE, "%s", why);
    }
    for (k = 0; k < nargs; k++) {
        if (args[k]->data && args[k]->len != c->g->n) {
            return gr_err(err, GR_ERR_INVALID,
                          "operand %d of %s has %zu elements; the graph has %lu nodes", k + 1,
                          info->name, args[k]->len, (unsigned long)c->g->n);
        }
    }
    if (!(r = val_new(rt, c->g->n))) {
        return gr_err_nomem(err, "step value");
    }
    if ((rc = run_op(c, op, info, args, nargs, r, err)) != GR_OK) {
        gr_val_free(&r);
        return rc;
    }
    *out = r;
    return GR_OK;
}

/* See gr.h.  Validates, then allocates *out (the caller frees it). */
int gr_step_agg(gr_ctx *c, gr_dir dir, gr_monoid mon, gr_msg msg, int self, const gr_val *x,
                gr_val **out, gr_error *err)
{
    char why[256];
    gr_type rt;
    gr_val *r;
    int rc;

    if (out) {
        *out = NULL;
    }
    if (!c || !x || !out) {
        return gr_err(err, GR_ERR_INVALID, "gr_step_agg: %s is NULL",
                      !c ? "context" : !x ? "operand" : "out");
    }
    if ((unsigned)dir > GR_DIR_BOTH || (unsigned)mon > GR_MON_MODE || (unsigned)msg > GR_MSG_W) {
        return gr_err(err, GR_ERR_INVALID, "agg: invalid %s %d",
                      (unsigned)dir > GR_DIR_BOTH ? "direction" : (unsigned)mon > GR_MON_MODE
                      ? "monoid" : "message",
                      (unsigned)dir > GR_DIR_BOTH ? (int)dir : (unsigned)mon > GR_MON_MODE
                      ? (int)mon : (int)msg);
    }
    why[0] = '\0';
    rt = gr_agg_result_type(mon, msg, x->type, why, sizeof why);
    if (rt == GR_T_NONE || !x->data || !gr_type_is_vector(rt)) {
        if (!why[0]) {
            return gr_err(err, GR_ERR_TYPE, "agg: cannot aggregate a %s with %s of %s",
                          gr_type_name(x->type), gr_monoid_name(mon), gr_msg_name(msg));
        }
        return gr_err(err, GR_ERR_TYPE, "%s", why);
    }
    if (x->len != c->g->n) {
        return gr_err(err, GR_ERR_INVALID,
                      "operand 1 of agg has %zu elements; the graph has %lu nodes", x->len,
                      (unsigned long)c->g->n);
    }
    if (!(r = val_new(rt, c->g->n))) {
        return gr_err_nomem(err, "step value");
    }
    rc = gr_k_agg(c->g, dir, mon, msg, self, x->data, gr_k_kind(x->type), r->data,
                  gr_k_kind(rt), step_pol, err);
    if (rc != GR_OK) {
        gr_val_free(&r);
        return rc;
    }
    *out = r;
    return GR_OK;
}
