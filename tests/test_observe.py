"""The batched reads of reality: worktree statuses in two git processes, refs in one call."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from git_prgroups.git import Git
from git_prgroups.observe import WorktreeStatuses, start_statuses
from git_prgroups.proc import CommandFailed, Runner

from conftest import World, commit_in, status, up


def add_worktrees(world: World, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        path = world.base / f"wt-{i}"
        world.git("worktree", "add", "-q", "-b", f"b-{i}", str(path))
        paths.append(path)
    return paths


def test_dirty_worktrees_tells_each_apart_in_one_call(world: World) -> None:
    paths = add_worktrees(world, 5)
    (paths[1] / "untracked.txt").write_text("new\n")
    (paths[3] / "README.md").write_text("changed\n")
    (world.repo / ".git" / "info").mkdir(exist_ok=True)
    (world.repo / ".git" / "info" / "exclude").write_text("*.log\n")
    (paths[4] / "ignored.log").write_text("ignored files do not count\n")
    runner = Runner()

    dirty = Git(runner, world.repo).dirty_worktrees(paths)

    assert dirty == {
        paths[0]: False,
        paths[1]: True,
        paths[2]: False,
        paths[3]: True,
        paths[4]: False,
    }
    assert len(runner.calls) == 1


def test_a_failing_worktree_is_reported_as_itself(world: World) -> None:
    paths = add_worktrees(world, 3)
    (paths[1] / ".git").write_text("gitdir: /nowhere\n")

    with pytest.raises(CommandFailed) as failure:
        Git(Runner(), world.repo).dirty_worktrees(paths)

    assert str(paths[1]) in str(failure.value)


def test_statuses_started_early_cover_later_worktrees_too(world: World) -> None:
    first = add_worktrees(world, 3)
    runner = Runner()
    statuses = start_statuses(Git(runner, world.repo))
    later = world.base / "later"
    world.git("worktree", "add", "-q", "-b", "later", str(later))
    (later / "new.txt").write_text("x\n")

    dirty = statuses.collect([*first[:2], later, world.base / "gone"])

    assert dirty == {first[0]: False, first[1]: False, later: True, world.base / "gone": False}
    git_processes = [argv for argv, _ in runner.calls if "for-each-repo" in argv]
    assert len(git_processes) == 3  # two halves at the start, one for the late worktree


def test_status_shows_clean_dirty_and_missing_worktrees(epic: World, cli) -> None:
    up(epic, "code-hygiene", "fix-model-configs", "delete-mojo-guides")
    (epic.base / "scylla-code-hygiene" / "notes.txt").write_text("wip\n")
    (epic.base / "scylla-delete-mojo-guides" / "prgroups.toml").unlink()
    shutil.rmtree(epic.base / "scylla-fix-model-configs")

    states = status(epic, cli)

    assert states["code-hygiene"]["worktree_state"] == "dirty"
    assert states["delete-mojo-guides"]["worktree_state"] == "dirty"
    assert states["fix-model-configs"]["worktree_state"] == "missing"
    assert states["remove-python-justification"]["worktree_state"] == "none"


def test_empty_statuses_make_no_call(world: World) -> None:
    runner = Runner()
    assert WorktreeStatuses(Git(runner, world.repo)).collect([]) == {}
    assert runner.calls == []


def test_status_is_the_same_from_a_linked_worktree_and_its_subdirectory(epic: World, cli) -> None:
    """`for-each-repo` started inside a linked worktree hands its git directory to the
    status it runs in every other worktree: they all looked dirty from there."""
    up(epic, "code-hygiene", "fix-model-configs", "delete-mojo-guides")
    (epic.base / "scylla-code-hygiene" / "notes.txt").write_text("wip\n")
    commit_in(epic.base / "scylla-delete-mojo-guides", "delete-mojo-guides")
    inside = epic.base / "scylla-fix-model-configs"
    (inside / "sub").mkdir()

    def dirty_from(cwd: Path) -> dict[str, str]:
        outcome = cli("status", "--json", cwd=cwd)
        assert outcome.code == 0, outcome.err
        return {e["name"]: e["worktree_state"] for e in json.loads(outcome.out)["entries"]}

    expected = dirty_from(epic.repo)
    assert expected["code-hygiene"] == "dirty"
    assert expected["fix-model-configs"] == expected["delete-mojo-guides"] == "clean"
    assert dirty_from(inside) == expected
    assert dirty_from(inside / "sub") == expected
    assert dirty_from(epic.base / "scylla-code-hygiene") == expected


def test_statuses_are_right_when_the_main_worktree_has_a_git_file(tmp_path: Path) -> None:
    """A main worktree whose .git is a file (`clone --separate-git-dir`, submodules)."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    repo, gitdir = tmp_path / "repo", tmp_path / "repo.git"
    subprocess.run(
        ["git", "clone", "-q", "--separate-git-dir", str(gitdir), str(origin), str(repo)],
        check=True, capture_output=True,
    )  # fmt: skip
    (repo / "README.md").write_text("x\n")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "x"], cwd=repo, check=True)
    one, two = tmp_path / "one", tmp_path / "two"
    for path in (one, two):
        subprocess.run(
            ["git", "worktree", "add", "-q", "-b", path.name, str(path)], cwd=repo, check=True
        )
    (one / "committed.txt").write_text("x\n")
    subprocess.run(["git", "add", "."], cwd=one, check=True)
    subprocess.run(["git", "commit", "-qm", "one"], cwd=one, check=True)
    (two / "new.txt").write_text("x\n")

    for cwd in (repo, one, two):
        statuses = start_statuses(Git(Runner(), cwd))
        assert statuses.collect([one, two]) == {one: False, two: True}, cwd


