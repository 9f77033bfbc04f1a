"""What the user does next for an entry, when it is theirs to do: status and show say it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from git_prgroups.planning.states import EntryState
from git_prgroups.planning.world import SETUP_DUE, SETUP_NOT_ALLOWED, World, base_label
from git_prgroups.spec import Entry, Spec

ORDER = ("merged", "open", "ready", "blocked", "conflict", "failing", "closed")


@dataclass(frozen=True)
class Step:
    text: str
    needs_you: bool  # False: a step the user may take, nothing waits on them


def next_step(spec: Spec, world: World, entry: Entry, state: EntryState) -> Step | None:
    worktree, pr = state.worktree, state.pr
    path = worktree.path if worktree else entry.worktree
    under_way = world.operations.get(path)
    onto = base_label(spec)
    if state.state == "merged":
        return _after_merging(world, entry, state)
    if state.state == "closed" and pr is not None:
        return Step(f"reopen #{pr.number}, or drop the entry from the spec", True)
    if under_way is not None:
        return Step(
            f"finish the {under_way} in {path}: resolve, git add, GIT_EDITOR=true git "
            f"{under_way} --continue (or git {under_way} --abort); then git prgroups up",
            True,
        )
    if entry.name in world.setup_failed and worktree is not None:
        why = world.setup_failed[entry.name]
        if {*spec.defaults.setup, *entry.setup} & world.untrusted:
            return Step("git prgroups trust, then git prgroups up (setup not allowed here)", True)
        if why in (SETUP_DUE, SETUP_NOT_ALLOWED):
            return Step("git prgroups up (its setup is due: a run was cut short)", False)
        return Step(f"its setup failed (output: {why}): fix it, then git prgroups up", True)
    if state.state == "conflict" or world.conflicts.get(entry.name) == world.base_tip:
        how = "merge" if entry.name in world.merge_conflicts else "rebase"
        return Step(
            f"cd {path} && git {how} {onto}, resolve, git add, GIT_EDITOR=true git {how} "
            "--continue; then git prgroups up",
            True,
        )
    if state.state == "failing":
        names = ", ".join(pr.failed_checks) if pr is not None else ""
        return Step(
            (f"{names} failed; " if names else "")
            + f"read the checks' output (git prgroups show {entry.name}); fix, git prgroups "
            "commit, git prgroups up",
            True,
        )
    if state.state == "blocked":
        return None
    if worktree is None:
        return Step("git prgroups up (makes its worktree)", True)
    if state.ahead == 0:
        return Step(f"work in {path}, then git prgroups commit and git prgroups up", True)
    if world.remote_branches.get(entry.branch) != world.branches.get(entry.branch):
        return Step("git prgroups up (pushes what is committed)", True)
    if pr is None:
        return Step("git prgroups up (opens its PR)", True)
    if pr.removed_as_it_is and not pr.armed:
        reason = pr.removed[0] if pr.removed else ""
        return Step(f"removed from the merge queue ({reason}): fix, git prgroups commit, git "
                    "prgroups up (it goes back in once)", True)  # fmt: skip
    if not pr.armed and not pr.draft:
        return Step("git prgroups up (turns auto-merge on)", True)
    return None


def summary(states: Mapping[str, EntryState]) -> str:
    """`4 merged, 2 open, 1 failing, 2 blocked`: the entries by state."""
    counts: Counter[str] = Counter(s.state for s in states.values())
    return ", ".join(f"{counts[state]} {state}" for state in ORDER if counts[state])


def _after_merging(world: World, entry: Entry, state: EntryState) -> Step | None:
    """What is left of a merged entry, and whether prune will take it as it is."""
    worktree, pr = state.worktree, state.pr
    tip = world.branches.get(entry.branch)
    if worktree is None and tip is None:
        return None
    if worktree is not None and worktree.path == world.main_worktree:
        return Step(f"switch the main worktree off {entry.branch}, then git prgroups prune", True)
    if worktree is not None and worktree.locked:
        return Step(f"git worktree unlock {worktree.path}, then git prgroups prune", True)
    if worktree is not None and (under_way := world.operations.get(worktree.path)):
        return Step(f"finish or stop the {under_way} in {worktree.path}, then git prgroups prune",
                    True)  # fmt: skip
    if worktree is not None and world.dirty.get(worktree.path):
        return Step(
            f"{worktree.path} has uncommitted or untracked files: keep them elsewhere or "
            f"delete them, then git prgroups prune (prune --force {entry.name} loses them)",
            True,
        )
    head = pr.head_oid if pr is not None else None
    if tip is not None and head and tip != head and not world.is_ancestor(tip, head):
        return Step(
            f"{entry.branch} moved since its PR merged: git prgroups prune names the commits "
            f"the PR lacks; keep them (a new entry), or prune --force {entry.name}",
            True,
        )
    return Step("git prgroups prune (its worktree and branch are left)", False)
