"""`prune`: what merged entries leave behind goes, and finished issues close.

The forge says what merged (a squash or rebase merge leaves no ancestry to go
by). Nothing that exists nowhere else is removed without `force`: a worktree
with changes or untracked files, a branch with commits the merged PR lacks, a
remote branch someone pushed to after the merge.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from git_prgroups.events import Event
from git_prgroups.model import BranchName, Issue, Sha, Worktree
from git_prgroups.planning.actions import (
    Action,
    CloseIssue,
    DeleteBranches,
    DeleteRefs,
    DeleteRemoteBranches,
    ForgetMissingWorktrees,
    ForgeWrite,
    RemoveWorktree,
    Report,
    ReportPruned,
    forge_writes,
)
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.world import World
from git_prgroups.spec import Spec
from git_prgroups.store import backup_ref, conflict_ref, made_ref, pushed_ref

LISTED = 5  # lines of lost files or commits shown per entry


@dataclass(frozen=True)
class Leftovers:
    """What one merged entry (or orphan) left: `name` is the entry, or the orphan's branch."""

    name: str
    branch: BranchName
    worktree: Worktree | None
    local_tip: Sha | None
    remote_tip: Sha | None
    merged_head: Sha | None  # None for an orphan: nothing merged it


@dataclass(frozen=True)
class PruneFacts:
    """What prune reads beyond the world, for the leftovers it may remove."""

    changed_files: Mapping[Path, list[str]] = field(default_factory=dict)  # dirty worktrees
    # commits of a local tip that survive nowhere once it is gone (None: cannot tell)
    unsaved: Mapping[BranchName, list[str] | None] = field(default_factory=dict)
    # commits of a remote tip that the merged head lacks (None: cannot tell)
    unmerged_remote: Mapping[BranchName, list[str] | None] = field(default_factory=dict)
    issues: Mapping[int, Issue] = field(default_factory=dict)
    comments: Mapping[int, str] = field(default_factory=dict)  # issue → closing comment


def merged_entries(spec: Spec, world: World, *, only: Collection[str] = ()) -> list[str]:
    states = entry_states(spec, world)
    return [n for n in spec.names if states[n].state == "merged" and (not only or n in only)]


def leftovers(spec: Spec, world: World, name: str) -> Leftovers:
    entry = spec.entry(name)
    pr = world.prs[entry.branch]
    return Leftovers(
        name=name,
        branch=entry.branch,
        worktree=world.worktree_of(entry),
        local_tip=world.branches.get(entry.branch),
        remote_tip=world.remote_branches.get(entry.branch),
        merged_head=pr.head_oid,
    )


def orphans(spec: Spec, world: World) -> list[Leftovers]:
    """Branches prgroups made a worktree for whose entry the spec no longer lists."""
    listed = {e.branch for e in spec.entries}
    return [
        Leftovers(
            name=branch,
            branch=branch,
            worktree=next((w for w in world.worktrees.values() if w.branch == branch), None),
            local_tip=world.branches.get(branch),
            remote_tip=world.remote_branches.get(branch),
            merged_head=None,
        )
        for branch in sorted(world.made)
        if branch not in listed
    ]


def finished_issues(spec: Spec, world: World, merged: Collection[str]) -> list[int]:
    """The issues of `merged` whose entries have all merged, and those that no entry names
    (a "no-fix" issue: closed with its note)."""
    done = set(merged) | {
        e.name
        for e in spec.entries
        if (pr := world.prs.get(e.branch)) is not None and pr.state == "merged"
    }
    issues = {i for name in merged for i in spec.entry(name).issues if set(spec.sharing(i)) <= done}
    return sorted(issues | set(spec.unnamed_issues()))


def plan_prune(
    spec: Spec,
    world: World,
    facts: PruneFacts,
    *,
    only: Collection[str] = (),
    force: bool = False,
    with_orphans: bool = False,
) -> list[Action]:
    merged = merged_entries(spec, world, only=only)
    found = [leftovers(spec, world, name) for name in merged]
    strays = orphans(spec, world)
    reports: list[Action] = []
    if with_orphans:
        found.extend(strays)
    elif strays:
        listed = ", ".join(s.branch for s in strays)
        why = f"{listed}: made for entries the spec no longer lists (prune --orphans)"
        reports.append(Report(Event("orphans", why)))
    cleared = []
    for left in found:
        refusals, losses = _losses(world, facts, left)
        if refusals or (losses and not force):
            reports += [Report(Event("refused", why, left.name)) for why in refusals]
            reports += [
                Report(Event("refused", f"{loss} (prune --force removes it anyway)", left.name))
                for loss in losses
            ]
            continue
        reports += [Report(Event("forced", f"losing what {loss}", left.name)) for loss in losses]
        cleared.append(left)
    records = _stray_records(spec, world, cleared)
    if records and not with_orphans:
        reports.append(Report(Event("orphans", f"{_records(records)} (prune --orphans)")))
        records = ()
    return (
        reports
        + _removals(spec, world, facts, cleared, force=force)
        + ([DeleteRefs(records), Report(Event("pruned", _records(records)))] if records else [])
        + issue_closings(spec, world, facts, merged)
    )


def _stray_records(spec: Spec, world: World, cleared: list[Leftovers]) -> tuple[str, ...]:
    """What prgroups keeps of entries the spec no longer lists, beyond their branches:
    sync's backups and conflicts, and what was last pushed of a branch it did not make."""
    listed, branches = set(spec.names), {e.branch for e in spec.entries}
    going = {left.branch for left in cleared}
    return (
        *(backup_ref(name) for name in sorted(world.backups) if name not in listed),
        *(
            conflict_ref(name, merge=name in world.merge_conflicts)
            for name in sorted(world.conflicts)
            if name not in listed
        ),
        *(pushed_ref(b) for b in sorted(world.pushed) if b not in branches | going),
    )


