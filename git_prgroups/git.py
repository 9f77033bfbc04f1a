"""Typed git verbs. Commands call these; none of them builds raw argv."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from git_prgroups.proc import Runner


@dataclass(frozen=True)
class Git:
    runner: Runner
    cwd: Path

    def _run(self, *args: str, mutating: bool = False, check: bool = True) -> str:
        return self.runner.run(["git", *args], cwd=self.cwd, mutating=mutating, check=check).stdout

    def main_worktree(self) -> Path | None:
        """The main worktree's top level (the first `git worktree list` shows), or None
        outside a repository or in a bare one."""
        result = self.runner.run(
            ["git", "worktree", "list", "--porcelain", "-z"], cwd=self.cwd, check=False
        )
        if not result.ok:
            return None
        first = result.stdout.split("\0\0", 1)[0].split("\0")
        if "bare" in first or not first[0].startswith("worktree "):
            return None
        return Path(first[0].removeprefix("worktree "))
