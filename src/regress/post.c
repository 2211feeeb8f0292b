/*
 * post.c - the transport and the spool of `grregress post` (see post.h):
 * one libcurl easy handle per request (POST, PATCH or GET), reused across
 * its retries; URL checks with the curl_url API; redaction of URLs for
 * messages; spool files written atomically (common/atomic_file.h) and
 * read back by `post --flush`.
 *
 * Why retries are limited to connection failures, timeouts, 408, 429 and
 * 5xx: those are the answers of a server that is down, overloaded or
 * restarting; any other 4xx means the request itself is refused (bad
 * token, unknown repository, malformed payload) and sending it again
 * cannot help.  Redirects are not followed: a POST redirected is usually a
 * misconfigured URL, and following it could hand the token to another
 * host.  Response bodies are read and thrown away, never printed: a server
 * may echo the request, token included; only a caller that asks
 * (keep_response: the GET of a PR's comments) gets one, capped, to parse.
 */
#include "config.h"
#include "regress/post.h"
#include "regress/payload.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "common/mem.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_SCHEMA "grperf.spool/1"
#define SPOOL_MAX_BYTES ((long)64 << 20)
#define MAX_BACKOFF 30.0         /* seconds: cap of the exponential backoff */
#define MAX_RETRY_AFTER 60       /* seconds: cap of a server's Retry-After */

static const char *const target_names[GR_TARGET_COUNT] = {"webhook", "slack", "github",
                                                          "influx"};
static const char *const method_names[GR_METHOD_COUNT] = {"POST", "PATCH", "GET"};

const char *gr_target_name(enum gr_target_kind k)
{
    return (unsigned)k < GR_TARGET_COUNT ? target_names[k] : "?";
}

const char *gr_post_method_name(enum gr_post_method m)
{
    return (unsigned)m < GR_METHOD_COUNT ? method_names[m] : "?";
}

/* ---- requests ------------------------------------------------------------ */

void gr_post_req_clear(struct gr_post_req *req)
{
    size_t i;
    for (i = 0; i < req->nheaders; i++) {
        gr_free(req->headers[i]);
    }
    gr_free(req->headers);
    gr_free(req->url);
    gr_free(req->content_type);
    gr_free(req->body);
    gr_free(req->gone_url);
    memset(req, 0, sizeof *req);
}

int gr_post_req_gone(struct gr_post_req *req, const char *url, gr_error *err)
{
    char *u = gr_strdup(url);
    if (!u) {
        return gr_err_nomem(err, "request");
    }
    gr_free(req->gone_url);
    req->gone_url = u;
    return GR_OK;
}

int gr_post_req_init(struct gr_post_req *req, enum gr_target_kind kind, const char *url,
                     const char *content_type, const char *const *headers,
                     const char *body, size_t len, const char *key, gr_error *err)
{
    size_t n = 0, i;
    memset(req, 0, sizeof *req);
    req->kind = kind;
    while (headers && headers[n]) {
        n++;
    }
    req->url = gr_strdup(url);
    req->content_type = gr_strdup(content_type);
    req->headers = gr_calloc(n + 1, sizeof *req->headers);
    req->body = gr_malloc(len + 1);
    if (!req->url || !req->content_type || !req->headers || !req->body) {
        gr_post_req_clear(req);
        return gr_err_nomem(err, "request");
    }
    for (i = 0; i < n; i++) {
        req->headers[i] = gr_strdup(headers[i]);
        if (!req->headers[i]) {
            req->nheaders = i;
            gr_post_req_clear(req);
            return gr_err_nomem(err, "request");
        }
    }
    req->nheaders = n;
    memcpy(req->body, body, len);
    req->body[len] = '\0';
    req->len = len;
    snprintf(req->key, sizeof req->key, "%s", key);
    return GR_OK;
}

/* ---- URLs ------------------------------------------------------------------ */

