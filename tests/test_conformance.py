"""One suite for every forge (issue 22): the same scenarios, through the command line,
against the local forge and GitHub through each gh against the fake. A forge declares
what it can do (`Forge.capabilities`); a scenario that needs what a forge lacks (a
merge queue, say) is not run on it. The next forge plugs in with a harness of its own.

What each scenario asserts is read through the `Forge` interface itself where it can
be (a PR's state, an issue's comments), so that it means the same on every forge."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from fakes.github import FakeGitHub, gh_binaries
from test_up_github import FAKE_REPO, serve, use_gh

from git_prgroups.execute import forge_steps
from git_prgroups.forges.base import Capability, Forge
from git_prgroups.forges.choose import choose_forge
from git_prgroups.forges.github import GitHubForge
from git_prgroups.forges.local import LocalForge
from git_prgroups.git import Git
from git_prgroups.model import BranchName
from git_prgroups.proc import Runner
from git_prgroups.specfile import load_spec

from conftest import EXAMPLE_SPEC, World, commit_in, git, up

ENTRY = "code-hygiene"  # issues 415 and 416 closed by its PR, 417 with a note
BRANCH = BranchName("415-code-hygiene")
FAILING_LOG = ["collecting", "E   AssertionError: naive datetime", "1 failed, 30 passed"]


class Harness(Protocol):
    """A forge under test, in a world whose spec points at it."""

    name: str

    def spec(self, extra: str = "") -> None:
        """The example spec, pointed at the forge, `extra` added to [defaults]."""

    def checks_fail_from_now(self) -> None:
        """The checks of every head from now on fail: names, and a log ending so."""

    def on_its_own(self) -> None:
        """What the forge does between runs by itself (GitHub: merge the armed, green
        PRs; the local forge lands in up, so nothing)."""

    def writes(self) -> object:
        """Everything the forge keeps that a write changes: equal before and after a run
        that wrote nothing."""

    def fail_next_write(self, write: str) -> None:
        """The next `write` ("open", "arm") fails on the forge's side, not carried out."""

    def rerun_count(self) -> int:
        """How often the entry's failing checks were run again."""

    def eject_from_queue(self) -> None:
        """The forge's merge queue drops the entry's PR, its checks failed there."""


@dataclass
class LocalHarness:
    world: World
    monkeypatch: pytest.MonkeyPatch
    name: str = "local"
    _checks: str = ""

    def spec(self, extra: str = "") -> None:
        defaults = extra + self._checks
        self.world.write_spec(
            EXAMPLE_SPEC.read_text().replace("[defaults]\n", f"[defaults]\n{defaults}")
        )

    def checks_fail_from_now(self) -> None:
        runs = self.world.base / "check-runs"  # outside the clean checkout: kept between runs
        script = f"echo run >> {runs}; " + "; ".join(f"echo '{line}'" for line in FAILING_LOG)
        self._checks = f'checks = [["sh", "-c", "{script}; exit 3"]]\n'
        text = (self.world.repo / "prgroups.toml").read_text()
        self.world.write_spec(text.replace("[defaults]\n", f"[defaults]\n{self._checks}", 1))

    def on_its_own(self) -> None:
        pass

    def writes(self) -> object:
        records = self.world.repo / ".git" / "prgroups" / "local-forge.json"
        return records.read_text() if records.exists() else None

    def fail_next_write(self, write: str) -> None:
        method = {"open": "create", "arm": "arm_auto_merge"}[write]
        real = getattr(LocalForge, method)
        calls = iter(range(1_000))

        def failing_once(forge: LocalForge, *args: Any, **kwargs: Any) -> Any:
            if next(calls) == 0:
                from git_prgroups.forges.base import ForgeError

                raise ForgeError(f"the forge refused to {write}")
            return real(forge, *args, **kwargs)

        self.monkeypatch.setattr(LocalForge, method, failing_once)

    def rerun_count(self) -> int:
        runs = self.world.base / "check-runs"
        return len(runs.read_text().splitlines()) - 1 if runs.exists() else 0

    def eject_from_queue(self) -> None:
        raise AssertionError("the local forge has no queue")


