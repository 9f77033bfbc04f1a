"""`git prgroups sync`: bring each entry's branch up to the fresh remote base.

observe → plan_sync → execute: each branch is rebased (or has the base merged in)
in its own worktree, after a backup ref of its old tip is kept; a conflict is
aborted, so the branch, index and files are exactly as they were. Branches already
on the remote go back in one `git push`, leased against the remote tip that was
checked to be part of the branch. Then the PRs are read again, and auto-merge is
turned back on where the forge dropped it.
"""

from __future__ import annotations

from collections.abc import Collection

from git_prgroups.events import Event, Events
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.model import Sha
from git_prgroups.observe import observe, start_statuses
from git_prgroups.planning.actions import Action
from git_prgroups.planning.sync import overlap_pairs, overlap_reports, plan_rearm, plan_sync
from git_prgroups.planning.world import World, base_label
from git_prgroups.spec import Spec


def run_sync(
    spec: Spec,
    git: Git,
    forge: Forge,
    events: Events,
    *,
    only: Collection[str] = (),
    merge: bool = False,
    check: bool = False,
    dry_run: bool = False,
    jobs: int | None = None,
    world: World | None = None,
) -> Events:
    """`world`: read just now, fetched and with the forge's PRs (a caller that has one:
    watch)."""
    run = Execution.start(spec, git, forge, events, dry_run=dry_run, jobs=jobs)
    if world is None:
        statuses = start_statuses(git)
        git.fetch(spec.defaults.remote)
        world = observe(spec, git, forge, statuses)
    if check and world.base_tip is not None:
        execute(overlaps(spec, git, world, only=only), run)
    told_checks = len(events)
    done = execute(plan_sync(spec, world, only=only, merge=merge), run)
    # the PRs of what was pushed now, read again: a forge may drop auto-merge on a push
    pushed = sorted(done.pushed)
    prs = dict(world.prs) | (forge.read(pushed) if pushed else {})
    execute(plan_rearm(spec, prs, only=only), run)
    if len(events) == told_checks and world.base_tip is not None:
        onto = f"{base_label(spec)} ({world.base_tip[:7]})"
        events.add(Event("nothing", f"nothing to sync: every started entry holds {onto}"))
    return events


def overlaps(spec: Spec, git: Git, world: World, *, only: Collection[str] = ()) -> list[Action]:
    """`sync --check`: entries of one wave whose changes clash, read in memory."""
    pairs = overlap_pairs(spec, world, only=only)
    clashes: dict[tuple[Sha, Sha], list[str] | None] = {}
    for _, _, one, other in pairs:
        clashes[(one, other)] = git.clashes(one, other)
        if clashes[(one, other)] is None:
            break  # git is too old: one word about it is enough
    return overlap_reports(pairs, clashes)
