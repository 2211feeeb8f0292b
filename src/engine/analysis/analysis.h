/*
 * analysis.h - analyses over the IR, one per file (src/engine/analysis/):
 *   deps.c            the linear order of instructions and the dependency DAG,
 *                     which every other analysis builds on
 *   liveness.c        live intervals over that order (loops handled)
 *   critical_path.c   a cost model (bytes moved, edges touched) and the
 *                     critical path through the DAG
 *   fusion_chains.c   groups of element-wise ops that can become one kernel
 *   loop_invariants.c values in loop bodies that do not change per iteration
 * Each has a printer (used by `grprof explain` and golden tests).
 *
 * Ownership: every gr_an_* result is filled into a caller-owned struct by
 * its build function and released by its release function; results point
 * into the program they were built from (borrowed: the program must
 * outlive them and must not change meanwhile).
 */
#ifndef GR_ANALYSIS_H
#define GR_ANALYSIS_H

#include "common/error.h"
#include "engine/ir/ir.h"

/* --- linear order and dependencies (deps.c) ---------------------------- */

/* Every instruction of the program numbered in program order, a loop (or
 * region op) before its body, its body's YIELD last; position = index. */
typedef struct gr_an_deps {
    int32_t ninst;          /* instructions */
    gr_inst **inst;         /* [ninst] the instructions (borrowed) */
    int32_t *parent;        /* [ninst] position of the enclosing region op, -1 at top */
    int32_t *end;           /* [ninst] for region ops: position of the last
                               instruction of the body; else the position itself */
    int32_t nvalues;        /* p->nvalues */
    int32_t *def;           /* [nvalues] position defining each value: the
                               instruction, or the region op for inner values and
                               loop results; -1 for values never defined */
    int32_t *nuses;         /* [nvalues] number of operand uses */
    int32_t **uses;         /* [nvalues] positions of the using instructions, increasing
                               (a use by a nested instruction is that instruction; an
                               instruction reading a value twice is there twice) */
} gr_an_deps;

int gr_an_deps_build(const gr_program *p, gr_an_deps *d, gr_error *err);
void gr_an_deps_release(gr_an_deps *d);
/* Print "pos: %result = op(args)  <- producers; -> users" lines. */
int gr_an_deps_print(const gr_program *p, const gr_an_deps *d, char **text, gr_error *err);
/* Whether v is an inner value of the region op defining it (a loop's
 * carried value, a fused kernel's lane) rather than one of its results;
 * 0 for values defined by other instructions or never defined. */
int gr_an_is_inner(const gr_program *p, const gr_an_deps *d, gr_vid v);

/* --- text for the printers (deps.c) ------------------------------------ */

/* A growable string the analysis printers write into; an allocation
 * failure is sticky and reported once, by gr_an_text_done. */
typedef struct gr_an_text {
    char *s;                /* NUL-terminated text (owned until done) */
    size_t n, cap;          /* length, allocated bytes */
    int nomem;              /* an append failed */
} gr_an_text;

void gr_an_textf(gr_an_text *t, const char *fmt, ...) GR_PRINTF(2, 3);
/* "%4d: ", two spaces per enclosing loop or region op, and the instruction
 * at pos as gr_ir_print writes it (no newline). */
void gr_an_text_inst(gr_an_text *t, const gr_program *p, const gr_an_deps *d, int32_t pos);
/* Value v as gr_ir_print writes it where it is defined: "%N.hint : type". */
void gr_an_text_value(gr_an_text *t, const gr_program *p, gr_vid v);
/* Hand the text over: GR_OK and *text (gr_free_string), or, after an
 * allocation failure, GR_ERR_NOMEM naming `what` (the text is freed). */
int gr_an_text_done(gr_an_text *t, char **text, gr_error *err, const char *what);

/* --- liveness (liveness.c) ---------------------------------------------- */

/* A value is live on the closed interval [start, end] of positions.  A value
 * used inside a loop body but defined before the loop lives at least to the
 * loop's end (so do a loop's max_iter and tol, read at every iteration);
 * carried inner values live over the whole body; loop results start at the
 * loop's end.  Values never used end where they start. */
typedef struct gr_an_live {
    int32_t nvalues;
    int32_t *start;         /* [nvalues] -1 for undefined values */
    int32_t *end;           /* [nvalues] */
    int32_t max_live_vectors; /* most vector values live at one position */
} gr_an_live;

int gr_an_live_build(const gr_program *p, const gr_an_deps *d, gr_an_live *l, gr_error *err);
void gr_an_live_release(gr_an_live *l);
int gr_an_live_print(const gr_program *p, const gr_an_live *l, char **text, gr_error *err);

/* --- cost model and critical path (critical_path.c) -------------------- */

/* Cost of one execution of an instruction on a graph of n nodes and m
 * edges: bytes read and written and edges touched; loop bodies count once
 * per expected iteration (iters_guess). */
typedef struct gr_an_cost {
    double bytes;           /* bytes moved */
    double edges;           /* edges touched */
} gr_an_cost;

gr_an_cost gr_an_inst_cost(const gr_program *p, const gr_inst *in, double n, double m);

typedef struct gr_an_critical {
    int32_t ninst;
    gr_an_cost *cost;       /* [ninst] each instruction's own cost */
    double *finish;         /* [ninst] earliest finish time on the critical-path
                               metric (bytes + edges*edge_bytes) */
    int32_t *path;          /* positions on the critical path, in order */
    int32_t npath;
    double total;           /* the critical path's length */
    double n, m, iters_guess; /* what it was built for (for the printer) */
    double *runs;           /* [ninst] executions of each instruction: the
                               product of its loops' iteration estimates (a
                               loop's own include its iterations: its cost is
                               its exit test) */
    double work;            /* every instruction's metric times its runs, summed */
} gr_an_critical;

int gr_an_critical_build(const gr_program *p, const gr_an_deps *d, double n, double m,
                         double iters_guess, gr_an_critical *c, gr_error *err);
void gr_an_critical_release(gr_an_critical *c);
int gr_an_critical_print(const gr_program *p, const gr_an_critical *c, char **text,
                         gr_error *err);

/* --- fusion chains (fusion_chains.c) ---------------------------------- */

/* Element-wise instructions grouped into chains (trees) that could run as
 * one kernel: same block, connected producer->consumer where the producer's
 * only use is in the chain, no side effect between them.  chain[pos] is the
 * chain id of each instruction or -1. */
typedef struct gr_an_chains {
    int32_t ninst;
    int32_t *chain;         /* [ninst] */
    int32_t nchains;
} gr_an_chains;

int gr_an_chains_build(const gr_program *p, const gr_an_deps *d, gr_an_chains *c,
                       gr_error *err);
void gr_an_chains_release(gr_an_chains *c);
int gr_an_chains_print(const gr_program *p, const gr_an_deps *d, const gr_an_chains *c,
                       char **text, gr_error *err);

/* --- loop invariants (loop_invariants.c) ------------------------------- */

/* inv[pos] = 1 for instructions inside a loop body whose operands are all
 * defined outside that loop or by invariant instructions of it, and that
 * have no side effect; such instructions could move before the loop. */
typedef struct gr_an_invariants {
    int32_t ninst;
    uint8_t *inv;           /* [ninst] */
    int32_t count;
} gr_an_invariants;

int gr_an_invariants_build(const gr_program *p, const gr_an_deps *d,
                           gr_an_invariants *v, gr_error *err);
void gr_an_invariants_release(gr_an_invariants *v);
int gr_an_invariants_print(const gr_program *p, const gr_an_deps *d,
                           const gr_an_invariants *v, char **text, gr_error *err);

#endif
