"""`git prgroups sync`: rebase (or merge) started entries onto the moved base, leased pushes."""

from __future__ import annotations

from pathlib import Path

from conftest import World, commit_in, git, snapshot, typed, up

NAMES = ("code-hygiene", "fix-model-configs")


def someone_else(world: World) -> Path:
    """Another clone of the origin: a colleague, a reviewer, a CI formatter."""
    other = world.base / "colleague"
    if not other.exists():
        git("clone", "-q", str(world.origin), str(other), cwd=world.base)
    git("fetch", "-q", "origin", cwd=other)
    return other


def advance_base(world: World, file: str = "NEWS.md", text: str = "news\n") -> str:
    other = someone_else(world)
    git("checkout", "-q", "-B", "main", "origin/main", cwd=other)
    (other / file).write_text(text)
    git("add", file, cwd=other)
    git("commit", "-q", "-m", f"base: {file}", cwd=other)
    git("push", "-q", "origin", "main", cwd=other)
    return git("rev-parse", "HEAD", cwd=other)


def started(world: World, *names: str, push: bool = True) -> dict[str, str]:
    """Worktrees for `names`, one commit each, pushed without a PR: name → branch."""
    up(world, *names)
    branches = {}
    for name in names:
        path = world.base / f"scylla-{name}"
        commit_in(path, name)
        branches[name] = git("branch", "--show-current", cwd=path)
        if push:
            git("push", "-q", "origin", branches[name], cwd=path)
    return branches


def tip(world: World, ref: str, where: Path | None = None) -> str:
    return git("rev-parse", ref, cwd=where or world.repo)


