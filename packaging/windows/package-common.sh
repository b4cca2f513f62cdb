# shellcheck shell=bash
# Sourced by build-msi.sh and build-zip.sh (which run with `set -euo pipefail`): what both
# Windows packages share, so that their arguments, checks and common files cannot drift apart.
#   pkg_begin PROG TOOL... -- BUILD_DIR [OUT_DIR]
#       checks that each TOOL is installed, then sets here (the source tree), build, out
#       (created; defaults to build), exe (BUILD_DIR/portclash.exe, which must exist) and
#       version (from CMakeLists.txt); every failure is "PROG: ..." on stderr and exit 1.
#   pkg_stage DIR RULE_FILE...
#       stages what every package holds into DIR: portclash.exe (stripped), the rule files in
#       DIR/rules, README.md, portclash.conf.example and portclash-completion.ps1 (generated
#       from the program's --help under Wine, or PC_RUN_PORTCLASH: gen-completion.sh).

pkg_begin() {
  pkg_prog=$1
  shift
  while [ "$1" != -- ]; do
    command -v "$1" >/dev/null || pkg_fail "$1 is missing (packaging/deps/tests-windows.txt)"
    shift
  done
  shift
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  build=${1:?usage: $pkg_prog.sh BUILD_DIR [OUT_DIR]}
  out=${2:-$build}
  build=$(cd "$build" && pwd)
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  exe="$build/portclash.exe"
  [ -f "$exe" ] || pkg_fail "$exe not found: build the Windows tree first"
  version=$(sed -n 's/^project(portclash VERSION \([0-9][0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
  [ -n "$version" ] || pkg_fail "no version in CMakeLists.txt"
}

pkg_fail() {
  echo "$pkg_prog: $*" >&2
  exit 1
}

pkg_stage() {
  local dir=$1
  shift
  mkdir -p "$dir/rules"
  x86_64-w64-mingw32-strip -o "$dir/portclash.exe" "$exe"
  cp "$@" "$dir/rules/"
  cp "$here/README.md" "$here/packaging/portclash.conf.example" "$dir/"
  # shellcheck disable=SC2086 # PC_RUN_PORTCLASH is a command line
  "$here/packaging/windows/gen-completion.sh" "$dir/portclash-completion.ps1" -- ${PC_RUN_PORTCLASH:-wine "$exe"} ||
    pkg_fail "cannot generate the PowerShell completion (needs wine, or PC_RUN_PORTCLASH)"
}
