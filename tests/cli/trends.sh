#!/bin/sh
# trends.sh - CLI tests of `grregress detect` and `grregress plot` on
# histories made from the fixture run tests/data/regress_base.json by
# tests/data/trends_mkrun.awk (every sample of a benchmark scaled by a
# level and a seeded run-to-run noise; commits and dates per run):
#   step/   24 runs, algorithms/bfs/native +12% from run 13 on
#   creep/  40 runs, algorithms/wcc/native +2.5% at runs 9, 17, 25 and 33
# and on the compare result tests/data/trends_compare.json.
#
# Usage: GRREGRESS=build/grregress GRPROF=build/grprof GR_SRCDIR=. sh tests/cli/trends.sh
. "${GR_SRCDIR:-.}/tests/cli/lib.sh"
need_grregress
R=$GRREGRESS

# mkhist DIR RUNS WHICH STEP SIZE NSTEPS EVERY NOISE SEED
mkhist() {
    mkdir -p "$1" || exit 99
    k=0
    while [ "$k" -lt "$2" ]; do
        awk -v k="$k" -v which="$3" -v step="$4" -v size="$5" -v nsteps="$6" \
            -v every="$7" -v noise="$8" -v seed="$9" -f "$DATA/trends_mkrun.awk" \
            "$DATA/regress_base.json" >"$1/run-$(printf %03d "$k").json" || exit 99
        k=$((k + 1))
    done
}
STEP=$T_TMP/step
CREEP=$T_TMP/creep
mkhist "$STEP" 24 1 12 1.12 1 1 0.015 1
mkhist "$CREEP" 40 2 8 1.025 4 8 0.01 2

# ---- detect ---------------------------------------------------------------------
ERR_PREFIX="grregress detect: "

run "$R" detect --help
expect_ok "detect --help exits 0"
sed -n '/^Options:/,/^  -h, --help/p' "$OUT" \
    | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z][a-z-]*\).*/\2/p' \
    | grep -v '^help$' >"$T_TMP/optnames"
check "detect's options are sorted by long name" sort -c "$T_TMP/optnames"

run "$R" detect --history "$STEP"
expect_ok "step: exit 0"
expect_out_line '^algorithms/bfs/native +13 +[0-9a-f]{7} +2026-10-01 +[0-9.]+ µs +[0-9.]+ µs +\+1[0-4]\.[0-9]% +0\.0' \
    "step: found at run 13 with its size and p-value"
expect_out_line '^algorithms/pagerank/native .*no change point \(24 runs\)$' \
    "step: no change point in a flat benchmark"
expect_out_line '^algorithms/wcc/native .*no change point' "step: nor in the other one"
expect_out_line '^regression: algorithms/bfs/native: \+1[0-4]\.[0-9]% \(worse\) since commit [0-9a-f]{7} \(1 step\)$' \
    "step: the last segment is a regression"
expect_out_has "summary: 3 benchmarks, 1 change point, 1 regression" "step: summary"
cp "$OUT" "$T_TMP/first"
run "$R" detect --history "$STEP"
expect_same "$T_TMP/first" "$OUT" "detect is deterministic"

run "$R" detect --history "$STEP" --fail-on-regression
expect_rc 1 "--fail-on-regression: exit 1"
run "$R" detect --history "$STEP" --fail-on-regression --threshold 20%
expect_rc 0 "--fail-on-regression beyond 20%: exit 0"
run "$R" detect --history "$STEP" --benchmark pagerank --fail-on-regression
expect_ok "--benchmark selects: no regression there"
expect_out_has "summary: 1 benchmark, 0 change points" "--benchmark: one benchmark"
run env GRREGRESS_HISTORY="$STEP" "$R" detect --format json
expect_ok "json (history from GRREGRESS_HISTORY): exit 0"
expect_out_line '"schema":[[:space:]]*"grperf.detect/1"' "json: schema"
expect_out_line '^[[:space:]]*"run":[[:space:]]*13,$' "json: the change point's run (1 = oldest)"
expect_out_line '^[[:space:]]*"regression":[[:space:]]*true' "json: the regression"

# too short; another benchmark version
mkdir -p "$T_TMP/short"
cp "$STEP/run-000.json" "$STEP/run-001.json" "$T_TMP/short/"
run "$R" detect --history "$T_TMP/short"
expect_ok "two runs: exit 0"
expect_out_line '^algorithms/bfs/native .* too few runs to split \(2, at least 6 needed\)$' \
    "two runs: too few to split"
