/*
 * build.c - CSR and CSC from an edge list by parallel, stable counting sort.
 *
 * Three counting-sort passes, each O(m + n·threads), no comparison sort:
 *   1. input edges by target    -> CSC (sources in input order)
 *   2. CSC order by source      -> CSR (rows sorted by target: the CSC is
 *                                  visited target by target)
 *   3. CSR order by target      -> CSC (rows sorted by source)
 * then runs of parallel edges are ordered by weight (a total order: -0.0
 * before +0.0, so equal-comparing weights are equal bytes), so the result
 * does not depend on the input order or the thread count.  A symmetrized
 * build feeds both directions to passes 1-2, keeps the sorted rows of pass
 * 2, collapses parallel edges to the lightest one (in parallel: count per
 * row, prefix, copy), and shares the arrays between CSR and CSC (the graph
 * is its own transpose).
 *
 * The sort is stable and parallel: the items are cut into fixed slices; a
 * count per (slice, key), a prefix over (key, slice) gives each slice its
 * own write position per key, and the slices scatter in parallel.  A stable
 * sort has exactly one result, so how the work is split never shows.  The
 * slices are handed out by an OpenMP loop, not by thread number, so a
 * smaller team than asked for (a call from inside a parallel region) still
 * does every slice.
 *
 * With many keys (n > DIRECT_MAX_KEYS) one scatter would touch a random
 * cache line per item, both in the cursor array and in the output (about
 * 18 ns an item for n = 1M).  Those sorts go in two cache-friendly steps,
 * an MSD radix sort of two digits: (a) scatter the items stably by the
 * key's high bits into at most 4096 buckets (a few KB of cursors, one
 * output stream per bucket), then (b) sort each bucket by the low bits with
 * a local count that lives in L1/L2, writing the final order and offsets;
 * buckets are independent and run in parallel.  Step (a) needs scratch
 * arrays for the items' keys, values and weights; the builds lend it arrays
 * that are not in use during that pass (see build_directed), so the only
 * extra memory is one array of m uint32.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define DIRECT_MAX_KEYS ((uint32_t)1 << 16) /* cursors fit in L2 up to here */
#define MAX_HIGH_BITS 12                      /* at most 4096 buckets */
#define PAR_MIN_ITEMS ((uint64_t)1 << 16)     /* smaller sorts: one slice */
#define COPY_CHUNK ((uint64_t)1 << 16)        /* edges per parallel chunk */

/* The items of one counting sort: item k has key key[k] and carries the
 * value val[k] (or, when val is NULL, the row of k under rowoff) and
 * weight w[k] (when w is not NULL). */
typedef struct sort_in {
    uint32_t n;              /* keys are < n */
    uint64_t m;              /* items */
    const uint32_t *key;
    const uint32_t *val;     /* NULL: value is the row containing k */
    const uint64_t *rowoff;  /* n+1 row offsets when val is NULL */
    const double *w;
} sort_in;

/* Borrowed arrays of m items for the two-step sort (key and val NULL: sort
 * in one step).  w is needed when the sort carries weights. */
typedef struct sort_scratch {
    uint32_t *key;
    uint32_t *val;
    double *w;
} sort_scratch;

/* The row r with rowoff[r] <= k < rowoff[r+1] (first non-empty one). */
static uint32_t row_of(const uint64_t *rowoff, uint32_t n, uint64_t k)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rowoff[mid + 1] <= k) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* How many slices to cut m items into when each slice counts `keys` keys. */
static int slice_count(uint64_t m, uint64_t keys)
{
    int t = gr_threads();
    /* Small inputs and huge key spaces are not worth per-slice counts. */
    if (m < PAR_MIN_ITEMS) {
        t = 1;
    }
    while (t > 1 && (uint64_t)t * keys > 8 * m + ((uint64_t)1 << 20)) {
        t--;
    }
    return t < 1 ? 1 : t;
}

/* Slice s of ns over m items: [*lo, *hi). */
static void slice(uint64_t m, int s, int ns, uint64_t *lo, uint64_t *hi)
{
    *lo = m * (uint64_t)s / (uint64_t)ns;
    *hi = m * (uint64_t)(s + 1) / (uint64_t)ns;
}

