"""`git prgroups plan`: the waves and groups of the spec, as text, JSON, mermaid or dot."""

from __future__ import annotations

import json
from typing import Any

from git_prgroups.errors import display_path
from git_prgroups.graph import Graph
from git_prgroups.output import Page, Style, fitting_table, table
from git_prgroups.render import title_of
from git_prgroups.spec import Spec


def plan_data(spec: Spec, graph: Graph) -> dict[str, Any]:
    return {
        "spec": str(spec.path),
        "base": spec.defaults.base,
        "epic": spec.defaults.epic,
        "waves": [list(wave) for wave in graph.waves],
        "groups": [
            {"name": g.name, "wave": g.wave, "after": list(g.after), "entries": list(g.entries)}
            for g in graph.groups
        ],
        "entries": [
            {
                "name": e.name,
                "branch": e.branch,
                "title": title_of(e),
                "issues": list(e.issues),
                "after": list(e.after),
                "wave": graph.wave_of(e.name),
                "group": graph.group_of(e.name).name,
                "worktree": str(e.worktree),
                "labels": list(e.labels),
                "draft": e.draft,
                "stacked_on": e.after[0] if e.stack else None,
                # the branch its PR targets first (its prerequisite's, while stacked)
                "base": spec.entry(e.after[0]).branch if e.stack else spec.defaults.base,
            }
            for e in spec.entries
        ],
    }


def plan_text(spec: Spec, graph: Graph, style: Style, page: Page | None = None) -> str:
    """The groups and their entries; on a narrow page without the branches."""
    page = page or Page()
    counts = (
        f"{_plural(len(spec.entries), 'entry', 'entries')} in "
        f"{_plural(len(graph.groups), 'group')} and {_plural(len(graph.waves), 'wave')}"
    )
    epic = f", epic #{spec.defaults.epic}" if spec.defaults.epic else ""
    lines = [f"{style(display_path(spec.path), 'bold')}: {counts}{epic}"]
    tables: list[tuple[int, list[list[str]]]] = []
    for group in graph.groups:
        if group.after and all(spec.entry(n).stack for n in group.entries):
            source = f"now, stacked on {group.after[0]}'s branch"
        elif group.after:
            verb = "merges" if len(group.after) == 1 else "merge"
            source = f"after {', '.join(group.after)} {verb}"
        else:
            source = f"from {spec.defaults.remote}/{spec.defaults.base}"

        heading = style(f"Group {group.name}", "bold") + style(f" · wave {group.wave} · ", "dim")
        lines += ["", heading + source]
        rows = [
            [
                style(name, "cyan"),
                spec.entry(name).branch,
                " ".join(f"#{i}" for i in spec.entry(name).issues) or "-",
                *([f"stacked on {spec.entry(name).after[0]}"] if spec.entry(name).stack else []),
            ]
            for name in group.entries
        ]
        tables.append((len(lines), rows))
    # every group's table drops the same columns, so that the groups line up
    left_out = max((fitting_table(rows, page.columns, drop=(1,), indent="  ")[1]
                    for _, rows in tables), default=[])  # fmt: skip
    for at, rows in reversed(tables):
        lines[at:at] = table([[c for i, c in enumerate(row) if i not in left_out] for row in rows])
    return "\n".join(lines)


def plan_mermaid(spec: Spec, graph: Graph) -> str:
    ids = {name: f"n{i}" for i, name in enumerate(graph.order)}
    lines = ["flowchart LR"]
    for group in graph.groups:
        lines.append(f'  subgraph group{group.name}["Group {group.name}"]')
        for name in group.entries:
            label = _mermaid_text(f"{name}<br/>{spec.entry(name).branch}")
            lines.append(f'    {ids[name]}["{label}"]')
        lines.append("  end")
    for name in graph.order:
        arrow = " -. stacked .-> " if spec.entry(name).stack else " --> "
        lines += [f"  {ids[p]}{arrow}{ids[name]}" for p in graph.after[name]]
    return "\n".join(lines)


def plan_dot(spec: Spec, graph: Graph) -> str:
    lines = ["digraph prgroups {", "  rankdir=LR;", "  node [shape=box];"]
    for group in graph.groups:
        lines.append(f"  subgraph cluster_{group.name} {{")
        lines.append(f"    label={_dot_text('Group ' + group.name)};")
        for name in group.entries:
            label = f"{_dot_escape(name)}\\n{_dot_escape(spec.entry(name).branch)}"
            lines.append(f'    {_dot_text(name)} [label="{label}"];')
        lines.append("  }")
    for name in graph.order:
        stacked = ' [style=dashed, label="stacked"]' if spec.entry(name).stack else ""
        lines += [f"  {_dot_text(p)} -> {_dot_text(name)}{stacked};" for p in graph.after[name]]
    lines.append("}")
    return "\n".join(lines)


def render_plan(spec: Spec, fmt: str, style: Style, page: Page | None = None) -> str:
    graph = spec.graph()
    if fmt == "json":
        return json.dumps(plan_data(spec, graph), indent=2, ensure_ascii=False)
    if fmt == "mermaid":
        return plan_mermaid(spec, graph)
    if fmt == "dot":
        return plan_dot(spec, graph)
    if fmt == "names":  # one per line, in wave order: what shell completion offers
        return "\n".join(name for wave in graph.waves for name in wave)
    return plan_text(spec, graph, style, page)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_text(text: str) -> str:
    return f'"{_dot_escape(text)}"'
