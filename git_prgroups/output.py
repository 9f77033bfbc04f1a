"""Colour rules and plain tables: the one place that decides how output looks."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def wants_color(stream: TextIO, *, disabled: bool = False) -> bool:
    """Colour only on a terminal, never with --no-color, NO_COLOR or TERM=dumb."""
    if disabled or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass(frozen=True)
class Style:
    color: bool = False

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def width(text: str) -> int:
    """Columns `text` takes on a terminal (colour codes take none, wide characters two)."""
    plain = _ANSI.sub("", text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)


def table(rows: Sequence[Sequence[str]], *, indent: str = "  ", gap: str = "  ") -> list[str]:
    """Rows padded into columns; the last column is not padded."""
    if not rows:
        return []
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=False)]
        lines.append((indent + gap.join([*cells, row[-1]])).rstrip())
    return lines


def fitting_table(
    rows: Sequence[Sequence[str]], columns: int, *, drop: Sequence[int] = (), indent: str = ""
) -> tuple[list[str], list[int]]:
    """A table no wider than `columns` where it can be: the columns numbered in `drop` go,
    in that order, while it is wider. Returns its lines and the columns left out."""
    left_out: list[int] = []
    lines = table(rows, indent=indent)
    for column in drop:
        if max(map(width, lines), default=0) <= columns:
            break
        left_out.append(column)
        lines = table([without(row, left_out) for row in rows], indent=indent)
    return lines, left_out


def without(row: Sequence[str], columns: Sequence[int]) -> list[str]:
    return [cell for i, cell in enumerate(row) if i not in columns]


@dataclass(frozen=True)
class Page:
    """Where text for a person goes: how wide it is, and the folder paths are shown from.
    Scripts read --json; this text is for reading."""

    columns: int = 80
    cwd: Path | None = None

    @classmethod
    def of(cls, stream: TextIO) -> Page:
        return cls(columns(stream), current_folder())

    def paths(self, text: str) -> str:
        return relative_paths(text, self.cwd) if self.cwd else text

    def fit(self, text: str, indent: str = "    ") -> str:
        """`text` with paths as typed from here and its lines broken to the page's width."""
        lines = self.paths(text).split("\n")
        return "\n".join(wrapped(line, self.columns, indent) for line in lines)


def current_folder() -> Path | None:
    try:
        return Path.cwd()
    except FileNotFoundError:  # removed under the process (prune from inside a worktree)
        return None


def relative_paths(text: str, cwd: Path) -> str:
    """Paths in `text` under the current folder or near it, as a person would type them
    from there: `../scylla-fix-a` rather than `/home/me/src/scylla-fix-a` (the worktrees
    sit beside each other), `.git/prgroups/logs/x.log` under it. Three levels up at most,
    and never the file system's top folders, where a relative path reads worse."""
    if len(cwd.parts) > 2:  # the current folder itself is "."
        text = re.sub(rf"(?<![\w/.:~-]){re.escape(str(cwd))}(?![\w/.~-])", ".", text)
    places = [(cwd, "")] + [
        (ancestor, f"..{os.sep}" * up) for up, ancestor in enumerate(cwd.parents[:3], 1)
    ]
    for place, typed in places:
        if len(place.parts) > 2:  # not "/" nor "/tmp"
            # a path begins the text or follows a space or bracket; not inside a file:// URL
            text = re.sub(rf"(?<![\w/.:~-]){re.escape(f'{place}{os.sep}')}", typed, text)
    return text


def wrapped(line: str, columns: int, indent: str = "    ") -> str:
    """A line longer than `columns` broken between words, its rest indented; a word too
    long for a line (a URL) is never cut."""
    if width(line) <= columns:
        return line
    import textwrap

    lead = line[: len(line) - len(line.lstrip(" "))]  # an indented line keeps its indent
    pieces = textwrap.wrap(
        line, columns, initial_indent="", subsequent_indent=lead + indent,
        break_long_words=False, break_on_hyphens=False, drop_whitespace=True,
    )  # fmt: skip
    return "\n".join(pieces)


def columns(stream: TextIO) -> int:
    """The width text is broken to: $COLUMNS where set, else the terminal's, else 80."""
    given = os.environ.get("COLUMNS", "")
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):
        pass
    return 80
