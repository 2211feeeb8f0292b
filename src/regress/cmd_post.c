/*
 * cmd_post.c - `grregress post [--webhook URL] [--slack URL] [--github]
 * [--influx URL] [RESULT]` and `grregress post --flush`: read a compare
 * result (or a run file), build one payload per target (payload.h) and
 * send each with retries (post.h); what cannot be delivered is spooled to
 * disk and sent again by a later `post --flush`.
 *
 * The PR comment is sticky: the PR's comments are listed first (GET,
 * 100 per page, at most 20 pages) and the newest one holding
 * GR_PAYLOAD_COMMENT_MARKER is updated (PATCH); without one a new comment
 * is POSTed.  A listing that fails or is not a JSON array costs a warning
 * and falls back to the POST (a duplicate comment beats none), as does a
 * PATCH answered 404 (the comment was deleted meanwhile), live or when
 * the spooled PATCH is flushed.  --dry-run sends
 * nothing, so it cannot know the id: it prints the GET of the first page
 * and the POST.
 *
 * Order: the command line and the environment are checked entirely (bad
 * URL, scheme, repository, commit, missing token: exit 2, nothing sent),
 * then RESULT is read (bad: exit 2), then --flush sends the spool, then
 * the payloads go out.  Posting is a side channel of the CI gate: a
 * payload that cannot be delivered is spooled with a warning and the exit
 * code stays 0, unless --post-required makes it 1.  A payload that can be
 * neither delivered nor spooled is lost: exit 1.
 */
#include "config.h"
#include "regress/regress.h"
#include "regress/payload.h"
#include "regress/post.h"
#include "common/json_text.h"
#include "common/mem.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RESULT_MAX_BYTES ((size_t)256 << 20)
#define DEFAULT_GITHUB_API "https://api.github.com"
#define COMMENTS_PER_PAGE 100    /* GitHub's largest page */
#define COMMENTS_MAX_PAGES 20    /* 2000 comments: enough to find ours */
#define LISTING_MAX_BYTES ((size_t)16 << 20)

static const struct gr_opt post_opts[] = {
    {"branch", 0, GR_OPT_STRING, "NAME",
     "branch to report (default: the result's, else GITHUB_HEAD_REF or GITHUB_REF_NAME)",
     NULL, NULL, 0, 0, 0},
    {"cacert", 0, GR_OPT_STRING, "FILE", "CA certificates (PEM) to verify servers with",
     NULL, NULL, 0, 0, 0},
    {"dry-run", 'n', GR_OPT_FLAG, NULL,
     "print each request (URL redacted, no secrets) instead of sending it", NULL, NULL, 0,
     0, 0},
    {"flush", 0, GR_OPT_FLAG, NULL, "first send every payload waiting in the spool", NULL,
     NULL, 0, 0, 0},
    {"github", 0, GR_OPT_FLAG, NULL,
     "set a commit status and one PR comment (updated on each run) via the GitHub API",
     NULL, NULL, 0, 0, 0},
    {"influx", 0, GR_OPT_STRING, "URL", "InfluxDB server (http://HOST:8086)", NULL, NULL,
     0, 0, 0},
    {"influx-bucket", 0, GR_OPT_STRING, "NAME", "InfluxDB 2 bucket (with --influx-org)",
     NULL, NULL, 0, 0, 0},
    {"influx-db", 0, GR_OPT_STRING, "NAME", "InfluxDB 1 database", "grperf", NULL, 0, 0,
     0},
    {"influx-org", 0, GR_OPT_STRING, "NAME",
     "InfluxDB 2 organization (selects /api/v2/write)", NULL, NULL, 0, 0, 0},
    {"post-required", 0, GR_OPT_FLAG, NULL,
     "exit 1 when a payload could not be delivered", NULL, NULL, 0, 0, 0},
    {"pr", 0, GR_OPT_INT, "N",
     "pull request to comment on (default: from GITHUB_REF refs/pull/N/merge)", NULL,
     NULL, 1, 0, GR_OPT_MIN},
    {"quiet", 'q', GR_OPT_FLAG, NULL, "print nothing on success", NULL, NULL, 0, 0, 0},
    {"repo", 0, GR_OPT_STRING, "OWNER/NAME",
     "GitHub repository (default: GITHUB_REPOSITORY)", NULL, NULL, 0, 0, 0},
    {"retries", 0, GR_OPT_INT, NULL, "attempts after the first on transient failures",
     "3", NULL, 0, 20, GR_OPT_MIN | GR_OPT_MAX},
    {"retry-delay", 0, GR_OPT_FLOAT, "SECONDS",
     "first backoff, doubled each retry, with jitter", "1", NULL, 0, 60,
     GR_OPT_MIN | GR_OPT_MAX},
    {"sha", 0, GR_OPT_STRING, "SHA",
     "commit to report (default: the result's, else GITHUB_SHA)", NULL, NULL, 0, 0, 0},
    {"slack", 0, GR_OPT_STRING, "URL", "Slack or Mattermost incoming webhook", NULL, NULL,
     0, 0, 0},
    {"spool", 0, GR_OPT_STRING, "DIR", "where undelivered payloads wait", ".grperf/spool",
     NULL, 0, 0, 0},
    {"timeout", 0, GR_OPT_FLOAT, "SECONDS", "limit per attempt (connect and transfer)",
     "10", NULL, 0.001, 3600, GR_OPT_MIN | GR_OPT_MAX},
    {"webhook", 0, GR_OPT_STRING, "URL", "generic JSON webhook", NULL, NULL, 0, 0, 0},
    {NULL, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0}
};

