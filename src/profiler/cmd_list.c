/*
 * cmd_list.c - `grprof list`: the benchmarks `grprof run` would execute
 * with the same --suite, --filter, --graph and --program, one per line
 * with its group, version and parameters (JSON), in run order.
 */
#include "config.h"
#include "profiler/cli.h"
#include "profiler/suite.h"
#include "common/mem.h"

#include <string.h>

static const char *const list_suites[] = {"quick", "default", "full", NULL};

static const struct gr_opt list_opts[] = {
    {.name = "filter", .shortname = 'f', .type = GR_OPT_STRING, .metavar = "REGEX",
     .help = "only benchmarks whose name matches REGEX (POSIX extended)"},
    {.name = "graph", .shortname = 'g', .type = GR_OPT_STRING, .metavar = "SPEC",
     .flags = GR_OPT_REPEAT, .help = "also list every algorithm on SPEC"},
    {.name = "names", .type = GR_OPT_FLAG, .help = "print the names only"},
    {.name = "program", .shortname = 'p', .type = GR_OPT_STRING, .metavar = "FILE.grl",
     .flags = GR_OPT_REPEAT, .help = "also list this program's benchmarks"},
    {.name = "suite", .shortname = 's', .type = GR_OPT_ENUM, .choices = list_suites,
     .def = "default", .help = "which suite"},
    {0}
};

static int list_handler(const struct gr_cmd *cmd, const struct gr_args *args);

const struct gr_cmd gr_cmd_list = {
    .name = "list",
    .summary = "List the benchmarks 'grprof run' would execute, with their parameters",
    .usage = "[--suite quick|default|full] [--filter REGEX] [options]",
    .description =
        "Prints one line per benchmark, in run order:\n"
        "  NAME  GROUP  vVERSION  PARAMS\n"
        "PARAMS is the benchmark's parameter object as written to the run file.\n"
        "Modes that do not work on this build are left out; a note on stderr says why.\n"
        "\n"
        "Exit status: 0 success; 2 usage or input error (filter matching nothing,\n"
        "bad spec, unreadable program).\n",
    .opts = list_opts,
    .handler = list_handler,
};

static int list_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    struct gr_suite suite;
    struct gr_suite_opts so;
    char msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    gr_error err;
    int rc = GR_EXIT_OK, st, names = gr_args_count(args, "names") > 0;
    size_t k, w = 0;
    gr_error_clear(&err);
    gr_suite_opts_from_args(&so, args);
    st = gr_suite_build(&suite, &so, &err);
    if (st < 0) {
        rc = st == GR_ERR_NOMEM ? gr_cli_error(cmd, GR_EXIT_FAIL, &err)
                                : gr_cli_usage(cmd, "%s", gr_error_format(&err, msg, sizeof msg));
    } else {
        if (suite.notes[0]) {
            fprintf(stderr, GR_CLI_PROG " list: note: %s\n", suite.notes);
        }
        for (k = 0; k < suite.n; k++) {
            size_t len = strlen(suite.b[k].name);
            w = len > w ? len : w;
        }
        for (k = 0; k < suite.n; k++) {
            const struct gr_bench *b = &suite.b[k];
            if (names) {
                printf("%s\n", b->name);
            } else {
                printf("%-*s  %-10s  v%d  %s\n", (int)w, b->name, b->group, b->version,
                       b->params);
            }
        }
    }
    gr_suite_release(&suite);
    gr_suite_opts_free(&so);
    return rc;
}
