"""One `git push` for every due branch, and what the remote made of each."""

from __future__ import annotations

from collections.abc import Callable

from git_prgroups.git import Git, PushUpdate
from git_prgroups.observe import PUSHED_REFS
from git_prgroups.plan import PushBranch
from git_prgroups.proc import CommandFailed
from git_prgroups.spec import Spec


def push_branches(
    spec: Spec, git: Git, pushes: list[PushBranch], say: Callable[[str], None], *, dry_run: bool
) -> set[str]:
    """One `git push` for every due branch; returns the branches the remote took."""
    updates = [PushUpdate(p.branch, p.lease) for p in pushes]
    result = git.push(spec.defaults.remote, updates)
    if dry_run:
        return {p.branch for p in pushes}
    accepted, rejected = push_outcome(result.stdout)
    if not accepted and not rejected and not result.ok:
        raise CommandFailed(result)
    tips = {p.branch: p.tip for p in pushes if p.branch in accepted}
    git.update_refs({f"{PUSHED_REFS}{branch}": tip for branch, tip in tips.items()})
    for push in pushes:
        if push.branch in accepted:
            how = "rewritten history, with lease" if push.lease else "new commits"
            say(f"pushed: {push.name}: {push.branch} ({how})")
        elif push.branch in rejected:
            why = rejected[push.branch]
            if why.startswith("[rejected]"):  # stale info, fetch first, non-fast-forward
                say(
                    f"refused: {push.name}: the remote refused {push.branch} ({why}): "
                    "someone else pushed to it since; their commits are kept: bring them in "
                    "and run this again"
                )
            else:  # a hook, a busy ref, or a push that won the race on the server itself
                say(
                    f"refused: {push.name}: the remote refused {push.branch} ({why}): your "
                    "branch is as it was and nothing there was overwritten; run this again "
                    "(it says what to do if someone else pushed)"
                )
    return set(accepted)


def record_pushed(spec: Spec, git: Git, records: dict[str, str]) -> None:
    """Note what a killed run pushed and never noted; its push may have died before
    writing the branch's upstream too, which `--set-upstream` would have."""
    git.update_refs({f"{PUSHED_REFS}{branch}": tip for branch, tip in records.items()})
    following = git.upstreams()
    for branch in sorted(records):
        if branch not in following:
            git.set_upstream(branch, spec.defaults.remote)


def push_outcome(porcelain: str) -> tuple[set[str], dict[str, str]]:
    accepted, rejected = set(), {}
    for line in porcelain.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[1].startswith("refs/heads/"):
            continue
        flag, refs, summary = parts[0], parts[1], parts[2]
        branch = refs.split(":", 1)[0].removeprefix("refs/heads/")
        if flag == "!":
            rejected[branch] = summary
        else:
            accepted.add(branch)
    return accepted, rejected
