/*
 * check_graph.c - unit tests of graph building and the graph object
 * (build.c, graph.c): gr_graph_build against a naive reference builder (qsort
 * of (row, neighbour, weight) triples) on many seeded edge lists, weighted,
 * with parallel edges and self-loops, on both sides of the two-step sort's
 * threshold; symmetrize semantics; gr_graph_validate on good graphs and on
 * corrupted copies; error messages; thread counts; id lookups; allocation
 * failure injection.
 */
#include "config.h"
#include "testutil.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- the reference builder ------------------------------------------- */

typedef struct ref_edge {
    uint32_t a, b; /* row, neighbour */
    double w;
} ref_edge;

/* Weights in a total order: -0.0 before +0.0 (as the library promises). */
static uint64_t wkey(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return (b >> 63) ? ~b : b | (1ULL << 63);
}

static int cmp_ref(const void *px, const void *py)
{
    const ref_edge *x = px, *y = py;
    if (x->a != y->a) {
        return x->a < y->a ? -1 : 1;
    }
    if (x->b != y->b) {
        return x->b < y->b ? -1 : 1;
    }
    return (wkey(x->w) > wkey(y->w)) - (wkey(x->w) < wkey(y->w));
}

/* One direction of a graph: offsets, neighbours, weights (NULL if none). */
typedef struct ref_side {
    uint64_t m;
    uint64_t *off;
    uint32_t *adj;
    double *w;
} ref_side;

static void side_from(ref_edge *t, uint64_t m, uint32_t n, int weighted, int dedup,
                      ref_side *s)
{
    uint64_t i, k = 0;
    qsort(t, m, sizeof *t, cmp_ref);
    s->off = calloc((size_t)n + 1, sizeof *s->off);
    s->adj = malloc((m ? m : 1) * sizeof *s->adj);
    s->w = weighted ? malloc((m ? m : 1) * sizeof *s->w) : NULL;
    ck_assert_ptr_nonnull(s->off);
    ck_assert_ptr_nonnull(s->adj);
    for (i = 0; i < m; i++) {
        if (dedup && i > 0 && t[i].a == t[i - 1].a && t[i].b == t[i - 1].b) {
            continue; /* the first of a run is the lightest */
        }
        s->off[t[i].a + 1]++;
        s->adj[k] = t[i].b;
        if (weighted) {
            s->w[k] = t[i].w;
        }
        k++;
    }
    for (i = 0; i < n; i++) {
        s->off[i + 1] += s->off[i];
    }
    s->m = k;
}

static void side_free(ref_side *s)
{
    free(s->off);
    free(s->adj);
    free(s->w);
}

/* The reference CSR and CSC of e; symmetric: both directions, self-loops
 * once, parallel edges collapsed to the lightest, CSC = CSR. */
static void ref_build(const gr_edges *e, uint32_t n, int sym, ref_side *out, ref_side *in)
{
    ref_edge *t = malloc((2 * e->m + 1) * sizeof *t);
    uint64_t i, k = 0;
    ck_assert_ptr_nonnull(t);
    for (i = 0; i < e->m; i++) {
        double w = e->weighted ? e->w[i] : 0.0;
        t[k++] = (ref_edge){e->src[i], e->dst[i], w};
        if (sym && e->src[i] != e->dst[i]) {
            t[k++] = (ref_edge){e->dst[i], e->src[i], w};
        }
    }
    side_from(t, k, n, e->weighted, sym, out);
    if (!sym) {
        for (i = 0; i < e->m; i++) {
            t[i] = (ref_edge){e->dst[i], e->src[i], e->weighted ? e->w[i] : 0.0};
        }
        side_from(t, e->m, n, e->weighted, 0, in);
    } else {
        side_from(t, 0, n, 0, 0, in); /* unused */
    }
    free(t);
}

static void assert_side(const uint64_t *off, const uint32_t *adj, const double *w,
                        uint32_t n, const ref_side *r, const char *what)
{
    ck_assert_msg(memcmp(off, r->off, ((size_t)n + 1) * sizeof *off) == 0, "%s offsets", what);
    if (r->m) {
        ck_assert_msg(memcmp(adj, r->adj, r->m * sizeof *adj) == 0, "%s neighbours", what);
    }
    ck_assert((w == NULL) == (r->w == NULL));
    if (w && r->m) {
        ck_assert_msg(memcmp(w, r->w, r->m * sizeof *w) == 0, "%s weights", what);
    }
}

