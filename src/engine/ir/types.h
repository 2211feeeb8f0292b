/*
 * types.h - what gr_ops.def says about each op, as tables and functions:
 * the op info table (name, arity, typing rule, flags, doc), the typing rules
 * (result type from operand types), and type helpers.  Everything here is
 * generated from gr_ops.def or follows from its sig column.
 */
#ifndef GR_IR_TYPES_H
#define GR_IR_TYPES_H

#include "gr.h"

/* Op flags (the flags column of gr_ops.def). */
enum {
    GR_F_EW = 1u << 0,    /* element-wise over nodes (or scalars) */
    GR_F_RED = 1u << 1,   /* reduction to a scalar */
    GR_F_AGG = 1u << 2,   /* neighbour aggregation */
    GR_F_SRC = 1u << 3,   /* source: no vector operands read */
    GR_F_CTRL = 1u << 4,  /* control (loop, yield, return) */
    GR_F_SIDE = 1u << 5,  /* side effect: never removed or moved */
    GR_F_COMM = 1u << 6,  /* commutative in its two operands */
    GR_F_REGION = 1u << 7 /* owns a body evaluated per node/edge (fused kernels) */
};

/* Typing rules (the sig column of gr_ops.def). */
typedef enum gr_sig {
    GR_SIG_CONST, GR_SIG_PARAM, GR_SIG_FILL, GR_SIG_NBR, GR_SIG_SRC_I64, GR_SIG_SRC_I64V,
    GR_SIG_NUM2, GR_SIG_NUM1, GR_SIG_FLT2, GR_SIG_FLT1, GR_SIG_CMP,
    GR_SIG_LOG2, GR_SIG_LOG1, GR_SIG_WHERE, GR_SIG_TOF64, GR_SIG_TOI64,
    GR_SIG_TOBOOL, GR_SIG_GATHER, GR_SIG_SCATTER, GR_SIG_LINK, GR_SIG_RED, GR_SIG_RED_F64,
    GR_SIG_RED_I64, GR_SIG_RED_BOOL, GR_SIG_DIST, GR_SIG_AGG, GR_SIG_LOOP,
    GR_SIG_YIELD, GR_SIG_RETURN, GR_SIG_PRINT, GR_SIG_FUSED, GR_SIG_AGG_FUSED
} gr_sig;

typedef struct gr_opinfo {
    const char *name;    /* printed name */
    int nargs;           /* operand count, -1 variable */
    gr_sig sig;          /* typing rule */
    unsigned flags;      /* GR_F_* */
    const char *doc;     /* one-line semantics */
} gr_opinfo;

/* The table, indexed by gr_opcode (GR_OP__COUNT entries). */
extern const gr_opinfo gr_opinfo_table[];

static inline const gr_opinfo *gr_op_info(int op) { return &gr_opinfo_table[op]; }

static inline int gr_type_is_vector(gr_type t)
{
    return t == GR_T_F64V || t == GR_T_I64V || t == GR_T_MASK;
}
static inline int gr_type_is_scalar(gr_type t)
{
    return t == GR_T_F64 || t == GR_T_I64 || t == GR_T_BOOL;
}
/* The element type: f64v -> f64, i64v -> i64, mask -> bool; scalars map
 * to themselves. */
gr_type gr_type_elem(gr_type t);
/* The vector type of an element type (f64 -> f64v, ...). */
gr_type gr_type_vec(gr_type t);
static inline int gr_type_is_num(gr_type t)
{
    gr_type e = gr_type_elem(t);
    return e == GR_T_F64 || e == GR_T_I64;
}
static inline int gr_type_is_bool(gr_type t)
{
    return gr_type_elem(t) == GR_T_BOOL;
}

/* The result type of op applied to operands of types `in` (nargs of them),
 * for every op whose type follows from its operands (not const, param,
 * agg or control).  On a type error returns GR_T_NONE and writes a one-line
 * reason ("operand 2 of add is a mask; use to_i64() or to_f64()") into why;
 * on success why is "" (print: GR_T_NONE and "", no result, no error). */
gr_type gr_op_result_type(gr_opcode op, const gr_type *in, int nargs, char *why,
                          size_t whylen);

/* The operand type op computes in for operands `in` after promotion: for
 * NUM2/CMP/WHERE/MIN/... the promoted element type (f64 if any operand is
 * f64, else i64); FLT ops: f64.  Used by the builder to insert to_f64 and by
 * executors to pick a kernel. */
gr_type gr_op_compute_elem(gr_opcode op, const gr_type *in, int nargs);

/* Whether operand i (0-based) of op computes in gr_op_compute_elem's type:
 * the operands of NUM2, CMP, DIST and FLT ops, WHERE's branches and
 * SCATTER's values.  The builder converts such an i64 operand with to_f64
 * when the op computes in f64, and the verifier checks that, in the IR,
 * their element type equals the compute type. */
int gr_op_operand_promotes(gr_opcode op, int i);

/* Result type of an aggregation of x (a vector type) with monoid and msg;
 * GR_T_NONE (and a reason) when not allowed (e.g. mode over f64, any over a
 * number, a weight message over a mask). */
gr_type gr_agg_result_type(gr_monoid mon, gr_msg msg, gr_type x, char *why,
                           size_t whylen);

/* Names for printing and parsing: "in"/"out"/"both", "sum"/..., "x"/"add_w"/
 * "mul_w"/"w", "repeat"/"converged"/"unchanged"; and lookups (-1 if
 * unknown). */
const char *gr_dir_name(gr_dir d);
const char *gr_monoid_name(gr_monoid m);
const char *gr_msg_name(gr_msg m);
const char *gr_loop_name(gr_loop_kind k);
int gr_dir_lookup(const char *s);
int gr_monoid_lookup(const char *s);
int gr_msg_lookup(const char *s);
int gr_loop_lookup(const char *s);
int gr_type_lookup(const char *s);

#endif
