/*
 * check_post.c - the pieces of `grregress post` that need no network:
 * line-protocol and Slack escaping, URL checking and redaction, the
 * idempotency key, ISO time parsing, reading compare results and run
 * files, every payload builder (exact line protocol, parsed JSON), the
 * spool's round trip (with the request's method) and its corrupt-file
 * checks (a bad method among them), and clean failure under
 * injected out-of-memory.  tests/cli/post.sh sends the payloads to a real
 * server.
 */
#include "config.h"
#include "regress/payload.h"
#include "regress/post.h"
#include "common/mem.h"
#include "testutil.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A compare result with a name that needs every escape. */
static const char *const CMP =
    "{\"schema\": \"grperf.compare/1\", \"baseline\": \"b.json\", \"current\": \"c.json\","
    " \"metric\": \"time\", \"threshold\": 0.05, \"alpha\": 0.01,"
    " \"machine\": {\"match\": true, \"baseline_hash\": \"m1\", \"current_hash\": \"m1\"},"
    " \"summary\": {\"geomean_change\": 0.1},"
    " \"commit\": {\"sha\": \"0123456789012345678901234567890123456789\","
    "              \"branch\": \"feat x\"},"
    " \"benchmarks\": ["
    "  {\"name\": \"grp/a b,c=d\", \"verdict\": \"regression\", \"direction\": \"lower\","
    "   \"threshold\": 0.05, \"baseline\": 1.5, \"current\": 2, \"change\": 0.25,"
    "   \"change_ci\": [0.2, 0.3], \"p\": 0.001, \"q\": 0.002,"
    "   \"baseline_rounds\": 5, \"current_rounds\": 5},"
    "  {\"name\": \"solo\", \"verdict\": \"added\", \"reason\": null,"
    "   \"baseline\": null, \"current\": 3, \"change\": null, \"change_ci\": [],"
    "   \"p\": null, \"q\": null}]}";

static char *esc(enum gr_lp_part part, const char *s)
{
    struct gr_pbuf b = {0};
    char *out;
    gr_lp_escape(&b, part, s);
    out = gr_pbuf_take(&b);
    ck_assert_ptr_nonnull(out);
    return out;
}

#define CHECK_ESC(part, in, want)                                                   \
    do {                                                                            \
        char *got_ = esc(part, in);                                                 \
        ck_assert_str_eq(got_, want);                                               \
        gr_free(got_);                                                              \
    } while (0)

START_TEST(line_protocol_escaping)
{
    CHECK_ESC(GR_LP_MEASUREMENT, "plain", "plain");
    CHECK_ESC(GR_LP_MEASUREMENT, "a b,c=d", "a\\ b\\,c=d");
    CHECK_ESC(GR_LP_TAG, "a b,c=d", "a\\ b\\,c\\=d");
    CHECK_ESC(GR_LP_TAG, "x\ny\tz\r", "x\\ y\\ z\\ ");
    CHECK_ESC(GR_LP_TAG, "a\\b\\\\c", "a\\b\\\\c");
    CHECK_ESC(GR_LP_TAG, "end\\", "end/");
    CHECK_ESC(GR_LP_TAG, "a\\,b\\ c\\=d", "a/\\,b/\\ c/\\=d");
    CHECK_ESC(GR_LP_MEASUREMENT, "a\\=b", "a\\=b");
    CHECK_ESC(GR_LP_TAG, "\"q\"", "\"q\"");
    CHECK_ESC(GR_LP_STRING, "say \"hi\" \\ a,b=c d", "say \\\"hi\\\" \\\\ a,b=c d");
    CHECK_ESC(GR_LP_STRING, "", "");
}
END_TEST

START_TEST(slack_escaping)
{
    struct gr_pbuf b = {0};
    char *s;
    gr_slack_escape(&b, "a<b>&c <@U123> `x`");
    s = gr_pbuf_take(&b);
    ck_assert_str_eq(s, "a&lt;b&gt;&amp;c &lt;@U123&gt; `x`");
    gr_free(s);
}
END_TEST

