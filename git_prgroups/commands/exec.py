"""`git prgroups exec`: one command in each selected entry's worktree, side by side.

Observe → plan (planning/exec.py: which worktrees) → execute (each command's output
to its own log, told as it ends) → a summary table of what ran where."""

from __future__ import annotations

from collections.abc import Sequence

from git_prgroups.events import Event, Events
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.model import Argv
from git_prgroups.observe import observe
from git_prgroups.output import table
from git_prgroups.planning.actions import Report
from git_prgroups.planning.exec import Selection, plan_exec
from git_prgroups.render import Renderer
from git_prgroups.spec import Spec

SUMMARY_WIDTH = 78  # the table fits an 80-column terminal


def run_exec(
    spec: Spec,
    git: Git,
    forge: Forge,
    events: Events,
    argv: Argv,
    *,
    names: Sequence[str] = (),
    selection: Selection = "all",
    jobs: int | None = None,
    dry_run: bool = False,
) -> Events:
    # PRs decide what is ready or open; every entry with a worktree needs none of them
    prs = None if selection != "all" or names else {}
    world = observe(spec, git, forge, prs=prs)
    renderer = Renderer(spec, spec.graph())
    titles = {e.name: renderer.title(e.name) for e in spec.entries}
    plan = plan_exec(spec, world, argv, names=names, selection=selection, titles=titles)
    run = Execution.start(spec, git, forge, events, dry_run=dry_run, workers=jobs)
    execute([a for a in plan if not isinstance(a, Report)], run)
    execute([a for a in plan if isinstance(a, Report)], run)
    ran = [e for e in events if e.kind in ("ran", "failed") and "code" in e.details]
    if not plan:
        events.add(Event("nothing", f"no entry is {selection} with a worktree: nothing ran"))
    elif ran:
        events.add(summary(ran, [a.name for a in plan if not isinstance(a, Report)]))
    return events


def summary(ran: Sequence[Event], order: Sequence[str]) -> Event:
    """The table: entry, exit code, seconds, last line of output; in wave order."""
    by_name = {e.entry: e for e in ran}
    rows = [by_name[name] for name in order if name in by_name]
    cells = [["ENTRY", "EXIT", "SECONDS", "LAST LINE"]]
    cells += [[e.entry or "", str(e.details["code"]), f"{e.details['seconds']:.1f}",
               e.details["last_line"]] for e in rows]  # fmt: skip
    lines = [_fit(line) for line in table(cells, indent="")]
    failed = sum(e.details["code"] != 0 for e in rows)
    lines.append(f"{len(rows) - failed} succeeded, {failed} failed" if failed else
                 f"all {len(rows)} succeeded")  # fmt: skip
    details = {
        "rows": [
            {"entry": e.entry, "code": e.details["code"], "seconds": e.details["seconds"],
             "last_line": e.details["last_line"], "log": e.details["log"]}
            for e in rows
        ]
    }  # fmt: skip
    return Event("summary", "\n".join(lines), details=details)


def _fit(line: str) -> str:
    return line if len(line) <= SUMMARY_WIDTH else line[: SUMMARY_WIDTH - 1] + "…"
