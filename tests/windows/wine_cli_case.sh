#!/usr/bin/env bash
# Runs one CLI case of the Windows build under Wine:
#   wine_cli_case.sh EXPECTED_EXIT EXPECTED_STDOUT_FILE|- STDERR_GREP|- -- WINE EXE ARGS...
# Same contract as tests/e2e/cli_case.sh, except that the Windows program writes CRLF line
# ends (msvcrt text mode), which are turned into LF before comparing with the expected file
# shared with the native test. Wine's own crash messages fail the case whatever the exit
# status (toolchain.md section 4: after a crash in a stub, Wine may exit 0).
set -u
want_exit=$1 want_out=$2 want_err=$3
shift 3
[ "$1" = "--" ] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err" "$out.lf" "$err.lf"' EXIT
export WINEDEBUG=${WINEDEBUG:--all}
"$@" >"$out" 2>"$err"
got=$?
tr -d '\r' <"$out" >"$out.lf"
tr -d '\r' <"$err" >"$err.lf"
ok=1
if [ "$got" != "$want_exit" ]; then echo "exit status $got, expected $want_exit"; ok=0; fi
if [ "$want_out" != "-" ] && ! diff -u "$want_out" "$out.lf"; then echo "stdout differs (above, CR removed)"; ok=0; fi
if [ "$want_err" != "-" ] && ! grep -qF -- "$want_err" "$err.lf"; then echo "stderr lacks: $want_err"; ok=0; fi
if grep -qE 'unimplemented function|Unhandled exception|Unhandled page fault|starting debugger' "$err.lf"; then
  echo "Wine reported a crash:"; ok=0
fi
[ $ok = 0 ] && cat "$err.lf"
[ $ok = 1 ] && echo "1 passed, 0 failed" && exit 0
echo "0 passed, 1 failed"
exit 1
