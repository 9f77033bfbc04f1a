"""`git prgroups sync`: bring each entry's branch up to the fresh remote base.

Each branch is rebased (or has the base merged in) in its own worktree, after a
backup ref of its old tip is kept. A conflict is aborted, so the branch, index and
files are exactly as they were. Branches already on the remote go back in one
`git push`, leased against the remote tip that was checked to be part of the
branch, so nobody else's commit is ever overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from git_prgroups.errors import PrgroupsError
from git_prgroups.forges.base import Forge
from git_prgroups.forges.gh import AutoMergeDisabled
from git_prgroups.git import Git, Sha
from git_prgroups.observe import (
    BACKUP_REFS,
    CONFLICT_REFS,
    World,
    missing_base,
    observe,
    start_statuses,
)
from git_prgroups.plan import Note, PushBranch, RecordPushed, is_ancestor
from git_prgroups.pushing import push_branches, record_pushed
from git_prgroups.spec import Spec
from git_prgroups.states import entry_states


@dataclass(frozen=True)
class Resync:
    """Move `branch` (at `tip`, in `worktree`) onto the base; `lease` is its remote tip."""

    name: str
    branch: str
    worktree: Path
    tip: Sha
    lease: Sha | None


@dataclass
class SyncResult:
    synced: list[str] = field(default_factory=list)
    needs_user: list[str] = field(default_factory=list)


def plan_sync(
    spec: Spec, world: World, *, only: Collection[str] = ()
) -> list[Resync | PushBranch | RecordPushed | Note]:
    """Pure: which entries to move onto the base (or, moved already, to push), and why
    the others are left."""
    states = entry_states(spec, world)
    remote = spec.defaults.remote
    steps: list[Resync | Note] = []
    for name in (n for wave in spec.graph().waves for n in wave):
        entry, state = spec.entry(name), states[name]
        if (only and name not in only) or state.state in ("merged", "closed"):
            continue
        worktree, tip = state.worktree, world.branches.get(entry.branch)
        if worktree is None or tip is None:
            continue
        if state.behind == 0:
            steps.extend(_unfinished_push(world, name, entry.branch, tip))
            continue
        if not worktree.path.is_dir():
            steps.append(Note(name, "skipped", f"its worktree {worktree.path} is missing"))
        elif worktree.branch != entry.branch:
            steps.append(
                Note(name, "skipped", f"{worktree.path} is not on {entry.branch}: check it out")
            )
        elif state.dirty:
            steps.append(
                Note(
                    name,
                    "skipped",
                    f"{worktree.path} has uncommitted or untracked files: commit or stash them "
                    "and sync again (nothing is stashed for you)",
                )
            )
        else:
            pushed = world.remote_branches.get(entry.branch)
            if pushed is not None and not is_ancestor(world, pushed, tip):
                steps.append(
                    Note(
                        name,
                        "refused",
                        f"{remote}/{entry.branch} has commits your branch lacks (someone else "
                        f"pushed): bring them in (git pull --rebase in {worktree.path}), then "
                        "sync again",
                    )
                )
            else:
                steps.append(Resync(name, entry.branch, worktree.path, tip, pushed))
    return steps


def _unfinished_push(
    world: World, name: str, branch: str, tip: Sha
) -> list[PushBranch | RecordPushed]:
    """What a sync stopped after its rebase left undone: the push, or its record."""
    pushed, backup = world.remote_branches.get(branch), world.backups.get(name)
    if backup is None or pushed is None:
        return []
    if pushed != tip and pushed == backup:
        return [PushBranch(name, branch, tip, pushed)]
    if pushed == tip and world.pushed.get(branch) != tip:
        return [RecordPushed(name, branch, tip)]
    return []


def run_sync(
    spec: Spec,
    git: Git,
    forge: Forge,
    say: Callable[[str], None],
    *,
    only: Collection[str] = (),
    merge: bool = False,
    check: bool = False,
) -> SyncResult:
    result = SyncResult()
    statuses = start_statuses(git)
    git.fetch(spec.defaults.remote)
    world = observe(spec, git, forge, statuses)
    base = world.base_tip
    if base is None:
        say(f"nothing to sync: {missing_base(spec)}")
        return result
    onto = f"{spec.defaults.remote}/{spec.defaults.base}"
    if check:
        for line in overlaps(spec, git, world, only=only):
            say(line)
    moved: list[Resync] = []
    conflicts = {
        ref.removeprefix(CONFLICT_REFS): sha for ref, sha in git.refs(CONFLICT_REFS).items()
    }
    unpushed: list[PushBranch] = []
    steps = plan_sync(spec, world, only=only)
    records = {s.branch: s.tip for s in steps if isinstance(s, RecordPushed)}
    if records:
        record_pushed(spec, git, records)
    for step in steps:
        if isinstance(step, RecordPushed):
            continue
        if isinstance(step, PushBranch):
            unpushed.append(step)
            continue
        if isinstance(step, Note):
            say(f"{step.kind}: {step.name}: {step.text}")
            result.needs_user.append(step.name)
            continue
        if conflicts.get(step.name) == base and world.backups.get(step.name) == step.tip:
            result.needs_user.append(step.name)  # tried on this base already: not again
            say(f"conflict: {step.name}: still does not apply on {onto} ({base[:7]}); "
                f"{_by_hand(step, onto, merge=merge)}")  # fmt: skip
            continue
        git.update_refs({f"{BACKUP_REFS}{step.name}": step.tip})
        clashes = _move(git, step, base, onto, merge=merge)
        if clashes is None:
            if step.name in conflicts:
                git.delete_refs([f"{CONFLICT_REFS}{step.name}"])
            moved.append(step)
            how = "merged into" if merge else "rebased onto"
            say(f"synced: {step.name}: {how} {onto} ({base[:7]}); old tip kept as "
                f"{BACKUP_REFS}{step.name}")  # fmt: skip
        else:
            git.update_refs({f"{CONFLICT_REFS}{step.name}": base})
            result.needs_user.append(step.name)
            say(_conflict_line(git, step, clashes, onto, merge=merge))
    pushes = unpushed + [
        PushBranch(s.name, s.branch, git.head_of(s.worktree), s.lease)
        for s in moved
        if s.lease is not None
    ]
    pushed = push_branches(spec, git, pushes, say, dry_run=False) if pushes else set()
    result.needs_user.extend(p.name for p in pushes if p.branch not in pushed)
    result.synced = [s.name for s in moved]
    rearmed = _rearm(spec, forge, world, sorted(pushed), say, result, only=only)
    if not (moved or pushes or records or rearmed or result.needs_user):
        say(f"nothing to sync: every started entry holds {onto} ({base[:7]})")
    return result


def overlaps(spec: Spec, git: Git, world: World, *, only: Collection[str] = ()) -> list[str]:
    """Entries of one wave whose changes clash: the second of each pair to merge will
    conflict, so the user hears of it before the PRs do."""
    lines = []
    for wave in spec.graph().waves:
        started = [
            (name, tip)
            for name in wave
            if (not only or name in only)
            and (tip := world.branches.get(spec.entry(name).branch))
            and world.commits(spec.entry(name).branch)
        ]
        for i, (name, tip) in enumerate(started):
            for other, other_tip in started[i + 1 :]:
                files = git.clashes(tip, other_tip)
                if files is None:
                    return ["check: skipped: git merge-tree --write-tree needs git 2.38 or newer"]
                if files:
                    lines.append(
                        f"overlap: {name} and {other} both change {', '.join(files)}: "
                        "whichever merges second will conflict"
                    )
    return lines


def _move(git: Git, step: Resync, base: Sha, onto: str, *, merge: bool) -> list[str] | None:
    """None when done; else the conflicting files, after the operation was aborted."""
    if merge:
        done = git.merge_into(step.worktree, base, f"Merge {onto} into {step.branch}")
    else:
        done = git.rebase(step.worktree, base)
    if done:
        return None
    operation = "merge" if merge else "rebase"
    try:
        files = git.conflicted_files(step.worktree)
    finally:  # once more if it fails: a git of the person's may hold a lock a moment
        aborted = git.abort(step.worktree, operation) or git.abort(step.worktree, operation)
    if not aborted:
        raise PrgroupsError(
            f"could not undo the stopped {operation} in {step.worktree}; run `git {operation} "
            f"--abort` there, then sync again"
        )
    if not files:  # git stopped for another reason than a conflict: nothing to remember
        raise PrgroupsError(f"{step.name}: git {operation} failed in {step.worktree}; sync again")
    return files


def _conflict_line(git: Git, step: Resync, files: list[str], onto: str, *, merge: bool) -> str:
    if git.head_of(step.worktree) != step.tip:  # the abort did not restore it
        return (
            f"conflict: {step.name}: the {'merge' if merge else 'rebase'} stopped and could "
            f"not be undone; the old tip is {BACKUP_REFS}{step.name} ({step.tip[:7]})"
        )
    listed = f" (files {', '.join(files)})" if files else ""
    return f"conflict: {step.name}{listed}: left as it was; {_by_hand(step, onto, merge=merge)}"


def _by_hand(step: Resync, onto: str, *, merge: bool) -> str:
    command = f"git merge {onto}" if merge else f"git rebase {onto}"
    return f"resolve by hand: cd {step.worktree} && {command}"


def _rearm(
    spec: Spec,
    forge: Forge,
    world: World,
    pushed: list[str],
    say: Callable[[str], None],
    result: SyncResult,
    *,
    only: Collection[str] = (),
) -> int:
    """After a force push GitHub may drop auto-merge: turn it back on where it is off,
    for the branches pushed now (read again) and those a killed sync pushed before.
    Returns how many it turned on."""
    names = {e.branch: e.name for e in spec.entries if not only or e.name in only}
    prs = {b: pr for b, pr in world.prs.items() if b in names} | (
        forge.read(pushed) if pushed else {}
    )
    rearmed = 0
    for branch, pr in sorted(prs.items()):
        if pr.state != "open" or pr.draft or pr.auto_merge is not None:
            continue
        try:
            forge.arm_auto_merge(pr, spec.defaults.merge)
        except AutoMergeDisabled as error:  # off for the repository: said once
            say(f"refused: {names[branch]}: {error.message}")
            result.needs_user.append(names[branch])
            break
        say(f"auto-merge: {names[branch]}: #{pr.number} on again ({spec.defaults.merge})")
        rearmed += 1
    return rearmed
