"""`git prgroups up`: make what is ready, push, open PRs with auto-merge, land (local forge)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from git_prgroups.forges.base import Forge, PullRequest
from git_prgroups.forges.gh import AutoMergeDisabled
from git_prgroups.forges.local import LocalForge
from git_prgroups.git import Git
from git_prgroups.landing import Landing, land_armed
from git_prgroups.observe import MADE_REFS, World, observe, start_statuses
from git_prgroups.plan import (
    Action,
    AddWorktree,
    ArmAutoMerge,
    EditPR,
    FastForward,
    Note,
    OpenPR,
    PushBranch,
    RecordPushed,
    plan_up,
)
from git_prgroups.pushing import push_branches, record_pushed
from git_prgroups.render import Renderer
from git_prgroups.spec import Spec

MAX_ROUNDS = 50  # each round after the first follows a landing that unblocked something


@dataclass
class UpResult:
    notes: list[Note] = field(default_factory=list)
    landings: list[Landing] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def needs_user(self) -> bool:
        return bool(self.refused) or any(
            landing.outcome in ("failing", "conflict") for landing in self.landings
        )


def run_up(
    spec: Spec,
    git: Git,
    forge: Forge,
    say: Callable[[str], None],
    *,
    only: Collection[str] = (),
    dry_run: bool = False,
    force_body: bool = False,
) -> UpResult:
    graph = spec.graph()
    renderer = Renderer(spec, graph)
    result = UpResult()
    applied = 0
    statuses = start_statuses(git)  # they run during the fetch
    # The forge first, then the fetch: a PR the forge calls merged is then in the base
    # fetched, so its dependents are never cut from a base that lacks it.
    prs = forge.read([e.branch for e in spec.entries]) if forge.merges_on_its_own else None
    git.fetch(spec.defaults.remote)
    reported: set[str] = set()

    def report_once(landing: Landing) -> None:  # a later round finds the same conflict
        line = _landing_line(landing)
        if line not in reported:
            reported.add(line)
            say(line)

    for _round in range(MAX_ROUNDS):
        world = observe(spec, git, forge, statuses, prs)
        statuses, prs = None, None
        actions = plan_up(
            spec, graph, world, _texts(spec, renderer, world), only=only, force_body=force_body
        )
        result.notes = [a for a in actions if isinstance(a, Note)]
        changes = [a for a in actions if not isinstance(a, Note)]
        _apply(spec, git, forge, world, changes, say, result, dry_run=dry_run)
        applied += len(changes)
        if dry_run:
            break
        base_moved = False
        if changes:  # what was just made is part of what may merge or land
            before, world = world, observe(spec, git, forge)
            for name, pr in _merged_since(spec, before, world):
                say(f"merged: {name}: #{pr.number} at once (it was mergeable already)")
                base_moved = True
            if base_moved:
                git.fetch(spec.defaults.remote)
        if isinstance(forge, LocalForge):
            landings = land_armed(spec, git, forge, world, report_once)
            result.landings.extend(landings)
            base_moved |= any(r.outcome == "landed" for r in landings)
        if not base_moved:
            break  # else dependents may be ready now: another round
    if not result.notes and not result.landings and not applied:
        say("nothing to do: every entry of the spec is merged or up to date")
    for note in result.notes:
        say(f"{note.kind}: {note.name}: {note.text}")
        if note.kind == "refused":
            result.refused.append(note.name)
    return result


def _merged_since(spec: Spec, before: World, after: World) -> list[tuple[str, PullRequest]]:
    merged = []
    for entry in spec.entries:
        now, then = after.prs.get(entry.branch), before.prs.get(entry.branch)
        if now and now.state == "merged" and (then is None or then.state != "merged"):
            merged.append((entry.name, now))
    return merged


def _texts(spec: Spec, renderer: Renderer, world: World) -> Callable[[str], tuple[str, str]]:
    numbers = {e.name: pr.number for e in spec.entries if (pr := world.prs.get(e.branch))}

    def texts(name: str) -> tuple[str, str]:
        entry = spec.entry(name)
        subjects = [world.graph.subjects[c] for c in world.commits(entry.branch)]
        return renderer.title(name), renderer.body(name, commits=subjects, prs=numbers)

    return texts


def _apply(
    spec: Spec,
    git: Git,
    forge: Forge,
    world: World,
    actions: list[Action],
    say: Callable[[str], None],
    result: UpResult,
    *,
    dry_run: bool,
) -> None:
    remote, base = spec.defaults.remote, spec.defaults.base
    additions = [a for a in actions if isinstance(a, AddWorktree)]
    made = {a.branch: a.start for a in additions if a.start is not None}
    if made and not dry_run:  # first: a run killed mid-way still knows what it began
        git.update_refs({f"{MADE_REFS}{branch}": sha for branch, sha in made.items()})
    if any(a.stale for a in additions):
        git.worktree_prune()  # forget worktrees whose folders are gone, so they can return

    def add(action: AddWorktree) -> None:
        if action.start is None:
            git.worktree_add_existing(action.path, action.branch)
        else:
            git.worktree_add_new_branch(action.path, action.branch, action.start)

    # One at a time: two `git worktree add` at once failed now and then with git 2.39
    # (a half-made branch was left behind), so the parallel version waits for a fix.
    for action in additions:
        add(action)
        start = f"{remote}/{base} {action.start[:7]}" if action.start else "its existing branch"
        if action.stale:
            start += " (its folder had been deleted: made again)"
        say(f"worktree: {action.name}: {action.path} on {action.branch} from {start}")

    for action in actions:
        if isinstance(action, FastForward):
            git.fast_forward(action.path, action.to)
            say(f"worktree: {action.name}: no commits yet, moved up to {remote}/{base} "
                f"{action.to[:7]}")  # fmt: skip
    records = {a.branch: a.tip for a in actions if isinstance(a, RecordPushed)}
    if records and not dry_run:
        record_pushed(spec, git, records)

    pushes = [a for a in actions if isinstance(a, PushBranch)]
    pushed = push_branches(spec, git, pushes, say, dry_run=dry_run) if pushes else set()
    result.refused.extend(f"push {p.name}" for p in pushes if p.branch not in pushed)

    for action in actions:
        if isinstance(action, OpenPR):
            if action.request.head not in pushed and action.name in {p.name for p in pushes}:
                continue  # its push was refused
            if dry_run:
                say(f"would open a PR for {action.request.head}: {action.request.title}")
                continue
            pr = forge.create(action.request)
            say(f"opened: {action.name}: #{pr.number} {pr.title}  {pr.url}")
            if action.method:
                _arm(forge, action.name, pr, action.method, say, result)
        elif isinstance(action, ArmAutoMerge):
            if dry_run:
                say(f"would arm auto-merge ({action.method}) on #{action.pr.number}")
            else:
                _arm(forge, action.name, action.pr, action.method, say, result)
        elif isinstance(action, EditPR):
            if dry_run:
                say(f"would update the title and body of #{action.pr.number}")
            else:
                forge.edit(action.pr, title=action.title, body=action.body)
                say(f"updated: {action.name}: #{action.pr.number} title and body")


def _arm(
    forge: Forge,
    name: str,
    pr: PullRequest,
    method: str,
    say: Callable[[str], None],
    result: UpResult,
) -> None:
    try:
        forge.arm_auto_merge(pr, method)
    except AutoMergeDisabled as error:
        first = not any(r.startswith("auto-merge ") for r in result.refused)
        why = error.message if first else "auto-merge is turned off for the repository (above)"
        say(f"refused: {name}: {why}")
        result.refused.append(f"auto-merge {name}")
        return
    say(f"auto-merge: {name}: #{pr.number} ({method})")


def _landing_line(landing: Landing) -> str:
    words = {"landed": "landed", "failing": "failing", "conflict": "conflict", "waiting": "waiting"}
    line = f"{words[landing.outcome]}: {landing.name}: #{landing.pr.number}"
    return f"{line} {landing.detail}" if landing.detail else line
