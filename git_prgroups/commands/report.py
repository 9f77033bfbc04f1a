"""`git prgroups report`: the day's record, as the session notes end it: which PR carried
each issue, each PR's size and checks by group, and the day's figures.

observe (the PRs in one read, their facts in another, the issues, prgroups' history) →
build_report, a pure function of those → Markdown or JSON.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

from git_prgroups.errors import UsageError
from git_prgroups.events import Events
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.base import Forge
from git_prgroups.git import Git
from git_prgroups.history import History
from git_prgroups.model import REPORT_MARK, BranchName, Issue, PullFacts, PullRequest
from git_prgroups.planning.actions import PostReport
from git_prgroups.planning.world import base_label
from git_prgroups.render import title_of
from git_prgroups.spec import Spec
from git_prgroups.store import Store


def read_report(spec: Spec, git: Git, forge: Forge) -> dict[str, Any]:
    prs = forge.read([e.branch for e in spec.entries])
    facts = forge.pull_facts(list(prs.values()))
    numbers = sorted({i for e in spec.entries for i in e.issues} | set(spec.issue_notes))
    issues = forge.issues(numbers) if numbers else {}
    history = History(Store.of(git.common_dir()).history).read()
    return build_report(spec, prs, facts, issues, history)


def build_report(
    spec: Spec,
    prs: Mapping[BranchName, PullRequest],
    facts: Mapping[int, PullFacts],
    issues: Mapping[int, Issue],
    history: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The report as data: `issues` (one row per issue and entry carrying it), `groups`
    (each with its PRs) and `metrics`."""
    pr_of = {e.name: prs.get(e.branch) for e in spec.entries}
    failures = _failures_seen(history)

    mapping = []
    for number in sorted({i for e in spec.entries for i in e.issues} | set(spec.issue_notes)):
        said = spec.issue(number)
        description = said.description or ""
        if said.resolution == "no-fix":
            description = f"{description} ({said.note})" if description else said.note or ""
        carriers = sorted(spec.sharing(number), key=lambda n: (said.parts.get(n) or "", n))
        names: list[str | None] = [*carriers] or [None]
        for name in names:
            pr = pr_of.get(name) if name else None
            mapping.append({
                "issue": number, "part": said.parts.get(name) if name else None,
                "entry": name, "pr": pr.number if pr else None, "description": description,
                "closed": (found := issues.get(number)) is not None and found.state == "closed",
            })  # fmt: skip

    graph = spec.graph()
    groups = []
    for group in graph.groups:
        rows = []
        for name in group.entries:
            entry, pr = spec.entry(name), pr_of[name]
            known = facts.get(pr.number) if pr else None
            counted = known.check_failures if known else None
            rows.append({
                "entry": name, "branch": entry.branch, "title": pr.title if pr else title_of(entry),
                "pr": pr.number if pr else None, "state": pr.state if pr else "not opened",
                "issues": [_issue_label(spec, i, name) for i in entry.issues],
                "changed_files": known.changed_files if known else None,
                "additions": known.additions if known else None,
                "deletions": known.deletions if known else None,
                "check_failures": counted if counted is not None else
                                  failures.get(pr.number, 0) if pr else 0,
                "opened_at": known.created_at if known else None,
                "merged_at": known.merged_at if known else None,
            })  # fmt: skip
        groups.append({"name": group.name, "wave": group.wave, "after": list(group.after),
                       "onto": base_label(spec), "prs": rows})  # fmt: skip
    return {
        "epic": spec.defaults.epic,
        "issues": mapping,
        "groups": groups,
        "metrics": _metrics(groups, mapping, history),
    }


def _issue_label(spec: Spec, number: int, name: str) -> str:
    part = spec.issue(number).parts.get(name)
    return f"#{number} {part}" if part else f"#{number}"


