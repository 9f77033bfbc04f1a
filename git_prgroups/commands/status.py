"""`git prgroups status`: one table of every entry, in wave order, what they add up to,
and the user's next step for each entry that waits on them. `show NAME`: one entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.observe import WorktreeStatuses, observe
from git_prgroups.output import Page, Style, fitting_table, table, without
from git_prgroups.planning.next import next_step, summary
from git_prgroups.planning.states import EntryState, entry_states
from git_prgroups.planning.world import World, base_label, missing_base
from git_prgroups.render import title_of
from git_prgroups.spec import Spec
from git_prgroups.store import Store

_STATE_STYLE = {
    "merged": "green", "open": "cyan", "ready": "bold", "blocked": "dim",
    "failing": "red", "conflict": "red", "closed": "yellow",
}  # fmt: skip


@dataclass(frozen=True)
class Status:
    entries: list[dict[str, Any]]  # in wave order
    summary: str
    warnings: list[str]
    tried: dict[str, Any] | None = None  # the last `try`'s verdict

    @property
    def needs_you(self) -> bool:
        return any(e["needs_you"] for e in self.entries)


def read_status(
    spec: Spec, git: Git, forge: Forge, statuses: WorktreeStatuses | None = None
) -> Status:
    graph = spec.graph()
    world = observe(spec, git, forge, statuses)
    states = entry_states(spec, world)
    entries = [
        _entry(spec, world, name, wave, states[name])
        for wave, names in enumerate(graph.waves)
        for name in names
    ]
    for entry in entries:  # what failed, read only where something did
        pr = states[entry["name"]].pr
        if entry["state"] == "failing" and pr is not None:
            entry["checks_output"] = forge.checks_output(pr)
    warnings = [] if world.base_tip else [missing_base(spec)]
    return Status(entries, summary(states), warnings, _last_tried(git))


def _last_tried(git: Git) -> dict[str, Any] | None:
    from git_prgroups.tried import Tried

    tried = Tried.load(Store.of(git.common_dir()).tried)
    verdict = tried.verdicts.get(tried.last) if tried.last else None
    if verdict is None:
        return None
    return {"outcome": verdict.outcome, "base": verdict.base, "entries": list(verdict.members),
            "culprit": verdict.culprit, "log": verdict.log}  # fmt: skip


def tried_line(tried: dict[str, Any]) -> str:
    """`tried together: ok at BASE (NAMES)`, or what broke it."""
    at = tried["base"][:7]
    if tried["outcome"] == "ok":
        return f"tried together: ok at {at} ({', '.join(tried['entries'])})"
    how = "conflicts" if tried["outcome"] == "conflict" else "breaks"
    return f"tried together: {how} with {tried['culprit']} at {at}"


def _entry(spec: Spec, world: World, name: str, wave: int, state: EntryState) -> dict[str, Any]:
    worktree = state.worktree
    if worktree is None:
        worktree_state = "none"
    elif world.folder(worktree.path) == "missing":
        worktree_state = "missing"
    else:
        worktree_state = "dirty" if state.dirty else "clean"
    pr = state.pr
    entry = spec.entry(name)
    step = next_step(spec, world, entry, state)
    return {
        "name": name,
        "branch": entry.branch,
        "wave": wave,
        "state": state.state,
        "pr": pr.number if pr else None,
        "url": pr.url if pr else None,
        "worktree": str(worktree.path) if worktree else None,
        "worktree_state": worktree_state,
        "ahead": state.ahead,
        "behind": state.behind,
        "checks": pr.checks if pr else None,
        "auto_merge": bool(pr and pr.armed),
        "queued": pr.queued if pr else None,
        "blocked_by": list(state.blocked_by),
        "stacked_on": state.stacked_on,
        "base": pr.base if pr else _base_of(spec, state),
        "next": step.text if step else None,
        "needs_you": bool(step and step.needs_you),
        "title": title_of(entry),
        "issues": list(entry.issues),
        "after": list(entry.after),
        "onto": base_label(spec),
    }


def _base_of(spec: Spec, state: EntryState) -> str:
    """The branch its PR targets (or would): its prerequisite's, while it is stacked."""
    return spec.entry(state.stacked_on).branch if state.stacked_on else spec.defaults.base


def status_json(status: Status) -> str:
    document = {
        "entries": [{k: v for k, v in e.items() if k not in ("title", "issues", "after", "onto")}
                    for e in status.entries],
        "summary": status.summary,
        "needs_you": status.needs_you,
        "warnings": status.warnings,
        "tried": status.tried,
    }  # fmt: skip
    return json.dumps(document, indent=2, ensure_ascii=False)


