/*
 * changepoint.c - E-divisive means change-point detection (changepoint.h).
 *
 * Why E-divisive: it is nonparametric (no normality assumption about
 * benchmark noise, which is skewed and heavy-tailed), finds any number of
 * change points hierarchically, and its permutation test controls the
 * false-positive rate of each accepted split at alpha without a model.
 * Because it compares whole segments, a creeping regression made of
 * several small steps (each below the noise of one run-to-run compare)
 * shows up as one large divergence between the segments before and after
 * the creep, which is what pairwise compares of neighbours miss.
 *
 * Why blocks: the caller passes every round of every run (the log of the
 * round's mean time) rather than one median per run; the divergence then
 * sees the spread within each run as well as its level, which sharpens
 * both the location and the test.  But the rounds of one run share that
 * run's machine state (load, frequency, memory layout), so they are not
 * independent: permuting single rounds would make run-to-run noise look
 * like a significant shift (pseudo-replication) and inflate the
 * false-positive rate far above alpha.  We therefore permute whole runs
 * (blocks) and only split between runs, so under "no change" every
 * permutation of runs is as likely as the observed order and the test is
 * exact whatever the within-run correlation.
 *
 * Cost: the pairwise distances are summed once per pair of blocks
 * (O(n^2) in observations); each search then works on block sums with a
 * 2-D prefix-sum table, O(L^2) for a segment of L blocks, per
 * permutation.  A test that cannot reach alpha any more stops early, so a
 * series without change costs a few dozen searches, not `permutations`.
 */
#include "config.h"
#include "regress/changepoint.h"
#include "regress/history.h"
#include "regress/rstats.h"
#include "common/error.h"
#include "common/mem.h"

#include <math.h>
#include <regex.h>
#include <string.h>

void gr_cp_opts_init(struct gr_cp_opts *o)
{
    o->alpha = 0.01;
    o->exponent = 1.0;
    o->permutations = 499;
    o->min_segment = 3;
    o->seed = 1;
}

void gr_cp_result_free(struct gr_cp_result *r)
{
    if (r) {
        gr_free(r->cps);
        r->cps = NULL;
        r->n = 0;
    }
}

/* Working state of one detection. */
struct cp_work {
    size_t nb;               /* blocks */
    const size_t *cnt;       /* observations per block [nb] */
    double *dblk;            /* [nb * nb]: sum of distances between blocks */
    double *pre;             /* [(nb + 1)^2]: prefix sums for one segment */
    size_t *cum;             /* [nb + 1]: cumulative counts in one segment */
    size_t minseg;
};

/* The best split of blocks ord[0..len) (a segment in some order): fills
 * *tau (local index of the first block of Y) and returns Q, or -INFINITY
 * when no split leaves both sides long enough. */
static double best_split(struct cp_work *w, const size_t *ord, size_t len, size_t *tau)
{
    size_t L1 = len + 1, i, j, t, k;
    double *P = w->pre, best = -INFINITY;
    if (len < 2 * w->minseg) {
        return -INFINITY;
    }
    for (j = 0; j <= len; j++) {
        P[j] = 0.0;
    }
    w->cum[0] = 0;
    for (i = 0; i < len; i++) {
        const double *row = w->dblk + ord[i] * w->nb;
        double *cur = P + (i + 1) * L1, *prev = P + i * L1;
        double run = 0.0;
        cur[0] = 0.0;
        for (j = 0; j < len; j++) {
            run += row[ord[j]];
            cur[j + 1] = prev[j + 1] + run;
        }
        w->cum[i + 1] = w->cum[i] + w->cnt[ord[i]];
    }
#define RECT(i0, i1, j0, j1)                                                         \
    (P[(i1) * L1 + (j1)] - P[(i0) * L1 + (j1)] - P[(i1) * L1 + (j0)] + P[(i0) * L1 + (j0)])
    for (t = w->minseg; t + w->minseg <= len; t++) {
        double m = (double)w->cum[t], wx;
        if (m < 2) {
            continue;
        }
        wx = RECT(0, t, 0, t) / (m * (m - 1.0)); /* (sum/2) / C(m, 2) */
        for (k = t + w->minseg; k <= len; k++) {
            double n = (double)(w->cum[k] - w->cum[t]), e, q;
            if (n < 2) {
                continue;
            }
            e = 2.0 * RECT(0, t, t, k) / (m * n) - wx - RECT(t, k, t, k) / (n * (n - 1.0));
            q = m * n / (m + n) * e;
            if (q > best) {
                best = q;
                *tau = t;
            }
        }
    }
#undef RECT
    return best;
}