/* Build e and compare with the reference, exactly. */
static void check_against_ref(const gr_edges *e, uint32_t n, unsigned flags)
{
    ref_side out, in;
    gr_graph *g = NULL;
    gr_error err;
    int sym = (flags & GR_BUILD_SYMMETRIZE) != 0;
    gr_error_clear(&err);
    ck_assert_msg(gr_graph_build(e, n, flags, &g, &err) == GR_OK, "build: %s", err.msg);
    ref_build(e, n, sym, &out, &in);
    ck_assert_uint_eq(g->n, n);
    ck_assert_uint_eq(g->m, out.m);
    ck_assert_int_eq(g->symmetric, sym);
    ck_assert_ptr_null(g->orig_id);
    assert_side(g->out_off, g->out_adj, g->out_w, n, &out, "CSR");
    if (sym) {
        ck_assert_ptr_eq(g->in_off, g->out_off);
        ck_assert_ptr_eq(g->in_adj, g->out_adj);
        ck_assert_ptr_eq(g->in_w, g->out_w);
    } else {
        assert_side(g->in_off, g->in_adj, g->in_w, n, &in, "CSC");
    }
    ck_assert_int_eq(gr_graph_validate(g, &err), GR_OK);
    side_free(&out);
    side_free(&in);
    gr_graph_free(&g);
}

/* ---- seeded edge lists ----------------------------------------------- */

/* A few weights, so parallel edges tie: -0.0 and 0.0, infinities too. */
static const double few_w[] = {-1.0, -0.0, 0.0, 0.5, 1.0, 2.0, 3.25, 1e300, -INFINITY,
                               INFINITY};

/* m random edges over n nodes; weights from few_w (ties) or continuous. */
static void random_edges(gr_edges *e, uint32_t n, uint64_t m, uint64_t seed, int weighted,
                         int tie_weights)
{
    tu_rng r = {seed * 1000003 + 11};
    uint64_t i;
    gr_edges_init(e, weighted);
    ck_assert_int_eq(gr_edges_reserve(e, m ? m : 1, NULL), GR_OK);
    for (i = 0; i < m; i++) {
        e->src[i] = (uint32_t)tu_below(&r, n);
        e->dst[i] = (uint32_t)tu_below(&r, n);
        if (weighted) {
            e->w[i] = tie_weights ? few_w[tu_below(&r, sizeof few_w / sizeof few_w[0])]
                                  : tu_unit(&r) * 100.0 - 50.0;
        }
    }
    e->m = m;
}

static void shuffle_edges(gr_edges *e, uint64_t seed)
{
    tu_rng r = {seed};
    uint64_t i;
    for (i = e->m; i > 1; i--) {
        uint64_t j = tu_below(&r, i);
        uint32_t s = e->src[i - 1], d = e->dst[i - 1];
        e->src[i - 1] = e->src[j];
        e->dst[i - 1] = e->dst[j];
        e->src[j] = s;
        e->dst[j] = d;
        if (e->weighted) {
            double w = e->w[i - 1];
            e->w[i - 1] = e->w[j];
            e->w[j] = w;
        }
    }
}

static uint64_t digest_build(const gr_edges *e, uint32_t n, unsigned flags)
{
    gr_graph *g = NULL;
    uint64_t d;
    ck_assert_int_eq(gr_graph_build(e, n, flags, &g, NULL), GR_OK);
    d = gr_graph_digest(g);
    gr_graph_free(&g);
    return d;
}

/* ---- against the reference ------------------------------------------- */

static const struct {
    uint32_t n;
    uint64_t m;
} shapes[] = {
    {1, 0},      {1, 7},      {2, 50},      {5, 0},       {5, 40},       {37, 500},
    {1000, 3},   {1000, 8000}, {300, 100000}, {65536, 70000}, {65537, 70000}, {70000, 150000},
    {200000, 90000}, {131072, 200000}, {100000, 0},
};

START_TEST(test_directed_vs_ref)
{
    size_t i;
    int variant;
    for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        for (variant = 0; variant < 3; variant++) {
            gr_edges e;
            random_edges(&e, shapes[i].n, shapes[i].m, i * 3 + (size_t)variant, variant > 0,
                         variant == 1);
            check_against_ref(&e, shapes[i].n, 0);
            gr_edges_release(&e);
        }
    }
}
END_TEST

