"""The forge interface: where pull requests live, what every forge does, and its errors.

No command asks which forge it has: what differs between forges is behind this
interface (`merges_on_its_own`, and `land` for a forge that lands in prgroups). A
forge's reads are called by observe and the commands; its writes only by the executor
(execute/forge_steps.py), each of them a value of `writes.Write` it can also describe:
in a dry run the executor shows the description and never calls the write.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal, Protocol

from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Progress
from git_prgroups.forges.writes import Shown, Write
from git_prgroups.model import (
    Armed,
    BranchName,
    Issue,
    IssueFacts,
    Landing,
    LandingOrder,
    MergeMethod,
    NewPullRequest,
    People,
    Posted,
    PullFacts,
    PullRequest,
)


class ForgeError(PrgroupsError):
    """The forge said no; the message carries its own words."""


class AutoMergeDisabled(ForgeError):
    """The repository does not allow auto-merge: nothing can be armed until it does."""


# What a forge does beyond what every forge does: a base that may require a merge queue
# (PRs enqueued, not armed), the server bringing a PR's branch up to date with its base
# (`update_branch`), CI runs it starts again (`rerun_failed`, `run_attempts`). The
# conformance suite (tests/test_conformance.py) skips a scenario only where the forge
# declares it lacks what the scenario needs.
Capability = Literal["merge-queue", "server-update", "ci-reruns"]


class IssueSource(Protocol):
    """A forge whose issues a spec can be started from (`init --epic`, `--from-issues`)."""

    def epic_issues(self, epic: int) -> tuple[list[IssueFacts], bool]:
        """The open sub-issues of `epic`, each with the open issues it is blocked by; and
        whether the forge keeps issue dependencies at all."""

    def search_issues(self, words: str) -> tuple[list[IssueFacts], bool]:
        """The open issues a search finds, in the forge's own search syntax."""


class Forge(Protocol):
    capabilities: frozenset[Capability]
    # A server that merges armed PRs while prgroups is not looking (GitHub). Otherwise
    # prgroups lands them itself, in `up` (the local forge).
    merges_on_its_own: bool
    # Writes worth making side by side: a server's answers take their time. (The local
    # forge's records are edited one at a time under a lock: nothing to gain, and its PR
    # numbers then follow the plan's order.)
    concurrent_writes: bool
    # how a dry run shows this forge's writes: commands, requests, or records
    shown_as: Shown

    def describe(self, write: Write) -> list[str]:
        """What carrying out `write` would send, as the exact commands or requests where
        the forge can say (reads it needs first are made); nothing is written."""

    def read(self, branches: Sequence[BranchName]) -> dict[BranchName, PullRequest]:
        """The newest pull request of each branch that has one, in one query."""

    def poll_pause(self) -> float:
        """Seconds a poller (`watch`) waits at least before reading again, to keep
        within the forge's read budget at what its reads since the last call cost (0
        where it has none)."""

    def ensure_labels(self, labels: Sequence[str]) -> None:
        """Make the labels the repository lacks, before PRs that use them are opened."""

    def create(self, request: NewPullRequest) -> PullRequest:
        """Open a PR (one that exists for the branch already is adopted, never doubled)."""

    def arm_auto_merge(self, pr: PullRequest, method: MergeMethod) -> Armed:
        """Turn on auto-merge, or merge at once a PR that is mergeable already (GitHub);
        where the base has a merge queue, enqueue it. Raises AutoMergeDisabled when the
        repository does not allow it."""

    def edit(self, pr: PullRequest, *, title: str, body: str) -> None: ...

    def add_labels(self, pr: PullRequest, labels: Sequence[str]) -> None:
        """Labels the spec gives the PR that it lacks (never removes one)."""

    def checks_output(self, pr: PullRequest) -> str:
        """The last lines of what the PR's failing checks printed, when the forge keeps
        them ("" when it does not)."""

    def pull_facts(self, prs: Sequence[PullRequest]) -> dict[int, PullFacts]:
        """When each PR was opened and merged, its size and failed checks, in one read."""

    def add_people(self, pr: PullRequest, people: People) -> None:
        """Ask these reviewers, assign these people, set the milestone (none removed)."""

    def update_branch(self, pr: PullRequest, rebase: bool) -> None:
        """The forge brings the PR's branch up to date with its base (rebased or merged)."""

    def mark_ready(self, pr: PullRequest) -> None:
        """A draft made ready for review."""

    def retarget(self, pr: PullRequest, base: BranchName) -> None:
        """The PR's base changed to `base` (a stacked PR whose prerequisite merged)."""

    def close_pr(self, pr: PullRequest) -> None:
        """Close the PR unmerged (its branch stays)."""

    def rerun_failed(self, runs: Sequence[int]) -> None:
        """Start the failed jobs of these CI runs again (a forge with CI runs only)."""

    def run_attempts(self, runs: Sequence[int]) -> dict[int, int]:
        """How often each CI run has run (1, then once more per rerun), as the forge
        counts: the retry budget is one for everyone, whichever clone asked."""

    def unchecked_bases(self, root: Path, bases: Sequence[BranchName]) -> frozenset[BranchName]:
        """Of these bases (stacked PRs' targets), those the forge's CI runs no checks for,
        as the repository at `root` configures it."""

    def recorded_issues(self) -> frozenset[int] | None:
        """The issues a forge of prgroups' own has records of; None where the forge
        keeps issues itself (GitHub)."""

    def record_issues(self, issues: Sequence[tuple[int, str]]) -> None:
        """Record these issues (number, what they are about), open, where not yet."""

    def post_report(self, issue: int, body: str) -> Posted:
        """The report as one comment on `issue`: made the first time, edited after (never
        a second comment), left alone when it says the same."""

    def issues(self, numbers: Sequence[int]) -> dict[int, Issue]:
        """Each issue's state and newest comments, in one query; unknown ones left out."""

    def close_issue(self, number: int, comment: str | None) -> None:
        """Close as completed, with the comment first (None: it is there already)."""

    def comment_issue(self, number: int, comment: str) -> None:
        """Comment on an issue the forge closed itself (a merged PR's "Closes #N")."""

    def land(
        self,
        orders: Sequence[LandingOrder],
        *,
        workers: int = 1,
        progress: Progress | None = None,
    ) -> Iterator[Landing]:
        """Run the armed PRs' checks (`workers` at once) and land each that passes on the
        base, in order (a forge that merges on its own is never asked)."""
