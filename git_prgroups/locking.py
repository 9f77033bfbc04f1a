"""One changing command at a time per repository.

The lock is an `flock` on `<git common dir>/prgroups/lock`. The kernel drops it
when its holder dies, however it dies, so a lock left by a killed run never
blocks the next one. The holder writes who it is into the file, so a run that
gives up waiting can say who holds it, and empties it when it ends: a run that
finds it filled knows the last holder was killed, and which one.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from git_prgroups.errors import PrgroupsError

DEFAULT_WAIT = 60.0  # seconds; PRGROUPS_LOCK_WAIT changes it
POLL = 0.1


class LockBusy(PrgroupsError):
    pass


@dataclass(frozen=True)
class KilledRun:
    """A holder that died without letting go: its process group and when it began."""

    pid: int
    group: int
    began: float
    what: str


_HOLDER = re.compile(r"pid (\d+), group (\d+), began ([\d.]+), `git prgroups (.*)`")


def lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("PRGROUPS_LOCK_WAIT", DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


@contextlib.contextmanager
def repository_lock(
    folder: Path,
    what: str,
    *,
    wait: float | None = None,
    say: Callable[[str], None] | None = None,
) -> Iterator[KilledRun | None]:
    """Hold the repository's lock while the block runs, waiting up to `wait` seconds;
    the block gets the last holder if it was killed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lock"
    wait = lock_wait() if wait is None else wait
    with path.open("a+") as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"another git prgroups run holds {path} ({_holder(path)}); waited "
                        f"{wait:g} s: let it finish, or stop it, then run this again"
                    ) from None
                if not told and say is not None:
                    say(f"waiting for another git prgroups run ({_holder(path)})")
                    told = True
                time.sleep(POLL)
        handle.seek(0)
        killed = _killed_run(handle.read())
        handle.seek(0)
        handle.truncate()
        now = time.time()
        since = datetime.datetime.fromtimestamp(now).strftime("%H:%M:%S")
        handle.write(
            f"pid {os.getpid()}, group {os.getpgrp()}, began {now:.3f}, "
            f"`git prgroups {what}`, since {since}\n"
        )
        handle.flush()
        ended = False
        try:
            yield killed
            ended = True
        except PrgroupsError:
            ended = True  # said what went wrong; git's own failures clean up after themselves
            raise
        finally:
            if ended:  # interrupted (Ctrl-C reaches git too): the record stays for the next
                handle.seek(0)
                handle.truncate()
                handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_held(path: Path) -> bool:
    """Whether a run (this one included) holds the lock at `path` now."""
    try:
        handle = path.open("r")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _holder(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError:
        text = ""
    return re.sub(r", group \d+, began [\d.]+", "", text) or "who, it did not say"


def _killed_run(text: str) -> KilledRun | None:
    found = _HOLDER.match(text)
    if not found:
        return None
    pid, group, began, what = found.groups()
    return KilledRun(int(pid), int(group), float(began), what)
