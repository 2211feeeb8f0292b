/*
 * merge.c - appending one run's rounds to another and interleaving runs
 * (the rules are in merge.h).  A merge is prepared completely (every new
 * array allocated, every stats block computed) before anything in the
 * target run changes, so a failure leaves it as it was.
 */
#include "config.h"
#include "regress/merge.h"
#include "common/error.h"
#include "common/mem.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static int str_eq(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

int gr_run_compatible(const gr_run *a, const gr_run *b, gr_error *err)
{
    const gr_run_config *x = &a->config, *y = &b->config;
    size_t i;
    /* a name may not be both measured and FAILED in the merged run: a
     * benchmark failed in one run and measured in the other is refused */
    for (i = 0; i < b->nfail; i++) {
        if (gr_run_find(a, b->fail[i].name)) {
            return gr_err(err, GR_ERR_INVALID, "benchmark %s FAILED in one run (%s) and "
                          "ran in the other", b->fail[i].name,
                          b->fail[i].reason ? b->fail[i].reason : "no reason");
        }
    }
    for (i = 0; i < a->nfail; i++) {
        if (gr_run_find(b, a->fail[i].name)) {
            return gr_err(err, GR_ERR_INVALID, "benchmark %s FAILED in one run (%s) and "
                          "ran in the other", a->fail[i].name,
                          a->fail[i].reason ? a->fail[i].reason : "no reason");
        }
    }
    if (!str_eq(x->suite, y->suite)) {
        return gr_err(err, GR_ERR_INVALID, "config.suite differs (%s vs %s)",
                      x->suite ? x->suite : "none", y->suite ? y->suite : "none");
    }
    if (x->repeat != y->repeat || x->warmup != y->warmup || x->threads != y->threads
        || x->seed != y->seed) {
        const char *what = x->repeat != y->repeat ? "repeat"
                           : x->warmup != y->warmup ? "warmup"
                           : x->threads != y->threads ? "threads" : "seed";
        int64_t u = x->repeat != y->repeat ? x->repeat
                    : x->warmup != y->warmup ? x->warmup
                    : x->threads != y->threads ? x->threads : x->seed;
        int64_t v = x->repeat != y->repeat ? y->repeat
                    : x->warmup != y->warmup ? y->warmup
                    : x->threads != y->threads ? y->threads : y->seed;
        return gr_err(err, GR_ERR_INVALID, "config.%s differs (%lld vs %lld)", what,
                      (long long)u, (long long)v);
    }
    if (x->min_time != y->min_time) {
        return gr_err(err, GR_ERR_INVALID, "config.min_time differs (%g vs %g)",
                      x->min_time, y->min_time);
    }
    if (!str_eq(a->machine.hash, b->machine.hash)) {
        return gr_err(err, GR_ERR_INVALID, "machine fingerprints differ (%s vs %s)",
                      a->machine.hash ? a->machine.hash : "none",
                      b->machine.hash ? b->machine.hash : "none");
    }
    for (i = 0; i < b->nbench; i++) {
        const gr_run_bench *q = &b->bench[i], *p = gr_run_find(a, q->name);
        if (!p) {
            return gr_err(err, GR_ERR_INVALID, "benchmark %s: not in the run merged into",
                          q->name);
        }
        if (p->version != q->version) {
            return gr_err(err, GR_ERR_INVALID,
                          "benchmark %s: version differs (%lld vs %lld)", q->name,
                          (long long)p->version, (long long)q->version);
        }
        if (!str_eq(p->checksum, q->checksum)) {
            return gr_err(err, GR_ERR_INVALID, "benchmark %s: checksum differs (%s vs %s)",
                          q->name, p->checksum ? p->checksum : "none",
                          q->checksum ? q->checksum : "none");
        }
        if (p->lower_is_better != q->lower_is_better) {
            return gr_err(err, GR_ERR_INVALID, "benchmark %s: direction differs", q->name);
        }
    }
    return GR_OK;
}

/* The new arrays of one benchmark, prepared before committing. */
struct prep {
    gr_run_bench *dst;       /* the benchmark of a */
    double *samples;
    int64_t *rounds;
    double *contention;      /* NULL unless both runs measured it */
    gr_stats stats;
    int64_t peak;
    double instructions;
};

