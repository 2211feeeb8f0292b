/*
 * history.c - grregress's run history (history.h): a directory of run
 * files that `record` adds to and `history`, `detect` and `plot` read.
 *
 * Concurrency: every writer takes an exclusive flock(2) on DIR/.lock for
 * the whole check-then-write, so two `record`s of the same run cannot both
 * store it, and readers take the lock shared so they never see a directory
 * in the middle of a writer's clean-up.  Files themselves are written with
 * gr_afile (temporary name, fsync, rename), so even without the lock a
 * reader sees whole files only.  Temporary files ("*.tmp.*") are never
 * loaded; a writer holding the exclusive lock removes those a crashed
 * writer left behind (no live writer can own one then).
 *
 * A run's identity is the 64-bit hash of its canonical JSON
 * (gr_run_to_json of the validated run), so the same run written with
 * different white space or key order is still recognised as a duplicate.
 */
#include "config.h"
#include "regress/history.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/mem.h"
#include "common/stats.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_NAME ".lock"
#define MAX_SUFFIX 100          /* hash collisions tolerated per name */

const char *gr_history_dir(const char *opt)
{
    const char *env;
    if (opt && opt[0]) {
        return opt;
    }
    env = getenv("GRREGRESS_HISTORY");
    if (env && env[0]) {
        return env;
    }
    return GR_HISTORY_DEFAULT_DIR;
}

/* "dir/name" (gr_malloc'd), or NULL when out of memory. */
static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = gr_malloc(n);
    if (p) {
        snprintf(p, n, "%s/%s", dir, name);
    }
    return p;
}

int gr_history_mkdirs(const char *dir, gr_error *err)
{
    char *p = gr_strdup(dir);
    size_t i, n;
    struct stat sb;
    int rc = GR_OK;
    if (!p) {
        return gr_err_nomem(err, "directory name");
    }
    n = strlen(p);
    /* each prefix ending before a '/', then the whole path */
    for (i = 1; i <= n && rc == GR_OK; i++) {
        char c = p[i];
        if (c != '/' && c != '\0') {
            continue;
        }
        p[i] = '\0';
        if (mkdir(p, 0777) != 0) {
            int e = errno;
            if (stat(p, &sb) != 0) {
                rc = gr_err_at(err, GR_ERR_IO, p, 0, 0, "cannot create directory: %s",
                               strerror(e));
            } else if (!S_ISDIR(sb.st_mode)) {
                rc = gr_err_at(err, GR_ERR_IO, p, 0, 0,
                               "cannot create directory: a file of that name exists");
            }
        }
        p[i] = c;
    }
    gr_free(p);
    return rc;
}

/* Take the history's lock: exclusive (creating .lock) for writers, shared
 * for readers.  A reader that cannot create the lock file (read-only
 * directory) proceeds unlocked: -1 in *fd and GR_OK.  Writers get
 * GR_ERR_IO naming the lock file. */
static int lock_dir(const char *dir, int exclusive, int *fd, gr_error *err)
{
    char *lp = path_join(dir, LOCK_NAME);
    int f, rc = GR_OK;
    *fd = -1;
    if (!lp) {
        return gr_err_nomem(err, "lock file name");
    }
    f = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (f < 0 && !exclusive) {
        f = open(lp, O_RDONLY | O_CLOEXEC);
        if (f < 0) {
            gr_free(lp);
            return GR_OK;
        }
    }
    if (f < 0) {
        rc = gr_err_at(err, GR_ERR_IO, lp, 0, 0, "cannot create the lock file: %s",
                       strerror(errno));
        gr_free(lp);
        return rc;
    }
    while (flock(f, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno != EINTR) {
            rc = gr_err_at(err, GR_ERR_IO, lp, 0, 0, "cannot lock: %s", strerror(errno));
            close(f);
            gr_free(lp);
            return rc;
        }
    }
    gr_free(lp);
    *fd = f;
    return GR_OK;
}

static void unlock_dir(int fd)
{
    if (fd >= 0) {
        (void)flock(fd, LOCK_UN);
        close(fd);
    }
}

/* A run file of the history: "*.json", not hidden, not a temporary file. */
static int is_run_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* A temporary file left by gr_afile: "*.json.tmp.XXXXXX". */
static int is_tmp_name(const char *name)
{
    return name[0] != '.' && strstr(name, ".json.tmp.") != NULL;
}

