#!/usr/bin/env bash
# Builds the Debian package portclash_VERSION_ARCH.deb with CPack's DEB generator
# (packaging/cmake/PcInstall.cmake): a Release build with Debian's hardening flags
# (dpkg-buildflags), prefix /usr, the man page and completions generated from --help.
#   packaging/linux/build-deb.sh [BUILD_DIR [OUT_DIR]]   (default ./build-deb; OUT_DIR = BUILD_DIR)
# Prints the path of the .deb on its last line. Needs help2man, dpkg-dev (dpkg-shlibdeps) and
# the eBPF build dependencies (packaging/deps/base-ebpf.txt): a package without the live
# monitor would be useless, so PC_EBPF=ON.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$here/build-deb"}
out=${2:-$build}
mkdir -p "$build" "$out"
build=$(cd "$build" && pwd)
out=$(cd "$out" && pwd)
for tool in help2man dpkg-shlibdeps dpkg-buildflags cpack; do
  command -v "$tool" >/dev/null || { echo "build-deb: $tool is missing (packaging/install-deps.sh --tests)" >&2; exit 1; }
done
# Reproducible dates (man page, changelog): the last commit's, when this is a git checkout.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && ts=$(git -C "$here" log -1 --format=%ct 2>/dev/null); then
  export SOURCE_DATE_EPOCH=$ts
fi
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DPC_EBPF=ON -DPC_WERROR=OFF \
  -DCMAKE_C_FLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" >/dev/null
cmake --build "$build" --target portclash pc_docs
(cd "$build" && cpack -G DEB -B "$build/cpack" >/dev/null)
version=$(sed -n 's/^project(portclash VERSION \([0-9][0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
deb=$(ls "$build"/cpack/portclash_"$version"_*.deb)
[ "$out" -ef "$build/cpack" ] || cp "$deb" "$out/"
echo "$out/$(basename "$deb")"
