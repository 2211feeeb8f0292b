/*
 * cse.c - gr_pass_cse: common subexpression elimination by scoped value
 * numbering over the structured blocks.
 *
 * Instructions are visited in program order.  Each mergeable instruction
 * gets a key: its op, result type, attributes (for a constant only the one
 * that holds its value, compared as bits, so -0.0 and 0.0 stay apart and
 * equal NaNs merge) and operands after renaming, the two operands sorted
 * when the op is commutative.  When an earlier instruction in scope has
 * the same key, the later one is removed and its uses renamed to the
 * earlier value; otherwise its key is recorded.
 *
 * Scopes follow the loop structure: a loop body opens a scope that closes
 * with it, so a value from an outer block may replace one computed inside
 * a loop (it is defined before the loop, hence visible in the body), but
 * a value computed in a body never replaces one outside it or in a later
 * sibling loop, where it is not visible.  Keys live in a hash table whose
 * chains are pushed and popped in stack order, so closing a scope is
 * undoing its insertions.
 *
 * Never merged: side effects (print), control (loop, yield, return) and
 * region ops (fused kernels; their bodies are only renamed).  Everything
 * else is a pure function of its operands and the graph, the same at every
 * point of a run, so sources (out_degree(), node_count()), parameters,
 * reductions, gathers and aggregations merge like arithmetic.
 *
 * Commutativity: the GR_F_COMM flag of gr_ops.def, where swapping the
 * operands gives the same bits.  That holds for every commutative op on
 * i64 and bool operands, and for the comparisons eq and ne on f64, but
 * not for the other f64 ones: gr_fmin(-0.0, 0.0) is 0.0 while
 * gr_fmin(0.0, -0.0) is -0.0 (the second operand wins a tie; max alike),
 * and when both operands of an f64 add or mul are NaNs of different sign
 * or payload, the hardware returns the first one (x86 SSE), so a + b and
 * b + a can differ in a NaN's sign, which printing shows.  Results must be
 * the same bit for bit in every execution mode, optimized or not, so
 * those f64 ops are keyed with their operands in order.
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/mem.h"

#include <string.h>

/* One recorded instruction (its key is read from the instruction). */
typedef struct entry {
    uint64_t hash;
    const gr_inst *in;   /* valid until its block is compacted, which happens
                            only after the block's scope has closed */
    int32_t next;        /* next entry in the bucket chain, -1 at the end */
    int32_t bucket;      /* the bucket it heads */
} entry;

typedef struct cse {
    gr_program *p;
    gr_error *err;
    gr_vid *repl;        /* [nvalues] merged values */
    int32_t *heads;      /* [nbuckets] first entry of each chain, -1 */
    uint32_t nbuckets;   /* a power of two */
    entry *e;            /* entries, in insertion order (a stack) */
    int32_t n, cap;
    int changes;
} cse;

static gr_type vtype(const cse *c, gr_vid v) { return c->p->values[v].type; }

/* Whether in's two operands may be swapped without changing a bit of its
 * value (see the banner). */
static int commutes(const cse *c, const gr_inst *in)
{
    if (!(gr_op_info(in->op)->flags & GR_F_COMM) || in->nargs != 2) {
        return 0;
    }
    if (gr_type_elem(vtype(c, in->args[0])) == GR_T_F64 ||
        gr_type_elem(vtype(c, in->args[1])) == GR_T_F64) {
        return in->op == GR_OP_EQ || in->op == GR_OP_NE;
    }
    return 1;
}

/* Operand k of in in key order. */
static gr_vid key_arg(const cse *c, const gr_inst *in, int32_t k)
{
    if (commutes(c, in)) {
        gr_vid lo = in->args[0] < in->args[1] ? in->args[0] : in->args[1];
        gr_vid hi = in->args[0] < in->args[1] ? in->args[1] : in->args[0];
        return k == 0 ? lo : hi;
    }
    return in->args[k];
}

/* The key's attribute bytes hashed and compared: for a constant only the
 * field holding its value (so a stale other field cannot keep two equal
 * constants apart); for every other op the whole record, byte for byte,
 * so attributes added to gr_attrs later take part without a change here
 * (instructions start zeroed, padding included; a padding difference
 * could only cost a merge, never cause a wrong one). */
static const void *key_attrs(const cse *c, const gr_inst *in, size_t *n)
{
    if (in->op == GR_OP_CONST) {
        if (vtype(c, in->result) == GR_T_F64) {
            *n = sizeof in->attrs.f;
            return &in->attrs.f;
        }
        *n = sizeof in->attrs.i;
        return &in->attrs.i;
    }
    *n = sizeof in->attrs;
    return &in->attrs;
}

static uint64_t key_hash(const cse *c, const gr_inst *in)
{
    size_t na;
    const void *a = key_attrs(c, in, &na);
    int32_t k, t = (int32_t)vtype(c, in->result), op = in->op;
    uint64_t h = gr_hash64(&op, sizeof op, 0);
    h = gr_hash64(&t, sizeof t, h);
    h = gr_hash64(a, na, h);
    for (k = 0; k < in->nargs; k++) {
        gr_vid v = key_arg(c, in, k);
        h = gr_hash64(&v, sizeof v, h);
    }
    return h;
}

