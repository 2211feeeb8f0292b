/*
 * cli.h - grprof's command framework.
 *
 * grprof is a git-style program: `grprof COMMAND [ARGS]`.  Each command
 * lives in its own file (cmd_NAME.c) and exports one `struct gr_cmd`: its
 * name, a one-line summary, a usage line, a description, its positional
 * arguments, a table of options sorted by long name, and a handler.
 * commands.c lists every command in one table and holds grprof_main.
 *
 * The framework parses options from the table, so every command behaves
 * alike:
 *  - long options `--name`, `--name=value` or `--name value`; short options
 *    `-x`, `-xVALUE`, `-x VALUE`, and bundled flags `-qs`;
 *  - options and positional arguments may be interleaved; `--` ends the
 *    options (everything after is positional), a lone `-` is positional;
 *  - values are typed (integers, floats, enumerations, strings) and checked
 *    against the option's range or choices while parsing;
 *  - an option may be repeated when marked GR_OPT_REPEAT (every value is
 *    kept, in order); otherwise the last one given wins;
 *  - `-h`/`--help` anywhere before `--` prints the command's help on stdout
 *    and exits 0;
 *  - a usage error prints ONE line on stderr,
 *        grprof CMD: WHAT (see 'grprof CMD --help')
 *    and exits GR_EXIT_USAGE (2); an unknown option or command suggests the
 *    closest known name.
 *
 * Ownership: a gr_args holds pointers into argv (never copied) and the
 * arrays it allocates; gr_args_free releases those.  Out-of-memory in the
 * CLI prints "grprof: out of memory" and exits 1 (only the CLI may die).
 */
#ifndef GR_PROFILER_CLI_H
#define GR_PROFILER_CLI_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

#include "gr.h"
#include "common/error.h"   /* GR_PRINTF */

#define GR_CLI_PROG "grprof"

/* The program name in messages and --help: GR_CLI_PROG unless a program
 * sharing the framework (grregress) sets it before running a command. */
extern const char *gr_cli_prog;

/* Process exit codes of every grprof command. */
enum gr_exit {
    GR_EXIT_OK = 0,      /* success */
    GR_EXIT_FAIL = 1,    /* a runtime failure (out of memory, I/O on output) */
    GR_EXIT_USAGE = 2    /* bad usage or bad input (options, specs, files) */
};

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

enum gr_opt_type {
    GR_OPT_FLAG = 0,     /* no value */
    GR_OPT_STRING,       /* any text */
    GR_OPT_INT,          /* a decimal int64 */
    GR_OPT_FLOAT,        /* a finite number (strtod syntax) */
    GR_OPT_ENUM          /* one of choices[] */
};

/* Option flags. */
enum {
    GR_OPT_REPEAT = 1u << 0, /* may be given several times, all kept */
    GR_OPT_MIN = 1u << 1,    /* INT/FLOAT: value must be >= min */
    GR_OPT_MAX = 1u << 2     /* INT/FLOAT: value must be <= max */
};

/* One option of a command (or one parameter of an algorithm: grprof exec
 * reuses the type and validation for --param NAME=VALUE).  A table is an
 * array sorted by `name` and ended by an all-zero entry. */
struct gr_opt {
    const char *name;            /* long name without "--" */
    char shortname;              /* short letter, or 0 for none */
    enum gr_opt_type type;       /* the value's type */
    const char *metavar;         /* value placeholder in help ("SPEC");
                                    NULL: "A|B" for enums, "N", "X", "TEXT" */
    const char *help;            /* one line for --help */
    const char *def;             /* default value as text, or NULL */
    const char *const *choices;  /* GR_OPT_ENUM: NULL-terminated names */
    double min, max;             /* range, used with GR_OPT_MIN / GR_OPT_MAX */
    unsigned flags;              /* GR_OPT_* flags */
};

/* A parsed option value.  `text` is always set; the typed fields matching
 * the option's type are filled (an INT also fills f). */
