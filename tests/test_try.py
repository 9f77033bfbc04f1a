"""`git prgroups try`: open PRs merged together in a checkout of prgroups' own and
checked before any lands; the culprit found by a search over prefixes. Real git, the
local forge, real check commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import World, git, snapshot, status, up

# at most one line in lines/: each entry adds one, so any two together break it
ONE_LINE = '["sh", "-c", "test $(cat lines/* 2>/dev/null | wc -l) -le 1"]'


def spec_of(*entries: str, checks: str = ONE_LINE) -> str:
    text = f"[defaults]\ndraft = true\nchecks = [{checks}]\n"  # drafts: nothing lands
    for entry in entries:
        name, _, after = entry.partition(">")
        text += f"[pr.{name}]\ntitle = '{name}'\n"
        if after:
            text += f"after = ['{after}']\n"
    return text


def opened(world: World, changes: dict[str, dict[str, str]]) -> None:
    """Each entry's worktree made, its files committed, its PR opened (a draft)."""
    up(world)
    for name, files in changes.items():
        worktree = world.base / f"scylla-{name}"
        for path, text in files.items():
            (worktree / path).parent.mkdir(parents=True, exist_ok=True)
            (worktree / path).write_text(text)
        git("add", ".", cwd=worktree)
        git("commit", "-q", "-m", f"change {name}", cwd=worktree)
    up(world)


def events_of(outcome) -> list[dict]:
    return [json.loads(line) for line in outcome.out.splitlines() if line.startswith("{")]


def owned(world: World) -> tuple:
    """What the user owns: refs here and on the origin, worktrees, their files."""
    return (
        world.git("for-each-ref", "--format=%(refname) %(objectname)"),
        git("for-each-ref", "--format=%(refname) %(objectname)", cwd=world.origin),
        world.git("worktree", "list", "--porcelain"),
        snapshot(
            *(world.base / f"scylla-{n}" for n in "abc" if (world.base / f"scylla-{n}").exists())
        ),
    )


def test_two_entries_that_pass_alone_and_fail_together_name_the_culprit(world: World, cli) -> None:
    world.write_spec(spec_of("a", "b", "c"))
    opened(world, {"a": {"lines/a": "a\n"}, "b": {"lines/b": "b\n"}, "c": {"c.txt": "c\n"}})
    before = owned(world)

    outcome = cli("try", "--json", cwd=world.repo)

    assert outcome.code == 1, outcome.out + outcome.err
    events = events_of(outcome)
    [culprit] = [e for e in events if e["event"] == "culprit"]
    assert culprit["entry"] == "b" and culprit["details"]["entries"] == ["a", "b", "c"]
    assert Path(culprit["details"]["log"]).is_file()
    assert "lines/*" in Path(culprit["details"]["log"]).read_text()
    runs = [e for e in events if e["event"] == "tried"]
    assert {(tuple(e["details"]["entries"]), e["details"]["ok"]) for e in runs} >= {
        (("a", "b", "c"), False), (("a", "b"), False), (("a",), True),
    }  # fmt: skip
    assert owned(world) == before, "try changed something of the user's"
    assert not (world.repo / ".git" / "prgroups" / "try").exists() or not any(
        (world.repo / ".git" / "prgroups" / "try").iterdir()
    )
    assert "tried together: breaks with b at" in cli("status", cwd=world.repo).out

    again = cli("try", "--json", cwd=world.repo)
    assert again.code == 1
    assert [e for e in events_of(again) if e["event"] == "tried"] == []  # nothing ran
    assert [e["entry"] for e in events_of(again) if e["event"] == "culprit"] == ["b"]


