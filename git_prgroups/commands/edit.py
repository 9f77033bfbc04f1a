"""`git prgroups add` and `remove`: the spec edited from the command line, every other
byte of it kept. The new text is validated as a whole spec before it is written, so a
mistake changes nothing on disk."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from git_prgroups.commands.status import read_status
from git_prgroups.errors import ExitCode, PrgroupsError, SpecError, UsageError
from git_prgroups.events import Event, EventKind, Events
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.planning.actions import ClosePR
from git_prgroups.spec import Spec
from git_prgroups.specedit import add_entry, remove_entry
from git_prgroups.specfile import parse_spec


def add_to_spec(
    spec: Spec, name: str, fields: Mapping[str, Any], *, dry_run: bool = False
) -> tuple[int, str]:
    """Append the entry (checked, and in a dry run not written); returns the line its
    table starts on, and the spec's new text."""
    if name in spec:
        raise UsageError(f"git prgroups add: {spec.path.name} already has pr.{name}")
    text = spec.path.read_text(encoding="utf-8")
    edited, line = add_entry(text, name, fields)
    _valid(spec, edited)
    if not dry_run:
        _write_valid(spec, edited)
    return line, edited


def remove_from_spec(
    spec: Spec,
    git: Git,
    forge: Forge,
    name: str,
    *,
    force: bool,
    close: bool = False,
    dry_run: bool = False,
) -> tuple[bool, int | None]:
    """Take the entry out; refused while it has an open PR or work not merged (`force`
    takes it out anyway: its worktree and branch stay, for `prune --orphans`; `close`
    closes its open PR first). Returns whether it left a worktree or branch behind, and
    the PR it closed."""
    waiting = [e.name for e in spec.entries if name in e.after]
    if waiting:
        who = waiting[0] if len(waiting) == 1 else ", ".join(waiting[:-1]) + f" and {waiting[-1]}"
        verb = "waits" if len(waiting) == 1 else "wait"
        whose = "its" if len(waiting) == 1 else "their"
        raise UsageError(
            f'git prgroups remove: {who} {verb} for {name}: remove "{name}" from {whose} '
            "after, then run remove again"
        )
    entry = next(e for e in read_status(spec, git, forge).entries if e["name"] == name)
    open_pr = entry["pr"] if entry["pr"] and entry["state"] not in ("merged", "closed") else None
    held = _work_held(entry, closing=close)
    if held and not force:
        closing = f" (or --close closes #{open_pr} and takes it out)" if open_pr else ""
        raise Refused(f"pr.{name} {held}: git prgroups remove --force {name} takes it out "
                      f"anyway{closing}; its worktree and branch stay")  # fmt: skip
    text = remove_entry(spec.path.read_text(encoding="utf-8"), name)
    _valid(spec, text)  # before the PR is closed: a bad result changes nothing
    closed = None
    if close and open_pr:
        pr = forge.read([spec.entry(name).branch])[spec.entry(name).branch]
        run = Execution.start(spec, git, forge, Events(), dry_run=dry_run)
        execute([ClosePR(name, pr)], run)  # told by the caller, in its words
        closed = pr.number
    if not dry_run:
        _write_valid(spec, text)
    branch = f"refs/heads/{spec.entry(name).branch}"
    return bool(entry["worktree"]) or branch in git.refs(branch), closed


class Refused(PrgroupsError):
    """Not done: it would leave work behind unseen. Exit 1, as refusals are."""

    exit_code = ExitCode.NEEDS_USER


def _work_held(entry: Mapping[str, Any], *, closing: bool = False) -> str | None:
    """What taking the entry out would leave unseen; closing its open PR leaves its
    commits where they are, pushed."""
    open_pr = entry["pr"] and entry["state"] not in ("merged", "closed")
    if open_pr and not closing:
        return f"has an open PR (#{entry['pr']})"
    if entry["worktree_state"] == "dirty":
        return f"has uncommitted changes in {entry['worktree']}"
    if entry["ahead"] and entry["state"] != "merged" and not open_pr:
        commits = "1 commit" if entry["ahead"] == 1 else f"{entry['ahead']} commits"
        return f"has {commits} on {entry['branch']} that have not merged"
    return None


def _write_valid(spec: Spec, text: str) -> None:
    _valid(spec, text)
    temporary = spec.path.with_name(f".{spec.path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(spec.path)


def _valid(spec: Spec, text: str) -> None:
    try:
        parse_spec(text, spec.path, spec.root)
    except SpecError as error:  # of the file as it would be: no line of the one on disk
        where = f"{error.where}: " if error.where else ""
        raise UsageError(
            f"{spec.path.name} left as it was: with this change {where}{error.problem}"
        ) from None


def run_add(
    spec: Spec, name: str, given: Mapping[str, Any], events: Events, *, dry_run: bool
) -> None:
    """`add`: the entry's table after the others, told as an event."""
    line, text = add_to_spec(spec, name, dict(given), dry_run=dry_run)
    details = {"path": str(spec.path), "line": line, "change": "added"}
    if dry_run:
        events.add(Event("would-record", f"pr.{name} at {spec.path.name}:{line}", name,
                         details=details | {"text": text}))  # fmt: skip
        return
    events.add(Event("edited", f"added pr.{name} at {spec.path.name}:{line}; git "
                     "prgroups up starts it", name, details=details))  # fmt: skip


def run_remove(
    spec: Spec, git: Git, forge: Forge, name: str, events: Events, *, force: bool,
    close: bool, dry_run: bool,
) -> None:  # fmt: skip
    """`remove`: the entry's table taken out (its PR closed first with `close`), told."""
    left, closed = remove_from_spec(spec, git, forge, name, force=force, close=close,
                                    dry_run=dry_run)  # fmt: skip
    told: EventKind = "would-record" if dry_run else "edited"
    if closed is not None:
        events.add(Event(told, f"#{closed} closed, unmerged", name, closed,
                         details={"change": "closed-pr"}))  # fmt: skip
    events.add(Event(told, f"removed pr.{name} from {spec.path.name}", name,
                     details={"path": str(spec.path), "change": "removed"}))  # fmt: skip
    if left and not dry_run:
        kept = "its worktree and branch stay: git prgroups prune --orphans removes them"
        events.add(Event("edited", kept, name, details={"change": "kept"}))
