"""Which base branches a repository's GitHub Actions workflows run pull requests for: a
stacked PR targets its prerequisite's branch, and `pull_request: branches: [main]`
filters on the base, so such a PR would run no CI and look green.

Read from the workflow files' text with a scan of the few forms the trigger takes (no
YAML parser is needed for them): `on: pull_request`, `on: [push, pull_request]`, and a
`pull_request:` (or `pull_request_target:`) table with `branches` or `branches-ignore`
given inline (`[main, 'release/**']`) or as a list of `- item` lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_TRIGGER = re.compile(r"^(\s*)(pull_request|pull_request_target)\s*:\s*(#.*)?$")
_FILTER = re.compile(r"^(\s*)(branches|branches-ignore)\s*:\s*(.*?)\s*(#.*)?$")
_ITEM = re.compile(r"^(\s*)-\s*(.+?)\s*(#.*)?$")
_INLINE = re.compile(r"^\s*on\s*:.*\bpull_request(_target)?\b")


@dataclass(frozen=True)
class Trigger:
    """One workflow's pull-request trigger: the base branches it takes, or leaves out
    (GitHub's glob patterns); neither: every base."""

    branches: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    def runs_for(self, base: str) -> bool:
        if self.branches:
            return any(_matches(pattern, base) for pattern in self.branches)
        return not any(_matches(pattern, base) for pattern in self.ignored)


def triggers(text: str) -> list[Trigger]:
    """The pull-request triggers of one workflow file."""
    lines = text.splitlines()
    found: list[Trigger] = []
    for at, line in enumerate(lines):
        if _INLINE.match(line) and not line.rstrip().endswith(":"):
            found.append(Trigger())  # on: pull_request, on: [push, pull_request]
            continue
        trigger = _TRIGGER.match(line)
        if trigger is None:
            continue
        indent = len(trigger.group(1))
        filters: dict[str, list[str]] = {"branches": [], "branches-ignore": []}
        key = None
        for below in lines[at + 1 :]:
            if not below.strip() or below.lstrip().startswith("#"):
                continue
            depth = len(below) - len(below.lstrip())
            if depth <= indent:
                break
            given = _FILTER.match(below)
            if given is not None:
                key, value = given.group(2), given.group(3)
                if value.startswith("["):
                    filters[key] += [_unquoted(v) for v in value.strip("[]").split(",") if v]
                    key = None
                elif value:
                    filters[key].append(_unquoted(value))
                    key = None
                continue
            item = _ITEM.match(below)
            if item is not None and key is not None:
                filters[key].append(_unquoted(item.group(2)))
            else:
                key = None
        found.append(Trigger(tuple(filters["branches"]), tuple(filters["branches-ignore"])))
    return found


def skipped_bases(texts: Iterable[str], bases: Iterable[str]) -> list[str]:
    """The bases no workflow runs pull requests for, of those given; none when no
    workflow runs on pull requests at all (there is no CI to miss)."""
    every = [t for text in texts for t in triggers(text)]
    if not every:
        return []
    return [base for base in bases if not any(t.runs_for(base) for t in every)]


def _unquoted(value: str) -> str:
    return value.strip().strip("'\"")


def _matches(pattern: str, branch: str) -> bool:
    """GitHub's filter patterns: `*` matches within one path segment, `**` across."""
    regex = ""
    at = 0
    while at < len(pattern):
        if pattern.startswith("**", at):
            regex, at = regex + ".*", at + 2
        elif pattern[at] == "*":
            regex, at = regex + "[^/]*", at + 1
        elif pattern[at] == "?":
            regex, at = regex + ".", at + 1
        else:
            regex, at = regex + re.escape(pattern[at]), at + 1
    return re.fullmatch(regex, branch) is not None
