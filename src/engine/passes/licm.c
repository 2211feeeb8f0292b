/*
 * licm.c - gr_pass_licm: loop-invariant code motion.
 *
 * gr_an_invariants (analysis/loop_invariants.c) marks the instructions of
 * a loop body whose operands are defined outside the loop or by other
 * invariant instructions of it.  This pass moves the marked instructions
 * of each loop's own body (not of nested bodies) to just before the loop,
 * in their original order, which keeps every definition before its uses:
 * an invariant instruction reads only values from before the loop or from
 * invariant instructions earlier in the same body, which move with it and
 * stay in front of it.  It moves only plain instructions: never a side
 * effect (print: its place in the trace is observable), a control op (a
 * nested loop, yield) or a region op (fused kernels, which the fusion
 * passes place), nor an instruction inside a region body; and, to stay
 * correct whatever the analysis marks, only one whose operands are all
 * defined outside the loop or by instructions it moves.
 *
 * Moving an instruction out of a loop that may run zero times is safe:
 * ops have no side effects and a defined result on every input, so
 * computing a value nobody reads changes nothing but time.
 *
 * One round moves instructions out of their innermost loop; an
 * instruction invariant in several nested loops then sits in the next
 * loop's body, so rounds repeat (with a fresh analysis) until nothing
 * moves.  Each move lowers an instruction's depth, so this ends; the
 * round bound is only a guard.
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <string.h>

#define MAX_ROUNDS 64        /* deeper than the IR parser's loop nesting limit */

typedef struct licm {
    gr_program *p;
    gr_error *err;
    uint8_t *hoist;      /* [nvalues] the instruction defining the value moves out of
                            its innermost loop this round */
    int moved;           /* instructions moved this round */
} licm;

/* Whether the instruction at pos of the dependency order may move before
 * its loop, given the analysis and the instructions already chosen. */
static int movable(const licm *c, const gr_an_deps *d, const gr_an_invariants *v, int32_t pos)
{
    const gr_inst *in = d->inst[pos];
    int32_t l = d->parent[pos], k;
    if (!v->inv[pos] || l < 0 || d->inst[l]->op != GR_OP_LOOP || in->result < 0 ||
        (gr_op_info(in->op)->flags & (GR_F_SIDE | GR_F_CTRL | GR_F_REGION))) {
        return 0;
    }
    for (k = 0; k < in->nargs; k++) {
        gr_vid a = in->args[k];
        int32_t at = a >= 0 && a < d->nvalues ? d->def[a] : -1;
        if (at >= l && at <= d->end[l] && !c->hoist[a]) {
            return 0; /* defined inside the loop by something that stays */
        }
    }
    return 1;
}

/* Move the chosen instructions of the body of b->insts[at] (a loop) to
 * just before it; *nmoved receives how many moved. */
static int hoist_from(licm *c, gr_block *b, int32_t at, int32_t *nmoved)
{
    gr_block *body = b->insts[at].body;
    gr_inst *insts;
    int32_t i, j, k = 0;

    *nmoved = 0;
    for (i = 0; i < body->n; i++) {
        const gr_inst *in = &body->insts[i];
        k += in->result >= 0 && in->op != GR_OP_LOOP && c->hoist[in->result];
    }
    if (k == 0) {
        return GR_OK;
    }
    if (b->n > INT32_MAX - k ||
        !(insts = gr_malloc(((size_t)b->n + (size_t)k) * sizeof *insts))) {
        return gr_err_nomem(c->err, "moving loop invariants");
    }
    memcpy(insts, b->insts, (size_t)at * sizeof *insts);
    for (i = j = 0; i < body->n; i++) {
        gr_inst *in = &body->insts[i];
        if (in->result >= 0 && in->op != GR_OP_LOOP && c->hoist[in->result]) {
            insts[at + *nmoved] = *in;
            ++*nmoved;
        } else {
            body->insts[j++] = *in;
        }
    }
    body->n = j;
    gr_pass_fix_parents(body);
    memcpy(insts + at + k, b->insts + at, (size_t)(b->n - at) * sizeof *insts);
    gr_free(b->insts);
    b->insts = insts;
    b->n += k;
    b->cap = b->n;
    gr_pass_fix_parents(b);
    c->moved += k;
    return GR_OK;
}

/* Move the chosen instructions out of every loop in b, outer loops first
 * (what moves into a loop's body from a nested loop stays there this
 * round: it was chosen for the nested loop only). */
static int hoist_block(licm *c, gr_block *b)
{
    int32_t i, k;
    int rc;
    for (i = 0; i < b->n; i++) {
        if (b->insts[i].op != GR_OP_LOOP) {
            continue;
        }
        TRY(hoist_from(c, b, i, &k));
        i += k;
        TRY(hoist_block(c, b->insts[i].body));
    }
    return GR_OK;
fail:
    return rc;
}

/* One round: analyse, choose, move. */
static int round_(licm *c)
{
    gr_an_deps d;
    gr_an_invariants v;
    int32_t pos;
    int rc;

    memset(&d, 0, sizeof d);
    memset(&v, 0, sizeof v);
    memset(c->hoist, 0, (size_t)c->p->nvalues);
    c->moved = 0;
    TRY(gr_an_deps_build(c->p, &d, c->err));
    TRY(gr_an_invariants_build(c->p, &d, &v, c->err));
    for (pos = 0; pos < d.ninst; pos++) {
        if (movable(c, &d, &v, pos)) {
            c->hoist[d.inst[pos]->result] = 1;
        }
    }
    gr_an_invariants_release(&v);
    gr_an_deps_release(&d);
    return hoist_block(c, &c->p->top);
fail:
    gr_an_invariants_release(&v);
    gr_an_deps_release(&d);
    return rc;
}

/* gr_pass_licm: see passes.h and the banner. */
int gr_pass_licm(gr_program *p, gr_error *err)
{
    licm c;
    int total = 0, r, rc;

    memset(&c, 0, sizeof c);
    c.p = p;
    c.err = err;
    if (!(c.hoist = gr_calloc((size_t)(p->nvalues > 0 ? p->nvalues : 1), 1))) {
        return gr_err_nomem(err, "moving loop invariants");
    }
    for (r = 0; r < MAX_ROUNDS; r++) {
        TRY(round_(&c));
        if (c.moved == 0) {
            break;
        }
        total += c.moved;
    }
    rc = total ? GR_PASS_CHANGED : GR_PASS_SAME;
fail:
    gr_free(c.hoist);
    return rc;
}
