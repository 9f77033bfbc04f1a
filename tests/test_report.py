"""`report` rebuilds the session notes' closing tables from the real record: the forge's
PRs (local records, or GitHub through the real gh) and prgroups' own history."""

from __future__ import annotations

import json
import re
from pathlib import Path

from test_prune import land
from test_status import failing_checks
from test_sync import advance_base

from conftest import EXAMPLE_SPEC, World, commit_in, git, up


def shortstat(old: str, new: str, cwd: Path) -> tuple[int, int, int]:
    """`git diff --shortstat`, as a person would read it: files, insertions, deletions."""
    out = git("diff", "--shortstat", old, new, cwd=cwd)
    found = [re.search(rf"(\d+) {w}", out) for w in ("file", "insertion", "deletion")]
    files, added, removed = (int(m.group(1)) if m else 0 for m in found)
    return files, added, removed


def records(world: World) -> dict[int, dict]:
    path = world.repo / ".git" / "prgroups" / "local-forge.json"
    return {p["number"]: p for p in json.loads(path.read_text())["pulls"]}


def rows(report: dict) -> dict[str, dict]:
    return {row["entry"]: row for group in report["groups"] for row in group["prs"]}


def test_the_report_pairs_issues_with_prs_and_sizes_each_as_git_does(epic: World, cli) -> None:
    up(epic, "code-hygiene", "delete-mojo-guides", "remove-python-justification")
    hygiene = epic.base / "scylla-code-hygiene"
    (hygiene / "clock.py").write_text("".join(f"line {n}\n" for n in range(12)))
    (hygiene / "README.md").write_text("# scylla, rewritten\n")
    git("add", "-A", cwd=hygiene)
    git("commit", "-q", "-m", "bigger", cwd=hygiene)
    commit_in(hygiene, "code-hygiene")
    for name in ("delete-mojo-guides", "remove-python-justification"):
        commit_in(epic.base / f"scylla-{name}", name)
    up(epic, "code-hygiene", "delete-mojo-guides", "remove-python-justification")
    up(epic, "fix-language-defaults")
    commit_in(epic.base / "scylla-fix-language-defaults", "defaults")
    advance_base(epic)  # sync has work: one rebase of a started entry
    sync = cli("sync", cwd=epic.repo)
    assert sync.code == 0, sync.out + sync.err

    outcome = cli("report", "--json", cwd=epic.repo)
    text = cli("report", cwd=epic.repo)

    assert outcome.code == 0 and text.code == 0, outcome.err + text.err
    report = json.loads(outcome.out)
    mapping = [(r["issue"], r["part"], r["pr"]) for r in report["issues"] if r["issue"] in
               (401, 415, 417)]  # fmt: skip
    prs = {name: row["pr"] for name, row in rows(report).items()}
    assert mapping == [
        (401, "P0", prs["delete-mojo-guides"]),
        (401, "P1", None),  # fix-language-defaults has no PR yet
        (401, "P2", prs["remove-python-justification"]),
        (415, None, prs["code-hygiene"]),
        (417, None, prs["code-hygiene"]),
    ]
    hygiene_pr = prs["code-hygiene"]
    assert f"| #417 | #{hygiene_pr} | Mojo template (verified, no fix needed) |" in text.out
    for name in ("code-hygiene", "delete-mojo-guides", "remove-python-justification"):
        row, record = rows(report)[name], records(epic)[prs[name]]
        landed = record["merged_commit"]
        commits = 2 if name == "code-hygiene" else 1
        assert (row["changed_files"], row["additions"], row["deletions"]) == shortstat(
            f"{landed}~{commits}", landed, epic.origin
        ), name
        assert row["state"] == "merged" and row["merged_at"]
    assert rows(report)["code-hygiene"]["changed_files"] == 3
    metrics = report["metrics"]
    assert (metrics["prs"], metrics["opened"], metrics["merged"]) == (9, 3, 3)
    assert metrics["rebases"] == 1  # fix-language-defaults, moved onto the new base
    assert metrics["issues_closed"] == 0  # prune closes them
    assert "## Issue Mapping to PRs" in text.out and "### Group B: wave 1" in text.out
    assert max(map(len, text.out.splitlines())) <= 80


def test_failing_checks_are_counted_once_per_head_whatever_the_number_of_runs(
    epic: World, cli
) -> None:
    failing_checks(epic)
    epic.git("commit", "-qam", "checks that fail")
    epic.git("push", "-q", "origin", "main")
    up(epic, "fix-model-configs")
    configs = epic.base / "scylla-fix-model-configs"
    commit_in(configs, "pricing")
    for _ in range(3):  # the same head, judged once and seen failing three times
        up(epic, "fix-model-configs")
    commit_in(configs, "pricing-again")
    up(epic, "fix-model-configs")

    report = json.loads(cli("report", "--json", cwd=epic.repo).out)

    row = rows(report)["fix-model-configs"]
    assert row["check_failures"] == 2 and row["state"] == "open"
    assert report["metrics"]["prs_with_check_failures"] == 1


def test_a_spec_without_issue_tables_reports_with_empty_descriptions(epic: World, cli) -> None:
    text = EXAMPLE_SPEC.read_text()
    epic.write_spec(text[: text.index("\n[issue.400]")])
    land(epic, "code-hygiene")

    report = json.loads(cli("report", "--json", cwd=epic.repo).out)

    assert {r["description"] for r in report["issues"]} == {""}
    assert rows(report)["code-hygiene"]["state"] == "merged"


def test_report_post_keeps_one_record_on_the_epic_and_edits_it(epic: World, cli) -> None:
    land(epic, "code-hygiene")

    first = cli("report", "--post", cwd=epic.repo)
    same = cli("report", "--post", cwd=epic.repo)
    land(epic, "fix-model-configs")
    changed = cli("report", "--post", cwd=epic.repo)

    assert [first.out, same.out, changed.out] == [
        "posted: the report on #403\n", "unchanged: the report on #403\n",
        "updated: the report on #403\n",
    ]  # fmt: skip
    path = epic.repo / ".git" / "prgroups" / "local-forge.json"
    posted = json.loads(path.read_text())["issues"]["403"]["report"]
    assert posted == (
        "<!-- git prgroups report: edited in place by each report --post -->\n"
        + cli("report", cwd=epic.repo).out
    )
    assert "2 of 9 entries merged" in posted


def test_a_merge_landing_is_sized_from_the_base_it_merged_into(epic: World, cli) -> None:
    epic.write_spec(EXAMPLE_SPEC.read_text().replace('merge = "rebase"', 'merge = "merge"'))
    land(epic, "code-hygiene")

    report = json.loads(cli("report", "--json", cwd=epic.repo).out)

    landed = records(epic)[rows(report)["code-hygiene"]["pr"]]["merged_commit"]
    row = rows(report)["code-hygiene"]
    assert (
        (row["changed_files"], row["additions"], row["deletions"])
        == shortstat(f"{landed}^1", landed, epic.origin)
        == (1, 1, 0)
    )