def _failures_seen(history: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """Failing checks prgroups saw, once per PR head (a watch sees the same one often)."""
    heads: dict[int, set[str]] = {}
    for line in history:
        if line.get("event") == "failing" and line.get("pr"):
            heads.setdefault(line["pr"], set()).add(line.get("head") or "")
    return {pr: len(seen) for pr, seen in heads.items()}


def _metrics(
    groups: list[dict[str, Any]], mapping: list[dict[str, Any]],
    history: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    rows = [row for group in groups for row in group["prs"]]
    opened = [row for row in rows if row["pr"] is not None]
    merged = [row for row in opened if row["state"] == "merged"]
    starts = [row["opened_at"] for row in opened if row["opened_at"]]
    ends = [row["merged_at"] for row in merged if row["merged_at"]]
    span = None
    if starts and ends:
        span = int((_when(max(ends)) - _when(min(starts))).total_seconds())
    numbers = {row["issue"] for row in mapping}
    closed = {row["issue"] for row in mapping if row["closed"]}
    failed = [row for row in opened if row["check_failures"]]
    return {
        "first_opened": min(starts) if starts else None,
        "last_merged": max(ends) if ends else None,
        "seconds": span,
        "prs": len(rows), "opened": len(opened), "merged": len(merged),
        "issues": len(numbers), "issues_closed": len(closed),
        "prs_with_check_failures": len(failed),
        "check_failures": sum(row["check_failures"] for row in opened),
        "rebases": sum(1 for line in history if line.get("event") == "synced"),
    }  # fmt: skip


def _when(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- Markdown -----------------------------------------------------------------------------


def report_markdown(report: dict[str, Any]) -> str:
    epic = f"Epic #{report['epic']}: " if report["epic"] else ""
    m = report["metrics"]
    lines = [f"# {epic}{m['merged']} of {m['prs']} entries merged, "
             f"{m['issues_closed']} of {m['issues']} issues closed", ""]  # fmt: skip

    lines += ["## Issue Mapping to PRs", "", "| Issue | PR | Description |",
              "|-------|----|-------------|"]  # fmt: skip
    for row in report["issues"]:
        issue = f"#{row['issue']}" + (f" {row['part']}" if row["part"] else "")
        pr = f"#{row['pr']}" if row["pr"] else "-"
        lines.append(f"| {issue} | {pr} | {_cell(row['description'])} |")

    lines += ["", "## PR Breakdown"]
    for group in report["groups"]:
        source = f"after {', '.join(group['after'])}" if group["after"] else f"from {group['onto']}"
        count = len(group["prs"])
        plural = "s" if count != 1 else ""
        lines += ["", f"### Group {group['name']}: wave {group['wave']}, {source} "
                      f"({count} PR{plural})", ""]  # fmt: skip
        for at, row in enumerate(group["prs"], 1):
            pr = f"**#{row['pr']}**" if row["pr"] else "**not opened**"
            lines.append(f"{at}. {pr} {row['title']}")
            lines.append(f"   - Branch: `{row['branch']}`")
            if row["issues"]:
                lines.append(f"   - Issues: {', '.join(row['issues'])}")
            if row["changed_files"] is not None:
                lines.append(f"   - Files: {row['changed_files']}; lines: +{row['additions']} "
                             f"−{row['deletions']}")  # fmt: skip
            lines.append(f"   - CI failures: {row['check_failures']}")
            merged = f"yes, {_short(row['merged_at'])}" if row["state"] == "merged" else "no"
            lines.append(
                f"   - Merged: {merged}" + ("" if merged != "no" else f" ({row['state']})")
            )

    lines += ["", "## Metrics", ""]
    if m["seconds"] is not None:
        lines.append(f"- First PR opened → last merged: {_duration(m['seconds'])} "
                     f"({_short(m['first_opened'])} → {_short(m['last_merged'])})")  # fmt: skip
    lines.append(f"- PRs: {m['prs']} ({m['opened']} opened, {m['merged']} merged)")
    lines.append(f"- Issues closed: {m['issues_closed']} of {m['issues']}")
    rate = f" ({100 * m['prs_with_check_failures'] // m['opened']}%)" if m["opened"] else ""
    lines.append(f"- CI failures: {m['check_failures']}, in {m['prs_with_check_failures']} "
                 f"of {m['opened']} PRs{rate}")  # fmt: skip
    lines.append(f"- Rebases done by sync: {m['rebases']}")
    return "\n".join(lines)


def report_comment(epic: int, markdown: str, *, quiet_if_unchanged: bool = False) -> PostReport:
    """The report on the epic, marked so that the next run edits this same comment."""
    return PostReport(epic, f"{REPORT_MARK}\n{markdown}\n", quiet_if_unchanged)


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(when: str | None) -> str:
    return _when(when).strftime("%Y-%m-%d %H:%M") if when else "-"


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min" if minutes else f"{seconds} s"


def require_epic(spec: Spec) -> Spec:
    """The spec, once it names the epic `report --post` puts the report on."""
    if not spec.defaults.epic:
        raise UsageError("git prgroups report --post: the spec names no epic: set "
                         "defaults.epic = N, the issue the report goes on")  # fmt: skip
    return spec


def post_to_epic(spec: Spec, git: Git, forge: Forge, events: Events, *, dry_run: bool) -> None:
    """`report --post`: the report as one comment on the spec's epic, told as an event."""
    epic = require_epic(spec).defaults.epic
    assert epic is not None
    markdown = report_markdown(read_report(spec, git, forge))
    run = Execution.start(spec, git, forge, events, dry_run=dry_run)
    execute([report_comment(epic, markdown)], run)