def status_text(status: Status, style: Style, page: Page | None = None) -> str:
    """The table, its summary and the next steps, fitted to the page: on a narrow one the
    branch and wave columns go first (`show` has them), then what each entry waits for moves
    below the table."""
    page = page or Page()
    waiting = [e for e in status.entries if e["blocked_by"]]
    lines, left_out = _status_table(status, style, page.columns, waits_inline=True)
    if waiting and _STATE in left_out:
        lines, _ = _status_table(status, style, page.columns, waits_inline=False)
        lines += [""] + [f"{e['name']} waits for {', '.join(e['blocked_by'])}" for e in waiting]
    lines += ["", status.summary]
    if status.tried:
        lines.append(tried_line(status.tried))
    steps = [e for e in status.entries if e["next"]]
    if steps:
        lines += ["", "next:"]
        for e in steps:
            lines.append(page.fit(f"  {e['name']}: {e['next']}"))
            told = (e.get("checks_output") or "").splitlines()
            lines += [page.fit(f"      {line}", "  ") for line in told[-STATUS_TAIL:]]
    return "\n".join(lines)


_BRANCH, _WAVE, _STATE = 2, 1, 7
STATUS_TAIL = 8  # lines of a failing entry's checks output under its next step


def _status_table(
    status: Status, style: Style, columns: int, *, waits_inline: bool
) -> tuple[list[str], list[int]]:
    header = ["NAME", "WAVE", "BRANCH", "WORKTREE", "PR", "CHECKS", "AUTO", "STATE"]
    rows = [[style(c, "bold") for c in header]]
    for e in status.entries:
        worktree = e["worktree_state"]
        # a merged branch's commits landed as others (rebase, squash): its count misleads
        if e["worktree"] and (e["ahead"] or e["behind"]) and e["state"] != "merged":
            worktree += f" +{e['ahead']}/-{e['behind']}"
        state = style(e["state"], _STATE_STYLE[e["state"]])
        if e["blocked_by"] and waits_inline:
            state += style(" (waits for " + ", ".join(e["blocked_by"]) + ")", "dim")
        elif e["stacked_on"] and waits_inline:
            state += style(f" (stacked on {e['stacked_on']})", "dim")
        rows.append(
            [
                e["name"], str(e["wave"]), e["branch"], worktree,
                f"#{e['pr']}" if e["pr"] else "-", e["checks"] or "-",
                f"queued {e['queued']}" if e.get("queued") else "on" if e["auto_merge"] else "-",
                state,
            ]
        )  # fmt: skip
    # the state itself is never left out: offered last, it says the waits do not fit
    left_out = fitting_table(rows, columns, drop=(_BRANCH, _WAVE, _STATE))[1]
    if _STATE in left_out:
        return table([without(row, left_out[:-1]) for row in rows], indent=""), left_out
    return table([without(row, left_out) for row in rows], indent=""), left_out


def show_entry(status: Status, name: str, output: str) -> dict[str, Any]:
    """One entry's row with the tail of its checks' output."""
    entry = next(e for e in status.entries if e["name"] == name)
    return entry | {"checks_output": output}


def show_text(shown: dict[str, Any], style: Style, page: Page | None = None) -> str:
    page = page or Page()
    e = shown
    worktree = e["worktree"] or ("none" if e["state"] == "merged" else "none yet")
    if e["worktree"]:
        worktree += f" ({e['worktree_state']}, {e['ahead']} ahead and {e['behind']} behind "
        worktree += f"{e['onto']})"
    waits = " (waits for " + ", ".join(e["blocked_by"]) + ")" if e["blocked_by"] else ""
    url = e["url"] or ""
    address = url if url.startswith(("http://", "https://")) else ""  # a web page
    pr = f"#{e['pr']} {address}".rstrip() if e["pr"] else "none yet"
    if e["pr"] and e["state"] in ("merged", "closed"):
        pr += f", {e['state']}"
    elif e["pr"] and e.get("queued"):
        pr += f", queued {e['queued']}"
    elif e["pr"] and e["stacked_on"]:
        pr += f" onto {e['base']}, auto-merge off until {e['stacked_on']} merges"
    elif e["pr"]:
        pr += ", auto-merge on" if e["auto_merge"] else ", auto-merge off"
    stacked = f" (stacked on {e['stacked_on']})" if e["stacked_on"] else ""
    rows = [
        ["title", e["title"]],
        ["issues", " ".join(f"#{i}" for i in e["issues"]) or "-"],
        ["after", ", ".join(e["after"]) or "-"],
        ["branch", e["branch"]],
        ["worktree", worktree],
        ["PR", pr],
        ["checks", e["checks"] or "-"],
        ["state", e["state"] + waits + stacked],
        ["next", e["next"] or "-"],
    ]
    values_at = " " * (max(len(k) for k, _ in rows) + 2)  # where a long value goes on
    rows = [[k, page.paths(v)] for k, v in rows]
    lines = [style(f"{e['name']} (wave {e['wave']})", "bold")]
    lines += [page.fit(line, values_at) for line in table(rows)]
    if e["checks_output"]:
        lines += ["", "checks' output (its last lines):"]
        lines += [f"  {line}" for line in e["checks_output"].splitlines()]
    return "\n".join(lines)


def show_json(shown: dict[str, Any]) -> str:
    return json.dumps(shown, indent=2, ensure_ascii=False)
