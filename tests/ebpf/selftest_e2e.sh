#!/usr/bin/env bash
# `portclash selftest` for real (root + BPF; skipped with 77 otherwise):
#   1. every check passes, in text and in JSON;
#   2. with the bind() hook left detached, the bind checks fail with a precise message and the
#      exit status is 1 (a self-test that cannot fail proves nothing);
#   3. no holder process is left behind, also when Ctrl+C stops it in the middle.
# Usage: selftest_e2e.sh PORTCLASH
set -uo pipefail
exe=$1
[ "$(id -u)" = 0 ] || { echo "skip: needs root (the self-test loads an eBPF program and switches user)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

"$exe" selftest >"$work/out" 2>"$work/err"
rc=$?
if [ $rc = 77 ] || grep -qiE "cannot (load|attach|open) the eBPF|no BTF" "$work/err"; then
  echo "skip: the eBPF source cannot load here: $(head -c 300 "$work/err")"
  exit 77
fi
cat "$work/out"
[ $rc = 0 ] && grep -q "^verdict: PASS" "$work/out" && ok "selftest passes (exit 0)" || { bad "selftest: exit $rc"; cat "$work/err"; }
for c in tcp-in-use udp-in-use dual-stack privileged-port reuseport-other-user success; do
  grep -qE "^  PASS $c " "$work/out" && ok "check $c passed" || bad "check $c did not pass"
done

"$exe" selftest --json >"$work/json" 2>"$work/err"
rc=$?
python3 - "$work/json" <<'PY' && ok "--json: one valid document, verdict pass, six checks" || bad "--json (exit $rc): $(head -c 400 "$work/json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "pass" and len(d["checks"]) == 6, d
assert all(c["result"] in ("pass", "skipped") for c in d["checks"]), d
PY

"$exe" selftest --without-bind-hook --timeout 1 >"$work/out" 2>"$work/err"
rc=$?
[ $rc = 1 ] && ok "without the bind hook: exit 1" || bad "without the bind hook: exit $rc, expected 1"
grep -q "^  FAIL tcp-in-use" "$work/out" && grep -q "not caught: no finding for pid" "$work/out" &&
  ok "without the bind hook: tcp-in-use fails, saying it was not caught" || bad "without the bind hook: no precise failure: $(cat "$work/out")"
grep -q "no events from the kernel providers" "$work/err" && ok "without the bind hook: says no events arrived, with next steps" ||
  bad "without the bind hook: no 'no events' message"

# Ctrl+C in the middle (a check waiting for a finding that cannot come, its holder alive):
# the self-test ends at once, says it cleaned up, and leaves no process behind.
"$exe" selftest --without-bind-hook --timeout 5 >"$work/out" 2>"$work/err" &
st=$!
sleep 2.5
during=$(pgrep -f -x "$exe selftest.*" | wc -l)
t0=$(date +%s%N)
kill -INT "$st"
wait "$st"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
sleep 0.2
after=$(pgrep -f -x "$exe selftest.*" | wc -l)
if [ "$during" -ge 2 ] && [ "$after" = 0 ] && [ "$ms" -lt 2000 ] && [ $rc != 0 ] &&
  grep -q "interrupted; every socket and process it made is cleaned up" "$work/err"; then
  ok "Ctrl+C: exit $rc after $ms ms, $during processes before, none after, says so"
else
  bad "Ctrl+C: exit $rc after $ms ms, $during processes before, $after after: $(tail -3 "$work/err")"
fi

sleep 0.2
left=$(pgrep -f -x "$exe selftest.*" | wc -l)
[ "$left" = 0 ] && ok "no process of the self-test left behind" || bad "$left self-test processes left"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