START_TEST(test_symmetric_vs_ref)
{
    size_t i;
    int variant;
    for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        for (variant = 0; variant < 3; variant++) {
            gr_edges e;
            random_edges(&e, shapes[i].n, shapes[i].m, i * 3 + (size_t)variant + 100,
                         variant > 0, variant == 1);
            check_against_ref(&e, shapes[i].n, GR_BUILD_SYMMETRIZE);
            gr_edges_release(&e);
        }
    }
}
END_TEST

START_TEST(test_long_parallel_runs)
{
    /* Runs of parallel edges around the insertion-sort limit and far past
     * it (sorted by qsort), plus the same edges shuffled. */
    static const uint64_t runs[] = {1, 2, 31, 32, 33, 100, 5000};
    size_t r;
    for (r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        gr_edges e;
        tu_rng g = {r + 1};
        uint64_t i;
        uint64_t d1, d2;
        gr_edges_init(&e, 1);
        for (i = 0; i < runs[r]; i++) {
            int rc = gr_edges_push(&e, 3, 1, few_w[tu_below(&g, 10)], NULL);
            rc |= gr_edges_push(&e, 1, 3, tu_unit(&g), NULL);
            rc |= gr_edges_push(&e, 2, 2, -tu_unit(&g), NULL);
            if (rc != GR_OK) {
                ck_abort_msg("push failed");
            }
        }
        ck_assert_int_eq(gr_edges_push(&e, 0, 4, 1.0, NULL), GR_OK);
        check_against_ref(&e, 5, 0);
        check_against_ref(&e, 5, GR_BUILD_SYMMETRIZE);
        d1 = digest_build(&e, 5, 0);
        shuffle_edges(&e, r + 9);
        d2 = digest_build(&e, 5, 0);
        ck_assert_uint_eq(d1, d2);
        gr_edges_release(&e);
    }
}
END_TEST

START_TEST(test_signed_zero)
{
    /* -0.0 == 0.0, yet the bytes differ: the order must not follow the
     * input.  -0.0 sorts first and is the one a symmetric build keeps. */
    static const uint32_t pairs[] = {0, 1, 0, 1, 1, 0};
    static const double w1[] = {0.0, -0.0, 0.0};
    static const double w2[] = {-0.0, 0.0, 0.0};
    gr_graph *a = tu_graph(2, pairs, 3, w1, 0), *b = tu_graph(2, pairs, 3, w2, 0);
    gr_graph *s = tu_graph(2, pairs, 3, w1, GR_BUILD_SYMMETRIZE);
    ck_assert_uint_eq(gr_graph_digest(a), gr_graph_digest(b));
    ck_assert(signbit(a->out_w[0]) && !signbit(a->out_w[1]));
    ck_assert_uint_eq(s->m, 2);
    ck_assert(signbit(s->out_w[0]) && signbit(s->out_w[1]));
    gr_graph_free(&a);
    gr_graph_free(&b);
    gr_graph_free(&s);
}
END_TEST

START_TEST(test_order_invariance)
{
    /* The same multiset of edges in another order: the same bytes. */
    static const uint32_t ns[] = {50, 100000};
    size_t i;
    for (i = 0; i < 2; i++) {
        gr_edges e;
        uint64_t d[2], s[2];
        int k;
        random_edges(&e, ns[i], 200000, 40 + i, 1, 1);
        for (k = 0; k < 2; k++) {
            d[k] = digest_build(&e, ns[i], 0);
            s[k] = digest_build(&e, ns[i], GR_BUILD_SYMMETRIZE);
            shuffle_edges(&e, 7 + (uint64_t)k);
        }
        ck_assert_uint_eq(d[0], d[1]);
        ck_assert_uint_eq(s[0], s[1]);
        gr_edges_release(&e);
    }
}
END_TEST

START_TEST(test_threads)
{
    static const uint32_t ns[] = {1000, 60000, 300000};
    int saved = gr_threads();
    size_t i;
    for (i = 0; i < 3; i++) {
        gr_edges e;
        uint64_t d1, d2, s1, s2;
        random_edges(&e, ns[i], 500000, 60 + i, 1, i != 1);
        gr_set_threads(1);
        d1 = digest_build(&e, ns[i], 0);
        s1 = digest_build(&e, ns[i], GR_BUILD_SYMMETRIZE);
        gr_set_threads(2);
        d2 = digest_build(&e, ns[i], 0);
        s2 = digest_build(&e, ns[i], GR_BUILD_SYMMETRIZE);
        gr_set_threads(saved);
        ck_assert_uint_eq(d1, d2);
        ck_assert_uint_eq(s1, s2);
        gr_edges_release(&e);
    }
}
END_TEST

