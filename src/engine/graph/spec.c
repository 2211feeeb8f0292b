/*
 * spec.c - graph spec strings: gr_spec_parse, gr_spec_format, gr_spec_graph.
 *
 * A spec names a graph wherever one is taken:
 *     uniform:n=1000,m=5000,seed=42
 *     rmat:scale=20,ef=16,a=0.57,b=0.19,c=0.19,seed=1
 *     path/to/graph.txt                 (anything without a kind prefix)
 *     file:path/to/graph.mtx,sym=1,format=mtx
 * Common keys: sym=0|1, weights=none|unit|uniform.  The keys live in one
 * table (name, kinds it applies to, kinds that require it, value type), in
 * canonical print order; parsing, printing, "did you mean" suggestions and
 * the "needs" messages are all driven by it.
 *
 * Integers are plain digits or scientific notation that denotes an exact
 * integer (1e6, 2.5e3); nothing else (no signs, no suffixes, no fractions).
 * Errors are GR_ERR_PARSE with one line naming the key, value and spec kind.
 *
 * A file path ends at the first ',' that starts a "key=" item, so a path
 * containing such text cannot be written in the file: form; plain paths
 * are taken verbatim.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"
#include "engine/graph/prng.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the key table -------------------------------------------------- */

enum { K_UNIFORM = 1, K_RMAT = 2, K_FILE = 4, K_ALL = 7 }; /* 1 << GR_SPEC_* */

typedef enum vtype {
    V_U32,      /* uint32_t in [lo, hi] */
    V_UNS,      /* unsigned in [lo, hi] */
    V_U64,      /* uint64_t in [lo, hi] */
    V_PROB,     /* double in [0, 1] */
    V_BOOL,     /* int, 0 | 1 */
    V_WEIGHTS,  /* int, a GR_WEIGHTS_* named by weight_names */
    V_FORMAT    /* gr_format named by format_names */
} vtype;

typedef struct key_def {
    const char *name;
    unsigned kinds;       /* K_* the key applies to */
    unsigned required;    /* K_* that must give it */
    vtype type;
    size_t field;         /* offsetof the value in gr_spec */
    uint64_t lo, hi;      /* integers: the accepted range */
    const char *meta;     /* placeholder in "needs" messages */
} key_def;

#define F(x) offsetof(gr_spec, x)

/* Canonical order. */
static const key_def keys[] = {
    {"n", K_UNIFORM, K_UNIFORM, V_U32, F(n), 1, UINT32_MAX, "NODES"},
    {"m", K_UNIFORM, K_UNIFORM, V_U64, F(m), 0, UINT64_MAX, "EDGES"},
    {"scale", K_RMAT, K_RMAT, V_UNS, F(scale), 1, 31, "LOG2NODES"},
    {"ef", K_RMAT, 0, V_UNS, F(ef), 1, UINT32_MAX, "EDGEFACTOR"},
    {"a", K_RMAT, 0, V_PROB, F(a), 0, 0, "P"},
    {"b", K_RMAT, 0, V_PROB, F(b), 0, 0, "P"},
    {"c", K_RMAT, 0, V_PROB, F(c), 0, 0, "P"},
    {"seed", K_UNIFORM | K_RMAT, 0, V_U64, F(seed), 0, UINT64_MAX, "SEED"},
    {"sym", K_ALL, 0, V_BOOL, F(sym), 0, 1, "0|1"},
    {"weights", K_ALL, 0, V_WEIGHTS, F(weights), 0, 0, "none|unit|uniform"},
    {"format", K_FILE, 0, V_FORMAT, F(format), 0, 0, "auto|edgelist|mtx|snapshot"},
};
#define NKEYS (sizeof keys / sizeof keys[0])
#undef F

