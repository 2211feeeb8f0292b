/*
 * pipeline.c - the pass manager: the registry of passes, pass selection
 * (gr_pass_names, levels, enable/disable lists), gr_optimize, and the
 * helpers every pass shares (declared in passes.h).
 *
 * The registry is the PASSES list below, in pipeline order; each entry
 * names a pass (its entry point is gr_pass_<name>), the lowest -O level
 * that runs it, and whether it belongs to the scalar group.  gr_optimize
 * clones the user's program, verifies the clone, then walks the registry:
 * a run of consecutive scalar passes (const_fold, cse, dce, licm) is
 * repeated as a group until a whole round changes nothing, at most
 * MAX_ROUNDS rounds (folding feeds CSE, CSE and LICM leave dead code, LICM
 * exposes outer values to CSE; two rounds settle every program we have
 * seen, the bound only guards against a pass that keeps reporting
 * changes); every other pass runs once.  After every pass the program is
 * verified; a pass that leaves it broken is GR_ERR_INTERNAL naming the
 * pass and quoting the verifier.  The after_pass callback sees every pass
 * of the first round and, in later rounds, only the passes that changed
 * something, so a printed trace shows each enabled pass once and every
 * rewrite.
 *
 * Selection: the passes of the level, plus `enable`, minus `disable`
 * (disable wins).  Lists are comma-separated names; blanks around names
 * and empty items are ignored; an unknown name is GR_ERR_INVALID with the
 * closest known name ("unknown pass 'cse2' (did you mean 'cse'?)") or the
 * whole list when nothing is close.
 */
#include "config.h"
#include "engine/passes/passes.h"
#include "common/error.h"
#include "common/mem.h"

#include <stdio.h>
#include <string.h>

/* The registry: X(name, level, group).  group 1: the scalar passes,
 * iterated together to a fixed point. */
#define PASSES(X)                          \
    X(const_fold, 1, 1)                    \
    X(cse, 1, 1)                           \
    X(dce, 1, 1)                           \
    X(licm, 1, 1)                          \
    X(fuse_elementwise, 2, 0)              \
    X(fuse_agg, 2, 0)                      \
    X(fuse_reduction, 2, 0)                \
    X(fuse_loops, 2, 0)

typedef struct pass_info {
    const char *name;    /* as in gr_pass_names and the enable lists */
    gr_pass_fn fn;       /* the entry point */
    int level;           /* lowest -O level that runs it */
    int group;           /* 1: iterated with its neighbours to a fixed point */
} pass_info;

#define ENTRY(name, level, group) {#name, gr_pass_##name, level, group},
#define NAME(name, level, group) #name,
static const pass_info registry[] = {PASSES(ENTRY)};
static const char *const names[] = {PASSES(NAME) NULL};
#undef ENTRY
#undef NAME

#define NREG ((int)(sizeof registry / sizeof registry[0]))
#define NPASS (NREG + 1)     /* the registry and the test hook's slot */
#define MAX_ROUNDS 4         /* bound on rounds of the scalar group */
#define MAX_NAME 64          /* longer names are unknown, quoted cut */

/* The test hook's pass (gr_pass_test_hook), selectable only by name. */
static pass_info test_pass;

/* gr_pass_names: every pass in pipeline order, NULL-terminated. */
const char *const *gr_pass_names(void) { return names; }

/* Pass i of the pipeline (i == NREG: the test hook's, maybe empty). */
static const pass_info *pass_at(int i) { return i < NREG ? &registry[i] : &test_pass; }

/* The index of the pass called name[0..len), or -1. */
static int find_pass(const char *name, size_t len)
{
    int i;
    for (i = 0; i < NPASS; i++) {
        const pass_info *pi = pass_at(i);
        if (pi->name && strlen(pi->name) == len && memcmp(pi->name, name, len) == 0) {
            return i;
        }
    }
    return -1;
}

/* gr_pass_test_hook: see passes.h. */
int gr_pass_test_hook(const char *name, gr_pass_fn fn)
{
    int k;
    if (!fn) {
        memset(&test_pass, 0, sizeof test_pass);
        return GR_OK;
    }
    if (!name || !*name) {
        return GR_ERR_INVALID;
    }
    k = find_pass(name, strlen(name));
    if (k >= 0 && k < NREG) {
        return GR_ERR_INVALID;
    }
    test_pass.name = name;
    test_pass.fn = fn;
    test_pass.level = 99;
    test_pass.group = 0;
    return GR_OK;
}