START_TEST(test_nested_parallel)
{
    /* Called from inside a parallel region the library gets a team of one
     * thread; every slice of the sort must still be done. */
    gr_edges e;
    random_edges(&e, 100000, 300000, 77, 1, 0);
#ifdef _OPENMP
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        check_against_ref(&e, 100000, 0);
    }
#pragma omp parallel num_threads(2)
    {
#pragma omp single
        check_against_ref(&e, 100000, GR_BUILD_SYMMETRIZE);
    }
#else
    check_against_ref(&e, 100000, 0);
#endif
    gr_edges_release(&e);
}
END_TEST

/* ---- symmetrize ------------------------------------------------------ */

START_TEST(test_symmetrize_semantics)
{
    gr_edges e;
    gr_graph *g = NULL;
    uint32_t u;
    uint64_t loops_in = 0, loops_out = 0, i, bad = 0;
    random_edges(&e, 300, 5000, 5, 1, 0);
    for (i = 0; i < 40; i++) { /* some self-loops, some repeated */
        ck_assert_int_eq(gr_edges_push(&e, (uint32_t)(i % 7), (uint32_t)(i % 7), 1.0 + (double)i,
                                       NULL), GR_OK);
    }
    ck_assert_int_eq(gr_graph_build(&e, 300, GR_BUILD_SYMMETRIZE, &g, NULL), GR_OK);
    ck_assert_int_eq(g->symmetric, 1);
    ck_assert_ptr_eq(g->in_off, g->out_off);
    ck_assert_ptr_eq(g->in_adj, g->out_adj);
    ck_assert_ptr_eq(g->in_w, g->out_w);
    /* Each edge u->v once (no parallel edges left) and v->u once, with the
     * same weight. */
    for (u = 0; u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            uint32_t v = g->out_adj[k];
            uint64_t j, found = 0;
            bad += k > g->out_off[u] && g->out_adj[k - 1] >= v;
            for (j = g->out_off[v]; j < g->out_off[v + 1]; j++) {
                if (g->out_adj[j] == u) {
                    found++;
                    bad += g->out_w[j] != g->out_w[k];
                }
            }
            bad += found != 1;
            loops_out += u == v;
        }
    }
    ck_assert_uint_eq(bad, 0);
    /* Every input edge is there with the lightest weight of all input
     * edges between its two ends. */
    for (i = 0; i < e.m; i++) {
        uint32_t s = e.src[i], d = e.dst[i];
        double want = INFINITY;
        uint64_t j, k;
        for (j = 0; j < e.m; j++) {
            if ((e.src[j] == s && e.dst[j] == d) || (e.src[j] == d && e.dst[j] == s)) {
                want = e.w[j] < want ? e.w[j] : want;
            }
        }
        for (k = g->out_off[s]; k < g->out_off[s + 1] && g->out_adj[k] != d; k++) {
        }
        bad += k == g->out_off[s + 1] || g->out_w[k] != want;
        loops_in += s == d;
    }
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_ge(loops_in, 40);
    ck_assert_uint_le(loops_out, loops_in);
    ck_assert_int_eq(gr_graph_validate(g, NULL), GR_OK);
    gr_graph_free(&g);
    gr_edges_release(&e);
}
END_TEST

START_TEST(test_symmetrize_function)
{
    static const uint32_t ns[] = {400, 90000};
    size_t i;
    for (i = 0; i < 2; i++) {
        gr_edges e;
        gr_graph *g = NULL, *s = NULL, *s2 = NULL;
        gr_error err;
        random_edges(&e, ns[i], 120000, 90 + i, 1, 1);
        ck_assert_int_eq(gr_graph_build(&e, ns[i], 0, &g, NULL), GR_OK);
        gr_error_clear(&err);
        ck_assert_int_eq(gr_graph_symmetrize(g, &s, &err), GR_OK);
        ck_assert_uint_eq(gr_graph_digest(s), digest_build(&e, ns[i], GR_BUILD_SYMMETRIZE));
        ck_assert_int_eq(gr_graph_symmetrize(s, &s2, &err), GR_OK); /* idempotent */
        ck_assert_uint_eq(gr_graph_digest(s2), gr_graph_digest(s));
        gr_graph_free(&g);
        gr_graph_free(&s);
        gr_graph_free(&s2);
        gr_edges_release(&e);
    }
}
END_TEST

/* ---- empty graphs and ids -------------------------------------------- */