const char *gr_url_redact(const char *url, int hide_path, char *buf, size_t n)
{
    const char *sep = strstr(url, "://"), *rest, *auth_end, *host, *p;
    size_t len = 0;
    int w;
    /* a scheme is letters, digits, + - . before "://" */
    for (p = url; sep && p < sep; p++) {
        if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.') {
            sep = NULL;
        }
    }
    rest = sep ? sep + 3 : url;
    auth_end = rest + strcspn(rest, "/?#");
    host = rest;
    for (p = rest; p < auth_end; p++) {
        if (*p == '@') {
            host = p + 1;   /* userinfo (user:password) is never shown */
        }
    }
    w = snprintf(buf, n, "%.*s%s%.*s", sep ? (int)(sep - url) : 0, url, sep ? "://" : "",
                 (int)(auth_end - host), host);
    len = w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
    if (*auth_end == '\0' || len + 1 >= n) {
        return buf;
    }
    if (hide_path) {
        snprintf(buf + len, n - len, "/\xe2\x80\xa6");
        return buf;
    }
    p = auth_end + strcspn(auth_end, "?#");
    snprintf(buf + len, n - len, "%.*s%s", (int)(p - auth_end), auth_end,
             *p ? "?\xe2\x80\xa6" : "");
    return buf;
}

int gr_url_check(const char *url, char *why, size_t n)
{
    CURLU *h = curl_url();
    CURLUcode uc;
    char *scheme = NULL, *host = NULL;
    int rc = -1;
    if (!h) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    if (strstr(url, "://") == NULL) {
        snprintf(why, n, "not an absolute URL (expected http://HOST/... or https://HOST/...)");
        goto done;
    }
    uc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
#if LIBCURL_VERSION_NUM >= 0x075000
        snprintf(why, n, "%s", curl_url_strerror(uc));
#else
        snprintf(why, n, "malformed URL (curl_url error %d)", (int)uc);
#endif
        goto done;
    }
    if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || !scheme) {
        snprintf(why, n, "no scheme");
        goto done;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        snprintf(why, n, "scheme '%.32s' not allowed (only http and https)", scheme);
        goto done;
    }
    if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !host[0]) {
        snprintf(why, n, "no host");
        goto done;
    }
    rc = 0;
done:
    curl_free(scheme); /* curl_url_get's strings are the caller's: curl_free */
    curl_free(host);
    curl_url_cleanup(h);
    return rc;
}

/* ---- sending ------------------------------------------------------------------ */

static int curl_ready;

int gr_post_global_init(gr_error *err)
{
    CURLcode c;
    if (curl_ready) {
        return GR_OK;
    }
    c = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (c != CURLE_OK) {
        return gr_err(err, GR_ERR_INTERNAL, "libcurl: %s", curl_easy_strerror(c));
    }
    curl_ready = 1;
    return GR_OK;
}

void gr_post_global_cleanup(void)
{
    if (curl_ready) {
        curl_global_cleanup();
        curl_ready = 0;
    }
}

void gr_post_status_clear(struct gr_post_status *st)
{
    gr_free(st->response);
    st->response = NULL;
    st->response_len = 0;
}

/* Where a response body goes: nowhere (max 0, see the banner) or a
 * growing buffer of at most max bytes. */
struct sink {
    size_t max;              /* 0: discard */
    struct gr_pbuf buf;      /* the body so far (payload.h); buf.failed: no memory */
    int too_big;             /* more than max bytes came */
};

/* CURLOPT_WRITEFUNCTION: returning less than size * nmemb makes libcurl
 * stop the transfer with CURLE_WRITE_ERROR. */
static size_t sink_write(char *p, size_t size, size_t nmemb, void *user)
{
    struct sink *k = user;
    size_t n = size * nmemb;
    if (k->max == 0) {
        return n;
    }
    if (n > k->max - k->buf.len) {
        k->too_big = 1;
        return 0;
    }
    gr_pbuf_add(&k->buf, p, n);
    return k->buf.failed ? 0 : n;
}

/* A random number in [0, 1) for jitter; not for secrets. */
static double jitter_unit(void)
{
    static uint64_t s;
    if (s == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
        s |= 1;
    }
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (double)(s >> 11) / 9007199254740992.0;
}

static void sleep_seconds(double sec)
{
    struct timespec ts;
    if (!(sec > 0)) {
        return;
    }
    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* The secret of a kind, from the environment, or NULL. */
static const char *secret_env(enum gr_target_kind k, const char **scheme)
{
    const char *name = NULL, *v;
    *scheme = "Bearer";
    switch (k) {
    case GR_TARGET_WEBHOOK: name = "GRPERF_WEBHOOK_TOKEN"; break;
    case GR_TARGET_GITHUB: name = "GITHUB_TOKEN"; break;
    case GR_TARGET_INFLUX: name = "INFLUX_TOKEN"; *scheme = "Token"; break;
    default: return NULL;
    }
    v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* Whether a curl failure is worth another attempt. */
static int transient(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return 1;
    default:
        return 0;
    }
}

/* Add "Name: value" to the list; 0 or -1 (out of memory). */
static int add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line); /* copies line */
    if (!l) {
        return -1;
    }
    *list = l;
    return 0;
}

