/*
 * gr.h - the public interface of libgr, grperf's graph-algorithm engine.
 *
 * This header is what users of the installed library include.  It declares
 * the status codes and error record every call reports through, the graph
 * (CSR out-edges plus CSC in-edges), the loaders, generators and spec
 * strings that make graphs, and the native algorithm library.
 *
 * Conventions (see shared/STYLE.md):
 *  - functions return an int status: GR_OK (0) or a negative gr_status;
 *  - every function that can fail takes a caller-supplied gr_error *err
 *    (may be NULL) that receives a one-line message and, for parsers, the
 *    file:line:col where the problem was found;
 *  - objects are created by gr_X_new/load/build into a T ** out-parameter
 *    and freed by gr_X_free(T **), which NULLs the pointer; the caller owns
 *    everything a function returns through an out-parameter.
 */
#ifndef GR_H
#define GR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Status codes and errors                                             */
/* ------------------------------------------------------------------ */

typedef enum gr_status {
    GR_OK = 0,
    GR_ERR_NOMEM = -1,   /* an allocation failed */
    GR_ERR_IO = -2,      /* a file could not be opened, read or written */
    GR_ERR_PARSE = -3,   /* malformed text input (program, graph, spec) */
    GR_ERR_INVALID = -4, /* an argument or value is not acceptable */
    GR_ERR_RANGE = -5,   /* a number is out of its allowed range */
    GR_ERR_FORMAT = -6,  /* a binary file has the wrong magic/version/checksum */
    GR_ERR_EMPTY = -7,   /* the input holds no graph */
    GR_ERR_TYPE = -8,    /* a value has the wrong type */
    GR_ERR_INTERNAL = -9 /* a can't-happen condition was detected */
} gr_status;

#define GR_ERROR_MSG_MAX 512
#define GR_ERROR_FILE_MAX 256

/* An error record, filled by the first failing call that receives it. */
typedef struct gr_error {
    int code;                      /* a gr_status, GR_OK when no error */
    char file[GR_ERROR_FILE_MAX];  /* file or source name, "" if none */
    long line;                     /* 1-based line, 0 if not applicable */
    long col;                      /* 1-based column, 0 if not applicable */
    char msg[GR_ERROR_MSG_MAX];    /* the message, without location */
} gr_error;

/* Reset an error record to "no error". */
void gr_error_clear(gr_error *err);

/* Format err as one line, "file:line:col: msg" (parts that are unset are
 * left out) into buf of size n; returns buf. */
const char *gr_error_format(const gr_error *err, char *buf, size_t n);

/* A short constant name for a status ("out of memory", ...). */
const char *gr_status_name(int status);

/* ------------------------------------------------------------------ */
/* Graphs                                                               */
/* ------------------------------------------------------------------ */

/* A directed graph with both out-edges (CSR) and in-edges (CSC).
 * Node ids are dense, 0..n-1.  Within every row the neighbours are sorted
 * by id (ties, i.e. parallel edges, by weight), so a graph built from the
 * same edges is byte-identical whatever their order or the thread count.
 * Parallel edges and self-loops are kept.  The fields are read-only for
 * users; the graph owns every array (heap or a mapped snapshot). */
typedef struct gr_graph {
    uint32_t n;          /* number of nodes */
    uint64_t m;          /* number of directed edges (after symmetrizing) */
    uint64_t *out_off;   /* n+1 offsets into out_adj / out_w */
    uint32_t *out_adj;   /* m targets, row u = out_adj[out_off[u]..out_off[u+1]) */
    double *out_w;       /* m weights, or NULL when the graph is unweighted */
    uint64_t *in_off;    /* n+1 offsets into in_adj / in_w */
    uint32_t *in_adj;    /* m sources, row v = in_adj[in_off[v]..in_off[v+1]) */
    double *in_w;        /* m weights, or NULL */
    int64_t *orig_id;    /* n original (input file) ids, increasing; NULL = identity */
    int symmetric;       /* 1 when every edge (u,v) has its reverse (v,u) */
    void *priv_;         /* private: storage bookkeeping (heap or mmap) */
} gr_graph;

/* A growable list of directed edges, the input to gr_graph_build. */
typedef struct gr_edges {
    uint64_t m;          /* edges held */
    uint64_t cap;        /* capacity */
    uint32_t *src;       /* m sources */
    uint32_t *dst;       /* m targets */
    double *w;           /* m weights (NULL until reserved, or unweighted) */
    int weighted;        /* 1 when every edge carries a weight */
} gr_edges;

