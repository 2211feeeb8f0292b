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

/* flags[v] (g->n bytes, caller's) = 1 when node v has an edge to itself,
 * else 0; returns how many nodes have one.  O(n + m), on gr_threads()
 * threads for a large graph. */
uint64_t gr_graph_self_loops(const gr_graph *g, uint8_t *flags);

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

/* The generators initialise *out themselves (pass an empty or released
 * list: arrays it holds are not freed) and the caller owns the result
 * (gr_edges_release); on failure *out is left empty.  Invalid arguments
 * are GR_ERR_INVALID with a message. */

/* Uniform random directed multigraph G(n,m): m edges whose endpoints are
 * independent and uniform over 0..n-1 (self-loops and parallel edges can
 * occur).  Deterministic by seed on every machine and thread count. */
int gr_gen_uniform(uint32_t n, uint64_t m, uint64_t seed, gr_edges *out,
                   gr_error *err);

/* R-MAT / Kronecker edges over n = 2^scale nodes, m = edgefactor * n, with
 * quadrant probabilities a, b, c (d = 1-a-b-c) and node ids scrambled by a
 * seeded permutation, as Graph500 does.  Deterministic by seed.  Needs
 * 1 <= scale <= 31, edgefactor >= 1, a, b, c >= 0 and a+b+c <= 1 (a sum
 * up to 1e-9 over 1, from decimal rounding, is accepted). */
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
    int weights;             /* a GR_WEIGHTS_* value */
    gr_format format;        /* file: format */
    char path[1024];         /* file: path */
} gr_spec;

/* Values of gr_spec.weights. */
enum {
    GR_WEIGHTS_NONE = 0,     /* unweighted (a file's own weights are kept) */
    GR_WEIGHTS_UNIT = 1,     /* every weight 1.0 */
    GR_WEIGHTS_UNIFORM = 2   /* uniform in [1, 10), by seed + 1 */
};

/* A buffer this long holds any formatted spec. */
#define GR_SPEC_TEXT_MAX 1100

/* Parse a spec string.  GR_ERR_PARSE with a message naming the bad key or
 * value on error. */
int gr_spec_parse(const char *text, gr_spec *out, gr_error *err);

/* Print a spec in canonical form ("uniform:n=1000,m=5000,seed=42"): keys in
 * a fixed order, a generator's parameters always, sym/weights/format only
 * when not the default, a file as its bare path when that parses back.
 * gr_spec_parse of the text gives s back.  Truncates to n bytes; returns buf. */
const char *gr_spec_format(const gr_spec *s, char *buf, size_t n);

/* Make the graph a spec names: generate (weights assigned to the edge list,
 * then built, symmetrized when sym=1) or load with gr_graph_load. */
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

/* ------------------------------------------------------------------ */
/* Values, ops and programs (the typed IR)                              */
/* ------------------------------------------------------------------ */

/* Value types: scalars and node vectors (one element per node). */
typedef enum gr_type {
    GR_T_NONE = 0,  /* no value (effects, control) */
    GR_T_F64,       /* f64 scalar */
    GR_T_I64,       /* i64 scalar */
    GR_T_BOOL,      /* bool scalar */
    GR_T_F64V,      /* f64 node vector */
    GR_T_I64V,      /* i64 node vector */
    GR_T_MASK       /* bool node vector (one byte per node, 0 or 1) */
} gr_type;

/* "f64", "i64", "bool", "f64v", "i64v", "mask" ("none" for GR_T_NONE). */
const char *gr_type_name(gr_type t);

/* Every op, from the one table in gr_ops.def. */
typedef enum gr_opcode {
#define OP(ID, name, nargs, sig, flags, fexpr, iexpr, doc) GR_OP_##ID,
#include "gr_ops.def"
#undef OP
    GR_OP__COUNT
} gr_opcode;

/* The op's printed name, or NULL for an invalid opcode. */
const char *gr_op_name(gr_opcode op);
/* The opcode named `name`, or -1. */
int gr_op_lookup(const char *name);

