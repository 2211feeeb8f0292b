#!/bin/sh
# run.sh - CLI tests of `grprof run` and `grprof list`: tiny runs of the
# quick suite (a filter, 2 rounds, --min-time 0.001), the run file they
# write (exists, validates against docs/run-schema.md with
# tests/check_runfile, has stats and one sample per round and repeat), the
# Markdown report, the default output path, Ctrl-C, and every input error
# (exit 2 before any benchmark runs, nothing written).  Crash isolation:
# the GRPROF_TEST_CRASH hook makes one benchmark's child die (SIGSEGV,
# abort, non-zero exit, a hang past --timeout); the run completes, the
# failure is in the run file, the console and the Markdown report, the
# exit status is 1, and grregress compare reports it as "failed".  Each
# round runs in its own process: one killed (killround) fails only the
# benchmark it was running; --fork-rounds forks the rounds from one process.
#
# Usage: GRPROF=build/grprof GR_SRCDIR=. sh tests/cli/run.sh
. "${GR_SRCDIR:-.}/tests/cli/lib.sh"
LC_ALL=C
export LC_ALL
NO_COLOR=1
export NO_COLOR

# the run-file validator built beside grprof (check_PROGRAMS)
VALIDATE=$(dirname "$GRPROF")/tests/check_runfile
FILTER='dispatch/step-call|pagerank/(native|fused)/uniform-1k-5k|compile/degree/parse'
TINY="--suite quick --filter $FILTER --rounds 2 --repeat 2 --min-time 0.001"

validates() {
    if [ -x "$VALIDATE" ]; then
        "$VALIDATE" "$1" >"$T_TMP/why" 2>&1
    else
        echo "no validator $VALIDATE" >"$T_TMP/why"
        return 1
    fi
}

# ---- help and list -----------------------------------------------------------

run "$GRPROF" --help
expect_out_line '^  run +Run a benchmark suite' "--help lists run"
expect_out_line '^  list +List the benchmarks' "--help lists list"
run "$GRPROF" run --help
expect_ok "run --help exits 0"
expect_out_line '^usage: grprof run ' "run --help prints the usage"
expect_out_has "--min-time" "run --help lists --min-time"
run "$GRPROF" list --help
expect_ok "list --help exits 0"
run "$GRPROF" --version
expect_out_line '^grprof \(grperf\) [0-9]' "--version"

run "$GRPROF" list --suite quick
expect_rc 0 "list --suite quick exits 0"
expect_out_line '^algorithms/pagerank/native/uniform-1k-5k +algorithms +v[0-9]+ +\{.*"max_iter": 10' \
    "list shows PageRank with tol=0 max_iter=10"
expect_out_line '^algorithms/sssp/native/uniform-1k-5k .*weights=uniform' "SSSP on the weighted variant"
expect_out_line '^dispatch/step-call/scalar-add ' "list shows the dispatch group"
expect_out_line '^ops/pull_sum/10k ' "quick ops run on 10k"
expect_out_line '^compile/pagerank/parse ' "list shows the compile group"
expect_out_line '^fusion/pagerank/passes ' "list shows the fusion group"
expect_out_line '^loops/repeat-10/step/' "list shows the loops group"
cp "$OUT" "$T_TMP/quick.list"
run "$GRPROF" list --suite default --names
expect_out_line '^algorithms/pagerank/native/uniform-1m-10m$' "default adds 1M/10M"
expect_out_line '^algorithms/pagerank/native/rmat-18$' "default adds rmat scale 18"
check "no step mode on 10M edges" test "$(grep -c '/step/uniform-1m-10m' "$OUT")" -eq 0
run "$GRPROF" list --suite full --names
expect_out_line '^algorithms/wcc/best/uniform-4m-64m$' "full adds uniform 4M/64M"
run "$GRPROF" list --suite quick --names --filter '^algorithms/bfs/'
check "a filter selects" test "$(wc -l <"$OUT")" -ge 4
run "$GRPROF" list --suite quick --names --graph uniform:n=50,m=100,seed=3 --filter 'n-50'
expect_out_line '^algorithms/pagerank/step/uniform-n-50-m-100-seed-3$' "--graph adds algorithms on SPEC"
printf 'algorithm twice() {\n    x = fill(2.0)\n    return x * 2.0\n}\n' >"$T_TMP/twice.grl"
run "$GRPROF" list --suite quick --names --program "$T_TMP/twice.grl" --filter '^user/'
expect_out_line '^user/twice.grl/step/uniform-1k-5k$' "--program adds user benchmarks"

