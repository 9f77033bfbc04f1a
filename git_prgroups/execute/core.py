"""The executor's core: each action to its step, in plan order; a batch's members side
by side as the plan grouped them. Ctrl-C stops it between steps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from git_prgroups.execute import forge_steps, git_steps, local_steps
from git_prgroups.execute.run import Done, Execution
from git_prgroups.interrupt import STOP
from git_prgroups.planning.actions import (
    Action,
    AddLabels,
    AddPeople,
    AddWorktree,
    AddWorktrees,
    AnnounceReady,
    ArmAutoMerge,
    CloseIssue,
    ClosePR,
    DeleteBranches,
    DeleteRefs,
    DeleteRemoteBranches,
    EditPR,
    EnsureLabels,
    FastForward,
    ForgetMissingWorktrees,
    ForgeWrites,
    LandArmed,
    MarkReady,
    Notice,
    OpenPR,
    PostReport,
    PrepareWorktree,
    PrepareWorktrees,
    PushBranches,
    RecordIssues,
    RecordPushed,
    RecordSetupsDue,
    RecordStacks,
    RecordStarts,
    RemoveWorktree,
    Report,
    ReportPruned,
    RerunChecks,
    Resync,
    RetargetPR,
    RunCommand,
    RunCommands,
    UpdateBranch,
    members,
)


def execute(actions: Sequence[Action], run: Execution) -> Done:
    """Carry out `actions` in order, each batch's members side by side; what they did
    that the command plans its next step from."""
    doing = run.doing
    changed, pushed, merged = doing.changed, set(doing.pushed), len(doing.merged)
    for at, action in enumerate(actions):
        if STOP.asked:  # Ctrl-C: the step before this one was the last
            for left in members(actions[at:]):
                run.not_reached(left)
            STOP.check()
        if not isinstance(action, Report | Notice):
            run.doing.changed += sum(1 for _ in members([action]))
        carry_out(action, run)
    return Done(
        doing.changed - changed, frozenset(doing.pushed - pushed), tuple(doing.merged[merged:])
    )


def carry_out(action: Action, run: Execution) -> None:
    """One action by its step: the match covers every kind of action (mypy checks that
    none is missing)."""
    match action:
        case Report() | Notice():
            run.events.add(action.event)
        case AddWorktrees(adds):
            local_steps.add_worktrees(adds, run)
        case PrepareWorktrees(prepares):
            local_steps.prepare_worktrees(prepares, run)
        case RunCommands(commands):
            local_steps.run_commands(commands, run)
        case ForgeWrites(writes):
            forge_steps.forge_writes(writes, run)
        case AddWorktree():
            local_steps.add_worktrees([action], run)
        case PrepareWorktree():
            local_steps.prepare_worktrees([action], run)
        case RunCommand():
            local_steps.run_commands([action], run)
        case RecordStarts():
            git_steps.record_starts(action, run)
        case RecordStacks():
            git_steps.record_stacks(action, run)
        case RecordSetupsDue():
            git_steps.record_setups_due(action, run)
        case ForgetMissingWorktrees():
            git_steps.forget_missing_worktrees(action, run)
        case FastForward():
            git_steps.fast_forward(action, run)
        case RemoveWorktree():
            git_steps.remove_worktree(action, run)
        case DeleteBranches():
            git_steps.delete_branches(action, run)
        case DeleteRefs():
            git_steps.delete_refs(action, run)
        case RecordPushed():
            git_steps.record_pushed(action, run)
        case PushBranches():
            git_steps.push_branches(action, run)
        case DeleteRemoteBranches():
            git_steps.delete_remote_branches(action, run)
        case Resync():
            git_steps.resync(action, run)
        case ReportPruned():
            git_steps.report_pruned(action, run)
        case OpenPR() | MarkReady() | ArmAutoMerge() | AddLabels() | EditPR() | CloseIssue():
            forge_steps.forge_writes([action], run)  # a batch of one: its follow-up too
        case RerunChecks() | AnnounceReady() | UpdateBranch() | AddPeople() | RetargetPR():
            forge_steps.forge_writes([action], run)
        case EnsureLabels():
            forge_steps.ensure_labels(action, run)
        case RecordIssues():
            forge_steps.record_issues(action, run)
        case LandArmed():
            forge_steps.land_armed(action, run)
        case ClosePR():
            forge_steps.close_pr(action, run)
        case PostReport():
            forge_steps.post_report(action, run)
        case _:
            _unhandled(action)


def _unhandled(action: NoReturn) -> NoReturn:
    """mypy proves no action reaches here (typing.assert_never, on Python 3.10 too)."""
    raise AssertionError(f"no handler for {action!r}")
