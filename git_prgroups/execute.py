"""The one executor: carries out the actions every command plans, and says what happened.

Each action runs through the git and forge verbs. Before a risky step (a worktree
made or removed, a rebase or merge) its undo record is written, so a run killed in
the middle is finished or undone by the next (recovery.py); before a destructive one
what it would destroy is looked at again. Independent actions of one kind run side
by side, `jobs` at a time, their events told in plan order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shlex
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, NoReturn

from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Event, Events, command_line, showing
from git_prgroups.forges.base import AutoMergeDisabled, Forge
from git_prgroups.git import Git, PushUpdate, push_outcome
from git_prgroups.history import History
from git_prgroups.interrupt import STOP, each_of, result_of, wait_for
from git_prgroups.journal import Journal, UndoRecord
from git_prgroups.model import BranchName, Landing, People, PullRequest
from git_prgroups.planning.actions import (
    Action,
    AddLabels,
    AddPeople,
    AddWorktree,
    AnnounceReady,
    ArmAutoMerge,
    CloseIssue,
    DeleteBranches,
    DeleteRefs,
    DeleteRemoteBranches,
    EditPR,
    EnsureLabels,
    FastForward,
    ForgetMissingWorktrees,
    LandArmed,
    MarkReady,
    Notice,
    OpenPR,
    PrepareWorktree,
    Push,
    PushBranches,
    RecordIssues,
    RecordPushed,
    RecordSetupsDue,
    RecordStarts,
    RemoveWorktree,
    Report,
    ReportPruned,
    RerunChecks,
    Resync,
    RunCommand,
    UpdateBranch,
)
from git_prgroups.planning.sync import resolve_by_hand
from git_prgroups.planning.up import conflict_advice, landing_event
from git_prgroups.planning.world import SETUP_DUE, SETUP_NOT_ALLOWED
from git_prgroups.proc import CommandFailed
from git_prgroups.spec import Spec
from git_prgroups.store import (
    Store,
    backup_ref,
    conflict_ref,
    made_ref,
    pushed_ref,
)
from git_prgroups.trust import untrusted
from git_prgroups.worktreeinclude import copy_included, included_files

FORGE_JOBS = 4  # forge writes under way at once, unless the spec or --jobs says
SETUP_TAIL = 10  # lines of a failed setup's output told
NOT_REACHED = "not reached: stopped by Ctrl-C (run the command again to go on)"


def cores() -> int:
    return os.cpu_count() or 2


@dataclass
class Execution:
    """One command's run of actions: what it works with, and what earlier actions did
    that later ones need."""

    spec: Spec
    git: Git
    forge: Forge
    events: Events
    journal: Journal
    dry_run: bool = False
    jobs: int = FORGE_JOBS  # forge writes at once
    workers: int = field(default_factory=cores)  # local work at once: checkouts, checks
    # what the run did so far
    changed: int = 0
    pushed: set[BranchName] = field(default_factory=set)
    not_pushed: set[BranchName] = field(default_factory=set)
    resynced: list[Push] = field(default_factory=list)
    deleted_remote: set[BranchName] = field(default_factory=set)
    # the entries whose PR merged into its base this round (landed here, or at once by
    # the forge); shared with the copies each forge write works in
    merged: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        spec: Spec,
        git: Git,
        forge: Forge,
        events: Events,
        *,
        dry_run: bool = False,
        jobs: int | None = None,
        workers: int | None = None,
    ) -> Execution:
        """A command's run; in a dry run the seam shows what would change instead.
        `jobs`: forge writes at once; `workers`: local work at once (default: cores)."""
        if dry_run:
            git.runner.dry_run = True
            git.runner.would = events.add
        store = Store.of(git.common_dir())
        journal = Journal(store.undo)
        if dry_run:  # one at a time: what it would run is shown in order
            return cls(spec, git, forge, events, journal, dry_run=True, jobs=1, workers=1)
        events.also(History(store.history).record)
        git.runner.waiting = _told_while_waiting(events)
        jobs = (jobs or spec.defaults.jobs or FORGE_JOBS) if forge.concurrent_writes else 1
        return cls(spec, git, forge, events, journal, jobs=jobs, workers=workers or cores())

    @property
    def store(self) -> Store:
        return Store(self.journal.folder.parent)

    def tell(self, event: Event) -> None:
        """An event of what was done; a dry run says what it would run instead."""
        if not self.dry_run:
            self.events.add(event)

    def not_reached(self, action: Action) -> None:
        """Ctrl-C stopped the run before `action`: its entry is told as skipped (once)."""
        name = getattr(action, "name", None)
        if isinstance(name, str) and not isinstance(action, Report | Notice):
            self.events.add(Event("skipped", NOT_REACHED, name, details={"reason": "interrupted"}))

    @contextlib.contextmanager
    def noting(self, record: UndoRecord) -> Iterator[None]:
        if self.dry_run:
            yield
            return
        with self.journal.noting(record):
            yield


def _told_while_waiting(
    events: Events,
) -> Callable[[str, dict[str, object]], contextlib.AbstractContextManager[None]]:
    """A wait a server asked for: an event, and the progress line while it lasts."""

    @contextlib.contextmanager
    def waiting(text: str, details: dict[str, object]) -> Iterator[None]:
        events.add(Event("waiting", text, details=details))
        with showing(events.progress, text):
            yield

    return waiting


# Writes to the forge, each about one PR or issue: different PRs' go side by side.
FORGE_WRITES = (
    OpenPR, ArmAutoMerge, AddLabels, EditPR, CloseIssue, RerunChecks, MarkReady, AnnounceReady,
    UpdateBranch, AddPeople,
)  # fmt: skip


def execute(actions: Sequence[Action], run: Execution) -> None:
    """Carry out `actions` in order; runs of worktrees to make, and of forge writes,
    side by side."""
    at = 0
    while at < len(actions):
        if STOP.asked:  # Ctrl-C: the step before this one was the last
            for action in actions[at:]:
                run.not_reached(action)
            STOP.check()
        action = actions[at]
        kinds = (
            (AddWorktree,) if isinstance(action, AddWorktree)
            else (PrepareWorktree,) if isinstance(action, PrepareWorktree)
            else (RunCommand,) if isinstance(action, RunCommand)
            else FORGE_WRITES if isinstance(action, FORGE_WRITES)
            else None
        )  # fmt: skip
        if kinds is None:
            _one(action, run)
            at += 1
            continue
        end = at
        while end < len(actions) and isinstance(actions[end], kinds):
            end += 1
        batch = actions[at:end]
        run.changed += len(batch)
        if kinds == (AddWorktree,):
            _add_worktrees(batch, run)  # type: ignore[arg-type]
        elif kinds == (PrepareWorktree,):
            _prepare_worktrees(batch, run)  # type: ignore[arg-type]
        elif kinds == (RunCommand,):
            _run_commands(batch, run)  # type: ignore[arg-type]
        else:
            _forge_writes(batch, run)
        at = end


def _one(action: Action, run: Execution) -> None:
    if not isinstance(action, Report | Notice):
        run.changed += 1
    _carry_out(action, run)


def _add_worktrees(adds: Sequence[AddWorktree], run: Execution) -> None:
    """Each registered in turn (`git worktree add` reads every other worktree's
    registration, and dies on one another is still writing), then checked out side by
    side, `workers` at a time; each under its undo record until its files are in."""
    failures: list[PrgroupsError] = []
    hook = run.git.hook_exists("post-checkout")  # looked up once, not per worktree
    progress = run.events.progress
    with showing(progress, "making worktrees", len(adds)), ThreadPoolExecutor(run.workers) as pool:
        started = []
        for add in adds:
            if STOP.asked:
                run.not_reached(add)
                continue
            progress.started(add.name)
            record = None
            if not run.dry_run:
                record = run.journal.note(
                    UndoRecord("add-worktree", add.path, add.branch, add.commit)
                )
            run.git.worktree_register(add.path, add.branch)
            if run.dry_run:  # nothing runs: its lines come in plan order, after its register
                run.git.check_out(add.path, add.commit, hook=hook)
                checkout: Future[None] = Future()
                checkout.set_result(None)
            else:
                checkout = pool.submit(run.git.check_out, add.path, add.commit, hook=hook)
            started.append((add, record, checkout))
        for add, record, checkout in started:
            try:
                result_of(checkout)
            except PrgroupsError as error:  # its record stays: the next run finishes it
                failures.append(error)
                continue
            finally:
                progress.finished(add.name)
            if record is not None:
                run.journal.forget(record)
            start = f"from {add.onto} {add.commit[:7]}" if add.new else f"on {add.branch}"
            if add.stale:
                start += " (its folder had been deleted: made again)"
            run.tell(
                Event(
                    "worktree",
                    f"{add.path} {start}",
                    add.name,
                    details={"branch": add.branch, "path": str(add.path)},
                )
            )
    if failures:
        raise failures[0]


def _prepare_worktrees(actions: Sequence[PrepareWorktree], run: Execution) -> None:
    """Each new worktree made ready to work in, `workers` at once, told in plan order.
    Setup commands never allowed here are not run: the entries are marked for
    `up --setup` once they are."""
    refused = untrusted(run.store, [argv for action in actions for argv in action.setup])
    if refused:
        run.events.add(_untrusted_event("setup", refused))
    included = [] if run.dry_run else included_files(run.git, run.spec.root)
    told = [Events() for _ in actions]

    progress = run.events.progress

    def prepare(action: PrepareWorktree, events: Events) -> None:
        if STOP.asked:  # its record says it is due: the next up runs it
            run.not_reached(action)
            return
        allowed = not set(action.setup) & set(refused)
        progress.started(action.name)
        try:
            _prepare(action, replace(run, events=events), included, allowed=allowed)
        finally:
            progress.finished(action.name)

    with showing(progress, "setting up", len(actions)), ThreadPoolExecutor(run.workers) as pool:
        each_of(pool, prepare, actions, told)
    for events in told:
        run.events.extend(list(events))


def _prepare(
    action: PrepareWorktree, run: Execution, included: list[str], *, allowed: bool
) -> None:
    copied = copy_included(run.spec.root, action.path, included)
    if copied:
        run.tell(Event("set-up", f"copied {_count(copied, 'ignored file')} into {action.path}",
                       action.name, details={"copied": copied}))  # fmt: skip
    failed = run.store.setup_failures / action.name
    if not action.setup:
        if not run.dry_run:
            failed.unlink(missing_ok=True)
        return
    if run.dry_run:
        for argv in action.setup:
            run.git.runner.tell_would("would-run", command_line(argv, action.path))
        return
    if not allowed:
        _record_setup_failure(failed, SETUP_NOT_ALLOWED)
        return
    log = run.store.logs / f"setup-{action.name}.log"
    _record_setup_failure(failed, SETUP_DUE)  # until it passes: a kill leaves it due
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as written:
        for argv in action.setup:  # begun, it runs to its end: Ctrl-C stops what follows
            result = run.git.runner.run(argv, cwd=action.path, check=False, mutating=True)
            written.write(f"$ {shlex.join(argv)}\n{result.stdout}{result.stderr}")
            if not result.ok:
                tail = (result.stdout + result.stderr).strip().splitlines()[-SETUP_TAIL:]
                _record_setup_failure(failed, str(log))
                text = (
                    f"setup `{shlex.join(argv)}` failed (exit {result.returncode}); its output "
                    f"is in {log}; fix it, then git prgroups up"
                )
                details = {"log": str(log), "tail": tail}
                run.events.add(Event("failed", "\n".join([text, *tail]), action.name,
                                     details=details))  # fmt: skip
                return
    failed.unlink(missing_ok=True)
    seconds = time.monotonic() - started
    text = f"{_count(action.setup, 'setup command')} in {seconds:.1f} s; output in {log}"
    run.tell(Event("set-up", text, action.name, details={"log": str(log)}))


def _run_commands(actions: Sequence[RunCommand], run: Execution) -> None:
    """`exec`: each command in its worktree, `workers` at once, each told as it ends
    (with its exit code, seconds and last line of output; its log for the rest)."""
    progress = run.events.progress
    what = shlex.join(actions[0].argv) if actions else ""

    def one(action: RunCommand) -> None:
        if STOP.asked:
            run.not_reached(action)
            return
        log = run.store.logs / f"exec-{action.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        progress.started(action.name)
        started = time.monotonic()
        try:
            code = run.git.runner.run_logged(
                action.argv, cwd=action.path, log=log, env=dict(action.env)
            )
        finally:
            progress.finished(action.name)
        if run.dry_run:
            return
        seconds = time.monotonic() - started
        last = _last_line(log)
        text = f"exit {code} in {seconds:.1f} s" + (f": {last}" if last else "")
        if code != 0:
            text += f" (output in {log})"
        details = {"code": code, "seconds": round(seconds, 2), "last_line": last, "log": str(log)}
        run.events.add(Event("ran" if code == 0 else "failed", text, action.name,
                             details=details))  # fmt: skip

    with showing(progress, what, len(actions)), ThreadPoolExecutor(run.workers) as pool:
        each_of(pool, one, actions)


def _last_line(log: Path, tail: int = 4096) -> str:
    """The last line of output that is not blank."""
    with log.open("rb") as file:
        file.seek(max(file.seek(0, os.SEEK_END) - tail, 0))
        lines = file.read().decode("utf-8", "replace").splitlines()
    return next((line.strip() for line in reversed(lines) if line.strip()), "")


def _record_setup_failure(record: Path, why: str) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(f"{why}\n", encoding="utf-8")


def _count(items: Sequence[object], word: str) -> str:
    return f"{len(items)} {word}{'' if len(items) == 1 else 's'}"


def _untrusted_event(what: str, commands: Sequence[Sequence[str]]) -> Event:
    commands = list(dict.fromkeys(tuple(argv) for argv in commands))
    listed = "; ".join(shlex.join(argv) for argv in commands)
    text = (
        f"not run: the spec's {what} commands were never allowed here ({listed}): "
        "git prgroups trust allows them"
    )
    return Event("refused", text, details={"commands": [list(a) for a in commands]})


def _forge_writes(actions: Sequence[Action], run: Execution) -> None:
    """Each PR's writes in their order (opened, then armed), different PRs side by side,
    `jobs` requests under way at once. What each did is told in plan order, as soon as
    those before it are told; a failure stops only its own PR, and says what was done."""
    told = [Events() for _ in actions]
    ended = [threading.Event() for _ in actions]
    bugs: list[BaseException] = []
    progress = run.events.progress
    labels = [_label(action) for action in actions]

    with (
        showing(progress, "writing to the forge", len(actions)),
        ThreadPoolExecutor(run.jobs) as pool,
    ):

        def step(index: int, work: Callable[[], Step]) -> None:
            if STOP.asked:  # Ctrl-C: no more writes begin
                run.not_reached(actions[index])
                ended[index].set()
                return
            progress.started(labels[index])
            try:
                follow = work()
            except PrgroupsError as error:
                told[index].add(_failed(actions[index], error, told[index]))
                follow = None
            except BaseException as error:  # a bug: raised once all have ended
                bugs.append(error)
                follow = None
            if follow is None:
                progress.finished(labels[index])
                ended[index].set()
            elif run.jobs == 1:  # one at a time: each PR's writes together, in plan order
                step(index, follow)
            else:
                pool.submit(step, index, follow)

        for index, action in enumerate(actions):
            own = replace(run, events=told[index])
            first = functools.partial(_first_write, action, own)
            if run.jobs == 1:
                step(index, first)
            else:
                pool.submit(step, index, first)
        refused_auto_merge = False
        for index in range(len(actions)):
            wait_for(ended[index])
            for event in told[index]:
                if event.details.get("auto-merge") == "off":  # said in full once
                    if refused_auto_merge:
                        event = replace(event, message=AUTO_MERGE_OFF_AGAIN)
                    refused_auto_merge = True
                run.events.add(event)
    if bugs:
        raise bugs[0]


Step = Callable[[], "Step"] | None  # a write that may have one more to do after it


def _label(action: Action) -> str:
    """What a forge write is about, for the progress line."""
    return getattr(action, "name", None) or f"#{getattr(action, 'number', '?')}"


AUTO_MERGE_OFF_AGAIN = "auto-merge is turned off for the repository (above)"


def _first_write(action: Action, run: Execution) -> Step:
    if isinstance(action, OpenPR):
        return _open_pr(action, run)
    if isinstance(action, MarkReady):
        return _mark_ready(action, run)
    _carry_out(action, run)
    return None


_NOT_DONE: dict[type, str] = {  # a write about one PR, and what its failure leaves undone
    ArmAutoMerge: "auto-merge not turned on",
    AddLabels: "labels not added",
    EditPR: "title and body not updated",
    AddPeople: "reviewers, assignees or milestone not set",
    UpdateBranch: "not brought up to date",
    MarkReady: "not marked ready for review",
    RerunChecks: "failed checks not run again",
}


def _failed(action: Action, error: PrgroupsError, told: Events) -> Event:
    """What a failed write did and did not do, in its entry's words."""
    opened = [e for e in told if e.kind == "opened"]
    if isinstance(action, OpenPR) and opened:
        pr = opened[0].pr
        return Event("failed", f"#{pr} opened; auto-merge not turned on: {error}", action.name, pr)
    if isinstance(action, OpenPR):
        return Event("failed", f"no PR opened: {error}", action.name)
    if isinstance(action, AnnounceReady):
        return Event("failed", f"#{action.epic}: ready entries not named: {error}")
    not_done = _NOT_DONE.get(type(action))
    pr = getattr(action, "pr", None)
    if not_done is not None and pr is not None:
        return Event("failed", f"#{pr.number}: {not_done}: {error}", _label(action), pr.number)
    assert isinstance(action, CloseIssue)
    return Event("failed", f"#{action.number} not closed: {error}")


