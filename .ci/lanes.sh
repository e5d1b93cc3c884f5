#!/usr/bin/env bash
# Usage: .ci/lanes.sh [-j JOBS] LANE...     (LANE: main, af-3.1.8, af-3.2.2, latest, wheel)
#
# Runs CI lanes, JOBS at a time (default 1: one after the other, in the order given), each with
# its output in build/ci/LANE.log.  The first lane's output is streamed (every lane's when JOBS is
# 1); the others' logs are printed whole once all lanes are done.  Then a table of each lane's
# result, wall time and CPU time; the exit status is non-zero when any lane failed.  A lane is a
# command: see lane_command below.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=1
if [ "${1:-}" = "-j" ]; then JOBS=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [-j JOBS] LANE..." >&2; exit 2; }
LOGS="$ROOT/build/ci"
mkdir -p "$LOGS"

lane_command() {
    case "$1" in
        # README's test command (lint, mypy, every tier); --durations: the slowest tests in the log.
        main) echo "make test PYTEST_ARGS=--durations=30" ;;
        af-*) echo "bash .ci/lane-airflow.sh ${1#af-}" ;;
        latest) echo "bash .ci/lane-latest.sh" ;;
        wheel) echo "bash .ci/lane-wheel.sh" ;;
        *) return 1 ;;
    esac
}
for lane in "$@"; do
    lane_command "$lane" >/dev/null || { echo "lanes: unknown lane '$lane'" >&2; exit 2; }
done

# run_lane LANE STREAM: runs it (its output also on stdout when STREAM is 1), writing
# "rc wall_s cpu_s" to build/ci/LANE.result.
run_lane() {
    local lane=$1 stream=$2 start rc=0 cpu
    start=$(date +%s)
    if [ "$stream" -eq 1 ]; then
        (set -o pipefail; bash -c "$(lane_command "$lane"); rc=\$?; times >&3; exit \$rc" 3>"$LOGS/$lane.times" 2>&1 \
            | tee "$LOGS/$lane.log") || rc=$?
    else
        bash -c "$(lane_command "$lane"); rc=\$?; times >&3; exit \$rc" 3>"$LOGS/$lane.times" \
            >"$LOGS/$lane.log" 2>&1 || rc=$?
    fi
    # `times` line 2: CPU of every process the lane waited for (user, system).
    cpu=$(sed -n 2p "$LOGS/$lane.times" | awk '{
        n = 0; for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); n += t[1] * 60 + t[2] } printf "%d", n }')
    echo "$rc $(( $(date +%s) - start )) ${cpu:-0}" > "$LOGS/$lane.result"
    echo "lanes: $lane ended at $(date +%T), exit $rc (log: build/ci/$lane.log)"
}

START=$(date +%s)
for lane in "$@"; do rm -f "$LOGS/$lane.result"; done
first=1
for lane in "$@"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
    echo "lanes: starting $lane ($(lane_command "$lane")) at $(date +%T)"
    if [ "$JOBS" -eq 1 ] || [ "$first" -eq 1 ]; then run_lane "$lane" 1 & else run_lane "$lane" 0 & fi
    first=0
done
wait
if [ "$JOBS" -ne 1 ]; then
    for lane in "${@:2}"; do
        echo; echo "===== lane $lane: build/ci/$lane.log ====="
        cat "$LOGS/$lane.log"
    done
fi

failed=0
printf '\n%-10s %-7s %9s %9s\n' lane result wall cpu
for lane in "$@"; do
    read -r rc wall cpu < "$LOGS/$lane.result" || { rc=1; wall=0; cpu=0; }
    [ "$rc" -eq 0 ] && result=ok || { result="FAIL($rc)"; failed=1; }
    printf '%-10s %-7s %6dm%02ds %6dm%02ds\n' "$lane" "$result" $((wall / 60)) $((wall % 60)) \
        $((cpu / 60)) $((cpu % 60))
done
total=$(( $(date +%s) - START ))
printf '%-10s %-7s %6dm%02ds   (%d at a time)\n' total "" $((total / 60)) $((total % 60)) "$JOBS"
exit "$failed"
