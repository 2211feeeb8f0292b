/*
 * kernels.h - whole-vector kernels shared by every execution mode.
 *
 * The step executor (step.c) calls these once per op over whole node
 * vectors; the batched and fused interpreters call the same functions, on
 * whole vectors or on ranges of them, so every mode computes every op with
 * the same code and gets the same bits.  Kernels are plain functions over
 * raw arrays, lengths, element kinds and a thread policy: they know nothing
 * of gr_val, slots or plans.  Element-wise results are computed only through
 * the gr_sem_f_<ID> / gr_sem_i_<ID> functions of ir/sem.h.
 *
 * Representations (the engine's, everywhere):
 *   f64 / f64v   double             (GR_EK_F64)
 *   i64 / i64v   int64_t            (GR_EK_I64)
 *   bool / mask  uint8_t, 0 or 1    (GR_EK_U8)
 * A scalar operand is one element, broadcast over the vector.
 *
 * Determinism: every kernel gives the same result for any thread count.
 * f64 sums (reduce_sum, reduce_mean, dist_l1) add fixed blocks of
 * GR_K_RED_BLOCK consecutive elements in index order from 0.0 and then add
 * the block partials in block order from 0.0; min/max fold left in index
 * order with gr_fmin/gr_fmax (NaN wins); scatter_* apply updates in
 * increasing u (only order-independent cases run in parallel); aggregation
 * combines each node's messages sequentially in edge order.
 *
 * Nothing here allocates except gr_k_agg (per-thread scratch for mode, an
 * f64 copy of x for weight messages over integer vectors, a bitmap of a
 * pulled bool x), which reports GR_ERR_NOMEM.
 */
#ifndef GR_EXEC_KERNELS_H
#define GR_EXEC_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gr.h"

/* Element kinds in memory. */
typedef enum gr_ek {
    GR_EK_F64 = 0,   /* double */
    GR_EK_I64 = 1,   /* int64_t */
    GR_EK_U8 = 2     /* uint8_t holding 0 or 1 (bools, masks) */
} gr_ek;

/* The element kind of a value type (scalar or vector); GR_EK_F64 for
 * GR_T_NONE. */
static inline gr_ek gr_k_kind(gr_type t)
{
    switch (t) {
    case GR_T_I64:
    case GR_T_I64V:
        return GR_EK_I64;
    case GR_T_BOOL:
    case GR_T_MASK:
        return GR_EK_U8;
    default:
        return GR_EK_F64;
    }
}

/* Bytes per element of a kind (8, 8, 1). */
static inline size_t gr_k_size(gr_ek ek) { return ek == GR_EK_U8 ? 1 : 8; }

/* Thread policy of one kernel call.  threads: 0 = the library's setting
 * (gr_threads()), 1 = sequential (e.g. when the caller already runs inside
 * its own parallel region), k = at most k threads.  A kernel opens a
 * parallel region only when its work is large enough to pay for it. */
typedef struct gr_kpol {
    int threads;
} gr_kpol;

/* Element-wise work below this many elements runs on one thread. */
#define GR_K_PAR_MIN 16384
/* The f64 summation block (part of the semantics, see above). */
#define GR_K_RED_BLOCK 4096

/* One element-wise operand: n elements at p, or (scalar) one element at p
 * broadcast over the n. */
typedef struct gr_kin {
    const void *p;   /* elements (kind ek) */
    gr_ek ek;        /* kind of the elements at p */
    int scalar;      /* 1: broadcast p[0] */
} gr_kin;

/* A scalar result of a reduction: f for GR_EK_F64, i for GR_EK_I64 and
 * GR_EK_U8 (0/1). */
typedef union gr_kscalar {
    double f;
    int64_t i;
} gr_kscalar;

/* --- element-wise ops ------------------------------------------------ */

/* The kind an element-wise op computes in, for operands of kinds in[]:
 * f64 for pow/sqrt/exp/log/recip and to_f64; for arithmetic, comparisons
 * and where's two values f64 when any operand is f64, else i64; u8 for
 * and/or/not; to_i64 and to_bool compute in their operand's kind.  Every
 * mode uses this same choice (i64 operands are converted to f64 on the fly
 * when it is f64). */
gr_ek gr_k_ew_compute(gr_opcode op, const gr_ek *in, int nargs);

