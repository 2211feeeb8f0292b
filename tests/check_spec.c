/*
 * check_spec.c - unit tests of graph spec strings (spec.c): parsing with
 * defaults, the canonical printed form and parse/format round trips, every
 * error message (asserted exactly), and gr_spec_graph: generated graphs equal
 * the generators' own, symmetrizing, weights, files, allocation failures.
 */
#include "config.h"
#include "testutil.h"
#include "common/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void parse_ok(const char *text, gr_spec *s)
{
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_spec_parse(text, s, &err) == GR_OK, "parse '%s': %s", text, err.msg);
}

/* Field-wise equality of the parts of a spec its kind uses. */
static int spec_eq(const gr_spec *a, const gr_spec *b)
{
    if (a->kind != b->kind || a->sym != b->sym || a->weights != b->weights) {
        return 0;
    }
    switch (a->kind) {
    case GR_SPEC_UNIFORM:
        return a->n == b->n && a->m == b->m && a->seed == b->seed;
    case GR_SPEC_RMAT:
        return a->scale == b->scale && a->ef == b->ef && a->a == b->a && a->b == b->b &&
               a->c == b->c && a->seed == b->seed;
    case GR_SPEC_FILE:
        return a->format == b->format && strcmp(a->path, b->path) == 0;
    }
    return 0;
}

/* ---- parsing and printing ------------------------------------------- */

START_TEST(test_defaults)
{
    gr_spec s;
    parse_ok("uniform:n=1000,m=5000", &s);
    ck_assert_int_eq(s.kind, GR_SPEC_UNIFORM);
    ck_assert_uint_eq(s.n, 1000);
    ck_assert_uint_eq(s.m, 5000);
    ck_assert_uint_eq(s.seed, 1);
    ck_assert_int_eq(s.sym, 0);
    ck_assert_int_eq(s.weights, GR_WEIGHTS_NONE);
    parse_ok("rmat:scale=20", &s);
    ck_assert_int_eq(s.kind, GR_SPEC_RMAT);
    ck_assert_uint_eq(s.scale, 20);
    ck_assert_uint_eq(s.ef, 16);
    ck_assert(s.a == 0.57 && s.b == 0.19 && s.c == 0.19);
    ck_assert_uint_eq(s.seed, 1);
    parse_ok("rmat:scale=20,ef=16,seed=1", &s);
    ck_assert_uint_eq(s.ef, 16);
    parse_ok("graph.txt", &s);
    ck_assert_int_eq(s.kind, GR_SPEC_FILE);
    ck_assert_str_eq(s.path, "graph.txt");
    ck_assert_int_eq(s.format, GR_FORMAT_AUTO);
    ck_assert_int_eq(s.sym, 0);
    ck_assert_int_eq(s.weights, GR_WEIGHTS_NONE);
    parse_ok("file:g.mtx,sym=1,weights=unit,format=mtx", &s);
    ck_assert_int_eq(s.kind, GR_SPEC_FILE);
    ck_assert_str_eq(s.path, "g.mtx");
    ck_assert_int_eq(s.sym, 1);
    ck_assert_int_eq(s.weights, GR_WEIGHTS_UNIT);
    ck_assert_int_eq(s.format, GR_FORMAT_MTX);
    parse_ok("uniform:n=1,m=0,weights=uniform,sym=0", &s);
    ck_assert_int_eq(s.weights, GR_WEIGHTS_UNIFORM);
}
END_TEST

