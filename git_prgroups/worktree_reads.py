"""Two reads of the worktrees as argv and parsers that need only the standard library:
`git worktree list` and the batched `git status` of many worktrees.

git.py runs them through the runner; the read-ahead (readahead.py) starts them before
the rest of prgroups is imported.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs 6 ms to import: for the type checker only
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TypeVar

    Folder = TypeVar("Folder", bound="str | os.PathLike[str]")

WORKTREE_LIST = ("git", "worktree", "list", "--porcelain", "-z")
_STATUS_OF = "prgroups.statusof"
STATUS_PROCESSES = 2  # batches side by side: one a core on the machines most people have


def worktree_records(text: str) -> list[dict[str, str]]:
    """Each worktree of `git worktree list --porcelain -z` as its fields (`worktree`,
    `HEAD`, `branch`, `bare`, `locked`, `prunable`, ...), the main worktree first."""
    records = []
    for block in text.split("\0\0"):
        fields = [f for f in block.split("\0") if f]
        if fields and fields[0].startswith("worktree "):
            records.append(dict(field.partition(" ")[::2] for field in fields))
    return records


def main_worktree(records: list[dict[str, str]]) -> str | None:
    """The main worktree's top level, first of `worktree_records`: None in a bare
    repository (or when there is none)."""
    if not records or "bare" in records[0]:
        return None
    return records[0]["worktree"]


def can_batch_from(folder: str | os.PathLike[str]) -> bool:
    """Whether `status_batch` may run in `folder`. git hands its own git directory to
    what `for-each-repo` runs: from a linked worktree that is an absolute path, and
    every status would read that worktree's index. From the top of a main worktree
    whose `.git` is a folder it is `.git`, which each worktree resolves to its own."""
    return os.path.isdir(os.path.join(folder, ".git"))


def shares(worktrees: Sequence[Folder]) -> list[list[Folder]]:
    """The worktrees dealt to `STATUS_PROCESSES` batches, none empty."""
    dealt = [list(worktrees[i::STATUS_PROCESSES]) for i in range(STATUS_PROCESSES)]
    return [share for share in dealt if share]


def batchable(worktrees: Sequence[Folder]) -> list[Folder]:
    """The worktrees a batch can ask: each path travels in a config value, one a line."""
    return [w for w in worktrees if "\n" not in str(w)]


def status_batch(worktrees: Sequence[Folder]) -> tuple[str, ...]:
    """One git process that runs `git status` in each worktree, in order
    (`for-each-repo`), asking nothing it would take a lock for."""
    config = [arg for w in batchable(worktrees) for arg in ("-c", f"{_STATUS_OF}={w!s}")]
    return (
        "git", "--no-optional-locks", "-c", "core.preloadIndex=false", *config, "for-each-repo",
        f"--config={_STATUS_OF}", "status",
        "--porcelain=v2", "-z", "--branch", "--no-ahead-behind", "--untracked-files=normal",
    )  # fmt: skip


def dirty_in_batch(stdout: str, worktrees: Sequence[Folder]) -> dict[Folder, bool]:
    """Whether each worktree `status_batch` asked is dirty (uncommitted changes or
    untracked files), as far as its output goes: a status that failed ends it."""
    blocks: list[bool] = []
    for record in stdout.split("\0"):
        if record.startswith("# branch.oid "):
            blocks.append(False)
        elif record and not record.startswith("#") and blocks:
            blocks[-1] = True
    return dict(zip(batchable(worktrees), blocks, strict=False))
