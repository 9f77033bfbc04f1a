"""`up`: worktrees for ready entries, pushes, PRs with auto-merge, and (local forge) landings."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from git_prgroups.events import Event, EventKind
from git_prgroups.marker import body_edited_by_hand, with_marker
from git_prgroups.model import (
    BranchName,
    LandingOrder,
    MergeMethod,
    NewPullRequest,
    People,
    PullRequest,
    Sha,
)
from git_prgroups.planning.actions import (
    Action,
    AddLabels,
    AddPeople,
    AddWorktree,
    AddWorktrees,
    ArmAutoMerge,
    EditPR,
    EnsureLabels,
    FastForward,
    ForgetMissingWorktrees,
    ForgeWrite,
    LandArmed,
    MarkReady,
    Notice,
    OpenPR,
    PrepareWorktree,
    PrepareWorktrees,
    Push,
    PushBranches,
    RecordIssues,
    RecordPushed,
    RecordSetupsDue,
    RecordStacks,
    RecordStarts,
    Report,
    RerunChecks,
    Resync,
    RetargetPR,
    forge_writes,
)
from git_prgroups.planning.states import EntryState, entry_states
from git_prgroups.planning.world import (
    SETUP_DUE,
    SETUP_NOT_ALLOWED,
    World,
    base_label,
    missing_base,
)
from git_prgroups.spec import Entry, Spec

Texts = Mapping[str, tuple[str, str]]  # entry name → (PR title, PR body without marker)


def wants_texts(spec: Spec, world: World) -> list[str]:
    """The entries whose PR title and body up may need: those with commits to publish."""
    wanted = []
    for entry in spec.entries:
        pr = world.prs.get(entry.branch)
        if world.commits(entry.branch) and (pr is None or pr.state == "open"):
            wanted.append(entry.name)
    return wanted


def plan_up(
    spec: Spec,
    world: World,
    texts: Texts,
    *,
    only: Collection[str] = (),
    force_body: bool = False,
    retry_setup: bool = False,
    retry_failed_setups: bool = True,
) -> list[Action]:
    """In the order they run: the worktrees to make (their starts recorded first) and
    make ready, the entries to move up, one push, the PRs to open, arm or edit; then
    what to tell. A setup that is due (a run was cut short, or it was not allowed and now
    is) runs by itself, and so does one that failed unless `retry_failed_setups` is
    off; `retry_setup`: every worktree's setup runs again, even one that passed."""
    states = entry_states(spec, world)
    reports: list[Action] = []
    adds: list[AddWorktree] = []
    moves: list[FastForward] = []
    records: dict[BranchName, Sha] = {}
    pushes: list[Push] = []
    notices: list[Action] = []
    forge: list[ForgeWrite] = []
    stacks = _Stacks()
    for name in (n for wave in spec.graph().waves for n in wave):
        if only and name not in only:
            continue
        entry, state = spec.entry(name), states[name]
        pr = state.pr
        if state.state == "closed" and pr is not None:
            reports.append(Report(closed_unmerged(name, pr)))
            continue
        if state.state == "merged":
            continue
        if state.state == "blocked" and _starts_with_its_prerequisite(spec, state, adds):
            state = dataclasses.replace(state, state="ready", blocked_by=())
        if state.state == "blocked":
            waits = ", ".join(state.blocked_by)
            until = "start: it is stacked on it" if entry.stack else "merge"
            reports.append(Report(Event("blocked", f"waits for {waits} to {until}", name)))
            continue
        if state.worktree is None or state.worktree.prunable:  # none, or its folder deleted
            built_on = _built_on(spec, state, world, adds)
            added = _add_worktree(spec, entry, world, stale=state.worktree is not None,
                                  built_on=built_on)  # fmt: skip
            if isinstance(added, Report):
                reports.append(added)
                continue
            adds.append(added)
            if added.new and built_on is not None:
                stacks.started[entry.branch] = added.commit
        landing = entry.stack and state.stacked_on is None and entry.branch in world.stacked_on
        if landing and not _land_stacked(spec, entry, state, world, texts, stacks, reports):
            continue  # restacked this run: published by the next round
        if state.ahead == 0:
            reports.extend(_unstarted(spec, entry, state, world, moves, stacks))
            continue
        publish = _publish(spec, entry, state, world, texts, force_body=force_body)
        if isinstance(publish, Report):
            reports.append(publish)
            continue
        record, push, actions = publish
        if record is not None:
            records[entry.branch] = record
        if push is not None:
            pushes.append(push)
        for action in actions:
            if isinstance(action, Report):
                reports.append(action)
            elif isinstance(action, Notice):
                notices.append(action)
            else:
                forge.append(action)
    reports += _unsafe_stacks(spec, world, states, only)
    plan: list[Action] = []
    unrecorded = _unrecorded_issues(spec, world)
    if unrecorded:
        plan.append(RecordIssues(unrecorded))
    starts = {a.branch: a.commit for a in adds if a.new}
    if starts:
        plan.append(RecordStarts(starts, stacked=stacks.started))
    if any(a.stale for a in adds):
        plan.append(ForgetMissingWorktrees())
    if adds:
        plan.append(RecordSetupsDue(tuple(a.name for a in adds)))
    if adds:
        plan.append(AddWorktrees(tuple(adds)))
    ready = {a.name for a in adds}
    for name in spec.names:
        state = states[name]
        if (only and name not in only) or state.worktree is None or name in ready:
            continue
        if state.state in ("merged", "closed"):
            continue
        why = world.setup_failed.get(name)
        again = why is not None and (retry_failed_setups or why in (SETUP_DUE, SETUP_NOT_ALLOWED))
        if retry_setup or (again and _may_set_up(spec, world, name)):
            ready.add(name)
        elif why is not None:
            reports.append(Report(setup_not_run(name, why)))
    prepares = tuple(
        PrepareWorktree(name, spec.entry(name).worktree, setup_of(spec, spec.entry(name)))
        for name in (n for wave in spec.graph().waves for n in wave)
        if name in ready
    )
    if prepares:
        plan.append(PrepareWorktrees(prepares))
    if stacks.followed or stacks.dropped:
        plan.append(RecordStacks(stacks.followed, tuple(stacks.dropped)))
    plan += moves
    plan += forge_writes(stacks.retargets)  # before the restacks: see _land_stacked
    plan += stacks.restacks
    if records:
        plan.append(RecordPushed(records))
    if pushes or any(r.lease is not None for r in stacks.restacks):
        plan.append(PushBranches(tuple(pushes), with_resynced=bool(stacks.restacks)))
    forge += stacks.arms
    plan += notices  # about the push: before the forge's writes, which go side by side
    labels = [
        label
        for a in forge
        for label in (a.request.labels if isinstance(a, OpenPR) else getattr(a, "labels", ()))
    ]
    if labels:
        plan.append(EnsureLabels(tuple(dict.fromkeys(labels))))
    return plan + forge_writes(forge) + reports


