/*
 * decide.c - the decision rule of `grregress compare` (the rule itself is
 * stated in decide.h; this banner says why it is this rule).
 *
 * Why rounds.  grprof runs the whole suite R times over and records each
 * sample's round.  On a shared machine the speed drifts over minutes
 * (frequency, neighbours, page cache), so the samples of one round are
 * correlated: treating every sample as independent makes the test believe
 * it has R*repeat observations when it has about R, and plain
 * Mann-Whitney on samples flags ~30% of identical comparisons.  Each
 * round is therefore collapsed to one robust number (see "trimmed logs"
 * below), and the rounds are the replicates.  Logs make the effect a ratio and the noise roughly
 * symmetric.
 *
 * Why a moderated t test.  With R = 5 rounds per run an exact permutation
 * test of the round means can never give p below 2/C(10,5) = 0.0079, and
 * Benjamini-Hochberg over a 20-benchmark suite at alpha = 0.01 needs
 * 0.01/20 = 0.0005 for a lone regression: the permutation test could
 * never flag one (rstats.c still provides it).  A plain t test on 5 + 5
 * rounds has only 8 degrees of freedom, so its variance estimate is so
 * uncertain that a 10% slowdown in 3% noise is missed about half the time.
 * The benchmarks of one suite on one machine share much of their noise
 * level, and limma's empirical-Bayes moderation (Smyth 2004) borrows it:
 * each benchmark's pooled variance is shrunk toward a prior fitted to the
 * whole suite, with prior degrees of freedom d0 estimated from how much
 * the variances disagree (d0 is small when they disagree, so a
 * heterogeneous suite falls back towards the plain t test).  One caveat
 * bounds it: drift between rounds hits every benchmark of a round, so the
 * benchmarks' variance estimates are correlated and the suite holds far
 * fewer independent ones than benchmarks; d0 is therefore capped at twice
 * the benchmark's own degrees of freedom (uncapped, identical runs with
 * +-6% shared drift were flagged more often in simulation).
 *
 * Why each round's minimum.  On a shared machine a neighbour adds time
 * to a sample and never removes any: timing noise is positive and
 * additive (Chen and Revels, "Robust benchmarking in noisy environments",
 * 2016), and it comes in modes (alone on a core, or sharing it).  A mean
 * or median of a round mixes the modes in proportions that differ from
 * run to run; the first stored A/A set, recorded beside a compiler job
 * (tests/data/aa/README), had a fifth of its benchmarks "changed" by 10-17%
 * between identical runs with medians, and about 1% with minima.  The
 * minimum of a round is the sample least disturbed, and the spread of the
 * rounds' minima is still measured, so a benchmark whose undisturbed
 * speed moves between rounds stays as uncertain as it is.  Logs make the
 * effect a ratio and the noise roughly symmetric.
 *
 * Why contended samples are left out.  The minimum cannot help when a
 * neighbour takes a core for a whole round: two OpenMP threads on two
 * shared cores then wait at every barrier for a preempted thread, and the
 * round runs 10-100x slower (identical runs of the quick suite beside
 * other builds and benchmarks: 14% of the comparisons flagged).  grprof
 * measures how long each sample's threads waited for a CPU (schedstat's
 * run_delay, the run file's "contention") and retakes contended samples;
 * samples still contended are evidence about the neighbour, not the code,
 * and rounds without a clean one do not count.  When more than half of a
 * benchmark's samples stayed contended, the neighbour was there most of
 * the time and its clean samples are suspect as well: on the stored A/A
 * set, memory-bound benchmarks ran 25% slower in such runs without being
 * preempted (a neighbour on the other core shares the caches and memory),
 * which alone flagged 1.05% of identical comparisons; with the rule, 0.64%
 * (tests/data/aa/README).
 *
 * Why both significance and size.  Significance alone flags tiny real
 * changes (a 0.5% code-layout shift is real and irrelevant); size alone
 * flags noise.  Requiring the point estimate beyond the threshold AND the
 * interval's near end beyond half of it keeps borderline estimates from
 * flipping the gate; a 95% interval wider than four thresholds means the
 * run cannot resolve the threshold at all, which is reported as NOISY
 * rather than UNCHANGED, so nobody takes "no regression" from a run
 * that could not have seen one.
 */
