"""`.worktreeinclude`: the ignored files a new worktree should have, copied from the main
worktree (gitignore syntax, at the main worktree's top: `.env`, `config/local.yml`).

A file is copied when the main worktree has it, git ignores it, and a pattern of
`.worktreeinclude` names it; one the new worktree has already is never overwritten.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from git_prgroups.git import Git

NAME = ".worktreeinclude"


def included_files(git: Git, main: Path) -> list[str]:
    """The main worktree's ignored files that `.worktreeinclude` names (two git reads,
    whatever the number of worktrees to fill)."""
    patterns = main / NAME
    if not patterns.is_file():
        return []
    named = git.at(main).untracked_matching(patterns)
    return git.at(main).ignored(named) if named else []


def copy_included(main: Path, worktree: Path, files: list[str]) -> list[str]:
    """Copy `files` from the main worktree into `worktree`; those copied."""
    copied = []
    for name in files:
        source, target = main / name, worktree / name
        if target.exists() or target.is_symlink() or not source.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
        copied.append(name)
    return copied