/* Neighbour aggregation: direction, monoid and message. */
typedef enum gr_dir {
    GR_DIR_IN = 0,   /* messages from in-neighbours (u -> v gives v the value at u) */
    GR_DIR_OUT,      /* messages from out-neighbours (v -> w gives v the value at w) */
    GR_DIR_BOTH      /* both; a self-loop counts once */
} gr_dir;

typedef enum gr_monoid {
    GR_MON_SUM = 0,  /* sum (0 when no messages) */
    GR_MON_MIN,      /* minimum (+inf / INT64_MAX when none) */
    GR_MON_MAX,      /* maximum (-inf / INT64_MIN when none) */
    GR_MON_MEAN,     /* mean as f64 (0 when none) */
    GR_MON_COUNT,    /* number of messages that are true (non-zero), i64 */
    GR_MON_ANY,      /* some message true, mask */
    GR_MON_MODE      /* most frequent i64 message, ties to the lowest; when
                        no messages, the node's own value */
} gr_monoid;

typedef enum gr_msg {
    GR_MSG_X = 0,    /* the neighbour's value x[u] */
    GR_MSG_ADD_W,    /* x[u] + w(edge)  (w = 1.0 on unweighted graphs) */
    GR_MSG_MUL_W,    /* x[u] * w(edge) */
    GR_MSG_W         /* w(edge) alone (x only selects the element type) */
} gr_msg;

typedef enum gr_loop_kind {
    GR_LOOP_REPEAT = 0,  /* repeat N: exactly max(N, 0) iterations */
    GR_LOOP_CONVERGED,   /* until converged(x, tol) max N: stop after an
                            iteration where dist_l1(x_new, x_old) < n*tol
                            (|new - old| < tol for a scalar) */
    GR_LOOP_UNCHANGED    /* until unchanged(x) max N: stop after an iteration
                            that left x identical (NaN equals NaN) */
} gr_loop_kind;

/* A verified algorithm in IR.  Immutable once built; freed by
 * gr_program_free. */
typedef struct gr_program gr_program;

void gr_program_free(gr_program **p);
/* The algorithm's name (owned by p). */
const char *gr_program_name(const gr_program *p);
/* Number of parameters, and parameter i: name (owned by p), type and
 * default value (as f64 and as i64; the one matching the type counts). */
int gr_program_nparams(const gr_program *p);
int gr_program_param(const gr_program *p, int i, const char **name, gr_type *type,
                     double *fdefault, int64_t *idefault);
/* The index of parameter `name`, or -1. */
int gr_program_param_index(const gr_program *p, const char *name);
/* Number of results, and the type of result i (GR_T_NONE out of range). */
int gr_program_nresults(const gr_program *p);
gr_type gr_program_result_type(const gr_program *p, int i);
/* Count the ops of p (loop bodies included; yield/return not counted; a
 * fused kernel counts as one op, the ops of its body as none). */
int gr_program_op_count(const gr_program *p);
/* Check every structural and typing rule; GR_ERR_TYPE/GR_ERR_INVALID with
 * a message naming the op and its source location. */
int gr_program_verify(const gr_program *p, gr_error *err);
/* The printed form (parses back to the same program).  *text is allocated;
 * free it with gr_free_string. */
int gr_program_print(const gr_program *p, char **text, gr_error *err);
/* Parse the printed form (file names the text in errors). */
int gr_program_parse(const char *text, const char *file, gr_program **out,
                     gr_error *err);
/* Free a string the library allocated, and NULL the pointer. */
void gr_free_string(char **s);

/* --- the builder: build IR from C --------------------------------- */

typedef struct gr_builder gr_builder;
typedef int32_t gr_vid;   /* a value of the program being built, >= 0 */

int gr_builder_new(const char *name, gr_builder **out, gr_error *err);
void gr_builder_free(gr_builder **b);
/* Source location given to the ops created next (file is copied). */
void gr_builder_set_loc(gr_builder *b, const char *file, long line, long col);
/* A name hint for a value, used by the printer (copied). */
int gr_builder_name(gr_builder *b, gr_vid v, const char *name, gr_error *err);
/* Declare a parameter (type GR_T_F64, GR_T_I64 or GR_T_BOOL) with its
 * default; *out is the value that reads it.  Names must be unique. */