# ---- a tiny run -----------------------------------------------------------------

# shellcheck disable=SC2086
run "$GRPROF" run $TINY --quiet -o "$T_TMP/r.json" --markdown "$T_TMP/r.md"
expect_ok "tiny run exits 0, quiet"
expect_file "$OUT" "$T_TMP/r.json" "--quiet prints only the run file's path"
check "run file validates" validates "$T_TMP/r.json"
[ -s "$T_TMP/why" ] && sed 's/^/#   /' "$T_TMP/why"
check "run file has stats" grep -q '"median":' "$T_TMP/r.json"
check "run file has 4 benchmarks" test "$(grep -c '"group":' "$T_TMP/r.json")" -eq 4
check "run file records the config" grep -q '"rounds":[[:space:]]*2,' "$T_TMP/r.json"
check "samples carry rounds 0 and 1" grep -q '"rounds":[[:space:]]*\[0, 0, 1, 1\]' "$T_TMP/r.json"
check "GRPROF_CONTENTION=off: no contention recorded" test "$(grep -c '"contention"' "$T_TMP/r.json")" -eq 0
if [ -r /proc/self/schedstat ]; then
    # shellcheck disable=SC2086
    run env -u GRPROF_CONTENTION "$GRPROF" run $TINY -q -o "$T_TMP/cont.json"
    expect_ok "a run measuring contention"
    check "each sample's contention is recorded" \
        grep -Eq '"contention":[[:space:]]*\[[0-9.e-]+, [0-9.e-]+, [0-9.e-]+, [0-9.e-]+\]' "$T_TMP/cont.json"
fi
check "checksums are 16 hex digits" grep -Eq '"checksum":[[:space:]]*"[0-9a-f]{16}"' "$T_TMP/r.json"
check "perf availability recorded" grep -q '"perf_instructions":' "$T_TMP/r.json"
check "no temporary files left" test -z "$(ls "$T_TMP" | grep '\.tmp\.')"
check "markdown report written" grep -q '^# grperf baseline report' "$T_TMP/r.md"
check "markdown has the key metrics" grep -q '^| boundary crossing' "$T_TMP/r.md"
check "markdown has the fusion table" grep -q '^## Fusion' "$T_TMP/r.md"
check "markdown has algorithms by mode" grep -q '^| pagerank | uniform-1k-5k |' "$T_TMP/r.md"

# shellcheck disable=SC2086
run "$GRPROF" run $TINY -o "$T_TMP/r2.json"
expect_rc 0 "tiny run with the console report exits 0"
expect_out_line '^dispatch$' "console report groups by group"
expect_out_line '^key ratios' "console report shows key ratios"
expect_out_line "^run file: $T_TMP/r2.json\$" "console report ends with the path"
check "no colour escapes with NO_COLOR" test "$(grep -c "$(printf '\033')" "$OUT")" -eq 0
check "second run file validates" validates "$T_TMP/r2.json"
check "checksums are the same in both runs" test \
    "$(grep '"checksum"' "$T_TMP/r.json")" = "$(grep '"checksum"' "$T_TMP/r2.json")"

# the default path: runs/<UTC time>-<short sha>.json in the working directory
mkdir "$T_TMP/wd"
(cd "$T_TMP/wd" && "$GRPROF" run --suite quick --filter 'dispatch/step-call' --rounds 1 \
    --repeat 1 --min-time 0.001 --quiet) >"$OUT" 2>"$ERR"
RC=$?
expect_ok "run with the default path exits 0"
expect_out_line '^runs/[0-9]{8}T[0-9]{6}Z-[0-9a-z]+\.json$' "default path is runs/<UTC>-<sha>.json"
check "default run file validates" validates "$T_TMP/wd/$(cat "$OUT")"

# --instructions: callgrind counts per benchmark, deterministic (valgrind
# cannot run a sanitizer build: the run file's cflags tell)
if grep -q '"cflags":.*-fsanitize' "$T_TMP/r.json"; then
    echo "# skipped --instructions checks: sanitizer build"
