"""`git prgroups up`: make what is ready, push, open PRs with auto-merge, land (local forge).

observe → plan_up → execute, in rounds: a landing (or a forge that merged a PR the
moment it was armed) moves the base, so entries that waited for it start in the
same run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace

from git_prgroups.events import Event, Events
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.observe import WorktreeStatuses, observe, start_statuses
from git_prgroups.planning.actions import (
    Action,
    AddLabels,
    ArmAutoMerge,
    EditPR,
    OpenPR,
    PrepareWorktree,
    PushBranches,
    RecordPushed,
    Report,
    members,
)
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.up import (
    STACKED_PR_WAITS,
    Texts,
    plan_landings,
    plan_up,
    wants_texts,
)
from git_prgroups.planning.world import World
from git_prgroups.render import Renderer
from git_prgroups.spec import Spec

MAX_ROUNDS = 50  # each round after the first follows a landing that unblocked something
# After these the local forge's PRs are read again, to land what was just opened or
# armed. (New worktrees change no PR.)
TOUCHING_PRS = (RecordPushed, PushBranches, OpenPR, ArmAutoMerge, AddLabels, EditPR)


def run_up(
    spec: Spec,
    git: Git,
    forge: Forge,
    events: Events,
    *,
    only: Collection[str] = (),
    dry_run: bool = False,
    jobs: int | None = None,
    force_body: bool = False,
    retry_setup: bool = False,
    retry_failed_setups: bool = True,
    world: World | None = None,
    fetched: Callable[[], None] | None = None,
) -> Events:
    """`world`: read just now, fetched and with the forge's PRs (a caller that has one:
    watch);
    `fetched`: waits for the fetch the caller began (`Git.begin_fetch`), where the forge
    is read after it (one that does not merge on its own)."""
    renderer = Renderer(spec, spec.graph())
    run = Execution.start(spec, git, forge, events, dry_run=dry_run, jobs=jobs)
    statuses: WorktreeStatuses | None = None
    prs = None
    if world is None:
        statuses = start_statuses(git)  # they run during the fetch
        # The forge first, then the fetch: a PR the forge calls merged is then in the
        # base fetched, so its dependents are never cut from a base that lacks it.
        prs = forge.read([e.branch for e in spec.entries]) if forge.merges_on_its_own else None
        if fetched is not None:
            fetched()
        if fetched is None or prs is not None:  # the forge read first: fetch after it
            git.fetch(spec.defaults.remote)
    reports: list[Report] = []
    told = len(events)
    prepared: set[str] = set()  # a setup that failed this run is told once
    given = world
    for _round in range(MAX_ROUNDS):
        world = given or observe(spec, git, forge, statuses, prs)
        world = replace(world, setup_failed={
            name: why for name, why in world.setup_failed.items() if name not in prepared
        })  # fmt: skip
        given, statuses, prs = None, None, None  # read afresh in the rounds after the first
        plan = plan_up(spec, world, texts(spec, renderer, world, only), only=only,
                       force_body=force_body, retry_setup=retry_setup,
                       retry_failed_setups=retry_failed_setups)  # fmt: skip
        retry_setup = False  # once
        prepared |= {a.name for a in members(plan) if isinstance(a, PrepareWorktree)}
        reports = [a for a in plan if isinstance(a, Report)]  # the last round's are told
        done = execute([a for a in plan if not isinstance(a, Report)], run)
        if dry_run:
            break
        if _opened_a_stacks_base(plan):  # the PRs stacked on those just opened open now
            continue
        if forge.merges_on_its_own:  # arming told what merged at once
            if not done.merged:
                break
            git.fetch(spec.defaults.remote)  # the base moved: dependents may be ready now
        else:  # the local forge lands what was just opened or armed (and fetches it)
            if any(isinstance(a, TOUCHING_PRS) for a in members(plan)):
                world = observe(spec, git, forge)
            if not execute(plan_landings(spec, world), run).merged:
                break
    execute(reports, run)
    if len(events) == told:
        events.add(
            Event("nothing", "nothing to do: every entry of the spec is merged or up to date")
        )
    return events


def _opened_a_stacks_base(plan: list[Action]) -> bool:
    waiting = any(
        isinstance(a, Report) and a.event.details.get("reason") == STACKED_PR_WAITS for a in plan
    )
    return waiting and any(isinstance(a, OpenPR) for a in members(plan))


def texts(spec: Spec, renderer: Renderer, world: World, only: Collection[str] = ()) -> Texts:
    """Each PR title and body up may need, rendered before it plans."""
    numbers = {e.name: pr.number for e in spec.entries if (pr := world.prs.get(e.branch))}
    states = entry_states(spec, world)
    rendered = {}
    for name in wants_texts(spec, world):
        if only and name not in only:
            continue
        subjects = [world.graph.subjects[c] for c in world.commits(spec.entry(name).branch)]
        stacked = states[name].stacked_on is not None
        body = renderer.body(name, commits=subjects, prs=numbers, stacked=stacked)
        rendered[name] = (renderer.title(name), body)
    return rendered
