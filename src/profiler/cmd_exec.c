/*
 * cmd_exec.c - `grprof exec ALGO --graph SPEC`: run one algorithm once on
 * one graph and print the graph, the two timings (making the graph, running
 * the algorithm), a result summary and a result checksum; optionally write
 * the result vector to a file.
 *
 * ALGO is a library algorithm or a path to any .grl file.  Either way it is
 * compiled first: the program's parameters (names, types, defaults) are
 * the one source of truth for --param in every mode, native included.
 * Two tables drive the rest.  `algos` holds each library algorithm's native
 * implementation and how to summarize its result (user programs get a
 * summary by result type).  `modes` holds each way of running an
 * algorithm: native and best (hand-written C, library algorithms only),
 * step (the step executor over the program), batched and fused (the
 * program, unoptimized or at -O2, lowered to a plan run in one call).
 * --help is generated from both tables and the compiled library.
 */
#include "config.h"
#include "profiler/cli.h"
#include "profiler/program.h"
#include "profiler/clock.h"
#include "common/atomic_file.h"
#include "common/hash.h"
#include "common/mem.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXEC_TOP 5           /* nodes / labels listed in summaries */
#define EXEC_MAX_PARAMS 8    /* parameters an algorithm may have */

/* The result of one algorithm run. */
struct exec_result {
    uint32_t n;              /* nodes */
    double *f64;             /* n values when the result is f64, else NULL */
    int64_t *i64;            /* n values when the result is i64, else NULL */
    int64_t iters;           /* loop iterations run */
};

struct exec_algo;

/* The compiled algorithm and its parameter values. */
struct exec_prog {
    gr_program *prog;        /* the compiled .grl program (owned) */
    gr_params *ps;           /* its parameters: defaults, then --param (owned) */
};


/* Prints the algorithm's summary lines; GR_OK, or GR_ERR_NOMEM (nothing
 * printed) when it cannot allocate its scratch space. */
typedef int (*exec_summary_fn)(FILE *fp, const gr_graph *g,
                               const struct exec_result *r);

/* An algorithm of the library and how its result is summarized. */
struct exec_algo {
    const char *name;            /* ALGO on the command line */
    const char *summary;         /* one line for --help */
    exec_summary_fn summarize;   /* the summary lines */
    const char *report;          /* --help: what the summary lines are */
};

/* A way of running an algorithm. */
struct exec_mode {
    const char *name;            /* --mode value */
    const char *help;            /* one line for --help */
    gr_native_kind kind;         /* for the native modes */
    int native;                  /* 1: needs a library algorithm's native code */
    int level;                   /* plan modes: optimization level */
    int (*run)(const struct exec_mode *mode, const gr_graph *g,
               const struct exec_prog *ep, gr_result *res, gr_error *err);
};

/* ---- report helpers ----------------------------------------------------- */

/* One "key: value" report line; keys are padded so values line up. */
static void kv(FILE *fp, const char *key, const char *fmt, ...) GR_PRINTF(3, 4);

static void kv(FILE *fp, const char *key, const char *fmt, ...)
{
    char k[32];
    va_list ap;
    snprintf(k, sizeof k, "%s:", key);
    fprintf(fp, "%-13s ", k);
    va_start(ap, fmt);
    vfprintf(fp, fmt, ap);
    va_end(ap);
    fputc('\n', fp);
}

/* Index of the `top` largest doubles, ties to the lower index: top[] holds
 * up to k indices, best first; returns how many. */
