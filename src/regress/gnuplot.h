/*
 * gnuplot.h - running gnuplot for `grregress plot`: find the program at
 * run time ($GNUPLOT, else PATH), keep the script and data files in a
 * private temporary directory, run gnuplot on the script without a shell
 * (posix_spawn) and report its error message in one line.
 *
 * gnuplot is a run-time dependency only: nothing is linked, and a missing
 * gnuplot is a clear error of the plot command, not of the build.
 *
 * Ownership: a gr_gp_dir owns its path and removes the directory (and the
 * files named through it) in gr_gp_dir_remove.
 */
#ifndef GR_REGRESS_GNUPLOT_H
#define GR_REGRESS_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

#include "gr.h"

/* The gnuplot to run: $GNUPLOT when set and non-empty (a path, or a name
 * looked up on PATH), else "gnuplot" on PATH.  Writes the full path into
 * buf and returns 0, or returns -1 when no executable is found (buf then
 * names what was looked for). */
int gr_gnuplot_find(char *buf, size_t n);

#define GR_GP_MAX_FILES 128     /* 2 per panel (48 at most), script, log */

/* A private temporary directory ($TMPDIR or /tmp, mode 0700) and the
 * files made in it. */
typedef struct gr_gp_dir {
    char *path;                      /* the directory (owned) */
    size_t nfiles;
    char *files[GR_GP_MAX_FILES];    /* files created in it (owned) */
} gr_gp_dir;

/* Make the directory.  GR_ERR_IO with the reason. */
int gr_gp_dir_make(gr_gp_dir *d, gr_error *err);

/* Open a new file `name` in d for writing ("w"); the path is remembered
 * for removal and, when path is not NULL, returned in *path (owned by d).
 * NULL with err filled on failure. */
FILE *gr_gp_dir_open(gr_gp_dir *d, const char *name, const char **path, gr_error *err);

/* Remove every file made in d and the directory; frees d's strings. */
void gr_gp_dir_remove(gr_gp_dir *d);

/* Run `exe` on the script file `script`; gnuplot's output and errors go
 * to a log file in d.  Returns GR_OK when gnuplot exits 0, else GR_ERR_IO
 * with "gnuplot failed (exit N): FIRST ERROR LINE". */
int gr_gnuplot_run(const char *exe, const char *script, gr_gp_dir *d, gr_error *err);

/* Write s as a gnuplot single-quoted string literal ('' for a quote;
 * control characters become spaces). */
void gr_gp_quote(FILE *fp, const char *s);

#endif
