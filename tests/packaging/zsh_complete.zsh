#!/usr/bin/env zsh
# zsh_complete.zsh FPATH_DIR LINE: prints the candidates zsh's completion system offers for
# LINE<TAB>, one a line, with FPATH_DIR (holding _portclash) first in $fpath. A real
# interactive zsh runs in a pseudo-terminal (zsh/zpty); compadd is wrapped to print what the
# completion functions add. Exit 2 when the shell does not come up.
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z "PROMPT='' RPROMPT=''; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z 'compadd() {
  if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
  local -a __h; builtin compadd -A __h "$@"; local x
  for x in $__h; do print -r -- "CAND:$x"; done
  builtin compadd "$@"
}'
zpty -w z 'bindkey "^I" complete-word; echo READY'
local line out="" quiet=0
while true; do
  if zpty -r -t z line; then [[ $line == READY* ]] && break; else sleep 0.05; fi
  (( SECONDS > 10 )) && { zpty -d z; exit 2 }
done
zpty -w -n z "$2"$'\t'
# Read until candidates came and the terminal stayed quiet for 0.3 s (or 5 s in all).
repeat 100; do
  if zpty -r -t z line; then out+=$line; quiet=0; else (( quiet++ )); sleep 0.05; fi
  [[ $out == *CAND:* ]] && (( quiet >= 6 )) && break
done
zpty -d z
print -r -- "$out" | grep -ao 'CAND:[^[:cntrl:]]*' | sed 's/^CAND://' | sort -u
