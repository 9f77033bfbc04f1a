"""Find the line of a table or key in TOML text, for error messages.

tomlkit keeps no line numbers, so this small scanner walks the text, steps
over strings, arrays and inline tables, and notes where each table header
and each key of a table begins. It runs only when an error is reported.
"""

from __future__ import annotations

import json
import re

KeyPath = tuple[str, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map each table header path and each `table + key` path to its 1-based line.

    The first occurrence wins; a path that appears again keeps its first line.
    """
    found: dict[KeyPath, int] = {}
    for path, number in occurrences(text):
        found.setdefault(path, number)
    return found


def line_of(text: str, *paths: KeyPath) -> int | None:
    """The line of the first of `paths` that the text holds."""
    lines = key_lines(text)
    for path in paths:
        if path in lines:
            return lines[path]
    return None


def second_definition(text: str, key: str) -> tuple[KeyPath, int] | None:
    """The path ending in `key` that is defined a second time, and that line."""
    seen: set[KeyPath] = set()
    for path, number in occurrences(text):
        if path[-1:] == (key,) and path in seen:
            return path, number
        seen.add(path)
    return None


def occurrences(text: str) -> list[tuple[KeyPath, int]]:
    """Every table header and key definition, with its line, in the order of the text."""
    found: list[tuple[KeyPath, int]] = []
    table: KeyPath = ()
    scanner = _ValueScanner()
    for number, line in enumerate(text.splitlines(), start=1):
        if scanner.busy:
            scanner.feed(line, 0)
            continue
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            inner = stripped[2:] if stripped.startswith("[[") else stripped[1:]
            parsed = _parse_key(inner, "]")
            if parsed is not None:
                table = parsed[0]
                found.append((table, number))
            continue
        parsed = _parse_key(stripped, "=")
        if parsed is None:
            continue
        key, rest = parsed
        found.append(((*table, *key), number))
        scanner.feed(stripped, len(stripped) - len(rest))
    return found


def _parse_key(text: str, terminator: str) -> tuple[KeyPath, str] | None:
    """Parse a dotted key up to `terminator`; return the parts and the text after it."""
    parts: list[str] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return None
        char = text[pos]
        if char == '"':
            end = _string_end(text, pos + 1, '"', escapes=True)
            if end is None:
                return None
            try:
                parts.append(json.loads(text[pos : end + 1]))
            except ValueError:
                parts.append(text[pos + 1 : end])
            pos = end + 1
        elif char == "'":
            end = text.find("'", pos + 1)
            if end < 0:
                return None
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            match = _BARE.match(text, pos)
            if not match:
                return None
            parts.append(match.group())
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return None
        if text[pos] == ".":
            pos += 1
            continue
        if text[pos] == terminator:
            return tuple(parts), text[pos + 1 :]
        return None


def _string_end(text: str, pos: int, quote: str, *, escapes: bool) -> int | None:
    while pos < len(text):
        if escapes and text[pos] == "\\":
            pos += 2
            continue
        if text[pos] == quote:
            return pos
        pos += 1
    return None


class _ValueScanner:
    """Tracks whether a value goes on past the end of a line."""

    def __init__(self) -> None:
        self.multiline: str | None = None  # '"""' or "'''" while inside one
        self.depth = 0  # open [ and { of arrays and inline tables

    @property
    def busy(self) -> bool:
        return self.multiline is not None or self.depth > 0

    def feed(self, line: str, pos: int) -> None:
        while pos < len(line):
            if self.multiline is not None:
                end = self._multiline_end(line, pos)
                if end is None:
                    return
                pos, self.multiline = end, None
                continue
            char = line[pos]
            if char == "#":
                return
            if line.startswith('"""', pos) or line.startswith("'''", pos):
                self.multiline, pos = line[pos : pos + 3], pos + 3
            elif char in "\"'":
                end = _string_end(line, pos + 1, char, escapes=char == '"')
                if end is None:
                    return
                pos = end + 1
            else:
                if char in "[{":
                    self.depth += 1
                elif char in "]}":
                    self.depth = max(0, self.depth - 1)
                pos += 1

    def _multiline_end(self, line: str, pos: int) -> int | None:
        assert self.multiline is not None
        escapes = self.multiline == '"""'
        while pos < len(line):
            if escapes and line[pos] == "\\":
                pos += 2
                continue
            if line.startswith(self.multiline, pos):
                end = pos + 3
                while end < len(line) and line[end] == self.multiline[0]:
                    end += 1  # up to two quotes may close the string's content
                return end
            pos += 1
        return None


def unclosed(text: str) -> tuple[KeyPath, int, str, str] | None:
    """The first value, string or table header that is opened and never closed: its
    key, its line, what it is, and what closes it. For a TOML error that would name the
    line where the reader gave up instead."""
    table: KeyPath = ()
    opened: tuple[KeyPath, int, str, str] | None = None
    scanner = _ValueScanner()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if scanner.busy:
            header = stripped.startswith("[") and _parse_key(stripped.lstrip("["), "]")
            if scanner.depth and header:
                return opened  # a new table begins inside the value: it never closed
            scanner.feed(line, 0)
            continue
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            parsed = _parse_key(stripped.lstrip("["), "]")
            if parsed is None:
                return table, number, "the table header", "]"
            table = parsed[0]
            continue
        parsed = _parse_key(stripped, "=")
        if parsed is None:
            continue
        key, rest = parsed
        value = rest.lstrip()
        quote = value[:1]
        one_line = quote in ("'", '"') and not value.startswith(quote * 3)
        if one_line and _string_end(value, 1, quote, escapes=quote == '"') is None:
            return (*table, *key), number, "the string", quote
        scanner.feed(stripped, len(stripped) - len(rest))
        if scanner.busy:
            what = (
                "the string"
                if scanner.multiline
                else "the list"
                if value[:1] == "["
                else "the table"
            )
            closer = scanner.multiline or ("]" if value[:1] == "[" else "}")
            opened = ((*table, *key), number, what, closer)
    return opened if scanner.busy else None
