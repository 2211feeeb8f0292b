#!/bin/sh
# exec.sh - CLI tests of `grprof exec` (and grprof's --help/--version):
# the real binary on generated graphs and on tests/data/cli_tiny.el, whose
# answers below were worked out by hand from its ten edges:
#
#   3->7 (2.5)  7->12 (1)  3->12 (4)  12->40 (0.5)  40->7 (1)
#   100->205 (3)  205->100 (1)  300->205 (2)  500->500 (1)  1000->3 (1)
#
# Usage: GRPROF=build/grprof GR_SRCDIR=. sh tests/cli/exec.sh
. "${GR_SRCDIR:-.}/tests/cli/lib.sh"
LC_ALL=C
export LC_ALL

G=uniform:n=200,m=800,seed=7
GW=uniform:n=200,m=800,seed=7,weights=uniform
TINY=$DATA/cli_tiny.el

# ---- grprof itself ------------------------------------------------------

run "$GRPROF" --version
expect_ok "--version exits 0"
expect_out_line '^grprof \(grperf\) [0-9]+\.[0-9]+' "--version prints the version"

run "$GRPROF" --help
expect_ok "--help exits 0"
expect_out_line '^  exec +Run one algorithm' "--help lists the exec command"

run "$GRPROF" help exec
expect_ok "help exec exits 0"
expect_out_line '^usage: grprof exec ALGO' "help exec prints exec's usage"

ERR_PREFIX="grprof: "
run "$GRPROF"
expect_err "no command is a usage error" 2 "missing command"
run "$GRPROF" exce
expect_err "unknown command suggests exec" 2 "unknown command 'exce'; did you mean 'exec'?"
run "$GRPROF" --verison
expect_err "unknown option suggests --version" 2 "did you mean '--version'?"
ERR_PREFIX="grprof exec: "

# ---- exec --help ----------------------------------------------------------

run "$GRPROF" exec --help
expect_ok "exec --help exits 0"
cp "$OUT" "$T_TMP/help"
expect_out_line '^usage: grprof exec ALGO --graph SPEC' "exec --help prints the usage"
for a in pagerank lpa wcc bfs sssp degree; do
    expect_out_line "^  $a " "exec --help lists $a"
done
expect_out_has "damping=0.85" "exec --help shows pagerank's defaults"
expect_out_line '^  checksum ' "exec --help documents the report format"
sed -n '/^Options:/,/^  -h, --help/p' "$OUT" \
    | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z][a-z-]*\).*/\2/p' \
    | grep -v '^help$' >"$T_TMP/optnames"
check "exec --help lists 7 options" test "$(wc -l <"$T_TMP/optnames")" -eq 7
check "exec's options are sorted by long name" sort -c "$T_TMP/optnames"

run "$GRPROF" exec -h
expect_same "$OUT" "$T_TMP/help" "exec -h is exec --help"
run "$GRPROF" exec --no-such-option --help
expect_ok "--help wins over a bad option"

# ---- every algorithm on a generated graph -----------------------------------

for a in pagerank lpa wcc bfs sssp degree; do
    run "$GRPROF" exec "$a" --graph "$G"
    expect_ok "$a runs on $G"
    expect_out_line '^checksum: +[0-9a-f]{16}$' "$a prints a 16-digit checksum"
    expect_out_line "^algorithm: +$a\$" "$a report names the algorithm"
    expect_out_line '^algo_time: +[0-9.]+ (ns|µs|ms|s) \([0-9]+ ns\)$' \
        "$a report has the algorithm's time"
    expect_out_line '^load_time: +[0-9.]+ (ns|µs|ms|s) \([0-9]+ ns\)$' \
        "$a report has the graph's time"
done

run "$GRPROF" exec pagerank --graph "$G"
sed 's/:.*//' "$OUT" | tr '\n' ' ' >"$T_TMP/keys"
check "pagerank report keys, in order" test "$(cat "$T_TMP/keys")" = \
    "graph nodes edges weighted symmetric digest load_time compile_time algorithm mode threads params algo_time iterations sum min max top checksum peak_rss "
expect_out_line '^nodes: +200$' "report gives n"
expect_out_line '^edges: +800$' "report gives m"
expect_out_line '^params: +damping=0.85 tol=1e-06 max_iter=100$' "report gives every default parameter"
expect_out_line '^sum: +1$' "pagerank ranks sum to 1"
expect_out_line '^top: +([0-9]+=[0-9.e-]+ ){4}[0-9]+=[0-9.e-]+$' "pagerank lists the top 5"
PR_SUM=$(value checksum)

