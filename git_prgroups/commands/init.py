"""`git prgroups init`: a starter spec a user edits."""

from __future__ import annotations

from pathlib import Path

from git_prgroups.errors import UsageError
from git_prgroups.git import Git
from git_prgroups.proc import Runner
from git_prgroups.spec import SPEC_NAME
from git_prgroups.specfile import parse_spec

STARTER = """\
# prgroups.toml: the pull requests to ship, one [pr.NAME] table each.
# `git prgroups plan` shows the groups; `git prgroups --help` lists the commands.

[defaults]
base = "main"                  # PRs start from REMOTE/BASE
remote = "origin"
worktree = "../{repo}-{name}"  # where each entry's worktree goes ({repo}, {name}, {branch})
merge = "rebase"               # auto-merge method: rebase, squash or merge
# labels = ["refactor"]
# epic = 403
# checks = ["pytest -q"]       # run in each worktree before a local PR lands

[pr.first-fix]
title = "fix: the first thing to fix"
issues = [1]                   # the branch becomes 1-first-fix

[pr.follow-up]
type = "docs"
scope = "readme"
summary = "describe the first fix"
issues = [2]
after = ["first-fix"]          # started once first-fix has merged
"""


def write_starter_spec(explicit: Path | None, cwd: Path, runner: Runner) -> Path:
    if explicit is not None:
        path = explicit if explicit.is_absolute() else cwd / explicit
        root = Git(runner, cwd).main_worktree() or path.parent
    else:
        found = Git(runner, cwd).main_worktree()
        if found is None:
            raise UsageError(f"{cwd} is not inside a git repository with a worktree")
        root, path = found, found / SPEC_NAME
    if path.exists():
        raise UsageError(f"{path} already exists; edit it, or pass --spec PATH for another")
    parse_spec(STARTER, path, root)  # the starter must always be a valid spec
    path.write_text(STARTER, encoding="utf-8")
    return path
