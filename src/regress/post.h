/*
 * post.h - the transport of `grregress post`: one function that sends a
 * request to a URL with libcurl (POST or PATCH with a body, or GET, whose
 * response body can be kept: the listing of a PR's comments; timeouts,
 * retries with exponential backoff and jitter, Retry-After honoured, an
 * Idempotency-Key header that is the same on every attempt), URL checking
 * and redaction, and the spool that keeps undelivered POSTs and PATCHes
 * on disk until `post --flush` sends them (GETs are never spooled).
 *
 * Secrets never leave the process except in the request itself: tokens
 * are read from the environment when a request is sent (GITHUB_TOKEN for
 * kind github, INFLUX_TOKEN for influx, GRPERF_WEBHOOK_TOKEN for webhook),
 * are never stored in a gr_post_req or in a spool file, and never appear
 * in a message; URLs in messages go through gr_url_redact.  TLS peer and
 * host verification stay on (libcurl's default, never changed); only http
 * and https are allowed, redirects are not followed.
 *
 * libcurl ownership: gr_post_global_init calls curl_global_init once per
 * process (gr_post_global_cleanup undoes it); gr_post_send owns its easy
 * handle (curl_easy_init .. curl_easy_cleanup) and its header list
 * (curl_slist_append .. curl_slist_free_all) for the whole call; libcurl
 * copies the URL and option strings it is given (CURLOPT_CUSTOMREQUEST's
 * "PATCH" included), except the request body (CURLOPT_POSTFIELDS), which
 * must outlive the transfer: it is the caller's.  A kept response body is
 * gr_malloc'ed by gr_post_send and the caller's (gr_post_status_clear).
 * gr_url_check owns a CURLU handle for its call only.
 */
#ifndef GR_REGRESS_POST_H
#define GR_REGRESS_POST_H

#include <stddef.h>

#include "gr.h"

/* Where a payload goes; decides which secret is added to it. */
enum gr_target_kind {
    GR_TARGET_WEBHOOK = 0,   /* generic JSON webhook (GRPERF_WEBHOOK_TOKEN, optional) */
    GR_TARGET_SLACK,         /* Slack/Mattermost webhook (the URL is the secret) */
    GR_TARGET_GITHUB,        /* GitHub REST API (GITHUB_TOKEN) */
    GR_TARGET_INFLUX,        /* InfluxDB /write or /api/v2/write (INFLUX_TOKEN) */
    GR_TARGET_COUNT
};

/* "webhook", "slack", "github", "influx". */
const char *gr_target_name(enum gr_target_kind k);

/* The HTTP method of a request. */
enum gr_post_method {
    GR_METHOD_POST = 0,      /* the default: create (a status, a comment, a point) */
    GR_METHOD_PATCH,         /* update (the PR comment), with a body, like POST */
    GR_METHOD_GET,           /* read (the PR's comments); no body, never spooled */
    GR_METHOD_COUNT
};

/* "POST", "PATCH", "GET". */
const char *gr_post_method_name(enum gr_post_method m);

/* One payload and where it goes.  Every string is owned (gr_malloc);
 * gr_post_req_clear frees them. */
struct gr_post_req {
    enum gr_target_kind kind;
    enum gr_post_method method; /* GR_METHOD_POST after gr_post_req_init */
    char *url;               /* full URL (may hold a secret path: Slack) */
    char *content_type;      /* "application/json", "text/plain; charset=utf-8" */
    char **headers;          /* nheaders extra "Name: value" lines, no secrets */
    size_t nheaders;
    char *body;              /* the payload (NUL-terminated; "" and unsent for GET) */
    size_t len;              /* its length */
    char key[33];            /* idempotency key (payload.h: gr_payload_key) */
    char *gone_url;          /* a PATCH of a comment: where to POST the body instead
                                when the PATCH answers 404 (the comment was deleted), or
                                NULL; set with gr_post_req_gone, kept in the spool */
};

/* Fill req with copies of the arguments (headers: NULL-terminated array,
 * or NULL); the method is POST (set req->method afterwards for another).
 * GR_OK or GR_ERR_NOMEM (req cleared). */
int gr_post_req_init(struct gr_post_req *req, enum gr_target_kind kind, const char *url,
                     const char *content_type, const char *const *headers,
                     const char *body, size_t len, const char *key, gr_error *err);