#include "config.h"
#include "regress/decide.h"
#include "regress/rstats.h"
#include "common/error.h"
#include "common/mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CI_LEVEL 0.95        /* interval reported and used by the rule */
#define MIN_ROUNDS 3         /* fewer rounds than this: NOISY */
#define NOISY_WIDTH 4.0      /* interval wider than this many thresholds: NOISY */
#define PRIOR_DF_CAP 2.0     /* prior df at most this many times the row's own */
#define SHIFT_MIN_ROWS 10    /* fewer testable rows: no suite-wide shift estimated */
#define BUSY_LOAD_PER_CORE 0.5 /* 1-min load per online core above which a machine is busy */

const char *gr_verdict_name(enum gr_verdict v)
{
    static const char *const names[GR_V_COUNT] = {
        "unchanged", "regression", "improvement", "noisy", "checksum-mismatch",
        "added", "removed", "version-changed", "no-data", "failed"};
    return (unsigned)v < GR_V_COUNT ? names[v] : "?";
}

void gr_decide_opts_init(struct gr_decide_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = 0.05;
    o->alpha = 0.01;
    o->metric = GR_METRIC_TIME;
}

void gr_report_free(struct gr_report *r)
{
    if (r) {
        gr_free(r->res);
        memset(r, 0, sizeof *r);
    }
}

int gr_report_failed(const struct gr_report *r)
{
    return r->count[GR_V_REGRESSION] > 0 || r->count[GR_V_CHECKSUM] > 0 ||
           r->count[GR_V_FAILED] > 0;
}

/* A sample with its round, for grouping. */
struct rs {
    int64_t round;
    double x;
};

static int cmp_rs(const void *a, const void *b)
{
    const struct rs *p = a, *q = b;
    if (p->round != q->round) {
        return (p->round > q->round) - (p->round < q->round);
    }
    return (p->x > q->x) - (p->x < q->x);
}

/* The log of each round's minimum clean sample of b (gr_sample_clean;
 * none when the benchmark was busy throughout, gr_bench_busy), in round
 * order, into *out (allocated, b->nsamples entries at most), the
 * rounds' numbers into *ids; *nr rounds.  *zero is set when a round's
 * minimum is 0 or less (no log); *dirty counts the rounds left out because
 * none of their samples was clean.  GR_OK or GR_ERR_NOMEM. */
static int round_log_mins(const gr_run_bench *b, double **out, int64_t **ids,
                          size_t *nr, int *zero, size_t *dirty)
{
    struct rs *v = gr_malloc(b->nsamples * sizeof *v);
    size_t i = 0, k, n = 0;
    int busy = gr_bench_busy(b);
    *out = gr_malloc(b->nsamples * sizeof **out);
    *ids = gr_malloc(b->nsamples * sizeof **ids);
    *nr = 0;
    if (!v || !*out || !*ids) {
        gr_free(v);
        return GR_ERR_NOMEM;
    }
    for (k = 0; k < b->nsamples; k++) {
        if (gr_sample_counts(b, k, busy)) {
            v[n].round = b->rounds[k];
            v[n++].x = b->samples[k];
        }
    }
    for (k = 0; k < b->nsamples; k++) {
        /* a round none of whose samples counts (counted once) */
        size_t j;
        int seen = 0, clean = 0;
        for (j = 0; j < b->nsamples; j++) {
            if (b->rounds[j] == b->rounds[k]) {
                seen |= j < k;
                clean |= gr_sample_counts(b, j, busy);
            }
        }
        *dirty += !seen && !clean;
    }
    qsort(v, n, sizeof *v, cmp_rs); /* by round, then value */
    while (i < n) {
        size_t e = i;
        while (e < n && v[e].round == v[i].round) {
            e++;
        }
        if (v[i].x > 0) {
            (*ids)[*nr] = v[i].round;
            (*out)[(*nr)++] = log(v[i].x);
        } else {
            *zero = 1;
        }
        i = e;
    }
    gr_free(v);
    return GR_OK;
}

