"""Every command does the same from the main worktree, from an entry's worktree and from
a subdirectory of either: the same output, the same exit code, the same world after."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from killing import archive, restore
from test_kill_points import fingerprint
from test_sync import advance_base

from conftest import World, commit_in, up

OTHER = "remove-python-justification"  # started, no commits: it stays, and is a place


def places(world: World) -> dict[str, Path]:
    entry = world.base / f"scylla-{OTHER}"
    for top in (world.repo, entry):
        (top / "deep" / "er").mkdir(parents=True, exist_ok=True)
    return {
        "main worktree": world.repo,
        "its subdirectory": world.repo / "deep" / "er",
        "an entry's worktree": entry,
        "its subdirectory too": entry / "deep" / "er",
    }


@pytest.fixture
def day(epic: World, tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    """code-hygiene landed (prune has work), fix-model-configs and delete-mojo-guides
    committed (up has work), the base moved on (sync has work); archived."""
    up(epic, "code-hygiene", OTHER, "fix-model-configs", "delete-mojo-guides")
    commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
    up(epic, "code-hygiene")
    for name in ("fix-model-configs", "delete-mojo-guides"):
        commit_in(epic.base / f"scylla-{name}", name)
    advance_base(epic)
    epic.git("fetch", "-q", "origin")
    places(epic)  # the subdirectories exist before the world is archived
    return epic, archive(epic.base, tmp_path_factory.mktemp("archive") / "day.tar")


@pytest.mark.parametrize(
    "argv",
    [
        ("plan",), ("plan", "--format", "names"), ("status",), ("status", "--json"),
        ("render", "code-hygiene"), ("aliases", "bash"), ("show", "code-hygiene"),
        ("trust", "--list"), ("exec", "--dry-run", "--", "git", "status", "--short"),
        ("report",),
    ],
    ids=" ".join,
)  # fmt: skip
def test_a_read_is_the_same_from_everywhere(day, cli, argv: tuple[str, ...]) -> None:
    world, _ = day
    spec = world.repo / "prgroups.toml"
    seen = {}
    for where, path in places(world).items():
        outcome = cli(*argv, cwd=path)
        # the spec's path is shown as typed from where one is: the same file
        said = whole(outcome.out, path).replace(str(spec), "prgroups.toml")
        seen[where] = (outcome.code, said, outcome.err)
    first = seen["main worktree"]
    assert first[0] == 0, first[2]
    for where, outcome in seen.items():
        assert outcome == first, where


def whole(text: str, cwd: Path) -> str:
    """Text output with the paths shown relative to `cwd` made whole again, to compare
    what was said in different places."""
    text = text.replace("../../../", f"{cwd.parents[2]}/")
    text = re.sub(r"(?<![\w./])\.\./\.\./", f"{cwd.parents[1]}/", text)
    text = re.sub(r"(?<![\w./])\.\./", f"{cwd.parent}/", text)
    return re.sub(r"(?<![\w./-])\.(?=$|[\s:,;)])", str(cwd), text, flags=re.MULTILINE)


@pytest.mark.parametrize(
    "argv",
    [("up",), ("sync",), ("prune",), ("watch", "--prune"), ("up", "--dry-run"),
     ("sync", "--json")],
    ids=" ".join,
)  # fmt: skip
def test_a_change_is_the_same_from_everywhere(day, cli, argv: tuple[str, ...]) -> None:
    world, archived = day
    seen = {}
    for where, path in places(world).items():
        restore(world.base, archived)
        outcome = cli(*argv, cwd=path)
        said = whole(outcome.out, path)
        seen[where] = (outcome.code, said, whole(outcome.err, path), fingerprint(world))
    first = seen["main worktree"]
    assert first[1], "the command did something to compare"
    for where, found in seen.items():
        told = difflib.unified_diff(first[1].splitlines(), found[1].splitlines(), lineterm="")
        assert found == first, f"{where}:\n" + "\n".join(told)


def test_commit_is_the_same_from_an_entrys_worktree_and_its_subdirectory(day, cli) -> None:
    world, archived = day
    entry = world.base / f"scylla-{OTHER}"
    messages = []
    for path in (entry, entry / "deep" / "er"):
        restore(world.base, archived)
        (entry / "change.txt").write_text("x\n")
        outcome = cli("commit", "-a", "--", "--allow-empty", cwd=path)
        assert outcome.code == 0, outcome.err
        messages.append((outcome.out, world.git("log", "-1", "--format=%B", cwd=entry)))
    assert messages[0] == messages[1]
