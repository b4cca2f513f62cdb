#!/usr/bin/env bash
# Builds PCRE2 (8-bit, static, with JIT) for x86_64-w64-mingw32 from one pinned upstream
# release, into a cache directory under the build tree. The same tarball, checked against the
# same SHA-256, is used on every machine; third-party source never enters the repository.
#
# Usage: packaging/windows/bootstrap-pcre2.sh CACHE_DIR
#   Installs into CACHE_DIR/prefix (lib/libpcre2-8.a, include/pcre2.h, lib/pkgconfig) and
#   records what it built in CACHE_DIR/version (e.g. "10.46") and CACHE_DIR/source (tarball,
#   SHA-256, URI). Idempotent: does nothing when CACHE_DIR/prefix holds a build made by this
#   very script. Needs no root and changes nothing outside CACHE_DIR.
#   PC_JOBS sets the build parallelism (default: nproc).
#   PC_PCRE2_TARBALL=FILE uses that copy of the tarball instead of fetching it (same check).
#
# Where the tarball comes from: the Debian archive, as the orig tarball of Debian's pcre2
# source package of that upstream version (the only network this project's machines reach is
# the Debian mirror and npm). apt is run with a private configuration (APT_CONFIG) whose source
# list, index lists and cache are all under CACHE_DIR/apt, with one deb-src line for the Debian
# mirror this machine already uses (read from /etc/apt/sources.list*): the system's apt
# configuration and state are never written. `apt-get source --print-uris` then gives the URI
# of the orig tarball and the SHA-256 that the signed Sources index lists for it; the tarball
# is fetched with apt's own downloader (apt-helper, which checks that hash) and checked again
# against the value pinned below. A different hash stops the build.
#
# Why 10.46 from trixie and not bookworm's 10.42: bookworm's security revisions
# (10.42-1+deb12u1/u2, JIT fixes) are listed in the indexes, but mirrors have been seen to
# serve only their orig tarball and answer 404 for the .dsc and .diff.gz, so `apt-get source`
# fell back to 10.42-1 without the fixes. Upstream 10.46 contains those fixes (and later
# ones) in the release itself, so the plain upstream tarball needs no Debian patch. Debian's
# own packaging patches are not applied (they concern Debian's build, not the library).
set -euo pipefail

say() { printf 'bootstrap-pcre2: %s\n' "$*"; }
die() {
  printf 'bootstrap-pcre2: error: %s\n' "$*" >&2
  exit 1
}

# ---- The pin. Change the three together. --------------------------------------------------
pcre2_version=10.46
pcre2_suite=trixie # a Debian suite whose Sources index lists an upstream-10.46 pcre2
orig_tar=pcre2_${pcre2_version}.orig.tar.gz
orig_sha256=8d28d7f2c3b970c3a4bf3776bcbb5adfc923183ce74bc8df1ebaad8c1985bd07

[ $# -eq 1 ] || {
  sed -n '6,12p' "$0" >&2
  exit 2
}
here=$(cd "$(dirname "$0")/../.." && pwd)
cache=$(mkdir -p "$1" && cd "$1" && pwd)
prefix="$cache/prefix"
jobs=${PC_JOBS:-$(nproc 2>/dev/null || echo 2)}
toolchain="$here/packaging/cmake/toolchain-mingw64.cmake"

# The stamp ties the cached build to this script and the toolchain file: edit either and the
# next run rebuilds.
stamp_want=$(cat "$0" "$toolchain" | sha256sum | cut -d' ' -f1)
if [ -f "$prefix/lib/libpcre2-8.a" ] && [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp_want" ]; then
  say "up to date: $prefix (pcre2 $(cat "$cache/version" 2>/dev/null || echo '?'))"
  exit 0
fi

command -v x86_64-w64-mingw32-gcc >/dev/null || die "x86_64-w64-mingw32-gcc missing (apt-get install gcc-mingw-w64-x86-64)"
helper=/usr/lib/apt/apt-helper

# The Debian mirror this machine uses: URIs of deb entries for the main archive (not
# -security), from deb822 .sources or one-line .list files, in file order.
mirror_uris() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      { types = ""; uris = ""; suites = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) types = $i
          else if ($i ~ /^URIs:/) uris = $i
          else if ($i ~ /^Suites:/) suites = $i
        }
        if (types ~ /[[:space:]]deb([[:space:]]|$)/ && suites !~ /-security/ && uris != "") {
          sub(/^URIs:[[:space:]]*/, "", uris); n = split(uris, u, /[[:space:]]+/)
          for (k = 1; k <= n; k++) print u[k]
        } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+).*/\2 \3/p' "$f" |
      awk '$2 !~ /-security/ { print $1 }'
  done
}

