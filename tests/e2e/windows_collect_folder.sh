#!/usr/bin/env bash
# A Windows `collect` folder analysed on Linux (what a support engineer does with a bundle):
# the demo capture as capture.etl, the demo netsh/netstat/tasklist text under the names the
# Windows collect gives them, and a manifest as it writes it (cmd_collect.c; the Windows
# writer itself is checked under Wine by test_win_collect). `portclash analyze DIR` must take
# every host-state file from the manifest (with the netsh files' ipv4:tcp: hints) and give
# the findings of `analyze capture.etl` with every option given by hand, the source named as
# the live run's ("etw").
#   windows_collect_folder.sh PORTCLASH DEMO_DIR DEMO_ETL EXPECTED_JSON
set -u
pc=$1 demo=$2 etl=$3 expected=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
d=$work/pc-bundle
mkdir "$d"
cp "$etl" "$d/capture.etl"
cp "$demo/netsh-excluded-tcp.txt" "$d/netsh-excluded-ipv4-tcp.txt"
cp "$demo/netsh-excluded-udp.txt" "$d/netsh-excluded-ipv4-udp.txt"
cp "$demo/netsh-dynamic-tcp.txt" "$d/netsh-dynamic-ipv4-tcp.txt"
cp "$demo/netstat-ano.txt" "$d/netstat-ano.txt"
cp "$demo/tasklist.csv" "$d/tasklist.csv"
file() { # NAME KIND HINTS COMMAND
  local hints=null
  [ -n "$3" ] && hints="\"$3\""
  printf '{"name":"%s","kind":"%s","hints":%s,"what":"-","command":"%s","exit_status":0,"ok":true,"note":null}' \
    "$1" "$2" "$hints" "$4"
}
{
  printf '{"format":"portclash-collect/1","command":"collect","portclash":"0.1.0","host":"demo-host",'
  printf '"os":"windows","os_build":19045,"os_version":"10.0.19045","source":"etw",'
  printf '"started":"2026-11-21T09:29:00Z","ended":"2026-11-21T09:31:00Z","complete":true,"note":null,'
  printf '"send":"tar -a -c -f bundle.zip DIR","files":['
  file netsh-excluded-ipv4-tcp.txt netsh-excluded ipv4:tcp: "netsh int ipv4 show excludedportrange protocol=tcp"
  printf ,
  file netsh-excluded-ipv4-udp.txt netsh-excluded ipv4:udp: "netsh int ipv4 show excludedportrange protocol=udp"
  printf ,
  file netsh-dynamic-ipv4-tcp.txt netsh-dynamic ipv4:tcp: "netsh int ipv4 show dynamicport tcp"
  printf ,
  file netstat-ano.txt netstat "" "netstat -ano"
  printf ,
  file tasklist.csv tasklist "" "tasklist /svc /fo csv"
  printf ,
  file capture.etl capture "" "portclash monitor --record"
  printf ']}\n'
} >"$d/manifest.json"

"$pc" analyze "$d" --format json >"$work/out" 2>"$work/err"
rc=$?
sed 's/"source":"etl"}$/"source":"etw"}/' "$expected" >"$work/want"
if [ $rc = 0 ] && diff -u "$work/want" "$work/out"; then
  echo "ok   analyze DIR of a Windows collect folder gives the findings of the capture with every option"
  exit 0
fi
echo "FAIL analyze DIR exit $rc; stderr:"
cat "$work/err"
exit 1
