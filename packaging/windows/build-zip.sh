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
# shellcheck source=packaging/windows/package-common.sh
. "$(dirname "$0")/package-common.sh"
pkg_begin build-zip x86_64-w64-mingw32-strip -- "$@"

name="portclash-$version-win64"
stage="$build/zip-stage"
rm -rf "$stage"
pkg_stage "$stage/$name" "$here"/rules/default/*.rules
for f in LICENSE LICENSE.txt LICENSE.md COPYING; do
  [ -f "$here/$f" ] && cp "$here/$f" "$stage/$name/"
done
zip="$out/$name.zip"
rm -f "$zip"
(cd "$stage" && find "$name" -type f | LC_ALL=C sort >"$stage/files.txt" &&
  cmake -E tar cf "$zip" --format=zip "--mtime=2000-01-01 00:00:00 UTC" --files-from="$stage/files.txt")
echo "$zip"
