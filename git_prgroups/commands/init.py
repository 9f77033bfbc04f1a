"""`git prgroups init`: a starter spec a user edits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from git_prgroups.errors import UsageError
from git_prgroups.events import Event, Events
from git_prgroups.forges.base import IssueSource
from git_prgroups.git import Git
from git_prgroups.model import IssueFacts
from git_prgroups.proc import Runner
from git_prgroups.spec import SPEC_NAME
from git_prgroups.specfile import parse_spec

STARTER = """\
# prgroups.toml: the pull requests to ship, one [pr.NAME] table each.
# `git prgroups plan` shows the groups; `git prgroups --help` lists the commands.

[defaults]
base = "main"                  # PRs start from REMOTE/BASE
remote = "origin"
worktree = "../{repo}-{name}"  # where each entry's worktree goes ({repo}, {name}, {branch})
merge = "rebase"               # auto-merge method: rebase, squash or merge
# labels = ["refactor"]
# epic = 403
# checks = ["pytest -q"]       # run in each worktree before a local PR lands

[pr.first-fix]
title = "fix: the first thing to fix"
issues = [1]                   # the branch becomes 1-first-fix

[pr.follow-up]
type = "docs"
scope = "readme"
summary = "describe the first fix"
issues = [2]
after = ["first-fix"]          # started once first-fix has merged
"""


def write_starter_spec(
    explicit: Path | None, cwd: Path, runner: Runner, text: str = STARTER, *, dry_run: bool = False
) -> Path:
    """Write `text` (checked to be a valid spec) where the spec goes; never over one (in a
    dry run, only checked)."""
    if explicit is not None:
        path = explicit if explicit.is_absolute() else cwd / explicit
        root = Git(runner, cwd).main_worktree() or path.parent
    else:
        found = Git(runner, cwd).main_worktree()
        if found is None:
            raise UsageError(f"{cwd} is not inside a git repository with a worktree")
        root, path = found, found / SPEC_NAME
    if path.exists():
        raise UsageError(f"{path} already exists; edit it, or pass --spec PATH for another")
    parse_spec(text, path, root)  # what is written must always be a valid spec
    if not dry_run:
        path.write_text(text, encoding="utf-8")
    return path


# -- a starter spec from GitHub's issues ----------------------------------------------------

_TYPES = {  # a label → the conventional type of the PR that fixes the issue
    "bug": "fix", "documentation": "docs", "docs": "docs", "enhancement": "feat",
    "feature": "feat", "refactor": "refactor", "refactoring": "refactor", "chore": "chore",
    "maintenance": "chore", "test": "test", "tests": "test", "performance": "perf",
    "ci": "ci", "build": "build",
}  # fmt: skip
_CONVENTIONAL = re.compile(r"(?P<type>[a-z]+)(?:\((?P<scope>[^()]+)\))?!?:\s*(?P<rest>.+)")
_SMALL = frozenset(
    ["a", "an", "the", "of", "to", "in", "for", "and", "on", "with", "from", "by", "at", "is"]
)


def spec_from_forge(
    source: IssueSource,
    where: str,
    *,
    epic: int | None,
    search: str | None,
    github: str | None,
    base: str,
    remote: str,
) -> tuple[str, list[str]]:
    """A spec of an entry per open sub-issue of `epic`, or per open issue `search` finds
    on the forge (`where`: its repository, for the messages); with notes for the user."""
    if epic is not None:
        found, known = source.epic_issues(epic)
        told = f"the open sub-issues of #{epic}"
        if not found:
            raise UsageError(
                f"git prgroups init: #{epic} has no open sub-issues on {where}: use "
                "--from-issues QUERY to list issues by a search"
            )
    else:
        found, known = source.search_issues(search or "")
        told = f"the open issues found by {search!r}"
        if not found:
            raise UsageError(f"git prgroups init: no open issue found by {search!r}")
    return spec_from_issues(
        found, source=told, epic=epic, github=github, dependencies_known=known, base=base,
        remote=remote,
    )  # fmt: skip


def spec_from_issues(
    found: Sequence[IssueFacts], *, source: str, epic: int | None, github: str | None,
    dependencies_known: bool, base: str, remote: str,
) -> tuple[str, list[str]]:  # fmt: skip
    """A commented starter spec, one entry per issue (its `after` from the issues it is
    blocked by); and notes for the person about what could not be carried over."""
    import tomlkit

    notes: list[str] = []
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"Written by git prgroups init from {source}."))
    doc.add(tomlkit.comment("Group and edit the entries, then run `git prgroups plan`."))
    doc.add(tomlkit.nl())
    defaults = tomlkit.table()
    defaults.add("base", base)
    defaults.add("remote", remote)
    if github:
        defaults.add("github", github)
    if epic:
        defaults.add("epic", epic)
    doc.add("defaults", defaults)

    names = _names(found)
    numbers = {issue.number for issue in found}
    entries = tomlkit.table(is_super_table=True)
    for issue in found:
        entry = tomlkit.table()
        kind, scope, summary = _title_parts(issue)
        entry.add("type", kind)
        if scope:
            entry.add("scope", scope)
        entry.add("summary", summary)
        entry.add("issues", [issue.number])
        waits = [names[n] for n in issue.blocked_by if n in numbers]
        if waits:
            entry.add("after", waits)
            entry["after"].comment("blocked by " + ", ".join(f"#{n}" for n in issue.blocked_by
                                                            if n in numbers))  # fmt: skip
        outside = [n for n in issue.blocked_by if n not in numbers]
        if outside:
            entry.add(tomlkit.comment("also blocked by " + ", ".join(f"#{n}" for n in outside)
                                      + ", not in this list"))  # fmt: skip
        entries.add(names[issue.number], entry)
    doc.add("pr", entries)
    if not dependencies_known:
        notes.append("this GitHub keeps no issue dependencies: no entry has an `after`; add "
                     "them by hand")  # fmt: skip
    elif not any(issue.blocked_by for issue in found):
        notes.append("no issue is blocked by another: every entry starts at once (wave 0)")
    return tomlkit.dumps(doc), notes


def _title_parts(issue: IssueFacts) -> tuple[str, str | None, str]:
    """(type, scope, summary): the title's own conventional prefix, else a label's type."""
    title = " ".join(issue.title.split())
    found = _CONVENTIONAL.fullmatch(title)
    if found:
        return found["type"], found["scope"], found["rest"]
    kind = next((_TYPES[label.lower()] for label in issue.labels if label.lower() in _TYPES),
                "fix")  # fmt: skip
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        title = title[0].lower() + title[1:]
    return kind, None, title


def _names(found: Sequence[IssueFacts]) -> dict[int, str]:
    """Each issue's entry name: the first words of its title that carry meaning."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    for issue in found:
        words = re.findall(r"[a-z0-9]+", _title_parts(issue)[2].lower())
        meaningful = [w for w in words if w not in _SMALL][:4] or [f"issue-{issue.number}"]
        name = "-".join(meaningful)
        if name in taken:
            name = f"{name}-{issue.number}"
        taken.add(name)
        names[issue.number] = name
    return names


def run_init(
    spec_path: Path | None,
    cwd: Path,
    runner: Runner,
    events: Events,
    *,
    epic: int | None,
    search: str | None,
    github: str | None,
    remote: str,
    base: str,
    dry_run: bool,
) -> None:
    """`init`: the starter spec, or one made from the forge's issues (`epic` or
    `search`), written at the top of the main worktree and told as events."""
    text, notes = STARTER, list[str]()
    if epic is not None or search is not None:
        from git_prgroups.forges.choose import choose_issue_source

        source, where = choose_issue_source(runner, cwd, setting=github, remote=remote)
        text, notes = spec_from_forge(source, where, epic=epic, search=search, github=github,
                                      base=base, remote=remote)  # fmt: skip
    path = write_starter_spec(spec_path, cwd, runner, text, dry_run=dry_run)
    for note in notes:
        events.add(Event("note", note))
    details = {"path": str(path), "change": "written"}
    if dry_run:
        events.add(Event("would-record", f"{path}", details=details | {"text": text}))
        return
    events.add(Event("edited", f"wrote {path}: edit its entries, then run `git prgroups "
                     "plan`", details=details))  # fmt: skip