static const char *const post_args[] = {"[RESULT]", NULL};

/* State of one invocation. */
struct post_run {
    const struct gr_cmd *cmd;
    struct gr_post_opts po;
    const char *spool;
    int dry_run, quiet, required;
    int failed;                  /* payloads not delivered (spooled or not) */
    int lost;                    /* payloads neither delivered nor spooled */
};

/* Out of memory in the CLI: the framework's message, exit 1 (only the CLI
 * may die). */
static void oom(void)
{
    fprintf(stderr, "%s: out of memory\n", gr_cli_prog);
    exit(GR_EXIT_FAIL);
}

/* The value of option `name`, or NULL. */
static const char *opt_text(const struct gr_args *a, const char *name)
{
    const struct gr_optval *v = gr_args_get(a, name);
    return v ? v->text : NULL;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* A URL given on the command line: checked, or a one-line usage error. */
static int check_url(const struct gr_cmd *cmd, const char *what, const char *url,
                     int hide_path)
{
    char why[160], shown[256];
    if (gr_url_check(url, why, sizeof why) < 0) {
        return gr_cli_usage(cmd, "bad URL '%s' for %s: %s",
                            gr_url_redact(url, hide_path, shown, sizeof shown), what, why);
    }
    return GR_REXIT_OK;
}

static int is_hex(const char *s, size_t len)
{
    return strlen(s) == len && strspn(s, "0123456789abcdefABCDEF") == len;
}

/* OWNER/NAME with GitHub's characters. */
static int repo_ok(const char *r)
{
    const char *ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    const char *slash = strchr(r, '/');
    return slash && slash > r && slash[1] && strspn(r, ok) == (size_t)(slash - r)
           && strspn(slash + 1, ok) == strlen(slash + 1) && strcmp(slash + 1, ".") != 0
           && strcmp(slash + 1, "..") != 0;
}

/* base + path + query (each query part URL-encoded, appended to the
 * base's own), via the curl_url API so a base with a path prefix (a proxy)
 * keeps it.  NULL on failure. */
static char *make_url(const char *base, const char *path, const char *const *query)
{
    CURLU *h = curl_url(); /* ours until curl_url_cleanup */
    char *old = NULL, *full = NULL, *out = NULL, *joined;
    size_t len, i;
    if (!h || curl_url_set(h, CURLUPART_URL, base, 0) != CURLUE_OK
        || curl_url_get(h, CURLUPART_PATH, &old, 0) != CURLUE_OK) {
        goto done;
    }
    len = strlen(old);
    while (len > 0 && old[len - 1] == '/') {
        len--;
    }
    joined = gr_malloc(len + strlen(path) + 1);
    if (!joined) {
        goto done;
    }
    memcpy(joined, old, len);
    strcpy(joined + len, path);
    i = curl_url_set(h, CURLUPART_PATH, joined, 0) != CURLUE_OK;
    gr_free(joined);
    if (i) {
        goto done;
    }
    /* a query of the base (InfluxDB 1's u= and p=) is kept */
    for (i = 0; query && query[i]; i++) {
        if (curl_url_set(h, CURLUPART_QUERY, query[i], CURLU_APPENDQUERY | CURLU_URLENCODE)
            != CURLUE_OK) {
            goto done;
        }
    }
    if (curl_url_get(h, CURLUPART_URL, &full, 0) == CURLUE_OK) {
        out = gr_strdup(full);
    }
done:
    curl_free(old);
    curl_free(full);
    curl_url_cleanup(h);
    return out;
}

/* Read RESULT ("-": standard input) into memory. */
static int read_result(const struct gr_cmd *cmd, const char *path, struct gr_presult **out)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    const char *label = fp == stdin ? "(stdin)" : path;
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    gr_error err;
    int rc;
    if (!fp) {
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot open: %s", path,
                           strerror(errno));
    }
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? 2 * cap : 65536 * 2;
            if (cap > RESULT_MAX_BYTES + 65536) {
                if (fp != stdin) {
                    fclose(fp);
                }
                gr_free(text);
                return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: larger than 256 MiB", label);
            }
            text = gr_realloc(text, cap);
            if (!text) {
                oom();
            }
        }
        got = fread(text + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            break;
        }
    }
    rc = ferror(fp);
    if (fp != stdin) {
        fclose(fp);
    }
    if (rc) {
        gr_free(text);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: cannot read", label);
    }
    if (len == 0) {
        gr_free(text);
        return gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: empty (expected a compare result or "
                           "a run file)", label);
    }
    gr_error_clear(&err);
    rc = gr_presult_parse(text, len, label, out, &err);
    gr_free(text);
    if (rc < 0) {
        return gr_cli_error(cmd, rc == GR_ERR_NOMEM ? GR_REXIT_REGRESSION : GR_REXIT_USAGE,
                            &err);
    }
    return GR_REXIT_OK;
}

