#!/usr/bin/env bash
# valgrind memcheck over the end-to-end commands (a plain build: valgrind and ASan do not
# mix). Any error or definite leak fails. Usage: packaging/memcheck.sh [build-dir] [shared-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-"$here/build-memcheck"}
shared=${2:-"$here/../shared"}
cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" --target portclash records_to_etl
pc="$dir/portclash"
demo="$here/demo"
hs=(--netsh-excluded "$demo/netsh-excluded-udp.txt" --netsh-excluded "$demo/netsh-excluded-tcp.txt"
    --netsh-dynamic "$demo/netsh-dynamic-tcp.txt" --netstat "$demo/netstat-ano.txt" --tasklist "$demo/tasklist.csv")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$dir/tests/records_to_etl" "$demo/bind-failures.records" "$tmp/demo.etl" --compress
"$dir/tests/records_to_etl" "$demo/bind-failures.records" "$tmp/plain.etl"
head -c 150000 "$tmp/plain.etl" > "$tmp/cut.etl"

pass=0 fail=0
check() { # check EXPECTED_EXIT ARGS...
  local want=$1
  shift
  set +e
  valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    "$pc" "$@" >/dev/null 2>"$tmp/vg.log"
  local got=$?
  set -e
  if [ "$got" = "$want" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "memcheck FAILED (exit $got, expected $want): portclash $*"
    cat "$tmp/vg.log"
  fi
}
check 0 analyze "$demo/bind-failures.records" "${hs[@]}"
check 0 analyze "$demo/bind-failures.records" "${hs[@]}" --format json --log "$tmp/log.jsonl"
check 0 analyze "$tmp/demo.etl" "${hs[@]}" --format syslog
check 0 analyze "$tmp/demo.etl" --format cef
check 2 analyze "$tmp/cut.etl"
check 0 explain 80 --netsh-excluded "$demo/netsh-excluded-tcp.txt" --netstat "$demo/netstat-ano.txt" --tasklist "$demo/tasklist.csv"
check 0 explain 18099
check 0 ranges --netsh-excluded "$demo/netsh-excluded-tcp.txt" --netstat "$demo/netstat-ano.txt"
check 0 rules check
check 0 schema check "$here/parsers/schemas/builtin.schema"
check 0 etl info "$tmp/demo.etl"
if [ -f "$shared/samples/etl/SelfDescribingSingleEvent.etl" ]; then
  check 0 etl info "$shared/samples/etl/SelfDescribingSingleEvent.etl"
  check 0 analyze "$shared/samples/etl/HTTP_Server.etl"
fi
echo "memcheck: $pass passed, $fail failed"
[ "$fail" = 0 ]
