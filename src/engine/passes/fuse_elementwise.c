/*
 * fuse_elementwise.c - gr_pass_fuse_elementwise: groups of element-wise
 * ops over the nodes become one FUSED kernel; and the kernel-building
 * helpers every fusion pass shares (gr_fuse_*, declared in passes.h).
 *
 * WHEN IT FIRES.  Candidates are element-wise instructions (GR_F_EW)
 * producing a vector, in the top block or a loop body (never inside a
 * kernel's body).  Walking each block in order, a candidate C joins the
 * group of a candidate P producing one of its operands, in the same block,
 * when
 *   - no side effect (print, or a loop holding one) lies between the
 *     group's first instruction and C: fusion would move work across it;
 *   - every reader of a group member's result that is not in the group
 *     comes after C (the kernel stands where C stood, so a value read in
 *     between could not be computed by it);
 * and a group of two or more instructions becomes one FUSED kernel in
 * place of its last instruction, the others removed.  Its operands are
 * the values the group reads from outside (one lane each; scalars are
 * broadcast), its body the group's ops in program order, and its outputs
 * are maps of every member read outside the group (or not read at all),
 * each keeping its value id: a value read twice is one output read twice,
 * never computed twice.  Chains, trees and DAGs of ops fuse alike.
 *
 * WHEN IT MUST NOT FIRE.  On a single op (nothing to fuse); across a side
 * effect; when a member's value is read between the members by something
 * outside the group; on scalar arithmetic (not per-node work: it stays
 * outside and is broadcast); on the and/where ops fuse_agg turns into a
 * masked aggregation (gr_fuse_masked_match), which stay for that pass.
 *
 * The helpers (gr_fuse_kb and friends) build a kernel off to the side and
 * install it in one step, so a pass that runs out of memory leaves a
 * program that is still freeable; and give the positions, dependencies,
 * side effects and reorderings of a block's instructions that fuse_agg,
 * fuse_reduction and fuse_loops use to move work legally.
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

/* ---- the kernel builder ------------------------------------------------------------- */

static int nomem(gr_error *err) { return gr_err_nomem(err, "fusing kernels"); }

static gr_type vtype(const gr_program *p, gr_vid v)
{
    return v >= 0 && v < p->nvalues ? p->values[v].type : GR_T_NONE;
}

/* gr_fuse_begin: see passes.h. */
int gr_fuse_begin(gr_fuse_kb *kb, gr_program *p, gr_opcode op, gr_error *err)
{
    int32_t v;
    memset(kb, 0, sizeof *kb);
    kb->p = p;
    kb->k.op = (uint16_t)op;
    kb->k.result = -1;
    kb->msg = kb->weight = kb->mask = -1;
    kb->nmap = p->nvalues;
    kb->k.body = gr_calloc(1, sizeof *kb->k.body);
    kb->map = gr_malloc((size_t)(kb->nmap > 0 ? kb->nmap : 1) * sizeof *kb->map);
    if (!kb->k.body || !kb->map) {
        return nomem(err);
    }
    for (v = 0; v < kb->nmap; v++) {
        kb->map[v] = -1;
    }
    return GR_OK;
}

/* gr_fuse_end: see passes.h. */
void gr_fuse_end(gr_fuse_kb *kb)
{
    gr_ir_inst_release(&kb->k);
    gr_free(kb->out);
    gr_free(kb->map);
    kb->out = kb->map = NULL;
    kb->nmap = kb->cap_args = kb->cap_out = 0;
}

/* A new value of type t named `name` (may be NULL). */
static int new_value(gr_fuse_kb *kb, gr_type t, const char *name, gr_vid *out, gr_error *err)
{
    gr_vid v = gr_ir_new_value(kb->p, t);
    if (v < 0) {
        return nomem(err);
    }
    kb->p->values[v].name = name;
    *out = v;
    return GR_OK;
}

