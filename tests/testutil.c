/*
 * testutil.c - shared test helpers (see testutil.h).
 */
#include "config.h"
#include "testutil.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t tu_next(tu_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t tu_below(tu_rng *r, uint64_t bound)
{
    return bound ? tu_next(r) % bound : 0;
}

double tu_unit(tu_rng *r) { return (double)(tu_next(r) >> 11) * 0x1.0p-53; }

static gr_graph *build_or_die(gr_edges *e, uint32_t n, unsigned flags)
{
    gr_graph *g = NULL;
    gr_error err;
    char buf[600];
    gr_error_clear(&err);
    if (gr_graph_build(e, n, flags, &g, &err) != GR_OK) {
        ck_abort_msg("graph build failed: %s", gr_error_format(&err, buf, sizeof buf));
    }
    gr_edges_release(e);
    return g;
}

static gr_graph *random_graph(uint32_t n, uint64_t m, uint64_t seed, int weighted,
                              unsigned flags, int skew)
{
    gr_edges e;
    tu_rng r = {seed * 7919 + 17};
    uint64_t i;
    gr_edges_init(&e, weighted);
    for (i = 0; i < m; i++) {
        uint32_t s, d;
        if (skew) {
            /* u^3 concentrates endpoints on low ids: a few heavy nodes. */
            double a = tu_unit(&r), b = tu_unit(&r);
            s = (uint32_t)(a * a * a * n);
            d = (uint32_t)(b * b * b * n);
        } else {
            s = (uint32_t)tu_below(&r, n);
            d = (uint32_t)tu_below(&r, n);
        }
        ck_assert_int_eq(gr_edges_push(&e, s, d, 0.5 + 10.0 * tu_unit(&r), NULL), GR_OK);
    }
    return build_or_die(&e, n, flags);
}

gr_graph *tu_random_graph(uint32_t n, uint64_t m, uint64_t seed, int weighted,
                          unsigned flags)
{
    return random_graph(n, m, seed, weighted, flags, 0);
}

gr_graph *tu_skewed_graph(uint32_t n, uint64_t m, uint64_t seed, int weighted,
                          unsigned flags)
{
    return random_graph(n, m, seed, weighted, flags, 1);
}

gr_graph *tu_graph(uint32_t n, const uint32_t *pairs, uint64_t m, const double *w,
                   unsigned flags)
{
    gr_edges e;
    uint64_t i;
    gr_edges_init(&e, w != NULL);
    for (i = 0; i < m; i++) {
        ck_assert_int_eq(gr_edges_push(&e, pairs[2 * i], pairs[2 * i + 1], w ? w[i] : 0, NULL),
                         GR_OK);
    }
    return build_or_die(&e, n, flags);
}

gr_graph *tu_with_orig_ids(const gr_graph *g)
{
    gr_edges e;
    gr_graph *out = NULL;
    gr_error err;
    char buf[600];
    int64_t *orig = malloc((g->n ? g->n : 1) * sizeof *orig);
    uint32_t u;
    uint64_t k;
    ck_assert_ptr_nonnull(orig);
    gr_edges_init(&e, g->out_w != NULL);
    for (u = 0; u < g->n; u++) {
        orig[u] = 5 * (int64_t)u + 3;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            ck_assert_int_eq(
                gr_edges_push(&e, u, g->out_adj[k], g->out_w ? g->out_w[k] : 0, NULL), GR_OK);
        }
    }
    gr_error_clear(&err);
    if (gr_graph_build_ex(&e, g->n, 0, orig, &out, &err) != GR_OK) {
        ck_abort_msg("graph build failed: %s", gr_error_format(&err, buf, sizeof buf));
    }
    gr_edges_release(&e);
    free(orig);
    return out;
}