/* Print a request instead of sending it (--dry-run). */
static void print_request(const struct gr_post_req *req)
{
    char shown[512];
    size_t i;
    const char *tok = NULL;
    printf("%s %s (%s)\n", gr_post_method_name(req->method),
           gr_url_redact(req->url, req->kind <= GR_TARGET_SLACK, shown, sizeof shown),
           gr_target_name(req->kind));
    if (req->method != GR_METHOD_GET) {
        printf("Content-Type: %s\n", req->content_type);
    }
    printf("Idempotency-Key: %s\n", req->key);
    for (i = 0; i < req->nheaders; i++) {
        printf("%s\n", req->headers[i]);
    }
    switch (req->kind) {
    case GR_TARGET_GITHUB: tok = "Bearer $GITHUB_TOKEN"; break;
    case GR_TARGET_INFLUX: tok = env("INFLUX_TOKEN") ? "Token $INFLUX_TOKEN" : NULL; break;
    case GR_TARGET_WEBHOOK:
        tok = env("GRPERF_WEBHOOK_TOKEN") ? "Bearer $GRPERF_WEBHOOK_TOKEN" : NULL;
        break;
    default: break;
    }
    if (tok) {
        printf("Authorization: %s\n", tok);
    }
    if (req->method == GR_METHOD_GET) {
        printf("\n");
        return;
    }
    printf("\n%s%s\n", req->body,
           req->len > 0 && req->body[req->len - 1] == '\n' ? "" : "\n");
}

/* What deliver did with a request. */
enum delivery {
    DELIVERED = 0,               /* sent (or printed, --dry-run) */
    NOT_DELIVERED,               /* spooled or lost, and said so */
    GONE                         /* HTTP 404 and the caller asked for it back */
};

/* Send one request; spool it when it cannot be delivered, unless the
 * answer is 404 and gone_ok: then nothing is said or spooled (GONE). */
static enum delivery deliver(struct post_run *p, const struct gr_post_req *req, int gone_ok)
{
    struct gr_post_status st;
    char shown[512], path[4096];
    gr_error err;
    const char *lvl = p->required ? "error" : "warning";
    gr_url_redact(req->url, req->kind <= GR_TARGET_SLACK, shown, sizeof shown);
    if (p->dry_run) {
        print_request(req);
        return DELIVERED;
    }
    if (gr_post_send(req, &p->po, &st) == 0) {
        if (!p->quiet) {
            printf("%s %s %s %s (HTTP %ld)\n",
                   req->method == GR_METHOD_PATCH ? "updated" : "posted",
                   gr_target_name(req->kind), req->method == GR_METHOD_PATCH ? "at" : "to",
                   shown, st.http);
        }
        return DELIVERED;
    }
    if (gone_ok && st.http == 404) {
        return GONE;
    }
    p->failed++;
    gr_error_clear(&err);
    if (gr_spool_write(p->spool, req, st.why, path, sizeof path, &err) < 0) {
        char msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
        p->lost++;
        gr_cli_fail(p->cmd, 0, "error: %s to %s not delivered (%s) and not spooled: %s",
                    gr_target_name(req->kind), shown, st.why,
                    gr_error_format(&err, msg, sizeof msg));
        return NOT_DELIVERED;
    }
    gr_cli_fail(p->cmd, 0, "%s: %s to %s not delivered (%s); spooled to %s", lvl,
                gr_target_name(req->kind), shown, st.why, path);
    return NOT_DELIVERED;
}

static void make_request(struct gr_post_req *req, enum gr_target_kind kind,
                         enum gr_post_method method, const char *url, const char *ctype,
                         const char *const *headers, const char *body, const char *key_given);