/* The header list of req: content type, idempotency key, no Expect, the
 * extra headers, the secret.  NULL with why on failure. */
static struct curl_slist *build_headers(const struct gr_post_req *req, char *why, size_t n)
{
    struct curl_slist *list = NULL;
    char line[128];
    const char *scheme, *tok = secret_env(req->kind, &scheme);
    size_t i;
    int bad = 0;
    if (req->method != GR_METHOD_GET) { /* a GET has no body to type */
        if (snprintf(line, sizeof line, "Content-Type: %s", req->content_type)
            >= (int)sizeof line) {
            snprintf(why, n, "content type too long");
            return NULL;
        }
        bad |= add_header(&list, line);
    }
    snprintf(line, sizeof line, "Idempotency-Key: %s", req->key);
    bad |= add_header(&list, line);
    bad |= add_header(&list, "Expect:"); /* no 100-continue round trip */
    for (i = 0; i < req->nheaders; i++) {
        bad |= add_header(&list, req->headers[i]);
    }
    if (tok) {
        size_t len = strlen(scheme) + strlen(tok) + 32;
        char *auth;
        if (strpbrk(tok, "\r\n")) {
            curl_slist_free_all(list);
            snprintf(why, n, "the %s token holds a line break", gr_target_name(req->kind));
            return NULL;
        }
        auth = gr_malloc(len);
        if (!auth) {
            bad = 1;
        } else {
            snprintf(auth, len, "Authorization: %s %s", scheme, tok);
            bad |= add_header(&list, auth);
            memset(auth, 0, len); /* our copy; curl holds its own until the end */
            gr_free(auth);
        }
    }
    if (bad) {
        curl_slist_free_all(list);
        snprintf(why, n, "out of memory");
        return NULL;
    }
    return list;
}

/* The reason of a failed transfer, from libcurl's message unless that
 * would show part of the URL after the host (a webhook's secret). */
static void curl_why(const struct gr_post_req *req, CURLcode c, const char *ebuf, char *why,
                     size_t n)
{
    const char *rest = strstr(req->url, "://"), *path;
    int leak = 0;
    if (rest) {
        path = rest + 3 + strcspn(rest + 3, "/?#");
        leak = strlen(path) > 1 && strstr(ebuf, path) != NULL;
    }
    snprintf(why, n, "%s", ebuf[0] && !leak ? ebuf : curl_easy_strerror(c));
}

/* The server's Retry-After in seconds (delta-seconds or an HTTP date), or
 * -1 when it sent none. */
static curl_off_t get_retry_after(CURL *h)
{
#if LIBCURL_VERSION_NUM >= 0x075400
    struct curl_header *hd; /* owned by the handle */
    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hd) == CURLHE_OK) {
        char *end;
        long long v = strtoll(hd->value, &end, 10);
        time_t t;
        if (end != hd->value && *end == '\0' && v >= 0) {
            return (curl_off_t)v;
        }
        t = curl_getdate(hd->value, NULL);
        if (t != (time_t)-1) {
            return t > time(NULL) ? (curl_off_t)(t - time(NULL)) : 0;
        }
    }
    return -1;
#else
    /* older libcurl: 0 means "none or zero"; treat it as none */
    curl_off_t v = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &v) != CURLE_OK || v <= 0) {
        return -1;
    }
    return v;
#endif
}

