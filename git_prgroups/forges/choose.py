"""Which forge a repository uses: GitHub for a GitHub remote, else the local one."""

from __future__ import annotations

from git_prgroups.errors import UsageError
from git_prgroups.forges.base import Forge
from git_prgroups.forges.local import LocalForge
from git_prgroups.git import Git
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
