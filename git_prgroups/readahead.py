"""Reads begun before they are asked for: `status` wants every worktree's state, so the
installed command starts those statuses as soon as it knows the current folder, with
nothing imported but what starts a process. The rest of prgroups (plumbum, the
pipeline, the spec: about 70 ms) loads while they run.

The runner takes them on once it exists (`hand_to`): echoed under --verbose, recorded
with its own calls, stopped by a second Ctrl-C, as if it had started them. What it
never takes on (the command line asked for help, or was wrong) is stopped at exit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading

from git_prgroups import launch
from git_prgroups.worktree_reads import (
    WORKTREE_LIST,
    can_batch_from,
    main_worktree,
    shares,
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
        """None when its program is missing: the runner says so, in its own words."""
        process = launch.start(argv, cwd, stdin=subprocess.DEVNULL)
        return cls(argv, cwd, process) if process is not None else None

    def _read(self) -> None:
        self._output = self.process.communicate()

    def output(self) -> tuple[bytes, bytes]:
        self._reader.join()
        return self._output


class ReadAhead:
    """The worktree list, read at once, and the statuses of the linked worktrees it
    names, begun from the main worktree (see `status_batch`)."""

    def __init__(
        self,
        listing: Begun | None,
        main: str | None = None,
        begun: list[tuple[list[str], Begun]] | None = None,
    ) -> None:
        self.listing = listing
        self.main = main
        self.begun = begun or []
        self.statuses: WorktreeStatuses | None = None  # once handed to a runner

    @classmethod
    def start(cls, here: str) -> ReadAhead:
        listing = Begun.start(WORKTREE_LIST, here)
        if listing is None:
            return cls(None)
        out, _ = listing.output()
        if listing.process.returncode:  # the command says what is wrong, in its own words
            return cls(listing)
        worktrees = worktree_records(out.decode("utf-8", "surrogateescape"))
        main = main_worktree(worktrees)
        if main is None or not can_batch_from(main):
            return cls(listing, main)  # each asked alone, once the paths are known
        linked = [w["worktree"] for w in worktrees[1:] if os.path.isdir(w["worktree"])]
        begun = [(share, Begun.start(status_batch(share), main)) for share in shares(linked)]
        return cls(listing, main, [(share, b) for share, b in begun if b is not None])

    def hand_to(self, runner: Runner) -> None:
        """The runner takes on what was begun, once: the worktree list as its cached
        read, the statuses as those `self.statuses` asked."""
        from pathlib import Path

        from git_prgroups.git import Git
        from git_prgroups.observe import WorktreeStatuses

        if self.statuses is not None:
            return
        if self.listing is not None:
            listed = runner.adopt(
                self.listing.argv,
                Path(self.listing.cwd),
                self.listing.process,
                self.listing.output,
                cached=True,
            )
            listed()  # done already: kept for `Git.main_worktree` and `Git.worktrees`
        git = Git(runner, Path(self.main if self.main is not None else os.getcwd()))
        self.statuses = WorktreeStatuses(git)
        for share, begun in self.begun:
            result = runner.adopt(begun.argv, git.cwd, begun.process, begun.output)
            self.statuses.take([Path(p) for p in share], result)

    def abandon(self) -> None:
        """Stop what no runner took on."""
        if self.statuses is None:
            for _, begun in self.begun:
                with contextlib.suppress(ProcessLookupError):
                    begun.process.kill()
                begun.output()  # reaped: gone with the run