int gr_builder_param(gr_builder *b, const char *name, gr_type type, double fdefault,
                     int64_t idefault, gr_vid *out, gr_error *err);
int gr_builder_const_f64(gr_builder *b, double v, gr_vid *out, gr_error *err);
int gr_builder_const_i64(gr_builder *b, int64_t v, gr_vid *out, gr_error *err);
int gr_builder_const_bool(gr_builder *b, int v, gr_vid *out, gr_error *err);
/* Apply op to args.  Types are checked now (GR_ERR_TYPE naming the op and
 * the operand); an i64 operand where f64 is needed gets an explicit to_f64,
 * and scalars broadcast over vectors.  *out is GR_T_NONE's -1 for print. */
int gr_builder_op(gr_builder *b, gr_opcode op, const gr_vid *args, int nargs,
                  gr_vid *out, gr_error *err);
/* Neighbour aggregation of x (a vector). */
int gr_builder_agg(gr_builder *b, gr_dir dir, gr_monoid mon, gr_msg msg, int self,
                   gr_vid x, gr_vid *out, gr_error *err);
/* Open a loop.  max_iter: an i64 scalar; tol: an f64 scalar for
 * GR_LOOP_CONVERGED (else -1).  The ncarry values in init are carried:
 * inner[i] receives the value of carried i inside the body.  test is the
 * index of the carried value the exit test watches (converged/unchanged). */
int gr_builder_loop_begin(gr_builder *b, gr_loop_kind kind, gr_vid max_iter,
                          gr_vid tol, int ncarry, const gr_vid *init, int test,
                          gr_vid *inner, gr_error *err);
/* Close the innermost loop: next[i] is carried i's value at the end of the
 * body; results[i] receives its value after the loop. */
int gr_builder_loop_end(gr_builder *b, const gr_vid *next, gr_vid *results,
                        gr_error *err);
/* The algorithm's results, with names (may be NULL: "result", "result2"...). */
int gr_builder_return(gr_builder *b, int n, const gr_vid *vals,
                      const char *const *names, gr_error *err);
/* Verify and produce the program; the builder stays valid (and must still
 * be freed).  *out is owned by the caller. */
int gr_builder_finish(gr_builder *b, gr_program **out, gr_error *err);
/* The type of a value being built (GR_T_NONE when v is not valid). */
gr_type gr_builder_type(const gr_builder *b, gr_vid v);

/* --- the language ---------------------------------------------------- */

/* Diagnostics of a compilation: every error, rendered as
 * "file:line:col: message\n<source line>\n<caret line>\n". */
typedef struct gr_diags {
    int count;       /* number of errors */
    char *text;      /* all of them (allocated; NULL when none) */
} gr_diags;

void gr_diags_release(gr_diags *d);

/* Compile the source text of a .grl file (file names it in messages).
 * On failure *out is NULL, d (may be NULL) holds every error and err the
 * first. */
int gr_lang_compile(const char *src, size_t len, const char *file,
                    gr_program **out, gr_diags *d, gr_error *err);
/* Read and compile a file. */
int gr_lang_compile_file(const char *path, gr_program **out, gr_diags *d,
                         gr_error *err);

/* The library's algorithms, compiled into libgr: the source of the
 * algorithm `name` (pagerank, lpa, wcc, bfs, sssp, degree), or NULL. */
const char *gr_library_source(const char *name);
/* Names of the library's algorithms, NULL-terminated. */
const char *const *gr_library_names(void);

/* --- running programs (every mode) ---------------------------------- */

/* Parameter values for a run: start from the program's defaults. */
typedef struct gr_params gr_params;
int gr_params_new(const gr_program *p, gr_params **out, gr_error *err);
void gr_params_free(gr_params **ps);
/* Set parameter `name` from text ("0.9", "12", "true"); GR_ERR_INVALID
 * naming the parameter (and listing the known ones) on error. */