/* A spooled PATCH whose comment is gone (404): its body is POSTed as a
 * new comment to req->gone_url, as a live post does, and its file is
 * removed once that POST is delivered or spooled in its turn (a POST
 * neither delivered nor spooled keeps the PATCH). */
static void flush_gone(struct post_run *p, const struct gr_post_req *req, const char *path)
{
    struct gr_post_req post;
    const int lost = p->lost;
    char shown[512];
    gr_url_redact(req->url, 0, shown, sizeof shown);
    gr_cli_fail(p->cmd, 0, "warning: the comment at %s is gone (HTTP 404); posting a new "
                "comment", shown);
    make_request(&post, req->kind, GR_METHOD_POST, req->gone_url, req->content_type,
                 (const char *const *)req->headers, req->body, NULL);
    deliver(p, &post, 0);
    gr_post_req_clear(&post);
    if (p->lost == lost && unlink(path) < 0) {
        gr_cli_fail(p->cmd, 0, "warning: %s: handled but cannot remove: %s", path,
                    strerror(errno));
    }
}

/* Send every spooled payload: delivered ones are removed, the rest kept. */
static int flush(struct post_run *p)
{
    char **paths = NULL, shown[512], msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
    const char *lvl = p->required ? "error" : "warning";
    size_t n = 0, i;
    gr_error err;
    gr_error_clear(&err);
    if (gr_spool_list(p->spool, &paths, &n, &err) < 0) {
        return gr_cli_error(p->cmd, GR_REXIT_USAGE, &err);
    }
    for (i = 0; i < n; i++) {
        struct gr_post_req req;
        struct gr_post_status st;
        gr_error_clear(&err);
        if (gr_spool_read(paths[i], &req, &err) < 0) {
            p->failed++;
            gr_cli_fail(p->cmd, 0, "%s: %s (kept)", lvl,
                        gr_error_format(&err, msg, sizeof msg));
            continue;
        }
        gr_url_redact(req.url, req.kind <= GR_TARGET_SLACK, shown, sizeof shown);
        if (p->dry_run) {
            print_request(&req);
        } else if (gr_post_send(&req, &p->po, &st) == 0) {
            if (unlink(paths[i]) < 0) {
                gr_cli_fail(p->cmd, 0, "warning: %s: delivered but cannot remove: %s",
                            paths[i], strerror(errno));
            }
            if (!p->quiet) {
                printf("flushed %s to %s (HTTP %ld)\n", gr_target_name(req.kind), shown,
                       st.http);
            }
        } else if (st.http == 404 && req.method == GR_METHOD_PATCH && req.gone_url) {
            flush_gone(p, &req, paths[i]);
        } else {
            p->failed++;
            gr_cli_fail(p->cmd, 0, "%s: %s to %s still not delivered (%s); kept in %s", lvl,
                        gr_target_name(req.kind), shown, st.why, paths[i]);
        }
        gr_post_req_clear(&req);
    }
    for (i = 0; i < n; i++) {
        gr_free(paths[i]);
    }
    gr_free(paths);
    if (n == 0 && !p->quiet && !p->dry_run) {
        printf("spool %s is empty\n", p->spool);
    }
    return GR_REXIT_OK;
}

/* Make a request (dying on out-of-memory, as the CLI may); its
 * idempotency key is `key`, or (NULL) the key of this payload. */
static void make_request(struct gr_post_req *req, enum gr_target_kind kind,
                         enum gr_post_method method, const char *url, const char *ctype,
                         const char *const *headers, const char *body, const char *key_given)
{
    char key[33];
    gr_error err;
    if (key_given) {
        snprintf(key, sizeof key, "%s", key_given);
    } else {
        gr_payload_key(gr_target_name(kind), url, body, strlen(body), key);
    }
    gr_error_clear(&err);
    if (gr_post_req_init(req, kind, url, ctype, headers, body, strlen(body), key, &err) < 0) {
        oom();
    }
    req->method = method;
}

/* Make a request and deliver it; gone_url (or NULL) is a PATCH's POST
 * when its comment is gone: deliver then returns GONE on a 404 (gone_ok),
 * and a spooled PATCH keeps it for the flush. */
static enum delivery send_payload(struct post_run *p, enum gr_target_kind kind,
                                  enum gr_post_method method, const char *url,
                                  const char *ctype, const char *const *headers,
                                  const char *body, const char *key_given,
                                  const char *gone_url)
{
    struct gr_post_req req;
    enum delivery d;
    gr_error err;
    make_request(&req, kind, method, url, ctype, headers, body, key_given);
    gr_error_clear(&err);
    if (gone_url && gr_post_req_gone(&req, gone_url, &err) < 0) {
        oom();
    }
    d = deliver(p, &req, gone_url != NULL);
    gr_post_req_clear(&req);
    return d;
}

