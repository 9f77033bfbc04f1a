"""What a killed run leaves half-done is put right before the next run reads the world,
so that no interruption leaves a repository a person has to repair by hand.

A git command killed with our run can leave lock files (`refs/heads/B.lock`,
`config.lock`, a worktree's `index.lock`), worktrees that `git worktree add` never
finished (locked "initializing"; with no `commondir` yet even `git worktree list`
fails, with a null HEAD `git fetch` does) and a rebase or merge of sync's stopped half
way, the worktree detached. git refuses to go on until a person removes or finishes
them. The lock file names the killed run: once no process of its group is left, what
appeared in git's folders after it began is its own leftover, and a rebase whose last
reflog line is sync's is sync's own: aborted, the branch and files are as before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from git_prgroups.git import SYNC_REFLOG_ACTION, Git
from git_prgroups.landing import landing_worktree_path
from git_prgroups.locking import KilledRun, repository_lock, tell
from git_prgroups.observe import BACKUP_REFS, base_ref
from git_prgroups.spec import Spec

# git locks a new worktree with this reason until `git worktree add` has finished
UNFINISHED = "initializing"
REMOVING = "removing"  # in prgroups' folder: the worktrees a prune is removing, one a line
GROUP_WAIT = 10.0  # seconds a killed run's git commands get to end before we go on
LOCK_AGE = 2.0  # seconds: older leftovers are stale, when the group cannot tell us


@contextlib.contextmanager
def holding_the_lock(
    spec: Spec, git: Git, what: str, say: Callable[[str], None], *, wait: float | None = None
) -> Iterator[None]:
    """The repository's lock, with what a killed holder left undone put right first.
    Reads made before it was taken are forgotten: the holder may have changed anything."""
    with repository_lock(git.common_dir() / "prgroups", what, wait=wait, say=tell) as killed:
        if killed is not None:
            clear_leftovers(killed, spec, git, say)
        git.runner.forget()
        yield


@contextlib.contextmanager
def removing_worktrees(git: Git, paths: list[Path]) -> Iterator[None]:
    """Note the worktrees about to be removed (found safe to remove): one whose removal
    is killed half way is finished by the next run, if what is left of it is its
    commit's own files."""
    record = git.common_dir() / "prgroups" / REMOVING
    record.parent.mkdir(exist_ok=True)
    record.write_text("".join(f"{path}\n" for path in paths), encoding="utf-8")
    yield
    record.unlink(missing_ok=True)


def clear_leftovers(killed: KilledRun, spec: Spec, git: Git, say: Callable[[str], None]) -> None:
    gone = _group_ended(killed.group)
    if gone is False:
        say(f"commands of a killed run (pid {killed.pid}) are still running: left alone")
        return
    stale_before = time.time() - LOCK_AGE

    def left_by_it(path: Path) -> bool:
        made = _made_at(path)
        return made is not None and made >= killed.began - 1 and bool(gone or made <= stale_before)

    common = git.common_dir()
    cleared = []
    for path in _git_lock_files(common):
        if left_by_it(path):
            path.unlink(missing_ok=True)
            cleared.append(str(path.relative_to(common)))
    ours = {_resolved(entry.worktree) for entry in spec.entries}
    ours.add(_resolved(landing_worktree_path(git)))
    for admin in sorted(common.glob("worktrees/*")):
        marker = admin / "locked"
        if _read(marker) != UNFINISHED or not left_by_it(marker):
            continue
        folder = _worktree_folder(admin)
        if folder is not None and _resolved(folder) not in ours:
            say(
                f"{folder} was left half-made by a killed `git worktree add`: remove it with "
                f"`git worktree remove --force --force {folder}`"
            )
            continue
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(admin, ignore_errors=True)
        cleared.append(f"the half-made worktree {folder or admin}")
    cleared += _clear_landing(common, landing_worktree_path(git))
    refs = git.refs(BACKUP_REFS, "refs/heads/", base_ref(spec))
    record = common / "prgroups" / REMOVING
    if left_by_it(record):
        cleared += _finish_removals(git, common, _read(record).splitlines(), refs, say)
    record.unlink(missing_ok=True)
    for stopped in _stopped_syncs(spec, common, left_by_it, refs):
        undone = _undo(git, stopped, left_by_it)
        what = f"the half-done {stopped.how.partition('-')[2]} in {stopped.folder}"
        if not undone:
            say(f"{what} could not be undone: see `git status` there")
        elif stopped.how != "tidy":
            cleared.append(f"{what} (undone)")
    if cleared:
        say(
            f"the last run (`git prgroups {killed.what}`, pid {killed.pid}) was killed; "
            f"removed what its git commands left: {', '.join(cleared)}"
        )


@dataclass(frozen=True)
class StoppedSync:
    """A rebase or merge of sync's that never ended: `how` to undo it in `folder`, the
    commit it was bringing in and the one the undoing returns to ("" when unknown)."""

    how: str
    folder: Path
    theirs: str
    ours: str = ""


def _registrations(common_dir: Path) -> dict[Path, Path]:
    """Each linked worktree's folder (resolved) → its admin folder in `worktrees/`."""
    return {
        _resolved(folder): admin
        for admin in common_dir.glob("worktrees/*")
        if (folder := _worktree_folder(admin)) is not None
    }