/* Count keys >> shift per slice into cnt[s * stride + digit]. */
static void count_digits(const sort_in *in, unsigned shift, int ns, uint64_t *cnt,
                         size_t stride)
{
    int s;
    memset(cnt, 0, (size_t)ns * stride * sizeof *cnt);
#ifdef _OPENMP
#pragma omp parallel for num_threads(ns) schedule(static, 1)
#endif
    for (s = 0; s < ns; s++) {
        uint64_t lo, hi, i;
        uint64_t *c = cnt + (size_t)s * stride;
        const uint32_t *key = in->key;
        slice(in->m, s, ns, &lo, &hi);
        for (i = lo; i < hi; i++) {
            c[key[i] >> shift]++;
        }
    }
}

/* Exclusive prefix over (digit, slice): cnt becomes each slice's first
 * position per digit, start[d] the first position of digit d (ndig+1). */
static void prefix_digits(uint64_t *cnt, size_t stride, int ns, uint64_t ndig,
                          uint64_t *start)
{
    uint64_t running = 0, d;
    for (d = 0; d < ndig; d++) {
        int s;
        start[d] = running;
        for (s = 0; s < ns; s++) {
            uint64_t c = cnt[(size_t)s * stride + d];
            cnt[(size_t)s * stride + d] = running;
            running += c;
        }
    }
    start[ndig] = running;
}

/* Scatter the items by key >> shift to the positions in cnt.  Writes the
 * value to oval, the weight to ow (when ow), and the key to okey (when
 * okey). */
static void scatter_digits(const sort_in *in, unsigned shift, int ns, uint64_t *cnt,
                           size_t stride, uint32_t *okey, uint32_t *oval, double *ow)
{
    int s;
#ifdef _OPENMP
#pragma omp parallel for num_threads(ns) schedule(static, 1)
#endif
    for (s = 0; s < ns; s++) {
        uint64_t lo, hi, i;
        uint64_t *c = cnt + (size_t)s * stride;
        const uint32_t *key = in->key;
        uint32_t row = 0;
        slice(in->m, s, ns, &lo, &hi);
        if (!in->val && lo < hi) {
            row = row_of(in->rowoff, in->n, lo);
        }
        for (i = lo; i < hi; i++) {
            uint32_t k = key[i];
            uint64_t p = c[k >> shift]++;
            if (in->val) {
                oval[p] = in->val[i];
            } else {
                while (in->rowoff[row + 1] <= i) {
                    row++;
                }
                oval[p] = row;
            }
            if (ow) {
                ow[p] = in->w[i];
            }
            if (okey) {
                okey[p] = k;
            }
        }
    }
}

/* One-step stable counting sort (few keys: the cursors stay in cache). */
static int csort_direct(const sort_in *in, uint64_t *off, uint32_t *oval, double *ow,
                        gr_error *err)
{
    int ns = slice_count(in->m, in->n);
    size_t stride = (size_t)in->n + 1;
    uint64_t *cnt = gr_alloc_big((size_t)ns * stride, sizeof *cnt);
    if (!cnt) {
        return gr_err_nomem(err, "edge sort counts");
    }
    count_digits(in, 0, ns, cnt, stride);
    prefix_digits(cnt, stride, ns, in->n, off);
    scatter_digits(in, 0, ns, cnt, stride, NULL, oval, ow);
    gr_free_big(cnt);
    return GR_OK;
}

/* Bits needed to write x. */
static unsigned bit_width(uint32_t x)
{
    unsigned b = 0;
    while (x) {
        b++;
        x >>= 1;
    }
    return b;
}

