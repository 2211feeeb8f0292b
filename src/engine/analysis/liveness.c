/*
 * liveness.c - live intervals of every value over the linear order of
 * deps.c, loop bodies included (gr_an_live).  The plan lowering assigns
 * vector registers by linear scan over these intervals, so they must be
 * conservative: a register may be reused only where no execution can
 * still read the value.
 *
 * A value is live on the closed interval [start, end] of positions:
 *  - start is its defining position; a loop's results start at the loop's
 *    end (its YIELD's position), where the last iteration hands them over;
 *  - end is its last use, where a use at position u counts as follows:
 *      . a use inside the body of a loop (or fused kernel) L by a value
 *        defined outside L counts at L's end: the value is read again in
 *        the next iteration (for nested bodies, the outermost such L);
 *      . a loop reads max_iter and tol at every iteration (its head and
 *        its test), so they count at the loop's end too; its initial
 *        values are read once, at the loop;
 *      . the YIELD's operands, the explicit test value among them, are
 *        used at the YIELD, the end of the body;
 *  - a carried inner value lives over the whole body, [loop, its end]:
 *    the loop's test reads it at the end of every iteration and the next
 *    iteration finds its register holding the next value; a fused
 *    kernel's lanes likewise over their body;
 *  - a value never used ends where it starts; a value never defined has
 *    start = end = -1.
 * A use at the position where a value is defined or dies shares that
 * point: an instruction's operand may die where its result starts (the
 * lowering lets element-wise kernels write in place there).
 *
 * Printed form (a value, as the IR printer writes it, and its interval):
 *   liveness of pagerank: 29 values, at most 5 vectors live (first at 19)
 *     %6.inv : f64v       [6, 28]
 *     %13.rank : f64v     [13, 14]
 *     %14.rank : f64v     [14, 28]  carried by loop 14
 *     %28.rank : f64v     [28, 29]  result of loop 14
 */
#include "config.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <string.h>

/* Whether the instruction at pos is a loop whose results include v. */
static int is_loop_result(const gr_an_deps *d, int32_t pos, gr_vid v)
{
    const gr_inst *in = d->inst[pos];
    int32_t k;
    if (in->op != GR_OP_LOOP || !in->results) {
        return 0;
    }
    for (k = 0; k < in->ncarry; k++) {
        if (in->results[k] == v) {
            return 1;
        }
    }
    return 0;
}

/* Where a use of a value defined at def, read by the instruction at pos
 * (at `at`: pos itself, or a loop's end for max_iter and tol), must keep
 * it alive to: `at`, or the end of the outermost body around pos that
 * does not hold def. */
static int32_t use_end(const gr_an_deps *d, int32_t def, int32_t pos, int32_t at)
{
    int32_t r, e = at;
    for (r = d->parent[pos]; r >= 0; r = d->parent[r]) {
        if (def >= r && def <= d->end[r]) {
            break; /* def is inside r, and so inside every region around r */
        }
        if (d->end[r] > e) {
            e = d->end[r];
        }
    }
    return e;
}

/* gr_an_live_build: the intervals described in the banner. */
int gr_an_live_build(const gr_program *p, const gr_an_deps *d, gr_an_live *l, gr_error *err)
{
    int32_t v, pos, k, cur, best;
    int32_t *delta = NULL;

    memset(l, 0, sizeof *l);
    if (!p || !d || d->nvalues != p->nvalues) {
        return gr_err(err, GR_ERR_INVALID, "liveness needs the program's dependencies");
    }
    l->nvalues = p->nvalues;
    l->start = gr_malloc((size_t)p->nvalues * sizeof *l->start);
    l->end = gr_malloc((size_t)p->nvalues * sizeof *l->end);
    delta = gr_calloc((size_t)d->ninst + 1, sizeof *delta);
    if (!l->start || !l->end || !delta) {
        gr_free(delta);
        gr_an_live_release(l);
        return gr_err_nomem(err, "computing liveness");
    }
    for (v = 0; v < p->nvalues; v++) {
        int32_t def = d->def[v];
        if (def < 0) {
            l->start[v] = l->end[v] = -1;
        } else if (is_loop_result(d, def, v)) {
            l->start[v] = l->end[v] = d->end[def];
        } else if (gr_an_is_inner(p, d, v)) {
            l->start[v] = def;
            l->end[v] = d->end[def];
        } else {
            l->start[v] = l->end[v] = def;
        }
    }
    for (pos = 0; pos < d->ninst; pos++) {
        const gr_inst *in = d->inst[pos];
        for (k = 0; k < in->nargs; k++) {
            int32_t at = pos, e;
            v = in->args[k];
            if (v < 0 || v >= p->nvalues || d->def[v] < 0) {
                continue; /* a loop's missing tol */
            }
            if (in->op == GR_OP_LOOP && k < 2) {
                at = d->end[pos]; /* max_iter, tol: read every iteration */
            }
            e = use_end(d, d->def[v], pos, at);
            if (e > l->end[v]) {
                l->end[v] = e;
            }
        }
    }
    for (v = 0; v < p->nvalues; v++) {
        if (l->start[v] >= 0 && gr_type_is_vector(p->values[v].type)) {
            delta[l->start[v]]++;
            delta[l->end[v] + 1]--;
        }
    }
    for (pos = 0, cur = 0, best = 0; pos < d->ninst; pos++) {
        cur += delta[pos];
        if (cur > best) {
            best = cur;
        }
    }
    l->max_live_vectors = best;
    gr_free(delta);
    return GR_OK;
}