def test_a_combination_that_passes_says_so_in_one_line_and_is_not_run_twice(
    world: World, cli
) -> None:
    world.write_spec(spec_of("a", "b", "c"))
    opened(world, {"a": {"lines/a": "a\n"}, "c": {"c.txt": "c\n"}})  # b has no commits

    outcome = cli("try", cwd=world.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert outcome.out.splitlines()[-1].startswith("together: a, c pass their checks together")
    assert status(world, cli)  # status reads it
    assert "tried together: ok at" in cli("status", cwd=world.repo).out
    again = cli("try", "--json", cwd=world.repo)
    assert again.code == 0
    assert [e["event"] for e in events_of(again)][:-1] == ["together"]


def test_a_prerequisite_that_has_not_merged_is_tried_with_its_dependent(world: World, cli) -> None:
    world.write_spec(spec_of("a", "b", "c>a"))
    opened(world, {"a": {"lines/a": "a\n"}})
    outcome = cli("try", "--json", "b", cwd=world.repo)
    assert outcome.code == 2 or outcome.code == 1  # b has no pushed branch
    assert "b has no pushed branch" in outcome.out + outcome.err


def test_nine_entries_one_breaking_take_at_most_log2_plus_one_check_runs(world: World, cli) -> None:
    names = [f"e{n}" for n in range(1, 10)]
    world.write_spec(spec_of(*names, checks='["sh", "-c", "test ! -e broken"]'))
    opened(world, {n: {f"{n}.txt": n, **({"broken": "x"} if n == "e6" else {})} for n in names})

    outcome = cli("try", "--json", "-j", "2", cwd=world.repo)

    assert outcome.code == 1, outcome.out + outcome.err
    events = events_of(outcome)
    assert [e["entry"] for e in events if e["event"] == "culprit"] == ["e6"]
    assert len([e for e in events if e["event"] == "tried"]) <= 5  # ⌈log2 9⌉ + 1


def test_a_textual_conflict_names_the_pair(world: World, cli) -> None:
    world.write_spec(spec_of("a", "b", checks='["true"]'))
    opened(world, {"a": {"same.txt": "a\n"}, "b": {"same.txt": "b\n"}})

    outcome = cli("try", cwd=world.repo)

    assert outcome.code == 1
    assert "conflict: b (files same.txt): does not merge with a on" in outcome.out


def test_names_and_a_wave_are_one_choice(world: World, cli) -> None:
    world.write_spec(spec_of("a", "b"))
    outcome = cli("try", "a", "--wave", "0", cwd=world.repo)
    assert outcome.code == 2 and "choose entry names, --wave N or --all-open" in outcome.err


def test_a_killed_try_leaves_nothing_the_next_command_trips_on(world: World, cli) -> None:
    """Killed while a check runs: the next up clears its checkouts, and works."""
    marker = world.base / "check-began"
    check = f'["sh", "-c", "touch {marker}; sleep 60"]'
    world.write_spec(spec_of("a", checks=check))
    opened(world, {"a": {"a.txt": "a\n"}})
    trying = subprocess.Popen(
        [sys.executable, "-m", "git_prgroups", "try"], cwd=world.repo,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(600):  # until the check has begun (the marker), or a minute
            if marker.exists() or trying.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the check never began"
        assert "prgroups/try/" in world.git("worktree", "list")
    finally:
        os.killpg(trying.pid, signal.SIGKILL)
        trying.wait()

    outcome = cli("up", cwd=world.repo)

    assert outcome.code in (0, 1), outcome.err
    assert "prgroups/try/" not in world.git("worktree", "list")
    assert not [p for p in (world.repo / ".git" / "prgroups" / "try").glob("*") if p.is_dir()]


@pytest.mark.parametrize("where", ["repo", "worktree", "subdirectory"])
def test_try_works_from_any_worktree_and_subdirectory(world: World, cli, where: str) -> None:
    world.write_spec(spec_of("a"))
    opened(world, {"a": {"lines/a": "a\n"}})
    inside = {"repo": world.repo, "worktree": world.base / "scylla-a",
              "subdirectory": world.base / "scylla-a" / "lines"}[where]  # fmt: skip
    outcome = cli("try", cwd=inside)
    assert outcome.code == 0, outcome.out + outcome.err


def test_a_try_stopped_after_the_whole_failed_searches_for_the_culprit_next_time(
    world: World, cli, monkeypatch
) -> None:
    """Ctrl-C once after the whole combination's run: the next try does not take that run
    for the verdict (it would blame the last entry), it searches."""
    from git_prgroups.commands import try_ as trying_command
    from git_prgroups.interrupt import STOP

    names = ["e1", "e2", "e3"]
    world.write_spec(spec_of(*names, checks='["sh", "-c", "test ! -e broken"]'))
    opened(world, {"e1": {"broken": "x"}, "e2": {"e2.txt": "2"}, "e3": {"e3.txt": "3"}})
    real = trying_command._tried_event

    def then_stop(*args, **kwargs):
        STOP.ask()
        return real(*args, **kwargs)

    monkeypatch.setattr(trying_command, "_tried_event", then_stop)
    stopped = cli("try", cwd=world.repo)
    monkeypatch.setattr(trying_command, "_tried_event", real)
    STOP.clear()
    assert stopped.code == 130, stopped.out + stopped.err

    outcome = cli("try", "--json", cwd=world.repo)

    assert outcome.code == 1
    assert [e["entry"] for e in events_of(outcome) if e["event"] == "culprit"] == ["e1"]
