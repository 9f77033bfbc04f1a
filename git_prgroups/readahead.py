"""Reads begun before they are asked for: `status` wants every worktree's state, so the
installed command starts those statuses as soon as it knows the current folder, with
nothing imported but what starts a process. The rest of prgroups (plumbum, the spec,
the pipeline: about 100 ms) loads while they run.

The runner takes them on once it exists (`hand_to`): echoed under --verbose, recorded
with its own calls, stopped by a second Ctrl-C, as if it had started them.
"""

from __future__ import annotations

import os
import subprocess
import threading

from git_prgroups import launch
from git_prgroups.worktree_reads import (
    STATUS_PROCESSES,
    WORKTREE_LIST,
    status_batch,
    worktree_records,
)

TYPE_CHECKING = False  # typing costs 6 ms to import: for the type checker only
if TYPE_CHECKING:
    from git_prgroups.observe import WorktreeStatuses
    from git_prgroups.proc import Runner


class Begun:
    """One read started early, its output collected by a thread of its own (a full pipe
    would stop it until the runner got there)."""

    def __init__(self, argv: tuple[str, ...], cwd: str, process: subprocess.Popen[bytes]) -> None:
        self.argv, self.cwd, self.process = argv, cwd, process
        self._output: tuple[bytes, bytes] = (b"", b"")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, argv: tuple[str, ...], cwd: str) -> Begun | None:
        process = launch.start(argv, cwd, stdin=subprocess.DEVNULL)
        return cls(argv, cwd, process) if process is not None else None

    def _read(self) -> None:
        self._output = self.process.communicate()

    def output(self) -> tuple[bytes, bytes]:
        self._reader.join()
        return self._output


class ReadAhead:
    """The worktree list, read at once, and the statuses of the linked worktrees it
    names, begun in `STATUS_PROCESSES` processes from the main worktree."""

    def __init__(
        self,
        listing: Begun | None,
        main: str | None = None,
        statuses: list[tuple[list[str], Begun]] | None = None,
    ) -> None:
        self.listing = listing
        self.main = main
        self.begun = statuses or []
        self.statuses: WorktreeStatuses | None = None  # once handed to the runner

    @classmethod
    def start(cls, here: str) -> ReadAhead:
        listing = Begun.start(WORKTREE_LIST, here)
        if listing is None:
            return cls(None)
        out, _ = listing.output()
        worktrees = worktree_records(out.decode("utf-8", "surrogateescape"))
        if listing.process.returncode or not worktrees or "bare" in worktrees[0]:
            return cls(listing)  # the command says what is wrong, in its own words
        main = worktrees[0]["worktree"]
        if not os.path.isdir(os.path.join(main, ".git")):
            return cls(listing, main)  # not a batch's case (see `Git.dirty_worktrees`)
        linked = [w["worktree"] for w in worktrees[1:] if os.path.isdir(w["worktree"])]
        begun = []
        for share in (linked[i::STATUS_PROCESSES] for i in range(STATUS_PROCESSES)):
            if share and (process := Begun.start(status_batch(share), main)) is not None:
                begun.append((share, process))
        return cls(listing, main, begun)

    def hand_to(self, runner: Runner) -> WorktreeStatuses:
        """The runner takes on what was begun: the worktree list as its cached read, the
        statuses as those a `WorktreeStatuses` asked (also kept as `self.statuses`)."""
        from pathlib import Path

        from git_prgroups.git import Git
        from git_prgroups.observe import WorktreeStatuses

        if self.listing is not None:
            here = Path(self.listing.cwd)
            listed = runner.adopt(
                self.listing.argv, here, self.listing.process, self.listing.output, cached=True
            )
            listed()  # done already: kept for `Git.worktrees`
        git = Git(runner, Path(self.main if self.main is not None else os.getcwd()))
        statuses = WorktreeStatuses(git)
        for share, begun in self.begun:
            result = runner.adopt(begun.argv, git.cwd, begun.process, begun.output)
            statuses.take([Path(p) for p in share], result)
        self.statuses = statuses
        return statuses
