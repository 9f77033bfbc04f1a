"""One batched read of reality: refs, worktrees, their folders and cleanliness, the PRs.

Nothing here writes. The calls are fixed in number whatever the spec's size,
except `git status` of the worktrees, in two processes that run side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.model import BranchName, CommitGraph, FolderState, Operation, PullRequest, Sha
from git_prgroups.planning.world import World
from git_prgroups.proc import Completed
from git_prgroups.spec import Spec
from git_prgroups.store import (
    BACKUP_REFS,
    CONFLICT_REFS,
    MADE_REFS,
    MERGE_CONFLICT_REFS,
    PUSHED_REFS,
    STACK_REFS,
    Store,
)
from git_prgroups.trust import spec_commands, untrusted
from git_prgroups.worktree_reads import STATUS_PROCESSES, shares

if TYPE_CHECKING:  # prune's: status and up need not import them
    from git_prgroups.planning.prune import Leftovers, PruneFacts


class WorktreeStatuses:
    """Whether worktrees are dirty, asked in two git processes that run side by side, as
    soon as the paths are known.

    A command may start this before it has read the spec (the paths come from `git
    worktree list`), so the statuses run while the spec is parsed."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self._pool = ThreadPoolExecutor(STATUS_PROCESSES)
        self._asked: dict[Path, Future[dict[Path, bool]]] = {}

    def start(self, paths: Iterable[Path]) -> WorktreeStatuses:
        new = [p for p in dict.fromkeys(paths) if p not in self._asked and p.is_dir()]
        for share in shares(new):
            future = self._pool.submit(self.git.dirty_worktrees, share)
            self._asked.update(dict.fromkeys(share, future))
        return self

    def take(self, paths: Sequence[Path], batch: Callable[[], Completed]) -> None:
        """Statuses of `paths` begun elsewhere (the read-ahead) as `status_batch`, from
        this Git's folder; `batch` waits for its result."""
        future = self._pool.submit(lambda: self.git.dirty_from_batch(paths, batch()))
        self._asked.update(dict.fromkeys(paths, future))

    def collect(self, paths: Iterable[Path]) -> dict[Path, bool]:
        paths = list(paths)
        self.start(paths)
        try:
            return {p: p in self._asked and self._asked[p].result()[p] for p in paths}
        finally:
            self._pool.shutdown(cancel_futures=True)


def start_statuses(git: Git) -> WorktreeStatuses:
    """Begin the status of every linked worktree before the spec says which are its own
    (from the main worktree: see `Git.dirty_worktrees`)."""
    main = git.main_worktree()  # None outside a repository: the spec's reader says so
    statuses = WorktreeStatuses(git.at(main) if main is not None else git)
    if main is not None:
        statuses.start(w.path for w in git.worktrees() if w.path != main)
    return statuses


def base_ref(spec: Spec) -> str:
    return f"refs/remotes/{spec.defaults.remote}/{spec.defaults.base}"


def observe(
    spec: Spec,
    git: Git,
    forge: Forge,
    statuses: WorktreeStatuses | None = None,
    prs: Mapping[BranchName, PullRequest] | None = None,
) -> World:
    """The world now; `prs` when the forge was read already (before a fetch: so a PR it
    calls merged is in what was fetched)."""
    remote_prefix = f"refs/remotes/{spec.defaults.remote}/"
    refs = git.refs(
        "refs/heads/", remote_prefix, PUSHED_REFS, MADE_REFS, BACKUP_REFS, CONFLICT_REFS,
        MERGE_CONFLICT_REFS, STACK_REFS,
    )  # fmt: skip
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
    store = Store.of(git.common_dir())
    prs = forge.read([e.branch for e in spec.entries]) if prs is None else prs
    merge_conflicts = _names(refs, MERGE_CONFLICT_REFS)
    return World(
        base_tip=base_tip,
        branches=branches,
        remote_branches=remote_branches,
        pushed=_strip(refs, PUSHED_REFS),
        made=made,
        backups=_names(refs, BACKUP_REFS),
        conflicts={**_names(refs, CONFLICT_REFS), **merge_conflicts},
        merge_conflicts=frozenset(merge_conflicts),
        main_worktree=next(iter(worktrees), None),
        worktrees=worktrees,
        dirty=dirty,
        folders=folders([*(e.worktree for e in spec.entries), *worktrees]),
        operations=operations(w.path for w in ours),
        setup_failed=setup_failures(store),
        untrusted=frozenset(
            untrusted(store, spec_commands(spec, checks=not forge.merges_on_its_own))
        ),
        reruns=reruns_done(forge, store, prs),
        issue_records=forge.recorded_issues(),
        prs=prs,
        graph=_commit_graph(spec, git, refs, base_tip, remote_prefix),
        forge_lands=not forge.merges_on_its_own,
        stacked_on=_strip(refs, STACK_REFS),
        unchecked_bases=forge.unchecked_bases(
            spec.root, sorted({spec.entry(e.after[0]).branch for e in spec.entries if e.stack})
        ),
    )


def _commit_graph(
    spec: Spec, git: Git, refs: Mapping[str, Sha], base_tip: Sha | None, remote_prefix: str
) -> CommitGraph:
    """The commits between the base, the entries' branches and their remote copies."""
    tips = sorted(
        {
            refs[f"{prefix}{e.branch}"]
            for e in spec.entries
            for prefix in ("refs/heads/", remote_prefix, STACK_REFS)
            if f"{prefix}{e.branch}" in refs
        }
    )
    if not base_tip or all(tip == base_tip for tip in tips):  # no commits to read
        return CommitGraph()
    tips = sorted({base_tip, *tips})
    common = git.merge_base_all(tips)
    return git.commit_graph(tips, [common] if common else [])


