#!/usr/bin/env bash
# Builds the benchmarks in Release mode and prints each figure beside its budget, then the
# instructions per record of the replay pipeline under callgrind (repeatable on a noisy
# machine). Usage: packaging/bench.sh [build-dir]   (default ./build-bench)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$here/build-bench"}
"$here/packaging/install-deps.sh" --tests
cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)"
status=0
for b in "$dir"/tests/bench_*; do
  [ -x "$b" ] || continue
  echo
  echo "== $(basename "$b")"
  # One core, as the budgets say.
  taskset -c 0 "$b" || { echo "$(basename "$b"): a budget was missed or it failed"; status=1; }
done

echo
echo "== instructions per record (valgrind --tool=callgrind, decode + correlate + rules + JSON)"
n=200000
out=$(mktemp -d)
PC_BENCH_ONE_PASS=1 valgrind --tool=callgrind --callgrind-out-file="$out/cg" --collect-atstart=no \
  --toggle-collect=pc_pipeline_push --toggle-collect=pc_pipeline_finish \
  "$dir/tests/bench_pipeline" "$n" 42 30 >/dev/null 2>"$out/log" || true
ir=$(grep -E '^(summary|totals):' "$out/cg" | head -1 | awk '{print $2}')
records=$(grep -oE '^seed 42, [0-9]+ records' <(PC_BENCH_ONE_PASS=1 "$dir/tests/bench_pipeline" "$n" 42 30) | awk '{print $3}')
if [ -n "$ir" ] && [ -n "$records" ]; then
  awk -v ir="$ir" -v n="$records" 'BEGIN { printf "%-44s %12.0f %12s\n", "instructions/record (callgrind)", ir / n, "-" }'
else
  echo "callgrind did not produce a total (see $out/log)"
fi
rm -rf "$out"
exit $status