/* Small known shapes. */
static const uint32_t path5[] = {0, 1, 1, 2, 2, 3, 3, 4};
static const uint32_t star6[] = {0, 1, 0, 2, 0, 3, 0, 4, 0, 5};
static const uint32_t loops[] = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2};
static const uint32_t dups[] = {0, 1, 0, 1, 1, 2, 1, 2, 2, 0, 0, 1};
static const double dups_w[] = {3.0, 1.0, 2.0, 2.0, 5.0, 0.5};
static const uint32_t dangle[] = {0, 1, 0, 2, 1, 2, 3, 2};  /* 2 dangles; 4,5 isolated */
static const uint32_t twocomp[] = {0, 1, 1, 2, 2, 0, 3, 4, 4, 5, 6, 6};
static const uint32_t cycle4[] = {0, 1, 1, 2, 2, 3, 3, 0};
static const double cycle4_w[] = {1.0, 2.0, 3.0, 4.0};
static const uint32_t diamond[] = {0, 1, 0, 2, 1, 3, 2, 3, 3, 4};
static const double diamond_w[] = {1.0, 4.0, 1.0, 1.0, 0.0};

gr_graph *tu_case(int i, const char **name)
{
    const char *nm;
    gr_graph *g;
    switch (i) {
    case 0: nm = "single node"; g = tu_graph(1, NULL, 0, NULL, 0); break;
    case 1: nm = "isolated nodes"; g = tu_graph(5, NULL, 0, NULL, 0); break;
    case 2: nm = "path"; g = tu_graph(5, path5, 4, NULL, 0); break;
    case 3: nm = "path sym"; g = tu_graph(5, path5, 4, NULL, GR_BUILD_SYMMETRIZE); break;
    case 4: nm = "star"; g = tu_graph(6, star6, 5, NULL, 0); break;
    case 5: nm = "self-loops"; g = tu_graph(3, loops, 5, NULL, 0); break;
    case 6: nm = "duplicates weighted"; g = tu_graph(3, dups, 6, dups_w, 0); break;
    case 7: nm = "dangling and isolated"; g = tu_graph(6, dangle, 4, NULL, 0); break;
    case 8: nm = "two components"; g = tu_graph(8, twocomp, 6, NULL, 0); break;
    case 9: nm = "cycle weighted"; g = tu_graph(4, cycle4, 4, cycle4_w, 0); break;
    case 10: nm = "diamond weighted"; g = tu_graph(5, diamond, 5, diamond_w, 0); break;
    case 11: nm = "uniform 300/1200"; g = tu_random_graph(300, 1200, 1, 0, 0); break;
    case 12: nm = "uniform 300/1200 sym"; g = tu_random_graph(300, 1200, 2, 0, GR_BUILD_SYMMETRIZE); break;
    case 13: nm = "uniform 500/900 weighted"; g = tu_random_graph(500, 900, 3, 1, 0); break;
    case 14: nm = "uniform 400/800 weighted sym"; g = tu_random_graph(400, 800, 4, 1, GR_BUILD_SYMMETRIZE); break;
    case 15: nm = "skewed 1000/6000"; g = tu_skewed_graph(1000, 6000, 5, 0, 0); break;
    case 16: nm = "skewed 1000/6000 sym weighted"; g = tu_skewed_graph(1000, 6000, 6, 1, GR_BUILD_SYMMETRIZE); break;
    case 17: nm = "sparse 2000/1500 (many components)"; g = tu_random_graph(2000, 1500, 7, 1, 0); break;
    case 18: nm = "uniform 20000/100000"; g = tu_random_graph(20000, 100000, 8, 1, 0); break;
    case 19: nm = "skewed 20000/150000 sym"; g = tu_skewed_graph(20000, 150000, 9, 0, GR_BUILD_SYMMETRIZE); break;
    default: return NULL;
    }
    if (name) {
        *name = nm;
    }
    return g;
}