def _records(refs: Sequence[str]) -> str:
    return f"{len(refs)} record{'s' if len(refs) > 1 else ''} of entries the spec no longer " + (
        f"lists: {', '.join(refs)}"
    )


def _losses(world: World, facts: PruneFacts, left: Leftovers) -> tuple[list[str], list[str]]:
    """Why `left` may not go at all, and what going would lose."""
    worktree = left.worktree
    if worktree is not None and worktree.path == world.main_worktree:
        return [
            f"{left.branch} is checked out in the main worktree: switch it to another branch"
        ], []
    if worktree is not None and worktree.locked:
        return [f"{worktree.path} is locked (git worktree unlock it first)"], []
    under_way = world.operations.get(worktree.path) if worktree is not None else None
    if worktree is not None and under_way is not None:
        why = f"a {under_way} is under way in {worktree.path}: finish or stop it first"
        return [why], []
    losses: list[str] = []
    present = worktree is not None and world.folder(worktree.path) != "missing"
    if worktree is not None and present and worktree.branch != left.branch:
        losses.append(
            f"{worktree.path} is not on {left.branch} (detached, or another branch): its "
            "commits may be in no branch"
        )
    if worktree is not None and world.dirty.get(worktree.path):
        files = facts.changed_files.get(worktree.path, [])
        losses.append(f"{worktree.path} has uncommitted or untracked files: {_few(files)}")
    if left.local_tip is not None and left.local_tip != left.merged_head:
        unsaved = facts.unsaved.get(left.branch)
        if unsaved is None:
            losses.append(f"{left.branch}: cannot tell whether its commits are safe elsewhere")
        elif unsaved:
            where = "the merged PR" if left.merged_head else "any remote branch"
            losses.append(f"{left.branch} has commits {where} lacks: {_few(unsaved)}")
    return [], losses


def _removals(
    spec: Spec, world: World, facts: PruneFacts, cleared: list[Leftovers], *, force: bool
) -> list[Action]:
    remote = spec.defaults.remote
    actions: list[Action] = []
    forget = any(w.prunable for w in world.worktrees.values())
    for left in cleared:
        worktree = left.worktree
        if worktree is None:
            continue
        if world.folder(worktree.path) == "missing":
            forget = True
        else:
            actions.append(RemoveWorktree(left.name, worktree.path, worktree.head, force))
    if forget:
        actions.append(ForgetMissingWorktrees())
    tips = {left.branch: left.local_tip for left in cleared if left.local_tip is not None}
    if tips:
        actions.append(DeleteBranches(tips))
    leases: dict[BranchName, Sha] = {}
    based_on = {pr.base: pr for pr in world.prs.values() if pr.state == "open"}
    for left in cleared:
        if left.remote_tip is None:
            continue
        if left.branch in based_on:  # GitHub would close that PR for good
            child = based_on[left.branch]
            why = (
                f"{remote}/{left.branch}: #{child.number} is stacked on it, so it stays until "
                "that PR is retargeted (git prgroups up does it)"
            )
            actions.append(Report(Event("kept", why, left.name)))
        elif left.merged_head is None:
            why = (
                f"{remote}/{left.branch} (it may carry an open PR; delete it yourself if it is "
                "done with)"
            )
            actions.append(Report(Event("kept", why, left.name)))
        elif left.remote_tip == left.merged_head or facts.unmerged_remote.get(left.branch) == []:
            leases[left.branch] = left.remote_tip
        else:
            why = (
                f"{remote}/{left.branch} has commits the merged PR lacks (pushed after the merge?)"
            )
            actions.append(Report(Event("kept", why, left.name)))
    if leases:
        names = {left.branch: left.name for left in cleared}
        actions.append(DeleteRemoteBranches(leases, names))
    refs = [
        *(pushed_ref(left.branch) for left in cleared if left.branch in world.pushed),
        *(made_ref(left.branch) for left in cleared if left.branch in world.made),
        *(backup_ref(left.name) for left in cleared if left.name in world.backups),
        *(
            conflict_ref(left.name, merge=left.name in world.merge_conflicts)
            for left in cleared
            if left.name in world.conflicts
        ),
    ]
    if refs:
        actions.append(DeleteRefs(tuple(refs)))
    actions += [
        ReportPruned(
            left.name,
            left.worktree.path if left.worktree else None,
            left.branch if left.local_tip is not None else None,
            left.branch if left.branch in leases else None,
        )
        for left in cleared
    ]
    return actions


def issue_closings(spec: Spec, world: World, facts: PruneFacts, merged: list[str]) -> list[Action]:
    """The finished issues closed, or commented on where the forge closed them, side by
    side."""
    closings: list[ForgeWrite] = []
    for number in finished_issues(spec, world, merged):
        issue, comment = facts.issues.get(number), facts.comments.get(number)
        if issue is None or comment is None:
            continue
        if issue.state != "open":
            # the forge closed it when a PR saying "Closes #N" merged: the note is still due
            if spec.sharing(number) and comment not in issue.comments:
                closings.append(CloseIssue(number, comment, closed=True))
            continue
        # commented already, by a run cut off before it closed the issue
        closings.append(CloseIssue(number, comment, comment in issue.comments))
    return forge_writes(closings)


def _few(lines: list[str]) -> str:
    shown = "; ".join(line.strip() for line in lines[:LISTED])
    more = f" (and {len(lines) - LISTED} more)" if len(lines) > LISTED else ""
    return shown + more