int gr_run_merge(gr_run *a, const gr_run *b, gr_error *err)
{
    struct prep *pp = NULL;
    char *started = NULL, *finished = NULL;
    size_t i, np = 0, k;
    int rc;
    if ((rc = gr_run_compatible(a, b, err)) < 0) {
        return rc;
    }
    if (a->config.rounds < 0 || b->config.rounds < 0
        || a->config.rounds > INT64_MAX / 2 - b->config.rounds) {
        return gr_err(err, GR_ERR_RANGE, "too many rounds (%lld + %lld)",
                      (long long)a->config.rounds, (long long)b->config.rounds);
    }
    pp = gr_calloc(b->nbench ? b->nbench : 1, sizeof *pp);
    if (!pp) {
        return gr_err_nomem(err, "merging runs");
    }
    /* the later strings: ISO 8601 UTC sorts as text */
    if (b->started && (!a->started || strcmp(b->started, a->started) < 0)) {
        if (!(started = gr_strdup(b->started))) {
            goto nomem;
        }
    }
    if (b->finished && (!a->finished || strcmp(b->finished, a->finished) > 0)) {
        if (!(finished = gr_strdup(b->finished))) {
            goto nomem;
        }
    }
    for (i = 0; i < b->nbench; i++, np++) {
        const gr_run_bench *q = &b->bench[i];
        struct prep *p = &pp[np];
        size_t n;
        p->dst = (gr_run_bench *)gr_run_find(a, q->name);
        n = p->dst->nsamples + q->nsamples;
        p->samples = gr_malloc(n * sizeof *p->samples);
        p->rounds = gr_malloc(n * sizeof *p->rounds);
        if (!p->samples || !p->rounds) {
            np++;
            goto nomem;
        }
        memcpy(p->samples, p->dst->samples, p->dst->nsamples * sizeof *p->samples);
        memcpy(p->rounds, p->dst->rounds, p->dst->nsamples * sizeof *p->rounds);
        for (k = 0; k < q->nsamples; k++) {
            p->samples[p->dst->nsamples + k] = q->samples[k];
            p->rounds[p->dst->nsamples + k] = a->config.rounds + q->rounds[k];
        }
        if (p->dst->contention && q->contention) {
            if (!(p->contention = gr_malloc(n * sizeof *p->contention))) {
                np++;
                goto nomem;
            }
            memcpy(p->contention, p->dst->contention,
                   p->dst->nsamples * sizeof *p->contention);
            memcpy(p->contention + p->dst->nsamples, q->contention,
                   q->nsamples * sizeof *p->contention);
        }
        if (gr_stats_compute(p->samples, n, &p->stats) < 0) {
            np++;
            goto nomem;
        }
        p->peak = q->peak_rss_bytes > p->dst->peak_rss_bytes ? q->peak_rss_bytes
                                                             : p->dst->peak_rss_bytes;
        p->instructions = isnan(p->dst->instructions) ? q->instructions
                                                       : p->dst->instructions;
    }
    /* commit: nothing below can fail */
    for (i = 0; i < np; i++) {
        struct prep *p = &pp[i];
        gr_free(p->dst->samples);
        gr_free(p->dst->rounds);
        gr_free(p->dst->contention);
        p->dst->samples = p->samples;
        p->dst->rounds = p->rounds;
        p->dst->contention = p->contention;
        p->dst->nsamples = p->stats.n;
        p->dst->stats = p->stats;
        p->dst->peak_rss_bytes = p->peak;
        p->dst->instructions = p->instructions;
    }
    a->config.rounds += b->config.rounds;
    if (started) {
        gr_free(a->started);
        a->started = started;
    }
    if (finished) {
        gr_free(a->finished);
        a->finished = finished;
    }
    memcpy(a->machine.load_end, b->machine.load_end, sizeof a->machine.load_end);
    gr_free(pp);
    return GR_OK;

nomem:
    for (i = 0; i < np; i++) {
        gr_free(pp[i].samples);
        gr_free(pp[i].rounds);
        gr_free(pp[i].contention);
    }
    gr_free(pp);
    gr_free(started);
    gr_free(finished);
    return gr_err_nomem(err, "merging runs");
}

int gr_run_interleave(gr_run **runs, size_t n, gr_run **a, gr_run **b, gr_error *err)
{
    size_t k;
    int rc = GR_OK;
    *a = *b = NULL;
    if (n < 2) {
        rc = gr_err(err, GR_ERR_INVALID, "interleaving needs at least 2 runs, not %zu", n);
        goto fail;
    }
    for (k = 0; k < n; k++) {
        if (!runs[k]) {
            rc = gr_err(err, GR_ERR_INVALID, "run %zu: missing", k);
            goto fail;
        }
    }
    *a = runs[0];
    *b = runs[1];
    runs[0] = runs[1] = NULL;
    for (k = 2; k < n; k++) {
        gr_error sub;
        gr_error_clear(&sub);
        rc = gr_run_merge(k % 2 ? *b : *a, runs[k], &sub);
        if (rc < 0) {
            rc = gr_err(err, rc, "run %zu: %s", k, sub.msg);
            goto fail;
        }
        gr_run_free(&runs[k]);
    }
    return GR_OK;

fail:
    for (k = 0; k < n; k++) {
        gr_run_free(&runs[k]);
    }
    gr_run_free(a);
    gr_run_free(b);
    return rc;
}
