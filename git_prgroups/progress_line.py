"""The live progress line on a terminal: what runs now, done/total, seconds so far.

Drawn on stderr, rewritten in place (carriage return, erase line); cleared before
each event line is printed and drawn again after it. The face imports this module
only once a step begins on a terminal, so a piped or `--json` run never loads it.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from typing import TextIO

from git_prgroups.events import Progress

TICK = 0.5  # seconds between redraws of the elapsed time
ERASE = "\r\x1b[2K"


class ProgressLine(Progress):
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.RLock()
        self._what: str | None = None
        self._total = 0
        self._done = 0
        self._running: dict[str, None] = {}  # in the order they started
        self._began = 0.0
        self._drawn = False
        self._ticking = threading.Event()

    def begin(self, what: str, total: int = 0) -> None:
        with self._lock:
            self._what, self._total, self._done = what, total, 0
            self._running.clear()
            self._began = time.monotonic()
            self._draw()
        if not self._ticking.is_set():
            self._ticking.set()
            threading.Thread(target=self._tick, daemon=True).start()

    def started(self, item: str) -> None:
        with self._lock:
            self._running[item] = None
            self._draw()

    def finished(self, item: str) -> None:
        with self._lock:
            self._running.pop(item, None)
            self._done += 1
            self._draw()

    def end(self) -> None:
        with self._lock:
            self._what = None
            self._clear()

    def around(self, show: Callable[[], None]) -> None:
        """Print something (an event) without the line getting in its way."""
        with self._lock:
            self._clear()
            show()
            self._draw()

    def text(self, width: int) -> str:
        parts = [self._what or ""]
        if self._total:
            parts[0] += f" {self._done}/{self._total}"
        seconds = f"{time.monotonic() - self._began:.0f} s"
        running = ", ".join(self._running)
        if running:
            parts.append(running)
        line = " · ".join(parts)
        room = width - len(seconds) - 4
        if len(line) > room:
            line = line[: max(room - 1, 0)] + "…"
        return f"{line} · {seconds}"

    def _draw(self) -> None:
        if self._what is None:
            return
        width = shutil.get_terminal_size((80, 24)).columns
        self.stream.write(ERASE + self.text(width))
        self.stream.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write(ERASE)
            self.stream.flush()
            self._drawn = False

    def _tick(self) -> None:
        while True:
            time.sleep(TICK)
            with self._lock:
                self._draw()
