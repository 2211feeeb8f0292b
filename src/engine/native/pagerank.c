/*
 * pagerank.c - native PageRank (gr_native_pagerank), the hand-written C
 * twin of algorithms/pagerank.grl and the speed reference the interpreter
 * is measured against.
 *
 * Semantics (networkx conventions; every execution mode must match them):
 *  - unweighted: edge weights are ignored; parallel edges count once each,
 *    and outdeg(u) counts them;
 *  - x0[v] = 1/n; then, each iteration, from the previous vector x:
 *        inv[u]    = recip(outdeg(u))           (1.0/outdeg, 0 when outdeg 0)
 *        contrib[u]= x[u] * inv[u]
 *        dang      = sum of x[u] over nodes with outdeg(u) == 0
 *                    (the same bits as the language's sum(where(sink, rank, 0)):
 *                    adding +0.0 to a non-negative sum changes nothing)
 *        x'[v]     = damping * s[v] + (1 - damping + damping * dang) / n
 *    where s[v] = 0.0 + contrib[u1] + contrib[u2] + ... over v's in-edges
 *    in CSC order (sources increasing), i.e. exactly the language's
 *        rank = damping * pull_sum(rank * inv) + (1 - damping + damping * dang) / n
 *    with that association and operation order (note contrib is
 *    x * (1.0/outdeg), which can differ from x / outdeg in the last bit);
 *  - err = sum over v of |x'[v] - x[v]|; stop after the iteration where
 *    err < n * tol, or after max_iter iterations; *iters = iterations run
 *    (max_iter == 0 returns x0 and 0 iterations);
 *  - the two reductions (dang, err) are blocked so the result is the same
 *    bit for bit on any thread count: nodes are cut into blocks of
 *    PR_BLOCK (4096) consecutive ids, each block is summed in id order
 *    starting from 0.0, and the block partials are added in block order
 *    starting from 0.0.  (For n <= 4096 this is the plain sequential sum.)
 *  - damping must be in [0, 1], tol >= 0, max_iter >= 0 (GR_ERR_INVALID).
 *
 * GR_BEST: no faster algorithm gives the same vector (the power iteration
 * *is* the definition), so GR_BEST runs this same code.
 *
 * Implementation: one fused pass per iteration.  The pull over the CSC
 * reads contrib (the only random access), and the same pass writes the
 * new rank in place, the next iteration's contrib (second buffer), and the
 * block partials of err and of the next dang.  So an iteration streams
 * in_off, in_adj, rank, inv and the new contrib once, and the random reads
 * into contrib are the cost floor.  Rows are pulled four at a time with
 * their common length interleaved (pull4): each row's sum keeps its own
 * order, but the core gets four independent chains and more loads in
 * flight (about 6% faster on a uniform 1M/10M graph; eight rows was
 * slower).  Blocks are scheduled dynamically (load balance on skewed
 * graphs); small graphs skip the parallel region.
 */
#include "config.h"
#include "engine/native/native_internal.h"

#include <math.h>

#define PR_BLOCK 4096 /* reduction block: part of the semantics, see above */

/* Sum partials p[0..nb) in order, from 0.0. */
static double sum_ordered(const double *p, size_t nb)
{
    double s = 0.0;
    size_t b;
    for (b = 0; b < nb; b++) {
        s += p[b];
    }
    return s;
}

/* Initial state: rank = 1/n, inv = recip(outdeg), contrib = rank*inv, and
 * the per-block partials of dang. */
static void pr_init(const gr_graph *g, double *rank, double *inv, double *contrib,
                    double *dpart, size_t nblk, int par)
{
    const uint32_t n = g->n;
    const double x0 = 1.0 / (double)n;
    long long b;
    (void)par;
    GR_OMP(parallel for schedule(static) if (par))
    for (b = 0; b < (long long)nblk; b++) {
        uint32_t v = (uint32_t)b * PR_BLOCK;
        uint32_t end = n - v > PR_BLOCK ? v + PR_BLOCK : n;
        double dp = 0.0;
        for (; v < end; v++) {
            uint64_t d = g->out_off[v + 1] - g->out_off[v];
            double iv = d ? 1.0 / (double)d : 0.0;
            rank[v] = x0;
            inv[v] = iv;
            contrib[v] = x0 * iv;
            if (d == 0) {
                dp += x0;
            }
        }
        dpart[b] = dp;
    }
}

/* s[j] = 0.0 + cold[a_j[0]] + cold[a_j[1]] + ... over rows v..v+3, each
 * row summed in its own order.  The rows' common length runs as four
 * interleaved chains: the sums stay sequential per row (bit-exact) but the
 * core gets four independent add chains and loads in flight, and one hard
 * to predict loop exit per four rows instead of one per row. */
