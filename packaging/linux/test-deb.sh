#!/usr/bin/env bash
# CI step for the Debian package: builds it (build-deb.sh), lints it (lintian: no errors),
# installs it on this machine with apt-get, checks what was installed (version, conffile, the
# service neither enabled nor started, man page, completions, a live bind failure caught by
# the installed binary, systemd-analyze verify and security of the installed unit), then
# removes and purges it and checks that nothing is left. The package is purged on every exit
# path (trap), failures included.
#   packaging/linux/test-deb.sh [BUILD_DIR]     (default ./build-deb). Needs root.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$here/build-deb"}
mkdir -p "$build"
build=$(cd "$build" && pwd)
pass=0 fail=0 t0=$(date +%s)
ok() { echo "ok   $1 [$(($(date +%s) - t0)) s]"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { # check NAME COMMAND...: ok when COMMAND succeeds
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}

if [ "$(id -u)" != 0 ]; then
  echo "test-deb: needs root (it installs the package with apt-get, then purges it)" >&2
  exit 1
fi
if dpkg-query -W -f='${Status}' portclash 2>/dev/null | grep -q installed; then
  echo "test-deb: a portclash package is already installed here; not touching it (purge it first)" >&2
  exit 1
fi

t0=$(date +%s)
deb=$("$here/packaging/linux/build-deb.sh" "$build" | tail -1) || { echo "test-deb: build-deb.sh failed" >&2; exit 1; }
cmake --build "$build" --target pc_bind_trigger >/dev/null || { echo "test-deb: cannot build pc_bind_trigger" >&2; exit 1; }
version=$(dpkg-deb -f "$deb" Version)
echo "package: $deb ($(($(date +%s) - t0)) s to build)"

# ---- lint ------------------------------------------------------------------------------------
lintian --allow-root --fail-on error --display-info "$deb" >"$build/lintian.txt" 2>&1
lrc=$?
sed 's/^/  lintian: /' "$build/lintian.txt"
check "lintian: no errors" [ $lrc = 0 ]

deps=$(dpkg-deb -f "$deb" Depends)
for d in libpcre2-8-0 libbpf1 libelf1; do
  check "Depends names $d ($deps)" grep -q "\b$d\b" <<<"$deps"
done

# ---- install -----------------------------------------------------------------------------------
wants=/etc/systemd/system/multi-user.target.wants/portclash.service
installed=0
unit_pid=""
cleanup() {
  [ -n "$unit_pid" ] && kill -TERM "$unit_pid" 2>/dev/null
  if [ "$installed" = 1 ]; then
    DEBIAN_FRONTEND=noninteractive dpkg --purge portclash >/dev/null 2>&1 || true
  fi
  rm -rf /var/lib/private/portclash /var/lib/portclash /var/log/private/portclash /var/log/portclash
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

installed=1
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$build/apt.txt" 2>&1; then
  ok "apt-get install ./$(basename "$deb")"
else
  bad "apt-get install failed:"
  cat "$build/apt.txt"
  echo "$pass passed, $fail failed"
  exit 1
fi
check "portclash --version says $version" [ "$(/usr/bin/portclash --version | head -1)" = "portclash $version" ]
check "/etc/portclash/portclash.conf is a conffile" \
  grep -q "/etc/portclash/portclash.conf" <<<"$(dpkg-query -W -f='${Conffiles}' portclash)"
check "installing neither enables the service" [ ! -e "$wants" ]
if [ -d /run/systemd/system ]; then
  check "installing does not start the service" bash -c '! systemctl is-active --quiet portclash'
fi

# ---- man page and completions -----------------------------------------------------------------
if [ ! -e /usr/share/man/man1/portclash.1.gz ]; then
  echo "  note: dpkg did not unpack the man page; a path-exclude in /etc/dpkg/dpkg.cfg.d (slim" \
    "container images drop /usr/share/man) is the usual reason"
fi
check "man -w portclash finds the installed page" [ "$(man -w portclash 2>/dev/null)" = /usr/share/man/man1/portclash.1.gz ]
check "man portclash shows the page" bash -c 'MANPAGER=cat man portclash 2>/dev/null | grep -q "portclash - explain socket bind failures"'
"$here/tests/packaging/completions_test.sh" /usr/share/bash-completion/completions/portclash \
  /usr/share/zsh/vendor-completions/_portclash /usr/bin/portclash >"$build/completions.txt" 2>&1
crc=$?
sed 's/^/  /' "$build/completions.txt"
check "installed completions: portclash an<TAB> -> analyze, ..." [ $crc = 0 ]

# ---- a live bind failure through the installed binary -------------------------------------
"$here/tests/ebpf/monitor_e2e.sh" /usr/bin/portclash /usr/bin/portclash "$build/tests/pc_bind_trigger" \
  >"$build/e2e.txt" 2>&1
erc=$?
sed 's/^/  /' "$build/e2e.txt"
case $erc in
  0) ok "installed /usr/bin/portclash monitor explains real failed binds (tests/ebpf/monitor_e2e.sh)" ;;
  77) echo "skip live failure: $(grep '^skipped:' "$build/e2e.txt")" ;;
  *) bad "live failure with the installed binary (monitor_e2e.sh exit $erc)" ;;
esac

# ---- the installed unit --------------------------------------------------------------------
unit=/lib/systemd/system/portclash.service
check "the unit is installed at $unit" [ -f "$unit" ]

