"""Undo records: what a risky step under way needs the next run to finish or undo.

The executor writes one before a worktree is made or removed and before a rebase or
merge; the local forge writes one before it makes its landing worktree. Each is
removed once its step has ended. Recovery reads those left by a run that was killed
or stopped half way (recovery.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from git_prgroups.model import BranchName, Sha

UndoKind = Literal["add-worktree", "rebase", "merge", "remove-worktree", "scratch-worktree"]


@dataclass(frozen=True)
class UndoRecord:
    """A risky step under way, written before it starts and removed once it has ended:
    what the next run needs to finish or undo it after a kill.

    `path` is the worktree the step works in. For a rebase or merge, `tip` is the
    branch's tip before and `onto` the commit brought in; for a removal, `tip` is the
    worktree's commit (what its files may be). `began` is when the step began: files
    written since then are the step's own."""

    kind: UndoKind
    path: Path
    branch: BranchName | None = None
    tip: Sha | None = None
    onto: Sha | None = None
    began: float = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self) | {"path": str(self.path)})

    @classmethod
    def from_json(cls, text: str) -> UndoRecord:
        data = json.loads(text)
        return cls(**(data | {"path": Path(data["path"])}))


@dataclass(frozen=True)
class Journal:
    """The undo records of the steps under way, one file each."""

    folder: Path

    def _file(self, record: UndoRecord) -> Path:
        digest = hashlib.sha256(str(record.path).encode()).hexdigest()[:16]
        return self.folder / f"{record.kind}-{digest}.json"

    @contextlib.contextmanager
    def noting(self, record: UndoRecord) -> Iterator[UndoRecord]:
        """The record is on disk while the block runs and gone once it has ended; a
        block that raises leaves it for the next run to look at."""
        record = self.note(record)
        yield record
        self.forget(record)

    def note(self, record: UndoRecord) -> UndoRecord:
        """Write the record (whole, or not at all), stamped with the time it began."""
        record = UndoRecord(**(asdict(record) | {"began": time.time()}))
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._file(record)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(record.to_json(), encoding="utf-8")
        temporary.replace(path)
        return record

    def pending(self) -> list[UndoRecord]:
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                found.append(UndoRecord.from_json(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError, KeyError):
                path.unlink(missing_ok=True)  # cut short as it was written: nothing began
        return found

    def forget(self, record: UndoRecord) -> None:
        self._file(record).unlink(missing_ok=True)
