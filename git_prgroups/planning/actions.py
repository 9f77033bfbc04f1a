"""What the plans ask the executor to do. Values only; execute.py carries them out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from git_prgroups.events import Event
from git_prgroups.model import (
    Argv,
    BranchName,
    LandingOrder,
    MergeMethod,
    NewPullRequest,
    People,
    PullRequest,
    Sha,
)


@dataclass(frozen=True)
class Report:
    """An event the plan already knows: a blocked entry, a refusal, a hand-edited PR.
    A command that plans in rounds tells the last round's."""

    event: Event


@dataclass(frozen=True)
class Notice:
    """An event about what this round does (a push that leaves changes out), told as the
    round runs."""

    event: Event


@dataclass(frozen=True)
class RunCommand:
    """`exec`: the user's command in an entry's worktree, with the entry in its
    environment (PRGROUPS_ENTRY, _BRANCH, _WORKTREE, _ISSUES, _TITLE)."""

    name: str
    path: Path
    argv: Argv
    env: tuple[tuple[str, str], ...]


# -- worktrees and refs -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecordStarts:
    """Where the worktrees about to be made begin (`refs/prgroups/made/`), and their new
    branches, in one transaction before the worktrees: a run killed half way still
    knows which it began."""

    starts: Mapping[BranchName, Sha]
    stacked: Mapping[BranchName, Sha] = field(default_factory=dict)  # built on a branch's tip


@dataclass(frozen=True)
class RecordStacks:
    """What stacked branches are built on (`refs/prgroups/stacked-on/`): recorded before
    a move onto the prerequisite's new tip, dropped once a branch is off its stack."""

    built_on: Mapping[BranchName, Sha] = field(default_factory=dict)
    dropped: tuple[BranchName, ...] = ()


@dataclass(frozen=True)
class ForgetMissingWorktrees:
    """`git worktree prune`: registrations whose folders were deleted by hand."""


@dataclass(frozen=True)
class AddWorktree:
    """A worktree on `branch` (at `commit`); `new`: the branch begins with it, made by
    RecordStarts just before."""

    name: str
    path: Path
    branch: BranchName
    commit: Sha
    new: bool
    stale: bool = False  # its folder had been deleted by hand
    onto: str = ""  # REMOTE/BASE, for the report


@dataclass(frozen=True)
class RecordSetupsDue:
    """Before new worktrees are made: each marked as not yet made ready, so a run killed
    between making one and preparing it leaves it told (and `up --setup` finishes it)."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class PrepareWorktree:
    """A new worktree made ready to work in: the ignored files `.worktreeinclude` names
    copied from the main worktree, then the setup commands run in it."""

    name: str
    path: Path
    setup: tuple[Argv, ...]


@dataclass(frozen=True)
class FastForward:
    """An entry with no commits of its own, behind the base: moved up to it."""

    name: str
    path: Path
    branch: BranchName
    to: Sha
    onto: str = ""


@dataclass(frozen=True)
class RemoveWorktree:
    name: str
    path: Path
    commit: Sha | None  # what its files are, if a kill cuts the removal short
    force: bool = False


@dataclass(frozen=True)
class DeleteBranches:
    """Local branches, each only while it is still at the tip the plan saw."""

    tips: Mapping[BranchName, Sha]


@dataclass(frozen=True)
class DeleteRefs:
    refs: tuple[str, ...]


# -- the remote ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordPushed:
    """The remote has these tips but prgroups' record of its last push does not (a run
    died after pushing, or a person pushed by hand)."""

    tips: Mapping[BranchName, Sha]


@dataclass(frozen=True)
class Push:
    name: str
    branch: BranchName
    tip: Sha  # what the branch holds
    lease: Sha | None  # the remote tip a rewritten history may replace


@dataclass(frozen=True)
class PushBranches:
    """One `git push` of every due branch, and of those the run's resyncs moved."""

    pushes: tuple[Push, ...] = ()
    with_resynced: bool = False


@dataclass(frozen=True)
class DeleteRemoteBranches:
    """Each only while the remote still has the tip given."""

    leases: Mapping[BranchName, Sha]
    names: Mapping[BranchName, str] = field(default_factory=dict)  # branch → entry


# -- sync ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resync:
    """Move `branch` (at `tip`, in `worktree`) onto `onto` by rebase or merge; `lease` is
    its remote tip, or None when it is not on the remote."""

    name: str
    branch: BranchName
    worktree: Path
    tip: Sha
    onto: Sha
    onto_label: str
    lease: Sha | None
    merge: bool = False
    known_conflict: bool = False  # a sync before could not: its conflict ref goes
    # a restack: only the commits above `upstream` (the prerequisite's commit the branch
    # was built on) move, and its record follows: onto the prerequisite's new tip
    # ("follow"), or gone once the prerequisite merged ("land")
    upstream: Sha | None = None
    restack: Literal["follow", "land"] | None = None


# -- the forge ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnsureLabels:
    """The labels the PRs about to be opened use: made once, before them."""

    labels: tuple[str, ...]


@dataclass(frozen=True)
class OpenPR:
    name: str
    request: NewPullRequest
    method: MergeMethod | None  # auto-merge method to arm once opened; None for a draft
    people: People = field(default_factory=People)  # asked for once it is open


@dataclass(frozen=True)
class ArmAutoMerge:
    name: str
    pr: PullRequest
    method: MergeMethod
    again: bool = False  # turned back on after the forge dropped it


