/*
 * suite.c - the benchmark table of `grprof run` and `grprof list` (see
 * suite.h): which benchmarks each suite holds, their parameters and
 * versions, and the setup / run / finish / teardown of each kind.
 *
 * Benchmarks are generated from a few small tables (graphs per suite,
 * ops, compile phases, modes) in a fixed order, so a name always means
 * the same measurement.  Bump a kind's version constant whenever what it
 * measures changes: grregress never compares benchmarks whose versions
 * differ.
 */
#include "config.h"
#include "profiler/suite.h"
#include "profiler/cli.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/mem.h"

#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* Versions of each kind of benchmark (bump when the measurement changes). */
#define V_DISPATCH 1
#define V_OPS 1
#define V_COMPILE 1
#define V_FUSION 1
#define V_LOOPS 1
#define V_ALGO 1
#define V_USER 1

#define CHAIN_LEN 100          /* statements of the dispatch chain program */
#define LOOP_N 10              /* iterations of the loops group */
#define STEP_MAX_EDGES 100000  /* step mode only on graphs up to this size */
#define PROBE_TIMEOUT_S 60     /* a mode probe taking longer is killed */

const char *const gr_suite_names[] = {"quick", "default", "full", NULL};

static const char *const mode_names[GR_MODE__COUNT] = {
    "step", "batched", "fused", "native", "best"};

const char *gr_bench_mode_name(int mode)
{
    return mode >= 0 && mode < GR_MODE__COUNT ? mode_names[mode] : "-";
}

/* Graphs of the algorithms group, smallest first; `from` is the first
 * suite that has it. */
static const struct suite_graph {
    const char *label;         /* in benchmark names */
    const char *spec;          /* generator spec (seeded) */
    uint64_t m;                /* edges, to keep step mode to small graphs */
    int from;                  /* gr_suite_kind */
} suite_graphs[] = {
    {"uniform-1k-5k", "uniform:n=1000,m=5000,seed=42", 5000, GR_SUITE_QUICK},
    {"uniform-10k-100k", "uniform:n=10000,m=100000,seed=42", 100000, GR_SUITE_QUICK},
    {"rmat-18", "rmat:scale=18,ef=16,seed=42", 16u << 18, GR_SUITE_DEFAULT},
    {"uniform-1m-10m", "uniform:n=1000000,m=10000000,seed=42", 10000000, GR_SUITE_DEFAULT},
    {"rmat-20", "rmat:scale=20,ef=16,seed=42", 16u << 20, GR_SUITE_FULL},
    {"uniform-4m-64m", "uniform:n=4000000,m=64000000,seed=42", 64000000, GR_SUITE_FULL},
};
#define N_SUITE_GRAPHS (sizeof suite_graphs / sizeof suite_graphs[0])

#define G_TINY "uniform:n=1,m=0,seed=42"      /* dispatch: one node */
#define G_SMALL "uniform:n=1000,m=5000,seed=42"
#define G_OPS_QUICK "uniform:n=10000,m=100000,seed=42"
#define G_OPS_BIG "uniform:n=1000000,m=10000000,seed=42"

/* ---- small helpers ---------------------------------------------------------- */

static char *xprintf(const char *fmt, ...) GR_PRINTF(1, 2);

