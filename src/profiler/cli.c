/*
 * cli.c - grprof's command framework (see cli.h): option tables, typed
 * values, the parser, --help generation, one-line errors, did-you-mean
 * suggestions and the number formats commands share.
 */
#include "config.h"
#include "profiler/cli.h"
#include "common/mem.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocation and errors ------------------------------------------ */

const char *gr_cli_prog = GR_CLI_PROG;

void *gr_cli_alloc(size_t count, size_t size)
{
    void *p = gr_calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", gr_cli_prog);
        exit(GR_EXIT_FAIL);
    }
    return p;
}

static void vprint_error(const struct gr_cmd *cmd, int hint, const char *fmt,
                         va_list ap) GR_PRINTF(3, 0);

static void vprint_error(const struct gr_cmd *cmd, int hint, const char *fmt,
                         va_list ap)
{
    fflush(stdout); /* keep stdout and stderr in order on a terminal */
    if (cmd) {
        fprintf(stderr, "%s %s: ", gr_cli_prog, cmd->name);
    } else {
        fprintf(stderr, "%s: ", gr_cli_prog);
    }
    vfprintf(stderr, fmt, ap);
    if (hint && cmd) {
        fprintf(stderr, " (see '%s %s --help')", gr_cli_prog, cmd->name);
    } else if (hint) {
        fprintf(stderr, " (see '%s --help')", gr_cli_prog);
    }
    fputc('\n', stderr);
}

int gr_cli_usage(const struct gr_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_error(cmd, 1, fmt, ap);
    va_end(ap);
    return GR_EXIT_USAGE;
}

int gr_cli_fail(const struct gr_cmd *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_error(cmd, 0, fmt, ap);
    va_end(ap);
    return code;
}

int gr_cli_error(const struct gr_cmd *cmd, int code, const gr_error *err)
{
    char buf[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    return gr_cli_fail(cmd, code, "%s", gr_error_format(err, buf, sizeof buf));
}

/* ---- did-you-mean ----------------------------------------------------- */

/* Optimal-string-alignment distance (Levenshtein plus adjacent
 * transpositions), case-sensitive; words longer than 63 bytes are far. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { W = 64 };
    size_t la = strlen(a), lb = strlen(b), i, j;
    size_t d[3][W]; /* rows i-2, i-1, i, rotated */
    if (la >= W || lb >= W) {
        return (size_t)-1;
    }
    for (j = 0; j <= lb; j++) {
        d[0][j] = j;
    }
    for (i = 1; i <= la; i++) {
        size_t *cur = d[i % 3], *prev = d[(i - 1) % 3], *prev2 = d[(i + 1) % 3];
        cur[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) {
                best = cur[j - 1] + 1;
            }
            if (prev[j - 1] + cost < best) {
                best = prev[j - 1] + cost;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && prev2[j - 2] + 1 < best) {
                best = prev2[j - 2] + 1;
            }
            cur[j] = best;
        }
    }
    return d[la % 3][lb];
}

void gr_suggest_init(struct gr_suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->dist = (size_t)-1;
}

void gr_suggest_add(struct gr_suggest *s, const char *candidate)
{
    size_t wl = strlen(s->word), d;
    if (wl >= 2 && strncmp(candidate, s->word, wl) == 0) {
        d = 1; /* a prefix is as good as one typo */
    } else {
        d = edit_distance(s->word, candidate);
    }
    if (d < s->dist) {
        s->dist = d;
        s->best = candidate;
    }
}

const char *gr_suggest_best(const struct gr_suggest *s)
{
    size_t wl = strlen(s->word);
    size_t limit = wl >= 5 ? 2 : 1;
    /* dist < wl: "-x" is not a typo of "-q" */
    if (!s->best || s->dist == 0 || s->dist > limit || s->dist >= wl) {
        return NULL;
    }
    return s->best;
}

/* ---- values ------------------------------------------------------------ */

size_t gr_opt_count(const struct gr_opt *opts)
{
    size_t n = 0;
    while (opts && opts[n].name) {
        n++;
    }
    return n;
}

const struct gr_opt *gr_opt_find(const struct gr_opt *opts, const char *name)
{
    size_t i;
    for (i = 0; opts && opts[i].name; i++) {
        if (strcmp(opts[i].name, name) == 0) {
            return &opts[i];
        }
    }
    return NULL;
}