@dataclass(frozen=True)
class AddPeople:
    """Reviewers, assignees or a milestone the spec gives that the PR lacks."""

    name: str
    pr: PullRequest
    people: People


@dataclass(frozen=True)
class AddLabels:
    name: str
    pr: PullRequest
    labels: tuple[str, ...]


@dataclass(frozen=True)
class EditPR:
    name: str
    pr: PullRequest
    title: str
    body: str


@dataclass(frozen=True)
class LandArmed:
    orders: tuple[LandingOrder, ...]


@dataclass(frozen=True)
class RecordIssues:
    """Issues the spec names that a forge of prgroups' own (the local one) has no record
    of yet, with what the spec says they are about."""

    issues: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class UpdateBranch:
    """A PR behind a base that requires up-to-date branches, with no worktree here to
    rebase it in: brought up to date by the forge."""

    name: str
    pr: PullRequest
    rebase: bool


@dataclass(frozen=True)
class AnnounceReady:
    """Entries whose prerequisites have all merged, named on the epic (once each: the
    comment holds a mark per entry)."""

    epic: int
    names: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class MarkReady:
    """A draft opened "until-green" whose checks passed: ready for review, then armed."""

    name: str
    pr: PullRequest
    method: MergeMethod


@dataclass(frozen=True)
class RerunChecks:
    """A PR's failed CI jobs started again (`checks_retry`): the `attempt`-th time on its
    head, recorded before it is asked for, so that no kill makes one more."""

    name: str
    pr: PullRequest
    runs: tuple[int, ...]
    attempt: int
    most: int


@dataclass(frozen=True)
class CloseIssue:
    number: int
    comment: str
    commented: bool = False  # the comment is there already: only the closing is left
    closed: bool = False  # closed already (the forge does, on a merge): only the comment


@dataclass(frozen=True)
class ReportPruned:
    """Say what went of an entry, once its removals have run."""

    name: str
    worktree: Path | None
    branch: BranchName | None  # the local branch, if it had one
    remote: BranchName | None  # the remote branch, if its deletion was asked for


@dataclass(frozen=True)
class ClosePR:
    """`remove --close`: the entry's open PR closed unmerged, before it leaves the spec."""

    name: str
    pr: PullRequest


@dataclass(frozen=True)
class RetargetPR:
    """A stacked PR onto the base once its prerequisite merged: before anything deletes
    the prerequisite's branch (GitHub closes a PR whose base branch goes)."""

    name: str
    pr: PullRequest
    base: BranchName


@dataclass(frozen=True)
class PostReport:
    """The report as one comment on the epic: made the first time, edited after."""

    issue: int
    body: str
    quiet_if_unchanged: bool = False  # advance's refresh says nothing when nothing changed


# Writes to the forge, each about one PR or issue: those of different PRs may go side by
# side (ForgeWrites).
ForgeWrite = (
    OpenPR | ArmAutoMerge | AddLabels | EditPR | CloseIssue | RerunChecks | MarkReady
    | AnnounceReady | UpdateBranch | AddPeople | RetargetPR
)  # fmt: skip


# -- side by side: what the plan says may run at once ---------------------------------------


@dataclass(frozen=True)
class AddWorktrees:
    """Worktrees made together: registered one after another (git reads every other
    registration while it writes one), checked out side by side."""

    adds: tuple[AddWorktree, ...]


@dataclass(frozen=True)
class PrepareWorktrees:
    """New worktrees made ready side by side, told in plan order."""

    prepares: tuple[PrepareWorktree, ...]


@dataclass(frozen=True)
class RunCommands:
    """`exec`'s commands, each in its own worktree, side by side."""

    commands: tuple[RunCommand, ...]


@dataclass(frozen=True)
class ForgeWrites:
    """Forge writes about different PRs or issues, side by side (each PR's own next
    write, arming after opening, right after it); told in plan order."""

    writes: tuple[ForgeWrite, ...]


Batch = AddWorktrees | PrepareWorktrees | RunCommands | ForgeWrites

Action = (
    Report
    | Notice
    | RecordStarts
    | RecordStacks
    | ForgetMissingWorktrees
    | AddWorktree
    | RunCommand
    | RecordSetupsDue
    | PrepareWorktree
    | FastForward
    | RemoveWorktree
    | DeleteBranches
    | DeleteRefs
    | RecordPushed
    | PushBranches
    | DeleteRemoteBranches
    | Resync
    | EnsureLabels
    | OpenPR
    | ArmAutoMerge
    | AddLabels
    | EditPR
    | LandArmed
    | CloseIssue
    | RerunChecks
    | MarkReady
    | AnnounceReady
    | UpdateBranch
    | AddPeople
    | RecordIssues
    | ReportPruned
    | ClosePR
    | RetargetPR
    | PostReport
    | Batch
)


def members(actions: Iterable[Action]) -> Iterator[Action]:
    """Each action, a batch's one by one: for what looks at a plan's parts."""
    for action in actions:
        match action:
            case AddWorktrees(adds):
                yield from adds
            case PrepareWorktrees(prepares):
                yield from prepares
            case RunCommands(commands):
                yield from commands
            case ForgeWrites(writes):
                yield from writes
            case _:
                yield action


def forge_writes(writes: Sequence[ForgeWrite]) -> list[Action]:
    """The writes as one batch, or none where there are none."""
    return [ForgeWrites(tuple(writes))] if writes else []