def test_sync_rebases_onto_the_moved_base_and_pushes_with_a_lease(epic: World, cli) -> None:
    branches = started(epic, *NAMES)
    old = {n: tip(epic, f"refs/heads/{b}") for n, b in branches.items()}
    new_base = advance_base(epic)

    outcome = cli("sync", *NAMES, cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    for name, branch in branches.items():
        local = tip(epic, f"refs/heads/{branch}")
        assert tip(epic, f"{local}~1") == new_base
        assert tip(epic, f"refs/heads/{branch}", epic.origin) == local
        assert tip(epic, f"refs/prgroups/backup/{name}") == old[name]
        assert f"synced: {name}: rebased onto origin/main ({new_base[:7]})" in outcome.out
        assert f"pushed: {name}: {branch} (rewritten history, with lease)" in outcome.out

    again = cli("--verbose", "sync", *NAMES, cwd=epic.repo)
    assert again.code == 0
    assert "nothing to sync" in again.out
    assert "update-ref" not in again.err and "push" not in again.err


def test_sync_merge_merges_the_base_in(epic: World, cli) -> None:
    [branch] = started(epic, "code-hygiene", push=False).values()
    old = tip(epic, f"refs/heads/{branch}")
    new_base = advance_base(epic)

    outcome = cli("sync", "--merge", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    merged = tip(epic, f"refs/heads/{branch}")
    assert git("rev-parse", f"{merged}^1", f"{merged}^2", cwd=epic.repo).split() == [old, new_base]
    assert "push" not in outcome.out  # never pushed before: up pushes it when due


def test_a_conflict_leaves_branch_and_files_as_they_were(epic: World, cli) -> None:
    branches = started(epic, *NAMES)
    clashing = epic.base / "scylla-code-hygiene"
    (clashing / "README.md").write_text("# scylla, hygiene's version\n")
    git("commit", "-q", "-am", "readme", cwd=clashing)
    git("push", "-q", "origin", branches["code-hygiene"], cwd=clashing)
    before_tip = tip(epic, "HEAD", clashing)
    before_files = snapshot(clashing)
    before_remote = tip(epic, f"refs/heads/{branches['code-hygiene']}", epic.origin)
    advance_base(epic, "README.md", "# scylla, the base's version\n")

    outcome = cli("sync", *NAMES, cwd=epic.repo)

    assert outcome.code == 1
    assert (
        f"conflict: code-hygiene (files README.md): left as it was; resolve by hand: "
        f"cd {typed(clashing, epic.repo)} && git rebase origin/main"
    ) in outcome.out
    assert tip(epic, "HEAD", clashing) == before_tip
    assert git("branch", "--show-current", cwd=clashing) == branches["code-hygiene"]
    assert git("status", "--porcelain", cwd=clashing) == ""
    assert snapshot(clashing) == before_files
    assert tip(epic, f"refs/heads/{branches['code-hygiene']}", epic.origin) == before_remote
    assert "synced: fix-model-configs" in outcome.out  # the others go on

    again = cli("--verbose", "sync", *NAMES, cwd=epic.repo)  # nothing moved: not tried again
    assert again.code == 1
    assert "conflict: code-hygiene: still does not apply on origin/main" in again.out
    assert "rebase" not in again.err.replace("git rebase origin/main", "")
    assert "update-ref" not in again.err


def test_someone_elses_commit_on_the_branch_is_never_overwritten(epic: World, cli) -> None:
    branches = started(epic, "code-hygiene")
    branch = branches["code-hygiene"]
    other = someone_else(epic)
    git("checkout", "-q", "-B", branch, f"origin/{branch}", cwd=other)
    (other / "review.txt").write_text("a reviewer's fix\n")
    git("add", "review.txt", cwd=other)
    git("commit", "-q", "-m", "review fix", cwd=other)
    git("push", "-q", "origin", branch, cwd=other)
    theirs = tip(epic, "HEAD", other)
    advance_base(epic)

    outcome = cli("sync", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 1
    assert "refused: code-hygiene: origin/" in outcome.out
    assert "git pull --rebase" in outcome.out
    assert tip(epic, f"refs/heads/{branch}", epic.origin) == theirs


def test_a_push_that_lands_between_fetch_and_push_breaks_the_lease(epic: World, cli) -> None:
    branches = started(epic, "code-hygiene")
    branch = branches["code-hygiene"]
    other = someone_else(epic)
    git("checkout", "-q", "-B", branch, f"origin/{branch}", cwd=other)
    (other / "late.txt").write_text("pushed at the worst moment\n")
    git("add", "late.txt", cwd=other)
    git("commit", "-q", "-m", "late", cwd=other)
    theirs = tip(epic, "HEAD", other)
    hooks = epic.repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    git("push", "-q", str(epic.origin), f"{theirs}:refs/heads/late-objects", cwd=other)
    (hooks / "pre-push").write_text(  # their push lands after our fetch, before our push
        f"#!/bin/sh\ngit --git-dir={epic.origin} update-ref refs/heads/{branch} {theirs}\n"
    )
    (hooks / "pre-push").chmod(0o755)
    advance_base(epic)

    outcome = cli("sync", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 1
    assert f"refused: code-hygiene: the remote refused {branch}" in outcome.out
    assert tip(epic, f"refs/heads/{branch}", epic.origin) == theirs  # theirs survived


def test_a_dirty_worktree_is_skipped_and_nothing_is_stashed(epic: World, cli) -> None:
    [branch] = started(epic, "code-hygiene").values()
    path = epic.base / "scylla-code-hygiene"
    (path / "wip.txt").write_text("work in progress\n")
    before = tip(epic, f"refs/heads/{branch}")
    advance_base(epic)

    outcome = cli("sync", cwd=epic.repo)

    assert outcome.code == 1
    assert (
        f"skipped: code-hygiene: {typed(path, epic.repo)} has uncommitted or untracked files"
        in outcome.out
    )
    assert tip(epic, f"refs/heads/{branch}") == before
    assert (path / "wip.txt").read_text() == "work in progress\n"
    assert git("stash", "list", cwd=path) == ""


def test_check_names_entries_of_one_wave_that_will_conflict(epic: World, cli) -> None:
    up(epic, "code-hygiene", "fix-model-configs", "delete-mojo-guides")
    for name in ("code-hygiene", "fix-model-configs"):
        path = epic.base / f"scylla-{name}"
        (path / "README.md").write_text(f"# {name}'s readme\n")
        git("commit", "-q", "-am", "readme", cwd=path)
    commit_in(epic.base / "scylla-delete-mojo-guides", "unrelated")
    before = git("for-each-ref", cwd=epic.repo)

    outcome = cli("sync", "--check", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    overlaps = [line for line in outcome.out.splitlines() if line.startswith("overlap:")]
    assert overlaps == [
        "overlap: fix-model-configs and code-hygiene both change README.md: whichever "
        "merges second will conflict"
    ]
    assert git("for-each-ref", cwd=epic.repo) == before


def test_a_rebase_whose_push_failed_is_pushed_by_the_next_up(epic: World, cli) -> None:
    [branch] = started(epic, "code-hygiene").values()
    advance_base(epic)
    hooks = epic.repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-push").write_text("#!/bin/sh\necho 'network down' >&2\nexit 1\n")
    (hooks / "pre-push").chmod(0o755)
    failed = cli("sync", "code-hygiene", cwd=epic.repo)
    assert failed.code != 0
    (hooks / "pre-push").unlink()

    outcome = cli("up", "code-hygiene", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert f"pushed: code-hygiene: {branch} (rewritten history, with lease)" in outcome.out
    assert tip(epic, f"refs/heads/{branch}", epic.origin) == tip(epic, f"refs/heads/{branch}")


def test_prune_twice_makes_no_change_the_second_time(epic: World, cli) -> None:
    started(epic, "code-hygiene")
    advance_base(epic)
    cli("sync", cwd=epic.repo)  # leaves a backup ref
    up(epic, "code-hygiene")  # lands on the local forge
    assert cli("prune", cwd=epic.repo).code == 0
    assert "refs/prgroups/backup/code-hygiene" not in git("for-each-ref", cwd=epic.repo)

    again = cli("--verbose", "prune", cwd=epic.repo)

    assert "nothing to prune" in again.out
    mutating = ("update-ref", "worktree remove", "worktree prune", "branch", "push")
    assert not [line for line in again.err.splitlines() if any(m in line for m in mutating)]
