/*
 * commands.c - the one table of grregress commands and grregress_main,
 * which runs them through grprof's command framework (gr_cli_main).
 * Adding a command: write cmd_NAME.c exporting `const struct gr_cmd
 * gr_cmd_NAME`, declare it in regress.h and list it here.  `grregress
 * --help` is generated from this table.
 */
#include "config.h"
#include "regress/regress.h"


/* Every command, in the order `grregress --help` lists them. */
static const struct gr_cmd *const commands[] = {
    &gr_cmd_compare,
    &gr_cmd_ab,
    &gr_cmd_calibrate,
    &gr_cmd_record,
    &gr_cmd_history,
    &gr_cmd_detect,
    &gr_cmd_plot,
    &gr_cmd_promote,
    &gr_cmd_post,
    NULL
};

static const struct gr_cli_app grregress_app = {
    .prog = GR_REGRESS_PROG,
    .about = "grregress compares grprof run files against a baseline and tells a\n"
             "real regression from noise.\n",
    .exit_codes = "Exit codes: 0 no regression, 1 regression or checksum mismatch, 2 usage\n"
                  "or input error, 3 baseline missing or not comparable.\n",
    .commands = commands,
    .write_fail_code = GR_REXIT_USAGE,
};

int grregress_main(int argc, char **argv)
{
    return gr_cli_main(&grregress_app, argc, argv);
}
