/*
 * ir.h - the typed IR inside libgr: programs, values, instructions, blocks.
 *
 * A program is one algorithm: parameters, a table of values, and a top
 * block of instructions.  Every value is defined exactly once (SSA): by an
 * instruction's result, by a parameter read (GR_OP_PARAM), or as a loop's
 * carried "inner" value (defined by the loop for its body) or result.
 * Control flow is structured: a GR_OP_LOOP instruction owns its body block,
 * which ends with a GR_OP_YIELD of the carried values' next values.  The top
 * block ends with GR_OP_RETURN.  Values defined inside a loop body are
 * visible only inside it (and in nested bodies).
 *
 * Passes (a later layer) rewrite programs through the functions below;
 * everything else reads them.  Ownership: a gr_program owns all of its
 * values, instructions, blocks and strings.
 *
 * Op semantics, arity, typing rules and flags come from gr_ops.def via the
 * tables in ir/types.h; nothing here repeats them.
 */
#ifndef GR_IR_H
#define GR_IR_H

#include "gr.h"
#include "engine/ir/types.h"

typedef struct gr_loc {
    const char *file;    /* interned in the program's string pool; NULL if none */
    int32_t line;        /* 1-based, 0 when unknown */
    int32_t col;         /* 1-based, 0 when unknown */
} gr_loc;

/* Attributes of one instruction (which fields count depends on the op). */
typedef struct gr_attrs {
    double f;            /* CONST f64 */
    int64_t i;           /* CONST i64/bool; PARAM: parameter index */
    uint8_t dir;         /* AGG: gr_dir */
    uint8_t monoid;      /* AGG: gr_monoid */
    uint8_t msg;         /* AGG: gr_msg */
    uint8_t self;        /* AGG: count the node's own value too */
    uint8_t loop;        /* LOOP: gr_loop_kind */
    int32_t test;        /* LOOP: index of the carried value the test watches */
    uint8_t explicit_test; /* LOOP: the body computes its own exit test: YIELD has
                              ncarry+1 operands, the last an f64 distance
                              (converged: stop when < n*tol, or < tol for a scalar
                              test value) or a bool "changed" (unchanged: stop when
                              false).  Made by fuse_reduction. */
    uint8_t masked;      /* AGG, AGG_FUSED: the last operand is a mask over the
                            receiving nodes; where it is false the result is the
                            monoid's empty value (so executors may skip them and
                            choose push or pull from the input's density) */
    uint8_t epilogue;    /* FUSED: this kernel is the epilogue of the AGG/AGG_FUSED
                            right before it (one pass: aggregate, then apply the
                            body to each node's result) */
} gr_attrs;

/* What a FUSED output is: a vector (map) or a fold over the nodes. */
typedef enum gr_fold {
    GR_FOLD_MAP = 0,   /* vector of the lane's type */
    GR_FOLD_SUM,       /* scalar: sum in node order (f64 blocked like reduce_sum) */
    GR_FOLD_MIN,       /* scalar: minimum (NaN rules of reduce_min) */
    GR_FOLD_MAX,       /* scalar: maximum */
    GR_FOLD_COUNT,     /* i64 scalar: lanes that are true (non-zero) */
    GR_FOLD_ANY,       /* bool scalar */
    GR_FOLD_ALL        /* bool scalar */
} gr_fold;

/* A fold kind's printed name ("map", "sum", "min", "max", "count", "any",
 * "all"; NULL when out of range) and the kind a name stands for (-1). */
const char *gr_fold_name(int fold);
int gr_fold_lookup(const char *s);

struct gr_block;

