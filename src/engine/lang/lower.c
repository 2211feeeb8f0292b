/*
 * lower.c - AST -> IR through the public builder API (gr_lang_lower).
 *
 * The language reaches the IR only through gr_builder_*, the same path C
 * users take.  Types are the builder's business: each op is handed to it
 * with the source location set first, and a type error it returns becomes
 * a diagnostic at the expression, after which lowering goes on with a
 * "poison" value that silences every error depending on it.  So one run
 * reports every independent error (up to the limit).
 *
 * Names: a variable is a binding from a name to an SSA value; assignment
 * rebinds.  Loops: the variables a body assigns (in it or in loops nested
 * in it) that are defined before the loop are carried, in order of first
 * assignment; the variables first assigned inside are visible only there,
 * and using one after the loop says so.  A carried variable keeps its type.
 *
 * Builtins are table-driven: every op of gr_ops.def with a fixed arity that
 * is not control, const, param or agg is a builtin by its own name; a few
 * aliases (sum, mean, and min/max with one argument) name reductions; and
 * neighbour aggregations are named DIR_MONOID[_self], DIR one of pull/in,
 * out, nbr and MONOID a gr_monoid name.  An aggregation's argument may use
 * `weight` as the whole message or as one operand of a top-level + or *.
 *
 * Integer literals adapt to their neighbours: next to an f64 operand (or
 * where the op computes in f64) `1` is the constant 1.0 instead of an i64
 * constant converted at run time.  '/' is true division: integer operands
 * are converted to f64 (use div() for truncating integer division), which
 * is what makes `fill(1 / n)` the uniform start vector it reads as.
 */
#include "config.h"
#include "engine/lang/lang_internal.h"
#include "engine/ir/types.h"
#include "common/mem.h"

#include <stdio.h>
#include <string.h>

#define V_POISON (-1)   /* an error was reported: stay quiet */
#define V_VOID (-2)     /* print(): no value */

typedef struct lval {
    gr_vid v;           /* the value, V_POISON or V_VOID */
    gr_type t;
} lval;

static const lval poison = {V_POISON, GR_T_NONE};

typedef enum sym_kind {
    SYM_VALUE,          /* a variable or parameter bound to a value */
    SYM_LOOP_LOCAL      /* was defined only inside the loop at loop_line */
} sym_kind;

typedef struct sym {
    const char *name;
    sym_kind kind;
    lval val;
    gr_type carry;      /* type kept by the innermost loop carrying it, or NONE */
    int carry_line;     /* that loop's line */
    int loop_line;      /* SYM_LOOP_LOCAL */
    struct sym *prev;   /* older binding */
} sym;

typedef struct lower {
    gr_lang *L;
    gr_builder *b;
    sym *top;           /* newest binding */
    unsigned char *named; /* named[v]: v has a name hint */
    size_t nnamed;
    int in_agg;         /* inside an aggregation's argument */
} lower;

/* ---- the builtin table ------------------------------------------------ */

/* Names that are not an op's own: reductions under their short names. */
static const struct {
    const char *name;
    gr_opcode op;
} aliases[] = {
    {"sum", GR_OP_REDUCE_SUM},
    {"mean", GR_OP_REDUCE_MEAN},
    {"min", GR_OP_REDUCE_MIN},      /* min(x): min(a, b) is the op's own */
    {"max", GR_OP_REDUCE_MAX},
};
#define NALIASES ((int)(sizeof aliases / sizeof aliases[0]))

/* Aggregation directions by name (pull is DESIGN.md's word for in). */
static const struct {
    const char *name;
    gr_dir dir;
} agg_dirs[] = {
    {"pull", GR_DIR_IN}, {"in", GR_DIR_IN}, {"out", GR_DIR_OUT}, {"nbr", GR_DIR_BOTH},
};
#define NDIRS ((int)(sizeof agg_dirs / sizeof agg_dirs[0]))

/* A builtin is an op a call can express: fixed arity (control ops and the
 * optimizer's fused kernels have bodies or variable operands), built by
 * gr_builder_op (not const, param or agg, which have their own syntax). */
static int is_builtin_op(int op)
{
    const gr_opinfo *in = gr_op_info(op);
    return in->nargs >= 0 && !(in->flags & (GR_F_CTRL | GR_F_AGG)) &&
           in->sig != GR_SIG_CONST && in->sig != GR_SIG_PARAM;
}

/* Builtin i in a fixed order: the ops, then the aliases. */
static int builtin_at(int i, const char **name, gr_opcode *op)
{
    int k;
    for (k = 0; k < GR_OP__COUNT; k++) {
        if (is_builtin_op(k) && i-- == 0) {
            *name = gr_op_info(k)->name;
            *op = (gr_opcode)k;
            return 1;
        }
    }
    if (i < NALIASES) {
        *name = aliases[i].name;
        *op = aliases[i].op;
        return 1;
    }
    return 0;
}

/* gr_lang_builtin_name: builtin i's name (static), NULL past the end. */
const char *gr_lang_builtin_name(int i)
{
    const char *name;
    gr_opcode op;
    return i >= 0 && builtin_at(i, &name, &op) ? name : NULL;
}

