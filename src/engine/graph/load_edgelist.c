/*
 * load_edgelist.c - SNAP-style text edge lists ("src dst [weight]" per
 * line; blanks or commas between fields; '#' and '%' comment lines).
 *
 * The file is mapped whole (load.c) and parsed in parallel: it is cut into
 * one chunk per thread at line boundaries, newlines are counted per chunk
 * to give each chunk its own slots (one per line, an upper bound on its
 * edges), and each thread parses its chunk with a hand-written lexer,
 * stopping at its first error.  The earliest error of the file is the
 * first error of the earliest failing chunk; only then is it turned into
 * file:line:col.  Whether the file is weighted is decided beforehand from
 * the first edge line.  Ids are kept as 32 bits, which is all but always
 * enough; a file with an id >= 2^32 is parsed a second time into 64-bit
 * ids.
 *
 * Original ids (any values < 2^63) become dense ids 0..n-1 in increasing
 * order.  When the largest id is small against the edge count, a bitmap
 * of the ids present with a per-word rank gives each id's dense id (and
 * when all of 0..max appear the ids already are the dense ids: nothing is
 * rewritten and no orig_id array is made); otherwise the ids are
 * radix-sorted, made unique, and looked up in a hash table.  The parsed
 * arrays then go to gr_graph_build_ex as they are.
 */
#include "config.h"
#include "gr.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/mem.h"
#include "engine/graph/graph_internal.h"
#include "engine/graph/load_internal.h"

#include <string.h>

#define PAR_MIN_BYTES ((size_t)1 << 20) /* smaller files parse on one thread */

/* What went wrong in a chunk. */
enum el_kind {
    EL_NONE = 0,
    EL_BAD_TOKEN,   /* an id that is not a number */
    EL_NEGATIVE,    /* "-5" */
    EL_OVERFLOW,    /* >= 2^63 */
    EL_TRUNCATED,   /* no target column */
    EL_TOO_MANY,    /* a fourth column (or a third in an unweighted file) */
    EL_BAD_WEIGHT,  /* a weight that is not a finite number */
    EL_W_EXTRA,     /* a weight where the first edge has none */
    EL_W_MISSING,   /* no weight where the first edge has one */
    EL_INTERNAL     /* more edges than slots: cannot happen */
};

/* One thread's share of the file. */
typedef struct el_chunk {
    const char *p;       /* first byte */
    const char *end;     /* one past the last byte, end[-1] == '\n' */
    uint64_t nslots;     /* slots reserved: an upper bound on its edges */
    uint64_t slot0;      /* first slot: the lines of earlier chunks */
    uint64_t m;          /* edges parsed */
    uint64_t e0;         /* index of the first edge in the whole list */
    uint64_t maxid;      /* largest id seen */
    int kind;            /* el_kind of the first error */
    const char *epos;    /* where it is */
} el_chunk;

/* The state of one load; released by el_release.  Edge k of chunk c is
 * parsed into slot c.slot0 + k, and the chunks are then closed up so
 * edge i is at index i. */
typedef struct el_load {
    const char *path;
    gr_text text;        /* the file */
    int weighted;        /* the first edge line has three columns */
    const char *first;   /* the first edge line's first field */
    int nchunks;
    el_chunk *chunks;
    uint64_t slots;      /* lines of the file: room in each array */
    uint32_t *src;       /* ids, original while they fit in 32 bits, then dense */
    uint32_t *dst;
    double *w;           /* weights when weighted */
    uint64_t *wide;      /* 2 original ids per slot when some id >= 2^32 */
    uint64_t m;          /* edges in total */
    uint64_t maxid;      /* largest original id */
} el_load;

static void el_release(el_load *L)
{
    gr_text_release(&L->text);
    gr_free(L->chunks);
    gr_free_big(L->src);
    gr_free_big(L->dst);
    gr_free_big(L->w);
    gr_free_big(L->wide);
    L->chunks = NULL;
    L->src = L->dst = NULL;
    L->w = NULL;
    L->wide = NULL;
}

