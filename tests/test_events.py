"""Typed events: the text a person reads, the JSON lines a program reads, and one exit
code computed from them that means the same in every command."""

from __future__ import annotations

import json

import pytest
from test_prune import land
from test_sync import advance_base

from git_prgroups.events import Event, Events, event_json, event_line

from conftest import GROUP_A, World, commit_in, git, up

KEYS = {"event", "entry", "pr", "message", "needs_you", "details"}


def json_lines(text: str) -> list[dict]:
    lines = [json.loads(line) for line in text.splitlines()]
    for line in lines:
        assert set(line) == KEYS, line
    return lines


def test_an_event_reads_as_one_line_and_as_json() -> None:
    event = Event("conflict", "left as it was", "a", 3, {"files": ["x.py", "y.py"]})

    assert event_line(event) == "conflict: a (files x.py, y.py): left as it was"
    assert json.loads(event_json(event)) == {
        "event": "conflict", "entry": "a", "pr": 3, "message": "left as it was",
        "needs_you": True, "details": {"files": ["x.py", "y.py"]},
    }  # fmt: skip
    assert event_line(Event("issue-closed", "#4: Fixed in #3.")) == "closed: #4: Fixed in #3."
    assert event_line(Event("nothing", "nothing to do")) == "nothing to do"
    assert event_line(Event("needs-you", "ready, no commits yet", "b")) == (
        "  b: ready, no commits yet"
    )


@pytest.mark.parametrize(
    ("kinds", "code"),
    [
        ([], 0),
        (["worktree", "pushed", "blocked", "kept", "overlap"], 0),
        (["worktree", "refused"], 1),
        (["skipped"], 1),
        (["closed"], 1),
        (["conflict", "done"], 0),  # a watch's verdict decides: it went on and all merged
        (["round", "stopped"], 1),
        (["landed", "interrupted"], 130),
    ],
)
def test_the_exit_code_comes_from_the_events(kinds: list, code: int) -> None:
    events = Events()
    for kind in kinds:
        events.add(Event(kind, "x"))
    assert events.exit_code == code


def test_each_distinct_event_is_told_once_but_commands_a_dry_run_repeats_are_kept() -> None:
    told: list[Event] = []
    events = Events(told.append)
    for _ in range(2):
        events.add(Event("conflict", "#1 does not apply", "a", 1))
        events.add(Event("would-run", "git fetch"))
    assert [e.kind for e in told] == ["conflict", "would-run", "would-run"]


def test_up_json_is_one_object_per_event_and_ends_with_the_exit_code(epic: World, cli) -> None:
    up(epic, *GROUP_A[:2])
    for name in GROUP_A[:2]:
        commit_in(epic.base / f"scylla-{name}", name)

    outcome = cli("up", "--json", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    lines = json_lines(outcome.out)
    assert lines[-1] == {
        "event": "exit", "entry": None, "pr": None, "message": "", "needs_you": False,
        "details": {"code": 0},
    }  # fmt: skip
    kinds = [(line["event"], line["entry"]) for line in lines]
    for name in GROUP_A[:2]:
        for kind in ("pushed", "opened", "auto-merge", "landed"):
            assert (kind, name) in kinds
    opened = next(line for line in lines if line["event"] == "opened")
    assert opened["pr"] == 1 and opened["details"]["url"].endswith("#1")
    assert ("blocked", "fix-language-defaults") not in kinds  # it started in this run
    assert ("worktree", "fix-language-defaults") in kinds
    again = cli("up", "--json", cwd=epic.repo)
    assert [line["event"] for line in json_lines(again.out)][-1] == "exit"


def test_sync_json_names_a_conflicts_files_and_exits_1(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    (path / "README.md").write_text("# mine\n")
    git("commit", "-q", "-am", "mine", cwd=path)
    advance_base(epic, file="README.md", text="# theirs\n")

    outcome = cli("sync", "--json", cwd=epic.repo)

    assert outcome.code == 1
    lines = json_lines(outcome.out)
    conflict = next(line for line in lines if line["event"] == "conflict")
    assert conflict["entry"] == "code-hygiene" and conflict["needs_you"] is True
    assert conflict["details"] == {"files": ["README.md"]}
    assert lines[-1]["event"] == "exit" and lines[-1]["details"] == {"code": 1}


def test_prune_json_names_each_removal_and_closing(epic: World, cli) -> None:
    land(epic, "code-hygiene")

    outcome = cli("prune", "--json", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    lines = json_lines(outcome.out)
    assert [(line["event"], line["entry"]) for line in lines[:1]] == [("pruned", "code-hygiene")]
    closed = [line["details"]["issue"] for line in lines if line["event"] == "issue-closed"]
    assert closed == [415, 416, 417]


def test_watch_json_ends_with_its_verdict(epic: World, cli) -> None:
    up(epic, "code-hygiene")

    outcome = cli("watch", "--json", cwd=epic.repo)

    assert outcome.code == 1
    lines = json_lines(outcome.out)
    verdict = next(line for line in lines if line["event"] == "stopped")
    assert verdict["needs_you"] is True
    assert {"event": "needs-you", "entry": "code-hygiene"}.items() <= next(
        line for line in lines if line["entry"] == "code-hygiene" and line["event"] == "needs-you"
    ).items()
    assert lines[-1]["details"] == {"code": 1}


def test_a_bad_spec_with_json_ends_with_an_error_line_and_exit_2(epic: World, cli) -> None:
    epic.write_spec('[pr.a]\ntitel = "x"\n')

    outcome = cli("up", "--json", cwd=epic.repo)

    assert outcome.code == 2
    assert outcome.err.startswith("error: prgroups.toml:2: pr.a: unknown key")
    [line] = json_lines(outcome.out)
    assert line["event"] == "error" and line["details"] == {"code": 2}
    assert line["message"] == outcome.err.removeprefix("error: ").strip()


def test_a_pr_closed_unmerged_means_the_same_to_up_and_sync(epic: World, cli) -> None:
    """1: something needs you, whichever command meets it."""
    land(epic, "code-hygiene")
    up(epic, "fix-model-configs")
    commit_in(epic.base / "scylla-fix-model-configs", "x")
    records = epic.repo / ".git" / "prgroups" / "local-forge.json"
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec.replace('merge = "rebase"', 'merge = "rebase"\ndraft = true'))
    up(epic, "fix-model-configs")
    data = json.loads(records.read_text())
    data["pulls"][-1]["state"] = "closed"
    records.write_text(json.dumps(data))
    epic.write_spec(spec)

    for command in ("up", "sync"):
        outcome = cli(command, cwd=epic.repo)
        assert outcome.code == 1, command
        assert "closed: fix-model-configs: #2 was closed without merging" in outcome.out
