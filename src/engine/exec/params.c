/*
 * params.c - parameter values for a run (gr_params_*) and the release of
 * run results (gr_result_release), shared by every execution mode.
 *
 * A gr_params starts from the program's defaults and is changed from text
 * (the CLI's --param name=value), each value checked against the
 * parameter's type.  It refers to the program for the parameter names, so
 * the program must outlive it; executors accept it for any program with
 * the same parameter list (e.g. an optimized copy).
 */
#include "config.h"
#include "gr.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/mem.h"
#include "engine/ir/ir.h"
#include "engine/exec/result.h"
#include "engine/ir/sem.h"

struct gr_params {
    const gr_program *prog;  /* borrowed: names and types */
    int n;                   /* number of parameters */
    double *f;               /* n values, for f64 parameters */
    int64_t *i;              /* n values, for i64 and bool (0/1) parameters */
};

/* See gr.h.  *out (owned by the caller, freed with gr_params_free) holds
 * p's defaults; p must outlive it. */
int gr_params_new(const gr_program *p, gr_params **out, gr_error *err)
{
    gr_params *ps;
    int k, n;
    if (!out) {
        return gr_err(err, GR_ERR_INVALID, "gr_params_new: out is NULL");
    }
    *out = NULL;
    if (!p) {
        return gr_err(err, GR_ERR_INVALID, "gr_params_new: program is NULL");
    }
    n = p->nparams;
    if (!(ps = gr_calloc(1, sizeof *ps)) ||
        !(ps->f = gr_calloc((size_t)n, sizeof *ps->f)) ||
        !(ps->i = gr_calloc((size_t)n, sizeof *ps->i))) {
        if (ps) {
            gr_free(ps->f);
            gr_free(ps);
        }
        return gr_err_nomem(err, "parameters");
    }
    ps->prog = p;
    ps->n = n;
    for (k = 0; k < n; k++) {
        ps->f[k] = p->params[k].fdefault;
        ps->i[k] = p->params[k].type == GR_T_BOOL ? p->params[k].idefault != 0
                                                  : p->params[k].idefault;
    }
    *out = ps;
    return GR_OK;
}

/* See gr.h.  NULLs *ps. */
void gr_params_free(gr_params **ps)
{
    if (ps && *ps) {
        gr_free((*ps)->f);
        gr_free((*ps)->i);
        gr_free(*ps);
        *ps = NULL;
    }
}