/* Write "expected one of a, b, c" into why. */
static void list_choices(const struct gr_opt *o, char *why, size_t n)
{
    size_t len, k;
    snprintf(why, n, "expected one of ");
    for (k = 0; o->choices && o->choices[k]; k++) {
        len = strlen(why);
        snprintf(why + len, n - len, "%s%s", k ? ", " : "", o->choices[k]);
    }
}

static int check_range(const struct gr_opt *o, double x, char *why, size_t n)
{
    char lo[40], hi[40];
    int bad_lo = (o->flags & GR_OPT_MIN) && x < o->min;
    int bad_hi = (o->flags & GR_OPT_MAX) && x > o->max;
    if (!bad_lo && !bad_hi) {
        return 0;
    }
    gr_fmt_double(o->min, lo, sizeof lo);
    gr_fmt_double(o->max, hi, sizeof hi);
    if ((o->flags & GR_OPT_MIN) && (o->flags & GR_OPT_MAX)) {
        snprintf(why, n, "must be between %s and %s", lo, hi);
    } else if (bad_lo) {
        snprintf(why, n, "must be >= %s", lo);
    } else {
        snprintf(why, n, "must be <= %s", hi);
    }
    return -1;
}

int gr_opt_value(const struct gr_opt *o, const char *text,
                 struct gr_optval *out, char *why, size_t n)
{
    char *end;
    memset(out, 0, sizeof *out);
    out->text = text;
    switch (o->type) {
    case GR_OPT_FLAG:
    case GR_OPT_STRING:
        return 0;
    case GR_OPT_INT: {
        long long v;
        errno = 0;
        v = strtoll(text, &end, 10);
        if (end == text || *end != '\0' || isspace((unsigned char)text[0])) {
            snprintf(why, n, "expected an integer");
            return -1;
        }
        if (errno == ERANGE) {
            snprintf(why, n, "integer out of range");
            return -1;
        }
        out->i = (int64_t)v;
        out->f = (double)v;
        return check_range(o, (double)v, why, n);
    }
    case GR_OPT_FLOAT: {
        double v;
        errno = 0;
        v = strtod(text, &end);
        if (end == text || *end != '\0' || isspace((unsigned char)text[0])
            || isnan(v)) {
            snprintf(why, n, "expected a number");
            return -1;
        }
        if (isinf(v) || (errno == ERANGE && v != 0.0)) {
            snprintf(why, n, "number out of range");
            return -1;
        }
        out->f = v;
        return check_range(o, v, why, n);
    }
    case GR_OPT_ENUM: {
        int k;
        for (k = 0; o->choices && o->choices[k]; k++) {
            if (strcmp(o->choices[k], text) == 0) {
                out->choice = k;
                return 0;
            }
        }
        list_choices(o, why, n);
        return -1;
    }
    }
    snprintf(why, n, "bad option type");
    return -1;
}

/* ---- parsing ------------------------------------------------------------ */

void gr_args_free(struct gr_args *a)
{
    gr_free(a->args);
    gr_free(a->vals);
    gr_free(a->defs);
    memset(a, 0, sizeof *a);
}

static int opt_index(const struct gr_args *a, const char *name)
{
    const struct gr_opt *o = gr_opt_find(a->cmd->opts, name);
    if (!o) {
        fprintf(stderr, "%s %s: internal error: no option '%s'\n",
                gr_cli_prog, a->cmd->name, name);
        abort();
    }
    return (int)(o - a->cmd->opts);
}

int gr_args_count(const struct gr_args *a, const char *name)
{
    int k = opt_index(a, name), i, c = 0;
    for (i = 0; i < a->nvals; i++) {
        c += a->vals[i].opt == k;
    }
    return c;
}

const struct gr_optval *gr_args_get(const struct gr_args *a, const char *name)
{
    int k = opt_index(a, name), i;
    for (i = a->nvals - 1; i >= 0; i--) {
        if (a->vals[i].opt == k) {
            return &a->vals[i].v;
        }
    }
    return a->cmd->opts[k].def ? &a->defs[k] : NULL;
}

