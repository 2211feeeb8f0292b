/*
 * dce.c - gr_pass_dce: dead code elimination over the structured IR,
 * loop-carried values included.
 *
 * Liveness is marked backwards from the roots, the operands of RETURN and
 * every side effect (print), over the dependency order of gr_an_deps
 * (analysis/deps.c): a live value makes its defining instruction live, and
 * a live instruction its operands.  Loops are where care is needed:
 *  - a loop is live when one of its carried values is live or its body
 *    holds a live instruction (a print); a dead loop goes whole, body and
 *    all (ops have no side effects and every loop stops after max_iter, so
 *    nothing observable is lost: only the iteration count that gr_result
 *    sums, which is a statistic, not a result);
 *  - a live loop needs its max_iter, its tol and its test value: the
 *    carried value the exit test watches decides how many iterations run,
 *    hence every other carried value and every print in the body, so it is
 *    live with the loop whether or not anything reads it (and with an
 *    explicit test, the test operand of the yield);
 *  - carried value i is live when its result after the loop or its inner
 *    value in the body is read by something live; then its initial value
 *    and its yield operand are live too, which may make other carried
 *    values live (a yield may pass one inner value on as another's next
 *    value), so marking runs on a worklist to a fixed point.
 * Removal: dead instructions go from every block; a live loop loses the
 * carried values that are not live (never its test value, which is live by
 * the rule above): their initial value, inner value, result and yield
 * operand are deleted together and the test index is renumbered.  Region
 * ops (fused kernels) are removed whole when none of their results is
 * live, and otherwise kept whole with all their inputs, including the
 * values their bodies read from outside.
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <string.h>

typedef struct dce {
    gr_program *p;
    gr_error *err;
    gr_an_deps d;
    uint8_t *live_inst;  /* [ninst] by position */
    uint8_t *live_val;   /* [nvalues]; for a loop-carried value, inner and result
                            are marked together */
    uint8_t *carried;    /* [nvalues] by inner value: the carried value's initial
                            and next values have been marked */
    gr_vid *work;        /* values marked live, not yet followed (each once) */
    int32_t nwork;
    int changes;         /* instructions and carried values removed */
} dce;

static void mark_loop(dce *c, int32_t pos);

/* v is live: follow it later. */
static void mark_val(dce *c, gr_vid v)
{
    if (v < 0 || v >= c->p->nvalues || c->live_val[v]) {
        return;
    }
    c->live_val[v] = 1;
    c->work[c->nwork++] = v;
}

/* The enclosing loop of the instruction at pos is live. */
static void mark_enclosing(dce *c, int32_t pos)
{
    int32_t q = c->d.parent[pos];
    if (q >= 0 && c->d.inst[q]->op == GR_OP_LOOP) {
        mark_loop(c, q);
    }
}

/* Carried value i of the loop at pos is live. */
static void mark_carried(dce *c, int32_t pos, int32_t i)
{
    const gr_inst *l = c->d.inst[pos];
    const gr_inst *y = gr_pass_yield(l);
    if (i < 0 || i >= l->ncarry || c->carried[l->inner[i]]) {
        return;
    }
    c->carried[l->inner[i]] = 1;
    c->live_val[l->inner[i]] = c->live_val[l->results[i]] = 1;
    mark_loop(c, pos);
    mark_val(c, l->args[2 + i]);
    if (y && i < y->nargs) {
        mark_val(c, y->args[i]);
    }
}

/* The loop at pos is live: its bounds and its test value are. */
static void mark_loop(dce *c, int32_t pos)
{
    const gr_inst *l = c->d.inst[pos];
    const gr_inst *y = gr_pass_yield(l);
    if (c->live_inst[pos]) {
        return;
    }
    c->live_inst[pos] = 1;
    mark_val(c, l->args[0]);
    mark_val(c, l->args[1]);
    if (l->attrs.loop != GR_LOOP_REPEAT) {
        mark_carried(c, pos, l->attrs.test);
    }
    if (l->attrs.explicit_test && y && y->nargs > l->ncarry) {
        mark_val(c, y->args[l->ncarry]);
    }
    mark_enclosing(c, pos);
}

/* The (non-loop) instruction at pos is live: so are its operands. */
static void mark_inst(dce *c, int32_t pos)
{
    const gr_inst *in = c->d.inst[pos];
    int32_t k, q;
    if (c->live_inst[pos]) {
        return;
    }
    c->live_inst[pos] = 1;
    for (k = 0; k < in->nargs; k++) {
        mark_val(c, in->args[k]);
    }
    if (in->body) { /* a region op: what its body reads from outside is needed too */
        for (q = pos + 1; q <= c->d.end[pos]; q++) {
            for (k = 0; k < c->d.inst[q]->nargs; k++) {
                mark_val(c, c->d.inst[q]->args[k]);
            }
        }
    }
    mark_enclosing(c, pos);
}