START_TEST(test_empty)
{
    gr_edges e;
    gr_graph *g = NULL;
    uint32_t u;
    unsigned f;
    gr_edges_init(&e, 1);
    for (f = 0; f <= GR_BUILD_SYMMETRIZE; f++) {
        ck_assert_int_eq(gr_graph_build(&e, 5, f, &g, NULL), GR_OK);
        ck_assert_uint_eq(g->n, 5);
        ck_assert_uint_eq(g->m, 0);
        for (u = 0; u <= 5; u++) {
            ck_assert_uint_eq(g->out_off[u], 0);
            ck_assert_uint_eq(g->in_off[u], 0);
        }
        ck_assert_ptr_nonnull(g->out_w);
        ck_assert_int_eq(gr_graph_validate(g, NULL), GR_OK);
        gr_graph_free(&g);
        ck_assert_ptr_null(g);
        ck_assert_int_eq(gr_graph_build(&e, 0, f, &g, NULL), GR_OK);
        ck_assert_uint_eq(g->n, 0);
        ck_assert_int_eq(gr_graph_validate(g, NULL), GR_OK);
        gr_graph_free(&g);
    }
    gr_edges_release(&e);
    gr_graph_free(&g); /* NULL is fine */
    gr_graph_free(NULL);
}
END_TEST

/* gr_graph_self_loops flags exactly the nodes with an edge to themselves
 * (from the edge list), counts them, and gives the same on 1 and 2
 * threads, on graphs below and above its parallel threshold. */
START_TEST(test_self_loops)
{
    const int nt0 = gr_threads();
    size_t i;
    int nt;
    for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const uint32_t n = shapes[i].n;
        gr_edges e;
        gr_graph *g = NULL;
        uint8_t *want = calloc(n, 1), *got = malloc(n);
        uint64_t j, count = 0;
        ck_assert(want && got);
        random_edges(&e, n, shapes[i].m, i + 300, 0, 0);
        for (j = 0; j < e.m; j++) {
            if (e.src[j] == e.dst[j] && !want[e.src[j]]) {
                want[e.src[j]] = 1;
                count++;
            }
        }
        ck_assert_int_eq(gr_graph_build(&e, n, 0, &g, NULL), GR_OK);
        for (nt = 1; nt <= 2; nt++) {
            gr_set_threads(nt);
            memset(got, 0xaa, n);
            ck_assert_uint_eq(gr_graph_self_loops(g, got), count);
            ck_assert_int_eq(memcmp(got, want, n), 0);
        }
        ck_assert(shapes[i].m < 4 * (uint64_t)n || count > 0);
        gr_graph_free(&g);
        gr_edges_release(&e);
        free(want);
        free(got);
    }
    gr_set_threads(nt0);
}
END_TEST

START_TEST(test_ids)
{
    static const uint32_t pairs[] = {0, 1, 1, 2, 2, 3, 3, 0};
    static const int64_t orig[] = {10, 20, 35, 36};
    gr_graph *g = tu_graph(4, pairs, 4, NULL, 0), *h = NULL, *s = NULL;
    gr_edges e;
    uint32_t i;
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(gr_graph_orig_id(g, i), i);
        ck_assert_int_eq(gr_graph_dense_id(g, i), i);
    }
    ck_assert_int_eq(gr_graph_dense_id(g, -1), -1);
    ck_assert_int_eq(gr_graph_dense_id(g, 4), -1);
    ck_assert_int_eq(gr_graph_dense_id(g, INT64_MAX), -1);
    gr_edges_init(&e, 0);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(gr_edges_push(&e, pairs[2 * i], pairs[2 * i + 1], 0, NULL), GR_OK);
    }
    ck_assert_int_eq(gr_graph_build_ex(&e, 4, 0, orig, &h, NULL), GR_OK);
    ck_assert_int_eq(gr_graph_validate(h, NULL), GR_OK);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(gr_graph_orig_id(h, i), orig[i]);
        ck_assert_int_eq(gr_graph_dense_id(h, orig[i]), i);
    }
    ck_assert_int_eq(gr_graph_dense_id(h, 21), -1);
    ck_assert_int_eq(gr_graph_dense_id(h, 5), -1);
    ck_assert_int_eq(gr_graph_dense_id(h, 100), -1);
    ck_assert_uint_ne(gr_graph_digest(g), gr_graph_digest(h));
    ck_assert_int_eq(gr_graph_symmetrize(h, &s, NULL), GR_OK);
    ck_assert_ptr_nonnull(s->orig_id);
    ck_assert_int_eq(gr_graph_dense_id(s, 36), 3);
    ck_assert_int_eq(gr_graph_validate(s, NULL), GR_OK);
    gr_graph_free(&s);
    gr_graph_free(&h);
    gr_graph_free(&g);
    gr_edges_release(&e);
}
END_TEST

