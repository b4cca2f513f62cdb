#!/usr/bin/env bash
# Writes the man page portclash(1) with help2man from the program's own help texts, so that
# it never differs from --help:
#   gen-manpage.sh PORTCLASH OUT.1 STATIC.h2m
# NAME, SYNOPSIS, DESCRIPTION and OPTIONS come from `portclash --help` / --version (help2man);
# a COMMANDS section is added with the verbatim `portclash CMD --help` of every command of
# the "Commands:" list (and `portclash CMD SUB --help` of the sub-commands named on its
# usage lines), so each command's options are documented exactly as the program prints them.
# STATIC.h2m adds what --help does not say (files, environment, see also).
set -euo pipefail
pc=${1:?usage: gen-manpage.sh PORTCLASH OUT.1 STATIC.h2m}
out=${2:?usage: gen-manpage.sh PORTCLASH OUT.1 STATIC.h2m}
static=${3:?usage: gen-manpage.sh PORTCLASH OUT.1 STATIC.h2m}
command -v help2man >/dev/null || {
  echo "gen-manpage: help2man is missing (apt-get install help2man; packaging/deps/tests-packaging.txt)" >&2
  exit 1
}
pc=$(cd "$(dirname "$pc")" && pwd)/$(basename "$pc")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# roff-safe verbatim text: backslashes, then leading dots/quotes, then minus signs.
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/" -e 's/-/\\-/g'; }

commands=$("$pc" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || { echo "gen-manpage: no 'Commands:' list in '$pc --help'" >&2; exit 1; }
{
  echo "[COMMANDS]"
  echo "Every command and its options, as printed by \\fBportclash\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR."
  for c in $commands; do
    h=$("$pc" "$c" --help 2>&1) || true
    echo ".SS \"$c\""
    echo ".nf"
    roff <<<"$h"
    echo ".fi"
    for s in $(awk -v c="$c" '{ sub(/^usage:/, "") } $1 == "portclash" && $2 == c && $3 ~ /^[a-z][a-z-]*$/ { print $3 }' <<<"$h" | awk '!seen[$0]++'); do
      sh=$("$pc" "$c" "$s" --help 2>/dev/null) || continue
      grep -q "^usage: portclash $c $s" <<<"$sh" || continue
      echo ".SS \"$c $s\""
      echo ".nf"
      roff <<<"$sh"
      echo ".fi"
    done
  done
  echo
  cat "$static"
} >"$tmp/include.h2m"

# help2man finds the synopsis under "Usage:"; portclash prints "usage:". A wrapper named
# portclash capitalises that one word (help2man takes the program name from the file name).
mkdir "$tmp/bin"
printf '#!/bin/sh\n"%s" "$@" | sed "1s/^usage:/Usage:/"\n' "$pc" >"$tmp/bin/portclash"
chmod +x "$tmp/bin/portclash"

# SOURCE_DATE_EPOCH (set by build-deb.sh from the last commit) keeps the date reproducible.
help2man --no-info --no-discard-stderr --section=1 \
  --name="explain socket bind failures (who, why, and how to fix it)" \
  --include="$tmp/include.h2m" --output="$tmp/portclash.1" "$tmp/bin/portclash"
mv "$tmp/portclash.1" "$out"
