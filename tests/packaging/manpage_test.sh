#!/usr/bin/env bash
# Checks the generated man page against the program: it renders without warnings, and every
# command and every option that `portclash --help` and `portclash CMD --help` print is in it.
#   manpage_test.sh PORTCLASH.1 PORTCLASH       (exit 77 when help2man/man are missing)
set -u
page=$1 pc=$2
[ -f "$page" ] || { echo "SKIP: $page was not generated (help2man missing at configure time?)"; exit 77; }
command -v man >/dev/null || { echo "SKIP: man (man-db) is missing"; exit 77; }
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

text=$(MANWIDTH=200 man --warnings -l "$page" 2>"${TMPDIR:-/tmp}/man-warn.$$" | col -b)
warn=$(cat "${TMPDIR:-/tmp}/man-warn.$$"); rm -f "${TMPDIR:-/tmp}/man-warn.$$"
[ -z "$warn" ] && ok "man -l renders it without warnings" || bad "man warnings: $warn"
grep -q "^NAME" <<<"$text" && grep -q "portclash - " <<<"$text" && ok "NAME section" || bad "no NAME section"
grep -q "^SYNOPSIS" <<<"$text" && ok "SYNOPSIS section" || bad "no SYNOPSIS"
v=$("$pc" --version | head -1)
grep -qF "$v" <<<"$text" && ok "version $v" || bad "version missing"

commands=$("$pc" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
missing=""
for c in $commands; do
  grep -qE "^ +$c\$" <<<"$text" || missing="$missing $c"
  h=$("$pc" "$c" --help 2>/dev/null) || continue
  for o in $(grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' <<<"$h" | grep -oE -- '--[a-z0-9-]+' | sort -u); do
    grep -qF -- "$o" <<<"$text" || missing="$missing $c:$o"
  done
done
[ -z "$missing" ] && ok "every command and option of --help is in the page" || bad "missing:$missing"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
