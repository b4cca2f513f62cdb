#!/usr/bin/env bash
# Builds the MSI (build-msi.sh) and checks it: the File, Component and ServiceInstall tables
# (msiinfo), the extracted files (msiextract), then, when Wine is set up (WINEPREFIX, as in
# test-windows.sh), installs it with msiexec /qn, checks the files, the service key and that the
# installed portclash.exe runs, and uninstalls it again, checking that all of it is gone.
# Usage: packaging/windows/test-msi.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: test-msi.sh BUILD_DIR}" && pwd)
fail() { echo "test-msi: FAIL: $*" >&2; exit 1; }

msi=$("$here/packaging/windows/build-msi.sh" "$build" "$build/msi-out" 2> >(grep -v '^$' >&2) | tail -n1)
[ -f "$msi" ] || fail "no MSI built"
version=$(sed -n 's/^project(portclash VERSION \([0-9][0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
[ "$(basename "$msi")" = "portclash-$version-x64.msi" ] || fail "unexpected name $(basename "$msi")"

msiinfo suminfo "$msi" | grep -q '^Template: x64;1033' || fail "not an x64 package"
files=$(msiinfo export "$msi" File)
for f in portclash.exe README.md portclash.conf.example portclash-completion.ps1 $(cd "$here/rules/default" && ls); do
  grep -q "	$f	" <<<"$files" || fail "File table lacks $f"
done
svc=$(msiinfo export "$msi" ServiceInstall)
grep -qP '^svcPortclash\tportclash\t.*\t16\t2\t1\t.*LocalSystem\t\tservice run\tcmpPortclashExe' <<<"$svc" ||
  fail "ServiceInstall row: $svc"
msiinfo export "$msi" ServiceControl | grep -q '^svcPortclashCtl	portclash	' || fail "no ServiceControl row"
# The Event Log source "portclash": its key (created and removed with the package: Name "*"),
# EventMessageFile = the installed portclash.exe (holds the message table), TypesSupported = 7.
reg=$(msiinfo export "$msi" Registry | tr -d '\r')
evkey='SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\portclash\\?'
grep -qP "^\w+\t2\t${evkey}\t\*\t\tcmpPortclashExe$" <<<"$reg" || fail "Registry: no create/remove row for the event source: $reg"
grep -qP "^\w+\t2\t${evkey}\tEventMessageFile\t\[#filPortclashExe\]\tcmpPortclashExe$" <<<"$reg" ||
  fail "Registry: EventMessageFile of the event source: $reg"
grep -qP "^\w+\t2\t${evkey}\tTypesSupported\t#7\tcmpPortclashExe$" <<<"$reg" || fail "Registry: TypesSupported: $reg"
# Every component is 64-bit (msidbComponentAttributes64bit = 256).
msiinfo export "$msi" Component | tail -n +4 | awk -F'\t' '{ if (int($4 / 256) % 2 != 1) bad = 1 } END { exit bad }' ||
  fail "a component is not marked 64-bit"

x="$build/msi-out/extract"
rm -rf "$x" && mkdir -p "$x"
msiextract -C "$x" "$msi" >/dev/null
exe=$(find "$x" -name portclash.exe | head -n1)
[ -n "$exe" ] && cmp -s "$exe" "$build/msi-stage/portclash.exe" || fail "extracted portclash.exe differs"
[ "$(find "$x" -name '*.rules' | wc -l)" = "$(ls "$here"/rules/default/*.rules | wc -l)" ] || fail "rules missing"
echo "test-msi: tables and contents ok ($(basename "$msi"), $(stat -c %s "$msi") bytes)"

if [ -z "${WINEPREFIX:-}" ] || ! command -v wine >/dev/null; then
  echo "test-msi: no Wine prefix: install/uninstall not tried"
  exit 0
fi
export WINEDEBUG=-all
pf="$WINEPREFIX/drive_c/Program Files/portclash"
winmsi=$(winepath -w "$msi" 2>/dev/null)
wine msiexec /x "$winmsi" /qn >/dev/null 2>&1 || true # a leftover of an interrupted run
wine msiexec /i "$winmsi" /qn || fail "msiexec /i exited $?"
[ -f "$pf/portclash.exe" ] && [ -f "$pf/README.md" ] && [ -f "$pf/portclash-completion.ps1" ] && [ -f "$pf/rules/30-httpsys.rules" ] &&
  cmp -s "$pf/portclash.conf.example" "$here/packaging/portclash.conf.example" || fail "files not installed in $pf"
key='HKLM\System\CurrentControlSet\Services\portclash'
wine reg query "$key" /v ImagePath 2>/dev/null | tr -d '\r' | grep -q 'portclash.exe.* service run' ||
  fail "service not registered: $(wine reg query "$key" 2>&1 | tr -d '\r')"
wine "$pf/portclash.exe" --version | tr -d '\r' | grep -q "^portclash $version" || fail "installed portclash.exe does not run"
evreg='HKLM\System\CurrentControlSet\Services\EventLog\Application\portclash'
ev=$(wine reg query "$evreg" 2>&1 | tr -d '\r')
grep -qi 'EventMessageFile.*REG_[A-Z_]*SZ.*Program Files\\portclash\\portclash.exe' <<<"$ev" ||
  fail "event source not registered: $ev"
grep -qi 'TypesSupported.*REG_DWORD.*0x7' <<<"$ev" || fail "event source TypesSupported: $ev"
wine msiexec /x "$winmsi" /qn || fail "msiexec /x exited $?"
[ ! -e "$pf/portclash.exe" ] && [ ! -e "$pf/portclash.conf.example" ] || fail "files still there after uninstall"
if wine reg query "$key" >/dev/null 2>&1; then fail "service key still there after uninstall"; fi
if wine reg query "$evreg" >/dev/null 2>&1; then fail "event source key still there after uninstall"; fi
echo "test-msi: installed and uninstalled under Wine"
echo "1 passed, 0 failed"
