"""Hand-made messes: each gets a sensible outcome and a clear word, never lost commits."""

from __future__ import annotations

import json
import shutil
import subprocess

from test_sync import advance_base

from conftest import World, commit_in, git, status, typed, up


def test_a_worktree_folder_deleted_by_hand_is_made_again_with_its_commits(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    head = commit_in(path, "kept")
    shutil.rmtree(path)
    assert status(epic, cli)["code-hygiene"]["worktree_state"] == "missing"

    _, lines = up(epic, "code-hygiene")

    assert path.is_dir() and (path / "kept.txt").is_file()
    assert any("its folder had been deleted: made again" in line for line in lines)
    assert status(epic, cli)["code-hygiene"]["state"] == "merged"  # and it landed
    assert head in git("log", "--format=%H", "415-code-hygiene", cwd=epic.repo)


def test_a_locked_worktree_is_not_pruned(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    commit_in(path, "done")
    up(epic, "code-hygiene")
    epic.git("worktree", "lock", str(path))

    outcome = cli("prune", cwd=epic.repo)

    assert outcome.code == 1
    assert (
        f"refused: code-hygiene: {typed(path, epic.repo)} is locked (git worktree unlock it first)"
        in outcome.out
    )
    assert path.is_dir()


def test_a_pr_closed_unmerged_is_left_alone_and_shown_closed(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "x")
    records = epic.repo / ".git" / "prgroups" / "local-forge.json"
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(
        spec.replace("issues = [415, 416, 417]", "issues = [415, 416, 417]\ndraft = true")
    )
    up(epic, "code-hygiene")  # a draft: opened, not landed
    data = json.loads(records.read_text())
    data["pulls"][0]["state"] = "closed"  # closed by hand
    records.write_text(json.dumps(data))
    epic.write_spec(spec)

    runner, lines = up(epic, "code-hygiene")

    assert runner.mutating_calls == []
    assert lines == [
        "closed: code-hygiene: #1 was closed without merging: reopen it, or drop the entry"
    ]
    assert status(epic, cli)["code-hygiene"]["state"] == "closed"
    assert "nothing to prune" in cli("prune", cwd=epic.repo).out
    assert (epic.base / "scylla-code-hygiene").is_dir()


def test_a_pr_merged_by_hand_is_recognised_on_the_local_forge(epic: World, cli) -> None:
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec.replace("epic = 403", 'epic = 403\nchecks = ["false"]'))
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    commit_in(path, "by-hand")
    up(epic, "code-hygiene")  # opened; its checks fail, so it does not land
    other = epic.base / "maintainer"
    git("clone", "-q", str(epic.origin), str(other), cwd=epic.base)
    git("fetch", "-q", "origin", "415-code-hygiene", cwd=other)
    git("cherry-pick", "FETCH_HEAD", cwd=other)  # applied by hand, another hash
    git("push", "-q", "origin", "main", cwd=other)
    epic.write_spec(spec)  # the checks are fixed

    _, lines = up(epic, "code-hygiene")

    assert "landed: code-hygiene: #1 already in origin/main" in lines
    assert status(epic, cli)["code-hygiene"]["state"] == "merged"
    log = git("log", "--format=%s", "main", cwd=epic.origin).splitlines()
    assert log.count("change by-hand") == 1


def test_an_entry_renamed_in_the_spec_starts_afresh_and_the_old_work_is_kept(
    epic: World, cli
) -> None:
    up(epic, "code-hygiene")
    old = epic.base / "scylla-code-hygiene"
    commit_in(old, "unpushed")
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec.replace("[pr.code-hygiene]", "[pr.hygiene]"))

    up(epic, "hygiene")
    outcome = cli("prune", cwd=epic.repo)

    assert (epic.base / "scylla-hygiene").is_dir() and (old / "unpushed.txt").is_file()
    assert "orphans: 415-code-hygiene: made for entries the spec no longer lists" in outcome.out
    refused = cli("prune", "--orphans", cwd=epic.repo)
    assert refused.code == 1 and "has commits any remote branch lacks" in refused.out
    assert old.is_dir()


def test_a_remote_branch_deleted_by_hand_is_pushed_again(epic: World, cli) -> None:
    spec = (epic.repo / "prgroups.toml").read_text()
    epic.write_spec(spec.replace("epic = 403", 'epic = 403\nchecks = ["false"]'))
    up(epic, "code-hygiene")
    head = commit_in(epic.base / "scylla-code-hygiene", "x")
    up(epic, "code-hygiene")
    git("push", "-q", "origin", "--delete", "415-code-hygiene", cwd=epic.repo)

    _, lines = up(epic, "code-hygiene")

    assert "pushed: code-hygiene: 415-code-hygiene (new commits)" in lines
    assert git("rev-parse", "refs/heads/415-code-hygiene", cwd=epic.origin) == head


