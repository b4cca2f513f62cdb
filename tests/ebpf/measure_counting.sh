#!/usr/bin/env bash
# Rough measurement of the kernel-side counting (not a test; the full busy-host benchmark is
# packaging/bench.sh): a storm of failing binds from uid 65534 for SECONDS, alone and under
# `portclash monitor`, printing failures/s of the storm, the monitor's CPU time, ring events
# and losses from the monitor's exit summary, and (with kernel.bpf_stats_enabled, switched
# on for the run and restored after) the BPF program's mean run time per call.
#   measure_counting.sh PORTCLASH STORM [SECONDS] [FIRST LAST] [MONITOR OPTIONS...]
# Needs root. FIRST..LAST are the ports the storm cycles through (default 80 80: one key).
set -u
bin=$1 storm=$2 secs=${3:-5} first=${4:-80} last=${5:-80}
shift $(($# < 5 ? $# : 5))
[ "$(id -u)" = 0 ] || {
  echo "needs root"
  exit 77
}
ms=$((secs * 1000))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tick=$(getconf CLK_TCK)

rate() { awk -v n="$1" -v s="$secs" 'BEGIN { printf "%.0f", n / s }'; }

"$storm" eacces 65534 "$first" "$last" "$ms" >"$work/alone.out"
n=$(awk '/^FAILED/ {print $2}' "$work/alone.out")
echo "storm alone:        $n failures ($(rate "$n")/s)"

old_stats=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo "")
[ -n "$old_stats" ] && echo 1 >/proc/sys/kernel/bpf_stats_enabled
"$bin" monitor "$@" >/dev/null 2>"$work/mon.err" &
mon=$!
for _ in $(seq 1 150); do
  grep -q "monitoring bind failures" "$work/mon.err" && break
  sleep 0.1
done
"$storm" eacces 65534 "$first" "$last" "$ms" >"$work/storm.out"
sleep 1.5
read -r ut st < <(awk '{print $14, $15}' "/proc/$mon/stat")
if command -v bpftool >/dev/null && [ -n "$old_stats" ]; then
  bpftool prog show 2>/dev/null | awk '/ name pc_/ { name = $4; for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } if (c) printf "bpf %-20s %d calls, %.0f ns per call\n", name, c, t / c; t = 0; c = 0 }' >"$work/bpf.txt"
fi
kill -INT "$mon"
wait "$mon"
[ -n "$old_stats" ] && echo "$old_stats" >/proc/sys/kernel/bpf_stats_enabled
n=$(awk '/^FAILED/ {print $2}' "$work/storm.out")
echo "storm under monitor: $n failures ($(rate "$n")/s)"
awk -v u="$ut" -v s="$st" -v t="$tick" -v n="$n" 'BEGIN { cpu = (u + s) / t; printf "monitor CPU:        %.2f s (%.2f us per failure)\n", cpu, cpu * 1e6 / (n ? n : 1) }'
cat "$work/bpf.txt" 2>/dev/null
grep "eBPF source:" "$work/mon.err"