@dataclass
class GitHubHarness:
    world: World
    fake: FakeGitHub
    name: str

    def spec(self, extra: str = "") -> None:
        self.world.write_spec(
            EXAMPLE_SPEC.read_text().replace("[defaults]\n", f"[defaults]\n{FAKE_REPO}{extra}")
        )

    def checks_fail_from_now(self) -> None:
        self.fake.new_pr_checks = "FAILURE"
        for pr in self.fake.prs.values():
            pr.checks = "FAILURE"
        self._log()

    def _log(self) -> None:
        for pr in self.fake.prs.values():
            pr.check_name = "test (3.12)"
            pr.check_log = "".join(f"2026-12-01T10:00:0{n}.1234567Z {line}\n"
                                   for n, line in enumerate(FAILING_LOG))  # fmt: skip

    def on_its_own(self) -> None:
        for pr in self.fake.prs.values():  # CI finishes what runs, as every run of it has
            if pr.checks == "PENDING":
                pr.checks = self.fake.new_pr_checks
        self._log()
        self.fake.land_auto_merges()

    def writes(self) -> object:
        return list(self.fake.mutations)

    def fail_next_write(self, write: str) -> None:
        operation = {"open": "PrgroupsOpen", "arm": "PrgroupsArm"}[write]
        self.fake.lose_answer_next(operation, 422, done=False)

    def rerun_count(self) -> int:
        return sum(pr.reruns for pr in self.fake.prs.values())

    def eject_from_queue(self) -> None:
        [number] = [n for n, pr in self.fake.prs.items() if pr.state == "OPEN"]
        self.fake.eject(number, "FAILED_CHECKS")


GH = gh_binaries()
FORGES: dict[str, type[Forge]] = {"local": LocalForge} | {f"github-{gh}": GitHubForge for gh in GH}


def forges_with(capability: Capability) -> list[str]:
    """The forges a scenario runs on: those that declare what it needs (the others are
    not asked, rather than skipped: nothing is wrong with the machine)."""
    return [name for name, forge in FORGES.items() if capability in forge.capabilities]