int gr_post_send(const struct gr_post_req *req, const struct gr_post_opts *o,
                 struct gr_post_status *st)
{
    CURL *h;
    struct curl_slist *headers;
    struct sink sink;
    char ebuf[CURL_ERROR_SIZE], ua[64];
    long ms = (long)ceil(o->timeout * 1000.0);
    int attempt, rc = -1;
    memset(st, 0, sizeof *st);
    memset(&sink, 0, sizeof sink);
    sink.max = o->keep_response;
    if ((unsigned)req->method >= GR_METHOD_COUNT) {
        snprintf(st->why, sizeof st->why, "unknown HTTP method");
        return -1;
    }
    h = curl_easy_init(); /* ours until curl_easy_cleanup below */
    if (!h) {
        snprintf(st->why, sizeof st->why, "libcurl: cannot make a handle");
        return -1;
    }
    headers = build_headers(req, st->why, sizeof st->why); /* ours: freed below */
    if (!headers) {
        curl_easy_cleanup(h);
        return -1;
    }
    snprintf(ua, sizeof ua, "grregress/%s", PACKAGE_VERSION);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    if (req->method == GR_METHOD_GET) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body); /* not copied: req outlives h */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
        if (req->method == GR_METHOD_PATCH) {
            /* the body is sent as for a POST; only the method word changes */
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
        }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    if (o->cacert) {
        curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
    }
    /* CURLOPT_SSL_VERIFYPEER / VERIFYHOST keep libcurl's defaults (on) */

    for (attempt = 0; attempt <= o->retries; attempt++) {
        CURLcode c;
        curl_off_t retry_after = -1;
        int again;
        double wait;
        ebuf[0] = '\0';
        st->attempts = attempt + 1;
        st->http = 0;
        gr_pbuf_free(&sink.buf); /* only the last attempt's response counts */
        c = curl_easy_perform(h);
        if (c == CURLE_WRITE_ERROR && (sink.too_big || sink.buf.failed)) {
            /* our own limit, not the network's: another attempt cannot help */
            if (sink.too_big) {
                snprintf(st->why, sizeof st->why, "response larger than %zu bytes", sink.max);
            } else {
                snprintf(st->why, sizeof st->why, "out of memory for the response");
            }
            break;
        } else if (c == CURLE_OK) {
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st->http);
            if (st->http >= 200 && st->http < 300) {
                st->why[0] = '\0';
                rc = 0;
                break;
            }
            again = st->http == 408 || st->http == 429 || st->http >= 500;
            snprintf(st->why, sizeof st->why, "HTTP %ld", st->http);
            retry_after = get_retry_after(h);
        } else {
            again = transient(c);
            curl_why(req, c, ebuf, st->why, sizeof st->why);
        }
        if (!again || attempt == o->retries) {
            break;
        }
        if (retry_after >= 0 && st->http != 0 && (st->http == 429 || st->http == 503)) {
            wait = retry_after > MAX_RETRY_AFTER ? MAX_RETRY_AFTER : (double)retry_after;
        } else {
            wait = o->retry_delay * pow(2.0, attempt);
            wait = (wait > MAX_BACKOFF ? MAX_BACKOFF : wait) * (0.5 + 0.5 * jitter_unit());
        }
        sleep_seconds(wait);
    }
    if (rc < 0 && st->attempts > 1) {
        size_t len = strlen(st->why);
        snprintf(st->why + len, sizeof st->why - len, " after %d attempts", st->attempts);
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(headers); /* only after the handle is done with it */
    if (rc == 0 && sink.max > 0) {
        st->response_len = sink.buf.len;
        st->response = gr_pbuf_take(&sink.buf); /* the caller's; "" for no body */
        if (!st->response) {
            snprintf(st->why, sizeof st->why, "out of memory for the response");
            return -1;
        }
        return 0;
    }
    gr_pbuf_free(&sink.buf);
    return rc;
}

/* ---- the spool -------------------------------------------------------------------- */

/* mkdir -p with mode 0700 for what is created. */
static int make_dirs(const char *dir, gr_error *err)
{
    char *p = gr_strdup(dir), *s;
    struct stat sb;
    int rc = GR_OK;
    if (!p) {
        return gr_err_nomem(err, "spool directory");
    }
    for (s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char keep = *s;
            *s = '\0';
            if (mkdir(p, 0700) < 0 && errno != EEXIST) {
                rc = gr_err(err, GR_ERR_IO, "%s: cannot create directory: %s", p,
                            strerror(errno));
                break;
            }
            *s = keep;
            if (keep == '\0') {
                break;
            }
        }
    }
    if (rc == GR_OK && (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))) {
        rc = gr_err(err, GR_ERR_IO, "%s: not a directory", dir);
    }
    gr_free(p);
    return rc;
}

