"""A new worktree made ready to work in: `.worktreeinclude` files copied, `setup` run,
and a clone of someone else's repository running none of its commands unasked."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import World, commit_in, status, up

COUNTING_SETUP = '[["sh", "-c", "echo ran >> setup-runs.txt; echo installing; echo done"]]'


def events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def spec_with(world: World, defaults: str = "", *, trusted: bool = True) -> None:
    world.write_spec(
        f'[defaults]\n{defaults}\n[pr.a]\ntitle = "fix: a"\n[pr.b]\ntitle = "fix: b"\n',
        trusted=trusted,
    )


def test_a_new_worktree_gets_the_included_files_and_its_setup_runs_once(world: World, cli):
    (world.repo / ".gitignore").write_text(".env\nsecret.key\nconfig/local/\n")
    (world.repo / ".worktreeinclude").write_text(".env\nconfig/local/\nREADME.md\n")
    world.git("add", ".gitignore", ".worktreeinclude")
    world.git("commit", "-q", "-m", "ignore local files")
    world.git("push", "-q", "origin", "main")
    (world.repo / ".env").write_text("TOKEN=local\n")
    (world.repo / "secret.key").write_text("not named, not copied\n")
    (world.repo / "config" / "local").mkdir(parents=True)
    (world.repo / "config" / "local" / "db.yml").write_text("db: dev\n")
    (world.repo / "README.md").write_text("a tracked file, changed: never copied\n")
    spec_with(world, f"setup = {COUNTING_SETUP}")

    outcome = cli("up", "--json", cwd=world.repo)

    assert outcome.code == 0, outcome.err
    for name in ("a", "b"):
        made = world.base / f"scylla-{name}"
        assert (made / ".env").read_text() == "TOKEN=local\n"
        assert (made / "config" / "local" / "db.yml").read_text() == "db: dev\n"
        assert not (made / "secret.key").exists()
        assert (made / "README.md").read_text() == "# scylla\n"
        assert (made / "setup-runs.txt").read_text() == "ran\n"
    told = [e for e in events(outcome.out) if e["event"] == "set-up"]
    assert [(e["entry"], e["message"][:19]) for e in told] == [
        ("a", "copied 2 ignored fi"), ("a", "1 setup command in "),
        ("b", "copied 2 ignored fi"), ("b", "1 setup command in "),
    ]  # fmt: skip
    assert sorted(told[0]["details"]["copied"]) == [".env", "config/local/db.yml"]
    log = Path(told[1]["details"]["log"])
    assert log == world.repo / ".git" / "prgroups" / "logs" / "setup-a.log"
    assert log.read_text() == (
        "$ sh -c 'echo ran >> setup-runs.txt; echo installing; echo done'\ninstalling\ndone\n"
    )

    (world.base / "scylla-a" / ".env").write_text("TOKEN=mine\n")
    runner, _ = up(world)
    assert runner.mutating_calls == []
    assert (world.base / "scylla-a" / "setup-runs.txt").read_text() == "ran\n"
    assert (world.base / "scylla-a" / ".env").read_text() == "TOKEN=mine\n"


def test_a_failed_setup_is_told_with_its_output_and_the_next_up_runs_it_again(world: World, cli):
    spec_with(world, 'setup = [["sh", "-c", "echo ran >> runs; test -e ok || '
              '(echo need ok >&2; exit 4)"]]')  # fmt: skip
    worktree = world.base / "scylla-a"

    outcome = cli("up", "--json", cwd=world.repo)

    assert outcome.code == 1
    failed = [e for e in events(outcome.out) if e["event"] == "failed"]
    assert [e["entry"] for e in failed] == ["a", "b"]
    assert failed[0]["needs_you"] is True
    assert failed[0]["details"]["tail"] == ["need ok"]
    assert "failed (exit 4)" in failed[0]["message"]
    assert failed[0]["message"].endswith("fix it, then git prgroups up\nneed ok")
    assert worktree.is_dir()  # kept: the user fixes what setup needs in it
    assert "its setup failed" in status(world, cli)["a"]["next"]

    again = cli("up", "a", cwd=world.repo)  # not fixed yet: it runs, and fails again
    assert again.code == 1
    assert "failed: a: setup `sh -c" in again.out
    assert (worktree / "runs").read_text() == "ran\nran\n"

    (worktree / "ok").write_text("")
    outcome = cli("up", "a", cwd=world.repo)

    assert outcome.code == 0, outcome.out
    assert "set-up: a: 1 setup command in" in outcome.out
    assert (worktree / "runs").read_text() == "ran\nran\nran\n"
    states = status(world, cli)
    assert states["a"]["next"].startswith("work in ")
    assert "its setup failed" in states["b"]["next"]  # not named: left for its own turn


def test_a_clone_runs_the_specs_commands_only_once_they_are_allowed(world: World, cli):
    spec_with(world, f"setup = {COUNTING_SETUP}", trusted=False)
    trusted_file = world.repo / ".git" / "prgroups" / "trusted"

    outcome = cli("up", cwd=world.repo)

    assert outcome.code == 1
    assert "refused: not run: the spec's setup commands were never allowed here" in outcome.out
    assert "git prgroups trust allows them" in outcome.out
    assert outcome.out.count("echo ran >> setup-runs.txt") == 1  # each command said once
    assert not (world.base / "scylla-a" / "setup-runs.txt").exists()
    assert status(world, cli)["a"]["next"].startswith("git prgroups trust, then")

    listed = cli("trust", "--list", cwd=world.repo)
    assert listed.out.startswith("not allowed: sh -c 'echo ran >> setup-runs.txt;")
    assert not trusted_file.exists()

    assert cli("trust", cwd=world.repo).out.startswith("allowed now: sh -c")
    assert cli("trust", "--list", cwd=world.repo).out.startswith("allowed: sh -c")
    assert cli("up", cwd=world.repo).code == 0  # trusted: the setups due run by themselves
    assert (world.base / "scylla-a" / "setup-runs.txt").read_text() == "ran\n"
    assert (world.base / "scylla-b" / "setup-runs.txt").read_text() == "ran\n"

    # A changed command is asked about again.
    spec_with(world, 'setup = [["sh", "-c", "echo changed > changed.txt"]]', trusted=False)
    world.write_spec(
        world.repo.joinpath("prgroups.toml").read_text() + '[pr.c]\ntitle = "fix: c"\n',
        trusted=False,
    )
    assert cli("up", "c", cwd=world.repo).code == 1
    assert not (world.base / "scylla-c" / "changed.txt").exists()
    assert cli("up", "--trust", "c", cwd=world.repo).code == 0
    assert (world.base / "scylla-c" / "changed.txt").read_text() == "changed\n"


def test_local_checks_never_allowed_land_nothing(world: World, cli):
    spec_with(world, 'checks = [["sh", "-c", "echo checked > /dev/null"]]', trusted=False)
    assert cli("up", "--trust", "a", cwd=world.repo).code == 0  # worktree only: no checks yet
    world.write_spec(world.repo.joinpath("prgroups.toml").read_text(), trusted=False)
    (world.repo / ".git" / "prgroups" / "trusted").unlink()
    commit_in(world.base / "scylla-a", "a")

    outcome = cli("up", "a", cwd=world.repo)

    assert outcome.code == 1
    assert "the spec's checks commands were never allowed here" in outcome.out
    assert status(world, cli)["a"]["state"] == "open"

    outcome = cli("up", "--trust", "a", cwd=world.repo)

    assert outcome.code == 0, outcome.out
    assert status(world, cli)["a"]["state"] == "merged"


def test_a_dry_run_shows_the_setup_it_would_run(world: World, cli):
    spec_with(world, f"setup = {COUNTING_SETUP}")

    outcome = cli("up", "--dry-run", "a", cwd=world.repo)

    assert outcome.code == 0, outcome.err
    assert "would run: sh -c 'echo ran >> setup-runs.txt; echo installing; echo done'" in (
        outcome.out
    )
    assert not (world.base / "scylla-a").exists()


def test_prune_takes_the_setup_records_with_the_worktree(world: World, cli):
    spec_with(world, 'setup = [["sh", "-c", "exit 3"]]')
    cli("up", "a", cwd=world.repo)
    store = world.repo / ".git" / "prgroups"
    assert (store / "setup-failed" / "a").is_file() and (store / "logs" / "setup-a.log").is_file()
    commit_in(world.base / "scylla-a", "a")
    assert cli("up", "a", cwd=world.repo).code == 1  # lands; the setup is still told

    outcome = cli("prune", cwd=world.repo)

    assert outcome.code == 0, outcome.out
    assert not (world.base / "scylla-a").exists()
    assert not (store / "setup-failed" / "a").exists()
    assert not (store / "logs" / "setup-a.log").exists()


def test_ctrl_c_during_a_setup_lets_it_finish_and_the_next_up_does_the_rest(world: World, cli):
    """Entry a's setup presses Ctrl-C itself (it signals prgroups, its parent); the
    others' setups end only after it has, so those begun meanwhile are under way."""
    pressed = world.base / "pressed"
    world.write_spec(
        '[defaults]\nsetup = [["sh", "-c", "echo ready > ready.txt"]]\n'
        '[pr.a]\ntitle = "fix: a"\n'
        f'setup = [["sh", "-c", "kill -INT $PPID; sleep 0.2; echo a > a.txt; touch {pressed}"]]\n'
        + "".join(
            f'[pr.{n}]\ntitle = "fix: {n}"\n'
            f'setup = [["sh", "-c", "while [ ! -e {pressed} ]; do sleep 0.01; done"]]\n'
            for n in "bcdef"
        )
    )

    outcome = cli("up", "--json", cwd=world.repo)

    assert outcome.code == 130, outcome.out
    said = events(outcome.out)
    assert "stopping" in [e["event"] for e in said]
    assert said[-2]["event"] == "interrupted" and said[-1]["details"] == {"code": 130}
    assert (world.base / "scylla-a" / "a.txt").read_text() == "a\n"  # it ran to its end
    not_set_up = {n for n in "bcdef" if not (world.base / f"scylla-{n}" / "ready.txt").exists()}
    assert not_set_up, "every setup ran: the Ctrl-C stopped nothing"
    skipped = {e["entry"] for e in said if e["event"] == "skipped"}
    assert skipped == not_set_up, outcome.out
    assert all(e["details"] == {"reason": "interrupted"} for e in said if e["event"] == "skipped")
    assert cli("up", cwd=world.repo).code == 0  # the setups due run by themselves
    for name in "abcdef":
        assert (world.base / f"scylla-{name}" / "ready.txt").read_text() == "ready\n"
    assert cli("up", cwd=world.repo).code == 0
