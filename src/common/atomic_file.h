/*
 * atomic_file.h - write a file so readers see the old or the new contents,
 * never a half-written one: write to "PATH.tmp.XXXXXX" in the same
 * directory, flush and fsync, then rename over PATH.  An aborted or failed
 * write removes the temporary file.
 */
#ifndef GR_COMMON_ATOMIC_FILE_H
#define GR_COMMON_ATOMIC_FILE_H

#include <stdio.h>
#include "gr.h"

typedef struct gr_afile {
    FILE *fp;            /* write here; owned by the gr_afile */
    char *path;          /* final path (owned) */
    char *tmp;           /* temporary path (owned) */
} gr_afile;

/* Open a temporary file beside `path`.  GR_ERR_IO naming path on failure. */
int gr_afile_open(gr_afile *af, const char *path, gr_error *err);
/* Flush, fsync, close and rename into place; on any failure the temporary
 * file is removed and GR_ERR_IO returned.  Frees af's strings either way. */
int gr_afile_commit(gr_afile *af, gr_error *err);
/* Close and remove the temporary file; frees af's strings. */
void gr_afile_abort(gr_afile *af);

/* Write `len` bytes to path atomically (open + fwrite + commit). */
int gr_write_file_atomic(const char *path, const void *data, size_t len,
                         gr_error *err);

#endif
