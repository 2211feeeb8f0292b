/*
 * lpa.c - native synchronous label propagation (gr_native_lpa), the
 * hand-written C twin of algorithms/lpa.grl and the speed reference the
 * interpreter is measured against.
 *
 * Semantics (every execution mode must match them):
 *  - labels start as the original ids (gr_graph_orig_id);
 *  - each iteration every node v looks at the multiset
 *        { label[u] : u->v an in-edge }  ∪  { label[w] : v->w an out-edge, w != v }
 *    (each edge counts once, parallel edges once each, a self-loop once:
 *    through the in-edges), takes its most frequent label, ties to the
 *    lowest label; a node whose multiset is empty (no edges at all) keeps
 *    its label.  All nodes update from the previous iteration's labels;
 *  - stop after the first iteration in which no label changed, or after
 *    max_iter iterations; *iters = iterations run, counting the one that
 *    changed nothing (max_iter == 0 returns the original ids, 0 iterations);
 *  - max_iter must be >= 0 (GR_ERR_INVALID); label[] receives original ids.
 *
 * GR_BEST: no faster algorithm gives the same labels (an active-set or
 * asynchronous variant changes the answer), so GR_BEST runs this same code.
 *
 * Implementation: labels are dense ids internally (dense order is original
 * order, so "lowest label" is the same either way) in two uint32 buffers,
 * mapped to original ids at the end.  Each node counts its neighbours'
 * labels in a per-thread open-addressing table sized to twice its degree
 * (power of two, cleared per node, never allocated in the loop), tracking
 * the best (count, label) as counts grow: when two labels end with the
 * same top count, whichever reaches it second loses unless it is lower, so
 * no final tie scan is needed.  Nodes are scheduled dynamically in chunks.
 */
#include "config.h"
#include "engine/native/native_internal.h"

#include <string.h>

#define LPA_EMPTY UINT32_MAX /* free table slot: labels are < n <= UINT32_MAX */
#define LPA_MIN_BITS 3       /* smallest table: 8 slots */
#define LPA_CHUNK 256        /* nodes per dynamic scheduling chunk */

/* One thread's counting table: keys and counts, cap slots each. */
typedef struct lpa_tab {
    uint32_t *key;           /* label in the slot, LPA_EMPTY when free */
    uint32_t *cnt;           /* occurrences of key */
} lpa_tab;

/* log2 of the table size for a node of degree d among n labels: the
 * smallest power of two >= 2*min(d, n), at least 2^LPA_MIN_BITS, at most
 * 2^32 (which still leaves a free slot: at most n <= 2^32-1 distinct). */
static unsigned lpa_bits(uint64_t d, uint32_t n)
{
    unsigned b = LPA_MIN_BITS;
    if (d > n) {
        d = n;
    }
    while (b < 32 && ((uint64_t)1 << b) < 2 * d) {
        b++;
    }
    return b;
}

/* The new label of v from labels cur[], counting in t (2^bits slots). */
static uint32_t lpa_node(const gr_graph *g, const uint32_t *restrict cur, uint32_t v,
                         unsigned bits, lpa_tab *t)
{
    const uint64_t mask = ((uint64_t)1 << bits) - 1;
    const unsigned shift = 64 - bits;
    uint32_t *restrict key = t->key, *restrict cnt = t->cnt;
    uint32_t best = LPA_EMPTY, bestc = 0;
    const uint32_t *a, *ae;
    int pass;

    memset(key, 0xff, (size_t)(mask + 1) * sizeof *key);
    for (pass = 0; pass < 2; pass++) {
        if (pass == 0) {
            a = g->in_adj + g->in_off[v];
            ae = g->in_adj + g->in_off[v + 1];
        } else {
            a = g->out_adj + g->out_off[v];
            ae = g->out_adj + g->out_off[v + 1];
        }
        for (; a < ae; a++) {
            uint32_t u = *a, l, c;
            uint64_t h;
            if (pass == 1 && u == v) {
                continue; /* the self-loop was counted as an in-edge */
            }
            l = cur[u];
            h = ((uint64_t)l * 0x9e3779b97f4a7c15ULL) >> shift;
            while (key[h] != l && key[h] != LPA_EMPTY) {
                h = (h + 1) & mask;
            }
            if (key[h] == LPA_EMPTY) {
                key[h] = l;
                cnt[h] = 0;
            }
            c = ++cnt[h];
            if (c > bestc || (c == bestc && l < best)) {
                bestc = c;
                best = l;
            }
        }
    }
    return bestc ? best : cur[v];
}