/* The GET of page `page` of the PR comments at list_path under api;
 * dies on out-of-memory. */
static void listing_request(struct gr_post_req *req, const char *api, const char *list_path,
                            int page, const char *const *headers)
{
    char per_page[32], pageq[32];
    const char *q[3] = {per_page, pageq, NULL};
    char *url;
    snprintf(per_page, sizeof per_page, "per_page=%d", COMMENTS_PER_PAGE);
    snprintf(pageq, sizeof pageq, "page=%d", page);
    url = make_url(api, list_path, q);
    if (!url) {
        oom();
    }
    make_request(req, GR_TARGET_GITHUB, GR_METHOD_GET, url, "application/json", headers,
                 "", NULL);
    gr_free(url);
}

/* The id of the newest comment holding the marker in one page of the
 * listing (a JSON array of comments, oldest first) into *id (unchanged
 * when none); the page's length in *count.  GR_OK or the parse error. */
static int scan_comments(const char *text, size_t len, const char *label, long long *id,
                         int *count, gr_error *err)
{
    cJSON *root = NULL; /* ours: cJSON_Delete */
    const cJSON *c;
    int rc = gr_json_parse(text, len, label, &root, err);
    if (rc < 0) {
        return rc;
    }
    if (!cJSON_IsArray(root)) {
        cJSON_Delete(root);
        return gr_err(err, GR_ERR_PARSE, "%s: expected an array of comments", label);
    }
    *count = 0;
    cJSON_ArrayForEach(c, root) {
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(c, "body");
        const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c, "id");
        (*count)++;
        /* ids are integers below 2^53, exact in a double */
        if (cJSON_IsString(body) && strstr(body->valuestring, GR_PAYLOAD_COMMENT_MARKER)
            && cJSON_IsNumber(cid) && cid->valuedouble >= 1
            && cid->valuedouble <= 9007199254740992.0
            && cid->valuedouble == (double)(long long)cid->valuedouble) {
            *id = (long long)cid->valuedouble;
        }
    }
    cJSON_Delete(root);
    return GR_OK;
}

/* The id of our newest comment on the PR whose comments are at list_path:
 * > 0 found, 0 none, -1 the listing failed before one was found (a
 * warning said so; a page failing after one was found keeps it). */
static long long find_comment(struct post_run *p, const char *api, const char *list_path,
                              const char *const *headers)
{
    struct gr_post_opts o = p->po;
    long long id = 0;
    int page, count = COMMENTS_PER_PAGE;
    o.keep_response = LISTING_MAX_BYTES;
    for (page = 1; page <= COMMENTS_MAX_PAGES && count == COMMENTS_PER_PAGE; page++) {
        struct gr_post_req req;
        struct gr_post_status st;
        char shown[512], label[64], msg[GR_ERROR_MSG_MAX + GR_ERROR_FILE_MAX + 64];
        gr_error err;
        int rc;
        listing_request(&req, api, list_path, page, headers);
        rc = gr_post_send(&req, &o, &st);
        gr_url_redact(req.url, 0, shown, sizeof shown);
        gr_post_req_clear(&req);
        if (rc < 0) {
            gr_cli_fail(p->cmd, 0, "warning: cannot list the PR's comments at %s (%s); %s",
                        shown, st.why, id > 0 ? "updating the one found on earlier pages"
                                              : "posting a new comment");
            return id > 0 ? id : -1;
        }
        snprintf(label, sizeof label, "comments page %d", page);
        gr_error_clear(&err);
        rc = scan_comments(st.response, st.response_len, label, &id, &count, &err);
        gr_post_status_clear(&st);
        if (rc == GR_ERR_NOMEM) {
            oom();
        }
        if (rc < 0) {
            gr_cli_fail(p->cmd, 0, "warning: the PR's comments at %s are not a JSON list "
                        "(%s); %s", shown, gr_error_format(&err, msg, sizeof msg),
                        id > 0 ? "updating the one found on earlier pages"
                               : "posting a new comment");
            return id > 0 ? id : -1;
        }
    }
    return id;
}

/* Comment body on pull request pr of repo: update our earlier comment,
 * else (none, the listing failed, the comment is gone) post a new one. */
