#!/bin/sh
# history.sh - CLI tests of `grregress record`, `history` and `promote`: the
# real binary on runs derived from tests/data/regress_*.json (their commit
# rewritten with sed so each is a distinct run; bfs medians: base 50.075 µs,
# slow 60.09 µs, changed 90.135 µs), every kind of bad file, duplicates, the
# listing and a benchmark's trend in three formats, promote's refusals and
# --force, and that nothing is written when a command fails.
#
# Usage: GRREGRESS=build/grregress GRPROF=build/grprof GR_SRCDIR=. sh tests/cli/history.sh
. "${GR_SRCDIR:-.}/tests/cli/lib.sh"
unset GRREGRESS_HISTORY
need_grregress
R=$GRREGRESS
H=$T_TMP/hist

# mk SRC SHORT DATE OUT: tests/data/SRC with commit SHORT (7 hex) dated DATE
mk() {
    sed -e "s/\"sha\": \"39c290d/\"sha\": \"$2/" \
        -e "s/\"short\": \"39c290d\"/\"short\": \"$2\"/" \
        -e "s/\"date\": \"2026-11-26T02:58:11Z\"/\"date\": \"$3\"/" "$DATA/$1" >"$4"
}
mk regress_base.json 1111111 2026-11-01T10:00:00Z "$T_TMP/r1.json"
mk regress_slow.json 2222222 2026-11-02T10:00:00Z "$T_TMP/r2.json"
mk regress_changed.json 3333333 2026-11-03T10:00:00Z "$T_TMP/r3.json"
mk regress_base.json 4444444 2026-11-04T10:00:00Z "$T_TMP/d.json"
sed 's/"dirty": false/"dirty": true/' "$T_TMP/d.json" >"$T_TMP/d2.json"
mv "$T_TMP/d2.json" "$T_TMP/d.json"
sed '/^ "commit": {/,/^ },/c\
 "commit": {"available": false, "reason": "not a git repository"},' \
    "$DATA/regress_base.json" >"$T_TMP/nogit.json"

# snap DIR: a listing of DIR's files with their checksums (to see changes)
snap() {
    (cd "$1" 2>/dev/null && for f in * .[!.]*; do
        [ -e "$f" ] && cksum "$f"
    done)
}

# ---- --help ----------------------------------------------------------------

run "$R" --help
expect_out_line '^  record +Add run files to the history' "--help lists record"
expect_out_line '^  history +List the recorded runs' "--help lists history"
expect_out_line '^  promote +Make a run the new baseline' "--help lists promote"
for c in record history promote; do
    run "$R" $c --help
    expect_ok "$c --help exits 0"
    expect_out_line "^usage: grregress $c " "$c --help prints the usage"
    expect_out_has "Exit codes:" "$c --help documents the exit codes"
    sed -n '/^Options:/,/^  -h, --help/p' "$OUT" \
        | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z][a-z-]*\).*/\2/p' \
        | grep -v '^help$' >"$T_TMP/optnames"
    check "$c's options are sorted by long name" sort -c "$T_TMP/optnames"
done
run "$R" history --help
expect_out_has "--benchmark" "history --help lists --benchmark"
run "$R" promote --help
expect_out_has "--force" "promote --help lists --force"

# ---- record ------------------------------------------------------------------

ERR_PREFIX="grregress record: "
run "$R" record --history "$H"
expect_err "record without RUN is a usage error" 2 "missing RUN"
run "$R" record --histroy "$H" "$T_TMP/r1.json"
expect_err "record suggests a misspelt option" 2 "did you mean '--history'?"
check "a failed record creates no history" test ! -e "$H"

run "$R" record --history "$H" "$T_TMP/r2.json" "$T_TMP/r1.json"
expect_ok "record two runs: exit 0"
expect_out_line "^stored $T_TMP/r2.json -> $H/20261126T031000Z-2222222-[0-9a-f]{16}\\.json\$" \
    "record prints where r2 went"
expect_out_line "^stored $T_TMP/r1.json -> $H/20261126T031000Z-1111111-[0-9a-f]{16}\\.json\$" \
    "record prints where r1 went"
check "two run files stored" test "$(ls "$H" | grep -c '\.json$')" -eq 2
check "no temporary file left" test "$(ls -a "$H" | grep -c '\.tmp\.')" -eq 0
check "the lock file exists" test -f "$H/.lock"
R1=$(sed -n "s|^stored $T_TMP/r1.json -> ||p" "$OUT")
check "the stored r1 is a valid run file" "$R" compare "$R1" "$T_TMP/r1.json"

