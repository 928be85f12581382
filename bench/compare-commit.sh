#!/bin/bash
# Compares builds of converge on `converge bench commit` at 16 clients, alternating them so that a
# host that speeds up or slows down during the comparison affects each alike. Each run warms up for
# WARMUP seconds (JavaScriptCore compiling the hot code of every pooled context), then measures
# SECONDS; in the middle of that, `perf stat` counts the cluster's and the harness's processes for
# half of it. Per run it prints mutations/s and, per mutation, CPU time, instructions and context
# switches of all those processes together; then the medians.
# CPU per mutation moves less than mutations/s on a shared host; instructions move least.
#
#   bench/compare-commit.sh [-r ROUNDS] [-s SECONDS] [-w WARMUP] NAME=PATH/TO/converge NAME=PATH/TO/converge ...
#
# Keep a build to compare with: copy .build/release/converge together with the
# .build/release/*.resources directories next to it (the binary finds its bench app there).
set -euo pipefail
rounds=3 seconds=12 warmup=10
while getopts "r:s:w:" option; do
  case $option in r) rounds=$OPTARG ;; s) seconds=$OPTARG ;; w) warmup=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r ROUNDS] [-s SECONDS] [-w WARMUP] NAME=BINARY ..." >&2; exit 2; }
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
window=$(python3 -c "print(max(1, $seconds / 2))")
for round in $(seq 1 "$rounds"); do
  for build in "$@"; do
    name=${build%%=*} binary=${build#*=}
    "$binary" bench commit --commit-clients 16 --seconds "$seconds" --warmup "$warmup" --output "$work" >"$work/out" 2>&1 &
    bench=$!
    # The warm-up starts once serve is up and the sockets are open.
    until grep -q "warm-up" "$work/out" 2>/dev/null; do sleep 0.2; done
    sleep "$(python3 -c "print($warmup + $seconds / 4)")"
    pids=$( (pgrep -f "converge (storage|coordinator|runner) " || true; echo "$bench") | paste -sd, -)
    perf stat -x, -e task-clock,instructions,context-switches -p "$pids" -o "$work/stat" -- sleep "$window" >/dev/null 2>&1
    wait "$bench"
    while pgrep -f "converge (storage|coordinator|runner) " >/dev/null; do sleep 0.2; done
    rate=$(grep '^| 16 clients' "$work/out" | cut -d'|' -f4 | tr -d ' ')
    mutations=$(python3 -c "print($rate * $window)")
    cpu=$(grep task-clock "$work/stat" | cut -d, -f1)
    # Some virtual machines count no instructions ("<not supported>"): that column is then nan.
    instructions=$(grep instructions "$work/stat" | cut -d, -f1 | sed 's/^<.*>$/float("nan")/')
    switches=$(grep context-switches "$work/stat" | cut -d, -f1)
    echo "$name $rate $(python3 -c "print(f'{$cpu * 1000 / $mutations:.0f} {$instructions / 1000 / $mutations:.0f} {$switches / $mutations:.1f}')")" | tee -a "$work/runs"
  done
done
"$(dirname "$0")/medians.py" "$work/runs" \
  "build: median mutations/s, CPU µs / mutation, kilo-instructions / mutation, context switches / mutation" \
  "{0:.0f} /s, {1:.0f} µs, {2:.0f} k, {3:.1f}"