const struct gr_optval *gr_args_nth(const struct gr_args *a, const char *name,
                                    int nth)
{
    int k = opt_index(a, name), i;
    for (i = 0; i < a->nvals; i++) {
        if (a->vals[i].opt == k && nth-- == 0) {
            return &a->vals[i].v;
        }
    }
    return NULL;
}

/* Suggest-or-not error for an unknown long option. */
static int unknown_long(const struct gr_cmd *cmd, const char *name, size_t len)
{
    char word[64];
    struct gr_suggest s;
    size_t i;
    snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), name);
    gr_suggest_init(&s, word);
    for (i = 0; cmd->opts && cmd->opts[i].name; i++) {
        gr_suggest_add(&s, cmd->opts[i].name);
    }
    gr_suggest_add(&s, "help");
    if (gr_suggest_best(&s)) {
        return gr_cli_usage(cmd, "unknown option '--%s'; did you mean '--%s'?",
                            word, gr_suggest_best(&s));
    }
    return gr_cli_usage(cmd, "unknown option '--%s'", word);
}

/* Record one option value (validated). */
static int add_value(struct gr_args *a, int k, const char *text)
{
    const struct gr_opt *o = &a->cmd->opts[k];
    char why[256];
    struct gr_optval v;
    if (gr_opt_value(o, text, &v, why, sizeof why) < 0) {
        return gr_cli_usage(a->cmd, "bad value '%s' for --%s: %s", text,
                            o->name, why);
    }
    a->vals[a->nvals].opt = k;
    a->vals[a->nvals].v = v;
    a->nvals++;
    return GR_EXIT_OK;
}

/* Is `s` a request for help? */
static int is_help(const char *s)
{
    return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/* Check the number of positional arguments against cmd->args. */
static int check_positional(const struct gr_args *a)
{
    const struct gr_cmd *cmd = a->cmd;
    int required = 0, max = 0, unlimited = 0, k;
    for (k = 0; cmd->args && cmd->args[k]; k++) {
        size_t len = strlen(cmd->args[k]);
        max++;
        if (cmd->args[k][0] != '[') {
            required++;
        }
        if (len >= 3 && strcmp(cmd->args[k] + len - 3, "...") == 0) {
            unlimited = 1;
        }
    }
    if (a->nargs < required) {
        return gr_cli_usage(cmd, "missing %s", cmd->args[a->nargs]);
    }
    if (!unlimited && a->nargs > max) {
        return gr_cli_usage(cmd, "unexpected argument '%s'", a->args[max]);
    }
    return GR_EXIT_OK;
}

int gr_args_parse(const struct gr_cmd *cmd, int argc, char **argv,
                  struct gr_args *a)
{
    size_t nopts = gr_opt_count(cmd->opts), k, cap = 1;
    int i, done = 0, rc;
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    for (i = 1; i < argc; i++) {
        cap += strlen(argv[i]) + 1; /* bundled flags: one value per letter */
    }
    a->args = gr_cli_alloc((size_t)(argc > 0 ? argc : 1), sizeof *a->args);
    a->vals = gr_cli_alloc(cap, sizeof *a->vals);
    a->defs = gr_cli_alloc(nopts + 1, sizeof *a->defs);
    for (k = 0; k < nopts; k++) {
        char why[256];
        if (cmd->opts[k].def
            && gr_opt_value(&cmd->opts[k], cmd->opts[k].def, &a->defs[k], why,
                            sizeof why) < 0) {
            return gr_cli_fail(cmd, GR_EXIT_FAIL,
                               "internal error: default of --%s: %s",
                               cmd->opts[k].name, why);
        }
    }
    /* --help anywhere before "--" wins over every other problem */
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (is_help(argv[i])) {
            a->help = 1;
            return GR_EXIT_OK;
        }
    }
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (done || arg[0] != '-' || arg[1] == '\0') {
            a->args[a->nargs++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            done = 1;
        } else if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const struct gr_opt *o = NULL;
            for (k = 0; k < nopts; k++) {
                if (strlen(cmd->opts[k].name) == len
                    && strncmp(cmd->opts[k].name, name, len) == 0) {
                    o = &cmd->opts[k];
                    break;
                }
            }
            if (!o) {
                return unknown_long(cmd, name, len);
            }
            if (o->type == GR_OPT_FLAG) {
                if (eq) {
                    return gr_cli_usage(cmd, "option '--%s' takes no value",
                                        o->name);
                }
                rc = add_value(a, (int)k, "");
            } else if (eq) {
                rc = add_value(a, (int)k, eq + 1);
            } else if (i + 1 < argc) {
                rc = add_value(a, (int)k, argv[++i]);
            } else {
                return gr_cli_usage(cmd, "option '--%s' needs a value", o->name);
            }
            if (rc != GR_EXIT_OK) {
                return rc;
            }
        } else {
            const char *p;
            for (p = arg + 1; *p; p++) {
                const struct gr_opt *o = NULL;
                if (*p == 'h') { /* in a bundle such as -qh */
                    a->help = 1;
                    return GR_EXIT_OK;
                }
                for (k = 0; k < nopts; k++) {
                    if (cmd->opts[k].shortname == *p) {
                        o = &cmd->opts[k];
                        break;
                    }
                }
                if (!o) {
                    return gr_cli_usage(cmd, "unknown option '-%c'", *p);
                }
                if (o->type == GR_OPT_FLAG) {
                    rc = add_value(a, (int)k, "");
                } else if (p[1]) {
                    rc = add_value(a, (int)k, p + 1);
                    p += strlen(p) - 1;
                } else if (i + 1 < argc) {
                    rc = add_value(a, (int)k, argv[++i]);
                } else {
                    return gr_cli_usage(cmd, "option '-%c' (--%s) needs a value",
                                        *p, o->name);
                }
                if (rc != GR_EXIT_OK) {
                    return rc;
                }
            }
        }
    }
    return check_positional(a);
}

