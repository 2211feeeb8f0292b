/*
 * payload.h - what `grregress post` sends: the result it reads and one
 * payload builder per target.  post.h sends the payloads; cmd_post.c ties
 * the two together.
 *
 * A result is either a compare result ("grperf.compare/1", written by
 * `grregress compare --format json`) or a run file ("grperf.run/1").  The
 * builders turn it into:
 *  - the generic webhook JSON ("grperf.post/1": kind, commit, machine,
 *    verdict, summary counts, one row per benchmark, idempotency_key);
 *  - Slack/Mattermost incoming-webhook JSON {"text": "..."} (mrkdwn);
 *  - a GitHub commit status {state, context "grperf/regress", description
 *    of at most 140 characters, target_url} and a PR comment {"body": the
 *    Markdown table of format.c};
 *  - InfluxDB line protocol, one line per benchmark: measurement "grperf",
 *    tags benchmark, branch, group, machine (sorted, empty ones left out),
 *    numeric fields, string fields verdict and commit, a ns timestamp.
 *
 * Ownership: a gr_presult owns everything it points to (free it with
 * gr_presult_free); its gr_report's strings point into its parsed JSON.
 * Every built payload is a NUL-terminated string allocated with gr_malloc
 * that the caller frees with gr_free.  Builders return GR_OK or
 * GR_ERR_NOMEM (the library never dies on out-of-memory).
 */
#ifndef GR_REGRESS_PAYLOAD_H
#define GR_REGRESS_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "gr.h"
#include "common/error.h"
#include "common/runfile.h"
#include "regress/decide.h"

struct cJSON;

/* ---- the result ------------------------------------------------------ */

enum gr_presult_kind {
    GR_PRESULT_COMPARE = 0,   /* grperf.compare/1 */
    GR_PRESULT_RUN            /* grperf.run/1 */
};

struct gr_presult {
    enum gr_presult_kind kind;
    struct gr_report rep;    /* compare: the rows (strings point into json) */
    struct cJSON *json;      /* compare: the parsed document (owned) */
    gr_run *run;             /* run: the run file (owned) */
    const char *sha;         /* commit sha from the result, or NULL */
    const char *branch;      /* branch from the result, or NULL */
    const char *machine;     /* machine hash (compare: the current run's) */
    int64_t time_ns;         /* when measured (run: finished), 0 unknown */
};

/* Parse a compare result or a run file from text (label names it in
 * messages: "PATH: benchmarks[2].verdict: unknown verdict 'x'").  A compare
 * result may carry an optional "commit": {"sha", "branch"} object.  Returns
 * GR_OK and *out (free with gr_presult_free), or GR_ERR_PARSE (not JSON,
 * with line:col), GR_ERR_FORMAT (a schema rule), GR_ERR_NOMEM. */
int gr_presult_parse(const char *text, size_t len, const char *label,
                    struct gr_presult **out, gr_error *err);

/* Free a result and NULL the pointer; NULL allowed. */
void gr_presult_free(struct gr_presult **r);

/* 1 when a compare result holds a regression or a checksum mismatch. */
int gr_presult_failed(const struct gr_presult *r);

/* ---- what the payloads say about where the result comes from ---------- */

struct gr_payload_ctx {
    const char *sha;         /* commit (full sha), or NULL when unknown */
    const char *branch;      /* branch, or NULL */
    const char *machine;     /* machine hash, or NULL */
    int64_t time_ns;         /* Influx timestamp (ns since the epoch) */
    const char *run_url;     /* link to the CI run (status target_url), or NULL */
};

/* ---- builders ---------------------------------------------------------- */

/* The generic webhook JSON; its idempotency_key field is `key`. */
int gr_payload_webhook(const struct gr_presult *r, const struct gr_payload_ctx *c,
                       const char *key, char **out, gr_error *err);

/* Slack/Mattermost {"text": ...}: a short mrkdwn summary. */
int gr_payload_slack(const struct gr_presult *r, const struct gr_payload_ctx *c,
                     char **out, gr_error *err);

/* GitHub commit status JSON (compare results only: GR_ERR_INVALID for a
 * run). */
int gr_payload_github_status(const struct gr_presult *r, const struct gr_payload_ctx *c,
                             char **out, gr_error *err);

/* The first line of every PR comment's Markdown: `post --github` finds
 * its earlier comment by it and updates that one. */
#define GR_PAYLOAD_COMMENT_MARKER "<!-- grperf/regress -->"

/* GitHub PR comment JSON {"body": Markdown} (compare results only); the
 * Markdown starts with GR_PAYLOAD_COMMENT_MARKER and a newline. */
int gr_payload_github_comment(const struct gr_presult *r, const struct gr_payload_ctx *c,
                              char **out, gr_error *err);

/* InfluxDB line protocol, one line per benchmark, each ending in "\n". */
int gr_payload_influx(const struct gr_presult *r, const struct gr_payload_ctx *c,
                      char **out, gr_error *err);

/* The idempotency key of a payload: 32 hex digits (two independent 64-bit
 * hashes) over target kind, URL and body, written to key[33].  The same
 * payload to the same target always gets the same key. */
void gr_payload_key(const char *kind, const char *url, const char *body, size_t len,
                    char key[33]);

/* ---- pieces, exported for the unit tests -------------------------------- */

/* A growable string; `failed` is set (and further appends ignored) when
 * memory runs out.  data is gr_malloc'ed; gr_pbuf_take hands it over. */
struct gr_pbuf {
    char *data;              /* NUL-terminated when len > 0 */
    size_t len, cap;
    int failed;              /* an allocation failed */
};
void gr_pbuf_add(struct gr_pbuf *b, const char *s, size_t n);
void gr_pbuf_puts(struct gr_pbuf *b, const char *s);
void gr_pbuf_printf(struct gr_pbuf *b, const char *fmt, ...) GR_PRINTF(2, 3);
/* The text (caller frees with gr_free), or NULL after a failure (the
 * buffer is freed either way). */
char *gr_pbuf_take(struct gr_pbuf *b);
void gr_pbuf_free(struct gr_pbuf *b);

/* Where a string goes in a line of line protocol; each has its rules. */
enum gr_lp_part {
    GR_LP_MEASUREMENT = 0,   /* escape comma, space */
    GR_LP_TAG,               /* tag key, tag value, field key: comma, =, space */
    GR_LP_STRING             /* field string value (inside quotes): ", \ */
};

/* Append s escaped for `part`.  In string values " and \ are escaped.
 * Elsewhere a newline, carriage return or tab becomes an escaped space (a
 * line cannot hold them), and a backslash is written as is, which InfluxDB
 * 1.x and 2.x both read as a literal backslash, except where it would
 * escape what follows it: at the end, or before a character escaped here.
 * No form of it is read alike by 1.x ("\\" stays two backslashes, and a
 * backslash before a separator is refused) and 2.x, so there it becomes
 * '/'.  (Git branch names and grprof's benchmark names hold no backslash.) */
void gr_lp_escape(struct gr_pbuf *b, enum gr_lp_part part, const char *s);

/* Slack mrkdwn text: & < > become &amp; &lt; &gt; (Slack's only escapes). */
void gr_slack_escape(struct gr_pbuf *b, const char *s);

/* "2026-11-26T03:10:41Z" (or with fractional seconds / an offset) -> ns
 * since the epoch; -1 when not an ISO 8601 UTC time. */
int64_t gr_payload_parse_time(const char *iso);

#endif
