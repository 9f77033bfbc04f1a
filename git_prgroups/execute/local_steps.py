"""Local work side by side: worktrees made and made ready, and `exec`'s commands, each
`workers` at once, told in plan order."""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Event, Events, command_line, showing
from git_prgroups.execute.run import Execution
from git_prgroups.interrupt import STOP, each_of, result_of
from git_prgroups.journal import UndoRecord
from git_prgroups.planning.actions import AddWorktree, PrepareWorktree, RunCommand
from git_prgroups.planning.world import SETUP_DUE, SETUP_NOT_ALLOWED
from git_prgroups.trust import untrusted
from git_prgroups.worktreeinclude import copy_included, included_files

SETUP_TAIL = 10  # lines of a failed setup's output told


def add_worktrees(adds: Sequence[AddWorktree], run: Execution) -> None:
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


def prepare_worktrees(actions: Sequence[PrepareWorktree], run: Execution) -> None:
    """Each new worktree made ready to work in, `workers` at once, told in plan order.
    Setup commands never allowed here are not run: the entries are marked for
    `up --setup` once they are."""
    refused = untrusted(run.store, [argv for action in actions for argv in action.setup])
    if refused:
        run.events.add(untrusted_event("setup", refused))
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
        record_setup_failure(failed, SETUP_NOT_ALLOWED)
        return
    log = run.store.logs / f"setup-{action.name}.log"
    record_setup_failure(failed, SETUP_DUE)  # until it passes: a kill leaves it due
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as written:
        for argv in action.setup:  # begun, it runs to its end: Ctrl-C stops what follows
            result = run.git.runner.run(argv, cwd=action.path, check=False, mutating=True)
            written.write(f"$ {shlex.join(argv)}\n{result.stdout}{result.stderr}")
            if not result.ok:
                tail = (result.stdout + result.stderr).strip().splitlines()[-SETUP_TAIL:]
                record_setup_failure(failed, str(log))
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


def run_commands(actions: Sequence[RunCommand], run: Execution) -> None:
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


def record_setup_failure(record: Path, why: str) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(f"{why}\n", encoding="utf-8")


def _count(items: Sequence[object], word: str) -> str:
    return f"{len(items)} {word}{'' if len(items) == 1 else 's'}"


def untrusted_event(what: str, commands: Sequence[Sequence[str]]) -> Event:
    commands = list(dict.fromkeys(tuple(argv) for argv in commands))
    listed = "; ".join(shlex.join(argv) for argv in commands)
    text = (
        f"not run: the spec's {what} commands were never allowed here ({listed}): "
        "git prgroups trust allows them"
    )
    return Event("refused", text, details={"commands": [list(a) for a in commands]})
