#!/usr/bin/env bash
# Hostile inputs through the CLI (issue 20.4): each must end within a second with exit 2 and
# a message that says what is wrong, never hang or eat memory.
#   hostile_inputs.sh PORTCLASH ETL_BOMB DEMO_DIR
# Cases: an XPRESS decompression bomb as capture (analyze, etl info; 64 MiB buffers for
# the per-buffer cap, 1 MiB buffers for the whole-file cap); a FIFO as capture,
# configuration, host-state text, rules file (rules check) and *.rules file in a --rules
# directory; a *.rules symlink to /dev/zero; a directory as capture; a zip, tar or
# tar.gz (a collect folder packed for sending) as capture.
set -u
pc=$1 bomb_tool=$2 demo=$3
pass=0 fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkfifo "$work/fifo" "$work/fifo.etl"
mkdir "$work/zero-rules" "$work/fifo-rules"
ln -s /dev/zero "$work/zero-rules/zero.rules"
mkfifo "$work/fifo-rules/pipe.rules"
"$bomb_tool" "$work/bomb.etl" 1000 || { echo "cannot write the bomb"; exit 1; }
"$bomb_tool" "$work/bomb-1m.etl" 1000 1048576 || { echo "cannot write the bomb"; exit 1; }
echo "bomb: $(wc -c <"$work/bomb.etl") bytes, 1000 buffers claiming 64 MiB each"

# case NAME WANT_TEXT -- COMMAND...: exit 2, stderr has WANT_TEXT, done within a second
# (a hang is cut by timeout after 10 s and fails the case).
case_() {
  local name=$1 want=$2
  shift 3
  local t0 t1 rc ms
  t0=$(date +%s%N)
  timeout 10 "$@" >"$work/out" 2>"$work/err" </dev/null
  rc=$?
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  if [ "$rc" = 2 ] && grep -qF -- "$want" "$work/err" && [ "$ms" -lt 1000 ]; then
    echo "ok   $name (${ms} ms): $(head -c 200 "$work/err" | head -1)"
    pass=$((pass + 1))
  else
    echo "FAIL $name: exit $rc after ${ms} ms, want 2 within 1000 ms and '$want' in:"
    head -c 600 "$work/err"
    fail=$((fail + 1))
  fi
}

notreg="not a regular file"
case_ "XPRESS bomb (analyze)" "decompression bomb" -- "$pc" analyze "$work/bomb.etl"
case_ "XPRESS bomb (etl info)" "decompression bomb" -- "$pc" etl info "$work/bomb.etl"
case_ "XPRESS bomb of 1 MiB buffers (file cap)" "would bring the file's decompressed size" -- \
  "$pc" analyze "$work/bomb-1m.etl"
case_ "FIFO capture" "$notreg" -- "$pc" analyze "$work/fifo.etl"
# A folder is read as a `collect` folder: without its manifest it is refused, saying so.
case_ "directory capture" "without manifest.json" -- "$pc" analyze "$work"
case_ "FIFO configuration" "$notreg" -- "$pc" analyze "$demo/bind-failures.records" --config "$work/fifo"
case_ "FIFO netstat text" "$notreg" -- "$pc" analyze "$demo/bind-failures.records" --netstat "$work/fifo"
case_ "FIFO rules file" "$notreg" -- "$pc" rules check "$work/fifo"
case_ "FIFO *.rules in --rules DIR" "pipe.rules:1:1: cannot read the file: $notreg" -- \
  "$pc" analyze "$demo/bind-failures.records" --rules "$work/fifo-rules"
case_ "/dev/zero as *.rules (symlink)" "zero.rules:1:1: cannot read the file: $notreg" -- \
  "$pc" analyze "$demo/bind-failures.records" --rules "$work/zero-rules"
# A collect folder packed for sending is not a capture: analyze says to unpack it (the ETL
# reader alone would complain about a "compressed header buffer"). zip and gzip by their
# first bytes (written here, no zip tool needed), tar by its ustar header.
mkdir "$work/folder"
echo '{}' >"$work/folder/manifest.json"
tar -cf "$work/bundle.tar" -C "$work" folder
gzip -c "$work/bundle.tar" >"$work/bundle.tar.gz"
printf 'PK\003\004\024\000\000\000\010\000' >"$work/bundle.zip"
head -c 64 /dev/urandom >>"$work/bundle.zip"
case_ "zip as capture" "this is a zip archive, not a capture: unpack it first" -- "$pc" analyze "$work/bundle.zip"
case_ "tar.gz as capture" "this is a gzip file, not a capture" -- "$pc" analyze "$work/bundle.tar.gz"
case_ "tar as capture" "this is a tar archive, not a capture" -- "$pc" analyze "$work/bundle.tar"
case_ "zip to etl info" "this is a zip archive, not a capture" -- "$pc" etl info "$work/bundle.zip"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
