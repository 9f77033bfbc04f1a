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
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Literal

from git_prgroups.errors import PrgroupsError
from git_prgroups.forges.local import LocalForge
from git_prgroups.proc import Completed, Runner

Moment = Literal["before", "during", "in-transaction", "after"]

# git's reference-transaction hook runs once a ref transaction is prepared: its locks
# are held and, when packed refs are rewritten, `packed-refs.new` is written but not
# yet renamed. The probe notes the steps that get there with packed refs rewritten;
# armed, it stops git there, so the harness kills at that moment on purpose.
PROBE = """#!/bin/sh
[ "$1" = prepared ] && [ -e "{common}/packed-refs.new" ] || exit 0
cat "{marks}/step" >> "{marks}/packed" 2>/dev/null
[ -e "{marks}/armed" ] || exit 0
: > "{marks}/reached"
exec sleep 600
"""


class TransactionProbe:
    """The probe in a repository's hooks, and the folder it leaves its marks in."""

    def __init__(self, common_dir: Path, marks: Path) -> None:
        self.marks = marks
        marks.mkdir(parents=True, exist_ok=True)
        hook = common_dir / "hooks" / "reference-transaction"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text(PROBE.format(common=common_dir, marks=marks))
        hook.chmod(0o755)

    def entering(self, step: int) -> None:
        (self.marks / "step").write_text(f"{step}\n")

    def packed_steps(self) -> list[int]:
        """The steps of the last counted run that rewrote packed refs."""
        found = self.marks / "packed"
        steps = sorted({int(line) for line in found.read_text().split()}) if found.exists() else []
        self.reset()
        return steps

    def arm(self) -> None:
        (self.marks / "armed").write_text("")

    def reached(self) -> bool:
        return (self.marks / "reached").exists()

    def reset(self) -> None:
        for name in ("armed", "reached", "packed", "step"):
            (self.marks / name).unlink(missing_ok=True)


def kill_points(
    what: list[tuple[str, ...]],
    *,
    only: Callable[[tuple[str, ...]], bool] = lambda argv: True,
    moments: tuple[Moment, ...] = ("during", "after"),
    packed: Collection[int] = (),
    during: Callable[[tuple[str, ...]], bool] = lambda argv: argv != (),
) -> list[tuple[int, Moment]]:
    """Before the first step, then during and after each step (each that `only` picks, at
    the `moments` given), and inside the ref transaction of each step that rewrites
    packed refs (`packed`). Before step k the disk is as after step k-1: every change
    is a step. "During" only for the steps `during` picks: by default not a record
    write of the local forge, which is written whole and renamed (a kill in it leaves
    the disk as after the step before it, a kill point of its own)."""
    return [(1, "before")] + [
        (k, moment)
        for k, argv in enumerate(what, 1)
        if only(argv)
        for moment in (*moments, *(("in-transaction",) if k in packed else ()))
        if moment != "during" or during(argv)
    ]


PR_SET_CHILD_SUBREAPER = 36
INSIDE_A_CALL = 0.005  # seconds after a call starts that a "during" kill lands


def die() -> None:
    os.killpg(0, signal.SIGKILL)


class CountingRunner(Runner):
    """Counts changing steps; the local forge's record writes count as steps too. Steps
    may run side by side (the executor's pools): each is numbered as it begins."""

    def __init__(self, probe: TransactionProbe | None = None) -> None:
        super().__init__()
        self.steps = 0
        self.what: list[tuple[str, ...]] = []  # each step's argv; () for a record write
        self.probe = probe
        self._numbering = threading.Lock()

    def begin_step(self, argv: tuple[str, ...]) -> int:
        with self._numbering:
            self.steps += 1
            self.what.append(argv)
            if self.probe is not None and argv:
                self.probe.entering(self.steps)
            return self.steps

    def step(self, k: int, moment: Moment) -> None:
        """Called at each moment of changing step k."""

    def _execute(self, argv, cwd, stdin, env, timeout, mutating, interactive=False) -> Completed:
        if not mutating:
            return super()._execute(argv, cwd, stdin, env, timeout, mutating, interactive)
        k = self.begin_step(argv)
        self.step(k, "before")
        self.step(k, "during")
        done = super()._execute(argv, cwd, stdin, env, timeout, mutating, interactive)
        self.step(k, "after")
        return done

    @contextlib.contextmanager
    def counting_record_writes(self) -> Iterator[None]:
        original = LocalForge._editing
        runner = self

        @contextlib.contextmanager
        def editing(forge: LocalForge) -> Iterator[dict]:
            k = runner.begin_step(())
            runner.step(k, "before")
            with original(forge) as records:
                yield records
                runner.step(k, "during")  # changed in memory, not yet written
            runner.step(k, "after")

        LocalForge._editing = editing  # type: ignore[method-assign]
        try:
            yield
        finally:
            LocalForge._editing = original  # type: ignore[method-assign]


class KillingRunner(CountingRunner):
    def __init__(self, at: int, moment: Moment, probe: TransactionProbe | None = None) -> None:
        super().__init__(probe)
        self.at, self.moment = at, moment

    def step(self, k: int, moment: Moment) -> None:
        if k != self.at:
            return
        if moment == self.moment == "during":
            threading.Timer(INSIDE_A_CALL, die).start()
        elif (moment, self.moment) == ("before", "in-transaction"):
            assert self.probe is not None
            self.probe.arm()
            threading.Thread(target=self._die_in_the_transaction, daemon=True).start()
        elif moment == self.moment or (moment, self.moment) in (
            ("after", "during"),  # a call quicker than INSIDE_A_CALL dies as it ends
            ("after", "in-transaction"),  # not reached: reported by the harness
        ):
            die()

    def _die_in_the_transaction(self) -> None:
        assert self.probe is not None
        while not self.probe.reached():
            time.sleep(0.001)
        die()


class FailingRunner(Runner):
    """The k-th call of any kind (of those `only` picks) fails, as a full disk or a dead
    network would make it. `distinct`: of the calls that change nothing, only the first
    of each kind counts (`git status` in seven worktrees is one way to fail, not seven)."""

    def __init__(
        self, at: int, only: Callable[[tuple[str, ...]], bool] = lambda argv: True,
        *, distinct: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        self.at, self.count, self.only = at, 0, only
        self.distinct, self.kinds = distinct, set[tuple[str, ...]]()
        self.counted: list[tuple[str, ...]] = []  # the calls that count, in order
        self._numbering = threading.Lock()

    def _counts(self, argv: tuple[str, ...], mutating: bool) -> bool:
        if not self.only(argv):
            return False
        if not self.distinct or mutating:
            return True
        kind = tuple(a for a in argv[:3] if not a.startswith("-"))
        new = kind not in self.kinds
        self.kinds.add(kind)
        return new

    def _execute(self, argv, cwd, stdin, env, timeout, mutating, interactive=False) -> Completed:
        with self._numbering:  # calls may run side by side
            counted = self._counts(argv, mutating)
            self.count += counted
            if counted:
                self.counted.append(argv)
            failing = self.count == self.at and counted
        if failing:
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


def count_steps(
    command: Callable[[Runner], None], probe: TransactionProbe | None = None
) -> list[tuple[str, ...]]:
    """Each changing step of `command`, in order: its argv, or () for a record write."""
    runner = CountingRunner(probe)
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
