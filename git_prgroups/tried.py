"""What `try` found, kept by content: the verdict of each combination checked (its
digest: the base, each head in order, the checks), so that a combination already
tried is not run again, and `status` can say how the last one went."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

Outcome = Literal["ok", "fails", "conflict"]


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    base: str
    members: tuple[str, ...]
    culprit: str | None = None  # the member whose addition breaks it (or conflicts)
    partner: str | None = None  # of a conflict: the member it clashes with, where one does
    files: tuple[str, ...] = ()  # of a conflict: the files
    log: str | None = None  # the failing check run's log
    tail: str = ""  # its last lines


@dataclass
class Tried:
    """The verdicts, by digest, and the digest of the last whole combination tried."""

    path: Path
    verdicts: dict[str, Verdict] = field(default_factory=dict)  # whole and prefixes
    last: str | None = None

    @classmethod
    def load(cls, path: Path) -> Tried:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return cls(path)
        verdicts = {
            digest: Verdict(**{**v, "members": tuple(v["members"]), "files": tuple(v["files"])})
            for digest, v in data.get("verdicts", {}).items()
        }
        return cls(path, verdicts, data.get("last"))

    def save(self) -> None:
        """Written whole to a file beside, then renamed: a kill leaves the old or the new."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"last": self.last, "verdicts": {d: asdict(v) for d, v in self.verdicts.items()}}
        fresh = self.path.with_suffix(".json.new")
        fresh.write_text(json.dumps(data, indent=1), encoding="utf-8")
        fresh.replace(self.path)
