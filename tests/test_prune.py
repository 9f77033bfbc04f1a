"""`git prgroups prune`: merged entries' worktrees and branches go, unless work would be lost."""

from __future__ import annotations

import json
from pathlib import Path

from git_prgroups.specfile import load_spec

from conftest import EXAMPLE_SPEC, GROUP_A, World, commit_in, git, typed, up, worktree_paths


def branch_of(world: World, name: str) -> str:
    return load_spec(world.repo / "prgroups.toml", world.repo).entry(name).branch


def land(world: World, *names: str) -> None:
    """Start, commit and land (local forge) each entry."""
    up(world, *names)
    for name in names:
        commit_in(world.base / f"scylla-{name}", name)
    up(world, *names)


def heads(path: Path) -> set[str]:
    return set(git("for-each-ref", "--format=%(refname:short)", "refs/heads/", cwd=path).split())


def issues(world: World) -> dict[str, dict]:
    records = world.repo / ".git" / "prgroups" / "local-forge.json"
    return json.loads(records.read_text())["issues"]


def test_prune_clears_merged_entries_and_closes_issues_after_their_last_pr(
    epic: World, cli
) -> None:
    land(epic, *GROUP_A)
    up(epic)
    assert len(worktree_paths(epic)) == 9  # group A merged; B and C started

    outcome = cli("prune", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert worktree_paths(epic) == {
        str(epic.base / "scylla-fix-language-defaults"),
        str(epic.base / "scylla-consolidate-docs"),
    }
    merged_branches = {branch_of(epic, n) for n in GROUP_A}
    assert not merged_branches & heads(epic.repo)
    assert not merged_branches & heads(epic.origin)
    assert branch_of(epic, "consolidate-docs") in heads(epic.repo)
    closed = {n: i for n, i in issues(epic).items() if i["state"] == "closed"}
    assert set(closed) == {"400", "402", "404", "405", "406", "407", "408", "409", "410", "411",
                           "412", "415", "416", "417", "418"}  # fmt: skip
    assert "401" not in closed  # shared with fix-language-defaults, not merged yet
    assert issues(epic)["401"] == {"state": "open", "title": "Mojo references"}
    assert closed["405"]["title"] == "Pre-commit header"  # kept when it closed
    assert closed["400"]["comment"] == "Fixed in #1."
    assert closed["408"]["comment"] == "Fixed in #3."
    # the spec's notes: [issue.405] note, and #417 that needed no fix
    assert closed["405"]["comment"] == "Fixed in #5: changed header."
    assert closed["417"]["comment"] == "Closed with #6: verified, no fix needed."
    assert "pruned: code-hygiene: worktree ../scylla-code-hygiene" in outcome.out

    again = cli("--verbose", "prune", cwd=epic.repo)
    assert "nothing to prune" in again.out
    assert "worktree remove" not in again.err and "push" not in again.err

    land(epic, "fix-language-defaults")
    outcome = cli("prune", cwd=epic.repo)
    numbers = {p["head"]: p["number"] for p in _pulls(epic)}
    p0, p2, p1 = (numbers[branch_of(epic, n)] for n in
                  ("delete-mojo-guides", "remove-python-justification", "fix-language-defaults"))  # fmt: skip
    assert issues(epic)["401"]["comment"] == f"Fixed in #{p0} (P0), #{p1} (P1) and #{p2} (P2)."

    assert issues(epic)["413"]["state"] == "open"  # consolidate-docs has not merged
    assert "closed: #401: Fixed in" in outcome.out


def _pulls(world: World) -> list[dict]:
    records = world.repo / ".git" / "prgroups" / "local-forge.json"
    return json.loads(records.read_text())["pulls"]


def test_prune_refuses_dirty_worktrees_and_unsaved_commits_unless_forced(epic: World, cli) -> None:
    land(epic, "code-hygiene", "fix-model-configs")
    dirty = epic.base / "scylla-code-hygiene"
    (dirty / "notes.txt").write_text("not committed anywhere\n")
    extra = epic.base / "scylla-fix-model-configs"
    commit_in(extra, "after-the-merge")

    outcome = cli("prune", cwd=epic.repo)

    assert outcome.code == 1
    assert (
        f"refused: code-hygiene: {typed(dirty, epic.repo)} has uncommitted or untracked files: ?? notes.txt"
        in (outcome.out)
    )
    assert "refused: fix-model-configs: 400-fix-model-configs has commits the merged PR lacks" in (
        outcome.out
    )
    assert "change after-the-merge" in outcome.out
    assert dirty.is_dir() and extra.is_dir()
    assert branch_of(epic, "fix-model-configs") in heads(epic.repo)

    forced = cli("prune", "--force", cwd=epic.repo)

    assert forced.code == 0, forced.out + forced.err
    assert "forced: code-hygiene: losing what" in forced.out and "notes.txt" in forced.out
    assert "forced: fix-model-configs: losing what" in forced.out
    assert not dirty.exists() and not extra.exists()


def test_orphans_are_reported_then_removed_on_request_and_others_untouched(
    epic: World, cli
) -> None:
    up(epic, "code-hygiene", "fix-model-configs")
    mine = epic.base / "my-own-worktree"
    epic.git("worktree", "add", "-q", "-b", "my-experiment", str(mine))
    spec = EXAMPLE_SPEC.read_text()
    start = spec.index("[pr.code-hygiene]")
    end = spec.index("[pr.remove-workspace-manager]")
    epic.write_spec(spec[:start] + spec[end:])

    outcome = cli("prune", cwd=epic.repo)

    assert "orphans: 415-code-hygiene: made for entries the spec no longer lists" in outcome.out
    assert (epic.base / "scylla-code-hygiene").is_dir()

    outcome = cli("prune", "--orphans", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert not (epic.base / "scylla-code-hygiene").exists()
    assert "415-code-hygiene" not in heads(epic.repo)
    assert mine.is_dir() and "my-experiment" in heads(epic.repo)
    assert (epic.base / "scylla-fix-model-configs").is_dir()


def test_an_orphan_with_commits_nowhere_else_is_refused(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "unpushed")
    spec = EXAMPLE_SPEC.read_text()
    start = spec.index("[pr.code-hygiene]")
    end = spec.index("[pr.remove-workspace-manager]")
    epic.write_spec(spec[:start] + spec[end:])

    outcome = cli("prune", "--orphans", cwd=epic.repo)

    assert outcome.code == 1
    assert "refused: 415-code-hygiene: 415-code-hygiene has commits any remote branch lacks" in (
        outcome.out
    )
    assert (epic.base / "scylla-code-hygiene").is_dir()


def test_a_follow_up_pushed_after_the_merge_is_not_pruned(epic: World, cli) -> None:
    land(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    commit_in(path, "follow-up")
    branch = branch_of(epic, "code-hygiene")
    git("push", "-q", "origin", branch, cwd=path)

    outcome = cli("prune", cwd=epic.repo)

    assert outcome.code == 1
    assert f"refused: code-hygiene: {branch} has commits the merged PR lacks" in outcome.out
    assert branch in heads(epic.repo) and branch in heads(epic.origin)
    assert path.is_dir()


def test_a_detached_worktree_and_the_main_worktree_are_never_pruned(epic: World, cli) -> None:
    land(epic, "code-hygiene", "fix-model-configs")
    detached = epic.base / "scylla-code-hygiene"
    git("checkout", "-q", "--detach", cwd=detached)
    commit_in(detached, "experiment")
    epic.git("worktree", "remove", str(epic.base / "scylla-fix-model-configs"))
    epic.git("checkout", "-q", branch_of(epic, "fix-model-configs"))

    outcome = cli("prune", cwd=epic.repo)

    assert outcome.code == 1
    assert (
        f"refused: code-hygiene: {typed(detached, epic.repo)} is not on 415-code-hygiene"
        in outcome.out
    )
    assert (
        "refused: fix-model-configs: 400-fix-model-configs is checked out in the main worktree"
        in outcome.out
    )
    assert detached.is_dir() and "Traceback" not in outcome.err and outcome.err == ""
    assert epic.repo.is_dir()


def test_an_orphans_remote_branch_is_kept(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    commit_in(path, "pushed")
    git("push", "-q", "origin", "415-code-hygiene", cwd=path)
    spec = EXAMPLE_SPEC.read_text()
    epic.write_spec(
        spec[: spec.index("[pr.code-hygiene]")]
        + spec[spec.index("[pr.remove-workspace-manager]") :]
    )

    outcome = cli("prune", "--orphans", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert "kept: 415-code-hygiene: origin/415-code-hygiene (it may carry an open PR" in outcome.out
    assert "415-code-hygiene" in heads(epic.origin)
    assert "415-code-hygiene" not in heads(epic.repo) and not path.exists()


def test_prune_from_inside_a_merged_entrys_worktree_finishes_and_says_where_to_go(
    epic: World, cli
) -> None:
    """The shell's folder goes last; the branches, the remote and the issues are done."""
    land(epic, "code-hygiene", "fix-model-configs")
    inside = epic.base / "scylla-code-hygiene"
    (inside / "sub").mkdir()

    outcome = cli("prune", cwd=inside / "sub")

    assert outcome.code == 0, outcome.out + outcome.err
    assert "internal error" not in outcome.err
    assert worktree_paths(epic) == set()
    merged = {branch_of(epic, "code-hygiene"), branch_of(epic, "fix-model-configs")}
    assert not merged & heads(epic.repo)
    assert not merged & heads(epic.origin)
    assert {"400", "415", "416", "417"} <= set(issues(epic))
    assert f"cd {epic.repo}" in outcome.out  # the folder the shell was in is gone


def test_an_issue_no_entry_names_closes_with_its_note_once(epic: World, cli) -> None:
    epic.write_spec(
        EXAMPLE_SPEC.read_text()
        + '\n[issue.420]\ndescription = "Flaky clock"\nresolution = "no-fix"\n'
        'note = "verified, no fix needed"\n'
    )

    outcome = cli("prune", cwd=epic.repo)
    again = cli("prune", cwd=epic.repo)

    assert outcome.code == 0, outcome.out + outcome.err
    assert "closed: #420: Closed: verified, no fix needed." in outcome.out
    assert issues(epic)["420"]["comment"] == "Closed: verified, no fix needed."
    assert issues(epic)["420"]["state"] == "closed"
    assert set(issues(epic)) == {"420"}  # nothing else has merged
    assert "nothing to prune" in again.out