static const gr_run_bench *find_bench(const gr_run *r, const char *name)
{
    size_t i;
    for (i = 0; i < r->nbench; i++) {
        if (strcmp(r->bench[i].name, name) == 0) {
            return &r->bench[i];
        }
    }
    return NULL;
}

static int selected(const struct gr_decide_opts *o, const char *name)
{
    return !o->filter || regexec(o->filter, name, 0, NULL, 0) == 0;
}

static double threshold_for(const struct gr_decide_opts *o, const char *name)
{
    size_t k;
    for (k = 0; k < o->nrules; k++) {
        if (regexec(&o->rules[k].re, name, 0, NULL, 0) == 0) {
            return o->rules[k].threshold;
        }
    }
    return o->threshold;
}

/* The median shown: the instruction count, or the median of the clean
 * samples (all of them when none is clean), sorted in x (room for the
 * benchmark's samples: nothing is allocated here, so nothing fails). */
static double bench_median(const gr_run_bench *b, enum gr_metric m, double *x)
{
    size_t k, n = 0;
    if (m == GR_METRIC_INSTRUCTIONS) {
        return b->instructions;
    }
    for (k = 0; k < b->nsamples; k++) {
        if (gr_sample_clean(b, k)) {
            x[n++] = b->samples[k];
        }
    }
    if (n == 0) {
        memcpy(x, b->samples, b->nsamples * sizeof *x);
        n = b->nsamples;
    }
    return gr_median_inplace(x, n);
}

/* The most samples a benchmark of run r has (at least 1). */
static size_t most_samples(const gr_run *r)
{
    size_t i, most = 1;
    for (i = 0; i < r->nbench; i++) {
        most = r->bench[i].nsamples > most ? r->bench[i].nsamples : most;
    }
    return most;
}

/* Per-row scratch of the time metric. */
struct tw {
    double *la, *lb;         /* log round minima, baseline and current */
    int64_t *ia, *ib;        /* their round numbers */
    size_t na, nb;
    int zero;                /* a round's minimum was 0 */
    size_t da, db;           /* rounds left out (every sample contended), per run */
    int test;                /* enters the moderated test and BH */
    struct gr_ttest t;
};

/* Whether the rounds left out for contention are why w cannot be
 * tested: with them both runs would have had enough. */
static int contention_starved(const struct tw *w)
{
    return (w->na < MIN_ROUNDS || w->nb < MIN_ROUNDS) && w->na + w->da >= MIN_ROUNDS
           && w->nb + w->db >= MIN_ROUNDS;
}

/* The verdict of a tested (or estimated) time row. */
static void time_verdict(struct gr_cmp_row *r, const struct tw *w, double alpha)
{
    double T = log1p(r->threshold), e, elo, ehi;
    if (!isfinite(w->t.diff)) {
        r->verdict = GR_V_NOISY;
        r->reason = contention_starved(w) ? GR_REASON_CONTENDED : "no estimate";
        return;
    }
    e = r->lower_is_better ? w->t.diff : -w->t.diff;
    elo = r->lower_is_better ? w->t.lo : -w->t.hi;
    ehi = r->lower_is_better ? w->t.hi : -w->t.lo;
    if (w->test && r->q < alpha && e > T && elo > T / 2) {
        r->verdict = GR_V_REGRESSION;
    } else if (w->test && r->q < alpha && e < -T && ehi < -T / 2) {
        r->verdict = GR_V_IMPROVEMENT;
    } else if (w->zero) {
        r->verdict = GR_V_NOISY;
        r->reason = "a round's minimum is 0";
    } else if (!w->test) {
        r->verdict = GR_V_NOISY;
        r->reason = contention_starved(w) ? GR_REASON_CONTENDED : "fewer than 3 rounds";
    } else if (!(w->t.hi - w->t.lo <= NOISY_WIDTH * T)) {
        r->verdict = GR_V_NOISY;
        r->reason = "interval wider than 4x the threshold";
    } else {
        r->verdict = GR_V_UNCHANGED;
    }
}

