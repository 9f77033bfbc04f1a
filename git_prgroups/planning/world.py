"""The world as observe.py read it: refs, worktrees, folders, PRs. A value, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from git_prgroups.model import (
    Argv,
    BranchName,
    CommitGraph,
    FolderState,
    Operation,
    PullRequest,
    Sha,
    Worktree,
)
from git_prgroups.spec import Entry, Spec

# What a setup failure's record says, when it names no log:
SETUP_NOT_ALLOWED = "not allowed"  # its commands were never trusted here
SETUP_DUE = "due"  # the worktree was made, and not yet made ready


@dataclass(frozen=True)
class World:
    base_tip: Sha | None
    branches: Mapping[BranchName, Sha]  # local branch → tip
    remote_branches: Mapping[BranchName, Sha]  # branch on the remote (as fetched) → tip
    pushed: Mapping[BranchName, Sha]  # branch → tip prgroups last pushed
    made: Mapping[BranchName, Sha]  # branches prgroups made a worktree for
    backups: Mapping[str, Sha]  # entry name → its tip before sync last rewrote it
    conflicts: Mapping[str, Sha]  # entry name → the base sync could not bring in
    worktrees: Mapping[Path, Worktree]
    dirty: Mapping[Path, bool]
    folders: Mapping[Path, FolderState]  # each entry's worktree path, each worktree's
    prs: Mapping[BranchName, PullRequest]  # head branch → newest PR
    operations: Mapping[Path, Operation] = field(default_factory=dict)  # under way, by worktree
    setup_failed: Mapping[str, str] = field(default_factory=dict)  # entry → its log, or NOT_ALLOWED
    graph: CommitGraph = field(default_factory=CommitGraph)
    main_worktree: Path | None = None
    forge_lands: bool = False  # prgroups lands armed PRs itself (the local forge)
    reruns: Mapping[Sha, int] = field(default_factory=dict)  # head → failed CI runs rerun
    # the issues a forge of prgroups' own keeps a record of (None: the forge keeps issues)
    issue_records: frozenset[int] | None = None
    merge_conflicts: frozenset[str] = frozenset()  # of `conflicts`: those of sync --merge
    untrusted: frozenset[Argv] = frozenset()  # the spec's commands not allowed here (trust.py)
    # a stacked branch → the prerequisite's commit it is built on (refs/prgroups/stacked-on/)
    stacked_on: Mapping[BranchName, Sha] = field(default_factory=dict)
    unchecked_bases: frozenset[BranchName] = frozenset()  # stacked PRs there run no CI

    def worktree_of(self, entry: Entry) -> Worktree | None:
        """The worktree at the entry's path, or any worktree on the entry's branch."""
        found = self.worktrees.get(entry.worktree)
        if found is not None:
            return found
        return next((w for w in self.worktrees.values() if w.branch == entry.branch), None)

    def folder(self, path: Path) -> FolderState:
        return self.folders.get(path, "missing")

    def commits(self, branch: BranchName) -> list[Sha]:
        """Commits of the local branch that the remote base lacks, oldest first; of a
        stacked branch, only its own (not those of the prerequisite it is built on)."""
        tip = self.branches.get(branch)
        if tip is None or self.base_tip is None:
            return []
        mine = self.graph.only_in(tip, self.base_tip)
        built_on = self.stacked_on.get(branch)
        if built_on is None:
            return mine
        theirs = self.graph.ancestors(built_on)
        return [sha for sha in mine if sha not in theirs]

    def holds_rewritten(self, branch: BranchName, commit: Sha) -> bool:
        """The branch holds `commit`, which the base does not: a prerequisite's head that
        a squash or rebase merge landed as other commits."""
        tip = self.branches.get(branch)
        if tip is None or self.base_tip is None or commit not in self.graph.parents:
            return False
        return commit in self.graph.ancestors(tip) and commit not in self.graph.ancestors(
            self.base_tip
        )

    def restacked(self, branch: BranchName) -> bool:
        """The stacked branch no longer holds the commit it was recorded as built on: a
        restack moved it off (and a run died before the record went)."""
        tip, built_on = self.branches.get(branch), self.stacked_on.get(branch)
        return tip is not None and built_on is not None and not self.is_ancestor(built_on, tip)

    def behind(self, branch: BranchName) -> int:
        tip = self.branches.get(branch)
        if tip is None or self.base_tip is None:
            return 0
        return len(self.graph.only_in(self.base_tip, tip))

    def is_ancestor(self, ancestor: Sha, descendant: Sha) -> bool:
        if ancestor not in self.graph.parents:  # at or below the common base of all read
            return True
        return ancestor in self.graph.ancestors(descendant)


def base_label(spec: Spec) -> str:
    return f"{spec.defaults.remote}/{spec.defaults.base}"


def missing_base(spec: Spec) -> str:
    """What to say when the remote has no base branch (any more)."""
    return (
        f"{base_label(spec)} does not exist: was the base branch renamed? set `base` under "
        "[defaults] in the spec"
    )