/* Two-step stable counting sort (many keys), see the banner. */
static int csort_two_step(const sort_in *in, const sort_scratch *scr, uint64_t *off,
                          uint32_t *oval, double *ow, gr_error *err)
{
    unsigned kbits = bit_width(in->n - 1);
    unsigned hbits = (kbits + 1) / 2 < MAX_HIGH_BITS ? (kbits + 1) / 2 : MAX_HIGH_BITS;
    unsigned lbits = kbits - hbits;
    uint64_t nb = (uint64_t)((in->n - 1) >> lbits) + 1;   /* buckets */
    size_t lsize = (size_t)1 << lbits;                     /* keys per bucket */
    int ns = slice_count(in->m, nb), nt = gr_threads();
    uint64_t *cnt = gr_alloc_big((size_t)ns * nb, sizeof *cnt);
    uint64_t *bstart = gr_alloc_big(nb + 1, sizeof *bstart);
    uint64_t *local = gr_alloc_big((size_t)nt * lsize, sizeof *local);
    const uint32_t *skey = scr->key, *sval = scr->val;
    const double *sw = ow ? scr->w : NULL;
    int64_t b;
    if (!cnt || !bstart || !local) {
        gr_free_big(cnt);
        gr_free_big(bstart);
        gr_free_big(local);
        return gr_err_nomem(err, "edge sort counts");
    }
    /* (a) stable scatter by the high bits into the scratch arrays. */
    count_digits(in, lbits, ns, cnt, nb);
    prefix_digits(cnt, nb, ns, nb, bstart);
    scatter_digits(in, lbits, ns, cnt, nb, scr->key, scr->val, ow ? scr->w : NULL);
    /* (b) each bucket by the low bits, into place.  The team is never larger
     * than nt, so each thread's local counts exist. */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
    {
        uint64_t *lc = local;
#ifdef _OPENMP
        lc += (size_t)omp_get_thread_num() * lsize;
#pragma omp for schedule(dynamic, 1)
#endif
        for (b = 0; b < (int64_t)nb; b++) {
            uint64_t lo = bstart[b], hi = bstart[b + 1], p, run = lo;
            uint32_t k0 = (uint32_t)b << lbits;
            size_t nk = in->n - k0 < lsize ? in->n - k0 : lsize, j;
            memset(lc, 0, nk * sizeof *lc);
            for (p = lo; p < hi; p++) {
                lc[skey[p] - k0]++;
            }
            for (j = 0; j < nk; j++) {
                uint64_t c = lc[j];
                off[k0 + j] = run;
                lc[j] = run;
                run += c;
            }
            if (sw) {
                for (p = lo; p < hi; p++) {
                    uint64_t q = lc[skey[p] - k0]++;
                    oval[q] = sval[p];
                    ow[q] = sw[p];
                }
            } else {
                for (p = lo; p < hi; p++) {
                    oval[lc[skey[p] - k0]++] = sval[p];
                }
            }
        }
    }
    off[in->n] = in->m;
    gr_free_big(cnt);
    gr_free_big(bstart);
    gr_free_big(local);
    return GR_OK;
}

/* Stable counting sort of in's items by key: off receives n+1 offsets, oval
 * the values and ow (when not NULL) the weights in key order. */
static int csort(const sort_in *in, const sort_scratch *scr, uint64_t *off, uint32_t *oval,
                 double *ow, gr_error *err)
{
    if (in->n <= DIRECT_MAX_KEYS || !scr->key) {
        return csort_direct(in, off, oval, ow, err);
    }
    return csort_two_step(in, scr, off, oval, ow, err);
}

/* Does a sort need the scratch arrays? */
static int two_step(uint32_t n) { return n > DIRECT_MAX_KEYS; }

/* A total order on weights: as <, but -0.0 before +0.0 (NaN is rejected
 * before the build), so equal-comparing weights are identical bytes and
 * the order of parallel edges never depends on the input order. */
static inline uint64_t weight_key(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return (b >> 63) ? ~b : b | ((uint64_t)1 << 63);
}

static int cmp_weight(const void *pa, const void *pb)
{
    uint64_t a = weight_key(*(const double *)pa), b = weight_key(*(const double *)pb);
    return (a > b) - (a < b);
}

#define TIE_INSERTION_MAX 32 /* longer runs of parallel edges use qsort */