/* ------------------------------------------------------------------ */
/* Order                                                                */
/* ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM|-HH:MM]" -> seconds since the epoch
 * (UTC); -1 when s is not in that form. */
static int parse_time(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0;
    const char *p;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6
        || n < 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
        || sec > 60) {
        return -1;
    }
    p = s + n;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
        }
    }
    if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2) {
            return -1;
        }
        oh *= sign;
        om *= sign;
    } else if (*p != 'Z' && *p != '\0') {
        return -1;
    }
    *out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + sec
           - (int64_t)oh * 3600 - (int64_t)om * 60;
    return 0;
}

/* The sort key of one entry. */
struct order_key {
    gr_history_entry e;
    const char *primary;     /* commit date, or start time outside git */
    int64_t tp, ts;          /* parsed primary / start (INT64_MAX: unparseable) */
};

/* Compare two times: parsed ones numerically, unparseable ones last, by
 * their text. */
static int cmp_time(int64_t ta, const char *sa, int64_t tb, const char *sb)
{
    if (ta != tb) {
        return ta < tb ? -1 : 1;
    }
    if (ta == INT64_MAX) {
        return strcmp(sa ? sa : "", sb ? sb : "");
    }
    return 0;
}

static int cmp_key(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    int c = cmp_time(x->tp, x->primary, y->tp, y->primary);
    if (c == 0) {
        c = cmp_time(x->ts, x->e.run->started, y->ts, y->e.run->started);
    }
    return c != 0 ? c : strcmp(x->e.file, y->e.file);
}

/* Put h's entries in history order (commit date, start, file name). */
static int sort_entries(gr_history *h, gr_error *err)
{
    struct order_key *k;
    size_t i;
    if (h->nentries < 2) {
        return GR_OK;
    }
    k = gr_calloc(h->nentries, sizeof *k);
    if (!k) {
        return gr_err_nomem(err, "history order");
    }
    for (i = 0; i < h->nentries; i++) {
        const gr_run *r = h->entries[i].run;
        k[i].e = h->entries[i];
        k[i].primary = r->commit.available ? r->commit.date : r->started;
        if (parse_time(k[i].primary, &k[i].tp) < 0) {
            k[i].tp = INT64_MAX;
        }
        if (parse_time(r->started, &k[i].ts) < 0) {
            k[i].ts = INT64_MAX;
        }
    }
    qsort(k, h->nentries, sizeof *k, cmp_key);
    for (i = 0; i < h->nentries; i++) {
        h->entries[i] = k[i].e;
    }
    gr_free(k);
    return GR_OK;
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run-file names of dir, sorted (each gr_malloc'd, and the array).
 * A missing directory gives none. */
static int list_runs(const char *dir, char ***names, size_t *n, gr_error *err)
{
    DIR *d;
    struct dirent *de;
    char **v = NULL;
    size_t cap = 0, k = 0, i;
    int rc = GR_OK;
    *names = NULL;
    *n = 0;
    d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) {
            return GR_OK;
        }
        return gr_err_at(err, GR_ERR_IO, dir, 0, 0, "cannot read the history directory: %s",
                         strerror(errno));
    }
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (!is_run_name(de->d_name)) {
            continue;
        }
        if (k == cap) {
            size_t nc = cap ? 2 * cap : 16;
            char **nv = gr_realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = gr_err_nomem(err, "history file names");
                break;
            }
            v = nv;
            cap = nc;
        }
        v[k] = gr_strdup(de->d_name);
        if (!v[k]) {
            rc = gr_err_nomem(err, "history file names");
            break;
        }
        k++;
    }
    closedir(d);
    if (rc < 0) {
        for (i = 0; i < k; i++) {
            gr_free(v[i]);
        }
        gr_free(v);
        return rc;
    }
    if (k > 1) {
        qsort(v, k, sizeof *v, cmp_str);
    }
    *names = v;
    *n = k;
    return GR_OK;
}

