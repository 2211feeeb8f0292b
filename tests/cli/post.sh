#!/bin/sh
# post.sh - CLI tests of `grregress post`: real HTTP posts to tests/httpd
# (a loopback HTTP/1.1 server started here, logging every request) of each
# kind of payload, with their headers and bodies checked; retries (5xx,
# 429 with Retry-After, timeouts) with the same Idempotency-Key on every
# attempt; no retry on 4xx; the sticky PR comment (the comments listed
# page by page, ours updated with a PATCH, a new one POSTed when there is
# none or the listing fails, is not JSON, is too large, or the comment is
# gone; an undelivered PATCH spooled and flushed as one); spooling and
# --flush; --post-required; bad URLs and schemes; a refused connection;
# TLS verification (an https URL
# to the plain server; a self-signed server when openssl is installed);
# tokens never in grregress's output or in the spool.  When influxd is on
# PATH, a real InfluxDB 1.x is started on loopback and queried back.
#
# Usage: GRREGRESS=build/grregress GRPROF=build/grprof GR_SRCDIR=. \
#        GR_BUILDDIR=build sh tests/cli/post.sh
. "${GR_SRCDIR:-.}/tests/cli/lib.sh"
need_grregress
HTTPD=${GR_BUILDDIR:-.}/tests/httpd
if [ ! -x "$HTTPD" ]; then
    echo "Bail out! $HTTPD is not built (make check builds it)"
    exit 99
fi
HTTPD=$(cd "$(dirname "$HTTPD")" && pwd)/httpd
DATA=$(cd "$DATA" && pwd)
R=$GRREGRESS
case $R in /*) ;; *) R=$(pwd)/$R ;; esac
# anything spooled by mistake stays in the temporary directory
cd "$T_TMP" || exit 99
ERR_PREFIX="grregress post: "
# loopback only: no proxy in the way, and no token of the caller leaks in
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY \
    GITHUB_TOKEN GITHUB_API_URL GITHUB_REPOSITORY GITHUB_SHA GITHUB_REF GITHUB_HEAD_REF \
    GITHUB_REF_NAME GITHUB_SERVER_URL GITHUB_RUN_ID INFLUX_TOKEN GRPERF_WEBHOOK_TOKEN
SHA=0123456789abcdef0123456789abcdef01234567
TOKEN=tok-SECRET-4711

SRV_PID=
INF_PID=
SSL_PID=
cleanup() {
    for pid in $SRV_PID $INF_PID $SSL_PID; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$T_TMP"
}
trap cleanup EXIT

# start_server SCRIPT: a fresh server and log; sets PORT, LOG, URL.
start_server() {
    stop_server
    LOG=$T_TMP/log.$T_N
    rm -rf "$LOG" "$T_TMP/port"
    mkdir "$LOG"
    "$HTTPD" --port-file "$T_TMP/port" --log-dir "$LOG" --script "$1" --idle 60 &
    SRV_PID=$!
    i=0
    while [ ! -s "$T_TMP/port" ] && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    if [ ! -s "$T_TMP/port" ]; then
        echo "Bail out! tests/httpd did not start"
        exit 99
    fi
    PORT=$(cat "$T_TMP/port")
    URL=http://127.0.0.1:$PORT
}

stop_server() {
    if [ -n "$SRV_PID" ]; then
        kill "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
        SRV_PID=
    fi
}

nreq() { ls "$LOG" | grep -c '\.head$'; }
hdr() { sed -n "s/^$2: //p" "$LOG/$1.head"; }  # hdr N NAME
no_secret() {  # no_secret DESC SECRET: not on stdout, not on stderr
    if grep -Fq -- "$2" "$OUT" "$ERR"; then
        t_not_ok "$1" "the secret '$2' was printed"
    else
        t_ok "$1"
    fi
}

# ---- fixtures: a failing and a passing compare result ------------------------

"$R" compare "$DATA/regress_base.json" "$DATA/regress_slow.json" \
    --format json="$T_TMP/fail.json" --format table >/dev/null
[ -s "$T_TMP/fail.json" ] || { echo "Bail out! compare wrote no JSON"; exit 99; }
"$R" compare "$DATA/regress_base.json" "$DATA/regress_same.json" \
    --format json="$T_TMP/pass.json" >/dev/null
CMP=$T_TMP/fail.json
# the same result without the current run's commit and time (as a result
# of runs made outside git): post falls back on --sha / GITHUB_SHA and its
# own clock
NOCMP=$T_TMP/nocommit.json
sed -e '/^	"commit":	{$/,/^	},$/c\
	"commit":	null,' -e '/^	"finished":/d' "$CMP" >"$NOCMP"
grep -q '"commit":	null,' "$NOCMP" && ! grep -q '^	"finished"' "$NOCMP" \
    || { echo "Bail out! cannot make the result without a commit"; exit 99; }
RUNF=$DATA/regress_base.json
SP=$T_TMP/spool

# ---- the command line ------------------------------------------------------------

run "$R" post --help
expect_ok "post --help exits 0"
sed -n '/^Options:/,/^  -h, --help/p' "$OUT" \
    | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z][a-z-]*\).*/\2/p' \
    | grep -v '^help$' >"$T_TMP/optnames"
check "post's options are sorted by long name" sort -c "$T_TMP/optnames"