@dataclass
class _Stacks:
    """What up does for stacked entries, beside the rest of its plan."""

    started: dict[BranchName, Sha] = field(default_factory=dict)  # new, built on this tip
    followed: dict[BranchName, Sha] = field(default_factory=dict)  # moved up to this tip
    dropped: list[BranchName] = field(default_factory=list)  # off their stack
    retargets: list[ForgeWrite] = field(default_factory=list)
    restacks: list[Resync] = field(default_factory=list)
    arms: list[ForgeWrite] = field(default_factory=list)


STACKED_PR_WAITS = "stacked-pr-waits"  # a report's reason: its PR opens after its base's


def _starts_with_its_prerequisite(spec: Spec, state: EntryState, adds: list[AddWorktree]) -> bool:
    """A stacked entry whose prerequisite's worktree this very plan makes."""
    parent = spec.stacked_on(state.name)
    return parent is not None and any(a.branch == parent.branch for a in adds)


def _built_on(
    spec: Spec, state: EntryState, world: World, adds: list[AddWorktree]
) -> tuple[Sha, str] | None:
    """Where a stacked entry's new branch begins: its prerequisite's tip (or where that
    begins in this plan), with the prerequisite's branch to name it by."""
    parent = spec.stacked_on(state.name)
    if parent is None or state.stacked_on is None:
        return None
    tip = world.branches.get(parent.branch) or next(
        (a.commit for a in adds if a.branch == parent.branch), None
    )
    return (tip, parent.branch) if tip is not None else None