# The monitor as the unit runs it, emulated without systemd: another user (as DynamicUser=),
# only the unit's AmbientCapabilities (read from the installed unit), HOME=/ and
# STATE_DIRECTORY. It must catch and explain a failed bind, name the holder (CAP_SYS_PTRACE),
# and keep its state in STATE_DIRECTORY.
if [ $erc = 0 ] && command -v setpriv >/dev/null; then
  caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit" | tr ' ' '\n' | sed -n 's/^CAP_\(.*\)/+\L\1/p' | paste -sd,)
  ue=$(mktemp -d)
  mkdir "$ue/state"
  chown 65534:65534 "$ue/state"
  chmod 755 "$ue"
  env -i PATH=/usr/bin:/bin HOME=/ STATE_DIRECTORY="$ue/state" \
    setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,"$caps" --ambient-caps=-all,"$caps" \
    --bounding-set=-all,"$caps" -- /usr/bin/portclash monitor --format json --window 0 --status 0 \
    >"$ue/out" 2>"$ue/err" &
  unit_pid=$!
  for _ in $(seq 1 100); do
    grep -q "monitoring bind failures" "$ue/err" && break
    kill -0 $unit_pid 2>/dev/null || break
    sleep 0.1
  done
  port=$((20000 + RANDOM % 9000))
  "$build/tests/pc_bind_trigger" "$port" 500 >"$ue/cases" 2>&1
  sleep 0.5
  kill -TERM $unit_pid 2>/dev/null
  wait $unit_pid
  urc=$?
  unit_pid=""
  holder=$(sed -n 's/^CASE inuse .*holder=\([0-9]*\).*/\1/p' "$ue/cases")
  hooks=$(sed -n 's/.*monitoring bind failures (\([^ ,+]*\).*/\1/p' "$ue/err")
  line=$(grep "\"port\":$port," "$ue/out" | head -1)
  if [ $urc = 0 ] && [ -n "$holder" ] && grep -q '"rule_id":"L04"' <<<"$line" &&
    grep -q "\"owner_pid\":$holder," <<<"$line"; then
    ok "as the unit runs it (uid 65534, caps $caps, HOME=/; hook $hooks): a failed bind explained (L04), holder named"
  else
    bad "as the unit runs it (caps $caps): exit $urc; finding for port $port: ${line:-none}"
    sed 's/^/  /' "$ue/err" "$ue/cases"
  fi
  check "as the unit runs it: state kept in STATE_DIRECTORY ($(ls "$ue/state" | xargs))" \
    [ -n "$(ls -A "$ue/state")" ]
  rm -rf "$ue"
fi
if systemd-analyze verify "$unit" >"$build/verify.txt" 2>&1; then
  ok "systemd-analyze verify $unit"
else
  bad "systemd-analyze verify $unit:"
  cat "$build/verify.txt"
fi
check "the unit has StateDirectory=portclash" grep -qx "StateDirectory=portclash" "$unit"
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
  systemd-analyze security --offline=yes --no-pager "$unit" >"$build/security.txt" 2>&1
  score=$(grep -o 'Overall exposure level for portclash.service: [0-9.]* [A-Z]*' "$build/security.txt")
  if [ -n "$score" ]; then ok "systemd-analyze security: $score"; else
    bad "systemd-analyze security --offline gave no score:"
    cat "$build/security.txt"
  fi
else
  echo "skip security score: this systemd-analyze has no --offline (systemd < 250)"
fi

# ---- remove, purge (dpkg: apt-get adds nothing here and is slower) -------------------------
# What the service would have written under systemd (DynamicUser: private/ + symlink).
fake_service_files() {
  mkdir -p /var/lib/private/portclash /var/log/private/portclash
  ln -sfn private/portclash /var/lib/portclash
  ln -sfn private/portclash /var/log/portclash
  echo "# learned ports" >/var/lib/private/portclash/learned-ports.state
}
# purge_clean LABEL: dpkg --purge, then nothing of the package or the service may be left.
purge_clean() {
  local files left=""
  files=$(dpkg -L portclash | while read -r f; do [ -f "$f" ] && echo "$f"; done)
  DEBIAN_FRONTEND=noninteractive dpkg --purge portclash >"$build/dpkg.txt" 2>&1
  check "$1: dpkg --purge" [ $? = 0 ]
  installed=0
  check "$1: dpkg no longer knows portclash" \
    bash -c '! dpkg-query -W -f="\${Status}" portclash 2>/dev/null | grep -q "ok"'
  for f in $files /etc/portclash /var/lib/portclash /var/lib/private/portclash /var/log/portclash \
    /var/log/private/portclash "$wants" /var/lib/systemd/deb-systemd-helper-enabled/portclash.service.dsh-also; do
    if [ -e "$f" ] || [ -L "$f" ]; then left="$left $f"; fi
  done
  check "$1: purge leaves nothing behind${left:+ (left:$left)}" [ -z "$left" ]
}
fake_service_files
DEBIAN_FRONTEND=noninteractive dpkg --remove portclash >"$build/dpkg.txt" 2>&1
check "dpkg --remove" [ $? = 0 ]
check "remove deletes /usr/bin/portclash" [ ! -e /usr/bin/portclash ]
check "remove keeps the conffile" [ -f /etc/portclash/portclash.conf ]
purge_clean "default install"

# ---- enable on request -------------------------------------------------------------------------
installed=1
PORTCLASH_ENABLE=yes DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$build/dpkg.txt" 2>&1
check "PORTCLASH_ENABLE=yes dpkg -i enables the service" [ -L "$wants" ]
fake_service_files
purge_clean "enabled install"

echo "test-deb: $(($(date +%s) - t0)) s"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
