#!/bin/sh
# regress.sh - CLI tests of `grregress compare`: the real binary on the
# hand-made run files tests/data/regress_*.json (3 benchmarks, 5 rounds of
# 2 samples; regress_slow.json makes algorithms/bfs/native 20% slower and
# adds 10% to its instruction count), every exit code, every bad-input
# message, every output format.
#
# Usage: GRREGRESS=build/grregress GRPROF=build/grprof GR_SRCDIR=. sh tests/cli/regress.sh
. "${GR_SRCDIR:-.}/tests/cli/lib.sh"
need_grregress
R=$GRREGRESS
B=$DATA/regress_base.json

# ---- the program ------------------------------------------------------------

run "$R" --version
expect_ok "--version exits 0"
expect_out_line '^grregress \(grperf\) [0-9]+\.[0-9]+' "--version prints the version"
run "$R" --help
expect_ok "--help exits 0"
expect_out_line '^  compare +Compare a run' "--help lists compare"
ERR_PREFIX="grregress: "
run "$R"
expect_err "no command is a usage error" 2 "missing command"
run "$R" comapre
expect_err "unknown command suggests compare" 2 "did you mean 'compare'?"
ERR_PREFIX="grregress compare: "

run "$R" compare --help
expect_ok "compare --help exits 0"
expect_out_line '^usage: grregress compare BASELINE \[CURRENT\]' "compare --help prints the usage"
sed -n '/^Options:/,/^  -h, --help/p' "$OUT" \
    | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z][a-z-]*\).*/\2/p' \
    | grep -v '^help$' >"$T_TMP/optnames"
check "compare's options are sorted by long name" sort -c "$T_TMP/optnames"
check "compare --help lists 15 options" test "$(wc -l <"$T_TMP/optnames")" -eq 15

# ---- exit code 0 ----------------------------------------------------------------

run "$R" compare "$B" "$DATA/regress_same.json"
expect_ok "same code: exit 0"
expect_out_line '^algorithms/bfs/native .* unchanged$' "same code: unchanged"
expect_out_has "3 compared: 0 regressions" "same code: summary"
run "$R" compare "$B" "$B"
expect_ok "a run against itself: exit 0"

# ---- exit code 1 ----------------------------------------------------------------

run "$R" compare "$B" "$DATA/regress_slow.json"
expect_rc 1 "20% slower: exit 1"
expect_out_line '^algorithms/bfs/native .* \+20\.1% .* regression$' "20% slower: regression row"
expect_out_has "geometric mean change +6.4%" "geometric mean of the changes"
run "$R" compare "$B" "$DATA/regress_slow.json" --threshold 25%
expect_rc 0 "20% under a 25% threshold: exit 0"
run "$R" compare "$B" "$DATA/regress_slow.json" --config "$DATA/regress_thresholds.json"
expect_rc 0 "per-benchmark threshold from --config: exit 0"
run "$R" compare "$B" "$DATA/regress_slow.json" --filter pagerank
expect_rc 0 "--filter leaves the slow benchmark out"
run "$R" compare "$B" "$DATA/regress_checksum.json"
expect_rc 1 "checksum mismatch: exit 1"
expect_out_line '^algorithms/bfs/native .* checksum-mismatch' "checksum mismatch is reported"
run "$R" compare "$B" "$DATA/regress_slow.json" --metric instructions
expect_rc 1 "instructions +10%: exit 1"
expect_out_line '^algorithms/bfs/native .* \+10\.0% .* regression$' "instructions: threshold alone"
expect_out_line '^algorithms/pagerank/native +1000000 +1000000 ' "instructions: counts print whole, not 1e+06"
run "$R" compare "$B" "$DATA/regress_slow.json" --metric instructions --threshold 15
expect_rc 0 "instructions +10% under 15%: exit 0"

# ---- not compared ------------------------------------------------------------------

run "$R" compare "$B" "$DATA/regress_changed.json"
expect_ok "added / removed / version changed: exit 0"
expect_out_line '^algorithms/bfs/native .* version-changed' "version change listed"
expect_out_line '^algorithms/lpa/native .* added$' "added benchmark listed"
expect_out_line '^algorithms/wcc/native .* removed$' "removed benchmark listed"

# ---- exit code 3 -------------------------------------------------------------------

run "$R" compare "$T_TMP/no-such-baseline.json" "$B"
expect_err "missing baseline: exit 3" 3 "no-such-baseline.json: baseline missing"
run "$R" compare "$B" "$DATA/regress_disjoint.json"
expect_err "nothing in common: exit 3" 3 "not comparable"
run "$R" compare "$B" "$DATA/regress_machine.json" --strict
expect_err "--strict and another machine: exit 3" 3 "machine fingerprints differ"
run "$R" compare "$B" "$DATA/regress_machine.json"
expect_rc 0 "another machine without --strict: exit 0"
expect_out_has "*** WARNING: machine fingerprints differ" "fingerprint mismatch shown prominently"
check "fingerprint mismatch also on stderr" grep -q "warning: machine fingerprints differ" "$ERR"

# ---- exit code 2: usage -----------------------------------------------------------------