def _land_stacked(
    spec: Spec, entry: Entry, state: EntryState, world: World, texts: Texts, stacks: _Stacks,
    reports: list[Action],
) -> bool:  # fmt: skip
    """The prerequisite of a stacked entry merged. In this order: its PR onto the base
    (before anything deletes the prerequisite's branch: GitHub would close the PR), only
    its own commits onto the base (`rebase --onto` the commit it was built on, so a squash
    replays nothing), pushed with a lease, then armed. False: it waits for the next round."""
    pr, branch = state.pr, entry.branch
    if pr is not None and pr.state == "open" and pr.base != spec.defaults.base:
        stacks.retargets.append(RetargetPR(entry.name, pr, spec.defaults.base))
    tip = world.branches.get(branch)
    if tip is None or world.restacked(branch):  # a run died before the record went
        stacks.dropped.append(branch)
        return True
    onto = base_label(spec)
    worktree = state.worktree
    why = None
    if worktree is None or worktree.prunable or world.folder(worktree.path) == "missing":
        why = "it has no worktree here to restack it in (run up where it has one)"
    elif worktree.branch != entry.branch:
        why = f"{worktree.path} is not on {entry.branch}: check it out"
    elif world.operations.get(worktree.path) is not None:
        why = f"a {world.operations[worktree.path]} is under way in {worktree.path}"
    elif state.dirty:
        why = f"{worktree.path} has uncommitted or untracked files: commit or stash them"
    if why is not None or worktree is None or world.base_tip is None:
        text = f"what it is stacked on merged; not restacked onto {onto} yet: {why}"
        reports.append(Report(Event("skipped", text, entry.name)))
        return False
    lease = world.remote_branches.get(branch)
    built_on = world.stacked_on[branch]
    stacks.restacks.append(Resync(entry.name, branch, worktree.path, tip, world.base_tip, onto,
                                  lease, upstream=built_on, restack="land"))  # fmt: skip
    if pr is not None and pr.state == "open":
        retargeted = dataclasses.replace(pr, base=spec.defaults.base)
        if not pr.draft:
            stacks.arms.append(ArmAutoMerge(entry.name, retargeted, spec.defaults.merge))
        if entry.name in texts:  # no longer "Stacked on #N"
            title, body = texts[entry.name]
            wanted = with_marker(title, body)
            if pr.body.strip() != wanted.strip() and not body_edited_by_hand(pr.title, pr.body):
                stacks.arms.append(EditPR(entry.name, retargeted, title, wanted))
    return False


def _unsafe_stacks(
    spec: Spec, world: World, states: Mapping[str, EntryState], only: Collection[str]
) -> list[Action]:
    """Once a run: the prerequisites' branches whose stacked PRs the forge's CI skips (a
    workflow's `pull_request: branches:` filters on the base), so they would look green."""
    bases = {
        parent.branch: name
        for name, state in states.items()
        if state.stacked_on and (not only or name in only)
        and (parent := spec.stacked_on(name)) is not None
        and parent.branch in world.unchecked_bases
    }  # fmt: skip
    if not bases:
        return []
    names = ", ".join(sorted(bases.values()))
    text = (
        f"no workflow runs pull requests into {', '.join(sorted(bases))} (their "
        f"`pull_request: branches:` filters leave them out): the PRs stacked there ({names}) "
        "run no CI until they are retargeted, and look green; add those branches to the "
        "filter, or drop it"
    )
    details = {"reason": "stack-without-ci", "bases": sorted(bases)}
    return [Report(Event("note", text, details=details))]


def _may_set_up(spec: Spec, world: World, name: str) -> bool:
    """A setup due (a run cut short), or one that failed, runs again by itself once every
    command of it is allowed here; one never allowed waits for `git prgroups trust`."""
    return not set(setup_of(spec, spec.entry(name))) & world.untrusted


def setup_not_run(name: str, why: str) -> Event:
    """An entry's worktree that this run does not make ready: its setup is not allowed
    here, or it failed (watch leaves that to the next up)."""
    if why in (SETUP_DUE, SETUP_NOT_ALLOWED):
        text = "its setup never ran (not allowed here): git prgroups trust, then git prgroups up"
        return Event("refused", text, name, details={"reason": "not-trusted"})
    text = f"its setup failed (output: {why}): fix it, then git prgroups up"
    return Event("failed", text, name, details={"reason": "setup-failed", "log": why})