# -- worktrees and refs ----------------------------------------------------------------------


def _report(action: Report | Notice, run: Execution) -> None:
    run.events.add(action.event)


def _record_starts(action: RecordStarts, run: Execution) -> None:
    run.git.update_refs(
        {made_ref(branch): sha for branch, sha in action.starts.items()},
        create={f"refs/heads/{branch}": sha for branch, sha in action.starts.items()},
    )


def _record_setups_due(action: RecordSetupsDue, run: Execution) -> None:
    for name in () if run.dry_run else action.names:
        _record_setup_failure(run.store.setup_failures / name, SETUP_DUE)


def _forget_missing_worktrees(action: ForgetMissingWorktrees, run: Execution) -> None:
    run.git.worktree_prune()


def _fast_forward(action: FastForward, run: Execution) -> None:
    run.git.fast_forward(action.path, action.to)
    text = f"no commits yet, moved up to {action.onto} {action.to[:7]}"
    run.tell(Event("moved-up", text, action.name))


def _remove_worktree(action: RemoveWorktree, run: Execution) -> None:
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


def _delete_branches(action: DeleteBranches, run: Execution) -> None:
    """Each branch only while it is where the plan saw it (read again, right before)."""
    now = run.git.refs("refs/heads/")
    going = [b for b, tip in action.tips.items() if now.get(f"refs/heads/{b}") == tip]
    for branch in sorted(set(action.tips) - set(going)):
        if f"refs/heads/{branch}" in now:
            why = f"{branch} moved while prune ran: left as it is; prune again"
            run.events.add(Event("refused", why, branch))
    run.git.delete_branches(going)


