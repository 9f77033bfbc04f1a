"""`sync`: each started entry behind the base is rebased onto it (or has it merged in),
pushed back with a lease, and has auto-merge turned on again where the forge dropped it."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from git_prgroups.events import Event
from git_prgroups.model import BranchName, PullRequest, Sha, Worktree
from git_prgroups.planning.actions import (
    Action,
    ArmAutoMerge,
    ForgeWrite,
    Push,
    PushBranches,
    RecordPushed,
    RecordStacks,
    Report,
    Resync,
    UpdateBranch,
    forge_writes,
)
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.up import closed_unmerged
from git_prgroups.planning.world import World, base_label, missing_base
from git_prgroups.spec import Spec


def plan_sync(
    spec: Spec, world: World, *, only: Collection[str] = (), merge: bool = False
) -> list[Action]:
    """The records and pushes a killed sync left undone, the entries to move onto the
    base, one push of those on the remote, and why the others are left."""
    base = world.base_tip
    if base is None:
        return [Report(Event("refused", f"nothing to sync onto: {missing_base(spec)}"))]
    states = entry_states(spec, world)
    onto = base_label(spec)
    records: dict[BranchName, Sha] = {}
    unfinished: list[Push] = []
    moves: list[Resync] = []
    records_stack: dict[BranchName, Sha] = {}
    reports: list[Action] = []
    updates: list[ForgeWrite] = []
    for name in (n for wave in spec.graph().waves for n in wave):
        entry, state = spec.entry(name), states[name]
        if (only and name not in only) or state.state == "merged":
            continue
        if state.state == "closed" and state.pr is not None:
            reports.append(Report(closed_unmerged(name, state.pr)))
            continue
        worktree, tip = state.worktree, world.branches.get(entry.branch)
        if worktree is None and state.pr is not None and state.pr.behind:
            # no worktree here to rebase it in: the forge brings it up to date
            updates.append(UpdateBranch(name, state.pr, rebase=not merge))
            continue
        if worktree is None or tip is None:
            continue
        remote = world.remote_branches.get(entry.branch)
        parent = spec.stacked_on(name) if state.stacked_on else None
        built_on = world.stacked_on.get(entry.branch)
        if parent is not None and built_on is not None:  # it follows its prerequisite
            parent_tip = world.branches.get(parent.branch)
            moving = any(m.branch == parent.branch for m in moves)  # in this run: followed
            follows = parent_tip != built_on or moving
            left = _cannot_move(spec, world, name, worktree, state.dirty, tip, remote)
            on_it = not moving and parent_tip is not None and world.is_ancestor(parent_tip, tip)
            if not follows or on_it:  # a sync killed after its restack left the rest undone
                if on_it and parent_tip is not None and parent_tip != built_on:
                    records_stack[entry.branch] = parent_tip  # (or a rebase by hand)
                _left_undone(world, name, entry.branch, tip, remote, unfinished, records)
            elif left is not None:
                reports.append(left)
            elif parent_tip is not None:
                restack = Resync(
                    name,
                    entry.branch,
                    worktree.path,
                    tip,
                    parent_tip,
                    parent.branch,
                    remote,
                    upstream=built_on,
                    restack="follow",
                )
                moves.append(restack)
            continue
        if state.behind == 0:  # what a sync killed after its rebase left undone
            _left_undone(world, name, entry.branch, tip, remote, unfinished, records)
            continue
        cannot = _cannot_move(spec, world, name, worktree, state.dirty, tip, remote)
        if cannot is not None:
            reports.append(cannot)
        elif (
            world.conflicts.get(name) == base
            and world.backups.get(name) == tip
            and (name in world.merge_conflicts) == merge  # tried this way on this base
        ):
            why = (
                f"still does not apply on {onto} ({base[:7]}); "
                f"{resolve_by_hand(worktree.path, onto, merge=merge)}"
            )  # tried on this base already: not again
            reports.append(Report(Event("conflict", why, name)))
        else:
            known = name in world.conflicts
            moves.append(
                Resync(name, entry.branch, worktree.path, tip, base, onto, remote, merge, known)
            )
    plan: list[Action] = [RecordPushed(records)] if records else []
    if records_stack:
        plan.append(RecordStacks(records_stack))
    plan += moves
    if unfinished or any(m.lease is not None for m in moves):
        plan.append(PushBranches(tuple(unfinished), with_resynced=True))
    return plan + forge_writes(updates) + reports


def _left_undone(
    world: World, name: str, branch: BranchName, tip: Sha, remote: Sha | None,
    unfinished: list[Push], records: dict[BranchName, Sha],
) -> None:  # fmt: skip
    """A branch a killed sync moved: its push with a lease on the tip it kept as backup,
    or the record of a push that was made."""
    backup = world.backups.get(name)
    if backup is not None and remote is not None:
        if remote != tip and remote == backup:
            unfinished.append(Push(name, branch, tip, remote))
        elif remote == tip and world.pushed.get(branch) != tip:
            records[branch] = tip


def _cannot_move(
    spec: Spec, world: World, name: str, worktree: Worktree, dirty: bool | None, tip: Sha,
    remote: Sha | None,
) -> Report | None:  # fmt: skip
    """Why sync leaves an entry's branch where it is, if it must."""
    under_way = world.operations.get(worktree.path)
    branch = spec.entry(name).branch
    if world.folder(worktree.path) == "missing":
        return Report(Event("skipped", f"its worktree {worktree.path} is missing", name))
    if under_way is not None:
        why = (
            f"a {under_way} is under way in {worktree.path}: finish it (git {under_way} "
            f"--continue) or stop it (git {under_way} --abort), then sync again"
        )
        return Report(Event("skipped", why, name))
    if worktree.branch != branch:
        return Report(Event("skipped", f"{worktree.path} is not on {branch}: check it out", name))
    if dirty:
        why = (
            f"{worktree.path} has uncommitted or untracked files: commit or stash them "
            "and sync again (nothing is stashed for you)"
        )
        return Report(Event("skipped", why, name))
    if remote is not None and not world.is_ancestor(remote, tip):
        why = (
            f"{spec.defaults.remote}/{branch} has commits your branch lacks (someone "
            f"else pushed): bring them in (git pull --rebase in {worktree.path}), then "
            "sync again"
        )
        return Report(Event("refused", why, name))
    return None


