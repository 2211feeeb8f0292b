/*
 * cmd_calibrate.c - `grregress calibrate`: how noisy is this machine, and
 * which thresholds can compare's rule resolve here?
 *
 * The suite is run twice on the current build (grprof_run.h finds
 * grprof), interleaved by rounds, A1 B1 A2 B2 ... (gr_ab_interleave: each
 * round its own `grprof run`, so each replicate includes the
 * process-level noise -- code layout, calibration -- that separates a
 * baseline from a later run; --chunk K trades that for time, each call
 * costing grprof's set-up).  A and B are the same code, so every
 * benchmark compare flags between them (regression or improvement under
 * the given --threshold and --alpha) is a false positive.
 *
 * Per benchmark it reports the median (seconds per operation, both runs'
 * samples), the noise -- the coefficient of variation of the round means
 * (pooled over A and B) and MAD / median of all samples --, the A/A change
 * with its 95% interval and verdict, and a suggested threshold: the
 * smallest whole percentage T, at least --threshold, with the A/A interval
 * half-width h (log scale) below log(1 + T)/2 and the A/A change |e| below
 * log(1 + T), i.e. a threshold at which this run's own noise could
 * neither flag nor hide a change of T (decide.h: the interval's near end
 * must pass T/2), capped at 1000% (compare's largest).  The summary
 * counts the false positives out of the benchmarks compared.  With -o FILE the suggestions above --threshold are
 * written as a threshold config, {"thresholds": {"^NAME$": "7%"}}, which
 * `compare --config FILE` reads.
 *
 * Exit codes: 0 done (false positives are reported, not failed on), 2
 * usage or input error (grprof failing included), 130 interrupted.
 */
#include "config.h"
#include "regress/regress.h"
#include "regress/decide.h"
#include "regress/grprof_run.h"
#include "common/atomic_file.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EXIT_INTERRUPTED 130
#define MAX_PCT 1000.0           /* the largest threshold compare accepts */

static const char *const suite_choices[] = {"quick", "default", "full", NULL};