run "$R" compare
expect_err "no baseline" 2 "missing BASELINE"
run env GRPROF="$T_TMP/no-grprof" "$R" compare "$B"
expect_err "no current run and no grprof: exit 2" 2 "running the baseline's suite is not available"
run "$R" compare "$B" "$B" --threshold=-3
expect_err "bad threshold" 2 "bad value '-3' for --threshold"
run "$R" compare "$B" "$B" --alpha 2
expect_err "bad alpha" 2 "bad value '2' for --alpha"
run "$R" compare "$B" "$B" --metric cycles
expect_err "bad metric" 2 "bad value 'cycles' for --metric"
run "$R" compare "$B" "$B" --format jsno
expect_err "bad format suggests json" 2 "did you mean 'json'?"
run "$R" compare "$B" "$B" --filter '('
expect_err "bad filter regex" 2 "bad value '(' for --filter"
run "$R" compare "$B" "$B" --treshold 5
expect_err "misspelt option suggests --threshold" 2 "did you mean '--threshold'?"
run "$R" compare "$B" "$B" --filter nomatch
expect_err "filter matching nothing" 2 "matches no benchmark"
run "$R" compare "$B" "$B" --config "$DATA/regress_bad_notjson.json"
expect_err "bad config" 2 "regress_bad_notjson.json:1:1: not JSON"

# ---- exit code 2: bad input ----------------------------------------------------------------

bad() { # bad NAME FRAGMENT
    run "$R" compare "$B" "$DATA/regress_bad_$1.json"
    expect_err "bad current file ($1)" 2 "regress_bad_$1.json$2"
}
bad truncated ":123:5: not JSON (truncated: the text ends too early)"
bad notjson ":1:1: not JSON"
bad schema ": schema: unsupported schema \"grperf.run/2\""
bad missing ": benchmarks[1].stats.median: missing"
bad negative ": benchmarks[2].samples[7]: negative sample -1.5"
bad nan ":80:5: not JSON (NaN and Infinity are not JSON numbers)"
bad empty_samples ": benchmarks[0].samples: empty"
bad nobench ": benchmarks: empty"
bad hash ": machine.hash: expected 16 lowercase hex digits"
bad stats ": benchmarks[1].stats.median: is 1 but the samples give"
run "$R" compare "$DATA/regress_bad_negative.json" "$B"
expect_err "bad baseline file: exit 2" 2 "negative sample -1.5"
if truncate -s 300M "$T_TMP/huge.json" 2>/dev/null; then
    run "$R" compare "$B" "$T_TMP/huge.json"
    expect_err "enormous file refused" 2 "file too large"
fi
printf '' >"$T_TMP/empty.json"
run "$R" compare "$B" "$T_TMP/empty.json"
expect_err "empty file" 2 "not JSON (empty file)"

# ---- formats -------------------------------------------------------------------------------

S=$DATA/regress_slow.json
run "$R" compare "$B" "$S" --format markdown
expect_rc 1 "markdown: exit 1"
expect_out_has "| Benchmark | Baseline | Current | Change | 95% CI | p | q | Verdict |" \
    "markdown table header"
expect_out_line '^\| `algorithms/bfs/native` \| .* \| \*\*regression\*\* \|$' "markdown row"
run "$R" compare "$B" "$S" --format json
expect_rc 1 "json: exit 1"
expect_out_has '"schema":	"grperf.compare/1"' "json schema"
expect_out_has '"verdict":	"regression"' "json verdict"
expect_out_has '"regression":	1' "json summary count"
expect_out_has '"baseline_commit":	{' "json: the baseline's commit"
expect_out_has '"sha":	"39c290d1c2000000000000000000000000000000"' "json: commit sha"
expect_out_has '"baseline_finished":	"2026-11-26T03:10:41Z"' "json: when the baseline ended"
expect_out_line '^	"finished":	"20[0-9-]*T[0-9:]*Z",$' "json: when the current run ended"
run "$R" compare "$B" "$S" --format junit
expect_rc 1 "junit: exit 1"
expect_out_line '^<testsuites name="grregress">$' "junit root"
expect_out_has '<testsuite name="grregress compare" tests="3" failures="1"' "junit counts"
expect_out_has '<failure type="regression"' "junit failure"
run "$R" compare "$B" "$S" --format github
expect_rc 1 "github: exit 1"
expect_out_line '^::error title=Performance regression%3A algorithms/bfs/native::' \
    "github error annotation"
expect_out_line '^::error title=grregress summary::' "github summary"
run "$R" compare "$B" "$DATA/regress_machine.json" --format github
expect_out_line '^::warning title=Machine fingerprint mismatch::' "github machine warning"
run "$R" compare "$B" "$S" --format table --format json="$T_TMP/r.json" \
    --format junit="$T_TMP/r.xml" -o "$T_TMP/r.txt"
expect_rc 1 "several formats at once: exit 1"
check "-o got the table" grep -q '^summary: 3 compared' "$T_TMP/r.txt"
check "json went to its file" grep -q '"grperf.compare/1"' "$T_TMP/r.json"
check "junit went to its file" grep -q '<testsuites' "$T_TMP/r.xml"
check "nothing on stdout with -o" test ! -s "$OUT"

done_testing