static int machine_busy(const gr_run *r)
{
    return r->machine.cores_online > 0
           && r->machine.load_start[0] > BUSY_LOAD_PER_CORE * (double)r->machine.cores_online;
}

/* Rule 3a: estimate the suite-wide shift g over the testable rows of out
 * (scratch w) and, when it is to be removed, move each testable row's
 * current replicates by -g (oriented by its direction).  GR_OK or
 * GR_ERR_NOMEM. */
static int suite_shift(const gr_run *base, const gr_run *cur, enum gr_shift_mode mode,
                       struct tw *w, struct gr_report *out)
{
    size_t i, k, m = 0;
    double *d = gr_malloc((out->n ? out->n : 1) * sizeof *d), g;
    if (!d) {
        return GR_ERR_NOMEM;
    }
    for (i = 0; i < out->n; i++) {
        if (w[i].test) {
            double ma, va, mb, vb;
            gr_mean_var(w[i].la, w[i].na, &ma, &va);
            gr_mean_var(w[i].lb, w[i].nb, &mb, &vb);
            d[m++] = out->res[i].lower_is_better ? mb - ma : ma - mb;
        }
    }
    if (m < SHIFT_MIN_ROWS) {
        gr_free(d);
        return GR_OK;
    }
    g = gr_median_inplace(d, m);
    gr_free(d);
    if (isnan(g)) {
        return GR_OK; /* NaN data (log of a zero sample): no shift to measure */
    }
    out->shift = expm1(g);
    if (mode == GR_SHIFT_OFF) {
        out->shift_why = "not removed (--shift off)";
        return GR_OK;
    }
    if (mode == GR_SHIFT_AUTO && !machine_busy(base) && !machine_busy(cur)) {
        out->shift_why = "not removed: both machines were quiet";
        return GR_OK;
    }
    out->shift_removed = 1;
    out->shift_why = mode == GR_SHIFT_ON ? "removed (--shift on)"
                                         : "removed: a machine was busy";
    for (i = 0; i < out->n; i++) {
        if (w[i].test) {
            double step = out->res[i].lower_is_better ? g : -g;
            for (k = 0; k < w[i].nb; k++) {
                w[i].lb[k] -= step;
            }
        }
    }
    return GR_OK;
}

int gr_decide(const gr_run *base, const gr_run *cur, const char *base_label,
              const char *cur_label, const struct gr_decide_opts *o,
              struct gr_report *out, gr_error *err)
{
    struct tw *w = NULL;
    double *s2 = NULL, *df = NULL, *p = NULL, *q = NULL, *ratio = NULL, *mx = NULL;
    size_t cap = cur->nbench + cur->nfail + base->nbench, n = 0, i, ntest = 0, nratio = 0;
    const size_t most_b = most_samples(base), most_c = most_samples(cur);
    int rc = GR_OK;

    memset(out, 0, sizeof *out);
    out->res = gr_calloc(cap, sizeof *out->res);
    w = gr_calloc(cap, sizeof *w);
    s2 = gr_calloc(cap, sizeof *s2);
    df = gr_calloc(cap, sizeof *df);
    p = gr_calloc(cap, sizeof *p);
    q = gr_calloc(cap, sizeof *q);
    ratio = gr_calloc(cap, sizeof *ratio);
    mx = gr_malloc((most_b > most_c ? most_b : most_c) * sizeof *mx);
    if (!out->res || !w || !s2 || !df || !p || !q || !ratio || !mx) {
        rc = gr_err_nomem(err, "comparison table");
        goto done;
    }
    out->base_hash = base->machine.hash;
    out->cur_hash = cur->machine.hash;
    out->machine_match = base->machine.hash && cur->machine.hash
                         && strcmp(base->machine.hash, cur->machine.hash) == 0;
    out->base_commit = &base->commit;
    out->cur_commit = &cur->commit;
    out->base_finished = base->finished;
    out->cur_finished = cur->finished;
    out->base_label = base_label ? base_label : "baseline";
    out->cur_label = cur_label ? cur_label : "current";
    out->alpha = o->alpha;
    out->threshold = o->threshold;
    out->metric = o->metric;