static const struct gr_opt calibrate_opts[] = {
    {"alpha", 'a', GR_OPT_FLOAT, "Q",
     "false-discovery rate of the settings examined (as compare's)", "0.01", NULL,
     1e-9, 0.5, GR_OPT_MIN | GR_OPT_MAX},
    {"chunk", 'C', GR_OPT_INT, "K",
     "rounds per grprof call (1: A1 B1 A2 B2 ...; more: less set-up time)", "1", NULL,
     1, 10000, GR_OPT_MIN | GR_OPT_MAX},
    {"filter", 'f', GR_OPT_STRING, "REGEX",
     "only benchmarks whose name matches (POSIX extended)", NULL, NULL, 0, 0, 0},
    {"output", 'o', GR_OPT_STRING, "CONFIG.json",
     "write the suggested thresholds as a compare --config file", NULL, NULL, 0, 0, 0},
    {"rounds", 'r', GR_OPT_INT, "R", "rounds per side", "5", NULL, 3, 10000,
     GR_OPT_MIN | GR_OPT_MAX},
    {"suite", 's', GR_OPT_ENUM, NULL, "which benchmarks", "default", suite_choices, 0, 0,
     0},
    {"threads", 'T', GR_OPT_INT, "N", "threads the library may use (default: OpenMP's)",
     NULL, NULL, 1, 4096, GR_OPT_MIN | GR_OPT_MAX},
    {"threshold", 't', GR_OPT_STRING, "PCT",
     "the threshold examined, and the least suggested (\"5%\" or \"5\")", "5%", NULL, 0,
     0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};


/* Mean and sum of squared deviations of b's round means; *n rounds. */
static void round_means(const gr_run_bench *b, double *mean, double *ss, size_t *n)
{
    double *sum = NULL, *cnt = NULL, m = 0, s = 0;
    int64_t hi = 0, r;
    size_t k;
    const int busy = gr_bench_busy(b);
    *mean = *ss = 0;
    *n = 0;
    for (k = 0; k < b->nsamples; k++) {
        hi = b->rounds[k] > hi ? b->rounds[k] : hi;
    }
    sum = gr_cli_alloc((size_t)hi + 1, sizeof *sum);
    cnt = gr_cli_alloc((size_t)hi + 1, sizeof *cnt);
    for (k = 0; k < b->nsamples; k++) {
        if (gr_sample_counts(b, k, busy)) { /* as compare: neighbours' samples out */
            sum[b->rounds[k]] += b->samples[k];
            cnt[b->rounds[k]] += 1;
        }
    }
    for (r = 0; r <= hi; r++) {
        if (cnt[r] > 0) {
            m += sum[r] / cnt[r];
            (*n)++;
        }
    }
    m = *n ? m / (double)*n : 0;
    for (r = 0; r <= hi; r++) {
        if (cnt[r] > 0) {
            double d = sum[r] / cnt[r] - m;
            s += d * d;
        }
    }
    *mean = m;
    *ss = s;
    gr_free(sum);
    gr_free(cnt);
}

/* Median and MAD of both benchmarks' samples together. */
static void median_mad(const gr_run_bench *x, const gr_run_bench *y, double *med,
                       double *mad)
{
    size_t n = x->nsamples + y->nsamples;
    double *v = gr_cli_alloc(n, sizeof *v);
    gr_stats st;
    memcpy(v, x->samples, x->nsamples * sizeof *v);
    memcpy(v + x->nsamples, y->samples, y->nsamples * sizeof *v);
    if (gr_stats_compute(v, n, &st) < 0) {
        st.median = st.mad = NAN;
    }
    *med = st.median;
    *mad = st.mad;
    gr_free(v);
}

/* The suggested threshold of a compared row (banner), a fraction. */
static double suggest(const struct gr_cmp_row *r, double least)
{
    double h, need, pct;
    if (!(r->change_lo > -1) || !(r->change_hi > -1) || !(r->change > -1)) {
        return NAN;
    }
    h = 0.5 * (log1p(r->change_hi) - log1p(r->change_lo));
    need = expm1(2.0 * h);
    if (fabs(log1p(r->change)) >= log1p(need)) {
        need = expm1(fabs(log1p(r->change)));
    }
    pct = ceil(100.0 * need);
    if (pct <= 100.0 * need) { /* strictly above */
        pct += 1.0;
    }
    if (pct > MAX_PCT) {
        pct = MAX_PCT; /* compare's largest threshold: noise beyond it is hopeless */
    }
    return pct / 100.0 > least ? pct / 100.0 : least;
}

/* Append `name` as an anchored POSIX ERE ("^name$", specials escaped). */
static void anchored(const char *name, char *buf, size_t n)
{
    size_t k = 0;
    if (n < 4) {
        return;
    }
    buf[k++] = '^';
    for (; *name && k + 4 < n; name++) {
        if (strchr(".[]()*+?{}|^$\\", *name)) {
            buf[k++] = '\\';
        }
        buf[k++] = *name;
    }
    buf[k++] = '$';
    buf[k] = '\0';
}

/* Write the suggestions above `least` as a threshold config to path. */
static int write_config(const struct gr_cmd *cmd, const char *path,
                        const struct gr_report *rep, const double *sug, double least,
                        size_t *nwritten)
{
    cJSON *root = cJSON_CreateObject(), *th = cJSON_CreateObject();
    char key[600], val[32], *text;
    gr_error err;
    size_t i;
    int rc = GR_REXIT_OK;
    gr_error_clear(&err);
    *nwritten = 0;
    if (!root || !th || !cJSON_AddItemToObject(root, "thresholds", th)) {
        fputs(GR_REGRESS_PROG ": out of memory\n", stderr);
        exit(1);
    }
    for (i = 0; i < rep->n; i++) {
        if (isfinite(sug[i]) && sug[i] > least + 1e-12) {
            anchored(rep->res[i].name, key, sizeof key);
            snprintf(val, sizeof val, "%.0f%%", 100.0 * sug[i]);
            if (!cJSON_AddStringToObject(th, key, val)) {
                fputs(GR_REGRESS_PROG ": out of memory\n", stderr);
                exit(1);
            }
            (*nwritten)++;
        }
    }
    text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        fputs(GR_REGRESS_PROG ": out of memory\n", stderr);
        exit(1);
    }
    {
        size_t len = strlen(text);
        char *withnl = gr_cli_alloc(len + 2, 1);
        memcpy(withnl, text, len);
        withnl[len] = '\n';
        cJSON_free(text);
        if (gr_write_file_atomic(path, withnl, len + 1, &err) < 0) {
            rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        }
        gr_free(withnl);
    }
    return rc;
}

