/*
 * critical_path.c - a cost model for IR instructions and the critical
 * path through the dependency DAG of deps.c (gr_an_critical).
 *
 * Cost model (gr_an_inst_cost): one execution of an instruction on a
 * graph of n nodes and m edges moves `bytes` and touches `edges`.  A
 * vector element is 8 bytes (f64, i64) or 1 (mask); a scalar costs
 * nothing.  Per op:
 *   sources           write the result; degrees also read the (n+1)
 *                     8-byte offsets of their direction(s); node_id reads
 *                     the original ids; const, param and counts are free
 *   element-wise      read every vector operand and write the result
 *   reductions        read their vector operand(s) (n elements each)
 *   agg               per edge (m, or 2m for both directions): the
 *                     neighbour's 4-byte id, its message element (random)
 *                     and the 8-byte weight when the message uses it; per
 *                     node the offsets and the result, the node's own
 *                     value with self, the mask when masked.  edges = the
 *                     edges scanned
 *   agg_fused         the same, the message elements being the kernel's
 *                     vector inputs, the weight counted when its lane is read
 *   fused             each distinct vector input read once and each map
 *                     output written once, whatever the body computes (the
 *                     body's own instructions are free: that is the point
 *                     of fusion); an epilogue kernel and the aggregation
 *                     right before it do not write and re-read the
 *                     aggregate (gr_an_critical_build accounts for that)
 *   gather / scatter  read the index vector and the values, write the
 *                     result (scatter: copy a, then a random read-modify-
 *                     write per node); their n random accesses are counted
 *                     in `edges`, priced like edge visits
 *   loop              its exit test per iteration: converged and
 *                     unchanged compare the carried test value with its
 *                     next value (two vector reads), repeat and explicit
 *                     tests nothing more
 *   print, return     read their vector operands
 *   yield             free (the carried buffers are swapped)
 *
 * Metric: time is measured in bytes of streaming traffic,
 *   metric = bytes + EDGE_BYTES * edges,  EDGE_BYTES = 32:
 * DESIGN.md measures a random read at about 2.7 ns on an 8 MB array and
 * streaming at 13.6 GB/s, so one random access costs what ~37 streamed
 * bytes do; the message element is already in `bytes`, so an edge adds 32.
 *
 * Critical path: the longest chain of dependent instructions under that
 * metric, each instruction weighing its metric times its runs.  runs is
 * the product of the iteration estimates of the loops around it (a loop's
 * own runs include its iterations, which its exit test is paid for); a
 * loop runs iters_guess times, or its constant max_iter when that is a
 * constant (for converged and unchanged loops the smaller of the two).
 * A loop starts when everything it reads from outside is ready; its body
 * is scheduled as a DAG from that start (inner values are ready then),
 * its YIELD waits for every instruction of the body (an iteration ends
 * when all of it has), and the loop finishes when the YIELD has plus its
 * exit tests.  Scaling each body instruction by the iterations makes the
 * body's longest chain iters times the chain of one iteration.  A fused
 * kernel is one instruction; its body costs nothing.  The program's
 * length is the latest finish of a top-level instruction.
 *
 * Printed form (bytes and edges per execution, runs, finish; * marks the
 * path):
 *   critical path of pagerank (n=1000, m=8000, iters=10; metric: bytes + 32*edges)
 *          bytes    edges     runs       finish     pos
 *          16000        0       10      4448088  *   14: %28.rank : f64v = loop converged(...
 *         112008     8000       10      3968088  *   19:   %19 : f64v = agg[in, sum, x](%18)
 *   length 4456088 through 10 instructions; work 4739096
 *   path: 4 5 6 14 18 19 20 27 28 29
 */
#include "config.h"
#include "engine/analysis/analysis.h"
#include "common/error.h"
#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

#define EDGE_BYTES 32.0

/* Bytes of one element of a value of type t (0 for scalars). */
static double elem_bytes(gr_type t)
{
    switch (t) {
    case GR_T_F64V:
    case GR_T_I64V:
        return 8.0;
    case GR_T_MASK:
        return 1.0;
    default:
        return 0.0;
    }
}

static double ebytes(const gr_program *p, gr_vid v)
{
    return v >= 0 && v < p->nvalues ? elem_bytes(p->values[v].type) : 0.0;
}