/* Input text -> canonical text. */
static const struct {
    const char *in, *out;
} canon[] = {
    {"uniform:n=1000,m=5000,seed=42", "uniform:n=1000,m=5000,seed=42"},
    {"uniform:m=5000,n=1000", "uniform:n=1000,m=5000,seed=1"},
    {"uniform:seed=7,sym=1,m=3,n=2,weights=unit", "uniform:n=2,m=3,seed=7,sym=1,weights=unit"},
    {"uniform:n=1,m=0,sym=0,weights=none", "uniform:n=1,m=0,seed=1"},
    {"uniform:n=1e6,m=10e6", "uniform:n=1000000,m=10000000,seed=1"},
    {"uniform:n=2.5e3,m=1E2,seed=0", "uniform:n=2500,m=100,seed=0"},
    {"uniform:n=0.05e2,m=120e-1,seed=007", "uniform:n=5,m=12,seed=7"},
    {"uniform:n=4294967295,m=18446744073709551615,seed=18446744073709551615",
     "uniform:n=4294967295,m=18446744073709551615,seed=18446744073709551615"},
    {"rmat:scale=20,ef=16,seed=1", "rmat:scale=20,ef=16,a=0.57,b=0.19,c=0.19,seed=1"},
    {"rmat:scale=3", "rmat:scale=3,ef=16,a=0.57,b=0.19,c=0.19,seed=1"},
    {"rmat:c=0.25,b=.25,a=0.25,scale=31,ef=4294967295",
     "rmat:scale=31,ef=4294967295,a=0.25,b=0.25,c=0.25,seed=1"},
    {"rmat:scale=5,a=1,b=0,c=0,sym=1,weights=uniform",
     "rmat:scale=5,ef=16,a=1,b=0,c=0,seed=1,sym=1,weights=uniform"},
    {"rmat:scale=5,a=0.1,b=0.2,c=0.7", "rmat:scale=5,ef=16,a=0.1,b=0.2,c=0.7,seed=1"},
    {"rmat:scale=5,a=3.3e-1,b=1e-3", "rmat:scale=5,ef=16,a=0.33,b=0.001,c=0.19,seed=1"},
    {"rmat:scale=5,a=0.1234567890123", "rmat:scale=5,ef=16,a=0.1234567890123,b=0.19,c=0.19,seed=1"},
    {"graph.txt", "graph.txt"},
    {"/data/web-Google.txt", "/data/web-Google.txt"},
    {"file:graph.txt", "graph.txt"},
    {"file:graph.txt,sym=0,weights=none,format=auto", "graph.txt"},
    {"file:g.mtx,format=mtx,sym=1", "file:g.mtx,sym=1,format=mtx"},
    {"file:g.grs,weights=uniform,format=snapshot", "file:g.grs,weights=uniform,format=snapshot"},
    {"file:g.txt,format=edgelist", "file:g.txt,format=edgelist"},
    {"a,b.txt", "a,b.txt"},
    {"file:a,b.txt,sym=1", "file:a,b.txt,sym=1"},
    {"dir,sym=1", "dir,sym=1"},
    {"file:uniform:n=5", "file:uniform:n=5"},
    {"file:file:x", "file:file:x"},
    {"file:odd:key=v", "file:odd:key=v"},
    {"weird:name", "weird:name"},
    {"C:\\graphs\\g.txt", "C:\\graphs\\g.txt"},
};

START_TEST(test_canonical)
{
    size_t i;
    for (i = 0; i < sizeof canon / sizeof canon[0]; i++) {
        gr_spec s, t;
        char buf[GR_SPEC_TEXT_MAX], again[GR_SPEC_TEXT_MAX];
        parse_ok(canon[i].in, &s);
        gr_spec_format(&s, buf, sizeof buf);
        ck_assert_str_eq(buf, canon[i].out);
        /* parse(format(s)) == s, and the canonical form is a fixed point. */
        parse_ok(buf, &t);
        ck_assert_msg(spec_eq(&s, &t), "round trip of '%s'", canon[i].in);
        gr_spec_format(&t, again, sizeof again);
        ck_assert_str_eq(again, buf);
    }
}
END_TEST

START_TEST(test_format_built_specs)
{
    /* Specs filled in by code, not parsed, round-trip too. */
    gr_spec s, t;
    char buf[GR_SPEC_TEXT_MAX];
    memset(&s, 0, sizeof s);
    s.kind = GR_SPEC_RMAT;
    s.scale = 7;
    s.ef = 3;
    s.a = 0.1 + 0.2; /* 0.30000000000000004 */
    s.b = 1.0 / 3.0;
    s.c = 0.0;
    s.seed = 99;
    gr_spec_format(&s, buf, sizeof buf);
    ck_assert_str_eq(buf, "rmat:scale=7,ef=3,a=0.30000000000000004,b=0.3333333333333333,"
                          "c=0,seed=99");
    parse_ok(buf, &t);
    ck_assert(spec_eq(&s, &t));
    /* A path that needs the file: form to parse back. */
    memset(&s, 0, sizeof s);
    s.kind = GR_SPEC_FILE;
    strcpy(s.path, "rmat:scale=3");
    gr_spec_format(&s, buf, sizeof buf);
    ck_assert_str_eq(buf, "file:rmat:scale=3");
    parse_ok(buf, &t);
    ck_assert(spec_eq(&s, &t));
    /* The longest path fits GR_SPEC_TEXT_MAX with every option. */
    memset(s.path, 'p', sizeof s.path - 1);
    s.path[sizeof s.path - 1] = '\0';
    s.sym = 1;
    s.weights = GR_WEIGHTS_UNIFORM;
    s.format = GR_FORMAT_SNAPSHOT;
    gr_spec_format(&s, buf, sizeof buf);
    ck_assert_uint_lt(strlen(buf), sizeof buf - 1);
    parse_ok(buf, &t);
    ck_assert(spec_eq(&s, &t));
}
END_TEST

