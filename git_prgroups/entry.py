"""The installed command's first step.

`status` reads every worktree's state: those reads start here, before anything but
what starts a process is imported and before the command line is parsed, so that
they run while plumbum, the rest of prgroups and the spec load (about 70 ms).
Everything else is the command line's (cli.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

TYPE_CHECKING = False  # typing costs 6 ms to import: for the type checker only
if TYPE_CHECKING:
    from typing import NoReturn


def _stopped_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C before main began: nothing was done, so nothing is said but the code."""
    os._exit(130)


signal.signal(signal.SIGINT, _stopped_while_starting)

from git_prgroups.readahead import ReadAhead  # noqa: E402  (after the handler: Ctrl-C-proof)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ahead = None
    try:
        with contextlib.suppress(ValueError):  # called in a thread: not its handler to set
            signal.signal(signal.SIGINT, signal.default_int_handler)  # now a KeyboardInterrupt
        ahead = _read_ahead() if _command(argv) == "status" else None
        from git_prgroups.cli import run

        return run(argv, ahead)
    except KeyboardInterrupt:  # while prgroups was still loading
        sys.stderr.write("interrupted\n")
        if "--json" in argv:
            sys.stdout.write('{"event": "exit", "entry": null, "pr": null, "message": "", '
                             '"needs_you": false, "details": {"code": 130}}\n')  # fmt: skip
        return 130
    finally:
        if ahead is not None:
            ahead.abandon()


def program() -> NoReturn:
    """The installed command: `main`, then the process ends at once. Python's teardown
    of every module loaded (about 20 ms, a fifth of a quick command) does nothing the
    command needs: its files were closed as it went, its threads and processes are done,
    and what it printed is flushed here."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a reader that went away (`| head`)
            stream.flush()
    os._exit(code)


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
