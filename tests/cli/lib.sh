# lib.sh - helpers for the CLI tests (POSIX sh; sourced by tests/cli/*.sh).
#
# The tests drive the real binaries and compare what they print and write.
# Environment (set by the Makefile's TESTS_ENVIRONMENT):
#   GRPROF     the grprof binary
#   GR_SRCDIR  the source tree (test data is under $GR_SRCDIR/tests/data)
#
# Output is TAP-like: one "ok N - what" or "not ok N - what" line per
# check, "# ..." diagnostic lines after a failure, and a final
# "# N checks, F failed" line; done_testing exits 0 when nothing failed,
# 1 otherwise (99, a hard error, when the environment is unusable).
#
#   run CMD [ARG]...        run a command; sets RC, stdout in $OUT, stderr in $ERR
#   expect_ok DESC          RC 0 and stderr empty
#   expect_rc N DESC        RC is N
#   expect_out_line RE DESC stdout has a line matching the extended regex RE
#   expect_out_has S DESC   stdout contains the fixed string S
#   expect_err DESC N S     RC is N, stderr is ONE line starting with
#                           $ERR_PREFIX ("grprof exec: " by default) and
#                           containing the fixed string S, stdout is empty
#   expect_file F TEXT DESC file F exists and holds exactly TEXT (a final
#                           newline is added to TEXT)
#   expect_same F1 F2 DESC  files are identical
#   expect_absent F DESC    no file F
#   check DESC CMD [ARG]... passes when CMD succeeds
#   value KEY               the value of report line "KEY: value" in $OUT
#   need_grregress          bail out unless $GRREGRESS is an executable; sets
#                           LC_ALL=C (grregress's tests compare its text)

if [ -z "${GRPROF:-}" ] || [ ! -x "$GRPROF" ]; then
    echo "Bail out! GRPROF (${GRPROF:-unset}) is not an executable grprof"
    exit 99
fi
if [ -z "${GR_SRCDIR:-}" ] || [ ! -d "$GR_SRCDIR/tests/data" ]; then
    echo "Bail out! GR_SRCDIR (${GR_SRCDIR:-unset}) is not the source tree"
    exit 99
fi

DATA=$GR_SRCDIR/tests/data
# Verdicts must not depend on what else runs on the machine (make check
# -j, CI neighbours): no contention measurement unless a test asks for it
# (tests/cli/run.sh does; tests/check_decide.c tests the rule).
GRPROF_CONTENTION=off
export GRPROF_CONTENTION
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/grcli.XXXXXX") || {
    echo "Bail out! cannot make a temporary directory"
    exit 99
}
trap 'rm -rf "$T_TMP"' EXIT
trap 'exit 1' HUP INT TERM
OUT=$T_TMP/stdout
ERR=$T_TMP/stderr
T_N=0
T_FAILED=0
T_CMD=
RC=0
ERR_PREFIX="grprof exec: "

run() {
    T_CMD=$*
    "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

# Diagnostics for the last command, as "# " lines.
t_diag() {
    echo "#   command: $T_CMD"
    echo "#   exit code: $RC"
    sed -n '1,12s/^/#   stdout: /p' "$OUT"
    sed -n '1,12s/^/#   stderr: /p' "$ERR"
}

t_ok() {
    T_N=$((T_N + 1))
    echo "ok $T_N - $1"
}

# t_not_ok DESC WHY
t_not_ok() {
    T_N=$((T_N + 1))
    T_FAILED=$((T_FAILED + 1))
    echo "not ok $T_N - $1"
    echo "#   $2"
    t_diag
}

expect_ok() {
    if [ "$RC" -ne 0 ]; then
        t_not_ok "$1" "expected exit code 0"
    elif [ -s "$ERR" ]; then
        t_not_ok "$1" "expected nothing on stderr"
    else
        t_ok "$1"
    fi
}

expect_rc() {
    if [ "$RC" -eq "$1" ]; then
        t_ok "$2"
    else
        t_not_ok "$2" "expected exit code $1"
    fi
}

expect_out_line() {
    if grep -Eq -- "$1" "$OUT"; then
        t_ok "$2"
    else
        t_not_ok "$2" "no stdout line matches /$1/"
    fi
}

expect_out_has() {
    if grep -Fq -- "$1" "$OUT"; then
        t_ok "$2"
    else
        t_not_ok "$2" "stdout lacks '$1'"
    fi
}

# expect_err DESC CODE FRAGMENT
expect_err() {
    lines=$(wc -l <"$ERR" | tr -d ' ')
    first=$(sed -n 1p "$ERR")
    case $first in
        "$ERR_PREFIX"*) has_prefix=1 ;;
        *) has_prefix=0 ;;
    esac
    if [ "$RC" -ne "$2" ]; then
        t_not_ok "$1" "expected exit code $2"
    elif [ "$lines" -ne 1 ]; then
        t_not_ok "$1" "expected one line on stderr, got $lines"
    elif [ "$has_prefix" -ne 1 ]; then
        t_not_ok "$1" "stderr does not start with '$ERR_PREFIX'"
    elif ! grep -Fq -- "$3" "$ERR"; then
        t_not_ok "$1" "stderr lacks '$3'"
    elif [ -s "$OUT" ]; then
        t_not_ok "$1" "expected nothing on stdout"
    else
        t_ok "$1"
    fi
}

# expect_file FILE TEXT DESC
expect_file() {
    if [ ! -f "$1" ]; then
        t_not_ok "$3" "no file $1"
        return
    fi
    printf '%s\n' "$2" >"$T_TMP/expected"
    if cmp -s "$T_TMP/expected" "$1"; then
        t_ok "$3"
    else
        t_not_ok "$3" "$1 differs from the expected text (- expected, + actual):"
        diff -u "$T_TMP/expected" "$1" | sed -n '3,40s/^/#   /p'
    fi
}

expect_same() {
    if [ -f "$1" ] && [ -f "$2" ] && cmp -s "$1" "$2"; then
        t_ok "$3"
    else
        t_not_ok "$3" "$1 and $2 differ (or are missing)"
        [ -f "$1" ] && [ -f "$2" ] && diff -u "$1" "$2" | sed -n '3,20s/^/#   /p'
    fi
}

expect_absent() {
    if [ -e "$1" ]; then
        t_not_ok "$2" "$1 exists"
    else
        t_ok "$2"
    fi
}

check() {
    desc=$1
    shift
    if "$@"; then
        t_ok "$desc"
    else
        t_not_ok "$desc" "check failed: $*"
    fi
}

value() {
    sed -n "s/^$1: *//p" "$OUT" | sed -n 1p
}

done_testing() {
    echo "# $T_N checks, $T_FAILED failed"
    [ "$T_FAILED" -eq 0 ] || exit 1
    exit 0
}

need_grregress() {
    LC_ALL=C
    export LC_ALL
    if [ -z "${GRREGRESS:-}" ] || [ ! -x "$GRREGRESS" ]; then
        echo "Bail out! GRREGRESS (${GRREGRESS:-unset}) is not an executable grregress"
        exit 99
    fi
}