/* Order each run of equal neighbours (parallel edges) by weight. */
static void sort_ties(uint32_t n, const uint64_t *off, const uint32_t *adj, double *w)
{
    int64_t u;
    if (!w) {
        return;
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4096)
#endif
    for (u = 0; u < (int64_t)n; u++) {
        uint64_t start = off[u], end = off[u + 1], k = start;
        while (k < end) {
            uint64_t run = k + 1, i;
            while (run < end && adj[run] == adj[k]) {
                run++;
            }
            if (run - k > TIE_INSERTION_MAX) {
                qsort(w + k, (size_t)(run - k), sizeof *w, cmp_weight);
            } else {
                for (i = k + 1; i < run; i++) {
                    double x = w[i];
                    uint64_t j = i, kx = weight_key(x);
                    while (j > k && weight_key(w[j - 1]) > kx) {
                        w[j] = w[j - 1];
                        j--;
                    }
                    w[j] = x;
                }
            }
            k = run;
        }
    }
}

/* The first bad edge (lowest index) decides the message, whatever the
 * thread count. */
static int check_edges(const gr_edges *e, uint32_t n, gr_error *err)
{
    uint64_t bad = UINT64_MAX;
    int64_t i;
#ifdef _OPENMP
#pragma omp parallel for reduction(min : bad) schedule(static)
#endif
    for (i = 0; i < (int64_t)e->m; i++) {
        if (e->src[i] >= n || e->dst[i] >= n || (e->weighted && isnan(e->w[i]))) {
            if ((uint64_t)i < bad) {
                bad = (uint64_t)i;
            }
        }
    }
    if (bad == UINT64_MAX) {
        return GR_OK;
    }
    if (e->src[bad] >= n || e->dst[bad] >= n) {
        return gr_err(err, GR_ERR_RANGE, "edge %llu (%u -> %u) names a node >= n=%u",
                      (unsigned long long)bad, e->src[bad], e->dst[bad], n);
    }
    return gr_err(err, GR_ERR_INVALID, "edge %llu has a NaN weight", (unsigned long long)bad);
}

/* Non-symmetric build: the three passes described in the banner.  The
 * two-step sorts borrow arrays that hold nothing yet (or any more) during
 * their pass: pass 1 the graph's out_adj/in_adj/in_w, pass 2 in_adj, in_w
 * and `spare`, pass 3 the temporary CSC of pass 1 and `spare`. */
static int build_directed(const gr_edges *e, gr_graph *g, gr_error *err)
{
    uint32_t *tmp_adj = NULL, *spare = NULL;
    double *tmp_w = NULL;
    uint64_t *tmp_off = NULL;
    sort_in in;
    sort_scratch scr = {NULL, NULL, NULL};
    int rc = GR_OK;
    tmp_adj = gr_alloc_big(e->m, sizeof *tmp_adj);
    tmp_off = gr_alloc_big((size_t)g->n + 1, sizeof *tmp_off);
    if (!tmp_adj || !tmp_off || (e->weighted && !(tmp_w = gr_alloc_big(e->m, sizeof *tmp_w))) ||
        (two_step(g->n) && !(spare = gr_alloc_big(e->m, sizeof *spare)))) {
        rc = gr_err_nomem(err, "graph build");
        goto done;
    }
    /* 1: by target, CSC with unsorted rows, in tmp. */
    in = (sort_in){g->n, e->m, e->dst, e->src, NULL, e->weighted ? e->w : NULL};
    if (spare) {
        scr = (sort_scratch){g->out_adj, g->in_adj, g->in_w};
    }
    TRY(csort(&in, &scr, tmp_off, tmp_adj, tmp_w, err));
    /* 2: CSC order by source -> CSR with rows sorted by target. */
    in = (sort_in){g->n, e->m, tmp_adj, NULL, tmp_off, tmp_w};
    if (spare) {
        scr = (sort_scratch){g->in_adj, spare, g->in_w};
    }
    TRY(csort(&in, &scr, g->out_off, g->out_adj, g->out_w, err));
    sort_ties(g->n, g->out_off, g->out_adj, g->out_w);
    /* 3: CSR order by target -> CSC with rows sorted by source. */
    in = (sort_in){g->n, e->m, g->out_adj, NULL, g->out_off, g->out_w};
    if (spare) {
        scr = (sort_scratch){tmp_adj, spare, tmp_w};
    }
    TRY(csort(&in, &scr, g->in_off, g->in_adj, g->in_w, err));
    goto done;
fail:
done:
    gr_free_big(tmp_adj);
    gr_free_big(tmp_w);
    gr_free_big(tmp_off);
    gr_free_big(spare);
    return rc;
}