run "$R" record --history "$H" "$T_TMP/r1.json"
expect_ok "recording r1 again: exit 0"
expect_file "$OUT" "duplicate: $T_TMP/r1.json is already $R1" "recording r1 again is a duplicate"
tr -d '\n' <"$T_TMP/r1.json" >"$T_TMP/r1-oneline.json"
run "$R" record --history "$H" "$T_TMP/r1-oneline.json"
expect_out_has "duplicate: $T_TMP/r1-oneline.json is already $R1" \
    "the same run formatted differently is a duplicate"
check "duplicates are not stored" test "$(ls "$H" | grep -c '\.json$')" -eq 2

# every kind of bad file: exit 2 naming file and field, history unchanged
snap "$H" >"$T_TMP/before"
printf '' >"$T_TMP/empty.json"
: >"$T_TMP/huge.json"
truncate -s 300M "$T_TMP/huge.json" 2>/dev/null || dd if=/dev/zero of="$T_TMP/huge.json" \
    bs=1 count=0 seek=300M 2>/dev/null
sed 's/"schema": "grperf.run\/1"/"schema": "grperf.run\/9"/' "$T_TMP/r3.json" >"$T_TMP/v9.json"
for case in \
    "$DATA/regress_bad_notjson.json|not JSON" \
    "$DATA/regress_bad_truncated.json|truncated" \
    "$DATA/regress_bad_schema.json|schema" \
    "$T_TMP/v9.json|unsupported schema \"grperf.run/9\"" \
    "$DATA/regress_bad_missing.json|median: missing" \
    "$DATA/regress_bad_nan.json|NaN" \
    "$DATA/regress_bad_negative.json|negative sample" \
    "$DATA/regress_bad_empty_samples.json|samples" \
    "$DATA/regress_bad_nobench.json|benchmarks: empty" \
    "$DATA/regress_bad_hash.json|machine.hash" \
    "$T_TMP/empty.json|empty file" \
    "$T_TMP/huge.json|file too large" \
    "$T_TMP/absent.json|cannot open"; do
    f=${case%%|*}
    what=${case#*|}
    run "$R" record --history "$H" "$T_TMP/r3.json" "$f"
    expect_err "record $(basename "$f"): exit 2" 2 "$what"
    check "record $(basename "$f"): the message names the file" grep -Fq "$f" "$ERR"
    snap "$H" >"$T_TMP/after"
    check "record $(basename "$f"): history unchanged" cmp -s "$T_TMP/before" "$T_TMP/after"
done
: >"$T_TMP/plain"
run "$R" record --history "$T_TMP/plain/sub" "$T_TMP/r3.json"
expect_err "a history that cannot be created: exit 2" 2 "cannot create directory"

run "$R" record --history "$H" "$T_TMP/r3.json" "$T_TMP/nogit.json"
expect_ok "record r3 and a run outside git"
expect_out_line "^stored $T_TMP/nogit.json -> $H/20261126T031000Z-nogit-[0-9a-f]{16}\\.json\$" \
    "a run outside git is stored as nogit"

# ---- history -------------------------------------------------------------------

ERR_PREFIX="grregress history: "
run "$R" history --history "$T_TMP/none"
expect_ok "empty history: exit 0"
expect_file "$OUT" "no runs in the history $T_TMP/none (add some with 'grregress record RUN...')" \
    "empty history is said so"
run "$R" history --history "$T_TMP/none" --benchmark algorithms/bfs/native
expect_ok "empty history with --benchmark: exit 0"
expect_out_has "no runs in the history" "empty history with --benchmark is said so"
run "$R" history --history "$T_TMP/none" --format json
expect_ok "empty history as JSON: exit 0"
expect_out_line '"runs":[[:space:]]*\[\]' "empty history as JSON: no runs"

run "$R" history --history "$H"
expect_ok "history lists the runs"
check "history: header and 5 lines" test "$(wc -l <"$OUT")" -eq 6
expect_out_line "^4 runs in $H, oldest first\$" "history: title"
check "history: the columns" grep -Eq '^COMMIT +DATE +SUITE +BENCHMARKS +FILE$' "$OUT"
sed -n 3,6p "$OUT" | awk '{print $1}' >"$T_TMP/order"
printf '1111111\n2222222\n3333333\nno\n' >"$T_TMP/want"
check "history: oldest commit first, the no-git run by its start time" \
    cmp -s "$T_TMP/order" "$T_TMP/want"
expect_out_line "^1111111 +2026-11-01T10:00:00Z +quick +3 +$R1\$" "history: r1's line"
expect_out_line "^3333333 +2026-11-03T10:00:00Z +quick +3 +$H/" "history: r3's line"
expect_out_line "^no git +2026-11-26T03:10:00Z +quick +3 +$H/.*-nogit-" "history: no-git line"
GRREGRESS_HISTORY=$H run "$R" history
expect_out_has "4 runs in $H" "\$GRREGRESS_HISTORY names the history"

run "$R" history --history "$H" --benchmark algorithms/bfs/native
expect_ok "--benchmark: exit 0"
expect_out_line "^algorithms/bfs/native: 4 commits \\(4 runs\\) in $H, oldest first\$" "--benchmark: title"
check "--benchmark: the columns" grep -Eq '^COMMIT +DATE +MEDIAN +95% CI +N +RUNS +CHANGE$' "$OUT"
expect_out_line '^1111111 +2026-11-01T10:00:00Z +50\.1 µs +\[49\.7 µs, 50\.5 µs\] +10 +1 +-$' \
    "--benchmark: r1 50.1 µs, no change"
expect_out_line '^2222222 +2026-11-02T10:00:00Z +60\.1 µs +\[59\.7 µs, 60\.5 µs\] +10 +1 +\+20\.0%$' \
    "--benchmark: r2 60.1 µs, +20.0%"
expect_out_line '^3333333 +2026-11-03T10:00:00Z +90\.1 µs .* +10 +1 +\+50\.0%$' \
    "--benchmark: r3 90.1 µs, +50.0%"
expect_out_line '^no git +2026-11-26T03:10:00Z +50\.1 µs .* +10 +1 +-44\.4%$' \
    "--benchmark: no-git run 50.1 µs, -44.4%"
run "$R" history --history "$H" -b algorithms/wcc/native
expect_ok "a benchmark missing from one run"
expect_out_line '^algorithms/wcc/native: 3 commits \(3 runs\)' "only the runs that have it"

run "$R" history --history "$H" --benchmark algorithms/bfs/native --format csv
expect_ok "--format csv: exit 0"
expect_out_line '^commit,dirty,date,median_s,ci_lo_s,ci_hi_s,n,runs,change_pct,file$' "csv header"
expect_out_line '^1111111[0-9a-f]{33},false,2026-11-01T10:00:00Z,5\.0075e-05,4\.97e-05,5\.045e-05,10,1,,' \
    "csv: r1's exact median and interval"
expect_out_line '^2222222[0-9a-f]{33},false,2026-11-02T10:00:00Z,6\.009e-05,5\.97e-05,6\.048e-05,10,1,20\.000,' \
    "csv: r2's median, +20%"
expect_out_line '^3333333[0-9a-f]{33},false,2026-11-03T10:00:00Z,9\.0135e-05,8\.955e-05,9\.072e-05,10,1,50\.000,' \
    "csv: r3's median, +50%"
expect_out_line '^,false,2026-11-26T03:10:00Z,5\.0075e-05,4\.97e-05,5\.045e-05,10,1,-44\.444,' "csv: the no-git run"
run "$R" history --history "$H" --benchmark algorithms/bfs/native --format json
expect_ok "--format json: exit 0"
expect_out_line '"benchmark":[[:space:]]*"algorithms/bfs/native"' "json: the benchmark"
expect_out_line '"median":[[:space:]]*5\.0075e-05,?$' "json: a median in seconds"
expect_out_line '"change":[[:space:]]*null' "json: no change for the first point"
expect_out_line '"runs":[[:space:]]*1,?$' "json: runs per commit"

# a second run of commit 2222222 (started later) is pooled into its line;
# runs outside git never are
sed 's/"started": "2026-11-26T03:10:00Z"/"started": "2026-11-26T04:10:00Z"/' "$T_TMP/r2.json" \
    >"$T_TMP/r2b.json"
sed 's/"started": "2026-11-26T03:10:00Z"/"started": "2026-11-26T04:10:00Z"/' "$T_TMP/nogit.json" \
    >"$T_TMP/nogit2.json"
cp -r "$H" "$T_TMP/hist2"
run "$R" record --history "$T_TMP/hist2" "$T_TMP/r2b.json" "$T_TMP/nogit2.json"
expect_ok "record a second run of a commit and of no git"
run "$R" history --history "$T_TMP/hist2" --benchmark algorithms/bfs/native
expect_out_line "^algorithms/bfs/native: 5 commits \\(6 runs\\) in $T_TMP/hist2, oldest first\$" \
    "--benchmark: runs of one commit make one line"
expect_out_line '^2222222 +2026-11-02T10:00:00Z +60\.1 µs +\[[0-9.]+ µs, [0-9.]+ µs\] +20 +2 +\+20\.0%$' \
    "--benchmark: commit 2222222's two runs pooled: 20 samples"
check "--benchmark: two no-git lines" test "$(grep -c '^no git ' "$OUT")" -eq 2
run "$R" history --history "$T_TMP/hist2" --benchmark algorithms/bfs/native --format json
expect_out_line '"runs":[[:space:]]*2,?$' "json: the pooled commit has 2 runs"
expect_out_line '"n":[[:space:]]*20,?$' "json: and 20 samples"
rm -rf "$T_TMP/hist2"

run "$R" history --history "$H" --format csv
expect_out_line "^1111111[0-9a-f]{33},false,2026-11-01T10:00:00Z,2026-11-26T03:10:00Z,quick,3,$R1\$" \
    "csv listing: r1"

run "$R" history --history "$H" --benchmark algorithms/bfs/nativ
expect_err "unknown benchmark: exit 2 with a suggestion" 2 \
    "has benchmark 'algorithms/bfs/nativ' (did you mean 'algorithms/bfs/native'?)"
run "$R" history --history "$H" --benchmark zzz
expect_err "unknown benchmark without a close name: exit 2" 2 "has benchmark 'zzz'"
run "$R" history --history "$H" --format xml
expect_err "bad --format: exit 2" 2 "--format"
run "$R" history --history "$H" extra
expect_err "history takes no argument" 2 "extra"

cp "$DATA/regress_bad_truncated.json" "$H/zz-broken.json"
run "$R" history --history "$H"
expect_err "a damaged history: exit 2 naming the file" 2 "$H/zz-broken.json"
rm -f "$H/zz-broken.json"
: >"$H/x.json.tmp.Ab12Cd"
run "$R" history --history "$H"
expect_ok "a leftover temporary file is not part of the history"
run "$R" record --history "$H" "$T_TMP/d.json"
expect_ok "record a dirty run"
check "a writer removes leftover temporary files" test ! -e "$H/x.json.tmp.Ab12Cd"
run "$R" history --history "$H"
expect_out_line "^4444444-dirty +2026-11-04T10:00:00Z " "a dirty run is marked"

# concurrent records into a new history: every run stored once, all valid
C=$T_TMP/conc
for i in 1 2 3 4 5 6; do
    mk regress_base.json "abcdef$i" "2026-10-0${i}T00:00:00Z" "$T_TMP/c$i.json"
done
for i in 1 2 3 4 5 6; do
    "$R" record -q --history "$C" "$T_TMP/c$i.json" "$T_TMP/c1.json" \
        >"$T_TMP/c$i.out" 2>"$T_TMP/c$i.err" &
done
wait
check "concurrent records: nothing on stderr" test "$(cat "$T_TMP"/c?.err | wc -c)" -eq 0
# c1 is given 7 times (twice to the first record): stored once, 6 duplicates
check "concurrent records: c1 stored once, the other 6 times a duplicate" \
    test "$(cat "$T_TMP"/c?.out | grep -c "^duplicate: $T_TMP/c1.json is already")" -eq 6
check "concurrent records: 6 runs stored" test "$(ls "$C" | grep -c '\.json$')" -eq 6
check "concurrent records: no temporary file left" test "$(ls -a "$C" | grep -c tmp)" -eq 0
run "$R" history --history "$C"
expect_ok "concurrent records: the history reads back"
expect_out_line "^abcdef1 +2026-10-01T00:00:00Z .*" "concurrent records: first run"
expect_out_line "^abcdef6 +2026-10-06T00:00:00Z .*" "concurrent records: last run"

# ---- promote ---------------------------------------------------------------------

ERR_PREFIX="grregress promote: "
mkdir "$T_TMP/base"
B=$T_TMP/base/main.json
cp "$T_TMP/r1.json" "$B"
cp "$B" "$T_TMP/base-before.json"
snap "$T_TMP/base" >"$T_TMP/before"

run "$R" promote "$T_TMP/d.json" "$B"
expect_err "promote a dirty run: refused" 2 "dirty working tree"
expect_err "the refusal says --force overrides" 2 "(--force overrides)"
expect_err "every reason is given (also another machine)" 2 "; and it was measured on another machine"
run "$R" promote "$T_TMP/nogit.json" "$B"
expect_err "promote a run from outside git: refused" 2 "not measured in a git checkout"
run "$R" promote "$T_TMP/r2.json" "$B"
expect_err "promote a run from another machine: refused" 2 \
    "another machine (fingerprint 3f2a9c0d11e4b7a8; this machine's is "
HERE=$(sed -n "s/.*this machine's is \([0-9a-f]\{16\}\)).*/\1/p" "$ERR")
check "this machine's fingerprint is 16 hex digits" test "${#HERE}" -eq 16
run "$R" promote "$DATA/regress_bad_nan.json" "$B"
expect_err "promote a bad run: exit 2 naming the file" 2 "$DATA/regress_bad_nan.json"
run "$R" promote "$DATA/regress_bad_nobench.json" "$B"
expect_err "promote a run without benchmarks: exit 2" 2 "benchmarks: empty"
run "$R" promote "$T_TMP/huge.json" "$B"
expect_err "promote an enormous file: exit 2" 2 "file too large"
run "$R" promote
expect_err "promote without RUN: usage error" 2 "RUN"
snap "$T_TMP/base" >"$T_TMP/after"
check "failed promotes leave the baseline directory as it was" \
    cmp -s "$T_TMP/before" "$T_TMP/after"
expect_same "$B" "$T_TMP/base-before.json" "failed promotes leave the baseline byte-identical"
check "failed promotes write no report" test ! -e "$T_TMP/base/main.md"

sed "s/\"hash\": \"3f2a9c0d11e4b7a8\"/\"hash\": \"$HERE\"/" "$T_TMP/r2.json" >"$T_TMP/here.json"
run "$R" promote "$T_TMP/here.json" "$B"
expect_ok "promote a clean run from this machine"
expect_out_line "^promoted $T_TMP/here.json to $B: 1111111 -> 2222222\$" \
    "promote prints old -> new commit"
expect_out_line "^wrote $T_TMP/base/main.md\$" "promote says it wrote the report"
expect_same "$B" "$T_TMP/here.json" "the baseline is a byte copy of the run"
check "the report is regenerated" grep -q '^# grperf baseline report' "$T_TMP/base/main.md"
check "the report names the new commit" grep -q '2222222' "$T_TMP/base/main.md"
check "promote leaves no temporary file" test "$(ls "$T_TMP/base" | grep -c '\.tmp\.')" -eq 0

run "$R" promote --force "$T_TMP/d.json" "$B"
expect_rc 0 "--force promotes a dirty run"
check "--force warns on stderr" grep -q "warning: promoting .* dirty working tree" "$ERR"
expect_out_has "2222222 -> 4444444-dirty" "--force: old -> new commit"
expect_same "$B" "$T_TMP/d.json" "--force: the baseline is the dirty run"
run "$R" promote -f "$T_TMP/r2.json" "$B"
expect_rc 0 "-f promotes another machine's run"
expect_same "$B" "$T_TMP/r2.json" "-f: the baseline is the other machine's run"

echo "{" >"$B"
run "$R" promote "$T_TMP/here.json" "$B"
expect_ok "promote over an invalid baseline"
expect_out_has "an invalid run file -> 2222222" "an invalid old baseline is said so"
run "$R" promote "$T_TMP/here.json" "$T_TMP/base"
expect_err "a directory as BASELINE: exit 2" 2 "Is a directory"

mkdir "$T_TMP/proj"
(cd "$T_TMP/proj" && "$R" promote "$T_TMP/here.json" >"$OUT" 2>"$ERR")
RC=$?
expect_ok "promote without BASELINE"
expect_same "$T_TMP/proj/baselines/main.json" "$T_TMP/here.json" \
    "the default baseline is baselines/main.json (directory created)"
check "and baselines/main.md is written" test -s "$T_TMP/proj/baselines/main.md"
expect_out_has "to baselines/main.json: nothing -> 2222222" "no old baseline: nothing -> new"

done_testing
