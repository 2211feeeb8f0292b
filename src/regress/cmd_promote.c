/*
 * cmd_promote.c - `grregress promote RUN [BASELINE] [--force]`: make a run
 * the new baseline (default baselines/main.json), atomically, and
 * regenerate the baseline's Markdown report beside it (main.md).
 *
 * A baseline is what every later run is judged against, so promote
 * refuses, unless --force, a run that cannot be reproduced or compared:
 * one measured outside a git checkout, on a dirty working tree, or on
 * another machine (its fingerprint hash differs from this machine's, as
 * grprof computes it: profiler/stamp.h).  Nothing is written before every
 * check has passed; the run file is copied byte for byte (the bytes that
 * were validated), and both files go through a temporary name and rename,
 * so a failed or interrupted promote leaves the old baseline as it was.
 */
#include "config.h"
#include "regress/regress.h"
#include "regress/history.h"
#include "common/atomic_file.h"
#include "common/mem.h"
#include "profiler/report.h"
#include "profiler/stamp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_BASELINE "baselines/main.json"
#define MAX_RUN_BYTES ((size_t)256 << 20)   /* as the run-file reader */

static const struct gr_opt promote_opts[] = {
    {"force", 'f', GR_OPT_FLAG, NULL,
     "promote a dirty-tree, no-git or other-machine run anyway", NULL, NULL, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const promote_args[] = {"RUN", "[BASELINE]", NULL};

/* Read RUN's bytes and validate exactly those bytes.  *text (gr_free) and
 * *run are the caller's.  Exit code. */
static int load_run(const struct gr_cmd *cmd, const char *path, char **text, size_t *len,
                    gr_run **run)
{
    gr_error err;
    FILE *fp;
    struct stat sb;
    gr_error_clear(&err);
    *text = NULL;
    /* gr_run_read gives the precise message for every kind of bad file */
    if (gr_run_read(path, run, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    gr_run_free(run);
    fp = fopen(path, "rb");
    if (!fp || fstat(fileno(fp), &sb) != 0 || (size_t)sb.st_size > MAX_RUN_BYTES) {
        if (fp) {
            fclose(fp);
        }
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot read (changed while read)",
                           path);
    }
    *text = gr_cli_alloc((size_t)sb.st_size + 1, 1);
    *len = fread(*text, 1, (size_t)sb.st_size, fp);
    fclose(fp);
    /* the file may have changed since it was validated: validate the copy */
    if (gr_run_parse(*text, *len, path, run, &err) < 0) {
        gr_free(*text);
        *text = NULL;
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    return GR_REXIT_OK;
}

/* A run's commit as shown in messages: short sha (+"-dirty"), "no git". */
static const char *commit_label(const gr_run *r, char *buf, size_t n)
{
    if (!r->commit.available) {
        return "no git";
    }
    snprintf(buf, n, "%s%s", r->commit.short_sha, r->commit.dirty ? "-dirty" : "");
    return buf;
}

/* Why RUN may not become a baseline: every reason, joined by "; and ",
 * into why[n]; 0 when there is none.  `here` is this machine's
 * fingerprint hash. */
static int refusal(const gr_run *r, const char *here, char *why, size_t n)
{
    char part[3][256], reason[96], *c;
    int k = 0, i;
    size_t used = 0;
    if (!r->commit.available) {
        /* the reason comes from the file: keep the message on one line */
        snprintf(reason, sizeof reason, "%s", r->commit.reason ? r->commit.reason : "no git");
        for (c = reason; *c; c++) {
            *c = (unsigned char)*c < 0x20 ? ' ' : *c;
        }
        snprintf(part[k++], sizeof part[0], "it was not measured in a git checkout (%s), "
                 "so no commit identifies the baseline", reason);
    } else if (r->commit.dirty) {
        snprintf(part[k++], sizeof part[0], "it was measured on a dirty working tree "
                 "(uncommitted changes on top of %s), which no commit reproduces",
                 r->commit.short_sha);
    }
    if (strcmp(r->machine.hash, here) != 0) {
        snprintf(part[k++], sizeof part[0], "it was measured on another machine (fingerprint "
                 "%s; this machine's is %s), so runs here would not be comparable with it",
                 r->machine.hash, here);
    }
    why[0] = '\0';
    for (i = 0; i < k && used < n; i++) {
        int w = snprintf(why + used, n - used, "%s%s", i ? "; and " : "", part[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    return k > 0;
}

/* The Markdown sibling: "x.json" -> "x.md", else "x" -> "x.md". */
static char *md_path(const char *baseline)
{
    size_t n = strlen(baseline);
    char *p = gr_cli_alloc(n + 4, 1);
    if (n > 5 && strcmp(baseline + n - 5, ".json") == 0) {
        n -= 5;
    }
    memcpy(p, baseline, n);
    memcpy(p + n, ".md", 4);
    return p;
}

/* Write the baseline and its report: both to temporary files first, then
 * renamed into place, the run file first.  Exit code. */
static int write_baseline(const struct gr_cmd *cmd, const char *baseline, const char *md,
                          const char *text, size_t len, const gr_run *run)
{
    gr_afile aj, am;
    gr_error err;
    int bad;
    gr_error_clear(&err);
    if (gr_afile_open(&aj, baseline, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    if (gr_afile_open(&am, md, &err) < 0) {
        gr_afile_abort(&aj);
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    bad = len && fwrite(text, 1, len, aj.fp) != len;
    gr_report_markdown(am.fp, run, NULL);
    bad |= ferror(am.fp) != 0;
    if (bad) {
        gr_afile_abort(&aj);
        gr_afile_abort(&am);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot write: %s", baseline,
                           strerror(errno ? errno : EIO));
    }
    if (gr_afile_commit(&aj, &err) < 0) {
        gr_afile_abort(&am);
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    if (gr_afile_commit(&am, &err) < 0) {
        return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
    }
    return GR_REXIT_OK;
}

static int promote_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    const char *src = args->args[0];
    const char *baseline = args->nargs > 1 ? args->args[1] : DEFAULT_BASELINE;
    int force = gr_args_count(args, "force") > 0, rc;
    gr_run *run = NULL, *old = NULL, *here = NULL;
    char *text = NULL, *md = NULL, *dir, *slash, why[512], a[64], b[64];
    const char *was = "nothing";
    size_t len = 0;
    gr_error err;
    struct stat sb;

    gr_error_clear(&err);
    rc = load_run(cmd, src, &text, &len, &run);
    if (rc != GR_REXIT_OK) {
        return rc;
    }
    if (stat(baseline, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot write the baseline: Is a "
                         "directory", baseline);
        goto done;
    }
    /* this machine's fingerprint, computed as grprof does */
    here = gr_cli_alloc(1, sizeof *here);
    if (gr_stamp_machine(&here->machine, &err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }
    if (refusal(run, here->machine.hash, why, sizeof why)) {
        if (!force) {
            rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "refusing to promote %s: %s "
                             "(--force overrides)", src, why);
            goto done;
        }
        gr_cli_fail(cmd, 0, "warning: promoting %s although %s (--force)", src, why);
    }
    /* what is replaced: the old baseline's commit, if it can be read */
    if (stat(baseline, &sb) == 0) {
        gr_error e2;
        gr_error_clear(&e2);
        was = gr_run_read(baseline, &old, &e2) == GR_OK ? commit_label(old, a, sizeof a)
                                                        : "an invalid run file";
    }
    /* the baseline's directory may be new (a fresh project) */
    dir = gr_cli_alloc(strlen(baseline) + 1, 1);
    memcpy(dir, baseline, strlen(baseline) + 1);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (gr_history_mkdirs(dir, &err) < 0) {
            gr_free(dir);
            rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
            goto done;
        }
    }
    gr_free(dir);
    md = md_path(baseline);
    rc = write_baseline(cmd, baseline, md, text, len, run);
    if (rc == GR_REXIT_OK) {
        printf("promoted %s to %s: %s -> %s\n", src, baseline, was,
               commit_label(run, b, sizeof b));
        printf("wrote %s\n", md);
    }
done:
    gr_free(md);
    gr_free(text);
    gr_run_free(&run);
    gr_run_free(&old);
    gr_run_free(&here);
    return rc;
}

const struct gr_cmd gr_cmd_promote = {
    "promote",
    "Make a run the new baseline, atomically",
    "RUN [BASELINE] [options]",
    "RUN (a run file written by 'grprof run') becomes BASELINE (default\n"
    DEFAULT_BASELINE "), the reference 'grregress compare' judges later runs\n"
    "against.  RUN is validated first (a bad file is exit 2 naming the file and\n"
    "the field); then, unless --force, promote refuses (exit 2, saying why) a run\n"
    "  - measured outside a git checkout: no commit identifies the baseline;\n"
    "  - measured on a dirty working tree: no commit reproduces it;\n"
    "  - measured on another machine: its fingerprint hash differs from this\n"
    "    machine's (computed as grprof does), so runs here are not comparable.\n"
    "BASELINE is a byte copy of RUN, and the Markdown report of the run is\n"
    "written beside it (main.json -> main.md).  Both are written to temporary\n"
    "files and renamed into place, so a refused, failed or interrupted promote\n"
    "leaves the old baseline untouched.  Prints what was replaced:\n"
    "  promoted RUN to BASELINE: OLD-COMMIT -> NEW-COMMIT\n"
    "\n"
    "Exit codes: 0 promoted, 2 usage error, bad run file, refused, or a baseline\n"
    "that cannot be written.\n",
    NULL,
    promote_args,
    promote_opts,
    promote_handler
};
