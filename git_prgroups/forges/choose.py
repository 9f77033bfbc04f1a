"""Which forge a repository uses: GitHub for a GitHub remote, else the local one; and
whose issues `init` reads."""

from __future__ import annotations

import re
from pathlib import Path

from git_prgroups.errors import UsageError
from git_prgroups.forges.base import Forge, IssueSource
from git_prgroups.forges.local import LocalForge
from git_prgroups.git import Git
from git_prgroups.proc import Runner
from git_prgroups.spec import Spec
from git_prgroups.store import Store


def choose_forge(spec: Spec, git: Git) -> Forge:
    kind, remote = spec.defaults.forge, spec.defaults.remote
    url = None
    if kind != "local" and not spec.defaults.github:
        url = git.remote_url(remote)
        if url is None:
            raise UsageError(
                f'the remote "{remote}" does not exist: add it (git remote add {remote} URL) '
                "or set defaults.remote"
            )
    if kind == "auto" and not spec.defaults.github and "github" not in (url or "").lower():
        return _local(spec, git)  # no GitHub in sight: gh's module need not load
    from git_prgroups.forges.gh import Gh, repository_from_setting, repository_from_url

    found = repository_from_url(url) if url else None
    if kind == "auto":
        kind = "github" if spec.defaults.github or found else "local"
    if kind == "github":
        if spec.defaults.github:
            repository = repository_from_setting(spec.defaults.github)
        elif found:
            repository = found
        else:
            raise UsageError(
                f'forge = "github" but the remote "{remote}" ({url}) is not a GitHub URL: set '
                'defaults.github = "OWNER/REPO" (or "HOST/OWNER/REPO")'
            )
        from git_prgroups.forges.github import GitHubForge

        cache = Store.of(git.common_dir()).gh_cache
        return GitHubForge(Gh(git.runner, repository, cache), spec.defaults.base)
    return _local(spec, git)


def _local(spec: Spec, git: Git) -> Forge:
    return LocalForge(git, Store.of(git.common_dir()), spec.defaults.remote, spec.defaults.base)


def choose_issue_source(
    runner: Runner, cwd: Path, *, setting: str | None, remote: str
) -> tuple[IssueSource, str]:
    """The forge whose issues `init` starts a spec from, and its repository's name: the
    repository `setting` names ([HOST/]OWNER/REPO), or else the one the remote is on."""
    from git_prgroups.forges.gh import Gh, repository_from_setting, repository_from_url
    from git_prgroups.forges.github import GitHubForge

    if setting:
        if not re.fullmatch(r"([\w.-]+/)?[\w.-]+/[\w.-]+", setting):
            raise UsageError(
                f"git prgroups init: --github {setting!r}: give OWNER/REPO or HOST/OWNER/REPO"
            )
        repository = repository_from_setting(setting)
    else:
        url = Git(runner, cwd).remote_url(remote)
        found = repository_from_url(url) if url else None
        if found is None:
            raise UsageError(
                f"git prgroups init: the remote {remote!r} is not on GitHub "
                f"({url or 'no such remote'}): give --github OWNER/REPO"
            )
        repository = found
    return GitHubForge(Gh(runner, repository)), repository.slug
