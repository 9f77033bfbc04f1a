"""What a killed run leaves half-done is put right by the next run, exactly: each state
here is one the kill harness (test_kill_points.py) met, built step by step."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_sync import advance_base

from git_prgroups.git import Git
from git_prgroups.journal import Journal, UndoRecord
from git_prgroups.proc import Runner
from git_prgroups.store import Store

from conftest import World, commit_in, git, typed, up

LOCK_FOLDER = (".git", "prgroups")


def test_written_from_knows_a_commits_files_whole_or_cut_short(world: World) -> None:
    whole = "first line\nsecond line\n"
    written = {
        "whole": whole,
        "cut": "first li",
        "empty": "",
        "other": "first line\nsecond LINE\n",
        "longer": whole + "third\n",
    }
    paths = [f"{name}/kept.txt" for name in written]
    for path in paths:
        (world.repo / path).parent.mkdir()
        (world.repo / path).write_text(whole)
    world.git("add", *paths)
    world.git("commit", "-q", "-m", "kept")
    commit = world.git("rev-parse", "HEAD")
    world.git("rm", "-q", "--cached", *paths)
    world.git("commit", "-q", "-m", "untracked again")
    for path, text in zip(paths, written.values(), strict=True):
        (world.repo / path).write_text(text)

    found = Git(Runner(), world.repo).written_from(world.repo, commit, paths)

    assert sorted(found) == ["cut/kept.txt", "empty/kept.txt", "whole/kept.txt"]


def journal(world: World) -> Journal:
    return Journal(Store.of(world.repo / ".git").undo)


def undo(world: World, record: UndoRecord) -> None:
    """The undo record a killed run wrote before its risky step began."""
    journal(world).note(record)


def dead_holder(world: World) -> subprocess.Popen:
    """A run that holds the repository's lock, in a process group of its own, as the
    command line does; the caller kills it once its leftovers are in place."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time, pathlib\n"
         "from git_prgroups.locking import repository_lock\n"
         "with repository_lock(pathlib.Path(sys.argv[1]), 'sync', say=None):\n"
         "    print('held', flush=True); time.sleep(60)\n",
         str(world.repo.joinpath(*LOCK_FOLDER))],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_a_rebase_killed_while_writing_a_commits_file_is_undone(epic: World, cli) -> None:
    """Killed inside sync's rebase: HEAD detached on the new base, the first commit's
    file created but not yet written. `git rebase --abort` alone refuses (it would
    overwrite that untracked file); the next sync undoes it and rebases."""
    up(epic, "code-hygiene")
    worktree = epic.base / "scylla-code-hygiene"
    branch = git("branch", "--show-current", cwd=worktree)
    tip = commit_in(worktree, "code-hygiene")
    base = advance_base(epic)
    git("fetch", "-q", "origin", cwd=epic.repo)
    holder = dead_holder(epic)
    undo(epic, UndoRecord("rebase", worktree, branch, tip, base))  # sync's, before it begins
    subprocess.run(
        ["git", "rebase", "-q", "-i", "origin/main"], cwd=worktree, check=True,
        env={**os.environ, "GIT_SEQUENCE_EDITOR": "sed -i 1ibreak"},
    )  # fmt: skip  # stops right after checking out the base, as a kill there would
    (worktree / "code-hygiene.txt").write_text("")  # the pick's checkout, cut short
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert git("rev-parse", "HEAD", cwd=worktree) == base

    outcome = cli("sync", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert "the half-done rebase in" in outcome.err + outcome.out
    assert git("branch", "--show-current", cwd=worktree) == branch
    assert git("rev-parse", "HEAD~1", cwd=worktree) == base
    assert git("status", "--porcelain", cwd=worktree) == ""
    assert (worktree / "code-hygiene.txt").read_text() == "code-hygiene\n"
    assert git("rev-parse", "refs/prgroups/backup/code-hygiene", cwd=epic.repo) == tip


@pytest.mark.parametrize("left", ["registered, folder gone", "folder, not registered"])
def test_a_landing_worktree_half_removed_or_half_made_is_cleared(
    epic: World, cli, left: str
) -> None:
    """Killed inside `git worktree remove` (folder deleted, registration not yet) or
    inside `git worktree add` (folder made, registration gone with the half-made
    worktree): the next up lands as if nothing had happened."""
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
    landing = epic.repo.joinpath(*LOCK_FOLDER, "landing")
    holder = dead_holder(epic)
    undo(epic, UndoRecord("scratch-worktree", landing))
    epic.git("worktree", "add", "--detach", str(landing))
    if left == "registered, folder gone":
        shutil.rmtree(landing)
    else:
        shutil.rmtree(epic.repo / ".git" / "worktrees" / "landing")
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert "landed: code-hygiene" in outcome.out
    assert str(landing) not in epic.git("worktree", "list", "--porcelain")
    assert not landing.exists()


@pytest.mark.parametrize("changed", [False, True])
def test_a_worktree_half_removed_by_a_killed_prune_is_finished(
    epic: World, cli, changed: bool
) -> None:
    """Killed inside `git worktree remove`: some files deleted, the rest and the
    registration left, so git sees changes and prune would refuse it for ever. What is
    left is the merged commit's own files: the removal is finished. A file that differs
    from it (edited since) keeps the worktree where it is."""
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    commit_in(path, "code-hygiene")
    up(epic, "code-hygiene")  # landed
    holder = dead_holder(epic)
    undo(epic, UndoRecord("remove-worktree", path, tip=git("rev-parse", "HEAD", cwd=path)))
    (path / "README.md").unlink()  # git had begun deleting
    if changed:
        (path / "code-hygiene.txt").write_text("edited after the kill\n")
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    outcome = cli("prune", cwd=epic.repo)

    if changed:
        assert outcome.code == 1
        assert (
            f"{typed(path, epic.repo)} was being removed when the run was killed and holds changes"
            in (outcome.out + outcome.err)
        )
        assert (path / "code-hygiene.txt").read_text() == "edited after the kill\n"
    else:
        assert outcome.code == 0, outcome.out + outcome.err
        assert f"the half-removed worktree {typed(path, epic.repo)}" in outcome.out + outcome.err
        assert not path.exists()
        assert str(path) not in epic.git("worktree", "list", "--porcelain")
    assert journal(epic).pending() == []


@pytest.mark.parametrize(
    "lock", ["refs/heads/415-code-hygiene.lock", "config.lock", "objects/maintenance.lock"]
)
def test_a_git_lock_file_left_by_the_killed_run_is_removed(epic: World, cli, lock: str) -> None:
    """Each blocks the git commands (or git's automatic maintenance) that need it until
    a person deletes it; one made after the killed run began is its own."""
    holder = dead_holder(epic)
    left = epic.repo / ".git" / lock
    left.write_text("")
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert not left.exists()
    assert lock in outcome.out + outcome.err


def test_a_packed_refs_rewrite_killed_half_way_is_cleared(epic: World, cli) -> None:
    """Killed while git rewrote packed-refs (a branch deletion, with the refs packed as
    `git gc` packs them): `packed-refs.new` and its lock are left, and every later
    deletion failed with "unable to create file .git/packed-refs.new: File exists"."""
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
    up(epic, "code-hygiene")  # landed
    epic.git("pack-refs", "--all")
    holder = dead_holder(epic)
    for name in ("packed-refs.new", "packed-refs.lock"):
        (epic.repo / ".git" / name).write_text("# pack-refs with: peeled fully-peeled sorted \n")
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    outcome = cli("prune", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert "packed-refs.new" in outcome.out + outcome.err
    assert "415-code-hygiene" not in epic.git("branch", "--list")
    assert not (epic.repo / ".git" / "packed-refs.new").exists()


def test_a_rebase_killed_while_git_wrote_its_state_is_dropped(epic: World, cli) -> None:
    """Killed as the rebase began: its state folder made, `onto` not yet written (the
    harness met it under load). It is sync's own, by its undo record: dropped, and the
    branch rebased."""
    up(epic, "code-hygiene")
    worktree = epic.base / "scylla-code-hygiene"
    branch = git("branch", "--show-current", cwd=worktree)
    tip = commit_in(worktree, "code-hygiene")
    base = advance_base(epic)
    git("fetch", "-q", "origin", cwd=epic.repo)
    holder = dead_holder(epic)
    undo(epic, UndoRecord("rebase", worktree, branch, tip, base))
    state = Path(git("rev-parse", "--absolute-git-dir", cwd=worktree)) / "rebase-merge"
    state.mkdir()
    (state / "head-name").write_text(f"refs/heads/{branch}\n")
    (state / "onto").write_text("")  # cut short
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    outcome = cli("sync", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert not state.exists()
    assert git("rev-parse", "HEAD~1", cwd=worktree) == base
    assert git("status", "--porcelain", cwd=worktree) == ""
