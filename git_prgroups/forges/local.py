"""The embedded forge: pull requests as records beside the repository, landed offline.

Records live in `<git common dir>/prgroups/local-forge.json` (see
docs/local-forge.md). Every change takes an exclusive lock on a file next to it
and replaces the file atomically, so two processes never lose each other's
writes. Auto-merge means what it means on GitHub: an open, armed, non-draft PR
whose checks pass is landed on the remote base with its merge method.

Landing happens in a detached worktree of the forge's own under the git common
directory, never in the user's worktree: rebase (or squash, or merge) onto the
fresh remote base, then a fast-forward push of the base. The user's branch is
not touched, as on GitHub.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import queue
import shlex
import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from git_prgroups.errors import PrgroupsError
from git_prgroups.git import Git
from git_prgroups.journal import Journal, UndoRecord
from git_prgroups.model import (
    NEW_PR,
    BranchName,
    Issue,
    Landing,
    LandingOrder,
    MergeMethod,
    NewPullRequest,
    PullRequest,
    Sha,
)
from git_prgroups.proc import CommandFailed
from git_prgroups.store import Store

FORMAT_VERSION = 1
OUTPUT_TAIL = 15  # lines of a failing check's output kept


class LocalForge:
    merges_on_its_own = False  # prgroups lands armed PRs, in up
    concurrent_writes = False

    def __init__(self, git: Git, store: Store, remote: str, base: BranchName) -> None:
        self.git = git
        self.store = store
        self.path = store.forge_records
        self.lock_path = store.forge_records_lock
        self.remote = remote
        self.base = base

    @property
    def _dry_run(self) -> bool:
        return self.git.runner.dry_run

    def remote_heads(self) -> dict[str, Sha]:
        """Branch → tip on the remote, as last fetched."""
        prefix = f"refs/remotes/{self.remote}/"
        return {name.removeprefix(prefix): sha for name, sha in self.git.refs(prefix).items()}

    # records

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
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

    def _would(self, text: str) -> None:
        self.git.runner.tell_would("would-record", text)

    def pulls(self) -> list[PullRequest]:
        heads = self.remote_heads()
        return [self._pull(record, heads) for record in self._load()["pulls"]]

    def _pull(self, record: dict[str, Any], heads: dict[str, Sha]) -> PullRequest:
        fields = {k: v for k, v in record.items() if k in PullRequest.__dataclass_fields__}
        if record["state"] == "open":
            fields["head_oid"] = heads.get(record["head"], record.get("head_oid"))
        if fields.get("conflict_seen"):
            fields["conflict_seen"] = tuple(fields["conflict_seen"])
        fields["labels"] = tuple(fields.get("labels") or ())
        return PullRequest(**fields)

    # the Forge interface

    def read(self, branches: Sequence[BranchName]) -> dict[BranchName, PullRequest]:
        wanted = set(branches)
        newest: dict[BranchName, PullRequest] = {}
        for pull in self.pulls():
            if pull.head in wanted:
                newest[pull.head] = pull  # records are in creation order
        return newest

    def create(self, request: NewPullRequest) -> PullRequest:
        if self._dry_run:
            self._would(f"a PR for {request.head}: {request.title}")
            return PullRequest(
                NEW_PR, "open", request.head, request.base, request.title, request.body, ""
            )
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

    def arm_auto_merge(self, pr: PullRequest, method: MergeMethod) -> None:
        self._update(pr, f"auto-merge ({method})", auto_merge=method)

    def add_labels(self, pr: PullRequest, labels: Sequence[str]) -> None:
        self._update(pr, f"labels {', '.join(labels)}", labels=[*pr.labels, *labels])

    def edit(self, pr: PullRequest, *, title: str, body: str) -> None:
        self._update(pr, "a new title and body", title=title, body=body)

    def ensure_labels(self, labels: Sequence[str]) -> None:
        """Labels need no making here: a PR's record keeps its own."""

    def checks_output(self, pr: PullRequest) -> str:
        record = next((r for r in self._load()["pulls"] if r["number"] == pr.number), {})
        return record.get("checks_output", "") if record.get("checks") == "fail" else ""

    def issues(self, numbers: Sequence[int]) -> dict[int, Issue]:
        recorded = self._load()["issues"]
        found = {}
        for n in numbers:
            record = recorded.get(str(n), {})
            comments = (record["comment"],) if record.get("comment") else ()
            found[n] = Issue(n, "closed" if record.get("state") == "closed" else "open", comments)
        return found

    def close_issue(self, number: int, comment: str | None) -> None:
        if self._dry_run:
            self._would(f"issue #{number} closed: {comment}")
            return
        with self._editing() as data:
            data["issues"][str(number)] = {
                "state": "closed",
                "comment": comment,
                "closed_at": _now(),
            }

    def _update(self, pr: PullRequest, what: str, **changes: Any) -> None:
        if self._dry_run:
            name = f"#{pr.number}" if pr.number != NEW_PR else f"the new PR of {pr.head}"
            self._would(f"{name}: {what}")
            return
        with self._editing() as data:
            for record in data["pulls"]:
                if record["number"] == pr.number:
                    record.update(changes)
                    return
            raise KeyError(pr.number)

    # landing

    def land(self, orders: Sequence[LandingOrder], *, workers: int = 1) -> Iterator[Landing]:
        """Run the checks that are due, `workers` PRs' at once, each in a clean checkout
        of the PR's head (never the user's worktree), its output kept apart; then land
        each PR that passed, in order. Landing holds the repository's lock: checks
        "running" in a record are a killed run's, and run again."""
        due = [o for o in orders if o.checks and not _passed(o.pr)]
        failing: dict[str, Landing | None] = {}
        if due:
            at_once = max(1, min(workers, len(due)))
            slots = CheckSlots(self.git, self.store).ready(at_once)
            with ThreadPoolExecutor(at_once) as pool:
                judged = list(pool.map(lambda order: self._checks(order, slots), due))
            failing = {o.name: landing for o, landing in zip(due, judged, strict=True)}
        with self._scratch() as scratch:
            for order in orders:
                yield failing.get(order.name) or self._land(order, scratch)

    def _checks(self, order: LandingOrder, slots: queue.Queue[Path]) -> Landing | None:
        """None when the checks pass; else the failing command and its output's tail."""
        pr = order.pr
        head = pr.head_oid
        if head is None:
            return Landing(order.name, pr, "waiting", "its branch is not on the remote")
        self._update(pr, "checks running", checks="running", checks_output="", checks_commit=head)
        slot = slots.get()
        try:
            self.git.at(slot).clean_checkout(head)
            for argv in order.checks:
                result = self.git.runner.run(argv, cwd=slot, check=False)
                if not result.ok:
                    lines = (result.stdout + result.stderr).strip().splitlines()
                    tail = "\n".join(lines[-OUTPUT_TAIL:])
                    header = f"`{shlex.join(argv)}` failed (exit {result.returncode})"
                    output = f"{header}\n{tail}"
                    self._update(pr, "checks failing", checks="fail", checks_output=output)
                    return Landing(order.name, pr, "failing", output)
        finally:
            slots.put(slot)
        self._update(pr, "checks passing", checks="pass", checks_output="")
        return None

    def _land(self, order: LandingOrder, scratch: _Scratch) -> Landing:
        pr, onto = order.pr, f"{self.remote}/{self.base}"
        head = pr.head_oid
        if head is None:
            return Landing(order.name, pr, "waiting", "its branch is not on the remote")
        base_ref = f"refs/remotes/{onto}"
        for _attempt in range(2):  # once more if someone pushed to the base meanwhile
            base = self.git.refs(base_ref).get(base_ref)
            if base is None:
                return Landing(order.name, pr, "waiting", f"{onto} is missing")
            if not self.git.patches_missing_from(base, head):  # merged by hand already
                self._mark_merged(pr, base)
                return Landing(order.name, pr, "landed", f"already in {onto}")
            tip = scratch.combine(base, head, order.method, pr)
            if tip is None:
                self._update(pr, "a conflict", conflict=True, conflict_seen=[base, head])
                return Landing(order.name, pr, "conflict", base=base)
            if scratch.git().push_commit(self.remote, tip, self.base):
                self.git.fetch(self.remote)
                self._mark_merged(pr, tip)
                return Landing(
                    order.name, pr, "landed", f"{order.method} onto {base[:7]} → {tip[:7]}"
                )
            self.git.fetch(self.remote)
        raise PrgroupsError(f"could not land #{pr.number}: {onto} kept moving; run up again")

    def _mark_merged(self, pr: PullRequest, merged_commit: Sha) -> None:
        self._update(
            pr, "merged", state="merged", merged_commit=merged_commit, merged_at=_now(),
            head_oid=pr.head_oid, conflict=False,
        )  # fmt: skip

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[_Scratch]:
        """A detached worktree of the forge's own, made on first use and removed at the
        end; its undo record lets the next run clear it after a kill."""
        scratch = _Scratch(self.git, self.store)
        try:
            yield scratch
        finally:
            scratch.remove()


