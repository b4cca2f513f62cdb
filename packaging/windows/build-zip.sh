#!/usr/bin/env bash
# Builds portclash-<version>-win64.zip from a MinGW build tree: the portable alternative to the
# MSI (unzip anywhere, run portclash.exe from an elevated console). Contents, under one folder
# portclash-<version>-win64/: portclash.exe (stripped), rules/*.rules (the default catalog as
# files to read and copy; it is also built into the program), README.md,
# portclash.conf.example, portclash-completion.ps1 (PowerShell tab completion, generated from
# the program's --help under Wine by gen-completion.sh), and LICENSE when the source tree has
# one. Written with
# `cmake -E tar --format=zip` (no zip program needed), with a fixed time stamp so that two
# builds of the same tree give the same archive.
#
# Usage: packaging/windows/build-zip.sh BUILD_DIR [OUT_DIR]    (OUT_DIR defaults to BUILD_DIR)
# Prints the path of the ZIP on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: build-zip.sh BUILD_DIR [OUT_DIR]}
out=${2:-$build}
build=$(cd "$build" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
command -v x86_64-w64-mingw32-strip >/dev/null ||
  { echo "build-zip: x86_64-w64-mingw32-strip is missing (packaging/deps/tests-windows.txt)" >&2; exit 1; }
exe="$build/portclash.exe"
[ -f "$exe" ] || { echo "build-zip: $exe not found: build the Windows tree first" >&2; exit 1; }
version=$(sed -n 's/^project(portclash VERSION \([0-9][0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
[ -n "$version" ] || { echo "build-zip: no version in CMakeLists.txt" >&2; exit 1; }

name="portclash-$version-win64"
stage="$build/zip-stage"
rm -rf "$stage"
mkdir -p "$stage/$name/rules"
x86_64-w64-mingw32-strip -o "$stage/$name/portclash.exe" "$exe"
cp "$here"/rules/default/*.rules "$stage/$name/rules/"
cp "$here/README.md" "$here/packaging/portclash.conf.example" "$stage/$name/"
"$here/packaging/windows/gen-completion.sh" "$stage/$name/portclash-completion.ps1" -- ${PC_RUN_PORTCLASH:-wine "$exe"} ||
  { echo "build-zip: cannot generate the PowerShell completion (needs wine, or PC_RUN_PORTCLASH)" >&2; exit 1; }
for f in LICENSE LICENSE.txt LICENSE.md COPYING; do
  [ -f "$here/$f" ] && cp "$here/$f" "$stage/$name/"
done
zip="$out/$name.zip"
rm -f "$zip"
(cd "$stage" && find "$name" -type f | LC_ALL=C sort >"$stage/files.txt" &&
  cmake -E tar cf "$zip" --format=zip "--mtime=2000-01-01 00:00:00 UTC" --files-from="$stage/files.txt")
echo "$zip"