/* Both directions of every edge (a self-loop once) into src/dst/w, in
 * input order: edge i's copies start at 2*i - (self-loops before i).
 * pos receives, per chunk of COPY_CHUNK edges, its first output slot. */
static void double_edges(const gr_edges *e, uint64_t *pos, int64_t nchunks, uint32_t *src,
                         uint32_t *dst, double *w)
{
    int64_t c;
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (c = 0; c < nchunks; c++) {
        uint64_t lo = (uint64_t)c * COPY_CHUNK;
        uint64_t hi = lo + COPY_CHUNK < e->m ? lo + COPY_CHUNK : e->m;
        uint64_t i, k = 0;
        for (i = lo; i < hi; i++) {
            k += e->src[i] == e->dst[i] ? 1 : 2;
        }
        pos[c + 1] = k;
    }
    pos[0] = 0;
    for (c = 0; c < nchunks; c++) {
        pos[c + 1] += pos[c];
    }
    if (!src) {
        return;
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (c = 0; c < nchunks; c++) {
        uint64_t lo = (uint64_t)c * COPY_CHUNK;
        uint64_t hi = lo + COPY_CHUNK < e->m ? lo + COPY_CHUNK : e->m;
        uint64_t i, k = pos[c];
        for (i = lo; i < hi; i++) {
            uint32_t s = e->src[i], d = e->dst[i];
            src[k] = s;
            dst[k] = d;
            if (w) {
                w[k] = e->w[i];
            }
            k++;
            if (s != d) {
                src[k] = d;
                dst[k] = s;
                if (w) {
                    w[k] = e->w[i];
                }
                k++;
            }
        }
    }
}

/* Symmetric build into heap arrays; g->n set, arrays not yet allocated. */
static int build_symmetric(const gr_edges *e, gr_graph *g, const int64_t *orig,
                           gr_error *err)
{
    uint64_t m2, total;
    uint32_t *src = NULL, *dst = NULL, *tmp_adj = NULL, *adj = NULL, *spare = NULL;
    double *w = NULL, *tmp_w = NULL, *ws = NULL;
    uint64_t *tmp_off = NULL, *off = NULL, *pos = NULL;
    int weighted = e->weighted, rc = GR_OK;
    uint32_t n = g->n;
    int64_t nchunks = (int64_t)(e->m / COPY_CHUNK + (e->m % COPY_CHUNK != 0)), u;
    sort_in in;
    sort_scratch scr = {NULL, NULL, NULL};
    if (!(pos = gr_alloc_big((size_t)nchunks + 1, sizeof *pos))) {
        return gr_err_nomem(err, "graph build");
    }
    double_edges(e, pos, nchunks, NULL, NULL, NULL);
    m2 = pos[nchunks];
    src = gr_alloc_big(m2, sizeof *src);
    dst = gr_alloc_big(m2, sizeof *dst);
    tmp_adj = gr_alloc_big(m2, sizeof *tmp_adj);
    adj = gr_alloc_big(m2, sizeof *adj);
    tmp_off = gr_alloc_big((size_t)n + 1, sizeof *tmp_off);
    off = gr_alloc_big((size_t)n + 1, sizeof *off);
    if (!src || !dst || !tmp_adj || !adj || !tmp_off || !off ||
        (weighted && (!(w = gr_alloc_big(m2, sizeof *w)) ||
                      !(tmp_w = gr_alloc_big(m2, sizeof *tmp_w)) ||
                      !(ws = gr_alloc_big(m2, sizeof *ws)))) ||
        (two_step(n) && !(spare = gr_alloc_big(m2, sizeof *spare)))) {
        rc = gr_err_nomem(err, "graph build");
        goto done;
    }
    double_edges(e, pos, nchunks, src, dst, w);
    /* Pass 1 by source borrows adj/ws (not yet written) and spare. */
    in = (sort_in){n, m2, src, dst, NULL, w};
    if (spare) {
        scr = (sort_scratch){adj, spare, ws};
    }
    TRY(csort(&in, &scr, tmp_off, tmp_adj, tmp_w, err));
    /* Rows of pass 2 are sorted; for a symmetric multiset they are the CSR.
     * It borrows the doubled input, no longer needed. */
    in = (sort_in){n, m2, tmp_adj, NULL, tmp_off, tmp_w};
    if (spare) {
        scr = (sort_scratch){src, dst, w};
    }
    TRY(csort(&in, &scr, off, adj, ws, err));
    sort_ties(n, off, adj, ws);
    /* Collapse parallel edges, keeping the first (the lightest): count the
     * distinct neighbours of each row (in tmp_off), then copy them. */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4096)
#endif
    for (u = 0; u < (int64_t)n; u++) {
        uint64_t k, c = 0;
        for (k = off[u]; k < off[u + 1]; k++) {
            c += k == off[u] || adj[k] != adj[k - 1];
        }
        tmp_off[u] = c;
    }
    total = 0;
    for (u = 0; u < (int64_t)n; u++) {
        uint64_t c = tmp_off[u];
        tmp_off[u] = total;
        total += c;
    }
    tmp_off[n] = total;
    TRY(gr_graph_alloc_arrays(g, n, total, weighted, orig != NULL, 1, err));
    memcpy(g->out_off, tmp_off, ((size_t)n + 1) * sizeof *tmp_off);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4096)
