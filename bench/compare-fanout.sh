#!/bin/bash
# Compares builds of converge on `converge bench fanout` at 1,000 subscribers, alternating them so
# that a host that speeds up or slows down during the comparison affects each alike. Each run
# delivers ROUNDS writes; in the middle, `perf stat` counts the coordinator, the rest of the cluster
# and the harness for WINDOW seconds, and the coordinator's query-cache lookups (one per delivery)
# count the deliveries meanwhile. Per run it prints p99, deliveries/s while delivering, and CPU µs
# per delivery of each; then the medians.
#
#   bench/compare-fanout.sh [-r RUNS] [-n ROUNDS] [-w WINDOW] NAME=PATH/TO/converge NAME=PATH/TO/converge ...
#
# Keep a build to compare with as for compare-commit.sh: the binary with its *.resources beside it.
set -euo pipefail
runs=3 rounds=1000 window=4
while getopts "r:n:w:" option; do
  case $option in r) runs=$OPTARG ;; n) rounds=$OPTARG ;; w) window=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r RUNS] [-n ROUNDS] [-w WINDOW] NAME=BINARY ..." >&2; exit 2; }
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lookups() { curl -s -m 5 "$1/metrics" | awk '/^converge_query_cache_lookups_total/ { print $2 }'; }
cpu_ms() { awk -F, '/task-clock/ { print $1 }' "$1"; }
for run in $(seq 1 "$runs"); do
  for build in "$@"; do
    name=${build%%=*} binary=${build#*=}
    "$binary" bench fanout --fanout-subscribers 1000 --fanout-rounds "$rounds" --output "$work" >"$work/out" 2>&1 &
    bench=$!
    until grep -q "1000 subscribers: 2 s" "$work/out" 2>/dev/null; do
      kill -0 "$bench" 2>/dev/null || { echo "$name: the run ended early:" >&2; tail -5 "$work/out" >&2; exit 1; }
      sleep 0.2
    done
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/out" | head -1)
    coordinator=$(pgrep -f "converge coordinator ")
    others=$(pgrep -f "converge (storage|runner) " | paste -sd, -)
    before=$(lookups "$url")
    perf stat -x, -e task-clock -p "$coordinator" -o "$work/coordinator" -- sleep "$window" >/dev/null 2>&1 &
    perf stat -x, -e task-clock -p "$others" -o "$work/others" -- sleep "$window" >/dev/null 2>&1 &
    perf stat -x, -e task-clock -p "$bench" -o "$work/harness" -- sleep "$window" >/dev/null 2>&1
    wait %2 %3 2>/dev/null || true
    after=$(lookups "$url")
    wait "$bench"
    # The next run starts once this run's cluster is gone, so the process lookups find only its own.
    while pgrep -f "converge (storage|coordinator|runner) " >/dev/null; do sleep 0.2; done
    # The deployment's row and figures come first, then the bare server's.
    p99=$(grep '^| 1000 subscribers |' "$work/out" | cut -d'|' -f8 | tr -d ' ')
    rate=$(grep -o 'deliveries/s while delivering [0-9.]*' "$work/out" | head -1 | awk '{ print $4 }')
    echo "$name $p99 $rate $(python3 -c "
d = $after - $before
print(*(round(ms * 1000 / d, 1) for ms in ($(cpu_ms "$work/coordinator"), $(cpu_ms "$work/others"), $(cpu_ms "$work/harness"))))")" | tee -a "$work/runs"
  done
done
"$(dirname "$0")/medians.py" "$work/runs" \
  "build: median p99 ms, deliveries/s while delivering, CPU µs / delivery: coordinator, storage + runners, harness" \
  "{0:.1f} ms, {1:.0f} /s, {2:.1f} + {3:.1f} + {4:.1f} µs"