static void post_comment(struct post_run *p, const char *api, const char *repo,
                         long long pr, const char *const *headers, const char *body)
{
    char path[512];
    char *url;
    long long id;
    snprintf(path, sizeof path, "/repos/%s/issues/%lld/comments", repo, pr);
    if (p->dry_run) {
        /* nothing is sent, so the id is unknown: show the listing's first GET */
        struct gr_post_req req;
        listing_request(&req, api, path, 1, headers);
        print_request(&req);
        gr_post_req_clear(&req);
        id = 0;
    } else {
        id = find_comment(p, api, path, headers);
    }
    url = make_url(api, path, NULL); /* the POST of a new comment */
    if (!url) {
        oom();
    }
    if (id > 0) {
        char cpath[512], *curl;
        enum delivery d;
        snprintf(cpath, sizeof cpath, "/repos/%s/issues/comments/%lld", repo, id);
        curl = make_url(api, cpath, NULL);
        if (!curl) {
            oom();
        }
        /* spooled, the PATCH keeps the POST for a flush that finds it gone */
        d = send_payload(p, GR_TARGET_GITHUB, GR_METHOD_PATCH, curl, "application/json",
                         headers, body, NULL, url);
        gr_free(curl);
        if (d != GONE) {
            gr_free(url);
            return;
        }
        gr_cli_fail(p->cmd, 0, "warning: comment %lld of %s#%lld is gone (HTTP 404); "
                    "posting a new comment", id, repo, pr);
    }
    send_payload(p, GR_TARGET_GITHUB, GR_METHOD_POST, url, "application/json", headers,
                 body, NULL, NULL);
    gr_free(url);
}

/* A payload builder failed: only out of memory is possible here. */
static void built(int rc)
{
    if (rc < 0) {
        oom();
    }
}