/* Flags for gr_graph_build. */
enum {
    GR_BUILD_SYMMETRIZE = 1u << 0 /* add (v,u) for every (u,v), u != v */
};

/* Initialise an empty edge list; weighted != 0 keeps a weight per edge. */
void gr_edges_init(gr_edges *e, int weighted);
/* Reserve room for cap edges in total.  GR_OK or GR_ERR_NOMEM. */
int gr_edges_reserve(gr_edges *e, uint64_t cap, gr_error *err);
/* Append one edge (w ignored when unweighted).  GR_OK or GR_ERR_NOMEM. */
int gr_edges_push(gr_edges *e, uint32_t src, uint32_t dst, double w, gr_error *err);
/* Release the arrays; e may be reused after gr_edges_init. */
void gr_edges_release(gr_edges *e);

/* Build CSR and CSC from an edge list over nodes 0..n-1 with a parallel
 * counting sort.  Every endpoint must be < n (GR_ERR_RANGE otherwise).
 * The edge list is not modified.  *out receives a graph the caller frees
 * with gr_graph_free. */
int gr_graph_build(const gr_edges *e, uint32_t n, unsigned flags,
                   gr_graph **out, gr_error *err);

/* Free a graph (heap or mapped) and set *g to NULL.  NULL is allowed. */
void gr_graph_free(gr_graph **g);

/* A symmetrized copy of g (every edge u->v gains v->u; self-loops are not
 * doubled).  The original ids are kept. */
int gr_graph_symmetrize(const gr_graph *g, gr_graph **out, gr_error *err);

/* Check every structural invariant (offsets monotone, ids < n, rows sorted,
 * CSC the transpose of CSR).  GR_OK or GR_ERR_INVALID with a message. */
int gr_graph_validate(const gr_graph *g, gr_error *err);

/* The original (input) id of dense node u. */
static inline int64_t gr_graph_orig_id(const gr_graph *g, uint32_t u)
{
    return g->orig_id ? g->orig_id[u] : (int64_t)u;
}

/* The dense id of original id `orig`, or -1 when no node has that id. */
int64_t gr_graph_dense_id(const gr_graph *g, int64_t orig);

/* A 64-bit digest of the graph's structure and weights (not its storage). */
uint64_t gr_graph_digest(const gr_graph *g);

/* Bytes of memory the graph's arrays take. */
size_t gr_graph_bytes(const gr_graph *g);

/* --- loaders ----------------------------------------------------- */

typedef enum gr_format {
    GR_FORMAT_AUTO = 0,     /* by extension, then by content */
    GR_FORMAT_EDGELIST,     /* SNAP-style text edge list */
    GR_FORMAT_MTX,          /* Matrix Market coordinate */
    GR_FORMAT_SNAPSHOT      /* grperf binary snapshot (.grs) */
} gr_format;

/* Load a graph file.  Edge lists: one edge "src dst [weight]" per line,
 * separated by whitespace or commas, '#' and '%' comment lines; ids are
 * non-negative integers < 2^63 and need not be dense: dense ids are
 * assigned in increasing order of the original ids (orig_id leads back).
 * Matrix Market: coordinate general/symmetric, pattern/real/integer; entry
 * (i,j) is the edge i->j; every row 1..N is a node, and the original id of
 * dense node u is its 1-based file id u+1.  Snapshots are mapped with mmap.
 * Errors name the file and line.  flags: GR_BUILD_SYMMETRIZE. */
int gr_graph_load(const char *path, gr_format fmt, unsigned flags,
                  gr_graph **out, gr_error *err);

/* Write g as a binary snapshot (magic, version, checksum), atomically
 * (a temporary file renamed over path). */
int gr_graph_save_snapshot(const gr_graph *g, const char *path, gr_error *err);

/* Write g as a text edge list with original ids ("src dst [w]" lines). */
int gr_graph_save_edgelist(const gr_graph *g, const char *path, gr_error *err);

/* --- generators ---------------------------------------------------- */

/* Uniform random directed multigraph G(n,m): m edges whose endpoints are
 * independent and uniform over 0..n-1 (self-loops and parallel edges can
 * occur).  Deterministic by seed on every machine and thread count. */
int gr_gen_uniform(uint32_t n, uint64_t m, uint64_t seed, gr_edges *out,
                   gr_error *err);

/* R-MAT / Kronecker edges over n = 2^scale nodes, m = edgefactor * n, with
 * quadrant probabilities a, b, c (d = 1-a-b-c) and node ids scrambled by a
 * seeded permutation, as Graph500 does.  Deterministic by seed. */
int gr_gen_rmat(unsigned scale, unsigned edgefactor, double a, double b,
                double c, uint64_t seed, gr_edges *out, gr_error *err);