elif command -v valgrind >/dev/null 2>&1; then
    for i in 1 2; do
        run "$GRPROF" run --suite quick --filter 'dispatch/step-call|ops/fill' --rounds 1 \
            --repeat 1 --min-time 0.001 --instructions --quiet -o "$T_TMP/cg$i.json"
        expect_ok "--instructions run $i exits 0"
        grep '"instructions":' "$T_TMP/cg$i.json" >"$T_TMP/cg$i.counts"
    done
    check "callgrind counts recorded" grep -q '"instructions":[[:space:]]*[0-9]' "$T_TMP/cg1.json"
    check "callgrind available in the run file" grep -q '"available":[[:space:]]*true' "$T_TMP/cg1.json"
    expect_same "$T_TMP/cg1.counts" "$T_TMP/cg2.counts" "instruction counts are deterministic"
    check "--instructions run file validates" validates "$T_TMP/cg1.json"
else
    echo "# skipped --instructions checks: no valgrind"
fi

# ---- crash isolation -------------------------------------------------------------

CRASHED='algorithms/pagerank/fused/uniform-1k-5k'
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="segv@1:pagerank/fused" "$GRPROF" run $TINY -o "$T_TMP/c.json" \
    --markdown "$T_TMP/c.md"
expect_rc 1 "a benchmark killed by SIGSEGV: the run completes, exit 1"
check "stderr names the failure" grep -q "^grprof run: $CRASHED: FAILED: killed by SIGSEGV in round 1\$" "$ERR"
check "run file written despite the crash" test -s "$T_TMP/c.json"
check "crashed run file validates" validates "$T_TMP/c.json"
[ -s "$T_TMP/why" ] && sed 's/^/#   /' "$T_TMP/why"
check "the other 3 benchmarks are in the run file" test "$(grep -c '"group":' "$T_TMP/c.json")" -eq 4
check "the other benchmarks have samples" test "$(grep -c '"median":' "$T_TMP/c.json")" -eq 3
check "failures entry has the reason" grep -q '"reason":[[:space:]]*"killed by SIGSEGV in round 1"' "$T_TMP/c.json"
check "failures entry has the round" grep -q '"round":[[:space:]]*1,' "$T_TMP/c.json"
expect_out_line '^FAILED ' "console report has a FAILED section"
expect_out_line "^  $CRASHED +killed by SIGSEGV in round 1\$" "console report names the failure"
expect_out_line '^3 benchmarks, 1 FAILED, ' "console summary counts the failure"
check "markdown has a Failures section" grep -q '^## Failures' "$T_TMP/c.md"
check "markdown names the failure" grep -q "^| \`$CRASHED\` | algorithms | 1 | 1 | killed by SIGSEGV" "$T_TMP/c.md"

F2='dispatch/step-call|compile/degree/parse'
QUICK2="--suite quick --filter $F2 --rounds 2 --repeat 1 --min-time 0.001 --quiet"
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="abort:step-call" "$GRPROF" run $QUICK2 -o "$T_TMP/a.json"
expect_rc 1 "abort: exit 1"
check "abort is reported as SIGABRT in round 0" grep -q 'FAILED: killed by SIGABRT in round 0$' "$ERR"
check "abort run file validates" validates "$T_TMP/a.json"
check "abort: compile/degree/parse still measured" grep -q '"compile/degree/parse"' "$T_TMP/a.json"
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="exit@1:step-call" "$GRPROF" run $QUICK2 -o "$T_TMP/x.json"
expect_rc 1 "a child exiting non-zero: exit 1"
check "non-zero exit is reported with its status" grep -q 'FAILED: exited with status 3 in round 1$' "$ERR"
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="hang:parse" "$GRPROF" run $QUICK2 --timeout 0.5 -o "$T_TMP/h.json"
expect_rc 1 "a hang past --timeout: exit 1"
check "the hang is killed and reported" grep -q 'compile/degree/parse: FAILED: timed out after 0.5 s in round 0 (killed)$' "$ERR"
check "hang run file validates" validates "$T_TMP/h.json"
check "hang: step-call still measured" grep -q '"dispatch/step-call/scalar-add"' "$T_TMP/h.json"
# Retakes on a busy machine (every sample contended) end within half of
# --timeout: 5 samples of ~0.5 s taken 4 times each would take 10 s, past
# the 7 s timeout; limited, the round ends in about 5 s and is measured.
run env GRPROF_CONTENTION=busy "$GRPROF" run --suite quick --filter 'dispatch/step-call' \
    --rounds 1 --repeat 5 --min-time 0.4 --timeout 7 -q -o "$T_TMP/busy.json"
