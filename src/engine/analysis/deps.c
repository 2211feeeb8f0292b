/*
 * deps.c - the linear order of a program's instructions and its
 * dependency DAG (gr_an_deps), the base every other analysis builds on,
 * and the text helpers the analysis printers share.
 *
 * Order: program order, an instruction with a body (a loop, a fused
 * kernel) before the instructions of its body, the body's YIELD last; the
 * position of an instruction is its index in that order.  A value's
 * definition is the instruction whose result it is; a loop defines its
 * carried inner values and its results, a fused kernel its lanes and its
 * outputs.  Uses are operand uses: an instruction reading a value twice
 * uses it twice (its position appears twice in the value's list), and a
 * use inside a body belongs to the nested instruction, not to the loop
 * around it.  SSA makes the graph acyclic; the loop-carried dependences
 * (an inner value is produced by its initial value and then by the
 * body's YIELD) are not edges of the DAG but the printer shows them:
 *
 *   deps of pagerank: 30 instructions, 29 values
 *      6: %6.inv : f64v = recip(%5)  <- %5@5; -> 18
 *     14: %28.rank : f64v = loop converged(...) carry(...)  <- %2@2, %1@1, %13@13; -> 29
 *           carried %14: init %13@13, next %27@27 (yield 28); -> 16, 18
 *     16:   %16 : f64v = where(%9, %14, %15)  <- %9@9, %14@14 (carried: init 13, yield 28), %15@15; -> 17
 *     28:   yield %27  <- %27@27; => %14 (loop 14)
 *
 * "%v@p" is value v produced at position p; "-> users" lists the
 * positions reading what the instruction defines (for a loop: its
 * results; its inner values have their own line).
 *
 * The analyses work on any program the walker can number; a value
 * defined twice or an operand that is not a value is GR_ERR_INVALID (the
 * verifier's job, but a broken program must not crash an analysis).
 */
#include "config.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* --- text for the printers ----------------------------------------------- */

static void text_put(gr_an_text *t, const char *s, size_t n)
{
    if (t->nomem) {
        return;
    }
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        char *s2;
        while (t->n + n + 1 > cap) {
            cap *= 2;
        }
        if (!(s2 = gr_realloc(t->s, cap))) {
            t->nomem = 1;
            return;
        }
        t->s = s2;
        t->cap = cap;
    }
    memcpy(t->s + t->n, s, n);
    t->n += n;
    t->s[t->n] = '\0';
}

/* gr_an_textf: append printf-formatted text. */
void gr_an_textf(gr_an_text *t, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof tmp) {
        text_put(t, tmp, (size_t)n);
    } else {
        char *big = gr_malloc((size_t)n + 1);
        if (!big) {
            t->nomem = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        text_put(t, big, (size_t)n);
        gr_free(big);
    }
}

/* gr_an_text_inst: "pos: " indented by nesting, then the instruction. */
void gr_an_text_inst(gr_an_text *t, const gr_program *p, const gr_an_deps *d, int32_t pos)
{
    char *line = NULL;
    int32_t r;
    gr_an_textf(t, "%4d: ", (int)pos);
    for (r = d->parent[pos]; r >= 0; r = d->parent[r]) {
        text_put(t, "  ", 2);
    }
    if (gr_ir_inst_text(p, d->inst[pos], &line, NULL) < 0) {
        t->nomem = 1;
        return;
    }
    text_put(t, line, strlen(line));
    gr_free_string(&line);
}

/* gr_an_text_value: "%N.hint : type". */
void gr_an_text_value(gr_an_text *t, const gr_program *p, gr_vid v)
{
    char *s = NULL;
    if (gr_ir_value_text(p, v, &s, NULL) < 0) {
        t->nomem = 1;
        return;
    }
    text_put(t, s, strlen(s));
    gr_free_string(&s);
}

/* gr_an_text_done: the finished text, or GR_ERR_NOMEM. */
int gr_an_text_done(gr_an_text *t, char **text, gr_error *err, const char *what)
{
    *text = NULL;
    if (!t->nomem && !t->s) {
        text_put(t, "", 0);
    }
    if (t->nomem) {
        gr_free(t->s);
        memset(t, 0, sizeof *t);
        return gr_err_nomem(err, what);
    }
    *text = t->s;
    memset(t, 0, sizeof *t);
    return GR_OK;
}

/* --- numbering ----------------------------------------------------------- */

/* How many inner values a region op defines (ir.h): a loop one per carried
 * value, a fused kernel one lane per operand, an aggregation kernel one
 * lane per operand and the edge weight's. */
