#!/usr/bin/env bash
# Writes the PowerShell argument completer of portclash (portclash-completion.ps1) from the
# program's own help: `portclash --help` gives the commands, `portclash COMMAND --help` each
# command's subcommands and options (the option lines, and the [--opt VALUE] of the usage
# lines). Nothing is typed twice: a new option in a --help text is completed after the next
# build. Option values written as a|b|c become value completions; FILE, DIR, ... are left to
# PowerShell's own path completion.
#
# Usage: packaging/windows/gen-completion.sh OUT.ps1 -- COMMAND...
#   COMMAND runs portclash, e.g. `wine build-win/portclash.exe` (build-zip.sh, build-msi.sh) or
#   `build/portclash` (the native test; Linux has the same commands, but the Windows-only
#   options of `monitor` and `service` come only from the Windows program).
set -euo pipefail
out=${1:?usage: gen-completion.sh OUT.ps1 -- COMMAND...}
shift
[ "${1:-}" = "--" ] && shift
[ $# -ge 1 ] || {
  echo "gen-completion: no command to run portclash" >&2
  exit 2
}
run() { "$@" 2>&1 | tr -d '\r'; }

main=$(run "$@" --help) || {
  echo "gen-completion: '$* --help' failed" >&2
  exit 1
}
commands=$(sed -nE '/^Commands:/,/^$/s/^  ([a-z][a-z-]*) +(.*)$/\1\t\2/p' <<<"$main")
[ -n "$commands" ] || {
  echo "gen-completion: no 'Commands:' list in '$* --help'" >&2
  exit 1
}

# Option lines ("  --opt VALUE   help", "  -h, --help  help") and usage brackets
# ("[--opt VALUE]"), as "opt<US>value<US>help" (US = \x1f, not a blank, so that an empty
# value stays a field for read), first mention of each option wins.
options_of() {
  {
    sed -nE 's/^ +(-[A-Za-z], )?(--[a-z][a-z0-9-]*)( ([^ ]+))?( {2,}(.*))?$/\2\x1f\4\x1f\6/p'
  } <<<"$1"
  { grep -oE '\[--[a-z][a-z0-9-]*( [^] ]+)?\]' <<<"$1" || true; } | sed -E 's/^\[(--[a-z0-9-]+)( ([^]]+))?\]$/\1\x1f\3\x1f/'
}
dedupe() { awk -F'\037' '!seen[$1]++'; }

# PowerShell single-quoted string.
q() { printf "'%s'" "${1//\'/\'\'}"; }

emit_options() { # $1 = key, stdin = opt<US>value<US>help
  printf '  %s = @(\n' "$(q "$1")"
  while IFS=$'\x1f' read -r opt val help; do
    [ -n "$opt" ] || continue
    local values="@()"
    if [[ "$val" =~ ^[a-z0-9]+(\|[a-z0-9]+)+$ ]]; then
      values="@($(tr '|' '\n' <<<"$val" | while read -r v; do printf "%s," "$(q "$v")"; done | sed 's/,$//'))"
    fi
    printf '    @{ Name = %s; Value = %s; Values = %s; Help = %s }\n' "$(q "$opt")" "$(q "$val")" "$values" \
      "$(q "${help:-$opt}")"
  done
  printf '  )\n'
}

