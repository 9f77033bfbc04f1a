"""The one executor, on real repositories: what it looks at again before destroying,
undo records around risky steps, and independent actions side by side."""

from __future__ import annotations

import json

import pytest

from git_prgroups.events import Events, event_line
from git_prgroups.execute import Execution, execute
from git_prgroups.forges.choose import choose_forge
from git_prgroups.git import Git
from git_prgroups.journal import Journal
from git_prgroups.planning.actions import (
    AddWorktree,
    AddWorktrees,
    CloseIssue,
    DeleteBranches,
    ForgeWrites,
    RecordStarts,
    RemoveWorktree,
)
from git_prgroups.proc import Runner
from git_prgroups.specfile import load_spec
from git_prgroups.store import Store

from conftest import World, commit_in, git, up


def execution(world: World, *, jobs: int = 1) -> Execution:
    spec = load_spec(world.repo / "prgroups.toml", world.repo)
    git_ = Git(Runner(), world.repo)
    journal = Journal(Store.of(world.repo / ".git").undo)
    return Execution(spec, git_, choose_forge(spec, git_), Events(), journal, jobs=jobs)


def test_a_branch_that_moved_since_the_plan_is_not_deleted(epic: World) -> None:
    up(epic, "code-hygiene", "fix-model-configs")
    planned = {
        "415-code-hygiene": git("rev-parse", "415-code-hygiene", cwd=epic.repo),
        "400-fix-model-configs": git("rev-parse", "400-fix-model-configs", cwd=epic.repo),
    }
    later = commit_in(epic.base / "scylla-code-hygiene", "after the plan")
    epic.git("worktree", "remove", str(epic.base / "scylla-code-hygiene"))
    epic.git("worktree", "remove", str(epic.base / "scylla-fix-model-configs"))
    run = execution(epic)

    execute([DeleteBranches(planned)], run)

    assert git("rev-parse", "415-code-hygiene", cwd=epic.repo) == later  # kept
    assert "400-fix-model-configs" not in epic.git("branch", "--list")
    assert [event_line(e) for e in run.events] == [
        "refused: 415-code-hygiene: 415-code-hygiene moved while prune ran: left as it is; "
        "prune again"
    ]
    assert run.events.exit_code == 1


def test_a_removal_leaves_no_undo_record_once_done_and_keeps_one_when_git_refused(
    epic: World,
) -> None:
    up(epic, "code-hygiene", "fix-model-configs")
    clean, dirty = epic.base / "scylla-code-hygiene", epic.base / "scylla-fix-model-configs"
    (dirty / "notes.txt").write_text("mine\n")
    run = execution(epic)

    execute([RemoveWorktree("code-hygiene", clean, None)], run)
    try:
        execute([RemoveWorktree("fix-model-configs", dirty, None)], run)
    except Exception as error:  # git refuses a worktree with untracked files
        refused = str(error)
    else:
        raise AssertionError("git removed a worktree with untracked files")

    assert not clean.exists() and (dirty / "notes.txt").read_text() == "mine\n"
    assert "contains modified or untracked files" in refused
    [left] = run.journal.pending()
    assert (left.kind, left.path) == ("remove-worktree", dirty)  # for the next run to look at


def test_independent_actions_run_side_by_side_and_are_told_in_plan_order(epic: World) -> None:
    run = execution(epic, jobs=4)
    closings = [CloseIssue(n, f"Fixed in #{n}.") for n in (400, 401, 402, 404, 405)]

    done = execute([ForgeWrites(tuple(closings))], run)

    records = json.loads((epic.repo / ".git" / "prgroups" / "local-forge.json").read_text())
    assert {n: i["comment"] for n, i in records["issues"].items()} == {
        str(n): f"Fixed in #{n}." for n in (400, 401, 402, 404, 405)
    }
    assert [e.details["issue"] for e in run.events] == [400, 401, 402, 404, 405]
    assert done.changed == 5


@pytest.mark.slow
def test_fifty_worktrees_at_once_twenty_rounds_without_a_failure(world: World) -> None:
    """Two `git worktree add` at once can die reading the registration the other is
    still writing: registrations go one at a time, checkouts side by side."""
    for n in range(40):
        (world.repo / f"file{n}.txt").write_text(f"{n}\n" * 50)
    world.git("add", ".")
    world.git("commit", "-q", "-m", "files")
    world.write_spec("[pr.x]\ntitle = 'x'\n")
    tip = world.git("rev-parse", "HEAD")
    run = execution(world)
    run.workers = 8
    for round_ in range(20):
        branches = {f"r{round_}-b{n}": tip for n in range(50)}
        adds = [
            AddWorktree(b, world.base / f"wt-{b}", b, tip, new=True, onto="origin/main")
            for b in branches
        ]
        execute([RecordStarts(branches), AddWorktrees(tuple(adds))], run)
        for add in adds:
            assert (add.path / "file39.txt").read_text() == "39\n" * 50
            assert git("status", "--porcelain", cwd=add.path) == ""
        assert run.journal.pending() == []
        for add in adds:
            world.git("worktree", "remove", str(add.path))
    worktree_events = [e for e in run.events if e.kind == "worktree"]
    assert len(worktree_events) == 20 * 50


def test_a_read_of_no_ref_made_while_a_fetch_runs_is_kept_and_one_of_refs_is_not(
    world: World,
) -> None:
    """A fetch changes refs only: the worktree list read beside it (as up's statuses are,
    while its fetch runs) stays cached; a read of refs made meanwhile is read again."""
    import threading

    runner = Runner()
    fetch_began, fetch_may_end = threading.Event(), threading.Event()
    real = runner._execute

    def held(argv, *rest, **options):  # the fetch, held open until the reads are made
        if argv[1:2] == ("fetch",):
            fetch_began.set()
            fetch_may_end.wait(10)
        return real(argv, *rest, **options)

    runner._execute = held
    git_ = Git(runner, world.repo)
    fetching = threading.Thread(target=git_.fetch, args=("origin",))
    fetching.start()
    assert fetch_began.wait(10)
    git_.worktrees()
    git_.refs("refs/heads/")
    fetch_may_end.set()
    fetching.join()

    git_.worktrees()
    git_.refs("refs/heads/")

    verbs = [argv[1] for argv, _ in runner.calls]
    assert verbs.count("worktree") == 1 and verbs.count("for-each-ref") == 2, verbs
