#!/usr/bin/env bash
# The Windows build records the exact PCRE2 it links: the version pinned in
# packaging/windows/bootstrap-pcre2.sh, the one the build tree recorded at configure time
# (pcre2-version.txt, from the installed libpcre2-8.pc) and the one the library linked into
# portclash.exe reports (`portclash --version`, under Wine) must be the same.
# Usage: wine_pcre2_version.sh SOURCE_DIR BUILD_DIR WINE PORTCLASH_EXE
set -euo pipefail
src=$1 build=$2
shift 2
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pinned=$(sed -n 's/^pcre2_version=\([0-9.]*\).*/\1/p' "$src/packaging/windows/bootstrap-pcre2.sh")
[ -n "$pinned" ] || fail "no pcre2_version= in bootstrap-pcre2.sh"
recorded=$(tr -d '\n' <"$build/pcre2-version.txt")
[ "$recorded" = "$pinned" ] || fail "the build tree recorded PCRE2 '$recorded', the pin is '$pinned'"
out=$(WINEDEBUG=-all "$@" --version | tr -d '\r')
echo "$out"
line=$(grep '^PCRE2 ' <<<"$out") || fail "portclash --version names no PCRE2"
[ "$(awk '{ print $2 }' <<<"$line")" = "$pinned" ] || fail "portclash.exe links PCRE2 '$line', the pin is $pinned"
grep -q '(JIT)' <<<"$line" || fail "PCRE2 without JIT: $line"
echo "PCRE2 $pinned: pinned, recorded in the build tree, linked"
echo "ALL TESTS PASSED"