struct gr_optval {
    const char *text;            /* the value as written (argv or table) */
    int64_t i;                   /* GR_OPT_INT */
    double f;                    /* GR_OPT_FLOAT, and GR_OPT_INT as double */
    int choice;                  /* GR_OPT_ENUM: index into choices */
};

/* Parse and check `text` as a value of option (or parameter) `o`.  Returns
 * 0 and fills *out, or -1 and writes the reason ("expected an integer",
 * "must be >= 1", "expected one of native, best") into why[n]. */
int gr_opt_value(const struct gr_opt *o, const char *text,
                 struct gr_optval *out, char *why, size_t n);

/* The number of entries in a zero-terminated option table. */
size_t gr_opt_count(const struct gr_opt *opts);

/* The entry named `name` in a zero-terminated table, or NULL. */
const struct gr_opt *gr_opt_find(const struct gr_opt *opts, const char *name);

/* ------------------------------------------------------------------ */
/* Commands                                                             */
/* ------------------------------------------------------------------ */

struct gr_args;

/* A command.  Defined once per cmd_NAME.c, listed in commands.c. */
struct gr_cmd {
    const char *name;            /* "exec" */
    const char *summary;         /* one line for `grprof --help` */
    const char *usage;           /* after "grprof NAME ": "ALGO --graph SPEC [options]" */
    const char *description;     /* --help text after the options, or NULL */
    void (*help_extra)(FILE *fp);/* generated help (e.g. from tables), or NULL */
    const char *const *args;     /* positional names, NULL-terminated: "ALGO"
                                    required, "[X]" optional, "X..." any number */
    const struct gr_opt *opts;   /* sorted by name, zero-terminated */
    int (*handler)(const struct gr_cmd *cmd, const struct gr_args *args);
                                 /* runs the command; returns a gr_exit code */
};

/* Parsed command line of one command. */
struct gr_args {
    const struct gr_cmd *cmd;    /* the command parsed for */
    int nargs;                   /* positional arguments */
    char **args;                 /* nargs pointers into argv (array owned) */
    int nvals;                   /* option values given, in command-line order */
    struct gr_argval {
        int opt;                 /* index into cmd->opts */
        struct gr_optval v;      /* the value (flags: text "") */
    } *vals;                     /* owned */
    struct gr_optval *defs;      /* per option, its parsed default (owned) */
    int help;                    /* --help was given */
};

/* Parse argv (argv[0] is the command name) for `cmd` into *a.  Returns
 * GR_EXIT_OK (a->help set when --help was asked for) or, after printing
 * the one-line error, GR_EXIT_USAGE.  Free *a with gr_args_free either way. */
int gr_args_parse(const struct gr_cmd *cmd, int argc, char **argv,
                  struct gr_args *a);

/* Release what gr_args_parse allocated; *a may be reused. */
void gr_args_free(struct gr_args *a);

/* How many times option `name` was given.  `name` must be in the table
 * (a misspelt name is a bug: the program aborts). */
int gr_args_count(const struct gr_args *a, const char *name);

/* The last value given for `name`, else its default, else NULL. */
const struct gr_optval *gr_args_get(const struct gr_args *a, const char *name);

/* The i-th value given for a repeated option (0-based), or NULL. */
const struct gr_optval *gr_args_nth(const struct gr_args *a, const char *name,
                                    int i);

/* Parse argv for cmd, print help or run the handler; returns the exit
 * code.  The whole life of one command invocation. */
int gr_cmd_run(const struct gr_cmd *cmd, int argc, char **argv);

/* Print the command's --help on fp: usage, summary, options (generated
 * from the table, with defaults), description, help_extra. */
void gr_cmd_help(const struct gr_cmd *cmd, FILE *fp);

/* Check a command's table: options strictly sorted by name, unique short
 * letters, no -h/--help (the framework's), valid defaults.  Returns 0, or
 * -1 with the problem in why[n]. */
int gr_cmd_check(const struct gr_cmd *cmd, char *why, size_t n);

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

/* Print "grprof CMD: MSG (see 'grprof CMD --help')" on stderr; returns
 * GR_EXIT_USAGE.  For mistakes in the command line. */
int gr_cli_usage(const struct gr_cmd *cmd, const char *fmt, ...) GR_PRINTF(2, 3);

