/*
 * grprof_run.c - child processes of grregress's live commands: `grprof
 * run` with given settings into a given file, and any other command (git,
 * a build), waited for with the interruption protocol of grprof_run.h.
 *
 * Children are started with fork + exec rather than posix_spawn so that a
 * working directory can be given portably; a close-on-exec pipe carries
 * the exec's errno back, so "cannot run X: No such file or directory" is
 * told apart from X exiting with status 127.
 */
#include "config.h"
#include "regress/grprof_run.h"
#include "common/error.h"
#include "common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGV 256             /* grprof's command line, at most */

static volatile sig_atomic_t live_sig;
static int live_installed;
static int cleaning;             /* gr_live_cleanup(1) in force */

void gr_live_cleanup(int on)
{
    cleaning = on;
}

static void on_signal(int sig)
{
    live_sig = sig;
}

void gr_live_signals(void)
{
    struct sigaction sa;
    if (live_installed) {
        return;
    }
    live_installed = 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: waitpid and read return EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int gr_live_interrupted(void)
{
    return (int)live_sig;
}

int gr_live_tmpfile(const char *what, char *buf, size_t n, gr_error *err)
{
    const char *dir = getenv("TMPDIR");
    int fd;
    if (!dir || !dir[0]) {
        dir = "/tmp";
    }
    if ((size_t)snprintf(buf, n, "%s/grregress-%s.XXXXXX.json", dir, what) >= n) {
        return gr_err(err, GR_ERR_IO, "temporary file name too long (TMPDIR %s)", dir);
    }
    fd = mkstemps(buf, 5);
    if (fd < 0) {
        return gr_err(err, GR_ERR_IO, "cannot make a temporary file in %s: %s", dir,
                      strerror(errno));
    }
    close(fd);
    return GR_OK;
}

/* Start argv in cwd with stdout on out_fd and stderr on err_fd (-1: ours).
 * Returns GR_OK with *pid, or GR_ERR_IO with the reason (the exec's). */
static int start(const char *const *argv, const char *cwd, int out_fd, int err_fd,
                 pid_t *pid, gr_error *err)
{
    int pfd[2], e = 0;
    ssize_t got;
    if (live_sig && !cleaning) {
        return gr_err(err, GR_ERR_IO, "interrupted");
    }
    if (pipe(pfd) < 0 || fcntl(pfd[1], F_SETFD, FD_CLOEXEC) < 0) {
        return gr_err(err, GR_ERR_IO, "cannot run %s: pipe: %s", argv[0], strerror(errno));
    }
    fflush(NULL);
    *pid = fork();
    if (*pid < 0) {
        e = errno;
        close(pfd[0]);
        close(pfd[1]);
        return gr_err(err, GR_ERR_IO, "cannot run %s: fork: %s", argv[0], strerror(e));
    }
    if (*pid == 0) {
        struct sigaction sa;
        close(pfd[0]);
        setpgid(0, 0); /* its own group: an interruption stops all of it */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        if ((cwd && chdir(cwd) < 0) || (out_fd >= 0 && dup2(out_fd, 1) < 0)
            || (err_fd >= 0 && dup2(err_fd, 2) < 0)) {
            e = -errno; /* negative: not the exec itself */
        } else {
            execvp(argv[0], (char *const *)argv);
            e = errno;
        }
        if (write(pfd[1], &e, sizeof e) < 0) {
            /* nothing left to report it with */
        }
        _exit(127);
    }
    close(pfd[1]);
    do {
        got = read(pfd[0], &e, sizeof e);
    } while (got < 0 && errno == EINTR);
    close(pfd[0]);
    if (got == (ssize_t)sizeof e) {
        int st;
        while (waitpid(*pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (e < 0) {
            return gr_err(err, GR_ERR_IO, "cannot run %s in %s: %s", argv[0],
                          cwd ? cwd : ".", strerror(-e));
        }
        return gr_err(err, GR_ERR_IO, "cannot run %s: %s", argv[0], strerror(e));
    }
    return GR_OK;
}

/* Forward our interruption to the child (once). */
static void forward(pid_t pid, int *sent)
{
    if (live_sig && !*sent && !cleaning) {
        kill(-pid, SIGTERM);
        kill(pid, SIGTERM);
        *sent = 1;
    }
}

/* Wait for pid; its status as an error naming `what`. */
static int finish(pid_t pid, const char *what, gr_error *err)
{
    int st = 0, sent = 0;
    for (;;) {
        forward(pid, &sent);
        if (waitpid(pid, &st, 0) == pid) {
            break;
        }
        if (errno != EINTR) {
            return gr_err(err, GR_ERR_IO, "waiting for %s: %s", what, strerror(errno));
        }
    }
    if (live_sig && !cleaning) {
        return gr_err(err, GR_ERR_IO, "interrupted");
    }
    if (WIFSIGNALED(st)) {
        return gr_err(err, GR_ERR_IO, "'%s' was killed by signal %d", what, WTERMSIG(st));
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        return gr_err(err, GR_ERR_IO, "'%s' exited with status %d", what,
                      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    return GR_OK;
}

int gr_spawn(const char *const *argv, const char *cwd, const char *log, gr_error *err)
{
    pid_t pid;
    int fd = -1, rc;
    if (log) {
        fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        if (fd < 0) {
            return gr_err(err, GR_ERR_IO, "%s: cannot open: %s", log, strerror(errno));
        }
    }
    rc = start(argv, cwd, fd, fd, &pid, err);
    if (fd >= 0) {
        close(fd);
    }
    return rc < 0 ? rc : finish(pid, argv[0], err);
}

int gr_spawn_capture(const char *const *argv, const char *cwd, int quiet, char *buf,
                     size_t n, gr_error *err)
{
    int pfd[2], nul = -1, rc, sent = 0;
    size_t len = 0;
    pid_t pid;
    char sink[256];
    if (pipe(pfd) < 0) {
        return gr_err(err, GR_ERR_IO, "cannot run %s: pipe: %s", argv[0], strerror(errno));
    }
    fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    if (quiet) {
        nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
    }
    rc = start(argv, cwd, pfd[1], nul, &pid, err);
    close(pfd[1]);
    if (nul >= 0) {
        close(nul);
    }
    if (rc < 0) {
        close(pfd[0]);
        return rc;
    }
    for (;;) {
        ssize_t got;
        forward(pid, &sent);
        got = len + 1 < n ? read(pfd[0], buf + len, n - 1 - len)
                          : read(pfd[0], sink, sizeof sink);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        if (len + 1 < n) {
            len += (size_t)got;
        }
    }
    close(pfd[0]);
    if (n > 0) {
        buf[len] = '\0';
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
            buf[--len] = '\0';
        }
    }
    return finish(pid, argv[0], err);
}

void gr_grprof_cfg_from_run(const gr_run_config *rc, struct gr_grprof_cfg *out)
{
    memset(out, 0, sizeof *out);
    out->suite = rc->suite;
    out->filter = rc->filter;
    out->rounds = rc->rounds;
    out->repeat = rc->repeat;
    out->warmup = rc->warmup;
    out->min_time = rc->min_time;
    out->threads = rc->threads;
    out->instructions = rc->instructions;
    out->ngraphs = rc->ngraphs;
    out->graphs = rc->graphs;
    out->nprograms = rc->nprograms;
    out->programs = rc->programs;
}

const char *gr_grprof_find(char *buf, size_t n)
{
    const char *env = getenv("GRPROF");
    ssize_t len;
    char *slash;
    if (env && env[0]) {
        return env;
    }
    if (n > 8) {
        len = readlink("/proc/self/exe", buf, n - 8);
        if (len > 0 && (size_t)len < n - 8) {
            buf[len] = '\0';
            slash = strrchr(buf, '/');
            if (slash) {
                strcpy(slash + 1, "grprof");
                if (access(buf, X_OK) == 0) {
                    return buf;
                }
            }
        }
    }
    return "grprof";
}

int gr_grprof_run(const char *exe, const struct gr_grprof_cfg *cfg,
                  const char *const *extra, const char *out, gr_error *err)
{
    const char *argv[MAX_ARGV];
    char num[5][32], what[4200];
    size_t k, argc = 0;
    pid_t pid;
    int nul, rc;
    argv[argc++] = exe;
    argv[argc++] = "run";
    if (cfg->suite) {
        argv[argc++] = "--suite";
        argv[argc++] = cfg->suite;
    }
    if (cfg->filter) {
        argv[argc++] = "--filter";
        argv[argc++] = cfg->filter;
    }
    if (cfg->rounds > 0) {
        snprintf(num[0], sizeof num[0], "%lld", (long long)cfg->rounds);
        argv[argc++] = "--rounds";
        argv[argc++] = num[0];
    }
    if (cfg->repeat > 0) {
        snprintf(num[1], sizeof num[1], "%lld", (long long)cfg->repeat);
        argv[argc++] = "--repeat";
        argv[argc++] = num[1];
    }
    if (cfg->warmup >= 0) {
        snprintf(num[2], sizeof num[2], "%lld", (long long)cfg->warmup);
        argv[argc++] = "--warmup";
        argv[argc++] = num[2];
    }
    if (cfg->min_time >= 0) {
        snprintf(num[3], sizeof num[3], "%.17g", cfg->min_time);
        argv[argc++] = "--min-time";
        argv[argc++] = num[3];
    }
    if (cfg->threads > 0) {
        snprintf(num[4], sizeof num[4], "%lld", (long long)cfg->threads);
        argv[argc++] = "--threads";
        argv[argc++] = num[4];
    }
    if (cfg->instructions) {
        argv[argc++] = "--instructions";
    }
    for (k = 0; k < cfg->ngraphs; k++) {
        if (argc + 2 >= MAX_ARGV - 32) {
            return gr_err(err, GR_ERR_INVALID, "too many --graph options (%zu)",
                          cfg->ngraphs);
        }
        argv[argc++] = "--graph";
        argv[argc++] = cfg->graphs[k];
    }
    for (k = 0; k < cfg->nprograms; k++) {
        if (argc + 2 >= MAX_ARGV - 32) {
            return gr_err(err, GR_ERR_INVALID, "too many --program options (%zu)",
                          cfg->nprograms);
        }
        argv[argc++] = "--program";
        argv[argc++] = cfg->programs[k];
    }
    for (k = 0; extra && extra[k]; k++) {
        if (argc >= MAX_ARGV - 8) {
            return gr_err(err, GR_ERR_INVALID, "too many arguments for grprof");
        }
        argv[argc++] = extra[k];
    }
    argv[argc++] = "--quiet";
    argv[argc++] = "--output";
    argv[argc++] = out;
    argv[argc] = NULL;
    /* grprof's stdout (the run file's path) is not part of our output */
    nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (nul < 0) {
        return gr_err(err, GR_ERR_IO, "/dev/null: cannot open: %s", strerror(errno));
    }
    rc = start(argv, NULL, nul, -1, &pid, err);
    close(nul);
    if (rc < 0) {
        return rc;
    }
    snprintf(what, sizeof what, "%s run", exe);
    return finish(pid, what, err);
}
