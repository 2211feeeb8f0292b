#!/bin/sh
# explain.sh - CLI tests of `grprof explain`: the sections it prints for a
# library algorithm and a user program, pass selection, and its errors.
# Usage: GRPROF=build/grprof GR_SRCDIR=. sh tests/cli/explain.sh
. "${GR_SRCDIR:-.}/tests/cli/lib.sh"
LC_ALL=C
export LC_ALL
ERR_PREFIX="grprof explain: "

run "$GRPROF" explain pagerank
expect_ok "explain pagerank"
expect_out_line "^== parsed: pagerank, [0-9]+ ops$" "the parsed IR with its op count"
expect_out_line "^== after cse: [0-9]+ ops \(-[0-9]+\)$" "cse's effect on the op count"
expect_out_line "^== optimized \(-O2\): [0-9]+ ops, was [0-9]+$" "the optimized IR"
for s in dependencies liveness "fusion chains" "loop invariants"; do
    expect_out_line "^== $s$" "the $s analysis"
done
expect_out_line "^== critical path \(cost model at n=1000000, m=10000000\)$" \
    "the critical path with the cost model's sizes"
expect_out_line "^== plan" "the plan section"
expect_out_line "^algorithm pagerank\(damping: f64 = 0.85" "IR in printed form"

run "$GRPROF" explain pagerank -O0 --section ir
expect_ok "explain -O0 --section ir"
check "-O0 runs no pass" test "$(grep -c '^== after' "$OUT")" -eq 0
check "--section ir prints no analysis" test "$(grep -c '^== liveness' "$OUT")" -eq 0

run "$GRPROF" explain wcc -O1 --disable cse --section passes
expect_ok "explain with a pass disabled"
check "a disabled pass is not reported" test "$(grep -c '^== after cse' "$OUT")" -eq 0
expect_out_line "^== after dce" "the other passes still run"

run "$GRPROF" explain bfs -n 1000 -m 5000 --section analyses
expect_out_line "^== critical path \(cost model at n=1000, m=5000\)$" "--nodes/--edges size the cost model"

cat >"$T_TMP/mine.grl" <<'GRL'
algorithm mine(k = 3) {
    x = to_f64(out_degree())
    repeat k {
        x = x * 0.5 + to_f64(in_degree())
    }
    return x
}
GRL
run "$GRPROF" explain "$T_TMP/mine.grl"
expect_ok "explain a user's .grl file"
expect_out_line "^== parsed: mine, [0-9]+ ops$" "the user's program is explained"

run "$GRPROF" explain pagerank --enable cse2
expect_err "unknown pass" 2 "unknown pass 'cse2' (did you mean 'cse'?)"
run "$GRPROF" explain pagerank -O3
expect_err "level out of range" 2 "bad value '3' for --level"
run "$GRPROF" explain nosuch.grl
expect_err "missing program file" 2 "nosuch.grl"

done_testing