    /* 1. rows: the current run's benchmarks, its failures, then the
     * removed ones */
    for (i = 0; i < cur->nbench + cur->nfail + base->nbench; i++) {
        const gr_run_bench *c = i < cur->nbench ? &cur->bench[i] : NULL;
        const gr_run_failure *f = NULL;
        const gr_run_bench *b;
        struct gr_cmp_row *r;
        if (c) {
            b = find_bench(base, c->name);
        } else if (i < cur->nbench + cur->nfail) {
            f = &cur->fail[i - cur->nbench];
            b = find_bench(base, f->name);
            if (!selected(o, f->name)) {
                continue;
            }
            r = &out->res[n++];
            r->name = f->name;
            r->verdict = GR_V_FAILED;
            r->reason = f->reason;
            r->lower_is_better = b ? b->lower_is_better : 1;
            r->threshold = threshold_for(o, r->name);
            r->base = b ? bench_median(b, o->metric, mx) : NAN;
            r->cur = r->change = r->change_lo = r->change_hi = r->p = r->q = NAN;
            r->base_version = b ? b->version : -1;
            r->cur_version = f->version;
            r->base_checksum = b ? b->checksum : NULL;
            r->cur_checksum = NULL;
            continue;
        } else {
            b = &base->bench[i - cur->nbench - cur->nfail];
            if (find_bench(cur, b->name) || gr_run_find_failure(cur, b->name)) {
                continue;
            }
        }
        if (!selected(o, c ? c->name : b->name)) {
            continue;
        }
        r = &out->res[n];
        r->name = c ? c->name : b->name;
        r->lower_is_better = c ? c->lower_is_better : b->lower_is_better;
        r->threshold = threshold_for(o, r->name);
        r->base = b ? bench_median(b, o->metric, mx) : NAN;
        r->cur = c ? bench_median(c, o->metric, mx) : NAN;
        r->change = r->change_lo = r->change_hi = r->p = r->q = NAN;
        r->base_version = b ? b->version : -1;
        r->cur_version = c ? c->version : -1;
        r->base_checksum = b ? b->checksum : NULL;
        r->cur_checksum = c ? c->checksum : NULL;
        n++;
        if (!b && gr_run_find_failure(base, c->name)) {
            r->verdict = GR_V_NODATA;
            r->reason = "FAILED in the baseline";
            continue;
        }
        if (!b) {
            r->verdict = GR_V_ADDED;
            r->reason = "not in the baseline";
            continue;
        }
        if (!c) {
            r->verdict = GR_V_REMOVED;
            r->reason = "not in the current run";
            continue;
        }
        if (b->version != c->version) {
            r->verdict = GR_V_VERSION;
            r->reason = "benchmark version changed";
            continue;
        }
        if (strcmp(b->checksum, c->checksum) != 0) {
            r->verdict = GR_V_CHECKSUM;
            r->reason = "result checksum differs from the baseline";
            continue;
        }
        if (o->metric == GR_METRIC_INSTRUCTIONS) {
            double T = log1p(r->threshold), e;
            if (!(r->base > 0) || !(r->cur >= 0)) {
                r->verdict = GR_V_NODATA;
                r->reason = "no instruction count";
                continue;
            }
            r->change = r->change_lo = r->change_hi = r->cur / r->base - 1.0;
            e = log(r->cur / r->base);
            e = r->lower_is_better ? e : -e;
            r->verdict = e > T ? GR_V_REGRESSION : e < -T ? GR_V_IMPROVEMENT
                                                        : GR_V_UNCHANGED;
            continue;
        }
        /* time: gather the replicates */
        if (round_log_mins(b, &w[n - 1].la, &w[n - 1].ia, &w[n - 1].na,
                              &w[n - 1].zero, &w[n - 1].da) < 0
            || round_log_mins(c, &w[n - 1].lb, &w[n - 1].ib, &w[n - 1].nb,
                                 &w[n - 1].zero, &w[n - 1].db) < 0) {
            rc = gr_err_nomem(err, "round minima");
            goto done;
        }
        w[n - 1].test = w[n - 1].na >= MIN_ROUNDS && w[n - 1].nb >= MIN_ROUNDS
                        && !w[n - 1].zero;
        r->base_rounds = w[n - 1].na;
        r->cur_rounds = w[n - 1].nb;
        r->verdict = GR_V_NOISY; /* until decided below */
    }
    out->n = n;
    out->shift = NAN;
    out->shift_why = o->metric == GR_METRIC_TIME ? "too few benchmarks to estimate it"
                                                  : "deterministic metric";