START_TEST(test_format_truncates)
{
    gr_spec s;
    char buf[12];
    parse_ok("uniform:n=1000,m=5000,seed=42", &s);
    ck_assert_ptr_eq(gr_spec_format(&s, buf, sizeof buf), buf);
    ck_assert_str_eq(buf, "uniform:n=1");
    ck_assert_str_eq(gr_spec_format(&s, buf, 1), "");
    parse_ok("some/long/path.txt", &s);
    ck_assert_str_eq(gr_spec_format(&s, buf, sizeof buf), "some/long/p");
}
END_TEST

/* ---- errors, each message exactly ----------------------------------- */

static const struct {
    const char *text, *msg;
} bad_specs[] = {
    {"", "empty graph spec"},
    /* kinds */
    {"unifrom:n=1000,m=5000", "unknown graph kind 'unifrom' (did you mean 'uniform'?)"},
    {"Uniform:n=1,m=1", "unknown graph kind 'Uniform' (did you mean 'uniform'?)"},
    {"rmta:scale=3", "unknown graph kind 'rmta' (did you mean 'rmat'?)"},
    {"fiel:x=1", "unknown graph kind 'fiel' (did you mean 'file'?)"},
    {"kron:scale=3", "unknown graph kind 'kron' (known kinds: uniform, rmat, file)"},
    /* keys */
    {"uniform:n=10,m=5,sede=3", "unknown key 'sede' in uniform spec (did you mean 'seed'?)"},
    {"uniform:n=10,m=5,seeds=3", "unknown key 'seeds' in uniform spec (did you mean 'seed'?)"},
    {"uniform:N=10,m=5", "unknown key 'N' in uniform spec (did you mean 'n'?)"},
    {"uniform:n=10,m=5,weight=unit",
     "unknown key 'weight' in uniform spec (did you mean 'weights'?)"},
    {"uniform:n=10,m=5,zzz=3",
     "unknown key 'zzz' in uniform spec (known keys: n, m, seed, sym, weights)"},
    {"uniform:n=10,m=5,scale=3",
     "unknown key 'scale' in uniform spec (known keys: n, m, seed, sym, weights)"},
    {"uniform:n=10,m=5,format=mtx",
     "unknown key 'format' in uniform spec (known keys: n, m, seed, sym, weights)"},
    {"rmat:scale=3,ef=2,d=0.1",
     "unknown key 'd' in rmat spec (known keys: scale, ef, a, b, c, seed, sym, weights)"},
    {"rmat:scale=3,edgefactor=2",
     "unknown key 'edgefactor' in rmat spec (known keys: scale, ef, a, b, c, seed, sym, "
     "weights)"},
    {"rmat:scael=3", "unknown key 'scael' in rmat spec (did you mean 'scale'?)"},
    {"file:g.txt,seed=3", "unknown key 'seed' in file spec (known keys: sym, weights, format)"},
    {"file:g.txt,fromat=mtx", "unknown key 'fromat' in file spec (did you mean 'format'?)"},
    {"uniform:n=1,m=1,seed=1,seed=2", "duplicate key 'seed' in uniform spec"},
    {"uniform:n=1,m=1,n=1", "duplicate key 'n' in uniform spec"},
    {"file:g.txt,sym=1,sym=1", "duplicate key 'sym' in file spec"},
    /* required keys */
    {"uniform:n=10", "uniform spec needs m=EDGES"},
    {"uniform:m=10", "uniform spec needs n=NODES"},
    {"uniform:", "uniform spec needs n=NODES"},
    {"rmat:ef=3", "rmat spec needs scale=LOG2NODES"},
    {"rmat:", "rmat spec needs scale=LOG2NODES"},
    {"file:", "file spec needs a path"},
    {"file:,sym=1", "file spec needs a path"},
    /* item syntax */
    {"uniform:n=1,m=1,", "empty item in uniform spec (stray ',')"},
    {"uniform:n=1,,m=1", "empty item in uniform spec (stray ',')"},
    {"uniform:,n=1,m=1", "empty item in uniform spec (stray ',')"},
    {"file:g.txt,sym=1,", "empty item in file spec (stray ',')"},
    {"uniform:n=1,m", "expected key=value, got 'm' in uniform spec"},
    {"uniform:n=1,=5", "expected key=value, got '=5' in uniform spec"},
    {"uniform:foo", "expected key=value, got 'foo' in uniform spec"},
    {"uniform:n=,m=1", "missing value for n in uniform spec"},
    {"rmat:scale=3,seed=", "missing value for seed in rmat spec"},
    /* integers */
    {"uniform:n=-5,m=1", "bad value '-5' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=+5,m=1", "bad value '+5' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=12x,m=1",
     "bad value '12x' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=1 ,m=1", "bad value '1 ' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=1.5,m=1",
     "bad value '1.5' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=1e-1,m=1",
     "bad value '1e-1' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=10M,m=1",
     "bad value '10M' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=0x10,m=1",
     "bad value '0x10' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=1e,m=1", "bad value '1e' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=5.,m=1", "bad value '5.' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=.,m=1", "bad value '.' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=1..0,m=1",
     "bad value '1..0' for n in uniform spec (expected a non-negative integer)"},
    {"uniform:n=1,m=1,seed=one",
     "bad value 'one' for seed in uniform spec (expected a non-negative integer)"},
    {"uniform:n=0,m=1", "value '0' for n in uniform spec is out of range (1..4294967295)"},
    {"uniform:n=0e5,m=1", "value '0e5' for n in uniform spec is out of range (1..4294967295)"},
    {"uniform:n=4294967296,m=1",
     "value '4294967296' for n in uniform spec is out of range (1..4294967295)"},
    {"uniform:n=5e9,m=1", "value '5e9' for n in uniform spec is out of range (1..4294967295)"},
    {"uniform:n=1,m=18446744073709551616",
     "value '18446744073709551616' for m in uniform spec is out of range "
     "(0..18446744073709551615)"},
    {"uniform:n=1,m=1e20",
     "value '1e20' for m in uniform spec is out of range (0..18446744073709551615)"},
    {"uniform:n=1,m=1e99999999",
     "value '1e99999999' for m in uniform spec is out of range (0..18446744073709551615)"},
    {"uniform:n=1,m=1,seed=99999999999999999999999999999999999999999999999999999999999999999999",
     "value '99999999999999999999999999999999999999999999999999999999999999999999' for seed in "
     "uniform spec is out of range (0..18446744073709551615)"},
    {"rmat:scale=0", "value '0' for scale in rmat spec is out of range (1..31)"},
    {"rmat:scale=32", "value '32' for scale in rmat spec is out of range (1..31)"},
    {"rmat:scale=5,ef=0", "value '0' for ef in rmat spec is out of range (1..4294967295)"},
    /* probabilities */
    {"rmat:scale=5,a=1.5", "value '1.5' for a in rmat spec is out of range (0..1)"},
    {"rmat:scale=5,c=2e0", "value '2e0' for c in rmat spec is out of range (0..1)"},
    {"rmat:scale=5,a=-0.1", "bad value '-0.1' for a in rmat spec (expected a number in [0, 1])"},
    {"rmat:scale=5,b=nan", "bad value 'nan' for b in rmat spec (expected a number in [0, 1])"},
    {"rmat:scale=5,b=inf", "bad value 'inf' for b in rmat spec (expected a number in [0, 1])"},
    {"rmat:scale=5,a=0x0.8", "bad value '0x0.8' for a in rmat spec (expected a number in [0, 1])"},
    {"rmat:scale=5,a=0.5.5", "bad value '0.5.5' for a in rmat spec (expected a number in [0, 1])"},
    {"rmat:scale=5,a=0.5,b=0.5,c=0.5", "rmat spec needs a+b+c <= 1, got a=0.5 b=0.5 c=0.5"},
    {"rmat:scale=5,a=0.9", "rmat spec needs a+b+c <= 1, got a=0.9 b=0.19 c=0.19"},
    /* enumerations */
    {"uniform:n=1,m=1,sym=2", "bad value '2' for sym in uniform spec (expected 0 or 1)"},
    {"uniform:n=1,m=1,sym=yes", "bad value 'yes' for sym in uniform spec (expected 0 or 1)"},
    {"uniform:n=1,m=1,weights=heavy",
     "bad value 'heavy' for weights in uniform spec (expected none, unit or uniform)"},
    {"file:g,format=csv",
     "bad value 'csv' for format in file spec (expected auto, edgelist, mtx or snapshot)"},
    {"file:g,format=MTX",
     "bad value 'MTX' for format in file spec (expected auto, edgelist, mtx or snapshot)"},
};

