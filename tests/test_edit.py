"""`add` and `remove` edit the spec as a person would: the new entry after the others,
every comment and byte elsewhere kept, nothing written when the result would be wrong."""

from __future__ import annotations

import pytest
from test_prune import land

from conftest import EXAMPLE_SPEC, World, commit_in, up


def test_add_puts_the_entry_after_the_others_and_keeps_every_other_byte(epic: World, cli) -> None:
    spec = epic.repo / "prgroups.toml"
    before = spec.read_text()
    assert "# What each issue is about" in before  # a commented spec, issues after entries

    outcome = cli("add", "fix-typo", "--issue", "419", "--issue", "420", "--type", "fix",
                  "--scope", "docs", "--summary", 'a "typo" in the README',
                  "--after", "code-hygiene", cwd=epic.repo)  # fmt: skip

    assert outcome.code == 0, outcome.err
    after = spec.read_text()
    added = (
        "[pr.fix-typo]\n"
        'type = "fix"\n'
        'scope = "docs"\n'
        'summary = "a \\"typo\\" in the README"\n'
        "issues = [419, 420]\n"
        'after = ["code-hygiene"]\n'
        "\n"
    )
    at = after.index("[pr.fix-typo]")
    assert after[:at] + after[at + len(added) :] == before  # byte for byte outside it
    assert after.index("[pr.consolidate-docs]") < at < after.index("# What each issue")
    line = after[:at].count("\n") + 1
    assert outcome.out == f"added pr.fix-typo at prgroups.toml:{line}; git prgroups up starts it\n"
    plan = cli("plan", "--json", cwd=epic.repo)
    assert "fix-typo" in plan.out and '"419-fix-typo"' in plan.out


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("add", "code-hygiene", "--title", "again"), "already has pr.code-hygiene"),
        (
            ("add", "x", "--title", "t", "--after", "nobody"),
            'prgroups.toml left as it was: with this change pr.x.after: no entry named "nobody"',
        ),
        (("add", "x"), 'needs a "title", or a "type" and a "summary"'),
        (("add", "a b", "--title", "t"), "entry names use letters"),
        (("remove", "delete-mojo-guides"), "fix-language-defaults waits for delete-mojo-guides"),
        (("remove", "nobody"), "nobody"),
    ],
    ids=["exists", "after unknown", "no title", "bad name", "waited for", "unknown"],
)
def test_a_bad_edit_says_why_and_writes_nothing(epic: World, cli, argv, said) -> None:
    spec = epic.repo / "prgroups.toml"
    before = spec.read_bytes()

    outcome = cli(*argv, cwd=epic.repo)

    assert outcome.code == 2
    assert said in outcome.err and "Traceback" not in outcome.err
    assert len(outcome.err.strip().splitlines()) == 1
    assert spec.read_bytes() == before
    assert [p.name for p in epic.repo.iterdir() if p.name.endswith(".tmp")] == []


def test_remove_refuses_an_entry_with_an_open_pr_or_unmerged_work_unless_forced(
    epic: World, cli
) -> None:
    spec = epic.repo / "prgroups.toml"
    up(epic, "code-hygiene", "remove-workspace-manager")
    commit_in(epic.base / "scylla-remove-workspace-manager", "wip")  # committed, not pushed
    epic.write_spec(
        EXAMPLE_SPEC.read_text().replace("epic = 403", 'epic = 403\nchecks = ["false"]')
    )
    commit_in(epic.base / "scylla-code-hygiene", "hygiene")
    up(epic, "code-hygiene")  # opened; its checks fail, so it stays open
    before = spec.read_text()

    open_pr = cli("remove", "code-hygiene", cwd=epic.repo)
    unmerged = cli("remove", "remove-workspace-manager", cwd=epic.repo)

    assert open_pr.code == 1 and "pr.code-hygiene has an open PR (#1)" in open_pr.err
    assert unmerged.code == 1 and "1 commit on 418-remove-workspace-manager" in unmerged.err
    assert spec.read_text() == before

    forced = cli("remove", "--force", "code-hygiene", cwd=epic.repo)

    assert forced.code == 0, forced.err
    assert forced.out == (
        "removed pr.code-hygiene from prgroups.toml\n"
        "its worktree and branch stay: git prgroups prune --orphans removes them\n"
    )
    assert "[pr.code-hygiene]" not in spec.read_text()
    assert (epic.base / "scylla-code-hygiene").is_dir()  # its worktree stays: prune --orphans


def test_removing_what_add_added_gives_the_file_back(epic: World, cli) -> None:
    spec = epic.repo / "prgroups.toml"
    before = spec.read_bytes()
    land(epic, "code-hygiene")

    added = cli("add", "later", "--title", "docs: later", cwd=epic.base / "scylla-code-hygiene")
    removed = cli("remove", "later", cwd=epic.repo)

    assert (added.code, removed.code) == (0, 0), added.err + removed.err
    assert removed.out == "removed pr.later from prgroups.toml\n"  # nothing of it was made
    assert spec.read_bytes() == before
    merged = cli("remove", "code-hygiene", cwd=epic.repo)  # merged: nothing held
    assert merged.code == 0, merged.err
    assert "[pr.code-hygiene]" not in spec.read_text()
    assert cli("plan", cwd=epic.repo).code == 0


def test_remove_names_everyone_who_waits_in_plain_words(epic: World, cli) -> None:
    cli("add", "also-after-mojo", "--title", "docs: more", "--after", "delete-mojo-guides",
        cwd=epic.repo)  # fmt: skip

    outcome = cli("remove", "delete-mojo-guides", cwd=epic.repo)

    assert outcome.code == 2
    assert outcome.err == (
        "error: git prgroups remove: fix-language-defaults and also-after-mojo wait for "
        'delete-mojo-guides: remove "delete-mojo-guides" from their after, then run remove again\n'
    )