START_TEST(url_redaction)
{
    static const struct {
        const char *url;
        int hide;
        const char *want;
    } cases[] = {
        {"https://hooks.slack.com/services/T0/B0/SECRET", 1, "https://hooks.slack.com/\xe2\x80\xa6"},
        {"https://hooks.slack.com/services/T0/B0/SECRET", 0, "https://hooks.slack.com/services/T0/B0/SECRET"},
        {"http://user:pw@host:8080/path?token=abc#frag", 0, "http://host:8080/path?\xe2\x80\xa6"},
        {"http://user:pw@host:8080/path?token=abc", 1, "http://host:8080/\xe2\x80\xa6"},
        {"http://host", 1, "http://host"},
        {"http://host:1/", 0, "http://host:1/"},
        {"http://a@b@host/x", 0, "http://host/x"},
        {"http://host?k=v", 0, "http://host?\xe2\x80\xa6"},
        {"hooks.example/secret", 1, "hooks.example/\xe2\x80\xa6"},
        {"ftp://u:p@h/f", 0, "ftp://h/f"},
        {"", 1, ""},
    };
    char buf[128], small[8];
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(strcmp(gr_url_redact(cases[i].url, cases[i].hide, buf, sizeof buf),
                             cases[i].want) == 0,
                      "case %zu: got '%s', want '%s'", i, buf, cases[i].want);
    }
    /* a short buffer truncates, never overflows, never shows the secret */
    gr_url_redact("https://user:SECRET@h/SECRET", 1, small, sizeof small);
    ck_assert_uint_lt(strlen(small), sizeof small);
    ck_assert_ptr_null(strstr(small, "SECRET"));
}
END_TEST

START_TEST(url_checking)
{
    char why[160];
    ck_assert_int_eq(gr_url_check("http://127.0.0.1:8086", why, sizeof why), 0);
    ck_assert_int_eq(gr_url_check("https://hooks.slack.com/services/a/b", why, sizeof why), 0);
    ck_assert_int_eq(gr_url_check("HTTPS://EXAMPLE.COM/", why, sizeof why), 0);
    ck_assert_int_eq(gr_url_check("ftp://example.com/x", why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "scheme 'ftp' not allowed"));
    ck_assert_int_eq(gr_url_check("file:///etc/passwd", why, sizeof why), -1);
    ck_assert_int_eq(gr_url_check("example.com/hook", why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "not an absolute URL"));
    ck_assert_int_eq(gr_url_check("http://", why, sizeof why), -1);
    ck_assert_int_eq(gr_url_check("http://exa mple.com/", why, sizeof why), -1);
    ck_assert_int_eq(gr_url_check("http://h:99999/", why, sizeof why), -1);
}
END_TEST

START_TEST(idempotency_key)
{
    char a[33], b[33], c[33], d[33], e[33];
    gr_payload_key("webhook", "http://h/x", "body", 4, a);
    gr_payload_key("webhook", "http://h/x", "body", 4, b);
    gr_payload_key("webhook", "http://h/y", "body", 4, c);
    gr_payload_key("slack", "http://h/x", "body", 4, d);
    gr_payload_key("webhook", "http://h/x", "bodz", 4, e);
    ck_assert_uint_eq(strlen(a), 32);
    ck_assert_uint_eq(strspn(a, "0123456789abcdef"), 32);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_str_ne(a, d);
    ck_assert_str_ne(a, e);
    /* the separators keep the fields apart */
    gr_payload_key("ab", "c", "", 0, c);
    gr_payload_key("a", "bc", "", 0, d);
    ck_assert_str_ne(c, d);
}
END_TEST