run "$R" post
expect_err "no target: usage error" 2 "nothing to do"
run "$R" post --webhook http://127.0.0.1:1/x
expect_err "a target without RESULT: usage error" 2 "missing RESULT"
run "$R" post "$CMP"
expect_err "RESULT without a target: usage error" 2 "no target"
run "$R" post --webhook ftp://example.com/hook "$CMP"
expect_err "ftp:// is refused" 2 "scheme 'ftp' not allowed (only http and https)"
run "$R" post --webhook file:///etc/passwd "$CMP"
expect_err "file:// is refused" 2 "for --webhook"
run "$R" post --influx http:// "$CMP"
expect_err "a URL without host is refused" 2 "bad URL 'http://' for --influx"
run "$R" post --webhook example.com/hook "$CMP"
expect_err "a URL without scheme is refused" 2 "not an absolute URL"
run "$R" post --slack "gopher://hooks.example/services/T0/B0/SECRETPATH" "$CMP"
expect_err "bad Slack URL: one line" 2 "bad URL 'gopher://hooks.example/"
no_secret "bad Slack URL: the secret path is not shown" SECRETPATH
run "$R" post --webhook http://127.0.0.1:1/x "$T_TMP/missing.json"
expect_err "missing RESULT file: named" 2 "$T_TMP/missing.json: cannot open"
printf '{"schema": "grperf.compare/1",\n  "metric": }\n' >"$T_TMP/bad.json"
run "$R" post --webhook http://127.0.0.1:1/x "$T_TMP/bad.json"
expect_err "RESULT not JSON: file:line:col" 2 "bad.json:2:13: not JSON"
printf '{"schema": "something/2"}' >"$T_TMP/bad.json"
run "$R" post --webhook http://127.0.0.1:1/x "$T_TMP/bad.json"
expect_err "RESULT of another schema" 2 "schema: expected \"grperf.compare/1\" or \"grperf.run/1\""
sed 's/"regression"/"regresion"/' "$CMP" >"$T_TMP/bad.json"
run "$R" post --webhook http://127.0.0.1:1/x "$T_TMP/bad.json"
expect_err "RESULT with an unknown verdict" 2 "benchmarks[1].verdict: unknown verdict 'regresion'"
run "$R" post --github --repo o/r --sha "$SHA" "$CMP"
expect_err "--github without GITHUB_TOKEN" 2 "GITHUB_TOKEN"
GITHUB_TOKEN=$TOKEN run "$R" post --github --repo o/r --sha "$SHA" "$RUNF"
expect_err "--github with a run file" 2 "needs a compare result"
GITHUB_TOKEN=$TOKEN run "$R" post --github --repo o/r "$NOCMP"
expect_err "--github without a commit" 2 "needs the commit"
GITHUB_TOKEN=$TOKEN run "$R" post --github --repo 'o/r/x' --sha "$SHA" "$CMP"
expect_err "--github with a bad repository" 2 "bad repository 'o/r/x'"
run "$R" post --webhook http://127.0.0.1:1/x --sha 1234 "$CMP"
expect_err "--sha must be a full sha" 2 "bad value '1234' for --sha"
run "$R" post --influx http://127.0.0.1:1 --influx-org o "$CMP"
expect_err "--influx-org without --influx-bucket" 2 "both --influx-org and --influx-bucket"
run "$R" post --webhook http://127.0.0.1:1/x --cacert "$T_TMP/nope.pem" "$CMP"
expect_err "--cacert must be readable" 2 "--cacert"

# ---- generic webhook ----------------------------------------------------------------

start_server "200"
GRPERF_WEBHOOK_TOKEN=$TOKEN run "$R" post --webhook "$URL/hooks/grperf?sig=abc" --spool "$SP" "$CMP"
expect_ok "webhook: delivered, exit 0"
expect_out_line "^posted webhook to http://127\.0\.0\.1:$PORT/… \(HTTP 200\)$" "webhook: one line, URL redacted"
no_secret "webhook: the token is not printed" "$TOKEN"
check "webhook: one request" test "$(nreq)" -eq 1
check "webhook: POST to the path and query given" \
    grep -qx "POST /hooks/grperf?sig=abc HTTP/1.1" "$LOG/1.head"
check "webhook: JSON content type" test "$(hdr 1 Content-Type)" = "application/json"
check "webhook: Bearer token from GRPERF_WEBHOOK_TOKEN" \
    test "$(hdr 1 Authorization)" = "Bearer $TOKEN"
check "webhook: User-Agent names grregress" grep -q '^User-Agent: grregress/' "$LOG/1.head"
KEY=$(hdr 1 Idempotency-Key)
check "webhook: a 32-hex Idempotency-Key header" \
    sh -c 'printf "%s" "$1" | grep -Eqx "[0-9a-f]{32}"' sh "$KEY"
check "webhook: the body carries the same key" \
    grep -Fq "\"idempotency_key\":\"$KEY\"" "$LOG/1.body"
check "webhook: schema grperf.post/1" grep -Fq '"schema":"grperf.post/1"' "$LOG/1.body"
check "webhook: verdict fail" grep -Fq '"verdict":"fail"' "$LOG/1.body"
check "webhook: summary counts" grep -Fq '"regression":1,' "$LOG/1.body"
check "webhook: per-benchmark rows" \
    grep -Fq '{"name":"algorithms/bfs/native","group":"algorithms","verdict":"regression"' "$LOG/1.body"
check "webhook: machine hash" grep -Fq '"machine":"3f2a9c0d11e4b7a8"' "$LOG/1.body"
check "webhook: nothing spooled" test ! -d "$SP"

# the same result from standard input gives the same request
run sh -c '"$1" post --webhook "$2" -q - <"$3"' sh "$R" "$URL/hooks/grperf?sig=abc" "$CMP"
expect_ok "webhook: RESULT - reads standard input"
check "webhook: --quiet prints nothing" test ! -s "$OUT"
check "webhook: the same payload has the same key" test "$(hdr 2 Idempotency-Key)" = "$KEY"
check "webhook: no Authorization without a token" sh -c '! grep -qi "^Authorization" "$1"' sh "$LOG/2.head"

# a run file: medians per benchmark
run "$R" post --webhook "$URL/run" "$RUNF"
expect_ok "webhook: a run file is accepted"
check "webhook: run payload" grep -Fq '"kind":"run","commit":{"sha":"39c290d1c2000000000000000000000000000000","branch":"main"}' "$LOG/3.body"
check "webhook: run medians" grep -Fq '"median":0.0002003' "$LOG/3.body"

