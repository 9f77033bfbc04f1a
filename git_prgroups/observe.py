"""One batched read of reality: refs, worktrees, their cleanliness and the forge's PRs.

Nothing here writes. The calls are fixed in number whatever the spec's size,
except one `git status` per existing worktree, run two at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from git_prgroups.forges.base import Forge, PullRequest
from git_prgroups.git import CommitGraph, Git, Sha, Worktree
from git_prgroups.spec import Entry, Spec

PUSHED_REFS = "refs/prgroups/pushed/"  # branch → the tip prgroups last pushed
MADE_REFS = "refs/prgroups/made/"  # branch → where prgroups started its worktree
BACKUP_REFS = "refs/prgroups/backup/"  # entry name → its tip before sync rewrote it
CONFLICT_REFS = "refs/prgroups/sync-conflict/"  # entry name → the base sync could not apply on
PARALLEL = 2


@dataclass(frozen=True)
class World:
    base_tip: Sha | None
    branches: Mapping[str, Sha]  # local branch → tip
    remote_branches: Mapping[str, Sha]  # branch on the remote (as fetched) → tip
    pushed: Mapping[str, Sha]  # branch → tip prgroups last pushed
    made: Mapping[str, Sha]  # branches prgroups made a worktree for
    backups: Mapping[str, Sha]  # entry name → its tip before sync last rewrote it
    worktrees: Mapping[Path, Worktree]
    dirty: Mapping[Path, bool]
    prs: Mapping[str, PullRequest]  # head branch → newest PR
    graph: CommitGraph = field(default_factory=CommitGraph)
    main_worktree: Path | None = None

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


class WorktreeStatuses:
    """Whether worktrees are dirty, asked in two git processes that run side by side, as
    soon as the paths are known.

    A command may start this before it has read the spec (the paths come from `git
    worktree list`), so the statuses run while the spec is parsed."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self._pool = ThreadPoolExecutor(PARALLEL)
        self._asked: dict[Path, Future[dict[Path, bool]]] = {}

    def start(self, paths: Iterable[Path]) -> WorktreeStatuses:
        new = [p for p in dict.fromkeys(paths) if p not in self._asked and p.is_dir()]
        for share in (new[i::PARALLEL] for i in range(PARALLEL)):
            if share:
                future = self._pool.submit(self.git.dirty_worktrees, share)
                self._asked.update(dict.fromkeys(share, future))
        return self

    def collect(self, paths: Iterable[Path]) -> dict[Path, bool]:
        paths = list(paths)
        self.start(paths)
        try:
            return {p: p in self._asked and self._asked[p].result()[p] for p in paths}
        finally:
            self._pool.shutdown(cancel_futures=True)


def start_statuses(git: Git) -> WorktreeStatuses:
    """Begin the status of every linked worktree before the spec says which are its own."""
    main = git.main_worktree()  # None outside a repository: the spec's reader says so
    statuses = WorktreeStatuses(git.at(main) if main is not None else git)
    if main is not None:
        statuses.start(w.path for w in git.worktrees() if w.path != main)
    return statuses


def base_ref(spec: Spec) -> str:
    return f"refs/remotes/{spec.defaults.remote}/{spec.defaults.base}"


def missing_base(spec: Spec) -> str:
    """What to say when the remote has no base branch (any more)."""
    base = f"{spec.defaults.remote}/{spec.defaults.base}"
    return (
        f"{base} does not exist: was the base branch renamed? set `base` under [defaults] "
        "in the spec"
    )


def observe(
    spec: Spec,
    git: Git,
    forge: Forge,
    statuses: WorktreeStatuses | None = None,
    prs: Mapping[str, PullRequest] | None = None,
) -> World:
    """The world now; `prs` when the forge was read already (before a fetch: so a PR it
    calls merged is in what was fetched)."""
    remote_prefix = f"refs/remotes/{spec.defaults.remote}/"
    refs = git.refs("refs/heads/", remote_prefix, PUSHED_REFS, MADE_REFS, BACKUP_REFS)
    branches = _strip(refs, "refs/heads/")
    remote_branches = _strip(refs, remote_prefix)
    base_tip = refs.get(base_ref(spec))
    worktrees = {w.path: w for w in git.worktrees()}
    made = _strip(refs, MADE_REFS)
    ours = [
        w
        for w in worktrees.values()
        if w.path in {e.worktree for e in spec.entries}
        or w.branch in {e.branch for e in spec.entries}
        or w.branch in made  # orphans too: prune must know whether they are dirty
    ]
    dirty = (statuses or WorktreeStatuses(git)).collect(w.path for w in ours)
    tips = sorted(
        {
            refs[f"{prefix}{e.branch}"]
            for e in spec.entries
            for prefix in ("refs/heads/", remote_prefix)
            if f"{prefix}{e.branch}" in refs
        }
    )
    graph = CommitGraph()
    if base_tip and any(tip != base_tip for tip in tips):  # else no commits to read
        tips = sorted({base_tip, *tips})
        common = git.merge_base_all(tips)
        graph = git.commit_graph(tips, [common] if common else [])
    return World(
        base_tip=base_tip,
        branches=branches,
        remote_branches=remote_branches,
        pushed=_strip(refs, PUSHED_REFS),
        made=made,
        backups=_strip(refs, BACKUP_REFS),
        main_worktree=next(iter(worktrees), None),
        worktrees=worktrees,
        dirty=dirty,
        prs=forge.read([e.branch for e in spec.entries]) if prs is None else prs,
        graph=graph,
    )


def _strip(refs: Mapping[str, Sha], prefix: str) -> dict[str, Sha]:
    return {name[len(prefix) :]: sha for name, sha in refs.items() if name.startswith(prefix)}
