"""The spec is the main worktree's, from any subdirectory or worktree."""

from __future__ import annotations

import json

from conftest import EXAMPLE_SPEC, snapshot


def test_a_linked_worktree_reads_the_main_worktrees_spec_not_its_own_copy(world, cli):
    world.write_spec(EXAMPLE_SPEC.read_text())
    world.git("add", "prgroups.toml")
    world.git("commit", "-q", "-m", "spec")
    linked = world.base / "linked"
    world.git("worktree", "add", "-q", "-b", "topic", str(linked))
    (linked / "prgroups.toml").write_text('[pr.stale]\ntitle = "stale copy"\n')
    (linked / "sub").mkdir()

    outcome = cli("plan", "--json", cwd=linked / "sub")

    assert outcome.code == 0, outcome.err
    plan = json.loads(outcome.out)
    assert plan["spec"] == str(world.repo / "prgroups.toml")
    assert len(plan["entries"]) == 9
    assert plan["entries"][0]["worktree"] == str(world.base / "scylla-fix-model-configs")


def test_explicit_spec_overrides_and_paths_stay_relative_to_the_main_worktree(world, cli):
    outcome = cli("plan", "--json", "--spec", str(EXAMPLE_SPEC), cwd=world.repo)

    plan = json.loads(outcome.out)
    assert plan["entries"][0]["worktree"] == str(world.base / "scylla-fix-model-configs")


def test_switches_work_after_the_subcommand_and_before_it(world, cli):
    before = cli("--spec", str(EXAMPLE_SPEC), "plan", "--json", cwd=world.repo)
    after = cli("plan", "--json", "--spec", str(EXAMPLE_SPEC), cwd=world.repo)

    assert before.code == after.code == 0
    assert before.out == after.out


def test_verbose_echoes_every_git_command(world, cli):
    outcome = cli("--verbose", "plan", "--spec", str(EXAMPLE_SPEC), cwd=world.repo)

    assert outcome.code == 0
    assert "$ (cd " in outcome.err and "git worktree list --porcelain -z" in outcome.err


def test_init_writes_a_valid_starter_spec_once(world, cli):
    first = cli("init", cwd=world.repo / ".")
    plan = cli("plan", "--json", cwd=world.repo)
    second_before = snapshot(world.base)
    second = cli("init", cwd=world.repo)

    assert first.code == 0 and (world.repo / "prgroups.toml").is_file()
    assert plan.code == 0
    assert [g["entries"] for g in json.loads(plan.out)["groups"]] == [["first-fix"], ["follow-up"]]
    assert second.code == 2 and "already exists" in second.err
    assert snapshot(world.base) == second_before


def test_unknown_command_and_unknown_switch_are_one_line_usage_errors(world, cli):
    command = cli("plna", cwd=world.repo)
    switch = cli("plan", "--jsn", cwd=world.repo)
    choice = cli("plan", "--format", "svg", cwd=world.repo)

    for outcome in (command, switch, choice):
        assert outcome.code == 2
        assert outcome.err.count("\n") == 1, outcome.err
        assert outcome.out == ""
    assert "no command 'plna'; did you mean \"plan\"?" in command.err
    assert "--jsn" in switch.err
    assert "svg" in choice.err
