"""The embedded forge: pull requests as records beside the repository, landed offline.

Records live in `<git common dir>/prgroups/local-forge.json` (see
docs/local-forge.md). Every change takes an exclusive lock on a file next to it
and replaces the file atomically, so two processes never lose each other's
writes. Auto-merge means what it means on GitHub: an open, armed, non-draft PR
whose checks pass is landed on the remote base with the spec's merge method.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from git_prgroups.forges.base import NewPullRequest, PullRequest

FORMAT_VERSION = 1


class LocalForge:
    name = "local"
    merges_on_its_own = False  # it lands in up, which fetches after each landing

    def __init__(self, records_dir: Path, remote_heads: Callable[[], dict[str, str]]) -> None:
        self.path = records_dir / "local-forge.json"
        self.lock_path = records_dir / "local-forge.lock"
        self.remote_heads = remote_heads  # branch → tip on the remote, as last fetched

    # records

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": FORMAT_VERSION, "pulls": [], "issues": {}}
        return data

    @contextlib.contextmanager
    def _editing(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._load()
            yield data
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            temporary.replace(self.path)

    def pulls(self) -> list[PullRequest]:
        heads = self.remote_heads()
        return [self._pull(record, heads) for record in self._load()["pulls"]]

    def _pull(self, record: dict[str, Any], heads: dict[str, str]) -> PullRequest:
        fields = {k: v for k, v in record.items() if k in PullRequest.__dataclass_fields__}
        if record["state"] == "open":
            fields["head_oid"] = heads.get(record["head"], record.get("head_oid"))
        return PullRequest(**fields)

    # the Forge interface

    def read(self, branches: Sequence[str]) -> dict[str, PullRequest]:
        wanted = set(branches)
        newest: dict[str, PullRequest] = {}
        for pull in self.pulls():
            if pull.head in wanted:
                newest[pull.head] = pull  # records are in creation order
        return newest

    def create(self, request: NewPullRequest) -> PullRequest:
        with self._editing() as data:
            for record in data["pulls"]:
                if record["head"] == request.head and record["state"] == "open":
                    return self._pull(record, self.remote_heads())  # adopt, never duplicate
            number = 1 + max((r["number"] for r in data["pulls"]), default=0)
            pull = PullRequest(
                number=number,
                state="open",
                head=request.head,
                base=request.base,
                title=request.title,
                body=request.body,
                url=f"{self.path.as_uri()}#{number}",
                head_oid=self.remote_heads().get(request.head),
                draft=request.draft,
            )
            record = asdict(pull)
            record.update(labels=list(request.labels), created_at=_now())
            data["pulls"].append(record)
            return pull

    def arm_auto_merge(self, pr: PullRequest, method: str) -> None:
        self._update(pr.number, auto_merge=method)

    def edit(self, pr: PullRequest, *, title: str, body: str) -> None:
        self._update(pr.number, title=title, body=body)

    def issue_states(self, numbers: Sequence[int]) -> dict[int, str]:
        recorded = self._load()["issues"]
        return {n: recorded.get(str(n), {}).get("state", "open") for n in numbers}

    def close_issue(self, number: int, comment: str) -> None:
        with self._editing() as data:
            data["issues"][str(number)] = {
                "state": "closed",
                "comment": comment,
                "closed_at": _now(),
            }

    # landing

    def record_checks(self, pr: PullRequest, result: str, output: str, commit: str) -> None:
        self._update(pr.number, checks=result, checks_output=output, checks_commit=commit)

    def checks_commit(self, pr: PullRequest) -> str | None:
        for record in self._load()["pulls"]:
            if record["number"] == pr.number:
                return record.get("checks_commit")
        return None

    def mark_merged(self, pr: PullRequest, merged_commit: str) -> None:
        self._update(
            pr.number,
            state="merged",
            merged_commit=merged_commit,
            merged_at=_now(),
            head_oid=pr.head_oid,
            conflict=False,
        )

    def mark_conflict(self, pr: PullRequest, base: str, head: str) -> None:
        """`head` does not apply on `base`: remembered, so it is not tried again until
        one of them moves."""
        self._update(pr.number, conflict=True, conflict_seen=[base, head])

    def conflict_seen(self, pr: PullRequest) -> tuple[str, str] | None:
        for record in self._load()["pulls"]:
            if record["number"] == pr.number and record.get("conflict_seen"):
                base, head = record["conflict_seen"]
                return base, head
        return None

    def _update(self, number: int, **changes: Any) -> None:
        with self._editing() as data:
            for record in data["pulls"]:
                if record["number"] == number:
                    record.update(changes)
                    return
            raise KeyError(number)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
