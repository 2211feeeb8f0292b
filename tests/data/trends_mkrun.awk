# trends_mkrun.awk - make run k of a synthetic history from the fixture
# run tests/data/regress_base.json (used by tests/cli/trends.sh).
#
# Every sample and every scaled statistic of benchmark b is multiplied by
# level(b, k) * exp(noise * N(0, 1)), so the stats block stays consistent
# with the samples (they scale together) and the file stays valid.  The
# commit (sha, short, date) and the start/finish times are those of run k.
# level(b, k) = size ^ (steps passed by run k) for b == which (steps at
# runs step, step + every, ... nsteps of them), else 1.  The noise comes
# from a Park-Miller generator (same numbers with every awk).
#
#   awk -v k=K -v which=B -v step=S -v size=X -v nsteps=N -v every=E \
#       -v noise=SD -v seed=SEED -f trends_mkrun.awk regress_base.json
function uni() {
    rng = (rng * 16807) % 2147483647
    return rng / 2147483647
}
function gauss(   i, s) {
    s = 0
    for (i = 0; i < 12; i++)
        s += uni()
    return s - 6
}
function scale(line,   at, pre, num, post) {
    at = index(line, ":")
    if (!match(substr(line, at + 1), /-?[0-9][0-9.eE+-]*/))
        return line
    pre = substr(line, 1, at + RSTART - 1)
    num = substr(line, at + RSTART, RLENGTH)
    post = substr(line, at + RSTART + RLENGTH)
    return pre sprintf("%.12g", num * f) post
}
BEGIN {
    rng = (seed * 7919 + k * 104729) % 2147483647
    if (rng <= 0) rng = 1
    for (i = 0; i < 5; i++) uni()
    b = -1
    sha = sprintf("%08x", (k * 2654435761 + seed) % 4294967296)
    hour = k % 24
    day = 1 + int(k / 24)
    when = sprintf("2026-10-%02dT%02d:00:00Z", day, hour)
}
/^   "name": / {
    b++
    lv = 1
    if (b == which) {
        for (s = 0; s < nsteps; s++)
            if (k >= step + s * every) lv *= size
    }
    f = lv * exp(noise * gauss())
}
/"samples": \[/ { insamples = 1; print; next }
/"ci_median": \[/ { inci = 1; print; next }
/^ *\]/ { insamples = 0; inci = 0 }
/"sha": "/ { sub(/"[0-9a-f]+"/, "\"" sha "00000000000000000000000000000000\"") }
/"short": "/ { sub(/"[0-9a-f]+"/, "\"" substr(sha, 1, 7) "\"") }
/"date": "/ { sub(/"[0-9TZ:-]+"/, "\"" when "\"") }
/"started": "|"finished": "/ { sub(/: "[0-9TZ:-]+"/, ": \"" when "\"") }
{
    if (insamples || inci || $0 ~ /"(min|max|median|mean|stddev|mad|p95|p99)": /)
        print scale($0)
    else
        print
}