/* Random weights for every edge of `e`, uniform in [lo, hi), by seed.
 * Turns an unweighted list into a weighted one. */
int gr_gen_weights(gr_edges *e, double lo, double hi, uint64_t seed,
                   gr_error *err);

/* --- graph spec strings ------------------------------------------ */

/* A parsed graph spec: "uniform:n=1000,m=5000,seed=42",
 * "rmat:scale=20,ef=16,seed=1", or a file path.  Common keys: sym=0|1
 * (symmetrize), weights=none|unit|uniform (random in [1,10) by seed),
 * format=auto|edgelist|mtx|snapshot (paths only, written "path" alone or
 * "file:path,sym=1,..."). */
typedef struct gr_spec {
    enum { GR_SPEC_UNIFORM, GR_SPEC_RMAT, GR_SPEC_FILE } kind;
    uint32_t n;              /* uniform: nodes */
    uint64_t m;              /* uniform: edges */
    unsigned scale;          /* rmat: log2 nodes */
    unsigned ef;             /* rmat: edge factor */
    double a, b, c;          /* rmat: quadrant probabilities */
    uint64_t seed;           /* generators: PRNG seed */
    int sym;                 /* symmetrize */
    int weights;             /* 0 none, 1 unit, 2 uniform random */
    gr_format format;        /* file: format */
    char path[1024];         /* file: path */
} gr_spec;

/* Parse a spec string.  GR_ERR_PARSE with a message naming the bad key or
 * value on error. */
int gr_spec_parse(const char *text, gr_spec *out, gr_error *err);

/* Print a spec in canonical form ("uniform:n=1000,m=5000,seed=42"). */
const char *gr_spec_format(const gr_spec *s, char *buf, size_t n);

/* Make the graph a spec names (generate or load). */
int gr_spec_graph(const gr_spec *s, gr_graph **out, gr_error *err);

/* ------------------------------------------------------------------ */
/* Native algorithms                                                    */
/* ------------------------------------------------------------------ */

/* Which implementation: the language's formulation, or the fastest known. */
typedef enum gr_native_kind {
    GR_NATIVE = 0,   /* same formulation as the .grl algorithm */
    GR_BEST = 1      /* fastest known algorithm for the same result */
} gr_native_kind;

/* Result vectors are caller-allocated arrays of g->n elements.
 * *iters (may be NULL) receives the number of iterations run. */

/* PageRank, networkx conventions: pull over in-edges, dangling rank spread
 * uniformly, stop when the L1 change < n*tol or after max_iter. */
int gr_native_pagerank(const gr_graph *g, gr_native_kind kind, double damping,
                       double tol, int64_t max_iter, double *rank,
                       int64_t *iters, gr_error *err);

/* Synchronous label propagation: each node takes the most frequent label
 * among its in- and out-neighbours (each edge once, a self-loop once),
 * ties to the lowest label; nodes without neighbours keep their label.
 * Labels start as the original ids; stops when nothing changes or after
 * max_iter iterations.  label[] receives original-id labels. */
int gr_native_lpa(const gr_graph *g, gr_native_kind kind, int64_t max_iter,
                  int64_t *label, int64_t *iters, gr_error *err);

/* Weakly connected components: comp[u] = smallest original id in u's
 * component. */
int gr_native_wcc(const gr_graph *g, gr_native_kind kind, int64_t *comp,
                  int64_t *iters, gr_error *err);

/* BFS levels from the node whose original id is `source` (-1 where
 * unreachable).  GR_ERR_RANGE when no node has that id. */
int gr_native_bfs(const gr_graph *g, gr_native_kind kind, int64_t source,
                  int64_t *level, int64_t *iters, gr_error *err);

/* Single-source shortest paths over edge weights (1.0 when unweighted;
 * weights must be >= 0, GR_ERR_INVALID otherwise), +inf where unreachable. */
int gr_native_sssp(const gr_graph *g, gr_native_kind kind, int64_t source,
                   double *dist, int64_t *iters, gr_error *err);

/* Degree centrality, networkx convention: (in-degree + out-degree) / (n-1),
 * a self-loop counting once in each; 1.0 for the single node when n == 1. */
int gr_native_degree(const gr_graph *g, gr_native_kind kind, double *cent,
                     gr_error *err);

/* The number of threads the library uses (OpenMP), and setting it. */
int gr_threads(void);
void gr_set_threads(int n);

/* The library version string. */
const char *gr_version(void);

#ifdef __cplusplus
}
#endif

#endif /* GR_H */
