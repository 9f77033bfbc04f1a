"""`exec`: which entries' worktrees a command runs in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from git_prgroups.events import Event
from git_prgroups.model import Argv
from git_prgroups.planning.actions import Report, RunCommand, RunCommands
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.world import World
from git_prgroups.spec import Entry, Spec

Selection = Literal["all", "ready", "open"]

_STATES: Mapping[Selection, frozenset[str]] = {
    "all": frozenset({"blocked", "ready", "open", "merged", "closed", "conflict", "failing"}),
    "ready": frozenset({"ready"}),  # a worktree, no PR yet: the work to do
    "open": frozenset({"open", "conflict", "failing"}),  # an open PR
}


def plan_exec(
    spec: Spec,
    world: World,
    argv: Argv,
    *,
    names: Sequence[str] = (),
    selection: Selection = "all",
    titles: Mapping[str, str] | None = None,
) -> list[RunCommands | Report]:
    """A command for each selected entry with a worktree, in wave order, side by side. An
    entry named on the command line without a worktree is said (it is what the user
    asked for); one a selection leaves out is not."""
    states = entry_states(spec, world)
    order = [name for wave in spec.graph().waves for name in wave]
    commands: list[RunCommand] = []
    reports: list[Report] = []
    for name in order:
        state = states[name]
        if names and name not in names:
            continue
        if not names and state.state not in _STATES[selection]:
            continue
        if state.worktree is None:
            if names:
                why = "no worktree yet (git prgroups up makes it): not run there"
                reports.append(Report(Event("skipped", why, name)))
            continue
        path = state.worktree.path
        title = (titles or {}).get(name, spec.entry(name).title or "")
        commands.append(RunCommand(name, path, argv, _env(spec.entry(name), path, title)))
    return [*([RunCommands(tuple(commands))] if commands else []), *reports]


def _env(entry: Entry, path: Path, title: str) -> tuple[tuple[str, str], ...]:
    return (
        ("PRGROUPS_ENTRY", entry.name),
        ("PRGROUPS_BRANCH", entry.branch),
        ("PRGROUPS_WORKTREE", str(path)),
        ("PRGROUPS_ISSUES", " ".join(str(n) for n in entry.issues)),
        ("PRGROUPS_TITLE", title),
    )
