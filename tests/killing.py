"""The kill harness: a command run in a forked child that SIGKILLs its own process group
at its k-th changing step, or a run whose k-th call fails.

A changing step is a git or gh call that changes something, or a write of the local
forge's records. SIGKILL goes to the whole group, so the child's threads and every
git it started die with it, as they do when a terminal is closed: nothing of ours
gets to clean up. A kill "during" a call lands a few milliseconds after the call
starts, usually inside git.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from git_prgroups.errors import PrgroupsError
from git_prgroups.forges.local import LocalForge
from git_prgroups.proc import Completed, Runner

Moment = Literal["before", "during", "after"]


def kill_points(
    what: list[tuple[str, ...]],
    *,
    only: Callable[[tuple[str, ...]], bool] = lambda argv: True,
    moments: tuple[Moment, ...] = ("during", "after"),
) -> list[tuple[int, Moment]]:
    """Before the first step, then during and after each step (each that `only` picks, at
    the `moments` given). Before step k the disk is as after step k-1: every change is a
    step."""
    return [(1, "before")] + [
        (k, moment) for k, argv in enumerate(what, 1) if only(argv) for moment in moments
    ]


PR_SET_CHILD_SUBREAPER = 36
INSIDE_A_CALL = 0.005  # seconds after a call starts that a "during" kill lands


def die() -> None:
    os.killpg(0, signal.SIGKILL)


class CountingRunner(Runner):
    """Counts changing steps; the local forge's record writes count as steps too."""

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0
        self.what: list[tuple[str, ...]] = []  # each step's argv; () for a record write

    def step(self, moment: Moment) -> None:
        """Called at each moment of each changing step."""

    def _execute(self, argv, cwd, stdin, env, timeout, mutating, interactive=False) -> Completed:
        if not mutating:
            return super()._execute(argv, cwd, stdin, env, timeout, mutating, interactive)
        self.steps += 1
        self.what.append(argv)
        self.step("before")
        self.step("during")
        done = super()._execute(argv, cwd, stdin, env, timeout, mutating, interactive)
        self.step("after")
        return done

    @contextlib.contextmanager
    def counting_record_writes(self) -> Iterator[None]:
        original = LocalForge._editing
        runner = self

        @contextlib.contextmanager
        def editing(forge: LocalForge) -> Iterator[dict]:
            runner.steps += 1
            runner.what.append(())
            runner.step("before")
            with original(forge) as records:
                yield records
                runner.step("during")  # changed in memory, not yet written
            runner.step("after")

        LocalForge._editing = editing  # type: ignore[method-assign]
        try:
            yield
        finally:
            LocalForge._editing = original  # type: ignore[method-assign]


class KillingRunner(CountingRunner):
    def __init__(self, at: int, moment: Moment) -> None:
        super().__init__()
        self.at, self.moment = at, moment

    def step(self, moment: Moment) -> None:
        if self.steps != self.at:
            return
        if moment == self.moment == "during":
            threading.Timer(INSIDE_A_CALL, die).start()
        elif moment == self.moment or (moment, self.moment) == ("after", "during"):
            die()  # a call quicker than INSIDE_A_CALL dies as it ends


class FailingRunner(Runner):
    """The k-th call of any kind (of those `only` picks) fails, as a full disk or a dead
    network would make it."""

    def __init__(
        self, at: int, only: Callable[[tuple[str, ...]], bool] = lambda argv: True
    ) -> None:
        super().__init__()
        self.at, self.count, self.only = at, 0, only

    def _execute(self, argv, cwd, stdin, env, timeout, mutating, interactive=False) -> Completed:
        self.count += self.only(argv)
        if self.count == self.at and self.only(argv):
            self.calls.append((argv, mutating))
            return Completed(argv, 128, "", f"fatal: injected failure of call {self.at}\n")
        return super()._execute(argv, cwd, stdin, env, timeout, mutating, interactive)


def run_killed(command: Callable[[Runner], None], runner: KillingRunner) -> bool:
    """Run `command` in a child in a process group of its own; True when it was killed,
    False when it finished before step k.

    The test process adopts the child's orphans (a subreaper) and reaps them, as a
    desktop's init would at once: a container's first process can take seconds, and a
    killed group is not gone while its zombies wait."""
    _adopt_orphans(True)
    try:
        return _run_killed(command, runner)
    finally:
        _adopt_orphans(False)


def _adopt_orphans(on: bool) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)


def _run_killed(command: Callable[[Runner], None], runner: KillingRunner) -> bool:
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        code = 0
        try:
            os.setsid()
            with runner.counting_record_writes():
                command(runner)
        except PrgroupsError:
            code = 1
        except BaseException:
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(ChildProcessError):
        while True:
            # the orphans of its group, all killed with it, and those in sessions of their
            # own that outlive it (the origin's receive-pack finishing a push, as a server
            # would before the person runs the command again)
            os.waitpid(-1, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) in (0, 1), f"the child failed unexpectedly: {status}"
    return False


def count_steps(command: Callable[[Runner], None]) -> list[tuple[str, ...]]:
    """Each changing step of `command`, in order: its argv, or () for a record write."""
    runner = CountingRunner()
    with runner.counting_record_writes():
        command(runner)
    return runner.what


def archive(folder: Path, to: Path) -> Path:
    with tarfile.open(to, "w") as tar:
        tar.add(folder, arcname=".")
    return to


def restore(folder: Path, archived: Path) -> None:
    """Put `folder` back as archived, in place: worktrees record absolute paths."""
    shutil.rmtree(folder)
    folder.mkdir()
    with tarfile.open(archived) as tar:
        tar.extractall(folder, filter="fully_trusted")