START_TEST(test_errors)
{
    size_t i;
    for (i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
        gr_spec s;
        gr_error err;
        gr_error_clear(&err);
        ck_assert_msg(gr_spec_parse(bad_specs[i].text, &s, &err) == GR_ERR_PARSE,
                      "'%s' was accepted", bad_specs[i].text);
        ck_assert_int_eq(err.code, GR_ERR_PARSE);
        ck_assert_msg(strcmp(err.msg, bad_specs[i].msg) == 0, "'%s':\n got  %s\n want %s",
                      bad_specs[i].text, err.msg, bad_specs[i].msg);
        ck_assert_ptr_null(strchr(err.msg, '\n'));
        /* NULL error records are allowed. */
        ck_assert_int_eq(gr_spec_parse(bad_specs[i].text, &s, NULL), GR_ERR_PARSE);
    }
}
END_TEST

START_TEST(test_error_keeps_out)
{
    gr_spec s;
    gr_error err;
    parse_ok("uniform:n=7,m=8", &s);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spec_parse("uniform:n=9,m=x", &s, &err), GR_ERR_PARSE);
    ck_assert_uint_eq(s.n, 7);
    ck_assert_int_eq(gr_spec_parse(NULL, &s, &err), GR_ERR_PARSE);
}
END_TEST

