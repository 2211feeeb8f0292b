/*
 * report.c - console and Markdown reports of a run (see report.h).
 *
 * Medians are the figures reported (robust on a noisy shared machine);
 * ratios are of medians.  Benchmark names carry their structure
 * ("algorithms/ALGO/MODE/GRAPH"), so the tables are built from names alone.
 */
#include "config.h"
#include "profiler/report.h"
#include "profiler/cli.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const group_order[] = {"dispatch", "ops", "compile", "fusion",
                                          "loops", "algorithms", "user", NULL};
static const char *const report_modes[] = {"step", "batched", "fused", "native",
                                           "best", NULL};

/* Original system's figures (seconds) the baseline report compares with. */
#define ORIG_CROSSING 0.25e-3
#define ORIG_PAGERANK_1K 5.29e-3
#define ORIG_IR_BUILD 0.04e-3
#define ORIG_LOOP 0.18e-3

int gr_report_use_color(FILE *fp)
{
    const char *nc = getenv("NO_COLOR");
    return isatty(fileno(fp)) && !(nc && nc[0]);
}

/* Median of the benchmark `name`, or NAN when absent. */
static double med(const gr_run *r, const char *name)
{
    const gr_run_bench *b = gr_run_find(r, name);
    return b ? b->stats.median : NAN;
}

static double medf(const gr_run *r, const char *fmt, const char *a, const char *b,
                   const char *c)
{
    char name[512];
    snprintf(name, sizeof name, fmt, a, b, c);
    return med(r, name);
}

static const char *dur(double seconds, char *buf, size_t n)
{
    if (isnan(seconds)) {
        snprintf(buf, n, "-");
        return buf;
    }
    return gr_fmt_duration(seconds * 1e9, buf, n);
}

static const char *ratio(double a, double b, char *buf, size_t n)
{
    if (isnan(a) || isnan(b) || b <= 0) {
        snprintf(buf, n, "-");
    } else {
        snprintf(buf, n, "%.2fx", a / b);
    }
    return buf;
}

/* Distinct graph labels and algorithms of the algorithms group, in run
 * order: fills arrays of pointers into the names (label after the 3rd '/'). */
static size_t algo_graphs(const gr_run *r, const char **labels, size_t max)
{
    size_t i, j, n = 0;
    for (i = 0; i < r->nbench; i++) {
        const char *nm = r->bench[i].name, *p = nm;
        int slashes = 0;
        if (strcmp(r->bench[i].group, "algorithms") != 0) {
            continue;
        }
        while (*p && slashes < 3) {
            slashes += *p++ == '/';
        }
        for (j = 0; j < n && strcmp(labels[j], p) != 0; j++) {
        }
        if (j == n && n < max) {
            labels[n++] = p;
        }
    }
    return n;
}

static size_t algo_names(const gr_run *r, char names[][32], size_t max)
{
    size_t i, j, n = 0;
    for (i = 0; i < r->nbench; i++) {
        const char *nm = r->bench[i].name, *a, *e;
        char buf[32];
        if (strcmp(r->bench[i].group, "algorithms") != 0) {
            continue;
        }
        a = strchr(nm, '/') + 1;
        e = strchr(a, '/');
        snprintf(buf, sizeof buf, "%.*s", (int)(e ? e - a : 0), a);
        for (j = 0; j < n && strcmp(names[j], buf) != 0; j++) {
        }
        if (j == n && n < max) {
            snprintf(names[n++], 32, "%s", buf);
        }
    }
    return n;
}

/* ---- console ---------------------------------------------------------------- */

