"""`git prgroups exec`: one command in each selected entry's worktree, side by side.

Observe → plan (planning/exec.py: which worktrees) → execute (each command's output
to its own log, told as it ends) → a summary table of what ran where."""

from __future__ import annotations

from collections.abc import Sequence

from git_prgroups.errors import UsageError
from git_prgroups.events import Event, Events
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.model import Argv, BranchName, PullRequest
from git_prgroups.observe import observe
from git_prgroups.output import table
from git_prgroups.planning.actions import Report, RunCommands
from git_prgroups.planning.exec import Selection, plan_exec
from git_prgroups.render import Renderer
from git_prgroups.spec import Spec

SUMMARY_WIDTH = 78  # the table fits an 80-column terminal


def selection_of(
    command: Argv, names: Sequence[str], *, ready: bool, open_prs: bool, every: bool
) -> Selection:
    """Which entries exec's switches choose; one clear line for a command line that
    gives no command, or chooses twice."""
    if not command:
        raise UsageError(
            "git prgroups exec: no command: give it after --, as in git prgroups exec -- pytest -q"
        )
    offered: tuple[tuple[Selection, bool], ...] = (
        ("ready", ready), ("open", open_prs), ("all", every),
    )  # fmt: skip
    chosen = [selection for selection, on in offered if on]
    if len(chosen) > 1 or (chosen and names):
        raise UsageError("git prgroups exec: choose one of --ready, --open, --all or entry names")
    return chosen[0] if chosen else "all"


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
    prs: dict[BranchName, PullRequest] | None = None if selection != "all" or names else {}
    world = observe(spec, git, forge, prs=prs)
    renderer = Renderer(spec, spec.graph())
    titles = {e.name: renderer.title(e.name) for e in spec.entries}
    plan = plan_exec(spec, world, argv, names=names, selection=selection, titles=titles)
    run = Execution.start(spec, git, forge, events, dry_run=dry_run, workers=jobs)
    commands = [c for a in plan if isinstance(a, RunCommands) for c in a.commands]
    try:
        execute([a for a in plan if isinstance(a, RunCommands)], run)
        execute([a for a in plan if isinstance(a, Report)], run)
    finally:  # after Ctrl-C too: what ran, and what never did
        ran = [e for e in events if e.kind in ("ran", "failed") and "code" in e.details]
        if ran or any(_not_reached(e) for e in events):
            events.add(summary(list(events), [a.name for a in commands]))
    if not plan:
        events.add(Event("nothing", f"no entry is {selection} with a worktree: nothing ran"))
    return events


def summary(told: Sequence[Event], order: Sequence[str]) -> Event:
    """The table: entry, exit code, seconds, last line of output; in wave order. An
    entry Ctrl-C stopped before its command ran is a row of its own."""
    by_name = {e.entry: e for e in told if e.kind in ("ran", "failed") and "code" in e.details}
    not_run = {e.entry for e in told if _not_reached(e)} - by_name.keys()
    rows = [by_name[name] for name in order if name in by_name]
    cells = [["ENTRY", "EXIT", "SECONDS", "LAST LINE"]]
    for name in order:
        if name in by_name:
            e = by_name[name]
            cells.append([name, str(e.details["code"]), f"{e.details['seconds']:.1f}",
                          e.details["last_line"]])  # fmt: skip
        elif name in not_run:
            cells.append([name, "-", "-", "not run: stopped by Ctrl-C"])
    lines = [_fit(line) for line in table(cells, indent="")]
    failed = sum(e.details["code"] != 0 for e in rows)
    said = [f"{len(rows) - failed} succeeded, {failed} failed" if failed else
            f"all {len(rows)} succeeded"]  # fmt: skip
    if not_run:
        said = [f"{len(rows) - failed} succeeded", *([f"{failed} failed"] if failed else []),
                f"{len(not_run)} not run"]  # fmt: skip
    lines.append(", ".join(said))
    details = {
        "rows": [
            {"entry": e.entry, "code": e.details["code"], "seconds": e.details["seconds"],
             "last_line": e.details["last_line"], "log": e.details["log"]}
            for e in rows
        ],
        "not_run": [name for name in order if name in not_run],
    }  # fmt: skip
    return Event("summary", "\n".join(lines), details=details)


def _not_reached(event: Event) -> bool:
    return event.kind == "skipped" and event.details.get("reason") == "interrupted"


def _fit(line: str) -> str:
    return line if len(line) <= SUMMARY_WIDTH else line[: SUMMARY_WIDTH - 1] + "…"
