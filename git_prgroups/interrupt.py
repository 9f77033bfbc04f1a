"""Ctrl-C in two steps, for the commands that change things.

The first Ctrl-C asks to stop: it is told at once, the step under way finishes (a
worktree made, a check run, a PR opened) and no other starts. The second stops the
step under way as a kill would: every command still running is killed with its
children, and the next run puts right what they left, from the undo records.

Children run in sessions of their own meanwhile, so the terminal's Ctrl-C reaches
prgroups only, never a git half way through its work.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

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
    waits look before each step. One per process, as the signal is.

    Python answers a signal in the main thread only, once it runs again; the kernel may
    hand SIGINT to a worker thread meanwhile. So the signal also writes its number to a
    socket at once (`signal.set_wakeup_fd`), and a worker about to begin a step sees it
    there before the main thread has answered."""

    def __init__(self) -> None:
        self._asked = threading.Event()
        self._pressed: socket.socket | None = None  # the wakeup socket's reading end

    @property
    def asked(self) -> bool:
        if self._asked.is_set():
            return True
        pressed = self._pressed
        if pressed is None:
            return False
        try:
            waiting = pressed.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, OSError):
            return False
        return signal.SIGINT.value in waiting

    def heard(self) -> None:
        """The main thread answered the signals written so far."""
        with contextlib.suppress(BlockingIOError, OSError):
            while self._pressed is not None and self._pressed.recv(4096, socket.MSG_DONTWAIT):
                pass

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
        told.set()  # from the moment it can be read
        events.add(Event("stopping", ASKED))

    def pressed(signum: int, frame: object) -> None:
        STOP.heard()
        if not STOP._asked.is_set():
            STOP.ask()
            # told from another thread: this one may be in the middle of printing
            threading.Thread(target=tell, daemon=True).start()
            return
        if not told.is_set():  # the same press, sent twice (`timeout -s INT` signals the
            return  # process, then its group): "Ctrl-C again" means after the answer
        # Every command running is killed and none starts after: each step under way ends
        # in Halted where it ran. Raising here instead could land anywhere, a weakref's
        # callback included, where Python drops the exception and the run goes on.
        runner.halt()

    previous = signal.signal(signal.SIGINT, pressed)
    shielded, runner.shield_children = runner.shield_children, True
    reading, writing = socket.socketpair()
    writing.setblocking(False)
    woken = signal.set_wakeup_fd(writing.fileno(), warn_on_full_buffer=False)
    STOP._pressed = reading
    try:
        yield
        if STOP.asked:  # the steps ended on their own: the run was cut short all the same
            raise Interrupted(STOPPED)
    finally:
        signal.set_wakeup_fd(woken)
        STOP._pressed = None
        reading.close()
        writing.close()
        signal.signal(signal.SIGINT, previous)
        runner.shield_children = shielded
        STOP.clear()


# How long the main thread waits for a worker before it looks for a Ctrl-C to answer.
TICK = 0.1
T = TypeVar("T")


def result_of(future: concurrent.futures.Future[T]) -> T:
    """`future.result()`, waking each TICK so that the main thread answers a Ctrl-C the
    kernel handed to a worker thread (it would otherwise wait for the future first)."""
    while True:
        try:
            return future.result(timeout=TICK)
        except concurrent.futures.TimeoutError:
            continue


def each_of(
    pool: concurrent.futures.Executor, work: Callable[..., T], *given: Iterable[object]
) -> list[T]:
    """`list(pool.map(work, *given))`, answering Ctrl-C while it waits."""
    futures = [pool.submit(work, *arguments) for arguments in zip(*given, strict=True)]
    return [result_of(future) for future in futures]


def wait_for(event: threading.Event) -> None:
    """`event.wait()`, answering Ctrl-C while it waits."""
    while not event.wait(TICK):
        pass
