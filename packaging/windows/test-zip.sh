#!/usr/bin/env bash
# Builds the ZIP (build-zip.sh) and checks it: lists its contents (printed, for the log) and
# compares them with what must be there, extracts it, and, when Wine is set up (WINEPREFIX, as
# in test-windows.sh), runs the extracted portclash.exe: --version, `rules check` on the
# shipped rules folder, and `analyze` of the demo capture with the shipped example
# configuration (all commented out: it must be accepted and change nothing).
# Usage: packaging/windows/test-zip.sh BUILD_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: test-zip.sh BUILD_DIR}" && pwd)
fail() { echo "test-zip: FAIL: $*" >&2; exit 1; }

zip=$("$here/packaging/windows/build-zip.sh" "$build" "$build/zip-out" | tail -n1)
[ -f "$zip" ] || fail "no ZIP built"
version=$(sed -n 's/^project(portclash VERSION \([0-9][0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
name="portclash-$version-win64"
[ "$(basename "$zip")" = "$name.zip" ] || fail "unexpected name $(basename "$zip")"
head -c 4 "$zip" | od -An -c | tr -d ' \n' | grep -q '^PK003004$' || fail "not a ZIP file"

echo "test-zip: contents of $(basename "$zip") ($(stat -c %s "$zip") bytes):"
listing=$(cd "$build" && cmake -E tar tf "$zip" | LC_ALL=C sort)
sed 's/^/  /' <<<"$listing"
want=$( (
  echo "$name/portclash.exe"
  echo "$name/README.md"
  echo "$name/portclash.conf.example"
  echo "$name/portclash-completion.ps1"
  for r in "$here"/rules/default/*.rules; do echo "$name/rules/$(basename "$r")"; done
  for f in LICENSE LICENSE.txt LICENSE.md COPYING; do [ -f "$here/$f" ] && echo "$name/$f"; done
  true
) | LC_ALL=C sort)
[ "$listing" = "$want" ] || fail "contents differ from the expected list:
$(diff <(echo "$want") <(echo "$listing"))"

x="$build/zip-out/extract"
rm -rf "$x" && mkdir -p "$x"
(cd "$x" && cmake -E tar xf "$zip")
cmp -s "$x/$name/portclash.exe" "$build/zip-stage/$name/portclash.exe" || fail "extracted portclash.exe differs"
cmp -s "$x/$name/portclash.conf.example" "$here/packaging/portclash.conf.example" || fail "example config differs"
echo "test-zip: contents ok"

if [ -z "${WINEPREFIX:-}" ] || ! command -v wine >/dev/null; then
  echo "test-zip: no Wine prefix: the extracted program was not run"
  exit 0
fi
export WINEDEBUG=-all
cd "$x/$name"
wine ./portclash.exe --version | tr -d '\r' | grep -q "^portclash $version" || fail "extracted portclash.exe does not run"
wine ./portclash.exe rules check rules >/dev/null || fail "rules check of the shipped rules failed"
out=$(wine ./portclash.exe analyze "$(winepath -w "$here/demo/bind-failures.records")" --config portclash.conf.example \
  --host demo-host --format json 2>&1 | tr -d '\r') || fail "analyze with the example config failed: $out"
[ "$(grep -c '"event":"bind_failure"' <<<"$out")" = 4 ] || fail "analyze with the example config: $out"
echo "test-zip: the extracted portclash.exe runs under Wine (version, rules check, analyze --config)"

# The PowerShell completion knows every command and every option of every command's --help
# (it is generated from them; this catches a help layout the generator no longer reads).
ps1=portclash-completion.ps1
grep -q '^Register-ArgumentCompleter -Native -CommandName .portclash., .portclash.exe.' $ps1 || fail "$ps1: no completer"
cmds=$(wine ./portclash.exe --help | tr -d '\r' | sed -nE '/^Commands:/,/^$/s/^  ([a-z]+) .*/\1/p')
[ "$(wc -w <<<"$cmds")" -ge 8 ] || fail "commands of --help: $cmds"
n=0
for c in $cmds; do
  grep -q "^  '$c' = '" $ps1 || fail "$ps1 lacks the command $c"
  block=$(sed -n '/^\$PortclashOptions = @{/,$p' $ps1 | sed -n "/^  '$c[ ']/,/^  )/p")
  for o in $(wine ./portclash.exe "$c" --help 2>&1 | tr -d '\r' | grep -oE '(^ +|\[|, )--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' | sort -u); do
    # Under the command itself, or under one of its subcommands ('service install').
    grep -qF "Name = '$o'" <<<"$block" || fail "$ps1: $c lacks $o"
    n=$((n + 1))
  done
done
grep -q "Name = '--format'; Value = 'text|json|syslog|syslog3164|cef'; Values = @('text','json','syslog','syslog3164','cef')" $ps1 ||
  fail "$ps1: --format values"
echo "test-zip: $ps1 completes all $(wc -w <<<"$cmds") commands and their $n options"
echo "1 passed, 0 failed"