static size_t top_f64(const double *x, uint32_t n, size_t k, uint32_t *top)
{
    size_t have = 0, j;
    uint32_t u;
    for (u = 0; u < n; u++) {
        if (isnan(x[u]) || (have == k && !(x[u] > x[top[k - 1]]))) {
            continue;
        }
        j = have < k ? have++ : k - 1;
        while (j > 0 && x[u] > x[top[j - 1]]) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = u;
    }
    return have;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Distinct values of a label vector and the largest groups, as
 * "LABEL=SIZE" pairs (size descending, ties to the lower label). */
static int summarize_labels(FILE *fp, const char *count_key,
                            const struct exec_result *r)
{
    int64_t *s = gr_calloc(r->n ? r->n : 1, sizeof *s);
    int64_t lab[EXEC_TOP];
    uint64_t size[EXEC_TOP], distinct = 0;
    size_t have = 0, j;
    uint32_t i = 0;
    char buf[EXEC_TOP * 48] = "", *p = buf;
    if (!s) {
        return GR_ERR_NOMEM;
    }
    memcpy(s, r->i64, (size_t)r->n * sizeof *s);
    qsort(s, r->n, sizeof *s, cmp_i64);
    while (i < r->n) {
        uint32_t e = i;
        uint64_t len;
        while (e < r->n && s[e] == s[i]) {
            e++;
        }
        len = e - i;
        distinct++;
        /* labels arrive in increasing order: on equal size the earlier stays */
        if (have < EXEC_TOP || len > size[EXEC_TOP - 1]) {
            j = have < EXEC_TOP ? have++ : EXEC_TOP - 1;
            while (j > 0 && len > size[j - 1]) {
                size[j] = size[j - 1];
                lab[j] = lab[j - 1];
                j--;
            }
            size[j] = len;
            lab[j] = s[i];
        }
        i = e;
    }
    for (j = 0; j < have; j++) {
        p += snprintf(p, sizeof buf - (size_t)(p - buf), "%s%" PRId64 "=%" PRIu64,
                      j ? " " : "", lab[j], size[j]);
    }
    kv(fp, count_key, "%" PRIu64, distinct);
    kv(fp, "largest", "%s", buf);
    gr_free(s);
    return GR_OK;
}

/* ---- algorithms ------------------------------------------------------------ */

static int sum_pagerank(FILE *fp, const gr_graph *g, const struct exec_result *r)
{
    uint32_t top[EXEC_TOP], u;
    size_t k, have;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    char buf[EXEC_TOP * 48] = "", *p = buf;
    for (u = 0; u < r->n; u++) {
        sum += r->f64[u];
        lo = r->f64[u] < lo ? r->f64[u] : lo;
        hi = r->f64[u] > hi ? r->f64[u] : hi;
    }
    have = top_f64(r->f64, r->n, EXEC_TOP, top);
    for (k = 0; k < have; k++) {
        p += snprintf(p, sizeof buf - (size_t)(p - buf), "%s%" PRId64 "=%.6g",
                      k ? " " : "", gr_graph_orig_id(g, top[k]), r->f64[top[k]]);
    }
    kv(fp, "sum", "%.6g", sum);
    kv(fp, "min", "%.6g", r->n ? lo : 0.0);
    kv(fp, "max", "%.6g", r->n ? hi : 0.0);
    kv(fp, "top", "%s", buf);
    return GR_OK;
}

static int sum_lpa(FILE *fp, const gr_graph *g, const struct exec_result *r)
{
    (void)g;
    return summarize_labels(fp, "labels", r);
}

static int sum_wcc(FILE *fp, const gr_graph *g, const struct exec_result *r)
{
    (void)g;
    return summarize_labels(fp, "components", r);
}

static int sum_bfs(FILE *fp, const gr_graph *g, const struct exec_result *r)
{
    uint64_t reached = 0;
    int64_t maxl = -1;
    uint32_t u;
    (void)g;
    for (u = 0; u < r->n; u++) {
        if (r->i64[u] >= 0) {
            reached++;
            maxl = r->i64[u] > maxl ? r->i64[u] : maxl;
        }
    }
    kv(fp, "reached", "%" PRIu64, reached);
    kv(fp, "max_level", "%" PRId64, maxl);
    return GR_OK;
}

static int sum_sssp(FILE *fp, const gr_graph *g, const struct exec_result *r)
{
    uint64_t reached = 0;
    double maxd = 0;
    uint32_t u;
    char buf[40];
    (void)g;
    for (u = 0; u < r->n; u++) {
        if (isfinite(r->f64[u])) {
            reached++;
            maxd = r->f64[u] > maxd ? r->f64[u] : maxd;
        }
    }
    kv(fp, "reached", "%" PRIu64, reached);
    kv(fp, "max_dist", "%s", reached ? gr_fmt_double(maxd, buf, sizeof buf) : "-");
    return GR_OK;
}

static int sum_minmax(FILE *fp, const gr_graph *g, const struct exec_result *r)
{
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    uint32_t u;
    (void)g;
    for (u = 0; u < r->n; u++) {
        sum += r->f64[u];
        lo = r->f64[u] < lo ? r->f64[u] : lo;
        hi = r->f64[u] > hi ? r->f64[u] : hi;
    }
    kv(fp, "min", "%.6g", r->n ? lo : 0.0);
    kv(fp, "max", "%.6g", r->n ? hi : 0.0);
    kv(fp, "mean", "%.6g", r->n ? sum / r->n : 0.0);
    return GR_OK;
}

/* Summary of a user program's i64 result. */
static int sum_i64(FILE *fp, const gr_graph *g, const struct exec_result *r)
{
    (void)g;
    return summarize_labels(fp, "distinct", r);
}

static const struct exec_algo algos[] = {
    {"pagerank", "PageRank (networkx conventions), f64 ranks", sum_pagerank,
     "sum, min, max of the ranks; top: the 5 highest as ID=RANK"},
    {"lpa", "synchronous label propagation, i64 labels (original ids)",
     sum_lpa,
     "labels: distinct labels; largest: the 5 biggest as LABEL=SIZE"},
    {"wcc", "weakly connected components, i64 smallest original id",
     sum_wcc,
     "components: count; largest: the 5 biggest as COMP=SIZE"},
    {"bfs", "BFS levels from a source, i64 (-1 unreachable)",
     sum_bfs,
     "reached: nodes with a level; max_level: the deepest level"},
    {"sssp", "shortest path distances over edge weights, f64 (inf unreachable)",
     sum_sssp,
     "reached: nodes at finite distance; max_dist: the largest finite one"},
    {"degree", "degree centrality (in+out)/(n-1), f64", sum_minmax,
     "min, max, mean of the centralities"},
};
/* User programs (.grl paths): no native code, summary by result type. */
static const struct exec_algo user_f64 = {"", "", sum_minmax,
                                          "min, max, mean of the result"};
static const struct exec_algo user_i64 = {"", "", sum_i64,
                                          "distinct values; largest groups"};
#define N_ALGOS (sizeof algos / sizeof algos[0])

/* ---- modes ------------------------------------------------------------------ */

static int run_native(const struct exec_mode *mode, const gr_graph *g,
                      const struct exec_prog *ep, gr_result *res, gr_error *err)
{
    return gr_native_run(g, mode->kind, ep->prog, ep->ps, res, err);
}

static int run_step(const struct exec_mode *mode, const gr_graph *g,
                    const struct exec_prog *ep, gr_result *res, gr_error *err)
{
    gr_ctx *ctx = NULL;
    int st;
    (void)mode;
    st = gr_ctx_new(g, &ctx, err);
    if (st == GR_OK) {
        st = gr_step_run(ctx, ep->prog, ep->ps, res, err);
    }
    gr_ctx_free(&ctx);
    return st;
}

/* batched: the plan of the program as compiled; fused: of its -O2 form. */
static int run_plan(const struct exec_mode *mode, const gr_graph *g,
                    const struct exec_prog *ep, gr_result *res, gr_error *err)
{
    gr_passopts po;
    gr_program *opt = NULL;
    gr_plan *plan = NULL;
    int st;
    memset(&po, 0, sizeof po);
    po.level = mode->level;
    st = gr_optimize(ep->prog, &po, &opt, err);
    if (st == GR_OK) {
        st = gr_plan_lower(opt, &plan, err);
    }
    if (st == GR_OK) {
        st = gr_plan_run(plan, g, ep->ps, 0, res, err);
    }
    gr_plan_free(&plan);
    gr_program_free(&opt);
    return st;
}

/* View output 0 of a run as the algorithm's result: a node vector. */
static int result_view(const gr_result *res, uint32_t n, struct exec_result *r,
                       gr_error *err)
{
    const gr_output *o;
    if (res->nout < 1) {
        return gr_err(err, GR_ERR_INVALID, "the algorithm returns nothing");
    }
    o = &res->out[0];
    if (o->len != n || (o->type != GR_T_F64V && o->type != GR_T_I64V &&
                        o->type != GR_T_MASK)) {
        return gr_err(err, GR_ERR_TYPE, "the algorithm's first result '%s' is a %s; "
                      "grprof exec needs a node vector", o->name, gr_type_name(o->type));
    }
    r->n = n;
    r->f64 = o->f64;
    r->i64 = o->i64;
    r->iters = res->iters;
    return GR_OK;
}

static const struct exec_mode modes[] = {
    {"native", "hand-written C in the same formulation as the .grl algorithm",
     GR_NATIVE, 1, 0, run_native},
    {"best", "the fastest known C algorithm for the same result", GR_BEST, 1, 0,
     run_native},
    {"step", "the step executor: one engine API call per op of the program",
     GR_NATIVE, 0, 0, run_step},
    {"batched", "the program as compiled, lowered to a plan, run in one call",
     GR_NATIVE, 0, 0, run_plan},
    {"fused", "the -O2 program (fused kernels) lowered to a plan, run in one call",
     GR_NATIVE, 0, 2, run_plan},
};
#define N_MODES (sizeof modes / sizeof modes[0])

/* ---- command line ------------------------------------------------------------- */

static const char *const exec_args[] = {"ALGO", NULL};

static const struct gr_opt exec_opts[] = {
    {.name = "graph", .shortname = 'g', .type = GR_OPT_STRING, .metavar = "SPEC",
     .help = "the graph: a generator spec or a file (required; see SPEC)"},
    {.name = "mode", .shortname = 'm', .type = GR_OPT_STRING, .metavar = "MODE",
     .def = "native", .help = "how to run ALGO (modes below)"},
    {.name = "output", .shortname = 'o', .type = GR_OPT_STRING, .metavar = "FILE",
     .help = "write the result vector to FILE (format below)"},
    {.name = "param", .shortname = 'p', .type = GR_OPT_STRING,
     .metavar = "NAME=VALUE", .flags = GR_OPT_REPEAT,
     .help = "set a parameter of ALGO (parameters below)"},
    {.name = "quiet", .shortname = 'q', .type = GR_OPT_FLAG,
     .help = "print only the checksum line"},
    {.name = "symmetrize", .shortname = 's', .type = GR_OPT_FLAG,
     .help = "add the reverse of every edge (spec key sym=1)"},
    {.name = "threads", .shortname = 't', .type = GR_OPT_INT, .metavar = "N",
     .min = 1, .max = 4096, .flags = GR_OPT_MIN | GR_OPT_MAX,
     .help = "threads the library may use (default: OpenMP's)"},
    {0}
};

/* "name=default ..." of a program's parameters. */
static const char *param_list(const gr_program *p, const gr_params *ps, char *buf,
                              size_t n)
{
    int i, np = gr_program_nparams(p);
    size_t len;
    char t[48];
    buf[0] = '\0';
    for (i = 0; i < np; i++) {
        const char *name;
        gr_type type;
        double fd;
        int64_t id;
        gr_program_param(p, i, &name, &type, &fd, &id);
        if (ps) {
            fd = gr_params_f64(ps, i);
            id = gr_params_i64(ps, i);
        }
        len = strlen(buf);
        if (type == GR_T_F64) {
            snprintf(buf + len, n - len, "%s%s=%s", i ? " " : "", name,
                     gr_fmt_double(fd, t, sizeof t));
        } else if (type == GR_T_BOOL) {
            snprintf(buf + len, n - len, "%s%s=%s", i ? " " : "", name,
                     id ? "true" : "false");
        } else {
            snprintf(buf + len, n - len, "%s%s=%" PRId64, i ? " " : "", name, id);
        }
    }
    return buf;
}

static void exec_help_extra(FILE *fp)
{
    size_t a, m;
    char list[512];
    fprintf(fp, "Algorithms (the library; or a path to any .grl file), their\n"
                "parameters with defaults (the same in every mode) and summary lines:\n");
    for (a = 0; a < N_ALGOS; a++) {
        gr_program *p = NULL;
        fprintf(fp, "  %-9s %s\n", algos[a].name, algos[a].summary);
        if (grprof_compile_library(algos[a].name, &p, NULL, NULL) == GR_OK && p) {
            fprintf(fp, "  %-9s   params: %s\n", "",
                    gr_program_nparams(p) ? param_list(p, NULL, list, sizeof list)
                                          : "none");
        }
        gr_program_free(&p);
        fprintf(fp, "  %-9s   summary: %s\n", "", algos[a].report);
    }
    fprintf(fp, "\nModes:\n");
    for (m = 0; m < N_MODES; m++) {
        fprintf(fp, "  %-9s %s\n", modes[m].name, modes[m].help);
    }
}

static int exec_handler(const struct gr_cmd *cmd, const struct gr_args *args);

const struct gr_cmd gr_cmd_exec = {
    .name = "exec",
    .summary = "Run one algorithm on one graph; print its result summary and timing",
    .usage = "ALGO --graph SPEC [--param NAME=VALUE]... [options]",
    .description =
        "Makes the graph SPEC names, runs ALGO on it once and prints a report of\n"
        "\"key: value\" lines.\n"
        "\n"
        "SPEC is uniform:n=N,m=M,seed=S (G(n,m)), rmat:scale=K,ef=E,seed=S\n"
        "(R-MAT, 2^K nodes), or a file path (edge list, Matrix Market, snapshot),\n"
        "with optional keys sym=1 and weights=none|unit|uniform, e.g.\n"
        "  grprof exec pagerank --graph uniform:n=1000,m=5000,seed=42\n"
        "  grprof exec bfs --graph web.el --param source=17 --output levels.txt\n"
        "\n"
        "The report format is stable; keys, in order:\n"
        "  graph        the spec in canonical form\n"
        "  nodes        n\n"
        "  edges        m, directed edges after symmetrizing\n"
        "  weighted     yes | no\n"
        "  symmetric    yes | no\n"
        "  digest       gr_graph_digest of the graph, 16 hex digits\n"
        "  load_time    time to make the graph, scaled and in ns: \"1.23 ms (1234567 ns)\"\n"
        "  compile_time time to compile ALGO's program (parse, verify), as load_time\n"
        "  algorithm    ALGO\n"
        "  mode         MODE\n"
        "  threads      threads the library used\n"
        "  params       every parameter, defaults included: NAME=VALUE ...\n"
        "  algo_time    time of the algorithm alone, as load_time\n"
        "  iterations   loop iterations run (0 for an algorithm without loops)\n"
        "  ...          the algorithm's summary lines (below)\n"
        "  checksum     64-bit hash of the result vector (8 bytes per node, in\n"
        "               dense order), 16 hex digits: equal results, equal checksums\n"
        "  peak_rss     peak resident memory of the process\n"
        "With --quiet only the checksum line is printed.\n"
        "\n"
        "--output FILE receives one line \"ID VALUE\" per node in dense order, ID\n"
        "the node's id in the input file; f64 values as %.17g (inf, -inf, nan),\n"
        "i64 values as integers.  FILE is written atomically (a temporary file\n"
        "renamed into place) and checked to be writable before anything runs.\n"
        "\n"
        "Exit status: 0 success; 1 runtime failure (out of memory, writing FILE);\n"
        "2 usage or input error (options, spec, unreadable or malformed graph,\n"
        "bad parameter such as an unknown source).\n",
    .help_extra = exec_help_extra,
    .args = exec_args,
    .opts = exec_opts,
    .handler = exec_handler,
};

/* ---- the command ---------------------------------------------------------------- */

static const struct exec_algo *find_algo(const char *name)
{
    size_t a;
    for (a = 0; a < N_ALGOS; a++) {
        if (strcmp(algos[a].name, name) == 0) {
            return &algos[a];
        }
    }
    return NULL;
}

/* "a, b, c" from a list of names: the algorithms, modes or parameters. */
static const char *join_names(const char *const *names, size_t count, char *buf,
                              size_t n)
{
    size_t i, len;
    buf[0] = '\0';
    for (i = 0; i < count; i++) {
        len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? ", " : "", names[i]);
    }
    return buf;
}

