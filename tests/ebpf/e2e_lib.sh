# e2e_lib.sh - what the eBPF end-to-end scripts share (sourced, not run): the ok/bad tally,
# skipping (exit 77), a work directory removed at exit, and starting the monitor.
# The sourcing script sets bin (the portclash binary) before start_monitor.
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
  exit $?
}
skip() {
  echo "skipped: $1"
  echo "0 passed, 0 failed"
  exit 77
}

work=$(mktemp -d)
mon_pid=""
cleanup() {
  [ -n "$mon_pid" ] && kill -TERM "$mon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Starts `$bin monitor ARGS...` (output in $work/mon.out and mon.err) and waits until the
# hooks are attached; skips when BPF cannot be loaded here, fails when it does not start.
start_monitor() {
  : >"$work/mon.out"
  : >"$work/mon.err"
  "$bin" monitor "$@" >"$work/mon.out" 2>"$work/mon.err" &
  mon_pid=$!
  for _ in $(seq 1 150); do
    grep -q "monitoring bind failures" "$work/mon.err" && return 0
    kill -0 "$mon_pid" 2>/dev/null || break
    sleep 0.1
  done
  wait "$mon_pid" 2>/dev/null
  local rc=$?
  mon_pid=""
  if grep -qiE "cannot (load|attach|open) the eBPF|refused to|no BTF" "$work/mon.err"; then
    cat "$work/mon.err"
    skip "BPF is not available here (see the message above)"
  fi
  cat "$work/mon.err"
  bad "monitor did not start (exit $rc)"
  finish
}
