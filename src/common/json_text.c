/*
 * json_text.c - JSON text to a cJSON tree with located errors (see
 * json_text.h).  cJSON reports only where it stopped; the reason is
 * inferred from what stands there.
 */
#include "config.h"
#include "common/json_text.h"
#include "common/error.h"
#include "common/mem.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void gr_json_line_col(const char *text, size_t off, long *line, long *col)
{
    size_t i;
    *line = 1;
    *col = 1;
    for (i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int starts(const char *p, size_t n, const char *word)
{
    size_t k = strlen(word);
    return n >= k && strncmp(p, word, k) == 0;
}

int gr_json_parse(const char *text, size_t len, const char *label, cJSON **out,
                  gr_error *err)
{
    const char *end = NULL, *at;
    cJSON *root;
    size_t off;
    long line, col;
    *out = NULL;
    if (memchr(text, '\0', len)) {
        off = (size_t)((const char *)memchr(text, '\0', len) - text);
        gr_json_line_col(text, off, &line, &col);
        return gr_err_at(err, GR_ERR_PARSE, label, line, col,
                         "not JSON (NUL byte in the text)");
    }
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root && end) { /* only white space may follow the value */
        while ((size_t)(end - text) < len && strchr(" \t\r\n", *end)) {
            end++;
        }
    }
    if (root && !(end && (size_t)(end - text) < len)) {
        *out = root;
        return GR_OK;
    }
    at = root ? end : cJSON_GetErrorPtr();
    off = at && at >= text && at <= text + len ? (size_t)(at - text) : len;
    cJSON_Delete(root);
    gr_json_line_col(text, off, &line, &col);
    if (off >= len || !memchr(text + off, '\n', len - off)) {
        /* the error is on the last line: the text most likely stops short */
        return gr_err_at(err, GR_ERR_PARSE, label, line, col,
                         "not JSON (truncated: the text ends too early)");
    }
    if (starts(text + off, len - off, "NaN") || starts(text + off, len - off, "Infinity")
        || starts(text + off, len - off, "-Infinity")) {
        return gr_err_at(err, GR_ERR_PARSE, label, line, col,
                         "not JSON (NaN and Infinity are not JSON numbers)");
    }
    return gr_err_at(err, GR_ERR_PARSE, label, line, col, "not JSON");
}

int gr_json_read_file(const char *path, size_t max, cJSON **out, gr_error *err)
{
    FILE *fp = fopen(path, "rb");
    char *text;
    long len;
    int rc;
    *out = NULL;
    if (!fp) {
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read (not a regular file?)");
    }
    if ((size_t)len > max) {
        fclose(fp);
        return gr_err_at(err, GR_ERR_FORMAT, path, 0, 0,
                         "file too large (%ld bytes; at most %zu)", len, max);
    }
    text = gr_malloc((size_t)len + 1);
    if (!text) {
        fclose(fp);
        return gr_err_nomem(err, path);
    }
    if (fread(text, 1, (size_t)len, fp) != (size_t)len) {
        fclose(fp);
        gr_free(text);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read");
    }
    fclose(fp);
    text[len] = '\0';
    rc = gr_json_parse(text, (size_t)len, path, out, err);
    gr_free(text);
    return rc;
}

void gr_json_add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v)) {
        cJSON_AddNumberToObject(o, key, v);
    } else {
        cJSON_AddNullToObject(o, key);
    }
}

void gr_json_add_str(cJSON *o, const char *key, const char *s)
{
    if (s) {
        cJSON_AddStringToObject(o, key, s);
    } else {
        cJSON_AddNullToObject(o, key);
    }
}
