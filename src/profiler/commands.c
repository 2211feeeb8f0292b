/*
 * commands.c - the one table of grprof commands and grprof_main, which
 * runs them through the command framework (gr_cli_main, cli.h).  Adding a command: write cmd_NAME.c
 * exporting `const struct gr_cmd gr_cmd_NAME`, declare it in cli.h and
 * list it here.  `grprof --help` is generated from this table.
 */
#include "config.h"
#include "profiler/cli.h"


/* Every command, in the order `grprof --help` lists them. */
static const struct gr_cmd *const commands[] = {
    &gr_cmd_exec,
    &gr_cmd_explain,
    &gr_cmd_run_suite,
    &gr_cmd_list,
    NULL
};

static const struct gr_cli_app grprof_app = {
    .prog = GR_CLI_PROG,
    .about = "grprof measures grperf's graph engine: it runs algorithms and\n"
             "benchmark suites and reports their results and timings.\n",
    .exit_codes = "Exit codes: 0 success, 1 runtime failure, 2 usage or input error.\n",
    .commands = commands,
    .write_fail_code = GR_EXIT_FAIL,
};

int grprof_main(int argc, char **argv)
{
    return gr_cli_main(&grprof_app, argc, argv);
}
