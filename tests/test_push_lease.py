"""Pushing a history the user rewrote, and never overwriting someone else's push."""

from __future__ import annotations

from test_up_local import commit_in, up

from conftest import git, make_world

SPEC = '[defaults]\nchecks = [["false"]]\n\n[pr.fix]\ntitle = "fix: it"\nissues = [7]\n'


def published(tmp_path):
    """An entry with a pushed commit and an open PR (its checks fail, so it stays open)."""
    world = make_world(tmp_path)
    world.write_spec(SPEC)
    up(world)
    worktree = tmp_path / "scylla-fix"
    commit_in(worktree, "one")
    up(world)
    return world, worktree


def test_a_rewritten_history_is_pushed_with_a_lease(tmp_path):
    world, worktree = published(tmp_path)
    git("commit", "-q", "--amend", "-m", "fix: it, reworded", cwd=worktree)
    rewritten = git("rev-parse", "HEAD", cwd=worktree)

    runner, lines = up(world)

    pushes = [a for a in runner.mutating_calls if a[:2] == ("git", "push")]
    assert len(pushes) == 1
    assert any(a.startswith("--force-with-lease=refs/heads/7-fix:") for a in pushes[0])
    assert git("rev-parse", "refs/heads/7-fix", cwd=world.origin) == rewritten
    assert "pushed: fix: 7-fix (rewritten history, with lease)" in lines


def test_someone_elses_push_is_never_overwritten(tmp_path):
    world, worktree = published(tmp_path)
    other = tmp_path / "reviewer"
    git("clone", "-q", "-b", "7-fix", str(world.origin), str(other), cwd=tmp_path)
    commit_in(other, "reviewer-fixup")
    git("push", "-q", "origin", "7-fix", cwd=other)
    theirs = git("rev-parse", "HEAD", cwd=other)
    git("commit", "-q", "--amend", "-m", "fix: mine, rewritten", cwd=worktree)

    runner, lines = up(world)

    assert git("rev-parse", "refs/heads/7-fix", cwd=world.origin) == theirs
    assert not [a for a in runner.mutating_calls if a[:2] == ("git", "push")]
    refused = next(line for line in lines if line.startswith("refused: fix:"))
    assert "pushed by someone else" in refused