/* Indexed by GR_SPEC_*, GR_WEIGHTS_* and gr_format. */
static const char *const kind_names[] = {"uniform", "rmat", "file"};
static const char *const weight_names[] = {"none", "unit", "uniform"};
static const char *const format_names[] = {"auto", "edgelist", "mtx", "snapshot"};
#define NKINDS 3
#define NWEIGHTS 3
#define NFORMATS 4

#define DEFAULT_SEED 1
#define DEFAULT_EF 16
#define DEFAULT_A 0.57
#define DEFAULT_B 0.19
#define DEFAULT_C 0.19

static unsigned kind_bit(int kind) { return 1u << kind; }

/* ---- small helpers --------------------------------------------------- */

static int same_ci(char x, char y)
{
    return tolower((unsigned char)x) == tolower((unsigned char)y);
}

/* Optimal-string-alignment distance (edits, adjacent swaps count one),
 * ignoring case, or a large number for long strings. */
static size_t edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b), i, j;
    size_t d[33][33];
    if (na > 32 || nb > 32) {
        return 99;
    }
    for (i = 0; i <= na; i++) {
        d[i][0] = i;
    }
    for (j = 0; j <= nb; j++) {
        d[0][j] = j;
    }
    for (i = 1; i <= na; i++) {
        for (j = 1; j <= nb; j++) {
            size_t cost = same_ci(a[i - 1], b[j - 1]) ? 0 : 1;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) {
                best = d[i][j - 1] + 1;
            }
            if (d[i - 1][j - 1] + cost < best) {
                best = d[i - 1][j - 1] + cost;
            }
            if (i > 1 && j > 1 && same_ci(a[i - 1], b[j - 2]) && same_ci(a[i - 2], b[j - 1]) &&
                d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1;
            }
            d[i][j] = best;
        }
    }
    return d[na][nb];
}

/* The candidate closest to word (first on ties), or NULL when none is close:
 * at most 2 edits, and fewer than the word's length. */
static const char *closest(const char *word, size_t len, const char *const *cand,
                           size_t ncand)
{
    const char *best = NULL;
    size_t bestd = 3, i;
    for (i = 0; i < ncand; i++) {
        size_t d = edit_distance(word, len, cand[i]);
        if (d < bestd && d < len) {
            best = cand[i];
            bestd = d;
        }
    }
    return best;
}

