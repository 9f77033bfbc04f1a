"""The values git, the forges and the plans share: commits, branches, worktrees, PRs.

Nothing here reads or writes anything: these are what the world is made of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NewType

Sha = NewType("Sha", str)  # a full object name
BranchName = NewType("BranchName", str)  # a local branch, without refs/heads/

PRState = Literal["open", "closed", "merged"]
Checks = Literal["pass", "fail", "pending", "running", "none"]
MergeMethod = Literal["rebase", "squash", "merge"]
# what is where an entry's worktree goes: nothing, an empty folder, or files
FolderState = Literal["missing", "empty", "full"]
# what a person began in a worktree and has not finished
Operation = Literal["rebase", "merge", "cherry-pick", "revert"]


@dataclass(frozen=True)
class Worktree:
    path: Path
    head: Sha | None
    branch: BranchName | None  # None when detached
    bare: bool = False
    locked: bool = False
    prunable: bool = False  # registered, its folder gone


@dataclass
class CommitGraph:
    """Parents and subjects of the commits read, newest first."""

    parents: dict[Sha, list[Sha]] = field(default_factory=dict)
    subjects: dict[Sha, str] = field(default_factory=dict)

    def ancestors(self, tip: Sha) -> set[Sha]:
        """`tip` and its ancestors, within this graph."""
        seen: set[Sha] = set()
        stack = [tip]
        while stack:
            sha = stack.pop()
            if sha in seen or sha not in self.parents:
                continue
            seen.add(sha)
            stack.extend(self.parents[sha])
        return seen

    def only_in(self, tip: Sha, base: Sha) -> list[Sha]:
        """Commits of `tip` that `base` lacks, oldest first."""
        mine = self.ancestors(tip) - self.ancestors(base)
        return [sha for sha in reversed(list(self.parents)) if sha in mine]


@dataclass(frozen=True)
class People:
    """Who a PR asks for review, who it is assigned to, and its milestone: added when it
    opens and when the spec gains one, never taken away."""

    reviewers: tuple[str, ...] = ()  # logins, or ORG/TEAM
    assignees: tuple[str, ...] = ()
    milestone: str | None = None

    def __bool__(self) -> bool:
        return bool(self.reviewers or self.assignees or self.milestone)


@dataclass(frozen=True)
class PullRequest:
    number: int
    state: PRState
    head: BranchName
    base: BranchName
    title: str
    body: str
    url: str
    head_oid: Sha | None = None
    draft: bool = False
    checks: Checks = "none"
    auto_merge: MergeMethod | None = None  # the armed method, or None
    conflict: bool = False
    labels: tuple[str, ...] = ()
    # what a forge that lands in prgroups (the local one) remembers between runs
    checks_commit: Sha | None = None  # the head its checks were last judged on
    conflict_seen: tuple[Sha, Sha] | None = None  # (base, head) it last failed to apply on
    failed_checks: tuple[str, ...] = ()  # the names of the checks that failed on its head
    failed_runs: tuple[int, ...] = ()  # the CI runs (GitHub Actions) those checks are of
    behind: bool = False  # the forge waits for it to be brought up to date with its base
    node_id: str | None = None  # the forge's own id of it (GitHub's GraphQL node id)
    queued: int | None = None  # its place in the base's merge queue, 1 first
    people: People = People()  # reviewers asked (or who reviewed), assignees, milestone
    # the last removal from the merge queue: why (GitHub's words), and the head it had then
    removed: tuple[str, Sha] | None = None

    @property
    def armed(self) -> bool:
        """It will merge once it may: auto-merge on, or in the merge queue."""
        return self.auto_merge is not None or self.queued is not None

    @property
    def removed_as_it_is(self) -> bool:
        """The merge queue dropped it at the head it still has: putting it back would
        only see it dropped again."""
        return self.removed is not None and self.removed[1] == self.head_oid


@dataclass(frozen=True)
class PullFacts:
    """What the report reads of a PR beyond its state: when, how big, how often red."""

    number: int
    created_at: str | None = None  # ISO 8601
    merged_at: str | None = None
    changed_files: int | None = None
    additions: int | None = None
    deletions: int | None = None
    check_failures: int | None = None  # None: the forge does not keep count


@dataclass(frozen=True)
class IssueFacts:
    """An issue as a starter spec is written from it."""

    number: int
    title: str
    labels: tuple[str, ...] = ()
    blocked_by: tuple[int, ...] = ()  # open issues it waits for


Posted = Literal["posted", "updated", "unchanged"]


@dataclass(frozen=True)
class Armed:
    """What arming a PR did: its place in the base's merge queue, or a merge at once (a
    forge that merges a PR it finds mergeable already, rather than arm it)."""

    queued: int | None = None
    merged: bool = False


REPORT_MARK = "<!-- git prgroups report: edited in place by each report --post -->"


NEW_PR = 0  # the number of a PR a dry run would open


@dataclass(frozen=True)
class Issue:
    number: int
    state: Literal["open", "closed"]
    comments: tuple[str, ...] = ()  # the newest ones


@dataclass(frozen=True)
class NewPullRequest:
    head: BranchName
    base: BranchName
    title: str
    body: str
    labels: tuple[str, ...] = ()
    draft: bool = False


Argv = tuple[str, ...]
LandingOutcome = Literal["landed", "failing", "conflict", "waiting"]


@dataclass(frozen=True)
class LandingOrder:
    """An armed PR for a forge that lands in prgroups to land, once its checks pass."""

    name: str
    pr: PullRequest
    checks: tuple[Argv, ...]
    method: MergeMethod
    retries: int = 0  # a failed check run again this often before the PR is failing


@dataclass(frozen=True)
class Landing:
    name: str
    pr: PullRequest
    outcome: LandingOutcome
    detail: str = ""
    base: Sha | None = None  # for a conflict: the base it does not apply on