def folders(paths: Iterable[Path]) -> dict[Path, FolderState]:
    """What is at each path: nothing, an empty folder (a killed `git worktree add` leaves
    one; git makes a worktree in it), or something."""
    found: dict[Path, FolderState] = {}
    for path in dict.fromkeys(paths):
        if not path.exists():
            found[path] = "missing"
        elif path.is_dir() and next(path.iterdir(), None) is None:
            found[path] = "empty"
        else:
            found[path] = "full"
    return found


_UNDER_WAY: tuple[tuple[str, Operation], ...] = (
    ("rebase-merge", "rebase"), ("rebase-apply", "rebase"), ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"), ("REVERT_HEAD", "revert"),
)  # fmt: skip


def operations(worktrees: Iterable[Path]) -> dict[Path, Operation]:
    """The rebases, merges and cherry-picks a person left under way, by worktree (read
    from each worktree's git folder, which its `.git` file names)."""
    found: dict[Path, Operation] = {}
    for path in worktrees:
        admin = _git_folder(path)
        if admin is None:
            continue
        under_way = next((op for mark, op in _UNDER_WAY if (admin / mark).exists()), None)
        if under_way is not None:
            found[path] = under_way
    return found


def _git_folder(worktree: Path) -> Path | None:
    dot_git = worktree / ".git"
    if dot_git.is_dir():
        return dot_git
    try:
        text = dot_git.read_text(encoding="utf-8")
    except OSError:
        return None
    if not text.startswith("gitdir: "):
        return None
    folder = Path(text.removeprefix("gitdir: ").strip())
    return folder if folder.is_absolute() else worktree / folder


def reruns(store: Store) -> dict[Sha, int]:
    """How often each head commit's failed CI jobs were run again (a folder listing)."""
    try:
        found = list(store.reruns.iterdir())
    except FileNotFoundError:
        return {}
    counted = {}
    for path in found:
        text = path.read_text(encoding="utf-8").strip()
        counted[Sha(path.name)] = int(text) if text.isdigit() else 1
    return counted


def reruns_done(
    forge: Forge, store: Store, prs: Mapping[BranchName, PullRequest]
) -> dict[Sha, int]:
    """How often each failing head's CI jobs were run again: the forge's count (a clone
    in CI and the laptop share one budget), or the count written here before each
    rerun was asked for (a kill between the two never adds one), whichever is more."""
    counted = reruns(store)
    failing = {
        pr.head_oid: pr.failed_runs
        for pr in prs.values()
        if pr.state == "open" and pr.checks == "fail" and pr.failed_runs and pr.head_oid
    }
    if not failing:
        return counted
    attempts = forge.run_attempts(sorted({run for runs in failing.values() for run in runs}))
    for head, runs in failing.items():
        done = max((attempts.get(run, 1) - 1 for run in runs), default=0)
        counted[head] = max(counted.get(head, 0), done)
    return counted


def setup_failures(store: Store) -> dict[str, str]:
    """Entries whose setup failed, with their logs (a folder listing, and a file each)."""
    try:
        found = list(store.setup_failures.iterdir())
    except FileNotFoundError:
        return {}
    return {path.name: path.read_text(encoding="utf-8").strip() for path in found}


def observe_prune(
    git: Git,
    forge: Forge,
    world: World,
    candidates: Sequence[Leftovers],
    issues: Sequence[int],
) -> PruneFacts:
    """What prune reads of the leftovers it may remove, and of the issues it may close:
    the files a dirty worktree would lose, the commits a branch holds that exist nowhere
    else, the issues' states."""
    from git_prgroups.planning.prune import PruneFacts

    changed = {
        left.worktree.path: git.changed_files(left.worktree.path)
        for left in candidates
        if left.worktree is not None and world.dirty.get(left.worktree.path)
    }
    unsaved: dict[BranchName, list[str] | None] = {}
    unmerged: dict[BranchName, list[str] | None] = {}
    for left in candidates:
        if left.local_tip is not None and left.local_tip != left.merged_head:
            if left.merged_head is not None:
                unsaved[left.branch] = git.commits_missing_from(left.local_tip, left.merged_head)
            else:
                unsaved[left.branch] = git.commits_on_no_remote(left.local_tip)
        if left.remote_tip not in (None, left.merged_head) and left.merged_head is not None:
            unmerged[left.branch] = git.commits_missing_from(left.remote_tip, left.merged_head)
    return PruneFacts(
        changed_files=changed,
        unsaved=unsaved,
        unmerged_remote=unmerged,
        issues=forge.issues(issues) if issues else {},
    )


def _names(refs: Mapping[str, Sha], prefix: str) -> dict[str, Sha]:
    """Entry name → object, for the refs prgroups keeps per entry under `prefix`."""
    return {name[len(prefix) :]: sha for name, sha in refs.items() if name.startswith(prefix)}


def _strip(refs: Mapping[str, Sha], prefix: str) -> dict[BranchName, Sha]:
    return {
        BranchName(name[len(prefix) :]): sha
        for name, sha in refs.items()
        if name.startswith(prefix)
    }
