"""`git prgroups exec`: one command in each selected entry's worktree, side by side."""

from __future__ import annotations

import json

import pytest

from conftest import World, commit_in

NINE = [f"e{n}" for n in range(1, 10)]
FAILS_IN_E5 = [
    "sh", "-c",
    'echo "starting in $PRGROUPS_ENTRY"; '
    'if [ "$PRGROUPS_ENTRY" = e5 ]; then echo "e5 is broken" >&2; exit 3; fi; '
    'echo "ok $PRGROUPS_ENTRY on $PRGROUPS_BRANCH: $PRGROUPS_TITLE (#$PRGROUPS_ISSUES)"',
]  # fmt: skip


@pytest.fixture
def nine(world: World, cli) -> World:
    """Nine entries, each with its worktree; e9 waits for e8 (and so has none)."""
    spec = "".join(
        f'[pr.{name}]\ntitle = "fix: {name}"\nissues = [{40 + n}]\n'
        for n, name in enumerate(NINE[:8], 1)
    )
    spec += '[pr.e9]\ntitle = "fix: e9"\nafter = ["e8"]\n'
    world.write_spec(spec)
    assert cli("up", cwd=world.repo).code == 0
    return world


def test_a_command_in_every_worktree_with_one_failing_exits_1_with_the_summary(
    nine: World, cli
) -> None:
    outcome = cli("exec", "-j", "3", "--", *FAILS_IN_E5, cwd=nine.repo)

    assert outcome.code == 1, outcome.out + outcome.err
    lines = outcome.out.splitlines()
    assert sorted(line.split(":")[1].strip() for line in lines if line.startswith("ran: ")) == [
        n for n in NINE[:8] if n != "e5"
    ]
    assert any(line.startswith("failed: e5: exit 3 in ") for line in lines)
    table = lines[lines.index("ENTRY  EXIT  SECONDS  LAST LINE") :]
    assert [row.split()[:2] for row in table[1:-1]] == [
        [name, "3" if name == "e5" else "0"] for name in NINE[:8]
    ]  # wave order; e9 has no worktree: not run
    assert table[1].endswith("ok e1 on 41-e1: fix: e1 (#41)")
    assert table[5].endswith("e5 is broken")
    assert table[-1] == "7 succeeded, 1 failed"
    assert all(len(line) <= 80 for line in table)
    logs = nine.repo / ".git" / "prgroups" / "logs"
    assert (logs / "exec-e5.log").read_text() == "starting in e5\ne5 is broken\n"
    assert (logs / "exec-e2.log").read_text() == "starting in e2\nok e2 on 42-e2: fix: e2 (#42)\n"


def test_the_json_summary_has_a_row_per_entry(nine: World, cli) -> None:
    outcome = cli("exec", "--json", "--", "git", "rev-parse", "--show-toplevel", cwd=nine.repo)

    assert outcome.code == 0, outcome.out
    said = [json.loads(line) for line in outcome.out.splitlines()]
    rows = next(e for e in said if e["event"] == "summary")["details"]["rows"]
    assert [(r["entry"], r["code"], r["last_line"]) for r in rows] == [
        (name, 0, str(nine.base / f"scylla-{name}")) for name in NINE[:8]
    ]
    assert said[-1] == {"event": "exit", "entry": None, "pr": None, "message": "",
                        "needs_you": False, "details": {"code": 0}}  # fmt: skip


def test_ready_open_and_named_entries(nine: World, cli) -> None:
    spec = (nine.repo / "prgroups.toml").read_text()
    nine.write_spec(
        spec.replace('[pr.e2]\ntitle = "fix: e2"\n', '[pr.e2]\ntitle = "fix: e2"\ndraft = true\n')
    )
    commit_in(nine.base / "scylla-e2", "e2")
    assert cli("up", "e2", cwd=nine.repo).code == 0  # a draft PR: open, not landed

    def ran(*args: str) -> list[str]:
        outcome = cli("exec", "--json", *args, "--", "true", cwd=nine.repo)
        said = [json.loads(line) for line in outcome.out.splitlines()]
        return [e["entry"] for e in said if e["event"] == "ran"]

    assert ran("--open") == ["e2"]
    assert sorted(ran("--ready")) == [n for n in NINE[:8] if n != "e2"]
    assert sorted(ran("e3", "e1")) == ["e1", "e3"]
    named_without_worktree = cli("exec", "e9", "--", "true", cwd=nine.repo)
    assert named_without_worktree.code == 1
    assert named_without_worktree.out == (
        "skipped: e9: no worktree yet (git prgroups up makes it): not run there\n"
    )


def test_a_program_given_by_path_is_found_in_each_worktree(world: World, cli) -> None:
    script = world.repo / "tools" / "where.sh"
    script.parent.mkdir()
    script.write_text('#!/bin/sh\necho "here: $(basename "$PWD")"\n')
    script.chmod(0o755)
    world.git("add", "tools")
    world.git("commit", "-q", "-m", "a tool")
    world.git("push", "-q", "origin", "main")
    world.write_spec('[pr.a]\ntitle = "fix: a"\n')
    cli("up", cwd=world.repo)

    outcome = cli("exec", "--", "./tools/where.sh", cwd=world.repo)

    assert outcome.code == 0, outcome.out
    assert "ran: a: exit 0 in " in outcome.out and outcome.out.count("here: scylla-a") == 2


def test_a_dry_run_runs_nothing(nine: World, cli) -> None:
    outcome = cli("exec", "--dry-run", "e1", "--", "touch", "marker", cwd=nine.repo)

    assert outcome.code == 0
    assert outcome.out == f"would run: touch marker  (in {nine.base / 'scylla-e1'})\n"
    assert not (nine.base / "scylla-e1" / "marker").exists()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("exec",), "git prgroups exec: no command: give it after --, as in "
                    "git prgroups exec -- pytest -q"),
        (("exec", "--ready", "--open", "--", "true"),
         "git prgroups exec: choose one of --ready, --open, --all or entry names"),
        (("exec", "--ready", "e1", "--", "true"),
         "git prgroups exec: choose one of --ready, --open, --all or entry names"),
        (("exec", "nope", "--", "true"), None),
    ],
)  # fmt: skip
def test_bad_usage_is_one_line_and_exit_2(nine: World, cli, argv, said) -> None:
    outcome = cli(*argv, cwd=nine.repo)

    assert outcome.code == 2
    assert len(outcome.err.splitlines()) == 1
    if said:
        assert outcome.err == f"error: {said}\n"