/* The first field of the next edge line in [p, end), p at the start of a
 * line: blank lines and '#' / '%' comment lines are passed over.  end when
 * no edge line is left (end[-1] is '\n'). */
static inline const char *skip_to_edge(const char *p, const char *end)
{
    while (p < end) {
        while (GR_LX_IS_SEP(*p)) {
            p++;
        }
        if (*p == '\n') {
            p++;
        } else if (*p == '#' || *p == '%') {
            p = (const char *)memchr(p, '\n', (size_t)(end - p)) + 1;
        } else {
            return p;
        }
    }
    return end;
}

/* The first field of the first edge line of [p, end) and the line's number
 * of columns; NULL when the text holds only comments and blank lines. */
static const char *first_edge(const char *p, const char *end, int *ncols)
{
    const char *first = skip_to_edge(p, end);
    int cols = 0;
    if (first == end) {
        return NULL;
    }
    p = first;
    while (*p != '\n') {
        cols++;
        while (!GR_LX_ENDS(*p)) {
            p++;
        }
        while (GR_LX_IS_SEP(*p)) {
            p++;
        }
    }
    *ncols = cols;
    return first;
}

static int id_kind(int lx)
{
    return lx == GR_LX_NEG ? EL_NEGATIVE : lx == GR_LX_OVER ? EL_OVERFLOW : EL_BAD_TOKEN;
}

/* Parse one chunk into its slots, ids as 32 bits into L->src/dst (wrong
 * when they do not fit: the caller parses again) or, when wide, as 64 bits
 * into L->wide.  Stops at the first error. */
static void parse_chunk(const el_load *L, el_chunk *c, int wide)
{
    const char *p = c->p, *end = c->end, *q;
    uint32_t *sv = L->src + c->slot0, *dv = L->dst + c->slot0;
    uint64_t *iv = wide ? L->wide + 2 * c->slot0 : NULL;
    double *wv = L->weighted ? L->w + c->slot0 : NULL;
    int weighted = L->weighted;
    uint64_t k = 0, maxid = 0, s, d;
    int lx;
#define FAIL(kind_, pos_)                                                     \
    do {                                                                      \
        c->kind = (kind_);                                                    \
        c->epos = (pos_);                                                     \
        goto out;                                                             \
    } while (0)
    while ((p = skip_to_edge(p, end)) < end) {
        if ((lx = gr_lex_id(&p, &s)) != GR_LX_OK) {
            FAIL(id_kind(lx), p);
        }
        q = p;
        while (GR_LX_IS_SEP(*p)) {
            p++;
        }
        if (*p == '\n') {
            FAIL(EL_TRUNCATED, q);
        }
        if ((lx = gr_lex_id(&p, &d)) != GR_LX_OK) {
            FAIL(id_kind(lx), p);
        }
        q = p;
        while (GR_LX_IS_SEP(*p)) {
            p++;
        }
        if (*p != '\n') {
            const char *wpos = p;
            if (weighted) {
                if (gr_lex_double(&p, &wv[k], NULL) != GR_LX_OK) {
                    FAIL(EL_BAD_WEIGHT, p);
                }
            } else {
                while (!GR_LX_ENDS(*p)) {
                    p++;
                }
            }
            while (GR_LX_IS_SEP(*p)) {
                p++;
            }
            if (*p != '\n') {
                FAIL(EL_TOO_MANY, p);
            }
            if (!weighted) {
                FAIL(EL_W_EXTRA, wpos);
            }
        } else if (weighted) {
            FAIL(EL_W_MISSING, q);
        }
        if (NEVER(k >= c->nslots)) {
            FAIL(EL_INTERNAL, p);
        }
        if (iv) {
            iv[2 * k] = s;
            iv[2 * k + 1] = d;
        } else {
            sv[k] = (uint32_t)s;
            dv[k] = (uint32_t)d;
        }
        if (s > maxid) {
            maxid = s;
        }
        if (d > maxid) {
            maxid = d;
        }
        k++;
        p++;
    }
#undef FAIL
out:
    c->m = k;
    c->maxid = maxid;
}