START_TEST(iso_time)
{
    ck_assert_int_eq(gr_payload_parse_time("2026-11-26T03:10:41Z"), 1795662641000000000LL);
    ck_assert_int_eq(gr_payload_parse_time("2026-11-26T03:10:41.5Z"), 1795662641500000000LL);
    ck_assert_int_eq(gr_payload_parse_time("2026-11-26T04:10:41+01:00"),
                     1795662641000000000LL);
    ck_assert_int_eq(gr_payload_parse_time("1970-01-01T00:00:00Z"), 0);
    ck_assert_int_eq(gr_payload_parse_time("2026-11-26 03:10:41"), -1);
    ck_assert_int_eq(gr_payload_parse_time("2026-13-26T03:10:41Z"), -1);
    ck_assert_int_eq(gr_payload_parse_time("2026-11-26T03:10:41Zjunk"), -1);
    ck_assert_int_eq(gr_payload_parse_time(NULL), -1);
}
END_TEST

static struct gr_presult *parse_ok(const char *text)
{
    struct gr_presult *r = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_msg(gr_presult_parse(text, strlen(text), "t.json", &r, &err) == GR_OK, "%s",
                  err.msg);
    return r;
}

/* s with the first `from` replaced by `to` (gr_free it). */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = gr_malloc(n);
    ck_assert_ptr_nonnull(at);
    ck_assert_ptr_nonnull(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

static void parse_bad(const char *text, int code, const char *fragment)
{
    struct gr_presult *r = NULL;
    gr_error err;
    char line[1024];
    gr_error_clear(&err);
    ck_assert_int_eq(gr_presult_parse(text, strlen(text), "t.json", &r, &err), code);
    ck_assert_ptr_null(r);
    gr_error_format(&err, line, sizeof line);
    ck_assert_msg(strstr(line, fragment) != NULL, "'%s' lacks '%s'", line, fragment);
    ck_assert_msg(strstr(line, "t.json") != NULL, "'%s' does not name the file", line);
}

START_TEST(reading_results)
{
    struct gr_presult *r = parse_ok(CMP);
    char *run, *bad;
    size_t len;
    ck_assert_int_eq(r->kind, GR_PRESULT_COMPARE);
    ck_assert_uint_eq(r->rep.n, 2);
    ck_assert_str_eq(r->rep.res[0].name, "grp/a b,c=d");
    ck_assert_int_eq(r->rep.res[0].verdict, GR_V_REGRESSION);
    ck_assert(r->rep.res[0].change_lo == 0.2 && r->rep.res[0].change_hi == 0.3);
    ck_assert(isnan(r->rep.res[1].base) && isnan(r->rep.res[1].change_lo));
    ck_assert_uint_eq(r->rep.count[GR_V_REGRESSION], 1);
    ck_assert_uint_eq(r->rep.count[GR_V_ADDED], 1);
    ck_assert_uint_eq(r->rep.compared, 1);
    ck_assert_str_eq(r->sha, "0123456789012345678901234567890123456789");
    ck_assert_str_eq(r->branch, "feat x");
    ck_assert_str_eq(r->machine, "m1");
    ck_assert_int_eq(r->time_ns, 0);   /* no "finished": post's own time */
    ck_assert_int_eq(gr_presult_failed(r), 1);
    gr_presult_free(&r);
    ck_assert_ptr_null(r);
    /* a compare result says when its current run ended (format.c) */
    bad = replace(CMP, "\"metric\"", "\"finished\": \"2026-11-26T08:22:59Z\", \"metric\"");
    r = parse_ok(bad);
    ck_assert_int_eq(r->time_ns, 1795681379000000000LL);
    gr_presult_free(&r);
    gr_free(bad);
    bad = replace(CMP, "\"metric\"", "\"finished\": \"yesterday\", \"metric\"");
    parse_bad(bad, GR_ERR_FORMAT, "finished: 'yesterday' is not a UTC time");
    gr_free(bad);
    bad = replace(CMP, "\"metric\"", "\"finished\": 7, \"metric\"");
    parse_bad(bad, GR_ERR_FORMAT, "finished: expected a UTC time string");
    gr_free(bad);

    run = tu_slurp(GR_SRCDIR "/tests/data/regress_base.json", &len);
    ck_assert_ptr_nonnull(run);
    r = parse_ok(run);
    ck_assert_int_eq(r->kind, GR_PRESULT_RUN);
    ck_assert_uint_eq(r->run->nbench, 3);
    ck_assert_str_eq(r->sha, "39c290d1c2000000000000000000000000000000");
    ck_assert_str_eq(r->branch, "main");
    ck_assert_int_eq(r->time_ns, 1795662641000000000LL);
    ck_assert_int_eq(gr_presult_failed(r), 0);
    gr_presult_free(&r);
    free(run);

    parse_bad("{\"schema\": ", GR_ERR_PARSE, "not JSON");
    parse_bad("[1]", GR_ERR_FORMAT, "schema: missing");
    parse_bad("{\"schema\": \"grperf.other/9\"}", GR_ERR_FORMAT, "got \"grperf.other/9\"");
    bad = replace(CMP, "\"regression\"", "\"regressio!\"");
    parse_bad(bad, GR_ERR_FORMAT, "benchmarks[0].verdict: unknown verdict 'regressio!'");
    gr_free(bad);
    bad = replace(CMP, "\"current\": 3", "\"current\": \"3\"");
    parse_bad(bad, GR_ERR_FORMAT, "benchmarks[1].current: expected a number or null");
    gr_free(bad);
    bad = replace(CMP, "[0.2, 0.3]", "[0.2, 0.3,");
    parse_bad(bad, GR_ERR_PARSE, "not JSON");
    gr_free(bad);
}
END_TEST

static const struct gr_payload_ctx CTX = {
    "0123456789012345678901234567890123456789", "feat x", "m1", 123, NULL};

START_TEST(influx_lines)
{
    struct gr_presult *r = parse_ok(CMP);
    char *lp = NULL;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_payload_influx(r, &CTX, &lp, &err), GR_OK);
    ck_assert_str_eq(lp,
        "grperf,benchmark=grp/a\\ b\\,c\\=d,branch=feat\\ x,group=grp,machine=m1 "
        "verdict=\"regression\",median=2,baseline=1.5,change=0.25,ci_lo=0.2,ci_hi=0.3,"
        "p=0.001,q=0.002,threshold=0.05,regression=1i,"
        "commit=\"0123456789012345678901234567890123456789\" 123\n"
        "grperf,benchmark=solo,branch=feat\\ x,group=solo,machine=m1 "
        "verdict=\"added\",median=3,regression=0i,"
        "commit=\"0123456789012345678901234567890123456789\" 123\n");
    gr_free(lp);
    gr_presult_free(&r);
}
END_TEST

