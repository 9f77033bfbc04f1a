"""Reads begun before they are asked for: a command's runner and the worktree statuses
it will want, started as soon as the current folder is known."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from git_prgroups.git import Git
from git_prgroups.observe import WorktreeStatuses, start_statuses
from git_prgroups.proc import Runner


@dataclass(frozen=True)
class ReadAhead:
    runner: Runner
    statuses: WorktreeStatuses

    @classmethod
    def start(cls, here: Path, *, verbose: bool, echo: Callable[[str], None]) -> ReadAhead:
        runner = Runner(verbose=verbose, echo=echo)
        return cls(runner, start_statuses(Git(runner, here)))