START_TEST(test_long_path)
{
    char text[1200];
    gr_spec s;
    gr_error err;
    memset(text, 'a', 1100);
    text[1100] = '\0';
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spec_parse(text, &s, &err), GR_ERR_PARSE);
    ck_assert_str_eq(err.msg, "file path too long (1100 bytes, max 1023)");
    memcpy(text, "file:", 5);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spec_parse(text, &s, &err), GR_ERR_PARSE);
    ck_assert_str_eq(err.msg, "file path too long (1095 bytes, max 1023)");
    text[1023] = '\0';
    parse_ok(text + 5, &s); /* 1018 bytes */
    memset(text, 'b', 1023);
    text[1023] = '\0';
    parse_ok(text, &s); /* exactly 1023 */
    ck_assert_uint_eq(strlen(s.path), 1023);
}
END_TEST

/* ---- gr_spec_graph --------------------------------------------------- */

static gr_graph *spec_graph_ok(const char *text)
{
    gr_spec s;
    gr_graph *g = NULL;
    gr_error err;
    parse_ok(text, &s);
    gr_error_clear(&err);
    ck_assert_msg(gr_spec_graph(&s, &g, &err) == GR_OK, "'%s': %s", text, err.msg);
    ck_assert_int_eq(gr_graph_validate(g, &err), GR_OK);
    return g;
}