def _delete_refs(action: DeleteRefs, run: Execution) -> None:
    run.git.delete_refs(action.refs)


# -- the remote ------------------------------------------------------------------------------


def _record_pushed(action: RecordPushed, run: Execution) -> None:
    """Note what a killed run pushed and never noted; its push may have died before
    writing the branch's upstream too, which `--set-upstream` would have."""
    run.git.update_refs({pushed_ref(branch): tip for branch, tip in action.tips.items()})
    following = run.git.upstreams()
    for branch in sorted(action.tips):
        if branch not in following:
            run.git.set_upstream(branch, run.spec.defaults.remote)


def _push_branches(action: PushBranches, run: Execution) -> None:
    pushes = [*action.pushes, *(run.resynced if action.with_resynced else ())]
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
    run.pushed |= set(tips)
    for push in pushes:
        if push.branch in outcome.accepted:
            how = "rewritten history, with lease" if push.lease else "new commits"
            run.tell(Event("pushed", f"{push.branch} ({how})", push.name))
            continue
        run.not_pushed.add(push.branch)
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


def _delete_remote_branches(action: DeleteRemoteBranches, run: Execution) -> None:
    remote = run.spec.defaults.remote
    deleted = run.git.delete_remote_branches(remote, action.leases)
    if run.dry_run:
        run.deleted_remote |= set(action.leases)
        return
    run.deleted_remote |= deleted
    for branch in sorted(set(action.leases) - deleted):
        text = (
            f"could not delete {remote}/{branch} (the push was refused or did not finish): "
            "prune again"
        )
        run.events.add(Event("failed", text, action.names.get(branch)))


