#!/bin/sh
# ab.sh - CLI tests of grregress's live commands: compare without CURRENT
# (the live run saved, suspects re-measured), calibrate (an A/A run and
# its threshold config), ab with two given grprof binaries, ab and compare
# --against through a git worktree of a throwaway repository, and their
# errors and interruptions (nothing left behind).
#
# Kept fast: a two-benchmark quick suite and 2-3 rounds (about 30 grprof
# calls).  The worktree's
# build is GRREGRESS_AB_BUILD, a command copying the built grprof, so no
# real build runs here.  Timings on a busy machine are anything, so the
# A/A comparisons use a huge threshold: they check the pipeline (rows,
# exit code 0), not the machine.  Interruptions are deterministic: a
# fake grprof or build command sends the signal to grregress itself.
#
# Usage: GRREGRESS=build/grregress GRPROF=build/grprof GR_SRCDIR=. sh tests/cli/ab.sh
. "${GR_SRCDIR:-.}/tests/cli/lib.sh"
need_grregress
R=$GRREGRESS
FILTER='^ops/(add|fill)/10k$'
TMPDIR=$T_TMP/tmp
export TMPDIR
mkdir "$TMPDIR" "$T_TMP/work" || exit 99
cd "$T_TMP/work" || exit 99

# expect_fail DESC CODE FRAGMENT: exit code CODE, the last stderr line
# contains FRAGMENT (progress lines may precede it), nothing on stdout.
expect_fail() {
    if [ "$RC" -ne "$2" ]; then
        t_not_ok "$1" "expected exit code $2"
    elif ! tail -n 1 "$ERR" | grep -Fq -- "$3"; then
        t_not_ok "$1" "the last stderr line lacks '$3'"
    elif [ -s "$OUT" ]; then
        t_not_ok "$1" "expected nothing on stdout"
    else
        t_ok "$1"
    fi
}

# no_leftovers DESC: no temporary file or worktree of grregress in TMPDIR
no_leftovers() {
    check "$1" test -z "$(ls -A "$TMPDIR" | grep -v '\.log$')"
}

# the rounds of a saved run file: config.rounds
rounds_of() {
    sed -n 's/^[[:space:]]*"rounds":[[:space:]]*\([0-9][0-9]*\),*$/\1/p' "$1" | head -n 1
}

# A baseline of 2 rounds: every row is "noisy" (fewer than 3 rounds), so
# every benchmark is a suspect -- the re-measuring path, deterministically.
"$GRPROF" run --suite quick --filter "$FILTER" --rounds 2 --quiet -o base2.json >/dev/null \
    || { echo "Bail out! grprof run failed"; exit 99; }

# ---- compare without CURRENT --------------------------------------------------

ERR_PREFIX="grregress compare: "
run "$R" compare base2.json --save live.json --remeasure-rounds 2
expect_rc 0 "live compare: exit 0"
expect_out_line '^ops/add/10k .* noisy \(fewer than 3 rounds; re-measured, 4 rounds\)$' \
    "live compare: the add row says it was re-measured"
expect_out_line '^ops/fill/10k .*re-measured, 4 rounds\)$' "live compare: so does fill"
expect_out_has "live.json (live run)" "live compare: the report names the saved run"
check "live compare: says what it re-measures" \
    grep -q "re-measuring 2 suspects with 2 more rounds: ops/fill/10k, ops/add/10k" "$ERR"
check "live compare: prints the saved path" grep -q "saved the live run to live.json" "$ERR"
check "live compare: the saved run holds the re-measured rounds" test "$(rounds_of live.json)" = 4
run "$R" compare base2.json live.json
expect_rc 0 "the saved run is a valid run file"
no_leftovers "live compare: no temporary file left"