run "$GRPROF" exec pagerank -g "$G" -q
expect_ok "--quiet runs"
check "--quiet prints only the checksum line" test "$(wc -l <"$OUT")" -eq 1
check "--quiet checksum equals the full report's" test "$(value checksum)" = "$PR_SUM"

run "$GRPROF" exec pagerank -g "$G" --param tol=0 -p max_iter=3 -pdamping=0.5
expect_ok "pagerank with --param"
expect_out_line '^params: +damping=0.5 tol=0 max_iter=3$' "--param values reach the report"
expect_out_line '^iterations: +3$' "tol=0 runs exactly max_iter iterations"

run "$GRPROF" exec wcc -g "$G" -s
expect_ok "--symmetrize runs"
expect_out_line '^symmetric: +yes$' "--symmetrize makes the graph symmetric"
expect_out_line '^graph: +uniform:.*sym=1' "--symmetrize shows in the spec"

for a in lpa wcc bfs; do
    run "$GRPROF" exec "$a" -g "$G" --threads 1 -q
    one=$(value checksum)
    run "$GRPROF" exec "$a" -g "$G" --threads=2 -q
    check "$a: same checksum with 1 and 2 threads" test "$one" = "$(value checksum)"
done

# ---- answers on cli_tiny.el -----------------------------------------------------

run "$GRPROF" exec bfs --graph "$TINY" --param source=3 --output "$T_TMP/bfs.txt"
expect_ok "bfs on cli_tiny.el"
expect_file "$T_TMP/bfs.txt" "3 0
7 1
12 1
40 2
100 -1
205 -1
300 -1
500 -1
1000 -1" "bfs levels from 3, original ids"
expect_out_line '^nodes: +9$' "cli_tiny has 9 nodes"
expect_out_line '^edges: +10$' "cli_tiny has 10 edges"
expect_out_line '^weighted: +yes$' "cli_tiny is weighted"
expect_out_line '^reached: +4$' "bfs summary: reached"
expect_out_line '^max_level: +2$' "bfs summary: max level"

run "$GRPROF" exec bfs -g "$TINY" -p source=3 --symmetrize -o "$T_TMP/bfs_sym.txt"
expect_ok "bfs on symmetrized cli_tiny.el"
expect_file "$T_TMP/bfs_sym.txt" "3 0
7 1
12 1
40 2
100 -1
205 -1
300 -1
500 -1
1000 1" "bfs levels from 3, symmetrized"

run "$GRPROF" exec bfs -g "$TINY" -p source=300 -o "$T_TMP/bfs300.txt"
expect_ok "bfs from 300"
expect_file "$T_TMP/bfs300.txt" "3 -1
7 -1
12 -1
40 -1
100 2
205 1
300 0
500 -1
1000 -1" "bfs levels from 300"

run "$GRPROF" exec sssp -g "$TINY" -p source=3 -o "$T_TMP/sssp.txt"
expect_ok "sssp on cli_tiny.el"
expect_file "$T_TMP/sssp.txt" "3 0
7 2.5
12 3.5
40 4
100 inf
205 inf
300 inf
500 inf
1000 inf" "sssp distances from 3 (3->7->12 beats 3->12)"
expect_out_line '^max_dist: +4$' "sssp summary: max finite distance"

run "$GRPROF" exec wcc -g "$TINY" -o "$T_TMP/wcc.txt"
expect_ok "wcc on cli_tiny.el"
expect_file "$T_TMP/wcc.txt" "3 3
7 3
12 3
40 3
100 100
205 100
300 100
500 500
1000 3" "wcc: smallest original id per component"
expect_out_line '^components: +3$' "wcc summary: 3 components"
expect_out_line '^largest: +3=5 100=3 500=1$' "wcc summary: largest components"

run "$GRPROF" exec degree -g "$TINY" -o "$T_TMP/degree.txt"
expect_ok "degree on cli_tiny.el"
expect_file "$T_TMP/degree.txt" "3 0.375
7 0.375
12 0.375
40 0.25
100 0.25
205 0.375
300 0.125
500 0.25
1000 0.125" "degree centrality (in+out)/8, self-loop once each way"
expect_out_line '^iterations: +0$' "degree runs no loop iterations"
expect_out_line '^max: +0.375$' "degree summary: max"

