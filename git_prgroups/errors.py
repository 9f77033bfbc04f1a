"""One base error and the exit codes every command maps to."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path


class ExitCode(enum.IntEnum):
    OK = 0
    NEEDS_USER = 1  # a conflict, failing checks, something refused to keep work safe
    USAGE = 2  # bad command line, bad spec, bad template
    INTERNAL = 3  # a bug in prgroups: please report it
    INTERRUPTED = 130  # Ctrl-C


class PrgroupsError(Exception):
    """An expected failure: printed as one message, never as a traceback."""

    exit_code: ExitCode = ExitCode.NEEDS_USER

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(PrgroupsError):
    exit_code = ExitCode.USAGE


class SpecError(UsageError):
    """A problem in prgroups.toml, located at a file, a line and a key."""

    def __init__(
        self, path: Path, problem: str, *, line: int | None = None, where: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.where = where
        self.problem = problem
        location = display_path(path) + (f":{line}" if line else "")
        prefix = f"{location}: {where}: " if where else f"{location}: "
        super().__init__(prefix + problem)


class TemplateError(UsageError):
    """A template that does not parse or that uses a name it was not given."""


def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """'; did you mean "x"?' for the closest of `choices`, or '' when none is close."""
    import difflib

    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = word.lower()
        close = [c for c in choices if len(c) >= 3 and (c in lowered or lowered in c)][:1]
    return f'; did you mean "{close[0]}"?' if close else ""