int gr_history_load(const char *dir, gr_history **out, gr_error *err)
{
    gr_history *h;
    char **names = NULL;
    size_t n = 0, i;
    int fd = -1, rc;
    struct stat sb;
    *out = NULL;
    h = gr_calloc(1, sizeof *h);
    if (!h) {
        return gr_err_nomem(err, "history");
    }
    h->dir = gr_strdup(dir);
    if (!h->dir) {
        gr_free(h);
        return gr_err_nomem(err, "history");
    }
    if (stat(dir, &sb) != 0) {
        if (errno == ENOENT) {
            *out = h;        /* no directory: an empty history */
            return GR_OK;
        }
        rc = gr_err_at(err, GR_ERR_IO, dir, 0, 0, "cannot read the history directory: %s",
                       strerror(errno));
        goto fail;
    }
    if (!S_ISDIR(sb.st_mode)) {
        rc = gr_err_at(err, GR_ERR_IO, dir, 0, 0,
                       "cannot read the history directory: Not a directory");
        goto fail;
    }
    TRY(lock_dir(dir, 0, &fd, err));
    TRY(list_runs(dir, &names, &n, err));
    if (n > 0) {
        h->entries = gr_calloc(n, sizeof *h->entries);
        if (!h->entries) {
            rc = gr_err_nomem(err, "history entries");
            goto fail;
        }
    }
    for (i = 0; i < n; i++) {
        gr_history_entry *e = &h->entries[h->nentries];
        e->file = path_join(dir, names[i]);
        if (!e->file) {
            rc = gr_err_nomem(err, "history file name");
            goto fail;
        }
        h->nentries++;
        rc = gr_run_read(e->file, &e->run, err);
        if (rc < 0) {
            /* a stored file that is not a valid run is a damaged history */
            if (rc != GR_ERR_NOMEM) {
                err->code = rc = GR_ERR_FORMAT;
            }
            goto fail;
        }
    }
    TRY(sort_entries(h, err));
    unlock_dir(fd);
    for (i = 0; i < n; i++) {
        gr_free(names[i]);
    }
    gr_free(names);
    *out = h;
    return GR_OK;
fail:
    unlock_dir(fd);
    for (i = 0; i < n; i++) {
        gr_free(names[i]);
    }
    gr_free(names);
    gr_history_free(&h);
    return rc;
}

void gr_history_free(gr_history **hp)
{
    gr_history *h;
    size_t i;
    if (!hp || !*hp) {
        return;
    }
    h = *hp;
    for (i = 0; i < h->nentries; i++) {
        gr_free(h->entries[i].file);
        gr_run_free(&h->entries[i].run);
    }
    gr_free(h->entries);
    gr_free(h->dir);
    gr_free(h);
    *hp = NULL;
}

/* ------------------------------------------------------------------ */
/* Adding                                                               */
/* ------------------------------------------------------------------ */

int gr_history_run_hash(const gr_run *run, char **canon, uint64_t *hash, gr_error *err)
{
    char *text = NULL;
    int rc = gr_run_to_json(run, &text, err);
    if (rc < 0) {
        return rc;
    }
    *hash = gr_hash64(text, strlen(text), 0);
    if (canon) {
        *canon = text;
    } else {
        gr_free(text);
    }
    return GR_OK;
}

/* Copy the letters and digits of s (at most max of them) into buf[n];
 * `def` when there are none. */
static void name_part(const char *s, size_t max, const char *def, char *buf, size_t n)
{
    size_t k = 0;
    for (; s && *s && k < max && k + 1 < n; s++) {
        if (isalnum((unsigned char)*s)) {
            buf[k++] = *s;
        }
    }
    buf[k] = '\0';
    if (k == 0) {
        snprintf(buf, n, "%s", def);
    }
}

/* Whether the run file at path holds exactly the canonical text `canon`
 * (read and re-serialised: a stored file is canonical JSON already). */
static int same_run(const char *path, const char *canon, int *same, gr_error *err)
{
    gr_run *r = NULL;
    char *text = NULL;
    int rc = gr_run_read(path, &r, err);
    *same = 0;
    if (rc < 0) {
        if (rc != GR_ERR_NOMEM) {
            err->code = rc = GR_ERR_FORMAT;
        }
        return rc;
    }
    rc = gr_run_to_json(r, &text, err);
    gr_run_free(&r);
    if (rc < 0) {
        return rc;
    }
    *same = strcmp(text, canon) == 0;
    gr_free(text);
    return GR_OK;
}

/* Remove temporary files left by writers that died (the caller holds the
 * exclusive lock, so no live writer owns one).  Best effort. */
static void remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d) {
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (is_tmp_name(de->d_name)) {
            char *p = path_join(dir, de->d_name);
            if (p) {
                (void)unlink(p);
                gr_free(p);
            }
        }
    }
    closedir(d);
}