mkdir -p "$T_TMP/version"
for f in "$STEP"/run-*.json; do
    case $f in
        */run-00*|*/run-010.json|*/run-011.json)
            sed 's/"version": 1,/"version": 0,/' "$f" >"$T_TMP/version/${f##*/}" ;;
        *) cp "$f" "$T_TMP/version/" ;;
    esac
done
run "$R" detect --history "$T_TMP/version" --benchmark bfs --format json
expect_ok "version change: exit 0"
expect_out_line '"skipped":[[:space:]]*12,' "version change: older version's runs left out"
expect_out_line '"change_points":[[:space:]]*\[\],' "version change: the step is the version's, not a change point"

# the creep: neighbour compares see nothing, detect sees it as a whole
k=0
flagged=0
while [ "$k" -lt 39 ]; do
    a=$CREEP/run-$(printf %03d "$k").json
    b=$CREEP/run-$(printf %03d $((k + 1))).json
    "$R" compare "$a" "$b" >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || flagged=$((flagged + 1))
    k=$((k + 1))
done
check "creep: none of the 39 neighbour compares flags it" test "$flagged" -eq 0
run "$R" compare "$CREEP/run-000.json" "$CREEP/run-039.json"
expect_rc 1 "creep: first against last is a regression"
run "$R" detect --history "$CREEP" --fail-on-regression
expect_rc 1 "creep: detect --fail-on-regression: exit 1"
expect_out_line '^algorithms/wcc/native +(8|9|1[0-9]|2[0-9]|3[0-4]) ' "creep: a change point inside the creep"
expect_out_line '^regression: algorithms/wcc/native: \+([6-9]|1[0-3])\.[0-9]% \(worse\)' \
    "creep: the last segment is measured against the segment before it"
expect_out_line '^algorithms/pagerank/native .*no change point \(40 runs\)$' "creep: flat stays flat"

# bad input
run "$R" detect --history "$STEP" --exponent 2
expect_err "--exponent 2 is out of range" 2 "--exponent"
run "$R" detect --history "$STEP" --permutations 50
expect_err "too few permutations to reach alpha" 2 "50 permutations cannot give p < 0.01: use at least 100"
run "$R" detect --history "$STEP" --benchmark '('
expect_err "bad --benchmark regex" 2 "bad value '(' for --benchmark"
run "$R" detect --history "$STEP" --benchmark nosuch
expect_err "--benchmark matching nothing" 2 "matches no benchmark"
run "$R" detect --history "$STEP" --threshold abc
expect_err "bad --threshold" 2 "--threshold"
run "$R" detect --history "$T_TMP/none"
expect_err "an empty history" 2 "has no runs"
mkdir -p "$T_TMP/bad"
cp "$STEP/run-000.json" "$T_TMP/bad/"
cp "$DATA/regress_bad_nan.json" "$T_TMP/bad/run-001.json"
run "$R" detect --history "$T_TMP/bad"
expect_err "a bad run file in the history is named" 2 "run-001.json"

# ---- plot -----------------------------------------------------------------------------
ERR_PREFIX="grregress plot: "

run "$R" plot --help
expect_ok "plot --help exits 0"

# no gnuplot: one line, exit 2, no picture (checked before any work)
run env PATH=/nonexistent GNUPLOT= "$R" plot --history "$STEP" -o "$T_TMP/none.png"
expect_err "gnuplot missing from PATH: exit 2" 2 "gnuplot not found"
expect_absent "$T_TMP/none.png" "gnuplot missing: no picture"
run env GNUPLOT=/nonexistent/gnuplot "$R" plot --history "$STEP" -o "$T_TMP/none.png"
expect_err "GNUPLOT naming nothing: exit 2" 2 "/nonexistent/gnuplot"
run "$R" plot --history "$T_TMP/none" -o "$T_TMP/nodir/x.png"
expect_err "unwritable -o is reported before reading anything" 2 "$T_TMP/nodir/x.png"
run "$R" plot --history "$STEP" -o "$T_TMP/x.pdf"
expect_err "-o must be .png or .svg" 2 "expected a name ending in .png or .svg"
run "$R" plot --compare "$DATA/trends_compare.json" --history "$STEP" -o "$T_TMP/x.png"
expect_err "--compare with --history" 2 "do not apply"
run "$R" plot --compare "$DATA/regress_bad_notjson.json" -o "$T_TMP/x.png"
expect_err "a --compare file that is not JSON is named" 2 "regress_bad_notjson.json:"
run "$R" plot --compare "$DATA/regress_base.json" -o "$T_TMP/x.png"
expect_err "a --compare file of another schema" 2 "regress_base.json: schema: expected \"grperf.compare/1\""
run "$R" plot --compare "$T_TMP/missing.json" -o "$T_TMP/x.png"
expect_err "a missing --compare file" 2 "missing.json: cannot open"
sed 's/"name": "algorithms\/bfs\/fused"/"nom": 1/' "$DATA/trends_compare.json" >"$T_TMP/noname.json"
run "$R" plot --compare "$T_TMP/noname.json" -o "$T_TMP/x.png"
expect_err "a compare row without a name" 2 "noname.json: benchmarks[2].name: missing"
expect_absent "$T_TMP/x.png" "no picture after errors"