static int is_ident_start(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static int is_ident(char ch)
{
    return is_ident_start(ch) || (ch >= '0' && ch <= '9');
}

/* Length of an identifier followed by '=' at s, or 0. */
static size_t key_eq_len(const char *s)
{
    size_t i = 0;
    if (!is_ident_start(s[0])) {
        return 0;
    }
    while (is_ident(s[i])) {
        i++;
    }
    return s[i] == '=' ? i : 0;
}

/* Does text look like KIND:key=...?  Returns the length of KIND or 0. */
static size_t kind_prefix_len(const char *text)
{
    size_t i = 0;
    if (!is_ident_start(text[0])) {
        return 0;
    }
    while (is_ident(text[i]) || text[i] == '-') {
        i++;
    }
    return text[i] == ':' && key_eq_len(text + i + 1) ? i : 0;
}

/* The GR_SPEC_* kind whose prefix ("uniform:", ...) text starts with, or -1. */
static int known_prefix(const char *text)
{
    size_t k;
    for (k = 0; k < NKINDS; k++) {
        size_t len = strlen(kind_names[k]);
        if (strncmp(text, kind_names[k], len) == 0 && text[len] == ':') {
            return (int)k;
        }
    }
    return -1;
}

/* ---- numbers --------------------------------------------------------- */

enum { NUM_OK = 0, NUM_SYNTAX = -1, NUM_RANGE = -2 };

/* Parse an exact non-negative integer: digits with an optional fraction and
 * exponent ("2.5e3"), whose value must be a whole number <= max. */
static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    char digits[64];
    size_t nd = 0, i = 0, frac = 0;
    int seen_digit = 0, seen_point = 0;
    long exp = 0, scale;
    uint64_t v = 0;
    for (; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
        if (s[i] == '.') {
            if (seen_point) {
                return NUM_SYNTAX;
            }
            seen_point = 1;
            continue;
        }
        seen_digit = 1;
        if (seen_point) {
            frac++;
        }
        if (nd == 0 && s[i] == '0') {
            continue; /* leading zeros carry no value */
        }
        if (nd == sizeof digits) {
            return NUM_RANGE;
        }
        digits[nd++] = s[i];
    }
    if (!seen_digit) {
        return NUM_SYNTAX;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int neg = 0, seen = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            neg = s[i] == '-';
            i++;
        }
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            seen = 1;
            if (exp < 10000) {
                exp = exp * 10 + (s[i] - '0');
            }
        }
        if (!seen) {
            return NUM_SYNTAX;
        }
        if (neg) {
            exp = -exp;
        }
    } else if (seen_point && frac == 0 && i == len) {
        return NUM_SYNTAX; /* "5." */
    }
    if (i != len) {
        return NUM_SYNTAX;
    }
    /* value = digits * 10^scale, where frac digits were after the point.
     * Leading zeros after the point were dropped from digits but counted
     * in frac, which is right: 0.05e2 = 5 * 10^(2-2). */
    scale = exp - (long)frac;
    while (scale < 0 && nd > 0) {
        if (digits[nd - 1] != '0') {
            return NUM_SYNTAX; /* not a whole number */
        }
        nd--;
        scale++;
    }
    for (i = 0; i < nd; i++) {
        uint64_t d = (uint64_t)(digits[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return NUM_RANGE;
        }
        v = v * 10 + d;
    }
    for (; v != 0 && scale > 0; scale--) {
        if (v > UINT64_MAX / 10) {
            return NUM_RANGE;
        }
        v *= 10;
    }
    if (v > max) {
        return NUM_RANGE;
    }
    *out = v;
    return NUM_OK;
}

/* Parse a probability: a plain decimal number (no sign, no inf/nan). */
static int parse_prob(const char *s, size_t len, double *out)
{
    char buf[64];
    char *end;
    size_t i;
    double v;
    if (len == 0 || len >= sizeof buf || !((s[0] >= '0' && s[0] <= '9') || s[0] == '.')) {
        return NUM_SYNTAX;
    }
    for (i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' ||
              ch == '+' || ch == '-')) {
            return NUM_SYNTAX;
        }
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    v = strtod(buf, &end);
    if (end != buf + len) {
        return NUM_SYNTAX;
    }
    if (!(v >= 0.0 && v <= 1.0)) {
        return NUM_RANGE;
    }
    *out = v;
    return NUM_OK;
}

/* The shortest %g text that reads back as exactly x. */
static void format_double(double x, char *buf, size_t n)
{
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) {
            return;
        }
    }
}

