/*
 * stamp.c - commit, machine fingerprint, timestamps and counter
 * availability for the run file (see stamp.h and docs/run-schema.md).
 *
 * The compiler and OpenMP come from predefined macros of this very build;
 * CFLAGS from GR_BUILD_CFLAGS when the build defines it (configure's
 * AC_DEFINE_UNQUOTED of $CFLAGS), else "unknown".
 */
#include "config.h"
#include "profiler/stamp.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/mem.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#if defined(__linux__)
#include <linux/perf_event.h>
#include <sys/syscall.h>
#endif

#ifndef GR_BUILD_CFLAGS
#define GR_BUILD_CFLAGS "unknown"
#endif

/* The first line `cmd` prints (trailing newline removed), or NULL when it
 * fails or prints nothing.  *nomem is set when an allocation failed. */
static char *first_line(const char *cmd, int *status, int *nomem)
{
    char buf[1024];
    FILE *p = popen(cmd, "r");
    char *s = NULL;
    int rc;
    if (!p) {
        *status = -1;
        return NULL;
    }
    if (fgets(buf, sizeof buf, p)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (!(s = gr_strdup(buf))) {
            *nomem = 1;
        }
        while (fgets(buf, sizeof buf, p)) {
            /* drain */
        }
    }
    rc = pclose(p);
    *status = rc;
    if (rc != 0) {
        gr_free(s);
        return NULL;
    }
    return s;
}

/* The first line of `git ARGS` run in dir (NULL: the current directory),
 * with TZ=UTC, stderr discarded; as first_line. */
static char *git_line(const char *dir, const char *args, int *status, int *nomem)
{
    char cmd[8192], q[4200];
    size_t o = 0;
    const char *p;
    q[0] = '\0';
    if (dir) {
        /* single-quoted for the shell: ' becomes '\'' */
        q[o++] = '\'';
        for (p = dir; *p && o + 6 < sizeof q; p++) {
            if (*p == '\'') {
                memcpy(q + o, "'\\''", 4);
                o += 4;
            } else {
                q[o++] = *p;
            }
        }
        q[o++] = '\'';
        q[o] = '\0';
    }
    snprintf(cmd, sizeof cmd, "TZ=UTC git%s%s %s 2>/dev/null", dir ? " -C " : "", q, args);
    return first_line(cmd, status, nomem);
}

int gr_stamp_commit(gr_run_commit *c, const char *dir, gr_error *err)
{
    int st = 0, nomem = 0;
    char *dirty;
    memset(c, 0, sizeof *c);
    dirty = first_line("command -v git 2>/dev/null", &st, &nomem);
    if (!dirty) {
        c->reason = gr_strdup("git not found");
        return c->reason ? GR_OK : gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    gr_free(dirty);
    c->sha = git_line(dir, "rev-parse --verify -q HEAD", &st, &nomem);
    if (!c->sha) {
        gr_free(c->sha);
        c->sha = NULL;
        c->reason = gr_strdup("not a git checkout");
        return c->reason && !nomem ? GR_OK : gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    c->available = 1;
    c->short_sha = git_line(dir, "rev-parse --short HEAD", &st, &nomem);
    c->branch = git_line(dir, "rev-parse --abbrev-ref HEAD", &st, &nomem);
    c->date = git_line(dir, "log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd",
                       &st, &nomem);
    c->subject = git_line(dir, "log -1 --format=%s", &st, &nomem);
    if (!c->subject && !nomem) {
        c->subject = gr_strdup("");
    }
    dirty = git_line(dir, "status --porcelain --untracked-files=no", &st, &nomem);
    c->dirty = dirty != NULL;
    gr_free(dirty);
    if (nomem || !c->short_sha || !c->branch || !c->date || !c->subject) {
        if (nomem) {
            return gr_err(err, GR_ERR_NOMEM, "out of memory");
        }
        /* git answered rev-parse but not the rest: report it unavailable */
        gr_run_commit_clear(c);
        c->reason = gr_strdup("git could not describe HEAD");
        return c->reason ? GR_OK : gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    return GR_OK;
}

/* The first line of a small file, or NULL. */
static char *read_line(const char *path)
{
    char buf[512];
    FILE *f = fopen(path, "r");
    char *s = NULL;
    if (!f) {
        return NULL;
    }
    if (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        s = gr_strdup(buf);
    }
    fclose(f);
    return s;
}

static char *cpu_model(void)
{
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            char *colon = strchr(line, ':');
            if (strncmp(line, "model name", 10) == 0 && colon) {
                colon++;
                colon += strspn(colon, " \t");
                colon[strcspn(colon, "\r\n")] = '\0';
                fclose(f);
                return gr_strdup(colon);
            }
        }
        fclose(f);
    }
    return gr_strdup("unknown");
}

static char *compiler_id(void)
{
    char buf[160];
#if defined(__clang__)
    snprintf(buf, sizeof buf, "clang %d.%d.%d", __clang_major__, __clang_minor__,
             __clang_patchlevel__);
#elif defined(__GNUC__)
    snprintf(buf, sizeof buf, "gcc %d.%d.%d", __GNUC__, __GNUC_MINOR__,
             __GNUC_PATCHLEVEL__);
#else
    snprintf(buf, sizeof buf, "unknown");
#endif
    return gr_strdup(buf);
}

void gr_stamp_load(double load[3])
{
    if (getloadavg(load, 3) != 3) {
        load[0] = load[1] = load[2] = 0;
    }
}

static void hash_str(gr_hash *h, const char *s)
{
    s = s ? s : "(null)";
    gr_hash_update(h, s, strlen(s) + 1);   /* the NUL separates fields */
}

static void hash_i64(gr_hash *h, int64_t x)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, x);
    hash_str(h, buf);
}