# ---- Slack ---------------------------------------------------------------------------------

run "$R" post --slack "$URL/services/T000/B000/SLACKSECRET" --sha "$SHA" --branch main "$CMP"
expect_ok "slack: delivered"
no_secret "slack: the secret path is not printed" SLACKSECRET
check "slack: request to the secret path" grep -qx "POST /services/T000/B000/SLACKSECRET HTTP/1.1" "$LOG/4.head"
check "slack: {\"text\": ...} with the summary" \
    grep -Fq '{"text":":x: *grperf*: 1 regression, 0 checksum mismatches at `0123456` on `main`' "$LOG/4.body"
check "slack: lists the regression" grep -Fq '`algorithms/bfs/native`: +20.1% [' "$LOG/4.body"

# ---- GitHub ---------------------------------------------------------------------------------

# listings of a PR's comments (oldest first, as GitHub sends them); ours
# are the ones holding the marker
MARK='<!-- grperf/regress -->'
printf '[{"id": 1, "body": "LGTM", "user": {"login": "alice"}}, {"id": 2, "body": "why <!-- not ours"}]\n' \
    >"$T_TMP/c_none.json"
printf '[{"id": 11, "body": "first"}, {"id": 500, "body": "%s\\nan older run"},\n {"id": 555, "body": "%s\\n| Benchmark | old |"}, {"id": 600, "body": "thanks"}]\n' \
    "$MARK" "$MARK" >"$T_TMP/c_ours.json"
{
    printf '['
    i=1
    while [ $i -le 100 ]; do
        [ $i -gt 1 ] && printf ',\n'
        if [ $i -eq 50 ]; then
            printf '{"id": %d, "body": "%s\\nan older run"}' $((1000 + i)) "$MARK"
        else
            printf '{"id": %d, "body": "comment %d"}' $((1000 + i)) $i
        fi
        i=$((i + 1))
    done
    printf ']\n'
} >"$T_TMP/c_page1.json"
printf '[{"id": 9001, "body": "%s\\nthe last run"}, {"id": 9002, "body": "ok"}]\n' "$MARK" \
    >"$T_TMP/c_page2.json"
printf '[{"id": 1, "body": "%s"}, {"id": 2, "bo' "$MARK" >"$T_TMP/c_bad.json"
[ "$(grep -c '"id"' "$T_TMP/c_page1.json")" -eq 100 ] \
    || { echo "Bail out! cannot make the 100-comment page"; exit 99; }

# gh_server SCRIPT: a fresh server with GITHUB_API_URL under it
gh_server() {
    start_server "$1"
    GITHUB_API_URL=$URL/api/v3
    export GITHUB_API_URL
}
LIST42="/api/v3/repos/acme/graphs/issues/42/comments?per_page=100&page"

export GITHUB_TOKEN=$TOKEN GITHUB_REPOSITORY=acme/graphs \
    GITHUB_SHA=$SHA GITHUB_REF=refs/pull/42/merge GITHUB_SERVER_URL=https://github.example \
    GITHUB_RUN_ID=99
gh_server "201,200+body=$T_TMP/c_none.json,201,201,200+body=$T_TMP/c_none.json,201"
run "$R" post --github --spool "$SP" "$NOCMP"
expect_ok "github: delivered"
no_secret "github: the token is not printed" "$TOKEN"
check "github: three requests (status, comment listing, comment)" test "$(nreq)" -eq 3
check "github: status to /repos/OWNER/REPO/statuses/SHA under GITHUB_API_URL" \
    grep -qx "POST /api/v3/repos/acme/graphs/statuses/$SHA HTTP/1.1" "$LOG/1.head"
check "github: Bearer token" test "$(hdr 1 Authorization)" = "Bearer $TOKEN"
check "github: Accept header" test "$(hdr 1 Accept)" = "application/vnd.github+json"
check "github: API version header" test "$(hdr 1 X-GitHub-Api-Version)" = "2022-11-28"
check "github: state failure, context grperf/regress" \
    grep -Fq '{"state":"failure","context":"grperf/regress","description":"1 regression' "$LOG/1.body"
check "github: target_url to the run" \
    grep -Fq '"target_url":"https://github.example/acme/graphs/actions/runs/99"' "$LOG/1.body"
DESC=$(sed -n 's/.*"description":"\([^"]*\)".*/\1/p' "$LOG/1.body")
check "github: description of at most 140 characters" test "${#DESC}" -le 140 -a "${#DESC}" -gt 20
check "github: the PR's comments are listed first (GET, 100 per page, page 1)" \
    grep -qx "GET $LIST42=1 HTTP/1.1" "$LOG/2.head"
check "github listing: Bearer token, Accept and API version headers" \
    test "$(hdr 2 Authorization)" = "Bearer $TOKEN" -a "$(hdr 2 Accept)" = "application/vnd.github+json" \
    -a "$(hdr 2 X-GitHub-Api-Version)" = "2022-11-28"
check "github listing: no body, no Content-Type" \
    test ! -s "$LOG/2.body" -a -z "$(hdr 2 Content-Type)"
check "github: no comment of ours listed, a new PR comment (PR from GITHUB_REF)" \
    grep -qx "POST /api/v3/repos/acme/graphs/issues/42/comments HTTP/1.1" "$LOG/3.head"
check "github: the comment is the Markdown table" \
    grep -Fq '| Benchmark | Baseline | Current | Change |' "$LOG/3.body"
check "github: the comment starts with the marker" grep -Fq "{\"body\":\"$MARK\\n" "$LOG/3.body"
check "github: the regression is bold" grep -Fq '**regression**' "$LOG/3.body"
GH_COMMENT=$LOG/3.body
run "$R" post --github --pr 7 --repo other/repo "$T_TMP/pass.json"
check "github: the result's own commit wins over GITHUB_SHA" \
    grep -qx "POST /api/v3/repos/other/repo/statuses/39c290d1c2000000000000000000000000000000 HTTP/1.1" "$LOG/4.head"
