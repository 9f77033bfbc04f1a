"""`git prgroups watch`: rounds of sync and up (and prune) until nothing is left to wait for."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

from git_prgroups.commands.watch import run_watch
from git_prgroups.forges.choose import choose_forge
from git_prgroups.git import Git
from git_prgroups.proc import Runner
from git_prgroups.specfile import load_spec

from conftest import GROUP_A, World, commit_in, telling, up, worktree_paths


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


def test_ctrl_c_stops_between_steps(epic: World) -> None:
    spec_text = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec_text.replace("epic = 403", 'epic = 403\nchecks = ["sleep 2"]'))
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "x")  # watch opens it, and checks it 2 s
    before = signal.getsignal(signal.SIGINT)
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()

    outcome, lines = watch(epic, interval=30, max_interval=30, max_rounds=None)

    assert outcome.interrupted and not outcome.all_merged
    assert lines[-1] == "stopped by Ctrl-C between steps"
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_in_the_terminal_lets_the_running_check_finish(
    epic: World, installed_command
) -> None:
    started = epic.base / "check-started"
    check = json.dumps(["sh", "-c", f"touch {started}; sleep 1.5"])
    spec_text = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec_text.replace("epic = 403", f"epic = 403\nchecks = [{check}]"))
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "x")
    watch = subprocess.Popen(
        [str(installed_command), "watch", "--interval", "30"], cwd=epic.repo,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # until up is running the check
    os.killpg(watch.pid, signal.SIGINT)  # what the terminal sends to the whole group
    out, err = watch.communicate(timeout=60)

    assert watch.returncode == 130, out + err
    assert "stopped by Ctrl-C between steps" in out
    records = json.loads((epic.repo / ".git" / "prgroups" / "local-forge.json").read_text())
    assert [p["checks"] for p in records["pulls"]] == ["pass"]