/* fsync the directory so the rename survives a crash.  Best effort. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int gr_history_add(const char *dir, const gr_run *run, const char *src, int *duplicate,
                   char **stored, gr_error *err)
{
    char *canon = NULL, *path = NULL, name[128], when[24], sha[16];
    uint64_t hash;
    size_t len;
    int fd = -1, rc, k;
    *duplicate = 0;
    if (stored) {
        *stored = NULL;
    }
    rc = gr_history_run_hash(run, &canon, &hash, err);
    if (rc < 0) {
        /* gr_run_to_json names the field; say which run it was */
        if (rc != GR_ERR_NOMEM && !err->file[0]) {
            snprintf(err->file, sizeof err->file, "%s", src ? src : "(run)");
        }
        return rc;
    }
    TRY(gr_history_mkdirs(dir, err));
    TRY(lock_dir(dir, 1, &fd, err));
    remove_stale_tmp(dir);
    name_part(run->started, 20, "nostart", when, sizeof when);
    if (run->commit.available) {
        name_part(run->commit.short_sha, 12, "nosha", sha, sizeof sha);
    } else {
        snprintf(sha, sizeof sha, "nogit");
    }
    len = strlen(canon);
    for (k = 1; k <= MAX_SUFFIX; k++) {
        struct stat sb;
        int same = 0;
        if (k == 1) {
            snprintf(name, sizeof name, "%s-%s-%016" PRIx64 ".json", when, sha, hash);
        } else { /* a 64-bit hash collision: practically never */
            snprintf(name, sizeof name, "%s-%s-%016" PRIx64 "-%d.json", when, sha, hash, k);
        }
        gr_free(path);
        path = path_join(dir, name);
        if (!path) {
            rc = gr_err_nomem(err, "history file name");
            goto fail;
        }
        if (lstat(path, &sb) != 0) {
            if (errno != ENOENT) {
                rc = gr_err_at(err, GR_ERR_IO, path, 0, 0, "cannot read: %s",
                               strerror(errno));
                goto fail;
            }
            break;       /* a free name */
        }
        TRY(same_run(path, canon, &same, err));
        if (same) {
            *duplicate = 1;
            break;
        }
    }
    if (k > MAX_SUFFIX) {
        rc = gr_err_at(err, GR_ERR_IO, dir, 0, 0, "no free file name for run %s", name);
        goto fail;
    }
    if (!*duplicate) {
        /* the stored file ends with a newline, as grprof's do */
        canon[len] = '\n';
        rc = gr_write_file_atomic(path, canon, len + 1, err);
        canon[len] = '\0';
        if (rc < 0) {
            goto fail;
        }
        sync_dir(dir);
    }
    unlock_dir(fd);
    gr_free(canon);
    if (stored) {
        *stored = path;
    } else {
        gr_free(path);
    }
    return GR_OK;
fail:
    unlock_dir(fd);
    gr_free(canon);
    gr_free(path);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Series                                                               */
/* ------------------------------------------------------------------ */

int gr_history_series(const gr_history *h, const char *name, gr_series *out,
                      gr_error *err)
{
    size_t i, n = 0;
    memset(out, 0, sizeof *out);
    for (i = 0; i < h->nentries; i++) {
        n += gr_run_find(h->entries[i].run, name) != NULL;
    }
    if (n == 0) {
        return gr_err(err, GR_ERR_EMPTY, "no run in the history %s has benchmark \"%s\"",
                      h->dir ? h->dir : "", name);
    }
    out->points = gr_calloc(n, sizeof *out->points);
    if (!out->points) {
        return gr_err_nomem(err, "history series");
    }
    for (i = 0; i < h->nentries; i++) {
        const gr_run_bench *b = gr_run_find(h->entries[i].run, name);
        gr_series_point *p;
        gr_stats st;
        if (!b) {
            continue;
        }
        if (gr_stats_compute(b->samples, b->nsamples, &st) < 0) {
            gr_series_free(out);
            return gr_err_nomem(err, "history series statistics");
        }
        p = &out->points[out->npoints++];
        p->entry = &h->entries[i];
        p->bench = b;
        p->median = st.median;
        p->lo = st.ci_lo;
        p->hi = st.ci_hi;
        if (!out->name) {
            out->name = b->name;
        }
    }
    return GR_OK;
}

void gr_series_free(gr_series *s)
{
    if (!s) {
        return;
    }
    gr_free(s->points);
    s->points = NULL;
    s->npoints = 0;
    s->name = NULL;
}
