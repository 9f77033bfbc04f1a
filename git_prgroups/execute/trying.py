"""`try`'s steps: the members merged onto the base one after another in a clean checkout
of prgroups' own (`<git common dir>/prgroups/try/`), and the checks run on a prefix of
them in another. Nothing is pushed and no ref or worktree of the user's is touched:
the merges are commits no ref names, and each checkout is under an undo record from
its making to its removal, so a killed `try` leaves nothing the next command trips on.
"""

from __future__ import annotations

import contextlib
import queue
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from git_prgroups.forges.local_landing import OUTPUT_TAIL, CheckSlots
from git_prgroups.git import Git
from git_prgroups.model import Sha
from git_prgroups.planning.trial import Trial
from git_prgroups.store import Store

TRY_MERGER = ("git prgroups try", "try@git-prgroups.invalid")


@dataclass(frozen=True)
class Clash:
    """A member that does not merge onto the ones before it."""

    name: str
    files: tuple[str, ...]
    partner: str | None  # the earlier member it clashes with alone, where one does


@dataclass(frozen=True)
class CheckRun:
    ok: bool
    log: Path
    tail: str = ""  # the failing command and the last lines of its output


class Trying:
    """Clean checkouts for one `try`: the first to merge in, the rest to run checks in."""

    def __init__(self, git: Git, store: Store) -> None:
        self.git, self.store = git, store

    @contextlib.contextmanager
    def checkouts(self, checking: int) -> Iterator[tuple[Path, queue.Queue[Path]]]:
        slots = CheckSlots(self.git, self.store, self.store.tries)
        with slots.ready(checking + 1) as ready:
            merging = ready.get()
            yield merging, ready

    def combine(self, folder: Path, trial: Trial) -> list[Sha] | Clash:
        """Prefix k's commit for each k from 1, or the member that does not merge."""
        here = self.git.at(folder)
        here.clean_checkout(trial.base)
        commits: list[Sha] = []
        for at, member in enumerate(trial.members):
            if not here.merge_as(member.head, f"try: {member.name}", TRY_MERGER):
                files = tuple(here.conflicted_files(folder))
                here.abandon_operation()
                partner = next(
                    (m.name for m in trial.members[:at]
                     if self.git.clashes(m.head, member.head)),
                    None,
                )  # fmt: skip
                return Clash(member.name, files, partner)
            commits.append(here.head())
        return commits

    def check(self, folder: Path, commit: Sha, trial: Trial, log: Path) -> CheckRun:
        """The trial's checks on `commit`, in a clean checkout, logged whole to `log`."""
        here = self.git.at(folder)
        here.clean_checkout(commit)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w", encoding="utf-8") as out:
            out.write(f"# git prgroups try: {', '.join(trial.names)} on {trial.base}\n")
            for argv in trial.checks:
                result = self.git.runner.run(argv, cwd=folder, check=False)
                out.write(f"$ {shlex.join(argv)}\n{result.stdout}{result.stderr}")
                if not result.ok:
                    lines = (result.stdout + result.stderr).strip().splitlines()
                    header = f"`{shlex.join(argv)}` failed (exit {result.returncode})"
                    return CheckRun(False, log, "\n".join([header, *lines[-OUTPUT_TAIL:]]))
        return CheckRun(True, log)
