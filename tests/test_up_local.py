"""The seed epic's day on the local forge: up, commits, up (PRs land), the next groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from git_prgroups.specfile import load_spec

from conftest import (
    EXAMPLE_SPEC,
    GROUP_A,
    World,
    commit_in,
    git,
    status,
    up,
    verbs,
    worktree_paths,
)


def test_the_seed_epic_day_on_the_local_forge(epic, cli):
    world = epic
    base = world.base

    # 1. The first up makes exactly the seven group-A worktrees, from origin/main.
    _, lines = up(world)
    main_tip = world.git("rev-parse", "origin/main")
    assert worktree_paths(world) == {str(base / f"scylla-{n}") for n in GROUP_A}
    for name in GROUP_A:
        assert git("rev-parse", "HEAD", cwd=base / f"scylla-{name}") == main_tip
    assert "blocked: fix-language-defaults: waits for delete-mojo-guides to merge" in lines
    assert "blocked: consolidate-docs: waits for update-claude-md-tree to merge" in lines
    states = status(world, cli)
    assert {n: s["state"] for n, s in states.items()} == {
        **dict.fromkeys(GROUP_A, "ready"),
        "fix-language-defaults": "blocked",
        "consolidate-docs": "blocked",
    }
    assert states["fix-language-defaults"]["blocked_by"] == ["delete-mojo-guides"]
    assert states["code-hygiene"]["worktree_state"] == "clean"
    assert states["code-hygiene"]["pr"] is None

    # 2. A second up changes nothing.
    runner, _ = up(world)
    assert runner.mutating_calls == []

    # 3. Commits in each group-A worktree; up pushes them in one push, opens seven PRs
    #    with auto-merge, and (local forge) lands them; the dependents start after.
    heads = {name: commit_in(base / f"scylla-{name}", name) for name in GROUP_A}
    runner, lines = up(world)
    pushes = [
        argv
        for argv in runner.mutating_calls
        if argv[:2] == ("git", "push") and "--set-upstream" in argv
    ]
    assert len(pushes) == 1 and sum(a.startswith("refs/heads/") for a in pushes[0]) == 7
    for name, head in heads.items():
        branch = load_spec(world.repo / "prgroups.toml", world.repo).entry(name).branch
        assert git("rev-parse", f"refs/heads/{branch}", cwd=world.origin) == head
    landed_log = git("log", "--format=%s", "main", cwd=world.origin).splitlines()
    assert sorted(landed_log[:7]) == sorted(f"change {n}" for n in GROUP_A)
    states = status(world, cli)
    assert all(states[n]["state"] == "merged" and states[n]["auto_merge"] for n in GROUP_A)
    assert sorted(states[n]["pr"] for n in GROUP_A) == list(range(1, 8))
    # delete-mojo-guides merged: group B starts from a base that holds it, in the same run
    new_tip = git("rev-parse", "main", cwd=world.origin)
    for name in ("fix-language-defaults", "consolidate-docs"):
        path = base / f"scylla-{name}"
        assert git("rev-parse", "HEAD", cwd=path) == new_tip
        assert "change delete-mojo-guides" in git("log", "--format=%s", cwd=path)
        assert states[name]["state"] == "ready"
    assert (
        f"ready: fix-language-defaults: no commits yet in {base / 'scylla-fix-language-defaults'}"
        in lines
    )

    # 4. Up again: nothing to do, in a fixed number of reads whatever the spec's size.
    runner, _ = up(world)
    assert runner.mutating_calls == []
    assert sorted(verbs(runner)) == sorted(
        ["config", "worktree", "for-each-repo", "for-each-repo", "fetch", "for-each-ref",
         "merge-base", "log"]
    )  # fmt: skip

    # 5. The last two: commit, up, both land; status agrees; a final up is a no-op.
    for name in ("fix-language-defaults", "consolidate-docs"):
        commit_in(base / f"scylla-{name}", name)
    up(world)
    states = status(world, cli)
    assert all(s["state"] == "merged" for s in states.values())
    assert len(set(git("log", "--format=%s", "main", cwd=world.origin).splitlines())) == 9 + 2
    runner, _ = up(world)
    assert runner.mutating_calls == []


def test_pr_bodies_close_own_issues_and_are_part_of_shared_ones(epic):
    world = epic
    up(world, "delete-mojo-guides", "remove-python-justification")
    for name in ("delete-mojo-guides", "remove-python-justification"):
        commit_in(world.base / f"scylla-{name}", name)
    up(world, "delete-mojo-guides", "remove-python-justification")

    records = json.loads((world.repo / ".git" / "prgroups" / "local-forge.json").read_text())
    bodies = {p["head"]: p["body"] for p in records["pulls"]}
    assert "Part of #401" in bodies["401-delete-mojo-guides"]
    assert "Closes #408" in bodies["401-remove-python-justification"]
    assert "- change remove-python-justification" in bodies["401-remove-python-justification"]
    assert {p["auto_merge"] for p in records["pulls"]} == {"rebase"}
    assert {p["state"] for p in records["pulls"]} == {"merged"}


def test_failing_checks_keep_the_pr_open_and_show_the_output(epic, cli):
    world = epic
    spec_text = EXAMPLE_SPEC.read_text().replace(
        "epic = 403",
        'epic = 403\nchecks = [["sh", "-c", "echo checking; test ! -e broken.txt || (echo broken >&2; exit 3)"]]',
    )
    world.write_spec(spec_text)
    up(world, "code-hygiene", "fix-model-configs")
    commit_in(world.base / "scylla-code-hygiene", "broken")
    commit_in(world.base / "scylla-fix-model-configs", "fine")

    _, lines = up(world, "code-hygiene", "fix-model-configs")

    states = status(world, cli)
    assert states["code-hygiene"]["state"] == "failing"
    assert states["code-hygiene"]["checks"] == "fail"
    assert states["fix-model-configs"]["state"] == "merged"
    failing = next(line for line in lines if line.startswith("failing: code-hygiene"))
    assert "exit 3" in failing and "broken" in failing
    runner, _ = up(world, "code-hygiene", "fix-model-configs")
    assert runner.mutating_calls == []  # the same commit is not checked again


def test_no_commits_no_pr(epic, cli):
    up(epic, "code-hygiene")
    _, lines = up(epic, "code-hygiene")

    assert lines == [f"ready: code-hygiene: no commits yet in {epic.base / 'scylla-code-hygiene'}"]
    records = json.loads((epic.repo / ".git" / "prgroups" / "local-forge.json").read_text())
    assert records["pulls"] == []
    # the spec's issues, recorded the first time: open, with what the spec says of them
    assert records["issues"]["405"] == {"state": "open", "title": "Pre-commit header"}
    assert len(records["issues"]) == 18


def test_dry_run_prints_commands_and_changes_nothing(epic, cli):
    before = world_refs(epic)

    outcome = cli("up", "--dry-run", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    path = epic.base / "scylla-fix-model-configs"
    assert f"would run: git worktree add --quiet --no-checkout {path} 400-fix-model-configs" in (
        outcome.out
    )
    assert worktree_paths(epic) == set()
    assert world_refs(epic) == before


def world_refs(world: World) -> str:
    return world.git("for-each-ref") + git("for-each-ref", cwd=world.origin)


@pytest.mark.parametrize(
    ("method", "subjects"),
    [
        ("rebase", ["second", "first"]),
        ("squash", ["fix: timezone-aware datetimes and a LogCapture context manager (#1)"]),
        ("merge", ["Merge pull request #1 from 415-code-hygiene", "second", "first"]),
    ],
)
def test_each_merge_method_lands_as_it_says(epic, cli, method, subjects):
    epic.write_spec(EXAMPLE_SPEC.read_text().replace('merge = "rebase"', f'merge = "{method}"'))
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    for subject in ("first", "second"):
        (path / f"{subject}.txt").write_text(f"{subject}\n")
        git("add", ".", cwd=path)
        git("commit", "-q", "-m", subject, cwd=path)
    before = git("rev-parse", "main", cwd=epic.origin)

    up(epic, "code-hygiene")

    log = git("log", "--format=%s", f"{before}..main", cwd=epic.origin).splitlines()
    assert log == subjects
    assert git("show", "main:first.txt", cwd=epic.origin) == "first"
    assert status(epic, cli)["code-hygiene"]["state"] == "merged"


def test_a_conflicting_pr_is_marked_and_left_open(epic, cli):
    up(epic, "code-hygiene", "fix-model-configs")
    for name in ("code-hygiene", "fix-model-configs"):
        path = epic.base / f"scylla-{name}"
        (path / "README.md").write_text(f"# scylla, as {name} sees it\n")
        git("commit", "-q", "-am", f"readme from {name}", cwd=path)

    outcome = cli("up", "code-hygiene", "fix-model-configs", cwd=epic.repo)

    assert outcome.code == 1
    states = status(epic, cli)
    assert states["fix-model-configs"]["state"] == "merged"  # first in wave order
    assert states["code-hygiene"]["state"] == "conflict"
    assert outcome.out.count("conflict: code-hygiene: #") == 1  # not again in the next round
    assert (
        git("show", "main:README.md", cwd=epic.origin) == "# scylla, as fix-model-configs sees it"
    )
    landing = epic.repo / ".git" / "prgroups" / "landing"
    assert not landing.exists() or git("status", "--porcelain", cwd=landing) == ""
    runner, _ = up(epic, "code-hygiene", "fix-model-configs")
    assert runner.mutating_calls == [], runner.mutating_calls

    # The user rebases and resolves; up pushes the rewritten branch with a lease and lands it.
    path = epic.base / "scylla-code-hygiene"
    git("rebase", "-q", "-X", "theirs", "origin/main", cwd=path)
    outcome = cli("up", "code-hygiene", cwd=epic.repo)
    assert outcome.code == 0, outcome.out + outcome.err
    assert "pushed: code-hygiene: 415-code-hygiene (rewritten history, with lease)" in outcome.out
    assert status(epic, cli)["code-hygiene"]["state"] == "merged"
    assert git("show", "main:README.md", cwd=epic.origin) == "# scylla, as code-hygiene sees it"


def test_a_push_whose_run_died_is_recorded_and_its_branch_follows_the_remote(epic):
    """A push killed after the remote took the branch, before git wrote its upstream (or
    a branch pushed by hand without -u): the next up notes it, sets the upstream as its
    own push would have, and pushes nothing again."""
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    commit_in(path, "code-hygiene")
    git("push", "-q", "origin", "415-code-hygiene", cwd=path)

    runner, _ = up(epic, "code-hygiene")

    assert git("rev-parse", "--abbrev-ref", "@{upstream}", cwd=path) == "origin/415-code-hygiene"
    pushes = [argv for argv in runner.mutating_calls if argv[1] == "push"]
    assert not any("415-code-hygiene" in " ".join(argv) for argv in pushes), pushes
    assert git("rev-parse", "refs/prgroups/pushed/415-code-hygiene", cwd=epic.repo)


@pytest.mark.parametrize("commits", [1, 2])
def test_a_squash_landing_keeps_the_commits_messages_and_their_issue_footers(epic, cli, commits):
    epic.write_spec(EXAMPLE_SPEC.read_text().replace('merge = "rebase"', 'merge = "squash"'))
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    for n in range(commits):
        (path / f"change{n}.txt").write_text(f"{n}\n")
        git("add", ".", cwd=path)
        assert cli("commit", cwd=path).code == 0
    up(epic, "code-hygiene")

    message = git("log", "-1", "--format=%B", "main", cwd=epic.origin)
    subject, _, body = message.partition("\n\n")
    assert subject == "fix: timezone-aware datetimes and a LogCapture context manager (#1)"
    for issue in (415, 416, 417):
        assert body.count(f"Closes #{issue}") == commits, message


def test_checks_retry_lands_a_pr_whose_check_fails_once_and_not_one_that_always_fails(
    epic: World, tmp_path: Path
) -> None:
    seen = tmp_path / "seen"  # outside the clean checkout: it survives between tries
    flaky = f"[['sh', '-c', 'test -e {seen} || {{ touch {seen}; exit 1; }}']]"
    text = EXAMPLE_SPEC.read_text().replace("epic = 403", "epic = 403\nchecks_retry = 1")
    text = text.replace("issues = [415, 416, 417]", f"issues = [415, 416, 417]\nchecks = {flaky}")
    epic.write_spec(text + '\n[pr.always-red]\ntitle = "fix: red"\nchecks = ["false"]\n')
    up(epic, "code-hygiene", "always-red")
    for name in ("code-hygiene", "always-red"):
        commit_in(epic.base / f"scylla-{name}", name)

    _, lines = up(epic, "code-hygiene", "always-red")

    assert seen.exists()  # it did fail once
    assert any(line.startswith("landed: code-hygiene:") for line in lines), lines
    assert any(line.startswith("failing: always-red:") for line in lines), lines


def test_an_until_green_draft_lands_on_the_local_forge_whose_checks_come_first(
    epic: World,
) -> None:
    epic.write_spec(
        EXAMPLE_SPEC.read_text().replace("epic = 403", 'epic = 403\ndraft = "until-green"')
    )
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")

    _, lines = up(epic, "code-hygiene")

    assert any(line.startswith("landed: code-hygiene:") for line in lines), lines