/* Index of name (len bytes) in a table of words, or -1. */
static int word_index(const char *s, size_t len, const char *const *words, size_t nwords)
{
    size_t i;
    for (i = 0; i < nwords; i++) {
        if (strlen(words[i]) == len && strncmp(s, words[i], len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- parsing --------------------------------------------------------- */

static int bad_value(gr_error *err, const key_def *k, const char *v, size_t vlen,
                     const char *kind, const char *expect)
{
    return gr_err(err, GR_ERR_PARSE, "bad value '%.*s' for %s in %s spec (expected %s)",
                  (int)vlen, v, k->name, kind, expect);
}

static int out_of_range(gr_error *err, const key_def *k, const char *v, size_t vlen,
                        const char *kind, const char *range)
{
    return gr_err(err, GR_ERR_PARSE, "value '%.*s' for %s in %s spec is out of range (%s)",
                  (int)vlen, v, k->name, kind, range);
}

/* Store the value text v (vlen bytes) of key k into s. */
static int set_value(gr_spec *s, const key_def *k, const char *v, size_t vlen,
                     const char *kind, gr_error *err)
{
    void *field = (char *)s + k->field;
    uint64_t u = 0;
    double d = 0;
    char range[48];
    int r, idx;
    switch (k->type) {
    case V_U32:
    case V_UNS:
    case V_U64:
        r = parse_uint(v, vlen, k->hi, &u);
        if (r == NUM_OK && u < k->lo) {
            r = NUM_RANGE;
        }
        if (r == NUM_SYNTAX) {
            return bad_value(err, k, v, vlen, kind, "a non-negative integer");
        }
        if (r == NUM_RANGE) {
            snprintf(range, sizeof range, "%llu..%llu", (unsigned long long)k->lo,
                     (unsigned long long)k->hi);
            return out_of_range(err, k, v, vlen, kind, range);
        }
        if (k->type == V_U32) {
            *(uint32_t *)field = (uint32_t)u;
        } else if (k->type == V_UNS) {
            *(unsigned *)field = (unsigned)u;
        } else {
            *(uint64_t *)field = u;
        }
        return GR_OK;
    case V_PROB:
        r = parse_prob(v, vlen, &d);
        if (r == NUM_SYNTAX) {
            return bad_value(err, k, v, vlen, kind, "a number in [0, 1]");
        }
        if (r == NUM_RANGE) {
            return out_of_range(err, k, v, vlen, kind, "0..1");
        }
        *(double *)field = d;
        return GR_OK;
    case V_BOOL:
        if (vlen != 1 || (v[0] != '0' && v[0] != '1')) {
            return bad_value(err, k, v, vlen, kind, "0 or 1");
        }
        *(int *)field = v[0] == '1';
        return GR_OK;
    case V_WEIGHTS:
        if ((idx = word_index(v, vlen, weight_names, NWEIGHTS)) < 0) {
            return bad_value(err, k, v, vlen, kind, "none, unit or uniform");
        }
        *(int *)field = idx;
        return GR_OK;
    case V_FORMAT:
        if ((idx = word_index(v, vlen, format_names, NFORMATS)) < 0) {
            return bad_value(err, k, v, vlen, kind, "auto, edgelist, mtx or snapshot");
        }
        *(gr_format *)field = (gr_format)idx;
        return GR_OK;
    }
    return gr_err(err, GR_ERR_INTERNAL, "spec key '%s' has no value type", k->name);
}

/* "n, m, seed, sym, weights": the keys of a kind. */
static void known_keys(unsigned kbit, char *buf, size_t n)
{
    size_t i, used = 0;
    buf[0] = '\0';
    for (i = 0; i < NKEYS; i++) {
        if (keys[i].kinds & kbit) {
            int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", keys[i].name);
            if (w < 0 || (size_t)w >= n - used) {
                return;
            }
            used += (size_t)w;
        }
    }
}

static int unknown_key(const char *key, size_t klen, unsigned kbit, const char *kind,
                       gr_error *err)
{
    const char *names[NKEYS];
    size_t i, nn = 0;
    const char *best;
    char list[128];
    for (i = 0; i < NKEYS; i++) {
        if (keys[i].kinds & kbit) {
            names[nn++] = keys[i].name;
        }
    }
    best = closest(key, klen, names, nn);
    if (best) {
        return gr_err(err, GR_ERR_PARSE, "unknown key '%.*s' in %s spec (did you mean '%s'?)",
                      (int)klen, key, kind, best);
    }
    known_keys(kbit, list, sizeof list);
    return gr_err(err, GR_ERR_PARSE, "unknown key '%.*s' in %s spec (known keys: %s)",
                  (int)klen, key, kind, list);
}

/* Parse "key=value,key=value..." (p may be empty) for spec kind s->kind. */
static int parse_items(const char *p, gr_spec *s, gr_error *err)
{
    const char *kind = kind_names[s->kind];
    unsigned kbit = kind_bit((int)s->kind);
    unsigned char seen[NKEYS] = {0};
    size_t i;
    int rc;
    while (*p) {
        const char *item = p, *eq, *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p), klen;
        const key_def *k = NULL;
        if (len == 0) {
            return gr_err(err, GR_ERR_PARSE, "empty item in %s spec (stray ',')", kind);
        }
        eq = memchr(item, '=', len);
        if (!eq || eq == item) {
            return gr_err(err, GR_ERR_PARSE, "expected key=value, got '%.*s' in %s spec",
                          (int)len, item, kind);
        }
        klen = (size_t)(eq - item);
        for (i = 0; i < NKEYS; i++) {
            if ((keys[i].kinds & kbit) && strlen(keys[i].name) == klen &&
                strncmp(keys[i].name, item, klen) == 0) {
                k = &keys[i];
                break;
            }
        }
        if (!k) {
            return unknown_key(item, klen, kbit, kind, err);
        }
        if (seen[i]) {
            return gr_err(err, GR_ERR_PARSE, "duplicate key '%s' in %s spec", k->name, kind);
        }
        seen[i] = 1;
        if (eq + 1 == item + len) {
            return gr_err(err, GR_ERR_PARSE, "missing value for %s in %s spec", k->name, kind);
        }
        if ((rc = set_value(s, k, eq + 1, len - klen - 1, kind, err)) < 0) {
            return rc;
        }
        p = end ? end + 1 : item + len;
        if (end && !*p) {
            return gr_err(err, GR_ERR_PARSE, "empty item in %s spec (stray ',')", kind);
        }
    }
    for (i = 0; i < NKEYS; i++) {
        if ((keys[i].required & kbit) && !seen[i]) {
            return gr_err(err, GR_ERR_PARSE, "%s spec needs %s=%s", kind, keys[i].name,
                          keys[i].meta);
        }
    }
    return GR_OK;
}

static int set_path(gr_spec *s, const char *path, size_t len, gr_error *err)
{
    if (len == 0) {
        return gr_err(err, GR_ERR_PARSE, "file spec needs a path");
    }
    if (len >= sizeof s->path) {
        return gr_err(err, GR_ERR_PARSE, "file path too long (%zu bytes, max %zu)", len,
                      sizeof s->path - 1);
    }
    memcpy(s->path, path, len);
    s->path[len] = '\0';
    return GR_OK;
}

int gr_spec_parse(const char *text, gr_spec *out, gr_error *err)
{
    gr_spec s;
    int kind, rc;
    size_t klen;
    memset(&s, 0, sizeof s);
    s.seed = DEFAULT_SEED;
    s.ef = DEFAULT_EF;
    s.a = DEFAULT_A;
    s.b = DEFAULT_B;
    s.c = DEFAULT_C;
    s.format = GR_FORMAT_AUTO;
    s.weights = GR_WEIGHTS_NONE;
    if (!text || !*text) {
        return gr_err(err, GR_ERR_PARSE, "empty graph spec");
    }
    kind = known_prefix(text); /* a GR_SPEC_* kind, or -1 */
    if (kind == GR_SPEC_FILE) {
        /* file:PATH[,key=value...]: the path ends where a key= item starts. */
        const char *path = text + strlen("file:"), *p = path;
        s.kind = GR_SPEC_FILE;
        while (*p && !(*p == ',' && key_eq_len(p + 1))) {
            p++;
        }
        if ((rc = set_path(&s, path, (size_t)(p - path), err)) < 0) {
            return rc;
        }
        if ((rc = parse_items(*p ? p + 1 : p, &s, err)) < 0) {
            return rc;
        }
    } else if (kind >= 0) {
        s.kind = kind;
        if ((rc = parse_items(text + strlen(kind_names[kind]) + 1, &s, err)) < 0) {
            return rc;
        }
        if (s.kind == GR_SPEC_RMAT && !(s.a + s.b + s.c <= 1.0 + GR_RMAT_SUM_SLACK)) {
            char a[32], b[32], c[32];
            format_double(s.a, a, sizeof a);
            format_double(s.b, b, sizeof b);
            format_double(s.c, c, sizeof c);
            return gr_err(err, GR_ERR_PARSE, "rmat spec needs a+b+c <= 1, got a=%s b=%s c=%s",
                          a, b, c);
        }
    } else if ((klen = kind_prefix_len(text)) > 0) {
        const char *best = closest(text, klen, kind_names, NKINDS);
        if (best) {
            return gr_err(err, GR_ERR_PARSE, "unknown graph kind '%.*s' (did you mean '%s'?)",
                          (int)klen, text, best);
        }
        return gr_err(err, GR_ERR_PARSE,
                      "unknown graph kind '%.*s' (known kinds: uniform, rmat, file)",
                      (int)klen, text);
    } else {
        s.kind = GR_SPEC_FILE;
        if ((rc = set_path(&s, text, strlen(text), err)) < 0) {
            return rc;
        }
    }
    *out = s;
    return GR_OK;
}

/* ---- printing -------------------------------------------------------- */

/* May a file spec be printed as its bare path? */
static int plain_path_ok(const gr_spec *s)
{
    return s->format == GR_FORMAT_AUTO && !s->sym && s->weights == GR_WEIGHTS_NONE &&
           s->path[0] && known_prefix(s->path) < 0 && kind_prefix_len(s->path) == 0;
}

/* The text of key k's value in s. */
static void format_value(const gr_spec *s, const key_def *k, char *v, size_t n)
{
    const void *field = (const char *)s + k->field;
    int idx;
    switch (k->type) {
    case V_U32: snprintf(v, n, "%lu", (unsigned long)*(const uint32_t *)field); break;
    case V_UNS: snprintf(v, n, "%u", *(const unsigned *)field); break;
    case V_U64: snprintf(v, n, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case V_PROB: format_double(*(const double *)field, v, n); break;
    case V_BOOL: snprintf(v, n, "%d", *(const int *)field ? 1 : 0); break;
    case V_WEIGHTS:
        idx = *(const int *)field;
        snprintf(v, n, "%s", idx >= 0 && idx < NWEIGHTS ? weight_names[idx] : "?");
        break;
    case V_FORMAT:
        idx = (int)*(const gr_format *)field;
        snprintf(v, n, "%s", idx >= 0 && idx < NFORMATS ? format_names[idx] : "?");
        break;
    }
}

/* Is key k at its default (and so left out of the canonical form)?  The
 * generators' own parameters are always printed. */
static int at_default(const gr_spec *s, const key_def *k)
{
    switch (k->type) {
    case V_BOOL: return !s->sym;
    case V_WEIGHTS: return s->weights == GR_WEIGHTS_NONE;
    case V_FORMAT: return s->format == GR_FORMAT_AUTO;
    default: return 0;
    }
}

const char *gr_spec_format(const gr_spec *s, char *buf, size_t n)
{
    size_t used, i;
    unsigned kbit;
    const char *sep;
    if (n == 0) {
        return buf;
    }
    if ((unsigned)s->kind > GR_SPEC_FILE) {
        snprintf(buf, n, "?");
        return buf;
    }
    if (s->kind == GR_SPEC_FILE && plain_path_ok(s)) {
        snprintf(buf, n, "%s", s->path);
        return buf;
    }
    kbit = kind_bit((int)s->kind);
    snprintf(buf, n, "%s:%s", kind_names[s->kind], s->kind == GR_SPEC_FILE ? s->path : "");
    used = strlen(buf);
    sep = s->kind == GR_SPEC_FILE ? "," : ""; /* a path comes before the keys */
    for (i = 0; i < NKEYS; i++) {
        char v[64];
        int w;
        if (!(keys[i].kinds & kbit) || at_default(s, &keys[i])) {
            continue;
        }
        format_value(s, &keys[i], v, sizeof v);
        w = snprintf(buf + used, n - used, "%s%s=%s", sep, keys[i].name, v);
        if (w < 0 || (size_t)w >= n - used) {
            break; /* truncated, as snprintf would */
        }
        used += (size_t)w;
        sep = ",";
    }
    return buf;
}

/* ---- making the graph ------------------------------------------------ */

/* Give every edge of e weight 1.0. */
static int unit_weights(gr_edges *e, gr_error *err)
{
    uint64_t i;
    if (!e->weighted || (e->cap && !e->w)) {
        double *w = NULL;
        if (e->cap && (e->cap > SIZE_MAX / sizeof *w ||
                       !(w = gr_realloc(e->w, e->cap * sizeof *w)))) {
            return gr_err_nomem(err, "edge weights");
        }
        e->w = w;
        e->weighted = 1;
    }
    for (i = 0; i < e->m; i++) {
        e->w[i] = 1.0;
    }
    return GR_OK;
}

static int apply_weights(const gr_spec *s, gr_edges *e, gr_error *err)
{
    switch (s->weights) {
    case GR_WEIGHTS_NONE: return GR_OK;
    case GR_WEIGHTS_UNIT: return unit_weights(e, err);
    case GR_WEIGHTS_UNIFORM: return gr_gen_weights(e, 1.0, 10.0, s->seed + 1, err);
    default:
        return gr_err(err, GR_ERR_INVALID, "spec has unknown weights mode %d", s->weights);
    }
}

/* A file spec: load; with weights, take the loaded edges (CSR order), weigh
 * them like generated ones and build again, keeping the original ids. */
static int file_graph(const gr_spec *s, unsigned flags, gr_graph **out, gr_error *err)
{
    gr_graph *g = NULL;
    gr_edges e;
    uint32_t u;
    int rc;
    if (s->weights == GR_WEIGHTS_NONE) {
        return gr_graph_load(s->path, s->format, flags, out, err);
    }
    gr_edges_init(&e, 0);
    TRY(gr_graph_load(s->path, s->format, 0, &g, err));
    TRY(gr_edges_reserve(&e, g->m, err));
    for (u = 0; u < g->n; u++) {
        uint64_t k;
        for (k = g->out_off[u]; k < g->out_off[u + 1]; k++) {
            e.src[e.m] = u;
            e.dst[e.m] = g->out_adj[k];
            e.m++;
        }
    }
    TRY(apply_weights(s, &e, err));
    TRY(gr_graph_build_ex(&e, g->n, flags, g->orig_id, out, err));
fail:
    gr_edges_release(&e);
    gr_graph_free(&g);
    return rc;
}

int gr_spec_graph(const gr_spec *s, gr_graph **out, gr_error *err)
{
    unsigned flags = s->sym ? GR_BUILD_SYMMETRIZE : 0;
    gr_edges e;
    uint32_t n = 0;
    int rc;
    *out = NULL;
    gr_edges_init(&e, 0);
    switch (s->kind) {
    case GR_SPEC_UNIFORM:
        TRY(gr_gen_uniform(s->n, s->m, s->seed, &e, err));
        n = s->n;
        break;
    case GR_SPEC_RMAT:
        TRY(gr_gen_rmat(s->scale, s->ef, s->a, s->b, s->c, s->seed, &e, err));
        n = (uint32_t)1 << s->scale;
        break;
    case GR_SPEC_FILE:
        return file_graph(s, flags, out, err);
    default:
        return gr_err(err, GR_ERR_INVALID, "spec has unknown kind %d", (int)s->kind);
    }
    TRY(apply_weights(s, &e, err));
    TRY(gr_graph_build(&e, n, flags, out, err));
fail:
    gr_edges_release(&e);
    return rc;
}