/* Bytes of the whole of value v: n elements, or nothing for a scalar. */
static double vbytes(const gr_program *p, gr_vid v, double n) { return n * ebytes(p, v); }

/* Whether a message reads the edge weight. */
static int msg_weighted(int msg)
{
    return msg == GR_MSG_ADD_W || msg == GR_MSG_MUL_W || msg == GR_MSG_W;
}

/* Whether any instruction of b (bodies included) reads v. */
static int block_reads(const gr_block *b, gr_vid v)
{
    int32_t i, k;
    for (i = 0; i < b->n; i++) {
        const gr_inst *in = &b->insts[i];
        for (k = 0; k < in->nargs; k++) {
            if (in->args[k] == v) {
                return 1;
            }
        }
        if (in->body && block_reads(in->body, v)) {
            return 1;
        }
    }
    return 0;
}

/* agg and agg_fused: see the banner. */
static gr_an_cost agg_cost(const gr_program *p, const gr_inst *in, double n, double m)
{
    gr_an_cost c = {0.0, 0.0};
    double dirs = in->attrs.dir == GR_DIR_BOTH ? 2.0 : 1.0, per_edge = 4.0;
    int32_t k, nin = in->nargs - (in->attrs.masked ? 1 : 0);
    if (in->nargs < 1) {
        return c;
    }
    if (in->op == GR_OP_AGG) {
        if (in->attrs.msg != GR_MSG_W) {
            per_edge += ebytes(p, in->args[0]);
        }
        if (msg_weighted(in->attrs.msg)) {
            per_edge += 8.0;
        }
    } else {
        for (k = 0; k < nin; k++) {
            per_edge += ebytes(p, in->args[k]);
        }
        if (in->inner && in->body && block_reads(in->body, in->inner[in->nargs])) {
            per_edge += 8.0;
        }
    }
    c.edges = dirs * m;
    c.bytes = c.edges * per_edge + dirs * 8.0 * (n + 1.0) + vbytes(p, in->result, n);
    if (in->attrs.self) {
        c.bytes += vbytes(p, in->args[0], n);
    }
    if (in->attrs.masked) {
        c.bytes += vbytes(p, in->args[in->nargs - 1], n);
    }
    return c;
}

/* gr_an_inst_cost: the cost of one execution of in (see the banner). */
gr_an_cost gr_an_inst_cost(const gr_program *p, const gr_inst *in, double n, double m)
{
    gr_an_cost c = {0.0, 0.0};
    const gr_opinfo *info = gr_op_info(in->op);
    int32_t k, j;

    switch (in->op) {
    case GR_OP_CONST:
    case GR_OP_PARAM:
    case GR_OP_NODE_COUNT:
    case GR_OP_EDGE_COUNT:
    case GR_OP_YIELD:
        break;
    case GR_OP_FILL:
    case GR_OP_NODE_INDEX:
        c.bytes = vbytes(p, in->result, n);
        break;
    case GR_OP_NODE_ID:
        c.bytes = 2.0 * vbytes(p, in->result, n);
        break;
    case GR_OP_OUT_DEGREE:
    case GR_OP_IN_DEGREE:
        c.bytes = 8.0 * (n + 1.0) + vbytes(p, in->result, n);
        break;
    case GR_OP_DEGREE:
        c.bytes = 16.0 * (n + 1.0) + vbytes(p, in->result, n);
        break;
    case GR_OP_OUT_NBR:
        /* the row offsets, one adjacency entry per row, the result */
        c.bytes = 8.0 * (n + 1.0) + 4.0 * n + vbytes(p, in->result, n);
        break;
    case GR_OP_LINK:
        /* both link vectors, the parents written and compressed, and about
         * two parents read at random per link */
        if (in->nargs == 2) {
            c.bytes = vbytes(p, in->args[0], n) + vbytes(p, in->args[1], n) +
                      3.0 * vbytes(p, in->result, n) + 4.0 * n * ebytes(p, in->result);
            c.edges = 2.0 * n;
        }
        break;
    case GR_OP_GATHER:
        if (in->nargs == 2) {
            c.bytes = vbytes(p, in->args[1], n) + n * ebytes(p, in->args[0]) +
                      vbytes(p, in->result, n);
            c.edges = n;
        }
        break;
    case GR_OP_SCATTER_MIN:
    case GR_OP_SCATTER_MAX:
    case GR_OP_SCATTER_SUM:
        if (in->nargs == 3) {
            c.bytes = vbytes(p, in->args[0], n) + vbytes(p, in->result, n) +
                      vbytes(p, in->args[1], n) + vbytes(p, in->args[2], n) +
                      2.0 * n * ebytes(p, in->result);
            c.edges = n;
        }
        break;
    case GR_OP_AGG:
    case GR_OP_AGG_FUSED:
        c = agg_cost(p, in, n, m);
        break;
    case GR_OP_FUSED:
        for (k = 0; k < in->nargs; k++) {
            for (j = 0; j < k && in->args[j] != in->args[k]; j++) {
            }
            if (j == k) {
                c.bytes += vbytes(p, in->args[k], n);
            }
        }
        for (k = 0; in->results && k < in->ncarry; k++) {
            c.bytes += vbytes(p, in->results[k], n);
        }
        break;
    case GR_OP_LOOP:
        if (in->attrs.loop != GR_LOOP_REPEAT && !in->attrs.explicit_test &&
            in->attrs.test >= 0 && in->attrs.test < in->ncarry &&
            2 + in->attrs.test < in->nargs) {
            c.bytes = 2.0 * vbytes(p, in->args[2 + in->attrs.test], n);
        }
        break;
    default:
        /* element-wise, reductions, print and return */
        for (k = 0; k < in->nargs; k++) {
            c.bytes += vbytes(p, in->args[k], n);
        }
        if (info->flags & (GR_F_EW | GR_F_RED)) {
            c.bytes += vbytes(p, in->result, n);
        }
        break;
    }
    return c;
}

