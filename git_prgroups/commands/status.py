"""`git prgroups status`: one table of every entry, in wave order."""

from __future__ import annotations

import json
from typing import Any

from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.observe import WorktreeStatuses, observe
from git_prgroups.output import Style, table
from git_prgroups.planning.states import EntryState, entry_states
from git_prgroups.planning.world import World, missing_base
from git_prgroups.spec import Spec

_STATE_STYLE = {
    "merged": "green", "open": "cyan", "ready": "bold", "blocked": "dim",
    "failing": "red", "conflict": "red", "closed": "yellow",
}  # fmt: skip


def status_entries(
    spec: Spec, git: Git, forge: Forge, statuses: WorktreeStatuses | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each entry's row, in wave order, and warnings about the whole."""
    graph = spec.graph()
    world = observe(spec, git, forge, statuses)
    states = entry_states(spec, world)
    entries = [
        _entry(spec, world, name, wave, states[name])
        for wave, names in enumerate(graph.waves)
        for name in names
    ]
    return entries, [] if world.base_tip else [missing_base(spec)]


def _entry(spec: Spec, world: World, name: str, wave: int, state: EntryState) -> dict[str, Any]:
    worktree = state.worktree
    if worktree is None:
        worktree_state = "none"
    elif world.folder(worktree.path) == "missing":
        worktree_state = "missing"
    else:
        worktree_state = "dirty" if state.dirty else "clean"
    pr = state.pr
    return {
        "name": name,
        "branch": spec.entry(name).branch,
        "wave": wave,
        "state": state.state,
        "pr": pr.number if pr else None,
        "url": pr.url if pr else None,
        "worktree": str(worktree.path) if worktree else None,
        "worktree_state": worktree_state,
        "ahead": state.ahead,
        "behind": state.behind,
        "checks": pr.checks if pr else None,
        "auto_merge": bool(pr and pr.auto_merge),
        "blocked_by": list(state.blocked_by),
    }


def status_json(entries: list[dict[str, Any]], warnings: list[str]) -> str:
    return json.dumps({"entries": entries, "warnings": warnings}, indent=2, ensure_ascii=False)


def status_text(entries: list[dict[str, Any]], style: Style) -> str:
    header = ["NAME", "WAVE", "BRANCH", "WORKTREE", "PR", "CHECKS", "AUTO", "STATE"]
    rows = [[style(c, "bold") for c in header]]
    for e in entries:
        worktree = e["worktree_state"]
        # a merged branch's commits landed as others (rebase, squash): its count misleads
        if e["worktree"] and (e["ahead"] or e["behind"]) and e["state"] != "merged":
            worktree += f" +{e['ahead']}/-{e['behind']}"
        state = style(e["state"], _STATE_STYLE[e["state"]])
        if e["blocked_by"]:
            state += style(" (waits for " + ", ".join(e["blocked_by"]) + ")", "dim")
        rows.append(
            [
                e["name"],
                str(e["wave"]),
                e["branch"],
                worktree,
                f"#{e['pr']}" if e["pr"] else "-",
                e["checks"] or "-",
                "on" if e["auto_merge"] else "-",
                state,
            ]
        )
    return "\n".join(table(rows, indent=""))