/* gr_an_live_release: free the intervals; l is zeroed. */
void gr_an_live_release(gr_an_live *l)
{
    if (!l) {
        return;
    }
    gr_free(l->start);
    gr_free(l->end);
    memset(l, 0, sizeof *l);
}

/* gr_an_live_print: one line per value, in id order, after a summary. */
int gr_an_live_print(const gr_program *p, const gr_an_live *l, char **text, gr_error *err)
{
    gr_an_text t = {NULL, 0, 0, 0};
    gr_an_deps d;
    int32_t v, pos, cur = 0, at = -1;
    int rc;

    *text = NULL;
    if ((rc = gr_an_deps_build(p, &d, err)) < 0) {
        return rc;
    }
    if (l->nvalues != p->nvalues) {
        gr_an_deps_release(&d);
        return gr_err(err, GR_ERR_INVALID, "the liveness was built for another program");
    }
    /* The first position where the most vectors are live. */
    for (pos = 0; pos < d.ninst && l->max_live_vectors > 0; pos++) {
        for (v = 0, cur = 0; v < p->nvalues; v++) {
            cur += gr_type_is_vector(p->values[v].type) && l->start[v] >= 0 &&
                   l->start[v] <= pos && pos <= l->end[v];
        }
        if (cur == l->max_live_vectors) {
            at = pos;
            break;
        }
    }
    gr_an_textf(&t, "liveness of %s: %d values, at most %d vector%s live", p->name,
                (int)p->nvalues, (int)l->max_live_vectors, l->max_live_vectors == 1 ? "" : "s");
    if (at >= 0) {
        gr_an_textf(&t, " (first at %d)", (int)at);
    }
    gr_an_textf(&t, "\n");
    for (v = 0; v < p->nvalues; v++) {
        int32_t def = d.def[v];
        size_t col;
        gr_an_textf(&t, "  ");
        col = t.n;
        gr_an_text_value(&t, p, v);
        while (!t.nomem && t.n < col + 18) {
            gr_an_textf(&t, " "); /* align the intervals */
        }
        if (l->start[v] < 0) {
            gr_an_textf(&t, "  never defined\n");
            continue;
        }
        gr_an_textf(&t, "  [%d, %d]", (int)l->start[v], (int)l->end[v]);
        if (is_loop_result(&d, def, v)) {
            gr_an_textf(&t, "  result of loop %d", (int)def);
        } else if (gr_an_is_inner(p, &d, v) && d.inst[def]->op == GR_OP_LOOP) {
            gr_an_textf(&t, "  carried by loop %d", (int)def);
        } else if (gr_an_is_inner(p, &d, v)) {
            gr_an_textf(&t, "  lane of %s %d", gr_op_name((gr_opcode)d.inst[def]->op),
                        (int)def);
        } else if (d.nuses[v] == 0) {
            gr_an_textf(&t, "  unused");
        }
        gr_an_textf(&t, "\n");
    }
    gr_an_deps_release(&d);
    return gr_an_text_done(&t, text, err, "printing liveness");
}
