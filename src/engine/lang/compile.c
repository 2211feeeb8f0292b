/*
 * compile.c - the language's public entry points: gr_lang_compile (source
 * text -> verified gr_program), gr_lang_compile_file, gr_diags_release.
 *
 * One compilation runs lexer -> parser -> lowering on one gr_lang.  When
 * the lexer or the parser reported an error the lowering is skipped: a
 * program that does not parse would only add errors that follow from the
 * first ones.  Otherwise every error of the lowering (names, types, loop
 * and return rules) is reported in one run.  The diagnostics are rendered
 * sorted by position; err receives the first of them.
 *
 * Ownership: *out (on success) and d->text belong to the caller (free with
 * gr_program_free and gr_diags_release); nothing else survives the call.
 */
#include "config.h"
#include "engine/lang/lang_internal.h"
#include "common/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* gr_diags_release: free d->text and reset d (NULL allowed; see gr.h). */
void gr_diags_release(gr_diags *d)
{
    if (!d) {
        return;
    }
    gr_free(d->text);
    d->text = NULL;
    d->count = 0;
}

/* gr_lang_compile: src[0..len) (no terminator needed; NUL bytes are
 * errors) -> *out, or NULL with every error in d and the first in err.
 * Returns GR_OK, the first error's code, GR_ERR_NOMEM or GR_ERR_INVALID. */
int gr_lang_compile(const char *src, size_t len, const char *file, gr_program **out,
                    gr_diags *d, gr_error *err)
{
    gr_lang L;
    gr_token *toks = NULL;
    gr_ast_program *ast = NULL;
    gr_program *prog = NULL;
    char *text = NULL;
    int ntoks = 0, count = 0, rc;

    if (out) {
        *out = NULL;
    }
    if (d) {
        d->count = 0;
        d->text = NULL;
    }
    if (!out) {
        return gr_err(err, GR_ERR_INVALID, "gr_lang_compile: out is NULL");
    }
    if (!src && len > 0) {
        return gr_err(err, GR_ERR_INVALID, "gr_lang_compile: src is NULL");
    }
    gr_lang_init(&L, src, len, file);
    rc = gr_lex(&L, &toks, &ntoks);
    if (rc == GR_OK && !L.nomem) {
        ast = gr_lang_parse(&L, toks, ntoks);
    }
    if (ast && !L.nomem && L.nerr == 0 && !L.limit_hit) {
        rc = gr_lang_lower(&L, ast, &prog);
    }
    if (L.nomem) {
        gr_program_free(&prog);
        gr_lang_free(&L);
        return gr_err_nomem(err, "compiling a program");
    }
    if (L.nerr == 0 && prog) {
        gr_lang_free(&L);
        *out = prog;
        return GR_OK;
    }
    gr_program_free(&prog);
    if (L.nerr == 0) {
        /* Can't happen: a failure without a message. */
        gr_lang_free(&L);
        return gr_err(err, GR_ERR_INTERNAL, "%s: compilation failed without a diagnostic",
                      L.file);
    }
    if (d) {
        if (gr_lang_render(&L, &text, &count) < 0) {
            gr_lang_free(&L);
            return gr_err_nomem(err, "diagnostics");
        }
        d->text = text;
        d->count = count;
    }
    {
        gr_pos pos = {0, 0};
        const char *msg = "";
        rc = gr_lang_first_error(&L, &pos, &msg);
        if (rc >= 0) {
            rc = GR_ERR_PARSE;
        }
        gr_err_at(err, rc, L.file, pos.line, pos.col, "%s", msg);
    }
    gr_lang_free(&L);
    return rc;
}

/* gr_lang_compile_file: read path and compile it, path naming it in the
 * diagnostics; GR_ERR_IO (with strerror) when it cannot be read. */
int gr_lang_compile_file(const char *path, gr_program **out, gr_diags *d, gr_error *err)
{
    FILE *f;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc;

    if (out) {
        *out = NULL;
    }
    if (d) {
        d->count = 0;
        d->text = NULL;
    }
    if (!path) {
        return gr_err(err, GR_ERR_INVALID, "gr_lang_compile_file: path is NULL");
    }
    if (!(f = fopen(path, "rb"))) {
        return gr_err(err, GR_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    }
    for (;;) {
        size_t k;
        if (cap - len < 4096) {
            char *p;
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap < cap || !(p = gr_realloc(buf, ncap))) {
                gr_free(buf);
                fclose(f);
                return gr_err_nomem(err, "reading a program");
            }
            buf = p;
            cap = ncap;
        }
        k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) {
            break;
        }
    }
    if (ferror(f)) {
        int e = errno;
        gr_free(buf);
        fclose(f);
        return gr_err(err, GR_ERR_IO, "cannot read '%s': %s", path, strerror(e));
    }
    fclose(f);
    rc = gr_lang_compile(buf, len, path, out, d, err);
    gr_free(buf);
    return rc;
}
