"""The installed command's first step.

`status` reads every worktree's state: those reads start here, before the command
line is parsed, so that they run while plumbum (about 60 ms to import) and the spec
load. Everything else is the command line's (cli.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from git_prgroups.face import to_stderr
from git_prgroups.readahead import ReadAhead


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ahead = _read_ahead(argv) if _command(argv) == "status" else None
    from git_prgroups.cli import run

    return run(argv, ahead)


def _command(argv: list[str]) -> str | None:
    """The subcommand's name: the first word that is not a switch (nor --spec's value)."""
    words = iter(argv)
    for word in words:
        if word == "--spec":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _read_ahead(argv: list[str]) -> ReadAhead | None:
    try:
        here = Path.cwd()
    except FileNotFoundError:
        return None  # the command line says so
    return ReadAhead.start(here, verbose="--verbose" in argv, echo=to_stderr)
