/*
 * program.h - how grprof commands turn ALGO (a library algorithm's name or
 * a path to a .grl file) into a compiled program, printing the compiler's
 * diagnostics; and how library statuses map to exit codes.  Shared by
 * exec, explain and run.
 */
#ifndef GR_PROFILER_PROGRAM_H
#define GR_PROFILER_PROGRAM_H

#include "gr.h"
#include "profiler/cli.h"

/* Compile the library algorithm `name`; *out stays NULL (and GR_OK is
 * returned) when there is no such algorithm.  d and err may be NULL. */
int grprof_compile_library(const char *name, gr_program **out, gr_diags *d, gr_error *err);

/* Whether ALGO names a file rather than a library algorithm: it contains a
 * '/' or ".grl", or a file of that name exists. */
int grprof_is_program_path(const char *name);

/* Compile ALGO into *out (caller frees).  Diagnostics go to stderr,
 * followed by one line "grprof CMD: ALGO: N errors".  Returns an exit code
 * (GR_EXIT_OK on success). */
int grprof_load_program(const struct gr_cmd *cmd, const char *name, gr_program **out);

/* Exit code for a library status: resource failures are runtime failures
 * (GR_EXIT_FAIL), everything else is about the input (GR_EXIT_USAGE). */
int grprof_exit_for(int status);

#endif
