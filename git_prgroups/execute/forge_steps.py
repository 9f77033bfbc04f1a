"""The executor's forge steps: every write to a forge goes through `send`, the one place
that knows a dry run (the forge describes the write, and is never asked to make it),
and writes about different PRs go side by side, `jobs` at once, told in plan order."""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Event, Events, showing
from git_prgroups.execute.local_steps import untrusted_event
from git_prgroups.execute.run import Execution
from git_prgroups.forges import writes
from git_prgroups.forges.base import AutoMergeDisabled
from git_prgroups.interrupt import STOP, wait_for
from git_prgroups.model import NEW_PR, Armed, Landing, People, PullRequest
from git_prgroups.planning.actions import (
    AddLabels,
    AddPeople,
    AnnounceReady,
    ArmAutoMerge,
    CloseIssue,
    ClosePR,
    EditPR,
    EnsureLabels,
    ForgeWrite,
    LandArmed,
    MarkReady,
    OpenPR,
    PostReport,
    RecordIssues,
    RerunChecks,
    RetargetPR,
    UpdateBranch,
)
from git_prgroups.planning.up import conflict_advice, landing_event
from git_prgroups.proc import redact
from git_prgroups.spec import Spec
from git_prgroups.trust import untrusted

R = TypeVar("R")


def send(run: Execution, write: writes.Write, perform: Callable[[], R], would: R) -> R:
    """Carry out one forge write, or in a dry run tell what the forge says it would send
    and answer `would`, the write's stand-in result. Nothing begins once the second
    Ctrl-C has halted the run."""
    if run.dry_run:
        for text in run.forge.describe(write):
            run.events.add(Event(run.forge.shown_as, redact(text)))
        return would
    run.git.runner.stop_if_halted(f"a write to the forge ({type(write).__name__})")
    return perform()


Step = Callable[[], "Step"] | None  # a write that may have one more to do after it


def forge_writes(actions: Sequence[ForgeWrite], run: Execution) -> None:
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


def _label(action: ForgeWrite) -> str:
    """What a forge write is about, for the progress line."""
    return getattr(action, "name", None) or f"#{getattr(action, 'number', '?')}"


AUTO_MERGE_OFF_AGAIN = "auto-merge is turned off for the repository (above)"


def _first_write(action: ForgeWrite, run: Execution) -> Step:
    """The write, and the one its PR has next (arming after opening), if any."""
    match action:
        case OpenPR():
            return _open_pr(action, run)
        case MarkReady():
            return _mark_ready(action, run)
        case ArmAutoMerge():
            arm(action, run)
        case AddLabels():
            add_labels(action, run)
        case EditPR():
            edit_pr(action, run)
        case CloseIssue():
            close_issue(action, run)
        case RerunChecks():
            rerun(action, run)
        case AnnounceReady():
            announce_ready(action, run)
        case UpdateBranch():
            update_branch(action, run)
        case AddPeople():
            add_people(action, run)
        case RetargetPR():
            retarget(action, run)
    return None


_NOT_DONE: dict[type, str] = {  # a write about one PR, and what its failure leaves undone
    ArmAutoMerge: "auto-merge not turned on",
    AddLabels: "labels not added",
    EditPR: "title and body not updated",
    AddPeople: "reviewers, assignees or milestone not set",
    UpdateBranch: "not brought up to date",
    MarkReady: "not marked ready for review",
    RetargetPR: "not retargeted (its restack waits for that)",
    RerunChecks: "failed checks not run again",
}


def _failed(action: ForgeWrite, error: PrgroupsError, told: Events) -> Event:
    """What a failed write did and did not do, in its entry's words."""
    opened = [e for e in told if e.kind == "opened"]
    if isinstance(action, OpenPR) and opened:
        pr = opened[0].pr
        return Event("failed", f"#{pr} opened; auto-merge not turned on: {error}", action.name, pr)
    if isinstance(action, OpenPR):
        return Event("failed", f"no PR opened: {error}", action.name)
    if isinstance(action, AnnounceReady):
        return Event("failed", f"#{action.epic}: ready entries not named: {error}")
    if isinstance(action, CloseIssue):
        return Event("failed", f"#{action.number} not closed: {error}")
    return Event("failed", f"#{action.pr.number}: {_NOT_DONE[type(action)]}: {error}",
                 action.name, action.pr.number)  # fmt: skip


