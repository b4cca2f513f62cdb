#!/usr/bin/env bash
# Builds the benchmarks in Release mode and prints each figure beside its budget (the budgets
# live in tests/bench/pc_bench_budgets.h, quoted in README.md), then the instructions per record
# of the replay pipeline under callgrind (repeatable on a noisy machine).
#
# Usage: packaging/bench.sh [--storm] [--quick] [--compare REF] [build-dir]   (default ./build-bench)
#   --storm         only the busy-host storm (tests/bench/storm.c, issue 19): 20 000 listeners in
#                   200 processes, the real `portclash monitor` under failures at 1 k, 10 k and
#                   100 k/s over 1, 100 and 1000 ports, 10 s each, plus the fairness cell and a
#                   bpftrace one-liner on the top-rate cells (packaging/deps/bench.txt). Root;
#                   skipped with a message otherwise. About 5 to 10 minutes.
#   --quick         the storm with 3 s cells
#   --compare REF   also builds REF (a git revision, e.g. main; exported with git archive into a
#                   temporary directory, nothing in the repository changes) and runs, side by
#                   side, "before" = REF and "after" = this tree: the busy-host owner benchmark
#                   on the same 20 000 sockets, and the storm (root) with both binaries on the
#                   same busy host, cell by cell.
# Warnings are not fatal here (-DPC_WERROR=OFF): GCC 12 at -O3 warns about snprintf
# truncation that the Debug and CI builds do not see, and a benchmark run must not fail on that.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
compare=
storm=0
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --compare) compare=${2:?--compare needs a git revision}; shift 2 ;;
    --storm) storm=1; shift ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "bench.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
dir=${1:-"$here/build-bench"}
"$here/packaging/install-deps.sh" --tests
run_storm=0
if [ "$storm" = 1 ] || [ -n "$compare" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bench.sh: the storm needs root (BPF, a second user, 20 000 sockets): skipped"
  else
    run_storm=1
    # bpftrace is only for the comparison; the storm runs without it.
    "$here/packaging/install-deps.sh" --only bench || echo "bench.sh: bpftrace not installed: no bpftrace comparison"
  fi
fi
cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPC_WERROR=OFF >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)"

old=
if [ -n "$compare" ]; then
  old=$(mktemp -d)
  trap 'rm -rf "$old"' EXIT
  git -C "$here" archive "$compare" | tar -x -C "$old"
  # The benchmark uses the public host-state API only, so it builds against the old tree.
  mkdir -p "$old/tests/bench"
  cp "$here/tests/bench/bench_owners.c" "$here/tests/bench/bench_busy.c" "$here/tests/bench/pc_bench_busy.h" \
    "$here/tests/bench/pc_bench_budgets.h" "$old/tests/bench/"
  # Built from the copied files whether or not the old tree had the benchmark.
  cat >>"$old/tests/CMakeLists.txt" <<'CMAKE'
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  add_executable(bench_owners_cmp ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_owners.c
                                  ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_busy.c)
  target_include_directories(bench_owners_cmp PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/bench)
  target_link_libraries(bench_owners_cmp PRIVATE pc_hoststate)
endif()
CMAKE
  cmake -S "$old" -B "$old/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPC_WERROR=OFF >/dev/null
  targets=(bench_owners_cmp)
  [ "$storm" = 1 ] && targets=()
  [ "$run_storm" = 1 ] && targets+=(portclash)
  cmake --build "$old/build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}" >/dev/null
fi

status=0
if [ "$run_storm" = 1 ]; then
  echo
  echo "== busy-host storm (pc_storm)"
  args=(--portclash "$dir/portclash" --label this)
  [ -n "$old" ] && args=(--portclash "$dir/portclash" --label after --compare "$old/build/portclash" before)
  [ "$quick" = 1 ] && args+=(--quick)
  [ ! -x "$dir/tests/pc_storm" ] && { echo "bench.sh: pc_storm was not built (no eBPF support?)"; exit 1; }
  "$dir/tests/pc_storm" "${args[@]}" || { echo "pc_storm: a budget was missed or it failed"; status=1; }
  [ "$storm" = 1 ] && exit $status
fi

for b in "$dir"/tests/bench_*; do
  [ -x "$b" ] || continue
  echo
  echo "== $(basename "$b")"
  args=()
  if [ "$(basename "$b")" = bench_owners ] && [ -n "$old" ]; then
    args=(--label after --compare "$old/build/tests/bench_owners_cmp" before)
  fi
  # One core, as the budgets say.
  taskset -c 0 "$b" "${args[@]}" || { echo "$(basename "$b"): a budget was missed or it failed"; status=1; }
  if [ "$(basename "$b")" = bench_replay ]; then
    # The same capture written on 64 CPUs (a big server): the merges cost more per record.
    taskset -c 0 "$b" --cpus 64 || { echo "bench_replay --cpus 64: a budget was missed or it failed"; status=1; }
  fi
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
