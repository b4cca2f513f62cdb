#!/usr/bin/env bash
# End-to-end test of `portclash monitor` on Linux: real failing binds, real eBPF, real output.
#   monitor_e2e.sh PORTCLASH DEV_MONITOR TRIGGER
# PORTCLASH is used when it has the monitor command, else DEV_MONITOR (a stand-in main).
# TRIGGER (pc_bind_trigger) makes the failures: EADDRINUSE against a holder process (IPv4 and
# IPv6), EACCES below ip_unprivileged_port_start after dropping CAP_NET_BIND_SERVICE,
# SO_REUSEPORT across users (UDP), and listen() EADDRINUSE.
# Needs root and a kernel with BPF + BTF; otherwise it exits 77 (skipped) and says why.
set -u
portclash=$1 trigger=$3 # $2: kept for the argument order (the same binary)
bin=$portclash
echo "binary: $bin"
. "$(dirname "$0")/e2e_lib.sh"

# --- privileges: without CAP_BPF/CAP_PERFMON, exit 3 and name what is missing ------------------
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
  cp "$bin" "$work/pc" && chmod 755 "$work" "$work/pc"
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all -- \
    "$work/pc" monitor >"$work/priv.out" 2>"$work/priv.err"
  rc=$?
  if [ $rc = 3 ] && grep -q "CAP_BPF" "$work/priv.err" && grep -q "CAP_PERFMON" "$work/priv.err" &&
    grep -q "setcap" "$work/priv.err"; then
    ok "unprivileged: exit 3 naming CAP_BPF, CAP_PERFMON and how to grant them"
  else
    bad "unprivileged: exit $rc, expected 3 with the capability names"
    cat "$work/priv.err"
  fi
fi