static int unknown_algo(const struct gr_cmd *cmd, const char *name)
{
    const char *names[N_ALGOS];
    char list[256];
    struct gr_suggest s;
    size_t a;
    gr_suggest_init(&s, name);
    for (a = 0; a < N_ALGOS; a++) {
        names[a] = algos[a].name;
        gr_suggest_add(&s, names[a]);
    }
    if (gr_suggest_best(&s)) {
        return gr_cli_usage(cmd, "unknown algorithm '%s'; did you mean '%s'?",
                            name, gr_suggest_best(&s));
    }
    return gr_cli_usage(cmd, "unknown algorithm '%s' (algorithms: %s)", name,
                        join_names(names, N_ALGOS, list, sizeof list));
}

static const struct exec_mode *find_mode(const struct gr_cmd *cmd,
                                         const char *name, int *rc)
{
    const char *names[N_MODES];
    char list[256];
    size_t m;
    for (m = 0; m < N_MODES; m++) {
        if (strcmp(modes[m].name, name) == 0) {
            return &modes[m];
        }
        names[m] = modes[m].name;
    }
    *rc = gr_cli_usage(cmd, "bad value '%s' for --mode: expected one of %s", name,
                       join_names(names, N_MODES, list, sizeof list));
    return NULL;
}

/* Compile ALGO into ep->prog and pick its summary entry (*algo: NULL for
 * a user program). */
