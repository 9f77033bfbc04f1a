"""What every command does alike: `--json` ends with the exit line, `--dry-run` changes
nothing on disk, `help COMMAND` is its `--help`; and the smaller rules that make the
tool predictable (where worktrees may go, how the current folder is shown, which shell
`aliases` writes for)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_prgroups.cli import command_table
from git_prgroups.specfile import load_spec

from conftest import World, commit_in, snapshot


def last_json(out: str) -> dict:
    return json.loads(out.splitlines()[-1])


@pytest.fixture
def started(epic: World, cli) -> World:
    """The epic with group A's worktrees; code-hygiene committed, so commit has a place."""
    assert cli("up", cwd=epic.repo).code == 0
    return epic


CHANGING = [
    ("trust", ()),
    ("add", ("fix-typo", "--title", "fix: a typo")),
    ("remove", ("code-hygiene",)),
    ("init", ("--spec", "other.toml")),
    ("report", ("--post",)),
]


@pytest.mark.parametrize(("command", "args"), CHANGING, ids=[c for c, _ in CHANGING])
def test_a_dry_run_changes_nothing_and_json_ends_with_the_exit_line(
    started: World, cli, command: str, args: tuple[str, ...]
) -> None:
    before = snapshot(started.base)

    dry = cli(command, "--dry-run", "--json", *args, cwd=started.repo)

    assert dry.code == 0, dry.out + dry.err
    assert snapshot(started.base) == before
    assert last_json(dry.out) == {
        "event": "exit", "entry": None, "pr": None, "message": "", "needs_you": False,
        "details": {"code": 0},
    }  # fmt: skip
    done = cli(command, "--json", *args, cwd=started.repo)
    assert done.code == 0, done.out + done.err
    assert last_json(done.out)["details"] == {"code": 0}
    assert {json.loads(line)["event"] for line in done.out.splitlines()[:-1]} <= {
        "trusted", "edited", "posted", "note", "nothing",
    }  # fmt: skip


def test_commit_takes_json_and_a_dry_run(started: World, cli) -> None:
    worktree = started.base / "scylla-code-hygiene"
    (worktree / "x.txt").write_text("x\n")
    started.git("add", "x.txt", cwd=worktree)
    head = started.git("rev-parse", "HEAD", cwd=worktree)

    dry = cli("commit", "--dry-run", "--json", cwd=worktree)

    assert dry.code == 0, dry.out + dry.err
    assert started.git("rev-parse", "HEAD", cwd=worktree) == head
    said = [json.loads(line) for line in dry.out.splitlines()]
    assert said[0]["event"] == "would-run" and "commit" in said[0]["message"]
    done = cli("commit", "--json", cwd=worktree)
    assert [json.loads(line)["event"] for line in done.out.splitlines()] == ["committed", "exit"]
    assert started.git("rev-parse", "HEAD~1", cwd=worktree) == head


def test_remove_close_closes_the_entrys_open_pr(world: World, cli) -> None:
    world.write_spec('[pr.a]\ntitle = "fix: a"\ndraft = true\n[pr.b]\ntitle = "fix: b"\n')
    assert cli("up", cwd=world.repo).code == 0
    commit_in(world.base / "scylla-a", "a")
    assert cli("up", cwd=world.repo).code == 0  # a draft: open, never landed

    refused = cli("remove", "--json", "a", cwd=world.repo)
    assert refused.code == 1 and "--close closes #1" in refused.err
    done = cli("remove", "--close", "--json", "a", cwd=world.repo)

    assert done.code == 0, done.out + done.err
    said = [json.loads(line) for line in done.out.splitlines()]
    assert [(e["event"], e["pr"], e["details"].get("change")) for e in said] == [
        ("edited", 1, "closed-pr"), ("edited", None, "removed"), ("edited", None, "kept"),
        ("exit", None, None),
    ]  # fmt: skip
    records = json.loads((world.repo / ".git" / "prgroups" / "local-forge.json").read_text())
    assert [p["state"] for p in records["pulls"]] == ["closed"]
    assert "a" not in load_spec(world.repo / "prgroups.toml", world.repo)


@pytest.mark.parametrize("command", sorted(command_table().commands))
def test_help_command_is_its_help(epic: World, cli, command: str) -> None:
    helped = cli("help", command, cwd=epic.repo)
    asked = cli(command, "--help", cwd=epic.repo)

    assert (helped.code, asked.code) == (0, 0)
    assert helped.out == asked.out and helped.out.startswith(f"usage: git prgroups {command}")


def test_help_alone_is_the_programs_help_and_a_typo_is_told(epic: World, cli) -> None:
    assert cli("help", cwd=epic.repo).out == cli("--help", cwd=epic.repo).out
    typo = cli("help", "stauts", cwd=epic.repo)
    assert typo.code == 2 and 'did you mean "status"' in typo.err


def test_aliases_are_written_for_the_login_shell(epic: World, cli, monkeypatch) -> None:
    monkeypatch.setenv("SHELL", "/usr/bin/zsh")
    assert cli("aliases", cwd=epic.repo).out == cli("aliases", "zsh", cwd=epic.repo).out
    monkeypatch.setenv("SHELL", "/bin/tcsh")  # not one of ours: bash's
    assert cli("aliases", cwd=epic.repo).out == cli("aliases", "bash", cwd=epic.repo).out


@pytest.mark.parametrize("pattern", ["../../{repo}-wt/{name}", "ABSOLUTE/{name}"])
def test_a_worktree_may_go_anywhere_of_the_users_relative_or_absolute(
    world: World, cli, pattern: str
) -> None:
    pattern = pattern.replace("ABSOLUTE", str(world.base.parent / "elsewhere"))
    world.write_spec(f'[defaults]\nworktree = "{pattern}"\n[pr.a]\ntitle = "fix: a"\n')

    outcome = cli("up", cwd=world.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    made = load_spec(world.repo / "prgroups.toml", world.repo).entry("a").worktree
    assert made.parent.parent == world.base.parent
    assert (made / ".git").is_file()


def test_the_current_folder_is_shown_as_dot(started: World, cli) -> None:
    worktree = started.base / "scylla-code-hygiene"

    said = cli("show", "code-hygiene", cwd=worktree).out

    assert "  worktree  . (clean, 0 ahead" in said, said
    assert str(Path("..") / "scylla-code-hygiene") not in said
