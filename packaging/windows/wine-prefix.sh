#!/usr/bin/env bash
# Creates (once) and boots a headless Wine prefix, and starts a persistent wineserver for it,
# so that tests run under Wine take milliseconds instead of seconds each.
#
# Usage: packaging/windows/wine-prefix.sh PREFIX_DIR [--stop]
#   Idempotent: an existing prefix is reused; a running server is left alone.
#   --stop   stops that prefix's wineserver (and every Wine process of the prefix) and exits.
#
# Why the prefix is booted here and not by the first test: wineboot's helper processes
# (services.exe, winedevice.exe, ...) inherit the stdout pipe of whatever starts them. If a
# ctest test starts them, ctest waits for that pipe to close and hangs (shared/reference/
# toolchain.md section 5, "Pitfalls").
set -euo pipefail

say() { printf 'wine-prefix: %s\n' "$*"; }
[ $# -ge 1 ] || { sed -n '5,8p' "$0" >&2; exit 2; }
mkdir -p "$1"
export WINEPREFIX
WINEPREFIX=$(cd "$1" && pwd)
# Console programs only: no display, no debug channels (wine's own wrapper otherwise prints a
# hint about the missing wine32 on every start).
export WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY

command -v wine >/dev/null || { echo "wine-prefix: wine missing (apt-get install wine wine64)" >&2; exit 1; }

if [ "${2:-}" = "--stop" ]; then
  say "stopping the wineserver of $WINEPREFIX"
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  exit 0
fi

# A persistent server (-p without a timeout) stays up after the last Wine process exits.
# wineserver -p exits 2 when a server for this prefix already runs, which is fine here.
say "starting a persistent wineserver for $WINEPREFIX"
rc=0
wineserver -p || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 2 ] || { echo "wine-prefix: wineserver -p failed ($rc)" >&2; exit 1; }
if [ -d "$WINEPREFIX/drive_c/windows" ] && [ -f "$WINEPREFIX/.portclash-booted" ]; then
  say "prefix exists; booting it"
  # Plain boot (no -i): starts the services of an existing prefix, fast.
  wine wineboot </dev/null >/dev/null 2>&1
else
  say "creating the prefix (about 700 MB, 5-10 s)"
  # The "syswow64\rundll32.exe c0000135" line is expected: there is no wine32.
  wine wineboot -i </dev/null >"$WINEPREFIX/../wineboot.log" 2>&1 || {
    cat "$WINEPREFIX/../wineboot.log" >&2
    exit 1
  }
  touch "$WINEPREFIX/.portclash-booted"
  # Restart the wineserver and boot the new prefix the way the warm path does: on the server
  # that created the prefix, Wine's service manager refuses service operations made by later
  # processes (seen: OpenService failing right after CreateService in test_win_service, on
  # every try, until the server was restarted).
  wineserver -k 2>/dev/null || true
  wineserver -w 2>/dev/null || true
  wineserver -p || true
  wine wineboot </dev/null >/dev/null 2>&1
fi
say "ready ($(wine --version 2>/dev/null), $(wine cmd /c ver 2>/dev/null | tr -d '\r' | grep -m1 . || echo 'version ?'))"