    /* 1b. the suite-wide shift (decide.h, rule 3a) */
    if (o->metric == GR_METRIC_TIME) {
        rc = suite_shift(base, cur, o->shift, w, out);
        if (rc < 0) {
            rc = gr_err_nomem(err, "suite shift");
            goto done;
        }
    }

    /* 2. the suite-wide variance prior, from the testable rows.  Round
     * effects shared by all benchmarks are NOT removed: they are random
     * per run, their average over R rounds does not cancel between runs,
     * so they belong in the variance of a run's mean (removing them made
     * identical runs with 6% drift flag 6% of benchmarks in simulation). */
    if (o->metric == GR_METRIC_TIME) {
        for (i = 0; i < n; i++) {
            if (w[i].test) {
                double ma, va, mb, vb, d = (double)(w[i].na + w[i].nb) - 2.0;
                gr_mean_var(w[i].la, w[i].na, &ma, &va);
                gr_mean_var(w[i].lb, w[i].nb, &mb, &vb);
                s2[ntest] = ((double)(w[i].na - 1) * va + (double)(w[i].nb - 1) * vb) / d;
                df[ntest] = d;
                ntest++;
            }
        }
        gr_var_prior(s2, df, ntest, &out->prior_var, &out->prior_df);

        /* 3. tests, BH over the tested rows, verdicts */
        for (i = 0; i < n; i++) {
            p[i] = NAN;
            if (w[i].la && w[i].lb) {
                double s02 = w[i].test ? out->prior_var : 0.0;
                double d0 = w[i].test ? out->prior_df : 0.0;
                double dcap = PRIOR_DF_CAP * (double)(w[i].na + w[i].nb - 2);
                d0 = d0 > dcap ? dcap : d0;
                if (gr_ttest_moderated(w[i].la, w[i].na, w[i].lb, w[i].nb, s02, d0,
                                       CI_LEVEL, &w[i].t) < 0) {
                    w[i].t.diff = NAN;
                }
                if (w[i].test) {
                    p[i] = w[i].t.p;
                }
            }
        }
        if (gr_bh_adjust(p, n, q) < 0) {
            rc = gr_err_nomem(err, "BH adjustment");
            goto done;
        }
        for (i = 0; i < n; i++) {
            struct gr_cmp_row *r = &out->res[i];
            if (!w[i].la || !w[i].lb) {
                continue;
            }
            r->p = p[i];
            r->q = q[i];
            if (isfinite(w[i].t.diff) && w[i].na > 0 && w[i].nb > 0) {
                r->change = expm1(w[i].t.diff);
                r->change_lo = isfinite(w[i].t.lo) ? expm1(w[i].t.lo) : NAN;
                r->change_hi = isfinite(w[i].t.hi) ? expm1(w[i].t.hi) : NAN;
            }
            time_verdict(r, &w[i], o->alpha);
        }
    }

    /* 4. summary */
    for (i = 0; i < n; i++) {
        struct gr_cmp_row *r = &out->res[i];
        out->count[r->verdict]++;
        if (isfinite(r->change) && r->verdict <= GR_V_NOISY) {
            ratio[nratio++] = 1.0 + r->change;
        }
    }
    out->compared = nratio;
    out->geomean = nratio ? gr_geomean(ratio, nratio) - 1.0 : NAN;

done:
    for (i = 0; w && i < cap; i++) {
        gr_free(w[i].la);
        gr_free(w[i].lb);
        gr_free(w[i].ia);
        gr_free(w[i].ib);
    }
    gr_free(w);
    gr_free(s2);
    gr_free(df);
    gr_free(p);
    gr_free(q);
    gr_free(ratio);
    gr_free(mx);
    if (rc < 0) {
        gr_report_free(out);
    }
    return rc;
}
