#!/usr/bin/env bash
# What flow variants cost `check`: on a generated trace, `check --no-unusual` (no variants kept,
# no unusual_flow: the analysis before variants), `check` (variants kept per event, flows judged
# and unusual_flow at the end) and `variants` (the same analysis plus the per-variant report),
# run interleaved RUNS times; prints best and median of each and the overhead of the medians.
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

measure() { # prints "seconds max_rss_kb"
  /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1
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
  read -r best med rss < <(printf '%s' "${all[$l]}" | sort -n | awk '
    { s[NR] = $1; if ($2 > rss) rss = $2 } END { print s[1], s[int((NR + 1) / 2)], rss }')
  median[$l]=$med
  awk -v l="$l" -v b="$best" -v m="$med" -v r="$rss" -v n="$events" 'BEGIN {
    printf "%-20s best %.2f s, median %.2f s (%.0f events/s), peak RSS %.0f MB\n", l, b, m, n/m, r/1024 }'
done
awk -v a="${median["check --no-unusual"]}" -v b="${median["check"]}" -v c="${median["variants"]}" 'BEGIN {
  printf "variants add %+.1f%% to check (medians: check with variants and unusual_flow vs --no-unusual); the variants report %+.1f%%\n", 100*(b-a)/a, 100*(c-a)/a }'
"$bin" check "$trace" | tail -n 2
