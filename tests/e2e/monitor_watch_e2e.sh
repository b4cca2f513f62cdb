#!/usr/bin/env bash
# The watch list through the live Linux monitor: `portclash monitor --watch P1,P2` must warn
# when P1 enters net.ipv4.ip_local_reserved_ports and when a process starts listening on P2.
# Needs root and the eBPF monitor; otherwise exits 77 and says why. Runs in a private network
# namespace: no other program can hold the two ports, and the sysctl it writes is the
# namespace's own (restored anyway).
set -u
pc=$1
skip() { echo "skipped: $1"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (writes net.ipv4.ip_local_reserved_ports, runs the eBPF monitor)"
if [ -z "${PC_WATCH_E2E_NETNS:-}" ]; then
  unshare --net true 2>/dev/null || skip "cannot create a network namespace here (unshare --net failed)"
  PC_WATCH_E2E_NETNS=1 exec unshare --net -- bash "$0" "$@"
fi
sysctl=/proc/sys/net/ipv4/ip_local_reserved_ports
[ -w "$sysctl" ] || skip "$sysctl is not writable here"
command -v python3 >/dev/null || skip "python3 is needed"
work=$(mktemp -d)
old=$(cat "$sysctl")
mon=""
listener=""
cleanup() {
  echo "$old" > "$sysctl"
  [ -n "$listener" ] && kill "$listener" 2>/dev/null
  [ -n "$mon" ] && kill -INT "$mon" 2>/dev/null && wait "$mon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# The namespace is new and empty: these ports are free, and only this test can take them.
p1=31000
p2=31001
PC_STATE_DIR="$work/state" "$pc" monitor --watch "$p1,$p2" --watch-poll 1 --format json >"$work/out" 2>"$work/err" &
mon=$!
sleep 3
if ! kill -0 "$mon" 2>/dev/null; then
  wait "$mon"; rc=$?
  [ "$rc" = 3 ] && skip "the eBPF monitor cannot run here: $(head -1 "$work/err")"
  [ "$rc" = 1 ] && grep -q "built without" "$work/err" && skip "built without the eBPF source"
  echo "monitor exited $rc:"; cat "$work/err"; echo "0 passed, 1 failed"; exit 1
fi
echo "$p1" > "$sysctl"
python3 -c "import socket,sys,time; s=socket.socket(); s.bind(('0.0.0.0',$p2)); s.listen(); \
open(sys.argv[1], 'w').close(); time.sleep(30)" "$work/listening" &
listener=$!
# On a loaded machine python and the monitor's next poll can be slow: wait for the listener,
# then up to 15 s for both warnings (the monitor writes each finding as it comes).
for _ in $(seq 100); do [ -e "$work/listening" ] && break; sleep 0.1; done
for _ in $(seq 15); do
  sleep 1
  grep -q "\"port\":$p1,.*\"rule_id\":\"W06\"" "$work/out" &&
    grep -q "\"port\":$p2,.*\"rule_id\":\"W0[37]\"" "$work/out" && break
done
kill -INT "$mon"; wait "$mon"; mon=""
python3 - "$work/out" "$p1" "$p2" "$listener" <<'PY'
import json, sys
path, p1, p2, listener = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
risks = [json.loads(l) for l in open(path) if l.strip()]
risks = [r for r in risks if r["event"] == "port_at_risk"]
ok = 0
def check(name, cond, detail):
    global ok
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail))
    ok += cond
check("reserved port %d warned (W06)" % p1, any(r["port"] == p1 and r["rule_id"] == "W06" for r in risks), str(risks))
check("new holder on %d warned with its pid (W07)" % p2,
      any(r["port"] == p2 and r["rule_id"] in ("W07", "W03") and r["owner_pid"] == listener for r in risks), str(risks))
check("nothing else warned", all(r["port"] in (p1, p2) for r in risks), str(risks))
print("%d passed, %d failed" % (ok, 3 - ok))
sys.exit(0 if ok == 3 else 1)
PY