START_TEST(influx_run_lines)
{
    struct gr_presult *r;
    struct gr_payload_ctx c = {NULL, NULL, NULL, 0, NULL};
    char *run = tu_slurp(GR_SRCDIR "/tests/data/regress_base.json", NULL), *lp = NULL;
    const char *line2, *want;
    gr_error err;
    ck_assert_ptr_nonnull(run);
    r = parse_ok(run);
    c.machine = r->machine;
    c.time_ns = r->time_ns;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_payload_influx(r, &c, &lp, &err), GR_OK);
    /* no branch or commit given: those tags and fields are left out */
    want = "grperf,benchmark=algorithms/pagerank/native,group=algorithms,"
           "machine=3f2a9c0d11e4b7a8 median=0.0002003,ci_lo=0.0001988,";
    ck_assert_msg(strncmp(lp, want, strlen(want)) == 0, "%s", lp);
    ck_assert_ptr_null(strstr(lp, "commit="));
    line2 = strchr(lp, '\n');
    ck_assert_ptr_nonnull(line2);
    ck_assert_ptr_nonnull(strstr(lp, ",samples=10i,version=1i 1795662641000000000\n"));
    gr_free(lp);
    gr_presult_free(&r);
    free(run);
}
END_TEST

START_TEST(json_payloads)
{
    struct gr_presult *r = parse_ok(CMP);
    char *text = NULL;
    cJSON *j, *b;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_payload_webhook(r, &CTX, "00112233445566778899aabbccddeeff", &text,
                                        &err), GR_OK);
    j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "schema")->valuestring, "grperf.post/1");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "kind")->valuestring, "compare");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "verdict")->valuestring, "fail");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "idempotency_key")->valuestring,
                     "00112233445566778899aabbccddeeff");
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "commit"), "branch")
                         ->valuestring, "feat x");
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"), "regression")
                         ->valueint, 1);
    b = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "benchmarks"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(b, "name")->valuestring, "grp/a b,c=d");
    ck_assert_str_eq(cJSON_GetObjectItem(b, "group")->valuestring, "grp");
    ck_assert(cJSON_GetObjectItem(b, "change")->valuedouble == 0.25);
    b = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "benchmarks"), 1);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(b, "baseline")));
    cJSON_Delete(j);
    gr_free(text);

    ck_assert_int_eq(gr_payload_slack(r, &CTX, &text, &err), GR_OK);
    j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "text")->valuestring,
                     ":x: *grperf*: 1 regression, 0 checksum mismatches at `0123456` on "
                     "`feat x` (machine m1)\n"
                     "\xe2\x80\xa2 `grp/a b,c=d`: +25.0% [+20.0%, +30.0%]\n"
                     "1 regression, 0 checksum mismatches, 0 improvements, 0 noisy of 1 "
                     "compared; geomean +10.0%");
    cJSON_Delete(j);
    gr_free(text);

    ck_assert_int_eq(gr_payload_github_status(r, &CTX, &text, &err), GR_OK);
    j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "state")->valuestring, "failure");
    ck_assert_str_eq(cJSON_GetObjectItem(j, "context")->valuestring, "grperf/regress");
    ck_assert_uint_le(strlen(cJSON_GetObjectItem(j, "description")->valuestring), 140);
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "target_url"));
    cJSON_Delete(j);
    gr_free(text);

    ck_assert_int_eq(gr_payload_github_comment(r, &CTX, &text, &err), GR_OK);
    j = cJSON_Parse(text);
    ck_assert_ptr_nonnull(j);
    b = cJSON_GetObjectItem(j, "body");
    ck_assert_ptr_nonnull(strstr(b->valuestring, "<!-- grperf/regress -->\n### :x: "));
    ck_assert_ptr_nonnull(strstr(b->valuestring, "| Benchmark | Baseline |"));
    ck_assert_ptr_nonnull(strstr(b->valuestring, "| `grp/a b,c=d` |"));
    ck_assert_ptr_nonnull(strstr(b->valuestring, "commit 0123456 on feat x"));
    cJSON_Delete(j);
    gr_free(text);
    gr_presult_free(&r);
}
END_TEST

