"""`advance`: what moves the epic on from a plain clone, as a CI job runs it after a
merge: no worktree, no local branch, no push. PRs opened for branches pushed without
one, auto-merge turned back on where it dropped, drafts made ready once green, failed
CI jobs run again (checks_retry); and the entries whose prerequisites have all merged,
named on the epic once each."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from git_prgroups.events import Event
from git_prgroups.marker import with_marker
from git_prgroups.model import NewPullRequest, PullRequest
from git_prgroups.planning.actions import (
    Action,
    AddPeople,
    AnnounceReady,
    ForgeWrite,
    MarkReady,
    OpenPR,
    Report,
    RetargetPR,
    UpdateBranch,
    forge_writes,
)
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.up import (
    Texts,
    arm_or_say_why,
    missing_people,
    rerun_checks,
    wanted_people,
)
from git_prgroups.planning.world import World
from git_prgroups.spec import Spec

READY_MARK = "<!-- git prgroups: ready {name} -->"


def plan_advance(
    spec: Spec, world: World, texts: Texts, *, epic_comments: Collection[str] = ()
) -> list[Action]:
    states = entry_states(spec, world)
    method = spec.defaults.merge
    actions: list[ForgeWrite] = []
    retargets: list[ForgeWrite] = []  # before the rest: arming one of them must wait
    reports: list[Action] = []
    for entry in spec.entries:
        pr, state = world.prs.get(entry.branch), states[entry.name]
        parent = spec.stacked_on(entry.name)
        stacked = parent if state.stacked_on else None
        if pr is None:
            pushed = world.remote_branches.get(entry.branch)
            if pushed is None or state.state == "blocked" or not world.commits(entry.branch):
                continue
            below = world.prs.get(stacked.branch) if stacked else None
            if stacked is not None and (below is None or below.state != "open"):
                continue  # its PR opens on its prerequisite's, once that one is open
            title, body = texts[entry.name]
            request = NewPullRequest(
                head=entry.branch, base=stacked.branch if stacked else spec.defaults.base,
                title=title, body=with_marker(title, body), labels=entry.labels,
                draft=entry.draft,
            )  # fmt: skip
            arm = None if entry.draft or stacked else method
            actions.append(OpenPR(entry.name, request, arm, wanted_people(entry)))
        elif pr.state == "open":
            if parent is not None and stacked is None:  # what it was stacked on merged
                moved, held = _unstacking(spec, world, entry.name, pr)
                retargets += moved
                if held is not None:  # no worktree here to restack it in: said so
                    reports.append(held)
                    continue
            if not pr.armed and not pr.draft and not stacked:
                armed = arm_or_say_why(entry.name, pr, method, pushing=False)
                if isinstance(armed, Report):
                    reports.append(armed)
                else:
                    actions.append(armed)
            if pr.draft and entry.until_green and pr.checks == "pass":
                actions.append(MarkReady(entry.name, pr, method))
            lacking = missing_people(entry, pr)
            if lacking:
                actions.append(AddPeople(entry.name, pr, lacking))
            if pr.behind:  # the base requires up-to-date branches; no worktree here
                actions.append(UpdateBranch(entry.name, pr, spec.defaults.merge == "rebase"))
            rerun = rerun_checks(entry, pr, world)
            if rerun is not None:
                actions.append(rerun)
    ready = newly_ready(spec, world, states, epic_comments)
    if ready and spec.defaults.epic:
        actions.append(AnnounceReady(spec.defaults.epic, tuple(ready), announcement(spec, ready)))
    return [*forge_writes(retargets), *forge_writes(actions), *reports]


def _unstacking(
    spec: Spec, world: World, name: str, pr: PullRequest
) -> tuple[list[ForgeWrite], Report | None]:
    """A stacked PR whose prerequisite merged, seen from a clone without its worktree: its
    PR onto the base (before anything deletes the prerequisite's branch), and left
    unarmed while it still holds the prerequisite's commits as they were before a squash
    or rebase merge rewrote them (arming it would land them twice)."""
    parent = spec.stacked_on(name)
    below = world.prs.get(parent.branch) if parent else None
    if parent is None or below is None or below.state != "merged":
        return [], None
    writes: list[ForgeWrite] = []
    if pr.base != spec.defaults.base:
        writes.append(RetargetPR(name, pr, spec.defaults.base))
    old = below.head_oid
    if old is None or not world.holds_rewritten(spec.entry(name).branch, old):
        return writes, None  # nothing of its prerequisite's to move off: armed as any
    why = (
        f"#{pr.number} still holds {parent.name}'s commits as they were before it merged: "
        f"restack it where its worktree is (git prgroups up), and it is armed then"
    )
    return writes, Report(Event("note", why, name, pr.number))


def newly_ready(
    spec: Spec, world: World, states: Mapping[str, object], epic_comments: Collection[str]
) -> list[str]:
    """Entries that waited for others, all merged now, not started, not yet announced."""
    said = "\n".join(epic_comments)
    return [
        e.name for e in spec.entries
        if e.after and getattr(states[e.name], "state", None) == "ready"
        and e.branch not in world.remote_branches and e.branch not in world.prs
        and READY_MARK.format(name=e.name) not in said
    ]  # fmt: skip


def announcement(spec: Spec, names: list[str]) -> str:
    lines = ["Ready to start, now that what they wait for has merged:", ""]
    for name in names:
        entry = spec.entry(name)
        issues = " ".join(f"#{i}" for i in entry.issues)
        waited = ", ".join(entry.after)
        lines.append(f"- `{name}` ({issues}), after {waited}: `git prgroups up {name}`")
    lines += ["", *(READY_MARK.format(name=n) for n in names)]
    return "\n".join(lines)
