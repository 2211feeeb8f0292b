/*
 * grprof_run.h - child processes for grregress's live commands (compare
 * without CURRENT, calibrate, ab): one `grprof run` with given settings
 * into a given run file, any other command (git, the build of a
 * revision) run and waited for, and the interruption protocol they share.
 *
 * Interruption: gr_live_signals() makes SIGINT, SIGTERM and SIGHUP set a
 * flag instead of killing grregress.  Each child runs in its own process
 * group (so a build's make and compilers stop too); the group of the
 * child being waited for is sent SIGTERM, the child reaped, and the call
 * fails with gr_live_interrupted() set; no further child is started.  The commands then unwind normally: they
 * remove their temporary files and worktrees and exit 130.  This is how
 * "Ctrl-C leaves nothing behind" is kept without doing work in a signal
 * handler.
 *
 * Also shared by compare and ab (cmd_compare.c, cmd_ab.c): the compare
 * pipeline with its output formats, and ab's measurement, so `compare
 * --against REV` and `ab REV` are the same code.
 *
 * Ownership: nothing here keeps pointers to its arguments.
 */
#ifndef GR_REGRESS_GRPROF_RUN_H
#define GR_REGRESS_GRPROF_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "gr.h"
#include "common/runfile.h"
#include "profiler/cli.h"

/* The settings of one `grprof run`.  Zero / NULL fields are left to
 * grprof's defaults (min_time: a negative value). */
struct gr_grprof_cfg {
    const char *suite;           /* quick | default | full, or NULL */
    const char *filter;          /* POSIX ERE, or NULL */
    int64_t rounds;              /* --rounds, 0: default */
    int64_t repeat;              /* --repeat, 0: default */
    int64_t warmup;              /* --warmup, -1: default */
    double min_time;             /* --min-time, < 0: default */
    int64_t threads;             /* --threads, 0: default */
    int instructions;            /* --instructions (callgrind counts) */
    size_t ngraphs;
    char *const *graphs;         /* --graph, each */
    size_t nprograms;
    char *const *programs;       /* --program, each */
};

/* Fill *out with the settings a run was made with (pointers into rc). */
void gr_grprof_cfg_from_run(const gr_run_config *rc, struct gr_grprof_cfg *out);

/* The grprof binary to run: $GRPROF when set and non-empty, else "grprof"
 * beside this program (/proc/self/exe) when executable, else "grprof"
 * (looked up on PATH).  May write into buf[n]; returns buf or a string
 * that outlives the call. */
const char *gr_grprof_find(char *buf, size_t n);

/* Run `EXE run --quiet --output OUT` with cfg's settings and then the
 * NULL-terminated extra arguments (may be NULL), and wait.  grprof's
 * stdout (the path it prints) goes to /dev/null; its stderr is ours, so
 * its own error message is seen.  Returns GR_OK, or GR_ERR_IO with a
 * message: "cannot run EXE: No such file or directory", "'EXE run'
 * exited with status 2", "'EXE run' was killed by signal 9", or
 * "interrupted" (gr_live_interrupted() then non-zero).  OUT is written
 * only by grprof (atomically) and only on success. */
int gr_grprof_run(const char *exe, const struct gr_grprof_cfg *cfg,
                  const char *const *extra, const char *out, gr_error *err);

/* Run argv (argv[0] looked up on PATH) in directory cwd (NULL: ours) and
 * wait.  log: NULL keeps our stdout and stderr; else the child's stdout
 * and stderr are appended to that file.  Returns GR_OK, or GR_ERR_IO with
 * a message as gr_grprof_run's (the command named by argv[0]). */
int gr_spawn(const char *const *argv, const char *cwd, const char *log, gr_error *err);

/* Like gr_spawn with log NULL, but the child's stdout is captured into
 * buf[n] (NUL-terminated, trailing newlines removed, truncated to fit);
 * stderr goes to /dev/null when quiet, else stays ours. */
int gr_spawn_capture(const char *const *argv, const char *cwd, int quiet, char *buf,
                     size_t n, gr_error *err);

/* Install the SIGINT / SIGTERM / SIGHUP handlers described above (once
 * per process; later calls do nothing). */
void gr_live_signals(void);

/* While on (1), children are started and waited for despite an
 * interruption: for removing what a command made (worktrees). */
void gr_live_cleanup(int on);

/* The signal that interrupted us, or 0. */
int gr_live_interrupted(void);

/* A temporary file name "DIR/grregress-WHAT.XXXXXX.json" created empty
 * (mkstemps) in $TMPDIR or /tmp, into buf[n].  GR_OK or GR_ERR_IO. */
int gr_live_tmpfile(const char *what, char *buf, size_t n, gr_error *err);

/* ---- shared by compare and ab ------------------------------------------ */

/* The compare pipeline (cmd_compare.c): options, decision, re-measuring
 * and output formats of `compare`, used by compare's and ab's handlers.
 * mode GR_LIVE_COMPARE: args are BASELINE [CURRENT]; GR_LIVE_AB: args are
 * REV [REV2].  Returns the exit code. */
enum gr_live_mode {
    GR_LIVE_COMPARE = 0,
    GR_LIVE_AB
};
int gr_compare_main(const struct gr_cmd *cmd, const struct gr_args *args,
                    enum gr_live_mode mode);

/* The suspect rule of a live compare (cmd_compare.c's banner, step 2): 1
 * when row r is NOISY, or q < alpha and its 95% interval, oriented so
 * that positive is worse and on the log scale, contains log(1 + threshold)
 * or its negative; else 0. */
struct gr_cmp_row;
int gr_live_suspect(const struct gr_cmp_row *r, double alpha);

/* ab's measurement (cmd_ab.c): build (or take, --grprof-a/--grprof-b) the
 * two grprof binaries, run their suites interleaved A B A B with cfg's
 * settings (cfg->rounds each; 0: 5), and return the merged runs *a (REV)
 * and *b (REV2, default the working tree's build).  rev may be NULL when
 * --grprof-a is given.  Options read from args: grprof-a, grprof-b, jobs,
 * keep-worktree.  Returns GR_REXIT_OK or an exit code after printing the
 * one-line error (130 when interrupted).  *a and *b are the caller's. */
int gr_ab_measure(const struct gr_cmd *cmd, const struct gr_args *args, const char *rev,
                  const char *rev2, const struct gr_grprof_cfg *cfg, gr_run **a,
                  gr_run **b);

/* The interleaving itself (cmd_ab.c; calibrate runs one grprof as both
 * sides): calls `EXE_A run` and `EXE_B run` alternately with cfg's
 * settings, `chunk` rounds per call, until each has cfg->rounds (0: 5)
 * rounds, and merges each side's runs (merge.h) into *a and *b.  Progress
 * ("round 2 of 5: B") on stderr.  Returns GR_REXIT_OK or an exit code
 * after printing the one-line error. */
int gr_ab_interleave(const struct gr_cmd *cmd, const char *exe_a, const char *exe_b,
                     const struct gr_grprof_cfg *cfg, int64_t chunk, gr_run **a,
                     gr_run **b);

#endif
