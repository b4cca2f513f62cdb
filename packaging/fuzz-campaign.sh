#!/usr/bin/env bash
# Runs every libFuzzer target (or the ones named) for SECONDS each, one after another, and
# prints one line per target: executions, corpus size, and whether it stayed clean. A crash
# leaves its input in OUT/NAME/ and the log in OUT/NAME.log; the script then exits 1.
# The seed corpora in tests/fuzz/corpus/ are read, never written: new inputs go to OUT/NAME/.
# Usage: packaging/fuzz-campaign.sh [--seconds N] [--out DIR] [--build DIR] [TARGET...]
#   defaults: 300 s per target (what issue 20 asks before a release), out build-fuzz-campaign/
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=300
out="$here/build-fuzz-campaign/runs"
build="$here/build-fuzz-campaign/build"
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
  --seconds) seconds=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  --build) build=$2; shift 2 ;;
  -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "fuzz-campaign: unknown option $1 (see --help)" >&2; exit 2 ;;
  *) targets+=("$1"); shift ;;
  esac
done
command -v clang >/dev/null || { echo "fuzz-campaign: clang is needed (packaging/install-deps.sh --tests)" >&2; exit 2; }

cmake -S "$here" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPC_FUZZ=ON -DPC_SANITIZE=ON >/dev/null
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$here"/tests/fuzz/fuzz_*.c; do
    n=$(basename "$f" .c)
    targets+=("${n#fuzz_}")
  done
fi
cmake --build "$build" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

mkdir -p "$out"
status=0
printf '%-12s %8s %12s %8s  %s\n' target seconds executions corpus result
for t in "${targets[@]}"; do
  bin=$(find "$build" -name "fuzz_$t" -type f -perm -u+x | head -1)
  [ -n "$bin" ] || { echo "fuzz-campaign: fuzz_$t was not built" >&2; status=1; continue; }
  mkdir -p "$out/$t"
  seeds="$here/tests/fuzz/corpus/$t"
  [ -d "$seeds" ] || seeds=
  log="$out/$t.log"
  if (cd "$out/$t" && "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/$t/" \
    "$out/$t" $seeds) >"$log" 2>&1; then
    result=clean
  else
    result="FAILED (see $log)"
    status=1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(find "$out/$t" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'leak-*' ! -name 'timeout-*' | wc -l)
  printf '%-12s %8s %12s %8s  %s\n' "$t" "$seconds" "${execs:-?}" "$corpus" "$result"
done
exit $status
