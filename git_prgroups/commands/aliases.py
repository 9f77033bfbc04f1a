"""`git prgroups aliases SHELL`: short aliases for the daily commands, and completion.

The completion is made from the command line's own definitions (cli.py hands them
over as a `CommandTable`), so a new option is completed the day it exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from git_prgroups.errors import UsageError

ALIASES = {
    "pgp": "plan",
    "pgu": "up",
    "pgs": "status",
    "pgy": "sync",
    "pgx": "prune",
    "pgw": "watch",
    "pgc": "commit",
}
NAMES = "git prgroups plan --format names 2>/dev/null"
SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Command:
    options: tuple[str, ...]  # as typed: --dry-run, -a
    takes_names: bool  # entry names as arguments


@dataclass(frozen=True)
class CommandTable:
    commands: Mapping[str, Command]
    global_options: tuple[str, ...]


def aliases_script(shell: str, table: CommandTable) -> str:
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](table)


def _bash(table: CommandTable) -> str:
    cases = "\n".join(
        f"    {name}) opts='{' '.join(command.options)}'; names={int(command.takes_names)} ;;"
        for name, command in table.commands.items()
    )
    global_options = " ".join(table.global_options)
    subcommands = " ".join(table.commands)
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
    COMPREPLY=($(compgen -W "$opts {global_options}" -- "$cur"))
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
    COMPREPLY=($(compgen -W "{subcommands} {global_options}" -- "$word"))
  else
    __prgroups_complete "$sub"
  fi
}}
complete -o default -F _git_prgroups git-prgroups
{alias_lines}
"""


def _zsh(table: CommandTable) -> str:
    return (
        "# git prgroups: aliases and completion. In ~/.zshrc:\n"
        '#   eval "$(git prgroups aliases zsh)"\n'
        "autoload -U +X bashcompinit && bashcompinit\n" + _bash(table).split("\n", 2)[2]
    )


def _fish(table: CommandTable) -> str:
    subcommands = " ".join(table.commands)
    seen = "__fish_seen_subcommand_from prgroups"
    lines = [
        "# git prgroups: aliases and completion. In ~/.config/fish/config.fish:",
        "#   git prgroups aliases fish | source",
        *(f"alias {alias} 'git prgroups {name}'" for alias, name in ALIASES.items()),
        f"complete -c git -n '{seen}; and not __fish_seen_subcommand_from {subcommands}' "
        f"-f -a '{subcommands}'",
    ]
    for name, command in table.commands.items():
        when = f"{seen}; and __fish_seen_subcommand_from {name}"
        for option in command.options:
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            lines.append(f"complete -c git -n '{when}' {flag}")
        if command.takes_names:
            lines.append(f"complete -c git -n '{when}' -f -a '({NAMES})'")
    for alias, name in ALIASES.items():
        if table.commands[name].takes_names:
            lines.append(f"complete -c {alias} -f -a '({NAMES})'")
    return "\n".join(lines) + "\n"


def shell_named(shell: str, environ: Mapping[str, str]) -> str:
    """The shell asked for, or else the login shell's ($SHELL) where it is one of ours,
    or else bash."""
    if not shell:
        login = Path(environ.get("SHELL", "")).name
        shell = login if login in SHELLS else "bash"
    if shell not in SHELLS:
        raise UsageError(f"git prgroups aliases: no {shell!r}; choose {', '.join(SHELLS)}")
    return shell