/* Room for `extra` more operands and lanes. */
static int grow_args(gr_fuse_kb *kb, int32_t extra, gr_error *err)
{
    int32_t need = kb->k.nargs + extra + 1, cap;
    gr_vid *a, *i;
    if (need <= kb->cap_args) {
        return GR_OK;
    }
    cap = kb->cap_args ? kb->cap_args * 2 : 8;
    while (cap < need) {
        cap *= 2;
    }
    if (!(a = gr_realloc(kb->k.args, (size_t)cap * sizeof *a))) {
        return nomem(err);
    }
    kb->k.args = a;
    if (!(i = gr_realloc(kb->k.inner, (size_t)cap * sizeof *i))) {
        return nomem(err);
    }
    kb->k.inner = i;
    kb->cap_args = cap;
    return GR_OK;
}

/* A new lane bound to program value v; *lane its body value. */
static int add_lane(gr_fuse_kb *kb, gr_vid v, gr_vid *lane, gr_error *err)
{
    int rc;
    TRY(grow_args(kb, 1, err));
    TRY(new_value(kb, gr_type_elem(vtype(kb->p, v)), kb->p->values[v].name, lane, err));
    kb->k.args[kb->k.nargs] = v;
    kb->k.inner[kb->k.nargs] = *lane;
    kb->k.nargs++;
    return GR_OK;
fail:
    return rc;
}

/* gr_fuse_value: see passes.h. */
int gr_fuse_value(gr_fuse_kb *kb, gr_vid v, gr_vid *out, gr_error *err)
{
    int rc;
    if (v < 0 || v >= kb->p->nvalues) {
        return gr_err(err, GR_ERR_INTERNAL, "fusion: value %%%d is not a value", (int)v);
    }
    if (v < kb->nmap && kb->map[v] >= 0) {
        *out = kb->map[v];
        return GR_OK;
    }
    TRY(add_lane(kb, v, out, err));
    if (v < kb->nmap) {
        kb->map[v] = *out;
    }
    return GR_OK;
fail:
    return rc;
}

/* Whether v is a value instruction in defines (its result or results). */
static int defines(const gr_inst *in, gr_vid v)
{
    int32_t k;
    if (in->result == v) {
        return 1;
    }
    for (k = 0; in->op == GR_OP_FUSED && in->results && k < in->ncarry; k++) {
        if (in->results[k] == v) {
            return 1;
        }
    }
    return 0;
}