def _passed(pr: PullRequest) -> bool:
    return pr.checks_commit == pr.head_oid and pr.checks == "pass"


class CheckSlots:
    """Clean checkouts to run checks in, one per check running at once, kept between
    runs as a CI runner keeps its workspace: `<git common dir>/prgroups/checks/N`, each
    checked out at the PR's head and cleaned of every file git does not track before a
    run, so nothing a check writes (`__pycache__/`, `.pytest_cache/`) reaches the user."""

    def __init__(self, git: Git, store: Store) -> None:
        self.git, self.folder = git, store.checks
        self.journal = Journal(store.undo)

    def ready(self, count: int) -> queue.Queue[Path]:
        """`count` slots, the missing ones registered in turn (registrations must not
        overlap: see Git.worktree_register)."""
        slots: queue.Queue[Path] = queue.Queue()
        registered = {w.path for w in self.git.worktrees()}
        for n in range(1, max(1, count) + 1):
            path = self.folder / str(n)
            if path not in registered:
                if path.exists():  # left by a run killed as it made it: it holds nothing
                    shutil.rmtree(path)
                with self.journal.noting(UndoRecord("scratch-worktree", path)):
                    self.folder.mkdir(parents=True, exist_ok=True)
                    self.git.worktree_add_detached(path, checkout=False)
            slots.put(path)
        return slots


