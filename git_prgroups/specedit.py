"""Edit prgroups.toml as a person would: an entry's table added after the other entries,
or taken out, and every other byte of the file (comments, order, spacing) left as it was.

Pure text in, text out; the caller validates the result as a whole spec before writing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from git_prgroups.errors import UsageError
from git_prgroups.tomllines import KeyPath, occurrences


def add_entry(text: str, name: str, fields: Mapping[str, Any]) -> tuple[str, int]:
    """`text` with a `[pr.NAME]` table holding `fields` after the last entry's table (before
    what follows it: the issues' tables and their comments); and the new table's line."""
    import tomlkit

    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = [f"[pr.{tomlkit.key(name).as_string()}]\n"]
    block += [f"{key} = {tomlkit.item(value).as_string()}\n" for key, value in fields.items()]
    headers = _headers(text)
    entries = [i for i, (path, _) in enumerate(headers) if path[:1] == ("pr",)]
    following = entries[-1] + 1 if entries else len(headers)
    at = _end_of_content(lines, headers[following][1] - 1) if following < len(headers) else None
    if at is None:
        at = _end_of_content(lines, len(lines))
    new = (["\n"] if at > 0 else []) + block
    first = at + 1 + (1 if at > 0 else 0)
    return "".join([*lines[:at], *new, *lines[at:]]), first


def remove_entry(text: str, name: str) -> str:
    """`text` without the `[pr.NAME]` table and the comment lines right above it."""
    headers = _headers(text)
    found = [i for i, (path, _) in enumerate(headers) if path == ("pr", name)]
    if not found:
        raise UsageError(
            f"pr.{name} has no [pr.{name}] table of its own to remove: edit the spec by hand"
        )
    lines = text.splitlines(keepends=True)
    start = _start_of_block(lines, headers[found[0]][1] - 1)
    after = found[0] + 1
    end = _end_of_content(lines, headers[after][1] - 1 if after < len(headers) else len(lines))
    if start > 0 and not lines[start - 1].strip():
        start -= 1  # the blank line that set it apart goes with it
    return "".join(lines[:start] + lines[end:])


def _headers(text: str) -> list[tuple[KeyPath, int]]:
    """Every table header (`[pr.a]`, `[[x]]`) with its line, in order."""
    lines = text.splitlines()
    return [(path, n) for path, n in occurrences(text) if lines[n - 1].lstrip().startswith("[")]


def _end_of_content(lines: Sequence[str], before: int) -> int:
    """Just past the last line before index `before` that is neither blank nor a comment:
    where a table's own lines end, the comments that introduce the next one left to it."""
    end = before
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _start_of_block(lines: Sequence[str], header: int) -> int:
    """Where the table whose header is line index `header` begins: the comment lines right
    above it belong to it."""
    start = header
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return start