/* Parse an aggregation name.  1 when `name` is one. */
static int agg_parse(const char *name, gr_dir *dir, gr_monoid *mon, int *self)
{
    char buf[32];
    const char *rest;
    size_t n;
    int d, m;
    for (d = 0; d < NDIRS; d++) {
        n = strlen(agg_dirs[d].name);
        if (strncmp(name, agg_dirs[d].name, n) == 0 && name[n] == '_') {
            break;
        }
    }
    if (d == NDIRS) {
        return 0;
    }
    rest = name + n + 1;
    n = strlen(rest);
    *self = n > 5 && strcmp(rest + n - 5, "_self") == 0;
    if (*self) {
        n -= 5;
    }
    if (n >= sizeof buf) {
        return 0;
    }
    memcpy(buf, rest, n);
    buf[n] = '\0';
    m = gr_monoid_lookup(buf);
    if (m < 0) {
        return 0;
    }
    *dir = agg_dirs[d].dir;
    *mon = (gr_monoid)m;
    return 1;
}

/* The closest builtin (op, alias or aggregation name) to `name`. */
static void closest_builtin(const char *name, char *best, size_t n, int *bestd)
{
    const char *cand;
    gr_opcode op;
    char buf[48];
    int i, d, m, s;
    for (i = 0; builtin_at(i, &cand, &op); i++) {
        if (gr_lang_close(name, cand, &d) && d < *bestd) {
            *bestd = d;
            snprintf(best, n, "%s", cand);
        }
    }
    for (i = 0; i < NDIRS; i++) {
        for (m = 0; m <= (int)GR_MON_MODE; m++) {
            for (s = 0; s < 2; s++) {
                snprintf(buf, sizeof buf, "%s_%s%s", agg_dirs[i].name,
                         gr_monoid_name((gr_monoid)m), s ? "_self" : "");
                if (gr_lang_close(name, buf, &d) && d < *bestd) {
                    *bestd = d;
                    snprintf(best, n, "%s", buf);
                }
            }
        }
    }
}

/* ---- symbols ---------------------------------------------------------- */

static sym *lookup(lower *lw, const char *name)
{
    sym *s;
    for (s = lw->top; s; s = s->prev) {
        if (strcmp(s->name, name) == 0) {
            return s;
        }
    }
    return NULL;
}

static sym *bind(lower *lw, const char *name, lval v)
{
    sym *s = gr_arena_alloc(&lw->L->arena, sizeof *s);
    if (!s) {
        lw->L->nomem = 1;
        return NULL;
    }
    s->name = name;
    s->kind = SYM_VALUE;
    s->val = v;
    s->carry = GR_T_NONE;
    s->prev = lw->top;
    lw->top = s;
    return s;
}

/* Give v the variable's name in printed IR, unless it has one already
 * (name NULL: only mark it as named). */
static void name_value(lower *lw, gr_vid v, const char *name)
{
    gr_error e;
    if (v < 0) {
        return;
    }
    if ((size_t)v >= lw->nnamed) {
        size_t n = lw->nnamed ? lw->nnamed : 64;
        unsigned char *p;
        while (n <= (size_t)v) {
            n *= 2;
        }
        if (!(p = gr_realloc(lw->named, n))) {
            lw->L->nomem = 1;
            return;
        }
        memset(p + lw->nnamed, 0, n - lw->nnamed);
        lw->named = p;
        lw->nnamed = n;
    }
    if (lw->named[v]) {
        return;
    }
    lw->named[v] = 1;
    if (!name) {
        return;
    }
    gr_error_clear(&e);
    if (gr_builder_name(lw->b, v, name, &e) < 0 && e.code == GR_ERR_NOMEM) {
        lw->L->nomem = 1;
    }
}

/* "unknown variable 'x'" with the closest variable, parameter or builtin. */
static void unknown_variable(lower *lw, const char *name, gr_pos pos)
{
    char best[64] = "";
    int bestd = 1000, d;
    const sym *s;
    for (s = lw->top; s; s = s->prev) {
        if (s->kind == SYM_VALUE && gr_lang_close(name, s->name, &d) && d < bestd) {
            bestd = d;
            snprintf(best, sizeof best, "%s", s->name);
        }
    }
    if (*best) {
        gr_lang_error(lw->L, pos, GR_ERR_PARSE, "unknown variable '%s' (did you mean '%s'?)",
                      name, best);
        return;
    }
    closest_builtin(name, best, sizeof best, &bestd);
    if (*best) {
        gr_lang_error(lw->L, pos, GR_ERR_PARSE, "unknown variable '%s' (did you mean %s()?)",
                      name, best);
        return;
    }
    gr_lang_error(lw->L, pos, GR_ERR_PARSE, "unknown variable '%s'", name);
}

/* ---- builder calls ---------------------------------------------------- */

static void set_loc(lower *lw, gr_pos pos)
{
    gr_builder_set_loc(lw->b, lw->L->file, pos.line, pos.col);
}

/* A builder error becomes a diagnostic at pos (out of memory stops). */
static lval builder_failed(lower *lw, gr_pos pos, const gr_error *e)
{
    if (e->code == GR_ERR_NOMEM) {
        lw->L->nomem = 1;
    } else {
        gr_lang_error(lw->L, pos, e->code < 0 ? e->code : GR_ERR_TYPE, "%s",
                      e->msg[0] ? e->msg : "the builder rejected this expression");
    }
    return poison;
}

static lval result(lower *lw, gr_vid v)
{
    lval r;
    r.v = v;
    r.t = gr_builder_type(lw->b, v);
    return r;
}

