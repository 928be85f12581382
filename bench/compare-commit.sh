#!/bin/bash
# Compares builds of converge on `converge bench commit` at 16 clients, alternating them so that a
# host that speeds up or slows down during the comparison affects each alike. Per run it prints
# mutations/s and, for the whole process tree (harness, serve and its children, start-up included),
# CPU time, instructions and context switches per mutation, from `perf stat`; then the medians.
# CPU per mutation moves less than mutations/s on a shared host; instructions move least.
# The runs have no warm-up (perf counts the whole run, so it would count the warm-up's mutations'
# CPU against the measured ones): they include the JavaScript engine compiling its hot code.
#
#   bench/compare-commit.sh [-r ROUNDS] [-s SECONDS] NAME=PATH/TO/converge NAME=PATH/TO/converge ...
#
# Keep a build to compare with: copy .build/release/converge together with the
# .build/release/*.resources directories next to it (the binary finds its bench app there).
set -euo pipefail
rounds=3 seconds=8
while getopts "r:s:" option; do
  case $option in r) rounds=$OPTARG ;; s) seconds=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r ROUNDS] [-s SECONDS] NAME=BINARY ..." >&2; exit 2; }
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for round in $(seq 1 "$rounds"); do
  for build in "$@"; do
    name=${build%%=*} binary=${build#*=}
    output=$(perf stat -x, -e task-clock,instructions,context-switches -o "$work/stat" \
      "$binary" bench commit --commit-clients 16 --seconds "$seconds" --warmup 0 --output "$work" 2>&1)
    row=$(grep '^| 16 clients' <<<"$output")
    ops=$(cut -d'|' -f3 <<<"$row" | tr -d ' ') rate=$(cut -d'|' -f4 <<<"$row" | tr -d ' ')
    cpu=$(grep task-clock "$work/stat" | cut -d, -f1)
    instructions=$(grep instructions "$work/stat" | cut -d, -f1)
    switches=$(grep context-switches "$work/stat" | cut -d, -f1)
    echo "$name $rate $(python3 -c "print(round($cpu * 1000 / $ops), round($instructions / 1000 / $ops), round($switches / $ops, 1))")" | tee -a "$work/runs"
  done
done
python3 - "$work/runs" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, *values = line.split()
    runs[name].append([float(v) for v in values])
print("build: median mutations/s, CPU µs / mutation, kilo-instructions / mutation, context switches / mutation")
for name, rows in runs.items():
    columns = [statistics.median(column) for column in zip(*rows)]
    print(f"{name}: {columns[0]:.0f} /s, {columns[1]:.0f} µs, {columns[2]:.0f} k, {columns[3]:.1f}")
PY
