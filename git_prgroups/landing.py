"""Auto-merge on the local forge: run an armed PR's checks, then land it on the remote base.

Landing happens in a detached worktree of prgroups' own under the git common
directory, never in the user's worktree: rebase (or squash, or merge) onto the
fresh remote base, then a fast-forward push of the base. The user's branch is
not touched, as on GitHub.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from git_prgroups.errors import PrgroupsError
from git_prgroups.forges.base import PullRequest
from git_prgroups.forges.local import LocalForge
from git_prgroups.git import Git, Sha
from git_prgroups.observe import World, base_ref
from git_prgroups.proc import CommandFailed
from git_prgroups.spec import Entry, Spec

OUTPUT_TAIL = 15


@dataclass(frozen=True)
class Landing:
    name: str
    pr: PullRequest
    outcome: str  # landed, failing, conflict, waiting
    detail: str = ""


def land_armed(
    spec: Spec, git: Git, forge: LocalForge, world: World, report: Callable[[Landing], None]
) -> list[Landing]:
    """Land every open, armed, non-draft PR whose checks pass, in wave order."""
    results: list[Landing] = []
    with _landing_worktree(git) as landing:
        for entry in spec.entries:
            pr = world.prs.get(entry.branch)
            if pr is None or pr.state != "open" or pr.auto_merge is None or pr.draft:
                continue
            result = (
                _checks(spec, entry, pr, git, forge, world)
                or _known_conflict(spec, entry, pr, git, forge)
                or _land(spec, entry, pr, git, landing(), forge)
            )
            if result.outcome != "waiting" or result.detail:
                report(result)
            results.append(result)
    return results


def _checks(
    spec: Spec, entry: Entry, pr: PullRequest, git: Git, forge: LocalForge, world: World
) -> Landing | None:
    """None when the checks pass; else why the PR cannot land yet."""
    commands = (*spec.defaults.checks, *entry.checks)
    if not commands:
        return None
    if forge.checks_commit(pr) == pr.head_oid:  # already judged this commit
        if pr.checks == "pass":
            return None
        return Landing(entry.name, pr, "failing" if pr.checks == "fail" else "waiting")
    worktree = world.worktree_of(entry)
    if worktree is None or worktree.head != pr.head_oid or world.dirty.get(worktree.path):
        why = "its worktree is missing, dirty or not at the pushed commit"
        return Landing(entry.name, pr, "waiting", f"checks not run: {why}")
    for argv in commands:
        result = git.runner.run(argv, cwd=worktree.path, check=False)
        if not result.ok:
            lines = (result.stdout + result.stderr).strip().splitlines()
            tail = "\n".join(lines[-OUTPUT_TAIL:])
            header = f"`{shlex.join(argv)}` failed (exit {result.returncode})"
            forge.record_checks(pr, "fail", f"{header}\n{tail}", pr.head_oid or "")
            return Landing(entry.name, pr, "failing", f"{header}\n{tail}")
    forge.record_checks(pr, "pass", "", pr.head_oid or "")
    return None


def _known_conflict(
    spec: Spec, entry: Entry, pr: PullRequest, git: Git, forge: LocalForge
) -> Landing | None:
    """The conflict found before, when neither the base nor the PR has moved since."""
    base = git.refs(base_ref(spec)).get(base_ref(spec))
    if pr.conflict and forge.conflict_seen(pr) == (base, pr.head_oid):
        return Landing(entry.name, pr, "conflict", _conflict_detail(spec, entry, base))
    return None


def _conflict_detail(spec: Spec, entry: Entry, base: Sha | None) -> str:
    onto = f"{spec.defaults.remote}/{spec.defaults.base}"
    return (
        f"does not apply on {onto} ({(base or '')[:7]}): rebase it in {entry.worktree} "
        f"(git rebase {onto}), resolve, and run up again"
    )


def _land(
    spec: Spec, entry: Entry, pr: PullRequest, git: Git, landing: Git, forge: LocalForge
) -> Landing:
    remote, method = spec.defaults.remote, pr.auto_merge or spec.defaults.merge
    head = pr.head_oid
    if head is None:
        return Landing(entry.name, pr, "waiting", "its branch is not on the remote")
    for _attempt in range(2):  # once more if someone pushed to the base meanwhile
        base = git.refs(base_ref(spec)).get(base_ref(spec))
        if base is None:
            return Landing(entry.name, pr, "waiting", f"{remote}/{spec.defaults.base} is missing")
        if not git.patches_missing_from(base, head):  # someone merged it by hand already
            forge.mark_merged(pr, base)
            return Landing(entry.name, pr, "landed", f"already in {remote}/{spec.defaults.base}")
        tip = _combine(landing, base, head, method, pr)
        if tip is None:
            forge.mark_conflict(pr, base, head)
            return Landing(entry.name, pr, "conflict", _conflict_detail(spec, entry, base))
        if landing.push_commit(remote, tip, spec.defaults.base):
            git.fetch(remote)
            forge.mark_merged(pr, tip)
            return Landing(entry.name, pr, "landed", f"{method} onto {base[:7]} → {tip[:7]}")
        git.fetch(remote)
    raise PrgroupsError(
        f"could not land #{pr.number}: {remote}/{spec.defaults.base} kept moving; run up again"
    )


def _combine(landing: Git, base: Sha, head: Sha, method: str, pr: PullRequest) -> Sha | None:
    """The commit the base should move to, or None on a conflict."""
    landing.checkout_detached(base)
    try:
        if method == "rebase":
            landing.cherry_pick(f"{base}..{head}")
        elif method == "squash":
            landing.squash_commit(head, squash_message(pr, landing.messages(base, head)))
        else:
            landing.merge_commit(head, f"Merge pull request #{pr.number} from {pr.head}")
    except CommandFailed:
        conflicted = _conflicted(landing)
        landing.abandon_operation()
        if not conflicted:  # git failed for another reason: say so, remember nothing
            raise
        return None
    return landing.head()


def squash_message(pr: PullRequest, messages: list[str]) -> str:
    """As GitHub words a squash by default: the PR's title and number, then the body of
    a lone commit or each commit's whole message as a list, so that footers such as
    `Closes #13` survive."""
    if len(messages) == 1:
        body = messages[0].partition("\n\n")[2].strip()
    else:
        body = "\n\n".join(f"* {message.strip()}" for message in messages)
    return f"{pr.title} (#{pr.number})" + (f"\n\n{body}" if body else "")


def _conflicted(landing: Git) -> bool:
    try:
        return bool(landing.conflicted_files(landing.cwd))
    except CommandFailed:
        return False


def landing_worktree_path(git: Git) -> Path:
    return git.common_dir() / "prgroups" / "landing"


@contextlib.contextmanager
def _landing_worktree(git: Git) -> Iterator[Callable[[], Git]]:
    """A detached worktree of prgroups' own, made on first use and removed at the end."""
    path = landing_worktree_path(git)
    made: list[Git] = []

    def get() -> Git:
        if not made:
            if path.exists():  # left by a run that was killed
                git.worktree_remove(path, force=True, check=False)
            git.worktree_add_detached(path)
            made.append(git.at(path))
        return made[0]

    try:
        yield get
    finally:
        if made:
            git.worktree_remove(path, force=True)
        elif path.exists():  # left by a run that was killed, and not needed this time
            git.worktree_remove(path, force=True, check=False)
