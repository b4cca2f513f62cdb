#!/usr/bin/env bash
# Installs what portclash needs on Debian 12, idempotently, and says what it does.
#   packaging/install-deps.sh          build + run dependencies
#   packaging/install-deps.sh --tests  also everything the test suite uses
#   packaging/install-deps.sh --only NAME  only the list packaging/deps/NAME.txt (repeatable)
set -euo pipefail

want_tests=0
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tests) want_tests=1 ;;
    --only) [ $# -ge 2 ] || { echo "install-deps: --only needs a list name" >&2; exit 2; }
            only+=("$2"); shift ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# Package lists live in packaging/deps/: base*.txt for building and running, tests*.txt
# for the test suite. Each area of the project keeps its own list file.
deps_dir="$(cd "$(dirname "$0")" && pwd)/deps"
lists=("$deps_dir"/base*.txt)
[ "$want_tests" = 1 ] && lists+=("$deps_dir"/tests*.txt)
if [ "${#only[@]}" -gt 0 ]; then
  lists=()
  for n in "${only[@]}"; do
    [ -f "$deps_dir/$n.txt" ] || { echo "install-deps: no list $deps_dir/$n.txt" >&2; exit 2; }
    lists+=("$deps_dir/$n.txt")
  done
fi
mapfile -t pkgs < <(cat "${lists[@]}" | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)

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
