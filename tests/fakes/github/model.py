"""The fake GitHub's data: pull requests, issues, the request log, and the bare origin.

The origin is a real bare git repository standing for GitHub's copy: head SHAs are read from it
live and merges are real git operations on it.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


@dataclass
class FakePR:
    number: int
    title: str
    body: str
    head: str
    base: str
    state: str = "OPEN"
    draft: bool = False
    from_fork: bool = False  # its head is a fork's branch of the same name
    labels: list[str] = field(default_factory=list)
    merge_state_status: str = "BLOCKED"
    auto_merge_method: str | None = None
    checks: str = "SUCCESS"
    merged_at: str | None = None
    merge_commit: str | None = None
    comments: list[str] = field(default_factory=list)
    created_at: str = ""
    closed_at: str | None = None
    auto_merge_enabled_at: str | None = None
    head_oid: str | None = None  # last head SHA seen; frozen once merged
    check_name: str = "ci"  # its one check run, a GitHub Actions job
    check_log: str = ""  # that job's log, as GitHub serves it (timestamped lines)
    reruns: int = 0  # times its failed jobs were asked to run again
    attempts: dict[str, int] = field(default_factory=dict)  # head → its CI run's run_attempt
    branch_updates: int = 0  # times the Update branch button was pressed through the API
    # from the queue: reason, the queue's test merge commit (None after a conflict), and
    # the head it had then (not served: GitHub names the test commit only)
    removals: list[tuple[str, str | None, str]] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)  # asked: logins, or ORG/TEAM
    assignees: list[str] = field(default_factory=list)
    milestone: str | None = None


@dataclass
class FakeIssue:
    number: int
    title: str
    state: str = "OPEN"
    comments: list[str] = field(default_factory=list)
    state_reason: str | None = None
    body: str = ""
    labels: list[str] = field(default_factory=list)
    closed_at: str | None = None
    sub_issues: list[int] = field(default_factory=list)  # an epic's parts, in order
    blocked_by: list[int] = field(default_factory=list)  # issue dependencies


@dataclass(frozen=True)
class Received:
    """One request as the server saw it, for assertions finer than `requests`."""

    method: str
    path: str
    operation: str
    variables: dict[str, Any]
    query: str


class MergeConflict(Exception):
    pass


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_COMMITTER_DATE = "2026-02-12T12:00:00+00:00"
_LOG_FIELDS = ("oid", "subject", "body", "author_name", "author_email", "authored", "committed")


class Origin:
    """Git operations on the bare repository that stands for GitHub's copy."""

    def __init__(self, git_dir: Path, scratch: Path) -> None:
        self.git_dir = git_dir
        self.scratch = scratch
        self._refs: dict[str, str] | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        self.env.update(
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_COMMITTER_NAME="GitHub",
            GIT_COMMITTER_EMAIL="noreply@github.com",
            GIT_COMMITTER_DATE=_COMMITTER_DATE,
        )

    def run(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = ["git", *args] if cwd else ["git", "--git-dir", str(self.git_dir), *args]
        return subprocess.run(
            command, cwd=cwd, env={**self.env, **(env or {})}, capture_output=True, text=True
        )

    def git(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
        done = self.run(*args, cwd=cwd, env=env)
        if done.returncode:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def forget(self) -> None:
        self._refs = None

    def branches(self) -> dict[str, str]:
        """Branch name → SHA, read once per request (one git call however many PRs)."""
        if self._refs is None:
            lines = self.git(
                "for-each-ref", "--format=%(refname:lstrip=2) %(objectname)", "refs/heads"
            ).splitlines()
            self._refs = dict(line.rsplit(" ", 1) for line in lines if line)
        return self._refs

    def log(self, *revisions: str) -> list[dict[str, str]]:
        out = self.git(
            "log",
            "--reverse",
            "--format=%H%x1f%s%x1f%b%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1e",
            *revisions,
            "--",
        )
        return [
            dict(zip(_LOG_FIELDS, r.strip("\n").split("\x1f"), strict=True))
            for r in out.split("\x1e")
            if r.strip()
        ]

    def diff_stat(self, old: str, new: str) -> tuple[int, int, int]:
        """Files changed, lines added and lines removed from `old` to `new`."""
        out = self.git("diff", "--shortstat", old, new)
        counts = [re.search(rf"(\d+) {word}", out) for word in ("file", "insertion", "deletion")]
        files, added, removed = (int(m.group(1)) if m else 0 for m in counts)
        return files, added, removed

    def commits(self, base: str, head: str) -> list[dict[str, str]]:
        """Commits in head and not in base, oldest first."""
        return self.log(f"{base}..{head}")

    def commit(self, sha: str) -> dict[str, str]:
        return self.log("-1", sha)[0] if sha else {}

    def merge(self, *, base: str, head_sha: str, method: str, subject: str, body: str) -> str:
        """Merge head into base the way GitHub does for `method`; returns the new base tip."""
        self.forget()
        base_sha = self.branches()[base]
        tip = self.commit(head_sha)
        author = {
            "GIT_AUTHOR_NAME": tip["author_name"],
            "GIT_AUTHOR_EMAIL": tip["author_email"],
            "GIT_AUTHOR_DATE": _COMMITTER_DATE,
        }
        self.scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.scratch) as tmp:
            work = Path(tmp)
            self.git("clone", "-q", "--shared", "--no-checkout", str(self.git_dir), str(work))
            if method == "MERGE":
                self.git("checkout", "-q", "--detach", base_sha, cwd=work)
                message = ["-m", subject, "-m", body] if body else ["-m", subject]
                step = self.run("merge", "-q", "--no-ff", *message, head_sha, cwd=work, env=author)
            else:
                self.git("checkout", "-q", "--detach", head_sha, cwd=work)
                step = self.run("rebase", "-q", "--force-rebase", base_sha, cwd=work)
            if step.returncode:
                raise MergeConflict(f"{method} of {head_sha[:12]} onto {base} conflicts")
            result = self.git("rev-parse", "HEAD", cwd=work)
            if method == "SQUASH":
                tree, message = f"{result}^{{tree}}", f"{subject}\n\n{body}".strip()
                result = self.git("commit-tree", tree, "-p", base_sha, "-m", message, cwd=work,
                                  env=author)  # fmt: skip
            # A push, not update-ref: the objects live in the scratch clone.
            self.git("push", "-q", "origin", f"{result}:refs/heads/{base}", cwd=work)
        self.forget()
        return result

    def update_branch(self, branch: str, base: str, *, rebase: bool) -> str:
        """The Update branch button: the base brought into `branch` (merged, or the
        branch rebased onto it); returns the branch's new tip."""
        self.forget()
        head, base_sha = self.branches()[branch], self.branches()[base]
        self.scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.scratch) as tmp:
            work = Path(tmp)
            self.git("clone", "-q", "--shared", "--no-checkout", str(self.git_dir), str(work))
            self.git("checkout", "-q", "--detach", head, cwd=work)
            step = (
                self.run("rebase", "-q", base_sha, cwd=work) if rebase
                else self.run("merge", "-q", "--no-ff", "-m", f"Merge branch '{base}' into "
                              f"{branch}", base_sha, cwd=work)
            )  # fmt: skip
            if step.returncode:
                raise MergeConflict(f"{branch} does not update cleanly from {base}")
            result = self.git("rev-parse", "HEAD", cwd=work)
            self.git("push", "-q", "-f", "origin", f"{result}:refs/heads/{branch}", cwd=work)
        self.forget()
        return result

    def test_merge(self, base: str, head_sha: str) -> str | None:
        """The merge queue's test commit of `head_sha` on `base`: a merge of the two
        (its parents the base tip and the head), or None when they conflict."""
        base_sha = self.branches()[base]
        tree = self.run("merge-tree", "--write-tree", base_sha, head_sha)
        if tree.returncode:
            return None
        message = f"Merge queue test of {head_sha[:12]} onto {base}"
        author = {"GIT_AUTHOR_NAME": "GitHub", "GIT_AUTHOR_EMAIL": "noreply@github.com",
                  "GIT_AUTHOR_DATE": _COMMITTER_DATE}  # fmt: skip
        return self.git("commit-tree", tree.stdout.split()[0], "-p", base_sha, "-p", head_sha,
                        "-m", message, env=author)  # fmt: skip

    def is_ancestor(self, old: str, new: str) -> bool:
        return self.run("merge-base", "--is-ancestor", old, new).returncode == 0

    def delete_branch(self, name: str) -> None:
        self.forget()
        self.git("update-ref", "-d", f"refs/heads/{name}")
