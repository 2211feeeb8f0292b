/*
 * cmd_ab.c - `grregress ab REV [REV2]`: an A/B comparison of two builds
 * measured on this machine, interleaved, so that the slow drift of a
 * shared CI machine hits both sides alike -- the robust gate where a
 * stored baseline from another time (or machine) cannot be trusted.
 *
 * Protocol:
 *  1. The grprof of A: --grprof-a PATH, else REV built in a temporary git
 *     worktree: `git worktree add --detach TMP/src REV` in the repository
 *     containing the current directory, then the build, logged to
 *     TMP.log: by default `autoreconf -fi` in TMP/src, `TMP/src/configure
 *     $GRREGRESS_AB_CONFIGURE_FLAGS` and `make -jN grprof` in TMP/build
 *     (set the flags to match how B was configured, e.g. --enable-debug:
 *     builds configured differently differ in speed and fingerprint);
 *     when $GRREGRESS_AB_BUILD is set,
 *     `sh -c "$GRREGRESS_AB_BUILD"` in TMP/src instead, with
 *     $GRREGRESS_AB_BUILDDIR set to TMP/build, which must leave an
 *     executable TMP/build/grprof (tests use it to skip the real build).
 *  2. The grprof of B: --grprof-b PATH, else REV2 built likewise, else
 *     the current build's grprof (grprof_run.h: $GRPROF, beside this
 *     program, PATH).
 *  3. Both suites run interleaved: A B A B ..., each call `grprof run`
 *     with --chunk rounds (default 1: a true interleaving; each call pays
 *     grprof's set-up -- suite graphs and calibration, about 7 s for the
 *     quick suite here -- so a larger chunk trades interleaving for time),
 *     until each side has --rounds rounds.  The runs are merged per side
 *     (merge.h): B's rounds become the current run, A's the baseline.
 *  4. The comparison, formats and exit codes are compare's
 *     (cmd_compare.c, decide.h).
 * The worktrees and their builds are removed on every path -- failure,
 * SIGINT, SIGTERM -- unless --keep-worktree (then their paths are
 * printed); a failed build's log is kept and named.
 */
#include "config.h"
#include "regress/regress.h"
#include "regress/grprof_run.h"
#include "regress/merge.h"
#include "profiler/stamp.h"
#include "common/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_INTERRUPTED 130
#define DEFAULT_ROUNDS 5

static const char *const metric_choices[] = {"time", "instructions", NULL};
static const char *const shift_choices[] = {"auto", "on", "off", NULL};
static const char *const suite_choices[] = {"quick", "default", "full", NULL};