START_TEST(github_needs_compare)
{
    char *run = tu_slurp(GR_SRCDIR "/tests/data/regress_base.json", NULL), *text = NULL;
    struct gr_presult *r;
    gr_error err;
    ck_assert_ptr_nonnull(run);
    r = parse_ok(run);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_payload_github_status(r, &CTX, &text, &err), GR_ERR_INVALID);
    ck_assert_ptr_null(text);
    ck_assert_int_eq(gr_payload_webhook(r, &CTX, "k", &text, &err), GR_OK);
    ck_assert_ptr_nonnull(strstr(text, "\"kind\":\"run\""));
    ck_assert_ptr_nonnull(strstr(text, "\"verdict\":null"));
    gr_free(text);
    gr_presult_free(&r);
    free(run);
}
END_TEST

START_TEST(spool_round_trip)
{
    char dir[] = "/tmp/check_post.XXXXXX", sub[128], path[512], *text;
    static const char *const hdrs[] = {"Accept: application/vnd.github+json", NULL};
    struct gr_post_req req, back;
    struct stat sb;
    char **paths;
    size_t n, i;
    gr_error err;
    FILE *fp;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_post_req_init(&req, GR_TARGET_GITHUB, "http://h:1/repos/o/r",
                                      "application/json", hdrs, "{\"x\": \"\\u00e9\"}", 15,
                                      "0123456789abcdef0123456789abcdef", &err), GR_OK);
    ck_assert_int_eq(gr_spool_write(sub, &req, "HTTP 503", path, sizeof path, &err), GR_OK);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_int_eq(gr_spool_read(path, &back, &err), GR_OK);
    ck_assert_int_eq(back.kind, GR_TARGET_GITHUB);
    ck_assert_str_eq(back.url, req.url);
    ck_assert_str_eq(back.content_type, "application/json");
    ck_assert_uint_eq(back.nheaders, 1);
    ck_assert_str_eq(back.headers[0], hdrs[0]);
    ck_assert_uint_eq(back.len, req.len);
    ck_assert_str_eq(back.body, req.body);
    ck_assert_str_eq(back.key, req.key);
    gr_post_req_clear(&back);

    /* a corrupt file next to it: listed, and reported by name on reading */
    snprintf(path, sizeof path, "%s/zz.json", sub);
    fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("{\"schema\": \"grperf.spool/1\", \"kind\": \"gopher\"}", fp);
    fclose(fp);
    ck_assert_int_eq(gr_spool_list(sub, &paths, &n, &err), GR_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(paths[1], path);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spool_read(paths[1], &back, &err), GR_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "zz.json: corrupt spool file: url"));
    for (i = 0; i < n; i++) {
        unlink(paths[i]);
        gr_free(paths[i]);
    }
    gr_free(paths);
    /* a secret header must never come back from a spool file */
    fp = fopen(path, "w");
    text = "{\"schema\": \"grperf.spool/1\", \"kind\": \"webhook\", \"url\": \"http://h/\","
           " \"content_type\": \"a/b\", \"headers\": [\"Authorization: Bearer x\"],"
           " \"idempotency_key\": \"0123456789abcdef0123456789abcdef\", \"body\": \"\"}";
    fputs(text, fp);
    fclose(fp);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spool_read(path, &back, &err), GR_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.msg, "no Authorization"));
    unlink(path);
    /* a missing spool directory is an empty spool */
    ck_assert_int_eq(gr_spool_list("/nonexistent/spool", &paths, &n, &err), GR_OK);
    ck_assert_uint_eq(n, 0);
    gr_post_req_clear(&req);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(path), 0);
}
END_TEST