expect_ok "github: passing result delivered"
check "github: --repo and --pr win for the listing" \
    grep -qx "GET /api/v3/repos/other/repo/issues/7/comments?per_page=100&page=1 HTTP/1.1" "$LOG/5.head"
check "github: --repo and --pr win" \
    grep -qx "POST /api/v3/repos/other/repo/issues/7/comments HTTP/1.1" "$LOG/6.head"
check "github: state success" grep -Fq '{"state":"success"' "$LOG/4.body"
unset GITHUB_REF
run "$R" post --github "$T_TMP/pass.json"
check "github: no PR known, no listing, no comment" test "$(nreq)" -eq 7
export GITHUB_REF=refs/pull/42/merge

# --dry-run sends nothing, not even the listing: it shows the GET and the POST
run "$R" post -n --github "$NOCMP"
expect_ok "github --dry-run: exit 0"
check "github --dry-run: nothing sent" test "$(nreq)" -eq 7
check "github --dry-run: the status, the listing's GET, then the comment's POST" \
    sh -c 'grep -E "^(GET|POST|PATCH) " "$1" | sed "s/ (github)\$//" >"$1.req" &&
        printf "%s\n" "POST $2/repos/acme/graphs/statuses/$3" \
            "GET $2/repos/acme/graphs/issues/42/comments?…" \
            "POST $2/repos/acme/graphs/issues/42/comments" | cmp -s - "$1.req"' \
    sh "$OUT" "$GITHUB_API_URL" "$SHA"
expect_out_has "Authorization: Bearer \$GITHUB_TOKEN" "github --dry-run: names the token's variable"

# our comment exists (id 555, after an older one of ours): it is updated
gh_server "201,200+body=$T_TMP/c_ours.json,200"
run "$R" post --github --spool "$SP" "$NOCMP"
expect_ok "sticky comment: delivered"
check "sticky comment: status, listing, update" test "$(nreq)" -eq 3
check "sticky comment: one listing page (fewer than 100 comments)" \
    grep -qx "GET $LIST42=1 HTTP/1.1" "$LOG/2.head"
check "sticky comment: PATCH of the newest comment holding the marker" \
    grep -qx "PATCH /api/v3/repos/acme/graphs/issues/comments/555 HTTP/1.1" "$LOG/3.head"
check "sticky comment: the PATCH carries the Markdown body a POST would" \
    cmp -s "$GH_COMMENT" "$LOG/3.body"
check "sticky comment: JSON, Bearer token, GitHub headers on the PATCH" \
    test "$(hdr 3 Content-Type)" = "application/json" -a "$(hdr 3 Authorization)" = "Bearer $TOKEN" \
    -a "$(hdr 3 Accept)" = "application/vnd.github+json" -a "$(hdr 3 X-GitHub-Api-Version)" = "2022-11-28"
expect_out_line "^updated github at http://127\.0\.0\.1:$PORT/api/v3/repos/acme/graphs/issues/comments/555 \(HTTP 200\)$" \
    "sticky comment: says it updated"
no_secret "sticky comment: the token is not printed" "$TOKEN"

# 100 comments on page 1 (one older of ours), ours on page 2: the newest wins
gh_server "201,200+body=$T_TMP/c_page1.json,200+body=$T_TMP/c_page2.json,200"
run "$R" post --github --spool "$SP" "$NOCMP"
expect_ok "two pages: delivered"
check "two pages: status, two listing pages, update" test "$(nreq)" -eq 4
check "two pages: page 1 then page 2" \
    sh -c 'grep -qx "GET $1=1 HTTP/1.1" "$2/2.head" && grep -qx "GET $1=2 HTTP/1.1" "$2/3.head"' \
    sh "$LIST42" "$LOG"
check "two pages: the PATCH goes to the comment of page 2" \
    grep -qx "PATCH /api/v3/repos/acme/graphs/issues/comments/9001 HTTP/1.1" "$LOG/4.head"

# ours on page 1, then page 2 fails: the comment found is updated, not doubled
gh_server "201,200+body=$T_TMP/c_page1.json,500,200"
run "$R" post --github --retries 0 --spool "$SP" "$NOCMP"
expect_rc 0 "page 2 fails: exit 0"
check "page 2 fails: status, two listing pages, update" test "$(nreq)" -eq 4
check "page 2 fails: the PATCH goes to the comment of page 1" \
    grep -qx "PATCH /api/v3/repos/acme/graphs/issues/comments/1050 HTTP/1.1" "$LOG/4.head"
check "page 2 fails: the warning says the one found is updated" \
    grep -Fq "(HTTP 500); updating the one found on earlier pages" "$ERR"

# the listing fails (HTTP 500 after a retry): a warning, and a new comment
gh_server "201,500,500,201"
run "$R" post --github --retries 1 --retry-delay 0 --spool "$SP" "$NOCMP"
expect_rc 0 "listing HTTP 500: exit 0"
check "listing HTTP 500: the listing is retried, then a new comment is posted" \
    sh -c 'test "$(ls "$1" | grep -c "\.head$")" -eq 4 && grep -qx "GET $2=1 HTTP/1.1" "$1/3.head" &&
        grep -qx "POST /api/v3/repos/acme/graphs/issues/42/comments HTTP/1.1" "$1/4.head"' \
    sh "$LOG" "$LIST42"
check "listing HTTP 500: one warning line" test "$(wc -l <"$ERR")" -eq 1
check "listing HTTP 500: the warning says why and what instead (URL redacted)" \
    grep -Fqx "grregress post: warning: cannot list the PR's comments at $URL/api/v3/repos/acme/graphs/issues/42/comments?… (HTTP 500 after 2 attempts); posting a new comment" "$ERR"