# Sets uri (and fetches the tarball into $work) through a private apt configuration.
fetch_with_apt() {
  local mirror="" u keyring apt line v index_sha=""
  # A Debian archive's path ends in /debian; a vendor's own apt repository does not.
  while read -r u; do
    case "${u%/}" in http://*/debian | https://*/debian | file:/*/debian) mirror=${u%/} && break ;; esac
  done < <(mirror_uris)
  [ -n "$mirror" ] || die "no Debian mirror (a deb entry whose URI ends in /debian) in /etc/apt/sources.list*"
  [ -x "$helper" ] || die "$helper missing (package apt)"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] || die "$keyring missing (package debian-archive-keyring)"

  # A private apt configuration under the cache: nothing of the system's is written.
  apt="$cache/apt"
  rm -rf "$apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d" "$apt/preferences.d"
  echo "deb-src [signed-by=$keyring] $mirror $pcre2_suite main" >"$apt/sources.list"
  {
    echo "Dir::Etc::sourcelist \"$apt/sources.list\";"
    echo "Dir::Etc::sourceparts \"$apt/sources.list.d\";"
    echo "Dir::Etc::preferencesparts \"$apt/preferences.d\";"
    echo "Dir::State::Lists \"$apt/lists\";"
    echo "Dir::Cache \"$apt/cache\";"
    echo "Dir::State::status \"/dev/null\";"
  } >"$apt/apt.conf"
  export APT_CONFIG="$apt/apt.conf"
  # As root, apt downloads as the user _apt, which must be able to write these directories.
  if [ "$(id -u)" = 0 ] && getent passwd _apt >/dev/null; then chown -R _apt "$apt/lists" "$apt/cache" "$work"; fi
  say "apt-get update with a private configuration ($apt): deb-src $mirror $pcre2_suite main"
  apt-get update -qq >"$apt/update.log" 2>&1 || die "apt-get update failed; see $apt/update.log"

  # The orig tarball's URI and index hash, from any source version of that upstream release.
  uri=""
  while read -r v; do
    case "$v" in "$pcre2_version"-*) ;; *) continue ;; esac
    line=$(apt-get source --print-uris -qq "pcre2=$v" 2>/dev/null | grep -F " $orig_tar " || true)
    [ -n "$line" ] || continue
    uri=$(awk '{ gsub(/\x27/, "", $1); print $1 }' <<<"$line")
    index_sha=$(awk '{ print $4 }' <<<"$line")
    say "pcre2 $v in $pcre2_suite lists $orig_tar ($index_sha)"
    break
  done < <(apt-cache showsrc pcre2 2>/dev/null | sed -n 's/^Version: //p')
  if [ -z "$uri" ]; then
    # The suite moved on to another upstream version: the pool keeps the tarball for a while.
    uri="$mirror/pool/main/p/pcre2/$orig_tar"
    say "no pcre2 $pcre2_version in the $pcre2_suite index; trying the pool: $uri"
  fi
  [ -z "$index_sha" ] || [ "$index_sha" = "SHA256:$orig_sha256" ] ||
    die "the Debian index lists $orig_tar with $index_sha, but the pinned SHA-256 is $orig_sha256: not building with it"
  say "fetching $uri"
  "$helper" download-file "$uri" "$work/$orig_tar" "SHA256:$orig_sha256" >"$work/download.log" 2>&1 ||
    die "cannot fetch $orig_tar with the pinned SHA-256 $orig_sha256 (apt-helper also fails on a different hash); see $work/download.log"
}

work="$cache/src"
rm -rf "$work" "$cache/build" "$prefix"
mkdir -p "$work"
if [ -n "${PC_PCRE2_TARBALL:-}" ]; then
  # A copy of the tarball brought by hand (a machine without a Debian mirror); same check.
  uri="file:$PC_PCRE2_TARBALL"
  say "using $PC_PCRE2_TARBALL (PC_PCRE2_TARBALL)"
  cp "$PC_PCRE2_TARBALL" "$work/$orig_tar" || die "cannot read $PC_PCRE2_TARBALL"
else
  fetch_with_apt
fi
got=$(sha256sum "$work/$orig_tar" | cut -d' ' -f1)
[ "$got" = "$orig_sha256" ] ||
  die "$orig_tar has SHA-256 $got, but the pinned value (packaging/windows/bootstrap-pcre2.sh) is $orig_sha256: not building with it"
tar -xzf "$work/$orig_tar" -C "$work"
srcdir="$work/pcre2-$pcre2_version"
[ -f "$srcdir/CMakeLists.txt" ] || die "$orig_tar has no pcre2-$pcre2_version/CMakeLists.txt"
say "building pcre2 $pcre2_version for x86_64-w64-mingw32 (static, 8-bit, JIT) with $jobs job(s)"

cmake -S "$srcdir" -B "$cache/build" -G Ninja -Wno-dev \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON \
  -DPCRE2_BUILD_PCRE2_8=ON -DPCRE2_BUILD_PCRE2_16=OFF -DPCRE2_BUILD_PCRE2_32=OFF \
  -DPCRE2_SUPPORT_JIT=ON -DPCRE2_SUPPORT_UNICODE=ON \
  -DPCRE2_BUILD_PCRE2GREP=OFF -DPCRE2_BUILD_TESTS=OFF >"$cache/configure.log" ||
  die "configure failed; see $cache/configure.log"
cmake --build "$cache/build" -j "$jobs" >"$cache/build.log" || die "build failed; see $cache/build.log"
cmake --install "$cache/build" >"$cache/install.log" || die "install failed; see $cache/install.log"
# The source tree is only needed for the build.
rm -rf "$work"
echo "$pcre2_version" >"$cache/version"
printf '%s sha256=%s uri=%s\n' "$orig_tar" "$orig_sha256" "$uri" >"$cache/source"
echo "$stamp_want" >"$cache/stamp"
say "installed pcre2 $pcre2_version into $prefix"