int gr_params_set(gr_params *ps, const char *name, const char *value, gr_error *err);
/* The value of parameter i as f64 / i64 (after conversion from its type). */
double gr_params_f64(const gr_params *ps, int i);
int64_t gr_params_i64(const gr_params *ps, int i);

/* One result of a run. */
typedef struct gr_output {
    char *name;      /* the result's name (allocated) */
    gr_type type;    /* its type */
    size_t len;      /* elements: n for vectors, 1 for scalars */
    double *f64;     /* f64 data (GR_T_F64, GR_T_F64V), else NULL */
    int64_t *i64;    /* i64 data (GR_T_I64, GR_T_I64V, GR_T_BOOL, GR_T_MASK as 0/1) */
} gr_output;

typedef struct gr_result {
    int nout;        /* number of outputs */
    gr_output *out;  /* nout outputs (allocated) */
    int64_t iters;   /* loop iterations run, summed over every loop */
    int64_t ops;     /* ops executed (step mode) or instructions (plans) */
} gr_result;

void gr_result_release(gr_result *r);

/* --- the step executor: one API call per op ------------------------- */

/* An execution context: a graph (borrowed; it must outlive the context)
 * and a trace stream for print (stderr by default). */
typedef struct gr_ctx gr_ctx;
/* A value held by the engine; every call that returns one allocates it and
 * the caller frees it with gr_val_free. */
typedef struct gr_val gr_val;

int gr_ctx_new(const gr_graph *g, gr_ctx **out, gr_error *err);
void gr_ctx_free(gr_ctx **c);

int gr_step_const_f64(gr_ctx *c, double v, gr_val **out, gr_error *err);
int gr_step_const_i64(gr_ctx *c, int64_t v, gr_val **out, gr_error *err);
int gr_step_const_bool(gr_ctx *c, int v, gr_val **out, gr_error *err);
/* Apply an op (not const/param/agg/control) to args; validates the
 * opcode, arity and operand types, allocates the result.  *out is NULL for
 * print. */
int gr_step_apply(gr_ctx *c, gr_opcode op, gr_val *const *args, int nargs,
                  gr_val **out, gr_error *err);
/* Neighbour aggregation. */
int gr_step_agg(gr_ctx *c, gr_dir dir, gr_monoid mon, gr_msg msg, int self,
                const gr_val *x, gr_val **out, gr_error *err);
gr_type gr_val_type(const gr_val *v);
/* Copy a value out: n elements for vectors (n == graph nodes), 1 for
 * scalars.  Bools and masks read as 0/1 through gr_val_read_i64. */
int gr_val_read_f64(const gr_val *v, double *out, size_t n, gr_error *err);
int gr_val_read_i64(const gr_val *v, int64_t *out, size_t n, gr_error *err);
void gr_val_free(gr_val **v);

/* Run a whole program in step mode: a small evaluator walks the IR and
 * makes one gr_step_* call per op, loops included.  params may be NULL
 * (defaults).  res receives the outputs (release with gr_result_release). */
int gr_step_run(gr_ctx *c, const gr_program *p, const gr_params *params,
                gr_result *res, gr_error *err);

/* --- the optimizer ---------------------------------------------------- */

/* Pass selection: a level and names to add or skip (comma-separated pass
 * names, NULL for none).  Levels: 0 nothing; 1 const_fold, cse, dce, licm;
 * 2 adds the fusion passes.  gr_pass_names() lists every pass in
 * pipeline order. */
typedef struct gr_passopts {
    int level;              /* 0, 1 or 2 */
    const char *enable;     /* passes to run in addition (e.g. "fuse_elementwise") */
    const char *disable;    /* passes to skip */
    /* Called after each pass that ran (may be NULL): the pass name, the
     * program after it, and ctx.  Used by `grprof explain` and the tests. */
    void (*after_pass)(const char *pass, const gr_program *p, void *ctx);
    void *ctx;
} gr_passopts;