check "listing HTTP 500: the comment is posted" \
    grep -Eq "^posted github to $URL/api/v3/repos/acme/graphs/issues/42/comments \(HTTP 201\)$" "$OUT"
check "listing HTTP 500: the listing is not spooled" test ! -e "$SP"
no_secret "listing HTTP 500: the token is not printed" "$TOKEN"

# a listing that is not JSON, or not a list: a warning, and a new comment
gh_server "201,200+body=$T_TMP/c_bad.json,201,201,200,201"
run "$R" post --github --spool "$SP" "$NOCMP"
expect_rc 0 "listing not JSON: exit 0"
check "listing not JSON: a new comment" \
    grep -qx "POST /api/v3/repos/acme/graphs/issues/42/comments HTTP/1.1" "$LOG/3.head"
check "listing not JSON: one warning line, with the parser's reason" \
    sh -c 'test "$(wc -l <"$1")" -eq 1 && grep -Eqx "grregress post: warning: the PR.s comments at .* are not a JSON list \(comments page 1:1:[0-9]+: .*truncated.*\); posting a new comment" "$1"' \
    sh "$ERR"
run "$R" post --github --spool "$SP" "$NOCMP"
expect_rc 0 "listing not a list: exit 0"
check "listing not a list ({}): a warning, and a new comment" \
    sh -c 'grep -Fq "are not a JSON list (comments page 1: expected an array of comments); posting a new comment" "$1" &&
        grep -qx "POST /api/v3/repos/acme/graphs/issues/42/comments HTTP/1.1" "$2/6.head"' \
    sh "$ERR" "$LOG"
check "listing not JSON: nothing spooled" test ! -e "$SP"

# a listing larger than 16 MiB is not read to the end: a warning, a new comment
head -c 17000000 /dev/zero | tr '\0' ' ' >"$T_TMP/c_huge.json"
gh_server "201,200+body=$T_TMP/c_huge.json,201"
run "$R" post --github --spool "$SP" "$NOCMP"
expect_rc 0 "listing over 16 MiB: exit 0"
check "listing over 16 MiB: not retried, a new comment" \
    sh -c 'test "$(ls "$1" | grep -c "\.head$")" -eq 3 &&
        grep -qx "POST /api/v3/repos/acme/graphs/issues/42/comments HTTP/1.1" "$1/3.head"' sh "$LOG"
check "listing over 16 MiB: one warning line naming the limit" \
    sh -c 'test "$(wc -l <"$1")" -eq 1 && grep -Fq "(response larger than 16777216 bytes); posting a new comment" "$1"' sh "$ERR"
rm -f "$T_TMP/c_huge.json"

# our comment was deleted meanwhile (the PATCH gets 404): a new comment
gh_server "201,200+body=$T_TMP/c_ours.json,404,201"
run "$R" post --github --spool "$SP" "$NOCMP"
expect_rc 0 "PATCH 404: exit 0"
check "PATCH 404: not retried, a new comment posted" \
    sh -c 'test "$(ls "$1" | grep -c "\.head$")" -eq 4 &&
        grep -qx "PATCH /api/v3/repos/acme/graphs/issues/comments/555 HTTP/1.1" "$1/3.head" &&
        grep -qx "POST /api/v3/repos/acme/graphs/issues/42/comments HTTP/1.1" "$1/4.head"' sh "$LOG"
check "PATCH 404: one warning line" \
    sh -c 'test "$(wc -l <"$1")" -eq 1 && grep -Fqx "grregress post: warning: comment 555 of acme/graphs#42 is gone (HTTP 404); posting a new comment" "$1"' sh "$ERR"
check "PATCH 404: nothing spooled" test ! -e "$SP"

# an update that cannot be delivered is spooled as a PATCH, flushed as one
gh_server "201,200+body=$T_TMP/c_ours.json,503,200"
run "$R" post --github --retries 0 --spool "$SP" "$NOCMP"
expect_rc 0 "PATCH 503: exit 0"
check "PATCH 503: warning names the comment and the spool file" \
    grep -Eqx "grregress post: warning: github to $URL/api/v3/repos/acme/graphs/issues/comments/555 not delivered \(HTTP 503\); spooled to $SP/[0-9a-f]{32}\.json" "$ERR"
SPOOLED=$SP/$(ls "$SP")
check "PATCH 503: one spool file, named by the PATCH's key" \
    test "$SPOOLED" = "$SP/$(hdr 3 Idempotency-Key).json"
check "PATCH 503: spooled with \"method\": \"PATCH\" and the comment's URL" \
    sh -c 'grep -Fqx "	\"method\":	\"PATCH\"," "$1" &&
        grep -Fq "/api/v3/repos/acme/graphs/issues/comments/555\"," "$1"' sh "$SPOOLED"
check "PATCH 503: the token is not in the spool" sh -c '! grep -Fq "$1" "$2"' sh "$TOKEN" "$SPOOLED"
run "$R" post --flush -n --spool "$SP"
expect_out_has "PATCH $URL/api/v3/repos/acme/graphs/issues/comments/555 (github)" \
    "flush --dry-run: shows the spooled PATCH"
check "flush --dry-run: nothing sent" test "$(nreq)" -eq 3
run "$R" post --flush --spool "$SP"
expect_ok "flush of a PATCH: delivered"
check "flush of a PATCH: sent as a PATCH to the comment" \
    grep -qx "PATCH /api/v3/repos/acme/graphs/issues/comments/555 HTTP/1.1" "$LOG/4.head"
check "flush of a PATCH: the same body" \
    sh -c 'cmp -s "$1/3.body" "$1/4.body" && cmp -s "$1/3.body" "$2"' sh "$LOG" "$GH_COMMENT"
check "flush of a PATCH: the same Idempotency-Key, the token re-read" \
    test "$(hdr 4 Idempotency-Key)" = "$(hdr 3 Idempotency-Key)" \
    -a "$(hdr 4 Authorization)" = "Bearer $TOKEN"