/* Write text to path (the test fails when it cannot). */
static void put_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_ge(fputs(text, fp), 0);
    ck_assert_int_eq(fclose(fp), 0);
}

/* A spool file of kind github whose "method" member is `method` (a JSON
 * value, or NULL for none). */
static void put_spool(const char *path, const char *method)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"schema\": \"grperf.spool/1\", \"kind\": \"github\",%s%s%s"
             " \"url\": \"http://h/repos/o/r/issues/comments/555\","
             " \"content_type\": \"application/json\", \"headers\": [],"
             " \"idempotency_key\": \"0123456789abcdef0123456789abcdef\","
             " \"body\": \"{}\"}",
             method ? " \"method\": " : "", method ? method : "", method ? "," : "");
    put_file(path, text);
}

/* The method survives the spool (a PATCH stays a PATCH), a file without
 * one is a POST (files written before PATCH existed), a GET is never
 * spooled, and a bad method names the file and the field. */
START_TEST(spool_method)
{
    static const char *const bad[] = {"\"GET\"", "\"DELETE\"", "\"patch\"", "\"\"", "7",
                                      "null", "[\"PATCH\"]"};
    char dir[] = "/tmp/check_post.XXXXXX", path[512], file[512], *text = NULL;
    struct gr_post_req req, back;
    size_t i, len = 0;
    gr_error err;
    FILE *fp;
    ck_assert_str_eq(gr_post_method_name(GR_METHOD_POST), "POST");
    ck_assert_str_eq(gr_post_method_name(GR_METHOD_PATCH), "PATCH");
    ck_assert_str_eq(gr_post_method_name(GR_METHOD_GET), "GET");
    ck_assert_str_eq(gr_post_method_name(GR_METHOD_COUNT), "?");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    gr_error_clear(&err);
    ck_assert_int_eq(gr_post_req_init(&req, GR_TARGET_GITHUB,
                                      "http://h:1/repos/o/r/issues/comments/555",
                                      "application/json", NULL, "{\"body\": \"x\"}", 13,
                                      "0123456789abcdef0123456789abcdef", &err), GR_OK);
    ck_assert_int_eq(req.method, GR_METHOD_POST); /* the default */
    req.method = GR_METHOD_PATCH;
    ck_assert_int_eq(gr_spool_write(dir, &req, "HTTP 502", path, sizeof path, &err), GR_OK);
    fp = fopen(path, "r");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_ge(getdelim(&text, &len, '\0', fp), 1);
    fclose(fp);
    ck_assert_msg(strstr(text, "\"method\":\t\"PATCH\"") != NULL, "%s", text);
    free(text);
    ck_assert_int_eq(gr_spool_read(path, &back, &err), GR_OK);
    ck_assert_int_eq(back.method, GR_METHOD_PATCH);
    ck_assert_str_eq(back.url, req.url);
    ck_assert_str_eq(back.body, req.body);
    ck_assert_ptr_null(back.gone_url);
    gr_post_req_clear(&back);
    /* a PATCH's POST for a deleted comment round-trips */
    ck_assert_int_eq(gr_post_req_gone(&req, "http://h:1/repos/o/r/issues/7/comments", &err),
                     GR_OK);
    ck_assert_int_eq(gr_spool_write(dir, &req, "HTTP 502", path, sizeof path, &err), GR_OK);
    ck_assert_int_eq(gr_spool_read(path, &back, &err), GR_OK);
    ck_assert_str_eq(back.gone_url, "http://h:1/repos/o/r/issues/7/comments");
    gr_post_req_clear(&back);
    /* POST round trip: written as "POST", read back as POST; a POST with
     * a gone_url is a corrupt file */
    req.method = GR_METHOD_POST;
    ck_assert_int_eq(gr_spool_write(dir, &req, "HTTP 502", path, sizeof path, &err), GR_OK);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spool_read(path, &back, &err), GR_ERR_FORMAT);
    ck_assert_msg(strstr(err.msg, "corrupt spool file: gone_url: expected") != NULL, "%s",
                  err.msg);
    ck_assert_ptr_null(back.url);
    gr_free(req.gone_url);
    req.gone_url = NULL;
    ck_assert_int_eq(gr_spool_write(dir, &req, "HTTP 502", path, sizeof path, &err), GR_OK);
    ck_assert_int_eq(gr_spool_read(path, &back, &err), GR_OK);
    ck_assert_int_eq(back.method, GR_METHOD_POST);
    gr_post_req_clear(&back);
    unlink(path);
    /* a GET is refused, and nothing is written */
    req.method = GR_METHOD_GET;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spool_write(dir, &req, "HTTP 502", path, sizeof path, &err),
                     GR_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "not GET"));
    ck_assert_int_ne(access(path, F_OK), 0);
    gr_post_req_clear(&req);

    /* an old file without "method" is a POST */
    snprintf(file, sizeof file, "%s/old.json", dir);
    put_spool(file, NULL);
    gr_error_clear(&err);
    ck_assert_int_eq(gr_spool_read(file, &back, &err), GR_OK);
    ck_assert_int_eq(back.method, GR_METHOD_POST);
    gr_post_req_clear(&back);
    put_spool(file, "\"PATCH\"");
    ck_assert_int_eq(gr_spool_read(file, &back, &err), GR_OK);
    ck_assert_int_eq(back.method, GR_METHOD_PATCH);
    gr_post_req_clear(&back);
    /* a bad method: GR_ERR_FORMAT naming the file and the field */
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[600];
        put_spool(file, bad[i]);
        gr_error_clear(&err);
        ck_assert_int_eq(gr_spool_read(file, &back, &err), GR_ERR_FORMAT);
        snprintf(want, sizeof want,
                 "%s: corrupt spool file: method: expected \"POST\" or \"PATCH\"", file);
        ck_assert_msg(strcmp(err.msg, want) == 0, "method %s: got '%s'", bad[i], err.msg);
        ck_assert_ptr_null(back.url); /* nothing half-read */
    }
    unlink(file);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* Failures the transport can show without a server: a refused connection
 * is retried (and counted), a scheme other than http(s) is refused by
 * libcurl itself (CURLOPT_PROTOCOLS_STR), without a retry. */