/* "damping, tol, max_iter" into buf. */
static const char *known_names(const gr_params *ps, char *buf, size_t len)
{
    size_t used = 0;
    int k;
    buf[0] = '\0';
    for (k = 0; k < ps->n && used < len; k++) {
        int w = snprintf(buf + used, len - used, "%s%s", k ? ", " : "",
                         ps->prog->params[k].name);
        if (w < 0) {
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

/* value without leading and trailing blanks into buf; 0 if too long. */
static int trimmed(const char *value, char *buf, size_t len)
{
    const char *s = value, *e;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) {
        e--;
    }
    if ((size_t)(e - s) >= len) {
        return 0;
    }
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = '\0';
    return 1;
}

/* See gr.h.  Accepts for f64 any C floating-point literal (also inf, nan),
 * for i64 a decimal integer in range, for bool true/false/1/0. */
int gr_params_set(gr_params *ps, const char *name, const char *value, gr_error *err)
{
    char known[400], v[128], *end;
    const gr_param *p = NULL;
    int k;

    if (!ps || !name || !value) {
        return gr_err(err, GR_ERR_INVALID, "gr_params_set: %s is NULL",
                      !ps ? "parameters" : !name ? "name" : "value");
    }
    for (k = 0; k < ps->n; k++) {
        if (strcmp(ps->prog->params[k].name, name) == 0) {
            p = &ps->prog->params[k];
            break;
        }
    }
    if (!p) {
        if (ps->n == 0) {
            return gr_err(err, GR_ERR_INVALID, "unknown parameter '%s' (%s takes no parameters)",
                          name, ps->prog->name ? ps->prog->name : "the algorithm");
        }
        return gr_err(err, GR_ERR_INVALID, "unknown parameter '%s' (known: %s)", name,
                      known_names(ps, known, sizeof known));
    }
    if (!trimmed(value, v, sizeof v) || !v[0]) {
        goto bad;
    }
    errno = 0;
    switch (p->type) {
    case GR_T_F64: {
        double d = strtod(v, &end);
        if (*end) {
            goto bad;
        }
        ps->f[k] = d;
        return GR_OK;
    }
    case GR_T_I64: {
        long long ll = strtoll(v, &end, 10);
        if (*end) {
            goto bad;
        }
        if (errno == ERANGE) {
            return gr_err(err, GR_ERR_INVALID,
                          "parameter '%s' = '%s' is out of the i64 range", name, v);
        }
        ps->i[k] = (int64_t)ll;
        return GR_OK;
    }
    case GR_T_BOOL:
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
            ps->i[k] = 1;
        } else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
            ps->i[k] = 0;
        } else {
            goto bad;
        }
        return GR_OK;
    default:
        return gr_err(err, GR_ERR_INTERNAL, "parameter '%s' has type %s", name,
                      gr_type_name(p->type));
    }
bad:
    return gr_err(err, GR_ERR_INVALID, "parameter '%s' expects %s, got '%s'", name,
                  p->type == GR_T_F64 ? "a number (f64)"
                  : p->type == GR_T_I64 ? "an integer (i64)" : "true or false (bool)",
                  value);
}

/* See gr.h.  i out of range gives NaN. */
double gr_params_f64(const gr_params *ps, int i)
{
    if (!ps || i < 0 || i >= ps->n) {
        return NAN;
    }
    return ps->prog->params[i].type == GR_T_F64 ? ps->f[i] : (double)ps->i[i];
}

/* See gr.h.  f64 values convert like to_i64; i out of range gives 0. */
int64_t gr_params_i64(const gr_params *ps, int i)
{
    if (!ps || i < 0 || i >= ps->n) {
        return 0;
    }
    return ps->prog->params[i].type == GR_T_F64 ? gr_f2i(ps->f[i]) : ps->i[i];
}

/* See gr.h.  Every mode allocates a result's outputs, names and data with
 * gr_malloc/gr_calloc; this frees them and leaves r empty (safe to call
 * twice, or on a zeroed result). */
void gr_result_release(gr_result *r)
{
    int k;
    if (!r) {
        return;
    }
    for (k = 0; k < r->nout && r->out; k++) {
        gr_free(r->out[k].name);
        gr_free(r->out[k].f64);
        gr_free(r->out[k].i64);
    }
    gr_free(r->out);
    r->out = NULL;
    r->nout = 0;
    r->iters = 0;
    r->ops = 0;
}

/* See result.h. */
int gr_result_prepare_output(gr_result *res, int k, const gr_program *p, gr_type t,
                             size_t n, gr_error *err)
{
    gr_output *o = &res->out[k];
    const char *name = p && p->result_names ? p->result_names[k] : NULL;
    char def[32];
    if (!name) {
        snprintf(def, sizeof def, k ? "result%d" : "result", k + 1);
        name = def;
    }
    memset(o, 0, sizeof *o);
    o->type = t;
    o->len = gr_type_is_vector(t) ? n : 1;
    if (!(o->name = gr_strdup(name))) {
        return gr_err_nomem(err, "results");
    }
    if (gr_type_elem(t) == GR_T_F64) {
        o->f64 = gr_malloc((o->len ? o->len : 1) * sizeof *o->f64);
    } else {
        o->i64 = gr_malloc((o->len ? o->len : 1) * sizeof *o->i64);
    }
    if (!o->f64 && !o->i64) {
        return gr_err_nomem(err, "results");
    }
    return GR_OK;
}
