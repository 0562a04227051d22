#!/usr/bin/env bash
# What flow variants cost `check`: on a generated trace, `check --no-unusual` (no variants kept,
# no unusual_flow: the analysis before variants), `check` (variants kept per event, flows judged
# and unusual_flow at the end) and `variants` (the same analysis plus the per-variant report),
# run interleaved RUNS times; prints best and median wall time and CPU time (user + sys: less
# disturbed than wall time when other work shares the cores) of each, and the overhead of the
# median CPU times.
# When valgrind is installed it also counts the instructions each of `check --no-unusual` and
# `check` executes (cachegrind, no cache simulation): a figure that does not move when other work
# shares the cores, though it leaves out the time cache misses cost.
# Target (issue 15): variants add at most 10% to check's time on 1M events. Asserts nothing
# (shared machines are noisy); the figures are the result.
# Usage: benches/variants.sh [EVENTS] [RUNS]   (defaults: 1,000,000 events, 5 runs)
# BIN=path uses that eventscope instead of building a headless release one.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
runs=${2:-5}
dir=${BENCH_DIR:-target/bench-data}
mkdir -p "$dir"
trace="$dir/gen-variants-$events.jsonl"
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --no-default-features --bin eventscope --target-dir target/headless
fi
bin=${BIN:-target/headless/release/eventscope}
[ -f "$trace" ] || "$bin" gen --events "$events" --seed 1 --faults dup=0.001,skip=0.005 --out "$trace"
cat "$trace" > /dev/null  # warm the page cache

measure() { # prints "seconds cpu_seconds max_rss_kb"
  /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -n 1 | awk '{print $1, $2 + $3, $4}'
}
declare -A all
labels=("check --no-unusual" "check" "variants")
for _ in $(seq "$runs"); do
  all["check --no-unusual"]+="$(measure "$bin" check --no-unusual "$trace")"$'\n'
  all["check"]+="$(measure "$bin" check "$trace")"$'\n'
  all["variants"]+="$(measure "$bin" variants "$trace")"$'\n'
done
echo "trace: $events events, $(stat -L -c %s "$trace" | awk '{printf "%.0f MB", $1/1e6}'), $runs runs each, interleaved"
declare -A median
for l in "${labels[@]}"; do
  runs_of_l=$(printf '%s' "${all[$l]}")
  read -r best med < <(echo "$runs_of_l" | awk '{print $1}' | sort -n | awk '{ s[NR] = $1 } END { print s[1], s[int((NR + 1) / 2)] }')
  read -r cbest cmed < <(echo "$runs_of_l" | awk '{print $2}' | sort -n | awk '{ s[NR] = $1 } END { print s[1], s[int((NR + 1) / 2)] }')
  rss=$(echo "$runs_of_l" | awk '$3 > r { r = $3 } END { print r }')
  median[$l]=$cmed
  awk -v l="$l" -v b="$best" -v m="$med" -v cb="$cbest" -v cm="$cmed" -v r="$rss" -v n="$events" 'BEGIN {
    printf "%-20s wall best %.2f s, median %.2f s (%.0f events/s); CPU best %.2f s, median %.2f s; peak RSS %.0f MB\n", l, b, m, n/m, cb, cm, r/1024 }'
done
awk -v a="${median["check --no-unusual"]}" -v b="${median["check"]}" -v c="${median["variants"]}" 'BEGIN {
  printf "variants add %+.1f%% to check'"'"'s CPU time (medians: check with variants and unusual_flow vs --no-unusual); the variants command %+.1f%%\n", 100*(b-a)/a, 100*(c-a)/a }'
if command -v valgrind > /dev/null; then
  instructions() { # the instructions one run executes, all threads
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/stdout "$@" 2>/dev/null |
      awk '/^summary:/ { print $2 }'
  }
  a=$(instructions "$bin" check --no-unusual "$trace")
  b=$(instructions "$bin" check "$trace")
  awk -v a="$a" -v b="$b" 'BEGIN {
    printf "instructions: check --no-unusual %.3e, check %.3e: variants add %+.1f%%\n", a, b, 100*(b-a)/a }'
fi
"$bin" check "$trace" | tail -n 2