static int load_algorithm(const struct gr_cmd *cmd, const char *name,
                          struct exec_prog *ep, const struct exec_algo **algo)
{
    *algo = find_algo(name);
    if (!*algo && !grprof_is_program_path(name)) {
        return unknown_algo(cmd, name);
    }
    return grprof_load_program(cmd, name, &ep->prog);
}

/* The program's defaults, then the --param values. */
static int parse_params(const struct gr_cmd *cmd, const struct gr_args *args,
                        struct exec_prog *ep)
{
    const struct gr_optval *v;
    gr_error err;
    int i;
    gr_error_clear(&err);
    if (gr_params_new(ep->prog, &ep->ps, &err) < 0) {
        return gr_cli_error(cmd, GR_EXIT_FAIL, &err);
    }
    for (i = 0; (v = gr_args_nth(args, "param", i)) != NULL; i++) {
        const char *eq = strchr(v->text, '=');
        char name[64];
        if (!eq || eq == v->text) {
            return gr_cli_usage(cmd, "--param '%s' is not NAME=VALUE", v->text);
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - v->text), v->text);
        if (gr_params_set(ep->ps, name, eq + 1, &err) < 0) {
            return gr_cli_error(cmd, GR_EXIT_USAGE, &err);
        }
    }
    return GR_EXIT_OK;
}