/* The error of chunk c, as file:line:col and a message. */
static int report(const el_load *L, const el_chunk *c, gr_error *err)
{
    const char *base = L->text.buf;
    char tok[40];
    long line, col, fline = 0, fcol;
    gr_text_where(base, c->epos, &line, &col);
    if (L->first) {
        gr_text_where(base, L->first, &fline, &fcol);
    }
    gr_token_quote(c->epos, tok, sizeof tok);
    switch (c->kind) {
    case EL_BAD_TOKEN:
        return gr_err_at(err, GR_ERR_PARSE, L->path, line, col,
                         "bad token %s: expected a non-negative integer id", tok);
    case EL_NEGATIVE:
        return gr_err_at(err, GR_ERR_RANGE, L->path, line, col,
                         "negative id %s: ids must be non-negative", tok);
    case EL_OVERFLOW:
        return gr_err_at(err, GR_ERR_RANGE, L->path, line, col,
                         "id overflow %s: ids must be below 2^63", tok);
    case EL_TRUNCATED:
        return gr_err_at(err, GR_ERR_PARSE, L->path, line, col,
                         "truncated line: expected 'src dst'");
    case EL_TOO_MANY:
        return gr_err_at(err, GR_ERR_PARSE, L->path, line, col,
                         "too many columns: expected 'src dst [weight]'");
    case EL_BAD_WEIGHT:
        return gr_err_at(err, GR_ERR_PARSE, L->path, line, col,
                         "bad weight %s: expected a finite number", tok);
    case EL_W_EXTRA:
        return gr_err_at(err, GR_ERR_PARSE, L->path, line, col,
                         "inconsistent weight column: this edge has a weight but "
                         "the first edge (line %ld) has none", fline);
    case EL_W_MISSING:
        return gr_err_at(err, GR_ERR_PARSE, L->path, line, col,
                         "inconsistent weight column: this edge has no weight but "
                         "the first edge (line %ld) has one", fline);
    default:
        return gr_err_at(err, GR_ERR_INTERNAL, L->path, line, col, "edge list parser failed");
    }
}

/* Cut the text into chunks, parse them, check for errors, and close up
 * the chunks' slots so edge i is at index i. */