void gr_report_console(FILE *fp, const gr_run *r, const char *notes, int color)
{
    const char *bold = color ? "\033[1m" : "", *hi = color ? "\033[1;33m" : "",
               *dim = color ? "\033[2m" : "", *off = color ? "\033[0m" : "";
    const char *labels[64];
    char algos[32][32], t1[64], t2[64], t3[64], t4[64];
    size_t g, i, nl, na, a, l;
    for (g = 0; group_order[g]; g++) {
        int any = 0;
        for (i = 0; i < r->nbench; i++) {
            const gr_run_bench *b = &r->bench[i];
            double rel;
            if (strcmp(b->group, group_order[g]) != 0) {
                continue;
            }
            if (!any) {
                fprintf(fp, "\n%s%s%s\n", bold, group_order[g], off);
                fprintf(fp, "  %-52s %10s %10s %7s %9s %4s\n", "benchmark", "median",
                        "min", "±mad", "inner", "n");
                any = 1;
            }
            rel = b->stats.median > 0 ? 100.0 * b->stats.mad / b->stats.median : 0;
            fprintf(fp, "  %-52s %10s %10s %6.1f%% %9" PRId64 " %4zu\n",
                    b->name + strlen(b->group) + 1, dur(b->stats.median, t1, sizeof t1),
                    dur(b->stats.min, t2, sizeof t2), rel, b->inner, b->stats.n);
        }
    }
    fprintf(fp, "\n%skey ratios%s %s(medians)%s\n", bold, off, dim, off);
    {
        double call = med(r, "dispatch/step-call/scalar-add");
        double instr = med(r, "dispatch/batched/scalar-chain");
        if (!isnan(call) && !isnan(instr)) {
            fprintf(fp, "  step per-call %s vs batched per-instruction %s: %s%s%s\n",
                    dur(call, t1, sizeof t1), dur(instr, t2, sizeof t2), hi,
                    ratio(call, instr, t3, sizeof t3), off);
        }
    }
    nl = algo_graphs(r, labels, 64);
    na = algo_names(r, algos, 32);
    if (nl && na) {
        fprintf(fp, "  %-10s %-22s %14s %14s %14s\n", "algorithm", "graph", "fused/native",
                "fused/step", "fused/batched");
        for (a = 0; a < na; a++) {
            for (l = 0; l < nl; l++) {
                double fu = medf(r, "algorithms/%s/%s/%s", algos[a], "fused", labels[l]);
                double na_ = medf(r, "algorithms/%s/%s/%s", algos[a], "native", labels[l]);
                double st = medf(r, "algorithms/%s/%s/%s", algos[a], "step", labels[l]);
                double ba = medf(r, "algorithms/%s/%s/%s", algos[a], "batched", labels[l]);
                if (isnan(fu)) {
                    continue;
                }
                fprintf(fp, "  %-10s %-22s %s%14s%s %14s %14s\n", algos[a], labels[l], hi,
                        ratio(fu, na_, t1, sizeof t1), off, ratio(fu, st, t2, sizeof t2),
                        ratio(fu, ba, t4, sizeof t4));
            }
        }
    }
    if (r->nfail) {
        const char *red = color ? "\033[1;31m" : "";
        fprintf(fp, "\n%sFAILED%s %s(%zu: no samples, left out of the ratios)%s\n", red, off,
                dim, r->nfail, off);
        for (i = 0; i < r->nfail; i++) {
            fprintf(fp, "  %-52s %s\n", r->fail[i].name, r->fail[i].reason);
        }
    }
    if (notes && notes[0]) {
        fprintf(fp, "\n%snotes%s\n  %s\n", bold, off, notes);
    }
}

/* ---- Markdown ---------------------------------------------------------------------- */

/* Text for a Markdown table cell: '|' escaped, line breaks as spaces. */
static void md_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') {
            fputs("\\|", fp);
        } else {
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, fp);
        }
    }
}

static void md_key(FILE *fp, const char *what, double ours, double orig)
{
    char t1[64], t2[64], t3[64];
    if (ours <= 0) {
        /* a difference of two medians (loop overhead) can come out negative:
         * the structured loop was not slower than the unrolled body */
        fprintf(fp, "| %s | none measurable (%s) | %s | - |\n", what,
                ours == 0 ? "0" : "negative", dur(orig, t2, sizeof t2));
        return;
    }
    fprintf(fp, "| %s | %s | %s | %s |\n", what, dur(ours, t1, sizeof t1),
            dur(orig, t2, sizeof t2), ratio(orig, ours, t3, sizeof t3));
}