/* Print "grprof CMD: MSG" on stderr; returns `code`.  For failures that
 * are not about the command line (a file, the algorithm, the output). */
int gr_cli_fail(const struct gr_cmd *cmd, int code, const char *fmt, ...)
    GR_PRINTF(3, 4);

/* Print "grprof CMD: " followed by the library's gr_error_format line;
 * returns `code`. */
int gr_cli_error(const struct gr_cmd *cmd, int code, const gr_error *err);

/* A percentage option value: "5%", "5" or "0.5%" -> 0.05, 0.05, 0.005 in
 * *out; -1 (nothing stored) when it is not a number in (0, 1000] with an
 * optional '%'. */
int gr_cli_parse_pct(const char *s, double *out);

/* Allocation for the CLI: gr_calloc that prints "grprof: out of memory"
 * and exits 1 on failure.  Free with gr_free. */
void *gr_cli_alloc(size_t count, size_t size);

/* ------------------------------------------------------------------ */
/* Did-you-mean                                                         */
/* ------------------------------------------------------------------ */

/* Collects the candidate closest to `word`: feed every known name with
 * gr_suggest_add, then gr_suggest_best gives the closest one if it is
 * close enough to be a plausible typo (edit distance with transpositions
 * at most 1 for short words, 2 from 5 characters on, or `word` a prefix of
 * it), else NULL. */
struct gr_suggest {
    const char *word;            /* what the user typed */
    const char *best;            /* closest candidate so far */
    size_t dist;                 /* its distance */
};
void gr_suggest_init(struct gr_suggest *s, const char *word);
void gr_suggest_add(struct gr_suggest *s, const char *candidate);
const char *gr_suggest_best(const struct gr_suggest *s);

/* ------------------------------------------------------------------ */
/* Formatting shared by commands                                        */
/* ------------------------------------------------------------------ */

/* A duration in nanoseconds with a scaled unit and three significant
 * digits: "812 ns", "4.56 µs", "12.3 ms", "2.35 s" (µs is UTF-8).  "-"
 * for a negative or NaN duration.  Returns buf. */
const char *gr_fmt_duration(double ns, char *buf, size_t n);

/* A byte count with a binary unit: "512 B", "1.50 KiB", "12.3 MiB",
 * "2.00 GiB".  Returns buf. */
const char *gr_fmt_bytes(uint64_t bytes, char *buf, size_t n);

/* The shortest "%.Ng" form of x that reads back as exactly x ("0.85",
 * not "0.84999999999999998"); "inf", "-inf", "nan" spelled so on every
 * platform.  Returns buf. */
const char *gr_fmt_double(double x, char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* The program                                                          */
/* ------------------------------------------------------------------ */

/* The commands (one per cmd_NAME.c). */
extern const struct gr_cmd gr_cmd_exec;
extern const struct gr_cmd gr_cmd_explain;
extern const struct gr_cmd gr_cmd_run_suite; /* `run` (gr_cmd_run is the framework's) */
extern const struct gr_cmd gr_cmd_list;

/* grprof's entry point: `grprof --help`, `grprof --version`,
 * `grprof help [COMMAND]`, or `grprof COMMAND ...`.  Returns the exit
 * code. */
int grprof_main(int argc, char **argv);

/* A program built on this framework: grprof, grregress. */
struct gr_cli_app {
    const char *prog;                    /* "grprof": messages, --help, --version */
    const char *about;                   /* paragraph for --help, ending in "\n" */
    const char *exit_codes;              /* "Exit codes: ...\n" for --help */
    const struct gr_cmd *const *commands;/* NULL-terminated, in --help order */
    int write_fail_code;                 /* exit code when stdout cannot be written */
};

/* The whole program: `PROG --help|--version`, `PROG help CMD`, `PROG CMD
 * ARGS...` (an unknown command or option suggests the closest one); a
 * failure to write stdout turns success into app->write_fail_code.
 * Returns the exit code. */
int gr_cli_main(const struct gr_cli_app *app, int argc, char **argv);

#endif
