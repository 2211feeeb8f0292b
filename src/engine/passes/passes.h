/*
 * passes.h - the optimizer's internals: the pass signature, every pass's
 * entry point, the registry hook for tests, and the helpers passes share
 * (implemented in pipeline.c).
 *
 * A pass rewrites a program in place.  The pipeline (pipeline.c, behind
 * gr_optimize in gr.h) hands each pass its own copy of the user's program,
 * verifies the program after every pass and blames the pass by name when
 * the verifier objects, so a pass may assume a verified input and must
 * leave a verified output.  One pass per file, named after its entry point
 * (passes/cse.c exports gr_pass_cse); the registry, in pipeline order, is
 * the PASSES list at the top of pipeline.c.
 *
 * Rules every pass keeps (see DESIGN.md "Passes" and gr_ops.def):
 *  - ops have no side effects except GR_F_SIDE ones (print), which are
 *    never removed, merged, moved or reordered;
 *  - every op has a defined result on every input, so an op may be
 *    computed where it used to be skipped (hoisted out of a loop that runs
 *    zero times), but never with a different result, bit for bit;
 *  - value ids are stable: a pass never renumbers values; values it stops
 *    defining simply stay unused in the value table;
 *  - region ops (GR_F_REGION: fused kernels) belong to the fusion passes;
 *    the scalar passes treat them as opaque instructions and never look
 *    inside their bodies except to rename operands.
 */
#ifndef GR_PASSES_H
#define GR_PASSES_H

#include "engine/ir/ir.h"

/* What a pass returns: a negative gr_status (err filled) on failure, else
 * whether it changed the program.  The pipeline iterates the scalar passes
 * until none reports a change. */
enum {
    GR_PASS_SAME = 0,     /* the program is unchanged */
    GR_PASS_CHANGED = 1   /* the program was rewritten */
};

/* A pass: rewrite p in place; GR_PASS_SAME, GR_PASS_CHANGED or < 0.  On
 * failure p may be half rewritten but must still be freeable (the
 * pipeline discards it). */
typedef int (*gr_pass_fn)(gr_program *p, gr_error *err);

/* --- the passes, in pipeline order -------------------------------------- */

/* -O1 (iterated together to a fixed point, at most a few rounds): */

/* const_fold.c: fold element-wise ops whose operands are all scalar
 * constants (through ir/sem.h, as every executor computes them) and
 * rewrite exact algebraic identities (x*1, i64 x+0, where(true, a, b),
 * not(not x), ...).  Graph-dependent values are never folded. */
int gr_pass_const_fold(gr_program *p, gr_error *err);
/* cse.c: merge instructions computing the same op on the same operands,
 * scoped by the loop structure (an outer value may replace an inner one). */
int gr_pass_cse(gr_program *p, gr_error *err);
/* dce.c: remove instructions and loop-carried values that neither a
 * returned value nor a side effect needs. */
int gr_pass_dce(gr_program *p, gr_error *err);
/* licm.c: move loop-invariant instructions (gr_an_invariants) before
 * their loop, keeping their order. */
int gr_pass_licm(gr_program *p, gr_error *err);

/* -O2 adds (each run once, after the scalar passes): */

/* fuse_elementwise.c: chains of element-wise ops become FUSED kernels. */
int gr_pass_fuse_elementwise(gr_program *p, gr_error *err);
/* fuse_agg.c: producers into aggregation messages, consumers into
 * epilogues (AGG_FUSED). */
int gr_pass_fuse_agg(gr_program *p, gr_error *err);
/* fuse_reduction.c: reductions become folds of fused kernels, loop tests
 * explicit. */
int gr_pass_fuse_reduction(gr_program *p, gr_error *err);
/* fuse_loops.c: adjacent compatible loops merged where legal. */
int gr_pass_fuse_loops(gr_program *p, gr_error *err);

/* --- test hook ------------------------------------------------------------ */

/* Register one extra pass named `name` (a static string) that runs after
 * every other pass when enabled by name; it is never part of a level and
 * not listed by gr_pass_names.  fn NULL removes it.  For tests only (e.g.
 * a deliberately broken pass, to see the verifier blame it); not thread
 * safe.  GR_ERR_INVALID when name is NULL, empty or a registered pass. */
int gr_pass_test_hook(const char *name, gr_pass_fn fn);