const char *const *gr_pass_names(void);   /* NULL-terminated, pipeline order */
/* Optimize p into a new program (p is not changed).  Every pass keeps the
 * program verified; a pass that breaks it is an internal error naming the
 * pass.  Unknown pass names are GR_ERR_INVALID. */
int gr_optimize(const gr_program *p, const gr_passopts *o, gr_program **out,
                gr_error *err);

/* Sections of gr_explain. */
enum {
    GR_EXPLAIN_IR = 1u << 0,       /* the IR as parsed and as optimized */
    GR_EXPLAIN_PASSES = 1u << 1,   /* the IR after each pass, with op counts */
    GR_EXPLAIN_ANALYSES = 1u << 2, /* deps, liveness, critical path, chains, invariants */
    GR_EXPLAIN_PLAN = 1u << 3,     /* the lowered plan */
    GR_EXPLAIN_ALL = 0xfu
};

/* Everything the engine does to p, as text: the chosen sections, in
 * order, each headed "== title".  o selects the passes (NULL: -O2; its
 * callback is replaced); n and m size the cost model.  *text is allocated
 * (gr_free_string). */
int gr_explain(const gr_program *p, const gr_passopts *o, double n, double m,
               unsigned sections, char **text, gr_error *err);

/* --- plans and the batched interpreter -------------------------------- */

/* A program lowered to a flat plan: instructions over slots, buffers
 * assigned from liveness, loops as jumps.  Its program never changes; one
 * plan may run on many graphs, on several threads at once.  A run's
 * buffers are allocated once, before it starts.  When it ends, the plan
 * keeps its node-sized buffers (the registers no result took, node lists,
 * masks) for its next run on a graph of as many nodes, which skips their
 * allocation and first-touch page faults; gr_plan_trim or gr_plan_free
 * releases them.  Runs at once on one plan: one reuses the kept set, the
 * others allocate their own. */
typedef struct gr_plan gr_plan;

int gr_plan_lower(const gr_program *p, gr_plan **out, gr_error *err);
/* Free the plan and the buffers it keeps; *plan becomes NULL. */
void gr_plan_free(gr_plan **plan);
/* Release the buffers the plan keeps from its last run (NULL: nothing).
 * Safe while runs of it go on (the kept set is taken atomically; a run
 * that ends later may keep its own set again). */
void gr_plan_trim(gr_plan *plan);
/* The printed plan (instructions, slots, buffers); free with gr_free_string. */
int gr_plan_print(const gr_plan *plan, char **text, gr_error *err);
/* Instruction count of the plan. */
int gr_plan_size(const gr_plan *plan);
/* Run the whole plan in one call.  Nothing is allocated inside loops.
 * res receives the outputs (gr_result_release).  With debug != 0 every
 * slot read is checked to have been written first (GR_ERR_INTERNAL
 * naming the instruction otherwise). */
int gr_plan_run(const gr_plan *plan, const gr_graph *g, const gr_params *params,
                int debug, gr_result *res, gr_error *err);
/* Bytes of vector buffers a run of plan on a graph of n nodes allocates
 * (and the plan keeps after it, less the buffers its results took). */
size_t gr_plan_buffer_bytes(const gr_plan *plan, uint32_t n);

/* Run the native twin (kind GR_NATIVE or GR_BEST) of library program p
 * (compiled from gr_library_source; chosen by its name) with the parameter
 * values ps, into res, exactly as the engine's modes fill theirs: one
 * output named and typed as p's result, and the iteration count.
 * GR_ERR_INVALID for a program that is not a library algorithm. */
int gr_native_run(const gr_graph *g, gr_native_kind kind, const gr_program *p,
                  const gr_params *ps, gr_result *res, gr_error *err);

/* The number of threads the library uses (OpenMP), and setting it. */
int gr_threads(void);
void gr_set_threads(int n);

/* The library version string. */
const char *gr_version(void);

#ifdef __cplusplus
}
#endif

#endif /* GR_H */
