"""The installed command, run as a user runs it: `git prgroups` in a repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from git_prgroups import __version__
from git_prgroups.cli import Prgroups

from conftest import EXAMPLE_SPEC


def run(argv: list[str], cwd: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_git_prgroups_help_opens_the_installed_manual(world, installed_command):
    # git turns `git prgroups --help` into `man git-prgroups`; man finds the page
    # the wheel installs under share/man, next to the bin folder on PATH.
    result = run(["git", "prgroups", "--help"], world.repo, installed_command.parent)

    assert result.returncode == 0, result.stderr
    for command in ("plan", "render", "init"):
        assert command in result.stdout


def test_git_prgroups_dash_h_prints_the_builtin_help(world, installed_command):
    result = run(["git", "prgroups", "-h"], world.repo, installed_command.parent)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: git prgroups [OPTIONS] COMMAND")
    assert "\n  status   One table" in result.stdout
    assert ".;" not in result.stdout and "--completions" not in result.stdout
    assert max(map(len, result.stdout.splitlines())) <= 80


def test_the_manual_describes_every_command():
    manual = (Path(__file__).parent.parent / "man" / "git-prgroups.1").read_text()

    for command in Prgroups("git-prgroups")._subcommands:
        assert f".B {command}" in manual


def test_plan_from_the_installed_command_in_a_subdirectory(world, installed_command):
    world.write_spec(EXAMPLE_SPEC.read_text())
    sub = world.repo / "docs"
    sub.mkdir()

    result = run(["git", "prgroups", "plan", "--json"], sub, installed_command.parent)

    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [len(w) for w in plan["waves"]] == [7, 2]
    assert plan["entries"][0]["worktree"] == str(world.base / "scylla-fix-model-configs")


def test_python_dash_m_does_the_same(world, installed_command):
    result = run(
        [sys.executable, "-m", "git_prgroups", "--version"], world.repo, installed_command.parent
    )

    assert result.returncode == 0
    assert __version__ in result.stdout


def test_render_from_the_installed_command_uses_the_shipped_templates(world, installed_command):
    world.write_spec(EXAMPLE_SPEC.read_text())

    result = run(
        ["git", "prgroups", "render", "fix-language-defaults"], world.repo, installed_command.parent
    )

    assert result.returncode == 0, result.stderr
    assert "## Summary" in result.stdout and "Part of #401" in result.stdout


def test_a_spec_error_has_no_traceback_from_the_installed_command(world, installed_command):
    world.write_spec('[pr.a]\ntitel = "x"\n')

    result = run(["git", "prgroups", "plan"], world.repo, installed_command.parent)

    assert result.returncode == 2
    assert (
        result.stderr
        == 'error: prgroups.toml:2: pr.a: unknown key "titel"; did you mean "title"?\n'
    )


def test_a_current_folder_that_was_removed_is_named(world, installed_command):
    gone = world.base / "gone"
    gone.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", "import os, sys; sys.stdin.readline(); os.execv(*sys.argv[1:2], sys.argv[1:])",
         str(installed_command), "status"],
        cwd=gone, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    gone.rmdir()
    out, err = process.communicate("\n")

    assert process.returncode == 2
    assert out == ""
    assert err.startswith("error: the folder you are in was removed") and err[-1] == "\n"
    assert err.count("\n") == 1


SPY_ON_PROCESSES = """
import json, subprocess, sys
started = []
real_init = subprocess.Popen.__init__
def spy(self, args, *rest, **options):
    started.append([" ".join(args[1:4]), "plumbum" in sys.modules])
    real_init(self, args, *rest, **options)
subprocess.Popen.__init__ = spy
from git_prgroups.entry import main
code = main(["status"])
print(json.dumps(started), file=sys.stderr)
sys.exit(code)
"""


def test_status_starts_the_statuses_before_plumbum_and_the_spec_load(epic, installed_command):
    """The statuses are most of status's time: they run while the rest is imported."""
    from conftest import up

    up(epic, "code-hygiene", "fix-model-configs")

    result = run([sys.executable, "-c", SPY_ON_PROCESSES], epic.repo, installed_command.parent)

    assert result.returncode == 0, result.stderr
    started = json.loads(result.stderr.splitlines()[-1])
    assert started[:3] == [
        ["worktree list --porcelain", False],
        ["--no-optional-locks -c core.preloadIndex=false", False],
        ["--no-optional-locks -c core.preloadIndex=false", False],
    ]
    assert all(loaded for _, loaded in started[3:])  # the rest, once the command line is read
    assert sum("worktree list" in argv for argv, _ in started) == 1


def test_statuses_begun_for_a_command_line_that_asks_for_help_are_stopped(
    epic, installed_command, tmp_path
):
    """`status -h` or a wrong switch never reaches the runner: what the read-ahead
    began must not outlive the command."""
    from conftest import up

    up(epic, "code-hygiene", "fix-model-configs")
    bin_dir, pids = tmp_path / "bin", tmp_path / "pids"
    bin_dir.mkdir()
    git = bin_dir / "git"  # statuses that would take 30 s
    git.write_text(
        "#!/bin/sh\n"
        'case "$*" in *for-each-repo*) echo $$ >> "$PIDS"; exec sleep 30 ;; esac\n'
        f'exec {subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()} "$@"\n'
    )
    git.chmod(0o755)
    env = {**os.environ, "PIDS": str(pids),
           "PATH": f"{bin_dir}{os.pathsep}{installed_command.parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip

    for wrong in (["status", "-h"], ["status", "--no-such-switch"]):
        result = subprocess.run(["git-prgroups", *wrong], cwd=epic.repo, env=env,
                                capture_output=True, text=True, timeout=20)  # fmt: skip
        assert "Traceback" not in result.stderr
        started = [int(pid) for pid in pids.read_text().split()]
        assert len(started) == 2
        assert not [pid for pid in started if _running(pid)], wrong
        pids.unlink()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has ended


def test_status_without_git_on_path_says_so(epic, installed_command):
    env = {**os.environ, "PATH": str(installed_command.parent)}  # python, prgroups; no git

    result = subprocess.run([str(installed_command), "status"], cwd=epic.repo, env=env,
                            capture_output=True, text=True)  # fmt: skip

    assert result.returncode != 0
    assert result.stderr.strip() == "error: `git` was not found on PATH"