#endif
    for (u = 0; u < (int64_t)n; u++) {
        uint64_t k, at = tmp_off[u];
        for (k = off[u]; k < off[u + 1]; k++) {
            if (k > off[u] && adj[k] == adj[k - 1]) {
                continue;
            }
            g->out_adj[at] = adj[k];
            if (weighted) {
                g->out_w[at] = ws[k];
            }
            at++;
        }
    }
    g->symmetric = 1;
    goto done;
fail:
done:
    gr_free_big(pos);
    gr_free_big(src);
    gr_free_big(dst);
    gr_free_big(w);
    gr_free_big(tmp_adj);
    gr_free_big(tmp_w);
    gr_free_big(tmp_off);
    gr_free_big(adj);
    gr_free_big(ws);
    gr_free_big(off);
    gr_free_big(spare);
    return rc;
}

int gr_graph_build_ex(const gr_edges *e, uint32_t n, unsigned flags,
                      const int64_t *orig, gr_graph **out, gr_error *err)
{
    gr_graph *g;
    int rc;
    *out = NULL;
    if ((rc = check_edges(e, n, err)) < 0) {
        return rc;
    }
    g = gr_graph_alloc_shell();
    if (!g) {
        return gr_err_nomem(err, "graph");
    }
    g->n = n;
    if (flags & GR_BUILD_SYMMETRIZE) {
        TRY(build_symmetric(e, g, orig, err));
    } else {
        TRY(gr_graph_alloc_arrays(g, n, e->m, e->weighted, orig != NULL, 0, err));
        TRY(build_directed(e, g, err));
    }
    if (orig) {
        memcpy(g->orig_id, orig, (size_t)n * sizeof *orig);
    }
    *out = g;
    return GR_OK;
fail:
    gr_graph_free(&g);
    return rc;
}

int gr_graph_build(const gr_edges *e, uint32_t n, unsigned flags,
                   gr_graph **out, gr_error *err)
{
    return gr_graph_build_ex(e, n, flags, NULL, out, err);
}

int gr_graph_symmetrize(const gr_graph *g, gr_graph **out, gr_error *err)
{
    gr_edges e;
    uint32_t u;
    int rc;
    *out = NULL;
    gr_edges_init(&e, g->out_w != NULL);
    TRY(gr_edges_reserve(&e, g->m ? g->m : 1, err));
    for (u = 0; u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            e.src[e.m] = u;
            e.dst[e.m] = g->out_adj[k];
            if (e.weighted) {
                e.w[e.m] = g->out_w[k];
            }
            e.m++;
        }
    }
    rc = gr_graph_build_ex(&e, g->n, GR_BUILD_SYMMETRIZE, g->orig_id, out, err);
fail:
    gr_edges_release(&e);
    return rc;
}