@pytest.fixture(params=list(FORGES))
def harness(
    request: pytest.FixtureRequest, epic: World, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    if request.param == "local":
        yield LocalHarness(epic, monkeypatch)
        return
    gh = next(g for g in GH if f"github-{g}" == request.param)
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    merge_queue = request.node.get_closest_marker("merge_queue") is not None
    with serve(epic, monkeypatch, merge_queue=merge_queue) as fake:
        for number in (415, 416, 417):
            fake.add_issue(number)
        yield GitHubHarness(epic, fake, request.param)


def forge_of(world: World) -> Forge:
    spec = load_spec(world.repo / "prgroups.toml", world.repo)
    return choose_forge(spec, Git(Runner(), world.repo))


def started(world: World) -> None:
    """The entry's worktree, with one commit."""
    up(world, ENTRY)
    commit_in(world.base / f"scylla-{ENTRY}", ENTRY)


def entry_status(world: World, cli: Callable[..., Any]) -> dict[str, Any]:
    said = json.loads(cli("status", "--json", cwd=world.repo).out)
    return next(e for e in said["entries"] if e["name"] == ENTRY)


# ---- the scenarios --------------------------------------------------------------------------


def test_a_pr_is_opened_armed_and_landed_through_auto_merge(
    harness: Harness, epic: World, cli
) -> None:
    harness.spec()
    started(epic)

    opened = cli("up", ENTRY, cwd=epic.repo)
    harness.on_its_own()
    cli("up", ENTRY, cwd=epic.repo)

    assert opened.code == 0, opened.out + opened.err
    pr = forge_of(epic).read([BRANCH])[BRANCH]
    assert pr.state == "merged"
    tip = git("rev-parse", f"{BRANCH}", cwd=epic.repo)
    assert git("log", "--format=%s", "-1", tip, cwd=epic.repo) in git(
        "log", "--format=%s", "origin/main", cwd=epic.repo
    )
    assert entry_status(epic, cli)["state"] == "merged"


def test_a_failing_check_is_named_with_the_tail_of_its_log(
    harness: Harness, epic: World, cli
) -> None:
    harness.spec()
    harness.checks_fail_from_now()
    started(epic)

    cli("up", ENTRY, cwd=epic.repo)
    harness.on_its_own()
    again = cli("up", ENTRY, cwd=epic.repo)

    entry = entry_status(epic, cli)
    assert entry["state"] == "failing", entry
    assert again.code == 1, again.out + again.err  # the README's promise: it needs you
    tail = entry["checks_output"].splitlines()
    assert [line.strip() for line in tail[-2:]] == FAILING_LOG[-2:], tail
    assert forge_of(epic).read([BRANCH])[BRANCH].state == "open"


def test_failing_checks_are_run_again_once_per_head(harness: Harness, epic: World, cli) -> None:
    harness.spec("checks_retry = 1\n")
    harness.checks_fail_from_now()
    started(epic)

    for _ in range(3):
        cli("up", ENTRY, cwd=epic.repo)
        harness.on_its_own()

    assert harness.rerun_count() == 1
    assert entry_status(epic, cli)["state"] == "failing"


@pytest.mark.merge_queue
@pytest.mark.parametrize("harness", forges_with("merge-queue"), indirect=True)
def test_a_pr_the_queue_drops_goes_back_only_with_a_new_head(
    harness: Harness, epic: World, cli
) -> None:
    harness.spec()
    started(epic)
    cli("up", ENTRY, cwd=epic.repo)
    harness.eject_from_queue()
    before = harness.writes()

    again = cli("up", ENTRY, cwd=epic.repo)

    assert harness.writes() == before, again.out  # the same head is not queued again
    commit_in(epic.base / f"scylla-{ENTRY}", "fixed")
    cli("up", ENTRY, cwd=epic.repo)
    assert harness.writes() != before  # a new head: queued again


def test_issues_are_closed_and_a_note_is_left_where_the_forge_did_not_close_them(
    harness: Harness, epic: World, cli
) -> None:
    harness.spec()
    started(epic)
    cli("up", ENTRY, cwd=epic.repo)
    harness.on_its_own()

    cli("up", ENTRY, cwd=epic.repo)
    cli("prune", cwd=epic.repo)

    issues = forge_of(epic).issues([415, 416, 417])
    assert {n: i.state for n, i in issues.items()} == {415: "closed", 416: "closed", 417: "closed"}
    assert any("verified, no fix needed" in c for c in issues[417].comments), issues[417]


def test_a_second_run_writes_nothing(harness: Harness, epic: World, cli) -> None:
    harness.spec()
    started(epic)
    cli("up", ENTRY, cwd=epic.repo)
    before = harness.writes()

    runner, _ = up(epic, ENTRY)

    assert runner.mutating_calls == [] and harness.writes() == before


@pytest.mark.parametrize("write", ["open", "arm"])
def test_a_write_that_fails_is_put_right_by_the_next_run_and_never_doubled(
    harness: Harness, epic: World, cli, write: str
) -> None:
    harness.spec()
    started(epic)
    harness.fail_next_write(write)

    failed = cli("up", ENTRY, cwd=epic.repo)
    cli("up", ENTRY, cwd=epic.repo)

    assert failed.code != 0, failed.out
    prs = forge_of(epic).read([BRANCH])
    assert list(prs) == [BRANCH] and prs[BRANCH].armed, prs
    runner, _ = up(epic, ENTRY)
    assert runner.mutating_calls == []


def assert_a_dry_run_sends_no_write(harness: Harness, epic: World, cli) -> None:
    started(epic)
    before = harness.writes()

    shown = cli("up", "--dry-run", ENTRY, cwd=epic.repo)

    assert shown.code == 0, shown.out + shown.err
    assert "would " in shown.out  # it says what it would do
    assert harness.writes() == before, "a dry run wrote to the forge"


def test_a_dry_run_sends_no_write(harness: Harness, epic: World, cli) -> None:
    harness.spec()
    assert_a_dry_run_sends_no_write(harness, epic, cli)


def test_the_suite_fails_a_forge_that_writes_during_a_dry_run(
    epic: World, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test of the test: an executor that lets a write through in a dry run is caught."""
    harness = LocalHarness(epic, monkeypatch)
    harness.spec()

    def send_regardless(run, write, perform, would):
        return perform()

    monkeypatch.setattr(forge_steps, "send", send_regardless)

    with pytest.raises(AssertionError, match="a dry run wrote to the forge"):
        assert_a_dry_run_sends_no_write(harness, epic, cli)