/* --- the critical path ----------------------------------------------------- */

/* pred[] codes: a position, NONE (time 0), or the start of region r. */
#define NONE (-1)
#define START_OF(r) (-2 - (r))

typedef struct cp {
    const gr_program *p;
    const gr_an_deps *d;
    gr_an_critical *c;
    double *start;       /* [ninst] when each region op starts */
    int32_t *pred;       /* [ninst] what made each instruction wait (pred code) */
    int32_t *spred;      /* [ninst] what made each region op start (pred code) */
} cp;

static double metric(gr_an_cost c) { return c.bytes + EDGE_BYTES * c.edges; }

/* The iteration estimate of a loop (see the banner). */
static double loop_iters(const gr_an_deps *d, const gr_inst *in, double iters_guess)
{
    gr_vid mx = in->nargs > 0 ? in->args[0] : -1;
    const gr_inst *def;
    double k;
    if (mx < 0 || mx >= d->nvalues || d->def[mx] < 0) {
        return iters_guess;
    }
    def = d->inst[d->def[mx]];
    if (def->op != GR_OP_CONST) {
        return iters_guess;
    }
    k = def->attrs.i > 0 ? (double)def->attrs.i : 0.0;
    return in->attrs.loop == GR_LOOP_REPEAT || k < iters_guess ? k : iters_guess;
}

/* When v is ready for its readers, and what it waited for. */
static double avail(const cp *s, gr_vid v, int32_t *from)
{
    int32_t def;
    if (v < 0 || v >= s->d->nvalues || (def = s->d->def[v]) < 0) {
        *from = NONE;
        return 0.0;
    }
    if (gr_an_is_inner(s->p, s->d, v)) {
        *from = START_OF(def);
        return s->start[def];
    }
    *from = def;
    return s->c->finish[def];
}

/* Wait for v: raise *ready (and *from) to its availability. */
static void wait_for(const cp *s, gr_vid v, double *ready, int32_t *from)
{
    int32_t f;
    double t = avail(s, v, &f);
    if (t > *ready) {
        *ready = t;
        *from = f;
    }
}

static double sched_block(cp *s, int32_t r, double t0);

/* Schedule the instruction at pos, in the region r (-1: top) that started
 * at t0, after the instructions before it in its block, which finished by
 * `bar` (a YIELD waits for them: bar_from). */