static const struct gr_opt ab_opts[] = {
    {"alpha", 'a', GR_OPT_FLOAT, "Q",
     "false-discovery rate controlled over the suite (Benjamini-Hochberg)", "0.01",
     NULL, 1e-9, 0.5, GR_OPT_MIN | GR_OPT_MAX},
    {"chunk", 'C', GR_OPT_INT, "K",
     "rounds per grprof call (1: A1 B1 A2 B2 ...; more: less set-up time)", "1", NULL,
     1, 10000, GR_OPT_MIN | GR_OPT_MAX},
    {"config", 'c', GR_OPT_STRING, "FILE",
     "per-benchmark thresholds: {\"thresholds\": {\"REGEX\": \"10%\"}}", NULL, NULL, 0,
     0, 0},
    {"filter", 'f', GR_OPT_STRING, "REGEX",
     "run and compare only benchmarks whose name matches (POSIX extended)", NULL, NULL,
     0, 0, 0},
    {"format", 'F', GR_OPT_STRING, "FMT[=FILE]",
     "table, markdown, json, junit or github; =FILE writes that format to FILE",
     "table", NULL, 0, 0, GR_OPT_REPEAT},
    {"grprof-a", 'A', GR_OPT_STRING, "PATH", "use this grprof as A (REV is not built)",
     NULL, NULL, 0, 0, 0},
    {"grprof-b", 'B', GR_OPT_STRING, "PATH", "use this grprof as B (REV2 is not built)",
     NULL, NULL, 0, 0, 0},
    {"jobs", 'j', GR_OPT_INT, "N", "parallel make jobs per build", "2", NULL, 1, 256,
     GR_OPT_MIN | GR_OPT_MAX},
    {"keep-worktree", 'k', GR_OPT_FLAG, NULL,
     "keep the worktrees and builds (their paths are printed)", NULL, NULL, 0, 0, 0},
    {"metric", 'm', GR_OPT_ENUM, NULL, "what is compared", "time", metric_choices, 0, 0,
     0},
    {"output", 'o', GR_OPT_STRING, "FILE",
     "write the formats without =FILE to FILE (atomically) instead of stdout", NULL,
     NULL, 0, 0, 0},
    {"rounds", 'r', GR_OPT_INT, "R", "rounds per side", "5", NULL, 1, 10000,
     GR_OPT_MIN | GR_OPT_MAX},
    {"shift", 0, GR_OPT_ENUM, NULL,
     "judge times relative to the suite-wide shift (off: both builds ran "
     "interleaved on one machine, so a shift of the whole suite is the builds')",
     "off", shift_choices, 0, 0, 0},
    {"strict", 's', GR_OPT_FLAG, NULL,
     "refuse to compare runs from different machines (exit 3)", NULL, NULL, 0, 0, 0},
    {"suite", 'S', GR_OPT_ENUM, NULL, "which benchmarks", "default", suite_choices, 0, 0,
     0},
    {"threads", 'T', GR_OPT_INT, "N", "threads the library may use (default: OpenMP's)",
     NULL, NULL, 1, 4096, GR_OPT_MIN | GR_OPT_MAX},
    {"threshold", 't', GR_OPT_STRING, "PCT",
     "smallest change that matters, in percent (\"5%\" or \"5\")", "5%", NULL, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const ab_args[] = {"REV", "[REV2]", NULL};

/* One revision's temporary worktree and build. */
struct wt {
    char top[4096];          /* the repository's top level */
    char dir[4096];          /* TMP: holds src/ and build/ ("": none made) */
    char src[4200];          /* TMP/src, the worktree */
    char build[4200];        /* TMP/build */
    char log[4200];          /* TMP.log, the build's log */
    char grprof[4300];       /* TMP/build/grprof */
    int added;               /* the worktree was added */
    int failed;              /* keep the log */
};

static const struct gr_optval *opt_get(const struct gr_args *args, const char *name)
{
    return gr_opt_find(args->cmd->opts, name) ? gr_args_get(args, name) : NULL;
}

/* Remove a worktree and its build (or say where they are kept). */
static void wt_remove(const struct gr_cmd *cmd, struct wt *w, int keep)
{
    gr_error err;
    if (!w->dir[0]) {
        return;
    }
    gr_error_clear(&err);
    if (keep) {
        gr_cli_fail(cmd, 0, "kept the worktree %s and build %s (remove with: git "
                    "worktree remove --force %s; rm -rf %s)", w->src, w->build, w->src,
                    w->dir);
        w->dir[0] = '\0';
        return;
    }
    gr_live_cleanup(1);
    {
        /* `worktree remove` may refuse (a half-made worktree): then the
         * directory goes with rm and `worktree prune` forgets it */
        const char *rm[] = {"git", "-C", w->top, "worktree", "remove", "--force", w->src,
                            NULL};
        const char *rmrf[] = {"rm", "-rf", w->dir, NULL};
        const char *prune[] = {"git", "-C", w->top, "worktree", "prune", NULL};
        if (w->added) {
            gr_spawn_capture(rm, NULL, 1, NULL, 0, &err);
        }
        gr_error_clear(&err);
        gr_spawn_capture(rmrf, NULL, 1, NULL, 0, &err);
        if (w->added) {
            gr_error_clear(&err);
            gr_spawn_capture(prune, NULL, 1, NULL, 0, &err);
        }
    }
    gr_live_cleanup(0);
    if (!w->failed) {
        unlink(w->log);
    }
    w->dir[0] = '\0';
}

/* Step 1: check out `rev` into a new worktree and build grprof there. */
static int wt_build(const struct gr_cmd *cmd, const char *rev, long jobs, struct wt *w)
{
    const char *tmpdir = getenv("TMPDIR"), *custom = getenv("GRREGRESS_AB_BUILD");
    const char *top[] = {"git", "rev-parse", "--show-toplevel", NULL};
    char spec[300], sha[128], jobsarg[32], configure[4300];
    const char *step = NULL;     /* the default build's step, for messages */
    gr_error err;
    gr_error_clear(&err);
    if (!tmpdir || !tmpdir[0]) {
        tmpdir = "/tmp";
    }
    if (gr_spawn_capture(top, NULL, 1, w->top, sizeof w->top, &err) < 0 || !w->top[0]) {
        if (gr_live_interrupted()) {
            return gr_cli_fail(cmd, EXIT_INTERRUPTED, "interrupted");
        }
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "not in a git repository (REV '%s' is "
                           "built in a worktree of the repository containing the current "
                           "directory)", rev);
    }
    snprintf(spec, sizeof spec, "%s^{commit}", rev);
    {
        const char *verify[] = {"git", "-C", w->top, "rev-parse", "--verify", "--quiet",
                                "--end-of-options", spec, NULL};
        if (rev[0] == '-' || gr_spawn_capture(verify, NULL, 1, sha, sizeof sha, &err) < 0
            || !sha[0]) {
            if (gr_live_interrupted()) {
                return gr_cli_fail(cmd, EXIT_INTERRUPTED, "interrupted");
            }
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "unknown revision '%s' in %s", rev,
                               w->top);
        }
    }
    snprintf(w->dir, sizeof w->dir, "%s/grregress-ab.XXXXXX", tmpdir);
    if (!mkdtemp(w->dir)) {
        int e = errno;
        w->dir[0] = '\0';
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "cannot make a temporary directory in %s: "
                           "%s", tmpdir, strerror(e));
    }
    snprintf(w->src, sizeof w->src, "%s/src", w->dir);
    snprintf(w->build, sizeof w->build, "%s/build", w->dir);
    snprintf(w->log, sizeof w->log, "%s.log", w->dir);
    snprintf(w->grprof, sizeof w->grprof, "%s/grprof", w->build);
    gr_cli_fail(cmd, 0, "building %s (%.12s) in %s (log %s)...", rev, sha, w->dir, w->log);
    {
        const char *add[] = {"git", "-C", w->top, "worktree", "add", "--detach", w->src,
                             sha, NULL};
        w->added = 1; /* even a failed add may leave an entry: prune it */
        if (gr_spawn(add, NULL, w->log, &err) < 0) {
            goto fail;
        }
    }
    if (mkdir(w->build, 0777) < 0) {
        gr_err(&err, GR_ERR_IO, "%s: cannot create: %s", w->build, strerror(errno));
        goto fail;
    }
    if (custom && custom[0]) {
        const char *sh[] = {"sh", "-c", custom, NULL};
        setenv("GRREGRESS_AB_BUILDDIR", w->build, 1);
        if (gr_spawn(sh, w->src, w->log, &err) < 0) {
            goto fail;
        }
    } else {
        const char *autoreconf[] = {"autoreconf", "-fi", NULL};
        /* $GRREGRESS_AB_CONFIGURE_FLAGS split into words by the shell */
        const char *conf[] = {"sh", "-c", "\"$0\" $GRREGRESS_AB_CONFIGURE_FLAGS",
                              configure, NULL};
        const char *make[] = {"make", jobsarg, "grprof", NULL};
        snprintf(configure, sizeof configure, "%s/configure", w->src);
        snprintf(jobsarg, sizeof jobsarg, "-j%ld", jobs);
        step = "autoreconf";
        if (gr_spawn(autoreconf, w->src, w->log, &err) < 0) {
            goto fail;
        }
        step = "configure";
        if (gr_spawn(conf, w->build, w->log, &err) < 0) {
            goto fail;
        }
        step = "make";
        if (gr_spawn(make, w->build, w->log, &err) < 0) {
            goto fail;
        }
    }
    if (access(w->grprof, X_OK) != 0) {
        gr_err(&err, GR_ERR_IO, "the build left no executable %s", w->grprof);
        goto fail;
    }
    return GR_REXIT_OK;