/* out[0..n) = op(in[0], in[1], in[2]) element by element, computed in kind
 * cek through gr_sem_f_<op> (f64) or gr_sem_i_<op> (i64, u8) and stored as
 * oek: f64 results stored as i64 saturate like to_i64 (gr_f2i), anything
 * stored as u8 is `!= 0`.  Operands of another kind than cek are converted
 * on the fly (i64/u8 -> f64 exactly as C does; f64 -> i64 by gr_f2i).
 * out may be one of the vector operands (in place) but must not overlap
 * them otherwise.  Returns 0, or -1 when op is not element-wise. */
int gr_k_ew(gr_opcode op, gr_ek cek, const gr_kin *in, int nargs, void *out,
            gr_ek oek, size_t n, gr_kpol pol);

/* Convert n elements of kind sek at src into kind dek at dst (f64 -> i64 by
 * gr_f2i, anything -> u8 by != 0).  src == dst is allowed when the kinds
 * are equal. */
void gr_k_convert(const void *src, gr_ek sek, void *dst, gr_ek dek, size_t n,
                  gr_kpol pol);

/* --- sources ------------------------------------------------------------ */

/* out[0..n) = *val (one element of kind ek). */
void gr_k_fill(void *out, gr_ek ek, const void *val, size_t n, gr_kpol pol);
/* out[v] = v. */
void gr_k_node_index(int64_t *out, size_t n, gr_kpol pol);
/* out[v] = g's original id of v (v itself when the graph has none). */
void gr_k_node_id(const gr_graph *g, int64_t *out, gr_kpol pol);
/* out[v] = out-degree, in-degree or their sum: op is GR_OP_OUT_DEGREE,
 * GR_OP_IN_DEGREE or GR_OP_DEGREE.  Returns -1 for any other op. */
int gr_k_degree(const gr_graph *g, gr_opcode op, int64_t *out, gr_kpol pol);
/* out[v] = v's out-neighbour number k in edge order (its CSR row's entry
 * k, a dense index), or v itself when k < 0 or v has at most k out-edges. */
void gr_k_out_nbr(const gr_graph *g, int64_t k, int64_t *out, gr_kpol pol);

/* --- gather / scatter ---------------------------------------------------- */

/* out[v] = x[idx[v]] for v < n, 0 where idx[v] is outside [0, nx); x has
 * nx elements of kind xek, out has n of kind oek (converted if they
 * differ). */
void gr_k_gather(const void *x, gr_ek xek, size_t nx, const int64_t *idx,
                 void *out, gr_ek oek, size_t n, gr_kpol pol);

/* out = a (n elements), then for u = 0, 1, ..., n-1 in that order, where
 * 0 <= idx[u] < n:  out[idx[u]] = f(out[idx[u]], c[u]) with f = gr_fmin /
 * gr_fmax / + (f64), min / max / wrapping + (i64), and / or / or (u8) for
 * op = GR_OP_SCATTER_MIN / _MAX / _SUM.  a and c (vectors or scalars) are
 * converted to oek.  out may not alias a vector operand unless it is a
 * itself.  Runs in parallel only for i64 min/max (order-independent).
 * Returns -1 for any other op. */
int gr_k_scatter(gr_opcode op, gr_kin a, const int64_t *idx, gr_kin c, void *out,
                 gr_ek oek, size_t n, gr_kpol pol);

struct gr_kagg;

/* One operand of link: an i64 vector; or, instead of a vector written
 * first, out_nbr(nbr) of the graph read from its rows as the links are
 * made, or an aggregation (min or max of i64 messages, its empty value
 * out of range) computed a block of nodes at a time by gr_k_agg_rows. */
typedef struct gr_klink {
    const int64_t *v;            /* the vector; NULL: agg, or else out_nbr(nbr) */
    int64_t nbr;
    const struct gr_kagg *agg;   /* with v NULL: the aggregation, or NULL */
} gr_klink;

/* out[v] = the smallest u joined to v by the links w - x[j](w) of every
 * w and every operand j < nx (entries outside [0, n) link nothing): the
 * connected components of that undirected pointer graph, each labelled by
 * its smallest node.  link(a, b) is nx = 2; link(link(a, b), c) has the
 * components of nx = 3 (a, b, c), which the plan passes at once.
 * Union-find, the larger root always hooked under the smaller
 * (Afforest's link; lock-free compare-and-swap when parallel), then every
 * node pointed at its root: the result is the same for any thread count
 * and order.  g is read only by out_nbr operands (it may be NULL when
 * there are none).  out (n elements) must not alias an operand. */
void gr_k_link(const gr_graph *g, const gr_klink *x, int nx, int64_t *out, size_t n,
               gr_kpol pol);

/* --- reductions ------------------------------------------------------- */

