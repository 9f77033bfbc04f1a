"""The built-in help (`-h`), and plain words for a command line that is wrong.

Made from the command definitions in cli.py: each command's arguments from its
`main`, its options from its switches. plumbum's own help would list meta-switches
in every command and end descriptions with ".;".
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

WIDTH = 80
COLUMN = 24  # where option help begins


@dataclass(frozen=True)
class Option:
    names: tuple[str, ...]  # as typed: ("-a", "--all")
    argname: str | None  # "PATH", "N"; None for a flag
    help: str

    @property
    def shown(self) -> str:
        names = ", ".join(self.names)
        return f"{names} {self.argname}" if self.argname else names


def options_of(switches: Mapping[str, Any], hidden: Iterable[str] = ()) -> list[Option]:
    """The options of a plumbum application's switch table (`_switches_by_name`), each
    once, without those named in `hidden`."""
    found: dict[int, Option] = {}
    for switch in switches.values():
        names = tuple(f"-{n}" if len(n) == 1 else f"--{n}" for n in switch.names)
        if any(n.lstrip("-") in hidden for n in names):
            continue
        argname = switch.argname if switch.argtype is not None else None
        found[id(switch)] = Option(
            tuple(sorted(names, key=len)), argname, _sentence(switch.help or "")
        )
    return sorted(found.values(), key=lambda o: o.names[-1])


def arguments_of(main: Callable[..., object], tail: str = "") -> str:
    """How a command's `main` takes its arguments, as its usage line shows them."""
    spec = inspect.getfullargspec(main)
    words = []
    defaults = len(spec.defaults or ())
    positional = spec.args[1:]
    for index, name in enumerate(positional):
        word = name.upper().replace("_", "-")
        words.append(f"[{word}]" if index >= len(positional) - defaults else word)
    if spec.varargs == "names":
        words.append("[NAME...]")
    if tail:
        words.append(tail)
    elif spec.varargs == "git_options":
        words.append("[-- GIT-COMMIT-OPTIONS]")
    return " ".join(words)


def command_help(
    program: str, summary: str, arguments: str, options: list[Option], shared: list[Option]
) -> str:
    lines = [f"usage: {' '.join(p for p in (program, '[OPTIONS]', arguments) if p)}", ""]
    lines += textwrap.wrap(_sentence(summary), WIDTH)
    if options:
        lines += ["", "options:", *_table(options)]
    lines += ["", "global options: " + ", ".join(o.shown for o in shared) + " (git prgroups -h)"]
    return "\n".join(lines)


def program_help(
    program: str, version: str, summary: str, commands: Mapping[str, str], shared: list[Option]
) -> str:
    lines = [f"usage: {program} [OPTIONS] COMMAND [ARGUMENTS]", ""]
    lines += textwrap.wrap(f"{program} {version}: {_sentence(summary)}", WIDTH)
    lines += ["", "commands:"]
    width = max(map(len, commands)) + 4
    for name, text in commands.items():
        lines += textwrap.wrap(
            _sentence(text), WIDTH, initial_indent=f"  {name:<{width - 2}}",
            subsequent_indent=" " * width,
        )  # fmt: skip
    help_ = Option(("-h", "--help"), None, f"this help; {program} COMMAND -h: a command's")
    version_ = Option(("--version",), None, "the version")
    lines += ["", "options:", *_table([*shared, help_, version_])]
    lines += ["", f"The manual: {program} --help. The README: the spec and the JSON events."]
    return "\n".join(lines)


def _table(options: list[Option]) -> list[str]:
    lines = []
    for option in options:
        shown = f"  {option.shown}"
        if len(shown) >= COLUMN - 1:
            lines.append(shown)
            shown = ""
        lines += textwrap.wrap(
            option.help, WIDTH, initial_indent=f"{shown:<{COLUMN}}",
            subsequent_indent=" " * COLUMN,
        ) or [shown]  # fmt: skip
    return lines


def _sentence(text: str) -> str:
    """One line of a docstring or help, without a final full stop."""
    first = " ".join(text.strip().split("\n\n")[0].split())
    return first.rstrip(".")
