"""One batched read of reality: refs, worktrees, their cleanliness and the forge's PRs.

Nothing here writes. The calls are fixed in number whatever the spec's size,
except one `git status` per existing worktree, run two at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from git_prgroups.forges.base import Forge, PullRequest
from git_prgroups.git import CommitGraph, Git, Sha, Worktree
from git_prgroups.spec import Entry, Spec

PUSHED_REFS = "refs/prgroups/pushed/"
PARALLEL = 2


@dataclass(frozen=True)
class World:
    base_tip: Sha | None
    branches: Mapping[str, Sha]  # local branch → tip
    remote_branches: Mapping[str, Sha]  # branch on the remote (as fetched) → tip
    pushed: Mapping[str, Sha]  # branch → tip prgroups last pushed
    worktrees: Mapping[Path, Worktree]
    dirty: Mapping[Path, bool]
    prs: Mapping[str, PullRequest]  # head branch → newest PR
    graph: CommitGraph = field(default_factory=CommitGraph)

    def worktree_of(self, entry: Entry) -> Worktree | None:
        """The worktree at the entry's path, or any worktree on the entry's branch."""
        found = self.worktrees.get(entry.worktree)
        if found is not None:
            return found
        return next((w for w in self.worktrees.values() if w.branch == entry.branch), None)

    def commits(self, branch: str) -> list[Sha]:
        """Commits of the local branch that the remote base lacks, oldest first."""
        tip = self.branches.get(branch)
        if tip is None or self.base_tip is None:
            return []
        return self.graph.only_in(tip, self.base_tip)

    def behind(self, branch: str) -> int:
        tip = self.branches.get(branch)
        if tip is None or self.base_tip is None:
            return 0
        return len(self.graph.only_in(self.base_tip, tip))


def base_ref(spec: Spec) -> str:
    return f"refs/remotes/{spec.defaults.remote}/{spec.defaults.base}"


def observe(spec: Spec, git: Git, forge: Forge) -> World:
    remote_prefix = f"refs/remotes/{spec.defaults.remote}/"
    refs = git.refs("refs/heads/", remote_prefix, PUSHED_REFS)
    branches = _strip(refs, "refs/heads/")
    remote_branches = _strip(refs, remote_prefix)
    base_tip = refs.get(base_ref(spec))
    worktrees = {w.path: w for w in git.worktrees()}
    ours = [
        w
        for w in worktrees.values()
        if w.path in {e.worktree for e in spec.entries}
        or w.branch in {e.branch for e in spec.entries}
    ]
    with ThreadPoolExecutor(PARALLEL) as pool:
        dirty = dict(
            zip(
                [w.path for w in ours],
                pool.map(lambda w: w.path.is_dir() and git.is_dirty(w.path), ours),
                strict=True,
            )
        )
    tips = sorted(
        {
            refs[f"{prefix}{e.branch}"]
            for e in spec.entries
            for prefix in ("refs/heads/", remote_prefix)
            if f"{prefix}{e.branch}" in refs
        }
    )
    graph = CommitGraph()
    if base_tip and tips:
        tips = sorted({base_tip, *tips})
        common = git.merge_base_all(tips)
        graph = git.commit_graph(tips, [common] if common else [])
    return World(
        base_tip=base_tip,
        branches=branches,
        remote_branches=remote_branches,
        pushed=_strip(refs, PUSHED_REFS),
        worktrees=worktrees,
        dirty=dirty,
        prs=forge.read([e.branch for e in spec.entries]),
        graph=graph,
    )


def _strip(refs: Mapping[str, Sha], prefix: str) -> dict[str, Sha]:
    return {name[len(prefix) :]: sha for name, sha in refs.items() if name.startswith(prefix)}