/* Reduce n elements of kind xek with op (GR_OP_REDUCE_SUM, _MIN, _MAX,
 * _MEAN, COUNT, ANY, ALL) into a scalar of kind oek:
 *   sum   f64: blocked (see above); i64: wrapping; u8: the count of ones when
 *         oek is i64, their or when oek is u8
 *   min, max  f64: NaN if any element is NaN, +inf / -inf when n == 0;
 *         i64: INT64_MAX / INT64_MIN when n == 0; u8: and / or
 *   mean  sum / n as f64 (the i64 sum wraps, then converts; NaN when n == 0)
 *   count number of non-zero elements (NaN counts), i64
 *   any / all  some / every element non-zero (all is true when n == 0)
 * Returns -1 for an op that is not one of these. */
int gr_k_reduce(gr_opcode op, const void *x, gr_ek xek, size_t n, gr_ek oek,
                gr_kscalar *out, gr_kpol pol);

/* dist_l1 (blocked sum of |a[v] - b[v]|) or dist_linf (largest |a[v] -
 * b[v]|, NaN if any difference is NaN, 0 when n == 0), elements converted
 * to f64.  op is GR_OP_DIST_L1 or GR_OP_DIST_LINF; NAN for any other. */
double gr_k_dist(gr_opcode op, const void *a, gr_ek aek, const void *b, gr_ek bek,
                 size_t n, gr_kpol pol);

/* --- neighbour aggregation (agg.c) ---------------------------------------- */

/* out[v] for every node v of g: the monoid over the messages v receives in
 * direction dir, x having g->n elements of kind xek, out g->n of kind oek
 * (the result type's kind, from gr_agg_result_type).
 *
 *   in    messages from u for every in-edge u->v (CSC row of v, in order)
 *   out   messages from w for every out-edge v->w (CSR row of v, in order)
 *   both  the in-row, then the out-row without its self-loops, so a
 *         self-loop counts once
 *   self  the node's own value x[v] is one more message, before the edges
 *
 * Message of edge e from u: x[u], x[u] + w(e), x[u] * w(e) or w(e), with
 * w(e) the edge weight (1.0 when the graph is unweighted); weight messages
 * are f64 (x converted).  Monoids (empty = no message at all):
 *   sum   from 0 in edge order (f64: left to right; i64: wrapping; u8: or)
 *   min   gr_fmin fold from +inf (NaN wins) / INT64_MAX / true (and)
 *   max   gr_fmax fold from -inf / INT64_MIN / false (or)
 *   mean  f64 sum / count, 0 when empty
 *   count number of non-zero messages, i64
 *   any   some message non-zero
 *   mode  the most frequent message (as i64), ties to the lowest; when
 *         empty the node's own value
 * When oek is not the monoid's natural kind (sum/min/max follow oek) the
 * messages are converted to oek first (f64 -> i64 by gr_f2i).
 * Parallel over nodes (dynamic chunks, for skewed degrees); each node is
 * computed sequentially, so results do not depend on the thread count.
 * out must not overlap x.
 * GR_OK, GR_ERR_NOMEM or GR_ERR_INVALID (bad enum) with a message. */
int gr_k_agg(const gr_graph *g, gr_dir dir, gr_monoid mon, gr_msg msg, int self,
             const void *x, gr_ek xek, void *out, gr_ek oek, gr_kpol pol,
             gr_error *err);

/* The same aggregation in three steps, for callers that keep their
 * scratch outside loops and aggregate a range of nodes at a time (the plan
 * interpreter): gr_k_agg is gr_k_agg_scratch, the allocations,
 * gr_k_agg_prepare and gr_k_agg_run.
 *
 * A masked aggregation (mask != NULL: one byte per receiving node) gives
 * the monoid's empty value where mask[v] is 0 -- 0, +inf / INT64_MAX /
 * true, -inf / INT64_MIN / false, 0, 0, false, and x[v] for mode -- without
 * reading v's edges; elsewhere the same result as unmasked. */