START_TEST(transport_failures)
{
    struct gr_post_opts o = {2.0, 2, 0.0, NULL, 1024};
    struct gr_post_status st;
    struct gr_post_req req;
    gr_error err;
    gr_error_clear(&err);
    ck_assert_int_eq(gr_post_global_init(&err), GR_OK);
    ck_assert_int_eq(gr_post_global_init(&err), GR_OK); /* once is enough */
    ck_assert_int_eq(gr_post_req_init(&req, GR_TARGET_WEBHOOK, "http://127.0.0.1:1/x",
                                      "application/json", NULL, "{}", 2,
                                      "0123456789abcdef0123456789abcdef", &err), GR_OK);
    ck_assert_int_eq(gr_post_send(&req, &o, &st), -1);
    ck_assert_int_eq(st.attempts, 3);
    ck_assert_int_eq(st.http, 0);
    ck_assert_msg(strstr(st.why, "after 3 attempts") != NULL, "%s", st.why);
    ck_assert_ptr_null(st.response); /* kept only on success */
    req.method = GR_METHOD_GET;      /* a GET is retried the same way */
    ck_assert_int_eq(gr_post_send(&req, &o, &st), -1);
    ck_assert_int_eq(st.attempts, 3);
    ck_assert_ptr_null(st.response);
    gr_post_req_clear(&req);
    ck_assert_int_eq(gr_post_req_init(&req, GR_TARGET_WEBHOOK, "ftp://127.0.0.1:1/x",
                                      "application/json", NULL, "{}", 2,
                                      "0123456789abcdef0123456789abcdef", &err), GR_OK);
    ck_assert_int_eq(gr_post_send(&req, &o, &st), -1);
    ck_assert_int_eq(st.attempts, 1);
    gr_post_req_clear(&req);
    gr_post_global_cleanup();
}
END_TEST