# Labels oscillate with period 2 on this graph (worked out by hand):
# after odd iterations 3:7 7:3 12:3 40:7 100:205 205:100 300:205 1000:3,
# after even ones the labels below; 500 keeps its own (self-loop only).
run "$GRPROF" exec lpa -g "$TINY" -o "$T_TMP/lpa.txt"
expect_ok "lpa on cli_tiny.el"
expect_file "$T_TMP/lpa.txt" "3 3
7 7
12 7
40 3
100 100
205 205
300 100
500 500
1000 7" "lpa after 20 (even) iterations"
expect_out_line '^iterations: +20$' "oscillating lpa runs max_iter iterations"
run "$GRPROF" exec lpa -g "$TINY" -p max_iter=1 -o "$T_TMP/lpa1.txt"
expect_file "$T_TMP/lpa1.txt" "3 7
7 3
12 3
40 7
100 205
205 100
300 205
500 500
1000 3" "lpa after 1 iteration: lowest of tied labels"

check "no temporary files left beside outputs" \
    test "$(ls "$T_TMP" | grep -c '\.tmp\.')" -eq 0

# ---- native and best agree ------------------------------------------------------

for a in wcc bfs sssp; do
    for g in "$TINY" "$GW" "$GW,sym=1"; do
        p=
        [ "$g" = "$TINY" ] && [ "$a" != wcc ] && p="--param source=3"
        rm -f "$T_TMP/native.txt" "$T_TMP/best.txt"
        run "$GRPROF" exec "$a" -g "$g" $p --mode native -o "$T_TMP/native.txt"
        expect_ok "$a native on $(basename "$g")"
        run "$GRPROF" exec "$a" -g "$g" $p --mode best -o "$T_TMP/best.txt"
        expect_ok "$a best on $(basename "$g")"
        expect_same "$T_TMP/native.txt" "$T_TMP/best.txt" \
            "$a: native and best write the same output on $(basename "$g")"
    done
done

# ---- the engine's modes: the .grl program agrees with native -------------------------
# (f64 results may differ from native in the last bits; these graphs and
# algorithms give identical text, which is what the files compare)

for a in pagerank lpa wcc bfs sssp degree; do
    for g in "$TINY" "$GW" "$GW,sym=1"; do
        p=
        [ "$g" = "$TINY" ] && { [ "$a" = bfs ] || [ "$a" = sssp ]; } && p="--param source=3"
        rm -f "$T_TMP/native.txt"
        run "$GRPROF" exec "$a" -g "$g" $p --mode native -o "$T_TMP/native.txt"
        expect_ok "$a native on $(basename "$g") (for the engine's modes)"
        for m in step batched fused; do
            rm -f "$T_TMP/$m.txt"
            run "$GRPROF" exec "$a" -g "$g" $p --mode $m -o "$T_TMP/$m.txt"
            expect_ok "$a $m on $(basename "$g")"
            expect_same "$T_TMP/native.txt" "$T_TMP/$m.txt" \
                "$a: native and $m write the same output on $(basename "$g")"
        done
    done
done

# ---- a user's .grl program ----------------------------------------------------------

cat >"$T_TMP/twohop.grl" <<'GRL'
# sum of the in-neighbours' in-degrees, scaled
algorithm twohop(scale = 2.0) {
    d = to_f64(in_degree())
    return scale * pull_sum(d)
}
GRL
run "$GRPROF" exec "$T_TMP/twohop.grl" -g "$TINY" --mode step -o "$T_TMP/twohop.txt"
expect_ok "a .grl path runs in step mode"
expect_out_line "^algorithm: +twohop$" "the report names the program"
expect_out_line "^params: +scale=2$" "the report lists the program's parameters"
run "$GRPROF" exec "$T_TMP/twohop.grl" -g "$TINY" --mode step --param scale=0 \
    -o "$T_TMP/zero.txt"
expect_ok "--param sets a program's parameter"
check "scale=0 gives all zeros" test "$(cut -d' ' -f2 "$T_TMP/zero.txt" | sort -u)" = "0"
run "$GRPROF" exec "$T_TMP/twohop.grl" -g "$TINY"
expect_err "native mode needs a library algorithm" 2 "only the library algorithms have"
printf 'algorithm bad() {\n    x = nod_count()\n    return x +\n}\n' >"$T_TMP/bad.grl"
run "$GRPROF" exec "$T_TMP/bad.grl" -g "$TINY" --mode step
expect_rc 2 "a program with errors exits 2"
check "diagnostics name file:line:col" grep -q "bad.grl:4:1: expected an expression" "$ERR"
check "diagnostics show the line and a caret" grep -qxF "^" "$ERR"
check "diagnostics end with a count" grep -qx "grprof exec: .*bad.grl: 1 error" "$ERR"
run "$GRPROF" exec "$T_TMP/none.grl" -g "$TINY" --mode step
expect_err "a missing .grl file" 2 "none.grl"

