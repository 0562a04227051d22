#!/usr/bin/env bash
# End-to-end speed and memory of `eventscope check` on a generated trace, side by side with
# `jq -c . FILE > /dev/null` and with DuckDB computing check's duplicate, out-of-order and
# orphan counts in SQL (benches/duckdb_counts.py; the counts must equal check's). Prints figures;
# asserts nothing but the equal counts (shared machines are noisy).
# Usage: benches/check_vs_jq.sh [EVENTS] [RUNS]   (defaults: 1,000,000 events, 5 runs)
# BIN=path uses that eventscope instead of building one; OLD_BIN=path also measures an older
# build in the same run (e.g. a worktree of an earlier commit built with `cargo build --release`).
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
python3 -c "import duckdb" 2>/dev/null || { echo "DuckDB is needed: pip install duckdb" >&2; exit 2; }
# check needs no window: a headless release build (no egui, no librdkafka) builds in minutes.
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --no-default-features --bin eventscope --target-dir target/headless
fi
bin=${BIN:-target/headless/release/eventscope}
[ -f "$trace" ] || "$bin" gen --events "$events" --seed 1 --faults dup=0.001,reorder=0.001,drop=0.001,poison=0.0005 --out "$trace"
size=$(stat -L -c %s "$trace")
cat "$trace" > /dev/null  # warm the page cache for both tools

measure() { # prints "seconds user_s sys_s max_rss_kb"
  /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -n 1
}
# check's counts of the three kinds DuckDB computes, from its JSON summary.
counts() {
  # (check exits 1 when it finds errors: that is a result here, not a failure)
  { "$1" check --format json "$trace" || true; } | tail -n 1 | python3 -c 'import json,sys
k = json.load(sys.stdin)["summary"]["by_kind"]
print(" ".join(str(k.get(x, 0)) for x in ("duplicate", "out_of_order", "orphan_cause")))'
}
read -r duck_line < <(python3 benches/duckdb_counts.py "$trace")
duck_counts=$(echo "$duck_line" | sed -E 's/.*duplicate ([0-9]+), out_of_order ([0-9]+), orphan_cause ([0-9]+).*/\1 \2 \3/')
duck_s=$(echo "$duck_line" | sed -E 's/.* in ([0-9.]+) s.*/\1/')
check_counts=$(counts "$bin")
[ "$duck_counts" = "$check_counts" ] || { echo "counts differ: duckdb $duck_counts, check $check_counts" >&2; exit 1; }
read -r jq_s _ _ jq_kb < <(measure jq -c . "$trace")
report() { # $1 label, then the runs
  local label=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v label="$label" -v n="$events" -v size="$size" -v jq="$jq_s" -v duck="$duck_s" '
  { s[NR] = $1; u[NR] = $2; k[NR] = $3; if ($4 > rss) rss = $4 }
  END {
    best = s[1]; med = s[int((NR + 1) / 2)]
    printf "%s, %d runs: best %.2f s (%.0f events/s), median %.2f s (%.0f events/s)\n", label, NR, best, n/best, med, n/med
    printf "  best run: %.2f s user + %.2f s sys; peak RSS %.0f MB = %.2f x the file size\n", u[1], k[1], rss/1024, rss*1024/size
    printf "  median: %.1fx faster than jq, %.1fx faster than DuckDB\n", jq/med, duck/med
  }'
}
runs_of() { local r=(); for _ in $(seq "$runs"); do r+=("$(measure "$1" check "$trace" || true)"); done; printf '%s\n' "${r[@]}"; }
awk -v n="$events" -v size="$size" -v jq="$jq_s" -v jqkb="$jq_kb" -v duck="$duck_s" -v c="$duck_counts" 'BEGIN {
  printf "trace: %d events, %.0f MB (%.0f bytes/event)\n", n, size/1e6, size/n
  printf "jq -c . > /dev/null: %.2f s (%.0f events/s), peak RSS %.0f MB\n", jq, n/jq, jqkb/1024
  printf "DuckDB (read_json + three queries; duplicate, out_of_order, orphan_cause = %s, as check): %.2f s\n", c, duck
}'
mapfile -t new_runs < <(runs_of "$bin")
report "eventscope check" "${new_runs[@]}"
if [ -n "${OLD_BIN:-}" ]; then
  mapfile -t old_runs < <(runs_of "$OLD_BIN")
  report "eventscope check (OLD_BIN)" "${old_runs[@]}"
fi
