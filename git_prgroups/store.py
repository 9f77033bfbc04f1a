"""Everything prgroups keeps in a repository: its refs and its folder in the git directory.

Refs (shared by every worktree, moved by git's own transactions):

    refs/prgroups/pushed/BRANCH        the tip prgroups last pushed
    refs/prgroups/made/BRANCH          where prgroups began the branch's worktree
    refs/prgroups/backup/NAME          an entry's tip before sync rewrote it
    refs/prgroups/sync-conflict/NAME   the base sync could not bring into the entry

The folder `<git common dir>/prgroups/`:

    lock                  who holds the repository (see locking.py)
    local-forge.json      the local forge's PRs and issues (and .lock beside it)
    landing/              the local forge's worktree for landing PRs
    checks/N/             its clean checkouts to run checks in, one per slot
    trusted               digests of the spec's commands allowed to run here
    logs/setup-NAME.log   what an entry's setup printed
    setup-failed/NAME     an entry whose setup failed (its log's path)
    undo/*.json           one record per risky step under way (see journal.py)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from git_prgroups.model import BranchName

PUSHED_REFS = "refs/prgroups/pushed/"
MADE_REFS = "refs/prgroups/made/"
BACKUP_REFS = "refs/prgroups/backup/"
CONFLICT_REFS = "refs/prgroups/sync-conflict/"  # a base a rebase of sync's could not bring in
MERGE_CONFLICT_REFS = "refs/prgroups/sync-conflict-merge/"  # likewise, a merge's (sync --merge)
# a stacked branch → the prerequisite's commit it is built on (what a restack moves off)
STACK_REFS = "refs/prgroups/stacked-on/"


def pushed_ref(branch: BranchName) -> str:
    return f"{PUSHED_REFS}{branch}"


def made_ref(branch: BranchName) -> str:
    return f"{MADE_REFS}{branch}"


def backup_ref(name: str) -> str:
    return f"{BACKUP_REFS}{name}"


def stack_ref(branch: BranchName) -> str:
    return f"{STACK_REFS}{branch}"


def conflict_ref(name: str, *, merge: bool = False) -> str:
    return f"{MERGE_CONFLICT_REFS if merge else CONFLICT_REFS}{name}"


@dataclass(frozen=True)
class Store:
    """prgroups' folder in one repository's git common directory."""

    folder: Path

    @classmethod
    def of(cls, common_dir: Path) -> Store:
        return cls(common_dir / "prgroups")

    @property
    def lock(self) -> Path:
        return self.folder / "lock"

    @property
    def forge_records(self) -> Path:
        return self.folder / "local-forge.json"

    @property
    def forge_records_lock(self) -> Path:
        return self.folder / "local-forge.lock"

    @property
    def landing(self) -> Path:
        return self.folder / "landing"

    @property
    def trusted(self) -> Path:
        """The digests of the spec's commands a person allowed to run here."""
        return self.folder / "trusted"

    @property
    def logs(self) -> Path:
        """What each entry's setup printed: `setup-NAME.log`."""
        return self.folder / "logs"

    @property
    def setup_failures(self) -> Path:
        """One file per entry whose setup failed, naming its log (gone once it passes)."""
        return self.folder / "setup-failed"

    @property
    def checks(self) -> Path:
        """The local forge's clean checkouts to run checks in, one folder per slot."""
        return self.folder / "checks"

    @property
    def tries(self) -> Path:
        """`try`'s clean checkouts: one to merge the entries in, one per check at once."""
        return self.folder / "try"

    @property
    def tried(self) -> Path:
        """`try`'s verdicts, by the digest of what was tried (tried.py)."""
        return self.folder / "tried.json"

    @property
    def gh_cache(self) -> Path:
        """gh's HTTP caches, one folder for each gh call that runs at once."""
        return self.folder / "gh-cache"

    @property
    def reruns(self) -> Path:
        """One file per head commit whose failed CI jobs prgroups ran again: how often."""
        return self.folder / "reruns"

    @property
    def history(self) -> Path:
        """What runs saw happen, one JSON line each, for the report (see history.py)."""
        return self.folder / "history.jsonl"

    @property
    def undo(self) -> Path:
        """The undo records of the steps under way (see journal.py)."""
        return self.folder / "undo"