# -- sync --------------------------------------------------------------------------------------


def _resync(action: Resync, run: Execution) -> None:
    git = run.git
    how: Literal["merge", "rebase"] = "merge" if action.merge else "rebase"
    git.update_refs({backup_ref(action.name): action.tip})
    record = UndoRecord(how, action.worktree, action.branch, action.tip, action.onto)
    with run.noting(record):
        clashes = _move(git, action)
    if clashes is None:
        if action.known_conflict:  # it applies now
            git.delete_refs([conflict_ref(action.name), conflict_ref(action.name, merge=True)])
        if action.lease is not None:
            tip = action.tip if run.dry_run else git.head_of(action.worktree)
            run.resynced.append(Push(action.name, action.branch, tip, action.lease))
        text = (
            f"{'merged into' if action.merge else 'rebased onto'} {action.onto_label} "
            f"({action.onto[:7]}); old tip kept as {backup_ref(action.name)}"
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
        done = git.rebase(action.worktree, action.onto)
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


# -- the forge --------------------------------------------------------------------------------


def _open_pr(action: OpenPR, run: Execution) -> Step:
    """Open the PR; arming it is the step after."""
    if action.request.head in run.not_pushed:
        return None  # its push was refused
    pr = run.forge.create(action.request)
    run.tell(
        Event("opened", f"#{pr.number} {pr.title}{_web_address(pr.url)}", action.name, pr.number,
              {"url": pr.url, "title": pr.title})
    )  # fmt: skip
    people = action.people
    arm = ArmAutoMerge(action.name, pr, action.method) if action.method else None
    if not people and arm is None:
        return None

    def then() -> None:  # reviewers asked for, then armed: one after the other
        if people:
            _ask_people(action.name, pr, people, run)
        if arm is not None:
            _arm(arm, run)

    return then


def _arm(action: ArmAutoMerge, run: Execution) -> None:
    if action.pr.head in run.not_pushed:
        return
    pr = action.pr
    try:
        armed = run.forge.arm_auto_merge(pr, action.method)
    except AutoMergeDisabled as error:  # off for the repository: said in full once
        details = {"auto-merge": "off"}
        run.events.add(Event("refused", error.message, action.name, pr.number, details))
        return
    if armed.queued is not None:  # into the merge queue, whose own settings merge it
        again = " back" if action.again else ""
        text = f"#{pr.number}{again} into the merge queue (place {armed.queued})"
        run.tell(Event("auto-merge", text, action.name, pr.number, {"queued": armed.queued}))
        return
    if armed.merged:  # its base moved: dependents may start in the next round
        run.merged.append(action.name)
        text = f"#{pr.number} at once (it was mergeable already)"
        run.tell(Event("merged", text, action.name, pr.number))
        return
    again = " on again" if action.again else ""
    run.tell(Event("auto-merge", f"#{pr.number}{again} ({action.method})", action.name, pr.number))


def _add_people(action: AddPeople, run: Execution) -> None:
    if action.pr.head in run.not_pushed:
        return
    _ask_people(action.name, action.pr, action.people, run)


def _ask_people(name: str, pr: PullRequest, people: People, run: Execution) -> None:
    run.forge.add_people(pr, people)
    said = [
        *([f"review asked of {', '.join(people.reviewers)}"] if people.reviewers else []),
        *([f"assigned to {', '.join(people.assignees)}"] if people.assignees else []),
        *([f"milestone {people.milestone}"] if people.milestone else []),
    ]
    run.tell(Event("updated", f"#{pr.number} {'; '.join(said)}", name, pr.number))


def _record_issues(action: RecordIssues, run: Execution) -> None:
    run.forge.record_issues(action.issues)


def _update_branch(action: UpdateBranch, run: Execution) -> None:
    run.forge.update_branch(action.pr, action.rebase)
    how = "rebased onto" if action.rebase else "merged with"
    text = f"#{action.pr.number} {how} its base by the forge (it must be up to date to merge)"
    run.tell(Event("synced", text, action.name, action.pr.number))


def _announce_ready(action: AnnounceReady, run: Execution) -> None:
    run.forge.comment_issue(action.epic, action.text)
    for name in action.names:
        run.tell(Event("ready", f"named on #{action.epic} as ready to start", name))


def _mark_ready(action: MarkReady, run: Execution) -> Step:
    """Ready for review once green; arming it is the step after (a draft cannot be)."""
    pr = action.pr
    run.forge.mark_ready(pr)
    text = f"#{pr.number} ready for review: its checks passed"
    run.tell(Event("updated", text, action.name, pr.number))
    arm = ArmAutoMerge(action.name, dataclasses.replace(pr, draft=False), action.method)
    return functools.partial(_arm, arm, run)


def _rerun(action: RerunChecks, run: Execution) -> None:
    pr = action.pr
    assert pr.head_oid is not None
    marker = run.store.reruns / pr.head_oid
    if not run.dry_run:  # counted before it is asked for: a kill loses a rerun, never adds one
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{action.attempt}\n", encoding="utf-8")
    run.forge.rerun_failed(action.runs)
    names = ", ".join(pr.failed_checks) or "its checks"
    text = (
        f"#{pr.number} {names} failed on {pr.head_oid[:7]}: its failed jobs run again "
        f"({action.attempt} of {action.most})"
    )
    run.tell(Event("rerun", text, action.name, pr.number, {"head": pr.head_oid}))


def _add_labels(action: AddLabels, run: Execution) -> None:
    if action.pr.head in run.not_pushed:
        return
    run.forge.add_labels(action.pr, action.labels)
    text = f"#{action.pr.number} labels {', '.join(action.labels)}"
    run.tell(Event("updated", text, action.name, action.pr.number))


def _edit_pr(action: EditPR, run: Execution) -> None:
    if action.pr.head in run.not_pushed:
        return
    run.forge.edit(action.pr, title=action.title, body=action.body)
    text = f"#{action.pr.number} title and body"
    run.tell(Event("updated", text, action.name, action.pr.number))


def _land_armed(action: LandArmed, run: Execution) -> None:
    refused = untrusted(run.store, [argv for order in action.orders for argv in order.checks])
    if refused:  # the checks would run them: none lands until they are allowed
        run.events.add(_untrusted_event("checks", refused))
        return
    for landing in run.forge.land(action.orders, workers=run.workers, progress=run.events.progress):
        run.events.add(_landing_event(run.spec, landing))
        if landing.outcome == "landed":
            run.merged.append(landing.name)


def _landing_event(spec: Spec, landing: Landing) -> Event:
    detail = landing.detail
    if landing.outcome == "conflict":
        detail = conflict_advice(spec, spec.entry(landing.name), landing.base)
    return landing_event(landing.outcome, landing.name, landing.pr, detail)


def _ensure_labels(action: EnsureLabels, run: Execution) -> None:
    run.forge.ensure_labels(action.labels)


def _close_issue(action: CloseIssue, run: Execution) -> None:
    if action.closed:
        run.forge.comment_issue(action.number, action.comment)
    else:
        run.forge.close_issue(action.number, None if action.commented else action.comment)
    run.tell(
        Event("issue-closed", f"#{action.number}: {action.comment}",
              details={"issue": action.number, "comment": action.comment})
    )  # fmt: skip


def _report_pruned(action: ReportPruned, run: Execution) -> None:
    parts = []
    if action.worktree is not None:
        parts.append(f"worktree {action.worktree}")
    if action.branch is not None:
        parts.append(f"branch {action.branch}")
    if action.remote is not None and action.remote in run.deleted_remote:
        parts.append(f"{run.spec.defaults.remote}/{action.remote}")
    if parts:
        run.tell(Event("pruned", ", ".join(parts), action.name))


def _carry_out(action: Action, run: Execution) -> None:
    """One action by its handler: the match covers every kind of action (mypy checks
    that none is missing); those done in batches go through their batch."""
    match action:
        case Report() | Notice():
            _report(action, run)
        case RecordStarts():
            _record_starts(action, run)
        case RecordSetupsDue():
            _record_setups_due(action, run)
        case ForgetMissingWorktrees():
            _forget_missing_worktrees(action, run)
        case FastForward():
            _fast_forward(action, run)
        case RemoveWorktree():
            _remove_worktree(action, run)
        case DeleteBranches():
            _delete_branches(action, run)
        case DeleteRefs():
            _delete_refs(action, run)
        case RecordPushed():
            _record_pushed(action, run)
        case PushBranches():
            _push_branches(action, run)
        case DeleteRemoteBranches():
            _delete_remote_branches(action, run)
        case Resync():
            _resync(action, run)
        case ArmAutoMerge():
            _arm(action, run)
        case AnnounceReady():
            _announce_ready(action, run)
        case UpdateBranch():
            _update_branch(action, run)
        case RecordIssues():
            _record_issues(action, run)
        case AddPeople():
            _add_people(action, run)
        case RerunChecks():
            _rerun(action, run)
        case AddLabels():
            _add_labels(action, run)
        case EditPR():
            _edit_pr(action, run)
        case LandArmed():
            _land_armed(action, run)
        case EnsureLabels():
            _ensure_labels(action, run)
        case CloseIssue():
            _close_issue(action, run)
        case ReportPruned():
            _report_pruned(action, run)
        case OpenPR() | MarkReady():  # a write with one to follow (arm): as a batch of one
            _forge_writes([action], run)
        case AddWorktree():
            _add_worktrees([action], run)
        case PrepareWorktree():
            _prepare_worktrees([action], run)
        case RunCommand():
            _run_commands([action], run)
        case _:
            _unhandled(action)


def _unhandled(action: NoReturn) -> NoReturn:
    """mypy proves no action reaches here (typing.assert_never, on Python 3.10 too)."""
    raise AssertionError(f"no handler for {action!r}")


def _web_address(url: str) -> str:
    """A PR's address worth showing: a web page (the local forge's record is no page)."""
    return f"  {url}" if url.startswith(("http://", "https://")) else ""
