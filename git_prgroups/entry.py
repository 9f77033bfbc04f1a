"""The installed command's first step.

`status` reads every worktree's state: those reads start here, before anything but
what starts a process is imported and before the command line is parsed, so that
they run while plumbum, the rest of prgroups and the spec load (about 70 ms).
Everything else is the command line's (cli.py).
"""

from __future__ import annotations

import os
import sys

from git_prgroups.readahead import ReadAhead


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ahead = _read_ahead() if _command(argv) == "status" else None
    try:
        from git_prgroups.cli import run

        return run(argv, ahead)
    finally:
        if ahead is not None:
            ahead.abandon()


def _command(argv: list[str]) -> str | None:
    """The subcommand's name: the first word that is not a switch (nor --spec's value)."""
    words = iter(argv)
    for word in words:
        if word == "--spec":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _read_ahead() -> ReadAhead | None:
    try:
        here = os.getcwd()
    except FileNotFoundError:
        return None  # the command line says so
    return ReadAhead.start(here)
