"""Ctrl-C in two steps, for the commands that change things.

The first Ctrl-C asks to stop: it is told at once, the step under way finishes (a
worktree made, a check run, a PR opened) and no other starts. The second stops the
step under way as a kill would: every command still running is killed with its
children, and the next run puts right what they left, from the undo records.

Children run in sessions of their own meanwhile, so the terminal's Ctrl-C reaches
prgroups only, never a git half way through its work.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from git_prgroups.errors import ExitCode, PrgroupsError
from git_prgroups.events import Event, Events
from git_prgroups.proc import Runner

ASKED = "stopping after the current step (Ctrl-C again stops it now)"
STOPPED = "stopped by Ctrl-C after the current step: run it again to go on"


class Interrupted(PrgroupsError):
    """Raised between steps once Ctrl-C asked to stop."""

    exit_code = ExitCode.INTERRUPTED


class StopRequest:
    """Whether Ctrl-C asked to stop: the executor, the local forge's checks and watch's
    waits look before each step. One per process, as the signal is."""

    def __init__(self) -> None:
        self._asked = threading.Event()

    @property
    def asked(self) -> bool:
        return self._asked.is_set()

    def ask(self) -> None:
        self._asked.set()

    def check(self) -> None:
        """Between steps: stop here if asked to."""
        if self._asked.is_set():
            raise Interrupted(STOPPED)

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when asked to stop meanwhile."""
        return self._asked.wait(seconds)

    def clear(self) -> None:
        self._asked.clear()


STOP = StopRequest()


@contextlib.contextmanager
def two_step_interrupts(events: Events, runner: Runner) -> Iterator[None]:
    """Ctrl-C as the module says, while the block runs (in the main thread only: the
    only one signals reach)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    told = threading.Event()  # "stopping after the current step" is on the screen

    def tell() -> None:
        events.add(Event("stopping", ASKED))
        told.set()

    def pressed(signum: int, frame: object) -> None:
        if not STOP.asked:
            STOP.ask()
            # told from another thread: this one may be in the middle of printing
            threading.Thread(target=tell, daemon=True).start()
            return
        if not told.is_set():  # the same press, sent twice (`timeout -s INT` signals the
            return  # process, then its group): "Ctrl-C again" means after the answer
        runner.halt()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, pressed)
    shielded, runner.shield_children = runner.shield_children, True
    try:
        yield
        if STOP.asked:  # the steps ended on their own: the run was cut short all the same
            raise Interrupted(STOPPED)
    finally:
        signal.signal(signal.SIGINT, previous)
        runner.shield_children = shielded
        STOP.clear()
