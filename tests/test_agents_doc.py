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
    assert len(commands) == 10

    said = []
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=epic.repo, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        said.append(json_said(done.stdout))

    plan, _listed, _trusted, first_up, work, second_up, more_work, watch, status, report = said
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


def the_conflict_recipe() -> list[str]:
    steps = section(GUIDE.read_text(), "A conflict, step by step")
    return [m.strip() for m in re.findall(r"```sh\n(.*?)```", steps, flags=re.DOTALL)]


# The work: each entry's own file, and for two entries of one wave a line in one shared
# file, so that whichever lands second conflicts with the first.
SHARING = ("code-hygiene", "config-tooling-cleanup")
AGENT = """#!/bin/sh
printf "%s\\n" "$PRGROUPS_TITLE" > "$PRGROUPS_ENTRY.md"
case "$PRGROUPS_ENTRY" in code-hygiene|config-tooling-cleanup)
  printf "%s\\n" "$PRGROUPS_ENTRY" >> CHANGELOG.md;;
esac
test -e .ready || { echo "the worktree was not set up" >&2; exit 1; }
"""
SETUP = '["sh", "-c", "echo ready > .ready"]'
CHECKS = """["sh", "-c", "! grep -rl --include='*.md' '^<<<<<<<' ."]"""  # no conflict markers


def test_an_agent_with_no_terminal_follows_the_guide_through_a_conflict_to_every_pr_merged(
    epic: World, installed_command: Path, tmp_path: Path
) -> None:
    """The guide's day with stdin closed and no terminal, on a spec with setup and
    checks the agent must have allowed (step 2), and a genuine conflict resolved by
    the guide's recipe: every PR merges and nothing waits for an answer."""
    (epic.repo / ".gitignore").write_text(".ready\n")
    (epic.repo / "CHANGELOG.md").write_text("# Changes\n")
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(
        spec.replace("[defaults]\n", f"[defaults]\nsetup = [{SETUP}]\nchecks = [{CHECKS}]\n", 1),
        trusted=False,
    )
    epic.git("add", ".gitignore", "CHANGELOG.md", "prgroups.toml")
    epic.git("commit", "-q", "-m", "the day's spec, with setup and checks")
    epic.git("push", "-q", "origin", "main")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "your-agent").write_text(AGENT)
    (tools / "your-agent").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_EDITOR", "EDITOR", "VISUAL")}
    env |= {"PATH": f"{tools}:{installed_command.parent}:{os.environ['PATH']}",
            "EDITOR": "false", "GIT_TERMINAL_PROMPT": "0"}  # fmt: skip

    def run(command: str, cwd: Path = epic.repo, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", command],
            cwd=cwd,
            env=env | extra,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            start_new_session=True,
        )  # fmt: skip no terminal

    conflicts = []
    for command in the_days_commands():
        for _attempt in range(5):
            done = run(command)
            if done.returncode == 0:
                break
            said = json_said(done.stdout)
            needing = [e for e in said if e.get("needs_you") and e["event"] != "exit"]
            assert done.returncode == 1, f"{command}\n{done.stdout}{done.stderr}"
            assert {e["event"] for e in needing} <= {"conflict", "needs-you", "stopped"}, needing
            for name in sorted({e["entry"] for e in needing if e["event"] == "conflict"}):
                conflicts.append(name)
                resolve(run, epic, name)
        else:
            raise AssertionError(f"{command} never ended well: {done.stdout}{done.stderr}")

    assert len(conflicts) == 1 and conflicts[0] in SHARING  # whichever landed second
    states = json.loads(run("git prgroups status --json").stdout)["entries"]
    assert {e["state"] for e in states} == {"merged"}
    assert worktree_paths(epic) == set()
    changelog = epic.git("show", "origin/main:CHANGELOG.md").splitlines()
    assert sorted(changelog[1:]) == sorted(SHARING) and changelog[0] == "# Changes"
    landed = epic.git("log", "--format=%s", "origin/main").splitlines()
    assert len(landed) == 9 + 3  # nine PRs on the initial commit, the spec, the day's spec


def resolve(run, epic: World, name: str) -> None:
    """What the agent does for a conflict, as the guide says: bring the base in, keep
    both sides of each conflicted file (the markers' lines gone), go on, up."""
    entry = next(
        e for e in json.loads(run("git prgroups status --json").stdout)["entries"]
        if e["name"] == name
    )  # fmt: skip
    assert "git rebase" in entry["next"], entry
    worktree = Path(entry["worktree"])
    bring_in, go_on, push = the_conflict_recipe()
    stopped = run(bring_in, WORKTREE=str(worktree))
    assert stopped.returncode != 0, "the base came in with no conflict"
    files = run("git diff --name-only --diff-filter=U", cwd=worktree).stdout.split()
    assert files == ["CHANGELOG.md"]
    for file in files:
        path = worktree / file
        kept = [line for line in path.read_text().splitlines()
                if not line.startswith(("<<<<<<<", "=======", ">>>>>>>"))]  # fmt: skip
        path.write_text("\n".join(kept) + "\n")
    went_on = run(go_on, WORKTREE=str(worktree))
    assert went_on.returncode == 0, went_on.stdout + went_on.stderr
    done = run(push, cwd=worktree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [e["entry"] for e in json_said(done.stdout) if e["event"] == "landed"] == [name]
