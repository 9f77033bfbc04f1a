"""--dry-run on every command that changes things: the exact commands, from the same plan
that would run, and nothing changed on disk or on the remote."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_prune import land
from test_sync import advance_base

from conftest import GROUP_A, World, commit_in, git, snapshot, up


def disk(world: World) -> dict[str, str]:
    """Every file of the repository, its worktrees and the origin (a fetch's FETCH_HEAD
    aside: reading the remote is not a change)."""
    return {
        path: digest
        for path, digest in snapshot(world.base).items()
        if os.path.basename(path) != "FETCH_HEAD"
    }


def would(outcome) -> list[str]:
    return [line for line in outcome.out.splitlines() if line.startswith("would ")]


def test_up_dry_run_shows_the_worktree_push_and_pr_it_would_make(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
    before = disk(epic)

    outcome = cli("up", "--dry-run", "code-hygiene", "fix-model-configs", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert disk(epic) == before
    path = epic.base / "scylla-fix-model-configs"
    main = git("rev-parse", "origin/main", cwd=epic.repo)
    assert would(outcome) == [
        f"would run: printf '%s\\n' 'update refs/prgroups/made/400-fix-model-configs {main}' "
        f"'create refs/heads/400-fix-model-configs {main}' | git update-ref --stdin"
        f"  (in {epic.repo})",
        f"would run: git worktree add --quiet --no-checkout {path} 400-fix-model-configs"
        f"  (in {epic.repo})",
        f"would run: git reset --quiet --hard --no-recurse-submodules  (in {path})",
        "would run: git push --porcelain --set-upstream origin "
        f"refs/heads/415-code-hygiene:refs/heads/415-code-hygiene  (in {epic.repo})",
        "would record: a PR for 415-code-hygiene: fix: timezone-aware datetimes and a "
        "LogCapture context manager",
        "would record: the new PR of 415-code-hygiene: auto-merge (rebase)",
    ]
    assert "worktree: " not in outcome.out and "opened: " not in outcome.out  # not done


def test_sync_dry_run_shows_each_rebase_and_the_leased_push(epic: World, cli) -> None:
    up(epic, "code-hygiene", "fix-model-configs")
    for name in ("code-hygiene", "fix-model-configs"):
        commit_in(epic.base / f"scylla-{name}", name)
    epic.git("push", "-q", "origin", "415-code-hygiene")
    base = advance_base(epic)
    epic.git("fetch", "-q", "origin")
    before = disk(epic)

    outcome = cli("sync", "--dry-run", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert disk(epic) == before
    lines = would(outcome)
    hygiene = epic.base / "scylla-code-hygiene"
    assert f"would run: git rebase --quiet --no-autostash {base}  (in {hygiene})" in lines
    assert sum("git rebase" in line for line in lines) == 2
    lease = git("rev-parse", "origin/415-code-hygiene", cwd=epic.repo)
    assert lines[-1] == (
        f"would run: git push --porcelain --set-upstream --force-with-lease=refs/heads/"
        f"415-code-hygiene:{lease} origin refs/heads/415-code-hygiene:refs/heads/415-code-hygiene"
        f"  (in {epic.repo})"
    )


def test_prune_dry_run_shows_every_removal_and_closing(epic: World, cli) -> None:
    land(epic, "code-hygiene")
    before = disk(epic)

    outcome = cli("prune", "--dry-run", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert disk(epic) == before
    lines = would(outcome)
    path = epic.base / "scylla-code-hygiene"
    assert lines[:2] == [
        f"would run: git worktree remove {path}  (in {epic.repo})",
        f"would run: git branch --quiet -D 415-code-hygiene  (in {epic.repo})",
    ]
    assert "origin :refs/heads/415-code-hygiene" in lines[2]
    assert [line for line in lines if "issue" in line] == [
        "would record: issue #415 closed: Fixed in #1.",
        "would record: issue #416 closed: Fixed in #1.",
        "would record: issue #417 closed: Closed with #1: verified, no fix needed.",
    ]
    assert "pruned: " not in outcome.out


def test_watch_dry_run_shows_one_round_and_stops(epic: World, cli) -> None:
    up(epic)
    for name in GROUP_A[:2]:
        commit_in(epic.base / f"scylla-{name}", name)
    before = disk(epic)

    outcome = cli("watch", "--dry-run", "--prune", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert disk(epic) == before
    assert outcome.out.splitlines()[0] == "-- round 1"
    assert outcome.out.splitlines()[-1] == "-- a dry run shows one round only"
    assert any(line.startswith("would run: git push") for line in would(outcome))


@pytest.mark.parametrize("command", ["up", "sync", "prune", "watch"])
def test_a_dry_run_leaves_a_fresh_repository_as_it_was(epic: World, cli, command: str) -> None:
    before = disk(epic)
    outcome = cli(command, "--dry-run", cwd=epic.repo)
    assert outcome.code == 0, outcome.out + outcome.err
    assert disk(epic) == before
    assert not Path(epic.repo / ".git" / "prgroups" / "undo").exists()