check "flush of a PATCH: the spool is empty" test -z "$(ls "$SP")"
rm -rf "$SP"

# a spooled PATCH whose comment is deleted before the flush: the flush
# POSTs a new comment, as a live post does, and nothing stays spooled
gh_server "201,200+body=$T_TMP/c_ours.json,503,404,201"
run "$R" post --github --retries 0 --spool "$SP" "$NOCMP"
expect_rc 0 "PATCH 503 again: exit 0"
SPOOLED=$SP/$(ls "$SP")
check "PATCH 503: the spool file keeps the comment POST for a 404" \
    grep -Fq "\"gone_url\":	\"$URL/api/v3/repos/acme/graphs/issues/42/comments\"" "$SPOOLED"
run "$R" post --flush --spool "$SP"
expect_rc 0 "flush of a gone PATCH: exit 0"
check "flush of a gone PATCH: the PATCH, then a POST of the same body to the PR" \
    sh -c 'grep -qx "PATCH /api/v3/repos/acme/graphs/issues/comments/555 HTTP/1.1" "$1/4.head" &&
        grep -qx "POST /api/v3/repos/acme/graphs/issues/42/comments HTTP/1.1" "$1/5.head" &&
        cmp -s "$1/4.body" "$1/5.body" && test "$(ls "$1" | grep -c "\.head$")" -eq 5' sh "$LOG"
check "flush of a gone PATCH: one warning line" \
    sh -c 'test "$(wc -l <"$1")" -eq 1 && grep -Fqx "grregress post: warning: the comment at $2/api/v3/repos/acme/graphs/issues/comments/555 is gone (HTTP 404); posting a new comment" "$1"' sh "$ERR" "$URL"
check "flush of a gone PATCH: the spool is empty" test -z "$(ls "$SP")"
rm -rf "$SP"

# ... and when that POST fails too, it is spooled in the PATCH's place
gh_server "201,200+body=$T_TMP/c_ours.json,503,404,503"
run "$R" post --github --retries 0 --spool "$SP" "$NOCMP"
run "$R" post --flush --retries 0 --spool "$SP"
expect_rc 0 "flush of a gone PATCH, POST 503: exit 0"
SPOOLED=$SP/$(ls "$SP")
check "flush of a gone PATCH, POST 503: one spool file, the POST's" \
    sh -c 'test "$(ls "$1" | wc -l)" -eq 1 && test "$2" = "$1/$3.json" &&
        grep -Fqx "	\"method\":	\"POST\"," "$2" && ! grep -Fq gone_url "$2"' \
    sh "$SP" "$SPOOLED" "$(hdr 5 Idempotency-Key)"
rm -rf "$SP"
unset GITHUB_API_URL GITHUB_TOKEN GITHUB_REPOSITORY GITHUB_SHA GITHUB_REF GITHUB_SERVER_URL \
    GITHUB_RUN_ID

# ---- InfluxDB line protocol (to the test server) -------------------------------------------------

start_server "200"
run "$R" post --influx "$URL" --branch main "$RUNF"
expect_ok "influx v1: delivered"
check "influx v1: /write?db=grperf&precision=ns" \
    grep -qx "POST /write?db=grperf&precision=ns HTTP/1.1" "$LOG/1.head"
check "influx v1: three lines" test "$(wc -l <"$LOG/1.body")" -eq 3
check "influx v1: measurement, sorted tags, fields, timestamp" \
    grep -Eq '^grperf,benchmark=algorithms/bfs/native,branch=main,group=algorithms,machine=3f2a9c0d11e4b7a8 median=5\.0075e-05,ci_lo=[^ ]*,samples=10i,version=1i,commit="39c290d1c2000000000000000000000000000000" 1795662641000000000$' "$LOG/1.body"
INFLUX_TOKEN=$TOKEN run "$R" post --influx "$URL/prefix/" --influx-org "my org" --influx-bucket perf "$CMP"
expect_ok "influx v2: delivered"
no_secret "influx v2: the token is not printed" "$TOKEN"
check "influx v2: /api/v2/write with org, bucket, precision (URL-encoded)" \
    grep -Eqx "POST /prefix/api/v2/write\?org=my(\+|%20)org&bucket=perf&precision=ns HTTP/1\.1" "$LOG/2.head"
check "influx v2: Token authorization" test "$(hdr 2 Authorization)" = "Token $TOKEN"
check "influx v2: compare rows carry verdicts, the branch of the result's commit" \
    grep -Eq '^grperf,benchmark=algorithms/bfs/native,branch=main,group=algorithms,machine=3f2a9c0d11e4b7a8 verdict="regression",median=6\.009e-05,baseline=5\.0075e-05,change=0\.2012' "$LOG/2.body"
check "influx v2: compare rows at the time the current run ended" \
    grep -Eq '^grperf,benchmark=algorithms/bfs/native,.* 1795662641000000000$' "$LOG/2.body"
run "$R" post --influx "$URL/?u=grperf&p=PWSECRET" --influx-db 'my db' "$RUNF"
expect_ok "influx v1 with credentials in the query: delivered"
no_secret "influx v1: the password in the query is not printed" PWSECRET
check "influx v1: the base's query is kept, --influx-db encoded" \
    grep -Eqx "POST /write\?u=grperf&p=PWSECRET&db=my(\+|%20)db&precision=ns HTTP/1\.1" "$LOG/3.head"

# ---- retries ------------------------------------------------------------------------------------

start_server "503,502,200"
run "$R" post --webhook "$URL/r" --retry-delay 0.01 --spool "$SP" "$CMP"
expect_ok "5xx, 5xx, 200: delivered after retries"
check "5xx: three attempts" test "$(nreq)" -eq 3
check "5xx: the same Idempotency-Key on every attempt" \
    test "$(cat "$LOG"/*.head | sed -n 's/^Idempotency-Key: //p' | sort -u | wc -l)" -eq 1
