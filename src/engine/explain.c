/*
 * explain.c - gr_explain: everything the engine does to an algorithm, as
 * text, for `grprof explain`: the IR as parsed, the IR after each pass
 * that ran (with op counts), the analyses of the optimized program, and
 * its plan.  Every section comes from the stage's own printer; this file
 * only puts them in order.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/analysis/analysis.h"

#include <stdio.h>
#include <string.h>

typedef struct explain_ctx {
    gr_an_text *t;
    int prev_ops;            /* op count before the pass being reported */
    int show_ir;             /* print each pass's IR, not only its count */
    int failed;              /* a printer failed (out of memory) */
} explain_ctx;

/* Append "== title" and the text a printer produced (freeing it). */
static void section(gr_an_text *t, const char *title, char *body)
{
    gr_an_textf(t, "== %s\n", title);
    if (body) {
        gr_an_textf(t, "%s", body);
        if (body[0] && body[strlen(body) - 1] != '\n') {
            gr_an_textf(t, "\n");
        }
    }
    gr_an_textf(t, "\n");
    gr_free_string(&body);
}

static void after_pass(const char *pass, const gr_program *p, void *vctx)
{
    explain_ctx *c = vctx;
    char title[128], *ir = NULL;
    int ops = gr_program_op_count(p);
    snprintf(title, sizeof title, "after %s: %d ops (%+d)", pass, ops, ops - c->prev_ops);
    c->prev_ops = ops;
    if (c->show_ir && gr_program_print(p, &ir, NULL) < 0) {
        c->failed = 1;
    }
    section(c->t, title, ir);
}

/* One analysis section: build, print, release. */
static int analyses(gr_an_text *t, const gr_program *p, double n, double m, gr_error *err)
{
    gr_an_deps d;
    gr_an_live l;
    gr_an_critical cp;
    gr_an_chains ch;
    gr_an_invariants inv;
    char *s = NULL, title[96];
    int rc;
    memset(&d, 0, sizeof d);
    memset(&l, 0, sizeof l);
    memset(&cp, 0, sizeof cp);
    memset(&ch, 0, sizeof ch);
    memset(&inv, 0, sizeof inv);
    TRY(gr_an_deps_build(p, &d, err));
    TRY(gr_an_deps_print(p, &d, &s, err));
    section(t, "dependencies", s);
    TRY(gr_an_live_build(p, &d, &l, err));
    TRY(gr_an_live_print(p, &l, &s, err));
    section(t, "liveness", s);
    TRY(gr_an_critical_build(p, &d, n, m, 20, &cp, err));
    TRY(gr_an_critical_print(p, &cp, &s, err));
    snprintf(title, sizeof title, "critical path (cost model at n=%.0f, m=%.0f)", n, m);
    section(t, title, s);
    TRY(gr_an_chains_build(p, &d, &ch, err));
    TRY(gr_an_chains_print(p, &d, &ch, &s, err));
    section(t, "fusion chains", s);
    TRY(gr_an_invariants_build(p, &d, &inv, err));
    TRY(gr_an_invariants_print(p, &d, &inv, &s, err));
    section(t, "loop invariants", s);
    rc = GR_OK;
fail:
    gr_an_invariants_release(&inv);
    gr_an_chains_release(&ch);
    gr_an_critical_release(&cp);
    gr_an_live_release(&l);
    gr_an_deps_release(&d);
    return rc;
}

/* See gr.h. */
int gr_explain(const gr_program *p, const gr_passopts *o, double n, double m,
               unsigned sections, char **text, gr_error *err)
{
    gr_an_text t;
    explain_ctx c;
    gr_passopts po;
    gr_program *opt = NULL;
    gr_plan *plan = NULL;
    char *s = NULL, title[160];
    int rc, ops0;

    *text = NULL;
    memset(&t, 0, sizeof t);
    memset(&c, 0, sizeof c);
    memset(&po, 0, sizeof po);
    if (o) {
        po = *o;
    } else {
        po.level = 2;
    }
    ops0 = gr_program_op_count(p);
    if (sections & GR_EXPLAIN_IR) {
        TRY(gr_program_print(p, &s, err));
        snprintf(title, sizeof title, "parsed: %s, %d ops", gr_program_name(p), ops0);
        section(&t, title, s);
    }
    c.t = &t;
    c.prev_ops = ops0;
    c.show_ir = (sections & GR_EXPLAIN_PASSES) != 0;
    if (sections & (GR_EXPLAIN_PASSES | GR_EXPLAIN_IR)) {
        po.after_pass = after_pass;
        po.ctx = &c;
    }
    TRY(gr_optimize(p, &po, &opt, err));
    if (sections & GR_EXPLAIN_IR) {
        TRY(gr_program_print(opt, &s, err));
        snprintf(title, sizeof title, "optimized (-O%d): %d ops, was %d", po.level,
                 gr_program_op_count(opt), ops0);
        section(&t, title, s);
    }
    if (sections & GR_EXPLAIN_ANALYSES) {
        TRY(analyses(&t, opt, n, m, err));
    }
    if (sections & GR_EXPLAIN_PLAN) {
        gr_error perr;
        gr_error_clear(&perr);
        if (gr_plan_lower(opt, &plan, &perr) == GR_OK && gr_plan_print(plan, &s, &perr) == GR_OK) {
            snprintf(title, sizeof title, "plan: %d instructions", gr_plan_size(plan));
            section(&t, title, s);
        } else if (perr.code == GR_ERR_NOMEM) {
            rc = gr_err_nomem(err, "plan");
            goto fail;
        } else {
            char buf[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 32];
            gr_an_textf(&t, "== plan: not available: %s\n\n",
                        gr_error_format(&perr, buf, sizeof buf));
        }
    }
    if (c.failed) {
        rc = gr_err_nomem(err, "explain text");
        goto fail;
    }
    rc = gr_an_text_done(&t, text, err, "explain text"); /* takes t.s */
fail:
    gr_free(t.s);
    gr_plan_free(&plan);
    gr_program_free(&opt);
    return rc;
}