run env GRPROF="$T_TMP/no-grprof" "$R" compare base2.json
check "a failed live run creates no runs/ directory" test ! -e runs
run "$R" compare base2.json --no-remeasure
expect_rc 0 "--no-remeasure: exit 0"
check "--no-remeasure: nothing re-measured" sh -c "! grep -q re-measur '$OUT' '$ERR'"
saved=$(ls runs/*-nogit.json 2>/dev/null | head -n 1)
check "default save path runs/<UTC>-nogit.json" test -n "$saved"
check "the default-path run has the baseline's 2 rounds" test "$(rounds_of "$saved")" = 2
expect_out_has "$saved (live run)" "the report names the default path"

run "$R" compare base2.json --no-remeasure --format json -o report.json
expect_rc 0 "live compare, json to a file: exit 0"
check "json report written" grep -q '"schema"' report.json

# a baseline with instruction counts: the live run counts them too (when
# callgrind can count here: not with valgrind missing or a sanitizer build)
if command -v valgrind >/dev/null 2>&1 \
    && "$GRPROF" run --suite quick --filter '^ops/add/10k$' --rounds 2 --instructions \
        --quiet -o ibase.json >/dev/null \
    && grep -Eq '"instructions":[[:space:]]*[0-9]' ibase.json; then
    run "$R" compare ibase.json --metric instructions --save ilive.json
    expect_rc 0 "live compare on instructions: exit 0"
    expect_out_line '^ops/add/10k +[0-9]+ +[0-9]+ ' "live compare on instructions: counts compared"
    check "live compare on instructions: the saved run has counts" \
        grep -Eq '"instructions":[[:space:]]*[0-9]' ilive.json
else
    t_ok "# SKIP callgrind cannot count instructions here"
fi

mkdir adir
run "$R" compare base2.json --save adir
expect_err "--save to a directory: exit 2 before running" 2 "adir: cannot write: Is a directory"
run "$R" compare base2.json base2.json --save x.json
expect_err "--save with CURRENT: usage error" 2 "--save is for a live run: give no CURRENT"
run "$R" compare base2.json --remeasure-rounds 0
expect_err "bad --remeasure-rounds" 2 "bad value '0' for --remeasure-rounds"
run "$R" compare base2.json base2.json --no-remeasure
expect_err "--no-remeasure with CURRENT: usage error" 2 "--no-remeasure is for a live run"
run "$R" compare base2.json --keep-worktree
expect_err "--keep-worktree without --against: usage error" 2 "--keep-worktree is for --against"

cat >fakegrprof <<'EOF'
#!/bin/sh
exit 3
EOF
cat >intgrprof <<'EOF'
#!/bin/sh
kill -INT $PPID
sleep 5
EOF
chmod +x fakegrprof intgrprof
run env GRPROF="$T_TMP/work/fakegrprof" "$R" compare base2.json --save f.json
expect_err "grprof failing: exit 2" 2 "running the baseline's suite failed: '$T_TMP/work/fakegrprof run' exited with status 3"
expect_absent f.json "grprof failing: nothing saved"
run env GRPROF="$T_TMP/work/intgrprof" "$R" compare base2.json --save i.json
expect_err "Ctrl-C during the live run: exit 130" 130 "interrupted; nothing saved"
expect_absent i.json "Ctrl-C: nothing saved"
no_leftovers "Ctrl-C: no temporary file left"

# ---- calibrate -------------------------------------------------------------------

ERR_PREFIX="grregress calibrate: "
run "$R" calibrate --suite quick --filter "$FILTER" --rounds 3 --threshold 1% -o cal.json
expect_rc 0 "calibrate: exit 0"
expect_out_line '^ops/add/10k +[0-9.]+ [^ ]+ +[0-9.]+% +[0-9.]+% ' "calibrate: a row with median and noise"
expect_out_line '^summary: [0-9]+ of 2 benchmarks flagged between identical builds' \
    "calibrate: false positives counted"
check "calibrate: progress interleaves A and B" \
    sh -c "grep -n 'round' '$ERR' | sed -n '1p;2p;3p' | tr '\n' ' ' | grep -q '1 of 3: A.*1 of 3: B.*2 of 3: A'"
check "calibrate: config written" grep -q '"thresholds"' cal.json
ERR_PREFIX="grregress compare: "
run "$R" compare base2.json base2.json --config cal.json
expect_rc 0 "compare --config accepts calibrate's config"
ERR_PREFIX="grregress calibrate: "
run "$R" calibrate --rounds 2
expect_err "calibrate: fewer than 3 rounds refused" 2 "bad value '2' for --rounds"
run "$R" calibrate --threshold x
expect_err "calibrate: bad threshold" 2 "bad value 'x' for --threshold"
run "$R" calibrate -o adir
expect_err "calibrate: -o a directory" 2 "adir: cannot write: Is a directory"
no_leftovers "calibrate: no temporary file left"

# ---- ab with two given builds ----------------------------------------------------

ERR_PREFIX="grregress ab: "
run "$R" ab HEAD --grprof-a "$GRPROF" --grprof-b "$GRPROF" --suite quick --filter "$FILTER" \
    --rounds 2 --threshold 1000%
expect_rc 0 "ab A/A with --grprof-a/--grprof-b: exit 0"
expect_out_line '^ops/add/10k ' "ab: a row for add"
expect_out_line '^ops/fill/10k ' "ab: a row for fill"
expect_out_has "2 compared" "ab: both compared"
check "ab: progress on stderr" grep -q "round 2 of 2: B" "$ERR"
run "$R" ab HEAD --grprof-a "$GRPROF" --grprof-b "$GRPROF" --suite quick --filter "$FILTER" \
    --rounds 3 --chunk 2 --threshold 1000% --format json
expect_rc 0 "ab --chunk 2: exit 0"
check "ab --chunk 2: two calls per side" grep -q "rounds 1-2 of 3: A" "$ERR"
check "ab --chunk 2: then the last round" grep -q "round 3 of 3: B" "$ERR"
run "$R" ab HEAD --grprof-a "$T_TMP/nothing" --grprof-b "$GRPROF"
expect_err "ab: --grprof-a not executable" 2 "--grprof-a $T_TMP/nothing: not an executable"
run "$R" ab
expect_err "ab: REV missing" 2 "missing REV"
run "$R" ab HEAD --rounds 0
expect_err "ab: bad --rounds" 2 "bad value '0' for --rounds"
run "$R" ab HEAD --jbos 2
expect_err "ab: misspelt option" 2 "did you mean '--jobs'?"
run "$R" ab HEAD
expect_err "ab outside git: exit 2" 2 "not in a git repository"

# ---- ab through a worktree ---------------------------------------------------------

if command -v git >/dev/null 2>&1; then
    mkdir repo
    (
        cd repo && git init -q . && echo one >f && git add f \
            && git -c user.name=t -c user.email=t@example.com commit -qm one
    ) || { echo "Bail out! cannot make a git repository"; exit 99; }
    cd repo || exit 99
    GRREGRESS_AB_BUILD='cp "$GRPROF" "$GRREGRESS_AB_BUILDDIR/grprof"'
    export GRREGRESS_AB_BUILD
    run "$R" ab HEAD --suite quick --filter "$FILTER" --rounds 2 --threshold 1000%
    expect_rc 0 "ab HEAD through a worktree: exit 0"
    expect_out_line '^compare HEAD -> working tree ' "ab HEAD: the report names the sides"
    expect_out_line '^ops/add/10k ' "ab HEAD: a row for add"
    check "ab HEAD: said what it builds" grep -q "building HEAD (" "$ERR"
    check "ab HEAD: the worktree is gone" test "$(git worktree list | wc -l)" -eq 1
    no_leftovers "ab HEAD: nothing left in TMPDIR"

    echo two >f && git -c user.name=t -c user.email=t@example.com commit -qam two
    run "$R" ab HEAD~1 HEAD --suite quick --filter "$FILTER" --rounds 2 --threshold 1000% \
        --format table --format json="$T_TMP/ab.json"
    expect_rc 0 "ab REV REV2, both built: exit 0"
    # each side's runs carry the commit its worktree measured
    tr -d ' \t\n' <"$T_TMP/ab.json" >"$T_TMP/ab1.json"
    check "ab REV REV2: the baseline side is REV's commit" \
        grep -q "\"baseline_commit\":{\"sha\":\"$(git rev-parse HEAD~1)\"" "$T_TMP/ab1.json"
    check "ab REV REV2: the current side is REV2's commit" \
        grep -q "\"commit\":{\"sha\":\"$(git rev-parse HEAD)\"" "$T_TMP/ab1.json"
    expect_out_line '^compare HEAD~1 -> HEAD ' "ab REV REV2: the report names both"
    check "ab REV REV2: built both" test "$(grep -c 'building HEAD' "$ERR")" -eq 2
    check "ab REV REV2: both worktrees are gone" test "$(git worktree list | wc -l)" -eq 1
    no_leftovers "ab REV REV2: nothing left in TMPDIR"

    ERR_PREFIX="grregress compare: "
    run "$R" compare ../base2.json --against HEAD --threshold 1000%
    expect_rc 0 "compare --against HEAD: exit 0"
    expect_out_line '^compare HEAD -> working tree ' "compare --against: REV is the baseline"
    check "compare --against: the worktree is gone" test "$(git worktree list | wc -l)" -eq 1
    run "$R" compare ../base2.json --against baseline
    expect_err "--against baseline without a recorded commit" 2 "the baseline records no commit"
    run "$R" compare ../base2.json ../base2.json --against HEAD
    expect_err "--against with CURRENT: usage error" 2 "give no CURRENT"

    ERR_PREFIX="grregress ab: "
    run "$R" ab nosuchrev
    expect_err "ab: unknown REV" 2 "unknown revision 'nosuchrev'"
    run env GRREGRESS_AB_BUILD='echo broken; exit 3' "$R" ab HEAD
    expect_fail "ab: a failing build: exit 2" 2 "building HEAD failed: 'sh' exited with status 3 (log: "
    log=$(tail -n 1 "$ERR" | sed -n 's/.*(log: \(.*\))$/\1/p')
    check "ab: the failed build's log is kept" grep -q broken "$log"
    check "ab: a failed build's worktree is gone" test "$(git worktree list | wc -l)" -eq 1
    rm -f "$log"
    run env GRREGRESS_AB_BUILD='true' "$R" ab HEAD
    expect_fail "ab: a build without grprof: exit 2" 2 "the build left no executable"
    rm -f "$TMPDIR"/*.log
    run env GRREGRESS_AB_BUILD='kill -INT $PPID; sleep 5' "$R" ab HEAD
    expect_fail "ab: Ctrl-C during the build: exit 130" 130 "interrupted"
    check "ab: Ctrl-C: the worktree is gone" test "$(git worktree list | wc -l)" -eq 1
    no_leftovers "ab: Ctrl-C: nothing left in TMPDIR"

    run "$R" ab HEAD --keep-worktree --suite quick --filter "$FILTER" --rounds 2 \
        --threshold 1000%
    expect_rc 0 "ab --keep-worktree: exit 0"
    check "ab --keep-worktree: the worktree stays" test "$(git worktree list | wc -l)" -eq 2
    check "ab --keep-worktree: says where" grep -q "kept the worktree" "$ERR"
    wt=$(git worktree list | sed -n '2s/ .*//p')
    git worktree remove --force "$wt" && rm -rf "${wt%/src}"
    check "kept worktree removable" test "$(git worktree list | wc -l)" -eq 1
    cd .. || exit 99
else
    t_ok "# SKIP git not installed"
fi

done_testing
