"""The planning rules as tables, on worlds built by hand: no git, no files, no forge.

Each row is one situation of one entry (or a pair) and what the plan does about it,
summed up in a few words per action (see `summary`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from git_prgroups.events import Event
from git_prgroups.marker import with_marker
from git_prgroups.model import CommitGraph, Issue, PullRequest, Worktree
from git_prgroups.planning.actions import (
    AddLabels,
    AddWorktree,
    ArmAutoMerge,
    CloseIssue,
    DeleteBranches,
    DeleteRefs,
    DeleteRemoteBranches,
    EditPR,
    EnsureLabels,
    FastForward,
    ForgetMissingWorktrees,
    LandArmed,
    Notice,
    OpenPR,
    PrepareWorktree,
    PushBranches,
    RecordPushed,
    RecordSetupsDue,
    RecordStarts,
    RemoveWorktree,
    Report,
    ReportPruned,
    RerunChecks,
    Resync,
    members,
)
from git_prgroups.planning.prune import PruneFacts, plan_prune
from git_prgroups.planning.states import entry_states
from git_prgroups.planning.sync import overlap_pairs, overlap_reports, plan_rearm, plan_sync
from git_prgroups.planning.up import plan_landings, plan_up
from git_prgroups.planning.watch import judge_round
from git_prgroups.planning.world import World
from git_prgroups.spec import Defaults, Entry, Spec

ROOT = Path("/work/scylla")
MAIN = ROOT  # the main worktree


def entry(name: str, **fields) -> Entry:
    return Entry(
        name=name,
        branch=fields.pop("branch", f"1-{name}"),
        worktree=ROOT.parent / f"scylla-{name}",
        title=fields.pop("title", f"fix: {name}"),
        **fields,
    )


def spec(*entries: Entry, **defaults) -> Spec:
    return Spec(ROOT / "prgroups.toml", ROOT, Defaults(**defaults), entries or (entry("a"),))


def graph(*edges: tuple[str, ...]) -> CommitGraph:
    """Commits newest first, each with its parents; `base0` below them all is the common
    base (not read)."""
    found = CommitGraph()
    for sha, *parents in edges:
        found.parents[sha] = list(parents)
        found.subjects[sha] = f"commit {sha}"
    return found


# The base moved on once (base1) since the entries' branches began at base0.
BEHIND = graph(("a1", "base0"), ("base1", "base0"))
AHEAD = graph(("a1", "base1"), ("base1", "base0"))  # a1 is on the fresh base


def world(**fields) -> World:
    values = {
        "base_tip": "base1",
        "branches": {},
        "remote_branches": {},
        "pushed": {},
        "made": {},
        "backups": {},
        "conflicts": {},
        "worktrees": {MAIN: Worktree(MAIN, "base1", "main")},
        "dirty": {},
        "folders": {},
        "prs": {},
        "graph": CommitGraph(),
        "main_worktree": MAIN,
        "forge_lands": True,
    }
    values.update(fields)
    return World(**values)


def worktree(name: str = "a", head: str = "a1", **fields) -> dict[Path, Worktree]:
    path = ROOT.parent / f"scylla-{name}"
    return {
        MAIN: Worktree(MAIN, "base1", "main"),
        path: Worktree(path, head, fields.pop("branch", f"1-{name}"), **fields),
    }


def pr(state: str = "open", **fields) -> PullRequest:
    values = {
        "number": 7, "state": state, "head": "1-a", "base": "main", "title": "fix: a",
        "body": with_marker("fix: a", "body"), "url": "u", "head_oid": "a1",
        "auto_merge": "rebase",
    }  # fmt: skip
    values.update(fields)
    return PullRequest(**values)


def started(**fields) -> World:
    """Entry a with a worktree and one commit on the fresh base."""
    values = {
        "branches": {"1-a": "a1"},
        "worktrees": worktree(),
        "folders": {ROOT.parent / "scylla-a": "full"},
        "graph": AHEAD,
    }
    values.update(fields)
    return world(**values)


TEXTS = {"a": ("fix: a", "body"), "b": ("fix: b", "body")}


def summary(actions: list) -> list[str]:
    """A few words per action: its kind, and what tells it apart."""
    said = []
    for a in members(actions):
        if isinstance(a, Report | Notice):
            said.append(f"{a.event.kind} {a.event.entry or ''}".strip())
        elif isinstance(a, AddWorktree):
            how = f"from {a.commit}" if a.new else "existing"
            said.append(f"add {a.name} {how}" + (" stale" if a.stale else ""))
        elif isinstance(a, RecordSetupsDue):
            said.append("setups due " + ",".join(a.names))
        elif isinstance(a, PrepareWorktree):
            said.append(f"prepare {a.name}" + "".join(f": {' '.join(c)}" for c in a.setup))
        elif isinstance(a, FastForward):
            said.append(f"fast-forward {a.name} to {a.to}")
        elif isinstance(a, RecordStarts):
            said.append("record starts " + ",".join(sorted(a.starts)))
        elif isinstance(a, ForgetMissingWorktrees):
            said.append("forget missing worktrees")
        elif isinstance(a, RecordPushed):
            said.append("record pushed " + ",".join(sorted(a.tips)))
        elif isinstance(a, PushBranches):
            pushes = [f"{p.branch}{'@' + p.lease if p.lease else ''}" for p in a.pushes]
            said.append("push " + ",".join(pushes) + (" +resynced" if a.with_resynced else ""))
        elif isinstance(a, EnsureLabels):
            said.append("labels " + ",".join(a.labels))
        elif isinstance(a, OpenPR):
            said.append(f"open {a.name} arm {a.method}" if a.method else f"open {a.name} draft")
        elif isinstance(a, ArmAutoMerge):
            said.append(f"arm {a.name}" + (" again" if a.again else ""))
        elif isinstance(a, AddLabels):
            said.append(f"label {a.name} " + ",".join(a.labels))
        elif isinstance(a, EditPR):
            said.append(f"edit {a.name}")
        elif isinstance(a, RerunChecks):
            said.append(f"rerun {a.name}")
        elif isinstance(a, LandArmed):
            said.append("land " + ",".join(o.name for o in a.orders))
        elif isinstance(a, Resync):
            how = "merge" if a.merge else "rebase"
            lease = f" lease {a.lease}" if a.lease else ""
            said.append(f"{how} {a.name} onto {a.onto}{lease}" + (" known" * a.known_conflict))
        elif isinstance(a, RemoveWorktree):
            said.append(f"remove {a.name}" + (" forced" if a.force else ""))
        elif isinstance(a, DeleteBranches):
            said.append("delete branches " + ",".join(sorted(a.tips)))
        elif isinstance(a, DeleteRemoteBranches):
            said.append("delete remote " + ",".join(sorted(a.leases)))
        elif isinstance(a, DeleteRefs):
            said.append(f"delete {len(a.refs)} refs")
        elif isinstance(a, ReportPruned):
            said.append(f"pruned {a.name}")
        elif isinstance(a, CloseIssue):
            verb = "comment on" if a.closed else "close"
            said.append(f"{verb} #{a.number}" + (" (commented)" if a.commented else ""))
        else:
            raise AssertionError(a)
    return said


B_AFTER_A = (entry("a"), entry("b", after=("a",)))
WT_A = ROOT.parent / "scylla-a"

UP_ROWS = [
    ("nothing yet: a worktree from the base",
     spec(), world(), {}, ["record starts 1-a", "setups due a", "add a from base1", "prepare a", "ready a"]),
    ("its prerequisite not merged: blocked",
     spec(*B_AFTER_A), world(), {"only": ["b"]}, ["blocked b"]),
    ("its prerequisite merged: started",
     spec(*B_AFTER_A), world(prs={"1-a": pr("merged")}), {},
     ["record starts 1-b", "setups due b", "add b from base1", "prepare b", "ready b"]),
    ("merged: nothing", spec(), started(prs={"1-a": pr("merged")}), {}, []),
    ("closed unmerged: said", spec(), started(prs={"1-a": pr("closed")}), {}, ["closed a"]),
    ("its branch exists, no worktree: the branch is used",
     spec(), world(branches={"1-a": "base1"}), {}, ["setups due a", "add a existing", "prepare a", "ready a"]),
    ("its folder deleted by hand: made again",
     spec(), world(branches={"1-a": "base1"}, worktrees=worktree(head="base1", prunable=True)),
     {}, ["forget missing worktrees", "setups due a", "add a existing stale", "prepare a", "ready a"]),
    ("a folder of files where it goes: refused",
     spec(), world(folders={WT_A: "full"}), {}, ["refused a"]),
    ("an empty folder where it goes: used",
     spec(), world(folders={WT_A: "empty"}), {}, ["record starts 1-a", "setups due a", "add a from base1", "prepare a", "ready a"]),
    ("no base on the remote: refused",
     spec(), world(base_tip=None), {}, ["refused a"]),
    ("its branch only on the remote: started from there",
     spec(), world(remote_branches={"1-a": "r1"}), {},
     ["record starts 1-a", "setups due a", "add a from r1", "prepare a", "ready a"]),
    ("no commits, behind the base: moved up",
     spec(), world(branches={"1-a": "base0"}, worktrees=worktree(head="base0"),
                   folders={WT_A: "full"}, graph=graph(("base1", "base0"))),
     {}, ["fast-forward a to base1", "ready a"]),
    ("no commits, behind, dirty: left where it is",
     spec(), world(branches={"1-a": "base0"}, worktrees=worktree(head="base0"),
                   dirty={WT_A: True}, graph=graph(("base1", "base0"))), {},
     ["ready a", "note a"]),
    ("no commits, its worktree on another branch: left",
     spec(), world(branches={"1-a": "base0"}, worktrees=worktree(head="base0", branch="x"),
                   graph=graph(("base1", "base0"))), {}, ["ready a"]),
    ("commits, nothing pushed: push, open, arm",
     spec(), started(), {}, ["push 1-a", "open a arm rebase"]),
    ("commits, a draft: open without arming",
     spec(entry("a", draft=True)), started(), {}, ["push 1-a", "open a draft"]),
    ("pushed and recorded, no PR: open",
     spec(), started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"}), {},
     ["open a arm rebase"]),
    ("pushed by a run that died before noting it: noted",
     spec(), started(remote_branches={"1-a": "a1"}), {},
     ["record pushed 1-a", "open a arm rebase"]),
    ("new commits on what was pushed: pushed, no lease",
     spec(), started(remote_branches={"1-a": "base1"}, prs={"1-a": pr()}), {}, ["push 1-a"]),
    ("history rewritten since prgroups pushed: pushed with a lease",
     spec(), started(remote_branches={"1-a": "old"}, pushed={"1-a": "old"},
                     graph=graph(("a1", "base1"), ("old", "base0"), ("base1", "base0")),
                     prs={"1-a": pr()}), {}, ["push 1-a@old"]),
    ("rebased away by sync: pushed with a lease on the backup",
     spec(), started(remote_branches={"1-a": "old"}, backups={"a": "old"},
                     graph=graph(("a1", "base1"), ("old", "base0"), ("base1", "base0")),
                     prs={"1-a": pr()}), {}, ["push 1-a@old"]),
    ("someone else pushed: refused, nothing pushed",
     spec(), started(remote_branches={"1-a": "theirs"},
                     graph=graph(("a1", "base1"), ("theirs", "base0"), ("base1", "base0"))),
     {}, ["refused a"]),
    ("open, armed, as rendered: nothing",
     spec(), started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"}, prs={"1-a": pr()}),
     {}, []),
    ("open, auto-merge off: armed",
     spec(), started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"},
                     prs={"1-a": pr(auto_merge=None)}), {}, ["arm a"]),
    ("a draft without auto-merge: left so",
     spec(), started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"},
                     prs={"1-a": pr(auto_merge=None, draft=True)}), {}, []),
    ("its template changed: edited",
     spec(), started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"},
                     prs={"1-a": pr(title="fix: old", body=with_marker("fix: old", "old"))}),
     {}, ["edit a"]),
    ("edited by hand: kept",
     spec(), started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"},
                     prs={"1-a": pr(body="my own words")}), {}, ["kept a"]),
    ("edited by hand, --force-body: edited",
     spec(), started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"},
                     prs={"1-a": pr(body="my own words")}), {"force_body": True}, ["edit a"]),
    ("not named on the command line: left",
     spec(*B_AFTER_A), world(), {"only": ["a"]},
     ["record starts 1-a", "setups due a", "add a from base1", "prepare a", "ready a"]),
    ("a label given since it opened (or its opening cut short): added",
     spec(entry("a", labels=("bug",))),
     started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"}, prs={"1-a": pr()}),
     {}, ["labels bug", "label a bug"]),
    ("a label of its own, beside the spec's: kept",
     spec(entry("a", labels=("bug",))),
     started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"},
             prs={"1-a": pr(labels=("bug", "mine"))}), {}, []),
    ("setup, the spec's then the entry's: run in the new worktree",
     spec(entry("a", setup=(("make", "dev"),)), setup=(("uv", "sync"),)), world(), {},
     ["record starts 1-a", "setups due a", "add a from base1", "prepare a: uv sync: make dev", "ready a"]),
    ("a worktree already there: its setup is not run again",
     spec(setup=(("uv", "sync"),)), started(), {}, ["push 1-a", "open a arm rebase"]),
    ("its setup failed: run again by the next up",
     spec(setup=(("uv", "sync"),)), started(setup_failed={"a": "log"}), {},
     ["prepare a: uv sync", "push 1-a", "open a arm rebase"]),
    ("its setup failed, in a watch round: said again, not run",
     spec(setup=(("uv", "sync"),)), started(setup_failed={"a": "log"}),
     {"retry_failed_setups": False}, ["push 1-a", "open a arm rebase", "failed a"]),
    ("a run cut short before its setup, none in the spec: made ready, nothing asked",
     spec(), started(setup_failed={"a": "due"}), {},
     ["prepare a", "push 1-a", "open a arm rebase"]),
    ("a run cut short before an allowed setup: it runs",
     spec(setup=(("uv", "sync"),)), started(setup_failed={"a": "due"}),
     {"retry_failed_setups": False}, ["prepare a: uv sync", "push 1-a", "open a arm rebase"]),
    ("its setup never allowed: said again",
     spec(setup=(("uv", "sync"),)),
     started(setup_failed={"a": "not allowed"}, untrusted=frozenset({("uv", "sync")})), {},
     ["push 1-a", "open a arm rebase", "refused a"]),
    ("its setup never allowed, trusted since: it runs",
     spec(setup=(("uv", "sync"),)), started(setup_failed={"a": "not allowed"}), {},
     ["prepare a: uv sync", "push 1-a", "open a arm rebase"]),
    ("--setup: a setup that passed runs again",
     spec(setup=(("uv", "sync"),)), started(), {"retry_setup": True},
     ["prepare a: uv sync", "push 1-a", "open a arm rebase"]),
    ("--setup, another entry's setup failed: only that one",
     spec(*B_AFTER_A, setup=(("uv", "sync"),)),
     started(setup_failed={"b": "log"}, prs={"1-a": pr("merged")}),
     {"retry_setup": True},
     ["record starts 1-b", "setups due b", "add b from base1", "prepare b: uv sync", "ready b"]),
    ("failing checks: still an open PR to keep armed",
     spec(), started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"},
                     prs={"1-a": pr(checks="fail", auto_merge=None)}), {}, ["arm a"]),
    ("GitHub: failing checks with a rerun left: rerun",
     spec(entry("a", checks_retry=1)),
     started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"}, forge_lands=False,
             prs={"1-a": pr(checks="fail", failed_runs=(5,))}), {}, ["rerun a"]),
    ("GitHub: failing checks, the rerun spent: told, it needs you",
     spec(entry("a", checks_retry=1)),
     started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"}, forge_lands=False,
             reruns={"a1": 1}, prs={"1-a": pr(checks="fail", failed_runs=(5,))}), {},
     ["failing a"]),
    ("GitHub: failing checks on a head being pushed: its new checks will tell",
     spec(), started(remote_branches={"1-a": "a0"}, pushed={"1-a": "a0"}, forge_lands=False,
                     prs={"1-a": pr(checks="fail", head_oid="a0")}), {}, ["push 1-a"]),
]  # fmt: skip


@pytest.mark.parametrize(("why", "the_spec", "the_world", "options", "expected"), UP_ROWS,
                         ids=[row[0] for row in UP_ROWS])  # fmt: skip
def test_up(why: str, the_spec: Spec, the_world: World, options: dict, expected: list) -> None:
    assert summary(plan_up(the_spec, the_world, TEXTS, **options)) == expected


ARMED = {"1-a": pr(head_oid="a1")}
LANDING_ROWS = [
    ("GitHub merges on its own: nothing", spec(), started(prs=ARMED, forge_lands=False), []),
    ("armed, no checks: landed", spec(), started(prs=ARMED), ["land a"]),
    ("not armed: left", spec(), started(prs={"1-a": pr(auto_merge=None)}), []),
    ("a draft: left", spec(), started(prs={"1-a": pr(draft=True)}), []),
    ("checks failed on this commit: failing, not run again",
     spec(checks=(("make",),)), started(prs={"1-a": pr(checks="fail", checks_commit="a1")}),
     ["failing a"]),
    ("checks passed on this commit: landed",
     spec(checks=(("make",),)), started(prs={"1-a": pr(checks="pass", checks_commit="a1")}),
     ["land a"]),
    ("checks 'running' on this commit (a run killed while they ran): run again",
     spec(checks=(("make",),)), started(prs={"1-a": pr(checks="running", checks_commit="a1")}),
     ["land a"]),
    ("checks due, the user's worktree dirty: checked all the same, in a clean checkout",
     spec(checks=(("make",),)), started(prs=ARMED, dirty={WT_A: True}), ["land a"]),
    ("checks due, the worktree at the pushed commit: landed after them",
     spec(checks=(("make",),)), started(prs=ARMED), ["land a"]),
    ("a conflict on this base and head: said, not tried again",
     spec(), started(prs={"1-a": pr(conflict=True, conflict_seen=("base1", "a1"))}),
     ["conflict a"]),
    ("a conflict on an older base: tried again",
     spec(), started(prs={"1-a": pr(conflict=True, conflict_seen=("base0", "a1"))}), ["land a"]),
]  # fmt: skip


@pytest.mark.parametrize(("why", "the_spec", "the_world", "expected"), LANDING_ROWS,
                         ids=[row[0] for row in LANDING_ROWS])  # fmt: skip
def test_landings(why: str, the_spec: Spec, the_world: World, expected: list) -> None:
    assert summary(plan_landings(the_spec, the_world)) == expected


def behind(**fields) -> World:
    """Entry a started (one commit a1 on base0) while the base moved to base1."""
    values = {
        "branches": {"1-a": "a1"},
        "worktrees": worktree(),
        "folders": {WT_A: "full"},
        "graph": BEHIND,
    }
    values.update(fields)
    return world(**values)


THEIRS = graph(("theirs", "a1"), ("a1", "base0"), ("base1", "base0"))
SYNC_ROWS = [
    ("on the base already: nothing", {}, started(), []),
    ("behind, not pushed: rebased", {}, behind(), ["rebase a onto base1"]),
    ("behind, pushed: rebased, then pushed with a lease", {},
     behind(remote_branches={"1-a": "a1"}), ["rebase a onto base1 lease a1", "push  +resynced"]),
    ("--merge: the base merged in", {"merge": True}, behind(), ["merge a onto base1"]),
    ("uncommitted files: skipped, nothing stashed", {}, behind(dirty={WT_A: True}),
     ["skipped a"]),
    ("its worktree folder gone: skipped", {}, behind(folders={WT_A: "missing"}), ["skipped a"]),
    ("its worktree on another branch: skipped", {},
     behind(worktrees=worktree(branch="other")), ["skipped a"]),
    ("a rebase of the person's under way: skipped", {},
     behind(operations={WT_A: "rebase"}), ["skipped a"]),
    ("someone else's commits on the remote branch: refused", {},
     behind(remote_branches={"1-a": "theirs"}, graph=THEIRS), ["refused a"]),
    ("the same conflict on the same base: said, not tried again", {},
     behind(conflicts={"a": "base1"}, backups={"a": "a1"}), ["conflict a"]),
    ("a conflict on an older base: tried again", {},
     behind(conflicts={"a": "base0"}, backups={"a": "a1"}), ["rebase a onto base1 known"]),
    ("merged: left to prune", {}, behind(prs={"1-a": pr("merged")}), []),
    ("closed unmerged: said", {}, behind(prs={"1-a": pr("closed")}), ["closed a"]),
    ("rebased by a killed sync, push not done: pushed with a lease on the backup", {},
     started(remote_branches={"1-a": "old"}, backups={"a": "old"}), ["push 1-a@old +resynced"]),
    ("pushed by a killed sync, not noted: noted", {},
     started(remote_branches={"1-a": "a1"}, backups={"a": "old"}), ["record pushed 1-a"]),
    ("no base on the remote: refused", {}, behind(base_tip=None), ["refused"]),
    ("not named: left", {"only": ["b"]}, behind(), []),
]  # fmt: skip


@pytest.mark.parametrize(("why", "options", "the_world", "expected"), SYNC_ROWS,
                         ids=[row[0] for row in SYNC_ROWS])  # fmt: skip
def test_sync(why: str, options: dict, the_world: World, expected: list) -> None:
    assert summary(plan_sync(spec(), the_world, **options)) == expected


@pytest.mark.parametrize(
    ("the_pr", "expected"),
    [
        (pr(auto_merge=None), ["arm a again"]),
        (pr(auto_merge=None, draft=True), []),
        (pr("merged", auto_merge=None), []),
        (pr(), []),
    ],
)
def test_auto_merge_is_turned_back_on_after_sync(the_pr: PullRequest, expected: list) -> None:
    assert summary(plan_rearm(spec(), {"1-a": the_pr})) == expected


def test_sync_check_names_pairs_of_one_wave_that_clash() -> None:
    both = spec(entry("a"), entry("b"))
    the_world = world(branches={"1-a": "a1", "1-b": "b1"},
                      graph=graph(("a1", "base1"), ("b1", "base1"), ("base1", "base0")))  # fmt: skip
    pairs = overlap_pairs(both, the_world)
    assert pairs == [("a", "b", "a1", "b1")]
    assert summary(overlap_reports(pairs, {("a1", "b1"): ["x.py"]})) == ["overlap"]
    assert overlap_reports(pairs, {("a1", "b1"): []}) == []
    assert summary(overlap_reports(pairs, {("a1", "b1"): None})) == ["check"]


MERGED = {"1-a": pr("merged", head_oid="a1")}
CLEAN_MERGED = {
    "branches": {"1-a": "a1"},
    "remote_branches": {"1-a": "a1"},
    "pushed": {"1-a": "a1"},
    "made": {"1-a": "base0"},
    "prs": MERGED,
}
PRUNED = [
    "remove a", "delete branches 1-a", "delete remote 1-a", "delete 2 refs", "pruned a",
]  # fmt: skip
PRUNE_ROWS = [
    ("merged and clean: all of it goes", {}, started(**CLEAN_MERGED), PruneFacts(), PRUNED),
    ("uncommitted files: refused", {}, started(**CLEAN_MERGED, dirty={WT_A: True}),
     PruneFacts(changed_files={WT_A: ["?? notes.txt"]}), ["refused a"]),
    ("uncommitted files, --force: said, then removed", {"force": True},
     started(**CLEAN_MERGED, dirty={WT_A: True}),
     PruneFacts(changed_files={WT_A: ["?? notes.txt"]}),
     ["forced a", "remove a forced", *PRUNED[1:]]),
    ("checked out in the main worktree: refused even with --force", {"force": True},
     started(**CLEAN_MERGED, worktrees={MAIN: Worktree(MAIN, "a1", "1-a")}),
     PruneFacts(), ["refused a"]),
    ("a locked worktree: refused even with --force", {"force": True},
     started(**CLEAN_MERGED, worktrees=worktree(locked=True)), PruneFacts(), ["refused a"]),
    ("a merge under way in it: refused even with --force", {"force": True},
     started(**CLEAN_MERGED, operations={WT_A: "merge"}), PruneFacts(), ["refused a"]),
    ("commits the merged PR lacks: refused", {},
     started(**{**CLEAN_MERGED, "branches": {"1-a": "a2"}}),
     PruneFacts(unsaved={"1-a": ["a2 later"]}), ["refused a"]),
    ("commits that cannot be told safe: refused", {},
     started(**{**CLEAN_MERGED, "branches": {"1-a": "a2"}}), PruneFacts(unsaved={"1-a": None}),
     ["refused a"]),
    ("a follow-up pushed after the merge: the remote branch is kept", {},
     started(**{**CLEAN_MERGED, "remote_branches": {"1-a": "a2"}}),
     PruneFacts(unmerged_remote={"1-a": ["a2 later"]}),
     ["remove a", "delete branches 1-a", "kept a", "delete 2 refs", "pruned a"]),
    ("its worktree folder deleted by hand: its registration forgotten", {},
     started(**CLEAN_MERGED, folders={WT_A: "missing"}), PruneFacts(),
     ["forget missing worktrees", *PRUNED[1:]]),
    ("an orphan, not asked for: named", {},
     world(made={"9-gone": "base0"}, branches={"9-gone": "g1"}), PruneFacts(), ["orphans"]),
    ("an orphan, --orphans: its branch goes, its remote branch stays", {"with_orphans": True},
     world(made={"9-gone": "base0"}, branches={"9-gone": "g1"}, remote_branches={"9-gone": "g1"}),
     PruneFacts(unsaved={"9-gone": []}),
     ["delete branches 9-gone", "kept 9-gone", "delete 1 refs", "pruned 9-gone"]),
    ("an orphan with commits nowhere else: refused", {"with_orphans": True},
     world(made={"9-gone": "base0"}, branches={"9-gone": "g1"}),
     PruneFacts(unsaved={"9-gone": ["g1 mine"]}), ["refused 9-gone"]),
    ("not merged: nothing", {}, started(prs={"1-a": pr()}), PruneFacts(), []),
]  # fmt: skip


@pytest.mark.parametrize(("why", "options", "the_world", "facts", "expected"), PRUNE_ROWS,
                         ids=[row[0] for row in PRUNE_ROWS])  # fmt: skip
def test_prune(why: str, options: dict, the_world: World, facts: PruneFacts, expected: list):
    assert summary(plan_prune(spec(), the_world, facts, **options)) == expected


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({"1-a": "open", "1-b": "open"}, ["close #5"]),  # the issue's last entry merged
        # closed already (by the forge, for the merged PR's "Closes #5"): the note is due
        ({"1-a": "open", "1-b": "closed"}, ["comment on #5"]),
        ({"1-a": "open"}, []),  # b, which shares it, has not merged
    ],
)
def test_prune_closes_an_issue_once_its_last_entry_merged(states: dict, expected: list) -> None:
    both = spec(entry("a", issues=(5,)), entry("b", issues=(5,)))
    merged = {"1-a": pr("merged", head_oid="a1")}
    if "1-b" in states:
        merged["1-b"] = pr("merged", head="1-b", head_oid="b1", number=8)
    state = "closed" if "closed" in states.values() else "open"
    facts = PruneFacts(issues={5: Issue(5, state)}, comments={5: "Fixed in #7 and #8."})
    closings = [
        a for a in members(plan_prune(both, world(prs=merged), facts)) if isinstance(a, CloseIssue)
    ]
    assert summary(closings) == expected


def test_states_of_every_kind() -> None:
    entries = (
        entry("blocked", after=("open",)), entry("open"), entry("merged"), entry("closed"),
        entry("conflict"), entry("failing"), entry("ready"),
    )  # fmt: skip
    prs = {
        "1-open": pr(head="1-open"), "1-merged": pr("merged", head="1-merged"),
        "1-closed": pr("closed", head="1-closed"),
        "1-conflict": pr(head="1-conflict", conflict=True),
        "1-failing": pr(head="1-failing", checks="fail"),
    }  # fmt: skip
    states = entry_states(spec(*entries), world(prs=prs))
    assert {name: s.state for name, s in states.items()} == {
        "blocked": "blocked", "open": "open", "merged": "merged", "closed": "closed",
        "conflict": "conflict", "failing": "failing", "ready": "ready",
    }  # fmt: skip
    assert states["blocked"].blocked_by == ("open",)


def test_watch_judges_each_round() -> None:
    open_armed = entry_states(spec(), started(prs={"1-a": pr()}))
    merged = entry_states(spec(), started(prs={"1-a": pr("merged")}))
    unstarted = entry_states(spec(), world())
    no_commits = entry_states(spec(), world(worktrees=worktree(head="base1"),
                                            branches={"1-a": "base1"}))  # fmt: skip
    timing = {"interval": 30, "max_interval": 100}

    assert judge_round(merged, None, 30, **timing).next == "done"
    assert judge_round(unstarted, None, 30, **timing).next == "again"
    stop = judge_round(no_commits, None, 30, **timing)
    assert stop.next == "stop"
    assert Event("needs-you", "ready, no commits yet", "a") in stop.events
    first = judge_round(open_armed, None, 30, **timing)
    assert (first.next, first.wait) == ("wait", 30)
    last = {"a": "open"}
    assert judge_round(open_armed, last, 30, **timing).wait == 60
    assert judge_round(open_armed, last, 60, **timing).wait == 100  # no longer than the most


def test_the_tables_are_big_enough() -> None:
    rows = len(UP_ROWS) + len(LANDING_ROWS) + len(SYNC_ROWS) + len(PRUNE_ROWS)
    assert rows >= 40


def test_a_plan_is_a_value_planned_again_the_same() -> None:
    the_world = started()
    assert plan_up(spec(), the_world, TEXTS) == plan_up(spec(), replace(the_world), TEXTS)


def test_an_issue_commented_by_a_run_cut_off_is_closed_without_a_second_comment() -> None:
    merged = {"1-a": pr("merged", head_oid="a1")}
    the_spec = spec(entry("a", issues=(5,)))
    comment = "Fixed in #7."
    commented = PruneFacts(issues={5: Issue(5, "open", (comment,))}, comments={5: comment})
    fresh = PruneFacts(issues={5: Issue(5, "open", ("a person's word",))}, comments={5: comment})

    def closings(facts: PruneFacts) -> list[str]:
        plan = plan_prune(the_spec, world(prs=merged), facts)
        return summary([a for a in members(plan) if isinstance(a, CloseIssue)])

    assert closings(commented) == ["close #5 (commented)"]
    assert closings(fresh) == ["close #5"]


@pytest.mark.parametrize(("shown", "ready"), [("a1", True), ("a0", False)],
                         ids=["green on its head", "green on the head before"])  # fmt: skip
def test_an_until_green_draft_is_made_ready_only_on_green_checks_of_its_own_head(
    shown: str, ready: bool
) -> None:
    """A read just after a push may show the head before it, green: not ready yet."""
    from git_prgroups.planning.actions import MarkReady

    the_world = started(remote_branches={"1-a": "a1"}, pushed={"1-a": "a1"}, forge_lands=False,
                        prs={"1-a": pr(auto_merge=None, draft=True, checks="pass",
                                       head_oid=shown)})  # fmt: skip
    the_spec = spec(entry("a", draft=True, until_green=True))

    actions = plan_up(the_spec, the_world, TEXTS)

    assert any(isinstance(a, MarkReady) for a in members(actions)) == ready, summary(actions)