expect_ok "a busy machine's retakes do not time the round out"
check "busy: every sample recorded with its contention" \
    grep -Eq '"contention":[[:space:]]*\[1, 1, 1, 1, 1\]' "$T_TMP/busy.json"
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="segv:." "$GRPROF" run $QUICK2 -o "$T_TMP/all.json"
expect_rc 1 "every benchmark crashing: exit 1"
check "every benchmark crashing: no run file" test ! -e "$T_TMP/all.json"
ERR_PREFIX="grprof run: "
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="segv@x:." "$GRPROF" run $QUICK2 -o "$T_TMP/bad.json"
expect_err "a bad test hook" 2 "GRPROF_TEST_CRASH 'segv@x:.'"
check "a bad test hook writes nothing" test ! -e "$T_TMP/bad.json"
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="segv:." "$GRPROF" run $QUICK2 --no-isolate -o "$T_TMP/ni.json"
expect_ok "--no-isolate runs in-process (the hook is for children only)"
check "--no-isolate run file validates" validates "$T_TMP/ni.json"
check "--no-isolate run has no failures" grep -q '"failures":[[:space:]]*\[\]' "$T_TMP/ni.json"
# each round runs in its own process; one that dies fails the benchmark it
# was running and a new one takes the rest of the round
PRN='algorithms/pagerank/native/uniform-1k-5k'
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="killround@1:pagerank/fused" "$GRPROF" run $TINY -o "$T_TMP/k.json"
expect_rc 1 "a round process killed: the run completes, exit 1"
check "stderr blames the benchmark it was running" grep -q "^grprof run: $CRASHED: FAILED: its round process was killed by SIGKILL in round 1 (out of memory? the OOM killer sends SIGKILL)\$" "$ERR"
check "killed round: run file validates" validates "$T_TMP/k.json"
check "killed round: the benchmark after it has both rounds" \
    sh -c "tr -d ' \t\n' <'$T_TMP/k.json' | grep -q '\"name\":\"$PRN\"[^[]*\\[[^]]*\\],\"rounds\":\\[0,0,1,1\\]'"
check "killed round: 3 benchmarks measured" test "$(grep -c '"median":' "$T_TMP/k.json")" -eq 3
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="killround:." "$GRPROF" run $QUICK2 -o "$T_TMP/kall.json"
expect_rc 1 "every round process killed: exit 1"
check "every round process killed: each benchmark FAILED" test "$(grep -c 'FAILED: its round process was killed by SIGKILL in round 0' "$ERR")" -eq 2
check "every round process killed: no run file" test ! -e "$T_TMP/kall.json"
# --fork-rounds: every round forked from one process, crashes still isolated
# shellcheck disable=SC2086
run env GRPROF_TEST_CRASH="segv@1:pagerank/fused" "$GRPROF" run $TINY --fork-rounds -o "$T_TMP/fr.json"
expect_rc 1 "--fork-rounds: a crash still fails only its benchmark"
check "--fork-rounds: stderr names the failure" grep -q "^grprof run: $CRASHED: FAILED: killed by SIGSEGV in round 1\$" "$ERR"
check "--fork-rounds: run file validates" validates "$T_TMP/fr.json"
check "--fork-rounds: 3 benchmarks measured" test "$(grep -c '"median":' "$T_TMP/fr.json")" -eq 3
check "--fork-rounds: same checksums as fresh rounds" \
    test "$(grep '"checksum":' "$T_TMP/fr.json" | sort | uniq | wc -l)" -eq "$(grep '"checksum":' "$T_TMP/k.json" | sort | uniq | wc -l)"
# The round-process protocol (GRPROF_ROUND_WORKER="ROUND FD LIST"): an
# inner count followed by "w" asks for an untimed run first (round 0 saw
# an operation under 0.25 s); any other suffix is refused.
# shellcheck disable=SC2086
run env GRPROF_ROUND_WORKER="1 9 1w 1 1 1w" "$GRPROF" run $TINY 9>"$T_TMP/worker.bin"
expect_ok "round process: inner counts marked w are accepted"
check "round process: its records go to its fd" test -s "$T_TMP/worker.bin"
# shellcheck disable=SC2086
run env GRPROF_ROUND_WORKER="1 9 1x 1 1 1" "$GRPROF" run $TINY 9>"$T_TMP/worker2.bin"
expect_rc 1 "round process: an inner count with another suffix is refused"
check "round process: the refusal names the format" grep -q "expected ROUND FD and 4 inner counts" "$ERR"
run "$GRPROF" run --help
expect_out_has "--fork-rounds" "run --help lists --fork-rounds"
expect_out_has "--no-isolate" "run --help lists --no-isolate"
expect_out_has "GRPROF_TEST_CRASH" "run --help documents the test hook"