/* Every builder and the reader, allowed 0, 1, 2, ... allocations: each
 * either succeeds or fails with GR_ERR_NOMEM and nothing allocated. */
START_TEST(out_of_memory)
{
    long k;
    int done = 0;
    for (k = 0; !done && k < 10000; k++) {
        struct gr_presult *r = NULL;
        char *a = NULL, *b = NULL, *c = NULL;
        gr_error err;
        int rc;
        gr_error_clear(&err);
        gr_mem_fail_after(k);
        rc = gr_presult_parse(CMP, strlen(CMP), "t.json", &r, &err);
        if (rc == GR_OK) {
            rc = gr_payload_influx(r, &CTX, &a, &err);
        }
        if (rc == GR_OK) {
            rc = gr_payload_webhook(r, &CTX, "k", &b, &err);
        }
        if (rc == GR_OK) {
            rc = gr_payload_slack(r, &CTX, &c, &err);
        }
        gr_mem_fail_after(-1);
        ck_assert_msg(rc == GR_OK || rc == GR_ERR_NOMEM, "budget %ld: rc %d", k, rc);
        done = rc == GR_OK;
        ck_assert(rc != GR_OK || (a && b && c));
        gr_free(a);
        gr_free(b);
        gr_free(c);
        gr_presult_free(&r);
    }
    ck_assert(done);
}
END_TEST

static Suite *post_suite(void)
{
    Suite *s = suite_create("post");
    TCase *t = tcase_create("post");
    tcase_add_test(t, line_protocol_escaping);
    tcase_add_test(t, slack_escaping);
    tcase_add_test(t, url_redaction);
    tcase_add_test(t, url_checking);
    tcase_add_test(t, idempotency_key);
    tcase_add_test(t, iso_time);
    tcase_add_test(t, reading_results);
    tcase_add_test(t, influx_lines);
    tcase_add_test(t, influx_run_lines);
    tcase_add_test(t, json_payloads);
    tcase_add_test(t, github_needs_compare);
    tcase_add_test(t, spool_round_trip);
    tcase_add_test(t, spool_method);
    tcase_add_test(t, transport_failures);
    tcase_add_test(t, out_of_memory);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return tu_run(post_suite());
}