typedef struct gr_kagg {
    const gr_graph *g;       /* the graph (borrowed) */
    int dir;                 /* gr_dir */
    int self;                /* own value first */
    int form;                /* message form (private to agg.c) */
    int acc;                 /* accumulator (private to agg.c) */
    const double *xf;        /* x as f64 (x itself or the conversion buffer) */
    const int64_t *xi;       /* x as i64 */
    const uint8_t *xb;       /* x as bytes */
    const double *win;       /* CSC weights, NULL when unweighted */
    const double *wout;      /* CSR weights */
    const uint8_t *mask;     /* receivers, or NULL for every node */
    gr_ek oek;               /* result kind */
    int64_t *mkey;           /* mode: per-thread key tables, mcap each */
    uint32_t *mcnt;          /* mode: per-thread count tables */
    size_t mcap;             /* mode: slots per thread */
    const uint32_t *x32;     /* mode: x - x32base narrowed (gr_k_agg_narrow), or NULL */
    int64_t x32base;         /* the smallest element of x */
    const uint64_t *xbits;   /* a bool x packed one bit per node (gr_k_agg_pack), or NULL */
    const uint32_t *xlist;   /* set by the caller after gr_k_agg_prepare when known: the
                                nodes whose x is non-zero, each once (xnnz of them), else
                                NULL; pushes then read only their rows */
    size_t xnnz;             /* entries of xlist */
    const uint8_t *loops;    /* set by the caller after gr_k_agg_prepare when known:
                                n flags, 1 where the node has an edge to itself
                                (gr_graph_self_loops), else NULL; a narrowed mode over
                                both directions then drops out-row self-loops only in
                                the rows that have one */
    int mask_later;          /* set by the caller when the receivers will be masked
                                though mask is NULL (a mask kernel run on a push's
                                receivers or per lane of a pull): the push / pull
                                choice counts the cost of a mask */
} gr_kagg;

/* What an aggregation needs besides its operands: *conv doubles for an
 * f64 copy of x (0 when x is read as it is) and *mode_slots table slots per
 * thread (0 unless mon is mode; one int64_t and one uint32_t each).  The
 * mode size scans the degrees (O(n)). */
void gr_k_agg_scratch(const gr_graph *g, gr_dir dir, gr_monoid mon, gr_msg msg, int self,
                      gr_ek xek, size_t *conv, size_t *mode_slots);

/* Set J up: conv (at least *conv doubles of gr_k_agg_scratch, else NULL)
 * receives the f64 copy of x now; mkey / mcnt hold mcap >= *mode_slots
 * slots for each thread that will call gr_k_agg_rows (tid below that
 * count).  J borrows everything.  GR_OK or GR_ERR_INVALID (bad enum, NULL
 * operand, missing scratch). */
int gr_k_agg_prepare(gr_kagg *J, const gr_graph *g, gr_dir dir, gr_monoid mon, gr_msg msg,
                     int self, const void *x, gr_ek xek, const uint8_t *mask, gr_ek oek,
                     double *conv, int64_t *mkey, uint32_t *mcnt, size_t mcap, gr_kpol pol,
                     gr_error *err);

/* For an i64 mode over x (form x): when every x[v] - base fits below
 * UINT32_MAX, write those differences into buf (n uint32, owned by the
 * caller, kept alive while J is used) and make J count them as uint32
 * (the same results, fewer bytes per random read); returns 1.  Otherwise,
 * and for every other aggregation, J is left reading x; returns 0.  O(n),
 * parallel per pol; call again whenever x changes.  base is *base when
 * *have_base and every x[v] fits (one pass: a mode's results are among
 * its messages, so the base of an aggregation's last call mostly fits its
 * next one), else min(x), which then goes to *base with *have_base = 1
 * (two passes). */
int gr_k_agg_narrow(gr_kagg *J, uint32_t *buf, int64_t *base, int *have_base, gr_kpol pol);

/* For a bool x that J only tests for non-zero (any, count, bool sum /
 * min / max over x): pack x into bits ((n + 63) / 64 words, owned by the
 * caller, kept alive while J is used), bit u of word u / 64 being x[u] != 0,
 * and make J read them (the same results, an eighth of the bytes per
 * random read: a pulled frontier stays in cache); returns 1.  Otherwise J
 * is left reading x; returns 0.  A packed J is pulled, never pushed.  O(n),
 * parallel per pol; call again whenever x changes. */
int gr_k_agg_pack(gr_kagg *J, uint64_t *bits, gr_kpol pol);

/* The results of nodes [lo, hi) into out[0 .. hi-lo) (kind J->oek: out
 * points at node lo's element), sequentially, on the calling thread, with
 * mode table tid.  out must not overlap x. */
void gr_k_agg_rows(const gr_kagg *J, uint32_t lo, uint32_t hi, void *out, int tid);

/* gr_k_agg_rows with the receivers' mask given here instead of J's (which
 * is ignored): node v's byte at mask[v - lo], or mask NULL for every node
 * (a mask computed lane by lane, as the plan's fused masks are). */
void gr_k_agg_rows_mask(const gr_kagg *J, uint32_t lo, uint32_t hi, void *out, int tid,
                        const uint8_t *mask);

