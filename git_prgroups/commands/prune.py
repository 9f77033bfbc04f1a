"""`git prgroups prune`: clear away what merged entries leave behind, and close finished issues.

The forge says what merged (a squash or rebase merge leaves no ancestry to go
by). Nothing that exists nowhere else is removed without `--force`: a worktree
with changes or untracked files, a branch with commits the merged PR lacks, a
remote branch someone pushed to after the merge.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from git_prgroups.forges.base import Forge
from git_prgroups.git import Git, Sha, Worktree
from git_prgroups.observe import (
    BACKUP_REFS,
    CONFLICT_REFS,
    MADE_REFS,
    PUSHED_REFS,
    World,
    observe,
    start_statuses,
)
from git_prgroups.recovery import removing_worktrees
from git_prgroups.render import Renderer
from git_prgroups.spec import Spec
from git_prgroups.states import entry_states

LISTED = 5  # lines of lost files or commits shown per entry


@dataclass(frozen=True)
class Leftovers:
    """What one merged entry (or orphan) left: `name` is the entry, or the orphan's branch."""

    name: str
    branch: str
    worktree: Worktree | None
    local_tip: Sha | None
    remote_tip: Sha | None
    merged_head: Sha | None  # None for an orphan: nothing merged it


@dataclass
class PruneResult:
    removed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)


def run_prune(
    spec: Spec,
    git: Git,
    forge: Forge,
    say: Callable[[str], None],
    *,
    only: Collection[str] = (),
    force: bool = False,
    orphans: bool = False,
) -> PruneResult:
    result = PruneResult()
    statuses = start_statuses(git)
    git.fetch(spec.defaults.remote)
    world = observe(spec, git, forge, statuses)
    states = entry_states(spec, world)
    merged = [n for n in spec.names if states[n].state == "merged" and (not only or n in only)]
    found = [_leftovers(spec, world, name) for name in merged]
    strays = _orphans(spec, world)
    if orphans:
        found.extend(strays)
    elif strays:
        listed = ", ".join(s.branch for s in strays)
        say(f"orphans: {listed}: made for entries the spec no longer lists (prune --orphans)")
    cleared = [left for left in found if _safe(git, world, left, say, result, force=force)]
    _clear(spec, git, world, cleared, say, result, force=force)
    _close_finished_issues(spec, forge, world, merged, say, result)
    if not (result.removed or result.refused or result.closed):
        say("nothing to prune: no merged entry has a worktree or branch left")
    return result


def _leftovers(spec: Spec, world: World, name: str) -> Leftovers:
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


def _orphans(spec: Spec, world: World) -> list[Leftovers]:
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


def _safe(
    git: Git,
    world: World,
    left: Leftovers,
    say: Callable[[str], None],
    result: PruneResult,
    *,
    force: bool,
) -> bool:
    """Whether `left` may go; with `force`, after saying what is lost."""
    worktree = left.worktree
    why_not = None
    if worktree is not None and worktree.path == world.main_worktree:
        why_not = f"{left.branch} is checked out in the main worktree: switch it to another branch"
    elif worktree is not None and worktree.locked:
        why_not = f"{worktree.path} is locked (git worktree unlock it first)"
    if why_not:
        say(f"refused: {left.name}: {why_not}")
        result.refused.append(left.name)
        return False
    losses: list[str] = []
    if worktree is not None and worktree.path.is_dir() and worktree.branch != left.branch:
        losses.append(
            f"{worktree.path} is not on {left.branch} (detached, or another branch): its "
            "commits may be in no branch"
        )
    if worktree is not None and world.dirty.get(worktree.path):
        files = git.changed_files(worktree.path)
        losses.append(f"{worktree.path} has uncommitted or untracked files: {_few(files)}")
    if left.local_tip is not None:
        unsaved = _unsaved_commits(git, left)
        if unsaved is None:
            losses.append(f"{left.branch}: cannot tell whether its commits are safe elsewhere")
        elif unsaved:
            where = "the merged PR" if left.merged_head else "any remote branch"
            losses.append(f"{left.branch} has commits {where} lacks: {_few(unsaved)}")
    if not losses:
        return True
    if force:
        for loss in losses:
            say(f"forced: {left.name}: losing what {loss}")
        return True
    for loss in losses:
        say(f"refused: {left.name}: {loss} (prune --force removes it anyway)")
    result.refused.append(left.name)
    return False


def _unsaved_commits(git: Git, left: Leftovers) -> list[str] | None:
    """Commits of the local branch that survive nowhere once it is gone. For a merged
    entry only the merged head counts (its remote branch is deleted too); for an orphan,
    any remote branch does (its own is kept: it may carry an open PR)."""
    tip = left.local_tip
    if tip is None or tip == left.merged_head:
        return []
    if left.merged_head is not None:
        return git.commits_missing_from(tip, left.merged_head)
    return git.commits_missing_from(tip, "--remotes")


