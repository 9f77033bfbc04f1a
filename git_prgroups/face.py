"""The face: events as text lines for people or JSON lines for programs, on the streams.

The only place, with cli.py, that prints.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import TYPE_CHECKING, TextIO

from git_prgroups.events import Event, Progress, event_json, event_line
from git_prgroups.output import Page, Style

if TYPE_CHECKING:
    from git_prgroups.progress_line import ProgressLine


_WRITING = threading.Lock()


def write_line(stream: TextIO, line: str) -> None:
    """`line` in one write: lines from steps that run side by side never share one, as
    print's, which writes the end apart, may."""
    with _WRITING:
        stream.write(line + "\n")
        stream.flush()


def to_stderr(line: str) -> None:
    """Where --verbose shows each command as it runs."""
    write_line(sys.stderr, line)


_COMMANDS = frozenset({"would-run", "moved"})  # to copy and paste: kept whole
_STYLES = {"done": "green", "landed": "green", "merged": "green", "blocked": "dim"}


class Face:
    def __init__(
        self,
        *,
        as_json: bool = False,
        style: Style | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.as_json = as_json
        self.style = style or Style()
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.page = Page.of(self.out)
        self.progress: Progress = (
            _LiveProgress(self.err) if not as_json and _terminal(self.out, self.err)
            else Progress()
        )  # fmt: skip

    def show(self, event: Event) -> None:
        if self.as_json:
            write_line(self.out, event_json(event))
            return
        if isinstance(self.progress, _LiveProgress) and self.progress.line is not None:
            self.progress.line.around(lambda: self._print(event))
        else:
            self._print(event)

    def _print(self, event: Event) -> None:
        line = event_line(event)
        if event.kind not in _COMMANDS:  # run elsewhere: its paths must stay whole
            line = self.page.fit(line)
        if event.needs_you:
            line = self.style(line, "red")
        elif event.kind in _STYLES:
            line = self.style(line, _STYLES[event.kind])
        # waiting for another run's lock is news about the run, not its result
        write_line(self.err if event.kind == "lock-wait" else self.out, line)

    def finish(self, code: int) -> None:
        """The last JSON line: how the run ended."""
        if self.as_json:
            summary = {"event": "exit", "entry": None, "pr": None, "message": "",
                       "needs_you": code == 1, "details": {"code": code}}  # fmt: skip
            write_line(self.out, json.dumps(summary))

    def error(self, message: str, code: int) -> None:
        write_line(self.err, f"error: {message}")
        if self.as_json:
            summary = {"event": "error", "entry": None, "pr": None, "message": message,
                       "needs_you": True, "details": {"code": code}}  # fmt: skip
            write_line(self.out, json.dumps(summary, ensure_ascii=False))


def _terminal(*streams: TextIO) -> bool:
    return all(getattr(stream, "isatty", lambda: False)() for stream in streams)


class _LiveProgress(Progress):
    """The progress line, its module imported when the first step begins."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.line: ProgressLine | None = None

    def begin(self, what: str, total: int = 0) -> None:
        if self.line is None:
            from git_prgroups.progress_line import ProgressLine

            self.line = ProgressLine(self.stream)
        self.line.begin(what, total)

    def started(self, item: str) -> None:
        if self.line is not None:
            self.line.started(item)

    def finished(self, item: str) -> None:
        if self.line is not None:
            self.line.finished(item)

    def end(self) -> None:
        if self.line is not None:
            self.line.end()
