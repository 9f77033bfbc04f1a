"""`git prgroups watch`: rounds of sync and up (and prune) until nothing is left to wait for."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from git_prgroups.commands.watch import STOPPED, run_watch
from git_prgroups.forges.choose import choose_forge
from git_prgroups.git import Git
from git_prgroups.interrupt import ASKED
from git_prgroups.proc import Runner
from git_prgroups.specfile import load_spec

from conftest import GROUP_A, World, commit_in, git, telling, up, worktree_paths


def watch(world: World, **options) -> tuple[object, list[str]]:
    spec = load_spec(world.repo / "prgroups.toml", world.repo)
    git = Git(Runner(), world.repo)
    lines: list[str] = []
    outcome = run_watch(spec, git, choose_forge(spec, git), telling(lines), **options)
    return outcome, lines


def test_watch_runs_the_day_until_only_the_users_work_is_left(epic: World, cli) -> None:
    up(epic)
    for name in GROUP_A:
        commit_in(epic.base / f"scylla-{name}", name)

    outcome = cli("watch", "--prune", cwd=epic.repo)

    assert outcome.code == 1, outcome.out + outcome.err
    assert outcome.out.count("landed: ") == 7 and outcome.out.count("pruned: ") == 7
    assert "stopped: what is left needs you:" in outcome.out
    assert "  fix-language-defaults: ready, no commits yet" in outcome.out
    assert "waiting" not in outcome.out  # nothing to wait for: it did not sleep
    for name in ("fix-language-defaults", "consolidate-docs"):
        commit_in(epic.base / f"scylla-{name}", name)

    outcome = cli("watch", "--prune", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert "done: every entry has merged" in outcome.out
    assert worktree_paths(epic) == set()


def forge_records(world: World) -> dict:
    return json.loads((world.repo / ".git" / "prgroups" / "local-forge.json").read_text())


def test_the_first_ctrl_c_is_told_at_once_and_the_check_under_way_finishes(
    epic: World,
) -> None:
    """The check itself presses Ctrl-C (it signals prgroups, its parent), so the press
    lands inside the step whatever the timing."""
    check = json.dumps(["sh", "-c", "kill -INT $PPID; sleep 0.3; echo checked"])
    spec_text = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec_text.replace("epic = 403", f"epic = 403\nchecks = [{check}]"))
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "x")  # watch opens it, and checks it
    before = signal.getsignal(signal.SIGINT)

    outcome, lines = watch(epic, interval=30, max_interval=30, max_rounds=None)

    assert outcome.interrupted and not outcome.all_merged
    assert ASKED in lines
    assert lines[-1] == STOPPED
    assert [(p["checks"], p["state"]) for p in forge_records(epic)["pulls"]] == [
        ("pass", "open")  # its check ran to the end; it lands on the next run
    ]
    assert signal.getsignal(signal.SIGINT) is before


def watch_in_a_terminal(world: World, command, started: Path) -> subprocess.Popen:
    """`git prgroups watch` as a terminal runs it, once its check has started."""
    watching = subprocess.Popen(
        [str(command), "watch", "--interval", "30"], cwd=world.repo,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # until up is running the check
    return watching


def test_ctrl_c_in_the_terminal_lets_the_running_check_finish(
    epic: World, installed_command
) -> None:
    started, go_on = epic.base / "check-started", epic.base / "go-on"
    check = ["sh", "-c", f"touch {started}; while [ ! -e {go_on} ]; do sleep 0.05; done"]
    spec_text = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec_text.replace("epic = 403", f"epic = 403\nchecks = [{json.dumps(check)}]"))
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "x")
    watching = watch_in_a_terminal(epic, installed_command, started)

    os.killpg(watching.pid, signal.SIGINT)  # what the terminal sends to the whole group
    assert ASKED in lines_until(watching, ASKED)  # told while the check still runs
    go_on.touch()
    out, err = watching.communicate(timeout=60)

    assert watching.returncode == 130, out + err
    assert out.endswith(STOPPED + "\n")
    assert [p["checks"] for p in forge_records(epic)["pulls"]] == ["pass"]


def test_a_second_ctrl_c_stops_the_check_and_the_next_run_checks_again(
    epic: World, installed_command, cli
) -> None:
    started = epic.base / "check-started"
    check = ["sh", "-c", f"touch {started}; exec sleep 120"]
    spec_text = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec_text.replace("epic = 403", f"epic = 403\nchecks = [{json.dumps(check)}]"))
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "x")
    watching = watch_in_a_terminal(epic, installed_command, started)

    os.killpg(watching.pid, signal.SIGINT)
    assert ASKED in lines_until(watching, ASKED)
    os.killpg(watching.pid, signal.SIGINT)
    out, err = watching.communicate(timeout=60)

    assert watching.returncode == 130, out + err
    assert not checks_running_in(epic.repo / ".git" / "prgroups" / "checks"), out + err
    assert [p["checks"] for p in forge_records(epic)["pulls"]] == ["pending"]  # run again
    epic.write_spec(spec_text.replace("epic = 403", 'epic = 403\nchecks = ["true"]'))
    outcome = cli("up", "code-hygiene", cwd=epic.repo)
    assert outcome.code == 0, outcome.out + outcome.err
    assert "landed: code-hygiene" in outcome.out
    assert list((epic.repo / ".git" / "prgroups" / "undo").glob("*.json")) == []


def lines_until(process: subprocess.Popen, wanted: str) -> list[str]:
    """What the process printed, up to the line `wanted` (or its end)."""
    lines = []
    while (line := process.stdout.readline()) and line.rstrip("\n") != wanted:
        lines.append(line.rstrip("\n"))
    return [*lines, line.rstrip("\n")]


def checks_running_in(slots: Path) -> list[str]:
    """The processes whose current folder is one of the check slots."""
    found = []
    for cwd in Path("/proc").glob("[0-9]*/cwd"):
        with contextlib.suppress(OSError):
            if cwd.resolve().is_relative_to(slots.resolve()):
                found.append(cwd.parent.name)
    return found


def test_a_round_of_watch_fetches_once_though_sync_rebases_and_up_lands(epic: World) -> None:
    """One fetch a round: sync and up plan from the round's read, sync's pushes move their
    own remote-tracking refs, and a landing's push moves the base's."""
    from test_sync import advance_base

    up(epic)
    for name in GROUP_A:
        commit_in(epic.base / f"scylla-{name}", name)
        git("push", "-q", "origin", "HEAD", cwd=epic.base / f"scylla-{name}")
    base = advance_base(epic)  # every entry's branch is behind: sync rebases and pushes
    spec = load_spec(epic.repo / "prgroups.toml", epic.repo)
    runner = Runner()
    git_ = Git(runner, epic.repo)
    lines: list[str] = []

    outcome = run_watch(spec, git_, choose_forge(spec, git_), telling(lines), interval=0.01)

    fetches = [argv for argv, _ in runner.calls if argv[1:2] == ("fetch",)]
    assert sum(line.startswith("synced: ") for line in lines) == len(GROUP_A), lines
    assert sum(line.startswith("landed: ") for line in lines) == len(GROUP_A), lines
    assert outcome.rounds == 1 and len(fetches) == 1, (outcome, fetches)
    assert base in git("log", "--format=%H", "origin/main", cwd=epic.repo)