int gr_spool_write(const char *dir, const struct gr_post_req *req, const char *why,
                   char *path, size_t n, gr_error *err)
{
    cJSON *root = cJSON_CreateObject(), *arr;
    char *text = NULL, when[32];
    time_t now = time(NULL);
    struct tm tm;
    gr_afile af;
    size_t i, len;
    int rc;
    if (req->method != GR_METHOD_POST && req->method != GR_METHOD_PATCH) {
        cJSON_Delete(root);
        return gr_err(err, GR_ERR_INVALID, "only POST and PATCH requests are spooled, "
                                           "not %s", gr_post_method_name(req->method));
    }
    if (!root) {
        return gr_err_nomem(err, "spool file");
    }
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* root owns every item added to it */
    cJSON_AddStringToObject(root, "schema", SPOOL_SCHEMA);
    cJSON_AddStringToObject(root, "kind", gr_target_name(req->kind));
    cJSON_AddStringToObject(root, "method", gr_post_method_name(req->method));
    cJSON_AddStringToObject(root, "url", req->url);
    if (req->gone_url) {
        cJSON_AddStringToObject(root, "gone_url", req->gone_url);
    }
    cJSON_AddStringToObject(root, "content_type", req->content_type);
    arr = cJSON_AddArrayToObject(root, "headers");
    for (i = 0; arr && i < req->nheaders; i++) {
        cJSON_AddItemToArray(arr, cJSON_CreateString(req->headers[i]));
    }
    cJSON_AddStringToObject(root, "idempotency_key", req->key);
    cJSON_AddStringToObject(root, "created", when);
    cJSON_AddStringToObject(root, "last_error", why ? why : "");
    cJSON_AddStringToObject(root, "body", req->body);
    text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) {
        return gr_err_nomem(err, "spool file");
    }
    rc = make_dirs(dir, err);
    if (rc == GR_OK) {
        snprintf(path, n, "%s/%s.json", dir, req->key);
        rc = gr_afile_open(&af, path, err);
    }
    if (rc == GR_OK) {
        len = strlen(text);
        /* the URL may be a secret (Slack): owner-only, whatever the umask */
        if (fchmod(fileno(af.fp), 0600) < 0 || fwrite(text, 1, len, af.fp) != len
            || fputc('\n', af.fp) == EOF) {
            gr_afile_abort(&af);
            rc = gr_err(err, GR_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        } else {
            rc = gr_afile_commit(&af, err);
        }
    }
    cJSON_free(text);
    return rc;
}

static int corrupt(gr_error *err, const char *path, const char *what)
{
    return gr_err(err, GR_ERR_FORMAT, "%s: corrupt spool file: %s", path, what);
}

