"""The one seam through which every git and gh command runs.

Commands are argv lists, never shell strings. The seam cleans the child's
environment, echoes commands under --verbose, records every call (tests count
the mutating ones) and turns a failure into one readable error.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Event, EventKind, command_line
from git_prgroups.launch import start


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    dry_run: bool = False  # not run: a dry run only showed it

    @property
    def ok(self) -> bool:
        return self.returncode == 0


_SECRET_VARIABLES = ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """`text` without the tokens of the environment or credentials inside URLs."""
    for name in _SECRET_VARIABLES:
        secret = os.environ.get(name, "")
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return _URL_CREDENTIALS.sub("***@", text)


class CommandFailed(PrgroupsError):
    def __init__(self, result: Completed, cwd: Path | None = None) -> None:
        self.result = result
        detail = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()
        where = f" (in {cwd})" if cwd else ""
        message = f"`{shlex.join(result.argv)}`{where} failed with exit code {result.returncode}:"
        text = "\n".join([message, *("  " + line for line in detail[-20:])])
        super().__init__(redact(text))


class ToolMissing(PrgroupsError):
    pass


class Halted(KeyboardInterrupt):
    """A command killed by the second Ctrl-C, or not started after it: it ends the run
    as Ctrl-C does, past every handler of errors."""

    def __init__(self, argv: Sequence[str]) -> None:
        super().__init__(f"stopped by Ctrl-C: {shlex.join(argv)}")


class CommandTimedOut(PrgroupsError):
    pass


def _completed(argv: tuple[str, ...], code: int, out: bytes | None, err: bytes | None) -> Completed:
    return Completed(
        argv=argv,
        returncode=code,
        stdout=(out or b"").decode("utf-8", "surrogateescape"),
        stderr=(err or b"").decode("utf-8", "surrogateescape"),
    )


HALT_WAIT = 5.0  # seconds the second Ctrl-C waits for what it killed to be gone


@dataclass
class Runner:
    """Runs commands; one per process, shared by every git and forge verb."""

    verbose: bool = False
    echo: Callable[[str], None] | None = None  # where --verbose shows each command
    calls: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)
    dry_run: bool = False
    # in a dry run, what would have changed something is handed here instead
    would: Callable[[Event], None] | None = None
    # a wait a server asked for (a rate limit): told, and shown while it lasts
    waiting: Callable[[str, dict[str, object]], AbstractContextManager[None]] | None = None
    # Children in a session of their own do not get the terminal's Ctrl-C: watch sets
    # this so that Ctrl-C ends it between steps, never in the middle of a git command.
    shield_children: bool = False
    # cached reads, each with whether it reads refs (and so ends when refs change)
    _cache: dict[tuple[tuple[str, ...], Path | None], tuple[Completed, bool]] = field(
        default_factory=dict
    )
    # Calls may run side by side (the executor's pools): a read that overlapped a change
    # it depends on is not kept. Each change counts once as it begins and once as it
    # ends: every change (`_changes`), and those that end every read (`_mutations`, a
    # fetch is not one), so that a read of no ref made during a fetch is kept.
    _changes: int = 0
    _changing: int = 0
    _mutations: int = 0
    _mutating: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # what runs now, for halt(), each with whether it leads a process group of its own
    # (started in a session of its own: its group goes with it); once halted nothing
    # more starts
    _live: dict[subprocess.Popen[bytes], bool] = field(default_factory=dict)
    _halted: bool = False

    def halt(self) -> None:
        """Kill every command running now, with its children, and start no other: the
        second Ctrl-C. What they leave is a kill's, for the next run to put right."""
        with self._lock:
            self._halted = True
            live = dict(self._live)
        for process, group in live.items():
            with contextlib.suppress(ProcessLookupError):
                if group:
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
        # gone before this returns, so that nothing of the step outlives the run
        deadline = time.monotonic() + HALT_WAIT
        for process, group in live.items():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, deadline - time.monotonic()))
            while group and time.monotonic() < deadline:
                try:
                    os.killpg(process.pid, 0)  # a member of its group is still there
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.01)

    def stop_if_halted(self, what: str) -> None:
        """Raise Halted once the second Ctrl-C halted the run: for work that starts no
        process here (a forge's HTTP request), as a process would not start."""
        if self._halted:
            raise Halted([what])

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        mutating: bool = False,
        check: bool = True,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        cached: bool = False,
        reads_refs: bool = True,
        changes_refs: bool = False,
        interactive: bool = False,
    ) -> Completed:
        """Run `argv`. A `cached` read returns the last result of the same command while
        nothing has been changed since: a `mutating` call ends every cached read, a
        `changes_refs` call (a fetch) only those that `reads_refs`."""
        argv = tuple(argv)
        key = (argv, cwd)
        changing = mutating or changes_refs
        with self._lock:
            hit = self._cache.get(key) if cached else None
            if hit is None and changing and not (mutating and self.dry_run):
                self._begin_change(every_read=mutating)
            seen = self._seen(reads_refs)
        if hit is not None:
            result = hit[0]
        elif mutating and self.dry_run:
            self.calls.append((argv, mutating))
            self.tell_would("would-run", command_line(argv, cwd, stdin), argv=list(argv))
            return Completed(argv, 0, "", "", dry_run=True)
        else:
            try:
                result = self._execute(argv, cwd, stdin, env, timeout, mutating, interactive)
            except BaseException:
                if changing:
                    with self._lock:
                        self._end_change(every_read=mutating)
                raise
            with self._lock:
                if changing:
                    self._end_change(every_read=mutating)
                elif cached and seen == (self._seen(reads_refs)[0], 0):  # nothing it reads changed
                    self._cache[key] = (result, reads_refs)
        if check and not result.ok:
            raise CommandFailed(result, cwd)
        return result

    def _seen(self, reads_refs: bool) -> tuple[int, int]:
        """The changes a read depends on so far, and how many are under way."""
        return (self._changes, self._changing) if reads_refs else (self._mutations, self._mutating)

    def _begin_change(self, *, every_read: bool) -> None:
        self._changes += 1
        self._changing += 1
        if every_read:
            self._mutations += 1
            self._mutating += 1
        self._forget(every_read=every_read)

    def _end_change(self, *, every_read: bool) -> None:
        self._changes += 1
        self._changing -= 1
        if every_read:
            self._mutations += 1
            self._mutating -= 1
        self._forget(every_read=every_read)  # what was read while it ran may be stale

    def _forget(self, *, every_read: bool) -> None:
        """A change (`every_read`) ends every cached read; a fetch, those of refs."""
        if every_read:
            self._cache.clear()
        else:
            self._cache = {k: v for k, v in self._cache.items() if not v[1]}

    def _execute(
        self,
        argv: tuple[str, ...],
        cwd: Path | None,
        stdin: str | None,
        env: Mapping[str, str] | None,
        timeout: float | None,
        mutating: bool,
        interactive: bool = False,
    ) -> Completed:
        self._echo(argv, cwd)
        self.calls.append((argv, mutating))
        pipe = None if interactive else subprocess.PIPE  # an editor needs the terminal
        with self._lock:
            if self._halted:
                raise Halted(argv)
            own_session = self.shield_children and not interactive
            process = start(
                argv, cwd, env, stdin=pipe, stdout=pipe, stderr=pipe, own_session=own_session
            )
            if process is None:
                raise ToolMissing(f"`{argv[0]}` was not found on PATH")
            self._live[process] = own_session
        try:
            out, err = process.communicate(
                stdin.encode() if stdin is not None else None, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise CommandTimedOut(
                f"`{shlex.join(argv)}` did not finish within {timeout:g} s and was stopped"
            ) from None
        finally:
            with self._lock:
                self._live.pop(process, None)
        if self._halted:  # killed by halt(): what it did is not to be acted on
            raise Halted(argv)
        return _completed(argv, process.returncode, out, err)

    def adopt(
        self,
        argv: Sequence[str],
        cwd: Path,
        process: subprocess.Popen[bytes],
        output: Callable[[], tuple[bytes, bytes]],
        *,
        cached: bool = False,
    ) -> Callable[[], Completed]:
        """A read begun before this runner existed (readahead.py), taken on as if it had
        started it: echoed, recorded, stopped by `halt`. Returns what waits for its
        result; a `cached` one is kept as `run(..., cached=True)` keeps a read of
        something no ref changes."""
        argv = tuple(argv)
        self._echo(argv, cwd)
        self.calls.append((argv, False))
        with self._lock:
            if self._halted:  # nothing of a halted run goes on
                process.kill()
            self._live[process] = False  # in the group prgroups itself leads

        def result() -> Completed:
            out, err = output()
            with self._lock:
                self._live.pop(process, None)
                if self._halted:
                    raise Halted(argv)
                completed = _completed(argv, process.returncode, out, err)
                if cached and not self._changes:
                    self._cache.setdefault((argv, cwd), (completed, False))
            return completed

        return result

    def run_logged(
        self, argv: Sequence[str], *, cwd: Path, log: Path, env: Mapping[str, str]
    ) -> int:
        """A command of the user's (`exec`): its output, both streams, written to `log` as
        it comes (to follow with tail -f), no input; its exit code (127: not found)."""
        argv = tuple(argv)
        if self.dry_run:
            self.calls.append((argv, True))
            self.tell_would("would-run", command_line(argv, cwd), argv=list(argv))
            return 0
        self._echo(argv, cwd)
        self.calls.append((argv, True))
        with log.open("wb") as output:
            with self._lock:
                if self._halted:
                    raise Halted(argv)
                process = start(
                    argv, cwd, env, stdin=subprocess.DEVNULL, stdout=output,
                    stderr=subprocess.STDOUT, own_session=self.shield_children,
                )  # fmt: skip
                if process is None:
                    output.write(f"`{argv[0]}` was not found on PATH\n".encode())
                    return 127
                self._live[process] = self.shield_children
            try:
                code = process.wait()
            finally:
                with self._lock:
                    self._live.pop(process, None)
        if self._halted:
            raise Halted(argv)
        return code

    def _echo(self, argv: tuple[str, ...], cwd: Path | None) -> None:
        if self.verbose and self.echo is not None:
            prefix = f"(cd {shlex.quote(str(cwd))} && " if cwd else ""
            self.echo(redact(f"$ {prefix}{shlex.join(argv)}{')' if cwd else ''}"))

    def tell_would(self, kind: EventKind, text: str, **details: object) -> None:
        """In a dry run: what would have been done."""
        if self.would is not None:
            self.would(Event(kind, redact(text), details=details))

    def forget(self) -> None:
        """Drop every cached read: another process may have changed anything since."""
        with self._lock:
            self._changes += 1
            self._mutations += 1
            self._cache.clear()

    @property
    def mutating_calls(self) -> list[tuple[str, ...]]:
        return [argv for argv, mutating in self.calls if mutating]
