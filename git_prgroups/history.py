"""What runs saw happen, kept for the report: the PRs opened, the checks seen failing
(once per PR head), the rebases sync did, the landings and merges. One JSON object per
line in the repository's prgroups folder, appended as each event is told; a line cut
short by a kill is skipped when read."""

from __future__ import annotations

import datetime
import json
import threading
from pathlib import Path
from typing import Any

from git_prgroups.events import Event

KEPT = frozenset({"opened", "failing", "rerun", "synced", "landed", "merged"})


class History:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, event: Event) -> None:
        if event.kind not in KEPT:
            return
        line = {
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "event": event.kind,
            "entry": event.entry,
            "pr": event.pr,
        }
        if "head" in event.details:
            line["head"] = event.details["head"]
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as kept:
                kept.write(json.dumps(line) + "\n")

    def read(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        seen = []
        for line in text.splitlines():
            try:
                seen.append(json.loads(line))
            except json.JSONDecodeError:  # the last line of a run that was killed
                continue
        return seen