START_TEST(test_graph_generators)
{
    gr_graph *g, *h = NULL;
    gr_edges e;
    g = spec_graph_ok("uniform:n=500,m=3000,seed=5");
    ck_assert_uint_eq(g->n, 500);
    ck_assert_uint_eq(g->m, 3000);
    ck_assert_ptr_null(g->out_w);
    ck_assert_int_eq(gr_gen_uniform(500, 3000, 5, &e, NULL), GR_OK);
    ck_assert_int_eq(gr_graph_build(&e, 500, 0, &h, NULL), GR_OK);
    ck_assert_uint_eq(gr_graph_digest(g), gr_graph_digest(h));
    gr_graph_free(&h);
    gr_graph_free(&g);
    /* sym=1 and weights=uniform: weights by seed+1 on the edge list, then
     * symmetrized. */
    g = spec_graph_ok("uniform:n=500,m=3000,seed=5,sym=1,weights=uniform");
    ck_assert_int_eq(g->symmetric, 1);
    ck_assert_ptr_eq(g->in_adj, g->out_adj);
    ck_assert_int_eq(gr_gen_weights(&e, 1.0, 10.0, 6, NULL), GR_OK);
    ck_assert_int_eq(gr_graph_build(&e, 500, GR_BUILD_SYMMETRIZE, &h, NULL), GR_OK);
    ck_assert_uint_eq(gr_graph_digest(g), gr_graph_digest(h));
    gr_graph_free(&h);
    gr_graph_free(&g);
    gr_edges_release(&e);
    /* rmat */
    g = spec_graph_ok("rmat:scale=9,ef=4,a=0.6,b=0.2,c=0.1,seed=3,weights=unit");
    ck_assert_uint_eq(g->n, 512);
    ck_assert_uint_eq(g->m, 2048);
    ck_assert_int_eq(gr_gen_rmat(9, 4, 0.6, 0.2, 0.1, 3, &e, NULL), GR_OK);
    {
        uint64_t k, bad = 0;
        for (k = 0; k < g->m; k++) {
            bad += g->out_w[k] != 1.0 || g->in_w[k] != 1.0;
        }
        ck_assert_uint_eq(bad, 0);
        e.w = malloc(e.m * sizeof *e.w);
        ck_assert_ptr_nonnull(e.w);
        for (k = 0; k < e.m; k++) {
            e.w[k] = 1.0;
        }
        e.weighted = 1;
        /* gr_edges_release frees with gr_free, which is free(). */
    }
    ck_assert_int_eq(gr_graph_build(&e, 512, 0, &h, NULL), GR_OK);
    ck_assert_uint_eq(gr_graph_digest(g), gr_graph_digest(h));
    gr_graph_free(&h);
    gr_graph_free(&g);
    gr_edges_release(&e);
    /* The same spec twice: the same graph. */
    g = spec_graph_ok("rmat:scale=10,seed=8,weights=uniform");
    h = spec_graph_ok("rmat:scale=10,seed=8,weights=uniform");
    ck_assert_uint_eq(gr_graph_digest(g), gr_graph_digest(h));
    {
        uint64_t k, bad = 0;
        for (k = 0; k < g->m; k++) {
            bad += !(g->out_w[k] >= 1.0 && g->out_w[k] < 10.0);
        }
        ck_assert_uint_eq(bad, 0);
    }
    gr_graph_free(&h);
    gr_graph_free(&g);
    /* m = 0: n isolated nodes. */
    g = spec_graph_ok("uniform:n=4,m=0");
    ck_assert_uint_eq(g->n, 4);
    ck_assert_uint_eq(g->m, 0);
    gr_graph_free(&g);
}
END_TEST

START_TEST(test_graph_invalid_spec)
{
    gr_spec s;
    gr_graph *g = (gr_graph *)&s;
    gr_error err;
    parse_ok("rmat:scale=5", &s);
    s.a = 0.9; /* edited after parsing: the generator's check applies */
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spec_graph(&s, &g, &err), GR_ERR_INVALID);
    ck_assert_ptr_null(g);
    ck_assert_str_eq(err.msg, "R-MAT probabilities need a, b, c >= 0 and a+b+c <= 1, "
                              "got a=0.9 b=0.19 c=0.19");
    parse_ok("uniform:n=5,m=5", &s);
    s.weights = 7;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spec_graph(&s, &g, &err), GR_ERR_INVALID);
    ck_assert_str_eq(err.msg, "spec has unknown weights mode 7");
}
END_TEST