static int calibrate_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    struct gr_decide_opts o;
    struct gr_grprof_cfg cfg;
    struct gr_report rep;
    const struct gr_optval *v;
    const char *out = gr_args_get(args, "output") ? gr_args_get(args, "output")->text
                                                  : NULL;
    gr_run *a = NULL, *b = NULL;
    double *sug = NULL;
    char exe[4096], c1[32], c2[32], c3[32];
    regex_t filter;
    gr_error err;
    size_t i, flagged = 0, fp_noisy = 0, nwritten = 0, above = 0;
    int rc, w = 9;

    memset(&rep, 0, sizeof rep);
    memset(&cfg, 0, sizeof cfg);
    gr_error_clear(&err);
    gr_decide_opts_init(&o);
    o.shift = GR_SHIFT_OFF; /* A and B interleaved on one machine: no shift to remove */
    v = gr_args_get(args, "threshold");
    if (gr_cli_parse_pct(v->text, &o.threshold) < 0) {
        return gr_cli_usage(cmd, "bad value '%s' for --threshold: expected a percentage "
                                 "such as 5%% (greater than 0)", v->text);
    }
    o.alpha = gr_args_get(args, "alpha")->f;
    v = gr_args_get(args, "filter");
    if (v) {
        int e = regcomp(&filter, v->text, REG_EXTENDED | REG_NOSUB);
        if (e != 0) {
            char why[128];
            regerror(e, &filter, why, sizeof why);
            return gr_cli_usage(cmd, "bad value '%s' for --filter: %s", v->text, why);
        }
        regfree(&filter);
        cfg.filter = v->text;
    }
    if (out) {
        struct stat sb;
        gr_afile af;
        if (!out[0]) {
            return gr_cli_usage(cmd, "bad value '' for --output: empty file name");
        }
        if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot write: Is a directory", out);
        }
        if (gr_afile_open(&af, out, &err) < 0) {
            return gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        }
        gr_afile_abort(&af);
    }
    cfg.suite = gr_args_get(args, "suite")->text;
    cfg.rounds = gr_args_get(args, "rounds")->i;
    cfg.warmup = -1;
    cfg.min_time = -1;
    cfg.threads = gr_args_get(args, "threads") ? gr_args_get(args, "threads")->i : 0;

    /* measure: the same build twice, interleaved */
    gr_live_signals();
    {
        const char *g = gr_grprof_find(exe, sizeof exe);
        rc = gr_ab_interleave(cmd, g, g, &cfg, gr_args_get(args, "chunk")->i, &a, &b);
    }
    if (rc != GR_REXIT_OK) {
        goto done;
    }
    if (gr_decide(a, b, "A", "B", &o, &rep, &err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_USAGE, &err);
        goto done;
    }

    /* the report */
    sug = gr_cli_alloc(rep.n + 1, sizeof *sug);
    for (i = 0; i < rep.n; i++) {
        int len = (int)strlen(rep.res[i].name);
        w = len > w ? (len < 70 ? len : 70) : w;
    }
    printf("calibrate: suite %s, %lld rounds per side interleaved, threshold %.3g%%, "
           "alpha %.3g\n\n", cfg.suite, (long long)a->config.rounds, 100.0 * o.threshold,
           o.alpha);
    printf("%-*s  %10s  %6s  %6s  %8s  %-18s  %-10s  %s\n", w, "benchmark", "median",
           "CV", "MAD", "A/A", "95% CI", "verdict", "suggested");
    for (i = 0; i < rep.n; i++) {
        const struct gr_cmp_row *r = &rep.res[i];
        const gr_run_bench *x = gr_run_find(a, r->name), *y = gr_run_find(b, r->name);
        double med = NAN, mad = NAN, ma, sa, mb, sb, cv = NAN;
        size_t na, nb;
        char med_s[32], ci[64];
        sug[i] = NAN;
        if (x && y) {
            median_mad(x, y, &med, &mad);
            round_means(x, &ma, &sa, &na);
            round_means(y, &mb, &sb, &nb);
            if (na + nb > 2 && ma + mb > 0) {
                cv = sqrt((sa + sb) / (double)(na + nb - 2)) / (0.5 * (ma + mb));
            }
        }
        if (r->verdict == GR_V_REGRESSION || r->verdict == GR_V_IMPROVEMENT) {
            flagged++;
        }
        fp_noisy += r->verdict == GR_V_NOISY;
        if (r->verdict <= GR_V_NOISY) {
            sug[i] = suggest(r, o.threshold);
        }
        snprintf(c1, sizeof c1, isfinite(cv) ? "%.1f%%" : "-", 100.0 * cv);
        snprintf(c2, sizeof c2, isfinite(mad / med) ? "%.1f%%" : "-", 100.0 * mad / med);
        snprintf(c3, sizeof c3, isfinite(r->change) ? "%+.1f%%" : "-", 100.0 * r->change);
        snprintf(ci, sizeof ci, isfinite(r->change_lo) && isfinite(r->change_hi)
                                    ? "[%+.1f%%, %+.1f%%]" : "-",
                 100.0 * r->change_lo, 100.0 * r->change_hi);
        printf("%-*s  %10s  %6s  %6s  %8s  %-18s  %-10s  ", w, r->name,
               gr_fmt_duration(med * 1e9, med_s, sizeof med_s), c1, c2, c3, ci,
               gr_verdict_name(r->verdict));
        if (isfinite(sug[i])) {
            printf("%.0f%%\n", 100.0 * sug[i]);
        } else {
            printf("-\n");
        }
    }
    if (out) {
        rc = write_config(cmd, out, &rep, sug, o.threshold, &nwritten);
        if (rc != GR_REXIT_OK) {
            goto done;
        }
    }
    for (i = 0; i < rep.n; i++) {
        above += isfinite(sug[i]) && sug[i] > o.threshold + 1e-12;
    }
    printf("\nsummary: %zu of %zu benchmarks flagged between identical builds (false "
           "positives: %.1f%%), %zu noisy; %zu need a threshold above %.3g%%%s%s\n",
           flagged, rep.compared, rep.compared ? 100.0 * (double)flagged
                                                     / (double)rep.compared : 0.0,
           fp_noisy, above, 100.0 * o.threshold,
           out ? "; written to " : "", out ? out : "");
    rc = GR_REXIT_OK;