/* Whether a and b have the same key. */
static int same_key(const cse *c, const gr_inst *a, const gr_inst *b)
{
    size_t na, nb;
    const void *x, *y;
    int32_t k;
    if (a->op != b->op || a->nargs != b->nargs || vtype(c, a->result) != vtype(c, b->result)) {
        return 0;
    }
    x = key_attrs(c, a, &na);
    y = key_attrs(c, b, &nb);
    if (na != nb || memcmp(x, y, na) != 0) {
        return 0;
    }
    for (k = 0; k < a->nargs; k++) {
        if (key_arg(c, a, k) != key_arg(c, b, k)) {
            return 0;
        }
    }
    return 1;
}

/* Whether in can be merged with an equal instruction. */
static int mergeable(const gr_inst *in)
{
    unsigned f = gr_op_info(in->op)->flags;
    return in->result >= 0 && !(f & (GR_F_SIDE | GR_F_CTRL | GR_F_REGION));
}

/* The earlier instruction in scope with in's key, or NULL. */
static const gr_inst *lookup(const cse *c, const gr_inst *in, uint64_t h)
{
    int32_t x;
    for (x = c->heads[h & (c->nbuckets - 1)]; x >= 0; x = c->e[x].next) {
        if (c->e[x].hash == h && same_key(c, c->e[x].in, in)) {
            return c->e[x].in;
        }
    }
    return NULL;
}

/* Record in's key (room for every instruction was reserved up front). */
static void record(cse *c, const gr_inst *in, uint64_t h)
{
    entry *e;
    if (NEVER(c->n >= c->cap)) {
        return;
    }
    e = &c->e[c->n];
    e->hash = h;
    e->in = in;
    e->bucket = (int32_t)(h & (c->nbuckets - 1));
    e->next = c->heads[e->bucket];
    c->heads[e->bucket] = c->n++;
}

/* Forget the entries recorded since mark (closing a scope). */
static void unwind(cse *c, int32_t mark)
{
    while (c->n > mark) {
        entry *e = &c->e[--c->n];
        c->heads[e->bucket] = e->next;
    }
}

/* Number the instructions of b; loop bodies in their own scope. */
static int cse_block(cse *c, gr_block *b)
{
    uint8_t *drop = NULL;
    int32_t i, mark = c->n;
    int rc = GR_OK;

    for (i = 0; i < b->n; i++) {
        gr_inst *in = &b->insts[i];
        const gr_inst *prev;
        uint64_t h;
        gr_pass_rename(in, c->repl);
        if (in->op == GR_OP_LOOP) {
            TRY(cse_block(c, in->body));
            continue;
        }
        if (in->body) {
            gr_pass_rename_block(in->body, c->repl); /* region op */
        }
        if (!mergeable(in)) {
            continue;
        }
        h = key_hash(c, in);
        if ((prev = lookup(c, in, h)) != NULL) {
            if (!drop && !(drop = gr_calloc((size_t)b->n, 1))) {
                rc = gr_err_nomem(c->err, "eliminating common subexpressions");
                goto fail;
            }
            c->repl[in->result] = prev->result;
            drop[i] = 1;
            c->changes++;
            continue;
        }
        record(c, in, h);
    }
    unwind(c, mark); /* before the block's instructions move */
    if (drop) {
        rc = gr_pass_drop(b, drop, c->err);
    }
    gr_free(drop);
    return rc;
fail:
    unwind(c, mark);
    gr_free(drop);
    return rc;
}

/* Count the instructions of b and its bodies (an upper bound on entries). */
static int32_t count_insts(const gr_block *b)
{
    int32_t i, n = b->n;
    for (i = 0; i < b->n; i++) {
        if (b->insts[i].body) {
            n += count_insts(b->insts[i].body);
        }
    }
    return n;
}

/* gr_pass_cse: see passes.h and the banner. */
int gr_pass_cse(gr_program *p, gr_error *err)
{
    cse c;
    int32_t n = count_insts(&p->top);
    uint32_t i;
    int rc;

    memset(&c, 0, sizeof c);
    c.p = p;
    c.err = err;
    c.nbuckets = 16;
    while (c.nbuckets < (uint32_t)n && c.nbuckets < (1u << 30)) {
        c.nbuckets *= 2;
    }
    c.repl = gr_pass_repl_new(p->nvalues, err);
    c.heads = gr_malloc((size_t)c.nbuckets * sizeof *c.heads);
    c.e = gr_malloc((size_t)(n > 0 ? n : 1) * sizeof *c.e);
    if (!c.repl || !c.heads || !c.e) {
        rc = gr_err_nomem(err, "eliminating common subexpressions");
        goto fail;
    }
    c.cap = n;
    for (i = 0; i < c.nbuckets; i++) {
        c.heads[i] = -1;
    }
    TRY(cse_block(&c, &p->top));
    rc = c.changes ? GR_PASS_CHANGED : GR_PASS_SAME;
fail:
    gr_free(c.repl);
    gr_free(c.heads);
    gr_free(c.e);
    return rc;
}