static int32_t ninner(const gr_inst *in)
{
    if (!in->body || !in->inner) {
        return 0;
    }
    switch (in->op) {
    case GR_OP_LOOP:
        return in->ncarry;
    case GR_OP_FUSED:
        return in->nargs;
    case GR_OP_AGG_FUSED:
        return in->nargs + 1;
    default:
        return 0;
    }
}

/* How many results a region op defines in in->results (AGG_FUSED's is in
 * in->result). */
static int32_t nresults(const gr_inst *in)
{
    return (in->op == GR_OP_LOOP || in->op == GR_OP_FUSED) && in->results ? in->ncarry : 0;
}

static int count_inst(gr_inst *in, gr_block *owner, void *ctx)
{
    (void)in;
    (void)owner;
    ++*(int32_t *)ctx;
    return 0;
}

/* Number the instructions of b from *k on; parent is the position of the
 * instruction owning b (-1 for the top block). */
static void number(gr_an_deps *d, gr_block *b, int32_t parent, int32_t *k)
{
    int32_t i;
    for (i = 0; i < b->n; i++) {
        int32_t pos = (*k)++;
        d->inst[pos] = &b->insts[i];
        d->parent[pos] = parent;
        if (b->insts[i].body) {
            number(d, b->insts[i].body, pos, k);
        }
        d->end[pos] = *k - 1;
    }
}

/* Record that the instruction at pos defines v. */
static int define(gr_an_deps *d, int32_t pos, gr_vid v, gr_error *err)
{
    if (v < 0 || v >= d->nvalues) {
        return gr_err(err, GR_ERR_INVALID, "instruction %d defines %%%d, which is not a value",
                      (int)pos, (int)v);
    }
    if (d->def[v] >= 0) {
        return gr_err(err, GR_ERR_INVALID, "%%%d is defined twice (at %d and %d)", (int)v,
                      (int)d->def[v], (int)pos);
    }
    d->def[v] = pos;
    return GR_OK;
}

/* Whether operand k of in is a real operand (a loop's missing tol is -1). */
static int is_operand(const gr_inst *in, int32_t k)
{
    return !(in->op == GR_OP_LOOP && k == 1 && in->args[k] == -1);
}

/* gr_an_deps_build: number p's instructions and record every value's
 * definition and uses.  GR_OK, GR_ERR_NOMEM or GR_ERR_INVALID; d is
 * zeroed on failure (release is still allowed). */
int gr_an_deps_build(const gr_program *p, gr_an_deps *d, gr_error *err)
{
    int32_t n = 0, pos, k, v, total = 0;
    int32_t *flat = NULL, *fill = NULL;
    int rc = GR_OK;

    memset(d, 0, sizeof *d);
    if (!p) {
        return gr_err(err, GR_ERR_INVALID, "no program");
    }
    gr_ir_walk((gr_block *)&p->top, count_inst, &n);
    d->ninst = n;
    d->nvalues = p->nvalues;
    d->inst = gr_calloc((size_t)n, sizeof *d->inst);
    d->parent = gr_calloc((size_t)n, sizeof *d->parent);
    d->end = gr_calloc((size_t)n, sizeof *d->end);
    d->def = gr_malloc((size_t)p->nvalues * sizeof *d->def);
    d->nuses = gr_calloc((size_t)p->nvalues, sizeof *d->nuses);
    d->uses = gr_calloc((size_t)p->nvalues, sizeof *d->uses);
    fill = gr_calloc((size_t)p->nvalues, sizeof *fill);
    if (!d->inst || !d->parent || !d->end || !d->def || !d->nuses || !d->uses || !fill) {
        goto nomem;
    }
    k = 0;
    number(d, (gr_block *)&p->top, -1, &k);
    for (v = 0; v < p->nvalues; v++) {
        d->def[v] = -1;
    }
    for (pos = 0; pos < n; pos++) {
        const gr_inst *in = d->inst[pos];
        if (in->result >= 0) {
            TRY(define(d, pos, in->result, err));
        }
        for (k = 0; k < ninner(in); k++) {
            TRY(define(d, pos, in->inner[k], err));
        }
        for (k = 0; k < nresults(in); k++) {
            TRY(define(d, pos, in->results[k], err));
        }
        if (in->nargs > 0 && !in->args) {
            rc = gr_err(err, GR_ERR_INVALID, "instruction %d has no operand list", (int)pos);
            goto fail;
        }
        for (k = 0; k < in->nargs; k++) {
            if (!is_operand(in, k)) {
                continue;
            }
            if (in->args[k] < 0 || in->args[k] >= p->nvalues) {
                rc = gr_err(err, GR_ERR_INVALID, "operand %d of instruction %d (%%%d) is not "
                            "a value", (int)k + 1, (int)pos, (int)in->args[k]);
                goto fail;
            }
            d->nuses[in->args[k]]++;
            total++;
        }
    }
    /* One array holds every use list; uses[0] is its start. */
    if (!(flat = gr_malloc((size_t)total * sizeof *flat))) {
        goto nomem;
    }
    for (v = 0, k = 0; v < p->nvalues; v++) {
        d->uses[v] = flat + k;
        k += d->nuses[v];
    }
    if (p->nvalues == 0) {
        gr_free(flat);
    }
    flat = NULL;
    for (pos = 0; pos < n; pos++) {
        const gr_inst *in = d->inst[pos];
        for (k = 0; k < in->nargs; k++) {
            if (is_operand(in, k)) {
                v = in->args[k];
                d->uses[v][fill[v]++] = pos;
            }
        }
    }
    gr_free(fill);
    return GR_OK;
nomem:
    rc = gr_err_nomem(err, "building the dependency graph");
fail:
    gr_free(fill);
    gr_free(flat);
    gr_an_deps_release(d);
    return rc;
}