int gr_stamp_machine(gr_run_machine *m, gr_error *err)
{
    struct utsname u;
    char buf[400];
    char *sib;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    gr_hash h;
    memset(m, 0, sizeof *m);
    m->cpu_model = cpu_model();
    m->cores_online = sysconf(_SC_NPROCESSORS_ONLN);
    sib = read_line("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list");
    m->smt = sib && (strchr(sib, ',') || strchr(sib, '-'));
    gr_free(sib);
    m->governor = read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    if (uname(&u) == 0) {
        snprintf(buf, sizeof buf, "%s %s", u.sysname, u.release);
        m->kernel = gr_strdup(buf);
        m->arch = gr_strdup(u.machine);
    } else {
        m->kernel = gr_strdup("unknown");
        m->arch = gr_strdup("unknown");
    }
    m->mem_total_bytes = pages > 0 && psize > 0 ? (int64_t)pages * psize : 0;
    m->compiler = compiler_id();
    m->cflags = gr_strdup(GR_BUILD_CFLAGS);
#ifdef _OPENMP
    m->openmp = 1;
#endif
    gr_stamp_load(m->load_start);
    gr_hash_init(&h, 0);
    hash_str(&h, m->cpu_model);
    hash_i64(&h, m->cores_online);
    hash_i64(&h, m->smt);
    hash_str(&h, m->governor);
    hash_str(&h, m->kernel);
    hash_str(&h, m->arch);
    hash_i64(&h, m->mem_total_bytes);
    hash_str(&h, m->compiler);
    hash_str(&h, m->cflags);
    hash_i64(&h, m->openmp);
    snprintf(buf, sizeof buf, "%016" PRIx64, gr_hash_final(&h));
    m->hash = gr_strdup(buf);
    if (!m->cpu_model || !m->kernel || !m->arch || !m->compiler || !m->cflags ||
        !m->hash) {
        return gr_err(err, GR_ERR_NOMEM, "out of memory");
    }
    return GR_OK;
}

const char *gr_stamp_utc(time_t t, char *buf, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

int gr_stamp_perf(char *reason, size_t n)
{
#if defined(__linux__) && defined(SYS_perf_event_open)
    struct perf_event_attr attr;
    long fd;
    int e;
    memset(&attr, 0, sizeof attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.size = sizeof attr;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    if (fd >= 0) {
        close((int)fd);
        snprintf(reason, n, "available");
        return 1;
    }
    e = errno;
    if (e == EACCES || e == EPERM) {
        char *par = read_line("/proc/sys/kernel/perf_event_paranoid");
        snprintf(reason, n, "%s: perf_event_paranoid=%s", e == EACCES ? "EACCES" : "EPERM",
                 par ? par : "?");
        gr_free(par);
    } else if (e == ENOENT || e == ENODEV || e == EOPNOTSUPP) {
        snprintf(reason, n, "not supported by this CPU/VM");
    } else if (e == ENOSYS) {
        snprintf(reason, n, "perf_event_open not implemented by this kernel");
    } else {
        snprintf(reason, n, "perf_event_open: %s", strerror(e));
    }
    return 0;
#else
    snprintf(reason, n, "perf_event_open not available on this system");
    return 0;
#endif
}
