#!/usr/bin/env bash
# Installs what portclash needs on Debian 12, idempotently, and says what it does.
#   packaging/install-deps.sh          build + run dependencies
#   packaging/install-deps.sh --tests  also everything the test suite uses
set -euo pipefail

want_tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) want_tests=1 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

pkgs=(build-essential cmake ninja-build pkg-config libpcre2-dev)
if [ "$want_tests" = 1 ]; then
  # clang + its runtime for the sanitizer and libFuzzer builds; python3 for the
  # manifest cross-check; valgrind for memcheck of the end-to-end tests.
  pkgs+=(clang libclang-rt-14-dev python3 valgrind)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 3; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