check "5xx: the same body on every attempt" sh -c 'cmp -s "$1/1.body" "$1/3.body"' sh "$LOG"

# 429 with Retry-After: 0 is retried at once, whatever the backoff says
# (without honouring it, --retry-delay 60 would wait 30 s and timeout(1) stop it)
start_server "429+ra=0,429+ra=0,201"
run timeout 20 "$R" post --webhook "$URL/r" --retry-delay 60 --spool "$SP" "$CMP"
expect_ok "429 with Retry-After: 0: retried without the backoff delay"
check "429: three attempts" test "$(nreq)" -eq 3

# a timeout is retried; the server answers the second attempt
start_server "200+delay=5000,200"
run "$R" post --webhook "$URL/t" --timeout 1 --retry-delay 0 --spool "$SP" "$CMP"
expect_ok "timeout, then 200: delivered"
check "timeout: two attempts, same key" \
    test "$(nreq)" -eq 2 -a "$(hdr 1 Idempotency-Key)" = "$(hdr 2 Idempotency-Key)"

# other 4xx are not retried, and are spooled
start_server "422,200"
run "$R" post --webhook "$URL/v" --spool "$SP" "$CMP"
expect_rc 0 "422: exit 0 (posting does not change the verdict)"
check "422: not retried" test "$(nreq)" -eq 1
check "422: one warning naming the status and the spool file" \
    grep -Eqx "grregress post: warning: webhook to $URL/… not delivered \(HTTP 422\); spooled to $SP/[0-9a-f]{32}\.json" "$ERR"
check "422: spooled" test "$(ls "$SP" | wc -l)" -eq 1
rm -rf "$SP"

# ---- spool and --flush ------------------------------------------------------------------------------

# the same server throughout: the spooled URL names its port
start_server "503,503,503,200"
GRPERF_WEBHOOK_TOKEN=$TOKEN run "$R" post --webhook "$URL/s" --retries 1 --retry-delay 0 --spool "$SP" "$CMP"
expect_rc 0 "503 after retries: exit 0"
check "503: one retry" test "$(nreq)" -eq 2
check "503: warning says why and where" grep -Fq "not delivered (HTTP 503 after 2 attempts); spooled to $SP/" "$ERR"
no_secret "503: the token is not printed" "$TOKEN"
SPOOLED=$(ls "$SP")
check "spool: one file named by the key" test "$SPOOLED" = "$(hdr 1 Idempotency-Key).json"
check "spool: mode 0600" sh -c 'ls -l "$1" | grep -q "^-rw-------"' sh "$SP/$SPOOLED"
check "spool: the token is not in the file" sh -c '! grep -Fq "$1" "$2"' sh "$TOKEN" "$SP/$SPOOLED"
GRPERF_WEBHOOK_TOKEN=$TOKEN run "$R" post --webhook "$URL/s" --retries 0 --post-required --spool "$SP" "$CMP"
expect_rc 1 "--post-required: exit 1 when not delivered"
check "--post-required: the message is an error" grep -q "^grregress post: error: webhook to" "$ERR"
check "spool: the same payload is spooled once" test "$(ls "$SP" | wc -l)" -eq 1

KEY=$(hdr 1 Idempotency-Key)
GRPERF_WEBHOOK_TOKEN=$TOKEN run "$R" post --flush --spool "$SP"
expect_ok "flush: delivered"
expect_out_line "^flushed webhook to $URL/… \(HTTP 200\)$" "flush: says what was sent"
check "flush: the spool is empty" test -z "$(ls "$SP")"
check "flush: the same Idempotency-Key" test "$(hdr 4 Idempotency-Key)" = "$KEY"
check "flush: the token is re-read from the environment" test "$(hdr 4 Authorization)" = "Bearer $TOKEN"
check "flush: the stored body" cmp -s "$LOG/1.body" "$LOG/4.body"
run "$R" post --flush --spool "$SP"
expect_ok "flush: an empty spool is fine"

# a flush that fails keeps the payload; a corrupt file is reported and kept
start_server "503"
run "$R" post --slack "$URL/services/A/B/C" --retries 0 --spool "$SP" "$CMP"
expect_rc 0 "slack 503: spooled"
stop_server
printf 'not json' >"$SP/broken.json"
run "$R" post --flush --retries 0 --spool "$SP"
expect_rc 0 "flush to a dead server: exit 0"
check "flush: the corrupt file is named" grep -Fq "warning: $SP/broken.json: corrupt spool file: not a JSON object (kept)" "$ERR"
check "flush: the undelivered payload is kept" grep -Fq "still not delivered" "$ERR"
check "flush: both files kept" test "$(ls "$SP" | wc -l)" -eq 2
run "$R" post --flush --retries 0 --post-required --spool "$SP"
expect_rc 1 "flush --post-required: exit 1 when something stays"
rm -rf "$SP"

# ---- unreachable server, TLS -----------------------------------------------------------------------

# the server is stopped: its port refuses connections
run "$R" post --webhook "$URL/gone" --retries 1 --retry-delay 0 --spool "$SP" "$CMP"
expect_rc 0 "connection refused: exit 0"
check "connection refused: spooled with a warning" grep -Eq "not delivered \(.*after 2 attempts\); spooled to" "$ERR"
run "$R" post --webhook "$URL/gone" --retries 0 --post-required --spool "$SP" "$CMP"
expect_rc 1 "connection refused, --post-required: exit 1"
rm -rf "$SP"
run "$R" post --webhook "$URL/gone" --retries 0 --spool /dev/null/spool "$CMP"
expect_err "neither delivered nor spooled: exit 1, one line" 1 "and not spooled: /dev/null"

