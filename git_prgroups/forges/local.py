"""The embedded forge: pull requests as records beside the repository, landed offline.

Records live in `<git common dir>/prgroups/local-forge.json` (see
docs/local-forge.md). Every change takes an exclusive lock on a file next to it
and replaces the file atomically, so two processes never lose each other's
writes. Auto-merge means what it means on GitHub: an open, armed, non-draft PR
whose checks pass is landed on the remote base with its merge method
(local_landing.py, loaded only when something lands).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from git_prgroups.events import Progress
from git_prgroups.forges import writes
from git_prgroups.forges.base import Capability
from git_prgroups.forges.writes import Shown, Write, pr_name
from git_prgroups.git import Git
from git_prgroups.locking import is_held
from git_prgroups.model import (
    Armed,
    BranchName,
    Issue,
    Landing,
    LandingOrder,
    MergeMethod,
    NewPullRequest,
    People,
    Posted,
    PullFacts,
    PullRequest,
    Sha,
)
from git_prgroups.store import Store

FORMAT_VERSION = 1


class LocalForge:
    merges_on_its_own = False  # prgroups lands armed PRs, in up
    # it lands in turn onto the newest base and runs its checks again itself
    capabilities: frozenset[Capability] = frozenset()
    concurrent_writes = False
    shown_as: Shown = "would-record"

    def __init__(self, git: Git, store: Store, remote: str, base: BranchName) -> None:
        self.git = git
        self.store = store
        self.path = store.forge_records
        self.lock_path = store.forge_records_lock
        self.remote = remote
        self.base = base

    def remote_heads(self) -> dict[str, Sha]:
        """Branch → tip on the remote, as last fetched."""
        prefix = f"refs/remotes/{self.remote}/"
        return {name.removeprefix(prefix): sha for name, sha in self.git.refs(prefix).items()}

    # records

    def _load(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": FORMAT_VERSION, "pulls": [], "issues": {}}
        return data

    @contextlib.contextmanager
    def _editing(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._load()
            yield data
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            temporary.replace(self.path)

    def pulls(self) -> list[PullRequest]:
        heads = self.remote_heads()
        records = self._load()["pulls"]
        # checks "running" while no run holds the repository are a killed run's: pending
        cut_short = any(r.get("checks") == "running" for r in records) and not is_held(
            self.store.lock
        )
        return [self._pull(record, heads, cut_short=cut_short) for record in records]

    def _pull(
        self, record: dict[str, Any], heads: dict[str, Sha], *, cut_short: bool = False
    ) -> PullRequest:
        fields = {k: v for k, v in record.items() if k in PullRequest.__dataclass_fields__}
        if cut_short and fields.get("checks") == "running":
            fields["checks"] = "pending"
        if record["state"] == "open":
            fields["head_oid"] = heads.get(record["head"], record.get("head_oid"))
        if fields.get("conflict_seen"):
            fields["conflict_seen"] = tuple(fields["conflict_seen"])
        fields["labels"] = tuple(fields.get("labels") or ())
        people = fields.get("people") or {}
        fields["people"] = People(
            tuple(people.get("reviewers") or ()), tuple(people.get("assignees") or ()),
            people.get("milestone"),
        )  # fmt: skip
        return PullRequest(**fields)

    # the Forge interface

    def poll_pause(self) -> float:
        return 0.0  # a read is a file in this repository: no budget

    def read(self, branches: Sequence[BranchName]) -> dict[BranchName, PullRequest]:
        wanted = set(branches)
        newest: dict[BranchName, PullRequest] = {}
        for pull in self.pulls():
            if pull.head in wanted:
                newest[pull.head] = pull  # records are in creation order
        return newest

    def describe(self, write: Write) -> list[str]:
        """The record each write would change, in words (the local forge runs nothing)."""
        match write:
            case writes.Open(request):
                return [f"a PR for {request.head}: {request.title}"]
            case writes.Arm(pr, method):
                return [f"{pr_name(pr)}: auto-merge ({method})"]
            case writes.AddLabels(pr, labels):
                return [f"{pr_name(pr)}: labels {', '.join(labels)}"]
            case writes.Edit(pr):
                return [f"{pr_name(pr)}: a new title and body"]
            case writes.AskPeople(pr):
                return [f"{pr_name(pr)}: reviewers, assignees, milestone"]
            case writes.MarkReady(pr):
                return [f"{pr_name(pr)}: ready for review"]
            case writes.ClosePR(pr):
                return [f"{pr_name(pr)}: closed"]
            case writes.Retarget(pr, base):
                return [f"{pr_name(pr)}: onto {base}"]
            case writes.RecordIssues(issues):
                return ["issues " + ", ".join(f"#{n}" for n, _ in issues) + " recorded, open"]
            case writes.CloseIssue(number, comment):
                return [f"issue #{number} closed: {comment}"]
            case writes.CommentIssue(number, comment):
                return [f"issue #{number}: {comment}"]
            case writes.PostReport(issue):
                return [f"the report as a comment on #{issue}"]
            case writes.Land(orders):
                onto = f"{self.remote}/{self.base}"
                return [f"{pr_name(o.pr)}: its checks, then landed on {onto} ({o.method})"
                        for o in orders]  # fmt: skip
            case writes.MakeLabels() | writes.UpdateBranch() | writes.RerunFailed():
                return []  # never asked of this forge

    def create(self, request: NewPullRequest) -> PullRequest:
        with self._editing() as data:
            for record in data["pulls"]:
                if record["head"] == request.head and record["state"] == "open":
                    return self._pull(record, self.remote_heads())  # adopt, never duplicate
            number = 1 + max((r["number"] for r in data["pulls"]), default=0)
            pull = PullRequest(
                number=number,
                state="open",
                head=request.head,
                base=request.base,
                title=request.title,
                body=request.body,
                url=f"{self.path.as_uri()}#{number}",
                head_oid=self.remote_heads().get(request.head),
                draft=request.draft,
            )
            record = asdict(pull)
            record.update(labels=list(request.labels), created_at=_now())
            data["pulls"].append(record)
            return pull

    def arm_auto_merge(self, pr: PullRequest, method: MergeMethod) -> Armed:
        self._update(pr, f"auto-merge ({method})", auto_merge=method)
        return Armed()

    def add_labels(self, pr: PullRequest, labels: Sequence[str]) -> None:
        self._update(pr, f"labels {', '.join(labels)}", labels=[*pr.labels, *labels])

    def edit(self, pr: PullRequest, *, title: str, body: str) -> None:
        self._update(pr, "a new title and body", title=title, body=body)

    def ensure_labels(self, labels: Sequence[str]) -> None:
        """Labels need no making here: a PR's record keeps its own."""

    def checks_output(self, pr: PullRequest) -> str:
        record: dict[str, Any] = next(
            (r for r in self._load()["pulls"] if r["number"] == pr.number), {}
        )
        return record.get("checks_output", "") if record.get("checks") == "fail" else ""

    def pull_facts(self, prs: Sequence[PullRequest]) -> dict[int, PullFacts]:
        """From the records; the sizes as GitHub counts them, the head against where it
        forked from the base (git, two calls a PR: the report is read rarely)."""
        wanted = {pr.number for pr in prs}
        base = f"refs/remotes/{self.remote}/{self.base}"
        found = {}
        for r in self._load()["pulls"]:
            if r["number"] not in wanted:
                continue
            head, landed = r.get("head_oid"), r.get("merged_commit")
            fork = self.git.merge_base_all([head, Sha(base)]) if head else None
            if fork == head and landed:  # a merge landing: the base before it is its parent
                fork = self.git.merge_base_all([head, Sha(f"{landed}^1")])
            files, added, removed = self.git.diff_stat(fork, head) if fork else (None,) * 3
            found[r["number"]] = PullFacts(
                r["number"], r.get("created_at"), r.get("merged_at"), files, added, removed,
                r.get("check_failures", 0),
            )  # fmt: skip
        return found

    def add_people(self, pr: PullRequest, people: People) -> None:
        def add(record: dict[str, Any]) -> None:
            had = record.get("people") or {}
            record["people"] = {
                "reviewers": [*had.get("reviewers", []), *people.reviewers],
                "assignees": [*had.get("assignees", []), *people.assignees],
                "milestone": had.get("milestone") or people.milestone,
            }

        self._change(pr, "reviewers, assignees, milestone", add)

    def update_branch(self, pr: PullRequest, rebase: bool) -> None:
        raise NotImplementedError("the local forge lands onto the newest base itself")

    def mark_ready(self, pr: PullRequest) -> None:
        self._update(pr, "ready for review", draft=False)

    def retarget(self, pr: PullRequest, base: BranchName) -> None:
        self._update(pr, f"onto {base}", base=base)

    def close_pr(self, pr: PullRequest) -> None:
        self._update(pr, "closed", state="closed", auto_merge=None)

    def rerun_failed(self, runs: Sequence[int]) -> None:
        raise NotImplementedError("the local forge runs its checks again itself")

    def run_attempts(self, runs: Sequence[int]) -> dict[int, int]:
        return {}  # no CI runs: its checks are run again by the landing itself

    def unchecked_bases(self, root: Path, bases: Sequence[BranchName]) -> frozenset[BranchName]:
        return frozenset()  # its checks run on a PR whatever its base

    def recorded_issues(self) -> frozenset[int] | None:
        return frozenset(int(n) for n in self._load()["issues"])

    def record_issues(self, issues: Sequence[tuple[int, str]]) -> None:
        with self._editing() as data:
            for number, about in issues:
                data["issues"].setdefault(str(number), {"state": "open", "title": about})

    def post_report(self, issue: int, body: str) -> Posted:
        recorded = self._load()["issues"].get(str(issue), {})
        if recorded.get("report") == body:
            return "unchanged"
        with self._editing() as data:
            data["issues"].setdefault(str(issue), {}).update(report=body, report_at=_now())
        return "updated" if "report" in recorded else "posted"

    def record_check_failure(self, pr: PullRequest, output: str) -> None:
        """The checks failed on the PR's head: say so, and count it for the report."""

        def fail(record: dict[str, Any]) -> None:
            record.update(checks="fail", checks_output=output)
            record["check_failures"] = record.get("check_failures", 0) + 1

        self._change(pr, "checks failing", fail)

    def issues(self, numbers: Sequence[int]) -> dict[int, Issue]:
        recorded = self._load()["issues"]
        found = {}
        for n in numbers:
            record = recorded.get(str(n), {})
            comments = (record["comment"],) if record.get("comment") else ()
            found[n] = Issue(n, "closed" if record.get("state") == "closed" else "open", comments)
        return found

    def close_issue(self, number: int, comment: str | None) -> None:
        with self._editing() as data:
            record = data["issues"].setdefault(str(number), {})  # what it is about stays
            record.update(state="closed", comment=comment, closed_at=_now())

    def comment_issue(self, number: int, comment: str) -> None:
        with self._editing() as data:
            data["issues"].setdefault(str(number), {})["comment"] = comment

    def _update(self, pr: PullRequest, what: str, **changes: Any) -> None:
        self._change(pr, what, lambda record: record.update(changes))

    def _change(self, pr: PullRequest, what: str, how: Callable[[dict[str, Any]], None]) -> None:
        """`how` applied to the PR's record."""
        with self._editing() as data:
            for record in data["pulls"]:
                if record["number"] == pr.number:
                    how(record)
                    return
            raise KeyError(pr.number)

    # landing (forges/local_landing.py)

    def land(
        self,
        orders: Sequence[LandingOrder],
        *,
        workers: int = 1,
        progress: Progress | None = None,
    ) -> Iterator[Landing]:
        """Run the checks that are due, `workers` PRs' at once, each in a clean checkout
        of the PR's head (never the user's worktree), its output kept apart; then land
        each PR that passed, in order."""
        from git_prgroups.forges.local_landing import land

        return land(self, orders, workers, progress or Progress())

    def mark_merged(self, pr: PullRequest, merged_commit: Sha) -> None:
        self._update(
            pr, "merged", state="merged", merged_commit=merged_commit, merged_at=_now(),
            head_oid=pr.head_oid, conflict=False,
        )  # fmt: skip

    def update(self, pr: PullRequest, what: str, **changes: Any) -> None:
        """Change the PR's record."""
        self._update(pr, what, **changes)


def _now() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
