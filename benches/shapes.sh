#!/usr/bin/env bash
# Time and peak memory per event of `eventscope check --flows` on every input shape of the
# linear-time issue (`gen --shape`, src/ingest/shapes.rs) at several sizes, next to the `gen`
# baseline of the same size. Prints a table; asserts nothing (timings on shared machines are
# noisy: the operation-count test in src/ingest/shapes.rs is the check that can fail).
# Each figure is the median of RUNS runs (default 3) of CPU time (user + system: on a shared
# machine the wall clock mostly measures the neighbours); peak RSS is the largest of them.
# Usage: benches/shapes.sh [SIZE...]   (default: 100000 300000 1000000)
# BIN=path uses that eventscope instead of building one (headless release build, no window).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 300000 1000000)
runs=${RUNS:-3}
dir=${BENCH_DIR:-target/bench-data/shapes}
mkdir -p "$dir"
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --no-default-features --bin eventscope --target-dir target/headless
fi
bin=${BIN:-target/headless/release/eventscope}
shapes=(reverse-chain hot-key shuffled-chains deep-chains spine-with-leaves pairs own-keys devices)

measure() { # median CPU seconds and max RSS (KB) of RUNS runs of check --flows FILE
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%U %S %M" "$bin" check --flows "$1" 2>&1 >/dev/null | tail -n 1
  done | awk '{ print $1 + $2, $3 }' | sort -n |
    awk '{ s[NR] = $1; if ($2 > m) m = $2 } END { print s[int((NR + 1) / 2)], m }'
}

printf '%-20s %9s %9s %7s %9s %7s\n' shape events "cpu ns/ev" "x gen" "RSS B/ev" "x gen"
for n in "${sizes[@]}"; do
  base="$dir/baseline-$n.jsonl"
  [ -f "$base" ] || "$bin" gen --events "$n" --seed 1 --out "$base" 2>/dev/null
  read -r bs bk < <(measure "$base")
  awk -v n="$n" -v s="$bs" -v k="$bk" 'BEGIN {
    printf "%-20s %9d %9.0f %7.2f %9.0f %7.2f\n", "gen (baseline)", n, s*1e9/n, 1, k*1024/n, 1 }'
  for shape in "${shapes[@]}"; do
    f="$dir/$shape-$n.jsonl"
    [ -f "$f" ] || "$bin" gen --events "$n" --shape "$shape" --out "$f" 2>/dev/null
    read -r s k < <(measure "$f")
    awk -v name="$shape" -v n="$n" -v s="$s" -v k="$k" -v bs="$bs" -v bk="$bk" 'BEGIN {
      printf "%-20s %9d %9.0f %7.2f %9.0f %7.2f\n", name, n, s*1e9/n, s/bs, k*1024/n, k/bk }'
  done
done
