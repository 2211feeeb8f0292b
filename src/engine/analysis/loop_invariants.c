/*
 * loop_invariants.c - instructions of loop bodies that compute the same
 * value in every iteration (gr_an_invariants), what licm moves before
 * their loop.
 *
 * An instruction directly in the body of a loop L (not inside a fused
 * kernel's body, which is one kernel) is invariant when it has no side
 * effect, is not control (a loop, yield or return: inner loops stay put,
 * their own bodies being judged against them), and each value it reads
 * (for a fused kernel, also the values its body reads from outside it)
 * is defined outside L or by an invariant instruction of L.  L's carried
 * inner values change per iteration, so nothing reading them, directly or
 * through other instructions, is invariant; nor is anything reading an
 * inner loop's results.  Each instruction is judged against its innermost
 * loop.
 *
 * How: every value gets the loop depth where it could first be computed
 * (0 at the top).  An instruction that may move could be placed at the
 * deepest depth among its operands; one that may not stays at its own
 * depth; a loop's inner values live at its body's depth and its results
 * at its own.  An instruction is invariant when that placement is
 * shallower than where it is, and the difference is how many loops it
 * could leave (licm, repeated, takes it out of one loop at a time).
 *
 * Printed form:
 *   loop invariants of pagerank: 4 instructions
 *   loop 14 (converged, body 15..30): 4 invariant
 *     15:   %15 : f64 = const 0
 *     22:   %22 : f64 = sub(%21, %0)
 *   (an instruction that could also leave the loop around its loop says
 *   "  (also outside loop 3)")
 */
#include "config.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <string.h>

/* Loops around pos. */
static int32_t loop_depth(const gr_an_deps *d, int32_t pos)
{
    int32_t r, n = 0;
    for (r = d->parent[pos]; r >= 0; r = d->parent[r]) {
        n += d->inst[r]->op == GR_OP_LOOP;
    }
    return n;
}

/* Whether the instruction at pos may move out of its loop at all. */
static int movable(const gr_an_deps *d, int32_t pos)
{
    int32_t r = d->parent[pos];
    unsigned f = gr_op_info(d->inst[pos]->op)->flags;
    return r >= 0 && d->inst[r]->op == GR_OP_LOOP && !(f & (GR_F_SIDE | GR_F_CTRL));
}

/* The depth where value v can first be computed. */
static int32_t value_depth(const gr_program *p, const gr_an_deps *d, const int32_t *depth,
                           const int32_t *place, gr_vid v)
{
    int32_t def;
    if (v < 0 || v >= d->nvalues || (def = d->def[v]) < 0) {
        return 0;
    }
    if (gr_an_is_inner(p, d, v)) {
        return depth[def] + 1;
    }
    return place[def];
}

/* depth[pos] and place[pos] (see the banner) for every instruction. */
static void placements(const gr_program *p, const gr_an_deps *d, int32_t *depth, int32_t *place)
{
    int32_t pos, q, k;
    for (pos = 0; pos < d->ninst; pos++) {
        const gr_inst *in = d->inst[pos];
        int32_t at = 0;
        depth[pos] = loop_depth(d, pos);
        if (!movable(d, pos)) {
            place[pos] = depth[pos];
            continue;
        }
        for (k = 0; k < in->nargs; k++) {
            int32_t vd = value_depth(p, d, depth, place, in->args[k]);
            at = vd > at ? vd : at;
        }
        for (q = pos + 1; q <= d->end[pos]; q++) { /* a fused kernel's body */
            const gr_inst *bi = d->inst[q];
            for (k = 0; k < bi->nargs; k++) {
                gr_vid v = bi->args[k];
                if (v >= 0 && v < d->nvalues && d->def[v] >= 0 &&
                    (d->def[v] < pos || d->def[v] > d->end[pos])) {
                    int32_t vd = value_depth(p, d, depth, place, v);
                    at = vd > at ? vd : at;
                }
            }
        }
        place[pos] = at < depth[pos] ? at : depth[pos];
    }
}

