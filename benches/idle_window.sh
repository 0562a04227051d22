#!/usr/bin/env bash
# Idle is idle, in the real window: the release app under Xvfb with a trace loaded and a flow's
# graph on screen, then 10 s with no input and no new data. Prints the CPU time the process used
# in those 10 s next to what 20 frames cost (20 mouse moves over the graph, each one frame), so
# the idle figure reads as a number of frames. tests/gui_graphs.rs asserts the same (no frame
# asks for another) on egui's repaint requests; this is the whole window with its GL painter.
# Usage: benches/idle_window.sh [DISPLAY]   (default :105; BIN=path uses that eventscope)
set -euo pipefail
cd "$(dirname "$0")/.."
display=${1:-:105}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin eventscope
fi
bin=${BIN:-target/release/eventscope}
dir=$(mktemp -d)
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" gen --events 20000 --seed 1 --out "$dir/trace.jsonl" 2>/dev/null
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp &
xvfb=$!
sleep 1
# A fresh settings directory: panel sizes from other runs do not move the rows clicked below.
XDG_DATA_HOME="$dir" HOME="$dir" DISPLAY="$display" "$bin" "$dir/trace.jsonl" &
app=$!
sleep 10
ticks() { awk '{ print $14 + $15 }' "/proc/$app/stat"; }
# The first row of the flows table, then the pointer over the graph and left alone.
DISPLAY="$display" xdotool mousemove 120 118 click 1
sleep 0.5
DISPLAY="$display" xdotool mousemove 800 500
sleep 1
hz=$(getconf CLK_TCK)
t0=$(ticks)
sleep 10
t1=$(ticks)
for i in $(seq 20); do
  DISPLAY="$display" xdotool mousemove $((700 + i * 5)) 500
  sleep 0.1
done
sleep 0.5
t2=$(ticks)
DISPLAY="$display" import -window root "$dir/shot.png" 2>/dev/null && cp "$dir/shot.png" target/idle-window.png
awk -v a="$t0" -v b="$t1" -v c="$t2" -v hz="$hz" 'BEGIN {
  idle = (b - a) / hz; frames = (c - b) / hz
  printf "idle_window: %.2f s CPU in 10 s idle with a graph on screen; 20 frames cost %.2f s CPU", idle, frames
  if (frames > 0) printf " (idle = %.1f frames)", idle / (frames / 20)
  printf "\n(screenshot of the idle window: target/idle-window.png)\n" }'
