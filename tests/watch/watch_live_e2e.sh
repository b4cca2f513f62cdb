#!/bin/sh
# Live Linux end-to-end test of the watcher: a watched port added to
# net.ipv4.ip_local_reserved_ports and a new listener on another watched port must both give a
# port_at_risk warning (the driver does the work, see watch_live_driver.c). The driver runs in
# a private network namespace: no other program can hold the ports it picks, and the host's
# ip_local_reserved_ports (a per-namespace sysctl) is never touched.
# Usage: watch_live_e2e.sh DRIVER. Exit 0 pass, 1 fail, 77 skipped (not root / no namespaces).
set -u
driver=$1
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: needs root to create a network namespace (run ctest as root, as CI does)"
  exit 77
fi
if ! unshare --net true 2>/dev/null; then
  echo "SKIP: cannot create a network namespace here (unshare --net failed)"
  exit 77
fi
exec unshare --net -- "$driver"