/* --- helpers shared by the passes (pipeline.c) --------------------------- */

/* The value v stands for after the replacements in repl (repl[v] < 0: v
 * itself).  Replacement chains are followed to their end. */
static inline gr_vid gr_pass_resolve(const gr_vid *repl, gr_vid v)
{
    while (v >= 0 && repl[v] >= 0) {
        v = repl[v];
    }
    return v;
}

/* Rename the operands of in through repl; returns how many changed. */
int gr_pass_rename(gr_inst *in, const gr_vid *repl);

/* Rename operands through repl in every instruction of b and the bodies
 * nested in it (region bodies included); returns how many changed. */
int gr_pass_rename_block(gr_block *b, const gr_vid *repl);

/* An array of n value ids, all -1 (no replacement); NULL and
 * GR_ERR_NOMEM in err on failure.  Free with gr_free. */
gr_vid *gr_pass_repl_new(int32_t n, gr_error *err);

/* Remove the instructions b->insts[i] with drop[i] != 0, keeping the
 * order of the others, and free what they own (bodies included) through
 * the IR's own destructor.  GR_OK, or GR_ERR_NOMEM with b unchanged. */
int gr_pass_drop(gr_block *b, const uint8_t *drop, gr_error *err);

/* Point the body of every region instruction of b back at it (after the
 * instructions moved within b's array). */
void gr_pass_fix_parents(gr_block *b);

/* The YIELD closing a LOOP's body (NULL for a malformed loop). */
static inline gr_inst *gr_pass_yield(const gr_inst *loop)
{
    if (!loop->body || loop->body->n == 0 ||
        loop->body->insts[loop->body->n - 1].op != GR_OP_YIELD) {
        return NULL;
    }
    return &loop->body->insts[loop->body->n - 1];
}

/* --- helpers shared by the fusion passes (fuse_elementwise.c) ------------- */

struct gr_an_deps;

/* A fused kernel (FUSED or AGG_FUSED) being assembled.  Instructions are
 * copied into its body with their operands resolved: a value the kernel
 * already computes stands for itself, any other value becomes a lane (one
 * per distinct value, typed as its element type; scalars broadcast).  The
 * kernel owns its arrays until gr_fuse_install puts it in place; new body
 * values are added to the program's value table (and stay there, unused,
 * when the kernel is dropped). */
typedef struct gr_fuse_kb {
    gr_program *p;         /* the program being rewritten */
    gr_inst k;             /* the kernel; its args/inner grow with the lanes */
    int32_t cap_args;      /* entries allocated in k.args and k.inner */
    int32_t cap_out;       /* entries allocated in k.results, k.fold, out */
    gr_vid *out;           /* [k.ncarry] the body value of each output */
    gr_vid *map;           /* [nmap] program value -> body value, or -1 */
    int32_t nmap;
    gr_vid msg;            /* AGG_FUSED: the body value of the message */
    gr_vid weight;         /* AGG_FUSED: the weight lane (made on demand) */
    gr_vid mask;           /* AGG_FUSED: the mask operand, added last, or -1 */
} gr_fuse_kb;

/* One rewrite of a pass made of rewrites: try it at instruction pos of p
 * (d: p's dependencies); *changed when it rewrote p. */
typedef int (*gr_rewrite_fn)(gr_program *p, const struct gr_an_deps *d, int32_t pos,
                             int *changed, gr_error *err);
/* Run steps[0..n) in order, each at the first position where it fires
 * and again until it fires nowhere (dependencies rebuilt after every
 * rewrite).  GR_PASS_CHANGED, GR_PASS_SAME, or a negative error. */
int gr_pass_rewrite_steps(gr_program *p, const gr_rewrite_fn *steps, size_t n,
                          gr_error *err);

/* Start a kernel of op (GR_OP_FUSED or GR_OP_AGG_FUSED) for p.  GR_OK or
 * GR_ERR_NOMEM; gr_fuse_end must be called either way. */
int gr_fuse_begin(gr_fuse_kb *kb, gr_program *p, gr_opcode op, gr_error *err);
/* Free what the kernel still owns (nothing after gr_fuse_install). */
void gr_fuse_end(gr_fuse_kb *kb);
/* The body value standing for program value v: a copied op's result, or
 * v's lane (made on first use). */