if command -v "${GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    mkdir -p "$T_TMP/pics"
    P=$T_TMP/pics
    run "$R" plot --history "$STEP" -o "$P/trends.png" --baseline "$DATA/regress_base.json"
    expect_ok "trends png: exit 0"
    expect_out_has "wrote $P/trends.png: 3 benchmarks, 1 change point" "trends png: says what it wrote"
    check "trends png: PNG magic" test "$(od -An -tx1 -N8 "$P/trends.png" | tr -d ' \n')" = 89504e470d0a1a0a
    run "$R" plot --history "$STEP" --benchmark bfs -o "$P/bfs.svg"
    expect_ok "trends svg: exit 0"
    check "trends svg: XML" grep -q '^<?xml' "$P/bfs.svg"
    check "trends svg: an svg element, closed" grep -q '</svg>' "$P/bfs.svg"
    check "trends svg: the benchmark as title" grep -q 'algorithms/bfs/native' "$P/bfs.svg"
    check "trends svg: the change point's label" grep -Eq '>\+1[0-4]\.[0-9]%<' "$P/bfs.svg"
    check "trends svg: the unit" grep -q 'median time per op (µs)' "$P/bfs.svg"
    if command -v xmllint >/dev/null 2>&1; then
        check "trends svg: well-formed XML (xmllint)" xmllint --noout "$P/bfs.svg"
    fi
    run "$R" plot --history "$STEP" --max-panels 2 -o "$P/two.png"
    expect_rc 0 "--max-panels caps the panels"
    check "--max-panels: a note says so" grep -q 'drawing the first 2' "$ERR"
    run "$R" plot --compare "$DATA/trends_compare.json" -o "$P/cmp.svg"
    expect_ok "compare chart svg: exit 0"
    expect_out_has "8 benchmarks" "compare chart: the 8 compared benchmarks (not the added one)"
    check "compare chart svg: the regression's label" grep -q '+12.4% regression' "$P/cmp.svg"
    check "compare chart svg: red bars" grep -qi 'rgb(214, *39, *40)\|#d62728' "$P/cmp.svg"
    run "$R" plot --compare "$DATA/trends_compare.json" -o "$P/cmp.png" --benchmark pagerank
    expect_ok "compare chart png with --benchmark: exit 0"
    expect_out_has "2 benchmarks" "compare chart: --benchmark filters"
    check "compare chart png: PNG magic" test "$(od -An -tx1 -N8 "$P/cmp.png" | tr -d ' \n')" = 89504e470d0a1a0a
    check "no temporary files beside the pictures" test "$(ls -A "$P" | wc -l)" -eq 5
    # a failing gnuplot: error, and the old picture is untouched
    cp "$P/cmp.png" "$P/old.png"
    printf '#!/bin/sh\necho "line 1: broken gnuplot" >&2\nexit 1\n' >"$T_TMP/fakegp"
    chmod +x "$T_TMP/fakegp"
    run env GNUPLOT="$T_TMP/fakegp" "$R" plot --compare "$DATA/trends_compare.json" -o "$P/cmp.png"
    expect_err "gnuplot failing: its message, exit 2" 2 "broken gnuplot"
    expect_same "$P/old.png" "$P/cmp.png" "gnuplot failing: the old picture stays"
    check "gnuplot failing: no temporary file left" test "$(ls -A "$P" | wc -l)" -eq 6
else
    t_ok "plot pictures # SKIP gnuplot not installed"
fi

done_testing