def setup_of(spec: Spec, entry: Entry) -> tuple[tuple[str, ...], ...]:
    return (*spec.defaults.setup, *entry.setup)


def closed_unmerged(name: str, pr: PullRequest) -> Event:
    text = f"#{pr.number} was closed without merging: reopen it, or drop the entry"
    return Event("closed", text, name, pr.number)


def _unstarted(
    spec: Spec, entry: Entry, state: EntryState, world: World, moves: list[FastForward],
    stacks: _Stacks,
) -> list[Action]:  # fmt: skip
    """An entry without commits yet: said to be ready, and kept on the freshest base (a
    stacked one on its prerequisite's tip)."""
    worktree = state.worktree
    reports: list[Action] = []
    if state.pr is None:
        path = worktree.path if worktree else entry.worktree
        on = f" (stacked on {state.stacked_on})" if state.stacked_on else ""
        reports.append(Report(Event("ready", f"no commits yet in {path}{on}", entry.name)))
    movable = worktree is not None and not worktree.prunable and worktree.branch == entry.branch
    parent = spec.stacked_on(entry.name)
    if state.stacked_on is not None and parent is not None:
        parent_tip, tip = world.branches.get(parent.branch), world.branches.get(entry.branch)
        if (
            worktree is not None and movable and not state.dirty and parent_tip and tip
            and parent_tip != tip and world.is_ancestor(tip, parent_tip)
        ):  # fmt: skip
            stacks.followed[entry.branch] = parent_tip
            moves.append(FastForward(entry.name, worktree.path, entry.branch, parent_tip,
                                     parent.branch))  # fmt: skip
        return reports
    if worktree is not None and movable and state.behind and world.base_tip:
        if state.dirty:
            why = (
                f"not moved up to {base_label(spec)}: {worktree.path} has uncommitted or "
                "untracked files (commit, stash or remove them, and up moves it)"
            )
            reports.append(Report(Event("note", why, entry.name)))
        else:
            moves.append(
                FastForward(
                    entry.name, worktree.path, entry.branch, world.base_tip, base_label(spec)
                )
            )
    return reports


def _add_worktree(
    spec: Spec, entry: Entry, world: World, *, stale: bool, built_on: tuple[Sha, str] | None
) -> AddWorktree | Report:
    if world.folder(entry.worktree) == "full":
        return Report(
            Event(
                "refused",
                f"{entry.worktree} exists and is not a worktree of this repository: move it away",
                entry.name,
            )
        )
    onto = base_label(spec)
    tip = world.branches.get(entry.branch)
    if tip is not None:
        return AddWorktree(entry.name, entry.worktree, entry.branch, tip, False, stale, onto)
    start = world.remote_branches.get(entry.branch)
    if start is None and built_on is not None:
        start, onto = built_on
    start = start or world.base_tip
    if start is None:
        return Report(Event("refused", missing_base(spec), entry.name))
    return AddWorktree(entry.name, entry.worktree, entry.branch, start, True, stale, onto)