/* ---- errors ---------------------------------------------------------- */

START_TEST(test_build_errors)
{
    gr_edges e;
    gr_graph *g = (gr_graph *)&e; /* must be reset to NULL */
    gr_error err;
    uint64_t i;
    unsigned f;
    for (f = 0; f <= GR_BUILD_SYMMETRIZE; f++) {
        gr_edges_init(&e, 1);
        ck_assert_int_eq(gr_edges_push(&e, 0, 1, 1.0, NULL), GR_OK);
        ck_assert_int_eq(gr_edges_push(&e, 0, 5, 1.0, NULL), GR_OK);
        gr_error_clear(&err);
        ck_assert_int_eq(gr_graph_build(&e, 3, f, &g, &err), GR_ERR_RANGE);
        ck_assert_str_eq(err.msg, "edge 1 (0 -> 5) names a node >= n=3");
        ck_assert_ptr_null(g);
        e.dst[1] = 2;
        e.src[1] = 3;
        gr_error_clear(&err);
        ck_assert_int_eq(gr_graph_build(&e, 3, f, &g, &err), GR_ERR_RANGE);
        ck_assert_str_eq(err.msg, "edge 1 (3 -> 2) names a node >= n=3");
        e.src[1] = 1;
        e.w[1] = NAN;
        gr_error_clear(&err);
        ck_assert_int_eq(gr_graph_build(&e, 3, f, &g, &err), GR_ERR_INVALID);
        ck_assert_str_eq(err.msg, "edge 1 has a NaN weight");
        ck_assert_int_eq(gr_graph_build(&e, 0, f, &g, &err), GR_ERR_RANGE);
        gr_edges_release(&e);
    }
    /* Among several bad edges the first is named, whatever the threads. */
    random_edges(&e, 1000, 300000, 3, 1, 0);
    e.w[250000] = NAN;
    e.dst[200001] = 1000;
    e.src[100001] = 5000;
    e.dst[100001] = 7;
    e.w[100001] = NAN;
    for (i = 1; i <= 2; i++) {
        int saved = gr_threads();
        gr_set_threads((int)i);
        gr_error_clear(&err);
        ck_assert_int_eq(gr_graph_build(&e, 1000, 0, &g, &err), GR_ERR_RANGE);
        gr_set_threads(saved);
        ck_assert_str_eq(err.msg, "edge 100001 (5000 -> 7) names a node >= n=1000");
    }
    gr_edges_release(&e);
}
END_TEST

/* ---- validation ------------------------------------------------------ */

/* A deep heap copy of g, owned by the test (free with free_copy). */
static gr_graph *copy_graph(const gr_graph *g)
{
    gr_graph *c = calloc(1, sizeof *c);
    size_t off = ((size_t)g->n + 1) * sizeof(uint64_t);
    ck_assert_ptr_nonnull(c);
    *c = *g;
    c->priv_ = NULL;
    c->out_off = malloc(off);
    c->in_off = malloc(off);
    memcpy(c->out_off, g->out_off, off);
    memcpy(c->in_off, g->in_off, off);
    c->out_adj = malloc(g->m * sizeof(uint32_t) + 1);
    c->in_adj = malloc(g->m * sizeof(uint32_t) + 1);
    memcpy(c->out_adj, g->out_adj, g->m * sizeof(uint32_t));
    memcpy(c->in_adj, g->in_adj, g->m * sizeof(uint32_t));
    if (g->out_w) {
        c->out_w = malloc(g->m * sizeof(double) + 1);
        c->in_w = malloc(g->m * sizeof(double) + 1);
        memcpy(c->out_w, g->out_w, g->m * sizeof(double));
        memcpy(c->in_w, g->in_w, g->m * sizeof(double));
    }
    if (g->orig_id) {
        c->orig_id = malloc(g->n * sizeof(int64_t));
        memcpy(c->orig_id, g->orig_id, g->n * sizeof(int64_t));
    }
    return c;
}

static void free_copy(gr_graph *c, double *out_w, double *in_w, uint64_t *out_off)
{
    free(out_off);
    free(c->in_off);
    free(c->out_adj);
    free(c->in_adj);
    free(out_w);
    free(in_w);
    free(c->orig_id);
    free(c);
}

