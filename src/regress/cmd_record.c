/*
 * cmd_record.c - `grregress record RUN... [--history DIR]`: add run files
 * to the history (history.h).
 *
 * All or nothing on input: every RUN is read and validated first, and one
 * bad file (not JSON, truncated, wrong schema, a field missing, a NaN or
 * negative sample, no benchmarks, too large) stops the command with exit 2
 * and the file and field named, before anything is stored.  Then each run
 * is added in the order given; a run already in the history (same
 * content) is reported as a duplicate and not stored again.
 */
#include "config.h"
#include "regress/regress.h"
#include "regress/history.h"
#include "common/mem.h"

#include <string.h>

static const struct gr_opt record_opts[] = {
    {"history", 'H', GR_OPT_STRING, "DIR",
     "history directory (else $GRREGRESS_HISTORY, else " GR_HISTORY_DEFAULT_DIR ")",
     NULL, NULL, 0, 0, 0},
    {"quiet", 'q', GR_OPT_FLAG, NULL, "print nothing on success", NULL, NULL, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const record_args[] = {"RUN...", NULL};

static int record_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    const struct gr_optval *v = gr_args_get(args, "history");
    const char *dir = gr_history_dir(v ? v->text : NULL);
    int quiet = gr_args_count(args, "quiet") > 0;
    gr_run **runs;
    gr_error err;
    int i, rc = GR_REXIT_OK;

    if (args->nargs < 1) {
        return gr_cli_usage(cmd, "missing RUN (a run file written by 'grprof run')");
    }
    runs = gr_cli_alloc((size_t)args->nargs, sizeof *runs);
    /* validate everything first: a bad file stores nothing */
    for (i = 0; i < args->nargs && rc == GR_REXIT_OK; i++) {
        gr_error_clear(&err);
        if (gr_run_read(args->args[i], &runs[i], &err) < 0) {
            rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        }
    }
    for (i = 0; i < args->nargs && rc == GR_REXIT_OK; i++) {
        char *stored = NULL;
        int dup = 0;
        gr_error_clear(&err);
        if (gr_history_add(dir, runs[i], args->args[i], &dup, &stored, &err) < 0) {
            rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
            break;
        }
        if (dup) {
            printf("duplicate: %s is already %s\n", args->args[i], stored);
        } else if (!quiet) {
            printf("stored %s -> %s\n", args->args[i], stored);
        }
        gr_free(stored);
    }
    for (i = 0; i < args->nargs; i++) {
        gr_run_free(&runs[i]);
    }
    gr_free(runs);
    return rc;
}

const struct gr_cmd gr_cmd_record = {
    "record",
    "Add run files to the history",
    "RUN... [options]",
    "Each RUN is a run file written by 'grprof run'.  All of them are read and\n"
    "validated first; if any is bad (not JSON, truncated, wrong schema version,\n"
    "a missing field, a NaN or negative sample, no benchmarks, larger than\n"
    "256 MiB) nothing is stored and the exit code is 2, with the file and the\n"
    "field named.  Then each run is stored in the history directory as\n"
    "<start time>-<commit>-<content hash>.json, printing 'stored RUN -> PATH'.\n"
    "A run whose content is already stored (whatever its formatting) is not\n"
    "stored again: 'duplicate: RUN is already PATH' (exit 0).\n"
    "\n"
    "The history directory is --history DIR, else $GRREGRESS_HISTORY, else\n"
    GR_HISTORY_DEFAULT_DIR " (created with its parents when missing).  Writes are\n"
    "atomic (temporary file, fsync, rename) and serialised by an exclusive\n"
    "lock on DIR/.lock, so concurrent records are safe.  'grregress history',\n"
    "'detect' and 'plot' read the history.\n"
    "\n"
    "Exit codes: 0 stored (or duplicate), 2 usage error, bad run file or a\n"
    "history directory that cannot be created or written.\n",
    NULL,
    record_args,
    record_opts,
    record_handler
};
