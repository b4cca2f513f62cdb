#!/bin/sh
# The learned ports survive a restart of the monitor in the environment portclash.service
# gives it (StateDirectory=portclash, DynamicUser=yes, ProtectSystem=strict): STATE_DIRECTORY
# set (here with a second path after ':', which must not be used), HOME=/, no XDG_STATE_HOME
# or PC_STATE_DIR, and nothing writable but the state directory. As root the driver runs as
# nobody (65534, like a dynamic user), to whom "/" is read-only; as another user "/" is
# read-only anyway.
#   state_unit_env.sh STATE_UNIT_DRIVER
set -u
driver=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/state" "$work/other"
cp "$driver" "$work/driver"
chmod 755 "$work" "$work/driver"
as=""
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is missing"; exit 77; }
  chown 65534:65534 "$work/state" "$work/other"
  as="setpriv --reuid=65534 --regid=65534 --clear-groups --"
fi
[ -e /.local/state/portclash ] && had_home_state=1 || had_home_state=0
port=$((20000 + $$ % 10000))
run() {
  env -i PATH=/usr/bin:/bin HOME=/ STATE_DIRECTORY="$work/state:$work/other" $as "$work/driver" "$@"
}
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

out=$(run learn "$port") && ok "run 1 learns tcp $port" || bad "run 1: $out"
echo "$out"
case $out in *"state directory: $work/state ("*) ok "the first path of STATE_DIRECTORY is used" ;;
  *) bad "state directory is not $work/state" ;; esac
[ -s "$work/state/learned-ports.state" ] && ok "learned-ports.state written in the state directory" ||
  bad "no $work/state/learned-ports.state"
[ -z "$(ls -A "$work/other")" ] && ok "the second STATE_DIRECTORY path is untouched" || bad "wrote to $work/other"
out=$(run check "$port") && ok "run 2 (the restart) loads tcp $port" || bad "run 2: $out"
echo "$out"
if [ "$had_home_state" = 0 ] && [ -e /.local/state/portclash ]; then bad "wrote under HOME=/"; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
