"""The spec as values: frozen dataclasses of prgroups.toml's defaults and entries.

specfile.py reads and validates the file into these; everything else reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from git_prgroups.graph import Graph, build_graph
from git_prgroups.model import Argv, BranchName, MergeMethod

SPEC_NAME = "prgroups.toml"
MERGE_METHODS = ("rebase", "squash", "merge")
FORGES = ("auto", "github", "local")
WORKTREE_FIELDS = ("repo", "name", "branch")
DEFAULT_WORKTREE = "../{repo}-{name}"
SYSTEM_FOLDERS = frozenset(
    Path(p)
    for p in (
        "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run", "/sbin",
        "/sys", "/usr", "/var/lib", "/var/log", "/var/run", "/System", "/Library",
    )
)  # fmt: skip
# a memory-backed folder anyone may use (only named here, never written to)
USERS_FOLDERS = frozenset({Path("/dev/shm")})  # noqa: S108


def in_system_folder(path: Path) -> bool:
    """Where no worktree belongs: the root itself, or a folder the system keeps."""
    folders = {path, *path.parents}
    return path.parent == Path("/") or (
        not SYSTEM_FOLDERS.isdisjoint(folders) and USERS_FOLDERS.isdisjoint(folders)
    )


ForgeKind = Literal["auto", "github", "local"]
Resolution = Literal["fixed", "no-fix"]
RESOLUTIONS = ("fixed", "no-fix")
MAIN = BranchName("main")


@dataclass(frozen=True)
class Defaults:
    base: BranchName = MAIN
    remote: str = "origin"
    forge: ForgeKind = "auto"
    github: str | None = None
    worktree: str = DEFAULT_WORKTREE
    merge: MergeMethod = "rebase"
    labels: tuple[str, ...] = ()
    epic: int | None = None
    templates: Path | None = None
    checks: tuple[Argv, ...] = ()
    setup: tuple[Argv, ...] = ()  # run in each new worktree (and each entry's own after)
    draft: bool = False
    until_green: bool = False  # draft = "until-green" in the defaults
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    milestone: str | None = None
    jobs: int | None = None  # forge writes under way at once (the executor's default: 4)
    checks_retry: int = 0  # failed CI jobs run again, at most this often per head commit
    stack: bool = False  # every entry with one prerequisite starts on its branch


@dataclass(frozen=True)
class Entry:
    name: str
    branch: BranchName
    worktree: Path
    title: str | None = None
    type: str | None = None
    scope: str | None = None
    summary: str | None = None
    issues: tuple[int, ...] = ()
    after: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    body: str | None = None
    draft: bool = False
    checks: tuple[Argv, ...] = ()
    setup: tuple[Argv, ...] = ()
    checks_retry: int = 0
    until_green: bool = False  # draft = "until-green": a draft until its checks pass
    reviewers: tuple[str, ...] = ()  # the defaults' and the entry's own
    assignees: tuple[str, ...] = ()
    milestone: str | None = None
    stack: bool = False  # starts on its one prerequisite's branch, before that merges


@dataclass(frozen=True)
class IssueNote:
    """What the spec says of one issue beyond the entries that name it: what it is about
    (for the report), what its closing comment says, whether it needed no fix, and which
    part of it each entry carries."""

    number: int
    description: str | None = None
    note: str | None = None
    resolution: Resolution = "fixed"
    parts: Mapping[str, str] = field(default_factory=dict)  # entry name → "P1"


@dataclass(frozen=True)
class Spec:
    path: Path
    root: Path  # the main worktree: relative paths in the spec start here
    defaults: Defaults
    entries: tuple[Entry, ...]
    issue_notes: Mapping[int, IssueNote] = field(default_factory=dict)
    _by_name: Mapping[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {e.name: e for e in self.entries})

    def entry(self, name: str) -> Entry:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def stacked_on(self, name: str) -> Entry | None:
        """The prerequisite a stacked entry is built on (whether or not it merged)."""
        entry = self.entry(name)
        return self.entry(entry.after[0]) if entry.stack else None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    def sharing(self, issue: int) -> tuple[str, ...]:
        """Names of the entries that name `issue`, in spec order."""
        return tuple(e.name for e in self.entries if issue in e.issues)

    def issue(self, number: int) -> IssueNote:
        """The spec's word on an issue; an issue with no [issue.N] table has the defaults."""
        return self.issue_notes.get(number) or IssueNote(number)

    def unnamed_issues(self) -> tuple[int, ...]:
        """The "no-fix" issues that no entry names: prune closes them with their note."""
        return tuple(
            n for n, said in self.issue_notes.items()
            if said.resolution == "no-fix" and not self.sharing(n)
        )  # fmt: skip

    def graph(self) -> Graph:
        """Waves and groups of the entries (the spec has no cycles: it was checked)."""
        return build_graph({e.name: e.after for e in self.entries})
