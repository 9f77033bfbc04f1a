"""What one command's execution works with, and what one `execute` call has done so far."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from git_prgroups.events import Event, Events, showing
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.history import History
from git_prgroups.journal import Journal, UndoRecord
from git_prgroups.model import BranchName
from git_prgroups.planning.actions import Action, Notice, Push, Report
from git_prgroups.spec import Spec
from git_prgroups.store import Store

FORGE_JOBS = 4  # forge writes under way at once, unless the spec or --jobs says
NOT_REACHED = "not reached: stopped by Ctrl-C (run the command again to go on)"


def cores() -> int:
    return os.cpu_count() or 2


@dataclass
class Doing:
    """What a command's actions did so far that later ones need (a refused push stops
    its PR's writes; sync's rebases join the push after them). Shared with the copies of
    the run each forge write works in; commands read `execute`'s `Done` instead."""

    changed: int = 0
    pushed: set[BranchName] = field(default_factory=set)
    not_pushed: set[BranchName] = field(default_factory=set)
    resynced: list[Push] = field(default_factory=list)
    deleted_remote: set[BranchName] = field(default_factory=set)
    # the entries whose PR merged into its base (landed here, or at once by the forge)
    merged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Done:
    """What an `execute` call did that its command plans the next step from."""

    changed: int = 0  # actions carried out (what is only told is not counted)
    pushed: frozenset[BranchName] = frozenset()
    merged: tuple[str, ...] = ()  # entries whose PR merged into the base: the base moved


@dataclass
class Execution:
    """One command's run of actions: what it works with."""

    spec: Spec
    git: Git
    forge: Forge
    events: Events
    journal: Journal
    dry_run: bool = False
    jobs: int = FORGE_JOBS  # forge writes at once
    workers: int = field(default_factory=cores)  # local work at once: checkouts, checks
    doing: Doing = field(default_factory=Doing)

    @classmethod
    def start(
        cls,
        spec: Spec,
        git: Git,
        forge: Forge,
        events: Events,
        *,
        dry_run: bool = False,
        jobs: int | None = None,
        workers: int | None = None,
    ) -> Execution:
        """A command's run. In a dry run git's changing commands are shown instead (the
        seam), and the forge's writes are described by the forge instead of sent (the
        forge steps). `jobs`: forge writes at once; `workers`: local work at once
        (default: cores)."""
        if dry_run:
            git.runner.dry_run = True
            git.runner.would = events.add
        store = Store.of(git.common_dir())
        journal = Journal(store.undo)
        if dry_run:  # one at a time: what it would run is shown in order
            return cls(spec, git, forge, events, journal, dry_run=True, jobs=1, workers=1)
        events.also(History(store.history).record)
        git.runner.waiting = _told_while_waiting(events)
        jobs = (jobs or spec.defaults.jobs or FORGE_JOBS) if forge.concurrent_writes else 1
        return cls(spec, git, forge, events, journal, jobs=jobs, workers=workers or cores())

    @property
    def store(self) -> Store:
        return Store(self.journal.folder.parent)

    def tell(self, event: Event) -> None:
        """An event of what was done; a dry run says what it would run instead."""
        if not self.dry_run:
            self.events.add(event)

    def not_reached(self, action: Action) -> None:
        """Ctrl-C stopped the run before `action`: its entry is told as skipped (once)."""
        name = getattr(action, "name", None)
        if isinstance(name, str) and not isinstance(action, Report | Notice):
            self.events.add(Event("skipped", NOT_REACHED, name, details={"reason": "interrupted"}))

    @contextlib.contextmanager
    def noting(self, record: UndoRecord) -> Iterator[None]:
        if self.dry_run:
            yield
            return
        with self.journal.noting(record):
            yield


def _told_while_waiting(
    events: Events,
) -> Callable[[str, dict[str, object]], contextlib.AbstractContextManager[None]]:
    """A wait a server asked for: an event, and the progress line while it lasts."""

    @contextlib.contextmanager
    def waiting(text: str, details: dict[str, object]) -> Iterator[None]:
        events.add(Event("waiting", text, details=details))
        with showing(events.progress, text):
            yield

    return waiting