def plan_rearm(
    spec: Spec, prs: Mapping[BranchName, PullRequest], *, only: Collection[str] = ()
) -> list[Action]:
    """Auto-merge on again for each open PR of the entries that lacks it (a forge may
    drop it when a branch is pushed; a killed sync may have pushed and stopped)."""
    names = {e.branch: e.name for e in spec.entries if not only or e.name in only}
    return forge_writes(
        [
            ArmAutoMerge(names[branch], pr, spec.defaults.merge, again=True)
            for branch, pr in sorted(prs.items())
            if branch in names
            and pr.state == "open"
            and not pr.draft
            and not pr.armed
            and not pr.removed_as_it_is
            and pr.base == spec.defaults.base  # a stacked one is armed once retargeted
        ]
    )


def resolve_by_hand(worktree: object, onto: str, *, merge: bool) -> str:
    command = f"git merge {onto}" if merge else f"git rebase {onto}"
    return f"resolve by hand: cd {worktree} && {command}"


def overlap_pairs(
    spec: Spec, world: World, *, only: Collection[str] = ()
) -> list[tuple[str, str, Sha, Sha]]:
    """Pairs of started entries of one wave (with their tips): whichever of a pair whose
    changes clash merges second will conflict."""
    pairs = []
    for wave in spec.graph().waves:
        started = [
            (name, tip)
            for name in wave
            if (not only or name in only)
            and (tip := world.branches.get(spec.entry(name).branch))
            and world.commits(spec.entry(name).branch)
        ]
        for i, (name, tip) in enumerate(started):
            pairs += [(name, other, tip, other_tip) for other, other_tip in started[i + 1 :]]
    return pairs


def overlap_reports(
    pairs: list[tuple[str, str, Sha, Sha]], clashes: Mapping[tuple[Sha, Sha], list[str] | None]
) -> list[Action]:
    """What `sync --check` says of each pair, given the files each would clash on (None
    where git cannot tell)."""
    reports: list[Action] = []
    for name, other, tip, other_tip in pairs:
        files = clashes.get((tip, other_tip))
        if files is None:
            why = "skipped: git merge-tree --write-tree needs git 2.38 or newer"
            return [Report(Event("check", why))]
        if files:
            why = (
                f"{name} and {other} both change {', '.join(files)}: whichever merges second "
                "will conflict"
            )
            details = {"entries": [name, other], "files": list(files)}
            reports.append(Report(Event("overlap", why, details=details)))
    return reports
