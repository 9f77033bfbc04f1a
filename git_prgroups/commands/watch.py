"""`git prgroups watch`: sync, up (and prune) in rounds until nothing is left to wait for.

Each round reads the world once (the fetch, then the forge; fetched again only when
the forge calls a PR merged that was not before) and hands it to the commands
themselves, which plan from it: a quiet round costs that one read. The world after the round is
judged by planning/watch.py: stop when every entry has merged, or when all that is
left needs the user (an entry with no commits yet, a conflict, failing checks, a
refusal). Between rounds it waits, twice as long after each round that changed
nothing, up to a ceiling, and at least what keeps its reads within the forge's
budget. The first Ctrl-C lets the step under way finish (interrupt.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from dataclasses import dataclass

from git_prgroups.commands.prune import run_prune
from git_prgroups.commands.sync import run_sync
from git_prgroups.commands.up import run_up
from git_prgroups.events import Event, Events, showing
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.interrupt import STOP, Interrupted, two_step_interrupts
from git_prgroups.observe import observe, start_statuses
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.watch import judge_round
from git_prgroups.planning.world import World
from git_prgroups.spec import Spec

STOPPED = "stopped by Ctrl-C between steps: run it again to go on"


@dataclass(frozen=True)
class WatchOutcome:
    all_merged: bool
    interrupted: bool
    rounds: int


def run_watch(
    spec: Spec,
    git: Git,
    forge: Forge,
    events: Events,
    *,
    interval: float = 30.0,
    max_interval: float = 600.0,
    prune: bool = False,
    max_rounds: int | None = None,
    dry_run: bool = False,
    jobs: int | None = None,
    guard: Callable[[], ContextManager[object]] = contextlib.nullcontext,
) -> WatchOutcome:
    """`guard` is held during each round's steps (the repository's lock), not between.
    A dry run shows one round's commands and stops."""
    wait = interval
    last: dict[str, str] | None = None
    world: World | None = None
    rounds = 0
    try:
        with two_step_interrupts(events, git.runner):
            while True:
                STOP.check()
                rounds += 1
                events.add(Event("round", f"-- round {rounds}", details={"round": rounds}))
                with guard():
                    world = read_world(spec, git, forge, world)
                    wrote = run_commands(spec, git, forge, events, world, prune=prune,
                                         dry_run=dry_run, jobs=jobs)  # fmt: skip
                    if dry_run:
                        events.add(Event("round", "-- a dry run shows one round only"))
                        return WatchOutcome(False, False, rounds)
                    # the GitHub forge's writes go through the runner: none, then nothing
                    # changed but what the next round reads (the local forge's reads cost
                    # nothing: look)
                    if wrote or not forge.merges_on_its_own:
                        world = observe(spec, git, forge)
                STOP.check()
                states = entry_states(spec, world)
                judgement = judge_round(
                    states, last, wait, interval=interval, max_interval=max_interval,
                    at_least=forge.poll_pause(),
                )  # fmt: skip
                events.extend(judgement.events)
                if judgement.next == "done":
                    return WatchOutcome(True, False, rounds)
                if judgement.next == "stop":
                    return WatchOutcome(False, False, rounds)
                last = {name: state.state for name, state in states.items()}
                if judgement.next == "again":
                    continue
                if max_rounds is not None and rounds >= max_rounds:
                    events.add(Event("stopped", f"after {rounds} rounds"))
                    return WatchOutcome(False, False, rounds)
                wait = judgement.wait
                with showing(events.progress, f"waiting {wait:.0f} s for the next round"):
                    STOP.wait(wait)
    except Interrupted:
        pass
    events.add(Event("interrupted", STOPPED))
    return WatchOutcome(False, True, rounds)


def run_commands(
    spec: Spec,
    git: Git,
    forge: Forge,
    events: Events,
    world: World,
    *,
    prune: bool,
    dry_run: bool,
    jobs: int | None,
) -> bool:
    """sync, up (and prune) on the round's world; whether they wrote anything."""
    writes = len(git.runner.mutating_calls)
    run_sync(spec, git, forge, events, dry_run=dry_run, jobs=jobs, world=world)
    STOP.check()
    if len(git.runner.mutating_calls) > writes and not dry_run:
        world = read_world(spec, git, forge, world, fetched=True)
    # a setup that failed waits for the user's own up, not every round
    run_up(spec, git, forge, events, dry_run=dry_run, jobs=jobs, retry_failed_setups=False,
           world=world)  # fmt: skip
    if prune:
        STOP.check()
        run_prune(spec, git, forge, events, dry_run=dry_run, jobs=jobs)
    STOP.check()
    return len(git.runner.mutating_calls) > writes


def read_world(
    spec: Spec, git: Git, forge: Forge, before: World | None, *, fetched: bool = False
) -> World:
    """The world read again: the fetch (unless `fetched` just now: sync's pushes moved
    their own remote-tracking refs), then the forge, fetched once more only if it calls
    a PR merged that was not in `before`, so that its dependents start from a base that
    has it (and sync, from a world where a PR merged before the fetch is merged)."""
    statuses = start_statuses(git)
    if not fetched:
        git.fetch(spec.defaults.remote)
    prs = forge.read([e.branch for e in spec.entries]) if forge.merges_on_its_own else None
    merged_before = {b for b, pr in (before.prs if before else {}).items() if pr.state == "merged"}
    if prs is not None and any(
        pr.state == "merged" and branch not in merged_before for branch, pr in prs.items()
    ):
        git.fetch(spec.defaults.remote)
    return observe(spec, git, forge, statuses, prs)
