"""`git prgroups aliases SHELL`: short aliases for the daily commands, and completion."""

from __future__ import annotations

ALIASES = {
    "pgp": "plan",
    "pgu": "up",
    "pgs": "status",
    "pgy": "sync",
    "pgx": "prune",
    "pgw": "watch",
    "pgc": "commit",
}
# subcommand → (its options, whether it takes entry names)
COMMANDS = {
    "plan": ("--json --format", False),
    "up": ("--dry-run --force-body", True),
    "status": ("--json", False),
    "sync": ("--rebase --merge", True),
    "prune": ("--force --orphans", True),
    "watch": ("--interval --max-interval --prune", False),
    "commit": ("-a --all --edit", False),
    "render": ("--what", True),
    "init": ("", False),
    "aliases": ("", False),
}
SUBCOMMANDS = " ".join(COMMANDS)
GLOBAL_OPTIONS = "--spec --verbose --no-color --debug"
NAMES = "git prgroups plan --format names 2>/dev/null"
SHELLS = ("bash", "zsh", "fish")


def aliases_script(shell: str) -> str:
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell]()


def _bash() -> str:
    cases = "\n".join(
        f"    {name}) opts='{opts}'; names={int(takes)} ;;"
        for name, (opts, takes) in COMMANDS.items()
    )
    alias_lines = "\n".join(
        f"alias {alias}='git prgroups {command}'\n"
        f"_{alias}() {{ __prgroups_complete {command}; }}\n"
        f"complete -o default -F _{alias} {alias}"
        for alias, command in ALIASES.items()
    )
    return f"""# git prgroups: aliases and completion. In ~/.bashrc:
#   eval "$(git prgroups aliases bash)"
__prgroups_complete() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} opts='' names=0
  case $1 in
{cases}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts {GLOBAL_OPTIONS}" -- "$cur"))
  elif (( names )); then
    COMPREPLY=($(compgen -W "$({NAMES})" -- "$cur"))
  fi
}}
# git's own completion calls this for `git prgroups ...`
_git_prgroups() {{
  local i word sub=''
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${{COMP_WORDS[i]}}
    case $word in git | prgroups | -*) ;; *) sub=$word; break ;; esac
  done
  if [[ -z $sub ]]; then
    word=${{COMP_WORDS[COMP_CWORD]}}
    COMPREPLY=($(compgen -W "{SUBCOMMANDS} {GLOBAL_OPTIONS}" -- "$word"))
  else
    __prgroups_complete "$sub"
  fi
}}
complete -o default -F _git_prgroups git-prgroups
{alias_lines}
"""


def _zsh() -> str:
    return (
        "# git prgroups: aliases and completion. In ~/.zshrc:\n"
        '#   eval "$(git prgroups aliases zsh)"\n'
        "autoload -U +X bashcompinit && bashcompinit\n" + _bash().split("\n", 2)[2]
    )


def _fish() -> str:
    subcommands = " ".join(COMMANDS)
    seen = "__fish_seen_subcommand_from prgroups"
    lines = [
        "# git prgroups: aliases and completion. In ~/.config/fish/config.fish:",
        "#   git prgroups aliases fish | source",
        *(f"alias {alias} 'git prgroups {command}'" for alias, command in ALIASES.items()),
        f"complete -c git -n '{seen}; and not __fish_seen_subcommand_from {subcommands}' "
        f"-f -a '{subcommands}'",
    ]
    for name, (opts, takes) in COMMANDS.items():
        when = f"{seen}; and __fish_seen_subcommand_from {name}"
        for option in opts.split():
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            lines.append(f"complete -c git -n '{when}' {flag}")
        if takes:
            lines.append(f"complete -c git -n '{when}' -f -a '({NAMES})'")
    for alias, command in ALIASES.items():
        if COMMANDS[command][1]:
            lines.append(f"complete -c {alias} -f -a '({NAMES})'")
    return "\n".join(lines) + "\n"
