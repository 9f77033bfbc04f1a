"""What a killed run leaves half-done is put right before the next run reads the world,
so that no interruption leaves a repository a person has to repair by hand.

Two sources tell what to put right. The undo records (journal.py) name each
risky step that began and never ended: a worktree being made or removed, a rebase
or merge, the local forge's landing worktree. And a git command killed with our run
can leave lock files (`refs/heads/B.lock`, `packed-refs.new`, a worktree's
`index.lock`) that block every later git command: the lock file names the killed
run, and once no process of its group is left, the lock files that appeared in git's
folders after it began are its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from git_prgroups.events import Event, Events
from git_prgroups.git import Git
from git_prgroups.journal import Journal, UndoRecord
from git_prgroups.locking import KilledRun, repository_lock
from git_prgroups.model import Sha
from git_prgroups.store import Store

# git locks a new worktree with this reason until `git worktree add` has finished
UNFINISHED = "initializing"
GROUP_WAIT = 10.0  # seconds a killed run's git commands get to end before we go on
LOCK_AGE = 2.0  # seconds: older leftovers are stale, when the group cannot tell us


@contextlib.contextmanager
def holding_the_lock(
    git: Git, what: str, events: Events, *, wait: float | None = None
) -> Iterator[None]:
    """The repository's lock, with what a killed or failed holder left undone put right
    first. Reads made before it was taken are forgotten: the holder may have changed
    anything."""
    store = Store.of(git.common_dir())

    def waiting(line: str) -> None:
        events.add(Event("lock-wait", line))

    with repository_lock(store.folder, what, wait=wait, say=waiting) as killed:
        put_right(killed, store, git, events)
        git.runner.forget()
        yield


def put_right(killed: KilledRun | None, store: Store, git: Git, events: Events) -> None:
    cleared: list[str] = []
    if killed is not None:
        gone = _group_ended(killed.group)
        if gone is False:
            why = f"commands of a killed run (pid {killed.pid}) are still running: left alone"
            events.add(Event("stuck", why))
            return
        cleared += _clear_lock_files(git.common_dir(), killed, gone)
    journal = Journal(store.undo)
    for record in journal.pending():
        done = _UNDO[record.kind](git, record, events)
        if done is not None:
            journal.forget(record)
            cleared += [done] if done else []
    if cleared:
        who = (
            f"the last run (`git prgroups {killed.what}`, pid {killed.pid}) was killed"
            if killed is not None
            else "the last run stopped half way"
        )
        events.add(Event("recovered", f"{who}; removed what its git commands left: "
                                      f"{', '.join(cleared)}"))  # fmt: skip


# -- lock files ------------------------------------------------------------------------------


def _clear_lock_files(common: Path, killed: KilledRun, gone: bool | None) -> list[str]:
    stale_before = time.time() - LOCK_AGE
    cleared = []
    for path in _git_lock_files(common):
        made = _made_at(path)
        if made is not None and made >= killed.began - 1 and (gone or made <= stale_before):
            path.unlink(missing_ok=True)
            cleared.append(str(path.relative_to(common)))
    return cleared


def _git_lock_files(common_dir: Path) -> list[Path]:
    """Lock files in the places our git commands write: refs, packed refs (and the
    `packed-refs.new` a rewrite writes under its lock), the configuration (`push
    --set-upstream`), the automatic maintenance git starts after a rebase or commit,
    linked worktrees' HEAD, index and the like.
    Never the main worktree's index, which a person's `git commit` may hold for minutes."""
    found = [*common_dir.glob("refs/**/*.lock"), common_dir / "packed-refs.lock"]
    found.append(common_dir / "packed-refs.new")
    found += [common_dir / "config.lock", common_dir / "objects" / "maintenance.lock"]
    for admin in common_dir.glob("worktrees/*"):
        found += [*admin.glob("*.lock"), *admin.glob("refs/**/*.lock")]
    return [path for path in found if path.is_file()]


def _group_ended(group: int) -> bool | None:
    """Whether every process of `group` has ended (waiting a little for it); None when
    it is our own group, which cannot tell."""
    if group == os.getpgrp():
        return None
    deadline = time.monotonic() + GROUP_WAIT
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


# -- undo records: each returns what it put right ("" for nothing), or None to keep the
# record for the next run -----------------------------------------------------------------


def _undo_add_worktree(git: Git, record: UndoRecord, events: Events) -> str | None:
    """A worktree killed half made. Killed inside `git worktree add`, its registration
    stays locked "initializing" (without `commondir` yet even `git worktree list`
    fails): it is removed, and made again. Killed registered but before its checkout
    ended (no index yet): the checkout is finished, if all that is in the folder is the
    commit's own files, whole or cut short."""
    folder = record.path
    admin = _registrations(git.common_dir()).get(_resolved(folder))
    if admin is None:
        return ""  # never registered
    if _read(admin / "locked") == UNFINISHED:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(admin, ignore_errors=True)
        return f"the half-made worktree {folder}"
    if (admin / "index").exists() or not folder.is_dir() or not record.tip:
        return ""  # checked out, or gone
    left = [
        str(Path(top, name).relative_to(folder))
        for top, _, names in os.walk(folder)
        for name in names
        if Path(top, name) != folder / ".git"
    ]
    if len(git.written_from(folder, record.tip, left)) != len(left):
        why = (
            f"{folder} was being checked out when the run was killed and holds other "
            "files: left as it is (`git reset --hard` there finishes the checkout)"
        )
        events.add(Event("stuck", why))
        return ""
    git.check_out(folder, record.tip)
    return f"the half-made worktree {folder} (its checkout finished)"


