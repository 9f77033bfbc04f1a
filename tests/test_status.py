"""What status and show tell a user: the summary, the next step of each entry that
waits on them, and one entry in detail."""

from __future__ import annotations

import json
import subprocess

from test_sync import advance_base

from conftest import EXAMPLE_SPEC, World, commit_in, git, typed, up


def failing_checks(epic: World) -> None:
    epic.write_spec(
        EXAMPLE_SPEC.read_text().replace(
            "epic = 403", 'epic = 403\nchecks = [["sh", "-c", "echo expected old pricing; exit 3"]]'
        )
    )


def test_status_sums_up_and_says_each_next_step(epic: World, cli) -> None:
    failing_checks(epic)
    up(epic, "fix-model-configs", "code-hygiene", "delete-mojo-guides")
    commit_in(epic.base / "scylla-fix-model-configs", "pricing")
    up(epic, "fix-model-configs")  # opened, armed, checks fail
    commit_in(epic.base / "scylla-code-hygiene", "hygiene")  # committed, not pushed

    outcome = cli("status", cwd=epic.repo)

    assert outcome.code == 0
    text = outcome.out
    assert "\n\n6 ready, 2 blocked, 1 failing\n\nnext:\n" in text
    hygiene = epic.base / "scylla-code-hygiene"
    mojo = epic.base / "scylla-delete-mojo-guides"
    assert "  code-hygiene: git prgroups up (pushes what is committed)" in text
    assert (
        f"  delete-mojo-guides: work in {typed(mojo, epic.repo)}, then git prgroups commit and git prgroups up"
        in text
    )
    assert (
        "  fix-model-configs: read the checks' output (git prgroups show fix-model-configs); "
        "fix, git prgroups commit, git prgroups up"
    ) in text
    assert "fix-language-defaults:" not in text.split("next:")[1]  # blocked: nothing to do
    assert str(hygiene) not in text.split("next:")[1]
    report = json.loads(cli("status", "--json", cwd=epic.repo).out)
    assert report["needs_you"] is True
    rows = {e["name"]: e for e in report["entries"]}
    assert rows["code-hygiene"]["needs_you"] and rows["code-hygiene"]["next"].startswith("git")
    assert rows["fix-language-defaults"]["next"] is None
    assert report["summary"] == text.split("\n\n")[1].splitlines()[0]
    assert cli("status", "--exit-code", cwd=epic.repo).code == 1