def _publish(
    spec: Spec, entry: Entry, state: EntryState, world: World, texts: Texts, *, force_body: bool
) -> tuple[Sha | None, Push | None, list[ForgeWrite | Report | Notice]] | Report:
    """What an entry with commits needs: its push recorded or made, its PR opened,
    armed or edited."""
    local = world.branches[entry.branch]
    remote = world.remote_branches.get(entry.branch)
    record = push = None
    if remote == local and world.pushed.get(entry.branch) != local:
        record = local  # a run died after pushing, or a person pushed by hand
    if remote != local:
        if remote is None or world.is_ancestor(remote, local):
            push = Push(entry.name, entry.branch, local, None)
        elif remote in (world.pushed.get(entry.branch), world.backups.get(entry.name)):
            # the remote holds what prgroups last pushed, or the tip sync rebased away
            push = Push(entry.name, entry.branch, local, remote)
        else:
            return Report(
                Event(
                    "refused",
                    f"{spec.defaults.remote}/{entry.branch} has commits your branch lacks "
                    f"(pushed by someone else since prgroups last pushed): bring them in "
                    f"(git pull --rebase in {entry.worktree}) and run up again",
                    entry.name,
                )
            )
    title, body = texts[entry.name]
    method = spec.defaults.merge
    pr = state.pr
    parent = spec.stacked_on(entry.name) if state.stacked_on else None
    notes: list[ForgeWrite | Report | Notice] = []
    if state.dirty and state.worktree is not None and push is not None:
        why = f"{state.worktree.path} has uncommitted changes: they are not in what is pushed"
        notes.append(Notice(Event("note", why, entry.name)))
    if pr is None and parent is not None:
        below = world.prs.get(parent.branch)
        if below is None or below.state != "open":  # its base is a PR's branch: that first
            why = f"its PR opens once {parent.name}'s has: it is stacked on it"
            waits = Report(Event("blocked", why, entry.name, details={"reason": STACKED_PR_WAITS}))
            return record, push, [*notes, waits]
    if pr is None:
        request = NewPullRequest(
            head=entry.branch,
            base=parent.branch if parent is not None else spec.defaults.base,
            title=title,
            body=with_marker(title, body),
            labels=entry.labels,
            # the local forge checks a PR before it lands: "until-green" is already so there
            draft=entry.draft and not (entry.until_green and world.forge_lands),
        )
        # never armed while stacked: it would merge into its prerequisite's branch
        arm = None if request.draft or parent is not None else method
        return record, push, [*notes, OpenPR(entry.name, request, arm, wanted_people(entry))]
    actions = notes
    if not pr.armed and not pr.draft and parent is None:
        actions.append(arm_or_say_why(entry.name, pr, method, pushing=push is not None))
    # green on the head the forge shows, and that head the branch's (a forge read just
    # after a push may still show the head before it, and its checks)
    shows_ours = pr.head_oid is None or pr.head_oid == local
    if pr.draft and entry.until_green and pr.checks == "pass" and push is None and shows_ours:
        actions.append(MarkReady(entry.name, pr, method))
    rerun = rerun_checks(entry, pr, world)
    if rerun is not None and push is None:  # a new head gets its own checks anyway
        actions.append(rerun)
    elif pr.checks == "fail" and push is None and not world.forge_lands:  # retry spent, or none
        actions.append(Report(failing_checks(entry.name, pr)))
    lacking = missing_people(entry, pr)
    if lacking:
        actions.append(AddPeople(entry.name, pr, lacking))
    missing = tuple(label for label in entry.labels if label not in pr.labels)
    if missing:  # given since it opened, or its opening cut short: added, never removed
        actions.append(AddLabels(entry.name, pr, missing))
    wanted = with_marker(title, body)
    if pr.title != title or pr.body.strip() != wanted.strip():
        if body_edited_by_hand(pr.title, pr.body) and not force_body:
            text = (
                f"#{pr.number} was edited by hand: title and body left alone (--force-body "
                "replaces them)"
            )
            actions.append(Report(Event("kept", text, entry.name, pr.number)))
        else:
            actions.append(EditPR(entry.name, pr, title, wanted))
    return record, push, actions


def plan_landings(spec: Spec, world: World, *, only: Collection[str] = ()) -> list[Action]:
    """Where prgroups lands PRs itself (the local forge): each open, armed, non-draft PR
    whose checks may pass, in spec order; what cannot land yet is said."""
    if not world.forge_lands:
        return []
    orders: list[LandingOrder] = []
    reports: list[Action] = []
    for entry in spec.entries:
        pr = world.prs.get(entry.branch)
        if (only and entry.name not in only) or pr is None:
            continue
        if pr.state != "open" or pr.auto_merge is None or pr.draft:
            continue
        if pr.base != spec.defaults.base:  # stacked: it lands only once retargeted
            continue
        checks = (*spec.defaults.checks, *entry.checks)
        why_not = _why_not_landing(spec, entry, pr, world, checks)
        if why_not is not None:
            reports.append(Report(why_not))
            continue
        orders.append(LandingOrder(entry.name, pr, checks, pr.auto_merge, entry.checks_retry))
    return ([LandArmed(tuple(orders))] if orders else []) + reports