int gr_cmd_check(const struct gr_cmd *cmd, char *why, size_t n)
{
    size_t nopts = gr_opt_count(cmd->opts), k, j;
    for (k = 0; k < nopts; k++) {
        const struct gr_opt *o = &cmd->opts[k];
        struct gr_optval v;
        char vwhy[256];
        if (k > 0 && strcmp(cmd->opts[k - 1].name, o->name) >= 0) {
            snprintf(why, n, "%s: options not sorted at --%s", cmd->name, o->name);
            return -1;
        }
        if (strcmp(o->name, "help") == 0 || o->shortname == 'h') {
            snprintf(why, n, "%s: -h/--help belongs to the framework", cmd->name);
            return -1;
        }
        for (j = 0; j < k && o->shortname; j++) {
            if (cmd->opts[j].shortname == o->shortname) {
                snprintf(why, n, "%s: -%c used twice", cmd->name, o->shortname);
                return -1;
            }
        }
        if (o->type == GR_OPT_ENUM && (!o->choices || !o->choices[0])) {
            snprintf(why, n, "%s: --%s has no choices", cmd->name, o->name);
            return -1;
        }
        if (o->def && gr_opt_value(o, o->def, &v, vwhy, sizeof vwhy) < 0) {
            snprintf(why, n, "%s: default of --%s: %s", cmd->name, o->name, vwhy);
            return -1;
        }
    }
    return 0;
}

int gr_cmd_run(const struct gr_cmd *cmd, int argc, char **argv)
{
    struct gr_args a;
    char why[256];
    int rc;
    if (gr_cmd_check(cmd, why, sizeof why) < 0) {
        return gr_cli_fail(NULL, GR_EXIT_FAIL, "internal error: %s", why);
    }
    rc = gr_args_parse(cmd, argc, argv, &a);
    if (rc == GR_EXIT_OK && a.help) {
        gr_cmd_help(cmd, stdout);
    } else if (rc == GR_EXIT_OK) {
        rc = cmd->handler(cmd, &a);
    }
    gr_args_free(&a);
    return rc;
}

/* ---- help ----------------------------------------------------------------- */