def test_a_branch_checked_out_in_another_worktree_is_used_where_it_is(epic: World, cli) -> None:
    """The person checked the entry's branch out somewhere of their own before up made
    its worktree: up works with that worktree (git would refuse a second), status shows
    where it is, and the person's commit is what lands."""
    elsewhere = epic.base / "my-own-checkout"
    epic.git("worktree", "add", "-q", "-b", "415-code-hygiene", str(elsewhere), "origin/main")
    mine = commit_in(elsewhere, "mine")
    assert status(epic, cli)["code-hygiene"]["worktree"] == str(elsewhere)

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert not (epic.base / "scylla-code-hygiene").exists()
    assert (elsewhere / "mine.txt").is_file()
    assert "landed: code-hygiene" in outcome.out
    assert not git("cherry", "origin/main", mine, cwd=epic.repo).startswith("+")  # in the base


def test_a_base_branch_renamed_on_the_remote_is_named(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    head = commit_in(path, "work")
    git("branch", "-m", "main", "trunk", cwd=epic.origin)

    for command in ("up", "sync"):  # prune does not need the base
        outcome = cli(command, cwd=epic.repo)
        assert "Traceback" not in outcome.err and "internal error" not in outcome.err, command
        assert "origin/main" in outcome.out + outcome.err, command
    outcome = cli("up", cwd=epic.repo)
    assert outcome.code == 1
    assert "origin/main does not exist: was the base branch renamed?" in outcome.out
    assert git("rev-parse", "HEAD", cwd=path) == head
    table = cli("status", cwd=epic.repo)  # the table still, and the word once
    assert table.code == 0 and "code-hygiene" in table.out
    assert table.err == (
        "warning: origin/main does not exist: was the base branch renamed? set `base` under "
        "[defaults] in the spec\n"
    )
    report = json.loads(cli("status", "--json", cwd=epic.repo).out)
    assert report["warnings"] == [table.err.removeprefix("warning: ").strip()]


def test_an_after_added_between_runs_holds_the_entry_back_and_keeps_its_work(
    epic: World, cli
) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    head = commit_in(path, "work")
    spec = epic.repo / "prgroups.toml"
    text = spec.read_text()
    start = text.index("[pr.code-hygiene]")
    spec.write_text(
        text[:start] + text[start:].replace("\n", '\nafter = ["consolidate-docs"]\n', 1)
    )

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    assert "blocked: code-hygiene: waits for consolidate-docs" in outcome.out
    assert git("rev-parse", "HEAD", cwd=path) == head  # worktree and commit kept
    assert git("ls-remote", "origin", "415-code-hygiene", cwd=epic.repo) == ""  # not pushed


def test_a_folder_in_a_worktrees_place_is_used_when_empty_and_left_when_not(
    epic: World, cli
) -> None:
    empty, holding = epic.base / "scylla-code-hygiene", epic.base / "scylla-fix-model-configs"
    empty.mkdir()
    holding.mkdir()
    (holding / "notes.txt").write_text("mine\n")

    outcome = cli("up", "code-hygiene", "fix-model-configs", cwd=epic.repo)

    assert outcome.code == 1
    assert (
        f"refused: fix-model-configs: {typed(holding, epic.repo)} exists and is not a worktree of this "
        "repository: move it away" in outcome.out
    )
    assert (holding / "notes.txt").read_text() == "mine\n"
    assert git("branch", "--show-current", cwd=empty) == "415-code-hygiene"


def test_a_push_the_remote_refuses_for_its_own_reasons_is_named_as_such(epic: World, cli) -> None:
    """Not someone else's commits: a hook (or a ref lock the server still holds) said no.
    The branch is kept, nothing is noted as pushed, and the next run pushes it."""
    up(epic, "code-hygiene")
    tip = commit_in(epic.base / "scylla-code-hygiene", "code-hygiene")
    hook = epic.origin / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 1
    assert (
        "refused: code-hygiene: the remote refused 415-code-hygiene ([remote rejected] "
        "(pre-receive hook declined)): your branch is as it was and nothing there was "
        "overwritten; run this again (it says what to do if someone else pushed)"
    ) in outcome.out
    assert git("rev-parse", "415-code-hygiene", cwd=epic.repo) == tip
    assert git("for-each-ref", "refs/prgroups/pushed/", cwd=epic.repo) == ""
    hook.unlink()
    again = cli("up", "code-hygiene", cwd=epic.repo)
    assert again.code == 0 and "pushed: code-hygiene: 415-code-hygiene" in again.out


def test_a_rebase_the_person_left_under_way_is_named_and_left_alone(epic: World, cli) -> None:
    """sync does not stack its own rebase on the person's, nor call it uncommitted files;
    prune does not remove a worktree in the middle of one."""
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    (path / "README.md").write_text("# mine\n")
    git("commit", "-q", "-am", "mine", cwd=path)
    advance_base(epic, file="README.md", text="# theirs\n")
    git("fetch", "-q", "origin", cwd=path)
    rebasing = subprocess.run(["git", "rebase", "-q", "origin/main"], cwd=path, capture_output=True)
    assert rebasing.returncode != 0  # stopped on the conflict, for the person to resolve
    before = git("status", "--porcelain=v2", "--branch", cwd=path)

    outcome = cli("sync", cwd=epic.repo)

    assert outcome.code == 1
    assert (
        f"skipped: code-hygiene: a rebase is under way in {typed(path, epic.repo)}: finish it (git rebase "
        "--continue) or stop it (git rebase --abort), then sync again"
    ) in outcome.out
    assert git("status", "--porcelain=v2", "--branch", cwd=path) == before
