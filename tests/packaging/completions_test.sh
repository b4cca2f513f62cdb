#!/usr/bin/env bash
# Checks the generated completions (packaging/linux/gen-completions.sh) the way a shell uses
# them, without an interactive shell: bash sources the file, `complete -p portclash` must name
# the function, and COMPREPLY after a simulated <TAB> must hold the expected words; the zsh
# file must parse (zsh -n), name every command, and give the expected candidates in an
# interactive zsh driven through a pseudo-terminal (zsh_complete.zsh).
#   completions_test.sh BASH_COMPLETION ZSH_COMPLETION PORTCLASH
set -u
bash_file=$1 zsh_file=$2 pc=$3
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

# expect "WORDS..." "EXPECTED COMPREPLY": completes the last word of WORDS.
expect() {
  local got
  got=$(bash --norc --noprofile -c '
    source "$1" || exit 1
    complete -p portclash >/dev/null || exit 1
    read -r -a COMP_WORDS <<<"$2"
    [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$2 COMP_POINT=${#2}
    _portclash portclash "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    echo "${COMPREPLY[*]}"' _ "$bash_file" "$1" 2>&1)
  if [ "$got" = "$2" ]; then ok "bash: '$1<TAB>' -> '$2'"; else bad "bash: '$1<TAB>' -> '$got', expected '$2'"; fi
}

if out=$(bash --norc --noprofile -c 'source "$1" && complete -p portclash' _ "$bash_file" 2>&1) &&
  [ "$out" = "complete -F _portclash portclash" ]; then
  ok "bash: sourcing registers '$out'"
else
  bad "bash: complete -p portclash says '$out'"
fi
expect "portclash an" "analyze"
expect "portclash ra" "ranges"
expect "portclash --v" "--version"
expect "portclash rules ch" "check"
expect "portclash etl " "info"
expect "portclash analyze --form" "--format"
expect "portclash analyze --format j" "json"
expect "portclash monitor --hooks r" "raw"
expect "portclash monitor --no-io" "--no-io-uring"
expect "portclash rules check --with" "--with-defaults"
expect "portclash etl info --format " "text json"
expect "portclash monitor --watch 80" ""

# Every command of `portclash --help` is offered at the first word, and nothing else.
want=$("$pc" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' | xargs)
expect "portclash " "$want"

if command -v zsh >/dev/null; then
  if zsh -n "$zsh_file" 2>"${TMPDIR:-/tmp}/zsh-n.$$"; then ok "zsh: $zsh_file parses"; else
    bad "zsh: $zsh_file does not parse: $(cat "${TMPDIR:-/tmp}/zsh-n.$$")"
  fi
  rm -f "${TMPDIR:-/tmp}/zsh-n.$$"
  head -1 "$zsh_file" | grep -qx '#compdef portclash' && ok "zsh: #compdef portclash" || bad "zsh: no #compdef line"
  missing=""
  for c in $want; do grep -q "^    '$c:" "$zsh_file" || missing="$missing $c"; done
  [ -z "$missing" ] && ok "zsh: every command is described" || bad "zsh: commands missing:$missing"
  # A real interactive zsh in a pseudo-terminal, completing with compinit and $zsh_file.
  if [ "$(basename "$zsh_file")" = _portclash ] && zsh -c 'zmodload zsh/zpty' 2>/dev/null; then
    zexpect() {
      local got
      got=$(zsh "$here/zsh_complete.zsh" "$(dirname "$zsh_file")" "$1" 2>&1 | xargs)
      if [ "$got" = "$2" ]; then ok "zsh: '$1<TAB>' -> '$2'"; else bad "zsh: '$1<TAB>' -> '$got', expected '$2'"; fi
    }
    zexpect "portclash an" "analyze"
    zexpect "portclash rules ch" "check"
    zexpect "portclash schema " "check dump"
    zexpect "portclash monitor --ho" "--hooks --host"
    zexpect "portclash monitor --hooks r" "raw"
    zexpect "portclash etl info --form" "--format"
  fi
else
  echo "skip zsh checks: zsh is not installed (packaging/deps/tests-packaging.txt)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