# -- each write -------------------------------------------------------------------------------


def _open_pr(action: OpenPR, run: Execution) -> Step:
    """Open the PR; arming it is the step after."""
    if action.request.head in run.doing.not_pushed:
        return None  # its push was refused
    request = action.request
    pr = send(run, writes.Open(request), lambda: run.forge.create(request), _would_open(action))
    run.tell(
        Event("opened", f"#{pr.number} {pr.title}{_web_address(pr.url)}", action.name, pr.number,
              {"url": pr.url, "title": pr.title})
    )  # fmt: skip
    people = action.people
    armed = ArmAutoMerge(action.name, pr, action.method) if action.method else None
    if not people and armed is None:
        return None

    def then() -> None:  # reviewers asked for, then armed: one after the other
        if people:
            _ask_people(action.name, pr, people, run)
        if armed is not None:
            arm(armed, run)

    return then


def _would_open(action: OpenPR) -> PullRequest:
    """The PR a dry run stands in for the one it would open: no number, no page yet."""
    request = action.request
    return PullRequest(NEW_PR, "open", request.head, request.base, request.title, request.body,
                       "", draft=request.draft)  # fmt: skip


def arm(action: ArmAutoMerge, run: Execution) -> None:
    if action.pr.head in run.doing.not_pushed:
        return
    pr = action.pr
    try:
        armed = send(run, writes.Arm(pr, action.method),
                     lambda: run.forge.arm_auto_merge(pr, action.method), Armed())  # fmt: skip
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
        run.doing.merged.append(action.name)
        text = f"#{pr.number} at once (it was mergeable already)"
        run.tell(Event("merged", text, action.name, pr.number))
        return
    again = " on again" if action.again else ""
    run.tell(Event("auto-merge", f"#{pr.number}{again} ({action.method})", action.name, pr.number))


def add_people(action: AddPeople, run: Execution) -> None:
    if action.pr.head in run.doing.not_pushed:
        return
    _ask_people(action.name, action.pr, action.people, run)


def _ask_people(name: str, pr: PullRequest, people: People, run: Execution) -> None:
    send(run, writes.AskPeople(pr, people), lambda: run.forge.add_people(pr, people), None)
    said = [
        *([f"review asked of {', '.join(people.reviewers)}"] if people.reviewers else []),
        *([f"assigned to {', '.join(people.assignees)}"] if people.assignees else []),
        *([f"milestone {people.milestone}"] if people.milestone else []),
    ]
    run.tell(Event("updated", f"#{pr.number} {'; '.join(said)}", name, pr.number))


def record_issues(action: RecordIssues, run: Execution) -> None:
    issues = action.issues
    send(run, writes.RecordIssues(issues), lambda: run.forge.record_issues(issues), None)


def update_branch(action: UpdateBranch, run: Execution) -> None:
    pr, rebase = action.pr, action.rebase
    send(run, writes.UpdateBranch(pr, rebase), lambda: run.forge.update_branch(pr, rebase), None)
    how = "rebased onto" if action.rebase else "merged with"
    text = f"#{action.pr.number} {how} its base by the forge (it must be up to date to merge)"
    run.tell(Event("synced", text, action.name, action.pr.number))


def retarget(action: RetargetPR, run: Execution) -> None:
    pr, base = action.pr, action.base
    send(run, writes.Retarget(pr, base), lambda: run.forge.retarget(pr, base), None)
    text = f"#{pr.number} retargeted from {pr.base} to {base}: what it was stacked on merged"
    run.tell(Event("updated", text, action.name, pr.number, {"base": base, "was": pr.base}))


def announce_ready(action: AnnounceReady, run: Execution) -> None:
    epic, text = action.epic, action.text
    send(run, writes.CommentIssue(epic, text), lambda: run.forge.comment_issue(epic, text), None)
    for name in action.names:
        run.tell(Event("ready", f"named on #{action.epic} as ready to start", name))


def _mark_ready(action: MarkReady, run: Execution) -> Step:
    """Ready for review once green; arming it is the step after (a draft cannot be)."""
    pr = action.pr
    send(run, writes.MarkReady(pr), lambda: run.forge.mark_ready(pr), None)
    text = f"#{pr.number} ready for review: its checks passed"
    run.tell(Event("updated", text, action.name, pr.number))
    armed = ArmAutoMerge(action.name, dataclasses.replace(pr, draft=False), action.method)
    return functools.partial(arm, armed, run)