fail:
    if (gr_live_interrupted()) {
        return gr_cli_fail(cmd, EXIT_INTERRUPTED, "interrupted");
    }
    w->failed = 1;
    return gr_cli_fail(cmd, GR_REXIT_USAGE, "building %s failed: %s%s%s (log: %s)", rev,
                       step ? step : "", step ? ": " : "", err.msg, w->log);
}

/* Step 3 (also calibrate's, with one binary twice). */
int gr_ab_interleave(const struct gr_cmd *cmd, const char *exe_a, const char *exe_b,
                      const struct gr_grprof_cfg *cfg, int64_t chunk, gr_run **a,
                      gr_run **b)
{
    int64_t total = cfg->rounds > 0 ? cfg->rounds : DEFAULT_ROUNDS;
    size_t calls = (size_t)((total + chunk - 1) / chunk), k, nruns = 0;
    gr_run **runs = gr_cli_alloc(2 * calls, sizeof *runs);
    char tmp[4096];
    int rc = GR_REXIT_OK;
    gr_error err;
    gr_error_clear(&err);
    for (k = 0; k < 2 * calls && rc == GR_REXIT_OK; k++) {
        struct gr_grprof_cfg c = *cfg;
        const char *exe = k % 2 ? exe_b : exe_a;
        int64_t done = (int64_t)(k / 2) * chunk;
        c.rounds = total - done < chunk ? total - done : chunk;
        if (c.rounds > 1) {
            gr_cli_fail(cmd, 0, "rounds %lld-%lld of %lld: %s", (long long)done + 1,
                        (long long)(done + c.rounds), (long long)total, k % 2 ? "B" : "A");
        } else {
            gr_cli_fail(cmd, 0, "round %lld of %lld: %s", (long long)done + 1,
                        (long long)total, k % 2 ? "B" : "A");
        }
        if (gr_live_tmpfile("ab", tmp, sizeof tmp, &err) < 0) {
            rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
            break;
        }
        if (gr_grprof_run(exe, &c, NULL, tmp, &err) < 0) {
            rc = gr_live_interrupted()
                     ? gr_cli_fail(cmd, EXIT_INTERRUPTED, "interrupted")
                     : gr_cli_fail(cmd, GR_REXIT_USAGE, "running %s's suite failed: %s",
                                   k % 2 ? "B" : "A", err.msg);
        } else if (gr_run_read(tmp, &runs[nruns], &err) < 0) {
            rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        } else {
            nruns++;
        }
        unlink(tmp);
    }
    if (rc == GR_REXIT_OK && gr_run_interleave(runs, nruns, a, b, &err) < 0) {
        rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "cannot merge the rounds: %s", err.msg);
    }
    for (k = 0; k < nruns; k++) {
        gr_run_free(&runs[k]);
    }
    gr_free(runs);
    return rc;
}