/* The left column of an option's help line: "-g, --graph=SPEC". */
static void opt_left(const struct gr_opt *o, char *buf, size_t n)
{
    char meta[128];
    size_t len;
    if (o->shortname) {
        snprintf(buf, n, "-%c, --%s", o->shortname, o->name);
    } else {
        snprintf(buf, n, "    --%s", o->name);
    }
    if (o->type == GR_OPT_FLAG) {
        return;
    }
    if (o->metavar) {
        snprintf(meta, sizeof meta, "%s", o->metavar);
    } else if (o->type == GR_OPT_ENUM) {
        size_t k;
        meta[0] = '\0';
        for (k = 0; o->choices[k]; k++) {
            len = strlen(meta);
            snprintf(meta + len, sizeof meta - len, "%s%s", k ? "|" : "",
                     o->choices[k]);
        }
    } else {
        snprintf(meta, sizeof meta, "%s",
                 o->type == GR_OPT_INT ? "N" : o->type == GR_OPT_FLOAT ? "X"
                                                                       : "TEXT");
    }
    len = strlen(buf);
    snprintf(buf + len, n - len, "=%s", meta);
}

void gr_cmd_help(const struct gr_cmd *cmd, FILE *fp)
{
    enum { MAXCOL = 30 };
    size_t nopts = gr_opt_count(cmd->opts), k;
    int width = 10;
    char left[192];
    fprintf(fp, "usage: %s %s %s\n\n%s\n", gr_cli_prog, cmd->name,
            cmd->usage ? cmd->usage : "[options]", cmd->summary);
    for (k = 0; k < nopts; k++) {
        int len;
        opt_left(&cmd->opts[k], left, sizeof left);
        len = (int)strlen(left);
        if (len > width && len <= MAXCOL) {
            width = len;
        }
    }
    fprintf(fp, "\nOptions:\n");
    for (k = 0; k < nopts; k++) {
        const struct gr_opt *o = &cmd->opts[k];
        opt_left(o, left, sizeof left);
        if ((int)strlen(left) > width) {
            fprintf(fp, "  %s\n  %*s  %s", left, width, "", o->help);
        } else {
            fprintf(fp, "  %-*s  %s", width, left, o->help);
        }
        if (o->flags & GR_OPT_REPEAT) {
            fprintf(fp, "; repeatable");
        }
        if (o->def) {
            fprintf(fp, " (default: %s)", o->def);
        }
        fputc('\n', fp);
    }
    fprintf(fp, "  %-*s  %s\n", width, "-h, --help", "show this help");
    if (cmd->description) {
        fprintf(fp, "\n%s", cmd->description);
    }
    if (cmd->help_extra) {
        fputc('\n', fp);
        cmd->help_extra(fp);
    }
}

/* ---- formatting ------------------------------------------------------------ */

/* x (>= 0) with three significant digits, "" unit handled by caller. */
static void three_digits(double x, char *buf, size_t n)
{
    if (x < 9.995) {
        snprintf(buf, n, "%.2f", x);
    } else if (x < 99.95) {
        snprintf(buf, n, "%.1f", x);
    } else {
        snprintf(buf, n, "%.0f", x);
    }
}

const char *gr_fmt_duration(double ns, char *buf, size_t n)
{
    static const char *const unit[] = {"ns", "\xc2\xb5s", "ms", "s"};
    char num[64];
    double x = ns;
    int u = 0;
    if (!(ns >= 0)) {
        snprintf(buf, n, "-");
        return buf;
    }
    /* the unit is chosen after rounding, so 999.96 µs prints as 1.00 ms */
    while (u < 3 && x >= 999.5) {
        x /= 1000.0;
        u++;
    }
    if (u == 0) {
        snprintf(num, sizeof num, "%.0f", x);
    } else {
        three_digits(x, num, sizeof num);
    }
    snprintf(buf, n, "%s %s", num, unit[u]);
    return buf;
}

const char *gr_fmt_bytes(uint64_t bytes, char *buf, size_t n)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    char num[64];
    double x = (double)bytes;
    int u = 0;
    while (u < 4 && x >= 1023.5) {
        x /= 1024.0;
        u++;
    }
    if (u == 0) {
        snprintf(num, sizeof num, "%" PRIu64, bytes);
    } else {
        three_digits(x, num, sizeof num);
    }
    snprintf(buf, n, "%s %s", num, unit[u]);
    return buf;
}

const char *gr_fmt_double(double x, char *buf, size_t n)
{
    int prec;
    if (isnan(x)) {
        snprintf(buf, n, "nan");
        return buf;
    }
    if (isinf(x)) {
        snprintf(buf, n, x > 0 ? "inf" : "-inf");
        return buf;
    }
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) {
            return buf;
        }
    }
    snprintf(buf, n, "%.17g", x);
    return buf;
}