static int parse_all(el_load *L, gr_error *err)
{
    const char *buf = gr_text_start(&L->text);
    size_t total = (size_t)(L->text.buf + L->text.len + 1 - buf); /* with the final '\n' */
    uint64_t e0 = 0;
    int nc = total < PAR_MIN_BYTES ? 1 : gr_threads(), c, ncols = 0;
    if (nc < 1) {
        nc = 1;
    }
    L->first = first_edge(buf, buf + total, &ncols);
    if (!L->first) {
        return gr_err_at(err, GR_ERR_EMPTY, L->path, 0, 0, "empty graph: no edges");
    }
    L->weighted = ncols >= 3;
    L->chunks = gr_calloc((size_t)nc, sizeof *L->chunks);
    if (!L->chunks) {
        return gr_err_nomem(err, "edge list chunks");
    }
    L->nchunks = nc;
    for (c = 0; c < nc; c++) {
        size_t at = total * (size_t)c / (size_t)nc;
        /* A chunk starts at the beginning of a line. */
        if (at > 0) {
            at = (size_t)((const char *)memchr(buf + at - 1, '\n', total - at + 1) - buf) + 1;
        }
        L->chunks[c].p = buf + at;
        if (c > 0) {
            L->chunks[c - 1].end = buf + at;
        }
    }
    L->chunks[nc - 1].end = buf + total;
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(nc) if (nc > 1)
#endif
    for (c = 0; c < nc; c++) {
        el_chunk *ch = &L->chunks[c];
        size_t bytes = (size_t)(ch->end - ch->p);
        /* An edge takes a line, and at least 4 bytes ("1 2\n"). */
        ch->nslots = gr_count_newlines(ch->p, bytes);
        if (ch->nslots > bytes / 4) {
            ch->nslots = bytes / 4;
        }
    }
    for (c = 0; c < nc; c++) {
        L->chunks[c].slot0 = L->slots;
        L->slots += L->chunks[c].nslots;
    }
    L->src = gr_alloc_big(L->slots, sizeof *L->src);
    L->dst = gr_alloc_big(L->slots, sizeof *L->dst);
    if (!L->src || !L->dst || (L->weighted && !(L->w = gr_alloc_big(L->slots, sizeof *L->w)))) {
        return gr_err_nomem(err, "edge list");
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(nc) if (nc > 1)
#endif
    for (c = 0; c < nc; c++) {
        parse_chunk(L, &L->chunks[c], 0);
    }
    for (c = 0; c < nc; c++) {
        el_chunk *ch = &L->chunks[c];
        if (ch->kind != EL_NONE) {
            return report(L, ch, err);
        }
        ch->e0 = e0;
        e0 += ch->m;
        if (ch->maxid > L->maxid) {
            L->maxid = ch->maxid;
        }
    }
    L->m = e0;
    if (L->m == 0) {
        return gr_err_at(err, GR_ERR_EMPTY, L->path, 0, 0, "empty graph: no edges");
    }
    if (L->maxid > UINT32_MAX) {
        /* Rare: ids beyond 32 bits.  Parse again keeping 64-bit ids (the
         * text is known to be good now). */
        if (!(L->wide = gr_alloc_big(2 * L->slots, sizeof *L->wide))) {
            return gr_err_nomem(err, "edge list");
        }
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(nc) if (nc > 1)
#endif
        for (c = 0; c < nc; c++) {
            parse_chunk(L, &L->chunks[c], 1);
        }
    }
    for (c = 0; c < nc; c++) {
        const el_chunk *ch = &L->chunks[c];
        if (ch->e0 == ch->slot0) {
            continue;
        }
        if (L->wide) {
            memmove(L->wide + 2 * ch->e0, L->wide + 2 * ch->slot0, 2 * ch->m * sizeof *L->wide);
        } else {
            memmove(L->src + ch->e0, L->src + ch->slot0, ch->m * sizeof *L->src);
            memmove(L->dst + ch->e0, L->dst + ch->slot0, ch->m * sizeof *L->dst);
        }
        if (L->weighted) {
            memmove(L->w + ch->e0, L->w + ch->slot0, ch->m * sizeof *L->w);
        }
    }
    return GR_OK;
}

/* ---- original ids to dense ids ------------------------------------- */

static inline unsigned popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* Original id j of the edge list (2 per edge: edge j/2's source when j is
 * even, its target when odd). */
static inline uint64_t id_at(const el_load *L, uint64_t j)
{
    return L->wide ? L->wide[j] : (j & 1 ? L->dst : L->src)[j >> 1];
}

enum map_mode { MAP_BITMAP, MAP_HASH };

/* How dense ids are found: by a bitmap with ranks or a hash table. */
typedef struct idmap {
    int mode;
    const uint64_t *bits;   /* MAP_BITMAP: ids present */
    const uint32_t *rank;   /* MAP_BITMAP: set bits before each word */
    const uint32_t *table;  /* MAP_HASH: dense id + 1, 0 = empty */
    uint64_t mask;          /* MAP_HASH: table size - 1 */
    const int64_t *orig;    /* MAP_HASH: sorted distinct ids */
} idmap;

static inline uint32_t dense_of(const idmap *mp, uint64_t id)
{
    uint64_t h;
    if (mp->mode == MAP_BITMAP) {
        return mp->rank[id >> 6] + popcount64(mp->bits[id >> 6] & ((1ULL << (id & 63)) - 1));
    }
    for (h = gr_mix64(id) & mp->mask;; h = (h + 1) & mp->mask) {
        uint32_t t = mp->table[h];
        if (ALWAYS(t != 0) && mp->orig[t - 1] == (int64_t)id) {
            return t - 1;
        }
    }
}

/* Replace every original id by its dense id, in L->src and L->dst. */
static void map_edges(el_load *L, const idmap *mp)
{
    int64_t i, m = (int64_t)L->m;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (m > 65536)
#endif
    for (i = 0; i < m; i++) {
        uint64_t a = id_at(L, 2 * (uint64_t)i), b = id_at(L, 2 * (uint64_t)i + 1);
        L->src[i] = dense_of(mp, a);
        L->dst[i] = dense_of(mp, b);
    }
}

/* Dense ids from a bitmap of the ids present (maxid is small against m).
 * Each thread marks its own bitmap (no atomics, no shared cache lines),
 * then they are OR-ed into the first.  When the ids are exactly 0..n-1
 * nothing needs rewriting and no orig_id array is made. */
static int map_bitmap(el_load *L, int64_t **orig, uint32_t *n, gr_error *err)
{
    uint64_t words = L->maxid / 64 + 1, w, count = 0, m2 = 2 * L->m;
    int t, nt = L->nchunks, rc = GR_OK;
    uint64_t *bits = gr_alloc_big(words * (uint64_t)nt, sizeof *bits);
    uint32_t *rank = gr_alloc_big(words, sizeof *rank);
    idmap mp = {MAP_BITMAP, NULL, NULL, NULL, 0, NULL};
    if (!bits || !rank) {
        rc = gr_err_nomem(err, "id map");
        goto done;
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(static, 1) num_threads(nt) if (nt > 1)
#endif
    for (t = 0; t < nt; t++) {
        uint64_t j, lo = m2 * (uint64_t)t / (uint64_t)nt, hi = m2 * (uint64_t)(t + 1) / (uint64_t)nt;
        uint64_t *b = bits + (uint64_t)t * words;
        memset(b, 0, words * sizeof *b);
        for (j = lo; j < hi; j++) {
            uint64_t x = id_at(L, j);
            b[x >> 6] |= 1ULL << (x & 63);
        }
    }
    for (t = 1; t < nt; t++) {
        const uint64_t *b = bits + (uint64_t)t * words;
        for (w = 0; w < words; w++) {
            bits[w] |= b[w];
        }
    }
    for (w = 0; w < words; w++) {
        rank[w] = (uint32_t)count;
        count += popcount64(bits[w]);
        if (count > UINT32_MAX) {
            rc = gr_err_at(err, GR_ERR_RANGE, L->path, 0, 0,
                           "too many nodes: more than 2^32-1 distinct ids");
            goto done;
        }
    }
    *n = (uint32_t)count;
    if (count == L->maxid + 1) {
        goto done; /* ids are exactly 0..n-1 (so they fit in 32 bits) */
    }
    if (!(*orig = gr_alloc_big(count, sizeof **orig))) {
        rc = gr_err_nomem(err, "original ids");
        goto done;
    }
    count = 0;
    for (w = 0; w < words; w++) {
        uint64_t b = bits[w];
        while (b) {
            (*orig)[count++] = (int64_t)(w * 64 + (uint64_t)__builtin_ctzll(b));
            b &= b - 1;
        }
    }
    mp.bits = bits;
    mp.rank = rank;
    map_edges(L, &mp);
done:
    gr_free_big(bits);
    gr_free_big(rank);
    return rc;
}

/* LSD radix sort of a[0..n) by the low `bytes` bytes; tmp has n slots. */
static void radix_sort(uint64_t *a, uint64_t *tmp, uint64_t n, int bytes)
{
    uint64_t cnt[256], *from = a, *to = tmp, *t;
    int pass;
    for (pass = 0; pass < bytes; pass++) {
        int sh = 8 * pass, d;
        uint64_t i, sum = 0;
        memset(cnt, 0, sizeof cnt);
        for (i = 0; i < n; i++) {
            cnt[(from[i] >> sh) & 255]++;
        }
        if (cnt[(from[0] >> sh) & 255] == n) {
            continue; /* every key has this digit */
        }
        for (d = 0; d < 256; d++) {
            uint64_t x = cnt[d];
            cnt[d] = sum;
            sum += x;
        }
        for (i = 0; i < n; i++) {
            to[cnt[(from[i] >> sh) & 255]++] = from[i];
        }
        t = from;
        from = to;
        to = t;
    }
    if (from != a) {
        memcpy(a, from, n * sizeof *a);
    }
}

/* Dense ids by sorting the distinct ids and hashing them (sparse ids). */
static int map_hash(el_load *L, int64_t **orig, uint32_t *n, gr_error *err)
{
    uint64_t m2 = 2 * L->m, i, k, cap = 1;
    uint64_t *all = gr_alloc_big(m2, sizeof *all), *tmp = NULL;
    uint32_t *table = NULL;
    idmap mp = {MAP_HASH, NULL, NULL, NULL, 0, NULL};
    int bytes = 0, rc = GR_OK;
    if (!all || !(tmp = gr_alloc_big(m2, sizeof *tmp))) {
        rc = gr_err_nomem(err, "id map");
        goto done;
    }
    for (i = 0; i < m2; i++) {
        all[i] = id_at(L, i);
    }
    while (bytes < 8 && (L->maxid >> (8 * bytes)) != 0) {
        bytes++;
    }
    radix_sort(all, tmp, m2, bytes);
    gr_free_big(tmp);
    tmp = NULL;
    for (i = 1, k = 1; i < m2; i++) {
        if (all[i] != all[k - 1]) {
            all[k++] = all[i];
        }
    }
    if (k > UINT32_MAX) {
        rc = gr_err_at(err, GR_ERR_RANGE, L->path, 0, 0,
                       "too many nodes: more than 2^32-1 distinct ids");
        goto done;
    }
    *n = (uint32_t)k;
    if (!(*orig = gr_alloc_big(k, sizeof **orig))) {
        rc = gr_err_nomem(err, "original ids");
        goto done;
    }
    for (i = 0; i < k; i++) {
        (*orig)[i] = (int64_t)all[i];
    }
    gr_free_big(all);
    all = NULL;
    while (cap < 2 * k) {
        cap <<= 1;
    }
    if (!(table = gr_alloc_big(cap, sizeof *table))) {
        rc = gr_err_nomem(err, "id hash table");
        goto done;
    }
    memset(table, 0, cap * sizeof *table);
    for (i = 0; i < k; i++) {
        uint64_t h = gr_mix64((uint64_t)(*orig)[i]) & (cap - 1);
        while (table[h]) {
            h = (h + 1) & (cap - 1);
        }
        table[h] = (uint32_t)(i + 1);
    }
    mp.table = table;
    mp.mask = cap - 1;
    mp.orig = *orig;
    map_edges(L, &mp);
done:
    gr_free_big(all);
    gr_free_big(tmp);
    gr_free_big(table);
    return rc;
}

int gr_load_edgelist(const char *path, unsigned flags, gr_graph **out, gr_error *err)
{
    el_load L;
    gr_edges e;
    int64_t *orig = NULL;
    uint32_t n = 0;
    int rc;
    memset(&L, 0, sizeof L);
    *out = NULL;
    L.path = path;
    TRY(gr_text_read(path, &L.text, err));
    TRY(parse_all(&L, err));
    gr_text_release(&L.text);
    /* A bitmap when it is small against the edges (<= ~3 bytes an edge). */
    if (L.maxid / 16 <= L.m + 4096) {
        TRY(map_bitmap(&L, &orig, &n, err));
    } else {
        TRY(map_hash(&L, &orig, &n, err));
    }
    gr_free_big(L.wide);
    L.wide = NULL;
    gr_edges_init(&e, L.weighted);
    e.m = L.m;
    e.cap = L.slots;
    e.src = L.src;
    e.dst = L.dst;
    e.w = L.w;
    TRY(gr_graph_build_ex(&e, n, flags, orig, out, err));
fail:
    gr_free_big(orig);
    el_release(&L);
    return rc;
}
