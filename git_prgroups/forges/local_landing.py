"""How the local forge lands PRs: their checks in clean checkouts, then rebase (or
squash, or merge) onto the fresh remote base in a worktree of its own, and a
fast-forward push of the base. The user's worktree and branch are never touched, as
on GitHub. Imported only when something lands.
"""

from __future__ import annotations

import contextlib
import queue
import shlex
import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Progress, showing
from git_prgroups.git import Git
from git_prgroups.interrupt import STOP, each_of
from git_prgroups.journal import Journal, UndoRecord
from git_prgroups.model import Landing, LandingOrder, MergeMethod, PullRequest, Sha
from git_prgroups.proc import CommandFailed, Halted
from git_prgroups.store import Store

if TYPE_CHECKING:
    from git_prgroups.forges.local import LocalForge

OUTPUT_TAIL = 15  # lines of a failing check's output kept


def land(
    forge: LocalForge, orders: Sequence[LandingOrder], workers: int, progress: Progress
) -> Iterator[Landing]:
    return _Lander(forge, progress).land(orders, workers)


class _Lander:
    def __init__(self, forge: LocalForge, progress: Progress) -> None:
        self.forge = forge
        self.progress = progress
        self.git = forge.git
        self.remote, self.base = forge.remote, forge.base

    def land(self, orders: Sequence[LandingOrder], workers: int) -> Iterator[Landing]:
        """Landing holds the repository's lock: checks "running" in a record are a killed
        run's, and run again."""
        due = [o for o in orders if o.checks and not _passed(o.pr)]
        failing: dict[str, Landing | None] = {}
        if due:
            at_once = max(1, min(workers, len(due)))
            with (
                CheckSlots(self.git, self.forge.store).ready(at_once) as slots,
                showing(self.progress, "checks", len(due)),
                ThreadPoolExecutor(at_once) as pool,
            ):
                judged = each_of(pool, lambda order: self._checks(order, slots), due)
            failing = {o.name: landing for o, landing in zip(due, judged, strict=True)}
        with self._scratch() as scratch:
            for order in orders:
                if STOP.asked:  # Ctrl-C: the landing before this one was the last
                    return
                yield failing.get(order.name) or self._land(order, scratch)

    def _checks(self, order: LandingOrder, slots: queue.Queue[Path]) -> Landing | None:
        """None when the checks pass; else the failing command and its output's tail."""
        pr = order.pr
        head = pr.head_oid
        if head is None:
            return Landing(order.name, pr, "waiting", "its branch is not on the remote")
        if STOP.asked:  # Ctrl-C: checks under way finish, no other starts
            return Landing(order.name, pr, "waiting", "not checked: stopped by Ctrl-C")
        self.forge.update(
            pr, "checks running", checks="running", checks_output="", checks_commit=head
        )
        slot = slots.get()
        self.progress.started(order.name)
        try:
            self.git.at(slot).clean_checkout(head)
            return self._run_checks(order, slot)
        except Halted:  # the second Ctrl-C: checked again by the next run
            self.forge.update(pr, "checks cut short", checks="pending", checks_output="")
            raise
        finally:
            slots.put(slot)
            self.progress.finished(order.name)

    def _run_checks(self, order: LandingOrder, slot: Path) -> Landing | None:
        pr = order.pr
        for argv in order.checks:
            result = self.git.runner.run(argv, cwd=slot, check=False)
            for _again in range(order.retries):  # checks_retry: a flaky test's chances
                if result.ok or STOP.asked:
                    break
                result = self.git.runner.run(argv, cwd=slot, check=False)
            if not result.ok:
                lines = (result.stdout + result.stderr).strip().splitlines()
                tail = "\n".join(lines[-OUTPUT_TAIL:])
                header = f"`{shlex.join(argv)}` failed (exit {result.returncode})"
                output = f"{header}\n{tail}"
                self.forge.record_check_failure(pr, output)
                return Landing(order.name, pr, "failing", output)
        self.forge.update(pr, "checks passing", checks="pass", checks_output="")
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
                self.forge.mark_merged(pr, base)
                return Landing(order.name, pr, "landed", f"already in {onto}")
            tip = scratch.combine(base, head, order.method, pr)
            if tip is None:
                self.forge.update(pr, "a conflict", conflict=True, conflict_seen=[base, head])
                return Landing(order.name, pr, "conflict", base=base)
            if self.git.same_tree(tip, base):  # its changes are in already: a squash of it
                self.forge.mark_merged(pr, base)  # landed by a run killed before it said so
                return Landing(order.name, pr, "landed", f"already in {onto}")
            if scratch.git().push_commit(self.remote, tip, self.base):
                if self.git.refs(base_ref).get(base_ref) != tip:  # push moves it, as a rule
                    self.git.fetch(self.remote)
                self.forge.mark_merged(pr, tip)
                return Landing(
                    order.name, pr, "landed", f"{order.method} onto {base[:7]} → {tip[:7]}"
                )
            self.git.fetch(self.remote)
        raise PrgroupsError(f"could not land #{pr.number}: {onto} kept moving; run up again")

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[_Scratch]:
        """A detached worktree of the forge's own, made on first use and removed at the
        end; its undo record lets the next run clear it after a kill."""
        scratch = _Scratch(self.git, self.forge.store)
        try:
            yield scratch
        finally:
            scratch.remove()


# The committer of the commits a rebase landing makes, as GitHub names itself in its own:
# the PR's commits are then never the landed ones, and what a PR changed is always the
# difference between its head and where it forked (the report's sizes).
LANDING_COMMITTER = ("git prgroups (local forge)", "local-forge@git-prgroups.invalid")


def _passed(pr: PullRequest) -> bool:
    return pr.checks_commit == pr.head_oid and pr.checks == "pass"


class CheckSlots:
    """Clean checkouts to run checks in, one per check running at once, for as long as
    the checks run: `<git common dir>/prgroups/checks/N`, each checked out at the PR's
    head and cleaned of every file git does not track before a run, so nothing a check
    writes (`__pycache__/`, `.pytest_cache/`) reaches the user. Each is under an undo
    record from its making to its removal: a run killed meanwhile leaves none behind
    once the next has run, and `git worktree list` shows them only while checks run."""

    def __init__(self, git: Git, store: Store, folder: Path | None = None) -> None:
        self.git, self.folder = git, folder or store.checks
        self.journal = Journal(store.undo)

    @contextlib.contextmanager
    def ready(self, count: int) -> Iterator[queue.Queue[Path]]:
        """`count` slots, registered in turn (registrations must not overlap: see
        Git.worktree_register), removed when the block ends."""
        slots: queue.Queue[Path] = queue.Queue()
        registered = {w.path for w in self.git.worktrees()}
        made = []
        try:
            for n in range(1, max(1, count) + 1):
                path = self.folder / str(n)
                made.append(self.journal.note(UndoRecord("scratch-worktree", path)))
                if path not in registered:
                    if path.exists():  # left by a run killed as it made it: it holds nothing
                        shutil.rmtree(path)
                    self.folder.mkdir(parents=True, exist_ok=True)
                    self.git.worktree_add_detached(path, checkout=False)
                slots.put(path)
            yield slots
        finally:
            for record in made:
                self.git.worktree_remove(record.path, force=True, check=False)
                self.journal.forget(record)


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
                landing.cherry_pick(f"{base}..{head}", LANDING_COMMITTER)
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
