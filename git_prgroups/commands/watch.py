"""`git prgroups watch`: sync, up (and prune) in a loop until nothing is left to wait for.

It stops when every entry has merged, or when all that is left needs the user
(an entry with no commits yet, a conflict, failing checks, a refusal). Between
rounds it waits, twice as long after each round that changed nothing, up to a
ceiling. Ctrl-C is taken between steps, never in the middle of one.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from dataclasses import dataclass

from git_prgroups.commands.prune import run_prune
from git_prgroups.commands.sync import run_sync
from git_prgroups.commands.up import run_up
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.observe import observe
from git_prgroups.spec import Spec
from git_prgroups.states import EntryState, entry_states

WAITING = ("open", "blocked")  # the forge or a prerequisite will move these on


@dataclass(frozen=True)
class WatchOutcome:
    all_merged: bool
    interrupted: bool
    rounds: int


class _Stop:
    """Set by Ctrl-C; steps finish, sleeps end at once."""

    def __init__(self) -> None:
        self.event = threading.Event()

    @contextmanager
    def catching_interrupts(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only
            return
        previous = signal.signal(signal.SIGINT, lambda *_: self.event.set())
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def run_watch(
    spec: Spec,
    git: Git,
    forge: Forge,
    say: Callable[[str], None],
    *,
    interval: float = 30.0,
    max_interval: float = 600.0,
    prune: bool = False,
    max_rounds: int | None = None,
    guard: Callable[[], ContextManager[object]] = contextlib.nullcontext,
) -> WatchOutcome:
    """`guard` is held during each round's steps (the repository's lock), not between."""
    stop = _Stop()
    git.runner.shield_children = True
    wait = interval
    last: dict[str, str] | None = None
    rounds = 0
    with stop.catching_interrupts():
        while not stop.event.is_set():
            rounds += 1
            say(f"-- round {rounds}")
            steps: list[Callable[[], object]] = [
                lambda: run_sync(spec, git, forge, say),
                lambda: run_up(spec, git, forge, say),
            ]
            if prune:
                steps.append(lambda: run_prune(spec, git, forge, say))
            with guard():
                for step in steps:
                    if stop.event.is_set():
                        break
                    step()
            if stop.event.is_set():
                break
            states = entry_states(spec, observe(spec, git, forge))
            now = {name: state.state for name, state in states.items()}
            say(_progress(now))
            if all(s == "merged" for s in now.values()):
                say("done: every entry has merged")
                return WatchOutcome(True, False, rounds)
            unstarted = any(s.state == "ready" and s.worktree is None for s in states.values())
            if unstarted and now != last:
                last = now
                continue  # something merged since up looked: its dependents start now
            if not _anything_to_wait_for(states):
                say("stopped: what is left needs you:")
                for line in _needs_you(states):
                    say(f"  {line}")
                return WatchOutcome(False, False, rounds)
            if max_rounds is not None and rounds >= max_rounds:
                break
            wait = interval if now != last else min(wait * 2, max_interval)
            last = now
            say(f"waiting {wait:g} s (Ctrl-C stops)")
            stop.event.wait(wait)
    interrupted = stop.event.is_set()
    say("stopped by Ctrl-C between steps" if interrupted else f"stopped after {rounds} rounds")
    return WatchOutcome(False, interrupted, rounds)


def _anything_to_wait_for(states: dict[str, EntryState]) -> bool:
    """An open PR the forge may merge, or a blocked entry whose prerequisites may."""
    return any(
        s.state == "open" and s.pr is not None and s.pr.auto_merge and not s.pr.draft
        for s in states.values()
    )


def _needs_you(states: dict[str, EntryState]) -> list[str]:
    lines = []
    for name, state in states.items():
        if state.state == "ready" and state.worktree is None:
            lines.append(f"{name}: ready, but up made no worktree (see the messages above)")
        elif state.state == "ready" and not state.ahead:
            lines.append(f"{name}: ready, no commits yet")
        elif state.state == "closed":
            lines.append(f"{name}: #{state.pr.number if state.pr else '?'} closed without merging")
        elif state.state in ("conflict", "failing"):
            lines.append(f"{name}: {state.state}")
        elif state.state == "open" and state.pr is not None and not state.pr.auto_merge:
            lines.append(f"{name}: #{state.pr.number} has no auto-merge")
        elif state.state == "ready":
            lines.append(f"{name}: ready, not published (see the messages above)")
    return lines


def _progress(states: dict[str, str]) -> str:
    counts = Counter(states.values())
    order = ("merged", "open", "ready", "blocked", "conflict", "failing", "closed")
    return "progress: " + ", ".join(f"{counts[s]} {s}" for s in order if counts[s])