/* ---- the program: command dispatch ----------------------------------------- */

static const struct gr_cmd *find_command(const struct gr_cli_app *app, const char *name)
{
    size_t i;
    for (i = 0; app->commands[i]; i++) {
        if (strcmp(app->commands[i]->name, name) == 0) {
            return app->commands[i];
        }
    }
    return NULL;
}

static void print_overview(const struct gr_cli_app *app, FILE *fp)
{
    const struct gr_cmd *const *c = app->commands;
    size_t i, width = 8;
    for (i = 0; c[i]; i++) {
        if (strlen(c[i]->name) > width) {
            width = strlen(c[i]->name);
        }
    }
    fprintf(fp, "usage: %s COMMAND [ARGS]...\n       %s --help | --version\n\n%s\n"
                "Commands:\n", app->prog, app->prog, app->about);
    for (i = 0; c[i]; i++) {
        fprintf(fp, "  %-*s  %s\n", (int)width, c[i]->name, c[i]->summary);
    }
    fprintf(fp, "\nOptions:\n"
                "  -h, --help     show this help\n"
                "  -V, --version  print the version\n"
                "\n"
                "Run '%s COMMAND --help' (or '%s help COMMAND') for a command's usage.\n%s",
            app->prog, app->prog, app->exit_codes);
}

static int unknown_command(const struct gr_cli_app *app, const char *name)
{
    struct gr_suggest s;
    size_t i;
    gr_suggest_init(&s, name);
    for (i = 0; app->commands[i]; i++) {
        gr_suggest_add(&s, app->commands[i]->name);
    }
    if (gr_suggest_best(&s)) {
        return gr_cli_usage(NULL, "unknown command '%s'; did you mean '%s'?",
                            name, gr_suggest_best(&s));
    }
    return gr_cli_usage(NULL, "unknown command '%s'", name);
}

/* The program without its final stdout check. */
static int dispatch(const struct gr_cli_app *app, int argc, char **argv)
{
    const struct gr_cmd *cmd;
    const char *first;
    if (argc < 2) {
        return gr_cli_usage(NULL, "missing command");
    }
    first = argv[1];
    if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
        print_overview(app, stdout);
        return GR_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
        printf("%s (grperf) %s\n", app->prog, gr_version());
        return GR_EXIT_OK;
    }
    if (strcmp(first, "help") == 0) {
        if (argc < 3) {
            print_overview(app, stdout);
            return GR_EXIT_OK;
        }
        cmd = find_command(app, argv[2]);
        if (!cmd) {
            return unknown_command(app, argv[2]);
        }
        gr_cmd_help(cmd, stdout);
        return GR_EXIT_OK;
    }
    if (first[0] == '-') {
        struct gr_suggest s;
        gr_suggest_init(&s, first);
        gr_suggest_add(&s, "--help");
        gr_suggest_add(&s, "--version");
        if (gr_suggest_best(&s)) {
            return gr_cli_usage(NULL, "unknown option '%s'; did you mean '%s'?",
                                first, gr_suggest_best(&s));
        }
        return gr_cli_usage(NULL, "unknown option '%s'", first);
    }
    cmd = find_command(app, first);
    if (!cmd) {
        return unknown_command(app, first);
    }
    return gr_cmd_run(cmd, argc - 1, argv + 1);
}

int gr_cli_main(const struct gr_cli_app *app, int argc, char **argv)
{
    int rc;
    gr_cli_prog = app->prog;
    rc = dispatch(app, argc, argv);
    /* a full disk or closed pipe on stdout must not look like success */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, "%s: error writing standard output: %s\n", app->prog,
                strerror(e ? e : EIO));
        if (rc == GR_EXIT_OK) {
            rc = app->write_fail_code;
        }
    }
    return rc;
}

/* See cli.h. */
int gr_cli_parse_pct(const char *s, double *out)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno) {
        return -1;
    }
    if (*end == '%') {
        end++;
    }
    if (*end != '\0' || !(v > 0) || v > 1000) {
        return -1;
    }
    *out = v / 100.0;
    return 0;
}
