#!/usr/bin/env bash
# End-to-end speed and memory of `eventscope check` on a generated trace, side by side with
# `jq -c . FILE > /dev/null` on the same file. Prints figures; asserts nothing (shared machines
# are noisy). Usage: benches/check_vs_jq.sh [EVENTS] [RUNS]   (defaults: 1,000,000 events, 5 runs)
#
# check runs RUNS times back to back and the best and median are shown: on this project's VMs the
# kernel time to fault in fresh memory varies from 0.1 s to 1.5 s between runs (host-side memory
# reclaim), which is noise, not work.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
runs=${2:-5}
dir=${BENCH_DIR:-target/bench-data}
mkdir -p "$dir"
trace="$dir/gen-$events.jsonl"
command -v jq >/dev/null || { echo "jq is needed: apt-get install -y jq" >&2; exit 2; }
cargo build --release --quiet
bin=target/release/eventscope
[ -f "$trace" ] || "$bin" gen --events "$events" --seed 1 --faults dup=0.001,reorder=0.001,drop=0.001,poison=0.0005 --out "$trace"
size=$(stat -L -c %s "$trace")
cat "$trace" > /dev/null  # warm the page cache for both tools

measure() { # prints "seconds user_s sys_s max_rss_kb"
  /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -n 1
}
results=()
for _ in $(seq "$runs"); do results+=("$(measure "$bin" check "$trace" || true)"); done
read -r jq_s _ _ jq_kb < <(measure jq -c . "$trace")
printf '%s\n' "${results[@]}" | sort -n | awk -v n="$events" -v size="$size" -v jq="$jq_s" -v jqkb="$jq_kb" '
  { s[NR] = $1; u[NR] = $2; k[NR] = $3; if ($4 > rss) rss = $4 }
  END {
    best = s[1]; med = s[int((NR + 1) / 2)]
    printf "trace: %d events, %.0f MB (%.0f bytes/event)\n", n, size/1e6, size/n
    printf "eventscope check, %d runs: best %.2f s (%.0f events/s), median %.2f s (%.0f events/s)\n", NR, best, n/best, med, n/med
    printf "  best run: %.2f s user + %.2f s sys; peak RSS %.0f MB = %.2f x the file size\n", u[1], k[1], rss/1024, rss*1024/size
    printf "jq -c . > /dev/null: %.2f s (%.0f events/s), peak RSS %.0f MB\n", jq, n/jq, jqkb/1024
    printf "check is %.1fx (best) / %.1fx (median) faster than jq\n", jq/best, jq/med
  }'