/* gr_fuse_lanes: see passes.h. */
int gr_fuse_lanes(gr_fuse_kb *kb, gr_inst *const *insts, int32_t n, gr_error *err)
{
    int32_t i, j, k;
    gr_vid lane;
    int rc;
    for (i = 0; i < n; i++) {
        for (k = 0; k < insts[i]->nargs; k++) {
            gr_vid v = insts[i]->args[k];
            for (j = 0; j < n && !defines(insts[j], v); j++) {
            }
            if (j == n) {
                TRY(gr_fuse_value(kb, v, &lane, err));
            }
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* Append op(bargs) typed t to the body; *out its new value (named name). */
static int append_op(gr_fuse_kb *kb, const gr_inst *like, gr_opcode op, const gr_vid *bargs,
                     int nargs, gr_type t, const char *name, gr_vid *out, gr_error *err)
{
    gr_vid *args = NULL, r = -1;
    gr_inst *in;
    int rc;
    TRY(new_value(kb, t, name, &r, err));
    if (nargs > 0) {
        if (!(args = gr_malloc((size_t)nargs * sizeof *args))) {
            return nomem(err);
        }
        memcpy(args, bargs, (size_t)nargs * sizeof *args);
    }
    if (!(in = gr_ir_append(kb->k.body))) {
        gr_free(args);
        return nomem(err);
    }
    in->op = (uint16_t)op;
    in->result = r;
    in->nargs = nargs;
    in->args = args;
    if (like) {
        in->attrs = like->attrs;
        in->loc = like->loc;
    }
    *out = r;
    return GR_OK;
fail:
    return rc;
}

/* gr_fuse_op: see passes.h. */
int gr_fuse_op(gr_fuse_kb *kb, gr_opcode op, const gr_vid *bargs, int nargs, gr_vid *out,
               gr_error *err)
{
    gr_type in[3], t;
    char why[160];
    int k;
    if (nargs < 0 || nargs > 3) {
        return gr_err(err, GR_ERR_INTERNAL, "fusion: %s with %d operands", gr_op_name(op),
                      nargs);
    }
    for (k = 0; k < nargs; k++) {
        in[k] = vtype(kb->p, bargs[k]);
    }
    t = gr_op_result_type(op, in, nargs, why, sizeof why);
    if (t == GR_T_NONE) {
        return gr_err(err, GR_ERR_INTERNAL, "fusion: %s", why);
    }
    return append_op(kb, NULL, op, bargs, nargs, t, NULL, out, err);
}

/* Copy one element-wise op or constant of the program into the body. */
static int copy_op(gr_fuse_kb *kb, const gr_inst *in, gr_error *err)
{
    gr_vid b[3], r;
    gr_type t;
    int32_t k;
    int rc;
    const gr_opinfo *info = gr_op_info(in->op);
    if ((in->op != GR_OP_CONST && !(info->flags & GR_F_EW)) || in->nargs > 3 ||
        in->result < 0 || in->result >= kb->nmap) {
        return gr_err(err, GR_ERR_INTERNAL, "fusion: cannot copy %s into a kernel",
                      gr_op_name((gr_opcode)in->op));
    }
    for (k = 0; k < in->nargs; k++) {
        TRY(gr_fuse_value(kb, in->args[k], &b[k], err));
    }
    t = gr_type_elem(vtype(kb->p, in->result));
    TRY(append_op(kb, in, (gr_opcode)in->op, b, in->nargs, t, kb->p->values[in->result].name,
                  &r, err));
    kb->map[in->result] = r;
    return GR_OK;
fail:
    return rc;
}

/* gr_fuse_copy: see passes.h. */
int gr_fuse_copy(gr_fuse_kb *kb, const gr_inst *in, int with_outputs, gr_error *err)
{
    const gr_inst *y;
    int32_t k;
    int rc;
    if (in->op != GR_OP_FUSED) {
        TRY(copy_op(kb, in, err));
        if (with_outputs) {
            TRY(gr_fuse_output(kb, kb->map[in->result], GR_FOLD_MAP, in->result, err));
        }
        return GR_OK;
    }
    if (!in->body || in->body->n < 1 || !in->results || !in->fold ||
        (in->nargs > 0 && !in->inner)) {
        return gr_err(err, GR_ERR_INTERNAL, "fusion: malformed fused kernel");
    }
    for (k = 0; k < in->nargs; k++) {
        gr_vid lane;
        if (in->inner[k] < 0 || in->inner[k] >= kb->nmap) {
            return gr_err(err, GR_ERR_INTERNAL, "fusion: malformed fused kernel");
        }
        TRY(gr_fuse_value(kb, in->args[k], &lane, err));
        kb->map[in->inner[k]] = lane;
    }
    for (k = 0; k + 1 < in->body->n; k++) {
        TRY(copy_op(kb, &in->body->insts[k], err));
    }
    y = &in->body->insts[in->body->n - 1];
    for (k = 0; k < in->ncarry && k < y->nargs; k++) {
        gr_vid bv;
        TRY(gr_fuse_value(kb, y->args[k], &bv, err));
        if (with_outputs) {
            TRY(gr_fuse_output(kb, bv, in->fold[k], in->results[k], err));
            if (in->fold[k] == GR_FOLD_MAP && in->results[k] < kb->nmap) {
                kb->map[in->results[k]] = bv;
            }
        } else if (in->fold[k] != GR_FOLD_MAP || in->results[k] >= kb->nmap) {
            return gr_err(err, GR_ERR_INTERNAL, "fusion: inlining a kernel with folds");
        } else {
            kb->map[in->results[k]] = bv;
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* gr_fuse_output: see passes.h. */
int gr_fuse_output(gr_fuse_kb *kb, gr_vid bv, int fold, gr_vid result, gr_error *err)
{
    int32_t n = kb->k.ncarry;
    if (n == kb->cap_out) {
        int32_t cap = kb->cap_out ? kb->cap_out * 2 : 4;
        gr_vid *r, *o;
        uint8_t *f;
        if (!(r = gr_realloc(kb->k.results, (size_t)cap * sizeof *r))) {
            return nomem(err);
        }
        kb->k.results = r;
        if (!(o = gr_realloc(kb->out, (size_t)cap * sizeof *o))) {
            return nomem(err);
        }
        kb->out = o;
        if (!(f = gr_realloc(kb->k.fold, (size_t)cap * sizeof *f))) {
            return nomem(err);
        }
        kb->k.fold = f;
        kb->cap_out = cap;
    }
    kb->k.results[n] = result;
    kb->k.fold[n] = (uint8_t)fold;
    kb->out[n] = bv;
    kb->k.ncarry = n + 1;
    return GR_OK;
}

/* gr_fuse_weight: see passes.h. */
int gr_fuse_weight(gr_fuse_kb *kb, gr_vid *out, gr_error *err)
{
    int rc;
    if (kb->weight < 0) {
        TRY(new_value(kb, GR_T_F64, NULL, &kb->weight, err));
    }
    *out = kb->weight;
    return GR_OK;
fail:
    return rc;
}

/* gr_fuse_install: see passes.h. */
int gr_fuse_install(gr_fuse_kb *kb, gr_inst *slot, gr_error *err)
{
    const int agg = kb->k.op == GR_OP_AGG_FUSED;
    int32_t ny = agg ? 1 : kb->k.ncarry;
    gr_vid *yargs, w;
    gr_inst *y;
    int rc;

    if ((agg && kb->msg < 0) || (!agg && ny < 1)) {
        return gr_err(err, GR_ERR_INTERNAL, "fusion: a kernel without outputs");
    }
    if (agg) {
        gr_vid ml = -1;
        TRY(gr_fuse_weight(kb, &w, err));
        TRY(grow_args(kb, 2, err));
        if (kb->mask >= 0) {
            TRY(new_value(kb, GR_T_BOOL, kb->p->values[kb->mask].name, &ml, err));
            kb->k.args[kb->k.nargs] = kb->mask;
            kb->k.inner[kb->k.nargs] = ml;
            kb->k.nargs++;
            kb->mask = -1;
        }
        kb->k.inner[kb->k.nargs] = w;
    }
    if (!(yargs = gr_malloc((size_t)ny * sizeof *yargs))) {
        return nomem(err);
    }
    memcpy(yargs, agg ? &kb->msg : kb->out, (size_t)ny * sizeof *yargs);
    if (!(y = gr_ir_append(kb->k.body))) {
        gr_free(yargs);
        return nomem(err);
    }
    y->op = GR_OP_YIELD;
    y->result = -1;
    y->nargs = ny;
    y->args = yargs;
    y->loc = kb->k.loc;
    if (agg) {
        gr_free(kb->k.results);
        gr_free(kb->k.fold);
        kb->k.results = NULL;
        kb->k.fold = NULL;
        kb->k.ncarry = 0;
    }
    if (kb->k.nargs == 0 && !agg) {
        gr_free(kb->k.args); /* a kernel of constants only */
        gr_free(kb->k.inner);
        kb->k.args = kb->k.inner = NULL;
    }
    gr_ir_inst_release(slot);
    *slot = kb->k;
    slot->body->parent = slot;
    memset(&kb->k, 0, sizeof kb->k);
    return GR_OK;
fail:
    return rc;
}

/* ---- positions, dependencies, moves ------------------------------------------------- */

/* gr_fuse_block_at: see passes.h. */
gr_block *gr_fuse_block_at(gr_program *p, const gr_an_deps *d, int32_t pos)
{
    int32_t r = d->parent[pos];
    return r < 0 ? &p->top : d->inst[r]->body;
}

/* gr_fuse_positions: see passes.h. */
int32_t *gr_fuse_positions(const gr_an_deps *d, int32_t parent, int32_t n, gr_error *err)
{
    int32_t *pos = gr_malloc((size_t)(n > 0 ? n : 1) * sizeof *pos), k, at = parent + 1;
    if (!pos) {
        nomem(err);
        return NULL;
    }
    for (k = 0; k < n; k++) {
        pos[k] = at;
        at = d->end[at] + 1;
    }
    return pos;
}

/* gr_fuse_side: see passes.h. */
int gr_fuse_side(const gr_inst *in)
{
    int32_t k;
    if (gr_op_info(in->op)->flags & GR_F_SIDE) {
        return 1;
    }
    for (k = 0; in->body && k < in->body->n; k++) {
        if (gr_fuse_side(&in->body->insts[k])) {
            return 1;
        }
    }
    return 0;
}

/* Whether some use of v lies in the range [y, end of y]. */
static int used_in(const gr_an_deps *d, gr_vid v, int32_t y)
{
    int32_t k;
    if (v < 0 || v >= d->nvalues) {
        return 0;
    }
    for (k = 0; k < d->nuses[v]; k++) {
        if (d->uses[v][k] >= y && d->uses[v][k] <= d->end[y]) {
            return 1;
        }
    }
    return 0;
}

/* gr_fuse_depends: see passes.h. */
int gr_fuse_depends(const gr_an_deps *d, int32_t y, int32_t x)
{
    const gr_inst *in = d->inst[x];
    int32_t k;
    if (used_in(d, in->result, y)) {
        return 1;
    }
    if ((in->op == GR_OP_LOOP || in->op == GR_OP_FUSED) && in->results) {
        for (k = 0; k < in->ncarry; k++) {
            if (used_in(d, in->results[k], y)) {
                return 1;
            }
        }
    }
    return 0;
}

/* gr_fuse_deps_between: see passes.h. */
void gr_fuse_deps_between(const gr_an_deps *d, const int32_t *pos, int32_t lo, int32_t hi,
                          uint8_t *dep)
{
    int32_t k, m;
    for (k = hi - 1; k > lo; k--) {
        dep[k] = (uint8_t)gr_fuse_depends(d, pos[hi], pos[k]);
        for (m = k + 1; m < hi && !dep[k]; m++) {
            dep[k] = (uint8_t)(dep[m] && gr_fuse_depends(d, pos[m], pos[k]));
        }
    }
}

/* gr_fuse_reorder: see passes.h. */
int gr_fuse_reorder(gr_block *b, const int32_t *order, gr_error *err)
{
    gr_inst *tmp;
    int32_t k;
    if (b->n == 0) {
        return GR_OK;
    }
    if (!(tmp = gr_malloc((size_t)b->n * sizeof *tmp))) {
        return nomem(err);
    }
    for (k = 0; k < b->n; k++) {
        tmp[k] = b->insts[order[k]];
    }
    memcpy(b->insts, tmp, (size_t)b->n * sizeof *tmp);
    gr_free(tmp);
    gr_pass_fix_parents(b);
    return GR_OK;
}

/* gr_fuse_order_ok: see passes.h. */
int gr_fuse_order_ok(const gr_block *b, const int32_t *order)
{
    int32_t k;
    for (k = 0; k < b->n; k++) {
        const gr_inst *in = &b->insts[order[k]];
        if (in->op == GR_OP_FUSED && in->attrs.epilogue &&
            (k == 0 || order[k - 1] != order[k] - 1)) {
            return 0;
        }
    }
    return 1;
}

/* gr_fuse_insert: see passes.h. */
int gr_fuse_insert(gr_block *b, int32_t at, gr_inst **out, gr_error *err)
{
    if (!gr_ir_append(b)) {
        return nomem(err);
    }
    memmove(&b->insts[at + 1], &b->insts[at], (size_t)(b->n - 1 - at) * sizeof *b->insts);
    memset(&b->insts[at], 0, sizeof *b->insts);
    gr_pass_fix_parents(b);
    *out = &b->insts[at];
    return GR_OK;
}

/* ---- the pass ----------------------------------------------------------------------- */

typedef struct ew {
    gr_program *p;
    gr_an_deps d;
    uint8_t *cand;       /* [ninst] a candidate */
    int32_t *uf;         /* [ninst] union-find parent */
    int32_t *first;      /* [ninst] at a root: the group's first position */
    int32_t *next;       /* [ninst] the next member of the group, -1 */
    int32_t *tail;       /* [ninst] at a root: the last member in the list */
    int32_t *size;       /* [ninst] at a root: members */
    int32_t *side;       /* [ninst + 1] side effects at positions < q */
} ew;

static int32_t find(int32_t *uf, int32_t x)
{
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}

static int candidate(const ew *w, int32_t pos)
{
    const gr_inst *in = w->d.inst[pos];
    int32_t r = w->d.parent[pos], a;
    gr_vid m;
    return (gr_op_info(in->op)->flags & GR_F_EW) && gr_type_is_vector(vtype(w->p, in->result)) &&
           (r < 0 || w->d.inst[r]->op == GR_OP_LOOP) &&
           !gr_fuse_masked_match(w->p, &w->d, pos, &a, &m);
}

/* Whether every reader of the members of groups g1 and g2 outside them
 * comes after position c. */
static int readers_after(const ew *w, int32_t g1, int32_t g2, int32_t c)
{
    int32_t gs[2], j, m, k;
    gs[0] = g1;
    gs[1] = g2;
    for (j = 0; j < 2; j++) {
        for (m = gs[j]; m >= 0; m = w->next[m]) {
            gr_vid v = w->d.inst[m]->result;
            for (k = 0; k < w->d.nuses[v]; k++) {
                int32_t u = w->d.uses[v][k], g;
                if (u > c) {
                    continue;
                }
                g = w->cand[u] ? find(w->uf, u) : -1;
                if (g != g1 && g != g2) {
                    return 0;
                }
            }
        }
    }
    return 1;
}

/* Try to merge the group of producer P into the group of C. */
static void try_union(ew *w, int32_t C, int32_t P)
{
    int32_t gc = find(w->uf, C), gp = find(w->uf, P), lo;
    if (gc == gp) {
        return;
    }
    lo = w->first[gc] < w->first[gp] ? w->first[gc] : w->first[gp];
    if (w->side[C] - w->side[lo] != 0 || !readers_after(w, gc, gp, C)) {
        return;
    }
    /* gp's list goes in front, then gc's (members end up sorted only by
     * the rewrite, which sorts them) */
    w->uf[gc] = gp;
    w->next[w->tail[gp]] = gc;
    w->tail[gp] = w->tail[gc];
    w->first[gp] = lo;
    w->size[gp] += w->size[gc];
}

static void ew_release(ew *w)
{
    gr_an_deps_release(&w->d);
    gr_free(w->cand);
    gr_free(w->uf);
    gr_free(w->first);
    gr_free(w->next);
    gr_free(w->tail);
    gr_free(w->size);
    gr_free(w->side);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

/* Rewrite the group rooted at g into one kernel. */
static int rewrite(ew *w, int32_t g, gr_error *err)
{
    gr_fuse_kb kb;
    gr_block *b = gr_fuse_block_at(w->p, &w->d, g);
    int32_t *mem = NULL, n = 0, m, k, j, last;
    gr_inst **ins = NULL;
    uint8_t *drop = NULL;
    int rc;

    memset(&kb, 0, sizeof kb);
    mem = gr_malloc((size_t)w->size[g] * sizeof *mem);
    ins = gr_malloc((size_t)w->size[g] * sizeof *ins);
    drop = gr_calloc((size_t)b->n, sizeof *drop);
    if (!mem || !ins || !drop) {
        rc = nomem(err);
        goto fail;
    }
    for (m = g; m >= 0; m = w->next[m]) {
        mem[n++] = m;
    }
    qsort(mem, (size_t)n, sizeof *mem, cmp_i32);
    TRY(gr_fuse_begin(&kb, w->p, GR_OP_FUSED, err));
    for (k = 0; k < n; k++) {
        ins[k] = w->d.inst[mem[k]];
    }
    TRY(gr_fuse_lanes(&kb, ins, n, err));
    for (k = 0; k < n; k++) {
        TRY(gr_fuse_copy(&kb, ins[k], 0, err));
    }
    for (k = 0; k < n; k++) {
        gr_vid v = w->d.inst[mem[k]]->result;
        int outside = w->d.nuses[v] == 0;
        for (j = 0; j < w->d.nuses[v] && !outside; j++) {
            int32_t u = w->d.uses[v][j];
            outside = !w->cand[u] || find(w->uf, u) != g;
        }
        if (outside) {
            TRY(gr_fuse_output(&kb, kb.map[v], GR_FOLD_MAP, v, err));
        }
    }
    last = mem[n - 1];
    kb.k.loc = w->d.inst[last]->loc;
    for (k = 0; k < n; k++) {
        drop[w->d.inst[mem[k]] - b->insts] = k < n - 1;
    }
    TRY(gr_fuse_install(&kb, w->d.inst[last], err));
    TRY(gr_pass_drop(b, drop, err));
    rc = GR_OK;
fail:
    gr_fuse_end(&kb);
    gr_free(mem);
    gr_free(ins);
    gr_free(drop);
    return rc;
}

/* Find the groups of p and rewrite the first one; *changed whether one
 * was. */
static int fuse_once(gr_program *p, int *changed, gr_error *err)
{
    ew w;
    int32_t pos, n, k, g = -1;
    int rc;

    *changed = 0;
    memset(&w, 0, sizeof w);
    w.p = p;
    TRY(gr_an_deps_build(p, &w.d, err));
    n = w.d.ninst;
    w.cand = gr_calloc((size_t)n + 1, sizeof *w.cand);
    w.uf = gr_malloc(((size_t)n + 1) * sizeof *w.uf);
    w.first = gr_malloc(((size_t)n + 1) * sizeof *w.first);
    w.next = gr_malloc(((size_t)n + 1) * sizeof *w.next);
    w.tail = gr_malloc(((size_t)n + 1) * sizeof *w.tail);
    w.size = gr_malloc(((size_t)n + 1) * sizeof *w.size);
    w.side = gr_malloc(((size_t)n + 1) * sizeof *w.side);
    if (!w.cand || !w.uf || !w.first || !w.next || !w.tail || !w.size || !w.side) {
        rc = nomem(err);
        goto fail;
    }
    w.side[0] = 0;
    for (pos = 0; pos < n; pos++) {
        w.side[pos + 1] = w.side[pos] + ((gr_op_info(w.d.inst[pos]->op)->flags & GR_F_SIDE) != 0);
        w.uf[pos] = w.first[pos] = w.tail[pos] = pos;
        w.next[pos] = -1;
        w.size[pos] = 1;
    }
    for (pos = 0; pos < n; pos++) {
        w.cand[pos] = (uint8_t)candidate(&w, pos);
    }
    for (pos = 0; pos < n; pos++) {
        const gr_inst *in = w.d.inst[pos];
        if (!w.cand[pos]) {
            continue;
        }
        for (k = 0; k < in->nargs; k++) {
            int32_t P = w.d.def[in->args[k]];
            if (P >= 0 && P < pos && w.cand[P] && w.d.parent[P] == w.d.parent[pos]) {
                try_union(&w, pos, P);
            }
        }
    }
    /* the group whose first member comes first */
    for (pos = 0; pos < n; pos++) {
        if (w.cand[pos] && find(w.uf, pos) == pos && w.size[pos] >= 2 &&
            (g < 0 || w.first[pos] < w.first[g])) {
            g = pos;
        }
    }
    if (g >= 0) {
        TRY(rewrite(&w, g, err));
        *changed = 1;
    }
    rc = GR_OK;
fail:
    ew_release(&w);
    return rc;
}

/* gr_pass_fuse_elementwise: see passes.h and the banner. */
int gr_pass_fuse_elementwise(gr_program *p, gr_error *err)
{
    int changed = 1, any = 0, rc;
    while (changed) {
        TRY(fuse_once(p, &changed, err));
        any |= changed;
    }
    return any ? GR_PASS_CHANGED : GR_PASS_SAME;
fail:
    return rc;
}

/* Apply fn at the first position where it fires; *changed whether it did. */
static int rewrite_once(gr_program *p, gr_rewrite_fn fn, int *changed, gr_error *err)
{
    gr_an_deps d;
    int32_t pos;
    int rc;
    *changed = 0;
    memset(&d, 0, sizeof d);
    TRY(gr_an_deps_build(p, &d, err));
    for (pos = 0; pos < d.ninst && !*changed; pos++) {
        TRY(fn(p, &d, pos, changed, err));
    }
    rc = GR_OK;
fail:
    gr_an_deps_release(&d);
    return rc;
}

/* See passes.h. */
int gr_pass_rewrite_steps(gr_program *p, const gr_rewrite_fn *steps, size_t n,
                          gr_error *err)
{
    size_t s;
    int changed, any = 0, rc;
    for (s = 0; s < n; s++) {
        do {
            TRY(rewrite_once(p, steps[s], &changed, err));
            any |= changed;
        } while (changed);
    }
    return any ? GR_PASS_CHANGED : GR_PASS_SAME;
fail:
    return rc;
}
