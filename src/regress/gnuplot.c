/*
 * gnuplot.c - finding and running gnuplot for `grregress plot`
 * (gnuplot.h).  No shell is involved anywhere: the program is found by
 * walking PATH ourselves and started with posix_spawn, so file names with
 * spaces or quotes cannot turn into commands.
 */
#include "config.h"
#include "regress/gnuplot.h"
#include "common/error.h"
#include "common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* 1 when path is an executable regular file. */
static int is_exe(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

int gr_gnuplot_find(char *buf, size_t n)
{
    const char *want = getenv("GNUPLOT"), *path, *p;
    if (!want || !want[0]) {
        want = "gnuplot";
    }
    snprintf(buf, n, "%s", want);
    if (strchr(want, '/')) {
        return is_exe(want) ? 0 : -1;
    }
    path = getenv("PATH");
    if (!path) {
        return -1;
    }
    for (p = path;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char cand[4096];
        /* an empty PATH entry means the current directory */
        if (snprintf(cand, sizeof cand, "%.*s%s%s", (int)len, len ? p : ".", "/", want)
                < (int)sizeof cand
            && is_exe(cand)) {
            snprintf(buf, n, "%s", cand);
            return 0;
        }
        if (!end) {
            break;
        }
        p = end + 1;
    }
    snprintf(buf, n, "%s", want);
    return -1;
}

int gr_gp_dir_make(gr_gp_dir *d, gr_error *err)
{
    const char *tmp = getenv("TMPDIR");
    char buf[4096];
    memset(d, 0, sizeof *d);
    snprintf(buf, sizeof buf, "%s/grregress-plot.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(buf)) {
        return gr_err(err, GR_ERR_IO, "cannot make a temporary directory %s: %s", buf,
                      strerror(errno));
    }
    d->path = gr_strdup(buf);
    if (!d->path) {
        rmdir(buf);
        return gr_err_nomem(err, "temporary directory");
    }
    return GR_OK;
}

FILE *gr_gp_dir_open(gr_gp_dir *d, const char *name, const char **path, gr_error *err)
{
    size_t len = strlen(d->path) + strlen(name) + 2;
    char *p;
    FILE *fp;
    int fd;
    if (d->nfiles >= GR_GP_MAX_FILES) {
        gr_err(err, GR_ERR_INTERNAL, "too many temporary files");
        return NULL;
    }
    p = gr_malloc(len);
    if (!p) {
        gr_err_nomem(err, "temporary file name");
        return NULL;
    }
    snprintf(p, len, "%s/%s", d->path, name);
    fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        gr_err(err, GR_ERR_IO, "%s: cannot create: %s", p, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(p);
        }
        gr_free(p);
        return NULL;
    }
    d->files[d->nfiles++] = p;
    if (path) {
        *path = p;
    }
    return fp;
}

void gr_gp_dir_remove(gr_gp_dir *d)
{
    size_t i;
    for (i = 0; i < d->nfiles; i++) {
        unlink(d->files[i]);
        gr_free(d->files[i]);
    }
    if (d->path) {
        rmdir(d->path);
    }
    gr_free(d->path);
    memset(d, 0, sizeof *d);
}

/* The most telling line of gnuplot's log: its error line ("FILE" line N:
 * message), else the last non-blank line.  Written into buf. */
static void log_reason(const char *log, char *buf, size_t n)
{
    FILE *fp = fopen(log, "r");
    char line[512];
    int found = 0;
    buf[0] = '\0';
    if (!fp) {
        return;
    }
    while (!found && fgets(line, sizeof line, fp)) {
        char *s = line, *e;
        while (*s == ' ' || *s == '\t' || *s == '^') {
            s++;
        }
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ')) {
            *--e = '\0';
        }
        if (!*s) {
            continue;
        }
        snprintf(buf, n, "%s", s);
        found = strstr(s, "\" line ") != NULL;
    }
    fclose(fp);
}

int gr_gnuplot_run(const char *exe, const char *script, gr_gp_dir *d, gr_error *err)
{
    posix_spawn_file_actions_t fa;
    const char *log = NULL;
    char *argv[3], why[400];
    FILE *lf = gr_gp_dir_open(d, "gnuplot.log", &log, err);
    pid_t pid;
    int st;
    if (!lf) {
        return err->code;
    }
    fclose(lf);
    argv[0] = (char *)exe;
    argv[1] = (char *)script;
    argv[2] = NULL;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        return gr_err_nomem(err, "running gnuplot");
    }
    if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0
        || posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_APPEND, 0) != 0
        || posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_APPEND, 0) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return gr_err_nomem(err, "running gnuplot");
    }
    fflush(stdout);
    fflush(stderr);
    st = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (st != 0) {
        return gr_err(err, GR_ERR_IO, "cannot run %s: %s", exe, strerror(st));
    }
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            return gr_err(err, GR_ERR_IO, "waiting for %s: %s", exe, strerror(errno));
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        return GR_OK;
    }
    log_reason(log, why, sizeof why);
    if (WIFSIGNALED(st)) {
        return gr_err(err, GR_ERR_IO, "gnuplot (%s) was killed by signal %d%s%s", exe,
                      WTERMSIG(st), why[0] ? ": " : "", why);
    }
    return gr_err(err, GR_ERR_IO, "gnuplot (%s) failed (exit %d)%s%s", exe,
                  WEXITSTATUS(st), why[0] ? ": " : "", why);
}

void gr_gp_quote(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'') {
            fputs("''", fp);
        } else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            fputc(' ', fp);
        } else {
            fputc(*s, fp);
        }
    }
    fputc('\'', fp);
}
