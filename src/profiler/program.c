/*
 * program.c - compiling ALGO for grprof's commands (see program.h).
 */
#include "config.h"
#include "profiler/program.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int grprof_compile_library(const char *name, gr_program **out, gr_diags *d, gr_error *err)
{
    const char *src = gr_library_source(name);
    char file[128];
    *out = NULL;
    if (!src) {
        return GR_OK;
    }
    snprintf(file, sizeof file, "<library>/%s.grl", name);
    return gr_lang_compile(src, strlen(src), file, out, d, err);
}

int grprof_is_program_path(const char *name)
{
    struct stat sb;
    return strchr(name, '/') || strstr(name, ".grl") || stat(name, &sb) == 0;
}

int grprof_exit_for(int status)
{
    return status == GR_ERR_NOMEM || status == GR_ERR_INTERNAL ? GR_EXIT_FAIL
                                                               : GR_EXIT_USAGE;
}

int grprof_load_program(const struct gr_cmd *cmd, const char *name, gr_program **out)
{
    gr_diags d = {0, NULL};
    gr_error err;
    int st, rc = GR_EXIT_OK;
    gr_error_clear(&err);
    *out = NULL;
    if (gr_library_source(name) && !grprof_is_program_path(name)) {
        st = grprof_compile_library(name, out, &d, &err);
    } else {
        st = gr_lang_compile_file(name, out, &d, &err);
    }
    if (st < 0) {
        if (d.text) {
            fputs(d.text, stderr);
        }
        rc = d.count > 0 ? gr_cli_fail(cmd, grprof_exit_for(st), "%s: %d error%s", name,
                                       d.count, d.count == 1 ? "" : "s")
                         : gr_cli_error(cmd, grprof_exit_for(st), &err);
    }
    gr_diags_release(&d);
    return rc;
}
