#!/usr/bin/env bash
# Builds PCRE2 (8-bit, static, with JIT) for x86_64-w64-mingw32 from Debian's own source
# package, into a cache directory under the build tree. Third-party source never enters the
# repository: it is fetched with `apt-get source` into the cache.
#
# Usage: packaging/windows/bootstrap-pcre2.sh CACHE_DIR
#   Installs into CACHE_DIR/prefix (lib/libpcre2-8.a, include/pcre2.h, lib/pkgconfig).
#   Idempotent: does nothing when CACHE_DIR/prefix holds a build made by this very script.
#   Needs root only to enable deb-src (once) and run apt-get update.
#   PC_JOBS sets the build parallelism (default: nproc).
#
# Recipe and its pitfalls: shared/reference/toolchain.md section 3. Debian 12 has no MinGW
# PCRE2 package; the +deb12u2 security source may 404 on some mirrors, so the unpinned
# version is tried first (it carries the JIT security fixes) and 10.42-1 is the fallback.
set -euo pipefail

say() { printf 'bootstrap-pcre2: %s\n' "$*"; }
die() { printf 'bootstrap-pcre2: error: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || { sed -n '5,10p' "$0" >&2; exit 2; }
here=$(cd "$(dirname "$0")/../.." && pwd)
cache=$(mkdir -p "$1" && cd "$1" && pwd)
prefix="$cache/prefix"
jobs=${PC_JOBS:-$(nproc 2>/dev/null || echo 2)}
toolchain="$here/packaging/cmake/toolchain-mingw64.cmake"
# Same for every Debian revision of 10.42 (toolchain.md section 3).
orig_tar=pcre2_10.42.orig.tar.gz
orig_sha256=c33b418e3b936ee3153de2c61cc638e7e4fe3156022a5c77d0711bcbb9d64f1f

# The stamp ties the cached build to this script and the toolchain file: edit either and the
# next run rebuilds.
stamp_want=$(cat "$0" "$toolchain" | sha256sum | cut -d' ' -f1)
if [ -f "$prefix/lib/libpcre2-8.a" ] && [ "$(cat "$cache/stamp" 2>/dev/null)" = "$stamp_want" ]; then
  say "up to date: $prefix ($(cat "$cache/version" 2>/dev/null || echo '?'))"
  exit 0
fi

command -v x86_64-w64-mingw32-gcc >/dev/null || die "x86_64-w64-mingw32-gcc missing (apt-get install gcc-mingw-w64-x86-64)"
command -v dpkg-source >/dev/null || die "dpkg-source missing (apt-get install dpkg-dev)"

# apt-get source needs a deb-src entry. If none exists, add one next to the distribution's
# own file, with the same URIs and suites (the existing files are left untouched).
has_deb_src() {
  grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources
}
if ! has_deb_src; then
  [ "$(id -u)" = 0 ] || die "no deb-src entry in /etc/apt and not root: add one or rerun as root"
  src=/etc/apt/sources.list.d/portclash-deb-src.sources
  say "no deb-src entry: writing $src (copy of debian.sources with Types: deb-src)"
  deb822=/etc/apt/sources.list.d/debian.sources
  if [ -f "$deb822" ]; then
    sed -e 's/^Types:.*/Types: deb-src/' "$deb822" >"$src"
  elif [ -f /etc/apt/sources.list ]; then
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/portclash-deb-src.list
  else
    die "cannot find the distribution's apt sources to derive a deb-src entry from"
  fi
  say "apt-get update (to fetch the Sources indexes)"
  apt-get update -qq
fi

work="$cache/src"
rm -rf "$work" "$cache/build" "$prefix"
mkdir -p "$work"
# apt-get source downloads as _apt when it can write the directory; otherwise it warns that
# the download is unsandboxed.
chown _apt "$work" 2>/dev/null || true
cd "$work"
say "fetching Debian's pcre2 source package into $work"
if ! apt-get source -qq pcre2 >apt-source.log 2>&1; then
  say "apt-get source pcre2 failed ($(tail -n1 apt-source.log)); falling back to pcre2=10.42-1"
  rm -rf ./pcre2-* ./pcre2_*
  if ! apt-get source -qq pcre2=10.42-1 >>apt-source.log 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      say "retrying after apt-get update"
      apt-get update -qq
      apt-get source -qq pcre2 >>apt-source.log 2>&1 || apt-get source -qq pcre2=10.42-1 >>apt-source.log 2>&1 ||
        die "apt-get source failed; see $work/apt-source.log"
    else
      die "apt-get source failed; see $work/apt-source.log"
    fi
  fi
fi
echo "$orig_sha256  $orig_tar" | sha256sum -c --quiet - || die "$orig_tar does not match the known SHA-256"
srcdir=$(find . -maxdepth 1 -type d -name 'pcre2-10.*' | head -n1)
[ -n "$srcdir" ] || die "no pcre2-10.* directory after apt-get source"
version=$(ls ./*.dsc | sed 's/.*pcre2_\(.*\)\.dsc/\1/')
say "building pcre2 $version for x86_64-w64-mingw32 (static, 8-bit, JIT) with $jobs job(s)"

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
echo "$version" >"$cache/version"
echo "$stamp_want" >"$cache/stamp"
say "installed pcre2 $version into $prefix"