/* Write the result vector, one "ID VALUE" line per node. */
static void write_result(FILE *fp, const gr_graph *g, const struct exec_result *r)
{
    char buf[40];
    uint32_t u;
    for (u = 0; u < r->n; u++) {
        int64_t id = gr_graph_orig_id(g, u);
        if (r->f64) {
            double x = r->f64[u];
            if (isfinite(x)) {
                fprintf(fp, "%" PRId64 " %.17g\n", id, x);
            } else {
                fprintf(fp, "%" PRId64 " %s\n", id, gr_fmt_double(x, buf, sizeof buf));
            }
        } else {
            fprintf(fp, "%" PRId64 " %" PRId64 "\n", id, r->i64[u]);
        }
    }
}

static int print_report(FILE *fp, const gr_spec *spec, const gr_graph *g,
                         double load_ns, double compile_ns, const char *algo_name,
                         const struct exec_algo *algo, const struct exec_mode *mode,
                         const struct exec_prog *ep, double algo_ns,
                         const struct exec_result *r, uint64_t checksum)
{
    char buf[GR_SPEC_TEXT_MAX], t[64], params[512];
    int st;
    param_list(ep->prog, ep->ps, params, sizeof params);
    kv(fp, "graph", "%s", gr_spec_format(spec, buf, sizeof buf));
    kv(fp, "nodes", "%" PRIu32, g->n);
    kv(fp, "edges", "%" PRIu64, g->m);
    kv(fp, "weighted", "%s", g->out_w ? "yes" : "no");
    kv(fp, "symmetric", "%s", g->symmetric ? "yes" : "no");
    kv(fp, "digest", "%016" PRIx64, gr_graph_digest(g));
    kv(fp, "load_time", "%s (%.0f ns)", gr_fmt_duration(load_ns, t, sizeof t), load_ns);
    kv(fp, "compile_time", "%s (%.0f ns)", gr_fmt_duration(compile_ns, t, sizeof t),
       compile_ns);
    kv(fp, "algorithm", "%s", algo_name);
    kv(fp, "mode", "%s", mode->name);
    kv(fp, "threads", "%d", gr_threads());
    kv(fp, "params", "%s", params[0] ? params : "-");
    kv(fp, "algo_time", "%s (%.0f ns)", gr_fmt_duration(algo_ns, t, sizeof t), algo_ns);
    kv(fp, "iterations", "%" PRId64, r->iters);
    st = algo->summarize(fp, g, r);
    if (st < 0) {
        return st;
    }
    kv(fp, "checksum", "%016" PRIx64, checksum);
    kv(fp, "peak_rss", "%s", gr_fmt_bytes(gr_clock_peak_rss(), t, sizeof t));
    return GR_OK;
}

