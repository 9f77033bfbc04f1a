"""`git prgroups commit`: the rendered message, hooks that rewrite and fail, never --no-verify."""

from __future__ import annotations

import pytest

from conftest import World, git, up

HOOK = """#!/bin/sh
# like a trailing-whitespace fixer: rewrite staged files, fail if anything changed
changed=0
for f in $(git diff --cached --name-only); do
  if grep -q ' $' "$f"; then sed -i 's/ *$//' "$f"; changed=1; fi
done
exit $changed
"""


def install_hook(world: World, text: str) -> None:
    hooks = world.repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").write_text(text)
    (hooks / "pre-commit").chmod(0o755)


def test_commit_uses_the_rendered_message(epic: World, cli) -> None:
    up(epic, "remove-python-justification")
    path = epic.base / "scylla-remove-python-justification"
    (path / "a.py").write_text("x = 1\n")
    git("add", "a.py", cwd=path)

    outcome = cli("commit", cwd=path)

    assert outcome.code == 0, outcome.out + outcome.err
    message = git("log", "-1", "--format=%B", cwd=path)
    assert message.splitlines()[0] == "refactor: remove Python Justification comments"
    assert "Closes #408" in message and "Refs #401" in message
    assert "committed: remove-python-justification: refactor:" in outcome.out


@pytest.mark.parametrize("all_files", [False, True], ids=["staged", "-a"])
def test_a_hook_that_rewrites_and_fails_gets_its_rewrite_staged_and_one_retry(
    epic: World, cli, all_files: bool
) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    install_hook(epic, HOOK)
    (path / "README.md").write_text("# scylla, tidied   \n")
    if not all_files:
        git("add", "README.md", cwd=path)

    outcome = cli("commit", *(["-a"] if all_files else []), cwd=path)

    assert outcome.code == 0, outcome.out + outcome.err
    assert "the hooks rewrote README.md: staged, committing once more" in outcome.out
    assert git("show", "HEAD:README.md", cwd=path) == "# scylla, tidied"
    assert git("status", "--porcelain", cwd=path) == ""


def test_a_hook_that_keeps_failing_stops_the_commit(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    install_hook(epic, "#!/bin/sh\necho 'lint: 3 problems' >&2\nexit 1\n")
    (path / "README.md").write_text("# changed\n")
    before = git("rev-parse", "HEAD", cwd=path)

    outcome = cli("commit", "-a", cwd=path)

    assert outcome.code == 1
    assert "lint: 3 problems" in outcome.err
    assert "--no-verify" not in outcome.err
    assert git("rev-parse", "HEAD", cwd=path) == before
    assert git("status", "--porcelain", cwd=path) == "M README.md"


def test_commit_outside_an_entry_worktree_says_where_to_run_it(epic: World, cli) -> None:
    outcome = cli("commit", cwd=epic.repo)

    assert outcome.code == 2
    assert "is not the worktree of an entry of prgroups.toml" in outcome.err


def test_a_rewrite_of_a_partly_staged_file_is_left_to_the_user(epic: World, cli) -> None:
    up(epic, "code-hygiene")
    path = epic.base / "scylla-code-hygiene"
    install_hook(epic, HOOK)
    (path / "README.md").write_text("# staged line   \n")
    git("add", "README.md", cwd=path)
    (path / "README.md").write_text("# staged line   \nnot meant for this commit\n")
    before = git("rev-parse", "HEAD", cwd=path)

    outcome = cli("commit", cwd=path)

    assert outcome.code == 1
    assert "which also had changes you had not staged" in outcome.err
    assert git("rev-parse", "HEAD", cwd=path) == before
    assert "not meant for this commit" not in git("show", ":README.md", cwd=path)