/* The best candidate over all segments (bounds[0..nseg]) with blocks in
 * order ord: returns Q and sets *at to the global block index (or
 * -INFINITY). */
static double best_over_segments(struct cp_work *w, const size_t *ord, const size_t *bounds,
                                 size_t nseg, size_t *at)
{
    double best = -INFINITY;
    size_t s;
    for (s = 0; s < nseg; s++) {
        size_t tau = 0;
        double q = best_split(w, ord + bounds[s], bounds[s + 1] - bounds[s], &tau);
        if (q > best) {
            best = q;
            *at = bounds[s] + tau;
        }
    }
    return best;
}

static double dist(double a, double b, double expo)
{
    double d = fabs(a - b);
    return expo == 1.0 ? d : pow(d, expo);
}

int gr_changepoints(const double *x, const size_t *off, size_t nblocks,
                    const struct gr_cp_opts *o, struct gr_cp_result *out, gr_error *err)
{
    struct cp_work w;
    size_t *cnt = NULL, *ord = NULL, *perm = NULL, *bounds = NULL, nseg = 1;
    size_t a, b, i, j, r;
    struct gr_cp *cps = NULL;
    gr_rng rng;
    int rc = GR_OK;

    memset(out, 0, sizeof *out);
    out->last_p = NAN;
    memset(&w, 0, sizeof w);
    if (!(o->exponent > 0 && o->exponent < 2)) {
        return gr_err(err, GR_ERR_INVALID, "divergence exponent %g is not in (0, 2)",
                      o->exponent);
    }
    if (!(o->alpha > 0 && o->alpha < 1) || o->permutations == 0) {
        return gr_err(err, GR_ERR_INVALID, "alpha must be in (0, 1) and permutations >= 1");
    }
    if (nblocks > GR_CP_MAX_BLOCKS) {
        return gr_err(err, GR_ERR_INVALID, "series of %zu runs is longer than %d", nblocks,
                      GR_CP_MAX_BLOCKS);
    }
    for (b = 0; b < nblocks; b++) {
        if (off[b + 1] <= off[b]) {
            return gr_err(err, GR_ERR_INVALID, "run %zu of the series has no observation", b);
        }
    }
    for (i = 0; nblocks > 0 && i < off[nblocks]; i++) {
        if (!isfinite(x[i])) {
            return gr_err(err, GR_ERR_INVALID, "observation %zu is not finite", i);
        }
    }
    w.nb = nblocks;
    w.minseg = o->min_segment ? o->min_segment : 1;
    if (nblocks < 2 * w.minseg) {
        return GR_OK; /* too short to split */
    }
    cnt = gr_calloc(nblocks, sizeof *cnt);
    ord = gr_calloc(nblocks, sizeof *ord);
    perm = gr_calloc(nblocks, sizeof *perm);
    bounds = gr_calloc(nblocks + 1, sizeof *bounds);
    w.cum = gr_calloc(nblocks + 1, sizeof *w.cum);
    w.dblk = gr_calloc(nblocks * nblocks, sizeof *w.dblk);
    w.pre = gr_calloc((nblocks + 1) * (nblocks + 1), sizeof *w.pre);
    cps = gr_calloc(nblocks, sizeof *cps);
    if (!cnt || !ord || !perm || !bounds || !w.cum || !w.dblk || !w.pre || !cps) {
        rc = gr_err_nomem(err, "change-point search");
        goto done;
    }
    w.cnt = cnt;
    for (b = 0; b < nblocks; b++) {
        cnt[b] = off[b + 1] - off[b];
        ord[b] = b;
    }
    /* distances summed per pair of blocks (the diagonal: within a block,
     * each pair counted twice, as the prefix sums expect) */
    for (a = 0; a < nblocks; a++) {
        for (b = a; b < nblocks; b++) {
            double s = 0.0;
            for (i = off[a]; i < off[a + 1]; i++) {
                for (j = off[b]; j < off[b + 1]; j++) {
                    s += dist(x[i], x[j], o->exponent);
                }
            }
            w.dblk[a * nblocks + b] = s;
            w.dblk[b * nblocks + a] = s;
        }
    }

    gr_rng_seed(&rng, o->seed);
    bounds[0] = 0;
    bounds[1] = nblocks;
    for (;;) {
        size_t at = 0, dummy = 0, hits = 0, k;
        double q0 = best_over_segments(&w, ord, bounds, nseg, &at), p, tol;
        if (q0 == -INFINITY) {
            break; /* no segment long enough to split */
        }
        tol = 1e-12 * fabs(q0);
        memcpy(perm, ord, nblocks * sizeof *perm);
        for (r = 0; r < o->permutations; r++) {
            size_t s;
            for (s = 0; s < nseg; s++) {
                size_t lo = bounds[s], len = bounds[s + 1] - bounds[s];
                for (k = len; k > 1; k--) {
                    size_t pick = gr_rng_below(&rng, k), tmp = perm[lo + k - 1];
                    perm[lo + k - 1] = perm[lo + pick];
                    perm[lo + pick] = tmp;
                }
            }
            /* once p = (1 + hits) / (1 + R) reaches alpha it stays there */
            if (best_over_segments(&w, perm, bounds, nseg, &dummy) >= q0 - tol
                && (1.0 + (double)++hits) / (1.0 + (double)o->permutations) >= o->alpha) {
                break;
            }
        }
        p = (1.0 + (double)hits) / (1.0 + (double)o->permutations);
        if (p >= o->alpha) {
            out->last_p = p; /* a lower bound when stopped early */
            break;
        }
        cps[out->n].index = at;
        cps[out->n].p = p;
        cps[out->n].stat = q0;
        cps[out->n].order = out->n;
        out->n++;
        /* insert the new boundary, keeping bounds sorted */
        for (k = nseg + 1; k > 0 && bounds[k - 1] > at; k--) {
            bounds[k] = bounds[k - 1];
        }
        bounds[k] = at;
        nseg++;
    }
    /* sort by index (insertion sort: few change points) */
    for (i = 1; i < out->n; i++) {
        struct gr_cp c = cps[i];
        for (j = i; j > 0 && cps[j - 1].index > c.index; j--) {
            cps[j] = cps[j - 1];
        }
        cps[j] = c;
    }
    out->cps = cps;
    cps = NULL;

done:
    gr_free(cps);
    gr_free(cnt);
    gr_free(ord);
    gr_free(perm);
    gr_free(bounds);
    gr_free(w.cum);
    gr_free(w.dblk);
    gr_free(w.pre);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Change points of a benchmark's trend                                 */
/* ------------------------------------------------------------------ */

void gr_trend_free(struct gr_trend *t)
{
    if (t) {
        gr_free(t->use);
        gr_free(t->cps);
        memset(t, 0, sizeof *t);
    }
}

/* Append the logs of b's round means (of its clean samples: runfile.h)
 * to x (from *nx on); returns the number appended (0 when no round has a
 * positive mean, or neighbours were busy through the benchmark). */
static size_t round_means(const gr_run_bench *b, double *x, size_t nx)
{
    size_t i, j, k = 0;
    const int busy = gr_bench_busy(b);
    for (i = 0; i < b->nsamples; i++) {
        double sum = 0.0;
        size_t cnt = 0, seen = 0;
        for (j = 0; j < i && !seen; j++) {
            seen = b->rounds[j] == b->rounds[i]; /* round already done */
        }
        if (seen) {
            continue;
        }
        for (j = i; j < b->nsamples; j++) {
            if (b->rounds[j] == b->rounds[i] && isfinite(b->samples[j])
                && gr_sample_counts(b, j, busy)) {
                sum += b->samples[j];
                cnt++;
            }
        }
        if (cnt > 0 && sum > 0) {
            x[nx + k++] = log(sum / (double)cnt);
        }
    }
    return k;
}

/* Median of the runs' medians over blocks [lo, hi). */
static double seg_median(const gr_series *s, const size_t *blk2pt, size_t lo, size_t hi,
                         double *tmp)
{
    size_t b;
    for (b = lo; b < hi; b++) {
        tmp[b - lo] = s->points[blk2pt[b]].median;
    }
    return gr_median_inplace(tmp, hi - lo);
}

int gr_trend_detect(const gr_series *s, const struct gr_cp_opts *o, struct gr_trend *out,
                    gr_error *err)
{
    size_t n = s->npoints, total = 0, i, nb = 0, nx = 0, first = 0;
    double *x = NULL, *tmp = NULL;
    size_t *off = NULL, *blk2pt = NULL;
    struct gr_cp_result res;
    int64_t version;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&res, 0, sizeof res);
    out->last_change = NAN;
    if (n == 0) {
        return GR_OK;
    }
    version = s->points[n - 1].bench->version;
    out->lower_is_better = s->points[n - 1].bench->lower_is_better;
    for (i = 0; i < n; i++) {
        total += s->points[i].bench->nsamples;
    }
    out->use = gr_calloc(n, 1);
    x = gr_calloc(total + 1, sizeof *x);
    tmp = gr_calloc(n + 1, sizeof *tmp);
    off = gr_calloc(n + 1, sizeof *off);
    blk2pt = gr_calloc(n + 1, sizeof *blk2pt);
    if (!out->use || !x || !tmp || !off || !blk2pt) {
        rc = gr_err_nomem(err, "trend");
        goto fail;
    }
    /* the newest GR_CP_MAX_BLOCKS runs of the current version */
    for (i = n, nb = 0; i > 0 && nb < GR_CP_MAX_BLOCKS; i--) {
        nb += s->points[i - 1].bench->version == version;
        first = i - 1;
    }
    nb = 0;
    for (i = first; i < n; i++) {
        size_t k;
        if (s->points[i].bench->version != version) {
            continue;
        }
        k = round_means(s->points[i].bench, x, nx);
        if (k == 0) {
            continue;
        }
        off[nb] = nx;
        blk2pt[nb++] = i;
        nx += k;
        out->use[i] = 1;
    }
    off[nb] = nx;
    out->used = nb;
    out->skipped = n - nb;
    TRY(gr_changepoints(x, off, nb, o, &res, err));
    if (res.n > 0) {
        out->cps = gr_calloc(res.n, sizeof *out->cps);
        if (!out->cps) {
            rc = gr_err_nomem(err, "trend change points");
            goto fail;
        }
    }
    for (i = 0; i < res.n; i++) {
        size_t lo = i > 0 ? res.cps[i - 1].index : 0;
        size_t at = res.cps[i].index;
        size_t hi = i + 1 < res.n ? res.cps[i + 1].index : nb;
        struct gr_trend_cp *c = &out->cps[i];
        c->point = blk2pt[at];
        c->before = seg_median(s, blk2pt, lo, at, tmp);
        c->after = seg_median(s, blk2pt, at, hi, tmp);
        c->change = c->before > 0 ? c->after / c->before - 1.0 : NAN;
        c->p = res.cps[i].p;
    }
    out->ncp = res.n;
    if (out->ncp > 0) {
        /* walk back over consecutive worsening steps ending at the last */
        size_t k = out->ncp;
        const struct gr_trend_cp *last = &out->cps[k - 1];
#define WORSE(c) (out->lower_is_better ? (c)->after > (c)->before : (c)->after < (c)->before)
        out->last_worse = WORSE(last);
        while (out->last_worse && k > 1 && WORSE(&out->cps[k - 2])) {
            k--;
        }
#undef WORSE
        out->last_from = out->last_worse ? k - 1 : out->ncp - 1;
        out->last_change = out->cps[out->last_from].before > 0
                               ? last->after / out->cps[out->last_from].before - 1.0
                               : NAN;
    }
    rc = GR_OK;
    gr_cp_result_free(&res);
    gr_free(x);
    gr_free(tmp);
    gr_free(off);
    gr_free(blk2pt);
    return rc;
fail:
    gr_cp_result_free(&res);
    gr_free(x);
    gr_free(tmp);
    gr_free(off);
    gr_free(blk2pt);
    gr_trend_free(out);
    return rc;
}

int gr_trend_names(const gr_history *h, const void *re, const char ***names, size_t *n,
                   gr_error *err)
{
    size_t cap = 0, e, b, k;
    const char **v = NULL;
    *names = NULL;
    *n = 0;
    for (e = 0; e < h->nentries; e++) {
        cap += h->entries[e].run->nbench;
    }
    v = gr_calloc(cap + 1, sizeof *v);
    if (!v) {
        return gr_err_nomem(err, "benchmark names");
    }
    for (e = h->nentries; e > 0; e--) {
        const gr_run *r = h->entries[e - 1].run;
        for (b = 0; b < r->nbench; b++) {
            const char *name = r->bench[b].name;
            int seen = 0;
            if (re && regexec((const regex_t *)re, name, 0, NULL, 0) != 0) {
                continue;
            }
            for (k = 0; k < *n && !seen; k++) {
                seen = strcmp(v[k], name) == 0;
            }
            if (!seen) {
                v[(*n)++] = name;
            }
        }
    }
    *names = v;
    return GR_OK;
}