/* gr_an_deps_release: free what build allocated; d is zeroed. */
void gr_an_deps_release(gr_an_deps *d)
{
    if (!d) {
        return;
    }
    if (d->uses && d->nvalues > 0) {
        gr_free(d->uses[0]);
    }
    gr_free(d->inst);
    gr_free(d->parent);
    gr_free(d->end);
    gr_free(d->def);
    gr_free(d->nuses);
    gr_free(d->uses);
    memset(d, 0, sizeof *d);
}

/* gr_an_is_inner: v is defined by a region op and is not its result. */
int gr_an_is_inner(const gr_program *p, const gr_an_deps *d, gr_vid v)
{
    const gr_inst *in;
    int32_t k;
    (void)p;
    if (v < 0 || v >= d->nvalues || d->def[v] < 0) {
        return 0;
    }
    in = d->inst[d->def[v]];
    if (!in->body || in->result == v) {
        return 0;
    }
    for (k = 0; k < nresults(in); k++) {
        if (in->results[k] == v) {
            return 0;
        }
    }
    return 1;
}

/* --- the printer --------------------------------------------------------- */

/* Index of v among the inner values of the region op at pos, or -1. */
static int32_t inner_index(const gr_an_deps *d, int32_t pos, gr_vid v)
{
    const gr_inst *in = d->inst[pos];
    int32_t k;
    for (k = 0; k < ninner(in); k++) {
        if (in->inner[k] == v) {
            return k;
        }
    }
    return -1;
}

/* "%v@p" for value v, with the carried producers of a loop's inner value. */
static void put_producer(gr_an_text *t, const gr_an_deps *d, gr_vid v)
{
    int32_t def = d->def[v], k;
    if (def < 0) {
        gr_an_textf(t, "%%%d@?", (int)v);
        return;
    }
    gr_an_textf(t, "%%%d@%d", (int)v, (int)def);
    if (d->inst[def]->op == GR_OP_LOOP && (k = inner_index(d, def, v)) >= 0) {
        gr_vid init = d->inst[def]->args[2 + k];
        gr_an_textf(t, " (carried: init %d, yield %d)",
                    init >= 0 && init < d->nvalues ? (int)d->def[init] : -1, (int)d->end[def]);
    }
}

/* Start the next part of a line: two spaces (the first part) or "; ",
 * then the arrow. */
static void put_part(gr_an_text *t, int *any, const char *arrow)
{
    gr_an_textf(t, "%s%s ", *any ? "; " : "  ", arrow);
    *any = 1;
}

/* "-> a, b": the distinct positions using the values vals[0..nv). */
static void put_users(gr_an_text *t, const gr_an_deps *d, const gr_vid *vals, int32_t nv,
                      int *any)
{
    int32_t last = -1, first = 1;
    for (;;) {
        /* the smallest user position above `last`: lists are sorted */
        int32_t best = -1, i, k;
        for (i = 0; i < nv; i++) {
            gr_vid v = vals[i];
            if (v < 0 || v >= d->nvalues) {
                continue;
            }
            for (k = 0; k < d->nuses[v]; k++) {
                if (d->uses[v][k] > last) {
                    if (best < 0 || d->uses[v][k] < best) {
                        best = d->uses[v][k];
                    }
                    break;
                }
            }
        }
        if (best < 0) {
            return;
        }
        if (first) {
            put_part(t, any, "->");
        }
        gr_an_textf(t, first ? "%d" : ", %d", (int)best);
        first = 0;
        last = best;
    }
}

