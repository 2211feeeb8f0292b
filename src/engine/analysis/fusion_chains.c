/*
 * fusion_chains.c - groups of element-wise instructions that could run as
 * one fused kernel (gr_an_chains), the candidates fuse_elementwise
 * rewrites.
 *
 * A candidate is an element-wise instruction (GR_F_EW) producing a vector,
 * outside any fused kernel's body: scalar arithmetic is not per-node work
 * (a kernel takes scalars as broadcast inputs), and fused kernels are not
 * chained again.  A candidate P is linked to the candidate C reading its
 * result when
 *   - C is the only instruction reading it (if several read it, or any
 *     other instruction does, the value must be materialized: the link,
 *     and with it the chain, stops there; C reading it twice is one
 *     reader),
 *   - P and C are in the same block, and
 *   - no side effect (print, or a loop whose body prints) lies between
 *     them: fusing P into C would move its work past it.
 * Every candidate has at most one link out, so the links form trees, each
 * rooted at the one member whose result leaves the chain.  A chain is a
 * tree of two or more candidates; chain ids number them in the order of
 * their first instruction, and a candidate left alone gets -1.
 *
 * Printed form:
 *   fusion chains of pagerank: 2 chains, 4 instructions
 *   chain 0: 2 instructions, inputs %4, output %6
 *      5: %5 : f64v = to_f64(%4)
 *      6: %6.inv : f64v = recip(%5)
 *   ...
 *   not chained:
 *     %16 at 16 -> 18: 2 readers (17, 18)
 */
#include "config.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <string.h>

/* Whether the instruction at pos can be a chain member. */
static int candidate(const gr_program *p, const gr_an_deps *d, int32_t pos)
{
    const gr_inst *in = d->inst[pos];
    int32_t r = d->parent[pos];
    return (gr_op_info(in->op)->flags & GR_F_EW) && in->result >= 0 &&
           in->result < p->nvalues && gr_type_is_vector(p->values[in->result].type) &&
           (r < 0 || d->inst[r]->op == GR_OP_LOOP);
}

/* The only instruction reading v, or -1 (none, or several). */
static int32_t only_reader(const gr_an_deps *d, gr_vid v)
{
    int32_t k, u;
    if (d->nuses[v] == 0) {
        return -1;
    }
    u = d->uses[v][0];
    for (k = 1; k < d->nuses[v]; k++) {
        if (d->uses[v][k] != u) {
            return -1;
        }
    }
    return u;
}

/* side[q] = side-effect instructions at positions < q (side has ninst+1
 * entries). */
static void count_sides(const gr_an_deps *d, int32_t *side)
{
    int32_t pos;
    side[0] = 0;
    for (pos = 0; pos < d->ninst; pos++) {
        side[pos + 1] = side[pos] + ((gr_op_info(d->inst[pos]->op)->flags & GR_F_SIDE) ? 1 : 0);
    }
}

/* The link out of candidate P: the candidate C it can fuse into, or -1. */
static int32_t link_of(const gr_program *p, const gr_an_deps *d, const int32_t *side, int32_t P)
{
    int32_t C = only_reader(d, d->inst[P]->result);
    if (C < 0 || !candidate(p, d, C) || d->parent[C] != d->parent[P] ||
        side[C] - side[P + 1] != 0) {
        return -1;
    }
    return C;
}

/* gr_an_chains_build: link the candidates and number the trees. */
int gr_an_chains_build(const gr_program *p, const gr_an_deps *d, gr_an_chains *c,
                       gr_error *err)
{
    int32_t *side = NULL, *root = NULL, *size = NULL, *id = NULL, pos;

    memset(c, 0, sizeof *c);
    if (!p || !d || d->nvalues != p->nvalues) {
        return gr_err(err, GR_ERR_INVALID, "fusion chains need the program's dependencies");
    }
    c->ninst = d->ninst;
    c->chain = gr_malloc((size_t)d->ninst * sizeof *c->chain);
    side = gr_malloc(((size_t)d->ninst + 1) * sizeof *side);
    root = gr_malloc((size_t)d->ninst * sizeof *root);
    size = gr_calloc((size_t)d->ninst, sizeof *size);
    id = gr_malloc((size_t)d->ninst * sizeof *id);
    if (!c->chain || !side || !root || !size || !id) {
        gr_free(side);
        gr_free(root);
        gr_free(size);
        gr_free(id);
        gr_an_chains_release(c);
        return gr_err_nomem(err, "finding fusion chains");
    }
    count_sides(d, side);
    /* A link always points forward, so roots resolve from the end. */
    for (pos = d->ninst - 1; pos >= 0; pos--) {
        int32_t next = candidate(p, d, pos) ? link_of(p, d, side, pos) : -1;
        root[pos] = next >= 0 ? root[next] : pos;
        id[pos] = -1;
        if (candidate(p, d, pos)) {
            size[root[pos]]++;
        }
    }
    for (pos = 0; pos < d->ninst; pos++) {
        int32_t r = root[pos];
        c->chain[pos] = -1;
        if (!candidate(p, d, pos) || size[r] < 2) {
            continue;
        }
        if (id[r] < 0) {
            id[r] = c->nchains++;
        }
        c->chain[pos] = id[r];
    }
    gr_free(side);
    gr_free(root);
    gr_free(size);
    gr_free(id);
    return GR_OK;
}