/* Find a row u with two different neighbours at k, k+1 (k returned). */
static uint32_t row_with_two(const gr_graph *g, uint64_t *k)
{
    uint32_t u;
    for (u = 0; u < g->n; u++) {
        uint64_t j;
        for (j = g->out_off[u]; j + 1 < g->out_off[u + 1]; j++) {
            if (g->out_adj[j] != g->out_adj[j + 1]) {
                *k = j;
                return u;
            }
        }
    }
    ck_abort_msg("no row with two neighbours");
    return 0;
}

/* Find a parallel pair with different weights in the CSR. */
static uint32_t row_with_tie(const gr_graph *g, uint64_t *k)
{
    uint32_t u;
    for (u = 0; u < g->n; u++) {
        uint64_t j;
        for (j = g->out_off[u]; j + 1 < g->out_off[u + 1]; j++) {
            if (g->out_adj[j] == g->out_adj[j + 1] && g->out_w[j] < g->out_w[j + 1]) {
                *k = j;
                return u;
            }
        }
    }
    ck_abort_msg("no parallel edges");
    return 0;
}

static void expect_invalid(const gr_graph *c, const char *msg)
{
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_graph_validate(c, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, msg);
}

START_TEST(test_validate_good)
{
    const char *name;
    gr_graph *g;
    int i;
    for (i = 0; (g = tu_case(i, &name)) != NULL; i++) {
        gr_error err;
        gr_error_clear(&err);
        ck_assert_msg(gr_graph_validate(g, &err) == GR_OK, "%s: %s", name, err.msg);
        gr_graph_free(&g);
    }
}
END_TEST

START_TEST(test_validate_corrupt)
{
    gr_edges e;
    gr_graph *g = NULL, *c;
    uint64_t k, m;
    uint32_t u, n = 60;
    char msg[200];
    random_edges(&e, n, 900, 12, 1, 1);
    ck_assert_int_eq(gr_graph_build(&e, n, 0, &g, NULL), GR_OK);
    gr_edges_release(&e);
    m = g->m;

#define FRESH() (c = copy_graph(g))
#define DONE() free_copy(c, c->out_w, c->in_w, c->out_off)
    FRESH();
    ck_assert_int_eq(gr_graph_validate(c, NULL), GR_OK);
    DONE();

    FRESH();
    c->out_off[0] = 1;
    snprintf(msg, sizeof msg, "out-edge offsets do not span 0..%llu", (unsigned long long)m);
    expect_invalid(c, msg);
    DONE();

    FRESH();
    c->in_off[n] = m - 1;
    snprintf(msg, sizeof msg, "in-edge offsets do not span 0..%llu", (unsigned long long)m);
    expect_invalid(c, msg);
    DONE();

    FRESH();
    ck_assert_uint_gt(c->out_off[9], 0);
    c->out_off[10] = c->out_off[9] - 1;
    expect_invalid(c, "out-edge offsets decrease at node 9");
    DONE();

    FRESH();
    k = c->out_off[5];
    c->out_adj[k] = n;
    snprintf(msg, sizeof msg, "out-edge edge %llu names node 60 >= n=60", (unsigned long long)k);
    expect_invalid(c, msg);
    DONE();

    FRESH();
    u = row_with_two(c, &k);
    {
        uint32_t t = c->out_adj[k];
        c->out_adj[k] = c->out_adj[k + 1];
        c->out_adj[k + 1] = t;
    }
    snprintf(msg, sizeof msg, "out-edge row of node %u is not sorted", u);
    expect_invalid(c, msg);
    DONE();

    FRESH();
    u = row_with_tie(c, &k);
    {
        double t = c->out_w[k];
        c->out_w[k] = c->out_w[k + 1];
        c->out_w[k + 1] = t;
    }
    snprintf(msg, sizeof msg, "out-edge row of node %u is not sorted", u);
    expect_invalid(c, msg);
    DONE();

    FRESH();
    c->in_w[3] = c->in_w[3] == 7.5 ? 8.5 : 7.5; /* 7.5 and 8.5 are not in few_w */
    {
        gr_error err;
        gr_error_clear(&err);
        ck_assert_int_eq(gr_graph_validate(c, &err), GR_ERR_INVALID);
        ck_assert_msg(strstr(err.msg, "in-edges are not the transpose of out-edges") ||
                          strstr(err.msg, "in-edge row"),
                      "%s", err.msg);
    }
    DONE();

    FRESH();
    {
        /* Move one CSC edge to another source, keeping rows sorted. */
        uint32_t v;
        int done = 0;
        for (v = 0; v < n && !done; v++) {
            for (k = c->in_off[v]; k < c->in_off[v + 1] && !done; k++) {
                uint32_t lo = k > c->in_off[v] ? c->in_adj[k - 1] : 0;
                if (c->in_adj[k] > lo + 1 || (k == c->in_off[v] && c->in_adj[k] > 0)) {
                    c->in_adj[k]--;
                    done = 1;
                }
            }
        }
        ck_assert(done);
        {
            gr_error err;
            gr_error_clear(&err);
            ck_assert_int_eq(gr_graph_validate(c, &err), GR_ERR_INVALID);
            ck_assert_ptr_nonnull(strstr(err.msg, "in-edges are not the transpose of out-edges"));
        }
    }
    DONE();

    FRESH();
    {
        double *w = c->out_w;
        c->out_w = NULL;
        expect_invalid(c, "graph has weights in one direction only");
        free_copy(c, w, c->in_w, c->out_off);
    }

    FRESH();
    {
        uint64_t *off = c->out_off;
        c->out_off = NULL;
        expect_invalid(c, "graph is missing arrays");
        free_copy(c, c->out_w, c->in_w, off);
    }

    FRESH();
    c->orig_id = malloc(n * sizeof(int64_t));
    for (u = 0; u < n; u++) {
        c->orig_id[u] = 3 * (int64_t)u;
    }
    ck_assert_int_eq(gr_graph_validate(c, NULL), GR_OK);
    c->orig_id[7] = c->orig_id[6];
    expect_invalid(c, "original ids are not increasing at node 7");
    DONE();
#undef FRESH
#undef DONE
    gr_graph_free(&g);
}
END_TEST