/* The values the instruction at pos defines for the code after it. */
static void defined_values(const gr_an_deps *d, int32_t pos, const gr_vid **vals, int32_t *nv)
{
    const gr_inst *in = d->inst[pos];
    if (nresults(in) > 0) {
        *vals = in->results;
        *nv = nresults(in);
    } else if (in->result >= 0) {
        *vals = &in->result;
        *nv = 1;
    } else {
        *vals = NULL;
        *nv = 0;
    }
}

/* The "=> ..." of a yield: what its operands become. */
static void put_yield_targets(gr_an_text *t, const gr_an_deps *d, int32_t pos, int *any)
{
    const gr_inst *in = d->inst[pos];
    int32_t r = d->parent[pos], k;
    const gr_inst *owner;
    if (r < 0) {
        return;
    }
    owner = d->inst[r];
    put_part(t, any, "=>");
    for (k = 0; k < in->nargs; k++) {
        if (k) {
            gr_an_textf(t, ", ");
        }
        if (owner->op == GR_OP_LOOP && k < owner->ncarry && owner->inner) {
            gr_an_textf(t, "%%%d", (int)owner->inner[k]);
        } else if (owner->op == GR_OP_LOOP) {
            gr_an_textf(t, "test");
        } else if (owner->op == GR_OP_FUSED && k < nresults(owner)) {
            gr_an_textf(t, "%%%d", (int)owner->results[k]);
        } else {
            gr_an_textf(t, "message");
        }
    }
    if (in->nargs == 0) {
        gr_an_textf(t, "nothing");
    }
    gr_an_textf(t, " (%s %d)", gr_op_name((gr_opcode)owner->op), (int)r);
}

/* The lines under a region op naming its inner values. */
static void put_inner_lines(gr_an_text *t, const gr_an_deps *d, int32_t pos)
{
    const gr_inst *in = d->inst[pos];
    int32_t k, r;
    for (k = 0; k < ninner(in); k++) {
        gr_vid v = in->inner[k];
        int any = 0;
        gr_an_textf(t, "        "); /* under the instruction, one level in */
        for (r = d->parent[pos]; r >= 0; r = d->parent[r]) {
            gr_an_textf(t, "  ");
        }
        if (in->op == GR_OP_LOOP) {
            const gr_inst *yield = d->inst[d->end[pos]];
            gr_an_textf(t, "carried %%%d: init ", (int)v);
            put_producer(t, d, in->args[2 + k]);
            if (yield->op == GR_OP_YIELD && k < yield->nargs) {
                gr_an_textf(t, ", next ");
                put_producer(t, d, yield->args[k]);
                gr_an_textf(t, " (yield %d)", (int)d->end[pos]);
            }
        } else if (k < in->nargs) {
            gr_an_textf(t, "lane %%%d = ", (int)v);
            put_producer(t, d, in->args[k]);
        } else {
            gr_an_textf(t, "lane %%%d = edge weight", (int)v);
        }
        any = 1;
        put_users(t, d, &in->inner[k], 1, &any);
        gr_an_textf(t, "\n");
    }
}

/* gr_an_deps_print: one line per instruction (see the banner). */
int gr_an_deps_print(const gr_program *p, const gr_an_deps *d, char **text, gr_error *err)
{
    gr_an_text t = {NULL, 0, 0, 0};
    int32_t pos, k, nv;
    const gr_vid *vals;

    gr_an_textf(&t, "deps of %s: %d instructions, %d values\n", p->name, (int)d->ninst,
                (int)d->nvalues);
    for (pos = 0; pos < d->ninst; pos++) {
        const gr_inst *in = d->inst[pos];
        int any = 0;
        gr_an_text_inst(&t, p, d, pos);
        for (k = 0; k < in->nargs; k++) {
            int32_t j;
            if (!is_operand(in, k)) {
                continue;
            }
            for (j = 0; j < k && in->args[j] != in->args[k]; j++) {
            }
            if (j < k) {
                continue; /* named once */
            }
            if (any) {
                gr_an_textf(&t, ", ");
            } else {
                put_part(&t, &any, "<-");
            }
            put_producer(&t, d, in->args[k]);
        }
        defined_values(d, pos, &vals, &nv);
        put_users(&t, d, vals, nv, &any);
        if (in->op == GR_OP_YIELD) {
            put_yield_targets(&t, d, pos, &any);
        }
        gr_an_textf(&t, "\n");
        if (in->body) {
            put_inner_lines(&t, d, pos);
        }
    }
    return gr_an_text_done(&t, text, err, "printing dependencies");
}