static int post_handler(const struct gr_cmd *cmd, const struct gr_args *args)
{
    static const char *const gh_headers[] = {"Accept: application/vnd.github+json",
                                             "X-GitHub-Api-Version: 2022-11-28", NULL};
    struct post_run p;
    struct gr_presult *res = NULL;
    struct gr_payload_ctx ctx;
    const char *webhook = opt_text(args, "webhook"), *slack = opt_text(args, "slack"),
               *influx = opt_text(args, "influx"), *org = opt_text(args, "influx-org"),
               *bucket = opt_text(args, "influx-bucket"), *cacert = opt_text(args, "cacert"),
               *repo = NULL, *api = NULL, *sha_opt = opt_text(args, "sha");
    int github = gr_args_count(args, "github") > 0, doflush = gr_args_count(args, "flush") > 0;
    int ntargets = (webhook != NULL) + (slack != NULL) + (influx != NULL) + github;
    long long pr = 0;
    char *influx_url = NULL, *body = NULL, run_url[1024];
    gr_error err;
    int rc = GR_REXIT_OK;

    memset(&p, 0, sizeof p);
    memset(&ctx, 0, sizeof ctx);
    p.cmd = cmd;
    p.po.timeout = gr_args_get(args, "timeout")->f;
    p.po.retries = (int)gr_args_get(args, "retries")->i;
    p.po.retry_delay = gr_args_get(args, "retry-delay")->f;
    p.po.cacert = cacert;
    p.spool = opt_text(args, "spool");
    p.dry_run = gr_args_count(args, "dry-run") > 0;
    p.quiet = gr_args_count(args, "quiet") > 0;
    p.required = gr_args_count(args, "post-required") > 0;

    /* ---- the command line and the environment, before anything is sent */
    if (ntargets == 0 && args->nargs > 0) {
        return gr_cli_usage(cmd, "RESULT given but no target (--webhook, --slack, "
                                 "--github or --influx)");
    }
    if (ntargets == 0 && !doflush) {
        return gr_cli_usage(cmd, "nothing to do: give --webhook, --slack, --github, "
                                 "--influx or --flush");
    }
    if (ntargets > 0 && args->nargs == 0) {
        return gr_cli_usage(cmd, "missing RESULT (a compare result or a run file; - for "
                                 "standard input)");
    }
    if (!p.spool[0]) {
        return gr_cli_usage(cmd, "bad value '' for --spool: empty directory name");
    }
    if ((webhook && (rc = check_url(cmd, "--webhook", webhook, 1)) != GR_REXIT_OK)
        || (slack && (rc = check_url(cmd, "--slack", slack, 1)) != GR_REXIT_OK)
        || (influx && (rc = check_url(cmd, "--influx", influx, 0)) != GR_REXIT_OK)) {
        return rc;
    }
    if (cacert && access(cacert, R_OK) < 0) {
        return gr_cli_usage(cmd, "bad value '%s' for --cacert: %s", cacert, strerror(errno));
    }
    if ((org || bucket) && !influx) {
        return gr_cli_usage(cmd, "--influx-org and --influx-bucket need --influx");
    }
    if ((org != NULL) != (bucket != NULL)) {
        return gr_cli_usage(cmd, "InfluxDB 2 needs both --influx-org and --influx-bucket");
    }
    if (sha_opt && !is_hex(sha_opt, 40) && !is_hex(sha_opt, 64)) {
        return gr_cli_usage(cmd, "bad value '%s' for --sha: expected a full commit sha "
                                 "(40 hex digits)", sha_opt);
    }
    if (github) {
        const char *ref = env("GITHUB_REF");
        repo = opt_text(args, "repo") ? opt_text(args, "repo") : env("GITHUB_REPOSITORY");
        api = env("GITHUB_API_URL") ? env("GITHUB_API_URL") : DEFAULT_GITHUB_API;
        if (!repo) {
            return gr_cli_usage(cmd, "--github needs a repository: give --repo OWNER/NAME "
                                     "or set GITHUB_REPOSITORY");
        }
        if (!repo_ok(repo)) {
            return gr_cli_usage(cmd, "bad repository '%s': expected OWNER/NAME", repo);
        }
        if ((rc = check_url(cmd, "GITHUB_API_URL", api, 0)) != GR_REXIT_OK) {
            return rc;
        }
        if (!env("GITHUB_TOKEN") && !p.dry_run) {
            return gr_cli_usage(cmd, "--github needs a token in GITHUB_TOKEN");
        }
        if (gr_args_get(args, "pr")) {
            pr = (long long)gr_args_get(args, "pr")->i;
        } else if (ref && strncmp(ref, "refs/pull/", 10) == 0) {
            char *end;
            pr = strtoll(ref + 10, &end, 10);
            if (end == ref + 10 || strcmp(end, "/merge") != 0 || pr < 1) {
                pr = 0;
            }
        }
    } else if (gr_args_get(args, "pr") || opt_text(args, "repo")) {
        return gr_cli_usage(cmd, "--pr and --repo need --github");
    }

    /* ---- the result */
    if (args->nargs > 0) {
        rc = read_result(cmd, args->args[0], &res);
        if (rc != GR_REXIT_OK) {
            return rc;
        }
        ctx.sha = sha_opt ? sha_opt : res->sha ? res->sha : env("GITHUB_SHA");
        ctx.branch = opt_text(args, "branch") ? opt_text(args, "branch")
                     : res->branch ? res->branch
                     : env("GITHUB_HEAD_REF") ? env("GITHUB_HEAD_REF")
                                               : env("GITHUB_REF_NAME");
        ctx.machine = res->machine;
        ctx.time_ns = res->time_ns;
        if (ctx.time_ns == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ctx.time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        }
        if (env("GITHUB_SERVER_URL") && env("GITHUB_REPOSITORY") && env("GITHUB_RUN_ID")
            && (size_t)snprintf(run_url, sizeof run_url, "%s/%s/actions/runs/%s",
                                env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY"),
                                env("GITHUB_RUN_ID")) < sizeof run_url) {
            ctx.run_url = run_url;
        }
        if (github && res->kind != GR_PRESULT_COMPARE) {
            rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "%s: --github needs a compare result "
                             "(grregress compare --format json=FILE), not a run file",
                             args->args[0]);
            goto done;
        }
        if (github && (!ctx.sha || (!is_hex(ctx.sha, 40) && !is_hex(ctx.sha, 64)))) {
            rc = gr_cli_fail(cmd, GR_REXIT_USAGE, "--github needs the commit: give --sha "
                             "or set GITHUB_SHA (a full sha)%s",
                             ctx.sha ? "; the one found is not a full sha" : "");
            goto done;
        }
    }
    if (influx) {
        char db[512], o[512], b[512];
        const char *q[4] = {NULL, NULL, NULL, NULL};
        if (org) {
            snprintf(o, sizeof o, "org=%s", org);
            snprintf(b, sizeof b, "bucket=%s", bucket);
            q[0] = o;
            q[1] = b;
        } else {
            snprintf(db, sizeof db, "db=%s", opt_text(args, "influx-db"));
            q[0] = db;
        }
        q[org ? 2 : 1] = "precision=ns";
        influx_url = make_url(influx, org ? "/api/v2/write" : "/write", q);
        if (!influx_url) {
            rc = gr_cli_usage(cmd, "bad URL for --influx: cannot add the write path");
            goto done;
        }
    }

    /* ---- sending */
    gr_error_clear(&err);
    if (!p.dry_run && gr_post_global_init(&err) < 0) {
        rc = gr_cli_error(cmd, GR_REXIT_REGRESSION, &err);
        goto done;
    }
    if (doflush && (rc = flush(&p)) != GR_REXIT_OK) {
        goto done;
    }
    if (res && webhook) {
        char key[33];
        /* the key is over the payload without its key, then put in it */
        built(gr_payload_webhook(res, &ctx, "", &body, &err));
        gr_payload_key(gr_target_name(GR_TARGET_WEBHOOK), webhook, body, strlen(body), key);
        gr_free(body);
        built(gr_payload_webhook(res, &ctx, key, &body, &err));
        send_payload(&p, GR_TARGET_WEBHOOK, GR_METHOD_POST, webhook, "application/json",
                     NULL, body, key, NULL);
        gr_free(body);
        body = NULL;
    }
    if (res && slack) {
        built(gr_payload_slack(res, &ctx, &body, &err));
        send_payload(&p, GR_TARGET_SLACK, GR_METHOD_POST, slack, "application/json", NULL,
                     body, NULL, NULL);
        gr_free(body);
        body = NULL;
    }
    if (res && github) {
        char path[512];
        char *url;
        snprintf(path, sizeof path, "/repos/%s/statuses/%s", repo, ctx.sha);
        url = make_url(api, path, NULL);
        if (!url) {
            oom();
        }
        built(gr_payload_github_status(res, &ctx, &body, &err));
        send_payload(&p, GR_TARGET_GITHUB, GR_METHOD_POST, url, "application/json",
                     gh_headers, body, NULL, NULL);
        gr_free(body);
        gr_free(url);
        body = NULL;
        if (pr > 0) {
            built(gr_payload_github_comment(res, &ctx, &body, &err));
            post_comment(&p, api, repo, pr, gh_headers, body);
            gr_free(body);
            body = NULL;
        }
    }
    if (res && influx_url) {
        built(gr_payload_influx(res, &ctx, &body, &err));
        send_payload(&p, GR_TARGET_INFLUX, GR_METHOD_POST, influx_url,
                     "text/plain; charset=utf-8", NULL, body, NULL, NULL);
        gr_free(body);
        body = NULL;
    }
    rc = p.lost > 0 || (p.required && p.failed > 0) ? GR_REXIT_REGRESSION : GR_REXIT_OK;