START_TEST(test_graph_files)
{
    char path[600], text[700];
    gr_graph *g;
    gr_spec s;
    gr_error err;
    uint64_t k;
    snprintf(path, sizeof path, "%s",
             tu_write_temp(".txt", "# a triangle and a self-loop\n10 20\n20 30\n30 10\n10 10\n"));
    /* A bare path: loaded as it is. */
    g = spec_graph_ok(path);
    ck_assert_uint_eq(g->n, 3);
    ck_assert_uint_eq(g->m, 4);
    ck_assert_ptr_null(g->out_w);
    ck_assert_int_eq(gr_graph_dense_id(g, 20), 1);
    gr_graph_free(&g);
    /* sym=1: three edges both ways, the self-loop once. */
    snprintf(text, sizeof text, "file:%s,sym=1", path);
    g = spec_graph_ok(text);
    ck_assert_uint_eq(g->m, 7);
    ck_assert_int_eq(g->symmetric, 1);
    gr_graph_free(&g);
    /* weights=unit keeps the original ids. */
    snprintf(text, sizeof text, "file:%s,weights=unit,format=edgelist", path);
    g = spec_graph_ok(text);
    ck_assert_uint_eq(g->m, 4);
    ck_assert_ptr_nonnull(g->out_w);
    for (k = 0; k < g->m; k++) {
        ck_assert(g->out_w[k] == 1.0 && g->in_w[k] == 1.0);
    }
    ck_assert_int_eq(gr_graph_orig_id(g, 2), 30);
    gr_graph_free(&g);
    /* weights=uniform with sym=1: one weight per input edge, both ways. */
    snprintf(text, sizeof text, "file:%s,sym=1,weights=uniform", path);
    g = spec_graph_ok(text);
    ck_assert_uint_eq(g->m, 7);
    ck_assert_int_eq(g->symmetric, 1);
    for (k = 0; k < g->m; k++) {
        ck_assert(g->out_w[k] >= 1.0 && g->out_w[k] < 10.0);
    }
    ck_assert_int_eq(gr_graph_dense_id(g, 10), 0);
    gr_graph_free(&g);
    unlink(path);
    /* A file's own weights are kept by weights=none, replaced by unit. */
    snprintf(path, sizeof path, "%s", tu_write_temp(".txt", "0 1 2.5\n1 2 0.25\n"));
    g = spec_graph_ok(path);
    ck_assert_ptr_nonnull(g->out_w);
    ck_assert(g->out_w[0] == 2.5 && g->out_w[1] == 0.25);
    gr_graph_free(&g);
    snprintf(text, sizeof text, "file:%s,weights=unit", path);
    g = spec_graph_ok(text);
    ck_assert(g->out_w[0] == 1.0 && g->out_w[1] == 1.0);
    gr_graph_free(&g);
    /* Loader errors come through. */
    parse_ok("/nonexistent/dir/graph.txt", &s);
    g = (gr_graph *)&s;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spec_graph(&s, &g, &err), GR_ERR_IO);
    ck_assert_ptr_null(g);
    snprintf(text, sizeof text, "file:%s,format=mtx", path);
    parse_ok(text, &s);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spec_graph(&s, &g, &err), GR_ERR_PARSE);
    s.weights = GR_WEIGHTS_UNIFORM;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spec_graph(&s, &g, &err), GR_ERR_PARSE);
    ck_assert_ptr_null(g);
    unlink(path);
}
END_TEST

START_TEST(test_graph_nomem)
{
    char path[600], text[700];
    const char *texts[] = {"uniform:n=300,m=2000,seed=2,sym=1,weights=uniform",
                           "rmat:scale=8,ef=4,weights=unit", text};
    size_t t;
    snprintf(path, sizeof path, "%s", tu_write_temp(".txt", "5 6\n6 7\n7 5\n5 5\n8 9\n"));
    snprintf(text, sizeof text, "file:%s,sym=1,weights=uniform", path);
    for (t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        gr_spec s;
        gr_graph *want, *g = NULL;
        gr_error err;
        long k;
        int rc;
        want = spec_graph_ok(texts[t]);
        parse_ok(texts[t], &s);
        for (k = 0;; k++) {
            gr_error_clear(&err);
            gr_mem_fail_after(k);
            rc = gr_spec_graph(&s, &g, &err);
            gr_mem_fail_after(-1);
            if (rc == GR_OK) {
                break;
            }
            ck_assert_int_eq(rc, GR_ERR_NOMEM);
            ck_assert_int_eq(err.code, GR_ERR_NOMEM);
            ck_assert_ptr_nonnull(strstr(err.msg, "out of memory"));
            ck_assert_ptr_null(g);
            ck_assert_int_lt(k, 200);
        }
        ck_assert_int_gt(k, 2);
        ck_assert_uint_eq(gr_graph_digest(g), gr_graph_digest(want));
        gr_graph_free(&g);
        gr_graph_free(&want);
    }
    unlink(path);
}
END_TEST

static Suite *spec_suite(void)
{
    Suite *s = suite_create("spec");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_canonical);
    tcase_add_test(tc, test_format_built_specs);
    tcase_add_test(tc, test_format_truncates);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_error_keeps_out);
    tcase_add_test(tc, test_long_path);
    tcase_add_test(tc, test_graph_generators);
    tcase_add_test(tc, test_graph_invalid_spec);
    tcase_add_test(tc, test_graph_files);
    tcase_add_test(tc, test_graph_nomem);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(spec_suite()); }