/* Messages computed by the caller, edge by edge (AGG_FUSED): for a chunk
 * of count edges, fn writes the message of edge e, from source src[e] with
 * weight w[e] (1.0 when the graph is unweighted), into msg[e] (kind mek),
 * on thread tid.  The buffers hold cap edges and are the calling thread's;
 * dst receives each edge's receiver. */
typedef void (*gr_kmsg_fn)(void *ctx, const uint32_t *src, const double *w, size_t count,
                           void *msg, int tid);

typedef struct gr_kmsgs {
    gr_kmsg_fn fn;           /* computes a chunk's messages */
    void *ctx;               /* its context */
    uint32_t *src;           /* [cap] sources */
    uint32_t *dst;           /* [cap] receivers */
    double *w;               /* [cap] weights */
    void *msg;               /* [cap] messages, of J's x kind */
    size_t cap;              /* edges per chunk */
} gr_kmsgs;

/* The results of nodes [lo, hi) into out[0 .. hi-lo) like gr_k_agg_rows,
 * with the message of each edge computed by M instead of read from x: J is
 * prepared with msg x over a vector of the messages' kind (x itself is not
 * read, except as a mode node's own value when it gets no message; J must
 * not count self).  Edges come in agg_node's order, each node's messages
 * are combined in that order: the results are those of gr_k_agg_rows over
 * a vector holding every edge's message. */
void gr_k_agg_rows_msg(const gr_kagg *J, uint32_t lo, uint32_t hi, void *out, int tid,
                       const gr_kmsgs *M);

/* Whether J may be pushed (any over x, i64 or bool min over x: monoids
 * whose result does not depend on the order of the messages). */
int gr_k_agg_can_push(const gr_kagg *J);

/* Whether pushing J pays: it can be pushed and the senders whose message is
 * not the monoid's identity have few edges next to the receivers' pull
 * edges (GraphBLAS's push/pull choice).  Reads x and the mask (O(n), with
 * an early exit when x is dense). */
int gr_k_agg_push_pays(const gr_kagg *J, gr_kpol pol);

/* gr_k_agg_push_pays, and when pushing pays, *edges (may be NULL) = the
 * edges the push reads (its senders' rows, counted on the way; UINT64_MAX
 * when it does not pay). */
int gr_k_agg_push_cost(const gr_kagg *J, gr_kpol pol, uint64_t *edges);

/* Whether J can be pushed by gr_k_agg_push_list: any (gr_k_agg_can_push)
 * into a bool result, without self. */
int gr_k_agg_can_push_list(const gr_kagg *J);

/* The push of J (gr_k_agg_can_push_list) into out (g->n bytes), which
 * also lists the receivers whose result is true in olist (g->n entries),
 * each once, in an order that depends on the threads; returns their
 * number, or SIZE_MAX when they are more than cap (olist then holds
 * nothing useful; out is complete either way, and the push goes on
 * without listing, at the cost of plain stores).  Senders are J->xlist
 * when set (then, besides clearing out, the push costs O(their edges):
 * nothing else is scanned), else found by scanning x.  Receivers are
 * claimed by an atomic exchange on their byte when threads share the
 * push (a plain store on one thread), so the set listed does not depend on
 * the thread count. */
size_t gr_k_agg_push_list(const gr_kagg *J, uint8_t *out, uint32_t *olist, size_t cap,
                          gr_kpol pol);

/* The nodes v < n whose byte m[v] is non-zero, in node order, into lst
 * (room for n); returns their number.  Reads m a word of 64 bytes at a
 * time. */
size_t gr_k_list_true(const uint8_t *m, size_t n, uint32_t *lst);

/* Every node's result into out (g->n elements): pull over the receivers
 * in parallel (dynamic chunks), or push along the senders' edges: push < 0
 * chooses by gr_k_agg_push_pays, 0 pulls, 1 pushes (only when
 * gr_k_agg_can_push).  Both give the same results.  Mode tables are
 * indexed by OpenMP thread number (below pol's thread count). */
void gr_k_agg_run(const gr_kagg *J, void *out, int push, gr_kpol pol);

/* --- print ------------------------------------------------------------- */

/* The one-line summary print writes for a value of type t (n elements at
 * data, one for a scalar), the same in every mode:
 *   "f64 0.5", "i64 -3", "bool true",
 *   "f64v[5] 0.1 0.2 0.3 0.4 0.5", "mask[12] 0 1 1 0 0 0 0 1 ..."
 * (the first 8 elements; f64 with %.17g), then a newline.  Scalars are one
 * element at data (a bool is one uint8_t). */
void gr_k_print(FILE *f, gr_type t, const void *data, size_t n);

#endif
