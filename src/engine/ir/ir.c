/*
 * ir.c - building blocks of the IR: programs, their string pool, values,
 * blocks and instructions, deep copies, walking, and the public accessors
 * of gr_program (name, parameters, op count) and its destructor.
 *
 * Everything a program points to is owned by it: the value and parameter
 * tables, the instruction arrays of every block (loop and kernel bodies
 * are separately allocated blocks, so a body never moves when its parent
 * block grows), operand, inner, result and fold arrays
 * (gr_ir_inst_release frees one instruction's), and every string,
 * interned once in the program's pool.
 * The builder, the IR parser and the passes construct programs only
 * through the functions here and in ir.h.
 */
#include "config.h"
#include "engine/ir/ir.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/mem.h"

#include <string.h>

/* --- the string pool ------------------------------------------------------ */

/* An open-addressing set of strings, each allocated once. */
struct gr_strpool {
    char **slots;        /* cap slots, NULL when empty; the strings are owned */
    size_t cap;          /* a power of two */
    size_t n;            /* strings held */
};

#define POOL_MIN_CAP 32

static size_t pool_hash(const char *s) { return (size_t)gr_hash64(s, strlen(s), 0); }

/* The slot holding s, or the empty slot where it belongs. */
static char **pool_slot(char **slots, size_t cap, const char *s)
{
    size_t i = pool_hash(s) & (cap - 1);
    while (slots[i] && strcmp(slots[i], s) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return &slots[i];
}

/* Double the table; 0 or GR_ERR_NOMEM (the pool is unchanged then). */
static int pool_grow(struct gr_strpool *sp)
{
    size_t cap = sp->cap ? sp->cap * 2 : POOL_MIN_CAP, i;
    char **slots = gr_calloc(cap, sizeof *slots);
    if (!slots) {
        return GR_ERR_NOMEM;
    }
    for (i = 0; i < sp->cap; i++) {
        if (sp->slots[i]) {
            *pool_slot(slots, cap, sp->slots[i]) = sp->slots[i];
        }
    }
    gr_free(sp->slots);
    sp->slots = slots;
    sp->cap = cap;
    return GR_OK;
}

static void pool_free(struct gr_strpool *sp)
{
    size_t i;
    if (!sp) {
        return;
    }
    for (i = 0; i < sp->cap; i++) {
        gr_free(sp->slots[i]);
    }
    gr_free(sp->slots);
    gr_free(sp);
}

/* gr_ir_intern: the pool's copy of s (added when new); NULL on OOM or when
 * s is NULL.  The copy lives as long as the program. */
const char *gr_ir_intern(gr_program *p, const char *s)
{
    struct gr_strpool *sp = p->strings;
    char **slot;
    if (!s) {
        return NULL;
    }
    if ((sp->n + 1) * 2 > sp->cap && pool_grow(sp) < 0) {
        return NULL;
    }
    slot = pool_slot(sp->slots, sp->cap, s);
    if (!*slot) {
        if (!(*slot = gr_strdup(s))) {
            return NULL;
        }
        sp->n++;
    }
    return *slot;
}

/* gr_ir_is_name: whether s is a name the printed form can carry: a letter
 * or '_', then letters, digits and '_'. */
int gr_ir_is_name(const char *s)
{
    const char *c;
    if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) {
        return 0;
    }
    for (c = s + 1; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* --- programs, values, blocks --------------------------------------------- */

/* gr_ir_program_new: an empty program named `name` (NULL: ""), without
 * parameters, values or instructions; NULL on OOM. */
gr_program *gr_ir_program_new(const char *name)
{
    gr_program *p = gr_calloc(1, sizeof *p);
    if (!p) {
        return NULL;
    }
    p->strings = gr_calloc(1, sizeof *p->strings);
    if (!p->strings || !(p->name = gr_ir_intern(p, name ? name : ""))) {
        gr_program_free(&p);
        return NULL;
    }
    return p;
}

/* gr_ir_new_value: append a value of type t (no name) to the table. */
gr_vid gr_ir_new_value(gr_program *p, gr_type t)
{
    if (p->nvalues == p->values_cap) {
        int32_t cap = p->values_cap ? p->values_cap * 2 : 16;
        gr_value *v;
        if (p->values_cap > INT32_MAX / 2) {
            return -1;
        }
        v = gr_realloc(p->values, (size_t)cap * sizeof *v);
        if (!v) {
            return -1;
        }
        p->values = v;
        p->values_cap = cap;
    }
    p->values[p->nvalues].type = t;
    p->values[p->nvalues].name = NULL;
    return p->nvalues++;
}

/* gr_ir_append: a new zeroed instruction at the end of b.  When the array
 * moves, the loop bodies of b get their parent links updated. */
gr_inst *gr_ir_append(gr_block *b)
{
    gr_inst *in;
    if (b->n == b->cap) {
        int32_t cap = b->cap ? b->cap * 2 : 8, i;
        gr_inst *insts;
        if (b->cap > INT32_MAX / 2) {
            return NULL;
        }
        insts = gr_realloc(b->insts, (size_t)cap * sizeof *insts);
        if (!insts) {
            return NULL;
        }
        b->insts = insts;
        b->cap = cap;
        for (i = 0; i < b->n; i++) {
            if (insts[i].body) {
                insts[i].body->parent = &insts[i];
            }
        }
    }
    in = &b->insts[b->n++];
    memset(in, 0, sizeof *in);
    return in;
}

static void block_release(gr_block *b);

/* gr_ir_inst_release: free what in owns (operands, inner values, results,
 * fold kinds, its body and everything in it) and zero it. */
void gr_ir_inst_release(gr_inst *in)
{
    if (!in) {
        return;
    }
    gr_free(in->args);
    gr_free(in->inner);
    gr_free(in->results);
    gr_free(in->fold);
    if (in->body) {
        block_release(in->body);
        gr_free(in->body);
    }
    memset(in, 0, sizeof *in);
}

/* Free what the instructions of b own (b itself is not freed). */
static void block_release(gr_block *b)
{
    int32_t i;
    for (i = 0; i < b->n; i++) {
        gr_ir_inst_release(&b->insts[i]);
    }
    gr_free(b->insts);
    b->insts = NULL;
    b->n = b->cap = 0;
}

/* The return instruction closing the top block, or NULL. */
static const gr_inst *find_return(const gr_program *p)
{
    if (p->top.n > 0 && p->top.insts[p->top.n - 1].op == GR_OP_RETURN) {
        return &p->top.insts[p->top.n - 1];
    }
    return NULL;
}

/* gr_program_free: free p and everything it owns; NULLs *pp. */
void gr_program_free(gr_program **pp)
{
    gr_program *p;
    if (!pp || !*pp) {
        return;
    }
    p = *pp;
    block_release(&p->top);
    gr_free(p->params);
    gr_free(p->values);
    gr_free((void *)p->result_names);
    pool_free(p->strings);
    gr_free(p);
    *pp = NULL;
}

/* --- deep copies ---------------------------------------------------------- */

/* A copy of n value ids into *out (NULL when n is 0). */
static int dup_vids(const gr_vid *a, int32_t n, gr_vid **out)
{
    *out = NULL;
    if (n <= 0 || !a) {
        return GR_OK;
    }
    if (!(*out = gr_malloc((size_t)n * sizeof **out))) {
        return GR_ERR_NOMEM;
    }
    memcpy(*out, a, (size_t)n * sizeof **out);
    return GR_OK;
}

/* q's interned copy of s (NULL stays NULL). */
static int dup_str(gr_program *q, const char *s, const char **out)
{
    *out = NULL;
    if (s && !(*out = gr_ir_intern(q, s))) {
        return GR_ERR_NOMEM;
    }
    return GR_OK;
}

/* How many inner values a region op defines (ir.h): a loop one per carried
 * value, a fused kernel one lane per operand, a fused aggregation one lane
 * per operand and the edge weight's. */
static int32_t ninner(const gr_inst *in)
{
    switch (in->op) {
    case GR_OP_LOOP: return in->ncarry;
    case GR_OP_FUSED: return in->nargs;
    case GR_OP_AGG_FUSED: return in->nargs + 1;
    default: return 0;
    }
}

/* How many values a region op defines in `results` (LOOP and FUSED: ncarry;
 * AGG_FUSED's one result is in `result`). */
static int32_t nresults(const gr_inst *in)
{
    return in->op == GR_OP_LOOP || in->op == GR_OP_FUSED ? in->ncarry : 0;
}

/* Copy block src of another program into the empty block dst of q. */
static int clone_block(gr_program *q, const gr_block *src, gr_block *dst, gr_inst *parent)
{
    int32_t i;
    int rc;
    dst->parent = parent;
    if (src->n == 0) {
        return GR_OK;
    }
    if (!(dst->insts = gr_calloc((size_t)src->n, sizeof *dst->insts))) {
        return GR_ERR_NOMEM;
    }
    dst->cap = src->n;
    for (i = 0; i < src->n; i++) {
        const gr_inst *s = &src->insts[i];
        gr_inst *d = &dst->insts[i];
        *d = *s;
        d->args = d->inner = d->results = NULL;
        d->fold = NULL;
        d->body = NULL;
        dst->n = i + 1; /* from here on block_release frees d's arrays */
        TRY(dup_vids(s->args, s->nargs, &d->args));
        TRY(dup_vids(s->inner, ninner(s), &d->inner));
        TRY(dup_vids(s->results, nresults(s), &d->results));
        if (s->fold && nresults(s) > 0) {
            if (!(d->fold = gr_malloc((size_t)nresults(s) * sizeof *d->fold))) {
                return GR_ERR_NOMEM;
            }
            memcpy(d->fold, s->fold, (size_t)nresults(s) * sizeof *d->fold);
        }
        TRY(dup_str(q, s->loc.file, &d->loc.file));
        if (s->body) {
            if (!(d->body = gr_calloc(1, sizeof *d->body))) {
                return GR_ERR_NOMEM;
            }
            TRY(clone_block(q, s->body, d->body, d));
        }
    }
    return GR_OK;
fail:
    return rc;
}

/* gr_ir_clone: a deep copy of p in *out (the caller frees it); GR_OK or
 * GR_ERR_NOMEM (*out is NULL then).  Value ids, instruction order and
 * locations are kept; only the string pool is rebuilt. */
int gr_ir_clone(const gr_program *p, gr_program **out, gr_error *err)
{
    gr_program *q;
    const gr_inst *ret;
    int32_t i;
    int rc = GR_OK;

    *out = NULL;
    if (!(q = gr_ir_program_new(p->name))) {
        return gr_err_nomem(err, "copying a program");
    }
    if (p->nparams > 0) {
        if (!(q->params = gr_malloc((size_t)p->nparams * sizeof *q->params))) {
            goto nomem;
        }
        for (i = 0; i < p->nparams; i++) {
            q->params[i] = p->params[i];
            TRY(dup_str(q, p->params[i].name, &q->params[i].name));
            q->nparams = i + 1;
        }
    }
    for (i = 0; i < p->nvalues; i++) {
        if (gr_ir_new_value(q, p->values[i].type) < 0) {
            goto nomem;
        }
        TRY(dup_str(q, p->values[i].name, &q->values[i].name));
    }
    TRY(clone_block(q, &p->top, &q->top, NULL));
    ret = find_return(p);
    if (ret && ret->nargs > 0 && p->result_names) {
        if (!(q->result_names = gr_calloc((size_t)ret->nargs, sizeof *q->result_names))) {
            goto nomem;
        }
        for (i = 0; i < ret->nargs; i++) {
            TRY(dup_str(q, p->result_names[i], &q->result_names[i]));
        }
    }
    *out = q;
    return GR_OK;
nomem:
fail: /* every failure here is an allocation */
    gr_program_free(&q);
    return gr_err_nomem(err, "copying a program");
}

/* --- fold kinds ----------------------------------------------------------- */

/* Indexed by gr_fold. */
static const char *const fold_names[] = {"map", "sum", "min", "max", "count", "any", "all"};

/* gr_fold_name: see ir.h. */
const char *gr_fold_name(int fold)
{
    if (fold < 0 || fold >= (int)(sizeof fold_names / sizeof fold_names[0])) {
        return NULL;
    }
    return fold_names[fold];
}

/* gr_fold_lookup: see ir.h. */
int gr_fold_lookup(const char *s)
{
    int k;
    for (k = 0; s && k < (int)(sizeof fold_names / sizeof fold_names[0]); k++) {
        if (strcmp(s, fold_names[k]) == 0) {
            return k;
        }
    }
    return -1;
}

/* --- walking -------------------------------------------------------------- */

/* gr_ir_walk: fn on every instruction of b, loops before their bodies. */
int gr_ir_walk(gr_block *b, gr_ir_visit_fn fn, void *ctx)
{
    int32_t i;
    int r;
    for (i = 0; i < b->n; i++) {
        if ((r = fn(&b->insts[i], b, ctx)) != 0) {
            return r;
        }
        if (b->insts[i].body && (r = gr_ir_walk(b->insts[i].body, fn, ctx)) != 0) {
            return r;
        }
    }
    return 0;
}

/* --- public accessors ----------------------------------------------------- */

/* gr_program_name: the algorithm's name, owned by p. */
const char *gr_program_name(const gr_program *p) { return p ? p->name : NULL; }

/* gr_program_nparams: the number of parameters (0 for NULL). */
int gr_program_nparams(const gr_program *p) { return p ? p->nparams : 0; }

/* gr_program_param: parameter i's name, type and defaults; each output may
 * be NULL.  GR_ERR_RANGE when i is not a parameter. */
int gr_program_param(const gr_program *p, int i, const char **name, gr_type *type,
                     double *fdefault, int64_t *idefault)
{
    if (!p || i < 0 || i >= p->nparams) {
        return GR_ERR_RANGE;
    }
    if (name) {
        *name = p->params[i].name;
    }
    if (type) {
        *type = p->params[i].type;
    }
    if (fdefault) {
        *fdefault = p->params[i].fdefault;
    }
    if (idefault) {
        *idefault = p->params[i].idefault;
    }
    return GR_OK;
}

/* Count instructions other than yield and return, and not inside a fused
 * kernel's body. */
static int count_op(gr_inst *in, gr_block *owner, void *ctx)
{
    if (in->op != GR_OP_YIELD && in->op != GR_OP_RETURN &&
        (!owner->parent || owner->parent->op == GR_OP_LOOP)) {
        ++*(int *)ctx;
    }
    return 0;
}

/* gr_program_op_count: ops of p, loop bodies included, yield and return
 * not counted; a fused kernel (fused, agg_fused) is one op, its body's
 * instructions are the kernel's work, not ops of their own. */
int gr_program_op_count(const gr_program *p)
{
    int n = 0;
    if (p) {
        gr_ir_walk((gr_block *)&p->top, count_op, &n);
    }
    return n;
}

/* The top block's RETURN, or NULL (a program under construction). */
static const gr_inst *program_return(const gr_program *p)
{
    const gr_inst *last;
    if (!p || p->top.n == 0) {
        return NULL;
    }
    last = &p->top.insts[p->top.n - 1];
    return last->op == GR_OP_RETURN ? last : NULL;
}

/* gr_program_param_index: see gr.h. */
int gr_program_param_index(const gr_program *p, const char *name)
{
    int32_t i;
    for (i = 0; p && name && i < p->nparams; i++) {
        if (strcmp(p->params[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* gr_program_nresults: see gr.h. */
int gr_program_nresults(const gr_program *p)
{
    const gr_inst *r = program_return(p);
    return r ? r->nargs : 0;
}

/* gr_program_result_type: see gr.h. */
gr_type gr_program_result_type(const gr_program *p, int i)
{
    const gr_inst *r = program_return(p);
    if (!r || i < 0 || i >= r->nargs) {
        return GR_T_NONE;
    }
    return p->values[r->args[i]].type;
}

/* gr_free_string: free a string the library allocated; NULLs *s. */
void gr_free_string(char **s)
{
    if (s) {
        gr_free(*s);
        *s = NULL;
    }
}