def rerun(action: RerunChecks, run: Execution) -> None:
    pr = action.pr
    assert pr.head_oid is not None
    marker = run.store.reruns / pr.head_oid
    if not run.dry_run:  # counted before it is asked for: a kill loses a rerun, never adds one
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{action.attempt}\n", encoding="utf-8")
    runs = action.runs
    send(run, writes.RerunFailed(runs), lambda: run.forge.rerun_failed(runs), None)
    names = ", ".join(pr.failed_checks) or "its checks"
    text = (
        f"#{pr.number} {names} failed on {pr.head_oid[:7]}: its failed jobs run again "
        f"({action.attempt} of {action.most})"
    )
    run.tell(Event("rerun", text, action.name, pr.number, {"head": pr.head_oid}))


def add_labels(action: AddLabels, run: Execution) -> None:
    if action.pr.head in run.doing.not_pushed:
        return
    pr, labels = action.pr, action.labels
    send(run, writes.AddLabels(pr, labels), lambda: run.forge.add_labels(pr, labels), None)
    text = f"#{action.pr.number} labels {', '.join(action.labels)}"
    run.tell(Event("updated", text, action.name, action.pr.number))


def edit_pr(action: EditPR, run: Execution) -> None:
    if action.pr.head in run.doing.not_pushed:
        return
    pr, title, body = action.pr, action.title, action.body
    send(run, writes.Edit(pr, title, body),
         lambda: run.forge.edit(pr, title=title, body=body), None)  # fmt: skip
    text = f"#{action.pr.number} title and body"
    run.tell(Event("updated", text, action.name, action.pr.number))


def land_armed(action: LandArmed, run: Execution) -> None:
    refused = untrusted(run.store, [argv for order in action.orders for argv in order.checks])
    if refused:  # the checks would run them: none lands until they are allowed
        run.events.add(untrusted_event("checks", refused))
        return
    orders = action.orders
    landings: Iterator[Landing] = send(
        run, writes.Land(orders),
        lambda: run.forge.land(orders, workers=run.workers, progress=run.events.progress),
        iter(()),
    )  # fmt: skip
    for landing in landings:
        run.events.add(_landing_event(run.spec, landing))
        if landing.outcome == "landed":
            run.doing.merged.append(landing.name)


def _landing_event(spec: Spec, landing: Landing) -> Event:
    detail = landing.detail
    if landing.outcome == "conflict":
        detail = conflict_advice(spec, spec.entry(landing.name), landing.base)
    return landing_event(landing.outcome, landing.name, landing.pr, detail)


def ensure_labels(action: EnsureLabels, run: Execution) -> None:
    labels = action.labels
    send(run, writes.MakeLabels(labels), lambda: run.forge.ensure_labels(labels), None)


def close_issue(action: CloseIssue, run: Execution) -> None:
    number, comment = action.number, action.comment
    if action.closed:
        send(run, writes.CommentIssue(number, comment),
             lambda: run.forge.comment_issue(number, comment), None)  # fmt: skip
    else:
        first = None if action.commented else comment
        send(run, writes.CloseIssue(number, first),
             lambda: run.forge.close_issue(number, first), None)  # fmt: skip
    run.tell(
        Event("issue-closed", f"#{action.number}: {action.comment}",
              details={"issue": action.number, "comment": action.comment})
    )  # fmt: skip


def close_pr(action: ClosePR, run: Execution) -> None:
    pr = action.pr
    send(run, writes.ClosePR(pr), lambda: run.forge.close_pr(pr), None)


def post_report(action: PostReport, run: Execution) -> None:
    issue, body = action.issue, action.body
    done = send(run, writes.PostReport(issue, body),
                lambda: run.forge.post_report(issue, body), None)  # fmt: skip
    if done is None or (done == "unchanged" and action.quiet_if_unchanged):
        return
    if action.quiet_if_unchanged:  # advance's refresh of the report
        run.tell(Event("updated", f"the report on #{issue} ({done})"))
        return
    run.tell(Event("posted", f"{done}: the report on #{issue}",
                   details={"issue": issue, "done": str(done)}))  # fmt: skip


def _web_address(url: str) -> str:
    """A PR's address worth showing: a web page (the local forge's record is no page)."""
    return f"  {url}" if url.startswith(("http://", "https://")) else ""