/* gr_an_chains_release: free the chain ids; c is zeroed. */
void gr_an_chains_release(gr_an_chains *c)
{
    if (!c) {
        return;
    }
    gr_free(c->chain);
    memset(c, 0, sizeof *c);
}

/* "inputs %a %b": the values chain k reads from outside it. */
static void put_inputs(gr_an_text *t, const gr_an_deps *d, const gr_an_chains *c, int32_t k)
{
    int32_t pos, q, j, a, n = 0;
    for (pos = 0; pos < d->ninst; pos++) {
        const gr_inst *in = d->inst[pos];
        if (c->chain[pos] != k) {
            continue;
        }
        for (a = 0; a < in->nargs; a++) {
            gr_vid v = in->args[a];
            int seen = 0;
            if (v >= 0 && v < d->nvalues && d->def[v] >= 0 && c->chain[d->def[v]] == k &&
                d->inst[d->def[v]]->result == v) {
                continue; /* made inside the chain */
            }
            for (q = 0; q < pos && !seen; q++) {
                if (c->chain[q] != k) {
                    continue;
                }
                for (j = 0; j < d->inst[q]->nargs; j++) {
                    seen |= d->inst[q]->args[j] == v;
                }
            }
            for (j = 0; j < a; j++) {
                seen |= in->args[j] == v;
            }
            if (!seen) {
                gr_an_textf(t, n++ ? " %%%d" : "%%%d", (int)v);
            }
        }
    }
    if (n == 0) {
        gr_an_textf(t, "none");
    }
}

/* Why candidate P is not linked to a candidate reading its result (a
 * line), or nothing when it is linked or no candidate reads it. */
static void put_reason(gr_an_text *t, const gr_program *p, const gr_an_deps *d,
                       const int32_t *side, int32_t P)
{
    gr_vid r = d->inst[P]->result;
    int32_t k, C = -1, readers = 0, last = -1, q;
    if (link_of(p, d, side, P) >= 0) {
        return;
    }
    for (k = 0; k < d->nuses[r]; k++) {
        int32_t u = d->uses[r][k];
        if (u != last) {
            readers++;
            last = u;
            if (C < 0 && candidate(p, d, u)) {
                C = u;
            }
        }
    }
    if (C < 0) {
        return;
    }
    gr_an_textf(t, "  %%%d at %d -> %d: ", (int)r, (int)P, (int)C);
    if (readers > 1) {
        gr_an_textf(t, "%d readers (", (int)readers);
        for (k = 0, last = -1; k < d->nuses[r]; k++) {
            if (d->uses[r][k] != last) {
                gr_an_textf(t, last < 0 ? "%d" : ", %d", (int)d->uses[r][k]);
                last = d->uses[r][k];
            }
        }
        gr_an_textf(t, ")\n");
    } else if (d->parent[C] != d->parent[P]) {
        gr_an_textf(t, "read in another block\n");
    } else {
        for (q = P + 1; q < C && !(gr_op_info(d->inst[q]->op)->flags & GR_F_SIDE); q++) {
        }
        gr_an_textf(t, "side effect at %d in between\n", (int)q);
    }
}

/* gr_an_chains_print: each chain with its instructions, then the links
 * that were refused and why. */
int gr_an_chains_print(const gr_program *p, const gr_an_deps *d, const gr_an_chains *c,
                       char **text, gr_error *err)
{
    gr_an_text t = {NULL, 0, 0, 0}, why = {NULL, 0, 0, 0};
    int32_t k, pos, members = 0, *side;

    *text = NULL;
    if (!(side = gr_malloc(((size_t)d->ninst + 1) * sizeof *side))) {
        return gr_err_nomem(err, "printing fusion chains");
    }
    count_sides(d, side);
    for (pos = 0; pos < c->ninst; pos++) {
        members += c->chain[pos] >= 0;
    }
    gr_an_textf(&t, "fusion chains of %s: %d chain%s, %d instructions\n", p->name,
                (int)c->nchains, c->nchains == 1 ? "" : "s", (int)members);
    for (k = 0; k < c->nchains; k++) {
        int32_t n = 0, out = -1;
        for (pos = 0; pos < c->ninst; pos++) {
            if (c->chain[pos] == k) {
                n++;
                if (link_of(p, d, side, pos) < 0) {
                    out = d->inst[pos]->result;
                }
            }
        }
        gr_an_textf(&t, "chain %d: %d instructions, inputs ", (int)k, (int)n);
        put_inputs(&t, d, c, k);
        gr_an_textf(&t, ", output %%%d\n", (int)out);
        for (pos = 0; pos < c->ninst; pos++) {
            if (c->chain[pos] == k) {
                gr_an_text_inst(&t, p, d, pos);
                gr_an_textf(&t, "\n");
            }
        }
    }
    for (pos = 0; pos < d->ninst; pos++) {
        if (candidate(p, d, pos)) {
            put_reason(&why, p, d, side, pos);
        }
    }
    if (why.n > 0 || why.nomem) {
        gr_an_textf(&t, "not chained:\n%s", why.s ? why.s : "");
        t.nomem |= why.nomem;
    }
    gr_free(why.s);
    gr_free(side);
    return gr_an_text_done(&t, text, err, "printing fusion chains");
}