start_server "200"
run "$R" post --webhook "https://127.0.0.1:$PORT/tls" --retries 0 --spool "$SP" "$CMP"
expect_rc 0 "https to a plain server: exit 0"
check "https to a plain server: TLS fails, nothing posted" test "$(nreq)" -eq 0
check "https to a plain server: spooled" test "$(ls "$SP" | wc -l)" -eq 1
rm -rf "$SP"

if command -v openssl >/dev/null 2>&1; then
    # a TLS server with a self-signed certificate: refused unless --cacert trusts it
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 -keyout "$T_TMP/key.pem" \
        -out "$T_TMP/cert.pem" >/dev/null 2>&1
    SSLPORT=$PORT
    stop_server  # its port is free again for openssl
    # (s_server -www answers GET only, and exits after a POST: the trusted
    # attempt comes last and is judged by its error, which is past TLS)
    openssl s_server -quiet -accept "127.0.0.1:$SSLPORT" -cert "$T_TMP/cert.pem" \
        -key "$T_TMP/key.pem" -www >/dev/null 2>&1 &
    SSL_PID=$!
    i=0
    while run "$R" post --webhook "https://127.0.0.1:$SSLPORT/" --retries 0 --spool "$SP" "$CMP" \
          && grep -q "Couldn't connect" "$ERR" && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    expect_rc 0 "self-signed TLS server: exit 0"
    check "self-signed TLS server: refused (verification is on)" \
        grep -Fq "not delivered (SSL certificate problem: self-signed certificate)" "$ERR"
    check "self-signed TLS server: spooled" test "$(ls "$SP" | wc -l)" -eq 1
    run "$R" post --webhook "https://127.0.0.1:$SSLPORT/" --retries 0 --spool "$SP" \
        --timeout 1.5 --cacert "$T_TMP/cert.pem" "$CMP"
    check "--cacert: the private CA is trusted (the failure is past TLS)" \
        sh -c 'grep -q "not delivered" "$1" && ! grep -qi "certificate\|SSL" "$1"' sh "$ERR"
    kill "$SSL_PID" 2>/dev/null
    wait "$SSL_PID" 2>/dev/null
    SSL_PID=
    rm -rf "$SP"
else
    echo "# openssl not installed: TLS verification against a self-signed server skipped"
fi

# ---- dry run -----------------------------------------------------------------------------------------

GITHUB_TOKEN=$TOKEN run "$R" post -n --github --repo o/r --sha "$SHA" --pr 3 \
    --slack "https://hooks.example/services/T/B/DRYSECRET" "$CMP"
expect_ok "--dry-run: exit 0"
expect_out_has "POST https://api.github.com/repos/o/r/statuses/$SHA (github)" "--dry-run: the status request"
expect_out_has "Authorization: Bearer \$GITHUB_TOKEN" "--dry-run: names the token's variable"
expect_out_has "GET https://api.github.com/repos/o/r/issues/3/comments?… (github)" \
    "--dry-run: the listing of the PR's comments (query redacted)"
expect_out_has "POST https://api.github.com/repos/o/r/issues/3/comments (github)" \
    "--dry-run: a new comment (the id of an earlier one is unknown without the GET)"
no_secret "--dry-run: no token" "$TOKEN"
no_secret "--dry-run: no secret path" DRYSECRET

# ---- a real InfluxDB, when installed ----------------------------------------------------------------

if command -v influxd >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
    # two free ports: ask the test server for them
    start_server "200"
    IPORT=$PORT
    start_server "200"
    RPORT=$PORT
    stop_server
    ID=$T_TMP/influx
    mkdir -p "$ID"
    cat >"$ID/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$RPORT"
[meta]
  dir = "$ID/meta"
[data]
  dir = "$ID/data"
  wal-dir = "$ID/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$IPORT"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
EOF
    influxd run -config "$ID/influxdb.conf" >"$ID/log" 2>&1 &
    INF_PID=$!
    i=0
    while ! curl -sf "http://127.0.0.1:$IPORT/ping" >/dev/null 2>&1 && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    curl -sf -XPOST "http://127.0.0.1:$IPORT/query" --data-urlencode "q=CREATE DATABASE grperf" >/dev/null
    run "$R" post --influx "http://127.0.0.1:$IPORT" --branch 'feature x,y' "$RUNF"
    expect_ok "influxdb: a run file is written"
    # (without its time: the fixtures' runs all ended at the same second)
    run "$R" post --influx "http://127.0.0.1:$IPORT" --branch 'feature x,y' "$NOCMP"
    expect_ok "influxdb: a compare result is written"
    run curl -sf -G "http://127.0.0.1:$IPORT/query" --data-urlencode "db=grperf" \
        --data-urlencode "q=SELECT median, samples FROM grperf WHERE benchmark = 'algorithms/bfs/native' AND samples > 0"
    expect_out_has '"columns":["time","median","samples"],"values":[["2026-11-26T03:10:41Z",0.000050075,10]]' \
        "influxdb: the run's median reads back with its timestamp"
    run curl -sf -G "http://127.0.0.1:$IPORT/query" --data-urlencode "db=grperf" \
        --data-urlencode "q=SELECT benchmark, verdict, change FROM grperf WHERE branch = 'feature x,y' AND verdict = 'regression'"
    expect_out_has '"algorithms/bfs/native"' "influxdb: escaped tags read back"
    expect_out_has '"regression",0.20120484112787243' "influxdb: the regression reads back"
    run curl -sf -G "http://127.0.0.1:$IPORT/query" --data-urlencode "db=grperf" \
        --data-urlencode "q=SHOW TAG VALUES WITH KEY = branch"
    expect_out_has '["branch","feature x,y"]' "influxdb: a tag with a space and a comma"
    kill "$INF_PID" 2>/dev/null
    wait "$INF_PID" 2>/dev/null
    INF_PID=
else
    echo "# influxd (or curl) not on PATH: the real-InfluxDB part is skipped"
fi

stop_server
done_testing
