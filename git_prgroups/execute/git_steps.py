"""The executor's git steps: refs recorded and deleted, worktrees moved up or removed,
the one push, remote branches deleted, and sync's rebases and merges, each risky one
under its undo record."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Literal

from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Event
from git_prgroups.execute.local_steps import record_setup_failure
from git_prgroups.execute.run import Execution
from git_prgroups.git import Git, PushUpdate, push_outcome
from git_prgroups.journal import UndoRecord
from git_prgroups.planning.actions import (
    DeleteBranches,
    DeleteRefs,
    DeleteRemoteBranches,
    FastForward,
    ForgetMissingWorktrees,
    Push,
    PushBranches,
    RecordPushed,
    RecordSetupsDue,
    RecordStacks,
    RecordStarts,
    RemoveWorktree,
    ReportPruned,
    Resync,
)
from git_prgroups.planning.sync import resolve_by_hand
from git_prgroups.planning.world import SETUP_DUE
from git_prgroups.proc import CommandFailed
from git_prgroups.store import backup_ref, conflict_ref, made_ref, pushed_ref, stack_ref


def record_starts(action: RecordStarts, run: Execution) -> None:
    run.git.update_refs(
        {
            **{made_ref(branch): sha for branch, sha in action.starts.items()},
            **{stack_ref(branch): sha for branch, sha in action.stacked.items()},
        },
        create={f"refs/heads/{branch}": sha for branch, sha in action.starts.items()},
    )


def record_stacks(action: RecordStacks, run: Execution) -> None:
    if action.built_on:
        run.git.update_refs({stack_ref(branch): sha for branch, sha in action.built_on.items()})
    if action.dropped:
        run.git.delete_refs([stack_ref(branch) for branch in action.dropped])


def record_setups_due(action: RecordSetupsDue, run: Execution) -> None:
    for name in () if run.dry_run else action.names:
        record_setup_failure(run.store.setup_failures / name, SETUP_DUE)


def forget_missing_worktrees(action: ForgetMissingWorktrees, run: Execution) -> None:
    run.git.worktree_prune()


def fast_forward(action: FastForward, run: Execution) -> None:
    run.git.fast_forward(action.path, action.to)
    text = f"no commits yet, moved up to {action.onto} {action.to[:7]}"
    run.tell(Event("moved-up", text, action.name))


def remove_worktree(action: RemoveWorktree, run: Execution) -> None:
    if not run.dry_run and _holds_the_current_folder(action.path):
        os.chdir(run.spec.root)  # what follows needs a current folder that exists
        # on a line of its own, whole: a command to paste where the shell's folder is gone
        text = f"the folder you ran this in goes with its worktree; to go on:\n  cd {run.spec.root}"
        run.events.add(Event("moved", text, details={"to": str(run.spec.root)}))
    with run.noting(UndoRecord("remove-worktree", action.path, tip=action.commit)):
        run.git.worktree_remove(action.path, force=action.force)
    if not run.dry_run:  # its setup's records go with it
        (run.store.setup_failures / action.name).unlink(missing_ok=True)
        (run.store.logs / f"setup-{action.name}.log").unlink(missing_ok=True)


def _holds_the_current_folder(path: Path) -> bool:
    try:
        return Path.cwd().resolve().is_relative_to(path.resolve())
    except FileNotFoundError:
        return False


def delete_branches(action: DeleteBranches, run: Execution) -> None:
    """Each branch only while it is where the plan saw it (read again, right before)."""
    now = run.git.refs("refs/heads/")
    going = [b for b, tip in action.tips.items() if now.get(f"refs/heads/{b}") == tip]
    for branch in sorted(set(action.tips) - set(going)):
        if f"refs/heads/{branch}" in now:
            why = f"{branch} moved while prune ran: left as it is; prune again"
            run.events.add(Event("refused", why, branch))
    run.git.delete_branches(going)


def delete_refs(action: DeleteRefs, run: Execution) -> None:
    run.git.delete_refs(action.refs)


# -- the remote ------------------------------------------------------------------------------


def record_pushed(action: RecordPushed, run: Execution) -> None:
    """Note what a killed run pushed and never noted; its push may have died before
    writing the branch's upstream too, which `--set-upstream` would have."""
    run.git.update_refs({pushed_ref(branch): tip for branch, tip in action.tips.items()})
    following = run.git.upstreams()
    for branch in sorted(action.tips):
        if branch not in following:
            run.git.set_upstream(branch, run.spec.defaults.remote)


