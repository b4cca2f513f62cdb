#!/usr/bin/env bash
# Builds portclash for 64-bit Windows with MinGW-w64 (warnings are errors) and runs the test
# suite under Wine. What cannot run here (POSIX-only tests, host-side scripts) is listed, with
# the reason, in tests/windows.cmake. Wine stubs ETW and TDH, so the ETW/TDH glue is tested
# with fakes; nothing here proves behaviour on a real Windows machine.
#
# Usage: packaging/windows/test-windows.sh [BUILD_DIR]     (default: ./build-win)
#   BUILD_DIR/            the MinGW build tree
#   BUILD_DIR/_deps/      PCRE2 for MinGW, the pinned upstream release built from its checked tarball (cached)
#   BUILD_DIR/_wineprefix the Wine prefix (created once, about 700 MB)
# Environment:
#   PC_JOBS=N                  build/test parallelism (default: nproc)
#   PC_KEEP_WINESERVER=1       leave the persistent wineserver running (faster next run)
#   PC_WIN_CMAKE_ARGS="..."    extra arguments for the configure step
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
root=${1:-"$here/build-win"}
mkdir -p "$root"
root=$(cd "$root" && pwd)
jobs=${PC_JOBS:-$(nproc 2>/dev/null || echo 2)}
t0=$(date +%s%N)

# Each step line shows the wall time elapsed since the start, for the CI budget.
step() {
  local ms=$((($(date +%s%N) - t0) / 1000000))
  printf '\n== %s (at %d.%03d s)\n' "$*" $((ms / 1000)) $((ms % 1000))
}

step "packages (packaging/deps/tests-windows.txt)"
"$here/packaging/install-deps.sh" --only tests-windows

step "PCRE2 for MinGW"
PC_JOBS=$jobs "$here/packaging/windows/bootstrap-pcre2.sh" "$root/_deps/pcre2"

step "Wine prefix"
export WINEPREFIX="$root/_wineprefix" WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY
"$here/packaging/windows/wine-prefix.sh" "$WINEPREFIX"
if [ "${PC_KEEP_WINESERVER:-0}" != 1 ]; then
  trap '"$here/packaging/windows/wine-prefix.sh" "$WINEPREFIX" --stop >/dev/null' EXIT
fi

step "configure (MinGW-w64, -Werror)"
# shellcheck disable=SC2086  # PC_WIN_CMAKE_ARGS is a list of arguments on purpose
cmake -S "$here" -B "$root" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$here/packaging/cmake/toolchain-mingw64.cmake" \
  -DMINGW_EXTRA_PREFIX="$root/_deps/pcre2/prefix" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPC_WERROR=ON ${PC_WIN_CMAKE_ARGS:-} >"$root/configure.log" ||
  { cat "$root/configure.log"; exit 1; }
grep -E '^-- Windows build:' "$root/configure.log" || true

step "build"
cmake --build "$root" -j "$jobs"

step "tests under Wine"
# --timeout: a Wine helper process that inherits a test's pipe would otherwise hang ctest.
ctest --test-dir "$root" --output-on-failure --timeout 120 -j "$jobs"

step "done"
echo "test-windows: every step passed"
