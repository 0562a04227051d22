#!/usr/bin/env bash
# End-to-end speed and memory of `eventscope check` on a generated trace, side by side with
# `jq -c . FILE > /dev/null` on the same file. Prints figures; asserts nothing (shared machines
# are noisy). Usage: benches/check_vs_jq.sh [EVENTS]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
dir=${BENCH_DIR:-target/bench-data}
mkdir -p "$dir"
trace="$dir/gen-$events.jsonl"
command -v jq >/dev/null || { echo "jq is needed: apt-get install -y jq" >&2; exit 2; }
cargo build --release --quiet
bin=target/release/eventscope
[ -f "$trace" ] || "$bin" gen --events "$events" --seed 1 --faults dup=0.001,reorder=0.001,drop=0.001,poison=0.0005 --out "$trace"
size=$(stat -c %s "$trace")
cat "$trace" > /dev/null  # warm the page cache for both tools

measure() { # prints "seconds max_rss_kb"
  /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -n 1
}
read -r es_s es_kb < <(measure "$bin" check "$trace" || true)
read -r jq_s jq_kb < <(measure jq -c . "$trace")
awk -v n="$events" -v size="$size" -v es="$es_s" -v eskb="$es_kb" -v jq="$jq_s" -v jqkb="$jq_kb" 'BEGIN {
  printf "trace: %d events, %.0f MB (%.0f bytes/event)\n", n, size/1e6, size/n
  printf "eventscope check: %6.2f s  %9.0f events/s  peak RSS %5.0f MB (%.2f x file size)\n", es, n/es, eskb/1024, eskb*1024/size
  printf "jq -c .         : %6.2f s  %9.0f events/s  peak RSS %5.0f MB\n", jq, n/jq, jqkb/1024
  printf "check is %.1fx faster than jq\n", jq/es
}'
