/*
 * json_text.h - JSON text in, cJSON tree out, with errors that name the
 * file, line and column: the one parser front end of run files, compare
 * results, threshold configs and posted results.
 *
 * Ownership: *out is a cJSON tree owned by the caller (cJSON_Delete).
 */
#ifndef GR_COMMON_JSON_TEXT_H
#define GR_COMMON_JSON_TEXT_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "gr.h"

/* Line and column (1-based) of byte `off` of text. */
void gr_json_line_col(const char *text, size_t off, long *line, long *col);

/* Parse text[len] as one JSON value followed by nothing but white space.
 * On failure GR_ERR_PARSE at label:line:col with the likeliest reason: a
 * NUL byte, the text ending too early (truncated), NaN or Infinity (not
 * JSON numbers), or plain "not JSON"; GR_ERR_NOMEM is indistinguishable
 * from bad text in cJSON and reported as the latter. */
int gr_json_parse(const char *text, size_t len, const char *label, cJSON **out,
                  gr_error *err);

/* Read the file at path (at most max bytes: larger is GR_ERR_FORMAT
 * "file too large") and parse it as gr_json_parse does; an unreadable file
 * is GR_ERR_IO naming it. */
int gr_json_read_file(const char *path, size_t max, cJSON **out, gr_error *err);

/* Add key: v to object o, or null when v is NaN or infinite (JSON has
 * neither).  Like cJSON_Add*ToObject, o takes the new item; nothing is
 * added when memory runs out (callers check the printed text). */
void gr_json_add_num(cJSON *o, const char *key, double v);
/* Add key: s to o, or null when s is NULL. */
void gr_json_add_str(cJSON *o, const char *key, const char *s);

#endif
