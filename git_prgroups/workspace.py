"""Find the repository's main worktree and the spec that belongs to it."""

from __future__ import annotations

from pathlib import Path

from git_prgroups.errors import UsageError
from git_prgroups.git import Git
from git_prgroups.proc import Runner
from git_prgroups.spec import SPEC_NAME, Spec
from git_prgroups.specfile import load_spec


def locate_spec(explicit: Path | None, cwd: Path, runner: Runner) -> tuple[Path, Path]:
    """The spec file and the root its relative paths start from.

    Without `explicit`, the spec is the main worktree's prgroups.toml, whichever
    worktree or subdirectory `cwd` is in, so a stale copy in an entry's worktree
    never wins.
    """
    root = Git(runner, cwd).main_worktree()
    if explicit is not None:
        spec = explicit if explicit.is_absolute() else cwd / explicit
        return spec, root or spec.resolve().parent
    if root is None:
        raise UsageError(
            f"{cwd} is not inside a git repository with a worktree: run git prgroups "
            "from your repository, or pass --spec PATH"
        )
    spec = root / SPEC_NAME
    if not spec.is_file():
        raise UsageError(
            f"no {SPEC_NAME} in {root} (the main worktree of this repository, where the "
            f"spec lives): start one with `git prgroups init`, or pass --spec PATH"
        )
    return spec, root


def load_workspace_spec(explicit: Path | None, cwd: Path, runner: Runner) -> Spec:
    spec_path, root = locate_spec(explicit, cwd, runner)
    return load_spec(spec_path, root)
