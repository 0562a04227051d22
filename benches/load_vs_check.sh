#!/usr/bin/env bash
# The window's load of a trace next to `check` on the same file (issue 12): generates EVENTS
# events with `eventscope gen`, runs `check` RUNS times, then opens the file in the real window
# RUNS times under Xvfb with EVENTSCOPE_EXIT_WHEN_LOADED=1 (the window prints its counts and its
# load time, then closes, once the file is loaded and every view is up to date). Prints wall and
# CPU time (user + system) of both, their ratio, and peak RSS over the file size. Asserts only
# that the window ends with check's events, flows and anomalies (shared machines are noisy).
# Usage: benches/load_vs_check.sh [EVENTS] [RUNS]   (defaults: 1,000,000 events, 3 runs)
# BIN=path uses that eventscope (a release build with the window) instead of building one.
# The window runs on $DISPLAY when it is set, else on an Xvfb started here (XVFB_DISPLAY, :97).
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
runs=${2:-3}
dir=${BENCH_DIR:-target/bench-data}
mkdir -p "$dir"
trace="$dir/gen-$events.jsonl"
command -v Xvfb >/dev/null || [ -n "${DISPLAY:-}" ] || { echo "Xvfb is needed: apt-get install -y xvfb" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin eventscope
fi
bin=${BIN:-target/release/eventscope}
[ -f "$trace" ] || "$bin" gen --events "$events" --seed 1 --faults dup=0.001,reorder=0.001,drop=0.001,poison=0.0005 --out "$trace"
size=$(stat -L -c %s "$trace")
cat "$trace" > /dev/null  # warm the page cache for both

if [ -z "${DISPLAY:-}" ]; then
  export DISPLAY=${XVFB_DISPLAY:-:97}
  Xvfb "$DISPLAY" -screen 0 1600x1000x24 >/dev/null 2>&1 &
  xvfb=$!
  trap 'kill $xvfb' EXIT
  sleep 1
fi

# Runs "$@" and prints "wall_s cpu_s max_rss_kb" (and the command's stdout to $out).
out=$(mktemp)
measure() {
  /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@" >"$out" 2>/dev/null || true
  tail -n 1 "$out.time" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }'
}

check_counts=$("$bin" check --format json "$trace" | tail -n 1 | python3 -c 'import json, sys
s = json.load(sys.stdin)["summary"]
print(s["events"], s["flows"], s["anomalies"])' || true)

check_runs=()
for _ in $(seq "$runs"); do check_runs+=("$(measure "$bin" check "$trace")"); done
window_runs=()
for _ in $(seq "$runs"); do
  window_runs+=("$(EVENTSCOPE_EXIT_WHEN_LOADED=1 measure "$bin" "$trace")")
  line=$(grep '^loaded ' "$out" || true)
  [ -n "$line" ] || { echo "the window did not report a finished load" >&2; exit 1; }
  got=$(echo "$line" | sed -E 's/^loaded ([0-9]+) events, ([0-9]+) flows, ([0-9]+) anomalies.*/\1 \2 \3/')
  [ "$got" = "$check_counts" ] || { echo "window counts $got differ from check's $check_counts" >&2; exit 1; }
  window_runs[-1]+=" $(echo "$line" | sed -E 's/.* in ([0-9.]+) s$/\1/')"
done
rm -f "$out" "$out.time"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { local i=$1; shift; printf '%s\n' "$@" | awk -v i="$i" '{ print $i }'; }
max() { sort -n | tail -n 1; }
cw=$(col 1 "${check_runs[@]}" | median); cc=$(col 2 "${check_runs[@]}" | median)
ck=$(col 3 "${check_runs[@]}" | max)
ww=$(col 1 "${window_runs[@]}" | median); wc=$(col 2 "${window_runs[@]}" | median)
wk=$(col 3 "${window_runs[@]}" | max); wl=$(col 4 "${window_runs[@]}" | median)
awk -v n="$events" -v size="$size" -v runs="$runs" -v counts="$check_counts" \
  -v cw="$cw" -v cc="$cc" -v ck="$ck" -v ww="$ww" -v wc="$wc" -v wk="$wk" -v wl="$wl" 'BEGIN {
  split(counts, c, " ")
  printf "trace: %d events, %.0f MB; check and the window both end with %d events, %d flows, %d anomalies\n", n, size / 1e6, c[1], c[2], c[3]
  printf "medians of %d runs (peak RSS: the largest run)\n", runs
  printf "%-34s %8s %8s %10s %8s\n", "", "wall s", "CPU s", "peak MB", "x file"
  printf "%-34s %8.2f %8.2f %10.0f %8.2f\n", "check", cw, cc, ck / 1024, ck * 1024 / size
  printf "%-34s %8.2f %8.2f %10.0f %8.2f\n", "window (process, until it closed)", ww, wc, wk / 1024, wk * 1024 / size
  printf "%-34s %8.2f\n", "window (load, as it reports it)", wl
  printf "window / check: wall %.2fx, CPU %.2fx (target <= 1.5x); peak RSS %.2fx the file (target <= 1x)\n", ww / cw, wc / cc, wk * 1024 / size
}'