/* The largest degree (in + out) of any node. */
static uint64_t max_degree(const gr_graph *g)
{
    uint64_t mx = 0;
    uint32_t v;
    for (v = 0; v < g->n; v++) {
        uint64_t d = (g->in_off[v + 1] - g->in_off[v]) + (g->out_off[v + 1] - g->out_off[v]);
        if (d > mx) {
            mx = d;
        }
    }
    return mx;
}

static int omp_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

static int omp_tid(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* One synchronous iteration from cur into nxt; returns labels changed. */
static uint64_t lpa_step(const gr_graph *g, const uint32_t *cur, uint32_t *nxt,
                         lpa_tab *tabs, int par)
{
    const uint32_t n = g->n;
    uint64_t changed = 0;
    (void)par;
    GR_OMP(parallel if (par) reduction(+ : changed))
    {
        lpa_tab *t = &tabs[omp_tid()];
        long long v;
        GR_OMP(for schedule(dynamic, LPA_CHUNK))
        for (v = 0; v < (long long)n; v++) {
            uint32_t u = (uint32_t)v;
            uint64_t d = (g->in_off[u + 1] - g->in_off[u]) + (g->out_off[u + 1] - g->out_off[u]);
            uint32_t l = d ? lpa_node(g, cur, u, lpa_bits(d, n), t) : cur[u];
            nxt[u] = l;
            changed += l != cur[u];
        }
    }
    return changed;
}

/* See gr.h.  label[] (g->n entries, caller's) receives original-id labels. */
int gr_native_lpa(const gr_graph *g, gr_native_kind kind, int64_t max_iter,
                  int64_t *label, int64_t *iters, gr_error *err)
{
    uint32_t *cur = NULL, *nxt = NULL, *slots = NULL;
    lpa_tab *tabs = NULL;
    size_t cap = 0;
    int nt = 1, i, par, rc = GR_OK;
    int64_t it = 0;
    uint32_t v;

    if (iters) {
        *iters = 0;
    }
    if (!g || !label) {
        return gr_err(err, GR_ERR_INVALID, "lpa: %s is NULL", g ? "label" : "graph");
    }
    if (kind != GR_NATIVE && kind != GR_BEST) {
        return gr_err(err, GR_ERR_INVALID, "lpa: unknown kind %d", (int)kind);
    }
    if (max_iter < 0) {
        return gr_err(err, GR_ERR_INVALID, "lpa: max_iter must be >= 0, got %lld",
                      (long long)max_iter);
    }
    if (g->n == 0) {
        return GR_OK;
    }

    par = gr_par_worth(g);
    if (max_iter > 0) {
        nt = par ? omp_threads() : 1;
        cap = (size_t)1 << lpa_bits(max_degree(g), g->n);
        if (!(cur = gr_alloc_big(g->n, sizeof *cur)) ||
            !(nxt = gr_alloc_big(g->n, sizeof *nxt)) ||
            !(tabs = gr_malloc((size_t)nt * sizeof *tabs)) ||
            !(slots = gr_alloc_big((size_t)nt * 2, cap * sizeof *slots))) {
            rc = gr_err_nomem(err, "lpa labels");
            goto done;
        }
        for (i = 0; i < nt; i++) {
            tabs[i].key = slots + (size_t)i * 2 * cap;
            tabs[i].cnt = tabs[i].key + cap;
        }
        for (v = 0; v < g->n; v++) {
            cur[v] = v;
        }
        while (it < max_iter) {
            uint32_t *t;
            uint64_t changed = lpa_step(g, cur, nxt, tabs, par);
            it++;
            t = cur;
            cur = nxt;
            nxt = t;
            if (changed == 0) {
                break;
            }
        }
    }

    for (v = 0; v < g->n; v++) {
        label[v] = gr_graph_orig_id(g, cur ? cur[v] : v);
    }
    if (iters) {
        *iters = it;
    }

done:
    gr_free_big(cur);
    gr_free_big(nxt);
    gr_free_big(slots);
    gr_free(tabs);
    return rc;
}
