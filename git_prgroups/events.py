"""What commands report: typed events, and the exit code they add up to.

Commands never print. They add events to an `Events`, which hands each to the face
as it happens (a long watch shows its progress) and keeps them for the exit code.
The face renders them as text lines or as JSON lines (see `event_line`, `event_json`).
"""

from __future__ import annotations

import contextlib
import json
import shlex
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

EventKind = Literal[
    # up
    "worktree",  # a worktree made for an entry
    "set-up",  # a new worktree made ready: ignored files copied, setup run
    "moved-up",  # an entry with no commits yet moved up to the fresh base
    "pushed",
    "opened",
    "auto-merge",
    "updated",  # a PR's title and body, re-rendered
    "merged",  # merged by the forge at once
    "landed",  # landed by the local forge
    "failing",
    "conflict",
    "waiting",
    "blocked",
    "ready",
    "kept",  # left as it is, on purpose
    "rerun",  # a PR's failed CI jobs started again (checks_retry)
    "note",  # worth knowing: nothing is wrong
    "closed",  # a PR closed without merging
    "refused",  # not done: it would lose work, or the forge or remote said no
    "skipped",  # not done: the worktree is not in a state to do it in
    "failed",  # tried, did not happen: run again
    # sync
    "synced",
    "overlap",
    "check",
    # prune
    "pruned",
    "forced",
    "orphans",
    "issue-closed",
    "moved",  # the process left a folder that is removed
    # any command
    "nothing",
    "recovered",  # what a killed run left, put right
    "stuck",  # what a killed run left, that could not be put right
    "lock-wait",
    "would-run",  # dry run: a command
    "would-record",  # dry run: a write of the local forge's records
    "would-send",  # dry run: a request to a forge's HTTP API
    # watch
    "round",
    "progress",
    "sleeping",
    "needs-you",  # one entry that stopped the watch
    "done",  # verdict: every entry merged
    "stopped",  # verdict: what is left needs the user
    "interrupted",  # verdict: Ctrl-C
    "stopping",  # the first Ctrl-C, heard: the step under way finishes
    # try
    "tried",  # one check run on a prefix of the entries tried together
    "together",  # verdict: the entries pass their checks together
    "culprit",  # verdict: the entry whose addition breaks the combination
    # exec
    "ran",  # a command ended well in an entry's worktree
    "summary",  # the table of what ran where
    # commit
    "committed",
    "restaged",
    # the spec and the repository's settings
    "trusted",  # trust: a command of the spec, and whether it may run here
    "edited",  # add, remove, init: the spec written (or a PR closed with its entry)
    "posted",  # report --post: the report's comment on the epic
]

# Events that mean the user has something to do: the command exits 1.
NEEDS_YOU: frozenset[EventKind] = frozenset(
    {"refused", "skipped", "failed", "conflict", "failing", "closed", "stuck", "stopped",
     "needs-you", "culprit"}
)  # fmt: skip
# One happening, one event: an entry's PR fails its checks or conflicts once a run, however
# many of its steps come upon it (a landing, then the plan after it; sync, then up).
_ONCE_PER_ENTRY: frozenset[EventKind] = frozenset({"failing", "conflict"})
# What a dry run shows happens as often as it would.
_REPEATABLE: frozenset[EventKind] = frozenset({"would-run", "would-record", "would-send"})
# A watch's last word decides its exit code.
VERDICTS: Mapping[EventKind, int] = {"done": 0, "stopped": 1, "interrupted": 130}


@dataclass(frozen=True)
class Event:
    kind: EventKind
    message: str = ""
    entry: str | None = None
    pr: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def needs_you(self) -> bool:
        return self.kind in NEEDS_YOU


class Progress:
    """What a long step is doing now, for a live line on a terminal: its items as they
    start and end. The face draws it, or nothing (piped, --json); this one shows
    nothing. Called from the executor's threads."""

    def begin(self, what: str, total: int = 0) -> None:
        """A step of `total` items begins (0: a wait, or a count not known)."""

    def started(self, item: str) -> None:
        pass

    def finished(self, item: str) -> None:
        pass

    def end(self) -> None:
        pass


