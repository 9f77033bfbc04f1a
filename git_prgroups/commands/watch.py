"""`git prgroups watch`: sync, up (and prune) in rounds until nothing is left to wait for.

Each round is the commands themselves, then one more look at the world, judged by
planning/watch.py: stop when every entry has merged, or when all that is left needs
the user (an entry with no commits yet, a conflict, failing checks, a refusal).
Between rounds it waits, twice as long after each round that changed nothing, up to
a ceiling. The first Ctrl-C lets the step under way finish (interrupt.py).
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
from git_prgroups.observe import observe
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.watch import judge_round
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
    rounds = 0
    try:
        with two_step_interrupts(events, git.runner):
            while True:
                STOP.check()
                rounds += 1
                events.add(Event("round", f"-- round {rounds}", details={"round": rounds}))
                steps: list[Callable[[], object]] = [
                    lambda: run_sync(spec, git, forge, events, dry_run=dry_run, jobs=jobs),
                    # a setup that failed waits for the user's own up, not every round
                    lambda: run_up(
                        spec,
                        git,
                        forge,
                        events,
                        dry_run=dry_run,
                        jobs=jobs,
                        retry_failed_setups=False,
                    ),
                ]
                if prune:
                    steps.append(
                        lambda: run_prune(spec, git, forge, events, dry_run=dry_run, jobs=jobs)
                    )
                with guard():
                    for step in steps:
                        STOP.check()
                        step()
                STOP.check()
                if dry_run:
                    events.add(Event("round", "-- a dry run shows one round only"))
                    return WatchOutcome(False, False, rounds)
                states = entry_states(spec, observe(spec, git, forge))
                judgement = judge_round(
                    states, last, wait, interval=interval, max_interval=max_interval
                )
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