int gr_ab_measure(const struct gr_cmd *cmd, const struct gr_args *args, const char *rev,
                  const char *rev2, const struct gr_grprof_cfg *cfg, gr_run **a,
                  gr_run **b)
{
    struct wt *w = gr_cli_alloc(2, sizeof *w);
    const struct gr_optval *ga = opt_get(args, "grprof-a"), *gb = opt_get(args, "grprof-b");
    const struct gr_optval *chunk = opt_get(args, "chunk");
    long jobs = opt_get(args, "jobs") ? (long)opt_get(args, "jobs")->i : 2;
    int keep = gr_opt_find(args->cmd->opts, "keep-worktree")
               && gr_args_count(args, "keep-worktree") > 0;
    const char *exe_a, *exe_b;
    char found[4096];
    int rc = GR_REXIT_OK, k;
    *a = *b = NULL;
    for (k = 0; k < 2; k++) {
        const struct gr_optval *g = k ? gb : ga;
        if (g && access(g->text, X_OK) != 0) {
            rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "--grprof-%c %s: not an executable: %s",
                             k ? 'b' : 'a', g->text, strerror(errno));
            goto done;
        }
    }
    if (!ga) {
        rc = wt_build(cmd, rev, jobs, &w[0]);
        if (rc != GR_REXIT_OK) {
            goto done;
        }
    }
    if (!gb && rev2) {
        rc = wt_build(cmd, rev2, jobs, &w[1]);
        if (rc != GR_REXIT_OK) {
            goto done;
        }
    }
    exe_a = ga ? ga->text : w[0].grprof;
    exe_b = gb ? gb->text : rev2 ? w[1].grprof : gr_grprof_find(found, sizeof found);
    rc = gr_ab_interleave(cmd, exe_a, exe_b, cfg, chunk ? chunk->i : 1, a, b);
    for (k = 0; k < 2 && rc == GR_REXIT_OK; k++) {
        /* grprof stamped the commit of our directory; a side built in a
         * worktree measured that worktree's (--grprof-X: unknown, left) */
        gr_run *r = k ? *b : *a;
        gr_error e;
        gr_error_clear(&e);
        if (w[k].added && !(k ? gb : ga)) {
            gr_run_commit_clear(&r->commit);
            if (gr_stamp_commit(&r->commit, w[k].src, &e) < 0) {
                rc = gr_cli_error(cmd, GR_REXIT_USAGE, &e);
            }
        }
    }

