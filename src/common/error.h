/*
 * error.h - internal helpers for filling a gr_error (see include/gr.h).
 *
 * gr_err() sets code and message; gr_err_at() also sets the file, line and
 * column.  Both keep the first error: a record that already holds one is
 * left alone, so the innermost, most precise message wins.  Both return the
 * code so callers can write `return gr_err(err, GR_ERR_NOMEM, "...")`.
 *
 * TRY(expr) runs an int-status expression and jumps to the function's
 * `fail:` label when it is negative, keeping the status in `rc`.
 */
#ifndef GR_COMMON_ERROR_H
#define GR_COMMON_ERROR_H

#include "gr.h"

#if defined(__GNUC__)
#define GR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GR_PRINTF(a, b)
#endif

int gr_err(gr_error *err, int code, const char *fmt, ...) GR_PRINTF(3, 4);
int gr_err_at(gr_error *err, int code, const char *file, long line, long col,
              const char *fmt, ...) GR_PRINTF(6, 7);
/* GR_ERR_NOMEM with the message "out of memory (what)". */
int gr_err_nomem(gr_error *err, const char *what);

#define TRY(expr)                                                             \
    do {                                                                      \
        rc = (expr);                                                          \
        if (rc < 0) {                                                         \
            goto fail;                                                        \
        }                                                                     \
    } while (0)

/* Can't-happen checks: true when the condition holds (ALWAYS) or does not
 * (NEVER); debug builds abort so tests catch the broken invariant. */
#ifdef GR_DEBUG
#include <assert.h>
#define ALWAYS(x) (assert(x), 1)
#define NEVER(x) (assert(!(x)), 0)
#else
#define ALWAYS(x) (x)
#define NEVER(x) (x)
#endif

#endif
