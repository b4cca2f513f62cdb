#!/usr/bin/env bash
# Builds portclash-<version>-x64.msi from a MinGW build tree with wixl (Debian package wixl;
# toolchain.md section 6). Stages portclash.exe (stripped), rules/default/*, README.md and
# portclash-completion.ps1 (generated from portclash.exe --help under Wine: gen-completion.sh),
# lists the rules with wixl-heat, then links packaging/windows/portclash.wxs.
#
# Usage: packaging/windows/build-msi.sh BUILD_DIR [OUT_DIR]    (OUT_DIR defaults to BUILD_DIR)
# Prints the path of the MSI on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: build-msi.sh BUILD_DIR [OUT_DIR]}
out=${2:-$build}
build=$(cd "$build" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
for tool in wixl wixl-heat x86_64-w64-mingw32-strip; do
  command -v "$tool" >/dev/null || { echo "build-msi: $tool is missing (packaging/deps/tests-windows.txt)" >&2; exit 1; }
done
exe="$build/portclash.exe"
[ -f "$exe" ] || { echo "build-msi: $exe not found: build the Windows tree first" >&2; exit 1; }
version=$(sed -n 's/^project(portclash VERSION \([0-9][0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
[ -n "$version" ] || { echo "build-msi: no version in CMakeLists.txt" >&2; exit 1; }

stage="$build/msi-stage"
rm -rf "$stage"
mkdir -p "$stage/rules"
x86_64-w64-mingw32-strip -o "$stage/portclash.exe" "$exe"
cp "$here"/rules/default/* "$stage/rules/"
cp "$here/README.md" "$stage/README.md"
cp "$here/packaging/portclash.conf.example" "$stage/portclash.conf.example"
"$here/packaging/windows/gen-completion.sh" "$stage/portclash-completion.ps1" -- ${PC_RUN_PORTCLASH:-wine "$exe"} ||
  { echo "build-msi: cannot generate the PowerShell completion (needs wine, or PC_RUN_PORTCLASH)" >&2; exit 1; }

# wixl-heat writes Win64="$(var.Win64)" and Source="$(var.StageDir)/rules/...".
find "$stage/rules" -type f | LC_ALL=C sort |
  wixl-heat -p "$stage/" --component-group CG.Rules --var var.StageDir --directory-ref INSTALLDIR --win64 \
    >"$build/msi-rules.wxs"
msi="$out/portclash-$version-x64.msi"
# StageDir must be relative: wixl cannot resolve absolute Source paths (GLib assertion
# "!g_path_is_absolute (name)", then "Couldn't find file").
(cd "$build" && wixl -a x64 -D Version="$version" -D StageDir=msi-stage -D Win64=yes -o "$msi" \
  "$here/packaging/windows/portclash.wxs" "$build/msi-rules.wxs")
echo "$msi"
