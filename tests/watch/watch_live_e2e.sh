#!/bin/sh
# Live Linux end-to-end test of the watcher: a watched port added to
# net.ipv4.ip_local_reserved_ports and a new listener on another watched port must both give a
# port_at_risk warning (the driver does the work, see watch_live_driver.c). The old value of
# ip_local_reserved_ports is restored on every exit path, crash included.
# Usage: watch_live_e2e.sh DRIVER. Exit 0 pass, 1 fail, 77 skipped (not root / read-only /proc).
set -u
driver=$1
file=/proc/sys/net/ipv4/ip_local_reserved_ports
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root to change $file (run ctest as root, as CI does)"
  exit 77
fi
if ! old=$(cat "$file" 2>/dev/null); then
  echo "SKIP: cannot read $file"
  exit 77
fi
# Writing the same value back is harmless and tells whether /proc/sys is writable here
# (containers often mount it read-only).
if ! printf '%s\n' "$old" > "$file" 2>/dev/null; then
  echo "SKIP: $file is not writable here (read-only /proc/sys?)"
  exit 77
fi
restore() { printf '%s\n' "$old" > "$file"; }
trap restore EXIT
trap 'exit 1' INT TERM HUP
"$driver"
rc=$?
restore
now=$(cat "$file")
if [ "$now" != "$old" ]; then
  echo "FAIL: could not restore $file (was '$old', now '$now')"
  exit 1
fi
exit $rc