/* Both arrays, or NULL and GR_ERR_NOMEM. */
static int placements_new(const gr_program *p, const gr_an_deps *d, int32_t **depth,
                          int32_t **place, gr_error *err)
{
    *depth = gr_malloc((size_t)d->ninst * sizeof **depth);
    *place = gr_malloc((size_t)d->ninst * sizeof **place);
    if (!*depth || !*place) {
        gr_free(*depth);
        gr_free(*place);
        *depth = *place = NULL;
        return gr_err_nomem(err, "finding loop invariants");
    }
    placements(p, d, *depth, *place);
    return GR_OK;
}

/* gr_an_invariants_build: inv[pos] for every instruction. */
int gr_an_invariants_build(const gr_program *p, const gr_an_deps *d,
                           gr_an_invariants *v, gr_error *err)
{
    int32_t *depth, *place, pos;
    int rc;

    memset(v, 0, sizeof *v);
    if (!p || !d || d->nvalues != p->nvalues) {
        return gr_err(err, GR_ERR_INVALID, "loop invariants need the program's dependencies");
    }
    v->ninst = d->ninst;
    if (!(v->inv = gr_calloc((size_t)d->ninst, sizeof *v->inv))) {
        v->ninst = 0;
        return gr_err_nomem(err, "finding loop invariants");
    }
    if ((rc = placements_new(p, d, &depth, &place, err)) < 0) {
        gr_an_invariants_release(v);
        return rc;
    }
    for (pos = 0; pos < d->ninst; pos++) {
        v->inv[pos] = place[pos] < depth[pos];
        v->count += v->inv[pos];
    }
    gr_free(depth);
    gr_free(place);
    return GR_OK;
}

/* gr_an_invariants_release: free the flags; v is zeroed. */
void gr_an_invariants_release(gr_an_invariants *v)
{
    if (!v) {
        return;
    }
    gr_free(v->inv);
    memset(v, 0, sizeof *v);
}

/* gr_an_invariants_print: per loop, its invariant instructions. */
int gr_an_invariants_print(const gr_program *p, const gr_an_deps *d,
                           const gr_an_invariants *v, char **text, gr_error *err)
{
    gr_an_text t = {NULL, 0, 0, 0};
    int32_t *depth, *place, L, pos, r;
    int rc;

    *text = NULL;
    if (v->ninst != d->ninst) {
        return gr_err(err, GR_ERR_INVALID, "the invariants were built for another program");
    }
    if ((rc = placements_new(p, d, &depth, &place, err)) < 0) {
        return rc;
    }
    gr_an_textf(&t, "loop invariants of %s: %d instruction%s\n", p->name, (int)v->count,
                v->count == 1 ? "" : "s");
    for (L = 0; L < d->ninst; L++) {
        int32_t n = 0;
        if (d->inst[L]->op != GR_OP_LOOP) {
            continue;
        }
        for (pos = L + 1; pos <= d->end[L]; pos++) {
            n += d->parent[pos] == L && v->inv[pos];
        }
        gr_an_textf(&t, "loop %d (%s, body %d..%d): ", (int)L,
                    gr_loop_name((gr_loop_kind)d->inst[L]->attrs.loop), (int)L + 1,
                    (int)d->end[L]);
        if (n == 0) {
            gr_an_textf(&t, "none\n");
            continue;
        }
        gr_an_textf(&t, "%d invariant\n", (int)n);
        for (pos = L + 1; pos <= d->end[L]; pos++) {
            int32_t more;
            if (d->parent[pos] != L || !v->inv[pos]) {
                continue;
            }
            gr_an_text_inst(&t, p, d, pos);
            /* the loops beyond L it could leave as well */
            for (more = depth[pos] - place[pos] - 1, r = d->parent[L]; more > 0 && r >= 0;
                 r = d->parent[r]) {
                if (d->inst[r]->op == GR_OP_LOOP) {
                    gr_an_textf(&t, "  (also outside loop %d)", (int)r);
                    more--;
                }
            }
            gr_an_textf(&t, "\n");
        }
    }
    gr_free(depth);
    gr_free(place);
    return gr_an_text_done(&t, text, err, "printing loop invariants");
}
