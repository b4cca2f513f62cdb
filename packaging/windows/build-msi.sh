#!/usr/bin/env bash
# Builds portclash-<version>-x64.msi from a MinGW build tree with wixl (Debian package wixl;
# toolchain.md section 6). Stages portclash.exe (stripped), rules/default/*, README.md and
# portclash-completion.ps1 (generated from portclash.exe --help under Wine: gen-completion.sh),
# lists the rules with wixl-heat, then links packaging/windows/portclash.wxs.
#
# Usage: packaging/windows/build-msi.sh BUILD_DIR [OUT_DIR]    (OUT_DIR defaults to BUILD_DIR)
# Prints the path of the MSI on its last line.
set -euo pipefail
# shellcheck source=packaging/windows/package-common.sh
. "$(dirname "$0")/package-common.sh"
pkg_begin build-msi wixl wixl-heat x86_64-w64-mingw32-strip -- "$@"

stage="$build/msi-stage"
rm -rf "$stage"
pkg_stage "$stage" "$here"/rules/default/*

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