static void pull4(const uint64_t *restrict off, const uint32_t *restrict adj,
                  const double *restrict cold, uint32_t v, double s[4])
{
    const uint32_t *a0 = adj + off[v], *a1 = adj + off[v + 1];
    const uint32_t *a2 = adj + off[v + 2], *a3 = adj + off[v + 3];
    const uint32_t *e3 = adj + off[v + 4];
    size_t k = (size_t)(a1 - a0), q;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    if ((size_t)(a2 - a1) < k) {
        k = (size_t)(a2 - a1);
    }
    if ((size_t)(a3 - a2) < k) {
        k = (size_t)(a3 - a2);
    }
    if ((size_t)(e3 - a3) < k) {
        k = (size_t)(e3 - a3);
    }
    for (q = 0; q < k; q++) {
        s0 += cold[a0[q]];
        s1 += cold[a1[q]];
        s2 += cold[a2[q]];
        s3 += cold[a3[q]];
    }
    for (q = k; a0 + q < a1; q++) {
        s0 += cold[a0[q]];
    }
    for (q = k; a1 + q < a2; q++) {
        s1 += cold[a1[q]];
    }
    for (q = k; a2 + q < a3; q++) {
        s2 += cold[a2[q]];
    }
    for (q = k; a3 + q < e3; q++) {
        s3 += cold[a3[q]];
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* One iteration: pull cold over the in-edges into rank (in place), write
 * the next contrib into cnew, the block partials of err into epart and of
 * the next dang into dpart. */
static void pr_step(const gr_graph *g, double damping, double base, const double *inv,
                    const double *cold, double *cnew, double *rank, double *dpart,
                    double *epart, size_t nblk, int par)
{
    const uint32_t n = g->n;
    const uint64_t *restrict off = g->in_off;
    const uint32_t *restrict adj = g->in_adj;
    long long b;
    (void)par;
    GR_OMP(parallel for schedule(dynamic, 1) if (par))
    for (b = 0; b < (long long)nblk; b++) {
        uint32_t v = (uint32_t)b * PR_BLOCK, j;
        uint32_t end = n - v > PR_BLOCK ? v + PR_BLOCK : n;
        double dp = 0.0, ep = 0.0, s[4];
        while (v < end) {
            uint32_t rows = end - v >= 4 ? 4 : 1;
            if (rows == 4) {
                pull4(off, adj, cold, v, s);
            } else {
                const uint32_t *a = adj + off[v], *ae = adj + off[v + 1];
                s[0] = 0.0;
                for (; a < ae; a++) {
                    s[0] += cold[*a];
                }
            }
            /* In node order, so the block partials are sequential sums. */
            for (j = 0; j < rows; j++, v++) {
                double x = damping * s[j] + base, iv = inv[v];
                ep += fabs(x - rank[v]);
                rank[v] = x;
                cnew[v] = x * iv;
                if (iv == 0.0) {
                    dp += x;
                }
            }
        }
        dpart[b] = dp;
        epart[b] = ep;
    }
}

/* See gr.h.  rank[] (g->n entries, caller's) receives the vector. */
int gr_native_pagerank(const gr_graph *g, gr_native_kind kind, double damping,
                       double tol, int64_t max_iter, double *rank,
                       int64_t *iters, gr_error *err)
{
    double *inv = NULL, *c0 = NULL, *c1 = NULL, *part = NULL;
    size_t nblk;
    int64_t it = 0;
    int par, rc = GR_OK;

    if (iters) {
        *iters = 0;
    }
    if (!g || !rank) {
        return gr_err(err, GR_ERR_INVALID, "pagerank: %s is NULL", g ? "rank" : "graph");
    }
    if (kind != GR_NATIVE && kind != GR_BEST) {
        return gr_err(err, GR_ERR_INVALID, "pagerank: unknown kind %d", (int)kind);
    }
    if (!(damping >= 0.0 && damping <= 1.0)) {
        return gr_err(err, GR_ERR_INVALID, "pagerank: damping must be in [0, 1], got %g",
                      damping);
    }
    if (!(tol >= 0.0)) {
        return gr_err(err, GR_ERR_INVALID, "pagerank: tol must be >= 0, got %g", tol);
    }
    if (max_iter < 0) {
        return gr_err(err, GR_ERR_INVALID, "pagerank: max_iter must be >= 0, got %lld",
                      (long long)max_iter);
    }
    if (g->n == 0) {
        return GR_OK;
    }

    nblk = ((size_t)g->n + PR_BLOCK - 1) / PR_BLOCK;
    par = gr_par_worth(g);
    if (!(inv = gr_alloc_big(g->n, sizeof *inv)) || !(c0 = gr_alloc_big(g->n, sizeof *c0)) ||
        !(c1 = gr_alloc_big(g->n, sizeof *c1)) ||
        !(part = gr_malloc(2 * nblk * sizeof *part))) {
        rc = gr_err_nomem(err, "pagerank vectors");
        goto done;
    }

    pr_init(g, rank, inv, c0, part, nblk, par);
    while (it < max_iter) {
        double dang = sum_ordered(part, nblk);
        double base = (1.0 - damping + damping * dang) / (double)g->n;
        double *t;
        pr_step(g, damping, base, inv, c0, c1, rank, part, part + nblk, nblk, par);
        it++;
        t = c0;
        c0 = c1;
        c1 = t;
        if (sum_ordered(part + nblk, nblk) < (double)g->n * tol) {
            break;
        }
    }
    if (iters) {
        *iters = it;
    }

done:
    gr_free_big(inv);
    gr_free_big(c0);
    gr_free_big(c1);
    gr_free(part);
    return rc;
}