def _clear_landing(common_dir: Path, landing: Path) -> list[str]:
    """prgroups' own landing worktree, half removed or half made: registered with its
    folder gone, or a folder git does not know. It holds nothing of the person's."""
    admin = _registrations(common_dir).get(_resolved(landing))
    if admin is not None and not landing.exists():
        shutil.rmtree(admin, ignore_errors=True)
        return ["the landing worktree's registration (its folder was gone)"]
    if admin is None and landing.exists():
        shutil.rmtree(landing, ignore_errors=True)
        return [f"the unregistered landing folder {landing}"]
    return []


def _finish_removals(
    git: Git, common_dir: Path, paths: list[str], refs: dict[str, str], say: Callable[[str], None]
) -> list[str]:
    """Worktrees a killed `git worktree remove` left half deleted (and so, to git, with
    changes): removed when every file left holds its content in the worktree's commit."""
    admins = _registrations(common_dir)
    finished = []
    for folder in map(Path, paths):
        admin = admins.get(_resolved(folder))
        if admin is None or not folder.is_dir():
            continue  # removed, or only its registration is left (prune forgets those)
        head = _read(admin / "HEAD")
        commit = refs.get(head.removeprefix("ref: "), "") if head.startswith("ref: ") else head
        left = [
            str(Path(top, name).relative_to(folder))
            for top, _, names in os.walk(folder)
            for name in names
            if Path(top, name) != folder / ".git"
        ]
        if commit and len(git.written_from(folder, commit, left, whole=True)) == len(left):
            shutil.rmtree(folder)
            shutil.rmtree(admin, ignore_errors=True)
            finished.append(f"the half-removed worktree {folder}")
        else:
            say(f"{folder} was being removed when the run was killed and holds changes: left")
    return finished


def _stopped_syncs(
    spec: Spec, common_dir: Path, left_by_it: Callable[[Path], bool], refs: dict[str, str]
) -> list[StoppedSync]:
    """The rebases and merges that sync began in entries' worktrees and never ended.

    A rebase with HEAD detached is sync's when its last reflog line is; it is aborted.
    One with HEAD still (or again) on the branch was killed while it began or ended (no
    rebase stops there for a person), its state perhaps half written: the state is
    dropped and the files put back to the branch. A merge is sync's by its message."""
    entries = {_resolved(entry.worktree): entry for entry in spec.entries}
    stopped = []
    for admin in sorted(common_dir.glob("worktrees/*")):
        folder = _worktree_folder(admin)
        entry = entries.get(_resolved(folder)) if folder is not None else None
        if entry is None or folder is None:
            continue
        branch = f"refs/heads/{entry.branch}"
        attached = _read(admin / "HEAD") == f"ref: {branch}"
        states = [s for s in (admin / "rebase-merge", admin / "rebase-apply") if s.is_dir()]
        for state in states:
            onto, began_at = _read(state / "onto"), _read(state / "orig-head")
            if attached and left_by_it(state):
                stopped.append(StoppedSync("drop-rebase", folder, onto))
            elif _read(state / "head-name") == branch and _last_reflog_action(admin).startswith(
                SYNC_REFLOG_ACTION
            ):
                stopped.append(StoppedSync("abort-rebase", folder, onto, began_at))
        backup, onto = refs.get(f"{BACKUP_REFS}{entry.name}"), refs.get(base_ref(spec))
        if attached and not states and backup == refs.get(branch):
            # a rebase about to begin: its checkout may have written files already
            stopped.append(StoppedSync("tidy", folder, onto or ""))
        message = f"Merge {spec.defaults.remote}/{spec.defaults.base} into {entry.branch}"
        merging = admin / "MERGE_HEAD"
        if _read(admin / "MERGE_MSG").partition("\n")[0] == message and left_by_it(merging):
            stopped.append(StoppedSync("abort-merge", folder, _read(merging)))
    return stopped


def _undo(git: Git, stopped: StoppedSync, left_by_it: Callable[[Path], bool]) -> bool:
    """Undo the operation, and remove what its killed checkout had written that the
    undoing does not know of: untracked files written since the killed run began that
    hold their content in a commit the operation was moving between, whole or cut
    short (it could not have begun over different ones; a copy stays in that commit). Those of the
    commit the undoing returns to go first, or git would refuse to overwrite them.
    False when git could not undo it."""
    folder = stopped.folder
    if stopped.ours:
        _remove_written(git, folder, stopped.ours, left_by_it)
    if stopped.how == "drop-rebase":
        git.drop_rebase(folder)
    elif stopped.how != "tidy" and not git.abort(folder, stopped.how.removeprefix("abort-")):
        return False
    if stopped.theirs:
        _remove_written(git, folder, stopped.theirs, left_by_it)
    return True


def _remove_written(
    git: Git, folder: Path, commit: str, left_by_it: Callable[[Path], bool]
) -> None:
    fresh = [path for path in git.untracked_files(folder) if left_by_it(folder / path)]
    for path in git.written_from(folder, commit, fresh):
        written = folder / path
        written.unlink(missing_ok=True)
        for parent in written.parents:
            if parent == folder:
                break
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break


def _last_reflog_action(admin: Path) -> str:
    lines = _read(admin / "logs" / "HEAD").splitlines()
    return lines[-1].partition("\t")[2] if lines else ""


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
