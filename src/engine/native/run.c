/*
 * run.c - gr_native_run: the native twin of a library program, called by
 * the program's name with the program's parameter values, its result put
 * into a gr_result exactly as the engine's modes put theirs (same name,
 * type and iteration count), so every caller (grprof exec, the suite, the
 * tests) compares modes through one path.
 */
#include "config.h"
#include "engine/native/native_internal.h"
#include "engine/exec/result.h"
#include "engine/ir/ir.h"

#include <string.h>

/* The value of parameter `name` (the library programs declare every
 * parameter their native twin reads). */
static double pf(const gr_program *p, const gr_params *ps, const char *name)
{
    return gr_params_f64(ps, gr_program_param_index(p, name));
}

static int64_t pi(const gr_program *p, const gr_params *ps, const char *name)
{
    return gr_params_i64(ps, gr_program_param_index(p, name));
}

/* See gr.h. */
int gr_native_run(const gr_graph *g, gr_native_kind kind, const gr_program *p,
                  const gr_params *ps, gr_result *res, gr_error *err)
{
    const char *name;
    gr_type t;
    double *f;
    int64_t *iv;
    int rc;
    if (!res) {
        return gr_err(err, GR_ERR_INVALID, "gr_native_run: result is NULL");
    }
    memset(res, 0, sizeof *res);
    if (!g || !p || !ps) {
        return gr_err(err, GR_ERR_INVALID, "gr_native_run: %s is NULL",
                      !g ? "graph" : !p ? "program" : "parameters");
    }
    name = gr_program_name(p);
    t = gr_program_result_type(p, 0);
    if (!(res->out = gr_calloc(1, sizeof *res->out))) {
        return gr_err_nomem(err, "results");
    }
    res->nout = 1;
    if ((rc = gr_result_prepare_output(res, 0, p, t, g->n, err)) < 0) {
        gr_result_release(res);
        return rc;
    }
    f = res->out[0].f64;
    iv = res->out[0].i64;
    if (strcmp(name, "pagerank") == 0 && f) {
        rc = gr_native_pagerank(g, kind, pf(p, ps, "damping"), pf(p, ps, "tol"),
                                pi(p, ps, "max_iter"), f, &res->iters, err);
    } else if (strcmp(name, "lpa") == 0 && iv) {
        rc = gr_native_lpa(g, kind, pi(p, ps, "max_iter"), iv, &res->iters, err);
    } else if (strcmp(name, "wcc") == 0 && iv) {
        rc = gr_native_wcc(g, kind, iv, &res->iters, err);
    } else if (strcmp(name, "bfs") == 0 && iv) {
        rc = gr_native_bfs(g, kind, pi(p, ps, "source"), iv, &res->iters, err);
    } else if (strcmp(name, "sssp") == 0 && f) {
        rc = gr_native_sssp(g, kind, pi(p, ps, "source"), f, &res->iters, err);
    } else if (strcmp(name, "degree") == 0 && f) {
        rc = gr_native_degree(g, kind, f, err);
        res->iters = 0;
    } else {
        rc = gr_err(err, GR_ERR_INVALID, "'%s' has no native implementation (only "
                    "the library algorithms do)", name);
    }
    if (rc < 0) {
        gr_result_release(res);
    }
    return rc;
}
