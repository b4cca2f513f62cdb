#!/usr/bin/env bash
# The habits CI checks on the source tree (CONTRIBUTING.md):
#   1. every tracked C file is formatted as .clang-format says (clang-format 14, Debian 12);
#   2. no banned function: strcpy, strcat, sprintf, atoi, gets (use snprintf, pc_parse_uint,
#      fgets: they bound what they write or report what they could not parse).
# Usage: packaging/check-style.sh [SOURCE_DIR]   Exit 0 clean, 1 with each offence listed,
# 77 when clang-format is missing (ctest reports the check as skipped).
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 1
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find monitor parsers rules tests tools -name '*.[ch]')
bad=0

banned='\b(strcpy|strcat|sprintf|atoi|gets)[[:space:]]*\('
for f in "${files[@]}"; do
  while IFS= read -r line; do
    echo "$f:$line: banned function (use snprintf / pc_parse_uint / fgets)"
    bad=1
  done < <(sed -E 's://.*$::; s:/\*.*\*/::g; s:"([^"\\]|\\.)*"::g' "$f" | grep -nE "$banned" | cut -d: -f1)
done

if ! command -v clang-format >/dev/null; then
  echo "check-style: clang-format not installed; formatting not checked (apt-get install clang-format)"
  [ "$bad" = 0 ] && exit 77
  exit 1
fi
unformatted=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
for f in "${unformatted[@]}"; do
  echo "$f: not formatted (run: clang-format -i $f)"
  bad=1
done
[ "$bad" = 0 ] && echo "check-style: ${#files[@]} files formatted, no banned functions"
exit "$bad"
