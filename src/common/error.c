/*
 * error.c - gr_error records: setting, clearing and formatting.
 */
#include "config.h"
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void gr_error_clear(gr_error *err)
{
    if (err) {
        memset(err, 0, sizeof *err);
    }
}

static void vset(gr_error *err, int code, const char *file, long line, long col,
                 const char *fmt, va_list ap)
{
    if (!err || err->code != GR_OK) {
        return;
    }
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->col = col;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int gr_err(gr_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

int gr_err_at(gr_error *err, int code, const char *file, long line, long col,
              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, file, line, col, fmt, ap);
    va_end(ap);
    return code;
}

int gr_err_nomem(gr_error *err, const char *what)
{
    return gr_err(err, GR_ERR_NOMEM, "out of memory (%s)", what);
}

const char *gr_error_format(const gr_error *err, char *buf, size_t n)
{
    if (!err || err->code == GR_OK) {
        snprintf(buf, n, "no error");
    } else if (err->file[0] && err->line > 0 && err->col > 0) {
        snprintf(buf, n, "%s:%ld:%ld: %s", err->file, err->line, err->col, err->msg);
    } else if (err->file[0] && err->line > 0) {
        snprintf(buf, n, "%s:%ld: %s", err->file, err->line, err->msg);
    } else if (err->file[0]) {
        snprintf(buf, n, "%s: %s", err->file, err->msg);
    } else {
        snprintf(buf, n, "%s", err->msg);
    }
    return buf;
}

const char *gr_status_name(int status)
{
    switch (status) {
    case GR_OK: return "ok";
    case GR_ERR_NOMEM: return "out of memory";
    case GR_ERR_IO: return "i/o error";
    case GR_ERR_PARSE: return "parse error";
    case GR_ERR_INVALID: return "invalid argument";
    case GR_ERR_RANGE: return "out of range";
    case GR_ERR_FORMAT: return "bad file format";
    case GR_ERR_EMPTY: return "empty input";
    case GR_ERR_TYPE: return "type error";
    case GR_ERR_INTERNAL: return "internal error";
    default: return "unknown status";
    }
}