static void sched_inst(cp *s, int32_t pos, int32_t r, double t0, double bar, int32_t bar_from)
{
    const gr_an_deps *d = s->d;
    const gr_inst *in = d->inst[pos];
    gr_an_critical *c = s->c;
    double ready = t0, w = metric(c->cost[pos]) * c->runs[pos];
    int32_t from = r >= 0 ? START_OF(r) : NONE, k, q;

    for (k = 0; k < in->nargs; k++) {
        if (in->args[k] >= 0) {
            wait_for(s, in->args[k], &ready, &from);
        }
    }
    if (in->op == GR_OP_YIELD && bar > ready) {
        ready = bar;
        from = bar_from;
    }
    if (!in->body) {
        c->finish[pos] = ready + w;
        s->pred[pos] = from;
        return;
    }
    /* A region starts when all it reads from outside is ready. */
    for (q = pos + 1; q <= d->end[pos]; q++) {
        const gr_inst *bi = d->inst[q];
        for (k = 0; k < bi->nargs; k++) {
            gr_vid v = bi->args[k];
            if (v >= 0 && v < d->nvalues && d->def[v] >= 0 &&
                (d->def[v] < pos || d->def[v] > d->end[pos])) {
                wait_for(s, v, &ready, &from);
            }
        }
    }
    s->start[pos] = ready;
    s->spred[pos] = from;
    if (in->op == GR_OP_LOOP) {
        c->finish[pos] = sched_block(s, pos, ready) + w;
        s->pred[pos] = d->end[pos];
    } else {
        c->finish[pos] = ready + w;
        s->pred[pos] = from;
        sched_block(s, pos, ready);
    }
}

/* Schedule the block of region r (-1: the top) from time t0; returns
 * when its last instruction finishes. */
static double sched_block(cp *s, int32_t r, double t0)
{
    const gr_an_deps *d = s->d;
    int32_t pos = r + 1, last = r >= 0 ? d->end[r] : d->ninst - 1;
    int32_t bar_from = r >= 0 ? START_OF(r) : NONE;
    double bar = t0;
    for (; pos <= last; pos = d->end[pos] + 1) {
        sched_inst(s, pos, r, t0, bar, bar_from);
        if (s->c->finish[pos] >= bar) {
            bar = s->c->finish[pos];
            bar_from = pos;
        }
    }
    return bar;
}

/* An epilogue kernel right after its aggregation: the aggregate stays in
 * registers when the epilogue is its only reader (see the banner). */
static void epilogue_discount(const gr_program *p, const gr_an_deps *d, gr_an_critical *c,
                              int32_t pos, double n)
{
    int32_t q = pos - 1, k;
    gr_vid r;
    double b;
    if (q < 0) {
        return;
    }
    while (q >= 0 && d->parent[q] != d->parent[pos]) {
        q = d->parent[q];
    }
    if (q < 0 || (d->inst[q]->op != GR_OP_AGG && d->inst[q]->op != GR_OP_AGG_FUSED)) {
        return;
    }
    r = d->inst[q]->result;
    if (r < 0 || r >= d->nvalues || d->nuses[r] == 0) {
        return;
    }
    for (k = 0; k < d->nuses[r]; k++) {
        if (d->uses[r][k] != pos) {
            return;
        }
    }
    b = vbytes(p, r, n);
    c->cost[q].bytes = c->cost[q].bytes > b ? c->cost[q].bytes - b : 0.0;
    c->cost[pos].bytes = c->cost[pos].bytes > b ? c->cost[pos].bytes - b : 0.0;
}

