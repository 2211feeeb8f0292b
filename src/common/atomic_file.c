/*
 * atomic_file.c - temporary-file-and-rename writes (see atomic_file.h).
 */
#include "config.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(gr_afile *af)
{
    gr_free(af->path);
    gr_free(af->tmp);
    af->path = af->tmp = NULL;
    af->fp = NULL;
}

int gr_afile_open(gr_afile *af, const char *path, gr_error *err)
{
    size_t n = strlen(path);
    int fd;
    memset(af, 0, sizeof *af);
    af->path = gr_strdup(path);
    af->tmp = gr_malloc(n + 16);
    if (!af->path || !af->tmp) {
        release(af);
        return gr_err_nomem(err, "temporary file name");
    }
    snprintf(af->tmp, n + 16, "%s.tmp.XXXXXX", path);
    fd = mkstemp(af->tmp);
    if (fd < 0) {
        int e = errno;
        release(af);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot write: %s", strerror(e));
    }
    /* mkstemp creates 0600; give the file the mode a plain fopen would */
    {
        mode_t mask = umask(0);
        umask(mask);
        (void)fchmod(fd, 0666 & ~mask);
    }
    af->fp = fdopen(fd, "wb");
    if (!af->fp) {
        int e = errno;
        close(fd);
        unlink(af->tmp);
        release(af);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot write: %s", strerror(e));
    }
    return GR_OK;
}

int gr_afile_commit(gr_afile *af, gr_error *err)
{
    int bad = 0, e = 0;
    if (fflush(af->fp) != 0 || ferror(af->fp)) {
        bad = 1;
        e = errno;
    }
    if (!bad && fsync(fileno(af->fp)) != 0 && errno != EINVAL) {
        bad = 1;
        e = errno;
    }
    if (fclose(af->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    af->fp = NULL;
    if (!bad && rename(af->tmp, af->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(af->tmp);
        gr_err_at(err, GR_ERR_IO, af->path, 0, 0, "cannot write: %s",
                  strerror(e ? e : EIO));
        release(af);
        return GR_ERR_IO;
    }
    release(af);
    return GR_OK;
}

void gr_afile_abort(gr_afile *af)
{
    if (af->fp) {
        fclose(af->fp);
    }
    if (af->tmp) {
        unlink(af->tmp);
    }
    release(af);
}

int gr_write_file_atomic(const char *path, const void *data, size_t len,
                         gr_error *err)
{
    gr_afile af;
    int rc = gr_afile_open(&af, path, err);
    if (rc < 0) {
        return rc;
    }
    if (len && fwrite(data, 1, len, af.fp) != len) {
        gr_afile_abort(&af);
        return gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot write: short write");
    }
    return gr_afile_commit(&af, err);
}