@contextlib.contextmanager
def showing(progress: Progress, what: str, total: int = 0) -> Iterator[Progress]:
    progress.begin(what, total)
    try:
        yield progress
    finally:
        progress.end()


class Events:
    """The events of one run, in order; each distinct event once (a run that plans
    again after a landing finds the same conflict again). `progress` is where long
    steps say what runs now."""

    def __init__(
        self,
        listener: Callable[[Event], None] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.progress = progress or Progress()
        self._events: list[Event] = []
        self._seen: set[tuple[str, str | None, int | None, str]] = set()
        self._listeners = [listener] if listener is not None else []
        self._lock = threading.Lock()

    def also(self, listener: Callable[[Event], None]) -> None:
        """Hand each event to `listener` too, after those before it."""
        self._listeners.append(listener)

    def add(self, event: Event) -> None:
        once = event.kind in _ONCE_PER_ENTRY and event.entry is not None
        key = (event.kind, event.entry, None, "") if once else (
            event.kind, event.entry, event.pr, event.message
        )  # fmt: skip
        with self._lock:
            if key in self._seen and event.kind not in _REPEATABLE:
                return
            self._seen.add(key)
            self._events.append(event)
        for listener in self._listeners:
            listener(event)

    def extend(self, events: Sequence[Event]) -> None:
        for event in events:
            self.add(event)

    def __iter__(self) -> Iterator[Event]:
        return iter(list(self._events))

    def __len__(self) -> int:
        return len(self._events)

    @property
    def needs_you(self) -> bool:
        return any(e.needs_you for e in self._events)

    @property
    def exit_code(self) -> int:
        """0 done, 1 something needs you; a watch's verdict decides for it."""
        verdicts = [VERDICTS[e.kind] for e in self._events if e.kind in VERDICTS]
        if verdicts:
            return verdicts[-1]
        return 1 if self.needs_you else 0


# -- rendering: pure functions the face prints ---------------------------------------------

# The word a text line starts with, where it is not the kind itself; None: the message
# alone.
_LABELS: Mapping[str, str | None] = {
    "moved-up": "worktree",
    "issue-closed": "closed",
    "would-run": "would run",
    "would-record": "would record",
    "would-send": "would send",
    "nothing": None,
    "recovered": None,
    "stuck": None,
    "lock-wait": None,
    "round": None,
    "sleeping": None,
    "interrupted": None,
    "stopping": None,
    "summary": None,
    "restaged": None,
    "trusted": None,
    "edited": None,
    "posted": None,
}


# Kinds whose message names the entry itself ("removed pr.a from prgroups.toml").
_MESSAGE_NAMES_ITS_ENTRY: frozenset[EventKind] = frozenset({"edited", "trusted", "posted"})


def event_line(event: Event) -> str:
    """The event as one line (or more, for a message of several) for a person."""
    if event.kind == "needs-you":
        return f"  {event.entry}: {event.message}"
    label = _LABELS.get(event.kind, event.kind)
    entry = event.entry if event.kind not in _MESSAGE_NAMES_ITS_ENTRY else None
    if entry and event.details.get("files"):  # a conflict's files, right after whose
        entry += f" (files {', '.join(event.details['files'])})"
    return ": ".join(p for p in (label, entry, event.message) if p)


def event_json(event: Event) -> str:
    """One JSON object: `event`, `entry`, `pr`, `message`, `needs_you`, `details`."""
    return json.dumps(
        {
            "event": event.kind,
            "entry": event.entry,
            "pr": event.pr,
            "message": event.message,
            "needs_you": event.needs_you,
            "details": dict(event.details),
        },
        ensure_ascii=False,
        default=str,
    )


def command_line(argv: Sequence[str], cwd: Path | None = None, stdin: str | None = None) -> str:
    """How a dry run shows a command: as a shell would take it, with where it runs and
    what it reads (`git update-ref --stdin`'s lines)."""
    text = shlex.join(argv)
    if stdin:
        lines = " ".join(shlex.quote(line) for line in stdin.splitlines())
        text = f"printf '%s\\n' {lines} | {text}"
    return text + (f"  (in {cwd})" if cwd else "")
