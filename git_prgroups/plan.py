"""(spec, world) → the state of each entry and the actions that bring reality up to the spec.

Pure: no I/O. Texts (titles, bodies) come in already rendered through `texts`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from git_prgroups.forges.base import NewPullRequest, PullRequest, body_edited_by_hand, with_marker
from git_prgroups.git import Sha
from git_prgroups.graph import Graph
from git_prgroups.observe import World, missing_base
from git_prgroups.spec import Entry, Spec
from git_prgroups.states import EntryState, entry_states

# actions


@dataclass(frozen=True)
class AddWorktree:
    name: str
    path: Path
    branch: str
    start: Sha | None  # None: the branch exists already
    stale: bool = False  # git still lists a worktree whose folder was deleted by hand


@dataclass(frozen=True)
class FastForward:
    """An entry with no commits of its own, behind the base: moved up to it."""

    name: str
    path: Path
    branch: str
    to: Sha


@dataclass(frozen=True)
class RecordPushed:
    """The remote has the branch's tip but prgroups' record of its last push does not."""

    name: str
    branch: str
    tip: Sha


@dataclass(frozen=True)
class PushBranch:
    name: str
    branch: str
    tip: Sha
    lease: Sha | None  # the remote tip a rewritten history may replace


@dataclass(frozen=True)
class OpenPR:
    name: str
    request: NewPullRequest
    method: str | None  # auto-merge method to arm after opening; None for drafts


@dataclass(frozen=True)
class ArmAutoMerge:
    name: str
    pr: PullRequest
    method: str


@dataclass(frozen=True)
class EditPR:
    name: str
    pr: PullRequest
    title: str
    body: str


@dataclass(frozen=True)
class Note:
    name: str
    kind: str  # blocked, ready, refused, kept
    text: str


Action = (
    AddWorktree | FastForward | RecordPushed | PushBranch | OpenPR | ArmAutoMerge | EditPR | Note
)
Texts = Callable[[str], tuple[str, str]]  # entry name → (title, body without marker)


def plan_up(
    spec: Spec,
    graph: Graph,
    world: World,
    texts: Texts,
    *,
    only: Collection[str] = (),
    force_body: bool = False,
) -> list[Action]:
    states = entry_states(spec, world)
    actions: list[Action] = []
    for name in (n for wave in graph.waves for n in wave):
        if only and name not in only:
            continue
        entry, state = spec.entry(name), states[name]
        if state.state == "closed" and state.pr is not None:
            text = f"#{state.pr.number} was closed without merging: reopen it, or drop the entry"
            actions.append(Note(name, "closed", text))
            continue
        if state.state == "merged":
            continue
        if state.state == "blocked":
            waits = ", ".join(state.blocked_by)
            actions.append(Note(name, "blocked", f"waits for {waits} to merge"))
            continue
        if state.worktree is None or state.worktree.prunable:  # none, or its folder deleted
            added = _add_worktree(spec, entry, world, stale=state.worktree is not None)
            actions.append(added)
            if isinstance(added, Note):
                continue
        if state.ahead == 0:
            worktree = state.worktree
            if state.pr is None:
                path = worktree.path if worktree else entry.worktree
                actions.append(Note(name, "ready", f"worktree at {path}, no commits yet"))
            if (
                worktree is not None
                and not worktree.prunable
                and worktree.branch == entry.branch
                and state.behind
                and not state.dirty
                and world.base_tip
            ):  # not started yet: keep it on the freshest base
                actions.append(FastForward(name, worktree.path, entry.branch, world.base_tip))
            continue
        actions.extend(_publish(spec, entry, state, world, texts, force_body=force_body))
    return actions


def _add_worktree(spec: Spec, entry: Entry, world: World, *, stale: bool = False) -> Action:
    if entry.worktree.exists() and not _empty_folder(entry.worktree):
        return Note(
            entry.name,
            "refused",
            f"{entry.worktree} exists and is not a worktree of this repository: move it away",
        )
    if entry.branch in world.branches:
        return AddWorktree(entry.name, entry.worktree, entry.branch, None, stale)
    start = world.remote_branches.get(entry.branch) or world.base_tip
    if start is None:
        return Note(entry.name, "refused", missing_base(spec))
    return AddWorktree(entry.name, entry.worktree, entry.branch, start, stale)


def _publish(
    spec: Spec, entry: Entry, state: EntryState, world: World, texts: Texts, *, force_body: bool
) -> list[Action]:
    actions: list[Action] = []
    local = world.branches[entry.branch]
    remote = world.remote_branches.get(entry.branch)
    if remote == local and world.pushed.get(entry.branch) != local:
        actions.append(RecordPushed(entry.name, entry.branch, local))  # a run died after pushing
    if remote != local:
        if remote is None or is_ancestor(world, remote, local):
            actions.append(PushBranch(entry.name, entry.branch, local, None))
        elif remote in (world.pushed.get(entry.branch), world.backups.get(entry.name)):
            # the remote holds what prgroups last pushed, or the tip sync rebased away
            actions.append(PushBranch(entry.name, entry.branch, local, remote))
        else:
            return [
                Note(
                    entry.name,
                    "refused",
                    f"{spec.defaults.remote}/{entry.branch} has commits your branch lacks "
                    f"(pushed by someone else since prgroups last pushed): bring them in "
                    f"(git pull --rebase in {entry.worktree}) and run up again",
                )
            ]
    title, body = texts(entry.name)
    method = spec.defaults.merge
    pr = state.pr
    if pr is None:
        request = NewPullRequest(
            head=entry.branch,
            base=spec.defaults.base,
            title=title,
            body=with_marker(title, body),
            labels=entry.labels,
            draft=entry.draft,
        )
        actions.append(OpenPR(entry.name, request, None if entry.draft else method))
        return actions
    if pr.auto_merge is None and not pr.draft:
        actions.append(ArmAutoMerge(entry.name, pr, method))
    wanted = with_marker(title, body)
    if pr.title != title or pr.body.strip() != wanted.strip():
        if body_edited_by_hand(pr.title, pr.body) and not force_body:
            actions.append(
                Note(
                    entry.name,
                    "kept",
                    f"#{pr.number} was edited by hand: title and body left alone (--force-body "
                    "replaces them)",
                )
            )
        else:
            actions.append(EditPR(entry.name, pr, title, wanted))
    return actions


def is_ancestor(world: World, ancestor: Sha, descendant: Sha) -> bool:
    if ancestor not in world.graph.parents:  # at or below the common base of everything read
        return True
    return ancestor in world.graph.ancestors(descendant)


def _empty_folder(path: Path) -> bool:
    """An empty folder holds nothing to lose: git makes a worktree in it (a killed
    `git worktree add` leaves one)."""
    return path.is_dir() and next(path.iterdir(), None) is None