done:
    gr_free(influx_url);
    gr_presult_free(&res);
    gr_post_global_cleanup();
    return rc;
}

static void post_help_extra(FILE *fp)
{
    fprintf(fp,
            "Payloads: --webhook gets JSON (\"grperf.post/1\": commit, machine, verdict,\n"
            "summary, benchmarks, idempotency_key); --slack gets {\"text\": ...};\n"
            "--github sets the commit status \"grperf/regress\" and, for a pull request,\n"
            "comments the Markdown table; --influx writes line protocol (measurement\n"
            "grperf, tags benchmark/branch/group/machine) to /write?db=DB, or with\n"
            "--influx-org/--influx-bucket to /api/v2/write.\n"
            "\n"
            "PR comment: one per pull request, updated by each run.  The PR's comments\n"
            "are listed (GET, %d per page, at most %d pages) and the newest one\n"
            "holding the marker %s is updated (PATCH);\n"
            "without one a new comment is posted.  When the listing fails or is not\n"
            "JSON, or the comment was deleted meanwhile (404), a warning is printed\n"
            "and a new comment posted.  --dry-run sends nothing, not even the listing:\n"
            "it prints the GET of the first page and the POST of a new comment.\n"
            "\n"
            "Environment: GITHUB_TOKEN, GITHUB_API_URL (default %s),\n"
            "GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF, GITHUB_HEAD_REF, GITHUB_REF_NAME;\n"
            "INFLUX_TOKEN (\"Authorization: Token ...\"); GRPERF_WEBHOOK_TOKEN (a Bearer\n"
            "token for --webhook).  Tokens are read when a request is sent, never\n"
            "printed and never spooled.\n"
            "\n"
            "Delivery: each request carries an Idempotency-Key (the same on every\n"
            "retry and flush); connection failures, timeouts, 408, 429 and 5xx are\n"
            "retried with exponential backoff and jitter (Retry-After honoured).  A\n"
            "payload still not delivered is written to the spool (mode 0600: a webhook\n"
            "URL may be a secret) and sent by a later 'post --flush' (a comment update\n"
            "is spooled as a PATCH and flushed as one, or POSTed as a new comment when\n"
            "the comment is gone by then; the listing is never spooled).\n"
            "\n"
            "Exit codes: 0 everything delivered or spooled (a warning per spooled\n"
            "payload); 1 a payload neither delivered nor spooled, or with\n"
            "--post-required any payload not delivered; 2 usage or input error.\n",
            COMMENTS_PER_PAGE, COMMENTS_MAX_PAGES, GR_PAYLOAD_COMMENT_MARKER,
            DEFAULT_GITHUB_API);
}

const struct gr_cmd gr_cmd_post = {
    "post",
    "Post a result to webhooks, Slack, GitHub or InfluxDB",
    "[--webhook URL] [--slack URL] [--github] [--influx URL] [RESULT] [options]",
    "RESULT is a compare result ('grregress compare --format json=FILE') or a run\n"
    "file (webhook, Slack and InfluxDB only); - reads it from standard input.\n",
    post_help_extra,
    post_args,
    post_opts,
    post_handler
};
