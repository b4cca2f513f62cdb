#!/usr/bin/env bash
# Runs one CLI case: cli_case.sh EXPECTED_EXIT EXPECTED_STDOUT_FILE|- STDERR_GREP|- -- COMMAND...
# Passes when the exit status matches, stdout equals the file (unless '-'), and stderr
# contains STDERR_GREP (unless '-').
set -u
want_exit=$1 want_out=$2 want_err=$3
shift 3
[ "$1" = "--" ] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
got=$?
ok=1
if [ "$got" != "$want_exit" ]; then echo "exit status $got, expected $want_exit"; ok=0; fi
if [ "$want_out" != "-" ] && ! diff -u "$want_out" "$out"; then echo "stdout differs (above)"; ok=0; fi
if [ "$want_err" != "-" ] && ! grep -qF -- "$want_err" "$err"; then echo "stderr lacks: $want_err"; cat "$err"; ok=0; fi
[ $ok = 1 ] && echo "1 passed, 0 failed" && exit 0
echo "0 passed, 1 failed"
exit 1