/* The builder names ops as the IR does ("operand 1 of add"); say it as
 * the source did ("operand 1 of '+'", "operand 1 of sum()"). */
static void rename_op(gr_error *e, gr_opcode op, const char *display)
{
    const char *name = gr_op_info(op)->name, *p = e->msg;
    size_t n = strlen(name);
    char buf[GR_ERROR_MSG_MAX];
    if (!display) {
        return;
    }
    while ((p = strstr(p, " of "))) {
        const char *after = p + 4 + n;
        if (strncmp(p + 4, name, n) == 0 && (*after == '\0' || *after == ' ' || *after == ';' ||
                                             *after == ',' || *after == ':')) {
            snprintf(buf, sizeof buf, "%.*s of %s%s", (int)(p - e->msg), e->msg, display, after);
            snprintf(e->msg, sizeof e->msg, "%s", buf);
            return;
        }
        p += 4;
    }
}

/* Apply op; display (may be NULL) is how the source wrote it. */
static lval apply_as(lower *lw, gr_opcode op, const char *display, gr_pos pos,
                     const gr_vid *args, int n)
{
    gr_error e;
    gr_vid out = -1;
    gr_error_clear(&e);
    set_loc(lw, pos);
    if (gr_builder_op(lw->b, op, args, n, &out, &e) < 0) {
        rename_op(&e, op, display);
        return builder_failed(lw, pos, &e);
    }
    if (out < 0) {
        lval v = {V_VOID, GR_T_NONE};
        return v;
    }
    return result(lw, out);
}

static lval apply(lower *lw, gr_opcode op, gr_pos pos, const gr_vid *args, int n)
{
    return apply_as(lw, op, NULL, pos, args, n);
}

static lval const_i64(lower *lw, gr_pos pos, int64_t i)
{
    gr_error e;
    gr_vid out = -1;
    gr_error_clear(&e);
    set_loc(lw, pos);
    if (gr_builder_const_i64(lw->b, i, &out, &e) < 0) {
        return builder_failed(lw, pos, &e);
    }
    return result(lw, out);
}

static lval const_f64(lower *lw, gr_pos pos, double f)
{
    gr_error e;
    gr_vid out = -1;
    gr_error_clear(&e);
    set_loc(lw, pos);
    if (gr_builder_const_f64(lw->b, f, &out, &e) < 0) {
        return builder_failed(lw, pos, &e);
    }
    return result(lw, out);
}

static lval const_bool(lower *lw, gr_pos pos, int v)
{
    gr_error e;
    gr_vid out = -1;
    gr_error_clear(&e);
    set_loc(lw, pos);
    if (gr_builder_const_bool(lw->b, v, &out, &e) < 0) {
        return builder_failed(lw, pos, &e);
    }
    return result(lw, out);
}

/* ---- expressions ------------------------------------------------------ */

static lval lower_expr(lower *lw, const gr_ast_expr *e);

static int is_agg_call(const gr_ast_expr *e)
{
    gr_dir d;
    gr_monoid m;
    int s;
    return e->kind == E_CALL && agg_parse(e->name, &d, &m, &s);
}

/* Whether e mentions weight outside of a nested aggregation's argument. */
static int has_weight(const gr_ast_expr *e)
{
    const gr_ast_expr *a;
    if (!e) {
        return 0;
    }
    switch (e->kind) {
    case E_WEIGHT:
        return 1;
    case E_UNARY:
        return has_weight(e->a);
    case E_BINARY:
        return has_weight(e->a) || has_weight(e->b);
    case E_CALL:
        if (is_agg_call(e)) {
            return 0;
        }
        for (a = e->args; a; a = a->next) {
            if (has_weight(a)) {
                return 1;
            }
        }
        return 0;
    default:
        return 0;
    }
}

/* Lower the n arguments of op into out[]; 0 when one is poison (or void,
 * reported).  true_div: the language's '/', computed in f64. */
static int lower_args(lower *lw, gr_opcode op, int true_div, gr_ast_expr *const *argv, int n,
                      gr_pos pos, gr_vid *out)
{
    gr_sig sig = gr_op_info(op)->sig;
    int adapt = sig == GR_SIG_NUM2 || sig == GR_SIG_CMP || sig == GR_SIG_WHERE ||
                sig == GR_SIG_FLT1 || sig == GR_SIG_FLT2;
    int want_f64 = true_div || sig == GR_SIG_FLT1 || sig == GR_SIG_FLT2;
    int ok = 1, i;

    /* Pass 1: everything but integer literals that may adapt. */
    for (i = 0; i < n; i++) {
        lval v;
        out[i] = V_POISON;
        if (adapt && argv[i]->kind == E_INT && !(sig == GR_SIG_WHERE && i == 0)) {
            continue;
        }
        v = lower_expr(lw, argv[i]);
        if (v.v == V_VOID) {
            gr_lang_error(lw->L, argv[i]->pos, GR_ERR_TYPE, "print() has no value to use");
            ok = 0;
            continue;
        }
        if (v.v == V_POISON) {
            ok = 0;
            continue;
        }
        out[i] = v.v;
        if (adapt && !(sig == GR_SIG_WHERE && i == 0) && gr_type_elem(v.t) == GR_T_F64) {
            want_f64 = 1;
        }
        if (true_div && gr_type_elem(v.t) == GR_T_I64) {
            v = apply(lw, GR_OP_TO_F64, pos, &out[i], 1);
            if (v.v < 0) {
                ok = 0;
                continue;
            }
            out[i] = v.v;
        }
    }
    if (!ok) {
        return 0;
    }
    /* Pass 2: the literals, as f64 where their neighbours are. */
    for (i = 0; i < n; i++) {
        if (out[i] == V_POISON) {
            lval v = want_f64 ? const_f64(lw, argv[i]->pos, (double)argv[i]->i)
                              : const_i64(lw, argv[i]->pos, argv[i]->i);
            if (v.v < 0) {
                return 0;
            }
            out[i] = v.v;
        }
    }
    return 1;
}