int gr_fuse_value(gr_fuse_kb *kb, gr_vid v, gr_vid *out, gr_error *err);
/* Copy instruction in into the body: an element-wise op or a constant
 * (its result then stands for the copy), or a FUSED kernel's body (its
 * lanes bound to what its operands stand for).  For a FUSED, with_outputs
 * re-adds its outputs to the kernel (any fold kinds); without, its outputs
 * must all be maps and its results then stand for the yielded values. */
int gr_fuse_copy(gr_fuse_kb *kb, const gr_inst *in, int with_outputs, gr_error *err);
/* Make the lanes of a group of n instructions about to be copied, in the
 * order their operands are first read (so lanes are numbered before the
 * body's values): every operand that is not a value of the group. */
int gr_fuse_lanes(gr_fuse_kb *kb, gr_inst *const *insts, int32_t n, gr_error *err);
/* Append op(bargs) over body values to the body, typed by
 * gr_op_result_type; *out its value. */
int gr_fuse_op(gr_fuse_kb *kb, gr_opcode op, const gr_vid *bargs, int nargs, gr_vid *out,
               gr_error *err);
/* Add an output (FUSED): body value bv with fold kind `fold` into program
 * value result. */
int gr_fuse_output(gr_fuse_kb *kb, gr_vid bv, int fold, gr_vid result, gr_error *err);
/* AGG_FUSED: the edge weight's lane. */
int gr_fuse_weight(gr_fuse_kb *kb, gr_vid *out, gr_error *err);
/* Put the kernel in place of *slot (whose contents are released): the
 * yield is appended (the outputs, or AGG_FUSED's msg), a masked AGG_FUSED
 * gets its mask operand and lane, then the weight lane.  The caller sets
 * k.result, k.attrs and k.loc before.  On failure *slot is untouched. */
int gr_fuse_install(gr_fuse_kb *kb, gr_inst *slot, gr_error *err);

/* The block of p holding the instruction at deps position pos. */
gr_block *gr_fuse_block_at(gr_program *p, const struct gr_an_deps *d, int32_t pos);
/* The deps positions of the instructions of the block whose region op is
 * at position parent (-1: the top block), [n] allocated (gr_free); NULL
 * and GR_ERR_NOMEM on failure. */
int32_t *gr_fuse_positions(const struct gr_an_deps *d, int32_t parent, int32_t n,
                           gr_error *err);
/* Whether in is or holds a side effect (print). */
int gr_fuse_side(const gr_inst *in);
/* Whether the instruction at deps position y reads (itself or in its body)
 * a value the instruction at position x defines (result or results). */
int gr_fuse_depends(const struct gr_an_deps *d, int32_t y, int32_t x);
/* dep[k] = 1 for the instructions between block indices lo and hi
 * (exclusive) that the one at hi depends on, directly or through each
 * other; pos from gr_fuse_positions. */
void gr_fuse_deps_between(const struct gr_an_deps *d, const int32_t *pos, int32_t lo,
                          int32_t hi, uint8_t *dep);
/* Reorder the block: order[k] is the old index of the instruction that
 * goes to index k (a permutation of 0..b->n-1).  GR_OK or GR_ERR_NOMEM (b
 * unchanged). */
int gr_fuse_reorder(gr_block *b, const int32_t *order, gr_error *err);
/* Whether the reordering `order` (as for gr_fuse_reorder) keeps every
 * epilogue right after its aggregation. */
int gr_fuse_order_ok(const gr_block *b, const int32_t *order);
/* Insert a zeroed instruction at index at of b; *out points at it (valid
 * until b changes).  GR_OK or GR_ERR_NOMEM (b unchanged). */
int gr_fuse_insert(gr_block *b, int32_t at, gr_inst **out, gr_error *err);

/* fuse_agg.c: whether the instruction at deps position pos is a masked
 * aggregation pattern fuse_agg rewrites: and(r, m) / and(m, r) with r an
 * agg any's result, or where(m, r, e) with e the monoid's empty value (a
 * constant, or the aggregated vector for mode), r read nowhere else, the
 * (unmasked) aggregation in the same block with no side effect between.
 * *agg receives its position, *mask m.  fuse_elementwise leaves these
 * for fuse_agg. */
int gr_fuse_masked_match(const gr_program *p, const struct gr_an_deps *d, int32_t pos,
                         int32_t *agg, gr_vid *mask);

#endif