/* ---- allocation failures --------------------------------------------- */

static void nomem_build(const gr_edges *e, uint32_t n, unsigned flags)
{
    uint64_t want = digest_build(e, n, flags);
    gr_graph *g = NULL;
    gr_error err;
    long k;
    int rc;
    for (k = 0;; k++) {
        gr_error_clear(&err);
        gr_mem_fail_after(k);
        rc = gr_graph_build(e, n, flags, &g, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_int_eq(err.code, GR_ERR_NOMEM);
        ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
        ck_assert_ptr_null(g);
        ck_assert_int_lt(k, 200);
    }
    ck_assert_int_gt(k, 3);
    ck_assert_uint_eq(gr_graph_digest(g), want);
    gr_graph_free(&g);
}

START_TEST(test_nomem)
{
    static const uint32_t ns[] = {500, 80000};
    size_t i;
    for (i = 0; i < 2; i++) {
        gr_edges e;
        gr_graph *g = NULL, *s = NULL;
        gr_error err;
        uint64_t want;
        long k;
        int rc;
        random_edges(&e, ns[i], 100000, 30 + i, 1, 1);
        nomem_build(&e, ns[i], 0);
        nomem_build(&e, ns[i], GR_BUILD_SYMMETRIZE);
        ck_assert_int_eq(gr_graph_build(&e, ns[i], 0, &g, NULL), GR_OK);
        want = digest_build(&e, ns[i], GR_BUILD_SYMMETRIZE);
        for (k = 0;; k++) {
            gr_error_clear(&err);
            gr_mem_fail_after(k);
            rc = gr_graph_symmetrize(g, &s, &err);
            gr_mem_fail_after(-1);
            if (rc == GR_OK) {
                break;
            }
            ck_assert_int_eq(rc, GR_ERR_NOMEM);
            ck_assert_ptr_null(s);
            ck_assert_int_lt(k, 200);
        }
        ck_assert_uint_eq(gr_graph_digest(s), want);
        gr_graph_free(&s);
        gr_graph_free(&g);
        gr_edges_release(&e);
    }
}
END_TEST

static Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_directed_vs_ref);
    tcase_add_test(tc, test_symmetric_vs_ref);
    tcase_add_test(tc, test_long_parallel_runs);
    tcase_add_test(tc, test_signed_zero);
    tcase_add_test(tc, test_order_invariance);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_nested_parallel);
    tcase_add_test(tc, test_symmetrize_semantics);
    tcase_add_test(tc, test_symmetrize_function);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_self_loops);
    tcase_add_test(tc, test_ids);
    tcase_add_test(tc, test_build_errors);
    tcase_add_test(tc, test_validate_good);
    tcase_add_test(tc, test_validate_corrupt);
    tcase_add_test(tc, test_nomem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(graph_suite()); }
