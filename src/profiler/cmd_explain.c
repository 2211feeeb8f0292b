/*
 * cmd_explain.c - `grprof explain ALGO`: what the engine does to an
 * algorithm: its IR as parsed, after every pass (with op counts), the
 * analyses of the optimized IR and its plan.  The text is gr_explain's;
 * this command chooses the passes, sections and cost-model sizes.
 */
#include "config.h"
#include "profiler/cli.h"
#include "profiler/program.h"

#include <stdio.h>
#include <string.h>

static const char *const explain_args[] = {"ALGO", NULL};

static const char *const section_names[] = {"ir", "passes", "analyses", "plan", "all", NULL};

static const struct gr_opt explain_opts[] = {
    {.name = "disable", .type = GR_OPT_STRING, .metavar = "PASSES",
     .help = "skip these passes (comma-separated names)"},
    {.name = "edges", .shortname = 'm', .type = GR_OPT_FLOAT, .metavar = "M",
     .def = "10000000", .min = 0, .flags = GR_OPT_MIN,
     .help = "edges the cost model assumes"},
    {.name = "enable", .type = GR_OPT_STRING, .metavar = "PASSES",
     .help = "also run these passes (comma-separated names)"},
    {.name = "level", .shortname = 'O', .type = GR_OPT_INT, .metavar = "N", .def = "2",
     .min = 0, .max = 2, .flags = GR_OPT_MIN | GR_OPT_MAX,
     .help = "optimization level: 0 none, 1 scalar passes, 2 with fusion"},
    {.name = "nodes", .shortname = 'n', .type = GR_OPT_FLOAT, .metavar = "N",
     .def = "1000000", .min = 0, .flags = GR_OPT_MIN,
     .help = "nodes the cost model assumes"},
    {.name = "section", .shortname = 's', .type = GR_OPT_ENUM, .metavar = "NAME",
     .choices = section_names, .flags = GR_OPT_REPEAT,
     .help = "print only these sections (default all)"},
    {0}
};

static void explain_help_extra(FILE *fp)
{
    const char *const *n;
    fprintf(fp, "Passes, in pipeline order:\n ");
    for (n = gr_pass_names(); *n; n++) {
        fprintf(fp, " %s", *n);
    }
    fprintf(fp, "\n");
}

static int explain_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    const struct gr_optval *v;
    gr_program *p = NULL;
    gr_passopts po;
    gr_error err;
    unsigned sections = 0;
    char *text = NULL;
    int rc, i;

    gr_error_clear(&err);
    memset(&po, 0, sizeof po);
    po.level = (int)gr_args_get(args, "level")->i;
    po.enable = (v = gr_args_get(args, "enable")) ? v->text : NULL;
    po.disable = (v = gr_args_get(args, "disable")) ? v->text : NULL;
    for (i = 0; (v = gr_args_nth(args, "section", i)) != NULL; i++) {
        sections |= strcmp(v->text, "ir") == 0         ? GR_EXPLAIN_IR
                    : strcmp(v->text, "passes") == 0   ? GR_EXPLAIN_PASSES
                    : strcmp(v->text, "analyses") == 0 ? GR_EXPLAIN_ANALYSES
                    : strcmp(v->text, "plan") == 0     ? GR_EXPLAIN_PLAN
                                                       : GR_EXPLAIN_ALL;
    }
    if (!sections) {
        sections = GR_EXPLAIN_ALL;
    }
    rc = grprof_load_program(cmd, args->args[0], &p);
    if (rc != GR_EXIT_OK) {
        return rc;
    }
    if (gr_explain(p, &po, gr_args_get(args, "nodes")->f, gr_args_get(args, "edges")->f,
                   sections, &text, &err) < 0) {
        rc = gr_cli_error(cmd, grprof_exit_for(err.code), &err);
    } else {
        fputs(text, stdout);
        rc = GR_EXIT_OK;
    }
    gr_free_string(&text);
    gr_program_free(&p);
    return rc;
}

const struct gr_cmd gr_cmd_explain = {
    .name = "explain",
    .summary = "Show an algorithm's IR after parsing and after each pass, its analyses and plan",
    .usage = "ALGO [options]",
    .description =
        "ALGO is a library algorithm or a path to a .grl file.  Sections, each\n"
        "headed \"== TITLE\":\n"
        "  parsed / optimized  the IR (printed form, parses back), with op counts\n"
        "  after PASS          the IR after each pass that ran, op count and change\n"
        "  dependencies, liveness, critical path, fusion chains, loop invariants\n"
        "                      the analyses of the optimized IR\n"
        "  plan                the flat plan the interpreter runs\n"
        "Exit status: 0 success; 1 out of memory; 2 usage error or a program\n"
        "that does not compile (its diagnostics are printed).\n",
    .help_extra = explain_help_extra,
    .args = explain_args,
    .opts = explain_opts,
    .handler = explain_handler,
};
