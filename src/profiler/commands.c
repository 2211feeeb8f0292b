/*
 * commands.c - the one table of grprof commands and grprof_main, which
 * dispatches to them (see cli.h).  Adding a command: write cmd_NAME.c
 * exporting `const struct gr_cmd gr_cmd_NAME`, declare it in cli.h and
 * list it here.  `grprof --help` is generated from this table.
 */
#include "config.h"
#include "profiler/cli.h"

#include <errno.h>
#include <string.h>

/* Every command, in the order `grprof --help` lists them. */
static const struct gr_cmd *const commands[] = {
    &gr_cmd_exec,
    &gr_cmd_explain,
    &gr_cmd_run_suite,
    &gr_cmd_list,
    NULL
};

static const struct gr_cmd *find_command(const char *name)
{
    size_t i;
    for (i = 0; commands[i]; i++) {
        if (strcmp(commands[i]->name, name) == 0) {
            return commands[i];
        }
    }
    return NULL;
}

static void print_overview(FILE *fp)
{
    size_t i, width = 8;
    for (i = 0; commands[i]; i++) {
        if (strlen(commands[i]->name) > width) {
            width = strlen(commands[i]->name);
        }
    }
    fprintf(fp,
            "usage: " GR_CLI_PROG " COMMAND [ARGS]...\n"
            "       " GR_CLI_PROG " --help | --version\n"
            "\n"
            "grprof measures grperf's graph engine: it runs algorithms and\n"
            "benchmark suites and reports their results and timings.\n"
            "\n"
            "Commands:\n");
    for (i = 0; commands[i]; i++) {
        fprintf(fp, "  %-*s  %s\n", (int)width, commands[i]->name,
                commands[i]->summary);
    }
    fprintf(fp,
            "\n"
            "Options:\n"
            "  -h, --help     show this help\n"
            "  -V, --version  print the version\n"
            "\n"
            "Run '" GR_CLI_PROG " COMMAND --help' (or '" GR_CLI_PROG
            " help COMMAND') for a command's usage.\n"
            "Exit codes: 0 success, 1 runtime failure, 2 usage or input error.\n");
}

static int unknown_command(const char *name)
{
    struct gr_suggest s;
    size_t i;
    gr_suggest_init(&s, name);
    for (i = 0; commands[i]; i++) {
        gr_suggest_add(&s, commands[i]->name);
    }
    if (gr_suggest_best(&s)) {
        return gr_cli_usage(NULL, "unknown command '%s'; did you mean '%s'?",
                            name, gr_suggest_best(&s));
    }
    return gr_cli_usage(NULL, "unknown command '%s'", name);
}

/* The program without its final stdout check. */
static int dispatch(int argc, char **argv)
{
    const struct gr_cmd *cmd;
    const char *first;
    if (argc < 2) {
        return gr_cli_usage(NULL, "missing command");
    }
    first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_overview(stdout);
        return GR_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf(GR_CLI_PROG " (grperf) %s\n", gr_version());
        return GR_EXIT_OK;
    }
    if (strcmp(first, "help") == 0) {
        if (argc < 3) {
            print_overview(stdout);
            return GR_EXIT_OK;
        }
        cmd = find_command(argv[2]);
        if (!cmd) {
            return unknown_command(argv[2]);
        }
        gr_cmd_help(cmd, stdout);
        return GR_EXIT_OK;
    }
    if (first[0] == '-') {
        struct gr_suggest s;
        gr_suggest_init(&s, first);
        gr_suggest_add(&s, "--help");
        gr_suggest_add(&s, "--version");
        if (gr_suggest_best(&s)) {
            return gr_cli_usage(NULL, "unknown option '%s'; did you mean '%s'?",
                                first, gr_suggest_best(&s));
        }
        return gr_cli_usage(NULL, "unknown option '%s'", first);
    }
    cmd = find_command(first);
    if (!cmd) {
        return unknown_command(first);
    }
    return gr_cmd_run(cmd, argc - 1, argv + 1);
}

int grprof_main(int argc, char **argv)
{
    int rc = dispatch(argc, argv);
    /* a full disk or closed pipe on stdout must not look like success */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, GR_CLI_PROG ": error writing standard output: %s\n",
                strerror(e ? e : EIO));
        if (rc == GR_EXIT_OK) {
            rc = GR_EXIT_FAIL;
        }
    }
    return rc;
}
