"""What only a terminal gets (a pseudo-terminal here): the live progress line, never
shown when piped, and the question before the spec's commands first run."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from git_prgroups.progress_line import ERASE

from conftest import World

SLEEPY = ("exec", "-j", "1", "--", "sh", "-c", "sleep 0.05")


def in_a_terminal(
    argv: list[str], cwd: Path, answer: tuple[str, str] | None = None
) -> tuple[int, str]:
    """Run `argv` with a pseudo-terminal as its stdin, stdout and stderr; its exit code
    and everything it wrote there. `answer`: once the first text is shown, type the
    second."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: never returns to pytest
        try:
            os.chdir(cwd)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if answer and answer[0].encode() in output:
            os.write(fd, answer[1].encode())
            answer = None
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode()


def three(world: World, cli) -> World:
    world.write_spec("".join(f'[pr.{n}]\ntitle = "fix: {n}"\n' for n in ("a", "b", "c")))
    assert cli("up", cwd=world.repo).code == 0
    return world


def test_exec_shows_a_live_line_on_a_terminal(world: World, cli, installed_command) -> None:
    three(world, cli)

    code, shown = in_a_terminal([str(installed_command), *SLEEPY], world.repo)

    assert code == 0, shown
    assert ERASE + "sh -c 'sleep 0.05' 0/3 · " in shown
    assert ERASE + "sh -c 'sleep 0.05' 0/3 · a · " in shown  # what runs now
    assert ERASE + "sh -c 'sleep 0.05' 3/3 · " in shown
    assert "all 3 succeeded" in shown
    assert shown.rstrip().endswith("all 3 succeeded")  # the line is gone at the end


def test_piped_output_has_no_progress_line_and_no_escapes(
    world: World, cli, installed_command
) -> None:
    three(world, cli)

    result = subprocess.run(
        [str(installed_command), *SLEEPY], cwd=world.repo, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b" not in result.stdout and "\r" not in result.stdout
    assert result.stdout.endswith("all 3 succeeded\n")


def test_json_on_a_terminal_has_no_progress_line(world: World, cli, installed_command) -> None:
    three(world, cli)

    code, shown = in_a_terminal([str(installed_command), "exec", "--json", *SLEEPY[1:]], world.repo)

    assert code == 0, shown
    assert "\x1b" not in shown and "\r\n" in shown and ERASE not in shown


def test_status_never_loads_the_progress_line(world: World, cli) -> None:
    three(world, cli)
    probe = (
        "import sys\n"
        "from git_prgroups.entry import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('progress_line' in ' '.join(sys.modules), file=sys.stderr)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe, "status"], cwd=world.repo, capture_output=True, text=True
    )

    assert result.stderr == "False\n"


def test_up_shows_the_worktrees_it_makes_and_the_checks_it_runs(
    world: World, installed_command
) -> None:
    world.write_spec(
        '[defaults]\nchecks = ["true"]\n'
        + "".join(f'[pr.{n}]\ntitle = "fix: {n}"\n' for n in ("a", "b", "c"))
    )

    code, shown = in_a_terminal([str(installed_command), "up"], world.repo)

    assert code == 0, shown
    assert ERASE + "making worktrees 0/3 · " in shown
    assert ERASE + "making worktrees 3/3 · " in shown
    for name in ("a", "b", "c"):
        (world.base / f"scylla-{name}" / f"{name}.txt").write_text(name)
        subprocess.run(["git", "add", "."], cwd=world.base / f"scylla-{name}", check=True)
        subprocess.run(["git", "commit", "-qm", name], cwd=world.base / f"scylla-{name}",
                       check=True)  # fmt: skip

    code, shown = in_a_terminal([str(installed_command), "up"], world.repo)

    assert code == 0, shown
    assert ERASE + "writing to the forge 0/3 · " in shown
    assert ERASE + "checks 3/3 · " in shown
    assert shown.count("landed: ") == 3


def test_up_asks_before_a_clones_commands_first_run(world: World, installed_command) -> None:
    world.write_spec(
        '[defaults]\nsetup = [["sh", "-c", "echo set > set.txt"]]\n[pr.a]\ntitle = "fix: a"\n',
        trusted=False,
    )

    code, shown = in_a_terminal(
        [str(installed_command), "up"], world.repo, ("now and in later runs? [y/N] ", "y\n")
    )

    assert code == 0, shown
    assert "prgroups.toml asks to run these commands here, with your rights:" in shown
    assert "  sh -c 'echo set > set.txt'" in shown
    assert (world.base / "scylla-a" / "set.txt").read_text() == "set\n"


def test_a_no_leaves_the_commands_unrun(world: World, installed_command) -> None:
    world.write_spec(
        '[defaults]\nsetup = [["sh", "-c", "echo set > set.txt"]]\n[pr.a]\ntitle = "fix: a"\n',
        trusted=False,
    )

    code, shown = in_a_terminal(
        [str(installed_command), "up"], world.repo, ("now and in later runs? [y/N] ", "\n")
    )

    assert code == 1, shown
    assert "git prgroups trust allows them" in shown
    assert not (world.base / "scylla-a" / "set.txt").exists()