int gr_spool_read(const char *path, struct gr_post_req *req, gr_error *err)
{
    FILE *fp;
    long len;
    char *text, why[128];
    cJSON *root;
    const cJSON *v, *h, *gone;
    const char *fields[6] = {"schema", "kind", "url", "content_type", "idempotency_key",
                             "body"};
    const char *val[6];
    const char **hdrs = NULL;
    size_t i, nh = 0;
    int kind = -1, method = GR_METHOD_POST, rc;
    memset(req, 0, sizeof *req);
    fp = fopen(path, "rb");
    if (!fp) {
        return gr_err(err, GR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0
        || len > SPOOL_MAX_BYTES) {
        fclose(fp);
        return gr_err(err, GR_ERR_IO, "%s: cannot read (or larger than 64 MiB)", path);
    }
    text = gr_malloc((size_t)len + 1);
    if (!text) {
        fclose(fp);
        return gr_err_nomem(err, "spool file");
    }
    if (fread(text, 1, (size_t)len, fp) != (size_t)len) {
        fclose(fp);
        gr_free(text);
        return gr_err(err, GR_ERR_IO, "%s: cannot read", path);
    }
    fclose(fp);
    root = cJSON_ParseWithLength(text, (size_t)len);
    gr_free(text);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return corrupt(err, path, "not a JSON object");
    }
    for (i = 0; i < 6; i++) {
        v = cJSON_GetObjectItemCaseSensitive(root, fields[i]);
        if (!cJSON_IsString(v)) {
            snprintf(why, sizeof why, "%s: missing or not a string", fields[i]);
            rc = corrupt(err, path, why);
            goto done;
        }
        val[i] = v->valuestring;
    }
    if (strcmp(val[0], SPOOL_SCHEMA) != 0) {
        rc = corrupt(err, path, "schema: expected \"" SPOOL_SCHEMA "\"");
        goto done;
    }
    for (i = 0; i < GR_TARGET_COUNT; i++) {
        if (strcmp(val[1], target_names[i]) == 0) {
            kind = (int)i;
        }
    }
    if (kind < 0) {
        rc = corrupt(err, path, "kind: unknown target kind");
        goto done;
    }
    /* files written before PATCH existed have no method: they are POSTs */
    v = cJSON_GetObjectItemCaseSensitive(root, "method");
    if (v) {
        method = -1;
        for (i = 0; cJSON_IsString(v) && i < GR_METHOD_COUNT; i++) {
            if (i != GR_METHOD_GET && strcmp(v->valuestring, method_names[i]) == 0) {
                method = (int)i;
            }
        }
        if (method < 0) {
            rc = corrupt(err, path, "method: expected \"POST\" or \"PATCH\"");
            goto done;
        }
    }
    if (gr_url_check(val[2], why, sizeof why) < 0) {
        rc = corrupt(err, path, "url: not an http(s) URL");
        goto done;
    }
    /* a PATCH may name where to POST when its comment is gone */
    gone = cJSON_GetObjectItemCaseSensitive(root, "gone_url");
    if (gone && (method != GR_METHOD_PATCH || !cJSON_IsString(gone) ||
                 gr_url_check(gone->valuestring, why, sizeof why) < 0)) {
        rc = corrupt(err, path, "gone_url: expected the http(s) URL of a PATCH's fallback");
        goto done;
    }
    if (strlen(val[4]) != 32 || strspn(val[4], "0123456789abcdef") != 32) {
        rc = corrupt(err, path, "idempotency_key: expected 32 hex digits");
        goto done;
    }
    if (strpbrk(val[3], "\r\n")) {
        rc = corrupt(err, path, "content_type: holds a line break");
        goto done;
    }
    h = cJSON_GetObjectItemCaseSensitive(root, "headers");
    if (!cJSON_IsArray(h)) {
        rc = corrupt(err, path, "headers: expected an array");
        goto done;
    }
    hdrs = gr_calloc((size_t)cJSON_GetArraySize(h) + 1, sizeof *hdrs);
    if (!hdrs) {
        rc = gr_err_nomem(err, "spool file");
        goto done;
    }
    cJSON_ArrayForEach(v, h) {
        if (!cJSON_IsString(v) || strpbrk(v->valuestring, "\r\n")
            || !strchr(v->valuestring, ':')
            || strncasecmp(v->valuestring, "authorization:", 14) == 0) {
            rc = corrupt(err, path, "headers: expected \"Name: value\" strings "
                                    "(no Authorization)");
            goto done;
        }
        hdrs[nh++] = v->valuestring;
    }
    rc = gr_post_req_init(req, (enum gr_target_kind)kind, val[2], val[3], hdrs, val[5],
                          strlen(val[5]), val[4], err);
    if (rc == GR_OK) {
        req->method = (enum gr_post_method)method;
        if (gone && (rc = gr_post_req_gone(req, gone->valuestring, err)) < 0) {
            gr_post_req_clear(req);
        }
    }
done:
    gr_free(hdrs);
    cJSON_Delete(root);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gr_spool_list(const char *dir, char ***paths, size_t *n, gr_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    *paths = NULL;
    *n = 0;
    if (!d) {
        if (errno == ENOENT) {
            return GR_OK;
        }
        return gr_err(err, GR_ERR_IO, "%s: cannot open the spool directory: %s", dir,
                      strerror(errno));
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), plen;
        char *p;
        if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) {
            continue;
        }
        if (cnt == cap) {
            char **nv;
            cap = cap ? 2 * cap : 16;
            nv = gr_realloc(v, cap * sizeof *v);
            if (!nv) {
                goto nomem;
            }
            v = nv;
        }
        plen = strlen(dir) + len + 2;
        p = gr_malloc(plen);
        if (!p) {
            goto nomem;
        }
        snprintf(p, plen, "%s/%s", dir, e->d_name);
        v[cnt++] = p;
    }
    closedir(d);
    if (cnt) {
        qsort(v, cnt, sizeof *v, cmp_str);
    }
    *paths = v;
    *n = cnt;
    return GR_OK;
nomem:
    closedir(d);
    while (cnt > 0) {
        gr_free(v[--cnt]);
    }
    gr_free(v);
    return gr_err_nomem(err, "spool listing");
}