done:
    gr_free(sug);
    gr_report_free(&rep);
    gr_run_free(&a);
    gr_run_free(&b);
    if (gr_live_interrupted() && rc != EXIT_INTERRUPTED) {
        rc = gr_cli_fail(cmd, EXIT_INTERRUPTED, "interrupted");
    }
    return rc;
}

const struct gr_cmd gr_cmd_calibrate = {
    "calibrate",
    "Measure this machine's noise and suggest thresholds (an A/A run)",
    "[--suite S] [--filter REGEX] [--rounds N] [-o CONFIG.json] [options]",
    "Runs the suite twice on the current build, interleaved by rounds\n"
    "(A1 B1 A2 B2 ..., one grprof call per round unless --chunk), and compares\n"
    "the two with compare's rule: as both are the same code, every flagged\n"
    "benchmark is a false positive of the settings --threshold and --alpha.\n"
    "Per benchmark: median, noise (CV of the round means, MAD / median), the\n"
    "A/A change, its 95% interval and verdict, and a suggested threshold: the\n"
    "smallest whole percentage, at least --threshold, above twice the interval's\n"
    "half-width and above the A/A change.  -o writes the suggestions above\n"
    "--threshold as {\"thresholds\": {\"^NAME$\": \"7%\"}} for compare --config.\n"
    "\n"
    "Exit codes: 0 done, 2 usage or input error, 130 interrupted.\n",
    NULL,
    NULL,
    calibrate_opts,
    calibrate_handler
};
