"""What each entry of the spec is now: blocked, ready, open, merged, closed, conflict, failing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from git_prgroups.model import BranchName, PullRequest, Worktree
from git_prgroups.planning.world import World
from git_prgroups.spec import Spec

State = Literal["blocked", "ready", "open", "merged", "closed", "conflict", "failing"]


@dataclass(frozen=True)
class EntryState:
    name: str
    state: State
    blocked_by: tuple[str, ...]
    pr: PullRequest | None
    worktree: Worktree | None
    dirty: bool | None
    ahead: int
    behind: int
    stacked_on: str | None = None  # the unmerged prerequisite it is built on


def entry_states(spec: Spec, world: World) -> dict[str, EntryState]:
    merged = {
        e.name
        for e in spec.entries
        if (pr := world.prs.get(e.branch)) is not None and pr.state == "merged"
    }
    states = {}
    for entry in spec.entries:
        pr = world.prs.get(entry.branch)
        waits = tuple(p for p in entry.after if p not in merged)
        parent = spec.stacked_on(entry.name)
        stacked_on = parent.name if parent is not None and waits else None
        if parent is not None and waits:  # built on its branch: waits only for it to start
            waits = () if parent.branch in world.branches else (parent.name,)
        state: State
        if pr is not None and pr.state in ("merged", "closed"):
            state = "merged" if pr.state == "merged" else "closed"
        elif (pr is not None and pr.conflict) or _sync_conflict(world, entry.name, entry.branch):
            state = "conflict"
        elif pr is not None and pr.checks == "fail":
            state = "failing"
        elif pr is not None:
            state = "open"
        else:
            state = "blocked" if waits else "ready"
        worktree = world.worktree_of(entry)
        states[entry.name] = EntryState(
            name=entry.name,
            state=state,
            blocked_by=waits,
            pr=pr,
            worktree=worktree,
            dirty=world.dirty.get(worktree.path) if worktree else None,
            ahead=len(world.commits(entry.branch)),
            behind=world.behind(entry.branch),
            stacked_on=stacked_on,
        )
    return states


def _sync_conflict(world: World, name: str, branch: BranchName) -> bool:
    """Sync could not bring the current base into the branch, and it still lacks it."""
    return (
        world.base_tip is not None
        and world.conflicts.get(name) == world.base_tip
        and (world.behind(branch) > 0)
    )
