#!/usr/bin/env bash
# `portclash explain PORT` under Wine against a port held by a LINUX process: a native python3
# listener on 127.0.0.1 holds a TCP port (Wine sockets are Linux sockets, so the Windows program
# sees the conflict, toolchain.md section 4), and portclash.exe must report the port as held: its
# own test bind fails with WSAEADDRINUSE (10048), and the IP Helper table (owner lookup) shows a
# LISTEN socket on exactly that address. The owner's PID is not asserted: a Linux process has
# no Windows PID (Wine reports none), which is also what explain must then say.
#   wine_explain_linux_holder.sh WINE PORTCLASH_EXE
set -u
wine=$1 exe=$2
export WINEDEBUG=${WINEDEBUG:--all}
fifo=$(mktemp -u)
mkfifo "$fifo"
# The listener prints its port once it listens, then waits until its stdin closes.
python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
' <"$fifo" >"$fifo.port" &
holder=$!
exec 3>"$fifo" # keeps the listener alive until this script ends
trap 'exec 3>&-; kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; rm -f "$fifo" "$fifo.port"' EXIT
for _ in $(seq 50); do [ -s "$fifo.port" ] && break; sleep 0.1; done
port=$(head -n1 "$fifo.port")
[ -n "$port" ] || { echo "the python3 listener did not start"; exit 1; }
echo "python3 (Linux pid $holder) listens on 127.0.0.1:$port"

ok=1
check() { grep -qF -- "$1" <<<"$out" || { echo "missing: $1"; ok=0; }; }
out=$("$wine" "$exe" explain "$port" --address 127.0.0.1 --format json 2>&1 | tr -d '\r')
rc=$?
echo "$out"
[ "$rc" = 0 ] || { echo "exit status $rc, expected 0"; ok=0; }
check "\"os\":\"windows\",\"event\":\"explain\",\"error\":10048,\"error_name\":\"WSAEADDRINUSE\""
check "\"proto\":\"tcp\",\"address\":\"127.0.0.1\",\"port\":$port,\"pid\":null"
check '"test_bind":{"ok":false,"errno":10048'
check '"state":"LISTEN","address":"127.0.0.1","kernel":false,"match":"exact"'
# The rules' answer (one explanation, phrased for a bind nobody made), whichever rule it is.
check "\"explanation\":\"A bind to tcp 127.0.0.1:$port would fail"
out=$("$wine" "$exe" explain "$port" --address 127.0.0.1 2>&1 | tr -d '\r')
echo "$out"
check "held by           an unknown process, LISTEN on 127.0.0.1:$port [same address]"
if grep -qE 'unimplemented function|Unhandled exception|Unhandled page fault|starting debugger' <<<"$out"; then
  echo "Wine reported a crash"
  ok=0
fi
[ $ok = 1 ] && echo "1 passed, 0 failed" && exit 0
echo "0 passed, 1 failed"
exit 1
