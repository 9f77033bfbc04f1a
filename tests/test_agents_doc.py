"""docs/agents.md is followed as written: its day's commands, run in order on the local
forge, take the example epic to the end; its lists name every event there is."""

from __future__ import annotations

import json
import os
import re
import subprocess
import typing
from pathlib import Path

from test_prune import issues

from git_prgroups.events import NEEDS_YOU, EventKind

from conftest import World, worktree_paths

GUIDE = Path(__file__).parent.parent / "docs" / "agents.md"
README = Path(__file__).parent.parent / "README.md"


def section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def the_days_commands() -> list[str]:
    day = section(GUIDE.read_text(), "The day")
    return [m.strip() for m in re.findall(r"```sh\n(.*?)```", day, flags=re.DOTALL)]


def json_said(out: str) -> list[dict]:
    """One document (plan, status), or one event per line."""
    try:
        return [json.loads(out)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in out.splitlines()]


def test_the_guides_day_runs_as_written_to_every_pr_merged(
    epic: World, installed_command: Path, tmp_path: Path
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    agent = tools / "your-agent"  # the work: a file named after the entry, with its title
    agent.write_text('#!/bin/sh\nprintf "%s\\n" "$PRGROUPS_TITLE" > "$PRGROUPS_ENTRY.md"\n')
    agent.chmod(0o755)
    env = {**os.environ, "PATH": f"{tools}:{installed_command.parent}:{os.environ['PATH']}"}
    commands = the_days_commands()
    assert len(commands) == 8

    said = []
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=epic.repo, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        said.append(json_said(done.stdout))

    plan, first_up, work, second_up, more_work, watch, status, report = said
    made = {e["entry"] for e in first_up if e["event"] == "worktree"}
    assert made == set(plan[0]["waves"][0]) and len(made) == 7
    assert sum(e["event"] == "ran" for e in work) == 7
    assert sum(e["event"] == "landed" for e in second_up) == 7
    assert sum(e["event"] == "ran" for e in more_work) == 2
    assert [e["event"] for e in watch if e["event"] in ("done", "exit")] == ["done", "exit"]
    assert {e["state"] for e in status[0]["entries"]} == {"merged"}
    assert worktree_paths(epic) == set()
    assert report[0]["metrics"]["merged"] == 9
    assert all(issue["state"] == "closed" for issue in issues(epic).values())
    landed = epic.git("log", "--format=%s", "origin/main").splitlines()
    assert len(landed) == 9 + 2  # nine PRs on the initial commit and the spec


def test_the_guide_and_the_readme_name_every_event_and_what_to_do_on_each_that_needs_you() -> None:
    kinds = set(typing.get_args(EventKind)) | {"exit", "error"}
    guide = GUIDE.read_text()
    listed = section(guide, "What the commands print")
    readme_row = next(line for line in README.read_text().splitlines()
                      if line.startswith("| `event` |"))  # fmt: skip

    assert {k for k in kinds if f"`{k}`" not in listed} == set()
    assert {k for k in kinds - {"exit", "error"} if f"`{k}`" not in readme_row} == set()
    todo = section(guide, "When it says needs you")
    assert {k for k in NEEDS_YOU if f"\n| `{k}` |" not in todo} == set()