[ "$(id -u)" = 0 ] || skip "not root: the eBPF source needs root (or CAP_BPF+CAP_PERFMON); CI runs this as root"
[ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE eBPF cannot load"
command -v python3 >/dev/null || skip "python3 is needed to check the JSON output"

# Stops the monitor with SIGTERM: it must print the summary and exit 0.
stop_monitor() {
  kill -TERM "$mon_pid"
  wait "$mon_pid"
  local rc=$?
  mon_pid=""
  if [ $rc = 0 ] && grep -q "eBPF source:.*ring full" "$work/mon.err"; then
    ok "$1: SIGTERM gives the summary with the drop counters and exit 0"
  else
    bad "$1: exit $rc after SIGTERM, or no summary"
    cat "$work/mon.err"
  fi
}

base=$((20000 + RANDOM % 9000))

# --- 1. explained findings (default hooks), JSON -------------------------------------------------
# --drain: every triggered failure must be explained even when a busy host has not emptied the
# queue by the SIGTERM (without it they would be counted as not explained at stop).
start_monitor --format json --window 0 --status 0 --drain
"$trigger" "$base" 1500 >"$work/cases.txt"
sleep 0.5
stop_monitor "findings"
cat "$work/cases.txt"

python3 - "$work/cases.txt" "$work/mon.out" >"$work/check.txt" <<'PY'
import json, re, sys
cases = {}
for line in open(sys.argv[1]):
    m = re.match(r"CASE (\S+) (.*)", line.strip())
    if m:
        cases[m.group(1)] = dict(kv.split("=") for kv in m.group(2).split())
findings = []
for line in open(sys.argv[2]):
    line = line.strip()
    if line.startswith("{"):
        findings.append(json.loads(line))
passed = failed = 0
def check(name, cond, detail=""):
    global passed, failed
    if cond:
        print("ok   " + name); passed += 1
    else:
        print("FAIL " + name + (": " + detail if detail else "")); failed += 1
def find(case, proto):
    c = cases.get(case)
    if not c:
        return None, None
    for f in findings:
        if f.get("port") == int(c["port"]) and f.get("pid") == int(c["pid"]) and f.get("proto") == proto:
            return c, f
    return c, None
expect = [  # case, proto, errno name, rule ids accepted, owner must be the holder
    ("inuse", "tcp", "EADDRINUSE", ["L04"], True),
    ("eacces", "tcp", "EACCES", ["L01"], False),
    ("reuseport-other-user", "udp", "EADDRINUSE", ["L06"], True),
    ("listen-inuse", "tcp", "EADDRINUSE", None, False),
    ("inuse6", "tcp", "EADDRINUSE", ["L04"], True),
]
for case, proto, ename, rules, owner in expect:
    c, f = find(case, proto)
    if c is None:
        print("skip %s: the trigger could not set it up here" % case)
        continue
    check("%s: the bind really failed with %s" % (case, ename), c["errno"] == {"EADDRINUSE": "98", "EACCES": "13"}[ename], str(c))
    if f is None:
        check("%s: a finding for pid %s port %s" % (case, c["pid"], c["port"]), False, "findings: %s" % findings)
        continue
    check("%s: finding says %s, source ebpf, os linux" % (case, ename),
          f["error_name"] == ename and f["source"] == "ebpf" and f["os"] == "linux" and f["event"] == "bind_failure", str(f))
    if rules:
        check("%s: explained by rule %s" % (case, "/".join(rules)), f["rule_id"] in rules, f["rule_id"])
    else:
        check("%s: explained (rule %s)" % (case, f["rule_id"]), bool(f["rule_id"]) and bool(f["explanation"]))
    if owner:
        check("%s: owner is the holder process (pid %s)" % (case, c["holder"]),
              f["owner_pid"] == int(c["holder"]), "owner_pid=%s" % f["owner_pid"])
print("PYRESULT %d %d" % (passed, failed))
PY
grep -v '^PYRESULT' "$work/check.txt"
read -r _ p f < <(grep '^PYRESULT' "$work/check.txt" || echo "PYRESULT 0 1")
pass=$((pass + p)) fail=$((fail + f))
[ -s "$work/mon.out" ] || { bad "no findings printed"; cat "$work/mon.err"; }

# --- 2. raw attempts through the fallback hook (tp_btf/sys_exit, no tracefs needed) -------------
base=$((base + 10))
start_monitor --attempts --hooks raw --status 0
grep -q "tp_btf:sys_exit" "$work/mon.err" && ok "raw: the tp_btf/sys_exit hook is attached" ||
  bad "raw: hook not reported: $(head -1 "$work/mon.err")"
"$trigger" "$base" 300 >"$work/cases.txt"
sleep 0.5
stop_monitor "attempts"
# line_for CASE: the attempt line of that case's pid and port.
line_for() {
  local c pid port
  c=$(grep "^CASE $1 " "$work/cases.txt") || return 1
  pid=$(sed 's/.* pid=\([0-9]*\).*/\1/' <<<"$c")
  port=$(sed 's/.* port=\([0-9]*\).*/\1/' <<<"$c")
  grep " pid=$pid " "$work/mon.out" | grep ":$port " | head -1
}
expect_attempt() { # case, pattern...
  local name=$1 l
  shift
  l=$(line_for "$name") || { echo "skip $name: not set up here"; return; }
  for pat in "$@"; do
    if ! grep -qE -- "$pat" <<<"$l"; then
      bad "raw $name: '$pat' not in: ${l:-<no attempt line>}"
      return
    fi
  done
  ok "raw $name: $*"
}
expect_attempt inuse "tcp 127\.0\.0\.1:" "error\(98\)|EADDRINUSE" "stage=bind" "no-reuseaddr" "via=bind" "comm=pc_bind_trigger"
expect_attempt eacces "tcp 0\.0\.0\.0:" "error\(13\)|EACCES" "uid=0 euid=0" "caps=0x[0-9a-f]*"
expect_attempt reuseport-other-user "udp 127\.0\.0\.1:" "error\(98\)|EADDRINUSE" "[^-]reuseport" "uid=65534 euid=65534" "type=2"
expect_attempt listen-inuse "stage=listen" "[^-]reuseaddr" "via=listen"
expect_attempt inuse6 "tcp \[::1\]:" "error\(98\)|EADDRINUSE" "[^-]reuseaddr"
# comm and exe are the process's choice: escaped like every untrusted string, never raw.
expect_attempt hostile-comm 'comm=e\\x1b\[2J\\x0aFAKE\\u009b '
if LC_ALL=C grep -q $'\x1b' "$work/mon.out" || LC_ALL=C grep -q $'\xc2\x9b' "$work/mon.out" ||
  grep -q "^FAKE" "$work/mon.out"; then
  bad "raw: a control character of a process name reached the output"
else
  ok "raw: no raw ESC, C1 or forged line from a hostile process name"
fi
# CAP_NET_BIND_SERVICE (bit 10) must be missing from the EACCES attempt's capabilities.
l=$(line_for eacces) && caps=$(sed 's/.* caps=\(0x[0-9a-f]*\).*/\1/' <<<"$l") &&
  if (((caps >> 10) & 1)); then bad "raw eacces: CAP_NET_BIND_SERVICE still in caps $caps"; else
    ok "raw eacces: caps $caps lack CAP_NET_BIND_SERVICE"
  fi

finish