done:
    for (k = 1; k >= 0; k--) {
        wt_remove(cmd, &w[k], keep && !w[k].failed);
    }
    gr_free(w);
    if (rc != GR_REXIT_OK) {
        gr_run_free(a);
        gr_run_free(b);
    }
    return rc;
}

static int ab_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    return gr_compare_main(cmd, args, GR_LIVE_AB);
}

const struct gr_cmd gr_cmd_ab = {
    "ab",
    "Build two revisions and compare them on this machine, interleaved",
    "REV [REV2] [options]",
    "Builds REV in a temporary git worktree of the repository containing the\n"
    "current directory (autoreconf -fi, configure $GRREGRESS_AB_CONFIGURE_FLAGS,\n"
    "make grprof; set the flags to match this build's configure options; or\n"
    "sh -c \"$GRREGRESS_AB_BUILD\" in the worktree, which must leave an executable\n"
    "$GRREGRESS_AB_BUILDDIR/grprof), and REV2 likewise (default: this build's\n"
    "grprof, i.e. the working tree).  --grprof-a / --grprof-b take existing\n"
    "builds instead.  Both suites then run interleaved, A B A B ..., --chunk\n"
    "rounds per grprof call, until each side has --rounds rounds; the rounds are\n"
    "merged per side and compared exactly as 'grregress compare' does, REV's runs\n"
    "being the baseline.  Progress goes to stderr.  The worktrees are removed on\n"
    "every exit path (also Ctrl-C) unless --keep-worktree; a failed build's log\n"
    "is kept.  'grregress compare BASELINE --against REV' does the same with the\n"
    "baseline's settings.\n"
    "\n"
    "Exit codes: as compare's (0 no regression, 1 regression or checksum\n"
    "mismatch, 2 usage or input error -- not in git, unknown REV, a failed build\n"
    "--, 3 not comparable), 130 interrupted.\n",
    NULL,
    ab_args,
    ab_opts,
    ab_handler
};