void gr_report_markdown(FILE *fp, const gr_run *r, const char *notes)
{
    const char *labels[64];
    char algos[32][32], t[6][64];
    size_t i, nl, na, a, l, m;
    double pr_mode = NAN;
    const char *pr_name = "-";
    const char *speed_graph = NULL;

    fprintf(fp, "# grperf baseline report\n\n");
    if (r->commit.available) {
        fprintf(fp, "Commit `%s` (%s%s), %s: %s  \n", r->commit.short_sha, r->commit.branch,
                r->commit.dirty ? ", dirty" : "", r->commit.date, r->commit.subject);
    } else {
        fprintf(fp, "Commit: unavailable (%s)  \n", r->commit.reason);
    }
    fprintf(fp, "Run: %s to %s, suite `%s`, %" PRId64 " rounds x %" PRId64
            " samples, min-time %gs, %" PRId64 " threads  \n",
            r->started, r->finished, r->config.suite, r->config.rounds, r->config.repeat,
            r->config.min_time, r->config.threads);
    fprintf(fp, "Machine: %s, %" PRId64 " cores online%s, %s %s, %s, CFLAGS `%s`%s, "
            "governor %s, fingerprint `%s`\n\n",
            r->machine.cpu_model, r->machine.cores_online, r->machine.smt ? " (SMT)" : "",
            r->machine.kernel, r->machine.arch, r->machine.compiler, r->machine.cflags,
            r->machine.openmp ? ", OpenMP" : "",
            r->machine.governor ? r->machine.governor : "none", r->machine.hash);

    fprintf(fp, "## Key metrics against the original system\n\n");
    fprintf(fp, "Medians; speedup is original / ours.\n\n");
    fprintf(fp, "| metric | grperf | original | speedup |\n| --- | ---: | ---: | ---: |\n");
    md_key(fp, "boundary crossing (one step API call)", med(r, "dispatch/step-call/scalar-add"),
           ORIG_CROSSING);
    for (m = 0; report_modes[m]; m++) {
        /* the engine's fastest program mode that ran: fused, else batched, else step */
        static const char *const pref[] = {"fused", "batched", "step"};
        if (m < 3) {
            double v = medf(r, "algorithms/pagerank/%s/%s", pref[m], "uniform-1k-5k", "");
            if (!isnan(v) && isnan(pr_mode)) {
                pr_mode = v;
                pr_name = pref[m];
            }
        }
    }
    snprintf(t[0], sizeof t[0], "PageRank, 10 iterations, 1k/5k (%s)", pr_name);
    md_key(fp, t[0], pr_mode, ORIG_PAGERANK_1K);
    md_key(fp, "IR construction (parse + verify PageRank)",
           med(r, "compile/pagerank/parse") + med(r, "compile/pagerank/verify"), ORIG_IR_BUILD);
    {
        double lb = (med(r, "loops/repeat-10/batched/uniform-1k-5k") -
                     med(r, "loops/unrolled-10/batched/uniform-1k-5k")) / 10;
        double ls = (med(r, "loops/repeat-10/step/uniform-1k-5k") -
                     med(r, "loops/unrolled-10/step/uniform-1k-5k")) / 10;
        md_key(fp, "loop overhead per iteration (batched)", lb, ORIG_LOOP);
        md_key(fp, "loop overhead per iteration (step)", ls, ORIG_LOOP);
    }
    {
        double call = med(r, "dispatch/step-call/scalar-add");
        double instr = med(r, "dispatch/batched/scalar-chain");
        fprintf(fp, "\nStep API per call %s; batched interpreter per instruction %s "
                "(ratio %s).\n", dur(call, t[0], 64), dur(instr, t[1], 64),
                ratio(call, instr, t[2], 64));
    }

    nl = algo_graphs(r, labels, 64);
    na = algo_names(r, algos, 32);
    for (l = nl; l > 0; l--) {   /* speedups on the largest graph with both modes */
        if (!isnan(medf(r, "algorithms/pagerank/%s/%s", "fused", labels[l - 1], "")) &&
            !isnan(medf(r, "algorithms/pagerank/%s/%s", "batched", labels[l - 1], ""))) {
            speed_graph = labels[l - 1];
            break;
        }
    }
    fprintf(fp, "\n## Fusion\n\nOp counts before and after the -O2 pipeline; instructions "
            "of the lowered plans at -O1 and -O2; measured speedup fused over batched%s%s.\n\n",
            speed_graph ? " on " : "", speed_graph ? speed_graph : "");
    fprintf(fp, "| algorithm | ops before | ops after | instructions before | "
            "instructions after | speedup |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (i = 0; i < r->nbench; i++) {
        const gr_run_bench *b = &r->bench[i];
        char algo[64];
        const char *mj = b->metrics_json ? b->metrics_json : "";
        long v[4] = {-1, -1, -1, -1};
        static const char *const keys[] = {"\"ops_before\"", "\"ops_after\"",
                                           "\"instructions_before\"",
                                           "\"instructions_after\""};
        int k;
        if (strcmp(b->group, "fusion") != 0) {
            continue;
        }
        snprintf(algo, sizeof algo, "%s", b->name + 7);
        algo[strcspn(algo, "/")] = '\0';
        for (k = 0; k < 4; k++) {
            /* the metrics as grprof wrote them, or compacted by a reader
             * (grregress promote): "key": N or "key":N */
            const char *p = strstr(mj, keys[k]);
            if (p) {
                p += strlen(keys[k]);
                p += strspn(p, " \t");
                if (*p == ':') {
                    v[k] = strtol(p + 1, NULL, 10);
                }
            }
        }
        fprintf(fp, "| %s | %ld | %ld | ", algo, v[0], v[1]);
        for (k = 2; k < 4; k++) {
            if (v[k] >= 0) {
                fprintf(fp, "%ld | ", v[k]);
            } else {
                fprintf(fp, "- | ");
            }
        }
        fprintf(fp, "%s |\n",
                speed_graph ? ratio(medf(r, "algorithms/%s/%s/%s", algo, "batched", speed_graph),
                                    medf(r, "algorithms/%s/%s/%s", algo, "fused", speed_graph),
                                    t[0], 64)
                            : "-");
    }

    fprintf(fp, "\n## Compile against execution\n\nMedians; execution is the fused run "
            "(else batched) on uniform-1k-5k.\n\n"
            "| algorithm | parse | verify | optimize | lower | execution | "
            "compile / execution |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (a = 0; a < na; a++) {
        static const char *const ph[] = {"parse", "verify", "optimize", "lower"};
        double v[4], sum = 0, ex;
        int k;
        for (k = 0; k < 4; k++) {
            v[k] = medf(r, "compile/%s/%s", algos[a], ph[k], "");
            sum += isnan(v[k]) ? 0 : v[k];
        }
        ex = medf(r, "algorithms/%s/fused/%s", algos[a], "uniform-1k-5k", "");
        if (isnan(ex)) {
            ex = medf(r, "algorithms/%s/batched/%s", algos[a], "uniform-1k-5k", "");
        }
        if (isnan(v[0]) && isnan(ex)) {
            continue;
        }
        fprintf(fp, "| %s | %s | %s | %s | %s | %s | %s |\n", algos[a], dur(v[0], t[0], 64),
                dur(v[1], t[1], 64), dur(v[2], t[2], 64), dur(v[3], t[3], 64),
                dur(ex, t[4], 64), ratio(sum, ex, t[5], 64));
    }

    fprintf(fp, "\n## Algorithms by mode and size\n\nMedian time per run; ratios "
            "fused/native and fused/step (lower is better for fused).\n\n");
    fprintf(fp, "| algorithm | graph |");
    for (m = 0; report_modes[m]; m++) {
        fprintf(fp, " %s |", report_modes[m]);
    }
    fprintf(fp, " fused/native | fused/step |\n| --- | --- |");
    for (m = 0; report_modes[m]; m++) {
        fprintf(fp, " ---: |");
    }
    fprintf(fp, " ---: | ---: |\n");
    for (a = 0; a < na; a++) {
        for (l = 0; l < nl; l++) {
            double v[5];
            int any = 0;
            for (m = 0; report_modes[m]; m++) {
                v[m] = medf(r, "algorithms/%s/%s/%s", algos[a], report_modes[m], labels[l]);
                any |= !isnan(v[m]);
            }
            if (!any) {
                continue;
            }
            fprintf(fp, "| %s | %s |", algos[a], labels[l]);
            for (m = 0; report_modes[m]; m++) {
                fprintf(fp, " %s |", dur(v[m], t[0], 64));
            }
            fprintf(fp, " %s | %s |\n", ratio(v[2], v[3], t[1], 64), ratio(v[2], v[0], t[2], 64));
        }
    }
    fprintf(fp, "\n## Counters\n\nperf instructions: %s (%s); callgrind: %s (%s).\n",
            r->perf.available ? "available" : "unavailable", r->perf.reason,
            r->callgrind.available ? "used" : "not used", r->callgrind.reason);
    if (r->nfail) {
        fprintf(fp, "\n## Failures\n\n%zu benchmark%s FAILED (no samples):\n\n"
                    "| Benchmark | Group | Version | Round | Reason |\n"
                    "| --- | --- | ---: | ---: | --- |\n",
                r->nfail, r->nfail == 1 ? "" : "s");
        for (i = 0; i < r->nfail; i++) {
            const gr_run_failure *f = &r->fail[i];
            fputs("| `", fp);
            md_text(fp, f->name);
            fprintf(fp, "` | %s | %" PRId64 " | %" PRId64 " | ", f->group, f->version, f->round);
            md_text(fp, f->reason);
            fputs(" |\n", fp);
        }
    }
    if (notes && notes[0]) {
        fprintf(fp, "\n## Notes\n\n%s\n", notes);
    }
}