def test_status_exit_code_is_0_once_nothing_waits_on_the_user(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    commit_in(epic.base / "scylla-code-hygiene", "hygiene")
    up(epic, "code-hygiene")  # landed
    spec = EXAMPLE_SPEC.read_text()
    only_hygiene = spec[: spec.index("[pr.")] + spec[spec.index("[pr.code-hygiene]") :]
    only_hygiene = only_hygiene[: only_hygiene.index("[pr.remove-workspace-manager]")]
    epic.write_spec(only_hygiene)

    assert cli("status", "--exit-code", cwd=epic.repo).code == 0  # prune is a choice
    assert "git prgroups prune" in cli("status", cwd=epic.repo).out
    assert cli("prune", cwd=epic.repo).code == 0
    assert "next:" not in cli("status", cwd=epic.repo).out


def test_a_conflict_names_the_commands_and_a_rebase_under_way_how_to_finish(
    epic: World, cli
) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    (path / "README.md").write_text("# mine\n")
    git("commit", "-q", "-am", "mine", cwd=path)
    advance_base(epic, file="README.md", text="# theirs\n")
    cli("sync", cwd=epic.repo)  # the conflict, aborted and remembered

    said = cli("status", cwd=epic.repo).out
    assert f"  code-hygiene: cd {typed(path, epic.repo)} && git rebase origin/main, resolve" in said

    subprocess.run(["git", "rebase", "-q", "origin/main"], cwd=path, capture_output=True)
    said = cli("status", cwd=epic.repo).out
    assert (
        f"  code-hygiene: finish the rebase in {typed(path, epic.repo)}: resolve, git add, GIT_EDITOR=true git rebase --continue"
    ) in said


def test_show_tells_one_entry_with_its_checks_output(epic: World, cli) -> None:
    failing_checks(epic)
    up(epic, "fix-model-configs")
    commit_in(epic.base / "scylla-fix-model-configs", "pricing")
    up(epic, "fix-model-configs")

    outcome = cli("show", "fix-model-configs", cwd=epic.repo)

    assert outcome.code == 0, outcome.err
    text = outcome.out
    assert text.startswith("fix-model-configs (wave 0)\n")
    assert "  title     fix(config): model pricing mismatches" in text
    assert "  issues    #400" in text
    assert "  checks    fail" in text
    assert "checks' output (its last lines):" in text
    assert "  expected old pricing" in text
    shown = json.loads(cli("show", "fix-model-configs", "--json", cwd=epic.repo).out)
    assert shown["state"] == "failing" and "expected old pricing" in shown["checks_output"]
    assert cli("show", "nope", cwd=epic.repo).code == 2


def test_up_says_what_it_left_out_of_a_push_and_why_it_did_not_move_an_entry_up(
    epic: World, cli
) -> None:
    up(epic, "code-hygiene", "fix-model-configs")
    hygiene, configs = epic.base / "scylla-code-hygiene", epic.base / "scylla-fix-model-configs"
    commit_in(hygiene, "hygiene")
    (hygiene / "wip.txt").write_text("not yet\n")
    (configs / "notes.txt").write_text("untracked\n")
    advance_base(epic)

    outcome = cli("up", "code-hygiene", "fix-model-configs", cwd=epic.repo)

    assert (
        f"note: code-hygiene: {typed(hygiene, epic.repo)} has uncommitted changes: they are not in what is pushed"
    ) in outcome.out
    assert (
        f"note: fix-model-configs: not moved up to origin/main: {typed(configs, epic.repo)} has uncommitted or "
        "untracked files"
    ) in outcome.out


def test_status_and_plan_fit_the_page_by_leaving_out_what_show_tells(
    epic: World, cli, monkeypatch
) -> None:
    up(epic, "code-hygiene", "delete-mojo-guides")
    wide = cli("status", cwd=epic.repo).out  # the tests' page is 10,000 columns

    monkeypatch.setenv("COLUMNS", "80")
    narrow = cli("status", cwd=epic.repo).out
    plan = cli("plan", cwd=epic.repo).out
    monkeypatch.setenv("COLUMNS", "66")
    narrower = cli("status", cwd=epic.repo).out

    assert wide.split()[:3] == ["NAME", "WAVE", "BRANCH"]
    assert "blocked (waits for delete-mojo-guides)" in wide
    assert narrow.split()[:3] == ["NAME", "WAVE", "WORKTREE"]
    assert "401-delete-mojo-guides" not in narrow and "415-code-hygiene" not in plan
    assert "#404 #405 #406 #407 #409 #410 #411 #412" in plan
    assert narrower.split()[:2] == ["NAME", "WORKTREE"]
    assert "\nfix-language-defaults waits for delete-mojo-guides\n" in narrower
    for text, columns in ((narrow, 80), (plan, 80), (narrower, 66)):
        assert max(map(len, text.splitlines())) <= columns, text


def test_show_an_entry_with_no_pr_yet_and_one_merged_and_pruned(epic: World, cli) -> None:
    up(epic, "code-hygiene", "delete-mojo-guides")
    commit_in(epic.base / "scylla-delete-mojo-guides", "mojo")
    up(epic, "delete-mojo-guides")
    assert cli("prune", cwd=epic.repo).code == 0

    ready = cli("show", "code-hygiene", cwd=epic.repo)
    blocked = cli("show", "consolidate-docs", cwd=epic.repo)
    merged = cli("show", "delete-mojo-guides", cwd=epic.repo)

    assert (ready.code, blocked.code, merged.code) == (0, 0, 0), ready.err + blocked.err
    assert "  PR        none yet\n" in ready.out and "  PR        none yet\n" in blocked.out
    assert "  worktree  none\n" in merged.out and "  PR        #1, merged\n" in merged.out