/* Whether the program's first result is an f64 vector. */
static int result_is_f64(const gr_program *p)
{
    return gr_program_result_type(p, 0) == GR_T_F64V;
}

static int exec_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    const struct exec_algo *algo;
    const struct exec_mode *mode;
    const struct gr_optval *graph_arg, *out_arg, *threads;
    struct exec_prog ep = {NULL, NULL};
    struct exec_result r;
    gr_result res;
    gr_spec spec;
    gr_graph *g = NULL;
    gr_afile af;
    gr_error err;
    int have_out = 0, rc, st;
    double load_ns, algo_ns, compile_ns;
    uint64_t t0, checksum;

    memset(&r, 0, sizeof r);
    memset(&res, 0, sizeof res);
    gr_error_clear(&err);

    /* everything about the command line is checked before any work */
    mode = find_mode(cmd, gr_args_get(args, "mode")->text, &rc);
    if (!mode) {
        return rc;
    }
    t0 = gr_clock_ns();
    rc = load_algorithm(cmd, args->args[0], &ep, &algo);
    compile_ns = gr_clock_since_ns(t0);
    if (rc == GR_EXIT_OK && !algo && mode->native) {
        rc = gr_cli_usage(cmd, "--mode %s runs hand-written C, which only the library "
                          "algorithms have; use --mode step for %s", mode->name,
                          args->args[0]);
    }
    if (rc == GR_EXIT_OK) {
        rc = parse_params(cmd, args, &ep);
    }
    if (rc != GR_EXIT_OK) {
        goto done;
    }
    graph_arg = gr_args_get(args, "graph");
    if (!graph_arg) {
        rc = gr_cli_usage(cmd, "no graph given: use --graph SPEC, e.g. "
                               "--graph uniform:n=1000,m=5000,seed=42");
        goto done;
    }
    if (gr_spec_parse(graph_arg->text, &spec, &err) < 0) {
        char buf[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
        rc = gr_cli_usage(cmd, "bad graph spec '%s': %s", graph_arg->text,
                          gr_error_format(&err, buf, sizeof buf));
        goto done;
    }
    if (gr_args_count(args, "symmetrize")) {
        spec.sym = 1;
    }
    threads = gr_args_get(args, "threads");
    if (threads) {
        gr_set_threads((int)threads->i);
    }

    /* an unwritable output is found before the graph is made */
    out_arg = gr_args_get(args, "output");
    if (out_arg) {
        struct stat sb;
        if (stat(out_arg->text, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            rc = gr_cli_fail(cmd, GR_EXIT_USAGE, "%s: cannot write: Is a directory",
                             out_arg->text);
            goto done;
        }
        if (gr_afile_open(&af, out_arg->text, &err) < 0) {
            rc = gr_cli_error(cmd, GR_EXIT_USAGE, &err);
            goto done;
        }
        have_out = 1;
    }

    gr_clock_warm_threads(); /* thread start-up is neither phase's cost */
    t0 = gr_clock_ns();
    st = gr_spec_graph(&spec, &g, &err);
    load_ns = gr_clock_since_ns(t0);
    if (st < 0) {
        rc = gr_cli_error(cmd, grprof_exit_for(st), &err);
        goto done;
    }

    /* no exit() from here on: an open output must be aborted, not left */
    if (!algo) {
        algo = result_is_f64(ep.prog) ? &user_f64 : &user_i64;
    }
    t0 = gr_clock_ns();
    st = mode->run(mode, g, &ep, &res, &err);
    algo_ns = gr_clock_since_ns(t0);
    if (st == GR_OK) {
        st = result_view(&res, g->n, &r, &err);
    }
    if (st < 0) {
        rc = gr_cli_error(cmd, grprof_exit_for(st), &err);
        goto done;
    }
    checksum = r.f64 ? gr_hash64(r.f64, (size_t)r.n * sizeof *r.f64, 0)
                     : gr_hash64(r.i64, (size_t)r.n * sizeof *r.i64, 0);

    if (gr_args_count(args, "quiet")) {
        kv(stdout, "checksum", "%016" PRIx64, checksum);
    } else if (print_report(stdout, &spec, g, load_ns, compile_ns,
                            algo->name[0] ? algo->name : gr_program_name(ep.prog),
                            algo, mode, &ep, algo_ns, &r, checksum) < 0) {
        rc = gr_cli_fail(cmd, GR_EXIT_FAIL, "out of memory (result summary)");
        goto done;
    }
    rc = GR_EXIT_OK;
    if (have_out) {
        write_result(af.fp, g, &r);
        have_out = 0;
        if (gr_afile_commit(&af, &err) < 0) {
            rc = gr_cli_error(cmd, GR_EXIT_FAIL, &err);
        }
    }

done:
    if (have_out) {
        gr_afile_abort(&af);
    }
    gr_result_release(&res);
    gr_graph_free(&g);
    gr_params_free(&ep.ps);
    gr_program_free(&ep.prog);
    return rc;
}