static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    int len;
    char *s;
    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || !(s = gr_malloc((size_t)len + 1))) {
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* s as a JSON string body (quotes, backslashes and controls escaped). */
static const char *jesc(const char *s, char *buf, size_t n)
{
    size_t o = 0;
    for (; *s && o + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(buf + o, n - o, "\\u%04x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o] = '\0';
    return buf;
}

static void note(struct gr_suite *s, const char *fmt, ...) GR_PRINTF(2, 3);

static void note(struct gr_suite *s, const char *fmt, ...)
{
    size_t len = strlen(s->notes);
    va_list ap;
    if (len + 2 >= sizeof s->notes) {
        return;
    }
    if (len) {
        s->notes[len++] = '\n';
        s->notes[len] = '\0';
    }
    va_start(ap, fmt);
    vsnprintf(s->notes + len, sizeof s->notes - len, fmt, ap);
    va_end(ap);
}

static uint64_t hash_text(const char *t)
{
    return gr_hash64(t, strlen(t), 0);
}

/* ---- graphs ------------------------------------------------------------------- */

int gr_suite_graph(struct gr_suite *s, const char *spec, gr_graph **g, gr_error *err)
{
    struct gr_suite_graph *ng;
    gr_spec sp;
    size_t i;
    int st;
    for (i = 0; i < s->ngraphs; i++) {
        if (strcmp(s->graphs[i].spec, spec) == 0) {
            break;
        }
    }
    if (i == s->ngraphs) {
        ng = gr_realloc(s->graphs, (s->ngraphs + 1) * sizeof *ng);
        if (!ng) {
            return gr_err(err, GR_ERR_NOMEM, "out of memory");
        }
        s->graphs = ng;
        ng[i].g = NULL;
        if (!(ng[i].spec = gr_strdup(spec))) {
            return gr_err(err, GR_ERR_NOMEM, "out of memory");
        }
        s->ngraphs++;
    }
    if (!s->graphs[i].g) {
        if ((st = gr_spec_parse(spec, &sp, err)) < 0 ||
            (st = gr_spec_graph(&sp, &s->graphs[i].g, err)) < 0) {
            return st;
        }
    }
    *g = s->graphs[i].g;
    return GR_OK;
}

/* ---- programs and parameters ------------------------------------------------------ */

static int compile_text(const char *src, const char *file, gr_program **out,
                        gr_error *err)
{
    return gr_lang_compile(src, strlen(src), file, out, NULL, err);
}

static int compile_bench(const struct gr_bench *b, gr_program **out, gr_error *err)
{
    char file[128];
    if (b->algo) {
        snprintf(file, sizeof file, "<library>/%s.grl", b->algo);
        return compile_text(gr_library_source(b->algo), file, out, err);
    }
    if (b->source) {
        return compile_text(b->source, b->name, out, err);
    }
    return gr_lang_compile_file(b->file, out, NULL, err);
}

/* Parameters for a run of p: defaults, PageRank at tol=0, max_iter=10 so
 * every mode does the same ten iterations, and LPA at max_iter=10 (its
 * synchronous updates rarely settle on random graphs: the default 20
 * would double the default suite's longest benchmarks). */
static int make_params(const struct gr_bench *b, const gr_program *p, gr_params **ps,
                       gr_error *err)
{
    int st = gr_params_new(p, ps, err);
    if (st == GR_OK && b->algo && strcmp(b->algo, "pagerank") == 0) {
        if ((st = gr_params_set(*ps, "tol", "0", err)) == GR_OK) {
            st = gr_params_set(*ps, "max_iter", "10", err);
        }
    }
    if (st == GR_OK && b->algo && strcmp(b->algo, "lpa") == 0) {
        st = gr_params_set(*ps, "max_iter", "10", err);
    }
    return st;
}

static int param_index(const gr_program *p, const char *name)
{
    int i, n = gr_program_nparams(p);
    for (i = 0; i < n; i++) {
        const char *pn;
        gr_type t;
        double fd;
        int64_t id;
        gr_program_param(p, i, &pn, &t, &fd, &id);
        if (strcmp(pn, name) == 0) {
            return i;
        }
    }
    return -1;
}

static double pf(const struct gr_bench *b, const char *name)
{
    return gr_params_f64(b->ps, param_index(b->prog, name));
}

static int64_t pi(const struct gr_bench *b, const char *name)
{
    return gr_params_i64(b->ps, param_index(b->prog, name));
}

static int bench_graph(struct gr_bench *b, gr_error *err)
{
    return b->graph ? gr_suite_graph(b->suite, b->graph, &b->g, err) : GR_OK;
}

static void teardown_all(struct gr_bench *b)
{
    int i;
    gr_result_release(&b->res);
    memset(&b->res, 0, sizeof b->res);
    gr_val_free(&b->out);
    for (i = 0; i < 3; i++) {
        gr_val_free(&b->v[i]);
    }
    gr_ctx_free(&b->ctx);
    gr_params_free(&b->ps);
    gr_plan_free(&b->plan);
    gr_program_free(&b->prog2);
    gr_program_free(&b->prog);
    gr_free(b->f64);
    gr_free(b->i64);
    b->f64 = NULL;
    b->i64 = NULL;
    b->g = NULL;
}

/* Checksum of a program result's first output (8 bytes per element). */
static int result_checksum(const gr_result *r, uint64_t *sum, gr_error *err)
{
    const gr_output *o;
    if (r->nout < 1) {
        return gr_err(err, GR_ERR_INVALID, "the program returns nothing");
    }
    o = &r->out[0];
    *sum = o->f64 ? gr_hash64(o->f64, o->len * sizeof *o->f64, 0)
                  : gr_hash64(o->i64, o->len * sizeof *o->i64, 0);
    return GR_OK;
}

/* ---- program benchmarks: step, batched, fused ---------------------------------------- */

static int prog_setup(struct gr_bench *b, gr_error *err)
{
    gr_passopts po;
    int st;
    if ((st = bench_graph(b, err)) < 0 || (st = compile_bench(b, &b->prog, err)) < 0) {
        return st;
    }
    if (b->mode == GR_MODE_STEP) {
        if ((st = gr_ctx_new(b->g, &b->ctx, err)) < 0) {
            return st;
        }
        return make_params(b, b->prog, &b->ps, err);
    }
    memset(&po, 0, sizeof po);
    po.level = b->mode == GR_MODE_FUSED ? 2 : b->what;   /* what: level for batched */
    if ((st = gr_optimize(b->prog, &po, &b->prog2, err)) < 0 ||
        (st = gr_plan_lower(b->prog2, &b->plan, err)) < 0) {
        return st;
    }
    return make_params(b, b->prog2, &b->ps, err);
}

static int prog_run(struct gr_bench *b, gr_error *err)
{
    gr_result_release(&b->res);
    memset(&b->res, 0, sizeof b->res);
    if (b->mode == GR_MODE_STEP) {
        return gr_step_run(b->ctx, b->prog, b->ps, &b->res, err);
    }
    return gr_plan_run(b->plan, b->g, b->ps, 0, &b->res, err);
}

static int prog_finish(struct gr_bench *b, uint64_t *sum, gr_error *err)
{
    return result_checksum(&b->res, sum, err);
}

static const struct gr_bench_ops prog_ops = {prog_setup, prog_run, prog_finish,
                                             teardown_all};

/* ---- native algorithms ------------------------------------------------------------ */

static int algo_is_f64(const char *algo)
{
    return strcmp(algo, "pagerank") == 0 || strcmp(algo, "sssp") == 0 ||
           strcmp(algo, "degree") == 0;
}

static int native_setup(struct gr_bench *b, gr_error *err)
{
    int st;
    size_t n;
    if ((st = bench_graph(b, err)) < 0 || (st = compile_bench(b, &b->prog, err)) < 0 ||
        (st = make_params(b, b->prog, &b->ps, err)) < 0) {
        return st;
    }
    n = b->g->n ? b->g->n : 1;
    if (algo_is_f64(b->algo)) {
        b->f64 = gr_calloc(n, sizeof *b->f64);
    } else {
        b->i64 = gr_calloc(n, sizeof *b->i64);
    }
    if (!b->f64 && !b->i64) {
        return gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    return GR_OK;
}

static int native_run(struct gr_bench *b, gr_error *err)
{
    gr_native_kind k = b->mode == GR_MODE_BEST ? GR_BEST : GR_NATIVE;
    const gr_graph *g = b->g;
    int64_t it;
    if (strcmp(b->algo, "pagerank") == 0) {
        return gr_native_pagerank(g, k, pf(b, "damping"), pf(b, "tol"),
                                  pi(b, "max_iter"), b->f64, &it, err);
    }
    if (strcmp(b->algo, "lpa") == 0) {
        return gr_native_lpa(g, k, pi(b, "max_iter"), b->i64, &it, err);
    }
    if (strcmp(b->algo, "wcc") == 0) {
        return gr_native_wcc(g, k, b->i64, &it, err);
    }
    if (strcmp(b->algo, "bfs") == 0) {
        return gr_native_bfs(g, k, pi(b, "source"), b->i64, &it, err);
    }
    if (strcmp(b->algo, "sssp") == 0) {
        return gr_native_sssp(g, k, pi(b, "source"), b->f64, &it, err);
    }
    if (strcmp(b->algo, "degree") == 0) {
        return gr_native_degree(g, k, b->f64, err);
    }
    return gr_err(err, GR_ERR_INVALID, "no native code for '%s'", b->algo);
}

static int native_finish(struct gr_bench *b, uint64_t *sum, gr_error *err)
{
    (void)err;
    *sum = b->f64 ? gr_hash64(b->f64, (size_t)b->g->n * sizeof *b->f64, 0)
                  : gr_hash64(b->i64, (size_t)b->g->n * sizeof *b->i64, 0);
    return GR_OK;
}

static const struct gr_bench_ops native_ops = {native_setup, native_run,
                                               native_finish, teardown_all};

/* ---- step API operations (dispatch/step-call and the ops group) --------------------- */

enum { OP_FILL, OP_SCALE, OP_ADDV, OP_OUT_DEGREE, OP_PULL_SUM, OP_REDUCE_SUM,
       OP_WHERE, OP_SCALAR_ADD };

static const char *const op_names[] = {"fill", "scalar_multiply", "add",
                                       "out_degree", "pull_sum", "reduce_sum",
                                       "where", "scalar_add"};
#define N_VEC_OPS 7   /* ops group: OP_FILL..OP_WHERE */

static int stepop_setup(struct gr_bench *b, gr_error *err)
{
    gr_val *one = NULL;
    int st;
    if ((st = bench_graph(b, err)) < 0 || (st = gr_ctx_new(b->g, &b->ctx, err)) < 0 ||
        (st = gr_step_const_f64(b->ctx, 1.5, &b->v[0], err)) < 0 ||
        (st = gr_step_const_f64(b->ctx, 2.5, &b->v[1], err)) < 0) {
        return st;
    }
    if (b->what == OP_SCALAR_ADD) {
        return GR_OK;
    }
    /* v[1] becomes a vector, v[2] a mask (node_index < n/2) */
    gr_val_free(&b->v[1]);
    if ((st = gr_step_apply(b->ctx, GR_OP_FILL, b->v, 1, &b->v[1], err)) < 0 ||
        (st = gr_step_const_i64(b->ctx, (int64_t)(b->g->n / 2), &one, err)) < 0) {
        return st;
    }
    {
        gr_val *idx = NULL, *args[2];
        st = gr_step_apply(b->ctx, GR_OP_NODE_INDEX, NULL, 0, &idx, err);
        if (st == GR_OK) {
            args[0] = idx;
            args[1] = one;
            st = gr_step_apply(b->ctx, GR_OP_LT, args, 2, &b->v[2], err);
        }
        gr_val_free(&idx);
    }
    gr_val_free(&one);
    return st;
}

static int stepop_run(struct gr_bench *b, gr_error *err)
{
    gr_val *a[3];
    gr_val_free(&b->out);
    switch (b->what) {
    case OP_FILL:
        return gr_step_apply(b->ctx, GR_OP_FILL, b->v, 1, &b->out, err);
    case OP_SCALE:
        a[0] = b->v[1];
        a[1] = b->v[0];
        return gr_step_apply(b->ctx, GR_OP_MUL, a, 2, &b->out, err);
    case OP_ADDV:
        a[0] = b->v[1];
        a[1] = b->v[1];
        return gr_step_apply(b->ctx, GR_OP_ADD, a, 2, &b->out, err);
    case OP_OUT_DEGREE:
        return gr_step_apply(b->ctx, GR_OP_OUT_DEGREE, NULL, 0, &b->out, err);
    case OP_PULL_SUM:
        return gr_step_agg(b->ctx, GR_DIR_IN, GR_MON_SUM, GR_MSG_X, 0, b->v[1],
                           &b->out, err);
    case OP_REDUCE_SUM:
        return gr_step_apply(b->ctx, GR_OP_REDUCE_SUM, &b->v[1], 1, &b->out, err);
    case OP_WHERE:
        a[0] = b->v[2];
        a[1] = b->v[1];
        a[2] = b->v[0];
        return gr_step_apply(b->ctx, GR_OP_WHERE, a, 3, &b->out, err);
    default:
        return gr_step_apply(b->ctx, GR_OP_ADD, b->v, 2, &b->out, err);
    }
}

static int stepop_finish(struct gr_bench *b, uint64_t *sum, gr_error *err)
{
    gr_type t = gr_val_type(b->out);
    size_t n = (t == GR_T_F64V || t == GR_T_I64V || t == GR_T_MASK) ? b->g->n : 1;
    int st;
    if (t == GR_T_F64 || t == GR_T_F64V) {
        double *x = gr_calloc(n ? n : 1, sizeof *x);
        if (!x) {
            return gr_err(err, GR_ERR_NOMEM, "out of memory");
        }
        st = gr_val_read_f64(b->out, x, n, err);
        *sum = gr_hash64(x, n * sizeof *x, 0);
        gr_free(x);
    } else {
        int64_t *x = gr_calloc(n ? n : 1, sizeof *x);
        if (!x) {
            return gr_err(err, GR_ERR_NOMEM, "out of memory");
        }
        st = gr_val_read_i64(b->out, x, n, err);
        *sum = gr_hash64(x, n * sizeof *x, 0);
        gr_free(x);
    }
    return st;
}

static const struct gr_bench_ops stepop_ops = {stepop_setup, stepop_run,
                                               stepop_finish, teardown_all};

/* ---- dispatch: the chain program, per op (step) or per instruction (plan) ------------ */

static int chain_setup(struct gr_bench *b, gr_error *err)
{
    int st;
    if ((st = bench_graph(b, err)) < 0 || (st = compile_bench(b, &b->prog, err)) < 0 ||
        (st = make_params(b, b->prog, &b->ps, err)) < 0) {
        return st;
    }
    if (b->mode == GR_MODE_STEP) {
        b->per = gr_program_op_count(b->prog);
        return gr_ctx_new(b->g, &b->ctx, err);
    }
    /* unoptimized: every op of the chain stays an instruction */
    if ((st = gr_plan_lower(b->prog, &b->plan, err)) < 0) {
        return st;
    }
    b->per = gr_plan_size(b->plan);
    gr_free(b->metrics);
    b->metrics = xprintf("{\"instructions\": %d, \"ops\": %d}", gr_plan_size(b->plan),
                         gr_program_op_count(b->prog));
    return b->metrics ? GR_OK : gr_err(err, GR_ERR_NOMEM, "out of memory");
}

static int chain_run(struct gr_bench *b, gr_error *err)
{
    gr_result_release(&b->res);
    memset(&b->res, 0, sizeof b->res);
    if (b->mode == GR_MODE_STEP) {
        return gr_step_run(b->ctx, b->prog, b->ps, &b->res, err);
    }
    return gr_plan_run(b->plan, b->g, b->ps, 0, &b->res, err);
}

static const struct gr_bench_ops chain_ops = {chain_setup, chain_run, prog_finish,
                                              teardown_all};

/* ---- compile phases ---------------------------------------------------------------- */

enum { PH_PARSE, PH_VERIFY, PH_OPTIMIZE, PH_LOWER };
static const char *const phase_names[] = {"parse", "verify", "optimize", "lower"};

static int compile_setup(struct gr_bench *b, gr_error *err)
{
    gr_passopts po;
    gr_program *o = NULL;
    int st;
    if ((st = compile_bench(b, &b->prog, err)) < 0) {
        return st;
    }
    if (b->what == PH_LOWER) {
        /* lower what the fastest working plan mode runs */
        memset(&po, 0, sizeof po);
        po.level = b->suite->mode_ok[GR_MODE_FUSED] ? 2 : 1;
        if ((st = gr_optimize(b->prog, &po, &o, err)) < 0) {
            return st;
        }
        gr_program_free(&b->prog);
        b->prog = o;
    }
    return GR_OK;
}

static int compile_run(struct gr_bench *b, gr_error *err)
{
    gr_passopts po;
    const char *src;
    switch (b->what) {
    case PH_PARSE:
        gr_program_free(&b->prog2);
        src = gr_library_source(b->algo);
        return gr_lang_compile(src, strlen(src), b->algo, &b->prog2, NULL, err);
    case PH_VERIFY:
        return gr_program_verify(b->prog, err);
    case PH_OPTIMIZE:
        gr_program_free(&b->prog2);
        memset(&po, 0, sizeof po);
        po.level = 2;
        return gr_optimize(b->prog, &po, &b->prog2, err);
    default:
        gr_plan_free(&b->plan);
        return gr_plan_lower(b->prog, &b->plan, err);
    }
}

static int compile_finish(struct gr_bench *b, uint64_t *sum, gr_error *err)
{
    char *text = NULL;
    int st;
    if (b->what == PH_VERIFY) {
        *sum = gr_mix64((uint64_t)gr_program_op_count(b->prog));
        return GR_OK;
    }
    st = b->what == PH_LOWER ? gr_plan_print(b->plan, &text, err)
                             : gr_program_print(b->prog2, &text, err);
    if (st == GR_OK) {
        *sum = hash_text(text);
    }
    gr_free_string(&text);
    return st;
}

static const struct gr_bench_ops compile_ops = {compile_setup, compile_run,
                                                compile_finish, teardown_all};

/* ---- fusion: -O2 with op counts after every pass -------------------------------------- */

struct pass_log {
    char buf[768];
    size_t len;
};

static void log_pass(const char *pass, const gr_program *p, void *ctx)
{
    struct pass_log *l = ctx;
    if (l->len < sizeof l->buf) {
        int k = snprintf(l->buf + l->len, sizeof l->buf - l->len,
                         ", \"after_%s\": %d", pass, gr_program_op_count(p));
        l->len += k > 0 ? (size_t)k : 0;
    }
}

static int plan_size_of(const gr_program *p, int *size)
{
    gr_plan *plan = NULL;
    int st = gr_plan_lower(p, &plan, NULL);
    *size = st == GR_OK ? gr_plan_size(plan) : -1;
    gr_plan_free(&plan);
    return st;
}

static int fusion_setup(struct gr_bench *b, gr_error *err)
{
    struct pass_log log;
    gr_passopts po;
    gr_program *o1 = NULL;
    int st, before = -1, after = -1;
    char ins[96] = "";
    memset(&log, 0, sizeof log);
    if ((st = compile_bench(b, &b->prog, err)) < 0) {
        return st;
    }
    memset(&po, 0, sizeof po);
    po.level = 2;
    po.after_pass = log_pass;
    po.ctx = &log;
    if ((st = gr_optimize(b->prog, &po, &b->prog2, err)) < 0) {
        return st;
    }
    po.level = 1;
    po.after_pass = NULL;
    if ((st = gr_optimize(b->prog, &po, &o1, err)) < 0) {
        return st;
    }
    if (b->suite->mode_ok[GR_MODE_BATCHED] && b->suite->mode_ok[GR_MODE_FUSED] &&
        plan_size_of(o1, &before) == GR_OK && plan_size_of(b->prog2, &after) == GR_OK) {
        snprintf(ins, sizeof ins, ", \"instructions_before\": %d, "
                 "\"instructions_after\": %d", before, after);
    }
    gr_program_free(&o1);
    gr_free(b->metrics);
    b->metrics = xprintf("{\"ops_before\": %d%s, \"ops_after\": %d%s}",
                         gr_program_op_count(b->prog), log.buf,
                         gr_program_op_count(b->prog2), ins);
    return b->metrics ? GR_OK : gr_err(err, GR_ERR_NOMEM, "out of memory");
}

static int fusion_run(struct gr_bench *b, gr_error *err)
{
    gr_passopts po;
    gr_program_free(&b->prog2);
    memset(&po, 0, sizeof po);
    po.level = 2;
    return gr_optimize(b->prog, &po, &b->prog2, err);
}

static int fusion_finish(struct gr_bench *b, uint64_t *sum, gr_error *err)
{
    char *text = NULL;
    int st = gr_program_print(b->prog2, &text, err);
    if (st == GR_OK) {
        *sum = hash_text(text);
    }
    gr_free_string(&text);
    return st;
}

static const struct gr_bench_ops fusion_ops = {fusion_setup, fusion_run,
                                               fusion_finish, teardown_all};

/* ---- building the table -------------------------------------------------------------- */

struct builder {
    struct gr_suite *s;
    regex_t re;
    int have_re;
};

/* Append a benchmark when the filter matches its name.  Takes ownership
 * of name, params and source (NULL name/params: out of memory). */
static int add_bench(struct builder *bl, char *name, const char *group, int version,
                     char *params, const struct gr_bench_ops *ops, int mode,
                     const char *algo, char *source, const char *graph, int what,
                     gr_error *err)
{
    struct gr_suite *s = bl->s;
    struct gr_bench *b;
    if (!name || !params) {
        goto nomem;
    }
    if (bl->have_re && regexec(&bl->re, name, 0, NULL, 0) != 0) {
        gr_free(name);
        gr_free(params);
        gr_free(source);
        return GR_OK;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        struct gr_bench *nb = gr_realloc(s->b, cap * sizeof *nb);
        if (!nb) {
            goto nomem;
        }
        s->b = nb;
        s->cap = cap;
    }
    b = &s->b[s->n];
    memset(b, 0, sizeof *b);
    b->name = name;
    b->group = group;
    b->version = version;
    b->params = params;
    b->ops = ops;
    b->suite = s;
    b->mode = mode;
    b->algo = algo;
    b->source = source;
    b->what = what;
    b->per = 1;
    if (graph && !(b->graph = gr_strdup(graph))) {
        goto nomem;
    }
    s->n++;
    return GR_OK;
nomem:
    gr_free(name);
    gr_free(params);
    gr_free(source);
    return gr_err(err, GR_ERR_NOMEM, "out of memory");
}

/* The chain program of the dispatch group: CHAIN_LEN statements of two
 * cheap scalar ops each. */
static char *chain_source(void)
{
    size_t cap = 64 + CHAIN_LEN * 40, len;
    char *s = gr_malloc(cap);
    int i;
    if (!s) {
        return NULL;
    }
    len = (size_t)snprintf(s, cap, "algorithm chain(x = 1.0) {\n    a = x\n");
    for (i = 0; i < CHAIN_LEN; i++) {
        len += (size_t)snprintf(s + len, cap - len, "    a = a * 0.999 + 0.5\n");
    }
    snprintf(s + len, cap - len, "    return a\n}\n");
    return s;
}

/* The loops group's programs: a `repeat LOOP_N` loop, or its body unrolled. */
static char *loop_source(int unrolled)
{
    size_t cap = 256 + LOOP_N * 40, len;
    char *s = gr_malloc(cap);
    int i;
    if (!s) {
        return NULL;
    }
    len = (size_t)snprintf(s, cap, "algorithm %s() {\n    x = fill(1.0)\n",
                           unrolled ? "unrolled" : "looped");
    if (unrolled) {
        for (i = 0; i < LOOP_N; i++) {
            len += (size_t)snprintf(s + len, cap - len, "    x = x * 0.5 + 1.0\n");
        }
    } else {
        len += (size_t)snprintf(s + len, cap - len,
                                "    repeat %d {\n        x = x * 0.5 + 1.0\n    }\n",
                                LOOP_N);
    }
    snprintf(s + len, cap - len, "    return x\n}\n");
    return s;
}

/* Whether algorithm `algo` at -O`level` lowers and runs on a small graph:
 * 1, or 0 with why[n] filled. */
static int probe_plan(struct gr_suite *s, const char *algo, int level, char *why,
                      size_t n)
{
    const char *src = gr_library_source(algo);
    gr_program *p = NULL, *o = NULL;
    gr_plan *plan = NULL;
    gr_graph *g = NULL;
    gr_passopts po;
    gr_result res;
    gr_error err;
    int st;
    memset(&res, 0, sizeof res);
    memset(&po, 0, sizeof po);
    po.level = level;
    gr_error_clear(&err);
    st = compile_text(src, algo, &p, &err);
    if (st == GR_OK) {
        st = gr_optimize(p, &po, &o, &err);
    }
    if (st == GR_OK) {
        st = gr_plan_lower(o, &plan, &err);
    }
    if (st == GR_OK) {
        st = gr_suite_graph(s, G_SMALL, &g, &err);
    }
    if (st == GR_OK) {
        st = gr_plan_run(plan, g, NULL, 0, &res, &err);
    }
    if (st < 0) {
        gr_error_format(&err, why, n);
    }
    gr_result_release(&res);
    gr_plan_free(&plan);
    gr_program_free(&o);
    gr_program_free(&p);
    return st == GR_OK;
}

/* probe_plan in a child process, so that a plan that crashes (the plan
 * engine is still being finished) leaves the mode out instead of killing
 * the run.  Called before the parent has started any OpenMP threads. */
static int probe_forked(struct gr_suite *s, const char *algo, int level, char *why,
                        size_t n)
{
    int fds[2], status = 0;
    ssize_t got;
    pid_t pid;
    if (pipe(fds) != 0) {
        return probe_plan(s, algo, level, why, n);
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        int ok;
        close(fds[0]);
        why[0] = '\0';
        ok = probe_plan(s, algo, level, why, n);
        if (!ok && write(fds[1], why, strlen(why)) < 0) {
            _exit(2);
        }
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return probe_plan(s, algo, level, why, n);
    }
    {
        /* a probe that hangs (a plan that never ends) is killed */
        struct pollfd pfd;
        int pr;
        pfd.fd = fds[0];
        pfd.events = POLLIN;
        do {
            pr = poll(&pfd, 1, PROBE_TIMEOUT_S * 1000);
        } while (pr < 0 && errno == EINTR);
        got = pr > 0 ? read(fds[0], why, n - 1) : -1;
        why[got > 0 ? (size_t)got : 0] = '\0';
        if (pr == 0) {
            kill(pid, SIGKILL);
        }
        close(fds[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (pr == 0) {
            snprintf(why, n, "timed out after %d s", PROBE_TIMEOUT_S);
            return 0;
        }
    }
    if (WIFSIGNALED(status)) {
        snprintf(why, n, "crashed: %s", strsignal(WTERMSIG(status)));
        return 0;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Probe the plan modes: PageRank decides whether a mode exists at all;
 * each other algorithm whether it runs in that mode. */
static void probe_modes(struct gr_suite *s)
{
    static const int levels[2][2] = {{GR_MODE_BATCHED, 1}, {GR_MODE_FUSED, 2}};
    const char *const *names = gr_library_names();
    char why[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    size_t a;
    int k;
    for (k = 0; k < 2; k++) {
        int mode = levels[k][0], level = levels[k][1];
        if (!probe_forked(s, "pagerank", level, why, sizeof why)) {
            s->mode_ok[mode] = 0;
            note(s, "%s mode left out: PageRank at -O%d does not lower and run yet (%s)",
                 mode_names[mode], level, why);
            continue;
        }
        for (a = 0; names[a] && a < 32; a++) {
            if (strcmp(names[a], "pagerank") != 0 &&
                !probe_forked(s, names[a], level, why, sizeof why)) {
                s->algo_bad[mode] |= 1u << a;
                note(s, "%s %s left out: does not lower and run at -O%d yet (%s)",
                     names[a], mode_names[mode], level, why);
            }
        }
    }
}

/* "uniform-n1000-m5000-seed42"-style label of a user's graph spec. */
static void spec_label(const char *spec, char *buf, size_t n)
{
    size_t i, o = 0;
    for (i = 0; spec[i] && o + 1 < n; i++) {
        char c = spec[i];
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '.' || c == '_';
        if (keep) {
            buf[o++] = c;
        } else if (o > 0 && buf[o - 1] != '-') {
            buf[o++] = '-';
        }
    }
    while (o > 0 && buf[o - 1] == '-') {
        o--;
    }
    buf[o] = '\0';
}

/* Every library algorithm in every working mode on one graph. */
static int add_algorithms(struct builder *bl, const char *label, const char *spec,
                          uint64_t m, gr_error *err)
{
    const char *const *names = gr_library_names();
    char wspec[GR_SPEC_TEXT_MAX], esc[2 * GR_SPEC_TEXT_MAX];
    size_t a;
    int mode, st;
    for (a = 0; names[a]; a++) {
        const char *algo = names[a], *use = spec;
        gr_spec sp;
        if (strcmp(algo, "sssp") == 0 && gr_spec_parse(spec, &sp, NULL) == GR_OK &&
            sp.kind != GR_SPEC_FILE && sp.weights == GR_WEIGHTS_NONE) {
            sp.weights = GR_WEIGHTS_UNIFORM;   /* SSSP on the weighted variant */
            use = gr_spec_format(&sp, wspec, sizeof wspec);
        }
        for (mode = 0; mode < GR_MODE__COUNT; mode++) {
            const struct gr_bench_ops *ops = mode >= GR_MODE_NATIVE ? &native_ops
                                                                     : &prog_ops;
            if (!bl->s->mode_ok[mode] || (bl->s->algo_bad[mode] >> a & 1u) ||
                (mode == GR_MODE_STEP && m > STEP_MAX_EDGES)) {
                continue;
            }
            st = add_bench(bl, xprintf("algorithms/%s/%s/%s", algo, mode_names[mode], label),
                           "algorithms", V_ALGO,
                           xprintf("{\"algo\": \"%s\", \"mode\": \"%s\", \"graph\": \"%s\"%s}",
                                   algo, mode_names[mode], jesc(use, esc, sizeof esc),
                                   strcmp(algo, "pagerank") == 0
                                       ? ", \"tol\": 0, \"max_iter\": 10"
                                       : strcmp(algo, "lpa") == 0 ? ", \"max_iter\": 10" : ""),
                           ops, mode, algo, NULL, use, 1, err);
            if (st < 0) {
                return st;
            }
        }
    }
    return GR_OK;
}

/* Edges of a generator spec (UINT64_MAX for files: unknown until loaded). */
static uint64_t spec_edges(const gr_spec *sp)
{
    if (sp->kind == GR_SPEC_UNIFORM) {
        return sp->m * (sp->sym ? 2 : 1);
    }
    if (sp->kind == GR_SPEC_RMAT) {
        return ((uint64_t)sp->ef << sp->scale) * (sp->sym ? 2 : 1);
    }
    return UINT64_MAX;
}

static int check_inputs(const struct gr_suite_opts *o, gr_error *err)
{
    size_t i;
    for (i = 0; i < o->ngraphs; i++) {
        gr_spec sp;
        gr_error e;
        char buf[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
        gr_error_clear(&e);
        if (gr_spec_parse(o->graphs[i], &sp, &e) < 0) {
            return gr_err(err, GR_ERR_PARSE, "bad graph spec '%s': %s", o->graphs[i],
                          gr_error_format(&e, buf, sizeof buf));
        }
        if (sp.kind == GR_SPEC_FILE && access(sp.path, R_OK) != 0) {
            return gr_err(err, GR_ERR_IO, "%s: cannot read graph file", sp.path);
        }
    }
    for (i = 0; i < o->nprograms; i++) {
        gr_program *p = NULL;
        gr_diags d = {0, NULL};
        int st;
        if (access(o->programs[i], R_OK) != 0) {
            return gr_err(err, GR_ERR_IO, "%s: cannot read program", o->programs[i]);
        }
        st = gr_lang_compile_file(o->programs[i], &p, &d, err);
        gr_diags_release(&d);
        gr_program_free(&p);
        if (st < 0) {
            return st;
        }
    }
    return GR_OK;
}

static int build_table(struct builder *bl, const struct gr_suite_opts *o, gr_error *err)
{
    struct gr_suite *s = bl->s;
    const char *const *names = gr_library_names();
    const char *opsg = s->kind == GR_SUITE_QUICK ? G_OPS_QUICK : G_OPS_BIG;
    char esc[2 * GR_SPEC_TEXT_MAX], label[GR_SPEC_TEXT_MAX];
    size_t a, i;
    int k, st = GR_OK, mode;

    /* 1 dispatch */
    st = add_bench(bl, xprintf("dispatch/step-call/scalar-add"), "dispatch", V_DISPATCH,
                   xprintf("{\"api\": \"gr_step_apply\", \"op\": \"add\", \"n\": 1, "
                           "\"per\": \"call\"}"),
                   &stepop_ops, GR_MODE_STEP, NULL, NULL, G_TINY, OP_SCALAR_ADD, err);
    if (st == GR_OK) {
        st = add_bench(bl, xprintf("dispatch/step-program/scalar-chain"), "dispatch",
                       V_DISPATCH,
                       xprintf("{\"api\": \"gr_step_run\", \"statements\": %d, \"n\": 1, "
                               "\"per\": \"op\"}", CHAIN_LEN),
                       &chain_ops, GR_MODE_STEP, NULL, chain_source(), G_TINY, 0, err);
    }
    if (st == GR_OK && s->mode_ok[GR_MODE_BATCHED]) {
        st = add_bench(bl, xprintf("dispatch/batched/scalar-chain"), "dispatch", V_DISPATCH,
                       xprintf("{\"api\": \"gr_plan_run\", \"statements\": %d, \"n\": 1, "
                               "\"opt\": 0, \"per\": \"instruction\"}", CHAIN_LEN),
                       &chain_ops, GR_MODE_BATCHED, NULL, chain_source(), G_TINY, 0, err);
    }
    /* 2 ops */
    for (k = 0; st == GR_OK && k < N_VEC_OPS; k++) {
        st = add_bench(bl, xprintf("ops/%s/%s", op_names[k],
                                   s->kind == GR_SUITE_QUICK ? "10k" : "1m"),
                       "ops", V_OPS,
                       xprintf("{\"op\": \"%s\", \"api\": \"step\", \"graph\": \"%s\"}",
                               op_names[k], opsg),
                       &stepop_ops, GR_MODE_STEP, NULL, NULL, opsg, k, err);
    }
    /* 3 compile */
    for (a = 0; st == GR_OK && names[a]; a++) {
        for (k = 0; st == GR_OK && k < 4; k++) {
            if (k == PH_LOWER && !s->mode_ok[GR_MODE_BATCHED] && !s->mode_ok[GR_MODE_FUSED]) {
                continue;
            }
            st = add_bench(bl, xprintf("compile/%s/%s", names[a], phase_names[k]),
                           "compile", V_COMPILE,
                           xprintf("{\"algo\": \"%s\", \"phase\": \"%s\"%s}", names[a],
                                   phase_names[k], k == PH_OPTIMIZE ? ", \"opt\": 2" : ""),
                           &compile_ops, -1, names[a], NULL, NULL, k, err);
        }
    }
    /* 4 fusion */
    for (a = 0; st == GR_OK && names[a]; a++) {
        st = add_bench(bl, xprintf("fusion/%s/passes", names[a]), "fusion", V_FUSION,
                       xprintf("{\"algo\": \"%s\", \"opt\": 2}", names[a]),
                       &fusion_ops, -1, names[a], NULL, NULL, 0, err);
    }
    /* 5 loops */
    for (k = 0; st == GR_OK && k < 2; k++) {
        for (mode = GR_MODE_STEP; st == GR_OK && mode <= GR_MODE_BATCHED; mode++) {
            if (!s->mode_ok[mode]) {
                continue;
            }
            st = add_bench(bl, xprintf("loops/%s-%d/%s/uniform-1k-5k",
                                       k ? "unrolled" : "repeat", LOOP_N, mode_names[mode]),
                           "loops", V_LOOPS,
                           xprintf("{\"body\": \"%s\", \"iterations\": %d, \"mode\": \"%s\", "
                                   "\"graph\": \"%s\", \"opt\": 0}",
                                   k ? "unrolled" : "repeat", LOOP_N, mode_names[mode],
                                   G_SMALL),
                           &prog_ops, mode, NULL, loop_source(k), G_SMALL, 0, err);
        }
    }
    /* 6 algorithms */
    for (i = 0; st == GR_OK && i < N_SUITE_GRAPHS; i++) {
        if (suite_graphs[i].from <= s->kind) {
            st = add_algorithms(bl, suite_graphs[i].label, suite_graphs[i].spec,
                                suite_graphs[i].m, err);
        }
    }
    for (i = 0; st == GR_OK && i < o->ngraphs; i++) {
        gr_spec sp;
        char canon[GR_SPEC_TEXT_MAX];
        gr_spec_parse(o->graphs[i], &sp, NULL);
        gr_spec_format(&sp, canon, sizeof canon);
        spec_label(canon, label, sizeof label);
        st = add_algorithms(bl, label, canon, spec_edges(&sp), err);
    }
    /* user programs: on the small graph and every --graph */
    for (i = 0; st == GR_OK && i < o->nprograms; i++) {
        const char *base = strrchr(o->programs[i], '/');
        size_t gi;
        base = base ? base + 1 : o->programs[i];
        for (gi = 0; st == GR_OK && gi <= o->ngraphs; gi++) {
            char canon[GR_SPEC_TEXT_MAX];
            uint64_t m = 5000;
            if (gi == 0) {
                snprintf(canon, sizeof canon, "%s", G_SMALL);
                snprintf(label, sizeof label, "uniform-1k-5k");
            } else {
                gr_spec sp;
                gr_spec_parse(o->graphs[gi - 1], &sp, NULL);
                gr_spec_format(&sp, canon, sizeof canon);
                spec_label(canon, label, sizeof label);
                m = spec_edges(&sp);
            }
            for (mode = GR_MODE_STEP; st == GR_OK && mode <= GR_MODE_FUSED; mode++) {
                char pesc[2048];
                size_t before = s->n;
                if (!s->mode_ok[mode] || (mode == GR_MODE_STEP && m > STEP_MAX_EDGES)) {
                    continue;
                }
                st = add_bench(bl, xprintf("user/%s/%s/%s", base, mode_names[mode], label),
                               "user", V_USER,
                               xprintf("{\"program\": \"%s\", \"mode\": \"%s\", "
                                       "\"graph\": \"%s\"}",
                                       jesc(o->programs[i], pesc, sizeof pesc),
                                       mode_names[mode], jesc(canon, esc, sizeof esc)),
                               &prog_ops, mode, NULL, NULL, canon, 1, err);
                if (st == GR_OK && s->n > before) {
                    s->b[s->n - 1].file = o->programs[i];
                }
            }
        }
    }
    return st;
}

void gr_suite_opts_from_args(struct gr_suite_opts *so, const struct gr_args *args)
{
    const struct gr_optval *v;
    const char **graphs, **programs;
    int i, ng = gr_args_count(args, "graph"), np = gr_args_count(args, "program");
    memset(so, 0, sizeof *so);
    so->kind = gr_args_get(args, "suite")->choice;
    v = gr_args_get(args, "filter");
    so->filter = v ? v->text : NULL;
    graphs = gr_cli_alloc((size_t)ng + 1, sizeof *graphs);
    programs = gr_cli_alloc((size_t)np + 1, sizeof *programs);
    for (i = 0; i < ng; i++) {
        graphs[i] = gr_args_nth(args, "graph", i)->text;
    }
    for (i = 0; i < np; i++) {
        programs[i] = gr_args_nth(args, "program", i)->text;
    }
    so->graphs = graphs;
    so->ngraphs = (size_t)ng;
    so->programs = programs;
    so->nprograms = (size_t)np;
}

void gr_suite_opts_free(struct gr_suite_opts *so)
{
    gr_free((void *)so->graphs);
    gr_free((void *)so->programs);
    so->graphs = NULL;
    so->programs = NULL;
}

int gr_suite_build(struct gr_suite *s, const struct gr_suite_opts *o, gr_error *err)
{
    struct builder bl;
    char why[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    int st, rc, mode;
    memset(s, 0, sizeof *s);
    memset(&bl, 0, sizeof bl);
    s->kind = o->kind;
    bl.s = s;
    if (o->filter) {
        rc = regcomp(&bl.re, o->filter, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            regerror(rc, &bl.re, why, sizeof why);
            return gr_err(err, GR_ERR_INVALID, "bad --filter '%s': %s", o->filter, why);
        }
        bl.have_re = 1;
    }
    if ((st = check_inputs(o, err)) < 0) {
        goto done;
    }
    for (mode = 0; mode < GR_MODE__COUNT; mode++) {
        s->mode_ok[mode] = 1;
    }
    probe_modes(s);
    st = build_table(&bl, o, err);
    if (st == GR_OK && s->n == 0) {
        st = gr_err(err, GR_ERR_INVALID, "--filter '%s' matches no benchmark of the %s "
                    "suite", o->filter ? o->filter : "",
                    gr_suite_names[o->kind]);
    }
done:
    if (bl.have_re) {
        regfree(&bl.re);
    }
    return st;
}

void gr_suite_release(struct gr_suite *s)
{
    size_t i;
    for (i = 0; s->b && i < s->n; i++) {
        struct gr_bench *b = &s->b[i];
        teardown_all(b);
        gr_free(b->name);
        gr_free(b->params);
        gr_free(b->metrics);
        gr_free(b->source);
        gr_free(b->graph);
    }
    gr_free(s->b);
    for (i = 0; i < s->ngraphs; i++) {
        gr_graph_free(&s->graphs[i].g);
        gr_free(s->graphs[i].spec);
    }
    gr_free(s->graphs);
    memset(s, 0, sizeof *s);
}