/* --- selection ------------------------------------------------------------ */

static int lower(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

/* Edit distance between a[0..na) and b, ignoring case (small strings
 * only; longer ones are "far"). */
static size_t edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b), row[MAX_NAME + 1], i, j;
    if (na > MAX_NAME || nb > MAX_NAME) {
        return (size_t)-1;
    }
    for (j = 0; j <= nb; j++) {
        row[j] = j;
    }
    for (i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (j = 1; j <= nb; j++) {
            size_t up = row[j], best = diag + (lower(a[i - 1]) != lower(b[j - 1]));
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            diag = up;
            row[j] = best;
        }
    }
    return row[nb];
}

/* GR_ERR_INVALID for the unknown name s[0..len), suggesting the closest
 * pass within a third of the name's length (at least 1), else listing all. */
static int unknown_pass(const char *s, size_t len, gr_error *err)
{
    size_t best = (size_t)-1, limit = len / 3 > 1 ? len / 3 : 1, d;
    const char *near = NULL;
    char list[512] = "";
    int i, shown = len > MAX_NAME ? MAX_NAME : (int)len;
    for (i = 0; i < NREG; i++) {
        d = edit_distance(s, len, registry[i].name);
        if (d < best) {
            best = d;
            near = registry[i].name;
        }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 registry[i].name);
    }
    if (near && best <= limit) {
        return gr_err(err, GR_ERR_INVALID, "unknown pass '%.*s' (did you mean '%s'?)", shown, s,
                      near);
    }
    return gr_err(err, GR_ERR_INVALID, "unknown pass '%.*s' (passes: %s)", shown, s, list);
}

/* Set sel[i] = on for every pass named in the comma-separated list. */
static int select_list(const char *list, int on, uint8_t *sel, gr_error *err)
{
    const char *s = list;
    while (s && *s) {
        const char *e = strchr(s, ','), *end = e ? e : s + strlen(s);
        int i;
        while (s < end && (*s == ' ' || *s == '\t')) {
            s++;
        }
        while (end > s && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }
        if (end > s) {
            if ((i = find_pass(s, (size_t)(end - s))) < 0) {
                return unknown_pass(s, (size_t)(end - s), err);
            }
            sel[i] = (uint8_t)on;
        }
        s = e ? e + 1 : NULL;
    }
    return GR_OK;
}

/* --- running -------------------------------------------------------------- */

/* Run pass pi on q and verify the result.  *changed receives whether the
 * pass reported a change. */
