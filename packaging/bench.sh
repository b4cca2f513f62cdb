#!/usr/bin/env bash
# Builds the benchmarks in Release mode and prints each figure beside its budget.
# Usage: packaging/bench.sh [build-dir]   (default ./build-bench)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$here/build-bench"}
"$here/packaging/install-deps.sh"
cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)"
for b in "$dir"/tests/bench_*; do
  [ -x "$b" ] || continue
  echo
  echo "== $(basename "$b")"
  # One core, as the budgets say.
  taskset -c 0 "$b" || { echo "$(basename "$b"): FAILED"; exit 1; }
done
