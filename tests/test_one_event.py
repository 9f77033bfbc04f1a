"""One happening, one event, with what a program needs to act on it: a failing check or
a conflict is told once per run; every event that asks something says needs_you; an
overlap names its entries and files; the states and next steps status gives agree with
what the last command did."""

from __future__ import annotations

import json
from pathlib import Path

from test_sync import advance_base

from conftest import World, commit_in, git, status


def said(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def two_entries(world: World, *, checks: str = "") -> None:
    world.write_spec(
        f"[defaults]\n{checks}" + '[pr.a]\ntitle = "fix: a"\n[pr.b]\ntitle = "fix: b"\n'
    )


def test_a_failing_check_is_one_failing_event(world: World, cli) -> None:
    two_entries(world, checks='checks = [["sh", "-c", "! test -e a.txt"]]\n')
    assert cli("up", cwd=world.repo).code == 0
    commit_in(world.base / "scylla-a", "a")
    commit_in(world.base / "scylla-b", "b")  # b lands: up plans a second round

    outcome = cli("up", "--json", cwd=world.repo)

    assert [e["entry"] for e in said(outcome.out) if e["event"] == "landed"] == ["b"]
    failing = [e for e in said(outcome.out) if e["event"] == "failing"]
    assert [e["entry"] for e in failing] == ["a"], failing
    assert "`sh -c '! test -e a.txt'` failed" in failing[0]["message"]
    assert outcome.code == 1


def conflicting(world: World, cli) -> None:
    """a and b both add the same file; a lands first, so b conflicts when it lands."""
    two_entries(world)
    assert cli("up", cwd=world.repo).code == 0
    for name in "ab":
        path = world.base / f"scylla-{name}"
        (path / "shared.txt").write_text(f"{name}'s version\n")
        git("add", "shared.txt", cwd=path)
        git("commit", "-q", "-m", f"shared from {name}", cwd=path)


def test_a_conflict_in_watch_is_one_event_and_the_entry_that_stopped_it_needs_you(
    world: World, cli
) -> None:
    conflicting(world, cli)

    outcome = cli("watch", "--json", "--interval", "1", cwd=world.repo)

    events = said(outcome.out)
    assert [e["entry"] for e in events if e["event"] == "conflict"] == ["b"], outcome.out
    needs = [e for e in events if e["event"] == "needs-you"]
    assert [e["entry"] for e in needs] == ["b"]
    assert all(e["needs_you"] for e in needs)
    assert outcome.code == 1


def test_an_overlap_names_its_entries_and_files(world: World, cli) -> None:
    conflicting(world, cli)

    outcome = cli("sync", "--check", "--json", cwd=world.repo)

    overlap = next(e for e in said(outcome.out) if e["event"] == "overlap")
    assert overlap["details"] == {"entries": ["a", "b"], "files": ["shared.txt"]}


def a_clashes_with_the_base(world: World, cli) -> Path:
    """Entries a and b; a committed a change to a file the base changed since: the next
    sync of a conflicts. Returns a's worktree."""
    two_entries(world)
    assert cli("up", cwd=world.repo).code == 0
    path = world.base / "scylla-a"
    (path / "NEWS.md").write_text("a's news\n")
    git("add", "NEWS.md", cwd=path)
    git("commit", "-q", "-m", "news from a", cwd=path)
    advance_base(world, file="NEWS.md", text="the colleague's news\n")
    return path


def test_after_a_sync_conflict_the_entry_is_in_conflict_and_told_how_sync_moved_it(
    world: World, cli
) -> None:
    path = a_clashes_with_the_base(world, cli)

    assert cli("sync", "--merge", cwd=world.repo).code == 1
    entry = status(world, cli)["a"]
    assert entry["state"] == "conflict"
    assert (
        "&& git merge origin/main, resolve, git add, GIT_EDITOR=true git merge --continue"
        in (entry["next"])
    )

    assert cli("sync", cwd=world.repo).code == 1  # by rebase now: its own next step
    entry = status(world, cli)["a"]
    assert entry["state"] == "conflict"
    assert "&& git rebase origin/main, resolve" in entry["next"]

    git("merge", "-q", "-X", "ours", "origin/main", cwd=path)  # resolved by hand
    assert status(world, cli)["a"]["state"] == "ready"


def test_status_says_prune_only_where_prune_will_take_it(world: World, cli) -> None:
    two_entries(world)
    assert cli("up", cwd=world.repo).code == 0
    for name in "ab":
        commit_in(world.base / f"scylla-{name}", name)
    assert cli("up", cwd=world.repo).code == 0  # both land
    (world.base / "scylla-a" / "notes.txt").write_text("mine\n")

    entries = status(world, cli)

    assert entries["b"]["next"] == "git prgroups prune (its worktree and branch are left)"
    assert entries["b"]["needs_you"] is False
    assert "has uncommitted or untracked files" in entries["a"]["next"]
    assert "prune --force a" in entries["a"]["next"]
    assert entries["a"]["needs_you"] is True
    outcome = cli("prune", cwd=world.repo)
    assert outcome.code == 1 and "refused: a:" in outcome.out


def test_prune_orphans_takes_the_sync_records_of_entries_no_longer_listed(
    world: World, cli
) -> None:
    a_clashes_with_the_base(world, cli)
    assert cli("sync", cwd=world.repo).code == 1  # a conflict: a backup and its record
    records = ("refs/prgroups/backup/a", "refs/prgroups/sync-conflict/a")
    assert set(records) <= set(git("for-each-ref", "--format=%(refname)", cwd=world.repo).split())
    assert cli("remove", "--force", "a", cwd=world.repo).code == 0

    told = cli("prune", cwd=world.repo)
    assert "(prune --orphans)" in told.out
    assert cli("prune", "--orphans", "--force", cwd=world.repo).code == 0

    left = git("for-each-ref", "--format=%(refname)", "refs/prgroups/", cwd=world.repo).split()
    assert [ref for ref in left if ref.endswith("/a") or "/1-a" in ref] == []


def test_the_local_forges_check_folders_are_gone_once_the_checks_ran(world: World, cli) -> None:
    two_entries(world, checks='checks = [["true"]]\n')
    assert cli("up", cwd=world.repo).code == 0
    for name in "ab":
        commit_in(world.base / f"scylla-{name}", name)

    assert cli("up", cwd=world.repo).code == 0  # checked, landed

    listed = git("worktree", "list", "--porcelain", cwd=world.repo)
    assert "prgroups/checks" not in listed and "detached" not in listed
    assert not list((world.repo / ".git" / "prgroups" / "undo").glob("*.json"))
