/*
 * result.h - filling a gr_result the same way in every execution mode:
 * outputs named after the program's results ("result", "result2", ... when
 * unnamed), typed, with n elements for vectors and 1 for scalars.
 */
#ifndef GR_EXEC_RESULT_H
#define GR_EXEC_RESULT_H

#include "gr.h"

/* Allocate output k of res (res->out must have room; res->nout counts the
 * prepared ones) for program p's result k of type t on n nodes: its name
 * is copied and its f64 or i64 array allocated (uninitialised).  On
 * failure GR_ERR_NOMEM; gr_result_release frees what was made. */
int gr_result_prepare_output(gr_result *res, int k, const gr_program *p, gr_type t,
                             size_t n, gr_error *err);

#endif