static lval lower_op(lower *lw, gr_opcode op, const char *display, int true_div,
                     gr_ast_expr *const *argv, int n, gr_pos pos)
{
    gr_vid args[8];
    if (n > 8 || !lower_args(lw, op, true_div, argv, n, pos, args)) {
        return poison;
    }
    return apply_as(lw, op, display, pos, args, n);
}

static const char *arity_text(int n, char *buf, size_t len)
{
    if (n == 0) {
        snprintf(buf, len, "no arguments");
    } else {
        snprintf(buf, len, "%d argument%s", n, n == 1 ? "" : "s");
    }
    return buf;
}

static void arity_error(lower *lw, const gr_ast_expr *e, const char *want)
{
    gr_lang_error(lw->L, e->pos, GR_ERR_PARSE, "%s() takes %s (%d given)", e->name, want,
                  e->nargs);
}

static lval lower_agg(lower *lw, const gr_ast_expr *e, gr_dir dir, gr_monoid mon, int self)
{
    const gr_ast_expr *arg = e->args, *x = NULL;
    gr_msg msg = GR_MSG_X;
    gr_error err;
    gr_vid out = -1;
    lval v;

    if (e->nargs != 1) {
        arity_error(lw, e, "1 argument");
        return poison;
    }
    x = arg;
    if (arg->kind == E_WEIGHT) {
        msg = GR_MSG_W;
        x = NULL;
    } else if (arg->kind == E_BINARY && (arg->op == TK_PLUS || arg->op == TK_STAR)) {
        const gr_ast_expr *other = NULL;
        if (arg->b->kind == E_WEIGHT) {
            other = arg->a;
        } else if (arg->a->kind == E_WEIGHT) {
            other = arg->b;
        }
        if (other && !has_weight(other)) {
            msg = arg->op == TK_PLUS ? GR_MSG_ADD_W : GR_MSG_MUL_W;
            x = other;
        }
    }
    if (x) {
        lw->in_agg++;
        v = lower_expr(lw, x);
        lw->in_agg--;
        if (v.v == V_VOID) {
            gr_lang_error(lw->L, x->pos, GR_ERR_TYPE, "print() has no value to use");
            return poison;
        }
    } else {
        /* weight alone: x only gives the element type, f64 like weights. */
        v = const_f64(lw, arg->pos, 0.0);
        if (v.v >= 0) {
            v = apply(lw, GR_OP_FILL, arg->pos, &v.v, 1);
        }
    }
    if (v.v < 0) {
        return poison;
    }
    if (gr_type_is_scalar(v.t)) {
        /* A scalar message is the same for every neighbour. */
        v = apply(lw, GR_OP_FILL, x ? x->pos : arg->pos, &v.v, 1);
        if (v.v < 0) {
            return poison;
        }
    }
    gr_error_clear(&err);
    set_loc(lw, e->pos);
    if (gr_builder_agg(lw->b, dir, mon, msg, self, v.v, &out, &err) < 0) {
        char buf[GR_ERROR_MSG_MAX];
        snprintf(buf, sizeof buf, "%.40s(): %.400s", e->name, err.msg);
        snprintf(err.msg, sizeof err.msg, "%s", buf);
        return builder_failed(lw, e->pos, &err);
    }
    return result(lw, out);
}

static lval lower_call(lower *lw, const gr_ast_expr *e)
{
    gr_ast_expr *argv[8];
    char display[48];
    const gr_ast_expr *a;
    const char *name;
    gr_opcode op, found = GR_OP__COUNT;
    unsigned counts = 0;    /* bit k: some builtin of this name takes k args */
    gr_dir dir;
    gr_monoid mon;
    int self, i, n;
    sym *s;

    if (agg_parse(e->name, &dir, &mon, &self)) {
        return lower_agg(lw, e, dir, mon, self);
    }
    for (i = 0; builtin_at(i, &name, &op); i++) {
        if (strcmp(name, e->name) == 0) {
            int k = gr_op_info(op)->nargs;
            if (k >= 0 && k < 8) {
                counts |= 1u << k;
            }
            if (k == e->nargs) {
                found = op;
            }
        }
    }
    if (found == GR_OP__COUNT) {
        if (counts) {
            char want[64] = "";
            int k, first = 1;
            for (k = 0; k < 8; k++) {
                if (counts & (1u << k)) {
                    size_t l = strlen(want);
                    snprintf(want + l, sizeof want - l, "%s%d", first ? "" : " or ", k);
                    first = 0;
                }
            }
            if ((counts & (counts - 1)) == 0) {
                for (k = 0; !(counts & (1u << k)); k++) {
                }
                arity_text(k, want, sizeof want);
            } else {
                size_t l = strlen(want);
                snprintf(want + l, sizeof want - l, " arguments");
            }
            arity_error(lw, e, want);
            return poison;
        }
        s = lookup(lw, e->name);
        if (s && s->kind == SYM_VALUE) {
            gr_lang_error(lw->L, e->pos, GR_ERR_PARSE, "'%s' is a variable, not a function",
                          e->name);
            return poison;
        }
        {
            char best[64] = "";
            int bestd = 1000;
            closest_builtin(e->name, best, sizeof best, &bestd);
            if (*best) {
                gr_lang_error(lw->L, e->pos, GR_ERR_PARSE,
                              "unknown function '%s' (did you mean %s()?)", e->name, best);
            } else {
                gr_lang_error(lw->L, e->pos, GR_ERR_PARSE, "unknown function '%s'", e->name);
            }
        }
        return poison;
    }
    for (a = e->args, n = 0; a && n < 8; a = a->next) {
        argv[n++] = (gr_ast_expr *)a;
    }
    snprintf(display, sizeof display, "%.40s()", e->name);
    return lower_op(lw, found, display, 0, argv, n, e->pos);
}