const char *tu_write_temp(const char *suffix, const char *text)
{
    static char path[512];
    FILE *f;
    int fd;
    snprintf(path, sizeof path, "/tmp/grtest-XXXXXX%s", suffix);
    fd = mkstemps(path, (int)strlen(suffix));
    ck_assert_msg(fd >= 0, "mkstemps failed");
    f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

const char *tu_data(const char *name)
{
    static char path[1024];
    const char *src = getenv("GR_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/data/%s", src ? src : GR_SRCDIR, name);
    return path;
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

static int f64_match(double a, double b, double rel_tol)
{
    if (isnan(a) || isnan(b)) {
        return isnan(a) && isnan(b);
    }
    if (rel_tol == 0) {
        return memcmp(&a, &b, sizeof a) == 0;
    }
    if (a == b) {
        return 1; /* also equal infinities */
    }
    return fabs(a - b) <= rel_tol * (fabs(b) > 1.0 ? fabs(b) : 1.0);
}

void tu_assert_results_match(const gr_result *got, const gr_result *want, double rel_tol,
                             int check_iters, const char *what)
{
    int k;
    size_t i;
    ck_assert_msg(got->nout == want->nout, "%s: %d outputs, expected %d", what, got->nout,
                  want->nout);
    for (k = 0; k < got->nout; k++) {
        const gr_output *a = &got->out[k], *b = &want->out[k];
        ck_assert_msg(strcmp(a->name, b->name) == 0, "%s: output %d is '%s', expected '%s'",
                      what, k, a->name, b->name);
        ck_assert_msg(a->type == b->type, "%s: output %s is %s, expected %s", what, a->name,
                      gr_type_name(a->type), gr_type_name(b->type));
        ck_assert_msg(a->len == b->len, "%s: output %s has %zu elements, expected %zu", what,
                      a->name, a->len, b->len);
        for (i = 0; i < a->len; i++) {
            if (a->f64) {
                ck_assert_msg(f64_match(a->f64[i], b->f64[i], rel_tol),
                              "%s: %s[%zu] = %.17g, expected %.17g", what, a->name, i,
                              a->f64[i], b->f64[i]);
            } else {
                ck_assert_msg(a->i64[i] == b->i64[i], "%s: %s[%zu] = %lld, expected %lld", what,
                              a->name, i, (long long)a->i64[i], (long long)b->i64[i]);
            }
        }
    }
    if (check_iters) {
        ck_assert_msg(got->iters == want->iters, "%s: %lld iterations, expected %lld", what,
                      (long long)got->iters, (long long)want->iters);
    }
}

gr_program *tu_library_program(const char *name)
{
    const char *src = gr_library_source(name);
    gr_program *p = NULL;
    gr_diags d = {0, NULL};
    gr_error e;
    char file[64];
    ck_assert_msg(src != NULL, "no library algorithm %s", name);
    snprintf(file, sizeof file, "%s.grl", name);
    gr_error_clear(&e);
    if (gr_lang_compile(src, strlen(src), file, &p, &d, &e) != GR_OK) {
        ck_abort_msg("%s does not compile: %s", name, d.text ? d.text : e.msg);
    }
    gr_diags_release(&d);
    return p;
}

char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0, k;
    if (!f) {
        return NULL;
    }
    for (;;) {
        if (cap - n < 4096) {
            char *grown;
            cap = cap ? cap * 2 : 8192;
            grown = realloc(buf, cap + 1);
            if (!grown) { /* usable outside a Check test too: no ck_assert */
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            break;
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len) {
        *len = n;
    }
    return buf;
}

/* See testutil.h. */
long tu_nomem_sweep(int (*run)(void *ctx, gr_error *err), void *ctx, long max)
{
    long k;
    for (k = 0;; k++) {
        gr_error err;
        int rc;
        gr_error_clear(&err);
        gr_mem_fail_after(k);
        rc = run(ctx, &err);
        gr_mem_fail_after(-1);
        if (rc == GR_OK) {
            break;
        }
        ck_assert_int_eq(rc, GR_ERR_NOMEM);
        ck_assert_int_eq(err.code, GR_ERR_NOMEM);
        ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
        ck_assert_int_lt(k, max);
    }
    ck_assert_int_gt(k, 0);
    return k;
}
