"""Ctrl-C as the README promises, in `up` and `exec`: the first lets the step under way
(a check included) finish and stops; the second kills; either way the run ends with an
`interrupted` event and the exit code 130 (the JSON `exit` line last), names what it
never reached, and leaves no record saying "running"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from git_prgroups.interrupt import ASKED

from conftest import World, commit_in, status, up


def forge_records(world: World) -> dict:
    return json.loads((world.repo / ".git" / "prgroups" / "local-forge.json").read_text())


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def none_left_running() -> Iterator[None]:
    """What a test started is gone when it ends, whatever its end."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def started_in_a_terminal(world: World, command: Path, *args: str, until: Path):
    """`git prgroups ARGS --json` as a terminal starts it (a process group of its own),
    once `until` exists (the check or command under test has begun)."""
    running = subprocess.Popen(
        [str(command), args[0], "--json", *args[1:]], cwd=world.repo, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    STARTED.append(running)
    deadline = time.monotonic() + 60
    while not until.exists() and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert until.exists(), running.communicate()
    return running


def said_until(process: subprocess.Popen, kind: str) -> list[dict]:
    """The JSON events the process wrote, up to the first of `kind`."""
    found = []
    while line := process.stdout.readline():
        found.append(json.loads(line))
        if found[-1]["event"] == kind:
            break
    return found


def ended(process: subprocess.Popen, before: list[dict]) -> list[dict]:
    out, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err
    return before + [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def checked(world: World) -> Iterator[World]:
    """Entry a committed, its PR to be checked by a command that waits for `go-on`
    (made at the end whatever happened: a check outlives a killed run)."""
    started, go_on = world.base / "check-started", world.base / "go-on"
    check = ["sh", "-c", f"touch {started}; while [ ! -e {go_on} ]; do sleep 0.02; done"]
    world.write_spec(f'[defaults]\nchecks = [{json.dumps(check)}]\n[pr.a]\ntitle = "fix: a"\n')
    up(world)
    commit_in(world.base / "scylla-a", "a")
    try:
        yield world
    finally:
        go_on.touch()


@pytest.mark.parametrize("how", ["terminal", "process", "timeout"])
def test_one_ctrl_c_during_ups_check_lets_it_finish_then_ends_with_130(
    checked: World, installed_command: Path, how: str
) -> None:
    """A terminal signals the whole group; `kill -INT` the process alone; `timeout -s
    INT` the process and then its group at once: one press each time."""
    started, go_on = checked.base / "check-started", checked.base / "go-on"
    upping = started_in_a_terminal(checked, installed_command, "up", until=started)

    if how == "timeout":  # both signals reach it at once (stopped, as if not yet scheduled)
        os.kill(upping.pid, signal.SIGSTOP)
    if how in ("process", "timeout"):
        os.kill(upping.pid, signal.SIGINT)
    if how in ("terminal", "timeout"):
        os.killpg(upping.pid, signal.SIGINT)
    if how == "timeout":
        os.kill(upping.pid, signal.SIGCONT)
    before = said_until(upping, "stopping")
    assert before[-1]["message"] == ASKED
    go_on.touch()
    said = ended(upping, before)

    assert upping.returncode == 130, said
    assert [e["event"] for e in said[-2:]] == ["interrupted", "exit"]
    assert said[-1]["details"] == {"code": 130}
    assert [p["checks"] for p in forge_records(checked)["pulls"]] == ["pass"]  # it finished


def test_a_second_ctrl_c_kills_the_check_and_leaves_it_pending(
    checked: World, installed_command: Path, cli
) -> None:
    started = checked.base / "check-started"
    upping = started_in_a_terminal(checked, installed_command, "up", until=started)

    os.killpg(upping.pid, signal.SIGINT)
    before = said_until(upping, "stopping")
    os.killpg(upping.pid, signal.SIGINT)
    said = ended(upping, before)

    assert upping.returncode == 130, said
    assert [e["event"] for e in said[-2:]] == ["interrupted", "exit"]
    assert said[-1]["details"] == {"code": 130}
    assert [p["checks"] for p in forge_records(checked)["pulls"]] == ["pending"]
    assert status(checked, cli)["a"]["checks"] == "pending"
    (checked.base / "go-on").touch()
    again = cli("up", cwd=checked.repo)  # checked again, and landed
    assert again.code == 0, again.out + again.err
    assert "landed: a" in again.out


def test_a_check_a_kill_cut_short_reads_pending_and_runs_again(
    checked: World, installed_command: Path, cli
) -> None:
    started = checked.base / "check-started"
    upping = started_in_a_terminal(checked, installed_command, "up", until=started)

    os.killpg(upping.pid, signal.SIGKILL)
    upping.communicate(timeout=60)

    assert [p["checks"] for p in forge_records(checked)["pulls"]] == ["running"]  # as left
    assert status(checked, cli)["a"]["checks"] == "pending"  # no run holds the repository
    (checked.base / "go-on").touch()
    again = cli("up", cwd=checked.repo)
    assert again.code == 0, again.out + again.err
    assert "landed: a" in again.out


@pytest.fixture
def three(world: World, cli) -> Iterator[World]:
    world.write_spec("".join(f'[pr.{n}]\ntitle = "fix: {n}"\n' for n in "abc"))
    assert cli("up", cwd=world.repo).code == 0
    try:
        yield world
    finally:
        (world.base / "go-on").touch()


def test_exec_stopped_by_ctrl_c_names_what_never_ran_and_exits_130(
    three: World, installed_command: Path
) -> None:
    started, go_on = three.base / "a-started", three.base / "go-on"
    command = (
        f"touch {three.base}/$PRGROUPS_ENTRY-started; while [ ! -e {go_on} ]; do sleep 0.02; done"
    )
    running = started_in_a_terminal(
        three, installed_command, "exec", "-j", "1", "--", "sh", "-c", command, until=started
    )

    os.killpg(running.pid, signal.SIGINT)
    before = said_until(running, "stopping")
    go_on.touch()
    said = ended(running, before)

    assert running.returncode == 130, said
    assert [(e["event"], e["entry"]) for e in said if e["event"] in ("ran", "skipped")] == [
        ("ran", "a"), ("skipped", "b"), ("skipped", "c"),
    ]  # fmt: skip
    summary = next(e for e in said if e["event"] == "summary")
    assert summary["message"].splitlines()[-1] == "1 succeeded, 2 not run"
    assert summary["details"]["not_run"] == ["b", "c"]
    assert [e["event"] for e in said[-2:]] == ["interrupted", "exit"]
    assert said[-1]["details"] == {"code": 130}
    assert not (three.base / "b-started").exists()


def test_ctrl_c_while_prgroups_starts_ends_quietly_with_130(tmp_path: Path) -> None:
    """Before main: the installed command's first module answers Ctrl-C by exiting."""
    starting = subprocess.run(
        [sys.executable, "-c", "import os, signal, time\nimport git_prgroups.entry\n"
         "os.kill(os.getpid(), signal.SIGINT)\ntime.sleep(30)\nprint('not stopped')"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip

    assert (starting.returncode, starting.stdout, starting.stderr) == (130, "", "")


def test_ctrl_c_while_prgroups_loads_is_one_line_and_the_json_exit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In main, while the command line's modules load: no traceback."""
    from git_prgroups import entry

    class PressedWhileLoading:
        def find_spec(self, name, path=None, target=None):
            if name == "git_prgroups.cli":
                raise KeyboardInterrupt
            return

    monkeypatch.delitem(sys.modules, "git_prgroups.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [PressedWhileLoading(), *sys.meta_path])

    code = entry.main(["up", "--json"])

    out, err = capsys.readouterr()
    assert (code, err) == (130, "interrupted\n")
    assert json.loads(out.splitlines()[-1]) == {
        "event": "exit", "entry": None, "pr": None, "message": "", "needs_you": False,
        "details": {"code": 130},
    }  # fmt: skip


def test_a_second_sigint_counts_only_once_the_first_was_answered(monkeypatch) -> None:
    """The answer ("stopping after the current step") is told from a thread of its own;
    a SIGINT that comes before it is the same press (timeout -s INT sends two)."""
    from git_prgroups import interrupt
    from git_prgroups.events import Events
    from git_prgroups.proc import Runner

    answers: list[Callable[[], None]] = []

    class Deferred:
        def __init__(self, target, daemon=False) -> None:
            self.target = target

        def start(self) -> None:
            answers.append(self.target)

    class CountingHalts(Runner):
        halts = 0

        def halt(self) -> None:
            self.halts += 1

    monkeypatch.setattr(interrupt.threading, "Thread", Deferred)
    runner, events = CountingHalts(), Events()
    with pytest.raises(interrupt.Interrupted), interrupt.two_step_interrupts(events, runner):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)  # before the answer: the same press
        assert interrupt.STOP.asked and runner.halts == 0
        answers.pop()()  # "stopping after the current step" is told
        assert [e.kind for e in events] == ["stopping"]
        signal.raise_signal(signal.SIGINT)  # pressed again: everything running is killed
        assert runner.halts == 1
