"""`git prgroups prune`: clear away what merged entries leave behind, and close finished issues.

observe (the world, then what the leftovers would lose and the issues' states) →
plan_prune → execute. See planning/prune.py for what may go and what is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from git_prgroups.events import Event, Events
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.observe import observe, observe_prune, start_statuses
from git_prgroups.planning.prune import (
    finished_issues,
    leftovers,
    merged_entries,
    orphans,
    plan_prune,
)
from git_prgroups.planning.world import World
from git_prgroups.render import Renderer
from git_prgroups.spec import Spec


def run_prune(
    spec: Spec,
    git: Git,
    forge: Forge,
    events: Events,
    *,
    only: Collection[str] = (),
    force: bool = False,
    with_orphans: bool = False,
    dry_run: bool = False,
    jobs: int | None = None,
) -> Events:
    run = Execution.start(spec, git, forge, events, dry_run=dry_run, jobs=jobs)
    statuses = start_statuses(git)
    git.fetch(spec.defaults.remote)
    world = observe(spec, git, forge, statuses)
    merged = merged_entries(spec, world, only=only)
    candidates = [leftovers(spec, world, name) for name in merged]
    if with_orphans:
        candidates += orphans(spec, world)
    issues = finished_issues(spec, world, merged)
    facts = observe_prune(git, forge, world, candidates, issues)
    facts = replace(facts, comments=closing_comments(spec, world, issues))
    told = len(events)
    execute(plan_prune(spec, world, facts, only=only, force=force, with_orphans=with_orphans), run)
    if len(events) == told:
        events.add(
            Event("nothing", "nothing to prune: no merged entry has a worktree or branch left")
        )
    return events


def closing_comments(spec: Spec, world: World, issues: Collection[int]) -> dict[int, str]:
    """Each finished issue's closing comment, naming the PRs of the entries that name it."""
    if not issues:
        return {}
    renderer = Renderer(spec, spec.graph())
    comments = {}
    for issue in issues:
        parts = spec.issue(issue).parts
        prs = [
            {"number": world.prs[spec.entry(n).branch].number, "name": n, "part": parts.get(n)}
            for n in spec.sharing(issue)
        ]
        # in the order of their parts (P0, P1, ...) where the spec names them
        prs.sort(key=lambda pr: (pr["part"] is None, pr["part"] or "", pr["number"]))
        comments[issue] = renderer.issue_comment(issue, prs).strip()
    return comments
