"""One changing run at a time: a second waits a bounded time; a dead holder blocks nobody."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from git_prgroups.locking import repository_lock

from conftest import GROUP_A, World, commit_in, up, worktree_paths

LOCKS = (".git", "prgroups")


def test_a_held_lock_makes_up_wait_then_name_its_holder(epic: World, cli, monkeypatch) -> None:
    monkeypatch.setenv("PRGROUPS_LOCK_WAIT", "0.3")
    with repository_lock(epic.repo.joinpath(*LOCKS), "sync", say=None):
        outcome = cli("up", cwd=epic.repo)

    assert outcome.code == 1
    assert "another git prgroups run holds .git/prgroups/lock" in outcome.err
    assert f"pid {os.getpid()}, `git prgroups sync`" in outcome.err
    assert worktree_paths(epic) == set()


def test_a_lock_left_by_a_killed_run_is_taken_over(epic: World, cli) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, pathlib\n"
         "from git_prgroups.locking import repository_lock\n"
         "with repository_lock(pathlib.Path(sys.argv[1]), 'up', say=None):\n"
         "    print('held', flush=True); time.sleep(60)\n",
         str(epic.repo.joinpath(*LOCKS))],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline() == "held\n"
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert worktree_paths(epic) == {str(epic.base / "scylla-code-hygiene")}


def test_two_ups_at_once_end_like_one(epic: World, installed_command) -> None:
    up(epic)
    for name in GROUP_A:
        commit_in(epic.base / f"scylla-{name}", name)

    runs = [
        subprocess.Popen([str(installed_command), "up"], cwd=epic.repo, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    results = [(*run.communicate(timeout=120), run.returncode) for run in runs]

    assert [code for _, _, code in results] == [0, 0], results
    records = json.loads(epic.repo.joinpath(*LOCKS, "local-forge.json").read_text())
    assert len(records["pulls"]) == 9 - 2  # seven group-A PRs, no duplicates
    assert {p["state"] for p in records["pulls"]} == {"merged"}
    assert len(worktree_paths(epic)) == 9
    assert sum("opened: " in out for out, _, _ in results) == 1  # one did it all


def test_an_interrupted_holder_is_known_to_the_next_run(tmp_path: Path) -> None:
    """Ctrl-C reaches the git commands too: the record stays, so the next run clears up
    after them. A run that ends, or fails with a message, leaves none."""
    from git_prgroups.errors import PrgroupsError

    with repository_lock(tmp_path, "up", say=None) as killed:
        assert killed is None
    with pytest.raises(PrgroupsError), repository_lock(tmp_path, "up", say=None):
        raise PrgroupsError("said")
    with pytest.raises(KeyboardInterrupt), repository_lock(tmp_path, "sync", say=None):
        raise KeyboardInterrupt
    with repository_lock(tmp_path, "up", say=None) as killed:
        assert killed is not None and killed.what == "sync" and killed.pid == os.getpid()
