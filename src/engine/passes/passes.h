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

#endif