monitor_help=$(run "$@" monitor --help || true)
{
  # A UTF-8 byte order mark: Windows PowerShell 5.1 reads a .ps1 without one in the ANSI code
  # page, which would garble any non-ASCII character of a help text.
  printf '\357\273\277'
  echo "# portclash-completion.ps1 - tab completion of portclash's commands, subcommands, options"
  echo "# and option values in PowerShell. Generated from 'portclash --help' and"
  echo "# 'portclash COMMAND --help' by packaging/windows/gen-completion.sh: do not edit."
  echo "#"
  echo "# Use: . 'C:\\Program Files\\portclash\\portclash-completion.ps1'   (add that line to \$PROFILE)"
  echo ""
  echo "\$PortclashCommands = [ordered]@{"
  while IFS=$'\t' read -r c d; do printf '  %s = %s\n' "$(q "$c")" "$(q "$d")"; done <<<"$commands"
  echo "}"
  echo ""
  echo "\$PortclashSubcommands = @{"
  subs_all=""
  while IFS=$'\t' read -r c _; do
    h=$(run "$@" "$c" --help || true)
    subs=$({ grep -oE "portclash $c [a-z][a-z-]*" <<<"$h" || true; } | awk '{ print $3 }' | awk '!seen[$0]++' | tr '\n' ' ')
    [ -n "$subs" ] || continue
    subs_all+="$c:$subs"$'\n'
    printf '  %s = @(%s)\n' "$(q "$c")" "$(for s in $subs; do printf "%s," "$(q "$s")"; done | sed 's/,$//')"
  done <<<"$commands"
  echo "}"
  echo ""
  echo "\$PortclashOptions = @{"
  while IFS=$'\t' read -r c _; do
    h=$(run "$@" "$c" --help || true)
    subs=$(sed -n "s/^$c:\\(.*\\)/\\1/p" <<<"$subs_all")
    if [ -z "$subs" ]; then
      options_of "$h" | dedupe | emit_options "$c"
      continue
    fi
    for s in $subs; do
      # The part of the usage that belongs to this subcommand: from its line up to the next
      # subcommand's line or the first blank line.
      seg=$(awk -v me="portclash $c $s" -v cmd="portclash $c " '
        index($0, me) { on = 1; print; next }
        on && (index($0, cmd) || $0 == "") { exit }
        on { print }' <<<"$h")
      {
        options_of "$seg"
        # A subcommand with help of its own (rules check: its options are under "Command
        # options:", not in the usage line).
        options_of "$(run "$@" "$c" "$s" --help 2>/dev/null || true)"
        if grep -q 'MONITOR OPTIONS' <<<"$seg"; then options_of "$monitor_help"; fi
        printf -- '--help\037\037this text\n'
      } | dedupe | emit_options "$c $s"
    done
  done <<<"$commands"
  echo "}"
  cat <<'EOF'

Register-ArgumentCompleter -Native -CommandName 'portclash', 'portclash.exe' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  # The words before the one being completed (the program's name left out).
  $words = @($commandAst.CommandElements | Select-Object -Skip 1 |
      Where-Object { $_.Extent.EndOffset -lt $cursorPosition -or $_.ToString() -ne $wordToComplete } |
      ForEach-Object { $_.ToString() })
  $new = { param($text, $type, $tip) [System.Management.Automation.CompletionResult]::new($text, $text, $type, $tip) }
  if ($words.Count -eq 0) {
    foreach ($c in $PortclashCommands.Keys) {
      if ($c -like "$wordToComplete*") { & $new $c 'Command' $PortclashCommands[$c] }
    }
    foreach ($o in '--help', '--version') {
      if ($o -like "$wordToComplete*") { & $new $o 'ParameterName' $o }
    }
    return
  }
  $key = $words[0]
  $subs = $PortclashSubcommands[$key]
  if ($subs) {
    if ($words.Count -eq 1) {
      foreach ($s in $subs) { if ($s -like "$wordToComplete*") { & $new $s 'Command' "$key $s" } }
      return
    }
    $key = "$key $($words[1])"
  }
  $opts = $PortclashOptions[$key]
  if (-not $opts) { return }
  $prev = $words[$words.Count - 1]
  $prevOpt = $opts | Where-Object { $_.Name -eq $prev } | Select-Object -First 1
  if ($prevOpt -and $prevOpt.Value) {
    # The value of the option before: its choices, or nothing (PowerShell then completes paths).
    foreach ($v in $prevOpt.Values) { if ($v -like "$wordToComplete*") { & $new $v 'ParameterValue' $prevOpt.Help } }
    return
  }
  if ($wordToComplete -like '-*' -or $wordToComplete -eq '') {
    foreach ($o in $opts) {
      if ($o.Name -like "$wordToComplete*") { & $new $o.Name 'ParameterName' $o.Help }
    }
  }
}
EOF
} >"$out.tmp"
mv "$out.tmp" "$out"
