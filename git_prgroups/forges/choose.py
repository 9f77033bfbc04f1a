"""Which forge a repository uses: GitHub for a GitHub remote, else the local one."""

from __future__ import annotations

import re

from git_prgroups.errors import UsageError
from git_prgroups.forges.base import Forge
from git_prgroups.forges.local import LocalForge
from git_prgroups.git import Git
from git_prgroups.spec import Spec

_GITHUB_URL = re.compile(
    r"^(?:https?://(?:[^@/]+@)?|ssh://(?:[^@/]+@)?|[^@/:]+@)?github\.com[:/]", re.IGNORECASE
)


def is_github_url(url: str) -> bool:
    return bool(_GITHUB_URL.match(url))


def choose_forge(spec: Spec, git: Git) -> Forge:
    kind = spec.defaults.forge
    if kind == "auto":
        url = git.remote_url(spec.defaults.remote)
        if url is None:
            raise UsageError(
                f'the remote "{spec.defaults.remote}" does not exist: add it '
                f"(git remote add {spec.defaults.remote} URL) or set defaults.remote"
            )
        kind = "github" if spec.defaults.github or is_github_url(url) else "local"
    if kind == "github":
        raise UsageError(
            "the github forge is not available in this version yet; "
            'set forge = "local" in [defaults] to use the embedded forge'
        )
    remote_prefix = f"refs/remotes/{spec.defaults.remote}/"

    def remote_heads() -> dict[str, str]:
        return {
            name.removeprefix(remote_prefix): sha for name, sha in git.refs(remote_prefix).items()
        }

    return LocalForge(git.common_dir() / "prgroups", remote_heads)