def _clear(
    spec: Spec,
    git: Git,
    world: World,
    cleared: list[Leftovers],
    say: Callable[[str], None],
    result: PruneResult,
    *,
    force: bool,
) -> None:
    missing_worktree = any(w.prunable for w in world.worktrees.values())
    conflicts = git.refs(CONFLICT_REFS)
    present = [w.path for left in cleared if (w := left.worktree) and w.path.is_dir()]
    missing_worktree |= any(left.worktree and not left.worktree.path.is_dir() for left in cleared)
    inside = _holding_the_current_folder(present)
    if inside is not None:  # git and plumbum need a current folder that exists
        os.chdir(spec.root)
    if present:
        with removing_worktrees(git, present):
            for path in present:
                git.worktree_remove(path, force=force)
    if missing_worktree:
        git.worktree_prune()
    git.delete_branches([left.branch for left in cleared if left.local_tip is not None])
    remote_leases = {}
    for left in cleared:
        if left.remote_tip is None:
            continue
        if left.merged_head is None:
            say(
                f"kept: {left.name}: {spec.defaults.remote}/{left.branch} (it may carry an open "
                "PR; delete it yourself if it is done with)"
            )
        elif (
            left.remote_tip == left.merged_head
            or git.commits_missing_from(left.remote_tip, left.merged_head) == []
        ):
            remote_leases[left.branch] = left.remote_tip
        else:
            say(
                f"kept: {left.name}: {spec.defaults.remote}/{left.branch} has commits the "
                "merged PR lacks (pushed after the merge?)"
            )
    deleted = (
        git.delete_remote_branches(spec.defaults.remote, remote_leases) if remote_leases else set()
    )
    git.delete_refs(
        [
            *(f"{PUSHED_REFS}{left.branch}" for left in cleared if left.branch in world.pushed),
            *(f"{MADE_REFS}{left.branch}" for left in cleared if left.branch in world.made),
            *(f"{BACKUP_REFS}{left.name}" for left in cleared if left.name in world.backups),
            *(ref for left in cleared if (ref := f"{CONFLICT_REFS}{left.name}") in conflicts),
        ]
    )
    for branch in sorted(set(remote_leases) - deleted):
        say(
            f"failed: could not delete {spec.defaults.remote}/{branch} (the push was refused "
            "or did not finish): prune again"
        )
        result.refused.append(branch)
    if inside is not None:
        say(f"moved: the folder you ran this in is gone with {inside}: cd {spec.root}")
    for left in cleared:
        parts = []
        if left.worktree is not None:
            parts.append(f"worktree {left.worktree.path}")
        if left.local_tip is not None:
            parts.append(f"branch {left.branch}")
        if left.branch in deleted:
            parts.append(f"{spec.defaults.remote}/{left.branch}")
        if parts:
            say(f"pruned: {left.name}: {', '.join(parts)}")
            result.removed.append(left.name)


def _holding_the_current_folder(worktrees: list[Path]) -> Path | None:
    """The worktree among `worktrees` that the current folder is in, if any."""
    here = Path.cwd().resolve()
    return next((w for w in worktrees if here.is_relative_to(w.resolve())), None)


def _close_finished_issues(
    spec: Spec,
    forge: Forge,
    world: World,
    merged: list[str],
    say: Callable[[str], None],
    result: PruneResult,
) -> None:
    """Close each issue whose entries have all merged, naming their PRs."""
    done = set(merged) | {
        e.name
        for e in spec.entries
        if (pr := world.prs.get(e.branch)) is not None and pr.state == "merged"
    }
    issues = sorted({i for name in merged for i in spec.entry(name).issues})
    finished = [i for i in issues if set(spec.sharing(i)) <= done]
    if not finished:
        return
    states = forge.issue_states(finished)
    renderer: Renderer | None = None
    for issue in finished:
        if states.get(issue) != "open":
            continue
        renderer = renderer or Renderer(spec, spec.graph())
        prs = sorted(world.prs[spec.entry(n).branch].number for n in spec.sharing(issue))
        comment = renderer.issue_comment(issue, [{"number": n} for n in prs]).strip()
        forge.close_issue(issue, comment)
        say(f"closed: #{issue}: {comment}")
        result.closed.append(issue)


def _few(lines: list[str]) -> str:
    shown = "; ".join(line.strip() for line in lines[:LISTED])
    more = f" (and {len(lines) - LISTED} more)" if len(lines) > LISTED else ""
    return shown + more