static int run_pass(const pass_info *pi, gr_program *q, int *changed, gr_error *err)
{
    gr_error verr;
    char where[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    int rc = pi->fn(q, err);
    if (rc < 0) {
        if (!err || err->code == GR_OK) {
            return gr_err(err, rc, "pass '%s' failed (%s)", pi->name, gr_status_name(rc));
        }
        return rc;
    }
    *changed = rc != GR_PASS_SAME;
    gr_error_clear(&verr);
    rc = gr_program_verify(q, &verr);
    if (rc == GR_ERR_NOMEM) {
        return gr_err_nomem(err, "verifying a program");
    }
    if (rc < 0) {
        return gr_err(err, GR_ERR_INTERNAL, "pass '%s' broke the IR: %s", pi->name,
                      gr_error_format(&verr, where, sizeof where));
    }
    return GR_OK;
}

/* gr_optimize: see gr.h.  o NULL is a zeroed gr_passopts (level 0, no
 * passes: a verified copy). */
int gr_optimize(const gr_program *p, const gr_passopts *o, gr_program **out, gr_error *err)
{
    static const gr_passopts none;
    uint8_t sel[NPASS];
    gr_program *q = NULL;
    gr_error verr;
    char where[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    int i, last, rc;

    if (out) {
        *out = NULL;
    }
    if (!p || !out) {
        return gr_err(err, GR_ERR_INVALID, "gr_optimize: no program or no output");
    }
    if (!o) {
        o = &none;
    }
    if (o->level < 0 || o->level > 2) {
        return gr_err(err, GR_ERR_INVALID, "optimization level %d is not 0, 1 or 2", o->level);
    }
    for (i = 0; i < NPASS; i++) {
        sel[i] = pass_at(i)->fn && o->level >= pass_at(i)->level;
    }
    TRY(select_list(o->enable, 1, sel, err));
    TRY(select_list(o->disable, 0, sel, err));

    TRY(gr_ir_clone(p, &q, err));
    gr_error_clear(&verr);
    if ((rc = gr_program_verify(q, &verr)) < 0) {
        rc = rc == GR_ERR_NOMEM ? gr_err_nomem(err, "verifying a program")
                                : gr_err(err, rc, "the program to optimize is not valid: %s",
                                         gr_error_format(&verr, where, sizeof where));
        goto fail;
    }

    for (i = 0; i < NPASS; i = last + 1) {
        int rounds, round, j, changed = 0, any;
        last = i;
        while (pass_at(i)->group && last + 1 < NREG && pass_at(last + 1)->group) {
            last++;
        }
        rounds = pass_at(i)->group ? MAX_ROUNDS : 1;
        for (round = 0; round < rounds; round++) {
            any = 0;
            for (j = i; j <= last; j++) {
                if (!sel[j]) {
                    continue;
                }
                TRY(run_pass(pass_at(j), q, &changed, err));
                any |= changed;
                if (o->after_pass && (round == 0 || changed)) {
                    o->after_pass(pass_at(j)->name, q, o->ctx);
                }
            }
            if (!any) {
                break;
            }
        }
    }
    *out = q;
    return GR_OK;
fail:
    gr_program_free(&q);
    return rc;
}

/* --- helpers for passes (passes.h) --------------------------------------- */

/* gr_pass_rename: operands of in through repl; the count changed. */
int gr_pass_rename(gr_inst *in, const gr_vid *repl)
{
    int32_t k;
    int n = 0;
    for (k = 0; in->args && k < in->nargs; k++) {
        gr_vid v = gr_pass_resolve(repl, in->args[k]);
        if (v != in->args[k]) {
            in->args[k] = v;
            n++;
        }
    }
    return n;
}

/* gr_pass_rename_block: gr_pass_rename over b and its nested bodies. */
int gr_pass_rename_block(gr_block *b, const gr_vid *repl)
{
    int32_t i;
    int n = 0;
    for (i = 0; i < b->n; i++) {
        n += gr_pass_rename(&b->insts[i], repl);
        if (b->insts[i].body) {
            n += gr_pass_rename_block(b->insts[i].body, repl);
        }
    }
    return n;
}

/* gr_pass_repl_new: n entries of -1. */
gr_vid *gr_pass_repl_new(int32_t n, gr_error *err)
{
    gr_vid *r = gr_malloc((size_t)(n > 0 ? n : 1) * sizeof *r);
    int32_t i;
    if (!r) {
        gr_err_nomem(err, "optimizing a program");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        r[i] = -1;
    }
    return r;
}

/* gr_pass_fix_parents: body->parent of every instruction of b. */
void gr_pass_fix_parents(gr_block *b)
{
    int32_t i;
    for (i = 0; i < b->n; i++) {
        if (b->insts[i].body) {
            b->insts[i].body->parent = &b->insts[i];
        }
    }
}

/* gr_pass_drop: the dropped instructions are moved into the top block of
 * a scratch program, which gr_program_free then releases; so what an
 * instruction owns is decided in one place, ir.c.  The scratch slots are
 * made before anything moves, so running out of memory changes nothing. */
int gr_pass_drop(gr_block *b, const uint8_t *drop, gr_error *err)
{
    gr_program *grave;
    int32_t i, j, k = 0, ndrop = 0;

    for (i = 0; i < b->n; i++) {
        ndrop += drop[i] != 0;
    }
    if (ndrop == 0) {
        return GR_OK;
    }
    if (!(grave = gr_ir_program_new(NULL))) {
        return gr_err_nomem(err, "optimizing a program");
    }
    for (i = 0; i < ndrop; i++) {
        if (!gr_ir_append(&grave->top)) {
            gr_program_free(&grave); /* the slots are still zeroed: nothing freed twice */
            return gr_err_nomem(err, "optimizing a program");
        }
    }
    for (i = j = 0; i < b->n; i++) {
        if (drop[i]) {
            grave->top.insts[k++] = b->insts[i];
        } else {
            if (j != i) {
                b->insts[j] = b->insts[i];
            }
            j++;
        }
    }
    b->n = j;
    gr_pass_fix_parents(b);
    gr_program_free(&grave);
    return GR_OK;
}