static int cmp_pos(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* gr_an_critical_build: costs, runs, finish times and the critical path. */
int gr_an_critical_build(const gr_program *p, const gr_an_deps *d, double n, double m,
                         double iters_guess, gr_an_critical *c, gr_error *err)
{
    cp s;
    int32_t pos, sink = -1, cur;
    size_t ni;

    memset(c, 0, sizeof *c);
    memset(&s, 0, sizeof s);
    if (!p || !d || d->nvalues != p->nvalues) {
        return gr_err(err, GR_ERR_INVALID, "the critical path needs the program's dependencies");
    }
    if (!(n >= 0.0) || !(m >= 0.0) || !(iters_guess >= 0.0)) {
        return gr_err(err, GR_ERR_INVALID, "n, m and iters_guess must be >= 0");
    }
    ni = (size_t)d->ninst;
    c->ninst = d->ninst;
    c->n = n;
    c->m = m;
    c->iters_guess = iters_guess;
    c->cost = gr_calloc(ni, sizeof *c->cost);
    c->finish = gr_calloc(ni, sizeof *c->finish);
    c->runs = gr_calloc(ni, sizeof *c->runs);
    c->path = gr_calloc(ni, sizeof *c->path);
    s.start = gr_calloc(ni, sizeof *s.start);
    s.pred = gr_calloc(ni, sizeof *s.pred);
    s.spred = gr_calloc(ni, sizeof *s.spred);
    if (!c->cost || !c->finish || !c->runs || !c->path || !s.start || !s.pred || !s.spred) {
        gr_free(s.start);
        gr_free(s.pred);
        gr_free(s.spred);
        gr_an_critical_release(c);
        return gr_err_nomem(err, "computing the critical path");
    }
    for (pos = 0; pos < d->ninst; pos++) {
        const gr_inst *in = d->inst[pos];
        double outer = d->parent[pos] < 0 ? 1.0 : c->runs[d->parent[pos]];
        c->cost[pos] = gr_an_inst_cost(p, in, n, m);
        c->runs[pos] = in->op == GR_OP_LOOP ? outer * loop_iters(d, in, iters_guess) : outer;
    }
    for (pos = 0; pos < d->ninst; pos++) {
        if (d->inst[pos]->op == GR_OP_FUSED && d->inst[pos]->attrs.epilogue) {
            epilogue_discount(p, d, c, pos, n);
        }
        c->work += metric(c->cost[pos]) * c->runs[pos];
    }
    s.p = p;
    s.d = d;
    s.c = c;
    sched_block(&s, -1, 0.0);
    for (pos = 0; pos < d->ninst; pos = d->end[pos] + 1) {
        if (sink < 0 || c->finish[pos] >= c->total) {
            c->total = c->finish[pos];
            sink = pos;
        }
    }
    /* Walk back from the last finisher; a loop is entered at its end (its
     * YIELD) and left, from its body's start, through what started it. */
    for (cur = sink; cur != NONE && c->npath < c->ninst;) {
        if (cur <= START_OF(0)) {
            cur = s.spred[-2 - cur];
            continue;
        }
        c->path[c->npath++] = cur;
        cur = s.pred[cur];
    }
    qsort(c->path, (size_t)c->npath, sizeof *c->path, cmp_pos);
    gr_free(s.start);
    gr_free(s.pred);
    gr_free(s.spred);
    return GR_OK;
}

/* gr_an_critical_release: free the arrays; c is zeroed. */
void gr_an_critical_release(gr_an_critical *c)
{
    if (!c) {
        return;
    }
    gr_free(c->cost);
    gr_free(c->finish);
    gr_free(c->path);
    gr_free(c->runs);
    memset(c, 0, sizeof *c);
}

/* gr_an_critical_print: a line per instruction, then the path. */
int gr_an_critical_print(const gr_program *p, const gr_an_critical *c, char **text,
                         gr_error *err)
{
    gr_an_text t = {NULL, 0, 0, 0};
    gr_an_deps d;
    int32_t pos, k = 0;
    int rc;

    *text = NULL;
    if ((rc = gr_an_deps_build(p, &d, err)) < 0) {
        return rc;
    }
    if (d.ninst != c->ninst) {
        gr_an_deps_release(&d);
        return gr_err(err, GR_ERR_INVALID, "the critical path was built for another program");
    }
    gr_an_textf(&t, "critical path of %s (n=%.0f, m=%.0f, iters=%.0f; metric: bytes + %.0f*edges)\n",
                p->name, c->n, c->m, c->iters_guess, EDGE_BYTES);
    gr_an_textf(&t, "       bytes    edges     runs       finish     pos\n");
    for (pos = 0; pos < c->ninst; pos++) {
        int on = k < c->npath && c->path[k] == pos;
        k += on;
        gr_an_textf(&t, "%12.0f %8.0f %8.0f %12.0f  %c ", c->cost[pos].bytes, c->cost[pos].edges,
                    c->runs[pos], c->finish[pos], on ? '*' : ' ');
        gr_an_text_inst(&t, p, &d, pos);
        gr_an_textf(&t, "\n");
    }
    gr_an_textf(&t, "length %.0f through %d instructions; work %.0f\npath:", c->total,
                (int)c->npath, c->work);
    for (k = 0; k < c->npath; k++) {
        gr_an_textf(&t, " %d", (int)c->path[k]);
    }
    gr_an_textf(&t, "\n");
    gr_an_deps_release(&d);
    return gr_an_text_done(&t, text, err, "printing the critical path");
}