# ---- errors ----------------------------------------------------------------------

run "$GRPROF" exec pagernk --graph "$G"
expect_err "unknown algorithm suggests the closest" 2 "unknown algorithm 'pagernk'; did you mean 'pagerank'?"
run "$GRPROF" exec frobnicate --graph "$G"
expect_err "unknown algorithm lists the algorithms" 2 "(algorithms: pagerank, lpa, wcc, bfs, sssp, degree)"
run "$GRPROF" exec --graph "$G"
expect_err "missing ALGO" 2 "missing ALGO"
run "$GRPROF" exec wcc "$G"
expect_err "an extra argument is an error" 2 "unexpected argument"
run "$GRPROF" exec wcc
expect_err "missing --graph" 2 "no graph given: use --graph SPEC"
run "$GRPROF" exec wcc --grpah "$G"
expect_err "unknown option suggests the closest" 2 "unknown option '--grpah'; did you mean '--graph'?"
run "$GRPROF" exec wcc -g "$G" -x
expect_err "unknown short option" 2 "unknown option '-x'"
run "$GRPROF" exec wcc --graph
expect_err "option without its value" 2 "option '--graph' needs a value"
run "$GRPROF" exec wcc -g "$G" --quiet=yes
expect_err "flag given a value" 2 "option '--quiet' takes no value"
run "$GRPROF" exec wcc -g "$G" --threads two
expect_err "non-integer --threads" 2 "bad value 'two' for --threads: expected an integer"
run "$GRPROF" exec wcc -g "$G" --threads 0
expect_err "--threads below 1" 2 "bad value '0' for --threads: must be between 1 and"
run "$GRPROF" exec wcc -g "$G" --mode fast
expect_err "unknown mode" 2 "bad value 'fast' for --mode: expected one of native, best, step, batched, fused"
run "$GRPROF" exec pagerank -g "$G" --param dampng=0.5
expect_err "unknown parameter lists the algorithm's" 2 "unknown parameter 'dampng' (known: damping, tol, max_iter)"
run "$GRPROF" exec wcc -g "$G" --param source=1
expect_err "parameter for an algorithm without any" 2 "wcc takes no parameters"
run "$GRPROF" exec pagerank -g "$G" --param damping
expect_err "--param without =" 2 "--param 'damping' is not NAME=VALUE"
run "$GRPROF" exec pagerank -g "$G" --param max_iter=ten
expect_err "non-integer parameter" 2 "parameter 'max_iter' expects an integer (i64), got 'ten'"
run "$GRPROF" exec pagerank -g "$G" --param damping=1.5
expect_err "parameter out of range" 2 "pagerank: damping must be in [0, 1], got 1.5"
run "$GRPROF" exec bfs -g "$G" --param source=-1
expect_err "negative source" 2 "source -1 is not a node of the graph"
run "$GRPROF" exec wcc -g uniform:n=10,m=20,bogus=1
expect_err "bad spec names the bad key" 2 "bogus"
run "$GRPROF" exec wcc -g "$T_TMP/cli_missing.el"
expect_err "missing graph file" 2 "cli_missing.el"
run "$GRPROF" exec wcc -g "$DATA/cli_bad.el"
expect_err "malformed graph file names file:line" 2 "cli_bad.el:5"

run "$GRPROF" exec wcc -g "$G" -o "$T_TMP/nodir/out.txt"
expect_err "unwritable --output path" 2 "nodir/out.txt"
expect_absent "$T_TMP/nodir" "nothing created for an unwritable path"
run "$GRPROF" exec wcc -g "$G" -o "$T_TMP"
expect_err "--output naming a directory" 2 "Is a directory"

# a run that fails leaves an existing output untouched and no temp file
printf 'old\n' >"$T_TMP/keep.txt"
run "$GRPROF" exec bfs -g "$TINY" -o "$T_TMP/keep.txt"
expect_err "bfs from a missing source (0) is an input error" 2 "grprof exec: "
expect_file "$T_TMP/keep.txt" "old" "a failed run keeps the old output"
check "a failed run leaves no temporary file" \
    test "$(ls "$T_TMP" | grep -c '\.tmp\.')" -eq 0
run "$GRPROF" exec bfs -g "$TINY" -o "$T_TMP/new.txt"
expect_absent "$T_TMP/new.txt" "a failed run creates no output"

done_testing
