/*
 * regress.h - grregress, the regression checker: its commands and entry
 * point.  grregress shares grprof's command framework (profiler/cli.h:
 * option tables, --help, one-line errors, did-you-mean); each subcommand
 * lives in cmd_NAME.c and is listed in commands.c.  Its exit codes are
 * its own (DESIGN.md, "grregress"): the CI gate reads them.
 */
#ifndef GR_REGRESS_REGRESS_H
#define GR_REGRESS_REGRESS_H

#include "profiler/cli.h"

#define GR_REGRESS_PROG "grregress"

/* Exit codes of every grregress command. */
enum gr_regress_exit {
    GR_REXIT_OK = 0,         /* no regression */
    GR_REXIT_REGRESSION = 1, /* a regression or a correctness (checksum) failure */
    GR_REXIT_USAGE = 2,      /* usage or input error (same value as GR_EXIT_USAGE) */
    GR_REXIT_BASELINE = 3    /* baseline missing or not comparable */
};

/* The commands (one per cmd_NAME.c). */
extern const struct gr_cmd gr_cmd_compare;
extern const struct gr_cmd gr_cmd_detect;
extern const struct gr_cmd gr_cmd_plot;
extern const struct gr_cmd gr_cmd_ab;
extern const struct gr_cmd gr_cmd_calibrate;
extern const struct gr_cmd gr_cmd_record;
extern const struct gr_cmd gr_cmd_history;
extern const struct gr_cmd gr_cmd_promote;
extern const struct gr_cmd gr_cmd_post;

/* grregress's entry point: `grregress --help`, `--version`,
 * `help [COMMAND]` or `COMMAND ...`.  Returns the exit code. */
int grregress_main(int argc, char **argv);

#endif
