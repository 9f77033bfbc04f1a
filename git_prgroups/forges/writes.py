"""The writes a forge carries out, as values: the executor hands each to the forge, or in
a dry run asks the forge only to describe it (`Forge.describe`). A forge never knows
whether a run is a dry one: it is never asked to write in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from git_prgroups.model import (
    BranchName,
    LandingOrder,
    MergeMethod,
    NewPullRequest,
    People,
    PullRequest,
)


@dataclass(frozen=True)
class Open:
    """A PR opened (one the branch has already is adopted); answers the PR."""

    request: NewPullRequest


@dataclass(frozen=True)
class Arm:
    """Auto-merge on, into the merge queue, or a merge at once; answers `Armed`."""

    pr: PullRequest
    method: MergeMethod


@dataclass(frozen=True)
class Edit:
    pr: PullRequest
    title: str
    body: str


@dataclass(frozen=True)
class AddLabels:
    pr: PullRequest
    labels: tuple[str, ...]


@dataclass(frozen=True)
class AskPeople:
    """Reviewers asked, people assigned, the milestone set."""

    pr: PullRequest
    people: People


@dataclass(frozen=True)
class MakeLabels:
    """The labels the repository lacks, made before the PRs that use them open."""

    labels: tuple[str, ...]


@dataclass(frozen=True)
class MarkReady:
    pr: PullRequest


@dataclass(frozen=True)
class UpdateBranch:
    """The forge brings the PR's branch up to date with its base itself."""

    pr: PullRequest
    rebase: bool


@dataclass(frozen=True)
class Retarget:
    """The PR's base changed (a stacked PR whose prerequisite merged: onto the base)."""

    pr: PullRequest
    base: BranchName


@dataclass(frozen=True)
class RerunFailed:
    """The failed jobs of these CI runs started again."""

    runs: tuple[int, ...]


@dataclass(frozen=True)
class CloseIssue:
    """Closed as completed, the comment first (None: it is there already)."""

    number: int
    comment: str | None


@dataclass(frozen=True)
class CommentIssue:
    number: int
    comment: str


@dataclass(frozen=True)
class RecordIssues:
    """Issues recorded, open, by a forge of prgroups' own (number, what it is about)."""

    issues: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class ClosePR:
    """Closed unmerged; its branch stays."""

    pr: PullRequest


@dataclass(frozen=True)
class PostReport:
    """The report as one comment on the issue, edited in place after; answers `Posted`."""

    issue: int
    body: str


@dataclass(frozen=True)
class Land:
    """The armed PRs' checks run and each that passes landed (a forge that lands in
    prgroups); answers each `Landing` as it comes."""

    orders: tuple[LandingOrder, ...]


Write = (
    Open | Arm | Edit | AddLabels | AskPeople | MakeLabels | MarkReady | UpdateBranch | Retarget
    | RerunFailed | CloseIssue | CommentIssue | RecordIssues | ClosePR | PostReport | Land
)  # fmt: skip

# How a dry run shows a forge's writes: the commands it would run (gh), the requests it
# would send (an HTTP API), or the records it would write (the local forge).
Shown = Literal["would-run", "would-send", "would-record"]


def pr_name(pr: PullRequest) -> str:
    """The PR as a description names it; a dry run's new PR has no number yet."""
    from git_prgroups.model import NEW_PR

    return f"the new PR of {pr.head}" if pr.number == NEW_PR else f"#{pr.number}"