def _undo_scratch_worktree(git: Git, record: UndoRecord, events: Events) -> str | None:
    """The local forge's landing worktree: it holds nothing of the person's, whatever
    state it is in (half made, half removed, or whole)."""
    admin = _registrations(git.common_dir()).get(_resolved(record.path))
    if admin is None and not record.path.exists():
        return ""
    shutil.rmtree(record.path, ignore_errors=True)
    if admin is not None:
        shutil.rmtree(admin, ignore_errors=True)
    return f"the landing worktree {record.path}"


def _undo_removal(git: Git, record: UndoRecord, events: Events) -> str | None:
    """A `git worktree remove` killed half way: some files deleted, the rest (so, to git,
    changes) and the registration left. Finished when every file left holds its
    content in the worktree's commit; else left for the person, and said."""
    folder = record.path
    admin = _registrations(git.common_dir()).get(_resolved(folder))
    if admin is None or not folder.is_dir():
        return ""  # removed, or only its registration is left (git worktree prune's)
    left = [
        str(Path(top, name).relative_to(folder))
        for top, _, names in os.walk(folder)
        for name in names
        if Path(top, name) != folder / ".git"
    ]
    commit = record.tip
    if commit and len(git.written_from(folder, commit, left, whole=True)) == len(left):
        shutil.rmtree(folder)
        shutil.rmtree(admin, ignore_errors=True)
        return f"the half-removed worktree {folder}"
    why = f"{folder} was being removed when the run was killed and holds changes: left"
    events.add(Event("stuck", why))
    return ""


def _undo_resync(git: Git, record: UndoRecord, events: Events) -> str | None:
    """A rebase or merge of sync's killed half way, in the worktree the record names: the
    branch, index and files are put back as they were, and files its checkout wrote
    (whole or cut short) that git does not know of are removed."""
    folder = record.path
    admin = _registrations(git.common_dir()).get(_resolved(folder))
    if admin is None or not folder.is_dir():
        return ""
    branch = f"refs/heads/{record.branch}"
    attached = _read(admin / "HEAD") == f"ref: {branch}"
    began = record.began

    def written_since(path: Path) -> bool:
        made = _made_at(path)
        return made is not None and made >= began - 1

    what = f"the half-done {record.kind} in {folder}"
    if record.kind == "merge":
        merging = _read(admin / "MERGE_HEAD")
        if merging and merging != record.onto:
            return ""  # a merge of someone else's since: not ours to undo
        if not merging:  # about to begin, or ended
            _remove_written(git, folder, record.onto, written_since)
            return ""
        if not git.abort(folder, "merge"):
            events.add(Event("stuck", f"{what} could not be undone: see `git status` there"))
            return None
        _remove_written(git, folder, record.onto, written_since)
        return f"{what} (undone)"
    states = [s for s in (admin / "rebase-merge", admin / "rebase-apply") if s.is_dir()]
    if any(_read(s / "onto") not in ("", record.onto) for s in states):
        return ""  # a rebase of someone else's since: not ours (a state cut short is ours)
    if not states:  # about to begin, or ended: its checkout may have written files
        if attached:
            _remove_written(git, folder, record.onto, written_since)
        return ""
    if attached:  # killed while it began or ended: its state perhaps half written
        git.drop_rebase(folder)
    else:
        _remove_written(git, folder, record.tip, written_since)
        if not git.abort(folder, "rebase"):
            events.add(Event("stuck", f"{what} could not be undone: see `git status` there"))
            return None
    _remove_written(git, folder, record.onto, written_since)
    return f"{what} (undone)"


def _remove_written(
    git: Git, folder: Path, commit: str | None, written_since: Callable[[Path], bool]
) -> None:
    """Untracked files written since the step began that hold their content in `commit`,
    whole or cut short (a copy stays in that commit): what a killed checkout wrote."""
    if not commit:
        return
    fresh = [path for path in git.untracked_files(folder) if written_since(folder / path)]
    for path in git.written_from(folder, Sha(commit), fresh):
        written = folder / path
        written.unlink(missing_ok=True)
        for parent in written.parents:
            if parent == folder:
                break
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break


_UNDO: dict[str, Callable[[Git, UndoRecord, Events], str | None]] = {
    "add-worktree": _undo_add_worktree,
    "scratch-worktree": _undo_scratch_worktree,
    "remove-worktree": _undo_removal,
    "rebase": _undo_resync,
    "merge": _undo_resync,
}


# -- reading git's folders -------------------------------------------------------------------


def _registrations(common_dir: Path) -> dict[Path, Path]:
    """Each linked worktree's folder (resolved) → its admin folder in `worktrees/`."""
    return {
        _resolved(folder): admin
        for admin in common_dir.glob("worktrees/*")
        if (folder := _worktree_folder(admin)) is not None
    }


def _worktree_folder(admin: Path) -> Path | None:
    """Where a worktree's files are, from its `gitdir` file (`<folder>/.git`)."""
    text = _read(admin / "gitdir")
    return Path(text).parent if text else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _made_at(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(path))