def test_status_shows_no_commits_ahead_for_a_merged_entry(epic: World, cli) -> None:
    """A rebase landing puts the entry's commits on the base as other commits: counted
    by ancestry the branch still looks one ahead, which read as work not yet merged."""
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
    up(epic, "code-hygiene")

    row = next(line for line in cli("status", cwd=epic.repo).out.splitlines()
               if line.startswith("code-hygiene"))  # fmt: skip

    assert row.split()[3:5] == ["clean", "#1"] and row.endswith("merged")


# ---- the read-ahead: status's reads begun before the rest of prgroups is imported ------------


def test_status_begins_the_statuses_before_the_spec_and_asks_each_once(epic: World, cli) -> None:
    up(epic, "code-hygiene", "fix-model-configs", "delete-mojo-guides")
    (epic.base / "scylla-code-hygiene" / "notes.txt").write_text("wip\n")

    outcome = cli("--verbose", "status", "--json", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    echoed = [line for line in outcome.err.splitlines() if line.startswith("$ ")]
    assert "worktree list" in echoed[0]  # first, before the spec was read
    assert all("for-each-repo" in line for line in echoed[1:3])
    assert sum("worktree list" in line for line in echoed) == 1
    assert sum("for-each-repo" in line for line in echoed) == 2
    states = {e["name"]: e["worktree_state"] for e in json.loads(outcome.out)["entries"]}
    assert states["code-hygiene"] == "dirty"
    assert states["fix-model-configs"] == states["delete-mojo-guides"] == "clean"


def test_a_worktree_the_early_statuses_cannot_read_is_reported_as_itself(epic: World, cli) -> None:
    up(epic, "code-hygiene", "fix-model-configs", "delete-mojo-guides")
    broken = epic.base / "scylla-fix-model-configs"
    (broken / ".git").write_text("gitdir: /nowhere\n")

    outcome = cli("status", cwd=epic.repo)

    assert outcome.code != 0
    assert "Traceback" not in outcome.err
    assert "scylla-fix-model-configs" in outcome.err


def test_status_outside_a_repository_says_so_without_a_read_ahead(tmp_path: Path, cli) -> None:
    outcome = cli("status", cwd=tmp_path)

    assert outcome.code == 2
    assert "Traceback" not in outcome.err and outcome.err.startswith("error: ")


def test_a_read_begun_early_is_stopped_by_the_second_ctrl_c(tmp_path: Path) -> None:
    from git_prgroups.proc import Halted
    from git_prgroups.readahead import Begun

    begun = Begun.start(("sleep", "30"), str(tmp_path))
    assert begun is not None
    runner = Runner()
    result = runner.adopt(begun.argv, tmp_path, begun.process, begun.output)

    runner.halt()

    assert begun.process.poll() is not None  # killed, not left to finish
    with pytest.raises(Halted):
        result()
    assert runner.calls == [(("sleep", "30"), False)]


def test_halt_stops_a_read_begun_early_where_children_have_sessions_of_their_own(
    tmp_path: Path,
) -> None:
    """Such a runner kills each of its own commands with its process group: one begun
    before it existed leads no group, and is killed by itself."""
    from git_prgroups.readahead import Begun

    begun = Begun.start(("sleep", "30"), str(tmp_path))
    assert begun is not None
    runner = Runner(shield_children=True)
    runner.adopt(begun.argv, tmp_path, begun.process, begun.output)

    runner.halt()

    assert begun.process.poll() is not None