def push_branches(action: PushBranches, run: Execution) -> None:
    pushes = [*action.pushes, *(run.doing.resynced if action.with_resynced else ())]
    if not pushes:
        return
    remote = run.spec.defaults.remote
    result = run.git.push(remote, [PushUpdate(p.branch, p.lease) for p in pushes])
    if result.dry_run:
        return
    outcome = push_outcome(result.stdout)
    if not outcome.accepted and not outcome.rejected and not result.ok:
        raise CommandFailed(result)
    tips = {p.branch: p.tip for p in pushes if p.branch in outcome.accepted}
    run.git.update_refs({pushed_ref(branch): tip for branch, tip in tips.items()})
    run.doing.pushed |= set(tips)
    for push in pushes:
        if push.branch in outcome.accepted:
            how = "rewritten history, with lease" if push.lease else "new commits"
            run.tell(Event("pushed", f"{push.branch} ({how})", push.name))
            continue
        run.doing.not_pushed.add(push.branch)
        why = outcome.rejected.get(push.branch, "no answer")
        if why.startswith("[rejected]"):  # stale info, fetch first, non-fast-forward
            text = (
                f"the remote refused {push.branch} ({why}): someone else pushed to it since; "
                "their commits are kept: bring them in and run this again"
            )
        else:  # a hook, a busy ref, or a push that won the race on the server itself
            text = (
                f"the remote refused {push.branch} ({why}): your branch is as it was and "
                "nothing there was overwritten; run this again (it says what to do if "
                "someone else pushed)"
            )
        run.events.add(Event("refused", text, push.name))


def delete_remote_branches(action: DeleteRemoteBranches, run: Execution) -> None:
    remote = run.spec.defaults.remote
    deleted = run.git.delete_remote_branches(remote, action.leases)
    if run.dry_run:
        run.doing.deleted_remote |= set(action.leases)
        return
    run.doing.deleted_remote |= deleted
    for branch in sorted(set(action.leases) - deleted):
        text = (
            f"could not delete {remote}/{branch} (the push was refused or did not finish): "
            "prune again"
        )
        run.events.add(Event("failed", text, action.names.get(branch)))


# -- sync --------------------------------------------------------------------------------------


def resync(action: Resync, run: Execution) -> None:
    git = run.git
    how: Literal["merge", "rebase"] = "merge" if action.merge else "rebase"
    if action.restack == "follow" and not run.dry_run:  # the prerequisite's tip now (this
        ref = f"refs/heads/{action.onto_label}"  # run may have just moved it)
        action = replace(action, onto=git.refs(ref).get(ref, action.onto))
    if action.restack is not None and action.onto == action.upstream:
        return  # it is built on that tip already
    git.update_refs({backup_ref(action.name): action.tip})
    record = UndoRecord(how, action.worktree, action.branch, action.tip, action.onto)
    with run.noting(record):
        clashes = _move(git, action)
    if clashes is None:
        if action.known_conflict:  # it applies now
            git.delete_refs([conflict_ref(action.name), conflict_ref(action.name, merge=True)])
        if action.restack == "follow":
            git.update_refs({stack_ref(action.branch): action.onto})
        elif action.restack == "land":
            git.delete_refs([stack_ref(action.branch)])
        if action.lease is not None:
            tip = action.tip if run.dry_run else git.head_of(action.worktree)
            run.doing.resynced.append(Push(action.name, action.branch, tip, action.lease))
        verb = "restacked onto" if action.restack else "rebased onto"
        verb = "merged into" if action.merge else verb
        text = (
            f"{verb} {action.onto_label} ({action.onto[:7]}); old tip kept as "
            f"{backup_ref(action.name)}"
        )
        run.tell(Event("synced", text, action.name))
        return
    git.update_refs({conflict_ref(action.name, merge=action.merge): action.onto})
    if action.known_conflict:  # the other way's record goes: the next step is this way's
        git.delete_refs([conflict_ref(action.name, merge=not action.merge)])
    if git.head_of(action.worktree) != action.tip:  # the abort did not restore it
        text = (
            f"the {how} stopped and could not be undone; the old tip is "
            f"{backup_ref(action.name)} ({action.tip[:7]})"
        )
        run.events.add(Event("conflict", text, action.name))
        return
    text = (
        f"left as it was; {resolve_by_hand(action.worktree, action.onto_label, merge=action.merge)}"
    )
    run.events.add(Event("conflict", text, action.name, details={"files": clashes}))


def _move(git: Git, action: Resync) -> list[str] | None:
    """None when done; else the conflicting files, after the operation was aborted."""
    if action.merge:
        message = f"Merge {action.onto_label} into {action.branch}"
        done = git.merge_into(action.worktree, action.onto, message)
    else:
        done = git.rebase(action.worktree, action.onto, upstream=action.upstream)
    if done:
        return None
    operation = "merge" if action.merge else "rebase"
    try:
        files = git.conflicted_files(action.worktree)
    finally:  # once more if it fails: a git of the person's may hold a lock a moment
        aborted = git.abort(action.worktree, operation) or git.abort(action.worktree, operation)
    if not aborted:
        raise PrgroupsError(
            f"could not undo the stopped {operation} in {action.worktree}; run `git "
            f"{operation} --abort` there, then sync again"
        )
    if not files:  # git stopped for another reason than a conflict: nothing to remember
        raise PrgroupsError(
            f"{action.name}: git {operation} failed in {action.worktree}; sync again"
        )
    return files


def report_pruned(action: ReportPruned, run: Execution) -> None:
    parts = []
    if action.worktree is not None:
        parts.append(f"worktree {action.worktree}")
    if action.branch is not None:
        parts.append(f"branch {action.branch}")
    if action.remote is not None and action.remote in run.doing.deleted_remote:
        parts.append(f"{run.spec.defaults.remote}/{action.remote}")
    if parts:
        run.tell(Event("pruned", ", ".join(parts), action.name))