/* Follow the live value v to its definition. */
static void follow(dce *c, gr_vid v)
{
    int32_t pos = c->d.def[v], i;
    const gr_inst *in;
    if (pos < 0) {
        return;
    }
    in = c->d.inst[pos];
    if (in->op != GR_OP_LOOP) {
        mark_inst(c, pos);
        return;
    }
    for (i = 0; i < in->ncarry; i++) {
        if (in->inner[i] == v || in->results[i] == v) {
            mark_carried(c, pos, i);
            return;
        }
    }
}

/* Mark from the roots to the fixed point. */
static void mark(dce *c)
{
    int32_t pos, k;
    for (pos = 0; pos < c->d.ninst; pos++) {
        const gr_inst *in = c->d.inst[pos];
        if (in->op == GR_OP_RETURN) {
            for (k = 0; k < in->nargs; k++) {
                mark_val(c, in->args[k]);
            }
        } else if (gr_op_info(in->op)->flags & GR_F_SIDE) {
            mark_inst(c, pos);
        }
    }
    while (c->nwork > 0) {
        follow(c, c->work[--c->nwork]);
    }
}

/* Delete the carried values of the live loop l that are not live. */
static void trim_carried(dce *c, gr_inst *l)
{
    gr_inst *y = gr_pass_yield(l);
    int32_t i, j, test = l->attrs.test, n = l->ncarry;
    for (i = j = 0; i < n; i++) {
        if (!c->carried[l->inner[i]]) {
            c->changes++;
            continue;
        }
        if (i == l->attrs.test) {
            test = j;
        }
        l->args[2 + j] = l->args[2 + i];
        l->inner[j] = l->inner[i];
        l->results[j] = l->results[i];
        if (y) {
            y->args[j] = y->args[i];
        }
        j++;
    }
    if (j == n) {
        return;
    }
    if (y) {
        for (i = n; i < y->nargs; i++) { /* an explicit test moves down */
            y->args[j + (i - n)] = y->args[i];
        }
        y->nargs -= n - j;
    }
    l->nargs -= n - j;
    l->ncarry = j;
    l->attrs.test = test;
    if (j == 0) {
        gr_free(l->inner);
        gr_free(l->results);
        l->inner = l->results = NULL;
    }
}

/* Remove what is dead from b; *pos is the position of b's first
 * instruction in the dependency order and moves past b. */
static int sweep(dce *c, gr_block *b, int32_t *pos)
{
    uint8_t *drop = gr_calloc((size_t)(b->n > 0 ? b->n : 1), 1);
    int32_t i;
    int rc = GR_OK;
    if (!drop) {
        return gr_err_nomem(c->err, "eliminating dead code");
    }
    for (i = 0; i < b->n; i++) {
        gr_inst *in = &b->insts[i];
        int32_t at = (*pos)++;
        if (NEVER(at >= c->d.ninst || c->d.inst[at] != in)) {
            rc = gr_err(c->err, GR_ERR_INTERNAL, "dce: the dependency order does not match "
                        "the program");
            goto fail;
        }
        if (in->op == GR_OP_YIELD || in->op == GR_OP_RETURN) {
            continue;
        }
        if (in->op == GR_OP_LOOP && c->live_inst[at]) {
            TRY(sweep(c, in->body, pos));
            trim_carried(c, in);
            continue;
        }
        if (in->body) {
            *pos = c->d.end[at] + 1; /* a dead loop, or a region op: body untouched */
        }
        if (!c->live_inst[at]) {
            drop[i] = 1;
            c->changes++;
        }
    }
    rc = gr_pass_drop(b, drop, c->err);
fail:
    gr_free(drop);
    return rc;
}

/* gr_pass_dce: see passes.h and the banner. */
int gr_pass_dce(gr_program *p, gr_error *err)
{
    dce c;
    int32_t pos = 0;
    int rc;

    memset(&c, 0, sizeof c);
    c.p = p;
    c.err = err;
    TRY(gr_an_deps_build(p, &c.d, err));
    c.live_inst = gr_calloc((size_t)(c.d.ninst > 0 ? c.d.ninst : 1), 1);
    c.live_val = gr_calloc((size_t)(p->nvalues > 0 ? p->nvalues : 1), 1);
    c.carried = gr_calloc((size_t)(p->nvalues > 0 ? p->nvalues : 1), 1);
    c.work = gr_malloc((size_t)(p->nvalues > 0 ? p->nvalues : 1) * sizeof *c.work);
    if (!c.live_inst || !c.live_val || !c.carried || !c.work) {
        rc = gr_err_nomem(err, "eliminating dead code");
        goto fail;
    }
    mark(&c);
    TRY(sweep(&c, &p->top, &pos));
    rc = c.changes ? GR_PASS_CHANGED : GR_PASS_SAME;
fail:
    gr_an_deps_release(&c.d);
    gr_free(c.live_inst);
    gr_free(c.live_val);
    gr_free(c.carried);
    gr_free(c.work);
    return rc;
}