typedef struct gr_inst {
    uint16_t op;         /* gr_opcode */
    gr_vid result;       /* the value defined, or -1 (print, yield, return, loop) */
    int32_t nargs;       /* operand count */
    gr_vid *args;        /* operands (owned); LOOP: max_iter, tol (or -1), then the
                            ncarry initial values */
    gr_attrs attrs;
    gr_loc loc;
    /* LOOP, FUSED and AGG_FUSED (GR_F_REGION ops): */
    struct gr_block *body;   /* owned; ends with YIELD */
    int32_t ncarry;          /* LOOP: carried values; FUSED: outputs */
    gr_vid *inner;           /* values defined for the body (owned): LOOP: ncarry
                                carried values; FUSED: one lane per operand (the
                                operand's element type); AGG_FUSED: one lane per
                                operand (read at the neighbour) and a last f64
                                lane, the edge weight */
    gr_vid *results;         /* LOOP: ncarry values defined after the loop;
                                FUSED: ncarry outputs (owned) */
    uint8_t *fold;           /* FUSED: ncarry gr_fold kinds, one per output (owned) */
} gr_inst;
/* FUSED bodies hold only element-wise ops and constants and end with a
 * YIELD of ncarry lanes.  AGG_FUSED bodies end with a YIELD of one lane,
 * the message; its result is typed by gr_agg_result_type as if the message
 * were a vector of the lane's type.  AGG_FUSED's result is in `result`.
 * (Details the verifier also checks: a body reads only its kernel's lanes
 * and its own values; AGG_FUSED's msg attribute is GR_MSG_X, and a masked
 * AGG_FUSED's mask, its last operand, has a lane like the others, before
 * the weight's; a FUSED has at least one output and no `result`.) */

typedef struct gr_block {
    gr_inst *insts;      /* owned array */
    int32_t n, cap;
    struct gr_inst *parent; /* the LOOP owning this block, NULL for the top */
} gr_block;

typedef struct gr_value {
    gr_type type;
    const char *name;    /* name hint (interned) or NULL */
} gr_value;

typedef struct gr_param {
    const char *name;    /* interned */
    gr_type type;        /* GR_T_F64, GR_T_I64 or GR_T_BOOL */
    double fdefault;
    int64_t idefault;
} gr_param;

struct gr_program {
    const char *name;    /* interned */
    gr_param *params;    /* owned */
    int32_t nparams;
    gr_value *values;    /* owned; indexed by gr_vid */
    int32_t nvalues, values_cap;
    gr_block top;        /* ends with RETURN */
    const char **result_names; /* one per RETURN operand (interned) */
    struct gr_strpool *strings; /* owns every interned string */
};

/* --- construction helpers (used by the builder, the IR parser, passes) */

gr_program *gr_ir_program_new(const char *name);          /* NULL on OOM */
const char *gr_ir_intern(gr_program *p, const char *s);   /* NULL on OOM */
/* Whether s can name a program, parameter, result or value hint in the
 * printed form: [A-Za-z_][A-Za-z0-9_]*. */
int gr_ir_is_name(const char *s);
/* A new value of type t; returns its id or -1 on OOM. */
gr_vid gr_ir_new_value(gr_program *p, gr_type t);
/* Append a zeroed instruction to block b; NULL on OOM.  The returned
 * pointer is valid until the block grows again. */
gr_inst *gr_ir_append(gr_block *b);
/* A deep copy of a program (passes work on copies). */
int gr_ir_clone(const gr_program *p, gr_program **out, gr_error *err);
/* Free everything instruction in owns (operands, inner values, results,
 * fold kinds, its body with everything in it) and zero it; in itself (an
 * element of a block's array) is not freed.  For passes replacing an
 * instruction in place. */
void gr_ir_inst_release(gr_inst *in);

/* --- walking ------------------------------------------------------------ */

/* Call fn on every instruction of b and its nested bodies, in program
 * order (a loop before its body's instructions); stop when fn returns
 * non-zero and return that value. */
typedef int (*gr_ir_visit_fn)(gr_inst *in, gr_block *owner, void *ctx);
int gr_ir_walk(gr_block *b, gr_ir_visit_fn fn, void *ctx);

/* Print a program (the format gr_program_parse reads) into a growable
 * string; see gr_program_print.  with_locs appends each instruction's
 * source location as a comment ("  # file:line:col"), which the parser
 * skips.  *text is allocated (gr_free_string). */
int gr_ir_print(const gr_program *p, int with_locs, char **text, gr_error *err);
/* Pieces of that printed form, for other printers (analyses, plans): value
 * v as written where it is defined ("%N.hint : type"), and the line of one
 * instruction without indentation, location or newline (a region op's
 * without the " {" opening its body).  *text is allocated (gr_free_string);
 * GR_OK or GR_ERR_NOMEM. */
int gr_ir_value_text(const gr_program *p, gr_vid v, char **text, gr_error *err);
int gr_ir_inst_text(const gr_program *p, const gr_inst *in, char **text, gr_error *err);

#endif