def _unrecorded_issues(spec: Spec, world: World) -> tuple[tuple[int, str], ...]:
    """The spec's issues the local forge has not recorded yet, with their descriptions
    (on GitHub they exist already)."""
    if world.issue_records is None:
        return ()
    named = sorted({i for e in spec.entries for i in e.issues} | set(spec.issue_notes))
    return tuple(
        (n, spec.issue(n).description or "") for n in named if n not in world.issue_records
    )


def wanted_people(entry: Entry) -> People:
    return People(entry.reviewers, entry.assignees, entry.milestone)


def missing_people(entry: Entry, pr: PullRequest) -> People:
    """What the spec gives the PR that it lacks; what it has beyond is left alone (a
    reviewer who has reviewed counts as asked)."""
    has = {name.lower() for name in (*pr.people.reviewers, *pr.people.assignees)}
    return People(
        tuple(r for r in entry.reviewers if r.lower() not in has),
        tuple(
            a for a in entry.assignees if a.lower() not in {x.lower() for x in pr.people.assignees}
        ),
        entry.milestone if entry.milestone and not pr.people.milestone else None,
    )


def failing_checks(name: str, pr: PullRequest) -> Event:
    """A PR the forge's checks fail on its head, with no rerun left to ask for."""
    names = ", ".join(pr.failed_checks) or "its checks"
    text = f"#{pr.number} {names} failed: git prgroups show {name} has the output"
    return Event("failing", text, name, pr.number,
                 {"checks": list(pr.failed_checks), "head": pr.head_oid})  # fmt: skip


def arm_or_say_why(
    name: str, pr: PullRequest, method: MergeMethod, *, pushing: bool
) -> ArmAutoMerge | Report:
    """Auto-merge on (or into the merge queue); but a PR the queue dropped at the head it
    still has goes back only once it has changed, never in a loop."""
    if pr.removed_as_it_is and not pushing:
        return Report(removed_from_queue(name, pr))
    return ArmAutoMerge(name, pr, method, again=pr.removed is not None)


def removed_from_queue(name: str, pr: PullRequest) -> Event:
    reason = pr.removed[0] if pr.removed else "no reason given"
    return Event(
        "refused",
        f"#{pr.number} was removed from the merge queue ({reason}): push a fix (git prgroups "
        "up) and it goes back in once",
        name, pr.number,
    )  # fmt: skip


def rerun_checks(entry: Entry, pr: PullRequest, world: World) -> RerunChecks | None:
    """A flaky CI's second chance: the failed jobs of the PR's head run again, at most
    `checks_retry` times for that commit; a failure after that is the PR's to fix."""
    if world.forge_lands or pr.checks != "fail" or not pr.failed_runs or pr.head_oid is None:
        return None
    done = world.reruns.get(pr.head_oid, 0)
    if done >= entry.checks_retry:
        return None
    return RerunChecks(entry.name, pr, pr.failed_runs, done + 1, entry.checks_retry)


def _why_not_landing(
    spec: Spec, entry: Entry, pr: PullRequest, world: World, checks: tuple[tuple[str, ...], ...]
) -> Event | None:
    """None when the PR may land (its checks run first, in a clean checkout of its head,
    unless they passed on it); else why not."""
    if checks and pr.checks_commit == pr.head_oid and pr.checks == "fail":
        return landing_event("failing", entry.name, pr)  # judged this commit already
    if pr.conflict and pr.conflict_seen == (world.base_tip, pr.head_oid):
        advice = conflict_advice(spec, entry, world.base_tip)
        return landing_event("conflict", entry.name, pr, advice)
    return None


def landing_event(kind: EventKind, name: str, pr: PullRequest, detail: str = "") -> Event:
    """`KIND: NAME: #N DETAIL`, as landings are told."""
    message = f"#{pr.number} {detail}" if detail else f"#{pr.number}"
    return Event(kind, message, name, pr.number, {"head": pr.head_oid} if pr.head_oid else {})


def conflict_advice(spec: Spec, entry: Entry, base: Sha | None) -> str:
    onto = base_label(spec)
    return (
        f"does not apply on {onto} ({(base or '')[:7]}): rebase it in {entry.worktree} "
        f"(git rebase {onto}), resolve, and run up again"
    )