# grregress: a benchmark FAILED now but measured in the baseline
if [ -x "${GRREGRESS:-}" ]; then
    run "$GRREGRESS" compare "$T_TMP/r.json" "$T_TMP/c.json"
    expect_rc 1 "compare: a FAILED benchmark exits 1"
    expect_out_line "^$CRASHED .* failed \(killed by SIGSEGV in round 1\)\$" "compare table shows failed"
    for f in markdown json junit github; do
        run "$GRREGRESS" compare "$T_TMP/r.json" "$T_TMP/c.json" --format "$f"
        expect_rc 1 "compare --format $f: exit 1"
        cp "$OUT" "$T_TMP/cmp.$f"
    done
    check "markdown shows failed" grep -q "^| \`$CRASHED\` .*\*\*failed\*\*: killed by SIGSEGV" "$T_TMP/cmp.markdown"
    check "json verdict failed" grep -q '"verdict":[[:space:]]*"failed"' "$T_TMP/cmp.json"
    check "json summary counts failures" grep -q '"failures":[[:space:]]*1' "$T_TMP/cmp.json"
    check "junit reports an error" grep -q '<error type="failed" message="failed: ' "$T_TMP/cmp.junit"
    check "junit counts the error" grep -q 'errors="1"' "$T_TMP/cmp.junit"
    check "github annotates an error" grep -q "^::error title=Benchmark FAILED%3A $CRASHED::" "$T_TMP/cmp.github"
else
    echo "# skipped grregress checks: GRREGRESS not set"
fi

# ---- input errors: exit 2, one line, nothing run or written -----------------------

ERR_PREFIX="grprof run: "
run "$GRPROF" run --suite quick --filter 'no-such-benchmark' -o "$T_TMP/e.json"
expect_err "a filter matching nothing" 2 "matches no benchmark"
run "$GRPROF" run --suite quick --filter '(' -o "$T_TMP/e.json"
expect_err "a bad regex" 2 "bad --filter"
run "$GRPROF" run --suite quick --program "$T_TMP/missing.grl" -o "$T_TMP/e.json"
expect_err "an unreadable program" 2 "cannot read program"
printf 'algorithm broken( {\n' >"$T_TMP/broken.grl"
run "$GRPROF" run --suite quick --program "$T_TMP/broken.grl" -o "$T_TMP/e.json"
expect_rc 2 "a program that does not compile"
run "$GRPROF" run --suite quick --graph 'uniform:n=abc' -o "$T_TMP/e.json"
expect_err "a bad graph spec" 2 "bad graph spec 'uniform:n=abc'"
run "$GRPROF" run --suite quick --graph "$T_TMP/missing.el" -o "$T_TMP/e.json"
expect_err "a missing graph file" 2 "cannot read graph file"
# shellcheck disable=SC2086
run "$GRPROF" run $TINY -o "$T_TMP/no/such/dir/e.json"
expect_err "an unwritable output path" 2 "$T_TMP/no/such/dir/e.json"
# shellcheck disable=SC2086
run "$GRPROF" run $TINY -o "$T_TMP"
expect_err "an output path that is a directory" 2 "Is a directory"
# shellcheck disable=SC2086
run "$GRPROF" run $TINY -o "$T_TMP/e.json" --markdown "$T_TMP/no/dir/e.md"
expect_err "an unwritable markdown path" 2 "e.md"
run "$GRPROF" run --suite huge
expect_err "an unknown suite" 2 "expected one of quick, default, full"
run "$GRPROF" run --rounds 0
expect_err "rounds must be >= 1" 2 "--rounds"
expect_absent "$T_TMP/e.json" "no run file after input errors"
ERR_PREFIX="grprof list: "
run "$GRPROF" list --filter 'no-such-benchmark'
expect_err "list: a filter matching nothing" 2 "matches no benchmark"

# ---- Ctrl-C: no partial run file ---------------------------------------------------

mkdir "$T_TMP/int"
"$GRPROF" run --suite quick --rounds 50 --quiet -o "$T_TMP/int/i.json" >"$OUT" 2>"$ERR" &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid"
RC=$?
expect_rc 130 "SIGINT exits 130"
check "SIGINT says so" grep -q 'interrupted; no run file written' "$ERR"
check "SIGINT leaves no file at all" test -z "$(ls -A "$T_TMP/int")"
sleep 0.5
# round processes and benchmark children carry the same command line
check "SIGINT leaves no round process or child behind" \
    sh -c "! ps -eo args | grep -v grep | grep -q -- '$T_TMP/int/i.json'"

done_testing
