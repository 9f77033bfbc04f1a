"""`git prgroups advance`: the epic moved on from a plain clone, with no worktree, as the
CI workflow in examples/workflows runs it after each merge and on a schedule.

fetch → observe (the PRs, the remote branches, the issues, the epic's comments) →
plan_advance and the issue closings → execute → the report refreshed on the epic.
"""

from __future__ import annotations

from dataclasses import replace

from git_prgroups.commands.prune import closing_comments
from git_prgroups.commands.report import read_report, report_comment, report_markdown
from git_prgroups.commands.up import texts
from git_prgroups.events import Event, Events
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.observe import observe
from git_prgroups.planning.advance import plan_advance
from git_prgroups.planning.prune import PruneFacts, finished_issues, issue_closings, merged_entries
from git_prgroups.render import Renderer
from git_prgroups.spec import Spec


def run_advance(
    spec: Spec, git: Git, forge: Forge, events: Events, *, dry_run: bool = False,
    jobs: int | None = None, report: bool = True,
) -> Events:  # fmt: skip
    run = Execution.start(spec, git, forge, events, dry_run=dry_run, jobs=jobs)
    git.fetch(spec.defaults.remote)
    world = observe(spec, git, forge)
    # a clone has no branches of the entries: their pushed copies stand for them
    pushed = {e.branch: world.remote_branches[e.branch] for e in spec.entries
              if e.branch in world.remote_branches and e.branch not in world.branches}  # fmt: skip
    world = replace(world, branches={**world.branches, **pushed})
    merged = merged_entries(spec, world)
    numbers = finished_issues(spec, world, merged)
    epic = spec.defaults.epic
    issues = forge.issues([*numbers, *([epic] if epic else [])]) if numbers or epic else {}
    facts = PruneFacts(issues=issues, comments=closing_comments(spec, world, numbers))
    epic_comments = issues[epic].comments if epic and epic in issues else ()
    told = len(events)
    plan = plan_advance(
        spec, world, texts(spec, Renderer(spec, spec.graph()), world),
        epic_comments=epic_comments,
    )  # fmt: skip
    execute([*plan, *issue_closings(spec, world, facts, merged)], run)
    if report and epic:
        markdown = report_markdown(read_report(spec, git, forge))
        execute([report_comment(epic, markdown, quiet_if_unchanged=True)], run)
    if len(events) == told:
        events.add(Event("nothing", "nothing to advance: every PR is open and armed, or merged"))
    return events