static gr_opcode binary_op(gr_tok t)
{
    switch (t) {
    case TK_PLUS: return GR_OP_ADD;
    case TK_MINUS: return GR_OP_SUB;
    case TK_STAR: return GR_OP_MUL;
    case TK_SLASH: return GR_OP_DIV;
    case TK_PERCENT: return GR_OP_MOD;
    case TK_EQ: return GR_OP_EQ;
    case TK_NE: return GR_OP_NE;
    case TK_LT: return GR_OP_LT;
    case TK_LE: return GR_OP_LE;
    case TK_GT: return GR_OP_GT;
    case TK_GE: return GR_OP_GE;
    case TK_AND: return GR_OP_AND;
    default: return GR_OP_OR;
    }
}

static lval lower_expr(lower *lw, const gr_ast_expr *e)
{
    gr_ast_expr *argv[2];
    sym *s;

    if (gr_lang_stopped(lw->L)) {
        return poison;
    }
    switch (e->kind) {
    case E_INT:
        return const_i64(lw, e->pos, e->i);
    case E_FLOAT:
        return const_f64(lw, e->pos, e->f);
    case E_BOOL:
        return const_bool(lw, e->pos, (int)e->i);
    case E_WEIGHT:
        if (lw->in_agg) {
            gr_lang_error(lw->L, e->pos, GR_ERR_PARSE,
                          "'weight' can only be the whole message or an operand of its "
                          "top-level '+' or '*', as in pull_min(dist + weight)");
        } else {
            gr_lang_error(lw->L, e->pos, GR_ERR_PARSE,
                          "'weight' (the edge weight) exists only in the argument of a "
                          "neighbour aggregation, as in pull_min(dist + weight)");
        }
        return poison;
    case E_NAME:
        s = lookup(lw, e->name);
        if (s && s->kind == SYM_VALUE) {
            return s->val;
        }
        if (s) {
            gr_lang_error(lw->L, e->pos, GR_ERR_PARSE,
                          "'%s' is only defined inside the loop at line %d", e->name,
                          s->loop_line);
            return poison;
        }
        {
            const char *name;
            gr_opcode op;
            int i;
            for (i = 0; builtin_at(i, &name, &op); i++) {
                if (strcmp(name, e->name) == 0) {
                    gr_lang_error(lw->L, e->pos, GR_ERR_PARSE,
                                  "'%s' is a builtin function: call it, as in %s(%s)", e->name,
                                  e->name, gr_op_info(op)->nargs == 0 ? "" : "...");
                    return poison;
                }
            }
        }
        unknown_variable(lw, e->name, e->pos);
        return poison;
    case E_CALL:
        return lower_call(lw, e);
    case E_UNARY:
    case E_BINARY: {
        char display[8];
        argv[0] = e->a;
        argv[1] = e->b;
        snprintf(display, sizeof display, "'%s'", gr_tok_spelling(e->op));
        if (e->kind == E_UNARY) {
            return lower_op(lw, e->op == TK_MINUS ? GR_OP_NEG : GR_OP_NOT, display, 0, argv, 1,
                            e->pos);
        }
        return lower_op(lw, binary_op(e->op), display, e->op == TK_SLASH, argv, 2, e->pos);
    }
    }
    return poison;
}

/* ---- statements ------------------------------------------------------- */

/* A growable list of names (in the arena). */
typedef struct name_list {
    const char **v;
    int n, cap;
} name_list;