/* Set req->gone_url to a copy of url.  GR_OK or GR_ERR_NOMEM (req as it
 * was). */
int gr_post_req_gone(struct gr_post_req *req, const char *url, gr_error *err);
/* Free what req holds; req may be reused. */
void gr_post_req_clear(struct gr_post_req *req);

/* How to send. */
struct gr_post_opts {
    double timeout;          /* seconds for connecting and for the whole attempt */
    int retries;             /* attempts after the first */
    double retry_delay;      /* first backoff in seconds (doubles each retry) */
    const char *cacert;      /* CA bundle for a private CA, or NULL */
    size_t keep_response;    /* 0: response bodies are discarded; else the
                                2xx response body is kept in st->response,
                                at most this many bytes (more fails) */
};

/* What happened to a request. */
struct gr_post_status {
    long http;               /* the last HTTP status, 0 when none was received */
    int attempts;            /* attempts made */
    char why[256];           /* on failure: "HTTP 503", "connection refused" ... */
    char *response;          /* with keep_response and success: the response body,
                                NUL-terminated (gr_malloc, the caller's), else NULL */
    size_t response_len;     /* its length */
};

/* Free st->response (NULL after); st may be reused. */
void gr_post_status_clear(struct gr_post_status *st);

/* curl_global_init, once per process (later calls do nothing).  GR_OK or
 * GR_ERR_INTERNAL with libcurl's message. */
int gr_post_global_init(gr_error *err);
void gr_post_global_cleanup(void);

/* Send req to req->url with req->method (POST and PATCH carry req->body
 * and its Content-Type; GET carries neither).  Retries (at most
 * o->retries times) on connection failures, timeouts, send/receive
 * errors, HTTP 408, 429 and 5xx; waits Retry-After when the server sends
 * one (at most 60 s), else retry_delay * 2^k scaled by a random factor in
 * [0.5, 1) (capped at 30 s).  Returns 0 when a 2xx status was received
 * (with o->keep_response, its body in st->response: free it with
 * gr_post_status_clear), else -1 with st->why saying why (no secret in
 * it; "response larger than N bytes" or "out of memory" for a kept body,
 * neither retried) and st->response NULL. */
int gr_post_send(const struct gr_post_req *req, const struct gr_post_opts *o,
                 struct gr_post_status *st);

/* Check a URL up front: it parses (curl_url), its scheme is http or https,
 * it has a host.  Returns 0, or -1 with the reason in why[n]. */
int gr_url_check(const char *url, char *why, size_t n);

/* The URL for messages: userinfo removed, the query and fragment replaced
 * by "?…", and with hide_path everything after the host replaced by "/…"
 * (Slack-style webhooks whose path is the secret).  Works on any text,
 * URL or not.  Returns buf. */
const char *gr_url_redact(const char *url, int hide_path, char *buf, size_t n);

/* ---- the spool ------------------------------------------------------------ */

/* Write req to DIR/KEY.json atomically ("grperf.spool/1": kind, method,
 * url, content_type, headers, body, idempotency_key, created, last_error =
 * why), creating DIR (and its parents, mode 0700) when missing; the file
 * is mode 0600 since a webhook URL may be a secret.  The path written goes
 * to path[n].  GR_OK, GR_ERR_INVALID (a GET: never spooled) or GR_ERR_IO /
 * GR_ERR_NOMEM. */
int gr_spool_write(const char *dir, const struct gr_post_req *req, const char *why,
                   char *path, size_t n, gr_error *err);

/* Read one spool file into req (cleared first).  A file without "method"
 * (written before PATCH existed) is a POST; "method" must otherwise be
 * "POST" or "PATCH".  "gone_url", optional, is allowed on a PATCH only
 * (older files have none).  GR_ERR_IO, GR_ERR_FORMAT (a corrupt file: the
 * message names the file and the field) or GR_ERR_NOMEM. */
int gr_spool_read(const char *path, struct gr_post_req *req, gr_error *err);

/* The spool files of DIR ("*.json", sorted by name), as gr_malloc'ed
 * paths in *paths[*n] (free each and the array with gr_free).  A missing
 * DIR is an empty spool.  GR_OK or GR_ERR_IO / GR_ERR_NOMEM. */
int gr_spool_list(const char *dir, char ***paths, size_t *n, gr_error *err);

#endif