class _Scratch:
    def __init__(self, git: Git, store: Store) -> None:
        self._git = git
        self.path = store.landing
        self.journal = Journal(store.undo)
        self._made: Git | None = None
        self._record: contextlib.ExitStack | None = None

    def git(self) -> Git:
        if self._made is None:
            if self.path.exists():  # left by a run of an older prgroups that was killed
                self._git.worktree_remove(self.path, force=True, check=False)
            self._record = contextlib.ExitStack()
            self._record.enter_context(
                self.journal.noting(UndoRecord("scratch-worktree", self.path))
            )
            self._git.worktree_add_detached(self.path)
            self._made = self._git.at(self.path)
        return self._made

    def remove(self) -> None:
        if self._made is not None:
            self._git.worktree_remove(self.path, force=True)
            assert self._record is not None
            self._record.close()

    def combine(self, base: Sha, head: Sha, method: MergeMethod, pr: PullRequest) -> Sha | None:
        """The commit the base should move to, or None on a conflict."""
        landing = self.git()
        landing.checkout_detached(base)
        try:
            if method == "rebase":
                landing.cherry_pick(f"{base}..{head}")
            elif method == "squash":
                landing.squash_commit(head, squash_message(pr, landing.messages(base, head)))
            else:
                landing.merge_commit(head, f"Merge pull request #{pr.number} from {pr.head}")
        except CommandFailed:
            conflicted = _conflicted(landing)
            landing.abandon_operation()
            if not conflicted:  # git failed for another reason: say so, remember nothing
                raise
            return None
        return landing.head()


def squash_message(pr: PullRequest, messages: list[str]) -> str:
    """As GitHub words a squash by default: the PR's title and number, then the body of
    a lone commit or each commit's whole message as a list, so that footers such as
    `Closes #13` survive."""
    if len(messages) == 1:
        body = messages[0].partition("\n\n")[2].strip()
    else:
        body = "\n\n".join(f"* {message.strip()}" for message in messages)
    return f"{pr.title} (#{pr.number})" + (f"\n\n{body}" if body else "")


def _conflicted(landing: Git) -> bool:
    try:
        return bool(landing.conflicted_files(landing.cwd))
    except CommandFailed:
        return False


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
