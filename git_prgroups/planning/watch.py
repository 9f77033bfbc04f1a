"""`watch`: after each round of sync, up (and prune), whether to stop, go on at once, or wait."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from git_prgroups.events import Event
from git_prgroups.planning.next import summary
from git_prgroups.planning.states import EntryState

Next = Literal["done", "again", "wait", "stop"]


@dataclass(frozen=True)
class Judgement:
    next: Next
    wait: float  # seconds, when `next` is "wait"
    events: tuple[Event, ...]


def judge_round(
    states: Mapping[str, EntryState],
    last: Mapping[str, str] | None,
    wait: float,
    *,
    interval: float,
    max_interval: float,
    at_least: float = 0.0,
) -> Judgement:
    """What a round's end means: `last` is the states after the round before, `wait`
    the last wait. The wait starts at `interval` and doubles after each round that
    changed nothing, up to `max_interval`; it is never below `at_least`, what keeps
    the reads within the forge's budget."""
    now = {name: state.state for name, state in states.items()}
    progress = Event("progress", summary(states))
    if all(s == "merged" for s in now.values()):
        return Judgement("done", 0, (progress, Event("done", "every entry has merged")))
    unstarted = any(s.state == "ready" and s.worktree is None for s in states.values())
    if unstarted and now != last:
        return Judgement("again", 0, (progress,))  # merged since up looked: start them now
    if not _anything_to_wait_for(states):
        needs = tuple(Event("needs-you", why, name) for name, why in needs_you(states))
        return Judgement("stop", 0, (progress, Event("stopped", "what is left needs you:"), *needs))
    wait = interval if now != last else min(wait * 2, max_interval)
    why = "Ctrl-C stops"
    if at_least > wait:
        wait, why = at_least, "the forge's read budget; Ctrl-C stops"
    return Judgement("wait", wait, (progress, Event("sleeping", f"waiting {wait:.3g} s ({why})")))


def _anything_to_wait_for(states: Mapping[str, EntryState]) -> bool:
    """An open PR the forge may merge (armed, not a draft)."""
    return any(
        s.state == "open" and s.pr is not None and s.pr.armed and not s.pr.draft
        for s in states.values()
    )


def needs_you(states: Mapping[str, EntryState]) -> list[tuple[str, str]]:
    found = []
    for name, state in states.items():
        if state.state == "ready" and state.worktree is None:
            found.append((name, "ready, but up made no worktree (see the messages above)"))
        elif state.state == "ready" and not state.ahead:
            found.append((name, "ready, no commits yet"))
        elif state.state == "closed":
            found.append((name, f"#{state.pr.number if state.pr else '?'} closed without merging"))
        elif state.state == "failing" and state.pr is not None and state.pr.failed_checks:
            found.append((name, f"failing: {', '.join(state.pr.failed_checks)}"))
        elif state.state in ("conflict", "failing"):
            found.append((name, state.state))
        elif state.state == "open" and state.pr is not None and state.pr.removed_as_it_is:
            found.append((name, f"#{state.pr.number} removed from the merge queue"))
        elif state.state == "open" and state.pr is not None and not state.pr.armed:
            found.append((name, f"#{state.pr.number} has no auto-merge"))
        elif state.state == "ready":
            found.append((name, "ready, not published (see the messages above)"))
    return found
