"""README command one: the demo walks the seed epic's day to the end on the local forge."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE_SPEC, snapshot


def test_the_demo_runs_the_day_to_an_empty_worktree_list(installed_command, tmp_path) -> None:
    repository = EXAMPLE_SPEC.parent.parent
    before = snapshot(repository / "examples")
    env = {
        **{k: v for k, v in os.environ.items() if k != "COLUMNS"},  # as on a fresh shell
        "TMPDIR": str(tmp_path),
        "PATH": f"{installed_command.parent}:{os.environ['PATH']}",
    }

    done = subprocess.run(
        ["bash", str(repository / "examples" / "demo.sh")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    [sandbox] = tmp_path.glob("prgroups-demo.*")
    out = done.stdout
    assert "\x1b" not in out  # piped: no colour, no progress line
    assert out.count("landed: ") == 9
    assert "closed: #401: Fixed in #2 (P0), #8 (P1) and #3 (P2)." in out
    assert "closed: #405: Fixed in #5: changed header." in out
    assert "closed: #417: Closed with #6: verified, no fix needed." in out
    # it ends with the report: the seed's tables, from the local forge's records
    assert "| #401 P1 | #8 | Mojo references |" in out
    assert "- Issues closed: 18 of 18" in out and "- Rebases done by sync: 2" in out
    assert out.rstrip().splitlines()[-2:] == [
        "The sandbox stays for you to look at; delete it when done:",
        str(sandbox),
    ]
    # an 80-column terminal shows every line whole; paths are relative, bar the sandbox's
    assert [line for line in out.splitlines() if len(line) > 80 and line != str(sandbox)] == []
    assert out.count(str(sandbox)) == 2
    assert "git prgroups commit" in (repository / "examples" / "demo.sh").read_text()
    worktrees = subprocess.run(
        ["git", "worktree", "list", "--porcelain"], cwd=sandbox / "scylla",
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert worktrees.count("worktree ") == 1
    log = subprocess.run(
        ["git", "log", "--format=%s", "main"], cwd=sandbox / "origin.git",
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert len(log) == 11  # the start, the colleague's commit, nine PRs
    assert snapshot(repository / "examples") == before
    assert Path(sandbox / "scylla" / "prgroups.toml").read_text() == EXAMPLE_SPEC.read_text()


@pytest.mark.slow
def test_the_benchmark_runs_its_quick_round(tmp_path: Path) -> None:
    """benchmarks/run.py --quick (N = 9, one run of each) still runs and writes its
    report: CI does not time it, only keeps it working."""
    out = tmp_path / "performance.md"
    done = subprocess.run(
        [sys.executable, str(Path(__file__).parent.parent / "benchmarks" / "run.py"),
         "--quick", "--out", str(out), "--where", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = out.read_text()
    assert "| up making the worktrees | 500 | 9 |" in report
    assert "| status | 500 | 9 |" in report and "floor" in report
