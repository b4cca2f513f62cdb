#!/usr/bin/env bash
# bootstrap-pcre2.sh must refuse a tarball whose SHA-256 is not the pinned one: exit status 1,
# a message naming both hashes, and nothing installed. Offline: the tarball is given with
# PC_PCRE2_TARBALL, so the check is the same one a fetched tarball goes through.
# Usage: pcre2_checksum_mismatch.sh SOURCE_DIR WORK_DIR
set -uo pipefail
src=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
printf 'not pcre2\n' >"$work/fake.tar.gz"
out=$(PC_PCRE2_TARBALL="$work/fake.tar.gz" bash "$src/packaging/windows/bootstrap-pcre2.sh" "$work/cache" 2>&1)
rc=$?
echo "$out"
pinned=$(sed -n 's/^orig_sha256=\([0-9a-f]*\).*/\1/p' "$src/packaging/windows/bootstrap-pcre2.sh")
got=$(sha256sum "$work/fake.tar.gz" | cut -d' ' -f1)
[ "$rc" = 1 ] || { echo "FAIL: exit status $rc, want 1"; exit 1; }
grep -q "SHA-256 $got, but the pinned value .* is $pinned" <<<"$out" || { echo "FAIL: message"; exit 1; }
[ ! -e "$work/cache/prefix" ] || { echo "FAIL: something was installed"; exit 1; }
echo "ALL TESTS PASSED"