static int list_has(const name_list *l, const char *name)
{
    int i;
    for (i = 0; i < l->n; i++) {
        if (strcmp(l->v[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static void list_add(lower *lw, name_list *l, const char *name)
{
    if (list_has(l, name)) {
        return;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        const char **v = gr_arena_alloc(&lw->L->arena, (size_t)cap * sizeof *v);
        if (!v) {
            lw->L->nomem = 1;
            return;
        }
        if (l->n) {
            memcpy(v, l->v, (size_t)l->n * sizeof *v);
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = name;
}

/* Every variable a body assigns (nested loops included), in order of
 * first assignment, split into those defined before (carried) and those
 * first defined inside (local). */
static void collect_assigned(lower *lw, const gr_ast_stmt *s, name_list *carried,
                             name_list *local)
{
    for (; s && !lw->L->nomem; s = s->next) {
        if (s->kind == S_ASSIGN) {
            sym *b = lookup(lw, s->name);
            list_add(lw, b && b->kind == SYM_VALUE ? carried : local, s->name);
        } else if (s->body) {
            collect_assigned(lw, s->body, carried, local);
        }
    }
}

static void lower_block(lower *lw, const gr_ast_stmt *s, gr_vid *ret, int *nret);

/* Whether a value of type t may be the next value of a variable carried
 * with type carry: the same type, or i64 where f64 is carried (the
 * builder converts it at the end of the body, as for any f64 operand). */
static int carry_fits(gr_type carry, gr_type t)
{
    return t == carry || (gr_type_elem(carry) == GR_T_F64 && gr_type_elem(t) == GR_T_I64 &&
                          gr_type_is_vector(carry) == gr_type_is_vector(t));
}

static void lower_assign(lower *lw, const gr_ast_stmt *s)
{
    lval v = lower_expr(lw, s->value);
    sym *old = lookup(lw, s->name), *b;

    if (v.v == V_VOID) {
        gr_lang_error(lw->L, s->value->pos, GR_ERR_TYPE,
                      "print() has no value to assign to '%s'", s->name);
        v = poison;
    }
    if (v.v >= 0 && old && old->kind == SYM_VALUE && old->carry != GR_T_NONE &&
        !carry_fits(old->carry, v.t)) {
        gr_lang_error(lw->L, s->name_pos, GR_ERR_TYPE,
                      "'%s' is %s before the loop at line %d but %s here; a variable a loop "
                      "carries keeps its type",
                      s->name, gr_type_name(old->carry), old->carry_line, gr_type_name(v.t));
        v = poison;
    }
    if (!(b = bind(lw, s->name, v))) {
        return;
    }
    if (old && old->kind == SYM_VALUE) {
        b->carry = old->carry;
        b->carry_line = old->carry_line;
    }
    name_value(lw, v.v, s->name);
}

/* A scalar count for repeat / max: must be i64. */
static lval lower_count(lower *lw, const gr_ast_expr *e, const char *what)
{
    lval v = lower_expr(lw, e);
    if (v.v == V_VOID || (v.v >= 0 && v.t != GR_T_I64)) {
        gr_lang_error(lw->L, e->pos, GR_ERR_TYPE, "%s must be an i64 scalar, not %s", what,
                      v.v == V_VOID ? "print()" : gr_type_name(v.t));
        return poison;
    }
    return v;
}

static lval lower_tol(lower *lw, const gr_ast_expr *e)
{
    lval v;
    if (e->kind == E_INT) {
        return const_f64(lw, e->pos, (double)e->i);
    }
    v = lower_expr(lw, e);
    if (v.v >= 0 && v.t == GR_T_I64) {
        return apply(lw, GR_OP_TO_F64, e->pos, &v.v, 1);
    }
    if (v.v == V_VOID || (v.v >= 0 && v.t != GR_T_F64)) {
        gr_lang_error(lw->L, e->pos, GR_ERR_TYPE,
                      "the tolerance of converged() must be an f64 scalar, not %s",
                      v.v == V_VOID ? "print()" : gr_type_name(v.t));
        return poison;
    }
    return v;
}

static void lower_loop(lower *lw, const gr_ast_stmt *s)
{
    name_list carried = {0}, local = {0};
    gr_loop_kind kind = s->kind == S_REPEAT ? GR_LOOP_REPEAT
                        : s->kind == S_CONVERGED ? GR_LOOP_CONVERGED
                                                 : GR_LOOP_UNCHANGED;
    gr_vid *init = NULL, *inner = NULL, *next = NULL, *res = NULL;
    gr_type *types = NULL;
    lval count, tol = {-1, GR_T_NONE};
    int test = -1, ok = 1, open = 0, i, n;
    sym *mark, *b;
    gr_error e;

    collect_assigned(lw, s->body, &carried, &local);
    if (lw->L->nomem) {
        return;
    }
    n = carried.n;
    if (kind != GR_LOOP_REPEAT) {
        for (i = 0; i < n; i++) {
            if (strcmp(carried.v[i], s->name) == 0) {
                test = i;
            }
        }
        if (test < 0) {
            sym *t = lookup(lw, s->name);
            ok = 0;
            if (list_has(&local, s->name)) {
                gr_lang_error(lw->L, s->name_pos, GR_ERR_PARSE,
                              "the loop tests '%s', which is first assigned inside it; "
                              "define it before the loop",
                              s->name);
            } else if (t && t->kind == SYM_VALUE) {
                gr_lang_error(lw->L, s->name_pos, GR_ERR_PARSE,
                              "the loop tests '%s', but its body never assigns it", s->name);
            } else if (t) {
                gr_lang_error(lw->L, s->name_pos, GR_ERR_PARSE,
                              "'%s' is only defined inside the loop at line %d", s->name,
                              t->loop_line);
            } else {
                unknown_variable(lw, s->name, s->name_pos);
            }
        }
    }
    count = lower_count(lw, s->count, kind == GR_LOOP_REPEAT ? "the repeat count"
                                                             : "the 'max' iteration limit");
    if (kind == GR_LOOP_CONVERGED) {
        tol = lower_tol(lw, s->tol);
        ok = ok && tol.v >= 0;
    }
    ok = ok && count.v >= 0;

    /* Arrays of n + 1 (n may be 0) in the arena. */
    init = gr_arena_alloc(&lw->L->arena, (size_t)(n + 1) * sizeof *init);
    inner = gr_arena_alloc(&lw->L->arena, (size_t)(n + 1) * sizeof *inner);
    next = gr_arena_alloc(&lw->L->arena, (size_t)(n + 1) * sizeof *next);
    res = gr_arena_alloc(&lw->L->arena, (size_t)(n + 1) * sizeof *res);
    types = gr_arena_alloc(&lw->L->arena, (size_t)(n + 1) * sizeof *types);
    if (!init || !inner || !next || !res || !types) {
        lw->L->nomem = 1;
        return;
    }
    for (i = 0; i < n; i++) {
        sym *c = lookup(lw, carried.v[i]);
        init[i] = c->val.v;
        types[i] = c->val.t;
        ok = ok && c->val.v >= 0;
    }
    if (ok && !gr_lang_stopped(lw->L)) {
        gr_error_clear(&e);
        set_loc(lw, s->pos);
        if (gr_builder_loop_begin(lw->b, kind, count.v, tol.v, n, init, test, inner, &e) < 0) {
            builder_failed(lw, s->pos, &e);
        } else {
            open = 1;
        }
    }
    /* The body's scope: carried names bound to the values inside (or, when
     * the loop could not be opened, to the values before it, so the body
     * is still checked). */
    mark = lw->top;
    for (i = 0; i < n; i++) {
        lval v;
        v.v = open ? inner[i] : init[i];
        v.t = types[i];
        if (!(b = bind(lw, carried.v[i], v))) {
            return;
        }
        b->carry = types[i];
        b->carry_line = s->pos.line;
        if (open) {
            name_value(lw, inner[i], carried.v[i]);
        }
    }
    lower_block(lw, s->body, NULL, NULL);
    if (lw->L->nomem) {
        return;
    }
    if (open) {
        for (i = 0; i < n; i++) {
            sym *c = lookup(lw, carried.v[i]);
            next[i] = c && c->kind == SYM_VALUE && c->val.v >= 0 && carry_fits(types[i], c->val.t)
                          ? c->val.v
                          : inner[i];
        }
        gr_error_clear(&e);
        set_loc(lw, s->body_end);
        if (gr_builder_loop_end(lw->b, next, res, &e) < 0) {
            builder_failed(lw, s->body_end, &e);
            open = 0;
        }
    }
    /* After the loop: carried names bound to the results, local names
     * remembered as such for a clear message. */
    lw->top = mark;
    for (i = 0; i < n; i++) {
        sym *before = lookup(lw, carried.v[i]);
        lval v;
        v.v = open ? res[i] : init[i];
        v.t = types[i];
        if (!(b = bind(lw, carried.v[i], v))) {
            return;
        }
        b->carry = before->carry;
        b->carry_line = before->carry_line;
        if (open) {
            name_value(lw, res[i], carried.v[i]);
        }
    }
    for (i = 0; i < local.n; i++) {
        if (!(b = bind(lw, local.v[i], poison))) {
            return;
        }
        b->kind = SYM_LOOP_LOCAL;
        b->loop_line = s->pos.line;
    }
}

/* Lower a block's statements; the top block's return values go to ret. */
static void lower_block(lower *lw, const gr_ast_stmt *s, gr_vid *ret, int *nret)
{
    for (; s; s = s->next) {
        if (gr_lang_stopped(lw->L)) {
            return;
        }
        switch (s->kind) {
        case S_ASSIGN:
            lower_assign(lw, s);
            break;
        case S_CALL: {
            lval v = lower_expr(lw, s->value);
            if (v.v >= 0) {
                gr_lang_error(lw->L, s->value->pos, GR_ERR_PARSE,
                              "the value of %s() is not used: assign it to a variable",
                              s->value->name);
            }
            break;
        }
        case S_REPEAT:
        case S_CONVERGED:
        case S_UNCHANGED:
            lower_loop(lw, s);
            break;
        case S_RETURN:
            /* Only the first top-level return is lowered (check_returns
             * reported the others). */
            if (ret && *nret < 0) {
                const gr_ast_expr *e;
                int i = 0;
                for (e = s->value; e; e = e->next, i++) {
                    lval v = lower_expr(lw, e);
                    if (v.v == V_VOID) {
                        gr_lang_error(lw->L, e->pos, GR_ERR_TYPE, "print() has no value to return");
                    }
                    ret[i] = v.v;
                }
                *nret = i;
            }
            break;
        }
    }
}

/* Returns: exactly one, the last statement of the top level. */
static void check_returns(lower *lw, const gr_ast_stmt *s, int top, const gr_ast_program *p)
{
    const gr_ast_stmt *first = NULL, *q;
    for (q = s; q; q = q->next) {
        if (q->kind == S_RETURN) {
            if (!top) {
                gr_lang_error(lw->L, q->pos, GR_ERR_PARSE,
                              "'return' inside a loop: the algorithm returns once, at its end");
            } else if (first) {
                gr_lang_error(lw->L, q->pos, GR_ERR_PARSE,
                              "a second 'return' (the first is at line %d)", first->pos.line);
            } else {
                first = q;
            }
        } else if (q->body) {
            check_returns(lw, q->body, 0, p);
        }
    }
    if (!top) {
        return;
    }
    if (!first) {
        gr_lang_error(lw->L, p->body_end, GR_ERR_PARSE,
                      "missing 'return' at the end of algorithm '%s'", p->name);
        return;
    }
    for (q = first->next; q; q = q->next) {
        if (q->kind != S_RETURN) {
            gr_lang_error(lw->L, first->pos, GR_ERR_PARSE,
                          "'return' must be the last statement (line %d comes after it)",
                          q->pos.line);
            return;
        }
    }
}

/* Result names: the variable returned, else result, result2, ...; made
 * unique with a number. */
static const char *result_name(lower *lw, const gr_ast_expr *e, int i, const char **names)
{
    char buf[96];
    const char *base = e->kind == E_NAME ? e->name : "result";
    int k, j, clash;
    /* Candidates: the plain name (a variable's, or "result" first), then
     * the name with the position, then with later numbers. */
    for (k = e->kind == E_NAME || i == 0 ? 0 : 1;; k++) {
        if (k == 0) {
            snprintf(buf, sizeof buf, "%s", base);
        } else {
            snprintf(buf, sizeof buf, "%s%d", base, i + k);
        }
        for (j = 0, clash = 0; j < i; j++) {
            clash |= strcmp(names[j], buf) == 0;
        }
        if (!clash) {
            break;
        }
    }
    return gr_arena_strndup(&lw->L->arena, buf, strlen(buf));
}

/* gr_lang_lower: the AST through a fresh builder into *out (owned by the
 * caller), errors to L (see lang_internal.h). */
int gr_lang_lower(gr_lang *L, const gr_ast_program *p, gr_program **out)
{
    lower lw;
    const gr_ast_param *q;
    const gr_ast_stmt *s, *ret_stmt = NULL;
    gr_vid *ret = NULL;
    const char **names = NULL;
    int nret = -1, i, rc;
    gr_error e;

    *out = NULL;
    memset(&lw, 0, sizeof lw);
    lw.L = L;
    gr_error_clear(&e);
    if ((rc = gr_builder_new(p->name, &lw.b, &e)) < 0) {
        if (rc == GR_ERR_NOMEM) {
            L->nomem = 1;
            return GR_ERR_NOMEM;
        }
        gr_lang_error(L, p->pos, rc, "%s", e.msg);
        return rc;
    }
    check_returns(&lw, p->body, 1, p);
    for (q = p->params; q && !gr_lang_stopped(L); q = q->next) {
        gr_vid v = -1;
        lval lv;
        gr_error_clear(&e);
        set_loc(&lw, q->pos);
        if (gr_builder_param(lw.b, q->name, q->type, q->f, q->i, &v, &e) < 0) {
            builder_failed(&lw, q->pos, &e);
            v = V_POISON;
        }
        lv.v = v;
        lv.t = q->type;
        bind(&lw, q->name, lv);
        /* The printer shows "param k": no variable name on top of it. */
        name_value(&lw, v, NULL);
    }
    for (s = p->body; s; s = s->next) {
        if (s->kind == S_RETURN) {
            ret_stmt = s;
            break;
        }
    }
    if (ret_stmt) {
        ret = gr_arena_alloc(&L->arena, (size_t)ret_stmt->nvalues * sizeof *ret);
        names = gr_arena_alloc(&L->arena, (size_t)ret_stmt->nvalues * sizeof *names);
        if (!ret || !names) {
            L->nomem = 1;
        }
    }
    if (!L->nomem) {
        lower_block(&lw, p->body, ret, &nret);
    }
    if (!gr_lang_stopped(L) && L->nerr == 0 && ret_stmt && nret > 0) {
        const gr_ast_expr *x;
        for (x = ret_stmt->value, i = 0; x && i < nret; x = x->next, i++) {
            if (!(names[i] = result_name(&lw, x, i, names))) {
                L->nomem = 1;
                break;
            }
        }
        if (!L->nomem) {
            gr_error_clear(&e);
            set_loc(&lw, ret_stmt->pos);
            if (gr_builder_return(lw.b, nret, ret, names, &e) < 0) {
                builder_failed(&lw, ret_stmt->pos, &e);
            } else {
                gr_error_clear(&e);
                if (gr_builder_finish(lw.b, out, &e) < 0) {
                    gr_pos at = p->pos;
                    *out = NULL;
                    if (e.line > 0) {
                        at.line = (int)e.line;
                        at.col = (int)(e.col > 0 ? e.col : 1);
                    }
                    if (e.code == GR_ERR_NOMEM) {
                        L->nomem = 1;
                    } else {
                        gr_lang_error(L, at, e.code < 0 ? e.code : GR_ERR_INTERNAL,
                                      "the IR verifier rejected the program: %s", e.msg);
                    }
                }
            }
        }
    }
    gr_builder_free(&lw.b);
    gr_free(lw.named);
    if (L->nomem) {
        gr_program_free(out);
        return GR_ERR_NOMEM;
    }
    if (L->nerr > 0 || L->limit_hit) {
        gr_program_free(out);
        return GR_ERR_PARSE;
    }
    return *out ? GR_OK : GR_ERR_INTERNAL;
}
